package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/jobs"
	"lifeline/routelists"
	"lifeline/routing/graph"
	"lifeline/routing/network"
	"lifeline/routing/osm"
)

var (
	demoNetsOnce      sync.Once
	demoCar, demoFoot *network.Network
	demoNetsErr       error
)

func demoNets(t *testing.T) (car, foot *network.Network) {
	t.Helper()
	demoNetsOnce.Do(func() {
		d := demo.Default()
		if demoCar, demoNetsErr = network.Build(context.Background(), bytes.NewReader(d.StreetsOSM), osm.Car, network.Options{}); demoNetsErr != nil {
			return
		}
		demoFoot, demoNetsErr = network.Build(context.Background(), bytes.NewReader(d.StreetsOSM), osm.Foot, network.Options{})
	})
	if demoNetsErr != nil {
		t.Fatal(demoNetsErr)
	}
	return demoCar, demoFoot
}

type svc struct {
	srv   *httptest.Server
	queue *jobs.Local
	store *memstore.Store
}

// newService serves the demo district with every endpoint, the given
// limits and a queue the test can watch. foot=false serves no foot network.
func newService(t *testing.T, lim api.Limits, foot bool) *svc {
	t.Helper()
	car, fn := demoNets(t)
	if !foot {
		fn = nil
	}
	st := memstore.New()
	if err := demo.Load(context.Background(), st, demo.Default()); err != nil {
		t.Fatal(err)
	}
	l := lim.WithDefaults()
	q := jobs.NewLocal(jobs.Options{Workers: l.SolveWorkers, QueueSize: l.SolveQueue, MaxJobs: l.MaxJobs})
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	s := &svc{queue: q, store: st}
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html></html>")
	})
	s.srv = httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: lim, Queue: q,
		Static: static,
		Extra: []func(r gin.IRouter, h *api.Handlers){api.RoadRoutes(car, fn), api.OptimizeRoutes(car), api.SitesRoutes(nil), api.ShuttleRoutes(car),
			api.DeliveryRoutes(car, api.DeliveryOptions{})}}))
	t.Cleanup(s.srv.Close)
	return s
}

// supplyProblem is a VROOM problem over the demo's supply points: n jobs,
// one vehicle, extra jobs appended as given.
func supplyProblem(t *testing.T, s *svc, n int, extra ...string) string {
	t.Helper()
	_, fs := do(t, s.srv, "GET", "/v1/facilities?kind=supply_point", "")
	all := fs["facilities"].([]any)
	var js []string
	for i := 0; i < n; i++ {
		p := all[i%len(all)].(map[string]any)["point"].([]any)
		js = append(js, fmt.Sprintf(`{"id":%d,"location":[%v,%v],"delivery":[1]}`, i+1, p[0], p[1]))
	}
	js = append(js, extra...)
	p0 := all[0].(map[string]any)["point"].([]any)
	return fmt.Sprintf(`{"vehicles":[{"id":1,"start":[%v,%v],"capacity":[1000]},{"id":2,"start":[%v,%v],"capacity":[1000]}],"jobs":[%s]}`,
		p0[0], p0[1], p0[0], p0[1], strings.Join(js, ","))
}

func request(t *testing.T, method, url, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp, m
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestSolveQueueBoundsAnd429 (issue item 5): with one worker and a queue of
// one, a third solve gets 429 with Retry-After; only one solve ever runs;
// sync solves and sites/plan go through the same queue.
func TestSolveQueueBoundsAnd429(t *testing.T) {
	s := newService(t, api.Limits{SolveWorkers: 1, SolveQueue: 1}, false)
	body := supplyProblem(t, s, 8)
	code, a := do(t, s.srv, "POST", "/v1/optimize?async=true&time_limit=20s", body)
	if code != 202 || a["state"] != "running" {
		t.Fatalf("first: %d %v", code, a)
	}
	code, b := do(t, s.srv, "POST", "/v1/optimize?async=true&time_limit=20s", body)
	if code != 202 || b["state"] != "queued" {
		t.Fatalf("second: %d %v", code, b)
	}
	for _, tc := range []struct{ path, body string }{
		{"/v1/optimize?async=true&time_limit=1s", body},
		{"/v1/optimize?time_limit=1s", body}, // sync too
		{"/v1/sites/plan", `{"sites":2}`},
	} {
		resp, m := request(t, "POST", s.srv.URL+tc.path, tc.body)
		if resp.StatusCode != 429 || m["code"] != "busy" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: %d %v (Retry-After %q)", tc.path, resp.StatusCode, m, resp.Header.Get("Retry-After"))
		}
		if _, ok := m["details"].(map[string]any); !ok {
			t.Fatalf("%s: details %v", tc.path, m["details"])
		}
	}
	if r, w, _ := s.queue.Stats(); r != 1 || w != 1 {
		t.Fatalf("running %d waiting %d, want 1 and 1", r, w)
	}
	for _, id := range []string{a["id"].(string), b["id"].(string)} {
		if code, j := do(t, s.srv, "DELETE", "/v1/jobs/"+id, ""); code != 200 || j["state"] != "cancelled" {
			t.Fatalf("cancel %s: %d %v", id, code, j)
		}
	}
	waitFor(t, "queue drained", 2*time.Second, func() bool { r, w, _ := s.queue.Stats(); return r == 0 && w == 0 })
	if code, got := do(t, s.srv, "POST", "/v1/optimize?time_limit=200ms", body); code != 200 || got["code"].(float64) != 0 {
		t.Fatalf("sync solve after the queue drained: %d %v", code, got)
	}
}

// TestCancelStopsWorkAndStaysCancelled (issue item 6): DELETE stops a
// running solve within a second, the job stays cancelled with no result,
// and no route list is written for it.
func TestCancelStopsWorkAndStaysCancelled(t *testing.T) {
	s := newService(t, api.Limits{SolveWorkers: 1}, false)
	code, j := do(t, s.srv, "POST", "/v1/optimize?async=true&time_limit=60s", supplyProblem(t, s, 30))
	if code != 202 {
		t.Fatalf("submit: %d %v", code, j)
	}
	id := j["id"].(string)
	waitFor(t, "progress reported", 10*time.Second, func() bool {
		_, j = do(t, s.srv, "GET", "/v1/jobs/"+id, "")
		return j["progress"] != nil
	})
	code, j = do(t, s.srv, "DELETE", "/v1/jobs/"+id, "")
	if code != 200 || j["state"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, j)
	}
	took := waitFor(t, "solver stopped", time.Second, func() bool { r, _, _ := s.queue.Stats(); return r == 0 })
	t.Logf("solver stopped %s after DELETE", took)
	time.Sleep(100 * time.Millisecond)
	_, j = do(t, s.srv, "GET", "/v1/jobs/"+id, "")
	if j["state"] != "cancelled" || j["result"] != nil {
		t.Fatalf("after the solver stopped: %v", j)
	}
	if ls, err := s.store.ListRouteLists(context.Background(), routelists.Filter{}); err != nil || len(ls) > 0 {
		t.Fatalf("route lists written for a cancelled job: %d %v", len(ls), err)
	}
	// cancelling again, or a job that never existed
	if code, j := do(t, s.srv, "DELETE", "/v1/jobs/"+id, ""); code != 200 || j["state"] != "cancelled" {
		t.Fatalf("second cancel: %d %v", code, j)
	}
	if code, j := do(t, s.srv, "GET", "/v1/jobs/nope", ""); code != 404 || j["details"] == nil {
		t.Fatalf("unknown job: %d %v", code, j)
	}
}

// TestSyncClientGoneCancels (issue item 4): a synchronous solve whose
// client goes away stops within a second.
func TestSyncClientGoneCancels(t *testing.T) {
	s := newService(t, api.Limits{SolveWorkers: 1}, false)
	body := supplyProblem(t, s, 20)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.srv.URL+"/v1/optimize?time_limit=60s", strings.NewReader(body))
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "solve running", 10*time.Second, func() bool { r, _, _ := s.queue.Stats(); return r == 1 })
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-errc
	took := waitFor(t, "solver stopped after the client left", time.Second, func() bool { r, _, tab := s.queue.Stats(); return r == 0 && tab == 0 })
	t.Logf("stopped %s after the client left", took)
}

// TestIsochroneLimits (issue item 4): h3_res and the cell count are bounded
// with a 422 naming the parameter and the limit.
func TestIsochroneLimits(t *testing.T) {
	s := newService(t, api.Limits{MaxIsochroneCells: 2000}, false)
	for _, tc := range []struct {
		q     string
		path  string
		limit float64
	}{
		{"minutes=5&h3_res=15", "query.h3_res", 12},
		{"minutes=15&h3_res=12", "query.h3_res", 2000},
		{"minutes=500", "query.minutes", 120},
	} {
		code, m := do(t, s.srv, "GET", "/v1/isochrone?lon=104.07&lat=30.65&"+tc.q, "")
		d, _ := m["details"].(map[string]any)
		if code != 422 || m["code"] != "limit_exceeded" || d["path"] != tc.path || d["limit"] != tc.limit {
			t.Errorf("%s: %d %v", tc.q, code, m)
		}
	}
	code, m := do(t, s.srv, "GET", "/v1/isochrone?lon=104.07&lat=30.65&minutes=5&h3_res=9", "")
	if code != 200 || len(m["h3_cells"].([]any)) == 0 {
		t.Fatalf("a bounded isochrone: %d %v", code, m["code"])
	}
}

// farPoint is about 2 km east of the demo district's easternmost node.
func farPoint(t *testing.T) [2]float64 {
	car, _ := demoNets(t)
	g := car.Graph()
	maxLon, lat := -180.0, 0.0
	for v := 0; v < g.NumNodes(); v++ {
		if p := g.Point(graph.NodeID(v)); p[0] > maxLon {
			maxLon, lat = p[0], p[1]
		}
	}
	return [2]float64{maxLon + 0.02, lat}
}

// TestMatrixSnapRadius (issue item 12): a point beyond its snap radius gets
// a null row or column and a reason; the others are answered; radii are
// per request and per point, and bounded.
func TestMatrixSnapRadius(t *testing.T) {
	s := newService(t, api.Limits{}, false)
	far := farPoint(t)
	good := "[104.06,30.64],[104.08,30.66]"
	body := fmt.Sprintf(`{"sources":[[104.06,30.64],[%v,%v],[104.08,30.66]],"targets":[%s,[%v,%v]]}`, far[0], far[1], good, far[0], far[1])
	code, m := do(t, s.srv, "POST", "/v1/matrix", body)
	if code != 200 {
		t.Fatalf("matrix with a far point: %d %v", code, m)
	}
	dur := m["durations"].([]any)
	for j, v := range dur[1].([]any) {
		if v != nil {
			t.Errorf("row of the far source, column %d: %v, want null", j, v)
		}
	}
	for i := range dur {
		if v := dur[i].([]any)[2]; v != nil {
			t.Errorf("column of the far target, row %d: %v, want null", i, v)
		}
	}
	if v := dur[0].([]any)[1]; v == nil || v.(float64) <= 0 {
		t.Errorf("the snapped cells are not answered: %v", dur[0])
	}
	src := m["sources"].([]any)
	fs := src[1].(map[string]any)
	if fs["point"] != nil || !strings.Contains(fs["error"].(string), "no road within 500 m") {
		t.Errorf("far source's snap: %v", fs)
	}
	if src[0].(map[string]any)["point"] == nil {
		t.Errorf("good source's snap: %v", src[0])
	}
	// a per-point radius snaps it; a request radius too
	for _, extra := range []string{`,"source_snap_radii":[null,5000,null],"target_snap_radii":[null,null,5000]`, `,"snap_radius":5000`} {
		code, m = do(t, s.srv, "POST", "/v1/matrix", body[:len(body)-1]+extra+"}")
		if code != 200 || m["durations"].([]any)[1].([]any)[0] == nil || m["durations"].([]any)[0].([]any)[2] == nil {
			t.Errorf("%s: %d %v", extra, code, m["durations"])
		}
	}
	for _, tc := range []struct{ extra, path string }{
		{`,"snap_radius":50000`, "snap_radius"},
		{`,"snap_radius":0`, "snap_radius"},
		{`,"source_snap_radii":[null,-1,null]`, "source_snap_radii[1]"},
		{`,"target_snap_radii":[1,2]`, "target_snap_radii"},
	} {
		code, m = do(t, s.srv, "POST", "/v1/matrix", body[:len(body)-1]+tc.extra+"}")
		if d, _ := m["details"].(map[string]any); code != 422 || d["path"] != tc.path {
			t.Errorf("%s: %d %v", tc.extra, code, m)
		}
	}
	// route and snap take snap_radius in the query
	q := fmt.Sprintf("from=104.06,30.64&to=%v,%v", far[0], far[1])
	if code, m = do(t, s.srv, "GET", "/v1/route?"+q, ""); code != 422 || m["details"].(map[string]any)["path"] != "query.to" {
		t.Errorf("route to a far point: %d %v", code, m)
	}
	if code, m = do(t, s.srv, "GET", "/v1/route?"+q+"&snap_radius=5000", ""); code != 200 {
		t.Errorf("route with snap_radius: %d %v", code, m)
	}
}

// TestOptimizeUnsnappedJob (issue item 12): a job whose location does not
// snap comes back unassigned with the reason; the rest is solved.
func TestOptimizeUnsnappedJob(t *testing.T) {
	s := newService(t, api.Limits{}, false)
	far := farPoint(t)
	body := supplyProblem(t, s, 5, fmt.Sprintf(`{"id":99,"location":[%v,%v],"delivery":[1]}`, far[0], far[1]))
	code, m := do(t, s.srv, "POST", "/v1/optimize?time_limit=300ms", body)
	if code != 200 || m["code"].(float64) != 0 {
		t.Fatalf("optimize: %d %v", code, m)
	}
	un := m["unassigned"].([]any)
	if len(un) != 1 || un[0].(map[string]any)["id"].(float64) != 99 || !strings.Contains(un[0].(map[string]any)["reason"].(string), "no road within 500 m") {
		t.Fatalf("unassigned: %v", un)
	}
	served := 0
	for _, r := range m["routes"].([]any) {
		for _, st := range r.(map[string]any)["steps"].([]any) {
			if st.(map[string]any)["type"] == "job" {
				served++
			}
		}
	}
	if served != 5 {
		t.Fatalf("served %d jobs, want 5", served)
	}
	code, m = do(t, s.srv, "POST", "/v1/optimize?time_limit=300ms&snap_radius=5000", body)
	if code != 200 || len(m["unassigned"].([]any)) != 0 {
		t.Fatalf("with snap_radius=5000: %d %v", code, m["unassigned"])
	}
}

// TestErrorContractEveryRoute walks every registered route with a bad
// number, a bad enum value and an unknown JSON field (where the route has
// them) and checks the status and the error's shape: code, message, and
// details an object naming the offending element. A route added without a
// row here fails the test.
const (
	deliveryJSON = `{"idempotency_key":"ec-1","compound_id":1,"building":"3","flat":"201","name":"Test Person","phone":"+86 100 0000 0001","items":[{"name":"Aspirin","quantity":1}]}`
	deliveryCSV  = "idempotency_key,compound_id,building,flat,name,phone,items\nk1,1,3,201,A B,+86 100 0000 0001,Aspirin x 1\n"
	deliveryVans = `{"vans":[{"id":1,"name":"v","depot":[104.06,30.64],"boxes":10,"volume_l":100,"shift_start":"08:00","shift_end":"18:00"}]}`
)

func TestErrorContractEveryRoute(t *testing.T) {
	s := newService(t, api.Limits{}, true)
	zone := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[104.0,30.0],[104.1,30.0],[104.1,30.1],[104.0,30.1],[104.0,30.0]]]},"properties":{"kind":"prevention","name":"z","effective_from":"2026-11-20T00:00:00Z","reason":"t"}}`
	code, z := do(t, s.srv, "POST", "/v1/zones", zone)
	if code != 201 {
		t.Fatalf("zone: %d %v", code, z)
	}
	zid := fmt.Sprint(int64(z["id"].(float64)))
	type bad struct {
		query, body string // appended to the path; the request body
		status      int
		path        string // details.path wanted ("" = any)
	}
	unknown := func(body string) bad {
		return bad{body: strings.Replace(body, "{", `{"nope":1,`, 1), status: 400, path: "nope"}
	}
	// a typo in a zone's properties is refused, not silently dropped
	typo := strings.Replace(zone, `"properties":{`, `"properties":{"efective_until":"2026-11-30T00:00:00Z",`, 1)
	matrix := `{"sources":[[104.06,30.64]]}`
	routeBody := `{"from":[104.06,30.64],"to":[104.08,30.66]}`
	rows := []struct {
		method, path string
		body         string // a valid body for POST/PUT
		cases        []bad
	}{
		{"GET", "/healthz", "", nil},
		{"GET", "/readyz", "", nil},
		{"GET", "/openapi.json", "", nil},
		{"GET", "/v1/zones", "", []bad{{query: "limit=1_04", status: 400, path: "query.limit"}, {query: "kind=castle", status: 400, path: "query.kind"}}},
		{"GET", "/v1/zones/export", "", []bad{{query: "bbox=0x1p6,30,105,31", status: 400, path: "query.bbox"}}},
		{"GET", "/v1/zones/" + zid, "", nil},
		{"GET", "/v1/zones/" + zid + "/population", "", nil},
		{"GET", "/v1/zones/" + zid + "/history", "", nil},
		{"GET", "/v1/compounds", "", []bad{{query: "bbox=104,30,105,0x1p6", status: 400, path: "query.bbox"}}},
		{"GET", "/v1/compounds/1", "", nil},
		{"GET", "/v1/facilities", "", []bad{{query: "bbox=1_04,30,105,31", status: 400, path: "query.bbox"}, {query: "kind=castle", status: 400, path: "query.kind"}}},
		{"GET", "/v1/facilities/1", "", nil},
		{"GET", "/v1/route", "", []bad{{query: "from=0x1p6,30.64&to=104.08,30.66", status: 400, path: "query.from"},
			{query: "from=104.06,30.64&to=104.08,30.66&profile=bike", status: 400, path: "query.profile"},
			{query: "from=104.06,30.64&to=104.08,30.66&geometry=maybe", status: 400, path: "query.geometry"},
			{query: "from=104.06,30.64&to=104.08,30.66&snap_radius=1_00", status: 400, path: "query.snap_radius"}}},
		{"GET", "/v1/route-lists/1234567890", "", nil},
		{"GET", "/v1/route-lists", "", nil},
		{"GET", "/v1/route-lists/shared", "", nil},
		{"POST", "/v1/route-lists/1234567890/share", "", nil},
		{"PUT", "/v1/route-lists/1234567890/stops/1/status", `{"status":"done"}`, nil},
		{"GET", "/v1/snap", "", []bad{{query: "lon=%2B104.06&lat=30.64", status: 400, path: "query.lon,lat"}}},
		{"GET", "/v1/streets", "", []bad{{query: "bbox=Inf,30,105,31", status: 400, path: "query.bbox"}}},
		{"GET", "/v1/lookup", "", []bad{{query: "lon=0x1p6&lat=30", status: 400, path: "query.lon"}}},
		{"GET", "/v1/jobs/x", "", nil},
		{"GET", "/v1/isochrone", "", []bad{{query: "lon=104.07&lat=30.65&minutes=1_0", status: 400, path: "query.minutes"},
			{query: "lon=104.07&lat=30.65&minutes=5&h3_res=0x9", status: 400, path: "query.h3_res"}}},
		{"GET", "/v1/nearest", "", []bad{{query: "lon=104.07&lat=30.65&kind=hospital&k=1_0", status: 400, path: "query.k"},
			{query: "lon=104.07&lat=30.65&kind=castle", status: 422, path: "kind"}}},
		{"POST", "/v1/zones", zone, []bad{{body: strings.Replace(zone, "104.1,30.0", "0x1p6,30.0", 1), status: 400},
			{body: typo, status: 400, path: "properties.efective_until"}}},
		{"POST", "/v1/zones/import", `{"type":"FeatureCollection","features":[` + zone + `]}`,
			[]bad{{body: `{"type":"FeatureCollection","features":[` + typo + `]}`, status: 400, path: "features[0].properties.efective_until"}}},
		{"POST", "/v1/zones/" + zid + "/lift", `{"at":"2026-11-21T00:00:00Z"}`, []bad{{body: `{"at":1_0}`, status: 400}}},
		{"POST", "/v1/lookup", `{"points":[[104.05,30.05]]}`, []bad{{body: `{"points":[[0x1p6,30.05]]}`, status: 400}}},
		{"POST", "/v1/compounds", `{"name":"c","population":10,"geometry":{"type":"Polygon","coordinates":[[[104.0,30.0],[104.1,30.0],[104.1,30.1],[104.0,30.0]]]}}`,
			[]bad{{body: `{"name":"c","population":1_0}`, status: 400}}},
		{"POST", "/v1/facilities", `{"kind":"pharmacy","name":"f","point":[104.06,30.64]}`, []bad{{body: `{"kind":"castle","name":"f","point":[104.06,30.64]}`, status: 422, path: "kind"}}},
		{"POST", "/v1/route", routeBody, []bad{{body: `{"from":[104.06,30.64],"to":[104.08,30.66],"profile":"bike"}`, status: 422, path: "profile"},
			{body: `{"from":[0x1p6,30.64],"to":[104.08,30.66]}`, status: 400}}},
		{"POST", "/v1/matrix", matrix, []bad{{body: `{"sources":[[1_04,30.64]]}`, status: 400}, {body: `{"sources":[[104.06,30.64]],"snap_radius":-5}`, status: 422, path: "snap_radius"}}},
		{"POST", "/v1/nearest", `{"point":[104.07,30.65],"kind":"hospital"}`, []bad{{body: `{"point":[104.07,30.65],"kind":"castle"}`, status: 422, path: "kind"}}},
		{"POST", "/v1/optimize", `{"vehicles":[{"id":1,"start":[104.06,30.64]}],"jobs":[{"id":1,"location":[104.07,30.65]}]}`,
			[]bad{{query: "seed=1_0", status: 400, path: "query.seed"}, {query: "time_limit=soon", status: 400, path: "query.time_limit"},
				{query: "async=maybe", status: 400, path: "query.async"}, {query: "iterations=0", status: 400, path: "query.iterations"}}},
		{"POST", "/v1/sites/plan", `{"sites":2}`, []bad{{query: "async=maybe", status: 400, path: "query.async"}, {body: `{"sites":"two"}`, status: 400, path: "sites"},
			{body: `{"sites":2,"time_limit_seconds":600}`, status: 422, path: "time_limit_seconds"}}},
		{"PUT", "/v1/zones/" + zid, zone, []bad{{body: typo, status: 400, path: "properties.efective_until"}}},
		{"GET", "/v1/riders", "", []bad{{query: "category=surgery", status: 400, path: "query.category"},
			{query: "compound_id=x", status: 400, path: "query.compound_id"}, {query: "limit=1_0", status: 400, path: "query.limit"}}},
		{"GET", "/v1/riders/1", "", nil},
		{"GET", "/v1/riders/1/destination", "", []bad{{query: "date=soon", status: 400, path: "query.date"},
			{query: "facility_id=-1", status: 400, path: "query.facility_id"}}},
		{"POST", "/v1/riders", riderJSON("D-017", 1, 3), []bad{{body: riderJSON("D-017", 1, 3, replace("07:30", "25:00")), status: 422, path: "sessions[0].start"},
			{body: riderJSON("D-017", 1, 3, replace(`"companions":1`, `"companions":1_0`)), status: 400}}},
		{"POST", "/v1/riders/import", riderCSV, []bad{{body: strings.Replace(riderCSV, "07:30", "25:00", 1), status: 422, path: "rows[2].start"},
			{body: "pseudonym,shoe\n", status: 422, path: "rows[1].[1]"}}},
		{"PUT", "/v1/riders/1", riderJSON("D-017", 1, 3), []bad{{body: riderJSON("D-017", 1, 3, replace(`"kind":"building"`, `"kind":"roof"`)), status: 422, path: "boarding.kind"}}},
		{"DELETE", "/v1/riders/1", "", nil},
		{"POST", "/v1/shuttles/plan", `{"date":"2026-11-30","van_count":2}`, []bad{{query: "time_limit=soon", status: 400, path: "query.time_limit"},
			{body: `{"date":"Monday"}`, status: 422, path: "date"}, {body: `{"date":"2026-11-30","van_count":"two"}`, status: 400, path: "van_count"},
			{body: `{"date":"2026-11-30","vans":[{"id":1,"start":[104.07,30.65],"seats":0}]}`, status: 422, path: "vans[0].seats"}}},
		{"GET", "/v1/shuttles/appointments", "", []bad{{query: "date=Monday", status: 400, path: "query.date"}, {query: "rider_id=-1", status: 400, path: "query.rider_id"}}},
		{"POST", "/v1/shuttles/appointments", `{"rider_id":1,"date":"2026-11-30","kind":"prenatal","start":"09:00","duration_min":45}`,
			[]bad{{body: `{"rider_id":1,"date":"2026-11-30","kind":"prenatal","start":"25:00","duration_min":45}`, status: 422, path: "start"},
				{body: `{"rider_id":1,"date":"2026-11-30","kind":"dialysis","start":"09:00","duration_min":45}`, status: 422, path: "kind"},
				{body: `{"rider_id":999,"date":"2026-11-30","kind":"other","start":"09:00","duration_min":45}`, status: 422, path: "rider_id"}}},
		{"DELETE", "/v1/shuttles/appointments/1", "", []bad{}},
		{"DELETE", "/v1/shuttles/appointments/x", "", []bad{{status: 400, path: "id"}}},
		{"GET", "/v1/shuttles/timetables/2026-11-30", "", []bad{{query: "van=x", status: 400, path: "query.van"}, {query: "format=pdf", status: 400, path: "query.format"}}},
		{"GET", "/v1/shuttles/timetables/Monday", "", []bad{{status: 400, path: "date"}}},
		{"GET", "/v1/shuttles/timetables/2026-11-30/versions", "", nil},
		{"GET", "/v1/shuttles/timetables/2026-11-30/versions/1", "", []bad{{query: "rider=0x1", status: 400, path: "query.rider"}}},
		{"GET", "/v1/shuttles/timetables/2026-11-30/versions/zero", "", []bad{{status: 400, path: "n"}}},
		{"POST", "/v1/shuttles/timetables/2026-11-30/changes", `{"at":"09:00","changes":[{"kind":"van_out","van":1}]}`,
			[]bad{{body: `{"at":"09:00","changes":[]}`, status: 422, path: "changes"}, {body: `{"at":"24:00","changes":[{"kind":"van_out","van":1}]}`, status: 422, path: "at"},
				{body: `{"at":"09:00","changes":[{"kind":"van_out","van":"one"}]}`, status: 400, path: "changes.van"},
				{query: "time_limit=soon", status: 400, path: "query.time_limit"}}},
		{"POST", "/v1/shuttles/urgent", `{"date":"2026-11-30","rider_id":1,"at":"09:00"}`,
			[]bad{{body: `{"date":"Monday","rider_id":1}`, status: 422, path: "date"}, {body: `{"date":"2026-11-30","rider_id":1,"at":"9h"}`, status: 422, path: "at"},
				{body: `{"date":"2026-11-30","rider_id":1,"at":"09:00","category":"dialysis"}`, status: 422, path: "category"}}},
		{"DELETE", "/v1/jobs/x", "", nil},
		{"POST", "/v1/deliveries/requests", deliveryJSON, []bad{{body: strings.Replace(deliveryJSON, `"quantity":1`, `"quantity":-2`, 1), status: 422, path: "items[0].quantity"},
			{body: strings.Replace(deliveryJSON, `"compound_id":1`, `"compound_id":9999`, 1), status: 422, path: "compound_id"},
			{body: strings.Replace(deliveryJSON, `"quantity":1`, `"quantity":"one"`, 1), status: 400, path: "items.quantity"}}},
		{"GET", "/v1/deliveries/requests", "", []bad{{query: "date=soon", status: 400, path: "query.date"}, {query: "state=lost", status: 400, path: "query.state"},
			{query: "supply_point_id=x", status: 400, path: "query.supply_point_id"}}},
		{"POST", "/v1/deliveries/requests/import", deliveryCSV, []bad{{body: deliveryCSV + "k9,1,3,201,A B,+86 100 0000 0009,Aspirin x -1\n", status: 422, path: "rows[3].items"},
			{query: "date=soon", body: deliveryCSV, status: 400, path: "query.date"}}},
		{"GET", "/v1/deliveries/requests/1", "", nil},
		{"POST", "/v1/deliveries/requests/1/state", `{"state":"failed","reason":"moved"}`, []bad{{body: `{"state":"lost"}`, status: 422, path: "state"}}},
		{"POST", "/v1/deliveries/batches", `{"date":"2099-01-01"}`, []bad{{query: "time_limit=soon", status: 400, path: "query.time_limit"},
			{body: `{"date":"Monday"}`, status: 422, path: "date"}}},
		{"GET", "/v1/deliveries/batches", "", []bad{{query: "date=soon", status: 400, path: "query.date"}}},
		{"GET", "/v1/deliveries/vans", "", nil},
		{"PUT", "/v1/deliveries/vans", deliveryVans, []bad{{body: strings.Replace(deliveryVans, `"boxes":10`, `"boxes":0`, 1), status: 422, path: "vans[0].boxes"}}},
		{"GET", "/v1/deliveries/routes", "", []bad{{query: "date=soon", status: 400, path: "query.date"}}},
		{"GET", "/v1/deliveries/supply-points/1/handover", "", []bad{{query: "date=soon", status: 400, path: "query.date"}}},
		{"GET", "/v1/deliveries/reconciliation", "", []bad{{query: "date=2026-02-30", status: 400, path: "query.date"}}},
	}
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.method+" "+r.path] = true
	}
	for _, r := range s.srv.Config.Handler.(*gin.Engine).Routes() {
		p := strings.NewReplacer(":id", "x").Replace(r.Path)
		found := false
		for k := range covered {
			m, path, _ := strings.Cut(k, " ")
			if m == r.Method && (path == p || strings.Count(path, "/") == strings.Count(r.Path, "/") && routeMatches(r.Path, path)) {
				found = true
			}
		}
		if !found {
			t.Errorf("route %s %s has no row in the error-contract table", r.Method, r.Path)
		}
	}
	check := func(what string, resp *http.Response, m map[string]any, status int, path string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d: %v", what, resp.StatusCode, status, m)
			return
		}
		d, ok := m["details"].(map[string]any)
		if _, c := m["code"].(string); !c || !ok {
			t.Errorf("%s: error shape: %v", what, m)
			return
		}
		msg, _ := m["message"].(string)
		for _, leak := range []string{"zones: ", "vroom: ", "routing: ", "network: ", "json: ", "strconv."} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: message leaks an error chain: %q", what, msg)
			}
		}
		if path != "" && d["path"] != path {
			t.Errorf("%s: details.path %v, want %q (%v)", what, d["path"], path, m)
		}
	}
	for _, r := range rows {
		cases := append([]bad{}, r.cases...)
		// every /v1 endpoint: a bad format, a bad async
		if strings.HasPrefix(r.path, "/v1/") {
			cases = append(cases, bad{query: "format=kml", body: r.body, status: 400, path: "query.format"},
				bad{query: "async=maybe", body: r.body, status: 400, path: "query.async"})
		}
		if r.body != "" && strings.HasPrefix(r.body, "{") && r.path != "/v1/zones/import" && r.path != "/v1/zones" && r.path != "/v1/zones/"+zid {
			cases = append(cases, unknown(r.body))
		}
		for _, b := range cases {
			body := b.body
			if body == "" && b.query != "" {
				body = r.body
			}
			sep := "?"
			if strings.Contains(r.path, "?") {
				sep = "&"
			}
			url := s.srv.URL + r.path
			if b.query != "" {
				url += sep + b.query
			}
			resp, m := request(t, r.method, url, body)
			check(r.method+" "+r.path+" "+b.query+" "+body, resp, m, b.status, b.path)
		}
	}
}

// routeMatches reports whether a concrete path matches a gin pattern.
func routeMatches(pattern, path string) bool {
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], ":") && ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// TestErrorDetailsMessagesHeadAndFoot (issue item 10): details is always an
// object, domain errors carry no Go error chain, HEAD / answers 200, and
// profile=foot routes on the foot network or says it cannot.
func TestErrorDetailsMessagesHeadAndFoot(t *testing.T) {
	s := newService(t, api.Limits{}, true)
	zone := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[104.0,30.0],[104.1,30.0],[104.1,30.1],[104.0,30.1],[104.0,30.0]]]},"properties":{"kind":"prevention","name":"z","effective_from":"2026-11-20T00:00:00Z","reason":"t"}}`
	_, z := do(t, s.srv, "POST", "/v1/zones", zone)
	lift := fmt.Sprintf("/v1/zones/%d/lift", int64(z["id"].(float64)))
	if code, m := do(t, s.srv, "POST", lift, `{"at":"2026-11-21T00:00:00Z"}`); code != 200 {
		t.Fatalf("lift: %d %v", code, m)
	}
	code, m := do(t, s.srv, "POST", lift, `{"at":"2026-11-22T00:00:00Z"}`)
	if msg, _ := m["message"].(string); code != 409 || strings.Contains(msg, "zones:") || strings.Contains(msg, ": conflict") {
		t.Errorf("second lift: %d %q", code, msg)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/nothing"}, {"PATCH", "/v1/matrix"}, {"GET", "/v1/zones/999999"}, {"GET", "/v1/jobs/abc"},
		{"POST", "/v1/matrix"}, // empty body
	} {
		resp, m := request(t, tc.method, s.srv.URL+tc.path, "")
		if d, ok := m["details"].(map[string]any); !ok || d == nil || resp.StatusCode < 400 {
			t.Errorf("%s %s: %d details %v", tc.method, tc.path, resp.StatusCode, m)
		}
		if msg, _ := m["message"].(string); strings.Contains(msg, "zones: ") {
			t.Errorf("%s %s: message %q", tc.method, tc.path, msg)
		}
	}
	resp, err := http.Head(s.srv.URL + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD /: %v %v", err, resp)
	}
	resp.Body.Close()

	// profile=foot: routes on the foot network (walking is slower)
	q := "/v1/route?from=104.06,30.64&to=104.08,30.66&geometry=false"
	_, car := do(t, s.srv, "GET", q, "")
	code, foot := do(t, s.srv, "GET", q+"&profile=foot", "")
	if code != 200 || foot["profile"] != "foot" || car["profile"] != "car" || foot["time_s"].(float64) <= car["time_s"].(float64) {
		t.Fatalf("foot route: %d %v (car %v)", code, foot, car)
	}
	code, foot = do(t, s.srv, "POST", "/v1/route", `{"from":[104.06,30.64],"to":[104.08,30.66],"profile":"foot"}`)
	if code != 200 || foot["profile"] != "foot" {
		t.Fatalf("foot route by POST: %d %v", code, foot)
	}
	noFoot := newService(t, api.Limits{}, false)
	code, m = do(t, noFoot.srv, "GET", q+"&profile=foot", "")
	if code != 422 || m["code"] != "profile_unavailable" || m["details"].(map[string]any)["path"] != "query.profile" {
		t.Fatalf("foot without a foot network: %d %v", code, m)
	}
}

// TestOptimizeWithMatrices: a problem that brings its matrices is decoded
// once, before it is queued, and solved; a bad one is refused before it
// takes a queue slot.
func TestOptimizeWithMatrices(t *testing.T) {
	s := newService(t, api.Limits{SolveWorkers: 1, SolveQueue: 1}, false)
	body := `{"vehicles":[{"id":1,"start_index":0,"end_index":0,"capacity":[4]}],
		"jobs":[{"id":1,"location_index":1,"delivery":[1]},{"id":2,"location_index":2,"delivery":[1]}],
		"matrices":{"car":{"durations":[[0,100,200],[100,0,150],[200,150,0]]}}}`
	code, m := do(t, s.srv, "POST", "/v1/optimize?time_limit=200ms", body)
	if code != 200 || m["code"].(float64) != 0 || len(m["routes"].([]any)) != 1 || len(m["unassigned"].([]any)) != 0 {
		t.Fatalf("matrices problem: %d %v", code, m)
	}
	if d := m["summary"].(map[string]any)["duration"].(float64); d != 450 {
		t.Fatalf("duration %v, want 450 (0-1-2-0)", d)
	}
	bad := strings.Replace(body, `"location_index":2`, `"location_index":7`, 1)
	code, m = do(t, s.srv, "POST", "/v1/optimize?time_limit=200ms", bad)
	if code != 422 || m["details"].(map[string]any)["path"] == nil {
		t.Fatalf("index beyond the matrix: %d %v", code, m)
	}
	if _, _, tab := s.queue.Stats(); tab != 0 {
		t.Fatalf("a refused problem left %d jobs in the table", tab)
	}
}

// TestOptimizeIterationsReproducible: iterations=N gives the same plan for
// the same document and seed, even while other goroutines burn the CPU,
// and the summary reports the iterations and where the time went.
func TestOptimizeIterationsReproducible(t *testing.T) {
	s := newService(t, api.Limits{SolveWorkers: 1, SolveQueue: 2}, false)
	const n = 25
	var pts [n + 1][2]float64
	for i := range pts {
		pts[i] = [2]float64{float64((i * 37) % 101), float64((i * 61) % 97)}
	}
	var rows []string
	for i := range pts {
		var r []string
		for j := range pts {
			r = append(r, fmt.Sprint(int(math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1])*10)))
		}
		rows = append(rows, "["+strings.Join(r, ",")+"]")
	}
	var jobsJSON []string
	for i := 1; i <= n; i++ {
		jobsJSON = append(jobsJSON, fmt.Sprintf(`{"id":%d,"location_index":%d,"delivery":[1]}`, i, i))
	}
	body := `{"vehicles":[{"id":1,"start_index":0,"end_index":0,"capacity":[9]},{"id":2,"start_index":0,"end_index":0,"capacity":[9]},` +
		`{"id":3,"start_index":0,"end_index":0,"capacity":[9]},{"id":4,"start_index":0,"end_index":0,"capacity":[9]}],"jobs":[` +
		strings.Join(jobsJSON, ",") + `],"matrices":{"car":{"durations":[` + strings.Join(rows, ",") + `]}}}`
	plan := func(m map[string]any) string { // vehicles and stops (route_list codes are random)
		var b strings.Builder
		for _, r := range m["routes"].([]any) {
			fmt.Fprint(&b, r.(map[string]any)["vehicle"], ":")
			for _, st := range r.(map[string]any)["steps"].([]any) {
				fmt.Fprint(&b, st.(map[string]any)["id"], ",")
			}
			b.WriteString(" ")
		}
		return b.String()
	}
	code, a := do(t, s.srv, "POST", "/v1/optimize?iterations=400&seed=3", body)
	if code != 200 || a["code"].(float64) != 0 {
		t.Fatalf("%d %v", code, a)
	}
	sum := a["summary"].(map[string]any)
	if sum["iterations"].(float64) != 400 {
		t.Fatalf("summary.iterations %v, want 400", sum["iterations"])
	}
	ct := sum["computing_times"].(map[string]any)
	for _, k := range []string{"loading", "solving", "routing", "matrix", "encoding"} {
		if _, ok := ct[k]; !ok {
			t.Fatalf("computing_times lacks %s: %v", k, ct)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 1.0
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1e5; i++ {
					x = math.Sqrt(x + float64(i))
				}
			}
		}()
	}
	code, b := do(t, s.srv, "POST", "/v1/optimize?iterations=400&seed=3", body)
	close(stop)
	wg.Wait()
	if code != 200 || plan(a) != plan(b) || a["summary"].(map[string]any)["cost"] != b["summary"].(map[string]any)["cost"] {
		t.Fatalf("same seed and iterations under load gave another plan:\n%s\n%s", plan(a), plan(b))
	}
}

// TestRequestLimits (issue item 4): every bounded quantity answers 422
// limit_exceeded naming the element and the limit, from api.Limits.
func TestRequestLimits(t *testing.T) {
	s := newService(t, api.Limits{MaxMatrixPoints: 3, MaxMatrixCells: 6, MaxOptimizeTasks: 4, MaxOptimizeVehicles: 1,
		MaxOptimizeTime: 30 * time.Second, MaxNearestResults: 2, MaxSnapRadius: 800}, false)
	pts := func(n int) string {
		var ps []string
		for i := 0; i < n; i++ {
			ps = append(ps, fmt.Sprintf("[104.06,%.3f]", 30.64+float64(i)*0.001))
		}
		return "[" + strings.Join(ps, ",") + "]"
	}
	for _, tc := range []struct {
		method, path, body string
		wantPath           string
		limit              any
	}{
		{"POST", "/v1/matrix", `{"sources":` + pts(4) + `}`, "sources", 3.0},
		{"POST", "/v1/matrix", `{"sources":` + pts(3) + `,"targets":` + pts(3) + `}`, "targets", 6.0},
		{"POST", "/v1/matrix", `{"sources":` + pts(1) + `,"snap_radius":801}`, "snap_radius", 800.0},
		{"POST", "/v1/optimize", supplyProblem(t, s, 5), "jobs", 4.0},
		{"POST", "/v1/optimize?time_limit=31s", supplyProblem(t, s, 2), "query.time_limit", "30s"},
		{"GET", "/v1/nearest?lon=104.07&lat=30.65&kind=hospital&k=3", "", "k", 2.0},
		{"GET", "/v1/route?from=104.06,30.64&to=104.08,30.66&snap_radius=1000", "", "query.snap_radius", 800.0},
	} {
		code, m := do(t, s.srv, tc.method, tc.path, tc.body)
		d, _ := m["details"].(map[string]any)
		if code != 422 || m["code"] != "limit_exceeded" || d["path"] != tc.wantPath || d["limit"] != tc.limit {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, code, m)
		}
	}
	// two vehicles in supplyProblem: over MaxOptimizeVehicles once the jobs fit
	code, m := do(t, s.srv, "POST", "/v1/optimize", supplyProblem(t, s, 2))
	if d, _ := m["details"].(map[string]any); code != 422 || d["path"] != "vehicles" || d["limit"] != 1.0 {
		t.Errorf("vehicles: %d %v", code, m)
	}
}
