package siting

import (
	"context"
	"math"
	"sort"
)

// CapacitatedPMedian opens o.P candidates and assigns demand, which may be
// split between sites, so that no open site j receives more than
// pr.Capacity[j] weight units, minimising Σ amount·cost.
//
// Method: the uncapacitated PMedian (40% of the budget) gives the start and
// the LowerBound (the capacitated optimum can only be higher); for a fixed
// set of sites the assignment is an exact transportation problem solved by
// successive shortest paths over the open sites (each augmentation
// O(F·q + q²·rounds), F the positive flows, q open sites); a swap local
// search then replaces sites by candidates near the demand they serve,
// first improvement, until no swap helps or the budget ends. Demand that
// fits no capacity is reported in Unserved (LowerBound is then 0).
//
// Errors: ErrInvalid (Capacity missing or wrong length), ErrInfeasible,
// ctx.Err() when cancelled before any solution.
func CapacitatedPMedian(ctx context.Context, pr *Problem, o Options) (*Solution, error) {
	if err := pr.validate(&o, true); err != nil {
		return nil, err
	}
	if pr.Capacity == nil {
		return nil, invalid("capacitated p-median needs capacities")
	}
	ck := newClock(o.TimeLimit, ctx.Done())
	uo := o
	uo.TimeLimit = ck.at(0.4).Sub(ck.start)
	un, err := PMedian(ctx, pr, uo)
	if err != nil {
		return nil, err
	}
	in := prepare(pr)
	tp := newTransport(in, pr.Capacity)
	open := append([]int(nil), un.Open...)
	cost := tp.solve(open)
	lock := make([]bool, in.m)
	for _, j := range pr.Fixed {
		lock[j] = true
	}
	var inS []bool
	if len(o.Start) > 0 && o.MaxMoves > 0 {
		inS = make([]bool, in.m)
		for _, j := range o.Start {
			inS[j] = true
		}
	}
	moves := func(set []int) int {
		if inS == nil {
			return 0
		}
		c := 0
		for _, j := range set {
			if !inS[j] {
				c++
			}
		}
		return c
	}
	iters := 0
	const near = 8
	improved := true
	for improved && !ck.over() {
		improved = false
		for r := 0; r < len(open) && !ck.over(); r++ {
			if lock[open[r]] {
				continue
			}
			if o.MaxIterations > 0 && iters >= o.MaxIterations {
				break
			}
			// Candidates near the demand point closest to site open[r].
			anchor, bc := 0, math.Inf(1)
			for i := 0; i < in.n; i++ {
				if c := in.cost.Data[i*in.m+open[r]]; c < bc {
					anchor, bc = i, c
				}
			}
			isOpen := make(map[int]bool, len(open))
			for _, j := range open {
				isOpen[j] = true
			}
			tried := 0
			for _, f := range in.order[anchor*in.m : (anchor+1)*in.m] {
				if tried >= near || ck.over() {
					break
				}
				if isOpen[int(f)] {
					continue
				}
				tried++
				iters++
				cand := append([]int(nil), open...)
				cand[r] = int(f)
				if o.MaxMoves > 0 && moves(cand) > o.MaxMoves {
					continue
				}
				if c := tp.solve(cand); c < cost-1e-9*math.Max(1, cost) {
					open, cost, improved = cand, c, true
					break
				}
			}
		}
	}
	tp.solve(open)
	sol := &Solution{Seed: o.Seed, Iterations: iters, LagrangianIterations: un.LagrangianIterations}
	sol.Open = append([]int(nil), open...)
	sort.Ints(sol.Open)
	sol.Assign = make([]int, in.n)
	big := make([]float64, in.n)
	for i := range sol.Assign {
		sol.Assign[i] = -1
	}
	for i := 0; i < in.n; i++ {
		for k, j := range open {
			a := tp.flow[i*tp.q1+k]
			if a <= 1e-9 {
				continue
			}
			sol.Flows = append(sol.Flows, Flow{Demand: i, Site: j, Amount: a})
			sol.Objective += a * in.cost.Data[i*in.m+j]
			if a > big[i] {
				big[i], sol.Assign[i] = a, j
			}
		}
		sol.Unserved += tp.flow[i*tp.q1+len(open)]
	}
	sort.Slice(sol.Flows, func(a, b int) bool {
		if sol.Flows[a].Demand != sol.Flows[b].Demand {
			return sol.Flows[a].Demand < sol.Flows[b].Demand
		}
		return sol.Flows[a].Site < sol.Flows[b].Site
	})
	if sol.Unserved <= 1e-9 {
		sol.Unserved = 0
		sol.LowerBound = un.LowerBound
	}
	sol.setGap(false)
	sol.Seconds = ck.seconds()
	return sol, nil
}

// transport solves the transportation problem "demand points -> open
// sites (+ a dummy site of unlimited capacity at the penalty cost)".
type transport struct {
	in   *inst
	capa []float64
	q1   int       // open sites + 1 (dummy), for the last solve
	flow []float64 // n*q1
}

func newTransport(in *inst, capa []float64) *transport {
	return &transport{in: in, capa: capa}
}

// unit cost from demand i to slot k (dummy: penalty).
func (t *transport) c(i int, open []int, k int) float64 {
	if k == len(open) {
		return t.in.penalty * 10
	}
	v := t.in.cost.Data[i*t.in.m+open[k]]
	if math.IsInf(v, 1) {
		return t.in.penalty * 10
	}
	return v
}

// solve returns the minimum total cost (served + penalty for unserved) for
// the open set, leaving the flows in t.flow.
func (t *transport) solve(open []int) float64 {
	in := t.in
	q := len(open)
	q1 := q + 1
	t.q1 = q1
	if cap(t.flow) < in.n*q1 {
		t.flow = make([]float64, in.n*q1)
	}
	t.flow = t.flow[:in.n*q1]
	clear(t.flow)
	rc := make([]float64, q1)
	for k, j := range open {
		rc[k] = t.capa[j]
	}
	rc[q] = math.Inf(1)
	// Site graph: arc k -> k2 via a demand point with flow on k.
	d := make([]float64, q1*q1)
	via := make([]int32, q1*q1)
	dist := make([]float64, q1)
	pred := make([]int32, q1)
	// Positive-flow pairs per slot, kept as lists of demand points.
	users := make([][]int32, q1)
	cost := make([]float64, in.n*q1)
	for i := 0; i < in.n; i++ {
		for k := 0; k < q1; k++ {
			cost[i*q1+k] = t.c(i, open, k)
		}
	}
	total := 0.0
	const eps = 1e-9
	for i := 0; i < in.n; i++ {
		s := in.weight[i]
		for s > eps {
			for k := range d {
				d[k] = math.Inf(1)
			}
			for k := 0; k < q1; k++ {
				for _, u := range users[k] {
					if t.flow[int(u)*q1+k] <= eps {
						continue
					}
					base := cost[int(u)*q1+k]
					for k2 := 0; k2 < q1; k2++ {
						if k2 == k {
							continue
						}
						if v := cost[int(u)*q1+k2] - base; v < d[k*q1+k2] {
							d[k*q1+k2], via[k*q1+k2] = v, u
						}
					}
				}
			}
			for k := 0; k < q1; k++ {
				dist[k], pred[k] = cost[i*q1+k], -1
			}
			// Bellman-Ford over the q1 slots (no negative cycles in the
			// residual graph of a min-cost flow).
			for round := 0; round < q1; round++ {
				changed := false
				for k := 0; k < q1; k++ {
					dk := dist[k]
					row := d[k*q1 : (k+1)*q1]
					for k2, v := range row {
						if nd := dk + v; nd < dist[k2]-1e-9*math.Max(1, math.Abs(dist[k2])) {
							dist[k2], pred[k2] = nd, int32(k)
							changed = true
						}
					}
				}
				if !changed {
					break
				}
			}
			tk, bd := -1, math.Inf(1)
			for k := 0; k < q1; k++ {
				if rc[k] > eps && dist[k] < bd {
					tk, bd = k, dist[k]
				}
			}
			delta := math.Min(s, rc[tk])
			steps := 0
			for k := tk; pred[k] >= 0; k = int(pred[k]) {
				u := via[int(pred[k])*q1+k]
				delta = math.Min(delta, t.flow[int(u)*q1+int(pred[k])])
				if steps++; steps > q1 {
					// A predecessor cycle (rounding noise): ship the
					// rest directly to the cheapest slot with room.
					delta = -1
					break
				}
			}
			if delta <= eps {
				tk, bd = -1, math.Inf(1)
				for k := 0; k < q1; k++ {
					if rc[k] > eps && cost[i*q1+k] < bd {
						tk, bd = k, cost[i*q1+k]
					}
				}
				delta = math.Min(s, rc[tk])
				if t.flow[i*q1+tk] <= eps {
					users[tk] = append(users[tk], int32(i))
				}
				t.flow[i*q1+tk] += delta
				rc[tk] -= delta
				s -= delta
				total += delta * bd
				continue
			}
			for k := tk; ; {
				pk := pred[k]
				if pk < 0 {
					if t.flow[i*q1+k] <= eps {
						users[k] = append(users[k], int32(i))
					}
					t.flow[i*q1+k] += delta
					break
				}
				u := via[int(pk)*q1+k]
				t.flow[int(u)*q1+int(pk)] -= delta
				if t.flow[int(u)*q1+k] <= eps {
					users[k] = append(users[k], u)
				}
				t.flow[int(u)*q1+k] += delta
				k = int(pk)
			}
			rc[tk] -= delta
			s -= delta
			total += delta * bd
			// Compact user lists now and then.
			if len(users[tk])&63 == 63 {
				for k := range users {
					kept := users[k][:0]
					for _, u := range users[k] {
						if t.flow[int(u)*q1+k] > eps {
							kept = append(kept, u)
						}
					}
					users[k] = kept
				}
			}
		}
	}
	// Deduplicate stale entries is not needed for correctness: zero flows
	// are skipped above.
	return total
}
