package zones

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// box returns a counter-clockwise square in degrees near Chengdu, in units
// of d degrees from the origin (104, 30.6).
func box(x0, y0, x1, y1 float64) orb.MultiPolygon {
	const d = 0.001
	o := orb.Point{104, 30.6}
	r := orb.Ring{{o[0] + x0*d, o[1] + y0*d}, {o[0] + x1*d, o[1] + y0*d}, {o[0] + x1*d, o[1] + y1*d}, {o[0] + x0*d, o[1] + y1*d}, {o[0] + x0*d, o[1] + y0*d}}
	return orb.MultiPolygon{{r}}
}

func withHole(mp orb.MultiPolygon, hole orb.MultiPolygon) orb.MultiPolygon {
	h := hole[0][0].Clone()
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	out := mp.Clone()
	out[0] = append(out[0], h)
	return out
}

func TestOverlapFraction(t *testing.T) {
	comp := box(0, 0, 2, 2)
	reversed := comp.Clone()
	for i, j := 0, len(reversed[0][0])-1; i < j; i, j = i+1, j-1 {
		reversed[0][0][i], reversed[0][0][j] = reversed[0][0][j], reversed[0][0][i]
	}
	cases := []struct {
		name string
		zone orb.MultiPolygon
		want float64
	}{
		{"none", box(3, 3, 4, 4), 0},
		{"touching edge only", box(2, 0, 3, 2), 0},
		{"touching corner only", box(2, 2, 3, 3), 0},
		{"full (identical)", comp, 1},
		{"full (identical, clockwise)", reversed, 1},
		{"full (zone larger)", box(-1, -1, 3, 3), 1},
		{"half (shared edges)", box(0, 0, 1, 2), 0.5},
		{"half (crossing)", box(-1, -1, 1, 3), 0.5},
		{"quarter", box(1, 1, 3, 3), 0.25},
		{"inner square", box(0.5, 0.5, 1.5, 1.5), 0.25},
		{"zone with a hole over the compound's centre", withHole(box(-1, -1, 3, 3), box(0.5, 0.5, 1.5, 1.5)), 0.75},
		{"zone with a hole equal to the compound", withHole(box(-1, -1, 3, 3), box(0, 0, 2, 2)), 0},
		{"two-part zone, halves", orb.MultiPolygon{box(-1, -1, 0.5, 3)[0], box(1.5, -1, 3, 3)[0]}, 0.5},
		{"triangle over half", orb.MultiPolygon{{{{104.0, 30.6}, {104.002, 30.6}, {104.002, 30.602}, {104.0, 30.6}}}}, 0.5},
	}
	for _, c := range cases {
		if got := OverlapFraction(comp, c.zone); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: fraction %.12f, want %v", c.name, got, c.want)
		}
		// Symmetry of the intersection area.
		if a, b := IntersectionArea(comp, c.zone), IntersectionArea(c.zone, comp); math.Abs(a-b) > 1e-6*math.Max(1, a) {
			t.Errorf("%s: area(a∩b) %v != area(b∩a) %v", c.name, a, b)
		}
	}
	// A compound with a courtyard (hole) half covered.
	court := withHole(box(0, 0, 2, 2), box(0.5, 0.5, 1.5, 1.5))
	if got := OverlapFraction(court, box(-1, -1, 1, 3)); math.Abs(got-0.5) > 1e-9 {
		t.Errorf("courtyard compound: %v, want 0.5", got)
	}
	if got := OverlapFraction(court, box(0.6, 0.6, 1.4, 1.4)); got != 0 {
		t.Errorf("zone inside the courtyard: %v, want 0", got)
	}
}

func TestAreaMetres(t *testing.T) {
	// 0.001° x 0.001° at 30.6°N: 111.195 m * (111.195 m * cos 30.6°).
	want := 111.19508 * 111.19508 * math.Cos(30.601*math.Pi/180)
	if got := Area(box(0, 0, 1, 1)); math.Abs(got-want)/want > 1e-3 {
		t.Errorf("Area = %.2f m², want %.2f", got, want)
	}
}

// TestIntersectionAreaOracle compares with a sampling estimate on random
// star polygons.
func TestIntersectionAreaOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	for it := 0; it < 8; it++ {
		c := orb.Point{104, 30.6}
		a := orb.MultiPolygon{{randomStar(rng, c, 0.002, 5+rng.IntN(20))}}
		b := orb.MultiPolygon{{randomStar(rng, orb.Point{c[0] + 0.002*(rng.Float64()-0.5), c[1] + 0.002*(rng.Float64()-0.5)}, 0.002, 5+rng.IntN(20))}}
		bd := a.Bound().Union(b.Bound())
		const n = 300
		hits, inA := 0, 0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				p := orb.Point{bd.Min[0] + (float64(i)+0.5)/n*(bd.Max[0]-bd.Min[0]), bd.Min[1] + (float64(j)+0.5)/n*(bd.Max[1]-bd.Min[1])}
				ina := MultiPolygonCovers(a, p)
				if ina {
					inA++
				}
				if ina && MultiPolygonCovers(b, p) {
					hits++
				}
			}
		}
		want := float64(hits) / float64(inA)
		got := OverlapFraction(a, b)
		if math.Abs(got-want) > 0.01 {
			t.Errorf("star pair %d: fraction %.4f, sampling %.4f", it, got, want)
		}
	}
}

func TestEstimatePopulation(t *testing.T) {
	cs := []Compound{
		{ID: 1, Name: "a", Geometry: box(0, 0, 2, 2), Population: 1000, Aged60Plus: 200},
		{ID: 2, Name: "b", Geometry: box(2, 0, 4, 2), Population: 400, Aged60Plus: 100},
		{ID: 3, Name: "far", Geometry: box(10, 10, 11, 11), Population: 999, Aged60Plus: 999},
	}
	est := EstimatePopulation(box(1, 0, 4, 2), cs)
	if math.Abs(est.Population-900) > 1e-6 || math.Abs(est.Aged60Plus-200) > 1e-6 {
		t.Errorf("estimate %+v, want population 900, aged 200", est)
	}
	if len(est.Compounds) != 2 || est.Compounds[0].ID != 1 || math.Abs(est.Compounds[0].Fraction-0.5) > 1e-9 || math.Abs(est.Compounds[1].Fraction-1) > 1e-9 {
		t.Errorf("shares %+v", est.Compounds)
	}
	if e := EstimatePopulation(nil, cs); e.Population != 0 || e.Compounds == nil {
		t.Errorf("empty zone: %+v", e)
	}
}

func BenchmarkEstimatePopulation(b *testing.B) {
	zs := testMap(7, 45)
	var cs []Compound
	for i, z := range zs {
		cs = append(cs, Compound{ID: int64(i), Geometry: z.Geometry, Population: 1000, Aged60Plus: 100})
	}
	zone := box(-10, -10, 30, 30)
	b.ReportAllocs()
	for b.Loop() {
		EstimatePopulation(zone, cs)
	}
}
