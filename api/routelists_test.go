package api_test

import (
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
)

// TestRouteListsSurviveRestart: a driver's list is still there after the
// server restarts on the same file, and gone once it is older than two days.
func TestRouteListsSurviveRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lists", "route-lists.json")
	now := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	start := func() *httptest.Server {
		srv := httptest.NewServer(api.New(api.Deps{Store: memstore.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now: func() time.Time { return now }, RouteListFile: file,
			Extra: []func(gin.IRouter, *api.Handlers){api.OptimizeRoutes(nil)}}))
		t.Cleanup(srv.Close)
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
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved lists: %v %v", fi, err)
	}
	srv.Close()

	srv = start() // restart on the same file
	code, list := do(t, srv, "GET", "/v1/route-lists/"+id, "")
	if code != 200 || list["vehicle_name"] != "Van 3" || len(list["stops"].([]any)) != 4 {
		t.Fatalf("after restart: %d %v", code, list)
	}
	now = now.Add(49 * time.Hour)
	if code, got := do(t, srv, "GET", "/v1/route-lists/"+id, ""); code != 404 {
		t.Fatalf("two days later: %d %v", code, got)
	}
	srv.Close()
	srv = start() // an expired list is not loaded again
	if code, _ := do(t, srv, "GET", "/v1/route-lists/"+id, ""); code != 404 {
		t.Fatalf("expired list after restart: %d", code)
	}

	// an unreadable file is set aside, not fatal
	if err := os.WriteFile(file, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv = start()
	if code, _ := do(t, srv, "GET", "/v1/route-lists/"+id, ""); code != 404 {
		t.Fatalf("broken file: %d", code)
	}
	if _, err := os.Stat(file + ".unreadable"); err != nil {
		t.Fatalf("broken file not set aside: %v", err)
	}
}
