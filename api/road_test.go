package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/routing/network"
	"lifeline/routing/osm"
)

// newDemoServer serves the demo district on the memstore with the road
// endpoints; extra builds more route groups from the demo's car network.
func newDemoServer(t *testing.T, extra ...func(n *network.Network) func(r gin.IRouter, h *api.Handlers)) (*httptest.Server, *network.Network) {
	t.Helper()
	d := demo.Default()
	st := memstore.New()
	if err := demo.Load(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	n, err := network.Build(context.Background(), bytes.NewReader(d.StreetsOSM), osm.Car, network.Options{})
	if err != nil {
		t.Fatal(err)
	}
	routes := []func(r gin.IRouter, h *api.Handlers){api.RoadRoutes(n)}
	for _, e := range extra {
		routes = append(routes, e(n))
	}
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Extra: routes}))
	t.Cleanup(srv.Close)
	return srv, n
}

func TestRoadEndpoints(t *testing.T) {
	srv, _ := newDemoServer(t)
	code, got := do(t, srv, "GET", "/v1/route?from=104.06,30.64&to=104.08,30.66", "")
	if code != 200 || got["time_s"].(float64) <= 0 || got["geometry"].(map[string]any)["type"] != "LineString" {
		t.Fatalf("route: %d %v", code, got)
	}
	routeTime := got["time_s"].(float64)
	code, got = do(t, srv, "GET", "/v1/route?from=104.06,30.64&to=104.08,30.66&geometry=false", "")
	if code != 200 || got["time_s"].(float64) != routeTime || got["geometry"] != nil || got["streets"] != nil {
		t.Fatalf("route without geometry: %d %v", code, got)
	}
	if code, got = do(t, srv, "GET", "/v1/route?from=104.06,30.64&to=104.08,30.66&geometry=no", ""); code != 400 {
		t.Fatalf("geometry=no: %d %v", code, got)
	}
	code, got = do(t, srv, "POST", "/v1/matrix", `{"sources":[[104.06,30.64]],"targets":[[104.08,30.66],[104.06,30.64]]}`)
	if code != 200 {
		t.Fatalf("matrix: %d %v", code, got)
	}
	row := got["durations"].([]any)[0].([]any)
	if d := row[0].(float64); d < routeTime-0.1 || d > routeTime+0.1 {
		t.Errorf("matrix time %v differs from the route's %v", d, routeTime)
	}
	if row[1].(float64) != 0 {
		t.Errorf("matrix diagonal %v, want 0", row[1])
	}
	code, got = do(t, srv, "GET", "/v1/isochrone?lon=104.07&lat=30.65&minutes=5", "")
	if code != 200 || len(got["h3_cells"].([]any)) == 0 || got["geometry"] == nil {
		t.Fatalf("isochrone: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/nearest?lon=104.07&lat=30.65&kind=hospital&k=2", "")
	if code != 200 || len(got["nearest"].([]any)) != 2 {
		t.Fatalf("nearest: %d %v", code, got)
	}
	n := got["nearest"].([]any)
	if n[0].(map[string]any)["time_s"].(float64) > n[1].(map[string]any)["time_s"].(float64) {
		t.Errorf("nearest not sorted by time: %v", n)
	}

	code, got = do(t, srv, "GET", "/v1/streets", "")
	if code != 200 || got["type"] != "FeatureCollection" || len(got["features"].([]any)) < 50 || got["truncated"] != false {
		t.Fatalf("streets: %d %v", code, got["type"])
	}
	all := len(got["features"].([]any))
	_, got = do(t, srv, "GET", "/v1/streets?bbox=104.06,30.64,104.07,30.65", "")
	if n := len(got["features"].([]any)); n == 0 || n >= all {
		t.Errorf("streets in a bbox: %d of %d", n, all)
	}

	bad := []struct{ method, path, body, wantPath string }{
		{"GET", "/v1/route?from=104.06&to=104.08,30.66", "", "query.from"},
		{"POST", "/v1/matrix", `{"sources":[[104.06,30.64],[104.06]]}`, "sources[1]"},
		{"POST", "/v1/matrix", `{"sources":[]}`, "sources"},
		{"GET", "/v1/route?from=0,0&to=104.08,30.66", "", ""}, // too far from any road
		{"GET", "/v1/isochrone?lon=104.07&lat=30.65&minutes=1000", "", "query.minutes"},
		{"GET", "/v1/nearest?lon=104.07&lat=30.65&kind=castle", "", "kind"},
	}
	for _, b := range bad {
		code, got := do(t, srv, b.method, b.path, b.body)
		if code < 400 || code >= 500 {
			t.Errorf("%s %s: status %d, want 4xx: %v", b.method, b.path, code, got)
			continue
		}
		if b.wantPath != "" {
			if p, _ := got["details"].(map[string]any)["path"].(string); p != b.wantPath {
				t.Errorf("%s %s: details.path %q, want %q", b.method, b.path, p, b.wantPath)
			}
		}
	}
}

func TestZonePopulation(t *testing.T) {
	srv, _ := newDemoServer(t)
	// The demo's first sealed zone covers one compound exactly: its whole population.
	code, got := do(t, srv, "GET", "/v1/zones?kind=sealed", "")
	if code != 200 {
		t.Fatal(code, got)
	}
	z := got["zones"].([]any)[0].(map[string]any)
	code, pop := do(t, srv, "GET", "/v1/zones/"+jsonID(z["id"])+"/population", "")
	if code != 200 {
		t.Fatal(code, pop)
	}
	est := pop["estimate"].(map[string]any)
	if est["population"].(float64) <= 0 || len(est["compounds"].([]any)) == 0 {
		t.Fatalf("sealed demo zone has no population: %v", pop)
	}
}

func jsonID(v any) string { return strconv.FormatInt(int64(v.(float64)), 10) }
