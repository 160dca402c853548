// Package memstore is the embedded default store: everything in memory,
// optionally persisted to one JSON snapshot file rewritten atomically after
// every successful write. It implements zones.Store and is safe for
// concurrent use (one RWMutex: reads in parallel, writes serialised).
//
// Zone look-ups go through a zones.Index rebuilt on every zone write
// (O(total vertices), a few milliseconds for a district).
//
// Every time kept is truncated to the microsecond in UTC (PostgreSQL
// precision), so both stores return the same values.
package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("memstore: store is closed")

var _ zones.Store = (*Store)(nil)

// Store is the in-memory store. Create it with New or Open.
type Store struct {
	mu         sync.RWMutex
	path       string // "" for a pure in-memory store
	closed     bool
	zones      [][]zones.Zone // zones[i]: the versions of zone i+1, oldest first
	keys       map[string]int64
	flat       []zones.Zone // every version; item i of index
	compounds  []zones.Compound
	facilities []zones.Facility
	index      *zones.Index
	now        func() time.Time
	auth       authState // accounts, credentials, audit trail (auth.go)

	riders riderState // shuttle riders (riders.go)
}

// New returns an empty store that keeps nothing on disk.
func New() *Store {
	return &Store{index: zones.NewIndex(nil), keys: map[string]int64{}, now: time.Now}
}

// Open returns a store persisted in the snapshot file at path: it loads the
// file if it exists (an empty store otherwise; the directory must exist) and
// rewrites it after every successful write (temporary file in the same
// directory, fsync, rename, fsync of the directory). Temporary files left
// beside it by a crash (path + ".tmp-*") are removed first.
//
// Every zone version, compound and facility of the snapshot is validated
// as on input; a snapshot holding anything invalid is refused with an error
// naming the record and what is wrong (the file is left as it is: fix it or
// move it aside). Snapshots of format 1 (one version per zone) are read and
// rewritten as format 2 on the next write. Errors: reading, decoding or
// validating an existing snapshot.
func Open(path string) (*Store, error) {
	s := New()
	s.path = path
	removeStaleTemps(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memstore: read snapshot: %w", err)
	}
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("memstore: decode snapshot %s: %w", path, err)
	}
	if snap.Version != snapshotVersion && snap.Version != 1 {
		return nil, fmt.Errorf("memstore: snapshot %s has version %d, want 1 or %d", path, snap.Version, snapshotVersion)
	}
	if err := s.loadZones(&snap); err != nil {
		return nil, fmt.Errorf("memstore: snapshot %s: %w (not loaded: fix the file or move it aside)", path, err)
	}
	for i, c := range snap.Compounds {
		if c.ID != int64(i+1) {
			return nil, fmt.Errorf("memstore: snapshot %s: compound %d has id %d", path, i, c.ID)
		}
		cc := c.Compound
		cc.Geometry = c.Geometry
		if err := zones.ValidateCompound(cc); err != nil {
			return nil, fmt.Errorf("memstore: snapshot %s: compound %d: %w (not loaded: fix the file or move it aside)", path, cc.ID, err)
		}
		s.compounds = append(s.compounds, cc)
	}
	for i, f := range snap.Facilities {
		if f.ID != int64(i+1) {
			return nil, fmt.Errorf("memstore: snapshot %s: facility %d has id %d", path, i, f.ID)
		}
		if err := zones.ValidateFacility(f); err != nil {
			return nil, fmt.Errorf("memstore: snapshot %s: facility %d: %w (not loaded: fix the file or move it aside)", path, f.ID, err)
		}
	}
	s.facilities = snap.Facilities
	s.reindexLocked()
	return s, nil
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

// Ping returns ErrClosed after Close, nil otherwise.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// Close marks the store closed. Every write was already persisted.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.closeAuth()
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
	Version    int              `json:"version"`
	SavedAt    time.Time        `json:"saved_at"`
	Zones      []snapZone       `json:"zones"`
	Compounds  []snapCompound   `json:"compounds"`
	Facilities []zones.Facility `json:"facilities"`
}

// persistLocked writes the current state to s.path (if any). Called with
// the write lock held, after the change was applied in memory; the caller
// undoes the change when it fails.
func (s *Store) persistLocked() error {
	if s.path == "" {
		return nil
	}
	snap := snapshot{Version: snapshotVersion, SavedAt: zones.TruncateTime(s.now())}
	snap.Zones = make([]snapZone, len(s.zones))
	for i, vs := range s.zones {
		sz := snapZone{snapVersion: snapVersion{Zone: zones.Zone{ID: vs[0].ID}}, Versions: make([]snapVersion, len(vs))}
		for k, v := range vs {
			sz.Versions[k] = snapVersion{Zone: v, Geometry: v.Geometry}
		}
		snap.Zones[i] = sz
	}
	snap.Compounds = make([]snapCompound, len(s.compounds))
	for i, c := range s.compounds {
		snap.Compounds[i] = snapCompound{Compound: c, Geometry: c.Geometry}
	}
	snap.Facilities = s.facilities
	data, err := json.Marshal(&snap)
	if err != nil {
		return fmt.Errorf("memstore: encode snapshot: %w", err)
	}
	return writeFileAtomic(s.path, data)
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("memstore: write snapshot: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("memstore: write snapshot: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("memstore: write snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("memstore: write snapshot: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system supports it
		d.Close()
	}
	return nil
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
