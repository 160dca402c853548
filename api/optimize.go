package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/jobs"
	"lifeline/routing"
	"lifeline/routing/graph"
	"lifeline/routing/network"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/vroom"
)

// OptimizeRoutes registers POST /v1/optimize: a VROOM problem document in,
// VROOM's solution document out (see routing/vrp/vroom for what we extend).
// Locations given as coordinates are turned into matrices on n (car); with
// n nil the problem must bring its matrices. A location farther than
// snap_radius from every road does not fail the solve: its jobs and
// shipments come back unassigned with the reason.
//
// Query: time_limit (Go duration, default and maximum in Limits), seed
// (default 1), iterations (lifeline's extension: stop after N
// ruin-and-recreate iterations of one search, so that the same document,
// seed and N give the same plan on any machine, busy or not; without
// time_limit the time limit is then the maximum in Limits, a safety bound),
// snap_radius (metres), async=true to run as a job with progress at
// /v1/jobs/{id}. Every solve goes through the solve queue. The answer's
// summary.computing_times adds lifeline's matrix (road matrices, part of
// loading) and encoding; summary.iterations is the search's iterations.
func OptimizeRoutes(n *network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		oh := &optimizeHandlers{Handlers: h, net: n}
		h.register("optimize", oh.work)
		r.POST("/optimize", oh.optimize)
	}
}

type optimizeHandlers struct {
	*Handlers
	net *network.Network
}

// optimizeProgress is what GET /v1/jobs/{id} shows while a solve runs.
type optimizeProgress struct {
	Iteration      int     `json:"iteration"`
	ElapsedSeconds float64 `json:"elapsed_s"`
	Priority       int     `json:"served_priority"`
	Vehicles       int     `json:"vehicles"`
	Cost           float64 `json:"cost"`
}

// solveQuery reads the solve parameters common to /v1/optimize and
// /v1/shuttles/plan: time_limit (a Go duration, default and maximum in
// Limits) and seed (default 1).
func (h *Handlers) solveQuery(c *gin.Context) (time.Duration, uint64, error) {
	lim := h.Limits
	limit := lim.DefaultOptimizeTime
	if s, ok := c.GetQuery("time_limit"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, 0, errBadRequest("bad_parameter", fmt.Sprintf("query.time_limit: %q must be a positive duration such as 10s", truncateQ(s)), map[string]any{"path": "query.time_limit"})
		}
		if d > lim.MaxOptimizeTime {
			return 0, 0, errLimit("query.time_limit", fmt.Sprintf("%s; at most %s", d, lim.MaxOptimizeTime), lim.MaxOptimizeTime.String())
		}
		limit = d
	}
	seed := uint64(1)
	if s, ok := c.GetQuery("seed"); ok {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, errBadRequest("bad_parameter", fmt.Sprintf("query.seed: %q must be a non-negative integer", truncateQ(s)), map[string]any{"path": "query.seed"})
		}
		seed = v
	}
	return limit, seed, nil
}

// problemSize is what the handler reads of a VROOM document before the
// solve, to bound it (the decoder checks the rest).
type problemSize struct {
	Jobs      []json.RawMessage `json:"jobs"`
	Shipments []json.RawMessage `json:"shipments"`
	Vehicles  []json.RawMessage `json:"vehicles"`
}

// solverThreads is how many search threads one solve gets: the cores
// shared by the queue's workers.
func (h *Handlers) solverThreads() int {
	w := h.Limits.SolveWorkers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, runtime.GOMAXPROCS(0)/w)
}

func (oh *optimizeHandlers) optimize(c *gin.Context) {
	lim := oh.Limits
	iterations := 0
	if s, ok := c.GetQuery("iterations"); ok {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.iterations: %q must be a positive integer", s), map[string]any{"path": "query.iterations"}))
			return
		}
		iterations = v
	}
	limit, seed, err := oh.solveQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	if _, given := c.GetQuery("time_limit"); iterations > 0 && !given {
		limit = lim.MaxOptimizeTime // the iterations bound the solve
	}
	radius, err := oh.querySnapRadius(c)
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := queryBool(c, "async", false); err != nil {
		fail(c, err)
		return
	}
	body, err := readBody(c, min(oh.MaxBodyBytes*8, vroom.MaxInputBytes))
	if err != nil {
		fail(c, err)
		return
	}
	body, drivers, err := oh.extractDrivers(c.Request.Context(), body)
	if err != nil {
		fail(c, err)
		return
	}
	var size problemSize
	if json.Unmarshal(body, &size) == nil {
		if n := len(size.Jobs) + len(size.Shipments); n > lim.MaxOptimizeTasks {
			fail(c, errLimit("jobs", fmt.Sprintf("%d jobs and shipments; at most %d per solve", n, lim.MaxOptimizeTasks), lim.MaxOptimizeTasks))
			return
		}
		if n := len(size.Vehicles); n > lim.MaxOptimizeVehicles {
			fail(c, errLimit("vehicles", fmt.Sprintf("%d vehicles; at most %d per solve", n, lim.MaxOptimizeVehicles), lim.MaxOptimizeVehicles))
			return
		}
	}
	// Decode before queueing, so that a bad document is a 4xx at once and
	// never takes a queue slot; the job decodes it again where it runs
	// (on any replica), where the road matrices are computed on the job's
	// context.
	if _, _, err := vroom.Decode(body, nil); err != nil && !errors.Is(err, vroom.ErrNoMatrixProvider) {
		fail(c, err)
		return
	}
	oh.runSolve(c, "optimize", limit, optimizeArgs{Problem: body, Drivers: drivers, TimeLimit: limit, Seed: seed,
		Iterations: iterations, SnapRadius: radius, Owner: ownerOf(c)})
}

// optimizeArgs is an optimisation job: the VROOM document without the
// drivers (who get the route lists) and the query's settings.
type optimizeArgs struct {
	Problem    json.RawMessage   `json:"problem"`
	Drivers    map[uint64]string `json:"drivers,omitempty"`
	TimeLimit  time.Duration     `json:"time_limit_ns"`
	Seed       uint64            `json:"seed"`
	Iterations int               `json:"iterations,omitempty"`
	SnapRadius float64           `json:"snap_radius_m"`
	Owner      string            `json:"owner,omitempty"`
}

// work runs an optimisation job (on the job's context: cancelled by
// DELETE /v1/jobs/{id}, by a sync client going away, or by the budget).
func (oh *optimizeHandlers) work(ctx context.Context, raw json.RawMessage, report func(any)) (any, error) {
	var a optimizeArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("optimize job arguments: %w", err)
	}
	lim, body, limit, radius, seed, iterations := oh.Limits, []byte(a.Problem), a.TimeLimit, a.SnapRadius, a.Seed, a.Iterations
	t0 := time.Now()
	decoded, meta, err := vroom.Decode(body, nil)
	if err != nil && !errors.Is(err, vroom.ErrNoMatrixProvider) {
		return nil, err
	}
	loading := time.Since(t0)
	unsnapped := map[int]string{} // matrix location -> why it does not snap
	var matrixFor vroom.MatrixFunc
	if oh.net != nil {
		matrixFor = func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
			if len(ps) > lim.MaxOptimizeLocations {
				return routing.Matrix{}, routing.Matrix{}, errLimit("jobs", fmt.Sprintf("%d distinct locations; at most %d per solve",
					len(ps), lim.MaxOptimizeLocations), lim.MaxOptimizeLocations)
			}
			tm, dm, snaps, err := oh.net.Matrix(ctx, ps, ps, network.MatrixOptions{Partial: true, SnapRadius: radius})
			if err != nil {
				return tm, dm, err
			}
			for i, s := range snaps[:len(ps)] {
				if s.Err != nil {
					var se *graph.SnapError
					if errors.As(s.Err, &se) {
						unsnapped[i] = snapMessage(se)
					} else {
						unsnapped[i] = "the location does not snap to a road"
					}
				}
			}
			return tm, dm, nil
		}
	}
	workers := oh.solverThreads()
	if iterations > 0 {
		workers = 1 // the plan must not depend on the machine's cores
	}
	opt := vrp.Options{Seed: seed, TimeLimit: limit, MaxIterations: iterations, Workers: workers, Progress: func(p vrp.Progress) {
		report(optimizeProgress{Iteration: p.Iteration, ElapsedSeconds: p.Elapsed.Seconds(), Priority: p.Priority, Vehicles: p.Vehicles, Cost: p.Cost})
	}}
	var out *vroom.Output
	if decoded != nil {
		t1 := time.Now()
		var sol *vrp.Solution
		if sol, err = vrp.Solve(ctx, decoded, opt); err == nil {
			out = vroom.Encode(decoded, meta, sol, vroom.ComputingTimes{Loading: loading.Milliseconds(), Solving: time.Since(t1).Milliseconds()})
		}
	} else {
		out, err = vroom.Run(ctx, body, matrixFor, opt)
	}
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return nil, ae // a limit of the matrix provider
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled or out of time: no plan, no route lists
	}
	for k := range out.Unassigned {
		if why, ok := unsnapped[out.Unassigned[k].LocationIndex]; ok {
			out.Unassigned[k].Reason = why
		}
	}
	// route lists only for a job that is not cancelled (atomically
	// with DELETE /v1/jobs/{id})
	if err := jobs.Commit(ctx, func() error {
		return oh.addRouteLists(ctx, out, oh.zoneAt(), a.Drivers, a.Owner, windowsOf(body))
	}); err != nil {
		return nil, err
	}
	return out, nil
}
