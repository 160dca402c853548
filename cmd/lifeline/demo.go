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
	"time"

	"github.com/paulmach/orb/geojson"

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
		fc   *geojson.FeatureCollection
	}{
		{"compounds.geojson", compoundsGeoJSON(d.Compounds)},
		{"facilities.geojson", facilitiesGeoJSON(d.Facilities)},
		{"zones.geojson", zonesGeoJSON(d.Zones)},
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

// The three encoders below are a minimal local stand-in for the zones
// package's GeoJSON encoders; property names follow the JSON tags of the
// domain types.

func compoundsGeoJSON(cs []zones.Compound) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, c := range cs {
		f := geojson.NewFeature(c.Geometry)
		f.ID = c.ID
		gates := make([][2]float64, len(c.Gates))
		for i, g := range c.Gates {
			gates[i] = g
		}
		f.Properties = geojson.Properties{
			"id": c.ID, "name": c.Name, "population": c.Population, "aged_60_plus": c.Aged60Plus,
			"households": c.Households, "gates": gates,
		}
		fc.Append(f)
	}
	return fc
}

func facilitiesGeoJSON(fs []zones.Facility) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, x := range fs {
		f := geojson.NewFeature(x.Point)
		f.ID = x.ID
		f.Properties = geojson.Properties{"id": x.ID, "kind": x.Kind, "name": x.Name}
		if x.Capacity != 0 {
			f.Properties["capacity"] = x.Capacity
		}
		if x.OpeningHours != "" {
			f.Properties["opening_hours"] = x.OpeningHours
		}
		if len(x.Accepts) > 0 {
			f.Properties["accepts"] = x.Accepts
		}
		if x.CompoundID != 0 {
			f.Properties["compound_id"] = x.CompoundID
		}
		fc.Append(f)
	}
	return fc
}

func zonesGeoJSON(zs []zones.Zone) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, z := range zs {
		f := geojson.NewFeature(z.Geometry)
		f.ID = z.ID
		f.Properties = geojson.Properties{
			"id": z.ID, "kind": z.Kind, "name": z.Name, "reason": z.Reason,
			"effective_from": z.EffectiveFrom.Format(time.RFC3339),
		}
		if z.EffectiveUntil != nil {
			f.Properties["effective_until"] = z.EffectiveUntil.Format(time.RFC3339)
		}
		fc.Append(f)
	}
	return fc
}
