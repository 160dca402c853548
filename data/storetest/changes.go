package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"lifeline/zones"
)

// testChangeFeed: every zone write shows in the change stream as the
// versions it wrote, with their current values, in order; limit and
// through page through it; WaitZoneChange returns at once when behind and
// wakes on the next write.
func testChangeFeed(t *testing.T, s zones.Store) {
	ctx := context.Background()
	f, ok := s.(zones.ChangeFeed)
	if !ok {
		t.Fatalf("%T does not implement zones.ChangeFeed", s)
	}
	changes := func(after uint64, limit int) ([]zones.ZoneChange, uint64) {
		t.Helper()
		cs, through, err := f.ZoneChangesSince(ctx, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(cs); i++ {
			if cs[i].Seq <= cs[i-1].Seq {
				t.Fatalf("changes after %d out of order: %d then %d", after, cs[i-1].Seq, cs[i].Seq)
			}
		}
		if len(cs) > 0 && cs[0].Seq <= after {
			t.Fatalf("changes after %d start at %d", after, cs[0].Seq)
		}
		if len(cs) > 0 && through < cs[len(cs)-1].Seq {
			t.Fatalf("through %d before the last change %d", through, cs[len(cs)-1].Seq)
		}
		return cs, through
	}
	str := func(cs []zones.ZoneChange) string {
		out := ""
		for _, c := range cs {
			u := "-"
			if c.Zone.EffectiveUntil != nil {
				u = c.Zone.EffectiveUntil.Sub(T0).String()
			}
			out += fmt.Sprintf("%d/%d %s %s; ", c.Zone.ID, c.Zone.Version, c.Zone.Kind, u)
		}
		return out
	}
	_, start := changes(0, 0)

	a := mustCreate(t, s, zone(zones.KindSealed, "a", Rect(0, 0, 1, 1)))
	cs, afterA := changes(start, 0)
	if got, want := str(cs), fmt.Sprintf("%d/1 sealed -; ", a.ID); got != want || afterA <= start {
		t.Fatalf("after create: %q (through %d, start %d), want %q", got, afterA, start, want)
	}
	checkZone(t, "change of a create", cs[0].Zone, a)
	if cs[0].Zone.ID != a.ID || cs[0].Zone.Version != 1 {
		t.Fatalf("change %+v", cs[0].Zone)
	}
	// Nothing new: empty, through unchanged.
	if cs, th := changes(afterA, 0); len(cs) != 0 || th != afterA {
		t.Fatalf("no writes: %d changes, through %d (was %d)", len(cs), th, afterA)
	}

	b := mustCreate(t, s, zone(zones.KindPrevention, "b", Rect(2, 2, 3, 3)))
	upd := a
	upd.Kind, upd.EffectiveFrom = zones.KindControlled, T0.Add(time.Hour)
	a2, err := s.UpdateZone(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LiftZone(ctx, b.ID, T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Lifting again at the same time changes nothing: no change.
	_, beforeNoop := changes(0, 0)
	if _, err := s.LiftZone(ctx, b.ID, T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if cs, _ := changes(beforeNoop, 0); len(cs) != 0 {
		t.Fatalf("a no-op lift made changes %q", str(cs))
	}
	cs, afterAll := changes(afterA, 0)
	want := fmt.Sprintf("%d/1 sealed 1h0m0s; %d/2 controlled -; %d/1 prevention 2h0m0s; ", a.ID, a.ID, b.ID)
	if got := str(cs); got != want {
		t.Fatalf("after create, update, lift: %q, want %q", got, want)
	}
	checkZone(t, "change of an update", cs[1].Zone, a2)
	// From the start: a's version 1 appears once, with its end (its last change).
	if got, want := str(mustChanges(t, f, start)), fmt.Sprintf("%d/1 sealed 1h0m0s; %d/2 controlled -; %d/1 prevention 2h0m0s; ", a.ID, a.ID, b.ID); got != want {
		t.Fatalf("from the start: %q, want %q", got, want)
	}

	// Paging by limit ends where the whole answer ends.
	var paged []zones.ZoneChange
	for after, n := start, 0; ; n++ {
		cs, th := changes(after, 1)
		paged = append(paged, cs...)
		if th == after || n > 10 {
			if th != afterAll {
				t.Fatalf("paging stopped at %d, want %d", th, afterAll)
			}
			break
		}
		after = th
	}
	if str(paged) != want {
		t.Fatalf("paged: %q, want %q", str(paged), want)
	}

	// Import: a new zone and a new version.
	if _, err := s.ImportZones(ctx, []zones.Zone{
		{ID: b.ID, Kind: zones.KindPrevention, Name: "b", Reason: "test", Geometry: Rect(2, 2, 3, 3)}, // unchanged
		{ExternalKey: "k", Kind: zones.KindSealed, Name: "c", Geometry: Rect(5, 5, 6, 6), EffectiveFrom: T0},
	}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := changes(afterAll, 0); len(cs) != 1 || cs[0].Zone.ExternalKey != "k" || cs[0].Zone.Version != 1 {
		t.Fatalf("after an import of one unchanged and one new zone: %q", str(cs))
	}
	// A refused write changes nothing.
	_, beforeBad := changes(0, 0)
	if _, err := s.CreateZones(ctx, []zones.Zone{zone(zones.KindSealed, "ok", Rect(7, 7, 8, 8)), zone("bogus", "bad", Rect(7, 7, 8, 8))}); err == nil {
		t.Fatal("bad kind accepted")
	}
	if cs, th := changes(beforeBad, 0); len(cs) != 0 || th != beforeBad {
		t.Fatalf("a refused write made changes %q (through %d, was %d)", str(cs), th, beforeBad)
	}

	// WaitZoneChange: at once when behind; wakes on a write; stops with ctx.
	seq, err := f.WaitZoneChange(ctx, start)
	if err != nil || seq < beforeBad {
		t.Fatalf("WaitZoneChange(%d) = %d, %v; want >= %d at once", start, seq, err, beforeBad)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = f.WaitZoneChange(short, seq)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitZoneChange with nothing new: %v, want the deadline", err)
	}
	done := make(chan uint64, 1)
	go func() {
		n, err := f.WaitZoneChange(ctx, seq)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	time.Sleep(20 * time.Millisecond)
	mustCreate(t, s, zone(zones.KindSealed, "d", Rect(9, 9, 10, 10)))
	select {
	case n := <-done:
		if n <= seq {
			t.Fatalf("woke with %d, not after %d", n, seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitZoneChange did not wake on a write within 10 s")
	}
}

func mustChanges(t *testing.T, f zones.ChangeFeed, after uint64) []zones.ZoneChange {
	t.Helper()
	cs, _, err := f.ZoneChangesSince(context.Background(), after, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
