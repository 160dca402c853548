package demo

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"lifeline/geo"
	"lifeline/zones"
)

// The district is built in local metres (x east, y north, origin at the
// south-west corner) on a skewed grid: nV "vertical" lines x = a + b*y every
// 250 m and nH "horizontal" lines y = c + e*x every 312.5 m, each end moved
// by a few tens of metres so that blocks are irregular quadrilaterals. Even
// lines are main roads that run through the whole district; odd lines are
// residential lanes that exist only inside the blocks that are split by them.
// Compounds are the cells between streets, inset by half the street width,
// so they never overlap and their walls run parallel to the streets.
const (
	nV       = 13    // vertical lines, x = 250*i
	nH       = 9     // horizontal lines, y = 312.5*j
	stepX    = 250.0 // metres between vertical lines
	stepY    = 312.5 // metres between horizontal lines
	blocksX  = (nV - 1) / 2
	blocksY  = (nH - 1) / 2
	nBlocks  = blocksX * blocksY
	stripOff = 3.0 // metres from a street centre line for roadside points
)

// Target totals of the district.
const (
	TotalPopulation = 51000
	TotalAged60Plus = 18870 // 37% of TotalPopulation
	NumCompounds    = 40
)

type street struct {
	highway  string
	name     string
	maxspeed int
	inset    float64 // half width in metres: compound walls are this far from the centre line
}

var (
	primary     = street{highway: "primary", maxspeed: 50, inset: 10}
	secondary   = street{highway: "secondary", maxspeed: 40, inset: 8}
	tertiary    = street{highway: "tertiary", maxspeed: 30, inset: 7}
	residential = street{highway: "residential", maxspeed: 20, inset: 5}
)

func vStreet(i int) street {
	var s street
	switch {
	case i%4 == 0:
		s = primary
		s.name = []string{"Jinhe Road", "Hongxing Avenue", "Yuhua Road", "Shuanglin Road"}[i/4]
	case i%2 == 0:
		s = secondary
		s.name = []string{"Baihua Street", "Xinhua Street", "Taisheng Street"}[i/4]
	default:
		s = residential
	}
	return s
}

func hStreet(j int) street {
	var s street
	switch {
	case j%4 == 0:
		s = primary
		s.name = []string{"Nanjiao Road", "Renhe Avenue", "Beicheng Road"}[j/4]
	case j == 2:
		s = tertiary
		s.name = "Yongfeng Street"
	case j == 6:
		s = secondary
		s.name = "Fuqing Street"
	default:
		s = residential
	}
	return s
}

var laneNames = []string{
	"Tongxin Lane", "Heping Lane", "Liyuan Lane", "Zhuyuan Lane", "Shiqiao Lane", "Yangliu Lane",
	"Anle Lane", "Chaoyang Lane", "Dongsheng Lane", "Fuxing Lane", "Gulou Lane", "Huaishu Lane",
	"Jiuli Lane", "Kuixing Lane", "Longwang Lane", "Maoyuan Lane", "Nanxiang Lane", "Panlong Lane",
	"Qingfeng Lane", "Rongshu Lane", "Sanyuan Lane", "Tiyu Lane", "Wenhua Lane", "Xiaoyuan Lane",
	"Yongle Lane", "Zhenxing Lane", "Baota Lane", "Caiyun Lane", "Dahe Lane", "Fangcao Lane",
}

var compoundPrefixes = []string{
	"Jinxiu", "Hehua", "Lanting", "Meilin", "Qingshui", "Songhe", "Taoyuan", "Wutong", "Xiangshu",
	"Yuelai", "Zijing", "Baiyun", "Chunjiang", "Dongfang", "Fenghuang", "Guihua", "Haitang", "Jiahe",
	"Kangle", "Mingyue", "Nanshan", "Pingan", "Qinyuan", "Ruixiang", "Shuguang", "Tianfu", "Wanfu",
	"Xinyuan", "Yangguang", "Zhongxing", "Anju", "Bishui", "Cuiwei", "Dexin", "Fuli", "Guanghua",
	"Hengxin", "Jingxiu", "Lianhua", "Mudan", "Ningxiang", "Qiaoxi", "Rongcheng", "Shuangfu", "Tongjin",
}

var compoundSuffixes = []string{"Garden", "Court", "Residence", "Community", "Village", "Apartments", "Homes"}

// cell is a quadrilateral between vertical lines i0 < i1 and horizontal lines j0 < j1.
type cell struct{ i0, i1, j0, j1 int }

// quad returns the cell's corners inset from its streets: SW, SE, NE, NW
// (counter-clockwise), and the streets of its edges south, east, north, west.
func (g *gen) quad(c cell) ([4]xy, [4]street) {
	ws, es, ss, ns := vStreet(c.i0), vStreet(c.i1), hStreet(c.j0), hStreet(c.j1)
	wa := g.va[c.i0] + ws.inset*math.Hypot(1, g.vb[c.i0])
	ea := g.va[c.i1] - es.inset*math.Hypot(1, g.vb[c.i1])
	sc := g.hc[c.j0] + ss.inset*math.Hypot(1, g.he[c.j0])
	nc := g.hc[c.j1] - ns.inset*math.Hypot(1, g.he[c.j1])
	return [4]xy{
		cross(wa, g.vb[c.i0], sc, g.he[c.j0]),
		cross(ea, g.vb[c.i1], sc, g.he[c.j0]),
		cross(ea, g.vb[c.i1], nc, g.he[c.j1]),
		cross(wa, g.vb[c.i0], nc, g.he[c.j1]),
	}, [4]street{ss, es, ns, ws}
}

type xy struct{ x, y float64 }

func lerp(a, b xy, t float64) xy { return xy{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }

// cross intersects the line x = a + b*y with the line y = c + e*x.
func cross(a, b, c, e float64) xy {
	x := (a + b*c) / (1 - b*e)
	return xy{x, c + e*x}
}

type gen struct {
	rng *rand.Rand
	// vertical line i: x = va[i] + vb[i]*y; horizontal line j: y = hc[j] + he[j]*x.
	va, vb [nV]float64
	hc, he [nH]float64
	// split[b] says how block b = by*blocksX+bx is divided by lanes:
	// bit 1 a vertical lane, bit 2 a horizontal lane.
	split  [nBlocks]uint8
	mx, my float64 // metres per degree of lon, lat
	lon0   float64
	lat0   float64
	taken  []xy // roadside points already used
}

func (g *gen) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

// pt converts local metres to a rounded [lon, lat].
func (g *gen) pt(p xy) orb.Point {
	return orb.Point{round7(g.lon0 + p.x/g.mx), round7(g.lat0 + p.y/g.my)}
}

func (g *gen) node(i, j int) xy {
	return cross(g.va[i], g.vb[i], g.hc[j], g.he[j])
}

// vSeg reports whether the street on vertical line i exists between
// horizontal lines j and j+1; hSeg likewise for horizontal line j between i and i+1.
func (g *gen) vSeg(i, j int) bool {
	return i%2 == 0 || g.split[(j/2)*blocksX+i/2]&1 != 0
}

func (g *gen) hSeg(i, j int) bool {
	return j%2 == 0 || g.split[(j/2)*blocksX+i/2]&2 != 0
}

// Generate builds the district of the given seed. It is deterministic: the
// same seed gives identical values and identical StreetsOSM bytes.
func Generate(seed uint64) *District {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x6c6966656c696e65))}
	g.mx, g.my = geo.MetersPerDegree(Centre[1])
	g.lon0 = Centre[0] - WidthMeters/2/g.mx
	g.lat0 = Centre[1] - HeightMeters/2/g.my
	// The steps draw from g.rng in this order; keep it, or every seed's
	// district changes.
	g.streetLines()
	parks, campuses := g.lanes()
	cells, isPark, isCampus := g.cells(parks, campuses)
	special := g.specialCells(cells, isPark, isCampus)
	prefixes := append([]string(nil), compoundPrefixes...)
	g.rng.Shuffle(len(prefixes), func(a, b int) { prefixes[a], prefixes[b] = prefixes[b], prefixes[a] })
	resid, parkCells, campusCells, roleCell := g.residential(cells, isPark, isCampus, special)
	d := &District{}
	g.compounds(d, resid, prefixes)
	g.facilities(d, campusCells, parkCells, roleCell)
	g.zoneMap(d)
	d.StreetsOSM = g.streets(parkCells)
	return d
}

// streetLines draws the slightly slanted street lines: vertical line i is
// x = va[i] + vb[i]*y, horizontal line j is y = hc[j] + he[j]*x.
func (g *gen) streetLines() {
	for i := range nV {
		x := stepX * float64(i)
		bottom, top := x+g.uniform(-30, 30), x+g.uniform(-30, 30)
		g.va[i], g.vb[i] = bottom, (top-bottom)/HeightMeters
	}
	for j := range nH {
		y := stepY * float64(j)
		left, right := y+g.uniform(-25, 25), y+g.uniform(-25, 25)
		g.hc[j], g.he[j] = left, (right-left)/WidthMeters
	}
}

// lanes splits blocks by lanes (4 blocks both ways, 12 one way, 8 whole)
// and picks the two park and the two campus blocks among the whole ones.
func (g *gen) lanes() (parks, campuses []int) {
	order := g.rng.Perm(nBlocks)
	for k, b := range order {
		switch {
		case k < 4:
			g.split[b] = 3
		case k < 16:
			g.split[b] = uint8(1 + g.rng.IntN(2))
		}
	}
	whole := order[16:] // blocks without lanes, in random order
	return whole[:2], whole[2:4]
}

// cells lists the cells the streets and lanes cut the blocks into, block by
// block, marking the park cells and the campus cells (1 or 2).
func (g *gen) cells(parks, campuses []int) (cells []cell, isPark map[cell]bool, isCampus map[cell]int) {
	isPark = map[cell]bool{}
	isCampus = map[cell]int{}
	for b := range nBlocks {
		bx, by := b%blocksX, b/blocksX
		i0, j0 := 2*bx, 2*by
		is := []int{i0, i0 + 2}
		js := []int{j0, j0 + 2}
		if g.split[b]&1 != 0 {
			is = []int{i0, i0 + 1, i0 + 2}
		}
		if g.split[b]&2 != 0 {
			js = []int{j0, j0 + 1, j0 + 2}
		}
		for y := 0; y+1 < len(js); y++ {
			for x := 0; x+1 < len(is); x++ {
				c := cell{is[x], is[x+1], js[y], js[y+1]}
				cells = append(cells, c)
				if b == parks[0] || b == parks[1] {
					isPark[c] = true
				}
				for k, p := range campuses {
					if p == b {
						isCampus[c] = k + 1
					}
				}
			}
		}
	}
	return cells, isPark, isCampus
}

// specialCells picks the other non-residential cells (a depot, two schools,
// a sports ground) among the cells of split blocks: cell index -> role.
func (g *gen) specialCells(cells []cell, isPark map[cell]bool, isCampus map[cell]int) map[int]string {
	var splitCells []int
	for k, c := range cells {
		if !isPark[c] && isCampus[c] == 0 {
			splitCells = append(splitCells, k)
		}
	}
	g.rng.Shuffle(len(splitCells), func(a, b int) { splitCells[a], splitCells[b] = splitCells[b], splitCells[a] })
	special := map[int]string{}
	for k, role := range []string{"depot", "school1", "school2", "sports"} {
		special[splitCells[k]] = role
	}
	return special
}

// residentialCell is a compound before it gets people and a name.
type residentialCell struct {
	quad  [4]xy
	gates []xy
	area  float64
}

// residential sorts the cells into parks, campuses, special roles and
// residential compounds, giving each compound 1-3 gates.
func (g *gen) residential(cells []cell, isPark map[cell]bool, isCampus map[cell]int, special map[int]string) (
	resid []residentialCell, parkCells, campusCells []cell, roleCell map[string]cell) {
	roleCell = map[string]cell{}
	for k, c := range cells {
		switch {
		case isPark[c]:
			parkCells = append(parkCells, c)
			continue
		case isCampus[c] != 0:
			campusCells = append(campusCells, c)
			continue
		case special[k] != "":
			roleCell[special[k]] = c
			continue
		}
		q, _ := g.quad(c)
		resid = append(resid, residentialCell{quad: q, gates: g.gates(q), area: quadArea(q)})
	}
	if len(resid) != NumCompounds {
		panic(fmt.Sprintf("demo: %d residential cells, want %d", len(resid), NumCompounds))
	}
	return resid, parkCells, campusCells, roleCell
}

// gates puts 1-3 gates on distinct edges of quadrilateral q, in edge order.
func (g *gen) gates(q [4]xy) []xy {
	n := 1 + g.rng.IntN(3)
	edges := g.rng.Perm(4)[:n]
	var gates []xy
	for e := range 4 {
		for _, chosen := range edges {
			if chosen == e {
				// On the wall, moved 0.5 m inwards so that the gate lies
				// inside the compound (and its zones) after rounding.
				p := lerp(q[e], q[(e+1)%4], g.uniform(0.35, 0.65))
				ctr := lerp(lerp(q[0], q[2], 0.5), lerp(q[1], q[3], 0.5), 0.5)
				gates = append(gates, lerp(p, ctr, 0.5/dist(p, ctr)))
			}
		}
	}
	return gates
}

// compounds gives the residential cells people (proportional to area
// times a density factor, scaled to the exact totals with largest
// remainders), households, a name and a ring (a pentagon when a corner is
// cut) and adds them to d.
func (g *gen) compounds(d *District, resid []residentialCell, prefixes []string) {
	wPop := make([]float64, len(resid))
	wAged := make([]float64, len(resid))
	for k, r := range resid {
		wPop[k] = r.area * g.uniform(0.75, 1.3)
	}
	pop := apportion(TotalPopulation, wPop)
	for k := range resid {
		wAged[k] = float64(pop[k]) * g.uniform(0.27, 0.47)
	}
	aged := apportion(TotalAged60Plus, wAged)

	for k, r := range resid {
		ring := g.compoundRing(r.quad)
		gates := make([]orb.Point, len(r.gates))
		for i, p := range r.gates {
			gates[i] = g.pt(p)
		}
		hh := int(math.Round(float64(pop[k]) / g.uniform(2.45, 2.75)))
		d.Compounds = append(d.Compounds, zones.Compound{
			ID:         int64(k + 1),
			Name:       prefixes[k] + " " + compoundSuffixes[g.rng.IntN(len(compoundSuffixes))],
			Geometry:   orb.MultiPolygon{orb.Polygon{ring}},
			Population: pop[k],
			Aged60Plus: aged[k],
			Households: hh,
			Gates:      gates,
		})
	}
}

// compoundRing is the closed ring of quadrilateral q, with one corner cut
// 20-40 m along both edges (a pentagon) in 40% of the compounds.
func (g *gen) compoundRing(q [4]xy) orb.Ring {
	ring := make(orb.Ring, 0, 6)
	chamfer := -1
	if g.rng.Float64() < 0.4 {
		chamfer = g.rng.IntN(4)
	}
	for v := range 4 {
		if v != chamfer {
			ring = append(ring, g.pt(q[v]))
			continue
		}
		prev, cur, next := q[(v+3)%4], q[v], q[(v+1)%4]
		ring = append(ring,
			g.pt(lerp(cur, prev, g.uniform(20, 40)/dist(cur, prev))),
			g.pt(lerp(cur, next, g.uniform(20, 40)/dist(cur, next))))
	}
	return append(ring, ring[0])
}

func dist(a, b xy) float64 { return math.Hypot(b.x-a.x, b.y-a.y) }

func quadArea(q [4]xy) float64 {
	var s float64
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		s += a.x*b.y - b.x*a.y
	}
	return s / 2
}

// apportion splits total into integers proportional to w (largest
// remainder; ties to the lower index).
func apportion(total int, w []float64) []int {
	var sum float64
	for _, v := range w {
		sum += v
	}
	out := make([]int, len(w))
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

// edgeMid returns the midpoint of the cell's inset edge that faces its
// widest street (ties: south, east, north, west), or of edge k when k >= 0.
func (g *gen) edgeMid(c cell, k int) xy {
	q, ss := g.quad(c)
	if k < 0 {
		k = 0
		for e := 1; e < 4; e++ {
			if ss[e].inset > ss[k].inset {
				k = e
			}
		}
	}
	return lerp(q[k], q[(k+1)%4], 0.5)
}

// roadside returns a point stripOff metres beside a random main-road segment,
// on the side towards the inside of the district, at least 80 m from the
// roadside points returned before.
func (g *gen) roadside() xy {
	for {
		p := g.roadsideOnce()
		ok := true
		for _, q := range g.taken {
			ok = ok && dist(p, q) >= 80
		}
		if ok {
			g.taken = append(g.taken, p)
			return p
		}
	}
}

func (g *gen) roadsideOnce() xy {
	if g.rng.IntN(2) == 0 {
		i := 2 * g.rng.IntN((nV+1)/2)
		j := g.rng.IntN(nH - 1)
		a, b := g.node(i, j), g.node(i, j+1)
		p := lerp(a, b, g.uniform(0.3, 0.7))
		side := 1.0
		if i == nV-1 || (i != 0 && g.rng.IntN(2) == 0) {
			side = -1
		}
		n := math.Hypot(1, g.vb[i])
		return xy{p.x + side*stripOff/n, p.y - side*stripOff*g.vb[i]/n}
	}
	j := 2 * g.rng.IntN((nH+1)/2)
	i := g.rng.IntN(nV - 1)
	a, b := g.node(i, j), g.node(i+1, j)
	p := lerp(a, b, g.uniform(0.3, 0.7))
	side := 1.0
	if j == nH-1 || (j != 0 && g.rng.IntN(2) == 0) {
		side = -1
	}
	n := math.Hypot(1, g.he[j])
	return xy{p.x - side*stripOff*g.he[j]/n, p.y + side*stripOff/n}
}

func (g *gen) facilities(d *District, campuses, parks []cell, role map[string]cell) {
	add := func(f zones.Facility, p xy) {
		f.ID = int64(len(d.Facilities) + 1)
		f.Point = g.pt(p)
		d.Facilities = append(d.Facilities, f)
	}
	allDay := "00:00-24:00"
	add(zones.Facility{Kind: zones.FacilityHospital, Name: "Jinhe District People's Hospital (designated)",
		Capacity: 600, OpeningHours: allDay, Accepts: []zones.HealthCode{zones.CodeRed, zones.CodeOrange}},
		g.edgeMid(campuses[0], -1))
	add(zones.Facility{Kind: zones.FacilityHospital, Name: "Hongxing Maternal and Child Hospital",
		Capacity: 180, OpeningHours: allDay, Accepts: []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}},
		g.edgeMid(campuses[1], -1))
	add(zones.Facility{Kind: zones.FacilityHospital, Name: "Yuhua Hospital (dialysis centre)",
		Capacity: 220, OpeningHours: allDay, Accepts: []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}},
		g.roadside())
	add(zones.Facility{Kind: zones.FacilityHospital, Name: "Renhe Hospital of Traditional Chinese Medicine",
		Capacity: 260, OpeningHours: allDay, Accepts: []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}},
		g.roadside())
	add(zones.Facility{Kind: zones.FacilityHealthCentre, Name: "Renhe Street Community Health Service Centre",
		Capacity: 40, OpeningHours: "08:00-20:00"}, g.roadside())
	for _, n := range []string{"Kangtai Pharmacy", "Renji Pharmacy", "Yixin Pharmacy", "Baicao Pharmacy"} {
		add(zones.Facility{Kind: zones.FacilityPharmacy, Name: n, Capacity: 300, OpeningHours: "08:00-22:00"}, g.roadside())
	}
	add(zones.Facility{Kind: zones.FacilityDepot, Name: "Renhe Street Emergency Supply Depot",
		Capacity: 5000, OpeningHours: allDay}, g.edgeMid(role["depot"], -1))

	// 15 candidate sampling sites: 2 per park, 1 per school, the sports
	// ground, and 8 roadside squares.
	site := func(name string, p xy, desks int) {
		add(zones.Facility{Kind: zones.FacilityCandidateSite, Name: name, Capacity: desks, OpeningHours: "07:00-22:00"}, p)
	}
	for k, c := range parks {
		park := []string{"Yinxing Park", "Furong Park"}[k]
		site(park+" south square", g.edgeMid(c, 0), 10)
		site(park+" north gate", g.edgeMid(c, 2), 6)
	}
	site("Renhe No. 3 Primary School playground", g.edgeMid(role["school1"], -1), 8)
	site("Beicheng Middle School sports hall", g.edgeMid(role["school2"], -1), 8)
	site("Renhe Sports Ground", g.edgeMid(role["sports"], -1), 12)
	for k := range 8 {
		site(fmt.Sprintf("Pocket square %d", k+1), g.roadside(), 3+g.rng.IntN(4))
	}

	// One supply point per compound, at its first gate.
	for _, c := range d.Compounds {
		boxes := (c.Households + 49) / 50 * 50
		d.Facilities = append(d.Facilities, zones.Facility{
			ID: int64(len(d.Facilities) + 1), Kind: zones.FacilitySupplyPoint, Name: c.Name + " supply point",
			Point: c.Gates[0], Capacity: boxes, OpeningHours: "09:00-18:00", CompoundID: c.ID,
		})
	}
}

// preventionShell is the prevention zone in local metres, counter-clockwise:
// the western two thirds of the district.
var preventionShell = []xy{{-60, -60}, {2100, -60}, {2100, 1150}, {1650, 2560}, {-60, 2560}}

func insideConvex(poly []xy, p xy) bool {
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		if (b.x-a.x)*(p.y-a.y)-(b.y-a.y)*(p.x-a.x) < 0 {
			return false
		}
	}
	return true
}

func (g *gen) zoneMap(d *District) {
	var inside, outside []int
	for k, c := range d.Compounds {
		in := true
		for _, p := range c.Geometry[0][0] {
			q := xy{(p[0] - g.lon0) * g.mx, (p[1] - g.lat0) * g.my}
			if !insideConvex(preventionShell, q) {
				in = false
			}
		}
		if in {
			inside = append(inside, k)
		} else {
			outside = append(outside, k)
		}
	}
	g.rng.Shuffle(len(inside), func(a, b int) { inside[a], inside[b] = inside[b], inside[a] })
	g.rng.Shuffle(len(outside), func(a, b int) { outside[a], outside[b] = outside[b], outside[a] })

	add := func(kind zones.Kind, name, reason string, geom orb.MultiPolygon, from time.Time, until *time.Time) {
		d.Zones = append(d.Zones, zones.Zone{
			ID: int64(len(d.Zones) + 1), Kind: kind, Name: name, Reason: reason,
			Geometry: geom, EffectiveFrom: from, EffectiveUntil: until,
		})
	}
	var shell orb.Ring
	for _, p := range preventionShell {
		shell = append(shell, g.pt(p))
	}
	shell = append(shell, shell[0])
	add(zones.KindPrevention, "Renhe Street prevention zone",
		"Contains sealed and controlled compounds: no gatherings, staggered shopping, daily testing",
		orb.MultiPolygon{{shell}}, EffectiveFrom, nil)
	c := d.Compounds[inside[0]]
	add(zones.KindSealed, "Sealed: "+c.Name,
		"Confirmed case on 2026-11-19; 7 days of sealed management, residents stay at home",
		cloneMP(c.Geometry), EffectiveFrom, nil)
	c = d.Compounds[inside[1]]
	add(zones.KindSealed, "Sealed: "+c.Name,
		"Two confirmed cases on 2026-11-21; sealed management from 2026-11-22",
		cloneMP(c.Geometry), SecondSealFrom, nil)
	for k := 2; k < 6; k++ {
		c = d.Compounds[inside[k]]
		add(zones.KindControlled, "Controlled: "+c.Name,
			"Close contacts of a confirmed case live here; residents do not leave the compound",
			cloneMP(c.Geometry), EffectiveFrom, nil)
	}
	c = d.Compounds[outside[0]]
	until := LiftedAt
	add(zones.KindControlled, "Controlled (lifted): "+c.Name,
		"Close contact found on 2026-11-07; lifted after two rounds of negative tests",
		cloneMP(c.Geometry), LiftedFrom, &until)
}

func cloneMP(mp orb.MultiPolygon) orb.MultiPolygon { return mp.Clone() }

// streets writes the street network as OSM XML.
func (g *gen) streets(parks []cell) []byte {
	type way struct {
		nodes   []int // grid node index j*nV+i
		st      street
		oneway  bool
		reverse bool
	}
	var ways []way
	lane := 0
	laneName := func() string {
		n := laneNames[lane%len(laneNames)]
		if lane >= len(laneNames) {
			n = fmt.Sprintf("%s %d", n, lane/len(laneNames)+1)
		}
		lane++
		return n
	}
	// Vertical lines: maximal runs of existing segments.
	for i := range nV {
		var run []int
		flush := func() {
			if len(run) >= 2 {
				st := vStreet(i)
				w := way{nodes: run, st: st}
				if st.highway == "residential" {
					st.name = laneName()
					w.st = st
					w.oneway = g.rng.Float64() < 0.35
					w.reverse = g.rng.IntN(2) == 0
				} else if i == 6 {
					w.oneway = true // Xinhua Street runs north only
				}
				ways = append(ways, w)
			}
			run = nil
		}
		for j := range nH - 1 {
			if g.vSeg(i, j) {
				if len(run) == 0 {
					run = append(run, j*nV+i)
				}
				run = append(run, (j+1)*nV+i)
			} else {
				flush()
			}
		}
		flush()
	}
	for j := range nH {
		var run []int
		flush := func() {
			if len(run) >= 2 {
				st := hStreet(j)
				w := way{nodes: run, st: st}
				if st.highway == "residential" {
					st.name = laneName()
					w.st = st
					w.oneway = g.rng.Float64() < 0.35
					w.reverse = g.rng.IntN(2) == 0
				}
				ways = append(ways, w)
			}
			run = nil
		}
		for i := range nV - 1 {
			if g.hSeg(i, j) {
				if len(run) == 0 {
					run = append(run, j*nV+i)
				}
				run = append(run, j*nV+i+1)
			} else {
				flush()
			}
		}
		flush()
	}
	// Diagonal paths across the parks, corner to corner.
	for k, c := range parks {
		st := tertiary
		st.name = []string{"Yinxing Park Diagonal", "Furong Park Diagonal"}[k]
		ways = append(ways, way{nodes: []int{c.j0*nV + c.i0, c.j1*nV + c.i1}, st: st})
	}

	used := make([]bool, nV*nH)
	for _, w := range ways {
		for _, n := range w.nodes {
			used[n] = true
		}
	}
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	b.WriteString("<osm version=\"0.6\" generator=\"lifeline demo (synthetic district, not OpenStreetMap data)\">\n")
	minP, maxP := g.pt(xy{-100, -100}), g.pt(xy{WidthMeters + 100, HeightMeters + 100})
	fmt.Fprintf(&b, "  <bounds minlat=\"%s\" minlon=\"%s\" maxlat=\"%s\" maxlon=\"%s\"/>\n",
		ff(minP[1]), ff(minP[0]), ff(maxP[1]), ff(maxP[0]))
	for n := range nV * nH {
		if !used[n] {
			continue
		}
		p := g.pt(g.node(n%nV, n/nV))
		fmt.Fprintf(&b, "  <node id=\"%d\" version=\"1\" lat=\"%s\" lon=\"%s\"/>\n", n+1, ff(p[1]), ff(p[0]))
	}
	for k, w := range ways {
		fmt.Fprintf(&b, "  <way id=\"%d\" version=\"1\">\n", k+1)
		nodes := w.nodes
		if w.reverse {
			nodes = make([]int, len(w.nodes))
			for i, n := range w.nodes {
				nodes[len(nodes)-1-i] = n
			}
		}
		for _, n := range nodes {
			fmt.Fprintf(&b, "    <nd ref=\"%d\"/>\n", n+1)
		}
		tag(&b, "highway", w.st.highway)
		tag(&b, "name", w.st.name)
		tag(&b, "maxspeed", strconv.Itoa(w.st.maxspeed))
		if w.oneway {
			tag(&b, "oneway", "yes")
		}
		b.WriteString("  </way>\n")
	}
	b.WriteString("</osm>\n")
	return b.Bytes()
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 7, 64) }

func tag(b *bytes.Buffer, k, v string) {
	b.WriteString("    <tag k=\"")
	xml.EscapeText(b, []byte(k))
	b.WriteString("\" v=\"")
	xml.EscapeText(b, []byte(v))
	b.WriteString("\"/>\n")
}
