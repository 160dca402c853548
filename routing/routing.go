// Package routing holds the domain types shared by the road engine, the
// optimisation engines and the use cases: locations, time windows, units and
// a flat travel-cost matrix. It imports nothing of the engines.
package routing

import (
	"errors"
	"math"

	"github.com/paulmach/orb"
)

// Seconds is a duration or a time of day in seconds. Engines that need
// fractional times (benchmark families with Euclidean travel times) use
// float64 directly; this type is for road travel times.
type Seconds float64

// Meters is a distance in metres.
type Meters float64

// Unreachable marks a matrix cell with no path. It is +Inf so that any sum
// with it stays unreachable; the API renders it as JSON null, never as a number.
var Unreachable = math.Inf(1)

// ErrUnreachable is returned when no path joins two points.
var ErrUnreachable = errors.New("routing: unreachable")

// ErrTooFar is returned when a point lies farther from any routable road than
// the configured snapping limit.
var ErrTooFar = errors.New("routing: point too far from any road")

// Location is a point to route from or to. Point is [lon, lat] (orb order).
type Location struct {
	ID    string    `json:"id,omitempty"`
	Point orb.Point `json:"point"`
}

// TimeWindow is a closed interval [Start, End] in seconds since the plan's
// origin (usually midnight of the plan day).
type TimeWindow struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Contains reports whether t lies in the window.
func (w TimeWindow) Contains(t float64) bool { return t >= w.Start && t <= w.End }

// Matrix is a dense row-major table of travel costs: Data[i*Cols+j] is the
// cost from source i to target j, or Unreachable.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a rows x cols matrix filled with zeros.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// At returns the cost from i to j.
func (m Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Set stores the cost from i to j.
func (m Matrix) Set(i, j int, v float64) { m.Data[i*m.Cols+j] = v }
