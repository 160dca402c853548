package api

import (
	"lifeline/api/openapi"
)

// Operations routes outside /v1 (open, no account): health, readiness,
// metrics, the basemap tiles and this document.
func init() {
	status := func(v string) openapi.Schema {
		return openapi.Obj(map[string]openapi.Schema{"status": openapi.Enum(v)}, "status")
	}
	describe(
		openapi.Op{Method: "GET", Path: "/healthz", Tag: "operations", Summary: "the process is up",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(status("ok"))}}},
		openapi.Op{Method: "GET", Path: "/readyz", Tag: "operations", Summary: "the store answers and, on PostGIS, the zone change stream is connected (503 store_unreachable or zone_stream_down when not)",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(status("ready"))}}},
		openapi.Op{Method: "GET", Path: "/metrics", Tag: "operations", Summary: "Prometheus metrics (no personal data; keep it on an internal network)",
			Responses: []openapi.Response{{Status: 200, Content: []openapi.Media{{Type: "text/plain", Schema: openapi.Str()}}}}},
		openapi.Op{Method: "GET", Path: "/openapi.json", Tag: "operations", Summary: "this document (OpenAPI 3.1)",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Schema{"type": "object"})}}},
		openapi.Op{Method: "GET", Path: "/tiles/basemap.json", Tag: "operations", Summary: "TileJSON 3.0.0 of the vector basemap",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Schema{"type": "object", "required": []string{"tilejson", "tiles"},
				"properties": map[string]openapi.Schema{"tilejson": openapi.Str(), "tiles": openapi.Arr(openapi.Str())}})}}},
		openapi.Op{Method: "GET", Path: "/tiles/:z/:x/:y", Tag: "operations", Summary: "a Mapbox Vector Tile of the basemap (gzip when accepted; an empty tile is an empty body)",
			Params: []openapi.Param{openapi.PathParam("z", openapi.Int().Set("minimum", 0), "zoom"),
				openapi.PathParam("x", openapi.Int().Set("minimum", 0), "column"),
				openapi.PathParam("y", openapi.Str().Set("pattern", `^[0-9]+\.pbf$`), "row, then .pbf")},
			Responses: []openapi.Response{{Status: 200, Content: []openapi.Media{{Type: "application/vnd.mapbox-vector-tile", Schema: openapi.Str().Set("contentEncoding", "binary")}}}}},
	)
}
