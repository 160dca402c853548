package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/storetest"
	"lifeline/zones"
)

// Benchmarks of the persisted store under writes (make bench-store). Every
// write is acknowledged only once it is on disk (fsync).

// cityZone returns zone number i of a synthetic city: a 300 x 334 grid of
// 8-vertex polygons about 40 m across, 60 m apart, around 104.0 E 30.6 N.
func cityZone(i int, rng *rand.Rand) zones.Zone {
	const cols = 300
	cx := 104.0 + float64(i%cols)*0.0006
	cy := 30.6 + float64(i/cols)*0.00054
	r := 0.0002 * (0.7 + 0.3*rng.Float64())
	ring := orb.Ring{
		{cx - r, cy - r}, {cx, cy - 1.2*r}, {cx + r, cy - r}, {cx + 1.2*r, cy},
		{cx + r, cy + r}, {cx, cy + 1.2*r}, {cx - r, cy + r}, {cx - 1.2*r, cy}, {cx - r, cy - r},
	}
	kinds := []zones.Kind{zones.KindSealed, zones.KindControlled, zones.KindPrevention}
	return zones.Zone{Kind: kinds[i%3], Name: "city zone", Geometry: orb.MultiPolygon{{ring}}, EffectiveFrom: storetest.T0}
}

// cityPoints are look-up points spread over the city of n zones.
func cityPoints(n, count int) []orb.Point {
	rng := rand.New(rand.NewPCG(3, 0))
	rows := float64(n/300 + 1)
	ps := make([]orb.Point, count)
	for i := range ps {
		ps[i] = orb.Point{104.0 - 0.0003 + 300*0.0006*rng.Float64(), 30.6 - 0.0003 + rows*0.00054*rng.Float64()}
	}
	return ps
}

// fillCity creates n city zones in batches of 5,000.
func fillCity(tb testing.TB, s *Store, n int) {
	rng := rand.New(rand.NewPCG(1, 0))
	ctx := context.Background()
	for start := 0; start < n; start += 5000 {
		var batch []zones.Zone
		for i := start; i < min(n, start+5000); i++ {
			batch = append(batch, cityZone(i, rng))
		}
		if _, err := s.CreateZones(ctx, batch); err != nil {
			tb.Fatal(err)
		}
	}
}

func openBench(b *testing.B) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "store.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkCreate50 is acknowledged zone creates with 50 concurrent
// clients on a persisted store; writes/s is the figure of the issue.
func BenchmarkCreate50(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(25) // 50 goroutines with GOMAXPROCS=2
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(next.Add(1)), 9))
		for pb.Next() {
			i := int(next.Add(1)) % 100000
			if _, err := s.CreateZone(ctx, cityZone(i, rng)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkCreateAt100k is one acknowledged create, one client, in a
// persisted store already holding 100,000 zones.
func BenchmarkCreateAt100k(b *testing.B) {
	s := openBench(b)
	fillCity(b, s, 100000)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 0))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.CreateZone(ctx, cityZone(i, rng)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchLookupDuringWrites (make bench-store; LIFELINE_BENCH_STORE=1)
// measures look-up throughput on a persisted store of 100,000 zones, one
// look-up goroutine, in alternating phases of one second: idle, then while
// another goroutine creates a zone every 5 ms (200 acknowledged writes/s,
// twice what the whole-snapshot store managed at all), five rounds, and
// prints the medians, their ratio, the longest single look-up of each kind
// of phase and the longest the readers' lock was held by a write.
// LIFELINE_BENCH_NOSYNC=1 skips the fsyncs (to see what they cost).
func TestBenchLookupDuringWrites(t *testing.T) {
	if os.Getenv("LIFELINE_BENCH_STORE") == "" {
		t.Skip("set LIFELINE_BENCH_STORE=1 (make bench-store)")
	}
	s, err := OpenWith(filepath.Join(t.TempDir(), "store.json"), Options{NoSync: os.Getenv("LIFELINE_BENCH_NOSYNC") != ""})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 100000
	fillCity(t, s, n)
	ps := cityPoints(n, 4096)
	at := storetest.T0.Add(time.Hour)
	ctx := context.Background()
	// phase runs look-ups for d, with a writer at 200/s when writing; it
	// returns look-ups/s, writes/s and the longest look-up.
	wi := 0
	rng := rand.New(rand.NewPCG(8, 0))
	phase := func(d time.Duration, writing bool) (float64, float64, time.Duration) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		writes := 0
		if writing {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					if _, err := s.CreateZone(ctx, cityZone(wi, rng)); err != nil {
						t.Error(err)
						return
					}
					wi++
					writes++
				}
			}()
		}
		start := time.Now()
		count := 0
		var worst time.Duration
		for i := 0; ; i++ {
			t0 := time.Now()
			if _, err := s.Lookup(ctx, ps[i&4095], at); err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			worst = max(worst, t1.Sub(t0))
			count++
			if t1.Sub(start) >= d {
				break
			}
		}
		el := time.Since(start).Seconds()
		close(stop)
		wg.Wait()
		return float64(count) / el, float64(writes) / el, worst
	}
	for s.rebuilding.Load() { // the index rebuild after the fill
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	phase(time.Second, false) // warm-up
	s.MaxApplyPause()
	var idle, busy, wps []float64
	var worstIdle, worstBusy time.Duration
	for range 5 {
		l, _, w := phase(time.Second, false)
		idle = append(idle, l)
		worstIdle = max(worstIdle, w)
		l, ws, w := phase(time.Second, true)
		busy = append(busy, l)
		wps = append(wps, ws)
		worstBusy = max(worstBusy, w)
	}
	med := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	mi, mb := med(idle), med(busy)
	fmt.Printf("look-ups/s, %d zones, 1 reader, median of 5 one-second phases: idle %.0f, during writes %.0f (%.1f%% of idle) at %.0f acknowledged writes/s\n",
		n, mi, mb, 100*mb/mi, med(wps))
	fmt.Printf("longest look-up: idle %v, during writes %v\n", worstIdle, worstBusy)
	fmt.Printf("longest hold of the readers' lock by a write: %v\n", s.MaxApplyPause())
	if wi == 0 {
		t.Fatal("no write completed")
	}
}
