package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// loadDemoRiders fills an empty riders' registry with the demo registry
// (shuttles.DemoRiders) on the district the store holds, "today" being
// now in the district (UTC+8). A store without a registry, or with riders
// already (archived ones included), is left alone.
func loadDemoRiders(ctx context.Context, st zones.Store, now time.Time, log *slog.Logger) error {
	rs, ok := st.(shuttles.RiderStore)
	if !ok {
		return nil
	}
	have, err := rs.ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true, Limit: 1})
	if err != nil || len(have) > 0 {
		return err
	}
	d, err := demoRiderDistrict(ctx, st, now)
	if err != nil {
		return err
	}
	riders, err := shuttles.DemoRiders(d, now.In(zones.DistrictZone), shuttles.DemoSeed)
	if err != nil {
		return err
	}
	if _, err := rs.ImportRiders(ctx, riders); err != nil {
		return fmt.Errorf("load demo riders: %w", err)
	}
	log.Info("loaded the demo riders' registry", "riders", len(riders))
	return nil
}

// demoRiderDistrict reads compounds, facilities and which compounds are
// sealed at now (the zone at the first gate).
func demoRiderDistrict(ctx context.Context, st zones.Store, now time.Time) (shuttles.DemoDistrict, error) {
	var d shuttles.DemoDistrict
	var err error
	if d.Compounds, err = st.ListCompounds(ctx, nil); err != nil {
		return d, err
	}
	if d.Facilities, err = st.ListFacilities(ctx, zones.FacilityFilter{}); err != nil {
		return d, err
	}
	var pts []orb.Point
	var ids []int64
	for _, c := range d.Compounds {
		if len(c.Gates) > 0 {
			pts = append(pts, c.Gates[0])
			ids = append(ids, c.ID)
		}
	}
	found, err := st.LookupBatch(ctx, pts, now)
	if err != nil {
		return d, err
	}
	d.Sealed = map[int64]bool{}
	for i, zs := range found {
		if len(zs) > 0 && zs[0].Kind == zones.KindSealed {
			d.Sealed[ids[i]] = true
		}
	}
	return d, nil
}
