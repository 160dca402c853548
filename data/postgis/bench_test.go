package postgis

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// benchMap is a deterministic demo-like district: a 8 x 5 grid of
// compound-size irregular octagons (about 250 m x 200 m, 5,000 to 15,000
// residents; every compound is stored as a compound AND as a zone of some
// kind), 4 large controlled/prevention areas, and 20 already-lifted zones
// that the active-at filter must skip. Centre 104.06 E, 30.67 N.
type benchMap struct {
	zones     []zones.Zone
	compounds []zones.Compound
	bound     orb.Bound
}

func octagon(rng *rand.Rand, cx, cy, rx, ry float64) orb.MultiPolygon {
	ring := make(orb.Ring, 0, 9)
	for k := 0; k < 8; k++ {
		a := 2 * math.Pi * float64(k) / 8
		f := 0.8 + 0.2*rng.Float64() // convex enough to stay valid
		ring = append(ring, orb.Point{cx + f*rx*math.Cos(a), cy + f*ry*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	return orb.MultiPolygon{{ring}}
}

func newBenchMap(seed uint64) benchMap {
	rng := rand.New(rand.NewPCG(seed, 0))
	const (
		lon0, lat0 = 104.04, 30.66
		dLon, dLat = 0.004, 0.003 // grid step, about 380 m x 330 m
	)
	var m benchMap
	kinds := []zones.Kind{zones.KindSealed, zones.KindControlled, zones.KindPrevention, zones.KindNone}
	for i := 0; i < 8; i++ {
		for j := 0; j < 5; j++ {
			cx, cy := lon0+float64(i)*dLon, lat0+float64(j)*dLat
			g := octagon(rng, cx, cy, 0.0013, 0.0009)
			pop := 5000 + rng.IntN(10000)
			m.compounds = append(m.compounds, zones.Compound{Name: fmt.Sprintf("compound %d-%d", i, j), Geometry: g,
				Population: pop, Aged60Plus: pop / 5, Households: pop / 3, Gates: []orb.Point{g[0][0][0], g[0][0][4]}})
			if k := kinds[rng.IntN(len(kinds))]; k != zones.KindNone {
				m.zones = append(m.zones, zones.Zone{Kind: k, Name: "zone " + m.compounds[len(m.compounds)-1].Name, Geometry: g, EffectiveFrom: t0})
			}
		}
	}
	for a := 0; a < 4; a++ {
		x, y := lon0-0.002+float64(a%2)*0.014, lat0-0.002+float64(a/2)*0.006
		k := zones.KindPrevention
		if a == 1 {
			k = zones.KindControlled
		}
		m.zones = append(m.zones, zones.Zone{Kind: k, Name: fmt.Sprint("area ", a), Geometry: rect(x, y, x+0.018, y+0.009), EffectiveFrom: t0})
	}
	for h := 0; h < 20; h++ {
		c := m.compounds[rng.IntN(len(m.compounds))]
		m.zones = append(m.zones, zones.Zone{Kind: zones.KindSealed, Name: "lifted " + c.Name, Geometry: c.Geometry,
			EffectiveFrom: t0.Add(-72 * time.Hour), EffectiveUntil: ptr(t0.Add(-24 * time.Hour))})
	}
	m.bound = orb.Bound{Min: orb.Point{lon0 - 0.003, lat0 - 0.003}, Max: orb.Point{lon0 + 8*dLon, lat0 + 5*dLat}}
	return m
}

func (m benchMap) points(seed uint64, n int) []orb.Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = orb.Point{m.bound.Min[0] + rng.Float64()*(m.bound.Max[0]-m.bound.Min[0]),
			m.bound.Min[1] + rng.Float64()*(m.bound.Max[1]-m.bound.Min[1])}
	}
	return ps
}

func loadBenchMap(b *testing.B) (*Store, benchMap) {
	b.Helper()
	s := openTestStore(b)
	m := newBenchMap(1)
	ctx := context.Background()
	for _, c := range m.compounds {
		if _, err := s.CreateCompound(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.CreateZones(ctx, m.zones); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE zones; ANALYZE compounds`); err != nil {
		b.Fatal(err)
	}
	return s, m
}

// BenchmarkLookup: one point per op, one indexed query per point.
func BenchmarkLookup(b *testing.B) {
	s, m := loadBenchMap(b)
	ps := m.points(2, 4096)
	ctx := context.Background()
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zs, err := s.Lookup(ctx, ps[i%len(ps)], t1)
		if err != nil {
			b.Fatal(err)
		}
		hits += len(zs)
	}
	b.ReportMetric(float64(hits)/float64(b.N), "zones/op")
}

// BenchmarkLookupBatch10k: 10,000 points per op in one round trip.
func BenchmarkLookupBatch10k(b *testing.B) {
	s, m := loadBenchMap(b)
	ps := m.points(3, 10000)
	ctx := context.Background()
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := s.LookupBatch(ctx, ps, t1)
		if err != nil {
			b.Fatal(err)
		}
		for _, zs := range out {
			hits += len(zs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/point")
	b.ReportMetric(float64(hits)/float64(b.N*len(ps)), "zones/point")
}

// TestBenchMapValid keeps the benchmark district honest: it loads into
// PostGIS (every geometry valid) and a batch agrees with single look-ups.
func TestBenchMapValid(t *testing.T) {
	s := openTestStore(t)
	m := newBenchMap(1)
	ctx := context.Background()
	if _, err := s.CreateZones(ctx, m.zones); err != nil {
		t.Fatal(err)
	}
	ps := m.points(3, 300)
	batch, err := s.LookupBatch(ctx, ps, t1)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for i, p := range ps {
		one, err := s.Lookup(ctx, p, t1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(one)) != fmt.Sprint(ids(batch[i])) {
			t.Fatalf("point %v: lookup %v batch %v", p, ids(one), ids(batch[i]))
		}
		hits += len(one)
	}
	if hits < len(ps)/2 {
		t.Fatalf("only %d hits for %d points: district too sparse", hits, len(ps))
	}
}
