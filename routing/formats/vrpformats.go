// Package formats reads published benchmark instance formats into lifeline's
// engine models: Solomon VRPTW, Li & Lim PDPTW, Cordeau DARP and CVRPLIB
// (TSPLIB-style CVRP) into *vrp.Problem, OR-Library p-median files for the
// siting engine, best-known-solution tables (bks.csv) and published solution
// route files.
//
// Conventions of the VRP readers (see each folder's PROVENANCE.md under
// shared/data/bench):
//   - Matrix location l is the l-th node line of the file (the depot is a
//     location like any other); Instance.LocationIDs[l] is the node id the
//     file gives it. Job.ID, Shipment.PickupID and Shipment.DeliveryID are the
//     file's node ids; vehicles are numbered 1..K.
//   - Coordinates are planar (x, y), not [lon, lat].
//   - Solomon, Li & Lim and Cordeau: distance = Euclidean distance in double
//     precision (never rounded per arc); travel time = distance. CVRPLIB
//     EUC_2D: distance = floor(euclid + 0.5) (TSPLIB nint). Problem.Time and
//     Problem.Dist share one backing array.
//   - Objective: MinDistance. Solomon and Li & Lim keep the hierarchical
//     objective of their BKS tables (vehicles first, then distance);
//     Cordeau and CVRPLIB set Problem.IgnoreVehicleCount (distance only).
//   - Sizes are checked against MaxNodes, MaxVehicles and MaxInputBytes
//     before anything proportional to them is allocated; a matrix costs
//     8*n*n bytes.
//
// Errors: every reader returns an error wrapping ErrFormat (malformed input,
// with the line number), ErrTooLarge (a cap exceeded) or ErrUnsupported (a
// valid but unsupported variant, e.g. a TSPLIB edge weight type), or the
// underlying I/O error. Readers are safe for concurrent use.
package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Errors returned (wrapped) by the readers of this package.
var (
	ErrFormat      = errors.New("formats: malformed instance")
	ErrTooLarge    = errors.New("formats: instance exceeds size limits")
	ErrUnsupported = errors.New("formats: unsupported instance variant")
)

// Size caps, checked before allocating.
const (
	// MaxInputBytes caps the bytes read from one instance file.
	MaxInputBytes = 64 << 20
	// MaxNodes caps the node count (matrix side) of a VRP instance: a
	// 4096-node matrix holds 16.7M float64s (134 MB).
	MaxNodes = 4096
	// MaxVehicles caps the fleet size stated by a file.
	MaxVehicles = 10000
)

// Family names a benchmark instance format.
type Family int

const (
	Solomon Family = iota + 1 // Solomon VRPTW (.txt)
	LiLim                     // Li & Lim PDPTW (.txt)
	Cordeau                   // Cordeau DARP (.txt)
	CVRPLIB                   // TSPLIB-style CVRP (.vrp)
)

var familyNames = [...]string{Solomon: "solomon", LiLim: "lilim", Cordeau: "cordeau", CVRPLIB: "cvrplib"}

// String returns the family's command-line name (solomon, lilim, cordeau, cvrplib).
func (f Family) String() string {
	if f >= Solomon && f <= CVRPLIB {
		return familyNames[f]
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// ParseFamily maps a command-line name (solomon, lilim, cordeau, cvrplib;
// case-insensitive) to a Family, or returns an error wrapping ErrUnsupported.
func ParseFamily(s string) (Family, error) {
	for f := Solomon; f <= CVRPLIB; f++ {
		if strings.EqualFold(s, familyNames[f]) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown family %q (want solomon, lilim, cordeau or cvrplib)", ErrUnsupported, s)
}

// Instance is a parsed VRP benchmark instance.
type Instance struct {
	Name    string // from the file (Solomon, CVRPLIB) or the file name (ReadFile)
	Family  Family
	Problem *vrp.Problem

	// LocationIDs[l] is the file's node id of matrix location l.
	LocationIDs []int64
	// X, Y are the planar coordinates of each location.
	X, Y []float64
	// Depot is the location of the (start) depot. Cordeau files also have an
	// end depot, the last location (Problem.Vehicles[*].End).
	Depot int
	// FileVehicles is the fleet size stated by the file (Solomon, Li & Lim:
	// maximum vehicles; Cordeau: K); 0 for CVRPLIB, whose fleet is
	// unbounded (see ReadCVRPLIB for the number of vehicles given).
	FileVehicles int
	// MinVehicles is CVRPLIB's k from the name X-nNNN-kK (a bin-packing lower
	// bound), else 0.
	MinVehicles int
	// Variant names the variant of the family's format that was read:
	// CordeauOriginal, Cordeau2N or Cordeau2NEndDepot for Cordeau files,
	// "" for the other families (one variant each).
	Variant string
}

// Read parses an instance of family f from r (at most MaxInputBytes).
func Read(r io.Reader, f Family) (*Instance, error) {
	data, err := readCapped(r)
	if err != nil {
		return nil, err
	}
	switch f {
	case Solomon:
		return parseSolomon(data)
	case LiLim:
		return parseLiLim(data)
	case Cordeau:
		return parseCordeau(data)
	case CVRPLIB:
		return parseCVRPLIB(data)
	}
	return nil, fmt.Errorf("%w: family %d", ErrUnsupported, int(f))
}

// ReadFile parses the instance at path. When the file holds no name (Li &
// Lim, Cordeau) the name is the file's base name without extension.
func ReadFile(path string, f Family) (*Instance, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	in, err := Read(fh, f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if in.Name == "" {
		base := filepath.Base(path)
		in.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return in, nil
}

// ReadSolomon parses a Solomon VRPTW file.
func ReadSolomon(r io.Reader) (*Instance, error) { return Read(r, Solomon) }

// ReadLiLim parses a Li & Lim PDPTW file. The file holds no name.
func ReadLiLim(r io.Reader) (*Instance, error) { return Read(r, LiLim) }

// ReadCordeau parses a Cordeau DARP file. The file holds no name.
func ReadCordeau(r io.Reader) (*Instance, error) { return Read(r, Cordeau) }

// ReadCVRPLIB parses a TSPLIB-style CVRP file.
func ReadCVRPLIB(r io.Reader) (*Instance, error) { return Read(r, CVRPLIB) }

// StepID returns the file's node id served by a route step (job id, pickup
// id or delivery id), or the vehicle's start/end location's id for start and
// end steps. It returns -1 when st does not refer to a valid item of p.
func (in *Instance) StepID(st vrp.Step) int64 {
	p := in.Problem
	switch st.Kind {
	case vrp.StepJob:
		if st.Index >= 0 && st.Index < len(p.Jobs) {
			return p.Jobs[st.Index].ID
		}
	case vrp.StepPickup:
		if st.Index >= 0 && st.Index < len(p.Shipments) {
			return p.Shipments[st.Index].PickupID
		}
	case vrp.StepDelivery:
		if st.Index >= 0 && st.Index < len(p.Shipments) {
			return p.Shipments[st.Index].DeliveryID
		}
	default:
		if st.Location >= 0 && st.Location < len(in.LocationIDs) {
			return in.LocationIDs[st.Location]
		}
	}
	return -1
}

// readCapped reads all of r, failing with ErrTooLarge past MaxInputBytes.
func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxInputBytes)
	}
	return data, nil
}

// textLine is one non-blank line split on whitespace, with its 1-based number.
type textLine struct {
	no     int
	fields []string
}

// splitLines returns the non-blank lines of data split into fields.
func splitLines(data []byte) []textLine {
	var out []textLine
	no := 0
	for len(data) > 0 {
		no++
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		f := strings.Fields(string(line))
		if len(f) > 0 {
			out = append(out, textLine{no: no, fields: f})
		}
	}
	return out
}

// allNumeric reports whether every field parses as a finite number.
func allNumeric(f []string) bool {
	for _, s := range f {
		if _, err := parseNum(s); err != nil {
			return false
		}
	}
	return true
}

// parseNum parses a finite float.
func parseNum(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %q is not a finite number", ErrFormat, s)
	}
	return v, nil
}

// parseInt parses an integer, also written as an integral float ("10.0"),
// with magnitude at most 1e15.
func parseInt(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v > 1e15 || v < -1e15 {
			return 0, fmt.Errorf("%w: %q out of range", ErrFormat, s)
		}
		return v, nil
	}
	v, err := parseNum(s)
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || math.Abs(v) > 1e15 {
		return 0, fmt.Errorf("%w: %q is not an integer", ErrFormat, s)
	}
	return int64(v), nil
}

// numberRow parses fields as numbers (line no for errors).
func numberRow(l textLine) ([]float64, error) {
	out := make([]float64, len(l.fields))
	for i, s := range l.fields {
		v, err := parseNum(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", l.no, err)
		}
		out[i] = v
	}
	return out, nil
}

// euclidMatrix returns the n x n Euclidean distance matrix of (x, y),
// rounded to the nearest integer (floor(d+0.5)) when round is set.
// O(n^2) time and memory; callers check n <= MaxNodes first.
func euclidMatrix(x, y []float64, round bool) routing.Matrix {
	n := len(x)
	m := routing.NewMatrix(n, n)
	for i := 0; i < n; i++ {
		row := m.Data[i*n : (i+1)*n]
		for j := 0; j < n; j++ {
			d := math.Hypot(x[i]-x[j], y[i]-y[j])
			if round {
				d = math.Floor(d + 0.5)
			}
			row[j] = d
		}
	}
	return m
}

// checkWindow validates a [start, end] window.
func checkWindow(no int, a, b float64) error {
	if b < a {
		return fmt.Errorf("%w: line %d: time window ends (%g) before it starts (%g)", ErrFormat, no, b, a)
	}
	return nil
}

// intField returns v as an int64 if it is integral (line no for errors).
func intField(no int, what string, v float64) (int64, error) {
	if v != math.Trunc(v) || math.Abs(v) > 1e15 {
		return 0, fmt.Errorf("%w: line %d: %s %g is not an integer", ErrFormat, no, what, v)
	}
	return int64(v), nil
}

// fleet builds k identical vehicles.
func fleet(k int, start, end int, shift routing.TimeWindow, capacity int64, maxDuration float64) []vrp.Vehicle {
	vs := make([]vrp.Vehicle, k)
	for i := range vs {
		vs[i] = vrp.Vehicle{
			ID:          int64(i + 1),
			Start:       start,
			End:         end,
			Shift:       shift,
			Capacity:    []int64{capacity},
			MaxDuration: maxDuration,
		}
	}
	return vs
}

func nan() float64 { return math.NaN() }
