// Package ch is lifeline's contraction hierarchy (CH) over a graph.Graph:
// preprocessing (Build), one-to-one queries with path unpacking (Query),
// and many-to-many tables with the bucket algorithm (Many).
//
// # Zone restrictions: a CH with an uncontracted core
//
// Sealed zones close their nodes to through-traffic, except for a query
// whose origin or destination lies in the zone (graph.Closure). The closed
// set therefore depends on the query, so no single metric exists to
// contract. We build a "core CH": every node inside any sealed zone is
// left UNCONTRACTED (the core, ranked above all other nodes), and witness
// searches never pass through core nodes. Then every arc of the hierarchy
// (original edge or shortcut) has only non-zone nodes inside it, so an arc
// may be used exactly when its two end nodes are open: the query simply
// refuses to visit closed nodes, on any combination of open zones, and the
// answer equals a plain Dijkstra with the same rule (the tests check it).
// Inside the core the query is a plain bidirectional Dijkstra over the
// remaining core edges, which is cheap for city-scale zones.
//
// An edge that crosses a zone with both end nodes outside it (a long
// segment through a small zone; BuildOptions.EdgeSet) puts its two end
// nodes into the core and stays an original arc there, never merged with
// a parallel edge nor used as a witness, so the query can drop it exactly
// when its zones are closed.
//
// When zones change, the hierarchy is rebuilt in the background with
// BuildOptions.Order set to the previous order (no priority simulation:
// about 2-3x faster than a fresh build); readers keep the old hierarchy
// until the new one is swapped in (see routing/network). We preferred this
// to a customizable CH because it keeps one simple query code path and to
// query-time-only handling because the latter cannot be exact with a plain
// CH. Rebuild time on Porto is reported by `make bench-road`.
//
// Units are those of package graph: milliseconds and metres.
package ch

import (
	"context"
	"errors"
	"fmt"

	"lifeline/routing/graph"
)

// ErrMismatch is returned when a hierarchy does not belong to a graph.
var ErrMismatch = errors.New("ch: hierarchy does not match the graph")

// Hierarchy is a built contraction hierarchy. The search graph stores, at
// each node u, the forward arcs u->v and the backward arcs v->u whose other
// end v ranks higher than u (or, between two core nodes, all arcs).
// Arc a is an original edge when ArcA[a] < 0 (ArcB[a] is its graph.EdgeID),
// else a shortcut made of arcs ArcA[a] then ArcB[a].
// A Hierarchy is immutable and safe for concurrent use; queries need their
// own Query state.
//
// The search graph is stored in RANK space (index = rank, heads are ranks)
// so that the upward searches, which mostly touch high ranks, stay in a
// small part of memory; Rank and Order translate.
type Hierarchy struct {
	g     *graph.Graph
	Order []graph.NodeID // rank -> node; core nodes last
	Rank  []int32        // node -> rank
	// rankSet is CoreSet in rank space (nil without zones).
	rankSet []int32
	// CoreSet is graph.Closure.Set of the zones the hierarchy was built for
	// (nil without zones): nodes with CoreSet[v] >= 0 are the core, with the
	// end nodes of the edges of EdgeSet (graph.Closure.EdgeSet).
	CoreSet []int32
	EdgeSet []int32

	// Upward graphs in rank space: the arcs of node v are
	// Fwd[FwdFirst[v]:FwdFirst[v+1]] (to higher ranks) and likewise Bwd
	// (from higher ranks, reversed). Head, weight and arc id sit together
	// in one 12-byte record, so that scanning a node's arcs reads one or
	// two cache lines instead of one per parallel array.
	FwdFirst []int32
	Fwd      []Arc
	BwdFirst []int32
	Bwd      []Arc

	ArcW   []graph.Weight
	ArcLen []float32
	ArcA   []int32
	ArcB   []int32
}

// Graph returns the graph of h.
func (h *Hierarchy) Graph() *graph.Graph { return h.g }

// NumShortcuts returns the number of shortcut arcs created.
func (h *Hierarchy) NumShortcuts() int { return len(h.ArcW) - h.g.NumEdges() }

// BuildOptions tune Build.
type BuildOptions struct {
	// CoreSet marks the nodes that stay uncontracted (see package doc);
	// nil for a plain CH. len must equal the node count.
	CoreSet []int32
	// EdgeSet marks the edges that zones close on their own (see
	// graph.Closure.EdgeSet); their end nodes join the core. nil for none.
	EdgeSet []int32
	// Order, when set, is a previous rank -> node order to contract in
	// (core nodes are skipped), avoiding the priority simulation.
	Order []graph.NodeID
	// WitnessSettle caps nodes settled per witness search (default 150).
	WitnessSettle int
}

type dEdge struct {
	to  int32
	w   graph.Weight
	arc int32
	// zoned marks an original edge with EdgeSet >= 0: kept apart (never
	// merged with a parallel edge) and never used as a witness.
	zoned bool
}

type builder struct {
	g        *graph.Graph
	n        int
	out, in  [][]dEdge
	done     []bool
	core     []bool
	deleted  []int32
	level    []int32
	h        *Hierarchy
	fwd, bwd [][]dEdge
	// witness search state
	heap   *graph.Heap
	dist   []graph.Weight
	stamp  []uint32
	epoch  uint32
	tmark  []uint32
	settle int
	sc     []shortcut
}

type shortcut struct {
	u, w   int32
	wt     graph.Weight
	a1, a2 int32
}

// Build contracts g. O(n log n) priority updates plus bounded witness
// searches; a few seconds for a city of 300k nodes. It checks ctx between
// node contractions and returns ctx.Err() when cancelled.
func Build(ctx context.Context, g *graph.Graph, opt BuildOptions) (*Hierarchy, error) {
	n := g.NumNodes()
	if opt.CoreSet != nil && len(opt.CoreSet) != n {
		return nil, fmt.Errorf("%w: core set length %d, %d nodes", ErrMismatch, len(opt.CoreSet), n)
	}
	if opt.EdgeSet != nil && len(opt.EdgeSet) != g.NumEdges() {
		return nil, fmt.Errorf("%w: edge set length %d, %d edges", ErrMismatch, len(opt.EdgeSet), g.NumEdges())
	}
	if opt.Order != nil && len(opt.Order) != n {
		return nil, fmt.Errorf("%w: order length %d, %d nodes", ErrMismatch, len(opt.Order), n)
	}
	if opt.WitnessSettle <= 0 {
		opt.WitnessSettle = 150
	}
	b := &builder{g: g, n: n, out: make([][]dEdge, n), in: make([][]dEdge, n), done: make([]bool, n),
		core: make([]bool, n), deleted: make([]int32, n), level: make([]int32, n),
		fwd: make([][]dEdge, n), bwd: make([][]dEdge, n),
		heap: graph.NewHeap(n), dist: make([]graph.Weight, n), stamp: make([]uint32, n), tmark: make([]uint32, n), settle: opt.WitnessSettle}
	h := &Hierarchy{g: g, CoreSet: opt.CoreSet, EdgeSet: opt.EdgeSet}
	b.h = h
	m := g.NumEdges()
	h.ArcW = make([]graph.Weight, m, m+m/2)
	h.ArcLen = make([]float32, m, m+m/2)
	h.ArcA = make([]int32, m, m+m/2)
	h.ArcB = make([]int32, m, m+m/2)
	for e := 0; e < m; e++ {
		h.ArcW[e], h.ArcLen[e], h.ArcA[e], h.ArcB[e] = g.Time[e], g.Length[e], -1, int32(e)
		u, v := int32(g.Tail[e]), int32(g.Head[e])
		if opt.EdgeSet != nil && opt.EdgeSet[e] >= 0 {
			b.out[u] = append(b.out[u], dEdge{v, g.Time[e], int32(e), true})
			b.in[v] = append(b.in[v], dEdge{u, g.Time[e], int32(e), true})
			b.core[u], b.core[v] = true, true
			continue
		}
		b.addEdge(u, v, g.Time[e], int32(e))
	}
	for v := range b.core {
		b.core[v] = b.core[v] || (opt.CoreSet != nil && opt.CoreSet[v] >= 0)
	}
	order := make([]graph.NodeID, 0, n)
	if opt.Order != nil {
		for i, x := range opt.Order {
			if i&1023 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if b.core[x] {
				continue
			}
			b.contract(int32(x))
			order = append(order, x)
		}
	} else {
		pq := &prioQueue{}
		prio := make([]int32, n)
		for v := 0; v < n; v++ {
			if !b.core[v] {
				prio[v] = b.priority(int32(v))
				pq.push(prio[v], int32(v))
			}
		}
		for i := 0; pq.len() > 0; i++ {
			if i&1023 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			p, x := pq.pop()
			if b.done[x] || p != prio[x] {
				continue
			}
			np := b.priority(x)
			if pq.len() > 0 && np > pq.minKey() {
				prio[x] = np
				pq.push(np, x)
				continue
			}
			nb := b.neighbours(x)
			b.contract(x)
			order = append(order, graph.NodeID(x))
			for _, v := range nb {
				if !b.done[v] && !b.core[v] {
					prio[v] = b.priority(v)
					pq.push(prio[v], v)
				}
			}
		}
	}
	// core nodes: all remaining arcs, ranked last
	for v := 0; v < n; v++ {
		if b.core[v] {
			order = append(order, graph.NodeID(v))
			b.fwd[v] = append(b.fwd[v], b.out[v]...)
			b.bwd[v] = append(b.bwd[v], b.in[v]...)
			b.out[v], b.in[v] = nil, nil
		}
	}
	h.Order = order
	h.setRanks()
	toRank := func(lists [][]dEdge) [][]dEdge {
		out := make([][]dEdge, n)
		for v, l := range lists {
			for i := range l {
				l[i].to = h.Rank[l[i].to]
			}
			out[h.Rank[v]] = l
		}
		return out
	}
	h.FwdFirst, h.Fwd = flatten(toRank(b.fwd))
	h.BwdFirst, h.Bwd = flatten(toRank(b.bwd))
	return h, nil
}

// setRanks derives Rank and rankSet from Order and CoreSet.
func (h *Hierarchy) setRanks() {
	h.Rank = make([]int32, len(h.Order))
	for r, v := range h.Order {
		h.Rank[v] = int32(r)
	}
	h.rankSet = nil
	if h.CoreSet != nil {
		h.rankSet = make([]int32, len(h.Order))
		for r, v := range h.Order {
			h.rankSet[r] = h.CoreSet[v]
		}
	}
}

// arcClosed reports whether arc a is an original edge closed under c by
// EdgeSet (such edges join two core nodes, so no shortcut contains one).
func (h *Hierarchy) arcClosed(c *graph.Closure, a int32) bool {
	if c == nil || h.EdgeSet == nil || h.ArcA[a] >= 0 {
		return false
	}
	s := h.EdgeSet[h.ArcB[a]]
	return s >= 0 && !c.Open[s]
}

// closed reports whether the node of rank r is closed under c. c.Set must
// be the CoreSet of h (see Query.Route).
func (h *Hierarchy) closed(c *graph.Closure, r graph.NodeID) bool {
	if c == nil || c.Set == nil {
		return false
	}
	if h.rankSet == nil {
		return c.Closed(h.Order[r])
	}
	s := h.rankSet[r]
	return s >= 0 && !c.Open[s]
}

// Arc is one arc of an upward graph: Head (a rank), its weight (ms) and
// its id in ArcW/ArcLen/ArcA/ArcB.
type Arc struct {
	Head graph.NodeID
	W    graph.Weight
	ID   int32
}

func flatten(lists [][]dEdge) (first []int32, arcs []Arc) {
	first = make([]int32, len(lists)+1)
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	arcs = make([]Arc, 0, total)
	for v, l := range lists {
		for _, e := range l {
			arcs = append(arcs, Arc{Head: graph.NodeID(e.to), W: e.w, ID: e.arc})
		}
		first[v+1] = int32(len(arcs))
	}
	return
}

// addEdge inserts u->v or lowers its weight. It reports whether it changed.
func (b *builder) addEdge(u, v int32, w graph.Weight, arc int32) bool {
	for i := range b.out[u] {
		if b.out[u][i].to == v && !b.out[u][i].zoned {
			if w >= b.out[u][i].w {
				return false
			}
			b.out[u][i].w, b.out[u][i].arc = w, arc
			for j := range b.in[v] {
				if b.in[v][j].to == u && !b.in[v][j].zoned {
					b.in[v][j].w, b.in[v][j].arc = w, arc
				}
			}
			return true
		}
	}
	b.out[u] = append(b.out[u], dEdge{to: v, w: w, arc: arc})
	b.in[v] = append(b.in[v], dEdge{to: u, w: w, arc: arc})
	return true
}

func (b *builder) neighbours(x int32) []int32 {
	var nb []int32
	for _, e := range b.out[x] {
		nb = append(nb, e.to)
	}
	for _, e := range b.in[x] {
		nb = append(nb, e.to)
	}
	return nb
}

// witness runs a bounded Dijkstra from u avoiding x and not expanding core
// nodes other than u; it stops past limit, after settle nodes, or when
// every out-neighbour of x (the targets) is settled.
func (b *builder) witness(u, x int32, limit graph.Weight, settle int) {
	b.epoch++
	if b.epoch == 0 {
		clear(b.stamp)
		clear(b.tmark)
		b.epoch = 1
	}
	targets := 0
	for _, o := range b.out[x] {
		if o.to != u && b.tmark[o.to] != b.epoch {
			b.tmark[o.to] = b.epoch
			targets++
		}
	}
	b.heap.Reset()
	b.stamp[u], b.dist[u] = b.epoch, 0
	b.heap.Push(graph.NodeID(u), 0)
	for settled := 0; b.heap.Len() > 0 && settled < settle; settled++ {
		v, d := b.heap.Pop()
		if d > limit {
			break
		}
		if b.tmark[v] == b.epoch {
			b.tmark[v] = 0
			if targets--; targets == 0 {
				break
			}
		}
		if b.core[v] && int32(v) != u {
			continue
		}
		for _, e := range b.out[v] {
			if e.to == x || e.zoned {
				continue
			}
			nd := d + e.w
			if b.stamp[e.to] != b.epoch || nd < b.dist[e.to] {
				b.stamp[e.to], b.dist[e.to] = b.epoch, nd
				b.heap.Push(graph.NodeID(e.to), nd)
			}
		}
	}
}

func (b *builder) wdist(v int32) graph.Weight {
	if b.stamp[v] != b.epoch {
		return graph.Inf
	}
	return b.dist[v]
}

// shortcuts computes the shortcuts that contracting x needs into b.sc;
// settle caps each witness search (small when only simulating for the
// priority, where a few extra shortcuts counted do no harm).
func (b *builder) shortcuts(x int32, settle int) {
	b.sc = b.sc[:0]
	var maxOut graph.Weight
	for _, o := range b.out[x] {
		maxOut = max(maxOut, o.w)
	}
	for _, i := range b.in[x] {
		u := i.to
		if len(b.out[x]) == 1 && b.out[x][0].to == u {
			continue
		}
		b.witness(u, x, i.w+maxOut, settle)
		for _, o := range b.out[x] {
			w := o.to
			if w == u {
				continue
			}
			via := i.w + o.w
			if b.wdist(w) > via {
				b.sc = append(b.sc, shortcut{u: u, w: w, wt: via, a1: i.arc, a2: o.arc})
			}
		}
	}
}

// simSettle caps witness searches of the priority simulation.
const simSettle = 60

// priority is 2 x edge difference + deleted neighbours + level (a measure
// of the depth of the hierarchy below x); smaller contracts first.
func (b *builder) priority(x int32) int32 {
	b.shortcuts(x, simSettle)
	ed := int32(len(b.sc)) - int32(len(b.in[x])+len(b.out[x]))
	return 4*ed + 2*b.deleted[x] + b.level[x]
}

func (b *builder) contract(x int32) {
	b.shortcuts(x, b.settle)
	h := b.h
	for _, s := range b.sc {
		arc := int32(len(h.ArcW))
		if b.addEdge(s.u, s.w, s.wt, arc) {
			h.ArcW = append(h.ArcW, s.wt)
			h.ArcLen = append(h.ArcLen, h.ArcLen[s.a1]+h.ArcLen[s.a2])
			h.ArcA = append(h.ArcA, s.a1)
			h.ArcB = append(h.ArcB, s.a2)
		}
	}
	b.fwd[x] = append(b.fwd[x], b.out[x]...)
	b.bwd[x] = append(b.bwd[x], b.in[x]...)
	for _, e := range b.out[x] {
		b.in[e.to] = removeTo(b.in[e.to], x)
		b.deleted[e.to]++
		b.level[e.to] = max(b.level[e.to], b.level[x]+1)
	}
	for _, e := range b.in[x] {
		b.out[e.to] = removeTo(b.out[e.to], x)
		b.deleted[e.to]++
		b.level[e.to] = max(b.level[e.to], b.level[x]+1)
	}
	b.out[x], b.in[x] = nil, nil
	b.done[x] = true
}

func removeTo(l []dEdge, x int32) []dEdge {
	for i := 0; i < len(l); i++ {
		if l[i].to == x {
			l[i] = l[len(l)-1]
			l = l[:len(l)-1]
			i--
		}
	}
	return l
}

// prioQueue is a min-heap of (priority, node) with lazy deletion.
type prioQueue struct {
	k []int32
	v []int32
}

func (q *prioQueue) len() int      { return len(q.k) }
func (q *prioQueue) minKey() int32 { return q.k[0] }

func (q *prioQueue) less(i, j int) bool {
	return q.k[i] < q.k[j] || (q.k[i] == q.k[j] && q.v[i] < q.v[j])
}

func (q *prioQueue) push(k, v int32) {
	q.k, q.v = append(q.k, k), append(q.v, v)
	i := len(q.k) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.k[i], q.k[p], q.v[i], q.v[p] = q.k[p], q.k[i], q.v[p], q.v[i]
		i = p
	}
}

func (q *prioQueue) pop() (int32, int32) {
	k, v := q.k[0], q.v[0]
	last := len(q.k) - 1
	q.k[0], q.v[0] = q.k[last], q.v[last]
	q.k, q.v = q.k[:last], q.v[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if l+1 < last && q.less(l+1, l) {
			m = l + 1
		}
		if !q.less(m, i) {
			break
		}
		q.k[i], q.k[m], q.v[i], q.v[m] = q.k[m], q.k[i], q.v[m], q.v[i]
		i = m
	}
	return k, v
}
