package live

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

func answer(zs []zones.Zone) string {
	var b strings.Builder
	for _, z := range zs {
		fmt.Fprintf(&b, "%d/%d %s key=%q; ", z.ID, z.Version, z.Kind, z.ExternalKey)
	}
	return b.String()
}

// TestMirror: Load, then Apply of changes (a new zone, a new version that
// re-keys the zone, a lift, a version ahead of its predecessor, stale
// changes skipped); look-ups and batches as the naive oracle over the
// same versions; Wait wakes on Apply and on Close. Concurrent readers run
// throughout (run with -race).
func TestMirror(t *testing.T) {
	old := MirrorQuiet
	MirrorQuiet = 10 * time.Millisecond
	defer func() { MirrorQuiet = old }()
	m := NewMirror()
	a := zones.Zone{ID: 1, Version: 1, Kind: zones.KindSealed, Geometry: rect(104, 30, 104.01, 30.01), EffectiveFrom: t0}
	b := zones.Zone{ID: 3, Version: 1, Kind: zones.KindPrevention, Geometry: rect(104, 30, 104.02, 30.02), EffectiveFrom: t0}
	m.Load([]zones.ZoneChange{{Seq: 1, Zone: a}, {Seq: 2, Zone: b}}, 5)
	if m.Seq() != 5 || m.Len() != 3 {
		t.Fatalf("after Load: seq %d, %d ids", m.Seq(), m.Len())
	}
	p := orb.Point{104.005, 30.005}
	if got := answer(m.Lookup(p, t0.Add(time.Hour))); got != `1/1 sealed key=""; 3/1 prevention key=""; ` {
		t.Fatalf("after Load: %s", got)
	}
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				m.Lookup(p, t0.Add(time.Hour))
				m.LookupBatch(ctx, []orb.Point{p, {104.015, 30.015}}, t0)
			}
		}()
	}
	woke := make(chan uint64, 1)
	go func() { n, _ := m.Wait(ctx, 5); woke <- n }()

	// zone 1 moves on at t0+2h with a key; the key is every version's now
	end := t0.Add(2 * time.Hour)
	a1 := a
	a1.EffectiveUntil, a1.ExternalKey = &end, "K"
	a2 := zones.Zone{ID: 1, Version: 2, Kind: zones.KindControlled, ExternalKey: "K", Geometry: rect(104, 30, 104.01, 30.01), EffectiveFrom: end}
	// zone 4 arrives at version 2 before its version 1 (never found until then)
	d2 := zones.Zone{ID: 4, Version: 2, Kind: zones.KindSealed, Geometry: rect(104, 30, 104.01, 30.01), EffectiveFrom: end}
	stale := b
	stale.Kind = zones.KindSealed // a value older than what is applied
	n := m.Apply([]zones.ZoneChange{{Seq: 4, Zone: stale}, {Seq: 6, Zone: a1}, {Seq: 7, Zone: a2}, {Seq: 8, Zone: d2}}, 9)
	if n != 3 || m.Seq() != 9 {
		t.Fatalf("Apply put %d, seq %d", n, m.Seq())
	}
	select {
	case got := <-woke:
		if got != 9 {
			t.Fatalf("Wait woke at %d", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake on Apply")
	}
	cases := []struct {
		at   time.Time
		want string
	}{
		{t0.Add(time.Hour), `1/1 sealed key="K"; 3/1 prevention key=""; `},
		{t0.Add(3 * time.Hour), `4/2 sealed key=""; 1/2 controlled key="K"; 3/1 prevention key=""; `},
	}
	check := func() {
		t.Helper()
		for _, c := range cases {
			if got := answer(m.Lookup(p, c.at)); got != c.want {
				t.Fatalf("at %v: %s, want %s", c.at, got, c.want)
			}
			bs, err := m.LookupBatch(ctx, []orb.Point{p, {110, 10}}, c.at)
			if err != nil || answer(bs[0]) != c.want || bs[1] == nil || len(bs[1]) != 0 {
				t.Fatalf("batch at %v: %v %v", c.at, bs, err)
			}
		}
	}
	check()
	// Apply a lift of zone 3, then let the delta fold into the base.
	end3 := t0.Add(150 * time.Minute)
	b1 := b
	b1.EffectiveUntil = &end3
	m.Apply([]zones.ZoneChange{{Seq: 10, Zone: b1}}, 10)
	cases[1].want = `4/2 sealed key=""; 1/2 controlled key="K"; `
	check()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.RLock()
		dl := m.ix.DeltaLen()
		m.mu.RUnlock()
		if dl == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("delta not folded after a pause")
		}
		time.Sleep(5 * time.Millisecond)
	}
	check()
	close(stop)
	wg.Wait()

	// Close wakes a waiter with ErrClosed.
	go func() { _, err := m.Wait(ctx, 100); woke <- map[bool]uint64{true: 1}[errors.Is(err, ErrClosed)] }()
	time.Sleep(10 * time.Millisecond)
	m.Close()
	select {
	case got := <-woke:
		if got != 1 {
			t.Fatal("Wait after Close did not return ErrClosed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Wait")
	}
}

// TestMirrorRandomApply: random changes applied in random batch sizes
// answer as the naive oracle over the version lists.
func TestMirrorRandomApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	old := RebuildAt
	RebuildAt = 8
	defer func() { RebuildAt = old }()
	m := NewMirror()
	defer m.Close()
	var vs [][]zones.Zone
	var seq uint64
	var pending []zones.ZoneChange
	kinds := []zones.Kind{zones.KindPrevention, zones.KindControlled, zones.KindSealed}
	for step := range 400 {
		at := t0.Add(time.Duration(step) * time.Minute)
		x, y := 104+0.1*rng.Float64(), 30.6+0.1*rng.Float64()
		var z zones.Zone
		if len(vs) == 0 || rng.IntN(3) == 0 {
			vs = append(vs, nil)
			z = zones.Zone{ID: int64(len(vs)), Version: 1, Kind: kinds[rng.IntN(3)], Geometry: rect(x, y, x+0.02, y+0.02), EffectiveFrom: at.Add(-time.Hour)}
		} else {
			id := 1 + rng.IntN(len(vs))
			cur := vs[id-1][len(vs[id-1])-1]
			if cur.EffectiveUntil != nil {
				continue
			}
			cur.EffectiveUntil = &at
			vs[id-1] = append(vs[id-1][:len(vs[id-1])-1:len(vs[id-1])-1], cur)
			seq++
			pending = append(pending, zones.ZoneChange{Seq: seq, Zone: cur})
			z = zones.Zone{ID: int64(id), Version: cur.Version + 1, Kind: kinds[rng.IntN(3)], Geometry: rect(x, y, x+0.02, y+0.02), EffectiveFrom: at}
		}
		vs[z.ID-1] = append(vs[z.ID-1][:len(vs[z.ID-1]):len(vs[z.ID-1])], z)
		seq++
		pending = append(pending, zones.ZoneChange{Seq: seq, Zone: z})
		if rng.IntN(4) == 0 {
			m.Apply(pending, seq)
			pending = nil
			for range 30 {
				p := orb.Point{104 + 0.12*rng.Float64(), 30.6 + 0.12*rng.Float64()}
				when := t0.Add(time.Duration(rng.IntN(step+60)-30) * time.Minute)
				var got strings.Builder
				for _, z := range m.Lookup(p, when) {
					fmt.Fprintf(&got, "%d/%d ", z.ID, z.Version)
				}
				if want := naive(vs, p, when); got.String() != want {
					t.Fatalf("step %d %v at %v: %q, want %q", step, p, when, got.String(), want)
				}
			}
		}
	}
}
