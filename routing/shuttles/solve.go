package shuttles

import (
	"context"
	"fmt"

	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
	"lifeline/routing/vrp/vroom"
)

// Solve decodes the day's VROOM document (Problem), solves it with our
// VRP engine, checks the plan with routing/vrp/check and renders it as a
// timetable per van. trips are Problem's kept trips. A plan that breaks a
// rule is not returned: the violations make the error.
func Solve(ctx context.Context, doc []byte, trips []Trip, opt vrp.Options) (*PlanResult, error) {
	p, _, err := vroom.Decode(doc, nil)
	if err != nil {
		return nil, fmt.Errorf("shuttles: our own VROOM document does not decode: %w", err)
	}
	sol, err := vrp.Solve(ctx, p, opt)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &PlanResult{Trips: len(trips), Violations: []string{}, Vans: []VanTimetable{}, Unplanned: []UnplannedTrip{}, Cost: sol.Cost}
	for _, v := range check.Plan(p, sol) {
		res.Violations = append(res.Violations, v.String())
	}
	if len(res.Violations) > 0 {
		return res, fmt.Errorf("shuttles: the plan breaks %d rules; first: %s", len(res.Violations), res.Violations[0])
	}
	byID := make(map[uint64]Trip, len(trips))
	for _, t := range trips {
		byID[t.ID] = t
	}
	for _, r := range sol.Routes {
		var stops []Stop
		for _, s := range r.Steps {
			if s.Kind != vrp.StepPickup && s.Kind != vrp.StepDelivery {
				continue
			}
			sh := p.Shipments[s.Index]
			t := byID[uint64(sh.PickupID)]
			st := Stop{Time: Clock(s.Start), Arrival: s.Arrival, Start: s.Start, TripID: t.ID, Pseudonym: t.Pseudonym,
				Direction: t.Direction, Colour: t.Colour, Load: s.Load}
			if s.Kind == vrp.StepPickup {
				st.Action, st.Place, st.Point = "pick_up", t.FromLabel, t.From
			} else {
				st.Action, st.Place, st.Point = "drop_off", t.ToLabel, t.To
			}
			stops = append(stops, st)
		}
		if len(stops) == 0 {
			continue
		}
		n := len(r.Steps)
		res.Vans = append(res.Vans, VanTimetable{Van: uint64(p.Vehicles[r.Vehicle].ID), Leaves: Clock(r.Steps[0].Departure),
			Returns: Clock(r.Steps[n-1].Arrival), DriveSec: r.Duration, DistanceM: r.Distance, Stops: stops})
		res.Planned += len(stops) / 2
	}
	res.VansUsed = len(res.Vans)
	for _, u := range sol.Unassigned {
		if !u.Shipment {
			continue
		}
		t := byID[uint64(p.Shipments[u.Index].PickupID)]
		res.Unplanned = append(res.Unplanned, UnplannedTrip{Trip: t, Reason: string(u.Reason)})
	}
	return res, nil
}
