package deliveries

import (
	"context"
	"fmt"
	"testing"

	"lifeline/routing/vrp"
)

// TestSolveBusyDay: a day that fills the fleet (200 requests, 52 batches,
// 3 vans of 4 boxes: one batch a trip). Planned leg after leg with the
// engine using as few vans as it can, leg 1 would run until 16:49 and some
// batches not be brought back before the supply points close at 18:00;
// the day is split between the legs by their work (leg1Horizon), so every
// batch is planned both ways.
func TestSolveBusyDay(t *testing.T) {
	d := testDistrict()
	var reqs []Request
	byID := map[int64]*Request{}
	for i := range 200 {
		r := sample()
		r.ID = int64(i + 1)
		r.CompoundID = int64(1 + i%2)
		r.Items = []Item{{Name: "Amlodipine", Quantity: 1, VolumeML: 3000}}
		if i%4 == 0 {
			r.PharmacyID = 2
		} else if i%4 == 1 {
			r.PharmacyID = 1
		}
		if err := d.Check(&r); err != nil {
			t.Fatal(err)
		}
		r.State = StateReceived
		reqs = append(reqs, r)
	}
	bs, err := d.Cut(reqs, "2026-12-02", "10:00", 4, 400000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bs {
		bs[i].ID = int64(i + 1)
	}
	for i := range reqs {
		byID[reqs[i].ID] = &reqs[i]
	}
	var vans []Van
	for i := range 3 {
		vans = append(vans, Van{ID: int64(i + 1), Name: fmt.Sprint("van ", i+1), Depot: d.Depot.Point, Boxes: 4, VolumeL: 400, ShiftStart: "08:00", ShiftEnd: "20:00"})
	}
	in := &PlanInput{Date: "2026-12-02", Batches: bs, Requests: byID, District: d, Vans: vans, NotBefore: 10 * 3600, Matrix: euclid}
	pl, err := Solve(context.Background(), in, vrp.Options{Seed: 1, MaxIterations: 400})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pl.Legs {
		if len(l.Violations) != 0 {
			t.Fatalf("leg %d: %v", l.Number, l.Violations)
		}
	}
	end := 0.0
	for _, r := range pl.Legs[0].Solution.Routes {
		end = max(end, r.Steps[len(r.Steps)-1].Arrival)
	}
	t.Logf("%d batches; leg 1 done at %s; unplanned %v", len(bs), Clock(end), pl.Unplanned)
	if len(pl.Unplanned) != 0 {
		t.Fatalf("%d of %d batches unplanned: %v", len(pl.Unplanned), len(bs), pl.Unplanned)
	}
}

// TestSolvePending: a batch of an earlier cut whose leg 2 was not planned
// gets its leg 2 (only) in the next cut, loaded at the pharmacy no earlier
// than its planned leg-1 arrival plus the hand-over and the preparation;
// one of an earlier day from the cut on.
func TestSolvePending(t *testing.T) {
	d := testDistrict()
	mk := func(id int64, compound int64) (Request, Batch) {
		r := sample()
		r.ID, r.CompoundID, r.State = id, compound, StateReceived
		if err := d.Check(&r); err != nil {
			t.Fatal(err)
		}
		return r, Batch{ID: id, Date: "2026-12-02", Cut: "10:00", SupplyPointID: r.SupplyPointID, PharmacyID: 1, Requests: []int64{id}, Boxes: 1, VolumeML: r.VolumeML()}
	}
	r1, fresh := mk(1, 1)
	r2, pending := mk(2, 2)
	pending.Stops = []StopRef{{List: "1", Seq: 2, Leg: 1, Event: StateCollected, Arrival: 11 * 3600}, {List: "1", Seq: 3, Leg: 1, Event: StateAtPharmacy, Arrival: 13 * 3600}}
	pending.Unplanned = "leg 2: no room"
	_, old := mk(3, 2)
	old.ID, old.Date = 3, "2026-12-01"
	old.Stops = pending.Stops
	vans := []Van{{ID: 1, Name: "van", Depot: d.Depot.Point, Boxes: 4, VolumeL: 40, ShiftStart: "08:00", ShiftEnd: "20:00"}}
	in := &PlanInput{Date: "2026-12-02", Batches: []Batch{fresh}, Requests: map[int64]*Request{1: &r1, 2: &r2}, District: d, Vans: vans,
		NotBefore: 12 * 3600, Matrix: euclid, Pending: []Batch{pending, old}}
	pl, err := Solve(context.Background(), in, vrp.Options{Seed: 1, MaxIterations: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Unplanned) != 0 || len(pl.Legs[0].Batch) != 1 || len(pl.Legs[1].Batch) != 3 {
		t.Fatalf("unplanned %v, leg 1 %v, leg 2 %v", pl.Unplanned, pl.Legs[0].Batch, pl.Legs[1].Batch)
	}
	want := map[int64]float64{2: 13*3600 + PharmacyServiceSec + PerRequestSec + DefaultPrepPharmacy, 3: 12 * 3600}
	for i, b := range pl.Legs[1].Batch {
		if w, ok := want[b]; ok && pl.Legs[1].Problem.Shipments[i].Pickup.Windows[0].Start != w {
			t.Errorf("batch %d ready at %s, want %s", b, Clock(pl.Legs[1].Problem.Shipments[i].Pickup.Windows[0].Start), Clock(w))
		}
	}
}
