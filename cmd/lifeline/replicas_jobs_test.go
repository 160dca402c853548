package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/accounts"
	"lifeline/data/postgis"
)

// Replicas of issue 11 sharing jobs and route lists: real `lifeline serve`
// processes on one PostGIS schema (--database-schema). The helpers
// (replicaSchema, startReplica) are for any test that needs several
// replicas.

func replicaDBURL() string {
	if u := os.Getenv("LIFELINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// replicaSchema creates a fresh schema (dropped at cleanup) with every
// migration applied (River's too) and an admin account, and returns the
// schema and a token of that account. It skips without a database unless
// LIFELINE_REQUIRE_DB=1.
func replicaSchema(t *testing.T) (schema, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "lifeline_rep_" + hex.EncodeToString(b[:])
	st, err := postgis.Open(ctx, replicaDBURL(), postgis.WithSchema(schema))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, replicaDBURL()); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			conn.Close(ctx)
		}
	})
	if err != nil {
		msg := "PostGIS test database unavailable at " + replicaDBURL() + ": " + err.Error()
		if os.Getenv("LIFELINE_REQUIRE_DB") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (LIFELINE_REQUIRE_DB=1 makes this a failure)")
	}
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

var (
	replicaBinOnce sync.Once
	replicaBin     string
	replicaBinErr  error
)

// replicaBinary builds cmd/lifeline once per test process.
func replicaBinary(t *testing.T) string {
	t.Helper()
	replicaBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lifeline-replica-")
		if err != nil {
			replicaBinErr = err
			return
		}
		replicaBin = filepath.Join(dir, "lifeline")
		if out, err := exec.Command("go", "build", "-o", replicaBin, ".").CombinedOutput(); err != nil {
			replicaBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if replicaBinErr != nil {
		t.Fatal(replicaBinErr)
	}
	return replicaBin
}

// replica is a running `lifeline serve` process.
type replica struct {
	Base string
	logs *lockedBuffer
	cmd  *exec.Cmd
	once sync.Once
	done chan error
}

// Kill sends SIGKILL and waits for the process to end.
func (r *replica) Kill() {
	r.once.Do(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
	})
}

// startReplica runs `lifeline serve --database-url ... --database-schema
// schema` on a loopback port (synthetic district, no demo data, one solve
// worker) with env added, registers token for its URL, and returns it once
// it serves; it is killed at cleanup.
func startReplica(t *testing.T, schema, token string, env ...string) *replica {
	t.Helper()
	cmd := exec.Command(replicaBinary(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--database-url", replicaDBURL(), "--database-schema", schema, "--demo=false")
	cmd.Env = append(os.Environ(), append([]string{"LIFELINE_DISTRICT=synthetic", "LIFELINE_LOG_LEVEL=warn", "LIFELINE_SOLVE_WORKERS=1"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{logs: &lockedBuffer{}, cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = r.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		r.Kill()
		if t.Failed() {
			t.Logf("replica %s log:\n%s", r.Base, r.logs.String())
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
	case r.Base = <-found:
	case err := <-r.done:
		r.done <- err
		t.Fatalf("lifeline serve stopped at start (%v):\n%s", err, r.logs.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("lifeline serve did not start within 90 s:\n%s", r.logs.String())
	}
	testTokens.Store(r.Base, token)
	return r
}

// matrixProblem is a VROOM problem with its own matrix: n jobs on a ring
// of n+1 places, 3 vehicles from place 0 (a search that uses its whole
// time limit).
func matrixProblem(n int) string {
	pos := func(i int) float64 { return float64((i*7919)%97) * 13 }
	rows := make([]string, n+1)
	for i := range rows {
		cells := make([]string, n+1)
		for j := range cells {
			d := pos(i) - pos(j)
			if d < 0 {
				d = -d
			}
			cells[j] = fmt.Sprint(int(d) + 30*min(1, (i-j)*(i-j)))
		}
		rows[i] = "[" + strings.Join(cells, ",") + "]"
	}
	var js []string
	for i := 1; i <= n; i++ {
		js = append(js, fmt.Sprintf(`{"id":%d,"location_index":%d,"service":60,"delivery":[1],"description":"stop %d"}`, i, i, i))
	}
	return fmt.Sprintf(`{"vehicles":[{"id":1,"start_index":0,"end_index":0,"capacity":[%d]},{"id":2,"start_index":0,"end_index":0,"capacity":[%d]},
		{"id":3,"start_index":0,"end_index":0,"capacity":[%d]}],"jobs":[%s],"matrices":{"car":{"durations":[%s]}}}`,
		n/2, n/2, n/2, strings.Join(js, ","), strings.Join(rows, ","))
}

// waitJob polls GET /v1/jobs/{id} on base until cond holds or d passes.
func waitJob(t *testing.T, base, id, what string, d time.Duration, cond func(j map[string]any) bool) (map[string]any, time.Duration) {
	t.Helper()
	t0 := time.Now()
	for {
		code, j := getJSON(t, "GET", base+"/v1/jobs/"+id, "")
		if code == 200 && cond(j) {
			return j, time.Since(t0)
		}
		if time.Since(t0) > d {
			t.Fatalf("%s: not within %s (last: %d %v)", what, d, code, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicasShareJobsAndRouteLists starts two `lifeline serve`
// processes, A and B, on one PostGIS schema: a job submitted to A is
// watched (progress) and cancelled on B; a route list made on A is served
// by B and a driver's report on B is read on A; A is killed (SIGKILL) in
// the middle of a solve and the job still ends, on B. Logs how long B took
// to take over the job and to finish it.
func TestReplicasShareJobsAndRouteLists(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers (-short)")
	}
	schema, token := replicaSchema(t)
	replicaBinary(t) // build before the clock of the test starts
	env := []string{"LIFELINE_JOB_ORPHAN_AFTER=3s"}
	start := time.Now()
	a := startReplica(t, schema, token, env...)
	problem := matrixProblem(40)

	// the job A will die under: A is the only replica, so it runs there
	code, long := getJSON(t, "POST", a.Base+"/v1/optimize?async=true&time_limit=12s", problem)
	if code != 202 {
		t.Fatalf("submit on A: %d %v", code, long)
	}
	longID := long["id"].(string)
	waitJob(t, a.Base, longID, "long job running on A", 10*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	b := startReplica(t, schema, token, env...)

	// a job submitted to A (B runs it: A is busy), watched and cancelled on B
	code, j1 := getJSON(t, "POST", a.Base+"/v1/optimize?async=true&time_limit=30s", problem)
	if code != 202 {
		t.Fatalf("submit on A: %d %v", code, j1)
	}
	id1 := j1["id"].(string)
	waitJob(t, b.Base, id1, "progress on B", 10*time.Second, func(j map[string]any) bool { return j["progress"] != nil })
	code, c := getJSON(t, "DELETE", b.Base+"/v1/jobs/"+id1, "")
	if code != 200 || c["state"] != "cancelled" {
		t.Fatalf("cancel on B: %d %v", code, c)
	}
	time.Sleep(300 * time.Millisecond)
	for _, r := range []*replica{a, b} {
		if code, g := getJSON(t, "GET", r.Base+"/v1/jobs/"+id1, ""); code != 200 || g["state"] != "cancelled" || g["result"] != nil {
			t.Fatalf("cancelled job on %s: %d %v", r.Base, code, g)
		}
	}

	// a route list made on A is served by B; a report on B is read on A
	code, plan := getJSON(t, "POST", a.Base+"/v1/optimize?time_limit=500ms", matrixProblem(6))
	if code != 200 {
		t.Fatalf("sync optimize on A: %d %v", code, plan)
	}
	list := plan["routes"].([]any)[0].(map[string]any)["route_list"].(string)
	code, onB := getJSON(t, "GET", b.Base+"/v1/route-lists/"+list, "")
	if code != 200 || len(onB["stops"].([]any)) < 3 {
		t.Fatalf("route list %s on B: %d %v", list, code, onB)
	}
	if code, r := getJSON(t, "PUT", b.Base+"/v1/route-lists/"+list+"/stops/2/status", `{"status":"done"}`); code != 200 {
		t.Fatalf("report on B: %d %v", code, r)
	}
	if _, onA := getJSON(t, "GET", a.Base+"/v1/route-lists/"+list, ""); onA["stops"].([]any)[1].(map[string]any)["status"] != "done" {
		t.Fatalf("report on B not seen on A: %v", onA["stops"])
	}

	// A dies in the middle of the long solve: B takes it over and ends it
	if _, g := getJSON(t, "GET", b.Base+"/v1/jobs/"+longID, ""); g["state"] != "running" {
		t.Fatalf("long job before the kill: %v", g)
	}
	killed := time.Now()
	a.Kill()
	_, took := waitJob(t, b.Base, longID, "B takes the job over", 15*time.Second, func(j map[string]any) bool {
		return j["state"] == "running" && j["attempt"] == 2.0
	})
	done, _ := waitJob(t, b.Base, longID, "the job ends on B", 30*time.Second, func(j map[string]any) bool { return j["state"] != "running" })
	if done["state"] != "done" || done["result"] == nil {
		t.Fatalf("long job after A died: %v", done)
	}
	t.Logf("A killed mid-solve: B ran the job again %v after the kill (orphan-after 3 s), finished it %v after the kill (12 s solve); whole test %v",
		took.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), time.Since(start).Round(time.Second))
}
