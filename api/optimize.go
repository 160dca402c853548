package api

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/network"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/vroom"
)

// Limits of POST /v1/optimize.
const (
	DefaultOptimizeTime = 5 * time.Second
	MaxOptimizeTime     = 5 * time.Minute
)

// OptimizeRoutes registers POST /v1/optimize: a VROOM problem document in,
// VROOM's solution document out (see routing/vrp/vroom for what we extend).
// Locations given as coordinates are turned into matrices on n (car); with
// n nil the problem must bring its matrices.
//
// Query: time_limit (Go duration, default 5s, at most 5m), seed (default 1),
// async=true to run as a job with progress at /v1/jobs/{id}.
func OptimizeRoutes(n *network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		oh := &optimizeHandlers{Handlers: h, net: n}
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

func (oh *optimizeHandlers) optimize(c *gin.Context) {
	limit := DefaultOptimizeTime
	if s := c.Query("time_limit"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > MaxOptimizeTime {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.time_limit: %q must be a duration in (0, %s], such as 10s", s, MaxOptimizeTime), map[string]any{"path": "query.time_limit"}))
			return
		}
		limit = d
	}
	seed := uint64(1)
	if s := c.Query("seed"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.seed: %q must be a non-negative integer", s), map[string]any{"path": "query.seed"}))
			return
		}
		seed = v
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
	oh.runSolve(c, "optimize", limit, func(ctx context.Context, report func(any)) (any, error) {
		// the work's own context: in async mode the request's ends with the 202
		var matrixFor vroom.MatrixFunc
		if oh.net != nil {
			matrixFor = func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
				tm, dm, _, err := oh.net.Matrix(ctx, ps, ps, network.MatrixOptions{})
				return tm, dm, err
			}
		}
		opt := vrp.Options{Seed: seed, TimeLimit: limit, Workers: runtime.GOMAXPROCS(0), Progress: func(p vrp.Progress) {
			report(optimizeProgress{Iteration: p.Iteration, ElapsedSeconds: p.Elapsed.Seconds(), Priority: p.Priority, Vehicles: p.Vehicles, Cost: p.Cost})
		}}
		out, err := vroom.Run(ctx, body, matrixFor, opt)
		if err != nil {
			var ve *vroom.Error
			if errors.As(err, &ve) {
				return nil, errUnprocessable(ve.Path, ve.Message)
			}
			return nil, err
		}
		oh.lists.add(ctx, out, oh.zoneAt(), drivers)
		return out, nil
	})
}
