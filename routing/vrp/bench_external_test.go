package vrp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
// solomon:all), with LIFELINE_VRP_SECONDS per instance (default 30).
func TestBenchFamilies(t *testing.T) {
	spec := os.Getenv("LIFELINE_VRP_BENCH")
	if spec == "" {
		t.Skip("set LIFELINE_VRP_BENCH to run the benchmark families")
	}
	secs := 30.0
	if s := os.Getenv("LIFELINE_VRP_SECONDS"); s != "" {
		fmt.Sscan(s, &secs)
	}
	for env, ptr := range map[string]*float64{"LIFELINE_VRP_T0": vrp.T0Factor, "LIFELINE_VRP_TF": vrp.TfFactor, "LIFELINE_VRP_FLEET": vrp.FleetFrac, "LIFELINE_VRP_PEN": vrp.PenFactor} {
		if s := os.Getenv(env); s != "" {
			fmt.Sscan(s, ptr)
		}
	}
	if s := os.Getenv("LIFELINE_VRP_STALL"); s != "" {
		fmt.Sscan(s, vrp.StallLimit)
	}
	dirs := map[string]string{"solomon": "bench/solomon-vrptw", "lilim": "bench/lilim-pdptw", "cordeau": "bench/cordeau-darp", "cvrplib": "bench/cvrplib-x"}
	ext := map[string]string{"solomon": ".txt", "lilim": ".txt", "cordeau": ".txt", "cvrplib": ".vrp"}
	for _, part := range strings.Split(spec, ";") {
		fam, names, _ := strings.Cut(part, ":")
		dir := sdtest.Path(t, dirs[fam])
		f, err := formats.ParseFamily(fam)
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
		sumGap, nv, cnt := 0.0, 0, 0
		for _, name := range list {
			inst, err := formats.ReadFile(filepath.Join(dir, "instances", name+ext[fam]), f)
			if err != nil {
				t.Fatal(err)
			}
			p := inst.Problem
			if fam == "cordeau" || fam == "cvrplib" {
				p.IgnoreVehicleCount = true
			}
			t0 := time.Now()
			sol, err := vrp.Solve(context.Background(), p, vrp.Options{Seed: 1, TimeLimit: time.Duration(secs * float64(time.Second))})
			if err != nil {
				t.Fatal(err)
			}
			b := bks[name]
			gap := 100 * (sol.Distance - b.Value) / b.Value
			if vs := checkPlan(p, sol); len(vs) > 0 {
				t.Errorf("%s: infeasible: %v", name, vs[:min(3, len(vs))])
			}
			if vs := check.Plan(p, sol); len(vs) > 0 {
				t.Errorf("%s: check.Plan: %v", name, vs[:min(3, len(vs))])
			}
			sumGap += gap
			cnt++
			if sol.Vehicles <= b.Vehicles || b.Vehicles == 0 {
				nv++
			}
			t.Logf("%-8s veh %2d/%2d dist %9.2f bks %9.2f gap %6.2f%% unas %d  %.1fs", name, sol.Vehicles, b.Vehicles, sol.Distance, b.Value, gap, len(sol.Unassigned), time.Since(t0).Seconds())
		}
		if cnt > 0 {
			t.Logf("%s: %d instances, vehicles <= BKS on %d, mean gap %.2f%%", fam, cnt, nv, sumGap/float64(cnt))
		}
	}
}
