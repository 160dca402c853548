// Package jobs is lifeline's one queue of long work (VRP and siting
// solves). Handlers submit work and never start solve goroutines
// themselves; the queue bounds how many solves run at once (Workers), how
// many wait (QueueSize) and how many finished jobs it remembers (MaxJobs),
// and it owns cancellation: a cancelled job stays cancelled, whatever its
// work returns afterwards.
//
// Queue is the interface the HTTP handlers use. Jobs carry their problem
// as JSON (Spec.Args) and are run by the Worker registered for their kind,
// so a job can be kept in a Store and run by any process. Local is the
// in-process implementation (with the embedded store: finished jobs survive
// a restart, and jobs interrupted by one run again); data/postgis.River is
// the one on PostgreSQL shared by several replicas. Both pass the suite in
// jobs/jobstest.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"
)

// State is the life-cycle state of a job.
type State string

// States of a job. Queued and running jobs are live; the others are final.
const (
	Queued    State = "queued"
	Running   State = "running"
	Done      State = "done"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// Final reports whether s is an end state.
func (s State) Final() bool { return s == Done || s == Failed || s == Cancelled }

// Worker runs the jobs of one kind. args is the job's Spec.Args as JSON;
// ctx ends when the job is cancelled, its timeout passes or its process
// shuts down; report stores the latest progress (any JSON value). The
// result is kept as JSON. A Worker that makes side effects visible to
// others (route lists) does it through Commit, so that a cancelled job
// leaves none. Workers are registered by kind (Queue.Register) before the
// queue runs jobs, the same on every process that shares the queue, so
// that any of them can run any job.
type Worker func(ctx context.Context, args json.RawMessage, report func(progress any)) (result any, err error)

// Spec describes a job to Submit.
type Spec struct {
	// Kind names the work ("optimize", "sites/plan"): the registered
	// Worker that runs it.
	Kind string
	// Owner is the account that asked ("" without accounts); the API
	// shows and cancels a job only for its owner and admins.
	Owner string
	// Timeout bounds the work (0: no bound besides cancellation).
	Timeout time.Duration
	// Args is what the worker needs (the problem, or the ids of what it
	// reads from the store), kept as JSON with the job: it must hold
	// everything, since another process may run it.
	Args any
}

// Failure is why a job failed, in the form the API shows and that
// survives the store: an HTTP status, a code, a message and details.
type Failure struct {
	Status  int            `json:"status"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (f *Failure) Error() string { return f.Message }

// FailureOf returns err as a *Failure: itself when it is one, a 504
// timeout for context.DeadlineExceeded, else a 500 "failed" with err's text.
func FailureOf(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Failure{Status: 504, Code: "timeout", Message: "the work did not finish within its time limit"}
	}
	return &Failure{Status: 500, Code: "failed", Message: err.Error()}
}

// Job is a snapshot of a job, and the record a Store keeps.
type Job struct {
	ID      string          `json:"id"`
	Kind    string          `json:"kind"`
	Owner   string          `json:"owner,omitempty"`
	State   State           `json:"state"`
	Args    json.RawMessage `json:"args,omitempty"`
	Timeout time.Duration   `json:"timeout_ns,omitempty"`
	// Attempt counts the runs started: more than 1 after the job was
	// interrupted (its process stopped) and queued again.
	Attempt  int             `json:"attempt,omitempty"`
	Created  time.Time       `json:"created"`
	Started  time.Time       `json:"started,omitzero"` // zero while queued
	Ended    time.Time       `json:"ended,omitzero"`   // zero while live
	Progress json.RawMessage `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"` // set when Done
	Err      *Failure        `json:"error,omitempty"`  // set when Failed
}

// Errors of a Queue.
var (
	// ErrNotFound: no such job (never existed, or forgotten).
	ErrNotFound = errors.New("jobs: no such job")
	// ErrCancelled is what Commit returns for a cancelled job.
	ErrCancelled = errors.New("jobs: job was cancelled")
	// ErrClosed: the queue is shut down.
	ErrClosed = errors.New("jobs: queue is closed")
)

// FullError is returned by Submit when the queue holds QueueSize waiting
// jobs already (or its job table is full of live jobs). RetryAfter is an
// estimate of when a slot frees up.
type FullError struct {
	What       string // "queue" or "job table"
	Limit      int
	RetryAfter time.Duration
}

func (e *FullError) Error() string { return "jobs: " + e.What + " is full" }

// Queue is a bounded work queue with cancellation and progress.
type Queue interface {
	// Register sets the worker of a kind (before jobs of that kind run).
	Register(kind string, w Worker)
	// Submit enqueues a job; a full queue returns a *FullError.
	Submit(ctx context.Context, s Spec) (Job, error)
	// Get returns the current snapshot of a job.
	Get(ctx context.Context, id string) (Job, error)
	// Cancel stops a live job: it becomes Cancelled at once, its context
	// ends, and nothing it returns later changes that. Cancelling a final
	// job returns it unchanged.
	Cancel(ctx context.Context, id string) (Job, error)
	// Wait blocks until the job is final or ctx ends (then it returns
	// ctx.Err() and the job keeps going; callers cancel it if they want).
	Wait(ctx context.Context, id string) (Job, error)
	// Forget drops a final job (synchronous requests do, once they have
	// the result).
	Forget(ctx context.Context, id string)
	// Stats reports the running and waiting jobs and the jobs kept.
	Stats() (running, waiting, table int)
	// Counts reports this process's recoveries of interrupted jobs.
	Counts() Counts
}

// Counts are the totals of a queue's recoveries in this process since it
// started (what /metrics shows: each replica counts its own).
type Counts struct {
	// Rescued: jobs whose run was cut short (their process stopped, or
	// stopped answering) that this process queued again.
	Rescued int64
	// GivenUp: jobs this process failed as interrupted, their processes
	// having stopped during each of their runs.
	GivenUp int64
	// Returned: running jobs this process stopped at its shutdown and
	// gave back to the queue, for a later start or another replica.
	Returned int64
}

// Filter selects jobs for Store.ListJobs.
type Filter struct {
	Live  bool // only queued and running jobs
	Limit int  // at most this many, oldest first (0: all)
}

// Store keeps job records so that they survive a restart (jobs.Local with
// the embedded store) or are shared by several processes. GetJob returns
// ErrNotFound for an unknown id. Times are kept to the microsecond in UTC.
type Store interface {
	// PutJob creates or replaces the record of j.ID.
	PutJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, id string) (Job, error)
	// ListJobs returns the jobs f selects, oldest first (ties by id).
	ListJobs(ctx context.Context, f Filter) ([]Job, error)
	// DeleteJob removes a job (no error when there is none).
	DeleteJob(ctx context.Context, id string) error
	// DeleteJobs removes the final jobs that ended before cut.
	DeleteJobs(ctx context.Context, cut time.Time) (int, error)
}

// Validate checks what a store relies on.
func Validate(j *Job) error {
	switch {
	case j.ID == "" || len(j.ID) > 64:
		return fmt.Errorf("jobs: bad job id %q", j.ID)
	case j.Kind == "" || len(j.Kind) > 64:
		return fmt.Errorf("jobs: job %s: bad kind %q", j.ID, j.Kind)
	case j.State != Queued && j.State != Running && !j.State.Final():
		return fmt.Errorf("jobs: job %s: bad state %q", j.ID, j.State)
	case j.Created.IsZero():
		return fmt.Errorf("jobs: job %s: no creation time", j.ID)
	case j.State.Final() && j.Ended.IsZero():
		return fmt.Errorf("jobs: job %s: %s without an end time", j.ID, j.State)
	}
	for _, raw := range []json.RawMessage{j.Args, j.Progress, j.Result} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("jobs: job %s: invalid JSON", j.ID)
		}
	}
	return nil
}

// Clone returns a copy of j that shares no memory with it.
func (j Job) Clone() Job {
	j.Args, j.Progress, j.Result = cloneRaw(j.Args), cloneRaw(j.Progress), cloneRaw(j.Result)
	if j.Err != nil {
		f := *j.Err
		if f.Details != nil {
			f.Details = maps.Clone(f.Details)
		}
		j.Err = &f
	}
	return j
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

// Normalize truncates j's times to the microsecond in UTC (what both
// stores keep).
func (j *Job) Normalize() {
	tr := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Microsecond)
	}
	j.Created, j.Started, j.Ended = tr(j.Created), tr(j.Started), tr(j.Ended)
}

// NewID returns a random job id (16 hex digits).
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Marshal turns a Spec's Args, a progress or a result into JSON
// (json.RawMessage and []byte holding JSON pass as they are; nil is null).
func Marshal(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if !json.Valid(x) {
			return nil, errors.New("jobs: invalid JSON")
		}
		return x, nil
	}
	return json.Marshal(v)
}

// Committer is how a queue makes Commit atomic with Cancel for the jobs
// it runs (see WithCommitter).
type Committer interface {
	// Commit runs f unless the job is cancelled (then ErrCancelled), and
	// holds a Cancel of the job back until f returns.
	Commit(f func() error) error
}

type commitKey struct{}

// WithCommitter returns ctx carrying c: queues give it to the work of the
// jobs they run, for Commit.
func WithCommitter(ctx context.Context, c Committer) context.Context {
	return context.WithValue(ctx, commitKey{}, c)
}

// Commit runs f unless the job that ctx belongs to is cancelled, and
// makes a Cancel wait until f returns: a job that is cancelled either
// committed before the cancel or never does. Outside a job it just runs f.
// It returns ErrCancelled when f did not run.
func Commit(ctx context.Context, f func() error) error {
	if c, ok := ctx.Value(commitKey{}).(Committer); ok {
		return c.Commit(f)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return f()
}
