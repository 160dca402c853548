package api

import (
	"context"
	"strconv"

	"lifeline/zones"
)

// AuditLoaders returns the "before" loaders of the audit trail for the
// entities kept in st (auth.Config.Before): the audit entry of a write to
// /v1/zones/{id} holds the zone as it was.
func AuditLoaders(st zones.Store) map[string]func(ctx context.Context, id string) (any, error) {
	parse := func(id string) (int64, error) { return strconv.ParseInt(id, 10, 64) }
	return map[string]func(ctx context.Context, id string) (any, error){
		"zone": func(ctx context.Context, id string) (any, error) {
			n, err := parse(id)
			if err != nil {
				return nil, err
			}
			z, err := st.GetZone(ctx, n)
			if err != nil {
				return nil, err
			}
			return zones.ZoneFeature(z), nil
		},
	}
}
