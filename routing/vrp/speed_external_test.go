package vrp_test

import (
	"context"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
)

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
			inst, err := formats.ReadFile(sdtest.Path(b, c.path), fam)
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

// BenchmarkSolveLarge measures 300 iterations on CVRPLIB X-n1001-k43 (the
// cost of one iteration at 1,000 customers, construction included).
func BenchmarkSolveLarge(b *testing.B) {
	inst, err := formats.ReadFile(sdtest.Path(b, "bench/cvrplib-x-large/instances/X-n1001-k43.vrp"), formats.CVRPLIB)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vrp.Solve(context.Background(), inst.Problem, vrp.Options{Seed: 1, MaxIterations: 300 * benchScale}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchScale multiplies BenchmarkSolveLarge's iterations (1; set higher
// by hand to profile the steady state).
var benchScale = 1
