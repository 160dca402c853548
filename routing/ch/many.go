package ch

import (
	"context"
	"runtime"
	"sync"

	"lifeline/routing/graph"
)

// Table is a many-to-many result: Time[i*Cols+j] in milliseconds
// (graph.Inf when unreachable) and Length[i*Cols+j] in metres (length of
// the fastest path found) from source i to target j.
type Table struct {
	Rows, Cols int
	Time       []graph.Weight
	Length     []float64
}

type bucketEntry struct {
	node   graph.NodeID
	target int32
	time   graph.Weight
	length float64
}

// upward runs a complete upward search (no stopping criterion) from seeds,
// with stall-on-demand, calling visit for every settled, non-stalled node
// (given by rank).
func (h *Hierarchy) upward(s *side, seeds []graph.Leg, fwd bool, c *graph.Closure, visit func(v graph.NodeID, d graph.Weight, l float64)) {
	s.reset()
	for i, l := range seeds {
		if !c.Closed(l.Node) && !c.EdgeClosed(l.Edge) {
			s.relax(graph.NodeID(h.Rank[l.Node]), l.Time, -1, int32(i))
		}
	}
	if s.length == nil {
		s.length = make([]float64, len(s.st))
	}
	first, arcs := h.FwdFirst, h.Fwd
	if !fwd {
		first, arcs = h.BwdFirst, h.Bwd
	}
	for len(s.keys) > 0 {
		v, dv := s.pop()
		if h.stalled(s, v, fwd, c) {
			continue
		}
		// v's predecessor was settled (and not stalled: it relaxed an
		// arc) before v, so its length is final
		var lv float64
		if st := s.st[v]; st.pnode >= 0 {
			lv = s.length[st.pnode] + float64(h.ArcLen[st.parc])
		} else {
			lv = seeds[st.parc].Length
		}
		s.length[v] = lv
		visit(v, dv, lv)
		for _, a := range arcs[first[v]:first[v+1]] {
			if c != nil && (h.closed(c, a.Head) || h.arcClosed(c, a.ID)) {
				continue
			}
			s.relax(a.Head, dv+a.W, v, a.ID)
		}
	}
}

// Many computes the travel-time table between snapped points with the
// bucket algorithm: one backward upward search per target fills buckets,
// one forward upward search per source scans them. The same-edge case is
// applied per pair. workers goroutines share the work (<= 0: GOMAXPROCS).
// Cost O((|S| + |T|) x upward search space + bucket scans). It returns
// ctx.Err() when cancelled (checked per search).
func (h *Hierarchy) Many(ctx context.Context, sources, targets []graph.Snap, c *graph.Closure, workers int) (Table, error) {
	g := h.g
	rows, cols := len(sources), len(targets)
	tb := Table{Rows: rows, Cols: cols, Time: make([]graph.Weight, rows*cols), Length: make([]float64, rows*cols)}
	for i := range tb.Time {
		tb.Time[i] = graph.Inf
	}
	if rows == 0 || cols == 0 {
		return tb, nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, max(rows, cols)))
	// backward searches
	parts := make([][]bucketEntry, workers)
	var wg sync.WaitGroup
	var cancelled error
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := newSide(g.NumNodes())
			for j := w; j < cols; j += workers {
				if j&63 == 0 && ctx.Err() != nil {
					mu.Lock()
					cancelled = ctx.Err()
					mu.Unlock()
					return
				}
				h.upward(&s, g.TargetLegs(targets[j]), false, c, func(v graph.NodeID, d graph.Weight, l float64) {
					parts[w] = append(parts[w], bucketEntry{v, int32(j), d, l})
				})
			}
		}(w)
	}
	wg.Wait()
	if cancelled != nil {
		return tb, cancelled
	}
	// buckets in CSR by node
	n := g.NumNodes()
	first := make([]int32, n+1)
	total := 0
	for _, p := range parts {
		total += len(p)
		for _, e := range p {
			first[e.node+1]++
		}
	}
	for v := 0; v < n; v++ {
		first[v+1] += first[v]
	}
	pos := make([]int32, n)
	copy(pos, first[:n])
	bT := make([]int32, total)
	bW := make([]graph.Weight, total)
	bL := make([]float64, total)
	for _, p := range parts {
		for _, e := range p {
			k := pos[e.node]
			pos[e.node]++
			bT[k], bW[k], bL[k] = e.target, e.time, e.length
		}
	}
	parts = nil
	// same-edge pairs: targets by segment
	seg := func(s graph.Snap) graph.EdgeID {
		if s.Rev >= 0 && s.Rev < s.Edge {
			return s.Rev
		}
		return s.Edge
	}
	bySeg := map[graph.EdgeID][]int32{}
	for j, t := range targets {
		bySeg[seg(t)] = append(bySeg[seg(t)], int32(j))
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := newSide(n)
			for i := w; i < rows; i += workers {
				if i&63 == 0 && ctx.Err() != nil {
					mu.Lock()
					cancelled = ctx.Err()
					mu.Unlock()
					return
				}
				rowT := tb.Time[i*cols : (i+1)*cols]
				rowL := tb.Length[i*cols : (i+1)*cols]
				for _, j := range bySeg[seg(sources[i])] {
					if t, l, ok := g.SameEdge(sources[i], targets[j]); ok && !c.EdgeClosed(sources[i].Edge) {
						rowT[j], rowL[j] = t, l
					}
				}
				h.upward(&s, g.SourceLegs(sources[i]), true, c, func(v graph.NodeID, d graph.Weight, l float64) {
					for k := first[v]; k < first[v+1]; k++ {
						if x := d + bW[k]; x < rowT[bT[k]] {
							rowT[bT[k]], rowL[bT[k]] = x, l+bL[k]
						}
					}
				})
			}
		}(w)
	}
	wg.Wait()
	if cancelled != nil {
		return tb, cancelled
	}
	return tb, nil
}
