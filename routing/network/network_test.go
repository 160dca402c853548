package network

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
	"lifeline/routing/graph"
	"lifeline/routing/osm"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

var (
	monacoOnce sync.Once
	monaco     *Network
	monacoErr  error
)

func loadMonaco(t testing.TB) *Network {
	t.Helper()
	path := sdtest.Path(t, "geo/osm/monaco-2016-03.osm.pbf")
	monacoOnce.Do(func() {
		monaco, _, monacoErr = BuildFile(context.Background(), path, osm.Car, Options{})
	})
	if monacoErr != nil {
		t.Fatal(monacoErr)
	}
	// a fresh Network over the same graph and hierarchy, so that tests
	// setting zones do not interfere
	return New(monaco.g, monaco.base, Options{})
}

func square(c orb.Point, halfDeg float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{
		{c[0] - halfDeg, c[1] - halfDeg}, {c[0] + halfDeg, c[1] - halfDeg},
		{c[0] + halfDeg, c[1] + halfDeg}, {c[0] - halfDeg, c[1] + halfDeg}, {c[0] - halfDeg, c[1] - halfDeg},
	}}}
}

func randomPoint(g *graph.Graph, r *rand.Rand) orb.Point {
	v := graph.NodeID(r.IntN(g.NumNodes()))
	p := g.Point(v)
	return orb.Point{p[0] + (r.Float64()-0.5)*0.0008, p[1] + (r.Float64()-0.5)*0.0008}
}

// oracle computes the fastest time from a to b with a plain Dijkstra and
// an independently computed closure (point-in-polygon on every node).
func oracle(t *testing.T, n *Network, zs []orb.MultiPolygon, set, edgeSet []int32, s *graph.Search, a, b orb.Point) (graph.Weight, bool) {
	g := n.g
	sa, err := g.Snap(a, 500)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := g.Snap(b, 500)
	if err != nil {
		t.Fatal(err)
	}
	var c *graph.Closure
	if len(zs) > 0 {
		// one set per zone (zones in the tests do not overlap)
		c = &graph.Closure{Set: set, Open: make([]bool, len(zs)), EdgeSet: edgeSet}
		for i, z := range zs {
			c.Open[i] = planar.MultiPolygonContains(z, a) || planar.MultiPolygonContains(z, b)
		}
	}
	w, _, ok := s.ShortestPath(sa, sb, c)
	return w, ok
}

func TestRouteMatchesOracleWithZones(t *testing.T) {
	n := loadMonaco(t)
	g := n.g
	r := rand.New(rand.NewPCG(7, 0))
	var zs []orb.MultiPolygon
	for len(zs) < 3 {
		zs = append(zs, square(g.Point(graph.NodeID(r.IntN(g.NumNodes()))), 0.002))
	}
	for _, zoned := range []bool{false, true} {
		if zoned {
			v := n.SetSealedZones(zs)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := n.WaitVersion(ctx, v); err != nil {
				t.Fatal(err)
			}
			cancel()
			if n.Version() != v || len(n.SealedZones()) != 3 {
				t.Fatalf("version %d want %d", n.Version(), v)
			}
		}
		var active []orb.MultiPolygon
		var set, edgeSet []int32
		if zoned {
			active = zs
			set = make([]int32, g.NumNodes())
			for v := range set {
				set[v] = -1
				for i, z := range zs {
					if planar.MultiPolygonContains(z, g.Point(graph.NodeID(v))) {
						set[v] = int32(i)
					}
				}
			}
			edgeSet = make([]int32, g.NumEdges())
			for e := range edgeSet {
				edgeSet[e] = -1
				u, v := g.Tail[e], g.Head[e]
				for i, z := range zs {
					if set[u] != int32(i) && set[v] != int32(i) && segmentCrosses(g.Point(u), g.Point(v), z) {
						edgeSet[e] = int32(i)
					}
				}
			}
		}
		search := graph.NewSearch(g)
		var unreachable int
		pairs := 400
		if testing.Short() {
			pairs = 100
		}
		for i := 0; i < pairs; i++ {
			a, b := randomPoint(g, r), randomPoint(g, r)
			if zoned && i%4 == 0 {
				// origin inside a zone: it may leave it
				a = zs[i%3][0][0][0]
				a = orb.Point{a[0] + 0.002, a[1] + 0.002}
			}
			want, ok := oracle(t, n, active, set, edgeSet, search, a, b)
			rt, err := n.Route(context.Background(), a, b, RouteOptions{})
			if !ok {
				if !errors.Is(err, routing.ErrUnreachable) {
					t.Fatalf("pair %d: want unreachable, got %v", i, err)
				}
				unreachable++
				continue
			}
			if err != nil {
				t.Fatalf("pair %d: %v", i, err)
			}
			if math.Abs(rt.Time-float64(want)/1000) > 1e-9 {
				t.Fatalf("zoned=%v pair %d: route %.3f s, oracle %.3f s", zoned, i, rt.Time, float64(want)/1000)
			}
			if len(rt.Geometry) < 2 || rt.Polyline == "" || rt.Distance < 0 {
				t.Fatalf("pair %d: empty geometry", i)
			}
			dec, err := graph.DecodePolyline(rt.Polyline, 5)
			if err != nil || len(dec) != len(rt.Geometry) {
				t.Fatalf("polyline: %v", err)
			}
		}
		t.Logf("zoned=%v: %d routes, %d unreachable", zoned, pairs, unreachable)
	}
}

func TestMatrixEqualsRoute(t *testing.T) {
	n := loadMonaco(t)
	g := n.g
	r := rand.New(rand.NewPCG(8, 0))
	zs := []orb.MultiPolygon{square(g.Point(graph.NodeID(r.IntN(g.NumNodes()))), 0.003)}
	v := n.SetSealedZones(zs)
	if err := n.WaitVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	var src, dst []orb.Point
	for i := 0; i < 25; i++ {
		src = append(src, randomPoint(g, r))
		dst = append(dst, randomPoint(g, r))
	}
	// some points inside the zone
	c := zs[0][0][0][0]
	src[0] = orb.Point{c[0] + 0.003, c[1] + 0.003}
	dst[1] = orb.Point{c[0] + 0.0035, c[1] + 0.0025}
	tm, dm, snaps, err := n.Matrix(context.Background(), src, dst, MatrixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != len(src)+len(dst) || tm.Rows != 25 || dm.Cols != 25 {
		t.Fatal("shape")
	}
	for i := range src {
		for j := range dst {
			rt, err := n.Route(context.Background(), src[i], dst[j], RouteOptions{NoGeometry: true})
			if errors.Is(err, routing.ErrUnreachable) {
				if tm.At(i, j) != routing.Unreachable || dm.At(i, j) != routing.Unreachable {
					t.Fatalf("(%d,%d) should be unreachable", i, j)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(tm.At(i, j)-rt.Time) > 1e-9 {
				t.Fatalf("(%d,%d): matrix %.3f route %.3f", i, j, tm.At(i, j), rt.Time)
			}
		}
	}
	// Nearest agrees with the row of the matrix
	nb, err := n.Nearest(context.Background(), src[2], dst, 5)
	if err != nil {
		t.Fatal(err)
	}
	for k := range nb {
		if nb[k].Time != tm.At(2, nb[k].Index) || (k > 0 && nb[k].Time < nb[k-1].Time) {
			t.Fatalf("nearest %+v", nb)
		}
	}
}

func TestSnapTooFar(t *testing.T) {
	n := loadMonaco(t)
	_, err := n.Route(context.Background(), orb.Point{0, 0}, orb.Point{7.42, 43.73}, RouteOptions{})
	if !errors.Is(err, routing.ErrTooFar) {
		t.Fatalf("got %v", err)
	}
	_, _, _, err = n.Matrix(context.Background(), []orb.Point{{7.42, 43.73}}, []orb.Point{{7.42, 43.73}, {1, 1}}, MatrixOptions{})
	if !errors.Is(err, routing.ErrTooFar) {
		t.Fatalf("matrix got %v", err)
	}
}

func TestIsochrone(t *testing.T) {
	n := loadMonaco(t)
	p := orb.Point{7.4246, 43.7384}
	iso, err := n.Isochrone(context.Background(), p, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(iso.Nodes) < 100 || len(iso.Polygon) == 0 {
		t.Fatalf("%d nodes, %d polygons", len(iso.Nodes), len(iso.Polygon))
	}
	for _, s := range iso.Times {
		if s > 300 {
			t.Fatalf("node at %.1f s", s)
		}
	}
	for _, q := range iso.Nodes {
		if !planar.MultiPolygonContains(iso.Polygon, q) {
			t.Fatalf("reached node %v outside the polygon", q)
		}
	}
	if !planar.MultiPolygonContains(iso.Polygon, iso.From.Point) {
		t.Fatal("origin outside")
	}
	small, _ := n.Isochrone(context.Background(), p, 60)
	if len(small.Nodes) >= len(iso.Nodes) {
		t.Fatal("60 s reaches as much as 300 s")
	}
}

func TestSaveLoad(t *testing.T) {
	n := loadMonaco(t)
	path := filepath.Join(t.TempDir(), "monaco.graph")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := orb.Point{7.4246, 43.7384}, orb.Point{7.41, 43.73}
	r1, err1 := n.Route(context.Background(), a, b, RouteOptions{})
	r2, err2 := m.Route(context.Background(), a, b, RouteOptions{})
	if err1 != nil || err2 != nil || r1.Time != r2.Time || r1.Polyline != r2.Polyline {
		t.Fatalf("%v %v %v %v", err1, err2, r1.Time, r2.Time)
	}
}

func TestConcurrentReadsDuringRebuild(t *testing.T) {
	n := loadMonaco(t)
	g := n.g
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for ctx.Err() == nil {
				n.Route(context.Background(), randomPoint(g, r), randomPoint(g, r), RouteOptions{})
			}
		}(w)
	}
	r := rand.New(rand.NewPCG(10, 0))
	var v uint64
	for i := 0; i < 3; i++ {
		v = n.SetSealedZones([]orb.MultiPolygon{square(g.Point(graph.NodeID(r.IntN(g.NumNodes()))), 0.002)})
	}
	if err := n.WaitVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	v = n.SetSealedZones(nil)
	if err := n.WaitVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if n.Version() != v || len(n.SealedZones()) != 0 {
		t.Fatalf("version %d want %d", n.Version(), v)
	}
}

func TestSegmentCrosses(t *testing.T) {
	z := square(orb.Point{0, 0}, 1)
	for _, tc := range []struct {
		a, b orb.Point
		want bool
	}{
		{orb.Point{-2, 0}, orb.Point{2, 0}, true},     // straight through
		{orb.Point{-2, 0}, orb.Point{0, 0}, true},     // into it
		{orb.Point{-2, 2}, orb.Point{2, 2}, false},    // outside
		{orb.Point{-2, 1}, orb.Point{2, 1}, false},    // along the boundary
		{orb.Point{-3, 0}, orb.Point{0, 3}, false},    // past the corner
		{orb.Point{-1.5, 0}, orb.Point{0, 1.5}, true}, // clips the corner
	} {
		if got := segmentCrosses(tc.a, tc.b, z); got != tc.want {
			t.Errorf("%v-%v: %v", tc.a, tc.b, got)
		}
	}
}

// TestLongEdgeThroughZone: a zone with no node inside still closes the
// edges that cross it.
func TestLongEdgeThroughZone(t *testing.T) {
	b := graph.NewBuilder("car")
	// a square of four nodes 0.01° apart, two-way, and a direct diagonal 0-2
	pts := []orb.Point{{7, 43}, {7.01, 43}, {7.01, 43.01}, {7, 43.01}}
	for _, p := range pts {
		b.AddNode(p)
	}
	for i := 0; i < 4; i++ {
		j := (i + 1) % 4
		b.AddEdge(graph.NodeID(i), graph.NodeID(j), 60000, 800, "side")
		b.AddEdge(graph.NodeID(j), graph.NodeID(i), 60000, 800, "side")
	}
	b.AddEdge(0, 2, 30000, 1100, "diagonal")
	b.AddEdge(2, 0, 30000, 1100, "diagonal")
	n, err := FromGraph(context.Background(), b.Build(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	from, to := orb.Point{7.0001, 43}, orb.Point{7.01, 43.0099}
	r, err := n.Route(context.Background(), from, to, RouteOptions{})
	if err != nil || math.Abs(r.Time-31.2) > 0.1 {
		t.Fatalf("diagonal: %v %v", r.Time, err)
	}
	v := n.SetSealedZones([]orb.MultiPolygon{square(orb.Point{7.005, 43.005}, 0.001)})
	if err := n.WaitVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	r, err = n.Route(context.Background(), from, to, RouteOptions{})
	if err != nil || math.Abs(r.Time-118.8) > 0.1 {
		t.Fatalf("sealed diagonal: %v %v", r.Time, err)
	}
	// from inside the zone, the diagonal is open
	r, err = n.Route(context.Background(), orb.Point{7.005, 43.005}, to, RouteOptions{})
	if err != nil || r.Time > 16 {
		t.Fatalf("from inside: %v %v", r.Time, err)
	}
	tm, _, _, err := n.Matrix(context.Background(), []orb.Point{from}, []orb.Point{to}, MatrixOptions{})
	if err != nil || math.Abs(tm.At(0, 0)-118.8) > 0.1 {
		t.Fatalf("matrix: %v %v", tm.At(0, 0), err)
	}
}

// TestMatrixPartialSnap: with Partial, a point beyond its radius gets an
// Unreachable row or column and Snap.Err, and the other cells equal a
// matrix of the snapped points alone; per-point radii widen one point.
func TestMatrixPartialSnap(t *testing.T) {
	n := loadMonaco(t)
	ctx := context.Background()
	g := n.Graph()
	good := []orb.Point{g.Point(graph.NodeID(g.NumNodes() / 3)), g.Point(graph.NodeID(2 * g.NumNodes() / 3))}
	far := orb.Point{7.42, 43.70} // at sea, about 3 km south of Monaco
	src := []orb.Point{good[0], far, good[1]}
	if _, _, _, err := n.Matrix(ctx, src, good, MatrixOptions{}); !errors.Is(err, routing.ErrTooFar) {
		t.Fatalf("without Partial: %v", err)
	}
	tm, dm, snaps, err := n.Matrix(ctx, src, good, MatrixOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, err := n.Matrix(ctx, good, good, MatrixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snaps[1].Err == nil || !errors.Is(snaps[1].Err, routing.ErrTooFar) || snaps[0].Err != nil {
		t.Fatalf("snaps: %+v", snaps)
	}
	for j := range good {
		if tm.At(1, j) != routing.Unreachable || dm.At(1, j) != routing.Unreachable {
			t.Errorf("row of the far point: %v %v", tm.At(1, j), dm.At(1, j))
		}
		if tm.At(0, j) != want.At(0, j) || tm.At(2, j) != want.At(1, j) {
			t.Errorf("column %d: %v %v, want %v %v", j, tm.At(0, j), tm.At(2, j), want.At(0, j), want.At(1, j))
		}
	}
	// a per-point radius wide enough snaps it
	radii := []float64{0, 10_000, 0, 0, 0}
	tm, _, snaps, err = n.Matrix(ctx, src, good, MatrixOptions{Partial: true, SnapRadii: radii})
	if err != nil || snaps[1].Err != nil || tm.At(1, 0) == routing.Unreachable {
		t.Fatalf("with a 10 km radius: %v %+v %v", err, snaps[1], tm.At(1, 0))
	}
	// a target that does not snap gives a column
	tm, _, snaps, err = n.Matrix(ctx, good, []orb.Point{far, good[0]}, MatrixOptions{Partial: true})
	if err != nil || snaps[2].Err == nil || tm.At(0, 0) != routing.Unreachable || tm.At(1, 0) != routing.Unreachable || tm.At(0, 1) == routing.Unreachable {
		t.Fatalf("far target: %v %+v", err, tm)
	}
}

// TestNearestSkipsUnsnappedCandidates: a candidate far from every road is
// left out instead of failing the call; a query point that does not snap
// still fails it.
func TestNearestSkipsUnsnappedCandidates(t *testing.T) {
	n := loadMonaco(t)
	g := n.Graph()
	p := g.Point(graph.NodeID(g.NumNodes() / 2))
	cands := []orb.Point{{7.42, 43.70}, g.Point(graph.NodeID(g.NumNodes() / 3))}
	nb, err := n.Nearest(context.Background(), p, cands, 3)
	if err != nil || len(nb) != 1 || nb[0].Index != 1 {
		t.Fatalf("nearest: %v %+v", err, nb)
	}
	if _, err := n.Nearest(context.Background(), orb.Point{7.42, 43.70}, cands, 3); !errors.Is(err, routing.ErrTooFar) {
		t.Fatalf("far query point: %v", err)
	}
}

// TestWithSealedZones: a view for other sealed zones answers as a network
// serving them (SetSealedZones), leaves the served state alone, and is the
// network itself for the zones it serves.
func TestWithSealedZones(t *testing.T) {
	ctx := context.Background()
	n := loadMonaco(t)
	g := n.g
	r := rand.New(rand.NewPCG(9, 0))
	zs := []orb.MultiPolygon{square(g.Point(graph.NodeID(r.IntN(g.NumNodes()))), 0.003), square(g.Point(graph.NodeID(r.IntN(g.NumNodes()))), 0.002)}
	var pts []orb.Point
	for i := 0; i < 30; i++ {
		pts = append(pts, randomPoint(g, r))
	}
	c := zs[0][0][0][0]
	pts[0] = orb.Point{c[0] + 0.003, c[1] + 0.003} // inside the first zone
	before, _, _, err := n.Matrix(ctx, pts, pts, MatrixOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	view, err := n.WithSealedZones(ctx, zs)
	if err != nil || view == n {
		t.Fatalf("view %p of %p: %v", view, n, err)
	}
	got, _, _, err := view.Matrix(ctx, pts, pts, MatrixOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := New(g, n.base, Options{})
	if err := ref.WaitVersion(ctx, ref.SetSealedZones(zs)); err != nil {
		t.Fatal(err)
	}
	want, _, _, err := ref.Matrix(ctx, pts, pts, MatrixOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	after, _, _, err := n.Matrix(ctx, pts, pts, MatrixOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	differs := false
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("cell %d: view %v, a network serving the zones %v", i, got.Data[i], want.Data[i])
		}
		if after.Data[i] != before.Data[i] {
			t.Fatalf("cell %d: the served network changed from %v to %v", i, before.Data[i], after.Data[i])
		}
		differs = differs || got.Data[i] != before.Data[i]
	}
	if !differs {
		t.Fatal("the zones changed no travel time: the test proves nothing")
	}
	if len(n.SealedZones()) != 0 || len(view.SealedZones()) != 2 {
		t.Fatalf("zones: served %d, view %d", len(n.SealedZones()), len(view.SealedZones()))
	}
	if same, err := ref.WithSealedZones(ctx, []orb.MultiPolygon{zs[1], zs[0]}); err != nil || same != ref {
		t.Fatalf("the served zones in another order: %p, want the network itself (%v)", same, err)
	}
	if same, err := n.WithSealedZones(ctx, nil); err != nil || same != n {
		t.Fatalf("no zones: %p %v", same, err)
	}
}
