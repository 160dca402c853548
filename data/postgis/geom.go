package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"lifeline/zones"
)

// encode returns the EWKB (SRID 4326) of g.
func encode(g orb.Geometry) ([]byte, error) {
	b, err := ewkb.Marshal(g, SRID)
	if err != nil {
		return nil, fmt.Errorf("postgis: encode geometry: %w", err)
	}
	return b, nil
}

func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, _, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("postgis: decode geometry: %w", err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("postgis: decode geometry: got %s, want MultiPolygon", g.GeoJSONType())
}

func decodePoint(b []byte) (orb.Point, error) {
	g, _, err := ewkb.Unmarshal(b)
	if err != nil {
		return orb.Point{}, fmt.Errorf("postgis: decode geometry: %w", err)
	}
	p, ok := g.(orb.Point)
	if !ok {
		return orb.Point{}, fmt.Errorf("postgis: decode geometry: got %s, want Point", g.GeoJSONType())
	}
	return p, nil
}

func decodeMultiPoint(b []byte) ([]orb.Point, error) {
	if b == nil {
		return nil, nil
	}
	g, _, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("postgis: decode geometry: %w", err)
	}
	mp, ok := g.(orb.MultiPoint)
	if !ok {
		return nil, fmt.Errorf("postgis: decode geometry: got %s, want MultiPoint", g.GeoJSONType())
	}
	return []orb.Point(mp), nil
}

func invalid(path, format string, args ...any) *zones.ValidationError {
	return &zones.ValidationError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// checkPoint rejects non-finite coordinates and coordinates outside
// [-180, 180] x [-90, 90].
func checkPoint(path string, p orb.Point) error {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return invalid(path, "coordinate is not a finite number")
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return invalid(path, "coordinate [%g, %g] outside [-180..180, -90..90] (order is [lon, lat])", lon, lat)
	}
	return nil
}

// invalidReason asks PostGIS why a geometry is invalid.
func (s *Store) invalidReason(ctx context.Context, path string, g []byte) error {
	var reason string
	err := s.pool.QueryRow(ctx, `SELECT ST_IsValidReason(ST_GeomFromEWKB($1::bytea))`, g).Scan(&reason)
	if err != nil {
		reason = "geometry is invalid"
	}
	return invalid(path, "invalid geometry: %s", reason)
}

// geomPath is the path of a geometry in validation errors, as in
// zones.ValidateZone.
const geomPath = "geometry.coordinates"

// constraintPaths maps CHECK constraint names to the field they guard, named
// as zones.ValidateZone names them.
var constraintPaths = map[string]string{
	"zones_kind_check":             "properties.kind",
	"zones_geom_valid":             geomPath,
	"zones_window_check":           "properties.effective_until",
	"zone_versions_kind_check":     "properties.kind",
	"zone_versions_geom_valid":     geomPath,
	"zone_versions_window_check":   "properties.effective_until",
	"compounds_geom_valid":         geomPath,
	"compounds_population_check":   "properties.population",
	"compounds_aged_60_plus_check": "properties.aged_60_plus",
	"compounds_households_check":   "properties.households",
	"facilities_kind_check":        "properties.kind",
	"facilities_geom_valid":        "geometry",
	"facilities_capacity_check":    "properties.capacity",
	"facilities_accepts_check":     "properties.accepts",
}

// isGeomViolation reports whether err is the violation of a *_geom_valid
// CHECK, i.e. ST_IsValid said no.
func isGeomViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && constraintPaths[pe.ConstraintName] == geomPath
}

// translate turns database errors into domain errors. prefix is prepended
// to the path of validation errors (e.g. "zones[3]."); ctxMsg wraps the rest.
func translate(err error, prefix, ctxMsg string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", ctxMsg, zones.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23514": // check_violation
			path, ok := constraintPaths[pe.ConstraintName]
			if !ok {
				path = pe.ConstraintName
			}
			return invalid(prefix+path, "violates %s", pe.ConstraintName)
		case "23502": // not_null_violation
			return invalid(prefix+pe.ColumnName, "is required")
		case "23503": // foreign_key_violation
			return invalid(prefix+pe.ConstraintName, "refers to a missing row: %s", pe.Detail)
		case "23505", "23P01": // unique_violation, exclusion_violation
			return fmt.Errorf("%s: %w: %s", ctxMsg, zones.ErrConflict, pe.Detail)
		case "22P02", "22003", "22007", "22008": // bad text representation, out of range, datetime
			return invalid(trimDot(prefix), "%s", pe.Message)
		}
	}
	return fmt.Errorf("%s: %w", ctxMsg, err)
}

func trimDot(p string) string {
	if n := len(p); n > 0 && p[n-1] == '.' {
		return p[:n-1]
	}
	return p
}
