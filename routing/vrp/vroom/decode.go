// Package vroom translates VROOM's problem JSON (VROOM-Project/vroom,
// docs/API.md) into a *vrp.Problem and a *vrp.Solution back into VROOM's
// solution JSON, so that clients written for VROOM can use lifeline's
// engine.
//
// Supported input: jobs (id, location_index or location, service, delivery,
// pickup, skills, priority, time_windows), shipments (pickup and delivery
// objects with id, location_index or location, service, time_windows;
// amount, skills, priority), vehicles (id, start_index/end_index or
// start/end, capacity, skills, time_window, max_travel_time, costs {fixed,
// per_hour, per_km}) and matrices {"<profile>": {"durations": [[..]],
// "distances": [[..]]}} for one profile. description fields, profile names
// and zero setup times are accepted and ignored. Constraints lifeline
// cannot honour (breaks, max_tasks, max_distance, speed_factor other than
// 1, non-zero setup, vehicle steps, custom cost matrices) are rejected
// rather than silently dropped.
//
// Lifeline extensions: a job or shipment "class" (incompatibility class,
// 0..63) with a top-level "incompatible": [[a, b], ...] list and
// "cleaning_time" (seconds); a shipment "max_ride_time" (seconds, from the
// end of pickup service to the start of delivery service); a "reason"
// on every unassigned entry of the solution; and, set by the HTTP API, a
// "route_list" code on every route (the driver's list). Descriptions of
// jobs, shipment steps and vehicles come back on steps and routes as in
// VROOM.
//
// Semantic differences with VROOM, documented for clients: max_travel_time
// bounds the whole route duration (travel, service and waiting), not only
// the travel time; the engine's time cost (per_hour) applies to that whole
// duration; matrix cells may be null (unreachable).
//
// Units: durations and times in seconds, distances in metres, locations
// [lon, lat]. Ids are VROOM's unsigned integers, at most 2^63-1 here.
package vroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// ErrInvalid is wrapped by every *Error (errors.Is(err, ErrInvalid)).
var ErrInvalid = errors.New("vroom: invalid problem")

// ErrNoMatrixProvider is returned (wrapped) when locations are given as
// coordinates without matrices and Decode received no MatrixFunc.
var ErrNoMatrixProvider = errors.New("vroom: locations given as coordinates without matrices: a matrix provider (road engine) is needed")

// errProvider wraps errors of the MatrixFunc.
var errProvider = errors.New("vroom: matrix provider")

// Error is a validation error: Path locates the offending value with
// VROOM's field names ("jobs[3].time_windows[0]", "matrices.car.durations[2]").
type Error struct {
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "vroom: " + e.Message
	}
	return "vroom: " + e.Path + ": " + e.Message
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

func errf(path, format string, args ...any) *Error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Limits checked before allocating.
const (
	MaxInputBytes = 64 << 20 // bytes of one problem document
	MaxLocations  = 4096     // matrix side
	MaxTasks      = 20000    // jobs + shipments
	MaxVehicles   = 2000
	MaxDims       = 16 // capacity components
	MaxClass      = 63 // incompatibility classes are 0..MaxClass
)

// MatrixFunc computes travel durations (seconds) and distances (metres)
// between points ([lon, lat]); both matrices are len(points) square. A nil
// or empty distances matrix means distances are unknown (durations are
// used as distances and the solution omits distances).
type MatrixFunc func(points []orb.Point) (durations, distances routing.Matrix, err error)

// Meta keeps what the solution encoder needs beyond the problem.
type Meta struct {
	// Points[i] is the [lon, lat] of matrix location i when the input (or
	// the provider) gave coordinates for it (HasPoint[i]).
	Points   []orb.Point
	HasPoint []bool
	// Distances is false when no distance matrix was given: Problem.Dist
	// then holds the durations and the encoder omits distances.
	Distances bool
	// Dims is the number of capacity components.
	Dims int
	// Descriptions as given in the input ("" when absent), by job,
	// shipment and vehicle index; the encoder returns them on the steps
	// and routes as VROOM does.
	JobDesc, PickupDesc, DeliveryDesc, VehicleDesc []string
}

type jsonTask struct {
	ID          *uint64         `json:"id"`
	Description string          `json:"description"`
	Location    *[]float64      `json:"location"`
	LocIndex    *int            `json:"location_index"`
	Setup       float64         `json:"setup"`
	Service     float64         `json:"service"`
	TimeWindows [][]float64     `json:"time_windows"`
	Delivery    []int64         `json:"delivery"`
	Pickup      []int64         `json:"pickup"`
	Amount      []int64         `json:"amount"`
	Skills      []int64         `json:"skills"`
	Priority    int64           `json:"priority"`
	Class       int64           `json:"class"`
	MaxRide     float64         `json:"max_ride_time"`
	Unsupported json.RawMessage `json:"setup_per_type"`
}

type jsonShipment struct {
	Pickup      *jsonTask `json:"pickup"`
	Delivery    *jsonTask `json:"delivery"`
	Amount      []int64   `json:"amount"`
	Skills      []int64   `json:"skills"`
	Priority    int64     `json:"priority"`
	Class       int64     `json:"class"`
	MaxRide     float64   `json:"max_ride_time"`
	Description string    `json:"description"`
}

type jsonCosts struct {
	Fixed   float64  `json:"fixed"`
	PerHour *float64 `json:"per_hour"`
	PerKm   float64  `json:"per_km"`
}

type jsonVehicle struct {
	ID            *uint64         `json:"id"`
	Profile       string          `json:"profile"`
	Description   string          `json:"description"`
	Start         *[]float64      `json:"start"`
	StartIndex    *int            `json:"start_index"`
	End           *[]float64      `json:"end"`
	EndIndex      *int            `json:"end_index"`
	Capacity      []int64         `json:"capacity"`
	Skills        []int64         `json:"skills"`
	TimeWindow    []float64       `json:"time_window"`
	MaxTravelTime *float64        `json:"max_travel_time"`
	Costs         *jsonCosts      `json:"costs"`
	SpeedFactor   *float64        `json:"speed_factor"`
	Breaks        json.RawMessage `json:"breaks"`
	MaxTasks      json.RawMessage `json:"max_tasks"`
	MaxDistance   json.RawMessage `json:"max_distance"`
	Steps         json.RawMessage `json:"steps"`
}

type jsonProfile struct {
	Durations *matrixJSON     `json:"durations"`
	Distances *matrixJSON     `json:"distances"`
	Costs     json.RawMessage `json:"costs"`
}

// InputDocument is the problem document Decode reads (the API describes it
// in its OpenAPI document by reflection).
type InputDocument = jsonInput

type jsonInput struct {
	Jobs         []jsonTask              `json:"jobs"`
	Shipments    []jsonShipment          `json:"shipments"`
	Vehicles     []jsonVehicle           `json:"vehicles"`
	Matrices     map[string]*jsonProfile `json:"matrices"`
	Incompatible [][]int64               `json:"incompatible"`
	CleaningTime float64                 `json:"cleaning_time"`
	Options      json.RawMessage         `json:"options"`
}

// Decode parses a VROOM problem document into a vrp.Problem (objective
// MinCost with VROOM's cost model: fixed + per_hour/3600 per second +
// per_km/1000 per metre, per_hour defaulting to 3600) and its Meta.
//
// Locations: with matrices, every task and vehicle end uses
// location_index (a location given too is kept in Meta for the output).
// Without matrices, every location must be coordinates: the distinct
// points, in order of first use, are passed to matrixFor; a nil matrixFor
// gives an error wrapping ErrNoMatrixProvider.
//
// Problem.Jobs[i] is jobs[i] with ID = its id; Problem.Shipments[i] is
// shipments[i] with PickupID/DeliveryID = the pickup's and delivery's ids;
// Problem.Vehicles[i] is vehicles[i]. Validation errors are *Error (ids
// unknown or repeated, matrices not square or too small for the indices
// used, negative values, windows ending before they start, amount arity
// different from capacity arity, unsupported fields); size caps give an
// *Error too. Decode is safe for concurrent use.
func Decode(data []byte, matrixFor MatrixFunc) (*vrp.Problem, *Meta, error) {
	if len(data) > MaxInputBytes {
		return nil, nil, errf("", "document of %d bytes exceeds %d", len(data), MaxInputBytes)
	}
	var in jsonInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, nil, jsonError(err)
	}
	if dec.More() {
		return nil, nil, errf("", "trailing data after the problem object")
	}
	d := &decoder{in: &in}
	return d.run(matrixFor)
}

// jsonError turns encoding/json errors into *Error with the field path.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var me *matrixError
	switch {
	case errors.As(err, &me):
		return errf(me.path, "%s", me.msg)
	case errors.As(err, &te):
		return errf(te.Field, "%s value cannot be %s", te.Value, te.Type)
	case errors.As(err, &se):
		return errf("", "JSON syntax error at byte %d: %v", se.Offset, se)
	}
	return errf("", "%v", err)
}

type decoder struct {
	in        *jsonInput
	p         *vrp.Problem
	meta      *Meta
	useIdx    bool        // matrices given: locations are indices
	points    []orb.Point // without matrices: distinct points
	pointIdx  map[orb.Point]int
	dims      int
	dimsFrom  string
	maxIndex  int // largest location index used
	maxIdxAt  string
	indexPnts map[int]orb.Point
	starts    []int // vehicle start locations (-1 = open)
	ends      []int
}

func (d *decoder) run(matrixFor MatrixFunc) (*vrp.Problem, *Meta, error) {
	in := d.in
	if len(in.Jobs)+len(in.Shipments) > MaxTasks {
		return nil, nil, errf("", "%d jobs and shipments exceed %d", len(in.Jobs)+len(in.Shipments), MaxTasks)
	}
	if len(in.Vehicles) == 0 {
		return nil, nil, errf("vehicles", "at least one vehicle is required")
	}
	if len(in.Vehicles) > MaxVehicles {
		return nil, nil, errf("vehicles", "%d vehicles exceed %d", len(in.Vehicles), MaxVehicles)
	}
	if len(in.Options) > 0 {
		return nil, nil, errf("options", "not supported")
	}
	d.p = &vrp.Problem{Objective: vrp.MinCost}
	d.meta = &Meta{}
	d.maxIndex = -1
	d.pointIdx = map[orb.Point]int{}
	d.indexPnts = map[int]orb.Point{}
	var prof *jsonProfile
	profName := ""
	if len(in.Matrices) > 0 {
		d.useIdx = true
		var err error
		if prof, profName, err = d.profile(); err != nil {
			return nil, nil, err
		}
	}
	if err := d.vehicleEnds(); err != nil {
		return nil, nil, err
	}
	if err := d.tasks(); err != nil {
		return nil, nil, err
	}
	if err := d.vehicles(); err != nil {
		return nil, nil, err
	}
	if err := d.classes(); err != nil {
		return nil, nil, err
	}
	var err error
	if d.useIdx {
		err = d.givenMatrices(prof, "matrices."+profName)
	} else {
		err = d.providedMatrices(matrixFor)
	}
	if err != nil {
		return nil, nil, err
	}
	d.descriptions()
	return d.p, d.meta, nil
}

// profile returns the matrices of the one profile the vehicles use ("car"
// by default).
func (d *decoder) profile() (*jsonProfile, string, error) {
	in := d.in
	profName := ""
	for i, v := range in.Vehicles {
		name := v.Profile
		if name == "" {
			name = "car"
		}
		if profName == "" {
			profName = name
		} else if name != profName {
			return nil, "", errf(fmt.Sprintf("vehicles[%d].profile", i), "several profiles (%q, %q) are not supported", profName, name)
		}
	}
	prof := in.Matrices[profName]
	if prof == nil {
		return nil, "", errf("matrices", "no matrices for profile %q", profName)
	}
	if len(prof.Costs) > 0 {
		return nil, "", errf("matrices."+profName+".costs", "custom cost matrices are not supported")
	}
	if prof.Durations == nil {
		return nil, "", errf("matrices."+profName+".durations", "required")
	}
	return prof, profName, nil
}

// vehicleEnds reads the vehicles' start and end locations, first, so that
// depots come first among the points.
func (d *decoder) vehicleEnds() error {
	in := d.in
	d.starts, d.ends = make([]int, len(in.Vehicles)), make([]int, len(in.Vehicles))
	for i := range in.Vehicles {
		v := &in.Vehicles[i]
		path := fmt.Sprintf("vehicles[%d]", i)
		d.starts[i], d.ends[i] = -1, -1
		var err error
		if v.Start != nil || v.StartIndex != nil {
			if d.starts[i], err = d.location(path, v.StartIndex, v.Start, "start_index", "start"); err != nil {
				return err
			}
		}
		if v.End != nil || v.EndIndex != nil {
			if d.ends[i], err = d.location(path, v.EndIndex, v.End, "end_index", "end"); err != nil {
				return err
			}
		}
		if d.starts[i] < 0 && d.ends[i] < 0 {
			return errf(path, "a vehicle needs a start or an end")
		}
	}
	return nil
}

// givenMatrices takes the request's matrices of profile prof (at JSON path
// base), which must cover every location index used.
func (d *decoder) givenMatrices(prof *jsonProfile, base string) error {
	p, meta := d.p, d.meta
	dur := prof.Durations
	if err := dur.check(base + ".durations"); err != nil {
		return err
	}
	if d.maxIndex >= dur.n {
		return errf(d.maxIdxAt, "location index %d outside the %dx%d matrix", d.maxIndex, dur.n, dur.n)
	}
	p.Time = routing.Matrix{Rows: dur.n, Cols: dur.n, Data: dur.data}
	if prof.Distances != nil {
		dist := prof.Distances
		if err := dist.check(base + ".distances"); err != nil {
			return err
		}
		if dist.n != dur.n {
			return errf(base+".distances", "%dx%d, durations are %dx%d", dist.n, dist.n, dur.n, dur.n)
		}
		p.Dist = routing.Matrix{Rows: dist.n, Cols: dist.n, Data: dist.data}
		meta.Distances = true
	} else {
		p.Dist = p.Time
	}
	meta.Points = make([]orb.Point, dur.n)
	meta.HasPoint = make([]bool, dur.n)
	for i, pt := range d.indexPnts {
		meta.Points[i], meta.HasPoint[i] = pt, true
	}
	return nil
}

// providedMatrices asks matrixFor for the matrices between the request's
// points (coordinates, no matrices in the request).
func (d *decoder) providedMatrices(matrixFor MatrixFunc) error {
	p, meta := d.p, d.meta
	if matrixFor == nil {
		return fmt.Errorf("%w", ErrNoMatrixProvider)
	}
	dur, dist, err := matrixFor(d.points)
	if err != nil {
		return fmt.Errorf("%w: %w", errProvider, err)
	}
	n := len(d.points)
	okM := func(m routing.Matrix) bool { return m.Rows == n && m.Cols == n && len(m.Data) == n*n }
	if !okM(dur) {
		return fmt.Errorf("vroom: matrix provider returned %dx%d durations for %d points", dur.Rows, dur.Cols, n)
	}
	p.Time = dur
	if len(dist.Data) > 0 {
		if !okM(dist) {
			return fmt.Errorf("vroom: matrix provider returned %dx%d distances for %d points", dist.Rows, dist.Cols, n)
		}
		p.Dist = dist
		meta.Distances = true
	} else {
		p.Dist = dur
	}
	meta.Points = d.points
	meta.HasPoint = make([]bool, n)
	for i := range meta.HasPoint {
		meta.HasPoint[i] = true
	}
	return nil
}

// descriptions copies the dimensions and the descriptions of jobs,
// shipment stops (the stop's own, else the shipment's) and vehicles into
// the meta data.
func (d *decoder) descriptions() {
	in, meta := d.in, d.meta
	meta.Dims = d.dims
	meta.JobDesc = make([]string, len(in.Jobs))
	for i := range in.Jobs {
		meta.JobDesc[i] = in.Jobs[i].Description
	}
	meta.PickupDesc, meta.DeliveryDesc = make([]string, len(in.Shipments)), make([]string, len(in.Shipments))
	for i, sh := range in.Shipments {
		meta.PickupDesc[i], meta.DeliveryDesc[i] = sh.Description, sh.Description
		if sh.Pickup != nil && sh.Pickup.Description != "" {
			meta.PickupDesc[i] = sh.Pickup.Description
		}
		if sh.Delivery != nil && sh.Delivery.Description != "" {
			meta.DeliveryDesc[i] = sh.Delivery.Description
		}
	}
	meta.VehicleDesc = make([]string, len(in.Vehicles))
	for i := range in.Vehicles {
		meta.VehicleDesc[i] = in.Vehicles[i].Description
	}
}

// location resolves a task or vehicle location to a matrix index.
func (d *decoder) location(path string, idx *int, loc *[]float64, idxName, locName string) (int, error) {
	var pt orb.Point
	hasPt := false
	if loc != nil {
		l := *loc
		if len(l) != 2 {
			return 0, errf(path+"."+locName, "want [lon, lat], got %d numbers", len(l))
		}
		if !(l[0] >= -180 && l[0] <= 180 && l[1] >= -90 && l[1] <= 90) {
			return 0, errf(path+"."+locName, "[%g, %g] is not a [lon, lat] coordinate", l[0], l[1])
		}
		pt, hasPt = orb.Point{l[0], l[1]}, true
	}
	if d.useIdx {
		if idx == nil {
			if hasPt {
				return 0, errf(path+"."+idxName, "required with matrices (coordinates alone need a matrix provider, so leave out matrices)")
			}
			return 0, errf(path+"."+idxName, "required")
		}
		i := *idx
		if i < 0 || i >= MaxLocations {
			return 0, errf(path+"."+idxName, "%d outside 0..%d", i, MaxLocations-1)
		}
		if i > d.maxIndex {
			d.maxIndex, d.maxIdxAt = i, path+"."+idxName
		}
		if hasPt {
			d.indexPnts[i] = pt
		}
		return i, nil
	}
	if idx != nil {
		return 0, errf(path+"."+idxName, "location indices need matrices")
	}
	if !hasPt {
		return 0, errf(path+"."+locName, "required")
	}
	if i, ok := d.pointIdx[pt]; ok {
		return i, nil
	}
	if len(d.points) >= MaxLocations {
		return 0, errf(path+"."+locName, "more than %d distinct locations", MaxLocations)
	}
	d.pointIdx[pt] = len(d.points)
	d.points = append(d.points, pt)
	return len(d.points) - 1, nil
}

// amount validates an amount vector's arity against the problem's.
func (d *decoder) amount(path string, v []int64) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	if len(v) > MaxDims {
		return nil, errf(path, "%d components exceed %d", len(v), MaxDims)
	}
	if d.dimsFrom == "" {
		d.dims, d.dimsFrom = len(v), path
	} else if len(v) != d.dims {
		return nil, errf(path, "%d components, %s has %d", len(v), d.dimsFrom, d.dims)
	}
	for k, x := range v {
		if x < 0 {
			return nil, errf(fmt.Sprintf("%s[%d]", path, k), "negative amount %d", x)
		}
	}
	return append([]int64(nil), v...), nil
}

func skills(path string, s []int64) ([]int, error) {
	if s == nil {
		return nil, nil
	}
	out := make([]int, len(s))
	for i, x := range s {
		if x < 0 || x > math.MaxUint32 {
			return nil, errf(fmt.Sprintf("%s[%d]", path, i), "skill %d outside 0..2^32-1", x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// windows validates, sorts and merges time windows.
func windows(path string, ws [][]float64) ([]routing.TimeWindow, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	out := make([]routing.TimeWindow, 0, len(ws))
	for i, w := range ws {
		p := fmt.Sprintf("%s[%d]", path, i)
		if len(w) != 2 {
			return nil, errf(p, "want [start, end], got %d numbers", len(w))
		}
		if w[0] < 0 || w[1] < 0 {
			return nil, errf(p, "negative time")
		}
		if w[1] < w[0] {
			return nil, errf(p, "ends (%g) before it starts (%g)", w[1], w[0])
		}
		out = append(out, routing.TimeWindow{Start: w[0], End: w[1]})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	merged := out[:1]
	for _, w := range out[1:] {
		last := &merged[len(merged)-1]
		if w.Start <= last.End {
			last.End = math.Max(last.End, w.End)
			continue
		}
		merged = append(merged, w)
	}
	return merged, nil
}

func nonNeg(path string, v float64) error {
	if v < 0 || math.IsNaN(v) {
		return errf(path, "negative value %g", v)
	}
	return nil
}

func checkID(path string, id *uint64, seen map[uint64]string) (int64, error) {
	if id == nil {
		return 0, errf(path+".id", "required")
	}
	if *id > math.MaxInt64 {
		return 0, errf(path+".id", "%d exceeds 2^63-1", *id)
	}
	if prev, dup := seen[*id]; dup {
		return 0, errf(path+".id", "duplicate id %d (also %s)", *id, prev)
	}
	seen[*id] = path
	return int64(*id), nil
}

// stop decodes the place part of a task.
func (d *decoder) stop(path string, t *jsonTask) (vrp.Stop, error) {
	var s vrp.Stop
	loc, err := d.location(path, t.LocIndex, t.Location, "location_index", "location")
	if err != nil {
		return s, err
	}
	if t.Setup != 0 {
		return s, errf(path+".setup", "setup times are not supported")
	}
	if len(t.Unsupported) > 0 {
		return s, errf(path+".setup_per_type", "not supported")
	}
	if err := nonNeg(path+".service", t.Service); err != nil {
		return s, err
	}
	ws, err := windows(path+".time_windows", t.TimeWindows)
	if err != nil {
		return s, err
	}
	return vrp.Stop{Location: loc, Service: t.Service, Windows: ws}, nil
}

func classOf(path string, c int64) (int, error) {
	if c < 0 || c > MaxClass {
		return 0, errf(path, "class %d outside 0..%d", c, MaxClass)
	}
	return int(c), nil
}

func priority(path string, p int64) (int, error) {
	if p < 0 || p > 100 {
		return 0, errf(path, "priority %d outside 0..100", p)
	}
	return int(p), nil
}

func (d *decoder) tasks() error {
	in, p := d.in, d.p
	seenJob := map[uint64]string{}
	p.Jobs = make([]vrp.Job, len(in.Jobs))
	for i := range in.Jobs {
		t := &in.Jobs[i]
		path := fmt.Sprintf("jobs[%d]", i)
		id, err := checkID(path, t.ID, seenJob)
		if err != nil {
			return err
		}
		st, err := d.stop(path, t)
		if err != nil {
			return err
		}
		if t.Amount != nil {
			return errf(path+".amount", "jobs use delivery and pickup")
		}
		if t.MaxRide != 0 {
			return errf(path+".max_ride_time", "only shipments have a ride time")
		}
		j := vrp.Job{ID: id, Stop: st}
		if j.Delivery, err = d.amount(path+".delivery", t.Delivery); err != nil {
			return err
		}
		if j.Pickup, err = d.amount(path+".pickup", t.Pickup); err != nil {
			return err
		}
		if j.Skills, err = skills(path+".skills", t.Skills); err != nil {
			return err
		}
		if j.Priority, err = priority(path+".priority", t.Priority); err != nil {
			return err
		}
		if j.Class, err = classOf(path+".class", t.Class); err != nil {
			return err
		}
		p.Jobs[i] = j
	}
	seenP, seenD := map[uint64]string{}, map[uint64]string{}
	p.Shipments = make([]vrp.Shipment, len(in.Shipments))
	for i := range in.Shipments {
		s := &in.Shipments[i]
		path := fmt.Sprintf("shipments[%d]", i)
		if s.Pickup == nil {
			return errf(path+".pickup", "required")
		}
		if s.Delivery == nil {
			return errf(path+".delivery", "required")
		}
		for _, part := range []struct {
			name string
			t    *jsonTask
		}{{"pickup", s.Pickup}, {"delivery", s.Delivery}} {
			t := part.t
			pp := path + "." + part.name
			if t.Delivery != nil || t.Pickup != nil || t.Amount != nil || t.Skills != nil || t.Priority != 0 || t.Class != 0 || t.MaxRide != 0 {
				return errf(pp, "amount, skills, priority, class and max_ride_time belong to the shipment, not its %s", part.name)
			}
		}
		pid, err := checkID(path+".pickup", s.Pickup.ID, seenP)
		if err != nil {
			return err
		}
		did, err := checkID(path+".delivery", s.Delivery.ID, seenD)
		if err != nil {
			return err
		}
		ps, err := d.stop(path+".pickup", s.Pickup)
		if err != nil {
			return err
		}
		ds, err := d.stop(path+".delivery", s.Delivery)
		if err != nil {
			return err
		}
		sh := vrp.Shipment{PickupID: pid, DeliveryID: did, Pickup: ps, Delivery: ds}
		if sh.Amount, err = d.amount(path+".amount", s.Amount); err != nil {
			return err
		}
		if sh.Skills, err = skills(path+".skills", s.Skills); err != nil {
			return err
		}
		if sh.Priority, err = priority(path+".priority", s.Priority); err != nil {
			return err
		}
		if sh.Class, err = classOf(path+".class", s.Class); err != nil {
			return err
		}
		if err := nonNeg(path+".max_ride_time", s.MaxRide); err != nil {
			return err
		}
		sh.MaxRideTime = s.MaxRide
		p.Shipments[i] = sh
	}
	return nil
}

func (d *decoder) vehicles() error {
	in, p := d.in, d.p
	seen := map[uint64]string{}
	p.Vehicles = make([]vrp.Vehicle, len(in.Vehicles))
	for i := range in.Vehicles {
		v := &in.Vehicles[i]
		path := fmt.Sprintf("vehicles[%d]", i)
		id, err := checkID(path, v.ID, seen)
		if err != nil {
			return err
		}
		switch {
		case len(v.Breaks) > 0:
			return errf(path+".breaks", "breaks are not supported")
		case len(v.MaxTasks) > 0:
			return errf(path+".max_tasks", "not supported")
		case len(v.MaxDistance) > 0:
			return errf(path+".max_distance", "not supported")
		case len(v.Steps) > 0:
			return errf(path+".steps", "vehicle steps (plan mode) are not supported")
		case v.SpeedFactor != nil && *v.SpeedFactor != 1:
			return errf(path+".speed_factor", "only 1 is supported")
		}
		veh := vrp.Vehicle{ID: id, Start: d.starts[i], End: d.ends[i]}
		if v.Capacity != nil {
			if veh.Capacity, err = d.amount(path+".capacity", v.Capacity); err != nil {
				return err
			}
		} else if d.dims > 0 {
			return errf(path+".capacity", "required: %s has %d amount components", d.dimsFrom, d.dims)
		}
		if veh.Skills, err = skills(path+".skills", v.Skills); err != nil {
			return err
		}
		if v.TimeWindow != nil {
			if len(v.TimeWindow) != 2 {
				return errf(path+".time_window", "want [start, end], got %d numbers", len(v.TimeWindow))
			}
			a, b := v.TimeWindow[0], v.TimeWindow[1]
			if a < 0 || b < 0 {
				return errf(path+".time_window", "negative time")
			}
			if b < a {
				return errf(path+".time_window", "ends (%g) before it starts (%g)", b, a)
			}
			if a == 0 && b == 0 {
				return errf(path+".time_window", "[0, 0] leaves no time to work")
			}
			veh.Shift = routing.TimeWindow{Start: a, End: b}
		}
		if v.MaxTravelTime != nil {
			if err := nonNeg(path+".max_travel_time", *v.MaxTravelTime); err != nil {
				return err
			}
			if *v.MaxTravelTime == 0 {
				return errf(path+".max_travel_time", "0 leaves no time to travel")
			}
			veh.MaxDuration = *v.MaxTravelTime
		}
		veh.CostPerTime = 1 // VROOM's default per_hour 3600
		if c := v.Costs; c != nil {
			if err := nonNeg(path+".costs.fixed", c.Fixed); err != nil {
				return err
			}
			if err := nonNeg(path+".costs.per_km", c.PerKm); err != nil {
				return err
			}
			veh.FixedCost = c.Fixed
			veh.CostPerDist = c.PerKm / 1000
			if c.PerHour != nil {
				if err := nonNeg(path+".costs.per_hour", *c.PerHour); err != nil {
					return err
				}
				veh.CostPerTime = *c.PerHour / 3600
			}
		}
		p.Vehicles[i] = veh
	}
	// jobs with amounts decoded before any capacity: check vehicles carry them
	if d.dims > 0 {
		for i, v := range p.Vehicles {
			if len(v.Capacity) != d.dims {
				return errf(fmt.Sprintf("vehicles[%d].capacity", i), "%d components, %s has %d", len(v.Capacity), d.dimsFrom, d.dims)
			}
		}
	}
	return nil
}

func (d *decoder) classes() error {
	in, p := d.in, d.p
	if err := nonNeg("cleaning_time", in.CleaningTime); err != nil {
		return err
	}
	p.CleaningTime = in.CleaningTime
	if len(in.Incompatible) == 0 {
		return nil
	}
	p.Incompatible = make([][]bool, MaxClass+1)
	for i := range p.Incompatible {
		p.Incompatible[i] = make([]bool, MaxClass+1)
	}
	for i, pair := range in.Incompatible {
		path := fmt.Sprintf("incompatible[%d]", i)
		if len(pair) != 2 {
			return errf(path, "want [class, class], got %d numbers", len(pair))
		}
		a, err := classOf(path+"[0]", pair[0])
		if err != nil {
			return err
		}
		b, err := classOf(path+"[1]", pair[1])
		if err != nil {
			return err
		}
		if a == 0 || b == 0 {
			return errf(path, "class 0 is compatible with every class")
		}
		p.Incompatible[a][b], p.Incompatible[b][a] = true, true
	}
	return nil
}

// matrixJSON is a square matrix decoded without reflection: numbers >= 0 or
// null (routing.Unreachable), at most MaxLocations rows, each row checked
// against the first row's length before the next is read.
type matrixJSON struct {
	n    int
	data []float64
	err  *matrixError
}

type matrixError struct{ path, msg string }

func (e *matrixError) Error() string { return e.path + ": " + e.msg }

func (m *matrixJSON) check(path string) error {
	if m.err != nil {
		return errf(path+m.err.path, "%s", m.err.msg)
	}
	if m.n == 0 {
		return errf(path, "empty matrix")
	}
	return nil
}

// UnmarshalJSON parses [[v, ...], ...]. Errors are kept and reported by
// check with the matrix's path (encoding/json does not give it here).
func (m *matrixJSON) UnmarshalJSON(b []byte) error {
	fail := func(path, format string, args ...any) error {
		m.err = &matrixError{path: path, msg: fmt.Sprintf(format, args...)}
		return nil
	}
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
			i++
		}
	}
	expect := func(c byte) bool {
		ws()
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	if !expect('[') {
		return fail("", "want an array of rows")
	}
	row := 0
	cols := -1
	if expect(']') {
		return nil
	}
	for {
		if row >= MaxLocations {
			return fail("", "more than %d rows", MaxLocations)
		}
		if cols >= 0 && row >= cols {
			return fail(fmt.Sprintf("[%d]", row), "more rows than the %d columns: the matrix must be square", cols)
		}
		if !expect('[') {
			return fail(fmt.Sprintf("[%d]", row), "want an array of numbers")
		}
		col := 0
		if !expect(']') {
			for {
				ws()
				if cols >= 0 && col >= cols {
					return fail(fmt.Sprintf("[%d]", row), "more than %d values: the matrix must be square", cols)
				}
				if col >= MaxLocations {
					return fail(fmt.Sprintf("[%d]", row), "more than %d values", MaxLocations)
				}
				var v float64
				if bytes.HasPrefix(b[i:], []byte("null")) {
					v = routing.Unreachable
					i += 4
				} else {
					j := i
					for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || (b[j] >= '0' && b[j] <= '9')) {
						j++
					}
					x, err := strconv.ParseFloat(string(b[i:j]), 64)
					if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
						return fail(fmt.Sprintf("[%d][%d]", row, col), "not a number")
					}
					if x < 0 {
						return fail(fmt.Sprintf("[%d][%d]", row, col), "negative value %g", x)
					}
					v = x
					i = j
				}
				m.data = append(m.data, v)
				col++
				if expect(',') {
					continue
				}
				if expect(']') {
					break
				}
				return fail(fmt.Sprintf("[%d][%d]", row, col), "want ',' or ']'")
			}
		}
		if cols < 0 {
			cols = col
		} else if col != cols {
			return fail(fmt.Sprintf("[%d]", row), "%d values, row 0 has %d: the matrix must be square", col, cols)
		}
		row++
		if expect(',') {
			continue
		}
		if expect(']') {
			break
		}
		return fail(fmt.Sprintf("[%d]", row), "want ',' or ']'")
	}
	if row != cols {
		return fail("", "%d rows of %d values: the matrix must be square", row, cols)
	}
	m.n = row
	return nil
}
