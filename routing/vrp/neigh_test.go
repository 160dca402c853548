package vrp

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"lifeline/routing"
)

// gridProblem has n jobs on a coarse integer grid (many equal times, so
// that ties must be broken by index) and one vehicle.
func gridProblem(n int, seed uint64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([][2]int, n+1)
	for i := range pts {
		pts[i] = [2]int{rng.IntN(12), rng.IntN(12)}
	}
	m := routing.NewMatrix(n+1, n+1)
	for i := range pts {
		for j := range pts {
			d := pts[i][0] - pts[j][0]
			if d < 0 {
				d = -d
			}
			e := pts[i][1] - pts[j][1]
			if e < 0 {
				e = -e
			}
			m.Set(i, j, float64(d+e+(i%3)))
		}
	}
	p := &Problem{Objective: MinDistance, Time: m, Dist: m}
	for j := 0; j < n; j++ {
		p.Jobs = append(p.Jobs, Job{ID: int64(j + 1), Stop: Stop{Location: j + 1}, Delivery: []int64{1}})
	}
	p.Vehicles = []Vehicle{{ID: 1, Capacity: []int64{int64(n)}, Shift: routing.TimeWindow{Start: 0, End: 1e9}}}
	return p
}

// TestNeighboursMatchFullSort: the windowed selection equals the first
// maxNeigh of a stable sort of all other nodes by round-trip time (the
// former algorithm, kept here as the oracle).
func TestNeighboursMatchFullSort(t *testing.T) {
	for _, n := range []int{5, 81, 300} {
		in, err := newInst(context.Background(), gridProblem(n, uint64(n)))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < in.n; i++ {
			var idx []int32
			for j := 0; j < in.n; j++ {
				if j != i {
					idx = append(idx, int32(j))
				}
			}
			li := in.loc[i]
			sort.SliceStable(idx, func(a, b int) bool {
				la, lb := in.loc[idx[a]], in.loc[idx[b]]
				return in.tt(li, la)+in.tt(la, li) < in.tt(li, lb)+in.tt(lb, li)
			})
			want := idx[:min(len(idx), maxNeigh)]
			if !slices.Equal(in.neigh[i], want) {
				t.Fatalf("n=%d node %d: neighbours %v, want %v", n, i, in.neigh[i], want)
			}
		}
	}
}

// TestSolveCancelStopsWithinASecond: a solve of 3,000 jobs on one long
// route, cancelled while its instance is prepared, while it constructs and
// while it searches, returns within a second of the cancel (it used to
// sort all neighbours and finish a batch of 8 insertions of O(route^2)
// each first: up to 20 s).
func TestSolveCancelStopsWithinASecond(t *testing.T) {
	p := gridProblem(3000, 7)
	for _, after := range []time.Duration{10 * time.Millisecond, 400 * time.Millisecond, 1500 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var at time.Time
		time.AfterFunc(after, func() { mu.Lock(); at = time.Now(); mu.Unlock(); cancel() })
		_, err := Solve(ctx, p, Options{TimeLimit: time.Minute})
		mu.Lock()
		took := time.Since(at)
		mu.Unlock()
		if took > time.Second {
			t.Errorf("cancelled after %s: Solve returned %s after the cancel", after, took)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	}
}
