package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// prepareZone normalises times and validates z for storage. A zero
// EffectiveFrom becomes now.
func prepareZone(z zones.Zone, now time.Time) (zones.Zone, error) {
	z = cloneZone(z)
	if z.EffectiveFrom.IsZero() {
		z.EffectiveFrom = now
	}
	z.EffectiveFrom = zones.TruncateTime(z.EffectiveFrom)
	if z.EffectiveUntil != nil {
		u := zones.TruncateTime(*z.EffectiveUntil)
		z.EffectiveUntil = &u
	}
	if err := zones.ValidateZone(z); err != nil {
		return z, err
	}
	return z, nil
}

// CreateZone validates z and stores it with the next ID; CreatedAt and
// UpdatedAt are now, a zero EffectiveFrom becomes now. Errors: a
// *zones.ValidationError, ErrClosed, a snapshot write error.
func (s *Store) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	out, err := s.CreateZones(ctx, []zones.Zone{z})
	if err != nil {
		var ve *zones.ValidationError
		if asValidation(err, &ve) {
			return zones.Zone{}, ve
		}
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
		p, err := prepareZone(z, now)
		if err != nil {
			if len(zs) > 1 {
				return nil, prefixValidation(err, fmt.Sprintf("zones[%d].", i))
			}
			return nil, err
		}
		prepared[i] = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	n := len(s.zones)
	out := make([]zones.Zone, len(prepared))
	for i := range prepared {
		prepared[i].ID = int64(n + i + 1)
		prepared[i].CreatedAt = now
		prepared[i].UpdatedAt = now
		s.zones = append(s.zones, prepared[i])
		out[i] = cloneZone(prepared[i])
	}
	if err := s.persistLocked(); err != nil {
		s.zones = s.zones[:n]
		return nil, err
	}
	s.index = zones.NewIndex(s.zones)
	return out, nil
}

// GetZone returns zone id or zones.ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id int64) (zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return zones.Zone{}, err
	}
	if id < 1 || id > int64(len(s.zones)) {
		return zones.Zone{}, fmt.Errorf("get zone %d: %w", id, zones.ErrNotFound)
	}
	return cloneZone(s.zones[id-1]), nil
}

// ListZones returns the zones matching f in ascending ID order. BBox is an
// exact intersection test with the geometry (touching counts). A negative
// Limit or Offset is a *zones.ValidationError. O(zones + vertices of
// bbox candidates).
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	out := []zones.Zone{}
	skip := f.Offset
	for i := range s.zones {
		z := &s.zones[i]
		if f.Kind != zones.KindNone && z.Kind != f.Kind {
			continue
		}
		if f.ActiveAt != nil && !z.ActiveAt(*f.ActiveAt) {
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

// UpdateZone replaces Kind, Name, Reason, Geometry, EffectiveFrom and
// EffectiveUntil of zone z.ID (a zero EffectiveFrom keeps the stored one)
// and sets UpdatedAt. Errors: zones.ErrNotFound, *zones.ValidationError.
func (s *Store) UpdateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	now := zones.TruncateTime(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return zones.Zone{}, err
	}
	if z.ID < 1 || z.ID > int64(len(s.zones)) {
		return zones.Zone{}, fmt.Errorf("update zone %d: %w", z.ID, zones.ErrNotFound)
	}
	old := s.zones[z.ID-1]
	if z.EffectiveFrom.IsZero() {
		z.EffectiveFrom = old.EffectiveFrom
	}
	p, err := prepareZone(z, now)
	if err != nil {
		return zones.Zone{}, err
	}
	p.ID, p.CreatedAt, p.UpdatedAt = old.ID, old.CreatedAt, now
	s.zones[z.ID-1] = p
	if err := s.persistLocked(); err != nil {
		s.zones[z.ID-1] = old
		return zones.Zone{}, err
	}
	s.index = zones.NewIndex(s.zones)
	return cloneZone(p), nil
}

// LiftZone ends zone id at `at` (truncated to the microsecond): it sets
// EffectiveUntil and UpdatedAt. Lifting again at the same time is a no-op;
// lifting earlier than a previous lift moves it earlier. Errors:
// zones.ErrNotFound; zones.ErrConflict if the zone was already lifted before
// at; a *zones.ValidationError (path "effective_until") if at is not after
// EffectiveFrom.
func (s *Store) LiftZone(ctx context.Context, id int64, at time.Time) (zones.Zone, error) {
	now := zones.TruncateTime(s.now())
	at = zones.TruncateTime(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return zones.Zone{}, err
	}
	if id < 1 || id > int64(len(s.zones)) {
		return zones.Zone{}, fmt.Errorf("lift zone %d: %w", id, zones.ErrNotFound)
	}
	old := s.zones[id-1]
	if !at.After(old.EffectiveFrom) {
		return zones.Zone{}, &zones.ValidationError{Path: "effective_until", Message: "lift time must be after effective_from"}
	}
	if old.EffectiveUntil != nil {
		if old.EffectiveUntil.Before(at) {
			return zones.Zone{}, fmt.Errorf("lift zone %d: already lifted at %s: %w", id, old.EffectiveUntil.Format(time.RFC3339Nano), zones.ErrConflict)
		}
		if old.EffectiveUntil.Equal(at) {
			return cloneZone(old), nil
		}
	}
	z := cloneZone(old)
	z.EffectiveUntil = &at
	z.UpdatedAt = now
	if err := zones.ValidateZone(z); err != nil {
		return zones.Zone{}, err
	}
	s.zones[id-1] = z
	if err := s.persistLocked(); err != nil {
		s.zones[id-1] = old
		return zones.Zone{}, err
	}
	s.index = zones.NewIndex(s.zones)
	return cloneZone(z), nil
}

// Lookup returns the zones active at t covering p, strictest first (ties by
// ascending ID); a point on a boundary is inside. O(candidates in p's grid
// cell); the result is a deep copy.
func (s *Store) Lookup(ctx context.Context, p orb.Point, at time.Time) ([]zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var buf [16]int32
	items := s.index.LookupInto(buf[:0], p, at)
	out := make([]zones.Zone, len(items))
	for i, it := range items {
		out[i] = cloneZone(s.zones[it])
	}
	return out, nil
}

// LookupBatch is Lookup for many points; result i belongs to ps[i] (an
// empty, non-nil slice when no zone covers it). Zones found several times
// share one deep copy per call (do not modify them).
func (s *Store) LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	out := make([][]zones.Zone, len(ps))
	copies := make(map[int32]zones.Zone)
	var buf [16]int32
	// Results are carved out of one backing slice to keep allocations low.
	var backing []zones.Zone
	for i, p := range ps {
		if i&1023 == 0 && i > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		items := s.index.LookupInto(buf[:0], p, at)
		if len(items) == 0 {
			out[i] = []zones.Zone{}
			continue
		}
		if cap(backing)-len(backing) < len(items) {
			backing = make([]zones.Zone, 0, max(256, len(items)))
		}
		start := len(backing)
		for _, it := range items {
			z, ok := copies[it]
			if !ok {
				z = cloneZone(s.zones[it])
				copies[it] = z
			}
			backing = append(backing, z)
		}
		out[i] = backing[start:len(backing):len(backing)]
	}
	return out, nil
}
