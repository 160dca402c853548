package formats

import (
	"fmt"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// parseLiLim reads the Li & Lim PDPTW format: a header "K Q [speed]", then
// task rows "id x y demand earliest latest service pickup delivery", the
// first one the depot. A row with demand > 0 is a pickup whose delivery
// column names its delivery; the delivery row names the pickup back and has
// the opposite demand. Each pair becomes a Shipment (Amount [demand]), in
// the order of the pickup rows; windows limit the start of service. The
// fleet is K vehicles of capacity Q with shift [depot earliest, depot
// latest]. The speed column is ignored (always 1: travel time = distance).
func parseLiLim(data []byte) (*Instance, error) {
	lines := splitLines(data)
	if len(lines) < 2 {
		return nil, fmt.Errorf("%w: want a header and a depot row", ErrFormat)
	}
	h := lines[0]
	if len(h.fields) < 2 || len(h.fields) > 3 || !allNumeric(h.fields) {
		return nil, fmt.Errorf("%w: line %d: header must be \"K Q [speed]\"", ErrFormat, h.no)
	}
	kv, err := parseInt(h.fields[0])
	if err != nil {
		return nil, fmt.Errorf("line %d: vehicles: %w", h.no, err)
	}
	q, err := parseInt(h.fields[1])
	if err != nil {
		return nil, fmt.Errorf("line %d: capacity: %w", h.no, err)
	}
	if kv < 1 || kv > MaxVehicles {
		return nil, fmt.Errorf("%w: line %d: %d vehicles (want 1..%d)", ErrTooLarge, h.no, kv, MaxVehicles)
	}
	if q < 0 {
		return nil, fmt.Errorf("%w: line %d: negative capacity", ErrFormat, h.no)
	}
	rows := lines[1:]
	if len(rows) > MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes (max %d)", ErrTooLarge, len(rows), MaxNodes)
	}
	n := len(rows)
	in := &Instance{Family: LiLim, FileVehicles: int(kv)}
	in.LocationIDs = make([]int64, n)
	in.X = make([]float64, n)
	in.Y = make([]float64, n)
	vals := make([][]float64, n)
	idx := make(map[int64]int, n)
	for i, l := range rows {
		if len(l.fields) != 9 {
			return nil, fmt.Errorf("%w: line %d: %d fields (want 9)", ErrFormat, l.no, len(l.fields))
		}
		v, err := numberRow(l)
		if err != nil {
			return nil, err
		}
		for c, what := range [...]string{0: "id", 3: "demand", 7: "pickup index", 8: "delivery index"} {
			if what != "" {
				if _, err := intField(l.no, what, v[c]); err != nil {
					return nil, err
				}
			}
		}
		id := int64(v[0])
		if prev, dup := idx[id]; dup {
			return nil, fmt.Errorf("%w: line %d: task id %d repeats line %d", ErrFormat, l.no, id, rows[prev].no)
		}
		if v[6] < 0 {
			return nil, fmt.Errorf("%w: line %d: negative service time", ErrFormat, l.no)
		}
		if err := checkWindow(l.no, v[4], v[5]); err != nil {
			return nil, err
		}
		idx[id] = i
		vals[i] = v
		in.LocationIDs[i], in.X[i], in.Y[i] = id, v[1], v[2]
	}
	if vals[0][3] != 0 {
		return nil, fmt.Errorf("%w: line %d: depot demand must be 0", ErrFormat, rows[0].no)
	}
	p := &vrp.Problem{Objective: vrp.MinDistance}
	paired := make([]bool, n)
	for i := 1; i < n; i++ {
		v, l := vals[i], rows[i]
		demand := int64(v[3])
		switch {
		case demand > 0 || (demand == 0 && v[7] == 0):
			d, ok := idx[int64(v[8])]
			if !ok || d == 0 || d == i {
				return nil, fmt.Errorf("%w: line %d: pickup %d names unknown delivery %g", ErrFormat, l.no, int64(v[0]), v[8])
			}
			dv := vals[d]
			if int64(dv[7]) != int64(v[0]) || int64(dv[3]) != -demand || dv[8] != 0 {
				return nil, fmt.Errorf("%w: line %d: delivery %g does not match pickup %d (pickup column %g, demand %g)",
					ErrFormat, rows[d].no, dv[0], int64(v[0]), dv[7], dv[3])
			}
			if paired[d] {
				return nil, fmt.Errorf("%w: line %d: delivery %g paired twice", ErrFormat, rows[d].no, dv[0])
			}
			paired[i], paired[d] = true, true
			p.Shipments = append(p.Shipments, vrp.Shipment{
				PickupID:   int64(v[0]),
				DeliveryID: int64(dv[0]),
				Pickup:     vrp.Stop{Location: i, Service: v[6], Windows: []routing.TimeWindow{{Start: v[4], End: v[5]}}},
				Delivery:   vrp.Stop{Location: d, Service: dv[6], Windows: []routing.TimeWindow{{Start: dv[4], End: dv[5]}}},
				Amount:     []int64{demand},
			})
		}
	}
	for i := 1; i < n; i++ {
		if !paired[i] {
			return nil, fmt.Errorf("%w: line %d: task %g has no matching pickup", ErrFormat, rows[i].no, vals[i][0])
		}
	}
	m := euclidMatrix(in.X, in.Y, false)
	p.Time, p.Dist = m, m
	p.Vehicles = fleet(int(kv), 0, 0, routing.TimeWindow{Start: vals[0][4], End: vals[0][5]}, q, 0)
	in.Problem = p
	return in, nil
}
