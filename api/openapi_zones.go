package api

import (
	"github.com/paulmach/orb/geojson"

	"lifeline/api/openapi"
	"lifeline/zones"
)

// The zone map and look-ups (zones.go).
func init() {
	spec.Enum(zones.Kind(""), "sealed", "controlled", "prevention", "none")
	spec.Type(zones.Feature{}, openapi.Ref("GeoJSONFeature"))
	spec.Type(zones.FeatureCollection{}, openapi.Ref("GeoJSONFeatureCollection"))
	spec.Type(geojson.Geometry{}, openapi.Ref("GeoJSONGeometry"))
	spec.Type(geojson.Feature{}, openapi.Ref("GeoJSONFeature"))
	spec.Type(geojson.FeatureCollection{}, openapi.Ref("GeoJSONFeatureCollection"))
	spec.Type(Error{}, openapi.Ref("Error"))
	spec.Name(zoneView{}, "Zone", "a zone version: its properties and (unless geometry=false) its MultiPolygon")
	spec.Name(lookupResult{}, "LookupResult", "the strictest zone kind at a point and time, and every zone in force there, strictest first")

	kinds := openapi.Enum("sealed", "controlled", "prevention")
	zoneProps := openapi.Obj(map[string]openapi.Schema{
		"kind":            kinds,
		"name":            openapi.Str().Desc("no control characters"),
		"reason":          openapi.Str(),
		"external_key":    openapi.Str().Desc("matches the feature on re-import"),
		"effective_from":  openapi.Nullable(openapi.DateTime()).Desc("in force from (default now; 2000-2100)"),
		"effective_until": openapi.Nullable(openapi.DateTime()).Desc("in force until (default open)"),
		"id":              openapi.Nullable(openapi.Int()).Desc("read-only, ignored (an export imports again)"),
		"version":         openapi.Nullable(openapi.Int()).Desc("read-only, ignored"),
		"created_at":      openapi.Nullable(openapi.DateTime()).Desc("read-only, ignored"),
		"updated_at":      openapi.Nullable(openapi.DateTime()).Desc("read-only, ignored"),
	}, "kind", "name")
	spec.Component("ZoneFeature", openapi.Schema{"type": "object", "required": []string{"type", "geometry", "properties"},
		"description": "a zone as a GeoJSON Feature: a Polygon or MultiPolygon (cut at ±180) and the zone's properties; unknown properties are a 400",
		"properties": map[string]openapi.Schema{
			"type":       openapi.Enum("Feature"),
			"id":         {"type": []any{"integer", "string", "null"}},
			"geometry":   openapi.Ref("GeoJSONGeometry"),
			"properties": zoneProps,
			"bbox":       openapi.Arr(openapi.Num()),
		}})
	spec.Component("ZoneFeatureCollection", openapi.Schema{"type": "object", "required": []string{"type", "features"},
		"properties": map[string]openapi.Schema{
			"type":     openapi.Enum("FeatureCollection"),
			"features": openapi.Arr(openapi.Ref("ZoneFeature")).Set("minItems", 1),
			"bbox":     openapi.Arr(openapi.Num()),
		}})
	zoneBody := &openapi.Body{Required: true, Content: []openapi.Media{
		{Type: "application/json", Schema: openapi.Ref("ZoneFeature")}, {Type: "application/geo+json", Schema: openapi.Ref("ZoneFeature")}}}
	oneZone := jsonOrGeoJSON(zoneView{}, zones.Feature{})
	geometryQ := openapi.Query("geometry", openapi.Bool(), "false leaves the geometries out")
	activeAt := openapi.Query("active_at", openapi.DateTime(), "the zones in force then, as they were (RFC 3339 or a date)")
	listQ := []openapi.Param{openapi.Query("kind", kinds, "only this kind"), bboxQuery, activeAt,
		openapi.Query("limit", openapi.Int().Set("minimum", 0).Set("maximum", 100000), "at most this many (0: all)"),
		openapi.Query("offset", openapi.Int().Set("minimum", 0), "skip this many")}
	zoneList := openapi.Obj(map[string]openapi.Schema{"zones": openapi.Arr(openapi.Ref("Zone")), "count": openapi.Int()}, "zones", "count")
	imported := openapi.JSON(openapi.Obj(map[string]openapi.Schema{"created": openapi.Int(), "updated": openapi.Int(), "unchanged": openapi.Int(),
		"ids": openapi.Arr(openapi.Int()), "items": openapi.Nullable(openapi.Arr(openapi.Of(zones.ImportItem{})))}, "created", "updated", "unchanged", "ids", "items"))
	describe(
		openapi.Op{Method: "GET", Path: "/v1/zones", Tag: "zones", Summary: "list zones (current versions, or those in force at active_at)",
			Params:    append(listQ, geojsonQuery, geometryQ),
			Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(zoneList, zones.FeatureCollection{})}}},
		openapi.Op{Method: "POST", Path: "/v1/zones", Tag: "zones", Summary: "draw a zone",
			Params: []openapi.Param{geojsonQuery}, Body: zoneBody,
			Responses: []openapi.Response{{Status: 201, Description: "created", Content: oneZone, Headers: map[string]string{"Location": "/v1/zones/{id}"}}}},
		openapi.Op{Method: "POST", Path: "/v1/zones/import", Tag: "zones", Summary: "import a FeatureCollection: all or nothing, idempotent",
			Description: "Each feature is matched by properties.external_key, else by the id of a zone of this server; unchanged ones are left alone, changed ones become a new version, the rest are created.",
			Body:        &openapi.Body{Required: true, Content: []openapi.Media{{Type: "application/json", Schema: openapi.Ref("ZoneFeatureCollection")}, {Type: "application/geo+json", Schema: openapi.Ref("ZoneFeatureCollection")}}},
			Responses: []openapi.Response{
				{Status: 200, Description: "nothing created", Content: imported},
				{Status: 201, Description: "at least one zone created", Content: imported},
			}},
		openapi.Op{Method: "GET", Path: "/v1/zones/export", Tag: "zones", Summary: "export as a GeoJSON FeatureCollection (imports again unchanged)",
			Params:    listQ,
			Responses: []openapi.Response{{Status: 200, Content: []openapi.Media{geoJSON(zones.FeatureCollection{})}}}},
		openapi.Op{Method: "GET", Path: "/v1/zones/:id", Tag: "zones", Summary: "a zone's current version",
			Params: []openapi.Param{idParam, geojsonQuery}, Responses: []openapi.Response{{Status: 200, Content: oneZone}}},
		openapi.Op{Method: "PUT", Path: "/v1/zones/:id", Tag: "zones", Summary: "a new version from properties.effective_from (default now)",
			Description: "effective_from must be after the current version's start; a PUT timed at or after a lift is a 409. The lift stays unless effective_until is given.",
			Params:      []openapi.Param{idParam, geojsonQuery}, Body: zoneBody, Responses: []openapi.Response{{Status: 200, Content: oneZone}}},
		openapi.Op{Method: "POST", Path: "/v1/zones/:id/lift", Tag: "zones", Summary: "lift a zone (its history stays)",
			Params:    []openapi.Param{idParam, geojsonQuery},
			Body:      &openapi.Body{Description: "optional; without it the zone is lifted now", Content: openapi.JSON(liftRequest{})},
			Responses: []openapi.Response{{Status: 200, Content: oneZone}}},
		openapi.Op{Method: "GET", Path: "/v1/zones/:id/history", Tag: "zones", Summary: "every version, oldest first",
			Params: []openapi.Param{idParam, geojsonQuery, geometryQ},
			Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(openapi.Obj(map[string]openapi.Schema{
				"zone_id": openapi.Int(), "versions": openapi.Arr(openapi.Ref("Zone")), "count": openapi.Int()}, "zone_id", "versions", "count"), zones.FeatureCollection{})}}},
		openapi.Op{Method: "GET", Path: "/v1/zones/:id/population", Tag: "zones", Summary: "residents covered, split by area",
			Params: []openapi.Param{idParam},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"zone_id": openapi.Int(), "kind": openapi.Of(zones.Kind("")), "name": openapi.Str(), "estimate": openapi.Of(zones.PopulationEstimate{}),
				"key_population": openapi.Map(openapi.Int()).Desc("registered riders whose compound lies at least half inside the zone, by category, and total: counts only")},
				"zone_id", "kind", "name", "estimate"))}}},
		openapi.Op{Method: "GET", Path: "/v1/lookup", Tag: "zones", Summary: "which zone is this point in, now or at a time",
			Params: []openapi.Param{
				openapi.QueryReq("lon", openapi.Num().Set("minimum", -180).Set("maximum", 180), "longitude"),
				openapi.QueryReq("lat", openapi.Num().Set("minimum", -90).Set("maximum", 90), "latitude"),
				openapi.Query("at", openapi.DateTime(), "the time (default now)"),
				openapi.Query("geometry", openapi.Bool(), "true adds the zones' geometries")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(lookupResult{})}}},
		openapi.Op{Method: "POST", Path: "/v1/lookup", Tag: "zones", Summary: "look up to 10,000 points at once",
			Body: &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"points": openapi.Arr(openapi.LonLat()).Set("minItems", 1).Set("maxItems", MaxBatchPoints),
				"at":     openapi.Nullable(openapi.DateTime()).Desc("the time (default now)")}, "points"))},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"at": openapi.DateTime(), "results": openapi.Arr(openapi.Of(batchItem{}))}, "at", "results"))}}},
	)
}
