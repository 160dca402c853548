package graph

// Closure marks the nodes that a search may not visit: the nodes inside
// sealed zones that are not open for this query. Set[v] is -1 for a node in
// no sealed zone, else the id of the set of zones containing it; Open[s]
// says whether set s is open (one of its zones contains the query's origin
// or destination). A nil *Closure closes nothing.
//
// EdgeSet[e] (nil when unused) is the set of the zones that edge e crosses
// while both its end nodes lie outside every zone (a long segment through
// a small zone), or -1: such an edge is closed unless its set is open.
//
// Rule shared by every search (CH, the oracle, isochrones): a path never
// visits a closed node nor drives a closed edge. The partial edges between
// a snapped point and the graph (legs) are allowed unless their edge is
// closed or their graph end node is closed; the same-edge route of two
// points on one segment is allowed unless that segment is closed.
type Closure struct {
	Set     []int32
	Open    []bool
	EdgeSet []int32
}

// EdgeClosed reports whether edge e may not be driven (see EdgeSet).
func (c *Closure) EdgeClosed(e EdgeID) bool {
	if c == nil || c.EdgeSet == nil {
		return false
	}
	s := c.EdgeSet[e]
	return s >= 0 && !c.Open[s]
}

// Closed reports whether v may not be visited.
func (c *Closure) Closed(v NodeID) bool {
	if c == nil || c.Set == nil {
		return false
	}
	s := c.Set[v]
	return s >= 0 && !c.Open[s]
}

// Heap is a binary min-heap of (key, node) with decrease-key through a
// position array; it is the typed heap of every search in lifeline's road
// engine. Not safe for concurrent use.
type Heap struct {
	keys  []Weight
	nodes []NodeID
	pos   []int32 // node -> index in heap, -1 if absent; valid when stamp matches
	stamp []uint32
	epoch uint32
}

// NewHeap returns a heap for node ids in [0, n).
func NewHeap(n int) *Heap {
	return &Heap{pos: make([]int32, n), stamp: make([]uint32, n), epoch: 1}
}

// Reset empties the heap in O(1) amortised.
func (h *Heap) Reset() {
	h.keys, h.nodes = h.keys[:0], h.nodes[:0]
	h.epoch++
	if h.epoch == 0 {
		clear(h.stamp)
		h.epoch = 1
	}
}

// Len returns the number of queued nodes.
func (h *Heap) Len() int { return len(h.keys) }

// MinKey returns the smallest key (Inf when empty).
func (h *Heap) MinKey() Weight {
	if len(h.keys) == 0 {
		return Inf
	}
	return h.keys[0]
}

// Push inserts v with key k, or lowers its key when v is queued with a
// larger one. A node popped since the last Reset may be pushed again.
func (h *Heap) Push(v NodeID, k Weight) {
	var i int
	if h.stamp[v] == h.epoch && h.pos[v] >= 0 {
		i = int(h.pos[v])
		if k >= h.keys[i] {
			return
		}
		h.keys[i] = k
	} else {
		h.stamp[v] = h.epoch
		i = len(h.keys)
		h.keys = append(h.keys, k)
		h.nodes = append(h.nodes, v)
		h.pos[v] = int32(i)
	}
	h.up(i)
}

// Pop removes and returns the node with the smallest key.
func (h *Heap) Pop() (NodeID, Weight) {
	v, k := h.nodes[0], h.keys[0]
	last := len(h.keys) - 1
	h.swap(0, last)
	h.keys, h.nodes = h.keys[:last], h.nodes[:last]
	h.pos[v] = -1
	if last > 0 {
		h.down(0)
	}
	return v, k
}

func (h *Heap) swap(i, j int) {
	h.keys[i], h.keys[j] = h.keys[j], h.keys[i]
	h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i]
	h.pos[h.nodes[i]] = int32(i)
	h.pos[h.nodes[j]] = int32(j)
}

func (h *Heap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h.keys[p] <= h.keys[i] {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h *Heap) down(i int) {
	n := len(h.keys)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.keys[r] < h.keys[l] {
			m = r
		}
		if h.keys[i] <= h.keys[m] {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// Search is a plain forward Dijkstra on a Graph, the oracle of the CH and
// the engine of isochrones. Per-query state is reset by epoch stamps, so a
// Search costs O(settled) per run after the first allocation of O(n).
// Not safe for concurrent use; make one per goroutine.
type Search struct {
	g      *Graph
	heap   *Heap
	dist   []Weight
	length []float64
	parent []EdgeID // edge into v, -1 for a seed
	stamp  []uint32
	epoch  uint32
	// Settled lists the nodes settled by the last Run in order.
	Settled []NodeID
}

// NewSearch returns a Search over g.
func NewSearch(g *Graph) *Search {
	n := g.NumNodes()
	return &Search{g: g, heap: NewHeap(n), dist: make([]Weight, n), length: make([]float64, n),
		parent: make([]EdgeID, n), stamp: make([]uint32, n)}
}

// Dist returns the distance (ms) of v from the last Run, or Inf.
func (s *Search) Dist(v NodeID) Weight {
	if s.stamp[v] != s.epoch {
		return Inf
	}
	return s.dist[v]
}

// Length returns the length (m) of the path found to v.
func (s *Search) Length(v NodeID) float64 { return s.length[v] }

// Parent returns the edge entering v on the path found, or -1.
func (s *Search) Parent(v NodeID) EdgeID { return s.parent[v] }

func (s *Search) relaxSeed(v NodeID, d Weight, l float64, e EdgeID) {
	if s.stamp[v] != s.epoch || d < s.dist[v] {
		s.stamp[v] = s.epoch
		s.dist[v], s.length[v], s.parent[v] = d, l, e
		s.heap.Push(v, d)
	}
}

// Run computes distances from the seeds (legs from a snapped point, or
// plain nodes with zero cost) avoiding closed nodes and edges, settling
// nodes until the next key exceeds limit (Inf for all). Seeds at closed
// nodes or along closed edges are dropped. O((n + m) log n).
func (s *Search) Run(seeds []Leg, c *Closure, limit Weight) {
	s.epoch++
	if s.epoch == 0 {
		clear(s.stamp)
		s.epoch = 1
	}
	s.heap.Reset()
	s.Settled = s.Settled[:0]
	g := s.g
	for _, l := range seeds {
		if !c.Closed(l.Node) && !c.EdgeClosed(l.Edge) {
			s.relaxSeed(l.Node, l.Time, l.Length, -1)
		}
	}
	for s.heap.Len() > 0 {
		if s.heap.MinKey() > limit {
			break
		}
		u, du := s.heap.Pop()
		s.Settled = append(s.Settled, u)
		lu := s.length[u]
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			v := g.Head[e]
			if c.Closed(v) || c.EdgeClosed(EdgeID(e)) {
				continue
			}
			d := du + g.Time[e]
			if s.stamp[v] != s.epoch || d < s.dist[v] {
				s.stamp[v] = s.epoch
				s.dist[v], s.length[v], s.parent[v] = d, lu+float64(g.Length[e]), EdgeID(e)
				s.heap.Push(v, d)
			}
		}
	}
}

// ShortestPath is the Dijkstra oracle between two snapped points with the
// shared leg, same-edge and closure rules: it returns the travel time (ms)
// and length (m) of a fastest path, ok false when none exists.
func (s *Search) ShortestPath(from, to Snap, c *Closure) (Weight, float64, bool) {
	s.Run(s.g.SourceLegs(from), c, Inf)
	best, blen := Inf, 0.0
	if w, l, ok := s.g.SameEdge(from, to); ok && !c.EdgeClosed(from.Edge) {
		best, blen = w, l
	}
	for _, l := range s.g.TargetLegs(to) {
		if d := s.Dist(l.Node); d < Inf && d+l.Time < best && !c.EdgeClosed(l.Edge) {
			best, blen = d+l.Time, s.length[l.Node]+l.Length
		}
	}
	return best, blen, best < Inf
}
