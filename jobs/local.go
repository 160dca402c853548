package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// Store, when set, keeps every job's record: a job is written when it
	// is submitted, starts and ends, so Recover finds finished jobs after a
	// restart and runs again the jobs a restart interrupted. nil keeps
	// jobs in memory only.
	Store Store
	// MaxAttempts is how many runs a job gets when restarts keep
	// interrupting it (default 3); then it fails with that reason.
	MaxAttempts int
	// Logger receives store errors (nil: slog.Default()).
	Logger *slog.Logger
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
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Local is the in-process Queue: a FIFO of waiting jobs and at most
// Workers goroutines running them. Safe for concurrent use.
type Local struct {
	opts    Options
	mu      sync.Mutex
	workers map[string]Worker
	byID    map[string]*entry
	order   []string // creation order (eviction of final jobs)
	waiting []*entry
	running int
	joining int // submitted jobs being stored, not yet running or waiting
	closed  bool
	idle    sync.WaitGroup // running work goroutines
	lastGC  time.Time      // last purge of the store
	counts  Counts
}

type entry struct {
	job         Job
	ctx         context.Context
	cancel      context.CancelFunc
	deadline    time.Time
	done        chan struct{} // closed when the job becomes final (or Close queues it again)
	doneOnce    sync.Once
	commitMu    sync.Mutex // held by Commit's f and by Cancel
	interrupted bool       // stopped by Close: queued again in the store
	persistMu   sync.Mutex // orders the writes of this job's record
	q           *Local
}

var _ Queue = (*Local)(nil)

// NewLocal returns an in-process queue.
func NewLocal(o Options) *Local {
	return &Local{opts: o.withDefaults(), byID: map[string]*entry{}, workers: map[string]Worker{}}
}

// Options returns the options in force (defaults filled in).
func (q *Local) Options() Options { return q.opts }

// Register implements Queue.
func (q *Local) Register(kind string, w Worker) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.workers[kind] = w
}

func (e *entry) markDone() { e.doneOnce.Do(func() { close(e.done) }) }

// persist writes the job's current record to the store (when there is
// one). Writes of one job are ordered and each writes the latest state, so
// the store ends with the last one.
func (e *entry) persist(ctx context.Context) error {
	st := e.q.opts.Store
	if st == nil {
		return nil
	}
	e.persistMu.Lock()
	defer e.persistMu.Unlock()
	e.q.mu.Lock()
	j := e.job.Clone()
	e.q.mu.Unlock()
	if err := st.PutJob(context.WithoutCancel(ctx), j); err != nil {
		e.q.opts.Logger.Error("jobs: cannot store the job's state", "job", j.ID, "state", j.State, "err", err)
		return err
	}
	return nil
}

// Submit implements Queue.
func (q *Local) Submit(ctx context.Context, s Spec) (Job, error) {
	args, err := Marshal(s.Args)
	if err != nil {
		return Job{}, fmt.Errorf("jobs: arguments of a %s job: %w", s.Kind, err)
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return Job{}, ErrClosed
	}
	now := time.Now()
	q.gc(now)
	if q.running+len(q.waiting)+q.joining >= q.opts.Workers+q.opts.QueueSize {
		q.mu.Unlock()
		return Job{}, &FullError{What: "queue", Limit: q.opts.QueueSize, RetryAfter: q.retryAfter(now)}
	}
	if len(q.byID) >= q.opts.MaxJobs && !q.evictOne() {
		q.mu.Unlock()
		return Job{}, &FullError{What: "job table", Limit: q.opts.MaxJobs, RetryAfter: q.retryAfter(now)}
	}
	e := &entry{job: Job{ID: NewID(), Kind: s.Kind, Owner: s.Owner, State: Queued, Created: now, Args: args, Timeout: s.Timeout},
		done: make(chan struct{}), q: q}
	e.job.Normalize()
	for q.byID[e.job.ID] != nil {
		e.job.ID = NewID()
	}
	q.byID[e.job.ID] = e
	q.order = append(q.order, e.job.ID)
	q.joining++
	q.mu.Unlock()
	// stored before it can start, so the store never misses a job
	err = e.persist(ctx)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.joining--
	if err != nil {
		delete(q.byID, e.job.ID)
		return Job{}, fmt.Errorf("jobs: store the job: %w", err)
	}
	if q.closed {
		return e.job.Clone(), nil // stays queued in the store for the next start
	}
	if q.running < q.opts.Workers {
		q.start(e, now)
	} else {
		q.waiting = append(q.waiting, e)
	}
	return e.job.Clone(), nil
}

// start runs e on a new worker goroutine (q.mu held).
func (q *Local) start(e *entry, now time.Time) {
	q.running++
	ctx := WithCommitter(context.Background(), e)
	if e.job.Timeout > 0 {
		e.deadline = now.Add(e.job.Timeout)
		ctx, e.cancel = context.WithDeadline(ctx, e.deadline)
	} else {
		ctx, e.cancel = context.WithCancel(ctx)
	}
	e.ctx = ctx
	e.job.State, e.job.Started = Running, now.UTC().Truncate(time.Microsecond)
	e.job.Attempt++
	q.idle.Add(1)
	go q.run(e)
}

func (q *Local) run(e *entry) {
	defer q.idle.Done()
	_ = e.persist(context.Background())
	q.mu.Lock()
	w := q.workers[e.job.Kind]
	q.mu.Unlock()
	res, err := safeRun(e, w)
	e.cancel()
	var raw []byte
	if err == nil {
		if raw, err = Marshal(res); err != nil {
			err = fmt.Errorf("jobs: %s result: %w", e.job.Kind, err)
		}
	}
	q.mu.Lock()
	q.running--
	final := false
	switch {
	case e.job.State.Final(): // cancelled meanwhile
	case e.interrupted && err != nil:
		// Close stopped it: queued again (in the store) for the next start
		// (a job that ended all the same keeps its end)
		e.job.State, e.job.Started, e.job.Progress = Queued, time.Time{}, nil
		q.counts.Returned++
		final = true
	default:
		e.job.Ended = time.Now().UTC().Truncate(time.Microsecond)
		if err != nil {
			e.job.State, e.job.Err = Failed, FailureOf(err)
		} else {
			e.job.State, e.job.Result = Done, raw
		}
		final = true
	}
	now := time.Now()
	for !q.closed && q.running < q.opts.Workers && len(q.waiting) > 0 {
		next := q.waiting[0]
		q.waiting = q.waiting[1:]
		q.start(next, now)
	}
	q.mu.Unlock()
	if final {
		_ = e.persist(context.Background())
		e.markDone()
	}
}

func safeRun(e *entry, w Worker) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s job panicked: %v", e.job.Kind, r)
		}
	}()
	if w == nil {
		return nil, &Failure{Status: 500, Code: "no_worker", Message: fmt.Sprintf("no worker runs %q jobs", e.job.Kind)}
	}
	return w(e.ctx, e.job.Args, func(p any) {
		raw, err := Marshal(p)
		if err != nil {
			return
		}
		e.q.mu.Lock()
		if e.job.State == Running {
			e.job.Progress = raw
		}
		e.q.mu.Unlock()
	})
}

// Commit implements Committer for the job of e. A job that Close stopped
// does not commit either (ErrClosed): it runs again at the next start and
// must not have published anything.
func (e *entry) Commit(f func() error) error {
	e.commitMu.Lock()
	defer e.commitMu.Unlock()
	e.q.mu.Lock()
	st, stopped := e.job.State, e.interrupted
	e.q.mu.Unlock()
	if st == Cancelled {
		return ErrCancelled
	}
	if stopped {
		return ErrClosed
	}
	return f()
}

// Get implements Queue.
func (q *Local) Get(_ context.Context, id string) (Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.byID[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	return e.job.Clone(), nil
}

// Cancel implements Queue.
func (q *Local) Cancel(ctx context.Context, id string) (Job, error) {
	q.mu.Lock()
	e, ok := q.byID[id]
	q.mu.Unlock()
	if !ok {
		return Job{}, ErrNotFound
	}
	e.commitMu.Lock() // wait for a commit in progress
	defer e.commitMu.Unlock()
	q.mu.Lock()
	if e.job.State.Final() {
		defer q.mu.Unlock()
		return e.job.Clone(), nil
	}
	if e.job.State == Queued {
		for i, w := range q.waiting {
			if w == e {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				break
			}
		}
	} else if e.cancel != nil {
		e.cancel() // the worker slot frees when the work returns
	}
	e.job.State, e.job.Ended, e.job.Progress = Cancelled, time.Now().UTC().Truncate(time.Microsecond), nil
	j := e.job.Clone()
	e.markDone()
	q.mu.Unlock()
	_ = e.persist(ctx)
	return j, nil
}

// Wait implements Queue. A job that Close queued again for the next start
// returns ErrClosed.
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
	if !e.job.State.Final() {
		return Job{}, ErrClosed
	}
	return e.job.Clone(), nil
}

// Forget implements Queue.
func (q *Local) Forget(ctx context.Context, id string) {
	q.mu.Lock()
	e, ok := q.byID[id]
	if !ok || !e.job.State.Final() {
		q.mu.Unlock()
		return
	}
	delete(q.byID, id)
	q.mu.Unlock()
	if q.opts.Store != nil {
		e.persistMu.Lock()
		defer e.persistMu.Unlock()
		if err := q.opts.Store.DeleteJob(context.WithoutCancel(ctx), id); err != nil {
			q.opts.Logger.Warn("jobs: cannot delete a finished job from the store", "job", id, "err", err)
		}
	}
}

// Stats implements Queue.
func (q *Local) Stats() (running, waiting, table int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.waiting), len(q.byID)
}

// Counts implements Queue: Recover's jobs queued again and failed, and
// the running jobs Close gave back to the store.
func (q *Local) Counts() Counts {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.counts
}

// Recover loads the store's jobs (call it once, after the workers are
// registered and before serving): final jobs within the retention can be
// read again, and jobs that a stop interrupted (queued, or running when
// the process ended) are queued again, unless they have had MaxAttempts
// runs already: those fail, saying so. Without a store it does nothing.
func (q *Local) Recover(ctx context.Context) (requeued, failed int, err error) {
	st := q.opts.Store
	if st == nil {
		return 0, 0, nil
	}
	js, err := st.ListJobs(ctx, Filter{})
	if err != nil {
		return 0, 0, fmt.Errorf("jobs: recover: %w", err)
	}
	now := time.Now()
	var persist []*entry
	q.mu.Lock()
	for _, j := range js {
		if q.byID[j.ID] != nil {
			continue
		}
		e := &entry{job: j, done: make(chan struct{}), q: q}
		switch {
		case j.State.Final():
			if now.Sub(j.Ended) > q.opts.Retention {
				continue // DeleteJobs takes it out
			}
			e.markDone()
		case j.Attempt >= q.opts.MaxAttempts:
			e.job.State, e.job.Ended, e.job.Progress = Failed, now.UTC().Truncate(time.Microsecond), nil
			e.job.Err = &Failure{Status: 503, Code: "interrupted", Message: fmt.Sprintf(
				"the server stopped during each of this job's %d runs; submit it again", j.Attempt)}
			e.markDone()
			persist = append(persist, e)
			failed++
		default:
			e.job.State, e.job.Started, e.job.Progress = Queued, time.Time{}, nil
			q.waiting = append(q.waiting, e)
			persist = append(persist, e)
			requeued++
		}
		q.byID[j.ID] = e
		q.order = append(q.order, j.ID)
	}
	q.counts.Rescued += int64(requeued)
	q.counts.GivenUp += int64(failed)
	for !q.closed && q.running < q.opts.Workers && len(q.waiting) > 0 {
		next := q.waiting[0]
		q.waiting = q.waiting[1:]
		q.start(next, now)
	}
	q.mu.Unlock()
	for _, e := range persist {
		_ = e.persist(ctx)
	}
	return requeued, failed, nil
}

// Close stops the queue at once: later Submits fail with ErrClosed, and
// every running job's context ends. Without a store the live jobs are
// cancelled; with one they stay queued in the store (the running ones once
// their work returns), for Recover to run again at the next start. It
// waits until the work has returned (or ctx ends).
func (q *Local) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	var live []string
	for id, e := range q.byID {
		if e.job.State.Final() {
			continue
		}
		if q.opts.Store == nil {
			live = append(live, id)
		} else if e.job.State == Running {
			e.interrupted = true
			e.cancel()
		}
	}
	if q.opts.Store != nil {
		for _, e := range q.waiting {
			e.markDone() // Wait: ErrClosed; the store keeps it queued
		}
		q.waiting = nil
	}
	q.mu.Unlock()
	for _, id := range live {
		_, _ = q.Cancel(ctx, id)
	}
	return q.wait(ctx)
}

func (q *Local) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { q.idle.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown is the graceful stop: no new jobs and no more starts, then it
// waits for the running jobs until grace ends, then Close (jobs still
// running are queued again in the store, or cancelled without one).
func (q *Local) Shutdown(ctx context.Context, grace time.Duration) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	gctx, cancel := context.WithTimeout(ctx, grace)
	err := q.wait(gctx)
	cancel()
	if err == nil {
		return q.Close(ctx)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return q.Close(ctx)
}

// gc forgets final jobs past the retention and compacts order (q.mu
// held); at most once a minute it also purges them from the store.
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
	if st := q.opts.Store; st != nil && now.Sub(q.lastGC) > time.Minute {
		q.lastGC = now
		cut := now.Add(-q.opts.Retention)
		go func() {
			if _, err := st.DeleteJobs(context.Background(), cut); err != nil && !errors.Is(err, context.Canceled) {
				q.opts.Logger.Warn("jobs: cannot purge old jobs from the store", "err", err)
			}
		}()
	}
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
	return RetryAfter(now, func(yield func(time.Time) bool) {
		for _, e := range q.byID {
			if e.job.State == Running && !e.deadline.IsZero() && !yield(e.deadline) {
				return
			}
		}
	})
}

// RetryAfter is the wait a full queue suggests: until the earliest
// deadline of a running job (5 s when none has one), at least a second,
// in whole seconds.
func RetryAfter(now time.Time, deadlines func(yield func(time.Time) bool)) time.Duration {
	best := time.Duration(0)
	for d := range deadlines {
		if left := d.Sub(now); best == 0 || left < best {
			best = left
		}
	}
	if best <= 0 {
		best = 5 * time.Second
	}
	return max(time.Second, best.Round(time.Second))
}
