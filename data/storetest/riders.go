package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// RunRiders is the conformance suite of shuttles.RiderStore; open returns a
// fresh, empty store per subtest, closed by the caller's cleanup.
//   - a created rider reads back equal, field for field (sessions, point to
//     the last bit, dates), with an id, timestamps and Archived false;
//   - invalid riders are *zones.ValidationError with the rider's path and
//     write nothing; a pseudonym in use is zones.ErrConflict;
//   - List filters by category, compound, facility and search text (case
//     insensitive over pseudonym, name, phone and label), pages with
//     Limit/Offset by ascending id and hides archived riders unless asked;
//   - Update replaces the fields but keeps CreatedAt; Archive is idempotent;
//   - ImportRiders is all or nothing (a bad or duplicate rider anywhere
//     writes none).
func RunRiders(t *testing.T, open func(t *testing.T) shuttles.RiderStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s shuttles.RiderStore)
	}{
		{"RoundTrip", testRiderRoundTrip},
		{"Invalid", testRiderInvalid},
		{"List", testRiderList},
		{"UpdateArchive", testRiderUpdateArchive},
		{"ImportAllOrNothing", testRiderImport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// SampleRider returns a valid rider numbered n (pseudonym "T-<n>").
func SampleRider(n int) shuttles.Rider {
	r := shuttles.Rider{
		Pseudonym:  fmt.Sprintf("T-%03d", n),
		Name:       fmt.Sprintf("Test Rider %d", n),
		Phone:      fmt.Sprintf("+86 100 0000 %04d", n),
		CompoundID: int64(1 + n%3),
		Boarding:   shuttles.Boarding{Point: orb.Point{104.0712345678901 + float64(n)*1e-4, 30.6512345678901}, Label: fmt.Sprintf("gate %d", n), Kind: shuttles.BoardingGate},
		Category:   shuttles.CategoryDialysis,
		HealthCode: shuttles.HealthCode{Colour: zones.CodeGreen, SetOn: "2026-11-30"},
		Mobility:   shuttles.Mobility{Wheelchair: n%2 == 0, Companions: n % 3},
		FacilityID: 3,
		Sessions: []shuttles.Session{
			{Weekdays: []string{"mon", "wed", "fri"}, Start: "07:30", DurationMin: 240},
			{Weekdays: []string{"sat"}, Start: "13:00", DurationMin: 180},
		},
	}
	if n%4 == 1 {
		r.Category, r.Sessions, r.DueDate, r.FacilityID = shuttles.CategoryPrenatal, nil, "2027-02-14", 2
		r.Boarding.Kind = shuttles.BoardingBuilding
		r.HealthCode.Colour = zones.CodeRed
	}
	return r
}

func sameRider(t *testing.T, got, want shuttles.Rider) {
	t.Helper()
	want.ID, want.CreatedAt, want.UpdatedAt, want.Archived = got.ID, got.CreatedAt, got.UpdatedAt, got.Archived
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rider differs:\n got %+v\nwant %+v", got, want)
	}
}

func testRiderRoundTrip(t *testing.T, s shuttles.RiderStore) {
	ctx := context.Background()
	for n := 1; n <= 2; n++ {
		in := SampleRider(n)
		got, err := s.CreateRider(ctx, in)
		if err != nil {
			t.Fatalf("create %d: %v", n, err)
		}
		if got.ID <= 0 || got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) || got.Archived {
			t.Fatalf("id/times/archived: %+v", got)
		}
		sameRider(t, got, in)
		back, err := s.GetRider(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, got) {
			t.Fatalf("get differs from create:\n got %+v\nwant %+v", back, got)
		}
	}
	if _, err := s.GetRider(ctx, 9999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	dup := SampleRider(3)
	dup.Pseudonym = "T-001"
	if _, err := s.CreateRider(ctx, dup); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("duplicate pseudonym: %v", err)
	}
}

func testRiderInvalid(t *testing.T, s shuttles.RiderStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		edit func(r *shuttles.Rider)
		path string
	}{
		{func(r *shuttles.Rider) { r.Sessions[1].Start = "25:00" }, "sessions[1].start"},
		{func(r *shuttles.Rider) { r.Category = "surgery" }, "category"},
		{func(r *shuttles.Rider) { r.Name = "" }, "name"},
	} {
		r := SampleRider(2)
		tc.edit(&r)
		_, err := s.CreateRider(ctx, r)
		var ve *zones.ValidationError
		if !errors.As(err, &ve) || ve.Path != tc.path {
			t.Fatalf("want validation error at %s, got %v", tc.path, err)
		}
	}
	if rs, err := s.ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true}); err != nil || len(rs) != 0 {
		t.Fatalf("invalid riders were written: %d %v", len(rs), err)
	}
}

func riderIDs(rs []shuttles.Rider) []int64 {
	out := []int64{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func testRiderList(t *testing.T, s shuttles.RiderStore) {
	ctx := context.Background()
	var in []shuttles.Rider
	for n := 1; n <= 8; n++ {
		in = append(in, SampleRider(n))
	}
	in[5].Name = "Zhang WEI"
	rs, err := s.ImportRiders(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ArchiveRider(ctx, rs[7].ID); err != nil {
		t.Fatal(err)
	}
	// The oracle: the shared Matches over everything stored.
	all := append([]shuttles.Rider(nil), rs...)
	all[7].Archived = true
	for _, f := range []shuttles.RiderFilter{
		{},
		{IncludeArchived: true},
		{Category: shuttles.CategoryPrenatal},
		{Category: shuttles.CategoryDialysis, CompoundID: 1},
		{FacilityID: 2},
		{Search: "zhang wei"},
		{Search: "t-00"},
		{Search: "0004"},
		{Search: "GATE 3"},
		{Search: "%"},
		{Search: "_"},
		{Limit: 3, Offset: 2},
		{Limit: 2, Category: shuttles.CategoryDialysis},
		{Offset: 100},
	} {
		var want []int64
		skip := f.Offset
		for i := range all {
			if !f.Matches(&all[i]) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if f.Limit > 0 && len(want) == f.Limit {
				break
			}
			want = append(want, all[i].ID)
		}
		if want == nil {
			want = []int64{}
		}
		got, err := s.ListRiders(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(riderIDs(got), want) {
			t.Errorf("filter %+v: ids %v, want %v", f, riderIDs(got), want)
		}
	}
	if got, _ := s.ListRiders(ctx, shuttles.RiderFilter{Search: "zhang"}); len(got) != 1 {
		t.Fatalf("search by name found %d", len(got))
	}
}

func testRiderUpdateArchive(t *testing.T, s shuttles.RiderStore) {
	ctx := context.Background()
	a, err := s.CreateRider(ctx, SampleRider(2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateRider(ctx, SampleRider(3))
	if err != nil {
		t.Fatal(err)
	}
	upd := SampleRider(5) // prenatal now
	upd.ID = a.ID
	upd.Pseudonym = "P-100"
	got, err := s.UpdateRider(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	sameRider(t, got, upd)
	if !got.CreatedAt.Equal(a.CreatedAt) || got.UpdatedAt.Before(a.UpdatedAt) {
		t.Fatalf("times: %v %v (created %v)", got.CreatedAt, got.UpdatedAt, a.CreatedAt)
	}
	if back, _ := s.GetRider(ctx, a.ID); !reflect.DeepEqual(back, got) {
		t.Fatalf("get after update:\n got %+v\nwant %+v", back, got)
	}
	// The old pseudonym is free again; taking b's is a conflict.
	upd.Pseudonym = b.Pseudonym
	if _, err := s.UpdateRider(ctx, upd); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("update to a taken pseudonym: %v", err)
	}
	c := SampleRider(2)
	if _, err := s.CreateRider(ctx, c); err != nil {
		t.Fatalf("reuse of a freed pseudonym: %v", err)
	}
	upd.ID = 9999
	upd.Pseudonym = "P-101"
	if _, err := s.UpdateRider(ctx, upd); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	bad := got
	bad.Mobility.Companions = 9
	var ve *zones.ValidationError
	if _, err := s.UpdateRider(ctx, bad); !errors.As(err, &ve) || ve.Path != "mobility.companions" {
		t.Fatalf("invalid update: %v", err)
	}
	arch, err := s.ArchiveRider(ctx, b.ID)
	if err != nil || !arch.Archived {
		t.Fatalf("archive: %+v %v", arch, err)
	}
	again, err := s.ArchiveRider(ctx, b.ID)
	if err != nil || !reflect.DeepEqual(again, arch) {
		t.Fatalf("archive twice: %+v %v", again, err)
	}
	if _, err := s.ArchiveRider(ctx, 9999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("archive unknown: %v", err)
	}
	// An update keeps the rider archived; the pseudonym stays taken.
	upd2 := SampleRider(3)
	upd2.ID = b.ID
	upd2.Name = "Renamed"
	if got, err := s.UpdateRider(ctx, upd2); err != nil || !got.Archived {
		t.Fatalf("update archived: %+v %v", got, err)
	}
	if _, err := s.CreateRider(ctx, SampleRider(3)); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("pseudonym of an archived rider: %v", err)
	}
}

func testRiderImport(t *testing.T, s shuttles.RiderStore) {
	ctx := context.Background()
	if _, err := s.CreateRider(ctx, SampleRider(1)); err != nil {
		t.Fatal(err)
	}
	batch := []shuttles.Rider{SampleRider(2), SampleRider(3), SampleRider(4)}
	bad := append([]shuttles.Rider(nil), batch...)
	bad[2].Sessions = []shuttles.Session{{Weekdays: []string{"mon"}, Start: "25:00", DurationMin: 60}}
	var ve *zones.ValidationError
	if _, err := s.ImportRiders(ctx, bad); !errors.As(err, &ve) || ve.Path != "[2].sessions[0].start" {
		t.Fatalf("bad rider: %v", err)
	}
	dupStored := append([]shuttles.Rider(nil), batch...)
	dupStored[1] = SampleRider(1)
	if _, err := s.ImportRiders(ctx, dupStored); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("pseudonym already stored: %v", err)
	}
	dupBatch := append([]shuttles.Rider(nil), batch...)
	dupBatch[2].Pseudonym = dupBatch[0].Pseudonym
	if _, err := s.ImportRiders(ctx, dupBatch); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("pseudonym twice in batch: %v", err)
	}
	if rs, _ := s.ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true}); len(rs) != 1 {
		t.Fatalf("failed imports wrote %d riders", len(rs)-1)
	}
	got, err := s.ImportRiders(ctx, batch)
	if err != nil || len(got) != 3 {
		t.Fatalf("import: %d %v", len(got), err)
	}
	for i := range got {
		sameRider(t, got[i], batch[i])
		if i > 0 && got[i].ID <= got[i-1].ID {
			t.Fatal("ids not ascending in input order")
		}
	}
	if got, err := s.ImportRiders(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("empty import: %v %v", got, err)
	}
}
