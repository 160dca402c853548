package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lifeline/zones"
	"lifeline/zones/live"
)

// The zone change stream (migration 0006): every write of a zone version
// takes the next number of zone_change_seq into zone_versions.change_seq,
// zone writers commit in that order (each takes the counter's row lock
// first: lockChanges), and a committed write sends NOTIFY
// lifeline_zone_changes '<schema> <number>'.
//
// Each Store (one per replica) keeps every zone version in memory
// (live.Mirror) and answers look-ups from it: loaded at Open, then kept
// current by a listener on a connection of its own (LISTEN, reconnect
// with back-off, a catch-up after every (re)connect and every pollEvery
// without notice) and by a catch-up after each of its own writes, so a
// client reads its writes on the replica it wrote to. A catch-up loads the
// versions changed after the last number applied (ZoneChangesSince), so a
// missed notice costs nothing but time.

var _ zones.ChangeFeed = (*Store)(nil)

// notifyChannel is the channel of the zone change notices.
const notifyChannel = "lifeline_zone_changes"

// DefaultChangePoll is how often a replica asks for zone changes when no
// notice came (the fallback of LISTEN).
const DefaultChangePoll = 30 * time.Second

// WithoutZoneIndex keeps no zone versions in memory and starts no
// listener: look-ups go to SQL, WaitZoneChange polls (for short-lived
// commands such as `lifeline user`).
func WithoutZoneIndex() Option { return func(o *options) { o.noIndex = true } }

// WithChangePoll sets the fallback poll of the listener (default
// DefaultChangePoll).
func WithChangePoll(d time.Duration) Option { return func(o *options) { o.poll = d } }

// lockChanges takes the change counter's row lock: every zone-writing
// transaction does so first, so that zone writers commit in the order of
// their change numbers, and lock the zones' rows always after it (no
// deadlock between two writers).
func lockChanges(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM zone_change_seq FOR UPDATE`)
	return err
}

// ZoneChangesSince returns the versions whose last change is numbered
// after `after`, by change number, at most limit (0: no limit), with the
// number through which the answer is complete. One read-only snapshot.
func (s *Store) ZoneChangesSince(ctx context.Context, after uint64, limit int) ([]zones.ZoneChange, uint64, error) {
	out := []zones.ZoneChange{}
	var through uint64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT seq FROM zone_change_seq`).Scan(&cur); err != nil {
			return err
		}
		through = uint64(cur)
		if through <= after {
			return nil
		}
		q := `SELECT ` + versionCols + `, v.change_seq` + versionsFrom + `WHERE v.change_seq > $1 ORDER BY v.change_seq`
		args := []any{int64(after)}
		if limit > 0 {
			q += ` LIMIT $2`
			args = append(args, int64(limit))
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			z, err := scanZone(rows, &seq)
			if err != nil {
				return err
			}
			out = append(out, zones.ZoneChange{Seq: uint64(seq), Zone: z})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if limit > 0 && len(out) == limit {
			through = out[len(out)-1].Seq
		}
		return nil
	})
	if err != nil {
		return nil, 0, translate(err, "", "zone changes")
	}
	return out, through, nil
}

// WaitZoneChange returns once this replica applied a zone change numbered
// after `after` (its listener or its own writes), with the number applied.
// Without the in-memory index it asks the database every second.
func (s *Store) WaitZoneChange(ctx context.Context, after uint64) (uint64, error) {
	if s.mirror != nil {
		return s.mirror.Wait(ctx, after)
	}
	for {
		var cur int64
		if err := s.pool.QueryRow(ctx, `SELECT seq FROM zone_change_seq`).Scan(&cur); err != nil {
			return 0, translate(err, "", "zone changes")
		}
		if uint64(cur) > after {
			return uint64(cur), nil
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return uint64(cur), ctx.Err()
		}
	}
}

// ZoneIndexSeq returns the change number the in-memory index applied (0
// without one).
func (s *Store) ZoneIndexSeq() uint64 {
	if s.mirror == nil {
		return 0
	}
	return s.mirror.Seq()
}

// startMirror loads every zone version into memory and starts the
// listener (Open).
func (s *Store) startMirror(ctx context.Context, cc *pgx.ConnConfig, poll time.Duration) error {
	cs, through, err := s.ZoneChangesSince(ctx, 0, 0)
	if err != nil {
		return fmt.Errorf("postgis: load the zone index: %w", err)
	}
	s.mirror = live.NewMirror()
	s.mirror.Load(cs, through)
	if s.notifySchema == "" {
		if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s.notifySchema); err != nil {
			return fmt.Errorf("postgis: current schema: %w", err)
		}
	}
	lctx, cancel := context.WithCancel(context.Background())
	s.stopListen = cancel
	s.listenDone = make(chan struct{})
	go s.listen(lctx, cc, poll)
	return nil
}

// catchUp applies to the in-memory index the zone changes after the last
// one it applied. Catch-ups run one at a time.
func (s *Store) catchUp(ctx context.Context) error {
	s.catchMu.Lock()
	defer s.catchMu.Unlock()
	return s.catchUpLocked(ctx)
}

func (s *Store) catchUpLocked(ctx context.Context) error {
	s.catchStarted.Add(1)
	for {
		after := s.mirror.Seq()
		cs, through, err := s.ZoneChangesSince(ctx, after, 10000)
		if err != nil {
			return err
		}
		s.mirror.Apply(cs, through)
		if len(cs) < 10000 {
			return nil
		}
	}
}

// afterWrite brings the index up to this replica's own write (committed
// before the call), so that the writer's next look-up sees it. Concurrent
// writers share catch-ups: a catch-up that started after the write
// committed covers it. A failure is left to the listener.
func (s *Store) afterWrite(ctx context.Context) {
	if s.mirror == nil {
		return
	}
	g := s.catchStarted.Load()
	s.catchMu.Lock()
	defer s.catchMu.Unlock()
	if s.catchStarted.Load() > g {
		return // one started after our commit and has finished
	}
	if err := s.catchUpLocked(context.WithoutCancel(ctx)); err != nil {
		slog.Warn("zone index: catch-up after a write failed; the listener will retry", "err", err)
	}
}

// listen keeps a LISTEN connection open until ctx ends, reconnecting with
// a back-off (100 ms doubling to 5 s).
func (s *Store) listen(ctx context.Context, cc *pgx.ConnConfig, poll time.Duration) {
	defer close(s.listenDone)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := s.listenOnce(ctx, cc, poll)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		slog.Warn("zone change listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce connects, listens, catches up, then applies the changes each
// notice (of this schema, beyond what is applied) announces, and asks for
// changes every poll without notice. It returns on a connection error.
func (s *Store) listenOnce(ctx context.Context, cc *pgx.ConnConfig, poll time.Duration) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		return err
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.listenPID.Store(conn.PgConn().PID())
	s.listening.Store(true)
	defer s.listening.Store(false)
	for {
		wctx, cancel := context.WithTimeout(ctx, poll)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// no notice for a while: the fallback poll
		case err != nil:
			return err
		default:
			schema, num, _ := strings.Cut(n.Payload, " ")
			seq, perr := strconv.ParseUint(num, 10, 64)
			if schema != s.notifySchema || (perr == nil && seq <= s.mirror.Seq()) {
				continue
			}
		}
		if err := s.catchUp(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			slog.Warn("zone index: catch-up failed", "err", err)
		}
	}
}

// Listening reports whether the zone change listener is connected (for
// readiness and tests).
// A store without the index (WithoutZoneIndex) needs no listener: it
// reports true.
func (s *Store) Listening() bool { return s.mirror == nil || s.listening.Load() }
