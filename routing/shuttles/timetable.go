package shuttles

import (
	"context"
	"time"
)

// Timetable is one published version of a day's shuttle timetable: what
// was planned (the fleet, every trip of the day, the policy, the seed) and
// the plan itself, with the checks it passed. A re-plan (changes, an
// urgent call) is a new version made from Base; versions are never
// changed.
type Timetable struct {
	Date      string    `json:"date"`
	Version   int       `json:"version"`
	Base      int       `json:"base_version"` // the version re-planned (0: a fresh plan)
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Reason    string    `json:"reason"` // plan, changes or urgent
	Seed      uint64    `json:"seed"`
	Policy    Policy    `json:"policy"`
	Fleet     []Van     `json:"fleet"`
	TripList  []Trip    `json:"trip_list"` // every trip of the day (planned, unplanned, done)
	Cancelled []Trip    `json:"cancelled,omitempty"`
	// VansOut are out of service from the re-plan that took them out.
	VansOut []uint64   `json:"vans_out,omitempty"`
	Plan    PlanResult `json:"plan"`
	Check   DayCheck   `json:"check"`
	// Changes says what differs from Base and who must be told.
	Changes *ChangeReport `json:"changes,omitempty"`
}

// Timetable reasons.
const (
	ReasonPlan    = "plan"
	ReasonChanges = "changes"
	ReasonUrgent  = "urgent"
)

// TimetableVersion is a version's header.
type TimetableVersion struct {
	Date      string    `json:"date"`
	Version   int       `json:"version"`
	Base      int       `json:"base_version"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Reason    string    `json:"reason"`
	Trips     int       `json:"trips"`
	Planned   int       `json:"planned"`
	VansUsed  int       `json:"vans_used"`
}

// Header returns tt's header.
func (tt *Timetable) Header() TimetableVersion {
	return TimetableVersion{Date: tt.Date, Version: tt.Version, Base: tt.Base, CreatedAt: tt.CreatedAt, Author: tt.Author, Reason: tt.Reason,
		Trips: tt.Plan.Trips, Planned: tt.Plan.Planned, VansUsed: tt.Plan.VansUsed}
}

// Validate checks what the stores rely on: the date, the reason, a
// non-negative base.
func (tt *Timetable) Validate() error {
	if _, err := ParseDate(tt.Date); err != nil {
		return verr("date", "%s", err.Error())
	}
	switch tt.Reason {
	case ReasonPlan, ReasonChanges, ReasonUrgent:
	default:
		return verr("reason", "want plan, changes or urgent, got %q", tt.Reason)
	}
	if tt.Base < 0 {
		return verr("base_version", "want 0 or a version, got %d", tt.Base)
	}
	return nil
}

// TimetableStore keeps the published timetables, by date and version
// (1, 2, ... per date).
type TimetableStore interface {
	// SaveTimetable stores tt as the next version of its date and returns
	// it with Version and CreatedAt set. A re-plan (Base > 0) whose base
	// is no longer the latest version is zones.ErrConflict (someone
	// published in between), and so is a Base that does not exist.
	SaveTimetable(ctx context.Context, tt Timetable) (Timetable, error)
	// GetTimetable returns a version (0: the latest); zones.ErrNotFound
	// when there is none.
	GetTimetable(ctx context.Context, date string, version int) (Timetable, error)
	// ListTimetables lists the date's versions, oldest first.
	ListTimetables(ctx context.Context, date string) ([]TimetableVersion, error)
}

// ChangeReport is what a re-plan changed against its base version: the
// requests, and exactly who must be told.
type ChangeReport struct {
	At       string         `json:"at"` // HH:MM: the re-plan keeps everything before
	Requests []Change       `json:"requests"`
	Riders   []RiderNotice  `json:"riders"`
	Drivers  []DriverNotice `json:"drivers"`
	// Phase says how much had to give: 1 every trip kept on its van and
	// near its published time, 2 trips moved between vans, 3 published
	// times given up where needed.
	Phase int `json:"phase"`
}

// Change is one request of a re-plan. Kind is cancel_trip (TripID),
// cancel_rider (RiderID: all their trips not yet started), add_trip
// (RiderID and an appointment-like Kind/Start/DurationMin, or Urgent),
// colour (RiderID, Colour) or van_out (Van).
type Change struct {
	Kind        string   `json:"kind"`
	TripID      uint64   `json:"trip_id,omitempty"`
	RiderID     int64    `json:"rider_id,omitempty"`
	Van         uint64   `json:"van,omitempty"`
	Colour      string   `json:"colour,omitempty"`
	Category    Category `json:"category,omitempty"`
	Start       string   `json:"start,omitempty"`
	DurationMin int      `json:"duration_min,omitempty"`
	OneWay      bool     `json:"one_way,omitempty"`
}

// RiderNotice tells a rider about one trip. What is time (the pick-up
// time moved), van (another van comes), cancelled, added or unplanned
// (no van can take the trip any more: the dispatcher calls).
type RiderNotice struct {
	RiderID   int64  `json:"rider_id"`
	Pseudonym string `json:"pseudonym"`
	TripID    uint64 `json:"trip_id"`
	Direction string `json:"direction"`
	What      string `json:"what"`
	OldTime   string `json:"old_time,omitempty"`
	NewTime   string `json:"new_time,omitempty"`
	OldVan    uint64 `json:"old_van,omitempty"`
	NewVan    uint64 `json:"new_van,omitempty"`
	Place     string `json:"place,omitempty"`
}

// DriverNotice tells a van's driver that their list changed.
type DriverNotice struct {
	Van       uint64 `json:"van"`
	Driver    string `json:"driver,omitempty"`
	RouteList string `json:"route_list,omitempty"`
	Added     int    `json:"stops_added"`
	Removed   int    `json:"stops_removed"`
	Moved     int    `json:"stops_moved"`
}
