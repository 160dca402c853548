// Package memstore is the embedded default store: everything in memory,
// optionally persisted to an append-only log (data/wal: one record per
// write, group-committed fsync, replayed at start, compacted into a
// snapshot in the background). It implements zones.Store and is safe for
// concurrent use: reads in parallel, writes serialised, and a write holds
// the readers' lock only to apply its change in memory, never during I/O.
//
// Zone look-ups go through an immutable zones.Index built over the zone
// versions at some point plus a small delta of the versions written since
// (zones/live); the index is rebuilt in the background, outside every
// lock, when the delta grows.
//
// Every time kept is truncated to the microsecond in UTC (PostgreSQL
// precision), so both stores return the same values.
package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/wal"
	"lifeline/jobs"
	"lifeline/routelists"
	"lifeline/zones"
	"lifeline/zones/live"
)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("memstore: store is closed")

// ErrLocked is returned by Open when another Store (in this or another
// process) has the same zone log open.
var ErrLocked = errors.New("memstore: the zone log is in use by another process")

var _ zones.Store = (*Store)(nil)

// Store is the in-memory store. Create it with New or Open.
//
// Locking: wmu orders the writers (planning, the log record, applying);
// mu guards what readers see. A writer takes mu (write) only to apply a
// planned change in memory, never during I/O, so a look-up waits at most
// that long; the fsync that acknowledges a write happens after both are
// released (group commit in data/wal).
type Store struct {
	wmu        sync.Mutex
	mu         sync.RWMutex
	path       string // "" for a pure in-memory store
	closed     bool
	zones      [][]zones.Zone // zones[i]: the versions of zone i+1, oldest first; never changed in place
	keys       map[string]int64
	compounds  []zones.Compound
	facilities []zones.Facility
	ix         *live.Index  // look-ups: base index + delta (zones/live)
	rebuilding atomic.Bool  // a background rebuild of ix's base runs
	maxApply   atomic.Int64 // longest hold of mu by a write, ns
	quiet      *time.Timer  // rebuild after a pause in writes (guarded by wmu)
	now        func() time.Time
	auth       authState // accounts, credentials, audit trail (auth.go)

	riders riderState                 // shuttle riders (riders.go)
	days   dayState                   // shuttle appointments and timetables (shuttledays.go)
	del    deliveryState              // medicine deliveries (deliveries.go)
	lists  map[string]routelists.List // route lists by code (routelists.go)
	jobs   map[string]jobs.Job        // job records by id (jobs.go)

	changes []changeKey   // the change stream: versions put since Open, in order (changes.go)
	changed chan struct{} // closed (and replaced) when changes grows; guarded by mu

	persist      *persistence // nil for New and OpenAccounts
	accountsOnly bool         // OpenAccounts
	opts         Options
	recovery     wal.Recovery
	bg           sync.WaitGroup // background compaction
	compactOn    bool           // a compaction runs (guarded by wmu)
}

// New returns an empty store that keeps nothing on disk.
func New() *Store {
	return &Store{ix: live.New(nil, 0), keys: map[string]int64{}, now: time.Now, changed: make(chan struct{})}
}

// Open is OpenWith(path, Options{}): see there.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// Options tune OpenWith.
type Options struct {
	// Logger receives what recovery found (a torn last record dropped, a
	// snapshot imported) and background compaction errors; nil:
	// slog.Default().
	Logger *slog.Logger
	// CompactBytes is the size of the current log segment above which a
	// write starts a background compaction (0: 64 MiB).
	CompactBytes int64
	// NoSync skips every fsync (tests of other things only: acknowledged
	// writes may be lost in a crash).
	NoSync bool
}

// OpenWith returns a store persisted beside path: zones, compounds and
// facilities go to an append-only log in the directory LogDir(path) (for
// DataDir/store.json: DataDir/store/). Every write appends one record and
// is acknowledged once an fsync covers it (concurrent writers share
// fsyncs); the log is replayed at start and compacted into a snapshot in
// the background once the current segment passes Options.CompactBytes. A
// torn last record (a crash in the middle of a write, never acknowledged)
// is dropped with a warning on the logger and in Recovery; damage anywhere
// else is an error. Only one Store may have the log open at a time (a lock
// file; ErrLocked otherwise): use OpenAccounts for a second one that only
// needs accounts.
//
// Migration: when the log is empty and a JSON snapshot exists at path
// (format 1 or 2, the store's earlier format), it is validated, imported
// into the log as its first snapshot, and renamed to path + ".imported"
// (kept as a backup). A snapshot holding anything invalid is refused with
// an error naming the record and what is wrong (the file is left as it is:
// fix it or move it aside).
func OpenWith(path string, opts Options) (*Store, error) {
	s := New()
	s.path = path
	s.opts = opts
	if s.opts.Logger == nil {
		s.opts.Logger = slog.Default()
	}
	if s.opts.CompactBytes <= 0 {
		s.opts.CompactBytes = 64 << 20
	}
	if err := s.openLog(); err != nil {
		return nil, err
	}
	s.reindexLocked()
	return s, nil
}

// OpenAccounts returns a store for the accounts files beside path only
// (accounts.json, audit.jsonl: see auth.go), without the zone log, so that
// `lifeline user` works while the server holds the log. Its zone, compound
// and facility methods see an empty store and refuse writes.
func OpenAccounts(path string) *Store {
	s := New()
	s.path = path
	s.accountsOnly = true
	return s
}

// Recovery reports what opening the log found (zero for New).
func (s *Store) Recovery() wal.Recovery { return s.recovery }

// LogDir is the log directory OpenWith uses for a snapshot path: path
// without its ".json" extension, or path + ".log" without one.
func LogDir(path string) string {
	if p, ok := strings.CutSuffix(path, ".json"); ok && filepath.Base(p) != "" && filepath.Base(p) != "." {
		return p
	}
	return path + ".log"
}

// loadLegacy reads a JSON snapshot (format 1 or 2) at path into s, which
// must be empty. found is false when there is no file.
func (s *Store) loadLegacy(path string) (found bool, err error) {
	removeStaleTemps(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("memstore: read snapshot: %w", err)
	}
	if err := s.loadSnapshot(data); err != nil {
		return true, fmt.Errorf("memstore: snapshot %s: %w (not loaded: fix the file or move it aside)", path, err)
	}
	return true, nil
}

// loadSnapshot decodes and validates a JSON snapshot into s (empty).
func (s *Store) loadSnapshot(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if snap.Version != snapshotVersion && snap.Version != 1 {
		return fmt.Errorf("version %d, want 1 or %d", snap.Version, snapshotVersion)
	}
	if err := s.loadZones(&snap); err != nil {
		return err
	}
	for i, c := range snap.Compounds {
		if c.ID != int64(i+1) {
			return fmt.Errorf("compound %d has id %d", i, c.ID)
		}
		cc := c.Compound
		cc.Geometry = c.Geometry
		if err := zones.ValidateCompound(cc); err != nil {
			return fmt.Errorf("compound %d: %w", cc.ID, err)
		}
		s.compounds = append(s.compounds, cc)
	}
	for i, f := range snap.Facilities {
		if f.ID != int64(i+1) {
			return fmt.Errorf("facility %d has id %d", i, f.ID)
		}
		if err := zones.ValidateFacility(f); err != nil {
			return fmt.Errorf("facility %d: %w", f.ID, err)
		}
	}
	s.facilities = snap.Facilities
	if err := checkLists(snap.RouteLists); err != nil {
		return err
	}
	if err := checkJobs(snap.Jobs); err != nil {
		return err
	}
	s.applyLists(&logRecord{RouteLists: snap.RouteLists})
	s.applyJobs(&logRecord{Jobs: snap.Jobs})
	return nil
}

// loadZones reads the zones of a snapshot (format 1: one version each;
// format 2: their versions) and checks each version and the chain: ids in
// order, versions numbered 1, 2, ..., each starting where the previous
// one ended, external keys unique.
func (s *Store) loadZones(snap *snapshot) error {
	for i, sz := range snap.Zones {
		if sz.ID != int64(i+1) {
			return fmt.Errorf("zone %d has id %d", i, sz.ID)
		}
		vs := []zones.Zone{sz.zone()}
		if snap.Version != 1 {
			if len(sz.Versions) == 0 {
				return fmt.Errorf("zone %d has no versions", sz.ID)
			}
			vs = vs[:0]
			for _, v := range sz.Versions {
				vs = append(vs, v.zone())
			}
		} else {
			vs[0].Version = 1
		}
		for k := range vs {
			v := &vs[k]
			v.ID = sz.ID
			if v.Version != k+1 {
				return fmt.Errorf("zone %d: version %d is numbered %d", sz.ID, k+1, v.Version)
			}
			if err := zones.ValidateZone(*v); err != nil {
				return fmt.Errorf("zone %d version %d: %w", sz.ID, v.Version, err)
			}
			if k > 0 && (vs[k-1].EffectiveUntil == nil || !vs[k-1].EffectiveUntil.Equal(v.EffectiveFrom)) {
				return fmt.Errorf("zone %d version %d: does not start where version %d ends", sz.ID, v.Version, k)
			}
		}
		key := vs[len(vs)-1].ExternalKey
		if key != "" {
			if other, dup := s.keys[key]; dup {
				return fmt.Errorf("zone %d: external key %q is also zone %d's", sz.ID, key, other)
			}
			s.keys[key] = sz.ID
		}
		s.zones = append(s.zones, vs)
	}
	return nil
}

// removeStaleTemps deletes temporary snapshot files (path + ".tmp-*") that
// a crash between create and rename left behind. Best effort.
func removeStaleTemps(path string) {
	tmps, _ := filepath.Glob(globEscape(path) + ".tmp-*")
	for _, t := range tmps {
		os.Remove(t)
	}
}

// globEscape escapes the glob metacharacters of a literal path.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*', '?', '[', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SetClock replaces the clock used for CreatedAt, UpdatedAt and the default
// EffectiveFrom (for tests). Not safe to call concurrently with writes.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Empty reports whether the store holds no zones, compounds or facilities
// (the server then loads the demo district).
func (s *Store) Empty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.zones) == 0 && len(s.compounds) == 0 && len(s.facilities) == 0
}

// Ping returns ErrClosed after Close, the log's error after a failed
// write or fsync (the store then refuses writes: restart it), nil
// otherwise.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if s.persist != nil {
		if err := s.persist.failed(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Close marks the store closed, waits for a background compaction and
// closes the log (syncing what was written). Every acknowledged write was
// already durable.
func (s *Store) Close() error {
	s.wmu.Lock()
	s.mu.Lock()
	already := s.closed
	s.closed = true
	if s.quiet != nil {
		s.quiet.Stop()
	}
	s.closeAuth()
	if !already {
		close(s.changed) // wakes WaitZoneChange, which then sees closed
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	s.wmu.Unlock()
	if already {
		return nil
	}
	s.bg.Wait()
	s.closeDeliveries()
	if s.persist != nil {
		return s.persist.close()
	}
	return nil
}

// ----- snapshot -----

// snapshotVersion is the format written: 2 keeps every version of every
// zone; format 1 (one version per zone) is still read.
const snapshotVersion = 2

// snapVersion is one zone version in a snapshot.
type snapVersion struct {
	zones.Zone
	Geometry orb.MultiPolygon `json:"geometry"`
}

func (v snapVersion) zone() zones.Zone {
	z := v.Zone
	z.Geometry = v.Geometry
	return z
}

// snapZone is one zone: format 1 has its only version inline; format 2
// only its id inline and every version in Versions.
type snapZone struct {
	snapVersion
	Versions []snapVersion `json:"versions,omitempty"`
}

type snapCompound struct {
	zones.Compound
	Geometry orb.MultiPolygon `json:"geometry"`
}

type snapshot struct {
	Version    int               `json:"version"`
	SavedAt    time.Time         `json:"saved_at"`
	Zones      []snapZone        `json:"zones"`
	Compounds  []snapCompound    `json:"compounds"`
	Facilities []zones.Facility  `json:"facilities"`
	RouteLists []routelists.List `json:"route_lists,omitempty"`
	Jobs       []jobs.Job        `json:"jobs,omitempty"`
}

// ----- copies -----

func cloneMP(mp orb.MultiPolygon) orb.MultiPolygon {
	if mp == nil {
		return nil
	}
	return mp.Clone()
}

func cloneTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

func cloneZone(z zones.Zone) zones.Zone {
	z.Geometry = cloneMP(z.Geometry)
	z.EffectiveUntil = cloneTimePtr(z.EffectiveUntil)
	return z
}

func cloneCompound(c zones.Compound) zones.Compound {
	c.Geometry = cloneMP(c.Geometry)
	c.Gates = slices.Clone(c.Gates)
	return c
}

func cloneFacility(f zones.Facility) zones.Facility {
	f.Accepts = slices.Clone(f.Accepts)
	return f
}

func (s *Store) check(ctx context.Context) error {
	if s.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// page is the copies (clone) of the elements of xs that match, after
// skipping offset of them, at most limit (0: all); never nil.
func page[T any](xs []T, offset, limit int, match func(*T) bool, clone func(*T) T) []T {
	out := []T{}
	for i := range xs {
		x := &xs[i]
		if !match(x) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		out = append(out, clone(x))
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// usable refuses a done context and a closed store: the first step of
// every lockXxx.
func (s *Store) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closedNow() {
		return ErrClosed
	}
	return nil
}
