package ch

import (
	"encoding/binary"
	"fmt"
	"math"

	"lifeline/routing/graph"
)

// SectionTag names the hierarchy section in a graph file.
var SectionTag = [4]byte{'C', 'H', '0', '1'}

// Section serialises h (without CoreSet: files hold the zone-free
// hierarchy) as a graph file section. Layout, all uint32 little endian:
// n, order[n], then for fwd and bwd: first[n+1], count, head/arc/w[count],
// then arcs: count, w/len(float32 bits)/a/b[count].
func (h *Hierarchy) Section() graph.Section {
	le := binary.LittleEndian
	var b []byte
	n := len(h.Order)
	b = le.AppendUint32(b, uint32(n))
	for _, v := range h.Order {
		b = le.AppendUint32(b, uint32(v))
	}
	for _, d := range [2]struct {
		first []int32
		arcs  []Arc
	}{{h.FwdFirst, h.Fwd}, {h.BwdFirst, h.Bwd}} {
		for _, x := range d.first {
			b = le.AppendUint32(b, uint32(x))
		}
		b = le.AppendUint32(b, uint32(len(d.arcs)))
		for _, a := range d.arcs {
			b = le.AppendUint32(b, uint32(a.Head))
			b = le.AppendUint32(b, uint32(a.ID))
			b = le.AppendUint32(b, a.W)
		}
	}
	b = le.AppendUint32(b, uint32(len(h.ArcW)))
	for a := range h.ArcW {
		b = le.AppendUint32(b, h.ArcW[a])
		b = le.AppendUint32(b, math.Float32bits(h.ArcLen[a]))
		b = le.AppendUint32(b, uint32(h.ArcA[a]))
		b = le.AppendUint32(b, uint32(h.ArcB[a]))
	}
	return graph.Section{Tag: SectionTag, Data: b}
}

// FromSection decodes a hierarchy section for g, validating every id and
// count (before allocating) so that a corrupted file yields an error
// wrapping graph.ErrFormat or ErrMismatch, never a panic.
func FromSection(g *graph.Graph, data []byte) (*Hierarchy, error) {
	r := graph.NewReader(data)
	bad := func(what string) error { return fmt.Errorf("%w: hierarchy %s", graph.ErrFormat, what) }
	n := int(r.U32())
	if r.Err() != nil || n != g.NumNodes() {
		return nil, fmt.Errorf("%w: %d nodes, graph has %d", ErrMismatch, n, g.NumNodes())
	}
	if n > r.Remaining()/4 {
		return nil, bad("order")
	}
	h := &Hierarchy{g: g, Order: make([]graph.NodeID, n)}
	seen := make([]bool, n)
	for i := range h.Order {
		v := r.U32()
		if int(v) >= n || seen[v] {
			return nil, bad("order")
		}
		seen[v] = true
		h.Order[i] = graph.NodeID(v)
	}
	h.setRanks()
	readDir := func() ([]int32, []Arc, error) {
		if n+1 > r.Remaining()/4 {
			return nil, nil, bad("offsets")
		}
		first := make([]int32, n+1)
		for i := range first {
			first[i] = int32(r.U32())
			if first[i] < 0 || (i > 0 && first[i] < first[i-1]) {
				return nil, nil, bad("offsets")
			}
		}
		cnt := int(r.U32())
		if r.Err() != nil || first[0] != 0 || int(first[n]) != cnt || cnt > r.Remaining()/12 {
			return nil, nil, bad("arc count")
		}
		arcs := make([]Arc, cnt)
		for i := range arcs {
			hd, a, x := r.U32(), r.U32(), r.U32()
			if int(hd) >= n || x > graph.Inf {
				return nil, nil, bad("arc")
			}
			arcs[i] = Arc{Head: graph.NodeID(hd), ID: int32(a), W: x}
		}
		return first, arcs, nil
	}
	var err error
	if h.FwdFirst, h.Fwd, err = readDir(); err != nil {
		return nil, err
	}
	if h.BwdFirst, h.Bwd, err = readDir(); err != nil {
		return nil, err
	}
	na := int(r.U32())
	m := g.NumEdges()
	if r.Err() != nil || na < m || na > r.Remaining()/16 || na > math.MaxInt32 {
		return nil, bad("arcs")
	}
	h.ArcW = make([]graph.Weight, na)
	h.ArcLen = make([]float32, na)
	h.ArcA = make([]int32, na)
	h.ArcB = make([]int32, na)
	for a := 0; a < na; a++ {
		h.ArcW[a], h.ArcLen[a], h.ArcA[a], h.ArcB[a] = r.U32(), math.Float32frombits(r.U32()), int32(r.U32()), int32(r.U32())
		if h.ArcW[a] > graph.Inf {
			return nil, bad("arc weight")
		}
		if h.ArcA[a] < 0 {
			if h.ArcA[a] != -1 || h.ArcB[a] < 0 || int(h.ArcB[a]) >= m {
				return nil, bad("original arc")
			}
		} else if int(h.ArcA[a]) >= a || h.ArcB[a] < 0 || int(h.ArcB[a]) >= a {
			// children are always created before their shortcut: no cycles
			return nil, bad("shortcut")
		}
	}
	if r.Err() != nil || r.Remaining() != 0 {
		return nil, bad("trailing bytes")
	}
	for _, arcs := range [][]Arc{h.Fwd, h.Bwd} {
		for _, x := range arcs {
			if a := x.ID; a < 0 || int(a) >= na {
				return nil, bad("arc id")
			}
		}
	}
	return h, nil
}
