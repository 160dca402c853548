package shuttles

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeline/zones"
)

// Rules says which facility may take which rider on which day. It is built
// from the district's facilities (NewRules) and is read-only afterwards.
//
// The rules, in the order they are checked (the first that fails is the
// reason given):
//
//  1. The facility is a hospital or a health centre.
//  2. The rider's health code is current: set at most MaxCodeAge days
//     before the date (0: no limit).
//  3. The facility accepts the colour (Facility.Accepts; a facility that
//     lists none accepts green only). Red goes to the designated hospital
//     only, even if another facility lists red.
//  4. The facility serves the category: the maternity hospital takes
//     prenatal, labour and other riders only; dialysis is done at dialysis
//     centres; a health centre takes prenatal check-ups and other riders;
//     the designated hospital takes everything. When the district names no
//     maternity hospital (no dialysis centre), every general hospital takes
//     pregnancies (has a dialysis unit).
//  5. Dialysis, chemotherapy and prenatal riders are followed by their own
//     facility (Rider.FacilityID): another facility takes them only when
//     their own does not (their colour; a red code goes to the designated
//     hospital by rule 3). Labour and other riders may go to any facility
//     that passes 1-4.
type Rules struct {
	facilities map[int64]zones.Facility
	order      []int64 // facility ids, ascending
	// Designated is the designated hospital (the hospital accepting red
	// codes; the largest if several, then the lowest id); 0 if none.
	Designated int64
	maternity  map[int64]bool
	dialysis   map[int64]bool
	// MaxCodeAge is how many days a health code stays current.
	MaxCodeAge int
}

// DefaultMaxCodeAge is the default life of a health code, in days.
const DefaultMaxCodeAge = 7

var (
	maternityWords = []string{"maternal", "maternity", "obstetric", "women", "妇幼", "妇产", "妇女", "产科"}
	dialysisWords  = []string{"dialysis", "renal", "kidney", "nephrology", "透析", "肾"}
)

func nameHas(name string, words []string) bool {
	n := strings.ToLower(name)
	for _, w := range words {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// NewRules derives the rules from the district's facilities: the
// designated hospital (accepts red), maternity hospitals and dialysis
// centres (by name, in English or Chinese).
func NewRules(fs []zones.Facility) *Rules {
	ru := &Rules{facilities: map[int64]zones.Facility{}, maternity: map[int64]bool{}, dialysis: map[int64]bool{}, MaxCodeAge: DefaultMaxCodeAge}
	var hospitals []zones.Facility
	for _, f := range fs {
		ru.facilities[f.ID] = f
		ru.order = append(ru.order, f.ID)
		if f.Kind == zones.FacilityHospital {
			hospitals = append(hospitals, f)
		}
	}
	slices.Sort(ru.order)
	best := zones.Facility{}
	for _, f := range hospitals {
		if slices.Contains(f.Accepts, zones.CodeRed) {
			if ru.Designated == 0 || f.Capacity > best.Capacity || (f.Capacity == best.Capacity && f.ID < best.ID) {
				ru.Designated, best = f.ID, f
			}
		}
	}
	for _, f := range hospitals {
		if f.ID == ru.Designated {
			continue
		}
		if nameHas(f.Name, maternityWords) {
			ru.maternity[f.ID] = true
		} else if nameHas(f.Name, dialysisWords) {
			ru.dialysis[f.ID] = true
		}
	}
	if len(ru.dialysis) == 0 {
		for _, f := range hospitals {
			if f.ID != ru.Designated && !ru.maternity[f.ID] {
				ru.dialysis[f.ID] = true
			}
		}
	}
	return ru
}

// Facility returns the facility of id.
func (ru *Rules) Facility(id int64) (zones.Facility, bool) {
	f, ok := ru.facilities[id]
	return f, ok
}

// IsMaternity reports whether id is a maternity hospital.
func (ru *Rules) IsMaternity(id int64) bool { return ru.maternity[id] }

// IsDialysisCentre reports whether id does dialysis.
func (ru *Rules) IsDialysisCentre(id int64) bool {
	return ru.dialysis[id] || id == ru.Designated && id != 0
}

// Accepts reports whether facility f accepts colour c (rule 3).
func (ru *Rules) Accepts(f zones.Facility, c zones.HealthCode) bool {
	if c == zones.CodeRed && f.ID != ru.Designated {
		return false
	}
	if len(f.Accepts) == 0 {
		return c == zones.CodeGreen
	}
	return slices.Contains(f.Accepts, c)
}

// Serves reports whether facility f serves category c (rule 4).
func (ru *Rules) Serves(f zones.Facility, c Category) bool {
	switch f.Kind {
	case zones.FacilityHospital:
	case zones.FacilityHealthCentre:
		return c == CategoryPrenatal || c == CategoryOther
	default:
		return false
	}
	if f.ID == ru.Designated {
		return true
	}
	if ru.maternity[f.ID] {
		return c.Pregnancy() || c == CategoryOther
	}
	switch c {
	case CategoryDialysis:
		return ru.dialysis[f.ID]
	case CategoryPrenatal, CategoryLabour:
		return len(ru.maternity) == 0
	}
	return true
}

// Refusal is why a facility may not take a rider. Code is stable
// (not_a_care_facility, unknown_facility, code_expired, colour_refused,
// red_to_designated, category_not_served, own_facility_only,
// no_facility); Message is for people and never holds personal data.
type Refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (r *Refusal) Error() string { return r.Message }

func refuse(code, format string, a ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, a...)}
}

// MayTake says whether facility id may take rider r on date (a calendar
// day; only its year, month and day count): nil if it may, else the first
// rule that fails.
func (ru *Rules) MayTake(id int64, r *Rider, date time.Time) *Refusal {
	f, ok := ru.facilities[id]
	if !ok {
		return refuse("unknown_facility", "facility %d is not in the district", id)
	}
	if f.Kind != zones.FacilityHospital && f.Kind != zones.FacilityHealthCentre {
		return refuse("not_a_care_facility", "%s is a %s, not a hospital or health centre", f.Name, f.Kind)
	}
	if rf := ru.codeCurrent(r, date); rf != nil {
		return rf
	}
	c := r.HealthCode.Colour
	if c == zones.CodeRed && id != ru.Designated {
		if ru.Designated == 0 {
			return refuse("red_to_designated", "red codes go to the designated hospital, and the district has none")
		}
		return refuse("red_to_designated", "red codes go to the designated hospital (%s) only", ru.facilities[ru.Designated].Name)
	}
	if !ru.Accepts(f, c) {
		return refuse("colour_refused", "%s does not accept %s codes", f.Name, c)
	}
	if !ru.Serves(f, r.Category) {
		return refuse("category_not_served", "%s does not take %s riders", f.Name, r.Category)
	}
	if id != r.FacilityID && (r.Category.Recurring() || r.Category == CategoryPrenatal) {
		own, ok := ru.facilities[r.FacilityID]
		switch {
		case !ok:
			// the own facility is gone: any facility passing 1-4 may take them
		case ru.Accepts(own, c) && ru.Serves(own, r.Category):
			return refuse("own_facility_only", "%s riders go to their own facility (%s), which takes them", r.Category, own.Name)
		}
	}
	return nil
}

func (ru *Rules) codeCurrent(r *Rider, date time.Time) *Refusal {
	set, err := ParseDate(r.HealthCode.SetOn)
	if err != nil {
		return refuse("code_expired", "the health code has no valid date")
	}
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	age := int(day.Sub(set).Hours() / 24)
	if ru.MaxCodeAge > 0 && age > ru.MaxCodeAge {
		return refuse("code_expired", "the health code was set on %s, %d days before %s (limit %d): renew it", r.HealthCode.SetOn, age, day.Format(time.DateOnly), ru.MaxCodeAge)
	}
	return nil
}

// Destination returns the facility that takes r on date: the rider's own
// facility when it may; otherwise, for a pregnancy, a maternity hospital;
// then the designated hospital; then the lowest-id facility that may. When
// none may, the refusal is the own facility's.
func (ru *Rules) Destination(r *Rider, date time.Time) (int64, *Refusal) {
	first := ru.MayTake(r.FacilityID, r, date)
	if first == nil {
		return r.FacilityID, nil
	}
	if first.Code == "code_expired" {
		return 0, first
	}
	var order []int64
	if r.Category.Pregnancy() {
		for _, id := range ru.order {
			if ru.maternity[id] {
				order = append(order, id)
			}
		}
	}
	if ru.Designated != 0 {
		order = append(order, ru.Designated)
	}
	order = append(order, ru.order...)
	for _, id := range order {
		if ru.MayTake(id, r, date) == nil {
			return id, nil
		}
	}
	return 0, first
}

// Check validates r (Validate) and then its references to the district:
// the compound exists (compounds maps id -> true; nil skips the check), the
// facility exists and is a hospital or health centre that serves the
// category, and some facility of the district accepts the colour.
func (ru *Rules) Check(r *Rider, compounds map[int64]bool) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if compounds != nil && !compounds[r.CompoundID] {
		return verr("compound_id", "no compound %d in the district", r.CompoundID)
	}
	f, ok := ru.facilities[r.FacilityID]
	if !ok {
		return verr("facility_id", "no facility %d in the district", r.FacilityID)
	}
	if f.Kind != zones.FacilityHospital && f.Kind != zones.FacilityHealthCentre {
		return verr("facility_id", "facility %d (%s) is a %s, not a hospital or health centre", f.ID, f.Name, f.Kind)
	}
	if !ru.Serves(f, r.Category) {
		return verr("facility_id", "%s does not take %s riders", f.Name, r.Category)
	}
	taken := false
	for _, id := range ru.order {
		g := ru.facilities[id]
		if (g.Kind == zones.FacilityHospital || g.Kind == zones.FacilityHealthCentre) && ru.Accepts(g, r.HealthCode.Colour) {
			taken = true
			break
		}
	}
	if !taken {
		return verr("health_code.colour", "no hospital of the district accepts %s codes", r.HealthCode.Colour)
	}
	return nil
}
