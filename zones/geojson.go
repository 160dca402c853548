package zones

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// ErrTooLarge is returned (wrapped) by ReadLimited and DecodeZones when the
// input exceeds the byte limit. The API maps it to 413.
var ErrTooLarge = errors.New("zones: input too large")

// ReadLimited reads all of r, failing with an error wrapping ErrTooLarge as
// soon as more than limit bytes arrive (it never buffers more than limit+1).
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read geojson: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// DecodeZones reads at most limit bytes from r and decodes either one GeoJSON
// Feature or a FeatureCollection into zones (see DecodeFeature). Errors: one
// wrapping ErrTooLarge, or a *ValidationError.
func DecodeZones(r io.Reader, limit int64) ([]Zone, error) {
	return decodeFeatureOrCollection(r, limit, func(fo map[string]json.RawMessage, prefix string, budget int) (Zone, int, error) {
		z, err := decodeFeatureObject(fo, prefix, budget)
		return z, countPositions(z.Geometry), err
	})
}

// DecodeFeature decodes one GeoJSON Feature into a Zone and validates it.
//
// The geometry is a Polygon or a MultiPolygon ([lon, lat] positions, an
// optional third number ignored); it is returned as a MultiPolygon.
// Properties: kind (required: sealed, controlled or prevention), name
// (required), reason, effective_from and effective_until (RFC 3339 strings or
// null). A missing effective_from leaves EffectiveFrom zero (the store then
// uses the creation time). A numeric feature "id" (or properties.id) sets
// Zone.ID. Unknown properties are ignored.
//
// Every problem is a *ValidationError whose Path says where, e.g.
// "properties.kind" or "geometry.coordinates[0][5]" (Polygon: [ring][position];
// MultiPolygon: [polygon][ring][position]). Positions are counted before
// anything is allocated for them (at most MaxVerticesPerFeature).
func DecodeFeature(data []byte) (Zone, error) {
	obj, err := decodeObject(data, "")
	if err != nil {
		return Zone{}, err
	}
	return decodeFeatureObject(obj, "", MaxVerticesPerFeature)
}

// DecodeFeatureCollection decodes a GeoJSON FeatureCollection of zone
// features (see DecodeFeature) with paths prefixed "features[i].". At most
// MaxFeatures features and MaxVerticesPerCollection positions in all.
func DecodeFeatureCollection(data []byte) ([]Zone, error) {
	obj, err := decodeObject(data, "")
	if err != nil {
		return nil, err
	}
	return decodeCollectionObject(obj)
}

func decodeCollectionObject(obj map[string]json.RawMessage) ([]Zone, error) {
	return decodeCollection(obj, func(fo map[string]json.RawMessage, prefix string, budget int) (Zone, int, error) {
		z, err := decodeFeatureObject(fo, prefix, budget)
		return z, countPositions(z.Geometry), err
	})
}

func countPositions(mp orb.MultiPolygon) int {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// decodeCollection checks a FeatureCollection object, counts its features
// before decoding them and decodes each with one (which returns how many
// positions it used of the collection's budget).
func decodeCollection[T any](obj map[string]json.RawMessage, one func(fo map[string]json.RawMessage, prefix string, budget int) (T, int, error)) ([]T, error) {
	typ, err := stringField(obj, "type", "")
	if err != nil {
		return nil, err
	}
	if typ != "FeatureCollection" {
		return nil, &ValidationError{Path: "type", Message: fmt.Sprintf("got %q, want \"FeatureCollection\"", typ)}
	}
	raw, ok := obj["features"]
	if !ok || isNull(raw) {
		return nil, &ValidationError{Path: "features", Message: "required"}
	}
	n, err := countArray(raw)
	if err != nil {
		return nil, &ValidationError{Path: "features", Message: "must be an array"}
	}
	if n > MaxFeatures {
		return nil, &ValidationError{Path: "features", Message: fmt.Sprintf("%d features, more than the limit of %d", n, MaxFeatures)}
	}
	var feats []json.RawMessage
	if err := json.Unmarshal(raw, &feats); err != nil {
		return nil, &ValidationError{Path: "features", Message: "must be an array"}
	}
	out := make([]T, 0, len(feats))
	budget := MaxVerticesPerCollection
	for i, f := range feats {
		prefix := "features[" + strconv.Itoa(i) + "]."
		fo, err := decodeObject(f, prefix)
		if err != nil {
			return nil, err
		}
		v, used, err := one(fo, prefix, budget)
		if err != nil {
			return nil, err
		}
		budget -= used
		out = append(out, v)
	}
	return out, nil
}

// decodeFeatureOrCollection reads at most limit bytes and decodes a
// Feature (with one) or a FeatureCollection of them.
func decodeFeatureOrCollection[T any](r io.Reader, limit int64, one func(fo map[string]json.RawMessage, prefix string, budget int) (T, int, error)) ([]T, error) {
	data, err := ReadLimited(r, limit)
	if err != nil {
		return nil, err
	}
	obj, err := decodeObject(data, "")
	if err != nil {
		return nil, err
	}
	typ, err := stringField(obj, "type", "")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Feature":
		v, _, err := one(obj, "", MaxVerticesPerFeature)
		if err != nil {
			return nil, err
		}
		return []T{v}, nil
	case "FeatureCollection":
		return decodeCollection(obj, one)
	}
	return nil, &ValidationError{Path: "type", Message: fmt.Sprintf("got %q, want \"Feature\" or \"FeatureCollection\"", typ)}
}

// decodeObject unmarshals a JSON object; path names it in errors.
func decodeObject(data []byte, path string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ValidationError{Path: trimDot(path), Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
		}
		return nil, &ValidationError{Path: trimDot(path), Message: "must be a JSON object"}
	}
	if obj == nil {
		return nil, &ValidationError{Path: trimDot(path), Message: "must be a JSON object, not null"}
	}
	return obj, nil
}

func trimDot(p string) string {
	if len(p) > 0 && p[len(p)-1] == '.' {
		return p[:len(p)-1]
	}
	return p
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// stringField returns obj[key] as a string; missing is a "required" error.
func stringField(obj map[string]json.RawMessage, key, prefix string) (string, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return "", &ValidationError{Path: prefix + key, Message: "required"}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &ValidationError{Path: prefix + key, Message: "must be a string"}
	}
	return s, nil
}

// optString returns obj[key] as a string, "" when missing or null.
func optString(obj map[string]json.RawMessage, key, prefix string) (string, bool, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, &ValidationError{Path: prefix + key, Message: "must be a string"}
	}
	return s, true, nil
}

func optTime(obj map[string]json.RawMessage, key, prefix string) (*time.Time, error) {
	s, ok, err := optString(obj, key, prefix)
	if err != nil || !ok {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, &ValidationError{Path: prefix + key, Message: fmt.Sprintf("not an RFC 3339 time: %q", truncate(s, 40))}
	}
	return &t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// optID reads a non-negative integer id, ignoring non-numbers.
func optID(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == '"' {
		return 0, false
	}
	var f json.Number
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, false
	}
	id, err := f.Int64()
	if err != nil || id < 0 {
		return 0, false
	}
	return id, true
}

func decodeFeatureObject(obj map[string]json.RawMessage, prefix string, budget int) (Zone, error) {
	var z Zone
	typ, err := stringField(obj, "type", prefix)
	if err != nil {
		return z, err
	}
	if typ != "Feature" {
		return z, &ValidationError{Path: prefix + "type", Message: fmt.Sprintf("got %q, want \"Feature\"", typ)}
	}
	// Properties first: they are cheap and name the zone in later errors.
	praw, ok := obj["properties"]
	if !ok || isNull(praw) {
		return z, &ValidationError{Path: prefix + "properties.kind", Message: "required (feature has no properties)"}
	}
	props, err := decodeObject(praw, prefix+"properties.")
	if err != nil {
		return z, err
	}
	pp := prefix + "properties."
	if err := onlyKnown(props, zoneProperties, pp); err != nil {
		return z, err
	}
	kind, err := stringField(props, "kind", pp)
	if err != nil {
		return z, err
	}
	z.Kind = Kind(kind)
	if z.Name, err = stringField(props, "name", pp); err != nil {
		return z, err
	}
	if z.Reason, _, err = optString(props, "reason", pp); err != nil {
		return z, err
	}
	if z.ExternalKey, _, err = optString(props, "external_key", pp); err != nil {
		return z, err
	}
	from, err := optTime(props, "effective_from", pp)
	if err != nil {
		return z, err
	}
	if from != nil {
		// Given means given: a zero time ("0001-01-01T00:00:00Z") is out
		// of range, not "now" (that is what leaving the field out means).
		if !TimeInRange(*from) {
			return z, &ValidationError{Path: pp + "effective_from", Message: timeRangeMsg}
		}
		z.EffectiveFrom = *from
	}
	if z.EffectiveUntil, err = optTime(props, "effective_until", pp); err != nil {
		return z, err
	}
	if id, ok := optID(obj["id"]); ok {
		z.ID = id
	} else if id, ok := optID(props["id"]); ok {
		z.ID = id
	}
	if err := validateZoneProps(&z, prefix, false); err != nil {
		return z, err
	}
	mp, err := decodeGeometry(obj["geometry"], prefix+"geometry", budget)
	if err != nil {
		return z, err
	}
	z.Geometry = mp
	return z, nil
}

// zoneProperties are the properties a zone feature may carry: those it is
// written from, and those ZoneFeature exports (read-only ones are ignored),
// so that an export imports again unchanged. Anything else is most likely
// a typo ("efective_until") and is refused instead of silently dropped.
var zoneProperties = map[string]bool{
	"id": true, "version": true, "kind": true, "name": true, "reason": true, "external_key": true,
	"effective_from": true, "effective_until": true, "created_at": true, "updated_at": true,
}

// UnknownFieldError is an input member that the decoder does not know; the
// API answers it like every other unknown field (400 unknown_field).
type UnknownFieldError struct{ Path string }

func (e *UnknownFieldError) Error() string { return fmt.Sprintf("unknown field %q", e.Path) }

func onlyKnown(obj map[string]json.RawMessage, known map[string]bool, prefix string) error {
	var bad []string
	for k := range obj {
		if !known[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return &UnknownFieldError{Path: prefix + bad[0]}
}

// decodeGeometry decodes a Polygon or MultiPolygon geometry object and
// validates it; path is e.g. "features[2].geometry".
func decodeGeometry(raw json.RawMessage, path string, budget int) (orb.MultiPolygon, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, &ValidationError{Path: path, Message: "required"}
	}
	g, err := decodeObject(raw, path+".")
	if err != nil {
		return nil, err
	}
	typ, err := stringField(g, "type", path+".")
	if err != nil {
		return nil, err
	}
	var multi bool
	switch typ {
	case "Polygon":
	case "MultiPolygon":
		multi = true
	default:
		return nil, &ValidationError{Path: path + ".type", Message: fmt.Sprintf("got %q, want \"Polygon\" or \"MultiPolygon\"", typ)}
	}
	craw, ok := g["coordinates"]
	cpath := path + ".coordinates"
	if !ok || isNull(craw) {
		return nil, &ValidationError{Path: cpath, Message: "required"}
	}
	mp, err := parseCoordinates(craw, multi, cpath, budget)
	if err != nil {
		return nil, err
	}
	if crossesAntimeridian(mp) {
		// RFC 7946 3.1.9: cut at the antimeridian (paths as in the input:
		// [ring] for a Polygon, [polygon][ring] for a MultiPolygon).
		var cut orb.MultiPolygon
		if multi {
			cut, err = CutAntimeridian(cpath, mp)
		} else {
			cut, err = cutPolygon(cpath, mp[0])
		}
		if err != nil {
			return nil, err
		}
		return cut, ValidateMultiPolygon(cpath, cut)
	}
	if multi {
		if err := ValidateMultiPolygon(cpath, mp); err != nil {
			return nil, err
		}
	} else {
		if err := ValidatePolygon(cpath, mp[0]); err != nil {
			return nil, err
		}
	}
	return mp, nil
}

// ----- coordinates -----

// coordScanner walks the (syntactically valid) JSON of a coordinates array
// twice: once to check the shape and count positions, once to fill
// preallocated slices.
type coordScanner struct {
	b     []byte
	i     int
	base  string
	idx   [4]int
	depth int
}

func (s *coordScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *coordScanner) fail(msg string) *ValidationError {
	p := s.base
	for k := 0; k < s.depth; k++ {
		p += "[" + strconv.Itoa(s.idx[k]) + "]"
	}
	return &ValidationError{Path: p, Message: msg}
}

// array walks one array at the current level, calling elem for each
// element with s.idx[level] set; it fails with msg if the value is no array.
func (s *coordScanner) array(msg string, elem func() error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.fail(msg)
	}
	s.i++
	level := s.depth
	s.depth++
	defer func() { s.depth = level }()
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		s.idx[level] = n
		if err := elem(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("truncated array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("malformed array")
		}
	}
}

// number returns the bytes of the number at the current position, or nil.
func (s *coordScanner) number() []byte {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		return nil
	}
	return s.b[start:s.i]
}

// parseCoordinates parses Polygon (multi=false) or MultiPolygon
// coordinates. It checks the shape and counts positions against budget
// before allocating.
func parseCoordinates(raw []byte, multi bool, path string, budget int) (orb.MultiPolygon, error) {
	s := &coordScanner{b: raw, base: path}
	limitMsg := fmt.Sprintf("more than %d positions", min(budget, MaxVerticesPerFeature))
	if budget < MaxVerticesPerFeature {
		limitMsg = fmt.Sprintf("more than %d positions in the collection", MaxVerticesPerCollection)
	}
	budget = min(budget, MaxVerticesPerFeature)
	var polyRings []int32 // rings per polygon
	var ringLens []int32  // positions per ring
	total := 0
	position := func() error {
		total++
		if total > budget {
			return s.fail(limitMsg)
		}
		nn := 0
		err := s.array("position must be an array of numbers", func() error {
			if s.number() == nil {
				return s.fail("coordinate must be a number")
			}
			nn++
			return nil
		})
		if err != nil {
			return err
		}
		if nn < 2 || nn > 3 {
			return s.fail(fmt.Sprintf("position has %d numbers, want 2 (lon, lat) or 3", nn))
		}
		return nil
	}
	polygon := func() error {
		nr := int32(0)
		err := s.array("polygon must be an array of rings", func() error {
			np := int32(0)
			err := s.array("ring must be an array of positions", func() error {
				np++
				return position()
			})
			ringLens = append(ringLens, np)
			nr++
			return err
		})
		polyRings = append(polyRings, nr)
		return err
	}
	var err error
	if multi {
		err = s.array("coordinates must be an array of polygons", polygon)
	} else {
		err = polygon()
	}
	if err != nil {
		return nil, err
	}
	// Second pass: fill.
	pts := make([]orb.Point, 0, total)
	mp := make(orb.MultiPolygon, len(polyRings))
	ri := 0
	for pi, nr := range polyRings {
		mp[pi] = make(orb.Polygon, nr)
		for k := range mp[pi] {
			n := int(ringLens[ri])
			ri++
			start := len(pts)
			mp[pi][k] = orb.Ring(pts[start : start+n : start+n])
			pts = pts[:start+n]
		}
	}
	s.i, s.depth = 0, 0
	k := 0
	var cur orb.Point
	fillPos := func() error {
		c := 0
		err := s.array("", func() error {
			tok := s.number()
			v, err := strconv.ParseFloat(string(tok), 64)
			if err != nil || math.IsInf(v, 0) {
				return s.fail("coordinate is not a finite number")
			}
			if c < 2 {
				cur[c] = v
			}
			c++
			return nil
		})
		if err != nil {
			return err
		}
		pts[k] = cur
		k++
		return nil
	}
	fillPoly := func() error {
		return s.array("", func() error { return s.array("", fillPos) })
	}
	if multi {
		err = s.array("", fillPoly)
	} else {
		err = fillPoly()
	}
	if err != nil {
		return nil, err
	}
	return mp, nil
}

// countArray counts the elements of a syntactically valid JSON array
// without decoding them; an error if raw is not an array.
func countArray(raw []byte) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' {
		return 0, errors.New("not an array")
	}
	depth, n := 0, 0
	inStr, esc, seen := false, false, false
	for _, c := range raw[1 : len(raw)-1] {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			seen = true
		case '[', '{':
			depth++
			seen = true
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		case ' ', '\t', '\n', '\r':
		default:
			seen = true
		}
	}
	if !seen {
		return 0, nil
	}
	return n + 1, nil
}

// ----- encoding -----

// Feature is a GeoJSON Feature as the encoders write it; it marshals with
// encoding/json (properties in key order).
type Feature struct {
	Type       string         `json:"type"` // "Feature"
	ID         int64          `json:"id,omitempty"`
	Geometry   Geometry       `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// Geometry is a GeoJSON geometry: Type "MultiPolygon" with orb.MultiPolygon
// coordinates, or "Point" with an orb.Point ([lon, lat]).
type Geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// FeatureCollection is a GeoJSON FeatureCollection; Features is never nil.
type FeatureCollection struct {
	Type     string    `json:"type"` // "FeatureCollection"
	Features []Feature `json:"features"`
}

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ZoneFeature encodes z as a Feature: MultiPolygon geometry; properties id,
// version, kind, name, reason, external_key (when set), effective_from,
// effective_until (null when open), created_at, updated_at (RFC 3339 in
// UTC). DecodeFeature reads it back (id and external_key are what make a
// re-import of an export change nothing).
func ZoneFeature(z Zone) Feature {
	until := any(nil)
	if z.EffectiveUntil != nil {
		until = formatTime(*z.EffectiveUntil)
	}
	f := Feature{
		Type:     "Feature",
		ID:       z.ID,
		Geometry: Geometry{Type: "MultiPolygon", Coordinates: nonNilMP(z.Geometry)},
		Properties: map[string]any{
			"id":              z.ID,
			"version":         z.Version,
			"kind":            z.Kind,
			"name":            z.Name,
			"reason":          z.Reason,
			"effective_from":  formatTime(z.EffectiveFrom),
			"effective_until": until,
			"created_at":      formatTime(z.CreatedAt),
			"updated_at":      formatTime(z.UpdatedAt),
		},
	}
	if z.ExternalKey != "" {
		f.Properties["external_key"] = z.ExternalKey
	}
	return f
}

func nonNilMP(mp orb.MultiPolygon) orb.MultiPolygon {
	if mp == nil {
		return orb.MultiPolygon{}
	}
	return mp
}

// ZonesFeatureCollection encodes zones in order.
func ZonesFeatureCollection(zs []Zone) FeatureCollection {
	fc := FeatureCollection{Type: "FeatureCollection", Features: make([]Feature, len(zs))}
	for i, z := range zs {
		fc.Features[i] = ZoneFeature(z)
	}
	return fc
}

// CompoundFeature encodes c: MultiPolygon geometry; properties id, name,
// population, aged_60_plus, households, gates ([[lon, lat], ...]).
func CompoundFeature(c Compound) Feature {
	gates := c.Gates
	if gates == nil {
		gates = []orb.Point{}
	}
	return Feature{
		Type:     "Feature",
		ID:       c.ID,
		Geometry: Geometry{Type: "MultiPolygon", Coordinates: nonNilMP(c.Geometry)},
		Properties: map[string]any{
			"id":           c.ID,
			"name":         c.Name,
			"population":   c.Population,
			"aged_60_plus": c.Aged60Plus,
			"households":   c.Households,
			"gates":        gates,
		},
	}
}

// CompoundsFeatureCollection encodes compounds in order.
func CompoundsFeatureCollection(cs []Compound) FeatureCollection {
	fc := FeatureCollection{Type: "FeatureCollection", Features: make([]Feature, len(cs))}
	for i, c := range cs {
		fc.Features[i] = CompoundFeature(c)
	}
	return fc
}

// FacilityFeature encodes f: Point geometry; properties id, kind, name,
// capacity, opening_hours, accepts (list), compound_id (null when 0).
func FacilityFeature(f Facility) Feature {
	accepts := f.Accepts
	if accepts == nil {
		accepts = []HealthCode{}
	}
	compound := any(nil)
	if f.CompoundID != 0 {
		compound = f.CompoundID
	}
	return Feature{
		Type:     "Feature",
		ID:       f.ID,
		Geometry: Geometry{Type: "Point", Coordinates: f.Point},
		Properties: map[string]any{
			"id":            f.ID,
			"kind":          f.Kind,
			"name":          f.Name,
			"capacity":      f.Capacity,
			"opening_hours": f.OpeningHours,
			"accepts":       accepts,
			"compound_id":   compound,
		},
	}
}

// FacilitiesFeatureCollection encodes facilities in order.
func FacilitiesFeatureCollection(fs []Facility) FeatureCollection {
	fc := FeatureCollection{Type: "FeatureCollection", Features: make([]Feature, len(fs))}
	for i, f := range fs {
		fc.Features[i] = FacilityFeature(f)
	}
	return fc
}
