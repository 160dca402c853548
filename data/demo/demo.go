// Package demo generates the demo district: a synthetic, seeded street of
// about 3 x 2.5 km around [104.07, 30.65] with residential compounds, a
// street network (as OSM XML), hospitals, pharmacies, supply points,
// candidate sampling sites and a zone map. Nothing here is derived from
// OpenStreetMap data; the district is ours, so no OSM attribution applies.
//
// The same seed always yields the same District, byte for byte. Generation
// is cheap (a few hundred points, well under a millisecond) and does no I/O. All geometry is orb, [lon, lat] in WGS84, rounded to 1e-7
// degrees (about 1 cm).
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// DefaultSeed is the seed of Default.
const DefaultSeed uint64 = 20261120

// Centre of the demo district, [lon, lat] (central Chengdu). Treat it as a
// constant: Generate reads it.
var Centre = orb.Point{104.07, 30.65}

// Size of the demo district in metres (west-east, south-north).
const (
	WidthMeters  = 3000.0
	HeightMeters = 2500.0
)

// District is the whole demo data set.
//
// IDs inside a District are local: compounds are numbered 1..len(Compounds),
// facilities 1..len(Facilities), zones 1..len(Zones), and
// Facility.CompoundID refers to Compound.ID. Load remaps them to the IDs
// the store assigns.
type District struct {
	Compounds  []zones.Compound
	Facilities []zones.Facility
	// Zones: sealed and controlled compounds, one prevention zone, and a
	// zone already lifted (EffectiveUntil set) to show history.
	Zones []zones.Zone
	// StreetsOSM is the street network as OSM XML (API 0.6): nodes with
	// positive ids, ways tagged highway=primary|secondary|tertiary|residential,
	// name, maxspeed and oneway=yes where relevant.
	StreetsOSM []byte
}

// Dates of the demo zone map (China Standard Time, UTC+8).
var (
	cst = zones.DistrictZone
	// EffectiveFrom is when the current zone map takes effect.
	EffectiveFrom = time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
	// SecondSealFrom is when the second sealed compound takes effect.
	SecondSealFrom = time.Date(2026, 11, 22, 0, 0, 0, 0, cst)
	// LiftedFrom and LiftedAt bound the zone that was already lifted.
	LiftedFrom = time.Date(2026, 11, 8, 0, 0, 0, 0, cst)
	LiftedAt   = time.Date(2026, 11, 19, 12, 0, 0, 0, cst)
)

// Default returns the district of DefaultSeed. Each call generates a fresh
// value that the caller may modify.
func Default() *District { return Generate(DefaultSeed) }

// ErrNotEmpty is returned by Load when the store already holds compounds,
// so that restarting a service on a persistent store does not duplicate the
// demo. Callers that only want "load once" can ignore it with errors.Is.
var ErrNotEmpty = errors.New("demo: store already holds compounds")

// Load inserts the district into store: compounds first (remembering the
// IDs the store assigns), then facilities with CompoundID remapped, then all
// zones in one CreateZones call. Zones that have EffectiveUntil set are
// created open and then lifted with LiftZone, so the store records the lift
// as it would for a planner. d is not modified.
//
// Load returns ErrNotEmpty (before writing anything) if the store already
// holds at least one compound, and otherwise the first store error, wrapped.
// It is not atomic across kinds: on error some rows may have been written.
func Load(ctx context.Context, store zones.Store, d *District) error {
	existing, err := store.ListCompounds(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo: list compounds: %w", err)
	}
	if len(existing) > 0 {
		return ErrNotEmpty
	}
	ids := make(map[int64]int64, len(d.Compounds))
	for _, c := range d.Compounds {
		local := c.ID
		c.ID = 0
		c.Gates = append([]orb.Point(nil), c.Gates...)
		got, err := store.CreateCompound(ctx, c)
		if err != nil {
			return fmt.Errorf("demo: create compound %q: %w", c.Name, err)
		}
		ids[local] = got.ID
	}
	for _, f := range d.Facilities {
		f.ID = 0
		if f.CompoundID != 0 {
			id, ok := ids[f.CompoundID]
			if !ok {
				return fmt.Errorf("demo: facility %q refers to unknown compound %d", f.Name, f.CompoundID)
			}
			f.CompoundID = id
		}
		f.Accepts = append([]zones.HealthCode(nil), f.Accepts...)
		if _, err := store.CreateFacility(ctx, f); err != nil {
			return fmt.Errorf("demo: create facility %q: %w", f.Name, err)
		}
	}
	zs := make([]zones.Zone, len(d.Zones))
	for i, z := range d.Zones {
		z.ID = 0
		z.EffectiveUntil = nil
		zs[i] = z
	}
	created, err := store.CreateZones(ctx, zs)
	if err != nil {
		return fmt.Errorf("demo: create zones: %w", err)
	}
	if len(created) != len(zs) {
		return fmt.Errorf("demo: create zones: store returned %d zones for %d", len(created), len(zs))
	}
	for i, z := range d.Zones {
		if z.EffectiveUntil == nil {
			continue
		}
		if _, err := store.LiftZone(ctx, created[i].ID, *z.EffectiveUntil); err != nil {
			return fmt.Errorf("demo: lift zone %q: %w", z.Name, err)
		}
	}
	return nil
}
