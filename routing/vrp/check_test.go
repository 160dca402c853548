package vrp_test

import (
	"fmt"
	"math"

	"lifeline/routing/vrp"
)

// checkPlan is the tests' independent feasibility oracle: it recomputes
// every constraint from the returned steps only.
func checkPlan(p *vrp.Problem, s *vrp.Solution) []string {
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	const eps = 1e-6
	tm := p.Time
	if len(tm.Data) == 0 {
		tm = p.Dist
	}
	dm := p.Dist
	if len(dm.Data) == 0 {
		dm = tm
	}
	at := func(m [2]int, mx []float64, n int) float64 {
		if m[0] < 0 || m[1] < 0 {
			return 0
		}
		return mx[m[0]*n+m[1]]
	}
	n := tm.Rows
	jobSeen := make([]int, len(p.Jobs))
	pickSeen := make([]int, len(p.Shipments))
	delSeen := make([]int, len(p.Shipments))
	vehSeen := map[int]bool{}
	totalDist := 0.0
	prio := 0
	for ri, r := range s.Routes {
		if r.Vehicle < 0 || r.Vehicle >= len(p.Vehicles) || vehSeen[r.Vehicle] {
			fail("route %d: bad or repeated vehicle %d", ri, r.Vehicle)
			continue
		}
		vehSeen[r.Vehicle] = true
		v := p.Vehicles[r.Vehicle]
		st := r.Steps
		if len(st) < 3 || st[0].Kind != vrp.StepStart || st[len(st)-1].Kind != vrp.StepEnd {
			fail("route %d: must start with StepStart, end with StepEnd and serve something", ri)
			continue
		}
		if st[0].Location != v.Start || st[len(st)-1].Location != v.End {
			fail("route %d: start/end locations", ri)
		}
		dim := len(v.Capacity)
		grow := func(x []int64) {
			if len(x) > dim {
				dim = len(x)
			}
		}
		for _, x := range st {
			switch x.Kind {
			case vrp.StepJob:
				grow(p.Jobs[x.Index].Delivery)
				grow(p.Jobs[x.Index].Pickup)
			case vrp.StepPickup, vrp.StepDelivery:
				grow(p.Shipments[x.Index].Amount)
			}
		}
		capa := make([]int64, dim)
		copy(capa, v.Capacity)
		load := make([]int64, dim)
		for _, x := range st {
			if x.Kind == vrp.StepJob {
				for k, a := range p.Jobs[x.Index].Delivery {
					load[k] += a
				}
			}
		}
		checkLoad := func(i int, x vrp.Step) {
			for k := range load {
				if load[k] > capa[k] || load[k] < 0 {
					fail("route %d step %d: load %v exceeds capacity %v", ri, i, load, capa)
					return
				}
				if k < len(x.Load) && x.Load[k] != load[k] {
					fail("route %d step %d: reported load %v, recomputed %v", ri, i, x.Load, load)
					return
				}
			}
		}
		checkLoad(0, st[0])
		shiftE := v.Shift.End
		if v.Shift.Start == 0 && v.Shift.End == 0 {
			shiftE = math.Inf(1)
		}
		if st[0].Departure < v.Shift.Start-eps {
			fail("route %d: departs before shift", ri)
		}
		pickDep := map[int]float64{}
		// classes
		onboard := map[int]int{}
		dirty := map[int]bool{}
		incompat := func(a, b int) bool {
			if a <= 0 || b <= 0 || p.Incompatible == nil {
				return false
			}
			x := a < len(p.Incompatible) && b < len(p.Incompatible[a]) && p.Incompatible[a][b]
			y := b < len(p.Incompatible) && a < len(p.Incompatible[b]) && p.Incompatible[b][a]
			return x || y
		}
		nz := func(x []int64) bool {
			for _, a := range x {
				if a != 0 {
					return true
				}
			}
			return false
		}
		for _, x := range st {
			if x.Kind == vrp.StepJob && nz(p.Jobs[x.Index].Delivery) && p.Jobs[x.Index].Class > 0 {
				onboard[p.Jobs[x.Index].Class]++
				dirty[p.Jobs[x.Index].Class] = true
			}
		}
		for a := range onboard {
			for b := range onboard {
				if incompat(a, b) {
					fail("route %d: incompatible deliveries loaded at start", ri)
				}
			}
		}
		dist := 0.0
		for i := 1; i < len(st); i++ {
			a, b := st[i-1], st[i]
			dist += at([2]int{a.Location, b.Location}, dm.Data, n)
			if b.Arrival < a.Departure+at([2]int{a.Location, b.Location}, tm.Data, n)-eps {
				fail("route %d step %d: arrives %v before departure %v + travel", ri, i, b.Arrival, a.Departure)
			}
			if b.Start < b.Arrival-eps || b.Departure < b.Start-eps {
				fail("route %d step %d: arrival/start/departure out of order", ri, i)
			}
			var stop vrp.Stop
			var skills []int
			class := 0
			loads, unloads := false, false
			switch b.Kind {
			case vrp.StepJob:
				j := p.Jobs[b.Index]
				jobSeen[b.Index]++
				stop, skills, class = j.Stop, j.Skills, j.Class
				for k, a := range j.Delivery {
					load[k] -= a
				}
				for k, a := range j.Pickup {
					load[k] += a
				}
				unloads, loads = nz(j.Delivery), nz(j.Pickup)
				prio += 1 + max(0, j.Priority)
			case vrp.StepPickup:
				sh := p.Shipments[b.Index]
				pickSeen[b.Index]++
				stop, skills, class = sh.Pickup, sh.Skills, sh.Class
				for k, a := range sh.Amount {
					load[k] += a
				}
				pickDep[b.Index] = b.Departure
				loads = true
				prio += 1 + max(0, sh.Priority)
			case vrp.StepDelivery:
				sh := p.Shipments[b.Index]
				delSeen[b.Index]++
				stop, skills, class = sh.Delivery, sh.Skills, sh.Class
				for k, a := range sh.Amount {
					load[k] -= a
				}
				d, ok := pickDep[b.Index]
				if !ok {
					fail("route %d: delivery of shipment %d before its pickup", ri, b.Index)
				} else if sh.MaxRideTime > 0 && b.Start-d > sh.MaxRideTime+eps {
					fail("route %d: shipment %d ride %v > %v", ri, b.Index, b.Start-d, sh.MaxRideTime)
				}
				unloads = true
			case vrp.StepEnd:
				if i != len(st)-1 {
					fail("route %d: end step in the middle", ri)
				}
				if b.Arrival > shiftE+eps {
					fail("route %d: ends %v after shift %v", ri, b.Arrival, shiftE)
				}
				if v.MaxDuration > 0 && b.Arrival-st[0].Departure > v.MaxDuration+eps {
					fail("route %d: duration %v > %v", ri, b.Arrival-st[0].Departure, v.MaxDuration)
				}
				checkLoad(i, b)
				continue
			default:
				fail("route %d: bad step kind", ri)
				continue
			}
			if b.Location != stop.Location {
				fail("route %d step %d: location", ri, i)
			}
			if b.Departure < b.Start+stop.Service-eps {
				fail("route %d step %d: service too short", ri, i)
			}
			if len(stop.Windows) > 0 {
				in := false
				for _, w := range stop.Windows {
					if b.Start >= w.Start-eps && b.Start <= w.End+eps {
						in = true
					}
				}
				if !in {
					fail("route %d step %d: start %v outside windows %v", ri, i, b.Start, stop.Windows)
				}
			}
			for _, sk := range skills {
				has := false
				for _, h := range v.Skills {
					has = has || h == sk
				}
				if !has {
					fail("route %d step %d: vehicle lacks skill %d", ri, i, sk)
				}
			}
			if unloads && class > 0 {
				onboard[class]--
				if onboard[class] == 0 {
					delete(onboard, class)
				}
			}
			if loads && class > 0 {
				for c := range onboard {
					if incompat(c, class) {
						fail("route %d step %d: class %d on board with %d", ri, i, class, c)
					}
				}
				needClean := false
				for c := range dirty {
					if incompat(c, class) {
						needClean = true
					}
				}
				if needClean {
					if b.Start < b.Arrival+p.CleaningTime-eps {
						fail("route %d step %d: no cleaning time before class %d", ri, i, class)
					}
					dirty = map[int]bool{}
					for c := range onboard {
						dirty[c] = true
					}
				}
				onboard[class]++
				dirty[class] = true
			}
			checkLoad(i, b)
		}
		if math.Abs(dist-r.Distance) > 1e-6*math.Max(1, dist) {
			fail("route %d: distance %v, recomputed %v", ri, r.Distance, dist)
		}
		totalDist += dist
	}
	unJob := make([]int, len(p.Jobs))
	unShp := make([]int, len(p.Shipments))
	for _, u := range s.Unassigned {
		if u.Reason == "" {
			fail("unassigned without reason")
		}
		if u.Shipment {
			unShp[u.Index]++
		} else {
			unJob[u.Index]++
		}
	}
	for j := range p.Jobs {
		if jobSeen[j]+unJob[j] != 1 {
			fail("job %d served %d times, unassigned %d times", j, jobSeen[j], unJob[j])
		}
	}
	for k := range p.Shipments {
		if pickSeen[k] != delSeen[k] || pickSeen[k]+unShp[k] != 1 {
			fail("shipment %d: pickups %d deliveries %d unassigned %d", k, pickSeen[k], delSeen[k], unShp[k])
		}
	}
	if math.Abs(totalDist-s.Distance) > 1e-6*math.Max(1, totalDist) {
		fail("total distance %v, recomputed %v", s.Distance, totalDist)
	}
	if s.Vehicles != len(s.Routes) {
		fail("vehicles %d but %d routes", s.Vehicles, len(s.Routes))
	}
	if prio != s.Priority {
		fail("priority %d, recomputed %d", s.Priority, prio)
	}
	return bad
}
