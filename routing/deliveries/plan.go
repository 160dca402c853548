package deliveries

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// The two legs of a cut, planned one after the other on the VRP engine:
//
//   - leg 1: each batch is a shipment from its supply point (the lists,
//     prescriptions and insurance cards; the point's opening hours, not
//     before the cut) to its pharmacy (its opening hours); vans leave
//     their depot and their route ends at their last pharmacy;
//   - leg 2: each batch planned in leg 1 is a shipment from the pharmacy,
//     ready once the lists arrived plus the pharmacy's preparation time,
//     back to the supply point (its opening hours), or, for an urgent
//     request, to the resident's building door (to the gate when the
//     compound is sealed); a van starts where and when its leg-1 route
//     ended and returns to its depot. Capacity [boxes, millilitres].
//
// Every leg's plan goes through routing/vrp/check; a plan that breaks a
// rule is an error.

// Service times (seconds).
const (
	SupplyPointServiceSec = 180 // plus PerRequestSec per request
	PharmacyServiceSec    = 120
	DoorServiceSec        = 300
	PerRequestSec         = 20
	FolderML              = 500 // leg 1 carries a folder per batch
	DefaultPrepPharmacy   = 30 * 60
	DefaultPrepCentre     = 60 * 60
)

// MatrixFunc returns driving times (s) and distances (m) between all
// points (routing.Unreachable where there is no path: sealed roads).
type MatrixFunc func(points []orb.Point) (time, dist routing.Matrix, err error)

// PlanInput is one cut to plan.
type PlanInput struct {
	Date     string
	Batches  []Batch            // with ids; Priority and loads as Cut set them
	Requests map[int64]*Request // the batches' requests (urgent ones' doors)
	District *District
	Vans     []Van
	// NotBefore is the cut's time (seconds after midnight): no stop is
	// served earlier.
	NotBefore int
	// PrepSec is a pharmacy's preparation time (nil: DefaultPrepPharmacy,
	// DefaultPrepCentre for a health centre).
	PrepSec func(f *zones.Facility) int
	// Sealed reports whether a point is in a zone sealed that day (urgent
	// requests there are handed over at the gate); nil: none.
	Sealed func(p orb.Point) bool
	Matrix MatrixFunc
	// Pending are batches of earlier cuts whose lists went to the
	// pharmacy (leg 1 planned) but whose medicines got no way back: this
	// cut plans their leg 2 only (PendingReady).
	Pending []Batch
}

// PendingReady is when the medicines of a pending batch are ready at the
// pharmacy, in seconds after midnight of the cut's day: its planned
// leg-1 arrival there plus the hand-over and the preparation, not before
// the cut (a batch of an earlier day: from the cut).
func (in *PlanInput) PendingReady(b *Batch) float64 {
	ready := float64(in.NotBefore)
	ph, ok := in.District.Facilities[b.PharmacyID]
	if !ok || b.Date != in.Date {
		return ready
	}
	for _, s := range b.Stops {
		if s.Leg == 1 && s.Event == StateAtPharmacy {
			ready = max(ready, s.Arrival+float64(PharmacyServiceSec+PerRequestSec*len(b.Requests)+in.prep(ph)))
		}
	}
	return ready
}

// Leg is one leg's problem, its plan and what the encoder needs to turn it
// into route lists.
type Leg struct {
	Number   int
	Problem  *vrp.Problem
	Meta     *vroom.Meta
	Solution *vrp.Solution
	// Batch[i] is the batch id of shipment i.
	Batch      []int64
	Violations []string
	Elapsed    time.Duration
}

// Plan is the plan of a cut.
type Plan struct {
	Legs      [2]*Leg
	Unplanned map[int64]string // batch id -> why not (fully) planned
	VansUsed  int
	DriveSec  float64 // driving time of every route of both legs (no service, no waiting)
	DistanceM float64
}

// Step ids in the legs' VROOM output: batch*10 + event code.
const (
	codeCollect   = 1 // leg 1 pickup: collected
	codePharmacy  = 2 // leg 1 delivery: at_pharmacy
	codeLoad      = 3 // leg 2 pickup: on_the_way_back
	codeHandOver  = 4 // leg 2 delivery: at_supply_point
	stepIDFactor  = 10
	maxPlanPoints = 5000
)

// EventOf maps a step id of a leg's output to its batch and the state its
// requests reach when the stop is done.
func EventOf(stepID uint64) (batch int64, leg int, s State, ok bool) {
	b := int64(stepID / stepIDFactor)
	switch stepID % stepIDFactor {
	case codeCollect:
		return b, 1, StateCollected, true
	case codePharmacy:
		return b, 1, StateAtPharmacy, true
	case codeLoad:
		return b, 2, StateOnTheWayBack, true
	case codeHandOver:
		return b, 2, StateAtSupplyPoint, true
	}
	return 0, 0, "", false
}

type points struct {
	pts   []orb.Point
	index map[orb.Point]int
}

func (p *points) at(x orb.Point) int {
	if i, ok := p.index[x]; ok {
		return i
	}
	p.index[x] = len(p.pts)
	p.pts = append(p.pts, x)
	return len(p.pts) - 1
}

func (in *PlanInput) prep(f *zones.Facility) int {
	if in.PrepSec != nil {
		return in.PrepSec(f)
	}
	if f.Kind == zones.FacilityHealthCentre {
		return DefaultPrepCentre
	}
	return DefaultPrepPharmacy
}

// door is where leg 2 hands over batch b: the supply point, or an urgent
// request's building door (not in a sealed zone).
func (in *PlanInput) door(b *Batch) (orb.Point, string, bool) {
	sp := in.District.Facilities[b.SupplyPointID]
	if b.Urgent && len(b.Requests) == 1 {
		if r := in.Requests[b.Requests[0]]; r != nil && r.BuildingPoint != nil && (in.Sealed == nil || !in.Sealed(*r.BuildingPoint)) {
			return *r.BuildingPoint, "building " + r.Building, true
		}
	}
	return sp.Point, sp.Name, false
}

// Solve plans both legs of the cut within opt.TimeLimit (half each) and
// checks them. It fails on bad vans, a matrix error or a plan that breaks
// a rule; batches it cannot serve are in Plan.Unplanned with the reason.
func Solve(ctx context.Context, in *PlanInput, opt vrp.Options) (*Plan, error) {
	if err := ValidateVans(in.Vans); err != nil {
		return nil, err
	}
	d := in.District
	pl := &Plan{Unplanned: map[int64]string{}}
	ps := &points{index: map[orb.Point]int{}}
	for _, v := range in.Vans {
		ps.at(v.Depot)
	}
	for i := range in.Batches {
		b := &in.Batches[i]
		sp, ok1 := d.Facilities[b.SupplyPointID]
		ph, ok2 := d.Facilities[b.PharmacyID]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("deliveries: batch %d names a facility that is not in the district", b.ID)
		}
		ps.at(sp.Point)
		ps.at(ph.Point)
		p, _, _ := in.door(b)
		ps.at(p)
	}
	for i := range in.Pending {
		b := &in.Pending[i]
		if _, ok := d.Facilities[b.SupplyPointID]; !ok {
			return nil, fmt.Errorf("deliveries: batch %d names a facility that is not in the district", b.ID)
		}
		ph, ok := d.Facilities[b.PharmacyID]
		if !ok {
			return nil, fmt.Errorf("deliveries: batch %d names a facility that is not in the district", b.ID)
		}
		ps.at(ph.Point)
		p, _, _ := in.door(b)
		ps.at(p)
	}
	if len(ps.pts) > maxPlanPoints {
		return nil, verr("batches", "%d distinct places; at most %d per plan", len(ps.pts), maxPlanPoints)
	}
	tm, dm, err := in.Matrix(ps.pts)
	if err != nil {
		return nil, err
	}
	n := len(ps.pts)
	if tm.Rows != n || tm.Cols != n || dm.Rows != n || dm.Cols != n {
		return nil, fmt.Errorf("deliveries: the matrix is %dx%d for %d points", tm.Rows, tm.Cols, n)
	}
	for i := range tm.Data {
		if !math.IsInf(tm.Data[i], 0) {
			tm.Data[i] = math.Round(tm.Data[i])
		}
		if !math.IsInf(dm.Data[i], 0) {
			dm.Data[i] = math.Round(dm.Data[i])
		}
	}
	reach := func(a, b int) bool { return !math.IsInf(tm.At(a, b), 0) }
	meta := func(nShip int) *vroom.Meta {
		m := &vroom.Meta{Points: ps.pts, HasPoint: make([]bool, n), Distances: true, Dims: 2,
			PickupDesc: make([]string, 0, nShip), DeliveryDesc: make([]string, 0, nShip)}
		for i := range m.HasPoint {
			m.HasPoint[i] = true
		}
		for _, v := range in.Vans {
			m.VehicleDesc = append(m.VehicleDesc, v.Name)
		}
		return m
	}
	// ----- leg 1 -----
	t0 := time.Now()
	p1 := &vrp.Problem{Time: tm, Dist: dm, Objective: vrp.MinDuration}
	for _, v := range in.Vans {
		a, b, _ := v.Shift()
		p1.Vehicles = append(p1.Vehicles, vrp.Vehicle{ID: v.ID, Start: ps.index[v.Depot], End: -1,
			Shift:    routing.TimeWindow{Start: float64(max(a, in.NotBefore)), End: float64(b)},
			Capacity: []int64{int64(v.Boxes), int64(v.VolumeL) * 1000}})
	}
	l1 := &Leg{Number: 1, Problem: p1, Meta: meta(len(in.Batches))}
	horizon := in.leg1Horizon(tm, ps.index)
	for i := range in.Batches {
		b := &in.Batches[i]
		sp, ph := d.Facilities[b.SupplyPointID], d.Facilities[b.PharmacyID]
		a, c := ps.index[sp.Point], ps.index[ph.Point]
		ok := reach(a, c)
		for _, v := range p1.Vehicles {
			ok = ok && reach(v.Start, a)
		}
		if !ok {
			pl.Unplanned[b.ID] = fmt.Sprintf("no road from every depot to %s and on to %s (sealed roads?)", sp.Name, ph.Name)
			continue
		}
		so, sc := OpeningHours(sp.OpeningHours)
		po, pc := OpeningHours(ph.OpeningHours)
		k := len(b.Requests)
		// The lists must reach the pharmacy early enough for the medicines
		// to be prepared and brought back while the hand-over point is
		// open: leg 1's deadline at the pharmacy follows from leg 2's.
		dp, _, atDoor := in.door(b)
		_, dc := OpeningHours(sp.OpeningHours)
		if atDoor {
			dc = latestShiftEnd(in.Vans)
		}
		pharmService := float64(PharmacyServiceSec + PerRequestSec*k)
		back := tm.At(c, ps.index[dp])
		latest := float64(dc) - back - pharmService /* leg 2 loading */ - float64(in.prep(ph)) - pharmService /* leg 1 hand-over */
		latest = min(latest, float64(pc))
		if math.IsInf(back, 0) || latest < float64(max(po, in.NotBefore)) {
			pl.Unplanned[b.ID] = fmt.Sprintf("too late today: the medicines could not be back at %s before it closes", sp.Name)
			continue
		}
		if h := float64(horizon); horizon > 0 && h < latest && h >= float64(max(po, so, in.NotBefore)) {
			latest = h
		}
		p1.Shipments = append(p1.Shipments, vrp.Shipment{
			PickupID: b.ID*stepIDFactor + codeCollect, DeliveryID: b.ID*stepIDFactor + codePharmacy,
			Pickup:   vrp.Stop{Location: a, Service: float64(SupplyPointServiceSec + PerRequestSec*k), Windows: window(max(so, in.NotBefore), sc)},
			Delivery: vrp.Stop{Location: c, Service: pharmService, Windows: window(max(po, in.NotBefore), int(math.Floor(latest)))},
			Amount:   []int64{0, FolderML}, Priority: b.Priority})
		l1.Batch = append(l1.Batch, b.ID)
		l1.Meta.PickupDesc = append(l1.Meta.PickupDesc, fmt.Sprintf("Collect the lists of %d requests (%d prescriptions, %d insurance cards) at %s for %s",
			k, b.Prescriptions, b.Cards, sp.Name, ph.Name))
		l1.Meta.DeliveryDesc = append(l1.Meta.DeliveryDesc, fmt.Sprintf("Hand the lists of %s (%d requests, %d prescriptions, %d insurance cards) to %s",
			sp.Name, k, b.Prescriptions, b.Cards, ph.Name))
	}
	o1 := opt
	o1.TimeLimit = opt.TimeLimit / 2
	if l1.Solution, err = vrp.Solve(ctx, p1, o1); err != nil {
		return nil, err
	}
	l1.Elapsed = time.Since(t0)
	if err := checkLeg(l1); err != nil {
		return nil, err
	}
	pl.Legs[0] = l1

	// ----- leg 2 -----
	t0 = time.Now()
	readyAt := map[int64]float64{}
	endOf := map[int]vrp.Step{} // vehicle index -> last step of its leg-1 route
	for _, r := range l1.Solution.Routes {
		last := r.Steps[len(r.Steps)-1]
		for k := len(r.Steps) - 1; k >= 0 && last.Location < 0; k-- {
			last = r.Steps[k]
		}
		if len(r.Steps) > 2 {
			endOf[r.Vehicle] = last
		}
		for _, s := range r.Steps {
			if s.Kind == vrp.StepDelivery {
				bid := l1.Batch[s.Index]
				ph := d.Facilities[batchByID(in.Batches, bid).PharmacyID]
				readyAt[bid] = s.Departure + float64(in.prep(ph))
			}
		}
	}
	for _, u := range l1.Solution.Unassigned {
		if u.Shipment {
			pl.Unplanned[l1.Batch[u.Index]] = "leg 1: " + string(u.Reason)
		}
	}
	batches := in.Batches
	for i := range in.Pending {
		b := &in.Pending[i]
		readyAt[b.ID] = in.PendingReady(b)
		batches = append(batches[:len(batches):len(batches)], *b)
	}
	p2 := &vrp.Problem{Time: tm, Dist: dm, Objective: vrp.MinDuration}
	for vi, v := range in.Vans {
		a, b, _ := v.Shift()
		veh := vrp.Vehicle{ID: v.ID, Start: ps.index[v.Depot], End: ps.index[v.Depot],
			Shift:    routing.TimeWindow{Start: float64(max(a, in.NotBefore)), End: float64(b)},
			Capacity: []int64{int64(v.Boxes), int64(v.VolumeL) * 1000}}
		if last, ok := endOf[vi]; ok {
			veh.Start, veh.Shift.Start = last.Location, last.Departure
		}
		p2.Vehicles = append(p2.Vehicles, veh)
	}
	l2 := &Leg{Number: 2, Problem: p2, Meta: meta(len(readyAt))}
	for i := range batches {
		b := &batches[i]
		ready, ok := readyAt[b.ID]
		if !ok {
			continue
		}
		sp, ph := d.Facilities[b.SupplyPointID], d.Facilities[b.PharmacyID]
		_, pc := OpeningHours(ph.OpeningHours)
		if ready > float64(pc) {
			pl.Unplanned[b.ID] = fmt.Sprintf("leg 2: %s closes at %s, before the medicines are ready (%s)", ph.Name, Clock(float64(pc)), Clock(ready))
			continue
		}
		dp, dlabel, atDoor := in.door(b)
		a, c := ps.index[ph.Point], ps.index[dp]
		do, dc := OpeningHours(sp.OpeningHours)
		service := float64(SupplyPointServiceSec + PerRequestSec*len(b.Requests))
		if atDoor {
			do, dc, service = 0, 86400, DoorServiceSec
		}
		ok = reach(a, c)
		for _, v := range p2.Vehicles {
			ok = ok && reach(c, v.End)
		}
		if !ok {
			pl.Unplanned[b.ID] = fmt.Sprintf("leg 2: no road from %s to %s and back to every depot (sealed roads?)", ph.Name, dlabel)
			continue
		}
		p2.Shipments = append(p2.Shipments, vrp.Shipment{
			PickupID: b.ID*stepIDFactor + codeLoad, DeliveryID: b.ID*stepIDFactor + codeHandOver,
			Pickup:   vrp.Stop{Location: a, Service: float64(PharmacyServiceSec + PerRequestSec*len(b.Requests)), Windows: window(int(math.Ceil(ready)), pc)},
			Delivery: vrp.Stop{Location: c, Service: service, Windows: window(do, dc)},
			Amount:   []int64{int64(b.Boxes), int64(b.VolumeML)}, Priority: b.Priority})
		l2.Batch = append(l2.Batch, b.ID)
		what := fmt.Sprintf("%d boxes for %d requests", b.Boxes, len(b.Requests))
		l2.Meta.PickupDesc = append(l2.Meta.PickupDesc, fmt.Sprintf("Load %s of %s at %s", what, sp.Name, ph.Name))
		back := ""
		if b.Cards > 0 {
			back = fmt.Sprintf(", and %d insurance cards back", b.Cards)
		}
		if atDoor {
			l2.Meta.DeliveryDesc = append(l2.Meta.DeliveryDesc, fmt.Sprintf("URGENT: hand %s to the door of %s, %s%s", what, dlabel, sp.Name, back))
		} else {
			l2.Meta.DeliveryDesc = append(l2.Meta.DeliveryDesc, fmt.Sprintf("Hand %s to the volunteers at %s%s", what, sp.Name, back))
		}
	}
	o2 := opt
	o2.TimeLimit = opt.TimeLimit - opt.TimeLimit/2
	if l2.Solution, err = vrp.Solve(ctx, p2, o2); err != nil {
		return nil, err
	}
	l2.Elapsed = time.Since(t0)
	if err := checkLeg(l2); err != nil {
		return nil, err
	}
	for _, u := range l2.Solution.Unassigned {
		if u.Shipment {
			pl.Unplanned[l2.Batch[u.Index]] = "leg 2: " + string(u.Reason)
		}
	}
	pl.Legs[1] = l2
	used := map[int]bool{}
	for _, l := range pl.Legs {
		for _, r := range l.Solution.Routes {
			if len(r.Steps) > 2 {
				used[r.Vehicle] = true
			}
			for k := 1; k < len(r.Steps); k++ {
				if a, b := r.Steps[k-1].Location, r.Steps[k].Location; a >= 0 && b >= 0 {
					pl.DriveSec += tm.At(a, b)
				}
			}
			pl.DistanceM += r.Distance
		}
	}
	pl.VansUsed = len(used)
	return pl, nil
}

// leg1Horizon is the time by which leg 1 should have brought every list
// to its pharmacy, so that leg 2 keeps its share of the day (0: none).
//
// The legs are planned one after the other and the engine uses as few
// vans as it can: left alone, leg 1 spreads over the afternoon on a few
// vans, the medicines are ready when the supply points are about to close
// and leg 2 cannot bring them all back. Both legs share the fleet between
// the cut and the supply points' closing (less the preparation), so the
// day is split between them in proportion to their work: for each batch,
// leg 1 is its two stops' service and the drive from the supply point to
// the pharmacy; leg 2 (to supply points only: urgent doors may be served
// until the end of the shift) its two stops' service and the drive there
// and back (vans carry one or two batches a trip: boxes are the limit),
// pending batches' leg 2 included.
func (in *PlanInput) leg1Horizon(tm routing.Matrix, index map[orb.Point]int) int {
	start := math.MaxInt
	for _, v := range in.Vans {
		a, _, _ := v.Shift()
		start = min(start, a)
	}
	start = max(start, in.NotBefore)
	var w1, w2 float64
	closes, prep := 0, 0
	drive := func(a, b orb.Point) float64 {
		if d := tm.At(index[a], index[b]); !math.IsInf(d, 0) {
			return d
		}
		return 0
	}
	all := append(in.Batches[:len(in.Batches):len(in.Batches)], in.Pending...)
	for i := range all {
		b := &all[i]
		sp, ph := in.District.Facilities[b.SupplyPointID], in.District.Facilities[b.PharmacyID]
		k := float64(len(b.Requests))
		spService := SupplyPointServiceSec + PerRequestSec*k
		phService := PharmacyServiceSec + PerRequestSec*k
		if i < len(in.Batches) {
			w1 += spService + phService + drive(sp.Point, ph.Point)
		}
		if dp, _, atDoor := in.door(b); !atDoor {
			w2 += spService + phService + drive(ph.Point, dp) + drive(dp, ph.Point)
			_, c := OpeningHours(sp.OpeningHours)
			closes = max(closes, c)
			prep = max(prep, in.prep(ph))
		}
	}
	avail := closes - prep - start
	if w2 == 0 || avail <= 0 {
		return 0
	}
	return start + int(float64(avail)*w1/(w1+w2))
}

func latestShiftEnd(vans []Van) int {
	end := 0
	for _, v := range vans {
		if _, b, err := v.Shift(); err == nil {
			end = max(end, b)
		}
	}
	return end
}

func window(a, b int) []routing.TimeWindow {
	if b < a {
		b = a
	}
	return []routing.TimeWindow{{Start: float64(a), End: float64(b)}}
}

func batchByID(bs []Batch, id int64) *Batch {
	for i := range bs {
		if bs[i].ID == id {
			return &bs[i]
		}
	}
	return nil
}

// checkLeg runs the independent checker on a leg's plan.
func checkLeg(l *Leg) error {
	l.Violations = []string{}
	for _, v := range check.Plan(l.Problem, l.Solution) {
		l.Violations = append(l.Violations, v.String())
	}
	if len(l.Violations) > 0 {
		return fmt.Errorf("deliveries: leg %d breaks %d rules; first: %s", l.Number, len(l.Violations), l.Violations[0])
	}
	return nil
}

// Stops turns a leg's VROOM output (with route-list codes) into the stop
// references of each batch.
func Stops(out *vroom.Output) map[int64][]StopRef {
	refs := map[int64][]StopRef{}
	for _, r := range out.Routes {
		for k, st := range r.Steps {
			if st.ID == nil || (st.Type != "pickup" && st.Type != "delivery") {
				continue
			}
			b, leg, s, ok := EventOf(*st.ID)
			if !ok {
				continue
			}
			refs[b] = append(refs[b], StopRef{List: r.RouteList, Seq: k + 1, Leg: leg, Event: s, Van: int64(r.Vehicle), Arrival: st.Arrival})
		}
	}
	return refs
}
