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
	"runtime"
	"time"

	"lifeline/routing/network"
	"lifeline/routing/osm"
)

func init() {
	register("graph build", "import OpenStreetMap (.osm.pbf or .osm) into a road graph file with its hierarchy", runGraphBuild)
}

// runGraphBuild: lifeline graph build --osm FILE --profile car|foot --out FILE
// prints {"nodes","edges","dropped_nodes","dropped_edges","shortcuts",
// "turn_restrictions","import_s","contract_s","bytes"} as JSON.
func runGraphBuild(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("graph build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("osm", "", "OpenStreetMap file: .osm.pbf or .osm (XML)")
	profile := fs.String("profile", "car", "routing profile: car or foot")
	out := fs.String("out", "", "graph file to write (graph and contraction hierarchy)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		fs.Usage()
		return errors.New("graph build: --osm and --out are required")
	}
	p := osm.Profile(*profile)
	if !p.Valid() {
		return fmt.Errorf("graph build: unknown profile %q (car or foot)", *profile)
	}
	t0 := time.Now()
	n, st, err := network.BuildFile(ctx, *in, p, network.Options{})
	if err != nil {
		return fmt.Errorf("graph build: %w", err)
	}
	total := time.Since(t0)
	if dir := filepath.Dir(*out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := n.Save(*out); err != nil {
		return fmt.Errorf("graph build: %w", err)
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return writeJSON(stdout, map[string]any{
		"nodes": st.Nodes, "edges": st.Edges, "dropped_nodes": st.DroppedNodes, "dropped_edges": st.DroppedEdges,
		"missing_nodes": st.MissingNodes, "shortcuts": n.Shortcuts(), "turn_restrictions": st.TurnRestrictions,
		"build_s": total.Seconds(), "bytes": fi.Size(), "profile": string(p),
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
