package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestDistances(t *testing.T) {
	cases := []struct {
		name string
		a, b orb.Point
		want float64 // metres, from an independent calculator
		tol  float64
	}{
		{"same point", orb.Point{104.06, 30.66}, orb.Point{104.06, 30.66}, 0, 1e-9},
		{"one degree of latitude", orb.Point{0, 0}, orb.Point{0, 1}, 111195, 1},
		{"one degree of longitude at equator", orb.Point{0, 0}, orb.Point{1, 0}, 111195, 1},
		{"Monaco to Nice", orb.Point{7.4246, 43.7384}, orb.Point{7.2620, 43.7102}, 13456, 30},
	}
	for _, c := range cases {
		if got := Haversine(c.a, c.b); math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: Haversine = %.1f, want %.1f", c.name, got, c.want)
		}
		h := Haversine(c.a, c.b)
		if got := Equirectangular(c.a, c.b); math.Abs(got-h) > 1e-3*h+1e-9 {
			t.Errorf("%s: Equirectangular = %.1f, Haversine %.1f", c.name, got, h)
		}
	}
}

func TestBoundAround(t *testing.T) {
	p := orb.Point{104.06, 30.66}
	b := BoundAround(p, 500)
	for _, q := range []orb.Point{{b.Min[0], p[1]}, {b.Max[0], p[1]}, {p[0], b.Min[1]}, {p[0], b.Max[1]}} {
		if d := Haversine(p, q); math.Abs(d-500) > 1 {
			t.Errorf("edge point %v is %.2f m away, want 500", q, d)
		}
	}
}
