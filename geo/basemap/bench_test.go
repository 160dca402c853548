package basemap_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"lifeline/data/chengdu"
	"lifeline/geo/basemap"
)

// dense is a busy spot of the Chengdu extract (north of Tianfu Square).
var dense = orb.Point{104.0665, 30.6640}

func chengduTiler(b *testing.B) *basemap.Tiler {
	bm, err := chengdu.Basemap()
	if err != nil {
		b.Fatal(err)
	}
	return basemap.NewTiler(bm, 0)
}

// benchCut cuts (without the cache) the 3x3 tiles around dense at zoom z,
// one per iteration in turn.
func benchCut(b *testing.B, z maptile.Zoom) {
	tr := chengduTiler(b)
	c := maptile.At(dense, z)
	var tiles []maptile.Tile
	for dx := -1; dx <= 1; dx++ {
		for dy := -1; dy <= 1; dy++ {
			tiles = append(tiles, maptile.New(uint32(int(c.X)+dx), uint32(int(c.Y)+dy), z))
		}
	}
	b.ResetTimer()
	bytes := 0
	for i := 0; i < b.N; i++ {
		gz, err := tr.Cut(tiles[i%len(tiles)])
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(gz)
	}
	b.ReportMetric(float64(bytes)/float64(b.N), "gzbytes/tile")
}

func BenchmarkCutTileZ12(b *testing.B) { benchCut(b, 12) }
func BenchmarkCutTileZ14(b *testing.B) { benchCut(b, 14) }
func BenchmarkCutTileZ16(b *testing.B) { benchCut(b, 16) }
func BenchmarkCutTileZ18(b *testing.B) { benchCut(b, 18) }

// BenchmarkCachedTile is a cache hit.
func BenchmarkCachedTile(b *testing.B) {
	tr := chengduTiler(b)
	tl := maptile.At(dense, 16)
	if _, err := tr.Tile(tl); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Tile(tl); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadBasemap is the start-up build: parse the decompressed extract
// into the basemap layers. It reports the heap the layers keep.
func BenchmarkReadBasemap(b *testing.B) {
	osm, err := chengdu.OSM()
	if err != nil {
		b.Fatal(err)
	}
	var kept uint64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		bm, err := basemap.Read(bytes.NewReader(osm))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		kept = m1.HeapAlloc - m0.HeapAlloc
		runtime.KeepAlive(bm)
	}
	b.ReportMetric(float64(kept)/(1<<20), "MiB-kept")
}

// BenchmarkCutAllZ12to16 cuts every tile over the extract's bounds from z12
// to z16 (what a pre-cut at start would cost), reporting tiles and bytes.
func BenchmarkCutAllZ12to16(b *testing.B) {
	tr := chengduTiler(b)
	bm := tr.Basemap()
	var n, total int
	for i := 0; i < b.N; i++ {
		n, total = 0, 0
		for z := maptile.Zoom(12); z <= 16; z++ {
			lo, hi := maptile.At(orb.Point{bm.Bounds.Min[0], bm.Bounds.Max[1]}, z), maptile.At(orb.Point{bm.Bounds.Max[0], bm.Bounds.Min[1]}, z)
			for x := lo.X; x <= hi.X; x++ {
				for y := lo.Y; y <= hi.Y; y++ {
					gz, err := tr.Cut(maptile.New(x, y, z))
					if err != nil {
						b.Fatal(err)
					}
					n++
					total += len(gz)
				}
			}
		}
	}
	b.ReportMetric(float64(n), "tiles")
	b.ReportMetric(float64(total)/(1<<20), "MiB-gz")
}
