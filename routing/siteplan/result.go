package siteplan

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Result is the output of Plan, ready to render as JSON.
type Result struct {
	Model string `json:"model"`
	// Method says how walking times were obtained, e.g.
	// "straight-line x1.3 at 5 km/h" or "road network (foot)".
	Method     string `json:"method"`
	Resolution int    `json:"resolution"`

	// Sites: shared sites first, then dedicated sites of controlled
	// compounds and cells.
	Sites []Site `json:"sites"`
	// Assignments: one per demand group (H3 cell of shared demand, or a
	// controlled compound or cell) to the site serving it.
	Assignments []Assignment `json:"assignments"`
	// Slots: the invitation schedule of the testing round (Round only).
	Slots      []Slot      `json:"slots,omitempty"`
	DoorToDoor DoorToDoor  `json:"door_to_door"`
	Summary    Summary     `json:"summary"`
	Solver     SolverStats `json:"solver"`
	// Changes against Request.Current (re-planning only).
	Changes  *Changes                   `json:"changes,omitempty"`
	Warnings []string                   `json:"warnings,omitempty"`
	GeoJSON  *geojson.FeatureCollection `json:"geojson,omitempty"`
}

// Site is one open sampling site.
type Site struct {
	// ID is stable across runs for the same inputs: "facility:<id>",
	// "gate:<compound>:<k>", "cell:<h3>", "current:<id>", or for dedicated
	// sites "compound:<id>" / "cell:<h3>".
	ID    string    `json:"id"`
	Name  string    `json:"name,omitempty"`
	Point orb.Point `json:"point"`
	// Source: "facility", "gate", "cell", "current".
	Source     string `json:"source"`
	FacilityID int64  `json:"facility_id,omitempty"`
	CompoundID int64  `json:"compound_id,omitempty"`
	// Dedicated is true for the own site of a controlled compound or cell.
	Dedicated   bool    `json:"dedicated,omitempty"`
	People      float64 `json:"people"`
	MeanWalkMin float64 `json:"mean_walk_min"`
	MaxWalkMin  float64 `json:"max_walk_min"`
	// Desks and FinishMin (minutes after the round start when the last
	// person is swabbed) are set with a Round. LateBy > 0 means the site
	// misses the deadline by that many minutes (desk cap).
	Desks     int     `json:"desks,omitempty"`
	FinishMin float64 `json:"finish_min,omitempty"`
	LateByMin float64 `json:"late_by_min,omitempty"`
}

// Assignment sends the people of one demand group to a site.
type Assignment struct {
	// Demand: "cell:<h3>" (shared demand aggregated on the cell),
	// "compound:<id>" or "cell:<h3>" for dedicated groups.
	Demand string    `json:"demand"`
	Point  orb.Point `json:"point"` // the group's (weighted) centre
	Site   int       `json:"site"`  // index into Result.Sites; -1 unreachable
	People float64   `json:"people"`
	// WalkMin is the walking time in minutes; null when unreachable.
	WalkMin *float64 `json:"walk_min"`
}

// Slot is one invitation window of a site: the people of Demand come to
// Site between StartMin and EndMin (minutes after the round start).
type Slot struct {
	Site     int     `json:"site"`
	Demand   string  `json:"demand"`
	People   float64 `json:"people"`
	StartMin float64 `json:"start_min"`
	EndMin   float64 `json:"end_min"`
}

// DoorToDoor is the load of sealed areas, where teams go to the doors.
type DoorToDoor struct {
	Groups     []DoorGroup `json:"groups"`
	People     float64     `json:"people"`
	Households int         `json:"households"`
	Aged60Plus int         `json:"aged_60_plus"`
	// TeamHours = People / SwabsPerTeamHour; Teams = teams needed to finish
	// all sealed areas before the deadline (teams move between areas).
	TeamHours float64 `json:"team_hours"`
	Teams     int     `json:"teams"`
}

// DoorGroup is one sealed compound, cell or point.
type DoorGroup struct {
	Demand     string    `json:"demand"`
	Name       string    `json:"name,omitempty"`
	Point      orb.Point `json:"point"`
	People     float64   `json:"people"`
	Households int       `json:"households,omitempty"`
	Aged60Plus int       `json:"aged_60_plus,omitempty"`
	TeamHours  float64   `json:"team_hours"`
	// Teams to finish this group alone before the deadline.
	Teams int `json:"teams"`
}

// Summary gives the planner's figures.
type Summary struct {
	People        float64 `json:"people"`          // all demand
	PeopleAtSites float64 `json:"people_at_sites"` // shared + dedicated
	SharedSites   int     `json:"shared_sites"`
	Dedicated     int     `json:"dedicated_sites"`
	// Coverage within 5/10/15 minutes of walking, as a share (0..1) of the
	// people served at sites.
	Within5Min  float64 `json:"within_5_min"`
	Within10Min float64 `json:"within_10_min"`
	Within15Min float64 `json:"within_15_min"`
	MeanWalkMin float64 `json:"mean_walk_min"`
	MaxWalkMin  float64 `json:"max_walk_min"`
	// Unreachable people (no open site reaches them).
	Unreachable float64 `json:"unreachable"`
	// Desks in total and people per desk-hour over the deadline (Round).
	Desks             int     `json:"desks,omitempty"`
	PeoplePerDeskHour float64 `json:"people_per_desk_hour,omitempty"`
	// FinishMin is when the last site finishes (Round).
	FinishMin        float64 `json:"finish_min,omitempty"`
	DoorToDoorPeople float64 `json:"door_to_door_people"`
	DoorToDoorTeams  int     `json:"door_to_door_teams"`
	Seconds          float64 `json:"seconds"`
}

// SolverStats reports the optimisation of the shared sites.
type SolverStats struct {
	// Objective in the model's unit: person-seconds of walking (p-median,
	// capacitated), people not covered (max-cover), sites (set-cover).
	Objective  float64 `json:"objective"`
	LowerBound float64 `json:"lower_bound"`
	Gap        float64 `json:"gap"`
	Optimal    bool    `json:"optimal"`
	Demand     int     `json:"demand_cells"`
	Candidates int     `json:"candidates"`
	Iterations int     `json:"iterations"`
	Seed       uint64  `json:"seed"`
	Seconds    float64 `json:"seconds"`
}

// Changes lists the differences with Request.Current, by site id.
type Changes struct {
	Opened []string `json:"opened"`
	Closed []string `json:"closed"`
	Kept   []string `json:"kept"`
}
