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
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/formats"
	"lifeline/routing/network"
	"lifeline/routing/osm"
	"lifeline/routing/siteplan"
	"lifeline/routing/siting"
)

func init() {
	register("site", "solve a facility-location benchmark instance (OR-Library p-median)", runSite)
}

// siteOutput is the JSON printed by `lifeline site`. Facilities are the
// file's 1-based vertex ids.
type siteOutput struct {
	Instance   string  `json:"instance"`
	P          int     `json:"p"`
	Objective  float64 `json:"objective"`
	Facilities []int   `json:"facilities"`
	LowerBound float64 `json:"lower_bound"`
	Gap        float64 `json:"gap"`
	Optimal    bool    `json:"optimal"`
	Seconds    float64 `json:"seconds"`
	Seed       uint64  `json:"seed"`
}

func runSite(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("site", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "orlib-pmed", "orlib-pmed (OR-Library p-median), h3-pop (H3 population grid CSV: --p sites, straight-line walking), plan (a siteplan Request as JSON)")
	limit := fs.Duration("time-limit", 10*time.Second, "wall-time budget (includes reading the file)")
	seed := fs.Uint64("seed", 1, "random seed")
	p := fs.Int("p", 0, "override the number of medians (0: the file's)")
	bksPath := fs.String("bks", "", "bks.csv of optima: print a comparison table instead of JSON")
	geojsonOut := fs.String("geojson", "", "h3-pop: write the plan's GeoJSON layer to this file")
	resolution := fs.Int("resolution", 9, "h3-pop: H3 resolution demand is aggregated to")
	osmPath := fs.String("osm", "", "h3-pop: OSM file (.osm.pbf) whose foot network gives walking times (default: straight line x1.3 at 5 km/h)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lifeline site [--format orlib-pmed|h3-pop|plan] [--time-limit 10s] [--seed 1] [--bks bks.csv] [--p N] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errors.New("site: want an instance file")
	}
	switch *format {
	case "orlib-pmed":
	case "h3-pop":
		return runSiteGrid(ctx, fs.Args(), *p, *limit, *seed, *geojsonOut, *resolution, *osmPath, stdout, stderr)
	case "plan":
		return runSitePlanFile(ctx, fs.Args(), stdout)
	default:
		return fmt.Errorf("site: unknown format %q (want orlib-pmed, h3-pop or plan)", *format)
	}
	var bks map[string]float64
	if *bksPath != "" {
		f, err := os.Open(*bksPath)
		if err != nil {
			return err
		}
		rows, err := formats.ReadPMedianBKS(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", *bksPath, err)
		}
		bks = make(map[string]float64, len(rows))
		for _, r := range rows {
			bks[r.Instance] = r.Value
		}
		fmt.Fprintf(stdout, "%-8s %5s %4s %9s %9s %8s %9s %8s\n", "instance", "n", "p", "objective", "optimum", "gap%", "lb-gap%", "seconds")
	}
	var nOpt, nKnown int
	var sumGap, sumLBGap, maxSec float64
	enc := json.NewEncoder(stdout)
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, n, err := solveSiteFile(ctx, path, *limit, *seed, *p)
		if err != nil {
			return err
		}
		if bks == nil {
			if err := enc.Encode(out); err != nil {
				return err
			}
			continue
		}
		opt, ok := bks[out.Instance]
		gap, lbGap := math.NaN(), math.NaN()
		if ok && opt > 0 {
			nKnown++
			gap = 100 * (out.Objective - opt) / opt
			lbGap = 100 * (opt - out.LowerBound) / opt
			sumGap += gap
			sumLBGap += lbGap
			if out.Objective <= opt+1e-9 {
				nOpt++
			}
		}
		maxSec = math.Max(maxSec, out.Seconds)
		fmt.Fprintf(stdout, "%-8s %5d %4d %9.0f %9.0f %8.3f %9.3f %8.2f\n", out.Instance, n, out.P, out.Objective, opt, gap, lbGap, out.Seconds)
	}
	if bks != nil && nKnown > 0 {
		fmt.Fprintf(stdout, "summary: optimum on %d of %d, mean gap %.4f%%, mean lower-bound gap %.4f%%, max %.2f s per instance\n",
			nOpt, nKnown, sumGap/float64(nKnown), sumLBGap/float64(nKnown), maxSec)
	}
	return nil
}

// solveSiteFile reads and solves one instance file within limit (the
// budget includes reading and the shortest paths).
func solveSiteFile(ctx context.Context, path string, limit time.Duration, seed uint64, p int) (siteOutput, int, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return siteOutput{}, 0, err
	}
	inst, err := formats.ReadPMedian(f)
	f.Close()
	if err != nil {
		return siteOutput{}, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if p > 0 {
		inst.P = p
	}
	rest := limit - time.Since(start) - 30*time.Millisecond // margin for output
	if rest < time.Millisecond {
		rest = time.Millisecond
	}
	sol, err := siting.PMedian(ctx, &siting.Problem{Cost: inst.Dist}, siting.Options{P: inst.P, Seed: seed, TimeLimit: rest})
	if err != nil {
		return siteOutput{}, 0, err
	}
	out := siteOutput{Instance: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), P: inst.P,
		Objective: sol.Objective, LowerBound: sol.LowerBound, Gap: sol.Gap, Optimal: sol.Optimal,
		Seconds: time.Since(start).Seconds(), Seed: seed, Facilities: []int{}}
	for _, j := range sol.Open {
		out.Facilities = append(out.Facilities, j+1)
	}
	return out, inst.N, nil
}

// runSiteGrid plans p sites over an H3 population grid CSV with
// straight-line walking and prints the summary and solver figures as JSON.
func runSiteGrid(ctx context.Context, files []string, p int, limit time.Duration, seed uint64, geojsonOut string, res int, osmPath string, stdout, stderr io.Writer) error {
	if len(files) != 1 || p < 1 {
		return errors.New("site: h3-pop wants one CSV file and --p sites")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	cells, err := siteplan.ReadPopulationCSV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", files[0], err)
	}
	req := siteplan.Request{Cells: cells, Sites: p, Resolution: res, Seed: seed, TimeLimitSeconds: limit.Seconds(),
		CandidatesFrom: []string{siteplan.FromCells}, OmitGeoJSON: geojsonOut == ""}
	var walk siteplan.WalkFunc
	buildSeconds := 0.0
	if osmPath != "" {
		t0 := time.Now()
		n, _, err := network.BuildFile(ctx, osmPath, osm.Foot, network.Options{MaxSnapDistance: 2000})
		if err != nil {
			return fmt.Errorf("foot network from %s: %w", osmPath, err)
		}
		buildSeconds = time.Since(t0).Seconds()
		fmt.Fprintf(stderr, "site: foot network of %s built in %.1f s (not counted in the plan's time)\n", osmPath, buildSeconds)
		walk = func(from, to []orb.Point) (routing.Matrix, error) {
			// Points farther than the snapping limit from any footway
			// (river islands) get unreachable rows/columns instead of
			// failing the whole matrix.
			keep := func(ps []orb.Point) (idx []int, sub []orb.Point) {
				for k, p := range ps {
					if _, err := n.Snap(p); err == nil {
						idx, sub = append(idx, k), append(sub, p)
					}
				}
				return idx, sub
			}
			fi, fp := keep(from)
			ti, tp := keep(to)
			m := routing.NewMatrix(len(from), len(to))
			for k := range m.Data {
				m.Data[k] = routing.Unreachable
			}
			if len(fp) == 0 || len(tp) == 0 {
				return m, nil
			}
			t, _, err := n.Table(ctx, fp, tp)
			if err != nil {
				return routing.Matrix{}, err
			}
			for a, i := range fi {
				for b, j := range ti {
					m.Set(i, j, t.At(a, b))
				}
			}
			return m, nil
		}
	}
	plan, err := siteplan.Plan(ctx, req, walk)
	if err != nil {
		return err
	}
	if geojsonOut != "" {
		b, err := json.Marshal(plan.GeoJSON)
		if err != nil {
			return err
		}
		if err := os.WriteFile(geojsonOut, b, 0o644); err != nil {
			return err
		}
	}
	out := struct {
		Instance       string               `json:"instance"`
		NetworkSeconds float64              `json:"network_build_seconds,omitempty"`
		Cells          int                  `json:"cells"`
		Method         string               `json:"method"`
		Summary        siteplan.Summary     `json:"summary"`
		Solver         siteplan.SolverStats `json:"solver"`
	}{filepath.Base(files[0]), buildSeconds, len(cells), plan.Method, plan.Summary, plan.Solver}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// runSitePlanFile reads a siteplan.Request as JSON and prints the Result.
func runSitePlanFile(ctx context.Context, files []string, stdout io.Writer) error {
	if len(files) != 1 {
		return errors.New("site: plan wants one request file")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	var req siteplan.Request
	if err := json.Unmarshal(data, &req); err != nil {
		return fmt.Errorf("read %s: %w", files[0], err)
	}
	plan, err := siteplan.Plan(ctx, req, nil)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(plan)
}
