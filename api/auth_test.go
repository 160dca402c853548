package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api"
	"lifeline/api/auth"
	"lifeline/data/memstore"
)

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authEnv is a server with the auth layer, one token per role and a
// "target" account (id 1) for the account routes.
type authEnv struct {
	srv    *httptest.Server
	engine *gin.Engine
	st     *memstore.Store
	tokens map[accounts.Role]string
	logs   *syncBuffer
}

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// roleHashes are the argon2id hashes of "pw-<role>" and "target-password",
// made once (each costs ~0.1 s).
var roleHashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{"target": accounts.HashPassword("target-password")}
	for _, r := range accounts.Roles {
		m[string(r)] = accounts.HashPassword("pw-" + string(r))
	}
	return m
})

// newAuthEnv starts the server; extra, when given, replaces its optional
// route groups (default: roads, sites, optimise and shuttles without a road
// network, deliveries).
func newAuthEnv(t *testing.T, cfg auth.Config, extra ...func(gin.IRouter, *api.Handlers)) *authEnv {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateAccount(ctx, accounts.Account{Username: "target", Role: accounts.RoleViewer, PasswordHash: roleHashes()["target"]}); err != nil {
		t.Fatal(err)
	}
	e := &authEnv{st: st, tokens: map[accounts.Role]string{}, logs: &syncBuffer{}}
	for _, r := range accounts.Roles {
		a, err := st.CreateAccount(ctx, accounts.Account{Username: "the-" + string(r), Role: r, PasswordHash: roleHashes()[string(r)]})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := accounts.Issue(ctx, st, a.ID, accounts.KindToken, "test", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = secret
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Store, cfg.Logger = st, log
	cfg.Before = api.AuditLoaders(st)
	if len(extra) == 0 {
		extra = []func(gin.IRouter, *api.Handlers){api.RoadRoutes(nil), api.SitesRoutes(nil), api.OptimizeRoutes(nil), api.ShuttleRoutes(nil), api.DeliveryRoutes(nil, api.DeliveryOptions{})}
	}
	h := api.New(api.Deps{Store: st, Logger: log, MaxBodyBytes: 1 << 20, Auth: auth.New(cfg),
		Now:   func() time.Time { return testNow },
		Extra: extra})
	e.engine = h.(*gin.Engine)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func (e *authEnv) call(t *testing.T, method, path, body string, opts ...reqOpt) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

func (e *authEnv) as(t *testing.T, role accounts.Role, method, path, body string, opts ...reqOpt) (int, map[string]any) {
	t.Helper()
	resp, out := e.call(t, method, path, body, append([]reqOpt{bearer(e.tokens[role])}, opts...)...)
	return resp.StatusCode, out
}

func concrete(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryRouteIsInTheTable: every /v1 route of the router has a row in
// api/auth/policy.go, every row names a route, and every write route says
// what it writes (or that it is a query).
func TestEveryRouteIsInTheTable(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	seen := map[string]bool{}
	for _, r := range e.engine.Routes() {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		seen[r.Method+" "+r.Path] = true
		rule := auth.RuleFor(r.Method, r.Path)
		if rule == nil {
			hint := ""
			if auth.Writes(r.Method) {
				hint = `, Entity: "<what it writes>"`
			}
			t.Errorf("route %s %s (handler %s) is not in the authorisation table: add this row to Table in api/auth/policy.go:\n\t{Method: %q, Path: %q, Roles: <who may: mapRoles, planner, dispatcher, ...>%s},",
				r.Method, r.Path, r.Handler, r.Method, r.Path, hint)
			continue
		}
		if auth.Writes(r.Method) && rule.Entity == "" && !rule.Query {
			t.Errorf("route %s %s writes but its row names no Entity for the audit trail (or Query: true if it changes nothing)", r.Method, r.Path)
		}
	}
	for _, rule := range auth.Table {
		if !seen[rule.Method+" "+rule.Path] {
			t.Errorf("the authorisation table has a row for %s %s, which the router does not serve: remove it", rule.Method, rule.Path)
		}
	}
}

// TestRoutesByRole walks every route of the router without credentials
// (401), with a bad token (401) and with each role (403 exactly when the
// table does not list the role); every write by an admin leaves an audit
// entry naming the route.
func TestRoutesByRole(t *testing.T) {
	e := newAuthEnv(t, auth.Config{ExpensivePerMin: -1, ExpensiveIPPerMin: -1, GuessPerMin: -1})
	ctx := context.Background()
	routes := e.engine.Routes()
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path+routes[i].Method < routes[j].Path+routes[j].Method })
	checked := 0
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		rule := auth.RuleFor(r.Method, r.Path)
		if rule == nil {
			continue // TestEveryRouteIsInTheTable says which row to add
		}
		path := concrete(r.Path)
		body := ""
		if auth.Writes(r.Method) {
			body = "{}"
		}
		if !rule.Public {
			if resp, out := e.call(t, r.Method, path, body); resp.StatusCode != 401 || out["code"] != "unauthenticated" {
				t.Errorf("%s %s without credentials: %d %v, want 401", r.Method, r.Path, resp.StatusCode, out)
			}
			if resp, _ := e.call(t, r.Method, path, body, bearer("not-a-token")); resp.StatusCode != 401 {
				t.Errorf("%s %s with a bad token: %d, want 401", r.Method, r.Path, resp.StatusCode)
			}
		}
		for _, role := range accounts.Roles {
			before, _ := e.st.ListAudit(ctx, accounts.AuditFilter{})
			b := body
			if rule.Public && r.Method == "POST" && r.Path == "/v1/auth/login" {
				b = fmt.Sprintf(`{"username":"the-%s","password":"pw-%s"}`, role, role)
			}
			code, out := e.as(t, role, r.Method, path, b)
			if rule.Allows(role) {
				if code == 401 || code == 403 {
					t.Errorf("%s %s as %s: %d %v, want allowed", r.Method, r.Path, role, code, out)
				}
			} else if code != 403 || out["code"] != "forbidden" {
				t.Errorf("%s %s as %s: %d %v, want 403", r.Method, r.Path, role, code, out)
			}
			if role == accounts.RoleAdmin && auth.Writes(r.Method) && !rule.Query {
				after, _ := e.st.ListAudit(ctx, accounts.AuditFilter{})
				if len(after) != len(before)+1 || after[len(after)-1].Route != r.Path || after[len(after)-1].Method != r.Method ||
					after[len(after)-1].Entity != rule.Entity || after[len(after)-1].Status != code || after[len(after)-1].RequestID == "" {
					t.Errorf("%s %s as admin (%d) left no audit entry: %d entries before, %d after (last %+v)", r.Method, r.Path, code, len(before), len(after), after[len(after)-1])
				}
			}
			checked++
		}
	}
	if checked < 40*len(accounts.Roles) {
		t.Fatalf("only %d calls checked: the router lost its routes?", checked)
	}
}

// TestCrossSiteLiftRefused repeats the attack of the issue: a cross-site
// text/plain POST that lifted a zone. With a signed-in planner's cookie it
// is refused with 403 and the zone stays; the same request from the page's
// own origin works.
func TestCrossSiteLiftRefused(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	code, z := e.as(t, accounts.RolePlanner, "POST", "/v1/zones", feature("sealed", "block 7", square(104, 30, 0.01), "2026-11-01T00:00:00Z", ""))
	if code != 201 {
		t.Fatalf("create: %d %v", code, z)
	}
	resp, _ := e.call(t, "POST", "/v1/auth/login", `{"username":"the-planner","password":"pw-planner"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || len(cookie.Value) < 40 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	withCookie := func(r *http.Request) { r.AddCookie(cookie) }
	lift := fmt.Sprintf("/v1/zones/%v/lift", z["id"])
	for _, attack := range [][]reqOpt{
		{withCookie, header("Origin", "https://evil.example"), header("Content-Type", "text/plain")},
		{withCookie, header("Sec-Fetch-Site", "cross-site"), header("Content-Type", "text/plain")},
		{bearer(e.tokens[accounts.RoleAdmin]), header("Origin", "https://evil.example")},
		{header("Origin", "null"), withCookie},
	} {
		resp, out := e.call(t, "POST", lift, `{"at":"2026-11-23T12:00:00Z"}`, attack...)
		if resp.StatusCode != 403 || out["code"] != "cross_origin" {
			t.Fatalf("cross-site lift: %d %v, want 403 cross_origin", resp.StatusCode, out)
		}
	}
	if code, got := e.as(t, accounts.RoleViewer, "GET", fmt.Sprintf("/v1/zones/%v", z["id"]), ""); code != 200 || got["effective_until"] != nil {
		t.Fatalf("zone after the attacks: %d %v", code, got)
	}
	// the page itself (same origin) and a script with a token may lift it
	host := strings.TrimPrefix(e.srv.URL, "http://")
	resp, out := e.call(t, "POST", lift, `{"at":"2026-11-23T12:00:00Z"}`, withCookie, header("Origin", "http://"+host), header("Sec-Fetch-Site", "same-origin"))
	if resp.StatusCode != 200 {
		t.Fatalf("same-origin lift: %d %v", resp.StatusCode, out)
	}
	// sign out: the cookie no longer works
	if resp, _ := e.call(t, "POST", "/v1/auth/logout", "", withCookie); resp.StatusCode != 200 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := e.call(t, "GET", "/v1/auth/me", "", withCookie); resp.StatusCode != 401 {
		t.Fatalf("me after logout: %d", resp.StatusCode)
	}
}

// TestSecurityHeadersAndCORS: every response carries the hardening headers;
// only allow-listed origins get CORS answers.
func TestSecurityHeadersAndCORS(t *testing.T) {
	e := newAuthEnv(t, auth.Config{CORSOrigins: []string{"https://ops.example.org"}})
	for _, c := range []struct{ method, path string }{{"GET", "/healthz"}, {"GET", "/v1/zones"}, {"GET", "/nope"}, {"POST", "/v1/auth/login"}, {"PATCH", "/v1/zones"}} {
		resp, _ := e.call(t, c.method, c.path, "")
		h := resp.Header
		if strings.HasPrefix(c.path, "/v1/") {
			// JSON answers: nothing may load, run or frame them; not sniffed
			if h.Get("Content-Security-Policy") != auth.APIContentSecurityPolicy || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s %s (%d): headers %v", c.method, c.path, resp.StatusCode, h)
			}
			continue
		}
		if h.Get("Content-Security-Policy") != auth.ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s (%d): headers %v", c.method, c.path, resp.StatusCode, h)
		}
	}
	resp, _ := e.call(t, "OPTIONS", "/v1/zones", "", header("Origin", "https://ops.example.org"), header("Access-Control-Request-Method", "POST"))
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://ops.example.org" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight from the allow-list: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = e.call(t, "OPTIONS", "/v1/zones", "", header("Origin", "https://evil.example"), header("Access-Control-Request-Method", "POST"))
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from elsewhere: %d %v", resp.StatusCode, resp.Header)
	}
	code, _ := e.as(t, accounts.RoleViewer, "GET", "/v1/zones", "", header("Origin", "https://evil.example"))
	resp, _ = e.call(t, "GET", "/v1/zones", "", bearer(e.tokens[accounts.RoleViewer]), header("Origin", "https://evil.example"))
	if code != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("cross-origin read: %d, ACAO %q (the browser must not hand it to the page)", code, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	code, out := e.as(t, accounts.RolePlanner, "POST", "/v1/zones", feature("sealed", "ok", square(104, 30, 0.01), "2026-11-01T00:00:00Z", ""), header("Origin", "https://ops.example.org"))
	if code != 201 {
		t.Fatalf("write from an allowed origin: %d %v", code, out)
	}
}

// TestTokenRevocation: a revoked token, a revoked account and an expired
// token stop working at once.
func TestTokenRevocation(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	code, tok := e.as(t, accounts.RoleAdmin, "POST", "/v1/accounts/1/tokens", `{"name":"script","ttl":"1h"}`)
	if code != 201 || len(tok["token"].(string)) < 40 {
		t.Fatalf("issue: %d %v", code, tok)
	}
	secret := tok["token"].(string)
	if resp, out := e.call(t, "GET", "/v1/zones", "", bearer(secret)); resp.StatusCode != 200 {
		t.Fatalf("new token: %d %v", resp.StatusCode, out)
	}
	if code, out := e.as(t, accounts.RoleAdmin, "DELETE", fmt.Sprintf("/v1/accounts/1/tokens/%v", tok["id"]), ""); code != 200 {
		t.Fatalf("revoke: %d %v", code, out)
	}
	if resp, _ := e.call(t, "GET", "/v1/zones", "", bearer(secret)); resp.StatusCode != 401 {
		t.Fatalf("revoked token: %d", resp.StatusCode)
	}
	// revoking the account revokes its other credentials
	if code, out := e.as(t, accounts.RoleAdmin, "DELETE", fmt.Sprintf("/v1/accounts/%d", 6), ""); code != 200 || out["username"] != "the-viewer" {
		t.Fatalf("revoke account: %d %v", code, out)
	}
	if code, _ := e.as(t, accounts.RoleViewer, "GET", "/v1/zones", ""); code != 401 {
		t.Fatalf("token of a revoked account: %d", code)
	}
	// the audit trail shows who did it, without the secret
	code, aud := e.as(t, accounts.RoleAdmin, "GET", "/v1/audit?entity=token", "")
	entries := aud["entries"].([]any)
	if code != 200 || len(entries) != 2 {
		t.Fatalf("audit: %d %v", code, aud)
	}
	raw, _ := json.Marshal(aud)
	if strings.Contains(string(raw), secret) {
		t.Fatal("the audit trail holds a token's secret")
	}
	if code, out := e.as(t, accounts.RoleAdmin, "GET", "/v1/audit?since=yesterday", ""); code != 400 || out["details"].(map[string]any)["path"] != "query.since" {
		t.Fatalf("bad since: %d %v", code, out)
	}
}

// TestAuditRecordsChanges: zone writes record the actor, the entity id and
// the zone before and after.
func TestAuditRecordsChanges(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	code, z := e.as(t, accounts.RolePlanner, "POST", "/v1/zones", feature("controlled", "market", square(104, 30, 0.01), "2026-11-01T00:00:00Z", ""), header("X-Request-Id", "req-create"))
	if code != 201 {
		t.Fatalf("create: %d %v", code, z)
	}
	id := fmt.Sprint(z["id"])
	code, _ = e.as(t, accounts.RolePlanner, "PUT", "/v1/zones/"+id, feature("sealed", "market", square(104, 30, 0.01), "2026-11-15T00:00:00Z", ""), header("X-Request-Id", "req-seal"))
	if code != 200 {
		t.Fatalf("update: %d", code)
	}
	code, aud := e.as(t, accounts.RoleAdmin, "GET", "/v1/audit?entity=zone:"+id+"&since=2000-01-01T00:00:00Z", "")
	es := aud["entries"].([]any)
	if code != 200 || len(es) != 2 {
		t.Fatalf("audit: %d %v", code, aud)
	}
	c, u := es[0].(map[string]any), es[1].(map[string]any)
	if c["actor"] != "the-planner" || c["role"] != "planner" || c["request_id"] != "req-create" || c["entity_id"] != id || c["status"].(float64) != 201 ||
		!strings.Contains(c["summary"].(string), "controlled") || !strings.Contains(c["after"].(string), `"controlled"`) {
		t.Errorf("create entry: %v", c)
	}
	if u["request_id"] != "req-seal" || !strings.Contains(u["before"].(string), `"controlled"`) || !strings.Contains(u["after"].(string), `"sealed"`) {
		t.Errorf("update entry: %v", u)
	}
	if code, _ := e.as(t, accounts.RolePlanner, "GET", "/v1/audit", ""); code != 403 {
		t.Errorf("a planner read the audit trail: %d", code)
	}
}

const patientName = "Wang Xiaoming"
const patientPhone = "13912345678"

func optimizeBody(drivers ...string) string {
	var vs []string
	for i, d := range drivers {
		vs = append(vs, fmt.Sprintf(`{"id":%d,"start_index":0,"end_index":0,"description":"Van %d","driver":%q}`, i+1, i+1, d))
	}
	return `{"vehicles":[` + strings.Join(vs, ",") + `],
	  "jobs":[{"id":1,"location_index":1,"description":"pick up ` + patientName + ` tel ` + patientPhone + `"},{"id":2,"location_index":2,"description":"gate 2"}],
	  "matrices":{"car":{"durations":[[0,60,120],[60,0,60],[120,60,0]]}}}`
}

// TestDriverListsAndShareLinks: a driver account sees only the list assigned
// to it, with patient details masked; dispatchers see them in full; a
// share link opens one list without an account; guessing codes or tokens
// is refused with 429 after a few tries, even for a right answer; nothing
// personal reaches the log.
func TestDriverListsAndShareLinks(t *testing.T) {
	e := newAuthEnv(t, auth.Config{GuessBurst: 5, GuessPerMin: 1})
	ctx := context.Background()
	d2, _ := e.st.CreateAccount(ctx, accounts.Account{Username: "driver-two", Role: accounts.RoleDriver})
	tok2, _, _ := accounts.Issue(ctx, e.st, d2.ID, accounts.KindToken, "", time.Hour, time.Now())

	if code, out := e.as(t, accounts.RoleDispatcher, "POST", "/v1/optimize?time_limit=200ms", optimizeBody("the-viewer")); code != 422 || out["details"].(map[string]any)["path"] != "vehicles[0].driver" {
		t.Fatalf("a viewer as driver: %d %v", code, out)
	}
	code, out := e.as(t, accounts.RoleDispatcher, "POST", "/v1/optimize?time_limit=200ms", optimizeBody("the-driver", "driver-two"))
	if code != 200 {
		t.Fatalf("optimize: %d %v", code, out)
	}
	codes := map[string]string{} // driver -> list code
	for _, r := range out["routes"].([]any) {
		r := r.(map[string]any)
		code := r["route_list"].(string)
		_, l := e.as(t, accounts.RoleDispatcher, "GET", "/v1/route-lists/"+code, "")
		codes[l["driver"].(string)] = code
	}
	mine, other := codes["the-driver"], codes["driver-two"]
	if mine == "" {
		t.Fatalf("no list for the-driver: %v", codes)
	}
	code, l := e.as(t, accounts.RoleDriver, "GET", "/v1/route-lists/"+mine, "")
	if code != 200 {
		t.Fatalf("own list: %d %v", code, l)
	}
	raw, _ := json.Marshal(l)
	if strings.Contains(string(raw), "Xiaoming") || strings.Contains(string(raw), patientPhone) || strings.Contains(string(raw), "share_hash") {
		t.Fatalf("driver sees unmasked patient data: %s", raw)
	}
	if other != "" {
		if code, _ := e.as(t, accounts.RoleDriver, "GET", "/v1/route-lists/"+other, ""); code != 404 {
			t.Fatalf("another driver's list: %d", code)
		}
	}
	if code, ls := e.as(t, accounts.RoleDriver, "GET", "/v1/route-lists", ""); code != 200 || len(ls["route_lists"].([]any)) != 1 {
		t.Fatalf("my lists: %d %v", code, ls)
	}
	if resp, _ := e.call(t, "GET", "/v1/route-lists", "", bearer(tok2)); resp.StatusCode != 200 {
		t.Fatalf("driver two: %d", resp.StatusCode)
	}
	_, full := e.as(t, accounts.RoleDispatcher, "GET", "/v1/route-lists/"+mine, "")
	other2, _ := json.Marshal(full)
	_, full2 := e.as(t, accounts.RoleDispatcher, "GET", "/v1/route-lists/"+other, "")
	other3, _ := json.Marshal(full2)
	if !strings.Contains(string(other2)+string(other3), patientName+" tel "+patientPhone) {
		t.Fatalf("the dispatcher does not see the patient: %s %s", other2, other3)
	}
	if code, _ := e.as(t, accounts.RoleViewer, "GET", "/v1/route-lists/"+mine, ""); code != 403 {
		t.Fatalf("viewer reads a route list: %d", code)
	}

	// share link: only the dispatcher makes one; it opens the list without an account
	code, sh := e.as(t, accounts.RoleDispatcher, "POST", "/v1/route-lists/"+mine+"/share", "")
	if code != 201 || len(sh["token"].(string)) < 40 || !strings.HasPrefix(sh["url"].(string), "/driver.html#share=") {
		t.Fatalf("share: %d %v", code, sh)
	}
	share := sh["token"].(string)
	resp, got := e.call(t, "GET", "/v1/route-lists/shared", "", header(api.ShareTokenHeader, share))
	if resp.StatusCode != 200 || got["id"] != mine {
		t.Fatalf("open by share link: %d %v", resp.StatusCode, got)
	}
	raw, _ = json.Marshal(got)
	if strings.Contains(string(raw), "Xiaoming") {
		t.Fatalf("share link shows unmasked patient data: %s", raw)
	}

	// guessing: 5 failures, then 429 with Retry-After even for the right token
	refused := 0
	for i := range 20 {
		resp, out := e.call(t, "GET", "/v1/route-lists/shared", "", header(api.ShareTokenHeader, fmt.Sprintf("guess-%d", i)))
		switch resp.StatusCode {
		case 404:
			if refused > 0 {
				t.Fatalf("guess %d answered 404 after a refusal", i)
			}
		case 429:
			refused++
			if resp.Header.Get("Retry-After") == "" || out["code"] != "rate_limited" {
				t.Fatalf("429 without Retry-After: %v %v", resp.Header, out)
			}
		default:
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	if refused != 15 {
		t.Fatalf("%d of 20 guesses refused, want 15 (burst 5)", refused)
	}
	if resp, _ := e.call(t, "GET", "/v1/route-lists/shared", "", header(api.ShareTokenHeader, share)); resp.StatusCode != 429 {
		t.Fatalf("right token while blocked: %d, want 429", resp.StatusCode)
	}
	// guessing 10-digit codes as a driver is limited the same way
	refused = 0
	for i := range 10 {
		if code, _ := e.as(t, accounts.RoleDriver, "GET", fmt.Sprintf("/v1/route-lists/%010d", 1000000000+i), ""); code == 429 {
			refused++
		}
	}
	if refused != 5 {
		t.Fatalf("%d of 10 code guesses refused, want 5", refused)
	}

	// the audit entry of the solve keeps no patient data, and neither does the log
	_, aud := e.as(t, accounts.RoleAdmin, "GET", "/v1/audit?entity=optimization", "")
	araw, _ := json.Marshal(aud)
	if len(aud["entries"].([]any)) != 2 {
		t.Fatalf("optimisations audited: %s", araw)
	}
	for _, s := range []string{patientName, "Xiaoming", patientPhone, share} {
		if strings.Contains(string(araw), s) {
			t.Errorf("the audit trail holds %q: %s", s, araw)
		}
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// TestExpensiveRateLimit: optimisations beyond the burst get 429 with
// Retry-After, per account; other accounts are not affected.
func TestExpensiveRateLimit(t *testing.T) {
	e := newAuthEnv(t, auth.Config{ExpensiveBurst: 3, ExpensivePerMin: 1, ExpensiveIPBurst: 100})
	for i := range 5 {
		code, out := e.as(t, accounts.RoleDispatcher, "POST", "/v1/optimize", "{}")
		if i < 3 && code == 429 || i >= 3 && code != 429 {
			t.Fatalf("request %d: %d %v", i, code, out)
		}
	}
	resp, out := e.call(t, "POST", "/v1/optimize", "{}", bearer(e.tokens[accounts.RoleDispatcher]))
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" || out["details"].(map[string]any)["retry_after_s"] == nil {
		t.Fatalf("Retry-After %q, %v", ra, out)
	}
	if code, _ := e.as(t, accounts.RoleAdmin, "POST", "/v1/optimize", "{}"); code == 429 {
		t.Fatal("another account was limited too")
	}
}

// TestJobsBelongToTheirOwner: an async solve's job is visible to the
// account that started it and admins only.
func TestJobsBelongToTheirOwner(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	ctx := context.Background()
	d2, _ := e.st.CreateAccount(ctx, accounts.Account{Username: "disp-two", Role: accounts.RoleDispatcher})
	tok2, _, _ := accounts.Issue(ctx, e.st, d2.ID, accounts.KindToken, "", time.Hour, time.Now())
	code, j := e.as(t, accounts.RoleDispatcher, "POST", "/v1/optimize?async=true&time_limit=100ms", optimizeBody("the-driver"))
	if code != 202 {
		t.Fatalf("async: %d %v", code, j)
	}
	path := "/v1/jobs/" + j["id"].(string)
	if code, _ := e.as(t, accounts.RoleDispatcher, "GET", path, ""); code != 200 {
		t.Fatalf("owner: %d", code)
	}
	if code, _ := e.as(t, accounts.RoleAdmin, "GET", path, ""); code != 200 {
		t.Fatalf("admin: %d", code)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if resp, _ := e.call(t, m, path, "", bearer(tok2)); resp.StatusCode != 404 {
			t.Fatalf("%s by another dispatcher: %d", m, resp.StatusCode)
		}
	}
}

// TestLoginFailuresLimited: wrong passwords are refused alike for unknown
// users, and after the burst even the right password waits.
func TestLoginFailuresLimited(t *testing.T) {
	e := newAuthEnv(t, auth.Config{GuessBurst: 3, GuessPerMin: 1})
	for i, body := range []string{`{"username":"the-admin","password":"wrong"}`, `{"username":"nobody","password":"wrong"}`, `{"username":"the-admin","password":""}`} {
		resp, out := e.call(t, "POST", "/v1/auth/login", body)
		want := 401
		if i == 2 {
			want = 400
		}
		if resp.StatusCode != want {
			t.Fatalf("login %s: %d %v", body, resp.StatusCode, out)
		}
	}
	e.call(t, "POST", "/v1/auth/login", `{"username":"the-admin","password":"wrong"}`)
	resp, _ := e.call(t, "POST", "/v1/auth/login", `{"username":"the-admin","password":"pw-admin"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after failures: %d", resp.StatusCode)
	}
	for _, bad := range []string{``, `{"username":1}`, `{"user":"x"}`, `{"username":"a","password":"b"} x`, `{"link":"x","username":"y"}`} {
		resp, out := e.call(t, "POST", "/v1/auth/login", bad, header("X-Forwarded-For", "1.2.3.4"))
		if resp.StatusCode != 400 && resp.StatusCode != 429 {
			t.Errorf("login body %q: %d %v", bad, resp.StatusCode, out)
		}
	}
}

// TestOneTimeLink: a sign-in link works once.
func TestOneTimeLink(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	code, l := e.as(t, accounts.RoleAdmin, "POST", "/v1/accounts/1/link", "")
	if code != 201 {
		t.Fatalf("link: %d %v", code, l)
	}
	body := fmt.Sprintf(`{"link":%q}`, l["token"])
	resp, me := e.call(t, "POST", "/v1/auth/login", body)
	if resp.StatusCode != 200 || me["username"] != "target" {
		t.Fatalf("first use: %d %v", resp.StatusCode, me)
	}
	if resp, _ := e.call(t, "POST", "/v1/auth/login", body); resp.StatusCode != 401 {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
}

// TestAccountAdmin: the admin creates, changes and lists accounts; bad
// input is a 4xx naming the field and writes nothing.
func TestAccountAdmin(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	code, a := e.as(t, accounts.RoleAdmin, "POST", "/v1/accounts", `{"username":"li.na","role":"driver","password":"long enough"}`)
	if code != 201 || a["role"] != "driver" || a["password_hash"] != nil {
		t.Fatalf("create: %d %v", code, a)
	}
	for _, c := range []struct{ body, path string }{
		{`{"username":"Li Na","role":"driver"}`, "username"},
		{`{"username":"li.na2","role":"boss"}`, "role"},
		{`{"username":"li.na3","role":"driver","password":"short"}`, "password"},
		{`{"username":"li.na4","role":"driver","extra":1}`, "extra"},
		{`{"username":"li.na","role":"driver"}`, "username"},
	} {
		code, out := e.as(t, accounts.RoleAdmin, "POST", "/v1/accounts", c.body)
		if code < 400 || code >= 500 || out["details"].(map[string]any)["path"] != c.path {
			t.Errorf("%s: %d %v, want 4xx at %s", c.body, code, out, c.path)
		}
	}
	code, up := e.as(t, accounts.RoleAdmin, "PUT", fmt.Sprintf("/v1/accounts/%v", a["id"]), `{"role":"dispatcher"}`)
	if code != 200 || up["role"] != "dispatcher" {
		t.Fatalf("update: %d %v", code, up)
	}
	resp, me := e.call(t, "POST", "/v1/auth/login", `{"username":"li.na","password":"long enough"}`)
	if resp.StatusCode != 200 || me["role"] != "dispatcher" || me["sees_personal_data"] != true {
		t.Fatalf("login as the new account: %d %v", resp.StatusCode, me)
	}
	// neither the password given at creation nor the one used to sign in is in the trail
	_, aud := e.as(t, accounts.RoleAdmin, "GET", "/v1/audit", "")
	raw, _ := json.Marshal(aud)
	if strings.Contains(string(raw), "long enough") || strings.Contains(string(raw), "argon2") || !strings.Contains(string(raw), `"route":"/v1/auth/login"`) {
		t.Fatalf("audit trail: %s", raw)
	}
	_, list := e.as(t, accounts.RoleAdmin, "GET", "/v1/accounts", "")
	if n := len(list["accounts"].([]any)); n != 1+len(accounts.Roles)+1 {
		t.Fatalf("%d accounts", n)
	}
}

// TestStopStatus: the assigned driver reports on their stops; another
// driver cannot; bad input names the field.
func TestStopStatus(t *testing.T) {
	e := newAuthEnv(t, auth.Config{})
	ctx := context.Background()
	d2, _ := e.st.CreateAccount(ctx, accounts.Account{Username: "driver-two", Role: accounts.RoleDriver})
	tok2, _, _ := accounts.Issue(ctx, e.st, d2.ID, accounts.KindToken, "", time.Hour, time.Now())
	code, out := e.as(t, accounts.RoleDispatcher, "POST", "/v1/optimize?time_limit=200ms", optimizeBody("the-driver"))
	if code != 200 {
		t.Fatalf("optimize: %d %v", code, out)
	}
	id := out["routes"].([]any)[0].(map[string]any)["route_list"].(string)
	path := "/v1/route-lists/" + id + "/stops/2/status"
	code, l := e.as(t, accounts.RoleDriver, "PUT", path, `{"status":"done"}`)
	if code != 200 || l["stops"].([]any)[1].(map[string]any)["status"] != "done" {
		t.Fatalf("report: %d %v", code, l)
	}
	if resp, _ := e.call(t, "PUT", path, `{"status":"failed"}`, bearer(tok2)); resp.StatusCode != 404 {
		t.Fatalf("another driver: %d", resp.StatusCode)
	}
	for body, want := range map[string]string{`{"status":"lost"}`: "status", `{"state":"done"}`: "state"} {
		if code, out := e.as(t, accounts.RoleDriver, "PUT", path, body); code/100 != 4 || out["details"].(map[string]any)["path"] != want {
			t.Errorf("%s: %d %v", body, code, out)
		}
	}
	if code, out := e.as(t, accounts.RoleDriver, "PUT", "/v1/route-lists/"+id+"/stops/99/status", `{"status":"done"}`); code != 404 || out["details"].(map[string]any)["path"] != "seq" {
		t.Errorf("stop 99: %d %v", code, out)
	}
	_, got := e.as(t, accounts.RoleDispatcher, "GET", "/v1/route-lists/"+id, "")
	if got["stops"].([]any)[1].(map[string]any)["status"] != "done" {
		t.Fatalf("dispatcher does not see the report: %v", got)
	}
}
