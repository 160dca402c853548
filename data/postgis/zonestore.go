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

// Zones live in two tables (migration 0002): zones holds the identity (id,
// created_at, external_key) and mirrors the current (last) version;
// zone_versions holds every version with its validity window. GetZone and
// ListZones without a time read zones; look-ups and ListZones at a time
// read zone_versions. The rules (what an update, lift or import does) are
// the zones package's, shared with data/memstore.

// zoneCols reads the current version from zones.
const zoneCols = `id, version, kind, name, reason, external_key, ST_AsEWKB(geom), effective_from, effective_until, created_at, updated_at`

// versionCols reads a version from zone_versions v joined with zones z.
const versionCols = `z.id, v.version, v.kind, v.name, v.reason, z.external_key, ST_AsEWKB(v.geom), v.valid_from, v.valid_until, z.created_at, v.updated_at`

const versionsFrom = ` FROM zone_versions v JOIN zones z ON z.id = v.zone_id `

// rankSQL orders kinds by strictness like zones.Kind.Rank.
func rankSQL(col string) string {
	return `CASE ` + col + ` WHEN 'sealed' THEN 3 WHEN 'controlled' THEN 2 WHEN 'prevention' THEN 1 ELSE 0 END`
}

// activeSQL is the active-at filter on zone_versions v with the time in
// parameter $N.
func activeSQL(n int) string {
	return fmt.Sprintf(`v.valid_from <= $%d AND (v.valid_until IS NULL OR $%d < v.valid_until)`, n, n)
}

// scanZone reads the columns of zoneCols or versionCols, then into extra
// the columns after them.
func scanZone(row pgx.Row, extra ...any) (zones.Zone, error) {
	var z zones.Zone
	var kind string
	var key *string
	var g []byte
	dest := append([]any{&z.ID, &z.Version, &kind, &z.Name, &z.Reason, &key, &g, &z.EffectiveFrom, &z.EffectiveUntil, &z.CreatedAt, &z.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return z, err
	}
	z.Kind = zones.Kind(kind)
	z.ExternalKey = deref(key)
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

// prefixed puts prefix in front of the path of a validation error.
func prefixed(err error, prefix string) error {
	var ve *zones.ValidationError
	if prefix != "" && errors.As(err, &ve) {
		return &zones.ValidationError{Path: prefix + ve.Path, Message: ve.Message}
	}
	return err
}

// insertZoneSQL creates a zone and its version 1 in one statement.
const insertZoneSQL = `WITH z AS (
	INSERT INTO zones (kind, name, reason, geom, effective_from, effective_until, external_key)
	VALUES ($1, $2, $3, ST_GeomFromEWKB($4::bytea), $5, $6, NULLIF($7, '')) RETURNING *
), v AS (
	INSERT INTO zone_versions (zone_id, version, kind, name, reason, geom, valid_from, valid_until, created_at, updated_at)
	SELECT id, 1, kind, name, reason, geom, effective_from, effective_until, created_at, updated_at FROM z
)
SELECT ` + zoneCols + ` FROM z`

func insertArgs(z zones.Zone, g []byte) []any {
	return []any{string(z.Kind), z.Name, z.Reason, g, z.EffectiveFrom, z.EffectiveUntil, z.ExternalKey}
}

// CreateZone validates z (zones.PrepareNew, then ST_IsValid in the
// database) and stores it as version 1, assigning ID, CreatedAt and
// UpdatedAt (database clock); ID and the timestamps of z are ignored; a
// zero EffectiveFrom becomes now. Errors: a *zones.ValidationError, nothing
// written; for a geometry only PostGIS rejects (e.g. overlapping parts of a
// multipolygon) the message carries ST_IsValidReason; zones.ErrConflict
// for an external key already used.
func (s *Store) CreateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	out, err := s.CreateZones(ctx, []zones.Zone{z})
	if err != nil {
		return zones.Zone{}, err
	}
	return out[0], nil
}

// CreateZones stores all zones in one transaction and one round trip (a
// pgx batch): either every zone is stored or none is. With more than one
// zone, validation errors carry the index, e.g. path
// "zones[3].geometry.coordinates" (as data/memstore does).
func (s *Store) CreateZones(ctx context.Context, zs []zones.Zone) ([]zones.Zone, error) {
	if len(zs) == 0 {
		return []zones.Zone{}, nil
	}
	now := time.Now()
	pfx := func(i int) string {
		if len(zs) > 1 {
			return fmt.Sprintf("zones[%d].", i)
		}
		return ""
	}
	prepared := make([]zones.Zone, len(zs))
	geoms := make([][]byte, len(zs))
	for i := range zs {
		p, err := zones.PrepareNew(zs[i], now)
		if err != nil {
			return nil, prefixed(err, pfx(i))
		}
		if geoms[i], err = encode(p.Geometry); err != nil {
			return nil, err
		}
		prepared[i] = p
	}
	out := make([]zones.Zone, len(zs))
	failed := -1
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockChanges(ctx, tx); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for i, z := range prepared {
			b.Queue(insertZoneSQL, insertArgs(z, geoms[i])...)
		}
		br := tx.SendBatch(ctx, b)
		for i := range prepared {
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
	s.afterWrite(ctx)
	return out, nil
}

// GetZone returns the current version of zone id, or zones.ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id int64) (zones.Zone, error) {
	z, err := scanZone(s.pool.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1`, id))
	if err != nil {
		return zones.Zone{}, translate(err, "", fmt.Sprintf("get zone %d", id))
	}
	return z, nil
}

// ZoneHistory returns every version of zone id, oldest first, or
// zones.ErrNotFound.
func (s *Store) ZoneHistory(ctx context.Context, id int64) ([]zones.Zone, error) {
	zs, err := s.queryZones(ctx, "zone history", `SELECT `+versionCols+versionsFrom+`WHERE v.zone_id = $1 ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	if len(zs) == 0 {
		return nil, fmt.Errorf("zone history %d: %w", id, zones.ErrNotFound)
	}
	return zs, nil
}

// ListZones returns the zones matching f in ascending id order: the current
// version of each, or with f.ActiveAt the version in force then. BBox keeps
// zones whose geometry intersects the bound (ST_Intersects,
// index-assisted). Limit 0 means no limit; a negative Limit or Offset is a
// ValidationError.
func (s *Store) ListZones(ctx context.Context, f zones.ZoneFilter) ([]zones.Zone, error) {
	if f.Limit < 0 {
		return nil, invalid("limit", "must not be negative")
	}
	if f.Offset < 0 {
		return nil, invalid("offset", "must not be negative")
	}
	args := []any{}
	arg := func(v any) int { args = append(args, v); return len(args) }
	q := `SELECT ` + zoneCols + ` FROM zones t WHERE true`
	id := "t.id"
	if f.ActiveAt != nil {
		q = `SELECT ` + versionCols + versionsFrom + `WHERE ` + activeSQL(arg(*f.ActiveAt))
		id = "z.id"
	}
	tbl := "t."
	if f.ActiveAt != nil {
		tbl = "v."
	}
	if f.Kind != zones.KindNone {
		q += fmt.Sprintf(` AND %skind = $%d`, tbl, arg(string(f.Kind)))
	}
	if f.BBox != nil {
		b := *f.BBox
		q += fmt.Sprintf(` AND ST_Intersects(%sgeom, ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326))`,
			tbl, arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
	}
	q += ` ORDER BY ` + id
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

// lockCurrent reads the current version of zone id under a row lock.
func lockCurrent(ctx context.Context, tx pgx.Tx, where string, arg any) (zones.Zone, error) {
	return scanZone(tx.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE `+where+` FOR UPDATE`, arg))
}

// applyVersions writes a planned change in tx: the current version
// (ended) takes its new end, and next (if any) becomes the new current
// version. It returns the zone's new current version.
func (s *Store) applyVersions(ctx context.Context, tx pgx.Tx, ended zones.Zone, next *zones.Zone) (zones.Zone, error) {
	if _, err := tx.Exec(ctx, `UPDATE zone_versions SET valid_until = $3,
		updated_at = CASE WHEN $4 THEN greatest(now(), updated_at) ELSE updated_at END
		WHERE zone_id = $1 AND version = $2`, ended.ID, ended.Version, ended.EffectiveUntil, next == nil); err != nil {
		return zones.Zone{}, err
	}
	if next == nil {
		return scanZone(tx.QueryRow(ctx, `UPDATE zones SET effective_until = $2,
			updated_at = greatest(now(), updated_at) WHERE id = $1 RETURNING `+zoneCols, ended.ID, ended.EffectiveUntil))
	}
	g, err := encode(next.Geometry)
	if err != nil {
		return zones.Zone{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO zone_versions (zone_id, version, kind, name, reason, geom, valid_from, valid_until)
		VALUES ($1, $2, $3, $4, $5, ST_GeomFromEWKB($6::bytea), $7, $8)`,
		next.ID, next.Version, string(next.Kind), next.Name, next.Reason, g, next.EffectiveFrom, next.EffectiveUntil)
	if isGeomViolation(err) {
		return zones.Zone{}, s.invalidReason(ctx, geomPath, g)
	}
	if err != nil {
		return zones.Zone{}, err
	}
	return scanZone(tx.QueryRow(ctx, `UPDATE zones SET version = $2, kind = $3, name = $4, reason = $5,
		geom = ST_GeomFromEWKB($6::bytea), effective_from = $7, effective_until = $8, external_key = NULLIF($9, ''),
		updated_at = greatest(now(), updated_at) WHERE id = $1 RETURNING `+zoneCols,
		next.ID, next.Version, string(next.Kind), next.Name, next.Reason, g, next.EffectiveFrom, next.EffectiveUntil, next.ExternalKey))
}

// txError maps an error out of a zone transaction.
func txError(err error, what string) error {
	var ve *zones.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	if errors.Is(err, zones.ErrConflict) && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return translate(err, "", what)
}

// UpdateZone adds a version of zone z.ID (zones.PlanUpdate: in force from
// z.EffectiveFrom, zero meaning now; the previous version ends there), in
// one transaction holding the zone's row lock. Errors:
// *zones.ValidationError (nothing changed), zones.ErrNotFound,
// zones.ErrConflict (the zone was lifted before the update's time, or the
// external key is another zone's).
func (s *Store) UpdateZone(ctx context.Context, z zones.Zone) (zones.Zone, error) {
	var out zones.Zone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockChanges(ctx, tx); err != nil {
			return err
		}
		cur, err := lockCurrent(ctx, tx, "id = $1", z.ID)
		if err != nil {
			return err
		}
		ended, next, err := zones.PlanUpdate(cur, z, time.Now())
		if err != nil {
			return err
		}
		out, err = s.applyVersions(ctx, tx, ended, &next)
		return err
	})
	if err != nil {
		return zones.Zone{}, txError(err, fmt.Sprintf("update zone %d", z.ID))
	}
	s.afterWrite(ctx)
	return out, nil
}

// LiftZone ends zone id (its last version) at `at`, truncated to the
// microsecond (zones.PlanLift), under a row lock. Lifting again at the same
// time is a no-op; lifting earlier than a previous lift moves it earlier.
// Errors: *zones.ValidationError (path "effective_until") if at is out of
// range or not after the last version's EffectiveFrom; zones.ErrConflict
// if the zone was already lifted before at; zones.ErrNotFound.
func (s *Store) LiftZone(ctx context.Context, id int64, at time.Time) (zones.Zone, error) {
	var out zones.Zone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockChanges(ctx, tx); err != nil {
			return err
		}
		cur, err := lockCurrent(ctx, tx, "id = $1", id)
		if err != nil {
			return err
		}
		z, changed, err := zones.PlanLift(cur, at, time.Now())
		if err != nil {
			return err
		}
		if !changed {
			out = z
			return nil
		}
		out, err = s.applyVersions(ctx, tx, z, nil)
		return err
	})
	if err != nil {
		return zones.Zone{}, txError(err, fmt.Sprintf("lift zone %d", id))
	}
	s.afterWrite(ctx)
	return out, nil
}

// ImportZones applies zones.PlanImport to every zone of zs in order, in
// one transaction (all or nothing), matching by external key, else by the
// id of a zone of this store. Validation errors name the feature
// ("features[i]." + path).
func (s *Store) ImportZones(ctx context.Context, zs []zones.Zone) (zones.ImportResult, error) {
	if err := zones.CheckImport(zs); err != nil {
		return zones.ImportResult{}, err
	}
	res := zones.ImportResult{Items: make([]zones.ImportItem, 0, len(zs))}
	now := time.Now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockChanges(ctx, tx); err != nil {
			return err
		}
		for i, in := range zs {
			pfx := fmt.Sprintf("features[%d].", i)
			var cur *zones.Zone
			var found zones.Zone
			var err error
			switch {
			case in.ExternalKey != "":
				found, err = lockCurrent(ctx, tx, "external_key = $1", in.ExternalKey)
			case in.ID > 0:
				found, err = lockCurrent(ctx, tx, "id = $1", in.ID)
			default:
				err = pgx.ErrNoRows
			}
			if err == nil {
				cur = &found
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			plan, err := zones.PlanImport(cur, in, now)
			if err != nil {
				return prefixed(err, pfx)
			}
			switch plan.Action {
			case zones.ImportCreated:
				g, err := encode(plan.New.Geometry)
				if err != nil {
					return err
				}
				z, err := scanZone(tx.QueryRow(ctx, insertZoneSQL, insertArgs(plan.New, g)...))
				if isGeomViolation(err) {
					return s.invalidReason(ctx, pfx+geomPath, g)
				}
				if err != nil {
					return translate(err, pfx, "import zones")
				}
				res.Add(z, plan.Action)
			case zones.ImportUpdated:
				z, err := s.applyVersions(ctx, tx, plan.Ended, plan.Next)
				if err != nil {
					return prefixed(err, pfx)
				}
				res.Add(z, plan.Action)
			default:
				res.Add(plan.Ended, plan.Action)
			}
		}
		return nil
	})
	if err != nil {
		return zones.ImportResult{}, txError(err, "import zones")
	}
	s.afterWrite(ctx)
	return res, nil
}

// Lookup returns the zones active at t covering p (a point on a boundary
// counts as inside), each as its version in force at t, strictest first,
// ties by ascending id: from the replica's in-memory index (changes.go),
// or with WithoutZoneIndex by LookupSQL. Errors: *zones.ValidationError
// for a non-finite or out-of-range point.
func (s *Store) Lookup(ctx context.Context, p orb.Point, at time.Time) ([]zones.Zone, error) {
	if s.mirror == nil {
		return s.LookupSQL(ctx, p, at)
	}
	if err := checkPoint("point", p); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.mirror.Lookup(p, at), nil
}

// LookupSQL is Lookup answered by the database: one indexed query (the
// check of the in-memory index, and what a store without it uses).
func (s *Store) LookupSQL(ctx context.Context, p orb.Point, at time.Time) ([]zones.Zone, error) {
	if err := checkPoint("point", p); err != nil {
		return nil, err
	}
	q := `SELECT ` + versionCols + versionsFrom + `
		WHERE ST_Intersects(v.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) AND ` + activeSQL(3) + `
		ORDER BY ` + rankSQL("v.kind") + ` DESC, z.id`
	return s.queryZones(ctx, "lookup", q, p[0], p[1], at)
}

// lookupBatchSQL matches every point (unnest with ordinality) against the
// versions active at the time through the GiST index (a lateral index probe
// per point), and groups the hits back into two parallel arrays ordered by
// point, then strictness, then id: one row, cheap to decode. Each matching
// version comes once in the other rows of the union, so a geometry crosses
// the wire once per batch, not once per hit.
var lookupBatchSQL = `WITH p AS MATERIALIZED (
	SELECT u.i, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS g
	FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i)
), h AS MATERIALIZED (
	SELECT p.i, z.zone_id AS id, z.version, z.rank
	FROM p CROSS JOIN LATERAL (
		SELECT v.zone_id, v.version, ` + rankSQL("v.kind") + ` AS rank FROM zone_versions v
		WHERE ST_Intersects(v.geom, p.g) AND ` + activeSQL(3) + `
	) z
)
SELECT array_agg(i ORDER BY i, rank DESC, id), array_agg(id ORDER BY i, rank DESC, id),
	NULL::bigint, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bytea,
	NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz
FROM h
UNION ALL
SELECT NULL, NULL, ` + versionCols + versionsFrom + `
WHERE (v.zone_id, v.version) IN (SELECT id, version FROM h)`

// LookupBatch is Lookup for many points: result i belongs to ps[i] and is
// never nil (empty when no zone matches); from the in-memory index, or
// with WithoutZoneIndex by LookupBatchSQL. Zones matched by several points
// share one Geometry slice: treat results as read-only. Errors:
// *zones.ValidationError with path "points[i]" for a bad point.
func (s *Store) LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
	if s.mirror == nil {
		return s.LookupBatchSQL(ctx, ps, at)
	}
	for i, p := range ps {
		if err := checkPoint(fmt.Sprintf("points[%d]", i), p); err != nil {
			return nil, err
		}
	}
	return s.mirror.LookupBatch(ctx, ps, at)
}

// LookupBatchSQL is LookupBatch answered by the database: up to MaxBatch
// points in ONE round trip; longer inputs take ceil(len/MaxBatch).
func (s *Store) LookupBatchSQL(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
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
			version                       *int
			kind, name, reason, key       *string
			g                             []byte
			from, until, created, updated *time.Time
		)
		if err := rows.Scan(&pis, &zids, &id, &version, &kind, &name, &reason, &key, &g, &from, &until, &created, &updated); err != nil {
			return translate(err, "", "lookup batch")
		}
		if id == nil { // the hits row
			hitPoint, hitZone = pis, zids
			continue
		}
		if version == nil || kind == nil || from == nil || created == nil || updated == nil {
			return fmt.Errorf("lookup batch: malformed zone row")
		}
		mp, err := decodeMultiPolygon(g)
		if err != nil {
			return fmt.Errorf("lookup batch: %w", err)
		}
		z := zones.Zone{ID: *id, Version: *version, Kind: zones.Kind(*kind), Name: deref(name), Reason: deref(reason),
			ExternalKey: deref(key), Geometry: mp, EffectiveFrom: *from, EffectiveUntil: until, CreatedAt: *created, UpdatedAt: *updated}
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
