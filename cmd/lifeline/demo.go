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

	"lifeline/data/demo"
	"lifeline/zones"
)

func init() {
	register("demo", "write the demo district as GeoJSON and OSM XML to a folder", runDemo)
}

// runDemo writes compounds.geojson, facilities.geojson, zones.geojson and
// streets.osm for the demo district of --seed into --out.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "var/demo", "output folder (created if missing)")
	seed := fs.Uint64("seed", demo.DefaultSeed, "generator seed; the same seed writes the same bytes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	d := demo.Generate(*seed)
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
	fmt.Fprintf(stdout, "demo district (seed %d): %d compounds (%d residents), %d facilities, %d zones, %d bytes of OSM XML -> %s\n",
		*seed, len(d.Compounds), pop, len(d.Facilities), len(d.Zones), len(d.StreetsOSM), *out)
	return nil
}
