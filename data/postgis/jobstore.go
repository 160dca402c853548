package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/jobs"
)

var _ jobs.Store = (*Store)(nil)

// Job records are rows of jobs (migration 0009). The River queue (river.go)
// works on the same rows; PutJob and the rest are what jobs.Local and the
// conformance suite use.

const jobCols = `id, kind, owner, state, args, timeout_ns, attempt, created_at, started_at, ended_at, progress, result, failure`

func scanJob(row pgx.Row) (jobs.Job, error) {
	var j jobs.Job
	var state string
	var timeout int64
	var started, ended *time.Time
	var args, progress, result, failure []byte
	if err := row.Scan(&j.ID, &j.Kind, &j.Owner, &state, &args, &timeout, &j.Attempt, &j.Created, &started, &ended,
		&progress, &result, &failure); err != nil {
		return jobs.Job{}, err
	}
	j.State, j.Timeout, j.Created = jobs.State(state), time.Duration(timeout), utc(j.Created)
	if started != nil {
		j.Started = utc(*started)
	}
	if ended != nil {
		j.Ended = utc(*ended)
	}
	j.Args, j.Progress, j.Result = rawOrNil(args), rawOrNil(progress), rawOrNil(result)
	if failure != nil {
		j.Err = &jobs.Failure{}
		if err := json.Unmarshal(failure, j.Err); err != nil {
			return jobs.Job{}, fmt.Errorf("postgis: job %s failure: %w", j.ID, err)
		}
	}
	return j, nil
}

func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

func jobErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, jobs.ErrNotFound)
	}
	return fmt.Errorf("postgis: %s: %w", what, err)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func jsonOrNil(r json.RawMessage) *string {
	if len(r) == 0 {
		return nil
	}
	s := string(r)
	return &s
}

func failureJSON(f *jobs.Failure) (*string, error) {
	if f == nil {
		return nil, nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// PutJob implements jobs.Store.
func (s *Store) PutJob(ctx context.Context, j jobs.Job) error {
	j = j.Clone()
	j.Normalize()
	if err := jobs.Validate(&j); err != nil {
		return err
	}
	fail, err := failureJSON(j.Err)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO jobs (`+jobCols+`)
		VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9, $10, $11::json, $12::json, $13::jsonb)
		ON CONFLICT (id) DO UPDATE SET kind = $2, owner = $3, state = $4, args = $5::json, timeout_ns = $6, attempt = $7,
			created_at = $8, started_at = $9, ended_at = $10, progress = $11::json, result = $12::json, failure = $13::jsonb`,
		j.ID, j.Kind, j.Owner, string(j.State), jsonOrNil(j.Args), int64(j.Timeout), j.Attempt, j.Created, timeOrNil(j.Started),
		timeOrNil(j.Ended), jsonOrNil(j.Progress), jsonOrNil(j.Result), fail)
	return jobErr(err, "put job "+j.ID)
}

// GetJob implements jobs.Store.
func (s *Store) GetJob(ctx context.Context, id string) (jobs.Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id))
	return j, jobErr(err, "job "+id)
}

// ListJobs implements jobs.Store.
func (s *Store) ListJobs(ctx context.Context, f jobs.Filter) ([]jobs.Job, error) {
	q := `SELECT ` + jobCols + ` FROM jobs`
	if f.Live {
		q += ` WHERE state IN ('queued', 'running')`
	}
	q += ` ORDER BY created_at, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, jobErr(err, "list jobs")
	}
	defer rows.Close()
	out := []jobs.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, jobErr(err, "list jobs")
		}
		out = append(out, j)
	}
	return out, jobErr(rows.Err(), "list jobs")
}

// DeleteJob implements jobs.Store.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM jobs WHERE id = $1`, id)
	return jobErr(err, "delete job "+id)
}

// DeleteJobs implements jobs.Store.
func (s *Store) DeleteJobs(ctx context.Context, cut time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM jobs WHERE ended_at < $1 AND state IN ('done', 'failed', 'cancelled')`, cut)
	if err != nil {
		return 0, jobErr(err, "delete old jobs")
	}
	return int(tag.RowsAffected()), nil
}
