package shuttles

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

func validRider() Rider {
	return Rider{
		Pseudonym:  "D-017",
		Name:       "Test Rider One",
		Phone:      "+86 100 0000 0017",
		CompoundID: 3,
		Boarding:   Boarding{Point: orb.Point{104.07, 30.65}, Label: "north gate", Kind: BoardingGate},
		Category:   CategoryDialysis,
		HealthCode: HealthCode{Colour: zones.CodeGreen, SetOn: "2026-11-30"},
		Mobility:   Mobility{Wheelchair: true, Companions: 1},
		FacilityID: 3,
		Sessions:   []Session{{Weekdays: []string{"mon", "wed", "fri"}, Start: "07:30", DurationMin: 240}},
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(r *Rider)
		path string // "" = valid
	}{
		{"valid", func(r *Rider) {}, ""},
		{"two sessions on other days", func(r *Rider) {
			r.Sessions = append(r.Sessions, Session{Weekdays: []string{"tue"}, Start: "07:30", DurationMin: 240})
		}, ""},
		{"prenatal with due date", func(r *Rider) { r.Category, r.Sessions, r.DueDate = CategoryPrenatal, nil, "2027-01-10" }, ""},
		{"bad pseudonym", func(r *Rider) { r.Pseudonym = "d17" }, "pseudonym"},
		{"empty name", func(r *Rider) { r.Name = "  " }, "name"},
		{"control char in name", func(r *Rider) { r.Name = "a\x00b" }, "name"},
		{"long name", func(r *Rider) { r.Name = strings.Repeat("é", 101) }, "name"},
		{"bad phone", func(r *Rider) { r.Phone = "call me" }, "phone"},
		{"no compound", func(r *Rider) { r.CompoundID = 0 }, "compound_id"},
		{"no point", func(r *Rider) { r.Boarding.Point = orb.Point{} }, "boarding.point"},
		{"lat out of range", func(r *Rider) { r.Boarding.Point = orb.Point{104, 91} }, "boarding.point"},
		{"no label", func(r *Rider) { r.Boarding.Label = "" }, "boarding.label"},
		{"bad boarding kind", func(r *Rider) { r.Boarding.Kind = "roof" }, "boarding.kind"},
		{"unknown category", func(r *Rider) { r.Category = "surgery" }, "category"},
		{"unknown colour", func(r *Rider) { r.HealthCode.Colour = "blue" }, "health_code.colour"},
		{"bad code date", func(r *Rider) { r.HealthCode.SetOn = "2026-13-01" }, "health_code.set_on"},
		{"too many companions", func(r *Rider) { r.Mobility.Companions = 3 }, "mobility.companions"},
		{"negative companions", func(r *Rider) { r.Mobility.Companions = -1 }, "mobility.companions"},
		{"no facility", func(r *Rider) { r.FacilityID = -2 }, "facility_id"},
		{"dialysis without sessions", func(r *Rider) { r.Sessions = nil }, "sessions"},
		{"prenatal with sessions", func(r *Rider) { r.Category = CategoryPrenatal }, "sessions"},
		{"session at 25:00", func(r *Rider) { r.Sessions[0].Start = "25:00" }, "sessions[0].start"},
		{"session at 7:30", func(r *Rider) { r.Sessions[0].Start = "7:30" }, "sessions[0].start"},
		{"session too short", func(r *Rider) { r.Sessions[0].DurationMin = 5 }, "sessions[0].duration_min"},
		{"session past midnight", func(r *Rider) { r.Sessions[0].Start = "22:00" }, "sessions[0].duration_min"},
		{"no weekdays", func(r *Rider) { r.Sessions[0].Weekdays = nil }, "sessions[0].weekdays"},
		{"bad weekday", func(r *Rider) { r.Sessions[0].Weekdays[1] = "Wednesday" }, "sessions[0].weekdays[1]"},
		{"weekday twice", func(r *Rider) { r.Sessions[0].Weekdays[2] = "mon" }, "sessions[0].weekdays[2]"},
		{"overlapping sessions", func(r *Rider) {
			r.Sessions = append(r.Sessions, Session{Weekdays: []string{"fri"}, Start: "11:00", DurationMin: 60})
		}, "sessions[1]"},
		{"due date for dialysis", func(r *Rider) { r.DueDate = "2027-01-01" }, "due_date"},
		{"bad due date", func(r *Rider) { r.Category, r.Sessions, r.DueDate = CategoryLabour, nil, "soon" }, "due_date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRider()
			tc.edit(&r)
			err := r.Validate()
			if tc.path == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *zones.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError at %s, got %v", tc.path, err)
			}
			if ve.Path != tc.path {
				t.Fatalf("path %q (%s), want %q", ve.Path, ve.Message, tc.path)
			}
		})
	}
}

func TestSessionsOnAndSeats(t *testing.T) {
	r := validRider()
	mon := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday
	if WeekdayOf(mon) != "mon" {
		t.Fatalf("2026-11-30 is %s", WeekdayOf(mon))
	}
	if got := len(r.SessionsOn(mon)); got != 1 {
		t.Fatalf("monday sessions %d, want 1", got)
	}
	if got := len(r.SessionsOn(mon.AddDate(0, 0, 1))); got != 0 {
		t.Fatalf("tuesday sessions %d, want 0", got)
	}
	if r.Seats() != 1 || r.ServiceSeconds() != GateServiceSeconds+WheelchairExtraSeconds {
		t.Fatalf("seats %d service %d", r.Seats(), r.ServiceSeconds())
	}
	r.Mobility = Mobility{Companions: 2}
	r.Boarding.Kind = BoardingBuilding
	if r.Seats() != 3 || r.ServiceSeconds() != BuildingServiceSeconds {
		t.Fatalf("seats %d service %d", r.Seats(), r.ServiceSeconds())
	}
	if m, err := ParseClock("23:59"); err != nil || m != 23*60+59 {
		t.Fatalf("ParseClock 23:59 = %d, %v", m, err)
	}
}

// district: 1 designated (red, orange), 2 maternity, 3 dialysis centre,
// 4 general hospital, 5 health centre (no list: green only), 6 pharmacy,
// 7 a fever hospital (orange, yellow, green).
func district() []zones.Facility {
	yg := []zones.HealthCode{zones.CodeYellow, zones.CodeGreen}
	return []zones.Facility{
		{ID: 1, Kind: zones.FacilityHospital, Name: "First Hospital (designated)", Capacity: 800, Accepts: []zones.HealthCode{zones.CodeRed, zones.CodeOrange}},
		{ID: 2, Kind: zones.FacilityHospital, Name: "Maternal and Child Hospital", Capacity: 100, Accepts: yg},
		{ID: 3, Kind: zones.FacilityHospital, Name: "Yuhua Hospital (dialysis centre)", Capacity: 100, Accepts: yg},
		{ID: 4, Kind: zones.FacilityHospital, Name: "General Hospital", Capacity: 100, Accepts: yg},
		{ID: 5, Kind: zones.FacilityHealthCentre, Name: "Street Health Centre"},
		{ID: 6, Kind: zones.FacilityPharmacy, Name: "Pharmacy"},
		{ID: 7, Kind: zones.FacilityHospital, Name: "Fever Hospital", Capacity: 50, Accepts: []zones.HealthCode{zones.CodeOrange, zones.CodeYellow, zones.CodeGreen}},
	}
}

func TestNewRules(t *testing.T) {
	ru := NewRules(district())
	if ru.Designated != 1 {
		t.Fatalf("designated %d, want 1", ru.Designated)
	}
	if !ru.IsMaternity(2) || ru.IsMaternity(4) {
		t.Fatal("maternity by name")
	}
	if !ru.IsDialysisCentre(3) || ru.IsDialysisCentre(4) || !ru.IsDialysisCentre(1) {
		t.Fatal("dialysis by name, designated does everything")
	}
	// Without a named dialysis centre or maternity hospital, general
	// hospitals do both.
	fs := district()
	fs[1].Name, fs[2].Name = "Second Hospital", "Third Hospital"
	ru = NewRules(fs)
	if !ru.IsDialysisCentre(4) || !ru.Serves(fs[3], CategoryLabour) {
		t.Fatal("general hospitals should take dialysis and labour when none is named")
	}
	// Two hospitals take red: the larger is designated.
	fs = district()
	fs[6].Accepts = append(fs[6].Accepts, zones.CodeRed)
	fs[6].Capacity = 900
	if d := NewRules(fs).Designated; d != 7 {
		t.Fatalf("designated %d, want the larger (7)", d)
	}
}

func TestMayTake(t *testing.T) {
	ru := NewRules(district())
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	rider := func(cat Category, colour zones.HealthCode, own int64) *Rider {
		r := validRider()
		r.Category, r.HealthCode.Colour, r.FacilityID = cat, colour, own
		if !cat.Recurring() {
			r.Sessions = nil
		}
		return &r
	}
	cases := []struct {
		name     string
		facility int64
		r        *Rider
		want     string // refusal code, "" = may take
	}{
		{"dialysis green at own centre", 3, rider(CategoryDialysis, zones.CodeGreen, 3), ""},
		{"dialysis green elsewhere", 4, rider(CategoryDialysis, zones.CodeGreen, 3), "category_not_served"},
		{"dialysis green at designated", 1, rider(CategoryDialysis, zones.CodeGreen, 3), "colour_refused"},
		{"dialysis orange own centre refuses", 3, rider(CategoryDialysis, zones.CodeOrange, 3), "colour_refused"},
		{"dialysis orange to designated", 1, rider(CategoryDialysis, zones.CodeOrange, 3), ""},
		{"dialysis red to designated", 1, rider(CategoryDialysis, zones.CodeRed, 3), ""},
		{"dialysis red not at own", 3, rider(CategoryDialysis, zones.CodeRed, 3), "red_to_designated"},
		{"red never at fever hospital", 7, rider(CategoryOther, zones.CodeRed, 7), "red_to_designated"},
		{"prenatal green at maternity", 2, rider(CategoryPrenatal, zones.CodeGreen, 2), ""},
		{"prenatal green not at general", 4, rider(CategoryPrenatal, zones.CodeGreen, 2), "category_not_served"},
		{"prenatal green followed by maternity, not health centre", 5, rider(CategoryPrenatal, zones.CodeGreen, 2), "own_facility_only"},
		{"prenatal yellow at health centre refused", 5, rider(CategoryPrenatal, zones.CodeYellow, 5), "colour_refused"},
		{"prenatal red to designated", 1, rider(CategoryPrenatal, zones.CodeRed, 2), ""},
		{"labour green at any maternity", 2, rider(CategoryLabour, zones.CodeGreen, 1), ""},
		{"labour green not at dialysis centre", 3, rider(CategoryLabour, zones.CodeGreen, 2), "category_not_served"},
		{"other orange at fever hospital", 7, rider(CategoryOther, zones.CodeOrange, 4), ""},
		{"chemo orange to designated when own refuses", 1, rider(CategoryChemotherapy, zones.CodeOrange, 4), ""},
		{"chemo orange at fever hospital when own refuses", 7, rider(CategoryChemotherapy, zones.CodeOrange, 4), ""},
		{"prenatal green followed by designated goes to maternity", 2, rider(CategoryPrenatal, zones.CodeGreen, 1), ""},
		{"prenatal green followed by designated, not dialysis centre", 3, rider(CategoryPrenatal, zones.CodeGreen, 1), "category_not_served"},
		{"chemo green elsewhere", 7, rider(CategoryChemotherapy, zones.CodeGreen, 4), "own_facility_only"},
		{"pharmacy", 6, rider(CategoryOther, zones.CodeGreen, 6), "not_a_care_facility"},
		{"unknown", 99, rider(CategoryOther, zones.CodeGreen, 4), "unknown_facility"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rf := ru.MayTake(tc.facility, tc.r, day)
			got := ""
			if rf != nil {
				got = rf.Code
				if rf.Message == "" {
					t.Fatal("refusal without a message")
				}
			}
			if got != tc.want {
				t.Fatalf("MayTake = %q (%v), want %q", got, rf, tc.want)
			}
		})
	}
}

func TestCodeAge(t *testing.T) {
	ru := NewRules(district())
	r := validRider() // set 2026-11-30
	for _, tc := range []struct {
		day  string
		max  int
		want bool
	}{{"2026-11-30", 7, true}, {"2026-12-07", 7, true}, {"2026-12-08", 7, false}, {"2027-06-01", 0, true}} {
		ru.MaxCodeAge = tc.max
		d, _ := ParseDate(tc.day)
		rf := ru.MayTake(3, &r, d)
		if (rf == nil) != tc.want || (rf != nil && rf.Code != "code_expired") {
			t.Errorf("%s max %d: %v, want ok=%v", tc.day, tc.max, rf, tc.want)
		}
	}
}

func TestDestination(t *testing.T) {
	ru := NewRules(district())
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	r := validRider()
	if id, rf := ru.Destination(&r, day); id != 3 || rf != nil {
		t.Fatalf("green dialysis: %d %v, want own centre 3", id, rf)
	}
	r.HealthCode.Colour = zones.CodeRed
	if id, rf := ru.Destination(&r, day); id != 1 || rf != nil {
		t.Fatalf("red dialysis: %d %v, want designated 1", id, rf)
	}
	r.HealthCode.SetOn = "2026-10-01"
	if id, rf := ru.Destination(&r, day); id != 0 || rf == nil || rf.Code != "code_expired" {
		t.Fatalf("stale code: %d %v", id, rf)
	}
	// A green prenatal rider followed by the designated hospital goes to
	// the maternity hospital; an orange one stays.
	p := validRider()
	p.Category, p.Sessions, p.FacilityID = CategoryPrenatal, nil, 1
	if id, rf := ru.Destination(&p, day); id != 2 || rf != nil {
		t.Fatalf("green prenatal of the designated: %d %v, want maternity 2", id, rf)
	}
	p.HealthCode.Colour = zones.CodeOrange
	if id, rf := ru.Destination(&p, day); id != 1 || rf != nil {
		t.Fatalf("orange prenatal of the designated: %d %v, want 1", id, rf)
	}
	// A labour rider whose own facility is a health centre goes to the
	// first hospital that may take her.
	l := validRider()
	l.Category, l.Sessions, l.FacilityID = CategoryLabour, nil, 5
	if id, rf := ru.Destination(&l, day); id != 2 || rf != nil {
		t.Fatalf("labour: %d %v, want maternity 2", id, rf)
	}
}

func TestCheck(t *testing.T) {
	ru := NewRules(district())
	compounds := map[int64]bool{3: true}
	cases := []struct {
		name string
		edit func(r *Rider)
		path string
	}{
		{"valid", func(r *Rider) {}, ""},
		{"invalid first", func(r *Rider) { r.Sessions[0].Start = "25:00" }, "sessions[0].start"},
		{"unknown compound", func(r *Rider) { r.CompoundID = 4 }, "compound_id"},
		{"unknown facility", func(r *Rider) { r.FacilityID = 42 }, "facility_id"},
		{"pharmacy", func(r *Rider) { r.FacilityID = 6 }, "facility_id"},
		{"dialysis at maternity", func(r *Rider) { r.FacilityID = 2 }, "facility_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRider()
			tc.edit(&r)
			err := ru.Check(&r, compounds)
			var ve *zones.ValidationError
			if tc.path == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.As(err, &ve) || ve.Path != tc.path {
				t.Fatalf("got %v, want path %s", err, tc.path)
			}
		})
	}
	// A colour no facility takes: a district without a designated hospital.
	fs := district()[1:]
	r := validRider()
	r.HealthCode.Colour = zones.CodeRed
	err := NewRules(fs).Check(&r, nil)
	var ve *zones.ValidationError
	if !errors.As(err, &ve) || ve.Path != "health_code.colour" {
		t.Fatalf("red without designated: %v", err)
	}
}

func TestFilterMatches(t *testing.T) {
	r := validRider()
	for _, tc := range []struct {
		f    RiderFilter
		want bool
	}{
		{RiderFilter{}, true},
		{RiderFilter{Category: CategoryDialysis, CompoundID: 3, FacilityID: 3}, true},
		{RiderFilter{Category: CategoryPrenatal}, false},
		{RiderFilter{CompoundID: 4}, false},
		{RiderFilter{Search: "d-01"}, true},
		{RiderFilter{Search: "RIDER ONE"}, true},
		{RiderFilter{Search: "0017"}, true},
		{RiderFilter{Search: "NORTH"}, true},
		{RiderFilter{Search: "south"}, false},
	} {
		if got := tc.f.Matches(&r); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
	r.Archived = true
	if (RiderFilter{}).Matches(&r) || !(RiderFilter{IncludeArchived: true}).Matches(&r) {
		t.Error("archived riders are listed only on request")
	}
}

// FuzzRiderJSON: any JSON body decoded into a Rider validates without
// panicking, and a valid rider survives a JSON round trip unchanged.
func FuzzRiderJSON(f *testing.F) {
	r := validRider()
	b, _ := json.Marshal(r)
	f.Add(b)
	f.Add([]byte(`{"sessions":[{"weekdays":["mon","mon"],"start":"24:00","duration_min":-1}]}`))
	f.Add([]byte(`{"boarding":{"point":[1e309,0]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Rider
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if r.Validate() != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Rider
		if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
