package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"lifeline/zones"
)

func init() {
	register("demo", "write the demo district (--district chengdu|synthetic) as GeoJSON and OSM XML to a folder", runDemo)
}

// runDemo writes compounds.geojson, facilities.geojson, zones.geojson and
// streets.osm for the demo district (--district) of --seed into --out. For
// chengdu, streets.osm is the embedded OpenStreetMap extract (ODbL).
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "var/demo", "output folder (created if missing)")
	seed := fs.Uint64("seed", 0, "generator seed (0: the district's default); the same seed writes the same bytes")
	district := fs.String("district", func() string {
		if v := getenv("LIFELINE_DISTRICT"); v != "" {
			return v
		}
		return DistrictChengdu
	}(), "demo district: chengdu (real OpenStreetMap places) or synthetic (env LIFELINE_DISTRICT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	if err := checkDistrict(*district); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d, err := generateDistrict(*district, *seed)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	files := []struct {
		name string
		fc   zones.FeatureCollection
	}{
		{"compounds.geojson", zones.CompoundsFeatureCollection(d.Compounds)},
		{"facilities.geojson", zones.FacilitiesFeatureCollection(d.Facilities)},
		{"zones.geojson", zones.ZonesFeatureCollection(d.Zones)},
	}
	for _, f := range files {
		b, err := json.Marshal(f.fc)
		if err != nil {
			return fmt.Errorf("demo: encode %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, f.name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(*out, "streets.osm"), d.StreetsOSM, 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	pop := 0
	for _, c := range d.Compounds {
		pop += c.Population
	}
	fmt.Fprintf(stdout, "demo district %s (seed %d): %d compounds (%d residents), %d facilities, %d zones, %d bytes of OSM XML -> %s\n",
		*district, *seed, len(d.Compounds), pop, len(d.Facilities), len(d.Zones), len(d.StreetsOSM), *out)
	return nil
}
