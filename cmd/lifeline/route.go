package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lifeline/routing/network"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func init() { register("route", "fastest route between two points on a graph file (JSON)", runRoute) }

// parseLonLat parses "lon,lat" in degrees.
func parseLonLat(s string) (orb.Point, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return orb.Point{}, fmt.Errorf("point %q: want lon,lat", s)
	}
	lon, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lat, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || !(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90) {
		return orb.Point{}, fmt.Errorf("point %q: want lon,lat in degrees", s)
	}
	return orb.Point{lon, lat}, nil
}

// runRoute: lifeline route --graph FILE --from lon,lat --to lon,lat
// prints {"time_s","distance_m","polyline","streets","geometry"(GeoJSON
// LineString),"from","to"}.
func runRoute(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gpath := fs.String("graph", "", "graph file from 'lifeline graph build'")
	from := fs.String("from", "", "origin lon,lat")
	to := fs.String("to", "", "destination lon,lat")
	maxSnap := fs.Float64("max-snap", 500, "largest snapping distance in metres")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *gpath == "" || *from == "" || *to == "" {
		fs.Usage()
		return errors.New("route: --graph, --from and --to are required")
	}
	a, err := parseLonLat(*from)
	if err != nil {
		return fmt.Errorf("route --from: %w", err)
	}
	b, err := parseLonLat(*to)
	if err != nil {
		return fmt.Errorf("route --to: %w", err)
	}
	n, err := network.Load(*gpath, network.Options{MaxSnapDistance: *maxSnap})
	if err != nil {
		return err
	}
	r, err := n.Route(ctx, a, b, network.RouteOptions{})
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{
		"time_s": r.Time, "distance_m": r.Distance, "polyline": r.Polyline, "streets": r.Streets,
		"geometry": geojson.NewGeometry(r.Geometry), "from": r.From, "to": r.To,
	})
}
