package vroom

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// Run decodes a VROOM problem, solves it with vrp.Solve and encodes the
// plan, filling computing_times (loading = decoding and matrices, solving =
// the search, and lifeline's matrix = the part of loading in matrixFor,
// encoding = building the answer). It always returns an Output: on failure it is
// ErrorOutput(err) (code 2 for invalid input, 3 when no matrix could be
// computed, 1 otherwise) and err is returned too, so an HTTP handler can
// choose the status from err and still send VROOM's error document.
func Run(ctx context.Context, data []byte, matrixFor MatrixFunc, opt vrp.Options) (*Output, error) {
	t0 := time.Now()
	var inMatrix time.Duration
	timed := matrixFor
	if matrixFor != nil {
		timed = func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
			tm := time.Now()
			defer func() { inMatrix += time.Since(tm) }()
			return matrixFor(ps)
		}
	}
	p, meta, err := Decode(data, timed)
	if err != nil {
		return ErrorOutput(err), err
	}
	t1 := time.Now()
	s, err := vrp.Solve(ctx, p, opt)
	if err != nil {
		return ErrorOutput(err), err
	}
	t2 := time.Now()
	out := Encode(p, meta, s, ComputingTimes{
		Loading: t1.Sub(t0).Milliseconds(),
		Solving: t2.Sub(t1).Milliseconds(),
		Matrix:  inMatrix.Milliseconds(),
	})
	return out, nil
}
