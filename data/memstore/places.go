package memstore

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// CreateCompound validates c (zones.ValidateCompound) and stores it with
// the next ID. Errors: *zones.ValidationError, ErrClosed, log write errors.
func (s *Store) CreateCompound(ctx context.Context, c zones.Compound) (zones.Compound, error) {
	if err := zones.ValidateCompound(c); err != nil {
		return zones.Compound{}, err
	}
	c = cloneCompound(c)
	err := s.write(ctx, func(*txn) (*logRecord, error) {
		c.ID = int64(len(s.compounds) + 1)
		return &logRecord{Compound: &snapCompound{Compound: c, Geometry: c.Geometry}}, nil
	})
	if err != nil {
		return zones.Compound{}, err
	}
	return cloneCompound(c), nil
}

// GetCompound returns compound id or zones.ErrNotFound.
func (s *Store) GetCompound(ctx context.Context, id int64) (zones.Compound, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return zones.Compound{}, err
	}
	if id < 1 || id > int64(len(s.compounds)) {
		return zones.Compound{}, fmt.Errorf("get compound %d: %w", id, zones.ErrNotFound)
	}
	return cloneCompound(s.compounds[id-1]), nil
}

// ListCompounds returns the compounds whose geometry intersects bbox (all
// when nil), in ascending ID order.
func (s *Store) ListCompounds(ctx context.Context, bbox *orb.Bound) ([]zones.Compound, error) {
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	view := s.compounds // append-only: the first len items never change
	s.mu.RUnlock()
	out := []zones.Compound{}
	for _, c := range view {
		if bbox != nil && !zones.IntersectsBound(c.Geometry, *bbox) {
			continue
		}
		out = append(out, cloneCompound(c))
	}
	return out, nil
}

// CreateFacility validates f (zones.ValidateFacility) and stores it with
// the next ID. A non-zero CompoundID must name an existing compound
// (*zones.ValidationError otherwise).
func (s *Store) CreateFacility(ctx context.Context, f zones.Facility) (zones.Facility, error) {
	if err := zones.ValidateFacility(f); err != nil {
		return zones.Facility{}, err
	}
	f = cloneFacility(f)
	err := s.write(ctx, func(*txn) (*logRecord, error) {
		if f.CompoundID != 0 && f.CompoundID > int64(len(s.compounds)) {
			return nil, &zones.ValidationError{Path: "properties.compound_id", Message: fmt.Sprintf("no compound %d", f.CompoundID)}
		}
		f.ID = int64(len(s.facilities) + 1)
		return &logRecord{Facility: &f}, nil
	})
	if err != nil {
		return zones.Facility{}, err
	}
	return cloneFacility(f), nil
}

// GetFacility returns facility id or zones.ErrNotFound.
func (s *Store) GetFacility(ctx context.Context, id int64) (zones.Facility, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return zones.Facility{}, err
	}
	if id < 1 || id > int64(len(s.facilities)) {
		return zones.Facility{}, fmt.Errorf("get facility %d: %w", id, zones.ErrNotFound)
	}
	return cloneFacility(s.facilities[id-1]), nil
}

// ListFacilities returns the facilities of kind f.Kind (all when empty)
// whose point lies in the closed bound f.BBox (all when nil), ascending ID.
func (s *Store) ListFacilities(ctx context.Context, f zones.FacilityFilter) ([]zones.Facility, error) {
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, &zones.ValidationError{Path: "kind", Message: fmt.Sprintf("unknown facility kind %q", string(f.Kind))}
	}
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	view := s.facilities // append-only: the first len items never change
	s.mu.RUnlock()
	out := []zones.Facility{}
	for _, x := range view {
		if f.Kind != "" && x.Kind != f.Kind {
			continue
		}
		if f.BBox != nil && !f.BBox.Contains(x.Point) {
			continue
		}
		out = append(out, cloneFacility(x))
	}
	return out, nil
}
