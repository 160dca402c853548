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
	"strconv"
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
	CPUSeconds float64   `json:"cpu_seconds"`        // process CPU time during the solve (all threads)
	FirstPlan  float64   `json:"first_plan_seconds"` // time to the first plan (construction, every route feasible)
	PeakRSSMB  float64   `json:"peak_rss_mb"`        // the process's peak resident memory so far
	Seed       uint64    `json:"seed"`
	Iterations int       `json:"iterations"`
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
	limit := fs.Duration("time-limit", 30*time.Second, "search budget per instance (wall time); with --iterations and no --time-limit there is none")
	seed := fs.Uint64("seed", 1, "random seed")
	seeds := fs.String("seeds", "", "with --bench: a range of seeds A-B (or a list a,b,c) run per instance; adds the spread per instance (overrides --seed)")
	trace := fs.String("trace", "", "write the best cost over iterations and time of every run as CSV (and an SVG plot per instance with --bench) into this folder")
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
	limitSet := false
	fs.Visit(func(f *flag.Flag) { limitSet = limitSet || f.Name == "time-limit" })
	if *iters > 0 && !limitSet {
		*limit = 0 // reproducible: the iteration budget alone ends the search
	}
	seedList := []uint64{*seed}
	if *seeds != "" {
		if seedList, err = parseSeeds(*seeds); err != nil {
			return fmt.Errorf("solve: --seeds: %w", err)
		}
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
		return solveBench(ctx, fam, d, *instances, seedList, *trace, opt, stdout, stderr)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("solve: want exactly one instance file")
	}
	var tr *traceLog
	if *trace != "" {
		tr = &traceLog{}
		opt.Progress = tr.add
	}
	out, err := solveFile(ctx, fam, fs.Arg(0), opt)
	if err != nil {
		return err
	}
	if tr != nil {
		tr.finish(out)
		if err := tr.write(filepath.Join(*trace, fmt.Sprintf("%s-s%d.csv", out.Instance, *seed))); err != nil {
			return fmt.Errorf("solve: %w", err)
		}
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
	first := -1.0
	prog := opt.Progress
	opt.Progress = func(p vrp.Progress) {
		if first < 0 {
			first = p.Elapsed.Seconds() // the constructed plan, before any search
		}
		if prog != nil {
			prog(p)
		}
	}
	t0, c0 := time.Now(), processCPU()
	sol, err := vrp.Solve(ctx, in.Problem, opt)
	secs, cpu := time.Since(t0).Seconds(), (processCPU() - c0).Seconds()
	if err != nil {
		return solveOutput{}, fmt.Errorf("solve %s: %w", in.Name, err)
	}
	out := solveReport(in, sol, secs)
	out.CPUSeconds = math.Round(cpu*1000) / 1000
	out.FirstPlan = math.Round(first*1000) / 1000
	out.PeakRSSMB = math.Round(float64(peakRSS())/(1<<20)*10) / 10
	return out, nil
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
		Iterations: sol.Iterations,
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

// benchRun is one solve of one instance with one seed.
type benchRun struct {
	out    solveOutput
	seed   uint64
	gap    float64 // percent against the BKS distance
	hasBKS bool
	bks    formats.BKS
	trace  *traceLog
}

// vehEq reports whether the run used the BKS's vehicle count (true when the
// BKS gives none).
func (r *benchRun) vehEq() bool { return r.bks.Vehicles == 0 || r.out.Vehicles == r.bks.Vehicles }

// benchSelect lists the family folder's instances (natural order) selected
// by list and reads its bks.csv (keys lower-case).
func benchSelect(dir, list string) ([]string, map[string]formats.BKS, error) {
	files, err := filepath.Glob(filepath.Join(dir, "instances", "*"))
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(filepath.Base(files[i]), filepath.Base(files[j])) })
	bks := map[string]formats.BKS{}
	if fh, err := os.Open(filepath.Join(dir, "bks.csv")); err == nil {
		rows, err := formats.ReadBKS(fh)
		fh.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("solve: %w", err)
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
		return nil, nil, fmt.Errorf("solve: instances not found in %s: %s", dir, strings.Join(missing, ", "))
	}
	if len(sel) == 0 {
		return nil, nil, fmt.Errorf("solve: no instances in %s/instances", dir)
	}
	return sel, bks, nil
}

// parseSeeds reads "A-B" or "a,b,c".
func parseSeeds(s string) ([]uint64, error) {
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
		hi, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
		if err1 != nil || err2 != nil || hi < lo || hi-lo >= 1000 {
			return nil, fmt.Errorf("%q is not a range A-B of at most 1000 seeds", s)
		}
		var out []uint64
		for x := lo; x <= hi; x++ {
			out = append(out, x)
		}
		return out, nil
	}
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", f, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// budgetText describes the search budget of opt.
func budgetText(opt vrp.Options) string {
	switch {
	case opt.MaxIterations > 0 && opt.TimeLimit > 0:
		return fmt.Sprintf("%d iterations or %s per instance", opt.MaxIterations, opt.TimeLimit)
	case opt.MaxIterations > 0:
		return fmt.Sprintf("%d iterations per instance", opt.MaxIterations)
	}
	return fmt.Sprintf("time limit %s per instance", opt.TimeLimit)
}

// solveBench runs every selected instance of a family folder once per seed
// and prints a table per seed against bks.csv with a summary line; with
// several seeds it adds the spread per instance (mean, best, worst gap) and
// the family's summary over all runs. With traceDir it writes one CSV per
// run and one SVG plot per instance.
func solveBench(ctx context.Context, fam formats.Family, dir, list string, seeds []uint64, traceDir string, opt vrp.Options, stdout, stderr io.Writer) error {
	sel, bks, err := benchSelect(dir, list)
	if err != nil {
		return err
	}
	if traceDir != "" {
		if err := os.MkdirAll(traceDir, 0o755); err != nil {
			return fmt.Errorf("solve: %w", err)
		}
	}
	runs := map[string][]*benchRun{}
	var names []string
	for _, seed := range seeds {
		fmt.Fprintf(stdout, "# family %s, %d instances, %s, seed %d, workers %d\n",
			fam, len(sel), budgetText(opt), seed, opt.Workers)
		fmt.Fprintf(stdout, "%-12s %8s %8s %12s %12s %8s %8s %8s %10s %8s %8s %7s %7s\n",
			"instance", "vehicles", "bks_veh", "distance", "bks_dist", "gap_%", "feasible", "seconds", "iterations", "iter/s", "iter/cpu", "first_s", "rss_mb")
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
			o := opt
			o.Seed = seed
			var tr *traceLog
			if traceDir != "" {
				tr = &traceLog{}
				o.Progress = tr.add
			}
			out, err := solveFile(ctx, fam, f, o)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", filepath.Base(f), err)
				continue
			}
			m++
			run := &benchRun{out: out, seed: seed, trace: tr}
			if _, seen := runs[out.Instance]; !seen {
				names = append(names, out.Instance)
			}
			runs[out.Instance] = append(runs[out.Instance], run)
			if out.Feasible {
				feasible++
			}
			unassigned += len(out.Unassigned)
			b, ok := bks[strings.ToLower(out.Instance)]
			bv, bd, gap := "-", "-", "-"
			if ok {
				run.hasBKS, run.bks = true, b
				withBKS++
				g := 100 * (out.Distance - b.Value) / b.Value
				if math.Abs(g) < 5e-5 {
					g = 0 // print 0.00, not -0.00, for equal values
				}
				run.gap = g
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
			rate, crate := 0.0, 0.0
			if out.Seconds > 0 {
				rate = float64(out.Iterations) / out.Seconds
			}
			if out.CPUSeconds > 0 {
				crate = float64(out.Iterations) / out.CPUSeconds
			}
			fmt.Fprintf(stdout, "%-12s %8d %8s %12.4f %12s %8s %8v %8.1f %10d %8.0f %8.0f %7.3f %7.1f\n",
				out.Instance, out.Vehicles, bv, out.Distance, bd, gap, out.Feasible, out.Seconds, out.Iterations, rate, crate, out.FirstPlan, out.PeakRSSMB)
			if !out.Feasible {
				for _, v := range out.Violations {
					fmt.Fprintf(stderr, "%s: %s\n", out.Instance, v)
				}
			}
			if tr != nil {
				tr.finish(out)
				if err := tr.write(filepath.Join(traceDir, fmt.Sprintf("%s-s%d.csv", out.Instance, seed))); err != nil {
					return fmt.Errorf("solve: %w", err)
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
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if len(seeds) > 1 {
		printSpread(stdout, fam, seeds, names, runs)
	}
	if traceDir != "" {
		for _, n := range names {
			if err := writeTracePlot(filepath.Join(traceDir, n+".svg"), n, runs[n]); err != nil {
				return fmt.Errorf("solve: %w", err)
			}
		}
	}
	return ctx.Err()
}

// printSpread prints, per instance, the gap over the seeds (mean, best,
// worst, standard deviation) and the runs with the BKS's vehicle count, then
// the family's summary over all runs.
func printSpread(w io.Writer, fam formats.Family, seeds []uint64, names []string, runs map[string][]*benchRun) {
	fmt.Fprintf(w, "\n# spread over %d seeds (%d..%d): gap_%% per instance\n", len(seeds), seeds[0], seeds[len(seeds)-1])
	fmt.Fprintf(w, "%-12s %8s %8s %8s %8s %8s %8s %8s\n", "instance", "veh_eq", "mean", "best", "worst", "sd", "feasible", "iters")
	var (
		all, allN       float64
		worst           = math.Inf(-1)
		worstName       string
		worstSeed       uint64
		above1, above15 []string
		feasible, total int
		perSeedSum      = make([]float64, len(seeds))
		perSeedVeh      = make([]int, len(seeds))
		perSeedN        = make([]int, len(seeds))
		seedIdx         = map[uint64]int{}
		instWithVehBKS  int
		instVehAllSeeds int
	)
	for i, s := range seeds {
		seedIdx[s] = i
	}
	for _, n := range names {
		rs := runs[n]
		var sum, sq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		eq, feas, k := 0, 0, 0
		iters := 0
		for _, r := range rs {
			total++
			iters += r.out.Iterations
			if r.out.Feasible {
				feas++
				feasible++
			}
			if r.vehEq() {
				eq++
			}
			if !r.hasBKS {
				continue
			}
			k++
			sum += r.gap
			sq += r.gap * r.gap
			lo, hi = math.Min(lo, r.gap), math.Max(hi, r.gap)
			all += r.gap
			allN++
			si := seedIdx[r.seed]
			perSeedSum[si] += r.gap
			perSeedN[si]++
			if r.vehEq() {
				perSeedVeh[si]++
			}
			if r.gap > worst {
				worst, worstName, worstSeed = r.gap, n, r.seed
			}
		}
		if len(rs) > 0 && rs[0].hasBKS && rs[0].bks.Vehicles > 0 {
			instWithVehBKS++
			if eq == len(rs) {
				instVehAllSeeds++
			}
		}
		if k == 0 {
			fmt.Fprintf(w, "%-12s %5d/%-2d %8s %8s %8s %8s %5d/%-2d %8d\n", n, eq, len(rs), "-", "-", "-", "-", feas, len(rs), iters/max(1, len(rs)))
			continue
		}
		mean := sum / float64(k)
		sd := math.Sqrt(math.Max(0, sq/float64(k)-mean*mean))
		if hi > 1.0 {
			above1 = append(above1, n)
		}
		if hi > 1.5 {
			above15 = append(above15, n)
		}
		fmt.Fprintf(w, "%-12s %5d/%-2d %8.2f %8.2f %8.2f %8.2f %5d/%-2d %8d\n", n, eq, len(rs), mean, lo, hi, sd, feas, len(rs), iters/max(1, len(rs)))
	}
	var ps []string
	for i := range seeds {
		if perSeedN[i] > 0 {
			ps = append(ps, fmt.Sprintf("s%d %.2f%% veh=BKS %d/%d", seeds[i], perSeedSum[i]/float64(perSeedN[i]), perSeedVeh[i], perSeedN[i]))
		}
	}
	fmt.Fprintf(w, "# per seed: %s\n", strings.Join(ps, "; "))
	fmt.Fprintf(w, "# spread %s: mean gap %.2f%% over %d runs, worst run %s seed %d at %.2f%%, instances above 1.0%% on some seed: %d %v, above 1.5%%: %d %v, vehicles = BKS on every seed for %d of %d instances, feasible %d of %d runs\n",
		fam, all/math.Max(1, allN), int(allN), worstName, worstSeed, worst, len(above1), above1, len(above15), above15, instVehAllSeeds, instWithVehBKS, feasible, total)
}

// traceLog records the best plan's progress of one run.
type traceLog struct {
	rows []vrp.Progress
}

// add is a vrp.Options.Progress (calls are serialised by Solve).
func (t *traceLog) add(p vrp.Progress) { t.rows = append(t.rows, p) }

// finish appends the end of the run (its final iteration count and plan).
func (t *traceLog) finish(out solveOutput) {
	t.rows = append(t.rows, vrp.Progress{Worker: -1, Iteration: out.Iterations, Elapsed: time.Duration(out.Seconds * float64(time.Second)),
		Vehicles: out.Vehicles, Cost: out.Objective})
}

// write saves the trace as CSV: worker (-1 = the returned plan), iteration,
// seconds, served priority, vehicles, cost.
func (t *traceLog) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("worker,iteration,seconds,priority,vehicles,cost\n")
	for _, r := range t.rows {
		fmt.Fprintf(&b, "%d,%d,%.3f,%d,%d,%.4f\n", r.Worker, r.Iteration, r.Elapsed.Seconds(), r.Priority, r.Vehicles, r.Cost)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeTracePlot draws the best cost's gap (to the BKS, or to the best final
// cost without one) over the iterations, one line per seed, as SVG. Points
// with more vehicles than the run's final plan are drawn at the top.
func writeTracePlot(path, name string, rs []*benchRun) error {
	const W, H, L, R, T, B = 720.0, 360.0, 60.0, 110.0, 30.0, 40.0
	const yMax = 5.0
	ref := math.Inf(1)
	maxIt := 1
	for _, r := range rs {
		if r.hasBKS {
			ref = r.bks.Value
		} else {
			ref = math.Min(ref, r.out.Objective)
		}
		maxIt = max(maxIt, r.out.Iterations)
	}
	if r0 := rs[0]; !r0.hasBKS && math.IsInf(ref, 1) {
		return nil
	}
	x := func(it int) float64 { return L + (W-L-R)*float64(it)/float64(maxIt) }
	y := func(g float64) float64 { return T + (H-T-B)*(1-math.Max(0, math.Min(yMax, g))/yMax) }
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="18" font-size="13">%s: best cost, %% above %s, over iterations</text>`+"\n",
		L, name, map[bool]string{true: "BKS", false: "best final"}[rs[0].hasBKS])
	for g := 0.0; g <= yMax; g++ {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%.0f%%</text>`+"\n",
			L, W-R, y(g), y(g), L-4, y(g)+4, g)
	}
	for k := 0; k <= 4; k++ {
		it := maxIt * k / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x(it), H-B+16, it)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">iterations</text>`+"\n", (L+W-R)/2, H-6)
	for i, r := range rs {
		if r.trace == nil {
			continue
		}
		c := colors[i%len(colors)]
		var pts []string
		last := math.NaN()
		for _, p := range r.trace.rows {
			if p.Worker > 0 {
				continue // worker 0's walk; the others are in the CSV
			}
			g := yMax
			if p.Vehicles <= r.out.Vehicles {
				g = 100 * (p.Cost - ref) / ref
			}
			if !math.IsNaN(last) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Iteration), y(last)))
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Iteration), y(g)))
			last = g
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", c, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s">seed %d: %.2f%%</text>`+"\n", W-R+6, T+14*float64(i+1), c, r.seed, 100*(r.out.Objective-ref)/ref)
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
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
