package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// riderDistrict loads the demo district into st and returns the ids of
// the designated hospital, the maternity hospital, the dialysis centre and
// the first compound.
func riderDistrict(t *testing.T, st *memstore.Store) (designated, maternity, dialysis, compound int64) {
	t.Helper()
	ctx := context.Background()
	if err := demo.Load(ctx, st, demo.Default()); err != nil {
		t.Fatal(err)
	}
	fs, err := st.ListFacilities(ctx, zones.FacilityFilter{Kind: zones.FacilityHospital})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		switch {
		case strings.Contains(f.Name, "designated"):
			designated = f.ID
		case strings.Contains(f.Name, "Maternal"):
			maternity = f.ID
		case strings.Contains(f.Name, "dialysis"):
			dialysis = f.ID
		}
	}
	cs, _ := st.ListCompounds(ctx, nil)
	if designated == 0 || maternity == 0 || dialysis == 0 || len(cs) == 0 {
		t.Fatalf("demo district lacks hospitals: %d %d %d, %d compounds", designated, maternity, dialysis, len(cs))
	}
	return designated, maternity, dialysis, cs[0].ID
}

const riderName, riderPhone = "Synthetic Patient Qiu", "+86 100 5555 0123"

func riderJSON(pseudonym string, compound, facility int64, edit ...func(string) string) string {
	s := fmt.Sprintf(`{"pseudonym":%q,"name":%q,"phone":%q,"compound_id":%d,
		"boarding":{"point":[104.0712345,30.6512345],"label":"building 7 door","kind":"building"},
		"category":"dialysis","health_code":{"colour":"green","set_on":"2026-11-22"},
		"mobility":{"wheelchair":true,"companions":1},"facility_id":%d,
		"sessions":[{"weekdays":["mon","wed","fri"],"start":"07:30","duration_min":240}]}`, pseudonym, riderName, riderPhone, compound, facility)
	for _, e := range edit {
		s = e(s)
	}
	return s
}

// riderCSV is a one-row import with a valid session at 07:30.
const riderCSV = "pseudonym,name,phone,compound_id,lon,lat,boarding_label,boarding_kind,category,colour,code_set_on,facility_id,weekdays,start,duration_min\n" +
	"D-301,Synthetic Person,+86 100 0000 0301,1,104.07,30.65,gate 1,gate,dialysis,green,2026-11-22,3,mon wed fri,07:30,240\n"

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// TestRidersCRUD: create, read, list with filters, update, archive,
// checks against the district (422 with the path), destination on a date.
func TestRidersCRUD(t *testing.T) {
	srv, st := newServer(t)
	designated, maternity, dialysis, compound := riderDistrict(t, st)

	code, r := do(t, srv, "POST", "/v1/riders", riderJSON("D-017", compound, dialysis))
	if code != 201 || r["name"] != riderName || r["masked"] != nil {
		t.Fatalf("create: %d %v", code, r)
	}
	id := int64(r["id"].(float64))
	if code, g := do(t, srv, "GET", fmt.Sprintf("/v1/riders/%d", id), ""); code != 200 || g["phone"] != riderPhone {
		t.Fatalf("get: %d %v", code, g)
	}
	bad := []struct {
		name, body string
		status     int
		path       string
	}{
		{"session at 25:00", riderJSON("D-018", compound, dialysis, replace("07:30", "25:00")), 422, "sessions[0].start"},
		{"unknown category", riderJSON("D-018", compound, dialysis, replace(`"dialysis"`, `"surgery"`)), 422, "category"},
		{"unknown compound", riderJSON("D-018", 99999, dialysis), 422, "compound_id"},
		{"dialysis at maternity", riderJSON("D-018", compound, maternity), 422, "facility_id"},
		{"a pharmacy", riderJSON("D-018", compound, dialysis+3), 422, "facility_id"},
		{"duplicate pseudonym", riderJSON("D-017", compound, dialysis), 409, ""},
		{"unknown field", riderJSON("D-018", compound, dialysis, replace(`"name"`, `"nickname":"x","name"`)), 400, "nickname"},
		{"bad number", riderJSON("D-018", compound, dialysis, replace(`"duration_min":240`, `"duration_min":"long"`)), 400, "sessions.duration_min"},
	}
	for _, b := range bad {
		code, e := do(t, srv, "POST", "/v1/riders", b.body)
		d, _ := e["details"].(map[string]any)
		if code != b.status || d == nil || (b.path != "" && d["path"] != b.path) {
			t.Errorf("%s: %d %v, want %d at %q", b.name, code, e, b.status, b.path)
		}
	}
	if code, l := do(t, srv, "GET", "/v1/riders", ""); code != 200 || l["count"].(float64) != 1 {
		t.Fatalf("bad input was written: %v", l)
	}

	// A prenatal rider followed by the maternity hospital, red-coded later.
	prenatal := riderJSON("P-001", compound, maternity, replace(`"dialysis"`, `"prenatal"`),
		replace(`,
		"sessions":[{"weekdays":["mon","wed","fri"],"start":"07:30","duration_min":240}]`, `,"due_date":"2027-01-05"`))
	code, p := do(t, srv, "POST", "/v1/riders", prenatal)
	if code != 201 {
		t.Fatalf("prenatal: %d %v", code, p)
	}
	pid := int64(p["id"].(float64))
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 2}, {"?category=prenatal", 1}, {"?category=dialysis&compound_id=" + fmt.Sprint(compound), 1},
		{"?facility_id=" + fmt.Sprint(maternity), 1}, {"?q=qiu", 2}, {"?q=D-01", 1}, {"?q=nobody", 0}, {"?limit=1&offset=1", 1}} {
		code, l := do(t, srv, "GET", "/v1/riders"+tc.query, "")
		if code != 200 || int(l["count"].(float64)) != tc.want {
			t.Errorf("list %s: %d %v, want %d", tc.query, code, l["count"], tc.want)
		}
	}
	for _, q := range []string{"?category=surgery", "?compound_id=x", "?archived=maybe", "?limit=-1"} {
		if code, e := do(t, srv, "GET", "/v1/riders"+q, ""); code != 400 {
			t.Errorf("list %s: %d %v", q, code, e)
		}
	}

	// Destination: green prenatal -> own maternity hospital; red -> designated.
	dest := func(id int64, q string) map[string]any {
		t.Helper()
		code, out := do(t, srv, "GET", fmt.Sprintf("/v1/riders/%d/destination%s", id, q), "")
		if code != 200 {
			t.Fatalf("destination: %d %v", code, out)
		}
		return out
	}
	if d := dest(pid, "?date=2026-11-25"); d["ok"] != true || int64(d["facility_id"].(float64)) != maternity {
		t.Fatalf("green prenatal: %v", d)
	}
	if d := dest(id, "?date=2026-11-25&facility_id="+fmt.Sprint(designated)); d["ok"] != false || d["refusal"].(map[string]any)["code"] != "colour_refused" {
		t.Fatalf("green dialysis at designated: %v", d)
	}
	if d := dest(id, "?date=2026-12-25"); d["ok"] != false || d["refusal"].(map[string]any)["code"] != "code_expired" {
		t.Fatalf("stale code: %v", d)
	}
	if code, e := do(t, srv, "GET", fmt.Sprintf("/v1/riders/%d/destination?date=tomorrow", id), ""); code != 400 || e["details"].(map[string]any)["path"] != "query.date" {
		t.Fatalf("bad date: %d %v", code, e)
	}
	red := strings.Replace(prenatal, `"green"`, `"red"`, 1)
	if code, u := do(t, srv, "PUT", fmt.Sprintf("/v1/riders/%d", pid), red); code != 200 || u["health_code"].(map[string]any)["colour"] != "red" {
		t.Fatalf("update: %d %v", code, u)
	}
	if d := dest(pid, "?date=2026-11-25"); d["ok"] != true || int64(d["facility_id"].(float64)) != designated {
		t.Fatalf("red prenatal: %v", d)
	}
	if code, _ := do(t, srv, "PUT", "/v1/riders/99999", red); code != 404 {
		t.Fatalf("update unknown: %d", code)
	}

	// Archive: gone from the list, still readable, listed with archived=true.
	if code, a := do(t, srv, "DELETE", fmt.Sprintf("/v1/riders/%d", id), ""); code != 200 || a["archived"] != true {
		t.Fatalf("archive: %d %v", code, a)
	}
	if _, l := do(t, srv, "GET", "/v1/riders", ""); l["count"].(float64) != 1 {
		t.Fatalf("archived rider still listed: %v", l)
	}
	if _, l := do(t, srv, "GET", "/v1/riders?archived=true", ""); l["count"].(float64) != 2 {
		t.Fatalf("archived=true: %v", l)
	}
	if code, _ := do(t, srv, "DELETE", "/v1/riders/99999", ""); code != 404 {
		t.Fatalf("archive unknown: %d", code)
	}
}

func csvImport(t *testing.T, srv string, body string) (int, map[string]any) {
	t.Helper()
	resp, m := request(t, "POST", srv+"/v1/riders/import", body)
	return resp.StatusCode, m
}

// TestRidersImport: a good spreadsheet is imported in one go; a spreadsheet
// with bad rows is refused with one error per bad row (row and column) and
// writes nothing.
func TestRidersImport(t *testing.T) {
	srv, st := newServer(t)
	_, maternity, dialysis, compound := riderDistrict(t, st)
	head := "pseudonym,name,phone,compound_id,lon,lat,boarding_label,boarding_kind,category,colour,code_set_on,facility_id,wheelchair,companions,weekdays,start,duration_min,due_date\n"
	row := func(p string, facility int64, cat, sched string) string {
		return fmt.Sprintf("%s,Synthetic Person %s,+86 100 0000 0000,%d,104.07,30.65,gate 1,gate,%s,green,2026-11-22,%d,no,0,%s,\n", p, p, compound, cat, facility, sched)
	}
	good := head + row("D-101", dialysis, "dialysis", "tue thu sat,13:00,240") + row("P-102", maternity, "prenatal", ",,")
	code, out := csvImport(t, srv.URL, good)
	if code != 201 || out["imported"].(float64) != 2 {
		t.Fatalf("import: %d %v", code, out)
	}
	if first := out["riders"].([]any)[0].(map[string]any); first["row"].(float64) != 2 || first["pseudonym"] != "D-101" {
		t.Fatalf("import answer: %v", out)
	}
	// Row 2 fine, row 3 a session at 25:00, row 4 an unknown compound,
	// row 5 dialysis at the maternity hospital, row 6 already registered.
	badCSV := head + row("D-201", dialysis, "dialysis", "mon,07:00,240") +
		row("D-202", dialysis, "dialysis", "mon,25:00,240") +
		strings.Replace(row("D-203", dialysis, "dialysis", "mon,07:00,240"), fmt.Sprintf(",%d,104.07", compound), ",99999,104.07", 1) +
		row("D-204", maternity, "dialysis", "mon,07:00,240") +
		row("D-101", dialysis, "dialysis", "mon,07:00,240")
	code, e := csvImport(t, srv.URL, badCSV)
	if code != 422 || e["code"] != "validation_failed" {
		t.Fatalf("bad import: %d %v", code, e)
	}
	d := e["details"].(map[string]any)
	var got []string
	for _, x := range d["errors"].([]any) {
		m := x.(map[string]any)
		got = append(got, fmt.Sprintf("%v:%v", m["row"], m["column"]))
	}
	if strings.Join(got, " ") != "3:start 4:compound_id 5:facility_id 6:pseudonym" || d["path"] != "rows[3].start" {
		t.Fatalf("row errors %v (%v)", got, d)
	}
	if _, l := do(t, srv, "GET", "/v1/riders", ""); l["count"].(float64) != 2 {
		t.Fatalf("a refused import wrote riders: %v", l["count"])
	}
	for _, body := range []string{"pseudonym,shoe\n", "not,a\ncsv\"file"} {
		if code, e := csvImport(t, srv.URL, body); code != 422 || e["details"].(map[string]any)["path"] == nil {
			t.Errorf("%q: %d %v", body, code, e)
		}
	}
	if code, _ := csvImport(t, srv.URL, ""); code != 400 {
		t.Errorf("empty body: %d", code)
	}
}

// TestRidersByRole: dispatchers see personal data; planners and viewers a
// masked list (no search), no single rider; drivers nothing. Names and
// phones never reach the log or the audit trail.
func TestRidersByRole(t *testing.T) {
	e := newAuthEnv(t, auth.Config{ExpensivePerMin: -1, ExpensiveIPPerMin: -1, GuessPerMin: -1})
	ctx := context.Background()
	cp, err := e.st.CreateCompound(ctx, zones.Compound{Name: "c", Population: 10, Gates: []orb.Point{{104.07, 30.65}},
		Geometry: orb.MultiPolygon{{{{104.06, 30.64}, {104.08, 30.64}, {104.08, 30.66}, {104.06, 30.66}, {104.06, 30.64}}}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.st.CreateFacility(ctx, zones.Facility{Kind: zones.FacilityHospital, Name: "Renal Centre", Point: orb.Point{104.07, 30.66},
		Accepts: []zones.HealthCode{zones.CodeGreen}})
	if err != nil {
		t.Fatal(err)
	}
	code, r := e.as(t, accounts.RoleDispatcher, "POST", "/v1/riders", riderJSON("D-017", cp.ID, f.ID))
	if code != 201 {
		t.Fatalf("dispatcher create: %d %v", code, r)
	}
	path := fmt.Sprintf("/v1/riders/%d", int64(r["id"].(float64)))
	for _, role := range []accounts.Role{accounts.RolePlanner, accounts.RoleViewer} {
		code, l := e.as(t, role, "GET", "/v1/riders", "")
		if code != 200 || l["masked"] != true {
			t.Fatalf("%s list: %d %v", role, code, l)
		}
		got := l["riders"].([]any)[0].(map[string]any)
		b := got["boarding"].(map[string]any)
		pt := b["point"].([]any)
		if got["name"] != "S*** P*** Q***" || got["phone"] != "***********23" || b["label"] != "(hidden)" ||
			pt[0].(float64) != 104.071 || pt[1].(float64) != 30.651 || got["pseudonym"] != "D-017" {
			t.Fatalf("%s sees %v", role, got)
		}
		if code, _ := e.as(t, role, "GET", "/v1/riders?q=Qiu", ""); code != 403 {
			t.Errorf("%s may search personal data: %d", role, code)
		}
		if code, _ := e.as(t, role, "GET", path, ""); code != 403 {
			t.Errorf("%s reads one rider: %d", role, code)
		}
	}
	if code, _ := e.as(t, accounts.RoleDriver, "GET", "/v1/riders", ""); code != 403 {
		t.Errorf("driver lists riders: %d", code)
	}
	if code, g := e.as(t, accounts.RoleDispatcher, "GET", path, ""); code != 200 || g["name"] != riderName {
		t.Errorf("dispatcher get: %d %v", code, g)
	}
	if code, _ := e.as(t, accounts.RolePlanner, "POST", "/v1/riders", riderJSON("D-018", cp.ID, f.ID)); code != 403 {
		t.Errorf("planner creates: %d", code)
	}
	if code, _ := e.as(t, accounts.RoleDispatcher, "PUT", path, riderJSON("D-017", cp.ID, f.ID, replace("07:30", "08:00"))); code != 200 {
		t.Errorf("dispatcher update: %d", code)
	}
	if code, _ := e.as(t, accounts.RoleDispatcher, "DELETE", path, ""); code != 200 {
		t.Errorf("dispatcher archive: %d", code)
	}
	es, err := e.st.ListAudit(ctx, accounts.AuditFilter{Entity: "rider"})
	if err != nil || len(es) != 3 {
		t.Fatalf("audit: %d entries, %v", len(es), err)
	}
	for _, x := range es {
		all := x.Summary + x.Before + x.After
		if strings.Contains(all, "Qiu") || strings.Contains(all, "5555") || strings.Contains(all, "building 7") {
			t.Errorf("audit entry holds personal data: %+v", x)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "Qiu") || strings.Contains(logs, "5555") {
		t.Errorf("the log holds personal data")
	}
	_ = http.StatusOK
	_ = shuttles.CategoryDialysis
}
