package shuttles

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
	"lifeline/zones"
)

// Edits are a re-plan's requests, resolved by the caller against the
// registry and the rules: trips to cancel, trips to add (ids are given
// by Replan), riders' new colours with the facility that now takes them
// (FacilityID 0: unchanged), vans out of service.
type Edits struct {
	Cancel   []uint64
	Add      []Trip
	Recolour []Recolour
	VansOut  []uint64
	Requests []Change // echoed in the report
}

// Recolour changes a rider's colour for the trips not yet started.
type Recolour struct {
	RiderID  int64
	Colour   zones.HealthCode
	Facility *zones.Facility // nil: same facility
}

// dayState is the base timetable cut at a time: what is done, who is on
// board, what is still to do.
type cut struct {
	at      float64
	done    map[uint64][]Stop // van -> stops whose service started before at
	rest    map[uint64][]Stop // van -> the others, in order
	vanOf   map[uint64]uint64 // trip -> van in the base
	pickAt  map[uint64]float64
	picked  map[uint64]bool // pick-up done
	dropped map[uint64]bool // drop-off done
}

func cutAt(tt *Timetable, at float64) *cut {
	c := &cut{at: at, done: map[uint64][]Stop{}, rest: map[uint64][]Stop{}, vanOf: map[uint64]uint64{}, pickAt: map[uint64]float64{},
		picked: map[uint64]bool{}, dropped: map[uint64]bool{}}
	for _, vt := range tt.Plan.Vans {
		for _, s := range vt.Stops {
			c.vanOf[s.TripID] = vt.Van
			if s.Action == "pick_up" {
				c.pickAt[s.TripID] = s.Start
			}
			if s.Start < at {
				c.done[vt.Van] = append(c.done[vt.Van], s)
				if s.Action == "pick_up" {
					c.picked[s.TripID] = true
				} else {
					c.dropped[s.TripID] = true
				}
			} else {
				c.rest[vt.Van] = append(c.rest[vt.Van], s)
			}
		}
	}
	return c
}

// states returns every van's state at the cut: where it stands and from
// when (after its last stop started before at, or at its depot), who is on
// board. A van that dropped its last rider keeps CleaningMin before it
// may take another (conservative: the colour of the next is not known).
func (m *model) states(c *cut, out map[uint64]bool) map[uint64]vanState {
	sts := map[uint64]vanState{}
	for _, v := range m.vans {
		st := vanState{At: v.Start, Free: c.at, Out: out[v.ID]}
		done := c.done[v.ID]
		if n := len(done); n > 0 {
			last := done[n-1]
			st.At, st.Free = last.Point, max(c.at, last.Departure())
			onboard := map[uint64]float64{}
			for _, s := range done {
				if s.Action == "pick_up" {
					onboard[s.TripID] = s.Departure()
				} else {
					delete(onboard, s.TripID)
				}
			}
			for _, s := range done {
				if dep, ok := onboard[s.TripID]; ok && s.Action == "pick_up" {
					st.OnBoard = append(st.OnBoard, onBoard{trip: s.TripID, pickEnd: dep})
				}
			}
			if len(st.OnBoard) == 0 && last.Action == "drop_off" {
				st.Free = max(st.Free, last.Departure()+float64(m.pol.CleaningMin*60))
			}
		}
		sts[v.ID] = st
	}
	return sts
}

// ReplanInput is a re-plan of Base from At (seconds after midnight).
type ReplanInput struct {
	Base   *Timetable
	At     float64
	Edits  Edits
	Matrix MatrixFunc
	Opt    vrp.Options // the time limit is shared by the phases
}

// Replan re-plans the rest of the base's day from At with the edits:
// stops whose service started before At stay as they were, riders on
// board stay on their van, and published pick-up times are kept within
// the policy's tolerance where possible, in three phases (1: every trip on
// its van, near its time; 2: trips may change van; 3: times may move
// further), the first that serves every trip the last one serves wins. A
// van whose remaining stops are unchanged keeps its published times. The
// answer is the new version (not stored) with the report of who must be
// told. Errors: *zones.ValidationError for edits that do not fit the day
// (unknown or started trips, unknown vans), or a plan that breaks a rule.
func Replan(ctx context.Context, in ReplanInput) (*Timetable, error) {
	base := in.Base
	c := cutAt(base, in.At)
	trips := map[uint64]Trip{}
	var order []uint64
	var next uint64
	for _, t := range base.TripList {
		trips[t.ID] = t
		order = append(order, t.ID)
		next = max(next, t.ID+4)
	}
	next = (next + 3) / 4 * 4
	if next == 0 {
		next = 1
	}
	cancelled := map[uint64]bool{}
	for i, id := range in.Edits.Cancel {
		t, ok := trips[id]
		path := fmt.Sprintf("changes[%d].trip_id", i)
		switch {
		case !ok:
			return nil, verr(path, "no trip %d in version %d of %s", id, base.Version, base.Date)
		case c.picked[id]:
			return nil, verr(path, "trip %d (%s %s) has started: a rider on board stays on board", id, t.Pseudonym, t.Direction)
		}
		cancelled[id] = true
	}
	vans := map[uint64]bool{}
	for _, v := range base.Fleet {
		vans[v.ID] = true
	}
	out := map[uint64]bool{}
	for _, id := range base.VansOut {
		out[id] = true
	}
	for i, id := range in.Edits.VansOut {
		if !vans[id] {
			return nil, verr(fmt.Sprintf("changes[%d].van", i), "no van %d in the fleet", id)
		}
		out[id] = true
	}
	freed := map[uint64]bool{} // trips that may not stay bound to their van
	for _, rc := range in.Edits.Recolour {
		for _, id := range order {
			t := trips[id]
			if t.RiderID != rc.RiderID || c.picked[id] || cancelled[id] {
				continue
			}
			t.Colour = rc.Colour
			if rc.Facility != nil {
				t.FacilityID = rc.Facility.ID
				if t.Direction == "inbound" {
					t.To, t.ToLabel = rc.Facility.Point, rc.Facility.Name
				} else {
					t.From, t.FromLabel = rc.Facility.Point, rc.Facility.Name
				}
			}
			trips[id] = t
			freed[id] = true
		}
	}
	added := map[uint64]bool{}
	for _, t := range in.Edits.Add {
		added[next] = true
		t.ID = next
		next += 4
		trips[t.ID] = t
		order = append(order, t.ID)
		freed[t.ID] = true
	}
	var list []Trip
	for _, id := range order {
		if !cancelled[id] {
			list = append(list, trips[id])
		}
	}
	m, skipped, err := newModel(list, base.Fleet, base.Policy, in.Matrix)
	if err != nil {
		return nil, err
	}
	sts := m.states(c, out)
	// what is still to plan
	var todo []uint64
	for _, t := range m.trips {
		if !c.picked[t.ID] {
			todo = append(todo, t.ID)
		}
	}
	tol := float64(base.Policy.ToleranceMin * 60)
	budget := in.Opt.TimeLimit
	standby := map[uint64]bool{}
	for _, v := range base.Fleet {
		if v.Standby {
			standby[v.ID] = true
		}
	}
	var stops map[uint64][]Stop
	unassigned := map[uint64]string{}
	phase := 1
	// phase 1: every van keeps its order; the trips to place are inserted
	// where they cost least
	skip := map[uint64]bool{}
	var place []uint64
	for _, id := range todo {
		v, planned := c.vanOf[id]
		if !planned || freed[id] || out[v] {
			skip[id] = true
			place = append(place, id)
		}
	}
	for id := range cancelled {
		skip[id] = true
	}
	slices.SortStableFunc(place, func(a, b uint64) int { return m.trip(a).Window[0] - m.trip(b).Window[0] })
	ins := newInsertion(m, c, sts, skip)
	okPhase1 := ins.reschedule()
	for _, id := range place {
		if !okPhase1 {
			break
		}
		t := m.trip(id)
		cand := ins.best(id, func(v Van) bool { return !out[v.ID] && (!v.Standby || t.Urgent) },
			func(v Van) float64 {
				if v.Standby {
					return standbyPenalty
				}
				return 0
			})
		if cand == nil {
			if _, planned := c.vanOf[id]; !planned && !added[id] {
				unassigned[id] = string(vrp.ReasonNoRoom) // unplanned before, and still
				continue
			}
			okPhase1 = false
			break
		}
		ins.apply(cand)
	}
	if okPhase1 {
		stops = ins.stops()
	} else {
		// phases 2 and 3 on the engine: trips may change van, then times
		// may move further
		var best *solveResult
		for phase = 2; phase <= 3; phase++ {
			rp := &replan{vans: sts, bind: map[uint64]uint64{}, pickupWin: map[uint64][2]float64{}}
			for _, id := range todo {
				v, planned := c.vanOf[id]
				if !planned {
					continue
				}
				if standby[v] && !out[v] {
					rp.bind[id] = v
				}
				if phase == 2 && !freed[id] {
					p := c.pickAt[id]
					rp.pickupWin[id] = [2]float64{max(in.At, p-tol), p + tol}
				}
			}
			opt := in.Opt
			if budget > 0 {
				opt.TimeLimit = budget / 2
			}
			sr, err := m.solve(ctx, todo, rp, opt)
			if err != nil {
				return nil, err
			}
			if len(sr.violations) > 0 {
				return nil, fmt.Errorf("shuttles: the re-plan breaks %d rules; first: %s", len(sr.violations), sr.violations[0])
			}
			if best == nil || len(sr.unassigned) < len(best.unassigned) {
				best = sr
			}
			if len(sr.unassigned) == 0 || ctx.Err() != nil {
				break
			}
		}
		phase = min(phase, 3)
		stops = map[uint64][]Stop{}
		for _, v := range m.vans {
			newStops := best.stops[v.ID]
			if sameSequence(newStops, c.rest[v.ID]) && !slices.ContainsFunc(newStops, func(s Stop) bool { return freed[s.TripID] }) {
				newStops = c.rest[v.ID] // published times stand
			}
			stops[v.ID] = append(slices.Clone(c.done[v.ID]), newStops...)
		}
		unassigned = best.unassigned
	}
	bestPhase := phase
	res := m.result(stops, unassigned)
	res.Date, res.Trips = base.Date, len(list)
	res.Skipped = append(append(res.Skipped, base.Plan.Skipped...), skipped...)
	tt := &Timetable{Date: base.Date, Base: base.Version, Reason: ReasonChanges, Seed: base.Seed, Policy: base.Policy, Fleet: base.Fleet,
		TripList: m.trips, Plan: *res}
	for _, v := range base.Fleet {
		if out[v.ID] {
			tt.VansOut = append(tt.VansOut, v.ID)
		}
	}
	tt.Cancelled = append(slices.Clone(base.Cancelled), tripsOf(base.TripList, cancelled)...)
	tt.Check = CheckDay(m.trips, m.vans, m.pol, res, m.tm, m.index)
	if !tt.Check.OK() {
		return tt, fmt.Errorf("shuttles: the re-plan breaks %d rules; first: %s", len(tt.Check.Problems), tt.Check.Problems[0])
	}
	tt.Changes = Diff(base, tt, in.At)
	tt.Changes.Requests = in.Edits.Requests
	tt.Changes.Phase = bestPhase
	return tt, nil
}

func tripsOf(ts []Trip, ids map[uint64]bool) []Trip {
	var out []Trip
	for _, t := range ts {
		if ids[t.ID] {
			out = append(out, t)
		}
	}
	return out
}

func sameSequence(a, b []Stop) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].TripID != b[i].TripID || a[i].Action != b[i].Action {
			return false
		}
	}
	return true
}

// Diff lists who must be told between two versions of a day from at on:
// every rider whose trip was cancelled, added, left unplanned, moved to
// another van or whose pick-up time (as printed, HH:MM) changed; every
// driver whose remaining list changed.
func Diff(old, cur *Timetable, at float64) *ChangeReport {
	rep := &ChangeReport{At: Clock(at), Requests: []Change{}, Riders: []RiderNotice{}, Drivers: []DriverNotice{}}
	type pick struct {
		van   uint64
		start float64
		place string
	}
	picks := func(tt *Timetable) map[uint64]pick {
		out := map[uint64]pick{}
		for _, vt := range tt.Plan.Vans {
			for _, s := range vt.Stops {
				if s.Action == "pick_up" {
					out[s.TripID] = pick{vt.Van, s.Start, s.Place}
				}
			}
		}
		return out
	}
	op, np := picks(old), picks(cur)
	inOld := map[uint64]Trip{}
	for _, t := range old.TripList {
		inOld[t.ID] = t
	}
	inNew := map[uint64]bool{}
	for _, t := range cur.TripList {
		inNew[t.ID] = true
		o, wasPlanned := op[t.ID]
		n, planned := np[t.ID]
		rn := RiderNotice{RiderID: t.RiderID, Pseudonym: t.Pseudonym, TripID: t.ID, Direction: t.Direction, Place: t.FromLabel}
		if wasPlanned {
			rn.OldTime, rn.OldVan = Clock(o.start), o.van
		}
		if planned {
			rn.NewTime, rn.NewVan = Clock(n.start), n.van
		}
		_, existed := inOld[t.ID]
		switch {
		case wasPlanned && o.start < at:
			continue // done or on board: nothing to tell
		case !existed:
			rn.What = "added"
			if !planned {
				rn.What = "unplanned"
			}
		case wasPlanned && !planned:
			rn.What = "unplanned"
		case !wasPlanned && planned:
			rn.What = "added"
		case !wasPlanned:
			continue
		case o.van != n.van:
			rn.What = "van"
		case rn.OldTime != rn.NewTime || inOld[t.ID].FromLabel != t.FromLabel:
			rn.What = "time"
		default:
			continue
		}
		rep.Riders = append(rep.Riders, rn)
	}
	for _, t := range old.TripList {
		if o, ok := op[t.ID]; !inNew[t.ID] && (!ok || o.start >= at) {
			rn := RiderNotice{RiderID: t.RiderID, Pseudonym: t.Pseudonym, TripID: t.ID, Direction: t.Direction, What: "cancelled", Place: t.FromLabel}
			if ok {
				rn.OldTime, rn.OldVan = Clock(o.start), o.van
			}
			rep.Riders = append(rep.Riders, rn)
		}
	}
	slices.SortStableFunc(rep.Riders, func(a, b RiderNotice) int { return int(a.TripID) - int(b.TripID) })
	lists := func(tt *Timetable) map[uint64]VanTimetable {
		out := map[uint64]VanTimetable{}
		for _, vt := range tt.Plan.Vans {
			out[vt.Van] = vt
		}
		return out
	}
	ol, nl := lists(old), lists(cur)
	for _, v := range cur.Fleet {
		key := func(s Stop) string { return fmt.Sprintf("%d/%s", s.TripID, s.Action) }
		om, nm := map[string]string{}, map[string]string{}
		for _, s := range ol[v.ID].Stops {
			if s.Start >= at {
				om[key(s)] = Clock(s.Start)
			}
		}
		for _, s := range nl[v.ID].Stops {
			if s.Start >= at {
				nm[key(s)] = Clock(s.Start)
			}
		}
		dn := DriverNotice{Van: v.ID, Driver: v.Driver, RouteList: nl[v.ID].RouteList}
		for k, t := range nm {
			if ot, ok := om[k]; !ok {
				dn.Added++
			} else if ot != t {
				dn.Moved++
			}
		}
		for k := range om {
			if _, ok := nm[k]; !ok {
				dn.Removed++
			}
		}
		if dn.Added+dn.Removed+dn.Moved > 0 {
			rep.Drivers = append(rep.Drivers, dn)
		}
	}
	return rep
}

// UrgentAnswer is the answer to an urgent call.
type UrgentAnswer struct {
	TripID     uint64  `json:"trip_id"`
	Van        uint64  `json:"van"`
	Standby    bool    `json:"standby"`
	PickupTime string  `json:"pickup_time"`
	PickupS    float64 `json:"pickup_s"`
	ArrivalS   float64 `json:"arrival_s"`
	Arrival    string  `json:"arrival"`
	// ExtraDriveS is the driving the insertion adds to the van's day.
	ExtraDriveS float64 `json:"extra_drive_s"`
	Candidates  int     `json:"candidates"` // insertions tried
	ElapsedMS   float64 `json:"elapsed_ms"`
}

// UrgentInput is an urgent call on Base at At: one trip (Urgent, with its
// pick-up window from At).
type UrgentInput struct {
	Base   *Timetable
	At     float64
	Trip   Trip
	Matrix MatrixFunc
}

// standbyPenalty makes a standby van the choice when no running van can
// take the call, or only with a much later pick-up (seconds).
const standbyPenalty = 900

// Urgent inserts the trip into the running timetable where it costs least
// (extra driving plus the rider's wait), keeping every other rider's
// published pick-up within the policy's tolerance and every rule; each
// van's remaining stops are tried with the pick-up at every position and
// the drop-off at most 3 stops later, scheduled exactly
// (routing/vrp/check.Schedule). Standby vans (Van.Standby) are candidates
// with an empty day and a penalty, so they are sent when no running van
// can take the call. The answer is the new version (not stored) with who
// must be told, or an error when no van can take the rider.
func Urgent(ctx context.Context, in UrgentInput) (*Timetable, *UrgentAnswer, error) {
	t0 := time.Now()
	base := in.Base
	c := cutAt(base, in.At)
	var next uint64
	for _, t := range base.TripList {
		next = max(next, t.ID+4)
	}
	for _, t := range base.Cancelled {
		next = max(next, t.ID+4)
	}
	next = max(1, (next+3)/4*4+1)
	trip := in.Trip
	trip.ID = next
	trip.Urgent = true
	list := append(slices.Clone(base.TripList), trip)
	m, skipped, err := newModel(list, base.Fleet, base.Policy, in.Matrix)
	if err != nil {
		return nil, nil, err
	}
	if len(skipped) > 0 && skipped[len(skipped)-1].Pseudonym == trip.Pseudonym && m.trip(trip.ID) == nil {
		return nil, nil, verr("rider_id", "%s", skipped[len(skipped)-1].Refusal.Message)
	}
	out := map[uint64]bool{}
	for _, id := range base.VansOut {
		out[id] = true
	}
	ins := newInsertion(m, c, m.states(c, out), nil)
	found := ins.best(trip.ID, func(v Van) bool { return !out[v.ID] }, func(v Van) float64 {
		if v.Standby && len(c.rest[v.ID]) == 0 {
			return standbyPenalty
		}
		return 0
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if found == nil {
		return nil, nil, verr("rider_id", "no van can take %s from %s within the policy (pick-up by %s, ride at most %.0f min): call the emergency service",
			trip.Pseudonym, Clock(in.At), clock(trip.Window[1]), m.trip(trip.ID).MaxRideTime/60)
	}
	ins.apply(found)
	stops := ins.stops()
	unassigned := map[uint64]string{}
	for _, u := range base.Plan.Unplanned {
		if m.trip(u.Trip.ID) != nil {
			unassigned[u.Trip.ID] = u.Reason
		}
	}
	res := m.result(stops, unassigned)
	res.Date, res.Trips = base.Date, len(list)
	res.Skipped = append(res.Skipped, base.Plan.Skipped...)
	tt := &Timetable{Date: base.Date, Base: base.Version, Reason: ReasonUrgent, Seed: base.Seed, Policy: base.Policy, Fleet: base.Fleet,
		TripList: m.trips, Cancelled: base.Cancelled, VansOut: base.VansOut, Plan: *res}
	tt.Check = CheckDay(m.trips, m.vans, m.pol, res, m.tm, m.index)
	if !tt.Check.OK() {
		return tt, nil, fmt.Errorf("shuttles: the urgent insertion breaks %d rules; first: %s", len(tt.Check.Problems), tt.Check.Problems[0])
	}
	tt.Changes = Diff(base, tt, in.At)
	tt.Changes.Requests = []Change{{Kind: "urgent", RiderID: trip.RiderID, Start: Clock(in.At)}}
	van := found.sv.van.ID
	ans := &UrgentAnswer{TripID: trip.ID, Van: van, Standby: found.sv.van.Standby, PickupS: found.pick, PickupTime: Clock(found.pick),
		Candidates: ins.tried, ExtraDriveS: math.Round(found.extra)}
	for _, s := range stops[van] {
		if s.TripID == trip.ID && s.Action == "drop_off" {
			ans.ArrivalS, ans.Arrival = s.Start, Clock(s.Start)
		}
	}
	ans.ElapsedMS = float64(time.Since(t0).Microseconds()) / 1000
	return tt, ans, nil
}

// driveOf is the travel time of a route (without waiting and service).
func driveOf(p *vrp.Problem, r *vrp.Route) float64 {
	d := 0.0
	prev := -1
	for _, s := range r.Steps {
		if s.Location < 0 {
			continue
		}
		if prev >= 0 {
			d += p.Time.At(prev, s.Location)
		}
		prev = s.Location
	}
	return d
}

// seqVan is a van's remaining sequence during insertions.
type seqVan struct {
	van     Van
	seq     []ref
	changed bool
	route   vrp.Route // when changed: the scheduled route
	p       *vrp.Problem
	jobs    []uint64
	ships   []uint64
}

// insertion holds the single-van problems of the insertion phase: every
// van's remaining stops in a fixed order, published pick-ups no earlier
// than told and at most the tolerance later.
type insertion struct {
	m      *model
	c      *cut
	sts    map[uint64]vanState
	pub    map[uint64]float64 // published pick-up starts
	tol    float64
	vans   []*seqVan
	tried  int
	maxGap int // the drop-off at most maxGap stops after the pick-up
}

func newInsertion(m *model, c *cut, sts map[uint64]vanState, skip map[uint64]bool) *insertion {
	in := &insertion{m: m, c: c, sts: sts, pub: map[uint64]float64{}, tol: float64(m.pol.ToleranceMin * 60), maxGap: 4}
	for _, v := range m.vans {
		sv := &seqVan{van: v}
		for _, s := range c.rest[v.ID] {
			if skip[s.TripID] || m.trip(s.TripID) == nil {
				sv.changed = true
				continue
			}
			sv.seq = append(sv.seq, ref{s.TripID, s.Action == "pick_up"})
			if s.Action == "pick_up" {
				in.pub[s.TripID] = s.Start
			}
		}
		in.vans = append(in.vans, sv)
	}
	return in
}

// schedule builds van sv's problem for seq and schedules it exactly.
func (in *insertion) schedule(sv *seqVan, seq []ref) (vrp.Route, *vrp.Problem, []uint64, []uint64, bool) {
	var todo []uint64
	rp := &replan{vans: map[uint64]vanState{sv.van.ID: in.sts[sv.van.ID]}, bind: map[uint64]uint64{}, pickupWin: map[uint64][2]float64{}}
	for _, r := range seq {
		if r.pickup {
			todo = append(todo, r.trip)
			rp.bind[r.trip] = sv.van.ID
			if p, ok := in.pub[r.trip]; ok {
				rp.pickupWin[r.trip] = [2]float64{max(in.c.at, p), p + in.tol}
			}
		}
	}
	sub := &model{trips: in.m.trips, byID: in.m.byID, vans: []Van{sv.van}, pol: in.m.pol, pts: in.m.pts, index: in.m.index, tm: in.m.tm, dm: in.m.dm}
	p, jobRefs, shipRefs := sub.problem(todo, rp)
	ship, job := map[uint64]int{}, map[uint64]int{}
	for i, id := range shipRefs {
		ship[id] = i
	}
	for i, id := range jobRefs {
		job[id] = i
	}
	visits := make([]check.Visit, 0, len(seq))
	for _, r := range seq {
		switch {
		case r.pickup:
			visits = append(visits, check.Visit{Kind: vrp.StepPickup, Index: ship[r.trip]})
		case in.c.picked[r.trip]:
			k, ok := job[r.trip]
			if !ok {
				return vrp.Route{}, nil, nil, nil, false
			}
			visits = append(visits, check.Visit{Kind: vrp.StepJob, Index: k})
		default:
			visits = append(visits, check.Visit{Kind: vrp.StepDelivery, Index: ship[r.trip]})
		}
	}
	in.tried++
	r, ok := check.Schedule(p, 0, visits)
	return r, p, jobRefs, shipRefs, ok
}

// reschedule schedules every van whose sequence lost stops; false when
// one no longer fits (it should, with fewer stops).
func (in *insertion) reschedule() bool {
	for _, sv := range in.vans {
		if !sv.changed {
			continue
		}
		r, p, j, s, ok := in.schedule(sv, sv.seq)
		if !ok {
			return false
		}
		sv.route, sv.p, sv.jobs, sv.ships = r, p, j, s
	}
	return true
}

// candidate is one insertion.
type candidate struct {
	sv    *seqVan
	seq   []ref
	route vrp.Route
	p     *vrp.Problem
	jobs  []uint64
	ships []uint64
	cost  float64
	pick  float64
	extra float64
}

// best finds the cheapest insertion of trip id over the vans that ok
// accepts: extra driving, plus the wait from the window's start when
// urgent, plus penalty(van).
func (in *insertion) best(id uint64, ok func(v Van) bool, penalty func(v Van) float64) *candidate {
	t := in.m.trip(id)
	var found *candidate
	for _, sv := range in.vans {
		if !ok(sv.van) {
			continue
		}
		var before float64
		if len(sv.seq) > 0 {
			r, p, _, _, feasible := in.schedule(sv, sv.seq)
			if !feasible {
				continue
			}
			before = driveOf(p, &r)
		}
		n := len(sv.seq)
		for i := 0; i <= n; i++ {
			for j := i; j <= min(n, i+in.maxGap); j++ {
				seq := make([]ref, 0, n+2)
				seq = append(seq, sv.seq[:i]...)
				seq = append(seq, ref{id, true})
				seq = append(seq, sv.seq[i:j]...)
				seq = append(seq, ref{id, false})
				seq = append(seq, sv.seq[j:]...)
				r, p, jobs, ships, feasible := in.schedule(sv, seq)
				if !feasible {
					continue
				}
				pick := r.Steps[i+1].Start
				extra := driveOf(p, &r) - before
				cost := extra + penalty(sv.van)
				if t.Urgent {
					cost += pick - float64(t.Window[0])
				}
				if found == nil || cost < found.cost-1e-9 {
					found = &candidate{sv: sv, seq: seq, route: r, p: p, jobs: jobs, ships: ships, cost: cost, pick: pick, extra: extra}
				}
			}
		}
	}
	return found
}

func (in *insertion) apply(c *candidate) {
	c.sv.seq, c.sv.route, c.sv.p, c.sv.jobs, c.sv.ships, c.sv.changed = c.seq, c.route, c.p, c.jobs, c.ships, true
}

// stops returns every van's day: done stops, then the rest (as published
// when the van's sequence did not change).
func (in *insertion) stops() map[uint64][]Stop {
	out := map[uint64][]Stop{}
	for _, sv := range in.vans {
		rest := in.c.rest[sv.van.ID]
		if sv.changed {
			rest = in.m.stops(sv.p, &sv.route, sv.jobs, sv.ships)
		}
		out[sv.van.ID] = append(slices.Clone(in.c.done[sv.van.ID]), rest...)
	}
	return out
}
