package memstore

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"lifeline/data/wal"
	"lifeline/jobs"
	"lifeline/routelists"
	"lifeline/zones"
)

// The persisted store keeps its state in a data/wal log: one record per
// acknowledged write, each a JSON object (logRecord) holding the zone
// versions the write put, or the compound or the facility it created. A
// zone version record is applied with the same rules (txn.put) whether it
// comes from a live write or from replay, so replay rebuilds exactly the
// state that was acknowledged. The log's snapshot is the JSON snapshot
// format 2 of the earlier store.

// logRecord is one write. Zones lists zone versions in the order put: a
// version 1 with the next id creates a zone; the number of the zone's last
// version replaces it (an end moved: update, lift); the next number
// appends a version.
type logRecord struct {
	Zones    []snapVersion   `json:"zones,omitempty"`
	Compound *snapCompound   `json:"compound,omitempty"`
	Facility *zones.Facility `json:"facility,omitempty"`
	// RouteLists are route lists put whole (new, or with a changed stop
	// status or share hash); ExpireLists deletes those made before it.
	RouteLists  []routelists.List `json:"route_lists,omitempty"`
	ExpireLists *time.Time        `json:"expire_route_lists,omitempty"`
	// Jobs are job records put whole; DeleteJobs removes records.
	Jobs       []jobs.Job `json:"jobs,omitempty"`
	DeleteJobs []string   `json:"delete_jobs,omitempty"`
}

// logWriter is the part of *wal.Log the store uses (tests put a failing
// one in).
type logWriter interface {
	Write(rec []byte) (uint64, error)
	Sync(seq uint64) error
	Size() int64
	Checkpoint() (*wal.Cut, error)
	Close() error
}

// maxRecord is the largest write (wal.MaxRecord; a variable for tests).
var maxRecord = wal.MaxRecord

// persistence is the log of a store opened by OpenWith.
type persistence struct {
	dir  string
	log  logWriter
	lock *os.File

	mu  sync.Mutex
	err error // first write or fsync error: the store refuses writes after it
}

func (p *persistence) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *persistence) fail(err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = fmt.Errorf("memstore: log %s failed, the store refuses writes until restarted: %w", p.dir, err)
	}
	return err
}

func (p *persistence) write(rec []byte) (uint64, error) {
	if err := p.failed(); err != nil {
		return 0, err
	}
	if len(rec) > maxRecord {
		// Refused before anything is written: the log stays usable.
		return 0, &zones.ValidationError{Path: "features", Message: fmt.Sprintf(
			"this write is %d MiB as a log record, more than the %d MiB one write may be: split it", len(rec)>>20, maxRecord>>20)}
	}
	seq, err := p.log.Write(rec)
	if err != nil {
		return 0, p.fail(fmt.Errorf("memstore: write log: %w", err))
	}
	return seq, nil
}

func (p *persistence) sync(seq uint64) error {
	if err := p.log.Sync(seq); err != nil {
		return p.fail(fmt.Errorf("memstore: sync log: %w", err))
	}
	return nil
}

func (p *persistence) close() error {
	err := p.log.Close()
	if p.lock != nil {
		p.lock.Close() // releases the flock
	}
	return err
}

// lockDir takes an exclusive, non-blocking flock on dir/LOCK. It is
// released when the file is closed (or the process ends).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("memstore: lock %s: %w", dir, err)
	}
	return f, nil
}

// openLog opens (creating) the log beside s.path, replays it, and imports
// a legacy JSON snapshot into an empty log.
func (s *Store) openLog() error {
	dir := LogDir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	l, rec, err := wal.Open(dir, wal.Options{NoSync: s.opts.NoSync},
		func(r io.Reader) error {
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			return s.loadSnapshot(data)
		},
		s.replay)
	if err != nil {
		lock.Close()
		return fmt.Errorf("memstore: open log %s: %w", dir, err)
	}
	s.recovery = rec
	s.persist = &persistence{dir: dir, log: l, lock: lock}
	lg := s.opts.Logger
	if rec.TornBytes > 0 {
		lg.Warn("memstore: dropped a torn record at the end of the log (a write interrupted by a crash, never acknowledged)",
			"segment", rec.TornSegment, "bytes", rec.TornBytes)
	}
	if rec.Snapshot || rec.Records > 0 {
		if _, err := os.Stat(s.path); err == nil {
			lg.Warn("memstore: ignoring the JSON snapshot beside the log (the log holds the store)", "snapshot", s.path, "log", dir)
		}
		return nil
	}
	found, err := s.loadLegacy(s.path)
	if err != nil || !found {
		if err != nil {
			s.persist.close()
			s.persist = nil
		}
		return err
	}
	// Import: the loaded state becomes the log's first snapshot, then the
	// old file is kept renamed.
	cut, err := l.Checkpoint()
	if err == nil {
		st := s.copyState()
		err = cut.WriteSnapshot(st.encode)
	}
	if err != nil {
		s.persist.close()
		s.persist = nil
		return fmt.Errorf("memstore: import %s into %s: %w", s.path, dir, err)
	}
	backup := s.path + ".imported"
	if err := os.Rename(s.path, backup); err != nil {
		lg.Warn("memstore: imported the JSON snapshot but could not rename it", "snapshot", s.path, "err", err)
	} else {
		lg.Info("memstore: imported the JSON snapshot into the log", "snapshot", s.path, "log", dir, "backup", backup)
	}
	return nil
}

// replay applies one log record (validated as input).
func (s *Store) replay(b []byte) error {
	var rec logRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	t := s.begin()
	for _, sv := range rec.Zones {
		v := sv.zone()
		if err := zones.ValidateZone(v); err != nil {
			return fmt.Errorf("zone %d version %d: %w", v.ID, v.Version, err)
		}
		if err := t.put(v); err != nil {
			return err
		}
	}
	if c := rec.Compound; c != nil {
		cc := c.Compound
		cc.Geometry = c.Geometry
		if cc.ID != int64(len(s.compounds)+1) {
			return fmt.Errorf("compound id %d, want %d", cc.ID, len(s.compounds)+1)
		}
		if err := zones.ValidateCompound(cc); err != nil {
			return fmt.Errorf("compound %d: %w", cc.ID, err)
		}
	}
	if f := rec.Facility; f != nil {
		if f.ID != int64(len(s.facilities)+1) {
			return fmt.Errorf("facility id %d, want %d", f.ID, len(s.facilities)+1)
		}
		if err := zones.ValidateFacility(*f); err != nil {
			return fmt.Errorf("facility %d: %w", f.ID, err)
		}
		if f.CompoundID > int64(len(s.compounds)) {
			return fmt.Errorf("facility %d: no compound %d", f.ID, f.CompoundID)
		}
	}
	if err := checkLists(rec.RouteLists); err != nil {
		return err
	}
	if err := checkJobs(rec.Jobs); err != nil {
		return err
	}
	s.applyLocked(t, &rec, false)
	return nil
}

// ----- transactions -----

// txn plans a zone write over the store without changing it: an overlay
// of the version lists and keys it touches. put checks each version
// against the rules of the version chain (the same at replay), so a
// planned write always applies.
type txn struct {
	s    *Store
	n    int64                  // zones after the txn
	vs   map[int64][]zones.Zone // new version lists of the zones touched
	keys map[string]int64       // external keys changed (0: removed)
	puts []zones.Zone           // versions put, in order
}

func (s *Store) begin() *txn {
	return &txn{s: s, n: int64(len(s.zones))}
}

// versions returns the versions of zone id (1..t.n) as of the txn.
func (t *txn) versions(id int64) []zones.Zone {
	if vs, ok := t.vs[id]; ok {
		return vs
	}
	return t.s.zones[id-1]
}

// current returns the last version of zone id as of the txn, or nil.
func (t *txn) current(id int64) *zones.Zone {
	if id < 1 || id > t.n {
		return nil
	}
	vs := t.versions(id)
	return &vs[len(vs)-1]
}

// keyOwner returns the zone holding external key k as of the txn.
func (t *txn) keyOwner(k string) (int64, bool) {
	if id, ok := t.keys[k]; ok {
		return id, id != 0
	}
	id, ok := t.s.keys[k]
	return id, ok
}

// put adds version v: version 1 of zone t.n+1 (a new zone), a new end of
// the last version (same number), or the next version, which must start
// where the last one ends. Its external key must not be another zone's.
func (t *txn) put(v zones.Zone) error {
	var vs []zones.Zone
	switch {
	case v.ID == t.n+1:
		if v.Version != 1 {
			return fmt.Errorf("new zone %d has version %d", v.ID, v.Version)
		}
	case v.ID >= 1 && v.ID <= t.n:
		vs = t.versions(v.ID)
		switch k := len(vs); v.Version {
		case k:
			if k > 1 && !chained(vs[k-2], v) {
				return fmt.Errorf("zone %d version %d: does not start where version %d ends", v.ID, v.Version, k-1)
			}
		case k + 1:
			if !chained(vs[k-1], v) {
				return fmt.Errorf("zone %d version %d: does not start where version %d ends", v.ID, v.Version, k)
			}
		default:
			return fmt.Errorf("zone %d has %d versions; cannot put version %d", v.ID, k, v.Version)
		}
	default:
		return fmt.Errorf("no zone %d (the next id is %d)", v.ID, t.n+1)
	}
	oldKey := ""
	if len(vs) > 0 {
		oldKey = vs[len(vs)-1].ExternalKey
	}
	if v.ExternalKey != oldKey {
		if v.ExternalKey != "" {
			if id, dup := t.keyOwner(v.ExternalKey); dup && id != v.ID {
				return fmt.Errorf("external key %q is already zone %d: %w", v.ExternalKey, id, zones.ErrConflict)
			}
		}
		if t.keys == nil {
			t.keys = map[string]int64{}
		}
		if oldKey != "" {
			t.keys[oldKey] = 0
		}
		if v.ExternalKey != "" {
			t.keys[v.ExternalKey] = v.ID
		}
	}
	var nvs []zones.Zone
	switch {
	case vs == nil:
		nvs = []zones.Zone{v}
		t.n++
	case v.Version == len(vs):
		nvs = slices.Clone(vs)
		nvs[len(nvs)-1] = v
	default:
		nvs = append(vs[:len(vs):len(vs)], v)
	}
	if t.vs == nil {
		t.vs = map[int64][]zones.Zone{}
	}
	t.vs[v.ID] = nvs
	t.puts = append(t.puts, v)
	return nil
}

// chained reports whether next starts where prev ends.
func chained(prev, next zones.Zone) bool {
	return prev.EffectiveUntil != nil && prev.EffectiveUntil.Equal(next.EffectiveFrom)
}

// applyLocked installs a planned write (s.mu held for writing, or during
// Open): the txn's zones and keys, and the record's compound or facility;
// with index, the versions put go into the look-up index's delta (replay
// leaves that to one build at the end).
func (s *Store) applyLocked(t *txn, rec *logRecord, index bool) {
	old := int64(len(s.zones))
	for id := old + 1; id <= t.n; id++ {
		s.zones = append(s.zones, t.vs[id])
	}
	for id, vs := range t.vs {
		if id <= old {
			s.zones[id-1] = vs
		}
	}
	for k, id := range t.keys {
		if id == 0 {
			delete(s.keys, k)
		} else {
			s.keys[k] = id
		}
	}
	if c := rec.Compound; c != nil {
		cc := c.Compound
		cc.Geometry = c.Geometry
		s.compounds = append(s.compounds, cc)
	}
	if f := rec.Facility; f != nil {
		s.facilities = append(s.facilities, *f)
	}
	s.applyLists(rec)
	s.applyJobs(rec)
	if index && len(t.puts) > 0 {
		for _, v := range t.puts {
			s.ix.Put(v)
			s.changes = append(s.changes, changeKey{v.ID, int32(v.Version)})
		}
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// write runs one write: plan (under the writer lock, with a fresh txn)
// returns the record to log (nil: nothing to do) or an error; then the
// record is appended to the log, applied in memory under the readers'
// lock, and the writer lock is released before waiting for the fsync that
// acknowledges it. The zone versions the txn put are added to the record.
func (s *Store) write(ctx context.Context, plan func(t *txn) (*logRecord, error)) error {
	s.wmu.Lock()
	if err := s.writable(ctx); err != nil {
		s.wmu.Unlock()
		return err
	}
	t := s.begin()
	rec, err := plan(t)
	if err != nil || rec == nil {
		s.wmu.Unlock()
		return err
	}
	for _, v := range t.puts {
		rec.Zones = append(rec.Zones, snapVersion{Zone: v, Geometry: v.Geometry})
	}
	var seq uint64
	if s.persist != nil {
		data, err := json.Marshal(rec)
		if err == nil {
			seq, err = s.persist.write(data)
		}
		if err != nil {
			s.wmu.Unlock()
			return err
		}
	}
	// Grow the zone list here rather than under the readers' lock (only
	// writers change it, and this one holds wmu).
	var grown [][]zones.Zone
	if need := int(t.n) - len(s.zones); need > cap(s.zones)-len(s.zones) {
		grown = make([][]zones.Zone, len(s.zones), 2*cap(s.zones)+need)
		copy(grown, s.zones)
	}
	s.mu.Lock()
	t0 := time.Now()
	if grown != nil {
		s.zones = grown
	}
	s.applyLocked(t, rec, true)
	held := int64(time.Since(t0))
	s.mu.Unlock()
	for m := s.maxApply.Load(); held > m && !s.maxApply.CompareAndSwap(m, held); m = s.maxApply.Load() {
	}
	s.maybeRebuildLocked()
	s.maybeCompactLocked()
	s.wmu.Unlock()
	if s.persist != nil {
		return s.persist.sync(seq)
	}
	return nil
}

// writable is check for writers (s.wmu held).
func (s *Store) writable(ctx context.Context) error {
	if s.closed {
		return ErrClosed
	}
	if s.accountsOnly {
		return errAccountsOnly
	}
	if s.persist != nil {
		if err := s.persist.failed(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

var errAccountsOnly = errors.New("memstore: store opened for accounts only (OpenAccounts): zone writes go through the server")

// ----- compaction -----

// state is a copy of the store's content that later writes do not change:
// version lists are never changed in place, compounds and facilities only
// appended to.
type state struct {
	zones      [][]zones.Zone
	compounds  []zones.Compound
	facilities []zones.Facility
	lists      []routelists.List
	jobs       []jobs.Job
}

// copyState takes the copy (s.wmu held, or no writer running). O(zones)
// slice headers.
func (s *Store) copyState() state {
	return state{
		zones:      slices.Clone(s.zones),
		compounds:  s.compounds[:len(s.compounds):len(s.compounds)],
		facilities: s.facilities[:len(s.facilities):len(s.facilities)],
		lists:      s.copyLists(),
		jobs:       s.copyJobs(),
	}
}

// encode writes st as a format-2 JSON snapshot, one zone at a time.
func (st state) encode(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	fmt.Fprintf(bw, `{"version":%d,"saved_at":`, snapshotVersion)
	if err := enc.Encode(zones.TruncateTime(time.Now())); err != nil {
		return err
	}
	bw.WriteString(`,"zones":[`)
	for i, vs := range st.zones {
		if i > 0 {
			bw.WriteByte(',')
		}
		sz := snapZone{snapVersion: snapVersion{Zone: zones.Zone{ID: vs[0].ID}}, Versions: make([]snapVersion, len(vs))}
		for k, v := range vs {
			sz.Versions[k] = snapVersion{Zone: v, Geometry: v.Geometry}
		}
		if err := enc.Encode(&sz); err != nil {
			return err
		}
	}
	bw.WriteString(`],"compounds":[`)
	for i, c := range st.compounds {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(snapCompound{Compound: c, Geometry: c.Geometry}); err != nil {
			return err
		}
	}
	bw.WriteString(`],"facilities":[`)
	for i, f := range st.facilities {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	bw.WriteString("]")
	if len(st.lists) > 0 {
		bw.WriteString(`,"route_lists":[`)
		for i := range st.lists {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(&st.lists[i]); err != nil {
				return err
			}
		}
		bw.WriteString("]")
	}
	if len(st.jobs) > 0 {
		bw.WriteString(`,"jobs":[`)
		for i := range st.jobs {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(&st.jobs[i]); err != nil {
				return err
			}
		}
		bw.WriteString("]")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// maybeCompactLocked starts a background compaction when the current log
// segment is past Options.CompactBytes (s.wmu held): Checkpoint and the
// state copy under the writer lock (look-ups go on), the snapshot written
// outside it.
func (s *Store) maybeCompactLocked() {
	if s.persist == nil || s.compactOn || s.persist.log.Size() < s.opts.CompactBytes {
		return
	}
	if err := s.compactLocked(true); err != nil {
		s.opts.Logger.Error("memstore: compaction", "log", s.persist.dir, "err", err)
	}
}

// compactLocked cuts the log and writes the snapshot of the state at the
// cut, in the background when bg (s.wmu held).
func (s *Store) compactLocked(bg bool) error {
	cut, err := s.persist.log.Checkpoint()
	if err != nil {
		return s.persist.fail(err)
	}
	st := s.copyState()
	if !bg {
		return cut.WriteSnapshot(st.encode)
	}
	s.compactOn = true
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := cut.WriteSnapshot(st.encode); err != nil {
			s.opts.Logger.Error("memstore: background snapshot", "log", s.persist.dir, "err", err)
		}
		s.wmu.Lock()
		s.compactOn = false
		s.wmu.Unlock()
	}()
	return nil
}

// Compact cuts the log and writes its snapshot now (the background
// compaction does the same on its own).
func (s *Store) Compact(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(ctx); err != nil {
		return err
	}
	if s.persist == nil {
		return nil
	}
	return s.compactLocked(false)
}

// MaxApplyPause returns the longest a write has held the readers' lock (to
// apply its change in memory) since the previous call, or since Open: the
// longest a look-up waited for a write. It resets the figure.
func (s *Store) MaxApplyPause() time.Duration { return time.Duration(s.maxApply.Swap(0)) }
