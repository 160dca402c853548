// Package live is the zone look-up index that both stores keep in memory:
// every version of every zone, answerable at any time, while writes go on.
// data/memstore keeps one over its own version lists; data/postgis keeps
// one (a Mirror) over the database's, fed by the store's change stream.
package live

import (
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// Index answers look-ups over every zone version without rebuilding the
// whole zones.Index per write: an immutable base index built over the
// versions at some point, minus the base items that a later write
// superseded (dead), plus a small delta of the versions put since (their
// current values), found through a coarse hash grid. When the delta passes
// a threshold (WantsRebuild), its owner builds a new base in the
// background (New over a copy of the version lists) and swaps in
// Rebased(new base), which carries over the delta entries put after the
// copy.
//
// An Index is not safe for concurrent writes: its owner changes it (Put,
// Rebased) under a write lock and reads it (LookupInto, Zone) under a read
// lock.
type Index struct {
	base    *zones.Index
	baseOff []int32 // base item of version v of zone id: baseOff[id-1] + v - 1; len = zones + 1

	dead  map[int32]struct{} // base items superseded
	delta []deltaEntry
	pos   map[verKey]int32     // live delta entry of a version
	grid  map[[2]int32][]int32 // delta entries by grid cell
	big   []int32              // delta entries spanning more than maxDeltaCells cells
	live  int                  // delta entries not replaced
	seq   uint64               // versions put so far
	since uint64               // seq when the base's copy was taken
}

type verKey struct {
	id  int64
	ver int
}

type deltaEntry struct {
	z           zones.Zone
	bound       orb.Bound // padded by the boundary tolerance
	from, until int64     // unix nanos as in zones.Index
	rank        int
	seq         uint64
	replaced    bool
}

const (
	deltaCell     = 0.01 // degrees (about 1 km)
	maxDeltaCells = 64
)

// A rebuild of the base is wanted when the delta holds RebuildAt entries
// or one per RebuildPer versions in the base, whichever is more, so that
// the rebuild's cost, O(versions), spreads over a number of writes that
// grows with it (a constant cost per write) while the delta stays a small
// fraction of the base. Variables for tests.
var (
	RebuildAt  = 16
	RebuildPer = 32
)

func (ix *Index) threshold() int { return max(RebuildAt, ix.base.Len()/RebuildPer) }

// WantsRebuild reports whether the delta is past the threshold.
func (ix *Index) WantsRebuild() bool { return len(ix.delta) >= ix.threshold() }

// DeltaLen is the number of delta entries (replaced ones included).
func (ix *Index) DeltaLen() int { return len(ix.delta) }

// Seq is the number of versions put so far (Put calls, counting those
// before the base's copy as given to New).
func (ix *Index) Seq() uint64 { return ix.seq }

// New builds the base over every version of vs: vs[i] lists the versions
// of zone i+1, oldest first, vs[i][k] being version k+1 (an empty list
// for an id without zone). seq is the number of versions put before the
// copy (the Seq of the index it will replace, when the copy was taken).
func New(vs [][]zones.Zone, seq uint64) *Index {
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	flat := make([]zones.Zone, 0, n)
	off := make([]int32, len(vs)+1)
	for i, v := range vs {
		off[i] = int32(len(flat))
		flat = append(flat, v...)
	}
	off[len(vs)] = int32(len(flat))
	ix := &Index{base: zones.NewIndex(flat), baseOff: off, seq: seq, since: seq}
	// Sized for the delta expected before the next rebuild, here, outside
	// the owner's locks, so that a write rarely grows them while it holds
	// the readers' lock.
	c := 2 * ix.threshold()
	ix.delta = make([]deltaEntry, 0, c)
	ix.pos = make(map[verKey]int32, c)
	ix.grid = make(map[[2]int32][]int32, c)
	ix.dead = make(map[int32]struct{}, c)
	return ix
}

// Base is the immutable base index (for benchmarks of the bare index).
func (ix *Index) Base() *zones.Index { return ix.base }

// baseItem returns the base item of version ver of zone id, if the base
// holds it.
func (ix *Index) baseItem(id int64, ver int) (int32, bool) {
	if id < 1 || id >= int64(len(ix.baseOff)) {
		return 0, false
	}
	first, next := ix.baseOff[id-1], ix.baseOff[id]
	if ver < 1 || int32(ver) > next-first {
		return 0, false
	}
	return first + int32(ver) - 1, true
}

// Put records that version z (z.ID, z.Version) now has this value. The
// index keeps z (its geometry shared: do not modify it afterwards).
func (ix *Index) Put(z zones.Zone) {
	ix.seq++
	ix.add(z, ix.seq)
}

func (ix *Index) add(z zones.Zone, seq uint64) {
	k := verKey{z.ID, z.Version}
	if it, ok := ix.baseItem(z.ID, z.Version); ok {
		if ix.dead == nil {
			ix.dead = map[int32]struct{}{}
		}
		ix.dead[it] = struct{}{}
	}
	if ix.pos == nil {
		ix.pos = map[verKey]int32{}
		ix.grid = map[[2]int32][]int32{}
	}
	if p, ok := ix.pos[k]; ok {
		ix.delta[p].replaced = true
		ix.live--
	}
	e := deltaEntry{z: z, from: satNanos(z.EffectiveFrom), until: math.MaxInt64, rank: z.Kind.Rank(), seq: seq}
	if z.EffectiveUntil != nil {
		e.until = satNanos(*z.EffectiveUntil)
	}
	b := z.Geometry.Bound()
	const eps = zones.BoundaryTolerance
	e.bound = orb.Bound{Min: orb.Point{b.Min[0] - eps, b.Min[1] - eps}, Max: orb.Point{b.Max[0] + eps, b.Max[1] + eps}}
	p := int32(len(ix.delta))
	ix.delta = append(ix.delta, e)
	ix.pos[k] = p
	ix.live++
	if len(z.Geometry) == 0 { // never found (as in zones.Index)
		return
	}
	x0, y0 := cellOf(e.bound.Min)
	x1, y1 := cellOf(e.bound.Max)
	if int64(x1-x0+1)*int64(y1-y0+1) > maxDeltaCells {
		ix.big = append(ix.big, p)
		return
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			c := [2]int32{x, y}
			ix.grid[c] = append(ix.grid[c], p)
		}
	}
}

func cellOf(p orb.Point) (int32, int32) {
	return int32(math.Floor(p[0] / deltaCell)), int32(math.Floor(p[1] / deltaCell))
}

// satNanos is zones.Index's time key: Unix nanoseconds, saturated.
func satNanos(t time.Time) int64 {
	s := t.Unix()
	if s >= math.MaxInt64/1_000_000_000-1 {
		return math.MaxInt64
	}
	if s <= math.MinInt64/1_000_000_000+1 {
		return math.MinInt64
	}
	return t.UnixNano()
}

// Hit is one look-up result: a base item or a delta entry. Hits are
// comparable and name a version of one Index only.
type Hit struct {
	item  int32
	delta int32 // < 0: base item
}

// LookupInto appends to dst[:0] the versions active at t covering p,
// strictest first (rank descending, then ID ascending), as hits; buf is
// scratch for the base. It allocates nothing when dst and buf have room.
func (ix *Index) LookupInto(dst []Hit, buf []int32, p orb.Point, at time.Time) []Hit {
	dst = dst[:0]
	for _, it := range ix.base.LookupInto(buf, p, at) {
		if _, gone := ix.dead[it]; gone {
			continue
		}
		dst = append(dst, Hit{item: it, delta: -1})
	}
	if ix.live == 0 {
		return dst
	}
	nBase := len(dst)
	t := satNanos(at)
	try := func(d int32) {
		e := &ix.delta[d]
		if e.replaced || t < e.from || t >= e.until || !e.bound.Contains(p) {
			return
		}
		if zones.MultiPolygonCovers(e.z.Geometry, p) {
			dst = append(dst, Hit{delta: d})
		}
	}
	if !(p[0] >= -1e6 && p[0] <= 1e6 && p[1] >= -1e6 && p[1] <= 1e6) { // NaN or absurd: no cell
		return dst
	}
	x, y := cellOf(p)
	for _, d := range ix.grid[[2]int32{x, y}] {
		try(d)
	}
	for _, d := range ix.big {
		try(d)
	}
	if len(dst) == nBase {
		return dst
	}
	slices.SortFunc(dst, func(a, b Hit) int {
		ra, ida := ix.rankID(a)
		rb, idb := ix.rankID(b)
		if ra != rb {
			return rb - ra
		}
		switch {
		case ida < idb:
			return -1
		case ida > idb:
			return 1
		}
		return 0
	})
	return dst
}

// Zone returns the version of h (geometry shared: do not modify).
func (ix *Index) Zone(h Hit) zones.Zone {
	if h.delta >= 0 {
		return ix.delta[h.delta].z
	}
	return ix.base.Zone(h.item)
}

// Rebased returns a new index over base (built by New from the copy taken
// when ix.Seq() was base's seq), carrying over the delta entries put after
// the copy. base is changed and returned; ix is left as it was.
func (ix *Index) Rebased(base *Index) *Index {
	base.seq = ix.seq
	for _, e := range ix.delta {
		if !e.replaced && e.seq > base.since {
			base.add(e.z, e.seq)
		}
	}
	return base
}

func (ix *Index) rankID(h Hit) (int, int64) {
	if h.delta >= 0 {
		e := &ix.delta[h.delta]
		return e.rank, e.z.ID
	}
	z := ix.base.Zone(h.item)
	return z.Kind.Rank(), z.ID
}
