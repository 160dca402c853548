package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// TestShuttlePlanDemo: the demo registry on the demo district's road
// network, Monday: every trip is planned or said why not, through the
// solve queue, and every plan passed routing/vrp/check (Solve refuses
// others; the test re-reads the timetables for colours and windows).
func TestShuttlePlanDemo(t *testing.T) {
	car, _ := demoNets(t)
	ctx := context.Background()
	st := memstore.New()
	d := demo.Default()
	if err := demo.Load(ctx, st, d); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ListCompounds(ctx, nil)
	fs, _ := st.ListFacilities(ctx, zones.FacilityFilter{})
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	riders, err := shuttles.DemoRiders(shuttles.DemoDistrict{Compounds: cs, Facilities: fs}, monday, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRiders(ctx, riders); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extra: []func(gin.IRouter, *api.Handlers){api.ShuttleRoutes(car)}}))
	t.Cleanup(srv.Close)

	code, out := do(t, srv, "POST", "/v1/shuttles/plan?time_limit=3s", `{"date":"2026-11-30","van_count":6}`)
	if code != 200 {
		t.Fatalf("plan: %d %v", code, out)
	}
	trips := int(out["trips"].(float64))
	planned := int(out["planned"].(float64))
	unplanned := out["unplanned"].([]any)
	if trips < 40 || planned+len(unplanned)+countUnreachable(out) != trips || planned < trips*8/10 || len(out["violations"].([]any)) != 0 {
		t.Fatalf("trips %d planned %d unplanned %d: %v", trips, planned, len(unplanned), out["skipped"])
	}
	for _, v := range out["vans"].([]any) {
		var colour any
		onboard := 0
		for _, s := range v.(map[string]any)["stops"].([]any) {
			s := s.(map[string]any)
			if s["action"] == "pick_up" {
				if onboard > 0 && s["colour"] != colour {
					t.Fatalf("colours mixed in van %v", v.(map[string]any)["van"])
				}
				colour = s["colour"]
				onboard++
			} else {
				onboard--
			}
			if s["pseudonym"] == "" || s["place"] == "" {
				t.Fatalf("stop without rider or place: %v", s)
			}
		}
	}
	t.Logf("%d trips, %d planned on %v vans, %d unplanned", trips, planned, out["vans_used"], len(unplanned))

	// A week later every demo health code is stale: the riders are skipped
	// with the reason, unless the dispatcher lifts the age limit.
	code, out = do(t, srv, "POST", "/v1/shuttles/plan?time_limit=1s", `{"date":"2026-12-14","van_count":6}`)
	if code != 200 || out["trips"].(float64) != 0 || len(out["skipped"].([]any)) < 20 ||
		out["skipped"].([]any)[0].(map[string]any)["refusal"].(map[string]any)["code"] != "code_expired" {
		t.Fatalf("stale codes: %d %v", code, out["skipped"])
	}
	if code, out := do(t, srv, "POST", "/v1/shuttles/plan?time_limit=1s", `{"date":"2026-12-14","van_count":6,"max_code_age_days":0}`); code != 200 || out["trips"].(float64) < 40 {
		t.Fatalf("no age limit: %d %v", code, out["trips"])
	}

	// A Sunday has no sessions: an empty plan, not an error.
	if code, out := do(t, srv, "POST", "/v1/shuttles/plan?time_limit=1s", `{"date":"2026-12-06"}`); code != 200 || out["trips"].(float64) != 0 {
		t.Fatalf("sunday: %d %v", code, out)
	}
}

func countUnreachable(out map[string]any) int {
	n := 0
	for _, s := range out["skipped"].([]any) {
		if s.(map[string]any)["refusal"].(map[string]any)["code"] == "unreachable" {
			n++
		}
	}
	return n
}

// TestZoneKeyPopulation: a zone's population answer counts the registry's
// riders by category whose compound lies at least half inside it (counted
// here independently from the geometry), and carries no personal data.
func TestZoneKeyPopulation(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	if err := demo.Load(ctx, st, demo.Default()); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ListCompounds(ctx, nil)
	fs, _ := st.ListFacilities(ctx, zones.FacilityFilter{})
	riders, err := shuttles.DemoRiders(shuttles.DemoDistrict{Compounds: cs, Facilities: fs}, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRiders(ctx, riders); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	zs, _ := st.ListZones(ctx, zones.ZoneFilter{})
	checked := 0
	for _, z := range zs {
		want := map[string]int{"total": 0}
		for _, c := range cs {
			if zones.OverlapFraction(c.Geometry, z.Geometry) < 0.5 {
				continue
			}
			for _, r := range riders {
				if r.CompoundID == c.ID {
					want[string(r.Category)]++
					want["total"]++
				}
			}
		}
		code, out := do(t, srv, "GET", "/v1/zones/"+strconv.FormatInt(z.ID, 10)+"/population", "")
		if code != 200 {
			t.Fatal(code, out)
		}
		got, _ := out["key_population"].(map[string]any)
		for k, n := range want {
			if int(got[k].(float64)) != n {
				t.Errorf("zone %d %s: %v, want %d (%v)", z.ID, k, got[k], n, got)
			}
		}
		if want["total"] > 0 {
			checked++
		}
		if b, _ := json.Marshal(out); strings.Contains(string(b), riders[0].Phone) {
			t.Fatalf("population answer carries personal data")
		}
	}
	if checked == 0 {
		t.Fatal("no demo zone holds a registered rider: the test proves nothing")
	}
}
