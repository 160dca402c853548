// Package shuttles is the domain of the shuttle service for patients who
// must keep travelling to hospital during a lockdown (dialysis, pregnancy,
// chemotherapy): the riders' registry, the hospital rules (which facility
// may take which rider on which day) and the store interface that both
// stores implement.
//
// A rider carries personal data (Name, Phone): handlers mask it for roles
// that may not see it (accounts.Masker) and nothing here logs it. The
// pseudonym ("D-017") is the public handle used on timetables and in logs.
//
// No gin or pgx here; geometry is orb, [lon, lat] in WGS84.
package shuttles

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/paulmach/orb"

	"lifeline/internal/valid"
	"lifeline/zones"
)

// Category is why a rider travels.
type Category string

const (
	CategoryDialysis     Category = "dialysis"
	CategoryPrenatal     Category = "prenatal"
	CategoryLabour       Category = "labour"
	CategoryChemotherapy Category = "chemotherapy"
	CategoryOther        Category = "other"
)

// Categories lists every category, in a fixed order.
var Categories = []Category{CategoryDialysis, CategoryPrenatal, CategoryLabour, CategoryChemotherapy, CategoryOther}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, x := range Categories {
		if c == x {
			return true
		}
	}
	return false
}

// Recurring reports whether riders of this category have weekly sessions.
func (c Category) Recurring() bool { return c == CategoryDialysis || c == CategoryChemotherapy }

// Pregnancy reports whether the category is about a pregnancy.
func (c Category) Pregnancy() bool { return c == CategoryPrenatal || c == CategoryLabour }

// BoardingKind says where the van stops: at the compound's gate, or (in a
// sealed compound, where residents may not walk to the gate) at the door of
// the rider's building, which takes longer.
type BoardingKind string

const (
	BoardingGate     BoardingKind = "gate"
	BoardingBuilding BoardingKind = "building"
)

// Service times at a boarding point, by kind (seconds): a wheelchair adds
// WheelchairExtraSeconds.
const (
	GateServiceSeconds     = 120
	BuildingServiceSeconds = 300
	WheelchairExtraSeconds = 180
)

// Boarding is where a rider gets on and off.
type Boarding struct {
	Point orb.Point    `json:"point"` // [lon, lat]
	Label string       `json:"label"` // "north gate", "building 7, unit 2"
	Kind  BoardingKind `json:"kind"`
}

// ServiceSeconds is the time the van stands at the boarding point for r.
func (r *Rider) ServiceSeconds() int {
	s := GateServiceSeconds
	if r.Boarding.Kind == BoardingBuilding {
		s = BuildingServiceSeconds
	}
	if r.Mobility.Wheelchair {
		s += WheelchairExtraSeconds
	}
	return s
}

// HealthCode is the rider's health-code colour and the day it was set.
type HealthCode struct {
	Colour zones.HealthCode `json:"colour"`
	SetOn  string           `json:"set_on"` // YYYY-MM-DD
}

// Mobility is what the rider needs in the van.
type Mobility struct {
	Wheelchair bool `json:"wheelchair"`
	Companions int  `json:"companions"` // seats for companions (0..MaxCompanions)
}

// MaxCompanions is the most companion seats a rider may book.
const MaxCompanions = 2

// Seats is the number of ordinary seats the rider takes (the rider's own
// seat unless in a wheelchair, plus companions).
func (r *Rider) Seats() int {
	n := r.Mobility.Companions
	if !r.Mobility.Wheelchair {
		n++
	}
	return n
}

// Session is a weekly recurring treatment: on each of Weekdays, from Start
// ("07:30", local time of the district) for DurationMin minutes.
type Session struct {
	Weekdays    []string `json:"weekdays"` // "mon" .. "sun"
	Start       string   `json:"start"`
	DurationMin int      `json:"duration_min"`
}

// Session limits.
const (
	MinSessionMinutes = 15
	MaxSessionMinutes = 12 * 60
	MaxSessions       = 7
)

// Rider is one person registered for the shuttle.
type Rider struct {
	ID         int64      `json:"id"`
	Pseudonym  string     `json:"pseudonym"`
	Name       string     `json:"name"`  // personal data
	Phone      string     `json:"phone"` // personal data
	CompoundID int64      `json:"compound_id"`
	Boarding   Boarding   `json:"boarding"`
	Category   Category   `json:"category"`
	HealthCode HealthCode `json:"health_code"`
	Mobility   Mobility   `json:"mobility"`
	FacilityID int64      `json:"facility_id"` // their hospital or centre
	Sessions   []Session  `json:"sessions,omitempty"`
	// DueDate (YYYY-MM-DD) is the expected delivery date, for prenatal and
	// labour riders only; optional.
	DueDate   string    `json:"due_date,omitempty"`
	Archived  bool      `json:"archived"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Clone returns a deep copy of r.
func (r Rider) Clone() Rider {
	if r.Sessions != nil {
		s := make([]Session, len(r.Sessions))
		for i, x := range r.Sessions {
			x.Weekdays = append([]string(nil), x.Weekdays...)
			s[i] = x
		}
		r.Sessions = s
	}
	return r
}

var (
	pseudonymRE = regexp.MustCompile(`^[A-Z]{1,3}-[0-9]{3,6}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9][0-9 \-]{3,22}[0-9]$`)
	hhmmRE      = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Weekdays in the order used everywhere ("mon" first).
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// WeekdayOf returns the weekday name ("mon") of t.
func WeekdayOf(t time.Time) string { return Weekdays[(int(t.Weekday())+6)%7] }

func weekdayIndex(s string) int {
	for i, w := range Weekdays {
		if s == w {
			return i
		}
	}
	return -1
}

// ParseDate parses a YYYY-MM-DD date (midnight UTC).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a date YYYY-MM-DD, got %q", s)
	}
	return t, nil
}

// ParseClock parses "HH:MM" into minutes after midnight.
func ParseClock(s string) (int, error) {
	if !hhmmRE.MatchString(s) {
		return 0, fmt.Errorf("want a time HH:MM between 00:00 and 23:59, got %q", s)
	}
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0'), nil
}

var verr = valid.Errorf

// Validate checks r on its own (not against the stored compounds and
// facilities: see Rules.Check). The ID, Archived and timestamps are not
// checked. Errors are *zones.ValidationError with a JSON path
// ("sessions[1].start").
func (r *Rider) Validate() error {
	if !pseudonymRE.MatchString(r.Pseudonym) {
		return verr("pseudonym", "want 1-3 capital letters, a dash and 3-6 digits (\"D-017\"), got %q", r.Pseudonym)
	}
	if err := valid.Text("name", r.Name, true, 100); err != nil {
		return err
	}
	if !phoneRE.MatchString(r.Phone) {
		return verr("phone", "want digits, spaces or dashes with an optional leading +, 5 to 24 characters")
	}
	if r.CompoundID <= 0 {
		return verr("compound_id", "required: the id of the rider's compound")
	}
	p := r.Boarding.Point
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return verr("boarding.point", "want [lon, lat] with lon in [-180, 180] and lat in [-90, 90]")
	}
	if p == (orb.Point{}) {
		return verr("boarding.point", "required")
	}
	if err := valid.Text("boarding.label", r.Boarding.Label, true, 100); err != nil {
		return err
	}
	if r.Boarding.Kind != BoardingGate && r.Boarding.Kind != BoardingBuilding {
		return verr("boarding.kind", "want gate or building, got %q", r.Boarding.Kind)
	}
	if !r.Category.Valid() {
		return verr("category", "want one of dialysis, prenatal, labour, chemotherapy, other; got %q", r.Category)
	}
	switch r.HealthCode.Colour {
	case zones.CodeRed, zones.CodeOrange, zones.CodeYellow, zones.CodeGreen:
	default:
		return verr("health_code.colour", "want red, orange, yellow or green, got %q", r.HealthCode.Colour)
	}
	if _, err := ParseDate(r.HealthCode.SetOn); err != nil {
		return verr("health_code.set_on", "%s", err.Error())
	}
	if r.Mobility.Companions < 0 || r.Mobility.Companions > MaxCompanions {
		return verr("mobility.companions", "want 0 to %d, got %d", MaxCompanions, r.Mobility.Companions)
	}
	if r.FacilityID <= 0 {
		return verr("facility_id", "required: the id of the rider's hospital or centre")
	}
	if err := r.validateSessions(); err != nil {
		return err
	}
	if r.DueDate != "" {
		if !r.Category.Pregnancy() {
			return verr("due_date", "only for prenatal and labour riders")
		}
		if _, err := ParseDate(r.DueDate); err != nil {
			return verr("due_date", "%s", err.Error())
		}
	}
	return nil
}

func (r *Rider) validateSessions() error {
	if len(r.Sessions) > 0 && !r.Category.Recurring() {
		return verr("sessions", "only dialysis and chemotherapy riders have recurring sessions")
	}
	if r.Category == CategoryDialysis && len(r.Sessions) == 0 {
		return verr("sessions", "a dialysis rider needs at least one weekly session")
	}
	if len(r.Sessions) > MaxSessions {
		return verr("sessions", "at most %d sessions, got %d", MaxSessions, len(r.Sessions))
	}
	type span struct{ from, to, idx int }
	var byDay [7][]span
	for i, s := range r.Sessions {
		path := fmt.Sprintf("sessions[%d]", i)
		if len(s.Weekdays) == 0 {
			return verr(path+".weekdays", "at least one weekday")
		}
		seen := [7]bool{}
		start, err := ParseClock(s.Start)
		if err != nil {
			return verr(path+".start", "%s", err.Error())
		}
		if s.DurationMin < MinSessionMinutes || s.DurationMin > MaxSessionMinutes {
			return verr(path+".duration_min", "want %d to %d minutes, got %d", MinSessionMinutes, MaxSessionMinutes, s.DurationMin)
		}
		end := start + s.DurationMin
		if end > 24*60 {
			return verr(path+".duration_min", "the session must end by 24:00 (starts %s, lasts %d min)", s.Start, s.DurationMin)
		}
		for j, w := range s.Weekdays {
			k := weekdayIndex(w)
			if k < 0 {
				return verr(fmt.Sprintf("%s.weekdays[%d]", path, j), "want mon, tue, wed, thu, fri, sat or sun, got %q", w)
			}
			if seen[k] {
				return verr(fmt.Sprintf("%s.weekdays[%d]", path, j), "%s is listed twice", w)
			}
			seen[k] = true
			for _, o := range byDay[k] {
				if start < o.to && o.from < end {
					return verr(path, "overlaps sessions[%d] on %s", o.idx, w)
				}
			}
			byDay[k] = append(byDay[k], span{start, end, i})
		}
	}
	return nil
}

// SessionsOn returns the sessions that fall on date's weekday.
func (r *Rider) SessionsOn(date time.Time) []Session {
	w := WeekdayOf(date)
	var out []Session
	for _, s := range r.Sessions {
		for _, x := range s.Weekdays {
			if x == w {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
