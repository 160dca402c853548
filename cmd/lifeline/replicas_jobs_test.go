package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replicas of issue 11 sharing jobs and route lists: real `lifeline serve`
// processes on one PostGIS schema (helpers in replicas_test.go).

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
// processes, A and B, on one PostGIS schema holding the synthetic demo
// district and riders: a job submitted to A is watched (progress) and
// cancelled on B; a shuttle plan submitted to A (?async=true) runs on B
// from the job's arguments, is watched on B, and its answer is the
// timetable A serves, while the job's row keeps no rider's data; a route
// list made on A is served by B and a driver's report on B is read on A; A
// is killed (SIGKILL) in the middle of a solve and the job still ends, on
// B. Logs how long B took to take over the job and to finish it.
func TestReplicasShareJobsAndRouteLists(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers (-short)")
	}
	schema, token := pgSchema(t)
	seedDemo(t, schema)
	buildBinary(t) // build before the clock of the test starts
	env := []string{"LIFELINE_JOB_ORPHAN_AFTER=3s"}
	start := time.Now()
	a := startReplica(t, schema, token, env...)
	problem := matrixProblem(40)

	// the job A will die under: A is the only replica, so it runs there
	code, long := getJSON(t, "POST", a.Base+"/v1/optimize?async=true&time_limit=20s", problem)
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
	for _, r := range []*server{a, b} {
		if code, g := getJSON(t, "GET", r.Base+"/v1/jobs/"+id1, ""); code != 200 || g["state"] != "cancelled" || g["result"] != nil {
			t.Fatalf("cancelled job on %s: %d %v", r.Base, code, g)
		}
	}

	// a shuttle plan submitted to A (busy: B runs it), watched on B; its
	// answer is the version A serves
	date := shuttleDate(time.Now())
	code, sp := getJSON(t, "POST", a.Base+"/v1/shuttles/plan?async=true&time_limit=2s", fmt.Sprintf(`{"date":%q,"van_count":4,"max_code_age_days":0}`, date))
	if code != 202 {
		t.Fatalf("shuttle plan on A: %d %v", code, sp)
	}
	spID := sp["id"].(string)
	waitJob(t, b.Base, spID, "shuttle plan runs (seen on B)", 20*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	spDone, _ := waitJob(t, b.Base, spID, "shuttle plan ends (seen on B)", 60*time.Second, func(j map[string]any) bool {
		return j["state"] != "queued" && j["state"] != "running"
	})
	res, _ := spDone["result"].(map[string]any)
	code, onA := getJSON(t, "GET", a.Base+"/v1/shuttles/timetables/"+date, "")
	if spDone["state"] != "done" || code != 200 || !reflect.DeepEqual(res, onA) || onA["version"] != 1.0 || onA["trips"].(float64) == 0 {
		t.Fatalf("shuttle plan of %s: job %v; on A: %d version %v trips %v", date, spDone["state"], code, onA["version"], onA["trips"])
	}
	checkJobRow(t, schema, spID, b, riderNames(t, a.Base))
	t.Logf("shuttle plan of %s submitted to A, run on B: %v trips, %v planned", date, onA["trips"], onA["planned"])

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
	done, _ := waitJob(t, b.Base, longID, "the job ends on B", 45*time.Second, func(j map[string]any) bool { return j["state"] != "running" })
	if done["state"] != "done" || done["result"] == nil {
		t.Fatalf("long job after A died: %v", done)
	}
	t.Logf("A killed mid-solve: B ran the job again %v after the kill (orphan-after 3 s), finished it %v after the kill (20 s solve); whole test %v",
		took.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), time.Since(start).Round(time.Second))
}

// shuttleDate is the district's day of now, or the Monday after when it is
// a Sunday (no dialysis sessions).
func shuttleDate(now time.Time) string {
	d := now.In(time.FixedZone("CST", 8*3600))
	if d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

// riderNames lists the riders' pseudonyms and boarding places (GET
// /v1/riders as admin).
func riderNames(t *testing.T, base string) []string {
	t.Helper()
	code, rs := getJSON(t, "GET", base+"/v1/riders?limit=1000", "")
	if code != 200 {
		t.Fatalf("riders: %d %v", code, rs)
	}
	var out []string
	for _, r := range rs["riders"].([]any) {
		r := r.(map[string]any)
		out = append(out, r["pseudonym"].(string))
	}
	if len(out) == 0 {
		t.Fatal("no riders in the registry")
	}
	return out
}

// checkJobRow reads job id's row: replica r ran it (the node name holds
// its pid), and its arguments, progress and result name none of the riders.
func checkJobRow(t *testing.T, schema, id string, r *server, names []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDBURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var node, row string
	if err := conn.QueryRow(ctx, `SELECT node, concat_ws(' ', args::text, progress::text, result::text) FROM `+
		pgx.Identifier{schema, "jobs"}.Sanitize()+` WHERE id = $1`, id).Scan(&node, &row); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(node, fmt.Sprintf("-%d-", r.cmd.Process.Pid)) {
		t.Fatalf("job %s ran on %q, not on %s (pid %d)", id, node, r.Base, r.cmd.Process.Pid)
	}
	for _, n := range append(names, "pseudonym") {
		if strings.Contains(row, n) {
			t.Fatalf("job %s's row names %q: %s", id, n, row)
		}
	}
}
