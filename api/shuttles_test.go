package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
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

	// 2 prenatal check-ups of the day
	appts := 0
	for _, r := range riders {
		if r.Category == shuttles.CategoryPrenatal && appts < 2 {
			rs, _ := st.ListRiders(ctx, shuttles.RiderFilter{Search: r.Pseudonym})
			code, a := do(t, srv, "POST", "/v1/shuttles/appointments", fmt.Sprintf(`{"rider_id":%d,"date":"2026-11-30","kind":"prenatal","start":"%02d:00","duration_min":45}`, rs[0].ID, 9+appts))
			if code != 201 || a["id"] == nil {
				t.Fatalf("appointment: %d %v", code, a)
			}
			appts++
		}
	}
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
	if out["version"].(float64) != 1 || len(out["check"].(map[string]any)["problems"].([]any)) != 0 {
		t.Fatalf("version %v, check %v", out["version"], out["check"])
	}
	kinds := map[string]int{}
	for _, tr := range out["trip_list"].([]any) {
		kinds[tr.(map[string]any)["kind"].(string)]++
	}
	if kinds["prenatal"] != 4 {
		t.Fatalf("trip kinds: %v", kinds)
	}
	// every van's day is a driver's route list
	for _, v := range out["vans"].([]any) {
		code := v.(map[string]any)["route_list"].(string)
		if c, l := do(t, srv, "GET", "/v1/route-lists/"+code, ""); c != 200 || len(l["stops"].([]any)) != len(v.(map[string]any)["stops"].([]any))+2 {
			t.Fatalf("route list %s: %d %v", code, c, l)
		}
	}
	// asked again it answers the same
	code, again := do(t, srv, "GET", "/v1/shuttles/timetables/2026-11-30", "")
	if code != 200 || !reflect.DeepEqual(again, out) {
		t.Fatalf("GET latest differs from the published answer: %d", code)
	}
	if _, v1 := do(t, srv, "GET", "/v1/shuttles/timetables/2026-11-30/versions/1", ""); !reflect.DeepEqual(v1, out) {
		t.Fatal("GET versions/1 differs")
	}
	testShuttleOutputs(t, srv, out)
	testShuttleChanges(t, srv, out)

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

func getText(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// parseICS is a strict RFC 5545 reader for the subset we write: CRLF
// line ends, folded lines of at most 75 octets continued by one space,
// BEGIN/END nesting, NAME:VALUE lines, TEXT escapes only \\, \;, \, and \n.
// It returns the unfolded, unescaped properties of each VEVENT.
func parseICS(t *testing.T, s string) []map[string]string {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatal("ics: does not end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("ics line %d: a bare CR or LF", i+1)
		}
		if len(l) > 75 {
			t.Fatalf("ics line %d: %d octets, over 75", i+1, len(l))
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				t.Fatal("ics: starts with a continuation")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	unescape := func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] != '\\' {
				if v[i] == ';' || v[i] == ',' {
					t.Fatalf("ics: unescaped %q in %q", v[i], v)
				}
				b.WriteByte(v[i])
				continue
			}
			i++
			if i == len(v) {
				t.Fatalf("ics: dangling backslash in %q", v)
			}
			switch v[i] {
			case '\\', ';', ',':
				b.WriteByte(v[i])
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				t.Fatalf("ics: bad escape \\%c in %q", v[i], v)
			}
		}
		return b.String()
	}
	var stack []string
	var events []map[string]string
	var cur map[string]string
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			t.Fatalf("ics: no name:value in %q", l)
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			if value == "VEVENT" {
				cur = map[string]string{}
			}
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("ics: END:%s does not close %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			if value == "VEVENT" {
				for _, req := range []string{"UID", "DTSTAMP", "DTSTART"} {
					if cur[req] == "" {
						t.Fatalf("ics: VEVENT without %s", req)
					}
				}
				events = append(events, cur)
			}
		case "SUMMARY", "LOCATION", "DESCRIPTION", "X-WR-CALNAME":
			if cur != nil && len(stack) > 0 && stack[len(stack)-1] == "VEVENT" {
				cur[name] = unescape(value)
			}
		default:
			if cur != nil && len(stack) > 0 && stack[len(stack)-1] == "VEVENT" {
				cur[name] = value
			}
		}
	}
	if len(stack) != 0 || !strings.HasPrefix(s, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") {
		t.Fatalf("ics: unclosed %v or bad header", stack)
	}
	return events
}

func testShuttleOutputs(t *testing.T, srv *httptest.Server, out map[string]any) {
	van := out["vans"].([]any)[0].(map[string]any)
	stops := van["stops"].([]any)
	resp, ics := getText(t, srv, fmt.Sprintf("/v1/shuttles/timetables/2026-11-30?format=ics&van=%v", van["van"]))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("ics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	evs := parseICS(t, ics)
	if len(evs) != len(stops) {
		t.Fatalf("ics: %d events for %d stops", len(evs), len(stops))
	}
	first := stops[0].(map[string]any)
	// 07:05 in Chengdu is 23:05 UTC the day before
	h, m := 0, 0
	fmt.Sscanf(first["time"].(string), "%d:%d", &h, &m)
	wantStart := fmt.Sprintf("202611%02dT%02d%02d", 30-boolInt(h < 8), (h+16)%24, m)
	if !strings.HasPrefix(evs[0]["DTSTART"], wantStart) || !strings.Contains(evs[0]["SUMMARY"], first["pseudonym"].(string)) ||
		evs[0]["LOCATION"] != first["place"].(string) {
		t.Fatalf("ics event %v for stop %v (want start %s)", evs[0], first, wantStart)
	}
	resp, body := getText(t, srv, "/v1/shuttles/timetables/2026-11-30?format=csv")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "date,version,van,seq,time,") || strings.Count(body, "\n") != 1+countStops(out) {
		t.Fatalf("csv: %d %d lines", resp.StatusCode, strings.Count(body, "\n"))
	}
	resp, body = getText(t, srv, fmt.Sprintf("/v1/shuttles/timetables/2026-11-30?format=html&rider=%v", first["rider_id"]))
	if resp.StatusCode != 200 || !strings.Contains(body, "Be at <b>") || !strings.Contains(body, first["time"].(string)) || !strings.Contains(body, "Van <b>") {
		t.Fatalf("notice: %d %s", resp.StatusCode, body)
	}
	resp, body = getText(t, srv, fmt.Sprintf("/v1/shuttles/timetables/2026-11-30?format=html&van=%v", van["van"]))
	if resp.StatusCode != 200 || strings.Count(body, "<tr><td>") != len(stops) {
		t.Fatalf("van page: %d", resp.StatusCode)
	}
	tr := out["trip_list"].([]any)[0].(map[string]any)
	resp, body = getText(t, srv, fmt.Sprintf("/v1/shuttles/timetables/2026-11-30?format=html&facility=%v", tr["facility_id"]))
	if resp.StatusCode != 200 || !strings.Contains(body, "Arrivals") {
		t.Fatalf("facility page: %d", resp.StatusCode)
	}
	if resp, _ := getText(t, srv, "/v1/shuttles/timetables/2026-11-30?format=html&rider=999999"); resp.StatusCode != 404 {
		t.Fatalf("unknown rider: %d", resp.StatusCode)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func countStops(out map[string]any) int {
	n := 0
	for _, v := range out["vans"].([]any) {
		n += len(v.(map[string]any)["stops"].([]any))
	}
	return n
}

func testShuttleChanges(t *testing.T, srv *httptest.Server, out map[string]any) {
	// cancel a trip picked up after 10:00 and take the busiest van out at 10:00
	var trip float64
	var rider float64
	for _, v := range out["vans"].([]any) {
		for _, s := range v.(map[string]any)["stops"].([]any) {
			s := s.(map[string]any)
			if s["action"] == "pick_up" && s["start"].(float64) > 11*3600 && trip == 0 {
				trip, rider = s["trip_id"].(float64), s["rider_id"].(float64)
			}
		}
	}
	van := out["vans"].([]any)[0].(map[string]any)["van"]
	body := fmt.Sprintf(`{"at":"10:00","changes":[{"kind":"cancel_trip","trip_id":%v},{"kind":"van_out","van":%v}]}`, trip, van)
	code, v2 := do(t, srv, "POST", "/v1/shuttles/timetables/2026-11-30/changes?time_limit=2s", body)
	if code != 200 || v2["version"].(float64) != 2 || v2["base_version"].(float64) != 1 || len(v2["check"].(map[string]any)["problems"].([]any)) != 0 {
		t.Fatalf("changes: %d %v", code, v2["check"])
	}
	ch := v2["changes"].(map[string]any)
	told := false
	for _, r := range ch["riders"].([]any) {
		r := r.(map[string]any)
		told = told || r["trip_id"].(float64) == trip && r["what"] == "cancelled"
	}
	if !told || len(ch["drivers"].([]any)) == 0 {
		t.Fatalf("notices: %v", ch)
	}
	for _, d := range ch["drivers"].([]any) {
		if d.(map[string]any)["route_list"] == "" {
			t.Fatalf("driver without a new list: %v", d)
		}
	}
	_ = rider
	// an unknown trip is a 422 that names it
	if code, e := do(t, srv, "POST", "/v1/shuttles/timetables/2026-11-30/changes?time_limit=1s", `{"at":"10:00","changes":[{"kind":"cancel_trip","trip_id":999999}]}`); code != 422 {
		t.Fatalf("unknown trip: %d %v", code, e)
	}
	// an urgent call for a labour rider at 11:07
	var labour float64
	for _, tr := range out["trip_list"].([]any) {
		_ = tr
	}
	code, list := do(t, srv, "GET", "/v1/riders?category=labour&limit=1", "")
	if code != 200 {
		t.Fatalf("riders: %d", code)
	}
	labour = list["riders"].([]any)[0].(map[string]any)["id"].(float64)
	code, u := do(t, srv, "POST", "/v1/shuttles/urgent", fmt.Sprintf(`{"date":"2026-11-30","rider_id":%v,"at":"11:07"}`, labour))
	if code != 200 {
		t.Fatalf("urgent: %d %v", code, u)
	}
	ans := u["answer"].(map[string]any)
	if u["version"].(float64) != 3 || ans["pickup_s"].(float64) < 11*3600+7*60-0.5 || ans["pickup_s"].(float64) > 11*3600+27*60+0.5 || u["route_list"] == "" {
		t.Fatalf("urgent answer: %v", u)
	}
	t.Logf("urgent: van %v at %v, %v ms", ans["van"], ans["pickup_time"], ans["elapsed_ms"])
	_, vs := do(t, srv, "GET", "/v1/shuttles/timetables/2026-11-30/versions", "")
	if len(vs["versions"].([]any)) != 3 {
		t.Fatalf("versions: %v", vs)
	}
}
