package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"lifeline/data/chengdu"
)

func TestDemoCommandChengdu(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"demo", "--district", "chengdu", "--out", dir}, &out, &errb,
		func(string) string { return "" }); err != nil {
		t.Fatalf("demo: %v (%s)", err, errb.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "compounds.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil || len(fc.Features) < 150 {
		t.Fatalf("compounds.geojson: %v, %d features", err, len(fc.Features))
	}
	osm, _ := os.ReadFile(filepath.Join(dir, "streets.osm"))
	want, _ := chengdu.OSM()
	if !bytes.Equal(osm, want) {
		t.Error("streets.osm is not the embedded extract")
	}
	if !strings.Contains(out.String(), "demo district chengdu") {
		t.Errorf("output %q", out.String())
	}
	// LIFELINE_DISTRICT picks the district; a bad name is an error.
	if err := run(context.Background(), []string{"demo", "--out", t.TempDir()}, io.Discard, io.Discard,
		func(k string) string { return map[string]string{"LIFELINE_DISTRICT": "atlantis"}[k] }); err == nil {
		t.Error("LIFELINE_DISTRICT=atlantis: want an error")
	}
}

func TestServeDistrictFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
		ok   bool
	}{
		{nil, nil, "chengdu", true},
		{nil, map[string]string{"LIFELINE_DISTRICT": "synthetic"}, "synthetic", true},
		{[]string{"--district", "chengdu"}, map[string]string{"LIFELINE_DISTRICT": "synthetic"}, "chengdu", true},
		{[]string{"--district", "paris"}, nil, "", false},
	} {
		cfg, err := loadConfig(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if (err == nil) != c.ok || (c.ok && cfg.District != c.want) {
			t.Errorf("%v %v: %q %v, want %q ok=%v", c.args, c.env, cfg.District, err, c.want, c.ok)
		}
	}
}

// TestServeChengdu starts the server as `make run` does (the Chengdu
// district): the store holds its compounds, routes run on its streets and
// the basemap tiles are served.
func TestServeChengdu(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Chengdu graphs (several seconds)")
	}
	base, stop := startServe(t, t.TempDir(), "--district", "chengdu")
	defer stop()
	code, m := getJSON(t, "GET", base+"/v1/compounds", "")
	if code != 200 {
		t.Fatalf("compounds: %d %v", code, m)
	}
	if n := len(m["compounds"].([]any)); n < 150 {
		t.Errorf("%d compounds, want the Chengdu district's", n)
	}
	// From near Tianfu Square north-east to the Chengdu University hospital area.
	code, r := getJSON(t, "GET", base+"/v1/route?from=104.0665,30.6640&to=104.0900,30.6950", "")
	if code != 200 || r["distance_m"].(float64) < 3000 {
		t.Errorf("route: %d %v", code, r["distance_m"])
	}
	code, tj := getJSON(t, "GET", base+"/tiles/basemap.json", "")
	if code != 200 || tj["attribution"] != chengdu.Attribution {
		t.Errorf("basemap.json: %d %v", code, tj)
	}
	tl := maptile.At(orb.Point{104.0665, 30.6640}, 15)
	resp, err := http.Get(base + "/tiles/15/" + itoa(tl.X) + "/" + itoa(tl.Y) + ".pbf")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The client asked for gzip itself and decompressed it.
	ls, err := mvt.Unmarshal(body)
	if resp.StatusCode != 200 || err != nil || len(ls) == 0 {
		t.Fatalf("tile: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
}

func itoa(v uint32) string { return strconv.Itoa(int(v)) }
