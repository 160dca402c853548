package postgis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/storetest"
	"lifeline/zones"
)

// openReplica opens a second Store on the schema of s (another replica
// of the same database), closed in tb.Cleanup (before the schema drop).
func openReplica(tb testing.TB, s *Store, opts ...Option) *Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Open(ctx, testDatabaseURL(), append([]Option{WithSchema(s.Schema()), WithMaxConns(4)}, opts...)...)
	if err != nil {
		tb.Fatalf("open replica: %v", err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// waitSeq waits until replica r applied change number n.
func waitSeq(tb testing.TB, r *Store, n uint64, within time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if got, err := r.WaitZoneChange(ctx, n-1); err != nil {
		tb.Fatalf("replica at change %d, want %d within %v: %v", got, n, within, err)
	}
}

// zoneLine is what a look-up answer says of a zone, to compare answers.
func zoneLine(z zones.Zone) string {
	u := "-"
	if z.EffectiveUntil != nil {
		u = z.EffectiveUntil.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%d/%d %s %q %q key=%q %s..%s c=%s u=%s g=%v", z.ID, z.Version, z.Kind, z.Name, z.Reason, z.ExternalKey,
		z.EffectiveFrom.Format(time.RFC3339Nano), u, z.CreatedAt.Format(time.RFC3339Nano), z.UpdatedAt.Format(time.RFC3339Nano), z.Geometry)
}

func answer(zs []zones.Zone) string {
	var b strings.Builder
	for _, z := range zs {
		b.WriteString(zoneLine(z))
		b.WriteString("\n")
	}
	return b.String()
}

// randomHistory writes a random zone history through s: creates, new
// versions (in the past, now and the future), lifts, imports that create,
// update and re-key zones; it returns the span of times it used.
func randomHistory(t *testing.T, s *Store, rng *rand.Rand, writes int) (time.Time, time.Time) {
	ctx := context.Background()
	kinds := []zones.Kind{zones.KindPrevention, zones.KindControlled, zones.KindSealed}
	shape := func() orb.MultiPolygon {
		x, y := 104+0.08*rng.Float64(), 30.6+0.08*rng.Float64()
		w, h := 0.002+0.015*rng.Float64(), 0.002+0.015*rng.Float64()
		if rng.IntN(12) == 0 {
			w, h = 0.06, 0.05 // many of the delta's cells
		}
		if rng.IntN(4) == 0 { // with a hole
			return orb.MultiPolygon{{
				{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}},
				{{x + w/4, y + h/4}, {x + w/4, y + h/2}, {x + w/2, y + h/2}, {x + w/2, y + h/4}, {x + w/4, y + h/4}},
			}}
		}
		return storetest.Rect(x, y, x+w, y+h)
	}
	clock := storetest.T0
	var ids []int64
	for i := range writes {
		clock = clock.Add(time.Duration(1+rng.IntN(90)) * time.Minute)
		var err error
		switch op := rng.IntN(20); {
		case op < 7 || len(ids) == 0:
			var z zones.Zone
			z, err = s.CreateZone(ctx, zones.Zone{Kind: kinds[rng.IntN(3)], Name: fmt.Sprintf("z%d", i), Reason: "r", Geometry: shape(),
				EffectiveFrom: clock.Add(-time.Duration(rng.IntN(600)) * time.Minute)})
			if err == nil {
				ids = append(ids, z.ID)
			}
		case op < 13:
			cur, gerr := s.GetZone(ctx, ids[rng.IntN(len(ids))])
			if gerr != nil {
				t.Fatal(gerr)
			}
			cur.Geometry = shape()
			cur.Kind = kinds[rng.IntN(3)]
			cur.Name = fmt.Sprintf("v%d", i)
			cur.EffectiveFrom = clock.Add(time.Duration(rng.IntN(240)-60) * time.Minute)
			if rng.IntN(4) == 0 { // a new key: every version's key changes
				cur.ExternalKey = fmt.Sprintf("upd-%d", i)
			}
			_, err = s.UpdateZone(ctx, cur)
		case op < 16:
			_, err = s.LiftZone(ctx, ids[rng.IntN(len(ids))], clock.Add(time.Duration(rng.IntN(600)-60)*time.Minute))
		default:
			var imp []zones.Zone
			for k := range 1 + rng.IntN(3) {
				z := zones.Zone{Kind: kinds[rng.IntN(3)], Name: fmt.Sprintf("i%d", i), Geometry: shape(), EffectiveFrom: clock}
				if rng.IntN(2) == 0 {
					z.ExternalKey = fmt.Sprintf("key-%d-%d", k, rng.IntN(15))
				} else {
					z.ID = ids[rng.IntN(len(ids))]
				}
				imp = append(imp, z)
			}
			var res zones.ImportResult
			res, err = s.ImportZones(ctx, imp)
			for _, it := range res.Items {
				if !slices.Contains(ids, it.ID) {
					ids = append(ids, it.ID)
				}
			}
		}
		var ve *zones.ValidationError
		if err != nil && !errors.Is(err, zones.ErrConflict) && !errors.As(err, &ve) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	return storetest.T0, clock.Add(10 * time.Hour)
}

// TestZoneIndexMatchesSQL: after a random history written on replica A,
// the in-memory look-ups of A (kept current by its own writes) and of
// replica B (kept current by NOTIFY alone) answer 10,000 random (point,
// time) pairs exactly as SQL does, and batches as the SQL batch does.
func TestZoneIndexMatchesSQL(t *testing.T) {
	a := openTestStore(t)
	b := openReplica(t, a)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2026, 11))
	from, to := randomHistory(t, a, rng, 400)
	waitSeq(t, b, a.ZoneIndexSeq(), 10*time.Second)
	if a.ZoneIndexSeq() == 0 || b.ZoneIndexSeq() != a.ZoneIndexSeq() {
		t.Fatalf("change numbers: A %d, B %d", a.ZoneIndexSeq(), b.ZoneIndexSeq())
	}
	span := to.Sub(from)
	nonEmpty, multi := 0, 0
	for i := range 10000 {
		p := orb.Point{103.995 + 0.1*rng.Float64(), 30.595 + 0.1*rng.Float64()}
		at := from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond)
		want, err := a.LookupSQL(ctx, p, at)
		if err != nil {
			t.Fatal(err)
		}
		gotA, _ := a.Lookup(ctx, p, at)
		gotB, _ := b.Lookup(ctx, p, at)
		w := answer(want)
		if answer(gotA) != w || answer(gotB) != w {
			t.Fatalf("pair %d: %v at %v:\nSQL:\n%s\nA (memory):\n%s\nB (memory):\n%s", i, p, at, w, answer(gotA), answer(gotB))
		}
		if len(want) > 0 {
			nonEmpty++
		}
		if len(want) > 1 {
			multi++
		}
	}
	t.Logf("10,000 pairs: %d inside a zone, %d inside several", nonEmpty, multi)
	if nonEmpty < 2000 || multi < 200 {
		t.Fatalf("too few interesting pairs: %d inside, %d in several", nonEmpty, multi)
	}
	for k := range 5 {
		ps := make([]orb.Point, 1500)
		for i := range ps {
			ps[i] = orb.Point{103.995 + 0.1*rng.Float64(), 30.595 + 0.1*rng.Float64()}
		}
		at := from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond)
		want, err := a.LookupBatchSQL(ctx, ps, at)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.LookupBatch(ctx, ps, at)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			if answer(got[i]) != answer(want[i]) {
				t.Fatalf("batch %d point %d %v: memory\n%s\nSQL\n%s", k, i, ps[i], answer(got[i]), answer(want[i]))
			}
		}
	}
	// The change stream through B says what A wrote: every version once.
	cs, through, err := b.ZoneChangesSince(ctx, 0, 0)
	if err != nil || through != a.ZoneIndexSeq() {
		t.Fatalf("changes: through %d (A at %d), %v", through, a.ZoneIndexSeq(), err)
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM zone_versions`).Scan(&n); err != nil || n != len(cs) {
		t.Fatalf("%d changes for %d versions (%v)", len(cs), n, err)
	}
}

// TestZoneListenerCatchesUp: a replica whose listening connection is
// killed reconnects and catches up the changes written while it was away;
// one that receives no notice at all (another schema's channel traffic
// only) still catches up by its fallback poll.
func TestZoneListenerCatchesUp(t *testing.T) {
	a := openTestStore(t)
	b := openReplica(t, a, WithChangePoll(300*time.Millisecond))
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for !b.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("replica B never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pid := b.listenPID.Load()
	if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
		t.Fatal(err)
	}
	z, err := a.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "while B was away", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0})
	if err != nil {
		t.Fatal(err)
	}
	waitSeq(t, b, a.ZoneIndexSeq(), 10*time.Second)
	got, _ := b.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0.Add(time.Hour))
	if len(got) != 1 || got[0].ID != z.ID {
		t.Fatalf("B after reconnecting: %s", answer(got))
	}
	if b.listenPID.Load() == pid {
		t.Fatal("B's listener did not reconnect")
	}
	// A notice of this schema that names a number already applied, and
	// notices of other schemas, change nothing.
	for _, payload := range []string{a.Schema() + " 1", "other_schema 999999", "garbage"} {
		if _, err := a.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, payload); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if b.ZoneIndexSeq() != a.ZoneIndexSeq() {
		t.Fatalf("B at %d after stray notices, A at %d", b.ZoneIndexSeq(), a.ZoneIndexSeq())
	}
	// A change whose notice never comes (written with the notify trigger
	// disabled in that transaction) arrives by the fallback poll.
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SET LOCAL session_replication_role = replica`,
		`UPDATE zone_versions SET name = 'quiet' WHERE zone_id = ` + fmt.Sprint(z.ID)} {
		if _, err := tx.Exec(ctx, q); err != nil {
			tx.Rollback(ctx)
			t.Skipf("cannot write without triggers (%v): the poll is not tested", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// replication_role = replica also skips the numbering trigger: number it.
	if _, err := a.pool.Exec(ctx, `WITH n AS (UPDATE zone_change_seq SET seq = seq + 1 RETURNING seq)
		UPDATE zone_versions SET change_seq = (SELECT seq FROM n) WHERE zone_id = $1`, z.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		got, _ := b.Lookup(ctx, orb.Point{104.005, 30.605}, storetest.T0.Add(time.Hour))
		if len(got) == 1 && got[0].Name == "quiet" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("B never saw the change without notice: %s", answer(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestZoneChangeReachesReplica measures the time from a zone write
// returning on replica A to replica B having applied it (median of 30).
func TestZoneChangeReachesReplica(t *testing.T) {
	a := openTestStore(t)
	b := openReplica(t, a)
	ctx := context.Background()
	z, err := a.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "moving", Geometry: storetest.Rect(104, 30.6, 104.01, 30.61), EffectiveFrom: storetest.T0})
	if err != nil {
		t.Fatal(err)
	}
	var lat, write []time.Duration
	for i := range 30 {
		z.Geometry = storetest.Rect(104+0.001*float64(i), 30.6, 104.01+0.001*float64(i), 30.61)
		z.EffectiveFrom = time.Time{}
		t0 := time.Now()
		if z, err = a.UpdateZone(ctx, z); err != nil {
			t.Fatal(err)
		}
		write = append(write, time.Since(t0))
		waitSeq(t, b, a.ZoneIndexSeq(), 5*time.Second)
		lat = append(lat, time.Since(t0))
		got, _ := b.Lookup(ctx, orb.Point{104.0095 + 0.001*float64(i), 30.605}, storetest.T0.AddDate(1, 0, 0))
		if len(got) != 1 || got[0].Version != z.Version {
			t.Fatalf("B after write %d: %s", i, answer(got))
		}
	}
	med := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	t.Logf("30 zone updates: on A (commit + A's catch-up) median %v; from the call on A to B having applied it: median %v, max %v",
		med(write), med(lat), slices.Max(lat))
}

// BenchmarkZoneWrites: zone writes acknowledged per second on PostGIS,
// from 8 (or -cpu x GOMAXPROCS) concurrent writers; every write takes the
// change counter's lock (writers commit one at a time) and then brings
// the writer's own index up to it. "create": a new zone each; "update": a
// new version of one of 100 zones.
func BenchmarkZoneWrites(b *testing.B) {
	s := openTestStore(b)
	ctx := context.Background()
	var ids []int64
	for i := range 100 {
		x := 104 + 0.002*float64(i)
		z, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindControlled, Name: "u", Geometry: storetest.Rect(x, 30.6, x+0.001, 30.601)})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, z.ID)
	}
	b.Run("create", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
			for pb.Next() {
				x, y := 104+0.1*rng.Float64(), 30.6+0.1*rng.Float64()
				if _, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "c", Geometry: storetest.Rect(x, y, x+0.001, y+0.001)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
	b.Run("update", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
			for pb.Next() {
				id := ids[rng.IntN(len(ids))]
				x := 104 + 0.1*rng.Float64()
				if _, err := s.UpdateZone(ctx, zones.Zone{ID: id, Kind: zones.KindSealed, Name: "u", Geometry: storetest.Rect(x, 30.6, x+0.001, 30.601)}); err != nil &&
					!errors.Is(err, zones.ErrConflict) {
					var ve *zones.ValidationError
					if !errors.As(err, &ve) { // two updates in the same microsecond
						b.Error(err)
						return
					}
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
}
