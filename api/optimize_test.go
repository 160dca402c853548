package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"lifeline/api"
)

// TestOptimizeVROOMOnDemo solves a VROOM-format delivery problem whose
// locations are coordinates on the demo district: the matrix comes from the
// road engine, the answer is VROOM's solution document.
func TestOptimizeVROOMOnDemo(t *testing.T) {
	srv, _ := newDemoServer(t, api.OptimizeRoutes)
	_, fs := do(t, srv, "GET", "/v1/facilities?kind=supply_point", "")
	_, depots := do(t, srv, "GET", "/v1/facilities?kind=depot", "")
	depot := depots["facilities"].([]any)[0].(map[string]any)["point"].([]any)
	var jobs []string
	for i, f := range fs["facilities"].([]any)[:12] {
		p := f.(map[string]any)["point"].([]any)
		jobs = append(jobs, fmt.Sprintf(`{"id":%d,"description":"supply point %d","location":[%v,%v],"service":120,"delivery":[3],"time_windows":[[28800,43200]]}`, i+1, i+1, p[0], p[1]))
	}
	body := fmt.Sprintf(`{"vehicles":[{"id":1,"start":[%v,%v],"end":[%v,%v],"capacity":[20],"time_window":[28800,64800]},
		{"id":2,"start":[%v,%v],"end":[%v,%v],"capacity":[20],"time_window":[28800,64800]}],"jobs":[%s]}`,
		depot[0], depot[1], depot[0], depot[1], depot[0], depot[1], depot[0], depot[1], strings.Join(jobs, ","))
	code, got := do(t, srv, "POST", "/v1/optimize?time_limit=1s", body)
	if code != 200 || got["code"].(float64) != 0 {
		t.Fatalf("optimize: %d %v", code, got)
	}
	served := 0
	for _, r := range got["routes"].([]any) {
		load := 0.0
		for _, s := range r.(map[string]any)["steps"].([]any) {
			sm := s.(map[string]any)
			if sm["type"] == "job" {
				served++
				if a := sm["arrival"].(float64); a > 43200 {
					t.Errorf("job %v served at %v, after its window", sm["id"], a)
				}
			}
			if l, ok := sm["load"].([]any); ok && l[0].(float64) > load {
				load = l[0].(float64)
			}
		}
		if load > 20 {
			t.Errorf("route of vehicle %v carries %v > capacity 20", r.(map[string]any)["vehicle"], load)
		}
	}
	if served+len(got["unassigned"].([]any)) != 12 || served != 12 {
		t.Fatalf("served %d of 12 jobs (unassigned %v)", served, got["unassigned"])
	}

	// Each route has a route list for its driver: the same stops in the same
	// order, the job's description as the stop's name, boxes handed over.
	codes := map[string]bool{}
	for _, r := range got["routes"].([]any) {
		rm := r.(map[string]any)
		code, _ := rm["route_list"].(string)
		if len(code) != 10 || codes[code] {
			t.Fatalf("route list code %q (seen %v)", code, codes)
		}
		codes[code] = true
		lc, list := do(t, srv, "GET", "/v1/route-lists/"+code, "")
		if lc != 200 || list["id"] != code || list["vehicle"] != rm["vehicle"] {
			t.Fatalf("route list %s: %d %v", code, lc, list)
		}
		steps, stops := rm["steps"].([]any), list["stops"].([]any)
		if len(steps) != len(stops) {
			t.Fatalf("route list %s: %d stops for %d steps", code, len(stops), len(steps))
		}
		for k, st := range steps {
			sm, lm := st.(map[string]any), stops[k].(map[string]any)
			if sm["type"] != lm["kind"] || sm["arrival"] != lm["arrival"] || fmt.Sprint(sm["id"]) != fmt.Sprint(lm["id"]) {
				t.Fatalf("stop %d: step %v, list %v", k, sm, lm)
			}
			if sm["type"] == "job" {
				if lm["name"] != fmt.Sprintf("supply point %v", sm["id"]) {
					t.Errorf("stop %d name %v", k, lm["name"])
				}
				if items := lm["items"].([]any); items[0].(float64) != -3 {
					t.Errorf("stop %d hands over %v, want -3", k, items)
				}
			}
		}
	}
	if code, got := do(t, srv, "GET", "/v1/route-lists/0000000000", ""); code != 404 || got["code"] != "not_found" {
		t.Fatalf("unknown route list: %d %v", code, got)
	}

	// Validation names the element.
	code, got = do(t, srv, "POST", "/v1/optimize", `{"vehicles":[{"id":1,"start_index":0}],"jobs":[{"id":1,"location_index":5}],"matrices":{"car":{"durations":[[0,1],[1,0]]}}}`)
	if code != 422 || !strings.HasPrefix(got["details"].(map[string]any)["path"].(string), "jobs[0]") {
		t.Fatalf("bad location index: %d %v", code, got)
	}
	code, got = do(t, srv, "POST", "/v1/optimize?time_limit=forever", `{}`)
	if code != 400 {
		t.Fatalf("bad time limit: %d %v", code, got)
	}
}

// TestOptimizeAsync runs a coordinates problem as a job: the road matrix is
// computed after the 202 went out (on the job's context, not the
// request's), progress is readable while it runs, and the result carries
// the drivers' route lists.
func TestOptimizeAsync(t *testing.T) {
	srv, _ := newDemoServer(t, api.OptimizeRoutes)
	_, fs := do(t, srv, "GET", "/v1/facilities?kind=supply_point", "")
	var jobs []string
	for i, f := range fs["facilities"].([]any)[:6] {
		p := f.(map[string]any)["point"].([]any)
		jobs = append(jobs, fmt.Sprintf(`{"id":%d,"location":[%v,%v],"delivery":[1]}`, i+1, p[0], p[1]))
	}
	p0 := fs["facilities"].([]any)[0].(map[string]any)["point"].([]any)
	body := fmt.Sprintf(`{"vehicles":[{"id":1,"start":[%v,%v],"capacity":[10]}],"jobs":[%s]}`, p0[0], p0[1], strings.Join(jobs, ","))
	code, j := do(t, srv, "POST", "/v1/optimize?async=true&time_limit=300ms", body)
	if code != 202 || j["state"] != "running" {
		t.Fatalf("async optimize: %d %v", code, j)
	}
	id := j["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for j["state"] == "running" {
		if time.Now().After(deadline) {
			t.Fatalf("job still running: %v", j)
		}
		time.Sleep(50 * time.Millisecond)
		_, j = do(t, srv, "GET", "/v1/jobs/"+id, "")
	}
	if j["state"] != "done" {
		t.Fatalf("job %v", j)
	}
	res := j["result"].(map[string]any)
	routes := res["routes"].([]any)
	if len(routes) != 1 || len(res["unassigned"].([]any)) != 0 {
		t.Fatalf("result %v", res)
	}
	code, list := do(t, srv, "GET", "/v1/route-lists/"+routes[0].(map[string]any)["route_list"].(string), "")
	if code != 200 || len(list["stops"].([]any)) != 7 { // start + 6 jobs (open end)
		t.Fatalf("route list: %d %v", code, list)
	}
}
