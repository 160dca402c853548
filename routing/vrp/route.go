package vrp

import "math"

// route is one vehicle's sequence with the caches of the O(1) insertion
// filters. Positions: 0 is the start, 1..len(nodes) the stops, len+1 the end.
type route struct {
	v     int
	nodes []int32
	es    []float64 // earliest service start (departure at the start)
	ls    []float64 // latest service start keeping the rest feasible
	load  []int64   // (len+2)*dim: load after the position
	pmax  []int64   // prefix max of load
	smax  []int64   // suffix max of load
	locs  []int32   // location per position
	edep  []float64 // earliest departure per position (es + service)
	arcc  []float64 // search cost of the arc leaving each position
	cost  float64   // exact route cost (0 when empty)
	dist  float64
	dur   float64
	prio  int // sum of weights
	cplx  bool
	valid bool
}

func (r *route) copyFrom(o *route) {
	r.v = o.v
	r.nodes = append(r.nodes[:0], o.nodes...)
	r.es = append(r.es[:0], o.es...)
	r.ls = append(r.ls[:0], o.ls...)
	r.load = append(r.load[:0], o.load...)
	r.pmax = append(r.pmax[:0], o.pmax...)
	r.smax = append(r.smax[:0], o.smax...)
	r.locs = append(r.locs[:0], o.locs...)
	r.edep = append(r.edep[:0], o.edep...)
	r.arcc = append(r.arcc[:0], o.arcc...)
	r.cost, r.dist, r.dur, r.prio, r.cplx, r.valid = o.cost, o.dist, o.dur, o.prio, o.cplx, o.valid
}

// update recomputes the caches and the exact cost; it returns false when
// the sequence is infeasible.
func (r *route) update(in *inst, sc *sched) bool {
	m := len(r.nodes)
	P := m + 2
	d := in.dim
	r.es = resizeF(r.es, P)
	r.ls = resizeF(r.ls, P)
	r.load = resizeI(r.load, P*d)
	r.pmax = resizeI(r.pmax, P*d)
	r.smax = resizeI(r.smax, P*d)
	r.locs = resize32(r.locs, P)
	r.edep = resizeF(r.edep, P)
	r.arcc = resizeF(r.arcc, P)
	v := r.v
	ok := true
	// start load and served weight
	ld := r.load[:d]
	for k := range ld {
		ld[k] = 0
	}
	r.prio = 0
	for _, u := range r.nodes {
		if d == 1 {
			ld[0] += in.startLd[u]
		} else {
			for k := 0; k < d; k++ {
				ld[k] += in.startLd[int(u)*d+k]
			}
		}
		if in.kind[u] != kindDelivery {
			r.prio += in.weight[in.req[u]]
		}
	}
	cp := in.vCap[v*d : v*d+d]
	for k := 0; k < d; k++ {
		r.pmax[k] = ld[k]
		if ld[k] > cp[k] {
			ok = false
		}
	}
	// forward: loads, prefix maxima, earliest times, arcs
	r.locs[0], r.locs[P-1] = in.vStart[v], in.vEnd[v]
	r.es[0] = in.vShiftS[v]
	r.edep[0] = r.es[0]
	prev := in.vStart[v]
	dist := 0.0
	for pos := 1; pos <= m; pos++ {
		u := r.nodes[pos-1]
		for k := 0; k < d; k++ {
			x := r.load[(pos-1)*d+k] + in.delta[int(u)*d+k]
			r.load[pos*d+k] = x
			r.pmax[pos*d+k] = max(r.pmax[(pos-1)*d+k], x)
			if x > cp[k] {
				ok = false
			}
		}
		lu := in.loc[u]
		r.locs[pos] = lu
		r.arcc[pos-1] = in.arc(v, prev, lu)
		t := in.earliest(u, r.edep[pos-1]+in.tt(prev, lu))
		r.es[pos] = t
		r.edep[pos] = t + in.svc[u]
		dist += in.dd(prev, lu)
		prev = lu
	}
	for k := 0; k < d; k++ {
		r.load[(P-1)*d+k] = r.load[(P-2)*d+k]
		r.pmax[(P-1)*d+k] = r.pmax[(P-2)*d+k]
	}
	r.arcc[P-2] = in.arc(v, prev, in.vEnd[v])
	r.es[P-1] = r.edep[P-2] + in.tt(prev, in.vEnd[v])
	r.edep[P-1] = r.es[P-1]
	dist += in.dd(prev, in.vEnd[v])
	// backward: latest times, suffix maxima
	r.ls[P-1] = in.vShiftE[v]
	if r.es[P-1] > r.ls[P-1]+1e-9 {
		ok = false
	}
	copy(r.smax[(P-1)*d:P*d], r.load[(P-1)*d:P*d])
	next := in.vEnd[v]
	for pos := m; pos >= 1; pos-- {
		u := r.nodes[pos-1]
		t := in.latest(u, r.ls[pos+1]-in.svc[u]-in.tt(in.loc[u], next))
		r.ls[pos] = t
		if r.es[pos] > t+1e-9 {
			ok = false
		}
		next = in.loc[u]
		for k := 0; k < d; k++ {
			r.smax[pos*d+k] = max(r.smax[(pos+1)*d+k], r.load[pos*d+k])
		}
	}
	for k := 0; k < d; k++ {
		r.smax[k] = max(r.smax[d+k], r.load[k])
	}
	r.ls[0] = r.ls[1] - in.tt(in.vStart[v], next)
	r.dist = dist
	r.cplx = in.complexAll
	if m == 0 {
		r.cost, r.dur = 0, 0
		r.valid = ok
		return ok
	}
	if !ok {
		r.valid = false
		return false
	}
	if r.cplx || in.vWT[v] != 0 {
		if !sc.run(in, v, r.nodes) {
			r.valid = false
			return false
		}
		r.dur = sc.duration()
	} else {
		r.dur = r.es[P-1] - r.es[0]
	}
	r.cost = in.vFixed[v] + in.vWD[v]*dist + in.vWT[v]*r.dur
	r.valid = true
	return true
}

func resizeF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n, n*2)
	}
	return s[:n]
}

func resize32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n*2)
	}
	return s[:n]
}

func resizeI(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n, n*2)
	}
	return s[:n]
}

// sched is the exact schedule of one route: position 0 is the start,
// 1..m the stops, m+1 the end. It is a scratch object owned by one search.
type sched struct {
	nodes  []int32
	A      []float64 // arrival
	B      []float64 // service start
	D      []float64 // departure
	clean  []float64 // cleaning time before service
	W      []float64 // waiting B-A-clean
	pickAt []int32   // position of the pickup for delivery positions, -1 otherwise
	v      int
	full   bool // always run every step (returned schedules)
}

// ridesOK reports whether every ride of the current schedule is within its
// limit.
func (s *sched) ridesOK(in *inst) bool {
	for pos := 1; pos <= len(s.nodes); pos++ {
		if pp := s.pickAt[pos]; pp >= 0 {
			mr := in.maxRide[s.nodes[pp-1]]
			if mr > 0 && s.B[pos]-s.D[pp] > mr+1e-9 {
				return false
			}
		}
	}
	return true
}

func (s *sched) duration() float64 {
	m := len(s.nodes)
	return s.A[m+1] - s.D[0]
}

// forward recomputes times from position from (whose B is kept) onwards;
// it returns false when a window is missed.
func (s *sched) forward(in *inst, from int) bool {
	m := len(s.nodes)
	v := s.v
	for pos := from + 1; pos <= m+1; pos++ {
		var pl, l int32
		if pos-1 == 0 {
			pl = in.vStart[v]
		} else {
			pl = in.loc[s.nodes[pos-2]]
		}
		if pos == m+1 {
			l = in.vEnd[v]
			s.A[pos] = s.D[pos-1] + in.tt(pl, l)
			s.B[pos], s.D[pos], s.W[pos] = s.A[pos], s.A[pos], 0
			if s.A[pos] > in.vShiftE[v]+1e-9 {
				return false
			}
			continue
		}
		u := s.nodes[pos-1]
		l = in.loc[u]
		s.A[pos] = s.D[pos-1] + in.tt(pl, l)
		b := in.earliest(u, s.A[pos]+s.clean[pos])
		if math.IsInf(b, 1) {
			return false
		}
		s.B[pos] = b
		s.W[pos] = b - s.A[pos] - s.clean[pos]
		s.D[pos] = b + in.svc[u]
	}
	return true
}

// slack is the forward time slack at position i (Savelsbergh, extended
// with ride times and the maximum duration as in Cordeau & Laporte 2003).
func (s *sched) slack(in *inst, i int) float64 {
	m := len(s.nodes)
	v := s.v
	f := math.Inf(1)
	sumW := 0.0
	for j := i; j <= m+1; j++ {
		if j > i {
			sumW += s.W[j]
		}
		var room float64
		if j == m+1 {
			room = in.vShiftE[v] - s.B[j]
			if i > 0 && in.vMaxDur[v] > 0 {
				room = math.Min(room, in.vMaxDur[v]-(s.A[m+1]-s.D[0]))
			}
		} else if j > 0 {
			u := s.nodes[j-1]
			room = in.windowEnd(u, s.B[j]) - s.B[j]
			if in.kind[u] == kindDelivery {
				pp := int(s.pickAt[j])
				if pp < i {
					mr := in.maxRide[in.partner[u]]
					if mr > 0 && mr-(s.B[j]-s.D[pp]) < room {
						room = mr - (s.B[j] - s.D[pp])
					}
				}
			}
		} else {
			room = math.Inf(1)
		}
		if room < 0 {
			room = 0
		}
		if sumW+room < f {
			f = sumW + room
		}
	}
	return f
}

// run computes the exact schedule of nodes on vehicle v: earliest times,
// then departures delayed to cut waiting and ride times (the eight-step
// procedure of Cordeau & Laporte 2003). It returns false if the route
// breaks capacity-independent constraints: windows, shift, max duration,
// ride times or incompatibility classes. Capacity is checked by the caller.
func (s *sched) run(in *inst, v int, nodes []int32) bool {
	m := len(nodes)
	P := m + 2
	s.v = v
	s.nodes = nodes
	s.A = resizeF(s.A, P)
	s.B = resizeF(s.B, P)
	s.D = resizeF(s.D, P)
	s.W = resizeF(s.W, P)
	s.clean = resizeF(s.clean, P)
	if cap(s.pickAt) < P {
		s.pickAt = make([]int32, P, 2*P)
	}
	s.pickAt = s.pickAt[:P]
	for i := range s.clean {
		s.clean[i] = 0
		s.pickAt[i] = -1
	}
	// pairing and precedence
	for pos := 1; pos <= m; pos++ {
		u := nodes[pos-1]
		if in.kind[u] == kindDelivery {
			found := false
			for q := pos - 1; q >= 1; q-- {
				if nodes[q-1] == in.partner[u] {
					s.pickAt[pos] = int32(q)
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	if in.hasClass && !s.classes(in) {
		return false
	}
	s.A[0], s.B[0], s.D[0], s.W[0] = in.vShiftS[v], in.vShiftS[v], in.vShiftS[v], 0
	if !s.forward(in, 0) {
		return false
	}
	// a search-only feasibility question is settled by the earliest
	// schedule when it already keeps every ride and the duration
	if !s.full && in.vWT[v] == 0 && s.ridesOK(in) &&
		(in.vMaxDur[v] <= 0 || s.A[m+1]-s.D[0] <= in.vMaxDur[v]+1e-9) {
		return true
	}
	// delay the departure from the start
	sumW := 0.0
	for pos := 1; pos <= m+1; pos++ {
		sumW += s.W[pos]
	}
	f0 := s.slack(in, 0)
	if d := math.Min(f0, sumW); d > 0 && !math.IsInf(d, 1) {
		s.D[0] += d
		s.B[0], s.A[0] = s.D[0], s.D[0]
		if !s.forward(in, 0) {
			return false
		}
	}
	// delay pickups with ride limits, when some ride is too long (or always
	// for the returned schedule, to shorten rides)
	if in.complexAll && (s.full || !s.ridesOK(in)) {
		for j := 1; j <= m; j++ {
			u := nodes[j-1]
			if in.kind[u] != kindPickup || in.maxRide[u] <= 0 {
				continue
			}
			// only useful if the ride is too long
			sw := 0.0
			for p := j + 1; p <= m+1; p++ {
				sw += s.W[p]
			}
			if sw <= 0 {
				continue
			}
			fj := s.slack(in, j)
			d := math.Min(fj, sw)
			if d <= 0 {
				continue
			}
			s.W[j] += d
			s.B[j] += d
			s.D[j] = s.B[j] + in.svc[u]
			if !s.forward(in, j) {
				return false
			}
		}
	}
	// final checks
	if s.A[m+1] > in.vShiftE[v]+1e-9 {
		return false
	}
	if in.vMaxDur[v] > 0 && s.A[m+1]-s.D[0] > in.vMaxDur[v]+1e-9 {
		return false
	}
	for pos := 1; pos <= m; pos++ {
		if pp := s.pickAt[pos]; pp >= 0 {
			mr := in.maxRide[nodes[pp-1]]
			if mr > 0 && s.B[pos]-s.D[pp] > mr+1e-9 {
				return false
			}
		}
	}
	return true
}

// classes checks incompatibility classes along the route and sets the
// cleaning times: a stop that loads a class incompatible with one carried
// since the last cleaning gets CleaningTime before its service.
func (s *sched) classes(in *inst) bool {
	m := len(s.nodes)
	d := in.dim
	var onboard [64]int32
	var mask uint64
	add := func(c int32) {
		if c > 0 {
			onboard[c]++
			mask |= 1 << uint(c)
		}
	}
	rem := func(c int32) {
		if c > 0 {
			onboard[c]--
			if onboard[c] == 0 {
				mask &^= 1 << uint(c)
			}
		}
	}
	nonzero := func(x []int64) bool {
		for _, v := range x {
			if v != 0 {
				return true
			}
		}
		return false
	}
	// deliveries of jobs are on board from the start
	for _, u := range s.nodes {
		if in.kind[u] == kindJob && nonzero(in.dlv[int(u)*d:int(u)*d+d]) {
			add(in.class[u])
		}
	}
	for c := 1; c < 64; c++ {
		if mask&(1<<uint(c)) != 0 && in.incompat[c]&mask != 0 {
			return false
		}
	}
	dirty := mask
	for pos := 1; pos <= m; pos++ {
		u := s.nodes[pos-1]
		c := in.class[u]
		switch in.kind[u] {
		case kindJob:
			if nonzero(in.dlv[int(u)*d : int(u)*d+d]) {
				rem(c)
			}
			if !nonzero(in.pck[int(u)*d : int(u)*d+d]) {
				continue
			}
		case kindDelivery:
			rem(c)
			continue
		}
		if c == 0 {
			add(c)
			continue
		}
		if in.incompat[c]&mask != 0 {
			return false
		}
		if in.incompat[c]&dirty != 0 {
			s.clean[pos] = in.cleaning
			dirty = mask
		}
		add(c)
		dirty |= 1 << uint(c)
	}
	return true
}
