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
}
