package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"lifeline/jobs"
	"lifeline/jobs/jobstest"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testRiver starts a River queue on s (a replica named node), stopped in
// the test's cleanup.
func testRiver(t *testing.T, s *Store, node string, o RiverOptions, workers map[string]jobs.Worker, start bool) *River {
	t.Helper()
	o.Node, o.Logger = node, quietLog
	if o.Heartbeat == 0 {
		o.Heartbeat = 200 * time.Millisecond
	}
	if o.OrphanAfter == 0 {
		o.OrphanAfter = time.Second
	}
	q, err := s.NewRiver(o)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range workers {
		q.Register(k, w)
	}
	if start {
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	return q
}

// TestRiverConformance runs the queue suite shared with jobs.Local.
func TestRiverConformance(t *testing.T) {
	jobstest.Run(t, func(t *testing.T, o jobs.Options) jobs.Queue {
		s := openTestStore(t)
		q := testRiver(t, s, "a", RiverOptions{Workers: o.Workers, QueueSize: o.QueueSize}, nil, false)
		// start after the suite registers its workers: Register is
		// called right after open, so start on the first Submit
		return &startOnSubmit{River: q}
	})
}

// startOnSubmit starts the River client on the first Submit (the suite
// registers its workers after open).
type startOnSubmit struct {
	*River
	started atomic.Bool
}

func (q *startOnSubmit) Submit(ctx context.Context, s jobs.Spec) (jobs.Job, error) {
	if q.started.CompareAndSwap(false, true) {
		if err := q.Start(ctx); err != nil {
			return jobs.Job{}, err
		}
	}
	return q.River.Submit(ctx, s)
}

func hang(ctx context.Context, _ json.RawMessage, report func(any)) (any, error) {
	report(map[string]string{"step": "hanging"})
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRiverCancelFromAnotherReplica: a job running on replica A is watched
// and cancelled through replica B (which runs no jobs): its work on A stops
// within a second and it stays cancelled.
func TestRiverCancelFromAnotherReplica(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	stopped := make(chan time.Time, 1)
	a := testRiver(t, s, "a", RiverOptions{Workers: 1}, map[string]jobs.Worker{"solve": func(ctx context.Context, args json.RawMessage, report func(any)) (any, error) {
		_, err := hang(ctx, args, report)
		stopped <- time.Now()
		return "late plan", err
	}}, true)
	b := testRiver(t, s, "b", RiverOptions{Workers: 1}, nil, false)
	j, err := a.Submit(ctx, jobs.Spec{Kind: "solve", Owner: "disp"})
	if err != nil {
		t.Fatal(err)
	}
	jobstest.Eventually(t, "progress seen on B", 10*time.Second, func() bool {
		g, err := b.Get(ctx, j.ID)
		return err == nil && g.State == jobs.Running && string(g.Progress) == `{"step":"hanging"}`
	})
	t0 := time.Now()
	c, err := b.Cancel(ctx, j.ID)
	if err != nil || c.State != jobs.Cancelled {
		t.Fatalf("cancel on B: %v %+v", err, c)
	}
	select {
	case at := <-stopped:
		t.Logf("work on A stopped %s after the cancel on B", at.Sub(t0))
	case <-time.After(time.Second + 500*time.Millisecond):
		t.Fatal("work on A still running 1.5 s after the cancel on B")
	}
	time.Sleep(300 * time.Millisecond)
	if g, _ := a.Get(ctx, j.ID); g.State != jobs.Cancelled || g.Result != nil {
		t.Fatalf("after the work returned: %+v", g)
	}
}

// TestRiverShutdownRequeues: a replica that shuts down gives its running
// job back after the grace period; another replica finishes it (attempt 2).
func TestRiverShutdownRequeues(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	started := make(chan struct{}, 1)
	a := testRiver(t, s, "a", RiverOptions{Workers: 1}, map[string]jobs.Worker{"solve": func(ctx context.Context, args json.RawMessage, report func(any)) (any, error) {
		started <- struct{}{}
		return hang(ctx, args, report)
	}}, true)
	j, err := a.Submit(ctx, jobs.Spec{Kind: "solve"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job did not start on A")
	}
	t0 := time.Now()
	if err := a.Shutdown(ctx, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("shutdown took %s", d)
	}
	if _, err := a.Submit(ctx, jobs.Spec{Kind: "solve"}); !errors.Is(err, jobs.ErrClosed) {
		t.Fatalf("submit after shutdown: %v", err)
	}
	if g, _ := a.Get(ctx, j.ID); g.State != jobs.Queued {
		t.Fatalf("after A stopped: %s", g.State)
	}
	if n := a.Counts(); n != (jobs.Counts{Returned: 1}) {
		t.Fatalf("A's counts: %+v", n)
	}
	testRiver(t, s, "b", RiverOptions{Workers: 1}, map[string]jobs.Worker{"solve": func(context.Context, json.RawMessage, func(any)) (any, error) {
		return "done on b", nil
	}}, true)
	g := jobstest.Wait(t, a, j.ID)
	if g.State != jobs.Done || string(g.Result) != `"done on b"` || g.Attempt != 2 {
		t.Fatalf("after B took over: %+v", g)
	}
}

// TestRiverOrphanRescued: a job whose replica stopped answering mid-run
// (simulated: the row and River's job say running on a replica that sends
// no heartbeat) is queued again by a live replica and ends there; after
// MaxAttempts runs it fails with the reason instead.
func TestRiverOrphanRescued(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ghost := testRiver(t, s, "ghost", RiverOptions{Workers: 1, MaxAttempts: 2}, nil, false)
	orphan := func() string {
		j, err := ghost.Submit(ctx, jobs.Spec{Kind: "solve"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now()
			WHERE id = (SELECT river_id FROM jobs WHERE id = $1)`, j.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE jobs SET state = 'running', attempt = attempt + 1, node = 'ghost', started_at = now(),
			heartbeat_at = now() - interval '1 minute' WHERE id = $1`, j.ID); err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	first, second := orphan(), orphan()
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET attempt = 2 WHERE id = $1`, second); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	b := testRiver(t, s, "b", RiverOptions{Workers: 1, MaxAttempts: 2}, map[string]jobs.Worker{"solve": func(context.Context, json.RawMessage, func(any)) (any, error) {
		return "rescued", nil
	}}, true)
	g := jobstest.Wait(t, b, first)
	if g.State != jobs.Done || string(g.Result) != `"rescued"` || g.Attempt != 2 {
		t.Fatalf("orphan: %+v", g)
	}
	t.Logf("orphaned job done on B %s after B started", time.Since(t0))
	g = jobstest.Wait(t, b, second)
	if g.State != jobs.Failed || g.Err == nil || g.Err.Code != "interrupted" {
		t.Fatalf("orphan out of runs: %+v", g)
	}
	if n := b.Counts(); n != (jobs.Counts{Rescued: 1, GivenUp: 1}) {
		t.Fatalf("B's counts: %+v", n)
	}
}

// TestRiverSubmitToStart measures the time from Submit to the worker
// starting, River against jobs.Local, 15 jobs each, one at a time (the
// figures go to the log; the test fails only if River takes over 2 s).
func TestRiverSubmitToStart(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	starts := make(chan time.Time, 1)
	w := func(context.Context, json.RawMessage, func(any)) (any, error) { starts <- time.Now(); return nil, nil }
	rq := testRiver(t, s, "a", RiverOptions{Workers: 1}, map[string]jobs.Worker{"k": w}, true)
	lq := jobs.NewLocal(jobs.Options{Workers: 1})
	lq.Register("k", w)
	measure := func(q jobs.Queue) []time.Duration {
		var ds []time.Duration
		for i := 0; i < 15; i++ {
			t0 := time.Now()
			j, err := q.Submit(ctx, jobs.Spec{Kind: "k"})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case at := <-starts:
				ds = append(ds, at.Sub(t0))
			case <-time.After(5 * time.Second):
				t.Fatal("job did not start")
			}
			jobstest.Wait(t, q, j.ID)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds
	}
	r, l := measure(rq), measure(lq)
	t.Logf("submit -> start, median (min, max) of %d: River %s (%s, %s), Local %s (%s, %s)", len(r),
		r[len(r)/2], r[0], r[len(r)-1], l[len(l)/2], l[0], l[len(l)-1])
	if r[len(r)/2] > 2*time.Second {
		t.Fatalf("River takes %s from submit to start", r[len(r)/2])
	}
}
