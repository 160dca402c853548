package check

import (
	"math"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Visit is one stop of a sequence: Kind is vrp.StepJob (Index into
// Problem.Jobs), vrp.StepPickup or vrp.StepDelivery (Index into
// Problem.Shipments).
type Visit struct {
	Kind  vrp.StepKind
	Index int
}

// MaxWindowCombos caps the window choices Schedule tries when stops have
// several time windows (the product over stops).
const MaxWindowCombos = 4096

// Schedule returns the route of vehicle v serving visits in order, with an
// exact feasible schedule when one exists, and ok = false otherwise. The
// schedule is exact for every constraint of the model: times are a simple
// temporal network (difference constraints for travel, service, cleaning,
// windows, shift, MaxDuration and ride times) solved with Bellman-Ford; among
// feasible schedules it returns the one of minimum route duration, with
// every time as early as possible. Several windows per stop are handled by
// trying window choices (at most MaxWindowCombos). Capacity, precedence,
// skills and incompatibility are checked with the rules of Plan.
//
// The route has a StepStart and a StepEnd (Location -1 for an open end, as
// the engine writes them); Load is set on every step; Distance, Duration and Cost are filled in.
// O(combos * m^2) for m visits. An empty visits list gives a route with no
// stops and zero figures.
func Schedule(p *vrp.Problem, v int, visits []Visit) (vrp.Route, bool) {
	r := vrp.Route{Vehicle: v}
	tm, dm, ok := matrices(p)
	if !ok || v < 0 || v >= len(p.Vehicles) {
		return r, false
	}
	veh := &p.Vehicles[v]
	m := len(visits)
	if m == 0 {
		return r, true
	}
	locs, svc, wins, ok := visitStops(p, tm, visits)
	if !ok {
		return r, false
	}
	clean, ok := cleaningTimes(p, visits)
	if !ok {
		return r, false
	}
	// time points: 0 origin, 1 begin, 2..m+1 service starts, m+2 end
	base, ok := timeNetwork(p, veh, tm, visits, locs, svc, clean)
	if !ok {
		return r, false
	}
	x := bestWindowChoice(m+3, 1, m+2, base, wins)
	if x == nil {
		return r, false
	}
	r.Steps = scheduleSteps(p, veh, tm, visits, locs, svc, clean, x)
	d, dur, stops, _ := routeFigures(p, tm, dm, &r)
	r.Distance, r.Duration = d, dur
	r.Cost = RouteCost(p, v, d, dur, stops > 0)
	return r, routeSound(p, tm, dm, &r)
}

// visitStops returns the location, service time and windows of each visit,
// ok = false when a visit refers to no stop or to a location outside the
// matrix.
func visitStops(p *vrp.Problem, tm mat, visits []Visit) (locs []int, svc []float64, wins [][]twin, ok bool) {
	m := len(visits)
	locs = make([]int, m)
	svc = make([]float64, m)
	wins = make([][]twin, m)
	for k, vi := range visits {
		var st vrp.Stop
		switch {
		case vi.Kind == vrp.StepJob && vi.Index >= 0 && vi.Index < len(p.Jobs):
			st = p.Jobs[vi.Index].Stop
		case vi.Kind == vrp.StepPickup && vi.Index >= 0 && vi.Index < len(p.Shipments):
			st = p.Shipments[vi.Index].Pickup
		case vi.Kind == vrp.StepDelivery && vi.Index >= 0 && vi.Index < len(p.Shipments):
			st = p.Shipments[vi.Index].Delivery
		default:
			return nil, nil, nil, false
		}
		if st.Location < 0 || st.Location >= tm.n {
			return nil, nil, nil, false
		}
		locs[k], svc[k] = st.Location, st.Service
		for _, w := range st.Windows {
			wins[k] = append(wins[k], twin{w.Start, w.End})
		}
	}
	return locs, svc, wins, true
}

// timeNetwork returns the difference constraints every schedule of the
// sequence obeys (all but the windows) over the time points 0 origin,
// 1 begin, 2..m+1 service starts and m+2 end: shift, travel + service +
// cleaning between consecutive points, MaxDuration and ride times. ok is
// false when a delivery comes before its pickup.
func timeNetwork(p *vrp.Problem, veh *vrp.Vehicle, tm mat, visits []Visit, locs []int, svc, clean []float64) ([]edge, bool) {
	m := len(visits)
	b, e := 1, m+2
	var base []edge
	addC := func(i, j int, w float64) { base = append(base, edge{i, j, w}) } // X_j - X_i <= w
	if veh.Shift != (routing.TimeWindow{}) {
		addC(b, 0, -veh.Shift.Start)
		addC(0, e, veh.Shift.End)
	} else {
		addC(b, 0, 0)
	}
	prevLoc, prevSvc, prevPt := veh.Start, 0.0, b
	for k := 0; k < m; k++ {
		tt := tm.at(prevLoc, locs[k])
		addC(2+k, prevPt, -(prevSvc + tt + clean[k]))
		prevLoc, prevSvc, prevPt = locs[k], svc[k], 2+k
	}
	addC(e, prevPt, -(prevSvc + tm.at(prevLoc, veh.End)))
	if veh.MaxDuration > 0 {
		addC(b, e, veh.MaxDuration)
	}
	pickAt := map[int]int{}
	for k, vi := range visits {
		switch vi.Kind {
		case vrp.StepPickup:
			pickAt[vi.Index] = k
		case vrp.StepDelivery:
			pk, ok := pickAt[vi.Index]
			if !ok {
				return nil, false
			}
			if L := p.Shipments[vi.Index].MaxRideTime; L > 0 {
				addC(2+pk, 2+k, L+svc[pk])
			}
		}
	}
	return base, true
}

// bestWindowChoice tries every choice of one window per stop (at most
// MaxWindowCombos) on top of the base network of n time points and returns
// the times of the feasible schedule of least duration X_e - X_b, or nil.
func bestWindowChoice(n, b, e int, base []edge, wins [][]twin) []float64 {
	m := len(wins)
	choice := make([]int, m)
	best := math.Inf(1)
	var bestX []float64
	combos := 0
	var try func(k int)
	try = func(k int) {
		if combos >= MaxWindowCombos {
			return
		}
		if k == m {
			combos++
			es := append([]edge(nil), base...)
			for i := 0; i < m; i++ {
				if len(wins[i]) == 0 {
					continue
				}
				w := wins[i][choice[i]]
				es = append(es, edge{2 + i, 0, -w.a}, edge{0, 2 + i, w.b})
			}
			x, dur, ok := solveSTN(n, es, b, e)
			if ok && dur < best-1e-12 {
				best, bestX = dur, x
			}
			return
		}
		if len(wins[k]) == 0 {
			try(k + 1)
			return
		}
		for c := range wins[k] {
			choice[k] = c
			try(k + 1)
		}
	}
	try(0)
	return bestX
}

// scheduleSteps writes the route's steps from the chosen times x (begin at
// x[1], service k at x[2+k] at the earliest after arrival and cleaning),
// with the load after each step.
func scheduleSteps(p *vrp.Problem, veh *vrp.Vehicle, tm mat, visits []Visit, locs []int, svc, clean, x []float64) []vrp.Step {
	const b = 1
	load := make([]int64, dims(p))
	for _, vi := range visits {
		if vi.Kind == vrp.StepJob {
			for c := range load {
				load[c] += vecAt(p.Jobs[vi.Index].Delivery, c)
			}
		}
	}
	steps := make([]vrp.Step, 0, len(visits)+2)
	steps = append(steps, vrp.Step{Kind: vrp.StepStart, Index: -1, Location: max(veh.Start, -1),
		Arrival: x[b], Start: x[b], Departure: x[b], Load: append([]int64(nil), load...)})
	dep := x[b]
	prevLoc := veh.Start
	for k, vi := range visits {
		arr := dep + tm.at(prevLoc, locs[k])
		switch vi.Kind {
		case vrp.StepJob:
			j := &p.Jobs[vi.Index]
			for c := range load {
				load[c] += vecAt(j.Pickup, c) - vecAt(j.Delivery, c)
			}
		case vrp.StepPickup:
			for c := range load {
				load[c] += vecAt(p.Shipments[vi.Index].Amount, c)
			}
		case vrp.StepDelivery:
			for c := range load {
				load[c] -= vecAt(p.Shipments[vi.Index].Amount, c)
			}
		}
		start := math.Max(x[2+k], arr+clean[k])
		dep = start + svc[k]
		steps = append(steps, vrp.Step{Kind: vi.Kind, Index: vi.Index, Location: locs[k],
			Arrival: arr, Start: start, Departure: dep, Load: append([]int64(nil), load...)})
		prevLoc = locs[k]
	}
	arr := dep + tm.at(prevLoc, veh.End)
	return append(steps, vrp.Step{Kind: vrp.StepEnd, Index: -1, Location: max(veh.End, -1),
		Arrival: arr, Start: arr, Departure: arr, Load: append([]int64(nil), load...)})
}

// routeSound checks the scheduled route with the rules of Plan (capacity,
// precedence, skills, classes, and a final consistency check) and that no
// job or shipment appears twice.
func routeSound(p *vrp.Problem, tm, dm mat, r *vrp.Route) bool {
	jobSeen := make([]int, len(p.Jobs))
	pick := make([]int, len(p.Shipments))
	deliv := make([]int, len(p.Shipments))
	shipRoute := make([]int, len(p.Shipments))
	prio := 0
	if vs := checkRoute(p, tm, dm, incompat(p), 0, r, jobSeen, pick, deliv, shipRoute, &prio, nil); len(vs) > 0 {
		return false
	}
	for _, n := range jobSeen {
		if n > 1 {
			return false
		}
	}
	for i := range pick {
		if pick[i] > 1 || pick[i] != deliv[i] {
			return false
		}
	}
	return true
}

// twin is a window [a, b].
type twin struct{ a, b float64 }

// edge is the difference constraint X_j - X_i <= w.
type edge struct {
	i, j int
	w    float64
}

// solveSTN returns the earliest times of the minimum-duration schedule
// (duration X_e - X_b) of the network, or ok = false when it is infeasible.
func solveSTN(n int, es []edge, b, e int) (x []float64, dur float64, ok bool) {
	// minimum duration: X_e - X_b >= -dist(e -> b) in the constraint graph.
	de, ok := bellmanFord(n, es, e, false)
	if !ok {
		return nil, 0, false
	}
	minDur := -de[b]
	if math.IsInf(minDur, -1) || math.IsNaN(minDur) {
		return nil, 0, false
	}
	es = append(es, edge{b, e, minDur})
	// earliest times: X_j >= -dist(j -> 0), i.e. shortest paths to 0.
	d0, ok := bellmanFord(n, es, 0, true)
	if !ok {
		return nil, 0, false
	}
	x = make([]float64, n)
	for j := range x {
		x[j] = -d0[j]
		if math.IsInf(x[j], 0) {
			return nil, 0, false
		}
	}
	return x, x[e] - x[b], true
}

// bellmanFord returns shortest distances from src (or to src when reverse)
// and ok = false on a negative cycle (with a small tolerance).
func bellmanFord(n int, es []edge, src int, reverse bool) ([]float64, bool) {
	d := make([]float64, n)
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[src] = 0
	for it := 0; it < n; it++ {
		changed := false
		for _, ed := range es {
			from, to := ed.i, ed.j
			if reverse {
				from, to = to, from
			}
			if nd := d[from] + ed.w; nd < d[to]-1e-9 {
				d[to] = nd
				changed = true
			}
		}
		if !changed {
			return d, true
		}
	}
	return d, false
}

// cleaningTimes returns the cleaning time due before each visit (rules of
// Plan), or ok = false when incompatible classes would share the vehicle.
func cleaningTimes(p *vrp.Problem, visits []Visit) ([]float64, bool) {
	clean := make([]float64, len(visits))
	inc := incompat(p)
	onboard := map[int]int{}
	dirty := map[int]bool{}
	for _, vi := range visits {
		if vi.Kind == vrp.StepJob && nonzero(p.Jobs[vi.Index].Delivery) && p.Jobs[vi.Index].Class > 0 {
			onboard[p.Jobs[vi.Index].Class]++
			dirty[p.Jobs[vi.Index].Class] = true
		}
	}
	for k, vi := range visits {
		class, loads := 0, false
		switch vi.Kind {
		case vrp.StepJob:
			j := &p.Jobs[vi.Index]
			if nonzero(j.Delivery) && j.Class > 0 {
				onboard[j.Class]--
			}
			class, loads = j.Class, nonzero(j.Pickup)
		case vrp.StepPickup:
			class, loads = p.Shipments[vi.Index].Class, true
		case vrp.StepDelivery:
			if c := p.Shipments[vi.Index].Class; c > 0 {
				onboard[c]--
			}
		}
		if !loads || class <= 0 {
			continue
		}
		for c, n := range onboard {
			if n > 0 && inc(c, class) {
				return nil, false
			}
		}
		due := false
		for c := range dirty {
			if inc(c, class) {
				due = true
			}
		}
		if due {
			clean[k] = p.CleaningTime
			dirty = map[int]bool{}
			for c, n := range onboard {
				if n > 0 {
					dirty[c] = true
				}
			}
		}
		onboard[class]++
		dirty[class] = true
	}
	return clean, true
}
