package check

import (
	"math"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Limits of BruteForce.
const (
	MaxBruteRequests = 8  // jobs + shipments
	MaxBruteStops    = 10 // jobs + 2*shipments
	MaxBruteVehicles = 3
)

// BruteForce returns an optimal plan of a tiny problem by enumeration, or
// nil when p exceeds MaxBruteRequests, MaxBruteStops or MaxBruteVehicles.
//
// It tries every subset of requests on every vehicle in every order that
// keeps each pickup before its delivery (orders pruned by capacity and by
// earliest arrival times), schedules each with Schedule (exact, minimum
// duration) and combines vehicles by dynamic programming over subsets. The
// objective is lexicographic: (1) the served weight, sum over served jobs
// and shipments of 1 + max(0, Priority), maximised; (2) the number of
// routes used, minimised (skipped when p.IgnoreVehicleCount); (3) the sum of route costs (RouteCost),
// minimised. Solution.Priority is the served weight. Unserved requests are listed with vrp.ReasonNoRoom.
//
// Cost: up to about 10^5 schedules for 5 shipments; milliseconds for 6 jobs
// and 2 vehicles.
func BruteForce(p *vrp.Problem) *vrp.Solution {
	nJ, nS, nV := len(p.Jobs), len(p.Shipments), len(p.Vehicles)
	R := nJ + nS
	if R > MaxBruteRequests || nJ+2*nS > MaxBruteStops || nV > MaxBruteVehicles || nV == 0 {
		return nil
	}
	if _, _, ok := matrices(p); !ok {
		return nil
	}
	full := 1 << R
	type best struct {
		ok    bool
		cost  float64
		route vrp.Route
	}
	per := make([][]best, nV)
	for v := 0; v < nV; v++ {
		per[v] = make([]best, full)
		per[v][0] = best{ok: true}
		for mask := 1; mask < full; mask++ {
			var cur best
			enumerate(p, v, mask, func(seq []Visit) {
				r, ok := Schedule(p, v, seq)
				if ok && (!cur.ok || r.Cost < cur.cost-1e-9) {
					cur = best{ok: true, cost: r.Cost, route: r}
				}
			})
			per[v][mask] = cur
		}
	}
	weight := func(mask int) int {
		w := 0
		for q := 0; q < R; q++ {
			if mask&(1<<q) != 0 {
				if q < nJ {
					w += 1 + max(0, p.Jobs[q].Priority)
				} else {
					w += 1 + max(0, p.Shipments[q-nJ].Priority)
				}
			}
		}
		return w
	}
	// dp over vehicles: state = covered mask -> (routes used, cost, choice)
	type state struct {
		ok     bool
		routes int
		cost   float64
		prev   int // mask before this vehicle
	}
	dp := make([][]state, nV+1)
	dp[0] = make([]state, full)
	dp[0][0] = state{ok: true}
	better := func(a, b state) bool {
		if !b.ok {
			return a.ok
		}
		if a.routes != b.routes && !p.IgnoreVehicleCount {
			return a.routes < b.routes
		}
		return a.cost < b.cost-1e-9
	}
	for v := 0; v < nV; v++ {
		dp[v+1] = make([]state, full)
		for mask := 0; mask < full; mask++ {
			if !dp[v][mask].ok {
				continue
			}
			rest := (full - 1) &^ mask
			for sub := rest; ; sub = (sub - 1) & rest {
				if per[v][sub].ok {
					used := 0
					if sub != 0 {
						used = 1
					}
					cand := state{ok: true, routes: dp[v][mask].routes + used,
						cost: dp[v][mask].cost + per[v][sub].cost, prev: mask}
					if better(cand, dp[v+1][mask|sub]) {
						dp[v+1][mask|sub] = cand
					}
				}
				if sub == 0 {
					break
				}
			}
		}
	}
	bestMask, bestW := -1, -1
	for mask := 0; mask < full; mask++ {
		st := dp[nV][mask]
		if !st.ok {
			continue
		}
		w := weight(mask)
		if bestMask < 0 || w > bestW || (w == bestW && better(st, dp[nV][bestMask])) {
			bestMask, bestW = mask, w
		}
	}
	sol := &vrp.Solution{Priority: bestW}
	mask := bestMask
	routes := make([]vrp.Route, 0, nV)
	for v := nV; v > 0; v-- {
		st := dp[v][mask]
		sub := mask &^ st.prev
		if sub != 0 {
			routes = append(routes, per[v-1][sub].route)
		}
		mask = st.prev
	}
	for i := len(routes) - 1; i >= 0; i-- {
		r := routes[i]
		sol.Routes = append(sol.Routes, r)
		sol.Distance += r.Distance
		sol.Duration += r.Duration
		sol.Cost += r.Cost
		sol.Vehicles++
	}
	for q := 0; q < R; q++ {
		if bestMask&(1<<q) != 0 {
			continue
		}
		if q < nJ {
			sol.Unassigned = append(sol.Unassigned, vrp.Unassigned{Index: q, Reason: vrp.ReasonNoRoom})
		} else {
			sol.Unassigned = append(sol.Unassigned, vrp.Unassigned{Index: q - nJ, Shipment: true, Reason: vrp.ReasonNoRoom})
		}
	}
	return sol
}

// enumerate calls fn with every order of the requests in mask on vehicle v
// that keeps pickups before deliveries, pruned by capacity and by earliest
// times against window ends and the shift end (lower bounds, so no feasible
// order is lost). fn must not keep seq.
func enumerate(p *vrp.Problem, v int, mask int, fn func(seq []Visit)) {
	nJ := len(p.Jobs)
	tm, _, _ := matrices(p)
	veh := &p.Vehicles[v]
	var items []Visit
	for q := 0; q < nJ+len(p.Shipments); q++ {
		if mask&(1<<q) == 0 {
			continue
		}
		if q < nJ {
			items = append(items, Visit{vrp.StepJob, q})
		} else {
			items = append(items, Visit{vrp.StepPickup, q - nJ})
		}
	}
	d := dims(p)
	load := make([]int64, d)
	for _, it := range items {
		if it.Kind == vrp.StepJob {
			for c := 0; c < d; c++ {
				load[c] += vecAt(p.Jobs[it.Index].Delivery, c)
			}
		}
	}
	capOK := func() bool {
		for c := 0; c < d; c++ {
			if load[c] > vecAt(veh.Capacity, c) || load[c] < 0 {
				return false
			}
		}
		return true
	}
	if !capOK() {
		return
	}
	shiftEnd := math.Inf(1)
	t0 := 0.0
	if veh.Shift.Start != 0 || veh.Shift.End != 0 {
		shiftEnd, t0 = veh.Shift.End, veh.Shift.Start
	}
	// pending: items not yet placed; a placed pickup adds its delivery
	pending := append([]Visit(nil), items...)
	seq := make([]Visit, 0, 2*len(items))
	var rec func(loc int, t float64)
	rec = func(loc int, t float64) {
		if len(pending) == 0 {
			if t+tm.at(loc, veh.End) <= shiftEnd+Tol {
				fn(seq)
			}
			return
		}
		for i := 0; i < len(pending); i++ {
			it := pending[i]
			var st vrp.Stop
			var delta []int64
			sign := int64(1)
			switch it.Kind {
			case vrp.StepJob:
				st = p.Jobs[it.Index].Stop
			case vrp.StepPickup:
				st, delta = p.Shipments[it.Index].Pickup, p.Shipments[it.Index].Amount
			case vrp.StepDelivery:
				st, delta, sign = p.Shipments[it.Index].Delivery, p.Shipments[it.Index].Amount, -1
			}
			arr := t + tm.at(loc, st.Location)
			start, ok := earliestIn(st.Windows, arr)
			if !ok {
				continue
			}
			// apply load
			saved := append([]int64(nil), load...)
			if it.Kind == vrp.StepJob {
				j := &p.Jobs[it.Index]
				for c := 0; c < d; c++ {
					load[c] += vecAt(j.Pickup, c) - vecAt(j.Delivery, c)
				}
			} else {
				for c := 0; c < d; c++ {
					load[c] += sign * vecAt(delta, c)
				}
			}
			if capOK() {
				// replace pending[i]
				old, last := pending[i], len(pending)-1
				if it.Kind == vrp.StepPickup {
					pending[i] = Visit{vrp.StepDelivery, it.Index}
				} else {
					pending[i] = pending[last]
					pending = pending[:last]
				}
				seq = append(seq, it)
				rec(st.Location, start+st.Service)
				seq = seq[:len(seq)-1]
				if it.Kind == vrp.StepPickup {
					pending[i] = old
				} else {
					pending = pending[:last+1]
					pending[last] = pending[i]
					pending[i] = old
				}
			}
			copy(load, saved)
		}
	}
	start := veh.Start
	rec(start, t0)
}

// earliestIn returns the earliest service start at or after t inside one of
// the windows (any time when there are none).
func earliestIn(ws []routing.TimeWindow, t float64) (float64, bool) {
	if len(ws) == 0 {
		return t, true
	}
	best, ok := math.Inf(1), false
	for _, w := range ws {
		if t <= w.End+Tol {
			s := math.Max(t, w.Start)
			if s < best {
				best, ok = s, true
			}
		}
	}
	return best, ok
}
