// Package jobs is lifeline's one queue of long work (VRP and siting
// solves). Handlers submit work and never start solve goroutines
// themselves; the queue bounds how many solves run at once (Workers), how
// many wait (QueueSize) and how many finished jobs it remembers (MaxJobs),
// and it owns cancellation: a cancelled job stays cancelled, whatever its
// work returns afterwards.
//
// Queue is the interface the HTTP handlers use. Local is the in-process
// implementation; a PostgreSQL-backed queue (River) can replace it behind
// the same interface.
package jobs

import (
	"context"
	"errors"
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

// Work is the body of a job. ctx ends when the job is cancelled or its
// timeout passes; report stores the latest progress (any JSON value). Work
// that makes side effects visible to others (route lists) does it through
// Commit, so that a cancelled job leaves none.
type Work func(ctx context.Context, report func(progress any)) (result any, err error)

// Spec describes a job to Submit.
type Spec struct {
	// Kind names the work ("optimize", "sites/plan").
	Kind string
	// Owner is the account that asked ("" without accounts); the API
	// shows and cancels a job only for its owner and admins.
	Owner string
	// Timeout bounds the work (0: no bound besides cancellation).
	Timeout time.Duration
	// Work is run once by a worker.
	Work Work
}

// Job is a snapshot of a job.
type Job struct {
	ID       string
	Kind     string
	Owner    string
	State    State
	Created  time.Time
	Started  time.Time // zero while queued
	Ended    time.Time // zero while live
	Progress any
	Result   any   // set when Done
	Err      error // set when Failed
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
	// Submit enqueues a job; a full queue returns a *FullError.
	Submit(s Spec) (Job, error)
	// Get returns the current snapshot of a job.
	Get(id string) (Job, error)
	// Cancel stops a live job: it becomes Cancelled at once, its context
	// ends, and nothing it returns later changes that. Cancelling a final
	// job returns it unchanged.
	Cancel(id string) (Job, error)
	// Wait blocks until the job is final or ctx ends (then it returns
	// ctx.Err() and the job keeps going; callers cancel it if they want).
	Wait(ctx context.Context, id string) (Job, error)
	// Forget drops a final job from the table (synchronous requests do,
	// once they have the result).
	Forget(id string)
}

type committer interface {
	commit(f func() error) error
}

type commitKey struct{}

// Commit runs f unless the job that ctx belongs to is cancelled, and
// makes a Cancel wait until f returns: a job that is cancelled either
// committed before the cancel or never does. Outside a job it just runs f.
// It returns ErrCancelled when f did not run.
func Commit(ctx context.Context, f func() error) error {
	if c, ok := ctx.Value(commitKey{}).(committer); ok {
		return c.commit(f)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return f()
}
