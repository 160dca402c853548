package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routelists"
	"lifeline/zones"
)

// RunRouteLists is the conformance suite of routelists.Store; open returns
// a fresh, empty store per subtest, closed by the caller's cleanup.
//   - created lists read back equal, field for field (points to the last
//     bit, optional fields nil or set), by code and by share hash;
//   - CreateRouteLists is all or nothing: a code in use (stored or twice in
//     the call) is zones.ErrConflict, an invalid list a *zones.ValidationError,
//     and neither writes any list;
//   - ListRouteLists filters by driver, owner and creation time, oldest
//     first, and honours Limit;
//   - SetStopStatus is idempotent (the first report's time stays), refuses
//     an unknown status, stop or code, and changes nothing else;
//   - ExpireRouteLists deletes exactly the lists made before the cut.
func RunRouteLists(t *testing.T, open func(t *testing.T) routelists.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s routelists.Store)
	}{
		{"RoundTrip", testRouteListRoundTrip},
		{"AllOrNothing", testRouteListAllOrNothing},
		{"Filter", testRouteListFilter},
		{"StopStatus", testRouteListStatus},
		{"Share", testRouteListShare},
		{"Expire", testRouteListExpire},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var listT0 = time.Date(2026, 11, 23, 7, 0, 0, 123456000, time.UTC)

// SampleRouteList returns a valid list numbered n (code 10000000nn), made
// n minutes after a fixed time, for driver "drv<n%2>" and owner "disp".
func SampleRouteList(n int) routelists.List {
	id1, id2 := uint64(100+n), uint64(200+n)
	dist := 1234.5 + float64(n)
	p := orb.Point{104.0712345678901 + float64(n)*1e-4, 30.6512345678901}
	return routelists.List{
		ID: fmt.Sprintf("10000000%02d", n), Vehicle: uint64(n), VehicleDescription: fmt.Sprintf("Van %d", n),
		CreatedAt: listT0.Add(time.Duration(n) * time.Minute), DurationS: 3600.25, DistanceM: &dist,
		Driver: fmt.Sprintf("drv%d", n%2), Owner: "disp",
		Stops: []routelists.Stop{
			{Seq: 1, Kind: "start", Point: &p, Arrival: 28800, Items: []int64{3, 0}, Location: 0},
			{Seq: 2, Kind: "job", ID: &id1, Name: "gate 2, Mrs Li", Point: &p, Arrival: 29400.5, Service: 120, Waiting: 30, Items: []int64{-1, 0}, Zone: "sealed", Location: 1},
			{Seq: 3, Kind: "delivery", ID: &id2, Arrival: 30000, Service: 60, Location: 2},
			{Seq: 4, Kind: "end", Arrival: 31000, Location: 0},
		},
	}
}

func sameList(t *testing.T, what string, got, want routelists.List) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs:\n got %+v\nwant %+v", what, got, want)
	}
}

func testRouteListRoundTrip(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	a, b := SampleRouteList(1), SampleRouteList(2)
	b.DistanceM, b.VehicleDescription, b.Driver, b.Stops = nil, "", "", []routelists.Stop{}
	if err := s.CreateRouteLists(ctx, []routelists.List{a, b}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []routelists.List{a, b} {
		got, err := s.GetRouteList(ctx, want.ID)
		if err != nil {
			t.Fatalf("get %s: %v", want.ID, err)
		}
		sameList(t, "list "+want.ID, got, want)
	}
	// the store keeps its own copy
	got, _ := s.GetRouteList(ctx, a.ID)
	got.Stops[1].Name = "changed"
	if again, _ := s.GetRouteList(ctx, a.ID); again.Stops[1].Name != a.Stops[1].Name {
		t.Fatal("a returned list shares memory with the store")
	}
	if _, err := s.GetRouteList(ctx, "1999999999"); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
}

func testRouteListAllOrNothing(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	if err := s.CreateRouteLists(ctx, []routelists.List{SampleRouteList(1)}); err != nil {
		t.Fatal(err)
	}
	bad := SampleRouteList(3)
	bad.Stops[2].Seq = 7
	for name, tc := range map[string]struct {
		lists []routelists.List
		val   bool
	}{
		"code in use":   {[]routelists.List{SampleRouteList(2), SampleRouteList(1)}, false},
		"code twice":    {[]routelists.List{SampleRouteList(2), SampleRouteList(2)}, false},
		"stop numbers":  {[]routelists.List{SampleRouteList(2), bad}, true},
		"bad code":      {[]routelists.List{SampleRouteList(2), {ID: "12345", CreatedAt: listT0}}, true},
		"status":        {[]routelists.List{func() routelists.List { l := SampleRouteList(2); l.Stops[0].Status = "lost"; return l }()}, true},
		"no created_at": {[]routelists.List{{ID: "1000000002"}}, true},
	} {
		err := s.CreateRouteLists(ctx, tc.lists)
		var ve *zones.ValidationError
		if tc.val && !errors.As(err, &ve) || !tc.val && !errors.Is(err, zones.ErrConflict) {
			t.Errorf("%s: err = %v", name, err)
		}
		if _, err := s.GetRouteList(ctx, "1000000002"); !errors.Is(err, zones.ErrNotFound) {
			t.Errorf("%s: list 2 was written (%v)", name, err)
		}
	}
	all, err := s.ListRouteLists(ctx, routelists.Filter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("after refused creates: %d lists, %v", len(all), err)
	}
	if err := s.CreateRouteLists(ctx, nil); err != nil {
		t.Fatalf("no lists: %v", err)
	}
}

func listIDs(ls []routelists.List) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

func testRouteListFilter(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	var ls []routelists.List
	for _, n := range []int{4, 1, 3, 2, 5} { // not in creation order
		l := SampleRouteList(n)
		if n == 5 {
			l.Owner = "other"
		}
		ls = append(ls, l)
	}
	if err := s.CreateRouteLists(ctx, ls); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    routelists.Filter
		want []string
	}{
		{routelists.Filter{}, []string{"1000000001", "1000000002", "1000000003", "1000000004", "1000000005"}},
		{routelists.Filter{Driver: "drv1"}, []string{"1000000001", "1000000003", "1000000005"}},
		{routelists.Filter{Driver: "drv0", Owner: "disp"}, []string{"1000000002", "1000000004"}},
		{routelists.Filter{Owner: "other"}, []string{"1000000005"}},
		{routelists.Filter{CreatedSince: listT0.Add(3 * time.Minute)}, []string{"1000000003", "1000000004", "1000000005"}},
		{routelists.Filter{Driver: "drv1", Limit: 2}, []string{"1000000001", "1000000003"}},
		{routelists.Filter{Driver: "nobody"}, []string{}},
	} {
		got, err := s.ListRouteLists(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if ids := listIDs(got); !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, ids, tc.want)
		}
	}
}

func testRouteListStatus(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	l := SampleRouteList(1)
	if err := s.CreateRouteLists(ctx, []routelists.List{l, SampleRouteList(2)}); err != nil {
		t.Fatal(err)
	}
	at1 := listT0.Add(time.Hour)
	got, err := s.SetStopStatus(ctx, l.ID, 2, routelists.StatusDone, "", at1)
	if err != nil {
		t.Fatal(err)
	}
	want := l.Clone()
	want.Stops[1].Status, want.Stops[1].StatusAt = routelists.StatusDone, &at1
	sameList(t, "after a report", got, want)
	// the same report again (a phone retrying) keeps the first time
	got, err = s.SetStopStatus(ctx, l.ID, 2, routelists.StatusDone, "", at1.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	sameList(t, "after a repeated report", got, want)
	if g, _ := s.GetRouteList(ctx, l.ID); !reflect.DeepEqual(g, want) {
		t.Fatalf("stored after a repeated report: %+v", g.Stops[1])
	}
	// a change of mind is recorded with its time
	at2 := at1.Add(2 * time.Minute)
	got, err = s.SetStopStatus(ctx, l.ID, 2, routelists.StatusFailed, "gate closed", at2)
	if err != nil || got.Stops[1].Status != routelists.StatusFailed || !got.Stops[1].StatusAt.Equal(at2) || got.Stops[1].Reason != "gate closed" {
		t.Fatalf("change: %v %+v", err, got.Stops[1])
	}
	if g, _ := s.GetRouteList(ctx, l.ID); g.Stops[1].Reason != "gate closed" {
		t.Fatalf("reason not kept: %+v", g.Stops[1])
	}
	if _, err := s.SetStopStatus(ctx, l.ID, 5, routelists.StatusDone, "", at2); !errors.Is(err, zones.ErrNotFound) {
		t.Errorf("stop 5 of 4: %v", err)
	}
	if _, err := s.SetStopStatus(ctx, l.ID, 0, routelists.StatusDone, "", at2); !errors.Is(err, zones.ErrNotFound) {
		t.Errorf("stop 0: %v", err)
	}
	if _, err := s.SetStopStatus(ctx, "1999999999", 1, routelists.StatusDone, "", at2); !errors.Is(err, zones.ErrNotFound) {
		t.Errorf("unknown list: %v", err)
	}
	var ve *zones.ValidationError
	if _, err := s.SetStopStatus(ctx, l.ID, 1, "lost", "", at2); !errors.As(err, &ve) {
		t.Errorf("bad status: %v", err)
	}
	other, _ := s.GetRouteList(ctx, "1000000002")
	sameList(t, "the other list", other, SampleRouteList(2))
}

func testRouteListShare(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	if err := s.CreateRouteLists(ctx, []routelists.List{SampleRouteList(1), SampleRouteList(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRouteListByShare(ctx, "abc"); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("no share yet: %v", err)
	}
	got, err := s.SetShareHash(ctx, "1000000002", "abc")
	if err != nil || got.ShareHash != "abc" {
		t.Fatalf("share: %v %q", err, got.ShareHash)
	}
	if got, err := s.GetRouteListByShare(ctx, "abc"); err != nil || got.ID != "1000000002" {
		t.Fatalf("by share: %v %s", err, got.ID)
	}
	if _, err := s.SetShareHash(ctx, "1000000002", "def"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRouteListByShare(ctx, "abc"); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("replaced share still works: %v", err)
	}
	if _, err := s.SetShareHash(ctx, "1999999999", "x"); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("share of an unknown list: %v", err)
	}
}

func testRouteListExpire(t *testing.T, s routelists.Store) {
	ctx := context.Background()
	var ls []routelists.List
	for n := 1; n <= 4; n++ {
		ls = append(ls, SampleRouteList(n))
	}
	if err := s.CreateRouteLists(ctx, ls); err != nil {
		t.Fatal(err)
	}
	n, err := s.ExpireRouteLists(ctx, listT0.Add(3*time.Minute)) // lists 1 and 2 are older
	if err != nil || n != 2 {
		t.Fatalf("expire: %d %v", n, err)
	}
	got, _ := s.ListRouteLists(ctx, routelists.Filter{})
	if ids := listIDs(got); !reflect.DeepEqual(ids, []string{"1000000003", "1000000004"}) {
		t.Fatalf("after expiry: %v", ids)
	}
	if _, err := s.GetRouteList(ctx, "1000000001"); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("expired list: %v", err)
	}
	if n, err := s.ExpireRouteLists(ctx, listT0); err != nil || n != 0 {
		t.Fatalf("expire again: %d %v", n, err)
	}
	// an expired code may be used again
	if err := s.CreateRouteLists(ctx, []routelists.List{SampleRouteList(1)}); err != nil {
		t.Fatalf("reuse an expired code: %v", err)
	}
}
