// Package siteplan is the use case "where do we put the nucleic-acid
// sampling points (or vaccination sites), how many desks, who comes when":
// compounds, population grids and weighted points -> zone rules -> demand
// aggregated on H3 cells -> walking-time matrix -> routing/siting engine ->
// sites, desks, time slots, door-to-door load, a GeoJSON map layer.
//
// Zone rules (the caller passes, per compound, point or cell, the strictest
// zone kind covering it at the plan time, or functions that look it up):
//   - sealed: people may not go out. Nobody there is served by a site; the
//     door-to-door report counts households, people, aged 60+ and the
//     sampling teams needed for Round.SwabsPerTeamHour before the deadline.
//   - controlled: people may not leave the compound. Each controlled
//     compound gets its own site at its gate (the gate nearest its centroid,
//     else the centroid), never shared; controlled cells and points that
//     are not compounds get their own site at their H3 cell centre.
//   - prevention or none: everyone else shares the optimised sites.
//
// Walking times come from a WalkFunc (the road engine's foot profile) or,
// when nil, from the straight-line distance times Walk.Detour at
// Walk.SpeedKmh; Result.Method says which.
//
// Coordinates are [lon, lat] (orb order) everywhere; times in the result
// are minutes; the round's clock starts at 0 (the round start).
package siteplan

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/routing"
	"lifeline/zones"
)

// WalkFunc returns the walking times in seconds from every point of from
// (rows) to every point of to (columns), routing.Unreachable where no path
// exists. It must be safe to call from the goroutine running Plan.
type WalkFunc func(from, to []orb.Point) (routing.Matrix, error)

// Models accepted in Request.Model.
const (
	// ModelPMedian minimises the total walking time (people x seconds) with
	// Request.Sites shared sites.
	ModelPMedian = "p-median"
	// ModelCapacitated also respects site capacities: desks x
	// Round.PeoplePerDeskHour x Round.DeadlineHours people (candidate
	// facilities' Capacity is their desk count; generated candidates get
	// Round.MaxDesksPerSite). Needs Round.
	ModelCapacitated = "capacitated"
	// ModelMaxCover opens Request.Sites sites covering the most people
	// within CoverMinutes of walking.
	ModelMaxCover = "max-cover"
	// ModelSetCover opens the fewest sites so that everyone who can reach
	// any candidate within CoverMinutes does (Request.Sites is ignored).
	ModelSetCover = "set-cover"
)

// Candidate sources accepted in Request.CandidatesFrom.
const (
	FromFacilities = "facilities" // Request.Candidates (kind candidate_site)
	FromGates      = "gates"      // gates of compounds in no or a prevention zone
	FromCells      = "cells"      // centres of the H3 cells holding shared demand
)

// Request is the input of Plan, bindable from JSON (POST /v1/sites/plan).
// Zero values take the defaults stated on each field.
type Request struct {
	// Model: "p-median" (default), "capacitated", "max-cover", "set-cover".
	Model string `json:"model,omitempty"`
	// Sites is the number of shared sites to open (p); required except for
	// set-cover. Dedicated sites of controlled compounds come on top.
	Sites int `json:"sites,omitempty"`
	// CoverMinutes is the walking threshold of the covering models
	// (default 15).
	CoverMinutes float64 `json:"cover_minutes,omitempty"`
	// Resolution is the H3 resolution demand is aggregated to (default 9,
	// cells of about 0.1 km²; allowed 5..12).
	Resolution int `json:"resolution,omitempty"`

	// Demand. At least one person in total is required.
	Compounds []CompoundDemand `json:"compounds,omitempty"`
	Cells     []CellDemand     `json:"cells,omitempty"`
	Points    []PointDemand    `json:"points,omitempty"`
	// CompoundDemandAt: "gates" (default: population spread evenly over the
	// gates, centroid when a compound has none) or "centroid".
	CompoundDemandAt string `json:"compound_demand_at,omitempty"`

	// Candidates are facilities of kind candidate_site; Capacity is the
	// number of desks (0: Round.MaxDesksPerSite).
	Candidates []zones.Facility `json:"candidates,omitempty"`
	// CandidatesFrom lists the candidate sources: "facilities", "gates",
	// "cells" (default all three).
	CandidatesFrom []string `json:"candidates_from,omitempty"`

	// Walk configures the straight-line fallback when Plan gets no WalkFunc.
	Walk WalkOptions `json:"walk,omitempty"`
	// Round, when set, sizes desks and time slots for a whole-population
	// testing round and the door-to-door teams.
	Round *Round `json:"round,omitempty"`

	// Current sites for re-planning: they are added to the candidates and
	// the answer keeps all but at most MaxMoves of them (0: free choice,
	// still reporting opened/closed/kept).
	Current  []CurrentSite `json:"current,omitempty"`
	MaxMoves int           `json:"max_moves,omitempty"`

	// Seed of the solver (default 1) and its time budget in seconds
	// (default 10, at most 600).
	Seed             uint64  `json:"seed,omitempty"`
	TimeLimitSeconds float64 `json:"time_limit_seconds,omitempty"`
	// OmitGeoJSON leaves Result.GeoJSON nil (for large benchmark runs).
	OmitGeoJSON bool `json:"omit_geojson,omitempty"`

	// CompoundZone, when set, overrides CompoundDemand.Zone: the strictest
	// zone kind covering the compound at the plan time.
	CompoundZone func(c zones.Compound) zones.Kind `json:"-"`
	// PointZone, when set, gives the strictest zone kind at a point; it
	// overrides the Zone fields of cells and points and keeps shared
	// candidates out of sealed and controlled zones.
	PointZone func(p orb.Point) zones.Kind `json:"-"`
}

// CompoundDemand is a residential compound with its zone kind. Geometry is
// a GeoJSON Polygon or MultiPolygon ([lon, lat]); it is needed only when
// the compound has no gates or CompoundDemandAt is "centroid".
type CompoundDemand struct {
	zones.Compound
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
	// Zone is the strictest zone kind covering the compound ("" = none).
	Zone zones.Kind `json:"zone,omitempty"`
}

// CellDemand is the population of one H3 cell (e.g. a row of a population
// grid CSV). Cell is the hexadecimal index; its centre is the demand point.
type CellDemand struct {
	Cell       string     `json:"cell"`
	Population float64    `json:"population"`
	Zone       zones.Kind `json:"zone,omitempty"`
}

// PointDemand is a weighted point ([lon, lat]).
type PointDemand struct {
	ID         string     `json:"id,omitempty"`
	Point      orb.Point  `json:"point"`
	Population float64    `json:"population"`
	Zone       zones.Kind `json:"zone,omitempty"`
}

// WalkOptions configure the straight-line walking estimate.
type WalkOptions struct {
	// SpeedKmh is the walking speed (default 5 km/h).
	SpeedKmh float64 `json:"speed_kmh,omitempty"`
	// Detour multiplies the great-circle distance (default 1.3).
	Detour float64 `json:"detour,omitempty"`
}

// Round describes a whole-population testing round.
type Round struct {
	// DeadlineHours: everybody must be swabbed within this many hours.
	DeadlineHours float64 `json:"deadline_hours"`
	// PeoplePerDeskHour is the throughput of one desk.
	PeoplePerDeskHour float64 `json:"people_per_desk_hour"`
	// MaxQueue is the most people waiting at a site at once (default 50).
	// People are invited in slots of at most MaxQueue, each slot as long
	// as the site's desks need to swab them.
	MaxQueue int `json:"max_queue,omitempty"`
	// MaxDesksPerSite caps desks at a site (0: no cap). Sites that would
	// need more miss the deadline and say so.
	MaxDesksPerSite int `json:"max_desks_per_site,omitempty"`
	// SwabsPerTeamHour is the throughput of one door-to-door team
	// (default 20).
	SwabsPerTeamHour float64 `json:"swabs_per_team_hour,omitempty"`
}

// CurrentSite is a site already open (re-planning).
type CurrentSite struct {
	ID    string    `json:"id"`
	Point orb.Point `json:"point"`
}

// ValidationError is *zones.ValidationError (Path and Message), so the API
// maps it to 422 like every other input error.
type ValidationError = zones.ValidationError

func verr(path, format string, a ...any) error {
	return &zones.ValidationError{Path: path, Message: fmt.Sprintf(format, a...)}
}

// ErrWalk wraps an error returned by the WalkFunc.
var ErrWalk = errors.New("siteplan: walking-time matrix")
