package graph

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"lifeline/routing"

	"github.com/paulmach/orb"
)

// grid builds a w x h grid of two-way streets 0.001° apart (about 81 m x
// 111 m at 43°N) with 10 m/s speed; the bottom row is one-way eastbound.
func grid(w, h int) *Graph {
	b := NewBuilder("car")
	id := func(x, y int) NodeID { return NodeID(y*w + x) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b.AddNode(orb.Point{7 + float64(x)*0.001, 43 + float64(y)*0.001})
		}
	}
	edge := func(a, c NodeID, name string) {
		pa, pc := orb.Point{b.lon[a], b.lat[a]}, orb.Point{b.lon[c], b.lat[c]}
		m := math.Hypot((pa[0]-pc[0])*81300, (pa[1]-pc[1])*111200)
		b.AddEdge(a, c, Weight(m*100), m, name) // 10 m/s
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x+1 < w {
				edge(id(x, y), id(x+1, y), "East")
				if y > 0 {
					edge(id(x+1, y), id(x, y), "East")
				}
			}
			if y+1 < h {
				edge(id(x, y), id(x, y+1), "North")
				edge(id(x, y+1), id(x, y), "North")
			}
		}
	}
	return b.Build()
}

func TestSnapTable(t *testing.T) {
	g := grid(4, 3)
	for _, tc := range []struct {
		name   string
		p      orb.Point
		max    float64
		tail   NodeID
		head   NodeID
		frac   float64
		dist   float64
		oneway bool
		tooFar bool
	}{
		// at a node every incident segment ties: the two-way one wins, so
		// that the point can leave in every direction
		{"on node 0", orb.Point{7, 43}, 50, 0, 4, 0, 0, false, false},
		{"mid bottom one-way", orb.Point{7.0005, 43}, 50, 0, 1, 0.5, 0, true, false},
		{"below bottom", orb.Point{7.00025, 42.9999}, 50, 0, 1, 0.25, 11.1, true, false},
		{"mid vertical two-way", orb.Point{7.001, 43.0015}, 50, 5, 9, 0.5, 0, false, false},
		{"centre of a block", orb.Point{7.0015, 43.0004}, 100, 1, 5, 0.4, 40.66, false, false},
		{"too far", orb.Point{7.1, 43.1}, 500, 0, 0, 0, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := g.Snap(tc.p, tc.max)
			if tc.tooFar {
				var se *SnapError
				if !errors.Is(err, routing.ErrTooFar) || !errors.As(err, &se) || se.Point != tc.p {
					t.Fatalf("want ErrTooFar naming the point, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, v := g.Tail[s.Edge], g.Head[s.Edge]
			frac := s.Frac
			if u != tc.tail {
				u, v, frac = v, u, 1-frac
			}
			if u != tc.tail || v != tc.head || math.Abs(frac-tc.frac) > 1e-6 || math.Abs(s.Dist-tc.dist) > 0.5 {
				t.Fatalf("got %d->%d frac %.3f dist %.2f", u, v, frac, s.Dist)
			}
			if (s.Rev < 0) != tc.oneway {
				t.Fatalf("rev %d", s.Rev)
			}
		})
	}
}

func TestLegsAndSameEdge(t *testing.T) {
	g := grid(3, 3)
	// node 3 -> 4 is two-way ("East", y=1)
	var e EdgeID = -1
	for f := g.FirstOut[3]; f < g.FirstOut[4]; f++ {
		if g.Head[f] == 4 {
			e = EdgeID(f)
		}
	}
	s := g.SnapAt(e, 0.25)
	tt := g.SnapAt(e, 0.75)
	w, l, ok := g.SameEdge(s, tt)
	if !ok || w != part(g.Time[e], 0.75)-part(g.Time[e], 0.25) || math.Abs(l-float64(g.Length[e])/2) > 1e-3 {
		t.Fatalf("same edge forward %d %.1f %v", w, l, ok)
	}
	// backwards along the reverse edge
	w2, _, ok := g.SameEdge(tt, s)
	if !ok || w2 == 0 {
		t.Fatalf("same edge backward %d %v", w2, ok)
	}
	// one-way bottom row: backwards is not allowed on the same edge
	b := g.SnapAt(0, 0.75)
	if b.Rev >= 0 {
		t.Fatal("bottom row should be one-way")
	}
	if _, _, ok := g.SameEdge(b, g.SnapAt(0, 0.25)); ok {
		t.Fatal("drove backwards on a one-way street")
	}
	if legs := g.SourceLegs(b); len(legs) != 1 || legs[0].Node != 1 {
		t.Fatalf("one-way source legs %+v", legs)
	}
	if legs := g.TargetLegs(s); len(legs) != 2 {
		t.Fatalf("two-way target legs %+v", legs)
	}
}

func TestLargestSCC(t *testing.T) {
	b := NewBuilder("car")
	for i := 0; i < 5; i++ {
		b.AddNode(orb.Point{float64(i) * 0.001, 0})
	}
	// 0<->1<->2 strongly connected; 2->3 one way; 4 isolated
	b.AddEdge(0, 1, 10, 1, "")
	b.AddEdge(1, 0, 10, 1, "")
	b.AddEdge(1, 2, 10, 1, "")
	b.AddEdge(2, 1, 10, 1, "")
	b.AddEdge(2, 3, 10, 1, "")
	g, dn, de := LargestSCC(b.Build())
	if g.NumNodes() != 3 || g.NumEdges() != 4 || dn != 2 || de != 1 {
		t.Fatalf("scc: %d nodes %d edges, dropped %d %d", g.NumNodes(), g.NumEdges(), dn, de)
	}
}

func TestFileRoundTrip(t *testing.T) {
	g := grid(5, 4)
	extra := Section{Tag: [4]byte{'T', 'E', 'S', 'T'}, Data: []byte("hello")}
	data := Encode(g, extra)
	g2, secs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Encode(g2, secs...), data) || len(secs) != 1 || string(secs[0].Data) != "hello" {
		t.Fatal("round trip differs")
	}
	var buf bytes.Buffer
	if err := Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(&buf); err != nil {
		t.Fatal(err)
	}
	// corruptions
	bad := bytes.Clone(data)
	bad[40] ^= 0xff
	if _, _, err := Decode(bad); !errors.Is(err, ErrChecksum) {
		t.Fatalf("flipped byte: %v", err)
	}
	if _, _, err := Decode(data[:len(data)-9]); err == nil {
		t.Fatal("truncated file accepted")
	}
	v2 := bytes.Clone(data)
	v2[8] = 2
	if _, _, err := Decode(fixCRC(v2)); !errors.Is(err, ErrVersion) {
		t.Fatalf("version: %v", err)
	}
}

func fixCRC(b []byte) []byte {
	body := b[:len(b)-4]
	c := crc32Of(body)
	return append(bytes.Clone(body), byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(grid(3, 2)))
	f.Add([]byte("LLROAD\x00\x1a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// recompute the checksum half of the time so that the fuzzer reaches
		// the section parser
		if len(data) > 20 && data[len(data)-1]&1 == 0 {
			data = fixCRC(data)
		}
		g, _, err := Decode(data)
		if err != nil {
			return
		}
		s := NewSearch(g)
		s.Run([]Leg{{Node: 0}}, nil, Inf)
		g.Snap(g.Point(0), 100)
	})
}

func TestPolylineKnown(t *testing.T) {
	// the example of the format's documentation
	ls := orb.LineString{{-120.2, 38.5}, {-120.95, 40.7}, {-126.453, 43.252}}
	if got := EncodePolyline(ls, 5); got != "_p~iF~ps|U_ulLnnqC_mqNvxq`@" {
		t.Fatalf("got %q", got)
	}
}

func FuzzPolyline(f *testing.F) {
	f.Add(7.42, 43.73, -0.001, 0.002, int64(3))
	f.Fuzz(func(t *testing.T, lon, lat, dx, dy float64, n int64) {
		if math.IsNaN(lon+lat+dx+dy) || math.Abs(lon) > 180 || math.Abs(lat) > 90 || math.Abs(dx) > 1 || math.Abs(dy) > 1 {
			return
		}
		var ls orb.LineString
		for i := int64(0); i < n%20; i++ {
			ls = append(ls, orb.Point{lon + float64(i)*dx, lat + float64(i)*dy})
		}
		got, err := DecodePolyline(EncodePolyline(ls, 5), 5)
		if err != nil || len(got) != len(ls) {
			t.Fatalf("decode: %v %d/%d", err, len(got), len(ls))
		}
		for i := range ls {
			if math.Abs(got[i][0]-ls[i][0]) > 6e-6 || math.Abs(got[i][1]-ls[i][1]) > 6e-6 {
				t.Fatalf("point %d: %v vs %v", i, got[i], ls[i])
			}
		}
	})
}

func FuzzDecodePolyline(f *testing.F) {
	f.Add("_p~iF~ps|U_ulLnnqC_mqNvxq`@")
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := DecodePolyline(s, 5)
		if err == nil && len(ls) > len(s)/2 {
			t.Fatal("too many points")
		}
	})
}

func TestDijkstraClosure(t *testing.T) {
	g := grid(3, 3)
	s := NewSearch(g)
	// close the centre node 4
	set := make([]int32, g.NumNodes())
	for i := range set {
		set[i] = -1
	}
	set[4] = 0
	c := &Closure{Set: set, Open: []bool{false}}
	s.Run([]Leg{{Node: 3}}, c, Inf)
	if s.Dist(4) != Inf || s.Dist(5) == Inf {
		t.Fatalf("closed node reached %d, far side %d", s.Dist(4), s.Dist(5))
	}
	c.Open[0] = true
	s.Run([]Leg{{Node: 3}}, c, Inf)
	if s.Dist(4) == Inf {
		t.Fatal("open node not reached")
	}
	_ = rand.New(rand.NewPCG(1, 0))
}

// TestSnapBruteForce compares Snap with a scan of every edge.
func TestSnapBruteForce(t *testing.T) {
	g := grid(30, 20)
	r := rand.New(rand.NewPCG(11, 0))
	s := g.snap
	for i := 0; i < 2000; i++ {
		p := orb.Point{6.998 + r.Float64()*0.034, 42.998 + r.Float64()*0.024}
		got, err := g.Snap(p, 1000)
		if err != nil {
			t.Fatal(err)
		}
		px, py := s.proj(p[0], p[1])
		best := math.Inf(1)
		for e := 0; e < g.NumEdges(); e++ {
			ax, ay := s.proj(g.Lon[g.Tail[e]], g.Lat[g.Tail[e]])
			bx, by := s.proj(g.Lon[g.Head[e]], g.Lat[g.Head[e]])
			dx, dy := bx-ax, by-ay
			tt := math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/(dx*dx+dy*dy)))
			best = math.Min(best, math.Hypot(ax+tt*dx-px, ay+tt*dy-py))
		}
		if math.Abs(got.Dist-best) > 1e-6 {
			t.Fatalf("point %v: snap %.3f m, brute force %.3f m", p, got.Dist, best)
		}
	}
}
