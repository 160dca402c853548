package network

import (
	"time"

	"lifeline/zones"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Sealed returns the geometries of the zones of kind sealed active at t,
// ready for SetSealedZones.
func Sealed(zs []zones.Zone, at time.Time) []orb.MultiPolygon {
	var out []orb.MultiPolygon
	for i := range zs {
		if zs[i].Kind == zones.KindSealed && zs[i].ActiveAt(at) {
			out = append(out, zs[i].Geometry)
		}
	}
	return out
}

// GeoJSON returns the route as a Feature: a LineString ([lon, lat]) with
// properties time_s, distance_m, polyline (precision 5), streets and
// version.
func (r Route) GeoJSON() *geojson.Feature {
	f := geojson.NewFeature(r.Geometry)
	f.Properties["time_s"] = r.Time
	f.Properties["distance_m"] = r.Distance
	f.Properties["polyline"] = r.Polyline
	f.Properties["streets"] = r.Streets
	f.Properties["version"] = r.Version
	return f
}

// GeoJSON returns the isochrone as a Feature: its MultiPolygon with
// properties seconds and version.
func (iso Isochrone) GeoJSON() *geojson.Feature {
	f := geojson.NewFeature(iso.Polygon)
	f.Properties["seconds"] = iso.Seconds
	f.Properties["version"] = iso.Version
	return f
}
