package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"lifeline/jobs"
)

// River is the jobs.Queue of replicas sharing one PostgreSQL: every job is
// a row of our jobs table (state, progress, result, reason: readable and
// cancellable from any replica) and a River job (github.com/riverqueue/
// river) that makes one replica run it. Any replica runs any job: the
// workers are registered by kind on every replica and read the job's
// arguments from its row.
//
//   - Submit inserts the row and the River job in one transaction, after
//     counting the live jobs under an advisory lock: Workers + QueueSize live
//     jobs across the cluster is full (429 with Retry-After).
//   - The replica that runs a job claims the row (running, its node name,
//     a heartbeat), writes progress at most every ProgressEvery and the
//     heartbeat every Heartbeat; a write that finds the row no longer
//     running (cancelled) stops the work.
//   - Cancel marks the row cancelled (a cancel sticks: nothing the work
//     returns changes it), cancels the work at once when it runs here and
//     asks River to cancel it everywhere (JobCancel).
//   - A replica that dies mid-solve leaves a running row whose heartbeat
//     stops: after OrphanAfter any replica queues it again (a new River
//     job; the dead one's River job can no longer claim it), or marks it
//     failed after MaxAttempts runs.
//   - Shutdown stops taking jobs, waits for the running ones up to a grace
//     period, then stops them: they go back to queued and River retries
//     them on another replica.
type River struct {
	s      *Store
	opts   RiverOptions
	client *river.Client[pgx.Tx]

	mu       sync.Mutex
	workers  map[string]jobs.Worker
	local    map[string]*riverRun // jobs running in this process
	stopping bool
	stop     chan struct{}
	bg       sync.WaitGroup

	rescued, givenUp, returned atomic.Int64 // Counts
}

// RiverOptions configure NewRiver. Zero fields take the defaults.
type RiverOptions struct {
	// Workers is how many jobs this replica runs at once (default 1).
	Workers int
	// QueueSize is how many more jobs may be live (queued or running)
	// across the cluster before Submit answers *jobs.FullError (default 2
	// x Workers): the cluster holds at most Workers + QueueSize.
	QueueSize int
	// Retention is how long a final job is kept (default 1 h).
	Retention time.Duration
	// Heartbeat is how often a running job's replica says it is alive
	// (default 1 s); OrphanAfter is the silence after which another
	// replica takes the job over (default 15 s, at least 3 heartbeats).
	Heartbeat, OrphanAfter time.Duration
	// ProgressEvery bounds how often progress is written (default 200 ms).
	ProgressEvery time.Duration
	// MaxAttempts is how many runs a job gets when its replicas keep
	// stopping under it (default 3).
	MaxAttempts int
	// RescueStuckJobsAfter is River's own rescue of jobs stuck running
	// (default 1 h; our heartbeat takes over long before).
	RescueStuckJobsAfter time.Duration
	// Node names this replica in the jobs table (default host-pid).
	Node string
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
}

func (o RiverOptions) withDefaults() RiverOptions {
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.QueueSize < 0 {
		o.QueueSize = 0
	} else if o.QueueSize == 0 {
		o.QueueSize = 2 * o.Workers
	}
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = time.Second
	}
	if o.OrphanAfter <= 0 {
		o.OrphanAfter = 15 * time.Second
	}
	o.OrphanAfter = max(o.OrphanAfter, 3*o.Heartbeat)
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 200 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.RescueStuckJobsAfter <= 0 {
		o.RescueStuckJobsAfter = time.Hour
	}
	if o.Node == "" {
		h, _ := os.Hostname()
		o.Node = fmt.Sprintf("%s-%d-%s", h, os.Getpid(), jobs.NewID()[:4])
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

var _ jobs.Queue = (*River)(nil)

// riverQueue is the River queue our jobs go to.
const riverQueue = "lifeline"

// riverArgs is the River job: only our job's id (the arguments are in the
// jobs row).
type riverArgs struct {
	JobID string `json:"job_id"`
}

func (riverArgs) Kind() string { return "lifeline_job" }

type riverWorker struct {
	river.WorkerDefaults[riverArgs]
	q *River
}

// Timeout: none from River; the job's own timeout applies.
func (w *riverWorker) Timeout(*river.Job[riverArgs]) time.Duration { return -1 }

func (w *riverWorker) Work(ctx context.Context, job *river.Job[riverArgs]) error {
	return w.q.work(ctx, job.ID, job.Args.JobID)
}

// retrySoon retries a job that a stopping replica gave back after a
// second (River's default waits attempt^4 seconds).
type retrySoon struct{}

func (retrySoon) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Second) }

// NewRiver returns the queue on s's database (River's tables come from
// Open's migrations). Register the workers, then Start it.
func (s *Store) NewRiver(o RiverOptions) (*River, error) {
	o = o.withDefaults()
	q := &River{s: s, opts: o, workers: map[string]jobs.Worker{}, local: map[string]*riverRun{}, stop: make(chan struct{})}
	ws := river.NewWorkers()
	if err := river.AddWorkerSafely(ws, &riverWorker{q: q}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(s.pool), &river.Config{
		ID:                   o.Node,
		Queues:               map[string]river.QueueConfig{riverQueue: {MaxWorkers: o.Workers}},
		Workers:              ws,
		JobTimeout:           -1,
		RescueStuckJobsAfter: o.RescueStuckJobsAfter,
		RetryPolicy:          retrySoon{},
		Schema:               s.schema,
		Logger:               o.Logger.With("component", "river"),
		FetchCooldown:        20 * time.Millisecond,
		FetchPollInterval:    500 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: river client: %w", err)
	}
	q.client = client
	return q, nil
}

// Options returns the options in force.
func (q *River) Options() RiverOptions { return q.opts }

// Register implements jobs.Queue.
func (q *River) Register(kind string, w jobs.Worker) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.workers[kind] = w
}

// Start starts working jobs and the maintenance (orphaned jobs, River's
// lost jobs, purge of old ones).
func (q *River) Start(ctx context.Context) error {
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("postgis: start river: %w", err)
	}
	q.bg.Add(1)
	go q.maintain()
	return nil
}

// ----- submit, get, cancel -----

// Submit implements jobs.Queue.
func (q *River) Submit(ctx context.Context, s jobs.Spec) (jobs.Job, error) {
	args, err := jobs.Marshal(s.Args)
	if err != nil {
		return jobs.Job{}, fmt.Errorf("jobs: arguments of a %s job: %w", s.Kind, err)
	}
	q.mu.Lock()
	stopping := q.stopping
	q.mu.Unlock()
	if stopping {
		return jobs.Job{}, jobs.ErrClosed
	}
	j := jobs.Job{ID: jobs.NewID(), Kind: s.Kind, Owner: s.Owner, State: jobs.Queued, Args: args, Timeout: s.Timeout, Created: time.Now()}
	j.Normalize()
	if err := jobs.Validate(&j); err != nil {
		return jobs.Job{}, err
	}
	err = pgx.BeginFunc(ctx, q.s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('lifeline.jobs.submit.' || current_schema()))`); err != nil {
			return err
		}
		var live int
		var deadlines []time.Time
		rows, err := tx.Query(ctx, `SELECT state, CASE WHEN state = 'running' AND timeout_ns > 0
			THEN started_at + timeout_ns * interval '1 microsecond' / 1000 END FROM jobs WHERE state IN ('queued', 'running')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var st string
			var dl *time.Time
			if err := rows.Scan(&st, &dl); err != nil {
				rows.Close()
				return err
			}
			live++
			if dl != nil {
				deadlines = append(deadlines, *dl)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if live >= q.opts.Workers+q.opts.QueueSize {
			return &jobs.FullError{What: "queue", Limit: q.opts.QueueSize, RetryAfter: jobs.RetryAfter(time.Now(), func(yield func(time.Time) bool) {
				for _, d := range deadlines {
					if !yield(d) {
						return
					}
				}
			})}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO jobs (id, kind, owner, state, args, timeout_ns, attempt, created_at)
			VALUES ($1, $2, $3, 'queued', $4::json, $5, 0, $6)`, j.ID, j.Kind, j.Owner, jsonOrNil(j.Args), int64(j.Timeout), j.Created); err != nil {
			return err
		}
		return q.enqueueTx(ctx, tx, j.ID)
	})
	if err != nil {
		var fe *jobs.FullError
		if errors.As(err, &fe) {
			return jobs.Job{}, fe
		}
		return jobs.Job{}, fmt.Errorf("postgis: submit job: %w", err)
	}
	return j, nil
}

// enqueueTx inserts a River job for our job id and points the row at it.
func (q *River) enqueueTx(ctx context.Context, tx pgx.Tx, id string) error {
	res, err := q.client.InsertTx(ctx, tx, riverArgs{JobID: id}, &river.InsertOpts{Queue: riverQueue, MaxAttempts: q.opts.MaxAttempts + 1})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE jobs SET river_id = $2 WHERE id = $1`, id, res.Job.ID)
	return err
}

// Get implements jobs.Queue.
func (q *River) Get(ctx context.Context, id string) (jobs.Job, error) {
	j, err := q.s.GetJob(ctx, id)
	if errors.Is(err, jobs.ErrNotFound) {
		return jobs.Job{}, jobs.ErrNotFound
	}
	return j, err
}

// Cancel implements jobs.Queue.
func (q *River) Cancel(ctx context.Context, id string) (jobs.Job, error) {
	var riverID *int64
	err := q.s.pool.QueryRow(ctx, `UPDATE jobs SET state = 'cancelled', ended_at = now(), progress = NULL
		WHERE id = $1 AND state IN ('queued', 'running') RETURNING river_id`, id).Scan(&riverID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return jobs.Job{}, fmt.Errorf("postgis: cancel job %s: %w", id, err)
	}
	if err == nil {
		q.mu.Lock()
		if r := q.local[id]; r != nil {
			r.cancel() // it runs here: stop it now
		}
		q.mu.Unlock()
		if riverID != nil {
			if _, err := q.client.JobCancel(context.WithoutCancel(ctx), *riverID); err != nil && !errors.Is(err, river.ErrNotFound) {
				q.opts.Logger.Warn("jobs: river could not cancel the job (it stops at its next heartbeat)", "job", id, "err", err)
			}
		}
	}
	return q.Get(ctx, id)
}

// Wait implements jobs.Queue: it polls the job's row (10 ms, doubling to
// 200 ms), so it sees a job run by any replica end.
func (q *River) Wait(ctx context.Context, id string) (jobs.Job, error) {
	d := 10 * time.Millisecond
	for {
		j, err := q.Get(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return jobs.Job{}, ctx.Err()
			}
			return jobs.Job{}, err
		}
		if j.State.Final() {
			return j, nil
		}
		q.mu.Lock()
		var done <-chan struct{}
		if r := q.local[id]; r != nil {
			done = r.done
		}
		q.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return jobs.Job{}, ctx.Err()
		case <-t.C:
		case <-done:
			t.Stop()
		}
		d = min(2*d, 200*time.Millisecond)
	}
}

// Forget implements jobs.Queue.
func (q *River) Forget(ctx context.Context, id string) {
	if _, err := q.s.pool.Exec(context.WithoutCancel(ctx), `DELETE FROM jobs WHERE id = $1 AND state IN ('done', 'failed', 'cancelled')`, id); err != nil {
		q.opts.Logger.Warn("jobs: cannot delete a finished job", "job", id, "err", err)
	}
}

// Stats implements jobs.Queue: the jobs running and waiting across the
// cluster, and the jobs kept (zeros when the database does not answer).
func (q *River) Stats() (running, waiting, table int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = q.s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'queued'), count(*) FROM jobs`).
		Scan(&running, &waiting, &table)
	return running, waiting, table
}

// ----- running a job -----

// riverRun is a job running in this process.
type riverRun struct {
	q        *River
	id       string
	riverID  int64
	stop     context.Context // River's context of the work: ends when this replica stops
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	progress json.RawMessage // latest, not yet written
}

// Commit implements jobs.Committer: f runs while the job's row is locked and
// still running, so a Cancel (an UPDATE of the row) waits for f, and f
// never runs after a cancel. Once this replica stops, f does not run
// either (jobs.ErrClosed): the job goes back to the queue and runs again
// elsewhere, and must not have published anything.
func (r *riverRun) Commit(f func() error) error {
	if r.stop.Err() != nil {
		return jobs.ErrClosed
	}
	ctx := context.Background()
	var ran bool
	var ferr error
	err := pgx.BeginFunc(ctx, r.q.s.pool, func(tx pgx.Tx) error {
		var st string
		err := tx.QueryRow(ctx, `SELECT state FROM jobs WHERE id = $1 AND river_id = $2 FOR UPDATE`, r.id, r.riverID).Scan(&st)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && st != string(jobs.Running)) {
			return nil
		}
		if err != nil {
			return err
		}
		ran, ferr = true, f()
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgis: commit job %s: %w", r.id, err)
	}
	if !ran {
		return jobs.ErrCancelled
	}
	return ferr
}

// work runs our job id for River job riverID.
func (q *River) work(ctx context.Context, riverID int64, id string) error {
	var kind string
	var args []byte
	var timeout int64
	var attempt int
	err := q.s.pool.QueryRow(ctx, `UPDATE jobs SET state = 'running', started_at = now(), attempt = attempt + 1, node = $3,
		heartbeat_at = now(), progress = NULL WHERE id = $1 AND river_id = $2 AND state IN ('queued', 'running')
		RETURNING kind, args, timeout_ns, attempt`, id, riverID, q.opts.Node).Scan(&kind, &args, &timeout, &attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // cancelled, final, or taken over by a newer River job
	}
	if err != nil {
		return err // River retries
	}
	if attempt > q.opts.MaxAttempts {
		q.givenUp.Add(1)
		q.finish(id, riverID, jobs.Failed, nil, interrupted(attempt-1))
		return nil
	}
	q.mu.Lock()
	w := q.workers[kind]
	q.mu.Unlock()
	return q.execute(ctx, riverID, id, kind, w, args, timeout)
}

// execute runs a claimed job on ctx with its timeout, heartbeat and
// progress, and records how it ended.
func (q *River) execute(ctx context.Context, riverID int64, id, kind string, w jobs.Worker, args json.RawMessage, timeout int64) error {
	wctx, cancel := context.WithCancel(ctx)
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(time.Duration(timeout))
		wctx, cancel = context.WithDeadline(ctx, deadline)
	}
	r := &riverRun{q: q, id: id, riverID: riverID, stop: ctx, cancel: cancel, done: make(chan struct{})}
	wctx = jobs.WithCommitter(wctx, r)
	q.mu.Lock()
	q.local[id] = r
	q.mu.Unlock()
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); r.beat(wctx) }()

	res, werr := runWorker(wctx, kind, w, args, r.report)
	cancel()
	<-hbDone
	defer func() {
		q.mu.Lock()
		delete(q.local, id)
		q.mu.Unlock()
		close(r.done)
	}()
	q.mu.Lock()
	stopping := q.stopping
	q.mu.Unlock()
	switch {
	case werr != nil && ctx.Err() != nil && stopping && (deadline.IsZero() || time.Now().Before(deadline)):
		// this replica stops: give the job back, River runs it again
		// elsewhere (a job that ended all the same keeps its end)
		if _, err := q.s.pool.Exec(context.Background(), `UPDATE jobs SET state = 'queued', started_at = NULL, progress = NULL, node = ''
			WHERE id = $1 AND river_id = $2 AND state = 'running'`, id, riverID); err != nil {
			q.opts.Logger.Error("jobs: cannot queue a stopped job again", "job", id, "err", err)
		} else {
			q.returned.Add(1)
		}
		return fmt.Errorf("jobs: replica %s stopped during the job", q.opts.Node)
	case werr != nil:
		q.finish(id, riverID, jobs.Failed, nil, jobs.FailureOf(werr))
	default:
		raw, err := jobs.Marshal(res)
		if err != nil {
			q.finish(id, riverID, jobs.Failed, nil, jobs.FailureOf(fmt.Errorf("jobs: %s result: %w", kind, err)))
		} else {
			q.finish(id, riverID, jobs.Done, raw, nil)
		}
	}
	return nil
}

func interrupted(runs int) *jobs.Failure {
	return &jobs.Failure{Status: 503, Code: "interrupted", Message: fmt.Sprintf(
		"the replica running this job stopped during each of its %d runs; submit it again", runs)}
}

func runWorker(ctx context.Context, kind string, w jobs.Worker, args json.RawMessage, report func(any)) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s job panicked: %v", kind, r)
		}
	}()
	if w == nil {
		return nil, &jobs.Failure{Status: 500, Code: "no_worker", Message: fmt.Sprintf("no worker runs %q jobs", kind)}
	}
	return w(ctx, args, report)
}

// finish writes a job's end, unless it was cancelled or taken over.
func (q *River) finish(id string, riverID int64, st jobs.State, result json.RawMessage, f *jobs.Failure) {
	fail, err := failureJSON(f)
	if err == nil {
		_, err = q.s.pool.Exec(context.Background(), `UPDATE jobs SET state = $3, result = $4::json, failure = $5::jsonb, ended_at = now()
			WHERE id = $1 AND river_id = $2 AND state = 'running'`, id, riverID, string(st), jsonOrNil(result), fail)
	}
	if err != nil {
		q.opts.Logger.Error("jobs: cannot record the job's end", "job", id, "state", st, "err", err)
	}
}

func (r *riverRun) report(p any) {
	raw, err := jobs.Marshal(p)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.progress = raw
	r.mu.Unlock()
}

// beat writes progress (at most every ProgressEvery) and the heartbeat
// (every Heartbeat) until ctx ends; a write that finds the row no longer
// running here cancels the work.
func (r *riverRun) beat(ctx context.Context) {
	o := r.q.opts
	tick := time.NewTicker(o.ProgressEvery)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		p := r.progress
		r.progress = nil
		r.mu.Unlock()
		if p == nil && time.Since(last) < o.Heartbeat {
			continue
		}
		last = time.Now()
		tag, err := r.q.s.pool.Exec(ctx, `UPDATE jobs SET heartbeat_at = now(), progress = coalesce($3::json, progress)
			WHERE id = $1 AND river_id = $2 AND state = 'running'`, r.id, r.riverID, jsonOrNil(p))
		if err != nil {
			if ctx.Err() == nil {
				o.Logger.Warn("jobs: heartbeat failed", "job", r.id, "err", err)
			}
			continue
		}
		if tag.RowsAffected() == 0 {
			r.cancel() // cancelled from another replica
			return
		}
	}
}

// ----- maintenance -----

func (q *River) maintain() {
	defer q.bg.Done()
	every := max(100*time.Millisecond, q.opts.OrphanAfter/5)
	tick := time.NewTicker(min(every, 2*time.Second))
	defer tick.Stop()
	lastPurge := time.Time{}
	for {
		select {
		case <-q.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := q.rescue(ctx); err != nil && ctx.Err() == nil {
			q.opts.Logger.Warn("jobs: maintenance", "err", err)
		}
		if time.Since(lastPurge) > time.Minute {
			lastPurge = time.Now()
			if _, err := q.s.DeleteJobs(ctx, time.Now().Add(-q.opts.Retention)); err != nil {
				q.opts.Logger.Warn("jobs: purge", "err", err)
			}
		}
		cancel()
	}
}

// rescue queues again (or fails) the running jobs whose replica stopped
// beating, and fails the live jobs whose River job has ended without them
// (River discarded it after its attempts).
func (q *River) rescue(ctx context.Context) error {
	var rescued, givenUp int64
	err := pgx.BeginFunc(ctx, q.s.pool, func(tx pgx.Tx) error {
		rescued, givenUp = 0, 0
		rows, err := tx.Query(ctx, `SELECT id, attempt, node FROM jobs WHERE state = 'running'
			AND heartbeat_at < now() - $1 * interval '1 microsecond' FOR UPDATE SKIP LOCKED`, q.opts.OrphanAfter.Microseconds())
		if err != nil {
			return err
		}
		type orphan struct {
			id, node string
			attempt  int
		}
		var orphans []orphan
		for rows.Next() {
			var o orphan
			if err := rows.Scan(&o.id, &o.attempt, &o.node); err != nil {
				rows.Close()
				return err
			}
			orphans = append(orphans, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range orphans {
			if o.attempt >= q.opts.MaxAttempts {
				fail, _ := failureJSON(interrupted(o.attempt))
				if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'failed', failure = $2::jsonb, ended_at = now() WHERE id = $1`, o.id, fail); err != nil {
					return err
				}
				q.opts.Logger.Warn("jobs: a job's replica stopped; it had its runs", "job", o.id, "replica", o.node, "runs", o.attempt)
				givenUp++
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'queued', started_at = NULL, progress = NULL, node = '' WHERE id = $1`, o.id); err != nil {
				return err
			}
			if err := q.enqueueTx(ctx, tx, o.id); err != nil {
				return err
			}
			q.opts.Logger.Warn("jobs: a job's replica stopped answering; the job is queued again", "job", o.id, "replica", o.node, "runs", o.attempt)
			rescued++
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.rescued.Add(rescued)
	q.givenUp.Add(givenUp)
	fail, _ := failureJSON(&jobs.Failure{Status: 503, Code: "interrupted", Message: "the queue gave up on this job after its replicas stopped during its runs; submit it again"})
	tag, err := q.s.pool.Exec(ctx, `UPDATE jobs j SET state = 'failed', failure = $1::jsonb, ended_at = now()
		FROM river_job r WHERE r.id = j.river_id AND j.state IN ('queued', 'running')
		AND r.state IN ('discarded', 'cancelled', 'completed') AND r.finalized_at < now() - interval '2 seconds'`, fail)
	if err == nil {
		q.givenUp.Add(tag.RowsAffected())
	}
	return err
}

// Counts implements jobs.Queue: the orphaned jobs this replica queued
// again or failed, and the running jobs it gave back at its shutdown.
func (q *River) Counts() jobs.Counts {
	return jobs.Counts{Rescued: q.rescued.Load(), GivenUp: q.givenUp.Load(), Returned: q.returned.Load()}
}

// ----- stopping -----

// Shutdown is the graceful stop: no new jobs, no more fetching; the running
// jobs get grace to finish, then they are stopped and queued again for
// another replica. It returns when the work has returned or ctx ends.
func (q *River) Shutdown(ctx context.Context, grace time.Duration) error {
	q.mu.Lock()
	already := q.stopping
	q.stopping = true
	q.mu.Unlock()
	if already {
		return nil
	}
	gctx, cancel := context.WithTimeout(ctx, grace)
	err := q.client.Stop(gctx)
	cancel()
	if err != nil && ctx.Err() == nil {
		err = q.client.StopAndCancel(ctx)
	}
	close(q.stop)
	q.bg.Wait()
	return err
}

// Close stops at once (Shutdown without grace).
func (q *River) Close(ctx context.Context) error { return q.Shutdown(ctx, 0) }
