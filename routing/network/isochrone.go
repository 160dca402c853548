package network

import (
	"context"
	"fmt"
	"math"

	"lifeline/routing/graph"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Isochrone is the area reachable from a point within a travel time.
type Isochrone struct {
	Seconds float64 `json:"seconds"`
	// Polygon is the union of the grid cells (Options.IsochroneCell metres
	// square, in a local equirectangular projection) touched by the reached
	// part of the network: every reached node and every reached stretch of
	// an edge, sampled every half cell, including the partial end of edges
	// left with time to spare. Exterior rings are counter-clockwise and
	// holes clockwise (RFC 7946). Cells give a conservative, hole-preserving
	// outline that is cheap to compute (no concave-hull parameters).
	Polygon orb.MultiPolygon `json:"-"`
	// Nodes are the coordinates of the reached graph nodes ([lon, lat]);
	// the API turns them into H3 cells with geo/h3grid.
	Nodes []orb.Point `json:"-"`
	// Times are the travel times in seconds of Nodes.
	Times   []float64 `json:"-"`
	From    Snap      `json:"from"`
	Version uint64    `json:"version"`
}

// Isochrone returns the area reachable from p within seconds, under the
// sealed zones in force (the zones containing p are open). A bounded plain
// Dijkstra on the graph, O(reached edges log n), then cell rasterisation
// and ring tracing, O(reached edges + cells).
func (n *Network) Isochrone(ctx context.Context, p orb.Point, seconds float64) (Isochrone, error) {
	if err := ctx.Err(); err != nil {
		return Isochrone{}, err
	}
	if !(seconds >= 0) || seconds > 24*3600 {
		return Isochrone{}, fmt.Errorf("isochrone: seconds %v outside [0, 86400]", seconds)
	}
	a, err := n.Snap(p)
	if err != nil {
		return Isochrone{}, fmt.Errorf("isochrone: %w", err)
	}
	s := n.cur.Load()
	c := s.closure(s.zonesOf(p))
	limit := graph.Weight(seconds * 1000)
	sr := n.searches.Get().(*graph.Search)
	defer n.searches.Put(sr)
	g := n.g
	sr.Run(g.SourceLegs(a.snap), c, limit)
	iso := Isochrone{Seconds: seconds, From: a, Version: s.version}
	iso.Nodes = make([]orb.Point, len(sr.Settled))
	iso.Times = make([]float64, len(sr.Settled))
	for i, v := range sr.Settled {
		iso.Nodes[i] = g.Point(v)
		iso.Times[i] = float64(sr.Dist(v)) / 1000
	}
	// rasterise
	r := newRaster(p, n.opts.IsochroneCell)
	r.mark(a.Point)
	for _, l := range g.SourceLegs(a.snap) {
		frac := 1.0
		if l.Time > limit {
			frac = float64(limit) / float64(l.Time)
		}
		r.line(a.Point, g.Point(g.Head[l.Edge]), frac) // head of Rev is the tail of Edge
	}
	for _, u := range sr.Settled {
		du := sr.Dist(u)
		pu := g.Point(u)
		r.mark(pu)
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			v := g.Head[e]
			if c.Closed(v) {
				continue
			}
			left := limit - du
			frac := 1.0
			if g.Time[e] > left {
				frac = float64(left) / float64(g.Time[e])
			}
			r.line(pu, g.Point(v), frac)
		}
	}
	iso.Polygon = r.polygons()
	return iso, nil
}

// raster is a sparse set of grid cells around an origin.
type raster struct {
	o      orb.Point
	kx, ky float64 // metres per degree
	cell   float64
	cells  map[[2]int32]struct{}
}

func newRaster(o orb.Point, cell float64) *raster {
	ky := 6371008.8 * math.Pi / 180
	return &raster{o: o, kx: ky * math.Cos(o[1]*math.Pi/180), ky: ky, cell: cell, cells: map[[2]int32]struct{}{}}
}

func (r *raster) xy(p orb.Point) (float64, float64) {
	return (p[0] - r.o[0]) * r.kx / r.cell, (p[1] - r.o[1]) * r.ky / r.cell
}

func (r *raster) mark(p orb.Point) {
	x, y := r.xy(p)
	r.cells[[2]int32{int32(math.Floor(x)), int32(math.Floor(y))}] = struct{}{}
}

// line marks the cells along the first frac of segment a-b, sampled every
// half cell.
func (r *raster) line(a, b orb.Point, frac float64) {
	ax, ay := r.xy(a)
	bx, by := r.xy(b)
	bx, by = ax+(bx-ax)*frac, ay+(by-ay)*frac
	steps := int(math.Ceil(math.Hypot(bx-ax, by-ay) * 2))
	for i := 0; i <= steps; i++ {
		t := 1.0
		if steps > 0 {
			t = float64(i) / float64(steps)
		}
		r.cells[[2]int32{int32(math.Floor(ax + t*(bx-ax))), int32(math.Floor(ay + t*(by-ay)))}] = struct{}{}
	}
}

// polygons traces the outline of the marked cells: directed boundary edges
// with the filled cell on the left, chained preferring left turns (so that
// cells touching only at a corner stay separate polygons); positive rings
// are exteriors, negative ones holes assigned to the exterior containing
// them.
func (r *raster) polygons() orb.MultiPolygon {
	type pt = [2]int32
	next := map[pt][]pt{}
	add := func(a, b pt) { next[a] = append(next[a], b) }
	for c := range r.cells {
		x, y := c[0], c[1]
		if _, ok := r.cells[pt{x, y - 1}]; !ok {
			add(pt{x, y}, pt{x + 1, y})
		}
		if _, ok := r.cells[pt{x + 1, y}]; !ok {
			add(pt{x + 1, y}, pt{x + 1, y + 1})
		}
		if _, ok := r.cells[pt{x, y + 1}]; !ok {
			add(pt{x + 1, y + 1}, pt{x, y + 1})
		}
		if _, ok := r.cells[pt{x - 1, y}]; !ok {
			add(pt{x, y + 1}, pt{x, y})
		}
	}
	var outers []orb.Polygon
	var holes []orb.Ring
	for len(next) > 0 {
		var start pt
		for k := range next {
			start = k
			break
		}
		ring := []pt{start}
		cur := start
		var dir pt
		for {
			outs := next[cur]
			if len(outs) == 0 {
				break
			}
			k := 0
			if len(outs) > 1 {
				// prefer the left turn relative to dir
				best := -3
				for i, o := range outs {
					d := pt{o[0] - cur[0], o[1] - cur[1]}
					turn := int(dir[0]*d[1] - dir[1]*d[0]) // +1 left, 0 straight, -1 right
					if turn > best {
						best, k = turn, i
					}
				}
			}
			nxt := outs[k]
			outs[k] = outs[len(outs)-1]
			outs = outs[:len(outs)-1]
			if len(outs) == 0 {
				delete(next, cur)
			} else {
				next[cur] = outs
			}
			dir = pt{nxt[0] - cur[0], nxt[1] - cur[1]}
			cur = nxt
			if cur == start {
				break
			}
			ring = append(ring, cur)
		}
		// drop collinear vertices and convert
		var out orb.Ring
		m := len(ring)
		for i := 0; i < m; i++ {
			p, c, nx := ring[(i+m-1)%m], ring[i], ring[(i+1)%m]
			if (c[0]-p[0])*(nx[1]-c[1])-(c[1]-p[1])*(nx[0]-c[0]) == 0 {
				continue
			}
			out = append(out, orb.Point{r.o[0] + float64(c[0])*r.cell/r.kx, r.o[1] + float64(c[1])*r.cell/r.ky})
		}
		if len(out) < 3 {
			continue
		}
		out = append(out, out[0])
		if out.Orientation() == orb.CCW {
			outers = append(outers, orb.Polygon{out})
		} else {
			holes = append(holes, out)
		}
	}
	for _, h := range holes {
		for i := range outers {
			if planar.RingContains(outers[i][0], h[0]) || onRing(outers[i][0], h[0]) {
				outers[i] = append(outers[i], h)
				break
			}
		}
	}
	return orb.MultiPolygon(outers)
}

func onRing(r orb.Ring, p orb.Point) bool {
	for _, q := range r {
		if q == p {
			return true
		}
	}
	return false
}
