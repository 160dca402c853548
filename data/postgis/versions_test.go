package postgis

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"lifeline/zones"
)

// A database created before zone history (migration 0001 only, zones
// written) is migrated by 0002: every zone becomes its version 1, with the
// same answers, and can then be updated.
func TestMigration0002KeepsExistingZones(t *testing.T) {
	if err := probe(); err != nil {
		skipOrFatal(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	schema := randomSchema(t)
	t.Cleanup(func() { dropSchema(t, schema) })
	conn, err := pgx.Connect(ctx, testDatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Make sure PostGIS exists (in public), as Open would.
	if s, err := Open(ctx, testDatabaseURL(), WithSchema(schema+"_x")); err == nil {
		s.Close()
		t.Cleanup(func() { dropSchema(t, schema+"_x") })
	}
	init, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	id := pgx.Identifier{schema}.Sanitize()
	for _, q := range []string{
		`CREATE SCHEMA ` + id,
		`SET search_path = ` + id + `, public`,
		string(init),
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init')`,
		`INSERT INTO zones (kind, name, reason, geom, effective_from, effective_until, created_at, updated_at) VALUES
			('sealed', 'old A', 'r', ST_Multi(ST_MakeEnvelope(104, 30.6, 104.01, 30.61, 4326)), '2026-04-01T08:00:00Z', '2026-04-05T08:00:00Z', '2026-04-01T08:00:00Z', '2026-04-02T08:00:00Z'),
			('controlled', 'old B', '', ST_Multi(ST_MakeEnvelope(104.02, 30.6, 104.03, 30.61, 4326)), '2026-04-01T08:00:00Z', NULL, '2026-04-01T08:00:00Z', '2026-04-01T08:00:00Z')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	s, err := Open(ctx, testDatabaseURL(), WithSchema(schema))
	if err != nil {
		t.Fatalf("open (migrating to 0002): %v", err)
	}
	defer s.Close()
	a, err := s.GetZone(ctx, 1)
	if err != nil || a.Version != 1 || a.Name != "old A" || a.EffectiveUntil == nil || !a.UpdatedAt.Equal(time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("zone 1 after migration: %+v, %v", a, err)
	}
	h, err := s.ZoneHistory(ctx, 2)
	if err != nil || len(h) != 1 || h[0].Version != 1 || h[0].Name != "old B" {
		t.Fatalf("history of zone 2 after migration: %+v, %v", h, err)
	}
	at := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)
	zs, err := s.Lookup(ctx, orb.Point{104.005, 30.605}, at)
	if err != nil || len(zs) != 1 || zs[0].ID != 1 {
		t.Fatalf("lookup after migration: %+v, %v", zs, err)
	}
	b := h[0]
	b.Kind = zones.KindSealed
	b.EffectiveFrom = time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)
	if got, err := s.UpdateZone(ctx, b); err != nil || got.Version != 2 {
		t.Fatalf("update after migration: %+v, %v", got, err)
	}
	zs, err = s.Lookup(ctx, orb.Point{104.025, 30.605}, at)
	if err != nil || len(zs) != 1 || zs[0].Kind != zones.KindControlled {
		t.Fatalf("lookup before the update: %+v, %v", zs, err)
	}
	// New zones get ids after the migrated ones.
	c, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindPrevention, Name: "new", Geometry: rect(0, 0, 1, 1), EffectiveFrom: at})
	if err != nil || c.ID != 3 {
		t.Fatalf("create after migration: %+v, %v", c, err)
	}
}

// BenchmarkImportUnchanged1000 re-imports 1,000 zones that are all
// unchanged (the idempotent re-import of an export), in one transaction.
func BenchmarkImportUnchanged1000(b *testing.B) {
	s := openTestStore(b)
	ctx := context.Background()
	var zs []zones.Zone
	for i := range 1000 {
		x := float64(i%40) * 0.01
		y := float64(i/40) * 0.01
		zs = append(zs, zones.Zone{Kind: zones.KindControlled, Name: "z", Geometry: rect(104+x, 30+y, 104.005+x, 30.005+y),
			EffectiveFrom: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	}
	created, err := s.CreateZones(ctx, zs)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := s.ImportZones(ctx, created)
		if err != nil || res.Unchanged != len(created) {
			b.Fatalf("%+v, %v", res.Unchanged, err)
		}
	}
}
