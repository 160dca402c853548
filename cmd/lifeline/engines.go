package main

import (
	"context"
	"log/slog"

	"lifeline/api"
)

// wireEngines attaches the road, optimisation and siting engines to the API.
func wireEngines(ctx context.Context, c Config, d *api.Deps, log *slog.Logger) error {
	return nil
}
