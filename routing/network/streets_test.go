package network

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"lifeline/routing/graph"

	"github.com/paulmach/orb"
)

// orient is the sign of the turn a -> b -> c.
func orientSign(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// crossesClosed reports whether closed segments ab and cd share a point
// (the textbook orientation test).
func crossesClosed(a, b, c, d orb.Point) bool {
	o1, o2, o3, o4 := orientSign(a, b, c), orientSign(a, b, d), orientSign(c, d, a), orientSign(c, d, b)
	if o1 != o2 && o3 != o4 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// oracleMeets: an end point inside the closed rectangle, or the segment
// crosses one of its four sides.
func oracleMeets(a, b orb.Point, bb orb.Bound) bool {
	if bb.Contains(a) || bb.Contains(b) {
		return true
	}
	c := [4]orb.Point{bb.Min, {bb.Max[0], bb.Min[1]}, bb.Max, {bb.Min[0], bb.Max[1]}}
	for i := range c {
		if crossesClosed(a, b, c[i], c[(i+1)%4]) {
			return true
		}
	}
	return false
}

// oracleStreets is the handler's old walk over every node's edges, with
// the exact test instead of the bounding-box one.
func oracleStreets(g *graph.Graph, bb *orb.Bound, limit int) ([]graph.EdgeID, bool) {
	var out []graph.EdgeID
	for u := 0; u < g.NumNodes(); u++ {
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			v := g.Head[e]
			if g.Reverse(graph.EdgeID(e)) >= 0 && int(v) < u {
				continue
			}
			if bb != nil && !oracleMeets(g.Point(graph.NodeID(u)), g.Point(v), *bb) {
				continue
			}
			if limit > 0 && len(out) == limit {
				return out, true
			}
			out = append(out, graph.EdgeID(e))
		}
	}
	return out, false
}

func TestSegmentMeetsBound(t *testing.T) {
	bb := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{10, 10}}
	for _, c := range []struct {
		name   string
		a, b   orb.Point
		meets  bool
		bounds bool // the segment's bounding box meets bb (the old test)
	}{
		{"inside", orb.Point{1, 1}, orb.Point{2, 2}, true, true},
		{"one end inside", orb.Point{5, 5}, orb.Point{20, 5}, true, true},
		{"crosses through", orb.Point{-5, 5}, orb.Point{15, 5}, true, true},
		{"diagonal through", orb.Point{-5, -5}, orb.Point{15, 15}, true, true},
		{"touches a side", orb.Point{10, 2}, orb.Point{14, 2}, true, true},
		{"touches a corner", orb.Point{10, 10}, orb.Point{12, 14}, true, true},
		{"diagonal past the corner", orb.Point{8, 14}, orb.Point{14, 8}, false, true},
		{"vertical beside", orb.Point{11, -5}, orb.Point{11, 15}, false, false},
		{"point inside", orb.Point{3, 3}, orb.Point{3, 3}, true, true},
		{"point outside", orb.Point{-1, 3}, orb.Point{-1, 3}, false, false},
		{"along a side", orb.Point{-3, 0}, orb.Point{13, 0}, true, true},
		{"far away", orb.Point{100, 100}, orb.Point{200, 150}, false, false},
	} {
		if got := segmentMeetsBound(c.a[0], c.a[1], c.b[0], c.b[1], &bb); got != c.meets {
			t.Errorf("%s: segmentMeetsBound = %v, want %v", c.name, got, c.meets)
		}
		if got := oracleMeets(c.a, c.b, bb); got != c.meets {
			t.Errorf("%s: oracle = %v, want %v", c.name, got, c.meets)
		}
		if got := bb.Intersects(orb.LineString{c.a, c.b}.Bound()); got != c.bounds {
			t.Errorf("%s: bounding-box test = %v, want %v", c.name, got, c.bounds)
		}
	}
}

func TestStreetsMatchOracle(t *testing.T) {
	n := loadMonaco(t)
	g := n.Graph()
	r := rand.New(rand.NewPCG(3, 9))
	whole := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	var gb orb.Bound
	for v := 0; v < g.NumNodes(); v++ {
		if v == 0 {
			gb = orb.Bound{Min: g.Point(0), Max: g.Point(0)}
		}
		gb = gb.Extend(g.Point(graph.NodeID(v)))
	}
	type tc struct {
		name  string
		bb    *orb.Bound
		limit int
	}
	cases := []tc{
		{"no bbox", nil, 0},
		{"no bbox, limit", nil, 100},
		{"whole world", &whole, 0},
		{"graph bound, limit", &gb, 1000},
		{"outside", &orb.Bound{Min: orb.Point{10, 10}, Max: orb.Point{11, 11}}, 0},
		{"point at a node", &orb.Bound{Min: g.Point(5), Max: g.Point(5)}, 0},
	}
	for i := 0; i < 60; i++ {
		c := randomPoint(g, r)
		half := []float64{0.0001, 0.0005, 0.002, 0.01}[i%4]
		bb := orb.Bound{Min: orb.Point{c[0] - half, c[1] - half*0.7}, Max: orb.Point{c[0] + half, c[1] + half*0.7}}
		limit := []int{0, 0, 1, 7, 50}[i%5]
		cases = append(cases, tc{fmt.Sprintf("random %d (half %g, limit %d)", i, half, limit), &bb, limit})
	}
	// a rectangle straddling the graph's edge
	cases = append(cases, tc{"straddles the west edge", &orb.Bound{Min: orb.Point{gb.Min[0] - 0.01, gb.Min[1]}, Max: orb.Point{gb.Min[0] + 0.003, gb.Max[1]}}, 0})
	nonEmpty := 0
	for _, c := range cases {
		got, trunc := n.Streets(c.bb, c.limit)
		want, wantTrunc := oracleStreets(g, c.bb, c.limit)
		ids := make([]graph.EdgeID, len(got))
		for i, s := range got {
			ids[i] = s.Edge
			if s.From != g.Point(g.Tail[s.Edge]) || s.To != g.Point(g.Head[s.Edge]) || s.Name != g.EdgeName(s.Edge) || s.Oneway != (g.Reverse(s.Edge) < 0) {
				t.Fatalf("%s: street %+v does not describe edge %d", c.name, s, s.Edge)
			}
		}
		if !slices.Equal(ids, want) || trunc != wantTrunc {
			t.Errorf("%s: %d streets (truncated %v), oracle %d (truncated %v)", c.name, len(ids), trunc, len(want), wantTrunc)
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(cases)/2 {
		t.Errorf("only %d of %d cases found streets: the test rectangles miss the roads", nonEmpty, len(cases))
	}
	if all, _ := n.Streets(nil, 0); len(all) < 1000 {
		t.Errorf("Monaco has %d street segments, want >= 1000", len(all))
	}
}

func TestStreetsEmptyGraph(t *testing.T) {
	s := newStreetIndex(&graph.Graph{})
	if got, trunc := s.query(nil, 10); len(got) != 0 || trunc {
		t.Errorf("empty graph: %v %v", got, trunc)
	}
	if got, _ := s.query(&orb.Bound{Max: orb.Point{1, 1}}, 10); len(got) != 0 {
		t.Errorf("empty graph in a bbox: %v", got)
	}
}

// oldStreets is the handler's walk before the index: every edge of every
// node, tested by bounding box, up to limit.
func oldStreets(g *graph.Graph, bb *orb.Bound, limit int) int {
	n := 0
	for u := 0; u < g.NumNodes(); u++ {
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			v := g.Head[e]
			if g.Reverse(graph.EdgeID(e)) >= 0 && int(v) < u {
				continue
			}
			a, b := g.Point(graph.NodeID(u)), g.Point(v)
			if bb != nil && !bb.Intersects(orb.LineString{a, b}.Bound()) {
				continue
			}
			if n == limit {
				return n
			}
			_ = g.EdgeName(graph.EdgeID(e))
			n++
		}
	}
	return n
}

// BenchmarkStreets compares the old walk with the index for map-view
// rectangles (about 600 x 400 m and 2.4 x 1.6 km) around random nodes of
// Monaco, or of the graph named by LIFELINE_BENCH_GRAPH (e.g. Porto).
func BenchmarkStreets(b *testing.B) {
	var n *Network
	if os.Getenv("LIFELINE_BENCH_GRAPH") != "" {
		n, _ = benchNetwork(b)
	} else {
		n = loadMonaco(b)
	}
	g := n.Graph()
	n.Streets(nil, 1) // build the index outside the timings
	for _, half := range []float64{0.003, 0.012} {
		r := rand.New(rand.NewPCG(1, 2))
		boxes := make([]orb.Bound, 256)
		for i := range boxes {
			c := g.Point(graph.NodeID(r.IntN(g.NumNodes())))
			boxes[i] = orb.Bound{Min: orb.Point{c[0] - half, c[1] - half*0.66}, Max: orb.Point{c[0] + half, c[1] + half*0.66}}
		}
		b.Run(fmt.Sprintf("old/half=%g", half), func(b *testing.B) {
			i := 0
			for b.Loop() {
				oldStreets(g, &boxes[i%len(boxes)], 20_000)
				i++
			}
		})
		b.Run(fmt.Sprintf("index/half=%g", half), func(b *testing.B) {
			i := 0
			for b.Loop() {
				n.Streets(&boxes[i%len(boxes)], 20_000)
				i++
			}
		})
	}
}

// BenchmarkStreetIndexBuild times the index the first Streets call builds
// and reports its size (Monaco, or LIFELINE_BENCH_GRAPH).
func BenchmarkStreetIndexBuild(b *testing.B) {
	var n *Network
	if os.Getenv("LIFELINE_BENCH_GRAPH") != "" {
		n, _ = benchNetwork(b)
	} else {
		n = loadMonaco(b)
	}
	var s *streetIndex
	for b.Loop() {
		s = newStreetIndex(n.Graph())
	}
	b.ReportMetric(float64(4*len(s.items)+4*len(s.first))/(1<<20), "MiB")
	b.ReportMetric(float64(s.segments), "segments")
}
