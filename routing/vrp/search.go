package vrp

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// SISR parameters (Christiaens & Vanden Berghe 2020).
const (
	maxString = 10.0
	splitRate = 0.5
	blinkRate = 0.01
)

// avgRemoved is SISR's average number of requests removed per ruin.
var avgRemoved = 10.0

// Annealing temperatures as multiples of the mean arc cost of the first
// plan, and the share of the budget given to fleet minimisation. Variables
// so that tuning runs (tests) can change them.
var (
	t0Factor  = 2.0
	tfFactor  = 0.02
	fleetFrac = 0.4
	penFactor = 0.0
	// stallLimit restarts fleet minimisation from the best plan (removing
	// another route) after stallLimit*requests iterations (at least 2000)
	// without fewer requests left out; 0 disables.
	stallLimit = 50
	// restartFrac: share of the annealing budget without a better plan
	// after which the walk restarts from the best plan (0 = never), with
	// restartShare of the requests ruined and reinserted. Measured at 1M
	// iterations, seed 1: R205 2.73% -> 0.02%, R211 3.05% -> 1.88%, RC202
	// 8.68% -> 3.48%, RC203 2.40% -> 0.47% (bench/vrp/results-*).
	restartFrac  = 0.15
	restartShare = 0.3
	// fleetAttempts ends fleet minimisation once that many attempts at one
	// route fewer stalled, none with at most max(2, requests/30) left out.
	fleetAttempts = 2
)

type searcher struct {
	in     *inst
	rng    *rand.Rand
	ins    inserter
	active []int32 // requests that passed the pre-check

	cur, cand, best solution

	routeOf []int32 // per node, -1 when unassigned
	posOf   []int32
	removed []bool // per node, scratch
	ruined  []bool // per route, scratch
	absence []int  // per request, fleet minimisation
	list    []int32

	// cand equals cur at the start of every iteration (synced); an
	// iteration changes only the touched routes of cand, and accepting or
	// rejecting copies only those (O(changed routes), not O(n)).
	synced  bool
	touched []bool
	tlist   []int32

	deadline time.Time
	ctx      context.Context
	iter     int
	maxIter  int
	stopped  bool
	report   func(*solution, int)
}

func newSearcher(in *inst, seed uint64, active []int32) *searcher {
	se := &searcher{in: in, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), active: active}
	se.ins = inserter{in: in, rng: se.rng, blink: 0}
	for _, s := range []*solution{&se.cur, &se.cand, &se.best} {
		s.routes = make([]route, in.nVeh)
		for v := range s.routes {
			s.routes[v].v = v
			s.routes[v].update(in, &se.ins.sc)
		}
	}
	se.routeOf = make([]int32, in.n)
	for i := range se.routeOf {
		se.routeOf[i] = -1
	}
	se.ins.routeOf = se.routeOf
	se.posOf = make([]int32, in.n)
	se.removed = make([]bool, in.n)
	se.ruined = make([]bool, in.nVeh)
	se.touched = make([]bool, in.nVeh)
	se.absence = make([]int, in.nReq)
	return se
}

// stop reports whether the budget is spent; it checks the clock every 16
// calls.
func (se *searcher) stop() bool {
	if se.stopped {
		return true
	}
	se.iter++
	if se.maxIter > 0 && se.iter >= se.maxIter {
		se.stopped = true
		return true
	}
	if se.iter&15 == 0 && se.expired() {
		se.stopped = true
	}
	return se.stopped
}

// cancelled reports whether the context ended (a non-blocking receive,
// cheap enough for every insertion).
func (se *searcher) cancelled() bool {
	select {
	case <-se.ctx.Done():
		return true
	default:
		return false
	}
}

// expired reports whether the context ended or the deadline passed.
func (se *searcher) expired() bool {
	return se.ctx.Err() != nil || (!se.deadline.IsZero() && time.Now().After(se.deadline))
}

// startCand makes cand equal to cur for a new iteration.
func (se *searcher) startCand() {
	if !se.synced {
		se.cand.copyFrom(&se.cur)
		se.synced = true
	}
	for _, k := range se.tlist {
		se.touched[k] = false
	}
	se.tlist = se.tlist[:0]
}

// touch records that route k of cand changed in this iteration.
func (se *searcher) touch(k int) {
	if !se.touched[k] {
		se.touched[k] = true
		se.tlist = append(se.tlist, int32(k))
	}
}

// acceptCand makes cur equal to cand (copying the touched routes).
func (se *searcher) acceptCand() {
	for _, k := range se.tlist {
		se.cur.routes[k].copyFrom(&se.cand.routes[k])
	}
	se.cur.unas = append(se.cur.unas[:0], se.cand.unas...)
	se.cur.cost, se.cur.unW, se.cur.nveh = se.cand.cost, se.cand.unW, se.cand.nveh
}

// rejectCand makes cand equal to cur again.
func (se *searcher) rejectCand() {
	for _, k := range se.tlist {
		se.cand.routes[k].copyFrom(&se.cur.routes[k])
	}
	se.cand.unas = append(se.cand.unas[:0], se.cur.unas...)
	se.cand.cost, se.cand.unW, se.cand.nveh = se.cur.cost, se.cur.unW, se.cur.nveh
}

func (se *searcher) index(s *solution) {
	for i := range se.routeOf {
		se.routeOf[i] = -1
	}
	for k := range s.routes {
		for p, u := range s.routes[k].nodes {
			se.routeOf[u] = int32(k)
			se.posOf[u] = int32(p)
		}
	}
}

// recreate inserts the requests of list (in order) into s.
func (se *searcher) recreate(s *solution, list []int32, allowNew bool) {
	for k, q := range list {
		if se.cancelled() {
			// one insertion can scan long routes: do not start another
			s.unas = append(s.unas, list[k:]...)
			return
		}
		c, ok := se.ins.best(s, q, allowNew)
		if ok {
			se.touch(int(c.k))
			if se.ins.apply(s, q, c) {
				continue
			}
		}
		s.unas = append(s.unas, q)
	}
}

// order sorts the requests to insert (SISR: random, demand, far, close).
func (se *searcher) order(list []int32) {
	in := se.in
	se.rng.Shuffle(len(list), func(a, b int) { list[a], list[b] = list[b], list[a] })
	x := se.rng.IntN(11)
	var key func(q int32) float64
	switch {
	case x < 4:
		return
	case x < 8:
		key = func(q int32) float64 {
			u := in.reqNode[q]
			t := 0.0
			for k := 0; k < in.dim; k++ {
				t += float64(in.dlv[int(u)*in.dim+k] + in.pck[int(u)*in.dim+k])
			}
			return -t
		}
	case x < 10:
		key = func(q int32) float64 {
			u := in.reqNode[q]
			return -(in.tt(in.vStart[0], in.loc[u]) + in.tt(in.loc[u], in.vEnd[0]))
		}
	default:
		key = func(q int32) float64 {
			u := in.reqNode[q]
			return in.tt(in.vStart[0], in.loc[u]) + in.tt(in.loc[u], in.vEnd[0])
		}
	}
	slices.SortStableFunc(list, func(a, b int32) int {
		ka, kb := key(a), key(b)
		if ka < kb {
			return -1
		}
		if ka > kb {
			return 1
		}
		return 0
	})
}

// ruin removes strings around a random seed (SISR) from s and appends the
// removed requests to se.list.
func (se *searcher) ruin(s *solution) {
	in := se.in
	se.index(s)
	se.list = se.list[:0]
	nonEmpty, total := 0, 0
	for k := range s.routes {
		se.ruined[k] = false
		if m := len(s.routes[k].nodes); m > 0 {
			nonEmpty++
			total += m
		}
	}
	if nonEmpty == 0 {
		return
	}
	lsMax := math.Min(maxString, float64(total)/float64(nonEmpty))
	ksMax := 4*avgRemoved/(1+lsMax) - 1
	ks := int(se.rng.Float64()*ksMax) + 1
	// seed: a random assigned node
	var seed int32 = -1
	for tries := 0; tries < 50; tries++ {
		u := int32(se.rng.IntN(in.n))
		if se.routeOf[u] >= 0 {
			seed = u
			break
		}
	}
	if seed < 0 {
		return
	}
	done := 0
	visit := func(c int32) {
		k := se.routeOf[c]
		if k < 0 || se.ruined[k] || done >= ks {
			return
		}
		r := &s.routes[k]
		m := len(r.nodes)
		lmax := int(math.Min(float64(m), lsMax))
		l := int(se.rng.Float64()*float64(lmax)) + 1
		pos := int(se.posOf[c])
		if se.rng.Float64() < splitRate || l == m {
			st := pos - se.rng.IntN(l)
			st = max(0, min(st, m-l))
			for p := st; p < st+l; p++ {
				se.removed[r.nodes[p]] = true
			}
		} else {
			mm := 1
			for mm < m-l && se.rng.Float64() < 0.5 {
				mm++
			}
			tot := l + mm
			st := pos - se.rng.IntN(tot)
			st = max(0, min(st, m-tot))
			keep := st + se.rng.IntN(tot-mm+1)
			for p := st; p < st+tot; p++ {
				if p >= keep && p < keep+mm {
					continue
				}
				se.removed[r.nodes[p]] = true
			}
		}
		se.ruined[k] = true
		done++
	}
	visit(seed)
	for _, c := range in.neigh[seed] {
		if done >= ks {
			break
		}
		visit(c)
	}
	// remove marked nodes (and partners), collect requests
	for k := range s.routes {
		if !se.ruined[k] {
			continue
		}
		r := &s.routes[k]
		for _, u := range r.nodes {
			if se.removed[u] && in.partner[u] >= 0 {
				se.removed[in.partner[u]] = true
			}
		}
		w := 0
		for _, u := range r.nodes {
			if se.removed[u] {
				se.removed[u] = false
				se.routeOf[u] = -1
				if in.kind[u] != kindDelivery {
					se.list = append(se.list, in.req[u])
				}
				continue
			}
			r.nodes[w] = u
			w++
		}
		r.nodes = r.nodes[:w]
		r.update(in, &se.ins.sc)
		se.touch(k)
	}
}

// removeRoute empties route k and appends its requests to s.unas.
func (se *searcher) removeRoute(s *solution, k int) {
	in := se.in
	r := &s.routes[k]
	for _, u := range r.nodes {
		se.routeOf[u] = -1
		if in.kind[u] != kindDelivery {
			s.unas = append(s.unas, in.req[u])
		}
	}
	r.nodes = r.nodes[:0]
	r.update(in, &se.ins.sc)
}

// construct builds the first solution by greedy insertion.
func (se *searcher) construct() {
	in := se.in
	list := append([]int32(nil), se.active...)
	// hardest first: tight windows / far away / big demand
	slices.SortStableFunc(list, func(a, b int32) int {
		ka := -(in.tt(in.vStart[0], in.loc[in.reqNode[a]]))
		kb := -(in.tt(in.vStart[0], in.loc[in.reqNode[b]]))
		if ka < kb {
			return -1
		}
		if ka > kb {
			return 1
		}
		return 0
	})
	s := &se.cur
	s.unas = s.unas[:0]
	for n, q := range list {
		if se.cancelled() || (n&7 == 7 && se.expired()) {
			s.unas = append(s.unas, list[n:]...)
			break
		}
		c, ok := se.ins.best(s, q, true)
		if ok && se.ins.apply(s, q, c) {
			continue
		}
		s.unas = append(s.unas, q)
	}
	s.totals(in)
	se.best.copyFrom(s)
}

// run is the whole search: construction, fleet minimisation (when the
// vehicle level counts), then simulated annealing on cost.
func (se *searcher) run(budget time.Duration) {
	in := se.in
	start := time.Now()
	se.construct()
	se.report(&se.best, se.iter)
	if se.stop() || len(se.active) == 0 {
		return
	}
	if in.vehicleLevel {
		fleetEnd := start.Add(time.Duration(float64(budget) * fleetFrac))
		if budget <= 0 {
			fleetEnd = time.Time{}
		}
		se.fleetMin(fleetEnd, int(float64(se.maxIter)*fleetFrac))
	}
	se.anneal(start, budget)
}

// fleetMin removes routes and tries to reinsert their requests (SISR
// fleet minimisation with absence counters).
func (se *searcher) fleetMin(end time.Time, iters int) {
	in := se.in
	startIter := se.iter
	lb := se.vehicleLowerBound()
	stall, bestLeft := 0, math.MaxInt
	attempts, minLeft := 0, math.MaxInt // since the last route removed
	limit := max(2000, stallLimit*len(se.active))
	for !se.stop() {
		if !end.IsZero() && se.iter&15 == 0 && time.Now().After(end) {
			return
		}
		if iters > 0 && se.iter-startIter >= iters {
			return
		}
		if stallLimit > 0 && stall > limit && len(se.cur.unas) > 0 && se.best.unW == 0 {
			// stuck: restart from the best complete plan and drop a
			// random route instead, unless the attempts since the last
			// route removed all stalled with many requests left out:
			// then one route fewer is out of reach and the rest of the
			// budget goes to the cost
			attempts++
			minLeft = min(minLeft, bestLeft)
			if attempts >= fleetAttempts && minLeft > max(2, len(se.active)/30) {
				return
			}
			se.cur.copyFrom(&se.best)
			k := se.randomRoute(&se.cur)
			se.removeRoute(&se.cur, k)
			se.cur.totals(in)
			se.synced = false
			for i := range se.absence {
				se.absence[i] = 0
			}
			stall, bestLeft = 0, math.MaxInt
		}
		if len(se.cur.unas) == 0 || se.cur.unW < se.best.unW {
			if se.cur.unW < se.best.unW || (se.cur.unW == se.best.unW && (se.cur.nveh < se.best.nveh || (se.cur.nveh == se.best.nveh && se.cur.cost < se.best.cost))) {
				se.best.copyFrom(&se.cur)
				se.report(&se.best, se.iter)
			}
			if len(se.cur.unas) != 0 || se.cur.nveh <= lb {
				return
			}
			// remove the route with the fewest weighted requests
			bk, bw := -1, math.MaxInt
			for k := range se.cur.routes {
				r := &se.cur.routes[k]
				if len(r.nodes) == 0 {
					continue
				}
				w := r.prio*4 + se.rng.IntN(3)
				if w < bw {
					bk, bw = k, w
				}
			}
			se.removeRoute(&se.cur, bk)
			se.cur.totals(in)
			se.synced = false
			for i := range se.absence {
				se.absence[i] = 0
			}
			stall, bestLeft = 0, math.MaxInt
			attempts, minLeft = 0, math.MaxInt
		}
		stall++
		if len(se.cur.unas) < bestLeft {
			bestLeft, stall = len(se.cur.unas), 0
		}
		se.startCand()
		se.ruin(&se.cand)
		se.list = append(se.list, se.cand.unas...)
		se.cand.unas = se.cand.unas[:0]
		se.order(se.list)
		if se.rng.IntN(2) == 0 {
			// most often absent first
			slices.SortStableFunc(se.list, func(a, b int32) int { return se.absence[b] - se.absence[a] })
		}
		se.ins.blink = blinkRate
		se.recreate(&se.cand, se.list, false)
		se.cand.totals(in)
		absC, absS := 0, 0
		for _, q := range se.cand.unas {
			absC += se.absence[q]
		}
		for _, q := range se.cur.unas {
			absS += se.absence[q]
		}
		for _, q := range se.cand.unas {
			se.absence[q]++
		}
		if se.cand.unW < se.cur.unW || (se.cand.unW == se.cur.unW && absC < absS) {
			se.acceptCand()
		} else {
			se.rejectCand()
		}
	}
}

// randomRoute returns a random non-empty route of s.
func (se *searcher) randomRoute(s *solution) int {
	n := 0
	for k := range s.routes {
		if len(s.routes[k].nodes) > 0 {
			n++
		}
	}
	x := se.rng.IntN(max(1, n))
	for k := range s.routes {
		if len(s.routes[k].nodes) > 0 {
			if x == 0 {
				return k
			}
			x--
		}
	}
	return 0
}

// vehicleLowerBound is a bin-packing bound on the vehicles for the active
// requests (per dimension, with the largest capacity).
func (se *searcher) vehicleLowerBound() int {
	in := se.in
	lb := 1
	d := in.dim
	for k := 0; k < d; k++ {
		var tot, cp int64
		for _, q := range se.active {
			u := in.reqNode[q]
			tot += max(in.dlv[int(u)*d+k], in.pck[int(u)*d+k])
		}
		for v := 0; v < in.nVeh; v++ {
			cp = max(cp, in.vCap[v*d+k])
		}
		if cp > 0 {
			lb = max(lb, int((tot+cp-1)/cp))
		}
	}
	return lb
}

// anneal runs SISR with simulated annealing on the cost, never accepting a
// solution that is worse on the upper levels.
func (se *searcher) anneal(start time.Time, budget time.Duration) {
	in := se.in
	se.cur.copyFrom(&se.best)
	se.synced = false
	n := max(1, in.n)
	avgEdge := se.cur.cost / float64(n+max(1, se.cur.nveh))
	if avgEdge <= 0 {
		avgEdge = 1
	}
	t0, tf := t0Factor*avgEdge, tfFactor*avgEdge
	pen := penFactor * avgEdge
	penSlack := 0
	if pen > 0 {
		penSlack = 3
	}
	iter0 := se.iter
	aStart := time.Now()
	allowNew := !in.vehicleLevel
	// stagnation restarts: after restartFrac of the annealing budget
	// without a better plan, restart the walk from the best plan with a
	// large ruin and the temperature schedule over what is left
	aIters := se.maxIter - se.iter
	aBudget := budget - aStart.Sub(start)
	lastImp, lastImpT := se.iter, aStart
	for !se.stop() {
		if restartFrac > 0 && se.iter&15 == 0 {
			var stagnant bool
			if se.maxIter > 0 {
				stagnant = float64(se.iter-lastImp) > restartFrac*float64(aIters) &&
					float64(se.maxIter-se.iter) > restartFrac*float64(aIters)
			} else if budget > 0 {
				stagnant = float64(time.Since(lastImpT)) > restartFrac*float64(aBudget) &&
					float64(budget-time.Since(start)) > restartFrac*float64(aBudget)
			}
			if stagnant {
				se.restartWalk(allowNew)
				iter0, aStart = se.iter, time.Now()
				lastImp, lastImpT = se.iter, aStart
			}
		}
		frac := 0.0
		if se.maxIter > 0 {
			frac = float64(se.iter-iter0) / float64(max(1, se.maxIter-iter0))
		} else if budget > 0 {
			rem := budget - aStart.Sub(start)
			if rem > 0 {
				frac = float64(time.Since(aStart)) / float64(rem)
			}
		}
		frac = math.Min(1, frac)
		temp := t0 * math.Pow(tf/t0, frac)
		se.startCand()
		se.ruin(&se.cand)
		se.list = append(se.list, se.cand.unas...)
		se.cand.unas = se.cand.unas[:0]
		se.order(se.list)
		se.ins.blink = blinkRate
		used := 0
		for k := range se.cand.routes {
			if len(se.cand.routes[k].nodes) > 0 {
				used++
			}
		}
		se.recreate(&se.cand, se.list, allowNew || used < se.cur.nveh)
		se.cand.totals(in)
		// Requests left out cost pen each while annealing (so the walk may
		// cross plans that miss a few); the best plan is kept
		// lexicographically.
		accept := false
		switch {
		case se.cand.unW > se.best.unW+penSlack:
		case pen == 0 && se.cand.unW != se.cur.unW:
			accept = se.cand.unW < se.cur.unW
		case in.vehicleLevel && se.cand.nveh != se.cur.nveh:
			accept = se.cand.nveh < se.cur.nveh
		default:
			cc := se.cand.cost + pen*float64(se.cand.unW)
			cs := se.cur.cost + pen*float64(se.cur.unW)
			accept = cc < cs-temp*math.Log(1-se.rng.Float64())
		}
		if accept {
			se.acceptCand()
			if better(in, &se.cur, &se.best) {
				se.best.copyFrom(&se.cur)
				se.report(&se.best, se.iter)
				lastImp, lastImpT = se.iter, time.Now()
			}
		} else {
			se.rejectCand()
		}
	}
}

// restartWalk sets cur to the best plan with restartShare of its requests
// removed by string ruins and greedily reinserted; of five tries the first
// that places as many requests as the best plan is kept (none: the best
// plan itself, a plain reheat).
func (se *searcher) restartWalk(allowNew bool) {
	in := se.in
	se.cur.copyFrom(&se.best)
	se.synced = false
	want := int(restartShare * float64(len(se.active)))
	for try := 0; try < 5; try++ {
		se.startCand()
		var out []int32
		for tries := 0; len(out) < want && tries < 1000; tries++ {
			se.ruin(&se.cand)
			out = append(out, se.list...)
		}
		out = append(out, se.cand.unas...)
		se.cand.unas = se.cand.unas[:0]
		se.order(out)
		se.ins.blink = blinkRate
		used := 0
		for k := range se.cand.routes {
			if len(se.cand.routes[k].nodes) > 0 {
				used++
			}
		}
		se.recreate(&se.cand, out, allowNew || used < se.cur.nveh)
		se.cand.totals(in)
		if se.cand.unW <= se.best.unW && (!in.vehicleLevel || se.cand.nveh <= se.best.nveh) {
			se.acceptCand()
			return
		}
		se.rejectCand()
	}
}
