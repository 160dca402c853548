package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path"
	"regexp"
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
		{"GET", "/", 200, "text/html", "<svg id=\"map\""},
		{"GET", "/driver", 200, "text/html", "route list"},
		{"GET", "/driver.html", 200, "text/html", "driver.js"},
		{"GET", "/app.js", 200, "text/javascript", "/v1/zones?active_at="},
		{"GET", "/common.js", 200, "text/javascript", "ApiError"},
		{"GET", "/driver.js", 200, "text/javascript", "/v1/route-lists/"},
		{"GET", "/style.css", 200, "text/css", ".zone.sealed"},
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
			case u == "driver" || u == "./" || u == "/":
				// routes of Handler
			default:
				if _, err := fs.Stat(FS, path.Clean(strings.TrimPrefix(u, "/"))); err != nil {
					t.Errorf("%s refers to missing file %q", p, u)
				}
			}
		}
	}
}

// TestScriptsParse runs `node --check` on every script when node is installed.
func TestScriptsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	scripts, err := fs.Glob(FS, "*.js")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("scripts %v: %v", scripts, err)
	}
	for _, s := range scripts {
		b, err := fs.ReadFile(FS, s)
		if err != nil {
			t.Fatal(err)
		}
		// node --check reads a file; pass the embedded copy through stdin instead.
		cmd := exec.Command(node, "--check", "-")
		cmd.Stdin = strings.NewReader(string(b))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", s, err, out)
		}
	}
}

// TestCommonHelpers runs the pure helpers of common.js under node (when
// installed) in a fixed time zone: RFC 3339 with the browser's offset, and
// the one-line rendering of the service's JSON errors.
func TestCommonHelpers(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	src, err := fs.ReadFile(FS, "common.js")
	if err != nil {
		t.Fatal(err)
	}
	script := `
const vm = require("vm");
const fs = require("fs");
const ctx = vm.createContext({});
vm.runInContext(fs.readFileSync(0, "utf8") + "\n;this.LL = LL;", ctx);
const LL = ctx.LL;
const out = [];
out.push(LL.rfc3339(new Date(Date.UTC(2026, 10, 19, 16, 0, 0))));
out.push(LL.localInput(new Date(Date.UTC(2026, 10, 19, 16, 5, 0))));
out.push(LL.shortTime("2026-11-19T16:00:00Z"));
out.push(LL.describe(new LL.ApiError(422, "invalid", "must be after effective_from", {path: "properties.effective_until"})));
out.push(LL.describe(new LL.ApiError(0, "unreachable", "cannot reach the server")));
console.log(JSON.stringify(out));
`
	cases := []struct{ tz, want string }{
		{"Asia/Shanghai", `["2026-11-20T00:00:00+08:00","2026-11-20T00:05","2026-11-20 00:00","must be after effective_from [invalid, HTTP 422] at properties.effective_until","cannot reach the server [unreachable]"]`},
		{"America/St_Johns", `["2026-11-19T12:30:00-03:30","2026-11-19T12:35","2026-11-19 12:30","must be after effective_from [invalid, HTTP 422] at properties.effective_until","cannot reach the server [unreachable]"]`},
	}
	for _, tc := range cases {
		cmd := exec.Command(node, "-e", script)
		cmd.Stdin = strings.NewReader(string(src))
		cmd.Env = append(cmd.Environ(), "TZ="+tc.tz)
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, got)
		}
		if strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("TZ=%s:\ngot  %s\nwant %s", tc.tz, got, tc.want)
		}
	}
}
