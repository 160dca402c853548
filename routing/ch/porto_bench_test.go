package ch

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing/graph"
	"lifeline/routing/osm"
)

// BenchmarkPortoBuild contracts the Porto car network (imported once) per
// iteration and then checks that a rebuild with the found order gives the
// same shortcut count:
// LIFELINE_PORTO_PROBE=1 go test -run '^$' -bench PortoBuild -benchtime 1x ./routing/ch/
func BenchmarkPortoBuild(b *testing.B) {
	if os.Getenv("LIFELINE_PORTO_PROBE") == "" {
		b.Skip("set LIFELINE_PORTO_PROBE=1")
	}
	g, _, err := osm.ImportFile(context.Background(), sdtest.Path(b, "geo/osm/porto-pt-2015.osm.pbf"), osm.Car)
	if err != nil {
		b.Fatal(err)
	}
	var h *Hierarchy
	for b.Loop() {
		if h, err = Build(context.Background(), g, BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(h.NumShortcuts()), "shortcuts")
	h2, err := Build(context.Background(), g, BuildOptions{Order: h.Order})
	if err != nil {
		b.Fatal(err)
	}
	if h2.NumShortcuts() != h.NumShortcuts() {
		b.Errorf("rebuild with the same order: %d shortcuts, first build %d", h2.NumShortcuts(), h.NumShortcuts())
	}
}

// BenchmarkPortoMany times a 1000x1000 one-to-many table on one core over
// the Porto car network: LIFELINE_PORTO_PROBE=1.
func BenchmarkPortoMany(b *testing.B) {
	if os.Getenv("LIFELINE_PORTO_PROBE") == "" {
		b.Skip("set LIFELINE_PORTO_PROBE=1")
	}
	g, _, err := osm.ImportFile(context.Background(), sdtest.Path(b, "geo/osm/porto-pt-2015.osm.pbf"), osm.Car)
	if err != nil {
		b.Fatal(err)
	}
	h, err := Build(context.Background(), g, BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 0))
	src := make([]graph.Snap, 1000)
	for i := range src {
		src[i] = randomSnap(g, r)
	}
	for b.Loop() {
		if _, err := h.Many(context.Background(), src, src, nil, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFootBuild contracts the Porto Alegre foot network:
// LIFELINE_PORTO_PROBE=1.
func BenchmarkFootBuild(b *testing.B) {
	if os.Getenv("LIFELINE_PORTO_PROBE") == "" {
		b.Skip("set LIFELINE_PORTO_PROBE=1")
	}
	g, _, err := osm.ImportFile(context.Background(), sdtest.Path(b, "geo/osm/porto-alegre-2020.osm.pbf"), osm.Foot)
	if err != nil {
		b.Fatal(err)
	}
	var h *Hierarchy
	for b.Loop() {
		if h, err = Build(context.Background(), g, BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(h.NumShortcuts()), "shortcuts")
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
