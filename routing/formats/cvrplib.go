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
	c := &cvrpReader{in: &Instance{Family: CVRPLIB}, dim: -1, capacity: -1, depot: -1}
	for _, l := range splitLines(data) {
		first := l.fields[0]
		upper := strings.ToUpper(strings.TrimSuffix(first, ":"))
		switch upper {
		case "EOF":
			c.section = "EOF"
			continue
		case "NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION":
			if err := c.ensure(l.no); err != nil {
				return nil, err
			}
			c.section = upper
			continue
		}
		if c.section == "EOF" {
			continue
		}
		var err error
		if c.section == "" || !allNumeric(l.fields) {
			err = c.spec(l)
		} else {
			err = c.row(l)
		}
		if err != nil {
			return nil, err
		}
	}
	total, err := c.complete()
	if err != nil {
		return nil, err
	}
	return c.instance(total), nil
}

// cvrpReader is the state of parseCVRPLIB.
type cvrpReader struct {
	in                    *Instance
	dim                   int   // DIMENSION, -1 until read
	capacity              int64 // CAPACITY, -1 until read
	ewt                   string
	maxDist, service      float64
	xs, ys                []float64
	demand                []int64
	haveCoord, haveDemand []bool
	depot                 int // -1 until read
	section               string
}

// ensure allocates the node arrays at the first section (DIMENSION must
// come first).
func (c *cvrpReader) ensure(no int) error {
	if c.dim < 0 {
		return fmt.Errorf("%w: line %d: section before DIMENSION", ErrFormat, no)
	}
	if c.xs == nil {
		c.xs, c.ys = make([]float64, c.dim), make([]float64, c.dim)
		c.demand = make([]int64, c.dim)
		c.haveCoord, c.haveDemand = make([]bool, c.dim), make([]bool, c.dim)
	}
	return nil
}

// nodeIndex returns the 0-based index of the row's node id.
func (c *cvrpReader) nodeIndex(l textLine) (int, error) {
	id, err := parseInt(l.fields[0])
	if err != nil {
		return 0, fmt.Errorf("line %d: node id: %w", l.no, err)
	}
	if id < 1 || id > int64(c.dim) {
		return 0, fmt.Errorf("%w: line %d: node id %d outside 1..%d", ErrFormat, l.no, id, c.dim)
	}
	return int(id - 1), nil
}

// spec reads a "KEY : value" or "KEY: value" specification line.
func (c *cvrpReader) spec(l textLine) error {
	line := strings.Join(l.fields, " ")
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		return fmt.Errorf("%w: line %d: want \"KEY : value\"", ErrFormat, l.no)
	}
	key, val = strings.ToUpper(strings.TrimSpace(key)), strings.TrimSpace(val)
	switch key {
	case "NAME":
		c.in.Name = val
	case "COMMENT":
	case "TYPE":
		if !strings.EqualFold(val, "CVRP") {
			return fmt.Errorf("%w: line %d: TYPE %q (want CVRP)", ErrUnsupported, l.no, val)
		}
	case "DIMENSION":
		if c.dim >= 0 {
			return fmt.Errorf("%w: line %d: DIMENSION repeated", ErrFormat, l.no)
		}
		d, err := parseInt(val)
		if err != nil {
			return fmt.Errorf("line %d: DIMENSION: %w", l.no, err)
		}
		if d < 1 || d > MaxNodes {
			return fmt.Errorf("%w: line %d: DIMENSION %d (want 1..%d)", ErrTooLarge, l.no, d, MaxNodes)
		}
		c.dim = int(d)
	case "EDGE_WEIGHT_TYPE":
		c.ewt = strings.ToUpper(val)
		if c.ewt != "EUC_2D" && c.ewt != "CEIL_2D" {
			return fmt.Errorf("%w: line %d: EDGE_WEIGHT_TYPE %q (want EUC_2D or CEIL_2D)", ErrUnsupported, l.no, val)
		}
	case "CAPACITY":
		q, err := parseInt(val)
		if err != nil {
			return fmt.Errorf("line %d: CAPACITY: %w", l.no, err)
		}
		if q < 0 {
			return fmt.Errorf("%w: line %d: negative CAPACITY", ErrFormat, l.no)
		}
		c.capacity = q
	case "DISTANCE", "SERVICE_TIME":
		v, err := parseNum(val)
		if err != nil || v < 0 {
			return fmt.Errorf("%w: line %d: %s %q", ErrFormat, l.no, key, val)
		}
		if key == "DISTANCE" {
			c.maxDist = v
		} else {
			c.service = v
		}
	case "VEHICLES":
		// Some variants state a fleet; the X set does not. Ignored:
		// the fleet below is always large enough.
	default:
		return fmt.Errorf("%w: line %d: unknown key %q", ErrUnsupported, l.no, key)
	}
	return nil
}

// row reads a numeric row of the current section.
func (c *cvrpReader) row(l textLine) error {
	switch c.section {
	case "NODE_COORD_SECTION":
		if len(l.fields) != 3 {
			return fmt.Errorf("%w: line %d: coordinate row must be \"id x y\"", ErrFormat, l.no)
		}
		i, err := c.nodeIndex(l)
		if err != nil {
			return err
		}
		if c.haveCoord[i] {
			return fmt.Errorf("%w: line %d: node %d has two coordinate rows", ErrFormat, l.no, i+1)
		}
		x, _ := parseNum(l.fields[1])
		y, _ := parseNum(l.fields[2])
		c.xs[i], c.ys[i], c.haveCoord[i] = x, y, true
	case "DEMAND_SECTION":
		if len(l.fields) != 2 {
			return fmt.Errorf("%w: line %d: demand row must be \"id demand\"", ErrFormat, l.no)
		}
		i, err := c.nodeIndex(l)
		if err != nil {
			return err
		}
		if c.haveDemand[i] {
			return fmt.Errorf("%w: line %d: node %d has two demand rows", ErrFormat, l.no, i+1)
		}
		d, err := parseInt(l.fields[1])
		if err != nil {
			return fmt.Errorf("line %d: demand: %w", l.no, err)
		}
		if d < 0 {
			return fmt.Errorf("%w: line %d: negative demand", ErrFormat, l.no)
		}
		c.demand[i], c.haveDemand[i] = d, true
	case "DEPOT_SECTION":
		if len(l.fields) != 1 {
			return fmt.Errorf("%w: line %d: depot row must hold one id", ErrFormat, l.no)
		}
		if l.fields[0] == "-1" {
			c.section = "DEPOT_END"
			return nil
		}
		if c.depot >= 0 {
			return fmt.Errorf("%w: line %d: several depots", ErrUnsupported, l.no)
		}
		i, err := c.nodeIndex(l)
		if err != nil {
			return err
		}
		c.depot = i
	default:
		return fmt.Errorf("%w: line %d: data outside a section", ErrFormat, l.no)
	}
	return nil
}

// complete checks that the required keys and sections came and every node
// has coordinates and (but the depot) a demand; it returns the total demand.
func (c *cvrpReader) complete() (int64, error) {
	switch {
	case c.dim < 0:
		return 0, fmt.Errorf("%w: no DIMENSION", ErrFormat)
	case c.capacity < 0:
		return 0, fmt.Errorf("%w: no CAPACITY", ErrFormat)
	case c.ewt == "":
		return 0, fmt.Errorf("%w: no EDGE_WEIGHT_TYPE", ErrFormat)
	case c.xs == nil:
		return 0, fmt.Errorf("%w: no NODE_COORD_SECTION", ErrFormat)
	case c.depot < 0:
		c.depot = 0 // TSPLIB default when DEPOT_SECTION is absent or empty
	}
	var total int64
	for i := 0; i < c.dim; i++ {
		if !c.haveCoord[i] {
			return 0, fmt.Errorf("%w: node %d has no coordinates", ErrFormat, i+1)
		}
		if !c.haveDemand[i] && i != c.depot {
			return 0, fmt.Errorf("%w: node %d has no demand", ErrFormat, i+1)
		}
		if i != c.depot {
			total += c.demand[i]
			if total > math.MaxInt64/4 {
				return 0, fmt.Errorf("%w: total demand overflows", ErrFormat)
			}
		}
	}
	return total, nil
}

// instance builds the problem: one job per customer, the rounded
// Euclidean matrix and the fleet sized from the total demand.
func (c *cvrpReader) instance(total int64) *Instance {
	in, dim, depot, xs, ys := c.in, c.dim, c.depot, c.xs, c.ys
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
			Stop:     vrp.Stop{Location: i, Service: c.service},
			Delivery: []int64{c.demand[i]},
		})
	}
	m := euclidMatrix(xs, ys, true)
	if c.ewt == "CEIL_2D" {
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				m.Set(i, j, math.Ceil(math.Hypot(xs[i]-xs[j], ys[i]-ys[j])))
			}
		}
	}
	p.Time, p.Dist = m, m
	k := customers
	if c.capacity > 0 {
		if b := 2*((total+c.capacity-1)/c.capacity) + 1; b < int64(k) {
			k = int(b)
		}
	}
	if k < 1 {
		k = 1
	}
	p.Vehicles = fleet(k, depot, depot, routing.TimeWindow{}, c.capacity, c.maxDist)
	in.Problem = p
	if mm := cvrpK.FindStringSubmatch(in.Name); mm != nil {
		in.MinVehicles, _ = strconv.Atoi(mm[1])
	}
	return in
}
