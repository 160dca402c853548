package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/memstore"
	"lifeline/data/storetest"
	"lifeline/routelists"
)

// TestRouteListsSurviveRestart: a driver's list and the driver's reports
// are in the store: still there after the server and its store restart,
// and gone once older than two days.
func TestRouteListsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.json")
	now := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	var st *memstore.Store
	start := func() *httptest.Server {
		var err error
		if st, err = memstore.OpenWith(path, memstore.Options{NoSync: true}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now: func() time.Time { return now }, Extra: []func(gin.IRouter, *api.Handlers){api.OptimizeRoutes(nil)}}))
		t.Cleanup(func() { srv.Close(); st.Close() })
		return srv
	}
	srv := start()
	body := `{"vehicles":[{"id":3,"start_index":0,"end_index":0,"description":"Van 3"}],
	  "jobs":[{"id":1,"location_index":1,"delivery":[]},{"id":2,"location_index":2,"description":"gate 2"}],
	  "matrices":{"car":{"durations":[[0,60,120],[60,0,60],[120,60,0]]}}}`
	code, got := do(t, srv, "POST", "/v1/optimize?time_limit=200ms", body)
	if code != 200 {
		t.Fatalf("optimize: %d %v", code, got)
	}
	id := got["routes"].([]any)[0].(map[string]any)["route_list"].(string)
	if code, got := do(t, srv, "PUT", "/v1/route-lists/"+id+"/stops/2/status", `{"status":"done"}`); code != 200 {
		t.Fatalf("report: %d %v", code, got)
	}
	srv.Close()
	st.Close()

	srv = start() // restart on the same store
	code, list := do(t, srv, "GET", "/v1/route-lists/"+id, "")
	if code != 200 || list["vehicle_name"] != "Van 3" || len(list["stops"].([]any)) != 4 ||
		list["stops"].([]any)[1].(map[string]any)["status"] != "done" {
		t.Fatalf("after restart: %d %v", code, list)
	}
	now = now.Add(49 * time.Hour)
	if code, got := do(t, srv, "GET", "/v1/route-lists/"+id, ""); code != 404 {
		t.Fatalf("two days later: %d %v", code, got)
	}
	if code, got := do(t, srv, "GET", "/v1/route-lists", ""); code != 200 || len(got["route_lists"].([]any)) != 0 {
		t.Fatalf("two days later, all lists: %d %v", code, got)
	}
}

// TestRouteListFileImported: the JSON file of an earlier version is
// imported into the store once (expired lists left out) and renamed; an
// unreadable one is set aside, not fatal.
func TestRouteListFileImported(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "route-lists.json")
	now := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	fresh, old := storetest.SampleRouteList(1), storetest.SampleRouteList(2)
	fresh.CreatedAt, old.CreatedAt = now.Add(-time.Hour), now.Add(-50*time.Hour)
	data, _ := json.Marshal([]routelists.List{fresh, old})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	start := func() *httptest.Server {
		srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now: func() time.Time { return now }, RouteListFile: file}))
		t.Cleanup(srv.Close)
		return srv
	}
	srv := start()
	if code, got := do(t, srv, "GET", "/v1/route-lists/"+fresh.ID, ""); code != 200 || got["vehicle_name"] != fresh.VehicleDescription {
		t.Fatalf("imported list: %d %v", code, got)
	}
	ls, _ := st.ListRouteLists(context.Background(), routelists.Filter{})
	if len(ls) != 1 {
		t.Fatalf("%d lists imported, want 1 (the expired one left out)", len(ls))
	}
	if _, err := os.Stat(file + ".imported"); err != nil {
		t.Fatalf("file not renamed: %v", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("file still there")
	}

	if err := os.WriteFile(file, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv = start()
	if code, _ := do(t, srv, "GET", "/v1/route-lists/"+fresh.ID, ""); code != 200 {
		t.Fatalf("after a broken file: %d", code)
	}
	if _, err := os.Stat(file + ".unreadable"); err != nil {
		t.Fatalf("broken file not set aside: %v", err)
	}
}

// TestRouteListStopWindows: a driver's list carries each stop's time
// windows from the problem, told apart by step type (a job and a
// shipment's steps may share an id), and none where the problem had none.
func TestRouteListStopWindows(t *testing.T) {
	st := memstore.New()
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extra: []func(gin.IRouter, *api.Handlers){api.OptimizeRoutes(nil)}}))
	t.Cleanup(srv.Close)
	body := `{"vehicles":[{"id":1,"start_index":0,"end_index":0,"capacity":[4]}],
	  "jobs":[{"id":7,"location_index":1,"time_windows":[[100,900]]},{"id":8,"location_index":2}],
	  "shipments":[{"amount":[1],"pickup":{"id":7,"location_index":3,"time_windows":[[0,600],[1200,1800]]},"delivery":{"id":9,"location_index":1,"time_windows":[[300,3000]]}}],
	  "matrices":{"car":{"durations":[[0,60,120,90],[60,0,60,90],[120,60,0,60],[90,90,60,0]]}}}`
	code, got := do(t, srv, "POST", "/v1/optimize?time_limit=200ms", body)
	if code != 200 || len(got["unassigned"].([]any)) != 0 {
		t.Fatalf("optimize: %d %v", code, got)
	}
	id := got["routes"].([]any)[0].(map[string]any)["route_list"].(string)
	code, list := do(t, srv, "GET", "/v1/route-lists/"+id, "")
	if code != 200 {
		t.Fatal(code, list)
	}
	want := map[string]string{"job:7": "[[100,900]]", "job:8": "null", "pickup:7": "[[0,600],[1200,1800]]", "delivery:9": "[[300,3000]]"}
	seen := 0
	for _, s := range list["stops"].([]any) {
		s := s.(map[string]any)
		if s["id"] == nil {
			continue
		}
		key := s["kind"].(string) + ":" + jsonID(s["id"])
		b, _ := json.Marshal(s["time_windows"])
		if w, ok := want[key]; !ok || string(b) != w {
			t.Errorf("stop %s: windows %s, want %s", key, b, w)
		}
		seen++
	}
	if seen != len(want) {
		t.Fatalf("%d stops with ids, want %d: %v", seen, len(want), list["stops"])
	}
}
