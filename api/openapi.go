package api

// GET /openapi.json: the OpenAPI 3.1 document of the routes this server
// serves, built once when the router is.
//
// How to describe a new route (TestOpenAPIMatchesRouter fails until you do):
//
//  1. In the api/openapi_<resource>.go file of its resource (make one for a
//     new resource: copy the shape of openapi_places.go), add an
//     openapi.Op to the describe(...) call of that file's init:
//
//     {Method: "POST", Path: "/v1/things/:id/frob", Tag: "things", Summary: "frob a thing",
//     Params: []openapi.Param{openapi.PathParam("id", idSchema, "the thing's id"),
//     openapi.Query("hard", openapi.Bool(), "frob harder (default false)")},
//     Body: &openapi.Body{Required: true, Content: openapi.JSON(frobRequest{})},
//     Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(thingView{})}}},
//
//     Path is gin's pattern, as registered. Bodies are Go values: the schema
//     is reflected from the type the handler decodes or renders (json tags,
//     omitempty, embedded structs). For a gin.H answer write the schema with
//     openapi.Obj(map[string]openapi.Schema{...}, "required", "fields").
//  2. Do not describe errors, roles or security: every operation gets the
//     error body (api/errors.go) as "default", and the roles, security and
//     401/403/429 answers come from the authorisation table
//     (api/auth/policy.go).
//  3. A type with its own MarshalJSON needs spec.Type(T{}, schema); a string
//     type with fixed values reads better with spec.Enum(T(""), values...).
//  4. go test ./api/ -run OpenAPI checks the document against the router
//     (both ways) and the OpenAPI 3.1 schema; cmd/lifeline's
//     TestREADMEExamplesMatchOpenAPI runs the README's curl examples.

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/api/openapi"
)

// spec collects the operations of every resource (their init functions).
var spec openapi.Builder

// describe registers operations (call it from an init function).
func describe(ops ...openapi.Op) { spec.Add(ops...) }

// Version is the API version in the document's info.
const Version = "1"

// OpenAPIDocument builds the document for the given routes (nil: every
// described operation), with the problems found (an operation described
// twice, a Go type that cannot be described).
func OpenAPIDocument(routes []openapi.Route) (map[string]any, error) {
	return spec.Document(openapi.Doc{
		Title:   "lifeline",
		Version: Version,
		Description: "Medical logistics in an epidemic lockdown: the zone map and its history, look-ups, roads under sealed zones, " +
			"shuttles and deliveries (VROOM's problem format), sampling sites, drivers' route lists.\n\n" +
			"Every /v1 route needs an account: a bearer token (`lifeline user token NAME`) or the browser's session cookie from " +
			"POST /v1/auth/login. Writes from a browser must come from the page's own origin (Origin and Sec-Fetch-Site are " +
			"checked; there is no CSRF token); CORS only for --cors-origins. Each operation's x-roles lists the roles that may " +
			"call it, from the authorisation table.\n\n" +
			"Errors are {\"code\", \"message\", \"details\"}; details is always an object and details.path names the offending " +
			"element. Malformed JSON is a 400, unknown fields a 400, a body over the limit a 413, an invalid value a 422.",
		Routes:      routes,
		Access:      access,
		ErrorSchema: "Error",
		Security: map[string]openapi.Schema{
			"bearer": {"type": "http", "scheme": "bearer",
				"description": "an API token (256-bit random secret, stored as a SHA-256 hash, with an expiry): `lifeline user token NAME` or POST /v1/accounts/{id}/tokens"},
			"session": {"type": "apiKey", "in": "cookie", "name": auth.SessionCookie,
				"description": "the browser session from POST /v1/auth/login (HttpOnly, SameSite=Strict; Secure behind TLS). Writes must be same-origin."},
		},
	})
}

// access reads the authorisation table for the document.
func access(method, path string) openapi.Access {
	r := auth.RuleFor(method, path)
	if r == nil {
		return openapi.Access{Unlisted: true}
	}
	a := openapi.Access{Public: r.Public, Expensive: r.Expensive}
	for _, role := range r.Roles {
		a.Roles = append(a.Roles, string(role))
	}
	return a
}

// serveOpenAPI registers GET /openapi.json on r; call it once every route
// is registered (the document lists the router's routes).
func serveOpenAPI(r *gin.Engine, log interface{ Error(string, ...any) }) {
	var doc []byte
	r.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json; charset=utf-8", doc) })
	var routes []openapi.Route
	for _, rt := range r.Routes() {
		routes = append(routes, openapi.Route{Method: rt.Method, Path: rt.Path})
	}
	d, err := OpenAPIDocument(routes)
	if err != nil {
		log.Error("the OpenAPI document has problems", "err", err)
	}
	doc, _ = json.Marshal(d)
}

// Schemas shared by every resource.
func init() {
	spec.Component("Error", openapi.Obj(map[string]openapi.Schema{
		"code":    openapi.Str().Desc("machine-readable: validation_failed, unknown_field, malformed_json, not_found, forbidden, rate_limited, ..."),
		"message": openapi.Str().Desc("for people; names the offending element"),
		"details": openapi.Map(openapi.Any()).Desc("always an object: path (the offending element, e.g. features[3].geometry.coordinates[0][5] or query.bbox), reason, limit, retry_after_s, request_id, ..."),
	}, "code", "message", "details").Desc("the body of every error answer"))
	geomTypes := openapi.Enum("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection")
	spec.Component("GeoJSONGeometry", openapi.Schema{"type": "object", "required": []string{"type"},
		"description": "a GeoJSON geometry (RFC 7946), [lon, lat] positions",
		"properties": map[string]openapi.Schema{
			"type":        geomTypes,
			"coordinates": {"type": "array"},
			"geometries":  openapi.Arr(openapi.Ref("GeoJSONGeometry")),
			"bbox":        openapi.Arr(openapi.Num()),
		}})
	spec.Component("GeoJSONFeature", openapi.Schema{"type": "object", "required": []string{"type", "geometry", "properties"},
		"description": "a GeoJSON Feature (RFC 7946)",
		"properties": map[string]openapi.Schema{
			"type":       openapi.Enum("Feature"),
			"id":         {"type": []any{"string", "number"}},
			"geometry":   openapi.Nullable(openapi.Ref("GeoJSONGeometry")),
			"properties": {"type": []any{"object", "null"}},
			"bbox":       openapi.Arr(openapi.Num()),
		}})
	spec.Component("GeoJSONFeatureCollection", openapi.Schema{"type": "object", "required": []string{"type", "features"},
		"description": "a GeoJSON FeatureCollection (RFC 7946); foreign members may follow",
		"properties": map[string]openapi.Schema{
			"type":     openapi.Enum("FeatureCollection"),
			"features": openapi.Arr(openapi.Ref("GeoJSONFeature")),
			"bbox":     openapi.Arr(openapi.Num()),
		}})
	spec.Enum(accounts.Role(""), names(accounts.Roles)...)
}

// Common pieces of the resources' descriptions.
var (
	idParam      = openapi.PathParam("id", openapi.Int().Set("minimum", 1), "the id")
	geojsonQuery = openapi.Query("format", openapi.Enum("json", "geojson"), "geojson answers GeoJSON (application/geo+json)")
	bboxQuery    = openapi.Query("bbox", openapi.Str().Set("pattern", `^[^,]+,[^,]+,[^,]+,[^,]+$`), "min_lon,min_lat,max_lon,max_lat: only what intersects it")
	asyncQuery   = openapi.Query("async", openapi.Bool(), "true: answer 202 with a job at once (poll GET /v1/jobs/{id}); default false waits for the result")
	timeLimitQ   = openapi.Query("time_limit", openapi.Str().Set("pattern", `^[0-9.]+(ns|us|µs|ms|s|m|h)([0-9.]+(ns|us|µs|ms|s|m|h))*$`), "solver budget as a Go duration (10s, 1m); default 5 s, at most 5 min")
	seedQuery    = openapi.Query("seed", openapi.Int().Set("minimum", 0), "solver seed (default 1): the same seed gives the same plan")
	snapQuery    = openapi.Query("snap_radius", openapi.Num().Set("exclusiveMinimum", 0), "metres within which a point snaps to a road (default 500, at most 5,000)")
)

// geoJSON is an application/geo+json answer.
func geoJSON(v any) openapi.Media { return openapi.Media{Type: "application/geo+json", Schema: v} }

// jsonOrGeoJSON answers v as JSON, or geo as GeoJSON with format=geojson.
func jsonOrGeoJSON(v, geo any) []openapi.Media {
	return []openapi.Media{{Type: "application/json", Schema: v}, geoJSON(geo)}
}

// jobAnswers are the answers of a solve: the result (sync) or the job (async).
func jobAnswers(result any) []openapi.Response {
	return []openapi.Response{
		{Status: 200, Description: "the result (without async)", Content: openapi.JSON(result)},
		{Status: 202, Description: "the job (async=true); poll its Location", Content: openapi.JSON(jobView{}), Headers: map[string]string{"Location": "/v1/jobs/{id}"}},
	}
}

// OpenAPIOps returns every described operation (for tests).
func OpenAPIOps() []openapi.Op { return spec.Ops() }
