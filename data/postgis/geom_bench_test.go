package postgis

// The go-geom decision (issue 11): github.com/twpayne/go-geom's EWKB
// against orb's (what the store uses) at the PostGIS boundary, on a load
// of 10,000 zones. go-geom is imported by this test only; the README says
// why orb's encoding stays.

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/twpayne/go-geom"
	gewkb "github.com/twpayne/go-geom/encoding/ewkb"

	"lifeline/zones"
)

// tenThousandZones: compound-like polygons of 24 vertices, one in five with
// a hole (a courtyard), on a 100 x 100 grid.
func tenThousandZones() []orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(10, 0))
	out := make([]orb.MultiPolygon, 0, 10000)
	for i := range 10000 {
		cx, cy := 104+0.003*float64(i%100), 30.5+0.003*float64(i/100)
		ring := make(orb.Ring, 0, 25)
		for k := range 24 {
			a := 2 * math.Pi * float64(k) / 24
			f := 0.9 + 0.1*rng.Float64()
			ring = append(ring, orb.Point{cx + f*0.0012*math.Cos(a), cy + f*0.0009*math.Sin(a)})
		}
		ring = append(ring, ring[0])
		poly := orb.Polygon{ring}
		if i%5 == 0 {
			poly = append(poly, orb.Ring{{cx - 0.0002, cy - 0.0002}, {cx - 0.0002, cy + 0.0002}, {cx + 0.0002, cy + 0.0002}, {cx + 0.0002, cy - 0.0002}, {cx - 0.0002, cy - 0.0002}})
		}
		out = append(out, orb.MultiPolygon{poly})
	}
	return out
}

// toGeom converts an orb multipolygon to go-geom's (what the store would
// do at the boundary: orb stays the one type in exported signatures).
func toGeom(mp orb.MultiPolygon) *geom.MultiPolygon {
	var flat []float64
	var endss [][]int
	for _, p := range mp {
		var ends []int
		for _, r := range p {
			for _, pt := range r {
				flat = append(flat, pt[0], pt[1])
			}
			ends = append(ends, len(flat))
		}
		endss = append(endss, ends)
	}
	return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(SRID)
}

// fromGeom converts back to orb.
func fromGeom(g *geom.MultiPolygon) orb.MultiPolygon {
	flat := g.FlatCoords()
	out := make(orb.MultiPolygon, 0, g.NumPolygons())
	start := 0
	for _, ends := range g.Endss() {
		poly := make(orb.Polygon, 0, len(ends))
		for _, end := range ends {
			r := make(orb.Ring, 0, (end-start)/2)
			for i := start; i < end; i += 2 {
				r = append(r, orb.Point{flat[i], flat[i+1]})
			}
			poly = append(poly, r)
			start = end
		}
		out = append(out, poly)
	}
	return out
}

// TestGoGeomEWKBMatchesOrb: both libraries write the same EWKB bytes
// (little-endian, SRID 4326) and read each other's back to the same
// coordinates, so either could sit at the boundary.
func TestGoGeomEWKBMatchesOrb(t *testing.T) {
	for i, mp := range tenThousandZones()[:200] {
		a, err := ewkb.Marshal(mp, SRID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gewkb.Marshal(toGeom(mp), binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Fatalf("zone %d: orb and go-geom write different EWKB (%d and %d bytes)", i, len(a), len(b))
		}
		g, err := gewkb.Unmarshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if back := fromGeom(g.(*geom.MultiPolygon)); !orb.Equal(back, mp) {
			t.Fatalf("zone %d: go-geom read back %v", i, back)
		}
	}
}

// BenchmarkEWKB10kZones: encode and decode all 10,000 zones once per op.
// "orb" is what the store does; "go-geom" is go-geom's codec alone on its
// own type; "go-geom+convert" adds the conversion from/to orb that the
// store would need, since orb is the type everywhere above the boundary.
func BenchmarkEWKB10kZones(b *testing.B) {
	mps := tenThousandZones()
	gs := make([]*geom.MultiPolygon, len(mps))
	bufs := make([][]byte, len(mps))
	size := 0
	for i, mp := range mps {
		gs[i] = toGeom(mp)
		bufs[i], _ = ewkb.Marshal(mp, SRID)
		size += len(bufs[i])
	}
	b.Logf("10,000 zones, %d bytes of EWKB", size)
	b.Run("encode/orb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, mp := range mps {
				if _, err := ewkb.Marshal(mp, SRID); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encode/go-geom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, g := range gs {
				if _, err := gewkb.Marshal(g, binary.LittleEndian); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encode/go-geom+convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, mp := range mps {
				if _, err := gewkb.Marshal(toGeom(mp), binary.LittleEndian); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("decode/orb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, buf := range bufs {
				if _, err := decodeMultiPolygon(buf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("decode/go-geom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, buf := range bufs {
				if _, err := gewkb.Unmarshal(buf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("decode/go-geom+convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, buf := range bufs {
				g, err := gewkb.Unmarshal(buf)
				if err != nil {
					b.Fatal(err)
				}
				_ = fromGeom(g.(*geom.MultiPolygon))
			}
		}
	})
}

// BenchmarkZoneLoad10k: what a replica does at start with 10,000 zones in
// the database: every version read (ZoneChangesSince(0), one query,
// geometry as EWKB decoded by orb) and the in-memory index built; to put
// the codec's share (BenchmarkEWKB10kZones) in proportion.
func BenchmarkZoneLoad10k(b *testing.B) {
	s := openTestStore(b)
	ctx := context.Background()
	mps := tenThousandZones()
	zs := make([]zones.Zone, len(mps))
	for i, mp := range mps {
		zs[i] = zones.Zone{Kind: zones.KindControlled, Name: fmt.Sprint("z", i), Geometry: mp, EffectiveFrom: t0}
	}
	start := time.Now()
	for lo := 0; lo < len(zs); lo += 1000 {
		if _, err := s.CreateZones(ctx, zs[lo:lo+1000]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("10,000 zones written in batches of 1,000 in %v", time.Since(start).Round(time.Millisecond))
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			cs, _, err := s.ZoneChangesSince(ctx, 0, 0)
			if err != nil || len(cs) != 10000 {
				b.Fatalf("%d changes, %v", len(cs), err)
			}
		}
	})
	b.Run("read+index", func(b *testing.B) {
		for b.Loop() {
			r, err := Open(ctx, testDatabaseURL(), WithSchema(s.Schema()), WithMaxConns(2))
			if err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
}
