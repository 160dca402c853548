package vroom

import (
	"errors"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing/vrp"
)

// VROOM's solution codes.
const (
	CodeOK       = 0
	CodeInternal = 1
	CodeInput    = 2
	CodeRouting  = 3
)

// ComputingTimes are milliseconds spent loading (decoding, matrices),
// solving and routing, VROOM's three fields. Lifeline's extensions split
// them further: Matrix is the part of Loading spent computing road
// matrices (coordinates in, none when the problem brings its matrices),
// Encoding the building of this answer from the plan.
type ComputingTimes struct {
	Loading  int64 `json:"loading"`
	Solving  int64 `json:"solving"`
	Routing  int64 `json:"routing"`
	Matrix   int64 `json:"matrix"`
	Encoding int64 `json:"encoding"`
}

// Output is VROOM's solution document.
type Output struct {
	Code       int          `json:"code"`
	Error      string       `json:"error,omitempty"`
	Summary    *Summary     `json:"summary,omitempty"`
	Unassigned []Unassigned `json:"unassigned"`
	Routes     []Route      `json:"routes"`
}

// Summary totals the plan. Duration is travel time only (as in VROOM);
// Service and WaitingTime are separate; Distance is present when the
// problem has distances. Cost is the engine's cost (Problem.Objective).
type Summary struct {
	Cost           float64        `json:"cost"`
	Routes         int            `json:"routes"`
	Unassigned     int            `json:"unassigned"`
	Delivery       []int64        `json:"delivery,omitempty"`
	Pickup         []int64        `json:"pickup,omitempty"`
	Setup          float64        `json:"setup"`
	Service        float64        `json:"service"`
	Duration       float64        `json:"duration"`
	WaitingTime    float64        `json:"waiting_time"`
	Priority       int            `json:"priority"`
	Distance       *float64       `json:"distance,omitempty"`
	Violations     []any          `json:"violations"`
	ComputingTimes ComputingTimes `json:"computing_times"`
	// Iterations (lifeline's extension) is the ruin-and-recreate
	// iterations of the search; with the same problem, seed and
	// iterations=N the plan is the same on any machine.
	Iterations int `json:"iterations"`
}

// Unassigned is a task left out: Type is job, pickup or delivery (a
// shipment gives both), Reason our extension.
type Unassigned struct {
	ID            uint64     `json:"id"`
	Type          string     `json:"type"`
	Location      *orb.Point `json:"location,omitempty"`
	LocationIndex int        `json:"location_index"`
	Reason        string     `json:"reason"`
}

// Route is one vehicle's plan. RouteList is lifeline's extension: the code
// under which a driver opens this route at /driver.html (set by the API).
type Route struct {
	Vehicle     uint64   `json:"vehicle"`
	Description string   `json:"description,omitempty"`
	RouteList   string   `json:"route_list,omitempty"`
	Cost        float64  `json:"cost"`
	Delivery    []int64  `json:"delivery,omitempty"`
	Pickup      []int64  `json:"pickup,omitempty"`
	Setup       float64  `json:"setup"`
	Service     float64  `json:"service"`
	Duration    float64  `json:"duration"`
	WaitingTime float64  `json:"waiting_time"`
	Priority    int      `json:"priority"`
	Distance    *float64 `json:"distance,omitempty"`
	Steps       []Step   `json:"steps"`
	Violations  []any    `json:"violations"`
}

// Step is one step of a route: Type start, job, pickup, delivery or end.
// Arrival is the arrival time; Duration and Distance are the travel time
// and distance cumulated upon arrival; Load is the load after the step;
// WaitingTime includes any cleaning time before service.
type Step struct {
	Type          string     `json:"type"`
	ID            *uint64    `json:"id,omitempty"`
	Description   string     `json:"description,omitempty"`
	Location      *orb.Point `json:"location,omitempty"`
	LocationIndex int        `json:"location_index"`
	Setup         float64    `json:"setup"`
	Service       float64    `json:"service"`
	WaitingTime   float64    `json:"waiting_time"`
	Load          []int64    `json:"load,omitempty"`
	Arrival       float64    `json:"arrival"`
	Duration      float64    `json:"duration"`
	Distance      *float64   `json:"distance,omitempty"`
	Violations    []any      `json:"violations"`
}

// Encode renders s (a plan of p, decoded with meta) as VROOM's solution
// document with code 0. Priority sums VROOM priorities of served tasks.
// Steps at an open route end (location -1) are left out. O(steps * dims).
//
// When times.Encoding is 0 it is set to the time Encode itself took.
func Encode(p *vrp.Problem, meta *Meta, s *vrp.Solution, times ComputingTimes) *Output {
	t0 := time.Now()
	if meta == nil {
		meta = &Meta{}
	}
	dims := meta.Dims
	out := &Output{Code: CodeOK, Unassigned: []Unassigned{}, Routes: []Route{}}
	sum := &Summary{Cost: s.Cost, Violations: []any{}, ComputingTimes: times, Iterations: s.Iterations}
	if dims > 0 {
		sum.Delivery, sum.Pickup = make([]int64, dims), make([]int64, dims)
	}
	desc := func(ds []string, i int) string {
		if i >= 0 && i < len(ds) {
			return ds[i]
		}
		return ""
	}
	point := func(loc int) *orb.Point {
		if loc >= 0 && loc < len(meta.HasPoint) && meta.HasPoint[loc] {
			pt := meta.Points[loc]
			return &pt
		}
		return nil
	}
	addVec := func(dst, x []int64) {
		for k := range dst {
			if k < len(x) {
				dst[k] += x[k]
			}
		}
	}
	var totalDist float64
	tm, dm := p.Time, p.Dist
	if len(dm.Data) == 0 {
		dm = tm
	}
	for _, r := range s.Routes {
		if r.Vehicle < 0 || r.Vehicle >= len(p.Vehicles) {
			continue
		}
		ro := Route{Vehicle: uint64(p.Vehicles[r.Vehicle].ID), Description: desc(meta.VehicleDesc, r.Vehicle), Cost: r.Cost,
			Steps: []Step{}, Violations: []any{}}
		if dims > 0 {
			ro.Delivery, ro.Pickup = make([]int64, dims), make([]int64, dims)
		}
		var travel, dist float64
		prev := -1
		stops := 0
		for _, st := range r.Steps {
			if st.Location >= 0 && prev >= 0 && st.Location < tm.Rows && prev < tm.Rows && len(dm.Data) == len(tm.Data) {
				travel += tm.At(prev, st.Location)
				dist += dm.At(prev, st.Location)
			}
			if st.Location >= 0 {
				prev = st.Location
			}
			so := Step{LocationIndex: st.Location, Location: point(st.Location), Arrival: st.Arrival,
				Duration: travel, Violations: []any{}}
			if dims > 0 {
				so.Load = make([]int64, dims)
				copy(so.Load, st.Load)
			}
			switch st.Kind {
			case vrp.StepStart, vrp.StepEnd:
				if st.Location < 0 {
					continue
				}
				so.Type = "start"
				if st.Kind == vrp.StepEnd {
					so.Type = "end"
				}
			case vrp.StepJob:
				if st.Index < 0 || st.Index >= len(p.Jobs) {
					continue
				}
				j := &p.Jobs[st.Index]
				id := uint64(j.ID)
				so.Type, so.ID, so.Service, so.Description = "job", &id, j.Stop.Service, desc(meta.JobDesc, st.Index)
				addVec(ro.Delivery, j.Delivery)
				addVec(ro.Pickup, j.Pickup)
				ro.Priority += j.Priority
			case vrp.StepPickup, vrp.StepDelivery:
				if st.Index < 0 || st.Index >= len(p.Shipments) {
					continue
				}
				sh := &p.Shipments[st.Index]
				if st.Kind == vrp.StepPickup {
					id := uint64(sh.PickupID)
					so.Type, so.ID, so.Service, so.Description = "pickup", &id, sh.Pickup.Service, desc(meta.PickupDesc, st.Index)
					addVec(ro.Pickup, sh.Amount)
					ro.Priority += sh.Priority
				} else {
					id := uint64(sh.DeliveryID)
					so.Type, so.ID, so.Service, so.Description = "delivery", &id, sh.Delivery.Service, desc(meta.DeliveryDesc, st.Index)
					addVec(ro.Delivery, sh.Amount)
				}
			default:
				continue
			}
			if so.Type != "start" && so.Type != "end" {
				stops++
				so.WaitingTime = max(0, st.Start-st.Arrival)
				ro.Service += so.Service
				ro.WaitingTime += so.WaitingTime
			}
			if meta.Distances {
				d := dist
				so.Distance = &d
			}
			ro.Steps = append(ro.Steps, so)
		}
		if stops == 0 {
			continue
		}
		ro.Duration = travel
		if meta.Distances {
			d := dist
			ro.Distance = &d
			totalDist += dist
		}
		sum.Routes++
		sum.Service += ro.Service
		sum.Duration += ro.Duration
		sum.WaitingTime += ro.WaitingTime
		sum.Priority += ro.Priority
		addVec(sum.Delivery, ro.Delivery)
		addVec(sum.Pickup, ro.Pickup)
		out.Routes = append(out.Routes, ro)
	}
	if meta.Distances {
		sum.Distance = &totalDist
	}
	for _, u := range s.Unassigned {
		switch {
		case !u.Shipment && u.Index >= 0 && u.Index < len(p.Jobs):
			j := &p.Jobs[u.Index]
			out.Unassigned = append(out.Unassigned, Unassigned{ID: uint64(j.ID), Type: "job",
				Location: point(j.Stop.Location), LocationIndex: j.Stop.Location, Reason: string(u.Reason)})
		case u.Shipment && u.Index >= 0 && u.Index < len(p.Shipments):
			sh := &p.Shipments[u.Index]
			out.Unassigned = append(out.Unassigned,
				Unassigned{ID: uint64(sh.PickupID), Type: "pickup", Location: point(sh.Pickup.Location),
					LocationIndex: sh.Pickup.Location, Reason: string(u.Reason)},
				Unassigned{ID: uint64(sh.DeliveryID), Type: "delivery", Location: point(sh.Delivery.Location),
					LocationIndex: sh.Delivery.Location, Reason: string(u.Reason)})
		}
	}
	sum.Unassigned = len(out.Unassigned)
	if sum.ComputingTimes.Encoding == 0 {
		sum.ComputingTimes.Encoding = time.Since(t0).Milliseconds()
	}
	out.Summary = sum
	return out
}

// ErrorOutput renders an error as VROOM does: code 2 for input errors
// (*Error, ErrInvalid, including the engine's invalid-problem errors when
// wrapped by the caller as such), 3 when no matrix could be computed
// (ErrNoMatrixProvider or a provider failure), 1 otherwise.
func ErrorOutput(err error) *Output {
	code := CodeInternal
	var ve *Error
	switch {
	case errors.As(err, &ve), errors.Is(err, ErrInvalid), errors.Is(err, vrp.ErrInvalid):
		code = CodeInput
	case errors.Is(err, ErrNoMatrixProvider), errors.Is(err, errProvider):
		code = CodeRouting
	}
	return &Output{Code: code, Error: err.Error(), Unassigned: []Unassigned{}, Routes: []Route{}}
}
