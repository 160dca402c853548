package vrp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrInvalid is returned (wrapped) when a problem is malformed: matrices of
// the wrong shape, negative times or amounts, locations outside the
// matrices, unsorted or overlapping windows, classes of 64 or more.
var ErrInvalid = errors.New("vrp: invalid problem")

// Options tunes a solve.
type Options struct {
	// Seed makes the search deterministic: the same problem, seed and
	// iteration budget give the same plan.
	Seed uint64
	// TimeLimit bounds the search wall time; 0 means no time limit (then
	// MaxIterations or the context must end it; with neither, Solve runs a
	// default of 2000 iterations per request).
	TimeLimit time.Duration
	// MaxIterations bounds the ruin-and-recreate iterations per worker
	// (0 = no bound). With a bound and no time limit the result does not
	// depend on the machine's speed.
	MaxIterations int
	// Workers is the number of independent searches run in parallel with
	// seeds Seed, Seed+1, ...; the best plan wins, ties go to the lowest
	// worker. 0 or 1 means one search on the calling goroutine.
	Workers int
	// Progress, if set, is called whenever the best plan improves. Calls are
	// serialised (never concurrent) but may come from any goroutine; they
	// run inside the search loop, so keep them fast.
	Progress func(Progress)
}

// Progress reports the best plan found so far by one worker.
type Progress struct {
	Worker    int           // the worker (0..Workers-1) whose best plan improved
	Iteration int           // ruin-and-recreate iterations of that worker
	Elapsed   time.Duration // since Solve started
	Priority  int           // level 1: served priority weight (higher is better)
	Vehicles  int           // level 2: vehicles used
	Cost      float64       // level 3: cost per Problem.Objective
}

// Solve plans routes for p and returns the best plan found within the
// budget.
//
// Objective, lexicographic:
//  1. maximise the served priority weight, the sum over served jobs and
//     shipments of 1+max(Priority, 0): every served job counts at least 1,
//     and a job of priority k counts as k+1 jobs of priority 0;
//     Solution.Priority is this sum;
//  2. minimise the vehicles used (non-empty routes), unless
//     Problem.IgnoreVehicleCount;
//  3. minimise the cost selected by Problem.Objective: MinDistance the sum
//     of Dist over travelled arcs, MinDuration the sum of route durations
//     (end arrival minus start departure, waiting included), MinCost the sum
//     over used vehicles of FixedCost + CostPerDist*distance +
//     CostPerTime*duration (distance when every vehicle's costs are zero).
//
// Constraints (all hard): capacity vectors at every point of a route (job
// deliveries are loaded at the start, job pickups carried to the end,
// shipments from pickup to delivery; missing vector entries are 0), service
// start inside one of the stop's windows (waiting allowed; no windows = any
// time), vehicle shift (departure from the start >= Shift.Start, arrival
// at the end <= Shift.End; the zero Shift is unbounded), MaxDuration (end
// arrival minus start departure), skills (the vehicle has every skill of
// the job), pickup before delivery on the same vehicle, MaxRideTime (start
// of delivery service minus end of pickup service), incompatibility
// classes (two incompatible classes are never on board together; a stop
// loading a class incompatible with one carried since the last cleaning
// starts service at least CleaningTime after its arrival). Open routes
// (Start or End -1) travel 0 from and to the missing end; their StepStart /
// StepEnd have Location -1.
//
// Unserved jobs are listed in Solution.Unassigned with a reason: a cheap
// pre-check per job gives ReasonSkill, ReasonCapacity, ReasonRideTime or
// ReasonWindow (no vehicle could serve it alone); others get ReasonNoRoom,
// or ReasonCancelled when ctx ended the search.
//
// Algorithm: greedy insertion, then SISR ruin-and-recreate (Christiaens &
// Vanden Berghe 2020: adjacent string removals, greedy insertion with
// blinks) used first to remove routes (absence counters; given up when two
// attempts at one route fewer stall with many requests out) and then with
// simulated annealing on the cost, restarted from the best plan with a
// large ruin after 15% of its budget without improvement. From 200
// requests insertions look at the routes of the request's 40 nearest
// nodes first (every route only when none of them fits). Insertions are filtered in O(1) with
// earliest/latest service starts and prefix/suffix load maxima; routes
// with ride times, incompatibility classes or maximum durations are checked
// exactly by a schedule that delays departures to cut ride times and
// waiting (Cordeau & Laporte 2003), which also gives the returned times.
// The cost of one iteration is about O(removed * positions).
//
// Solve returns an error wrapping ErrInvalid for malformed problems. A
// cancelled ctx or an elapsed TimeLimit is not an error: the best plan so
// far is returned; only a ctx that ends before a first plan exists (while
// the instance is prepared) returns ctx.Err(). Solve does not modify p; it is safe to call
// concurrently on distinct or shared problems.
func Solve(ctx context.Context, p *Problem, opt Options) (*Solution, error) {
	t0 := time.Now()
	if p == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	in, err := newInst(ctx, p)
	if err != nil {
		return nil, err
	}
	reasons := precheck(in)
	var active []int32
	for q := 0; q < in.nReq; q++ {
		if reasons[q] == "" {
			active = append(active, int32(q))
		}
	}
	workers := max(1, opt.Workers)
	maxIter := opt.MaxIterations
	if maxIter <= 0 && opt.TimeLimit <= 0 {
		maxIter = 2000 * max(1, len(active))
		maxIter = min(maxIter, 200000)
	}
	var deadline time.Time
	if opt.TimeLimit > 0 {
		deadline = t0.Add(opt.TimeLimit)
	}
	var mu sync.Mutex
	searchers := make([]*searcher, workers)
	runOne := func(w int) {
		se := newSearcher(in, opt.Seed+uint64(w), active)
		se.ctx, se.deadline, se.maxIter = ctx, deadline, maxIter
		se.report = func(s *solution, it int) {
			if opt.Progress == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			opt.Progress(Progress{Worker: w, Iteration: it, Elapsed: time.Since(t0), Priority: servedWeight(in, active, s),
				Vehicles: s.nveh, Cost: s.cost})
		}
		se.run(opt.TimeLimit - time.Since(t0))
		searchers[w] = se
	}
	if workers == 1 {
		runOne(0)
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() { defer wg.Done(); runOne(w) }()
		}
		wg.Wait()
	}
	bi := 0
	for w := 1; w < workers; w++ {
		if better(in, &searchers[w].best, &searchers[bi].best) {
			bi = w
		}
	}
	sol := buildSolution(in, &searchers[bi].best, reasons, ctx.Err() != nil)
	sol.Seed = opt.Seed + uint64(bi)
	sol.Iterations = searchers[bi].iter
	return sol, nil
}

func servedWeight(in *inst, active []int32, s *solution) int {
	t := 0
	for _, q := range active {
		t += in.weight[q]
	}
	return t - s.unW
}

// precheck tries every request alone on every vehicle type and returns the
// reason it can never be served ("" when some vehicle can), restricting
// in.allowed to the vehicles that can serve it alone.
func precheck(in *inst) []Reason {
	V := in.nVeh
	d := in.dim
	reasons := make([]Reason, in.nReq)
	var sc sched
	nodes := make([]int32, 0, 2)
	typeOK := make([]int8, V) // per type: 0 unknown, 1 ok, 2 window, 3 ride
	for q := 0; q < in.nReq; q++ {
		u := in.reqNode[q]
		anySkill, anyCap := false, false
		for i := range typeOK {
			typeOK[i] = 0
		}
		best := Reason("")
		found := false
		for v := 0; v < V; v++ {
			if !in.allowed[q*V+v] {
				continue
			}
			anySkill = true
			fits := true
			for k := 0; k < d; k++ {
				c := in.vCap[v*d+k]
				if in.dlv[int(u)*d+k] > c || in.pck[int(u)*d+k] > c {
					fits = false
				}
			}
			if !fits {
				in.allowed[q*V+v] = false
				continue
			}
			anyCap = true
			ty := in.vType[v]
			if typeOK[ty] == 0 {
				nodes = append(nodes[:0], u)
				if in.partner[u] >= 0 {
					nodes = append(nodes, in.partner[u])
				}
				switch {
				case in.partner[u] >= 0 && in.maxRide[u] > 0 && in.tt(in.loc[u], in.loc[in.partner[u]]) > in.maxRide[u]+1e-9:
					typeOK[ty] = 3
				case sc.run(in, v, nodes):
					typeOK[ty] = 1
				default:
					typeOK[ty] = 2
				}
			}
			switch typeOK[ty] {
			case 1:
				found = true
			case 2:
				in.allowed[q*V+v] = false
				if best == "" {
					best = ReasonWindow
				}
			case 3:
				in.allowed[q*V+v] = false
				best = ReasonRideTime
			}
		}
		switch {
		case found:
		case !anySkill:
			reasons[q] = ReasonSkill
		case !anyCap:
			reasons[q] = ReasonCapacity
		case best != "":
			reasons[q] = best
		default:
			reasons[q] = ReasonWindow
		}
	}
	return reasons
}

// buildSolution turns a search state into the exported plan with exact
// schedules.
func buildSolution(in *inst, s *solution, reasons []Reason, cancelled bool) *Solution {
	out := &Solution{}
	sc := sched{full: true}
	d := in.dim
	for k := range s.routes {
		r := &s.routes[k]
		if len(r.nodes) == 0 {
			continue
		}
		if !sc.run(in, r.v, r.nodes) {
			// cannot happen for a route the search kept; leave its
			// requests unassigned rather than return a broken plan
			for _, u := range r.nodes {
				if in.kind[u] != kindDelivery {
					out.Unassigned = append(out.Unassigned, unassigned(in, in.req[u], ReasonNoRoom))
				}
			}
			continue
		}
		m := len(r.nodes)
		rt := Route{Vehicle: r.v}
		load := make([]int64, d)
		for _, u := range r.nodes {
			for kk := 0; kk < d; kk++ {
				load[kk] += in.startLd[int(u)*d+kk]
			}
		}
		rt.Steps = append(rt.Steps, Step{Kind: StepStart, Index: -1, Location: int(in.vStart[r.v]),
			Arrival: sc.D[0], Start: sc.D[0], Departure: sc.D[0], Load: append([]int64(nil), load...)})
		prev := in.vStart[r.v]
		for pos := 1; pos <= m; pos++ {
			u := r.nodes[pos-1]
			for kk := 0; kk < d; kk++ {
				load[kk] += in.delta[int(u)*d+kk]
			}
			st := Step{Location: int(in.loc[u]), Arrival: sc.A[pos], Start: sc.B[pos], Departure: sc.D[pos],
				Load: append([]int64(nil), load...)}
			switch in.kind[u] {
			case kindJob:
				st.Kind, st.Index = StepJob, int(u)
			case kindPickup:
				st.Kind, st.Index = StepPickup, int(in.req[u])-in.nJob
			default:
				st.Kind, st.Index = StepDelivery, int(in.req[u])-in.nJob
			}
			rt.Steps = append(rt.Steps, st)
			rt.Distance += in.dd(prev, in.loc[u])
			prev = in.loc[u]
			if in.kind[u] != kindDelivery {
				out.Priority += in.weight[in.req[u]]
			}
		}
		rt.Distance += in.dd(prev, in.vEnd[r.v])
		e := sc.A[m+1]
		rt.Steps = append(rt.Steps, Step{Kind: StepEnd, Index: -1, Location: int(in.vEnd[r.v]),
			Arrival: e, Start: e, Departure: e, Load: append([]int64(nil), load...)})
		rt.Duration = e - sc.D[0]
		rt.Cost = in.vFixed[r.v] + in.vWD[r.v]*rt.Distance + in.vWT[r.v]*rt.Duration
		out.Routes = append(out.Routes, rt)
		out.Distance += rt.Distance
		out.Duration += rt.Duration
		out.Cost += rt.Cost
		out.Vehicles++
	}
	for q, why := range reasons {
		if why != "" {
			out.Unassigned = append(out.Unassigned, unassigned(in, int32(q), why))
		}
	}
	for _, q := range s.unas {
		why := ReasonNoRoom
		if cancelled {
			why = ReasonCancelled
		}
		out.Unassigned = append(out.Unassigned, unassigned(in, q, why))
	}
	sortUnassigned(out.Unassigned)
	if math.IsNaN(out.Cost) {
		out.Cost = 0
	}
	return out
}

func unassigned(in *inst, q int32, why Reason) Unassigned {
	if int(q) < in.nJob {
		return Unassigned{Index: int(q), Reason: why}
	}
	return Unassigned{Index: int(q) - in.nJob, Shipment: true, Reason: why}
}

func sortUnassigned(u []Unassigned) {
	for i := 1; i < len(u); i++ {
		for j := i; j > 0; j-- {
			a, b := u[j-1], u[j]
			if a.Shipment && !b.Shipment || a.Shipment == b.Shipment && a.Index > b.Index {
				u[j-1], u[j] = b, a
			} else {
				break
			}
		}
	}
}
