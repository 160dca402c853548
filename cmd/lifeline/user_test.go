package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeline/accounts"
	"lifeline/data/memstore"
)

// testTokens maps a test server's base URL to its admin token.
var testTokens sync.Map

// seedAdminToken gives the embedded store in dataDir the admin account
// "e2e-admin" (once) and a fresh token for it.
func seedAdminToken(t *testing.T, dataDir string) string {
	t.Helper()
	ctx := context.Background()
	st, err := memstore.Open(filepath.Join(dataDir, "store.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.GetAccountByUsername(ctx, "e2e-admin")
	if errors.Is(err, accounts.ErrNotFound) {
		a, err = st.CreateAccount(ctx, accounts.Account{Username: "e2e-admin", Role: accounts.RoleAdmin})
	}
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := accounts.Issue(ctx, st, a.ID, accounts.KindToken, "tests", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// authorize adds the admin token of the test server that req goes to.
func authorize(req *http.Request) {
	if req.Header.Get("Authorization") != "" {
		return
	}
	base := req.URL.Scheme + "://" + req.URL.Host
	if tok, ok := testTokens.Load(base); ok {
		req.Header.Set("Authorization", "Bearer "+tok.(string))
	}
}

// authTransport authorises every request (for tests with their own client).
type authTransport struct{ base http.RoundTripper }

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	authorize(r)
	return a.base.RoundTrip(r)
}

func rawCall(t *testing.T, method, u, body string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp, m
}

// TestServeRequiresAccount: the real server refuses /v1 without
// credentials, keeps health probes and the static pages open, prints a
// one-time admin link that works once, comes with the demo accounts, and
// refuses the cross-site lift of the issue. A full run's debug log holds
// none of the patient details sent to the optimiser.
func TestServeRequiresAccount(t *testing.T) {
	dir := t.TempDir()
	// no seeded admin here: the first start must make one
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "debug", "--district", "synthetic"}, out, logs, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	re := regexp.MustCompile(`serving on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatal("no URL")
		}
	}
	for _, p := range []string{"/v1/zones", "/v1/lookup?lon=104.07&lat=30.65", "/v1/route-lists/1234567890", "/v1/auth/me", "/v1/audit"} {
		if resp, m := rawCall(t, "GET", base+p, "", nil); resp.StatusCode != 401 || m["code"] != "unauthenticated" {
			t.Errorf("GET %s without credentials: %d %v", p, resp.StatusCode, m)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/", "/signin.html", "/signin.js", "/admin.html"} {
		resp, _ := rawCall(t, "GET", base+p, "", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d %v", p, resp.StatusCode, resp.Header)
		}
	}
	// the one-time link from the log signs the admin in, once
	m := regexp.MustCompile(`signin\.html#link=([A-Za-z0-9_-]+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no sign-in link in the log:\n%s", logs.String())
	}
	body := fmt.Sprintf(`{"link":%q}`, m[1])
	resp, me := rawCall(t, "POST", base+"/v1/auth/login", body, map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 200 || me["username"] != "admin" || me["role"] != "admin" {
		t.Fatalf("link sign-in: %d %v", resp.StatusCode, me)
	}
	if resp, _ := rawCall(t, "POST", base+"/v1/auth/login", body, nil); resp.StatusCode != 401 {
		t.Fatalf("second use of the link: %d", resp.StatusCode)
	}
	// demo accounts: sign in as each and check one allowed and one refused call
	login := func(user string) string {
		resp, m := rawCall(t, "POST", base+"/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, user), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("login %s: %d %v", user, resp.StatusCode, m)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "lifeline_session" {
				return c.Name + "=" + c.Value
			}
		}
		t.Fatalf("login %s: no cookie", user)
		return ""
	}
	cookies := map[string]string{}
	for _, d := range accounts.DemoAccounts {
		cookies[d.Username] = login(d.Username)
	}
	if resp, _ := rawCall(t, "GET", base+"/v1/zones", "", map[string]string{"Cookie": cookies["demo-viewer"]}); resp.StatusCode != 200 {
		t.Fatalf("viewer reads zones: %d", resp.StatusCode)
	}
	if resp, _ := rawCall(t, "GET", base+"/v1/zones", "", map[string]string{"Cookie": cookies["demo-driver"]}); resp.StatusCode != 403 {
		t.Fatalf("driver reads zones: %d", resp.StatusCode)
	}
	// the cross-site lift of the issue
	resp, zs := rawCall(t, "GET", base+"/v1/zones", "", map[string]string{"Cookie": cookies["demo-planner"]})
	list := zs["zones"].([]any)
	if len(list) == 0 {
		t.Fatalf("demo zones: %d %v", resp.StatusCode, zs)
	}
	zid := list[0].(map[string]any)["id"]
	resp, m2 := rawCall(t, "POST", fmt.Sprintf("%s/v1/zones/%v/lift", base, zid), "{}", map[string]string{"Cookie": cookies["demo-planner"],
		"Origin": "https://evil.example", "Content-Type": "text/plain"})
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site lift: %d %v", resp.StatusCode, m2)
	}
	// patient details go to the optimiser and the driver, never to the log
	const patient = "Zhao Lanying"
	const phone = "13700001111"
	opt := `{"vehicles":[{"id":1,"start":[104.06,30.64],"end":[104.06,30.64],"driver":"demo-driver"}],
	  "jobs":[{"id":1,"location":[104.07,30.65],"description":"` + patient + ` ` + phone + ` 3 Jinli Rd"},{"id":2,"location":[104.075,30.655]}]}`
	resp, sol := rawCall(t, "POST", base+"/v1/optimize?time_limit=300ms", opt, map[string]string{"Cookie": cookies["demo-dispatcher"], "Content-Type": "application/json"})
	if resp.StatusCode != 200 {
		t.Fatalf("optimize: %d %v", resp.StatusCode, sol)
	}
	routes, _ := sol["routes"].([]any)
	if len(routes) == 0 {
		t.Fatalf("optimize planned no route: %v", sol)
	}
	code := routes[0].(map[string]any)["route_list"].(string)
	resp, l := rawCall(t, "GET", base+"/v1/route-lists/"+code, "", map[string]string{"Cookie": cookies["demo-driver"]})
	raw, _ := json.Marshal(l)
	if resp.StatusCode != 200 || bytes.Contains(raw, []byte("Lanying")) {
		t.Fatalf("driver's list: %d %s", resp.StatusCode, raw)
	}
	resp, l = rawCall(t, "GET", base+"/v1/route-lists/"+code, "", map[string]string{"Cookie": cookies["demo-dispatcher"]})
	raw, _ = json.Marshal(l)
	if resp.StatusCode != 200 || !bytes.Contains(raw, []byte(patient)) {
		t.Fatalf("dispatcher's view: %d %s", resp.StatusCode, raw)
	}
	rawCall(t, "GET", base+"/v1/audit", "", map[string]string{"Cookie": cookies["demo-admin"]})
	time.Sleep(50 * time.Millisecond)
	if !strings.Contains(logs.String(), "/v1/optimize") {
		t.Fatal("the debug log does not show the requests: the grep below would prove nothing")
	}
	for _, s := range []string{patient, "Lanying", phone, "Jinli", m[1]} {
		if strings.Contains(logs.String(), s) && s != m[1] {
			t.Errorf("the log holds %q", s)
		}
	}
	if n := strings.Count(logs.String(), m[1]); n != 1 {
		t.Errorf("the sign-in link appears %d times in the log, want once (its announcement)", n)
	}
}

// TestUserCommand: add, list, token, link and revoke on the embedded store.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	env := func(string) string { return "" }
	var out bytes.Buffer
	// flags go before the username (Go's flag package stops at it)
	user := func(args ...string) error {
		out.Reset()
		a := append([]string{"user", args[0], "--data-dir", dir}, args[1:]...)
		return run(ctx, a, &out, io.Discard, env)
	}
	if err := user("add", "--role", "driver", "li.na"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created account li.na") || !strings.Contains(out.String(), "password (shown once): ") {
		t.Fatalf("add: %s", out.String())
	}
	if err := user("add", "--role", "boss", "x.y"); err == nil {
		t.Fatal("bad role accepted")
	}
	if err := user("add", "--role", "driver", "li.na"); err == nil {
		t.Fatal("duplicate accepted")
	}
	if err := user("token", "--ttl", "1h", "li.na"); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out.String()[strings.LastIndex(strings.TrimSpace(out.String()), "\n"):])
	st, _ := memstore.Open(filepath.Join(dir, "store.json"))
	c, a, err := st.CredentialByHash(ctx, accounts.HashSecret(tok))
	st.Close()
	if err != nil || a.Username != "li.na" || c.Kind != accounts.KindToken {
		t.Fatalf("token %q: %+v %+v %v", tok, c, a, err)
	}
	if err := user("link", "li.na"); err != nil || !strings.Contains(out.String(), "/signin.html#link=") {
		t.Fatalf("link: %v %s", err, out.String())
	}
	if err := user("revoke", "li.na"); err != nil {
		t.Fatal(err)
	}
	if err := user("list"); err != nil || !strings.Contains(out.String(), "li.na") || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("list: %v %s", err, out.String())
	}
	st, _ = memstore.Open(filepath.Join(dir, "store.json"))
	defer st.Close()
	c, _, _ = st.CredentialByHash(ctx, accounts.HashSecret(tok))
	if c.Valid(time.Now()) {
		t.Fatal("token valid after revoke")
	}
	es, _ := st.ListAudit(ctx, accounts.AuditFilter{})
	if len(es) != 4 {
		t.Fatalf("audit entries from the CLI: %+v", es)
	}
}
