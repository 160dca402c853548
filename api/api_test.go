package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lifeline/api"
	"lifeline/data/memstore"
	"lifeline/zones"
)

func newServer(t *testing.T) (*httptest.Server, *memstore.Store) {
	t.Helper()
	st := memstore.New()
	h := api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 1 << 20,
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st
}

func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: response is not a JSON object: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

func square(x0, y0, d float64) string {
	return fmt.Sprintf(`[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]`, x0, y0, x0+d, y0, x0+d, y0+d, x0, y0+d, x0, y0)
}

func feature(kind, name, coords, from string, until string) string {
	props := fmt.Sprintf(`"kind":%q,"name":%q,"effective_from":%q,"reason":"test"`, kind, name, from)
	if until != "" {
		props += fmt.Sprintf(`,"effective_until":%q`, until)
	}
	return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":%s},"properties":{%s}}`, coords, props)
}

const day1 = "2026-11-20T00:00:00Z"

func zoneCount(t *testing.T, st *memstore.Store) int {
	t.Helper()
	zs, err := st.ListZones(t.Context(), zones.ZoneFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(zs)
}

func TestZonesLifecycle(t *testing.T) {
	srv, _ := newServer(t)
	// A prevention zone with a sealed compound nested inside it.
	code, prev := do(t, srv, "POST", "/v1/zones", feature("prevention", "street", square(104.0, 30.0, 0.1), day1, ""))
	if code != http.StatusCreated {
		t.Fatalf("create prevention: %d %v", code, prev)
	}
	code, sealed := do(t, srv, "POST", "/v1/zones", feature("sealed", "compound 7", square(104.02, 30.02, 0.01), day1, ""))
	if code != http.StatusCreated {
		t.Fatalf("create sealed: %d %v", code, sealed)
	}
	sealedID := int64(sealed["id"].(float64))

	code, got := do(t, srv, "GET", "/v1/lookup?lon=104.025&lat=30.025&at=2026-11-21T08:00:00Z", "")
	if code != 200 || got["kind"] != "sealed" || len(got["matches"].([]any)) != 2 {
		t.Fatalf("lookup inside both: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/lookup?lon=104.05&lat=30.05&at=2026-11-21T08:00:00Z", "")
	if code != 200 || got["kind"] != "prevention" {
		t.Fatalf("lookup in prevention only: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/lookup?lon=104.025&lat=30.025&at=2026-11-19T08:00:00Z", "")
	if code != 200 || got["strictest"] != nil || len(got["matches"].([]any)) != 0 {
		t.Fatalf("lookup before the zones existed: %d %v", code, got)
	}

	// Lift the sealed zone on the 22nd: the 21st still shows it, the 23rd not.
	code, got = do(t, srv, "POST", fmt.Sprintf("/v1/zones/%d/lift", sealedID), `{"at":"2026-11-22T00:00:00Z"}`)
	if code != 200 || got["effective_until"] == nil {
		t.Fatalf("lift: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/lookup?lon=104.025&lat=30.025&at=2026-11-21T08:00:00Z", "")
	if got["kind"] != "sealed" {
		t.Fatalf("history after lift: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/lookup?lon=104.025&lat=30.025&at=2026-11-23T08:00:00Z", "")
	if got["kind"] != "prevention" {
		t.Fatalf("after lift: %d %v", code, got)
	}

	// Filters.
	code, got = do(t, srv, "GET", "/v1/zones?kind=sealed", "")
	if code != 200 || got["count"].(float64) != 1 {
		t.Fatalf("kind filter: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/zones?active_at=2026-11-23T00:00:00Z", "")
	if code != 200 || got["count"].(float64) != 1 {
		t.Fatalf("active_at filter: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/zones?bbox=104.08,30.08,104.2,30.2", "")
	if code != 200 || got["count"].(float64) != 1 {
		t.Fatalf("bbox filter: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/zones/export", "")
	if code != 200 || got["type"] != "FeatureCollection" || len(got["features"].([]any)) != 2 {
		t.Fatalf("export: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", fmt.Sprintf("/v1/zones/%d?format=geojson", sealedID), "")
	if code != 200 || got["type"] != "Feature" {
		t.Fatalf("get as GeoJSON: %d %v", code, got)
	}
	code, got = do(t, srv, "PUT", fmt.Sprintf("/v1/zones/%d", sealedID), feature("controlled", "compound 7 eased", square(104.02, 30.02, 0.01), "2026-11-21T00:00:00Z", ""))
	if code != 200 || got["kind"] != "controlled" || got["name"] != "compound 7 eased" || got["version"].(float64) != 2 || got["effective_until"] != "2026-11-22T00:00:00Z" {
		t.Fatalf("update: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/zones/999", "")
	if code != 404 || got["code"] != "not_found" {
		t.Fatalf("unknown id: %d %v", code, got)
	}
}

func TestBulkImportAllOrNothing(t *testing.T) {
	srv, st := newServer(t)
	good := feature("controlled", "a", square(104.0, 30.0, 0.01), day1, "")
	bad := feature("sealed", "b", `[[[104.1,30.1],[104.2,30.2],[104.2,30.1],[104.1,30.2],[104.1,30.1]]]`, day1, "")
	code, got := do(t, srv, "POST", "/v1/zones/import", `{"type":"FeatureCollection","features":[`+good+`,`+bad+`]}`)
	if code != 422 {
		t.Fatalf("import with a bow-tie: %d %v", code, got)
	}
	if p := got["details"].(map[string]any)["path"].(string); !strings.HasPrefix(p, "features[1]") {
		t.Errorf("error path %q does not name features[1]", p)
	}
	if n := zoneCount(t, st); n != 0 {
		t.Fatalf("failed import wrote %d zones", n)
	}
	code, got = do(t, srv, "POST", "/v1/zones/import", `{"type":"FeatureCollection","features":[`+good+`,`+good+`]}`)
	if code != 201 || got["created"].(float64) != 2 {
		t.Fatalf("good import: %d %v", code, got)
	}
	code, got = do(t, srv, "POST", "/v1/zones/import", `{"type":"FeatureCollection","features":[]}`)
	if code != 422 || got["details"].(map[string]any)["path"] != "features" {
		t.Fatalf("empty import: %d %v", code, got)
	}
}

func TestBadInputLeavesStoreUnchanged(t *testing.T) {
	srv, st := newServer(t)
	// More vertices than zones.MaxVerticesPerFeature, in a body under the size limit.
	many := make([]string, 0, zones.MaxVerticesPerFeature+1)
	for i := 0; i <= zones.MaxVerticesPerFeature; i++ {
		many = append(many, "[1,2]")
	}
	cases := []struct {
		name, body string
		status     int
		path       string // a prefix of details.path, when the error names one
	}{
		{"malformed JSON", `{"type":"Feature",`, 400, ""},
		{"not a feature", `{"type":"Point","coordinates":[1,2]}`, 422, ""},
		{"wrong geometry", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},"properties":{"kind":"sealed","name":"x","effective_from":"` + day1 + `"}}`, 422, "geometry"},
		{"unclosed ring", feature("sealed", "x", `[[[104,30],[104.1,30],[104.1,30.1],[104,30.1]]]`, day1, ""), 422, "geometry"},
		{"too few positions", feature("sealed", "x", `[[[104,30],[104.1,30],[104,30]]]`, day1, ""), 422, "geometry"},
		{"self-intersection", feature("sealed", "x", `[[[104,30],[104.1,30.1],[104.1,30],[104,30.1],[104,30]]]`, day1, ""), 422, "geometry"},
		{"out of range", feature("sealed", "x", square(179.99, 30, 0.1), day1, ""), 422, "geometry"},
		{"unknown kind", feature("quarantined", "x", square(104, 30, 0.1), day1, ""), 422, "properties.kind"},
		{"until before from", feature("sealed", "x", square(104, 30, 0.1), day1, "2026-11-19T00:00:00Z"), 422, "properties.effective_until"},
		{"body too large", feature("sealed", strings.Repeat("x", 1100<<10), square(104, 30, 0.1), day1, ""), 413, ""},
		{"too many vertices", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[` + strings.Join(many, ",") + `]]},"properties":{"kind":"sealed","name":"x","effective_from":"` + day1 + `"}}`, 422, "geometry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, got := do(t, srv, "POST", "/v1/zones", c.body)
			if code != c.status {
				t.Fatalf("status %d, want %d: %v", code, c.status, got)
			}
			if got["code"] == nil || got["message"] == nil {
				t.Fatalf("error body lacks code/message: %v", got)
			}
			if c.path != "" {
				d, _ := got["details"].(map[string]any)
				if p, _ := d["path"].(string); !strings.HasPrefix(p, c.path) {
					t.Errorf("details.path = %q, want prefix %q (%v)", p, c.path, got)
				}
			}
			if n := zoneCount(t, st); n != 0 {
				t.Fatalf("bad input wrote %d zones", n)
			}
		})
	}
}

func TestBatchLookup(t *testing.T) {
	srv, _ := newServer(t)
	if code, got := do(t, srv, "POST", "/v1/zones", feature("sealed", "s", square(104.0, 30.0, 0.01), day1, "")); code != 201 {
		t.Fatalf("create: %d %v", code, got)
	}
	code, got := do(t, srv, "POST", "/v1/lookup", `{"points":[[104.005,30.005],[105,31]],"at":"2026-11-21T00:00:00Z"}`)
	if code != 200 {
		t.Fatalf("batch: %d %v", code, got)
	}
	res := got["results"].([]any)
	if res[0].(map[string]any)["kind"] != "sealed" || res[1].(map[string]any)["kind"] != "none" {
		t.Fatalf("batch results: %v", res)
	}
	var b bytes.Buffer
	b.WriteString(`{"points":[`)
	for i := 0; i <= api.MaxBatchPoints; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[104,30]")
	}
	b.WriteString("]}")
	srvBig := srv
	code, got = do(t, srvBig, "POST", "/v1/lookup", b.String())
	if code != 422 || got["details"].(map[string]any)["path"] != "points" {
		t.Fatalf("oversized batch: %d %v", code, got)
	}
	code, got = do(t, srv, "POST", "/v1/lookup", `{"points":[[104,30],[200,30]]}`)
	if code != 422 || got["details"].(map[string]any)["path"] != "points[1]" {
		t.Fatalf("out-of-range point: %d %v", code, got)
	}
	code, got = do(t, srv, "GET", "/v1/lookup?lon=abc&lat=30", "")
	if code != 400 || got["details"].(map[string]any)["path"] != "query.lon" {
		t.Fatalf("bad lon: %d %v", code, got)
	}
}
