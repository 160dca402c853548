package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"lifeline/routing/shuttles"
)

// TestServeLoadsDemoRiders: an empty embedded store gets the demo district
// and the demo riders' registry once; a restart adds nothing.
func TestServeLoadsDemoRiders(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := Config{DataDir: t.TempDir(), Demo: true, District: "chengdu"}
	count := func() (all, sealedDoors int) {
		st, err := openStore(ctx, c, log)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rs, err := st.(shuttles.RiderStore).ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Boarding.Kind == shuttles.BoardingBuilding {
				sealedDoors++
			}
		}
		return len(rs), sealedDoors
	}
	n, doors := count()
	want := shuttles.DemoDialysis + shuttles.DemoPregnant
	if n != want || doors == 0 {
		t.Fatalf("first start: %d riders (%d at building doors), want %d", n, doors, want)
	}
	if n, _ := count(); n != want {
		t.Fatalf("after a restart: %d riders, want %d", n, want)
	}
}
