package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/storetest"
	"lifeline/zones"
	"lifeline/zones/live"
)

// allVersions lists every version of every zone of s.
func allVersions(t *testing.T, s *Store) []zones.Zone {
	ctx := context.Background()
	all, err := s.ListZones(ctx, zones.ZoneFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []zones.Zone
	for _, z := range all {
		h, _ := s.ZoneHistory(ctx, z.ID)
		out = append(out, h...)
	}
	return out
}

// naiveLookup is the oracle: every version tested one by one, ordered
// strictest first then by id.
func naiveLookup(vs []zones.Zone, p orb.Point, at time.Time) string {
	var found []zones.Zone
	for _, v := range vs {
		if v.ActiveAt(at) && zones.MultiPolygonCovers(v.Geometry, p) {
			found = append(found, v)
		}
	}
	slices.SortStableFunc(found, func(a, b zones.Zone) int {
		if a.Kind.Rank() != b.Kind.Rank() {
			return b.Kind.Rank() - a.Kind.Rank()
		}
		return int(a.ID - b.ID)
	})
	return versions(found)
}

func versions(zs []zones.Zone) string {
	var b strings.Builder
	for _, z := range zs {
		fmt.Fprintf(&b, "%d/%d ", z.ID, z.Version)
	}
	return b.String()
}

// TestLiveIndexMatchesNaive runs random creates (small zones and zones
// spanning many delta cells), updates, lifts and imports with a tiny
// rebuild threshold, so look-ups go through base, dead items, delta and
// rebuilds in flight, and checks Lookup and LookupBatch against the naive
// oracle along the way; concurrent readers run meanwhile (run with -race).
func TestLiveIndexMatchesNaive(t *testing.T) {
	old := live.RebuildAt
	live.RebuildAt = 12
	defer func() { live.RebuildAt = old }()
	ctx := context.Background()
	s := New()
	clock := storetest.T0
	s.SetClock(func() time.Time { return clock })
	rng := rand.New(rand.NewPCG(11, 12))
	rect := func() orb.MultiPolygon {
		x, y := 104+0.2*rng.Float64(), 30.6+0.2*rng.Float64()
		w, h := 0.001+0.02*rng.Float64(), 0.001+0.02*rng.Float64()
		if rng.IntN(10) == 0 { // spans more than maxDeltaCells cells
			w, h = 0.1+0.1*rng.Float64(), 0.1
		}
		return storetest.Rect(x, y, x+w, y+h)
	}
	kinds := []zones.Kind{zones.KindSealed, zones.KindControlled, zones.KindPrevention}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(r), 3))
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := orb.Point{104 + 0.3*rr.Float64(), 30.6 + 0.3*rr.Float64()}
				if _, err := s.Lookup(ctx, p, storetest.T0.Add(time.Duration(rr.IntN(600))*time.Minute)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	n := 0
	check := func(step int) {
		vs := allVersions(t, s)
		ps := make([]orb.Point, 150)
		for i := range ps {
			ps[i] = orb.Point{104 + 0.3*rng.Float64(), 30.6 + 0.3*rng.Float64()}
		}
		for _, at := range []time.Time{storetest.T0.Add(-time.Minute), storetest.T0.Add(time.Duration(rng.IntN(step+1)) * time.Minute), clock, clock.Add(100 * time.Hour)} {
			batch, err := s.LookupBatch(ctx, ps, at)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range ps {
				got, err := s.Lookup(ctx, p, at)
				if err != nil {
					t.Fatal(err)
				}
				want := naiveLookup(vs, p, at)
				if versions(got) != want || versions(batch[i]) != want {
					t.Fatalf("step %d, %v at %v: Lookup %q, LookupBatch %q, naive %q", step, p, at, versions(got), versions(batch[i]), want)
				}
				if want != "" {
					n++
				}
			}
		}
	}
	for step := range 500 {
		clock = clock.Add(time.Minute)
		switch op := rng.IntN(20); {
		case op < 9:
			if _, err := s.CreateZone(ctx, zones.Zone{Kind: kinds[rng.IntN(3)], Name: "z", Geometry: rect(), EffectiveFrom: clock.Add(-time.Duration(rng.IntN(30)) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		case op < 14:
			id := int64(1 + rng.IntN(step/2+1))
			cur, err := s.GetZone(ctx, id)
			if err != nil {
				continue
			}
			cur.Geometry, cur.EffectiveFrom = rect(), time.Time{}
			if rng.IntN(2) == 0 {
				cur.Kind = kinds[rng.IntN(3)]
			}
			if _, err := s.UpdateZone(ctx, cur); err != nil && !errors.Is(err, zones.ErrConflict) {
				t.Fatal(err)
			}
		case op < 17:
			id := int64(1 + rng.IntN(step/2+1))
			if _, err := s.LiftZone(ctx, id, clock.Add(time.Duration(1+rng.IntN(120))*time.Minute)); err != nil && !errors.Is(err, zones.ErrConflict) && !errors.Is(err, zones.ErrNotFound) {
				var ve *zones.ValidationError
				if !errors.As(err, &ve) {
					t.Fatal(err)
				}
			}
		default:
			var imp []zones.Zone
			for k := range 3 {
				imp = append(imp, zones.Zone{ExternalKey: fmt.Sprintf("k%d", rng.IntN(20)+100*k), Kind: kinds[rng.IntN(3)], Name: "i", Geometry: rect()})
			}
			if _, err := s.ImportZones(ctx, imp); err != nil && !errors.Is(err, zones.ErrConflict) {
				t.Fatal(err)
			}
		}
		if step%25 == 24 {
			check(step)
		}
	}
	if n < 500 {
		t.Errorf("only %d non-empty answers checked", n)
	}
}

// TestQuietRebuildFoldsDelta: the last writes of a burst, fewer than the
// threshold, are folded into the base once writes pause; look-ups answer
// the same before and after.
func TestQuietRebuildFoldsDelta(t *testing.T) {
	old := rebuildQuiet
	rebuildQuiet = 20 * time.Millisecond
	defer func() { rebuildQuiet = old }()
	ctx := context.Background()
	s := New()
	defer s.Close()
	for i := range 3 {
		x := 104 + 0.01*float64(i)
		if _, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "z", Geometry: storetest.Rect(x, 30.6, x+0.005, 30.605), EffectiveFrom: storetest.T0}); err != nil {
			t.Fatal(err)
		}
	}
	p := orb.Point{104.0125, 30.6025}
	before, _ := s.Lookup(ctx, p, storetest.T0)
	deltaLen := func() int {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.ix.DeltaLen()
	}
	if deltaLen() == 0 {
		t.Fatal("writes did not go to the delta")
	}
	for deadline := time.Now().Add(5 * time.Second); deltaLen() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("delta of %d entries not folded after a pause", deltaLen())
		}
	}
	after, _ := s.Lookup(ctx, p, storetest.T0)
	if versions(before) != versions(after) || len(after) != 1 || after[0].ID != 2 {
		t.Fatalf("look-up before the rebuild %q, after %q", versions(before), versions(after))
	}
}

// TestLookupBatchChunks: a batch longer than one chunk answers every point
// as Lookup does, also with writes (elsewhere on the map) going on.
func TestLookupBatchChunks(t *testing.T) {
	ctx := context.Background()
	s := demoLikeStore(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			x := 105 + 0.01*float64(i)
			if _, err := s.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "far", Geometry: storetest.Rect(x, 31, x+0.005, 31.005), EffectiveFrom: storetest.T0}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	ps := benchPoints(3*lookupChunk + 17)
	at := storetest.T0.Add(24 * time.Hour)
	got, err := s.LookupBatch(ctx, ps, at)
	<-done
	if err != nil || len(got) != len(ps) {
		t.Fatalf("LookupBatch: %d results, %v", len(got), err)
	}
	hits := 0
	for i, p := range ps {
		want, _ := s.Lookup(ctx, p, at)
		if versions(got[i]) != versions(want) {
			t.Fatalf("point %d %v: batch %q, Lookup %q", i, p, versions(got[i]), versions(want))
		}
		hits += len(want)
	}
	if hits < len(ps)/2 {
		t.Errorf("only %d hits", hits)
	}
	if got, err := s.LookupBatch(ctx, nil, at); err != nil || len(got) != 0 {
		t.Errorf("empty batch: %v %v", got, err)
	}
}
