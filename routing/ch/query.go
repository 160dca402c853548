package ch

import (
	"lifeline/routing/graph"

	"github.com/paulmach/orb"
)

// nodeState is the per-node state of one search direction, kept in one
// struct so that relaxing an arc touches one cache line: distance,
// predecessor and the node's place in the heap. The length of the path is
// not carried: it is summed along the predecessor chain of the meeting
// node once the search ends (a few dozen arcs instead of one random ArcLen
// read per relaxed arc).
type nodeState struct {
	dist  graph.Weight
	stamp uint32
	pnode graph.NodeID // predecessor in the search tree, -1 at a seed
	parc  int32        // arc from pnode, or the seed's leg index
	pos   int32        // index in the heap, -1 once popped
}

// side is the state of one direction of a bidirectional search, with its
// own binary heap of (key, node) whose positions live in st.
type side struct {
	st    []nodeState
	epoch uint32
	keys  []graph.Weight
	nodes []graph.NodeID
	// length of settled nodes (m), only for upward searches (Many), where
	// every settled node needs it; read only for nodes settled this epoch.
	length []float64
}

func newSide(n int) side {
	return side{st: make([]nodeState, n)}
}

func (s *side) reset() {
	s.epoch++
	if s.epoch == 0 {
		clear(s.st)
		s.epoch = 1
	}
	s.keys, s.nodes = s.keys[:0], s.nodes[:0]
}

func (s *side) d(v graph.NodeID) graph.Weight {
	if st := &s.st[v]; st.stamp == s.epoch {
		return st.dist
	}
	return graph.Inf
}

// relax lowers v's distance to d via arc from p, queueing v.
func (s *side) relax(v graph.NodeID, d graph.Weight, p graph.NodeID, arc int32) {
	st := &s.st[v]
	if st.stamp == s.epoch && d >= st.dist {
		return
	}
	i := int(st.pos)
	if st.stamp != s.epoch || i < 0 {
		i = len(s.keys)
		s.keys = append(s.keys, d)
		s.nodes = append(s.nodes, v)
	}
	*st = nodeState{dist: d, stamp: s.epoch, pnode: p, parc: arc}
	s.up(i, v, d)
}

// minKey returns the smallest queued key, graph.Inf when empty.
func (s *side) minKey() graph.Weight {
	if len(s.keys) == 0 {
		return graph.Inf
	}
	return s.keys[0]
}

// pop removes the queued node of smallest key.
func (s *side) pop() (graph.NodeID, graph.Weight) {
	v, k := s.nodes[0], s.keys[0]
	s.st[v].pos = -1
	last := len(s.keys) - 1
	lk, lv := s.keys[last], s.nodes[last]
	s.keys, s.nodes = s.keys[:last], s.nodes[:last]
	if last > 0 {
		s.down(lk, lv)
	}
	return v, k
}

// up moves node v of key k from slot i towards the root.
func (s *side) up(i int, v graph.NodeID, k graph.Weight) {
	for i > 0 {
		p := (i - 1) / 2
		if s.keys[p] <= k {
			break
		}
		s.keys[i], s.nodes[i] = s.keys[p], s.nodes[p]
		s.st[s.nodes[i]].pos = int32(i)
		i = p
	}
	s.keys[i], s.nodes[i] = k, v
	s.st[v].pos = int32(i)
}

// down places node v of key k, taken from the end, starting at the root.
func (s *side) down(k graph.Weight, v graph.NodeID) {
	n := len(s.keys)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.keys[r] < s.keys[l] {
			m = r
		}
		if k <= s.keys[m] {
			break
		}
		s.keys[i], s.nodes[i] = s.keys[m], s.nodes[m]
		s.st[s.nodes[i]].pos = int32(i)
		i = m
	}
	s.keys[i], s.nodes[i] = k, v
	s.st[v].pos = int32(i)
}

// chainLength is the length (m) of the search tree path from a seed to v:
// the seed's leg plus the arcs of the chain, added seed first (the order
// of an upward search, so that Many gives the same float sums). buf is
// scratch space, returned for reuse.
func (s *side) chainLength(h *Hierarchy, legs []graph.Leg, v graph.NodeID, buf []int32) (float64, []int32) {
	buf = buf[:0]
	for s.st[v].pnode >= 0 {
		buf = append(buf, s.st[v].parc)
		v = s.st[v].pnode
	}
	l := legs[s.st[v].parc].Length
	for i := len(buf) - 1; i >= 0; i-- {
		l += float64(h.ArcLen[buf[i]])
	}
	return l, buf
}

// Query holds the per-query state (O(n) memory, reset in O(1) by epoch
// stamps). A Query is not safe for concurrent use; make one per goroutine
// or keep them in a sync.Pool.
type Query struct {
	h        *Hierarchy
	f, b     side
	noUnpack bool
	stack    []int32
	up       []int32
	// Settled counts the nodes settled by the last Route or Cost.
	Settled int
}

// Cost is Route without path unpacking: it returns the travel time (ms)
// and length (m) of a fastest path, ok false when none exists.
func (q *Query) Cost(s, t graph.Snap, c *graph.Closure) (graph.Weight, float64, bool) {
	q.noUnpack = true
	p, ok := q.Route(s, t, c)
	q.noUnpack = false
	return p.Time, p.Length, ok
}

// NewQuery returns query state for h.
func NewQuery(h *Hierarchy) *Query {
	n := h.g.NumNodes()
	return &Query{h: h, f: newSide(n), b: newSide(n)}
}

// Path is the result of a one-to-one query.
type Path struct {
	Time   graph.Weight // milliseconds
	Length float64      // metres
	// Edges are the graph edges driven, in order, including the partial
	// first and last edges (the legs). For a same-edge route it holds the
	// one edge.
	Edges []graph.EdgeID
	// SameEdge is true when the route stays on the snapped segment.
	SameEdge bool
	From, To graph.Snap
}

// stalled reports whether forward (fwd) or backward node v has a shorter
// path through a higher-ranked neighbour, so its arcs need not be relaxed
// (stall-on-demand).
func (h *Hierarchy) stalled(s *side, v graph.NodeID, fwd bool, c *graph.Closure) bool {
	dv := s.st[v].dist
	arcs := h.Bwd[h.BwdFirst[v]:h.BwdFirst[v+1]]
	if !fwd {
		arcs = h.Fwd[h.FwdFirst[v]:h.FwdFirst[v+1]]
	}
	for _, a := range arcs {
		if du := s.d(a.Head); du < graph.Inf && du+a.W < dv && !h.arcClosed(c, a.ID) {
			return true
		}
	}
	return false
}

// Route returns a fastest path from s to t under closure c (nil: none;
// c.Set must be the CoreSet the hierarchy was built with when not nil),
// ok false when t is unreachable. Bidirectional Dijkstra on the upward
// graphs with stall-on-demand; a few hundred settled nodes on a city.
func (q *Query) Route(s, t graph.Snap, c *graph.Closure) (Path, bool) {
	h, g := q.h, q.h.g
	p := Path{Time: graph.Inf, From: s, To: t}
	if w, l, ok := g.SameEdge(s, t); ok && !c.EdgeClosed(s.Edge) {
		e, ft := s.Edge, t.Frac
		if t.Edge != s.Edge {
			ft = 1 - t.Frac
		}
		if ft < s.Frac {
			e = s.Rev
		}
		p.Time, p.Length, p.SameEdge, p.Edges = w, l, true, []graph.EdgeID{e}
	}
	sl, tl := g.SourceLegs(s), g.TargetLegs(t)
	q.f.reset()
	q.b.reset()
	for i, l := range sl {
		if !c.Closed(l.Node) && !c.EdgeClosed(l.Edge) {
			q.f.relax(graph.NodeID(h.Rank[l.Node]), l.Time, -1, int32(i))
		}
	}
	for i, l := range tl {
		if !c.Closed(l.Node) && !c.EdgeClosed(l.Edge) {
			q.b.relax(graph.NodeID(h.Rank[l.Node]), l.Time, -1, int32(i))
		}
	}
	best := p.Time
	meet := graph.NodeID(-1)
	q.Settled = 0
	for {
		fk, bk := q.f.minKey(), q.b.minKey()
		if fk >= best && bk >= best {
			break
		}
		fwd := fk <= bk
		s, o := &q.f, &q.b
		if !fwd {
			s, o = &q.b, &q.f
		}
		v, dv := s.pop()
		q.Settled++
		if do := o.d(v); do < graph.Inf && dv+do < best {
			best, meet = dv+do, v
		}
		if h.stalled(s, v, fwd, c) {
			continue
		}
		arcs := h.Fwd[h.FwdFirst[v]:h.FwdFirst[v+1]]
		if !fwd {
			arcs = h.Bwd[h.BwdFirst[v]:h.BwdFirst[v+1]]
		}
		for _, a := range arcs {
			if c != nil && (h.closed(c, a.Head) || h.arcClosed(c, a.ID)) {
				continue
			}
			s.relax(a.Head, dv+a.W, v, a.ID)
		}
	}
	if meet < 0 {
		return p, p.SameEdge
	}
	p.SameEdge = false
	p.Time = best
	lf, buf := q.f.chainLength(h, sl, meet, q.stack)
	lb, buf := q.b.chainLength(h, tl, meet, buf)
	q.stack = buf
	p.Length = lf + lb
	if q.noUnpack {
		return p, true
	}
	// forward chain: meet back to a seed
	up := q.up[:0]
	v := meet
	for q.f.st[v].pnode >= 0 {
		up = append(up, q.f.st[v].parc)
		v = q.f.st[v].pnode
	}
	q.up = up
	first := sl[q.f.st[v].parc]
	edges := make([]graph.EdgeID, 1, 64)
	edges[0] = first.Edge
	for i := len(up) - 1; i >= 0; i-- {
		edges, q.stack = h.unpack(edges, up[i], q.stack)
	}
	v = meet
	for q.b.st[v].pnode >= 0 {
		edges, q.stack = h.unpack(edges, q.b.st[v].parc, q.stack)
		v = q.b.st[v].pnode
	}
	edges = append(edges, tl[q.b.st[v].parc].Edge)
	p.Edges = edges
	return p, true
}

// unpack appends the original edges of arc a to out. Iterative, O(edges);
// stack is scratch space, returned for reuse.
func (h *Hierarchy) unpack(out []graph.EdgeID, a int32, stack []int32) ([]graph.EdgeID, []int32) {
	stack = append(stack[:0], a)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if h.ArcA[x] < 0 {
			out = append(out, graph.EdgeID(h.ArcB[x]))
			continue
		}
		stack = append(stack, h.ArcB[x], h.ArcA[x])
	}
	return out, stack
}

// Geometry returns the drawn line of p, [lon, lat]: the snapped origin,
// the nodes passed and the snapped destination.
func (h *Hierarchy) Geometry(p Path) orb.LineString {
	g := h.g
	ls := orb.LineString{p.From.Point}
	if !p.SameEdge {
		for _, e := range p.Edges[:len(p.Edges)-1] {
			ls = append(ls, g.Point(g.Head[e]))
		}
	}
	return append(ls, p.To.Point)
}

// StreetLeg is a run of consecutive edges with the same street name.
type StreetLeg struct {
	Name   string  `json:"name"`
	Length float64 `json:"distance_m"`
	Time   float64 `json:"time_s"`
}

// Streets returns the street names along p with the distance (m) and time
// (s) on each, merging consecutive edges of the same name. Partial first
// and last edges count their driven fraction.
func (h *Hierarchy) Streets(p Path) []StreetLeg {
	g := h.g
	var out []StreetLeg
	for i, e := range p.Edges {
		frac := 1.0
		switch {
		case p.SameEdge:
			frac = p.Length / max(float64(g.Length[e]), 1e-9)
		case i == 0:
			frac = 1 - p.From.Frac
			if e == p.From.Rev {
				frac = p.From.Frac
			}
		case i == len(p.Edges)-1:
			frac = p.To.Frac
			if e == p.To.Rev {
				frac = 1 - p.To.Frac
			}
		}
		l, t := float64(g.Length[e])*frac, float64(g.Time[e])*frac/1000
		name := g.EdgeName(e)
		if len(out) > 0 && out[len(out)-1].Name == name {
			out[len(out)-1].Length += l
			out[len(out)-1].Time += t
			continue
		}
		out = append(out, StreetLeg{Name: name, Length: l, Time: t})
	}
	return out
}
