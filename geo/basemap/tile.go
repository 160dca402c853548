package basemap

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// Zoom range of the tiles; clients overzoom past MaxZoom.
const (
	MinZoom = 12
	MaxZoom = 18
)

// Geometry constants in tile units (extent 4096).
const (
	extent = mvt.DefaultExtent
	// buffer around the tile kept when clipping, so that lines and polygon
	// edges do not show seams: 128 units = 1/32 of the tile.
	buffer = 128
	// tolerance of the Douglas-Peucker simplification: about 1/8 of a pixel
	// of a 512 px tile, so a constant in tile units and per zoom coarser in metres.
	tolerance = 1.0
	// lines shorter than this and polygons smaller than areaLimit (tile
	// units) are dropped after clipping and simplification.
	lineLimit = 4.0
	areaLimit = 32.0
)

// ErrOutOfRange is returned by Tile for a tile outside MinZoom..MaxZoom or
// outside the zoom's x/y range.
var ErrOutOfRange = errors.New("basemap: tile out of range")

// Tiler cuts MVT tiles from a Basemap on demand and keeps the most recently
// used ones, gzip-compressed, in a cache bounded in bytes. It is safe for
// concurrent use.
type Tiler struct {
	b        *Basemap
	maxBytes int

	mu    sync.Mutex
	lru   *list.List // of *entry, front = most recent
	byKey map[maptile.Tile]*list.Element
	bytes int
	stats Stats
}

type entry struct {
	t  maptile.Tile
	gz []byte // nil for an empty tile
}

// Stats are the cache's counters.
type Stats struct {
	Hits, Misses int64
	Entries      int
	Bytes        int
}

// DefaultCacheBytes is the cache bound of NewTiler when maxBytes <= 0.
const DefaultCacheBytes = 64 << 20

// NewTiler returns a Tiler over b whose cache holds at most maxBytes of
// compressed tiles (DefaultCacheBytes when maxBytes <= 0).
func NewTiler(b *Basemap, maxBytes int) *Tiler {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Tiler{b: b, maxBytes: maxBytes, lru: list.New(), byKey: map[maptile.Tile]*list.Element{}}
}

// Basemap returns the tiler's data.
func (t *Tiler) Basemap() *Basemap { return t.b }

// Stats returns the cache counters.
func (t *Tiler) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Entries, s.Bytes = t.lru.Len(), t.bytes
	return s
}

// CheckTile reports whether the tile is one the Tiler serves.
func CheckTile(tl maptile.Tile) error {
	if tl.Z < MinZoom || tl.Z > MaxZoom {
		return fmt.Errorf("%w: zoom %d is outside %d..%d", ErrOutOfRange, tl.Z, MinZoom, MaxZoom)
	}
	if n := uint32(1) << tl.Z; tl.X >= n || tl.Y >= n {
		return fmt.Errorf("%w: x and y must be below %d at zoom %d", ErrOutOfRange, n, tl.Z)
	}
	return nil
}

// Tile returns the tile's MVT, gzip-compressed; nil (and no error) when the
// tile holds no feature.
func (t *Tiler) Tile(tl maptile.Tile) ([]byte, error) {
	if err := CheckTile(tl); err != nil {
		return nil, err
	}
	t.mu.Lock()
	if e, ok := t.byKey[tl]; ok {
		t.lru.MoveToFront(e)
		t.stats.Hits++
		gz := e.Value.(*entry).gz
		t.mu.Unlock()
		return gz, nil
	}
	t.stats.Misses++
	t.mu.Unlock()

	gz, err := t.Cut(tl)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byKey[tl]; !ok && len(gz) <= t.maxBytes {
		t.byKey[tl] = t.lru.PushFront(&entry{t: tl, gz: gz})
		t.bytes += entrySize(gz)
		for t.bytes > t.maxBytes {
			last := t.lru.Back()
			e := last.Value.(*entry)
			t.lru.Remove(last)
			delete(t.byKey, e.t)
			t.bytes -= entrySize(e.gz)
		}
	}
	return gz, nil
}

// entrySize counts the bytes plus a fixed overhead so that empty tiles are
// bounded too.
func entrySize(gz []byte) int { return len(gz) + 64 }

// Layers returns the tile's layers, projected to tile coordinates, clipped
// with the buffer, simplified and without features too small to see.
func (t *Tiler) Layers(tl maptile.Tile) mvt.Layers {
	bound := tl.Bound()
	// The clip buffer in degrees, to pick features whose bound reaches it.
	dx := (bound.Max[0] - bound.Min[0]) * buffer / extent
	dy := (bound.Max[1] - bound.Min[1]) * buffer / extent
	pick := orb.Bound{Min: orb.Point{bound.Min[0] - dx, bound.Min[1] - dy}, Max: orb.Point{bound.Max[0] + dx, bound.Max[1] + dy}}
	z := int(tl.Z)
	var layers mvt.Layers
	for _, name := range LayerNames {
		fc := geojson.NewFeatureCollection()
		for i := range t.b.Layers[name] {
			f := &t.b.Layers[name][i]
			if f.MinZoom > z || !f.Bound.Intersects(pick) {
				continue
			}
			gf := geojson.NewFeature(orb.Clone(f.Geometry))
			gf.Properties = maps.Clone(f.Props)
			fc.Append(gf)
		}
		if len(fc.Features) == 0 {
			continue
		}
		l := mvt.NewLayer(name, fc)
		l.ProjectToTile(tl)
		l.Clip(orb.Bound{Min: orb.Point{-buffer, -buffer}, Max: orb.Point{extent + buffer, extent + buffer}})
		l.Simplify(simplify.DouglasPeucker(tolerance))
		l.RemoveEmpty(lineLimit, areaLimit)
		if len(l.Features) > 0 {
			layers = append(layers, l)
		}
	}
	return layers
}

// Cut cuts the tile without the cache: gzip-compressed MVT, nil when empty.
func (t *Tiler) Cut(tl maptile.Tile) ([]byte, error) {
	layers := t.Layers(tl)
	if len(layers) == 0 {
		return nil, nil
	}
	raw, err := mvt.Marshal(layers)
	if err != nil {
		return nil, fmt.Errorf("basemap: encode tile %d/%d/%d: %w", tl.Z, tl.X, tl.Y, err)
	}
	var buf bytes.Buffer
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipPool keeps compressors: a new one allocates about 800 KB.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	return zw
}}

// Gunzip undoes the compression of a tile, for clients that do not accept gzip.
func Gunzip(gz []byte) ([]byte, error) {
	if len(gz) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
