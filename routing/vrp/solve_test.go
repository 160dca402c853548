package vrp_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

// euclid builds a problem's matrices from planar points.
func euclid(pts [][2]float64) routing.Matrix {
	n := len(pts)
	m := routing.NewMatrix(n, n)
	for i := range pts {
		for j := range pts {
			m.Set(i, j, math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1]))
		}
	}
	return m
}

func solveChecked(t *testing.T, p *vrp.Problem, opt vrp.Options) *vrp.Solution {
	t.Helper()
	if opt.MaxIterations == 0 && opt.TimeLimit == 0 {
		opt.MaxIterations = 3000
	}
	s, err := vrp.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if bad := checkPlan(p, s); len(bad) > 0 {
		t.Fatalf("infeasible plan: %v", bad)
	}
	if vs := check.Plan(p, s); len(vs) > 0 {
		t.Fatalf("check.Plan: %v", vs)
	}
	return s
}

// randomTiny is a random instance with nj jobs and 2 vehicles.
func randomTiny(rng *rand.Rand, nj int) *vrp.Problem {
	pts := [][2]float64{{50, 50}}
	p := &vrp.Problem{Objective: vrp.MinDistance}
	for j := 0; j < nj; j++ {
		pts = append(pts, [2]float64{rng.Float64() * 100, rng.Float64() * 100})
		a := rng.Float64() * 200
		p.Jobs = append(p.Jobs, vrp.Job{ID: int64(j + 1), Stop: vrp.Stop{Location: j + 1, Service: 5,
			Windows: []routing.TimeWindow{{Start: a, End: a + 20 + rng.Float64()*100}}},
			Delivery: []int64{int64(1 + rng.IntN(4))}, Priority: rng.IntN(3)})
	}
	m := euclid(pts)
	p.Time, p.Dist = m, m
	for v := 0; v < 2; v++ {
		p.Vehicles = append(p.Vehicles, vrp.Vehicle{ID: int64(v), Start: 0, End: 0, Capacity: []int64{6},
			Shift: routing.TimeWindow{Start: 0, End: 400}})
	}
	return p
}

// bruteForce returns the best (priority weight, vehicles, distance) by
// enumerating every assignment and order (jobs only, earliest schedules).
func bruteForce(p *vrp.Problem) (int, int, float64) {
	nj := len(p.Jobs)
	bestW, bestV, bestD := -1, 0, 0.0
	seqFeasible := func(v vrp.Vehicle, seq []int) (float64, bool) {
		var load int64
		for _, j := range seq {
			load += p.Jobs[j].Delivery[0]
		}
		if load > v.Capacity[0] {
			return 0, false
		}
		t, d, at := v.Shift.Start, 0.0, v.Start
		for _, j := range seq {
			st := p.Jobs[j].Stop
			t += p.Time.At(at, st.Location)
			d += p.Dist.At(at, st.Location)
			w := st.Windows[0]
			if t > w.End {
				return 0, false
			}
			t = math.Max(t, w.Start) + st.Service
			at = st.Location
		}
		t += p.Time.At(at, v.End)
		d += p.Dist.At(at, v.End)
		return d, t <= v.Shift.End
	}
	// best distance of a set on a vehicle, by permutations
	bestSeq := func(v vrp.Vehicle, set []int) (float64, bool) {
		best, ok := math.Inf(1), false
		var perm func(k int)
		perm = func(k int) {
			if k == len(set) {
				if d, f := seqFeasible(v, set); f && d < best {
					best, ok = d, true
				}
				return
			}
			for i := k; i < len(set); i++ {
				set[k], set[i] = set[i], set[k]
				perm(k + 1)
				set[k], set[i] = set[i], set[k]
			}
		}
		perm(0)
		return best, ok
	}
	assign := make([]int, nj)
	total := 1
	for i := 0; i < nj; i++ {
		total *= 3
	}
	for code := 0; code < total; code++ {
		c := code
		for j := range assign {
			assign[j] = c % 3
			c /= 3
		}
		w, veh, dist, ok := 0, 0, 0.0, true
		for v := 0; v < 2 && ok; v++ {
			var set []int
			for j, a := range assign {
				if a == v+1 {
					set = append(set, j)
				}
			}
			if len(set) == 0 {
				continue
			}
			d, f := bestSeq(p.Vehicles[v], set)
			if !f {
				ok = false
				break
			}
			veh++
			dist += d
			for _, j := range set {
				w += 1 + p.Jobs[j].Priority
			}
		}
		if !ok {
			continue
		}
		if w > bestW || w == bestW && (veh < bestV || veh == bestV && dist < bestD-1e-9) {
			bestW, bestV, bestD = w, veh, dist
		}
	}
	return bestW, bestV, bestD
}

func TestBruteForceTiny(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	for k := 0; k < 12; k++ {
		p := randomTiny(rng, 6)
		w, v, d := bruteForce(p)
		s := solveChecked(t, p, vrp.Options{Seed: uint64(k), MaxIterations: 2000})
		if s.Priority != w || s.Vehicles != v || math.Abs(s.Distance-d) > 1e-6 {
			t.Errorf("instance %d: solver (prio %d, veh %d, dist %.4f), brute force (%d, %d, %.4f)",
				k, s.Priority, s.Vehicles, s.Distance, w, v, d)
		}
	}
}

func TestDeterministic(t *testing.T) {
	p := randomTiny(rand.New(rand.NewPCG(3, 0)), 8)
	a := solveChecked(t, p, vrp.Options{Seed: 5, MaxIterations: 1500})
	b := solveChecked(t, p, vrp.Options{Seed: 5, MaxIterations: 1500})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different plans")
	}
	c := solveChecked(t, p, vrp.Options{Seed: 5, MaxIterations: 1500, Workers: 2})
	d := solveChecked(t, p, vrp.Options{Seed: 5, MaxIterations: 1500, Workers: 2})
	if !reflect.DeepEqual(c, d) {
		t.Fatal("same seed with 2 workers gave different plans")
	}
}

// line puts the depot at 0 and the other points on a line x = 10*i.
func line(n int) routing.Matrix {
	pts := make([][2]float64, n)
	for i := range pts {
		pts[i] = [2]float64{float64(10 * i), 0}
	}
	return euclid(pts)
}

func TestReasons(t *testing.T) {
	m := line(6)
	p := &vrp.Problem{Time: m, Dist: m,
		Jobs: []vrp.Job{
			{ID: 1, Stop: vrp.Stop{Location: 1}, Delivery: []int64{1}},
			{ID: 2, Stop: vrp.Stop{Location: 2}, Delivery: []int64{1}, Skills: []int{9}},                                   // nobody has 9
			{ID: 3, Stop: vrp.Stop{Location: 3}, Delivery: []int64{50}},                                                    // too big
			{ID: 4, Stop: vrp.Stop{Location: 5, Windows: []routing.TimeWindow{{Start: 0, End: 20}}}, Delivery: []int64{1}}, // 50 away
			{ID: 5, Stop: vrp.Stop{Location: 4}, Delivery: []int64{1}, Skills: []int{7}},
		},
		Shipments: []vrp.Shipment{
			{PickupID: 6, DeliveryID: 7, Pickup: vrp.Stop{Location: 1}, Delivery: vrp.Stop{Location: 5}, Amount: []int64{1}, MaxRideTime: 10},
			{PickupID: 8, DeliveryID: 9, Pickup: vrp.Stop{Location: 1}, Delivery: vrp.Stop{Location: 2}, Amount: []int64{1}, MaxRideTime: 15},
		},
		Vehicles: []vrp.Vehicle{
			{ID: 1, Start: 0, End: 0, Capacity: []int64{10}},
			{ID: 2, Start: 0, End: 0, Capacity: []int64{10}, Skills: []int{7}},
		},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 1})
	want := map[[2]int]vrp.Reason{
		{1, 0}: vrp.ReasonSkill, {2, 0}: vrp.ReasonCapacity, {3, 0}: vrp.ReasonWindow, {0, 1}: vrp.ReasonRideTime,
	}
	if len(s.Unassigned) != len(want) {
		t.Fatalf("unassigned %v, want %v", s.Unassigned, want)
	}
	for _, u := range s.Unassigned {
		sh := 0
		if u.Shipment {
			sh = 1
		}
		if want[[2]int{u.Index, sh}] != u.Reason {
			t.Errorf("unassigned %+v, want reason %q", u, want[[2]int{u.Index, sh}])
		}
	}
	// job 5 (skill 7) must ride on vehicle index 1
	for _, r := range s.Routes {
		for _, st := range r.Steps {
			if st.Kind == vrp.StepJob && st.Index == 4 && r.Vehicle != 1 {
				t.Errorf("skilled job on vehicle %d", r.Vehicle)
			}
		}
	}
}

func TestCapacityVectorsAndPriority(t *testing.T) {
	m := line(5)
	// one vehicle, two dimensions; jobs 1 and 2 both need the whole of
	// dimension 1, so only one can be served: the one with higher priority.
	p := &vrp.Problem{Time: m, Dist: m,
		Jobs: []vrp.Job{
			{ID: 1, Stop: vrp.Stop{Location: 1}, Delivery: []int64{1, 1}},
			{ID: 2, Stop: vrp.Stop{Location: 2}, Delivery: []int64{1, 1}, Priority: 3},
			{ID: 3, Stop: vrp.Stop{Location: 3}, Delivery: []int64{4}, Pickup: []int64{0, 0}},
			{ID: 4, Stop: vrp.Stop{Location: 4}, Pickup: []int64{5, 0}},
		},
		Vehicles: []vrp.Vehicle{{ID: 1, Start: 0, End: 0, Capacity: []int64{10, 1}}},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 2})
	if len(s.Unassigned) != 1 || s.Unassigned[0].Index != 0 || s.Unassigned[0].Reason != vrp.ReasonNoRoom {
		t.Fatalf("unassigned %+v, want job 0 with no room", s.Unassigned)
	}
	if s.Priority != 1+4+1 {
		t.Errorf("priority %d, want 6", s.Priority)
	}
	// pickups fill the vehicle after deliveries: job 4 picks up 5 while 5 of
	// dimension 0 are still on board only if job 3 came first.
	r := s.Routes[0]
	for _, st := range r.Steps {
		if st.Load[0] > 10 || st.Load[1] > 1 {
			t.Fatalf("load %v over capacity", st.Load)
		}
	}
}

func TestMultipleWindows(t *testing.T) {
	m := line(3)
	p := &vrp.Problem{Time: m, Dist: m,
		Jobs: []vrp.Job{
			// 10 away: the first window [0,5] cannot be reached
			{ID: 1, Stop: vrp.Stop{Location: 1, Service: 2, Windows: []routing.TimeWindow{{Start: 0, End: 5}, {Start: 30, End: 35}, {Start: 60, End: 90}}}},
			{ID: 2, Stop: vrp.Stop{Location: 2, Windows: []routing.TimeWindow{{Start: 0, End: 12}, {Start: 40, End: 45}}}},
		},
		Vehicles: []vrp.Vehicle{{ID: 1, Start: 0, End: 0}},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 3})
	if len(s.Unassigned) != 0 || len(s.Routes) != 1 {
		t.Fatalf("want one route serving both, got %+v", s)
	}
	for _, st := range s.Routes[0].Steps {
		if st.Kind == vrp.StepJob && st.Index == 0 && (st.Start < 30 || st.Start > 35) {
			t.Errorf("job 1 starts at %v, want in [30,35]", st.Start)
		}
	}
}

func TestRideTimeAndShift(t *testing.T) {
	// dial-a-ride: three requests along a line, ride limit forces short trips
	m := line(7)
	p := &vrp.Problem{Time: m, Dist: m, IgnoreVehicleCount: true}
	for k := 0; k < 3; k++ {
		p.Shipments = append(p.Shipments, vrp.Shipment{PickupID: int64(2 * k), DeliveryID: int64(2*k + 1),
			Pickup:   vrp.Stop{Location: 1 + 2*k, Service: 1, Windows: []routing.TimeWindow{{Start: float64(30 * k), End: float64(30*k + 15)}}},
			Delivery: vrp.Stop{Location: 2 + 2*k, Service: 1}, Amount: []int64{1}, MaxRideTime: 12})
	}
	p.Vehicles = []vrp.Vehicle{{ID: 1, Start: 0, End: 0, Capacity: []int64{1}, Shift: routing.TimeWindow{Start: 0, End: 200}, MaxDuration: 150}}
	s := solveChecked(t, p, vrp.Options{Seed: 4})
	if len(s.Unassigned) != 0 {
		t.Fatalf("unassigned %+v", s.Unassigned)
	}
	// a tighter duration makes it impossible to serve all three
	p.Vehicles[0].MaxDuration = 60
	s = solveChecked(t, p, vrp.Options{Seed: 4})
	if len(s.Unassigned) == 0 {
		t.Fatalf("max duration 60 cannot serve all three")
	}
}

func TestIncompatibilityCleaning(t *testing.T) {
	m := line(5)
	p := &vrp.Problem{Time: m, Dist: m, CleaningTime: 7,
		Incompatible: [][]bool{{false, false, false}, {false, false, true}, {false, true, false}},
		Shipments: []vrp.Shipment{
			{Pickup: vrp.Stop{Location: 1}, Delivery: vrp.Stop{Location: 4}, Amount: []int64{1}, Class: 1},
			{Pickup: vrp.Stop{Location: 2}, Delivery: vrp.Stop{Location: 3}, Amount: []int64{1}, Class: 2},
		},
		Vehicles: []vrp.Vehicle{{ID: 1, Start: 0, End: 0, Capacity: []int64{5}}},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 5})
	if len(s.Unassigned) != 0 || len(s.Routes) != 1 {
		t.Fatalf("want both served by one vehicle: %+v", s)
	}
	// the second pickup must wait for the cleaning
	cleaned := false
	for _, st := range s.Routes[0].Steps {
		if st.Kind == vrp.StepPickup && st.Start >= st.Arrival+7-1e-9 {
			cleaned = true
		}
	}
	if !cleaned {
		t.Errorf("no cleaning time in %+v", s.Routes[0].Steps)
	}
}

func TestOpenRoutes(t *testing.T) {
	m := line(4)
	p := &vrp.Problem{Time: m, Dist: m,
		Jobs: []vrp.Job{
			{ID: 1, Stop: vrp.Stop{Location: 1}}, {ID: 2, Stop: vrp.Stop{Location: 2}}, {ID: 3, Stop: vrp.Stop{Location: 3}},
		},
		Vehicles: []vrp.Vehicle{{ID: 1, Start: -1, End: -1}},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 6})
	if s.Distance != 20 {
		t.Errorf("open route distance %v, want 20", s.Distance)
	}
	st := s.Routes[0].Steps
	if st[0].Location != -1 || st[len(st)-1].Location != -1 {
		t.Errorf("open route steps %+v", st)
	}
}

func TestCancelReturnsFeasible(t *testing.T) {
	p := randomTiny(rand.New(rand.NewPCG(11, 0)), 60)
	for i := range p.Vehicles {
		p.Vehicles[i].Capacity = []int64{60}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	s, err := vrp.Solve(ctx, p, vrp.Options{Seed: 1, TimeLimit: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("cancel took %v", el)
	}
	if bad := checkPlan(p, s); len(bad) > 0 {
		t.Fatal(bad)
	}
	if vs := check.Plan(p, s); len(vs) > 0 {
		t.Fatal(vs)
	}
}

func TestInvalid(t *testing.T) {
	m := line(2)
	cases := []*vrp.Problem{
		{Time: m, Vehicles: nil},
		{Time: m, Vehicles: []vrp.Vehicle{{Start: 5}}},
		{Time: m, Vehicles: []vrp.Vehicle{{}}, Jobs: []vrp.Job{{Stop: vrp.Stop{Location: 9}}}},
		{Time: routing.Matrix{Rows: 2, Cols: 2, Data: []float64{0}}, Vehicles: []vrp.Vehicle{{}}},
		{Time: m, Vehicles: []vrp.Vehicle{{}}, Jobs: []vrp.Job{{Stop: vrp.Stop{Location: 1, Windows: []routing.TimeWindow{{Start: 5, End: 1}}}}}},
	}
	for i, p := range cases {
		if _, err := vrp.Solve(context.Background(), p, vrp.Options{}); !errors.Is(err, vrp.ErrInvalid) {
			t.Errorf("case %d: err %v, want ErrInvalid", i, err)
		}
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	p := randomTiny(rand.New(rand.NewPCG(12, 0)), 40)
	for i := range p.Vehicles {
		p.Vehicles[i].Capacity = []int64{100}
		p.Vehicles[i].Shift.End = 2000
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := vrp.Solve(ctx, p, vrp.Options{Seed: 1, TimeLimit: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if vs := check.Plan(p, s); len(vs) > 0 {
		t.Fatal(vs)
	}
	if len(s.Unassigned) == 0 {
		t.Fatal("a cancelled solve placed every job")
	}
	for _, u := range s.Unassigned {
		if u.Reason != vrp.ReasonCancelled {
			t.Errorf("reason %q, want cancelled", u.Reason)
		}
	}
}

func TestWorkersAndProgress(t *testing.T) {
	p := randomTiny(rand.New(rand.NewPCG(13, 0)), 12)
	calls := 0
	last := vrp.Progress{}
	s := solveChecked(t, p, vrp.Options{Seed: 9, MaxIterations: 800, Workers: 2, Progress: func(pr vrp.Progress) {
		calls++
		last = pr
	}})
	if calls == 0 {
		t.Fatal("no progress reported")
	}
	if last.Priority > s.Priority || s.Seed < 9 || s.Seed > 10 {
		t.Errorf("progress %+v, solution priority %d seed %d", last, s.Priority, s.Seed)
	}
}

func TestCostObjectivesHeterogeneousFleet(t *testing.T) {
	for _, obj := range []vrp.Objective{vrp.MinCost, vrp.MinDistance, vrp.MinDuration} {
		p := randomTiny(rand.New(rand.NewPCG(21, 0)), 15)
		p.Objective = obj
		p.Vehicles = []vrp.Vehicle{
			{ID: 1, Start: 0, End: 0, Capacity: []int64{20}, FixedCost: 100, CostPerDist: 1, CostPerTime: 0.5, Shift: routing.TimeWindow{Start: 0, End: 600}},
			{ID: 2, Start: 0, End: -1, Capacity: []int64{10}, FixedCost: 20, CostPerDist: 2, Shift: routing.TimeWindow{Start: 50, End: 500}, MaxDuration: 300},
			{ID: 3, Start: -1, End: 0, Capacity: []int64{8}, CostPerTime: 1},
		}
		s := solveChecked(t, p, vrp.Options{Seed: 3, MaxIterations: 1500})
		if len(s.Routes) == 0 {
			t.Fatalf("objective %d: no routes", obj)
		}
	}
}

// TestRandomRich solves random instances mixing every constraint and lets
// the two oracles verify each plan.
// TestRandomRich solves rich random problems (windows, shipments with ride
// times, classes, skills, open routes, mixed costs) with every insertion
// scanning all routes and, forced on these small problems, with granular
// insertions (the nearest nodes' routes first) over asymmetric matrices,
// and with frequent stagnation restarts of the annealing walk.
func TestRandomRich(t *testing.T) {
	t.Run("full", func(t *testing.T) { randomRich(t, false) })
	t.Run("granular", func(t *testing.T) {
		defer func(m, k int) { *vrp.GranularMin, *vrp.GranularK = m, k }(*vrp.GranularMin, *vrp.GranularK)
		*vrp.GranularMin, *vrp.GranularK = 1, 3
		randomRich(t, true)
	})
	t.Run("restarts", func(t *testing.T) {
		defer func(f float64) { *vrp.RestartFrac = f }(*vrp.RestartFrac)
		*vrp.RestartFrac = 0.05
		randomRich(t, false)
	})
}

func randomRich(t *testing.T, asym bool) {
	rng := rand.New(rand.NewPCG(99, 0))
	for k := 0; k < 10; k++ {
		pts := [][2]float64{{50, 50}, {10, 90}}
		p := &vrp.Problem{Objective: vrp.Objective(k % 3), CleaningTime: 8,
			Incompatible: [][]bool{{false, false, false, false}, {false, false, true, false}, {false, true, false, true}, {false, false, true, false}}}
		win := func() []routing.TimeWindow {
			if rng.IntN(3) == 0 {
				return nil
			}
			a := rng.Float64() * 300
			ws := []routing.TimeWindow{{Start: a, End: a + 30 + rng.Float64()*60}}
			if rng.IntN(2) == 0 {
				b := ws[0].End + 20 + rng.Float64()*100
				ws = append(ws, routing.TimeWindow{Start: b, End: b + 40})
			}
			return ws
		}
		loc := func() int {
			pts = append(pts, [2]float64{rng.Float64() * 100, rng.Float64() * 100})
			return len(pts) - 1
		}
		for j := 0; j < 10; j++ {
			job := vrp.Job{ID: int64(j), Stop: vrp.Stop{Location: loc(), Service: 3, Windows: win()}, Priority: rng.IntN(4), Class: rng.IntN(4)}
			if rng.IntN(2) == 0 {
				job.Delivery = []int64{int64(rng.IntN(3)), int64(rng.IntN(2))}
			} else {
				job.Pickup = []int64{int64(rng.IntN(3))}
			}
			if rng.IntN(5) == 0 {
				job.Skills = []int{1 + rng.IntN(2)}
			}
			p.Jobs = append(p.Jobs, job)
		}
		for s := 0; s < 8; s++ {
			sh := vrp.Shipment{PickupID: int64(100 + s), DeliveryID: int64(200 + s),
				Pickup: vrp.Stop{Location: loc(), Service: 2, Windows: win()}, Delivery: vrp.Stop{Location: loc(), Service: 2},
				Amount: []int64{1 + int64(rng.IntN(2)), int64(rng.IntN(2))}, Class: rng.IntN(4), Priority: rng.IntN(3)}
			if rng.IntN(2) == 0 {
				sh.MaxRideTime = 60 + rng.Float64()*60
			}
			p.Shipments = append(p.Shipments, sh)
		}
		m := euclid(pts)
		if asym {
			m.Data = append([]float64(nil), m.Data...)
			for i := range m.Data {
				if i%3 == 0 {
					m.Data[i] *= 1.2
				}
			}
		}
		p.Time, p.Dist = m, m
		p.Vehicles = []vrp.Vehicle{
			{ID: 1, Start: 0, End: 0, Capacity: []int64{6, 2}, Skills: []int{1}, Shift: routing.TimeWindow{Start: 0, End: 700}, CostPerDist: 1, FixedCost: 50},
			{ID: 2, Start: 1, End: -1, Capacity: []int64{5, 3}, Skills: []int{2}, MaxDuration: 400, CostPerDist: 1.5, CostPerTime: 0.2},
			{ID: 3, Start: -1, End: 0, Capacity: []int64{4}, Skills: []int{1, 2}, CostPerTime: 1},
		}
		s := solveChecked(t, p, vrp.Options{Seed: uint64(k), MaxIterations: 600})
		// The same seed and iteration budget give the same plan.
		again := solveChecked(t, p, vrp.Options{Seed: uint64(k), MaxIterations: 600})
		if again.Cost != s.Cost || again.Priority != s.Priority || len(again.Routes) != len(s.Routes) || len(again.Unassigned) != len(s.Unassigned) {
			t.Errorf("instance %d: a second run gave cost %v priority %d (%d routes), first %v priority %d (%d routes)",
				k, again.Cost, again.Priority, len(again.Routes), s.Cost, s.Priority, len(s.Routes))
		}
		if s.Priority == 0 {
			t.Errorf("instance %d: nothing served", k)
		}
	}
}

func TestUnreachable(t *testing.T) {
	m := line(4)
	for i := 0; i < 4; i++ {
		if i != 3 {
			m.Set(i, 3, routing.Unreachable)
			m.Set(3, i, routing.Unreachable)
		}
	}
	p := &vrp.Problem{Time: m, Dist: m,
		Jobs:     []vrp.Job{{Stop: vrp.Stop{Location: 1}}, {Stop: vrp.Stop{Location: 2}}, {Stop: vrp.Stop{Location: 3}}},
		Vehicles: []vrp.Vehicle{{ID: 1, Start: 0, End: 0}},
	}
	s := solveChecked(t, p, vrp.Options{Seed: 1})
	if len(s.Unassigned) != 1 || s.Unassigned[0].Index != 2 || s.Unassigned[0].Reason != vrp.ReasonWindow {
		t.Fatalf("unassigned %+v, want job 2 unreachable", s.Unassigned)
	}
	if s.Distance != 40 {
		t.Errorf("distance %v, want 40", s.Distance)
	}
}
