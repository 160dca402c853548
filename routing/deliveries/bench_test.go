package deliveries_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/chengdu"
	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
	"lifeline/routing/deliveries"
	"lifeline/routing/graph"
	"lifeline/routing/network"
	"lifeline/routing/osm"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

// TestBenchDeliveries is `make bench-deliveries`' planning table (set
// LIFELINE_BENCH_DELIVERIES=1): the seeds' day (113 requests on the Chengdu
// demo district, its default fleet of 6 vans) and a large day (10,000
// requests on 300 supply points, 50 vans, on the Porto road graph:
// LIFELINE_BENCH_GRAPH, else built from the shared extract). Each run cuts
// at 10:00 and plans both legs with the road matrix; the plan time is the
// wall time of batching, the matrix and both solves; every leg's plan goes
// through routing/vrp/check (a violation fails the test). The large day
// runs again on a 20 s solver budget: how much room the 60 s target
// leaves. Medians of LIFELINE_BENCH_RUNS runs (default 3, seeds 1, 2, 3)
// with the runs listed.
func TestBenchDeliveries(t *testing.T) {
	if os.Getenv("LIFELINE_BENCH_DELIVERIES") == "" {
		t.Skip("set LIFELINE_BENCH_DELIVERIES=1 (make bench-deliveries)")
	}
	runs := 3
	if s := os.Getenv("LIFELINE_BENCH_RUNS"); s != "" {
		fmt.Sscan(s, &runs)
	}
	fmt.Printf("\nmedicine deliveries, GOMAXPROCS=%d, %d runs each\n", runtime.GOMAXPROCS(0), runs)
	fmt.Printf("| %-36s | %9s | %6s | %7s | %5s | %10s | %9s | %9s | %s |\n|---|---|---|---|---|---|---|---|---|\n",
		"day", "requests", "batches", "unplanned", "vans", "drive (h)", "km", "plan (s)", "runs (s)")

	// the seeds' day on Chengdu
	cd, err := chengdu.Default()
	if err != nil {
		t.Fatal(err)
	}
	streets, err := chengdu.OSM()
	if err != nil {
		t.Fatal(err)
	}
	cnet, err := network.Build(context.Background(), bytes.NewReader(streets), osm.Car, network.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := deliveries.NewDistrict(cd.Compounds, cd.Facilities)
	reqs, err := deliveries.DemoRequests(d, "2026-12-02", deliveries.DemoDay, deliveries.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	vans := benchFleet(d.Depot.Point, 6)
	benchDay(t, "seeds' day, Chengdu (target 2 s)", cnet, d, reqs, vans, runs, 1500*time.Millisecond)

	// the large day on Porto
	var pnet *network.Network
	if p := os.Getenv("LIFELINE_BENCH_GRAPH"); p != "" {
		pnet, err = network.Load(p, network.Options{Workers: 1})
	} else {
		pnet, _, err = network.BuildFile(context.Background(), sdtest.Path(t, "geo/osm/porto-pt-2015.osm.pbf"), osm.Car, network.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	pd := portoDistrict(pnet.Graph(), 300, 20)
	preqs, err := deliveries.DemoRequests(pd, "2026-12-02", 10000, deliveries.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	benchDay(t, "large day, Porto (target 60 s)", pnet, pd, preqs, benchFleet(pd.Depot.Point, 50), runs, 50*time.Second)
	benchDay(t, "large day, Porto, 20 s budget", pnet, pd, preqs, benchFleet(pd.Depot.Point, 50), runs, 20*time.Second)
}

func benchFleet(depot orb.Point, n int) []deliveries.Van {
	vs := make([]deliveries.Van, n)
	for i := range vs {
		vs[i] = deliveries.Van{ID: int64(i + 1), Name: fmt.Sprintf("Van %d", i+1), Depot: depot, Boxes: 40, VolumeL: 800, ShiftStart: "07:00", ShiftEnd: "21:00"}
	}
	return vs
}

func benchDay(t *testing.T, name string, n *network.Network, d *deliveries.District, reqs []deliveries.Request, vans []deliveries.Van, runs int, budget time.Duration) {
	var secs []float64
	var last *deliveries.Plan
	var nb int
	for run := 0; run < runs; run++ {
		rs := make([]deliveries.Request, len(reqs))
		byID := make(map[int64]*deliveries.Request, len(reqs))
		for i := range reqs {
			rs[i] = reqs[i].Clone()
			rs[i].ID, rs[i].State = int64(i+1), deliveries.StateReceived
			byID[rs[i].ID] = &rs[i]
		}
		t0 := time.Now()
		bs, err := d.Cut(rs, "2026-12-02", "10:00", 40, 800000)
		if err != nil {
			t.Fatal(err)
		}
		for i := range bs {
			bs[i].ID = int64(i + 1)
		}
		ctx := context.Background()
		in := &deliveries.PlanInput{Date: "2026-12-02", Batches: bs, Requests: byID, District: d, Vans: vans, NotBefore: 10 * 3600,
			Matrix: func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
				tm, dm, _, err := n.Matrix(ctx, ps, ps, network.MatrixOptions{Partial: true})
				return tm, dm, err
			}}
		pl, err := deliveries.Solve(ctx, in, vrp.Options{Seed: uint64(run + 1), TimeLimit: budget, Workers: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		secs = append(secs, time.Since(t0).Seconds())
		for _, l := range pl.Legs {
			if len(l.Violations) > 0 {
				t.Fatalf("%s leg %d: %v", name, l.Number, l.Violations)
			}
		}
		last, nb = pl, len(bs)
	}
	sorted := slices.Clone(secs)
	slices.Sort(sorted)
	runsS := ""
	for i, s := range secs {
		if i > 0 {
			runsS += ", "
		}
		runsS += fmt.Sprintf("%.2f", s)
	}
	fmt.Printf("| %-36s | %9d | %6d | %7d | %5d | %10.1f | %9.1f | %9.2f | %s |\n", name, len(reqs), nb, len(last.Unplanned), last.VansUsed,
		last.DriveSec/3600, last.DistanceM/1000, sorted[len(sorted)/2], runsS)
	if len(last.Unplanned) > 0 {
		reasons := map[string]int{}
		for _, r := range last.Unplanned {
			reasons[r]++
		}
		fmt.Printf("  unplanned: %v\n", reasons)
	}
}

// portoDistrict puts nsp compounds (squares of 120 m) with a supply point
// at their gate, nph pharmacies, a health centre and a depot on random
// nodes of g (seeded).
func portoDistrict(g *graph.Graph, nsp, nph int) *deliveries.District {
	rng := rand.New(rand.NewPCG(13, 13))
	// keep to the city's middle: nodes within 6 km of the median node
	lons, lats := slices.Clone(g.Lon), slices.Clone(g.Lat)
	slices.Sort(lons)
	slices.Sort(lats)
	mid := orb.Point{float64(lons[len(lons)/2]), float64(lats[len(lats)/2])}
	pick := func() orb.Point {
		for {
			p := g.Point(graph.NodeID(rng.IntN(g.NumNodes())))
			if math.Abs(p[0]-mid[0]) < 0.06 && math.Abs(p[1]-mid[1]) < 0.045 {
				return p
			}
		}
	}
	var cs []zones.Compound
	var fs []zones.Facility
	for i := 1; i <= nsp; i++ {
		gate := pick()
		const s = 0.0012
		geom := orb.MultiPolygon{{{{gate[0], gate[1]}, {gate[0] + s, gate[1]}, {gate[0] + s, gate[1] + s}, {gate[0], gate[1] + s}, {gate[0], gate[1]}}}}
		cs = append(cs, zones.Compound{ID: int64(i), Name: fmt.Sprintf("Compound %d", i), Geometry: geom, Gates: []orb.Point{gate},
			Population: 1000 + rng.IntN(3000), Aged60Plus: 300 + rng.IntN(1200)})
		fs = append(fs, zones.Facility{ID: int64(len(fs) + 1), Kind: zones.FacilitySupplyPoint, Name: fmt.Sprintf("Supply point %d", i), Point: gate,
			OpeningHours: "09:00-18:00", CompoundID: int64(i)})
	}
	for i := 1; i <= nph; i++ {
		fs = append(fs, zones.Facility{ID: int64(len(fs) + 1), Kind: zones.FacilityPharmacy, Name: fmt.Sprintf("Pharmacy %d", i), Point: pick(), OpeningHours: "08:00-22:00"})
	}
	fs = append(fs, zones.Facility{ID: int64(len(fs) + 1), Kind: zones.FacilityHealthCentre, Name: "Health centre", Point: pick(), OpeningHours: "08:00-20:00"})
	fs = append(fs, zones.Facility{ID: int64(len(fs) + 1), Kind: zones.FacilityDepot, Name: "Depot", Point: pick()})
	return deliveries.NewDistrict(cs, fs)
}
