package check

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// line returns a problem on locations 0..n-1 placed on a line at x = 10*i
// (travel time = distance = |xi - xj|).
func line(n int) *vrp.Problem {
	m := routing.NewMatrix(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			m.Set(i, j, 10*math.Abs(float64(i-j)))
		}
	}
	return &vrp.Problem{Time: m, Dist: m, Objective: vrp.MinDistance}
}

func win(a, b float64) []routing.TimeWindow { return []routing.TimeWindow{{Start: a, End: b}} }

// base is a feasible problem: depot 0, two jobs, two shipments, two vehicles.
func base() *vrp.Problem {
	p := line(7)
	p.Jobs = []vrp.Job{
		{ID: 101, Stop: vrp.Stop{Location: 1, Service: 5, Windows: win(0, 100)}, Delivery: []int64{2}},
		{ID: 102, Stop: vrp.Stop{Location: 2, Service: 5}, Pickup: []int64{1}, Priority: 3},
	}
	p.Shipments = []vrp.Shipment{
		{PickupID: 201, DeliveryID: 202, Pickup: vrp.Stop{Location: 3, Service: 2}, Delivery: vrp.Stop{Location: 5, Service: 2, Windows: win(0, 200)}, Amount: []int64{3}, Class: 1},
		{PickupID: 203, DeliveryID: 204, Pickup: vrp.Stop{Location: 6, Service: 2}, Delivery: vrp.Stop{Location: 4, Service: 2}, Amount: []int64{1}, Class: 2},
	}
	p.Vehicles = []vrp.Vehicle{
		{ID: 1, Start: 0, End: 0, Capacity: []int64{5}, Shift: routing.TimeWindow{Start: 0, End: 1000}},
		{ID: 2, Start: 0, End: 0, Capacity: []int64{5}, Shift: routing.TimeWindow{Start: 0, End: 1000}},
	}
	return p
}

// plan builds a solution from per-vehicle sequences with Schedule.
func plan(t *testing.T, p *vrp.Problem, seqs map[int][]Visit) *vrp.Solution {
	t.Helper()
	s := &vrp.Solution{}
	for v := 0; v < len(p.Vehicles); v++ {
		seq, ok := seqs[v]
		if !ok {
			continue
		}
		r, ok := Schedule(p, v, seq)
		if !ok {
			t.Fatalf("sequence %v infeasible on vehicle %d", seq, v)
		}
		s.Routes = append(s.Routes, r)
		s.Distance += r.Distance
		s.Duration += r.Duration
		s.Cost += r.Cost
		if len(seq) > 0 {
			s.Vehicles++
		}
	}
	served := map[Visit]bool{}
	for _, seq := range seqs {
		for _, vi := range seq {
			served[vi] = true
		}
	}
	for j := range p.Jobs {
		if served[Visit{vrp.StepJob, j}] {
			s.Priority += 1 + max(0, p.Jobs[j].Priority)
		} else {
			s.Unassigned = append(s.Unassigned, vrp.Unassigned{Index: j, Reason: vrp.ReasonNoRoom})
		}
	}
	for i := range p.Shipments {
		if served[Visit{vrp.StepPickup, i}] {
			s.Priority += 1 + max(0, p.Shipments[i].Priority)
		} else {
			s.Unassigned = append(s.Unassigned, vrp.Unassigned{Index: i, Shipment: true, Reason: vrp.ReasonNoRoom})
		}
	}
	return s
}

var (
	J0, J1 = Visit{vrp.StepJob, 0}, Visit{vrp.StepJob, 1}
	P0, D0 = Visit{vrp.StepPickup, 0}, Visit{vrp.StepDelivery, 0}
	P1, D1 = Visit{vrp.StepPickup, 1}, Visit{vrp.StepDelivery, 1}
)

func basePlan(t *testing.T, p *vrp.Problem) *vrp.Solution {
	return plan(t, p, map[int][]Visit{0: {J0, J1, P0, D0}, 1: {P1, D1}})
}

func rules(vs []Violation) string {
	var b []string
	for _, v := range vs {
		b = append(b, v.String())
	}
	return strings.Join(b, "\n")
}

func has(vs []Violation, r Rule) bool {
	for _, v := range vs {
		if v.Rule == r {
			return true
		}
	}
	return false
}

func TestFeasiblePlanHasNoViolation(t *testing.T) {
	p := base()
	s := basePlan(t, p)
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("feasible plan reported:\n%s", rules(vs))
	}
	// vehicle 0: 0 -> 1 -> 2 -> 3 -> 5 -> 0 = 10+10+10+20+50 = 100;
	// vehicle 1: 0 -> 6 -> 4 -> 0 = 60+20+40 = 120.
	if s.Distance != 220 || s.Vehicles != 2 || s.Priority != 7 {
		t.Errorf("distance %v vehicles %d priority %d", s.Distance, s.Vehicles, s.Priority)
	}
	tot := Cost(p, s.Routes)
	if tot.Distance != 220 || tot.Vehicles != 2 || tot.Cost != 220 {
		t.Errorf("Cost = %+v", tot)
	}
	// loads on vehicle 0: start 2, after J0 0, after J1 1, after P0 4, after D0 1.
	want := [][]int64{{2}, {0}, {1}, {4}, {1}, {1}}
	for k, st := range s.Routes[0].Steps {
		if st.Load[0] != want[k][0] {
			t.Errorf("step %d load %v, want %v", k, st.Load, want[k])
		}
	}
}

// Each case breaks exactly one rule, either in the problem or in the plan.
func TestEachRuleIsCaught(t *testing.T) {
	type mut func(p *vrp.Problem, s *vrp.Solution)
	for _, tc := range []struct {
		name string
		rule Rule
		mut  mut
	}{
		{"job neither served nor unassigned", RuleCoverage, func(p *vrp.Problem, s *vrp.Solution) {
			s.Routes = s.Routes[:1]
			s.Vehicles, s.Distance, s.Cost = 1, 100, 100
			s.Duration = s.Routes[0].Duration
		}},
		{"job served and unassigned", RuleCoverage, func(p *vrp.Problem, s *vrp.Solution) {
			s.Unassigned = append(s.Unassigned, vrp.Unassigned{Index: 0})
		}},
		{"unassigned index out of range", RuleCoverage, func(p *vrp.Problem, s *vrp.Solution) {
			s.Unassigned = append(s.Unassigned, vrp.Unassigned{Index: 9, Shipment: true})
		}},
		{"vehicle used twice", RuleVehicle, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[1].Vehicle = 0 }},
		{"vehicle out of range", RuleVehicle, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[1].Vehicle = 7 }},
		{"step location wrong", RuleStep, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[0].Steps[1].Location = 4 }},
		{"step index out of range", RuleStep, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[0].Steps[1].Index = 99 }},
		{"missing end step", RuleStep, func(p *vrp.Problem, s *vrp.Solution) {
			s.Routes[1].Steps = s.Routes[1].Steps[:len(s.Routes[1].Steps)-1]
		}},
		{"travel too fast", RuleTravel, func(p *vrp.Problem, s *vrp.Solution) {
			p.Time = routing.Matrix{Rows: p.Time.Rows, Cols: p.Time.Cols, Data: append([]float64(nil), p.Time.Data...)}
			p.Time.Set(2, 3, 50)
		}},
		{"departure != start + service", RuleService, func(p *vrp.Problem, s *vrp.Solution) { p.Jobs[1].Stop.Service = 1 }},
		{"start before arrival", RuleService, func(p *vrp.Problem, s *vrp.Solution) {
			st := &s.Routes[1].Steps[1] // P1 (no window)
			st.Arrival += 1
		}},
		{"window missed", RuleWindow, func(p *vrp.Problem, s *vrp.Solution) { p.Jobs[0].Stop.Windows = win(30, 40) }},
		{"window missed among several", RuleWindow, func(p *vrp.Problem, s *vrp.Solution) {
			p.Jobs[0].Stop.Windows = []routing.TimeWindow{{Start: 0, End: 5}, {Start: 30, End: 40}}
		}},
		{"shift end", RuleShift, func(p *vrp.Problem, s *vrp.Solution) { p.Vehicles[1].Shift.End = 100 }},
		{"shift start", RuleShift, func(p *vrp.Problem, s *vrp.Solution) { p.Vehicles[1].Shift.Start = 1 }},
		{"max duration", RuleMaxDuration, func(p *vrp.Problem, s *vrp.Solution) { p.Vehicles[0].MaxDuration = 50 }},
		{"capacity", RuleCapacity, func(p *vrp.Problem, s *vrp.Solution) {
			p.Vehicles[0].Capacity = []int64{3}
			for i := range s.Routes[0].Steps {
				s.Routes[0].Steps[i].Load = nil
			}
		}},
		{"negative load", RuleCapacity, func(p *vrp.Problem, s *vrp.Solution) {
			// delivering a shipment's amount before picking it up drives the load negative
			r := &s.Routes[1]
			r.Steps[1], r.Steps[2] = r.Steps[2], r.Steps[1]
		}},
		{"reported load wrong", RuleLoad, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[0].Steps[2].Load = []int64{4} }},
		{"delivery before pickup", RulePrecedence, func(p *vrp.Problem, s *vrp.Solution) {
			r := &s.Routes[1]
			r.Steps[1], r.Steps[2] = r.Steps[2], r.Steps[1]
		}},
		{"pickup and delivery on different routes", RulePrecedence, func(p *vrp.Problem, s *vrp.Solution) {
			d := s.Routes[0].Steps[4]
			s.Routes[0].Steps = append(s.Routes[0].Steps[:4], s.Routes[0].Steps[5:]...)
			s.Routes[1].Steps = append(s.Routes[1].Steps[:3], d, s.Routes[1].Steps[3])
		}},
		{"ride time", RuleRideTime, func(p *vrp.Problem, s *vrp.Solution) { p.Shipments[0].MaxRideTime = 10 }},
		{"skills", RuleSkills, func(p *vrp.Problem, s *vrp.Solution) { p.Shipments[1].Skills = []int{7} }},
		{"job skills", RuleSkills, func(p *vrp.Problem, s *vrp.Solution) {
			p.Jobs[1].Skills = []int{7}
			p.Vehicles[0].Skills = []int{8}
		}},
		{"route distance", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[0].Distance++ }},
		{"route duration", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[1].Duration *= 1.001 }},
		{"route cost", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Routes[1].Cost = 0 }},
		{"solution cost", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Cost += 1e-3 }},
		{"solution vehicles", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Vehicles = 1 }},
		{"solution priority", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) { s.Priority = 0 }},
		{"fixed costs", RuleTotals, func(p *vrp.Problem, s *vrp.Solution) {
			p.Objective = vrp.MinCost
			p.Vehicles[0].FixedCost = 1
		}},
		{"malformed matrix", RuleProblem, func(p *vrp.Problem, s *vrp.Solution) { p.Dist = routing.NewMatrix(2, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			s := basePlan(t, p)
			tc.mut(p, s)
			vs := Plan(p, s)
			if !has(vs, tc.rule) {
				t.Fatalf("rule %s not reported; got:\n%s", tc.rule, rules(vs))
			}
		})
	}
}

// classes: shipment 0 (class 1) and shipment 1 (class 2) on one vehicle.
func classProblem() *vrp.Problem {
	p := base()
	p.Jobs = nil
	p.Vehicles = p.Vehicles[:1]
	p.Incompatible = [][]bool{{false, false, false}, {false, false, true}, {false, false, false}}
	return p
}

func TestIncompatibleClasses(t *testing.T) {
	p := classProblem()
	// sequential: P0 D0 then P1 D1: never together.
	s := plan(t, p, map[int][]Visit{0: {P0, D0, P1, D1}})
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("sequential classes reported:\n%s", rules(vs))
	}
	// Schedule refuses the overlapping order.
	if _, ok := Schedule(p, 0, []Visit{P0, P1, D0, D1}); ok {
		t.Fatal("Schedule accepted incompatible classes on board together")
	}
	// a hand-made overlapping plan is caught
	p.Incompatible = nil
	s = plan(t, p, map[int][]Visit{0: {P0, P1, D1, D0}})
	p.Incompatible = [][]bool{nil, nil, {false, true}} // [2][1]: symmetric use
	if vs := Plan(p, s); !has(vs, RuleIncompatible) {
		t.Fatalf("overlap not reported:\n%s", rules(vs))
	}
}

func TestCleaningTime(t *testing.T) {
	p := classProblem()
	s := plan(t, p, map[int][]Visit{0: {P0, D0, P1, D1}})
	// with cleaning required, the plan made without it breaks the rule
	p.CleaningTime = 30
	if vs := Plan(p, s); !has(vs, RuleCleaning) {
		t.Fatalf("missing cleaning not reported:\n%s", rules(vs))
	}
	// Schedule adds it: P1's start >= arrival + 30
	r, ok := Schedule(p, 0, []Visit{P0, D0, P1, D1})
	if !ok {
		t.Fatal("cleaning schedule infeasible")
	}
	if st := r.Steps[3]; st.Start < st.Arrival+30-Tol {
		t.Fatalf("P1 starts %v, arrival %v", st.Start, st.Arrival)
	}
	s = single(r)
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("cleaned plan reported:\n%s", rules(vs))
	}
	// compatible classes need no cleaning
	p.Incompatible = nil
	if vs := Plan(p, plan(t, p, map[int][]Visit{0: {P0, D0, P1, D1}})); len(vs) != 0 {
		t.Fatalf("compatible classes reported:\n%s", rules(vs))
	}
}

func TestScheduleRideTimeNeedsDelay(t *testing.T) {
	// Pickup at 1 (no window), delivery at 2 with window [100, 110], ride
	// limit 20: the earliest schedule rides 90; the exact one waits before
	// the pickup.
	p := line(3)
	p.Shipments = []vrp.Shipment{{Pickup: vrp.Stop{Location: 1, Service: 1}, Delivery: vrp.Stop{Location: 2, Windows: win(100, 110)},
		Amount: []int64{1}, MaxRideTime: 20}}
	p.Vehicles = []vrp.Vehicle{{Start: 0, End: 0, Capacity: []int64{1}, MaxDuration: 60}}
	r, ok := Schedule(p, 0, []Visit{P0, D0})
	if !ok {
		t.Fatal("infeasible")
	}
	s := single(r)
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("reported:\n%s", rules(vs))
	}
	// minimum duration: leave at 100-10-1-10 = 79, back at 100+20 = 120: 41.
	if math.Abs(r.Duration-41) > 1e-9 || math.Abs(r.Steps[0].Departure-79) > 1e-9 {
		t.Fatalf("duration %v departure %v", r.Duration, r.Steps[0].Departure)
	}
	p.Shipments[0].MaxRideTime = 5 // travel alone takes 10
	if _, ok := Schedule(p, 0, []Visit{P0, D0}); ok {
		t.Fatal("ride limit below travel time accepted")
	}
}

func TestOpenRoute(t *testing.T) {
	p := line(4)
	p.Jobs = []vrp.Job{{Stop: vrp.Stop{Location: 2}}, {Stop: vrp.Stop{Location: 3, Windows: win(50, 60)}}}
	p.Vehicles = []vrp.Vehicle{{Start: -1, End: -1}}
	r, ok := Schedule(p, 0, []Visit{J0, J1})
	if !ok || len(r.Steps) != 4 || r.Distance != 10 || r.Steps[0].Location != -1 || r.Steps[3].Location != -1 {
		t.Fatalf("open route %+v ok %v", r, ok)
	}
	s := single(r)
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("reported:\n%s", rules(vs))
	}
	// the start and end steps may be omitted on open ends
	r.Steps = r.Steps[1:3]
	s.Routes[0] = r
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("reported without start/end steps:\n%s", rules(vs))
	}
}

func TestPlanNeverPanics(t *testing.T) {
	p := base()
	s := basePlan(t, p)
	rng := rand.New(rand.NewPCG(1, 0))
	for it := 0; it < 2000; it++ {
		c := &vrp.Solution{Routes: make([]vrp.Route, len(s.Routes))}
		for i, r := range s.Routes {
			c.Routes[i] = r
			c.Routes[i].Steps = append([]vrp.Step(nil), r.Steps...)
		}
		r := &c.Routes[rng.IntN(len(c.Routes))]
		k := rng.IntN(len(r.Steps))
		switch rng.IntN(5) {
		case 0:
			r.Steps[k].Index = rng.IntN(10) - 3
		case 1:
			r.Steps[k].Location = rng.IntN(12) - 3
		case 2:
			r.Steps[k].Kind = vrp.StepKind(rng.IntN(7) - 1)
		case 3:
			r.Vehicle = rng.IntN(5) - 1
		case 4:
			r.Steps[k].Load = []int64{1, 2, 3}
		}
		_ = Plan(p, c)
	}
}

// The brute force matches hand-computed optima and its plans pass Plan.
func TestBruteForceSmall(t *testing.T) {
	// Two jobs at 1 and 5, one vehicle: serve both, 0->1->5->0 = 100.
	p := line(6)
	p.Jobs = []vrp.Job{{Stop: vrp.Stop{Location: 5}}, {Stop: vrp.Stop{Location: 1}}}
	p.Vehicles = []vrp.Vehicle{{Start: 0, End: 0}, {Start: 0, End: 0}}
	s := BruteForce(p)
	if s == nil || s.Vehicles != 1 || s.Distance != 100 || len(s.Unassigned) != 0 {
		t.Fatalf("brute force %+v", s)
	}
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("brute plan reported:\n%s", rules(vs))
	}
	// Capacity 1 per vehicle, one vehicle, two jobs of demand 1: the higher
	// priority one is served.
	p.Vehicles = p.Vehicles[:1]
	p.Vehicles[0].Capacity = []int64{1}
	p.Jobs[0].Delivery, p.Jobs[1].Delivery = []int64{1}, []int64{1}
	p.Jobs[0].Priority = 5
	s = BruteForce(p)
	if s == nil || len(s.Unassigned) != 1 || s.Unassigned[0].Index != 1 || s.Priority != 6 || s.Distance != 100 {
		t.Fatalf("priority brute force %+v", s)
	}
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("brute plan reported:\n%s", rules(vs))
	}
	// Windows force an order: job at 5 must start by 50, job at 1 after 200.
	p.Vehicles[0].Capacity = []int64{2}
	p.Jobs[0].Stop.Windows = win(0, 50)
	p.Jobs[1].Stop.Windows = win(200, 300)
	s = BruteForce(p)
	if s == nil || len(s.Unassigned) != 0 || s.Distance != 100 || s.Routes[0].Steps[1].Index != 0 {
		t.Fatalf("window brute force %+v", s)
	}
	if vs := Plan(p, s); len(vs) != 0 {
		t.Fatalf("brute plan reported:\n%s", rules(vs))
	}
	if BruteForce(&vrp.Problem{Jobs: make([]vrp.Job, MaxBruteRequests+1), Vehicles: p.Vehicles}) != nil {
		t.Fatal("oversized problem accepted")
	}
}

// randomTiny returns a random instance on random points.
func randomTiny(rng *rand.Rand, jobs, ships, vehicles int) *vrp.Problem {
	n := 1 + jobs + 2*ships
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = rng.Float64()*100, rng.Float64()*100
	}
	m := routing.NewMatrix(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			m.Set(i, j, math.Hypot(xs[i]-xs[j], ys[i]-ys[j]))
		}
	}
	p := &vrp.Problem{Time: m, Dist: m, Objective: vrp.MinDistance}
	rw := func() []routing.TimeWindow {
		if rng.IntN(2) == 0 {
			return nil
		}
		a := rng.Float64() * 300
		return win(a, a+50+rng.Float64()*150)
	}
	for j := 0; j < jobs; j++ {
		p.Jobs = append(p.Jobs, vrp.Job{ID: int64(j), Stop: vrp.Stop{Location: 1 + j, Service: 5, Windows: rw()},
			Delivery: []int64{int64(1 + rng.IntN(3))}, Priority: rng.IntN(2)})
	}
	for s := 0; s < ships; s++ {
		p.Shipments = append(p.Shipments, vrp.Shipment{Pickup: vrp.Stop{Location: 1 + jobs + 2*s, Service: 3, Windows: rw()},
			Delivery: vrp.Stop{Location: 2 + jobs + 2*s, Service: 3, Windows: rw()}, Amount: []int64{int64(1 + rng.IntN(2))},
			MaxRideTime: float64(rng.IntN(2)) * 150})
	}
	for v := 0; v < vehicles; v++ {
		p.Vehicles = append(p.Vehicles, vrp.Vehicle{ID: int64(v), Start: 0, End: 0, Capacity: []int64{4},
			Shift: routing.TimeWindow{Start: 0, End: 600}})
	}
	return p
}

// On random tiny instances the brute-force plan passes Plan and no random
// feasible plan beats it.
func TestBruteForceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	for it := 0; it < 20; it++ {
		p := randomTiny(rng, rng.IntN(4), rng.IntN(3), 1+rng.IntN(2))
		best := BruteForce(p)
		if best == nil {
			t.Fatal("nil brute force")
		}
		if vs := Plan(p, best); len(vs) != 0 {
			t.Fatalf("instance %d: brute plan reported:\n%s", it, rules(vs))
		}
		bw := served(p, best)
		for trial := 0; trial < 300; trial++ {
			s := randomPlan(rng, p)
			if s == nil {
				continue
			}
			w := served(p, s)
			if w > bw || (w == bw && (s.Vehicles < best.Vehicles ||
				(s.Vehicles == best.Vehicles && s.Cost < best.Cost-1e-6))) {
				t.Fatalf("instance %d: random plan (w %d, veh %d, cost %v) beats brute force (w %d, veh %d, cost %v)",
					it, w, s.Vehicles, s.Cost, bw, best.Vehicles, best.Cost)
			}
		}
	}
}

func served(p *vrp.Problem, s *vrp.Solution) int {
	w := 0
	for _, r := range s.Routes {
		for _, st := range r.Steps {
			switch st.Kind {
			case vrp.StepJob:
				w += 1 + max(0, p.Jobs[st.Index].Priority)
			case vrp.StepPickup:
				w += 1 + max(0, p.Shipments[st.Index].Priority)
			}
		}
	}
	return w
}

// randomPlan assigns requests to random vehicles (or none) in random
// orders; nil when a route is infeasible.
func randomPlan(rng *rand.Rand, p *vrp.Problem) *vrp.Solution {
	seqs := map[int][]Visit{}
	for j := range p.Jobs {
		if v := rng.IntN(len(p.Vehicles) + 1); v < len(p.Vehicles) {
			seqs[v] = append(seqs[v], J0)
			seqs[v][len(seqs[v])-1].Index = j
		}
	}
	for i := range p.Shipments {
		if v := rng.IntN(len(p.Vehicles) + 1); v < len(p.Vehicles) {
			seq := seqs[v]
			a := rng.IntN(len(seq) + 1)
			seq = append(seq[:a], append([]Visit{{vrp.StepPickup, i}}, seq[a:]...)...)
			b := a + 1 + rng.IntN(len(seq)-a)
			seq = append(seq[:b], append([]Visit{{vrp.StepDelivery, i}}, seq[b:]...)...)
			seqs[v] = seq
		}
	}
	for v := range seqs {
		rng.Shuffle(len(seqs[v]), func(a, b int) {}) // keep precedence order
	}
	s := &vrp.Solution{}
	for v, seq := range seqs {
		if len(seq) == 0 {
			continue
		}
		r, ok := Schedule(p, v, seq)
		if !ok {
			return nil
		}
		s.Routes = append(s.Routes, r)
		s.Cost += r.Cost
		s.Vehicles++
	}
	return s
}

func TestRandomPlansAreOftenFeasible(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	feasible, total := 0, 0
	for it := 0; it < 20; it++ {
		p := randomTiny(rng, 1+rng.IntN(3), rng.IntN(3), 1+rng.IntN(2))
		for trial := 0; trial < 100; trial++ {
			total++
			if randomPlan(rng, p) != nil {
				feasible++
			}
		}
	}
	if feasible < total/10 {
		t.Fatalf("only %d of %d random plans feasible: the brute-force comparison is too weak", feasible, total)
	}
}

// single wraps one route of priority-0 requests into a solution.
func single(r vrp.Route) *vrp.Solution {
	s := &vrp.Solution{Routes: []vrp.Route{r}, Distance: r.Distance, Duration: r.Duration, Cost: r.Cost, Vehicles: 1}
	for _, st := range r.Steps {
		if st.Kind == vrp.StepJob || st.Kind == vrp.StepPickup {
			s.Priority++
		}
	}
	return s
}
