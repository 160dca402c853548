package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeline/jobs"
)

var _ jobs.Store = (*Store)(nil)

// Job records (jobs.Local keeps them here so that finished jobs survive a
// restart and interrupted ones run again) live in s.jobs, changed like
// the route lists: through the log, by a writer holding wmu, under mu; a
// stored record is never changed in place.

// PutJob implements jobs.Store.
func (s *Store) PutJob(ctx context.Context, j jobs.Job) error {
	j = j.Clone()
	j.Normalize()
	if err := jobs.Validate(&j); err != nil {
		return err
	}
	return s.write(ctx, func(*txn) (*logRecord, error) {
		return &logRecord{Jobs: []jobs.Job{j}}, nil
	})
}

// GetJob implements jobs.Store.
func (s *Store) GetJob(ctx context.Context, id string) (jobs.Job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return jobs.Job{}, err
	}
	j, ok := s.jobs[id]
	if !ok {
		return jobs.Job{}, jobs.ErrNotFound
	}
	return j.Clone(), nil
}

func jobOrder(a, b jobs.Job) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ListJobs implements jobs.Store.
func (s *Store) ListJobs(ctx context.Context, f jobs.Filter) ([]jobs.Job, error) {
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	out := []jobs.Job{}
	for _, j := range s.jobs {
		if !f.Live || !j.State.Final() {
			out = append(out, j)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, jobOrder)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// DeleteJob implements jobs.Store.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	return s.write(ctx, func(*txn) (*logRecord, error) {
		if _, ok := s.jobs[id]; !ok {
			return nil, nil
		}
		return &logRecord{DeleteJobs: []string{id}}, nil
	})
}

// DeleteJobs implements jobs.Store.
func (s *Store) DeleteJobs(ctx context.Context, cut time.Time) (int, error) {
	var ids []string
	err := s.write(ctx, func(*txn) (*logRecord, error) {
		for id, j := range s.jobs {
			if j.State.Final() && j.Ended.Before(cut) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		slices.Sort(ids)
		return &logRecord{DeleteJobs: ids}, nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// applyJobs installs the job part of a record (s.mu held for writing, or
// during Open).
func (s *Store) applyJobs(rec *logRecord) {
	if s.jobs == nil && len(rec.Jobs) > 0 {
		s.jobs = map[string]jobs.Job{}
	}
	for _, j := range rec.Jobs {
		s.jobs[j.ID] = j
	}
	for _, id := range rec.DeleteJobs {
		delete(s.jobs, id)
	}
}

func checkJobs(js []jobs.Job) error {
	for i := range js {
		if err := jobs.Validate(&js[i]); err != nil {
			return fmt.Errorf("job %q: %w", js[i].ID, err)
		}
	}
	return nil
}

// copyJobs returns the stored jobs, oldest first, for a snapshot (s.wmu
// held).
func (s *Store) copyJobs() []jobs.Job {
	out := make([]jobs.Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, j)
	}
	slices.SortFunc(out, jobOrder)
	return out
}
