package shuttles_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/planar"

	"lifeline/data/demo"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

func demoDistrict(t *testing.T) (shuttles.DemoDistrict, *demo.District) {
	t.Helper()
	d := demo.Default()
	sealed := map[int64]bool{}
	for _, c := range d.Compounds {
		for _, z := range d.Zones {
			if z.Kind == zones.KindSealed && z.EffectiveUntil == nil && planar.MultiPolygonContains(z.Geometry, c.Geometry.Bound().Center()) {
				sealed[c.ID] = true
			}
		}
	}
	if len(sealed) == 0 {
		t.Fatal("the demo district has no sealed compound")
	}
	return shuttles.DemoDistrict{Compounds: d.Compounds, Facilities: d.Facilities, Sealed: sealed}, d
}

func TestDemoRiders(t *testing.T) {
	dd, d := demoDistrict(t)
	today := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	rs, err := shuttles.DemoRiders(dd, today, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := shuttles.DemoRiders(dd, today, shuttles.DemoSeed)
	if !reflect.DeepEqual(rs, again) {
		t.Fatal("not deterministic")
	}
	if other, _ := shuttles.DemoRiders(dd, today, shuttles.DemoSeed+1); reflect.DeepEqual(rs, other) {
		t.Fatal("the seed changes nothing")
	}
	ru := shuttles.NewRules(d.Facilities)
	compounds := map[int64]bool{}
	gates := map[[2]float64]int64{}
	for _, c := range d.Compounds {
		compounds[c.ID] = true
		for _, g := range c.Gates {
			gates[g] = c.ID
		}
	}
	count := map[shuttles.Category]int{}
	seen := map[string]bool{}
	colours := map[zones.HealthCode]int{}
	building := 0
	for i := range rs {
		r := &rs[i]
		count[r.Category]++
		colours[r.HealthCode.Colour]++
		if seen[r.Pseudonym] {
			t.Fatalf("pseudonym %s twice", r.Pseudonym)
		}
		seen[r.Pseudonym] = true
		if err := ru.Check(r, compounds); err != nil {
			t.Fatalf("%s: %v", r.Pseudonym, err)
		}
		if !strings.Contains(r.Name, " Demo ") || !strings.HasPrefix(r.Phone, "+86 100 ") {
			t.Fatalf("%s: name or phone not clearly synthetic", r.Pseudonym)
		}
		if dd.Sealed[r.CompoundID] {
			building++
			if r.Boarding.Kind != shuttles.BoardingBuilding || !planar.MultiPolygonContains(compoundOf(d, r.CompoundID).Geometry, r.Boarding.Point) {
				t.Fatalf("%s in a sealed compound boards at %v %v", r.Pseudonym, r.Boarding.Kind, r.Boarding.Point)
			}
		} else if r.Boarding.Kind != shuttles.BoardingGate || gates[r.Boarding.Point] != r.CompoundID {
			t.Fatalf("%s boards at %v, not a gate of its compound", r.Pseudonym, r.Boarding.Point)
		}
		switch r.Category {
		case shuttles.CategoryDialysis:
			days := strings.Join(r.Sessions[0].Weekdays, " ")
			if len(r.Sessions) != 1 || (days != "mon wed fri" && days != "tue thu sat") || !ru.IsDialysisCentre(r.FacilityID) || r.FacilityID == ru.Designated {
				t.Fatalf("%s: sessions %v at %d", r.Pseudonym, r.Sessions, r.FacilityID)
			}
		case shuttles.CategoryPrenatal, shuttles.CategoryLabour:
			due, _ := shuttles.ParseDate(r.DueDate)
			weeks := 40 - due.Sub(today).Hours()/24/7
			if r.FacilityID != ru.Designated || (r.Category == shuttles.CategoryLabour) != (weeks > 38) {
				t.Fatalf("%s: followed by %d, %.1f weeks", r.Pseudonym, r.FacilityID, weeks)
			}
		}
		// Every demo rider can be taken somewhere today.
		if id, rf := ru.Destination(r, today); id == 0 {
			t.Fatalf("%s (%s, %s) has no destination: %v", r.Pseudonym, r.Category, r.HealthCode.Colour, rf)
		}
	}
	if count[shuttles.CategoryDialysis] != 92 || count[shuttles.CategoryPrenatal] != 142 || count[shuttles.CategoryLabour] != 10 {
		t.Fatalf("counts %v", count)
	}
	if colours[zones.CodeGreen] < len(rs)*3/4 || colours[zones.CodeRed] == 0 || colours[zones.CodeOrange] == 0 || building == 0 {
		t.Fatalf("colours %v, %d at building doors", colours, building)
	}
	if _, err := shuttles.DemoRiders(shuttles.DemoDistrict{Compounds: d.Compounds}, today, 1); err == nil {
		t.Fatal("no facilities: want an error")
	}
}

func compoundOf(d *demo.District, id int64) zones.Compound {
	for _, c := range d.Compounds {
		if c.ID == id {
			return c
		}
	}
	return zones.Compound{}
}
