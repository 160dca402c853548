package network

import (
	"math"
	"slices"

	"lifeline/routing/graph"

	"github.com/paulmach/orb"
)

// Street is one road segment for the map: edge Edge from From to To.
// A two-way road appears once (as its edge from the lower node id), with
// Oneway false.
type Street struct {
	Edge     graph.EdgeID
	From, To orb.Point
	Name     string
	Oneway   bool
}

// Streets returns the road segments that meet bbox (the closed rectangle;
// every segment when bbox is nil), in edge order, at most limit of them
// (limit <= 0: no limit); truncated is true when more would match. A
// segment is returned when the segment itself crosses or touches the
// rectangle, not merely its bounding box. The first call builds a grid
// over the segments (linear in the graph); later calls visit only the grid
// cells the rectangle covers, unless it covers most of the graph, where a
// scan in edge order is cheaper.
func (n *Network) Streets(bbox *orb.Bound, limit int) (streets []Street, truncated bool) {
	n.streetsOnce.Do(func() { n.streets = newStreetIndex(n.g) })
	return n.streets.query(bbox, limit)
}

// streetIndex is a uniform grid (in degrees, cells about square on the
// ground) over the segments Streets reports: each segment is listed in every
// cell its bounding box covers.
type streetIndex struct {
	g                *graph.Graph
	lon0, lat0       float64 // south-west corner of the grid
	cellLon, cellLat float64 // cell size in degrees
	nx, ny           int
	first            []int32 // len nx*ny+1: cell c holds items[first[c]:first[c+1]]
	items            []graph.EdgeID
	segments         int // segments indexed (two-way roads once)
	minLon, minLat   float64
	maxLon, maxLat   float64
	empty            bool
}

// streetEdge reports whether e is listed: one-way edges, and the edge of a
// two-way road whose head is not below its tail (the same rule as before
// the index: the road is written from its lower end).
func streetEdge(g *graph.Graph, e int) bool {
	return g.Reverse(graph.EdgeID(e)) < 0 || int(g.Head[e]) >= int(g.Tail[e])
}

func newStreetIndex(g *graph.Graph) *streetIndex {
	s := &streetIndex{g: g}
	if g.NumNodes() == 0 || g.NumEdges() == 0 {
		s.empty = true
		return s
	}
	s.minLon, s.minLat, s.maxLon, s.maxLat = g.Lon[0], g.Lat[0], g.Lon[0], g.Lat[0]
	for v := 1; v < g.NumNodes(); v++ {
		s.minLon, s.maxLon = math.Min(s.minLon, g.Lon[v]), math.Max(s.maxLon, g.Lon[v])
		s.minLat, s.maxLat = math.Min(s.minLat, g.Lat[v]), math.Max(s.maxLat, g.Lat[v])
	}
	for e := 0; e < g.NumEdges(); e++ {
		if streetEdge(g, e) {
			s.segments++
		}
	}
	// About two segments per cell, square cells on the ground, at most 4M
	// cells.
	cosLat := math.Max(math.Cos((s.minLat+s.maxLat)/2*math.Pi/180), 0.01)
	w, h := (s.maxLon-s.minLon)*cosLat, s.maxLat-s.minLat
	cells := math.Min(math.Max(float64(s.segments)/2, 1), 4<<20)
	side := math.Sqrt(w * h / cells)
	if !(side > 0) {
		side = math.Max(w, h) / cells
	}
	if !(side > 0) {
		side = 1e-3
	}
	s.lon0, s.lat0 = s.minLon, s.minLat
	s.cellLon, s.cellLat = side/cosLat, side
	s.nx = min(int(w/side)+1, 1<<22)
	s.ny = min(int(h/side)+1, 1<<22)
	for s.nx*s.ny > 4<<20 {
		s.cellLon, s.cellLat = s.cellLon*2, s.cellLat*2
		s.nx, s.ny = int((s.maxLon-s.minLon)/s.cellLon)+1, int((s.maxLat-s.minLat)/s.cellLat)+1
	}
	s.first = make([]int32, s.nx*s.ny+1)
	var pos []int32
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			for i := 1; i < len(s.first); i++ {
				s.first[i] += s.first[i-1]
			}
			s.items = make([]graph.EdgeID, s.first[len(s.first)-1])
			pos = slices.Clone(s.first)
		}
		for e := 0; e < g.NumEdges(); e++ {
			if !streetEdge(g, e) {
				continue
			}
			x0, y0, x1, y1 := s.segCells(graph.EdgeID(e))
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					c := y*s.nx + x
					if pass == 0 {
						s.first[c+1]++
					} else {
						s.items[pos[c]] = graph.EdgeID(e)
						pos[c]++
					}
				}
			}
		}
	}
	return s
}

func (s *streetIndex) cx(lon float64) int {
	return clampCell(math.Floor((lon-s.lon0)/s.cellLon), s.nx)
}

func (s *streetIndex) cy(lat float64) int {
	return clampCell(math.Floor((lat-s.lat0)/s.cellLat), s.ny)
}

func clampCell(v float64, n int) int {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= float64(n-1):
		return n - 1
	}
	return int(v)
}

// segCells is the cell range of e's bounding box.
func (s *streetIndex) segCells(e graph.EdgeID) (x0, y0, x1, y1 int) {
	g := s.g
	a, b := g.Tail[e], g.Head[e]
	return s.cx(math.Min(g.Lon[a], g.Lon[b])), s.cy(math.Min(g.Lat[a], g.Lat[b])),
		s.cx(math.Max(g.Lon[a], g.Lon[b])), s.cy(math.Max(g.Lat[a], g.Lat[b]))
}

func (s *streetIndex) street(e graph.EdgeID) Street {
	g := s.g
	return Street{Edge: e, From: g.Point(g.Tail[e]), To: g.Point(g.Head[e]), Name: g.EdgeName(e), Oneway: g.Reverse(e) < 0}
}

// meets reports whether edge e's segment meets the closed rectangle bb.
func (s *streetIndex) meets(e graph.EdgeID, bb *orb.Bound) bool {
	g := s.g
	a, b := g.Tail[e], g.Head[e]
	return segmentMeetsBound(g.Lon[a], g.Lat[a], g.Lon[b], g.Lat[b], bb)
}

func (s *streetIndex) query(bb *orb.Bound, limit int) ([]Street, bool) {
	if limit <= 0 {
		limit = math.MaxInt
	}
	if s.empty {
		return nil, false
	}
	if bb != nil && (bb.Max[0] < s.minLon || bb.Min[0] > s.maxLon || bb.Max[1] < s.minLat || bb.Min[1] > s.maxLat) {
		return nil, false
	}
	if bb == nil {
		return s.scan(nil, limit)
	}
	x0, y0, x1, y1 := s.cx(bb.Min[0]), s.cy(bb.Min[1]), s.cx(bb.Max[0]), s.cy(bb.Max[1])
	listed := 0
	for y := y0; y <= y1; y++ {
		listed += int(s.first[y*s.nx+x1+1] - s.first[y*s.nx+x0])
	}
	if listed > s.segments/2 {
		return s.scan(bb, limit)
	}
	var found []graph.EdgeID
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			c := y*s.nx + x
			for _, e := range s.items[s.first[c]:s.first[c+1]] {
				// A segment listed in several cells of the query is
				// taken in the first of them only.
				sx0, sy0, _, _ := s.segCells(e)
				if max(sx0, x0) != x || max(sy0, y0) != y {
					continue
				}
				if s.meets(e, bb) {
					found = append(found, e)
				}
			}
		}
	}
	slices.Sort(found)
	truncated := len(found) > limit
	if truncated {
		found = found[:limit]
	}
	out := make([]Street, len(found))
	for i, e := range found {
		out[i] = s.street(e)
	}
	return out, truncated
}

// scan walks every edge in order, for nil bb or a rectangle covering most
// of the graph.
func (s *streetIndex) scan(bb *orb.Bound, limit int) ([]Street, bool) {
	var out []Street
	for e := 0; e < s.g.NumEdges(); e++ {
		if !streetEdge(s.g, e) || (bb != nil && !s.meets(graph.EdgeID(e), bb)) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, s.street(graph.EdgeID(e)))
	}
	return out, false
}

// segmentMeetsBound reports whether the segment (ax, ay)-(bx, by) meets the
// closed rectangle bb (Liang-Barsky clipping).
func segmentMeetsBound(ax, ay, bx, by float64, bb *orb.Bound) bool {
	dx, dy := bx-ax, by-ay
	t0, t1 := 0.0, 1.0
	clip := func(p, q float64) bool { // p*t <= q
		switch {
		case p == 0:
			return q >= 0
		case p < 0:
			if r := q / p; r > t0 {
				t0 = r
			}
		default:
			if r := q / p; r < t1 {
				t1 = r
			}
		}
		return t0 <= t1
	}
	return clip(-dx, ax-bb.Min[0]) && clip(dx, bb.Max[0]-ax) &&
		clip(-dy, ay-bb.Min[1]) && clip(dy, bb.Max[1]-ay)
}
