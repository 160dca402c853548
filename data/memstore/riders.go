package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

var _ shuttles.RiderStore = (*Store)(nil)

// riderState is the shuttle riders' registry of the embedded store. It is
// kept apart from the zones snapshot, like the accounts: riders.json beside
// the snapshot (mode 0600: it holds names and phone numbers), rewritten
// atomically after each change. A store made by New keeps it in memory.
// It is loaded on first use.
type riderState struct {
	once    sync.Once
	loadErr error
	mu      sync.Mutex
	file    riderFile
	byPseud map[string]int // pseudonym -> index in file.Riders
	path    string
}

type riderFile struct {
	Version int              `json:"version"`
	NextID  int64            `json:"next_id"`
	Riders  []shuttles.Rider `json:"riders"` // ascending id
}

const riderFileVersion = 1

func (s *Store) lockRiders(ctx context.Context) (*riderState, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	st := &s.riders
	st.once.Do(func() {
		st.byPseud = map[string]int{}
		st.file.NextID = 1
		if s.path == "" {
			return
		}
		st.path = filepath.Join(filepath.Dir(s.path), "riders.json")
		st.loadErr = st.read()
	})
	if st.loadErr != nil {
		return nil, st.loadErr
	}
	st.mu.Lock()
	return st, nil
}

// read loads riders.json (missing: empty), validating every rider.
func (st *riderState) read() error {
	data, err := os.ReadFile(st.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var f riderFile
	if err == nil {
		if err = json.Unmarshal(data, &f); err == nil && f.Version != riderFileVersion {
			err = fmt.Errorf("version %d, want %d", f.Version, riderFileVersion)
		}
	}
	if err != nil {
		return fmt.Errorf("memstore: %s: %w", st.path, err)
	}
	by := map[string]int{}
	var last int64
	for i := range f.Riders {
		r := &f.Riders[i]
		if err := r.Validate(); err != nil {
			return fmt.Errorf("memstore: %s: rider %d: %w", st.path, r.ID, err)
		}
		if r.ID <= last || r.ID >= f.NextID {
			return fmt.Errorf("memstore: %s: rider ids out of order at %d", st.path, r.ID)
		}
		if _, dup := by[r.Pseudonym]; dup {
			return fmt.Errorf("memstore: %s: pseudonym %s twice", st.path, r.Pseudonym)
		}
		last = r.ID
		by[r.Pseudonym] = i
	}
	st.file, st.byPseud = f, by
	return nil
}

func (st *riderState) save() error {
	if st.path == "" {
		return nil
	}
	st.file.Version = riderFileVersion
	data, err := json.Marshal(&st.file)
	if err != nil {
		return err
	}
	return writeAuthFile(st.path, data, 0o600)
}

func (st *riderState) index(id int64) int {
	lo, hi := 0, len(st.file.Riders)
	for lo < hi {
		m := (lo + hi) / 2
		if st.file.Riders[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(st.file.Riders) && st.file.Riders[lo].ID == id {
		return lo
	}
	return -1
}

func (s *Store) riderNow() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateRider implements shuttles.RiderStore.
func (s *Store) CreateRider(ctx context.Context, r shuttles.Rider) (shuttles.Rider, error) {
	out, err := s.ImportRiders(ctx, []shuttles.Rider{r})
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			ve.Path = trimIndex(ve.Path)
		}
		return shuttles.Rider{}, err
	}
	return out[0], nil
}

// trimIndex drops the "[0]." that ImportRiders puts before a path.
func trimIndex(p string) string {
	if len(p) >= 4 && p[:4] == "[0]." {
		return p[4:]
	}
	return p
}

// ImportRiders implements shuttles.RiderStore.
func (s *Store) ImportRiders(ctx context.Context, rs []shuttles.Rider) ([]shuttles.Rider, error) {
	seen := map[string]int{}
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, err
		}
		if j, dup := seen[rs[i].Pseudonym]; dup {
			return nil, fmt.Errorf("%w: pseudonym %s repeats (riders %d and %d)", zones.ErrConflict, rs[i].Pseudonym, j, i)
		}
		seen[rs[i].Pseudonym] = i
	}
	st, err := s.lockRiders(ctx)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	for _, r := range rs {
		if _, dup := st.byPseud[r.Pseudonym]; dup {
			return nil, fmt.Errorf("%w: pseudonym %s exists", zones.ErrConflict, r.Pseudonym)
		}
	}
	now := s.riderNow()
	old, oldNext := len(st.file.Riders), st.file.NextID
	out := make([]shuttles.Rider, len(rs))
	for i, r := range rs {
		r = r.Clone()
		r.ID = st.file.NextID
		st.file.NextID++
		r.Archived = false
		r.CreatedAt, r.UpdatedAt = now, now
		st.byPseud[r.Pseudonym] = len(st.file.Riders)
		st.file.Riders = append(st.file.Riders, r)
		out[i] = r.Clone()
	}
	if err := st.save(); err != nil {
		for _, r := range st.file.Riders[old:] {
			delete(st.byPseud, r.Pseudonym)
		}
		st.file.Riders, st.file.NextID = st.file.Riders[:old], oldNext
		return nil, fmt.Errorf("memstore: save riders: %w", err)
	}
	return out, nil
}

// GetRider implements shuttles.RiderStore.
func (s *Store) GetRider(ctx context.Context, id int64) (shuttles.Rider, error) {
	st, err := s.lockRiders(ctx)
	if err != nil {
		return shuttles.Rider{}, err
	}
	defer st.mu.Unlock()
	i := st.index(id)
	if i < 0 {
		return shuttles.Rider{}, fmt.Errorf("rider %d: %w", id, zones.ErrNotFound)
	}
	return st.file.Riders[i].Clone(), nil
}

// ListRiders implements shuttles.RiderStore.
func (s *Store) ListRiders(ctx context.Context, f shuttles.RiderFilter) ([]shuttles.Rider, error) {
	st, err := s.lockRiders(ctx)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	return page(st.file.Riders, f.Offset, f.Limit, f.Matches, (*shuttles.Rider).Clone), nil
}

// UpdateRider implements shuttles.RiderStore.
func (s *Store) UpdateRider(ctx context.Context, r shuttles.Rider) (shuttles.Rider, error) {
	if err := r.Validate(); err != nil {
		return shuttles.Rider{}, err
	}
	st, err := s.lockRiders(ctx)
	if err != nil {
		return shuttles.Rider{}, err
	}
	defer st.mu.Unlock()
	i := st.index(r.ID)
	if i < 0 {
		return shuttles.Rider{}, fmt.Errorf("rider %d: %w", r.ID, zones.ErrNotFound)
	}
	if j, ok := st.byPseud[r.Pseudonym]; ok && j != i {
		return shuttles.Rider{}, fmt.Errorf("%w: pseudonym %s exists", zones.ErrConflict, r.Pseudonym)
	}
	prev := st.file.Riders[i]
	r = r.Clone()
	r.CreatedAt, r.Archived, r.UpdatedAt = prev.CreatedAt, prev.Archived, s.riderNow()
	st.file.Riders[i] = r
	delete(st.byPseud, prev.Pseudonym)
	st.byPseud[r.Pseudonym] = i
	if err := st.save(); err != nil {
		st.file.Riders[i] = prev
		delete(st.byPseud, r.Pseudonym)
		st.byPseud[prev.Pseudonym] = i
		return shuttles.Rider{}, fmt.Errorf("memstore: save riders: %w", err)
	}
	return r.Clone(), nil
}

// ArchiveRider implements shuttles.RiderStore.
func (s *Store) ArchiveRider(ctx context.Context, id int64) (shuttles.Rider, error) {
	st, err := s.lockRiders(ctx)
	if err != nil {
		return shuttles.Rider{}, err
	}
	defer st.mu.Unlock()
	i := st.index(id)
	if i < 0 {
		return shuttles.Rider{}, fmt.Errorf("rider %d: %w", id, zones.ErrNotFound)
	}
	if st.file.Riders[i].Archived {
		return st.file.Riders[i].Clone(), nil
	}
	prev := st.file.Riders[i]
	st.file.Riders[i].Archived = true
	st.file.Riders[i].UpdatedAt = s.riderNow()
	if err := st.save(); err != nil {
		st.file.Riders[i] = prev
		return shuttles.Rider{}, fmt.Errorf("memstore: save riders: %w", err)
	}
	return st.file.Riders[i].Clone(), nil
}
