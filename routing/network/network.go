// Package network is the one road-network facade that the HTTP API and the
// CLI hold: a graph.Graph, its contraction hierarchy (routing/ch) and the
// sealed zones in force, behind methods that take and return orb points.
//
// Points are [lon, lat] (orb order). Times are seconds, distances metres
// (routing.Seconds / routing.Meters semantics; matrices hold float64).
//
// # Concurrency
//
// A *Network is safe for concurrent use. The served state (hierarchy and
// zones) sits behind an atomic pointer: readers never block and never see a
// half-built state. SetSealedZones returns at once and rebuilds the
// hierarchy in a background goroutine; queries keep answering from the
// previous version until the new one is swapped in, then Version()
// increases. A newer SetSealedZones cancels an unfinished rebuild.
//
// # Zone rule
//
// Roads in sealed zones are closed to through-traffic: a path never visits a
// graph node inside a sealed zone, nor drives an edge that crosses a sealed
// zone (both ends outside, the segment through it), except for the zones
// that contain the query's own origin or destination (the input point,
// before snapping), which stay open for that query. A node or edge in
// several zones is open when any of them is open. See routing/ch for how this stays exact
// on a contraction hierarchy (the zone nodes form an uncontracted core).
//
// # Errors
//
// Snapping beyond Options.MaxSnapDistance returns an error wrapping
// routing.ErrTooFar that names the point; no path returns
// routing.ErrUnreachable; a cancelled context returns ctx.Err().
package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"lifeline/routing"
	"lifeline/routing/ch"
	"lifeline/routing/graph"
	"lifeline/routing/matrix"
	"lifeline/routing/osm"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

var _ matrix.Source = (*Network)(nil)

// Errors of the network facade.
var (
	// ErrNoHierarchy is returned by Load for a graph file without a hierarchy.
	ErrNoHierarchy = errors.New("network: graph file has no hierarchy")
	// ErrTooLarge is returned by Matrix above Options.MaxMatrixCells.
	ErrTooLarge = errors.New("network: matrix too large")
)

// Options configure a Network. Zero fields take the defaults.
type Options struct {
	// MaxSnapDistance is the largest distance in metres between a query
	// point and the road it snaps to (default 500).
	MaxSnapDistance float64
	// Workers is the number of goroutines of a matrix (default GOMAXPROCS).
	Workers int
	// IsochroneCell is the cell size in metres of isochrone polygons
	// (default 100).
	IsochroneCell float64
	// MaxMatrixCells caps sources x targets of one Matrix call (default
	// 25,000,000, about 1 GiB of results and scratch).
	MaxMatrixCells int
}

func (o Options) withDefaults() Options {
	if o.MaxSnapDistance <= 0 {
		o.MaxSnapDistance = 500
	}
	if o.IsochroneCell <= 0 {
		o.IsochroneCell = 100
	}
	if o.MaxMatrixCells <= 0 {
		o.MaxMatrixCells = 25_000_000
	}
	return o
}

// Network is the road network facade. See the package doc.
type Network struct {
	g        *graph.Graph
	base     *ch.Hierarchy
	opts     Options
	cur      atomic.Pointer[state]
	searches sync.Pool // *graph.Search

	mu      sync.Mutex // guards cancel and target
	cancel  context.CancelFunc
	target  uint64
	built   chan struct{} // closed and replaced at each swap
	lastErr error

	streetsOnce sync.Once
	streets     *streetIndex // built by the first Streets call
}

// state is one immutable served version.
type state struct {
	version uint64
	h       *ch.Hierarchy
	zones   []orb.MultiPolygon
	bounds  []orb.Bound
	set     []int32   // node -> zone-set id, -1 outside all zones (nil: no zones)
	edgeSet []int32   // edge -> zone-set id of zones it crosses with both ends outside (nil: none)
	sets    [][]int32 // zone-set id -> zone indices
	queries sync.Pool // *ch.Query over h
}

func newState(version uint64, h *ch.Hierarchy, zones []orb.MultiPolygon, set []int32, sets [][]int32) *state {
	s := &state{version: version, h: h, zones: zones, set: set, sets: sets}
	for _, z := range zones {
		s.bounds = append(s.bounds, z.Bound())
	}
	s.queries.New = func() any { return ch.NewQuery(h) }
	return s
}

// New wraps a graph and its zone-free hierarchy.
func New(g *graph.Graph, h *ch.Hierarchy, opts Options) *Network {
	n := &Network{g: g, base: h, opts: opts.withDefaults(), built: make(chan struct{})}
	n.searches.New = func() any { return graph.NewSearch(g) }
	n.cur.Store(newState(0, h, nil, nil, nil))
	return n
}

// Load reads a graph file written by Save (or `lifeline graph build`):
// graph and hierarchy, no preprocessing. Well under a second on Porto.
func Load(path string, opts Options) (*Network, error) {
	g, secs, err := graph.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		if s.Tag == ch.SectionTag {
			h, err := ch.FromSection(g, s.Data)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", path, err)
			}
			return New(g, h, opts), nil
		}
	}
	return nil, fmt.Errorf("load %s: %w", path, ErrNoHierarchy)
}

// Build imports OSM XML from r (the demo district's streets) for profile
// and contracts it. O(seconds) for a district.
func Build(ctx context.Context, r io.Reader, profile osm.Profile, opts Options) (*Network, error) {
	g, _, err := osm.ImportXML(ctx, r, profile)
	if err != nil {
		return nil, err
	}
	return FromGraph(ctx, g, opts)
}

// BuildFile imports an .osm.pbf or .osm file for profile and contracts it;
// it also returns the import statistics.
func BuildFile(ctx context.Context, path string, profile osm.Profile, opts Options) (*Network, osm.Stats, error) {
	g, st, err := osm.ImportFile(ctx, path, profile)
	if err != nil {
		return nil, st, err
	}
	n, err := FromGraph(ctx, g, opts)
	return n, st, err
}

// FromGraph contracts g and wraps it.
func FromGraph(ctx context.Context, g *graph.Graph, opts Options) (*Network, error) {
	h, err := ch.Build(ctx, g, ch.BuildOptions{})
	if err != nil {
		return nil, err
	}
	return New(g, h, opts), nil
}

// Save writes the graph and its zone-free hierarchy to path (atomically).
func (n *Network) Save(path string) error {
	return graph.WriteFile(path, n.g, n.base.Section())
}

// Graph returns the underlying graph (read-only).
func (n *Network) Graph() *graph.Graph { return n.g }

// Profile returns the profile name the graph was built for.
func (n *Network) Profile() string { return n.g.Profile }

// Version returns the version of the served zone state: 0 at start, +1 at
// each completed SetSealedZones. Never blocks.
func (n *Network) Version() uint64 { return n.cur.Load().version }

// SealedZones returns the sealed zones of the served version.
func (n *Network) SealedZones() []orb.MultiPolygon { return n.cur.Load().zones }

// SetSealedZones replaces the sealed zones (the polygons of the zones of
// kind sealed active now; the caller filters with zones.Zone.ActiveAt) and
// returns the version that will serve them. The hierarchy is rebuilt in
// the background (seconds on Porto; an empty list swaps in the base
// hierarchy at once). Never blocks on readers; cancels an unfinished
// previous rebuild. Wait for the swap with WaitVersion.
func (n *Network) SetSealedZones(zs []orb.MultiPolygon) uint64 {
	zs = append([]orb.MultiPolygon(nil), zs...)
	n.mu.Lock()
	if n.cancel != nil {
		n.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if n.target < n.cur.Load().version {
		n.target = n.cur.Load().version
	}
	n.target++
	v := n.target
	n.mu.Unlock()
	go func() {
		defer cancel()
		s, err := n.buildState(ctx, v, zs)
		n.mu.Lock()
		defer n.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				n.lastErr = err
			}
			return
		}
		if v != n.target {
			return // superseded
		}
		n.cur.Store(s)
		n.lastErr = nil
		close(n.built)
		n.built = make(chan struct{})
	}()
	return v
}

// WithSealedZones returns a network over the same graph serving the
// sealed zones zs instead of the served ones, for planning a day whose
// zone map is not today's (zones sealed later in the day, or another
// day): n itself when zs are the served zones (the same polygons, in any
// order), else a view with its own hierarchy for zs, built here (seconds
// on Porto, like a SetSealedZones; ctx cancels it). The view is not
// changed by n's SetSealedZones, nor n by the view; drop it when done.
func (n *Network) WithSealedZones(ctx context.Context, zs []orb.MultiPolygon) (*Network, error) {
	if sameZones(n.SealedZones(), zs) {
		return n, nil
	}
	zs = append([]orb.MultiPolygon(nil), zs...)
	s, err := n.buildState(ctx, 0, zs)
	if err != nil {
		return nil, err
	}
	v := New(n.g, n.base, n.opts)
	v.cur.Store(s)
	return v, nil
}

// sameZones reports whether a and b hold the same polygons (any order).
func sameZones(a, b []orb.MultiPolygon) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
next:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && orb.Equal(x, y) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}

// WaitVersion blocks until Version() >= v or ctx is done.
func (n *Network) WaitVersion(ctx context.Context, v uint64) error {
	for {
		n.mu.Lock()
		ch, err := n.built, n.lastErr
		n.mu.Unlock()
		if n.Version() >= v {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// buildState computes node zone sets and the core hierarchy.
func (n *Network) buildState(ctx context.Context, v uint64, zs []orb.MultiPolygon) (*state, error) {
	if len(zs) == 0 {
		return newState(v, n.base, nil, nil, nil), nil
	}
	bounds := make([]orb.Bound, len(zs))
	for i, z := range zs {
		bounds[i] = z.Bound()
	}
	g := n.g
	set := make([]int32, g.NumNodes())
	ids := map[string]int32{}
	var sets [][]int32
	var in []int32
	var key strings.Builder
	core := 0
	for u := range set {
		p := g.Point(graph.NodeID(u))
		in = in[:0]
		for i, z := range zs {
			if bounds[i].Contains(p) && planar.MultiPolygonContains(z, p) {
				in = append(in, int32(i))
			}
		}
		if len(in) == 0 {
			set[u] = -1
			continue
		}
		core++
		key.Reset()
		fmt.Fprint(&key, in)
		id, ok := ids[key.String()]
		if !ok {
			id = int32(len(sets))
			ids[key.String()] = id
			sets = append(sets, append([]int32(nil), in...))
		}
		set[u] = id
	}
	// edges crossing a zone that contains neither of their end nodes
	intern := func(in []int32) int32 {
		key.Reset()
		fmt.Fprint(&key, in)
		id, ok := ids[key.String()]
		if !ok {
			id = int32(len(sets))
			ids[key.String()] = id
			sets = append(sets, append([]int32(nil), in...))
		}
		return id
	}
	var edgeSet []int32
	for e := 0; e < g.NumEdges(); e++ {
		a, b := g.Point(g.Tail[e]), g.Point(g.Head[e])
		sb := orb.Bound{Min: a, Max: a}.Extend(b)
		in = in[:0]
		for i, z := range zs {
			if !bounds[i].Intersects(sb) || inSet(sets, set[g.Tail[e]], int32(i)) || inSet(sets, set[g.Head[e]], int32(i)) {
				continue
			}
			if segmentCrosses(a, b, z) {
				in = append(in, int32(i))
			}
		}
		if len(in) == 0 {
			continue
		}
		if edgeSet == nil {
			edgeSet = make([]int32, g.NumEdges())
			for k := range edgeSet {
				edgeSet[k] = -1
			}
		}
		edgeSet[e] = intern(in)
	}
	if core == 0 && edgeSet == nil {
		return newState(v, n.base, zs, nil, nil), nil
	}
	h, err := ch.Build(ctx, g, ch.BuildOptions{CoreSet: set, EdgeSet: edgeSet, Order: n.base.Order})
	if err != nil {
		return nil, err
	}
	st := newState(v, h, zs, set, sets)
	st.edgeSet = edgeSet
	return st, nil
}

// inSet reports whether zone z belongs to node set id (-1: none).
func inSet(sets [][]int32, id int32, z int32) bool {
	if id < 0 {
		return false
	}
	for _, x := range sets[id] {
		if x == z {
			return true
		}
	}
	return false
}

// segmentCrosses reports whether segment a-b crosses a ring edge of mp
// (planar in degrees, fine at city scale).
func segmentCrosses(a, b orb.Point, mp orb.MultiPolygon) bool {
	for _, poly := range mp {
		for _, ring := range poly {
			for i := 0; i+1 < len(ring); i++ {
				if segmentsIntersect(a, b, ring[i], ring[i+1]) {
					return true
				}
			}
		}
	}
	return false
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// segmentsIntersect reports whether segments p1-p2 and q1-q2 cross
// properly (touching at an end or overlapping along a line does not count,
// so a street that only runs along a zone's boundary is not "crossing").
func segmentsIntersect(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

// zonesOf returns the indices of the sealed zones containing p.
func (s *state) zonesOf(p orb.Point) []int32 {
	var out []int32
	for i, z := range s.zones {
		if s.bounds[i].Contains(p) && planar.MultiPolygonContains(z, p) {
			out = append(out, int32(i))
		}
	}
	return out
}

// closure returns the closure for a query whose endpoints lie in the
// given zones (nil when no zone node exists).
func (s *state) closure(open ...[]int32) *graph.Closure {
	if s.set == nil {
		return nil
	}
	c := &graph.Closure{Set: s.set, Open: make([]bool, len(s.sets)), EdgeSet: s.edgeSet}
	for id, zs := range s.sets {
		for _, z := range zs {
			for _, o := range open {
				for _, x := range o {
					if x == z {
						c.Open[id] = true
					}
				}
			}
		}
	}
	return c
}

// Snap is a query point moved onto the road network.
type Snap struct {
	Input    orb.Point `json:"input"`      // the point asked, [lon, lat]
	Point    orb.Point `json:"point"`      // the snapped point on the road
	Distance float64   `json:"distance_m"` // metres between them
	Street   string    `json:"street,omitempty"`
	// Err is set, and the other fields but Input are zero, for a point of
	// a partial Matrix (MatrixOptions.Partial) that did not snap.
	Err  error `json:"-"`
	snap graph.Snap
}

// Snap moves p onto the nearest routable road within MaxSnapDistance, or
// returns an error wrapping routing.ErrTooFar that names p. Grid index over
// road segments, O(segments near p).
func (n *Network) Snap(p orb.Point) (Snap, error) {
	return n.SnapWithin(p, 0)
}

// SnapWithin is Snap with a radius in metres instead of MaxSnapDistance
// (radius <= 0 takes MaxSnapDistance). The search visits the grid cells
// within the radius, so callers bound it.
func (n *Network) SnapWithin(p orb.Point, radius float64) (Snap, error) {
	if !(radius > 0) {
		radius = n.opts.MaxSnapDistance
	}
	s, err := n.g.Snap(p, radius)
	if err != nil {
		return Snap{Input: p}, err
	}
	return Snap{Input: p, Point: s.Point, Distance: s.Dist, Street: n.g.EdgeName(s.Edge), snap: s}, nil
}

// RouteOptions tune Route. The zero value is the default.
type RouteOptions struct {
	// NoGeometry skips the line, the polyline and the street list.
	NoGeometry bool
	// SnapRadius is how far in metres the points may lie from their roads
	// (0: Options.MaxSnapDistance).
	SnapRadius float64
}

// Route is a fastest route between two points.
type Route struct {
	Time     float64        `json:"time_s"`     // seconds
	Distance float64        `json:"distance_m"` // metres
	From, To Snap           `json:"-"`
	Geometry orb.LineString `json:"-"`        // [lon, lat] from the snapped origin to the snapped destination
	Polyline string         `json:"polyline"` // Geometry as an encoded polyline, precision 5
	Streets  []ch.StreetLeg `json:"streets"`  // street names along the route with distance and time each
	Version  uint64         `json:"version"`  // zone-state version that answered
}

// Route returns the fastest route from one point to another under the
// sealed zones in force. Errors: routing.ErrTooFar (wrapped, names the
// point), routing.ErrUnreachable, ctx.Err(). Typically tens of µs.
func (n *Network) Route(ctx context.Context, from, to orb.Point, opts RouteOptions) (Route, error) {
	if err := ctx.Err(); err != nil {
		return Route{}, err
	}
	a, err := n.SnapWithin(from, opts.SnapRadius)
	if err != nil {
		return Route{}, fmt.Errorf("route from: %w", err)
	}
	b, err := n.SnapWithin(to, opts.SnapRadius)
	if err != nil {
		return Route{}, fmt.Errorf("route to: %w", err)
	}
	s := n.cur.Load()
	c := s.closure(s.zonesOf(from), s.zonesOf(to))
	q := s.queries.Get().(*ch.Query)
	var p ch.Path
	var ok bool
	if opts.NoGeometry {
		p.Time, p.Length, ok = q.Cost(a.snap, b.snap, c)
	} else {
		p, ok = q.Route(a.snap, b.snap, c)
	}
	s.queries.Put(q)
	if !ok {
		return Route{}, fmt.Errorf("route [%.6f, %.6f] -> [%.6f, %.6f]: %w", from[0], from[1], to[0], to[1], routing.ErrUnreachable)
	}
	r := Route{Time: float64(p.Time) / 1000, Distance: p.Length, From: a, To: b, Version: s.version}
	if !opts.NoGeometry {
		r.Geometry = s.h.Geometry(p)
		r.Polyline = graph.EncodePolyline(r.Geometry, 5)
		r.Streets = s.h.Streets(p)
	}
	return r, nil
}

// MatrixOptions tune Matrix. The zero value is the default.
type MatrixOptions struct {
	// Workers overrides Options.Workers for this call.
	Workers int
	// SnapRadius is how far in metres a point may lie from its road
	// (0: Options.MaxSnapDistance).
	SnapRadius float64
	// SnapRadii, when not nil, holds one radius per point, sources then
	// targets; a zero entry takes SnapRadius.
	SnapRadii []float64
	// Partial answers for the points that snap: a point that does not
	// gets Snap.Err and an Unreachable row (source) or column (target)
	// instead of failing the call.
	Partial bool
}

func (o MatrixOptions) radius(k int) float64 {
	if k < len(o.SnapRadii) && o.SnapRadii[k] > 0 {
		return o.SnapRadii[k]
	}
	return o.SnapRadius
}

// Matrix returns travel times (seconds) and distances (metres, along the
// fastest path) from every source to every target, routing.Unreachable
// where no path exists, and the snaps (sources then targets). The first
// point that does not snap fails the call with its index named. Bucket
// many-to-many on the hierarchy; points inside sealed zones are grouped by
// zone so that each group pair opens exactly its own zones. Errors:
// ErrTooLarge (checked before any work), routing.ErrTooFar (wrapped,
// "source 3: ..."), ctx.Err(). Porto, 1,000 x 1,000: about 0.25 s on one
// core.
func (n *Network) Matrix(ctx context.Context, sources, targets []orb.Point, opts MatrixOptions) (time, dist routing.Matrix, snaps []Snap, err error) {
	if len(sources)*len(targets) > n.opts.MaxMatrixCells {
		return time, dist, nil, fmt.Errorf("%w: %d x %d > %d cells", ErrTooLarge, len(sources), len(targets), n.opts.MaxMatrixCells)
	}
	snaps = make([]Snap, 0, len(sources)+len(targets))
	var srcOK, dstOK []int // indices of the points that snapped
	for k, p := range append(sources[:len(sources):len(sources)], targets...) {
		if k&255 == 255 {
			if err := ctx.Err(); err != nil {
				return time, dist, nil, err
			}
		}
		sn, err := n.SnapWithin(p, opts.radius(k))
		if err != nil {
			if !opts.Partial {
				if k < len(sources) {
					return time, dist, nil, fmt.Errorf("source %d: %w", k, err)
				}
				return time, dist, nil, fmt.Errorf("target %d: %w", k-len(sources), err)
			}
			sn = Snap{Input: p, Err: err}
		} else if k < len(sources) {
			srcOK = append(srcOK, k)
		} else {
			dstOK = append(dstOK, k-len(sources))
		}
		snaps = append(snaps, sn)
	}
	time = routing.NewMatrix(len(sources), len(targets))
	dist = routing.NewMatrix(len(sources), len(targets))
	if len(srcOK) < len(sources) || len(dstOK) < len(targets) {
		for k := range time.Data {
			time.Data[k], dist.Data[k] = routing.Unreachable, routing.Unreachable
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = n.opts.Workers
	}
	s := n.cur.Load()
	srcGroups := s.groupOf(sources, srcOK)
	dstGroups := s.groupOf(targets, dstOK)
	for _, sg := range srcGroups {
		for _, dg := range dstGroups {
			if len(sg.idx) == 0 || len(dg.idx) == 0 {
				continue
			}
			ss := make([]graph.Snap, len(sg.idx))
			for k, i := range sg.idx {
				ss[k] = snaps[i].snap
			}
			ts := make([]graph.Snap, len(dg.idx))
			for k, j := range dg.idx {
				ts[k] = snaps[len(sources)+j].snap
			}
			tb, err := s.h.Many(ctx, ss, ts, s.closure(sg.zones, dg.zones), workers)
			if err != nil {
				return time, dist, nil, err
			}
			for a, i := range sg.idx {
				for b, j := range dg.idx {
					w := tb.Time[a*tb.Cols+b]
					if w >= graph.Inf {
						time.Set(i, j, routing.Unreachable)
						dist.Set(i, j, routing.Unreachable)
					} else {
						time.Set(i, j, float64(w)/1000)
						dist.Set(i, j, tb.Length[a*tb.Cols+b])
					}
				}
			}
		}
	}
	return time, dist, snaps, nil
}

type pointGroup struct {
	zones []int32
	idx   []int
}

// groupOf is group over the points ps[i] for i in idx, with indices into ps.
func (s *state) groupOf(ps []orb.Point, idx []int) []pointGroup {
	if len(idx) == len(ps) {
		return s.group(ps)
	}
	sub := make([]orb.Point, len(idx))
	for k, i := range idx {
		sub[k] = ps[i]
	}
	gs := s.group(sub)
	for _, g := range gs {
		for k, i := range g.idx {
			g.idx[k] = idx[i]
		}
	}
	return gs
}

// group splits points by the set of sealed zones containing them.
func (s *state) group(ps []orb.Point) []pointGroup {
	if len(s.zones) == 0 {
		g := pointGroup{idx: make([]int, len(ps))}
		for i := range ps {
			g.idx[i] = i
		}
		return []pointGroup{g}
	}
	byKey := map[string]int{}
	var out []pointGroup
	for i, p := range ps {
		z := s.zonesOf(p)
		k := fmt.Sprint(z)
		gi, ok := byKey[k]
		if !ok {
			gi = len(out)
			byKey[k] = gi
			out = append(out, pointGroup{zones: z})
		}
		out[gi].idx = append(out[gi].idx, i)
	}
	return out
}

// Neighbor is one of the k nearest candidates by travel time.
type Neighbor struct {
	Index    int     `json:"index"`      // into the candidates
	Time     float64 `json:"time_s"`     // seconds from the point
	Distance float64 `json:"distance_m"` // metres along that path
}

// Nearest returns the k candidates reachable fastest from p, by ascending
// travel time (ties by index); unreachable candidates and candidates that
// do not snap are left out; p not snapping fails the call. One 1 x N
// many-to-many.
func (n *Network) Nearest(ctx context.Context, p orb.Point, candidates []orb.Point, k int) ([]Neighbor, error) {
	tm, dm, snaps, err := n.Matrix(ctx, []orb.Point{p}, candidates, MatrixOptions{Workers: 1, Partial: true})
	if err != nil {
		return nil, err
	}
	if snaps[0].Err != nil {
		return nil, fmt.Errorf("source 0: %w", snaps[0].Err)
	}
	var out []Neighbor
	for j := range candidates {
		if t := tm.At(0, j); t != routing.Unreachable {
			out = append(out, Neighbor{Index: j, Time: t, Distance: dm.At(0, j)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time < out[b].Time })
	if k >= 0 && len(out) > k {
		out = out[:k]
	}
	return out, nil
}

// Shortcuts returns the number of shortcuts of the zone-free hierarchy.
func (n *Network) Shortcuts() int { return n.base.NumShortcuts() }

// Table is Matrix with the default options and without snaps; it makes a
// *Network a routing/matrix.Source.
func (n *Network) Table(ctx context.Context, sources, targets []orb.Point) (time, dist routing.Matrix, err error) {
	time, dist, _, err = n.Matrix(ctx, sources, targets, MatrixOptions{})
	return time, dist, err
}
