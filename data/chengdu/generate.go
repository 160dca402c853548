package chengdu

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/data/demo"
	"lifeline/geo"
	"lifeline/zones"
)

// DefaultSeed is the seed of Default.
const DefaultSeed uint64 = 20261201

// Density of the compounds, residents per km² of compound area (high-rise
// 小区 of central Chengdu; drawn per compound in this range).
const (
	minDensity = 28000.0
	maxDensity = 42000.0
	// AgedShare is the share of residents aged 60 and over.
	AgedShare = 0.37
)

// Default returns the district of DefaultSeed. Each call generates a fresh
// value that the caller may modify.
func Default() (*demo.District, error) { return Generate(DefaultSeed) }

// Generate builds the demo district on the extract's real places, seeded
// and deterministic (the same seed gives the same values):
//
//   - compounds: every named landuse=residential area of the extract that lies
//     inside its declared bounds and has a valid geometry; population = area x
//     a density drawn in 28,000-42,000 per km²; 37% aged 60+ in total; 1-3
//     gates on the wall nearest to drivable roads;
//   - hospitals (amenity=hospital): one designated hospital (a 人民医院 drawn
//     by the seed) accepts red and orange codes, three drawn others have fever
//     clinics (orange, yellow, green), the rest yellow and green; clinics,
//     doctors and a dental "hospital" become health centres;
//   - pharmacies: the extract's own, plus 12 community pharmacies at gates of
//     drawn compounds; one supply point per compound at its first gate; one
//     supply depot at the extract's largest marketplace or retail area;
//   - candidate sampling sites: named schools and parks (at their entrance
//     nearest to a road), up to 30;
//   - zones: a prevention area (an octagon of radius 1.2 km around a drawn
//     central compound), two sealed and four controlled compounds inside it,
//     and one controlled compound outside it already lifted.
//
// District.StreetsOSM is the whole extract (OSM XML).
func Generate(seed uint64) (*demo.District, error) {
	fc, bounds, err := features()
	if err != nil {
		return nil, err
	}
	streets, err := OSM()
	if err != nil {
		return nil, err
	}
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x6368656e676475)), bounds: bounds}
	g.mx, g.my = geo.MetersPerDegree(bounds.Center()[1])
	g.indexRoads(fc)
	d := &demo.District{StreetsOSM: streets}
	g.compounds(d, fc)
	if len(d.Compounds) < 10 {
		return nil, fmt.Errorf("chengdu: only %d usable compounds in the extract", len(d.Compounds))
	}
	if err := g.facilities(d, fc); err != nil {
		return nil, err
	}
	if err := g.zoneMap(d); err != nil {
		return nil, err
	}
	return d, nil
}

type gen struct {
	rng    *rand.Rand
	bounds orb.Bound
	mx, my float64 // metres per degree of lon, lat
	// Drivable road segments in a grid of cellDeg cells.
	segs  []roadSeg
	grid  map[[2]int32][]int32
	taken []orb.Point // points of facilities placed so far (no two within 15 m)
}

type roadSeg struct {
	a, b orb.Point
	name string
}

const cellDeg = 0.002

var drivable = map[string]bool{
	"motorway": true, "motorway_link": true, "trunk": true, "trunk_link": true, "primary": true, "primary_link": true,
	"secondary": true, "secondary_link": true, "tertiary": true, "tertiary_link": true, "unclassified": true,
	"residential": true, "living_street": true, "service": true, "road": true,
}

func tags(f *geojson.Feature) map[string]string {
	t, _ := f.Properties["tags"].(map[string]string)
	return t
}

func osmID(f *geojson.Feature) string {
	s, _ := f.ID.(string)
	return s
}

func cellOf(p orb.Point) [2]int32 {
	return [2]int32{int32(math.Floor(p[0] / cellDeg)), int32(math.Floor(p[1] / cellDeg))}
}

func (g *gen) indexRoads(fc *geojson.FeatureCollection) {
	g.grid = map[[2]int32][]int32{}
	for _, f := range fc.Features {
		t := tags(f)
		if !drivable[t["highway"]] {
			continue
		}
		ls, ok := f.Geometry.(orb.LineString)
		if !ok {
			continue
		}
		for i := 0; i+1 < len(ls); i++ {
			k := int32(len(g.segs))
			g.segs = append(g.segs, roadSeg{ls[i], ls[i+1], t["name"]})
			lo, hi := cellOf(orb.Point{math.Min(ls[i][0], ls[i+1][0]), math.Min(ls[i][1], ls[i+1][1])}),
				cellOf(orb.Point{math.Max(ls[i][0], ls[i+1][0]), math.Max(ls[i][1], ls[i+1][1])})
			for x := lo[0]; x <= hi[0]; x++ {
				for y := lo[1]; y <= hi[1]; y++ {
					g.grid[[2]int32{x, y}] = append(g.grid[[2]int32{x, y}], k)
				}
			}
		}
	}
}

// local converts to metres relative to o.
func (g *gen) local(p, o orb.Point) [2]float64 {
	return [2]float64{(p[0] - o[0]) * g.mx, (p[1] - o[1]) * g.my}
}

func (g *gen) dist(a, b orb.Point) float64 {
	d := g.local(a, b)
	return math.Hypot(d[0], d[1])
}

// nearestRoad returns the distance in metres from p to the nearest drivable
// segment within about 400 m, and its name ("" if unnamed); +Inf if none.
func (g *gen) nearestRoad(p orb.Point) (float64, string) {
	c := cellOf(p)
	best, name := math.Inf(1), ""
	for x := c[0] - 2; x <= c[0]+2; x++ {
		for y := c[1] - 2; y <= c[1]+2; y++ {
			for _, k := range g.grid[[2]int32{x, y}] {
				s := g.segs[k]
				a, b := g.local(s.a, p), g.local(s.b, p)
				dx, dy := b[0]-a[0], b[1]-a[1]
				t := 0.0
				if l := dx*dx + dy*dy; l > 0 {
					t = math.Max(0, math.Min(1, -(a[0]*dx+a[1]*dy)/l))
				}
				if d := math.Hypot(a[0]+t*dx, a[1]+t*dy); d < best || (d == best && s.name != "" && name == "") {
					best, name = d, s.name
				}
			}
		}
	}
	return best, name
}

// nearestNamedRoad is the name of the nearest named drivable road within
// about 400 m ("" if none).
func (g *gen) nearestNamedRoad(p orb.Point) string {
	c := cellOf(p)
	best, name := math.Inf(1), ""
	for x := c[0] - 2; x <= c[0]+2; x++ {
		for y := c[1] - 2; y <= c[1]+2; y++ {
			for _, k := range g.grid[[2]int32{x, y}] {
				s := g.segs[k]
				if s.name == "" {
					continue
				}
				m := orb.Point{(s.a[0] + s.b[0]) / 2, (s.a[1] + s.b[1]) / 2}
				if d := math.Min(g.dist(p, s.a), math.Min(g.dist(p, s.b), g.dist(p, m))); d < best {
					best, name = d, s.name
				}
			}
		}
	}
	return name
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func round(p orb.Point) orb.Point { return orb.Point{round7(p[0]), round7(p[1])} }

// entrances returns up to n points on the outer wall of mp, nearest to
// drivable roads first and at least 60 m apart, each moved 1 m inwards so
// that it lies inside mp (and the zones drawn on it) after rounding.
func (g *gen) entrances(mp orb.MultiPolygon, n int) []orb.Point {
	type cand struct {
		p orb.Point
		d float64
	}
	var cands []cand
	shell := mp[0][0]
	for i := 0; i+1 < len(shell); i++ {
		a, b := shell[i], shell[i+1]
		steps := max(1, int(g.dist(a, b)/15))
		for s := range steps {
			t := (float64(s) + 0.5) / float64(steps)
			p := orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			d, _ := g.nearestRoad(p)
			cands = append(cands, cand{p, d})
		}
	}
	slices.SortStableFunc(cands, func(x, y cand) int { return cmp.Compare(x.d, y.d) })
	c := centroid(mp)
	var out []orb.Point
	for _, k := range cands {
		if len(out) == n {
			break
		}
		far := true
		for _, q := range out {
			far = far && g.dist(k.p, q) >= 60
		}
		if !far {
			continue
		}
		if p, ok := g.inward(mp, k.p, c); ok {
			out = append(out, p)
		}
	}
	return out
}

// inward moves p (on the wall of mp) 1 m towards c, or along the wall's
// inward side, until the rounded point is inside mp.
func (g *gen) inward(mp orb.MultiPolygon, p, c orb.Point) (orb.Point, bool) {
	d := g.dist(p, c)
	for _, m := range []float64{1, 2, 4} {
		if d <= m {
			break
		}
		q := round(orb.Point{p[0] + (c[0]-p[0])*m/d, p[1] + (c[1]-p[1])*m/d})
		if zones.MultiPolygonCovers(mp, q) {
			return q, true
		}
	}
	return orb.Point{}, false
}

// centroid of the first polygon's shell (planar, relative to its first point).
func centroid(mp orb.MultiPolygon) orb.Point {
	r := mp[0][0]
	o := r[0]
	var sx, sy, sa float64
	for i := 0; i+1 < len(r); i++ {
		ax, ay := r[i][0]-o[0], r[i][1]-o[1]
		bx, by := r[i+1][0]-o[0], r[i+1][1]-o[1]
		c := ax*by - bx*ay
		sa += c
		sx += (ax + bx) * c
		sy += (ay + by) * c
	}
	if sa == 0 {
		return r.Bound().Center()
	}
	return orb.Point{o[0] + sx/(3*sa), o[1] + sy/(3*sa)}
}

// areaM2 of a multipolygon (shells minus holes), planar in local metres.
func (g *gen) areaM2(mp orb.MultiPolygon) float64 {
	var s float64
	for _, p := range mp {
		for i, r := range p {
			a := 0.0
			for j := 0; j+1 < len(r); j++ {
				u, v := g.local(r[j], r[0]), g.local(r[j+1], r[0])
				a += u[0]*v[1] - v[0]*u[1]
			}
			if i == 0 {
				s += math.Abs(a) / 2
			} else {
				s -= math.Abs(a) / 2
			}
		}
	}
	return s
}

// multiPolygon returns the feature's polygonal geometry with shells
// counter-clockwise and holes clockwise, rounded to 1e-7, or nil.
func multiPolygon(geom orb.Geometry) orb.MultiPolygon {
	var mp orb.MultiPolygon
	switch g := geom.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil
	}
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		np := make(orb.Polygon, 0, len(p))
		for i, r := range p {
			nr := make(orb.Ring, len(r))
			for j, q := range r {
				nr[j] = round(q)
			}
			if (i == 0) != (nr.Orientation() == orb.CCW) {
				nr.Reverse()
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

func (g *gen) inBounds(mp orb.MultiPolygon) bool {
	b := mp.Bound()
	return g.bounds.Contains(b.Min) && g.bounds.Contains(b.Max)
}

func (g *gen) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }

func (g *gen) compounds(d *demo.District, fc *geojson.FeatureCollection) {
	type cand struct {
		name string
		mp   orb.MultiPolygon
		area float64
	}
	var cs []cand
	seen := map[string]int{}
	for _, f := range fc.Features {
		t := tags(f)
		if t["landuse"] != "residential" || strings.TrimSpace(t["name"]) == "" {
			continue
		}
		mp := multiPolygon(f.Geometry)
		if mp == nil || !g.inBounds(mp) {
			continue
		}
		name := strings.TrimSpace(t["name"])
		if en := strings.TrimSpace(t["name:en"]); en != "" {
			name += " " + en
		}
		// The same name twice (two phases of one estate): number them.
		seen[name]++
		if seen[name] > 1 {
			name = fmt.Sprintf("%s（%d）", name, seen[name])
		}
		if zones.ValidateCompound(zones.Compound{Name: name, Geometry: mp}) != nil {
			continue
		}
		cs = append(cs, cand{name, mp, g.areaM2(mp)})
	}
	pops := make([]float64, len(cs))
	total := 0
	for i, c := range cs {
		pops[i] = c.area / 1e6 * g.uniform(minDensity, maxDensity)
		total += int(math.Round(pops[i]))
	}
	pop := apportion(total, pops)
	wAged := make([]float64, len(cs))
	for i := range cs {
		wAged[i] = float64(pop[i]) * g.uniform(0.27, 0.47)
	}
	aged := apportion(int(math.Round(float64(total)*AgedShare)), wAged)
	for i, c := range cs {
		gates := g.entrances(c.mp, 1+g.rng.IntN(3))
		if len(gates) == 0 {
			continue
		}
		a := min(aged[i], pop[i])
		d.Compounds = append(d.Compounds, zones.Compound{
			ID: int64(len(d.Compounds) + 1), Name: c.name, Geometry: c.mp,
			Population: pop[i], Aged60Plus: a,
			Households: int(math.Round(float64(pop[i]) / g.uniform(2.45, 2.75))),
			Gates:      gates,
		})
	}
}

// apportion splits total into integers proportional to w (largest
// remainder; ties to the lower index).
func apportion(total int, w []float64) []int {
	var sum float64
	for _, v := range w {
		sum += v
	}
	out := make([]int, len(w))
	if sum == 0 {
		return out
	}
	rem := make([]float64, len(w))
	given := 0
	for i, v := range w {
		exact := float64(total) * v / sum
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		given += out[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// place is a point of interest: a node, or the road-side entrance of an area.
type place struct {
	id, name string
	p        orb.Point
	area     float64
}

// pointOf returns a node's position, or an area's entrance nearest to a
// drivable road (inside the area), or false.
func (g *gen) pointOf(f *geojson.Feature) (orb.Point, float64, bool) {
	if p, ok := f.Geometry.(orb.Point); ok {
		return round(p), 0, true
	}
	mp := multiPolygon(f.Geometry)
	if mp == nil || zones.ValidateMultiPolygon("", mp) != nil {
		return orb.Point{}, 0, false
	}
	e := g.entrances(mp, 1)
	if len(e) == 0 {
		return orb.Point{}, 0, false
	}
	return e[0], g.areaM2(mp), true
}

// free reports whether p is at least 15 m from every facility placed so far
// and inside the bounds, and takes it when it is.
func (g *gen) free(p orb.Point) bool {
	if !g.bounds.Contains(p) {
		return false
	}
	for _, q := range g.taken {
		if g.dist(p, q) < 15 {
			return false
		}
	}
	g.taken = append(g.taken, p)
	return true
}

func (g *gen) collect(fc *geojson.FeatureCollection, match func(map[string]string) bool) []place {
	var out []place
	for _, f := range fc.Features {
		t := tags(f)
		if !match(t) {
			continue
		}
		p, area, ok := g.pointOf(f)
		if !ok || !g.bounds.Contains(p) {
			continue
		}
		name := strings.TrimSpace(t["name"])
		if name == "" {
			name = strings.TrimSpace(t["name:en"])
		} else if en := strings.TrimSpace(t["name:en"]); en != "" {
			name += " " + en
		}
		out = append(out, place{id: osmID(f), name: name, p: p, area: area})
	}
	return out
}

func (g *gen) facilities(d *demo.District, fc *geojson.FeatureCollection) error {
	add := func(f zones.Facility) {
		f.ID = int64(len(d.Facilities) + 1)
		d.Facilities = append(d.Facilities, f)
	}
	allDay := "00:00-24:00"
	for _, c := range d.Compounds {
		g.taken = append(g.taken, c.Gates...)
	}

	// Hospitals and health centres.
	hs := g.collect(fc, func(t map[string]string) bool {
		return t["amenity"] == "hospital" || t["healthcare"] == "hospital"
	})
	var hospitals []place
	for _, h := range hs {
		if h.name == "" {
			// Unnamed in OSM: named after the nearest street.
			if st := g.nearestNamedRoad(h.p); st != "" {
				h.name = st + "医院（OSM 未命名）"
			} else {
				h.name = "医院（OSM " + h.id + "）"
			}
		}
		if strings.Contains(h.name, "诊所") || strings.Contains(h.name, "牙科") {
			if g.free(h.p) {
				add(zones.Facility{Kind: zones.FacilityHealthCentre, Name: h.name, Point: h.p, Capacity: 20, OpeningHours: "08:30-18:00"})
			}
			continue
		}
		hospitals = append(hospitals, h)
	}
	var people []int
	for i, h := range hospitals {
		if strings.Contains(h.name, "人民医院") {
			people = append(people, i)
		}
	}
	if len(hospitals) == 0 {
		return fmt.Errorf("chengdu: no hospital in the extract")
	}
	designated := 0
	if len(people) > 0 {
		designated = people[g.rng.IntN(len(people))]
	}
	order := g.rng.Perm(len(hospitals))
	fever := map[int]bool{}
	for _, i := range order {
		if i != designated && len(fever) < 3 {
			fever[i] = true
		}
	}
	for i, h := range hospitals {
		if !g.free(h.p) {
			continue
		}
		f := zones.Facility{Kind: zones.FacilityHospital, Name: h.name, Point: h.p, OpeningHours: allDay,
			Capacity: 100 + 10*g.rng.IntN(50), Accepts: []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}}
		switch {
		case i == designated:
			f.Name += "（定点医院 designated）"
			f.Capacity = 800
			f.Accepts = []zones.HealthCode{zones.CodeRed, zones.CodeOrange}
		case fever[i]:
			f.Accepts = []zones.HealthCode{zones.CodeOrange, zones.CodeYellow, zones.CodeGreen}
		}
		add(f)
	}
	for _, c := range g.collect(fc, func(t map[string]string) bool {
		return t["amenity"] == "clinic" || t["amenity"] == "doctors" || t["healthcare"] == "clinic" || t["healthcare"] == "doctor"
	}) {
		if c.name == "" {
			c.name = "社区诊所（" + g.nearestNamedRoad(c.p) + "）"
		}
		if g.free(c.p) {
			add(zones.Facility{Kind: zones.FacilityHealthCentre, Name: c.name, Point: c.p, Capacity: 20, OpeningHours: "08:30-18:00"})
		}
	}

	// Pharmacies: the extract's, then community pharmacies at drawn compounds' gates.
	for _, p := range g.collect(fc, func(t map[string]string) bool {
		return t["amenity"] == "pharmacy" || t["healthcare"] == "pharmacy" || t["shop"] == "chemist"
	}) {
		if p.name == "" {
			p.name = "药店（" + g.nearestNamedRoad(p.p) + "）"
		}
		if g.free(p.p) {
			add(zones.Facility{Kind: zones.FacilityPharmacy, Name: p.name, Point: p.p, Capacity: 300, OpeningHours: "08:00-22:00"})
		}
	}
	perm := g.rng.Perm(len(d.Compounds))
	for _, k := range perm[:min(12, len(perm))] {
		c := d.Compounds[k]
		gate := c.Gates[len(c.Gates)-1]
		add(zones.Facility{Kind: zones.FacilityPharmacy, Name: c.Name + " 社区药房", Point: gate, Capacity: 200, OpeningHours: "08:00-22:00"})
	}

	// The supply depot: the largest marketplace, else the largest retail area.
	var depot *place
	for _, m := range [][2]string{{"amenity", "marketplace"}, {"landuse", "retail"}, {"landuse", "commercial"}} {
		ps := g.collect(fc, func(t map[string]string) bool { return t[m[0]] == m[1] })
		slices.SortStableFunc(ps, func(a, b place) int { return cmp.Compare(b.area, a.area) })
		for i := range ps {
			if g.free(ps[i].p) {
				depot = &ps[i]
				break
			}
		}
		if depot != nil {
			break
		}
	}
	if depot == nil {
		return fmt.Errorf("chengdu: no place for the supply depot")
	}
	name := "应急物资中转站 Emergency Supply Depot"
	if depot.name != "" {
		name += "（" + depot.name + "）"
	}
	add(zones.Facility{Kind: zones.FacilityDepot, Name: name, Point: depot.p, Capacity: 20000, OpeningHours: allDay})

	// Candidate sampling sites: named schools and parks, drawn by the seed.
	sites := g.collect(fc, func(t map[string]string) bool {
		return t["name"] != "" && (t["amenity"] == "school" || t["leisure"] == "park" || t["amenity"] == "university")
	})
	g.rng.Shuffle(len(sites), func(a, b int) { sites[a], sites[b] = sites[b], sites[a] })
	n := 0
	for _, s := range sites {
		if n == 30 {
			break
		}
		if !g.free(s.p) {
			continue
		}
		add(zones.Facility{Kind: zones.FacilityCandidateSite, Name: s.name + " 核酸采样点", Point: s.p,
			Capacity: 4 + g.rng.IntN(9), OpeningHours: "07:00-22:00"})
		n++
	}

	// One supply point per compound, at its first gate.
	for _, c := range d.Compounds {
		boxes := (c.Households + 49) / 50 * 50
		add(zones.Facility{Kind: zones.FacilitySupplyPoint, Name: c.Name + " 物资发放点", Point: c.Gates[0],
			Capacity: boxes, OpeningHours: "09:00-18:00", CompoundID: c.ID})
	}
	for _, f := range d.Facilities {
		if err := zones.ValidateFacility(f); err != nil {
			return fmt.Errorf("chengdu: facility %q: %w", f.Name, err)
		}
	}
	return nil
}

// preventionRadius is the radius in metres of the prevention area.
const preventionRadius = 1200.0

func (g *gen) zoneMap(d *demo.District) error {
	// Centre: a compound drawn among the 20 nearest to the extract's centre.
	mid := g.bounds.Center()
	idx := make([]int, len(d.Compounds))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(g.dist(centroid(d.Compounds[a].Geometry), mid), g.dist(centroid(d.Compounds[b].Geometry), mid))
	})
	centre := d.Compounds[idx[g.rng.IntN(min(20, len(idx)))]]
	c := centroid(centre.Geometry)
	var shell orb.Ring
	for k := range 8 {
		a := (float64(k) + 0.5) * math.Pi / 4
		shell = append(shell, round(orb.Point{c[0] + preventionRadius*math.Cos(a)/g.mx, c[1] + preventionRadius*math.Sin(a)/g.my}))
	}
	shell = append(shell, shell[0])
	prevention := orb.MultiPolygon{{shell}}

	var inside, outside []int
	for k, cp := range d.Compounds {
		in := true
		for _, p := range cp.Geometry {
			for _, q := range p[0] {
				in = in && zones.MultiPolygonCovers(prevention, q)
			}
		}
		if in {
			inside = append(inside, k)
		} else {
			outside = append(outside, k)
		}
	}
	if len(inside) < 6 || len(outside) < 1 {
		return fmt.Errorf("chengdu: the prevention area holds %d compounds (want 6 or more) and leaves %d outside", len(inside), len(outside))
	}
	g.rng.Shuffle(len(inside), func(a, b int) { inside[a], inside[b] = inside[b], inside[a] })
	g.rng.Shuffle(len(outside), func(a, b int) { outside[a], outside[b] = outside[b], outside[a] })

	add := func(kind zones.Kind, name, reason string, geom orb.MultiPolygon, from time.Time, until *time.Time) {
		z := zones.Zone{ID: int64(len(d.Zones) + 1), Kind: kind, Name: name, Reason: reason, Geometry: geom, EffectiveFrom: from}
		if until != nil {
			u := *until
			z.EffectiveUntil = &u
		}
		d.Zones = append(d.Zones, z)
	}
	add(zones.KindPrevention, "防范区："+centre.Name+"周边 Prevention area",
		"内含封控、管控小区：禁止聚集，错峰购物，每日核酸检测 / Contains sealed and controlled compounds: no gatherings, staggered shopping, daily testing",
		prevention, demo.EffectiveFrom, nil)
	cp := d.Compounds[inside[0]]
	add(zones.KindSealed, "封控区："+cp.Name,
		"2026-11-19 发现确诊病例；封控管理 7 天，居民足不出户 / Confirmed case on 2026-11-19; 7 days of sealed management, residents stay at home",
		cp.Geometry.Clone(), demo.EffectiveFrom, nil)
	cp = d.Compounds[inside[1]]
	add(zones.KindSealed, "封控区："+cp.Name,
		"2026-11-21 发现两例确诊病例；2026-11-22 起封控管理 / Two confirmed cases on 2026-11-21; sealed management from 2026-11-22",
		cp.Geometry.Clone(), demo.SecondSealFrom, nil)
	for k := 2; k < 6; k++ {
		cp = d.Compounds[inside[k]]
		add(zones.KindControlled, "管控区："+cp.Name,
			"确诊病例密切接触者居住于此；居民不出小区 / Close contacts of a confirmed case live here; residents do not leave the compound",
			cp.Geometry.Clone(), demo.EffectiveFrom, nil)
	}
	cp = d.Compounds[outside[0]]
	until := demo.LiftedAt
	add(zones.KindControlled, "管控区（已解除）："+cp.Name,
		"2026-11-07 发现密切接触者；两轮核酸检测阴性后解除 / Close contact found on 2026-11-07; lifted after two rounds of negative tests",
		cp.Geometry.Clone(), demo.LiftedFrom, &until)
	for i, z := range d.Zones {
		if err := zones.ValidateZone(z); err != nil {
			return fmt.Errorf("chengdu: zone %d %q: %w", i+1, z.Name, err)
		}
	}
	return nil
}
