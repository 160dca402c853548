package shuttles

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

// model is a day's planning model: trips, vans and the policy, over the
// distinct places of the day and their road matrices.
type model struct {
	trips  []Trip
	byID   map[uint64]int // trip id -> index in trips
	vans   []Van
	pol    Policy
	pts    []orb.Point
	index  map[orb.Point]int
	tm, dm routing.Matrix
}

// Vehicle skills of a model's problem: every van in service has
// skillService; van k has skillVan+k, used to keep a trip on its van.
const (
	skillService = 1
	skillVan     = 100
)

// newModel computes the matrices of the day and leaves out (skipped, code
// unreachable) the trips some van cannot drive; kept trips get their
// MaxRideTime from the policy. extra points are added to the matrix (for
// later insertions).
func newModel(trips []Trip, vans []Van, pol Policy, matrix MatrixFunc, extra ...orb.Point) (*model, []Skipped, error) {
	if err := ValidateVans(vans); err != nil {
		return nil, nil, err
	}
	if err := pol.Validate(); err != nil {
		return nil, nil, err
	}
	m := &model{vans: vans, pol: pol, index: map[orb.Point]int{}, byID: map[uint64]int{}}
	for _, v := range vans {
		m.loc(v.Start)
	}
	for _, t := range trips {
		m.loc(t.From)
		m.loc(t.To)
	}
	for _, p := range extra {
		m.loc(p)
	}
	tm, dm, err := matrix(m.pts)
	if err != nil {
		return nil, nil, err
	}
	n := len(m.pts)
	if tm.Rows != n || tm.Cols != n || dm.Rows != n || dm.Cols != n {
		return nil, nil, fmt.Errorf("shuttles: the matrix is %dx%d for %d points", tm.Rows, tm.Cols, n)
	}
	m.tm, m.dm = tm, dm
	var skipped []Skipped
	for _, t := range trips {
		if !m.reachable(t.From, t.To) {
			skipped = append(skipped, Skipped{RiderID: t.RiderID, Pseudonym: t.Pseudonym, AppointmentID: t.AppointmentID, Refusal: &Refusal{Code: "unreachable",
				Message: fmt.Sprintf("no road between %s and %s for every van (sealed roads?)", t.FromLabel, t.ToLabel)}})
			continue
		}
		m.add(t)
	}
	return m, skipped, nil
}

func (m *model) loc(p orb.Point) int {
	if i, ok := m.index[p]; ok {
		return i
	}
	m.index[p] = len(m.pts)
	m.pts = append(m.pts, p)
	return len(m.pts) - 1
}

// reachable reports whether every van can drive from its start to a, a to
// b and b back.
func (m *model) reachable(a, b orb.Point) bool {
	ia, ok1 := m.index[a]
	ib, ok2 := m.index[b]
	if !ok1 || !ok2 {
		return false
	}
	ok := finite(m.tm.At(ia, ib)) && finite(m.tm.At(ib, ia))
	for _, v := range m.vans {
		s := m.index[v.Start]
		ok = ok && finite(m.tm.At(s, ia)) && finite(m.tm.At(ib, s))
	}
	return ok
}

func finite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }

// add appends t with its MaxRideTime set.
func (m *model) add(t Trip) {
	t.MaxRideTime = m.pol.MaxRide(m.direct(&t), t.Urgent)
	m.byID[t.ID] = len(m.trips)
	m.trips = append(m.trips, t)
}

func (m *model) direct(t *Trip) float64 { return m.tm.At(m.index[t.From], m.index[t.To]) }

func (m *model) trip(id uint64) *Trip {
	if i, ok := m.byID[id]; ok {
		return &m.trips[i]
	}
	return nil
}

func (m *model) travel(a, b orb.Point) float64 { return m.tm.At(m.index[a], m.index[b]) }

func (m *model) distance(a, b orb.Point) float64 { return m.dm.At(m.index[a], m.index[b]) }

// Priorities of the solver: an urgent trip before any other.
const urgentPriority = 5

// vanState is where a van stands at a re-plan: free from Free at At (its
// last stop, or its depot), with OnBoard trips to drop.
type vanState struct {
	At      orb.Point
	Free    float64
	OnBoard []onBoard
	// Out is true for a van out of service: it only drops its riders.
	Out bool
}

type onBoard struct {
	trip    uint64
	pickEnd float64 // departure from the pick-up
}

// replan narrows a problem: vans' states, trips bound to a van (a skill),
// pick-up windows kept near the published times.
type replan struct {
	vans      map[uint64]vanState
	bind      map[uint64]uint64     // trip -> van
	pickupWin map[uint64][2]float64 // trip -> allowed pick-up starts
}

// ref says what a step of the problem is: a trip's pick-up or drop-off.
type ref struct {
	trip   uint64
	pickup bool
}

// problem writes the vrp problem of the trips todo (ids) under rp (nil for
// a fresh day). jobRefs and shipRefs map the problem's jobs and shipments
// back to trips.
func (m *model) problem(todo []uint64, rp *replan) (*vrp.Problem, []uint64, []uint64) {
	p := &vrp.Problem{Time: m.tm, Dist: m.dm, Objective: vrp.MinDistance, CleaningTime: float64(m.pol.CleaningMin * 60)}
	p.Incompatible = make([][]bool, 5)
	for a := range p.Incompatible {
		p.Incompatible[a] = make([]bool, 5)
		for b := range p.Incompatible[a] {
			p.Incompatible[a][b] = a != b && a > 0 && b > 0
		}
	}
	vanIdx := map[uint64]int{}
	var jobRefs, shipRefs []uint64
	for k, v := range m.vans {
		a, b := v.shift()
		depot := m.index[v.Start]
		veh := vrp.Vehicle{ID: int64(v.ID), Start: depot, End: depot, Shift: routing.TimeWindow{Start: float64(a * 60), End: float64(b * 60)},
			Capacity: []int64{int64(v.Seats), int64(v.WheelchairPlaces)}, Skills: []int{skillService, skillVan + k}}
		if v.Standby {
			veh.Skills = []int{skillVan + k} // only for the trips sent to it
		}
		vanIdx[v.ID] = k
		if rp != nil {
			st, ok := rp.vans[v.ID]
			if ok {
				veh.Start = m.index[st.At]
				veh.Shift.Start = max(veh.Shift.Start, st.Free)
				if veh.Shift.Start > veh.Shift.End {
					veh.Shift.End = veh.Shift.Start
				}
				if st.Out {
					veh.Skills = []int{skillVan + k}
				}
				for _, ob := range st.OnBoard {
					t := m.trip(ob.trip)
					if t == nil {
						continue
					}
					win := []routing.TimeWindow{{Start: 0, End: ob.pickEnd + t.MaxRideTime}}
					if t.Direction == "inbound" && !t.Urgent {
						win[0].End = min(win[0].End, float64(t.Window[1]))
					}
					p.Jobs = append(p.Jobs, vrp.Job{ID: int64(t.ID + 1), Stop: vrp.Stop{Location: m.index[t.To], Service: t.DropService(), Windows: win},
						Delivery: amount(t), Skills: []int{skillVan + k}, Class: ColourClass(t.Colour), Priority: 2 * urgentPriority})
					jobRefs = append(jobRefs, t.ID)
				}
			}
		}
		p.Vehicles = append(p.Vehicles, veh)
	}
	for _, id := range todo {
		t := m.trip(id)
		if t == nil {
			continue
		}
		pick := vrp.Stop{Location: m.index[t.From], Service: t.PickupService()}
		drop := vrp.Stop{Location: m.index[t.To], Service: t.DropService()}
		win := routing.TimeWindow{Start: float64(t.Window[0]), End: float64(t.Window[1])}
		if t.Direction == "inbound" && !t.Urgent {
			drop.Windows = []routing.TimeWindow{win}
		} else {
			pick.Windows = []routing.TimeWindow{win}
		}
		sh := vrp.Shipment{PickupID: int64(t.ID), DeliveryID: int64(t.ID + 1), Pickup: pick, Delivery: drop, Amount: amount(t),
			MaxRideTime: t.MaxRideTime, Skills: []int{skillService}, Class: ColourClass(t.Colour)}
		if t.Urgent {
			sh.Priority = urgentPriority
		}
		if rp != nil {
			if w, ok := rp.pickupWin[id]; ok {
				lo, hi := w[0], w[1]
				if len(pick.Windows) > 0 {
					lo, hi = max(lo, pick.Windows[0].Start), min(hi, pick.Windows[0].End)
				}
				if lo <= hi {
					sh.Pickup.Windows = []routing.TimeWindow{{Start: lo, End: hi}}
				}
			}
			if v, ok := rp.bind[id]; ok {
				if k, ok := vanIdx[v]; ok {
					sh.Skills = []int{skillVan + k}
				}
			}
		}
		p.Shipments = append(p.Shipments, sh)
		shipRefs = append(shipRefs, t.ID)
	}
	return p, jobRefs, shipRefs
}

func amount(t *Trip) []int64 {
	wc := int64(0)
	if t.Wheelchair {
		wc = 1
	}
	return []int64{int64(t.Seats), wc}
}

// stops renders the solver's route r as timetable stops.
func (m *model) stops(p *vrp.Problem, r *vrp.Route, jobRefs, shipRefs []uint64) []Stop {
	var out []Stop
	for _, s := range r.Steps {
		var rf ref
		switch s.Kind {
		case vrp.StepJob:
			rf = ref{jobRefs[s.Index], false}
		case vrp.StepPickup:
			rf = ref{shipRefs[s.Index], true}
		case vrp.StepDelivery:
			rf = ref{shipRefs[s.Index], false}
		default:
			continue
		}
		t := m.trip(rf.trip)
		st := stopOf(t, rf.pickup)
		st.Arrival, st.Start, st.Time = s.Arrival, s.Start, Clock(s.Start)
		st.Load = append([]int64(nil), s.Load...)
		out = append(out, st)
	}
	return out
}

// stopOf is the timetable stop of t's pick-up or drop-off (times unset).
func stopOf(t *Trip, pickup bool) Stop {
	st := Stop{TripID: t.ID, RiderID: t.RiderID, Pseudonym: t.Pseudonym, Direction: t.Direction, Kind: t.Kind, Urgent: t.Urgent,
		Colour: t.Colour, Seats: t.Seats, Wheelchair: t.Wheelchair}
	if pickup {
		st.Action, st.Place, st.Point, st.Service = "pick_up", t.FromLabel, t.From, t.PickupService()
	} else {
		st.Action, st.Place, st.Point, st.Service = "drop_off", t.ToLabel, t.To, t.DropService()
	}
	return st
}

// vanTimetable completes a van's day from its stops: it leaves its depot
// in time for the first stop and drives back after the last.
func (m *model) vanTimetable(v Van, stops []Stop) VanTimetable {
	vt := VanTimetable{Van: v.ID, Stops: stops, Driver: v.Driver, DriverPhone: v.DriverPhone}
	if len(stops) == 0 {
		return vt
	}
	prev := v.Start
	for _, s := range stops {
		vt.DriveSec += m.travel(prev, s.Point)
		vt.DistanceM += m.distance(prev, s.Point)
		prev = s.Point
	}
	vt.DriveSec += m.travel(prev, v.Start)
	vt.DistanceM += m.distance(prev, v.Start)
	last := stops[len(stops)-1]
	vt.LeavesS = stops[0].Arrival - m.travel(v.Start, stops[0].Point)
	vt.ReturnsS = last.Start + last.Service + m.travel(last.Point, v.Start)
	vt.Leaves, vt.Returns = Clock(vt.LeavesS), Clock(vt.ReturnsS)
	return vt
}

// solveResult is one solve of a model.
type solveResult struct {
	stops      map[uint64][]Stop // van -> new stops
	unassigned map[uint64]string // trip -> reason
	violations []string
}

// solve runs the engine on the trips todo under rp and checks the plan
// with routing/vrp/check.
func (m *model) solve(ctx context.Context, todo []uint64, rp *replan, opt vrp.Options) (*solveResult, error) {
	p, jobRefs, shipRefs := m.problem(todo, rp)
	sol, err := vrp.Solve(ctx, p, opt)
	if err != nil {
		return nil, err
	}
	res := &solveResult{stops: map[uint64][]Stop{}, unassigned: map[uint64]string{}}
	for _, v := range check.Plan(p, sol) {
		res.violations = append(res.violations, v.String())
	}
	for i := range sol.Routes {
		r := &sol.Routes[i]
		res.stops[uint64(p.Vehicles[r.Vehicle].ID)] = m.stops(p, r, jobRefs, shipRefs)
	}
	for _, u := range sol.Unassigned {
		if u.Shipment {
			res.unassigned[shipRefs[u.Index]] = string(u.Reason)
		} else {
			res.unassigned[jobRefs[u.Index]] = string(u.Reason)
		}
	}
	return res, nil
}

// PlanDay plans trips on vans under pol: the trips some van cannot reach
// are skipped (code unreachable), the rest solved on the VRP engine with
// opt, checked by routing/vrp/check and by CheckDay. A plan breaking a
// rule is an error carrying the violations.
func PlanDay(ctx context.Context, trips []Trip, vans []Van, pol Policy, matrix MatrixFunc, opt vrp.Options) (*PlanResult, []Trip, error) {
	m, skipped, err := newModel(trips, vans, pol, matrix)
	if err != nil {
		return nil, nil, err
	}
	todo := make([]uint64, len(m.trips))
	for i, t := range m.trips {
		todo[i] = t.ID
	}
	sr, err := m.solve(ctx, todo, nil, opt)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	res := m.result(sr.stops, sr.unassigned)
	res.Skipped = append(res.Skipped, skipped...)
	res.Trips = len(trips)
	res.Violations = append(res.Violations, sr.violations...)
	res.Check = CheckDay(m.trips, vans, pol, res, m.tm, m.index)
	res.Violations = append(res.Violations, res.Check.Messages()...)
	if len(res.Violations) > 0 {
		return res, m.trips, fmt.Errorf("shuttles: the plan breaks %d rules; first: %s", len(res.Violations), res.Violations[0])
	}
	return res, m.trips, nil
}

// result assembles the plan from every van's stops.
func (m *model) result(stops map[uint64][]Stop, unassigned map[uint64]string) *PlanResult {
	res := &PlanResult{Vans: []VanTimetable{}, Unplanned: []UnplannedTrip{}, Skipped: []Skipped{}, Violations: []string{}}
	for _, v := range m.vans {
		ss := stops[v.ID]
		if len(ss) == 0 {
			continue
		}
		vt := m.vanTimetable(v, ss)
		res.Vans = append(res.Vans, vt)
		res.DriveSec += vt.DriveSec
		res.DistanceM += vt.DistanceM
		for _, s := range ss {
			if s.Action == "drop_off" {
				res.Planned++
			}
		}
	}
	res.VansUsed = len(res.Vans)
	ids := make([]uint64, 0, len(unassigned))
	for id := range unassigned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if t := m.trip(id); t != nil {
			res.Unplanned = append(res.Unplanned, UnplannedTrip{Trip: *t, Reason: unassigned[id]})
		}
	}
	res.Cost = res.DistanceM
	return res
}
