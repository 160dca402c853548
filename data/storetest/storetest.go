// Package storetest is the conformance suite that every zones.Store
// implementation must pass (data/memstore, data/postgis):
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) zones.Store { return open a fresh, empty store })
//	}
//
// open is called once per subtest and must return an empty store; Run closes
// it at the end of the subtest. The suite pins down the semantics both stores
// share:
//   - times are kept to the microsecond (compare with Equal); inputs here are
//     whole microseconds;
//   - CreateZone ignores ID, CreatedAt and UpdatedAt; a zero EffectiveFrom
//     becomes the creation time; IDs are positive and increase;
//   - lists are in ascending ID order and never nil;
//   - BBox filters use exact geometry intersection, touching counts;
//   - UpdateZone adds a version (zones.PlanUpdate) in force from its
//     EffectiveFrom (zero: now), which must be after the current version's;
//     the previous version ends there; ID and CreatedAt are kept; every
//     answer for a time before the update stays the same; an update after
//     a lift is ErrConflict; ZoneHistory lists the versions oldest first;
//   - LiftZone(id, at): at <= EffectiveFrom of the last version ->
//     *ValidationError; already lifted before at -> ErrConflict; same time
//     -> no-op; earlier -> moves the lift earlier;
//   - ImportZones matches by external key, else id: equal content is left
//     alone, other content becomes a new version, the rest is created; an
//     import of what the store holds changes nothing; all or nothing;
//   - Lookup: active at t (from <= t < until), the version in force at t,
//     boundary inside, strictest first then ascending ID;
//   - names, reasons and keys with control characters (NUL included) and
//     times outside [2000, 2100) are *ValidationError in both stores;
//   - polygons of a multipolygon may touch at points only (OGC validity);
//   - geometries round-trip exactly when shells are counter-clockwise and
//     holes clockwise (RFC 7946 order);
//   - the change stream (zones.ChangeFeed) lists each version written, once,
//     with its current value, in the order of its last change;
//   - validation errors are *zones.ValidationError and leave the store
//     unchanged; unknown ids give errors.Is(err, zones.ErrNotFound).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// T0 is the reference time of the suite (whole microseconds, UTC).
var T0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// Run runs the conformance suite; open returns a fresh empty store per subtest.
func Run(t *testing.T, open func(t *testing.T) zones.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s zones.Store)
	}{
		{"CreateGetZone", testCreateGetZone},
		{"ZoneValidation", testZoneValidation},
		{"CreateZonesAllOrNothing", testCreateZonesAllOrNothing},
		{"ListZonesFilters", testListZonesFilters},
		{"UpdateZone", testUpdateZone},
		{"UpdateKeepsThePast", testUpdateKeepsThePast},
		{"LiftZone", testLiftZone},
		{"ImportZones", testImportZones},
		{"ImportAllOrNothing", testImportAllOrNothing},
		{"LookupStrictestFirst", testLookupStrictestFirst},
		{"LookupBoundaryAndHoles", testLookupBoundaryAndHoles},
		{"LookupTimes", testLookupTimes},
		{"LookupBatch", testLookupBatch},
		{"Compounds", testCompounds},
		{"Facilities", testFacilities},
		{"Ping", testPing},
		{"ChangeFeed", testChangeFeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// ----- helpers -----

// Rect returns a counter-clockwise rectangle [lon, lat] as a multipolygon.
func Rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{rectRing(x0, y0, x1, y1)}}
}

func rectRing(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func rectHole(x0, y0, x1, y1 float64) orb.Ring { // clockwise
	return orb.Ring{{x0, y0}, {x0, y1}, {x1, y1}, {x1, y0}, {x0, y0}}
}

func ptr(t time.Time) *time.Time { return &t }

func zone(kind zones.Kind, name string, g orb.MultiPolygon) zones.Zone {
	return zones.Zone{Kind: kind, Name: name, Geometry: g, EffectiveFrom: T0, Reason: "test"}
}

func mustCreate(t *testing.T, s zones.Store, z zones.Zone) zones.Zone {
	t.Helper()
	out, err := s.CreateZone(context.Background(), z)
	if err != nil {
		t.Fatalf("CreateZone(%q): %v", z.Name, err)
	}
	return out
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// checkZone compares the editable fields of got and want.
func checkZone(t *testing.T, what string, got, want zones.Zone) {
	t.Helper()
	if got.Kind != want.Kind || got.Name != want.Name || got.Reason != want.Reason {
		t.Errorf("%s: got kind/name/reason %q/%q/%q, want %q/%q/%q", what, got.Kind, got.Name, got.Reason, want.Kind, want.Name, want.Reason)
	}
	if !got.EffectiveFrom.Equal(want.EffectiveFrom) {
		t.Errorf("%s: EffectiveFrom = %v, want %v", what, got.EffectiveFrom, want.EffectiveFrom)
	}
	if !sameTimePtr(got.EffectiveUntil, want.EffectiveUntil) {
		t.Errorf("%s: EffectiveUntil = %v, want %v", what, got.EffectiveUntil, want.EffectiveUntil)
	}
	if !orb.Equal(got.Geometry, want.Geometry) {
		t.Errorf("%s: geometry = %v, want %v", what, got.Geometry, want.Geometry)
	}
}

func ids(zs []zones.Zone) []int64 {
	out := make([]int64, len(zs))
	for i, z := range zs {
		out[i] = z.ID
	}
	return out
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantValidation(t *testing.T, what string, err error) {
	t.Helper()
	var ve *zones.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: err = %v, want *zones.ValidationError", what, err)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, zones.ErrNotFound) {
		t.Errorf("%s: err = %v, want zones.ErrNotFound", what, err)
	}
}

func listAll(t *testing.T, s zones.Store) []zones.Zone {
	t.Helper()
	zs, err := s.ListZones(context.Background(), zones.ZoneFilter{})
	if err != nil {
		t.Fatalf("ListZones: %v", err)
	}
	return zs
}

func lookupIDs(t *testing.T, s zones.Store, p orb.Point, at time.Time) []int64 {
	t.Helper()
	zs, err := s.Lookup(context.Background(), p, at)
	if err != nil {
		t.Fatalf("Lookup(%v, %v): %v", p, at, err)
	}
	return ids(zs)
}

// ----- zones -----

func testCreateGetZone(t *testing.T, s zones.Store) {
	ctx := context.Background()
	in := zone(zones.KindControlled, "Block 7", Rect(104.00, 30.60, 104.01, 30.61))
	in.ID = 999 // ignored
	in.EffectiveUntil = ptr(T0.Add(72 * time.Hour))
	in.Geometry[0] = append(in.Geometry[0], rectHole(104.004, 30.604, 104.006, 30.606))
	got, err := s.CreateZone(ctx, in)
	if err != nil {
		t.Fatalf("CreateZone: %v", err)
	}
	if got.ID <= 0 {
		t.Errorf("ID = %d, want > 0", got.ID)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("CreatedAt %v, UpdatedAt %v", got.CreatedAt, got.UpdatedAt)
	}
	checkZone(t, "created", got, in)
	back, err := s.GetZone(ctx, got.ID)
	if err != nil {
		t.Fatalf("GetZone: %v", err)
	}
	checkZone(t, "fetched", back, in)
	if back.ID != got.ID || !back.CreatedAt.Equal(got.CreatedAt) || !back.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("fetched id/times %d %v %v, created %d %v %v", back.ID, back.CreatedAt, back.UpdatedAt, got.ID, got.CreatedAt, got.UpdatedAt)
	}
	// Returned values are copies: modifying them does not change the store.
	back.Geometry[0][0][1] = orb.Point{0, 0}
	again, _ := s.GetZone(ctx, got.ID)
	checkZone(t, "after modifying a returned copy", again, in)

	second := mustCreate(t, s, zone(zones.KindSealed, "Block 8", Rect(104.02, 30.60, 104.03, 30.61)))
	if second.ID <= got.ID {
		t.Errorf("second ID %d not after first %d", second.ID, got.ID)
	}
	_, err = s.GetZone(ctx, second.ID+1000)
	wantNotFound(t, "GetZone(unknown)", err)

	// A zero EffectiveFrom becomes the creation time.
	before := time.Now().Add(-time.Minute)
	nz := zone(zones.KindPrevention, "now", Rect(104.04, 30.60, 104.05, 30.61))
	nz.EffectiveFrom = time.Time{}
	created := mustCreate(t, s, nz)
	if created.EffectiveFrom.Before(before) || created.EffectiveFrom.After(time.Now().Add(time.Minute)) {
		t.Errorf("zero EffectiveFrom became %v, want about now", created.EffectiveFrom)
	}
}

func testZoneValidation(t *testing.T, s zones.Store) {
	ctx := context.Background()
	good := zone(zones.KindSealed, "ok", Rect(104.00, 30.60, 104.01, 30.61))
	existing := mustCreate(t, s, good)
	cases := []struct {
		name string
		mod  func(z *zones.Zone)
	}{
		{"unknown kind", func(z *zones.Zone) { z.Kind = "quarantined" }},
		{"no kind", func(z *zones.Zone) { z.Kind = "" }},
		{"empty name", func(z *zones.Zone) { z.Name = "" }},
		{"no geometry", func(z *zones.Zone) { z.Geometry = nil }},
		{"unclosed ring", func(z *zones.Zone) {
			z.Geometry = orb.MultiPolygon{{{{104, 30.6}, {104.01, 30.6}, {104.01, 30.61}, {104, 30.61}}}}
		}},
		{"too few positions", func(z *zones.Zone) {
			z.Geometry = orb.MultiPolygon{{{{104, 30.6}, {104.01, 30.6}, {104, 30.6}}}}
		}},
		{"self-intersecting bowtie", func(z *zones.Zone) {
			z.Geometry = orb.MultiPolygon{{{{104, 30.6}, {104.01, 30.61}, {104.01, 30.6}, {104, 30.61}, {104, 30.6}}}}
		}},
		{"latitude out of range", func(z *zones.Zone) { z.Geometry = Rect(104, 89.5, 104.01, 90.5) }},
		{"until before from", func(z *zones.Zone) { z.EffectiveUntil = ptr(T0.Add(-time.Hour)) }},
		{"until equal from", func(z *zones.Zone) { z.EffectiveUntil = ptr(T0) }},
		{"parts sharing an edge", func(z *zones.Zone) {
			z.Geometry = orb.MultiPolygon{{rectRing(104.00, 30.60, 104.01, 30.61)}, {rectRing(104.01, 30.60, 104.02, 30.61)}}
		}},
		{"overlapping parts", func(z *zones.Zone) {
			z.Geometry = orb.MultiPolygon{{rectRing(104.00, 30.60, 104.01, 30.61)}, {rectRing(104.005, 30.605, 104.02, 30.62)}}
		}},
		// Text PostgreSQL cannot store (NUL) or that has no place in a
		// name: both stores refuse it the same way.
		{"NUL in name", func(z *zones.Zone) { z.Name = "Block\x007" }},
		{"NUL in reason", func(z *zones.Zone) { z.Reason = "x\x00" }},
		{"escape in name", func(z *zones.Zone) { z.Name = "Block \x1b[31m7" }},
		{"newline in name", func(z *zones.Zone) { z.Name = "Block\n7" }},
		{"C1 control in name", func(z *zones.Zone) { z.Name = "Block \u00857" }},
		{"DEL in name", func(z *zones.Zone) { z.Name = "Block\x7f" }},
		{"invalid UTF-8 in name", func(z *zones.Zone) { z.Name = "Block \xff" }},
		{"over-long name", func(z *zones.Zone) { z.Name = strings.Repeat("é", zones.MaxNameLen+1) }},
		{"over-long reason", func(z *zones.Zone) { z.Reason = strings.Repeat("a", zones.MaxReasonLen+1) }},
		{"NUL in external key", func(z *zones.Zone) { z.ExternalKey = "k\x00" }},
		{"external key with spaces around", func(z *zones.Zone) { z.ExternalKey = " k" }},
		{"until after 2100", func(z *zones.Zone) { z.EffectiveUntil = ptr(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) }},
	}
	for _, c := range cases {
		z := good
		z.Geometry = good.Geometry.Clone()
		c.mod(&z)
		_, err := s.CreateZone(ctx, z)
		wantValidation(t, "CreateZone("+c.name+")", err)
		upd := z
		upd.ID = existing.ID
		if !upd.EffectiveFrom.IsZero() {
			upd.EffectiveFrom = upd.EffectiveFrom.Add(time.Hour) // a valid version time
		}
		_, err = s.UpdateZone(ctx, upd)
		wantValidation(t, "UpdateZone("+c.name+")", err)
		_, err = s.ImportZones(ctx, []zones.Zone{z})
		wantValidation(t, "ImportZones("+c.name+")", err)
	}
	for _, from := range []time.Time{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		z := good
		z.EffectiveFrom = from
		_, err := s.CreateZone(ctx, z)
		wantValidation(t, fmt.Sprintf("CreateZone(from %v)", from), err)
	}
	_, err := s.LiftZone(ctx, existing.ID, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	wantValidation(t, "LiftZone(2100)", err)
	if h, err := s.ZoneHistory(ctx, existing.ID); err != nil || len(h) != 1 {
		t.Errorf("after refused updates the history has %d versions (%v), want 1", len(h), err)
	}
	all := listAll(t, s)
	if len(all) != 1 {
		t.Fatalf("after invalid writes the store holds %d zones, want 1", len(all))
	}
	checkZone(t, "unchanged zone", all[0], good)
}

func testCreateZonesAllOrNothing(t *testing.T, s zones.Store) {
	ctx := context.Background()
	a := zone(zones.KindSealed, "a", Rect(104.00, 30.60, 104.01, 30.61))
	b := zone(zones.KindControlled, "b", Rect(104.02, 30.60, 104.03, 30.61))
	bad := zone(zones.KindPrevention, "bad", orb.MultiPolygon{{{{104, 30.6}, {104.01, 30.61}, {104.01, 30.6}, {104, 30.61}, {104, 30.6}}}})
	_, err := s.CreateZones(ctx, []zones.Zone{a, bad, b})
	wantValidation(t, "CreateZones with one bad zone", err)
	if n := len(listAll(t, s)); n != 0 {
		t.Fatalf("after a failed bulk create the store holds %d zones, want 0", n)
	}
	if got := lookupIDs(t, s, orb.Point{104.005, 30.605}, T0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("Lookup after failed bulk create = %v, want none", got)
	}
	out, err := s.CreateZones(ctx, []zones.Zone{a, b})
	if err != nil {
		t.Fatalf("CreateZones: %v", err)
	}
	if len(out) != 2 || out[0].ID <= 0 || out[1].ID <= out[0].ID {
		t.Fatalf("CreateZones ids = %v", ids(out))
	}
	checkZone(t, "bulk a", out[0], a)
	checkZone(t, "bulk b", out[1], b)
	if got := ids(listAll(t, s)); !sameIDs(got, ids(out)) {
		t.Errorf("ListZones ids = %v, want %v", got, ids(out))
	}
	empty, err := s.CreateZones(ctx, nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("CreateZones(nil) = %v, %v; want empty, nil", empty, err)
	}
}

func testListZonesFilters(t *testing.T, s zones.Store) {
	ctx := context.Background()
	// A triangle whose bounding box covers [104.00,104.02]x[30.60,30.62] but
	// whose geometry stays below the diagonal from (104.00,30.60) to (104.02,30.62).
	tri := zone(zones.KindSealed, "triangle", orb.MultiPolygon{{{{104.00, 30.60}, {104.02, 30.60}, {104.02, 30.62}, {104.00, 30.60}}}})
	z1 := mustCreate(t, s, tri)
	z2 := mustCreate(t, s, zone(zones.KindControlled, "east", Rect(104.05, 30.60, 104.06, 30.61)))
	p3 := zone(zones.KindPrevention, "later", Rect(104.10, 30.60, 104.11, 30.61))
	p3.EffectiveFrom = T0.Add(48 * time.Hour)
	z3 := mustCreate(t, s, p3)
	z4 := mustCreate(t, s, zone(zones.KindControlled, "west", Rect(103.95, 30.60, 103.96, 30.61)))
	t1 := T0.Add(24 * time.Hour)
	if _, err := s.LiftZone(ctx, z4.ID, t1); err != nil {
		t.Fatalf("LiftZone: %v", err)
	}
	bound := func(x0, y0, x1, y1 float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	cases := []struct {
		name string
		f    zones.ZoneFilter
		want []int64
	}{
		{"all", zones.ZoneFilter{}, []int64{z1.ID, z2.ID, z3.ID, z4.ID}},
		{"kind controlled", zones.ZoneFilter{Kind: zones.KindControlled}, []int64{z2.ID, z4.ID}},
		{"kind sealed", zones.ZoneFilter{Kind: zones.KindSealed}, []int64{z1.ID}},
		{"bbox over east", zones.ZoneFilter{BBox: bound(104.055, 30.605, 104.07, 30.62)}, []int64{z2.ID}},
		{"bbox in triangle's box but off the triangle", zones.ZoneFilter{BBox: bound(104.001, 30.615, 104.005, 30.619)}, nil},
		{"bbox meeting the triangle", zones.ZoneFilter{BBox: bound(104.015, 30.601, 104.016, 30.602)}, []int64{z1.ID}},
		{"bbox containing the whole map", zones.ZoneFilter{BBox: bound(103, 30, 105, 31)}, []int64{z1.ID, z2.ID, z3.ID, z4.ID}},
		{"bbox touching east's edge", zones.ZoneFilter{BBox: bound(104.06, 30.605, 104.07, 30.606)}, []int64{z2.ID}},
		{"bbox inside east", zones.ZoneFilter{BBox: bound(104.052, 30.602, 104.053, 30.603)}, []int64{z2.ID}},
		{"active at T0+1h", zones.ZoneFilter{ActiveAt: ptr(T0.Add(time.Hour))}, []int64{z1.ID, z2.ID, z4.ID}},
		{"active at lift time", zones.ZoneFilter{ActiveAt: ptr(t1)}, []int64{z1.ID, z2.ID}},
		{"active at T0+3d", zones.ZoneFilter{ActiveAt: ptr(T0.Add(72 * time.Hour))}, []int64{z1.ID, z2.ID, z3.ID}},
		{"active before everything", zones.ZoneFilter{ActiveAt: ptr(T0.Add(-time.Second))}, nil},
		{"controlled active at T0+3d", zones.ZoneFilter{Kind: zones.KindControlled, ActiveAt: ptr(T0.Add(72 * time.Hour))}, []int64{z2.ID}},
		{"limit 2", zones.ZoneFilter{Limit: 2}, []int64{z1.ID, z2.ID}},
		{"limit 2 offset 1", zones.ZoneFilter{Limit: 2, Offset: 1}, []int64{z2.ID, z3.ID}},
		{"offset 3", zones.ZoneFilter{Offset: 3}, []int64{z4.ID}},
		{"offset past end", zones.ZoneFilter{Offset: 10}, nil},
	}
	for _, c := range cases {
		got, err := s.ListZones(ctx, c.f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got == nil {
			t.Errorf("%s: nil slice, want empty", c.name)
		}
		if !sameIDs(ids(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: ids %v, want %v", c.name, ids(got), c.want)
		}
	}
}

func testUpdateZone(t *testing.T, s zones.Store) {
	ctx := context.Background()
	orig := mustCreate(t, s, zone(zones.KindPrevention, "old", Rect(104.00, 30.60, 104.01, 30.61)))
	if orig.Version != 1 {
		t.Errorf("created zone has version %d, want 1", orig.Version)
	}
	t1 := T0.Add(time.Hour)
	upd := orig
	upd.Kind = zones.KindSealed
	upd.Name = "new"
	upd.Reason = "cluster"
	upd.Geometry = Rect(104.02, 30.60, 104.03, 30.61)
	upd.EffectiveFrom = t1
	upd.EffectiveUntil = ptr(T0.Add(100 * time.Hour))
	got, err := s.UpdateZone(ctx, upd)
	if err != nil {
		t.Fatalf("UpdateZone: %v", err)
	}
	checkZone(t, "updated", got, upd)
	if got.ID != orig.ID || got.Version != 2 || !got.CreatedAt.Equal(orig.CreatedAt) || got.UpdatedAt.Before(orig.UpdatedAt) {
		t.Errorf("updated id/version/created/updated = %d %d %v %v; original %d %v %v", got.ID, got.Version, got.CreatedAt, got.UpdatedAt, orig.ID, orig.CreatedAt, orig.UpdatedAt)
	}
	back, _ := s.GetZone(ctx, orig.ID)
	checkZone(t, "fetched after update", back, upd)
	if back.Version != 2 {
		t.Errorf("GetZone version = %d, want 2", back.Version)
	}
	// After the update: the new place; before it: the old one, old kind.
	at := T0.Add(2 * time.Hour)
	if got := lookupIDs(t, s, orb.Point{104.005, 30.605}, at); len(got) != 0 {
		t.Errorf("Lookup at the old place after the update = %v, want none", got)
	}
	if got := lookupIDs(t, s, orb.Point{104.025, 30.605}, at); !sameIDs(got, []int64{orig.ID}) {
		t.Errorf("Lookup at the new place = %v, want [%d]", got, orig.ID)
	}
	early := T0.Add(30 * time.Minute)
	zs, err := s.Lookup(ctx, orb.Point{104.005, 30.605}, early)
	if err != nil || len(zs) != 1 || zs[0].Kind != zones.KindPrevention || zs[0].Name != "old" || zs[0].Version != 1 {
		t.Errorf("Lookup at the old place before the update = %+v, %v; want version 1, prevention, old", zs, err)
	}
	if got := lookupIDs(t, s, orb.Point{104.025, 30.605}, early); len(got) != 0 {
		t.Errorf("Lookup at the new place before the update = %v, want none", got)
	}
	past, err := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: &early})
	if err != nil || len(past) != 1 || past[0].Kind != zones.KindPrevention || past[0].Version != 1 {
		t.Errorf("ListZones active before the update = %+v, %v; want version 1", past, err)
	}
	sealedThen, _ := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: &early, Kind: zones.KindSealed})
	sealedNow, _ := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: &at, Kind: zones.KindSealed})
	if len(sealedThen) != 0 || len(sealedNow) != 1 {
		t.Errorf("sealed zones before/after the update: %d/%d, want 0/1", len(sealedThen), len(sealedNow))
	}
	// History: both versions, back to back.
	h, err := s.ZoneHistory(ctx, orig.ID)
	if err != nil || len(h) != 2 {
		t.Fatalf("ZoneHistory = %d versions, %v; want 2", len(h), err)
	}
	v1 := orig
	v1.EffectiveUntil = &t1
	checkZone(t, "history[0]", h[0], v1)
	checkZone(t, "history[1]", h[1], upd)
	if h[0].Version != 1 || h[1].Version != 2 || h[0].ID != orig.ID || h[1].ID != orig.ID {
		t.Errorf("history versions/ids = %d/%d %d/%d", h[0].Version, h[0].ID, h[1].Version, h[1].ID)
	}
	// A version may not start at or before the current one's start.
	for _, from := range []time.Time{t1, T0, T0.Add(-time.Hour)} {
		again := upd
		again.EffectiveFrom = from
		again.Name = "rewrite"
		_, err = s.UpdateZone(ctx, again)
		wantValidation(t, fmt.Sprintf("UpdateZone(from %v)", from), err)
	}
	// A zero EffectiveFrom means now; the zone's end stays when not given.
	before := time.Now().Add(-time.Minute)
	keep := back
	keep.EffectiveFrom = time.Time{}
	keep.EffectiveUntil = nil
	keep.Name = "from now"
	open := mustCreate(t, s, zone(zones.KindControlled, "open", Rect(104.04, 30.60, 104.05, 30.61)))
	keep.ID = open.ID
	got, err = s.UpdateZone(ctx, keep)
	if err != nil {
		t.Fatalf("UpdateZone(zero from): %v", err)
	}
	if got.EffectiveFrom.Before(before) || got.EffectiveFrom.After(time.Now().Add(time.Minute)) || got.EffectiveUntil != nil {
		t.Errorf("zero EffectiveFrom in update gave from %v until %v, want about now, open", got.EffectiveFrom, got.EffectiveUntil)
	}
	// The first zone ends at T0+100h: an update at or after that is a conflict.
	late := upd
	late.EffectiveFrom = T0.Add(200 * time.Hour)
	late.EffectiveUntil = nil
	_, err = s.UpdateZone(ctx, late)
	if !errors.Is(err, zones.ErrConflict) {
		t.Errorf("UpdateZone after the lift: err = %v, want ErrConflict", err)
	}
	missing := upd
	missing.ID = orig.ID + 1000
	missing.EffectiveFrom = T0.Add(3 * time.Hour)
	_, err = s.UpdateZone(ctx, missing)
	wantNotFound(t, "UpdateZone(unknown)", err)
	_, err = s.ZoneHistory(ctx, orig.ID+1000)
	wantNotFound(t, "ZoneHistory(unknown)", err)
}

// testUpdateKeepsThePast asks the same 1,000 (point, time) look-ups before
// and after a series of updates and lifts: every answer for a time before
// the first change stays the same (ids, kinds, names, versions).
func testUpdateKeepsThePast(t *testing.T, s zones.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	kinds := []zones.Kind{zones.KindPrevention, zones.KindControlled, zones.KindSealed}
	var made []zones.Zone
	for i := range 12 {
		x, y := 104.0+rng.Float64()*0.05, 30.6+rng.Float64()*0.05
		z := zone(kinds[i%3], fmt.Sprintf("z%d", i), Rect(x, y, x+0.01+rng.Float64()*0.02, y+0.01+rng.Float64()*0.02))
		z.EffectiveFrom = T0.Add(time.Duration(rng.IntN(48)) * time.Hour)
		made = append(made, mustCreate(t, s, z))
	}
	first := T0.Add(72 * time.Hour) // no change before this
	type probe struct {
		p  orb.Point
		at time.Time
	}
	probes := make([]probe, 1000)
	for i := range probes {
		probes[i] = probe{orb.Point{104.0 + rng.Float64()*0.08, 30.6 + rng.Float64()*0.08}, T0.Add(-24*time.Hour + time.Duration(rng.Int64N(int64(192*time.Hour))))}
	}
	answer := func() []string {
		out := make([]string, len(probes))
		for i, pr := range probes {
			zs, err := s.Lookup(ctx, pr.p, pr.at)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			for _, z := range zs {
				out[i] += fmt.Sprintf("%d/%d/%s/%s;", z.ID, z.Version, z.Kind, z.Name)
			}
		}
		return out
	}
	before := answer()
	// Updates (new kind, name, place) and lifts, all at or after `first`.
	for round := range 3 {
		for i, z := range made {
			at := first.Add(time.Duration(round*24+i) * time.Hour)
			switch (i + round) % 3 {
			case 0, 1:
				u := z
				u.Kind = kinds[(i+round+1)%3]
				u.Name = fmt.Sprintf("z%d-r%d", i, round)
				u.Geometry = Rect(104.0+rng.Float64()*0.05, 30.6+rng.Float64()*0.05, 104.07, 30.67)
				u.EffectiveFrom = at
				u.EffectiveUntil = nil
				if _, err := s.UpdateZone(ctx, u); err != nil && !errors.Is(err, zones.ErrConflict) {
					t.Fatalf("UpdateZone(%d at %v): %v", z.ID, at, err)
				}
			default:
				if _, err := s.LiftZone(ctx, z.ID, at); err != nil && !errors.Is(err, zones.ErrConflict) {
					t.Fatalf("LiftZone(%d at %v): %v", z.ID, at, err)
				}
			}
		}
	}
	after := answer()
	changedLater := 0
	for i, pr := range probes {
		if pr.at.Before(first) {
			if before[i] != after[i] {
				t.Errorf("look-up %v at %v (before the first change) was %q, now %q", pr.p, pr.at, before[i], after[i])
			}
		} else if before[i] != after[i] {
			changedLater++
		}
	}
	if changedLater == 0 {
		t.Errorf("no answer after the first change differs: the updates did nothing")
	}
	// Every zone's versions follow each other without gap or overlap.
	for _, z := range made {
		h, err := s.ZoneHistory(ctx, z.ID)
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k < len(h); k++ {
			if h[k].Version != k+1 || h[k-1].EffectiveUntil == nil || !h[k-1].EffectiveUntil.Equal(h[k].EffectiveFrom) {
				t.Errorf("zone %d: version %d (%v) does not start where %d ended (%v)", z.ID, h[k].Version, h[k].EffectiveFrom, h[k-1].Version, h[k-1].EffectiveUntil)
			}
		}
	}
}

func testLiftZone(t *testing.T, s zones.Store) {
	ctx := context.Background()
	z := mustCreate(t, s, zone(zones.KindSealed, "lifted", Rect(104.00, 30.60, 104.01, 30.61)))
	other := mustCreate(t, s, zone(zones.KindSealed, "other", Rect(104.02, 30.60, 104.03, 30.61)))
	t1 := T0.Add(5 * 24 * time.Hour)
	_, err := s.LiftZone(ctx, z.ID, T0.Add(-time.Hour))
	wantValidation(t, "LiftZone before EffectiveFrom", err)
	_, err = s.LiftZone(ctx, z.ID, T0)
	wantValidation(t, "LiftZone at EffectiveFrom", err)
	_, err = s.LiftZone(ctx, z.ID+1000, t1)
	wantNotFound(t, "LiftZone(unknown)", err)

	got, err := s.LiftZone(ctx, z.ID, t1)
	if err != nil {
		t.Fatalf("LiftZone: %v", err)
	}
	if got.EffectiveUntil == nil || !got.EffectiveUntil.Equal(t1) {
		t.Fatalf("EffectiveUntil = %v, want %v", got.EffectiveUntil, t1)
	}
	if got.UpdatedAt.Before(z.UpdatedAt) {
		t.Errorf("UpdatedAt went back: %v < %v", got.UpdatedAt, z.UpdatedAt)
	}
	back, _ := s.GetZone(ctx, z.ID)
	if back.EffectiveUntil == nil || !back.EffectiveUntil.Equal(t1) {
		t.Errorf("fetched EffectiveUntil = %v, want %v", back.EffectiveUntil, t1)
	}
	// Same time again: no-op. Later: conflict. Never deleted.
	if _, err := s.LiftZone(ctx, z.ID, t1); err != nil {
		t.Errorf("LiftZone at the same time again: %v", err)
	}
	_, err = s.LiftZone(ctx, z.ID, t1.Add(time.Hour))
	if !errors.Is(err, zones.ErrConflict) {
		t.Errorf("LiftZone after an earlier lift: err = %v, want ErrConflict", err)
	}
	if n := len(listAll(t, s)); n != 2 {
		t.Errorf("after lifting, ListZones holds %d zones, want 2 (never deleted)", n)
	}
	// History stays queryable.
	p := orb.Point{104.005, 30.605}
	if got := lookupIDs(t, s, p, t1.Add(-time.Microsecond)); !sameIDs(got, []int64{z.ID}) {
		t.Errorf("Lookup just before the lift = %v, want [%d]", got, z.ID)
	}
	if got := lookupIDs(t, s, p, t1); len(got) != 0 {
		t.Errorf("Lookup at the lift time = %v, want none", got)
	}
	if got := lookupIDs(t, s, p, T0.Add(24*time.Hour)); !sameIDs(got, []int64{z.ID}) {
		t.Errorf("Lookup on a past day = %v, want [%d]", got, z.ID)
	}
	past, err := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: ptr(T0.Add(24 * time.Hour))})
	if err != nil || !sameIDs(ids(past), []int64{z.ID, other.ID}) {
		t.Errorf("ListZones active on a past day = %v, %v; want [%d %d]", ids(past), err, z.ID, other.ID)
	}
	now, err := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: ptr(t1.Add(time.Hour))})
	if err != nil || !sameIDs(ids(now), []int64{other.ID}) {
		t.Errorf("ListZones active after the lift = %v, %v; want [%d]", ids(now), err, other.ID)
	}
	// Lifting earlier than the current lift moves it earlier.
	t0 := T0.Add(2 * 24 * time.Hour)
	got, err = s.LiftZone(ctx, z.ID, t0)
	if err != nil || got.EffectiveUntil == nil || !got.EffectiveUntil.Equal(t0) {
		t.Errorf("LiftZone earlier = %v, %v; want until %v", got.EffectiveUntil, err, t0)
	}
}

func countsOf(r zones.ImportResult) [3]int { return [3]int{r.Created, r.Updated, r.Unchanged} }

func testImportZones(t *testing.T, s zones.Store) {
	ctx := context.Background()
	a := zone(zones.KindSealed, "a", Rect(104.00, 30.60, 104.01, 30.61))
	b := zone(zones.KindControlled, "b", Rect(104.02, 30.60, 104.03, 30.61))
	b.ExternalKey = "city:17"
	c := zone(zones.KindPrevention, "c", Rect(104.04, 30.60, 104.05, 30.61))
	c.EffectiveUntil = ptr(T0.Add(48 * time.Hour))
	res, err := s.ImportZones(ctx, []zones.Zone{a, b, c})
	if err != nil {
		t.Fatalf("ImportZones: %v", err)
	}
	if countsOf(res) != [3]int{3, 0, 0} || len(res.Items) != 3 {
		t.Fatalf("first import = %+v, want 3 created", res)
	}
	for i, it := range res.Items {
		if it.Action != zones.ImportCreated || it.ID <= 0 || it.Version != 1 {
			t.Errorf("item %d = %+v", i, it)
		}
	}
	if res.Items[1].ExternalKey != "city:17" {
		t.Errorf("item 1 key = %q", res.Items[1].ExternalKey)
	}
	// An export of the store imported again changes nothing.
	exported := listAll(t, s)
	res, err = s.ImportZones(ctx, exported)
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if countsOf(res) != [3]int{0, 0, 3} {
		t.Errorf("re-import of the export = %+v, want 3 unchanged", res)
	}
	if n := len(listAll(t, s)); n != 3 {
		t.Errorf("after re-import the store holds %d zones, want 3", n)
	}
	for _, z := range exported {
		if h, _ := s.ZoneHistory(ctx, z.ID); len(h) != 1 {
			t.Errorf("zone %d has %d versions after an idempotent import, want 1", z.ID, len(h))
		}
	}
	// Rings in the other orientation are the same geometry.
	rev := exported[0]
	rev.Geometry = rev.Geometry.Clone()
	for _, r := range rev.Geometry[0] {
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
	if res, err = s.ImportZones(ctx, []zones.Zone{rev}); err != nil || countsOf(res) != [3]int{0, 0, 1} {
		t.Errorf("import with reversed rings = %+v, %v; want unchanged", res, err)
	}
	// By key (no id): changed content becomes version 2 from the file's
	// effective_from when that is later, and the id stays.
	bk := b
	bk.Kind = zones.KindSealed
	bk.EffectiveFrom = T0.Add(24 * time.Hour)
	// By id: a renamed zone, with an effective_from not after the current
	// version's start: the new version starts now.
	an := exported[0]
	an.Name = "a renamed"
	// New zone without id or key.
	d := zone(zones.KindPrevention, "d", Rect(104.06, 30.60, 104.07, 30.61))
	before := time.Now().Add(-time.Minute)
	res, err = s.ImportZones(ctx, []zones.Zone{bk, an, d})
	if err != nil {
		t.Fatalf("import of changes: %v", err)
	}
	if countsOf(res) != [3]int{1, 2, 0} {
		t.Fatalf("import of changes = %+v, want 1 created, 2 updated", res)
	}
	if res.Items[0].ID != exported[1].ID || res.Items[0].Version != 2 || res.Items[0].Action != zones.ImportUpdated {
		t.Errorf("keyed item = %+v, want zone %d version 2 updated", res.Items[0], exported[1].ID)
	}
	hb, _ := s.ZoneHistory(ctx, exported[1].ID)
	if len(hb) != 2 || !hb[1].EffectiveFrom.Equal(bk.EffectiveFrom) || hb[1].Kind != zones.KindSealed || hb[1].ExternalKey != "city:17" {
		t.Errorf("keyed zone history = %+v", hb)
	}
	ha, _ := s.ZoneHistory(ctx, exported[0].ID)
	if len(ha) != 2 || ha[1].Name != "a renamed" || ha[1].EffectiveFrom.Before(before) {
		t.Errorf("renamed zone history = %+v, want version 2 from about now", ha)
	}
	// The same file again: nothing changes.
	res, err = s.ImportZones(ctx, []zones.Zone{bk, an, listAll(t, s)[3]})
	if err != nil || countsOf(res) != [3]int{0, 0, 3} {
		t.Errorf("second import of the changes = %+v, %v; want 3 unchanged", res, err)
	}
	// Same content with an end: a lift of the current version.
	cl := exported[2]
	cl.EffectiveUntil = ptr(T0.Add(24 * time.Hour))
	if res, err = s.ImportZones(ctx, []zones.Zone{cl}); err != nil || countsOf(res) != [3]int{0, 1, 0} {
		t.Errorf("import of an earlier end = %+v, %v; want 1 updated", res, err)
	}
	if got, _ := s.GetZone(ctx, cl.ID); got.EffectiveUntil == nil || !got.EffectiveUntil.Equal(*cl.EffectiveUntil) || got.Version != 1 {
		t.Errorf("after import of an end: %+v", got)
	}
	// Nothing to import, and a key given twice, are refused.
	_, err = s.ImportZones(ctx, nil)
	wantValidation(t, "ImportZones(empty)", err)
	_, err = s.ImportZones(ctx, []zones.Zone{b, b})
	wantValidation(t, "ImportZones(key twice)", err)
}

func testImportAllOrNothing(t *testing.T, s zones.Store) {
	ctx := context.Background()
	a := mustCreate(t, s, zone(zones.KindSealed, "a", Rect(104.00, 30.60, 104.01, 30.61)))
	upd := a
	upd.Name = "changed"
	upd.EffectiveFrom = T0.Add(time.Hour)
	fresh := zone(zones.KindControlled, "fresh", Rect(104.02, 30.60, 104.03, 30.61))
	bad := zone(zones.KindPrevention, "bad\x00", Rect(104.04, 30.60, 104.05, 30.61))
	_, err := s.ImportZones(ctx, []zones.Zone{upd, fresh, bad})
	var ve *zones.ValidationError
	if !errors.As(err, &ve) || !strings.HasPrefix(ve.Path, "features[2].") {
		t.Fatalf("import with a bad third feature: err = %v, want a validation error at features[2]", err)
	}
	all := listAll(t, s)
	if len(all) != 1 || all[0].Name != "a" || all[0].Version != 1 {
		t.Errorf("after a failed import the store holds %+v, want zone a unchanged", all)
	}
	if h, _ := s.ZoneHistory(ctx, a.ID); len(h) != 1 || h[0].EffectiveUntil != nil {
		t.Errorf("after a failed import zone a has history %+v", h)
	}
	if got := lookupIDs(t, s, orb.Point{104.025, 30.605}, T0.Add(2*time.Hour)); len(got) != 0 {
		t.Errorf("Lookup after a failed import = %v, want none", got)
	}
}

func testLookupStrictestFirst(t *testing.T, s zones.Store) {
	at := T0.Add(time.Hour)
	// Nested: prevention ⊃ controlled ⊃ sealed, plus a second sealed zone
	// overlapping the first and a second prevention zone, created in an
	// order that differs from the expected output.
	sealedB := mustCreate(t, s, zone(zones.KindSealed, "sealed B", Rect(104.004, 30.604, 104.008, 30.608)))
	prev := mustCreate(t, s, zone(zones.KindPrevention, "prevention", Rect(104.00, 30.60, 104.02, 30.62)))
	ctrl := mustCreate(t, s, zone(zones.KindControlled, "controlled", Rect(104.002, 30.602, 104.01, 30.61)))
	sealedA := mustCreate(t, s, zone(zones.KindSealed, "sealed A", Rect(104.003, 30.603, 104.006, 30.606)))
	prev2 := mustCreate(t, s, zone(zones.KindPrevention, "prevention 2", Rect(103.99, 30.59, 104.005, 30.605)))
	cases := []struct {
		name string
		p    orb.Point
		want []int64
	}{
		{"all five", orb.Point{104.0045, 30.6045}, []int64{sealedB.ID, sealedA.ID, ctrl.ID, prev.ID, prev2.ID}},
		{"sealed B only inside", orb.Point{104.007, 30.607}, []int64{sealedB.ID, ctrl.ID, prev.ID}},
		{"controlled and prevention", orb.Point{104.009, 30.603}, []int64{ctrl.ID, prev.ID}},
		{"prevention only", orb.Point{104.015, 30.615}, []int64{prev.ID}},
		{"outside everything", orb.Point{104.03, 30.63}, nil},
		{"far away", orb.Point{-70, -30}, nil},
	}
	for _, c := range cases {
		if got := lookupIDs(t, s, c.p, at); !sameIDs(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: Lookup(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
	zs, _ := s.Lookup(context.Background(), orb.Point{104.0045, 30.6045}, at)
	for i := 1; i < len(zs); i++ {
		a, b := zs[i-1], zs[i]
		if a.Kind.Rank() < b.Kind.Rank() || (a.Kind == b.Kind && a.ID > b.ID) {
			t.Errorf("Lookup order: %v (%d) before %v (%d)", a.Kind, a.ID, b.Kind, b.ID)
		}
	}
	if len(zs) > 0 && zs[0].Name == "" {
		t.Errorf("Lookup returned a zone without its fields: %+v", zs[0])
	}
}

func testLookupBoundaryAndHoles(t *testing.T, s zones.Store) {
	at := T0.Add(time.Hour)
	g := Rect(104.00, 30.60, 104.01, 30.61)
	g[0] = append(g[0], rectHole(104.004, 30.604, 104.006, 30.606))
	holed := mustCreate(t, s, zone(zones.KindControlled, "with hole", g))
	// A two-polygon zone whose parts touch at the corner (104.03, 30.61).
	two := orb.MultiPolygon{{rectRing(104.02, 30.60, 104.03, 30.61)}, {rectRing(104.03, 30.61, 104.04, 30.62)}}
	multi := mustCreate(t, s, zone(zones.KindSealed, "two parts", two))
	// A triangle to test a point on a slanted edge at a vertex.
	tri := mustCreate(t, s, zone(zones.KindPrevention, "triangle", orb.MultiPolygon{{{{104.05, 30.60}, {104.07, 30.60}, {104.06, 30.62}, {104.05, 30.60}}}}))
	cases := []struct {
		name string
		p    orb.Point
		want []int64
	}{
		{"interior", orb.Point{104.002, 30.602}, []int64{holed.ID}},
		{"corner vertex", orb.Point{104.00, 30.60}, []int64{holed.ID}},
		{"on the west edge", orb.Point{104.00, 30.605}, []int64{holed.ID}},
		{"on the north edge", orb.Point{104.003, 30.61}, []int64{holed.ID}},
		{"just outside the west edge", orb.Point{103.9999, 30.605}, nil},
		{"inside the hole", orb.Point{104.005, 30.605}, nil},
		{"on the hole's edge", orb.Point{104.004, 30.605}, []int64{holed.ID}},
		{"on the hole's corner", orb.Point{104.006, 30.606}, []int64{holed.ID}},
		{"first part", orb.Point{104.025, 30.605}, []int64{multi.ID}},
		{"second part", orb.Point{104.035, 30.615}, []int64{multi.ID}},
		{"between the parts", orb.Point{104.035, 30.605}, nil},
		{"shared corner (one result)", orb.Point{104.03, 30.61}, []int64{multi.ID}},
		{"triangle apex", orb.Point{104.06, 30.62}, []int64{tri.ID}},
		{"triangle base", orb.Point{104.055, 30.60}, []int64{tri.ID}},
		{"beside the apex", orb.Point{104.0501, 30.619}, nil},
	}
	for _, c := range cases {
		if got := lookupIDs(t, s, c.p, at); !sameIDs(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: Lookup(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func testLookupTimes(t *testing.T, s zones.Store) {
	ctx := context.Background()
	z := zone(zones.KindSealed, "window", Rect(104.00, 30.60, 104.01, 30.61))
	z.EffectiveUntil = ptr(T0.Add(24 * time.Hour))
	win := mustCreate(t, s, z)
	f := zone(zones.KindControlled, "future", Rect(104.00, 30.60, 104.01, 30.61))
	f.EffectiveFrom = T0.Add(12 * time.Hour)
	fut := mustCreate(t, s, f)
	p := orb.Point{104.005, 30.605}
	cases := []struct {
		name string
		at   time.Time
		want []int64
	}{
		{"before", T0.Add(-time.Microsecond), nil},
		{"at effective_from", T0, []int64{win.ID}},
		{"at the future zone's start", T0.Add(12 * time.Hour), []int64{win.ID, fut.ID}},
		{"at effective_until", T0.Add(24 * time.Hour), []int64{fut.ID}},
		{"a year later", T0.AddDate(1, 0, 0), []int64{fut.ID}},
	}
	for _, c := range cases {
		if got := lookupIDs(t, s, p, c.at); !sameIDs(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: Lookup at %v = %v, want %v", c.name, c.at, got, c.want)
		}
	}
	// Time zones do not matter, only the instant.
	shanghai := time.FixedZone("CST", 8*3600)
	if got := lookupIDs(t, s, p, T0.In(shanghai)); !sameIDs(got, []int64{win.ID}) {
		t.Errorf("Lookup at T0 in UTC+8 = %v, want [%d]", got, win.ID)
	}
	_ = ctx
}

func testLookupBatch(t *testing.T, s zones.Store) {
	ctx := context.Background()
	mustCreate(t, s, zone(zones.KindPrevention, "big", Rect(104.00, 30.60, 104.02, 30.62)))
	mustCreate(t, s, zone(zones.KindSealed, "small", Rect(104.005, 30.605, 104.01, 30.61)))
	mustCreate(t, s, zone(zones.KindControlled, "side", Rect(104.015, 30.60, 104.03, 30.61)))
	var ps []orb.Point
	for i := 0; i < 12; i++ {
		for j := 0; j < 12; j++ {
			ps = append(ps, orb.Point{103.998 + float64(i)*0.0025, 30.598 + float64(j)*0.0025})
		}
	}
	at := T0.Add(time.Hour)
	got, err := s.LookupBatch(ctx, ps, at)
	if err != nil {
		t.Fatalf("LookupBatch: %v", err)
	}
	if len(got) != len(ps) {
		t.Fatalf("LookupBatch returned %d results for %d points", len(got), len(ps))
	}
	hits := 0
	for i, p := range ps {
		want := lookupIDs(t, s, p, at)
		if !sameIDs(ids(got[i]), want) && !(len(got[i]) == 0 && len(want) == 0) {
			t.Errorf("LookupBatch[%d] at %v = %v, Lookup = %v", i, p, ids(got[i]), want)
		}
		hits += len(want)
	}
	if hits == 0 {
		t.Error("no point of the batch hit a zone; the test grid is wrong")
	}
	empty, err := s.LookupBatch(ctx, nil, at)
	if err != nil || len(empty) != 0 {
		t.Errorf("LookupBatch(nil) = %v, %v", empty, err)
	}
}

// ----- compounds and facilities -----

func testCompounds(t *testing.T, s zones.Store) {
	ctx := context.Background()
	in := zones.Compound{Name: "Jinjiang Garden", Geometry: Rect(104.00, 30.60, 104.004, 30.603), Population: 2400, Aged60Plus: 530, Households: 900,
		Gates: []orb.Point{{104.002, 30.60}, {104.004, 30.6015}}}
	c1, err := s.CreateCompound(ctx, in)
	if err != nil {
		t.Fatalf("CreateCompound: %v", err)
	}
	if c1.ID <= 0 {
		t.Errorf("compound ID = %d", c1.ID)
	}
	back, err := s.GetCompound(ctx, c1.ID)
	if err != nil {
		t.Fatalf("GetCompound: %v", err)
	}
	if back.Name != in.Name || back.Population != in.Population || back.Aged60Plus != in.Aged60Plus || back.Households != in.Households ||
		!orb.Equal(back.Geometry, in.Geometry) || !orb.Equal(orb.MultiPoint(back.Gates), orb.MultiPoint(in.Gates)) {
		t.Errorf("GetCompound = %+v, want %+v", back, in)
	}
	c2, err := s.CreateCompound(ctx, zones.Compound{Name: "East Court", Geometry: Rect(104.01, 30.60, 104.012, 30.602), Population: 800, Aged60Plus: 100})
	if err != nil {
		t.Fatalf("CreateCompound 2: %v", err)
	}
	_, err = s.GetCompound(ctx, c2.ID+1000)
	wantNotFound(t, "GetCompound(unknown)", err)
	for _, bad := range []zones.Compound{
		{Name: "", Geometry: Rect(104, 30.6, 104.001, 30.601), Population: 1},
		{Name: "no geometry", Population: 1},
		{Name: "negative", Geometry: Rect(104, 30.6, 104.001, 30.601), Population: -1},
		{Name: "more aged than people", Geometry: Rect(104, 30.6, 104.001, 30.601), Population: 10, Aged60Plus: 11},
	} {
		_, err := s.CreateCompound(ctx, bad)
		wantValidation(t, "CreateCompound("+bad.Name+")", err)
	}
	list := func(b *orb.Bound) []int64 {
		cs, err := s.ListCompounds(ctx, b)
		if err != nil {
			t.Fatalf("ListCompounds: %v", err)
		}
		if cs == nil {
			t.Error("ListCompounds returned nil, want empty")
		}
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := list(nil); !sameIDs(got, []int64{c1.ID, c2.ID}) {
		t.Errorf("ListCompounds(nil) = %v, want [%d %d]", got, c1.ID, c2.ID)
	}
	if got := list(&orb.Bound{Min: orb.Point{104.009, 30.5}, Max: orb.Point{104.02, 30.7}}); !sameIDs(got, []int64{c2.ID}) {
		t.Errorf("ListCompounds(east bbox) = %v, want [%d]", got, c2.ID)
	}
	if got := list(&orb.Bound{Min: orb.Point{105, 31}, Max: orb.Point{106, 32}}); len(got) != 0 {
		t.Errorf("ListCompounds(far bbox) = %v, want none", got)
	}
}

func testFacilities(t *testing.T, s zones.Store) {
	ctx := context.Background()
	h := zones.Facility{Kind: zones.FacilityHospital, Name: "West China Hospital", Point: orb.Point{104.04, 30.64}, Capacity: 120,
		OpeningHours: "00:00-24:00", Accepts: []zones.HealthCode{zones.CodeGreen, zones.CodeYellow}}
	f1, err := s.CreateFacility(ctx, h)
	if err != nil {
		t.Fatalf("CreateFacility: %v", err)
	}
	back, err := s.GetFacility(ctx, f1.ID)
	if err != nil {
		t.Fatalf("GetFacility: %v", err)
	}
	if back.Kind != h.Kind || back.Name != h.Name || back.Point != h.Point || back.Capacity != h.Capacity || back.OpeningHours != h.OpeningHours ||
		fmt.Sprint(back.Accepts) != fmt.Sprint(h.Accepts) || back.ID != f1.ID {
		t.Errorf("GetFacility = %+v, want %+v", back, h)
	}
	f2, err := s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityPharmacy, Name: "Pharmacy", Point: orb.Point{104.06, 30.66}})
	if err != nil {
		t.Fatalf("CreateFacility 2: %v", err)
	}
	f3, err := s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityHospital, Name: "Second hospital", Point: orb.Point{104.08, 30.60}, Capacity: 40})
	if err != nil {
		t.Fatalf("CreateFacility 3: %v", err)
	}
	_, err = s.GetFacility(ctx, f3.ID+1000)
	wantNotFound(t, "GetFacility(unknown)", err)
	for _, bad := range []zones.Facility{
		{Kind: "spa", Name: "x", Point: orb.Point{104, 30}},
		{Kind: zones.FacilityDepot, Name: "", Point: orb.Point{104, 30}},
		{Kind: zones.FacilityDepot, Name: "off the map", Point: orb.Point{190, 30}},
		{Kind: zones.FacilityDepot, Name: "negative", Point: orb.Point{104, 30}, Capacity: -1},
		{Kind: zones.FacilityHospital, Name: "bad code", Point: orb.Point{104, 30}, Accepts: []zones.HealthCode{"blue"}},
	} {
		_, err := s.CreateFacility(ctx, bad)
		wantValidation(t, "CreateFacility("+bad.Name+")", err)
	}
	cases := []struct {
		name string
		f    zones.FacilityFilter
		want []int64
	}{
		{"all", zones.FacilityFilter{}, []int64{f1.ID, f2.ID, f3.ID}},
		{"hospitals", zones.FacilityFilter{Kind: zones.FacilityHospital}, []int64{f1.ID, f3.ID}},
		{"depots", zones.FacilityFilter{Kind: zones.FacilityDepot}, nil},
		{"bbox", zones.FacilityFilter{BBox: &orb.Bound{Min: orb.Point{104.03, 30.63}, Max: orb.Point{104.07, 30.67}}}, []int64{f1.ID, f2.ID}},
		{"bbox edge touching a point", zones.FacilityFilter{BBox: &orb.Bound{Min: orb.Point{104.08, 30.59}, Max: orb.Point{104.09, 30.60}}}, []int64{f3.ID}},
		{"hospitals in bbox", zones.FacilityFilter{Kind: zones.FacilityHospital, BBox: &orb.Bound{Min: orb.Point{104.03, 30.63}, Max: orb.Point{104.07, 30.67}}}, []int64{f1.ID}},
	}
	for _, c := range cases {
		fs, err := s.ListFacilities(ctx, c.f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if fs == nil {
			t.Errorf("%s: nil slice, want empty", c.name)
		}
		got := []int64{}
		for _, f := range fs {
			got = append(got, f.ID)
		}
		if !sameIDs(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: ids %v, want %v", c.name, got, c.want)
		}
	}
}

func testPing(t *testing.T, s zones.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
