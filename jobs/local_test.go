package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// block is work that runs until released or cancelled, counting how many
// run at once.
type block struct {
	release chan struct{}
	now     atomic.Int32
	peak    atomic.Int32
}

func newBlock() *block { return &block{release: make(chan struct{})} }

func (b *block) work(ctx context.Context, report func(any)) (any, error) {
	n := b.now.Add(1)
	defer b.now.Add(-1)
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

func wait(t *testing.T, q *Local, id string) Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err := q.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return j
}

func TestLocalBoundsWorkersAndQueue(t *testing.T) {
	q := NewLocal(Options{Workers: 2, QueueSize: 3})
	b := newBlock()
	var ids []string
	for i := 0; i < 5; i++ {
		j, err := q.Submit(Spec{Kind: "k", Timeout: time.Minute, Work: b.work})
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		ids = append(ids, j.ID)
	}
	_, err := q.Submit(Spec{Kind: "k", Work: b.work})
	var fe *FullError
	if !errors.As(err, &fe) || fe.What != "queue" || fe.Limit != 3 || fe.RetryAfter < time.Second {
		t.Fatalf("6th submit: %v (%+v)", err, fe)
	}
	if fe.RetryAfter > time.Minute {
		t.Errorf("retry after %v beyond the running jobs' deadline", fe.RetryAfter)
	}
	if r, w, _ := q.Stats(); r != 2 || w != 3 {
		t.Fatalf("running %d waiting %d, want 2 and 3", r, w)
	}
	if j, _ := q.Get(ids[4]); j.State != Queued {
		t.Fatalf("5th job is %s, want queued", j.State)
	}
	for deadline := time.Now().Add(5 * time.Second); b.now.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(b.release)
	for _, id := range ids {
		if j := wait(t, q, id); j.State != Done || j.Result != "ok" {
			t.Fatalf("job %s: %+v", id, j)
		}
	}
	if p := b.peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want 2", p)
	}
}

func TestLocalCancelStaysCancelledAndSkipsCommit(t *testing.T) {
	q := NewLocal(Options{Workers: 1, QueueSize: 1})
	started := make(chan struct{})
	returned := make(chan struct{})
	var committed atomic.Bool
	j, err := q.Submit(Spec{Kind: "solve", Work: func(ctx context.Context, _ func(any)) (any, error) {
		defer close(returned)
		close(started)
		<-ctx.Done()
		// like vrp.Solve: a cancelled search returns its best plan, no error
		err := Commit(ctx, func() error { committed.Store(true); return nil })
		if !errors.Is(err, ErrCancelled) {
			t.Errorf("commit after cancel: %v", err)
		}
		return "plan", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := q.Submit(Spec{Kind: "solve", Work: func(context.Context, func(any)) (any, error) {
		t.Error("a cancelled queued job ran")
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if c, _ := q.Cancel(queued.ID); c.State != Cancelled {
		t.Fatalf("cancel queued: %s", c.State)
	}
	c, err := q.Cancel(j.ID)
	if err != nil || c.State != Cancelled {
		t.Fatalf("cancel: %v %s", err, c.State)
	}
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Fatal("work still running a second after cancel")
	}
	time.Sleep(10 * time.Millisecond)
	if g, _ := q.Get(j.ID); g.State != Cancelled || g.Result != nil {
		t.Fatalf("after the work returned: %s %v", g.State, g.Result)
	}
	if committed.Load() {
		t.Fatal("a cancelled job committed its side effects")
	}
	if r, w, _ := q.Stats(); r != 0 || w != 0 {
		t.Fatalf("running %d waiting %d after cancel", r, w)
	}
}

func TestLocalCommitBeforeCancel(t *testing.T) {
	q := NewLocal(Options{Workers: 1})
	inCommit := make(chan struct{})
	j, _ := q.Submit(Spec{Kind: "k", Work: func(ctx context.Context, _ func(any)) (any, error) {
		return "r", Commit(ctx, func() error {
			close(inCommit)
			time.Sleep(50 * time.Millisecond)
			return nil
		})
	}})
	<-inCommit
	// the cancel waits for the commit; the job then counts as cancelled
	// only if the commit had not happened: here it has, so Done or
	// Cancelled are both allowed, but a Cancel must not return before it
	start := time.Now()
	_, _ = q.Cancel(j.ID)
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("cancel did not wait for the commit in progress")
	}
}

func TestLocalFailurePanicAndTable(t *testing.T) {
	q := NewLocal(Options{Workers: 1, QueueSize: 1, MaxJobs: 2})
	j1, _ := q.Submit(Spec{Kind: "k", Work: func(context.Context, func(any)) (any, error) { return nil, errors.New("bad") }})
	if g := wait(t, q, j1.ID); g.State != Failed || g.Err == nil || g.Err.Error() != "bad" {
		t.Fatalf("failed job: %+v", g)
	}
	j2, _ := q.Submit(Spec{Kind: "k", Work: func(context.Context, func(any)) (any, error) { panic("boom") }})
	if g := wait(t, q, j2.ID); g.State != Failed {
		t.Fatalf("panicking job: %+v", g)
	}
	// the table holds 2: a third job evicts the oldest final one
	b := newBlock()
	j3, err := q.Submit(Spec{Kind: "k", Work: b.work})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(j1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("oldest final job still kept: %v", err)
	}
	j4, err := q.Submit(Spec{Kind: "k", Work: b.work})
	if err != nil {
		t.Fatal(err)
	}
	// table: j3 running, j4 queued; both live, so a 5th cannot enter
	var fe *FullError
	if _, err := q.Submit(Spec{Kind: "k", Work: b.work}); !errors.As(err, &fe) {
		t.Fatalf("5th submit: %v", err)
	}
	close(b.release)
	wait(t, q, j3.ID)
	wait(t, q, j4.ID)
	q.Forget(j4.ID)
	if _, err := q.Get(j4.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("forgotten job still there")
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(Spec{Kind: "k", Work: b.work}); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}
