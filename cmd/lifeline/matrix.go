package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"lifeline/routing"
	"lifeline/routing/network"

	"github.com/paulmach/orb"
)

func init() {
	register("matrix", "travel time and distance table between points on a graph file (JSON)", runMatrix)
}

// maxPoints caps the points of a matrix file (checked while reading).
const maxPoints = 5000

// readPoints reads points from CSV (lon,lat per line, an optional header,
// optional third column id ignored) or JSON ([[lon,lat],...] or
// [{"lon":..,"lat":..},...]), at most maxPoints.
func readPoints(r io.Reader, name string) ([]orb.Point, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	trim := strings.TrimSpace(string(data))
	if strings.HasSuffix(strings.ToLower(name), ".json") || strings.HasPrefix(trim, "[") {
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("points json: %w", err)
		}
		if len(raw) > maxPoints {
			return nil, fmt.Errorf("points: more than %d", maxPoints)
		}
		ps := make([]orb.Point, 0, len(raw))
		for i, m := range raw {
			var pair []float64
			var obj struct{ Lon, Lat *float64 }
			if json.Unmarshal(m, &pair) == nil && len(pair) == 2 {
				ps = append(ps, orb.Point{pair[0], pair[1]})
			} else if json.Unmarshal(m, &obj) == nil && obj.Lon != nil && obj.Lat != nil {
				ps = append(ps, orb.Point{*obj.Lon, *obj.Lat})
			} else {
				return nil, fmt.Errorf("points[%d]: want [lon,lat] or {\"lon\",\"lat\"}", i)
			}
		}
		return ps, checkPoints(ps)
	}
	cr := csv.NewReader(strings.NewReader(trim))
	cr.FieldsPerRecord = -1
	var ps []orb.Point
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("points csv: %w", err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("points csv line %d: want lon,lat", line)
		}
		lon, err1 := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
		lat, err2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err1 != nil || err2 != nil {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("points csv line %d: want lon,lat numbers", line)
		}
		if len(ps) == maxPoints {
			return nil, fmt.Errorf("points: more than %d", maxPoints)
		}
		ps = append(ps, orb.Point{lon, lat})
	}
	return ps, checkPoints(ps)
}

func checkPoints(ps []orb.Point) error {
	if len(ps) == 0 {
		return errors.New("points: none")
	}
	for i, p := range ps {
		if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
			return fmt.Errorf("points[%d]: %v is not lon,lat in degrees", i, p)
		}
	}
	return nil
}

func rows(m routing.Matrix) [][]*float64 {
	out := make([][]*float64, m.Rows)
	for i := range out {
		out[i] = make([]*float64, m.Cols)
		for j := range out[i] {
			if v := m.At(i, j); !math.IsInf(v, 1) {
				out[i][j] = &v
			}
		}
	}
	return out
}

// runMatrix: lifeline matrix --graph FILE --points FILE.csv|json [--targets FILE]
// prints {"times_s":[[...]],"distances_m":[[...]],"snaps":[...]}; null
// marks an unreachable pair. Without --targets the table is points x points.
func runMatrix(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gpath := fs.String("graph", "", "graph file from 'lifeline graph build'")
	pfile := fs.String("points", "", "sources: CSV (lon,lat per line) or JSON ([[lon,lat],...])")
	tfile := fs.String("targets", "", "targets (default: the points)")
	maxSnap := fs.Float64("max-snap", 500, "largest snapping distance in metres")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *gpath == "" || *pfile == "" {
		fs.Usage()
		return errors.New("matrix: --graph and --points are required")
	}
	load := func(path string) ([]orb.Point, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readPoints(f, path)
	}
	src, err := load(*pfile)
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	dst := src
	if *tfile != "" {
		if dst, err = load(*tfile); err != nil {
			return fmt.Errorf("matrix: %w", err)
		}
	}
	n, err := network.Load(*gpath, network.Options{MaxSnapDistance: *maxSnap})
	if err != nil {
		return err
	}
	tm, dm, snaps, err := n.Matrix(ctx, src, dst, network.MatrixOptions{})
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{"times_s": rows(tm), "distances_m": rows(dm), "snaps": snaps})
}
