package memstore

import (
	"context"

	"lifeline/zones"
)

var _ zones.ChangeFeed = (*Store)(nil)

// changeKey names the version put by one change.
type changeKey struct {
	id  int64
	ver int32
}

// ZoneChangesSince returns the versions put after change number `after`
// (numbered from 1 since Open; replayed writes are not numbered), each
// once with its current value and the number of its last change, in that
// order; at most limit (0: no limit). Costs O(changes after `after`) under
// the read lock, plus the copies. The stream takes 12 bytes per version
// put (kept for the life of the store).
func (s *Store) ZoneChangesSince(ctx context.Context, after uint64, limit int) ([]zones.ZoneChange, uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	n := uint64(len(s.changes))
	if after >= n {
		return []zones.ZoneChange{}, n, nil
	}
	// The last change of each version wins: walk back from the end, keep
	// the first time a version is seen, then restore the order.
	seen := map[changeKey]struct{}{}
	var rev []zones.ZoneChange
	for i := n; i > after; i-- {
		k := s.changes[i-1]
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		v := s.zones[k.id-1][k.ver-1]
		rev = append(rev, zones.ZoneChange{Seq: i, Zone: v})
	}
	out := make([]zones.ZoneChange, 0, len(rev))
	for i := len(rev) - 1; i >= 0; i-- {
		out = append(out, rev[i])
		if limit > 0 && len(out) == limit {
			break
		}
	}
	through := n
	if limit > 0 && len(out) == limit && len(out) < len(rev) {
		through = out[len(out)-1].Seq
	}
	for i := range out {
		out[i].Zone = cloneZone(out[i].Zone)
	}
	return out, through, nil
}

// WaitZoneChange returns once a change numbered after `after` was applied
// (at once if one already was), with the last change number; ctx's error
// or ErrClosed otherwise.
func (s *Store) WaitZoneChange(ctx context.Context, after uint64) (uint64, error) {
	for {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return 0, ErrClosed
		}
		n, ch := uint64(len(s.changes)), s.changed
		s.mu.RUnlock()
		if n > after {
			return n, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}
