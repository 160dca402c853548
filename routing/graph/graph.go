// Package graph is lifeline's compact road graph: directed edges in CSR
// (compressed sparse row) arrays with int32 ids, per-edge travel time and
// length, a street-name table and node coordinates.
//
// Units and conventions:
//   - Node coordinates are [lon, lat] in WGS84 degrees (orb order).
//   - Edge travel time is an integer number of MILLISECONDS (uint32); every
//     edge is at most MaxWeight, so sums of two weights never overflow and
//     Inf (1<<31) stays above any path in a city graph.
//   - Edge length is in metres (float32).
//   - Every OSM way node is a graph node, so an edge is a straight segment
//     between its two end nodes: drawing a route is drawing its nodes.
//
// A Graph is immutable after Build and safe for concurrent reads.
package graph

import (
	"errors"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// NodeID is a dense node index in [0, NumNodes).
type NodeID int32

// EdgeID is a dense edge index in [0, NumEdges).
type EdgeID int32

// Weight is a travel time in milliseconds.
type Weight = uint32

const (
	// Inf is the distance of an unreached node. Inf+MaxWeight fits in uint32.
	Inf Weight = 1 << 31
	// MaxWeight is the largest edge weight (about 12 days).
	MaxWeight Weight = 1 << 30
)

// Errors of the graph package.
var (
	ErrFormat   = errors.New("graph: bad file format")
	ErrChecksum = errors.New("graph: checksum mismatch")
	ErrVersion  = errors.New("graph: unsupported file version")
	ErrEmpty    = errors.New("graph: empty graph")
)

// Graph is a directed road graph in CSR form. The out-edges of node u are
// the edge ids FirstOut[u] .. FirstOut[u+1]-1.
type Graph struct {
	Profile  string    // "car" or "foot"
	Lon, Lat []float64 // per node, degrees
	FirstOut []int32   // len NumNodes+1
	Head     []NodeID  // per edge: target node
	Time     []Weight  // per edge: milliseconds
	Length   []float32 // per edge: metres
	Name     []int32   // per edge: index into Names (0 is the empty name)
	Names    []string  // street names; Names[0] == ""

	// Derived on Build / Decode (not stored in files).
	Tail []NodeID // per edge: source node
	snap *segIndex
	// coloc links nodes at the same place in rings (coloc[v] is the next
	// one, v itself when alone); nil when every node has a place of its
	// own. The OSM importer makes such nodes when it splits the via node of
	// a turn restriction; snapping legs then use every copy (see along).
	coloc []NodeID
}

// NumNodes returns the number of nodes.
func (g *Graph) NumNodes() int { return len(g.Lon) }

// NumEdges returns the number of directed edges.
func (g *Graph) NumEdges() int { return len(g.Head) }

// Point returns the coordinates of v as [lon, lat].
func (g *Graph) Point(v NodeID) orb.Point { return orb.Point{g.Lon[v], g.Lat[v]} }

// EdgeName returns the street name of e ("" when unnamed).
func (g *Graph) EdgeName(e EdgeID) string { return g.Names[g.Name[e]] }

// Reverse returns the edge head(e) -> tail(e) with the length closest to
// that of e, or -1 when the road is one-way. O(out-degree).
func (g *Graph) Reverse(e EdgeID) EdgeID {
	u, v := g.Tail[e], g.Head[e]
	best, bd := EdgeID(-1), math.Inf(1)
	for f := g.FirstOut[v]; f < g.FirstOut[v+1]; f++ {
		if g.Head[f] == u {
			d := math.Abs(float64(g.Length[f] - g.Length[e]))
			if d < bd {
				best, bd = EdgeID(f), d
			}
		}
	}
	return best
}

// finish computes the derived arrays and the spatial index.
func (g *Graph) finish() {
	n := g.NumNodes()
	g.Tail = make([]NodeID, g.NumEdges())
	for u := 0; u < n; u++ {
		for e := g.FirstOut[u]; e < g.FirstOut[u+1]; e++ {
			g.Tail[e] = NodeID(u)
		}
	}
	g.snap = buildSegIndex(g)
	g.coloc = nil
	first := make(map[orb.Point]NodeID, n)
	for v := 0; v < n; v++ {
		p := g.Point(NodeID(v))
		u, dup := first[p]
		if !dup {
			first[p] = NodeID(v)
			continue
		}
		if g.coloc == nil {
			g.coloc = make([]NodeID, n)
			for i := range g.coloc {
				g.coloc[i] = NodeID(i)
			}
		}
		// insert v after u in u's ring
		g.coloc[v], g.coloc[u] = g.coloc[u], NodeID(v)
	}
}

// along calls fn for every edge from a node at u's place to a node at v's
// place whose length is length: the edge itself and, where turn
// restrictions split a node, its copies. Without co-located nodes it is
// the edges u -> v of that length.
func (g *Graph) along(u, v NodeID, length float32, fn func(EdgeID)) {
	x := u
	for {
		for f := g.FirstOut[x]; f < g.FirstOut[x+1]; f++ {
			if g.Length[f] == length && g.samePlace(g.Head[f], v) {
				fn(EdgeID(f))
			}
		}
		if g.coloc == nil {
			return
		}
		if x = g.coloc[x]; x == u {
			return
		}
	}
}

// samePlace reports whether a and b are the same node or copies of one.
func (g *Graph) samePlace(a, b NodeID) bool {
	if a == b {
		return true
	}
	return g.coloc != nil && g.Lon[a] == g.Lon[b] && g.Lat[a] == g.Lat[b]
}

// Builder accumulates nodes and edges; Build sorts them into a Graph.
// Not safe for concurrent use.
type Builder struct {
	Profile  string
	lon, lat []float64
	edges    []rawEdge
	names    map[string]int32
	nameList []string
}

type rawEdge struct {
	u, v NodeID
	w    Weight
	l    float32
	name int32
}

// NewBuilder returns an empty builder for the given profile name.
func NewBuilder(profile string) *Builder {
	return &Builder{Profile: profile, names: map[string]int32{"": 0}, nameList: []string{""}}
}

// Point returns the position of node v added so far ([lon, lat]).
func (b *Builder) Point(v NodeID) orb.Point { return orb.Point{b.lon[v], b.lat[v]} }

// AddNode adds a node at p ([lon, lat]) and returns its id.
func (b *Builder) AddNode(p orb.Point) NodeID {
	b.lon = append(b.lon, p[0])
	b.lat = append(b.lat, p[1])
	return NodeID(len(b.lon) - 1)
}

// AddEdge adds the directed edge u -> v with travel time ms (milliseconds,
// clamped to [1, MaxWeight]), length m (metres) and street name.
// Self loops are ignored.
func (b *Builder) AddEdge(u, v NodeID, ms Weight, m float64, name string) {
	if u == v {
		return
	}
	if ms < 1 {
		ms = 1
	}
	if ms > MaxWeight {
		ms = MaxWeight
	}
	id, ok := b.names[name]
	if !ok {
		id = int32(len(b.nameList))
		b.names[name] = id
		b.nameList = append(b.nameList, name)
	}
	b.edges = append(b.edges, rawEdge{u, v, ms, float32(m), id})
}

// Build returns the graph. It sorts edges by tail (stable, so insertion
// order is kept among a node's out-edges). O(m log m).
func (b *Builder) Build() *Graph {
	sort.SliceStable(b.edges, func(i, j int) bool { return b.edges[i].u < b.edges[j].u })
	n := len(b.lon)
	g := &Graph{Profile: b.Profile, Lon: b.lon, Lat: b.lat, Names: b.nameList}
	g.FirstOut = make([]int32, n+1)
	m := len(b.edges)
	g.Head = make([]NodeID, m)
	g.Time = make([]Weight, m)
	g.Length = make([]float32, m)
	g.Name = make([]int32, m)
	for i, e := range b.edges {
		g.FirstOut[e.u+1]++
		g.Head[i], g.Time[i], g.Length[i], g.Name[i] = e.v, e.w, e.l, e.name
	}
	for u := 0; u < n; u++ {
		g.FirstOut[u+1] += g.FirstOut[u]
	}
	g.finish()
	return g
}

// LargestSCC returns the subgraph induced by the largest strongly connected
// component of g (node order kept), and how many nodes and edges were
// dropped. Iterative Tarjan, O(n + m).
func LargestSCC(g *Graph) (sub *Graph, droppedNodes, droppedEdges int) {
	n := g.NumNodes()
	const none = -1
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp := make([]int32, n)
	for i := range index {
		index[i] = none
		comp[i] = none
	}
	var stack []int32
	type frame struct {
		v int32
		e int32
	}
	var call []frame
	var next int32
	var ncomp int32
	var sizes []int32
	for s := 0; s < n; s++ {
		if index[s] != none {
			continue
		}
		call = append(call, frame{int32(s), g.FirstOut[s]})
		index[s], low[s] = next, next
		next++
		stack = append(stack, int32(s))
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.e < g.FirstOut[v+1] {
				w := int32(g.Head[f.e])
				f.e++
				if index[w] == none {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, g.FirstOut[w]})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				var size int32
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					size++
					if w == v {
						break
					}
				}
				sizes = append(sizes, size)
				ncomp++
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
		}
	}
	if n == 0 {
		return g, 0, 0
	}
	var best int32
	for c := range sizes {
		if sizes[c] > sizes[best] {
			best = int32(c)
		}
	}
	keep := make([]bool, n)
	for v := range keep {
		keep[v] = comp[v] == best
	}
	sub = Subgraph(g, keep)
	return sub, n - sub.NumNodes(), g.NumEdges() - sub.NumEdges()
}

// Subgraph returns the graph induced by the nodes with keep[v] true, node
// order kept. Names are shared with g.
func Subgraph(g *Graph, keep []bool) *Graph {
	n := g.NumNodes()
	newID := make([]NodeID, n)
	var k NodeID
	for v := 0; v < n; v++ {
		if keep[v] {
			newID[v] = k
			k++
		} else {
			newID[v] = -1
		}
	}
	s := &Graph{Profile: g.Profile, Names: g.Names}
	s.Lon = make([]float64, 0, k)
	s.Lat = make([]float64, 0, k)
	s.FirstOut = make([]int32, 1, k+1)
	for v := 0; v < n; v++ {
		if !keep[v] {
			continue
		}
		s.Lon = append(s.Lon, g.Lon[v])
		s.Lat = append(s.Lat, g.Lat[v])
		for e := g.FirstOut[v]; e < g.FirstOut[v+1]; e++ {
			h := g.Head[e]
			if !keep[h] {
				continue
			}
			s.Head = append(s.Head, newID[h])
			s.Time = append(s.Time, g.Time[e])
			s.Length = append(s.Length, g.Length[e])
			s.Name = append(s.Name, g.Name[e])
		}
		s.FirstOut = append(s.FirstOut, int32(len(s.Head)))
	}
	s.finish()
	return s
}
