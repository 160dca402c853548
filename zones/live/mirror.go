package live

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// ErrClosed is returned by Mirror.Wait after Close.
var ErrClosed = errors.New("live: mirror closed")

// Mirror is an in-memory copy of a store's zone versions, kept current by
// the store's change stream (zones.ChangeFeed), that answers look-ups
// from an Index. data/postgis keeps one per replica: loaded at start,
// then fed by its LISTEN connection and after its own writes.
//
// Every version of a zone carries the zone's current external key (the
// PostGIS store reads the key from the zone, not the version).
//
// Safe for concurrent use: look-ups in parallel; Load and Apply
// serialised, each holding the readers' lock only to put the versions in
// memory; the index's base is rebuilt in the background as in
// data/memstore.
type Mirror struct {
	wmu        sync.Mutex // orders Load, Apply and the rebuild's swap
	rebuilding bool       // guarded by wmu
	quiet      *time.Timer
	bg         sync.WaitGroup

	vs [][]zones.Zone // vs[id-1]: versions of zone id, each list never changed in place; guarded by wmu

	mu      sync.RWMutex
	ix      *Index
	seq     uint64        // the store's change number applied
	changed chan struct{} // closed and replaced when seq grows
	closed  bool
}

// MirrorQuiet is the pause in changes after which the delta is folded into
// the base (a variable for tests).
var MirrorQuiet = 500 * time.Millisecond

// NewMirror returns an empty mirror at change number 0.
func NewMirror() *Mirror {
	return &Mirror{ix: New(nil, 0), changed: make(chan struct{})}
}

// Seq returns the store's change number applied last.
func (m *Mirror) Seq() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.seq
}

// Len returns the number of zone ids held (including ids without zone).
func (m *Mirror) Len() int {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return len(m.vs)
}

// Load replaces the content with cs (every version of the store, e.g.
// ZoneChangesSince(0)) complete through change number through, and builds
// the index over it (O(versions), before it is swapped in).
func (m *Mirror) Load(cs []zones.ZoneChange, through uint64) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	var vs [][]zones.Zone
	for _, c := range cs {
		vs, _ = place(vs, c.Zone)
	}
	ix := New(vs, 0)
	m.vs = vs
	m.mu.Lock()
	m.ix = ix
	m.advanceLocked(through)
	m.mu.Unlock()
}

// Apply puts the versions of cs, the changes after some number n <= Seq()
// complete through number through (ZoneChangesSince(n)); changes at or
// before Seq() are skipped (another caller applied them, or newer values).
// It returns how many versions it put.
func (m *Mirror) Apply(cs []zones.ZoneChange, through uint64) int {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.RLock()
	seq, vs := m.seq, m.vs
	m.mu.RUnlock()
	// Plan outside the readers' lock: the new version lists and the
	// versions to put into the index.
	var puts []zones.Zone
	for _, c := range cs {
		if c.Seq <= seq {
			continue
		}
		var rekeyed []zones.Zone
		vs, rekeyed = place(vs, c.Zone)
		puts = append(puts, rekeyed...)
		puts = append(puts, c.Zone)
	}
	m.vs = vs
	m.mu.Lock()
	for _, z := range puts {
		m.ix.Put(z)
	}
	m.advanceLocked(through)
	m.mu.Unlock()
	if len(puts) > 0 {
		m.maybeRebuildLocked()
	}
	return len(puts)
}

func (m *Mirror) advanceLocked(through uint64) {
	if through > m.seq {
		m.seq = through
		close(m.changed)
		m.changed = make(chan struct{})
	}
}

// place returns vs with version z in place (its list copied), and the
// other versions of z's zone whose external key it changed. A version
// beyond the next one is preceded by placeholders (no geometry: never
// found) until its predecessors arrive.
func place(vs [][]zones.Zone, z zones.Zone) ([][]zones.Zone, []zones.Zone) {
	if z.ID < 1 || z.Version < 1 {
		return vs, nil
	}
	for int64(len(vs)) < z.ID {
		vs = append(vs, nil)
	}
	old := vs[z.ID-1]
	l := make([]zones.Zone, max(len(old), z.Version))
	copy(l, old)
	for k := len(old); k < z.Version-1; k++ {
		l[k] = zones.Zone{ID: z.ID, Version: k + 1, Kind: z.Kind, ExternalKey: z.ExternalKey}
	}
	l[z.Version-1] = z
	var rekeyed []zones.Zone
	for k := range l {
		if k != z.Version-1 && l[k].ExternalKey != z.ExternalKey {
			l[k].ExternalKey = z.ExternalKey
			if len(l[k].Geometry) > 0 {
				rekeyed = append(rekeyed, l[k])
			}
		}
	}
	vs[z.ID-1] = l
	return vs, rekeyed
}

// maybeRebuildLocked starts a background rebuild of the index's base when
// the delta passed its threshold, else makes sure one starts after a
// pause (m.wmu held).
func (m *Mirror) maybeRebuildLocked() {
	if m.rebuilding || m.closed {
		return
	}
	m.mu.RLock()
	ix := m.ix
	m.mu.RUnlock()
	if ix.DeltaLen() == 0 {
		return
	}
	if !ix.WantsRebuild() {
		if m.quiet == nil {
			m.quiet = time.AfterFunc(MirrorQuiet, m.quietRebuild)
		} else {
			m.quiet.Reset(MirrorQuiet)
		}
		return
	}
	m.startRebuildLocked(ix)
}

func (m *Mirror) startRebuildLocked(ix *Index) {
	m.rebuilding = true
	vs := slices.Clone(m.vs)
	since := ix.Seq()
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		nb := New(vs, since)
		m.wmu.Lock()
		defer m.wmu.Unlock()
		m.mu.Lock()
		m.ix = m.ix.Rebased(nb)
		m.mu.Unlock()
		m.rebuilding = false
		m.maybeRebuildLocked() // what came meanwhile
	}()
}

func (m *Mirror) quietRebuild() {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.rebuilding || m.closed {
		return
	}
	m.mu.RLock()
	ix := m.ix
	m.mu.RUnlock()
	if ix.DeltaLen() > 0 {
		m.startRebuildLocked(ix)
	}
}

// Wait returns once a change numbered after `after` was applied (at once
// if one already was), with the number applied; ctx's error or ErrClosed
// otherwise.
func (m *Mirror) Wait(ctx context.Context, after uint64) (uint64, error) {
	for {
		m.mu.RLock()
		seq, ch, closed := m.seq, m.changed, m.closed
		m.mu.RUnlock()
		if closed {
			return seq, ErrClosed
		}
		if seq > after {
			return seq, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return seq, ctx.Err()
		}
	}
}

// Close stops the background rebuilds and wakes every Wait.
func (m *Mirror) Close() {
	m.wmu.Lock()
	if m.quiet != nil {
		m.quiet.Stop()
	}
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.changed)
		m.changed = make(chan struct{})
	}
	m.mu.Unlock()
	m.wmu.Unlock()
	m.bg.Wait()
}

// Lookup returns the versions active at t covering p, strictest first
// (ties by ascending ID), as deep copies.
func (m *Mirror) Lookup(p orb.Point, at time.Time) []zones.Zone {
	var buf [16]int32
	var hbuf [16]Hit
	m.mu.RLock()
	defer m.mu.RUnlock()
	hits := m.ix.LookupInto(hbuf[:0], buf[:0], p, at)
	out := make([]zones.Zone, len(hits))
	for i, h := range hits {
		out[i] = cloneZone(m.ix.Zone(h))
	}
	return out
}

// lookupChunk is how many points of a batch are answered per hold of the
// read lock.
const lookupChunk = 1024

// LookupBatch is Lookup for many points: result i belongs to ps[i] (empty,
// not nil, when no zone covers it). Zones found several times share one
// deep copy per call (treat results as read-only). Points are answered in
// chunks of 1,024, each under one hold of the read lock; ctx is checked
// between chunks.
func (m *Mirror) LookupBatch(ctx context.Context, ps []orb.Point, at time.Time) ([][]zones.Zone, error) {
	out := make([][]zones.Zone, len(ps))
	copies := map[*Index]map[Hit]zones.Zone{}
	var buf [16]int32
	var hbuf [16]Hit
	var backing []zones.Zone
	for start := 0; start < len(ps); start += lookupChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(len(ps), start+lookupChunk)
		m.mu.RLock()
		ix := m.ix
		cp := copies[ix]
		if cp == nil {
			cp = map[Hit]zones.Zone{}
			copies[ix] = cp
		}
		for i := start; i < end; i++ {
			hits := ix.LookupInto(hbuf[:0], buf[:0], ps[i], at)
			if len(hits) == 0 {
				out[i] = []zones.Zone{}
				continue
			}
			if cap(backing)-len(backing) < len(hits) {
				backing = make([]zones.Zone, 0, max(256, len(hits)))
			}
			first := len(backing)
			for _, h := range hits {
				z, ok := cp[h]
				if !ok {
					z = cloneZone(ix.Zone(h))
					cp[h] = z
				}
				backing = append(backing, z)
			}
			out[i] = backing[first:len(backing):len(backing)]
		}
		m.mu.RUnlock()
	}
	return out, nil
}

func cloneZone(z zones.Zone) zones.Zone {
	if z.Geometry != nil {
		z.Geometry = z.Geometry.Clone()
	}
	if z.EffectiveUntil != nil {
		u := *z.EffectiveUntil
		z.EffectiveUntil = &u
	}
	return z
}
