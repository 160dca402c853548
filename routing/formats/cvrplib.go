package formats

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

var cvrpK = regexp.MustCompile(`-k(\d+)$`)

// parseCVRPLIB reads a TSPLIB-style CVRP file: "KEY : value" lines (NAME,
// TYPE = CVRP, DIMENSION, EDGE_WEIGHT_TYPE = EUC_2D or CEIL_2D, CAPACITY,
// optional DISTANCE and SERVICE_TIME), then NODE_COORD_SECTION (id x y),
// DEMAND_SECTION (id demand) and DEPOT_SECTION (one depot id, then -1), EOF.
// Node ids are 1..DIMENSION; location = id-1. Distances are nint(euclid)
// = floor(euclid+0.5) for EUC_2D and ceil(euclid) for CEIL_2D; travel time =
// distance. DISTANCE becomes each vehicle's MaxDuration, SERVICE_TIME every
// job's service.
//
// The fleet of CVRPLIB is unbounded. Problem.Vehicles gets
// min(customers, 2*ceil(sum of demands / Q) + 1) identical vehicles: when
// distances obey the triangle inequality, two routes whose loads fit in one
// vehicle can be merged without lengthening the plan, so an optimal plan
// needs no more routes than that (pairwise loads above Q); nint rounding
// may break the triangle inequality by 1 unit, which the +1 covers in
// practice. FileVehicles is 0 and MinVehicles is the k of the name. The
// objective is distance only (IgnoreVehicleCount is set).
func parseCVRPLIB(data []byte) (*Instance, error) {
	lines := splitLines(data)
	in := &Instance{Family: CVRPLIB}
	dim := -1
	capacity := int64(-1)
	ewt := ""
	var maxDist, service float64
	var xs, ys []float64
	var demand []int64
	var haveCoord, haveDemand []bool
	depot := -1
	section := ""
	ensure := func(no int) error {
		if dim < 0 {
			return fmt.Errorf("%w: line %d: section before DIMENSION", ErrFormat, no)
		}
		if xs == nil {
			xs, ys = make([]float64, dim), make([]float64, dim)
			demand = make([]int64, dim)
			haveCoord, haveDemand = make([]bool, dim), make([]bool, dim)
		}
		return nil
	}
	nodeIndex := func(l textLine) (int, error) {
		id, err := parseInt(l.fields[0])
		if err != nil {
			return 0, fmt.Errorf("line %d: node id: %w", l.no, err)
		}
		if id < 1 || id > int64(dim) {
			return 0, fmt.Errorf("%w: line %d: node id %d outside 1..%d", ErrFormat, l.no, id, dim)
		}
		return int(id - 1), nil
	}
	for _, l := range lines {
		first := l.fields[0]
		upper := strings.ToUpper(strings.TrimSuffix(first, ":"))
		switch upper {
		case "EOF":
			section = "EOF"
			continue
		case "NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION":
			if err := ensure(l.no); err != nil {
				return nil, err
			}
			section = upper
			continue
		}
		if section == "EOF" {
			continue
		}
		if section == "" || !allNumeric(l.fields) {
			// A "KEY : value" or "KEY: value" specification line.
			line := strings.Join(l.fields, " ")
			key, val, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: want \"KEY : value\"", ErrFormat, l.no)
			}
			key, val = strings.ToUpper(strings.TrimSpace(key)), strings.TrimSpace(val)
			switch key {
			case "NAME":
				in.Name = val
			case "COMMENT":
			case "TYPE":
				if !strings.EqualFold(val, "CVRP") {
					return nil, fmt.Errorf("%w: line %d: TYPE %q (want CVRP)", ErrUnsupported, l.no, val)
				}
			case "DIMENSION":
				if dim >= 0 {
					return nil, fmt.Errorf("%w: line %d: DIMENSION repeated", ErrFormat, l.no)
				}
				d, err := parseInt(val)
				if err != nil {
					return nil, fmt.Errorf("line %d: DIMENSION: %w", l.no, err)
				}
				if d < 1 || d > MaxNodes {
					return nil, fmt.Errorf("%w: line %d: DIMENSION %d (want 1..%d)", ErrTooLarge, l.no, d, MaxNodes)
				}
				dim = int(d)
			case "EDGE_WEIGHT_TYPE":
				ewt = strings.ToUpper(val)
				if ewt != "EUC_2D" && ewt != "CEIL_2D" {
					return nil, fmt.Errorf("%w: line %d: EDGE_WEIGHT_TYPE %q (want EUC_2D or CEIL_2D)", ErrUnsupported, l.no, val)
				}
			case "CAPACITY":
				c, err := parseInt(val)
				if err != nil {
					return nil, fmt.Errorf("line %d: CAPACITY: %w", l.no, err)
				}
				if c < 0 {
					return nil, fmt.Errorf("%w: line %d: negative CAPACITY", ErrFormat, l.no)
				}
				capacity = c
			case "DISTANCE", "SERVICE_TIME":
				v, err := parseNum(val)
				if err != nil || v < 0 {
					return nil, fmt.Errorf("%w: line %d: %s %q", ErrFormat, l.no, key, val)
				}
				if key == "DISTANCE" {
					maxDist = v
				} else {
					service = v
				}
			case "VEHICLES":
				// Some variants state a fleet; the X set does not. Ignored:
				// the fleet below is always large enough.
			default:
				return nil, fmt.Errorf("%w: line %d: unknown key %q", ErrUnsupported, l.no, key)
			}
			continue
		}
		switch section {
		case "NODE_COORD_SECTION":
			if len(l.fields) != 3 {
				return nil, fmt.Errorf("%w: line %d: coordinate row must be \"id x y\"", ErrFormat, l.no)
			}
			i, err := nodeIndex(l)
			if err != nil {
				return nil, err
			}
			if haveCoord[i] {
				return nil, fmt.Errorf("%w: line %d: node %d has two coordinate rows", ErrFormat, l.no, i+1)
			}
			x, _ := parseNum(l.fields[1])
			y, _ := parseNum(l.fields[2])
			xs[i], ys[i], haveCoord[i] = x, y, true
		case "DEMAND_SECTION":
			if len(l.fields) != 2 {
				return nil, fmt.Errorf("%w: line %d: demand row must be \"id demand\"", ErrFormat, l.no)
			}
			i, err := nodeIndex(l)
			if err != nil {
				return nil, err
			}
			if haveDemand[i] {
				return nil, fmt.Errorf("%w: line %d: node %d has two demand rows", ErrFormat, l.no, i+1)
			}
			d, err := parseInt(l.fields[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: demand: %w", l.no, err)
			}
			if d < 0 {
				return nil, fmt.Errorf("%w: line %d: negative demand", ErrFormat, l.no)
			}
			demand[i], haveDemand[i] = d, true
		case "DEPOT_SECTION":
			if len(l.fields) != 1 {
				return nil, fmt.Errorf("%w: line %d: depot row must hold one id", ErrFormat, l.no)
			}
			if l.fields[0] == "-1" {
				section = "DEPOT_END"
				continue
			}
			if depot >= 0 {
				return nil, fmt.Errorf("%w: line %d: several depots", ErrUnsupported, l.no)
			}
			i, err := nodeIndex(l)
			if err != nil {
				return nil, err
			}
			depot = i
		default:
			return nil, fmt.Errorf("%w: line %d: data outside a section", ErrFormat, l.no)
		}
	}
	switch {
	case dim < 0:
		return nil, fmt.Errorf("%w: no DIMENSION", ErrFormat)
	case capacity < 0:
		return nil, fmt.Errorf("%w: no CAPACITY", ErrFormat)
	case ewt == "":
		return nil, fmt.Errorf("%w: no EDGE_WEIGHT_TYPE", ErrFormat)
	case xs == nil:
		return nil, fmt.Errorf("%w: no NODE_COORD_SECTION", ErrFormat)
	case depot < 0:
		depot = 0 // TSPLIB default when DEPOT_SECTION is absent or empty
	}
	var total int64
	for i := 0; i < dim; i++ {
		if !haveCoord[i] {
			return nil, fmt.Errorf("%w: node %d has no coordinates", ErrFormat, i+1)
		}
		if !haveDemand[i] && i != depot {
			return nil, fmt.Errorf("%w: node %d has no demand", ErrFormat, i+1)
		}
		if i != depot {
			total += demand[i]
			if total > math.MaxInt64/4 {
				return nil, fmt.Errorf("%w: total demand overflows", ErrFormat)
			}
		}
	}
	in.LocationIDs = make([]int64, dim)
	for i := range in.LocationIDs {
		in.LocationIDs[i] = int64(i + 1)
	}
	in.X, in.Y, in.Depot = xs, ys, depot
	customers := dim - 1
	p := &vrp.Problem{Objective: vrp.MinDistance, IgnoreVehicleCount: true, Jobs: make([]vrp.Job, 0, customers)}
	for i := 0; i < dim; i++ {
		if i == depot {
			continue
		}
		p.Jobs = append(p.Jobs, vrp.Job{
			ID:       int64(i + 1),
			Stop:     vrp.Stop{Location: i, Service: service},
			Delivery: []int64{demand[i]},
		})
	}
	m := euclidMatrix(xs, ys, true)
	if ewt == "CEIL_2D" {
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				m.Set(i, j, math.Ceil(math.Hypot(xs[i]-xs[j], ys[i]-ys[j])))
			}
		}
	}
	p.Time, p.Dist = m, m
	k := customers
	if capacity > 0 {
		if b := 2*((total+capacity-1)/capacity) + 1; b < int64(k) {
			k = int(b)
		}
	}
	if k < 1 {
		k = 1
	}
	p.Vehicles = fleet(k, depot, depot, routing.TimeWindow{}, capacity, maxDist)
	in.Problem = p
	if mm := cvrpK.FindStringSubmatch(in.Name); mm != nil {
		in.MinVehicles, _ = strconv.Atoi(mm[1])
	}
	return in, nil
}
