package zones

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Limits on user input. Decoders check counts against them before
// allocating; ValidateZone and friends enforce them on stored geometry.
const (
	MaxVerticesPerFeature    = 100_000   // positions in one zone or compound geometry
	MaxVerticesPerCollection = 1_000_000 // positions in one FeatureCollection
	MaxFeatures              = 10_000    // features in one FeatureCollection
	MaxNameLen               = 200       // runes in a name
	MaxReasonLen             = 2_000     // runes in a reason
)

// BoundaryTolerance is the distance in degrees (about 0.1 mm) within which a
// point counts as lying on an edge in point-in-polygon tests.
const BoundaryTolerance = 1e-9

// ValidateZone checks everything a store requires of a zone before writing
// it: a valid kind, a non-empty name of at most MaxNameLen runes, a reason of
// at most MaxReasonLen runes, a non-zero EffectiveFrom, an EffectiveUntil (if
// set) strictly after EffectiveFrom, both times in the years [1970, 2200),
// and a valid geometry (see ValidateMultiPolygon). It returns a
// *ValidationError whose Path uses the GeoJSON property names ("properties.kind", "geometry.coordinates[0][1][5]").
// ID and the timestamps CreatedAt/UpdatedAt are not checked.
func ValidateZone(z Zone) error {
	if err := validateZoneProps(&z, "", true); err != nil {
		return err
	}
	return ValidateMultiPolygon("geometry.coordinates", z.Geometry)
}

func validateZoneProps(z *Zone, prefix string, requireFrom bool) error {
	if !z.Kind.Valid() {
		return &ValidationError{Path: prefix + "properties.kind", Message: fmt.Sprintf("unknown kind %q (want sealed, controlled or prevention)", string(z.Kind))}
	}
	if err := checkText(prefix+"properties.name", z.Name, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText(prefix+"properties.reason", z.Reason, MaxReasonLen, false); err != nil {
		return err
	}
	if err := checkKey(prefix+"properties.external_key", z.ExternalKey); err != nil {
		return err
	}
	if !z.EffectiveFrom.IsZero() && !TimeInRange(z.EffectiveFrom) {
		return &ValidationError{Path: prefix + "properties.effective_from", Message: timeRangeMsg}
	}
	if z.EffectiveUntil != nil && !TimeInRange(*z.EffectiveUntil) {
		return &ValidationError{Path: prefix + "properties.effective_until", Message: timeRangeMsg}
	}
	if requireFrom && z.EffectiveFrom.IsZero() {
		return &ValidationError{Path: prefix + "properties.effective_from", Message: "required"}
	}
	if z.EffectiveUntil != nil && !z.EffectiveFrom.IsZero() && !z.EffectiveUntil.After(z.EffectiveFrom) {
		return &ValidationError{Path: prefix + "properties.effective_until", Message: "must be after effective_from"}
	}
	return nil
}

// ValidateCompound checks a compound: a non-empty name, a valid geometry,
// 0 <= Aged60Plus <= Population, Households >= 0 and gates that are valid
// [lon, lat] positions.
func ValidateCompound(c Compound) error {
	if err := checkText("properties.name", c.Name, MaxNameLen, true); err != nil {
		return err
	}
	if c.Population < 0 {
		return &ValidationError{Path: "properties.population", Message: "must not be negative"}
	}
	if c.Aged60Plus < 0 || c.Aged60Plus > c.Population {
		return &ValidationError{Path: "properties.aged_60_plus", Message: "must be between 0 and population"}
	}
	if c.Households < 0 {
		return &ValidationError{Path: "properties.households", Message: "must not be negative"}
	}
	for i, g := range c.Gates {
		if msg := checkPosition(g); msg != "" {
			return &ValidationError{Path: "properties.gates[" + strconv.Itoa(i) + "]", Message: msg}
		}
	}
	return ValidateMultiPolygon("geometry.coordinates", c.Geometry)
}

// ValidateFacility checks a facility: a known kind, a non-empty name, a
// valid [lon, lat] point, Capacity >= 0 and known health-code colours.
func ValidateFacility(f Facility) error {
	if !f.Kind.Valid() {
		return &ValidationError{Path: "properties.kind", Message: fmt.Sprintf("unknown facility kind %q", string(f.Kind))}
	}
	if err := checkText("properties.name", f.Name, MaxNameLen, true); err != nil {
		return err
	}
	if msg := checkPosition(f.Point); msg != "" {
		return &ValidationError{Path: "geometry.coordinates", Message: msg}
	}
	if f.Capacity < 0 {
		return &ValidationError{Path: "properties.capacity", Message: "must not be negative"}
	}
	if err := checkText("properties.opening_hours", f.OpeningHours, MaxNameLen, false); err != nil {
		return err
	}
	for i, c := range f.Accepts {
		switch c {
		case CodeRed, CodeOrange, CodeYellow, CodeGreen:
		default:
			return &ValidationError{Path: "properties.accepts[" + strconv.Itoa(i) + "]", Message: fmt.Sprintf("unknown health code %q", string(c))}
		}
	}
	if f.CompoundID < 0 {
		return &ValidationError{Path: "properties.compound_id", Message: "must not be negative"}
	}
	return nil
}

func checkText(path, s string, max int, required bool) error {
	if required && s == "" {
		return &ValidationError{Path: path, Message: "required"}
	}
	if !utf8.ValidString(s) {
		return &ValidationError{Path: path, Message: "not valid UTF-8"}
	}
	if utf8.RuneCountInString(s) > max {
		return &ValidationError{Path: path, Message: fmt.Sprintf("longer than %d characters", max)}
	}
	for i, r := range s {
		// Control characters (NUL, which PostgreSQL cannot store, and the
		// rest of C0, DEL and C1) have no place in a name; tab and line
		// breaks are fine in longer text.
		if r == '\t' || r == '\n' || r == '\r' {
			if max > MaxNameLen {
				continue
			}
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return &ValidationError{Path: path, Message: fmt.Sprintf("control character %U at byte %d", r, i)}
		}
	}
	return nil
}

// MaxKeyLen is the longest external key (bytes).
const MaxKeyLen = 200

// checkKey checks an optional external key: printable, no surrounding
// spaces, at most MaxKeyLen bytes.
func checkKey(path, k string) error {
	if k == "" {
		return nil
	}
	if len(k) > MaxKeyLen {
		return &ValidationError{Path: path, Message: fmt.Sprintf("longer than %d bytes", MaxKeyLen)}
	}
	if strings.TrimSpace(k) != k {
		return &ValidationError{Path: path, Message: "must not start or end with spaces"}
	}
	return checkText(path, k, MaxKeyLen, false)
}

// checkPosition returns "" for a valid [lon, lat] or what is wrong.
func checkPosition(p orb.Point) string {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return "coordinate is not a finite number"
	}
	if lon < -180 || lon > 180 {
		return "longitude out of range [-180, 180]"
	}
	if lat < -90 || lat > 90 {
		return "latitude out of range [-90, 90]"
	}
	return ""
}

// ValidateMultiPolygon checks a multipolygon: at least one polygon, each with
// a shell and optional holes; every ring closed with at least 4 positions,
// finite coordinates in range, non-zero area and no self-intersection; no two
// rings of a polygon crossing each other; every hole inside its shell; at most
// MaxVerticesPerFeature positions in all. Overlaps between different polygons
// of the multipolygon are not checked. path prefixes the error location, e.g.
// "geometry.coordinates" gives "geometry.coordinates[0][1][5]".
//
// Cost: O(n log n + k) for n positions and k pairs of edges of a polygon whose
// x-extents overlap (O(n^2) in adversarial cases, bounded by the vertex cap).
func ValidateMultiPolygon(path string, mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return &ValidationError{Path: path, Message: "multipolygon has no polygons"}
	}
	n := 0
	for _, poly := range mp {
		for _, r := range poly {
			n += len(r)
		}
	}
	if n > MaxVerticesPerFeature {
		return &ValidationError{Path: path, Message: fmt.Sprintf("%d positions, more than the limit of %d", n, MaxVerticesPerFeature)}
	}
	for i, poly := range mp {
		if err := ValidatePolygon(path+"["+strconv.Itoa(i)+"]", poly); err != nil {
			return err
		}
	}
	if len(mp) > 1 {
		return checkParts(path, mp)
	}
	return nil
}

// checkParts checks that the polygons of a multipolygon meet at most at
// points (OGC validity, as PostGIS ST_IsValid): no crossing or collinear
// overlapping edges, and no polygon inside another (inside a hole is fine).
func checkParts(path string, mp orb.MultiPolygon) error {
	var segs []seg
	for pi, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if a != b {
					segs = append(segs, seg{a: a, b: b, ring: int32(pi), idx: int32(i), minX: min(a[0], b[0]), maxX: max(a[0], b[0])})
				}
			}
		}
	}
	slices.SortFunc(segs, func(x, y seg) int {
		switch {
		case x.minX < y.minX:
			return -1
		case x.minX > y.minX:
			return 1
		}
		return 0
	})
	bad := func(k int) error {
		return &ValidationError{Path: path + "[" + strconv.Itoa(k) + "]", Message: "polygons of the multipolygon overlap or share an edge"}
	}
	for i := range segs {
		s := &segs[i]
		for j := i + 1; j < len(segs); j++ {
			t := &segs[j]
			if t.minX > s.maxX {
				break
			}
			if t.ring == s.ring || max(s.a[1], s.b[1]) < min(t.a[1], t.b[1]) || max(t.a[1], t.b[1]) < min(s.a[1], s.b[1]) {
				continue
			}
			if properCross(s.a, s.b, t.a, t.b) || collinearOverlap(s.a, s.b, t.a, t.b) {
				return bad(int(max(s.ring, t.ring)))
			}
		}
	}
	// No edges cross: two polygons are disjoint, touch at points, or one
	// lies inside the other (or inside one of its holes). Polygon j is
	// inside polygon i iff a vertex of j's shell not on i's boundary is
	// inside i; an index over the polygons finds the candidates i.
	items := make([]orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		items[i] = orb.MultiPolygon{poly}
	}
	ix := NewShapeIndex(items) // one part per polygon: part k is mp[k]
	for j := range mp {
		for _, e := range ix.candidates(mp[j][0][0]) {
			i := int(e >> 1)
			if i == j {
				continue
			}
			for _, p := range mp[j][0] {
				l := ix.partLocate(int32(i), p)
				if l == locOn {
					continue
				}
				if l == locIn {
					return bad(max(i, j))
				}
				break
			}
		}
	}
	return nil
}

// collinearOverlap reports whether a-b and c-d lie on one line and share a
// piece of positive length.
func collinearOverlap(a, b, c, d orb.Point) bool {
	if orient(a, b, c) != 0 || orient(a, b, d) != 0 {
		return false
	}
	k := 0
	if math.Abs(b[0]-a[0]) < math.Abs(b[1]-a[1]) {
		k = 1
	}
	lo := max(min(a[k], b[k]), min(c[k], d[k]))
	hi := min(max(a[k], b[k]), max(c[k], d[k]))
	return hi > lo
}

// ValidatePolygon checks one polygon (shell then holes) as described in
// ValidateMultiPolygon; path names the polygon ("geometry.coordinates").
func ValidatePolygon(path string, poly orb.Polygon) error {
	if len(poly) == 0 {
		return &ValidationError{Path: path, Message: "polygon has no rings"}
	}
	for ri, r := range poly {
		rp := path + "[" + strconv.Itoa(ri) + "]"
		if len(r) < 4 {
			return &ValidationError{Path: rp, Message: fmt.Sprintf("ring has %d positions, at least 4 required", len(r))}
		}
		for pi, p := range r {
			if msg := checkPosition(p); msg != "" {
				return &ValidationError{Path: rp + "[" + strconv.Itoa(pi) + "]", Message: msg}
			}
		}
		if r[0] != r[len(r)-1] {
			return &ValidationError{Path: rp, Message: "ring is not closed (first and last positions differ)"}
		}
	}
	if err := checkCrossings(path, poly); err != nil {
		return err
	}
	for ri, r := range poly {
		if ringArea2(r) == 0 {
			return &ValidationError{Path: path + "[" + strconv.Itoa(ri) + "]", Message: "ring has zero area"}
		}
	}
	// With no crossings, a hole is inside its shell iff any of its vertices
	// not on the shell is inside it. Many holes in a large shell: locate
	// through a banded index of the shell (O(n) instead of O(n * holes)).
	shell := poly[0]
	locate := func(p orb.Point) location { return ringLocate(shell, p) }
	if len(poly) > 8 && len(shell) > 64 {
		ix := NewShapeIndex([]orb.MultiPolygon{{orb.Polygon{shell}}})
		locate = func(p orb.Point) location { return ix.partLocate(0, p) }
	}
	for ri := 1; ri < len(poly); ri++ {
		inside := true
		for _, p := range poly[ri] {
			c := locate(p)
			if c == locOn {
				continue
			}
			inside = c == locIn
			break
		}
		if !inside {
			return &ValidationError{Path: path + "[" + strconv.Itoa(ri) + "]", Message: "hole is outside its shell"}
		}
	}
	return nil
}

// seg is one edge of a polygon during validation.
type seg struct {
	a, b       orb.Point
	ring       int32
	idx        int32 // index of the first position in the ring (a = ring[idx])
	next, prev int32 // indices (into the segment list) of the neighbours in the ring
	minX, maxX float64
}

// checkCrossings sweeps the edges of a polygon in order of min x and tests
// each pair whose x-extents overlap: two edges of one ring may only share the
// vertex between them (and must not fold back on each other); edges of
// different rings must not cross properly.
func checkCrossings(path string, poly orb.Polygon) error {
	n := 0
	for _, r := range poly {
		n += len(r) - 1
	}
	segs := make([]seg, 0, n)
	for ri, r := range poly {
		first := int32(len(segs))
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if a == b {
				continue // repeated position: no edge
			}
			segs = append(segs, seg{a: a, b: b, ring: int32(ri), idx: int32(i), minX: min(a[0], b[0]), maxX: max(a[0], b[0])})
		}
		last := int32(len(segs)) - 1
		for k := first; k <= last; k++ {
			segs[k].next, segs[k].prev = k+1, k-1
		}
		if last >= first {
			segs[last].next, segs[first].prev = first, last
		}
		if last-first+1 < 3 {
			return &ValidationError{Path: path + "[" + strconv.Itoa(ri) + "]", Message: "ring has fewer than 3 distinct positions"}
		}
	}
	order := make([]int32, len(segs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		if segs[x].minX < segs[y].minX {
			return -1
		}
		if segs[x].minX > segs[y].minX {
			return 1
		}
		return int(x - y)
	})
	for oi, i := range order {
		s := &segs[i]
		for _, j := range order[oi+1:] {
			t := &segs[j]
			if t.minX > s.maxX {
				break
			}
			if max(s.a[1], s.b[1]) < min(t.a[1], t.b[1]) || max(t.a[1], t.b[1]) < min(s.a[1], s.b[1]) {
				continue
			}
			if bad, msg := segPairBad(segs, i, j); bad {
				// Report the later ring, or the later edge of one ring.
				at := s
				if t.ring > s.ring || (t.ring == s.ring && t.idx > s.idx) {
					at = t
				}
				return &ValidationError{Path: path + "[" + strconv.Itoa(int(at.ring)) + "][" + strconv.Itoa(int(at.idx)) + "]", Message: msg}
			}
		}
	}
	return nil
}

func segPairBad(segs []seg, i, j int32) (bool, string) {
	s, t := &segs[i], &segs[j]
	if s.ring != t.ring {
		if properCross(s.a, s.b, t.a, t.b) {
			return true, "rings cross each other"
		}
		return false, ""
	}
	if s.next == j || s.prev == j {
		// Adjacent edges share one vertex; they are bad only if they fold
		// back over each other (collinear and overlapping beyond that vertex).
		var shared, p, q orb.Point
		if s.next == j {
			shared, p, q = s.b, s.a, t.b
		} else {
			shared, p, q = s.a, s.b, t.a
		}
		if orient(shared, p, q) == 0 && dot(sub(p, shared), sub(q, shared)) > 0 {
			return true, "ring folds back on itself (spike)"
		}
		if s.next == j && s.prev == j { // a two-edge ring cannot happen (>= 3 edges)
			return false, ""
		}
		return false, ""
	}
	if segmentsIntersect(s.a, s.b, t.a, t.b) {
		return true, "ring intersects itself"
	}
	return false, ""
}

func sub(a, b orb.Point) orb.Point { return orb.Point{a[0] - b[0], a[1] - b[1]} }
func dot(a, b orb.Point) float64   { return a[0]*b[0] + a[1]*b[1] }

// orient returns the sign of the cross product (b-a) x (c-a): >0 when c is
// left of a->b, <0 right, 0 collinear.
func orient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether c, known collinear with a-b, lies within its box.
func onSegment(a, b, c orb.Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

// segmentsIntersect reports whether closed segments a-b and c-d share a point.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// properCross reports whether a-b and c-d cross at a single interior point of both.
func properCross(a, b, c, d orb.Point) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	return o1*o2 < 0 && o3*o4 < 0
}

// ringArea2 returns twice the signed area of r (positive counter-clockwise).
func ringArea2(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	var s float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s
}

type location int8

const (
	locOut location = iota
	locIn
	locOn
)

// onEdge reports whether p lies within BoundaryTolerance of segment a-b.
func onEdge(a, b, p orb.Point) bool {
	const eps = BoundaryTolerance
	if p[0] < min(a[0], b[0])-eps || p[0] > max(a[0], b[0])+eps || p[1] < min(a[1], b[1])-eps || p[1] > max(a[1], b[1])+eps {
		return false
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	px, py := p[0]-a[0], p[1]-a[1]
	if l2 == 0 {
		return px*px+py*py <= eps*eps
	}
	cr := dx*py - dy*px
	if cr*cr > eps*eps*l2 {
		return false
	}
	t := (px*dx + py*dy) / l2
	if t < 0 {
		return px*px+py*py <= eps*eps
	}
	if t > 1 {
		qx, qy := p[0]-b[0], p[1]-b[1]
		return qx*qx+qy*qy <= eps*eps
	}
	return true
}

// crosses reports whether the horizontal ray from p towards +x crosses edge
// a-b (half-open rule on y, so a vertex is counted once).
func crosses(a, b, p orb.Point) bool {
	if (a[1] > p[1]) == (b[1] > p[1]) {
		return false
	}
	x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
	return p[0] < x
}

// ringLocate classifies p against a closed ring: in, out or on its boundary
// (within BoundaryTolerance). O(len(r)).
func ringLocate(r orb.Ring, p orb.Point) location {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if onEdge(a, b, p) {
			return locOn
		}
		if crosses(a, b, p) {
			in = !in
		}
	}
	if in {
		return locIn
	}
	return locOut
}

// PolygonCovers reports whether p lies in the closed polygon: inside the
// shell and not strictly inside a hole; points on any ring (within
// BoundaryTolerance) count as inside. O(vertices). Unlike
// orb/planar.PolygonContains, a point on a hole's boundary is inside.
func PolygonCovers(poly orb.Polygon, p orb.Point) bool {
	if len(poly) == 0 {
		return false
	}
	in := false
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if onEdge(a, b, p) {
				return true
			}
			if crosses(a, b, p) {
				in = !in
			}
		}
	}
	return in
}

// MultiPolygonCovers reports whether p lies in any polygon of mp, boundary
// included. It is the naive O(vertices) test that Index accelerates.
func MultiPolygonCovers(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if PolygonCovers(poly, p) {
			return true
		}
	}
	return false
}

// IntersectsBound reports whether the closed multipolygon mp and the closed
// bound b share a point (touching counts), as PostGIS ST_Intersects does.
// O(vertices).
func IntersectsBound(mp orb.MultiPolygon, b orb.Bound) bool {
	if !mp.Bound().Intersects(b) {
		return false
	}
	corners := [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}}
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				p, q := r[i], r[i+1]
				if b.Contains(p) {
					return true
				}
				for k := 0; k < 4; k++ {
					if segmentsIntersect(p, q, corners[k], corners[(k+1)%4]) {
						return true
					}
				}
			}
		}
		// No edge meets the box: the box is inside or outside the polygon.
		if PolygonCovers(poly, b.Center()) {
			return true
		}
	}
	return false
}

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

const timeRangeMsg = "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z"

// TimeInRange reports whether t lies in [2000, 2100): the validity times a
// zone may carry. Anything else is a typo or a zero value sent on purpose
// ("0001-01-01T00:00:00Z"), refused rather than read as "now".
func TimeInRange(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

// TruncateTime rounds t down to the microsecond (PostgreSQL precision) and
// drops the monotonic reading, in UTC. Stores apply it to every time they
// keep so both stores round-trip the same values.
func TruncateTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
}
