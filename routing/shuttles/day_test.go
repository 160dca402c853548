package shuttles_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/shuttles"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

// pointFacilities: 1 designated (red, orange), 2 maternity, 3 dialysis
// centre, 4 general hospital (yellow and green each).
func pointFacilities() []zones.Facility {
	yg := []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}
	fs := []zones.Facility{
		{ID: 1, Kind: zones.FacilityHospital, Name: "First Hospital (designated)", Capacity: 800, Accepts: []zones.HealthCode{zones.CodeRed, zones.CodeOrange}},
		{ID: 2, Kind: zones.FacilityHospital, Name: "Maternal and Child Hospital", Capacity: 100, Accepts: yg},
		{ID: 3, Kind: zones.FacilityHospital, Name: "Yuhua Hospital (dialysis centre)", Capacity: 100, Accepts: yg},
		{ID: 4, Kind: zones.FacilityHospital, Name: "General Hospital", Capacity: 100, Accepts: yg},
	}
	for i := range fs {
		fs[i].Point = orb.Point{104.06 + 0.004*float64(i), 30.66}
	}
	return fs
}

// TestExpandAppointments: sessions and appointments of the day become
// trips with the policy's windows; a labour call is one urgent inbound
// trip picked up from the call on; cancelled appointments and other days
// give nothing; a colour no facility takes is skipped with the reason.
func TestExpandAppointments(t *testing.T) {
	fs := pointFacilities()
	ru := shuttles.NewRules(fs)
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	base := validRiderExt()
	dial := base
	dial.ID, dial.Pseudonym = 1, "D-001"
	preg := base
	preg.ID, preg.Pseudonym, preg.Category, preg.Sessions, preg.FacilityID = 2, "P-001", shuttles.CategoryPrenatal, nil, 2
	lab := preg
	lab.ID, lab.Pseudonym, lab.Category = 3, "P-002", shuttles.CategoryLabour
	chemo := base
	chemo.ID, chemo.Pseudonym, chemo.Category, chemo.Sessions, chemo.FacilityID = 4, "C-001", shuttles.CategoryChemotherapy, nil, 4
	red := preg
	red.ID, red.Pseudonym = 5, "P-003"
	red.HealthCode.Colour = zones.CodeRed
	appts := []shuttles.Appointment{
		{ID: 1, RiderID: 2, Date: "2026-11-30", Kind: shuttles.CategoryPrenatal, Start: "09:00", DurationMin: 45},
		{ID: 2, RiderID: 3, Date: "2026-11-30", Kind: shuttles.CategoryLabour, Start: "13:10"},
		{ID: 3, RiderID: 4, Date: "2026-11-30", Kind: shuttles.CategoryChemotherapy, Start: "10:00", DurationMin: 120, OneWay: true},
		{ID: 4, RiderID: 2, Date: "2026-11-30", Kind: shuttles.CategoryPrenatal, Start: "15:00", DurationMin: 30, Cancelled: true},
		{ID: 5, RiderID: 2, Date: "2026-12-01", Kind: shuttles.CategoryPrenatal, Start: "09:00", DurationMin: 45},
		{ID: 6, RiderID: 5, Date: "2026-11-30", Kind: shuttles.CategoryPrenatal, Start: "11:00", DurationMin: 30, FacilityID: 2},
	}
	pol := shuttles.DefaultPolicy()
	pol.ArriveEarliestMin, pol.ArriveLatestMin = 30, 10
	trips, skipped := shuttles.Expand(shuttles.DayInput{Date: monday, Riders: []shuttles.Rider{dial, preg, lab, chemo, red}, Appointments: appts, Rules: ru, Policy: pol})
	type want struct {
		pseud, dir string
		urgent     bool
		win        [2]int
		fac        int64
	}
	wants := []want{
		{"D-001", "inbound", false, [2]int{7*3600 + 0*60, 7*3600 + 20*60}, 3},
		{"D-001", "outbound", false, [2]int{11*3600 + 30*60, 12 * 3600}, 3},
		{"P-001", "inbound", false, [2]int{8*3600 + 30*60, 8*3600 + 50*60}, 2},
		{"P-001", "outbound", false, [2]int{9*3600 + 45*60, 10*3600 + 15*60}, 2},
		{"P-002", "inbound", true, [2]int{13*3600 + 10*60, 13*3600 + 30*60}, 2},
		{"C-001", "inbound", false, [2]int{9*3600 + 30*60, 9*3600 + 50*60}, 4},
	}
	if len(trips) != len(wants) {
		t.Fatalf("%d trips: %+v", len(trips), trips)
	}
	ids := map[uint64]bool{}
	for i, w := range wants {
		tr := trips[i]
		if tr.Pseudonym != w.pseud || tr.Direction != w.dir || tr.Urgent != w.urgent || tr.Window != w.win || tr.FacilityID != w.fac {
			t.Errorf("trip %d: got %s %s urgent=%v %v fac %d, want %+v", i, tr.Pseudonym, tr.Direction, tr.Urgent, tr.Window, tr.FacilityID, w)
		}
		if ids[tr.ID] || ids[tr.ID+1] {
			t.Errorf("trip ids repeat: %d", tr.ID)
		}
		ids[tr.ID], ids[tr.ID+1] = true, true
	}
	if trips[4].Kind != shuttles.CategoryLabour || trips[2].AppointmentID != 1 || trips[5].Kind != shuttles.CategoryChemotherapy {
		t.Errorf("kinds: %+v", trips)
	}
	if len(skipped) != 1 || skipped[0].AppointmentID != 6 || skipped[0].Refusal.Code != "red_to_designated" {
		t.Fatalf("skipped: %+v", skipped)
	}
}

func validRiderExt() shuttles.Rider {
	return shuttles.Rider{Pseudonym: "D-001", Name: "Test", Phone: "+86 100 1234 5678", CompoundID: 1,
		Boarding:   shuttles.Boarding{Point: orb.Point{104.07, 30.65}, Label: "gate 1", Kind: shuttles.BoardingGate},
		Category:   shuttles.CategoryDialysis,
		HealthCode: shuttles.HealthCode{Colour: zones.CodeGreen, SetOn: "2026-11-29"},
		FacilityID: 3,
		Sessions:   []shuttles.Session{{Weekdays: []string{"mon"}, Start: "07:30", DurationMin: 240}},
	}
}

// TestDayBoarding: in a sealed zone the van comes to the door (building
// service time); a door rider outside a sealed zone walks to the nearest
// gate.
func TestDayBoarding(t *testing.T) {
	r := validRiderExt()
	b := shuttles.DayBoarding(&r, true, nil, "")
	if b.Kind != shuttles.BoardingBuilding || b.Point != r.Boarding.Point || !strings.Contains(b.Label, "door") {
		t.Fatalf("sealed gate rider: %+v", b)
	}
	r.Boarding = shuttles.Boarding{Point: orb.Point{104.0701, 30.6501}, Label: "building 3", Kind: shuttles.BoardingBuilding}
	gates := []orb.Point{{104.08, 30.66}, {104.0702, 30.6502}}
	b = shuttles.DayBoarding(&r, false, gates, "Qingshui Garden")
	if b.Kind != shuttles.BoardingGate || b.Point != gates[1] || b.Label != "gate 2 of Qingshui Garden" {
		t.Fatalf("door rider, lifted: %+v", b)
	}
	if b := shuttles.DayBoarding(&r, true, gates, "x"); b != r.Boarding {
		t.Fatalf("door rider, sealed: %+v", b)
	}
	trips, _ := shuttles.Expand(shuttles.DayInput{Date: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Riders: []shuttles.Rider{r},
		Rules: shuttles.NewRules(pointFacilities()), Policy: shuttles.DefaultPolicy(),
		Boarding: func(r *shuttles.Rider) shuttles.Boarding { return shuttles.DayBoarding(r, false, gates, "Q") }})
	if len(trips) != 2 || trips[0].From != gates[1] || trips[1].To != gates[1] || trips[0].Boarding != shuttles.GateServiceSeconds {
		t.Fatalf("trips: %+v", trips)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := shuttles.DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mod  func(p *shuttles.Policy)
	}{
		{"policy.arrive_latest_min", func(p *shuttles.Policy) { p.ArriveLatestMin = 50 }},
		{"policy.ride_factor", func(p *shuttles.Policy) { p.RideFactor = 0.5 }},
		{"policy.cleaning_min", func(p *shuttles.Policy) { p.CleaningMin = -1 }},
		{"policy.ride_min_min", func(p *shuttles.Policy) { p.RideMinMin = 0 }},
		{"policy.tolerance_min", func(p *shuttles.Policy) { p.ToleranceMin = 500 }},
	} {
		p := shuttles.DefaultPolicy()
		tc.mod(&p)
		var ve *zones.ValidationError
		if err := p.Validate(); !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
	p := shuttles.DefaultPolicy()
	if p.MaxRide(600, false) != 1800 || p.MaxRide(2000, false) != 3600 || p.MaxRide(1000, true) != 1550 {
		t.Fatalf("max ride: %v %v %v", p.MaxRide(600, false), p.MaxRide(2000, false), p.MaxRide(1000, true))
	}
}

func TestAppointmentValidate(t *testing.T) {
	ok := shuttles.Appointment{RiderID: 1, Date: "2026-11-30", Kind: shuttles.CategoryPrenatal, Start: "09:00", DurationMin: 45}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mod  func(a *shuttles.Appointment)
	}{
		{"rider_id", func(a *shuttles.Appointment) { a.RiderID = 0 }},
		{"date", func(a *shuttles.Appointment) { a.Date = "2026-13-01" }},
		{"kind", func(a *shuttles.Appointment) { a.Kind = shuttles.CategoryDialysis }},
		{"kind", func(a *shuttles.Appointment) { a.Kind = "x" }},
		{"start", func(a *shuttles.Appointment) { a.Start = "25:00" }},
		{"duration_min", func(a *shuttles.Appointment) { a.DurationMin = 5 }},
		{"duration_min", func(a *shuttles.Appointment) { a.Start, a.DurationMin = "23:30", 60 }},
		{"duration_min", func(a *shuttles.Appointment) { a.Kind = shuttles.CategoryLabour }},
		{"facility_id", func(a *shuttles.Appointment) { a.FacilityID = -2 }},
	} {
		a := ok
		tc.mod(&a)
		var ve *zones.ValidationError
		if err := a.Validate(); !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
}

// demoDay is the demo district's Monday with appointments: riders,
// trips, vans (n vans of seats seats and 1 wheelchair place at the depot).
func demoDay(t testing.TB, n, seats int) ([]shuttles.Trip, []shuttles.Van) {
	dd, d := demoDistrict(t.(*testing.T))
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	rs, err := shuttles.DemoRiders(dd, monday, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		rs[i].ID = int64(i + 1)
	}
	appts := shuttles.DemoAppointments(rs, monday, 12, 3, 7)
	trips, _ := shuttles.Expand(shuttles.DayInput{Date: monday, Riders: rs, Appointments: appts, Rules: shuttles.NewRules(d.Facilities), Policy: shuttles.DefaultPolicy()})
	var depot orb.Point
	for _, f := range d.Facilities {
		if f.Kind == zones.FacilityDepot {
			depot = f.Point
		}
	}
	var vans []shuttles.Van
	for i := 1; i <= n; i++ {
		vans = append(vans, shuttles.Van{ID: uint64(i), Start: depot, Seats: seats, WheelchairPlaces: 1, DriverPhone: "+86 100 0000 0001"})
	}
	return trips, vans
}

// TestPlanDayAppointments: the demo Monday with 12 prenatal visits and 3
// labour calls on 20 vans of 4 seats: every trip served, the shuttle
// checker finds nothing; and the checker catches each broken rule planted
// in the plan.
func TestPlanDayAppointments(t *testing.T) {
	trips, vans := demoDay(t, 20, 4)
	urgent := 0
	for _, tr := range trips {
		if tr.Urgent {
			urgent++
		}
	}
	if urgent != 3 {
		t.Fatalf("%d urgent trips", urgent)
	}
	pol := shuttles.DefaultPolicy()
	res, kept, err := shuttles.PlanDay(context.Background(), trips, vans, pol, crowMatrix, vrp.Options{Seed: 1, TimeLimit: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unplanned) != 0 || res.Planned != len(kept) || len(res.Violations) != 0 {
		t.Fatalf("planned %d of %d, unplanned %v, violations %v", res.Planned, len(kept), res.Unplanned, res.Violations)
	}
	t.Logf("%d trips on %d vans, %.0f km", res.Planned, res.VansUsed, res.DistanceM/1000)

	tm, index := crowIndex(kept, vans)
	if c := shuttles.CheckDay(kept, vans, pol, res, tm, index); !c.OK() || c.Served != len(kept) {
		t.Fatalf("check: %+v", c)
	}
	byID := map[uint64]shuttles.Trip{}
	for _, tr := range kept {
		byID[tr.ID] = tr
	}
	mutate := func(name string, f func(r *shuttles.PlanResult, trips []shuttles.Trip) bool, count func(c *shuttles.DayCheck) int) {
		t.Helper()
		cp := clonePlan(res)
		trips := append([]shuttles.Trip(nil), kept...)
		if !f(cp, trips) {
			t.Fatalf("%s: nothing to mutate", name)
		}
		c := shuttles.CheckDay(trips, vans, pol, cp, tm, index)
		if count(&c) == 0 {
			t.Errorf("%s: not caught: %v", name, c.Problems)
		}
	}
	setTrip := func(trips []shuttles.Trip, id uint64, f func(t *shuttles.Trip)) {
		for i := range trips {
			if trips[i].ID == id {
				f(&trips[i])
			}
		}
	}
	mutate("late arrival", func(r *shuttles.PlanResult, trips []shuttles.Trip) bool {
		for vi := range r.Vans {
			for _, st := range r.Vans[vi].Stops {
				if tr := byID[st.TripID]; st.Action == "drop_off" && tr.Direction == "inbound" && !tr.Urgent {
					// the session moved 20 minutes earlier
					setTrip(trips, tr.ID, func(t *shuttles.Trip) { t.Window[0] -= 1200; t.Window[1] = int(st.Start) - 60 })
					return true
				}
			}
		}
		return false
	}, func(c *shuttles.DayCheck) int { return c.LateArrivals })
	mutate("colour mixing", func(r *shuttles.PlanResult, trips []shuttles.Trip) bool {
		for vi := range r.Vans {
			ss := r.Vans[vi].Stops
			for k := 0; k+1 < len(ss); k++ {
				if ss[k].Action == "pick_up" && ss[k+1].Action == "pick_up" {
					setTrip(trips, ss[k+1].TripID, func(t *shuttles.Trip) {
						if t.Colour == zones.CodeGreen {
							t.Colour = zones.CodeYellow
						} else {
							t.Colour = zones.CodeGreen
						}
					})
					return true
				}
			}
		}
		return false
	}, func(c *shuttles.DayCheck) int { return c.ColourMixing })
	mutate("ride too long", func(r *shuttles.PlanResult, _ []shuttles.Trip) bool {
		ss := r.Vans[0].Stops
		for k := range ss {
			if ss[k].Action == "pick_up" {
				ss[k].Start -= 3 * 3600 // picked up 3 hours earlier
				ss[k].Arrival -= 3 * 3600
				return true
			}
		}
		return false
	}, func(c *shuttles.DayCheck) int { return c.RideBreaks })
	mutate("seats", func(r *shuttles.PlanResult, trips []shuttles.Trip) bool {
		setTrip(trips, r.Vans[0].Stops[0].TripID, func(t *shuttles.Trip) { t.Seats = 9 })
		return true
	}, func(c *shuttles.DayCheck) int { return c.Seats })
	mutate("dropped without pick-up", func(r *shuttles.PlanResult, _ []shuttles.Trip) bool {
		r.Vans[0].Stops = r.Vans[0].Stops[1:]
		return true
	}, func(c *shuttles.DayCheck) int { return c.Structure })
	mutate("teleport", func(r *shuttles.PlanResult, _ []shuttles.Trip) bool {
		ss := r.Vans[0].Stops
		for k := 1; k < len(ss); k++ {
			if ss[k].Point != ss[k-1].Point {
				ss[k].Arrival = ss[k-1].Departure()
				ss[k].Start = ss[k].Arrival
				return true
			}
		}
		return false
	}, func(c *shuttles.DayCheck) int { return c.Travel })
	mutate("shift", func(r *shuttles.PlanResult, _ []shuttles.Trip) bool {
		ss := r.Vans[0].Stops
		for k := range ss {
			ss[k].Arrival -= 10 * 3600
			ss[k].Start -= 10 * 3600
		}
		return true
	}, func(c *shuttles.DayCheck) int { return c.Shifts })
}

func clonePlan(r *shuttles.PlanResult) *shuttles.PlanResult {
	cp := *r
	cp.Vans = make([]shuttles.VanTimetable, len(r.Vans))
	for i, v := range r.Vans {
		v.Stops = append([]shuttles.Stop(nil), v.Stops...)
		cp.Vans[i] = v
	}
	return &cp
}

// crowIndex is the crow matrix over the trips' and vans' points.
func crowIndex(trips []shuttles.Trip, vans []shuttles.Van) (routing.Matrix, map[orb.Point]int) {
	index := map[orb.Point]int{}
	var pts []orb.Point
	add := func(p orb.Point) {
		if _, ok := index[p]; !ok {
			index[p] = len(pts)
			pts = append(pts, p)
		}
	}
	for _, v := range vans {
		add(v.Start)
	}
	for _, t := range trips {
		add(t.From)
		add(t.To)
	}
	tm, _, _ := crowMatrix(pts)
	return tm, index
}
