package shuttles

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/zones"
)

// Planning rules of a day's shuttles (first version):
//   - each session of the day gives an inbound trip (boarding point ->
//     facility, arriving 40 to 5 minutes before the session starts) and an
//     outbound trip (facility -> boarding point, leaving within 30 minutes
//     after it ends); the facility is Rules.Destination's, riders it refuses
//     are skipped with the reason;
//   - ride time (leaving the pickup to being served at the drop-off) at most
//     max(30 min, 1.5 x the direct drive + 10 min);
//   - health-code colours never share a van (VROOM classes, all pairs
//     incompatible; cleaning_time between colours);
//   - seats: capacity [seats, wheelchair places], each trip takes the
//     rider's seats (Rider.Seats) and 1 wheelchair place if in one.
//
// Times in the VROOM document are seconds after midnight of the day.
const (
	ArriveEarliestMin = 40
	ArriveLatestMin   = 5
	LeaveWithinMin    = 30
	MinRideCapSec     = 30 * 60
	RideSlackSec      = 10 * 60
	FacilityStopSec   = 60
	DefaultCleanMin   = 15
)

// Van is one shuttle van for the day.
type Van struct {
	ID               uint64    `json:"id"`
	Start            orb.Point `json:"start"` // its depot ([lon, lat]); it returns there
	Seats            int       `json:"seats"`
	WheelchairPlaces int       `json:"wheelchair_places"`
	// Shift "06:00"-"21:00" (defaults).
	ShiftStart string `json:"shift_start,omitempty"`
	ShiftEnd   string `json:"shift_end,omitempty"`
	// Driver is the driver's account (their route list is assigned to it);
	// DriverPhone is printed on the riders' pick-up notices.
	Driver      string `json:"driver,omitempty"`
	DriverPhone string `json:"driver_phone,omitempty"`
	// Standby vans are kept out of the plan and sent to urgent calls.
	Standby bool `json:"standby,omitempty"`
}

// Van defaults.
const (
	DefaultVanSeats      = 6
	DefaultVanWheelchair = 1
	DefaultShiftStart    = "06:00"
	DefaultShiftEnd      = "21:00"
	MaxVans              = 100
)

// Trip is one ride of a rider (a VROOM shipment: ID is its pickup's id,
// ID+1 its delivery's). Window is the delivery window of an inbound trip
// (arrival at the facility) and the pickup window of an outbound or urgent
// one, in seconds after midnight.
type Trip struct {
	ID            uint64           `json:"id"`
	RiderID       int64            `json:"rider_id"`
	Pseudonym     string           `json:"pseudonym"`
	Kind          Category         `json:"kind"`
	AppointmentID int64            `json:"appointment_id,omitempty"`
	Direction     string           `json:"direction"` // inbound or outbound
	Urgent        bool             `json:"urgent,omitempty"`
	FacilityID    int64            `json:"facility_id"`
	From          orb.Point        `json:"from_point"`
	To            orb.Point        `json:"to_point"`
	FromLabel     string           `json:"from"`
	ToLabel       string           `json:"to"`
	BoardingKind  BoardingKind     `json:"boarding_kind"`
	Window        [2]int           `json:"window"`
	Colour        zones.HealthCode `json:"colour"`
	Seats         int              `json:"seats"`
	Wheelchair    bool             `json:"wheelchair"`
	Boarding      int              `json:"boarding_s"` // service seconds at the boarding point
	Session       string           `json:"session"`
	MaxRideTime   float64          `json:"max_ride_time"` // seconds, set when the problem is built
}

// PickupService and DropService are the service seconds at the trip's
// ends.
func (t *Trip) PickupService() float64 {
	if t.Direction == "inbound" {
		return float64(t.Boarding)
	}
	return FacilityStopSec
}

// DropService is the service seconds at the drop-off.
func (t *Trip) DropService() float64 {
	if t.Direction == "inbound" {
		return FacilityStopSec
	}
	return float64(t.Boarding)
}

// HomePoint is the rider's boarding point of the trip.
func (t *Trip) HomePoint() orb.Point {
	if t.Direction == "inbound" {
		return t.From
	}
	return t.To
}

// Skipped is a rider with a session that day who gets no trip.
type Skipped struct {
	RiderID       int64    `json:"rider_id"`
	Pseudonym     string   `json:"pseudonym"`
	AppointmentID int64    `json:"appointment_id,omitempty"`
	Refusal       *Refusal `json:"refusal"`
}

// DayInput is what a day's trips are made of.
type DayInput struct {
	Date         time.Time
	Riders       []Rider
	Appointments []Appointment // of that date; others are ignored
	Rules        *Rules
	Policy       Policy
	// Boarding gives the rider's boarding of the day (see DayBoarding);
	// nil: as registered.
	Boarding func(r *Rider) Boarding
	// FirstID is the id of the first trip (0: 1).
	FirstID uint64
}

// DayBoarding is where rider r boards on a day when their boarding point
// is (sealed) or is not in a sealed zone: in a sealed zone the van comes to
// the building door (longer service); elsewhere a rider registered at a
// door walks to the nearest gate of the compound (gates; none: the door).
func DayBoarding(r *Rider, sealed bool, gates []orb.Point, compound string) Boarding {
	b := r.Boarding
	if sealed {
		if b.Kind != BoardingBuilding {
			b.Label, b.Kind = "building door by "+b.Label, BoardingBuilding
		}
		return b
	}
	if b.Kind == BoardingBuilding && len(gates) > 0 {
		k := 0
		for i, g := range gates {
			if dist2(g, b.Point) < dist2(gates[k], b.Point) {
				k = i
			}
		}
		label := fmt.Sprintf("gate %d", k+1)
		if compound != "" {
			label += " of " + compound
		}
		return Boarding{Point: gates[k], Label: label, Kind: BoardingGate}
	}
	return b
}

// ExpandTrips turns the sessions on date of the (non-archived) riders into
// trips with the default policy and the registered boarding points.
func ExpandTrips(riders []Rider, ru *Rules, date time.Time) ([]Trip, []Skipped) {
	return Expand(DayInput{Date: date, Riders: riders, Rules: ru, Policy: DefaultPolicy()})
}

func serviceSeconds(b BoardingKind, wheelchair bool) int {
	s := GateServiceSeconds
	if b == BoardingBuilding {
		s = BuildingServiceSeconds
	}
	if wheelchair {
		s += WheelchairExtraSeconds
	}
	return s
}

// Expand turns the day's sessions and appointments of the (non-archived)
// riders into trips, in rider order (sessions, then appointments by start),
// inbound before outbound: inbound trips arrive between
// Policy.ArriveEarliestMin and ArriveLatestMin before the start, outbound
// ones leave within LeaveWithinMin after the end; a labour call is one
// urgent inbound trip picked up within UrgentPickupMin of the call. The
// facility is the appointment's when the rules let it take the rider,
// else Rules.Destination's; riders no facility may take are skipped with
// the reason.
func Expand(in DayInput) ([]Trip, []Skipped) {
	var trips []Trip
	var skipped []Skipped
	next := max(in.FirstID, 1)
	date := in.Date
	pol := in.Policy
	byRider := map[int64][]Appointment{}
	day := date.Format(time.DateOnly)
	for _, a := range in.Appointments {
		if a.Date == day && !a.Cancelled {
			byRider[a.RiderID] = append(byRider[a.RiderID], a)
		}
	}
	for _, as := range byRider {
		slices.SortStableFunc(as, func(x, y Appointment) int {
			if x.Start != y.Start {
				return strings.Compare(x.Start, y.Start)
			}
			return int(x.ID - y.ID)
		})
	}
	for i := range in.Riders {
		r := &in.Riders[i]
		if r.Archived {
			continue
		}
		ss := r.SessionsOn(date)
		as := byRider[r.ID]
		if len(ss) == 0 && len(as) == 0 {
			continue
		}
		b := r.Boarding
		if in.Boarding != nil {
			b = in.Boarding(r)
		}
		common := Trip{RiderID: r.ID, Pseudonym: r.Pseudonym, Colour: r.HealthCode.Colour, Seats: r.Seats(),
			Wheelchair: r.Mobility.Wheelchair, Boarding: serviceSeconds(b.Kind, r.Mobility.Wheelchair), BoardingKind: b.Kind}
		add := func(kind Category, fid int64, startMin, durMin int, session string, apptID int64, oneWay bool) {
			f, _ := in.Rules.Facility(fid)
			start, end := startMin*60, (startMin+durMin)*60
			c := common
			c.Kind, c.FacilityID, c.Session, c.AppointmentID = kind, fid, session, apptID
			t := c
			t.ID, t.Direction = next, "inbound"
			t.From, t.FromLabel, t.To, t.ToLabel = b.Point, b.Label, f.Point, f.Name
			if kind == CategoryLabour {
				t.Urgent = true
				t.Window = [2]int{start, min(start+pol.UrgentPickupMin*60, 24*3600)}
			} else {
				t.Window = [2]int{max(0, start-pol.ArriveEarliestMin*60), max(0, start-pol.ArriveLatestMin*60)}
			}
			trips = append(trips, t)
			if !oneWay && kind != CategoryLabour {
				o := c
				o.ID, o.Direction = next+2, "outbound"
				o.From, o.FromLabel, o.To, o.ToLabel = f.Point, f.Name, b.Point, b.Label
				o.Window = [2]int{end, min(end+pol.LeaveWithinMin*60, 24*3600)}
				trips = append(trips, o)
			}
			next += 4
		}
		if len(ss) > 0 {
			fid, rf := in.Rules.Destination(r, date)
			if rf != nil {
				skipped = append(skipped, Skipped{RiderID: r.ID, Pseudonym: r.Pseudonym, Refusal: rf})
			} else {
				for _, s := range ss {
					start, err := ParseClock(s.Start)
					if err != nil {
						continue // Validate refuses such riders
					}
					add(r.Category, fid, start, s.DurationMin, fmt.Sprintf("%s %s-%s", WeekdayOf(date), s.Start, clock((start+s.DurationMin)*60)), 0, false)
				}
			}
		}
		for _, a := range as {
			start, err := ParseClock(a.Start)
			if err != nil {
				continue
			}
			as := *r
			as.Category = a.Kind
			fid, rf := int64(0), (*Refusal)(nil)
			if a.FacilityID != 0 {
				if rf = in.Rules.MayTake(a.FacilityID, &as, date); rf == nil || rf.Code == "own_facility_only" {
					fid, rf = a.FacilityID, nil
				}
			}
			if fid == 0 && rf == nil {
				fid, rf = in.Rules.Destination(&as, date)
			}
			if rf != nil {
				skipped = append(skipped, Skipped{RiderID: r.ID, Pseudonym: r.Pseudonym, AppointmentID: a.ID, Refusal: rf})
				continue
			}
			session := fmt.Sprintf("%s %s-%s", a.Kind, a.Start, clock((start+a.DurationMin)*60))
			if a.Kind == CategoryLabour {
				session = "labour call " + a.Start
			}
			add(a.Kind, fid, start, a.DurationMin, session, a.ID, a.OneWay)
		}
	}
	return trips, skipped
}

func clock(sec int) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec/60%60) }

// Clock renders seconds after midnight as "HH:MM".
func Clock(sec float64) string { return clock(int(math.Round(sec))) }

// MatrixFunc returns the driving times (s) and distances (m) between all
// points (routing.Unreachable where there is no path).
type MatrixFunc func(points []orb.Point) (time, dist routing.Matrix, err error)

func (v Van) shift() (int, int) {
	from, to := v.ShiftStart, v.ShiftEnd
	if from == "" {
		from = DefaultShiftStart
	}
	if to == "" {
		to = DefaultShiftEnd
	}
	a, err1 := ParseClock(from)
	b, err2 := ParseClock(to)
	if err1 != nil || err2 != nil {
		return -1, -1
	}
	return a, b
}

// ValidateVans checks the vans of a plan: 1 to MaxVans, unique positive
// ids, 1-60 seats, 0-8 wheelchair places, a start, a shift HH:MM-HH:MM.
func ValidateVans(vans []Van) error {
	if len(vans) == 0 {
		return verr("vans", "at least one van")
	}
	if len(vans) > MaxVans {
		return verr("vans", "at most %d vans, got %d", MaxVans, len(vans))
	}
	seen := map[uint64]bool{}
	for i, v := range vans {
		path := fmt.Sprintf("vans[%d]", i)
		if v.ID == 0 || seen[v.ID] {
			return verr(path+".id", "want a positive id, unique among the vans")
		}
		seen[v.ID] = true
		if v.Seats < 1 || v.Seats > 60 {
			return verr(path+".seats", "want 1 to 60 seats, got %d", v.Seats)
		}
		if v.WheelchairPlaces < 0 || v.WheelchairPlaces > 8 {
			return verr(path+".wheelchair_places", "want 0 to 8, got %d", v.WheelchairPlaces)
		}
		if math.IsNaN(v.Start[0]) || math.IsNaN(v.Start[1]) || math.Abs(v.Start[0]) > 180 || math.Abs(v.Start[1]) > 90 || v.Start == (orb.Point{}) {
			return verr(path+".start", "want [lon, lat]")
		}
		if a, b := v.shift(); a < 0 || b <= a {
			return verr(path+".shift_start", "want a shift HH:MM-HH:MM that ends after it starts")
		}
	}
	return nil
}

// ColourClass is the VROOM class of a health-code colour (1..4).
func ColourClass(c zones.HealthCode) int {
	switch c {
	case zones.CodeGreen:
		return 1
	case zones.CodeYellow:
		return 2
	case zones.CodeOrange:
		return 3
	}
	return 4
}

// Stop is one line of a van's timetable.
type Stop struct {
	Time       string           `json:"time"`    // service start, HH:MM
	Arrival    float64          `json:"arrival"` // seconds after midnight
	Start      float64          `json:"start"`
	Service    float64          `json:"service_s"`
	Action     string           `json:"action"` // pick_up or drop_off
	TripID     uint64           `json:"trip_id"`
	RiderID    int64            `json:"rider_id"`
	Pseudonym  string           `json:"pseudonym"`
	Direction  string           `json:"direction"`
	Kind       Category         `json:"kind"`
	Urgent     bool             `json:"urgent,omitempty"`
	Place      string           `json:"place"`
	Point      orb.Point        `json:"point"`
	Colour     zones.HealthCode `json:"colour"`
	Seats      int              `json:"seats"`
	Wheelchair bool             `json:"wheelchair,omitempty"`
	Load       []int64          `json:"load"` // [seats, wheelchair places] taken after the stop
}

// Departure is when the van leaves the stop.
func (s *Stop) Departure() float64 { return s.Start + s.Service }

// VanTimetable is a van's day.
type VanTimetable struct {
	Van         uint64  `json:"van"`
	Leaves      string  `json:"leaves"`
	Returns     string  `json:"returns"`
	LeavesS     float64 `json:"leaves_s"`
	ReturnsS    float64 `json:"returns_s"`
	DriveSec    float64 `json:"drive_s"`
	DistanceM   float64 `json:"distance_m"`
	Driver      string  `json:"driver,omitempty"`
	DriverPhone string  `json:"driver_phone,omitempty"`
	// RouteList is the code of the driver's route list (/driver.html).
	RouteList string `json:"route_list,omitempty"`
	Stops     []Stop `json:"stops"`
}

// UnplannedTrip is a trip the solver left out.
type UnplannedTrip struct {
	Trip   Trip   `json:"trip"`
	Reason string `json:"reason"`
}

// PlanResult is the day's shuttle plan.
type PlanResult struct {
	Date       string          `json:"date"`
	Vans       []VanTimetable  `json:"vans"`
	Unplanned  []UnplannedTrip `json:"unplanned"`
	Skipped    []Skipped       `json:"skipped"`
	Trips      int             `json:"trips"`
	Planned    int             `json:"planned"`
	VansUsed   int             `json:"vans_used"`
	DriveSec   float64         `json:"drive_s"`
	DistanceM  float64         `json:"distance_m"`
	Cost       float64         `json:"cost"`
	Violations []string        `json:"violations"` // from routing/vrp/check: empty for a sound plan
	// Check is the shuttle checker's reading (PlanDay; the timetable keeps
	// it apart).
	Check DayCheck `json:"-"`
}
