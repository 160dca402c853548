package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifeline/routelists"
	"lifeline/zones"
)

var _ routelists.Store = (*Store)(nil)

// Route lists are rows of route_lists (migration 0005): the whole list in
// body (JSON), with code, creation time, driver, owner and share hash as
// columns for the queries. A stop report or a new share link rewrites the
// row under its lock (SELECT ... FOR UPDATE), so concurrent reports on one
// list from several replicas never lose each other.

const listCols = `code, created_at, driver, owner, coalesce(share_hash, ''), body`

func scanList(row pgx.Row) (routelists.List, error) {
	var l routelists.List
	var code, driver, owner, share string
	var created time.Time
	var body []byte
	if err := row.Scan(&code, &created, &driver, &owner, &share, &body); err != nil {
		return routelists.List{}, err
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return routelists.List{}, fmt.Errorf("postgis: route list %s: %w", code, err)
	}
	l.ID, l.CreatedAt, l.Driver, l.Owner, l.ShareHash = code, utc(created), driver, owner, share
	if l.Stops == nil {
		l.Stops = []routelists.Stop{}
	}
	return l, nil
}

func listErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%s: %w", what, zones.ErrConflict)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, zones.ErrNotFound)
	}
	return fmt.Errorf("postgis: %s: %w", what, err)
}

// normList truncates the list's times to the microsecond in UTC and
// validates it.
func normList(l routelists.List) (routelists.List, error) {
	l = l.Clone()
	l.CreatedAt = l.CreatedAt.UTC().Truncate(time.Microsecond)
	for k := range l.Stops {
		if st := l.Stops[k].StatusAt; st != nil {
			*st = st.UTC().Truncate(time.Microsecond)
		}
	}
	if l.Stops == nil {
		l.Stops = []routelists.Stop{}
	}
	return l, routelists.Validate(&l)
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateRouteLists implements routelists.Store.
func (s *Store) CreateRouteLists(ctx context.Context, ls []routelists.List) error {
	rows := make([]routelists.List, len(ls))
	for i := range ls {
		l, err := normList(ls[i])
		if err != nil {
			return err
		}
		rows[i] = l
	}
	if len(rows) == 0 {
		return ctx.Err()
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i := range rows {
			body, err := json.Marshal(&rows[i])
			if err != nil {
				return err
			}
			l := &rows[i]
			b.Queue(`INSERT INTO route_lists (code, created_at, driver, owner, share_hash, body) VALUES ($1, $2, $3, $4, $5, $6)`,
				l.ID, l.CreatedAt, l.Driver, l.Owner, nullIfEmpty(l.ShareHash), body)
		}
		br := tx.SendBatch(ctx, b)
		for i := range rows {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return listErr(err, "route list "+rows[i].ID)
			}
		}
		return br.Close()
	})
}

// GetRouteList implements routelists.Store.
func (s *Store) GetRouteList(ctx context.Context, code string) (routelists.List, error) {
	l, err := scanList(s.pool.QueryRow(ctx, `SELECT `+listCols+` FROM route_lists WHERE code = $1`, code))
	return l, listErr(err, "route list "+code)
}

// GetRouteListByShare implements routelists.Store.
func (s *Store) GetRouteListByShare(ctx context.Context, hash string) (routelists.List, error) {
	l, err := scanList(s.pool.QueryRow(ctx, `SELECT `+listCols+` FROM route_lists WHERE share_hash = $1`, hash))
	return l, listErr(err, "shared route list")
}

// ListRouteLists implements routelists.Store.
func (s *Store) ListRouteLists(ctx context.Context, f routelists.Filter) ([]routelists.List, error) {
	var lq listQuery
	if f.Driver != "" {
		lq.and("driver = " + lq.arg(f.Driver))
	}
	if f.Owner != "" {
		lq.and("owner = " + lq.arg(f.Owner))
	}
	if !f.CreatedSince.IsZero() {
		lq.and("created_at >= " + lq.arg(f.CreatedSince))
	}
	q := lq.sql(`SELECT `+listCols+` FROM route_lists`, "created_at, code", f.Limit, 0)
	rows, err := s.pool.Query(ctx, q, lq.args...)
	if err != nil {
		return nil, listErr(err, "list route lists")
	}
	out, err := collect(rows, scanList)
	return out, listErr(err, "list route lists")
}

// changeList rewrites list code under its row lock; change returns false
// when there is nothing to write.
func (s *Store) changeList(ctx context.Context, code string, change func(l *routelists.List) (bool, error)) (routelists.List, error) {
	var out routelists.List
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		l, err := scanList(tx.QueryRow(ctx, `SELECT `+listCols+` FROM route_lists WHERE code = $1 FOR UPDATE`, code))
		if err != nil {
			return listErr(err, "route list "+code)
		}
		changed, err := change(&l)
		if err != nil {
			return err
		}
		out = l
		if !changed {
			return nil
		}
		body, err := json.Marshal(&l)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE route_lists SET share_hash = $2, body = $3 WHERE code = $1`, code, nullIfEmpty(l.ShareHash), body)
		return listErr(err, "route list "+code)
	})
	return out, err
}

// SetStopStatus implements routelists.Store.
func (s *Store) SetStopStatus(ctx context.Context, code string, seq int, status, reason string, at time.Time) (routelists.List, error) {
	return s.changeList(ctx, code, func(l *routelists.List) (bool, error) { return routelists.SetStatus(l, seq, status, reason, at) })
}

// SetShareHash implements routelists.Store.
func (s *Store) SetShareHash(ctx context.Context, code, hash string) (routelists.List, error) {
	return s.changeList(ctx, code, func(l *routelists.List) (bool, error) {
		if l.ShareHash == hash {
			return false, nil
		}
		l.ShareHash = hash
		return true, nil
	})
}

// ExpireRouteLists implements routelists.Store.
func (s *Store) ExpireRouteLists(ctx context.Context, cut time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM route_lists WHERE created_at < $1`, cut)
	if err != nil {
		return 0, listErr(err, "expire route lists")
	}
	return int(tag.RowsAffected()), nil
}
