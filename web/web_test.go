package web

import (
	"encoding/json"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func get(t *testing.T, srv *httptest.Server, method, p string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+p, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
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

func TestServesEmbeddedFiles(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
		ctype        string // prefix
		contains     string
	}{
		{"GET", "/", 200, "text/html", `<div id="map"`},
		{"GET", "/driver", 200, "text/html", "driver.js"},
		{"GET", "/driver.html", 200, "text/html", "drivermap"},
		{"GET", "/app.js", 200, "text/javascript", "/v1/zones?active_at="},
		{"GET", "/common.js", 200, "text/javascript", "ApiError"},
		{"GET", "/i18n.js", 200, "text/javascript", "Asia/Shanghai"},
		{"GET", "/driver.js", 200, "text/javascript", "/v1/route-lists/"},
		{"GET", "/style.css", 200, "text/css", ".badge.sealed"},
		{"GET", "/vendor/maplibre-gl.mjs", 200, "text/javascript", "MapLibre GL JS"},
		{"GET", "/vendor/maplibre-gl-worker.mjs", 200, "text/javascript", ""},
		{"GET", "/vendor/maplibre-gl.css", 200, "text/css", ".maplibregl-map"},
		{"GET", "/vendor/MAPLIBRE-LICENSE.txt", 200, "text/plain", "Redistribution"},
		{"HEAD", "/", 200, "text/html", ""},
		{"GET", "/no-such-file.js", 404, "", ""},
		{"POST", "/", 405, "", ""},
	}
	for _, tc := range tests {
		resp, body := get(t, srv, tc.method, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); tc.ctype != "" && !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("%s %s: content type %q, want %s", tc.method, tc.path, ct, tc.ctype)
		}
		if !strings.Contains(body, tc.contains) {
			t.Errorf("%s %s: body lacks %q", tc.method, tc.path, tc.contains)
		}
		if tc.status == 200 && resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff header", tc.method, tc.path)
		}
	}
}

// TestReferencesExist checks that every local src/href in the HTML pages
// names an embedded file, and that no page loads anything from another host.
func TestReferencesExist(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	pages, err := fs.Glob(FS, "*.html")
	if err != nil || len(pages) < 2 {
		t.Fatalf("pages %v: %v", pages, err)
	}
	for _, p := range pages {
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			u := m[1]
			switch {
			case strings.Contains(u, "://") || strings.HasPrefix(u, "//"):
				t.Errorf("%s loads %q from another host (no CDN: the UI must work offline)", p, u)
			case u == "driver" || u == "./" || u == "/" || u == "data:," || strings.HasPrefix(u, "#") || strings.HasPrefix(u, "/v1/"):
				// routes of Handler
			default:
				if _, err := fs.Stat(FS, path.Clean(strings.TrimPrefix(u, "/"))); err != nil {
					t.Errorf("%s refers to missing file %q", p, u)
				}
			}
		}
	}
}

// TestScriptsParse runs `node --check` on every script of ours when node is
// installed (ES modules as modules).
func TestScriptsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	scripts, err := fs.Glob(FS, "*.js")
	if err != nil || len(scripts) < 4 {
		t.Fatalf("scripts %v: %v", scripts, err)
	}
	for _, s := range scripts {
		b, err := fs.ReadFile(FS, s)
		if err != nil {
			t.Fatal(err)
		}
		typ := "commonjs"
		if regexp.MustCompile(`(?m)^import `).Match(b) {
			typ = "module"
		}
		// node --check reads a file; pass the embedded copy through stdin instead.
		cmd := exec.Command(node, "--check", "--input-type="+typ, "-")
		cmd.Stdin = strings.NewReader(string(b))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", s, err, out)
		}
	}
}

// runNode runs script under node with i18n.js and common.js loaded into a
// vm context (I18N and LL defined) and returns its trimmed output.
func runNode(t *testing.T, env []string, script string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	var src strings.Builder
	for _, f := range []string{"i18n.js", "common.js"} {
		b, err := fs.ReadFile(FS, f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
		src.WriteString("\n")
	}
	prelude := `
const vm = require("vm");
const fs = require("fs");
const ctx = vm.createContext({ Intl, navigator: { languages: ["en-US"] } });
vm.runInContext(fs.readFileSync(0, "utf8") + "\n;this.LL = LL; this.I18N = I18N;", ctx);
const LL = ctx.LL, I18N = ctx.I18N;
`
	cmd := exec.Command(node, "-e", prelude+script)
	cmd.Stdin = strings.NewReader(src.String())
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCommonHelpers runs the pure helpers of common.js under node in
// several browser time zones: every date is shown and read in the
// district's zone (Asia/Shanghai) whatever the browser's, and errors are the
// server's message word for word with code, status and details.path.
func TestCommonHelpers(t *testing.T) {
	script := `
const out = [];
out.push(LL.rfc3339(new Date(Date.UTC(2026, 10, 19, 16, 0, 0))));
out.push(LL.localInput(new Date(Date.UTC(2026, 10, 19, 16, 5, 0))));
out.push(LL.shortTime("2026-11-19T16:00:00Z"));
out.push(LL.parseLocal("2026-11-20T00:05").toISOString());
out.push(String(LL.parseLocal("2026-13-01T00:00")) + String(LL.parseLocal("2026-02-31T10:00")) + String(LL.parseLocal("x")));
out.push(LL.clock(30600) + " " + LL.clock(86399));
out.push(LL.describe(new LL.ApiError(422, "invalid", "must be after effective_from", {path: "properties.effective_until"})));
out.push(LL.describe(new LL.ApiError(0, "unreachable", "cannot reach the server")));
out.push(LL.describe(LL.errorFromBody(422, {code: "validation_failed", message: "invalid round: the capacitated model needs a round (deadline and desk throughput)", details: {path: "round", reason: "x"}})));
out.push(LL.describe(LL.errorFromBody(404, {code: "not_found", message: "no route list \"1\": ask the dispatcher", details: {path: "id"}})));
out.push(LL.describe(LL.errorFromBody(409, {error: {code: "conflict", message: "old shape"}})));
out.push(String(LL.errorFromBody(500, {foo: 1})));
out.push(String(LL.errorFromBody(500, "text")));
out.push(LL.describe(LL.errorFromBody(400, {code: "bad_json", message: "unexpected end", details: {}})));
console.log(JSON.stringify(out));
`
	want := `["2026-11-20T00:00:00+08:00","2026-11-20T00:05","2026-11-20 00:00","2026-11-19T16:05:00.000Z","nullnullnull","08:30 23:59",` +
		`"must be after effective_from [invalid, HTTP 422] at properties.effective_until","cannot reach the server [unreachable]",` +
		`"invalid round: the capacitated model needs a round (deadline and desk throughput) [validation_failed, HTTP 422] at round",` +
		`"no route list \"1\": ask the dispatcher [not_found, HTTP 404] at id","old shape [conflict, HTTP 409]","null","null","unexpected end [bad_json, HTTP 400]"]`
	for _, tz := range []string{"Asia/Shanghai", "America/St_Johns", "UTC", "Pacific/Kiritimati"} {
		if got := runNode(t, []string{"TZ=" + tz}, script); got != want {
			t.Errorf("TZ=%s:\ngot  %s\nwant %s", tz, got, want)
		}
	}
}

// TestLanguageChoice checks how the language is picked: the stored choice,
// else the first Chinese or English entry of navigator.languages, else
// English.
func TestLanguageChoice(t *testing.T) {
	script := `
const cases = [[null, ["zh-CN", "en"]], [null, ["en-US", "zh"]], [null, ["fr", "zh-TW"]], [null, ["fr"]], [null, []],
  ["en", ["zh"]], ["zh", ["en"]], ["xx", ["zh-Hans-CN"]], [null, ["ZH"]]];
console.log(cases.map(c => I18N.choose(c[0], c[1])).join(" "));
`
	if got, want := runNode(t, nil, script), "zh en zh en en en zh zh zh"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCatalogue checks the one catalogue: both languages have the same keys
// and the same {placeholders} per key, no string is empty, and every key the
// pages and scripts use (t("..."), data-i18n, data-i18n-attr and the keys
// built from known kinds) is in it.
func TestCatalogue(t *testing.T) {
	out := runNode(t, nil, `console.log(JSON.stringify(I18N.CATALOGUE));`)
	var cat map[string]map[string]string
	if err := json.Unmarshal([]byte(out), &cat); err != nil {
		t.Fatalf("catalogue: %v\n%.300s", err, out)
	}
	en, zh := cat["en"], cat["zh"]
	if len(en) < 100 || len(cat) != 2 {
		t.Fatalf("catalogue has %d languages, %d English keys", len(cat), len(en))
	}
	ph := regexp.MustCompile(`\{[a-z*]+\}`)
	placeholders := func(s string) string {
		p := ph.FindAllString(s, -1)
		sort.Strings(p)
		return strings.Join(p, ",")
	}
	han := regexp.MustCompile(`\p{Han}`)
	for k, v := range en {
		z, ok := zh[k]
		switch {
		case !ok:
			t.Errorf("key %q has no Chinese", k)
		case strings.TrimSpace(v) == "" || strings.TrimSpace(z) == "":
			t.Errorf("key %q is empty in a language", k)
		case placeholders(v) != placeholders(z):
			t.Errorf("key %q: placeholders %s (en) vs %s (zh)", k, placeholders(v), placeholders(z))
		case !han.MatchString(z) && !strings.HasPrefix(k, "maplibre.") && z != v:
			t.Errorf("key %q: Chinese %q has no Chinese characters", k, z)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q has no English", k)
		}
	}
	used := map[string]string{}
	call := regexp.MustCompile(`\b[tT]\("([a-z0-9_.*]+)"`)
	attr := regexp.MustCompile(`data-i18n="([^"]+)"`)
	attrs := regexp.MustCompile(`data-i18n-attr="([^"]+)"`)
	files, _ := fs.Glob(FS, "*.js")
	pages, _ := fs.Glob(FS, "*.html")
	for _, f := range append(files, pages...) {
		if f == "i18n.js" {
			continue
		}
		b, err := fs.ReadFile(FS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") { // t("kind." + k): the groups below
				used[m[1]] = f
			}
		}
		for _, m := range attr.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = f
		}
		for _, m := range attrs.FindAllStringSubmatch(string(b), -1) {
			for _, pair := range strings.Split(m[1], ",") {
				if kv := strings.SplitN(pair, "=", 2); len(kv) == 2 {
					used[strings.TrimSpace(kv[1])] = f
				}
			}
		}
	}
	for _, group := range []struct {
		prefix string
		names  []string
	}{
		{"kind.", []string{"sealed", "controlled", "prevention"}},
		{"status.", []string{"active", "scheduled", "lifted"}},
		{"step.", []string{"start", "end", "job", "pickup", "delivery", "break"}},
		{"colour.", []string{"green", "yellow", "orange", "red"}},
		{"fac.", []string{"hospital", "pharmacy", "health_centre", "depot", "candidate_site", "supply_point"}},
		{"role.", []string{"admin", "planner", "dispatcher", "driver", "viewer", "*"}},
		{"cat.", []string{"dialysis", "prenatal", "labour", "chemotherapy", "other"}},
		{"shuttle.day.", []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
		{"shuttle.reason.", []string{"plan", "changes", "urgent", "other"}},
		{"shuttle.what.", []string{"time", "van", "cancelled", "added", "unplanned", "other"}},
		{"fig.", []string{"people", "people_at_sites", "shared_sites", "dedicated_sites", "within_5_min", "within_10_min", "within_15_min", "mean_walk_min", "max_walk_min", "unreachable", "desks", "finish_min", "door_people", "door_teams", "door_team_hours"}},
	} {
		for _, n := range group.names {
			used[group.prefix+n] = "built from " + group.prefix
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use", len(used))
	}
	for k, f := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("%s uses key %q that is not in the catalogue", f, k)
		}
	}
}

// TestPaletteContrast checks the text colours of style.css against white
// and the page background for WCAG AA (4.5:1); the browser test checks the
// computed colours of the rendered page too.
func TestPaletteContrast(t *testing.T) {
	b, err := fs.ReadFile(FS, "style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = m[2]
	}
	pairs := []struct{ fg, bg string }{
		{"ink", "#ffffff"}, {"ink", "bg"}, {"muted", "#ffffff"}, {"muted", "bg"}, {"accent", "#ffffff"}, {"#ffffff", "accent"},
		{"sealed", "#ffffff"}, {"#ffffff", "sealed"}, {"#ffffff", "controlled"}, {"#3e2c00", "prevention-bg"}, {"prevention", "#ffffff"},
		{"#7f1919", "#fdecec"}, {"#ffffff", "#263238"}, {"#1b5e20", "#ffffff"},
	}
	colour := func(s string) string {
		if strings.HasPrefix(s, "#") {
			return s
		}
		c, ok := vars[s]
		if !ok {
			t.Fatalf("style.css has no --%s", s)
		}
		return c
	}
	for _, p := range pairs {
		if r := contrast(colour(p.fg), colour(p.bg)); r < 4.5 {
			t.Errorf("%s on %s: %.2f:1, want >= 4.5", p.fg, p.bg, r)
		}
	}
	if r := contrast("#777777", "#ffffff"); r > 4.5 || r < 4.4 {
		t.Errorf("oracle: #777 on white is 4.48:1, got %.2f", r)
	}
}

func contrast(a, b string) float64 {
	lum := func(h string) float64 {
		var rgb [3]float64
		for i := range rgb {
			v, _ := strconv.ParseUint(h[1+2*i:3+2*i], 16, 8)
			x := float64(v) / 255
			if x <= 0.03928 {
				rgb[i] = x / 12.92
			} else {
				rgb[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
