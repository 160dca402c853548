package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/chengdu"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/routing/deliveries"
)

// TestBenchIntakeHTTP is `make bench-deliveries`' intake figure (set
// LIFELINE_BENCH_DELIVERIES=1): 10,000 requests of the Chengdu demo
// district POSTed to /v1/deliveries/requests by 50 concurrent clients over
// loopback HTTP to the real handler on the embedded store, every request
// acknowledged only once fsynced (LIFELINE_BENCH_DIR: the data dir, default
// a temporary one: put it on the real disk). No accounts (the auth layer
// costs about 0.4 µs a request, BenchmarkOverhead). Median of
// LIFELINE_BENCH_RUNS runs (default 3), each a new day of 10,000 in the
// same store.
func TestBenchIntakeHTTP(t *testing.T) {
	if os.Getenv("LIFELINE_BENCH_DELIVERIES") == "" {
		t.Skip("set LIFELINE_BENCH_DELIVERIES=1 (make bench-deliveries)")
	}
	runs := 3
	if s := os.Getenv("LIFELINE_BENCH_RUNS"); s != "" {
		fmt.Sscan(s, &runs)
	}
	dir := os.Getenv("LIFELINE_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "intake-"); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	st, err := memstore.OpenWith(filepath.Join(dir, "store.json"), memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cd, err := chengdu.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(context.Background(), st, cd); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extra: []func(r gin.IRouter, h *api.Handlers){api.DeliveryRoutes(nil, api.DeliveryOptions{})}}))
	defer srv.Close()
	d := deliveries.NewDistrict(cd.Compounds, cd.Facilities)
	const n, clients = 10000, 50
	var rates []float64
	for run := 0; run < runs; run++ {
		date := time.Date(2026, 12, 2+run, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		reqs, err := deliveries.DemoRequests(d, date, n, uint64(run+1))
		if err != nil {
			t.Fatal(err)
		}
		bodies := make([]string, n)
		for i, r := range reqs {
			b, _ := json.Marshal(map[string]any{"idempotency_key": r.Key, "date": r.Date, "compound_id": r.CompoundID, "building": r.Building,
				"building_point": r.BuildingPoint, "flat": r.Flat, "name": r.Name, "phone": r.Phone, "items": r.Items, "prescription": r.Prescription,
				"insurance_card": r.InsuranceCard, "urgency": r.Urgency, "caller": r.Caller})
			bodies[i] = string(b)
		}
		tr := &http.Transport{MaxIdleConnsPerHost: clients}
		client := &http.Client{Transport: tr}
		var next, bad atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= n {
						return
					}
					resp, err := client.Post(srv.URL+"/v1/deliveries/requests", "application/json", strings.NewReader(bodies[i]))
					if err != nil {
						bad.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 201 {
						bad.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		el := time.Since(t0)
		tr.CloseIdleConnections()
		if bad.Load() != 0 {
			t.Fatalf("%d requests failed", bad.Load())
		}
		got, _ := st.ListRequests(context.Background(), deliveries.RequestFilter{Date: date})
		if len(got) != n {
			t.Fatalf("%d requests stored, want %d", len(got), n)
		}
		rates = append(rates, float64(n)/el.Seconds())
	}
	s := slices.Clone(rates)
	slices.Sort(s)
	fmt.Printf("\nintake through HTTP, embedded store (fsync), %d clients, %d requests per run, GOMAXPROCS=%d: median %.0f requests/s (runs: %.0f) (target 2,000/s)\n",
		clients, n, runtime.GOMAXPROCS(0), s[len(s)/2], rates)
}
