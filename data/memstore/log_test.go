package memstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/storetest"
	"lifeline/zones"
)

func quietOpen(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := OpenWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dump is everything a store answers, as JSON (geometries included), for
// comparing two stores.
func dump(t *testing.T, s *Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	all, err := s.ListZones(ctx, zones.ZoneFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range all {
		h, err := s.ZoneHistory(ctx, z.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range h {
			enc.Encode(snapVersion{Zone: v, Geometry: v.Geometry})
		}
	}
	cs, _ := s.ListCompounds(ctx, nil)
	for _, c := range cs {
		enc.Encode(snapCompound{Compound: c, Geometry: c.Geometry})
	}
	fs, _ := s.ListFacilities(ctx, zones.FacilityFilter{})
	enc.Encode(fs)
	rng := rand.New(rand.NewPCG(4, 4))
	for range 300 {
		p := orb.Point{104 + 0.1*rng.Float64(), 30.6 + 0.02*rng.Float64()}
		for _, h := range []time.Duration{0, 90 * time.Minute, 30 * time.Hour, 100 * time.Hour} {
			got, err := s.Lookup(ctx, p, storetest.T0.Add(h))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(&b, p, h)
			for _, z := range got {
				fmt.Fprintf(&b, " %d/%d", z.ID, z.Version)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// everyKindOfWrite runs creates (single and batch), updates, lifts,
// imports (created, updated, lifted, unchanged, a key moved), compounds and
// facilities, and failed writes that must leave no trace.
func everyKindOfWrite(t *testing.T, s *Store, round int) {
	t.Helper()
	ctx := context.Background()
	x := 104 + 0.01*float64(round)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "a", ExternalKey: fmt.Sprintf("a%d", round), Geometry: storetest.Rect(x, 30.6, x+0.004, 30.604), EffectiveFrom: storetest.T0})
	must(err)
	batch, err := s.CreateZones(ctx, []zones.Zone{
		{Kind: zones.KindControlled, Name: "b", Geometry: storetest.Rect(x+0.002, 30.602, x+0.006, 30.606), EffectiveFrom: storetest.T0},
		{Kind: zones.KindPrevention, Name: "c", Reason: "r\u00e9", Geometry: storetest.Rect(x, 30.6, x+0.009, 30.609), EffectiveFrom: storetest.T0.Add(time.Hour)},
	})
	must(err)
	u := a
	u.Name, u.Geometry, u.EffectiveFrom = "a2", storetest.Rect(x, 30.6, x+0.005, 30.605), storetest.T0.Add(2*time.Hour)
	_, err = s.UpdateZone(ctx, u)
	must(err)
	_, err = s.LiftZone(ctx, batch[0].ID, storetest.T0.Add(48*time.Hour))
	must(err)
	_, err = s.LiftZone(ctx, batch[0].ID, storetest.T0.Add(40*time.Hour)) // moved earlier
	must(err)
	imp := []zones.Zone{
		{ExternalKey: fmt.Sprintf("a%d", round), Kind: zones.KindSealed, Name: "a3", Geometry: storetest.Rect(x, 30.6, x+0.003, 30.603), EffectiveFrom: storetest.T0.Add(3 * time.Hour)},
		{ID: batch[1].ID, Kind: batch[1].Kind, Name: batch[1].Name, Reason: batch[1].Reason, Geometry: batch[1].Geometry, EffectiveUntil: ptrTime(storetest.T0.Add(72 * time.Hour))},
		{ID: batch[0].ID, Kind: batch[0].Kind, Name: batch[0].Name, Geometry: batch[0].Geometry}, // unchanged
		{ExternalKey: fmt.Sprintf("new%d", round), Kind: zones.KindControlled, Name: "d", Geometry: storetest.Rect(x+0.005, 30.6, x+0.008, 30.603), EffectiveFrom: storetest.T0},
	}
	res, err := s.ImportZones(ctx, imp)
	must(err)
	if res.Created != 1 || res.Updated != 2 || res.Unchanged != 1 {
		t.Fatalf("import: %+v", res)
	}
	// A key given to a zone matched by id.
	_, err = s.ImportZones(ctx, []zones.Zone{{ID: batch[0].ID, ExternalKey: fmt.Sprintf("b%d", round), Kind: zones.KindControlled, Name: "b2", Geometry: batch[0].Geometry, EffectiveFrom: storetest.T0.Add(5 * time.Hour)}})
	must(err)
	// Refused writes: conflict in a batch, key taken, all or nothing.
	if _, err := s.CreateZones(ctx, []zones.Zone{
		{Kind: zones.KindSealed, Name: "x", ExternalKey: "dup", Geometry: storetest.Rect(x, 30.61, x+0.001, 30.611)},
		{Kind: zones.KindSealed, Name: "y", ExternalKey: "dup", Geometry: storetest.Rect(x, 30.61, x+0.001, 30.611)},
	}); err == nil {
		t.Fatal("duplicate keys in one batch accepted")
	}
	if _, err := s.ImportZones(ctx, []zones.Zone{
		{ExternalKey: fmt.Sprintf("fresh%d", round), Kind: zones.KindSealed, Name: "z", Geometry: storetest.Rect(x, 30.61, x+0.001, 30.611)},
		{ID: batch[1].ID, ExternalKey: fmt.Sprintf("a%d", round), Kind: zones.KindSealed, Name: "steal", Geometry: storetest.Rect(x, 30.61, x+0.001, 30.611)},
	}); err == nil {
		t.Fatal("import stealing a key accepted")
	}
	c, err := s.CreateCompound(ctx, zones.Compound{Name: "C", Geometry: storetest.Rect(x+0.001, 30.601, x+0.002, 30.602), Population: 10 + round, Aged60Plus: 2, Gates: []orb.Point{{x + 0.001, 30.601}}})
	must(err)
	_, err = s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityHospital, Name: "H", Point: orb.Point{x + 0.0015, 30.6015}, CompoundID: c.ID, Accepts: []zones.HealthCode{zones.CodeGreen, zones.CodeRed}})
	must(err)
	_, err = s.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityDepot, Name: "D", Point: orb.Point{x + 0.003, 30.603}})
	must(err)
}

func ptrTime(t time.Time) *time.Time { return &t }

// TestReopenAfterEveryWrite: a store reopened after every kind of write
// (from the log alone, from a snapshot plus log, and from a snapshot
// alone) answers exactly as before closing.
func TestReopenAfterEveryWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.json")
	s := quietOpen(t, path, Options{})
	s.SetClock(func() time.Time { return storetest.T0.Add(30 * time.Minute) })
	everyKindOfWrite(t, s, 0)
	want := dump(t, s)
	s.Close()
	// Each round of everyKindOfWrite is 10 records.
	wantRec := []struct {
		snapshot bool
		records  int
	}{{false, 10}, {true, 10}, {true, 20}, {true, 0}}
	for step := 1; step <= 4; step++ {
		s = quietOpen(t, path, Options{})
		if got := dump(t, s); got != want {
			t.Fatalf("step %d: reopened store differs:\n%s", step, firstLineDiff(got, want))
		}
		if rec, w := s.Recovery(), wantRec[step-1]; rec.Snapshot != w.snapshot || rec.Records != w.records {
			t.Errorf("step %d: recovery %+v, want snapshot %v and %d records", step, rec, w.snapshot, w.records)
		}
		if step == 4 {
			s.Close()
			break
		}
		if step != 2 {
			if err := s.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		s.SetClock(func() time.Time { return storetest.T0.Add(45 * time.Minute) })
		everyKindOfWrite(t, s, step)
		if step == 3 {
			if err := s.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		want = dump(t, s)
		s.Close()
	}
}

func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(al), len(bl))
}

// TestBackgroundCompaction: with a small threshold the log is compacted
// while writers go on; nothing is lost and the old segments go away.
func TestBackgroundCompaction(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.json")
	s := quietOpen(t, path, Options{CompactBytes: 4 << 10})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range 40 {
				if _, err := s.CreateZone(ctx, cityZone(w*40+i, rng)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := dump(t, s)
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(LogDir(path), "wal-*.log"))
	if len(segs) > 3 {
		t.Errorf("%d segments left after compaction", len(segs))
	}
	s = quietOpen(t, path, Options{})
	defer s.Close()
	if rec := s.Recovery(); !rec.Snapshot {
		t.Errorf("no snapshot after background compaction: %+v", rec)
	}
	if got := dump(t, s); got != want {
		t.Fatalf("after compaction and reopen:\n%s", firstLineDiff(got, want))
	}
	all, _ := s.ListZones(ctx, zones.ZoneFilter{})
	if len(all) != 320 {
		t.Fatalf("%d zones, want 320", len(all))
	}
}

// TestTornRecordDropped: a half-written last record is dropped with a
// warning on the logger and in Recovery; what came before stays.
func TestTornRecordDropped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.json")
	s := quietOpen(t, path, Options{})
	z, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "kept", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(LogDir(path), "wal-*.log"))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	f, err := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, '{', '"', 'z'}) // header promising 200 bytes, 3 written
	f.Close()
	var logged bytes.Buffer
	s = quietOpen(t, path, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	defer s.Close()
	if rec := s.Recovery(); rec.TornBytes != 11 || rec.Records != 1 {
		t.Errorf("recovery %+v, want 11 torn bytes after 1 record", rec)
	}
	if !strings.Contains(logged.String(), "torn record") || !strings.Contains(logged.String(), "bytes=11") {
		t.Errorf("log output %q does not report the torn record", logged.String())
	}
	if got, err := s.GetZone(ctx, z.ID); err != nil || got.Name != "kept" {
		t.Fatalf("zone before the torn record: %+v %v", got, err)
	}
	if z2, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "next", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0}); err != nil || z2.ID != 2 {
		t.Fatalf("write after recovery: %+v %v", z2, err)
	}
}

// TestKillDuringCreates runs 200 concurrent zone creates in a child
// process, kills it with SIGKILL meanwhile, reopens the store and checks
// that every create the child acknowledged is there, with its content.
// Five rounds.
func TestKillDuringCreates(t *testing.T) {
	if dir := os.Getenv("MEMSTORE_CHILD_DIR"); dir != "" {
		childCreates(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "store.json")
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringCreates$")
		cmd.Env = append(os.Environ(), "MEMSTORE_CHILD_DIR="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[int64]string{}
		read := func(line string) {
			var id int64
			var name string
			if _, err := fmt.Sscanf(line, "ack %d %s", &id, &name); err == nil {
				acked[id] = name
			}
		}
		sc := bufio.NewScanner(out)
		deadline := time.Now().Add(20 * time.Second)
		for sc.Scan() {
			read(sc.Text())
			if len(acked) >= 300+round*150 || time.Now().After(deadline) {
				break
			}
		}
		cmd.Process.Kill()
		rest, _ := io.ReadAll(out)
		for _, line := range strings.Split(string(rest), "\n") {
			read(line)
		}
		cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing", round)
		}
		s := quietOpen(t, path, Options{})
		ctx := context.Background()
		all, err := s.ListZones(ctx, zones.ZoneFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for id, name := range acked {
			z, err := s.GetZone(ctx, id)
			if err != nil || z.Name != name {
				t.Fatalf("round %d: acknowledged zone %d (%s) lost: %+v %v (%d acked, %d replayed, %+v)", round, id, name, z, err, len(acked), len(all), s.Recovery())
			}
		}
		for i, z := range all {
			if z.ID != int64(i+1) {
				t.Fatalf("round %d: zone %d has id %d", round, i, z.ID)
			}
		}
		t.Logf("round %d: %d acknowledged, %d replayed, torn %d bytes", round, len(acked), len(all), s.Recovery().TornBytes)
		s.Close()
	}
}

func childCreates(path string) {
	s, err := OpenWith(path, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CompactBytes: 256 << 10})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	ctx := context.Background()
	for g := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for i := 0; ; i++ {
				z := cityZone(g*1000+i, rng)
				z.Name = "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
				got, err := s.CreateZone(ctx, z)
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintf(w, "ack %d %s\n", got.ID, z.Name)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestTooLargeWriteRefused: a write too large for one log record is a
// validation error that changes nothing, and the store goes on.
func TestTooLargeWriteRefused(t *testing.T) {
	old := maxRecord
	maxRecord = 4000
	defer func() { maxRecord = old }()
	ctx := context.Background()
	s := quietOpen(t, filepath.Join(t.TempDir(), "store.json"), Options{})
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	var zs []zones.Zone
	for i := range 20 {
		zs = append(zs, cityZone(i, rng))
	}
	_, err := s.CreateZones(ctx, zs)
	var ve *zones.ValidationError
	if !errors.As(err, &ve) || ve.Path != "features" {
		t.Fatalf("too large a write = %v, want a validation error", err)
	}
	if !s.Empty() || s.Ping(ctx) != nil {
		t.Fatalf("after a refused write: empty %v, ping %v", s.Empty(), s.Ping(ctx))
	}
	if _, err := s.CreateZones(ctx, zs[:2]); err != nil {
		t.Fatalf("small write after a refused one: %v", err)
	}
}

// FuzzReplayRecord feeds arbitrary bytes to the replay of one log record
// over a store holding two zones (one with a key), a compound and a
// facility: no panic; a refused record changes nothing; an accepted one
// leaves every zone a valid chain whose key index matches.
func FuzzReplayRecord(f *testing.F) {
	seed := New()
	ctx := context.Background()
	z, _ := seed.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "a", ExternalKey: "k", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0})
	ended, next, _ := zones.PlanUpdate(z, zones.Zone{Kind: zones.KindControlled, Name: "b", Geometry: storetest.Rect(104, 30.6, 104.02, 30.62), EffectiveFrom: storetest.T0.Add(time.Hour)}, storetest.T0)
	for _, r := range []logRecord{
		{Zones: []snapVersion{{Zone: ended, Geometry: ended.Geometry}, {Zone: next, Geometry: next.Geometry}}},
		{Zones: []snapVersion{{Zone: zones.Zone{ID: 2, Version: 1, Kind: zones.KindSealed, Name: "n", ExternalKey: "k", EffectiveFrom: storetest.T0}, Geometry: storetest.Rect(104, 30.6, 104.01, 30.61)}}},
		{Compound: &snapCompound{Compound: zones.Compound{ID: 1, Name: "c", Gates: []orb.Point{{104, 30.6}}}, Geometry: storetest.Rect(104, 30.6, 104.01, 30.61)}},
		{Facility: &zones.Facility{ID: 1, Kind: zones.FacilityDepot, Name: "d", Point: orb.Point{104, 30.6}}},
	} {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte(`{"zones":[{"id":1,"version":3}]}`))
	f.Add([]byte(`{"zones":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New()
		if _, err := s.CreateZones(ctx, []zones.Zone{
			{Kind: zones.KindSealed, Name: "a", ExternalKey: "k", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0},
			{Kind: zones.KindPrevention, Name: "p", Geometry: storetest.Rect(104.1, 30.6, 104.11, 30.61), EffectiveFrom: storetest.T0},
		}); err != nil {
			t.Fatal(err)
		}
		before := fmt.Sprint(s.zones, s.keys, len(s.compounds), len(s.facilities))
		s.wmu.Lock()
		s.mu.Lock()
		err := s.replay(data)
		s.mu.Unlock()
		s.wmu.Unlock()
		if err != nil {
			if after := fmt.Sprint(s.zones, s.keys, len(s.compounds), len(s.facilities)); after != before {
				t.Fatalf("refused record %q changed the store: %v", data, err)
			}
			return
		}
		keys := map[string]int64{}
		for i, vs := range s.zones {
			for k, v := range vs {
				if v.ID != int64(i+1) || v.Version != k+1 || zones.ValidateZone(v) != nil || (k > 0 && !chained(vs[k-1], v)) {
					t.Fatalf("record %q left zone %d version %d invalid: %+v", data, i+1, k+1, v)
				}
			}
			if key := vs[len(vs)-1].ExternalKey; key != "" {
				if _, dup := keys[key]; dup {
					t.Fatalf("record %q: key %q twice", data, key)
				}
				keys[key] = int64(i + 1)
			}
		}
		if fmt.Sprint(keys) != fmt.Sprint(s.keys) {
			t.Fatalf("record %q: key index %v, zones say %v", data, s.keys, keys)
		}
	})
}
