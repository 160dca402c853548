package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"lifeline/internal/shareddata"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

func init() {
	register("solve", "solve a VRP benchmark instance (solomon, lilim, cordeau, cvrplib) or a whole family (--bench)", runSolve)
}

// solveOutput is the JSON printed by `lifeline solve FILE`. Routes and
// Unassigned hold the node ids of the instance file (a shipment's pickup
// and delivery ids both appear); the depot is never in a route.
// Objective is the plan's cost under the family's objective (the
// distance for all four families); Feasible is true when the independent
// checker (routing/vrp/check) found no violation, listed otherwise.
// Variant names the variant of the file format that was read (Cordeau
// only: the header counting n requests, or 2n nodes with or without the
// destination depot row).
type solveOutput struct {
	Instance   string    `json:"instance"`
	Variant    string    `json:"variant,omitempty"` // Cordeau: n-requests, 2n-nodes or 2n-nodes+end-depot
	Objective  float64   `json:"objective"`
	Distance   float64   `json:"distance"`
	Vehicles   int       `json:"vehicles"`
	Routes     [][]int64 `json:"routes"`
	Unassigned []int64   `json:"unassigned"`
	Feasible   bool      `json:"feasible"`
	Violations []string  `json:"violations,omitempty"`
	Seconds    float64   `json:"seconds"`
	Seed       uint64    `json:"seed"`
}

// benchDirs maps a family to its folder under the shared data's bench/.
var benchDirs = map[formats.Family]string{
	formats.Solomon: "solomon-vrptw",
	formats.LiLim:   "lilim-pdptw",
	formats.Cordeau: "cordeau-darp",
	formats.CVRPLIB: "cvrplib-x",
}

func runSolve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("solve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "instance format: solomon, lilim, cordeau or cvrplib (required)")
	limit := fs.Duration("time-limit", 30*time.Second, "search budget per instance (wall time)")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 1, "parallel searches")
	iters := fs.Int("iterations", 0, "stop after this many ruin-and-recreate iterations per worker (0 = no limit); with --workers 1 and a fixed --seed the plan is reproducible when the time limit does not end the search first")
	bench := fs.Bool("bench", false, "run every instance of a benchmark folder and print a table against bks.csv")
	dir := fs.String("dir", "", "with --bench: the family folder (holding instances/ and bks.csv); default: the shared data's bench/<family>")
	instances := fs.String("instances", "all", "with --bench: all, or a comma-separated list of instance names")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lifeline solve --format solomon|lilim|cordeau|cvrplib [--time-limit 30s] [--seed 1] [--workers 1] [--iterations N] FILE")
		fmt.Fprintln(stderr, "       lifeline solve --bench --format F [--dir DIR] [--instances all|a,b,c] [--time-limit 30s]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	fam, err := formats.ParseFamily(*format)
	if err != nil {
		fs.Usage()
		return fmt.Errorf("solve: %w", err)
	}
	if *limit <= 0 {
		return errors.New("solve: --time-limit must be positive")
	}
	if *iters < 0 {
		return errors.New("solve: --iterations must not be negative")
	}
	if *workers < 1 {
		return errors.New("solve: --workers must be at least 1")
	}
	opt := vrp.Options{Seed: *seed, TimeLimit: *limit, Workers: *workers, MaxIterations: *iters}
	if *bench {
		d := *dir
		if d == "" {
			root, err := sharedRoot(getenv)
			if err != nil {
				return fmt.Errorf("solve: locate shared data: %w", err)
			}
			d = filepath.Join(root, "bench", benchDirs[fam])
		}
		return solveBench(ctx, fam, d, *instances, opt, stdout, stderr)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("solve: want exactly one instance file")
	}
	out, err := solveFile(ctx, fam, fs.Arg(0), opt)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(out)
}

// sharedRoot returns the shared data folder (LIFELINE_SHARED_DATA or
// ../shared/data beside the module).
func sharedRoot(getenv func(string) string) (string, error) {
	if d := getenv("LIFELINE_SHARED_DATA"); d != "" {
		return d, nil
	}
	return shareddata.Root()
}

// solveFile reads, solves and checks one instance.
func solveFile(ctx context.Context, fam formats.Family, path string, opt vrp.Options) (solveOutput, error) {
	in, err := formats.ReadFile(path, fam)
	if err != nil {
		return solveOutput{}, fmt.Errorf("solve: %w", err)
	}
	t0 := time.Now()
	sol, err := vrp.Solve(ctx, in.Problem, opt)
	secs := time.Since(t0).Seconds()
	if err != nil {
		return solveOutput{}, fmt.Errorf("solve %s: %w", in.Name, err)
	}
	return solveReport(in, sol, secs), nil
}

// solveReport renders a plan with the instance's ids and checks it.
func solveReport(in *formats.Instance, sol *vrp.Solution, secs float64) solveOutput {
	out := solveOutput{
		Instance:   in.Name,
		Variant:    in.Variant,
		Objective:  sol.Cost,
		Distance:   sol.Distance,
		Vehicles:   sol.Vehicles,
		Routes:     [][]int64{},
		Unassigned: []int64{},
		Seconds:    math.Round(secs*1000) / 1000,
		Seed:       sol.Seed,
	}
	for _, r := range sol.Routes {
		var ids []int64
		for _, st := range r.Steps {
			if st.Kind == vrp.StepStart || st.Kind == vrp.StepEnd {
				continue
			}
			ids = append(ids, in.StepID(st))
		}
		if len(ids) > 0 {
			out.Routes = append(out.Routes, ids)
		}
	}
	p := in.Problem
	for _, u := range sol.Unassigned {
		switch {
		case u.Shipment && u.Index >= 0 && u.Index < len(p.Shipments):
			out.Unassigned = append(out.Unassigned, p.Shipments[u.Index].PickupID, p.Shipments[u.Index].DeliveryID)
		case !u.Shipment && u.Index >= 0 && u.Index < len(p.Jobs):
			out.Unassigned = append(out.Unassigned, p.Jobs[u.Index].ID)
		}
	}
	vs := check.Plan(p, sol)
	out.Feasible = len(vs) == 0
	for i, v := range vs {
		if i == 20 {
			out.Violations = append(out.Violations, fmt.Sprintf("... and %d more", len(vs)-20))
			break
		}
		out.Violations = append(out.Violations, v.String())
	}
	return out
}

// solveBench runs every selected instance of a family folder and prints a
// comparison table with bks.csv, then a summary line.
func solveBench(ctx context.Context, fam formats.Family, dir, list string, opt vrp.Options, stdout, stderr io.Writer) error {
	files, err := filepath.Glob(filepath.Join(dir, "instances", "*"))
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(filepath.Base(files[i]), filepath.Base(files[j])) })
	bks := map[string]formats.BKS{}
	if fh, err := os.Open(filepath.Join(dir, "bks.csv")); err == nil {
		rows, err := formats.ReadBKS(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("solve: %w", err)
		}
		for _, r := range rows {
			bks[strings.ToLower(r.Instance)] = r
		}
	}
	want := map[string]bool{}
	if list != "" && list != "all" {
		for _, n := range strings.Split(list, ",") {
			want[strings.ToLower(strings.TrimSpace(n))] = true
		}
	}
	all := len(want) == 0 // decided before the loop empties want
	var sel []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if all || want[strings.ToLower(name)] {
			sel = append(sel, f)
			delete(want, strings.ToLower(name))
		}
	}
	if len(want) > 0 {
		var missing []string
		for n := range want {
			missing = append(missing, n)
		}
		sort.Strings(missing)
		return fmt.Errorf("solve: instances not found in %s: %s", dir, strings.Join(missing, ", "))
	}
	if len(sel) == 0 {
		return fmt.Errorf("solve: no instances in %s/instances", dir)
	}
	fmt.Fprintf(stdout, "# family %s, %d instances, time limit %s per instance, seed %d, workers %d\n",
		fam, len(sel), opt.TimeLimit, opt.Seed, opt.Workers)
	fmt.Fprintf(stdout, "%-12s %8s %8s %12s %12s %8s %8s %8s\n",
		"instance", "vehicles", "bks_veh", "distance", "bks_dist", "gap_%", "feasible", "seconds")
	var (
		m, withBKS, vehEq, vehLess, feasible int
		gapSum, gapEqSum                     float64
		gapEqN                               int
		unassigned                           int
	)
	for _, f := range sel {
		if ctx.Err() != nil {
			break
		}
		out, err := solveFile(ctx, fam, f, opt)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", filepath.Base(f), err)
			continue
		}
		m++
		if out.Feasible {
			feasible++
		}
		unassigned += len(out.Unassigned)
		b, ok := bks[strings.ToLower(out.Instance)]
		bv, bd, gap := "-", "-", "-"
		if ok {
			withBKS++
			g := 100 * (out.Distance - b.Value) / b.Value
			if math.Abs(g) < 5e-5 {
				g = 0 // print 0.00, not -0.00, for equal values
			}
			gapSum += g
			bd = fmt.Sprintf("%.4f", b.Value)
			gap = fmt.Sprintf("%.2f", g)
			if b.Vehicles > 0 {
				bv = fmt.Sprint(b.Vehicles)
				if out.Vehicles == b.Vehicles {
					vehEq++
					gapEqSum += g
					gapEqN++
				} else if out.Vehicles < b.Vehicles {
					vehLess++
				}
			}
		}
		fmt.Fprintf(stdout, "%-12s %8d %8s %12.4f %12s %8s %8v %8.1f\n",
			out.Instance, out.Vehicles, bv, out.Distance, bd, gap, out.Feasible, out.Seconds)
		if !out.Feasible {
			for _, v := range out.Violations {
				fmt.Fprintf(stderr, "%s: %s\n", out.Instance, v)
			}
		}
	}
	meanGap, meanEq := math.NaN(), math.NaN()
	if withBKS > 0 {
		meanGap = gapSum / float64(withBKS)
	}
	if gapEqN > 0 {
		meanEq = gapEqSum / float64(gapEqN)
	}
	fmt.Fprintf(stdout, "# summary %s: vehicles equal to BKS on %d of %d (fewer on %d), mean gap %.2f%% (%.2f%% where vehicles equal), feasible %d of %d, unassigned ids %d\n",
		fam, vehEq, withBKS, vehLess, meanGap, meanEq, feasible, m, unassigned)
	return ctx.Err()
}

// naturalLess orders names with embedded numbers numerically (a2-16 < a2-20,
// C101 < C201, X-n101 < X-n110).
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
