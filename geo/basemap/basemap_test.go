package basemap

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// fixture is a tiny OSM XML around [104.070, 30.660] with one feature of
// each kind the classifier knows, and a few it must ignore.
const fixture = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <bounds minlat="30.655" minlon="104.065" maxlat="30.665" maxlon="104.075"/>
 <node id="1" lat="30.6600" lon="104.0650"/>
 <node id="2" lat="30.6600" lon="104.0750"/>
 <node id="3" lat="30.6620" lon="104.0700"/>
 <node id="4" lat="30.6580" lon="104.0700"/>
 <node id="10" lat="30.6610" lon="104.0660"/>
 <node id="11" lat="30.6610" lon="104.0670"/>
 <node id="12" lat="30.6620" lon="104.0670"/>
 <node id="13" lat="30.6620" lon="104.0660"/>
 <node id="20" lat="30.6560" lon="104.0660"/>
 <node id="21" lat="30.6560" lon="104.0690"/>
 <node id="22" lat="30.6590" lon="104.0690"/>
 <node id="23" lat="30.6590" lon="104.0660"/>
 <node id="30" lat="30.6630" lon="104.0710"/>
 <node id="31" lat="30.6630" lon="104.0740"/>
 <node id="32" lat="30.6645" lon="104.0740"/>
 <node id="33" lat="30.6645" lon="104.0710"/>
 <node id="40" lat="30.6570" lon="104.0720">
  <tag k="amenity" v="hospital"/><tag k="name" v="测试医院"/><tag k="name:en" v="Test Hospital"/>
 </node>
 <node id="41" lat="30.6571" lon="104.0721"><tag k="amenity" v="restaurant"/><tag k="name" v="饭店"/></node>
 <way id="100"><nd ref="1"/><nd ref="2"/>
  <tag k="highway" v="primary"/><tag k="name" v="人民路"/><tag k="name:en" v="Renmin Road"/></way>
 <way id="101"><nd ref="3"/><nd ref="4"/><tag k="highway" v="unclassified"/><tag k="oneway" v="yes"/></way>
 <way id="102"><nd ref="4"/><nd ref="2"/><tag k="highway" v="footway"/></way>
 <way id="103"><nd ref="1"/><nd ref="4"/><tag k="highway" v="proposed"/></way>
 <way id="110"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
  <tag k="building" v="yes"/><tag k="name" v="一号楼"/></way>
 <way id="120"><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="20"/>
  <tag k="landuse" v="residential"/><tag k="name" v="锦绣花园"/></way>
 <way id="130"><nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="33"/><nd ref="30"/>
  <tag k="leisure" v="park"/><tag k="name" v="小公园"/></way>
 <way id="140"><nd ref="1"/><nd ref="3"/><tag k="waterway" v="canal"/></way>
 <way id="141"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="10"/><tag k="natural" v="water"/></way>
</osm>`

func readFixture(t testing.TB) *Basemap {
	t.Helper()
	b, err := Read(strings.NewReader(fixture))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func find(b *Basemap, layer, osmID string) *Feature {
	for i := range b.Layers[layer] {
		if b.Layers[layer][i].OSMID == osmID {
			return &b.Layers[layer][i]
		}
	}
	return nil
}

func TestReadClassifies(t *testing.T) {
	b := readFixture(t)
	if want := (orb.Bound{Min: orb.Point{104.065, 30.655}, Max: orb.Point{104.075, 30.665}}); b.Bounds != want {
		t.Errorf("bounds %v, want %v", b.Bounds, want)
	}
	cases := []struct {
		layer, id string
		props     map[string]any
		minZoom   int
	}{
		{LayerRoads, "way/100", map[string]any{"class": "primary", "name": "人民路", "name_en": "Renmin Road", "oneway": false}, 12},
		{LayerRoads, "way/101", map[string]any{"class": "residential", "oneway": true}, 14},
		{LayerRoads, "way/102", map[string]any{"class": "path", "oneway": false}, 15},
		{LayerBuildings, "way/110", map[string]any{"name": "一号楼"}, 15},
		{LayerGreen, "way/130", map[string]any{"kind": "park", "name": "小公园"}, 14},
		{LayerWater, "way/140", map[string]any{"kind": "canal"}, 12},
		{LayerWater, "way/141", map[string]any{"kind": "lake"}, 15},
		{LayerPlaces, "way/120", map[string]any{"kind": "compound", "name": "锦绣花园"}, 14},
		{LayerPlaces, "node/40", map[string]any{"kind": "hospital", "name": "测试医院", "name_en": "Test Hospital"}, 13},
	}
	for _, c := range cases {
		f := find(b, c.layer, c.id)
		if f == nil {
			t.Errorf("%s: %s missing", c.layer, c.id)
			continue
		}
		if len(f.Props) != len(c.props) {
			t.Errorf("%s %s: props %v, want %v", c.layer, c.id, f.Props, c.props)
		}
		for k, v := range c.props {
			if f.Props[k] != v {
				t.Errorf("%s %s: %s = %v, want %v", c.layer, c.id, k, f.Props[k], v)
			}
		}
		if f.MinZoom != c.minZoom {
			t.Errorf("%s %s: min zoom %d, want %d", c.layer, c.id, f.MinZoom, c.minZoom)
		}
	}
	if find(b, LayerRoads, "way/103") != nil {
		t.Error("highway=proposed is not a road")
	}
	if n := b.Count(LayerPlaces); n != 2 {
		t.Errorf("%d places, want 2 (the restaurant is no label)", n)
	}
	// The compound label sits at the polygon's centroid.
	p := find(b, LayerPlaces, "way/120").Geometry.(orb.Point)
	if dx, dy := p[0]-104.0675, p[1]-30.6575; dx*dx+dy*dy > 1e-12 {
		t.Errorf("compound label at %v, want the centroid [104.0675 30.6575]", p)
	}
}

func decode(t testing.TB, gz []byte) map[string]*geojson.FeatureCollection {
	t.Helper()
	if len(gz) == 0 {
		return map[string]*geojson.FeatureCollection{}
	}
	ls, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		t.Fatal(err)
	}
	return ls.ToFeatureCollections()
}

func TestTileZoomRules(t *testing.T) {
	tr := NewTiler(readFixture(t), 0)
	at := orb.Point{104.07, 30.66}
	for _, c := range []struct {
		z              maptile.Zoom
		roads          int
		buildings, grn int
	}{
		{12, 1, 0, 0}, // the primary road only
		{14, 2, 0, 1},
		{15, 3, 1, 1},
		{18, 0, 0, 0}, // the z18 tile at the centre holds only the crossing roads
	} {
		tl := maptile.At(at, c.z)
		gz, err := tr.Tile(tl)
		if err != nil {
			t.Fatal(err)
		}
		fcs := decode(t, gz)
		count := func(l string) int {
			if fcs[l] == nil {
				return 0
			}
			return len(fcs[l].Features)
		}
		if c.z == 18 {
			if count(LayerRoads) < 1 {
				t.Errorf("z18: no road in the centre tile")
			}
			continue
		}
		if count(LayerRoads) != c.roads || count(LayerBuildings) != c.buildings || count(LayerGreen) != c.grn {
			t.Errorf("z%d: roads %d buildings %d green %d, want %d %d %d", c.z,
				count(LayerRoads), count(LayerBuildings), count(LayerGreen), c.roads, c.buildings, c.grn)
		}
	}
}

func TestTileGeometryInTileCoordinates(t *testing.T) {
	tr := NewTiler(readFixture(t), 0)
	tl := maptile.At(orb.Point{104.07, 30.66}, 16)
	fcs := decode(t, mustTile(t, tr, tl))
	for name, fc := range fcs {
		for _, f := range fc.Features {
			b := f.Geometry.Bound()
			if b.Min[0] < -buffer-1 || b.Min[1] < -buffer-1 || b.Max[0] > extent+buffer+1 || b.Max[1] > extent+buffer+1 {
				t.Errorf("%s: feature %v reaches outside the clip buffer", name, b)
			}
		}
	}
	// The primary road crosses the tile west to east at the tile's latitude of 30.66.
	road := fcs[LayerRoads]
	if road == nil {
		t.Fatal("no roads layer")
	}
	ok := false
	for _, f := range road.Features {
		if f.Properties["name"] == "人民路" {
			ok = true
			b := f.Geometry.Bound()
			if b.Min[0] > -buffer+1 || b.Max[0] < extent+buffer-1 {
				t.Errorf("人民路 spans x %v..%v, want the clipped width -%d..%d", b.Min[0], b.Max[0], buffer, extent+buffer)
			}
		}
	}
	if !ok {
		t.Error("人民路 is not in its tile")
	}
}

func mustTile(t testing.TB, tr *Tiler, tl maptile.Tile) []byte {
	t.Helper()
	gz, err := tr.Tile(tl)
	if err != nil {
		t.Fatal(err)
	}
	return gz
}

func TestTileEmptyAndOutOfRange(t *testing.T) {
	tr := NewTiler(readFixture(t), 0)
	gz, err := tr.Tile(maptile.At(orb.Point{0, 0}, 14))
	if err != nil || gz != nil {
		t.Errorf("tile far away: %d bytes, %v; want nil, nil", len(gz), err)
	}
	for _, tl := range []maptile.Tile{
		{X: 0, Y: 0, Z: 11}, {X: 0, Y: 0, Z: 19}, {X: 1 << 14, Y: 0, Z: 14}, {X: 0, Y: 1 << 14, Z: 14},
	} {
		if _, err := tr.Tile(tl); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%v: err %v, want ErrOutOfRange", tl, err)
		}
	}
}

func TestTileCacheIsBoundedAndConsistent(t *testing.T) {
	b := readFixture(t)
	tr := NewTiler(b, 2000)
	centre := maptile.At(orb.Point{104.07, 30.66}, 15)
	first := mustTile(t, tr, centre)
	again := mustTile(t, tr, centre)
	if !bytes.Equal(first, again) {
		t.Error("cached tile differs")
	}
	if s := tr.Stats(); s.Hits != 1 || s.Misses != 1 {
		t.Errorf("stats %+v, want 1 hit 1 miss", s)
	}
	for dx := range uint32(6) {
		for dy := range uint32(6) {
			mustTile(t, tr, maptile.New(centre.X-3+dx, centre.Y-3+dy, 17))
			if s := tr.Stats(); s.Bytes > 2000 {
				t.Fatalf("cache holds %d bytes, bound 2000", s.Bytes)
			}
		}
	}
	// Cut without the cache gives the same bytes as the cached copy.
	cut, err := tr.Cut(centre)
	if err != nil || !bytes.Equal(cut, first) {
		t.Errorf("Cut differs from the cached tile (err %v)", err)
	}
	raw, err := Gunzip(first)
	if err != nil || len(raw) == 0 {
		t.Fatalf("gunzip: %v", err)
	}
	if _, err := mvt.Unmarshal(raw); err != nil {
		t.Errorf("raw tile does not decode: %v", err)
	}
}

func TestReadRejectsEmpty(t *testing.T) {
	if _, err := Read(strings.NewReader(`<osm version="0.6"><node id="1" lat="1" lon="1"/></osm>`)); err == nil {
		t.Error("an extract without features: want an error")
	}
	if _, err := Read(strings.NewReader(`<osm version="0.6"><node id="1" lat="1"`)); err == nil {
		t.Error("truncated XML: want an error")
	}
}
