package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// prepareZone applies the store conventions shared with data/memstore (a
// zero EffectiveFrom becomes now, times truncated to the microsecond, in
// UTC), validates z with zones.ValidateZone and returns its EWKB.
func prepareZone(z *zones.Zone, now time.Time) ([]byte, error) {
	if z.EffectiveFrom.IsZero() {
		z.EffectiveFrom = now
	}
	z.EffectiveFrom = zones.TruncateTime(z.EffectiveFrom)
	if z.EffectiveUntil != nil {
		u := zones.TruncateTime(*z.EffectiveUntil)
		z.EffectiveUntil = &u
	}
	if err := zones.ValidateZone(*z); err != nil {
		return nil, err
	}
	return encode(z.Geometry)
}

// prefixed puts prefix in front of the path of a validation error.
func prefixed(err error, prefix string) error {
	var ve *zones.ValidationError
	if prefix != "" && errors.As(err, &ve) {
		return &zones.ValidationError{Path: prefix + ve.Path, Message: ve.Message}
	}
	return err
}

const insertZoneSQL = `INSERT INTO zones (kind, name, reason, geom, effective_from, effective_until)
VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea), $5, $6) RETURNING ` + zoneCols

// CreateZone validates z (zones.ValidateZone, then ST_IsValid in the
// database) and stores it, assigning ID, CreatedAt and UpdatedAt (database
// clock); ID and the timestamps of z are ignored; a zero EffectiveFrom
// becomes now. Errors: a *zones.ValidationError, nothing written; for a
// geometry only PostGIS rejects (e.g. overlapping parts of a multipolygon)
// the message carries ST_IsValidReason.
func (s *Store) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	g, err := prepareZone(&z, time.Now())
	if err != nil {
		return zones.Zone{}, err
	}
	out, err := scanZone(s.pool.QueryRow(ctx, insertZoneSQL, string(z.Kind), z.Name, z.Reason, g, z.EffectiveFrom, z.EffectiveUntil))
	if err != nil {
		if isGeomViolation(err) {
			return zones.Zone{}, s.invalidReason(ctx, geomPath, g)
		}
		return zones.Zone{}, translate(err, "", "create zone")
	}
	return out, nil
}

// CreateZones stores all zones in one transaction and one round trip (a
// pgx batch): either every zone is stored or none is. With more than one
// zone, validation errors carry the index, e.g. path
// "zones[3].geometry.coordinates" (as data/memstore does).
func (s *Store) CreateZones(ctx context.Context, zs []zones.Zone) ([]zones.Zone, error) {
	if len(zs) == 0 {
		return []zones.Zone{}, nil
	}
	zs = slices.Clone(zs)
	now := time.Now()
	pfx := func(i int) string {
		if len(zs) > 1 {
			return fmt.Sprintf("zones[%d].", i)
		}
		return ""
	}
	geoms := make([][]byte, len(zs))
	for i := range zs {
		g, err := prepareZone(&zs[i], now)
		if err != nil {
			return nil, prefixed(err, pfx(i))
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
			prefix = pfx(failed)
			if isGeomViolation(err) {
				return nil, s.invalidReason(ctx, prefix+geomPath, geoms[failed])
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

// UpdateZone replaces Kind, Name, Reason, Geometry, EffectiveFrom (a zero
// one keeps the stored value) and EffectiveUntil of zone z.ID (validated
// as in CreateZone), keeps CreatedAt and bumps UpdatedAt, in one
// transaction holding the row lock. Errors: *zones.ValidationError (nothing
// changed), zones.ErrNotFound.
func (s *Store) UpdateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	var out zones.Zone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from time.Time
		if err := tx.QueryRow(ctx, `SELECT effective_from FROM zones WHERE id = $1 FOR UPDATE`, z.ID).Scan(&from); err != nil {
			return err
		}
		if z.EffectiveFrom.IsZero() {
			z.EffectiveFrom = from
		}
		g, err := prepareZone(&z, from)
		if err != nil {
			return err
		}
		out, err = scanZone(tx.QueryRow(ctx, `UPDATE zones SET kind = $2, name = $3, reason = $4,
			geom = ST_GeomFromEWKB($5::bytea), effective_from = $6, effective_until = $7,
			updated_at = greatest(now(), updated_at) WHERE id = $1 RETURNING `+zoneCols,
			z.ID, string(z.Kind), z.Name, z.Reason, g, z.EffectiveFrom, z.EffectiveUntil))
		if isGeomViolation(err) {
			return s.invalidReason(ctx, geomPath, g)
		}
		return err
	})
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			return zones.Zone{}, ve
		}
		return zones.Zone{}, translate(err, "", fmt.Sprintf("update zone %d", z.ID))
	}
	return out, nil
}

// Validity times a zone may carry, as in the zones validators.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// LiftZone ends zone id at `at` (truncated to the microsecond) by setting
// EffectiveUntil, under a row lock. Lifting again at the same time is a
// no-op; lifting earlier than a previous lift moves it earlier. Errors:
// *zones.ValidationError (path "effective_until") if at is not after
// EffectiveFrom or outside the years [1970, 2200); zones.ErrConflict if the
// zone was already lifted before at; zones.ErrNotFound.
func (s *Store) LiftZone(ctx context.Context, id int64, at time.Time) (zones.Zone, error) {
	at = zones.TruncateTime(at)
	if at.Before(minTime) || !at.Before(maxTime) {
		return zones.Zone{}, invalid("effective_until", "must be between 1970 and 2200")
	}
	var out zones.Zone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		z, err := scanZone(tx.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if !at.After(z.EffectiveFrom) {
			return invalid("effective_until", "lift time %s must be after effective_from %s",
				at.Format(time.RFC3339Nano), z.EffectiveFrom.Format(time.RFC3339Nano))
		}
		if z.EffectiveUntil != nil {
			if z.EffectiveUntil.Before(at) {
				return fmt.Errorf("zone %d already lifted at %s: %w", id,
					z.EffectiveUntil.Format(time.RFC3339Nano), zones.ErrConflict)
			}
			if z.EffectiveUntil.Equal(at) {
				out = z
				return nil
			}
		}
		out, err = scanZone(tx.QueryRow(ctx, `UPDATE zones SET effective_until = $2,
			updated_at = greatest(now(), updated_at) WHERE id = $1 RETURNING `+zoneCols, id, at))
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
