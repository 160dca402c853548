// Package siting is lifeline's facility-location engine. It works on a
// demand x candidate cost matrix (routing.Matrix: Rows are demand points,
// Cols are candidate sites, any cost unit such as seconds or metres) with
// demand weights and, for the capacitated model, candidate capacities. It
// knows nothing of maps, zones or people: the use case (routing/siteplan)
// builds the matrix.
//
// Models, each returning a Solution with Objective, LowerBound and Gap:
//
//   - PMedian: open P sites minimising the weighted sum of the cost from each
//     demand point to its nearest open site. Greedy + fast interchange
//     (Whitaker / Resende–Werneck gain-loss-extra swap evaluation) inside a
//     variable neighbourhood search, and a Lagrangian relaxation bound
//     (subgradient optimisation) that also proposes starting solutions and
//     stops the search when the bound proves the incumbent optimal.
//   - CapacitatedPMedian: the same with site capacities (in weight units);
//     demand may be split, assignments are an exact transportation
//     (min-cost flow) for the chosen sites; local search swaps sites.
//   - MaxCover: open P sites covering the most weight within Radius;
//     Objective is the UNCOVERED weight (so that every model minimises and
//     LowerBound is a lower bound); Covered holds the covered weight.
//   - SetCover: the fewest sites such that every demand point that some
//     candidate covers within Radius is covered.
//
// All solvers are deterministic for a given Problem, Options.Seed and
// iteration cap; with only a time budget the amount of search done depends
// on the machine. They check the context and the clock regularly and return
// the best solution found so far (with ctx.Err() only if no solution exists
// at all). Memory is O(Rows x Cols). Solvers are safe for concurrent use on
// distinct or shared (read-only) Problems.
package siting

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"lifeline/routing"
)

// Errors of the siting engine.
var (
	// ErrInvalid wraps every problem that fails validation.
	ErrInvalid = errors.New("siting: invalid problem")
	// ErrInfeasible is returned when no solution satisfies the hard
	// constraints (e.g. more fixed sites than P).
	ErrInfeasible = errors.New("siting: infeasible")
)

// Problem is one facility-location instance.
type Problem struct {
	// Cost[i][j] is the cost (e.g. walking seconds) from demand point i to
	// candidate j; routing.Unreachable (+Inf) marks no path. Must be >= 0.
	Cost routing.Matrix
	// Weight is the demand of each point (people); nil means 1 each.
	// len(Weight) == Cost.Rows, every value finite and >= 0.
	Weight []float64
	// Capacity of each candidate in weight units (CapacitatedPMedian only);
	// nil means uncapacitated. len == Cost.Cols.
	Capacity []float64
	// Fixed lists candidates that must be open; they count towards P.
	Fixed []int
}

// Options tune a solver.
type Options struct {
	// P is the number of sites to open (PMedian, CapacitatedPMedian,
	// MaxCover). 1 <= P <= Cost.Cols.
	P int
	// Radius is the coverage threshold in cost units for MaxCover and
	// SetCover: demand i is covered by j iff Cost[i][j] <= Radius.
	Radius float64
	// Seed of the pseudo-random generator (PCG).
	Seed uint64
	// TimeLimit bounds the wall time; 0 means 10 s.
	TimeLimit time.Duration
	// MaxIterations caps the metaheuristic iterations (perturbation +
	// local search rounds); 0 means no cap (time only). With a cap and an
	// ample TimeLimit the result is fully reproducible.
	MaxIterations int
	// Start is an initial set of open candidates (re-planning). With
	// MaxMoves > 0 the answer keeps all but at most MaxMoves of them.
	Start []int
	// MaxMoves bounds how many sites of Start may be closed (each closed
	// one is replaced by an opened one); 0 means no bound.
	MaxMoves int
	// LagrangianIterations caps the subgradient iterations; 0 means an
	// automatic budget (about a third of the time).
	LagrangianIterations int
}

// Flow is a split assignment of the capacitated model: Amount weight units
// of demand point Demand go to candidate Site.
type Flow struct {
	Demand int     `json:"demand"`
	Site   int     `json:"site"`
	Amount float64 `json:"amount"`
}

// Solution is the best answer found.
type Solution struct {
	// Open lists the open candidates (column indices), ascending.
	Open []int `json:"open"`
	// Assign[i] is the open site serving demand i (the nearest for the
	// uncapacitated models, the largest flow for the capacitated one), or
	// -1 when none reaches it (unreachable or, for covering, beyond Radius).
	Assign []int `json:"assign"`
	// Flows is the split assignment (CapacitatedPMedian only).
	Flows []Flow `json:"flows,omitempty"`
	// Objective: weighted cost (p-median models), uncovered weight
	// (MaxCover) or number of sites (SetCover). Demand unreachable from
	// every candidate is excluded and reported in Unserved.
	Objective float64 `json:"objective"`
	// LowerBound is a proven lower bound on the optimal Objective.
	LowerBound float64 `json:"lower_bound"`
	// Gap is (Objective-LowerBound)/Objective, 0 when Objective is 0.
	Gap float64 `json:"gap"`
	// Optimal is true when the bound proves Objective optimal.
	Optimal bool `json:"optimal"`
	// Covered is the weight within Radius of an open site (covering models).
	Covered float64 `json:"covered,omitempty"`
	// Unserved is the weight that no open site reaches (or, capacitated,
	// that did not fit any capacity).
	Unserved float64 `json:"unserved"`
	// Iterations of the metaheuristic and of the subgradient method.
	Iterations           int `json:"iterations"`
	LagrangianIterations int `json:"lagrangian_iterations"`
	// Seed used.
	Seed uint64 `json:"seed"`
	// Seconds of wall time spent.
	Seconds float64 `json:"seconds"`
}

func (s *Solution) setGap(integral bool) {
	if integral {
		s.LowerBound = math.Ceil(s.LowerBound - 1e-6)
	}
	if s.LowerBound > s.Objective {
		// Rounding noise only: a valid bound never exceeds a feasible value.
		s.LowerBound = s.Objective
	}
	if s.Objective > 0 {
		s.Gap = (s.Objective - s.LowerBound) / s.Objective
	}
	tol := 1e-9 * math.Max(1, math.Abs(s.Objective))
	s.Optimal = s.Objective-s.LowerBound <= tol
	if s.Optimal {
		s.Gap = 0
	}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// validate checks the common fields. needP: P must be in [1, Cols].
func (pr *Problem) validate(o *Options, needP bool) error {
	m := pr.Cost
	if m.Rows <= 0 || m.Cols <= 0 {
		return invalid("empty cost matrix %dx%d", m.Rows, m.Cols)
	}
	if len(m.Data) != m.Rows*m.Cols {
		return invalid("cost matrix has %d values, want %d", len(m.Data), m.Rows*m.Cols)
	}
	for k, v := range m.Data {
		if math.IsNaN(v) || v < 0 {
			return invalid("cost[%d][%d] = %v", k/m.Cols, k%m.Cols, v)
		}
	}
	if pr.Weight != nil {
		if len(pr.Weight) != m.Rows {
			return invalid("%d weights for %d demand points", len(pr.Weight), m.Rows)
		}
		for i, w := range pr.Weight {
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return invalid("weight[%d] = %v", i, w)
			}
		}
	}
	if pr.Capacity != nil {
		if len(pr.Capacity) != m.Cols {
			return invalid("%d capacities for %d candidates", len(pr.Capacity), m.Cols)
		}
		for j, c := range pr.Capacity {
			if math.IsNaN(c) || c < 0 {
				return invalid("capacity[%d] = %v", j, c)
			}
		}
	}
	seen := make(map[int]bool, len(pr.Fixed))
	for _, j := range pr.Fixed {
		if j < 0 || j >= m.Cols {
			return invalid("fixed site %d out of range [0,%d)", j, m.Cols)
		}
		if seen[j] {
			return invalid("fixed site %d listed twice", j)
		}
		seen[j] = true
	}
	for _, j := range o.Start {
		if j < 0 || j >= m.Cols {
			return invalid("start site %d out of range [0,%d)", j, m.Cols)
		}
	}
	if needP {
		if o.P < 1 || o.P > m.Cols {
			return invalid("p = %d, want 1..%d candidates", o.P, m.Cols)
		}
		if len(pr.Fixed) > o.P {
			return fmt.Errorf("%w: %d fixed sites but p = %d", ErrInfeasible, len(pr.Fixed), o.P)
		}
	}
	if o.MaxMoves < 0 {
		return invalid("max moves %d < 0", o.MaxMoves)
	}
	if math.IsNaN(o.Radius) || o.Radius < 0 {
		return invalid("radius %v", o.Radius)
	}
	return nil
}

// inst is the prepared, flat form of a p-median problem: weighted costs with
// unreachable cells replaced by a penalty, and per demand the candidates
// sorted by cost.
type inst struct {
	n, m     int
	wc       []float64 // n*m weighted cost; penalty for unreachable
	order    []int32   // n*m candidate indices of row i sorted by wc
	reach    []bool    // demand i reachable from at least one candidate
	penalty  float64   // unweighted cost standing for "unreachable"
	integral bool      // all costs and weights integral: bounds may be rounded up
	weight   []float64
	cost     routing.Matrix
}

func prepare(pr *Problem) *inst {
	n, m := pr.Cost.Rows, pr.Cost.Cols
	in := &inst{n: n, m: m, wc: make([]float64, n*m), order: make([]int32, n*m),
		reach: make([]bool, n), weight: make([]float64, n), cost: pr.Cost, integral: true}
	maxc := 0.0
	for _, v := range pr.Cost.Data {
		if !math.IsInf(v, 1) {
			maxc = math.Max(maxc, v)
			if v != math.Trunc(v) {
				in.integral = false
			}
		}
	}
	in.penalty = 100*maxc + 1
	for i := 0; i < n; i++ {
		w := 1.0
		if pr.Weight != nil {
			w = pr.Weight[i]
		}
		if w != math.Trunc(w) {
			in.integral = false
		}
		in.weight[i] = w
		row := pr.Cost.Data[i*m : (i+1)*m]
		for j, v := range row {
			if math.IsInf(v, 1) {
				v = in.penalty
			} else {
				in.reach[i] = true
			}
			in.wc[i*m+j] = w * v
		}
		ord := in.order[i*m : (i+1)*m]
		for j := range ord {
			ord[j] = int32(j)
		}
		wr := in.wc[i*m : (i+1)*m]
		sort.SliceStable(ord, func(a, b int) bool { return wr[ord[a]] < wr[ord[b]] })
	}
	return in
}

// evaluate returns the reported objective (served demand only), the
// unserved weight and the assignment of open set open.
func (in *inst) evaluate(open []int) (obj, unserved float64, assign []int) {
	assign = make([]int, in.n)
	for i := 0; i < in.n; i++ {
		best, bj := math.Inf(1), -1
		for _, j := range open {
			if c := in.cost.Data[i*in.m+j]; c < best {
				best, bj = c, j
			}
		}
		if bj < 0 || math.IsInf(best, 1) {
			assign[i] = -1
			unserved += in.weight[i]
			continue
		}
		assign[i] = bj
		obj += in.weight[i] * best
	}
	return obj, unserved, assign
}

// clock is the time/context budget of one solve.
type clock struct {
	start    time.Time
	deadline time.Time
	done     <-chan struct{}
	stopped  bool
}

func newClock(limit time.Duration, done <-chan struct{}) *clock {
	if limit <= 0 {
		limit = 10 * time.Second
	}
	now := time.Now()
	return &clock{start: now, deadline: now.Add(limit), done: done}
}

// over reports whether the budget is exhausted (sticky).
func (c *clock) over() bool {
	if c.stopped {
		return true
	}
	select {
	case <-c.done:
		c.stopped = true
		return true
	default:
	}
	if time.Now().After(c.deadline) {
		c.stopped = true
	}
	return c.stopped
}

// fraction returns the deadline after a share f of the total budget.
func (c *clock) at(f float64) time.Time {
	return c.start.Add(time.Duration(f * float64(c.deadline.Sub(c.start))))
}

func (c *clock) seconds() float64 { return time.Since(c.start).Seconds() }
