// Package matrix computes travel time and distance tables for sets of
// points and caches them by point set, profile and zone-map version, so
// that solvers asking again for the same stops (re-optimisation, what-if
// runs) do not recompute. Points are [lon, lat]; times in seconds,
// distances in metres, routing.Unreachable for no path.
package matrix

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"
	"sync"

	"lifeline/routing"

	"github.com/paulmach/orb"
)

// ErrTooLarge is returned for a table above Cache.MaxCells cells.
var ErrTooLarge = errors.New("matrix: table too large")

// Source computes tables; *network.Network satisfies it through its
// Table method. Version identifies the zone-map state: a table computed at
// one version is never served at another.
type Source interface {
	Table(ctx context.Context, sources, targets []orb.Point) (time, dist routing.Matrix, err error)
	Version() uint64
}

// Cache is a least-recently-used cache of tables in front of a Source,
// bounded by the total number of cells it holds. Concurrent requests for
// the same key compute once. Safe for concurrent use.
type Cache struct {
	src      Source
	maxCells int // total cells kept (each costs 16 bytes)
	// MaxCells caps one table (default 4,000,000 cells: 2,000 x 2,000).
	MaxCells int

	mu      sync.Mutex
	lru     *list.List // of *entry, front = most recent
	byKey   map[key]*list.Element
	cells   int
	pending map[key]*call
	hits    uint64
	misses  uint64
}

type key struct {
	sum     uint64
	version uint64
	rows    int
	cols    int
}

type entry struct {
	k          key
	sources    []orb.Point
	targets    []orb.Point
	time, dist routing.Matrix
}

type call struct {
	done       chan struct{}
	time, dist routing.Matrix
	err        error
}

// NewCache returns a cache over src keeping at most maxCells cells in
// total (<= 0: 16,000,000, about 256 MiB).
func NewCache(src Source, maxCells int) *Cache {
	if maxCells <= 0 {
		maxCells = 16_000_000
	}
	return &Cache{src: src, maxCells: maxCells, MaxCells: 4_000_000, lru: list.New(),
		byKey: map[key]*list.Element{}, pending: map[key]*call{}}
}

func hashPoints(ps ...[]orb.Point) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, s := range ps {
		binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		for _, p := range s {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(p[0]))
			h.Write(b[:])
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(p[1]))
			h.Write(b[:])
		}
	}
	return h.Sum64()
}

func samePoints(a, b []orb.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Compute returns the tables from sources to targets at the source's
// current version, from the cache when present. The returned matrices are
// shared: callers must not modify them. Errors: ErrTooLarge, the Source's
// errors (routing.ErrTooFar for a point off the network), ctx.Err().
func (c *Cache) Compute(ctx context.Context, sources, targets []orb.Point) (time, dist routing.Matrix, err error) {
	if len(sources)*len(targets) > c.MaxCells {
		return time, dist, ErrTooLarge
	}
	k := key{hashPoints(sources, targets), c.src.Version(), len(sources), len(targets)}
	c.mu.Lock()
	if el, ok := c.byKey[k]; ok {
		e := el.Value.(*entry)
		if samePoints(e.sources, sources) && samePoints(e.targets, targets) {
			c.lru.MoveToFront(el)
			c.hits++
			c.mu.Unlock()
			return e.time, e.dist, nil
		}
	}
	if p, ok := c.pending[k]; ok {
		c.mu.Unlock()
		select {
		case <-p.done:
			if p.err == nil {
				return p.time, p.dist, nil
			}
			// the leader failed (perhaps its context); compute ourselves
			return c.src.Table(ctx, sources, targets)
		case <-ctx.Done():
			return time, dist, ctx.Err()
		}
	}
	p := &call{done: make(chan struct{})}
	c.pending[k] = p
	c.misses++
	c.mu.Unlock()

	p.time, p.dist, p.err = c.src.Table(ctx, sources, targets)
	c.mu.Lock()
	delete(c.pending, k)
	if p.err == nil && c.src.Version() == k.version {
		c.add(&entry{k: k, sources: append([]orb.Point(nil), sources...), targets: append([]orb.Point(nil), targets...), time: p.time, dist: p.dist})
	}
	c.mu.Unlock()
	close(p.done)
	return p.time, p.dist, p.err
}

func (c *Cache) add(e *entry) {
	if old, ok := c.byKey[e.k]; ok {
		c.remove(old)
	}
	n := e.k.rows * e.k.cols
	for c.cells+n > c.maxCells && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	if n > c.maxCells {
		return
	}
	c.byKey[e.k] = c.lru.PushFront(e)
	c.cells += n
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.lru.Remove(el)
	delete(c.byKey, e.k)
	c.cells -= e.k.rows * e.k.cols
}

// Stats returns the cache hits, misses and cells held.
func (c *Cache) Stats() (hits, misses uint64, cells int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.cells
}
