package zones

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// CutAntimeridian applies RFC 7946 section 3.1.9 to polygons that cross
// the antimeridian. A ring with an edge spanning more than 180 degrees of
// longitude is read as taking the short way across ±180 (a zone is never
// wider than half the globe), not as a band around the world; each such
// polygon is cut at the antimeridian into a western part (up to 180) and an
// eastern part (from -180), in that order, and the parts join the
// multipolygon in place of the polygon. Polygons that do not cross are
// returned as they are (the same slice when none crosses).
//
// Refused with a *ValidationError (path + "[i]"): a ring that does not
// close once unwrapped (it circles a pole) and a cut that leaves an invalid
// shape (a polygon crossing more than once on one side, or a hole on the
// line): split such a polygon at 180 yourself and send a MultiPolygon.
func CutAntimeridian(path string, mp orb.MultiPolygon) (orb.MultiPolygon, error) {
	if !crossesAntimeridian(mp) {
		return mp, nil
	}
	out := make(orb.MultiPolygon, 0, len(mp)+1)
	for i, poly := range mp {
		if !polygonCrosses(poly) {
			out = append(out, poly)
			continue
		}
		p := path + "[" + strconv.Itoa(i) + "]"
		parts, err := cutPolygon(p, poly)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

func crossesAntimeridian(mp orb.MultiPolygon) bool {
	for _, poly := range mp {
		if polygonCrosses(poly) {
			return true
		}
	}
	return false
}

func polygonCrosses(poly orb.Polygon) bool {
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			if math.Abs(r[i+1][0]-r[i][0]) > 180 {
				return true
			}
		}
	}
	return false
}

// unwrap returns r with longitudes shifted by multiples of 360 so that no
// edge spans more than 180 degrees; ok is false when the ring then does
// not close (it winds around a pole).
func unwrap(r orb.Ring) (orb.Ring, bool) {
	out := make(orb.Ring, len(r))
	shift := 0.0
	for i, pt := range r {
		if i > 0 {
			d := pt[0] + shift - out[i-1][0]
			for d > 180 {
				shift -= 360
				d -= 360
			}
			for d < -180 {
				shift += 360
				d += 360
			}
		}
		out[i] = orb.Point{pt[0] + shift, pt[1]}
	}
	return out, len(out) == 0 || out[0] == out[len(out)-1]
}

func shiftRing(r orb.Ring, dx float64) {
	for i := range r {
		r[i][0] += dx
	}
}

// cutPolygon cuts one polygon at the antimeridian into its western and
// eastern parts; path names the polygon (its rings are path + "[k]").
func cutPolygon(path string, poly orb.Polygon) (orb.MultiPolygon, error) {
	rings := make([]orb.Ring, len(poly))
	for k, r := range poly {
		u, ok := unwrap(r)
		if !ok {
			return nil, &ValidationError{Path: path + "[" + strconv.Itoa(k) + "]",
				Message: "ring crosses the antimeridian and does not close: it circles a pole, which is not supported"}
		}
		rings[k] = u
	}
	// Put the shell so that it starts west of 180 and the holes beside it.
	sb := rings[0].Bound()
	for sb.Min[0] >= 180 {
		shiftRing(rings[0], -360)
		sb = rings[0].Bound()
	}
	for sb.Min[0] < -180 {
		shiftRing(rings[0], 360)
		sb = rings[0].Bound()
	}
	for k := 1; k < len(rings); k++ {
		hb := rings[k].Bound()
		for hb.Min[0] > sb.Max[0] {
			shiftRing(rings[k], -360)
			hb = rings[k].Bound()
		}
		for hb.Max[0] < sb.Min[0] {
			shiftRing(rings[k], 360)
			hb = rings[k].Bound()
		}
	}
	var parts orb.MultiPolygon
	for _, west := range []bool{true, false} {
		var part orb.Polygon
		for k, r := range rings {
			c := clipRing(r, 180, west)
			if len(c) < 4 || math.Abs(ringArea(c)) == 0 {
				if k == 0 {
					break // nothing of the shell on this side
				}
				continue
			}
			if !west {
				shiftRing(c, -360)
			}
			part = append(part, c)
		}
		if len(part) > 0 {
			parts = append(parts, part)
		}
	}
	if err := ValidateMultiPolygon(path, parts); err != nil {
		return nil, &ValidationError{Path: path, Message: "polygon crosses the antimeridian and cutting it at 180 gives an invalid shape (" +
			err.Error() + "); split it at 180 and send a MultiPolygon"}
	}
	return parts, nil
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

// clipRing keeps the part of closed ring r with x <= c (west) or x >= c
// (east): Sutherland-Hodgman against one half-plane. The result is closed,
// without repeated consecutive points.
func clipRing(r orb.Ring, c float64, west bool) orb.Ring {
	in := func(p orb.Point) bool {
		if west {
			return p[0] <= c
		}
		return p[0] >= c
	}
	var out orb.Ring
	add := func(p orb.Point) {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if in(a) {
			add(a)
		}
		if (a[0] < c && b[0] > c) || (a[0] > c && b[0] < c) {
			y := a[1] + (c-a[0])*(b[1]-a[1])/(b[0]-a[0])
			add(orb.Point{c, y})
		}
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}
