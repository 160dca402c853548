package memstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/demo"
	"lifeline/data/storetest"
	"lifeline/zones"
)

// demoLikeStore fills a store with a demo-like map (deterministic seed): 40
// compound-sized polygons (60-250 m across, 5-16 vertices) as zones of
// mixed kinds, three street-sized zones (a 1.2 km strip with 200 vertices, a
// district-wide prevention zone with a hole, a lifted controlled zone) over
// a 3 km x 3 km district.
func demoLikeStore(tb testing.TB) *Store {
	s := New()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(42, 0))
	o := orb.Point{104.05, 30.65}
	const dLon, dLat = 0.0104, 0.009 // about 1 km each at 30.65°N
	kinds := []zones.Kind{zones.KindSealed, zones.KindControlled, zones.KindPrevention}
	var zs []zones.Zone
	for i := 0; i < 40; i++ {
		c := orb.Point{o[0] + 3*dLon*rng.Float64(), o[1] + 3*dLat*rng.Float64()}
		n := 5 + rng.IntN(12)
		r := 0.0003 + 0.001*rng.Float64()
		ring := make(orb.Ring, 0, n+1)
		for k := 0; k < n; k++ {
			a := 2 * math.Pi * (float64(k) + 0.5*rng.Float64()) / float64(n)
			rr := r * (0.6 + 0.4*rng.Float64())
			ring = append(ring, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)*0.87})
		}
		ring = append(ring, ring[0])
		zs = append(zs, zones.Zone{Kind: kinds[i%3], Name: "compound zone", Geometry: orb.MultiPolygon{{ring}}, EffectiveFrom: storetest.T0})
	}
	// A street: a wiggly 1.2 km strip, 100 vertices per side.
	var top, bottom []orb.Point
	for k := 0; k < 100; k++ {
		x := o[0] + 0.5*dLon + 1.2*dLon*float64(k)/99
		y := o[1] + 1.5*dLat + 0.0003*math.Sin(float64(k)/7)
		bottom = append(bottom, orb.Point{x, y})
		top = append(top, orb.Point{x, y + 0.0004})
	}
	var street orb.Ring
	street = append(street, bottom...)
	for k := len(top) - 1; k >= 0; k-- {
		street = append(street, top[k])
	}
	street = append(street, bottom[0])
	zs = append(zs, zones.Zone{Kind: zones.KindControlled, Name: "street", Geometry: orb.MultiPolygon{{street}}, EffectiveFrom: storetest.T0})
	district := orb.MultiPolygon{{
		{{o[0], o[1]}, {o[0] + 3*dLon, o[1]}, {o[0] + 3*dLon, o[1] + 3*dLat}, {o[0], o[1] + 3*dLat}, {o[0], o[1]}},
		{{o[0] + dLon, o[1] + dLat}, {o[0] + dLon, o[1] + 1.2*dLat}, {o[0] + 1.2*dLon, o[1] + 1.2*dLat}, {o[0] + 1.2*dLon, o[1] + dLat}, {o[0] + dLon, o[1] + dLat}},
	}}
	zs = append(zs, zones.Zone{Kind: zones.KindPrevention, Name: "district", Geometry: district, EffectiveFrom: storetest.T0})
	until := storetest.T0.Add(time.Hour)
	zs = append(zs, zones.Zone{Kind: zones.KindControlled, Name: "lifted", Geometry: storetest.Rect(o[0]+dLon, o[1]+dLat, o[0]+2*dLon, o[1]+2*dLat), EffectiveFrom: storetest.T0, EffectiveUntil: &until})
	if _, err := s.CreateZones(ctx, zs); err != nil {
		tb.Fatal(err)
	}
	return s
}

func benchPoints(n int) []orb.Point {
	rng := rand.New(rand.NewPCG(7, 0))
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = orb.Point{104.05 - 0.002 + 0.035*rng.Float64(), 30.65 - 0.002 + 0.03*rng.Float64()}
	}
	return ps
}

func TestDemoLikeStoreLookups(t *testing.T) {
	s := demoLikeStore(t)
	ps := benchPoints(2000)
	at := storetest.T0.Add(24 * time.Hour)
	res, err := s.LookupBatch(context.Background(), ps, at)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := s.ListZones(context.Background(), zones.ZoneFilter{ActiveAt: &at})
	hits := 0
	for i, p := range ps {
		var want []int64
		for _, z := range all {
			if zones.MultiPolygonCovers(z.Geometry, p) {
				want = append(want, z.ID)
			}
		}
		if len(res[i]) != len(want) {
			t.Fatalf("point %v: %d zones, naive %d", p, len(res[i]), len(want))
		}
		hits += len(want)
	}
	if hits < len(ps)/2 {
		t.Errorf("only %d hits", hits)
	}
}

// BenchmarkLookup is one Store.Lookup (read lock, index, deep copy of the
// zones found) on the demo-like map.
func BenchmarkLookup(b *testing.B) {
	s := demoLikeStore(b)
	ps := benchPoints(4096)
	ctx := context.Background()
	at := storetest.T0.Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Lookup(ctx, ps[i&4095], at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupBatch10k is one Store.LookupBatch of 10,000 points.
func BenchmarkLookupBatch10k(b *testing.B) {
	s := demoLikeStore(b)
	ps := benchPoints(10000)
	ctx := context.Background()
	at := storetest.T0.Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.LookupBatch(ctx, ps, at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/point")
}

// BenchmarkIndexLookupDemo is the zero-allocation index path under the store.
func BenchmarkIndexLookupDemo(b *testing.B) {
	s := demoLikeStore(b)
	ps := benchPoints(4096)
	at := storetest.T0.Add(24 * time.Hour)
	dst := make([]int32, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = s.ix.Base().LookupInto(dst, ps[i&4095], at)
	}
}

// BenchmarkLinearLookupDemo is the naive baseline on the same map.
func BenchmarkLinearLookupDemo(b *testing.B) {
	s := demoLikeStore(b)
	ps := benchPoints(4096)
	at := storetest.T0.Add(24 * time.Hour)
	dst := make([]int32, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = s.ix.Base().LinearLookupInto(dst, ps[i&4095], at)
	}
}

// BenchmarkLookupDemoDistrict is one Store.Lookup on the demo district that
// `make run` serves (data/demo, default seed), at points drawn uniformly
// over the district's 3 km x 2.5 km, on the day of the second seal.
func BenchmarkLookupDemoDistrict(b *testing.B) {
	s := New()
	ctx := context.Background()
	if err := demo.Load(ctx, s, demo.Default()); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 0))
	dLon := demo.WidthMeters / (111320 * math.Cos(demo.Centre[1]*math.Pi/180))
	dLat := demo.HeightMeters / 110540
	ps := make([]orb.Point, 4096)
	for i := range ps {
		ps[i] = orb.Point{demo.Centre[0] + dLon*(rng.Float64()-0.5), demo.Centre[1] + dLat*(rng.Float64()-0.5)}
	}
	at := demo.SecondSealFrom.Add(time.Hour)
	hits := 0
	for _, p := range ps {
		zs, err := s.Lookup(ctx, p, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(zs) > 0 {
			hits++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Lookup(ctx, ps[i&4095], at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hits)/float64(len(ps)), "in-zone-share")
}

// withHistory gives every open zone of s nine more versions (each moved a
// little, an hour apart from T0+1h, by import), as a map edited all week
// would have.
func withHistory(tb testing.TB, s *Store) {
	ctx := context.Background()
	zs, err := s.ListZones(ctx, zones.ZoneFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	for k := 1; k <= 9; k++ {
		var round []zones.Zone // one import per round: one index rebuild
		for _, z := range zs {
			if z.EffectiveUntil != nil {
				continue
			}
			u := z
			u.Geometry = z.Geometry.Clone()
			for _, poly := range u.Geometry {
				for _, r := range poly {
					for i := range r {
						r[i][0] += 0.00001 * float64(k)
					}
				}
			}
			u.EffectiveFrom = storetest.T0.Add(time.Duration(k) * time.Hour)
			round = append(round, u)
		}
		res, err := s.ImportZones(ctx, round)
		if err != nil || res.Updated != len(round) {
			tb.Fatalf("history round %d: %+v, %v", k, res, err)
		}
	}
}

// BenchmarkLookupWithHistory is BenchmarkLookup on the same map with ten
// versions of every open zone in the index (look-up now).
func BenchmarkLookupWithHistory(b *testing.B) {
	s := demoLikeStore(b)
	withHistory(b, s)
	ps := benchPoints(4096)
	ctx := context.Background()
	at := storetest.T0.Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Lookup(ctx, ps[i&4095], at); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLookupWithHistoryMatchesNaive checks the versioned index against a
// naive scan of the versions in force, at times between the updates.
func TestLookupWithHistoryMatchesNaive(t *testing.T) {
	s := demoLikeStore(t)
	withHistory(t, s)
	ctx := context.Background()
	ps := benchPoints(500)
	for _, at := range []time.Time{storetest.T0.Add(30 * time.Minute), storetest.T0.Add(4*time.Hour + time.Minute), storetest.T0.Add(48 * time.Hour)} {
		active, err := s.ListZones(ctx, zones.ZoneFilter{ActiveAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			got, err := s.Lookup(ctx, p, at)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, z := range active {
				if zones.MultiPolygonCovers(z.Geometry, p) {
					want = append(want, fmt.Sprintf("%d/%d", z.ID, z.Version))
				}
			}
			var have []string
			for _, z := range got {
				have = append(have, fmt.Sprintf("%d/%d", z.ID, z.Version))
			}
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Fatalf("at %v, point %v: %v, naive %v", at, p, have, want)
			}
		}
	}
}
