package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"lifeline/data/memstore"
	"lifeline/jobs"
	"lifeline/jobs/jobstest"
)

func openLocal(store func(t *testing.T) jobs.Store) jobstest.Open {
	return func(t *testing.T, o jobs.Options) jobs.Queue {
		if store != nil {
			o.Store = store(t)
		}
		q := jobs.NewLocal(o)
		t.Cleanup(func() { _ = q.Close(context.Background()) })
		return q
	}
}

func TestLocalConformance(t *testing.T) {
	jobstest.Run(t, openLocal(nil))
}

// TestLocalConformanceStored: the same with every job written to the
// embedded store.
func TestLocalConformanceStored(t *testing.T) {
	jobstest.Run(t, openLocal(func(t *testing.T) jobs.Store {
		s, err := memstore.OpenWith(filepath.Join(t.TempDir(), "store.json"), memstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}

func TestLocalJobTable(t *testing.T) {
	ctx := context.Background()
	q := jobs.NewLocal(jobs.Options{Workers: 1, QueueSize: 1, MaxJobs: 2})
	release := make(chan struct{})
	q.Register("fail", func(context.Context, json.RawMessage, func(any)) (any, error) { return nil, errors.New("bad") })
	q.Register("block", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		<-release
		return nil, nil
	})
	j1, _ := q.Submit(ctx, jobs.Spec{Kind: "fail"})
	jobstest.Wait(t, q, j1.ID)
	j2, _ := q.Submit(ctx, jobs.Spec{Kind: "fail"})
	jobstest.Wait(t, q, j2.ID)
	// the table holds 2: a third job evicts the oldest final one
	j3, err := q.Submit(ctx, jobs.Spec{Kind: "block"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(ctx, j1.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("oldest final job still kept: %v", err)
	}
	j4, err := q.Submit(ctx, jobs.Spec{Kind: "block"})
	if err != nil {
		t.Fatal(err)
	}
	// table: j3 running, j4 queued; both live, so a 5th cannot enter
	var fe *jobs.FullError
	if _, err := q.Submit(ctx, jobs.Spec{Kind: "block"}); !errors.As(err, &fe) {
		t.Fatalf("5th submit: %v", err)
	}
	close(release)
	jobstest.Wait(t, q, j3.ID)
	jobstest.Wait(t, q, j4.ID)
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, jobs.Spec{Kind: "block"}); !errors.Is(err, jobs.ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

// TestLocalRestart: with the embedded store, a finished job is read again
// after a restart; a job running when the queue was closed and one still
// waiting run again on the next start (Attempt 2 and 1), and a job that
// restarts interrupted MaxAttempts times fails, saying why.
func TestLocalRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.json")
	open := func() (*memstore.Store, *jobs.Local) {
		st, err := memstore.OpenWith(path, memstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		q := jobs.NewLocal(jobs.Options{Workers: 1, QueueSize: 2, Store: st, MaxAttempts: 2})
		return st, q
	}
	var runs atomic.Int32
	hang := func(ctx context.Context, _ json.RawMessage, report func(any)) (any, error) {
		runs.Add(1)
		report("working")
		<-ctx.Done()
		return nil, ctx.Err()
	}
	quick := func(_ context.Context, args json.RawMessage, _ func(any)) (any, error) { return args, nil }

	st, q := open()
	q.Register("quick", quick)
	q.Register("hang", hang)
	done, err := q.Submit(ctx, jobs.Spec{Kind: "quick", Owner: "a", Args: map[string]int{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	jobstest.Wait(t, q, done.ID)
	running, _ := q.Submit(ctx, jobs.Spec{Kind: "hang"})
	waiting, _ := q.Submit(ctx, jobs.Spec{Kind: "quick", Args: "w"})
	jobstest.Eventually(t, "hang runs", 5*time.Second, func() bool { return runs.Load() == 1 })
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Wait(ctx, waiting.ID); !errors.Is(err, jobs.ErrClosed) {
		t.Fatalf("wait on a job left queued by close: %v", err)
	}
	if n := q.Counts(); n != (jobs.Counts{Returned: 1}) {
		t.Fatalf("counts after close: %+v", n)
	}
	st.Close()

	// second start: the hanging job runs again (attempt 2), the waiting one runs
	st, q = open()
	q.Register("quick", quick)
	q.Register("hang", hang)
	req, failed, err := q.Recover(ctx)
	if err != nil || req != 2 || failed != 0 || q.Counts() != (jobs.Counts{Rescued: 2}) {
		t.Fatalf("recover: %d re-queued, %d failed, %v (%+v)", req, failed, err, q.Counts())
	}
	if g, err := q.Get(ctx, done.ID); err != nil || g.State != jobs.Done || string(g.Result) != `{"n":1}` || g.Owner != "a" {
		t.Fatalf("finished job after restart: %v %+v", err, g)
	}
	jobstest.Eventually(t, "hang runs again", 5*time.Second, func() bool { return runs.Load() == 2 })
	if g, _ := q.Get(ctx, running.ID); g.State != jobs.Running || g.Attempt != 2 {
		t.Fatalf("interrupted job after restart: %+v", g)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// third start: the job had its 2 runs
	st, q = open()
	defer st.Close()
	q.Register("quick", quick)
	q.Register("hang", hang)
	req, failed, err = q.Recover(ctx)
	if err != nil || failed != 1 || q.Counts().GivenUp != 1 {
		t.Fatalf("recover: %d re-queued, %d failed, %v (%+v)", req, failed, err, q.Counts())
	}
	g := jobstest.Wait(t, q, running.ID)
	if g.State != jobs.Failed || g.Err == nil || g.Err.Code != "interrupted" {
		t.Fatalf("twice interrupted job: %+v", g)
	}
	if g := jobstest.Wait(t, q, waiting.ID); g.State != jobs.Done || string(g.Result) != `"w"` {
		t.Fatalf("waiting job: %+v", g)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLocalShutdownGrace: Shutdown lets a job that ends within the grace
// period finish, then stops the rest.
func TestLocalShutdownGrace(t *testing.T) {
	ctx := context.Background()
	q := jobs.NewLocal(jobs.Options{Workers: 2})
	q.Register("short", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		time.Sleep(100 * time.Millisecond)
		return "finished", nil
	})
	q.Register("long", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	short, _ := q.Submit(ctx, jobs.Spec{Kind: "short"})
	long, _ := q.Submit(ctx, jobs.Spec{Kind: "long"})
	t0 := time.Now()
	if err := q.Shutdown(ctx, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 400*time.Millisecond || d > 3*time.Second {
		t.Fatalf("shutdown took %s, want about the grace period", d)
	}
	if g, _ := q.Get(ctx, short.ID); g.State != jobs.Done {
		t.Fatalf("short job: %s", g.State)
	}
	if g, _ := q.Get(ctx, long.ID); g.State != jobs.Cancelled {
		t.Fatalf("long job without a store: %s", g.State)
	}
}
