package zones

import (
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
)

// Index is an immutable spatial index over a set of multipolygons (zones, or
// any shapes) answering "which of them cover point p". It is safe for
// concurrent use by any number of goroutines.
//
// Structure: every polygon (part) is split into horizontal bands, each
// listing the edges that reach it, so an exact point-in-polygon test reads
// only the edges of one band. A uniform grid over all parts lists, for every
// cell, the parts whose bounds reach it, flagged "full" when the cell lies
// wholly inside the part (no exact test needed). A point on a boundary
// (within BoundaryTolerance degrees) counts as inside.
//
// Build cost is O(E + C) for E edges and C (cell, part) entries, which the
// builder keeps below about 4 million by coarsening the grid; a look-up costs
// O(k + e) for k parts listed in the point's cell and e edges in the bands
// tested, and allocates nothing with LookupInto / CoversInto.
type Index struct {
	// per item (zone or shape)
	ids   []int64
	ranks []int8
	from  []int64 // unix nanos, saturated
	until []int64 // unix nanos, saturated; math.MaxInt64 when open
	zones []Zone  // nil for shape indexes

	// per part (polygon)
	partItem   []int32
	partMinY   []float64
	partInvH   []float64 // bands per degree
	partNB     []int32
	partBand0  []int32 // first band of the part in bandStart
	bandStart  []int32 // CSR offsets into bandEdges, len = total bands + 1
	bandEdges  []edge
	totalEdges int

	// grid
	minX, minY, maxX, maxY float64
	invW, invH             float64 // cells per degree
	nx, ny                 int32
	cellStart              []int32 // CSR offsets into cellEnt, len = nx*ny + 1
	cellEnt                []int32 // part<<1 | 1 if the cell is wholly inside the part
}

type edge struct{ ax, ay, bx, by float64 }

const (
	maxGridEntries = 4 << 20
	maxBandCopies  = 8
)

// NewIndex builds an index over zones. The index keeps a copy of each Zone
// value; their geometries are shared and must not be modified afterwards.
// Zones with empty geometry are kept but never found. The result's item i is
// zs[i].
func NewIndex(zs []Zone) *Index {
	ix := &Index{
		ids:   make([]int64, len(zs)),
		ranks: make([]int8, len(zs)),
		from:  make([]int64, len(zs)),
		until: make([]int64, len(zs)),
		zones: slices.Clone(zs),
	}
	mps := make([]orb.MultiPolygon, len(zs))
	for i := range zs {
		z := &zs[i]
		ix.ids[i] = z.ID
		ix.ranks[i] = int8(z.Kind.Rank())
		ix.from[i] = satNanos(z.EffectiveFrom)
		ix.until[i] = math.MaxInt64
		if z.EffectiveUntil != nil {
			ix.until[i] = satNanos(*z.EffectiveUntil)
		}
		mps[i] = z.Geometry
	}
	ix.build(mps)
	return ix
}

// NewShapeIndex builds an index over plain multipolygons, always active,
// with id = position and rank 0. Use CoversInto to query it.
func NewShapeIndex(mps []orb.MultiPolygon) *Index {
	ix := &Index{
		ids:   make([]int64, len(mps)),
		ranks: make([]int8, len(mps)),
		from:  make([]int64, len(mps)),
		until: make([]int64, len(mps)),
	}
	for i := range mps {
		ix.ids[i] = int64(i)
		ix.from[i] = math.MinInt64
		ix.until[i] = math.MaxInt64
	}
	ix.build(mps)
	return ix
}

// satNanos converts t to Unix nanoseconds, saturating outside the years
// 1678-2262 that int64 nanoseconds can hold.
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

// Len returns the number of items (zones or shapes) indexed.
func (ix *Index) Len() int { return len(ix.ids) }

// Zone returns item i of an index built by NewIndex. Its geometry is shared
// with the index: do not modify it.
func (ix *Index) Zone(i int32) Zone { return ix.zones[i] }

// partInfo is one polygon of one item, as the builder sees it.
type partInfo struct {
	item  int32
	poly  orb.Polygon
	bound orb.Bound
}

// cellEntry is one (grid cell, part entry) pair before the CSR packing.
type cellEntry struct{ cell, ent int32 }

// build fills the index over mps in four steps: list the polygons (parts),
// cut each part into horizontal bands of edges, size the grid, and list
// for every cell the parts that reach it.
func (ix *Index) build(mps []orb.MultiPolygon) {
	parts := collectParts(mps)
	ix.buildBands(parts)
	if len(parts) == 0 {
		ix.nx, ix.ny = 0, 0
		ix.cellStart = []int32{0}
		return
	}
	ix.sizeGrid(parts)
	ix.fillGrid(parts)
}

// collectParts lists the polygons of every item that have a shell of at
// least four positions.
func collectParts(mps []orb.MultiPolygon) []partInfo {
	var parts []partInfo
	for i, mp := range mps {
		for _, poly := range mp {
			if len(poly) == 0 || len(poly[0]) < 4 {
				continue
			}
			parts = append(parts, partInfo{item: int32(i), poly: poly, bound: poly.Bound()})
		}
	}
	return parts
}

// forEachEdge calls fn for every edge of every ring of poly.
func forEachEdge(poly orb.Polygon, fn func(a, b orb.Point)) {
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			fn(r[i], r[i+1])
		}
	}
}

// buildBands chooses the band count of every part (chooseBands) and packs
// the edges of all bands into one CSR array (bandStart, bandEdges).
func (ix *Index) buildBands(parts []partInfo) {
	np := len(parts)
	ix.partItem = make([]int32, np)
	ix.partMinY = make([]float64, np)
	ix.partInvH = make([]float64, np)
	ix.partNB = make([]int32, np)
	ix.partBand0 = make([]int32, np)
	totalBands := 0
	for k := range parts {
		minY, invH, nb, ne := chooseBands(&parts[k])
		ix.totalEdges += ne
		ix.partItem[k] = parts[k].item
		ix.partMinY[k] = minY
		ix.partInvH[k] = invH
		ix.partNB[k] = int32(nb)
		ix.partBand0[k] = int32(totalBands)
		totalBands += nb
	}
	// Count the edges of each band, turn the counts into offsets, fill.
	ix.bandStart = make([]int32, totalBands+1)
	for k := range parts {
		ix.partBands(k, parts[k].poly, func(g int, _, _ orb.Point) { ix.bandStart[g+1]++ })
	}
	for b := 1; b <= totalBands; b++ {
		ix.bandStart[b] += ix.bandStart[b-1]
	}
	ix.bandEdges = make([]edge, ix.bandStart[totalBands])
	fill := slices.Clone(ix.bandStart[:totalBands])
	for k := range parts {
		ix.partBands(k, parts[k].poly, func(g int, a, c orb.Point) {
			ix.bandEdges[fill[g]] = edge{a[0], a[1], c[0], c[1]}
			fill[g]++
		})
	}
}

// partBands calls fn(global band, a, b) for every band each edge of part k
// reaches.
func (ix *Index) partBands(k int, poly orb.Polygon, fn func(g int, a, b orb.Point)) {
	nb := int(ix.partNB[k])
	forEachEdge(poly, func(a, c orb.Point) {
		b0, b1 := bandRange(a[1], c[1], ix.partMinY[k], ix.partInvH[k], nb)
		for b := b0; b <= b1; b++ {
			fn(int(ix.partBand0[k])+b, a, c)
		}
	})
}

// chooseBands picks the number of bands of a part: about one per four
// edges (at most 1024), halved while edges spanning many bands would be
// copied more than maxBandCopies times on average. It returns the bands'
// origin, bands per degree, count, and the part's edge count.
func chooseBands(pt *partInfo) (minY, invH float64, nb, ne int) {
	const eps = BoundaryTolerance
	forEachEdge(pt.poly, func(_, _ orb.Point) { ne++ })
	minY, maxY := pt.bound.Min[1]-eps, pt.bound.Max[1]+eps
	nb = min(max(ne/4, 1), 1024)
	for {
		invH = float64(nb) / (maxY - minY)
		if nb == 1 {
			break
		}
		copies := 0
		forEachEdge(pt.poly, func(a, c orb.Point) {
			b0, b1 := bandRange(a[1], c[1], minY, invH, nb)
			copies += b1 - b0 + 1
		})
		if copies <= maxBandCopies*ne+nb {
			break
		}
		nb /= 2
	}
	return minY, invH, nb, ne
}

// sizeGrid spans the grid over all parts and picks its resolution: about
// four cells per edge (1024 to 2^18 cells), coarsened while the (cell,
// part) entries would exceed maxGridEntries.
func (ix *Index) sizeGrid(parts []partInfo) {
	const eps = BoundaryTolerance
	all := parts[0].bound
	for _, pt := range parts[1:] {
		all = all.Union(pt.bound)
	}
	ix.minX, ix.minY = all.Min[0]-eps, all.Min[1]-eps
	ix.maxX, ix.maxY = all.Max[0]+eps, all.Max[1]+eps
	w, h := ix.maxX-ix.minX, ix.maxY-ix.minY
	target := min(max(4*ix.totalEdges, 1024), 1<<18)
	for {
		nx := int32(max(1, min(4096, int(math.Round(math.Sqrt(float64(target)*w/h))))))
		ny := int32(max(1, min(4096, target/int(nx))))
		ix.nx, ix.ny = nx, ny
		ix.invW, ix.invH = float64(nx)/w, float64(ny)/h
		entries := 0
		for _, pt := range parts {
			x0, x1, y0, y1 := ix.cellRange(pt.bound)
			entries += int(x1-x0+1) * int(y1-y0+1)
		}
		if entries <= maxGridEntries || (nx == 1 && ny == 1) {
			break
		}
		target /= 2
	}
}

// cellRange is the range of cells a bound (widened by the tolerance) reaches.
func (ix *Index) cellRange(b orb.Bound) (x0, x1, y0, y1 int32) {
	const eps = BoundaryTolerance
	return ix.cellX(b.Min[0] - eps), ix.cellX(b.Max[0] + eps), ix.cellY(b.Min[1] - eps), ix.cellY(b.Max[1] + eps)
}

// fillGrid lists, for every cell, the parts that reach it: cells a part's
// boundary passes through (exact test needed) and cells wholly inside it
// (flagged "full"), packed into the CSR arrays cellStart and cellEnt.
func (ix *Index) fillGrid(parts []partInfo) {
	var ents []cellEntry
	var marks []bool
	for k := range parts {
		x0, x1, y0, y1 := ix.cellRange(parts[k].bound)
		bw := int(x1 - x0 + 1)
		n := bw * int(y1-y0+1)
		if cap(marks) < n {
			marks = make([]bool, n)
		}
		marks = marks[:n]
		clear(marks)
		ix.markBoundaryCells(parts[k].poly, marks, x0, x1, y0, bw)
		ents = ix.classifyCells(int32(k), marks, x0, x1, y0, y1, bw, ents)
	}
	ncell := int(ix.nx) * int(ix.ny)
	ix.cellStart = make([]int32, ncell+1)
	for _, e := range ents {
		ix.cellStart[e.cell+1]++
	}
	for c := 1; c <= ncell; c++ {
		ix.cellStart[c] += ix.cellStart[c-1]
	}
	ix.cellEnt = make([]int32, len(ents))
	pos := slices.Clone(ix.cellStart[:ncell])
	for _, e := range ents {
		ix.cellEnt[pos[e.cell]] = e.ent
		pos[e.cell]++
	}
}

// markBoundaryCells marks (in marks, the part's cell box x0..x1 by rows
// from y0, bw wide) every cell an edge of poly passes through, widened by
// the tolerance: row by row, the x-extent of the edge within the row.
func (ix *Index) markBoundaryCells(poly orb.Polygon, marks []bool, x0, x1, y0 int32, bw int) {
	const eps = BoundaryTolerance
	cellH := 1 / ix.invH
	forEachEdge(poly, func(a, c orb.Point) {
		if a[1] > c[1] {
			a, c = c, a
		}
		ry0, ry1 := ix.cellY(a[1]-eps), ix.cellY(c[1]+eps)
		for cy := ry0; cy <= ry1; cy++ {
			// The part of the edge within this row (widened by eps).
			lo := max(a[1], ix.minY+float64(cy)*cellH-eps)
			hi := min(c[1], ix.minY+float64(cy+1)*cellH+eps)
			var xa, xb float64
			if c[1] == a[1] || lo > hi {
				xa, xb = a[0], c[0]
			} else {
				xa = a[0] + (lo-a[1])*(c[0]-a[0])/(c[1]-a[1])
				xb = a[0] + (hi-a[1])*(c[0]-a[0])/(c[1]-a[1])
			}
			cx0, cx1 := ix.cellX(min(xa, xb)-eps), ix.cellX(max(xa, xb)+eps)
			cx0, cx1 = max(cx0, x0), min(cx1, x1)
			row := int(cy-y0) * bw
			for cx := cx0; cx <= cx1; cx++ {
				marks[row+int(cx-x0)] = true
			}
		}
	})
}

// classifyCells appends the grid entries of part k: marked cells need the
// exact test; unmarked cells lie wholly on one side, and all of a run of
// unmarked cells in a row on the same side, so one centre per run is
// tested with the part's bands and inside runs are entered as "full".
func (ix *Index) classifyCells(k int32, marks []bool, x0, x1, y0, y1 int32, bw int, ents []cellEntry) []cellEntry {
	for cy := y0; cy <= y1; cy++ {
		known, inside := false, false
		for cx := x0; cx <= x1; cx++ {
			cell := cy*ix.nx + cx
			if marks[int(cy-y0)*bw+int(cx-x0)] {
				ents = append(ents, cellEntry{cell, k << 1})
				known = false
				continue
			}
			if !known {
				center := orb.Point{ix.minX + (float64(cx)+0.5)/ix.invW, ix.minY + (float64(cy)+0.5)/ix.invH}
				inside, known = ix.partLocate(k, center) != locOut, true
			}
			if inside {
				ents = append(ents, cellEntry{cell, k<<1 | 1})
			}
		}
	}
	return ents
}

func bandRange(y0, y1, minY, invH float64, nb int) (int, int) {
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	return bandOf(y0-BoundaryTolerance, minY, invH, nb), bandOf(y1+BoundaryTolerance, minY, invH, nb)
}

func bandOf(y, minY, invH float64, nb int) int {
	b := int((y - minY) * invH)
	if b < 0 || y < minY {
		return 0
	}
	if b >= nb {
		return nb - 1
	}
	return b
}

func (ix *Index) cellX(x float64) int32 {
	c := int32((x - ix.minX) * ix.invW)
	if x < ix.minX || c < 0 {
		return 0
	}
	if c >= ix.nx {
		return ix.nx - 1
	}
	return c
}

func (ix *Index) cellY(y float64) int32 {
	c := int32((y - ix.minY) * ix.invH)
	if y < ix.minY || c < 0 {
		return 0
	}
	if c >= ix.ny {
		return ix.ny - 1
	}
	return c
}

// partCovers is the exact, boundary-inclusive test of part k against p,
// reading only the edges of p's band.
func (ix *Index) partCovers(k int32, p orb.Point) bool {
	b := int(ix.partBand0[k]) + bandOf(p[1], ix.partMinY[k], ix.partInvH[k], int(ix.partNB[k]))
	in := false
	x, y := p[0], p[1]
	const eps = BoundaryTolerance
	for _, e := range ix.bandEdges[ix.bandStart[b]:ix.bandStart[b+1]] {
		// Near the edge's box? Then test for "on the edge".
		if x >= min(e.ax, e.bx)-eps && x <= max(e.ax, e.bx)+eps && y >= min(e.ay, e.by)-eps && y <= max(e.ay, e.by)+eps {
			if onEdge(orb.Point{e.ax, e.ay}, orb.Point{e.bx, e.by}, p) {
				return true
			}
		}
		if (e.ay > y) != (e.by > y) && x < e.ax+(y-e.ay)*(e.bx-e.ax)/(e.by-e.ay) {
			in = !in
		}
	}
	return in
}

// partLocate classifies p against part k: in, out or on its boundary.
func (ix *Index) partLocate(k int32, p orb.Point) location {
	b := int(ix.partBand0[k]) + bandOf(p[1], ix.partMinY[k], ix.partInvH[k], int(ix.partNB[k]))
	in := false
	x, y := p[0], p[1]
	for _, e := range ix.bandEdges[ix.bandStart[b]:ix.bandStart[b+1]] {
		if onEdge(orb.Point{e.ax, e.ay}, orb.Point{e.bx, e.by}, p) {
			return locOn
		}
		if (e.ay > y) != (e.by > y) && x < e.ax+(y-e.ay)*(e.bx-e.ax)/(e.by-e.ay) {
			in = !in
		}
	}
	if in {
		return locIn
	}
	return locOut
}

// candidates returns the grid entries of p's cell, or nil outside the grid.
func (ix *Index) candidates(p orb.Point) []int32 {
	x, y := p[0], p[1]
	if !(x >= ix.minX && x <= ix.maxX && y >= ix.minY && y <= ix.maxY) { // also rejects NaN
		return nil
	}
	c := ix.cellY(y)*ix.nx + ix.cellX(x)
	return ix.cellEnt[ix.cellStart[c]:ix.cellStart[c+1]]
}

// LookupInto appends to dst[:0] the items (positions in the slice given to
// NewIndex) active at t whose geometry covers p, strictest first (Kind.Rank
// descending, then ID ascending), and returns it. With a dst of sufficient
// capacity it does not allocate. p is [lon, lat].
func (ix *Index) LookupInto(dst []int32, p orb.Point, at time.Time) []int32 {
	dst = dst[:0]
	t := satNanos(at)
	for _, e := range ix.candidates(p) {
		part := e >> 1
		item := ix.partItem[part]
		if t < ix.from[item] || t >= ix.until[item] {
			continue
		}
		if e&1 == 0 && !ix.partCovers(part, p) {
			continue
		}
		dst = append(dst, item)
	}
	return ix.sortDedup(dst)
}

// CoversInto appends to dst[:0] the items whose geometry covers p, ignoring
// validity windows, in ascending item order.
func (ix *Index) CoversInto(dst []int32, p orb.Point) []int32 {
	dst = dst[:0]
	for _, e := range ix.candidates(p) {
		part := e >> 1
		if e&1 == 0 && !ix.partCovers(part, p) {
			continue
		}
		dst = append(dst, ix.partItem[part])
	}
	// insertion sort + dedup by item
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j] < dst[j-1]; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dedup(dst)
}

// sortDedup orders items strictest first (rank desc, id asc, item asc) by
// insertion sort (result lists are short) and drops repeats of one item
// (a point on the shared border of two polygons of one multipolygon).
func (ix *Index) sortDedup(dst []int32) []int32 {
	less := func(a, b int32) bool {
		if ix.ranks[a] != ix.ranks[b] {
			return ix.ranks[a] > ix.ranks[b]
		}
		if ix.ids[a] != ix.ids[b] {
			return ix.ids[a] < ix.ids[b]
		}
		return a < b
	}
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && less(dst[j], dst[j-1]); j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dedup(dst)
}

func dedup(dst []int32) []int32 {
	if len(dst) < 2 {
		return dst
	}
	w := 1
	for i := 1; i < len(dst); i++ {
		if dst[i] != dst[w-1] {
			dst[w] = dst[i]
			w++
		}
	}
	return dst[:w]
}

// Lookup returns the zones active at t that cover p, strictest first. It
// allocates the result; geometries are shared with the index (read-only).
// It panics on an index built by NewShapeIndex.
func (ix *Index) Lookup(p orb.Point, at time.Time) []Zone {
	var buf [16]int32
	items := ix.LookupInto(buf[:0], p, at)
	out := make([]Zone, len(items))
	for i, it := range items {
		out[i] = ix.zones[it]
	}
	return out
}

// LinearLookupInto is the naive baseline of LookupInto: it tests every item
// with MultiPolygonCovers. Same results, O(total vertices) per call.
func (ix *Index) LinearLookupInto(dst []int32, p orb.Point, at time.Time) []int32 {
	dst = dst[:0]
	t := satNanos(at)
	for i := range ix.zones {
		if t < ix.from[i] || t >= ix.until[i] {
			continue
		}
		if MultiPolygonCovers(ix.zones[i].Geometry, p) {
			dst = append(dst, int32(i))
		}
	}
	return ix.sortDedup(dst)
}
