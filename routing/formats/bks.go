package formats

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// BKS is one row of a best-known-solution table.
type BKS struct {
	Instance string
	Value    float64 // distance (or cost) of the best known solution
	Vehicles int     // routes of that solution; 0 when the table leaves it empty
	// Optimal is true when the table says the value is proven optimal
	// (column proven_optimal = yes, or status starting with "optimal").
	Optimal bool
	Source  string
}

// MaxBKSRows caps the rows of a bks.csv table.
const MaxBKSRows = 100000

// ReadBKS reads a bks.csv table of any family (Solomon bks.csv,
// bks_distance_double.csv, bks_exact_trunc1.csv; Li & Lim; Cordeau;
// CVRPLIB). The header must name the columns instance and value; vehicles,
// source, proven_optimal and status are used when present, other columns
// are ignored. Rows keep the file order. Errors wrap ErrFormat or
// ErrTooLarge.
func ReadBKS(r io.Reader) ([]BKS, error) {
	data, err := readCapped(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: bks header: %v", ErrFormat, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	ci, ok1 := col["instance"]
	cv, ok2 := col["value"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: bks header lacks instance or value column", ErrFormat)
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []BKS
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: bks: %v", ErrFormat, err)
		}
		if len(out) >= MaxBKSRows {
			return nil, fmt.Errorf("%w: more than %d bks rows", ErrTooLarge, MaxBKSRows)
		}
		line, _ := cr.FieldPos(0)
		if ci >= len(rec) || cv >= len(rec) {
			return nil, fmt.Errorf("%w: bks line %d: too few columns", ErrFormat, line)
		}
		b := BKS{Instance: strings.TrimSpace(rec[ci]), Source: get(rec, "source")}
		if b.Instance == "" {
			return nil, fmt.Errorf("%w: bks line %d: empty instance", ErrFormat, line)
		}
		if b.Value, err = parseNum(strings.TrimSpace(rec[cv])); err != nil {
			return nil, fmt.Errorf("bks line %d: value: %w", line, err)
		}
		if v := get(rec, "vehicles"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: bks line %d: vehicles %q", ErrFormat, line, v)
			}
			b.Vehicles = n
		}
		b.Optimal = strings.EqualFold(get(rec, "proven_optimal"), "yes") ||
			strings.HasPrefix(strings.ToLower(get(rec, "status")), "optimal")
		out = append(out, b)
	}
	return out, nil
}

// Solution is a published solution file: routes of node ids as the file
// writes them, and the stated cost (NaN when the file states none).
type Solution struct {
	Routes [][]int64
	Cost   float64
}

// MaxSolutionIDs caps the node ids of a solution file.
const MaxSolutionIDs = 1 << 20

// ReadSolution reads a route listing: SINTEF files ("Route 1 : 5 3 7") as
// published for Solomon and Li & Lim, and CVRPLIB .sol files ("Route #1: 5
// 3 7", "Cost 27591"). Lines that are neither are ignored. Ids are those of
// the file: SINTEF uses instance node ids; CVRPLIB numbers customers node id
// - 1 (add 1 to get the .vrp id). The depot never appears.
func ReadSolution(r io.Reader) (*Solution, error) {
	data, err := readCapped(r)
	if err != nil {
		return nil, err
	}
	s := &Solution{Cost: nan()}
	total := 0
	for _, l := range splitLines(data) {
		line := strings.Join(l.fields, " ")
		switch {
		case strings.HasPrefix(line, "Route"):
			_, rest, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: route line without ':'", ErrFormat, l.no)
			}
			var ids []int64
			for _, f := range strings.Fields(rest) {
				id, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%w: line %d: node id %q", ErrFormat, l.no, f)
				}
				if total++; total > MaxSolutionIDs {
					return nil, fmt.Errorf("%w: more than %d ids", ErrTooLarge, MaxSolutionIDs)
				}
				ids = append(ids, id)
			}
			s.Routes = append(s.Routes, ids)
		case len(l.fields) == 2 && strings.EqualFold(l.fields[0], "Cost"):
			v, err := parseNum(l.fields[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: cost: %w", l.no, err)
			}
			s.Cost = v
		}
	}
	return s, nil
}
