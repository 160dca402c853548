package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"
)

// TestRoadCommands runs graph build, route and matrix end to end on Monaco.
func TestRoadCommands(t *testing.T) {
	osmFile := sdtest.Path(t, "geo/osm/monaco-2016-03.osm.pbf")
	dir := t.TempDir()
	gfile := filepath.Join(dir, "monaco.graph")
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"graph", "build", "--osm", osmFile, "--profile", "car", "--out", gfile}, &out, &errb, os.Getenv); err != nil {
		t.Fatalf("graph build: %v %s", err, errb.String())
	}
	var st struct{ Nodes, Shortcuts int }
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.Nodes < 1000 {
		t.Fatalf("build output %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"route", "--graph", gfile, "--from", "7.4246,43.7384", "--to", "7.41,43.73"}, &out, &errb, os.Getenv); err != nil {
		t.Fatalf("route: %v", err)
	}
	var rt struct {
		Time     float64 `json:"time_s"`
		Polyline string
		Geometry struct {
			Type        string
			Coordinates [][2]float64
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rt); err != nil || rt.Time <= 0 || rt.Geometry.Type != "LineString" || len(rt.Geometry.Coordinates) < 2 {
		t.Fatalf("route output %s", out.String())
	}
	pts := filepath.Join(dir, "pts.csv")
	os.WriteFile(pts, []byte("lon,lat\n7.4246,43.7384\n7.41,43.73\n"), 0o644)
	out.Reset()
	if err := run(ctx, []string{"matrix", "--graph", gfile, "--points", pts}, &out, &errb, os.Getenv); err != nil {
		t.Fatalf("matrix: %v", err)
	}
	var m struct {
		Times [][]*float64 `json:"times_s"`
	}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || len(m.Times) != 2 || m.Times[0][1] == nil || *m.Times[0][1] != rt.Time {
		t.Fatalf("matrix output %s (route %.3f)", out.String(), rt.Time)
	}
	if err := run(ctx, []string{"route", "--graph", gfile, "--from", "0,0", "--to", "7.41,43.73"}, &out, &errb, os.Getenv); err == nil || !strings.Contains(err.Error(), "too far") {
		t.Fatalf("far point: %v", err)
	}
}

func TestReadPoints(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		ok       bool
	}{
		{"a.csv", "lon,lat\n7.1,43.2\n7.2,43.3\n", 2, true},
		{"a.csv", "7.1,43.2,id1\n", 1, true},
		{"a.json", "[[7.1,43.2],{\"lon\":7.2,\"lat\":43.3}]", 2, true},
		{"a.json", "[[7.1]]", 0, false},
		{"a.csv", "7.1,95\n", 0, false},
		{"a.csv", "", 0, false},
		{"a.csv", "lon,lat\nx,y\n", 0, false},
	} {
		ps, err := readPoints(strings.NewReader(tc.in), tc.name)
		if (err == nil) != tc.ok || (tc.ok && len(ps) != tc.n) {
			t.Errorf("%q: %v %v", tc.in, ps, err)
		}
	}
}

func FuzzReadPoints(f *testing.F) {
	f.Add("lon,lat\n7.1,43.2\n", false)
	f.Add("[[7.1,43.2]]", true)
	f.Fuzz(func(t *testing.T, s string, js bool) {
		name := "p.csv"
		if js {
			name = "p.json"
		}
		ps, err := readPoints(strings.NewReader(s), name)
		if err == nil {
			if len(ps) == 0 || len(ps) > maxPoints {
				t.Fatalf("%d points", len(ps))
			}
			if checkPoints(ps) != nil {
				t.Fatal("invalid point accepted")
			}
		}
	})
}
