package shuttles_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"lifeline/routing/shuttles"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

// publishedDay plans the demo Monday (20 vans of 4 seats, plus a standby
// van 99) as version 1.
func publishedDay(t *testing.T) *shuttles.Timetable {
	t.Helper()
	trips, vans := demoDay(t, 20, 4)
	sb := vans[0]
	sb.ID, sb.Standby = 99, true
	vans = append(vans, sb)
	pol := shuttles.DefaultPolicy()
	res, kept, err := shuttles.PlanDay(context.Background(), trips, vans, pol, crowMatrix, vrp.Options{Seed: 1, TimeLimit: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Vans {
		if v.Van == 99 {
			t.Fatal("the standby van is planned")
		}
	}
	return &shuttles.Timetable{Date: "2026-11-30", Version: 1, Reason: shuttles.ReasonPlan, Policy: pol, Fleet: vans, TripList: kept, Plan: *res}
}

func stopsOf(tt *shuttles.Timetable) map[uint64]map[string]shuttles.Stop {
	out := map[uint64]map[string]shuttles.Stop{}
	for _, vt := range tt.Plan.Vans {
		for _, s := range vt.Stops {
			if out[s.TripID] == nil {
				out[s.TripID] = map[string]shuttles.Stop{}
			}
			s.Load = nil
			out[s.TripID][s.Action] = s
		}
	}
	return out
}

func vanOfTrip(tt *shuttles.Timetable) map[uint64]uint64 {
	out := map[uint64]uint64{}
	for _, vt := range tt.Plan.Vans {
		for _, s := range vt.Stops {
			out[s.TripID] = vt.Van
		}
	}
	return out
}

// checkNotices: the notices are exactly the riders whose pick-up (van or
// printed time) changed after at, and nobody else.
func checkNotices(t *testing.T, old, cur *shuttles.Timetable, at float64) {
	t.Helper()
	os, ns := stopsOf(old), stopsOf(cur)
	ov, nv := vanOfTrip(old), vanOfTrip(cur)
	told := map[uint64]string{}
	for _, n := range cur.Changes.Riders {
		told[n.TripID] = n.What
	}
	for id, o := range os {
		p, ok := o["pick_up"]
		if !ok || p.Start < at {
			continue
		}
		n, still := ns[id]
		changed := !still || n["pick_up"].Time != p.Time || nv[id] != ov[id]
		if changed != (told[id] != "") {
			t.Errorf("trip %d: changed %v (%s -> %s, van %d -> %d) but told %q", id, changed, p.Time, n["pick_up"].Time, ov[id], nv[id], told[id])
		}
	}
}

// TestReplan: cancelling a trip, taking a van out of service and adding a
// trip re-plan the rest of the day from the given time: every stop before
// it is kept, riders on board stay on their van, published times move at
// most the tolerance in phase 1-2, exactly the riders and drivers
// concerned are told, and the checkers pass.
func TestReplan(t *testing.T) {
	ctx := context.Background()
	base := publishedDay(t)
	at := 9.5 * 3600
	// a trip picked up after at, and the van with the most riders on board at at
	var cancel uint64
	for _, vt := range base.Plan.Vans {
		for _, s := range vt.Stops {
			if s.Action == "pick_up" && s.Start > at+3600 && cancel == 0 {
				cancel = s.TripID
			}
		}
	}
	var out uint64
	best := -1
	for _, vt := range base.Plan.Vans {
		on := map[uint64]bool{}
		later := 0
		for _, s := range vt.Stops {
			if s.Start < at {
				on[s.TripID] = s.Action == "pick_up"
			} else if s.Action == "pick_up" {
				later++
			}
		}
		n := 0
		for _, b := range on {
			if b {
				n++
			}
		}
		if later > 0 && n*100+later > best {
			best, out = n*100+later, vt.Van
		}
	}
	if cancel == 0 || out == 0 {
		t.Fatal("nothing to change")
	}
	add := base.TripList[0]
	add.Window = [2]int{int(at) + 7200, int(at) + 7200 + 1800}
	add.Direction, add.From, add.To, add.FromLabel, add.ToLabel = "outbound", add.To, add.From, add.ToLabel, add.FromLabel
	add.Boarding = 120
	edits := shuttles.Edits{Cancel: []uint64{cancel}, VansOut: []uint64{out}, Add: []shuttles.Trip{add}}
	tt, err := shuttles.Replan(ctx, shuttles.ReplanInput{Base: base, At: at, Edits: edits, Matrix: crowMatrix, Opt: vrp.Options{Seed: 1, TimeLimit: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if !tt.Check.OK() || tt.Base != 1 || tt.Reason != shuttles.ReasonChanges {
		t.Fatalf("check: %v", tt.Check.Problems)
	}
	t.Logf("phase %d, %d riders and %d drivers told, %d unplanned", tt.Changes.Phase, len(tt.Changes.Riders), len(tt.Changes.Drivers), len(tt.Plan.Unplanned))
	os, ns := stopsOf(base), stopsOf(tt)
	ov, nv := vanOfTrip(base), vanOfTrip(tt)
	for id, o := range os {
		for act, s := range o {
			if s.Start < at && !reflect.DeepEqual(ns[id][act], s) {
				t.Fatalf("trip %d %s done before %s changed: %+v -> %+v", id, act, shuttles.Clock(at), s, ns[id][act])
			}
		}
		if p := o["pick_up"]; p.Start < at && ov[id] != nv[id] {
			t.Fatalf("trip %d on board of van %d moved to van %d", id, ov[id], nv[id])
		}
	}
	if _, ok := ns[cancel]; ok {
		t.Fatal("cancelled trip still planned")
	}
	for _, vt := range tt.Plan.Vans {
		if vt.Van != out {
			continue
		}
		for _, s := range vt.Stops {
			if s.Start >= at && s.Action == "pick_up" {
				t.Fatalf("van %d out of service picks up %s at %s", out, s.Pseudonym, s.Time)
			}
		}
	}
	checkNotices(t, base, tt, at)
	var cancelledTold, addedTold bool
	for _, n := range tt.Changes.Riders {
		cancelledTold = cancelledTold || (n.TripID == cancel && n.What == "cancelled")
		addedTold = addedTold || (n.What == "added" || n.What == "unplanned") && n.TripID > cancel && n.OldTime == ""
		if tt.Changes.Phase <= 2 && n.What == "time" {
			o, _ := shuttles.ParseClock(n.OldTime)
			nw, _ := shuttles.ParseClock(n.NewTime)
			if d := nw - o; d > 11 || d < -11 {
				t.Errorf("phase %d moved %s from %s to %s", tt.Changes.Phase, n.Pseudonym, n.OldTime, n.NewTime)
			}
		}
	}
	if !cancelledTold || !addedTold || len(tt.Changes.Drivers) == 0 {
		t.Fatalf("notices: %+v", tt.Changes)
	}
	found := false
	for _, d := range tt.Changes.Drivers {
		found = found || d.Van == out
	}
	if !found {
		t.Fatalf("driver of van %d not told", out)
	}

	// the picked-up trip cannot be cancelled; unknown vans and trips say where
	var started uint64
	for _, vt := range base.Plan.Vans {
		for _, s := range vt.Stops {
			if s.Action == "pick_up" && s.Start < at {
				started = s.TripID
			}
		}
	}
	var ve *zones.ValidationError
	for _, tc := range []struct {
		edits shuttles.Edits
		path  string
	}{
		{shuttles.Edits{Cancel: []uint64{started}}, "changes[0].trip_id"},
		{shuttles.Edits{Cancel: []uint64{999999}}, "changes[0].trip_id"},
		{shuttles.Edits{VansOut: []uint64{7777}}, "changes[0].van"},
	} {
		_, err := shuttles.Replan(ctx, shuttles.ReplanInput{Base: base, At: at, Edits: tc.edits, Matrix: crowMatrix, Opt: vrp.Options{Seed: 1, MaxIterations: 10}})
		if !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("%+v: %v", tc.edits, err)
		}
	}
}

// TestUrgent: an urgent call is inserted into the running day with every
// other van untouched, the other riders of the chosen van picked up no
// earlier than told and within the tolerance, the checkers pass; with no
// running van able to go, the standby van goes.
func TestUrgent(t *testing.T) {
	ctx := context.Background()
	base := publishedDay(t)
	at := 11*3600 + 7*60.0
	var lab shuttles.Trip
	for _, tr := range base.TripList {
		if tr.Kind == shuttles.CategoryLabour {
			lab = tr
		}
	}
	if lab.ID == 0 {
		t.Fatal("no labour trip")
	}
	call := lab
	call.Window = [2]int{int(at), int(at) + 20*60}
	tt, ans, err := shuttles.Urgent(ctx, shuttles.UrgentInput{Base: base, At: at, Trip: call, Matrix: crowMatrix})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("van %d (standby %v) picks up at %s, arrives %s, +%.0f s driving, %d insertions tried in %.1f ms",
		ans.Van, ans.Standby, ans.PickupTime, ans.Arrival, ans.ExtraDriveS, ans.Candidates, ans.ElapsedMS)
	if ans.PickupS < at || ans.PickupS > at+20*60 || !tt.Check.OK() || tt.Reason != shuttles.ReasonUrgent {
		t.Fatalf("answer %+v, check %v", ans, tt.Check.Problems)
	}
	os, ns := stopsOf(base), stopsOf(tt)
	ov := vanOfTrip(base)
	for id, o := range os {
		for act, s := range o {
			n := ns[id][act]
			if ov[id] != ans.Van && !reflect.DeepEqual(n, s) {
				t.Fatalf("trip %d on van %d moved", id, ov[id])
			}
			if ov[id] == ans.Van && act == "pick_up" && s.Start >= at && (n.Start < s.Start-1e-6 || n.Start > s.Start+600+1e-6) {
				t.Fatalf("trip %d pick-up moved from %s to %s", id, s.Time, n.Time)
			}
		}
	}
	checkNotices(t, base, tt, at)
	told := false
	for _, d := range tt.Changes.Drivers {
		told = told || d.Van == ans.Van
	}
	if !told {
		t.Fatalf("driver of van %d not told: %+v", ans.Van, tt.Changes.Drivers)
	}

	// every running van is out of service: the standby van goes
	late := *base
	late.VansOut = nil
	for _, v := range base.Fleet {
		if !v.Standby {
			late.VansOut = append(late.VansOut, v.ID)
		}
	}
	_, ans, err = shuttles.Urgent(ctx, shuttles.UrgentInput{Base: &late, At: at, Trip: call, Matrix: crowMatrix})
	if err != nil || !ans.Standby || ans.Van != 99 {
		t.Fatalf("standby: %+v %v", ans, err)
	}
}
