package formats

import (
	"fmt"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// parseSolomon reads the Solomon VRPTW format: a name line, a VEHICLE block
// whose numeric row is "K Q", then node rows "id x y demand ready due
// service" (exactly 7 numbers), the first one being the depot. Each customer
// becomes a Job with Delivery [demand] and one window [ready, due] on the
// start of service; the fleet is K vehicles of capacity Q starting and ending
// at the depot, with shift [depot ready, depot due].
func parseSolomon(data []byte) (*Instance, error) {
	lines := splitLines(data)
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrFormat)
	}
	in := &Instance{Family: Solomon}
	if !allNumeric(lines[0].fields) {
		in.Name = lines[0].fields[0]
	}
	k, q := -1, int64(-1)
	var rows []textLine
	for _, l := range lines {
		if !allNumeric(l.fields) {
			if len(rows) > 0 {
				return nil, fmt.Errorf("%w: line %d: non-numeric node row", ErrFormat, l.no)
			}
			continue
		}
		switch {
		case k < 0 && len(l.fields) == 2:
			kv, err := parseInt(l.fields[0])
			if err != nil {
				return nil, fmt.Errorf("line %d: vehicles: %w", l.no, err)
			}
			qv, err := parseInt(l.fields[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: capacity: %w", l.no, err)
			}
			if kv < 1 || kv > MaxVehicles {
				return nil, fmt.Errorf("%w: line %d: %d vehicles (want 1..%d)", ErrTooLarge, l.no, kv, MaxVehicles)
			}
			if qv < 0 {
				return nil, fmt.Errorf("%w: line %d: negative capacity %d", ErrFormat, l.no, qv)
			}
			k, q = int(kv), qv
		case len(l.fields) == 7:
			if k < 0 {
				return nil, fmt.Errorf("%w: line %d: node row before the vehicle row", ErrFormat, l.no)
			}
			if len(rows) >= MaxNodes {
				return nil, fmt.Errorf("%w: more than %d nodes", ErrTooLarge, MaxNodes)
			}
			rows = append(rows, l)
		default:
			return nil, fmt.Errorf("%w: line %d: %d numbers (want 7 per node row)", ErrFormat, l.no, len(l.fields))
		}
	}
	if k < 0 {
		return nil, fmt.Errorf("%w: no vehicle row \"K Q\"", ErrFormat)
	}
	if len(rows) < 1 {
		return nil, fmt.Errorf("%w: no depot row", ErrFormat)
	}
	n := len(rows)
	in.LocationIDs = make([]int64, n)
	in.X = make([]float64, n)
	in.Y = make([]float64, n)
	p := &vrp.Problem{Objective: vrp.MinDistance, Jobs: make([]vrp.Job, 0, n-1)}
	seen := make(map[int64]int, n)
	var shift routing.TimeWindow
	for i, l := range rows {
		v, err := numberRow(l)
		if err != nil {
			return nil, err
		}
		id, err := intField(l.no, "id", v[0])
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: line %d: node id %d repeats line %d", ErrFormat, l.no, id, rows[prev].no)
		}
		seen[id] = i
		demand, err := intField(l.no, "demand", v[3])
		if err != nil {
			return nil, err
		}
		if demand < 0 {
			return nil, fmt.Errorf("%w: line %d: negative demand %d", ErrFormat, l.no, demand)
		}
		if v[6] < 0 {
			return nil, fmt.Errorf("%w: line %d: negative service time %g", ErrFormat, l.no, v[6])
		}
		if err := checkWindow(l.no, v[4], v[5]); err != nil {
			return nil, err
		}
		in.LocationIDs[i], in.X[i], in.Y[i] = id, v[1], v[2]
		if i == 0 {
			shift = routing.TimeWindow{Start: v[4], End: v[5]}
			continue
		}
		p.Jobs = append(p.Jobs, vrp.Job{
			ID: id,
			Stop: vrp.Stop{
				Location: i,
				Service:  v[6],
				Windows:  []routing.TimeWindow{{Start: v[4], End: v[5]}},
			},
			Delivery: []int64{demand},
		})
	}
	m := euclidMatrix(in.X, in.Y, false)
	p.Time, p.Dist = m, m
	p.Vehicles = fleet(k, 0, 0, shift, q, 0)
	in.Problem = p
	in.FileVehicles = k
	return in, nil
}
