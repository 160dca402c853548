// Package jobstest is the conformance suite of jobs.Queue: jobs.Local and
// the River queue of data/postgis both run it.
package jobstest

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"lifeline/jobs"
)

// Open returns a fresh queue with the given bounds (Workers, QueueSize),
// stopped by the caller's cleanup.
type Open func(t *testing.T, o jobs.Options) jobs.Queue

// Run runs every test of the suite, each on its own queue:
//   - at most Workers jobs run at once and QueueSize wait; one more is a
//     *jobs.FullError (What "queue", Limit QueueSize) with a Retry-After
//     between 1 s and the running jobs' deadline; every job then ends Done
//     with its result;
//   - a cancelled job (queued or running) is Cancelled at once, stays so
//     whatever its work returns, never commits, and its work's context ends
//     within a second; a commit in progress holds the cancel back;
//   - failures keep their reason (status, code, message, details), a panic
//     or an unregistered kind fails the job, and a timeout is a "timeout";
//   - arguments reach the worker as the JSON submitted, progress is
//     readable while the job runs, the result after;
//   - Wait honours its context, Forget drops final jobs only, and unknown
//     ids are jobs.ErrNotFound;
//   - a queue that stops (Close) while a job works lets it commit nothing
//     when its commit comes after the stop (the job runs again on a later
//     start or another replica, or is cancelled), and does not run again a
//     job whose commit was in progress at the stop.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"BoundsWorkersAndQueue", testBounds},
		{"CancelStaysCancelledAndSkipsCommit", testCancel},
		{"CommitHoldsCancel", testCommitHoldsCancel},
		{"Failures", testFailures},
		{"ArgsProgressResult", testProgress},
		{"WaitForgetUnknown", testWaitForget},
		{"StopCommitsOnce", testStopCommitsOnce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// block is work that runs until released or cancelled, counting how many
// run at once.
type block struct {
	release chan struct{}
	now     atomic.Int32
	peak    atomic.Int32
	started atomic.Int32
}

func newBlock() *block { return &block{release: make(chan struct{})} }

func (b *block) work(ctx context.Context, _ json.RawMessage, report func(any)) (any, error) {
	n := b.now.Add(1)
	defer b.now.Add(-1)
	b.started.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	report("started")
	select {
	case <-b.release:
		return "ok", nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Wait waits (10 s at most) for job id to end.
func Wait(t *testing.T, q jobs.Queue, id string) jobs.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err := q.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return j
}

// Eventually polls cond every 10 ms for up to d.
func Eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, d)
		}
	}
}

func state(q jobs.Queue, id string) jobs.State {
	j, err := q.Get(context.Background(), id)
	if err != nil {
		return ""
	}
	return j.State
}

func testBounds(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 2, QueueSize: 3})
	b := newBlock()
	q.Register("k", b.work)
	var ids []string
	for i := 0; i < 5; i++ {
		j, err := q.Submit(ctx, jobs.Spec{Kind: "k", Timeout: time.Minute})
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		if j.State != jobs.Queued && j.State != jobs.Running {
			t.Fatalf("submitted job is %s", j.State)
		}
		ids = append(ids, j.ID)
	}
	_, err := q.Submit(ctx, jobs.Spec{Kind: "k"})
	var fe *jobs.FullError
	if !errors.As(err, &fe) || fe.What != "queue" || fe.Limit != 3 || fe.RetryAfter < time.Second {
		t.Fatalf("6th submit: %v (%+v)", err, fe)
	}
	if fe.RetryAfter > time.Minute {
		t.Errorf("retry after %v beyond the running jobs' deadline", fe.RetryAfter)
	}
	Eventually(t, "two jobs running", 10*time.Second, func() bool { return b.now.Load() == 2 })
	time.Sleep(100 * time.Millisecond) // a third would have started by now
	running, queued := 0, 0
	for _, id := range ids {
		switch state(q, id) {
		case jobs.Running:
			running++
		case jobs.Queued:
			queued++
		}
	}
	if running != 2 || queued != 3 || b.now.Load() != 2 {
		t.Fatalf("running %d queued %d (working %d), want 2 and 3", running, queued, b.now.Load())
	}
	close(b.release)
	for _, id := range ids {
		if j := Wait(t, q, id); j.State != jobs.Done || string(j.Result) != `"ok"` || j.Ended.IsZero() || j.Started.IsZero() {
			t.Fatalf("job %s: %+v", id, j)
		}
	}
	if p := b.peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want 2", p)
	}
}

func testCancel(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 1, QueueSize: 1})
	started := make(chan struct{})
	returned := make(chan struct{})
	var committed, ranQueued atomic.Bool
	q.Register("solve", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		defer close(returned)
		close(started)
		<-ctx.Done()
		// like vrp.Solve: a cancelled search returns its best plan, no error
		err := jobs.Commit(ctx, func() error { committed.Store(true); return nil })
		if !errors.Is(err, jobs.ErrCancelled) {
			t.Errorf("commit after cancel: %v", err)
		}
		return "plan", nil
	})
	q.Register("other", func(context.Context, json.RawMessage, func(any)) (any, error) {
		ranQueued.Store(true)
		return nil, nil
	})
	j, err := q.Submit(ctx, jobs.Spec{Kind: "solve"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not start")
	}
	queued, err := q.Submit(ctx, jobs.Spec{Kind: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := q.Cancel(ctx, queued.ID); err != nil || c.State != jobs.Cancelled {
		t.Fatalf("cancel queued: %v %s", err, c.State)
	}
	t0 := time.Now()
	c, err := q.Cancel(ctx, j.ID)
	if err != nil || c.State != jobs.Cancelled || c.Ended.IsZero() {
		t.Fatalf("cancel: %v %+v", err, c)
	}
	select {
	case <-returned:
		t.Logf("work returned %s after the cancel", time.Since(t0))
	case <-time.After(time.Second):
		t.Fatal("work still running a second after cancel")
	}
	time.Sleep(200 * time.Millisecond)
	for _, id := range []string{j.ID, queued.ID} {
		if g, err := q.Get(ctx, id); err != nil || g.State != jobs.Cancelled || g.Result != nil {
			t.Fatalf("after the work returned: %v %s %s", err, g.State, g.Result)
		}
		if w := Wait(t, q, id); w.State != jobs.Cancelled {
			t.Fatalf("wait on a cancelled job: %s", w.State)
		}
	}
	if committed.Load() {
		t.Fatal("a cancelled job committed its side effects")
	}
	if ranQueued.Load() {
		t.Fatal("a cancelled queued job ran")
	}
	if c, err := q.Cancel(ctx, j.ID); err != nil || c.State != jobs.Cancelled {
		t.Fatalf("second cancel: %v %s", err, c.State)
	}
	Eventually(t, "worker slot free", 5*time.Second, func() bool { r, _, _ := q.Stats(); return r == 0 })
}

func testCommitHoldsCancel(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 1})
	inCommit := make(chan struct{})
	q.Register("k", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		return "r", jobs.Commit(ctx, func() error {
			close(inCommit)
			time.Sleep(300 * time.Millisecond)
			return nil
		})
	})
	j, err := q.Submit(ctx, jobs.Spec{Kind: "k"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-inCommit:
	case <-time.After(10 * time.Second):
		t.Fatal("no commit")
	}
	// the cancel waits for the commit; it then finds the job committed
	// (Done or Cancelled both allowed), but must not return before it
	start := time.Now()
	_, _ = q.Cancel(ctx, j.ID)
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("cancel did not wait for the commit in progress")
	}
}

func testFailures(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 2, QueueSize: 4})
	q.Register("plain", func(context.Context, json.RawMessage, func(any)) (any, error) { return nil, errors.New("bad") })
	q.Register("reason", func(context.Context, json.RawMessage, func(any)) (any, error) {
		return nil, &jobs.Failure{Status: 422, Code: "limit_exceeded", Message: "jobs: too many", Details: map[string]any{"path": "jobs", "limit": 5.0}}
	})
	q.Register("panic", func(context.Context, json.RawMessage, func(any)) (any, error) { panic("boom") })
	q.Register("slow", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	for _, tc := range []struct {
		kind    string
		timeout time.Duration
		want    jobs.Failure
	}{
		{"plain", 0, jobs.Failure{Status: 500, Code: "failed", Message: "bad"}},
		{"reason", 0, jobs.Failure{Status: 422, Code: "limit_exceeded", Message: "jobs: too many", Details: map[string]any{"path": "jobs", "limit": 5.0}}},
		{"panic", 0, jobs.Failure{Status: 500, Code: "failed"}},
		{"nobody-runs-this", 0, jobs.Failure{Status: 500, Code: "no_worker"}},
		{"slow", 300 * time.Millisecond, jobs.Failure{Status: 504, Code: "timeout"}},
	} {
		j, err := q.Submit(ctx, jobs.Spec{Kind: tc.kind, Timeout: tc.timeout})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		g := Wait(t, q, j.ID)
		if g.State != jobs.Failed || g.Err == nil || g.Err.Status != tc.want.Status || g.Err.Code != tc.want.Code ||
			(tc.want.Message != "" && g.Err.Message != tc.want.Message) || g.Result != nil {
			t.Fatalf("%s: %s %+v, want failed with %+v", tc.kind, g.State, g.Err, tc.want)
		}
		if tc.want.Details != nil && (g.Err.Details["path"] != "jobs" || g.Err.Details["limit"] != 5.0) {
			t.Fatalf("%s: details %v", tc.kind, g.Err.Details)
		}
		if g.Err.Message == "" {
			t.Fatalf("%s: no message", tc.kind)
		}
	}
}

func testProgress(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 1})
	type args struct {
		Problem json.RawMessage `json:"problem"`
		Seed    uint64          `json:"seed"`
	}
	release := make(chan struct{})
	var got atomic.Value
	q.Register("k", func(ctx context.Context, raw json.RawMessage, report func(any)) (any, error) {
		var a args
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		got.Store(a)
		report(map[string]any{"iteration": 1})
		report(map[string]any{"iteration": 2, "cost": 12.5})
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return map[string]any{"routes": []int{1, 2}, "seed": a.Seed}, nil
	})
	in := args{Problem: json.RawMessage(`{"vehicles":[{"id":1}]}`), Seed: 18446744073709551615}
	j, err := q.Submit(ctx, jobs.Spec{Kind: "k", Owner: "disp", Timeout: time.Minute, Args: in})
	if err != nil {
		t.Fatal(err)
	}
	if j.Kind != "k" || j.Owner != "disp" || j.Created.IsZero() || j.Timeout != time.Minute {
		t.Fatalf("submitted: %+v", j)
	}
	Eventually(t, "progress", 10*time.Second, func() bool {
		g, _ := q.Get(ctx, j.ID)
		return g.State == jobs.Running && string(g.Progress) == `{"cost":12.5,"iteration":2}`
	})
	if a, _ := got.Load().(args); a.Seed != in.Seed || string(a.Problem) != string(in.Problem) {
		t.Fatalf("worker got %+v", a)
	}
	close(release)
	g := Wait(t, q, j.ID)
	if g.State != jobs.Done || string(g.Result) != `{"routes":[1,2],"seed":18446744073709551615}` || g.Owner != "disp" || g.Attempt != 1 {
		t.Fatalf("done: %+v %s", g, g.Result)
	}
	if !g.Created.Before(g.Ended) && !g.Created.Equal(g.Ended) || g.Started.Before(g.Created) || g.Ended.Before(g.Started) {
		t.Fatalf("times: created %v started %v ended %v", g.Created, g.Started, g.Ended)
	}
}

func testWaitForget(t *testing.T, open Open) {
	ctx := context.Background()
	q := open(t, jobs.Options{Workers: 1})
	b := newBlock()
	q.Register("k", b.work)
	j, err := q.Submit(ctx, jobs.Spec{Kind: "k"})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := q.Wait(wctx, j.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with a short context: %v", err)
	}
	cancel()
	q.Forget(ctx, j.ID) // live: kept
	if _, err := q.Get(ctx, j.ID); err != nil {
		t.Fatalf("forgot a live job: %v", err)
	}
	close(b.release)
	Wait(t, q, j.ID)
	q.Forget(ctx, j.ID)
	if _, err := q.Get(ctx, j.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("forgotten job: %v", err)
	}
	for name, f := range map[string]func() error{
		"get":    func() error { _, err := q.Get(ctx, "nope"); return err },
		"cancel": func() error { _, err := q.Cancel(ctx, "nope"); return err },
		"wait":   func() error { _, err := q.Wait(ctx, "nope"); return err },
	} {
		if err := f(); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("%s of an unknown job: %v", name, err)
		}
	}
}

// closer is the stop both queues have.
type closer interface {
	Close(ctx context.Context) error
}

func testStopCommitsOnce(t *testing.T, open Open) {
	ctx := context.Background()
	// the stop comes before the commit: nothing is published
	q := open(t, jobs.Options{Workers: 1})
	c, ok := q.(closer)
	if !ok {
		t.Skip("the queue has no Close")
	}
	var published, runs atomic.Int32
	started := make(chan struct{}, 4)
	q.Register("late", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		runs.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		return "plan", jobs.Commit(ctx, func() error { published.Add(1); return nil })
	})
	j, err := q.Submit(ctx, jobs.Spec{Kind: "late"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job did not start")
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if g, err := q.Get(ctx, j.ID); err != nil || g.State == jobs.Done || published.Load() != 0 {
		t.Fatalf("job stopped before its commit: %v %+v, %d commits", err, g, published.Load())
	}

	// the stop comes during the commit: the job ends, once
	q = open(t, jobs.Options{Workers: 1})
	c = q.(closer)
	inCommit, release := make(chan struct{}), make(chan struct{})
	published.Store(0)
	q.Register("committing", func(ctx context.Context, _ json.RawMessage, _ func(any)) (any, error) {
		runs.Add(1)
		return "plan", jobs.Commit(ctx, func() error {
			close(inCommit)
			<-release
			published.Add(1)
			return nil
		})
	})
	j, err = q.Submit(ctx, jobs.Spec{Kind: "committing"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-inCommit:
	case <-time.After(10 * time.Second):
		t.Fatal("no commit")
	}
	runs.Store(0)
	closed := make(chan error, 1)
	go func() { closed <- c.Close(ctx) }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("close did not return")
	}
	g, err := q.Get(ctx, j.ID)
	if err != nil || (g.State != jobs.Done && g.State != jobs.Cancelled) || published.Load() != 1 || runs.Load() != 0 {
		t.Fatalf("job stopped during its commit: %v %+v, %d commits, %d runs after", err, g, published.Load(), runs.Load())
	}
}
