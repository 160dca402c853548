package memstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/data/storetest"
	"lifeline/zones"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zones.Store { return New() })
}

func TestConformancePersisted(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zones.Store {
		s, err := Open(filepath.Join(t.TempDir(), "snapshot.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSnapshotRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lifeline.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Empty() {
		t.Fatal("new store not empty")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("JSON snapshot written: %v", err)
	}
	g := storetest.Rect(104.00, 30.60, 104.01, 30.61)
	g[0] = append(g[0], orb.Ring{{104.004, 30.604}, {104.004, 30.606}, {104.006, 30.606}, {104.006, 30.604}, {104.004, 30.604}})
	z, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "A", Reason: "cluster", Geometry: g,
		EffectiveFrom: storetest.T0.Add(123456789 * time.Nanosecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LiftZone(ctx, z.ID, storetest.T0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCompound(ctx, zones.Compound{Name: "C", Geometry: storetest.Rect(104.001, 30.601, 104.002, 30.602), Population: 10, Aged60Plus: 2, Gates: []orb.Point{{104.001, 30.601}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilitySupplyPoint, Name: "F", Point: orb.Point{104.0015, 30.6015}, CompoundID: c.ID, Accepts: []zones.HealthCode{zones.CodeGreen}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateZone(ctx, zones.Zone{Kind: "bad"}); err == nil {
		t.Fatal("invalid zone accepted")
	}
	wantZ, _ := s.GetZone(ctx, z.ID)
	s.Close()
	if err := s.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close = %v", err)
	}

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Empty() {
		t.Fatal("reopened store is empty")
	}
	gotZ, err := r.GetZone(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gotZ.Name != wantZ.Name || gotZ.Kind != wantZ.Kind || gotZ.Reason != wantZ.Reason || !orb.Equal(gotZ.Geometry, wantZ.Geometry) ||
		!gotZ.EffectiveFrom.Equal(wantZ.EffectiveFrom) || gotZ.EffectiveUntil == nil || !gotZ.EffectiveUntil.Equal(*wantZ.EffectiveUntil) ||
		!gotZ.CreatedAt.Equal(wantZ.CreatedAt) || !gotZ.UpdatedAt.Equal(wantZ.UpdatedAt) {
		t.Errorf("reopened zone %+v, want %+v", gotZ, wantZ)
	}
	if !gotZ.EffectiveFrom.Equal(storetest.T0.Add(123456 * time.Microsecond)) {
		t.Errorf("EffectiveFrom %v not truncated to microseconds", gotZ.EffectiveFrom)
	}
	if got, _ := r.Lookup(ctx, orb.Point{104.002, 30.602}, storetest.T0.Add(time.Hour)); len(got) != 1 || got[0].ID != z.ID {
		t.Errorf("Lookup after restart = %v", got)
	}
	if got, _ := r.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("Lookup in the hole after restart = %v", got)
	}
	gotC, err := r.GetCompound(ctx, c.ID)
	if err != nil || gotC.Population != 10 || !orb.Equal(gotC.Geometry, c.Geometry) || len(gotC.Gates) != 1 {
		t.Errorf("reopened compound %+v, %v", gotC, err)
	}
	gotF, err := r.GetFacility(ctx, f.ID)
	if err != nil || gotF.CompoundID != c.ID || gotF.Point != f.Point || len(gotF.Accepts) != 1 {
		t.Errorf("reopened facility %+v, %v", gotF, err)
	}
	// New ids continue after the loaded ones.
	z2, err := r.CreateZone(ctx, zones.Zone{Kind: zones.KindPrevention, Name: "B", Geometry: storetest.Rect(104.02, 30.60, 104.03, 30.61), EffectiveFrom: storetest.T0})
	if err != nil || z2.ID != z.ID+1 {
		t.Errorf("zone after restart: id %d, err %v", z2.ID, err)
	}
	// Only the log directory is beside path.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != "lifeline" || !entries[0].IsDir() {
		t.Errorf("directory holds %v, want only the log directory", entries)
	}
}

func TestOpenCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte("{not json"), 0o644)
	if _, err := Open(path); err == nil {
		t.Fatal("Open accepted a corrupt snapshot")
	}
}

// failingLog is a log whose Write or Sync fails on demand.
type failingLog struct {
	logWriter
	failWrite, failSync bool
}

func (f *failingLog) Write(rec []byte) (uint64, error) {
	if f.failWrite {
		return 0, errors.New("disk full")
	}
	return f.logWriter.Write(rec)
}

func (f *failingLog) Sync(seq uint64) error {
	if f.failSync {
		return errors.New("fsync: input/output error")
	}
	return f.logWriter.Sync(seq)
}

// A write the log refuses changes nothing; after a failed write or fsync
// the store refuses every write and Ping says why.
func TestLogFailureLeavesStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	for _, failSync := range []bool{false, true} {
		s, err := Open(filepath.Join(t.TempDir(), "store.json"))
		if err != nil {
			t.Fatal(err)
		}
		fl := &failingLog{logWriter: s.persist.log, failWrite: !failSync, failSync: failSync}
		s.persist.log = fl
		_, err = s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "A", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0})
		if err == nil {
			t.Fatal("write into a failing log succeeded")
		}
		if !failSync {
			if !s.Empty() {
				t.Error("a refused write left the zone in memory")
			}
			if got, _ := s.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0); len(got) != 0 {
				t.Errorf("Lookup after failed write = %v", got)
			}
		}
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping after a failed log write = nil")
		}
		fl.failWrite, fl.failSync = false, false
		if _, err := s.CreateCompound(ctx, zones.Compound{Name: "C", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), Gates: []orb.Point{{104, 30.6}}}); err == nil {
			t.Error("write after a log failure accepted")
		}
		s.Close()
	}
}

// TestConcurrentUse runs look-ups, lists and writes in parallel; run it with
// -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "snap.json"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for w := 0; w < 2; w++ {
		go func(w int) {
			for i := 0; i < 20; i++ {
				x := 104 + float64(w)*0.1 + float64(i)*0.002
				z, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "c", Geometry: storetest.Rect(x, 30.6, x+0.001, 30.601), EffectiveFrom: storetest.T0})
				if err != nil {
					done <- err
					return
				}
				if i%3 == 0 {
					if _, err := s.LiftZone(ctx, z.ID, storetest.T0.Add(time.Hour)); err != nil {
						done <- err
						return
					}
				}
			}
			done <- nil
		}(w)
	}
	for r := 0; r < 4; r++ {
		go func() {
			for i := 0; i < 200; i++ {
				p := orb.Point{104.0005 + float64(i%20)*0.002, 30.6005}
				if _, err := s.Lookup(ctx, p, storetest.T0.Add(time.Minute)); err != nil {
					done <- err
					return
				}
				if _, err := s.ListZones(ctx, zones.ZoneFilter{Kind: zones.KindSealed}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 6; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.ListZones(ctx, zones.ZoneFilter{})
	if len(all) != 40 {
		t.Fatalf("%d zones, want 40", len(all))
	}
	for i, z := range all {
		if z.ID != int64(i+1) {
			t.Fatalf("zone %d has id %d", i, z.ID)
		}
	}
}

// snapshotV1 is a format-1 snapshot (one version per zone), as written
// before zone history.
const snapshotV1 = `{"version":1,"saved_at":"2026-04-01T08:00:00Z","zones":[
{"id":1,"kind":"sealed","name":"A","reason":"r","effective_from":"2026-04-01T08:00:00Z","effective_until":"2026-04-03T08:00:00Z",
 "created_at":"2026-04-01T08:00:00Z","updated_at":"2026-04-02T08:00:00Z",
 "geometry":[[[[104,30.6],[104.01,30.6],[104.01,30.61],[104,30.61],[104,30.6]]]]}],
"compounds":[],"facilities":[]}`

// A JSON snapshot of the earlier store (format 1 here) is imported into
// the log once and kept renamed; later writes go to the log.
func TestOpenImportsFormat1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v1.json")
	if err := os.WriteFile(path, []byte(snapshotV1), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(path + ".imported"); err != nil || string(raw) != snapshotV1 {
		t.Fatalf("backup of the imported snapshot: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("imported snapshot still at %s: %v", path, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1", "snapshot")); err != nil {
		t.Fatalf("no log snapshot after import: %v", err)
	}
	z, err := s.GetZone(ctx, 1)
	if err != nil || z.Version != 1 || z.Name != "A" || z.EffectiveUntil == nil {
		t.Fatalf("zone from a format-1 snapshot: %+v, %v", z, err)
	}
	u := z
	u.Name = "A2"
	u.EffectiveFrom = storetest.T0.Add(24 * time.Hour)
	if _, err := s.UpdateZone(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open while the first is open = %v, want ErrLocked", err)
	}
	s.Close()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := r.ZoneHistory(ctx, 1)
	if err != nil || len(h) != 2 || h[0].Name != "A" || h[1].Name != "A2" || !h[0].EffectiveUntil.Equal(u.EffectiveFrom) {
		t.Fatalf("history after reopen: %+v, %v", h, err)
	}
	if got, _ := r.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0.Add(time.Hour)); len(got) != 1 || got[0].Name != "A" {
		t.Errorf("look-up before the update after reopen: %+v", got)
	}
	if got, _ := r.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0.Add(25*time.Hour)); len(got) != 1 || got[0].Name != "A2" {
		t.Errorf("look-up after the update after reopen: %+v", got)
	}
	if rec := r.Recovery(); !rec.Snapshot || rec.Records != 1 {
		t.Errorf("recovery %+v, want the import snapshot and one record", rec)
	}
}

// A snapshot holding an invalid record is refused with an error that names
// it; the file is left alone.
func TestOpenRefusesInvalidSnapshot(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"bow-tie geometry", `[[104,30.6],[104.01,30.6],[104.01,30.61],[104,30.61],[104,30.6]]`,
			`[[104,30.6],[104.01,30.61],[104.01,30.6],[104,30.61],[104,30.6]]`, "zone 1 version 1: invalid geometry.coordinates"},
		{"unclosed ring", `[104,30.61],[104,30.6]]`, `[104,30.61]]`, "zone 1 version 1: invalid geometry"},
		{"unknown kind", `"kind":"sealed"`, `"kind":"closed"`, "zone 1 version 1: invalid properties.kind"},
		{"NUL in name", `"name":"A"`, `"name":"A\u0000"`, "zone 1 version 1: invalid properties.name"},
		{"empty window", `"effective_until":"2026-04-03T08:00:00Z"`, `"effective_until":"2026-04-01T08:00:00Z"`, "properties.effective_until"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := strings.Replace(snapshotV1, c.from, c.to, 1)
			if bad == snapshotV1 {
				t.Fatal("case does not change the snapshot")
			}
			path := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v, want an error naming %s and %q", err, path, c.want)
			}
			if raw, _ := os.ReadFile(path); string(raw) != bad {
				t.Error("Open changed the refused snapshot")
			}
		})
	}
	// A broken version chain (format 2).
	path := filepath.Join(t.TempDir(), "chain.json")
	v1 := `{"kind":"sealed","name":"A","version":1,"id":1,"effective_from":"2026-04-01T08:00:00Z","effective_until":"2026-04-01T09:00:00Z",` +
		`"created_at":"2026-04-01T08:00:00Z","updated_at":"2026-04-01T08:00:00Z","geometry":[[[[104,30.6],[104.01,30.6],[104.01,30.61],[104,30.61],[104,30.6]]]]}`
	v2 := strings.NewReplacer(`"version":1`, `"version":2`, `"effective_from":"2026-04-01T08:00:00Z","effective_until":"2026-04-01T09:00:00Z"`,
		`"effective_from":"2026-04-01T10:00:00Z"`).Replace(v1)
	broken := `{"version":2,"saved_at":"2026-04-01T08:00:00Z","zones":[{"id":1,"versions":[` + v1 + "," + v2 + `]}],"compounds":[],"facilities":[]}`
	os.WriteFile(path, []byte(broken), 0o644)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "does not start where version 1 ends") {
		t.Fatalf("Open of a broken chain = %v", err)
	}
	// The same chain unbroken is accepted.
	os.WriteFile(path, []byte(strings.Replace(broken, "10:00:00Z", "09:00:00Z", 1)), 0o644)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of the repaired chain: %v", err)
	}
	if h, err := s.ZoneHistory(context.Background(), 1); err != nil || len(h) != 2 {
		t.Fatalf("history of the repaired chain: %v %v", h, err)
	}
	s.Close()
}

// Temporary files a kill -9 left between create and rename are removed
// at Open; other files are not touched.
func TestOpenRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.json")
	if err := os.WriteFile(path, []byte(snapshotV1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"store.json.tmp-123", "store.json.tmp-abc", "other.json.tmp-1", "store.jsonx"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "other.json.tmp-1,store,store.json.imported,store.jsonx" {
		t.Errorf("files after Open: %v", left)
	}
}

func TestAuthConformance(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) accounts.Store {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestAuthConformancePersisted(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) accounts.Store {
		s, err := Open(filepath.Join(t.TempDir(), "snapshot.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestAuthSurvivesRestart: accounts, credentials and the audit trail are
// read back from accounts.json and audit.jsonl, which nobody else may read.
func TestAuthSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.json")
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, accounts.Account{Username: "ann", Role: accounts.RoleAdmin, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	_, hash := accounts.NewSecret()
	c, err := s.CreateCredential(ctx, accounts.Credential{AccountID: a.ID, Kind: accounts.KindToken, Hash: hash, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, accounts.AuditEntry{Actor: "ann", Entity: "zone", EntityID: "3"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, f := range []string{"accounts.json", "audit.jsonl"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gc, ga, err := s.CredentialByHash(ctx, hash)
	if err != nil || gc.ID != c.ID || ga.Username != "ann" || ga.PasswordHash != "h" {
		t.Fatalf("after restart: %+v %+v %v", gc, ga, err)
	}
	_, h2 := accounts.NewSecret()
	c2, err := s.CreateCredential(ctx, accounts.Credential{AccountID: a.ID, Kind: accounts.KindSession, Hash: h2, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil || c2.ID <= c.ID {
		t.Fatalf("credential ids after restart: %+v %v", c2, err)
	}
	es, err := s.ListAudit(ctx, accounts.AuditFilter{Entity: "zone"})
	if err != nil || len(es) != 1 || es[0].EntityID != "3" {
		t.Fatalf("audit after restart: %+v %v", es, err)
	}
	e2, err := s.AppendAudit(ctx, accounts.AuditEntry{Actor: "ann", Entity: "zone"})
	if err != nil || e2.ID <= es[0].ID {
		t.Fatalf("audit id after restart: %+v %v", e2, err)
	}
}

// TestAuthSeesOtherProcess: `lifeline user add` changes the files while
// the server runs; the server's store picks the changes up.
func TestAuthSeesOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.json")
	ctx := context.Background()
	server, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.ListAccounts(ctx); err != nil { // loaded before the other writer
		t.Fatal(err)
	}
	cli := OpenAccounts(path)
	if _, err := cli.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "A", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61)}); err == nil {
		t.Fatal("an accounts-only store accepted a zone write")
	}
	a, err := cli.CreateAccount(ctx, accounts.Account{Username: "new.driver", Role: accounts.RoleDriver})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := accounts.Issue(ctx, cli, a.ID, accounts.KindToken, "", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AppendAudit(ctx, accounts.AuditEntry{Actor: "cli", Entity: "account", EntityID: "1"}); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	if _, acc, err := server.CredentialByHash(ctx, accounts.HashSecret(secret)); err != nil || acc.Username != "new.driver" {
		t.Fatalf("server does not see the new token: %+v %v", acc, err)
	}
	if es, err := server.ListAudit(ctx, accounts.AuditFilter{}); err != nil || len(es) != 1 || es[0].Actor != "cli" {
		t.Fatalf("server does not see the audit entry: %+v %v", es, err)
	}
	if e, err := server.AppendAudit(ctx, accounts.AuditEntry{Actor: "srv"}); err != nil || e.ID != 2 {
		t.Fatalf("next audit id: %+v %v", e, err)
	}
}
