package memstore

import (
	"context"
	"math/rand/v2"
	"path/filepath"
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

// BenchmarkLookupDuringWrites is parallel Store.Lookup on a persisted store
// of 100,000 zones, idle and while one client creates a zone every 5 ms
// (200 writes/s, twice what the whole-snapshot store managed at all).
// lookups/s of the two sub-benchmarks is the comparison of the issue;
// max-wait-ms is the longest single look-up seen.
func BenchmarkLookupDuringWrites(b *testing.B) {
	for _, writing := range []bool{false, true} {
		name := "idle"
		if writing {
			name = "writing"
		}
		b.Run(name, func(b *testing.B) {
			s := openBench(b)
			fillCity(b, s, 100000)
			ps := cityPoints(100000, 4096)
			at := storetest.T0.Add(time.Hour)
			ctx := context.Background()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var writes atomic.Int64
			if writing {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(8, 0))
					tick := time.NewTicker(5 * time.Millisecond)
					defer tick.Stop()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						case <-tick.C:
						}
						if _, err := s.CreateZone(ctx, cityZone(i, rng)); err != nil {
							b.Error(err)
							return
						}
						writes.Add(1)
					}
				}()
			}
			var maxWait atomic.Int64
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(1) * 977)
				for pb.Next() {
					t0 := time.Now()
					if _, err := s.Lookup(ctx, ps[i&4095], at); err != nil {
						b.Error(err)
						return
					}
					d := int64(time.Since(t0))
					for m := maxWait.Load(); d > m && !maxWait.CompareAndSwap(m, d); m = maxWait.Load() {
					}
					i++
				}
			})
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(maxWait.Load())/1e6, "max-wait-ms")
			if writing {
				b.ReportMetric(float64(writes.Load())/b.Elapsed().Seconds(), "writes/s")
			}
		})
	}
}
