package siting

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// coverSets is the coverage relation "Cost[i][j] <= Radius" in CSR form,
// both ways.
type coverSets struct {
	n, m       int
	w          []float64
	byDemand   []int32 // candidates covering demand i: byDemand[dStart[i]:dStart[i+1]]
	dStart     []int32
	bySite     []int32 // demand covered by candidate j
	sStart     []int32
	total      float64 // total weight
	coverable  float64 // weight of demand some candidate covers
	integral   bool
	reachable  []bool // demand reached (finite cost) by some candidate
	unreachW   float64
	costMatrix []float64
}

func newCoverSets(pr *Problem, radius float64) *coverSets {
	n, m := pr.Cost.Rows, pr.Cost.Cols
	cs := &coverSets{n: n, m: m, w: make([]float64, n), dStart: make([]int32, n+1), sStart: make([]int32, m+1),
		integral: true, reachable: make([]bool, n), costMatrix: pr.Cost.Data}
	for i := 0; i < n; i++ {
		w := 1.0
		if pr.Weight != nil {
			w = pr.Weight[i]
		}
		cs.w[i] = w
		cs.total += w
		if w != math.Trunc(w) {
			cs.integral = false
		}
		for j := 0; j < m; j++ {
			c := pr.Cost.Data[i*m+j]
			if !math.IsInf(c, 1) {
				cs.reachable[i] = true
			}
			if c <= radius {
				cs.dStart[i+1]++
				cs.sStart[j+1]++
			}
		}
		if cs.dStart[i+1] > 0 {
			cs.coverable += w
		}
		if !cs.reachable[i] {
			cs.unreachW += w
		}
	}
	for i := 0; i < n; i++ {
		cs.dStart[i+1] += cs.dStart[i]
	}
	for j := 0; j < m; j++ {
		cs.sStart[j+1] += cs.sStart[j]
	}
	cs.byDemand = make([]int32, cs.dStart[n])
	cs.bySite = make([]int32, cs.sStart[m])
	fillS := append([]int32(nil), cs.sStart[:m]...)
	k := 0
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			if pr.Cost.Data[i*m+j] <= radius {
				cs.byDemand[k] = int32(j)
				k++
				cs.bySite[fillS[j]] = int32(i)
				fillS[j]++
			}
		}
	}
	return cs
}

func (cs *coverSets) covers(i int) []int32  { return cs.byDemand[cs.dStart[i]:cs.dStart[i+1]] }
func (cs *coverSets) covered(j int) []int32 { return cs.bySite[cs.sStart[j]:cs.sStart[j+1]] }

// finish fills Assign (nearest open site within radius, -1 otherwise),
// Covered, Unserved.
func (cs *coverSets) finish(sol *Solution, radius float64) {
	sol.Assign = make([]int, cs.n)
	for i := 0; i < cs.n; i++ {
		best, bj := math.Inf(1), -1
		reach := false
		for _, j := range sol.Open {
			c := cs.costMatrix[i*cs.m+j]
			if !math.IsInf(c, 1) {
				reach = true
			}
			if c <= radius && c < best {
				best, bj = c, j
			}
		}
		sol.Assign[i] = bj
		if bj >= 0 {
			sol.Covered += cs.w[i]
		}
		if !reach {
			sol.Unserved += cs.w[i]
		}
	}
}

// MaxCover opens o.P candidates covering the largest weight within
// o.Radius. Objective is the UNCOVERED weight (demand no candidate can
// cover included), Covered the covered weight; LowerBound comes from a
// Lagrangian relaxation of the coverage constraints (an upper bound on the
// coverable weight), so Gap bounds how much more could be covered.
//
// Method: greedy, then swap local search (gain/loss/extra over coverage
// counts) in a variable neighbourhood search. Complexity per local-search
// round O(Σ coverage list sizes + m·p). Errors: ErrInvalid, ErrInfeasible.
func MaxCover(ctx context.Context, pr *Problem, o Options) (*Solution, error) {
	if err := pr.validate(&o, true); err != nil {
		return nil, err
	}
	ck := newClock(o.TimeLimit, ctx.Done())
	cs := newCoverSets(pr, o.Radius)
	lock := make([]bool, cs.m)
	for _, j := range pr.Fixed {
		lock[j] = true
	}
	mc := &maxCover{cs: cs, p: o.P, lock: lock, pos: make([]int32, cs.m), cnt: make([]int32, cs.n),
		gain: make([]float64, cs.m), loss: make([]float64, o.P), extra: make([]float64, cs.m*o.P)}
	rng := rand.New(rand.NewPCG(o.Seed, 0xc0fe))

	// Greedy start: fixed, Start, then best marginal coverage.
	open := make([]int32, 0, o.P)
	isOpen := make([]bool, cs.m)
	for j := range lock {
		if lock[j] {
			open, isOpen[j] = append(open, int32(j)), true
		}
	}
	for _, j := range o.Start {
		if !isOpen[j] && len(open) < o.P {
			open, isOpen[j] = append(open, int32(j)), true
		}
	}
	cov := make([]bool, cs.n)
	for _, j := range open {
		for _, i := range cs.covered(int(j)) {
			cov[i] = true
		}
	}
	for len(open) < o.P {
		bj, bg := -1, -1.0
		for j := 0; j < cs.m; j++ {
			if isOpen[j] {
				continue
			}
			g := 0.0
			for _, i := range cs.covered(j) {
				if !cov[i] {
					g += cs.w[i]
				}
			}
			if g > bg {
				bj, bg = j, g
			}
		}
		open, isOpen[bj] = append(open, int32(bj)), true
		for _, i := range cs.covered(bj) {
			cov[i] = true
		}
	}
	var inS []bool
	if len(o.Start) > 0 && o.MaxMoves > 0 {
		inS = make([]bool, cs.m)
		for _, j := range o.Start {
			inS[j] = true
		}
	}
	mc.inS, mc.maxMoves = inS, o.MaxMoves
	mc.load(open)
	mc.descend(ck)
	best := append([]int32(nil), mc.open...)
	bestCov := mc.coveredW

	// Lagrangian upper bound on the covered weight.
	ub, lbIters := mc.bound(ck, ck.at(0.3), bestCov, o.LagrangianIterations)
	proven := func() bool {
		u := ub
		if cs.integral {
			u = math.Floor(u + 1e-6)
		}
		return bestCov >= u-1e-9*math.Max(1, u)
	}
	iters := 0
	kmax := o.P - len(pr.Fixed)
	if free := cs.m - o.P; free < kmax {
		kmax = free
	}
	kmax = min(kmax, 10)
	k := 1
	for kmax > 0 && !proven() && !ck.over() {
		if o.MaxIterations > 0 && iters >= o.MaxIterations {
			break
		}
		iters++
		mc.load(best)
		mc.shake(rng, k)
		mc.descend(ck)
		if mc.coveredW > bestCov+1e-9*math.Max(1, bestCov) {
			bestCov = mc.coveredW
			best = append(best[:0], mc.open...)
			k = 1
		} else if k++; k > kmax {
			k = 1
		}
	}
	sol := &Solution{Seed: o.Seed, Iterations: iters, LagrangianIterations: lbIters}
	for _, j := range best {
		sol.Open = append(sol.Open, int(j))
	}
	sort.Ints(sol.Open)
	cs.finish(sol, o.Radius)
	sol.Objective = cs.total - sol.Covered
	u := ub
	if cs.integral {
		u = math.Floor(u + 1e-6)
	}
	sol.LowerBound = math.Max(0, cs.total-u)
	sol.setGap(false)
	sol.Seconds = ck.seconds()
	return sol, nil
}

type maxCover struct {
	cs       *coverSets
	p        int
	lock     []bool
	inS      []bool
	maxMoves int
	open     []int32
	pos      []int32
	cnt      []int32
	gain     []float64
	loss     []float64
	extra    []float64
	coveredW float64
	moves    int
}

func (mc *maxCover) load(open []int32) {
	mc.open = append(mc.open[:0], open...)
	for j := range mc.pos {
		mc.pos[j] = -1
	}
	mc.moves = 0
	for k, j := range mc.open {
		mc.pos[j] = int32(k)
		if mc.inS != nil && !mc.inS[j] {
			mc.moves++
		}
	}
	mc.count()
}

func (mc *maxCover) count() {
	cs := mc.cs
	mc.coveredW = 0
	for i := 0; i < cs.n; i++ {
		c := int32(0)
		for _, j := range cs.covers(i) {
			if mc.pos[j] >= 0 {
				c++
			}
		}
		mc.cnt[i] = c
		if c > 0 {
			mc.coveredW += cs.w[i]
		}
	}
}

func (mc *maxCover) movesAfter(f, r int32) int {
	if mc.inS == nil {
		return 0
	}
	mv := mc.moves
	if !mc.inS[f] {
		mv++
	}
	if !mc.inS[mc.open[r]] {
		mv--
	}
	return mv
}

func (mc *maxCover) apply(f, r int32) {
	mc.moves = mc.movesAfter(f, r)
	mc.pos[mc.open[r]] = -1
	mc.open[r] = f
	mc.pos[f] = r
}

func (mc *maxCover) descend(ck *clock) {
	cs, p := mc.cs, mc.p
	if p >= cs.m {
		return
	}
	for it := 0; ; it++ {
		if it&15 == 15 && ck.over() {
			return
		}
		clear(mc.gain)
		clear(mc.loss)
		clear(mc.extra)
		for i := 0; i < cs.n; i++ {
			w := cs.w[i]
			switch mc.cnt[i] {
			case 0:
				for _, j := range cs.covers(i) {
					mc.gain[j] += w
				}
			case 1:
				r := int32(-1)
				for _, j := range cs.covers(i) {
					if mc.pos[j] >= 0 {
						r = mc.pos[j]
						break
					}
				}
				mc.loss[r] += w
				for _, j := range cs.covers(i) {
					if mc.pos[j] < 0 {
						mc.extra[int(j)*p+int(r)] += w
					}
				}
			}
		}
		bf, br, bp := int32(-1), int32(-1), 1e-9*math.Max(1, mc.coveredW)
		for j := 0; j < cs.m; j++ {
			if mc.pos[j] >= 0 {
				continue
			}
			for r := 0; r < p; r++ {
				v := mc.gain[j] - mc.loss[r] + mc.extra[j*p+r]
				if v > bp && !mc.lock[mc.open[r]] {
					if mc.maxMoves > 0 && mc.movesAfter(int32(j), int32(r)) > mc.maxMoves {
						continue
					}
					bf, br, bp = int32(j), int32(r), v
				}
			}
		}
		if bf < 0 {
			return
		}
		mc.apply(bf, br)
		mc.count()
	}
}

func (mc *maxCover) shake(rng *rand.Rand, k int) {
	for t := 0; t < k; t++ {
		for try := 0; try < 50; try++ {
			r := int32(rng.IntN(mc.p))
			f := int32(rng.IntN(mc.cs.m))
			if mc.pos[f] >= 0 || mc.lock[mc.open[r]] {
				continue
			}
			if mc.maxMoves > 0 && mc.movesAfter(f, r) > mc.maxMoves {
				continue
			}
			mc.apply(f, r)
			break
		}
	}
	mc.count()
}

// bound minimises the Lagrangian upper bound on the covered weight
//
//	U(μ) = Σ_i max(0, w_i − μ_i) + Σ_{j ∈ top p} Σ_{i ∈ cov(j)} μ_i,  μ >= 0,
//
// by subgradient steps; returns the best U and the iterations done.
func (mc *maxCover) bound(ck *clock, until time.Time, lbCov float64, maxIter int) (float64, int) {
	cs := mc.cs
	mu := make([]float64, cs.n)
	for i := range mu {
		mu[i] = cs.w[i] / 2
	}
	val := make([]float64, cs.m)
	idx := make([]int32, cs.m)
	sel := make([]bool, cs.m)
	g := make([]float64, cs.n)
	best := cs.total
	theta, stall := 2.0, 0
	it := 0
	for ; maxIter == 0 || it < maxIter; it++ {
		if it&7 == 0 && (ck.over() || time.Now().After(until)) {
			break
		}
		U := 0.0
		for i := 0; i < cs.n; i++ {
			if cs.w[i] > mu[i] {
				U += cs.w[i] - mu[i]
			}
		}
		for j := 0; j < cs.m; j++ {
			v := 0.0
			for _, i := range cs.covered(j) {
				v += mu[i]
			}
			val[j] = v
			idx[j] = int32(j)
			sel[j] = mc.lock[j]
		}
		cnt := 0
		for j := range sel {
			if sel[j] {
				U += val[j]
				cnt++
			}
		}
		sort.Slice(idx, func(a, b int) bool {
			if val[idx[a]] != val[idx[b]] {
				return val[idx[a]] > val[idx[b]]
			}
			return idx[a] < idx[b]
		})
		for _, j := range idx {
			if cnt >= mc.p {
				break
			}
			if !sel[j] {
				sel[j] = true
				U += val[j]
				cnt++
			}
		}
		if U < best-1e-9*math.Max(1, best) {
			best, stall = U, 0
		} else if stall++; stall >= 30 {
			theta, stall = theta/2, 0
		}
		target := best
		if cs.integral {
			target = math.Floor(best + 1e-6)
		}
		if lbCov >= target-1e-9*math.Max(1, target) || theta < 1e-5 {
			break
		}
		// Subgradient of U at μ: −[w_i > μ_i] + #{selected j covering i}.
		norm := 0.0
		for i := 0; i < cs.n; i++ {
			gi := 0.0
			if cs.w[i] > mu[i] {
				gi = -1
			}
			for _, j := range cs.covers(i) {
				if sel[j] {
					gi++
				}
			}
			g[i] = gi
			norm += gi * gi
		}
		if norm == 0 {
			break
		}
		step := theta * math.Max(U-lbCov, 1e-9*math.Max(1, U)) / norm
		for i := range mu {
			mu[i] = math.Max(0, mu[i]-step*g[i])
		}
	}
	return best, it
}

// SetCover opens the fewest candidates such that every demand point that
// some candidate covers within o.Radius is covered (Fixed sites are always
// open; o.P is ignored). Objective is the number of open sites; demand no
// candidate covers is left uncovered (Covered < total weight). LowerBound
// comes from a Lagrangian relaxation of the covering constraints.
//
// Method: randomised greedy (most uncovered demand points per site) with
// redundancy elimination, restarted until the budget ends or the bound is
// met. Errors: ErrInvalid.
func SetCover(ctx context.Context, pr *Problem, o Options) (*Solution, error) {
	if err := pr.validate(&o, false); err != nil {
		return nil, err
	}
	ck := newClock(o.TimeLimit, ctx.Done())
	cs := newCoverSets(pr, o.Radius)
	rng := rand.New(rand.NewPCG(o.Seed, 0x5e7c))
	lock := make([]bool, cs.m)
	for _, j := range pr.Fixed {
		lock[j] = true
	}
	need := make([]bool, cs.n)
	for i := 0; i < cs.n; i++ {
		need[i] = cs.dStart[i+1] > cs.dStart[i]
	}
	var best []int32
	build := func(noise float64) []int32 {
		cnt := make([]int32, cs.n)
		isOpen := make([]bool, cs.m)
		var open []int32
		add := func(j int) {
			isOpen[j] = true
			open = append(open, int32(j))
			for _, i := range cs.covered(j) {
				cnt[i]++
			}
		}
		for j := range lock {
			if lock[j] {
				add(j)
			}
		}
		left := 0
		for i := range need {
			if need[i] && cnt[i] == 0 {
				left++
			}
		}
		for left > 0 {
			bj, bs := -1, -1.0
			for j := 0; j < cs.m; j++ {
				if isOpen[j] {
					continue
				}
				s := 0.0
				for _, i := range cs.covered(j) {
					if cnt[i] == 0 {
						s++
					}
				}
				if s == 0 {
					continue
				}
				if noise > 0 {
					s *= 1 + noise*rng.Float64()
				}
				if s > bs {
					bj, bs = j, s
				}
			}
			for _, i := range cs.covered(bj) {
				if cnt[i] == 0 {
					left--
				}
			}
			add(bj)
		}
		// Redundancy elimination, least useful sites first.
		sort.Slice(open, func(a, b int) bool {
			la, lb := len(cs.covered(int(open[a]))), len(cs.covered(int(open[b])))
			if la != lb {
				return la < lb
			}
			return open[a] < open[b]
		})
		kept := open[:0]
		for _, j := range open {
			red := !lock[j]
			for _, i := range cs.covered(int(j)) {
				if red && cnt[i] < 2 {
					red = false
				}
			}
			if red {
				for _, i := range cs.covered(int(j)) {
					cnt[i]--
				}
				continue
			}
			kept = append(kept, j)
		}
		return append([]int32(nil), kept...)
	}
	best = build(0)
	lb, lbIters := setCoverBound(cs, lock, need, ck, ck.at(0.3), float64(len(best)), o.LagrangianIterations)
	iters := 0
	for float64(len(best)) > math.Ceil(lb-1e-6) && !ck.over() {
		if o.MaxIterations > 0 && iters >= o.MaxIterations {
			break
		}
		iters++
		if s := build(0.3); len(s) < len(best) {
			best = s
		}
	}
	sol := &Solution{Seed: o.Seed, Iterations: iters, LagrangianIterations: lbIters}
	for _, j := range best {
		sol.Open = append(sol.Open, int(j))
	}
	sort.Ints(sol.Open)
	cs.finish(sol, o.Radius)
	sol.Objective = float64(len(best))
	sol.LowerBound = lb
	sol.setGap(true)
	sol.Seconds = ck.seconds()
	return sol, nil
}

// setCoverBound maximises L(u) = Σ_i u_i + Σ_j min(0, 1 − Σ_{i∈cov(j)} u_i)
// (fixed j always taken) over u >= 0 by subgradient steps.
func setCoverBound(cs *coverSets, lock, need []bool, ck *clock, until time.Time, ub float64, maxIter int) (float64, int) {
	u := make([]float64, cs.n)
	for i := range u {
		if need[i] {
			u[i] = 1 / float64(cs.dStart[i+1]-cs.dStart[i])
		}
	}
	sel := make([]bool, cs.m)
	g := make([]float64, cs.n)
	best := 0.0
	for j := range lock {
		if lock[j] {
			best++
		}
	}
	theta, stall := 2.0, 0
	it := 0
	for ; maxIter == 0 || it < maxIter; it++ {
		if it&7 == 0 && (ck.over() || time.Now().After(until)) {
			break
		}
		L := 0.0
		for i := range u {
			L += u[i]
		}
		for j := 0; j < cs.m; j++ {
			red := 1.0
			for _, i := range cs.covered(j) {
				red -= u[i]
			}
			sel[j] = lock[j] || red < 0
			if sel[j] {
				L += red
			}
		}
		if L > best+1e-9 {
			best, stall = L, 0
		} else if stall++; stall >= 30 {
			theta, stall = theta/2, 0
		}
		if math.Ceil(best-1e-6) >= ub || theta < 1e-5 {
			break
		}
		norm := 0.0
		for i := 0; i < cs.n; i++ {
			if !need[i] {
				g[i] = 0
				continue
			}
			gi := 1.0
			for _, j := range cs.covers(i) {
				if sel[j] {
					gi--
				}
			}
			g[i] = gi
			norm += gi * gi
		}
		if norm == 0 {
			break
		}
		step := theta * math.Max(ub-L, 1e-6) / norm
		for i := range u {
			u[i] = math.Max(0, u[i]+step*g[i])
		}
	}
	return best, it
}
