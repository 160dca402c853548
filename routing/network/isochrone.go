package network

import (
	"context"
	"fmt"
	"math"

	"lifeline/routing/graph"

	"github.com/paulmach/orb"
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
	r.segs = make([]float64, 0, 4*(3*len(sr.Settled)+4))
	r.mark(a.Point)
	for _, l := range g.SourceLegs(a.snap) {
		if c.EdgeClosed(l.Edge) || c.Closed(l.Node) {
			continue
		}
		frac := 1.0
		if l.Time > limit {
			frac = float64(limit) / float64(l.Time)
		}
		r.line(a.Point, g.Point(g.Head[l.Edge]), frac) // head of Rev is the tail of Edge
	}
	for _, u := range sr.Settled {
		du := sr.Dist(u)
		pu := g.Point(u)
		if g.FirstOut[u] == g.FirstOut[u+1] {
			r.mark(pu)
		}
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			v := g.Head[e]
			if c.Closed(v) || c.EdgeClosed(graph.EdgeID(e)) {
				r.mark(pu)
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

// raster collects segments in cell units, then marks the cells they touch
// in a dense bitmap over their bounding box.
type raster struct {
	o          orb.Point
	kx, ky     float64 // metres per degree
	cell       float64
	segs       []float64 // x0, y0, x1, y1 in cell units
	minx, miny int32
	w, h       int32
	bits       []bool
}

func newRaster(o orb.Point, cell float64) *raster {
	ky := 6371008.8 * math.Pi / 180
	return &raster{o: o, kx: ky * math.Cos(o[1]*math.Pi/180), ky: ky, cell: cell}
}

func (r *raster) xy(p orb.Point) (float64, float64) {
	return (p[0] - r.o[0]) * r.kx / r.cell, (p[1] - r.o[1]) * r.ky / r.cell
}

func (r *raster) mark(p orb.Point) { r.line(p, p, 1) }

// line records the first frac of segment a-b.
func (r *raster) line(a, b orb.Point, frac float64) {
	ax, ay := r.xy(a)
	bx, by := r.xy(b)
	r.segs = append(r.segs, ax, ay, ax+(bx-ax)*frac, ay+(by-ay)*frac)
}

func (r *raster) has(x, y int32) bool {
	x, y = x-r.minx, y-r.miny
	return x >= 0 && y >= 0 && x < r.w && y < r.h && r.bits[y*r.w+x]
}

// fill marks the cells of every recorded segment, sampled every half cell.
func (r *raster) fill() {
	if len(r.segs) == 0 {
		return
	}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for i := 0; i < len(r.segs); i += 2 {
		lo[0], lo[1] = math.Min(lo[0], r.segs[i]), math.Min(lo[1], r.segs[i+1])
		hi[0], hi[1] = math.Max(hi[0], r.segs[i]), math.Max(hi[1], r.segs[i+1])
	}
	r.minx, r.miny = int32(math.Floor(lo[0])), int32(math.Floor(lo[1]))
	r.w, r.h = int32(math.Floor(hi[0]))-r.minx+1, int32(math.Floor(hi[1]))-r.miny+1
	r.bits = make([]bool, int(r.w)*int(r.h))
	set := func(x, y float64) {
		cx, cy := int32(math.Floor(x))-r.minx, int32(math.Floor(y))-r.miny
		r.bits[cy*r.w+cx] = true
	}
	for i := 0; i < len(r.segs); i += 4 {
		ax, ay, bx, by := r.segs[i], r.segs[i+1], r.segs[i+2], r.segs[i+3]
		set(ax, ay)
		set(bx, by)
		steps := int(math.Max(math.Abs(bx-ax), math.Abs(by-ay)) * 2)
		for k := 1; k < steps; k++ {
			t := float64(k) / float64(steps)
			set(ax+t*(bx-ax), ay+t*(by-ay))
		}
	}
}

// polygons traces the outline of the marked cells: directed boundary edges
// with the filled cell on the left, chained preferring left turns (so that
// cells touching only at a corner stay separate polygons); positive rings
// are exteriors, negative ones holes assigned to the exterior containing
// them.
func (r *raster) polygons() orb.MultiPolygon {
	type pt = [2]int32
	r.fill()
	// 4-connected components of the filled cells: each has one exterior
	// ring, and a hole belongs to the component on the left of its edges.
	label := make([]int32, len(r.bits))
	var queue []int32
	ncomp := int32(0)
	for i, on := range r.bits {
		if !on || label[i] != 0 {
			continue
		}
		ncomp++
		label[i] = ncomp
		queue = append(queue[:0], int32(i))
		for len(queue) > 0 {
			c := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			x, y := c%r.w, c/r.w
			for _, d := range [4][2]int32{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= r.w || ny >= r.h {
					continue
				}
				k := ny*r.w + nx
				if r.bits[k] && label[k] == 0 {
					label[k] = ncomp
					queue = append(queue, k)
				}
			}
		}
	}
	compOf := func(from, to pt) int32 {
		x, y := from[0], from[1]
		switch {
		case to[1] > y:
			x--
		case to[0] < x:
			x, y = x-1, y-1
		case to[1] < y:
			y--
		}
		return label[(y-r.miny)*r.w+(x-r.minx)]
	}
	outerOf := make([]int, ncomp+1)
	for i := range outerOf {
		outerOf[i] = -1
	}
	type hole struct {
		ring orb.Ring
		comp int32
	}
	next := map[pt][]pt{}
	add := func(a, b pt) { next[a] = append(next[a], b) }
	for i, on := range r.bits {
		if !on {
			continue
		}
		x, y := int32(i)%r.w+r.minx, int32(i)/r.w+r.miny
		if !r.has(x, y-1) {
			add(pt{x, y}, pt{x + 1, y})
		}
		if !r.has(x+1, y) {
			add(pt{x + 1, y}, pt{x + 1, y + 1})
		}
		if !r.has(x, y+1) {
			add(pt{x + 1, y + 1}, pt{x, y + 1})
		}
		if !r.has(x-1, y) {
			add(pt{x, y + 1}, pt{x, y})
		}
	}
	var outers []orb.Polygon
	var holes []hole
	for len(next) > 0 {
		var start pt
		for k := range next {
			start = k
			break
		}
		ring := []pt{start}
		comp := compOf(start, next[start][0])
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
			outerOf[comp] = len(outers)
			outers = append(outers, orb.Polygon{out})
		} else {
			holes = append(holes, hole{out, comp})
		}
	}
	for _, h := range holes {
		if i := outerOf[h.comp]; i >= 0 {
			outers[i] = append(outers[i], h.ring)
		}
	}
	return orb.MultiPolygon(outers)
}
