package check

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"lifeline/routing"
	"lifeline/routing/vrp"
)

// richTiny adds every constraint of the model to a random tiny instance:
// several windows, skills, classes with cleaning, ride times, max duration,
// open routes, priorities and two capacity dimensions.
func richTiny(rng *rand.Rand) *vrp.Problem {
	jobs, ships, vehicles := rng.IntN(4), rng.IntN(3), 1+rng.IntN(2)
	p := randomTiny(rng, jobs, ships, vehicles)
	for i := range p.Jobs {
		j := &p.Jobs[i]
		if rng.IntN(3) == 0 {
			a := rng.Float64() * 200
			j.Stop.Windows = []routing.TimeWindow{{Start: a, End: a + 40}, {Start: a + 150, End: a + 220}}
		}
		if rng.IntN(4) == 0 {
			j.Skills = []int{1}
		}
		j.Pickup = []int64{0, int64(rng.IntN(2))}
		j.Class = rng.IntN(3)
		j.Priority = rng.IntN(3)
	}
	for i := range p.Shipments {
		s := &p.Shipments[i]
		s.Amount = []int64{s.Amount[0], int64(rng.IntN(2))}
		s.Class = rng.IntN(3)
		if rng.IntN(2) == 0 {
			s.MaxRideTime = 60 + rng.Float64()*120
		}
		if rng.IntN(4) == 0 {
			s.Skills = []int{2}
		}
	}
	p.Incompatible = [][]bool{{false, false, false}, {false, false, true}, {false, true, false}}
	p.CleaningTime = 20
	for v := range p.Vehicles {
		veh := &p.Vehicles[v]
		veh.Capacity = []int64{4, 1}
		veh.Skills = []int{1 + rng.IntN(2)}
		if rng.IntN(3) == 0 {
			veh.MaxDuration = 250 + rng.Float64()*200
		}
		if rng.IntN(4) == 0 {
			veh.End = -1
		}
	}
	switch rng.IntN(3) {
	case 1:
		p.Objective = vrp.MinDuration
	case 2:
		p.Objective = vrp.MinCost
		for v := range p.Vehicles {
			p.Vehicles[v].FixedCost = 50
			p.Vehicles[v].CostPerTime = 0.5
			p.Vehicles[v].CostPerDist = 1
		}
	}
	p.IgnoreVehicleCount = rng.IntN(3) == 0
	return p
}

// The engine's plans pass Plan and reach the brute-force optimum on tiny
// instances with every constraint of the model (a few misses allowed: it is
// a heuristic; each is logged). With seed 11 the engine misses instance 35
// (MinDuration: the optimum uses a job's second time window).
func TestEngineMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 0))
	n := 40
	if testing.Short() {
		n = 10
	}
	missed := 0
	for it := 0; it < n; it++ {
		p := richTiny(rng)
		best := BruteForce(p)
		if vs := Plan(p, best); len(vs) != 0 {
			t.Fatalf("instance %d: brute plan reported:\n%s", it, rules(vs))
		}
		s, err := vrp.Solve(context.Background(), p, vrp.Options{Seed: 1, TimeLimit: 2 * time.Second, MaxIterations: 3000})
		if err != nil {
			t.Fatalf("instance %d: %v", it, err)
		}
		if vs := Plan(p, s); len(vs) != 0 {
			t.Errorf("instance %d: engine plan reported:\n%s", it, rules(vs))
			continue
		}
		bw, sw := served(p, best), served(p, s)
		vehLevel := !p.IgnoreVehicleCount
		worse := ""
		switch {
		case sw > bw || (sw == bw && vehLevel && s.Vehicles < best.Vehicles) ||
			(sw == bw && (!vehLevel || s.Vehicles == best.Vehicles) && s.Cost < best.Cost-1e-6*math.Max(1, best.Cost)):
			// a feasible plan better than the enumeration: the brute force or the checker is wrong
			t.Errorf("instance %d: engine (w %d, veh %d, cost %.6f) beats the brute-force optimum (w %d, veh %d, cost %.6f)",
				it, sw, s.Vehicles, s.Cost, bw, best.Vehicles, best.Cost)
		case sw != bw:
			worse = "served weight"
		case vehLevel && s.Vehicles != best.Vehicles:
			worse = "vehicles"
		case s.Cost > best.Cost+1e-6*math.Max(1, best.Cost):
			worse = "cost"
		}
		if worse != "" {
			missed++
			t.Logf("instance %d (objective %d): engine misses the optimum on %s: (w %d, veh %d, cost %.6f) vs (w %d, veh %d, cost %.6f)",
				it, p.Objective, worse, sw, s.Vehicles, s.Cost, bw, best.Vehicles, best.Cost)
		}
	}
	// The engine is a heuristic: allow a few misses, not many.
	if missed > n/10 {
		t.Errorf("engine missed the optimum on %d of %d tiny instances", missed, n)
	}
}
