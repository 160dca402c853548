package vrp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

// TestBenchFamilies solves benchmark instances against their BKS. It runs
// only when LIFELINE_VRP_BENCH names instances, e.g.
// LIFELINE_VRP_BENCH=solomon:C101,R101;lilim:lc101;cordeau:a2-16 (or
// solomon:all), with LIFELINE_VRP_SECONDS per instance (default 30) or
// LIFELINE_VRP_ITERS iterations, LIFELINE_VRP_SEEDS=1-5 (default 1) and
// LIFELINE_VRP_PAR runs at a time (default 1). Tuning knobs:
// LIFELINE_VRP_T0, _TF, _FLEET, _PEN, _STALL, _TRIES.
func TestBenchFamilies(t *testing.T) {
	spec := os.Getenv("LIFELINE_VRP_BENCH")
	if spec == "" {
		t.Skip("set LIFELINE_VRP_BENCH to run the benchmark families")
	}
	secs := 30.0
	if s := os.Getenv("LIFELINE_VRP_SECONDS"); s != "" {
		fmt.Sscan(s, &secs)
	}
	iters, par := 0, 1
	fmt.Sscan(os.Getenv("LIFELINE_VRP_ITERS"), &iters)
	fmt.Sscan(os.Getenv("LIFELINE_VRP_PAR"), &par)
	seedLo, seedHi := 1, 1
	if s := os.Getenv("LIFELINE_VRP_SEEDS"); s != "" {
		if _, err := fmt.Sscanf(s, "%d-%d", &seedLo, &seedHi); err != nil {
			fmt.Sscan(s, &seedLo)
			seedHi = seedLo
		}
	}
	for env, ptr := range map[string]*float64{"LIFELINE_VRP_T0": vrp.T0Factor, "LIFELINE_VRP_TF": vrp.TfFactor, "LIFELINE_VRP_FLEET": vrp.FleetFrac, "LIFELINE_VRP_PEN": vrp.PenFactor, "LIFELINE_VRP_REMOVED": vrp.AvgRemoved,
		"LIFELINE_VRP_RESTART": vrp.RestartFrac, "LIFELINE_VRP_RESTART_PART": vrp.RestartPart} {
		if s := os.Getenv(env); s != "" {
			fmt.Sscan(s, ptr)
		}
	}
	for env, ptr := range map[string]*int{"LIFELINE_VRP_STALL": vrp.StallLimit, "LIFELINE_VRP_TRIES": vrp.FleetTries} {
		if s := os.Getenv(env); s != "" {
			fmt.Sscan(s, ptr)
		}
	}
	dirs := map[string]string{"solomon": "bench/solomon-vrptw", "lilim": "bench/lilim-pdptw", "cordeau": "bench/cordeau-darp", "cvrplib": "bench/cvrplib-x", "cvrplib-large": "bench/cvrplib-x-large"}
	ext := map[string]string{"solomon": ".txt", "lilim": ".txt", "cordeau": ".txt", "cvrplib": ".vrp", "cvrplib-large": ".vrp"}
	for _, part := range strings.Split(spec, ";") {
		fam, names, _ := strings.Cut(part, ":")
		dir := sdtest.Path(t, dirs[fam])
		f, err := formats.ParseFamily(strings.TrimSuffix(fam, "-large"))
		if err != nil {
			t.Fatal(err)
		}
		bf, err := os.Open(filepath.Join(dir, "bks.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := formats.ReadBKS(bf)
		bf.Close()
		if err != nil {
			t.Fatal(err)
		}
		bks := map[string]formats.BKS{}
		var all []string
		for _, r := range rows {
			bks[r.Instance] = r
			all = append(all, r.Instance)
		}
		list := strings.Split(names, ",")
		if names == "all" {
			list = all
		} else if strings.HasPrefix(names, "prefix=") {
			list = nil
			for _, n := range all {
				if strings.HasPrefix(n, strings.TrimPrefix(names, "prefix=")) {
					list = append(list, n)
				}
			}
		}
		sort.Strings(list)
		type result struct {
			gap  float64
			veq  bool
			line string
		}
		res := make([][]result, len(list))
		for i := range res {
			res[i] = make([]result, seedHi-seedLo+1)
		}
		sem := make(chan struct{}, max(1, par))
		var wg sync.WaitGroup
		for i, name := range list {
			inst, err := formats.ReadFile(filepath.Join(dir, "instances", name+ext[fam]), f)
			if err != nil {
				t.Fatal(err)
			}
			p := inst.Problem
			for seed := seedLo; seed <= seedHi; seed++ {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					t0 := time.Now()
					opt := vrp.Options{Seed: uint64(seed), TimeLimit: time.Duration(secs * float64(time.Second))}
					if iters > 0 {
						opt = vrp.Options{Seed: uint64(seed), MaxIterations: iters}
					}
					sol, err := vrp.Solve(context.Background(), p, opt)
					if err != nil {
						t.Error(err)
						return
					}
					b := bks[name]
					gap := 100 * (sol.Distance - b.Value) / b.Value
					if vs := checkPlan(p, sol); len(vs) > 0 {
						t.Errorf("%s: infeasible: %v", name, vs[:min(3, len(vs))])
					}
					if vs := check.Plan(p, sol); len(vs) > 0 {
						t.Errorf("%s: check.Plan: %v", name, vs[:min(3, len(vs))])
					}
					res[i][seed-seedLo] = result{gap: gap, veq: sol.Vehicles == b.Vehicles || b.Vehicles == 0,
						line: fmt.Sprintf("%-8s s%d veh %2d/%2d dist %9.2f bks %9.2f gap %6.2f%% unas %d  %.1fs", name, seed, sol.Vehicles, b.Vehicles, sol.Distance, b.Value, gap, len(sol.Unassigned), time.Since(t0).Seconds())}
				}()
			}
		}
		wg.Wait()
		sumGap, nv, cnt, worst := 0.0, 0, 0, -100.0
		for i, name := range list {
			lo, hi, sum := 100.0, -100.0, 0.0
			for _, r := range res[i] {
				t.Log(r.line)
				sum += r.gap
				lo, hi = min(lo, r.gap), max(hi, r.gap)
				sumGap += r.gap
				cnt++
				if r.veq {
					nv++
				}
			}
			worst = max(worst, hi)
			t.Logf("%-8s mean %6.2f%% best %6.2f%% worst %6.2f%%", name, sum/float64(len(res[i])), lo, hi)
		}
		if cnt > 0 {
			t.Logf("%s: %d runs, vehicles = BKS on %d, mean gap %.3f%%, worst %.2f%%", fam, cnt, nv, sumGap/float64(cnt), worst)
		}
	}
}
