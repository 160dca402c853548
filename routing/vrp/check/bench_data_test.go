package check

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
)

// solutionPlan turns published routes (file ids) into a checked plan.
func solutionPlan(t testing.TB, in *formats.Instance, routes [][]int64) *vrp.Solution {
	t.Helper()
	p := in.Problem
	byID := map[int64]Visit{}
	for j, job := range p.Jobs {
		byID[job.ID] = Visit{vrp.StepJob, j}
	}
	for i, s := range p.Shipments {
		byID[s.PickupID] = Visit{vrp.StepPickup, i}
		byID[s.DeliveryID] = Visit{vrp.StepDelivery, i}
	}
	s := &vrp.Solution{}
	for v, ids := range routes {
		seq := make([]Visit, len(ids))
		for k, id := range ids {
			vi, ok := byID[id]
			if !ok {
				t.Fatalf("%s: unknown id %d", in.Name, id)
			}
			seq[k] = vi
			if vi.Kind != vrp.StepDelivery {
				s.Priority++ // benchmark priorities are 0: weight 1 each
			}
		}
		r, ok := Schedule(p, v, seq)
		if !ok {
			t.Fatalf("%s: published route %d infeasible: %v", in.Name, v, ids)
		}
		s.Routes = append(s.Routes, r)
		s.Distance += r.Distance
		s.Duration += r.Duration
		s.Cost += r.Cost
		s.Vehicles++
	}
	return s
}

// The published Li & Lim BKS and CVRPLIB optimal solutions are feasible
// under Schedule + Plan and cost what the tables say.
func TestPublishedSolutionsPass(t *testing.T) {
	dir := sdtest.Path(t, "bench/lilim-pdptw/bks_solutions")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if testing.Short() && len(files) > 8 {
		files = files[:8]
	}
	for _, f := range files {
		name := filepath.Base(f)
		name = name[:strings.IndexByte(name, '.')]
		in, err := formats.ReadFile(filepath.Join(filepath.Dir(dir), "instances", name+".txt"), formats.LiLim)
		if err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sol, err := formats.ReadSolution(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		s := solutionPlan(t, in, sol.Routes)
		if vs := Plan(in.Problem, s); len(vs) != 0 {
			t.Fatalf("%s: BKS plan reported:\n%s", name, rules(vs))
		}
		// the file name holds the distance: lc101.10_828.9369.txt
		b := filepath.Base(f)
		want := b[strings.IndexByte(b, '_')+1 : len(b)-4]
		if got := formatF(s.Distance); got != want {
			t.Errorf("%s: distance %s, file says %s", name, got, want)
		}
	}
	in, err := formats.ReadFile(sdtest.Path(t, "bench/cvrplib-x/instances/X-n101-k25.vrp"), formats.CVRPLIB)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(sdtest.Path(t, "bench/cvrplib-x/solutions/X-n101-k25.sol"))
	if err != nil {
		t.Fatal(err)
	}
	sol, err := formats.ReadSolution(fh)
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sol.Routes {
		for k := range r {
			r[k]++ // .sol numbers customers node id - 1
		}
	}
	s := solutionPlan(t, in, sol.Routes)
	if vs := Plan(in.Problem, s); len(vs) != 0 || s.Distance != 27591 || math.IsNaN(s.Duration) {
		t.Fatalf("X-n101-k25: distance %v, violations:\n%s", s.Distance, rules(vs))
	}
}

// formatF prints x with 4 decimals, trailing zeros dropped as in the file names.
func formatF(x float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(x, 'f', 4, 64), "0"), ".")
}

// BenchmarkPlan checks the 10-route BKS plan of lc101 (106 stops).
func BenchmarkPlan(b *testing.B) {
	in, err := formats.ReadFile(sdtest.Path(b, "bench/lilim-pdptw/instances/lc101.txt"), formats.LiLim)
	if err != nil {
		b.Fatal(err)
	}
	fh, err := os.Open(sdtest.Path(b, "bench/lilim-pdptw/bks_solutions/lc101.10_828.9369.txt"))
	if err != nil {
		b.Fatal(err)
	}
	sol, err := formats.ReadSolution(fh)
	fh.Close()
	if err != nil {
		b.Fatal(err)
	}
	s := solutionPlan(b, in, sol.Routes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if vs := Plan(in.Problem, s); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
}
