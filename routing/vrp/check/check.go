// Package check is the independent oracle for vrp plans: it recomputes a
// plan's schedule, loads and costs from the model types alone (it never
// imports engine internals) and lists every broken rule. It also holds a
// brute-force solver for tiny instances and a sequence scheduler for tests.
//
// Conventions checked (the same as documented on the vrp model types):
//   - A route of vehicle v begins with a StepStart at v.Start and ends with a
//     StepEnd at v.End (Location -1 for an open end, as the engine writes
//     them); both may be omitted only for an open end. The
//     route begins at the StepStart's Departure (or the first stop's Arrival
//     when v.Start = -1) and ends at the StepEnd's Arrival (or the last
//     stop's Departure when v.End = -1). Duration = end - begin.
//   - Travel: Arrival(k) >= Departure(k-1) + Time(loc(k-1), loc(k)), with 0
//     for the leg from or to an open end.
//   - Start(k) >= Arrival(k) (+ CleaningTime when cleaning is due, see
//     Cleaning below); Start(k) inside one of the stop's windows (none = any);
//     Departure(k) = Start(k) + Service.
//   - Shift: a zero Shift means [0, +Inf); otherwise begin >= Shift.Start and
//     end <= Shift.End. MaxDuration > 0 bounds end - begin.
//   - Loads: a route starts loaded with the Delivery of its jobs; a job step
//     unloads its Delivery and loads its Pickup, a pickup step loads the
//     shipment's Amount and its delivery step unloads it. Every component
//     stays within [0, Capacity] (a missing component is 0). A non-nil
//     Step.Load must equal the recomputed load after the step.
//   - Ride time: Start(delivery) - Departure(pickup) <= MaxRideTime when > 0.
//   - Incompatibility: classes a, b with Incompatible[a][b] or [b][a] are
//     never on board together (class 0 never conflicts). Cleaning: when a
//     step loads class c while a class incompatible with c has been on board
//     since the last cleaning (or the route start), the vehicle is cleaned at
//     that stop: Start(k) >= Arrival(k) + CleaningTime, and the set of
//     classes since the last cleaning becomes those on board.
//   - Costs: Route.Distance = sum of Dist over the legs, Route.Duration as
//     above, Route.Cost per RouteCost; Solution totals are the sums over
//     routes with at least one stop (Vehicles counts those routes) and
//     Solution.Priority = the served weight, the sum over served jobs and
//     shipments of 1 + max(0, Priority) (vrp.Solve's level-1 objective).
//     Reported values must match within 1e-6 relative.
//
// All times compare with an absolute tolerance of Tol. Plan never panics on
// malformed input: out-of-range indices are reported as violations.
// Functions are safe for concurrent use (no shared state).
package check

import (
	"fmt"
	"math"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Tol is the absolute tolerance on times and loads comparisons of floats.
const Tol = 1e-6

// RelTol is the relative tolerance on reported distance, duration and cost.
const RelTol = 1e-6

// Rule names a family of constraints.
type Rule string

// The rules Plan checks.
const (
	RuleProblem      Rule = "problem"      // malformed problem (matrix shape), checking stopped
	RuleVehicle      Rule = "vehicle"      // route vehicle index out of range or used twice
	RuleCoverage     Rule = "coverage"     // job served twice, or neither served nor unassigned
	RuleStep         Rule = "step"         // bad step kind/index, location not the stop's, start/end misplaced
	RuleTravel       Rule = "travel"       // arrival before previous departure + travel time
	RuleService      Rule = "service"      // start before arrival, or departure != start + service
	RuleWindow       Rule = "window"       // start outside every window
	RuleShift        Rule = "shift"        // route begins before or ends after the shift
	RuleMaxDuration  Rule = "max-duration" // route longer than MaxDuration
	RuleCapacity     Rule = "capacity"     // load above capacity or negative
	RuleLoad         Rule = "load"         // reported Step.Load differs from the recomputed one
	RulePrecedence   Rule = "precedence"   // delivery without its pickup before it on the same route
	RuleRideTime     Rule = "ride-time"    // ride longer than MaxRideTime
	RuleSkills       Rule = "skills"       // vehicle lacks a required skill
	RuleIncompatible Rule = "incompatible" // incompatible classes on board together
	RuleCleaning     Rule = "cleaning"     // cleaning time not respected
	RuleTotals       Rule = "totals"       // reported distance/duration/cost/vehicles/priority differ
)

// Violation is one broken rule. Route is an index into Solution.Routes and
// Step an index into that route's Steps, each -1 when not applicable.
type Violation struct {
	Rule    Rule
	Route   int
	Step    int
	Message string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (route %d, step %d): %s", v.Rule, v.Route, v.Step, v.Message)
}

// Totals are recomputed plan figures.
type Totals struct {
	Distance float64
	Duration float64
	Cost     float64
	Vehicles int // routes with at least one stop
}

// RouteCost returns the cost of a route of vehicle v with the given distance
// and duration under p.Objective: MinDistance -> distance; MinDuration ->
// duration; MinCost -> FixedCost + CostPerTime*duration +
// CostPerDist*distance, or distance when every vehicle of p has zero costs.
// A route without stops costs 0 (callers pass used = false).
func RouteCost(p *vrp.Problem, v int, distance, duration float64, used bool) float64 {
	if !used {
		return 0
	}
	switch p.Objective {
	case vrp.MinDistance:
		return distance
	case vrp.MinDuration:
		return duration
	}
	allZero := true
	for _, w := range p.Vehicles {
		if w.FixedCost != 0 || w.CostPerTime != 0 || w.CostPerDist != 0 {
			allZero = false
			break
		}
	}
	if allZero || v < 0 || v >= len(p.Vehicles) {
		return distance
	}
	w := p.Vehicles[v]
	return w.FixedCost + w.CostPerTime*duration + w.CostPerDist*distance
}

// Cost recomputes the totals of routes from their steps' locations and
// times (distance from p.Dist, duration from the step times, cost per
// RouteCost). Routes with an out-of-range vehicle or location are skipped.
func Cost(p *vrp.Problem, routes []vrp.Route) Totals {
	var t Totals
	tm, dm, ok := matrices(p)
	if !ok {
		return t
	}
	for _, r := range routes {
		if r.Vehicle < 0 || r.Vehicle >= len(p.Vehicles) {
			continue
		}
		d, dur, stops, ok := routeFigures(p, tm, dm, &r)
		if !ok {
			continue
		}
		if stops > 0 {
			t.Vehicles++
		}
		t.Distance += d
		t.Duration += dur
		t.Cost += RouteCost(p, r.Vehicle, d, dur, stops > 0)
	}
	return t
}

// mat is a square matrix view.
type mat struct {
	n    int
	data []float64
}

func (m mat) at(i, j int) float64 {
	if i < 0 || j < 0 {
		return 0 // open route end
	}
	return m.data[i*m.n+j]
}

// matrices returns the time and distance views (each defaulting to the
// other when empty), or ok = false when they are malformed.
func matrices(p *vrp.Problem) (tm, dm mat, ok bool) {
	t, d := p.Time, p.Dist
	if len(t.Data) == 0 {
		t = d
	}
	if len(d.Data) == 0 {
		d = t
	}
	if t.Rows != t.Cols || d.Rows != t.Rows || d.Cols != t.Cols ||
		len(t.Data) != t.Rows*t.Cols || len(d.Data) != len(t.Data) {
		return tm, dm, false
	}
	return mat{t.Rows, t.Data}, mat{d.Rows, d.Data}, true
}

// routeFigures returns distance, duration and stop count of a route whose
// vehicle index is valid; ok = false when a location is out of range.
func routeFigures(p *vrp.Problem, tm, dm mat, r *vrp.Route) (dist, dur float64, stops int, ok bool) {
	prev := -1
	first := true
	begin, end := math.NaN(), math.NaN()
	for i, st := range r.Steps {
		if st.Location < -1 || st.Location >= dm.n {
			return 0, 0, 0, false
		}
		if st.Kind != vrp.StepStart && st.Kind != vrp.StepEnd {
			stops++
		}
		if i == 0 {
			if st.Kind == vrp.StepStart {
				begin = st.Departure
			} else {
				begin = st.Arrival
			}
		}
		if i == len(r.Steps)-1 {
			if st.Kind == vrp.StepEnd {
				end = st.Arrival
			} else {
				end = st.Departure
			}
		}
		if !first && prev >= 0 && st.Location >= 0 {
			dist += dm.at(prev, st.Location)
		}
		first = false
		prev = st.Location
	}
	if len(r.Steps) > 0 {
		dur = end - begin
	}
	return dist, dur, stops, true
}

func relDiff(a, b float64) bool {
	return math.Abs(a-b) > RelTol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// Plan checks s against p and returns every violation found (nil when the
// plan is feasible and its figures are right). O(total steps * (dims +
// classes) + jobs + shipments).
func Plan(p *vrp.Problem, s *vrp.Solution) []Violation {
	var out []Violation
	add := func(rule Rule, route, step int, format string, args ...any) {
		out = append(out, Violation{Rule: rule, Route: route, Step: step, Message: fmt.Sprintf(format, args...)})
	}
	tm, dm, ok := matrices(p)
	if !ok {
		add(RuleProblem, -1, -1, "time and distance matrices are not square and of equal size")
		return out
	}
	if s == nil {
		add(RuleProblem, -1, -1, "nil solution")
		return out
	}
	nJ, nS := len(p.Jobs), len(p.Shipments)
	jobSeen := make([]int, nJ)   // routes serving the job
	pickSeen := make([]int, nS)  // pickups served
	delivSeen := make([]int, nS) // deliveries served
	shipRoute := make([]int, nS) // route of the pickup
	for i := range shipRoute {
		shipRoute[i] = -1
	}
	vehUsed := make([]int, len(p.Vehicles))
	for i := range vehUsed {
		vehUsed[i] = -1
	}
	inc := incompat(p)
	var tot Totals
	priority := 0
	for ri := range s.Routes {
		r := &s.Routes[ri]
		if r.Vehicle < 0 || r.Vehicle >= len(p.Vehicles) {
			add(RuleVehicle, ri, -1, "vehicle index %d outside 0..%d", r.Vehicle, len(p.Vehicles)-1)
			continue
		}
		if prev := vehUsed[r.Vehicle]; prev >= 0 {
			add(RuleVehicle, ri, -1, "vehicle %d already has route %d", r.Vehicle, prev)
		}
		vehUsed[r.Vehicle] = ri
		out = checkRoute(p, tm, dm, inc, ri, r, jobSeen, pickSeen, delivSeen, shipRoute, &priority, out)
		if d, dur, stops, ok := routeFigures(p, tm, dm, r); ok {
			c := RouteCost(p, r.Vehicle, d, dur, stops > 0)
			if relDiff(d, r.Distance) {
				add(RuleTotals, ri, -1, "route distance %.9g, recomputed %.9g", r.Distance, d)
			}
			if relDiff(dur, r.Duration) {
				add(RuleTotals, ri, -1, "route duration %.9g, recomputed %.9g", r.Duration, dur)
			}
			if relDiff(c, r.Cost) {
				add(RuleTotals, ri, -1, "route cost %.9g, recomputed %.9g", r.Cost, c)
			}
			if stops > 0 {
				tot.Vehicles++
			}
			tot.Distance += d
			tot.Duration += dur
			tot.Cost += c
		}
	}
	// coverage
	unJ := make([]int, nJ)
	unS := make([]int, nS)
	for k, u := range s.Unassigned {
		switch {
		case !u.Shipment && u.Index >= 0 && u.Index < nJ:
			unJ[u.Index]++
		case u.Shipment && u.Index >= 0 && u.Index < nS:
			unS[u.Index]++
		default:
			add(RuleCoverage, -1, -1, "unassigned entry %d refers to no job or shipment (index %d, shipment %v)", k, u.Index, u.Shipment)
		}
	}
	for j := 0; j < nJ; j++ {
		switch n := jobSeen[j] + unJ[j]; {
		case jobSeen[j] > 1:
			add(RuleCoverage, -1, -1, "job %d (id %d) served %d times", j, p.Jobs[j].ID, jobSeen[j])
		case unJ[j] > 1:
			add(RuleCoverage, -1, -1, "job %d (id %d) listed unassigned %d times", j, p.Jobs[j].ID, unJ[j])
		case n == 0:
			add(RuleCoverage, -1, -1, "job %d (id %d) neither served nor unassigned", j, p.Jobs[j].ID)
		case n > 1:
			add(RuleCoverage, -1, -1, "job %d (id %d) both served and unassigned", j, p.Jobs[j].ID)
		}
	}
	for i := 0; i < nS; i++ {
		sh := p.Shipments[i]
		switch {
		case pickSeen[i] > 1 || delivSeen[i] > 1:
			add(RuleCoverage, -1, -1, "shipment %d (ids %d/%d) served more than once", i, sh.PickupID, sh.DeliveryID)
		case pickSeen[i] != delivSeen[i]:
			add(RuleCoverage, -1, -1, "shipment %d (ids %d/%d): pickup served %d times, delivery %d times",
				i, sh.PickupID, sh.DeliveryID, pickSeen[i], delivSeen[i])
		case unS[i] > 1:
			add(RuleCoverage, -1, -1, "shipment %d listed unassigned %d times", i, unS[i])
		case pickSeen[i]+unS[i] == 0:
			add(RuleCoverage, -1, -1, "shipment %d (ids %d/%d) neither served nor unassigned", i, sh.PickupID, sh.DeliveryID)
		case pickSeen[i] > 0 && unS[i] > 0:
			add(RuleCoverage, -1, -1, "shipment %d (ids %d/%d) both served and unassigned", i, sh.PickupID, sh.DeliveryID)
		}
	}
	// totals
	if relDiff(tot.Distance, s.Distance) {
		add(RuleTotals, -1, -1, "solution distance %.9g, recomputed %.9g", s.Distance, tot.Distance)
	}
	if relDiff(tot.Duration, s.Duration) {
		add(RuleTotals, -1, -1, "solution duration %.9g, recomputed %.9g", s.Duration, tot.Duration)
	}
	if relDiff(tot.Cost, s.Cost) {
		add(RuleTotals, -1, -1, "solution cost %.9g, recomputed %.9g", s.Cost, tot.Cost)
	}
	if tot.Vehicles != s.Vehicles {
		add(RuleTotals, -1, -1, "solution uses %d vehicles, reports %d", tot.Vehicles, s.Vehicles)
	}
	if priority != s.Priority {
		add(RuleTotals, -1, -1, "served weight (sum of 1+max(0, Priority)) %d, reports %d", priority, s.Priority)
	}
	return out
}

// incompat returns a function reporting whether classes a and b conflict.
func incompat(p *vrp.Problem) func(a, b int) bool {
	m := p.Incompatible
	return func(a, b int) bool {
		if a <= 0 || b <= 0 {
			return false
		}
		if a < len(m) && b < len(m[a]) && m[a][b] {
			return true
		}
		return b < len(m) && a < len(m[b]) && m[b][a]
	}
}

func hasSkills(have, need []int) bool {
	for _, s := range need {
		found := false
		for _, h := range have {
			if h == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func vecAt(x []int64, k int) int64 {
	if k < len(x) {
		return x[k]
	}
	return 0
}

func nonzero(x []int64) bool {
	for _, v := range x {
		if v != 0 {
			return true
		}
	}
	return false
}

// dims returns the number of load components of p.
func dims(p *vrp.Problem) int {
	d := 0
	for _, v := range p.Vehicles {
		d = max(d, len(v.Capacity))
	}
	for _, j := range p.Jobs {
		d = max(d, len(j.Delivery), len(j.Pickup))
	}
	for _, s := range p.Shipments {
		d = max(d, len(s.Amount))
	}
	return d
}

// checkRoute checks one route whose vehicle index is valid: the step
// structure, then the load and classes on board at the start, then each
// step in order (coverage counts, load, cleaning and incompatibility,
// travel and times), then the leftover pickups and the route's duration.
func checkRoute(p *vrp.Problem, tm, dm mat, inc func(a, b int) bool, ri int, r *vrp.Route,
	jobSeen, pickSeen, delivSeen, shipRoute []int, priority *int, out []Violation) []Violation {
	if len(r.Steps) == 0 {
		return out
	}
	c := &routeCheck{p: p, tm: tm, dm: dm, inc: inc, ri: ri, r: r, v: &p.Vehicles[r.Vehicle], steps: r.Steps,
		jobSeen: jobSeen, pickSeen: pickSeen, delivSeen: delivSeen, shipRoute: shipRoute, priority: priority, out: out}
	c.structure()
	c.startLoad()
	prevLoc, prevDep := -2, math.NaN()
	for k, st := range c.steps {
		if !c.valid[k] {
			continue
		}
		if math.IsNaN(st.Arrival) || math.IsNaN(st.Start) || math.IsNaN(st.Departure) {
			c.add(RuleService, k, "NaN time")
		}
		sv := c.serve(k, st)
		clean := 0.0
		if sv.loads && sv.class > 0 {
			clean = c.loadClass(k, sv.class)
		}
		if st.Kind != vrp.StepStart {
			c.checkLoad(k)
		}
		c.reportedLoad(k, st)
		if prevLoc != -2 {
			tt := tm.at(prevLoc, st.Location)
			if st.Arrival < prevDep+tt-Tol {
				c.add(RuleTravel, k, "arrival %.6f before previous departure %.6f + travel %.6f", st.Arrival, prevDep, tt)
			}
		}
		c.times(k, st, sv, clean)
		prevLoc, prevDep = st.Location, st.Departure
	}
	for sIdx := range c.pickPos {
		c.add(RulePrecedence, c.pickPos[sIdx], "pickup of shipment %d without its delivery later on this route", sIdx)
	}
	if c.v.MaxDuration > 0 && c.nStops > 0 {
		if _, dur, _, ok := routeFigures(p, tm, dm, r); ok && dur > c.v.MaxDuration+Tol {
			c.add(RuleMaxDuration, -1, "route lasts %.6f > %.6f", dur, c.v.MaxDuration)
		}
	}
	return c.out
}

// routeCheck is the state of checkRoute while it walks one route.
type routeCheck struct {
	p      *vrp.Problem
	tm, dm mat
	inc    func(a, b int) bool
	ri     int
	r      *vrp.Route
	v      *vrp.Vehicle
	steps  []vrp.Step

	jobSeen, pickSeen, delivSeen, shipRoute []int
	priority                                *int
	out                                     []Violation

	d       int          // load dimensions
	load    []int64      // load after the current step
	cp      []int64      // capacity, d dimensions
	pickPos map[int]int  // shipment -> step index of its pickup on this route
	onboard map[int]int  // class -> count
	dirty   map[int]bool // classes carried since the last cleaning
	nStops  int          // real stops seen
	valid   []bool       // steps whose kind, index and location are sound
}

// stopInfo is what serve learned about a stop for the later checks.
type stopInfo struct {
	svc     float64
	windows []twin
	class   int
	loads   bool // the step loads its class
}

func (c *routeCheck) add(rule Rule, step int, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, Route: c.ri, Step: step, Message: fmt.Sprintf(format, args...)})
}

// structure checks the start and end steps and each step's kind, index and
// location, marks the sound steps valid and adds the deliveries of the
// route's jobs to the initial load.
func (c *routeCheck) structure() {
	v, steps, r := c.v, c.steps, c.r
	if v.Start >= 0 && steps[0].Kind != vrp.StepStart {
		c.add(RuleStep, 0, "route of vehicle %d must begin with a start step", r.Vehicle)
	}
	if v.End >= 0 && steps[len(steps)-1].Kind != vrp.StepEnd {
		c.add(RuleStep, len(steps)-1, "route of vehicle %d must finish with an end step", r.Vehicle)
	}
	c.d = dims(c.p)
	c.load = make([]int64, c.d)
	c.pickPos = map[int]int{}
	c.onboard = map[int]int{}
	c.dirty = map[int]bool{}
	c.valid = make([]bool, len(steps))
	for k, st := range steps {
		if c.stepSound(k, st) {
			c.valid[k] = true
		}
	}
}

// stepSound reports whether step k's kind, index and location are sound
// (adding a violation when not); a job's delivery joins the initial load.
func (c *routeCheck) stepSound(k int, st vrp.Step) bool {
	p, v, steps := c.p, c.v, c.steps
	nJ, nS := len(p.Jobs), len(p.Shipments)
	switch st.Kind {
	case vrp.StepStart:
		if k != 0 {
			c.add(RuleStep, k, "start step not first")
			return false
		}
		if st.Location != max(v.Start, -1) {
			c.add(RuleStep, k, "start at location %d, vehicle starts at %d", st.Location, v.Start)
			return false
		}
	case vrp.StepEnd:
		if k != len(steps)-1 {
			c.add(RuleStep, k, "end step not last")
			return false
		}
		if st.Location != max(v.End, -1) {
			c.add(RuleStep, k, "end at location %d, vehicle ends at %d", st.Location, v.End)
			return false
		}
	case vrp.StepJob:
		if st.Index < 0 || st.Index >= nJ {
			c.add(RuleStep, k, "job index %d outside 0..%d", st.Index, nJ-1)
			return false
		}
		if st.Location != p.Jobs[st.Index].Stop.Location {
			c.add(RuleStep, k, "job %d at location %d, its stop is %d", st.Index, st.Location, p.Jobs[st.Index].Stop.Location)
			return false
		}
		for i := 0; i < c.d; i++ {
			c.load[i] += vecAt(p.Jobs[st.Index].Delivery, i)
		}
	case vrp.StepPickup, vrp.StepDelivery:
		if st.Index < 0 || st.Index >= nS {
			c.add(RuleStep, k, "shipment index %d outside 0..%d", st.Index, nS-1)
			return false
		}
		want := p.Shipments[st.Index].Pickup.Location
		if st.Kind == vrp.StepDelivery {
			want = p.Shipments[st.Index].Delivery.Location
		}
		if st.Location != want {
			c.add(RuleStep, k, "shipment %d at location %d, its stop is %d", st.Index, st.Location, want)
			return false
		}
	default:
		c.add(RuleStep, k, "unknown step kind %d", st.Kind)
		return false
	}
	if st.Location < -1 || st.Location >= c.tm.n || (st.Location == -1 && st.Kind != vrp.StepStart && st.Kind != vrp.StepEnd) {
		c.add(RuleStep, k, "location %d outside the matrix", st.Location)
		return false
	}
	return true
}

// startLoad sets the capacity, puts the classes of the route's job
// deliveries on board, checks that they may travel together and checks the
// initial load.
func (c *routeCheck) startLoad() {
	c.cp = make([]int64, c.d)
	for i := 0; i < c.d; i++ {
		c.cp[i] = vecAt(c.v.Capacity, i)
	}
	for k, st := range c.steps {
		if c.valid[k] && st.Kind == vrp.StepJob && nonzero(c.p.Jobs[st.Index].Delivery) {
			if cl := c.p.Jobs[st.Index].Class; cl > 0 {
				c.onboard[cl]++
				c.dirty[cl] = true
			}
		}
	}
	for a := range c.onboard {
		for b := range c.onboard {
			if a < b && c.inc(a, b) {
				c.add(RuleIncompatible, 0, "classes %d and %d on board together from the start", a, b)
			}
		}
	}
	c.checkLoad(0)
}

func (c *routeCheck) checkLoad(k int) {
	for i := 0; i < c.d; i++ {
		if c.load[i] > c.cp[i] {
			c.add(RuleCapacity, k, "load %v above capacity %v", c.load, c.cp)
			return
		}
		if c.load[i] < 0 {
			c.add(RuleCapacity, k, "negative load %v", c.load)
			return
		}
	}
}

// serve counts the stop at step k for coverage and priority, checks skills
// and precedence (and ride time at a delivery), updates the load and the
// classes on board, and returns the stop's service, windows and class.
func (c *routeCheck) serve(k int, st vrp.Step) stopInfo {
	p, v := c.p, c.v
	var sv stopInfo
	addWindows := func(ws []routing.TimeWindow) {
		for _, w := range ws {
			sv.windows = append(sv.windows, twin{w.Start, w.End})
		}
	}
	switch st.Kind {
	case vrp.StepJob:
		j := &p.Jobs[st.Index]
		c.jobSeen[st.Index]++
		*c.priority += 1 + max(0, j.Priority)
		c.nStops++
		sv.svc = j.Stop.Service
		addWindows(j.Stop.Windows)
		if !hasSkills(v.Skills, j.Skills) {
			c.add(RuleSkills, k, "vehicle %d lacks skills %v of job %d", c.r.Vehicle, j.Skills, st.Index)
		}
		if nonzero(j.Delivery) && j.Class > 0 {
			c.onboard[j.Class]--
		}
		for i := 0; i < c.d; i++ {
			c.load[i] += -vecAt(j.Delivery, i) + vecAt(j.Pickup, i)
		}
		sv.class, sv.loads = j.Class, nonzero(j.Pickup)
	case vrp.StepPickup:
		sh := &p.Shipments[st.Index]
		c.pickSeen[st.Index]++
		*c.priority += 1 + max(0, sh.Priority)
		c.nStops++
		c.pickPos[st.Index] = k
		c.shipRoute[st.Index] = c.ri
		sv.svc = sh.Pickup.Service
		addWindows(sh.Pickup.Windows)
		if !hasSkills(v.Skills, sh.Skills) {
			c.add(RuleSkills, k, "vehicle %d lacks skills %v of shipment %d", c.r.Vehicle, sh.Skills, st.Index)
		}
		for i := 0; i < c.d; i++ {
			c.load[i] += vecAt(sh.Amount, i)
		}
		sv.class, sv.loads = sh.Class, true
	case vrp.StepDelivery:
		sh := &p.Shipments[st.Index]
		c.delivSeen[st.Index]++
		c.nStops++
		sv.svc = sh.Delivery.Service
		addWindows(sh.Delivery.Windows)
		pk, ok := c.pickPos[st.Index]
		if !ok {
			c.add(RulePrecedence, k, "delivery of shipment %d without its pickup earlier on this route", st.Index)
		} else {
			delete(c.pickPos, st.Index)
			if sh.MaxRideTime > 0 {
				if ride := st.Start - c.steps[pk].Departure; ride > sh.MaxRideTime+Tol {
					c.add(RuleRideTime, k, "shipment %d rides %.6f > %.6f", st.Index, ride, sh.MaxRideTime)
				}
			}
			if sh.Class > 0 {
				c.onboard[sh.Class]--
			}
		}
		for i := 0; i < c.d; i++ {
			c.load[i] -= vecAt(sh.Amount, i)
		}
	}
	return sv
}

// loadClass checks that class may join the classes on board at step k and
// returns the cleaning time due first (when a class carried since the last
// cleaning conflicts with it), then puts class on board.
func (c *routeCheck) loadClass(k, class int) float64 {
	clean := 0.0
	for cl, n := range c.onboard {
		if n > 0 && c.inc(cl, class) {
			c.add(RuleIncompatible, k, "class %d loaded while class %d is on board", class, cl)
		}
	}
	due := false
	for cl := range c.dirty {
		if c.inc(cl, class) {
			due = true
		}
	}
	if due {
		clean = c.p.CleaningTime
		c.dirty = map[int]bool{}
		for cl, n := range c.onboard {
			if n > 0 {
				c.dirty[cl] = true
			}
		}
	}
	c.onboard[class]++
	c.dirty[class] = true
	return clean
}

// reportedLoad compares the load the plan reports at step k (if any) with
// the recomputed one.
func (c *routeCheck) reportedLoad(k int, st vrp.Step) {
	if st.Load == nil {
		return
	}
	for i := 0; i < c.d; i++ {
		if vecAt(st.Load, i) != c.load[i] || len(st.Load) > c.d {
			c.add(RuleLoad, k, "reported load %v, recomputed %v", st.Load, c.load)
			return
		}
	}
}

// times checks step k's times: the shift at the start and end steps; at a
// stop, service start after arrival (and cleaning), departure = start +
// service, the windows and the shift of a route without depots.
func (c *routeCheck) times(k int, st vrp.Step, sv stopInfo, clean float64) {
	v := c.v
	noShift := v.Shift == (routing.TimeWindow{})
	switch st.Kind {
	case vrp.StepStart:
		if !noShift && st.Departure < v.Shift.Start-Tol {
			c.add(RuleShift, k, "departs at %.6f before the shift starts at %.6f", st.Departure, v.Shift.Start)
		}
		if noShift && st.Departure < -Tol {
			c.add(RuleShift, k, "departs at negative time %.6f", st.Departure)
		}
		return
	case vrp.StepEnd:
		if !noShift && st.Arrival > v.Shift.End+Tol {
			c.add(RuleShift, k, "arrives at %.6f after the shift ends at %.6f", st.Arrival, v.Shift.End)
		}
		return
	}
	if st.Start < st.Arrival+clean-Tol {
		if clean > 0 {
			c.add(RuleCleaning, k, "service starts at %.6f, before arrival %.6f + cleaning %.6f", st.Start, st.Arrival, clean)
		} else {
			c.add(RuleService, k, "service starts at %.6f before arrival %.6f", st.Start, st.Arrival)
		}
	}
	if math.Abs(st.Departure-(st.Start+sv.svc)) > Tol {
		c.add(RuleService, k, "departure %.6f != start %.6f + service %.6f", st.Departure, st.Start, sv.svc)
	}
	if len(sv.windows) > 0 {
		in := false
		for _, w := range sv.windows {
			if st.Start >= w.a-Tol && st.Start <= w.b+Tol {
				in = true
				break
			}
		}
		if !in {
			c.add(RuleWindow, k, "service starts at %.6f outside windows %v", st.Start, sv.windows)
		}
	}
	if !noShift {
		if v.Start < 0 && k == 0 && st.Arrival < v.Shift.Start-Tol {
			c.add(RuleShift, k, "route begins at %.6f before the shift starts at %.6f", st.Arrival, v.Shift.Start)
		}
		if v.End < 0 && k == len(c.steps)-1 && st.Departure > v.Shift.End+Tol {
			c.add(RuleShift, k, "route ends at %.6f after the shift ends at %.6f", st.Departure, v.Shift.End)
		}
	}
}
