package matrix

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"lifeline/routing"

	"github.com/paulmach/orb"
)

// fake computes |x_i - x_j| and counts calls.
type fake struct {
	calls   atomic.Int32
	version atomic.Uint64
}

func (f *fake) Table(ctx context.Context, s, t []orb.Point) (routing.Matrix, routing.Matrix, error) {
	f.calls.Add(1)
	tm, dm := routing.NewMatrix(len(s), len(t)), routing.NewMatrix(len(s), len(t))
	for i := range s {
		for j := range t {
			d := s[i][0] - t[j][0]
			if d < 0 {
				d = -d
			}
			tm.Set(i, j, d)
			dm.Set(i, j, 10*d)
		}
	}
	return tm, dm, nil
}

func (f *fake) Version() uint64 { return f.version.Load() }

func TestCache(t *testing.T) {
	f := &fake{}
	c := NewCache(f, 10)
	ctx := context.Background()
	a := []orb.Point{{1, 0}, {4, 0}}
	b := []orb.Point{{2, 0}, {0, 0}, {9, 0}}
	tm, dm, err := c.Compute(ctx, a, b)
	if err != nil || tm.At(1, 2) != 5 || dm.At(0, 1) != 10 {
		t.Fatalf("%v %v %v", tm, dm, err)
	}
	c.Compute(ctx, a, b)
	if f.calls.Load() != 1 {
		t.Fatalf("cache miss: %d calls", f.calls.Load())
	}
	// new zone version: recompute
	f.version.Store(1)
	c.Compute(ctx, a, b)
	if f.calls.Load() != 2 {
		t.Fatal("served a table of an old version")
	}
	// eviction by cells: 6 + 6 > 10
	c.Compute(ctx, b, a)
	if _, _, cells := c.Stats(); cells > 10 {
		t.Fatalf("cells %d", cells)
	}
	c.MaxCells = 5
	if _, _, err := c.Compute(ctx, a, b); err != ErrTooLarge {
		t.Fatal(err)
	}
}

func TestCacheConcurrent(t *testing.T) {
	f := &fake{}
	c := NewCache(f, 0)
	a := []orb.Point{{1, 0}, {4, 0}}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tm, _, err := c.Compute(context.Background(), a, a); err != nil || tm.At(0, 1) != 3 {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.calls.Load() > 8 {
		t.Fatal("calls")
	}
}
