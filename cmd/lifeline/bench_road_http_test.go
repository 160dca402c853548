package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lifeline/routing/graph"
)

// TestBenchRoadHTTP prints the road engine's figures through HTTP for
// `make bench-road`: the real server (`lifeline serve --graph`) on loopback,
// a net/http client in the same process. Skipped unless
// LIFELINE_BENCH_GRAPH names a graph file (var/graphs/porto-car.graph).
//
// Points: the 1,000 vertices that bench/pgrouting/run.sh timed
// (var/pgrouting/vertices-1000.tsv, OSM vertices of the largest strongly
// connected component) when that file exists, so the matrix is the one
// pgRouting computed; otherwise 1,000 graph nodes drawn with a fixed seed.
func TestBenchRoadHTTP(t *testing.T) {
	path := os.Getenv("LIFELINE_BENCH_GRAPH")
	if path == "" {
		t.Skip("set LIFELINE_BENCH_GRAPH to a graph file (make bench-road)")
	}
	pts, from := benchHTTPPoints(t, path)
	base, stop := startServe(t, t.TempDir(), "--graph", path, "--demo=false", "--max-body-bytes", "67108864", "--rate-expensive=-1", "--rate-expensive-ip=-1")
	defer stop()
	client := &http.Client{Transport: authTransport{&http.Transport{MaxIdleConnsPerHost: 4}}}
	get := func(url string) int {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// one-to-one: sequential requests over random pairs, after a warm-up
	r := rand.New(rand.NewPCG(7, 0))
	routeURL := func(full bool) string {
		a, b := pts[r.IntN(len(pts))], pts[r.IntN(len(pts))]
		u := fmt.Sprintf("%s/v1/route?from=%f,%f&to=%f,%f", base, a[0], a[1], b[0], b[1])
		if !full {
			u += "&geometry=false"
		}
		return u
	}
	for i := 0; i < 200; i++ {
		get(routeURL(true))
	}
	var rows [][2]string
	for _, full := range []bool{false, true} {
		var ds []time.Duration
		bad := 0
		for i := 0; i < 2000; i++ {
			u := routeURL(full)
			t0 := time.Now()
			if get(u) != http.StatusOK {
				bad++
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		what := "GET /v1/route median round trip, 2,000 random pairs, no geometry"
		if full {
			what = "GET /v1/route median round trip, with geometry, polyline, streets"
		}
		rows = append(rows, [2]string{what, fmt.Sprintf("%v (p90 %v; %d not 200)", ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*9/10].Round(time.Microsecond), bad)})
	}
	// 1,000 x 1,000 through POST /v1/matrix, body read and JSON decoded
	var body bytes.Buffer
	body.WriteString(`{"sources":[`)
	for i, p := range pts {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, "[%.7f,%.7f]", p[0], p[1])
	}
	body.WriteString(`]}`)
	var round, decoded []time.Duration
	var size int
	var nulls int
	for k := 0; k < 5; k++ {
		t0 := time.Now()
		resp, err := client.Post(base+"/v1/matrix", "application/json", bytes.NewReader(body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("matrix: %d %v %.300s", resp.StatusCode, err, raw)
		}
		round = append(round, time.Since(t0))
		var m struct {
			Durations [][]*float64 `json:"durations"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Durations) != len(pts) {
			t.Fatalf("matrix JSON: %v, %d rows", err, len(m.Durations))
		}
		decoded = append(decoded, time.Since(t0))
		size = len(raw)
		nulls = 0
		for _, row := range m.Durations {
			for _, v := range row {
				if v == nil {
					nulls++
				}
			}
		}
	}
	slices.Sort(round)
	slices.Sort(decoded)
	n := len(pts)
	rows = append(rows,
		[2]string{fmt.Sprintf("POST /v1/matrix %d x %d, round trip with body read (median of 5)", n, n), round[2].Round(time.Millisecond).String()},
		[2]string{"the same, client JSON decoding included", decoded[2].Round(time.Millisecond).String()},
		[2]string{"response size, unreachable (null) cells", fmt.Sprintf("%.1f MB, %d nulls", float64(size)/1e6, nulls)})
	fmt.Printf("\nroad engine through HTTP on %s (points: %s; GOMAXPROCS=%d, server and client in one process on loopback)\n",
		filepath.Base(path), from, runtime.GOMAXPROCS(0))
	fmt.Printf("| %-72s | %-32s |\n|---|---|\n", "measure", "value")
	for _, r := range rows {
		fmt.Printf("| %-72s | %-32s |\n", r[0], r[1])
	}
}

// benchHTTPPoints returns 1,000 [lon, lat] points and where they came from.
func benchHTTPPoints(t *testing.T, graphPath string) ([][2]float64, string) {
	tsv := filepath.Join(filepath.Dir(graphPath), "..", "pgrouting", "vertices-1000.tsv")
	if fh, err := os.Open(tsv); err == nil {
		defer fh.Close()
		var pts [][2]float64
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			f := strings.Split(sc.Text(), "\t")
			if len(f) != 3 {
				continue
			}
			lon, e1 := strconv.ParseFloat(f[1], 64)
			lat, e2 := strconv.ParseFloat(f[2], 64)
			if e1 == nil && e2 == nil {
				pts = append(pts, [2]float64{lon, lat})
			}
		}
		if len(pts) == 1000 {
			return pts, "the 1,000 pgRouting vertices of " + tsv
		}
	}
	g, _, err := graph.ReadFile(graphPath)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(42, 0))
	pts := make([][2]float64, 1000)
	for i := range pts {
		p := g.Point(graph.NodeID(r.IntN(g.NumNodes())))
		pts[i] = [2]float64{p[0], p[1]}
	}
	return pts, "1,000 random graph nodes, seed 42"
}
