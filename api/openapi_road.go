package api

import (
	"lifeline/api/openapi"
	"lifeline/routing/network"
	"lifeline/zones"
)

// The road engine (road.go): routes, matrices, isochrones, nearest
// facilities, snapping and the streets layer.
func init() {
	spec.Name(routeResponse{}, "Route", "the fastest route under the sealed zones in force: time, distance, snapped ends, line, polyline and streets")
	spec.Name(network.Snap{}, "Snap", "a point moved onto the nearest road")
	spec.Name(isochroneResponse{}, "Isochrone", "what is reachable within the minutes: outline and H3 cells")
	lon := openapi.QueryReq("lon", openapi.Num().Set("minimum", -180).Set("maximum", 180), "longitude")
	lat := openapi.QueryReq("lat", openapi.Num().Set("minimum", -90).Set("maximum", 90), "latitude")
	lonLatQ := openapi.Str().Set("pattern", `^[^,]+,[^,]+$`)
	profile := openapi.Enum("car", "foot")
	short := openapi.Obj(map[string]openapi.Schema{"time_s": openapi.Num(), "distance_m": openapi.Num(), "from": openapi.Of(network.Snap{}),
		"to": openapi.Of(network.Snap{}), "version": openapi.Int().Set("minimum", 0), "profile": profile}, "time_s", "distance_m", "from", "to", "version", "profile")
	routeAnswer := []openapi.Media{
		{Type: "application/json", Schema: openapi.Schema{"anyOf": []openapi.Schema{openapi.Of(routeResponse{}), short.Desc("geometry=false: time and distance only")}}},
		geoJSON(openapi.Ref("GeoJSONFeature"))}
	routeQ := []openapi.Param{openapi.Query("geometry", openapi.Bool(), "false: time and distance only"), geojsonQuery}
	snapped := openapi.Obj(map[string]openapi.Schema{
		"point":      openapi.Nullable(openapi.LonLat()).Desc("on the road; null when the point does not snap"),
		"distance_m": openapi.Nullable(openapi.Num()),
		"input":      openapi.LonLat(),
		"error":      openapi.Str().Desc("why the point does not snap (its row or column is null)"),
	}, "point", "distance_m")
	cells := openapi.Arr(openapi.Arr(openapi.Nullable(openapi.Num())))
	nearestQ := []openapi.Param{lon, lat, openapi.QueryReq("kind", openapi.Of(zones.FacilityKind("")), "facility kind"),
		openapi.Query("k", openapi.Int().Set("minimum", 1).Set("maximum", 50), "how many (default 3)"),
		openapi.Query("accepts", openapi.Of(zones.HealthCode("")), "only hospitals accepting this health-code colour")}
	nearestAnswer := openapi.JSON(openapi.Obj(map[string]openapi.Schema{"point": openapi.LonLat(), "nearest": openapi.Arr(openapi.Of(nearestItem{}))}, "point", "nearest"))
	describe(
		openapi.Op{Method: "GET", Path: "/v1/route", Tag: "roads", Summary: "fastest route between two points",
			Params: append([]openapi.Param{openapi.QueryReq("from", lonLatQ, "lon,lat"), openapi.QueryReq("to", lonLatQ, "lon,lat"),
				openapi.Query("profile", profile, "car (default) or foot"), snapQuery}, routeQ...),
			Responses: []openapi.Response{{Status: 200, Content: routeAnswer}}},
		openapi.Op{Method: "POST", Path: "/v1/route", Tag: "roads", Summary: "fastest route between two points (JSON body)",
			Params: routeQ, Body: &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"from": openapi.LonLat(), "to": openapi.LonLat(), "profile": profile, "snap_radius": openapi.Nullable(openapi.Num())}, "from", "to"))},
			Responses: []openapi.Response{{Status: 200, Content: routeAnswer}}},
		openapi.Op{Method: "POST", Path: "/v1/matrix", Tag: "roads", Summary: "travel times (s) and distances (m) between points; null = unreachable",
			Description: "A point farther than its snap radius from every road does not fail the call: its row or column is null and its entry in sources or targets says why.",
			Body: &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"sources":           openapi.Arr(openapi.LonLat()).Set("minItems", 1),
				"targets":           openapi.Nullable(openapi.Arr(openapi.LonLat())).Desc("default: the sources"),
				"snap_radius":       openapi.Nullable(openapi.Num()),
				"source_snap_radii": openapi.Nullable(openapi.Arr(openapi.Nullable(openapi.Num()))),
				"target_snap_radii": openapi.Nullable(openapi.Arr(openapi.Nullable(openapi.Num()))),
			}, "sources"))},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"durations": cells, "distances": cells, "sources": openapi.Arr(snapped), "targets": openapi.Arr(snapped)},
				"durations", "distances", "sources", "targets"))}}},
		openapi.Op{Method: "GET", Path: "/v1/isochrone", Tag: "roads", Summary: "what is reachable within so many minutes",
			Params: []openapi.Param{lon, lat, openapi.QueryReq("minutes", openapi.Num().Set("minimum", 0.1).Set("maximum", 120), "minutes of travel"),
				openapi.Query("h3_res", openapi.Int().Set("minimum", 0).Set("maximum", 12), "H3 resolution of the cells (default 9)"), geojsonQuery},
			Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(isochroneResponse{}, openapi.Ref("GeoJSONFeature"))}}},
		openapi.Op{Method: "GET", Path: "/v1/nearest", Tag: "roads", Summary: "the k facilities of a kind reachable fastest",
			Params: nearestQ, Responses: []openapi.Response{{Status: 200, Content: nearestAnswer}}},
		openapi.Op{Method: "POST", Path: "/v1/nearest", Tag: "roads", Summary: "the k facilities of a kind reachable fastest (JSON body)",
			Body: &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"point": openapi.LonLat(), "k": openapi.Int().Set("minimum", 0).Set("maximum", 50), "kind": openapi.Of(zones.FacilityKind("")),
				"accepts": openapi.Of(zones.HealthCode(""))}, "point", "kind"))},
			Responses: []openapi.Response{{Status: 200, Content: nearestAnswer}}},
		openapi.Op{Method: "GET", Path: "/v1/snap", Tag: "roads", Summary: "the nearest point on a road",
			Params:    []openapi.Param{lon, lat, snapQuery},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(network.Snap{})}}},
		openapi.Op{Method: "GET", Path: "/v1/streets", Tag: "roads", Summary: "road segments for the map (at most 20,000; truncated says when more match)",
			Params: []openapi.Param{bboxQuery},
			Responses: []openapi.Response{{Status: 200, Content: []openapi.Media{geoJSON(openapi.Ref("GeoJSONFeatureCollection").Desc(
				"LineString features with properties name and oneway; foreign members profile and truncated"))}}}},
	)
}
