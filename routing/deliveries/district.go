package deliveries

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"lifeline/zones"
)

// District is what intake and batching need of the district: compounds,
// supply points (a facility of kind supply_point names its compound; a
// sealed compound's is at its gate) and the pharmacies and health centres.
type District struct {
	Compounds    map[int64]*zones.Compound
	Facilities   map[int64]*zones.Facility
	SupplyPoints map[int64]int64 // compound id -> its (first) supply point
	Pharmacies   []int64         // pharmacies and health centres, by id
	Depot        *zones.Facility // the first depot, or nil
}

// NewDistrict indexes compounds and facilities.
func NewDistrict(cs []zones.Compound, fs []zones.Facility) *District {
	d := &District{Compounds: map[int64]*zones.Compound{}, Facilities: map[int64]*zones.Facility{}, SupplyPoints: map[int64]int64{}}
	for i := range cs {
		d.Compounds[cs[i].ID] = &cs[i]
	}
	for i := range fs {
		f := &fs[i]
		d.Facilities[f.ID] = f
		switch f.Kind {
		case zones.FacilitySupplyPoint:
			if _, ok := d.SupplyPoints[f.CompoundID]; !ok && f.CompoundID != 0 {
				d.SupplyPoints[f.CompoundID] = f.ID
			}
		case zones.FacilityPharmacy, zones.FacilityHealthCentre:
			d.Pharmacies = append(d.Pharmacies, f.ID)
		case zones.FacilityDepot:
			if d.Depot == nil {
				d.Depot = f
			}
		}
	}
	slices.Sort(d.Pharmacies)
	return d
}

// Check checks r against the district and fills its supply point when not
// given: the compound must exist, the building's door (when given) lie in
// it (within 30 m of its outline: doors are on walls), the supply point be
// a supply point (by default the compound's own) and the pharmacy a
// pharmacy or health centre. Errors are *zones.ValidationError with the
// field's path.
func (d *District) Check(r *Request) error {
	c, ok := d.Compounds[r.CompoundID]
	if !ok {
		return verr("compound_id", "no compound %d in the district", r.CompoundID)
	}
	if p := r.BuildingPoint; p != nil && !zones.MultiPolygonCovers(c.Geometry, *p) && distanceTo(c, *p) > 30 {
		return verr("building_point", "[%.6f, %.6f] is %.0f m outside compound %d (%s)", p[0], p[1], distanceTo(c, *p), c.ID, c.Name)
	}
	if r.SupplyPointID == 0 {
		sp, ok := d.SupplyPoints[r.CompoundID]
		if !ok {
			return verr("supply_point_id", "compound %d (%s) has no supply point: give supply_point_id", c.ID, c.Name)
		}
		r.SupplyPointID = sp
	} else if f, ok := d.Facilities[r.SupplyPointID]; !ok || f.Kind != zones.FacilitySupplyPoint {
		return verr("supply_point_id", "no supply point %d in the district", r.SupplyPointID)
	}
	if r.PharmacyID != 0 {
		if f, ok := d.Facilities[r.PharmacyID]; !ok || (f.Kind != zones.FacilityPharmacy && f.Kind != zones.FacilityHealthCentre) {
			return verr("pharmacy_id", "no pharmacy or health centre %d in the district", r.PharmacyID)
		}
	}
	return nil
}

// distanceTo is the distance in metres from p to the nearest vertex or
// edge of c's outline (an approximation good to a metre at city scale).
func distanceTo(c *zones.Compound, p orb.Point) float64 {
	best := -1.0
	for _, poly := range c.Geometry {
		for _, ring := range poly {
			for i := 1; i < len(ring); i++ {
				dd := segDist(p, ring[i-1], ring[i])
				if best < 0 || dd < best {
					best = dd
				}
			}
		}
	}
	if best < 0 {
		return 0
	}
	return best
}

func segDist(p, a, b orb.Point) float64 {
	// project in a local equirectangular frame around p
	kx := geo.Distance(orb.Point{p[0], p[1]}, orb.Point{p[0] + 0.001, p[1]}) / 0.001
	ky := geo.Distance(orb.Point{p[0], p[1]}, orb.Point{p[0], p[1] + 0.001}) / 0.001
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, -(ax*dx+ay*dy)/l))
	}
	x, y := ax+t*dx, ay+t*dy
	return math.Sqrt(x*x + y*y)
}

// NearestPharmacy returns the pharmacy or health centre nearest to p in a
// straight line (ties by id), or 0 when there is none.
func (d *District) NearestPharmacy(p orb.Point) int64 {
	var best int64
	bd := 0.0
	for _, id := range d.Pharmacies {
		dd := geo.Distance(p, d.Facilities[id].Point)
		if best == 0 || dd < bd {
			best, bd = id, dd
		}
	}
	return best
}

// Cut groups requests (those received, of date or an earlier day) into
// batches: one per supply point and pharmacy (the request's, else the one
// nearest to the supply point), and one per urgent request. Requests
// carried from an unplanned batch, or left from an earlier day, give
// their batch at least CarriedPriority: the next cut serves them first. Batches come in supply point
// order, urgent ones last; requests within a batch by id. A batch that
// would hold more than maxBoxes boxes or maxML millilitres (the largest
// van; 0: no limit) is split. The batches get no ids (the store gives
// them).
func (d *District) Cut(reqs []Request, date, cut string, maxBoxes, maxML int) ([]Batch, error) {
	type key struct{ sp, ph int64 }
	groups := map[key]*Batch{}
	var urgent, full []*Batch
	for i := range reqs {
		r := &reqs[i]
		if r.State != StateReceived || r.Date > date {
			continue
		}
		sp, ok := d.Facilities[r.SupplyPointID]
		if !ok {
			return nil, fmt.Errorf("request %d: supply point %d is no longer in the district", r.ID, r.SupplyPointID)
		}
		ph := r.PharmacyID
		if ph == 0 {
			if ph = d.NearestPharmacy(sp.Point); ph == 0 {
				return nil, verr("pharmacies", "the district has no pharmacy or health centre")
			}
		}
		var b *Batch
		if r.Urgency == UrgencyUrgent {
			b = &Batch{Urgent: true}
			urgent = append(urgent, b)
		} else {
			k := key{sp.ID, ph}
			b = groups[k]
			if b != nil && ((maxBoxes > 0 && b.Boxes+r.Boxes() > maxBoxes) || (maxML > 0 && b.VolumeML+r.VolumeML() > maxML)) {
				full = append(full, b)
				b = nil
			}
			if b == nil {
				b = &Batch{}
				groups[k] = b
			}
		}
		b.Date, b.Cut, b.SupplyPointID, b.PharmacyID = date, cut, sp.ID, ph
		b.Requests = append(b.Requests, r.ID)
		b.Boxes += r.Boxes()
		b.VolumeML += r.VolumeML()
		if r.Prescription {
			b.Prescriptions++
		}
		if r.InsuranceCard {
			b.Cards++
		}
		b.Priority = max(b.Priority, r.Urgency.Priority())
		if r.Carried() > 0 || r.Date < date {
			b.Priority = max(b.Priority, CarriedPriority)
		}
	}
	out := make([]Batch, 0, len(groups)+len(full)+len(urgent))
	for _, b := range full {
		out = append(out, *b)
	}
	for _, b := range groups {
		out = append(out, *b)
	}
	slices.SortStableFunc(out, func(a, b Batch) int {
		return cmp.Or(cmp.Compare(a.SupplyPointID, b.SupplyPointID), cmp.Compare(a.PharmacyID, b.PharmacyID), cmp.Compare(a.Requests[0], b.Requests[0]))
	})
	for _, b := range urgent {
		out = append(out, *b)
	}
	return out, nil
}

// CarriedPriority is the least VRP priority of a batch holding a request
// carried from an earlier cut: above today's (10), below urgent (50).
const CarriedPriority = 20

// ValidateBatch checks a batch before it is stored.
func ValidateBatch(b *Batch) error {
	if _, err := ParseDate(b.Date); err != nil {
		return verr("date", "%s", err.Error())
	}
	if len(b.Requests) == 0 {
		return verr("requests", "a batch holds at least one request")
	}
	if b.SupplyPointID <= 0 || b.PharmacyID <= 0 {
		return verr("supply_point_id", "a batch needs a supply point and a pharmacy")
	}
	if err := checkText("cut", b.Cut, true, 20); err != nil {
		return err
	}
	return nil
}

// Label names a facility for lists ("#id" when unknown).
func (d *District) Label(id int64) string {
	if f, ok := d.Facilities[id]; ok {
		return f.Name
	}
	return fmt.Sprintf("#%d", id)
}

// OpeningHours parses "HH:MM-HH:MM" into seconds after midnight; empty or
// anything else is all day ([0, 86400]). A span past midnight ends at
// 24:00.
func OpeningHours(s string) (int, int) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 86400
	}
	from, err1 := ParseClock(strings.TrimSpace(a))
	to, err2 := ParseClock(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 86400
	}
	if to <= from {
		to = 86400
	}
	return from, to
}
