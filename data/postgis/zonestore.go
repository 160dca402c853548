package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"lifeline/zones"
)

const zoneCols = `id, kind, name, reason, ST_AsEWKB(geom), effective_from, effective_until, created_at, updated_at`

// rankSQL orders kinds by strictness like zones.Kind.Rank.
const rankSQL = `CASE kind WHEN 'sealed' THEN 3 WHEN 'controlled' THEN 2 WHEN 'prevention' THEN 1 ELSE 0 END`

// activeSQL is the active-at filter with the time in parameter $N.
func activeSQL(n int) string {
	return fmt.Sprintf(`effective_from <= $%d AND (effective_until IS NULL OR $%d < effective_until)`, n, n)
}

func scanZone(row pgx.Row) (zones.Zone, error) {
	var z zones.Zone
	var kind string
	var g []byte
	if err := row.Scan(&z.ID, &kind, &z.Name, &z.Reason, &g, &z.EffectiveFrom, &z.EffectiveUntil, &z.CreatedAt, &z.UpdatedAt); err != nil {
		return z, err
	}
	z.Kind = zones.Kind(kind)
	mp, err := decodeMultiPolygon(g)
	if err != nil {
		return z, err
	}
	z.Geometry = mp
	normZone(&z)
	return z, nil
}

func normZone(z *zones.Zone) {
	z.EffectiveFrom = utc(z.EffectiveFrom)
	if z.EffectiveUntil != nil {
		u := utc(*z.EffectiveUntil)
		z.EffectiveUntil = &u
	}
	z.CreatedAt = utc(z.CreatedAt)
	z.UpdatedAt = utc(z.UpdatedAt)
}

// checkZone validates the editable fields of z and returns its EWKB.
// prefix goes in front of paths ("" or "zones[3].").
func checkZone(prefix string, z *zones.Zone) ([]byte, error) {
	if !z.Kind.Valid() {
		return nil, invalid(prefix+"kind", "unknown zone kind %q (want sealed, controlled or prevention)", z.Kind)
	}
	if z.EffectiveFrom.IsZero() {
		return nil, invalid(prefix+"effective_from", "is required")
	}
	if z.EffectiveUntil != nil && z.EffectiveUntil.Before(z.EffectiveFrom) {
		return nil, invalid(prefix+"effective_until", "is before effective_from")
	}
	if err := checkMultiPolygon(prefix+"geometry", z.Geometry); err != nil {
		return nil, err
	}
	return encode(z.Geometry)
}

const insertZoneSQL = `INSERT INTO zones (kind, name, reason, geom, effective_from, effective_until)
VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea), $5, $6) RETURNING ` + zoneCols

// CreateZone validates and stores z, assigning ID, CreatedAt and UpdatedAt
// (database clock). ID and the timestamps of z are ignored. Errors: a
// *zones.ValidationError for a bad kind, window or geometry (including
// geometries ST_IsValid rejects, with its reason).
func (s *Store) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	g, err := checkZone("", &z)
	if err != nil {
		return zones.Zone{}, err
	}
	out, err := scanZone(s.pool.QueryRow(ctx, insertZoneSQL, string(z.Kind), z.Name, z.Reason, g, z.EffectiveFrom, z.EffectiveUntil))
	if err != nil {
		if isGeomViolation(err) {
			return zones.Zone{}, s.invalidReason(ctx, "geometry", g)
		}
		return zones.Zone{}, translate(err, "", "create zone")
	}
	return out, nil
}

// CreateZones stores all zones in one transaction and one round trip (a
// pgx batch): either every zone is stored or none is. Validation errors
// carry the index, e.g. path "zones[3].geometry".
func (s *Store) CreateZones(ctx context.Context, zs []zones.Zone) ([]zones.Zone, error) {
	if len(zs) == 0 {
		return []zones.Zone{}, nil
	}
	geoms := make([][]byte, len(zs))
	for i := range zs {
		g, err := checkZone(fmt.Sprintf("zones[%d].", i), &zs[i])
		if err != nil {
			return nil, err
		}
		geoms[i] = g
	}
	out := make([]zones.Zone, len(zs))
	failed := -1
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i, z := range zs {
			b.Queue(insertZoneSQL, string(z.Kind), z.Name, z.Reason, geoms[i], z.EffectiveFrom, z.EffectiveUntil)
		}
		br := tx.SendBatch(ctx, b)
		for i := range zs {
			z, err := scanZone(br.QueryRow())
			if err != nil {
				failed = i
				br.Close()
				return err
			}
			out[i] = z
		}
		return br.Close()
	})
	if err != nil {
		prefix := ""
		if failed >= 0 {
			prefix = fmt.Sprintf("zones[%d].", failed)
			if isGeomViolation(err) {
				return nil, s.invalidReason(ctx, prefix+"geometry", geoms[failed])
			}
		}
		return nil, translate(err, prefix, "create zones")
	}
	return out, nil
}

// GetZone returns zone id, or zones.ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id int64) (zones.Zone, error) {
	z, err := scanZone(s.pool.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1`, id))
	if err != nil {
		return zones.Zone{}, translate(err, "", fmt.Sprintf("get zone %d", id))
	}
	return z, nil
}

// ListZones returns the zones matching f in ascending id order. BBox keeps
// zones whose geometry intersects the bound (ST_Intersects, index-assisted).
// Limit 0 means no limit; a negative Limit or Offset is a ValidationError.
func (s *Store) ListZones(ctx context.Context, f zones.ZoneFilter) ([]zones.Zone, error) {
	if f.Limit < 0 {
		return nil, invalid("limit", "must not be negative")
	}
	if f.Offset < 0 {
		return nil, invalid("offset", "must not be negative")
	}
	q := `SELECT ` + zoneCols + ` FROM zones WHERE true`
	args := []any{}
	arg := func(v any) int { args = append(args, v); return len(args) }
	if f.Kind != zones.KindNone {
		q += fmt.Sprintf(` AND kind = $%d`, arg(string(f.Kind)))
	}
	if f.BBox != nil {
		b := *f.BBox
		q += fmt.Sprintf(` AND ST_Intersects(geom, ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326))`,
			arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
	}
	if f.ActiveAt != nil {
		q += ` AND ` + activeSQL(arg(*f.ActiveAt))
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT $%d`, arg(int64(f.Limit)))
	}
	if f.Offset > 0 {
		q += fmt.Sprintf(` OFFSET $%d`, arg(int64(f.Offset)))
	}
	return s.queryZones(ctx, "list zones", q, args...)
}

func (s *Store) queryZones(ctx context.Context, what, q string, args ...any) ([]zones.Zone, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "", what)
	}
	defer rows.Close()
	out := []zones.Zone{}
	for rows.Next() {
		z, err := scanZone(rows)
		if err != nil {
			return nil, translate(err, "", what)
		}
		out = append(out, z)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "", what)
	}
	return out, nil
}

// UpdateZone replaces kind, name, reason, geometry, effective_from and
// effective_until of zone z.ID and bumps UpdatedAt. Errors:
// zones.ErrNotFound, *zones.ValidationError.
func (s *Store) UpdateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	g, err := checkZone("", &z)
	if err != nil {
		return zones.Zone{}, err
	}
	out, err := scanZone(s.pool.QueryRow(ctx, `UPDATE zones SET kind = $2, name = $3, reason = $4,
		geom = ST_GeomFromEWKB($5::bytea), effective_from = $6, effective_until = $7,
		updated_at = greatest(now(), created_at) WHERE id = $1 RETURNING `+zoneCols,
		z.ID, string(z.Kind), z.Name, z.Reason, g, z.EffectiveFrom, z.EffectiveUntil))
	if err != nil {
		if isGeomViolation(err) {
			return zones.Zone{}, s.invalidReason(ctx, "geometry", g)
		}
		return zones.Zone{}, translate(err, "", fmt.Sprintf("update zone %d", z.ID))
	}
	return out, nil
}

// LiftZone sets EffectiveUntil of zone id to at (row-locked). Lifting again
// at the same or an earlier time is allowed (it shortens the window);
// zones.ErrConflict if the zone was already lifted before at; a
// *zones.ValidationError if at is before EffectiveFrom; zones.ErrNotFound.
func (s *Store) LiftZone(ctx context.Context, id int64, at time.Time) (zones.Zone, error) {
	var out zones.Zone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		z, err := scanZone(tx.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if at.Before(z.EffectiveFrom) {
			return invalid("effective_until", "lift time %s is before effective_from %s",
				at.UTC().Format(time.RFC3339Nano), z.EffectiveFrom.Format(time.RFC3339Nano))
		}
		if z.EffectiveUntil != nil && z.EffectiveUntil.Before(at) {
			return fmt.Errorf("zone %d already lifted at %s: %w", id,
				z.EffectiveUntil.Format(time.RFC3339Nano), zones.ErrConflict)
		}
		out, err = scanZone(tx.QueryRow(ctx, `UPDATE zones SET effective_until = $2,
			updated_at = greatest(now(), created_at) WHERE id = $1 RETURNING `+zoneCols, id, at))
		return err
	})
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			return zones.Zone{}, ve
		}
		if errors.Is(err, zones.ErrConflict) {
			return zones.Zone{}, fmt.Errorf("lift zone: %w", err)
		}
		return zones.Zone{}, translate(err, "", fmt.Sprintf("lift zone %d", id))
	}
	return out, nil
}

// Lookup returns the zones active at t whose geometry intersects p (a point
// on a boundary counts as inside), strictest first, ties by ascending id.
// One indexed query. Errors: *zones.ValidationError for a non-finite or
// out-of-range point.
func (s *Store) Lookup(ctx context.Context, p orb.Point, at time.Time) ([]zones.Zone, error) {
	if err := checkPoint("point", p); err != nil {
		return nil, err
	}
	q := `SELECT ` + zoneCols + ` FROM zones
		WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) AND ` + activeSQL(3) + `
		ORDER BY ` + rankSQL + ` DESC, id`
	return s.queryZones(ctx, "lookup", q, p[0], p[1], at)
}

// lookupBatchSQL matches every point (unnest with ordinality) against the
// active zones through the GiST index (a lateral index probe per point),
// and groups the hits back into two parallel arrays ordered by point, then
// strictness, then id: one row, cheap to decode. Each matching zone comes
// once in the other rows of the union, so a geometry crosses the wire once
// per batch, not once per hit.
var lookupBatchSQL = `WITH p AS MATERIALIZED (
	SELECT u.i, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS g
	FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i)
), h AS MATERIALIZED (
	SELECT p.i, z.id, z.rank
	FROM p CROSS JOIN LATERAL (
		SELECT id, ` + rankSQL + ` AS rank FROM zones
		WHERE ST_Intersects(geom, p.g) AND ` + activeSQL(3) + `
	) z
)
SELECT array_agg(i ORDER BY i, rank DESC, id), array_agg(id ORDER BY i, rank DESC, id),
	NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bytea,
	NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz
FROM h
UNION ALL
SELECT NULL, NULL, id, kind, name, reason, ST_AsEWKB(geom), effective_from, effective_until, created_at, updated_at
FROM zones WHERE id IN (SELECT id FROM h)`

// LookupBatch is Lookup for many points: result i belongs to ps[i] and is
// never nil (empty when no zone matches). Up to MaxBatch points go in ONE
// round trip; longer inputs take ceil(len/MaxBatch). Zones matched by
// several points share one Geometry slice: treat results as read-only.
// Errors: *zones.ValidationError with path "points[i]" for a bad point.
func (s *Store) LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
	for i, p := range ps {
		if err := checkPoint(fmt.Sprintf("points[%d]", i), p); err != nil {
			return nil, err
		}
	}
	out := make([][]zones.Zone, len(ps))
	for i := range out {
		out[i] = []zones.Zone{}
	}
	for lo := 0; lo < len(ps); lo += MaxBatch {
		hi := min(lo+MaxBatch, len(ps))
		if err := s.lookupChunk(ctx, ps[lo:hi], at, out[lo:hi]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) lookupChunk(ctx context.Context, ps []orb.Point, at time.Time, out [][]zones.Zone) error {
	lons := make([]float64, len(ps))
	lats := make([]float64, len(ps))
	for i, p := range ps {
		lons[i], lats[i] = p[0], p[1]
	}
	rows, err := s.pool.Query(ctx, lookupBatchSQL, lons, lats, at)
	if err != nil {
		return translate(err, "", "lookup batch")
	}
	defer rows.Close()
	var hitPoint, hitZone []int64
	byID := map[int64]zones.Zone{}
	for rows.Next() {
		var (
			pis, zids                     []int64
			id                            *int64
			kind, name, reason            *string
			g                             []byte
			from, until, created, updated *time.Time
		)
		if err := rows.Scan(&pis, &zids, &id, &kind, &name, &reason, &g, &from, &until, &created, &updated); err != nil {
			return translate(err, "", "lookup batch")
		}
		if id == nil { // the hits row
			hitPoint, hitZone = pis, zids
			continue
		}
		if kind == nil || from == nil || created == nil || updated == nil {
			return fmt.Errorf("lookup batch: malformed zone row")
		}
		mp, err := decodeMultiPolygon(g)
		if err != nil {
			return fmt.Errorf("lookup batch: %w", err)
		}
		z := zones.Zone{ID: *id, Kind: zones.Kind(*kind), Name: deref(name), Reason: deref(reason),
			Geometry: mp, EffectiveFrom: *from, EffectiveUntil: until, CreatedAt: *created, UpdatedAt: *updated}
		normZone(&z)
		byID[z.ID] = z
	}
	if err := rows.Err(); err != nil {
		return translate(err, "", "lookup batch")
	}
	if len(hitPoint) != len(hitZone) {
		return fmt.Errorf("lookup batch: %d point indexes for %d zone ids", len(hitPoint), len(hitZone))
	}
	// One backing array for all results; hits arrive grouped by point.
	flat := make([]zones.Zone, len(hitZone))
	for k := 0; k < len(hitPoint); {
		i := hitPoint[k]
		if i < 1 || int(i) > len(ps) {
			return fmt.Errorf("lookup batch: point index %d out of range", i)
		}
		start := k
		for ; k < len(hitPoint) && hitPoint[k] == i; k++ {
			z, ok := byID[hitZone[k]]
			if !ok {
				return fmt.Errorf("lookup batch: zone %d missing from result", hitZone[k])
			}
			flat[k] = z
		}
		out[i-1] = flat[start:k:k]
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
