package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeMetrics: the real server's /metrics carries the queue gauges and
// the road engine's first closure rebuild, and needs no account.
func TestServeMetrics(t *testing.T) {
	base, stop := startServe(t, t.TempDir())
	defer stop()
	if r, err := http.Get(base + "/healthz"); err == nil {
		r.Body.Close()
	}
	var text string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
		}
		text = string(b)
		if strings.Contains(text, `lifeline_road_swaps_total{result="ok"}`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{`lifeline_road_swaps_total{result="ok"}`, "lifeline_road_swap_duration_seconds_count",
		"lifeline_solves_running 0", "lifeline_solve_queue_depth 0", "lifeline_solve_jobs_rescued_total 0", "lifeline_solve_jobs_returned_total 0",
		"lifeline_http_requests_total"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
