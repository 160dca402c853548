package vrp

import (
	"math"
	"slices"
)

// solution is a search state: one route per vehicle plus the requests left
// out.
type solution struct {
	routes []route
	unas   []int32 // unassigned requests (only those that passed the pre-check)
	cost   float64
	unW    int
	nveh   int
}

func (s *solution) copyFrom(o *solution) {
	if len(s.routes) != len(o.routes) {
		s.routes = make([]route, len(o.routes))
	}
	for i := range o.routes {
		s.routes[i].copyFrom(&o.routes[i])
	}
	s.unas = append(s.unas[:0], o.unas...)
	s.cost, s.unW, s.nveh = o.cost, o.unW, o.nveh
}

func (s *solution) totals(in *inst) {
	s.cost, s.nveh, s.unW = 0, 0, 0
	for i := range s.routes {
		r := &s.routes[i]
		if len(r.nodes) > 0 {
			s.nveh++
			s.cost += r.cost
		}
	}
	for _, q := range s.unas {
		s.unW += in.weight[q]
	}
}

// better reports whether a is lexicographically better than b.
func better(in *inst, a, b *solution) bool {
	if a.unW != b.unW {
		return a.unW < b.unW
	}
	if in.vehicleLevel && a.nveh != b.nveh {
		return a.nveh < b.nveh
	}
	return a.cost < b.cost-1e-9
}

// cand is an insertion candidate: the request's first node goes after
// position i, its delivery (shipments) after position j of the original
// route.
type cand struct {
	cost float64
	k    int32
	i, j int32
}

// inserter holds scratch space for insertions.
type inserter struct {
	in     *inst
	sc     sched
	cands  []cand
	tmp    []int32
	old    []int32
	seenTy []int32 // stamp per vehicle type
	stamp  int32
	rng    interface{ Float64() float64 }
	blink  float64
	gap    int

	// routeOf is the route of every node of the solution being rebuilt
	// (-1 when out), kept by the searcher's ruin and by apply; granular
	// insertions read it.
	routeOf []int32
	rmark   []int32 // stamp per route
	rlist   []int32
}

// blinked reports whether to skip the next position (probability
// x.blink), drawing geometric gaps instead of one number per position.
func (x *inserter) blinked() bool {
	if x.blink <= 0 {
		return false
	}
	x.gap--
	if x.gap >= 0 {
		return false
	}
	x.gap = int(math.Log(1-x.rng.Float64()) / math.Log(1-x.blink))
	return true
}

// capOK reports whether a job with delivery D and pickup P fits after
// position i of r.
func (x *inserter) capJob(r *route, u int32, i int) bool {
	in := x.in
	d := in.dim
	cp := in.vCap[r.v*d : r.v*d+d]
	for k := 0; k < d; k++ {
		D, P := in.dlv[int(u)*d+k], in.pck[int(u)*d+k]
		if D == 0 && P == 0 {
			continue
		}
		if r.pmax[i*d+k]+D > cp[k] || r.load[i*d+k]+P > cp[k] || r.smax[(i+1)*d+k]+P > cp[k] {
			return false
		}
	}
	return true
}

// evalRoute adds the feasible (by the O(1) filters) candidates of request q
// in route k to x.cands; for routes without complex constraints only the
// best one is added since the filters are exact there.
func (x *inserter) evalRoute(s *solution, k int, q int32, bound float64) {
	in := x.in
	r := &s.routes[k]
	v := r.v
	m := len(r.nodes)
	u := in.reqNode[q]
	lu := in.loc[u]
	exact := !r.cplx
	best := cand{cost: math.Inf(1)}
	fixed := 0.0
	if m == 0 {
		fixed = in.vFixed[v]
	}
	if bound < math.Inf(1) {
		bound -= fixed
	}
	push := func(c cand) {
		if exact {
			if c.cost < best.cost {
				best = c
			}
			return
		}
		x.cands = append(x.cands, c)
	}
	if in.kind[u] == kindJob {
		crow, trow := in.rows(lu)
		for i := 0; i <= m; i++ {
			if x.blinked() {
				continue
			}
			a, b := r.locs[i], r.locs[i+1]
			var dc float64
			if crow != nil {
				dc = rowAt(crow, a) + rowAt(crow, b) - r.arcc[i]
			} else {
				dc = in.arc(v, a, lu) + in.arc(v, lu, b) - r.arcc[i]
			}
			if dc >= bound || (exact && dc >= best.cost) {
				continue
			}
			var ta, tb float64
			if trow != nil {
				ta, tb = rowAt(trow, a), rowAt(trow, b)
			} else {
				ta, tb = in.tt(a, lu), in.tt(lu, b)
			}
			t := in.earliest(u, r.edep[i]+ta)
			if t+in.svc[u]+tb > r.ls[i+1]+1e-9 {
				continue
			}
			if !x.capJob(r, u, i) {
				continue
			}
			push(cand{cost: dc + fixed, k: int32(k), i: int32(i), j: int32(i)})
		}
	} else {
		w := in.partner[u]
		lw := in.loc[w]
		d := in.dim
		cp := in.vCap[v*d : v*d+d]
		amt := in.pck[int(u)*d : int(u)*d+d]
		mr := in.maxRide[u]
		direct := in.tt(lu, lw)
		for i := 0; i <= m; i++ {
			if x.blinked() {
				continue
			}
			a, b := r.locs[i], r.locs[i+1]
			dp := in.arc(v, a, lu) + in.arc(v, lu, b) - r.arcc[i]
			if dp >= bound || (exact && dp >= best.cost) {
				continue
			}
			capok := true
			for kk := 0; kk < d; kk++ {
				if amt[kk] != 0 && r.load[i*d+kk]+amt[kk] > cp[kk] {
					capok = false
				}
			}
			if !capok {
				continue
			}
			sp := in.earliest(u, r.edep[i]+in.tt(a, lu))
			if math.IsInf(sp, 1) || sp+in.svc[u]+in.tt(lu, b) > r.ls[i+1]+1e-9 {
				continue
			}
			dep := sp + in.svc[u]
			// delivery right after the pickup
			if mr <= 0 || direct <= mr {
				sq := in.earliest(w, dep+direct)
				if sq+in.svc[w]+in.tt(lw, b) <= r.ls[i+1]+1e-9 {
					dc := dp - in.arc(v, lu, b) + in.arc(v, lu, lw) + in.arc(v, lw, b)
					push(cand{cost: dc + fixed, k: int32(k), i: int32(i), j: int32(i)})
				}
			}
			// delivery later
			t := 0.0
			path := 0.0
			prevL, prevEnd := lu, dep
			for j := i + 1; j <= m; j++ {
				nj := r.nodes[j-1]
				lj := in.loc[nj]
				tr := in.tt(prevL, lj)
				path += tr
				if mr > 0 && path > mr {
					break
				}
				t = in.earliest(nj, prevEnd+tr)
				if t > r.ls[j]+1e-9 {
					break
				}
				fits := true
				for kk := 0; kk < d; kk++ {
					if amt[kk] != 0 && r.load[j*d+kk]+amt[kk] > cp[kk] {
						fits = false
					}
				}
				if !fits {
					break
				}
				path += in.svc[nj]
				prevL, prevEnd = lj, t+in.svc[nj]
				c, e := lj, r.locs[j+1]
				if mr > 0 && path+in.tt(lj, lw) > mr {
					continue
				}
				dc := dp + in.arc(v, c, lw) + in.arc(v, lw, e) - r.arcc[j]
				if dc >= bound || (exact && dc >= best.cost) {
					continue
				}
				sq := in.earliest(w, prevEnd+in.tt(lj, lw))
				if sq+in.svc[w]+in.tt(lw, e) > r.ls[j+1]+1e-9 {
					continue
				}
				push(cand{cost: dc + fixed, k: int32(k), i: int32(i), j: int32(j)})
			}
		}
	}
	if exact && !math.IsInf(best.cost, 1) {
		x.cands = append(x.cands, best)
	}
}

// buildSeq writes into x.tmp the nodes of r with request q inserted per c.
func (x *inserter) buildSeq(r *route, q int32, c cand) []int32 {
	in := x.in
	u := in.reqNode[q]
	x.tmp = x.tmp[:0]
	if c.i == 0 {
		x.tmp = append(x.tmp, u)
		if in.kind[u] == kindPickup && c.j == 0 {
			x.tmp = append(x.tmp, in.partner[u])
		}
	}
	for p := 1; p <= len(r.nodes); p++ {
		x.tmp = append(x.tmp, r.nodes[p-1])
		if int(c.i) == p {
			x.tmp = append(x.tmp, u)
		}
		if in.kind[u] == kindPickup && int(c.j) == p {
			x.tmp = append(x.tmp, in.partner[u])
		}
	}
	return x.tmp
}

// best finds the cheapest feasible insertion of request q. allowNew lets it
// open an empty vehicle (one per vehicle type).
func (x *inserter) best(s *solution, q int32, allowNew bool) (cand, bool) {
	in := x.in
	x.cands = x.cands[:0]
	x.stamp++
	if x.seenTy == nil {
		x.seenTy = make([]int32, in.nVeh)
	}
	V := in.nVeh
	bestExact := math.Inf(1)
	if in.granular && x.routeOf != nil {
		// the routes of the nearest nodes first; every route only when
		// none of them (nor an empty vehicle) can take the request
		if x.rmark == nil {
			x.rmark = make([]int32, len(s.routes))
		}
		x.rlist = x.rlist[:0]
		u := in.reqNode[q]
		for _, w := range [2]int32{u, in.partner[u]} {
			if w < 0 {
				continue
			}
			nb := in.neigh[w]
			for _, c := range nb[:min(len(nb), granularK)] {
				if k := x.routeOf[c]; k >= 0 && x.rmark[k] != x.stamp {
					x.rmark[k] = x.stamp
					x.rlist = append(x.rlist, k)
				}
			}
		}
		for _, k := range x.rlist {
			r := &s.routes[k]
			if !in.allowed[int(q)*V+r.v] {
				continue
			}
			n0 := len(x.cands)
			x.evalRoute(s, int(k), q, bestExact)
			if !r.cplx {
				for _, c := range x.cands[n0:] {
					bestExact = math.Min(bestExact, c.cost)
				}
			}
		}
		if allowNew {
			for k := range s.routes {
				r := &s.routes[k]
				if len(r.nodes) > 0 || !in.allowed[int(q)*V+r.v] {
					continue
				}
				ty := in.vType[r.v]
				if x.seenTy[ty] == x.stamp {
					continue
				}
				x.seenTy[ty] = x.stamp
				n0 := len(x.cands)
				x.evalRoute(s, k, q, bestExact)
				if !r.cplx {
					for _, c := range x.cands[n0:] {
						bestExact = math.Min(bestExact, c.cost)
					}
				}
			}
		}
		if len(x.cands) > 0 {
			return x.pick(s, q)
		}
		x.stamp++ // forget the types seen: the full scan below starts over
	}
	for k := range s.routes {
		r := &s.routes[k]
		if !in.allowed[int(q)*V+r.v] {
			continue
		}
		if x.routeOf != nil && in.granular && x.rmark[k] == x.stamp-1 && len(r.nodes) > 0 {
			continue // scanned above
		}
		if len(r.nodes) == 0 {
			if !allowNew {
				continue
			}
			ty := in.vType[r.v]
			if x.seenTy[ty] == x.stamp {
				continue
			}
			x.seenTy[ty] = x.stamp
		}
		n0 := len(x.cands)
		x.evalRoute(s, k, q, bestExact)
		if !r.cplx {
			for _, c := range x.cands[n0:] {
				bestExact = math.Min(bestExact, c.cost)
			}
		}
	}
	if len(x.cands) == 0 {
		return cand{}, false
	}
	return x.pick(s, q)
}

// pick returns the cheapest candidate of x.cands that is feasible (checked
// exactly on routes with complex constraints).
func (x *inserter) pick(s *solution, q int32) (cand, bool) {
	in := x.in
	slices.SortFunc(x.cands, func(a, b cand) int {
		if a.cost < b.cost {
			return -1
		}
		if a.cost > b.cost {
			return 1
		}
		if a.k != b.k {
			return int(a.k - b.k)
		}
		if a.i != b.i {
			return int(a.i - b.i)
		}
		return int(a.j - b.j)
	})
	tries := 0
	for _, c := range x.cands {
		r := &s.routes[c.k]
		if !r.cplx {
			return c, true
		}
		tries++
		if tries > 60 {
			break
		}
		seq := x.buildSeq(r, q, c)
		if x.sc.run(in, r.v, seq) {
			return c, true
		}
	}
	return cand{}, false
}

// apply inserts request q per c and updates the route; on an unexpected
// infeasibility (rounding) it reverts and returns false.
func (x *inserter) apply(s *solution, q int32, c cand) bool {
	r := &s.routes[c.k]
	seq := x.buildSeq(r, q, c)
	x.old = append(x.old[:0], r.nodes...)
	r.nodes = append(r.nodes[:0], seq...)
	if !r.update(x.in, &x.sc) {
		r.nodes = append(r.nodes[:0], x.old...)
		r.update(x.in, &x.sc)
		return false
	}
	if x.routeOf != nil {
		u := x.in.reqNode[q]
		x.routeOf[u] = c.k
		if w := x.in.partner[u]; w >= 0 {
			x.routeOf[w] = c.k
		}
	}
	return true
}
