package vrp_test

import (
	"context"
	"os"
	"testing"
	"time"

	"lifeline/internal/shareddata"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
)

func TestIterationRate(t *testing.T) {
	if os.Getenv("LIFELINE_VRP_SPEED") == "" {
		t.Skip("set LIFELINE_VRP_SPEED to measure iterations per second")
	}
	if false {
		t.Skip()
	}
	for _, c := range []struct{ f, path string }{{"solomon", "bench/solomon-vrptw/instances/R107.txt"}, {"lilim", "bench/lilim-pdptw/instances/lr107.txt"}, {"cordeau", "bench/cordeau-darp/instances/a4-48.txt"}} {
		fam, _ := formats.ParseFamily(c.f)
		inst, err := formats.ReadFile(shareddata.Path(t, c.path), fam)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		s, _ := vrp.Solve(context.Background(), inst.Problem, vrp.Options{Seed: 1, MaxIterations: 20000})
		el := time.Since(t0)
		t.Logf("%s: 20000 iterations in %v (%.0f it/s), veh %d dist %.2f", c.path, el, 20000/el.Seconds(), s.Vehicles, s.Distance)
	}
}

// BenchmarkSolveIterations measures 2000 ruin-and-recreate iterations on
// Solomon R107 (VRPTW), Li & Lim lr107 (PDPTW) and Cordeau a4-48 (DARP).
func BenchmarkSolveIterations(b *testing.B) {
	for _, c := range []struct{ name, f, path string }{
		{"R107", "solomon", "bench/solomon-vrptw/instances/R107.txt"},
		{"lr107", "lilim", "bench/lilim-pdptw/instances/lr107.txt"},
		{"a4-48", "cordeau", "bench/cordeau-darp/instances/a4-48.txt"},
	} {
		b.Run(c.name, func(b *testing.B) {
			fam, _ := formats.ParseFamily(c.f)
			inst, err := formats.ReadFile(shareddata.Path(b, c.path), fam)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vrp.Solve(context.Background(), inst.Problem, vrp.Options{Seed: 1, MaxIterations: 2000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
