// Package zones is the domain of the lockdown zone map: zones of three kinds
// with validity windows, residential compounds, facilities, and the Store
// interfaces that the embedded memstore and the PostGIS store implement.
//
// All geometry is orb, [lon, lat] in WGS84 (EPSG:4326).
package zones

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Kind is the kind of a zone. The strictest zone containing a point wins:
// sealed > controlled > prevention > none.
type Kind string

const (
	KindNone       Kind = ""
	KindPrevention Kind = "prevention"
	KindControlled Kind = "controlled"
	KindSealed     Kind = "sealed"
)

// Rank orders kinds by strictness: sealed 3, controlled 2, prevention 1,
// anything else 0.
func (k Kind) Rank() int {
	switch k {
	case KindSealed:
		return 3
	case KindControlled:
		return 2
	case KindPrevention:
		return 1
	}
	return 0
}

// Valid reports whether k is one of the three zone kinds.
func (k Kind) Valid() bool { return k.Rank() > 0 }

// Zone is one version of one zone of the map. A zone keeps its ID for
// life; every update adds a version (1, 2, ...) in force from the update's
// time, and the previous version ends there, so the answer for any earlier
// time never changes. A version is active at t when EffectiveFrom <= t and
// (EffectiveUntil is nil or t < *EffectiveUntil); the versions of a zone
// follow each other without gap or overlap. Zones are never deleted:
// lifting sets EffectiveUntil of the last version.
//
// CreatedAt is when the zone (version 1) was created, UpdatedAt when this
// version was written or last lifted. ExternalKey is an optional key of the
// zone in another system, unique among zones; imports match on it.
type Zone struct {
	ID             int64            `json:"id"`
	Version        int              `json:"version"`
	Kind           Kind             `json:"kind"`
	Name           string           `json:"name"`
	Reason         string           `json:"reason,omitempty"`
	ExternalKey    string           `json:"external_key,omitempty"`
	Geometry       orb.MultiPolygon `json:"-"`
	EffectiveFrom  time.Time        `json:"effective_from"`
	EffectiveUntil *time.Time       `json:"effective_until,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// ActiveAt reports whether the zone is in force at t.
func (z *Zone) ActiveAt(t time.Time) bool {
	return !t.Before(z.EffectiveFrom) && (z.EffectiveUntil == nil || t.Before(*z.EffectiveUntil))
}

// ZoneFilter selects zones in ListZones. Zero fields do not filter.
// Without ActiveAt every zone is listed as its current (last) version; with
// it, the version in force at that time, and Kind and BBox apply to it.
type ZoneFilter struct {
	Kind     Kind       // only this kind
	BBox     *orb.Bound // only zones whose geometry intersects the bound
	ActiveAt *time.Time // only zones active at this time (as of then)
	Limit    int        // at most this many (0: no limit)
	Offset   int
}

// HealthCode is a health-code colour; hospitals list the colours they accept.
type HealthCode string

const (
	CodeRed    HealthCode = "red"
	CodeOrange HealthCode = "orange"
	CodeYellow HealthCode = "yellow"
	CodeGreen  HealthCode = "green"
)

// Compound is a residential compound: a polygon, its residents and its gates.
type Compound struct {
	ID         int64            `json:"id"`
	Name       string           `json:"name"`
	Geometry   orb.MultiPolygon `json:"-"`
	Population int              `json:"population"`
	Aged60Plus int              `json:"aged_60_plus"`
	Households int              `json:"households,omitempty"`
	Gates      []orb.Point      `json:"gates"`
}

// FacilityKind is the kind of a facility.
type FacilityKind string

const (
	FacilityHospital      FacilityKind = "hospital"
	FacilityPharmacy      FacilityKind = "pharmacy"
	FacilityHealthCentre  FacilityKind = "health_centre"
	FacilitySupplyPoint   FacilityKind = "supply_point"
	FacilityDepot         FacilityKind = "depot"
	FacilityCandidateSite FacilityKind = "candidate_site"
)

// Valid reports whether k is a known facility kind.
func (k FacilityKind) Valid() bool {
	switch k {
	case FacilityHospital, FacilityPharmacy, FacilityHealthCentre, FacilitySupplyPoint, FacilityDepot, FacilityCandidateSite:
		return true
	}
	return false
}

// Facility is a point of service. Capacity is kind-specific (beds, desks,
// boxes per day); OpeningHours is free text such as "08:00-20:00".
// Accepts lists the health-code colours a hospital accepts.
type Facility struct {
	ID           int64        `json:"id"`
	Kind         FacilityKind `json:"kind"`
	Name         string       `json:"name"`
	Point        orb.Point    `json:"point"`
	Capacity     int          `json:"capacity,omitempty"`
	OpeningHours string       `json:"opening_hours,omitempty"`
	Accepts      []HealthCode `json:"accepts,omitempty"`
	CompoundID   int64        `json:"compound_id,omitempty"` // for supply points: the compound served
}

// FacilityFilter selects facilities in ListFacilities.
type FacilityFilter struct {
	Kind FacilityKind
	BBox *orb.Bound
}

// ZoneStore keeps the zone map and its history.
type ZoneStore interface {
	// CreateZone validates and stores z, assigning ID and timestamps.
	CreateZone(ctx context.Context, z Zone) (Zone, error)
	// CreateZones stores all zones in one transaction: all or nothing.
	CreateZones(ctx context.Context, zs []Zone) ([]Zone, error)
	// GetZone returns the current (last) version of zone id; ErrNotFound
	// for an unknown id.
	GetZone(ctx context.Context, id int64) (Zone, error)
	ListZones(ctx context.Context, f ZoneFilter) ([]Zone, error)
	// ZoneHistory returns every version of zone id, oldest first.
	ZoneHistory(ctx context.Context, id int64) ([]Zone, error)
	// UpdateZone adds a version of zone z.ID with z's Kind, Name, Reason and
	// Geometry, in force from z.EffectiveFrom (zero: now); see PlanUpdate.
	UpdateZone(ctx context.Context, z Zone) (Zone, error)
	// LiftZone sets EffectiveUntil of the last version to at; ErrConflict if
	// already lifted before at, a *ValidationError if at is not after the
	// last version's EffectiveFrom.
	LiftZone(ctx context.Context, id int64, at time.Time) (Zone, error)
	// ImportZones creates, updates or leaves alone each zone of zs in one
	// transaction (all or nothing); see PlanImport.
	ImportZones(ctx context.Context, zs []Zone) (ImportResult, error)
	// Lookup returns the zones active at t that contain p, strictest first
	// (ties by ascending id). A point on a boundary counts as inside.
	Lookup(ctx context.Context, p orb.Point, at time.Time) ([]Zone, error)
	// LookupBatch is Lookup for many points; result i belongs to ps[i].
	LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]Zone, error)
}

// CompoundStore keeps residential compounds.
type CompoundStore interface {
	CreateCompound(ctx context.Context, c Compound) (Compound, error)
	GetCompound(ctx context.Context, id int64) (Compound, error)
	ListCompounds(ctx context.Context, bbox *orb.Bound) ([]Compound, error)
}

// FacilityStore keeps facilities.
type FacilityStore interface {
	CreateFacility(ctx context.Context, f Facility) (Facility, error)
	GetFacility(ctx context.Context, id int64) (Facility, error)
	ListFacilities(ctx context.Context, f FacilityFilter) ([]Facility, error)
}

// Store is everything the service keeps. Implementations are safe for
// concurrent use.
type Store interface {
	ZoneStore
	CompoundStore
	FacilityStore
	// Ping reports whether the store is reachable (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Errors of the zones domain. The API maps them to status codes in one table.
var (
	ErrNotFound = errors.New("zones: not found")
	ErrConflict = errors.New("zones: conflict")
)

// ValidationError says what is wrong with an input and where. Path is a
// JSON-pointer-like location such as "features[3].geometry.coordinates[0]".
type ValidationError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return "invalid: " + e.Message
	}
	return fmt.Sprintf("invalid %s: %s", e.Path, e.Message)
}
