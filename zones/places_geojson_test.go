package zones

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

const okCompoundProps = `{"name":"Garden","population":2400,"aged_60_plus":530,"households":900,"gates":[[104.0,30.6],[104.01,30.605]]}`
const okFacility = `{"type":"Feature","id":3,"geometry":{"type":"Point","coordinates":[104.05,30.65]},"properties":{"kind":"hospital","name":"H","capacity":120,"opening_hours":"00:00-24:00","accepts":["green","yellow"],"compound_id":null}}`

var placeCases = []struct {
	name, in string
	facility bool
	path     string // "" = valid
}{
	{"compound", feat(poly(sq), okCompoundProps), false, ""},
	{"compound minimal", feat(poly(sq), `{"name":"x"}`), false, ""},
	{"compound no name", feat(poly(sq), `{"population":1}`), false, "properties.name"},
	{"compound negative population", feat(poly(sq), `{"name":"x","population":-1}`), false, "properties.population"},
	{"compound population as string", feat(poly(sq), `{"name":"x","population":"5"}`), false, "properties.population"},
	{"compound fractional population", feat(poly(sq), `{"name":"x","population":1.5}`), false, "properties.population"},
	{"compound aged above population", feat(poly(sq), `{"name":"x","population":1,"aged_60_plus":2}`), false, "properties.aged_60_plus"},
	{"compound bad gate", feat(poly(sq), `{"name":"x","gates":[[104,30],[200,30]]}`), false, "properties.gates[1]"},
	{"compound gate arity", feat(poly(sq), `{"name":"x","gates":[[104]]}`), false, "properties.gates[0]"},
	{"compound bad ring", feat(poly(`[[0,0],[1,1],[1,0],[0,1],[0,0]]`), `{"name":"x"}`), false, "geometry.coordinates[0][2]"},
	{"compound point geometry", feat(`{"type":"Point","coordinates":[1,2]}`, `{"name":"x"}`), false, "geometry.type"},
	{"facility", okFacility, true, ""},
	{"facility minimal", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]},"properties":{"kind":"depot","name":"D"}}`, true, ""},
	{"facility unknown kind", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]},"properties":{"kind":"spa","name":"D"}}`, true, "properties.kind"},
	{"facility bad code", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]},"properties":{"kind":"hospital","name":"D","accepts":["blue"]}}`, true, "properties.accepts[0]"},
	{"facility polygon", `{"type":"Feature","geometry":` + poly(sq) + `,"properties":{"kind":"depot","name":"D"}}`, true, "geometry.type"},
	{"facility point out of range", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,95]},"properties":{"kind":"depot","name":"D"}}`, true, "geometry.coordinates"},
	{"facility point huge", `{"type":"Feature","geometry":{"type":"Point","coordinates":[1e500,30]},"properties":{"kind":"depot","name":"D"}}`, true, "geometry.coordinates"},
	{"facility compound id string", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]},"properties":{"kind":"depot","name":"D","compound_id":"7"}}`, true, "properties.compound_id"},
	{"facility no properties", `{"type":"Feature","geometry":{"type":"Point","coordinates":[104,30]}}`, true, "properties"},
}

func TestDecodePlaces(t *testing.T) {
	for _, c := range placeCases {
		var err error
		if c.facility {
			_, err = DecodeFacilityFeature([]byte(c.in))
		} else {
			_, err = DecodeCompoundFeature([]byte(c.in))
		}
		if c.path == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Path != c.path {
			t.Errorf("%s: err %v, want path %q", c.name, err, c.path)
		}
	}
}

func TestPlacesRoundTrip(t *testing.T) {
	c := Compound{ID: 4, Name: "Garden", Population: 2400, Aged60Plus: 530, Households: 900,
		Geometry: orb.MultiPolygon{{{{104.0, 30.6}, {104.01, 30.6}, {104.01, 30.61}, {104.0, 30.6}}}}, Gates: []orb.Point{{104.0, 30.6}}}
	data, _ := json.Marshal(CompoundFeature(c))
	got, err := DecodeCompoundFeature(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Name != c.Name || got.Population != c.Population || got.Aged60Plus != c.Aged60Plus || got.Households != c.Households ||
		!orb.Equal(got.Geometry, c.Geometry) || len(got.Gates) != 1 || got.Gates[0] != c.Gates[0] {
		t.Errorf("compound round trip %+v, want %+v", got, c)
	}
	f := Facility{ID: 9, Kind: FacilitySupplyPoint, Name: "S", Point: orb.Point{104.1, 30.7}, Capacity: 300, OpeningHours: "08:00-20:00", Accepts: []HealthCode{CodeGreen}, CompoundID: 4}
	data, _ = json.Marshal(FacilitiesFeatureCollection([]Facility{f, f}))
	fs, err := DecodeFacilities(strings.NewReader(string(data)), 1<<20)
	if err != nil || len(fs) != 2 {
		t.Fatalf("facilities: %v, %d", err, len(fs))
	}
	g := fs[1]
	if g.ID != f.ID || g.Kind != f.Kind || g.Name != f.Name || g.Point != f.Point || g.Capacity != f.Capacity || g.OpeningHours != f.OpeningHours ||
		len(g.Accepts) != 1 || g.CompoundID != f.CompoundID {
		t.Errorf("facility round trip %+v, want %+v", g, f)
	}
	cs, err := DecodeCompounds(strings.NewReader(collection(feat(poly(sq), okCompoundProps), feat(poly(sq), `{"name":"x","population":-1}`))), 1<<20)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "features[1].properties.population" {
		t.Errorf("DecodeCompounds with a bad second feature: %v, %v", cs, err)
	}
}

func FuzzDecodePlaces(f *testing.F) {
	for _, c := range placeCases {
		f.Add([]byte(c.in))
	}
	f.Add([]byte(poly(sq)))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[1,1],[2,1],[2,2],[1,2],[1,1]]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCompoundFeature(data)
		var ve *ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("compound error %v is not a *ValidationError", err)
		}
		if err == nil {
			if err := ValidateCompound(c); err != nil {
				t.Fatalf("decoded an invalid compound: %v", err)
			}
		}
		if mp, err := DecodeGeometry(data, "geometry"); err == nil {
			if err := ValidateMultiPolygon("g", mp); err != nil {
				t.Fatalf("decoded an invalid geometry: %v", err)
			}
		} else if !errors.As(err, &ve) {
			t.Fatalf("geometry error %v is not a *ValidationError", err)
		}
		fa, err := DecodeFacilityFeature(data)
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("facility error %v is not a *ValidationError", err)
		}
		if err == nil {
			if err := ValidateFacility(fa); err != nil {
				t.Fatalf("decoded an invalid facility: %v", err)
			}
		}
	})
}

func TestDecodeGeometry(t *testing.T) {
	mp, err := DecodeGeometry([]byte(poly(sq)), "geometry")
	if err != nil || len(mp) != 1 || len(mp[0][0]) != 5 {
		t.Fatalf("DecodeGeometry = %v, %v", mp, err)
	}
	_, err = DecodeGeometry([]byte(poly(`[[0,0],[1,1],[1,0],[0,1],[0,0]]`)), "geometry")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "geometry.coordinates[0][2]" {
		t.Errorf("bowtie: %v", err)
	}
	for _, bad := range []string{``, `null`, `[1]`, `{"type":"Point","coordinates":[1,2]}`} {
		if _, err := DecodeGeometry([]byte(bad), "geometry"); !errors.As(err, &ve) {
			t.Errorf("DecodeGeometry(%q) = %v, want *ValidationError", bad, err)
		}
	}
}
