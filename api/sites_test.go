package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"lifeline/api"
	"lifeline/routing/network"
)

// TestSitesPlanZoneRules plans sampling sites on the demo district and checks
// the three zone rules: sealed compounds go to door-to-door work and no site,
// controlled compounds get their own dedicated site inside the compound, and
// everyone else shares the optimised sites; a testing round is scheduled.
func TestSitesPlanZoneRules(t *testing.T) {
	srv, _ := newDemoServer(t, func(*network.Network) func(gin.IRouter, *api.Handlers) { return api.SitesRoutes(nil) })
	at := "2026-11-23T10:00:00+08:00"
	_, zs := do(t, srv, "GET", "/v1/zones?geometry=false&active_at="+strings.ReplaceAll(at, "+", "%2B"), "")
	_, cs := do(t, srv, "GET", "/v1/compounds", "")
	// Which compounds are sealed/controlled, by the look-up at their gates.
	kindOf := map[string]string{}
	for _, c := range cs["compounds"].([]any) {
		cm := c.(map[string]any)
		id := jsonID(cm["id"])
		for _, g := range cm["gates"].([]any) {
			gp := g.([]any)
			_, lk := do(t, srv, "GET", fmt.Sprintf("/v1/lookup?lon=%v&lat=%v&at=%s", gp[0], gp[1], strings.ReplaceAll(at, "+", "%2B")), "")
			if k, _ := lk["kind"].(string); rank(k) > rank(kindOf[id]) {
				kindOf[id] = k
			}
		}
	}
	if len(zs["zones"].([]any)) == 0 {
		t.Fatal("demo has no zones")
	}
	body := `{"model":"p-median","sites":6,"at":"` + at + `","time_limit_seconds":1,
		"round":{"deadline_hours":8,"people_per_desk_hour":60,"max_queue":40}}`
	code, res := do(t, srv, "POST", "/v1/sites/plan", body)
	if code != 200 {
		t.Fatalf("plan: %d %v", code, res)
	}
	sites := res["sites"].([]any)
	shared, dedicated := 0, map[string]bool{}
	for _, s := range sites {
		sm := s.(map[string]any)
		if sm["dedicated"] == true {
			dedicated[jsonID(sm["compound_id"])] = true
		} else {
			shared++
		}
	}
	if shared != 6 {
		t.Errorf("%d shared sites, want 6", shared)
	}
	sealedDoor := map[string]bool{}
	for _, g := range res["door_to_door"].(map[string]any)["groups"].([]any) {
		sealedDoor[strings.TrimPrefix(g.(map[string]any)["demand"].(string), "compound:")] = true
	}
	nSealed, nControlled := 0, 0
	for id, k := range kindOf {
		switch k {
		case "sealed":
			nSealed++
			if !sealedDoor[id] {
				t.Errorf("sealed compound %s is not in the door-to-door report", id)
			}
			if dedicated[id] {
				t.Errorf("sealed compound %s got a site", id)
			}
		case "controlled":
			nControlled++
			if !dedicated[id] {
				t.Errorf("controlled compound %s has no dedicated site", id)
			}
		}
	}
	if nSealed == 0 || nControlled == 0 {
		t.Fatalf("demo district at %s has %d sealed and %d controlled compounds; the test needs both", at, nSealed, nControlled)
	}
	// No assignment of shared demand goes to a dedicated site, and no sealed compound is assigned.
	for _, a := range res["assignments"].([]any) {
		am := a.(map[string]any)
		d := am["demand"].(string)
		if id, ok := strings.CutPrefix(d, "compound:"); ok && kindOf[id] == "sealed" {
			t.Errorf("sealed compound %s assigned to a site", id)
		}
		si := int(am["site"].(float64))
		if si < 0 {
			continue
		}
		s := sites[si].(map[string]any)
		if strings.HasPrefix(d, "cell:") && s["dedicated"] == true {
			t.Errorf("shared demand %s sent to dedicated site %v", d, s["id"])
		}
		if id, ok := strings.CutPrefix(d, "compound:"); ok && s["dedicated"] == true && jsonID(s["compound_id"]) != id {
			t.Errorf("compound %s sent to the dedicated site of compound %v", id, s["compound_id"])
		}
	}
	if len(res["slots"].([]any)) == 0 {
		t.Error("no testing-round slots")
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	raw, _ := json.Marshal(res["geojson"])
	if json.Unmarshal(raw, &fc) != nil || fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		t.Errorf("no GeoJSON map layer: %s", raw[:min(len(raw), 200)])
	}

	// Bad input names the field.
	for _, c := range []struct{ body, path string }{
		{`{"model":"p-centre","sites":3}`, "model"},
		{`{"model":"p-median","sites":100000}`, "sites"},
		{`{"model":"p-median","sites":2,"points":[{"point":[104.07,30.65],"population":-5}]}`, "points[0].population"},
	} {
		code, got := do(t, srv, "POST", "/v1/sites/plan", c.body)
		if code != 422 {
			t.Errorf("%s: status %d, want 422: %v", c.body, code, got)
			continue
		}
		if p, _ := got["details"].(map[string]any)["path"].(string); p != c.path {
			t.Errorf("%s: path %q, want %q", c.body, p, c.path)
		}
	}
}

func rank(k string) int {
	return map[string]int{"sealed": 3, "controlled": 2, "prevention": 1}[k]
}
