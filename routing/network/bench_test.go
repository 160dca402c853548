package network

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"lifeline/routing/graph"

	"github.com/paulmach/orb"
)

// benchNetwork loads the graph file named by LIFELINE_BENCH_GRAPH (built by
// `make bench-road` into var/graphs), or skips.
func benchNetwork(tb testing.TB) (*Network, time.Duration) {
	path := os.Getenv("LIFELINE_BENCH_GRAPH")
	if path == "" {
		tb.Skip("set LIFELINE_BENCH_GRAPH to a graph file (make bench-road)")
	}
	t0 := time.Now()
	n, err := Load(path, Options{Workers: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return n, time.Since(t0)
}

func benchPoints(g *graph.Graph, r *rand.Rand, k int) []orb.Point {
	ps := make([]orb.Point, k)
	for i := range ps {
		ps[i] = g.Point(graph.NodeID(r.IntN(g.NumNodes())))
		ps[i][0] += (r.Float64() - 0.5) * 0.0005
		ps[i][1] += (r.Float64() - 0.5) * 0.0005
	}
	return ps
}

// threadCPU returns the CPU time (user+system) of the calling OS thread;
// the caller holds runtime.LockOSThread. On a busy shared machine it shows
// the work done, while wall-clock times include waiting for a core.
func threadCPU() time.Duration { return rusage(1) } // Linux RUSAGE_THREAD

// processCPU is the CPU time of the whole process (all goroutines, GC).
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestBenchRoadTable prints the road-engine figures of `make bench-road`
// (one core: GOMAXPROCS is set to 1 for the measured calls).
func TestBenchRoadTable(t *testing.T) {
	n, load := benchNetwork(t)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g := n.g
	r := rand.New(rand.NewPCG(42, 0))
	ctx := context.Background()
	rows := [][3]string{{"graph file load", load.Round(time.Millisecond).String(), "well under 1 s"}}

	// one-to-one, in process (snapping included), after 500 warm-up
	// queries on other pairs (a serving process is warm: its search state
	// pages are touched and the hierarchy's top levels are in cache)
	pts := benchPoints(g, r, 4000)
	for _, p := range benchPoints(g, rand.New(rand.NewPCG(43, 0)), 1000) {
		n.Route(ctx, p, pts[0], RouteOptions{NoGeometry: true})
	}
	var ds []time.Duration
	failed := 0
	c0 := threadCPU()
	for i := 0; i+1 < len(pts); i += 2 {
		t0 := time.Now()
		if _, err := n.Route(ctx, pts[i], pts[i+1], RouteOptions{NoGeometry: true}); err != nil {
			failed++
		}
		ds = append(ds, time.Since(t0))
	}
	cpu := (threadCPU() - c0) / time.Duration(len(ds))
	// The points lie within 30 m of nodes: nearly every pair has a route
	// (a few may start on a road cut off from the rest).
	if failed > len(ds)/20 {
		t.Errorf("%d of %d random pairs found no route: the timings would measure failures", failed, len(ds))
	}
	rows = append(rows, [3]string{"one-to-one median wall (2,000 random pairs, snapping, no geometry, warm)", median(ds).String(), "50 µs"})
	rows = append(rows, [3]string{"one-to-one mean CPU time of the same", cpu.String(), "50 µs"})
	ds = ds[:0]
	for i := 0; i+1 < len(pts); i += 2 {
		t0 := time.Now()
		n.Route(ctx, pts[i], pts[i+1], RouteOptions{})
		ds = append(ds, time.Since(t0))
	}
	rows = append(rows, [3]string{"one-to-one median wall with geometry+polyline+streets", median(ds).String(), ""})

	// 1000 x 1000
	src := benchPoints(g, r, 1000)
	dst := benchPoints(g, r, 1000)
	ds = ds[:0]
	c0 = processCPU()
	for k := 0; k < 3; k++ {
		t0 := time.Now()
		if _, _, _, err := n.Matrix(ctx, src, dst, MatrixOptions{Workers: 1}); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	cpu = (processCPU() - c0) / 3
	rows = append(rows, [3]string{"1,000 x 1,000 matrix, 1 worker, wall (median of 3)", median(ds).Round(time.Millisecond).String(), "0.5 s"})
	rows = append(rows, [3]string{"1,000 x 1,000 matrix, mean process CPU time", cpu.Round(time.Millisecond).String(), "0.5 s"})
	runtime.GOMAXPROCS(2)
	ds = ds[:0]
	for k := 0; k < 3; k++ {
		t0 := time.Now()
		if _, _, _, err := n.Matrix(ctx, src, dst, MatrixOptions{Workers: 2}); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	runtime.GOMAXPROCS(1)
	rows = append(rows, [3]string{"1,000 x 1,000 matrix, 2 workers, GOMAXPROCS=2, wall (median of 3)", median(ds).Round(time.Millisecond).String(), ""})

	// 15-minute isochrone
	ds = ds[:0]
	var reached int
	c0 = processCPU()
	for k := 0; k < 7; k++ {
		t0 := time.Now()
		iso, err := n.Isochrone(ctx, pts[k], 900)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		reached += len(iso.Nodes)
	}
	cpu = (processCPU() - c0) / 7
	if reached == 0 {
		t.Error("the 15-minute isochrones reached no node")
	}
	rows = append(rows, [3]string{fmt.Sprintf("15-min isochrone wall (median of 7, avg %d nodes reached)", reached/7), median(ds).Round(100 * time.Microsecond).String(), "50 ms"})
	rows = append(rows, [3]string{"15-min isochrone mean process CPU time", cpu.Round(100 * time.Microsecond).String(), "50 ms"})

	// zone change: 3 sealed zones of ~1 km², rebuild until served
	c := g.Point(graph.NodeID(r.IntN(g.NumNodes())))
	var zs []orb.MultiPolygon
	for k := 0; k < 3; k++ {
		zs = append(zs, square(orb.Point{c[0] + float64(k)*0.015, c[1]}, 0.005))
	}
	ds = ds[:0]
	for k := 0; k < 3; k++ {
		t0 := time.Now()
		v := n.SetSealedZones(zs[:k+1])
		if err := n.WaitVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	core := 0
	for _, s := range n.cur.Load().set {
		if s >= 0 {
			core++
		}
	}
	rows = append(rows, [3]string{fmt.Sprintf("zone change to served (median of 3; %d core nodes at 3 zones)", core), median(ds).Round(time.Millisecond).String(), "10 s"})
	ds = ds[:0]
	for i := 0; i+1 < 400; i += 2 {
		t0 := time.Now()
		n.Route(ctx, pts[i], pts[i+1], RouteOptions{NoGeometry: true})
		ds = append(ds, time.Since(t0))
	}
	rows = append(rows, [3]string{"one-to-one median with the 3 zones sealed", median(ds).String(), ""})

	// one large sealed zone of about 3 km x 3 km around the centre of the graph
	b := orb.Bound{Min: g.Point(0), Max: g.Point(0)}
	for v := 0; v < g.NumNodes(); v++ {
		b = b.Extend(g.Point(graph.NodeID(v)))
	}
	t0 := time.Now()
	v := n.SetSealedZones([]orb.MultiPolygon{square(b.Center(), 0.018)})
	if err := n.WaitVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	rebuild := time.Since(t0)
	core = 0
	for _, s := range n.cur.Load().set {
		if s >= 0 {
			core++
		}
	}
	if core == 0 {
		t.Error("the 3x3 km zone in the centre holds no node")
	}
	rows = append(rows, [3]string{fmt.Sprintf("zone change, one 3x3 km zone in the centre (%d core nodes)", core), rebuild.Round(time.Millisecond).String(), "10 s"})
	ds = ds[:0]
	for i := 0; i+1 < 400; i += 2 {
		t0 := time.Now()
		n.Route(ctx, pts[i], pts[i+1], RouteOptions{NoGeometry: true})
		ds = append(ds, time.Since(t0))
	}
	rows = append(rows, [3]string{"one-to-one median with that zone sealed", median(ds).String(), ""})

	fmt.Printf("\nroad engine on %s: %d nodes, %d edges, %d shortcuts (GOMAXPROCS=1)\n", os.Getenv("LIFELINE_BENCH_GRAPH"), g.NumNodes(), g.NumEdges(), n.Shortcuts())
	fmt.Printf("| %-66s | %12s | %-14s |\n|%s|%s|%s|\n", "measure", "value", "target", "---", "---", "---")
	for _, r := range rows {
		fmt.Printf("| %-66s | %12s | %-14s |\n", r[0], r[1], r[2])
	}
}

func BenchmarkRoute(b *testing.B) {
	n, _ := benchNetwork(b)
	pts := benchPoints(n.g, rand.New(rand.NewPCG(1, 0)), 2048)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (2 * i) & 2047
		n.Route(context.Background(), pts[k], pts[k+1], RouteOptions{NoGeometry: true})
	}
}

func BenchmarkMatrix100(b *testing.B) {
	n, _ := benchNetwork(b)
	pts := benchPoints(n.g, rand.New(rand.NewPCG(2, 0)), 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Matrix(context.Background(), pts, pts, MatrixOptions{Workers: 1})
	}
}

func BenchmarkIsochrone15(b *testing.B) {
	n, _ := benchNetwork(b)
	pts := benchPoints(n.g, rand.New(rand.NewPCG(3, 0)), 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Isochrone(context.Background(), pts[i&15], 900)
	}
}

func BenchmarkLoad(b *testing.B) {
	path := os.Getenv("LIFELINE_BENCH_GRAPH")
	if path == "" {
		b.Skip("set LIFELINE_BENCH_GRAPH")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(path, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
