package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

var _ shuttles.RiderStore = (*Store)(nil)

const riderCols = `id, pseudonym, name, phone, compound_id, ST_X(boarding), ST_Y(boarding), board_label, board_kind,
	category, colour, to_char(code_set_on, 'YYYY-MM-DD'), wheelchair, companions, facility_id, sessions,
	coalesce(to_char(due_date, 'YYYY-MM-DD'), ''), archived, created_at, updated_at`

func scanRider(row pgx.Row) (shuttles.Rider, error) {
	var r shuttles.Rider
	var kind, cat, colour string
	var sessions []byte
	err := row.Scan(&r.ID, &r.Pseudonym, &r.Name, &r.Phone, &r.CompoundID, &r.Boarding.Point[0], &r.Boarding.Point[1],
		&r.Boarding.Label, &kind, &cat, &colour, &r.HealthCode.SetOn, &r.Mobility.Wheelchair, &r.Mobility.Companions,
		&r.FacilityID, &sessions, &r.DueDate, &r.Archived, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return shuttles.Rider{}, err
	}
	r.Boarding.Kind, r.Category, r.HealthCode.Colour = shuttles.BoardingKind(kind), shuttles.Category(cat), zones.HealthCode(colour)
	if err := json.Unmarshal(sessions, &r.Sessions); err != nil {
		return shuttles.Rider{}, fmt.Errorf("postgis: rider %d sessions: %w", r.ID, err)
	}
	if len(r.Sessions) == 0 {
		r.Sessions = nil
	}
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	return r, nil
}

// riderArgs are the values $1..$16 of the insert and the update (all but
// the id, archived and the times).
func riderArgs(r *shuttles.Rider) ([]any, error) {
	ss := r.Sessions
	if ss == nil {
		ss = []shuttles.Session{}
	}
	sessions, err := json.Marshal(ss)
	if err != nil {
		return nil, err
	}
	var due *string
	if r.DueDate != "" {
		due = &r.DueDate
	}
	return []any{r.Pseudonym, r.Name, r.Phone, r.CompoundID, r.Boarding.Point[0], r.Boarding.Point[1], r.Boarding.Label,
		string(r.Boarding.Kind), string(r.Category), string(r.HealthCode.Colour), r.HealthCode.SetOn,
		r.Mobility.Wheelchair, r.Mobility.Companions, r.FacilityID, string(sessions), due}, nil
}

const insertRiderSQL = `INSERT INTO riders (pseudonym, name, phone, compound_id, boarding, board_label, board_kind, category,
	colour, code_set_on, wheelchair, companions, facility_id, sessions, due_date, created_at, updated_at)
	VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8, $9, $10, $11::date, $12, $13, $14, $15::jsonb, $16::date, $17, $17)
	RETURNING ` + riderCols

func riderErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %s", zones.ErrConflict, what)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, zones.ErrNotFound)
	}
	return translate(err, "", "postgis: "+what)
}

func riderNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// CreateRider implements shuttles.RiderStore.
func (s *Store) CreateRider(ctx context.Context, r shuttles.Rider) (shuttles.Rider, error) {
	if err := r.Validate(); err != nil {
		return shuttles.Rider{}, err
	}
	args, err := riderArgs(&r)
	if err != nil {
		return shuttles.Rider{}, err
	}
	out, err := scanRider(s.pool.QueryRow(ctx, insertRiderSQL, append(args, riderNow())...))
	return out, riderErr(err, "pseudonym "+r.Pseudonym)
}

// ImportRiders implements shuttles.RiderStore: one transaction.
func (s *Store) ImportRiders(ctx context.Context, rs []shuttles.Rider) ([]shuttles.Rider, error) {
	seen := map[string]int{}
	all := make([][]any, len(rs))
	now := riderNow()
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, err
		}
		if j, dup := seen[rs[i].Pseudonym]; dup {
			return nil, fmt.Errorf("%w: pseudonym %s repeats (riders %d and %d)", zones.ErrConflict, rs[i].Pseudonym, j, i)
		}
		seen[rs[i].Pseudonym] = i
		args, err := riderArgs(&rs[i])
		if err != nil {
			return nil, err
		}
		all[i] = append(args, now)
	}
	out := make([]shuttles.Rider, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	failed := -1
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, a := range all {
			b.Queue(insertRiderSQL, a...)
		}
		br := tx.SendBatch(ctx, b)
		for i := range all {
			r, err := scanRider(br.QueryRow())
			if err != nil {
				failed = i
				br.Close()
				return err
			}
			out[i] = r
		}
		return br.Close()
	})
	if err != nil {
		what := "import riders"
		if failed >= 0 {
			what = "pseudonym " + rs[failed].Pseudonym
		}
		return nil, riderErr(err, what)
	}
	return out, nil
}

// GetRider implements shuttles.RiderStore.
func (s *Store) GetRider(ctx context.Context, id int64) (shuttles.Rider, error) {
	r, err := scanRider(s.pool.QueryRow(ctx, `SELECT `+riderCols+` FROM riders WHERE id = $1`, id))
	return r, riderErr(err, fmt.Sprintf("rider %d", id))
}

// likeEscape escapes LIKE's wildcards (backslash is the default escape).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListRiders implements shuttles.RiderStore (the same filter as
// shuttles.RiderFilter.Matches).
func (s *Store) ListRiders(ctx context.Context, f shuttles.RiderFilter) ([]shuttles.Rider, error) {
	var lq listQuery
	if !f.IncludeArchived {
		lq.and("NOT archived")
	}
	if f.Category != "" {
		lq.and("category = " + lq.arg(string(f.Category)))
	}
	if f.CompoundID != 0 {
		lq.and("compound_id = " + lq.arg(f.CompoundID))
	}
	if f.FacilityID != 0 {
		lq.and("facility_id = " + lq.arg(f.FacilityID))
	}
	if f.Search != "" {
		p := lq.arg("%" + likeEscape(strings.ToLower(f.Search)) + "%")
		lq.and(fmt.Sprintf("(lower(pseudonym) LIKE %[1]s OR lower(name) LIKE %[1]s OR lower(phone) LIKE %[1]s OR lower(board_label) LIKE %[1]s)", p))
	}
	q := lq.sql(`SELECT `+riderCols+` FROM riders`, "id", f.Limit, f.Offset)
	rows, err := s.pool.Query(ctx, q, lq.args...)
	if err != nil {
		return nil, riderErr(err, "list riders")
	}
	out, err := collect(rows, scanRider)
	return out, riderErr(err, "list riders")
}

// UpdateRider implements shuttles.RiderStore.
func (s *Store) UpdateRider(ctx context.Context, r shuttles.Rider) (shuttles.Rider, error) {
	if err := r.Validate(); err != nil {
		return shuttles.Rider{}, err
	}
	args, err := riderArgs(&r)
	if err != nil {
		return shuttles.Rider{}, err
	}
	args = append(args, riderNow(), r.ID)
	out, err := scanRider(s.pool.QueryRow(ctx, `UPDATE riders SET pseudonym = $1, name = $2, phone = $3, compound_id = $4,
		boarding = ST_SetSRID(ST_MakePoint($5, $6), 4326), board_label = $7, board_kind = $8, category = $9, colour = $10,
		code_set_on = $11::date, wheelchair = $12, companions = $13, facility_id = $14, sessions = $15::jsonb,
		due_date = $16::date, updated_at = $17 WHERE id = $18 RETURNING `+riderCols, args...))
	if err != nil && errors.Is(err, pgx.ErrNoRows) {
		return shuttles.Rider{}, riderErr(err, fmt.Sprintf("rider %d", r.ID))
	}
	return out, riderErr(err, "pseudonym "+r.Pseudonym)
}

// ArchiveRider implements shuttles.RiderStore.
func (s *Store) ArchiveRider(ctx context.Context, id int64) (shuttles.Rider, error) {
	r, err := scanRider(s.pool.QueryRow(ctx, `UPDATE riders SET archived = true,
		updated_at = CASE WHEN archived THEN updated_at ELSE $2 END WHERE id = $1 RETURNING `+riderCols, id, riderNow()))
	return r, riderErr(err, fmt.Sprintf("rider %d", id))
}
