package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/accounts"
	"lifeline/data/postgis"
)

// This file starts `lifeline serve` processes on one PostGIS schema (the
// replicas of issue 11). The helpers: pgSchema makes a fresh schema with
// the migrations applied and an admin token, schemaURL points a server at
// it, buildBinary and startProc run the real binary.

func pgTestURL() string {
	if u := os.Getenv("LIFELINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema creates a fresh schema (dropped at cleanup) with every
// migration applied and an admin account "e2e-admin", and returns its name
// and a token of that account. It skips without a database unless
// LIFELINE_REQUIRE_DB=1.
func pgSchema(t *testing.T) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var b [6]byte
	rand.Read(b[:])
	schema := "lifeline_replicas_" + hex.EncodeToString(b[:])
	st, err := postgis.Open(ctx, pgTestURL(), postgis.WithSchema(schema), postgis.WithoutZoneIndex())
	if err != nil {
		msg := "PostGIS test database unavailable at " + pgTestURL() + ": " + err.Error()
		if os.Getenv("LIFELINE_REQUIRE_DB") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (LIFELINE_REQUIRE_DB=1 makes this a failure)")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgTestURL())
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	defer st.Close()
	a, err := st.CreateAccount(ctx, accounts.Account{Username: "e2e-admin", Role: accounts.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := accounts.Issue(ctx, st, a.ID, accounts.KindToken, "tests", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return schema, secret
}

// schemaURL is the test database URL with the schema first on the search
// path (PostGIS stays reachable in public).
func schemaURL(t *testing.T, schema string) string {
	u, err := url.Parse(pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c search_path="+schema+",public")
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads '+' as itself
	return u.String()
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds cmd/lifeline once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lifeline-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "lifeline")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startProc runs `lifeline serve` as a process on loopback with env added
// to the test's, registers token for its URL, and returns the URL; the
// process is killed at cleanup (or by kill).
func startProc(t *testing.T, token string, env []string, args ...string) (base string, kill func()) {
	t.Helper()
	bin := buildBinary(t)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"LIFELINE_DISTRICT=synthetic", "LIFELINE_LOG_LEVEL=warn"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	kill = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(func() {
		kill()
		if t.Failed() {
			t.Logf("server %s log:\n%s", base, logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`serving on (http://\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case base = <-found:
	case err := <-exited:
		exited <- err
		t.Fatalf("lifeline serve stopped at start (%v):\n%s", err, logs.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("lifeline serve did not start within 90 s:\n%s", logs.String())
	}
	testTokens.Store(base, token)
	return base, kill
}

// sealAround returns a GeoJSON sealed zone of ±d degrees around (x, y).
func sealAround(x, y, d float64, name string) string {
	return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]},
		"properties":{"kind":"sealed","name":%q,"effective_from":"2026-01-01T00:00:00Z","reason":"replica test"}}`,
		x-d, y-d, x+d, y-d, x+d, y+d, x-d, y+d, x-d, y-d, name)
}

// routeCrosses reports whether a /v1/route answer's line has a vertex in
// the box of ±d around (x, y).
func routeCrosses(route map[string]any, x, y, d float64) bool {
	g, _ := route["geometry"].(map[string]any)
	cs, _ := g["coordinates"].([]any)
	for _, c := range cs {
		p := c.([]any)
		if px, py := p[0].(float64), p[1].(float64); px > x-d && px < x+d && py > y-d && py < y+d {
			return true
		}
	}
	return false
}

// TestReplicasSealedZoneReroutes starts two `lifeline serve` processes, A
// and B, on one PostGIS schema: a sealed zone drawn on A closes its
// streets in B's road engine within 5 s (LISTEN/NOTIFY, not the minute's
// poll), five times in a row (each seal on the route B answered last),
// and B's look-ups see each zone as soon as B's routes do. Logs the
// median time from sending the POST to A to B's rerouted answer.
func TestReplicasSealedZoneReroutes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers (-short)")
	}
	schema, token := pgSchema(t)
	env := []string{"DATABASE_URL=" + schemaURL(t, schema)}
	a, _ := startProc(t, token, env, "--demo=false")
	b, _ := startProc(t, token, env, "--demo=false")
	routeURL := b + "/v1/route?from=104.06,30.64&to=104.08,30.66"
	const d = 0.0012
	var took, posted []time.Duration
	for i := range 5 {
		code, before := getJSON(t, "GET", routeURL, "")
		if code != 200 {
			t.Fatalf("route on B: %d %v", code, before)
		}
		cs := before["geometry"].(map[string]any)["coordinates"].([]any)
		mid := cs[len(cs)/2].([]any)
		x, y := mid[0].(float64), mid[1].(float64)
		start := time.Now()
		code, z := getJSON(t, "POST", a+"/v1/zones", sealAround(x, y, d, fmt.Sprintf("seal %d", i)))
		if code != 201 {
			t.Fatalf("create zone on A: %d %v", code, z)
		}
		posted = append(posted, time.Since(start))
		for {
			_, after := getJSON(t, "GET", routeURL, "")
			if !routeCrosses(after, x, y, d) {
				took = append(took, time.Since(start))
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("seal %d drawn on A: B's route still crosses it after 5 s", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		code, lk := getJSON(t, "GET", fmt.Sprintf("%s/v1/lookup?lon=%f&lat=%f", b, x, y), "")
		if code != 200 || lk["kind"] != "sealed" {
			t.Fatalf("look-up on B inside seal %d: %d %v", i, code, lk)
		}
	}
	slices.Sort(took)
	slices.Sort(posted)
	t.Logf("sealed zone POSTed on A (answered in median %v) -> B's route avoids it: median %v, max %v after the POST was sent (5 seals, synthetic district)",
		posted[2].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}
