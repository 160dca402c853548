package deliveries_test

import (
	"reflect"
	"testing"

	"lifeline/data/chengdu"
	"lifeline/data/demo"
	"lifeline/routing/deliveries"
)

// TestDemoRequests: the seeds' day on both demo districts: 113 requests on
// real compounds, each passing the district's checks, deterministic, with
// the two repeated calls flagged as duplicates of earlier requests.
func TestDemoRequests(t *testing.T) {
	cd, err := chengdu.Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, dd := range map[string]*demo.District{"synthetic": demo.Default(), "chengdu": cd} {
		t.Run(name, func(t *testing.T) {
			d := deliveries.NewDistrict(dd.Compounds, dd.Facilities)
			rs, err := deliveries.DemoRequests(d, "2026-12-02", deliveries.DemoDay, deliveries.DemoSeed)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := deliveries.DemoRequests(d, "2026-12-02", deliveries.DemoDay, deliveries.DemoSeed)
			if len(rs) != deliveries.DemoDay || !reflect.DeepEqual(rs, again) {
				t.Fatalf("%d requests, deterministic %v", len(rs), reflect.DeepEqual(rs, again))
			}
			keys := map[string]bool{}
			dups, urgent, doors := 0, 0, 0
			for i := range rs {
				r := &rs[i]
				r.ID = int64(i + 1)
				if err := r.Validate(); err != nil {
					t.Fatal(err)
				}
				if err := d.Check(r); err != nil {
					t.Fatal(err)
				}
				if keys[r.Key] {
					t.Fatalf("key %s twice", r.Key)
				}
				keys[r.Key] = true
				if r.DuplicateOfIn(rs[:i]) != 0 {
					dups++
				}
				if r.Urgency == deliveries.UrgencyUrgent {
					urgent++
				}
				if r.BuildingPoint != nil {
					doors++
				}
			}
			if dups != 2 || urgent == 0 || doors < deliveries.DemoDay/2 {
				t.Fatalf("%d duplicates (want 2), %d urgent, %d doors", dups, urgent, doors)
			}
		})
	}
}
