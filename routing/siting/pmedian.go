package siting

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// PMedian opens o.P candidates minimising the weighted sum of the cost from
// each demand point to its nearest open candidate.
//
// Method: greedy add, then fast interchange (best-improvement swaps with the
// gain/loss/extra decomposition of Whitaker and Resende–Werneck, each round
// O(n·k + m·p) with k the candidates nearer than a point's second-nearest
// open site), inside a skewed variable neighbourhood search (k-swaps,
// k = 1..25, half of them to candidates near a served demand point; a
// current solution up to 0.05% worse than the best may be walked from). A Lagrangian relaxation of the assignment constraints,
// optimised by subgradient steps, gives LowerBound, seeds the search with
// the sites its relaxed solutions pick, and stops the search early once the
// bound (rounded up when all data are integral) meets the incumbent.
// With o.Start and o.MaxMoves the search stays within MaxMoves swaps of
// Start (re-planning); the bound then is that of the unconstrained problem.
//
// Errors: ErrInvalid, ErrInfeasible (more fixed sites than P), or ctx.Err()
// when cancelled before any solution.
func PMedian(ctx context.Context, pr *Problem, o Options) (*Solution, error) {
	if err := pr.validate(&o, true); err != nil {
		return nil, err
	}
	ck := newClock(o.TimeLimit, ctx.Done())
	in := prepare(pr)
	s := newSearch(in, pr, &o, ck)
	s.run()
	return s.solution(), nil
}

// search is the state of one p-median solve.
type search struct {
	in   *inst
	o    *Options
	ck   *clock
	rng  *rand.Rand
	p    int
	lock []bool // m: fixed open
	inS  []bool // m: member of Start (for MaxMoves)

	best     []int32 // best open set
	bestCost float64 // penalised weighted cost
	lb       float64 // best Lagrangian bound (penalised model)
	lbIters  int
	iters    int

	ls *localSearch
}

func newSearch(in *inst, pr *Problem, o *Options, ck *clock) *search {
	s := &search{in: in, o: o, ck: ck, rng: rand.New(rand.NewPCG(o.Seed, 0x5171)),
		p: o.P, lock: make([]bool, in.m), bestCost: math.Inf(1), lb: math.Inf(-1)}
	for _, j := range pr.Fixed {
		s.lock[j] = true
	}
	if len(o.Start) > 0 && o.MaxMoves > 0 {
		s.inS = make([]bool, in.m)
		for _, j := range o.Start {
			s.inS[j] = true
		}
	}
	s.ls = newLocalSearch(in, s.p, s.lock, s.inS, o.MaxMoves)
	return s
}

func (s *search) lbTarget() float64 {
	if s.in.integral {
		return math.Ceil(s.lb - 1e-6)
	}
	return s.lb
}

func (s *search) proven() bool {
	return s.bestCost <= s.lbTarget()+1e-9*math.Max(1, s.bestCost)
}

func (s *search) offer(open []int32, cost float64) {
	if cost < s.bestCost-1e-9*math.Max(1, math.Abs(cost)) {
		s.bestCost = cost
		s.best = append(s.best[:0], open...)
	}
}

func (s *search) run() {
	in := s.in
	if s.p == in.m {
		all := make([]int32, in.m)
		for j := range all {
			all[j] = int32(j)
		}
		s.ls.load(all)
		s.offer(s.ls.open, s.ls.cost)
		s.lb = s.ls.cost
		return
	}
	if s.p == 1 {
		// Exact: the best single column (Start and MaxMoves >= 1 allow any).
		bj, bc := -1, math.Inf(1)
		for j := 0; j < in.m; j++ {
			if countTrue(s.lock) > 0 && !s.lock[j] {
				continue
			}
			c := 0.0
			for i := 0; i < in.n; i++ {
				c += in.wc[i*in.m+j]
			}
			if c < bc {
				bj, bc = j, c
			}
		}
		s.offer([]int32{int32(bj)}, bc)
		s.lb = bc
		return
	}
	// Starting solution: Start (completed) or greedy.
	start := s.initial()
	s.ls.load(start)
	s.ls.descend(s.ck)
	s.offer(s.ls.open, s.ls.cost)
	if s.p-countTrue(s.lock) == 0 {
		// Every site fixed: no choice.
		s.lb = s.bestCost
		return
	}
	// Lagrangian bound with a share of the budget (at least one
	// evaluation, even out of time); it also proposes sites.
	lr := newLagrangian(in, s.p, s.lock)
	lr.init(s.ls)
	share := 0.3
	if s.o.MaxMoves > 0 {
		share = 0.1
	}
	lr.run(s, s.ck.at(share), s.o.LagrangianIterations)
	if s.proven() || s.ck.over() {
		return
	}
	s.vns(lr)
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// initial builds the first open set: Start completed greedily (or trimmed),
// else fixed sites plus greedy additions.
func (s *search) initial() []int32 {
	in := s.in
	open := make([]int32, 0, s.p)
	isOpen := make([]bool, in.m)
	add := func(j int) {
		if !isOpen[j] && len(open) < s.p {
			isOpen[j] = true
			open = append(open, int32(j))
		}
	}
	for j := range s.lock {
		if s.lock[j] {
			add(j)
		}
	}
	for _, j := range s.o.Start {
		add(j)
	}
	// Greedy add: each step opens the candidate that lowers the cost most.
	cur := make([]float64, in.n)
	for i := range cur {
		cur[i] = math.Inf(1)
		for _, j := range open {
			cur[i] = math.Min(cur[i], in.wc[i*in.m+int(j)])
		}
	}
	gain := make([]float64, in.m)
	for len(open) < s.p {
		for j := range gain {
			gain[j] = 0
		}
		for i := 0; i < in.n; i++ {
			row := in.wc[i*in.m : (i+1)*in.m]
			ord := in.order[i*in.m : (i+1)*in.m]
			for _, j := range ord {
				v := row[j]
				if v >= cur[i] {
					break
				}
				if math.IsInf(cur[i], 1) {
					gain[j] += 1e300 - v // empty start: any site beats none
				} else {
					gain[j] += cur[i] - v
				}
			}
		}
		bj, bg := -1, -1.0
		for j, g := range gain {
			if !isOpen[j] && g > bg {
				bj, bg = j, g
			}
		}
		add(bj)
		for i := 0; i < in.n; i++ {
			cur[i] = math.Min(cur[i], in.wc[i*in.m+bj])
		}
	}
	return open
}

// vns runs the variable neighbourhood search from the incumbent until the
// budget ends, the iteration cap is hit or the bound proves optimality.
// Between rounds it resumes the subgradient method with the better upper
// bound.
func (s *search) vns(lr *lagrangian) {
	kmax := s.p - countTrue(s.lock)
	if free := s.in.m - s.p; free < kmax {
		kmax = free
	}
	if kmax > 25 {
		kmax = 25
	}
	if kmax < 1 {
		return
	}
	k := 1
	sinceLR := 0
	// Skewed VNS: the search walks from a current solution that may be
	// slightly worse than the best (within 0.05%), and returns to the best
	// after a full cycle of neighbourhoods without a move.
	cur := append([]int32(nil), s.best...)
	curCost := s.bestCost
	for !s.ck.over() {
		if s.o.MaxIterations > 0 && s.iters >= s.o.MaxIterations {
			return
		}
		s.iters++
		s.ls.load(cur)
		s.ls.shake(s.rng, k)
		s.ls.descend(s.ck)
		improved := s.ls.cost < s.bestCost-1e-9*math.Max(1, s.bestCost)
		s.offer(s.ls.open, s.ls.cost)
		if s.proven() {
			return
		}
		if !improved && s.ls.cost < curCost*(1+5e-4) && !equalSet(s.ls.open, cur) {
			cur = append(cur[:0], s.ls.open...)
			curCost = s.ls.cost
			k = 1
			continue
		}
		if improved {
			cur = append(cur[:0], s.ls.open...)
			curCost = s.ls.cost
			k = 1
			if s.o.LagrangianIterations == 0 && !lr.converged {
				// A better upper bound sharpens the subgradient steps.
				lr.run(s, s.ck.at(1), 50)
			}
		} else if k++; k > kmax {
			k = 1
			cur = append(cur[:0], s.best...)
			curCost = s.bestCost
		}
		sinceLR++
		if sinceLR >= 200 && s.o.LagrangianIterations == 0 && !lr.converged {
			sinceLR = 0
			lr.run(s, s.ck.at(1), 100)
		}
	}
}

func (s *search) solution() *Solution {
	open := make([]int, len(s.best))
	for k, j := range s.best {
		open[k] = int(j)
	}
	sort.Ints(open)
	obj, uns, assign := s.in.evaluate(open)
	sol := &Solution{Open: open, Assign: assign, Objective: obj, Unserved: uns,
		Iterations: s.iters, LagrangianIterations: s.lbIters, Seed: s.o.Seed, Seconds: s.ck.seconds()}
	if uns == 0 && !math.IsInf(s.lb, -1) {
		sol.LowerBound = s.lb
	} else {
		// The bound is of the penalised model; with unserved demand it
		// does not carry over to the reported (served-only) objective.
		sol.LowerBound = 0
	}
	sol.setGap(s.in.integral)
	return sol
}

// localSearch is the fast-interchange local search state.
type localSearch struct {
	in       *inst
	p        int
	lock     []bool
	inS      []bool
	maxMoves int

	open   []int32   // p open candidates
	pos    []int32   // m: index in open, -1 when closed
	c1, c2 []int32   // n: nearest and second-nearest open candidate
	d1, d2 []float64 // n: their weighted costs
	gain   []float64 // m
	loss   []float64 // p (by position)
	extra  []float64 // m*p
	cost   float64
	moves  int // open candidates not in Start
}

func newLocalSearch(in *inst, p int, lock, inS []bool, maxMoves int) *localSearch {
	ls := &localSearch{in: in, p: p, lock: lock, inS: inS, maxMoves: maxMoves,
		open: make([]int32, p), pos: make([]int32, in.m),
		c1: make([]int32, in.n), c2: make([]int32, in.n), d1: make([]float64, in.n), d2: make([]float64, in.n),
		gain: make([]float64, in.m), loss: make([]float64, p), extra: make([]float64, in.m*p)}
	return ls
}

func (ls *localSearch) load(open []int32) {
	for j := range ls.pos {
		ls.pos[j] = -1
	}
	copy(ls.open, open)
	ls.moves = 0
	for k, j := range ls.open {
		ls.pos[j] = int32(k)
		if ls.inS != nil && !ls.inS[j] {
			ls.moves++
		}
	}
	ls.nearest()
}

// nearest recomputes c1/c2/d1/d2 and the cost. O(n·k).
func (ls *localSearch) nearest() {
	in := ls.in
	ls.cost = 0
	for i := 0; i < in.n; i++ {
		ord := in.order[i*in.m : (i+1)*in.m]
		row := in.wc[i*in.m : (i+1)*in.m]
		found := 0
		ls.c2[i], ls.d2[i] = -1, math.Inf(1)
		for _, j := range ord {
			if ls.pos[j] < 0 {
				continue
			}
			if found == 0 {
				ls.c1[i], ls.d1[i] = j, row[j]
				found = 1
				continue
			}
			ls.c2[i], ls.d2[i] = j, row[j]
			break
		}
		ls.cost += ls.d1[i]
	}
}

// swapAllowed reports whether opening f and closing the site at position r
// keeps the move budget.
func (ls *localSearch) movesAfter(f, r int32) int {
	if ls.inS == nil {
		return 0
	}
	mv := ls.moves
	if !ls.inS[f] {
		mv++
	}
	if !ls.inS[ls.open[r]] {
		mv--
	}
	return mv
}

// bestSwap evaluates every (insert f, remove position r) pair and returns
// the best profit (cost decrease). O(n·k + m·p).
func (ls *localSearch) bestSwap() (f, r int32, profit float64) {
	in, p := ls.in, ls.p
	for j := range ls.gain {
		ls.gain[j] = 0
	}
	for k := range ls.loss {
		ls.loss[k] = 0
	}
	for k := range ls.extra {
		ls.extra[k] = 0
	}
	for i := 0; i < in.n; i++ {
		d1, d2 := ls.d1[i], ls.d2[i]
		r1 := int(ls.pos[ls.c1[i]])
		ls.loss[r1] += d2 - d1
		ord := in.order[i*in.m : (i+1)*in.m]
		row := in.wc[i*in.m : (i+1)*in.m]
		for _, j := range ord {
			c := row[j]
			if c >= d2 {
				break
			}
			if ls.pos[j] >= 0 {
				continue
			}
			if c < d1 {
				ls.gain[j] += d1 - c
				ls.extra[int(j)*p+r1] += d2 - d1
			} else {
				ls.extra[int(j)*p+r1] += d2 - c
			}
		}
	}
	f, r, profit = -1, -1, 0
	for j := 0; j < in.m; j++ {
		if ls.pos[j] >= 0 {
			continue
		}
		g := ls.gain[j]
		ex := ls.extra[j*p : (j+1)*p]
		for k := 0; k < p; k++ {
			v := g - ls.loss[k] + ex[k]
			if v > profit && !ls.lock[ls.open[k]] {
				if ls.maxMoves > 0 && ls.movesAfter(int32(j), int32(k)) > ls.maxMoves {
					continue
				}
				f, r, profit = int32(j), int32(k), v
			}
		}
	}
	return f, r, profit
}

func (ls *localSearch) apply(f, r int32) {
	ls.moves = ls.movesAfter(f, r)
	old := ls.open[r]
	ls.pos[old] = -1
	ls.open[r] = f
	ls.pos[f] = r
}

// descend applies best-improvement swaps until none improves.
func (ls *localSearch) descend(ck *clock) {
	if ls.p >= ls.in.m {
		return
	}
	for it := 0; ; it++ {
		if it&15 == 15 && ck.over() {
			return
		}
		f, r, profit := ls.bestSwap()
		if f < 0 || profit <= 1e-9*math.Max(1, ls.cost) {
			return
		}
		ls.apply(f, r)
		ls.nearest()
	}
}

// shake applies k random swaps (respecting locks and the move budget).
func (ls *localSearch) shake(rng *rand.Rand, k int) {
	m := ls.in.m
	for t := 0; t < k; t++ {
		local := rng.IntN(2) == 0
		for try := 0; try < 50; try++ {
			r := int32(rng.IntN(ls.p))
			f := int32(rng.IntN(m))
			if local {
				// Move a site to a candidate near one of its clients:
				// a perturbation local search does not simply undo.
				i := rng.IntN(ls.in.n)
				r = ls.pos[ls.c1[i]]
				f = ls.in.order[i*m+rng.IntN(min(m, 12))]
				if r < 0 {
					continue
				}
			}
			if ls.pos[f] >= 0 || ls.lock[ls.open[r]] {
				continue
			}
			if ls.maxMoves > 0 && ls.movesAfter(f, r) > ls.maxMoves {
				continue
			}
			ls.apply(f, r)
			break
		}
	}
	ls.nearest()
}

// lagrangian is the subgradient optimisation of the Lagrangian relaxation
// of the assignment constraints:
//
//	L(λ) = Σ_i λ_i + Σ_{j ∈ J(λ)} ρ_j,  ρ_j = Σ_i min(0, w_i·c_ij − λ_i),
//
// J(λ) the p smallest ρ_j (fixed sites always in). Every L(λ) is a lower
// bound on the optimum.
type lagrangian struct {
	in        *inst
	p         int
	lock      []bool
	lambda    []float64 // n
	rho       []float64 // m
	idx       []int32   // m
	sel       []bool    // m
	g         []float64 // n
	theta     float64
	best      float64
	stall     int
	converged bool
	lastSet   []int32
}

func newLagrangian(in *inst, p int, lock []bool) *lagrangian {
	return &lagrangian{in: in, p: p, lock: lock, lambda: make([]float64, in.n), rho: make([]float64, in.m),
		idx: make([]int32, in.m), sel: make([]bool, in.m), g: make([]float64, in.n), theta: 2, best: math.Inf(-1)}
}

// init sets λ_i to the second-nearest weighted cost of the local-search
// solution, a classic warm start.
func (lr *lagrangian) init(ls *localSearch) {
	for i := range lr.lambda {
		v := ls.d2[i]
		if math.IsInf(v, 1) {
			v = ls.d1[i]
		}
		lr.lambda[i] = v
	}
}

// eval computes L(λ), the selected set and the subgradient.
func (lr *lagrangian) eval() float64 {
	in := lr.in
	for j := range lr.rho {
		lr.rho[j] = 0
	}
	sumL := 0.0
	for i := 0; i < in.n; i++ {
		lam := lr.lambda[i]
		sumL += lam
		ord := in.order[i*in.m : (i+1)*in.m]
		row := in.wc[i*in.m : (i+1)*in.m]
		for _, j := range ord {
			c := row[j]
			if c >= lam {
				break
			}
			lr.rho[j] += c - lam
		}
	}
	// Select fixed sites, then the most negative ρ.
	for j := range lr.idx {
		lr.idx[j] = int32(j)
		lr.sel[j] = false
	}
	L := sumL
	cnt := 0
	for j := range lr.lock {
		if lr.lock[j] {
			lr.sel[j] = true
			L += lr.rho[j]
			cnt++
		}
	}
	idx := lr.idx
	rho := lr.rho
	sort.Slice(idx, func(a, b int) bool {
		if rho[idx[a]] != rho[idx[b]] {
			return rho[idx[a]] < rho[idx[b]]
		}
		return idx[a] < idx[b]
	})
	for _, j := range idx {
		if cnt >= lr.p {
			break
		}
		if lr.sel[j] {
			continue
		}
		lr.sel[j] = true
		L += rho[j]
		cnt++
	}
	// Subgradient: g_i = 1 − #{selected j with w_i c_ij < λ_i}.
	for i := 0; i < in.n; i++ {
		lam := lr.lambda[i]
		ord := in.order[i*in.m : (i+1)*in.m]
		row := in.wc[i*in.m : (i+1)*in.m]
		gi := 1.0
		for _, j := range ord {
			if row[j] >= lam {
				break
			}
			if lr.sel[j] {
				gi--
			}
		}
		lr.g[i] = gi
	}
	return L
}

// run performs subgradient iterations until the deadline, maxIter (0: no
// cap), convergence, or a bound proving the incumbent optimal. Relaxed
// solutions that differ from the last one are repaired by local search and
// offered to the incumbent.
func (lr *lagrangian) run(s *search, until time.Time, maxIter int) {
	in := lr.in
	free := lr.p - countTrue(lr.lock)
	for it := 0; maxIter == 0 || it < maxIter; it++ {
		// At least one evaluation, so that every answer carries a bound.
		if it > 0 && it&7 == 0 && (s.ck.over() || time.Now().After(until)) {
			return
		}
		L := lr.eval()
		s.lbIters++
		if math.IsInf(lr.best, -1) || L > lr.best+1e-9*math.Max(1, math.Abs(lr.best)) {
			lr.best = L
			lr.stall = 0
		} else if lr.stall++; lr.stall >= 30 {
			lr.theta /= 2
			lr.stall = 0
		}
		if lr.best > s.lb {
			s.lb = lr.best
		}
		if s.proven() {
			return
		}
		// Upper bound from the relaxed choice, every few iterations.
		if free > 0 && it%10 == 0 {
			set := make([]int32, 0, lr.p)
			for j := 0; j < in.m; j++ {
				if lr.sel[j] {
					set = append(set, int32(j))
				}
			}
			if !equal32(set, lr.lastSet) && s.inS == nil {
				lr.lastSet = set
				s.ls.load(set)
				s.ls.descend(s.ck)
				s.offer(s.ls.open, s.ls.cost)
				if s.proven() {
					return
				}
			}
		}
		norm := 0.0
		for _, v := range lr.g {
			norm += v * v
		}
		if norm == 0 {
			// λ is optimal for the relaxation and the relaxed solution is
			// feasible: the bound equals its cost.
			lr.converged = true
			return
		}
		if lr.theta < 1e-5 {
			lr.converged = true
			return
		}
		ub := s.bestCost
		target := ub - L
		if target < 1e-9*math.Max(1, ub) {
			target = 1e-9 * math.Max(1, ub)
		}
		step := lr.theta * target / norm
		for i := range lr.lambda {
			lr.lambda[i] += step * lr.g[i]
			if lr.lambda[i] < 0 {
				lr.lambda[i] = 0
			}
		}
	}
}

// equalSet reports whether a and b hold the same sites (any order).
func equalSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[int32]bool, len(a))
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

func equal32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
