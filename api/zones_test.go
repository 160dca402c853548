package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// getRaw returns the raw body of a GET.
func getRaw(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// The case: lift a zone, then PUT it with another kind. The lift
// must stay, look-ups before the update must keep their answer, and the
// zone must not come back into force.
func TestUpdateNeverRewritesThePast(t *testing.T) {
	srv, _ := newServer(t) // clock: 2026-11-23T12:00:00Z
	at := func(ts string) map[string]any {
		t.Helper()
		code, got := do(t, srv, "GET", "/v1/lookup?lon=104.005&lat=30.005&at="+ts, "")
		if code != 200 {
			t.Fatalf("lookup at %s: %d %v", ts, code, got)
		}
		return got
	}
	// Zone A: lifted on the 22nd (in the past), then PUT: 409, nothing changes.
	code, a := do(t, srv, "POST", "/v1/zones", feature("sealed", "A", square(104.0, 30.0, 0.01), day1, ""))
	if code != 201 {
		t.Fatalf("create: %d %v", code, a)
	}
	aID := int64(a["id"].(float64))
	if code, got := do(t, srv, "POST", fmt.Sprintf("/v1/zones/%d/lift", aID), `{"at":"2026-11-22T00:00:00Z"}`); code != 200 {
		t.Fatalf("lift: %d %v", code, got)
	}
	put := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":` + square(104.0, 30.0, 0.01) + `},"properties":{"kind":"controlled","name":"A eased"}}`
	code, got := do(t, srv, "PUT", fmt.Sprintf("/v1/zones/%d", aID), put)
	if code != 409 || got["code"] != "conflict" {
		t.Fatalf("PUT after the lift: %d %v, want 409", code, got)
	}
	if k := at("2026-11-21T12:00:00Z")["kind"]; k != "sealed" {
		t.Errorf("look-up on the 21st after the refused PUT: %v, want sealed", k)
	}
	if k := at("2026-11-28T00:00:00Z")["kind"]; k != "none" {
		t.Errorf("look-up on the 28th: %v, want none (lifted)", k)
	}

	// Zone B: lift scheduled for the 25th, PUT now (the 23rd) with another
	// kind: a new version from now to the 25th; before now it was sealed.
	code, b := do(t, srv, "POST", "/v1/zones", feature("sealed", "B", square(104.0, 30.0, 0.01), day1, ""))
	if code != 201 {
		t.Fatalf("create: %d %v", code, b)
	}
	bID := int64(b["id"].(float64))
	if code, got := do(t, srv, "POST", fmt.Sprintf("/v1/zones/%d/lift", bID), `{"at":"2026-11-25T00:00:00Z"}`); code != 200 {
		t.Fatalf("lift: %d %v", code, got)
	}
	// What a look-up says: the kind, and per match id, version, kind, name.
	answer := func(ts string) string {
		g := at(ts)
		out := fmt.Sprint(g["kind"])
		for _, m := range g["matches"].([]any) {
			m := m.(map[string]any)
			out += fmt.Sprintf(" %v/%v/%v/%v", m["id"], m["version"], m["kind"], m["name"])
		}
		return out
	}
	before := map[string]string{}
	for _, ts := range []string{"2026-11-20T06:00:00Z", "2026-11-21T12:00:00Z", "2026-11-23T11:59:59Z"} {
		before[ts] = answer(ts)
	}
	put = strings.Replace(put, `"A eased"`, `"B eased"`, 1)
	code, got = do(t, srv, "PUT", fmt.Sprintf("/v1/zones/%d", bID), put)
	if code != 200 || got["version"].(float64) != 2 || got["kind"] != "controlled" ||
		got["effective_from"] != "2026-11-23T12:00:00Z" || got["effective_until"] != "2026-11-25T00:00:00Z" {
		t.Fatalf("PUT: %d %v", code, got)
	}
	for ts, m := range before {
		if now := answer(ts); now != m {
			t.Errorf("look-up at %s changed: %v, was %v", ts, now, m)
		}
	}
	if g := at("2026-11-24T00:00:00Z"); g["kind"] != "controlled" {
		t.Errorf("look-up on the 24th: %v, want controlled (the new version)", g["kind"])
	}
	if g := at("2026-11-28T00:00:00Z"); g["kind"] != "none" {
		t.Errorf("look-up on the 28th: %v, want none (the lift stays)", g["kind"])
	}
	// An effective_from not after the current version's start is refused.
	code, got = do(t, srv, "PUT", fmt.Sprintf("/v1/zones/%d", bID), feature("prevention", "B", square(104.0, 30.0, 0.01), day1, ""))
	if code != 422 || got["details"].(map[string]any)["path"] != "properties.effective_from" {
		t.Errorf("PUT rewriting the past: %d %v, want 422 at properties.effective_from", code, got)
	}

	// History lists both versions.
	code, h := do(t, srv, "GET", fmt.Sprintf("/v1/zones/%d/history", bID), "")
	if code != 200 || h["count"].(float64) != 2 || h["zone_id"].(float64) != float64(bID) {
		t.Fatalf("history: %d %v", code, h)
	}
	vs := h["versions"].([]any)
	v1, v2 := vs[0].(map[string]any), vs[1].(map[string]any)
	if v1["version"].(float64) != 1 || v1["kind"] != "sealed" || v1["effective_until"] != "2026-11-23T12:00:00Z" || v1["geometry"] == nil {
		t.Errorf("history version 1: %v", v1)
	}
	if v2["version"].(float64) != 2 || v2["kind"] != "controlled" || v2["effective_from"] != "2026-11-23T12:00:00Z" {
		t.Errorf("history version 2: %v", v2)
	}
	if code, got := do(t, srv, "GET", "/v1/zones/999/history", ""); code != 404 {
		t.Errorf("history of an unknown zone: %d %v", code, got)
	}
	// Zones listed as of a past time show the version of then.
	code, got = do(t, srv, "GET", "/v1/zones?active_at=2026-11-21T00:00:00Z&kind=sealed&geometry=false", "")
	if code != 200 || got["count"].(float64) != 2 {
		t.Errorf("sealed zones on the 21st: %d %v, want 2", code, got)
	}
}

// An export imported again changes nothing; a changed feature becomes a
// new version; the answer counts created, updated and unchanged.
func TestImportOfExportIsIdempotent(t *testing.T) {
	srv, st := newServer(t)
	var feats []string
	for i := range 9 {
		f := feature([]string{"sealed", "controlled", "prevention"}[i%3], fmt.Sprintf("z%d", i), square(104.0+0.02*float64(i), 30.0, 0.01), day1, "")
		if i == 4 {
			f = strings.Replace(f, `"reason":"test"`, `"reason":"test","external_key":"city:4"`, 1)
		}
		feats = append(feats, f)
	}
	code, got := do(t, srv, "POST", "/v1/zones/import", `{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`)
	if code != 201 || got["created"].(float64) != 9 {
		t.Fatalf("first import: %d %v", code, got)
	}
	export := getRaw(t, srv.URL+"/v1/zones/export")
	for range 2 {
		code, got = do(t, srv, "POST", "/v1/zones/import", string(export))
		if code != 200 || got["created"].(float64) != 0 || got["updated"].(float64) != 0 || got["unchanged"].(float64) != 9 {
			t.Fatalf("re-import of the export: %d %v, want 9 unchanged", code, got)
		}
	}
	if n := zoneCount(t, st); n != 9 {
		t.Fatalf("after re-imports: %d zones, want 9", n)
	}
	// Change one feature (the keyed one) in the export: one update.
	var fc map[string]any
	if err := json.Unmarshal(export, &fc); err != nil {
		t.Fatal(err)
	}
	f4 := fc["features"].([]any)[4].(map[string]any)
	props := f4["properties"].(map[string]any)
	if props["external_key"] != "city:4" || props["version"].(float64) != 1 {
		t.Fatalf("exported feature 4 lacks its key or version: %v", props)
	}
	props["kind"] = "prevention"
	delete(f4, "id")
	delete(props, "id") // matched by key alone
	changed, _ := json.Marshal(fc)
	code, got = do(t, srv, "POST", "/v1/zones/import", string(changed))
	if code != 200 || got["updated"].(float64) != 1 || got["unchanged"].(float64) != 8 {
		t.Fatalf("import with one change: %d %v", code, got)
	}
	items := got["items"].([]any)
	it := items[4].(map[string]any)
	if it["action"] != "updated" || it["version"].(float64) != 2 || it["id"].(float64) != 5 {
		t.Errorf("item 4: %v", it)
	}
	code, got = do(t, srv, "POST", "/v1/zones/import", string(changed))
	if code != 200 || got["unchanged"].(float64) != 9 {
		t.Errorf("the changed file again: %d %v, want 9 unchanged", code, got)
	}
	if n := zoneCount(t, st); n != 9 {
		t.Fatalf("after imports: %d zones, want 9", n)
	}
	for _, body := range []string{`{"type":"FeatureCollection","features":[]}`, `{"type":"FeatureCollection","features":[` + feats[4] + `,` + feats[4] + `]}`} {
		if code, got := do(t, srv, "POST", "/v1/zones/import", body); code != 422 {
			t.Errorf("import %.60s: %d %v, want 422", body, code, got)
		}
	}
}

// Input both stores must refuse the same way, times out of range, and
// polygons across the antimeridian (cut at ±180, RFC 7946 3.1.9).
func TestStrictZoneInput(t *testing.T) {
	srv, st := newServer(t)
	cases := []struct {
		name, body, path string
	}{
		{"NUL in name", strings.Replace(feature("sealed", "a", square(104, 30, 0.01), day1, ""), `"name":"a"`, `"name":"a\u0000b"`, 1), "properties.name"},
		{"escape in name", strings.Replace(feature("sealed", "a", square(104, 30, 0.01), day1, ""), `"name":"a"`, `"name":"a\u001bb"`, 1), "properties.name"},
		{"long name", feature("sealed", strings.Repeat("n", 201), square(104, 30, 0.01), day1, ""), "properties.name"},
		{"zero effective_from", feature("sealed", "z", square(104, 30, 0.01), "0001-01-01T00:00:00Z", ""), "properties.effective_from"},
		{"effective_from 1999", feature("sealed", "z", square(104, 30, 0.01), "1999-12-31T00:00:00Z", ""), "properties.effective_from"},
		{"effective_until 2100", feature("sealed", "z", square(104, 30, 0.01), day1, "2100-01-01T00:00:00Z"), "properties.effective_until"},
	}
	for _, c := range cases {
		for _, method := range []string{"POST /v1/zones", "POST /v1/zones/import"} {
			body := c.body
			if strings.HasSuffix(method, "import") {
				body = `{"type":"FeatureCollection","features":[` + body + `]}`
			}
			m, path, _ := strings.Cut(method, " ")
			code, got := do(t, srv, m, path, body)
			d, _ := got["details"].(map[string]any)
			if p, _ := d["path"].(string); code != 422 || !strings.HasSuffix(p, c.path) {
				t.Errorf("%s, %s: %d %v, want 422 at %s", c.name, method, code, got, c.path)
			}
		}
	}
	if n := zoneCount(t, st); n != 0 {
		t.Fatalf("refused input wrote %d zones", n)
	}
	// A lift at a time out of range is refused too.
	code, z := do(t, srv, "POST", "/v1/zones", feature("sealed", "z", square(104, 30, 0.01), day1, ""))
	if code != 201 {
		t.Fatalf("create: %d %v", code, z)
	}
	for _, at := range []string{"0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z"} {
		code, got := do(t, srv, "POST", fmt.Sprintf("/v1/zones/%v/lift", z["id"]), `{"at":"`+at+`"}`)
		if code != 422 || got["details"].(map[string]any)["path"] != "effective_until" {
			t.Errorf("lift at %s: %d %v, want 422", at, code, got)
		}
	}
	// Across the antimeridian: from 179.5 east to -179.5 (1 degree wide).
	ring := `[[[179.5,-17],[-179.5,-17],[-179.5,-16],[179.5,-16],[179.5,-17]]]`
	code, got := do(t, srv, "POST", "/v1/zones", feature("sealed", "Fiji", ring, day1, ""))
	if code != 201 {
		t.Fatalf("antimeridian zone: %d %v", code, got)
	}
	parts := got["geometry"].(map[string]any)["coordinates"].([]any)
	if len(parts) != 2 {
		t.Errorf("antimeridian zone stored as %d polygons, want 2 (cut at 180)", len(parts))
	}
	for _, p := range []struct {
		lon, lat float64
		want     string
	}{{179.8, -16.5, "sealed"}, {-179.8, -16.5, "sealed"}, {180, -16.5, "sealed"}, {0, -16.5, "none"}, {100, -16.5, "none"}, {-100, -16.5, "none"}} {
		code, got := do(t, srv, "GET", fmt.Sprintf("/v1/lookup?lon=%g&lat=%g&at=2026-11-21T00:00:00Z", p.lon, p.lat), "")
		if code != 200 || got["kind"] != p.want {
			t.Errorf("lookup at %g,%g: %d %v, want %s", p.lon, p.lat, code, got["kind"], p.want)
		}
	}
}
