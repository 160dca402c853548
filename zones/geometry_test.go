package zones

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func circle(c orb.Point, r float64, n int, ccw bool) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		if !ccw {
			a = -a
		}
		ring = append(ring, orb.Point{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)})
	}
	return append(ring, ring[0])
}

func sqRing(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// manyHoles returns a 400-vertex circular shell of radius 1 around (0, 0)
// with a 10 x 10 grid of small square holes; with outside, one hole is moved
// out of the shell.
func manyHoles(outside bool) orb.Polygon {
	poly := orb.Polygon{circle(orb.Point{0, 0}, 1, 400, true)}
	for i := 0; i < 10; i++ {
		for j := 0; j < 10; j++ {
			x, y := -0.5+0.1*float64(i), -0.5+0.1*float64(j)
			poly = append(poly, sqRing(x, y, x+0.05, y+0.05))
		}
	}
	if outside {
		poly[57] = sqRing(5, 5, 5.05, 5.05)
	}
	return poly
}

func TestValidateManyHoles(t *testing.T) {
	if err := ValidatePolygon("g", manyHoles(false)); err != nil {
		t.Fatalf("valid polygon rejected: %v", err)
	}
	err := ValidatePolygon("g", manyHoles(true))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "g[57]" {
		t.Fatalf("hole outside: err %v, want path g[57]", err)
	}
	// A hole touching the shell at one vertex is fine.
	p := orb.Polygon{sqRing(0, 0, 4, 4), {{0, 2}, {1, 1}, {1, 3}, {0, 2}}}
	if err := ValidatePolygon("g", p); err != nil {
		t.Errorf("hole touching the shell at a vertex: %v", err)
	}
}

func TestValidateManyParts(t *testing.T) {
	var mp orb.MultiPolygon
	for i := 0; i < 30; i++ {
		for j := 0; j < 30; j++ {
			x, y := float64(i), float64(j)
			mp = append(mp, orb.Polygon{sqRing(x, y, x+0.5, y+0.5)})
		}
	}
	// A donut and a part inside its hole.
	mp = append(mp, orb.Polygon{sqRing(100, 0, 110, 10), sqRing(102, 2, 108, 8)}, orb.Polygon{sqRing(103, 3, 104, 4)})
	if err := ValidateMultiPolygon("g", mp); err != nil {
		t.Fatalf("valid multipolygon rejected: %v", err)
	}
	bad := append(mp.Clone(), orb.Polygon{sqRing(100.5, 0.5, 101, 1)}) // inside the donut's ring
	var ve *ValidationError
	if err := ValidateMultiPolygon("g", bad); !errors.As(err, &ve) || ve.Path != "g[902]" {
		t.Errorf("part inside another: err %v, want path g[902]", err)
	}
}

func TestIntersectsBound(t *testing.T) {
	tri := orb.MultiPolygon{{{{0, 0}, {2, 0}, {2, 2}, {0, 0}}}}
	donut := orb.MultiPolygon{{sqRing(0, 0, 10, 10), sqRing(2, 2, 8, 8)}}
	b := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	cases := []struct {
		name string
		mp   orb.MultiPolygon
		b    orb.Bound
		want bool
	}{
		{"box in triangle's bounds, off the triangle", tri, b(0.1, 1.5, 0.5, 1.9), false},
		{"box over the hypotenuse", tri, b(0.5, 0.4, 0.7, 0.6), true},
		{"box inside", tri, b(1.5, 0.1, 1.9, 0.2), true},
		{"box around", tri, b(-1, -1, 3, 3), true},
		{"touching a vertex", tri, b(2, 2, 3, 3), true},
		{"far", tri, b(5, 5, 6, 6), false},
		{"in the hole", donut, b(3, 3, 4, 4), false},
		{"over the hole's edge", donut, b(1, 3, 3, 4), true},
		{"in the ring", donut, b(0.5, 0.5, 1, 1), true},
		{"degenerate bound (a point) inside", tri, b(1.5, 0.5, 1.5, 0.5), true},
	}
	for _, c := range cases {
		if got := IntersectsBound(c.mp, c.b); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func BenchmarkValidateLargeRing(b *testing.B) {
	mp := orb.MultiPolygon{{circle(orb.Point{104, 30.6}, 0.05, MaxVerticesPerFeature-1, true)}}
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateMultiPolygon("g", mp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateManyHoles(b *testing.B) {
	poly := orb.Polygon{circle(orb.Point{0, 0}, 1, 50000, true)}
	for i := 0; i < 100; i++ {
		for j := 0; j < 100; j++ {
			x, y := -0.5+0.01*float64(i), -0.5+0.01*float64(j)
			poly = append(poly, sqRing(x, y, x+0.005, y+0.005)[:4:4])
			poly[len(poly)-1] = append(poly[len(poly)-1], orb.Point{x, y})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidatePolygon("g", poly); err != nil {
			b.Fatal(err)
		}
	}
}
