package zones

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

const sq = `[[104.0,30.6],[104.01,30.6],[104.01,30.61],[104.0,30.61],[104.0,30.6]]`

func feat(geom, props string) string {
	return `{"type":"Feature","geometry":` + geom + `,"properties":` + props + `}`
}

func poly(rings ...string) string {
	return `{"type":"Polygon","coordinates":[` + strings.Join(rings, ",") + `]}`
}

const okProps = `{"kind":"sealed","name":"Block 7","reason":"cluster","effective_from":"2026-04-01T08:00:00Z","effective_until":"2026-04-15T08:00:00+08:00"}`

// featureCases are the table cases of DecodeFeature; they also seed the fuzzer.
var featureCases = []struct {
	name, in string
	path     string // "" with ok=true: valid
	ok       bool
}{
	{"valid polygon", feat(poly(sq), okProps), "", true},
	{"valid with hole", feat(poly(sq, `[[104.004,30.604],[104.004,30.606],[104.006,30.606],[104.006,30.604],[104.004,30.604]]`), okProps), "", true},
	{"valid multipolygon", feat(`{"type":"MultiPolygon","coordinates":[[`+sq+`],[[[104.02,30.6],[104.03,30.6],[104.03,30.61],[104.02,30.6]]]]}`, okProps), "", true},
	{"valid 3d positions", feat(poly(`[[104.0,30.6,5],[104.01,30.6,5],[104.01,30.61,5],[104.0,30.6,5]]`), okProps), "", true},
	{"valid without times", feat(poly(sq), `{"kind":"prevention","name":"x","effective_until":null}`), "", true},
	{"malformed json", `{"type":"Feature",`, "", false},
	{"not an object", `[1,2]`, "", false},
	{"null", `null`, "", false},
	{"wrong type", `{"type":"FeatureCollection","features":[]}`, "type", false},
	{"type not a string", `{"type":7}`, "type", false},
	{"no properties", `{"type":"Feature","geometry":` + poly(sq) + `}`, "properties.kind", false},
	{"properties not an object", feat(poly(sq), `[1]`), "properties", false},
	{"unknown kind", feat(poly(sq), `{"kind":"quarantine","name":"x"}`), "properties.kind", false},
	{"kind not a string", feat(poly(sq), `{"kind":3,"name":"x"}`), "properties.kind", false},
	{"missing name", feat(poly(sq), `{"kind":"sealed"}`), "properties.name", false},
	{"bad time", feat(poly(sq), `{"kind":"sealed","name":"x","effective_from":"yesterday"}`), "properties.effective_from", false},
	{"until before from", feat(poly(sq), `{"kind":"sealed","name":"x","effective_from":"2026-04-02T00:00:00Z","effective_until":"2026-04-01T00:00:00Z"}`), "properties.effective_until", false},
	{"until equal from", feat(poly(sq), `{"kind":"sealed","name":"x","effective_from":"2026-04-02T00:00:00Z","effective_until":"2026-04-02T08:00:00+08:00"}`), "properties.effective_until", false},
	{"no geometry", `{"type":"Feature","properties":` + okProps + `}`, "geometry", false},
	{"point geometry", feat(`{"type":"Point","coordinates":[104,30]}`, okProps), "geometry.type", false},
	{"geometry collection", feat(`{"type":"GeometryCollection","geometries":[]}`, okProps), "geometry.type", false},
	{"no coordinates", feat(`{"type":"Polygon"}`, okProps), "geometry.coordinates", false},
	{"coordinates not array", feat(`{"type":"Polygon","coordinates":"x"}`, okProps), "geometry.coordinates", false},
	{"empty polygon", feat(`{"type":"Polygon","coordinates":[]}`, okProps), "geometry.coordinates", false},
	{"empty multipolygon", feat(`{"type":"MultiPolygon","coordinates":[]}`, okProps), "geometry.coordinates", false},
	{"unclosed ring", feat(poly(`[[104.0,30.6],[104.01,30.6],[104.01,30.61],[104.0,30.61]]`), okProps), "geometry.coordinates[0]", false},
	{"three positions", feat(poly(`[[104.0,30.6],[104.01,30.6],[104.0,30.6]]`), okProps), "geometry.coordinates[0]", false},
	{"empty ring", feat(poly(`[]`), okProps), "geometry.coordinates[0]", false},
	{"bowtie", feat(poly(`[[104.0,30.6],[104.01,30.61],[104.01,30.6],[104.0,30.61],[104.0,30.6]]`), okProps), "geometry.coordinates[0][2]", false},
	{"self-touching at a vertex", feat(poly(`[[0,0],[4,0],[4,4],[2,0],[0,4],[0,0]]`), okProps), "geometry.coordinates[0][3]", false},
	{"spike", feat(poly(`[[0,0],[4,0],[4,4],[4,6],[4,5],[0,4],[0,0]]`), okProps), "geometry.coordinates[0][4]", false},
	{"zero area", feat(poly(`[[0,0],[1,1],[2,2],[0,0]]`), okProps), "geometry.coordinates[0][2]", false},
	{"hole outside shell", feat(poly(sq, `[[105,31],[105,31.1],[105.1,31.1],[105,31]]`), okProps), "geometry.coordinates[1]", false},
	{"hole crossing shell", feat(poly(sq, `[[104.005,30.605],[104.005,30.62],[104.006,30.62],[104.005,30.605]]`), okProps), "geometry.coordinates[1][0]", false},
	{"longitude out of range", feat(poly(`[[180.5,30.6],[181,30.6],[181,30.61],[180.5,30.6]]`), okProps), "geometry.coordinates[0][0]", false},
	{"latitude out of range", feat(poly(`[[104,89.9],[104.1,89.9],[104.1,90.1],[104,89.9]]`), okProps), "geometry.coordinates[0][2]", false},
	{"huge number", feat(poly(`[[104,30.6],[1e400,30.6],[104.1,30.7],[104,30.6]]`), okProps), "geometry.coordinates[0][1][0]", false},
	{"string coordinate", feat(poly(`[[104,30.6],["104.1",30.6],[104.1,30.7],[104,30.6]]`), okProps), "geometry.coordinates[0][1][0]", false},
	{"one number", feat(poly(`[[104,30.6],[104.1],[104.1,30.7],[104,30.6]]`), okProps), "geometry.coordinates[0][1]", false},
	{"four numbers", feat(poly(`[[104,30.6],[104.1,30.6,1,2],[104.1,30.7],[104,30.6]]`), okProps), "geometry.coordinates[0][1]", false},
	{"position not array", feat(poly(`[[104,30.6],7,[104.1,30.7],[104,30.6]]`), okProps), "geometry.coordinates[0][1]", false},
	{"multipolygon second polygon bad", feat(`{"type":"MultiPolygon","coordinates":[[`+sq+`],[[[0,0],[1,0],[0,0]]]]}`, okProps), "geometry.coordinates[1][0]", false},
	{"parts touching at a corner", feat(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[1,1],[2,1],[2,2],[1,2],[1,1]]]]}`, okProps), "", true},
	{"part inside another's hole", feat(`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,3],[3,3],[3,1],[1,1]]],[[[1.5,1.5],[2.5,1.5],[2.5,2.5],[1.5,1.5]]]]}`, okProps), "", true},
	{"parts sharing an edge", feat(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[1,0],[2,0],[2,1],[1,1],[1,0]]]]}`, okProps), "geometry.coordinates[1]", false},
	{"parts overlapping", feat(`{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,2],[0,0]]],[[[1,1],[3,1],[3,3],[1,3],[1,1]]]]}`, okProps), "geometry.coordinates[1]", false},
	{"part inside another", feat(`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]]],[[[1,1],[2,1],[2,2],[1,1]]]]}`, okProps), "geometry.coordinates[1]", false},
	{"zero effective_from", feat(poly(sq), `{"kind":"sealed","name":"x","effective_from":"0001-01-01T00:00:00Z"}`), "properties.effective_from", false},
	{"effective_from before 2000", feat(poly(sq), `{"kind":"sealed","name":"x","effective_from":"1999-12-31T23:59:59Z"}`), "properties.effective_from", false},
	{"effective_until in 2100", feat(poly(sq), `{"kind":"sealed","name":"x","effective_until":"2100-01-01T00:00:00Z"}`), "properties.effective_until", false},
	{"NUL in name", feat(poly(sq), `{"kind":"sealed","name":"a\u0000b"}`), "properties.name", false},
	{"escape in reason", feat(poly(sq), `{"kind":"sealed","name":"a","reason":"x\u001b[2J"}`), "properties.reason", false},
	{"newline in reason", feat(poly(sq), `{"kind":"sealed","name":"a","reason":"line 1\nline 2"}`), "", true},
	{"line separator in name", feat(poly(sq), `{"kind":"sealed","name":"a\u2028b"}`), "properties.name", false},
	{"external key", feat(poly(sq), `{"kind":"sealed","name":"a","external_key":"city:17"}`), "", true},
	{"external key not a string", feat(poly(sq), `{"kind":"sealed","name":"a","external_key":17}`), "properties.external_key", false},
	{"external key with a tab", feat(poly(sq), `{"kind":"sealed","name":"a","external_key":"a\tb"}`), "properties.external_key", false},
	{"across the antimeridian", feat(poly(`[[179.5,-17],[-179.5,-17],[-179.5,-16],[179.5,-16],[179.5,-17]]`), okProps), "", true},
	{"across the antimeridian, multipolygon", feat(`{"type":"MultiPolygon","coordinates":[[[[179.5,-17],[-179.5,-17],[-179.5,-16],[179.5,-16],[179.5,-17]]],[`+sq+`]]}`, okProps), "", true},
	{"around a pole", feat(poly(`[[-170,80],[-50,80],[70,80],[-170,80]]`), okProps), "geometry.coordinates[0]", false},
	{"across the antimeridian twice on one side", feat(poly(`[[170,0],[-170,0],[-170,10],[170,10],[170,8],[-175,8],[-175,2],[170,2],[170,0]]`), okProps), "geometry.coordinates", false},
	{"multipolygon at polygon depth", feat(`{"type":"MultiPolygon","coordinates":[`+sq+`]}`, okProps), "geometry.coordinates[0][0][0]", false},
}

func TestDecodeFeature(t *testing.T) {
	for _, c := range featureCases {
		z, err := DecodeFeature([]byte(c.in))
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: err = %v (zone %+v), want *ValidationError", c.name, err, z)
			continue
		}
		if ve.Path != c.path {
			t.Errorf("%s: path %q (%s), want %q", c.name, ve.Path, ve.Message, c.path)
		}
	}
}

func TestDecodeFeatureValues(t *testing.T) {
	z, err := DecodeFeature([]byte(`{"type":"Feature","id":12,"geometry":` + poly(sq) + `,"properties":` + okProps + `}`))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	until := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	if z.ID != 12 || z.Kind != KindSealed || z.Name != "Block 7" || z.Reason != "cluster" || !z.EffectiveFrom.Equal(from) ||
		z.EffectiveUntil == nil || !z.EffectiveUntil.Equal(until) {
		t.Errorf("decoded %+v", z)
	}
	want := orb.MultiPolygon{{{{104.0, 30.6}, {104.01, 30.6}, {104.01, 30.61}, {104.0, 30.61}, {104.0, 30.6}}}}
	if !orb.Equal(z.Geometry, want) {
		t.Errorf("geometry %v, want %v", z.Geometry, want)
	}
}

func TestZoneRoundTrip(t *testing.T) {
	until := time.Date(2026, 4, 15, 0, 0, 0, 123000, time.UTC)
	in := Zone{ID: 5, Kind: KindControlled, Name: "Block \"9\" 东", Reason: "r", EffectiveFrom: time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC), EffectiveUntil: &until,
		Geometry:  orb.MultiPolygon{{{{104.0, 30.6}, {104.01, 30.6}, {104.01, 30.61}, {104.0, 30.6}}}, {{{104.1, 30.6}, {104.11, 30.6}, {104.11, 30.61}, {104.1, 30.6}}}},
		CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	data, err := json.Marshal(ZoneFeature(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeFeature(data)
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	if out.ID != in.ID || out.Kind != in.Kind || out.Name != in.Name || !out.EffectiveFrom.Equal(in.EffectiveFrom) || !out.EffectiveUntil.Equal(until) || !orb.Equal(out.Geometry, in.Geometry) {
		t.Errorf("round trip: %+v\nwant %+v", out, in)
	}
	var generic map[string]any
	json.Unmarshal(data, &generic)
	props := generic["properties"].(map[string]any)
	for _, k := range []string{"id", "kind", "name", "reason", "effective_from", "effective_until", "created_at", "updated_at"} {
		if _, ok := props[k]; !ok {
			t.Errorf("property %q missing in %s", k, data)
		}
	}
	fcData, _ := json.Marshal(ZonesFeatureCollection([]Zone{in, in}))
	zs, err := DecodeFeatureCollection(fcData)
	if err != nil || len(zs) != 2 {
		t.Fatalf("collection round trip: %v, %d zones", err, len(zs))
	}
	empty, _ := json.Marshal(ZonesFeatureCollection(nil))
	if string(empty) != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("empty collection = %s", empty)
	}
}

func TestCompoundAndFacilityFeatures(t *testing.T) {
	c := Compound{ID: 3, Name: "C", Population: 100, Aged60Plus: 20, Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, Gates: []orb.Point{{0.5, 0}}}
	data, _ := json.Marshal(CompoundFeature(c))
	want := `{"type":"Feature","id":3,"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]},"properties":{"aged_60_plus":20,"gates":[[0.5,0]],"households":0,"id":3,"name":"C","population":100}}`
	if string(data) != want {
		t.Errorf("compound feature\n got %s\nwant %s", data, want)
	}
	f := Facility{ID: 4, Kind: FacilityHospital, Name: "H", Point: orb.Point{104.1, 30.2}, Capacity: 5, Accepts: []HealthCode{CodeGreen}}
	data, _ = json.Marshal(FacilityFeature(f))
	want = `{"type":"Feature","id":4,"geometry":{"type":"Point","coordinates":[104.1,30.2]},"properties":{"accepts":["green"],"capacity":5,"compound_id":null,"id":4,"kind":"hospital","name":"H","opening_hours":""}}`
	if string(data) != want {
		t.Errorf("facility feature\n got %s\nwant %s", data, want)
	}
	fc, _ := json.Marshal(FacilitiesFeatureCollection([]Facility{f}))
	if !strings.HasPrefix(string(fc), `{"type":"FeatureCollection","features":[{"type":"Feature","id":4`) {
		t.Errorf("facility collection %s", fc)
	}
	cc, _ := json.Marshal(CompoundsFeatureCollection(nil))
	if string(cc) != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("compound collection %s", cc)
	}
}

func collection(feats ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`
}

var collectionCases = []struct {
	name, in string
	n        int
	path     string
}{
	{"two features", collection(feat(poly(sq), okProps), feat(poly(sq), okProps)), 2, ""},
	{"empty", collection(), 0, ""},
	{"whitespace", "{ \"type\" : \"FeatureCollection\" , \"features\" : [ ] }", 0, ""},
	{"wrong type", `{"type":"Feature","features":[]}`, 0, "type"},
	{"no features", `{"type":"FeatureCollection"}`, 0, "features"},
	{"features not array", `{"type":"FeatureCollection","features":{}}`, 0, "features"},
	{"feature not object", collection(feat(poly(sq), okProps), `7`), 0, "features[1]"},
	{"bad kind in third", collection(feat(poly(sq), okProps), feat(poly(sq), okProps), feat(poly(sq), `{"kind":"x","name":"n"}`)), 0, "features[2].properties.kind"},
	{"bad ring in fourth", collection(feat(poly(sq), okProps), feat(poly(sq), okProps), feat(poly(sq), okProps),
		feat(poly(`[[0,0],[1,0],[1,1],[0,1],[0,0.5],[1,0.5],[0,0]]`), okProps)), 0, "features[3].geometry.coordinates[0][4]"},
	{"bad point in fourth", collection(feat(poly(sq), okProps), feat(poly(sq), okProps), feat(poly(sq), okProps),
		feat(poly(`[[0,0],[1,0],[1,1],[0,1],[0,0.5],[1e999,0.5],[0,0]]`), okProps)), 0, "features[3].geometry.coordinates[0][5][0]"},
}

func TestDecodeFeatureCollection(t *testing.T) {
	for _, c := range collectionCases {
		zs, err := DecodeFeatureCollection([]byte(c.in))
		if c.path == "" {
			if err != nil || len(zs) != c.n {
				t.Errorf("%s: %d zones, %v; want %d", c.name, len(zs), err, c.n)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Path != c.path {
			t.Errorf("%s: err %v, want path %q", c.name, err, c.path)
		}
	}
}

func TestLimits(t *testing.T) {
	// Too many features: counted before decoding them.
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := 0; i <= MaxFeatures; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{}`)
	}
	b.WriteString(`]}`)
	_, err := DecodeFeatureCollection([]byte(b.String()))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "features" {
		t.Errorf("too many features: %v", err)
	}
	// Too many vertices in one feature.
	b.Reset()
	b.WriteString(`[`)
	for i := 0; i <= MaxVerticesPerFeature; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`[0,0]`)
	}
	b.WriteString(`]`)
	_, err = DecodeFeature([]byte(feat(poly(b.String()), okProps)))
	if !errors.As(err, &ve) || ve.Path != "geometry.coordinates[0]["+fmt.Sprint(MaxVerticesPerFeature)+"]" {
		t.Errorf("too many vertices: %v", err)
	}
	// Too many bytes.
	_, err = DecodeZones(strings.NewReader(feat(poly(sq), okProps)), 50)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("byte limit: err %v, want ErrTooLarge", err)
	}
	zs, err := DecodeZones(strings.NewReader(feat(poly(sq), okProps)), 1<<20)
	if err != nil || len(zs) != 1 {
		t.Errorf("DecodeZones(feature) = %d, %v", len(zs), err)
	}
	zs, err = DecodeZones(strings.NewReader(collection(feat(poly(sq), okProps))), 1<<20)
	if err != nil || len(zs) != 1 {
		t.Errorf("DecodeZones(collection) = %d, %v", len(zs), err)
	}
	_, err = DecodeZones(strings.NewReader(`{"type":"Point"}`), 1<<20)
	if !errors.As(err, &ve) || ve.Path != "type" {
		t.Errorf("DecodeZones(point) = %v", err)
	}
}

func TestCountArray(t *testing.T) {
	for in, want := range map[string]int{`[]`: 0, ` [ ] `: 0, `[1]`: 1, `[1,[2,3],{"a":[1,2]},"x,]"]`: 4, `["\"",","]`: 2} {
		if got, err := countArray([]byte(in)); err != nil || got != want {
			t.Errorf("countArray(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// checkDecoded asserts the invariants every successfully decoded zone holds.
// A polygon across the antimeridian is cut at ±180 (RFC 7946 3.1.9), not
// read as a band around the world.
func TestAntimeridianCut(t *testing.T) {
	z, err := DecodeFeature([]byte(feat(poly(`[[179.5,-17],[-179.5,-17],[-179.5,-16],[179.5,-16],[179.5,-17]]`), okProps)))
	if err != nil {
		t.Fatal(err)
	}
	want := orb.MultiPolygon{
		{{{179.5, -17}, {180, -17}, {180, -16}, {179.5, -16}, {179.5, -17}}},
		{{{-180, -17}, {-179.5, -17}, {-179.5, -16}, {-180, -16}, {-180, -17}}},
	}
	if !SameGeometry(z.Geometry, want) {
		t.Fatalf("cut = %v, want %v", z.Geometry, want)
	}
	ix := NewIndex([]Zone{{ID: 1, Kind: KindSealed, Geometry: z.Geometry, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}})
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		p  orb.Point
		in bool
	}{{orb.Point{179.7, -16.5}, true}, {orb.Point{-179.7, -16.5}, true}, {orb.Point{180, -16.5}, true}, {orb.Point{-180, -16.5}, true},
		{orb.Point{0, -16.5}, false}, {orb.Point{90, -16.5}, false}, {orb.Point{-90, -16.5}, false}, {orb.Point{179.7, -15}, false}} {
		if got := len(ix.Lookup(c.p, at)) == 1; got != c.in {
			t.Errorf("lookup %v: inside = %v, want %v", c.p, got, c.in)
		}
	}
	// With a hole that crosses too, and a shell given from the east.
	z, err = DecodeFeature([]byte(feat(poly(`[[-178,-20],[-178,-10],[178,-10],[178,-20],[-178,-20]]`, `[[179,-16],[-179,-16],[-179,-14],[179,-14],[179,-16]]`), okProps)))
	if err != nil {
		t.Fatal(err)
	}
	if len(z.Geometry) != 2 || len(z.Geometry[0]) != 2 || len(z.Geometry[1]) != 2 {
		t.Fatalf("cut with hole = %v, want two polygons with a hole each", z.Geometry)
	}
	ix = NewIndex([]Zone{{ID: 1, Kind: KindSealed, Geometry: z.Geometry, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}})
	for _, c := range []struct {
		p  orb.Point
		in bool
	}{{orb.Point{179.5, -18}, true}, {orb.Point{-179.5, -18}, true}, {orb.Point{179.5, -15}, false}, {orb.Point{-179.5, -15}, false}, {orb.Point{0, -15}, false}} {
		if got := len(ix.Lookup(c.p, at)) == 1; got != c.in {
			t.Errorf("lookup %v in the holed zone: inside = %v, want %v", c.p, got, c.in)
		}
	}
}

func TestZoneFeatureCarriesVersionAndKey(t *testing.T) {
	z, err := DecodeFeature([]byte(feat(poly(sq), `{"kind":"sealed","name":"a","external_key":"city:17","version":3}`)))
	if err != nil {
		t.Fatal(err)
	}
	if z.ExternalKey != "city:17" {
		t.Errorf("decoded key %q", z.ExternalKey)
	}
	z.ID, z.Version = 5, 3
	f := ZoneFeature(z)
	if f.Properties["external_key"] != "city:17" || f.Properties["version"] != 3 || f.Properties["id"] != int64(5) {
		t.Errorf("encoded properties %v", f.Properties)
	}
	z.ExternalKey = ""
	if _, ok := ZoneFeature(z).Properties["external_key"]; ok {
		t.Error("empty external key encoded")
	}
}

func checkDecoded(t *testing.T, z Zone) {
	if !z.Kind.Valid() || z.Name == "" {
		t.Fatalf("decoded zone with kind %q name %q", z.Kind, z.Name)
	}
	if err := ValidateMultiPolygon("g", z.Geometry); err != nil {
		t.Fatalf("decoded geometry invalid: %v", err)
	}
	if z.EffectiveUntil != nil && !z.EffectiveFrom.IsZero() && !z.EffectiveUntil.After(z.EffectiveFrom) {
		t.Fatal("decoded empty validity window")
	}
}

func FuzzDecodeFeature(f *testing.F) {
	for _, c := range featureCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := DecodeFeature(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			return
		}
		checkDecoded(t, z)
		// What we encode we decode again, identically.
		enc, err := json.Marshal(ZoneFeature(z))
		if err != nil {
			t.Fatal(err)
		}
		z2, err := DecodeFeature(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !orb.Equal(z.Geometry, z2.Geometry) || z.Kind != z2.Kind || z.Name != z2.Name {
			t.Fatalf("round trip changed the zone")
		}
	})
}

func FuzzDecodeFeatureCollection(f *testing.F) {
	for _, c := range collectionCases {
		f.Add([]byte(c.in))
	}
	for _, c := range featureCases[:6] {
		f.Add([]byte(collection(c.in, c.in)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		zs, err := DecodeFeatureCollection(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			return
		}
		if len(zs) > MaxFeatures {
			t.Fatalf("%d features", len(zs))
		}
		for _, z := range zs {
			checkDecoded(t, z)
		}
	})
}
