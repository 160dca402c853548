package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/routing/deliveries"
	"lifeline/zones"
)

var _ deliveries.Store = (*Store)(nil)

// Every write of the deliveries runs in a transaction holding one advisory
// lock (per schema), so idempotency keys, duplicate flags and the state
// machine see a settled state: writes are serialised, reads are not.
const deliveryLock = `SELECT pg_advisory_xact_lock(hashtext('lifeline.deliveries.' || current_schema()))`

func delNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func delErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ve *zones.ValidationError
	if errors.As(err, &ve) || errors.Is(err, zones.ErrConflict) || errors.Is(err, zones.ErrNotFound) {
		return err
	}
	return translate(err, "", "postgis: "+what)
}

func scanRequest(row pgx.Row) (deliveries.Request, error) {
	var id int64
	var doc []byte
	if err := row.Scan(&id, &doc); err != nil {
		return deliveries.Request{}, err
	}
	var r deliveries.Request
	if err := json.Unmarshal(doc, &r); err != nil {
		return deliveries.Request{}, fmt.Errorf("postgis: request %d: %w", id, err)
	}
	r.ID = id
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	for i := range r.History {
		r.History[i].At = utc(r.History[i].At)
	}
	return r, nil
}

func scanBatch(row pgx.Row) (deliveries.Batch, error) {
	var id int64
	var doc []byte
	if err := row.Scan(&id, &doc); err != nil {
		return deliveries.Batch{}, err
	}
	var b deliveries.Batch
	if err := json.Unmarshal(doc, &b); err != nil {
		return deliveries.Batch{}, fmt.Errorf("postgis: batch %d: %w", id, err)
	}
	b.ID = id
	b.CutAt, b.CreatedAt, b.UpdatedAt = utc(b.CutAt), utc(b.CreatedAt), utc(b.UpdatedAt)
	return b, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func insertRequest(ctx context.Context, tx pgx.Tx, r *deliveries.Request) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO delivery_requests (id, idem_key, day, resident_key, state, supply_point_id, batch_id, doc, created_at, updated_at)
		VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8::jsonb, $9, $9)`,
		r.ID, r.Key, r.Date, r.ResidentKey(), string(r.State), r.SupplyPointID, nullID(r.BatchID), string(doc), r.CreatedAt)
	return err
}

func updateRequest(ctx context.Context, tx pgx.Tx, r *deliveries.Request) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE delivery_requests SET state = $2, batch_id = $3, doc = $4::jsonb, updated_at = $5 WHERE id = $1`,
		r.ID, string(r.State), nullID(r.BatchID), string(doc), r.UpdatedAt)
	return err
}

func nextIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// CreateRequest implements deliveries.Store.
func (s *Store) CreateRequest(ctx context.Context, r deliveries.Request, by string) (deliveries.Request, bool, error) {
	out, created, err := s.ImportRequests(ctx, []deliveries.Request{r}, by)
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) && strings.HasPrefix(ve.Path, "[0].") {
			ve.Path = ve.Path[4:]
		}
		return deliveries.Request{}, false, err
	}
	return out[0], created[0], nil
}

// ImportRequests implements deliveries.Store: one transaction.
func (s *Store) ImportRequests(ctx context.Context, rs []deliveries.Request, by string) ([]deliveries.Request, []bool, error) {
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, nil, err
		}
	}
	out := make([]deliveries.Request, len(rs))
	created := make([]bool, len(rs))
	now := delNow()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, deliveryLock); err != nil {
			return err
		}
		keys := make([]string, len(rs))
		for i := range rs {
			keys[i] = rs[i].Key
		}
		rows, err := tx.Query(ctx, `SELECT id, doc FROM delivery_requests WHERE idem_key = ANY($1)`, keys)
		if err != nil {
			return err
		}
		existing, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Request, error) { return scanRequest(row) })
		if err != nil {
			return err
		}
		byKey := map[string]deliveries.Request{}
		for _, r := range existing {
			byKey[r.Key] = r
		}
		var fresh []int
		pending := map[string]bool{}
		for i, r := range rs {
			if old, ok := byKey[r.Key]; ok {
				probe := r
				probe.SupplyPointID = old.SupplyPointID
				if probe.Fingerprint() != old.Fingerprint() {
					return fmt.Errorf("%w: idempotency key %s was used for a different request (%d)", zones.ErrConflict, r.Key, old.ID)
				}
				out[i] = old
				continue
			}
			if pending[r.Key] {
				return fmt.Errorf("%w: idempotency key %s repeats", zones.ErrConflict, r.Key)
			}
			pending[r.Key] = true
			fresh = append(fresh, i)
		}
		if len(fresh) == 0 {
			return nil
		}
		ids, err := nextIDs(ctx, tx, "delivery_requests", len(fresh))
		if err != nil {
			return err
		}
		sameDay := map[string][]deliveries.Request{} // date|resident -> requests
		for k, i := range fresh {
			nr := deliveries.NewRequest(rs[i], ids[k], now, by)
			rk := nr.Date + "|" + nr.ResidentKey()
			same, ok := sameDay[rk]
			if !ok {
				rows, err := tx.Query(ctx, `SELECT id, doc FROM delivery_requests WHERE day = $1::date AND resident_key = $2 ORDER BY id`, nr.Date, nr.ResidentKey())
				if err != nil {
					return err
				}
				if same, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Request, error) { return scanRequest(row) }); err != nil {
					return err
				}
			}
			nr.DuplicateOf = nr.DuplicateOfIn(same)
			sameDay[rk] = append(same, nr)
			if err := insertRequest(ctx, tx, &nr); err != nil {
				return err
			}
			out[i], created[i] = nr, true
		}
		return nil
	})
	if err != nil {
		return nil, nil, delErr(err, "create requests")
	}
	return out, created, nil
}

// GetRequest implements deliveries.Store.
func (s *Store) GetRequest(ctx context.Context, id int64) (deliveries.Request, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT id, doc FROM delivery_requests WHERE id = $1`, id))
	return r, delErr(err, fmt.Sprintf("request %d", id))
}

// ListRequests implements deliveries.Store (deliveries.RequestFilter.Matches
// in SQL).
func (s *Store) ListRequests(ctx context.Context, f deliveries.RequestFilter) ([]deliveries.Request, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Date != "" {
		if _, err := deliveries.ParseDate(f.Date); err != nil {
			return nil, &zones.ValidationError{Path: "date", Message: err.Error()}
		}
		where = append(where, "day = "+arg(f.Date)+"::date")
	}
	if f.State != "" {
		where = append(where, "state = "+arg(string(f.State)))
	}
	if f.SupplyPointID != 0 {
		where = append(where, "supply_point_id = "+arg(f.SupplyPointID))
	}
	if f.BatchID != 0 {
		where = append(where, "batch_id = "+arg(f.BatchID))
	}
	q := `SELECT id, doc FROM delivery_requests`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	if f.Offset > 0 {
		q += " OFFSET " + arg(f.Offset)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, delErr(err, "list requests")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Request, error) { return scanRequest(row) })
	if out == nil {
		out = []deliveries.Request{}
	}
	return out, delErr(err, "list requests")
}

// moveTx applies moves inside tx and writes the changed requests; it
// returns the requests after every move and which moves changed one.
func moveTx(ctx context.Context, tx pgx.Tx, ms []deliveries.Move, now time.Time) ([]deliveries.Request, []bool, error) {
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	rows, err := tx.Query(ctx, `SELECT id, doc FROM delivery_requests WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, nil, err
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Request, error) { return scanRequest(row) })
	if err != nil {
		return nil, nil, err
	}
	cur := map[int64]*deliveries.Request{}
	for i := range got {
		cur[got[i].ID] = &got[i]
	}
	out := make([]deliveries.Request, len(ms))
	changed := make([]bool, len(ms))
	dirty := map[int64]bool{}
	for i, m := range ms {
		r := cur[m.ID]
		if r == nil {
			return nil, nil, fmt.Errorf("request %d: %w", m.ID, zones.ErrNotFound)
		}
		ch, err := r.Apply(m, now)
		if err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, nil, err
		}
		changed[i] = ch
		dirty[m.ID] = dirty[m.ID] || ch
	}
	for i := range got {
		if dirty[got[i].ID] {
			if err := updateRequest(ctx, tx, &got[i]); err != nil {
				return nil, nil, err
			}
		}
	}
	for i, m := range ms {
		out[i] = cur[m.ID].Clone()
	}
	return out, changed, nil
}

// MoveRequests implements deliveries.Store: one transaction.
func (s *Store) MoveRequests(ctx context.Context, ms []deliveries.Move) ([]deliveries.Request, error) {
	var out []deliveries.Request
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, deliveryLock); err != nil {
			return err
		}
		var err error
		out, _, err = moveTx(ctx, tx, ms, delNow())
		return err
	})
	return out, delErr(err, "move requests")
}

func writeBatch(ctx context.Context, tx pgx.Tx, b *deliveries.Batch, insert bool) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if insert {
		_, err = tx.Exec(ctx, `INSERT INTO delivery_batches (id, day, doc, created_at, updated_at) VALUES ($1, $2::date, $3::jsonb, $4, $4)`,
			b.ID, b.Date, string(doc), b.CreatedAt)
	} else {
		_, err = tx.Exec(ctx, `UPDATE delivery_batches SET doc = $2::jsonb, updated_at = $3 WHERE id = $1`, b.ID, string(doc), b.UpdatedAt)
	}
	return err
}

// CreateBatches implements deliveries.Store: one transaction.
func (s *Store) CreateBatches(ctx context.Context, bs []deliveries.Batch) ([]deliveries.Batch, error) {
	for i := range bs {
		if err := deliveries.ValidateBatch(&bs[i]); err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, err
		}
	}
	out := make([]deliveries.Batch, len(bs))
	now := delNow()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, deliveryLock); err != nil {
			return err
		}
		made := map[[2]string]bool{}
		for _, b := range bs {
			k := [2]string{b.Date, b.Cut}
			if b.Cut == deliveries.CutNow || made[k] {
				continue
			}
			made[k] = true
			tag, err := tx.Exec(ctx, `INSERT INTO delivery_cuts (day, cut, made_at) VALUES ($1::date, $2, $3) ON CONFLICT DO NOTHING`, b.Date, b.Cut, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return deliveries.CutMade(b.Date, b.Cut)
			}
		}
		ids, err := nextIDs(ctx, tx, "delivery_batches", len(bs))
		if err != nil {
			return err
		}
		var ms []deliveries.Move
		for i, b := range bs {
			b = b.Clone()
			b.ID, b.CreatedAt, b.UpdatedAt = ids[i], now, now
			out[i] = b
			ms = append(ms, deliveries.BatchMoves(&b)...)
			if err := writeBatch(ctx, tx, &b, true); err != nil {
				return err
			}
		}
		reqs, changed, err := moveTx(ctx, tx, ms, now)
		if err != nil {
			return err
		}
		for i, c := range changed {
			if !c {
				return fmt.Errorf("%w: request %d is already batched", zones.ErrConflict, reqs[i].ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, delErr(err, "create batches")
	}
	return out, nil
}

// SetBatchPlan implements deliveries.Store.
func (s *Store) SetBatchPlan(ctx context.Context, id int64, stops []deliveries.StopRef, unplanned string) (deliveries.Batch, error) {
	var b deliveries.Batch
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if len(stops) == 0 { // its requests may move: the writers' lock first
			if _, err := tx.Exec(ctx, deliveryLock); err != nil {
				return err
			}
		}
		var err error
		if b, err = scanBatch(tx.QueryRow(ctx, `SELECT id, doc FROM delivery_batches WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return err
		}
		now := delNow()
		b.Stops, b.Unplanned, b.UpdatedAt = slices.Clone(stops), unplanned, now
		if len(stops) == 0 {
			if err := deliveries.CheckCarry(&b); err != nil {
				return err
			}
			ms := deliveries.CarryMoves(&b, unplanned)
			out, changed, err := moveTx(ctx, tx, ms, now)
			if err != nil {
				return err
			}
			for i, c := range changed {
				if c {
					b.Carried = append(b.Carried, out[i].ID)
				}
			}
		}
		return writeBatch(ctx, tx, &b, false)
	})
	return b, delErr(err, fmt.Sprintf("batch %d", id))
}

// GetBatch implements deliveries.Store.
func (s *Store) GetBatch(ctx context.Context, id int64) (deliveries.Batch, error) {
	b, err := scanBatch(s.pool.QueryRow(ctx, `SELECT id, doc FROM delivery_batches WHERE id = $1`, id))
	return b, delErr(err, fmt.Sprintf("batch %d", id))
}

// ListBatches implements deliveries.Store.
func (s *Store) ListBatches(ctx context.Context, date string) ([]deliveries.Batch, error) {
	q, args := `SELECT id, doc FROM delivery_batches ORDER BY id`, []any{}
	if date != "" {
		if _, err := deliveries.ParseDate(date); err != nil {
			return nil, &zones.ValidationError{Path: "date", Message: err.Error()}
		}
		q, args = `SELECT id, doc FROM delivery_batches WHERE day = $1::date ORDER BY id`, []any{date}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, delErr(err, "list batches")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Batch, error) { return scanBatch(row) })
	if out == nil {
		out = []deliveries.Batch{}
	}
	return out, delErr(err, "list batches")
}

// SetVans implements deliveries.Store: the fleet is replaced in one
// transaction.
func (s *Store) SetVans(ctx context.Context, vans []deliveries.Van) ([]deliveries.Van, error) {
	if err := deliveries.ValidateVans(vans); err != nil {
		return nil, err
	}
	vs := slices.Clone(vans)
	slices.SortFunc(vs, func(a, b deliveries.Van) int { return int(a.ID - b.ID) })
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM delivery_vans`); err != nil {
			return err
		}
		for _, v := range vs {
			doc, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO delivery_vans (id, doc) VALUES ($1, $2::jsonb)`, v.ID, string(doc)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, delErr(err, "set vans")
	}
	return vs, nil
}

// ListVans implements deliveries.Store.
func (s *Store) ListVans(ctx context.Context) ([]deliveries.Van, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM delivery_vans ORDER BY id`)
	if err != nil {
		return nil, delErr(err, "list vans")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (deliveries.Van, error) {
		var doc []byte
		var v deliveries.Van
		if err := row.Scan(&doc); err != nil {
			return v, err
		}
		return v, json.Unmarshal(doc, &v)
	})
	if out == nil {
		out = []deliveries.Van{}
	}
	return out, delErr(err, "list vans")
}
