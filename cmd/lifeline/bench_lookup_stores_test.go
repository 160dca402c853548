package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBenchLookupStoresHTTP prints zone look-up throughput through HTTP
// for `make bench-replicas`: three `lifeline serve` processes on the
// synthetic demo district, the embedded store, PostGIS with the in-memory
// zone index (this work) and PostGIS answering each look-up by SQL
// (before), measured in interleaved phases (the machine is shared: the
// noise falls on all three alike). Clients: LIFELINE_BENCH_CLIENTS
// goroutines (default 8) with keep-alive in the test process, so server
// and clients share the cores. Skipped unless LIFELINE_BENCH_REPLICAS=1.
func TestBenchLookupStoresHTTP(t *testing.T) {
	if os.Getenv("LIFELINE_BENCH_REPLICAS") != "1" {
		t.Skip("set LIFELINE_BENCH_REPLICAS=1 (make bench-replicas)")
	}
	rounds := envInt("LIFELINE_BENCH_ROUNDS", 5)
	clients := envInt("LIFELINE_BENCH_CLIENTS", 8)
	phase := 2 * time.Second
	if d, err := time.ParseDuration(os.Getenv("LIFELINE_BENCH_PHASE")); err == nil {
		phase = d
	}

	memDir := t.TempDir()
	memTok := seedAdminToken(t, memDir)
	mem := startServer(t, memTok, nil, "--data-dir", memDir).Base
	schema, pgTok := pgSchema(t)
	pg := startServer(t, pgTok, nil, pgArgs(schema)...).Base
	// the same schema (the demo district loaded by pg), look-ups by SQL
	sql := startServer(t, pgTok, nil, append(pgArgs(schema), "--demo=false", "--zone-index=false")...).Base
	servers := []struct{ name, base string }{{"embedded", mem}, {"postgis+index", pg}, {"postgis sql", sql}}

	rng := rand.New(rand.NewPCG(5, 6))
	var gets []string
	for range 1024 {
		gets = append(gets, fmt.Sprintf("/v1/lookup?lon=%.6f&lat=%.6f&at=2026-11-23T08:00:00Z", 104.055+0.03*rng.Float64(), 30.639+0.022*rng.Float64()))
	}
	var bodies [][]byte
	for range 16 {
		var b strings.Builder
		b.WriteString(`{"at":"2026-11-23T08:00:00Z","points":[`)
		for i := range 1000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%.6f,%.6f]", 104.055+0.03*rng.Float64(), 30.639+0.022*rng.Float64())
		}
		b.WriteString("]}")
		bodies = append(bodies, []byte(b.String()))
	}
	// All three must answer alike before they are timed.
	for _, u := range gets[:50] {
		var want string
		for i, s := range servers {
			code, m := getJSON(t, "GET", s.base+u, "")
			if code != 200 {
				t.Fatalf("%s %s: %d %v", s.name, u, code, m)
			}
			got := fmt.Sprint(m["kind"])
			for _, z := range m["matches"].([]any) {
				z := z.(map[string]any)
				got += fmt.Sprintf(" %v/%v", z["id"], z["version"])
			}
			if i == 0 {
				want = got
			} else if got != want {
				t.Fatalf("%s %s: %s, embedded %s", s.name, u, got, want)
			}
		}
	}

	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: authTransport{tr}}
	run := func(base string, batch bool) float64 {
		var n, bad atomic.Int64
		stop := time.Now().Add(phase)
		var wg sync.WaitGroup
		for g := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; time.Now().Before(stop); i += clients {
					var resp *http.Response
					var err error
					if batch {
						resp, err = client.Post(base+"/v1/lookup", "application/json", bytes.NewReader(bodies[i%len(bodies)]))
					} else {
						resp, err = client.Get(base + gets[i%len(gets)])
					}
					if err != nil {
						bad.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						bad.Add(1)
						continue
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		if bad.Load() > 0 {
			t.Errorf("%s: %d failed requests", base, bad.Load())
		}
		return float64(n.Load()) / phase.Seconds()
	}
	for _, batch := range []bool{false, true} {
		rates := make([][]float64, len(servers))
		for k := range servers {
			run(servers[k].base, batch) // warm-up
		}
		for r := range rounds {
			for j := range servers {
				k := (j + r) % len(servers) // rotate the order
				rates[k] = append(rates[k], run(servers[k].base, batch))
			}
		}
		what := "GET /v1/lookup (one point)"
		unit := "requests/s"
		if batch {
			what = "POST /v1/lookup (1,000 points)"
		}
		med := make([]float64, len(servers))
		for k, s := range servers {
			slices.Sort(rates[k])
			med[k] = rates[k][len(rates[k])/2]
			t.Logf("%s %-14s median %8.0f %s over %d phases of %v, %d clients (all: %.0f)", what, s.name, med[k], unit, rounds, phase, clients, rates[k])
		}
		t.Logf("%s: postgis+index / embedded = %.2f, postgis sql / embedded = %.2f", what, med[1]/med[0], med[2]/med[0])
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}
