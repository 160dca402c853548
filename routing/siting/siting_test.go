package siting

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"lifeline/routing"
)

// randomProblem builds an n x m instance with integer costs from random
// planar points, integer weights, and optionally some unreachable cells.
func randomProblem(seed uint64, n, m int, unreachable bool) *Problem {
	rng := rand.New(rand.NewPCG(seed, 7))
	pr := &Problem{Cost: routing.NewMatrix(n, m), Weight: make([]float64, n)}
	xs := make([][2]float64, n)
	for i := range xs {
		xs[i] = [2]float64{rng.Float64() * 100, rng.Float64() * 100}
		pr.Weight[i] = float64(1 + rng.IntN(9))
	}
	for j := 0; j < m; j++ {
		cx, cy := rng.Float64()*100, rng.Float64()*100
		for i := 0; i < n; i++ {
			v := math.Round(math.Hypot(xs[i][0]-cx, xs[i][1]-cy))
			if unreachable && rng.IntN(10) == 0 {
				v = routing.Unreachable
			}
			pr.Cost.Set(i, j, v)
		}
	}
	return pr
}

// subsets calls f with every p-subset of 0..m-1 that contains fixed.
func subsets(m, p int, fixed []int, f func([]int)) {
	set := make([]int, 0, p)
	var rec func(start int)
	rec = func(start int) {
		if len(set) == p {
			for _, x := range fixed {
				found := false
				for _, y := range set {
					found = found || x == y
				}
				if !found {
					return
				}
			}
			f(set)
			return
		}
		for j := start; j < m; j++ {
			set = append(set, j)
			rec(j + 1)
			set = set[:len(set)-1]
		}
	}
	rec(0)
}

// medianCost is the oracle objective: Σ w_i min_{j∈S} c_ij (served only)
// and the unserved weight.
func medianCost(pr *Problem, set []int) (obj, unserved float64) {
	for i := 0; i < pr.Cost.Rows; i++ {
		b := math.Inf(1)
		for _, j := range set {
			b = math.Min(b, pr.Cost.At(i, j))
		}
		w := 1.0
		if pr.Weight != nil {
			w = pr.Weight[i]
		}
		if math.IsInf(b, 1) {
			unserved += w
			continue
		}
		obj += w * b
	}
	return obj, unserved
}

func TestPMedianBruteForce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, m, p int
		fixed   []int
		seed    uint64
	}{
		{"p1", 12, 8, 1, nil, 1},
		{"p2", 15, 10, 2, nil, 2},
		{"p3", 20, 12, 3, nil, 3},
		{"p4", 20, 12, 4, nil, 4},
		{"p5-fixed", 25, 11, 5, []int{0, 7}, 5},
		{"all", 10, 6, 6, nil, 6},
		{"p3-b", 30, 9, 3, nil, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := randomProblem(tc.seed, tc.n, tc.m, false)
			pr.Fixed = tc.fixed
			best := math.Inf(1)
			subsets(tc.m, tc.p, tc.fixed, func(s []int) {
				c, _ := medianCost(pr, s)
				best = math.Min(best, c)
			})
			sol, err := PMedian(context.Background(), pr, Options{P: tc.p, Seed: 1, TimeLimit: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			checkMedianSolution(t, pr, tc.p, sol)
			if sol.Objective != best {
				t.Errorf("objective %v, brute force %v", sol.Objective, best)
			}
			if sol.LowerBound > best+1e-9 {
				t.Errorf("lower bound %v > optimum %v", sol.LowerBound, best)
			}
		})
	}
}

// checkMedianSolution is the independent checker: p distinct sites, fixed
// ones open, objective recomputed, assignment to a nearest open site.
func checkMedianSolution(t *testing.T, pr *Problem, p int, sol *Solution) {
	t.Helper()
	if len(sol.Open) != p {
		t.Fatalf("%d open sites, want %d", len(sol.Open), p)
	}
	seen := map[int]bool{}
	for _, j := range sol.Open {
		if seen[j] || j < 0 || j >= pr.Cost.Cols {
			t.Fatalf("bad open set %v", sol.Open)
		}
		seen[j] = true
	}
	for _, j := range pr.Fixed {
		if !seen[j] {
			t.Fatalf("fixed site %d closed", j)
		}
	}
	obj, uns := medianCost(pr, sol.Open)
	if math.Abs(obj-sol.Objective) > 1e-6 || math.Abs(uns-sol.Unserved) > 1e-9 {
		t.Fatalf("objective %v unserved %v, recomputed %v %v", sol.Objective, sol.Unserved, obj, uns)
	}
	for i, j := range sol.Assign {
		if j < 0 {
			continue
		}
		if !seen[j] {
			t.Fatalf("demand %d assigned to closed %d", i, j)
		}
		for _, k := range sol.Open {
			if pr.Cost.At(i, k) < pr.Cost.At(i, j) {
				t.Fatalf("demand %d assigned to %d, %d is nearer", i, j, k)
			}
		}
	}
	if sol.LowerBound > sol.Objective+1e-9 || sol.Gap < 0 || sol.Gap > 1 {
		t.Fatalf("bound %v objective %v gap %v", sol.LowerBound, sol.Objective, sol.Gap)
	}
}

func TestPMedianUnreachable(t *testing.T) {
	pr := randomProblem(11, 20, 10, true)
	// Demand 0 reaches nothing.
	for j := 0; j < 10; j++ {
		pr.Cost.Set(0, j, routing.Unreachable)
	}
	sol, err := PMedian(context.Background(), pr, Options{P: 3, Seed: 1, TimeLimit: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkMedianSolution(t, pr, 3, sol)
	if sol.Unserved < pr.Weight[0] {
		t.Fatalf("unserved %v, want >= %v", sol.Unserved, pr.Weight[0])
	}
}

func TestPMedianDeterministic(t *testing.T) {
	pr := randomProblem(3, 60, 40, false)
	o := Options{P: 6, Seed: 42, TimeLimit: 5 * time.Second, MaxIterations: 50, LagrangianIterations: 60}
	a, err := PMedian(context.Background(), pr, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := PMedian(context.Background(), pr, o)
	if a.Objective != b.Objective || a.LowerBound != b.LowerBound || len(a.Open) != len(b.Open) {
		t.Fatalf("runs differ: %v/%v vs %v/%v", a.Objective, a.LowerBound, b.Objective, b.LowerBound)
	}
	for k := range a.Open {
		if a.Open[k] != b.Open[k] {
			t.Fatalf("open sets differ: %v vs %v", a.Open, b.Open)
		}
	}
}

func TestPMedianMaxMoves(t *testing.T) {
	pr := randomProblem(8, 50, 30, false)
	start := []int{0, 1, 2, 3, 4}
	for _, moves := range []int{1, 2} {
		sol, err := PMedian(context.Background(), pr, Options{P: 5, Seed: 1, Start: start, MaxMoves: moves, TimeLimit: time.Second, MaxIterations: 100})
		if err != nil {
			t.Fatal(err)
		}
		checkMedianSolution(t, pr, 5, sol)
		changed := 0
		for _, j := range sol.Open {
			if j > 4 {
				changed++
			}
		}
		if changed > moves {
			t.Fatalf("moves %d: %d sites changed (%v)", moves, changed, sol.Open)
		}
		startCost, _ := medianCost(pr, start)
		if sol.Objective > startCost {
			t.Fatalf("re-plan worse than start: %v > %v", sol.Objective, startCost)
		}
	}
}

func TestPMedianCancelled(t *testing.T) {
	pr := randomProblem(9, 80, 80, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sol, err := PMedian(ctx, pr, Options{P: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMedianSolution(t, pr, 8, sol)
}

func TestValidation(t *testing.T) {
	good := randomProblem(1, 4, 3, false)
	for _, tc := range []struct {
		name string
		pr   *Problem
		o    Options
		want error
	}{
		{"p too large", good, Options{P: 4}, ErrInvalid},
		{"p zero", good, Options{P: 0}, ErrInvalid},
		{"empty", &Problem{}, Options{P: 1}, ErrInvalid},
		{"negative weight", &Problem{Cost: good.Cost, Weight: []float64{1, -1, 1, 1}}, Options{P: 1}, ErrInvalid},
		{"short weights", &Problem{Cost: good.Cost, Weight: []float64{1}}, Options{P: 1}, ErrInvalid},
		{"negative cost", &Problem{Cost: routing.Matrix{Rows: 1, Cols: 1, Data: []float64{-1}}}, Options{P: 1}, ErrInvalid},
		{"fixed out of range", &Problem{Cost: good.Cost, Fixed: []int{3}}, Options{P: 1}, ErrInvalid},
		{"too many fixed", &Problem{Cost: good.Cost, Fixed: []int{0, 1}}, Options{P: 1}, ErrInfeasible},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PMedian(context.Background(), tc.pr, tc.o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMaxCoverBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		pr := randomProblem(seed, 25, 10, seed%2 == 0)
		p, radius := 1+int(seed%3), 30.0
		total := 0.0
		for _, w := range pr.Weight {
			total += w
		}
		best := math.Inf(1)
		subsets(10, p, nil, func(s []int) {
			unc := 0.0
			for i := 0; i < 25; i++ {
				cov := false
				for _, j := range s {
					cov = cov || pr.Cost.At(i, j) <= radius
				}
				if !cov {
					unc += pr.Weight[i]
				}
			}
			best = math.Min(best, unc)
		})
		sol, err := MaxCover(context.Background(), pr, Options{P: p, Radius: radius, Seed: 1, TimeLimit: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Objective != best {
			t.Errorf("seed %d: uncovered %v, brute force %v", seed, sol.Objective, best)
		}
		if math.Abs(sol.Covered+sol.Objective-total) > 1e-9 {
			t.Errorf("covered %v + uncovered %v != %v", sol.Covered, sol.Objective, total)
		}
		if sol.LowerBound > best+1e-9 {
			t.Errorf("seed %d: bound %v > optimum %v", seed, sol.LowerBound, best)
		}
		for i, j := range sol.Assign {
			if j >= 0 && pr.Cost.At(i, j) > radius {
				t.Errorf("demand %d assigned beyond radius", i)
			}
		}
	}
}

func TestSetCoverBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		pr := randomProblem(seed, 20, 9, false)
		radius := 35.0
		coverable := make([]bool, 20)
		for i := range coverable {
			for j := 0; j < 9; j++ {
				coverable[i] = coverable[i] || pr.Cost.At(i, j) <= radius
			}
		}
		best := -1
		for p := 1; p <= 9 && best < 0; p++ {
			subsets(9, p, nil, func(s []int) {
				for i := range coverable {
					if !coverable[i] {
						continue
					}
					ok := false
					for _, j := range s {
						ok = ok || pr.Cost.At(i, j) <= radius
					}
					if !ok {
						return
					}
				}
				best = p
			})
		}
		sol, err := SetCover(context.Background(), pr, Options{Radius: radius, Seed: 1, TimeLimit: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if int(sol.Objective) != best {
			t.Errorf("seed %d: %v sites, brute force %d", seed, sol.Objective, best)
		}
		if sol.LowerBound > float64(best) {
			t.Errorf("seed %d: bound %v > optimum %d", seed, sol.LowerBound, best)
		}
		for i := range coverable {
			if coverable[i] && sol.Assign[i] < 0 {
				t.Errorf("seed %d: coverable demand %d not covered", seed, i)
			}
		}
	}
}

// bruteTransport enumerates every assignment of unit-weight demand to the
// sites (capacities integral): the optimum of the transportation problem
// is integral, so this is an exact oracle.
func bruteTransport(pr *Problem, open []int) float64 {
	n := pr.Cost.Rows
	load := make([]float64, len(open))
	best := math.Inf(1)
	var rec func(i int, acc float64)
	rec = func(i int, acc float64) {
		if acc >= best {
			return
		}
		if i == n {
			best = acc
			return
		}
		for k, j := range open {
			if load[k]+1 <= pr.Capacity[j] {
				load[k]++
				rec(i+1, acc+pr.Cost.At(i, j))
				load[k]--
			}
		}
	}
	rec(0, 0)
	return best
}

func TestCapacitatedBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		pr := randomProblem(seed, 8, 6, false)
		pr.Weight = nil
		pr.Capacity = []float64{3, 2, 4, 3, 2, 3}
		p := 3
		best := math.Inf(1)
		subsets(6, p, nil, func(s []int) {
			best = math.Min(best, bruteTransport(pr, s))
		})
		sol, err := CapacitatedPMedian(context.Background(), pr, Options{P: p, Seed: 1, TimeLimit: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		checkFlows(t, pr, sol)
		// The transportation of the chosen sites must be optimal for them.
		if want := bruteTransport(pr, sol.Open); math.Abs(sol.Objective-want) > 1e-6 {
			t.Errorf("seed %d: objective %v, optimal assignment for %v is %v", seed, sol.Objective, sol.Open, want)
		}
		if sol.Objective < best-1e-6 {
			t.Errorf("seed %d: objective %v below brute-force optimum %v", seed, sol.Objective, best)
		}
		if sol.LowerBound > best+1e-9 {
			t.Errorf("seed %d: bound %v > optimum %v", seed, sol.LowerBound, best)
		}
		t.Logf("seed %d: objective %v, optimum %v", seed, sol.Objective, best)
	}
}

// checkFlows verifies that flows serve every weight exactly once and
// respect capacities, and recomputes the objective.
func checkFlows(t *testing.T, pr *Problem, sol *Solution) {
	t.Helper()
	served := make([]float64, pr.Cost.Rows)
	load := map[int]float64{}
	obj := 0.0
	open := map[int]bool{}
	for _, j := range sol.Open {
		open[j] = true
	}
	for _, f := range sol.Flows {
		if !open[f.Site] || f.Amount <= 0 {
			t.Fatalf("bad flow %+v", f)
		}
		served[f.Demand] += f.Amount
		load[f.Site] += f.Amount
		obj += f.Amount * pr.Cost.At(f.Demand, f.Site)
	}
	uns := 0.0
	for i, s := range served {
		w := 1.0
		if pr.Weight != nil {
			w = pr.Weight[i]
		}
		if s > w+1e-6 {
			t.Fatalf("demand %d over-served %v > %v", i, s, w)
		}
		uns += w - s
	}
	for j, l := range load {
		if l > pr.Capacity[j]+1e-6 {
			t.Fatalf("site %d load %v > capacity %v", j, l, pr.Capacity[j])
		}
	}
	if math.Abs(obj-sol.Objective) > 1e-6 || math.Abs(uns-sol.Unserved) > 1e-6 {
		t.Fatalf("objective %v unserved %v, recomputed %v %v", sol.Objective, sol.Unserved, obj, uns)
	}
}

func TestCapacitatedShortCapacity(t *testing.T) {
	pr := randomProblem(5, 30, 10, false)
	pr.Capacity = make([]float64, 10)
	for j := range pr.Capacity {
		pr.Capacity[j] = 20
	}
	sol, err := CapacitatedPMedian(context.Background(), pr, Options{P: 3, Seed: 1, TimeLimit: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkFlows(t, pr, sol)
	total := 0.0
	for _, w := range pr.Weight {
		total += w
	}
	if math.Abs(sol.Unserved-(total-60)) > 1e-6 {
		t.Fatalf("unserved %v, want %v", sol.Unserved, total-60)
	}
}

func BenchmarkPMedian(b *testing.B) {
	pr := randomProblem(1, 400, 400, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PMedian(context.Background(), pr, Options{P: 20, Seed: 1, TimeLimit: 10 * time.Second, MaxIterations: 20, LagrangianIterations: 100}); err != nil {
			b.Fatal(err)
		}
	}
}
