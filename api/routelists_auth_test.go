package api

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzExtractDrivers: the "driver" extension is taken out of any body
// without panicking; what comes back is JSON whose vehicles name no driver.
func FuzzExtractDrivers(f *testing.F) {
	for _, s := range []string{
		`{"vehicles":[{"id":1,"driver":"d1"},{"id":2}],"jobs":[]}`,
		`{"vehicles":[{"id":1,"driver":5}]}`,
		`{"vehicles":[{"driver":"x"}]}`,
		`{"vehicles":{"driver":"x"}}`,
		`{"driver":"x"}`,
		`[{"driver":"x"}]`,
		`{"vehicles":[{"id":-1,"driver":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	h := &Handlers{}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, drivers, err := h.extractDrivers(context.Background(), body)
		if err != nil || drivers == nil {
			return
		}
		var doc struct {
			Vehicles []map[string]json.RawMessage `json:"vehicles"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("output is not JSON: %v: %s", err, out)
		}
		for i, v := range doc.Vehicles {
			if _, ok := v["driver"]; ok {
				t.Fatalf("vehicle %d still names a driver: %s", i, out)
			}
		}
	})
}

func TestExtractDrivers(t *testing.T) {
	h := &Handlers{}
	out, drivers, err := h.extractDrivers(context.Background(), []byte(`{"vehicles":[{"id":7,"driver":"li.na","description":"Van"},{"id":8}],"jobs":[]}`))
	if err != nil || drivers[7] != "li.na" || len(drivers) != 1 {
		t.Fatalf("%v %v", drivers, err)
	}
	var doc map[string]any
	if json.Unmarshal(out, &doc) != nil || doc["vehicles"].([]any)[0].(map[string]any)["driver"] != nil || doc["jobs"] == nil {
		t.Fatalf("body %s", out)
	}
	for body, path := range map[string]string{
		`{"vehicles":[{"id":7,"driver":""}]}`: "vehicles[0].driver",
		`{"vehicles":[{"id":7,"driver":3}]}`:  "vehicles[0].driver",
		`{"vehicles":[{"driver":"li.na"}]}`:   "vehicles[0].id",
	} {
		_, _, err := h.extractDrivers(context.Background(), []byte(body))
		if e, ok := err.(*Error); !ok || e.Details["path"] != path {
			t.Errorf("%s: %v, want an error at %s", body, err, path)
		}
	}
}
