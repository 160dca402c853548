package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
	"lifeline/zones/live"
)

// Zones are kept as their versions: s.zones[id-1] lists the versions of
// zone id, oldest first (never empty). The look-up index holds every
// version as an item of its own (s.flat), each with its validity window, so
// a look-up at any time finds the version in force then.

// current returns the last version of zone id (1-based), or nil.
func (s *Store) current(id int64) *zones.Zone {
	if id < 1 || id > int64(len(s.zones)) {
		return nil
	}
	vs := s.zones[id-1]
	return &vs[len(vs)-1]
}

// rebuildQuiet is the pause in writes after which a delta left by the last
// writes of a burst is folded into the base (a variable for tests).
var rebuildQuiet = 500 * time.Millisecond

// reindexLocked rebuilds the look-up index over every version (at Open).
func (s *Store) reindexLocked() {
	s.ix = live.New(s.zones, 0)
}

// maybeRebuildLocked starts a background rebuild of the index's base when
// its delta has grown past the threshold (wantsRebuild; s.wmu held), and
// otherwise, when the delta is not empty, makes sure one starts once
// writes pause (rebuildQuiet). The version lists are copied here (slice
// headers: they are never changed in place), the base is built outside
// every lock, the delta entries put meanwhile are carried over under the
// writer lock, and the new index swapped in under the readers' lock (a
// pointer).
func (s *Store) maybeRebuildLocked() {
	if s.rebuilding.Load() || s.ix.DeltaLen() == 0 {
		return
	}
	if !s.ix.WantsRebuild() {
		if s.quiet == nil {
			s.quiet = time.AfterFunc(rebuildQuiet, s.quietRebuild)
		} else {
			s.quiet.Reset(rebuildQuiet)
		}
		return
	}
	s.startRebuildLocked()
}

// startRebuildLocked starts the background rebuild (s.wmu held).
func (s *Store) startRebuildLocked() {
	s.rebuilding.Store(true)
	vs := slices.Clone(s.zones)
	since := s.ix.Seq()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		nb := live.New(vs, since)
		s.wmu.Lock()
		defer s.wmu.Unlock()
		nb = s.ix.Rebased(nb)
		s.mu.Lock()
		s.ix = nb
		s.mu.Unlock()
		s.rebuilding.Store(false)
		if !s.closed {
			s.maybeRebuildLocked() // what was written meanwhile
		}
	}()
}

// quietRebuild folds the delta into the base after a pause in writes.
func (s *Store) quietRebuild() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed || s.rebuilding.Load() || s.ix.DeltaLen() == 0 {
		return
	}
	s.startRebuildLocked()
}

// CreateZone validates z and stores it with the next ID as version 1;
// CreatedAt and UpdatedAt are now, a zero EffectiveFrom becomes now.
// Errors: a *zones.ValidationError, zones.ErrConflict for an external key
// already used, ErrClosed, a log write error.
func (s *Store) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	out, err := s.CreateZones(ctx, []zones.Zone{z})
	if err != nil {
		return zones.Zone{}, err
	}
	return out[0], nil
}

// CreateZones stores all zones or none. A validation error names the zone
// as "zones[i]." + path.
func (s *Store) CreateZones(ctx context.Context, zs []zones.Zone) ([]zones.Zone, error) {
	now := zones.TruncateTime(s.now())
	prepared := make([]zones.Zone, len(zs))
	for i, z := range zs {
		p, err := zones.PrepareNew(z, now)
		if err != nil {
			if len(zs) > 1 {
				return nil, zones.PrefixError(err, fmt.Sprintf("zones[%d].", i))
			}
			return nil, err
		}
		prepared[i] = p
	}
	out := make([]zones.Zone, len(prepared))
	err := s.write(ctx, func(t *txn) (*logRecord, error) {
		for i, p := range prepared {
			z, err := t.create(p, now)
			if err != nil {
				return nil, err
			}
			out[i] = cloneZone(z)
		}
		return &logRecord{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// create puts prepared zone p as version 1 of the next id.
func (t *txn) create(p zones.Zone, now time.Time) (zones.Zone, error) {
	p.ID = t.n + 1
	p.Version = 1
	p.CreatedAt, p.UpdatedAt = now, now
	return p, t.put(p)
}

// GetZone returns the current version of zone id or zones.ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id int64) (zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return zones.Zone{}, err
	}
	z := s.current(id)
	if z == nil {
		return zones.Zone{}, fmt.Errorf("get zone %d: %w", id, zones.ErrNotFound)
	}
	return cloneZone(*z), nil
}

// ZoneHistory returns every version of zone id, oldest first, or
// zones.ErrNotFound.
func (s *Store) ZoneHistory(ctx context.Context, id int64) ([]zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if s.current(id) == nil {
		return nil, fmt.Errorf("zone history %d: %w", id, zones.ErrNotFound)
	}
	vs := s.zones[id-1]
	out := make([]zones.Zone, len(vs))
	for i, v := range vs {
		out[i] = cloneZone(v)
	}
	return out, nil
}

// versionAt returns the version of vs in force at t, or nil.
func versionAt(vs []zones.Zone, t time.Time) *zones.Zone {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].ActiveAt(t) {
			return &vs[i]
		}
		if !t.Before(vs[i].EffectiveFrom) {
			return nil
		}
	}
	return nil
}

// ListZones returns the zones matching f in ascending ID order: the current
// version of each, or with f.ActiveAt the version in force then. BBox is an
// exact intersection test with the geometry (touching counts). A negative
// Limit or Offset is a *zones.ValidationError. O(zones + vertices of bbox
// candidates).
func (s *Store) ListZones(ctx context.Context, f zones.ZoneFilter) ([]zones.Zone, error) {
	if f.Limit < 0 {
		return nil, &zones.ValidationError{Path: "limit", Message: "must not be negative"}
	}
	if f.Offset < 0 {
		return nil, &zones.ValidationError{Path: "offset", Message: "must not be negative"}
	}
	if f.Kind != zones.KindNone && !f.Kind.Valid() {
		return nil, &zones.ValidationError{Path: "kind", Message: fmt.Sprintf("unknown kind %q", string(f.Kind))}
	}
	// The version lists are never changed in place: a copy of the list of
	// them (slice headers) taken under the read lock is a consistent view
	// that is filtered and deep-copied outside it, so that a long listing
	// does not hold up writers (and the look-ups queued behind them).
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	view := slices.Clone(s.zones)
	s.mu.RUnlock()
	out := []zones.Zone{}
	skip := f.Offset
	for _, vs := range view {
		z := &vs[len(vs)-1]
		if f.ActiveAt != nil {
			if z = versionAt(vs, *f.ActiveAt); z == nil {
				continue
			}
		}
		if f.Kind != zones.KindNone && z.Kind != f.Kind {
			continue
		}
		if f.BBox != nil && !zones.IntersectsBound(z.Geometry, *f.BBox) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, cloneZone(*z))
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// UpdateZone adds a version of zone z.ID (zones.PlanUpdate: in force from
// z.EffectiveFrom, zero meaning now; the previous version ends there).
// Errors: zones.ErrNotFound, zones.ErrConflict (the zone was lifted before
// the update's time, or the external key belongs to another zone),
// *zones.ValidationError.
func (s *Store) UpdateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	now := zones.TruncateTime(s.now())
	var out zones.Zone
	err := s.write(ctx, func(t *txn) (*logRecord, error) {
		cur := t.current(z.ID)
		if cur == nil {
			return nil, fmt.Errorf("update zone %d: %w", z.ID, zones.ErrNotFound)
		}
		ended, next, err := zones.PlanUpdate(*cur, z, now)
		if err != nil {
			return nil, err
		}
		if err := t.put(ended); err != nil {
			return nil, err
		}
		if err := t.put(next); err != nil {
			return nil, err
		}
		out = cloneZone(next)
		return &logRecord{}, nil
	})
	if err != nil {
		return zones.Zone{}, err
	}
	return out, nil
}

// LiftZone ends zone id (its last version) at `at`, truncated to the
// microsecond (zones.PlanLift). Lifting again at the same time is a no-op;
// lifting earlier than a previous lift moves it earlier. Errors:
// zones.ErrNotFound; zones.ErrConflict if the zone was already lifted
// before at; a *zones.ValidationError (path "effective_until") if at is out
// of range or not after the last version's EffectiveFrom.
func (s *Store) LiftZone(ctx context.Context, id int64, at time.Time) (zones.Zone, error) {
	now := zones.TruncateTime(s.now())
	var out zones.Zone
	err := s.write(ctx, func(t *txn) (*logRecord, error) {
		cur := t.current(id)
		if cur == nil {
			return nil, fmt.Errorf("lift zone %d: %w", id, zones.ErrNotFound)
		}
		z, changed, err := zones.PlanLift(*cur, at, now)
		if err != nil {
			return nil, err
		}
		out = cloneZone(z)
		if !changed {
			return nil, nil
		}
		return &logRecord{}, t.put(z)
	})
	if err != nil {
		return zones.Zone{}, err
	}
	return out, nil
}

// ImportZones applies zones.PlanImport to every zone of zs in order, all
// or nothing, matching by external key, else by the id of a zone of this
// store. Validation errors name the feature ("features[i]." + path).
func (s *Store) ImportZones(ctx context.Context, zs []zones.Zone) (zones.ImportResult, error) {
	if err := zones.CheckImport(zs); err != nil {
		return zones.ImportResult{}, err
	}
	now := zones.TruncateTime(s.now())
	var res zones.ImportResult
	err := s.write(ctx, func(t *txn) (*logRecord, error) {
		var err error
		res, err = t.importZones(zs, now)
		if err != nil || len(t.puts) == 0 {
			return nil, err
		}
		return &logRecord{}, nil
	})
	if err != nil {
		return zones.ImportResult{}, err
	}
	return res, nil
}

func (t *txn) importZones(zs []zones.Zone, now time.Time) (zones.ImportResult, error) {
	res := zones.ImportResult{Items: make([]zones.ImportItem, 0, len(zs))}
	for i, in := range zs {
		pfx := fmt.Sprintf("features[%d].", i)
		var cur *zones.Zone
		if in.ExternalKey != "" {
			if id, ok := t.keyOwner(in.ExternalKey); ok {
				cur = t.current(id)
			}
		} else if in.ID > 0 {
			cur = t.current(in.ID)
		}
		plan, err := zones.PlanImport(cur, in, now)
		if err != nil {
			return res, zones.PrefixError(err, pfx)
		}
		switch plan.Action {
		case zones.ImportCreated:
			z, err := t.create(plan.New, now)
			if err != nil {
				return res, zones.PrefixError(err, pfx)
			}
			res.Add(z, plan.Action)
		case zones.ImportUpdated:
			if err := t.put(plan.Ended); err != nil {
				return res, err
			}
			if plan.Next != nil {
				if err := t.put(*plan.Next); err != nil {
					return res, err
				}
				res.Add(*plan.Next, plan.Action)
			} else {
				res.Add(plan.Ended, plan.Action)
			}
		default:
			res.Add(plan.Ended, plan.Action)
		}
	}
	return res, nil
}

// Lookup returns the zones active at t covering p, strictest first (ties by
// ascending ID), each as its version in force at t; a point on a boundary
// is inside. O(candidates in p's grid cell + delta entries in p's cell);
// the result is a deep copy.
func (s *Store) Lookup(ctx context.Context, p orb.Point, at time.Time) ([]zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var buf [16]int32
	var hbuf [16]live.Hit
	hits := s.ix.LookupInto(hbuf[:0], buf[:0], p, at)
	out := make([]zones.Zone, len(hits))
	for i, h := range hits {
		out[i] = cloneZone(s.ix.Zone(h))
	}
	return out, nil
}

// lookupChunk is how many points of a batch are answered per hold of the
// read lock: a writer (and the look-ups queued behind it) waits for one
// chunk, not for the whole batch.
const lookupChunk = 1024

// LookupBatch is Lookup for many points; result i belongs to ps[i] (an
// empty, non-nil slice when no zone covers it). Zones found several times
// share one deep copy per call (do not modify them). Points are answered
// in chunks of 1,024, each under one hold of the read lock: a write that
// lands during a long batch is seen by the chunks after it.
func (s *Store) LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
	out := make([][]zones.Zone, len(ps))
	copies := make(map[*live.Index]map[live.Hit]zones.Zone)
	var buf [16]int32
	var hbuf [16]live.Hit
	// Results are carved out of one backing slice to keep allocations low.
	var backing []zones.Zone
	for start := 0; start == 0 || start < len(ps); start += lookupChunk {
		if err := s.lookupChunk(ctx, ps, start, at, out, copies, buf[:0], hbuf[:0], &backing); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookupChunk answers ps[start:start+lookupChunk] into out under one hold
// of the read lock. copies keeps the deep copies per index (hits name
// items of one index).
func (s *Store) lookupChunk(ctx context.Context, ps []orb.Point, start int, at time.Time, out [][]zones.Zone,
	copies map[*live.Index]map[live.Hit]zones.Zone, buf []int32, hbuf []live.Hit, backing *[]zones.Zone) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	cp := copies[s.ix]
	if cp == nil {
		cp = map[live.Hit]zones.Zone{}
		copies[s.ix] = cp
	}
	end := min(len(ps), start+lookupChunk)
	for i := start; i < end; i++ {
		p := ps[i]
		hits := s.ix.LookupInto(hbuf, buf, p, at)
		if len(hits) == 0 {
			out[i] = []zones.Zone{}
			continue
		}
		b := *backing
		if cap(b)-len(b) < len(hits) {
			b = make([]zones.Zone, 0, max(256, len(hits)))
		}
		first := len(b)
		for _, h := range hits {
			z, ok := cp[h]
			if !ok {
				z = cloneZone(s.ix.Zone(h))
				cp[h] = z
			}
			b = append(b, z)
		}
		out[i] = b[first:len(b):len(b)]
		*backing = b
	}
	return nil
}
