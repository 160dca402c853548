package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"lifeline/accounts"
	"lifeline/api"
	"lifeline/api/auth"
	"lifeline/data/demo"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// TestShuttleTimetableMasked: a dispatcher plans a demo day (drivers'
// phones in the fleet) and cancels a trip; planners and viewers then read
// every output of that day (JSON of the latest version and of version 1,
// CSV, iCalendar, the printable pages) and find no rider's name or phone,
// no driver's phone and no rider's home boarding place in any of them; the
// home stops' points are rounded to about 100 m; the dispatcher sees them
// in full. Drivers may not read the day at all.
func TestShuttleTimetableMasked(t *testing.T) {
	car, _ := demoNets(t)
	e := newAuthEnv(t, auth.Config{ExpensivePerMin: -1, ExpensiveIPPerMin: -1, GuessPerMin: -1}, api.ShuttleRoutes(car))
	ctx := context.Background()
	d := demo.Default()
	if err := demo.Load(ctx, e.st, d); err != nil {
		t.Fatal(err)
	}
	cs, _ := e.st.ListCompounds(ctx, nil)
	fs, _ := e.st.ListFacilities(ctx, zones.FacilityFilter{})
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // testNow's day, a Monday
	riders, err := shuttles.DemoRiders(shuttles.DemoDistrict{Compounds: cs, Facilities: fs}, day, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ImportRiders(ctx, riders); err != nil {
		t.Fatal(err)
	}
	var depot []float64
	for _, f := range fs {
		if depot == nil && (f.Kind == zones.FacilityDepot || f.Kind == zones.FacilityHospital) {
			depot = []float64{f.Point[0], f.Point[1]}
		}
	}
	var vans []string
	phones := []string{}
	for i := 1; i <= 6; i++ {
		ph := fmt.Sprintf("+86 100 5550 %04d", 1000+i)
		phones = append(phones, ph)
		vans = append(vans, fmt.Sprintf(`{"id":%d,"start":[%g,%g],"seats":6,"wheelchair_places":1,"driver_phone":%q}`, i, depot[0], depot[1], ph))
	}
	code, out := e.as(t, accounts.RoleDispatcher, "POST", "/v1/shuttles/plan?time_limit=1s",
		`{"date":"2026-11-23","vans":[`+strings.Join(vans, ",")+`]}`)
	if code != 200 || out["planned"].(float64) < 20 {
		t.Fatalf("plan: %d %v", code, out["message"])
	}
	// cancel the first pick-up after noon: the answer lists the rider's place
	var trip float64
	for _, v := range out["vans"].([]any) {
		for _, s := range v.(map[string]any)["stops"].([]any) {
			s := s.(map[string]any)
			if trip == 0 && s["action"] == "pick_up" && s["start"].(float64) > 12*3600 {
				trip = s["trip_id"].(float64)
			}
		}
	}
	code, ch := e.as(t, accounts.RoleDispatcher, "POST", "/v1/shuttles/timetables/2026-11-23/changes?time_limit=1s",
		fmt.Sprintf(`{"at":"11:00","changes":[{"kind":"cancel_trip","trip_id":%d}]}`, int(trip)))
	if code != 200 || len(ch["changes"].(map[string]any)["riders"].([]any)) == 0 {
		t.Fatalf("changes: %d %v", code, ch["message"])
	}

	// What must stay hidden: names and phones of the registry, the drivers'
	// phones and the riders' home places (as the dispatcher sees them).
	secrets := map[string]bool{}
	for _, r := range riders {
		secrets[r.Name], secrets[r.Phone] = true, true
	}
	for _, p := range phones {
		secrets[p] = true
	}
	_, full := e.as(t, accounts.RoleDispatcher, "GET", "/v1/shuttles/timetables/2026-11-23", "")
	homes := 0
	for _, v := range full["vans"].([]any) {
		if v.(map[string]any)["driver_phone"] == "" {
			t.Fatalf("dispatcher: van without its driver's phone: %v", v)
		}
		for _, s := range v.(map[string]any)["stops"].([]any) {
			s := s.(map[string]any)
			if isHomeStop(s) {
				secrets[s["place"].(string)] = true
				homes++
			}
		}
	}
	if homes < 20 || full["masked"] != nil {
		t.Fatalf("dispatcher: %d home stops, masked %v", homes, full["masked"])
	}
	// the dispatcher's own printable page shows a driver's phone (the oracle
	// that the secrets would be found if they were there)
	if raw := rawAs(t, e, accounts.RoleDispatcher, "/v1/shuttles/timetables/2026-11-23?format=html"); !holds(raw, phones[0]) && !holds(raw, phones[1]) {
		t.Fatalf("dispatcher's page shows no driver's phone")
	}

	for _, role := range []accounts.Role{accounts.RoleViewer, accounts.RolePlanner} {
		code, v := e.as(t, role, "GET", "/v1/shuttles/timetables/2026-11-23", "")
		if code != 200 || v["masked"] != true || v["version"].(float64) != 2 {
			t.Fatalf("%s: %d masked %v version %v", role, code, v["masked"], v["version"])
		}
		n := 0
		for _, van := range v["vans"].([]any) {
			for _, s := range van.(map[string]any)["stops"].([]any) {
				s := s.(map[string]any)
				if !isHomeStop(s) {
					continue
				}
				n++
				pt := s["point"].([]any)
				for _, c := range pt {
					if x := c.(float64) * 1000; math.Abs(x-math.Round(x)) > 1e-6 {
						t.Fatalf("%s: home stop point %v is not rounded", role, pt)
					}
				}
				if s["place"] != accounts.MaskAddress("x") {
					t.Fatalf("%s: home stop place %q", role, s["place"])
				}
			}
		}
		if n != homes {
			t.Fatalf("%s: %d home stops, the dispatcher %d", role, n, homes)
		}
		for _, r := range v["changes"].(map[string]any)["riders"].([]any) {
			if p := r.(map[string]any)["place"]; p != accounts.MaskAddress("x") {
				t.Fatalf("%s: change notice place %q", role, p)
			}
		}
		vanID := int(v["vans"].([]any)[0].(map[string]any)["van"].(float64))
		riderID := int(v["vans"].([]any)[0].(map[string]any)["stops"].([]any)[0].(map[string]any)["rider_id"].(float64))
		for _, path := range []string{
			"/v1/shuttles/timetables/2026-11-23",
			"/v1/shuttles/timetables/2026-11-23/versions/1",
			"/v1/shuttles/timetables/2026-11-23?format=csv",
			"/v1/shuttles/timetables/2026-11-23?format=html",
			fmt.Sprintf("/v1/shuttles/timetables/2026-11-23?format=html&van=%d", vanID),
			fmt.Sprintf("/v1/shuttles/timetables/2026-11-23?format=html&rider=%d", riderID),
			fmt.Sprintf("/v1/shuttles/timetables/2026-11-23?format=ics&van=%d", vanID),
			"/v1/riders",
		} {
			raw := rawAs(t, e, role, path)
			for s := range secrets {
				if s != "" && holds(raw, s) {
					t.Fatalf("%s reads %q in %s", role, s, path)
				}
			}
		}
	}
	if code, _ := e.as(t, accounts.RoleDriver, "GET", "/v1/shuttles/timetables/2026-11-23", ""); code != 403 {
		t.Fatalf("driver reads the day: %d", code)
	}
}

// isHomeStop: a rider boards at home on the way in and gets off there on
// the way back.
func isHomeStop(s map[string]any) bool {
	return (s["direction"] == "inbound" && s["action"] == "pick_up") || (s["direction"] == "outbound" && s["action"] == "drop_off")
}

// holds reports whether raw holds s as is, as HTML text (html/template
// also escapes "+") or inside a JSON string.
func holds(raw, s string) bool {
	b, _ := json.Marshal(s)
	h := html.EscapeString(s)
	for _, v := range []string{s, h, strings.ReplaceAll(h, "+", "&#43;"), string(b[1 : len(b)-1])} {
		if strings.Contains(raw, v) {
			return true
		}
	}
	return false
}

func rawAs(t *testing.T, e *authEnv, role accounts.Role, path string) string {
	t.Helper()
	resp, err := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
		return http.DefaultClient.Do(req)
	}()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", role, path, resp.StatusCode, b)
	}
	return string(b)
}
