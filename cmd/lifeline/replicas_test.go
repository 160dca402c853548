package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/accounts"
	"lifeline/data/demo"
	"lifeline/data/postgis"
)

// This file and replicas_jobs_test.go start real `lifeline serve`
// processes: the replicas of issue 11 on one PostGIS schema, and any test
// that needs a server. The helpers: pgSchema makes a fresh schema with
// every migration applied (River's too) and an admin token, seedDemo loads
// the synthetic demo district and riders into it, buildBinary builds the
// binary once, startServer runs it on loopback and startReplica runs one
// on a schema.

func testDBURL() string {
	if u := os.Getenv("LIFELINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openSchema opens the store on schema, skipping the test without a
// database unless LIFELINE_REQUIRE_DB=1.
func openSchema(t *testing.T, ctx context.Context, schema string) *postgis.Store {
	t.Helper()
	st, err := postgis.Open(ctx, testDBURL(), postgis.WithSchema(schema), postgis.WithoutZoneIndex())
	if err != nil {
		msg := "PostGIS test database unavailable at " + testDBURL() + ": " + err.Error()
		if os.Getenv("LIFELINE_REQUIRE_DB") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (LIFELINE_REQUIRE_DB=1 makes this a failure)")
	}
	return st
}

// pgSchema creates a fresh schema (dropped at cleanup) with every
// migration applied and an admin account "e2e-admin", and returns its name
// and a token of that account. It skips without a database unless
// LIFELINE_REQUIRE_DB=1.
func pgSchema(t *testing.T) (schema, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "lifeline_rep_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDBURL())
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	st := openSchema(t, ctx, schema)
	defer st.Close()
	a, err := st.CreateAccount(ctx, accounts.Account{Username: "e2e-admin", Role: accounts.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err = accounts.Issue(ctx, st, a.ID, accounts.KindToken, "tests", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return schema, token
}

// seedDemo loads the synthetic demo district and the demo riders' registry
// (for the week of now) into schema, without the demo's deliveries (whose
// scheduled cut-offs would take the servers' solve workers).
func seedDemo(t *testing.T, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	st := openSchema(t, ctx, schema)
	defer st.Close()
	d, err := defaultDistrict(DistrictSynthetic)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(ctx, st, d); err != nil {
		t.Fatal(err)
	}
	if err := loadDemoRiders(ctx, st, time.Now(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
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
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is a running `lifeline serve` process.
type server struct {
	Base string
	logs *lockedBuffer
	cmd  *exec.Cmd
	once sync.Once
	done chan error
}

// Kill sends SIGKILL and waits for the process to end.
func (s *server) Kill() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// startServer runs `lifeline serve` on a loopback port (synthetic
// district, a fresh data dir, then args) with env added to the test's,
// registers token for its URL, and returns it once it serves; it is
// killed at cleanup, its log shown if the test failed.
func startServer(t *testing.T, token string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(buildBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"LIFELINE_DISTRICT=synthetic", "LIFELINE_LOG_LEVEL=warn"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{logs: &lockedBuffer{}, cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("server %s log:\n%s", s.Base, s.logs.String())
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
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s.Base = <-found:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("lifeline serve stopped at start (%v):\n%s", err, s.logs.String())
	case <-time.After(120 * time.Second):
		t.Fatalf("lifeline serve did not start within 120 s:\n%s", s.logs.String())
	}
	testTokens.Store(s.Base, token)
	return s
}

// pgArgs are the arguments of a server on schema.
func pgArgs(schema string) []string {
	return []string{"--database-url", testDBURL(), "--database-schema", schema}
}

// startReplica runs a server on schema with no demo data and one solve
// worker, env added.
func startReplica(t *testing.T, schema, token string, env ...string) *server {
	t.Helper()
	return startServer(t, token, append([]string{"LIFELINE_SOLVE_WORKERS=1"}, env...), append(pgArgs(schema), "--demo=false")...)
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
	a := startServer(t, token, nil, append(pgArgs(schema), "--demo=false")...).Base
	b := startServer(t, token, nil, append(pgArgs(schema), "--demo=false")...).Base
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
