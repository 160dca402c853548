package zones

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// randomStar returns a star-shaped (hence simple) counter-clockwise ring of n
// vertices around c with radii in [r/3, r] degrees.
func randomStar(rng *rand.Rand, c orb.Point, r float64, n int) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * (float64(i) + 0.8*rng.Float64()) / float64(n)
		rr := r * (1.0/3 + 2.0/3*rng.Float64())
		ring = append(ring, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)})
	}
	return append(ring, ring[0])
}

// testMap returns a demo-like map: compound-sized stars, a few rectangles
// with holes, multi-part zones and zones with several validity windows.
func testMap(seed uint64, n int) []Zone {
	rng := rand.New(rand.NewPCG(seed, 0))
	kinds := []Kind{KindPrevention, KindControlled, KindSealed}
	var zs []Zone
	for i := 0; i < n; i++ {
		c := orb.Point{104.0 + 0.05*rng.Float64(), 30.6 + 0.05*rng.Float64()}
		z := Zone{ID: int64(i + 1), Kind: kinds[rng.IntN(3)], Name: "z", EffectiveFrom: t0.Add(time.Duration(rng.IntN(48)) * time.Hour)}
		switch i % 5 {
		case 0: // rectangle with a hole
			w := 0.002 + 0.01*rng.Float64()
			z.Geometry = orb.MultiPolygon{{
				{{c[0] - w, c[1] - w}, {c[0] + w, c[1] - w}, {c[0] + w, c[1] + w}, {c[0] - w, c[1] + w}, {c[0] - w, c[1] - w}},
				{{c[0] - w/2, c[1] - w/2}, {c[0] - w/2, c[1] + w/2}, {c[0] + w/2, c[1] + w/2}, {c[0] + w/2, c[1] - w/2}, {c[0] - w/2, c[1] - w/2}},
			}}
		case 1: // two parts
			z.Geometry = orb.MultiPolygon{{randomStar(rng, c, 0.003, 12)}, {randomStar(rng, orb.Point{c[0] + 0.008, c[1]}, 0.003, 7)}}
		default:
			z.Geometry = orb.MultiPolygon{{randomStar(rng, c, 0.001+0.004*rng.Float64(), 4+rng.IntN(60))}}
		}
		if rng.IntN(3) == 0 {
			u := z.EffectiveFrom.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
			z.EffectiveUntil = &u
		}
		zs = append(zs, z)
	}
	return zs
}

func TestIndexMatchesNaive(t *testing.T) {
	zs := testMap(1, 60)
	for i, z := range zs {
		if err := ValidateZone(z); err != nil {
			t.Fatalf("test zone %d invalid: %v", i, err)
		}
	}
	ix := NewIndex(zs)
	rng := rand.New(rand.NewPCG(2, 0))
	var pts []orb.Point
	for i := 0; i < 20000; i++ {
		pts = append(pts, orb.Point{103.99 + 0.07*rng.Float64(), 30.59 + 0.07*rng.Float64()})
	}
	// Every vertex and every edge midpoint of axis-parallel edges is on a boundary.
	for _, z := range zs {
		for _, poly := range z.Geometry {
			for _, r := range poly {
				for k := 0; k+1 < len(r); k++ {
					pts = append(pts, r[k])
					if r[k][0] == r[k+1][0] || r[k][1] == r[k+1][1] {
						pts = append(pts, orb.Point{(r[k][0] + r[k+1][0]) / 2, (r[k][1] + r[k+1][1]) / 2})
					}
				}
			}
		}
	}
	var a, b []int32
	hits := 0
	for i, p := range pts {
		at := t0.Add(time.Duration(rng.IntN(96)) * time.Hour)
		a = ix.LookupInto(a, p, at)
		b = ix.LinearLookupInto(b, p, at)
		if !slices.Equal(a, b) {
			t.Fatalf("point %d %v at %v: index %v, naive %v", i, p, at, a, b)
		}
		hits += len(a)
	}
	if hits < 1000 {
		t.Errorf("only %d hits; the test map misses the sample", hits)
	}
	// Vertices are always covered by their own zone.
	for i, z := range zs {
		for _, poly := range z.Geometry {
			for _, p := range poly[0] {
				got := ix.CoversInto(nil, p)
				if !slices.Contains(got, int32(i)) {
					t.Fatalf("vertex %v of zone %d not covered: %v", p, i, got)
				}
			}
		}
	}
}

func TestIndexOrderAndEdgeCases(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	u := t0.Add(time.Hour)
	zs := []Zone{
		{ID: 9, Kind: KindPrevention, Geometry: sq(0, 0, 10, 10), EffectiveFrom: t0},
		{ID: 4, Kind: KindSealed, Geometry: sq(2, 2, 4, 4), EffectiveFrom: t0},
		{ID: 2, Kind: KindSealed, Geometry: sq(3, 3, 5, 5), EffectiveFrom: t0},
		{ID: 7, Kind: KindControlled, Geometry: sq(1, 1, 6, 6), EffectiveFrom: t0, EffectiveUntil: &u},
		{ID: 8, Kind: KindSealed, Geometry: nil, EffectiveFrom: t0},
	}
	ix := NewIndex(zs)
	ids := func(items []int32) []int64 {
		var out []int64
		for _, it := range items {
			out = append(out, ix.Zone(it).ID)
		}
		return out
	}
	cases := []struct {
		p    orb.Point
		at   time.Time
		want []int64
	}{
		{orb.Point{3.5, 3.5}, t0, []int64{2, 4, 7, 9}},
		{orb.Point{3.5, 3.5}, u, []int64{2, 4, 9}},
		{orb.Point{3.5, 3.5}, t0.Add(-1), nil},
		{orb.Point{4, 4}, t0, []int64{2, 4, 7, 9}}, // corner of 4, inside 2
		{orb.Point{10, 10}, t0, []int64{9}},
		{orb.Point{10, 5}, t0, []int64{9}},
		{orb.Point{10.000001, 5}, t0, nil},
		{orb.Point{math.NaN(), 5}, t0, nil},
		{orb.Point{math.Inf(1), 5}, t0, nil},
	}
	for _, c := range cases {
		got := ids(ix.LookupInto(nil, c.p, c.at))
		if !slices.Equal(got, c.want) {
			t.Errorf("Lookup(%v, %v) = %v, want %v", c.p, c.at, got, c.want)
		}
		if zl := ix.Lookup(c.p, c.at); len(zl) != len(c.want) {
			t.Errorf("Lookup(%v) returned %d zones, want %d", c.p, len(zl), len(c.want))
		}
	}
	empty := NewIndex(nil)
	if got := empty.LookupInto(nil, orb.Point{1, 1}, t0); len(got) != 0 {
		t.Errorf("empty index found %v", got)
	}
	sh := NewShapeIndex([]orb.MultiPolygon{sq(0, 0, 1, 1), sq(1, 0, 2, 1)})
	if got := sh.CoversInto(nil, orb.Point{1, 0.5}); !slices.Equal(got, []int32{0, 1}) {
		t.Errorf("shape index on the shared edge = %v", got)
	}
}

func TestIndexLookupDoesNotAllocate(t *testing.T) {
	ix := NewIndex(testMap(3, 45))
	dst := make([]int32, 0, 64)
	p := orb.Point{104.02, 30.62}
	n := testing.AllocsPerRun(100, func() { dst = ix.LookupInto(dst, p, t0.Add(time.Hour)) })
	if n != 0 {
		t.Errorf("LookupInto allocates %v times per call", n)
	}
}

// BenchmarkIndexLookup: about 40 compound-sized zones plus a few street-sized
// ones (one per 5 is a rectangle with a hole, one a two-part zone).
func BenchmarkIndexLookup(b *testing.B) {
	ix := NewIndex(testMap(7, 45))
	pts := benchPoints(4096)
	dst := make([]int32, 0, 64)
	at := t0.Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = ix.LookupInto(dst, pts[i&4095], at)
	}
}

// BenchmarkIndexLookupLinear is the naive baseline: every zone tested with a
// full point-in-polygon pass.
func BenchmarkIndexLookupLinear(b *testing.B) {
	ix := NewIndex(testMap(7, 45))
	pts := benchPoints(4096)
	dst := make([]int32, 0, 64)
	at := t0.Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = ix.LinearLookupInto(dst, pts[i&4095], at)
	}
}

func BenchmarkIndexBuild(b *testing.B) {
	zs := testMap(7, 45)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(zs)
	}
}

func benchPoints(n int) []orb.Point {
	rng := rand.New(rand.NewPCG(11, 0))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{103.995 + 0.06*rng.Float64(), 30.595 + 0.06*rng.Float64()}
	}
	return pts
}
