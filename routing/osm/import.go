package osm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"

	"lifeline/geo"
	"lifeline/routing/graph"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// Errors of the importer.
var (
	ErrProfile = errors.New("osm: unknown profile")
	ErrNoRoads = errors.New("osm: no routable roads")
	ErrTooBig  = errors.New("osm: input too large")
)

// MaxXMLBytes caps ImportXML input (512 MiB), checked while reading.
const MaxXMLBytes = 512 << 20

// Stats describes an import.
type Stats struct {
	Ways         int // routable ways kept in pass 1
	WayNodes     int // distinct node ids referenced by them
	MissingNodes int // referenced ids absent from the file
	Nodes, Edges int // of the final graph
	DroppedNodes int // outside the largest strongly connected component
	DroppedEdges int // idem
	// TurnRestrictions says what became of the turn restrictions (car):
	// "applied N, skipped M" (see restrict.go), "none", or "not for foot".
	TurnRestrictions string
}

// scanner is the part of osm.Scanner the importer uses.
type scanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// pass opens a fresh scanner over the input; ways says which pass.
type pass func(ways bool) (scanner, func(), error)

// ImportFile imports the file at path: PBF when the name ends in ".pbf",
// else OSM XML. It reads the file twice (ways, then nodes).
func ImportFile(ctx context.Context, path string, p Profile) (*graph.Graph, Stats, error) {
	isPBF := strings.HasSuffix(strings.ToLower(path), ".pbf")
	open := func(ways bool) (scanner, func(), error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		if isPBF {
			s := osmpbf.New(ctx, f, runtime.GOMAXPROCS(0))
			s.SkipRelations = !ways || p != Car // pass 1 reads turn restrictions
			s.SkipNodes = ways
			s.SkipWays = !ways
			return s, func() { s.Close(); f.Close() }, nil
		}
		s := osmxml.New(ctx, bufio.NewReaderSize(f, 1<<16))
		return s, func() { s.Close(); f.Close() }, nil
	}
	g, st, err := importPasses(ctx, open, p)
	if err != nil {
		return nil, st, fmt.Errorf("import %s: %w", path, err)
	}
	return g, st, nil
}

// ImportXML imports OSM XML from r (for example streets generated in
// memory). The input is buffered (at most MaxXMLBytes, else ErrTooBig) so
// that it can be scanned twice.
func ImportXML(ctx context.Context, r io.Reader, p Profile) (*graph.Graph, Stats, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxXMLBytes+1))
	if err != nil {
		return nil, Stats{}, fmt.Errorf("import xml: %w", err)
	}
	if len(data) > MaxXMLBytes {
		return nil, Stats{}, ErrTooBig
	}
	open := func(bool) (scanner, func(), error) {
		s := osmxml.New(ctx, bytes.NewReader(data))
		return s, func() { s.Close() }, nil
	}
	g, st, err := importPasses(ctx, open, p)
	if err != nil {
		return nil, st, fmt.Errorf("import xml: %w", err)
	}
	return g, st, nil
}

type keptWay struct {
	id         int64
	first, end int32 // into the flat node-id list
	rule       wayRule
	name       string
}

func importPasses(ctx context.Context, open pass, p Profile) (*graph.Graph, Stats, error) {
	st := Stats{TurnRestrictions: "none"}
	if p == Foot {
		st.TurnRestrictions = "not for foot"
	}
	if !p.Valid() {
		return nil, st, fmt.Errorf("%w: %q", ErrProfile, p)
	}
	// Pass 1: ways.
	s, done, err := open(true)
	if err != nil {
		return nil, st, err
	}
	var wayNodes []int64
	var ways []keptWay
	var restrictions []restriction
	for s.Scan() {
		if r, ok := s.Object().(*osm.Relation); ok {
			if p == Car {
				restrictions = appendRestriction(restrictions, r)
			}
			continue
		}
		w, ok := s.Object().(*osm.Way)
		if !ok {
			continue
		}
		r, ok := rule(w.Tags, p)
		if !ok || len(w.Nodes) < 2 {
			continue
		}
		name := w.Tags.Find("name")
		if name == "" {
			name = w.Tags.Find("ref")
		}
		k := keptWay{id: int64(w.ID), first: int32(len(wayNodes)), rule: r, name: name}
		for _, n := range w.Nodes {
			wayNodes = append(wayNodes, int64(n.ID))
		}
		k.end = int32(len(wayNodes))
		ways = append(ways, k)
	}
	err = s.Err()
	done()
	if err != nil {
		return nil, st, fmt.Errorf("scan ways: %w", err)
	}
	st.Ways = len(ways)
	if len(ways) == 0 {
		return nil, st, ErrNoRoads
	}
	ids := slices.Clone(wayNodes)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	st.WayNodes = len(ids)

	// Pass 2: coordinates of the needed nodes only.
	lon := make([]float64, len(ids))
	lat := make([]float64, len(ids))
	have := make([]bool, len(ids))
	s, done, err = open(false)
	if err != nil {
		return nil, st, err
	}
	for s.Scan() {
		n, ok := s.Object().(*osm.Node)
		if !ok {
			if _, isWay := s.Object().(*osm.Way); isWay {
				break // XML: nodes come first
			}
			continue
		}
		if i, found := slices.BinarySearch(ids, int64(n.ID)); found {
			if math.IsNaN(n.Lon) || math.IsNaN(n.Lat) || math.Abs(n.Lon) > 180 || math.Abs(n.Lat) > 90 {
				continue
			}
			lon[i], lat[i], have[i] = n.Lon, n.Lat, true
		}
	}
	err = s.Err()
	done()
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, st, fmt.Errorf("scan nodes: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}

	// Build: graph node i is ids[i] (when present).
	b := graph.NewBuilder(string(p))
	gid := make([]graph.NodeID, len(ids))
	for i := range ids {
		if have[i] {
			gid[i] = b.AddNode(orb.Point{lon[i], lat[i]})
		} else {
			gid[i] = -1
			st.MissingNodes++
		}
	}
	var es []impEdge
	for wi, w := range ways {
		prev := graph.NodeID(-1)
		for k := w.first; k < w.end; k++ {
			i, _ := slices.BinarySearch(ids, wayNodes[k])
			cur := gid[i]
			if prev >= 0 && cur >= 0 && prev != cur {
				a, c := orb.Point{lon[idxOf(ids, wayNodes[k-1])], lat[idxOf(ids, wayNodes[k-1])]}, orb.Point{lon[i], lat[i]}
				m := geo.Haversine(a, c)
				ms := graph.Weight(math.Round(m / (w.rule.speed / 3.6) * 1000))
				if w.rule.forward {
					es = append(es, impEdge{prev, cur, ms, m, int32(wi)})
				}
				if w.rule.backward {
					es = append(es, impEdge{cur, prev, ms, m, int32(wi)})
				}
			}
			prev = cur
		}
	}
	if p == Car {
		node := func(osmID int64) graph.NodeID {
			if i, found := slices.BinarySearch(ids, osmID); found {
				return gid[i]
			}
			return -1
		}
		var applied, skipped int
		es, applied, skipped = applyRestrictions(es, restrictions, ways, wayNodes, node, func(v graph.NodeID) graph.NodeID {
			return b.AddNode(b.Point(v))
		})
		if applied+skipped > 0 {
			st.TurnRestrictions = fmt.Sprintf("applied %d, skipped %d", applied, skipped)
		}
	}
	for _, e := range es {
		b.AddEdge(e.u, e.v, e.ms, e.m, ways[e.way].name)
	}
	g := b.Build()
	g, st.DroppedNodes, st.DroppedEdges = graph.LargestSCC(g)
	st.Nodes, st.Edges = g.NumNodes(), g.NumEdges()
	if st.Nodes < 2 {
		return nil, st, ErrNoRoads
	}
	return g, st, nil
}

func idxOf(ids []int64, id int64) int {
	i, _ := slices.BinarySearch(ids, id)
	return i
}
