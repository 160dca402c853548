package chengdu

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmxml"

	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/geo/basemap"
	"lifeline/routing/network"
	osmprofile "lifeline/routing/osm"
	"lifeline/zones"
)

// raw is the extract read straight from the XML (the oracle, independent of
// the basemap and generator code).
type raw struct {
	nodes map[osm.NodeID]orb.Point
	ways  []*osm.Way
	tags  map[string]int // "k=v" over nodes and ways
	named map[string]int // "k=v" over nodes and ways with a name
}

var (
	rawOnce sync.Once
	rawData raw
)

func readRaw(t testing.TB) raw {
	t.Helper()
	rawOnce.Do(func() {
		b, err := OSM()
		if err != nil {
			t.Fatal(err)
		}
		r := raw{nodes: map[osm.NodeID]orb.Point{}, tags: map[string]int{}, named: map[string]int{}}
		sc := osmxml.New(context.Background(), bytes.NewReader(b))
		defer sc.Close()
		count := func(ts osm.Tags) {
			for _, tg := range ts {
				r.tags[tg.Key+"="+tg.Value]++
				if ts.Find("name") != "" {
					r.named[tg.Key+"="+tg.Value]++
				}
			}
		}
		for sc.Scan() {
			switch e := sc.Object().(type) {
			case *osm.Node:
				r.nodes[e.ID] = orb.Point{e.Lon, e.Lat}
				count(e.Tags)
			case *osm.Way:
				r.ways = append(r.ways, e)
				count(e.Tags)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		rawData = r
	})
	return rawData
}

func TestExtractFacts(t *testing.T) {
	r := readRaw(t)
	// The counts PROVENANCE.md gives for the file.
	for kv, want := range map[string]int{"landuse=residential": 186, "amenity=hospital": 28, "amenity=pharmacy": 4} {
		if r.tags[kv] != want {
			t.Errorf("%s: %d, want %d", kv, r.tags[kv], want)
		}
	}
	if n := r.named["landuse=residential"]; n != 178 {
		t.Errorf("named residential areas: %d, want 178", n)
	}
	if len(r.ways) != 3820 {
		t.Errorf("%d ways, want 3820", len(r.ways))
	}
}

func TestGenerateDeterministic(t *testing.T) {
	enc := func(d *demo.District) []byte {
		var b bytes.Buffer
		for _, fc := range []zones.FeatureCollection{
			zones.CompoundsFeatureCollection(d.Compounds),
			zones.FacilitiesFeatureCollection(d.Facilities),
			zones.ZonesFeatureCollection(d.Zones),
		} {
			j, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		b.Write(d.StreetsOSM)
		return b.Bytes()
	}
	a, err := Generate(7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(7)
	c, _ := Generate(8)
	if !bytes.Equal(enc(a), enc(b)) {
		t.Error("the same seed gave different districts")
	}
	if bytes.Equal(enc(a), enc(c)) {
		t.Error("seeds 7 and 8 gave the same district")
	}
}

func TestDistrictCompounds(t *testing.T) {
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	bounds, _ := Bounds()
	r := readRaw(t)
	// Most named residential areas become compounds (the others reach outside
	// the bounds or have invalid rings).
	if n := len(d.Compounds); n < 150 || n > r.named["landuse=residential"] {
		t.Errorf("%d compounds, want 150..%d", n, r.named["landuse=residential"])
	}
	pop, aged := 0, 0
	names := map[string]bool{}
	for _, c := range d.Compounds {
		if err := zones.ValidateCompound(c); err != nil {
			t.Errorf("compound %q: %v", c.Name, err)
		}
		if names[c.Name] {
			t.Errorf("compound name %q twice", c.Name)
		}
		names[c.Name] = true
		b := c.Geometry.Bound()
		if !bounds.Contains(b.Min) || !bounds.Contains(b.Max) {
			t.Errorf("compound %q (%v) is not inside the extract's bounds %v", c.Name, b, bounds)
		}
		if len(c.Gates) < 1 || len(c.Gates) > 3 {
			t.Errorf("compound %q has %d gates", c.Name, len(c.Gates))
		}
		for _, g := range c.Gates {
			if !zones.MultiPolygonCovers(c.Geometry, g) {
				t.Errorf("compound %q: gate %v is outside it", c.Name, g)
			}
		}
		if c.Population <= 0 || c.Households <= 0 || c.Households > c.Population {
			t.Errorf("compound %q: population %d households %d", c.Name, c.Population, c.Households)
		}
		pop += c.Population
		aged += c.Aged60Plus
	}
	if pop < 100000 || pop > 400000 {
		t.Errorf("population %d, want 100k-400k for ~180 high-rise compounds", pop)
	}
	if share := float64(aged) / float64(pop); math.Abs(share-AgedShare) > 0.001 {
		t.Errorf("aged 60+ share %.4f, want %.2f", share, AgedShare)
	}
	t.Logf("%d compounds, %d residents, %d aged 60+", len(d.Compounds), pop, aged)
}

func TestDistrictFacilitiesAndZones(t *testing.T) {
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	bounds, _ := Bounds()
	kinds := map[zones.FacilityKind]int{}
	red := 0
	for _, f := range d.Facilities {
		if err := zones.ValidateFacility(f); err != nil {
			t.Errorf("facility %q: %v", f.Name, err)
		}
		if !bounds.Contains(f.Point) {
			t.Errorf("facility %q at %v is outside the bounds", f.Name, f.Point)
		}
		kinds[f.Kind]++
		for _, c := range f.Accepts {
			if c == zones.CodeRed {
				red++
			}
		}
	}
	// 28 amenity=hospital: one is a dental clinic (a health centre).
	if kinds[zones.FacilityHospital] != 27 || red != 1 {
		t.Errorf("%d hospitals, %d take red codes; want 27 and 1", kinds[zones.FacilityHospital], red)
	}
	if kinds[zones.FacilitySupplyPoint] != len(d.Compounds) || kinds[zones.FacilityDepot] != 1 ||
		kinds[zones.FacilityPharmacy] < 4 || kinds[zones.FacilityCandidateSite] < 15 {
		t.Errorf("facility kinds %v", kinds)
	}
	want := map[zones.Kind]int{zones.KindPrevention: 1, zones.KindSealed: 2, zones.KindControlled: 5}
	got := map[zones.Kind]int{}
	lifted := 0
	var prevention orb.MultiPolygon
	for _, z := range d.Zones {
		if err := zones.ValidateZone(z); err != nil {
			t.Errorf("zone %q: %v", z.Name, err)
		}
		got[z.Kind]++
		if z.Kind == zones.KindPrevention {
			prevention = z.Geometry
		}
	}
	for _, z := range d.Zones {
		if z.EffectiveUntil != nil {
			lifted++
			continue
		}
		if z.Kind == zones.KindPrevention {
			continue
		}
		for _, p := range z.Geometry[0][0] {
			if !zones.MultiPolygonCovers(prevention, p) {
				t.Errorf("zone %q reaches outside the prevention area", z.Name)
				break
			}
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d %s zones, want %d", got[k], k, n)
		}
	}
	if lifted != 1 {
		t.Errorf("%d lifted zones, want 1", lifted)
	}
	// The district loads into a store as the synthetic one does.
	st := memstore.New()
	if err := demo.Load(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ListCompounds(context.Background(), nil)
	if len(cs) != len(d.Compounds) {
		t.Errorf("store holds %d compounds, want %d", len(cs), len(d.Compounds))
	}
}

func TestDistrictOnTheCarGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the car graph (about 2 s)")
	}
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	car, err := network.Build(context.Background(), bytes.NewReader(d.StreetsOSM), osmprofile.Car, network.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Facilities {
		if f.Kind != zones.FacilityHospital {
			continue
		}
		if s, err := car.Snap(f.Point); err != nil {
			t.Errorf("hospital %q does not snap: %v", f.Name, err)
		} else if s.Distance > 300 {
			t.Errorf("hospital %q is %.0f m from the car graph", f.Name, s.Distance)
		}
	}
	// Routes between compounds far apart, gate to gate.
	cs := d.Compounds
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Gates[0][0] < cs[j].Gates[0][0] })
	for _, pair := range [][2]int{{0, len(cs) - 1}, {len(cs) / 3, 2 * len(cs) / 3}} {
		a, b := cs[pair[0]], cs[pair[1]]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := car.Route(ctx, a.Gates[0], b.Gates[0], network.RouteOptions{})
		cancel()
		if err != nil {
			t.Errorf("route %q -> %q: %v", a.Name, b.Name, err)
			continue
		}
		if r.Distance < 1000 || r.Time <= 0 {
			t.Errorf("route %q -> %q: %.0f m, %.0f s", a.Name, b.Name, r.Distance, r.Time)
		}
	}
}

// TestTileHoldsTheRoadThatIsThere: for named primary and secondary ways of
// the raw extract, the z14 and z16 tiles at the way's middle node carry a
// road of that name.
func TestTileHoldsTheRoadThatIsThere(t *testing.T) {
	r := readRaw(t)
	b, err := Basemap()
	if err != nil {
		t.Fatal(err)
	}
	tr := basemap.NewTiler(b, 0)
	bounds := b.Bounds
	checked := 0
	for _, w := range r.ways {
		hw, name := w.Tags.Find("highway"), w.Tags.Find("name")
		if (hw != "primary" && hw != "secondary" && hw != "residential") || name == "" || len(w.Nodes) < 3 || w.ID%7 != 0 {
			continue
		}
		mid, ok := r.nodes[w.Nodes[len(w.Nodes)/2].ID]
		if !ok || !bounds.Contains(mid) {
			continue
		}
		for _, z := range []maptile.Zoom{14, 16} {
			tl := maptile.At(mid, z)
			gz, err := tr.Tile(tl)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := mvt.UnmarshalGzipped(gz)
			if err != nil {
				t.Fatal(err)
			}
			// Back to [lon, lat]: the named road passes within 10 m of the node.
			ls.ProjectToWGS84(tl)
			best := math.Inf(1)
			for _, l := range ls {
				if l.Name != basemap.LayerRoads {
					continue
				}
				for _, f := range l.Features {
					if f.Properties["name"] == name {
						best = math.Min(best, distToLines(mid, f.Geometry))
					}
				}
			}
			if best > 10 {
				t.Errorf("way %d %q (%s): tile %d/%d/%d has it %.0f m from its node %v", w.ID, name, hw, tl.Z, tl.X, tl.Y, best, mid)
			}
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d ways checked", checked)
	}
}

// distToLines is the distance in metres from p to a (multi)line string.
func distToLines(p orb.Point, g orb.Geometry) float64 {
	var lines []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		lines = []orb.LineString{g}
	case orb.MultiLineString:
		lines = g
	}
	mx, my := 111320*math.Cos(p[1]*math.Pi/180), 110574.0
	best := math.Inf(1)
	for _, l := range lines {
		for i := 0; i+1 < len(l); i++ {
			ax, ay := (l[i][0]-p[0])*mx, (l[i][1]-p[1])*my
			bx, by := (l[i+1][0]-p[0])*mx, (l[i+1][1]-p[1])*my
			dx, dy := bx-ax, by-ay
			t := 0.0
			if d := dx*dx + dy*dy; d > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/d))
			}
			best = math.Min(best, math.Hypot(ax+t*dx, ay+t*dy))
		}
	}
	return best
}
