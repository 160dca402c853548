package shuttles

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Appointment is a one-off visit of a rider on a date: a prenatal
// check-up, a chemotherapy session, another appointment, or a labour
// call (urgent: one inbound trip picked up from Start on, to the maternity
// hospital; no return). Other kinds give an inbound trip arriving before
// Start and, unless OneWay, an outbound trip after Start+DurationMin.
type Appointment struct {
	ID          int64    `json:"id"`
	RiderID     int64    `json:"rider_id"`
	Date        string   `json:"date"`  // YYYY-MM-DD
	Kind        Category `json:"kind"`  // prenatal, chemotherapy, other or labour
	Start       string   `json:"start"` // HH:MM: the appointment, or the labour call
	DurationMin int      `json:"duration_min"`
	// FacilityID is where the appointment is (0: the hospital rules pick
	// it, as for sessions).
	FacilityID int64     `json:"facility_id,omitempty"`
	OneWay     bool      `json:"one_way,omitempty"`
	Cancelled  bool      `json:"cancelled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks a on its own (the rider and facility are checked by the
// caller against the registry and the district): paths are the JSON
// field names.
func (a *Appointment) Validate() error {
	if a.RiderID <= 0 {
		return verr("rider_id", "required: the id of a rider")
	}
	if _, err := ParseDate(a.Date); err != nil {
		return verr("date", "%s", err.Error())
	}
	switch a.Kind {
	case CategoryPrenatal, CategoryChemotherapy, CategoryOther, CategoryLabour:
	case CategoryDialysis:
		return verr("kind", "dialysis is planned from the rider's weekly sessions, not appointments")
	default:
		return verr("kind", "want prenatal, chemotherapy, other or labour; got %q", a.Kind)
	}
	start, err := ParseClock(a.Start)
	if err != nil {
		return verr("start", "%s", err.Error())
	}
	if a.Kind == CategoryLabour {
		if a.DurationMin != 0 {
			return verr("duration_min", "a labour call has no duration (0), got %d", a.DurationMin)
		}
	} else {
		if a.DurationMin < MinSessionMinutes || a.DurationMin > MaxSessionMinutes {
			return verr("duration_min", "want %d to %d minutes, got %d", MinSessionMinutes, MaxSessionMinutes, a.DurationMin)
		}
		if start+a.DurationMin > 24*60 {
			return verr("duration_min", "the appointment must end by 24:00 (starts %s, lasts %d min)", a.Start, a.DurationMin)
		}
	}
	if a.FacilityID < 0 {
		return verr("facility_id", "want a facility id, or 0 to let the rules choose")
	}
	return nil
}

// AppointmentFilter selects appointments. Zero fields do not filter.
type AppointmentFilter struct {
	Date             string // YYYY-MM-DD
	RiderID          int64
	IncludeCancelled bool
}

// Matches reports whether a passes f.
func (f AppointmentFilter) Matches(a *Appointment) bool {
	return (f.Date == "" || a.Date == f.Date) && (f.RiderID == 0 || a.RiderID == f.RiderID) && (f.IncludeCancelled || !a.Cancelled)
}

// AppointmentStore keeps the riders' appointments. Listed by (date, start,
// id). Unknown ids are zones.ErrNotFound; invalid appointments a
// *zones.ValidationError (Validate). Times are truncated to the
// microsecond in UTC.
type AppointmentStore interface {
	// CreateAppointment stores a with a new id; Cancelled is false.
	CreateAppointment(ctx context.Context, a Appointment) (Appointment, error)
	GetAppointment(ctx context.Context, id int64) (Appointment, error)
	ListAppointments(ctx context.Context, f AppointmentFilter) ([]Appointment, error)
	// CancelAppointment marks it cancelled (kept for the record; twice is
	// fine).
	CancelAppointment(ctx context.Context, id int64) (Appointment, error)
}

// SortAppointments sorts by date, start and id (the stores' order).
func SortAppointments(as []Appointment) {
	slices.SortFunc(as, func(a, b Appointment) int {
		if c := strings.Compare(a.Date, b.Date); c != 0 {
			return c
		}
		if c := strings.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
