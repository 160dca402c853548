package shuttles

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// Demo registry sizes.
const (
	DemoDialysis = 92  // riders with Mon/Wed/Fri or Tue/Thu/Sat sessions at their centre
	DemoPregnant = 152 // women followed by the designated hospital
	DemoNearTerm = 10  // of them at 38 weeks or more (due within 14 days): category labour
)

// DemoSeed is the default seed of DemoRiders.
const DemoSeed uint64 = 20261212

// DemoDistrict is what DemoRiders needs of a district, with the ids the
// store assigned.
type DemoDistrict struct {
	Compounds  []zones.Compound
	Facilities []zones.Facility
	// Sealed lists the compounds in a sealed zone: their riders board at
	// their building's door.
	Sealed map[int64]bool
}

var demoSurnames = []string{"Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao"}

// DemoRiders generates the demo registry on a district: DemoDialysis
// dialysis riders at the dialysis centre nearest to their compound, and
// DemoPregnant pregnant women followed by the designated hospital, of whom
// DemoNearTerm are due within 14 days of today (category labour). Names
// ("Zhang Demo D-017") and phone numbers (+86 100 ...: no such mobile
// prefix) are clearly synthetic. Health codes were set 0-3 days before
// today; about 85 % green, the rest yellow, orange and red.
//
// The same district, today and seed give the same riders. Every rider
// passes Rules.Check on the district. It fails when the district has no
// residential compound, no designated hospital or no dialysis centre.
func DemoRiders(d DemoDistrict, today time.Time, seed uint64) ([]Rider, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ru := NewRules(d.Facilities)
	var comps []zones.Compound
	var weights []float64
	total := 0.0
	for _, c := range d.Compounds {
		if c.Population > 0 && len(c.Gates) > 0 {
			comps = append(comps, c)
			total += float64(c.Population)
			weights = append(weights, total)
		}
	}
	if len(comps) == 0 {
		return nil, fmt.Errorf("shuttles: demo: no compound with residents and a gate")
	}
	if ru.Designated == 0 {
		return nil, fmt.Errorf("shuttles: demo: no designated hospital (one accepting red codes)")
	}
	var centres []zones.Facility
	for _, f := range d.Facilities {
		if f.ID != ru.Designated && ru.dialysis[f.ID] && ru.Accepts(f, zones.CodeGreen) {
			centres = append(centres, f)
		}
	}
	if len(centres) == 0 {
		return nil, fmt.Errorf("shuttles: demo: no dialysis centre")
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	pick := func() zones.Compound {
		x := rng.Float64() * total
		i, _ := slices.BinarySearch(weights, x)
		return comps[min(i, len(comps)-1)]
	}
	colour := func() zones.HealthCode {
		switch x := rng.Float64(); {
		case x < 0.85:
			return zones.CodeGreen
		case x < 0.93:
			return zones.CodeYellow
		case x < 0.97:
			return zones.CodeOrange
		}
		return zones.CodeRed
	}
	base := func(pseudonym string, c zones.Compound) Rider {
		r := Rider{
			Pseudonym:  pseudonym,
			Name:       demoSurnames[rng.IntN(len(demoSurnames))] + " Demo " + pseudonym,
			Phone:      fmt.Sprintf("+86 100 %04d %04d", rng.IntN(10000), rng.IntN(10000)),
			CompoundID: c.ID,
			HealthCode: HealthCode{Colour: colour(), SetOn: day.AddDate(0, 0, -rng.IntN(4)).Format(time.DateOnly)},
		}
		g := rng.IntN(len(c.Gates))
		gate := c.Gates[g]
		if d.Sealed[c.ID] {
			// The door of a building between the gate and the compound's middle.
			mid := c.Geometry.Bound().Center()
			if len(c.Geometry) > 0 {
				mid = centroid(c.Geometry[0][0])
			}
			t := 0.3 + 0.4*rng.Float64()
			p := orb.Point{round7(gate[0] + (mid[0]-gate[0])*t), round7(gate[1] + (mid[1]-gate[1])*t)}
			r.Boarding = Boarding{Point: p, Label: fmt.Sprintf("building %d, unit %d", 1+rng.IntN(24), 1+rng.IntN(4)), Kind: BoardingBuilding}
		} else {
			r.Boarding = Boarding{Point: gate, Label: fmt.Sprintf("gate %d", g+1), Kind: BoardingGate}
		}
		return r
	}
	var out []Rider
	shifts := []string{"07:00", "11:30", "16:00"}
	for i := 1; i <= DemoDialysis; i++ {
		c := pick()
		r := base(fmt.Sprintf("D-%03d", i), c)
		r.Category = CategoryDialysis
		near := centres[0]
		for _, f := range centres[1:] {
			if dist2(f.Point, c.Gates[0]) < dist2(near.Point, c.Gates[0]) {
				near = f
			}
		}
		r.FacilityID = near.ID
		days := []string{"mon", "wed", "fri"}
		if rng.IntN(2) == 1 {
			days = []string{"tue", "thu", "sat"}
		}
		r.Sessions = []Session{{Weekdays: days, Start: shifts[rng.IntN(len(shifts))], DurationMin: 240}}
		r.Mobility = Mobility{Wheelchair: rng.Float64() < 0.25, Companions: rng.IntN(2)}
		out = append(out, r)
	}
	nearTerm := map[int]bool{}
	for _, k := range rng.Perm(DemoPregnant)[:DemoNearTerm] {
		nearTerm[k] = true
	}
	for i := 0; i < DemoPregnant; i++ {
		r := base(fmt.Sprintf("P-%03d", i+1), pick())
		r.FacilityID = ru.Designated
		r.Category = CategoryPrenatal
		due := 15 + rng.IntN(250) // 4 to 38 weeks to go
		if nearTerm[i] {
			r.Category = CategoryLabour
			due = rng.IntN(14)
		}
		r.DueDate = day.AddDate(0, 0, due).Format(time.DateOnly)
		r.Mobility = Mobility{Wheelchair: rng.Float64() < 0.03, Companions: 1}
		if r.Category == CategoryLabour {
			r.Mobility.Companions = 1 + rng.IntN(2)
		}
		out = append(out, r)
	}
	for i := range out {
		if err := ru.Check(&out[i], nil); err != nil {
			return nil, fmt.Errorf("shuttles: demo rider %s: %w", out[i].Pseudonym, err)
		}
	}
	return out, nil
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func dist2(a, b orb.Point) float64 {
	dx := (a[0] - b[0]) * math.Cos(a[1]*math.Pi/180)
	dy := a[1] - b[1]
	return dx*dx + dy*dy
}

// centroid is the mean of a ring's distinct vertices (good enough to walk
// from a gate towards the middle of a convex-ish compound).
func centroid(r orb.Ring) orb.Point {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	var x, y float64
	for _, p := range r[:n] {
		x += p[0]
		y += p[1]
	}
	return orb.Point{x / float64(n), y / float64(n)}
}

// DemoAppointments makes the appointments of a demo day: prenatal check-ups
// of prenatal riders (45 min, between 08:30 and 15:30, every half hour)
// and labour calls of labour riders (spread between 08:00 and 18:00), for
// riders picked by seed among those whose health code is current that
// day. IDs are 1, 2, ...
func DemoAppointments(riders []Rider, date time.Time, prenatal, labour int, seed uint64) []Appointment {
	rng := rand.New(rand.NewPCG(seed, seed^0xa991))
	day := date.Format(time.DateOnly)
	ru := &Rules{MaxCodeAge: DefaultMaxCodeAge}
	var pre, lab []*Rider
	for i := range riders {
		r := &riders[i]
		if r.Archived || ru.codeCurrent(r, date) != nil {
			continue
		}
		switch r.Category {
		case CategoryPrenatal:
			pre = append(pre, r)
		case CategoryLabour:
			lab = append(lab, r)
		}
	}
	var out []Appointment
	for _, k := range rng.Perm(len(pre))[:min(prenatal, len(pre))] {
		slot := 8*60 + 30 + 30*rng.IntN(15)
		out = append(out, Appointment{RiderID: pre[k].ID, Date: day, Kind: CategoryPrenatal, Start: clock(slot * 60), DurationMin: 45})
	}
	n := min(labour, len(lab))
	for i, k := range rng.Perm(len(lab))[:n] {
		call := 8*60 + (i*600)/max(n, 1) + rng.IntN(40)
		out = append(out, Appointment{RiderID: lab[k].ID, Date: day, Kind: CategoryLabour, Start: clock(call * 60)})
	}
	for i := range out {
		out[i].ID = int64(i + 1)
	}
	return out
}
