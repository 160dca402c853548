package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"lifeline/api"
	"lifeline/routing/deliveries"
	"lifeline/zones"
)

// loadDemoDeliveries gives an empty deliveries store the demo fleet (six
// vans at the depot, van 1 driven by demo-driver) and the seeds' day of
// requests for today (deliveries.DemoRequests, district time). A store
// without deliveries, or with requests already, is left alone.
func loadDemoDeliveries(ctx context.Context, st zones.Store, now time.Time, log *slog.Logger) error {
	ds, ok := st.(deliveries.Store)
	if !ok {
		return nil
	}
	have, err := ds.ListRequests(ctx, deliveries.RequestFilter{Limit: 1})
	if err != nil || len(have) > 0 {
		return err
	}
	cs, err := st.ListCompounds(ctx, nil)
	if err != nil {
		return err
	}
	fs, err := st.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		return err
	}
	d := deliveries.NewDistrict(cs, fs)
	if vans, _ := ds.ListVans(ctx); len(vans) == 0 {
		if vans := api.DefaultDeliveryVans(d, 6, "demo-driver"); vans != nil {
			if _, err := ds.SetVans(ctx, vans); err != nil {
				return fmt.Errorf("demo fleet: %w", err)
			}
		}
	}
	date := zones.DistrictDate(now)
	reqs, err := deliveries.DemoRequests(d, date, deliveries.DemoDay, deliveries.DemoSeed)
	if err != nil {
		return err
	}
	if _, _, err := ds.ImportRequests(ctx, reqs, "demo"); err != nil {
		return fmt.Errorf("demo requests: %w", err)
	}
	log.Info("loaded the demo medicine deliveries", "requests", len(reqs), "date", date)
	return nil
}
