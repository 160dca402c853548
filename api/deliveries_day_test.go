package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/data/postgis"
	"lifeline/jobs"
	"lifeline/routing/deliveries"
	"lifeline/zones"
)

// dayStore opens the store of a day test; calling it again after the
// previous one is closed reopens the same data (a restart).
type dayStore func(t *testing.T) zones.Store

func memDayStore(t *testing.T) dayStore {
	dir := t.TempDir()
	return func(t *testing.T) zones.Store {
		s, err := memstore.OpenWith(filepath.Join(dir, "store.json"), memstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func pgDayStore(t *testing.T) dayStore {
	url := os.Getenv("LIFELINE_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "lifeline_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, url); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			conn.Close(ctx)
		}
	})
	return func(t *testing.T) zones.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := postgis.Open(ctx, url, postgis.WithSchema(schema), postgis.WithMaxConns(4))
		if err != nil {
			if os.Getenv("LIFELINE_REQUIRE_DB") == "1" {
				t.Fatalf("PostGIS: %v", err)
			}
			t.Skipf("PostGIS not available (set LIFELINE_REQUIRE_DB=1 to fail): %v", err)
		}
		return s
	}
}

// dayServer is one run of the server over a store.
type dayServer struct {
	srv   *httptest.Server
	store zones.Store
	queue *jobs.Local
}

func startDay(t *testing.T, open dayStore, now func() time.Time, load bool) *dayServer {
	t.Helper()
	st := open(t)
	if load {
		if err := demo.Load(context.Background(), st, demo.Default()); err != nil {
			t.Fatal(err)
		}
	}
	car, _ := demoNets(t)
	q := jobs.NewLocal(jobs.Options{Workers: 1, QueueSize: 4, MaxJobs: 100})
	h := api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Queue: q, Now: now,
		Extra: []func(r gin.IRouter, h *api.Handlers){api.RoadRoutes(car, nil), api.DeliveryRoutes(car, api.DeliveryOptions{})}})
	return &dayServer{srv: httptest.NewServer(h), store: st, queue: q}
}

func (d *dayServer) stop(t *testing.T) {
	d.srv.Close()
	_ = d.queue.Close(context.Background())
	if err := d.store.Close(); err != nil {
		t.Fatal(err)
	}
}

func (d *dayServer) call(t *testing.T, method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, d.srv.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, m, resp.Header
}

func TestDeliveryDayMemstore(t *testing.T) { deliveryDay(t, memDayStore(t)) }
func TestDeliveryDayPostGIS(t *testing.T)  { deliveryDay(t, pgDayStore(t)) }

// deliveryDay runs a whole day through the real HTTP API: requests posted
// (each twice: a retry creates nothing), a repeated call flagged as a
// duplicate, a batch file imported twice, a cut planned on the road network
// (every leg through the checker), drivers' reports on leg 1 with a
// retried report and a failed stop, a restart of the server (store
// closed and reopened), leg 2 reported, volunteers' deliveries, and at
// every step a reconciliation whose counts balance; at the end every
// request is delivered or failed with a reason, through legal states only.
// Then late calls cut too late to be served that day go back to the queue
// (nothing left behind), the next morning's cut takes them first, and
// both days' reconciliations balance.
func deliveryDay(t *testing.T, open dayStore) {
	var mu sync.Mutex
	clock := time.Date(2026, 12, 2, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	const date = "2026-12-02"

	s := startDay(t, open, now, true)
	ctx := context.Background()
	cs, _ := s.store.ListCompounds(ctx, nil)
	fs, _ := s.store.ListFacilities(ctx, zones.FacilityFilter{})
	district := deliveries.NewDistrict(cs, fs)
	reqs, err := deliveries.DemoRequests(district, date, 30, 7)
	if err != nil {
		t.Fatal(err)
	}
	recon := func(s *dayServer, wantIn int) map[string]any {
		t.Helper()
		code, rc, _ := s.call(t, "GET", "/v1/deliveries/reconciliation?date="+date, "")
		if code != 200 || rc["balanced"] != true || int(rc["in"].(float64)) != wantIn {
			t.Fatalf("reconciliation: %d %v", code, rc)
		}
		sum := 0
		for _, n := range rc["by_state"].(map[string]any) {
			sum += int(n.(float64))
		}
		if sum != wantIn || len(rc["requests"].([]any)) != wantIn {
			t.Fatalf("counts do not balance: %d in states, %d listed, %d in", sum, len(rc["requests"].([]any)), wantIn)
		}
		return rc
	}

	// intake: JSON, each posted twice (a retry), the key in the header for half
	ids := map[string]float64{}
	for i, r := range reqs[:25] {
		r.SupplyPointID = 0
		body, _ := json.Marshal(r)
		var hdr []string
		if i%2 == 0 {
			hdr = []string{"Idempotency-Key", r.Key}
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			delete(m, "idempotency_key")
			for _, k := range []string{"id", "state", "history", "created_at", "updated_at", "supply_point_id"} {
				delete(m, k)
			}
			body, _ = json.Marshal(m)
		} else {
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			for _, k := range []string{"id", "state", "history", "created_at", "updated_at", "supply_point_id"} {
				delete(m, k)
			}
			body, _ = json.Marshal(m)
		}
		code, first, h1 := s.call(t, "POST", "/v1/deliveries/requests", string(body), hdr...)
		if code != 201 || h1.Get("Idempotent-Replayed") != "" {
			t.Fatalf("request %d: %d %v", i, code, first)
		}
		code, again, h2 := s.call(t, "POST", "/v1/deliveries/requests", string(body), hdr...)
		if code != 201 || again["id"] != first["id"] || h2.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry of request %d: %d %v (first id %v)", i, code, again, first["id"])
		}
		ids[r.Key] = first["id"].(float64)
	}
	// a repeated call: the same resident and medicine under a new key
	dup := reqs[3]
	dup.Key, dup.SupplyPointID = "repeat-call-1", 0
	body, _ := json.Marshal(map[string]any{"idempotency_key": dup.Key, "date": date, "compound_id": dup.CompoundID, "building": dup.Building,
		"flat": dup.Flat, "name": dup.Name, "phone": dup.Phone, "items": dup.Items[:1], "urgency": "today"})
	code, d1, _ := s.call(t, "POST", "/v1/deliveries/requests", string(body))
	if code != 201 || d1["duplicate_of"] != ids[reqs[3].Key] {
		t.Fatalf("repeated call: %d duplicate_of %v, want %v", code, d1["duplicate_of"], ids[reqs[3].Key])
	}
	// the same key with another request is refused, nothing written
	if code, m, _ := s.call(t, "POST", "/v1/deliveries/requests", strings.Replace(string(body), `"today"`, `"urgent"`, 1)); code != 409 {
		t.Fatalf("key reused: %d %v", code, m)
	}
	// a batch file of the last 5, imported twice
	var csv strings.Builder
	csv.WriteString("idempotency_key,compound_id,building,flat,name,phone,items,urgency,insurance_card\n")
	for _, r := range reqs[25:] {
		var items []string
		for _, it := range r.Items {
			items = append(items, fmt.Sprintf("%s x %d", it.Name, it.Quantity))
		}
		card := "no"
		if r.InsuranceCard {
			card = "yes"
		}
		fmt.Fprintf(&csv, "%s,%d,%s,%s,%s,%s,%s,%s,%s\n", r.Key, r.CompoundID, r.Building, r.Flat, r.Name, r.Phone, strings.Join(items, "; "), r.Urgency, card)
	}
	for k, want := range []float64{5, 0} {
		code, m, _ := s.call(t, "POST", "/v1/deliveries/requests/import?date="+date, csv.String())
		if code != 201 || m["imported"] != want {
			t.Fatalf("import %d: %d %v", k, code, m)
		}
	}
	// a file with one bad row writes nothing
	bad := csv.String() + "bad-1,1,3,101,A B,+86 100 0000 0001,Aspirin x -1,routine,no\n"
	if code, m, _ := s.call(t, "POST", "/v1/deliveries/requests/import?date="+date, strings.Replace(bad, reqs[25].Key, "new-key", 1)); code != 422 ||
		m["details"].(map[string]any)["path"] != "rows[7].items" {
		t.Fatalf("bad file: %d %v", code, m)
	}
	total := 31
	recon(s, total)

	// 10:00: the cut
	advance(90 * time.Minute)
	code, cut, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 {
		t.Fatalf("cut: %d %v", code, cut)
	}
	if n := len(cut["unplanned"].([]any)); n != 0 {
		t.Fatalf("unplanned batches: %v", cut["unplanned"])
	}
	legs := cut["legs"].([]any)
	var lists [2][]string
	for k, l := range legs {
		lm := l.(map[string]any)
		if v := lm["violations"].([]any); len(v) != 0 {
			t.Fatalf("leg %d breaks rules: %v", k+1, v)
		}
		for _, r := range lm["routes"].([]any) {
			lists[k] = append(lists[k], r.(map[string]any)["route_list"].(string))
		}
	}
	if len(lists[0]) == 0 || len(lists[1]) == 0 {
		t.Fatalf("routes: %v", lists)
	}
	rc := recon(s, total)
	if int(rc["by_state"].(map[string]any)["batched"].(float64)) != total {
		t.Fatalf("after the cut: %v", rc["by_state"])
	}
	// a second cut has nothing left to batch
	if code, again, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", ""); code != 200 || len(again["batches"].([]any)) != 0 {
		t.Fatalf("second cut: %d %v", code, again)
	}

	// leg 1 reported by the drivers: every stop done, one report retried,
	// one pickup failed (the supply point's volunteers did not turn up)
	report := func(s *dayServer, list string, seq int, status, reason string) (int, map[string]any) {
		b, _ := json.Marshal(map[string]string{"status": status, "reason": reason})
		code, m, _ := s.call(t, "PUT", fmt.Sprintf("/v1/route-lists/%s/stops/%d/status", list, seq), string(b))
		return code, m
	}
	stops := func(s *dayServer, list string) []any {
		code, l, _ := s.call(t, "GET", "/v1/route-lists/"+list, "")
		if code != 200 {
			t.Fatalf("route list %s: %d %v", list, code, l)
		}
		return l["stops"].([]any)
	}
	failedPickup := ""
	var failedSeq int
	for _, list := range lists[0] {
		for _, st := range stops(s, list) {
			sm := st.(map[string]any)
			seq := int(sm["seq"].(float64))
			if sm["kind"] != "pickup" && sm["kind"] != "delivery" {
				continue
			}
			if failedPickup == "" && sm["kind"] == "pickup" {
				if code, m := report(s, list, seq, "failed", ""); code != 422 || m["details"].(map[string]any)["path"] != "reason" {
					t.Fatalf("failure without a reason: %d %v", code, m)
				}
				if code, m := report(s, list, seq, "failed", "nobody at the supply point"); code != 200 {
					t.Fatalf("failed stop: %d %v", code, m)
				}
				failedPickup, failedSeq = list, seq
				continue
			}
			if code, m := report(s, list, seq, "arrived", ""); code != 200 {
				t.Fatalf("arrived: %d %v", code, m)
			}
			for k := 0; k < 2; k++ { // the phone sends it again when the answer is lost
				if code, m := report(s, list, seq, "done", ""); code != 200 {
					t.Fatalf("done %d: %d %v", k, code, m)
				}
			}
		}
	}
	rc = recon(s, total)
	bs := rc["by_state"].(map[string]any)
	failedN := int(bs["failed"].(float64))
	if failedN == 0 || int(bs["at_pharmacy"].(float64))+failedN != total {
		t.Fatalf("after leg 1: %v", bs)
	}

	// restart in the middle of the day
	s.stop(t)
	advance(time.Hour)
	s = startDay(t, open, now, false)
	defer s.stop(t)
	rc = recon(s, total)
	if rc["by_state"].(map[string]any)["failed"].(float64) != float64(failedN) {
		t.Fatalf("after the restart: %v", rc["by_state"])
	}
	// a late retry of leg 1's reports after the restart changes nothing
	if code, m := report(s, failedPickup, failedSeq, "failed", "nobody at the supply point"); code != 200 {
		t.Fatalf("late retry: %d %v", code, m)
	}
	// leg 2: every stop done (the failed batch's stops move nothing)
	for _, list := range lists[1] {
		for _, st := range stops(s, list) {
			sm := st.(map[string]any)
			if sm["kind"] == "pickup" || sm["kind"] == "delivery" {
				if code, m := report(s, list, int(sm["seq"].(float64)), "done", ""); code != 200 {
					t.Fatalf("leg 2: %d %v", code, m)
				}
			}
		}
	}
	rc = recon(s, total)
	bs = rc["by_state"].(map[string]any)
	if int(bs["at_supply_point"].(float64))+failedN != total {
		t.Fatalf("after leg 2: %v", bs)
	}
	// the volunteers hand over: the hand-over lists, then delivered
	code, all, _ := s.call(t, "GET", "/v1/deliveries/requests?date="+date+"&state=at_supply_point", "")
	if code != 200 {
		t.Fatal(code)
	}
	seenSP := map[float64]bool{}
	for _, r := range all["requests"].([]any) {
		rm := r.(map[string]any)
		sp := rm["supply_point_id"].(float64)
		if !seenSP[sp] {
			seenSP[sp] = true
			code, ho, _ := s.call(t, "GET", fmt.Sprintf("/v1/deliveries/supply-points/%d/handover?date=%s", int(sp), date), "")
			if code != 200 || ho["ready"].(float64) < 1 {
				t.Fatalf("hand-over list: %d %v", code, ho)
			}
			if b, _ := json.Marshal(ho); strings.Contains(string(b), rm["name"].(string)) || strings.Contains(string(b), rm["phone"].(string)) {
				t.Fatalf("the hand-over list shows a name or phone: %s", b)
			}
		}
		id := int(rm["id"].(float64))
		if code, m, _ := s.call(t, "POST", fmt.Sprintf("/v1/deliveries/requests/%d/state", id), `{"state":"delivered"}`); code != 200 {
			t.Fatalf("delivered: %d %v", code, m)
		}
		if code, _, _ := s.call(t, "POST", fmt.Sprintf("/v1/deliveries/requests/%d/state", id), `{"state":"at_pharmacy"}`); code != 409 {
			t.Fatalf("going back: %d, want 409", code)
		}
	}
	rc = recon(s, total)
	bs = rc["by_state"].(map[string]any)
	if int(bs["delivered"].(float64))+failedN != total || int(rc["out"].(float64)) != total || int(rc["open"].(float64)) != 0 || int(rc["duplicates"].(float64)) < 1 {
		t.Fatalf("end of the day: %v", rc)
	}
	for _, w := range rc["requests"].([]any) {
		wm := w.(map[string]any)
		if wm["state"] == "failed" && !strings.Contains(wm["reason"].(string), "nobody at the supply point") {
			t.Fatalf("failed without the driver's reason: %v", wm)
		}
		code, r, _ := s.call(t, "GET", fmt.Sprintf("/v1/deliveries/requests/%d", int(wm["id"].(float64))), "")
		if code != 200 {
			t.Fatal(code)
		}
		prev := ""
		for _, h := range r["history"].([]any) {
			st := deliveries.State(h.(map[string]any)["state"].(string))
			if prev != "" && st != deliveries.StateFailed && deliveries.State(prev).Next() != st {
				t.Fatalf("request %v went %s -> %s", wm["id"], prev, st)
			}
			prev = string(st)
		}
	}

	// late calls: a cut at 17:45 cannot bring medicines back before the
	// supply points close at 18:00; nothing is left behind: the requests
	// go back to the queue with the reason, and the next morning's cut
	// takes them first
	advance(time.Date(2026, 12, 2, 17, 45, 0, 0, clock.Location()).Sub(now()))
	late := map[float64]bool{}
	for i, r := range reqs[:3] {
		b, _ := json.Marshal(map[string]any{"idempotency_key": fmt.Sprintf("late-%d", i), "date": date, "compound_id": r.CompoundID, "building": r.Building,
			"flat": r.Flat, "name": r.Name, "phone": r.Phone, "items": []map[string]any{{"name": fmt.Sprintf("Late medicine %d", i), "quantity": 1}}, "urgency": "routine"})
		code, m, _ := s.call(t, "POST", "/v1/deliveries/requests", string(b))
		if code != 201 {
			t.Fatalf("late call %d: %d %v", i, code, m)
		}
		late[m["id"].(float64)] = true
	}
	total += len(late)
	code, cut, _ = s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 || len(cut["unplanned"].([]any)) == 0 || int(cut["carried"].(float64)) != len(late) {
		t.Fatalf("late cut: %d %v", code, cut)
	}
	for _, u := range cut["unplanned"].([]any) {
		if um := u.(map[string]any); um["next"] != "queue" || !strings.Contains(um["reason"].(string), "too late today") {
			t.Fatalf("late cut: %v", um)
		}
	}
	rc = recon(s, total)
	if int(rc["by_state"].(map[string]any)["received"].(float64)) != len(late) || int(rc["carried"].(float64)) != len(late) {
		t.Fatalf("after the late cut: %v", rc)
	}
	for _, w := range rc["requests"].([]any) {
		if wm := w.(map[string]any); late[wm["id"].(float64)] && (wm["carried"] != 1.0 || !strings.Contains(wm["reason"].(string), "too late today")) {
			t.Fatalf("carried request: %v", wm)
		}
	}
	// the next morning: the cut of the 3rd takes the 2nd's carried requests
	advance(16*time.Hour + 15*time.Minute)
	const next = "2026-12-03"
	code, cut, _ = s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 || cut["date"] != next || int(cut["carried_in"].(float64)) != len(late) || len(cut["unplanned"].([]any)) != 0 {
		t.Fatalf("next morning's cut: %d %v", code, cut)
	}
	for _, b := range cut["batches"].([]any) {
		if bm := b.(map[string]any); bm["priority"].(float64) < deliveries.CarriedPriority {
			t.Fatalf("carried batch without priority: %v", bm)
		}
	}
	if rc = recon(s, total); int(rc["by_state"].(map[string]any)["batched"].(float64)) != len(late) {
		t.Fatalf("the 2nd after the next cut: %v", rc["by_state"])
	}
	code, rc2, _ := s.call(t, "GET", "/v1/deliveries/reconciliation?date="+next, "")
	if code != 200 || rc2["balanced"] != true || int(rc2["in"].(float64)) != 0 || int(rc2["carried_in"].(float64)) != len(late) {
		t.Fatalf("the 3rd: %d %v", code, rc2)
	}
	// both legs done, handed over: the 2nd balances with nothing open
	for _, l := range cut["legs"].([]any) {
		for _, r := range l.(map[string]any)["routes"].([]any) {
			list := r.(map[string]any)["route_list"].(string)
			for _, st := range stops(s, list) {
				if sm := st.(map[string]any); sm["kind"] == "pickup" || sm["kind"] == "delivery" {
					if code, m := report(s, list, int(sm["seq"].(float64)), "done", ""); code != 200 {
						t.Fatalf("next morning's stops: %d %v", code, m)
					}
				}
			}
		}
	}
	for id := range late {
		if code, m, _ := s.call(t, "POST", fmt.Sprintf("/v1/deliveries/requests/%d/state", int(id)), `{"state":"delivered"}`); code != 200 {
			t.Fatalf("late request delivered: %d %v", code, m)
		}
	}
	if rc = recon(s, total); int(rc["open"].(float64)) != 0 || int(rc["by_state"].(map[string]any)["delivered"].(float64))+failedN != total {
		t.Fatalf("the 2nd at the end: %v", rc)
	}
}

// TestDeliveryLeg2Carried: a batch of an earlier cut whose lists went to
// the pharmacy but whose medicines got no way back (leg 1 planned, leg 2
// not) gets its leg 2 at the next cut, the stops added to its own; one
// whose requests all failed is left alone.
func TestDeliveryLeg2Carried(t *testing.T) {
	clock := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	s := startDay(t, memDayStore(t), func() time.Time { return clock }, true)
	defer s.stop(t)
	ctx := context.Background()
	st := s.store.(deliveries.Store)
	cs, _ := s.store.ListCompounds(ctx, nil)
	fs, _ := s.store.ListFacilities(ctx, zones.FacilityFilter{})
	district := deliveries.NewDistrict(cs, fs)
	reqs, err := deliveries.DemoRequests(district, "2026-12-02", 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		reqs[i].Urgency = deliveries.UrgencyRoutine
	}
	got, _, err := st.ImportRequests(ctx, reqs, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	all, err := district.Cut(got, "2026-12-02", "09:00", 40, 800000)
	if err != nil || len(all) < 2 {
		t.Fatalf("%d batches: %v", len(all), err)
	}
	bs, err := st.CreateBatches(ctx, all[:2])
	if err != nil {
		t.Fatal(err)
	}
	leg1 := []deliveries.StopRef{{List: "1000000001", Seq: 2, Leg: 1, Event: deliveries.StateCollected, Arrival: 9.5 * 3600},
		{List: "1000000001", Seq: 3, Leg: 1, Event: deliveries.StateAtPharmacy, Arrival: 10 * 3600}}
	for _, b := range bs {
		if _, err := st.SetBatchPlan(ctx, b.ID, leg1, "leg 2: no feasible insertion found within the time budget"); err != nil {
			t.Fatal(err)
		}
	}
	var fail []deliveries.Move
	for _, id := range bs[1].Requests {
		fail = append(fail, deliveries.Move{ID: id, To: deliveries.StateFailed, Reason: "pharmacy out of stock"})
	}
	if _, err := st.MoveRequests(ctx, fail); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Hour)
	code, cut, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 || len(cut["leg2_carried"].([]any)) != 1 || len(cut["unplanned"].([]any)) != 0 {
		t.Fatalf("cut: %d %v", code, cut)
	}
	b, err := st.GetBatch(ctx, bs[0].ID)
	if err != nil || !b.HasLeg(1) || !b.HasLeg(2) || b.Unplanned != "" || len(b.Stops) != 4 {
		t.Fatalf("batch after the cut: %+v %v", b, err)
	}
	if cut["leg2_carried"].([]any)[0].(map[string]any)["id"].(float64) != float64(b.ID) {
		t.Fatalf("leg2_carried: %v", cut["leg2_carried"])
	}
	for _, l := range cut["legs"].([]any) {
		if v := l.(map[string]any)["violations"].([]any); len(v) != 0 {
			t.Fatalf("violations: %v", v)
		}
	}
	if b2, _ := st.GetBatch(ctx, bs[1].ID); b2.HasLeg(2) {
		t.Fatalf("a batch whose requests failed got a leg 2: %+v", b2)
	}
	// the other batches of the day, cut now, are planned both ways
	if n := len(cut["batches"].([]any)); n != len(all)-2 {
		t.Fatalf("%d new batches, want %d", n, len(all)-2)
	}
}

// TestDeliveryCutDayClosures: a cut plans on the planned day's zone map,
// not on the road engine's current closures: a compound sealed from 14:00
// counts as sealed for a cut at 10:00, so an urgent request there is
// handed over at its gate, not at the building door.
func TestDeliveryCutDayClosures(t *testing.T) {
	zone := time.FixedZone("CST", 8*3600)
	clock := time.Date(2026, 12, 2, 10, 0, 0, 0, zone)
	s := startDay(t, memDayStore(t), func() time.Time { return clock }, true)
	defer s.stop(t)
	ctx := context.Background()
	cs, _ := s.store.ListCompounds(ctx, nil)
	fs, _ := s.store.ListFacilities(ctx, zones.FacilityFilter{})
	district := deliveries.NewDistrict(cs, fs)
	// a compound with a supply point in no zone sealed today
	var c *zones.Compound
	for id, sp := range district.SupplyPoints {
		zs, err := s.store.Lookup(ctx, district.Facilities[sp].Point, clock.Add(8*time.Hour))
		if err == nil && len(zs) == 0 && len(district.Compounds[id].Gates) > 0 && (c == nil || id < c.ID) {
			c = district.Compounds[id]
		}
	}
	if c == nil {
		t.Skip("every supply point of the demo lies in a zone")
	}
	if _, err := s.store.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "sealed this afternoon", Geometry: c.Geometry,
		EffectiveFrom: time.Date(2026, 12, 2, 14, 0, 0, 0, zone)}); err != nil {
		t.Fatal(err)
	}
	door := c.Geometry.Bound().Center()
	if !zones.MultiPolygonCovers(c.Geometry, door) {
		t.Skip("the compound's middle is not inside it")
	}
	body, _ := json.Marshal(map[string]any{"idempotency_key": "urgent-1", "date": "2026-12-02", "compound_id": c.ID, "building": "3", "building_point": door,
		"flat": "2-301", "name": "Urgent Resident", "phone": "+86 100 0000 0042", "items": []map[string]any{{"name": "Insulin pen", "quantity": 1}}, "urgency": "urgent"})
	if code, m, _ := s.call(t, "POST", "/v1/deliveries/requests", string(body)); code != 201 {
		t.Fatalf("request: %d %v", code, m)
	}
	code, cut, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 || len(cut["batches"].([]any)) != 1 || len(cut["unplanned"].([]any)) != 0 {
		t.Fatalf("cut: %d %v", code, cut)
	}
	b := cut["batches"].([]any)[0].(map[string]any)
	for _, st := range b["stops"].([]any) {
		sm := st.(map[string]any)
		if sm["state"] != "at_supply_point" {
			continue
		}
		code, l, _ := s.call(t, "GET", "/v1/route-lists/"+sm["route_list"].(string), "")
		if code != 200 {
			t.Fatalf("route list: %d %v", code, l)
		}
		stop := l["stops"].([]any)[int(sm["seq"].(float64))-1].(map[string]any)
		pt := stop["point"].([]any)
		sp := district.Facilities[district.SupplyPoints[c.ID]].Point
		if pt[0].(float64) != sp[0] || pt[1].(float64) != sp[1] || strings.Contains(stop["name"].(string), "URGENT: hand") {
			t.Fatalf("handed over at %v (%v), want the gate %v, not the door %v", pt, stop["name"], sp, door)
		}
		return
	}
	t.Fatalf("no hand-over stop: %v", b)
}

// TestDeliveryOrphanBatchCarried: a batch cut by a server that stopped
// before planning it (no stops, no reason) is carried by the next cut once
// it is older than any plan may take, and its requests planned then.
func TestDeliveryOrphanBatchCarried(t *testing.T) {
	clock := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	s := startDay(t, memDayStore(t), func() time.Time { return clock }, true)
	defer s.stop(t)
	ctx := context.Background()
	st := s.store.(deliveries.Store)
	cs, _ := s.store.ListCompounds(ctx, nil)
	fs, _ := s.store.ListFacilities(ctx, zones.FacilityFilter{})
	district := deliveries.NewDistrict(cs, fs)
	reqs, err := deliveries.DemoRequests(district, "2026-12-02", 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := st.ImportRequests(ctx, reqs, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	all, err := district.Cut(got, "2026-12-02", "09:00", 40, 800000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		all[i].CutAt = clock.UTC()
	}
	orphans, err := st.CreateBatches(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	// a minute later the planning may still run (another replica): left alone
	clock = clock.Add(time.Minute)
	if code, cut, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`); code != 200 || len(cut["batches"].([]any)) != 0 {
		t.Fatalf("cut a minute later: %d %v", code, cut)
	}
	clock = clock.Add(time.Hour)
	code, cut, _ := s.call(t, "POST", "/v1/deliveries/batches?time_limit=1s", `{}`)
	if code != 200 || int(cut["carried_in"].(float64)) != len(got) || len(cut["unplanned"].([]any)) != 0 {
		t.Fatalf("cut an hour later: %d %v", code, cut)
	}
	for _, b := range orphans {
		if ob, _ := st.GetBatch(ctx, b.ID); len(ob.Carried) != len(b.Requests) || ob.Unplanned == "" {
			t.Fatalf("orphan batch after the cut: %+v", ob)
		}
	}
	code, rc, _ := s.call(t, "GET", "/v1/deliveries/reconciliation?date=2026-12-02", "")
	if code != 200 || rc["balanced"] != true || int(rc["by_state"].(map[string]any)["batched"].(float64)) != len(got) {
		t.Fatalf("reconciliation: %d %v", code, rc)
	}
}
