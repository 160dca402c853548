package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"lifeline/zones"
)

const compoundCols = `id, name, ST_AsEWKB(geom), population, aged_60_plus, households, ST_AsEWKB(gates)`

func scanCompound(row pgx.Row) (zones.Compound, error) {
	var c zones.Compound
	var g, gates []byte
	var pop, aged, hh int32
	if err := row.Scan(&c.ID, &c.Name, &g, &pop, &aged, &hh, &gates); err != nil {
		return c, err
	}
	c.Population, c.Aged60Plus, c.Households = int(pop), int(aged), int(hh)
	var err error
	if c.Geometry, err = decodeMultiPolygon(g); err != nil {
		return c, err
	}
	if c.Gates, err = decodeMultiPoint(gates); err != nil {
		return c, err
	}
	return c, nil
}

// checkCount rejects counts that do not fit an SQL integer (the zones
// validators have already rejected negative ones).
func checkCount(path string, n int) error {
	if n < 0 {
		return invalid(path, "must not be negative")
	}
	if n > 1<<31-1 {
		return invalid(path, "is too large")
	}
	return nil
}

// CreateCompound validates c (zones.ValidateCompound, then ST_IsValid) and
// stores it, assigning its ID. Gates may be empty (stored as NULL; read back
// as nil). Errors: *zones.ValidationError, nothing written.
func (s *Store) CreateCompound(ctx context.Context, c zones.Compound) (zones.Compound, error) {
	if err := zones.ValidateCompound(c); err != nil {
		return zones.Compound{}, err
	}
	for _, f := range []struct {
		path string
		n    int
	}{{"properties.population", c.Population}, {"properties.households", c.Households}} {
		if err := checkCount(f.path, f.n); err != nil {
			return zones.Compound{}, err
		}
	}
	var gates []byte
	if len(c.Gates) > 0 {
		var err error
		if gates, err = encode(orb.MultiPoint(c.Gates)); err != nil {
			return zones.Compound{}, err
		}
	}
	g, err := encode(c.Geometry)
	if err != nil {
		return zones.Compound{}, err
	}
	out, err := scanCompound(s.pool.QueryRow(ctx, `INSERT INTO compounds (name, geom, population, aged_60_plus, households, gates)
		VALUES ($1, ST_GeomFromEWKB($2::bytea), $3, $4, $5, ST_GeomFromEWKB($6::bytea)) RETURNING `+compoundCols,
		c.Name, g, int32(c.Population), int32(c.Aged60Plus), int32(c.Households), gates))
	if err != nil {
		if isGeomViolation(err) {
			return zones.Compound{}, s.invalidReason(ctx, geomPath, g)
		}
		return zones.Compound{}, translate(err, "", "create compound")
	}
	return out, nil
}

// GetCompound returns compound id, or zones.ErrNotFound.
func (s *Store) GetCompound(ctx context.Context, id int64) (zones.Compound, error) {
	c, err := scanCompound(s.pool.QueryRow(ctx, `SELECT `+compoundCols+` FROM compounds WHERE id = $1`, id))
	if err != nil {
		return zones.Compound{}, translate(err, "", fmt.Sprintf("get compound %d", id))
	}
	return c, nil
}

// ListCompounds returns the compounds whose geometry intersects bbox (all
// when bbox is nil), in ascending id order.
func (s *Store) ListCompounds(ctx context.Context, bbox *orb.Bound) ([]zones.Compound, error) {
	q := `SELECT ` + compoundCols + ` FROM compounds`
	var args []any
	if bbox != nil {
		q += ` WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))`
		args = []any{bbox.Min[0], bbox.Min[1], bbox.Max[0], bbox.Max[1]}
	}
	q += ` ORDER BY id`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "", "list compounds")
	}
	defer rows.Close()
	out := []zones.Compound{}
	for rows.Next() {
		c, err := scanCompound(rows)
		if err != nil {
			return nil, translate(err, "", "list compounds")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "", "list compounds")
	}
	return out, nil
}

const facilityCols = `id, kind, name, ST_AsEWKB(geom), capacity, opening_hours, accepts, compound_id`

func scanFacility(row pgx.Row) (zones.Facility, error) {
	var f zones.Facility
	var kind string
	var g []byte
	var capacity int32
	var accepts []string
	var compound *int64
	if err := row.Scan(&f.ID, &kind, &f.Name, &g, &capacity, &f.OpeningHours, &accepts, &compound); err != nil {
		return f, err
	}
	f.Kind, f.Capacity = zones.FacilityKind(kind), int(capacity)
	if len(accepts) > 0 {
		f.Accepts = make([]zones.HealthCode, len(accepts))
		for i, a := range accepts {
			f.Accepts[i] = zones.HealthCode(a)
		}
	}
	if compound != nil {
		f.CompoundID = *compound
	}
	var err error
	f.Point, err = decodePoint(g)
	return f, err
}

// CreateFacility validates f (zones.ValidateFacility) and stores it,
// assigning its ID. CompoundID 0 means none; it is not checked against the
// compounds table (as in data/memstore). Errors: *zones.ValidationError.
func (s *Store) CreateFacility(ctx context.Context, f zones.Facility) (zones.Facility, error) {
	if err := zones.ValidateFacility(f); err != nil {
		return zones.Facility{}, err
	}
	if err := checkCount("properties.capacity", f.Capacity); err != nil {
		return zones.Facility{}, err
	}
	accepts := make([]string, len(f.Accepts))
	for i, a := range f.Accepts {
		accepts[i] = string(a)
	}
	var compound *int64
	if f.CompoundID > 0 {
		compound = &f.CompoundID
	}
	g, err := encode(f.Point)
	if err != nil {
		return zones.Facility{}, err
	}
	out, err := scanFacility(s.pool.QueryRow(ctx, `INSERT INTO facilities (kind, name, geom, capacity, opening_hours, accepts, compound_id)
		VALUES ($1, $2, ST_GeomFromEWKB($3::bytea), $4, $5, $6, $7) RETURNING `+facilityCols,
		string(f.Kind), f.Name, g, int32(f.Capacity), f.OpeningHours, accepts, compound))
	if err != nil {
		return zones.Facility{}, translate(err, "", "create facility")
	}
	return out, nil
}

// GetFacility returns facility id, or zones.ErrNotFound.
func (s *Store) GetFacility(ctx context.Context, id int64) (zones.Facility, error) {
	f, err := scanFacility(s.pool.QueryRow(ctx, `SELECT `+facilityCols+` FROM facilities WHERE id = $1`, id))
	if err != nil {
		return zones.Facility{}, translate(err, "", fmt.Sprintf("get facility %d", id))
	}
	return f, nil
}

// ListFacilities returns the facilities matching ff (zero fields do not
// filter; BBox is inclusive of its edges), in ascending id order.
func (s *Store) ListFacilities(ctx context.Context, ff zones.FacilityFilter) ([]zones.Facility, error) {
	q := `SELECT ` + facilityCols + ` FROM facilities WHERE true`
	var args []any
	arg := func(v any) int { args = append(args, v); return len(args) }
	if ff.Kind != "" {
		q += fmt.Sprintf(` AND kind = $%d`, arg(string(ff.Kind)))
	}
	if ff.BBox != nil {
		b := *ff.BBox
		q += fmt.Sprintf(` AND ST_Intersects(geom, ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326))`,
			arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
	}
	q += ` ORDER BY id`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "", "list facilities")
	}
	defer rows.Close()
	out := []zones.Facility{}
	for rows.Next() {
		f, err := scanFacility(rows)
		if err != nil {
			return nil, translate(err, "", "list facilities")
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "", "list facilities")
	}
	return out, nil
}
