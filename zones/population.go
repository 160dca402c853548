package zones

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

const (
	earthRadius = 6371008.8 // metres, as geo.EarthRadius
	degToRad    = math.Pi / 180
)

// CompoundShare is one compound's part of a zone's population.
type CompoundShare struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Fraction   float64 `json:"fraction"` // area(compound ∩ zone) / area(compound), in [0, 1]
	Population float64 `json:"population"`
	Aged60Plus float64 `json:"aged_60_plus"`
}

// PopulationEstimate is the population living in a zone, assuming residents
// spread evenly over each compound's area.
type PopulationEstimate struct {
	Population float64         `json:"population"`
	Aged60Plus float64         `json:"aged_60_plus"`
	Compounds  []CompoundShare `json:"compounds"` // compounds that overlap the zone, in input order
}

// EstimatePopulation returns the population (and residents aged 60+) of
// zone: the sum over compounds of Population (Aged60Plus) times
// area(compound ∩ zone) / area(compound). Geometries must be valid
// (ValidateMultiPolygon). Cost: O(sum over compounds whose bounds meet the
// zone's of n_zone * n_compound) edge pairs.
func EstimatePopulation(zone orb.MultiPolygon, cs []Compound) PopulationEstimate {
	est := PopulationEstimate{Compounds: []CompoundShare{}}
	zb := zone.Bound()
	if len(zone) == 0 {
		return est
	}
	for _, c := range cs {
		if len(c.Geometry) == 0 || !c.Geometry.Bound().Intersects(zb) {
			continue
		}
		f := OverlapFraction(c.Geometry, zone)
		if f <= 0 {
			continue
		}
		sh := CompoundShare{ID: c.ID, Name: c.Name, Fraction: f, Population: f * float64(c.Population), Aged60Plus: f * float64(c.Aged60Plus)}
		est.Population += sh.Population
		est.Aged60Plus += sh.Aged60Plus
		est.Compounds = append(est.Compounds, sh)
	}
	return est
}

// OverlapFraction returns area(a ∩ b) / area(a), clamped to [0, 1]; 0 when
// a has no area.
func OverlapFraction(a, b orb.MultiPolygon) float64 {
	pr := newProjection(a.Bound().Union(b.Bound()).Center())
	pa, pb := pr.multi(a), pr.multi(b)
	area := planarArea(pa)
	if area <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, intersectionArea(pa, pb)/area))
}

// Area returns the area of mp in square metres (holes subtracted), on a
// local equirectangular projection: accurate to a fraction of a per cent
// for city-sized shapes.
func Area(mp orb.MultiPolygon) float64 {
	pr := newProjection(mp.Bound().Center())
	return planarArea(pr.multi(mp))
}

// IntersectionArea returns the area in square metres of a ∩ b for valid
// multipolygons, computed exactly on a local equirectangular projection
// (longitude scaled by the cosine of the latitude at the centre of both).
//
// Method: the area of a region is the boundary integral ∮ x dy. The
// boundary of a ∩ b is made of the pieces of a's edges inside b and of b's
// edges inside a; pieces shared by both boundaries count once when the two
// run the same way and not at all when they run opposite ways. Each edge is
// split at every point where it meets the other boundary and each piece is
// classified by its midpoint. O(n_a * n_b); robust to shared edges and
// vertices.
func IntersectionArea(a, b orb.MultiPolygon) float64 {
	pr := newProjection(a.Bound().Union(b.Bound()).Center())
	return intersectionArea(pr.multi(a), pr.multi(b))
}

type projection struct{ lon0, lat0, mx, my float64 }

func newProjection(c orb.Point) projection {
	return projection{lon0: c[0], lat0: c[1], mx: earthRadius * degToRad * math.Cos(c[1]*degToRad), my: earthRadius * degToRad}
}

// multi projects mp to metres around the origin and orients shells
// counter-clockwise and holes clockwise.
func (pr projection) multi(mp orb.MultiPolygon) [][][]orb.Point {
	out := make([][][]orb.Point, 0, len(mp))
	for _, poly := range mp {
		var pp [][]orb.Point
		for ri, r := range poly {
			if len(r) < 4 {
				continue
			}
			q := make([]orb.Point, len(r))
			for i, p := range r {
				q[i] = orb.Point{(p[0] - pr.lon0) * pr.mx, (p[1] - pr.lat0) * pr.my}
			}
			a := ringArea2(q)
			if (ri == 0) != (a > 0) {
				slices.Reverse(q)
			}
			pp = append(pp, q)
		}
		if len(pp) > 0 {
			out = append(out, pp)
		}
	}
	return out
}

func planarArea(mp [][][]orb.Point) float64 {
	var s float64
	for _, poly := range mp {
		for _, r := range poly {
			s += ringArea2(r)
		}
	}
	return s / 2
}

func intersectionArea(a, b [][][]orb.Point) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	// Tolerance for "on the boundary": scale-relative, in metres.
	ba, bb := boundOf(a), boundOf(b)
	if !ba.Intersects(bb) {
		return 0
	}
	scale := math.Max(math.Max(ba.Max[0]-ba.Min[0], ba.Max[1]-ba.Min[1]), math.Max(bb.Max[0]-bb.Min[0], bb.Max[1]-bb.Min[1]))
	tol := math.Max(scale*1e-9, 1e-9)
	s := boundaryIntegral(a, b, tol, true) + boundaryIntegral(b, a, tol, false)
	return math.Max(0, s)
}

func boundOf(mp [][][]orb.Point) orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, poly := range mp {
		for _, r := range poly {
			for _, p := range r {
				b = b.Extend(p)
			}
		}
	}
	return b
}

// boundaryIntegral sums ½(x dy - y dx) over the pieces of src's edges that
// lie inside other, plus (when keepShared) the pieces on other's boundary
// running the same way.
func boundaryIntegral(src, other [][][]orb.Point, tol float64, keepShared bool) float64 {
	ob := boundOf(other)
	ob.Min[0] -= tol
	ob.Min[1] -= tol
	ob.Max[0] += tol
	ob.Max[1] += tol
	var sum float64
	var ts []float64
	for _, poly := range src {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				p, q := r[i], r[i+1]
				if p == q {
					continue
				}
				eb := orb.Bound{Min: orb.Point{min(p[0], q[0]), min(p[1], q[1])}, Max: orb.Point{max(p[0], q[0]), max(p[1], q[1])}}
				if !eb.Intersects(ob) {
					continue // wholly outside other
				}
				ts = append(ts[:0], 0, 1)
				ts = splitParams(ts, p, q, other, tol)
				slices.Sort(ts)
				d := orb.Point{q[0] - p[0], q[1] - p[1]}
				for k := 0; k+1 < len(ts); k++ {
					t0, t1 := ts[k], ts[k+1]
					if t1-t0 <= 1e-12 {
						continue
					}
					a := orb.Point{p[0] + t0*d[0], p[1] + t0*d[1]}
					b := orb.Point{p[0] + t1*d[0], p[1] + t1*d[1]}
					m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
					loc, dir := locateMulti(other, m, tol)
					include := loc == locIn
					if loc == locOn && keepShared {
						include = dir[0]*d[0]+dir[1]*d[1] > 0
					}
					if include {
						sum += (a[0]*b[1] - b[0]*a[1]) / 2
					}
				}
			}
		}
	}
	return sum
}

// splitParams appends the parameters t in (0, 1) at which segment p-q
// meets the boundary of other.
func splitParams(ts []float64, p, q orb.Point, other [][][]orb.Point, tol float64) []float64 {
	d := orb.Point{q[0] - p[0], q[1] - p[1]}
	l2 := d[0]*d[0] + d[1]*d[1]
	minX, maxX := min(p[0], q[0])-tol, max(p[0], q[0])+tol
	minY, maxY := min(p[1], q[1])-tol, max(p[1], q[1])+tol
	add := func(t float64) []float64 {
		if t > 0 && t < 1 {
			ts = append(ts, t)
		}
		return ts
	}
	for _, poly := range other {
		for _, r := range poly {
			for j := 0; j+1 < len(r); j++ {
				u, v := r[j], r[j+1]
				if max(u[0], v[0]) < minX || min(u[0], v[0]) > maxX || max(u[1], v[1]) < minY || min(u[1], v[1]) > maxY {
					continue
				}
				e := orb.Point{v[0] - u[0], v[1] - u[1]}
				den := d[0]*e[1] - d[1]*e[0]
				w := orb.Point{u[0] - p[0], u[1] - p[1]}
				el := math.Sqrt(e[0]*e[0] + e[1]*e[1])
				// Endpoints of the other edge lying on p-q split it.
				for _, x := range [2]orb.Point{u, v} {
					if distToSeg(p, q, x) <= tol {
						ts = add(((x[0]-p[0])*d[0] + (x[1]-p[1])*d[1]) / l2)
					}
				}
				if math.Abs(den) <= 1e-15*math.Sqrt(l2)*el {
					continue // parallel: handled by the endpoint tests
				}
				t := (w[0]*e[1] - w[1]*e[0]) / den
				s := (w[0]*d[1] - w[1]*d[0]) / den
				if s >= 0 && s <= 1 {
					ts = add(t)
				}
			}
		}
	}
	return ts
}

func distToSeg(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	x, y := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return math.Hypot(x, y)
}

// locateMulti classifies m against a multipolygon (planar, tolerance tol).
// When m is on the boundary it also returns the direction of that edge.
func locateMulti(mp [][][]orb.Point, m orb.Point, tol float64) (location, orb.Point) {
	in := false
	for _, poly := range mp {
		parity := false
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if distToSeg(a, b, m) <= tol {
					return locOn, orb.Point{b[0] - a[0], b[1] - a[1]}
				}
				if crosses(a, b, m) {
					parity = !parity
				}
			}
		}
		in = in || parity
	}
	if in {
		return locIn, orb.Point{}
	}
	return locOut, orb.Point{}
}
