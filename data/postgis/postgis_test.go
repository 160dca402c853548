package postgis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/data/storetest"
	"lifeline/zones"
)

var (
	t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
	t2 = t0.Add(48 * time.Hour)
)

// rect is an axis-aligned rectangle [minLon, minLat] - [maxLon, maxLat].
func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// bowTie is structurally fine (closed, 5 positions) but self-intersecting:
// PostGIS, not our Go checks, must reject it.
var bowTie = orb.MultiPolygon{{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}

func ptr[T any](v T) *T { return &v }

func mustCreate(t *testing.T, s *Store, z zones.Zone) zones.Zone {
	t.Helper()
	out, err := s.CreateZone(context.Background(), z)
	if err != nil {
		t.Fatalf("create zone %q: %v", z.Name, err)
	}
	return out
}

func ids(zs []zones.Zone) []int64 {
	out := []int64{}
	for _, z := range zs {
		out = append(out, z.ID)
	}
	return out
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestZoneCRUD(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	in := zones.Zone{Kind: zones.KindSealed, Name: "Block 7", Reason: "3 cases", Geometry: rect(120, 30, 120.01, 30.01),
		EffectiveFrom: t0.Add(1500 * time.Microsecond)}
	z := mustCreate(t, s, in)
	if z.ID <= 0 || z.CreatedAt.IsZero() || z.UpdatedAt.Before(z.CreatedAt) {
		t.Fatalf("ids/timestamps not assigned: %+v", z)
	}
	if !z.EffectiveFrom.Equal(in.EffectiveFrom) || z.EffectiveUntil != nil || z.Kind != in.Kind || z.Name != in.Name || z.Reason != in.Reason {
		t.Fatalf("round trip changed fields: got %+v want %+v", z, in)
	}
	if !orb.Equal(z.Geometry, in.Geometry) {
		t.Fatalf("geometry changed: %v", z.Geometry)
	}
	got, err := s.GetZone(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != z.ID || !orb.Equal(got.Geometry, in.Geometry) || !got.CreatedAt.Equal(z.CreatedAt) {
		t.Fatalf("get: %+v", got)
	}
	if _, err := s.GetZone(ctx, z.ID+1000); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("get unknown: err = %v, want ErrNotFound", err)
	}

	up := got
	up.Kind, up.Name, up.Geometry, up.EffectiveUntil = zones.KindControlled, "Block 7+", rect(120, 30, 120.02, 30.02), ptr(t2)
	up.EffectiveFrom = got.EffectiveFrom.Add(time.Hour) // a new version from then
	u, err := s.UpdateZone(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if u.Kind != zones.KindControlled || u.Name != "Block 7+" || u.EffectiveUntil == nil || !u.EffectiveUntil.Equal(t2) ||
		!orb.Equal(u.Geometry, up.Geometry) || !u.CreatedAt.Equal(z.CreatedAt) || u.UpdatedAt.Before(z.UpdatedAt) {
		t.Fatalf("update: %+v", u)
	}
	up.ID = 99999
	if _, err := s.UpdateZone(ctx, up); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("update unknown: err = %v, want ErrNotFound", err)
	}
}

// overlapping is two squares overlapping each other.
var overlapping = append(rect(0, 0, 2, 2), rect(1, 1, 3, 3)...)

// postgisOnlyInvalid are geometries that OGC / GEOS call invalid but that
// simpler validators may accept: overlapping parts, a hole that splits the
// interior (touching the shell at four points), a shell touching itself.
// Clockwise holes, counter-clockwise shells.
var postgisOnlyInvalid = []struct {
	name string
	g    orb.MultiPolygon
}{
	{"overlapping parts", overlapping},
	{"hole disconnecting the interior", orb.MultiPolygon{{
		{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		{{2, 0}, {0, 2}, {2, 4}, {4, 2}, {2, 0}},
	}}},
	{"self-touching shell", orb.MultiPolygon{{
		{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}, {0, 0}},
	}}},
}

func TestValidation(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	good := zones.Zone{Kind: zones.KindPrevention, Name: "ok", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t0}
	cases := []struct {
		name string
		edit func(z *zones.Zone)
		path string // prefix of the error path
		msg  string // substring of the message
	}{
		{"bad kind", func(z *zones.Zone) { z.Kind = "lockdown" }, "properties.kind", "unknown kind"},
		{"no name", func(z *zones.Zone) { z.Name = "" }, "properties.name", "required"},
		{"until equal from", func(z *zones.Zone) { z.EffectiveUntil = ptr(t0) }, "properties.effective_until", "after"},
		{"empty geometry", func(z *zones.Zone) { z.Geometry = nil }, "geometry.coordinates", ""},
		{"open ring", func(z *zones.Zone) { z.Geometry = orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}} }, "geometry.coordinates[0][0]", "closed"},
		{"lat out of range", func(z *zones.Zone) { z.Geometry = rect(0, 0, 1, 91) }, "geometry.coordinates[0][0]", "latitude"},
		{"bow tie (Go)", func(z *zones.Zone) { z.Geometry = bowTie }, "geometry.coordinates[0]", ""},
		{"overlapping parts", func(z *zones.Zone) { z.Geometry = overlapping }, "geometry.coordinates", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			z := good
			tc.edit(&z)
			_, err := s.CreateZone(ctx, z)
			var ve *zones.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *zones.ValidationError", err)
			}
			if !strings.HasPrefix(ve.Path, tc.path) || !strings.Contains(ve.Message, tc.msg) {
				t.Fatalf("got path %q message %q, want path %q... message containing %q", ve.Path, ve.Message, tc.path, tc.msg)
			}
		})
	}
	if n := countRows(t, s, "zones"); n != 0 {
		t.Fatalf("%d zones written by invalid creates", n)
	}
}

// TestInvalidGeometryRejectedByPostGIS: a bow tie written with raw SQL
// (bypassing the Go validators entirely) is refused by the ST_IsValid CHECK
// in the database, which translate turns into a ValidationError with
// ST_IsValidReason; nothing is written. Then every geometry that gets past
// zones.ValidateMultiPolygon but that PostGIS finds invalid is stopped by
// the database through the store API, for zones, compounds, updates and
// batches.
func TestInvalidGeometryRejectedByPostGIS(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	var ve *zones.ValidationError

	bt, err := encode(bowTie)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO zones (kind, name, geom, effective_from) VALUES ('sealed', 'bow', ST_GeomFromEWKB($1::bytea), now())`, bt)
	if !isGeomViolation(err) {
		t.Fatalf("raw bow-tie insert: err = %v, want the zones_geom_valid CHECK violation", err)
	}
	if terr := translate(err, "", "insert"); !errors.As(terr, &ve) || ve.Path != "geometry.coordinates" {
		t.Fatalf("translated: %v", terr)
	}
	if r := s.invalidReason(ctx, "g", bt); !strings.Contains(r.Error(), "Self-intersection") {
		t.Fatalf("reason for bow tie: %v", r)
	}
	if n := countRows(t, s, "zones"); n != 0 {
		t.Fatalf("%d rows written", n)
	}

	fine := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "fine", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t0})
	reached := 0
	for _, c := range postgisOnlyInvalid {
		var valid bool
		if err := s.pool.QueryRow(ctx, `SELECT ST_IsValid(ST_GeomFromEWKB($1::bytea))`, mustEncode(t, c.g)).Scan(&valid); err != nil || valid {
			t.Fatalf("%s: PostGIS says valid=%v (%v); the fixture is wrong", c.name, valid, err)
		}
		if zones.ValidateMultiPolygon("g", c.g) != nil {
			t.Logf("%s: already rejected by zones.ValidateMultiPolygon", c.name)
			continue
		}
		reached++
		want := func(what string, err error) {
			t.Helper()
			if !errors.As(err, &ve) || !strings.HasSuffix(ve.Path, "geometry.coordinates") || !strings.Contains(ve.Message, "invalid geometry: ") {
				t.Fatalf("%s, %s: err = %v, want ValidationError at geometry.coordinates with ST_IsValidReason", c.name, what, err)
			}
			t.Logf("%s, %s: %v", c.name, what, err)
		}
		_, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "x", Geometry: c.g, EffectiveFrom: t0})
		want("zone", err)
		_, err = s.CreateCompound(ctx, zones.Compound{Name: "x", Geometry: c.g, Population: 10})
		want("compound", err)
		upd := fine
		upd.Geometry = c.g
		upd.EffectiveFrom = t0.Add(time.Hour)
		_, err = s.UpdateZone(ctx, upd)
		want("update", err)
		_, err = s.CreateZones(ctx, []zones.Zone{
			{Kind: zones.KindSealed, Name: "a", Geometry: rect(5, 5, 6, 6), EffectiveFrom: t0},
			{Kind: zones.KindPrevention, Name: "c", Geometry: c.g, EffectiveFrom: t0},
		})
		want("batch", err)
		if ve.Path != "zones[1].geometry.coordinates" {
			t.Fatalf("batch path %q", ve.Path)
		}
	}
	t.Logf("%d of %d PostGIS-only invalid geometries got past the Go validators", reached, len(postgisOnlyInvalid))
	if n := countRows(t, s, "zones") + countRows(t, s, "compounds"); n != 1 {
		t.Fatalf("%d rows, want only the one valid zone", n)
	}
	got, err := s.GetZone(ctx, fine.ID)
	if err != nil || !orb.Equal(got.Geometry, rect(0, 0, 1, 1)) {
		t.Fatalf("a rejected update changed the zone: %v %v", got.Geometry, err)
	}
}

func mustEncode(t *testing.T, g orb.Geometry) []byte {
	t.Helper()
	b, err := encode(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateZonesAllOrNothing(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	batch := []zones.Zone{
		{Kind: zones.KindSealed, Name: "a", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t0},
		{Kind: zones.KindControlled, Name: "b", Geometry: rect(0, 0, 2, 2), EffectiveFrom: t0},
		{Kind: "bogus", Name: "c", Geometry: rect(0, 0, 3, 3), EffectiveFrom: t0},
	}
	var ve *zones.ValidationError
	if _, err := s.CreateZones(ctx, batch); !errors.As(err, &ve) || ve.Path != "zones[2].properties.kind" {
		t.Fatalf("err = %v, want ValidationError at zones[2].properties.kind", err)
	}
	if n := countRows(t, s, "zones"); n != 0 {
		t.Fatalf("%d zones written by a failed batch", n)
	}
	batch[2].Kind = zones.KindPrevention
	out, err := s.CreateZones(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0].ID >= out[1].ID || out[1].ID >= out[2].ID || out[2].Name != "c" {
		t.Fatalf("batch result: %+v", ids(out))
	}
	if batch[2].ID != 0 {
		t.Fatal("CreateZones modified its input")
	}
	if n := countRows(t, s, "zones"); n != 3 {
		t.Fatalf("%d zones, want 3", n)
	}
	if out, err := s.CreateZones(ctx, nil); err != nil || len(out) != 0 {
		t.Fatalf("empty batch: %v %v", out, err)
	}
}

func TestLiftZone(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	z := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "z", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t1})
	var ve *zones.ValidationError
	for _, at := range []time.Time{t0, t1} {
		if _, err := s.LiftZone(ctx, z.ID, at); !errors.As(err, &ve) {
			t.Fatalf("lift at %v <= start: err = %v, want ValidationError", at, err)
		}
	}
	l, err := s.LiftZone(ctx, z.ID, t2)
	if err != nil || l.EffectiveUntil == nil || !l.EffectiveUntil.Equal(t2) {
		t.Fatalf("lift: %+v %v", l, err)
	}
	if _, err := s.LiftZone(ctx, z.ID, t2.Add(time.Hour)); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("lift after lifted: err = %v, want ErrConflict", err)
	}
	same, err := s.LiftZone(ctx, z.ID, t2)
	if err != nil || !same.UpdatedAt.Equal(l.UpdatedAt) || !same.EffectiveUntil.Equal(t2) {
		t.Fatalf("lift again at the same time must be a no-op: %+v %v", same, err)
	}
	mid := t1.Add(time.Hour + 1500*time.Nanosecond) // truncated to the microsecond
	if l, err = s.LiftZone(ctx, z.ID, mid); err != nil || !l.EffectiveUntil.Equal(mid.Truncate(time.Microsecond)) {
		t.Fatalf("shorten: %+v %v", l, err)
	}
	if _, err := s.LiftZone(ctx, z.ID+1000, t2); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("lift unknown: err = %v, want ErrNotFound", err)
	}
	if zs, err := s.Lookup(ctx, orb.Point{0.5, 0.5}, mid.Add(time.Microsecond)); err != nil || len(zs) != 0 {
		t.Fatalf("lookup after lift: %v %v", ids(zs), err)
	}
	if zs, err := s.Lookup(ctx, orb.Point{0.5, 0.5}, t1); err != nil || len(zs) != 1 {
		t.Fatalf("lookup while active: %v %v", ids(zs), err)
	}

}

// oracle answers Lookup for rectangles: inside or on the boundary, active,
// strictest first, ties by id.
func oracle(all []zones.Zone, p orb.Point, at time.Time) []int64 {
	var hit []zones.Zone
	for _, z := range all {
		b := z.Geometry.Bound()
		if z.ActiveAt(at) && p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1] {
			hit = append(hit, z)
		}
	}
	slices.SortFunc(hit, func(a, b zones.Zone) int {
		if a.Kind.Rank() != b.Kind.Rank() {
			return b.Kind.Rank() - a.Kind.Rank()
		}
		return int(a.ID - b.ID)
	})
	return ids(hit)
}

func TestLookup(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	prev := mustCreate(t, s, zones.Zone{Kind: zones.KindPrevention, Name: "prev", Geometry: rect(0, 0, 10, 10), EffectiveFrom: t0})
	ctrl := mustCreate(t, s, zones.Zone{Kind: zones.KindControlled, Name: "ctrl", Geometry: rect(2, 2, 8, 8), EffectiveFrom: t0})
	seal := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "seal", Geometry: rect(4, 4, 6, 6), EffectiveFrom: t0, EffectiveUntil: ptr(t1)})
	ctrl2 := mustCreate(t, s, zones.Zone{Kind: zones.KindControlled, Name: "ctrl2", Geometry: rect(5, 5, 9, 9), EffectiveFrom: t1})
	cases := []struct {
		name string
		p    orb.Point
		at   time.Time
		want []int64
	}{
		{"centre", orb.Point{5, 5}, t0, []int64{seal.ID, ctrl.ID, prev.ID}},
		{"sealed corner is inside", orb.Point{4, 4}, t0, []int64{seal.ID, ctrl.ID, prev.ID}},
		{"on sealed edge", orb.Point{6, 5}, t0, []int64{seal.ID, ctrl.ID, prev.ID}},
		{"sealed lifted at t1, exclusive", orb.Point{5.5, 5.5}, t1, []int64{ctrl.ID, ctrl2.ID, prev.ID}},
		{"before anything", orb.Point{5, 5}, t0.Add(-time.Nanosecond * 1000), []int64{}},
		{"outside", orb.Point{11, 5}, t0, []int64{}},
		{"outer edge", orb.Point{10, 10}, t0, []int64{prev.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			zs, err := s.Lookup(ctx, tc.p, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(zs), tc.want) {
				t.Fatalf("got %v, want %v", ids(zs), tc.want)
			}
			bs, err := s.LookupBatch(ctx, []orb.Point{tc.p}, tc.at)
			if err != nil || len(bs) != 1 || !slices.Equal(ids(bs[0]), tc.want) {
				t.Fatalf("batch: %v %v", bs, err)
			}
		})
	}
	var ve *zones.ValidationError
	if _, err := s.Lookup(ctx, orb.Point{200, 0}, t0); !errors.As(err, &ve) {
		t.Fatalf("bad point: err = %v", err)
	}
	if _, err := s.LookupBatch(ctx, []orb.Point{{1, 1}, {0, -95}}, t0); !errors.As(err, &ve) || ve.Path != "points[1]" {
		t.Fatalf("bad batch point: err = %v", err)
	}
}

// TestLookupBatchOracle: random rectangles and points (seeded), batch
// answers compared with a brute-force oracle; points are snapped to a grid
// so that many fall exactly on edges and corners.
func TestLookupBatchOracle(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 0))
	kinds := []zones.Kind{zones.KindPrevention, zones.KindControlled, zones.KindSealed}
	var in []zones.Zone
	for i := 0; i < 30; i++ {
		x, y := float64(rng.IntN(20)), float64(rng.IntN(20))
		w, h := float64(1+rng.IntN(6)), float64(1+rng.IntN(6))
		z := zones.Zone{Kind: kinds[rng.IntN(3)], Name: fmt.Sprint("r", i), Geometry: rect(x, y, x+w, y+h),
			EffectiveFrom: t0.Add(time.Duration(rng.IntN(3)) * time.Hour)}
		if rng.IntN(3) == 0 {
			z.EffectiveUntil = ptr(z.EffectiveFrom.Add(time.Duration(1+rng.IntN(2)) * time.Hour))
		}
		in = append(in, z)
	}
	all, err := s.CreateZones(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]orb.Point, 2000)
	for i := range ps {
		ps[i] = orb.Point{float64(rng.IntN(104)) / 4, float64(rng.IntN(104)) / 4}
	}
	for _, at := range []time.Time{t0, t0.Add(90 * time.Minute), t0.Add(3 * time.Hour)} {
		got, err := s.LookupBatch(ctx, ps, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ps) {
			t.Fatalf("%d results for %d points", len(got), len(ps))
		}
		hits := 0
		for i, p := range ps {
			want := oracle(all, p, at)
			hits += len(want)
			if !slices.Equal(ids(got[i]), want) {
				t.Fatalf("at %v point %v: got %v want %v", at, p, ids(got[i]), want)
			}
			for _, z := range got[i] {
				if z.Name == "" || len(z.Geometry) == 0 || z.CreatedAt.IsZero() {
					t.Fatalf("incomplete zone in batch result: %+v", z)
				}
			}
		}
		if hits == 0 {
			t.Fatal("oracle found no hits: test is vacuous")
		}
	}
	if out, err := s.LookupBatch(ctx, nil, t0); err != nil || len(out) != 0 {
		t.Fatalf("empty batch: %v %v", out, err)
	}
}

func TestListZones(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "a", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t0})
	b := mustCreate(t, s, zones.Zone{Kind: zones.KindControlled, Name: "b", Geometry: rect(5, 5, 6, 6), EffectiveFrom: t1})
	c := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "c", Geometry: rect(10, 10, 11, 11), EffectiveFrom: t0, EffectiveUntil: ptr(t1)})
	cases := []struct {
		name string
		f    zones.ZoneFilter
		want []int64
	}{
		{"all", zones.ZoneFilter{}, []int64{a.ID, b.ID, c.ID}},
		{"kind", zones.ZoneFilter{Kind: zones.KindSealed}, []int64{a.ID, c.ID}},
		{"bbox touching edge", zones.ZoneFilter{BBox: &orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{5, 5}}}, []int64{a.ID, b.ID}},
		{"active at t1", zones.ZoneFilter{ActiveAt: ptr(t1)}, []int64{a.ID, b.ID}},
		{"active at t0", zones.ZoneFilter{ActiveAt: ptr(t0)}, []int64{a.ID, c.ID}},
		{"limit", zones.ZoneFilter{Limit: 2}, []int64{a.ID, b.ID}},
		{"offset", zones.ZoneFilter{Limit: 2, Offset: 2}, []int64{c.ID}},
		{"offset only", zones.ZoneFilter{Offset: 1}, []int64{b.ID, c.ID}},
		{"combined", zones.ZoneFilter{Kind: zones.KindSealed, ActiveAt: ptr(t1)}, []int64{a.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListZones(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Fatalf("got %v want %v", ids(got), tc.want)
			}
		})
	}
	var ve *zones.ValidationError
	if _, err := s.ListZones(ctx, zones.ZoneFilter{Limit: -1}); !errors.As(err, &ve) {
		t.Fatalf("negative limit: %v", err)
	}
}

func TestCompoundsAndFacilities(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	c, err := s.CreateCompound(ctx, zones.Compound{Name: "Garden", Geometry: rect(0, 0, 1, 1), Population: 1200,
		Aged60Plus: 300, Households: 450, Gates: []orb.Point{{0, 0.5}, {1, 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.CreateCompound(ctx, zones.Compound{Name: "No gates", Geometry: rect(5, 5, 6, 6), Population: 10})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCompound(ctx, c.ID)
	if err != nil || got.Population != 1200 || got.Aged60Plus != 300 || got.Households != 450 ||
		len(got.Gates) != 2 || got.Gates[1] != (orb.Point{1, 0.5}) || !orb.Equal(got.Geometry, rect(0, 0, 1, 1)) {
		t.Fatalf("compound round trip: %+v %v", got, err)
	}
	if got2, _ := s.GetCompound(ctx, c2.ID); got2.Gates != nil {
		t.Fatalf("gates of gate-less compound: %v", got2.Gates)
	}
	if _, err := s.GetCompound(ctx, 999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown compound: %v", err)
	}
	var ve *zones.ValidationError
	if _, err := s.CreateCompound(ctx, zones.Compound{Name: "x", Geometry: rect(0, 0, 1, 1), Population: 5, Aged60Plus: 6}); !errors.As(err, &ve) || ve.Path != "properties.aged_60_plus" {
		t.Fatalf("aged > population: %v", err)
	}
	cs, err := s.ListCompounds(ctx, &orb.Bound{Min: orb.Point{4, 4}, Max: orb.Point{7, 7}})
	if err != nil || len(cs) != 1 || cs[0].ID != c2.ID {
		t.Fatalf("list compounds bbox: %v %v", cs, err)
	}
	if cs, err := s.ListCompounds(ctx, nil); err != nil || len(cs) != 2 {
		t.Fatalf("list compounds: %v %v", cs, err)
	}

	h, err := s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityHospital, Name: "General", Point: orb.Point{0.5, 0.5},
		Capacity: 300, OpeningHours: "00:00-24:00", Accepts: []zones.HealthCode{zones.CodeGreen, zones.CodeYellow}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilitySupplyPoint, Name: "Gate A", Point: orb.Point{5.5, 5.5}, CompoundID: c2.ID})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := s.GetFacility(ctx, h.ID)
	if err != nil || gh.Point != (orb.Point{0.5, 0.5}) || gh.Capacity != 300 || gh.OpeningHours != "00:00-24:00" ||
		!slices.Equal(gh.Accepts, []zones.HealthCode{zones.CodeGreen, zones.CodeYellow}) || gh.CompoundID != 0 {
		t.Fatalf("facility round trip: %+v %v", gh, err)
	}
	if gs, _ := s.GetFacility(ctx, sp.ID); gs.CompoundID != c2.ID || gs.Accepts != nil {
		t.Fatalf("supply point: %+v", gs)
	}
	if _, err := s.GetFacility(ctx, 999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown facility: %v", err)
	}
	for _, bad := range []zones.Facility{
		{Kind: "clinic", Name: "x", Point: orb.Point{0, 0}},
		{Kind: zones.FacilityDepot, Name: "x", Point: orb.Point{0, 100}},
		{Kind: zones.FacilityDepot, Name: "x", Point: orb.Point{0, 0}, Capacity: -1},
		{Kind: zones.FacilityHospital, Name: "x", Point: orb.Point{0, 0}, Accepts: []zones.HealthCode{"blue"}},
		{Kind: zones.FacilityHospital, Point: orb.Point{0, 0}},
	} {
		if _, err := s.CreateFacility(ctx, bad); !errors.As(err, &ve) {
			t.Fatalf("bad facility %+v: err = %v", bad, err)
		}
	}
	fs, err := s.ListFacilities(ctx, zones.FacilityFilter{Kind: zones.FacilitySupplyPoint})
	if err != nil || len(fs) != 1 || fs[0].ID != sp.ID {
		t.Fatalf("list by kind: %v %v", fs, err)
	}
	fs, err = s.ListFacilities(ctx, zones.FacilityFilter{BBox: &orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{0.5, 0.5}}})
	if err != nil || len(fs) != 1 || fs[0].ID != h.ID {
		t.Fatalf("list by bbox (point on corner): %v %v", fs, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	s2, err := Open(ctx, testDatabaseURL(), WithSchema(s.Schema()))
	if err != nil {
		t.Fatalf("second open on a migrated schema: %v", err)
	}
	defer s2.Close()
	ms, _ := loadMigrations()
	if n := countRows(t, s, "schema_migrations"); n != len(ms) || n == 0 {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if err := s2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	var idx int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING gist%'`, s.Schema()).Scan(&idx); err != nil || idx != 4 { // zones, zone_versions, compounds, facilities
		t.Fatalf("gist indexes: %d %v", idx, err)
	}
}

func TestOpenBadSchema(t *testing.T) {
	for _, name := range []string{"Public", "x;drop", "1abc", "a-b"} {
		if _, err := Open(context.Background(), DefaultTestDatabaseURL, WithSchema(name)); !errors.Is(err, ErrBadSchema) {
			t.Fatalf("schema %q: err = %v, want ErrBadSchema", name, err)
		}
	}
}

// TestConformance runs the suite shared with data/memstore; every subtest
// gets a fresh schema, dropped afterwards.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zones.Store { return openTestStore(t) })
}

// TestLookupBatchChunks: more than MaxBatch points take several round trips
// and still line up with their inputs.
func TestLookupBatchChunks(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := mustCreate(t, s, zones.Zone{Kind: zones.KindSealed, Name: "a", Geometry: rect(0, 0, 1, 1), EffectiveFrom: t0})
	b := mustCreate(t, s, zones.Zone{Kind: zones.KindPrevention, Name: "b", Geometry: rect(0, 0, 2, 2), EffectiveFrom: t0})
	n := MaxBatch + 57
	ps := make([]orb.Point, n)
	want := make([][]int64, n)
	for i := range ps {
		switch i % 3 {
		case 0:
			ps[i], want[i] = orb.Point{0.5, 0.5}, []int64{a.ID, b.ID}
		case 1:
			ps[i], want[i] = orb.Point{1.5, 1.5}, []int64{b.ID}
		default:
			ps[i], want[i] = orb.Point{5, 5}, []int64{}
		}
	}
	got, err := s.LookupBatch(ctx, ps, t1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d results for %d points", len(got), n)
	}
	for i := range got {
		if !slices.Equal(ids(got[i]), want[i]) {
			t.Fatalf("point %d %v: got %v want %v", i, ps[i], ids(got[i]), want[i])
		}
	}
}

// TestAuthConformance runs the accounts suite shared with data/memstore.
func TestAuthConformance(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) accounts.Store { return openTestStore(t) })
}

// TestAuditAppendOnly: the audit table refuses UPDATE and DELETE even
// through plain SQL.
func TestAuditAppendOnly(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if _, err := s.AppendAudit(ctx, accounts.AuditEntry{Actor: "a", Role: accounts.RoleAdmin, Entity: "zone"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET actor = 'b'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := s.pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	es, _ := s.ListAudit(ctx, accounts.AuditFilter{})
	if len(es) != 1 || es[0].Actor != "a" {
		t.Fatalf("audit changed: %+v", es)
	}
}
