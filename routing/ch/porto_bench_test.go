package ch

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"lifeline/internal/shareddata"
	"lifeline/routing/graph"
	"lifeline/routing/osm"
)

// TestPortoProbe is a manual probe: LIFELINE_PORTO_PROBE=1 go test -run Probe -v ./routing/ch/
func TestPortoProbe(t *testing.T) {
	if os.Getenv("LIFELINE_PORTO_PROBE") == "" {
		t.Skip("set LIFELINE_PORTO_PROBE=1")
	}
	path := shareddata.Path(t, "geo/osm/porto-pt-2015.osm.pbf")
	t0 := time.Now()
	g, st, err := osm.ImportFile(context.Background(), path, osm.Car)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import %v %+v", time.Since(t0), st)
	t0 = time.Now()
	h, err := Build(context.Background(), g, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build %v shortcuts %d", time.Since(t0), h.NumShortcuts())
	t0 = time.Now()
	h2, err := Build(context.Background(), g, BuildOptions{Order: h.Order})
	t.Logf("rebuild with order %v shortcuts %d", time.Since(t0), h2.NumShortcuts())
	r := rand.New(rand.NewPCG(1, 0))
	q := NewQuery(h)
	pairs := make([][2]graph.Snap, 1000)
	for i := range pairs {
		pairs[i] = [2]graph.Snap{randomSnap(g, r), randomSnap(g, r)}
	}
	settled := 0
	t0 = time.Now()
	for _, p := range pairs {
		q.Cost(p[0], p[1], nil)
		settled += q.Settled
	}
	t.Logf("query (cost only) avg %v, %d settled on average", time.Since(t0)/1000, settled/1000)
	src := make([]graph.Snap, 1000)
	for i := range src {
		src[i] = randomSnap(g, r)
	}
	t0 = time.Now()
	h.Many(context.Background(), src, src, nil, 1)
	t.Logf("1000x1000 one core %v", time.Since(t0))
}

// TestFootProbe builds the Porto Alegre foot network: LIFELINE_PORTO_PROBE=1.
func TestFootProbe(t *testing.T) {
	if os.Getenv("LIFELINE_PORTO_PROBE") == "" {
		t.Skip()
	}
	g, _, err := osm.ImportFile(context.Background(), shareddata.Path(t, "geo/osm/porto-alegre-2020.osm.pbf"), osm.Foot)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	h, _ := Build(context.Background(), g, BuildOptions{})
	t.Logf("build %v, %d shortcuts", time.Since(t0), h.NumShortcuts())
}

// BenchmarkPortoCost: LIFELINE_BENCH_GRAPH=var/graphs/porto-car.graph.
func BenchmarkPortoCost(b *testing.B) {
	path := os.Getenv("LIFELINE_BENCH_GRAPH")
	if path == "" {
		b.Skip("set LIFELINE_BENCH_GRAPH")
	}
	g, secs, err := graph.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	h, err := FromSection(g, secs[0].Data)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 0))
	pairs := make([][2]graph.Snap, 1024)
	for i := range pairs {
		pairs[i] = [2]graph.Snap{randomSnap(g, r), randomSnap(g, r)}
	}
	q := NewQuery(h)
	b.ReportAllocs()
	b.ResetTimer()
	settled := 0
	for i := 0; i < b.N; i++ {
		p := pairs[i&1023]
		q.Cost(p[0], p[1], nil)
		settled += q.Settled
	}
	b.ReportMetric(float64(settled)/float64(b.N), "settled/op")
}
