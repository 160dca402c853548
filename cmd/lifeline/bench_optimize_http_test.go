package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchOptimizeHTTP posts a 1,000-stop delivery problem with
// coordinates (so the road matrix is computed in the request) to the real
// server (`lifeline serve`, Chengdu demo district) and prints where the
// time went: the round trip against the time limit and the answer's
// summary.computing_times (matrix, loading, solving, encoding). Skipped
// unless LIFELINE_BENCH_OPTIMIZE is set (make bench-vrp-api);
// LIFELINE_BENCH_OPTIMIZE_STOPS and _LIMIT change the size and time limit.
func TestBenchOptimizeHTTP(t *testing.T) {
	if os.Getenv("LIFELINE_BENCH_OPTIMIZE") == "" {
		t.Skip("set LIFELINE_BENCH_OPTIMIZE=1 (make bench-vrp-api)")
	}
	stops, limit := 1000, 30*time.Second
	if s := os.Getenv("LIFELINE_BENCH_OPTIMIZE_STOPS"); s != "" {
		stops, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("LIFELINE_BENCH_OPTIMIZE_LIMIT"); s != "" {
		limit, _ = time.ParseDuration(s)
	}
	t0 := time.Now()
	base, stop := startServe(t, t.TempDir(), "--district", "chengdu", "--rate-expensive=-1", "--rate-expensive-ip=-1")
	defer stop()
	startup := time.Since(t0)
	// stops: random points in the bounding box of the district's
	// facilities (fixed seed); a point farther than 500 m from a road comes
	// back unassigned with the reason
	code, fs := getJSON(t, "GET", base+"/v1/facilities", "")
	if code != 200 {
		t.Fatalf("facilities: %d %v", code, fs)
	}
	fac := fs["facilities"].([]any)
	var depot []any
	lo, hi := [2]float64{180, 90}, [2]float64{-180, -90}
	for _, f := range fac {
		p := f.(map[string]any)["point"].([]any)
		if f.(map[string]any)["kind"] == "supply_point" && depot == nil {
			depot = p
		}
		for k := 0; k < 2; k++ {
			lo[k], hi[k] = min(lo[k], p[k].(float64)), max(hi[k], p[k].(float64))
		}
	}
	if depot == nil {
		t.Fatal("no supply point")
	}
	rng := rand.New(rand.NewPCG(15, 0))
	var jobs []string
	for i := 0; i < stops; i++ {
		lon, lat := lo[0]+rng.Float64()*(hi[0]-lo[0]), lo[1]+rng.Float64()*(hi[1]-lo[1])
		a := 8*3600 + rng.IntN(6)*1800
		jobs = append(jobs, fmt.Sprintf(`{"id":%d,"location":[%.6f,%.6f],"service":120,"delivery":[1],"time_windows":[[%d,%d]]}`,
			i+1, lon, lat, a, a+3*3600))
	}
	var veh []string
	for v := 0; v < 40; v++ {
		veh = append(veh, fmt.Sprintf(`{"id":%d,"start":[%v,%v],"end":[%v,%v],"capacity":[40],"time_window":[25200,72000]}`,
			v+1, depot[0], depot[1], depot[0], depot[1]))
	}
	body := `{"vehicles":[` + strings.Join(veh, ",") + `],"jobs":[` + strings.Join(jobs, ",") + `]}`
	t1 := time.Now()
	code, out := getJSON(t, "POST", fmt.Sprintf("%s/v1/optimize?time_limit=%s&snap_radius=500", base, limit), body)
	wall := time.Since(t1)
	if code != 200 || out["code"].(float64) != 0 {
		t.Fatalf("optimize: %d %v", code, out["error"])
	}
	sum := out["summary"].(map[string]any)
	ct := sum["computing_times"].(map[string]any)
	ms := func(k string) time.Duration { return time.Duration(ct[k].(float64)) * time.Millisecond }
	fmt.Printf("# POST /v1/optimize, %d jobs with coordinates (Chengdu demo district, road matrix in the request), 40 vehicles, time_limit %s, server started in %s\n",
		stops, limit, startup.Round(time.Millisecond))
	fmt.Printf("round trip %s: matrix %s (of loading %s), solving %s, encoding %s, rest (queue, JSON, HTTP) %s; routes %v, unassigned %v, iterations %v\n",
		wall.Round(time.Millisecond), ms("matrix"), ms("loading"), ms("solving"), ms("encoding"),
		(wall - ms("loading") - ms("solving") - ms("encoding")).Round(time.Millisecond), sum["routes"], sum["unassigned"], sum["iterations"])
	if wall > limit+ms("matrix")+2*time.Second {
		t.Errorf("round trip %s exceeds the time limit %s plus the matrix time %s (plus 2 s)", wall, limit, ms("matrix"))
	}
}
