package api

import "time"

// Limits bound the work of every request. Deps.Limits zero fields take
// DefaultLimits; `lifeline serve` exposes the solve queue and the server
// timeouts as flags. A request beyond a limit gets a 422 validation_failed
// (429 for a full solve queue) whose details name the offending element
// (details.path) and the limit (details.limit). The README table is
// written from this struct.
type Limits struct {
	// MaxMatrixPoints caps sources and targets of POST /v1/matrix (each).
	MaxMatrixPoints int
	// MaxMatrixCells caps sources x targets of POST /v1/matrix.
	MaxMatrixCells int
	// MaxIsochroneMinutes caps minutes of GET /v1/isochrone.
	MaxIsochroneMinutes float64
	// MaxH3Res caps h3_res of GET /v1/isochrone.
	MaxH3Res int
	// MaxIsochroneCells caps the H3 cells one isochrone answer may list
	// (area / cell area, checked before the cells are computed).
	MaxIsochroneCells int
	// MaxNearestResults caps k of /v1/nearest.
	MaxNearestResults int
	// DefaultSnapRadius is how far (metres) a point may lie from the road
	// it snaps to, unless the request says otherwise (snap_radius).
	DefaultSnapRadius float64
	// MaxSnapRadius caps snap_radius, per request and per point.
	MaxSnapRadius float64
	// DefaultOptimizeTime and MaxOptimizeTime: time_limit of POST /v1/optimize.
	DefaultOptimizeTime, MaxOptimizeTime time.Duration
	// MaxOptimizeTasks caps jobs + shipments of one POST /v1/optimize.
	MaxOptimizeTasks int
	// MaxOptimizeVehicles caps the vehicles of one POST /v1/optimize.
	MaxOptimizeVehicles int
	// MaxOptimizeLocations caps the distinct coordinates of one POST
	// /v1/optimize (the side of the matrix the road engine computes).
	MaxOptimizeLocations int
	// DefaultSitesTime and MaxSitesTime: time_limit_seconds of POST /v1/sites/plan.
	DefaultSitesTime, MaxSitesTime time.Duration
	// SolveWorkers is how many solves (optimize, sites/plan; sync or
	// async) run at once (0: one per core).
	SolveWorkers int
	// SolveQueue is how many solves may wait for a worker (0: 2 x
	// workers); beyond it a solve request gets 429 with Retry-After.
	SolveQueue int
	// MaxJobs caps the job table (live jobs plus finished ones kept for
	// an hour for GET /v1/jobs/{id}; the oldest finished go first).
	MaxJobs int
	// ReadHeaderTimeout, ReadTimeout (headers and body) and IdleTimeout
	// (keep-alive) of the HTTP server.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
}

// DefaultLimits returns the limits used for zero fields of Deps.Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxMatrixPoints:      2_000,
		MaxMatrixCells:       1_000_000,
		MaxIsochroneMinutes:  120,
		MaxH3Res:             12,
		MaxIsochroneCells:    100_000,
		MaxNearestResults:    50,
		DefaultSnapRadius:    500,
		MaxSnapRadius:        5_000,
		DefaultOptimizeTime:  5 * time.Second,
		MaxOptimizeTime:      5 * time.Minute,
		MaxOptimizeTasks:     5_000,
		MaxOptimizeVehicles:  500,
		MaxOptimizeLocations: 2_000,
		DefaultSitesTime:     10 * time.Second,
		MaxSitesTime:         2 * time.Minute,
		SolveWorkers:         0,
		SolveQueue:           0,
		MaxJobs:              1_000,
		ReadHeaderTimeout:    5 * time.Second,
		ReadTimeout:          30 * time.Second,
		IdleTimeout:          2 * time.Minute,
	}
}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if !(*v > 0) {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxMatrixPoints, d.MaxMatrixPoints)
	set(&l.MaxMatrixCells, d.MaxMatrixCells)
	setF(&l.MaxIsochroneMinutes, d.MaxIsochroneMinutes)
	if l.MaxH3Res <= 0 || l.MaxH3Res > 15 {
		l.MaxH3Res = d.MaxH3Res
	}
	set(&l.MaxIsochroneCells, d.MaxIsochroneCells)
	set(&l.MaxNearestResults, d.MaxNearestResults)
	setF(&l.DefaultSnapRadius, d.DefaultSnapRadius)
	setF(&l.MaxSnapRadius, d.MaxSnapRadius)
	setD(&l.DefaultOptimizeTime, d.DefaultOptimizeTime)
	setD(&l.MaxOptimizeTime, d.MaxOptimizeTime)
	set(&l.MaxOptimizeTasks, d.MaxOptimizeTasks)
	set(&l.MaxOptimizeVehicles, d.MaxOptimizeVehicles)
	set(&l.MaxOptimizeLocations, d.MaxOptimizeLocations)
	setD(&l.DefaultSitesTime, d.DefaultSitesTime)
	setD(&l.MaxSitesTime, d.MaxSitesTime)
	set(&l.MaxJobs, d.MaxJobs)
	setD(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	setD(&l.ReadTimeout, d.ReadTimeout)
	setD(&l.IdleTimeout, d.IdleTimeout)
	return l
}

// errLimit is the 422 of a request beyond a limit.
func errLimit(path, msg string, limit any) *Error {
	return &Error{Status: 422, Code: "limit_exceeded", Message: path + ": " + msg,
		Details: map[string]any{"path": path, "limit": limit, "reason": msg}}
}
