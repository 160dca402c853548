package vrp

import (
	"context"
	"fmt"
	"math"
	"sort"

	"lifeline/routing"
)

// Node kinds of the flattened instance.
const (
	kindJob int8 = iota
	kindPickup
	kindDelivery
)

// inst is the flattened, validated problem the search works on. Every job is
// one node; every shipment is two nodes (pickup at 2s, delivery at 2s+1 after
// the jobs). Requests are jobs 0..J-1 then shipments J..J+S-1.
type inst struct {
	p    *Problem
	nJob int
	nShp int
	n    int // nodes
	nReq int
	dim  int // capacity dimensions
	nVeh int

	tm, dm []float64 // matrices
	cm     []float64 // search arc costs when every vehicle weighs arcs alike
	nLoc   int

	// per node
	loc      []int32
	svc      []float64
	twOff    []int32 // windows of node i: tw[twOff[i]:twOff[i+1]]
	tw       []routing.TimeWindow
	kind     []int8
	req      []int32 // request of the node
	partner  []int32 // other node of a shipment, -1 for jobs
	delta    []int64 // n*dim: load change at the node
	startLd  []int64 // n*dim: load added to the route start (job deliveries)
	dlv      []int64 // n*dim: job delivery (also in startLd), shipment amount at pickup
	pck      []int64 // n*dim: job pickup / shipment amount at pickup
	class    []int32
	maxRide  []float64 // at pickup nodes, 0 = none
	neigh    [][]int32 // nearest other nodes by travel time
	hasClass bool

	// per request
	reqNode []int32 // first node
	weight  []int   // level-1 weight
	allowed []bool  // nReq*nVeh: skills (and capacity) compatible

	// per vehicle
	vStart, vEnd []int32
	vShiftS      []float64
	vShiftE      []float64
	vCap         []int64 // nVeh*dim
	vMaxDur      []float64
	vWD, vWT     []float64 // search arc weights (distance, time)
	vFixed       []float64
	vType        []int32

	incompat     []uint64 // per class: mask of incompatible classes
	cleaning     float64
	vehicleLevel bool
	complexAll   bool // every route needs the exact schedule check

	// symC and symT: the shared cost matrix cm (symC) and the time matrix
	// (symT) are symmetric, so an insertion of u reads row loc[u] only
	// (one cache-friendly row instead of a column of a large matrix).
	symC, symT bool
	// granular: insertions look only at the routes holding one of the
	// request's granularK nearest nodes (and at an empty vehicle), falling
	// back to every route when none of those has a feasible position.
	granular bool
}

func (in *inst) tt(a, b int32) float64 {
	if a < 0 || b < 0 {
		return 0
	}
	return in.tm[int(a)*in.nLoc+int(b)]
}

func (in *inst) dd(a, b int32) float64 {
	if a < 0 || b < 0 {
		return 0
	}
	return in.dm[int(a)*in.nLoc+int(b)]
}

// rows returns the cost and time rows of location l when the matrices are
// symmetric (nil otherwise): crow[x] is arc(l, x) = arc(x, l) and trow[x]
// is tt(l, x) = tt(x, l).
func (in *inst) rows(l int32) (crow, trow []float64) {
	if l < 0 {
		return nil, nil
	}
	o := int(l) * in.nLoc
	if in.symC {
		crow = in.cm[o : o+in.nLoc]
	}
	if in.symT {
		trow = in.tm[o : o+in.nLoc]
	}
	return crow, trow
}

// rowAt is row[x], or 0 for the missing end of an open route (x < 0).
func rowAt(row []float64, x int32) float64 {
	if x < 0 {
		return 0
	}
	return row[x]
}

// arc is the search cost of the arc a->b for vehicle v.
func (in *inst) arc(v int, a, b int32) float64 {
	if a < 0 || b < 0 {
		return 0
	}
	i := int(a)*in.nLoc + int(b)
	if in.cm != nil {
		return in.cm[i]
	}
	return weigh(in.vWD[v], in.dm[i], in.vWT[v], in.tm[i])
}

// weigh is wd*d + wt*t with zero weights ignoring infinite entries.
func weigh(wd, d, wt, t float64) float64 {
	x := 0.0
	if wd != 0 {
		x += wd * d
	}
	if wt != 0 {
		x += wt * t
	}
	return x
}

// earliest returns the earliest service start at node i when arriving at t,
// or +Inf when no window is left.
func (in *inst) earliest(i int32, t float64) float64 {
	a, b := in.twOff[i], in.twOff[i+1]
	if a == b {
		return t
	}
	for k := a; k < b; k++ {
		w := in.tw[k]
		if t <= w.End+1e-9 {
			if t < w.Start {
				return w.Start
			}
			return t
		}
	}
	return math.Inf(1)
}

// latest returns the latest service start at node i not after t, or -Inf.
func (in *inst) latest(i int32, t float64) float64 {
	a, b := in.twOff[i], in.twOff[i+1]
	if a == b {
		return t
	}
	for k := b - 1; k >= a; k-- {
		w := in.tw[k]
		if t >= w.Start {
			if t > w.End {
				return w.End
			}
			return t
		}
	}
	return math.Inf(-1)
}

// windowEnd returns the end of the window holding t at node i.
func (in *inst) windowEnd(i int32, t float64) float64 {
	a, b := in.twOff[i], in.twOff[i+1]
	for k := a; k < b; k++ {
		if w := in.tw[k]; t >= w.Start-1e-9 && t <= w.End+1e-9 {
			return w.End
		}
	}
	return math.Inf(1)
}

func validStop(s Stop, nLoc int) error {
	if s.Location < 0 || s.Location >= nLoc {
		return fmt.Errorf("location %d outside matrix of %d", s.Location, nLoc)
	}
	if s.Service < 0 || math.IsNaN(s.Service) {
		return fmt.Errorf("negative service %v", s.Service)
	}
	for k, w := range s.Windows {
		if !(w.Start <= w.End) {
			return fmt.Errorf("window %d: start %v after end %v", k, w.Start, w.End)
		}
		if k > 0 && w.Start < s.Windows[k-1].End {
			return fmt.Errorf("windows not sorted and disjoint at %d", k)
		}
	}
	return nil
}

func newInst(ctx context.Context, p *Problem) (*inst, error) {
	in := &inst{p: p}
	if err := in.setMatrices(p); err != nil {
		return nil, err
	}
	in.nJob, in.nShp, in.nVeh = len(p.Jobs), len(p.Shipments), len(p.Vehicles)
	in.n = in.nJob + 2*in.nShp
	in.nReq = in.nJob + in.nShp
	in.cleaning = p.CleaningTime
	in.vehicleLevel = !p.IgnoreVehicleCount
	if in.nVeh == 0 {
		return nil, fmt.Errorf("%w: no vehicles", ErrInvalid)
	}
	for i, v := range in.tm {
		if v < 0 || math.IsNaN(v) || in.dm[i] < 0 || math.IsNaN(in.dm[i]) {
			return nil, fmt.Errorf("%w: negative or NaN travel time or distance", ErrInvalid)
		}
	}
	in.dim = amountDims(p)
	in.allocNodes()
	maxJobClass, err := in.addJobs(p)
	if err != nil {
		return nil, err
	}
	maxShipClass, err := in.addShipments(p)
	if err != nil {
		return nil, err
	}
	if err := in.setIncompat(p, max(maxJobClass, maxShipClass)); err != nil {
		return nil, err
	}
	if err := in.addVehicles(p); err != nil {
		return nil, err
	}
	in.setCostMatrix()
	in.symT = symmetric(in.tm, in.nLoc)
	in.symC = in.cm != nil && symmetric(in.cm, in.nLoc)
	in.granular = in.nReq >= granularMin
	in.setSkills(p)
	if err := in.buildNeighbours(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// setMatrices takes the time and distance matrices (either stands in for a
// missing other) after checking they are square and of equal size.
func (in *inst) setMatrices(p *Problem) error {
	tmx, dmx := p.Time, p.Dist
	if len(tmx.Data) == 0 {
		tmx = dmx
	}
	if len(dmx.Data) == 0 {
		dmx = tmx
	}
	if tmx.Rows != tmx.Cols || len(tmx.Data) != tmx.Rows*tmx.Cols || dmx.Rows != tmx.Rows || dmx.Cols != tmx.Cols || len(dmx.Data) != len(tmx.Data) {
		return fmt.Errorf("%w: matrices must be square and of equal size", ErrInvalid)
	}
	in.tm, in.dm, in.nLoc = tmx.Data, dmx.Data, tmx.Rows
	return nil
}

// amountDims is the longest amount or capacity vector of the problem.
func amountDims(p *Problem) int {
	dim := 0
	upd := func(x []int64) {
		if len(x) > dim {
			dim = len(x)
		}
	}
	for _, j := range p.Jobs {
		upd(j.Delivery)
		upd(j.Pickup)
	}
	for _, s := range p.Shipments {
		upd(s.Amount)
	}
	for _, v := range p.Vehicles {
		upd(v.Capacity)
	}
	return dim
}

// allocNodes sizes the per-node and per-request arrays for in.n nodes.
func (in *inst) allocNodes() {
	n, dim := in.n, in.dim
	in.loc = make([]int32, n)
	in.svc = make([]float64, n)
	in.twOff = make([]int32, n+1)
	in.kind = make([]int8, n)
	in.req = make([]int32, n)
	in.partner = make([]int32, n)
	in.delta = make([]int64, n*dim)
	in.startLd = make([]int64, n*dim)
	in.dlv = make([]int64, n*dim)
	in.pck = make([]int64, n*dim)
	in.class = make([]int32, n)
	in.maxRide = make([]float64, n)
	in.reqNode = make([]int32, in.nReq)
	in.weight = make([]int, in.nReq)
}

// addStop sets node i's location, service and windows; nodes are added in
// order, so the window offsets grow.
func (in *inst) addStop(i int, s Stop) {
	in.loc[i] = int32(s.Location)
	in.svc[i] = s.Service
	in.tw = append(in.tw, s.Windows...)
	in.twOff[i+1] = int32(len(in.tw))
}

// hasNegative reports whether any amount in x is negative.
func hasNegative(x []int64) bool {
	for _, v := range x {
		if v < 0 {
			return true
		}
	}
	return false
}

// addJobs validates the jobs and makes them nodes 0..nJob-1 (and requests
// 0..nJob-1); it returns the largest job class.
func (in *inst) addJobs(p *Problem) (maxClass int, err error) {
	dim := in.dim
	for j, job := range p.Jobs {
		if err := validStop(job.Stop, in.nLoc); err != nil {
			return 0, fmt.Errorf("%w: job %d: %v", ErrInvalid, j, err)
		}
		if hasNegative(job.Delivery) || hasNegative(job.Pickup) || job.Class < 0 {
			return 0, fmt.Errorf("%w: job %d: negative amount or class", ErrInvalid, j)
		}
		in.addStop(j, job.Stop)
		in.kind[j] = kindJob
		in.req[j] = int32(j)
		in.partner[j] = -1
		for k, v := range job.Delivery {
			in.startLd[j*dim+k] = v
			in.dlv[j*dim+k] = v
			in.delta[j*dim+k] -= v
		}
		for k, v := range job.Pickup {
			in.pck[j*dim+k] = v
			in.delta[j*dim+k] += v
		}
		in.class[j] = int32(job.Class)
		maxClass = max(maxClass, job.Class)
		in.reqNode[j] = int32(j)
		in.weight[j] = 1 + max(0, job.Priority)
	}
	return maxClass, nil
}

// addShipments validates the shipments and makes shipment s the pickup
// node nJob+2s, the delivery node nJob+2s+1 and request nJob+s; it returns
// the largest shipment class.
func (in *inst) addShipments(p *Problem) (maxClass int, err error) {
	dim := in.dim
	for s, sh := range p.Shipments {
		if err := validStop(sh.Pickup, in.nLoc); err != nil {
			return 0, fmt.Errorf("%w: shipment %d pickup: %v", ErrInvalid, s, err)
		}
		if err := validStop(sh.Delivery, in.nLoc); err != nil {
			return 0, fmt.Errorf("%w: shipment %d delivery: %v", ErrInvalid, s, err)
		}
		if hasNegative(sh.Amount) || sh.Class < 0 || sh.MaxRideTime < 0 {
			return 0, fmt.Errorf("%w: shipment %d: negative amount, class or ride time", ErrInvalid, s)
		}
		a, b := in.nJob+2*s, in.nJob+2*s+1
		r := in.nJob + s
		in.addStop(a, sh.Pickup)
		in.addStop(b, sh.Delivery)
		in.kind[a], in.kind[b] = kindPickup, kindDelivery
		in.req[a], in.req[b] = int32(r), int32(r)
		in.partner[a], in.partner[b] = int32(b), int32(a)
		for k, v := range sh.Amount {
			in.delta[a*dim+k] = v
			in.delta[b*dim+k] = -v
			in.pck[a*dim+k] = v
			in.dlv[a*dim+k] = v
		}
		in.class[a], in.class[b] = int32(sh.Class), int32(sh.Class)
		maxClass = max(maxClass, sh.Class)
		in.maxRide[a] = sh.MaxRideTime
		in.reqNode[r] = int32(a)
		in.weight[r] = 1 + max(0, sh.Priority)
		if sh.MaxRideTime > 0 {
			in.complexAll = true
		}
	}
	return maxClass, nil
}

// setIncompat turns Problem.Incompatible into one bit set per class (when
// some stop has a class).
func (in *inst) setIncompat(p *Problem, maxClass int) error {
	if p.Incompatible == nil || maxClass <= 0 {
		return nil
	}
	if maxClass >= 64 {
		return fmt.Errorf("%w: incompatibility classes must be below 64", ErrInvalid)
	}
	in.incompat = make([]uint64, 64)
	for a := range p.Incompatible {
		for b, x := range p.Incompatible[a] {
			if x && a > 0 && b > 0 && a < 64 && b < 64 {
				in.incompat[a] |= 1 << uint(b)
				in.incompat[b] |= 1 << uint(a)
				in.hasClass = true
			}
		}
	}
	if in.hasClass {
		in.complexAll = true
	}
	return nil
}

// addVehicles validates the vehicles and fills the per-vehicle arrays: ends,
// shift, capacity, maximum duration, the cost weights the objective gives
// each vehicle and its type (the first identical vehicle).
func (in *inst) addVehicles(p *Problem) error {
	V, dim := in.nVeh, in.dim
	in.vStart = make([]int32, V)
	in.vEnd = make([]int32, V)
	in.vShiftS = make([]float64, V)
	in.vShiftE = make([]float64, V)
	in.vCap = make([]int64, V*dim)
	in.vMaxDur = make([]float64, V)
	in.vWD = make([]float64, V)
	in.vWT = make([]float64, V)
	in.vFixed = make([]float64, V)
	in.vType = make([]int32, V)
	allZero := true
	for _, v := range p.Vehicles {
		if v.FixedCost != 0 || v.CostPerDist != 0 || v.CostPerTime != 0 {
			allZero = false
		}
	}
	for i, v := range p.Vehicles {
		if v.Start < -1 || v.Start >= in.nLoc || v.End < -1 || v.End >= in.nLoc {
			return fmt.Errorf("%w: vehicle %d: start or end outside matrix", ErrInvalid, i)
		}
		if hasNegative(v.Capacity) || v.MaxDuration < 0 || v.FixedCost < 0 || v.CostPerDist < 0 || v.CostPerTime < 0 {
			return fmt.Errorf("%w: vehicle %d: negative capacity, duration or cost", ErrInvalid, i)
		}
		in.vStart[i], in.vEnd[i] = int32(v.Start), int32(v.End)
		in.vShiftS[i], in.vShiftE[i] = v.Shift.Start, v.Shift.End
		if v.Shift.Start == 0 && v.Shift.End == 0 {
			in.vShiftE[i] = math.Inf(1)
		} else if v.Shift.Start > v.Shift.End {
			return fmt.Errorf("%w: vehicle %d: shift start after end", ErrInvalid, i)
		}
		copy(in.vCap[i*dim:], v.Capacity)
		in.vMaxDur[i] = v.MaxDuration
		if v.MaxDuration > 0 {
			in.complexAll = true
		}
		switch {
		case p.Objective == MinDistance || (p.Objective == MinCost && allZero):
			in.vWD[i] = 1
		case p.Objective == MinDuration:
			in.vWT[i] = 1
		default:
			in.vWD[i], in.vWT[i], in.vFixed[i] = v.CostPerDist, v.CostPerTime, v.FixedCost
		}
		in.vType[i] = int32(i)
		for j := 0; j < i; j++ {
			if sameVehicleType(&p.Vehicles[j], &v) {
				in.vType[i] = in.vType[j]
				break
			}
		}
	}
	return nil
}

// granularMin is the number of requests from which insertions are
// granular; granularK the nearest nodes whose routes are looked at.
var (
	granularMin = 200
	granularK   = 40
)

// symmetric reports whether the n x n matrix m equals its transpose.
func symmetric(m []float64, n int) bool {
	if len(m) != n*n {
		return false
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if m[i*n+j] != m[j*n+i] {
				return false
			}
		}
	}
	return true
}

// setCostMatrix sets the shared cost matrix when every vehicle weighs
// distance and time alike (nil otherwise).
func (in *inst) setCostMatrix() {
	for i := 1; i < in.nVeh; i++ {
		if in.vWD[i] != in.vWD[0] || in.vWT[i] != in.vWT[0] {
			return
		}
	}
	switch {
	case in.vWD[0] == 1 && in.vWT[0] == 0:
		in.cm = in.dm
	case in.vWD[0] == 0 && in.vWT[0] == 1:
		in.cm = in.tm
	default:
		in.cm = make([]float64, len(in.dm))
		for i := range in.cm {
			in.cm[i] = weigh(in.vWD[0], in.dm[i], in.vWT[0], in.tm[i])
		}
	}
}

// setSkills fills allowed: request r may ride vehicle v when v has all of
// r's skills.
func (in *inst) setSkills(p *Problem) {
	V := in.nVeh
	in.allowed = make([]bool, in.nReq*V)
	for r := 0; r < in.nReq; r++ {
		var sk []int
		if r < in.nJob {
			sk = p.Jobs[r].Skills
		} else {
			sk = p.Shipments[r-in.nJob].Skills
		}
		for v := range p.Vehicles {
			in.allowed[r*V+v] = hasSkills(p.Vehicles[v].Skills, sk)
		}
	}
}

func sameVehicleType(a, b *Vehicle) bool {
	if a.Start != b.Start || a.End != b.End || a.Shift != b.Shift || a.MaxDuration != b.MaxDuration ||
		a.FixedCost != b.FixedCost || a.CostPerTime != b.CostPerTime || a.CostPerDist != b.CostPerDist ||
		len(a.Capacity) != len(b.Capacity) || len(a.Skills) != len(b.Skills) {
		return false
	}
	for i := range a.Capacity {
		if a.Capacity[i] != b.Capacity[i] {
			return false
		}
	}
	for i := range a.Skills {
		if a.Skills[i] != b.Skills[i] {
			return false
		}
	}
	return true
}

func hasSkills(have, need []int) bool {
	for _, s := range need {
		ok := false
		for _, h := range have {
			if h == s {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

const maxNeigh = 80

// buildNeighbours keeps, for every node, the maxNeigh nodes nearest by
// round-trip time, ordered by (time, index). One pass over the other nodes
// with a sorted window of maxNeigh: O(n^2) time lookups (a full sort per
// node took seconds at 3,000 jobs). It checks ctx every 64 nodes.
func (in *inst) buildNeighbours(ctx context.Context) error {
	type cand struct {
		d float64
		j int32
	}
	less := func(a, b cand) bool { return a.d < b.d || (a.d == b.d && a.j < b.j) }
	in.neigh = make([][]int32, in.n)
	win := make([]cand, 0, maxNeigh)
	for i := 0; i < in.n; i++ {
		if i&63 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		li := in.loc[i]
		win = win[:0]
		for j := 0; j < in.n; j++ {
			if j == i {
				continue
			}
			lj := in.loc[j]
			c := cand{in.tt(li, lj) + in.tt(lj, li), int32(j)}
			if len(win) == maxNeigh {
				if !less(c, win[maxNeigh-1]) {
					continue
				}
				win = win[:maxNeigh-1]
			}
			k := sort.Search(len(win), func(k int) bool { return less(c, win[k]) })
			win = append(win, cand{})
			copy(win[k+1:], win[k:])
			win[k] = c
		}
		nb := make([]int32, len(win))
		for k, c := range win {
			nb[k] = c.j
		}
		in.neigh[i] = nb
	}
	return nil
}
