package formats

import (
	"fmt"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Variants of Cordeau's DARP format, as Instance.Variant names them.
const (
	// CordeauOriginal: header "K n T Q L" with n the number of requests,
	// 2n+2 node rows ending with the destination depot 2n+1.
	CordeauOriginal = "n-requests"
	// Cordeau2N: header "K 2n T Q L" with 2n the number of pickup and
	// delivery nodes, 2n+1 node rows and no destination depot row: routes
	// end at the origin depot 0 (as files converted to this form, e.g. the
	// b-series circulating with a 2n header, are written).
	Cordeau2N = "2n-nodes"
	// Cordeau2NEndDepot: header "K 2n T Q L" and 2n+2 node rows with the
	// destination depot 2n+1.
	Cordeau2NEndDepot = "2n-nodes+end-depot"
)

// parseCordeau reads Cordeau's DARP format: a header "K n T Q L" (vehicles,
// requests, maximum route duration, capacity, maximum ride time), then 2n+2
// node rows "id x y service load earliest latest" with ids 0..2n+1: the
// origin depot 0, pickups 1..n, deliveries n+1..2n (the delivery of request
// i is n+i, its load the opposite of the pickup's) and the destination depot
// 2n+1. Request i becomes Shipment i-1 with Amount [load_i] and MaxRideTime
// L (from the end of pickup service to the start of delivery service). The
// fleet is K vehicles from location 0 to location 2n+1 with capacity Q, shift
// [earliest of 0, latest of 2n+1] and MaxDuration T. The published values
// are routing cost only, so the problem sets IgnoreVehicleCount.
//
// It also reads the variant whose header's second field counts the 2n
// pickup and delivery nodes: with 2n+1 rows (no destination depot; the
// vehicles return to location 0 and the shift ends at the latest time of
// depot 0) or with 2n+2 rows. The row count decides: 2h+2 rows for header
// field h is the original, h+1 or h+2 rows (h even) the 2n variant.
// Instance.Variant says which was read.
func parseCordeau(data []byte) (*Instance, error) {
	lines := splitLines(data)
	if len(lines) < 1 {
		return nil, fmt.Errorf("%w: empty file", ErrFormat)
	}
	h := lines[0]
	if len(h.fields) != 5 {
		return nil, fmt.Errorf("%w: line %d: header must be \"K n T Q L\"", ErrFormat, h.no)
	}
	hv, err := numberRow(h)
	if err != nil {
		return nil, err
	}
	kv, err := intField(h.no, "vehicles", hv[0])
	if err != nil {
		return nil, err
	}
	nreq, err := intField(h.no, "requests", hv[1])
	if err != nil {
		return nil, err
	}
	q, err := intField(h.no, "capacity", hv[3])
	if err != nil {
		return nil, err
	}
	maxDur, maxRide := hv[2], hv[4]
	if kv < 1 || kv > MaxVehicles {
		return nil, fmt.Errorf("%w: line %d: %d vehicles (want 1..%d)", ErrTooLarge, h.no, kv, MaxVehicles)
	}
	if nreq < 0 || 2*nreq+2 > MaxNodes {
		return nil, fmt.Errorf("%w: line %d: %d requests (max %d)", ErrTooLarge, h.no, nreq, (MaxNodes-2)/2)
	}
	if q < 0 || maxDur < 0 || maxRide < 0 {
		return nil, fmt.Errorf("%w: line %d: negative capacity, duration or ride time", ErrFormat, h.no)
	}
	rows := lines[1:]
	hn := int(nreq)
	n, nodes, endDepot, variant := hn, 2*hn+2, 2*hn+1, CordeauOriginal
	switch {
	case len(rows) == 2*hn+2:
	case hn%2 == 0 && len(rows) == hn+1:
		n, nodes, endDepot, variant = hn/2, hn+1, 0, Cordeau2N
	case hn%2 == 0 && len(rows) == hn+2:
		n, nodes, endDepot, variant = hn/2, hn+2, hn+1, Cordeau2NEndDepot
	default:
		want := fmt.Sprintf("2n+2 = %d (header n = %d requests)", 2*hn+2, hn)
		if hn%2 == 0 {
			want += fmt.Sprintf(", or %d or %d (header 2n = %d nodes)", hn+1, hn+2, hn)
		}
		return nil, fmt.Errorf("%w: %d node rows, want %s", ErrFormat, len(rows), want)
	}
	in := &Instance{Family: Cordeau, FileVehicles: int(kv), Variant: variant}
	in.LocationIDs = make([]int64, nodes)
	in.X = make([]float64, nodes)
	in.Y = make([]float64, nodes)
	vals := make([][]float64, nodes)
	for i, l := range rows {
		if len(l.fields) != 7 {
			return nil, fmt.Errorf("%w: line %d: %d fields (want 7)", ErrFormat, l.no, len(l.fields))
		}
		v, err := numberRow(l)
		if err != nil {
			return nil, err
		}
		if v[0] != float64(i) {
			return nil, fmt.Errorf("%w: line %d: node id %g, want %d", ErrFormat, l.no, v[0], i)
		}
		if _, err := intField(l.no, "load", v[4]); err != nil {
			return nil, err
		}
		if v[3] < 0 {
			return nil, fmt.Errorf("%w: line %d: negative service time", ErrFormat, l.no)
		}
		if err := checkWindow(l.no, v[5], v[6]); err != nil {
			return nil, err
		}
		vals[i] = v
		in.LocationIDs[i], in.X[i], in.Y[i] = int64(i), v[1], v[2]
	}
	p := &vrp.Problem{Objective: vrp.MinDistance, IgnoreVehicleCount: true, Shipments: make([]vrp.Shipment, n)}
	for i := 1; i <= n; i++ {
		pv, dv := vals[i], vals[n+i]
		if dv[4] != -pv[4] || pv[4] < 0 {
			return nil, fmt.Errorf("%w: line %d: delivery load %g is not the opposite of pickup load %g",
				ErrFormat, rows[n+i].no, dv[4], pv[4])
		}
		p.Shipments[i-1] = vrp.Shipment{
			PickupID:    int64(i),
			DeliveryID:  int64(n + i),
			Pickup:      vrp.Stop{Location: i, Service: pv[3], Windows: []routing.TimeWindow{{Start: pv[5], End: pv[6]}}},
			Delivery:    vrp.Stop{Location: n + i, Service: dv[3], Windows: []routing.TimeWindow{{Start: dv[5], End: dv[6]}}},
			Amount:      []int64{int64(pv[4])},
			MaxRideTime: maxRide,
		}
	}
	m := euclidMatrix(in.X, in.Y, false)
	p.Time, p.Dist = m, m
	shift := routing.TimeWindow{Start: vals[0][5], End: vals[endDepot][6]}
	if shift.End < shift.Start {
		return nil, fmt.Errorf("%w: depot windows: end depot closes (%g) before the start depot opens (%g)", ErrFormat, shift.End, shift.Start)
	}
	p.Vehicles = fleet(int(kv), 0, endDepot, shift, q, maxDur)
	in.Problem = p
	return in, nil
}
