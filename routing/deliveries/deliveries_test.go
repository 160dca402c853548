package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

func sample() Request {
	return Request{Key: "k-1", Date: "2026-12-02", CompoundID: 1, Building: "7", Flat: "3-201", Name: "Wang Fang", Phone: "+86 100 0000 0001",
		Items: []Item{{Name: "Amlodipine 5mg", Quantity: 2}}, Urgency: UrgencyRoutine, Channel: ChannelHotline}
}

func TestValidate(t *testing.T) {
	bp := orb.Point{200, 0}
	cases := []struct {
		name string
		edit func(r *Request)
		path string
	}{
		{"ok", func(r *Request) {}, ""},
		{"no key", func(r *Request) { r.Key = "" }, "idempotency_key"},
		{"bad key", func(r *Request) { r.Key = "a b" }, "idempotency_key"},
		{"bad date", func(r *Request) { r.Date = "2026-13-01" }, "date"},
		{"no compound", func(r *Request) { r.CompoundID = 0 }, "compound_id"},
		{"no building", func(r *Request) { r.Building = " " }, "building"},
		{"bad point", func(r *Request) { r.BuildingPoint = &bp }, "building_point"},
		{"no flat", func(r *Request) { r.Flat = "" }, "flat"},
		{"control in name", func(r *Request) { r.Name = "a\x00b" }, "name"},
		{"bad phone", func(r *Request) { r.Phone = "call me" }, "phone"},
		{"no items", func(r *Request) { r.Items = nil }, "items"},
		{"negative quantity", func(r *Request) { r.Items[0].Quantity = -2 }, "items[0].quantity"},
		{"zero quantity", func(r *Request) { r.Items = append(r.Items, Item{Name: "x", Quantity: 0}) }, "items[1].quantity"},
		{"negative volume", func(r *Request) { r.Items[0].VolumeML = -1 }, "items[0].volume_ml"},
		{"bad urgency", func(r *Request) { r.Urgency = "asap" }, "urgency"},
		{"bad channel", func(r *Request) { r.Channel = "fax" }, "channel"},
		{"negative supply point", func(r *Request) { r.SupplyPointID = -1 }, "supply_point_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sample()
			tc.edit(&r)
			err := r.Validate()
			if tc.path == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *zones.ValidationError
			if !errors.As(err, &ve) || ve.Path != tc.path {
				t.Fatalf("got %v, want a validation error at %s", err, tc.path)
			}
		})
	}
}

func TestStateMachine(t *testing.T) {
	at := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	fresh := func(s State) Request {
		r := NewRequest(sample(), 1, at, "test")
		for r.State != s && r.State.Next() != "" && s != StateFailed {
			m := Move{To: r.State.Next()}
			if m.To == StateBatched {
				m.BatchID = 9
			}
			if _, err := r.Apply(m, at); err != nil {
				t.Fatal(err)
			}
		}
		if s == StateFailed {
			if _, err := r.Apply(Move{To: StateFailed, Reason: "not home"}, at); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	cases := []struct {
		from    State
		move    Move
		changed bool
		err     string // "", "conflict", "invalid"
	}{
		{StateReceived, Move{To: StateBatched, BatchID: 3}, true, ""},
		{StateReceived, Move{To: StateBatched}, false, "conflict"},
		{StateReceived, Move{To: StateCollected}, false, "conflict"},
		{StateBatched, Move{To: StateCollected}, true, ""},
		{StateBatched, Move{To: StateDelivered}, false, "conflict"},
		{StateCollected, Move{To: StateAtPharmacy}, true, ""},
		{StateAtPharmacy, Move{To: StateOnTheWayBack}, true, ""},
		{StateOnTheWayBack, Move{To: StateAtSupplyPoint}, true, ""},
		{StateAtSupplyPoint, Move{To: StateDelivered}, true, ""},
		{StateAtSupplyPoint, Move{To: StateCollected}, false, "conflict"},
		{StateAtSupplyPoint, Move{To: StateCollected, Report: true}, false, ""},
		{StateCollected, Move{To: StateCollected}, false, ""},
		{StateDelivered, Move{To: StateFailed, Reason: "x"}, false, "conflict"},
		{StateFailed, Move{To: StateDelivered}, false, "conflict"},
		{StateFailed, Move{To: StateDelivered, Report: true}, false, ""},
		{StateBatched, Move{To: StateFailed}, false, "invalid"},
		{StateBatched, Move{To: StateFailed, Reason: "pharmacy out of stock"}, true, ""},
		{StateBatched, Move{To: "lost"}, false, "invalid"},
		{StateBatched, Move{To: StateReceived}, false, "conflict"},
		{StateBatched, Move{To: StateReceived, Carry: true, BatchID: 9, Reason: "not planned"}, true, ""},
		{StateBatched, Move{To: StateReceived, Carry: true, BatchID: 8, Reason: "not planned"}, false, ""}, // another batch's
		{StateBatched, Move{To: StateReceived, Carry: true}, false, "invalid"},
		{StateCollected, Move{To: StateReceived, Carry: true, Reason: "not planned"}, false, ""}, // moved on: stays
		{StateFailed, Move{To: StateReceived, Carry: true, Reason: "not planned"}, false, ""},
		{StateBatched, Move{To: StateCollected, Carry: true, Reason: "x"}, false, "invalid"},
	}
	for _, tc := range cases {
		r := fresh(tc.from)
		before := len(r.History)
		changed, err := r.Apply(tc.move, at.Add(time.Minute))
		switch tc.err {
		case "":
			if err != nil {
				t.Errorf("%s -> %s: %v", tc.from, tc.move.To, err)
			}
		case "conflict":
			if !errors.Is(err, zones.ErrConflict) {
				t.Errorf("%s -> %s: got %v, want a conflict", tc.from, tc.move.To, err)
			}
		case "invalid":
			var ve *zones.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s -> %s: got %v, want a validation error", tc.from, tc.move.To, err)
			}
		}
		if changed != tc.changed {
			t.Errorf("%s -> %s: changed %v, want %v", tc.from, tc.move.To, changed, tc.changed)
		}
		if changed && (len(r.History) != before+1 || r.History[before].State != tc.move.To || r.State != tc.move.To) {
			t.Errorf("%s -> %s: history %+v", tc.from, tc.move.To, r.History)
		}
		if !changed && len(r.History) != before {
			t.Errorf("%s -> %s: history grew without a change", tc.from, tc.move.To)
		}
		if err := r.Stored(); err != nil {
			t.Errorf("%s -> %s: stored request invalid: %v", tc.from, tc.move.To, err)
		}
	}
}

func TestDuplicates(t *testing.T) {
	a := sample()
	a.ID = 1
	a.State = StateReceived
	b := sample()
	b.ID = 2
	b.Name = "  wang   FANG "
	b.Items = []Item{{Name: "amlodipine 5MG", Quantity: 1}}
	if got := b.DuplicateOfIn([]Request{a}); got != 1 {
		t.Fatalf("same resident, same item: %d", got)
	}
	b.Items = []Item{{Name: "Metformin", Quantity: 1}}
	if got := b.DuplicateOfIn([]Request{a}); got != 0 {
		t.Fatalf("other item: %d", got)
	}
	b.Items = a.Items
	b.Flat = "3-202"
	if got := b.DuplicateOfIn([]Request{a}); got != 0 {
		t.Fatalf("other flat: %d", got)
	}
	b.Flat = a.Flat
	b.Date = "2026-12-03"
	if got := b.DuplicateOfIn([]Request{a}); got != 0 {
		t.Fatalf("other day: %d", got)
	}
}

func TestParseItems(t *testing.T) {
	cases := []struct {
		in   string
		want []Item
		err  bool
	}{
		{"Amlodipine 5mg x 2; Metformin x1", []Item{{Name: "Amlodipine 5mg", Quantity: 2}, {Name: "Metformin", Quantity: 1}}, false},
		{"Amoxicillin", []Item{{Name: "Amoxicillin", Quantity: 1}}, false},
		{"Insulin pen × 3 | Xanax", []Item{{Name: "Insulin pen", Quantity: 3}, {Name: "Xanax", Quantity: 1}}, false},
		{"Aspirin x -2", []Item{{Name: "Aspirin", Quantity: -2}}, false},
		{"Aspirin x 2a", nil, true},
		{" ; ", nil, true},
	}
	for _, tc := range cases {
		got, err := ParseItems(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: %+v", tc.in, got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
			}
		}
	}
}

const goodCSV = "idempotency_key,compound_id,building,flat,name,phone,items,urgency,insurance_card\n" +
	"a1,1,7,3-201,Wang Fang,+86 100 0000 0001,Amlodipine x 2,routine,yes\n" +
	"a2,2,1,101,Li Lei,+86 100 0000 0002,Insulin x 1; Metformin x 3,urgent,no\n"

func TestDecodeCSV(t *testing.T) {
	rs, rows, errs := DecodeCSV([]byte(goodCSV), "2026-12-02")
	if len(errs) != 0 || len(rs) != 2 || rows[0] != 2 || rows[1] != 3 {
		t.Fatalf("%+v %v %v", rs, rows, errs)
	}
	if rs[0].Date != "2026-12-02" || rs[0].Channel != ChannelFile || !rs[0].InsuranceCard || rs[1].Urgency != UrgencyUrgent || rs[1].Items[1].Quantity != 3 {
		t.Fatalf("%+v", rs)
	}
	bad := []struct{ csv, path string }{
		{"", "rows[1]"},
		{"idempotency_key,compound_id\n", "rows[1].building"},
		{"idempotency_key,compound_id,building,flat,name,phone,items,colour\n", "rows[1].[7]"},
		{goodCSV + "a3,1,7,3-201,Wang Fang,+86 100 0000 0001,Aspirin x -2,routine,no\n", "rows[4].items"},
		{goodCSV + "a1,1,7,3-201,Wang Fang,+86 100 0000 0001,Aspirin,routine,no\n", "rows[4].idempotency_key"},
		{goodCSV + "a4,x,7,3-201,Wang Fang,+86 100 0000 0001,Aspirin,routine,no\n", "rows[4].compound_id"},
		{goodCSV + "a5,1,7,3-201,Wang Fang,+86 100 0000 0001,Aspirin,soon,no\n", "rows[4].urgency"},
		{goodCSV + "a6,1,7\n", "rows[4]"},
		{goodCSV + "a7,1,7,3-201,Wang Fang,+86 100 0000 0001,Aspirin,routine,maybe\n", "rows[4].insurance_card"},
	}
	for _, tc := range bad {
		_, _, errs := DecodeCSV([]byte(tc.csv), "2026-12-02")
		if len(errs) == 0 || errs[0].Path() != tc.path {
			t.Errorf("%q: %v, want an error at %s", tc.csv, errs, tc.path)
		}
	}
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte(goodCSV))
	f.Add([]byte("idempotency_key;compound_id;building;flat;name;phone;items;lon;lat\nk;1;2;3;A B;12345;x x 1;104.1;30.6\n"))
	f.Add([]byte("\xef\xbb\xbfidempotency_key,compound_id\n\"unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		rs, rows, errs := DecodeCSV(data, "2026-12-02")
		if len(rs) != len(rows) {
			t.Fatalf("%d requests, %d rows", len(rs), len(rows))
		}
		if len(rs) == 0 && len(errs) == 0 {
			t.Fatal("nothing and no error")
		}
		for i := range rs {
			if err := rs[i].Validate(); err != nil {
				t.Fatalf("row %d passes but does not validate: %v", rows[i], err)
			}
		}
	})
}

func FuzzParseItems(f *testing.F) {
	for _, s := range []string{"Amlodipine x 2; Metformin x1", "a × 3|b", "x x x", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseItems(s)
		if err == nil && len(items) == 0 {
			t.Fatal("no items and no error")
		}
	})
}

// testDistrict: two compounds (squares of ~200 m), their supply points at
// the gates, two pharmacies, a health centre and a depot.
func testDistrict() *District {
	sq := func(x, y float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x, y}, {x + 0.002, y}, {x + 0.002, y + 0.002}, {x, y + 0.002}, {x, y}}}}
	}
	cs := []zones.Compound{
		{ID: 1, Name: "East", Geometry: sq(104.060, 30.660), Gates: []orb.Point{{104.060, 30.661}}},
		{ID: 2, Name: "West", Geometry: sq(104.070, 30.670), Gates: []orb.Point{{104.070, 30.671}}},
		{ID: 3, Name: "Lonely", Geometry: sq(104.080, 30.680), Gates: []orb.Point{{104.080, 30.681}}},
	}
	fs := []zones.Facility{
		{ID: 1, Kind: zones.FacilityPharmacy, Name: "Kangtai", Point: orb.Point{104.062, 30.665}, OpeningHours: "08:00-22:00"},
		{ID: 2, Kind: zones.FacilityPharmacy, Name: "Renji", Point: orb.Point{104.072, 30.675}, OpeningHours: "08:00-22:00"},
		{ID: 3, Kind: zones.FacilityHealthCentre, Name: "Centre", Point: orb.Point{104.066, 30.668}, OpeningHours: "08:30-18:00"},
		{ID: 4, Kind: zones.FacilityDepot, Name: "Depot", Point: orb.Point{104.065, 30.655}},
		{ID: 5, Kind: zones.FacilitySupplyPoint, Name: "East SP", Point: orb.Point{104.060, 30.661}, OpeningHours: "09:00-18:00", CompoundID: 1},
		{ID: 6, Kind: zones.FacilitySupplyPoint, Name: "West SP", Point: orb.Point{104.070, 30.671}, OpeningHours: "09:00-18:00", CompoundID: 2},
		{ID: 7, Kind: zones.FacilityHospital, Name: "Hospital", Point: orb.Point{104.05, 30.65}},
	}
	return NewDistrict(cs, fs)
}

func TestDistrictCheck(t *testing.T) {
	d := testDistrict()
	in := orb.Point{104.061, 30.661}
	near := orb.Point{104.0599, 30.661} // ~10 m outside the west wall
	far := orb.Point{104.07, 30.661}
	cases := []struct {
		name string
		edit func(r *Request)
		path string
		sp   int64
	}{
		{"default supply point", func(r *Request) {}, "", 5},
		{"door inside", func(r *Request) { r.BuildingPoint = &in }, "", 5},
		{"door on the wall", func(r *Request) { r.BuildingPoint = &near }, "", 5},
		{"building outside", func(r *Request) { r.BuildingPoint = &far }, "building_point", 0},
		{"unknown compound", func(r *Request) { r.CompoundID = 99 }, "compound_id", 0},
		{"no supply point", func(r *Request) { r.CompoundID = 3 }, "supply_point_id", 0},
		{"unknown supply point", func(r *Request) { r.SupplyPointID = 1 }, "supply_point_id", 0},
		{"other supply point", func(r *Request) { r.SupplyPointID = 6 }, "", 6},
		{"pharmacy", func(r *Request) { r.PharmacyID = 3 }, "", 5},
		{"not a pharmacy", func(r *Request) { r.PharmacyID = 7 }, "pharmacy_id", 0},
	}
	for _, tc := range cases {
		r := sample()
		tc.edit(&r)
		err := d.Check(&r)
		if tc.path == "" {
			if err != nil || r.SupplyPointID != tc.sp {
				t.Errorf("%s: %v, supply point %d", tc.name, err, r.SupplyPointID)
			}
			continue
		}
		var ve *zones.ValidationError
		if !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("%s: %v, want an error at %s", tc.name, err, tc.path)
		}
	}
}

func TestCut(t *testing.T) {
	d := testDistrict()
	var reqs []Request
	add := func(compound int64, u Urgency, pharmacy int64, state State) {
		r := sample()
		r.ID = int64(len(reqs) + 1)
		r.CompoundID, r.Urgency, r.PharmacyID, r.State = compound, u, pharmacy, state
		if err := d.Check(&r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	add(1, UrgencyRoutine, 0, StateReceived)
	add(1, UrgencyToday, 0, StateReceived)
	add(2, UrgencyRoutine, 0, StateReceived)
	add(1, UrgencyUrgent, 0, StateReceived)
	add(1, UrgencyRoutine, 3, StateReceived)
	add(2, UrgencyRoutine, 0, StateBatched) // already batched: left alone
	bs, err := d.Cut(reqs, "2026-12-02", "10:00", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// East->Kangtai {1,2}, East->Centre {5}, West->Renji {3}, urgent {4}
	if len(bs) != 4 {
		t.Fatalf("%d batches: %+v", len(bs), bs)
	}
	want := [][]int64{{1, 2}, {5}, {3}, {4}}
	for i, b := range bs {
		if len(b.Requests) != len(want[i]) || b.Requests[0] != want[i][0] {
			t.Errorf("batch %d: %+v, want requests %v", i, b, want[i])
		}
	}
	if bs[0].PharmacyID != 1 || bs[0].Priority != UrgencyToday.Priority() || !bs[3].Urgent || bs[3].Priority != UrgencyUrgent.Priority() {
		t.Errorf("%+v", bs)
	}
	total := 0
	for _, b := range bs {
		total += len(b.Requests)
		if err := ValidateBatch(&b); err != nil {
			t.Error(err)
		}
	}
	if total != 5 {
		t.Errorf("%d requests batched, want 5", total)
	}
}

// euclid is a straight-line matrix at 20 km/h (tests only).
func euclid(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
	tm, dm := routing.NewMatrix(len(ps), len(ps)), routing.NewMatrix(len(ps), len(ps))
	for i := range ps {
		for j := range ps {
			d := geo.Distance(ps[i], ps[j]) * 1.3
			dm.Set(i, j, d)
			tm.Set(i, j, d/(20/3.6))
		}
	}
	return tm, dm, nil
}

func TestSolveTwoLegs(t *testing.T) {
	d := testDistrict()
	var reqs []Request
	byID := map[int64]*Request{}
	for i := range 30 {
		r := sample()
		r.ID = int64(i + 1)
		r.CompoundID = int64(1 + i%2)
		r.Items = []Item{{Name: "Amlodipine", Quantity: 1 + i%4, VolumeML: 3000}}
		r.InsuranceCard = i%3 == 0
		if i == 7 {
			r.Urgency = UrgencyUrgent
			p := orb.Point{104.0705, 30.6705}
			r.BuildingPoint = &p
		}
		if i%5 == 0 {
			r.PharmacyID = 3
		}
		if err := d.Check(&r); err != nil {
			t.Fatal(err)
		}
		r.State = StateReceived
		reqs = append(reqs, r)
	}
	bs, err := d.Cut(reqs, "2026-12-02", "10:00", 4, 40000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bs {
		if bs[i].Boxes > 4 {
			t.Fatalf("batch %d: %d boxes", i, bs[i].Boxes)
		}
		bs[i].ID = int64(i + 1)
	}
	for i := range reqs {
		byID[reqs[i].ID] = &reqs[i]
	}
	vans := []Van{
		{ID: 1, Name: "van 1", Depot: d.Depot.Point, Boxes: 4, VolumeL: 40, ShiftStart: "08:00", ShiftEnd: "20:00"},
		{ID: 2, Name: "van 2", Depot: d.Depot.Point, Boxes: 4, VolumeL: 40, ShiftStart: "08:00", ShiftEnd: "20:00"},
	}
	in := &PlanInput{Date: "2026-12-02", Batches: bs, Requests: byID, District: d, Vans: vans, NotBefore: 10 * 3600, Matrix: euclid}
	pl, err := Solve(context.Background(), in, vrp.Options{Seed: 1, MaxIterations: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pl.Legs {
		if len(l.Violations) != 0 {
			t.Fatalf("leg %d: %v", l.Number, l.Violations)
		}
	}
	if len(pl.Unplanned) != 0 {
		t.Fatalf("unplanned: %v", pl.Unplanned)
	}
	// leg 2 starts at each batch's pharmacy no earlier than the lists
	// arrived plus the preparation time.
	arrive := map[int64]float64{}
	for _, r := range pl.Legs[0].Solution.Routes {
		for _, s := range r.Steps {
			if s.Kind == vrp.StepPickup && s.Start < 10*3600 {
				t.Errorf("leg 1 collects before the cut: %v", s.Start)
			}
			if s.Kind == vrp.StepDelivery {
				arrive[pl.Legs[0].Batch[s.Index]] = s.Departure
			}
		}
	}
	for _, r := range pl.Legs[1].Solution.Routes {
		for _, s := range r.Steps {
			if s.Kind != vrp.StepPickup {
				continue
			}
			b := pl.Legs[1].Batch[s.Index]
			prep := float64(DefaultPrepPharmacy)
			if batchByID(bs, b).PharmacyID == 3 {
				prep = DefaultPrepCentre
			}
			if s.Start+1e-6 < arrive[b]+prep {
				t.Errorf("batch %d loaded at %s before ready (%s + prep)", b, Clock(s.Start), Clock(arrive[b]))
			}
		}
	}
	if len(pl.Legs[1].Problem.Shipments) != len(bs) {
		t.Fatalf("leg 2 has %d shipments for %d batches", len(pl.Legs[1].Problem.Shipments), len(bs))
	}
	// the urgent batch goes to the building door
	for i, b := range pl.Legs[1].Batch {
		bb := batchByID(bs, b)
		loc := pl.Legs[1].Problem.Shipments[i].Delivery.Location
		want := d.Facilities[bb.SupplyPointID].Point
		if bb.Urgent {
			want = orb.Point{104.0705, 30.6705}
		}
		if pl.Legs[1].Meta.Points[loc] != want {
			t.Errorf("batch %d handed over at %v, want %v", b, pl.Legs[1].Meta.Points[loc], want)
		}
	}
	if pl.VansUsed == 0 || pl.DriveSec <= 0 || math.IsNaN(pl.DistanceM) {
		t.Fatalf("%+v", pl)
	}
}

func TestReconcile(t *testing.T) {
	at := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	var reqs []Request
	for i := range 4 {
		r := NewRequest(sample(), int64(i+1), at, "t")
		r.SupplyPointID = 5
		reqs = append(reqs, r)
	}
	b := Batch{ID: 1, Date: "2026-12-02", Requests: []int64{1, 2, 3}, SupplyPointID: 5, PharmacyID: 1}
	for _, id := range b.Requests {
		if _, err := reqs[id-1].Apply(Move{To: StateBatched, BatchID: 1}, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reqs[2].Apply(Move{To: StateFailed, Reason: "no stock"}, at); err != nil {
		t.Fatal(err)
	}
	rc := Reconcile("2026-12-02", reqs, []Batch{b}, testDistrict())
	if !rc.Balanced || rc.In != 4 || rc.ByState[StateBatched] != 2 || rc.ByState[StateFailed] != 1 || rc.ByState[StateReceived] != 1 || rc.Out != 1 || rc.Open != 3 {
		t.Fatalf("%+v", rc)
	}
	if !strings.Contains(rc.Requests[0].Place, "East SP") {
		t.Fatalf("place %q", rc.Requests[0].Place)
	}
	// a request claiming a batch that does not list it is a problem
	reqs[3].BatchID = 1
	rc = Reconcile("2026-12-02", reqs, []Batch{b}, nil)
	if rc.Balanced || len(rc.Problems) != 1 {
		t.Fatalf("%+v", rc.Problems)
	}
}

// TestCarry: a batch without a route gives its requests back to the queue
// (their history says why); the next cut takes them first, those of an
// earlier day too; the reconciliation of both days balances, with the
// carried requests counted on their own day and in the later day's
// batches as carried in.
func TestCarry(t *testing.T) {
	d := testDistrict()
	at := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	var reqs []Request
	for i := range 3 {
		r := NewRequest(sample(), int64(i+1), at, "t")
		r.CompoundID, r.SupplyPointID = 1, 5
		reqs = append(reqs, r)
	}
	bs, err := d.Cut(reqs, "2026-12-02", "15:00", 0, 0)
	if err != nil || len(bs) != 1 || bs[0].Priority != 0 {
		t.Fatalf("%+v %v", bs, err)
	}
	b := bs[0]
	b.ID = 7
	for _, m := range BatchMoves(&b) {
		if _, err := reqs[m.ID-1].Apply(m, at); err != nil {
			t.Fatal(err)
		}
	}
	// the driver failed request 3 before the batch was carried
	if _, err := reqs[2].Apply(Move{To: StateFailed, Reason: "moved away"}, at); err != nil {
		t.Fatal(err)
	}
	later := at.Add(time.Hour)
	for _, m := range CarryMoves(&b, "leg 1: no room") {
		ch, err := reqs[m.ID-1].Apply(m, later)
		if err != nil {
			t.Fatal(err)
		}
		if ch {
			b.Carried = append(b.Carried, m.ID)
		}
	}
	if !slices.Equal(b.Carried, []int64{1, 2}) || reqs[0].State != StateReceived || reqs[0].BatchID != 0 || reqs[0].Carried() != 1 || reqs[2].State != StateFailed {
		t.Fatalf("carried %v: %+v", b.Carried, reqs)
	}
	if h := reqs[0].History[len(reqs[0].History)-1]; !strings.Contains(h.Reason, "leg 1: no room") || !strings.Contains(h.Reason, "15:00") {
		t.Fatalf("history %+v", h)
	}
	if err := reqs[0].Stored(); err != nil {
		t.Fatal(err)
	}
	rc := Reconcile("2026-12-02", reqs, []Batch{b}, d)
	if !rc.Balanced || rc.ByState[StateReceived] != 2 || rc.Carried != 2 || rc.Requests[0].Carried != 1 || !strings.Contains(rc.Requests[0].Place, "carried") || rc.Requests[0].Reason == "" {
		t.Fatalf("%+v", rc)
	}
	// the next day's first cut takes them, first, with a new request of
	// that day; a request of the day after is left alone
	n := NewRequest(sample(), 4, later, "t")
	n.CompoundID, n.SupplyPointID, n.Date = 1, 5, "2026-12-03"
	f := NewRequest(sample(), 5, later, "t")
	f.CompoundID, f.SupplyPointID, f.Date = 1, 5, "2026-12-04"
	reqs = append(reqs, n, f)
	bs, err = d.Cut(reqs, "2026-12-03", "10:00", 0, 0)
	if err != nil || len(bs) != 1 || !slices.Equal(bs[0].Requests, []int64{1, 2, 4}) || bs[0].Priority != CarriedPriority {
		t.Fatalf("%+v %v", bs, err)
	}
	b2 := bs[0]
	b2.ID = 8
	for _, m := range BatchMoves(&b2) {
		if _, err := reqs[m.ID-1].Apply(m, later); err != nil {
			t.Fatal(err)
		}
	}
	day1 := Reconcile("2026-12-02", reqs, []Batch{b, b2}, d)
	if !day1.Balanced || day1.In != 3 || day1.ByState[StateBatched] != 2 || day1.Batches != 1 {
		t.Fatalf("day 1: %+v", day1)
	}
	day2 := Reconcile("2026-12-03", reqs, []Batch{b2}, d)
	if !day2.Balanced || day2.In != 1 || day2.CarriedIn != 2 || day2.Batches != 1 {
		t.Fatalf("day 2: %+v", day2)
	}
	// without the earlier day's requests, the later day cannot account
	// for what its batch lists
	if rc := Reconcile("2026-12-03", reqs[3:], []Batch{b2}, d); rc.Balanced || len(rc.Problems) != 2 {
		t.Fatalf("%+v", rc.Problems)
	}
}

// FuzzRequestJSON: any JSON body decodes and validates without panicking;
// a valid request survives a JSON round trip with the same fingerprint.
func FuzzRequestJSON(f *testing.F) {
	f.Add([]byte(`{"idempotency_key":"k","date":"2026-12-02","compound_id":1,"building":"3","flat":"201","name":"A B","phone":"+86 100 0000 0001","items":[{"name":"Aspirin","quantity":2}],"urgency":"routine","channel":"hotline"}`))
	f.Add([]byte(`{"items":[{"name":"x","quantity":-1,"volume_ml":99999999}],"building_point":[1e400,0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if r.Validate() != nil {
			return
		}
		b, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		var back Request
		if err := json.Unmarshal(b, &back); err != nil || back.Fingerprint() != r.Fingerprint() {
			t.Fatalf("round trip: %v %s", err, b)
		}
		_ = r.Boxes()
	})
}
