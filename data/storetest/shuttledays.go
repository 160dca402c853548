package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// DayStore is what RunShuttleDays tests.
type DayStore interface {
	shuttles.AppointmentStore
	shuttles.TimetableStore
}

// RunShuttleDays is the conformance suite of the shuttle days
// (shuttles.AppointmentStore and shuttles.TimetableStore); open returns a
// fresh, empty store per subtest.
//   - an appointment reads back equal with an id and times; invalid ones
//     are *zones.ValidationError with the field's path and write nothing;
//     List filters by date and rider, sorts by date, start and id, hides
//     cancelled ones unless asked; Cancel is idempotent; unknown ids are
//     zones.ErrNotFound;
//   - timetable versions count 1, 2, ... per date; a version reads back
//     equal (every float to the last bit); 0 reads the latest; a re-plan
//     of a version that is not the latest (or does not exist) is
//     zones.ErrConflict and writes nothing; a fresh plan is always a new
//     version; List gives the headers oldest first.
func RunShuttleDays(t *testing.T, open func(t *testing.T) DayStore) {
	t.Run("Appointments", func(t *testing.T) { testAppointments(t, open(t)) })
	t.Run("Timetables", func(t *testing.T) { testTimetables(t, open(t)) })
}

func testAppointments(t *testing.T, s DayStore) {
	ctx := context.Background()
	mk := func(rider int64, date, start string) shuttles.Appointment {
		return shuttles.Appointment{RiderID: rider, Date: date, Kind: shuttles.CategoryPrenatal, Start: start, DurationMin: 45}
	}
	a1, err := s.CreateAppointment(ctx, mk(1, "2026-11-30", "10:00"))
	if err != nil || a1.ID <= 0 || a1.CreatedAt.IsZero() || a1.Cancelled {
		t.Fatalf("create: %+v %v", a1, err)
	}
	got, err := s.GetAppointment(ctx, a1.ID)
	if err != nil || !reflect.DeepEqual(got, a1) {
		t.Fatalf("get: %+v %v, want %+v", got, err, a1)
	}
	lab := shuttles.Appointment{RiderID: 2, Date: "2026-11-30", Kind: shuttles.CategoryLabour, Start: "09:15", FacilityID: 7, OneWay: true}
	a2, err := s.CreateAppointment(ctx, lab)
	if err != nil || a2.Kind != shuttles.CategoryLabour || a2.FacilityID != 7 || !a2.OneWay {
		t.Fatalf("labour: %+v %v", a2, err)
	}
	a3, _ := s.CreateAppointment(ctx, mk(1, "2026-12-01", "08:00"))
	a4, _ := s.CreateAppointment(ctx, mk(3, "2026-11-30", "10:00"))
	bad := mk(1, "2026-11-30", "25:00")
	var ve *zones.ValidationError
	if _, err := s.CreateAppointment(ctx, bad); !errors.As(err, &ve) || ve.Path != "start" {
		t.Fatalf("bad start: %v", err)
	}
	list, err := s.ListAppointments(ctx, shuttles.AppointmentFilter{Date: "2026-11-30"})
	if err != nil || len(list) != 3 || list[0].ID != a2.ID || list[1].ID != a1.ID || list[2].ID != a4.ID {
		t.Fatalf("list by date: %+v %v", list, err)
	}
	list, _ = s.ListAppointments(ctx, shuttles.AppointmentFilter{RiderID: 1})
	if len(list) != 2 || list[0].ID != a1.ID || list[1].ID != a3.ID {
		t.Fatalf("list by rider: %+v", list)
	}
	c, err := s.CancelAppointment(ctx, a1.ID)
	if err != nil || !c.Cancelled || !c.UpdatedAt.After(a1.UpdatedAt) && !c.UpdatedAt.Equal(a1.UpdatedAt) {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if again, err := s.CancelAppointment(ctx, a1.ID); err != nil || !reflect.DeepEqual(again, c) {
		t.Fatalf("cancel twice: %+v %v", again, err)
	}
	list, _ = s.ListAppointments(ctx, shuttles.AppointmentFilter{Date: "2026-11-30"})
	if len(list) != 2 {
		t.Fatalf("cancelled listed: %+v", list)
	}
	list, _ = s.ListAppointments(ctx, shuttles.AppointmentFilter{Date: "2026-11-30", IncludeCancelled: true})
	if len(list) != 3 {
		t.Fatalf("cancelled not listed when asked: %+v", list)
	}
	if _, err := s.GetAppointment(ctx, 999999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := s.CancelAppointment(ctx, 999999); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
}

// SampleTimetable is a small timetable of date with odd floats.
func SampleTimetable(date string) shuttles.Timetable {
	tr := shuttles.Trip{ID: 1, RiderID: 4, Pseudonym: "D-004", Kind: shuttles.CategoryDialysis, Direction: "inbound", FacilityID: 3,
		From: orb.Point{104.0712345678901, 30.65123456789}, To: orb.Point{104.08, 30.66}, FromLabel: "gate 1", ToLabel: "Centre",
		BoardingKind: shuttles.BoardingGate, Window: [2]int{25200, 27000}, Colour: zones.CodeGreen, Seats: 2, Boarding: 120, Session: "mon 07:30-11:30",
		MaxRideTime: 1800.25}
	st := shuttles.Stop{Time: "07:01", Arrival: 25260.123456789, Start: 25261.1, Service: 120, Action: "pick_up", TripID: 1, RiderID: 4,
		Pseudonym: "D-004", Direction: "inbound", Kind: shuttles.CategoryDialysis, Place: "gate 1", Point: tr.From, Colour: zones.CodeGreen, Seats: 2, Load: []int64{2, 0}}
	st2 := st
	st2.Action, st2.Point, st2.Load, st2.Arrival, st2.Start, st2.Time, st2.Service = "drop_off", tr.To, []int64{0, 0}, 26000.5, 26000.5, "07:13", 60
	return shuttles.Timetable{Date: date, Reason: shuttles.ReasonPlan, Seed: 1<<63 + 5, Author: "demo-dispatcher", Policy: shuttles.DefaultPolicy(),
		Fleet:    []shuttles.Van{{ID: 1, Start: orb.Point{104.09, 30.67}, Seats: 4, WheelchairPlaces: 1, DriverPhone: "+86 100 1"}},
		TripList: []shuttles.Trip{tr},
		Plan: shuttles.PlanResult{Date: date, Trips: 1, Planned: 1, VansUsed: 1, DriveSec: 1234.5678, DistanceM: 9876.54321,
			Vans:      []shuttles.VanTimetable{{Van: 1, Leaves: "06:55", Returns: "07:30", LeavesS: 24900.25, ReturnsS: 27000.75, Stops: []shuttles.Stop{st, st2}, RouteList: "1234567890"}},
			Unplanned: []shuttles.UnplannedTrip{}, Skipped: []shuttles.Skipped{}, Violations: []string{}},
		Check: shuttles.DayCheck{Trips: 1, Served: 1, Problems: []string{}},
	}
}

func testTimetables(t *testing.T, s DayStore) {
	ctx := context.Background()
	if _, err := s.GetTimetable(ctx, "2026-11-30", 0); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	if vs, err := s.ListTimetables(ctx, "2026-11-30"); err != nil || len(vs) != 0 {
		t.Fatalf("empty list: %v %v", vs, err)
	}
	tt := SampleTimetable("2026-11-30")
	v1, err := s.SaveTimetable(ctx, tt)
	if err != nil || v1.Version != 1 || v1.CreatedAt.IsZero() {
		t.Fatalf("save: %+v %v", v1.Header(), err)
	}
	got, err := s.GetTimetable(ctx, "2026-11-30", 1)
	if err != nil || !reflect.DeepEqual(got, v1) {
		t.Fatalf("read back: %v\n got %+v\nwant %+v", err, got, v1)
	}
	tt.Version, tt.CreatedAt = v1.Version, v1.CreatedAt
	if !reflect.DeepEqual(tt, v1) {
		t.Fatalf("save changed the body:\n got %+v\nwant %+v", v1, tt)
	}
	bad := SampleTimetable("2026-11-31")
	var ve *zones.ValidationError
	if _, err := s.SaveTimetable(ctx, bad); !errors.As(err, &ve) || ve.Path != "date" {
		t.Fatalf("bad date: %v", err)
	}
	re := SampleTimetable("2026-11-30")
	re.Base, re.Reason = 1, shuttles.ReasonChanges
	re.Changes = &shuttles.ChangeReport{At: "09:00", Phase: 1, Requests: []shuttles.Change{{Kind: "cancel_trip", TripID: 1}},
		Riders: []shuttles.RiderNotice{{RiderID: 4, Pseudonym: "D-004", TripID: 1, What: "cancelled", OldTime: "07:01"}}, Drivers: []shuttles.DriverNotice{{Van: 1, Removed: 2}}}
	v2, err := s.SaveTimetable(ctx, re)
	if err != nil || v2.Version != 2 || v2.Base != 1 || v2.Changes == nil || v2.Changes.Riders[0].What != "cancelled" {
		t.Fatalf("re-plan: %+v %v", v2.Header(), err)
	}
	// a second re-plan of version 1 lost the race
	if _, err := s.SaveTimetable(ctx, re); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("stale base: %v", err)
	}
	re.Base = 9
	if _, err := s.SaveTimetable(ctx, re); !errors.Is(err, zones.ErrConflict) {
		t.Fatalf("unknown base: %v", err)
	}
	latest, err := s.GetTimetable(ctx, "2026-11-30", 0)
	if err != nil || !reflect.DeepEqual(latest, v2) {
		t.Fatalf("latest: %+v %v", latest.Header(), err)
	}
	if _, err := s.GetTimetable(ctx, "2026-11-30", 3); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("version 3: %v", err)
	}
	if _, err := s.GetTimetable(ctx, "2026-12-01", 0); !errors.Is(err, zones.ErrNotFound) {
		t.Fatalf("other date: %v", err)
	}
	v3, err := s.SaveTimetable(ctx, SampleTimetable("2026-11-30"))
	if err != nil || v3.Version != 3 {
		t.Fatalf("fresh plan: %+v %v", v3.Header(), err)
	}
	o1, err := s.SaveTimetable(ctx, SampleTimetable("2026-12-01"))
	if err != nil || o1.Version != 1 {
		t.Fatalf("other date: %+v %v", o1.Header(), err)
	}
	vs, err := s.ListTimetables(ctx, "2026-11-30")
	if err != nil || len(vs) != 3 || vs[0] != v1.Header() || vs[1] != v2.Header() || vs[2].Version != 3 || vs[1].Reason != shuttles.ReasonChanges {
		t.Fatalf("list: %+v %v", vs, err)
	}
}
