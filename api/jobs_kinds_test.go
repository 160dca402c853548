package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/jobs"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// TestShuttleJobsRunFromTheirArguments: a shuttle plan submitted to server
// A (?async=true) is stopped mid-solve when A's queue closes, publishes
// nothing, and server B (a new queue and handlers on the same store) runs
// it again from its arguments and publishes it (attempt 2); its answer on B
// is the stored version. A re-plan runs the same way, a cancelled plan
// publishes nothing, and no job record (arguments, progress, result) holds
// a rider's pseudonym or place: the jobs read the registry where they run
// and keep a reference to the version they stored.
func TestShuttleJobsRunFromTheirArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("solves for several seconds (-short)")
	}
	car, _ := demoNets(t)
	ctx := context.Background()
	st, err := memstore.OpenWith(filepath.Join(t.TempDir(), "store.json"), memstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := demo.Load(ctx, st, demo.Default()); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ListCompounds(ctx, nil)
	fs, _ := st.ListFacilities(ctx, zones.FacilityFilter{})
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	riders, err := shuttles.DemoRiders(shuttles.DemoDistrict{Compounds: cs, Facilities: fs}, monday, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRiders(ctx, riders); err != nil {
		t.Fatal(err)
	}
	serve := func() (*httptest.Server, *jobs.Local) {
		q := jobs.NewLocal(jobs.Options{Workers: 1, QueueSize: 4, Store: st})
		srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Queue: q,
			Extra: []func(gin.IRouter, *api.Handlers){api.ShuttleRoutes(car)}}))
		t.Cleanup(func() { srv.Close(); _ = q.Close(ctx) })
		return srv, q
	}
	waitFor := func(srv *httptest.Server, id, what string, cond func(j map[string]any) bool) map[string]any {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			code, j := do(t, srv, "GET", "/v1/jobs/"+id, "")
			if code == 200 && cond(j) {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 60 s (last: %d %v)", what, code, j)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	versions := func(srv *httptest.Server, date string) int {
		t.Helper()
		code, vs := do(t, srv, "GET", "/v1/shuttles/timetables/"+date+"/versions", "")
		if code != 200 {
			t.Fatalf("versions of %s: %d %v", date, code, vs)
		}
		return len(vs["versions"].([]any))
	}
	var ids []string

	a, qa := serve()
	code, j := do(t, a, "POST", "/v1/shuttles/plan?async=true&time_limit=4s", `{"date":"2026-11-30","van_count":6}`)
	if code != 202 || j["state"] == nil {
		t.Fatalf("plan on A: %d %v", code, j)
	}
	id := j["id"].(string)
	ids = append(ids, id)
	waitFor(a, id, "the plan solves on A", func(j map[string]any) bool { return j["progress"] != nil })
	if err := qa.Close(ctx); err != nil { // A stops mid-solve
		t.Fatal(err)
	}
	if n := versions(a, "2026-11-30"); n != 0 {
		t.Fatalf("the plan stopped on A published %d versions", n)
	}

	b, qb := serve()
	if requeued, failed, err := qb.Recover(ctx); err != nil || requeued != 1 || failed != 0 {
		t.Fatalf("B recovers: %d queued again, %d failed, %v", requeued, failed, err)
	}
	done := waitFor(b, id, "the plan ends on B", func(j map[string]any) bool { return j["state"] != "queued" && j["state"] != "running" })
	if done["state"] != "done" || done["attempt"] != 2.0 {
		t.Fatalf("plan on B: %v", done)
	}
	_, v1 := do(t, b, "GET", "/v1/shuttles/timetables/2026-11-30", "")
	if !reflect.DeepEqual(done["result"], any(v1)) || v1["version"] != 1.0 || versions(b, "2026-11-30") != 1 {
		t.Fatalf("the job's answer is not the stored version 1: %v", done["result"])
	}

	// a re-plan from 10:00 without the first van, submitted and run on B
	van := v1["vans"].([]any)[0].(map[string]any)["van"]
	code, j = do(t, b, "POST", "/v1/shuttles/timetables/2026-11-30/changes?async=true&time_limit=1s",
		fmt.Sprintf(`{"at":"10:00","changes":[{"kind":"van_out","van":%v}]}`, van))
	if code != 202 {
		t.Fatalf("changes on B: %d %v", code, j)
	}
	id = j["id"].(string)
	ids = append(ids, id)
	done = waitFor(b, id, "the re-plan ends", func(j map[string]any) bool { return j["state"] != "queued" && j["state"] != "running" })
	_, v2 := do(t, b, "GET", "/v1/shuttles/timetables/2026-11-30/versions/2", "")
	if done["state"] != "done" || !reflect.DeepEqual(done["result"], any(v2)) || v2["base_version"] != 1.0 {
		t.Fatalf("re-plan: %v", done)
	}

	// a plan cancelled while it solves publishes nothing
	code, j = do(t, b, "POST", "/v1/shuttles/plan?async=true&time_limit=20s", `{"date":"2026-12-01","van_count":6}`)
	if code != 202 {
		t.Fatalf("plan of 12-01: %d %v", code, j)
	}
	id = j["id"].(string)
	ids = append(ids, id)
	waitFor(b, id, "the 12-01 plan solves", func(j map[string]any) bool { return j["progress"] != nil })
	if code, c := do(t, b, "DELETE", "/v1/jobs/"+id, ""); code != 200 || c["state"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, c)
	}
	if _, err := qb.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the work returns after the cancel
	if n := versions(b, "2026-12-01"); n != 0 {
		t.Fatalf("a cancelled plan published %d versions", n)
	}

	// the records keep no rider's data
	for _, id := range ids {
		rec, err := st.GetJob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(rec)
		for _, r := range riders {
			for _, s := range []string{r.Pseudonym, r.Boarding.Label} {
				if s != "" && strings.Contains(string(raw), s) {
					t.Fatalf("job %s (%s) keeps %q of rider %d: %s", id, rec.Kind, s, r.ID, raw)
				}
			}
		}
		if strings.Contains(string(raw), "pseudonym") {
			t.Fatalf("job %s keeps riders: %s", id, raw)
		}
	}
}
