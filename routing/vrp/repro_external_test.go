package vrp_test

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

// burn keeps n goroutines busy until the returned stop is called.
func burn(n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 1.0
			for {
				select {
				case <-done:
					return
				default:
				}
				for i := 0; i < 100000; i++ {
					x = math.Sqrt(x + float64(i))
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// TestReproducibleUnderLoad: the same seed and iteration budget give the
// same plan whether the machine is quiet or busy (goroutines burning every
// core), with one worker and with two, and whatever GOMAXPROCS is.
func TestReproducibleUnderLoad(t *testing.T) {
	for _, c := range []struct{ f, path string }{
		{"solomon", "bench/solomon-vrptw/instances/RC106.txt"},
		{"lilim", "bench/lilim-pdptw/instances/lrc103.txt"},
	} {
		fam, _ := formats.ParseFamily(c.f)
		inst, err := formats.ReadFile(sdtest.Path(t, c.path), fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			opt := vrp.Options{Seed: 7, MaxIterations: 1500, Workers: workers}
			quiet, err := vrp.Solve(context.Background(), inst.Problem, opt)
			if err != nil {
				t.Fatal(err)
			}
			if vs := check.Plan(inst.Problem, quiet); len(vs) > 0 {
				t.Fatalf("%s: %v", inst.Name, vs[0])
			}
			stop := burn(2 * runtime.NumCPU())
			prev := runtime.GOMAXPROCS(1)
			busy, err := vrp.Solve(context.Background(), inst.Problem, opt)
			runtime.GOMAXPROCS(prev)
			stop()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(quiet, busy) {
				t.Fatalf("%s workers %d: quiet %d vehicles %.4f, busy %d vehicles %.4f", inst.Name, workers,
					quiet.Vehicles, quiet.Distance, busy.Vehicles, busy.Distance)
			}
			if quiet.Iterations != 1500 {
				t.Fatalf("%s: %d iterations, want 1500", inst.Name, quiet.Iterations)
			}
		}
	}
}
