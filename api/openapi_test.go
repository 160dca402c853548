package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/api/auth"
	"lifeline/api/openapi"
	"lifeline/api/openapi/oastest"
	"lifeline/data/memstore"
	"lifeline/internal/metrics"
)

// fullRouter is the router of `lifeline serve` with every part wired (auth,
// metrics, the engines' routes, tiles), engines left nil: for walking routes.
func fullRouter(t *testing.T) *gin.Engine {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := api.New(api.Deps{Store: st, Logger: log, Metrics: metrics.New(), Auth: auth.New(auth.Config{Store: st, Logger: log}),
		Extra: []func(gin.IRouter, *api.Handlers){api.RoadRoutes(nil), api.SitesRoutes(nil), api.OptimizeRoutes(nil), api.ShuttleRoutes(nil), api.DeliveryRoutes(nil, api.DeliveryOptions{})},
		Root:  []func(gin.IRouter, *api.Handlers){api.TileRoutes(nil, api.TileOptions{})}})
	return h.(*gin.Engine)
}

func getOpenAPI(t *testing.T, h http.Handler) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/openapi.json", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	return w.Body.Bytes()
}

// TestOpenAPIMatchesRouter: every route of the router has an operation in
// /openapi.json and every operation a route (gin's :id is OpenAPI's {id}),
// and every described operation has a route in the full server.
func TestOpenAPIMatchesRouter(t *testing.T) {
	r := fullRouter(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Summary string   `json:"summary"`
			Roles   []string `json:"x-roles"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(getOpenAPI(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, rt := range r.Routes() {
		k := rt.Method + " " + openapi.OASPath(rt.Path)
		routes[k] = true
		op, ok := doc.Paths[openapi.OASPath(rt.Path)][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not in /openapi.json", rt.Method, rt.Path)
			continue
		}
		if op.Summary == "(not described yet)" {
			t.Errorf("route %s %s has no description: add an openapi.Op in api/openapi_<resource>.go (see api/openapi.go)", rt.Method, rt.Path)
		}
		if strings.HasPrefix(rt.Path, "/v1/") && len(op.Roles) == 0 {
			t.Errorf("route %s %s: no x-roles from the authorisation table", rt.Method, rt.Path)
		}
	}
	n := 0
	for p, item := range doc.Paths {
		for m := range item {
			n++
			if !routes[strings.ToUpper(m)+" "+p] {
				t.Errorf("/openapi.json describes %s %s, which the router does not serve", strings.ToUpper(m), p)
			}
		}
	}
	// the full list too: an operation whose route is gone fails here even
	// though the served document leaves it out
	for _, op := range api.OpenAPIOps() {
		if !routes[op.Method+" "+openapi.OASPath(op.Path)] {
			t.Errorf("api/openapi_*.go describes %s %s, which the router does not serve: remove it", op.Method, op.Path)
		}
	}
	if n != len(r.Routes()) || n < 60 {
		t.Errorf("%d operations for %d routes", n, len(r.Routes()))
	}
}

// TestOpenAPIValid: the document is valid OpenAPI 3.1 (against the
// OpenAPI Initiative's schema), every schema in it compiles as JSON Schema
// 2020-12 with its $refs resolved, no Go type failed to describe, and the
// roles come from the authorisation table.
func TestOpenAPIValid(t *testing.T) {
	r := fullRouter(t)
	raw := getOpenAPI(t, r)
	v, err := oastest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range v.CompileAll() {
		t.Error(err)
	}
	if _, err := api.OpenAPIDocument(nil); err != nil {
		t.Error(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Roles     []string         `json:"x-roles"`
			Security  []map[string]any `json:"security"`
			Responses map[string]any   `json:"responses"`
			Limited   bool             `json:"x-rate-limited"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, rule := range auth.Table {
		op := doc.Paths[openapi.OASPath(rule.Path)][strings.ToLower(rule.Method)]
		want := []string{"public"}
		if !rule.Public {
			want = []string{"admin"}
			for _, r := range rule.Roles {
				want = append(want, string(r))
			}
		}
		sort.Strings(want)
		got := append([]string(nil), op.Roles...)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s %s: x-roles %v, the table says %v", rule.Method, rule.Path, got, want)
		}
		if rule.Public != (len(op.Security) == 0) {
			t.Errorf("%s %s: security %v for public=%v", rule.Method, rule.Path, op.Security, rule.Public)
		}
		if _, ok := op.Responses["401"]; ok == rule.Public {
			t.Errorf("%s %s: 401 described=%v for public=%v", rule.Method, rule.Path, ok, rule.Public)
		}
		if op.Limited != rule.Expensive {
			t.Errorf("%s %s: x-rate-limited %v, the table says %v", rule.Method, rule.Path, op.Limited, rule.Expensive)
		}
	}
	// the error body validates an error of the server (a 404 of the router)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/healthz/nope", nil))
	if err := v.Response("GET", "/healthz", 500, "application/json", w.Body.Bytes()); err != nil {
		t.Errorf("an error body does not validate against the error schema: %v", err)
	}
	// and a 401 of the auth layer
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/v1/zones", nil))
	if w.Code != 401 {
		t.Fatalf("GET /v1/zones without credentials: %d", w.Code)
	}
	if err := v.Response("GET", "/v1/zones", 401, w.Header().Get("Content-Type"), w.Body.Bytes()); err != nil {
		t.Errorf("the auth layer's 401 does not validate: %v", err)
	}
}

// TestOpenAPIServedOpen: /openapi.json needs no account and lists only the
// routes this server serves (no /metrics without metrics, no tiles without
// a basemap).
func TestOpenAPIServedOpen(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	h := api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	raw := getOpenAPI(t, h)
	if _, err := oastest.New(raw); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	_ = json.Unmarshal(raw, &doc)
	for _, p := range []string{"/metrics", "/tiles/{z}/{x}/{y}", "/v1/optimize", "/v1/auth/login"} {
		if _, ok := doc.Paths[p]; ok {
			t.Errorf("%s is listed but this server does not serve it", p)
		}
	}
	for _, p := range []string{"/v1/zones", "/healthz", "/openapi.json"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("%s is missing", p)
		}
	}
}

// TestOpenAPIRejects: the validator used by the README test is not a
// rubber stamp: bodies and parameters that the server refuses fail it.
func TestOpenAPIRejects(t *testing.T) {
	v, err := oastest.New(getOpenAPI(t, fullRouter(t)))
	if err != nil {
		t.Fatal(err)
	}
	good := []struct{ method, url, body string }{
		{"POST", "/v1/lookup", `{"points":[[104.07,30.67]]}`},
		{"GET", "/v1/zones?kind=sealed&format=geojson", ""},
		{"POST", "/v1/zones/9/lift", `{"at":"2026-11-30T00:00:00+08:00"}`},
		{"GET", "/v1/zones/export", ""},
	}
	for _, c := range good {
		if err := v.Request(c.method, c.url, "", []byte(c.body)); err != nil {
			t.Errorf("%s %s %s: %v", c.method, c.url, c.body, err)
		}
	}
	bad := []struct{ method, url, body string }{
		{"POST", "/v1/lookup", `{"points":[[104.07,30.67]],"nope":1}`}, // unknown field
		{"POST", "/v1/lookup", `{"points":[[104.07]]}`},                // not [lon, lat]
		{"POST", "/v1/lookup", ``},                                     // body required
		{"GET", "/v1/zones?kind=castle", ""},                           // enum
		{"GET", "/v1/zones?colour=red", ""},                            // unknown parameter
		{"GET", "/v1/lookup?lat=30", ""},                               // required lon
		{"GET", "/v1/zones/abc", ""},                                   // id is an integer
		{"PATCH", "/v1/zones/1", ""},                                   // no such operation
		{"POST", "/v1/matrix", `{"sources":[[104.06,30.66]],"snap_radius":"far"}`},
	}
	for _, c := range bad {
		if err := v.Request(c.method, c.url, "", []byte(c.body)); err == nil {
			t.Errorf("%s %s %s: passed", c.method, c.url, c.body)
		}
	}
	if err := v.Response("GET", "/healthz", 200, "application/json", []byte(`{"status":"ok","extra":1}`)); err == nil {
		t.Error("an answer with an undescribed member passed")
	}
	if err := v.Response("GET", "/healthz", 200, "text/html", []byte(`<html>`)); err == nil {
		t.Error("an answer of an undescribed content type passed")
	}
}
