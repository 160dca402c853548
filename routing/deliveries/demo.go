package deliveries

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// DemoSeed is the default seed of DemoRequests.
const DemoSeed uint64 = 20261213

// DemoDay is the size of the seeds' day: 113 medicine pick-ups among the
// 1,193 hotline calls the street took in one day.
const DemoDay = 113

var (
	demoSurnames  = []string{"Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao"}
	demoMedicines = []struct {
		name string
		ml   int
	}{
		{"Amlodipine 5 mg", 150}, {"Metformin 500 mg", 250}, {"Insulin glargine pen", 400}, {"Nifedipine 30 mg", 150},
		{"Atorvastatin 20 mg", 150}, {"Aspirin 100 mg", 120}, {"Levothyroxine 50 µg", 100}, {"Salbutamol inhaler", 200},
		{"Losartan 50 mg", 150}, {"Clopidogrel 75 mg", 150}, {"Warfarin 3 mg", 120}, {"Tiotropium inhaler", 250},
		{"Gliclazide 80 mg", 150}, {"Carbamazepine 200 mg", 200}, {"Blood glucose test strips", 300}, {"Compound Danshen dripping pills", 200},
	}
	demoCallers = []string{"self", "self", "daughter", "son", "neighbour", "committee", "doctor"}
)

// DemoRequests generates n requests for date on the district's compounds
// (weighted by their residents aged 60 and over): synthetic names ("Wang
// Demo 017") and +86 100 phone numbers (no such mobile prefix), one to
// three medicines each, about 40 % with a prescription and 60 % with an
// insurance card to take along, 80 % routine, 15 % today, 5 % urgent; a
// building door between the gate and the compound's middle when it lies
// in the compound; and two repeated calls (the same resident and medicine,
// another key) that the intake flags as duplicates. The same district,
// date and seed give the same requests; each passes District.Check.
func DemoRequests(d *District, date string, n int, seed uint64) ([]Request, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0xde1))
	var comps []*zones.Compound
	var weights []float64
	total := 0.0
	ids := make([]int64, 0, len(d.Compounds))
	for id := range d.Compounds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := d.Compounds[id]
		if _, ok := d.SupplyPoints[id]; !ok || len(c.Gates) == 0 {
			continue
		}
		w := float64(max(c.Aged60Plus, 1))
		total += w
		comps = append(comps, c)
		weights = append(weights, total)
	}
	if len(comps) == 0 {
		return nil, fmt.Errorf("deliveries: demo: no compound with a gate and a supply point")
	}
	var out []Request
	for i := 1; i <= n; i++ {
		if i > 2 && i > n-2 && len(out) > 2 {
			// a repeated call: the same resident and medicine, another key
			r := out[rng.IntN(len(out)-1)].Clone()
			r.Key = fmt.Sprintf("demo-%s-%03d", date, i)
			r.Items = r.Items[:1]
			r.Caller = demoCallers[rng.IntN(len(demoCallers))]
			out = append(out, r)
			continue
		}
		x := rng.Float64() * total
		k, _ := slices.BinarySearch(weights, x)
		c := comps[min(k, len(comps)-1)]
		r := Request{
			Key: fmt.Sprintf("demo-%s-%03d", date, i), Date: date, CompoundID: c.ID,
			Building: fmt.Sprint(1 + rng.IntN(24)), Flat: fmt.Sprintf("%d-%d%02d", 1+rng.IntN(4), 1+rng.IntN(18), 1+rng.IntN(4)),
			Name:    fmt.Sprintf("%s Demo %03d", demoSurnames[rng.IntN(len(demoSurnames))], i),
			Phone:   fmt.Sprintf("+86 100 %04d %04d", rng.IntN(10000), rng.IntN(10000)),
			Urgency: UrgencyRoutine, Caller: demoCallers[rng.IntN(len(demoCallers))], Channel: ChannelHotline,
			Prescription: rng.Float64() < 0.4, InsuranceCard: rng.Float64() < 0.6,
		}
		switch u := rng.Float64(); {
		case u < 0.05:
			r.Urgency = UrgencyUrgent
		case u < 0.20:
			r.Urgency = UrgencyToday
		}
		for _, m := range rng.Perm(len(demoMedicines))[:1+rng.IntN(3)] {
			med := demoMedicines[m]
			r.Items = append(r.Items, Item{Name: med.name, Quantity: 1 + rng.IntN(3), VolumeML: med.ml})
		}
		gate := c.Gates[rng.IntN(len(c.Gates))]
		mid := c.Geometry.Bound().Center()
		t := 0.3 + 0.4*rng.Float64()
		p := orb.Point{round7(gate[0] + (mid[0]-gate[0])*t), round7(gate[1] + (mid[1]-gate[1])*t)}
		if zones.MultiPolygonCovers(c.Geometry, p) {
			r.BuildingPoint = &p
		}
		if err := d.Check(&r); err != nil {
			return nil, fmt.Errorf("deliveries: demo request %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }
