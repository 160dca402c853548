package demo

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmxml"

	"lifeline/geo"
	"lifeline/zones"
)

// local projects [lon, lat] to metres around the district centre.
func local(p orb.Point) [2]float64 {
	mx, my := geo.MetersPerDegree(Centre[1])
	return [2]float64{(p[0] - Centre[0]) * mx, (p[1] - Centre[1]) * my}
}

func segDist(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func orient(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// segsCross reports whether segments ab and cd intersect (touching counts).
func segsCross(a, b, c, d [2]float64) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
		return true
	}
	on := func(p, q, r [2]float64, o float64) bool {
		return o == 0 && math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) &&
			math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
	}
	return on(a, b, c, o1) || on(a, b, d, o2) || on(c, d, a, o3) || on(c, d, b, o4)
}

func inRing(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func ringDist(r orb.Ring, p orb.Point) float64 {
	best := math.Inf(1)
	lp := local(p)
	for i := 0; i+1 < len(r); i++ {
		best = math.Min(best, segDist(lp, local(r[i]), local(r[i+1])))
	}
	return best
}

// checkPolygon applies the rules of the zone validators: closed rings of at
// least 4 points, counter-clockwise shell, no self-intersection, lon/lat in range.
func checkPolygon(t *testing.T, name string, mp orb.MultiPolygon) {
	t.Helper()
	if len(mp) != 1 || len(mp[0]) != 1 {
		t.Fatalf("%s: want one polygon with one ring, got %d polygons", name, len(mp))
	}
	r := mp[0][0]
	if len(r) < 4 || r[0] != r[len(r)-1] {
		t.Fatalf("%s: ring not closed or too short: %v", name, r)
	}
	for _, p := range r {
		if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 || math.Abs(p[0]-Centre[0]) > 0.05 || math.Abs(p[1]-Centre[1]) > 0.05 {
			t.Fatalf("%s: point out of range: %v", name, p)
		}
	}
	if orb.Ring(r).Orientation() != orb.CCW {
		t.Errorf("%s: shell is not counter-clockwise", name)
	}
	n := len(r) - 1
	for i := range n {
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) {
				continue // adjacent edges share a vertex
			}
			if segsCross(local(r[i]), local(r[i+1]), local(r[j]), local(r[j+1])) {
				t.Errorf("%s: edges %d and %d intersect", name, i, j)
			}
		}
	}
}

func overlap(a, b orb.Ring) bool {
	if !a.Bound().Intersects(b.Bound()) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		for j := 0; j+1 < len(b); j++ {
			if segsCross(local(a[i]), local(a[i+1]), local(b[j]), local(b[j+1])) {
				return true
			}
		}
	}
	return inRing(a, b[0]) || inRing(b, a[0])
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(7), Generate(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different districts")
	}
	if !bytes.Equal(a.StreetsOSM, b.StreetsOSM) {
		t.Fatal("same seed gave different OSM bytes")
	}
	c := Generate(8)
	if bytes.Equal(a.StreetsOSM, c.StreetsOSM) || reflect.DeepEqual(a.Compounds, c.Compounds) {
		t.Fatal("different seeds gave the same district")
	}
	if !reflect.DeepEqual(Default(), Generate(DefaultSeed)) {
		t.Fatal("Default differs from Generate(DefaultSeed)")
	}
}

var seeds = []uint64{DefaultSeed, 1, 2, 3, 42, 1 << 40}

func TestCountsAndTotals(t *testing.T) {
	for _, seed := range seeds {
		d := Generate(seed)
		if len(d.Compounds) != NumCompounds {
			t.Fatalf("seed %d: %d compounds", seed, len(d.Compounds))
		}
		pop, aged, hh := 0, 0, 0
		names := map[string]bool{}
		for _, c := range d.Compounds {
			if c.Population <= 0 || c.Aged60Plus < 0 || c.Aged60Plus > c.Population || c.Households <= 0 {
				t.Errorf("seed %d: %s: bad figures %+v", seed, c.Name, c)
			}
			if len(c.Gates) < 1 || len(c.Gates) > 3 {
				t.Errorf("seed %d: %s: %d gates", seed, c.Name, len(c.Gates))
			}
			if names[c.Name] || c.Name == "" {
				t.Errorf("seed %d: duplicate or empty name %q", seed, c.Name)
			}
			names[c.Name] = true
			pop += c.Population
			aged += c.Aged60Plus
			hh += c.Households
		}
		if pop != 51000 {
			t.Errorf("seed %d: population %d", seed, pop)
		}
		if r := float64(aged) / float64(pop); math.Abs(r-0.37) > 0.005 {
			t.Errorf("seed %d: aged 60+ share %.3f", seed, r)
		}
		if r := float64(pop) / float64(hh); r < 2.5 || r > 2.7 {
			t.Errorf("seed %d: %.2f people per household", seed, r)
		}

		kinds := map[zones.FacilityKind]int{}
		redOK := 0
		for _, f := range d.Facilities {
			if !f.Kind.Valid() || f.Name == "" || f.OpeningHours == "" {
				t.Errorf("seed %d: bad facility %+v", seed, f)
			}
			kinds[f.Kind]++
			if f.Kind == zones.FacilityHospital {
				if f.Capacity <= 0 || len(f.Accepts) == 0 {
					t.Errorf("seed %d: hospital %q without capacity or accepts", seed, f.Name)
				}
				for _, a := range f.Accepts {
					if a == zones.CodeRed {
						redOK++
					}
				}
			}
		}
		want := map[zones.FacilityKind][2]int{
			zones.FacilityHospital: {4, 4}, zones.FacilityPharmacy: {3, 5}, zones.FacilityHealthCentre: {1, 1},
			zones.FacilitySupplyPoint: {40, 40}, zones.FacilityDepot: {1, 1}, zones.FacilityCandidateSite: {13, 17},
		}
		for k, r := range want {
			if kinds[k] < r[0] || kinds[k] > r[1] {
				t.Errorf("seed %d: %d facilities of kind %s, want %d..%d", seed, kinds[k], k, r[0], r[1])
			}
		}
		if redOK != 1 {
			t.Errorf("seed %d: %d hospitals accept red codes, want 1", seed, redOK)
		}
		for i, f := range d.Facilities {
			if f.ID != int64(i+1) {
				t.Errorf("seed %d: facility %d has id %d", seed, i, f.ID)
			}
		}
	}
}

func TestZones(t *testing.T) {
	for _, seed := range seeds {
		d := Generate(seed)
		at := EffectiveFrom.Add(3 * 24 * time.Hour)
		active := map[zones.Kind]int{}
		lifted := 0
		var prevention orb.Ring
		for _, z := range d.Zones {
			if !z.Kind.Valid() || z.Name == "" || z.Reason == "" {
				t.Errorf("seed %d: bad zone %+v", seed, z)
			}
			checkPolygon(t, z.Name, z.Geometry)
			if z.EffectiveUntil != nil {
				lifted++
				if !z.EffectiveUntil.After(z.EffectiveFrom) || z.ActiveAt(at) {
					t.Errorf("seed %d: lifted zone %q has a bad window", seed, z.Name)
				}
			}
			if z.ActiveAt(at) {
				active[z.Kind]++
			}
			if z.Kind == zones.KindPrevention {
				prevention = z.Geometry[0][0]
			}
		}
		if active[zones.KindSealed] != 2 || active[zones.KindControlled] != 4 || active[zones.KindPrevention] != 1 || lifted != 1 {
			t.Errorf("seed %d: active %v, lifted %d", seed, active, lifted)
		}
		if got := len(d.Zones); got != 8 {
			t.Errorf("seed %d: %d zones", seed, got)
		}
		// Every active sealed or controlled zone lies in the prevention zone.
		for _, z := range d.Zones {
			if z.Kind == zones.KindPrevention || !z.ActiveAt(at) {
				continue
			}
			for _, p := range z.Geometry[0][0] {
				if !inRing(prevention, p) {
					t.Errorf("seed %d: %q sticks out of the prevention zone at %v", seed, z.Name, p)
				}
			}
		}
		// The prevention zone covers a big part of the district.
		if a := math.Abs(areaM2(prevention)); a < 0.5*WidthMeters*HeightMeters {
			t.Errorf("seed %d: prevention zone covers only %.0f m2", seed, a)
		}
	}
}

func areaM2(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		a, b := local(r[i]), local(r[i+1])
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

func TestCompoundGeometry(t *testing.T) {
	for _, seed := range seeds {
		d := Generate(seed)
		for _, c := range d.Compounds {
			checkPolygon(t, c.Name, c.Geometry)
			if a := areaM2(c.Geometry[0][0]); a < 20000 {
				t.Errorf("seed %d: %s: area %.0f m2 is too small", seed, c.Name, a)
			}
			for _, g := range c.Gates {
				if dm := ringDist(c.Geometry[0][0], g); dm > 1 || !inRing(c.Geometry[0][0], g) {
					t.Errorf("seed %d: %s: gate %v is %.2f m from the wall or outside", seed, c.Name, g, dm)
				}
			}
		}
		for i := range d.Compounds {
			for j := i + 1; j < len(d.Compounds); j++ {
				if overlap(d.Compounds[i].Geometry[0][0], d.Compounds[j].Geometry[0][0]) {
					t.Errorf("seed %d: %s overlaps %s", seed, d.Compounds[i].Name, d.Compounds[j].Name)
				}
			}
		}
		// Facilities other than supply points are outside every compound;
		// supply points sit on a gate of their own compound.
		byID := map[int64]zones.Compound{}
		for _, c := range d.Compounds {
			byID[c.ID] = c
		}
		for _, f := range d.Facilities {
			if f.Kind == zones.FacilitySupplyPoint {
				c, ok := byID[f.CompoundID]
				if !ok {
					t.Errorf("seed %d: %s: unknown compound %d", seed, f.Name, f.CompoundID)
					continue
				}
				atGate := false
				for _, g := range c.Gates {
					atGate = atGate || geo.Haversine(g, f.Point) < 0.01
				}
				if !atGate {
					t.Errorf("seed %d: %s is not at a gate of %s", seed, f.Name, c.Name)
				}
				continue
			}
			if f.CompoundID != 0 {
				t.Errorf("seed %d: %s has a compound id", seed, f.Name)
			}
			for _, c := range d.Compounds {
				if inRing(c.Geometry[0][0], f.Point) {
					t.Errorf("seed %d: %s lies inside %s", seed, f.Name, c.Name)
				}
			}
		}
	}
}

type network struct {
	nodes map[osm.NodeID]orb.Point
	ways  []*osm.Way
}

func parseStreets(t *testing.T, b []byte) network {
	t.Helper()
	sc := osmxml.New(context.Background(), bytes.NewReader(b))
	defer sc.Close()
	n := network{nodes: map[osm.NodeID]orb.Point{}}
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			n.nodes[o.ID] = o.Point()
		case *osm.Way:
			n.ways = append(n.ways, o)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("osmxml: %v", err)
	}
	return n
}

func TestStreets(t *testing.T) {
	for _, seed := range seeds {
		d := Generate(seed)
		n := parseStreets(t, d.StreetsOSM)
		if len(n.nodes) < 50 || len(n.ways) < 20 {
			t.Fatalf("seed %d: only %d nodes, %d ways", seed, len(n.nodes), len(n.ways))
		}
		highways := map[string]int{}
		oneway := 0
		adj := map[osm.NodeID][]osm.NodeID{}
		type seg struct{ a, b [2]float64 }
		var segs []seg
		for _, w := range n.ways {
			hw := w.Tags.Find("highway")
			highways[hw]++
			if w.Tags.Find("name") == "" {
				t.Errorf("seed %d: way %d has no name", seed, w.ID)
			}
			if w.Tags.Find("oneway") == "yes" {
				oneway++
			}
			if len(w.Nodes) < 2 {
				t.Errorf("seed %d: way %d has %d nodes", seed, w.ID, len(w.Nodes))
			}
			for k, wn := range w.Nodes {
				if _, ok := n.nodes[wn.ID]; !ok {
					t.Fatalf("seed %d: way %d refers to missing node %d", seed, w.ID, wn.ID)
				}
				if k > 0 {
					p := w.Nodes[k-1].ID
					adj[p] = append(adj[p], wn.ID)
					adj[wn.ID] = append(adj[wn.ID], p)
					segs = append(segs, seg{local(n.nodes[p]), local(n.nodes[wn.ID])})
				}
			}
		}
		for _, hw := range []string{"primary", "secondary", "tertiary", "residential"} {
			if highways[hw] == 0 {
				t.Errorf("seed %d: no %s way", seed, hw)
			}
		}
		if oneway == 0 {
			t.Errorf("seed %d: no one-way street", seed)
		}
		// Connected: BFS from any node reaches every node.
		var start osm.NodeID
		for id := range n.nodes {
			start = id
			break
		}
		seen := map[osm.NodeID]bool{start: true}
		queue := []osm.NodeID{start}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, u := range adj[v] {
				if !seen[u] {
					seen[u] = true
					queue = append(queue, u)
				}
			}
		}
		if len(seen) != len(n.nodes) {
			t.Errorf("seed %d: street network not connected: %d of %d nodes reached", seed, len(seen), len(n.nodes))
		}
		// Strongly connected for cars too: one-way ways only go forwards.
		// Every node reaches start and start reaches every node.
		fwd := map[osm.NodeID][]osm.NodeID{}
		rev := map[osm.NodeID][]osm.NodeID{}
		for _, w := range n.ways {
			oneway := w.Tags.Find("oneway") == "yes"
			for k := 1; k < len(w.Nodes); k++ {
				a, b := w.Nodes[k-1].ID, w.Nodes[k].ID
				fwd[a] = append(fwd[a], b)
				rev[b] = append(rev[b], a)
				if !oneway {
					fwd[b] = append(fwd[b], a)
					rev[a] = append(rev[a], b)
				}
			}
		}
		for dir, g := range []map[osm.NodeID][]osm.NodeID{fwd, rev} {
			seen := map[osm.NodeID]bool{start: true}
			queue := []osm.NodeID{start}
			for len(queue) > 0 {
				v := queue[0]
				queue = queue[1:]
				for _, u := range g[v] {
					if !seen[u] {
						seen[u] = true
						queue = append(queue, u)
					}
				}
			}
			if len(seen) != len(n.nodes) {
				t.Errorf("seed %d: not strongly connected (direction %d): %d of %d nodes", seed, dir, len(seen), len(n.nodes))
			}
		}
		near := func(p orb.Point) float64 {
			best := math.Inf(1)
			lp := local(p)
			for _, s := range segs {
				best = math.Min(best, segDist(lp, s.a, s.b))
			}
			return best
		}
		for _, c := range d.Compounds {
			for _, g := range c.Gates {
				if dm := near(g); dm > 15 {
					t.Errorf("seed %d: %s: gate %v is %.1f m from the nearest street", seed, c.Name, g, dm)
				}
			}
		}
		for _, f := range d.Facilities {
			if dm := near(f.Point); dm > 15 {
				t.Errorf("seed %d: %s is %.1f m from the nearest street", seed, f.Name, dm)
			}
		}
	}
}

// fakeStore is the smallest zones.Store that records what Load does.
type fakeStore struct {
	compounds  []zones.Compound
	facilities []zones.Facility
	zs         []zones.Zone
	lifts      int
	failZones  bool
}

func (s *fakeStore) CreateCompound(_ context.Context, c zones.Compound) (zones.Compound, error) {
	if c.ID != 0 {
		return c, errors.New("id set")
	}
	c.ID = int64(100 + len(s.compounds))
	s.compounds = append(s.compounds, c)
	return c, nil
}
func (s *fakeStore) GetCompound(context.Context, int64) (zones.Compound, error) {
	return zones.Compound{}, zones.ErrNotFound
}
func (s *fakeStore) ListCompounds(context.Context, *orb.Bound) ([]zones.Compound, error) {
	return s.compounds, nil
}
func (s *fakeStore) CreateFacility(_ context.Context, f zones.Facility) (zones.Facility, error) {
	f.ID = int64(500 + len(s.facilities))
	s.facilities = append(s.facilities, f)
	return f, nil
}
func (s *fakeStore) GetFacility(context.Context, int64) (zones.Facility, error) {
	return zones.Facility{}, zones.ErrNotFound
}
func (s *fakeStore) ListFacilities(context.Context, zones.FacilityFilter) ([]zones.Facility, error) {
	return s.facilities, nil
}
func (s *fakeStore) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	zs, err := s.CreateZones(ctx, []zones.Zone{z})
	if err != nil {
		return zones.Zone{}, err
	}
	return zs[0], nil
}
func (s *fakeStore) CreateZones(_ context.Context, zs []zones.Zone) ([]zones.Zone, error) {
	if s.failZones {
		return nil, &zones.ValidationError{Path: "features[0]", Message: "boom"}
	}
	var out []zones.Zone
	for _, z := range zs {
		if z.EffectiveUntil != nil {
			return nil, errors.New("created with until")
		}
		z.ID = int64(900 + len(s.zs))
		s.zs = append(s.zs, z)
		out = append(out, z)
	}
	return out, nil
}
func (s *fakeStore) GetZone(context.Context, int64) (zones.Zone, error) {
	return zones.Zone{}, zones.ErrNotFound
}
func (s *fakeStore) ListZones(context.Context, zones.ZoneFilter) ([]zones.Zone, error) {
	return s.zs, nil
}
func (s *fakeStore) UpdateZone(_ context.Context, z zones.Zone) (zones.Zone, error) { return z, nil }
func (s *fakeStore) ZoneHistory(context.Context, int64) ([]zones.Zone, error) {
	return nil, zones.ErrNotFound
}
func (s *fakeStore) ImportZones(context.Context, []zones.Zone) (zones.ImportResult, error) {
	return zones.ImportResult{}, nil
}
func (s *fakeStore) LiftZone(_ context.Context, id int64, at time.Time) (zones.Zone, error) {
	for i := range s.zs {
		if s.zs[i].ID == id {
			s.zs[i].EffectiveUntil = &at
			s.lifts++
			return s.zs[i], nil
		}
	}
	return zones.Zone{}, zones.ErrNotFound
}
func (s *fakeStore) Lookup(context.Context, orb.Point, time.Time) ([]zones.Zone, error) {
	return nil, nil
}
func (s *fakeStore) LookupBatch(context.Context, []orb.Point, time.Time) ([][]zones.Zone, error) {
	return nil, nil
}
func (s *fakeStore) Ping(context.Context) error { return nil }
func (s *fakeStore) Close() error               { return nil }

var _ zones.Store = (*fakeStore)(nil)

func TestLoad(t *testing.T) {
	ctx := context.Background()
	d := Default()
	before := Default()
	s := &fakeStore{}
	if err := Load(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, before) {
		t.Error("Load modified the district")
	}
	if len(s.compounds) != len(d.Compounds) || len(s.facilities) != len(d.Facilities) || len(s.zs) != len(d.Zones) {
		t.Fatalf("loaded %d/%d/%d", len(s.compounds), len(s.facilities), len(s.zs))
	}
	if s.lifts != 1 {
		t.Errorf("%d lifts, want 1", s.lifts)
	}
	for i, f := range s.facilities {
		if f.Kind != zones.FacilitySupplyPoint {
			continue
		}
		local := d.Facilities[i].CompoundID
		if f.CompoundID != 100+local-1 || s.compounds[f.CompoundID-100].Name != d.Compounds[local-1].Name {
			t.Errorf("%s: compound id %d not remapped", f.Name, f.CompoundID)
		}
	}
	if err := Load(ctx, s, d); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second Load: %v, want ErrNotEmpty", err)
	}
	var ve *zones.ValidationError
	if err := Load(ctx, &fakeStore{failZones: true}, d); !errors.As(err, &ve) {
		t.Errorf("Load with failing store: %v, want a wrapped *ValidationError", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(DefaultSeed)
	}
}

// TestValidators runs the domain validators that every store applies.
func TestValidators(t *testing.T) {
	for _, seed := range seeds {
		d := Generate(seed)
		for _, c := range d.Compounds {
			if err := zones.ValidateCompound(c); err != nil {
				t.Errorf("seed %d: compound %s: %v", seed, c.Name, err)
			}
		}
		for _, f := range d.Facilities {
			if err := zones.ValidateFacility(f); err != nil {
				t.Errorf("seed %d: facility %s: %v", seed, f.Name, err)
			}
		}
		for _, z := range d.Zones {
			if err := zones.ValidateZone(z); err != nil {
				t.Errorf("seed %d: zone %s: %v", seed, z.Name, err)
			}
		}
		// Gates and supply points of a sealed compound count as inside its zone.
		for _, z := range d.Zones {
			if z.Kind != zones.KindSealed {
				continue
			}
			for _, c := range d.Compounds {
				if !c.Geometry.Bound().Equal(z.Geometry.Bound()) {
					continue
				}
				for _, g := range c.Gates {
					if !zones.MultiPolygonCovers(z.Geometry, g) {
						t.Errorf("seed %d: gate %v of %s is not covered by its sealed zone", seed, g, c.Name)
					}
				}
			}
		}
	}
}
