package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"lifeline/routing/deliveries"
	"lifeline/zones"
)

// RunDeliveries is the conformance suite of deliveries.Store; open returns
// a fresh, empty store per subtest, closed by the caller's cleanup.
//   - a created request reads back equal, field for field, received with
//     one history entry; invalid ones are *zones.ValidationError and write
//     nothing;
//   - an idempotency key given again with the same request returns the
//     stored one (created false) and writes nothing, with another request
//     is zones.ErrConflict, also under concurrent retries;
//   - the same resident asking for the same item on the same day is
//     flagged DuplicateOf the first request;
//   - ImportRequests is all or nothing;
//   - MoveRequests follows the state machine, keeps every change in the
//     history and is all or nothing; reports are idempotent;
//   - CreateBatches batches received requests only, all or nothing;
//     SetBatchPlan keeps the stops; the fleet is replaced whole;
//   - SetBatchPlan without stops carries the batch in one transaction: its
//     requests still batched in it go back to received with the reason in
//     their history (a failed one stays failed), Batch.Carried lists them,
//     and they can be batched again; without a reason it is a
//     *zones.ValidationError that writes nothing;
//   - a scheduled cut-off is made once per (day, cut): of concurrent
//     CreateBatches of one pair (replicas cutting at once, each with the
//     requests it saw) one succeeds and the others are ErrCutMade and
//     write nothing; cuts "now" repeat, and other days and cut-offs are
//     their own.
func RunDeliveries(t *testing.T, open func(t *testing.T) deliveries.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s deliveries.Store)
	}{
		{"RoundTrip", testDeliveryRoundTrip},
		{"Idempotent", testDeliveryIdempotent},
		{"ConcurrentRetries", testDeliveryConcurrentRetries},
		{"Duplicates", testDeliveryDuplicates},
		{"Invalid", testDeliveryInvalid},
		{"ImportAllOrNothing", testDeliveryImport},
		{"Moves", testDeliveryMoves},
		{"Batches", testDeliveryBatches},
		{"CarryUnplanned", testDeliveryCarry},
		{"CutOnce", testDeliveryCutOnce},
		{"Vans", testDeliveryVans},
		{"List", testDeliveryList},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// SampleRequest returns a valid request numbered n (key "k-<n>") of compound
// 1 + n%3, supply point 10 + n%3, for 2026-12-02.
func SampleRequest(n int) deliveries.Request {
	p := orb.Point{104.0712345678901 + float64(n)*1e-5, 30.6512345678901}
	return deliveries.Request{
		Key: fmt.Sprintf("k-%d", n), Date: "2026-12-02", CompoundID: int64(1 + n%3), Building: fmt.Sprint(1 + n%7), BuildingPoint: &p,
		Flat: fmt.Sprintf("%d-%d", 1+n%3, 100+n), Name: fmt.Sprintf("Resident %d", n), Phone: fmt.Sprintf("+86 100 0000 %04d", n),
		Items:        []deliveries.Item{{Name: "Amlodipine 5mg", Quantity: 1 + n%3}, {Name: "Insulin pen", Quantity: 1, VolumeML: 400}},
		Prescription: n%2 == 0, InsuranceCard: n%3 == 0, Urgency: deliveries.UrgencyRoutine, Caller: "daughter", Channel: deliveries.ChannelHotline,
		SupplyPointID: int64(10 + n%3),
	}
}

func mustCreateRequest(t *testing.T, s deliveries.Store, r deliveries.Request) deliveries.Request {
	t.Helper()
	out, created, err := s.CreateRequest(context.Background(), r, "hotline desk")
	if err != nil || !created {
		t.Fatalf("create %s: %v (created %v)", r.Key, err, created)
	}
	return out
}

func testDeliveryRoundTrip(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	in := SampleRequest(1)
	in.PharmacyID = 4
	got := mustCreateRequest(t, s, in)
	if got.ID <= 0 || got.State != deliveries.StateReceived || len(got.History) != 1 || got.History[0].State != deliveries.StateReceived ||
		got.History[0].By != "hotline desk" || got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.History[0].At) || got.DuplicateOf != 0 {
		t.Fatalf("created: %+v", got)
	}
	back, err := s.GetRequest(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, got) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", back, got)
	}
	want := in
	want.ID, want.State, want.History, want.CreatedAt, want.UpdatedAt = got.ID, got.State, got.History, got.CreatedAt, got.UpdatedAt
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("fields changed:\n%+v\nwant\n%+v", back, want)
	}
	if back.CreatedAt.Location().String() != "UTC" || back.CreatedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("time not UTC microseconds: %v", back.CreatedAt)
	}
	if _, err := s.GetRequest(ctx, got.ID+100); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func testDeliveryIdempotent(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	first := mustCreateRequest(t, s, SampleRequest(1))
	again, created, err := s.CreateRequest(ctx, SampleRequest(1), "hotline desk")
	if err != nil || created || !reflect.DeepEqual(again, first) {
		t.Fatalf("retry: %+v created %v err %v", again, created, err)
	}
	// the server may fill the supply point: a retry without it is the same
	r := SampleRequest(1)
	r.SupplyPointID = 0
	if _, created, err := s.CreateRequest(ctx, r, "x"); err != nil || created {
		t.Fatalf("retry without supply point: created %v err %v", created, err)
	}
	other := SampleRequest(2)
	other.Key = first.Key
	if _, _, err := s.CreateRequest(ctx, other, "x"); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("key reused for another request: %v", err)
	}
	all, err := s.ListRequests(ctx, deliveries.RequestFilter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("%d requests stored, want 1 (%v)", len(all), err)
	}
}

func testDeliveryConcurrentRetries(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]int{}
	createdN := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, created, err := s.CreateRequest(ctx, SampleRequest(5), "x")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[r.ID]++
			if created {
				createdN++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != 1 || createdN != 1 {
		t.Fatalf("16 concurrent retries: ids %v, %d created", ids, createdN)
	}
}

func testDeliveryDuplicates(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	a := mustCreateRequest(t, s, SampleRequest(1))
	dup := SampleRequest(1)
	dup.Key = "k-dup"
	dup.Items = []deliveries.Item{{Name: " amlodipine 5MG ", Quantity: 1}}
	b := mustCreateRequest(t, s, dup)
	if b.DuplicateOf != a.ID {
		t.Fatalf("duplicate of %d, want %d", b.DuplicateOf, a.ID)
	}
	other := dup
	other.Key, other.Date = "k-other-day", "2026-12-03"
	if c := mustCreateRequest(t, s, other); c.DuplicateOf != 0 {
		t.Fatalf("another day flagged as duplicate of %d", c.DuplicateOf)
	}
	// a failed request is no longer a reason to flag
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: deliveries.StateFailed, Reason: "cancelled by the resident"},
		{ID: b.ID, To: deliveries.StateFailed, Reason: "duplicate"}}); err != nil {
		t.Fatal(err)
	}
	again := dup
	again.Key = "k-again"
	if c := mustCreateRequest(t, s, again); c.DuplicateOf != 0 {
		t.Fatalf("flagged as duplicate of failed request %d", c.DuplicateOf)
	}
}

func testDeliveryInvalid(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	r := SampleRequest(1)
	r.Items[1].Quantity = -1
	_, _, err := s.CreateRequest(ctx, r, "x")
	var ve *zones.ValidationError
	if !errors.As(err, &ve) || ve.Path != "items[1].quantity" {
		t.Fatalf("negative quantity: %v", err)
	}
	if all, _ := s.ListRequests(ctx, deliveries.RequestFilter{}); len(all) != 0 {
		t.Fatalf("an invalid request was written")
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: 99, To: deliveries.StateCollected}}); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("move of an unknown request: %v", err)
	}
	if _, err := s.SetBatchPlan(ctx, 99, nil, ""); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("plan of an unknown batch: %v", err)
	}
}

func testDeliveryImport(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	existing := mustCreateRequest(t, s, SampleRequest(1))
	bad := []deliveries.Request{SampleRequest(2), SampleRequest(3)}
	bad[1].Phone = "nope"
	_, _, err := s.ImportRequests(ctx, bad, "file")
	var ve *zones.ValidationError
	if !errors.As(err, &ve) || ve.Path != "[1].phone" {
		t.Fatalf("bad row: %v", err)
	}
	rep := []deliveries.Request{SampleRequest(2), SampleRequest(2)}
	if _, _, err := s.ImportRequests(ctx, rep, "file"); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("repeated key: %v", err)
	}
	if all, _ := s.ListRequests(ctx, deliveries.RequestFilter{}); len(all) != 1 {
		t.Fatalf("a failed import wrote %d requests", len(all)-1)
	}
	out, created, err := s.ImportRequests(ctx, []deliveries.Request{SampleRequest(2), SampleRequest(1), SampleRequest(3)}, "file")
	if err != nil || len(out) != 3 || !created[0] || created[1] || !created[2] || out[1].ID != existing.ID || out[0].ID == out[2].ID {
		t.Fatalf("import: %+v %v %v", out, created, err)
	}
	if all, _ := s.ListRequests(ctx, deliveries.RequestFilter{}); len(all) != 3 {
		t.Fatalf("%d stored, want 3", len(all))
	}
}

func testDeliveryMoves(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	a := mustCreateRequest(t, s, SampleRequest(1))
	b := mustCreateRequest(t, s, SampleRequest(2))
	bs, err := s.CreateBatches(ctx, []deliveries.Batch{{Date: "2026-12-02", Cut: "10:00", SupplyPointID: 10, PharmacyID: 4, Requests: []int64{a.ID, b.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	// one illegal move: nothing changes
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: deliveries.StateCollected}, {ID: b.ID, To: deliveries.StateDelivered}}); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("skipping states: %v", err)
	}
	got, _ := s.GetRequest(ctx, a.ID)
	if got.State != deliveries.StateBatched || got.BatchID != bs[0].ID || len(got.History) != 2 {
		t.Fatalf("after a refused move: %+v", got)
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: deliveries.StateFailed}}); err == nil {
		t.Fatal("failure without a reason accepted")
	}
	for _, st := range []deliveries.State{deliveries.StateCollected, deliveries.StateAtPharmacy, deliveries.StateOnTheWayBack} {
		out, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: st, By: "driver report", Report: true}, {ID: b.ID, To: st, Report: true}})
		if err != nil || out[0].State != st || out[1].State != st {
			t.Fatalf("to %s: %+v %v", st, out, err)
		}
	}
	// a late, retried report changes nothing
	out, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: deliveries.StateCollected, Report: true}})
	if err != nil || out[0].State != deliveries.StateOnTheWayBack || len(out[0].History) != 5 {
		t.Fatalf("late report: %+v %v", out, err)
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: b.ID, To: deliveries.StateFailed, Reason: "medicine out of stock", By: "driver report"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRequest(ctx, b.ID)
	last := got.History[len(got.History)-1]
	if got.State != deliveries.StateFailed || got.Reason != "medicine out of stock" || last.Reason != "medicine out of stock" || last.By != "driver report" {
		t.Fatalf("failed: %+v", got)
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: b.ID, To: deliveries.StateAtSupplyPoint}}); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("leaving failed: %v", err)
	}
	for _, st := range []deliveries.State{deliveries.StateAtSupplyPoint, deliveries.StateDelivered} {
		if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: a.ID, To: st}}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = s.GetRequest(ctx, a.ID)
	want := []deliveries.State{"received", "batched", "collected", "at_pharmacy", "on_the_way_back", "at_supply_point", "delivered"}
	if len(got.History) != len(want) {
		t.Fatalf("history %+v", got.History)
	}
	for i, h := range got.History {
		if h.State != want[i] || (i > 0 && h.At.Before(got.History[i-1].At)) {
			t.Fatalf("history %+v", got.History)
		}
	}
	if err := got.Stored(); err != nil {
		t.Fatal(err)
	}
}

func testDeliveryBatches(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	var ids []int64
	for i := 1; i <= 4; i++ {
		ids = append(ids, mustCreateRequest(t, s, SampleRequest(i)).ID)
	}
	mk := func(reqs ...int64) deliveries.Batch {
		return deliveries.Batch{Date: "2026-12-02", Cut: "10:00", SupplyPointID: 10, PharmacyID: 4, Requests: reqs, Boxes: len(reqs), Priority: 10}
	}
	bs, err := s.CreateBatches(ctx, []deliveries.Batch{mk(ids[0], ids[1]), mk(ids[2])})
	if err != nil || len(bs) != 2 || bs[0].ID <= 0 || bs[1].ID <= bs[0].ID || bs[0].CreatedAt.IsZero() {
		t.Fatalf("%+v %v", bs, err)
	}
	now := func(reqs ...int64) deliveries.Batch { b := mk(reqs...); b.Cut = deliveries.CutNow; return b }
	// a request already batched: nothing written
	if _, err := s.CreateBatches(ctx, []deliveries.Batch{now(ids[3]), now(ids[0])}); !errors.Is(err, zones.ErrConflict) || errors.Is(err, deliveries.ErrCutMade) {
		t.Fatalf("batching a batched request: %v", err)
	}
	r4, _ := s.GetRequest(ctx, ids[3])
	if r4.State != deliveries.StateReceived {
		t.Fatalf("a refused batch moved request %d", r4.ID)
	}
	if _, err := s.CreateBatches(ctx, []deliveries.Batch{now()}); err == nil {
		t.Fatal("empty batch accepted")
	}
	if _, err := s.CreateBatches(ctx, []deliveries.Batch{now(999)}); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	stops := []deliveries.StopRef{{List: "1234567890", Seq: 2, Leg: 1, Event: deliveries.StateCollected, Van: 3, Arrival: 36000},
		{List: "1234567890", Seq: 5, Leg: 1, Event: deliveries.StateAtPharmacy, Van: 3, Arrival: 37000.5}}
	b, err := s.SetBatchPlan(ctx, bs[0].ID, stops, "leg 2: no room")
	if err != nil || !reflect.DeepEqual(b.Stops, stops) || b.Unplanned != "leg 2: no room" {
		t.Fatalf("plan: %+v %v", b, err)
	}
	back, err := s.GetBatch(ctx, bs[0].ID)
	if err != nil || !reflect.DeepEqual(back, b) {
		t.Fatalf("read back %+v %v, want %+v", back, err, b)
	}
	list, err := s.ListBatches(ctx, "2026-12-02")
	if err != nil || len(list) != 2 || list[0].ID != bs[0].ID || !reflect.DeepEqual(list[1].Requests, []int64{ids[2]}) {
		t.Fatalf("list %+v %v", list, err)
	}
	if list, _ := s.ListBatches(ctx, "2026-12-03"); len(list) != 0 {
		t.Fatalf("other day: %+v", list)
	}
	in1, _ := s.ListRequests(ctx, deliveries.RequestFilter{BatchID: bs[0].ID})
	if len(in1) != 2 || in1[0].State != deliveries.StateBatched || in1[0].History[1].By != "cut-off 10:00" {
		t.Fatalf("batched requests %+v", in1)
	}
}

func testDeliveryVans(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	if vs, err := s.ListVans(ctx); err != nil || len(vs) != 0 {
		t.Fatalf("empty fleet: %v %v", vs, err)
	}
	vans := []deliveries.Van{
		{ID: 2, Name: "van B", Depot: orb.Point{104.07, 30.66}, Boxes: 30, VolumeL: 400, ShiftStart: "08:00", ShiftEnd: "18:00"},
		{ID: 1, Name: "van A", Depot: orb.Point{104.0712345678901, 30.66}, Boxes: 20, VolumeL: 300, ShiftStart: "07:30", ShiftEnd: "24:00", Driver: "demo-driver"},
	}
	if _, err := s.SetVans(ctx, vans); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListVans(ctx)
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], vans[1]) || !reflect.DeepEqual(got[1], vans[0]) {
		t.Fatalf("%+v %v", got, err)
	}
	bad := []deliveries.Van{vans[0], vans[0]}
	if _, err := s.SetVans(ctx, bad); err == nil {
		t.Fatal("repeated id accepted")
	}
	if _, err := s.SetVans(ctx, vans[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListVans(ctx); len(got) != 1 || got[0].ID != 2 {
		t.Fatalf("replaced fleet %+v", got)
	}
}

func testDeliveryList(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	var all []deliveries.Request
	for i := 1; i <= 6; i++ {
		r := SampleRequest(i)
		if i > 4 {
			r.Date = "2026-12-03"
		}
		all = append(all, mustCreateRequest(t, s, r))
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: all[1].ID, To: deliveries.StateFailed, Reason: "moved away"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		f    deliveries.RequestFilter
		want []int
	}{
		{deliveries.RequestFilter{}, []int{0, 1, 2, 3, 4, 5}},
		{deliveries.RequestFilter{Date: "2026-12-02"}, []int{0, 1, 2, 3}},
		{deliveries.RequestFilter{Date: "2026-12-02", State: deliveries.StateReceived}, []int{0, 2, 3}},
		{deliveries.RequestFilter{SupplyPointID: 11}, []int{0, 3}},
		{deliveries.RequestFilter{Limit: 2, Offset: 1}, []int{1, 2}},
	}
	for _, tc := range cases {
		got, err := s.ListRequests(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%+v: %d requests, want %d", tc.f, len(got), len(tc.want))
			continue
		}
		for i, k := range tc.want {
			if got[i].ID != all[k].ID {
				t.Errorf("%+v: [%d] = %d, want %d", tc.f, i, got[i].ID, all[k].ID)
			}
		}
	}
}

func testDeliveryCarry(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	var ids []int64
	for i := 1; i <= 3; i++ {
		ids = append(ids, mustCreateRequest(t, s, SampleRequest(i)).ID)
	}
	bs, err := s.CreateBatches(ctx, []deliveries.Batch{{Date: "2026-12-02", Cut: "10:00", SupplyPointID: 10, PharmacyID: 4, Requests: ids, Boxes: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: ids[2], To: deliveries.StateFailed, Reason: "moved away"}}); err != nil {
		t.Fatal(err)
	}
	var ve *zones.ValidationError
	if _, err := s.SetBatchPlan(ctx, bs[0].ID, nil, " "); !errors.As(err, &ve) || ve.Path != "unplanned" {
		t.Fatalf("carry without a reason: %v", err)
	}
	if r, _ := s.GetRequest(ctx, ids[0]); r.State != deliveries.StateBatched {
		t.Fatalf("a refused carry moved request %d to %s", r.ID, r.State)
	}
	b, err := s.SetBatchPlan(ctx, bs[0].ID, nil, "leg 1: no room")
	if err != nil || !reflect.DeepEqual(b.Carried, ids[:2]) || b.Unplanned != "leg 1: no room" || len(b.Requests) != 3 {
		t.Fatalf("carry: %+v %v", b, err)
	}
	if back, err := s.GetBatch(ctx, b.ID); err != nil || !reflect.DeepEqual(back, b) {
		t.Fatalf("read back %+v %v, want %+v", back, err, b)
	}
	for i, id := range ids {
		r, err := s.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := deliveries.StateReceived
		if i == 2 {
			want = deliveries.StateFailed
		}
		last := r.History[len(r.History)-1]
		if r.State != want || (i < 2 && (r.BatchID != 0 || r.Carried() != 1 || last.State != deliveries.StateReceived || last.By != "cut-off 10:00" ||
			!strings.Contains(last.Reason, "leg 1: no room"))) {
			t.Fatalf("request %d after the carry: %+v", id, r)
		}
		if err := r.Stored(); err != nil {
			t.Fatal(err)
		}
	}
	// carrying again changes no request; the carried ones batch again
	if b2, err := s.SetBatchPlan(ctx, b.ID, nil, "still no room"); err != nil || !reflect.DeepEqual(b2.Carried, ids[:2]) {
		t.Fatalf("carry again: %+v %v", b2, err)
	}
	if r, _ := s.GetRequest(ctx, ids[0]); len(r.History) != 3 {
		t.Fatalf("history grew: %+v", r.History)
	}
	nb, err := s.CreateBatches(ctx, []deliveries.Batch{{Date: "2026-12-02", Cut: "15:00", SupplyPointID: 10, PharmacyID: 4, Requests: ids[:2], Boxes: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := s.ListRequests(ctx, deliveries.RequestFilter{BatchID: nb[0].ID}); len(in) != 2 || in[0].State != deliveries.StateBatched {
		t.Fatalf("batched again: %+v", in)
	}
}

func testDeliveryCutOnce(t *testing.T, s deliveries.Store) {
	ctx := context.Background()
	var ids []int64
	for i := 1; i <= 8; i++ {
		ids = append(ids, mustCreateRequest(t, s, SampleRequest(i)).ID)
	}
	mk := func(cut string, reqs ...int64) deliveries.Batch {
		return deliveries.Batch{Date: "2026-12-02", Cut: cut, SupplyPointID: 10, PharmacyID: 4, Requests: reqs, Boxes: len(reqs)}
	}
	// four replicas cut 10:00 at once, each with other requests
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k] = s.CreateBatches(ctx, []deliveries.Batch{mk("10:00", ids[k])})
		}()
	}
	wg.Wait()
	won := 0
	for k, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, deliveries.ErrCutMade) || !errors.Is(err, zones.ErrConflict):
			t.Fatalf("replica %d: %v, want ErrCutMade", k, err)
		}
	}
	list, err := s.ListBatches(ctx, "2026-12-02")
	if err != nil || won != 1 || len(list) != 1 {
		t.Fatalf("%d cuts made, %d batches (%v)", won, len(list), err)
	}
	received, _ := s.ListRequests(ctx, deliveries.RequestFilter{State: deliveries.StateReceived})
	if len(received) != 7 {
		t.Fatalf("%d requests still received, want 7: a refused cut wrote", len(received))
	}
	// the same cut-off again, later: refused; with a batch of another pair
	// in the same call: all refused
	if _, err := s.CreateBatches(ctx, []deliveries.Batch{mk("15:00", ids[5]), mk("10:00", ids[6])}); !errors.Is(err, deliveries.ErrCutMade) {
		t.Fatalf("10:00 again: %v", err)
	}
	if r, _ := s.GetRequest(ctx, ids[5]); r.State != deliveries.StateReceived {
		t.Fatalf("a refused cut batched request %d", r.ID)
	}
	// cuts by hand repeat; other cut-offs and days are their own
	for _, b := range []deliveries.Batch{mk(deliveries.CutNow, ids[4]), mk(deliveries.CutNow, ids[5]), mk("15:00", ids[6])} {
		if _, err := s.CreateBatches(ctx, []deliveries.Batch{b}); err != nil {
			t.Fatalf("%s: %v", b.Cut, err)
		}
	}
	r := SampleRequest(9)
	r.Date = "2026-12-03"
	n := mustCreateRequest(t, s, r)
	b := mk("10:00", n.ID)
	b.Date = "2026-12-03"
	if _, err := s.CreateBatches(ctx, []deliveries.Batch{b}); err != nil {
		t.Fatalf("10:00 of the next day: %v", err)
	}
}
