// Package basemap turns an OpenStreetMap extract into the layers of the
// service's own vector basemap and cuts Mapbox Vector Tiles (MVT) from them
// on demand.
//
// The layers and their properties are a contract with the browser map:
//
//	roads:     LineString; class = motorway|trunk|primary|secondary|tertiary|residential|service|path;
//	           name; name_en (from name:en when present); oneway (bool)
//	buildings: Polygon; name (if any)
//	water:     Polygon or LineString; kind = river|lake|pond|reservoir|canal|stream|drain|ditch|basin
//	green:     Polygon; kind = park|garden|grass|forest|wood|meadow|recreation_ground
//	places:    Point; kind = compound|hospital|clinic|pharmacy|neighbourhood|suburb; name; name_en
//
// Each feature has the lowest zoom at which it is drawn (minor roads from
// z14, buildings from z15, ...); see classify.
package basemap

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmgeojson"
	"github.com/paulmach/osm/osmxml"
)

// Layer names, in drawing order (bottom first).
const (
	LayerWater     = "water"
	LayerGreen     = "green"
	LayerBuildings = "buildings"
	LayerRoads     = "roads"
	LayerPlaces    = "places"
)

// LayerNames lists the layers in drawing order.
var LayerNames = []string{LayerWater, LayerGreen, LayerBuildings, LayerRoads, LayerPlaces}

// Feature is one feature of a layer, in WGS84 [lon, lat].
type Feature struct {
	Geometry orb.Geometry
	// Props are the MVT properties (strings and bools only).
	Props map[string]any
	// MinZoom is the lowest zoom whose tiles carry the feature.
	MinZoom int
	// Bound is Geometry's bound (cached).
	Bound orb.Bound
	// OSMID is "way/123", "node/4" or "relation/5" (for tests and logs).
	OSMID string
}

// Basemap is the parsed extract: features per layer and the extract's bounds.
type Basemap struct {
	Layers map[string][]Feature
	// Bounds is the extract's declared <bounds>, or the data's bound when
	// the file has none.
	Bounds orb.Bound
}

// Count returns the number of features in the layer.
func (b *Basemap) Count(layer string) int { return len(b.Layers[layer]) }

// Read parses OSM XML (API 0.6, as osmconvert writes it) into a Basemap.
func Read(r io.Reader) (*Basemap, error) {
	fc, bounds, err := ReadGeoJSON(r)
	if err != nil {
		return nil, err
	}
	return FromGeoJSON(fc, bounds)
}

// ReadGeoJSON parses OSM XML into one GeoJSON feature per tagged node, way
// and multipolygon relation (properties "type", "id" and "tags", a
// map[string]string; ID "way/123"), and the declared <bounds> (the zero
// Bound when the file has none).
func ReadGeoJSON(r io.Reader) (*geojson.FeatureCollection, orb.Bound, error) {
	o, bounds, err := readOSM(r)
	if err != nil {
		return nil, orb.Bound{}, err
	}
	fc, err := osmgeojson.Convert(o, osmgeojson.NoMeta(true), osmgeojson.NoRelationMembership(true))
	if err != nil {
		return nil, orb.Bound{}, fmt.Errorf("basemap: convert: %w", err)
	}
	var b orb.Bound
	if bounds != nil {
		b = orb.Bound{Min: orb.Point{bounds.MinLon, bounds.MinLat}, Max: orb.Point{bounds.MaxLon, bounds.MaxLat}}
	}
	return fc, b, nil
}

// FromGeoJSON classifies the features of ReadGeoJSON into the basemap's
// layers. bounds is the extract's declared bounds; the zero Bound takes the
// data's bound. fc is not modified (the layers share its geometry).
func FromGeoJSON(fc *geojson.FeatureCollection, bounds orb.Bound) (*Basemap, error) {
	b := &Basemap{Layers: map[string][]Feature{}}
	var all orb.Bound
	first := true
	for _, f := range fc.Features {
		for _, out := range classify(f) {
			out.Bound = out.Geometry.Bound()
			if id, ok := f.ID.(string); ok {
				out.OSMID = id
			}
			b.Layers[out.layer] = append(b.Layers[out.layer], out.Feature)
			if first {
				all, first = out.Bound, false
			} else {
				all = all.Union(out.Bound)
			}
		}
	}
	if first {
		return nil, fmt.Errorf("basemap: the extract has no roads, buildings, water, green areas or places")
	}
	for _, name := range LayerNames {
		fs := b.Layers[name]
		// Big polygons first so that small ones are drawn on top, then by id:
		// the order is deterministic whatever the map iteration did.
		sort.SliceStable(fs, func(i, j int) bool {
			ai, aj := boundArea(fs[i].Bound), boundArea(fs[j].Bound)
			if name != LayerRoads && name != LayerPlaces && ai != aj {
				return ai > aj
			}
			return fs[i].OSMID < fs[j].OSMID
		})
	}
	b.Bounds = bounds
	if bounds == (orb.Bound{}) {
		b.Bounds = all
	}
	return b, nil
}

func boundArea(b orb.Bound) float64 { return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) }

// readOSM reads the whole file into memory (the demo extract is a few MB).
func readOSM(r io.Reader) (*osm.OSM, *osm.Bounds, error) {
	sc := osmxml.New(context.Background(), r)
	defer sc.Close()
	o := &osm.OSM{}
	var bounds *osm.Bounds
	for sc.Scan() {
		switch e := sc.Object().(type) {
		case *osm.Bounds:
			bounds = e
		case *osm.Node:
			o.Nodes = append(o.Nodes, e)
		case *osm.Way:
			o.Ways = append(o.Ways, e)
		case *osm.Relation:
			o.Relations = append(o.Relations, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("basemap: read OSM XML: %w", err)
	}
	return o, bounds, nil
}

type classified struct {
	Feature
	layer string
}

// roadClass maps highway=* to the roads layer's class and its min zoom.
var roadClass = map[string]struct {
	class   string
	minZoom int
}{
	"motorway": {"motorway", 12}, "motorway_link": {"motorway", 12},
	"trunk": {"trunk", 12}, "trunk_link": {"trunk", 12},
	"primary": {"primary", 12}, "primary_link": {"primary", 13},
	"secondary": {"secondary", 12}, "secondary_link": {"secondary", 13},
	"tertiary": {"tertiary", 13}, "tertiary_link": {"tertiary", 13},
	"residential": {"residential", 14}, "unclassified": {"residential", 14},
	"living_street": {"residential", 14}, "road": {"residential", 14},
	"service": {"service", 14},
	"footway": {"path", 15}, "pedestrian": {"path", 15}, "path": {"path", 15},
	"cycleway": {"path", 15}, "steps": {"path", 15}, "track": {"path", 15}, "bridleway": {"path", 15},
}

var waterKinds = map[string]int{ // waterway=* lines and their min zoom
	"river": 12, "canal": 12, "stream": 14, "drain": 15, "ditch": 15,
}

var greenKinds = map[string]string{ // tag=value -> kind
	"leisure=park": "park", "leisure=garden": "garden", "leisure=recreation_ground": "recreation_ground",
	"landuse=grass": "grass", "landuse=forest": "forest", "natural=wood": "wood",
	"landuse=meadow": "meadow", "landuse=recreation_ground": "recreation_ground", "landuse=village_green": "grass",
}

func tagsOf(f *geojson.Feature) map[string]string {
	t, _ := f.Properties["tags"].(map[string]string)
	return t
}

// named sets name and name_en from the tags.
func named(props map[string]any, tags map[string]string) {
	if n := tags["name"]; n != "" {
		props["name"] = n
	}
	if n := tags["name:en"]; n != "" {
		props["name_en"] = n
	}
}

// areaM2 is a polygonal geometry's geodesic area in m² (0 otherwise).
func areaM2(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return math.Abs(geo.Area(g))
	}
	return 0
}

func polygonal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

func lineal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.LineString, orb.MultiLineString:
		return true
	}
	return false
}

// centroid of a polygonal geometry (planar in degrees: fine at city scale),
// or the geometry's bound centre when it has no area.
func centroid(g orb.Geometry) orb.Point {
	// Relative to the bound's corner: products of raw degrees lose digits.
	o := g.Bound().Min
	var sx, sy, sa float64
	add := func(r orb.Ring, sign float64) {
		for i := 0; i+1 < len(r); i++ {
			a, b := orb.Point{r[i][0] - o[0], r[i][1] - o[1]}, orb.Point{r[i+1][0] - o[0], r[i+1][1] - o[1]}
			c := a[0]*b[1] - b[0]*a[1]
			sa += sign * c
			sx += sign * (a[0] + b[0]) * c
			sy += sign * (a[1] + b[1]) * c
		}
	}
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	for _, p := range polys {
		for i, r := range p {
			s := 1.0
			if (i == 0) != (r.Orientation() == orb.CCW) {
				s = -1
			}
			add(r, s)
		}
	}
	if sa == 0 {
		return g.Bound().Center()
	}
	return orb.Point{o[0] + sx/(3*sa), o[1] + sy/(3*sa)}
}

// classify maps one OSM feature to the basemap features it gives (none,
// one, or two: a named hospital area gives a building and a label).
func classify(f *geojson.Feature) []classified {
	tags := tagsOf(f)
	if len(tags) == 0 || f.Geometry == nil {
		return nil
	}
	g := f.Geometry
	var out []classified
	add := func(layer string, geom orb.Geometry, props map[string]any, minZoom int) {
		out = append(out, classified{Feature{Geometry: geom, Props: props, MinZoom: minZoom}, layer})
	}
	area := areaM2(g)

	if hw := tags["highway"]; hw != "" && lineal(g) {
		if rc, ok := roadClass[hw]; ok {
			p := map[string]any{"class": rc.class, "oneway": isOneway(tags, hw)}
			named(p, tags)
			if tags["oneway"] == "-1" {
				// Drawn in the direction of travel.
				g = orb.Clone(g)
				reverseLines(g)
			}
			add(LayerRoads, g, p, rc.minZoom)
		}
	}
	if b := tags["building"]; b != "" && b != "no" && polygonal(g) {
		p := map[string]any{}
		if n := tags["name"]; n != "" {
			p["name"] = n
		}
		z := 15
		if area > 20000 {
			z = 14
		}
		add(LayerBuildings, g, p, z)
	}
	if polygonal(g) {
		kind := ""
		switch {
		case tags["waterway"] == "riverbank" || tags["water"] == "river":
			kind = "river"
		case tags["water"] == "canal":
			kind = "canal"
		case tags["water"] == "pond":
			kind = "pond"
		case tags["natural"] == "water" && tags["water"] != "":
			kind = tags["water"]
		case tags["natural"] == "water":
			kind = "lake"
		case tags["landuse"] == "reservoir" || tags["landuse"] == "basin":
			kind = tags["landuse"]
		}
		if kind != "" {
			add(LayerWater, g, map[string]any{"kind": kind}, zoomForArea(area, 12))
		}
		for _, k := range []string{"leisure", "landuse", "natural"} {
			if gk, ok := greenKinds[k+"="+tags[k]]; ok {
				p := map[string]any{"kind": gk}
				named(p, tags)
				add(LayerGreen, g, p, zoomForArea(area, 12))
				break
			}
		}
	} else if lineal(g) {
		if z, ok := waterKinds[tags["waterway"]]; ok {
			p := map[string]any{"kind": tags["waterway"]}
			named(p, tags)
			add(LayerWater, g, p, z)
		}
	}

	// Labels.
	if tags["name"] != "" {
		kind, z := "", 0
		switch {
		case tags["landuse"] == "residential" && polygonal(g):
			kind, z = "compound", 14
		case tags["amenity"] == "hospital" || tags["healthcare"] == "hospital":
			kind, z = "hospital", 13
		case tags["amenity"] == "clinic" || tags["amenity"] == "doctors" || tags["healthcare"] == "clinic":
			kind, z = "clinic", 15
		case tags["amenity"] == "pharmacy" || tags["healthcare"] == "pharmacy" || tags["shop"] == "chemist":
			kind, z = "pharmacy", 15
		case tags["place"] == "suburb":
			kind, z = "suburb", 12
		case tags["place"] == "neighbourhood" || tags["place"] == "quarter":
			kind, z = "neighbourhood", 14
		}
		if kind != "" {
			var pt orb.Point
			if p, ok := g.(orb.Point); ok {
				pt = p
			} else if polygonal(g) {
				pt = centroid(g)
			}
			if pt != (orb.Point{}) {
				p := map[string]any{"kind": kind}
				named(p, tags)
				add(LayerPlaces, pt, p, z)
			}
		}
	}
	return out
}

// zoomForArea: large areas from base, smaller ones from higher zooms
// (about 4 px² at the zoom where they first appear).
func zoomForArea(m2 float64, base int) int {
	switch {
	case m2 >= 200000:
		return base
	case m2 >= 50000:
		return max(base, 13)
	case m2 >= 10000:
		return max(base, 14)
	}
	return max(base, 15)
}

func isOneway(tags map[string]string, hw string) bool {
	switch tags["oneway"] {
	case "yes", "1", "true", "-1":
		return true
	case "no", "0", "false":
		return false
	}
	return hw == "motorway" || hw == "motorway_link" || tags["junction"] == "roundabout"
}

func reverseLines(g orb.Geometry) {
	switch g := g.(type) {
	case orb.LineString:
		g.Reverse()
	case orb.MultiLineString:
		for _, l := range g {
			l.Reverse()
		}
	}
}
