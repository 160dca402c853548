package shuttles

import (
	"context"
	"strings"
)

// RiderFilter selects riders in ListRiders. Zero fields do not filter.
type RiderFilter struct {
	Category   Category
	CompoundID int64
	FacilityID int64
	// Search matches, case-insensitively, a substring of the pseudonym,
	// the name, the phone or the boarding label.
	Search string
	// IncludeArchived lists archived riders too.
	IncludeArchived bool
	Limit           int // at most this many (0: no limit)
	Offset          int
}

// Matches reports whether r passes f (the stores' shared definition; the
// PostGIS store does the same in SQL).
func (f RiderFilter) Matches(r *Rider) bool {
	if r.Archived && !f.IncludeArchived {
		return false
	}
	if f.Category != "" && r.Category != f.Category {
		return false
	}
	if f.CompoundID != 0 && r.CompoundID != f.CompoundID {
		return false
	}
	if f.FacilityID != 0 && r.FacilityID != f.FacilityID {
		return false
	}
	if f.Search != "" {
		q := strings.ToLower(f.Search)
		hit := false
		for _, s := range []string{r.Pseudonym, r.Name, r.Phone, r.Boarding.Label} {
			if strings.Contains(strings.ToLower(s), q) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// RiderStore keeps the riders' registry. Riders are listed by ascending
// id. Pseudonyms are unique among all riders, archived ones included
// (zones.ErrConflict). Unknown ids are zones.ErrNotFound; invalid riders a
// *zones.ValidationError (Validate; references to compounds and facilities
// are checked by the caller with Rules.Check). Times are truncated to the
// microsecond in UTC.
type RiderStore interface {
	// CreateRider stores r with a new id; Archived is false.
	CreateRider(ctx context.Context, r Rider) (Rider, error)
	GetRider(ctx context.Context, id int64) (Rider, error)
	ListRiders(ctx context.Context, f RiderFilter) ([]Rider, error)
	// UpdateRider replaces every field of rider r.ID but CreatedAt and
	// Archived.
	UpdateRider(ctx context.Context, r Rider) (Rider, error)
	// ArchiveRider marks the rider archived: kept for the record, no
	// longer listed (unless asked) or planned. Archiving twice is fine.
	ArchiveRider(ctx context.Context, id int64) (Rider, error)
	// ImportRiders creates every rider of rs in one transaction: all or
	// nothing. A pseudonym that exists or repeats is zones.ErrConflict.
	ImportRiders(ctx context.Context, rs []Rider) ([]Rider, error)
}
