package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Options configure a Local queue. Zero fields take the defaults.
type Options struct {
	// Workers is how many jobs run at once (default GOMAXPROCS).
	Workers int
	// QueueSize is how many jobs may wait for a worker (default 2 x Workers).
	QueueSize int
	// MaxJobs bounds the job table: live jobs plus remembered final ones
	// (default 1000). The oldest final jobs are forgotten first.
	MaxJobs int
	// Retention is how long a final job is remembered (default 1 h).
	Retention time.Duration
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.QueueSize < 0 {
		o.QueueSize = 0
	} else if o.QueueSize == 0 {
		o.QueueSize = 2 * o.Workers
	}
	if o.MaxJobs <= 0 {
		o.MaxJobs = 1000
	}
	if o.MaxJobs < o.Workers+o.QueueSize {
		o.MaxJobs = o.Workers + o.QueueSize
	}
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	return o
}

// Local is the in-process Queue: a FIFO of waiting jobs and at most
// Workers goroutines running them. Safe for concurrent use.
type Local struct {
	opts    Options
	mu      sync.Mutex
	byID    map[string]*entry
	order   []string // creation order (eviction of final jobs)
	waiting []*entry
	running int
	closed  bool
	idle    sync.WaitGroup // running work goroutines
}

type entry struct {
	job      Job
	spec     Spec
	ctx      context.Context
	cancel   context.CancelFunc
	deadline time.Time
	done     chan struct{} // closed when the job becomes final
	commitMu sync.Mutex    // held by Commit's f and by Cancel
	q        *Local
}

var _ Queue = (*Local)(nil)

// NewLocal returns an in-process queue.
func NewLocal(o Options) *Local {
	return &Local{opts: o.withDefaults(), byID: map[string]*entry{}}
}

// Options returns the options in force (defaults filled in).
func (q *Local) Options() Options { return q.opts }

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Submit implements Queue.
func (q *Local) Submit(s Spec) (Job, error) {
	if s.Work == nil {
		return Job{}, fmt.Errorf("jobs: Submit without Work")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return Job{}, ErrClosed
	}
	now := time.Now()
	q.gc(now)
	if q.running >= q.opts.Workers && len(q.waiting) >= q.opts.QueueSize {
		return Job{}, &FullError{What: "queue", Limit: q.opts.QueueSize, RetryAfter: q.retryAfter(now)}
	}
	if len(q.byID) >= q.opts.MaxJobs && !q.evictOne() {
		return Job{}, &FullError{What: "job table", Limit: q.opts.MaxJobs, RetryAfter: q.retryAfter(now)}
	}
	e := &entry{job: Job{ID: newID(), Kind: s.Kind, Owner: s.Owner, State: Queued, Created: now.UTC()}, spec: s,
		done: make(chan struct{}), q: q}
	for q.byID[e.job.ID] != nil {
		e.job.ID = newID()
	}
	q.byID[e.job.ID] = e
	q.order = append(q.order, e.job.ID)
	if q.running < q.opts.Workers {
		q.start(e, now)
	} else {
		q.waiting = append(q.waiting, e)
	}
	return e.job, nil
}

// start runs e on a new worker goroutine (q.mu held).
func (q *Local) start(e *entry, now time.Time) {
	q.running++
	ctx := context.WithValue(context.Background(), commitKey{}, e)
	if e.spec.Timeout > 0 {
		e.deadline = now.Add(e.spec.Timeout)
		ctx, e.cancel = context.WithDeadline(ctx, e.deadline)
	} else {
		ctx, e.cancel = context.WithCancel(ctx)
	}
	e.ctx = ctx
	e.job.State, e.job.Started = Running, now.UTC()
	q.idle.Add(1)
	go q.run(e)
}

func (q *Local) run(e *entry) {
	defer q.idle.Done()
	res, err := safeRun(e)
	e.cancel()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	if !e.job.State.Final() { // not cancelled meanwhile
		e.job.Ended = time.Now().UTC()
		if err != nil {
			e.job.State, e.job.Err = Failed, err
		} else {
			e.job.State, e.job.Result = Done, res
		}
		close(e.done)
	}
	now := time.Now()
	for q.running < q.opts.Workers && len(q.waiting) > 0 {
		next := q.waiting[0]
		q.waiting = q.waiting[1:]
		q.start(next, now)
	}
}

func safeRun(e *entry) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s job panicked: %v", e.spec.Kind, r)
		}
	}()
	return e.spec.Work(e.ctx, func(p any) {
		e.q.mu.Lock()
		if !e.job.State.Final() {
			e.job.Progress = p
		}
		e.q.mu.Unlock()
	})
}

// commit implements Commit for the job of e.
func (e *entry) commit(f func() error) error {
	e.commitMu.Lock()
	defer e.commitMu.Unlock()
	e.q.mu.Lock()
	st := e.job.State
	e.q.mu.Unlock()
	if st == Cancelled {
		return ErrCancelled
	}
	return f()
}

// Get implements Queue.
func (q *Local) Get(id string) (Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.byID[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	return e.job, nil
}

// Cancel implements Queue.
func (q *Local) Cancel(id string) (Job, error) {
	q.mu.Lock()
	e, ok := q.byID[id]
	q.mu.Unlock()
	if !ok {
		return Job{}, ErrNotFound
	}
	e.commitMu.Lock() // wait for a commit in progress
	defer e.commitMu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.job.State.Final() {
		return e.job, nil
	}
	if e.job.State == Queued {
		for i, w := range q.waiting {
			if w == e {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				break
			}
		}
	} else {
		e.cancel() // the worker slot frees when the work returns
	}
	e.job.State, e.job.Ended, e.job.Progress = Cancelled, time.Now().UTC(), nil
	close(e.done)
	return e.job, nil
}

// Wait implements Queue.
func (q *Local) Wait(ctx context.Context, id string) (Job, error) {
	q.mu.Lock()
	e, ok := q.byID[id]
	q.mu.Unlock()
	if !ok {
		return Job{}, ErrNotFound
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return Job{}, ctx.Err()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return e.job, nil
}

// Forget implements Queue.
func (q *Local) Forget(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e, ok := q.byID[id]; ok && e.job.State.Final() {
		delete(q.byID, id)
	}
}

// Stats reports the running and waiting jobs and the size of the table.
func (q *Local) Stats() (running, waiting, table int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.waiting), len(q.byID)
}

// Close cancels every live job and waits until their work has returned
// (or ctx ends). Later Submits fail with ErrClosed.
func (q *Local) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	var ids []string
	for id, e := range q.byID {
		if !e.job.State.Final() {
			ids = append(ids, id)
		}
	}
	q.mu.Unlock()
	for _, id := range ids {
		_, _ = q.Cancel(id)
	}
	done := make(chan struct{})
	go func() { q.idle.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gc forgets final jobs past the retention and compacts order (q.mu held).
func (q *Local) gc(now time.Time) {
	keep := q.order[:0]
	for _, id := range q.order {
		e, ok := q.byID[id]
		if !ok {
			continue
		}
		if e.job.State.Final() && now.Sub(e.job.Ended) > q.opts.Retention {
			delete(q.byID, id)
			continue
		}
		keep = append(keep, id)
	}
	q.order = keep
}

// evictOne forgets the oldest final job; false when every job is live.
func (q *Local) evictOne() bool {
	for i, id := range q.order {
		if e := q.byID[id]; e != nil && e.job.State.Final() {
			delete(q.byID, id)
			q.order = append(q.order[:i], q.order[i+1:]...)
			return true
		}
	}
	return false
}

// retryAfter estimates when a worker frees: the earliest deadline of a
// running job, at least a second (q.mu held).
func (q *Local) retryAfter(now time.Time) time.Duration {
	best := time.Duration(0)
	for _, e := range q.byID {
		if e.job.State == Running && !e.deadline.IsZero() {
			if d := e.deadline.Sub(now); best == 0 || d < best {
				best = d
			}
		}
	}
	if best <= 0 {
		best = 5 * time.Second
	}
	return max(time.Second, best.Round(time.Second))
}
