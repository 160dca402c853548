package zones

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// MaxGates is the most gates a compound may list.
const MaxGates = 1_000

// DecodeCompoundFeature decodes a GeoJSON Feature into a Compound and
// validates it (ValidateCompound). Geometry: Polygon or MultiPolygon.
// Properties: name (required), population, aged_60_plus, households
// (non-negative integers, 0 when missing) and gates ([[lon, lat], ...], at
// most MaxGates). A numeric feature "id" (or properties.id) sets ID. Errors
// are *ValidationError with paths as in DecodeFeature. CompoundFeature's
// output decodes back to the same compound.
func DecodeCompoundFeature(data []byte) (Compound, error) {
	obj, err := decodeObject(data, "")
	if err != nil {
		return Compound{}, err
	}
	c, _, err := decodeCompoundObject(obj, "", MaxVerticesPerFeature)
	return c, err
}

// DecodeCompounds reads at most limit bytes from r and decodes one compound
// Feature or a FeatureCollection of them (paths "features[i]...."). Errors:
// one wrapping ErrTooLarge, or a *ValidationError.
func DecodeCompounds(r io.Reader, limit int64) ([]Compound, error) {
	return decodeFeatureOrCollection(r, limit, decodeCompoundObject)
}

// DecodeFacilityFeature decodes a GeoJSON Feature with a Point geometry into
// a Facility and validates it (ValidateFacility). Properties: kind and name
// (required), capacity, opening_hours, accepts (list of health-code
// colours), compound_id (integer or null). FacilityFeature's output decodes
// back to the same facility.
func DecodeFacilityFeature(data []byte) (Facility, error) {
	obj, err := decodeObject(data, "")
	if err != nil {
		return Facility{}, err
	}
	f, _, err := decodeFacilityObject(obj, "", 0)
	return f, err
}

// DecodeFacilities reads at most limit bytes from r and decodes one facility
// Feature or a FeatureCollection of them.
func DecodeFacilities(r io.Reader, limit int64) ([]Facility, error) {
	return decodeFeatureOrCollection(r, limit, decodeFacilityObject)
}

// withPrefix returns a copy of a *ValidationError with prefix before its path.
func withPrefix(err error, prefix string) error {
	var ve *ValidationError
	if prefix != "" && errors.As(err, &ve) {
		return &ValidationError{Path: prefix + ve.Path, Message: ve.Message}
	}
	return err
}

func featureProps(obj map[string]json.RawMessage, prefix string) (map[string]json.RawMessage, error) {
	typ, err := stringField(obj, "type", prefix)
	if err != nil {
		return nil, err
	}
	if typ != "Feature" {
		return nil, &ValidationError{Path: prefix + "type", Message: fmt.Sprintf("got %q, want \"Feature\"", typ)}
	}
	praw, ok := obj["properties"]
	if !ok || isNull(praw) {
		return nil, &ValidationError{Path: prefix + "properties", Message: "required"}
	}
	return decodeObject(praw, prefix+"properties.")
}

// optInt reads a non-negative integer property (0 when missing or null).
func optInt(obj map[string]json.RawMessage, key, prefix string) (int, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return 0, nil
	}
	raw = bytes.TrimSpace(raw)
	var n json.Number
	if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0, &ValidationError{Path: prefix + key, Message: "must be a number"}
	}
	v, err := n.Int64()
	if err != nil || v < 0 || v > math.MaxInt32 {
		return 0, &ValidationError{Path: prefix + key, Message: "must be a non-negative integer"}
	}
	return int(v), nil
}

// parsePositions decodes an array of at most max [lon, lat] positions.
func parsePositions(raw json.RawMessage, path string, max int) ([]orb.Point, error) {
	n, err := countArray(raw)
	if err != nil {
		return nil, &ValidationError{Path: path, Message: "must be an array of positions"}
	}
	if n > max {
		return nil, &ValidationError{Path: path, Message: fmt.Sprintf("%d positions, more than the limit of %d", n, max)}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, &ValidationError{Path: path, Message: "must be an array of positions"}
	}
	out := make([]orb.Point, len(arr))
	for i, a := range arr {
		p, err := parsePosition(a, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// parsePosition decodes one [lon, lat] or [lon, lat, alt] position.
func parsePosition(raw json.RawMessage, path string) (orb.Point, error) {
	n, err := countArray(raw)
	if err != nil || n < 2 || n > 3 {
		return orb.Point{}, &ValidationError{Path: path, Message: "position must be an array of 2 (lon, lat) or 3 numbers"}
	}
	var v []float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return orb.Point{}, &ValidationError{Path: path, Message: "coordinate must be a finite number"}
	}
	p := orb.Point{v[0], v[1]}
	if msg := checkPosition(p); msg != "" {
		return orb.Point{}, &ValidationError{Path: path, Message: msg}
	}
	return p, nil
}

func decodeCompoundObject(obj map[string]json.RawMessage, prefix string, budget int) (Compound, int, error) {
	var c Compound
	props, err := featureProps(obj, prefix)
	if err != nil {
		return c, 0, err
	}
	pp := prefix + "properties."
	if c.Name, err = stringField(props, "name", pp); err != nil {
		return c, 0, err
	}
	if c.Population, err = optInt(props, "population", pp); err != nil {
		return c, 0, err
	}
	if c.Aged60Plus, err = optInt(props, "aged_60_plus", pp); err != nil {
		return c, 0, err
	}
	if c.Households, err = optInt(props, "households", pp); err != nil {
		return c, 0, err
	}
	if g, ok := props["gates"]; ok && !isNull(g) {
		if c.Gates, err = parsePositions(g, pp+"gates", MaxGates); err != nil {
			return c, 0, err
		}
	}
	if id, ok := optID(obj["id"]); ok {
		c.ID = id
	} else if id, ok := optID(props["id"]); ok {
		c.ID = id
	}
	if c.Geometry, err = decodeGeometry(obj["geometry"], prefix+"geometry", budget); err != nil {
		return c, 0, err
	}
	if err := ValidateCompound(c); err != nil {
		return c, 0, withPrefix(err, prefix)
	}
	return c, countPositions(c.Geometry), nil
}

func decodeFacilityObject(obj map[string]json.RawMessage, prefix string, _ int) (Facility, int, error) {
	var f Facility
	props, err := featureProps(obj, prefix)
	if err != nil {
		return f, 0, err
	}
	pp := prefix + "properties."
	kind, err := stringField(props, "kind", pp)
	if err != nil {
		return f, 0, err
	}
	f.Kind = FacilityKind(kind)
	if f.Name, err = stringField(props, "name", pp); err != nil {
		return f, 0, err
	}
	if f.Capacity, err = optInt(props, "capacity", pp); err != nil {
		return f, 0, err
	}
	if f.OpeningHours, _, err = optString(props, "opening_hours", pp); err != nil {
		return f, 0, err
	}
	if a, ok := props["accepts"]; ok && !isNull(a) {
		n, err := countArray(a)
		if err != nil || n > 4 {
			return f, 0, &ValidationError{Path: pp + "accepts", Message: "must be an array of at most 4 health-code colours"}
		}
		var codes []string
		if err := json.Unmarshal(a, &codes); err != nil {
			return f, 0, &ValidationError{Path: pp + "accepts", Message: "must be an array of strings"}
		}
		f.Accepts = make([]HealthCode, len(codes))
		for i, c := range codes {
			f.Accepts[i] = HealthCode(c)
		}
	}
	if cid, ok := props["compound_id"]; ok && !isNull(cid) {
		id, ok := optID(cid)
		if !ok {
			return f, 0, &ValidationError{Path: pp + "compound_id", Message: "must be a non-negative integer"}
		}
		f.CompoundID = id
	}
	if id, ok := optID(obj["id"]); ok {
		f.ID = id
	} else if id, ok := optID(props["id"]); ok {
		f.ID = id
	}
	graw, ok := obj["geometry"]
	gpath := prefix + "geometry"
	if !ok || isNull(graw) {
		return f, 0, &ValidationError{Path: gpath, Message: "required"}
	}
	g, err := decodeObject(graw, gpath+".")
	if err != nil {
		return f, 0, err
	}
	typ, err := stringField(g, "type", gpath+".")
	if err != nil {
		return f, 0, err
	}
	if typ != "Point" {
		return f, 0, &ValidationError{Path: gpath + ".type", Message: fmt.Sprintf("got %q, want \"Point\"", typ)}
	}
	craw, ok := g["coordinates"]
	if !ok || isNull(craw) {
		return f, 0, &ValidationError{Path: gpath + ".coordinates", Message: "required"}
	}
	if f.Point, err = parsePosition(craw, gpath+".coordinates"); err != nil {
		return f, 0, err
	}
	if err := ValidateFacility(f); err != nil {
		return f, 0, withPrefix(err, prefix)
	}
	return f, 1, nil
}

// DecodeGeometry decodes and validates a bare GeoJSON Polygon or
// MultiPolygon geometry object (not a Feature) into a MultiPolygon, with
// the same checks and caps as DecodeFeature; path names the geometry in
// errors, e.g. "geometry" gives "geometry.coordinates[0][5]".
func DecodeGeometry(data []byte, path string) (orb.MultiPolygon, error) {
	return decodeGeometry(data, path, MaxVerticesPerFeature)
}
