package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeline/routelists"
	"lifeline/zones"
)

var _ routelists.Store = (*Store)(nil)

// Route lists live in s.lists (guarded like the zones: changed only by a
// writer holding wmu, under mu) and go through the log like every write:
// a record puts whole lists (a new one, or one with a changed stop or
// share hash) or expires the lists made before a time. A stored list is
// never changed in place (a change puts a new copy), so the snapshot's
// copy of the map is safe to encode outside the locks.

func (s *Store) getList(code string) (routelists.List, bool) {
	l, ok := s.lists[code]
	return l, ok
}

// CreateRouteLists implements routelists.Store.
func (s *Store) CreateRouteLists(ctx context.Context, ls []routelists.List) error {
	if len(ls) == 0 {
		return ctx.Err()
	}
	put := make([]routelists.List, len(ls))
	seen := map[string]bool{}
	for i := range ls {
		l := ls[i].Clone()
		l.CreatedAt = l.CreatedAt.UTC().Truncate(time.Microsecond)
		for k := range l.Stops {
			if st := l.Stops[k].StatusAt; st != nil {
				*st = st.UTC().Truncate(time.Microsecond)
			}
		}
		if err := routelists.Validate(&l); err != nil {
			return err
		}
		if seen[l.ID] {
			return fmt.Errorf("route list %s twice: %w", l.ID, zones.ErrConflict)
		}
		seen[l.ID] = true
		put[i] = l
	}
	return s.write(ctx, func(*txn) (*logRecord, error) {
		for _, l := range put {
			if _, dup := s.getList(l.ID); dup {
				return nil, fmt.Errorf("route list %s exists: %w", l.ID, zones.ErrConflict)
			}
		}
		return &logRecord{RouteLists: put}, nil
	})
}

// GetRouteList implements routelists.Store.
func (s *Store) GetRouteList(ctx context.Context, code string) (routelists.List, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return routelists.List{}, err
	}
	l, ok := s.getList(code)
	if !ok {
		return routelists.List{}, fmt.Errorf("route list %s: %w", code, zones.ErrNotFound)
	}
	return l.Clone(), nil
}

// GetRouteListByShare implements routelists.Store (a scan: lists are few).
func (s *Store) GetRouteListByShare(ctx context.Context, hash string) (routelists.List, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return routelists.List{}, err
	}
	if hash != "" {
		for _, l := range s.lists {
			if l.ShareHash == hash {
				return l.Clone(), nil
			}
		}
	}
	return routelists.List{}, fmt.Errorf("shared route list: %w", zones.ErrNotFound)
}

func listOrder(a, b routelists.List) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ListRouteLists implements routelists.Store.
func (s *Store) ListRouteLists(ctx context.Context, f routelists.Filter) ([]routelists.List, error) {
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	out := []routelists.List{}
	for _, l := range s.lists {
		if f.Matches(&l) {
			out = append(out, l)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, listOrder)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// changeList puts a changed copy of list code: change returns false when
// there is nothing to write.
func (s *Store) changeList(ctx context.Context, code string, change func(l *routelists.List) (bool, error)) (routelists.List, error) {
	var out routelists.List
	err := s.write(ctx, func(*txn) (*logRecord, error) {
		l, ok := s.getList(code)
		if !ok {
			return nil, fmt.Errorf("route list %s: %w", code, zones.ErrNotFound)
		}
		l = l.Clone()
		changed, err := change(&l)
		if err != nil {
			return nil, err
		}
		out = l.Clone()
		if !changed {
			return nil, nil
		}
		return &logRecord{RouteLists: []routelists.List{l}}, nil
	})
	return out, err
}

// SetStopStatus implements routelists.Store.
func (s *Store) SetStopStatus(ctx context.Context, code string, seq int, status, reason string, at time.Time) (routelists.List, error) {
	return s.changeList(ctx, code, func(l *routelists.List) (bool, error) { return routelists.SetStatus(l, seq, status, reason, at) })
}

// SetShareHash implements routelists.Store.
func (s *Store) SetShareHash(ctx context.Context, code, hash string) (routelists.List, error) {
	return s.changeList(ctx, code, func(l *routelists.List) (bool, error) {
		if l.ShareHash == hash {
			return false, nil
		}
		l.ShareHash = hash
		return true, nil
	})
}

// ExpireRouteLists implements routelists.Store.
func (s *Store) ExpireRouteLists(ctx context.Context, cut time.Time) (int, error) {
	cut = cut.UTC()
	n := 0
	err := s.write(ctx, func(*txn) (*logRecord, error) {
		for _, l := range s.lists {
			if l.CreatedAt.Before(cut) {
				n++
			}
		}
		if n == 0 {
			return nil, nil
		}
		return &logRecord{ExpireLists: &cut}, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// applyLists installs the route-list part of a record (s.mu held for
// writing, or during Open).
func (s *Store) applyLists(rec *logRecord) {
	if s.lists == nil && (len(rec.RouteLists) > 0 || rec.ExpireLists != nil) {
		s.lists = map[string]routelists.List{}
	}
	for _, l := range rec.RouteLists {
		s.lists[l.ID] = l
	}
	if cut := rec.ExpireLists; cut != nil {
		for id, l := range s.lists {
			if l.CreatedAt.Before(*cut) {
				delete(s.lists, id)
			}
		}
	}
}

// checkLists validates the route lists of a record read from the log or a
// snapshot.
func checkLists(ls []routelists.List) error {
	for i := range ls {
		if err := routelists.Validate(&ls[i]); err != nil {
			return fmt.Errorf("route list %q: %w", ls[i].ID, err)
		}
	}
	return nil
}

// copyLists returns the stored lists, oldest first, for a snapshot (s.wmu
// held: the values are never changed in place).
func (s *Store) copyLists() []routelists.List {
	out := make([]routelists.List, 0, len(s.lists))
	for _, l := range s.lists {
		out = append(out, l)
	}
	slices.SortFunc(out, listOrder)
	return out
}
