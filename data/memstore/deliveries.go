package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"lifeline/data/wal"
	"lifeline/routing/deliveries"
	"lifeline/zones"
)

var _ deliveries.Store = (*Store)(nil)

// deliveryState is the medicine deliveries' part of the embedded store:
// requests, batches and the fleet, in memory and, for a store opened on a
// data dir, on an append-only log of their own (data/wal in
// DATADIR/deliveries/, mode 0700: requests hold names, flats and phone
// numbers). Every write appends one record holding the full new version
// of each request and batch it changed (and the fleet when replaced), and
// is acknowledged once an fsync covers it (concurrent writers share
// fsyncs); the log is replayed at first use and compacted into a snapshot
// once it passes the store's CompactBytes. Writes are serialised by mu;
// the fsync is waited for outside it.
type deliveryState struct {
	once    sync.Once
	loadErr error

	mu      sync.Mutex
	log     *wal.Log // nil: in memory only
	dir     string
	failed  error                // first log error: writes are refused after it
	reqs    []deliveries.Request // reqs[i].ID == i+1
	batches []deliveries.Batch   // batches[i].ID == i+1
	vans    []deliveries.Van     // by id
	byKey   map[string]int64     // idempotency key -> id
	byRes   map[string][]int64   // date|resident key -> ids
	cuts    map[string]bool      // date|cut of the scheduled cut-offs made
	compact bool                 // a background snapshot runs
	closing bool                 // the store is closing: no snapshot starts
	bg      sync.WaitGroup       // the background snapshot
	logger  func(msg string, args ...any)
}

// delRecord is one write of the deliveries log.
type delRecord struct {
	Requests []deliveries.Request `json:"requests,omitempty"`
	Batches  []deliveries.Batch   `json:"batches,omitempty"`
	Vans     *[]deliveries.Van    `json:"vans,omitempty"`
}

// delSnapshot is the snapshot of the deliveries log.
type delSnapshot struct {
	Version  int                  `json:"version"`
	Requests []deliveries.Request `json:"requests"`
	Batches  []deliveries.Batch   `json:"batches"`
	Vans     []deliveries.Van     `json:"vans"`
}

const delSnapshotVersion = 1

// DeliveriesDir is the log directory of the deliveries beside a store
// snapshot path.
func DeliveriesDir(path string) string { return filepath.Join(filepath.Dir(path), "deliveries") }

func (s *Store) lockDeliveries(ctx context.Context) (*deliveryState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	st := &s.del
	st.once.Do(func() {
		st.byKey, st.byRes, st.cuts = map[string]int64{}, map[string][]int64{}, map[string]bool{}
		st.logger = func(string, ...any) {}
		if s.opts.Logger != nil {
			st.logger = s.opts.Logger.Error
		}
		if s.path == "" || s.persist == nil {
			return
		}
		st.dir = DeliveriesDir(s.path)
		st.log, _, st.loadErr = wal.Open(st.dir, wal.Options{NoSync: s.opts.NoSync}, st.loadSnapshot, st.replay)
		if st.loadErr != nil {
			st.loadErr = fmt.Errorf("memstore: deliveries log %s: %w", st.dir, st.loadErr)
		}
	})
	if st.loadErr != nil {
		return nil, st.loadErr
	}
	st.mu.Lock()
	if s.closedNow() {
		st.mu.Unlock()
		return nil, ErrClosed
	}
	return st, nil
}

func (s *Store) closedNow() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// closeDeliveries waits for a background snapshot and closes the log.
//
// Close has marked the store closed, and lockDeliveries looks at that
// under st.mu: a writer that takes st.mu from now on writes nothing. But
// a writer that took st.mu before may still be writing, and its
// maybeCompact may bg.Add a snapshot; a WaitGroup's Add must happen
// before its Wait. So: take st.mu once, which waits for that writer, and
// mark the state closing under it (maybeCompact then starts nothing);
// only then wait for a snapshot already running, outside st.mu (the
// snapshot takes it to finish).
func (s *Store) closeDeliveries() {
	st := &s.del
	st.mu.Lock()
	st.closing = true
	st.mu.Unlock()
	st.bg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.log != nil {
		st.log.Close()
		st.log = nil
	}
}

func (st *deliveryState) loadSnapshot(r io.Reader) error {
	var snap delSnapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	if snap.Version != delSnapshotVersion {
		return fmt.Errorf("snapshot version %d, want %d", snap.Version, delSnapshotVersion)
	}
	return st.apply(&delRecord{Requests: snap.Requests, Batches: snap.Batches, Vans: &snap.Vans}, true)
}

func (st *deliveryState) replay(b []byte) error {
	var rec delRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return st.apply(&rec, true)
}

// apply installs a record: each request and batch is the next id (new) or
// replaces its id; vans replace the fleet. check validates input read
// from disk.
func (st *deliveryState) apply(rec *delRecord, check bool) error {
	for _, r := range rec.Requests {
		if check {
			if err := r.Stored(); err != nil {
				return fmt.Errorf("request %d: %w", r.ID, err)
			}
		}
		switch {
		case r.ID == int64(len(st.reqs))+1:
			st.reqs = append(st.reqs, r)
			st.byKey[r.Key] = r.ID
			k := r.Date + "|" + r.ResidentKey()
			st.byRes[k] = append(st.byRes[k], r.ID)
		case r.ID >= 1 && r.ID <= int64(len(st.reqs)):
			if check && st.reqs[r.ID-1].Key != r.Key {
				return fmt.Errorf("request %d changes its key", r.ID)
			}
			st.reqs[r.ID-1] = r
		default:
			return fmt.Errorf("request id %d out of order (next %d)", r.ID, len(st.reqs)+1)
		}
	}
	for _, b := range rec.Batches {
		switch {
		case b.ID == int64(len(st.batches))+1:
			st.batches = append(st.batches, b)
			if b.Cut != deliveries.CutNow {
				st.cuts[b.Date+"|"+b.Cut] = true
			}
		case b.ID >= 1 && b.ID <= int64(len(st.batches)):
			st.batches[b.ID-1] = b
		default:
			return fmt.Errorf("batch id %d out of order (next %d)", b.ID, len(st.batches)+1)
		}
	}
	if rec.Vans != nil {
		vs := *rec.Vans
		if check && len(vs) > 0 {
			if err := deliveries.ValidateVans(vs); err != nil {
				return fmt.Errorf("vans: %w", err)
			}
		}
		st.vans = slices.Clone(vs)
	}
	return nil
}

// commit logs rec and installs it (st.mu held); it returns the sequence
// number to wait for after unlocking (0: nothing to wait for).
func (st *deliveryState) commit(rec *delRecord) (uint64, error) {
	if st.failed != nil {
		return 0, st.failed
	}
	var seq uint64
	if st.log != nil {
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, err
		}
		if seq, err = st.log.Write(data); err != nil {
			st.failed = fmt.Errorf("memstore: deliveries log %s failed, writes are refused until a restart: %w", st.dir, err)
			return 0, err
		}
	}
	if err := st.apply(rec, false); err != nil {
		return 0, err // cannot happen: records are built from the state
	}
	st.maybeCompact()
	return seq, nil
}

// wait waits for the fsync covering seq (st.mu not held).
func (st *deliveryState) wait(seq uint64) error {
	if seq == 0 || st.log == nil {
		return nil
	}
	if err := st.log.Sync(seq); err != nil {
		st.mu.Lock()
		if st.failed == nil {
			st.failed = fmt.Errorf("memstore: deliveries log %s failed, writes are refused until a restart: %w", st.dir, err)
		}
		st.mu.Unlock()
		return err
	}
	return nil
}

// compactBytes is the log size past which a snapshot is written (a
// variable for tests).
var compactBytes int64 = 64 << 20

// maybeCompact starts a background snapshot when the log is large (st.mu
// held): the cut and the copy are taken here, the file written outside.
func (st *deliveryState) maybeCompact() {
	if st.log == nil || st.compact || st.closing || st.log.Size() < compactBytes {
		return
	}
	cut, err := st.log.Checkpoint()
	if err != nil {
		st.logger("memstore: deliveries compaction", "dir", st.dir, "err", err)
		return
	}
	snap := delSnapshot{Version: delSnapshotVersion, Requests: slices.Clone(st.reqs), Batches: slices.Clone(st.batches), Vans: slices.Clone(st.vans)}
	st.compact = true
	st.bg.Add(1)
	go func() {
		defer st.bg.Done()
		err := cut.WriteSnapshot(func(w io.Writer) error { return json.NewEncoder(w).Encode(&snap) })
		if err != nil {
			st.logger("memstore: deliveries snapshot", "dir", st.dir, "err", err)
		}
		st.mu.Lock()
		st.compact = false
		st.mu.Unlock()
	}()
}

func (s *Store) delNow() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// prepare checks r and returns the stored request for its key (found) or
// the new request to store with its duplicate flag (st.mu held). pending
// are requests of the same transaction not yet installed.
func (st *deliveryState) prepare(r deliveries.Request, now time.Time, by string, pending map[string]*deliveries.Request, nextID int64) (deliveries.Request, bool, error) {
	if err := r.Validate(); err != nil {
		return deliveries.Request{}, false, err
	}
	if id, ok := st.byKey[r.Key]; ok {
		old := st.reqs[id-1]
		probe := r
		probe.SupplyPointID = old.SupplyPointID
		if probe.Fingerprint() != old.Fingerprint() {
			return deliveries.Request{}, false, fmt.Errorf("%w: idempotency key %s was used for a different request (%d)", zones.ErrConflict, r.Key, id)
		}
		return old.Clone(), true, nil
	}
	if _, dup := pending[r.Key]; dup {
		return deliveries.Request{}, false, fmt.Errorf("%w: idempotency key %s repeats", zones.ErrConflict, r.Key)
	}
	nr := deliveries.NewRequest(r, nextID, now, by)
	var same []deliveries.Request
	for _, id := range st.byRes[nr.Date+"|"+nr.ResidentKey()] {
		same = append(same, st.reqs[id-1])
	}
	for _, p := range pending {
		if p.Date == nr.Date {
			same = append(same, *p)
		}
	}
	slices.SortFunc(same, func(a, b deliveries.Request) int { return int(a.ID - b.ID) })
	nr.DuplicateOf = nr.DuplicateOfIn(same)
	return nr, false, nil
}

// CreateRequest implements deliveries.Store.
func (s *Store) CreateRequest(ctx context.Context, r deliveries.Request, by string) (deliveries.Request, bool, error) {
	out, created, err := s.ImportRequests(ctx, []deliveries.Request{r}, by)
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			ve.Path = trimIndex(ve.Path)
		}
		return deliveries.Request{}, false, err
	}
	return out[0], created[0], nil
}

// ImportRequests implements deliveries.Store.
func (s *Store) ImportRequests(ctx context.Context, rs []deliveries.Request, by string) ([]deliveries.Request, []bool, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.delNow()
	out := make([]deliveries.Request, len(rs))
	created := make([]bool, len(rs))
	pending := map[string]*deliveries.Request{}
	rec := &delRecord{}
	next := int64(len(st.reqs)) + 1
	for i, r := range rs {
		got, found, err := st.prepare(r, now, by, pending, next)
		if err != nil {
			st.mu.Unlock()
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, nil, err
		}
		if !found {
			rec.Requests = append(rec.Requests, got)
			pending[got.Key] = &rec.Requests[len(rec.Requests)-1]
			next++
			created[i] = true
		}
		out[i] = got.Clone()
	}
	var seq uint64
	if len(rec.Requests) > 0 {
		seq, err = st.commit(rec)
	}
	st.mu.Unlock()
	if err == nil {
		err = st.wait(seq)
	}
	if err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

// GetRequest implements deliveries.Store.
func (s *Store) GetRequest(ctx context.Context, id int64) (deliveries.Request, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return deliveries.Request{}, err
	}
	defer st.mu.Unlock()
	if id < 1 || id > int64(len(st.reqs)) {
		return deliveries.Request{}, fmt.Errorf("request %d: %w", id, zones.ErrNotFound)
	}
	return st.reqs[id-1].Clone(), nil
}

// ListRequests implements deliveries.Store.
func (s *Store) ListRequests(ctx context.Context, f deliveries.RequestFilter) ([]deliveries.Request, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	out := []deliveries.Request{}
	skip := f.Offset
	for i := range st.reqs {
		r := &st.reqs[i]
		if !f.Matches(r) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, r.Clone())
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// moveLocked applies moves to copies of the requests (st.mu held) and
// returns them; nothing is installed.
func (st *deliveryState) moveLocked(ms []deliveries.Move, now time.Time) ([]deliveries.Request, []bool, error) {
	cur := map[int64]*deliveries.Request{}
	out := make([]deliveries.Request, 0, len(ms))
	changed := make([]bool, 0, len(ms))
	for i, m := range ms {
		r := cur[m.ID]
		if r == nil {
			if m.ID < 1 || m.ID > int64(len(st.reqs)) {
				return nil, nil, fmt.Errorf("request %d: %w", m.ID, zones.ErrNotFound)
			}
			c := st.reqs[m.ID-1].Clone()
			r = &c
			cur[m.ID] = r
		}
		ch, err := r.Apply(m, now)
		if err != nil {
			var ve *zones.ValidationError
			if errors.As(err, &ve) {
				return nil, nil, &zones.ValidationError{Path: fmt.Sprintf("[%d].%s", i, ve.Path), Message: ve.Message}
			}
			return nil, nil, err
		}
		changed = append(changed, ch)
		out = append(out, *r)
	}
	// each request's final version once, in order of first move
	return out, changed, nil
}

func lastVersions(out []deliveries.Request, changed []bool) []deliveries.Request {
	last := map[int64]int{}
	any := map[int64]bool{}
	for i, r := range out {
		last[r.ID] = i
		any[r.ID] = any[r.ID] || changed[i]
	}
	var keep []deliveries.Request
	for i, r := range out {
		if last[r.ID] == i && any[r.ID] {
			keep = append(keep, r.Clone())
		}
	}
	return keep
}

// MoveRequests implements deliveries.Store.
func (s *Store) MoveRequests(ctx context.Context, ms []deliveries.Move) ([]deliveries.Request, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	out, changed, err := st.moveLocked(ms, s.delNow())
	var seq uint64
	if err == nil {
		if keep := lastVersions(out, changed); len(keep) > 0 {
			seq, err = st.commit(&delRecord{Requests: keep})
		}
	}
	st.mu.Unlock()
	if err == nil {
		err = st.wait(seq)
	}
	if err != nil {
		return nil, err
	}
	res := make([]deliveries.Request, len(ms))
	final := map[int64]deliveries.Request{}
	for _, r := range out {
		final[r.ID] = r
	}
	for i, m := range ms {
		res[i] = final[m.ID].Clone()
	}
	return res, nil
}

// CreateBatches implements deliveries.Store.
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
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		if b.Cut != deliveries.CutNow && st.cuts[b.Date+"|"+b.Cut] {
			st.mu.Unlock()
			return nil, deliveries.CutMade(b.Date, b.Cut)
		}
	}
	now := s.delNow()
	rec := &delRecord{}
	var ms []deliveries.Move
	next := int64(len(st.batches)) + 1
	for _, b := range bs {
		b = b.Clone()
		b.ID, b.CreatedAt, b.UpdatedAt = next, now, now
		next++
		rec.Batches = append(rec.Batches, b)
		ms = append(ms, deliveries.BatchMoves(&b)...)
	}
	var out []deliveries.Request
	var changed []bool
	var seq uint64
	out, changed, err = st.moveLocked(ms, now)
	if err == nil {
		for i, c := range changed {
			if !c {
				err = fmt.Errorf("%w: request %d is already batched", zones.ErrConflict, out[i].ID)
				break
			}
		}
	}
	if err == nil {
		rec.Requests = lastVersions(out, changed)
		seq, err = st.commit(rec)
	}
	st.mu.Unlock()
	if err == nil {
		err = st.wait(seq)
	}
	if err != nil {
		return nil, err
	}
	res := make([]deliveries.Batch, len(rec.Batches))
	for i, b := range rec.Batches {
		res[i] = b.Clone()
	}
	return res, nil
}

// SetBatchPlan implements deliveries.Store.
func (s *Store) SetBatchPlan(ctx context.Context, id int64, stops []deliveries.StopRef, unplanned string) (deliveries.Batch, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return deliveries.Batch{}, err
	}
	if id < 1 || id > int64(len(st.batches)) {
		st.mu.Unlock()
		return deliveries.Batch{}, fmt.Errorf("batch %d: %w", id, zones.ErrNotFound)
	}
	b := st.batches[id-1].Clone()
	now := s.delNow()
	b.Stops, b.Unplanned, b.UpdatedAt = slices.Clone(stops), unplanned, now
	rec := &delRecord{}
	if len(stops) == 0 {
		if err := deliveries.CheckCarry(&b); err != nil {
			st.mu.Unlock()
			return deliveries.Batch{}, err
		}
		out, changed, err := st.moveLocked(deliveries.CarryMoves(&b, unplanned), now)
		if err != nil {
			st.mu.Unlock()
			return deliveries.Batch{}, err
		}
		for i, c := range changed {
			if c {
				b.Carried = append(b.Carried, out[i].ID)
			}
		}
		rec.Requests = lastVersions(out, changed)
	}
	rec.Batches = []deliveries.Batch{b}
	seq, err := st.commit(rec)
	st.mu.Unlock()
	if err == nil {
		err = st.wait(seq)
	}
	if err != nil {
		return deliveries.Batch{}, err
	}
	return b.Clone(), nil
}

// GetBatch implements deliveries.Store.
func (s *Store) GetBatch(ctx context.Context, id int64) (deliveries.Batch, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return deliveries.Batch{}, err
	}
	defer st.mu.Unlock()
	if id < 1 || id > int64(len(st.batches)) {
		return deliveries.Batch{}, fmt.Errorf("batch %d: %w", id, zones.ErrNotFound)
	}
	return st.batches[id-1].Clone(), nil
}

// ListBatches implements deliveries.Store.
func (s *Store) ListBatches(ctx context.Context, date string) ([]deliveries.Batch, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	out := []deliveries.Batch{}
	for i := range st.batches {
		if date == "" || st.batches[i].Date == date {
			out = append(out, st.batches[i].Clone())
		}
	}
	return out, nil
}

// SetVans implements deliveries.Store.
func (s *Store) SetVans(ctx context.Context, vans []deliveries.Van) ([]deliveries.Van, error) {
	if err := deliveries.ValidateVans(vans); err != nil {
		return nil, err
	}
	vs := slices.Clone(vans)
	slices.SortFunc(vs, func(a, b deliveries.Van) int { return int(a.ID - b.ID) })
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	seq, err := st.commit(&delRecord{Vans: &vs})
	st.mu.Unlock()
	if err == nil {
		err = st.wait(seq)
	}
	if err != nil {
		return nil, err
	}
	return slices.Clone(vs), nil
}

// ListVans implements deliveries.Store.
func (s *Store) ListVans(ctx context.Context) ([]deliveries.Van, error) {
	st, err := s.lockDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	return append([]deliveries.Van{}, st.vans...), nil
}
