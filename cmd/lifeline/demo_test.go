package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb/geojson"
)

func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	env := func(string) string { return "" }
	if err := run(context.Background(), []string{"demo", "--district", "synthetic", "--out", dir, "--seed", "3"}, &out, &errb, env); err != nil {
		t.Fatalf("demo: %v (%s)", err, errb.String())
	}
	want := map[string]int{"compounds.geojson": 40, "zones.geojson": 8}
	for name, n := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(fc.Features) != n {
			t.Errorf("%s: %d features, want %d", name, len(fc.Features), n)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if fc, err := geojson.UnmarshalFeatureCollection(b); err != nil || len(fc.Features) < 60 {
		t.Errorf("facilities.geojson: %v", err)
	}
	osm, err := os.ReadFile(filepath.Join(dir, "streets.osm"))
	if err != nil || !bytes.HasPrefix(osm, []byte("<?xml")) {
		t.Errorf("streets.osm: %v", err)
	}
	// Same seed, same bytes.
	dir2 := t.TempDir()
	if err := run(context.Background(), []string{"demo", "--district", "synthetic", "--out", dir2, "--seed", "3"}, &out, &errb, env); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"compounds.geojson", "facilities.geojson", "zones.geojson", "streets.osm"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}
