package shuttles

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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
// ID+1 its delivery's).
type Trip struct {
	ID          uint64           `json:"id"`
	RiderID     int64            `json:"rider_id"`
	Pseudonym   string           `json:"pseudonym"`
	Direction   string           `json:"direction"` // inbound or outbound
	FacilityID  int64            `json:"facility_id"`
	From, To    orb.Point        `json:"-"`
	FromLabel   string           `json:"from"`
	ToLabel     string           `json:"to"`
	Window      [2]int           `json:"-"` // delivery window (inbound) or pickup window (outbound), seconds
	Colour      zones.HealthCode `json:"colour"`
	Seats       int              `json:"seats"`
	Wheelchair  bool             `json:"wheelchair"`
	Boarding    int              `json:"-"` // service seconds at the boarding point
	Session     string           `json:"session"`
	MaxRideTime float64          `json:"max_ride_time"` // seconds, set by Problem
}

// Skipped is a rider with a session that day who gets no trip.
type Skipped struct {
	RiderID   int64    `json:"rider_id"`
	Pseudonym string   `json:"pseudonym"`
	Refusal   *Refusal `json:"refusal"`
}

// ExpandTrips turns the sessions on date of the (non-archived) riders into
// trips, in rider order, inbound before outbound.
func ExpandTrips(riders []Rider, ru *Rules, date time.Time) ([]Trip, []Skipped) {
	var trips []Trip
	var skipped []Skipped
	next := uint64(1)
	for i := range riders {
		r := &riders[i]
		if r.Archived {
			continue
		}
		ss := r.SessionsOn(date)
		if len(ss) == 0 {
			continue
		}
		fid, rf := ru.Destination(r, date)
		if rf != nil {
			skipped = append(skipped, Skipped{r.ID, r.Pseudonym, rf})
			continue
		}
		f, _ := ru.Facility(fid)
		for _, s := range ss {
			start, err := ParseClock(s.Start)
			if err != nil {
				continue // Validate refuses such riders
			}
			start *= 60
			end := start + s.DurationMin*60
			common := Trip{RiderID: r.ID, Pseudonym: r.Pseudonym, FacilityID: fid, Colour: r.HealthCode.Colour, Seats: r.Seats(),
				Wheelchair: r.Mobility.Wheelchair, Boarding: r.ServiceSeconds(), Session: fmt.Sprintf("%s %s-%s", WeekdayOf(date), s.Start, clock(end))}
			in := common
			in.ID, in.Direction = next, "inbound"
			in.From, in.FromLabel, in.To, in.ToLabel = r.Boarding.Point, r.Boarding.Label, f.Point, f.Name
			in.Window = [2]int{max(0, start-ArriveEarliestMin*60), max(0, start-ArriveLatestMin*60)}
			out := common
			out.ID, out.Direction = next+2, "outbound"
			out.From, out.FromLabel, out.To, out.ToLabel = f.Point, f.Name, r.Boarding.Point, r.Boarding.Label
			out.Window = [2]int{end, end + LeaveWithinMin*60}
			next += 4
			trips = append(trips, in, out)
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

// vroom document types (the subset we write).
type vTask struct {
	ID          uint64      `json:"id"`
	Description string      `json:"description,omitempty"`
	Location    []float64   `json:"location"`
	LocIndex    int         `json:"location_index"`
	Service     float64     `json:"service,omitempty"`
	TimeWindows [][]float64 `json:"time_windows,omitempty"`
}

type vShipment struct {
	Pickup      vTask   `json:"pickup"`
	Delivery    vTask   `json:"delivery"`
	Amount      []int64 `json:"amount"`
	Class       int     `json:"class"`
	MaxRide     float64 `json:"max_ride_time"`
	Description string  `json:"description,omitempty"`
}

type vVehicle struct {
	ID          uint64    `json:"id"`
	Profile     string    `json:"profile"`
	Description string    `json:"description,omitempty"`
	Start       []float64 `json:"start"`
	StartIndex  int       `json:"start_index"`
	End         []float64 `json:"end"`
	EndIndex    int       `json:"end_index"`
	Capacity    []int64   `json:"capacity"`
	TimeWindow  []float64 `json:"time_window"`
}

type vMatrix [][]*float64

type vDoc struct {
	Vehicles     []vVehicle                    `json:"vehicles"`
	Shipments    []vShipment                   `json:"shipments"`
	Matrices     map[string]map[string]vMatrix `json:"matrices"`
	Incompatible [][]int                       `json:"incompatible"`
	CleaningTime float64                       `json:"cleaning_time"`
}

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

// Problem writes the VROOM document of the day: vans as vehicles (capacity
// [seats, wheelchair places], shift as time window, back to their start),
// trips as shipments with their matrices inline. Trips whose points cannot
// reach each other by road are returned as skipped (code unreachable) and
// left out; trips keeps the rest with MaxRideTime set. Errors: bad vans
// (*zones.ValidationError with the path) or the matrix function's.
func Problem(trips []Trip, vans []Van, cleaningMin int, matrix MatrixFunc) (doc []byte, kept []Trip, skipped []Skipped, err error) {
	if err := ValidateVans(vans); err != nil {
		return nil, nil, nil, err
	}
	var pts []orb.Point
	index := map[orb.Point]int{}
	loc := func(p orb.Point) int {
		if i, ok := index[p]; ok {
			return i
		}
		index[p] = len(pts)
		pts = append(pts, p)
		return len(pts) - 1
	}
	d := vDoc{Matrices: map[string]map[string]vMatrix{}, CleaningTime: float64(cleaningMin * 60)}
	for _, v := range vans {
		a, b := v.shift()
		k := loc(v.Start)
		d.Vehicles = append(d.Vehicles, vVehicle{ID: v.ID, Profile: "car", Description: fmt.Sprintf("van %d", v.ID),
			Start: v.Start[:], StartIndex: k, End: v.Start[:], EndIndex: k,
			Capacity: []int64{int64(v.Seats), int64(v.WheelchairPlaces)}, TimeWindow: []float64{float64(a * 60), float64(b * 60)}})
	}
	for _, t := range trips {
		loc(t.From)
		loc(t.To)
	}
	tm, dm, err := matrix(pts)
	if err != nil {
		return nil, nil, nil, err
	}
	if tm.Rows != len(pts) || tm.Cols != len(pts) || dm.Rows != len(pts) || dm.Cols != len(pts) {
		return nil, nil, nil, fmt.Errorf("shuttles: the matrix is %dx%d for %d points", tm.Rows, tm.Cols, len(pts))
	}
	for _, t := range trips {
		a, b := index[t.From], index[t.To]
		direct := tm.At(a, b)
		reach := !math.IsInf(direct, 0) && !math.IsInf(tm.At(b, a), 0)
		for _, v := range d.Vehicles {
			reach = reach && !math.IsInf(tm.At(v.StartIndex, a), 0) && !math.IsInf(tm.At(b, v.StartIndex), 0)
		}
		if !reach {
			skipped = append(skipped, Skipped{t.RiderID, t.Pseudonym, &Refusal{Code: "unreachable",
				Message: fmt.Sprintf("no road between %s and %s for every van (sealed roads?)", t.FromLabel, t.ToLabel)}})
			continue
		}
		t.MaxRideTime = math.Round(max(MinRideCapSec, 1.5*direct+RideSlackSec))
		kept = append(kept, t)
		wc := int64(0)
		if t.Wheelchair {
			wc = 1
		}
		pick := vTask{ID: t.ID, Description: t.Pseudonym + " " + t.Direction + " pickup", Location: t.From[:], LocIndex: a}
		drop := vTask{ID: t.ID + 1, Description: t.Pseudonym + " " + t.Direction + " drop-off", Location: t.To[:], LocIndex: b}
		win := [][]float64{{float64(t.Window[0]), float64(t.Window[1])}}
		if t.Direction == "inbound" {
			pick.Service, drop.Service, drop.TimeWindows = float64(t.Boarding), FacilityStopSec, win
		} else {
			pick.Service, drop.Service, pick.TimeWindows = FacilityStopSec, float64(t.Boarding), win
		}
		d.Shipments = append(d.Shipments, vShipment{Pickup: pick, Delivery: drop, Amount: []int64{int64(t.Seats), wc},
			Class: ColourClass(t.Colour), MaxRide: t.MaxRideTime, Description: t.Pseudonym + " " + t.Direction})
	}
	for a := 1; a <= 4; a++ {
		for b := a + 1; b <= 4; b++ {
			d.Incompatible = append(d.Incompatible, []int{a, b})
		}
	}
	conv := func(m routing.Matrix, round bool) vMatrix {
		out := make(vMatrix, m.Rows)
		for i := range out {
			out[i] = make([]*float64, m.Cols)
			for j := range out[i] {
				v := m.At(i, j)
				if math.IsInf(v, 0) || math.IsNaN(v) {
					continue
				}
				if round {
					v = math.Round(v)
				}
				out[i][j] = &v
			}
		}
		return out
	}
	d.Matrices["car"] = map[string]vMatrix{"durations": conv(tm, true), "distances": conv(dm, true)}
	slices.SortStableFunc(kept, func(x, y Trip) int { return int(x.ID) - int(y.ID) })
	doc, err = json.Marshal(d)
	return doc, kept, skipped, err
}

// Stop is one line of a van's timetable.
type Stop struct {
	Time      string           `json:"time"`    // service start, HH:MM
	Arrival   float64          `json:"arrival"` // seconds after midnight
	Start     float64          `json:"start"`
	Action    string           `json:"action"` // pick_up or drop_off
	TripID    uint64           `json:"trip_id"`
	Pseudonym string           `json:"pseudonym"`
	Direction string           `json:"direction"`
	Place     string           `json:"place"`
	Point     orb.Point        `json:"point"`
	Colour    zones.HealthCode `json:"colour"`
	Load      []int64          `json:"load"` // [seats, wheelchair places] taken after the stop
}

// VanTimetable is a van's day.
type VanTimetable struct {
	Van       uint64  `json:"van"`
	Leaves    string  `json:"leaves"`
	Returns   string  `json:"returns"`
	DriveSec  float64 `json:"drive_s"`
	DistanceM float64 `json:"distance_m"`
	Stops     []Stop  `json:"stops"`
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
	Cost       float64         `json:"cost"`
	Violations []string        `json:"violations"` // from routing/vrp/check: empty for a sound plan
}
