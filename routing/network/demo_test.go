package network

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"lifeline/data/demo"
	"lifeline/routing"
	"lifeline/routing/graph"
	"lifeline/routing/osm"
	"lifeline/zones"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestDemoDistrict builds the demo district's streets from OSM XML bytes,
// seals its sealed zones and checks the zone rule end to end: routes
// between two points outside every sealed zone never pass a node inside
// one, and a route from inside a sealed zone still leaves it.
func TestDemoDistrict(t *testing.T) {
	d := demo.Default()
	for _, profile := range []osm.Profile{osm.Car, osm.Foot} {
		n, err := Build(context.Background(), bytes.NewReader(d.StreetsOSM), profile, Options{})
		if err != nil {
			t.Fatalf("%s: %v", profile, err)
		}
		if n.Graph().NumNodes() < 50 {
			t.Fatalf("%s: %d nodes", profile, n.Graph().NumNodes())
		}
	}
	n, err := Build(context.Background(), bytes.NewReader(d.StreetsOSM), osm.Car, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := demo.SecondSealFrom.Add(time.Hour)
	var sealed []orb.MultiPolygon
	for i := range d.Zones {
		if z := &d.Zones[i]; z.Kind == zones.KindSealed && z.ActiveAt(at) {
			sealed = append(sealed, z.Geometry)
		}
	}
	// The demo's sealed compounds lie between streets (no street node
	// inside), so also seal a block around the district's middle node.
	mid := n.Graph().Point(graph.NodeID(n.Graph().NumNodes() / 2))
	sealed = append(sealed, square(mid, 0.0012))
	v := n.SetSealedZones(sealed)
	if err := n.WaitVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	inside := func(p orb.Point) bool {
		for _, z := range sealed {
			if planar.MultiPolygonContains(z, p) {
				return true
			}
		}
		return false
	}
	g := n.Graph()
	if countCore(n) == 0 {
		t.Fatal("no node sealed")
	}
	var outside []orb.Point
	for v := 0; v < g.NumNodes() && len(outside) < 30; v += 7 {
		if p := g.Point(int32ToNode(v)); !inside(p) {
			outside = append(outside, p)
		}
	}
	for i := range outside {
		for j := range outside {
			r, err := n.Route(context.Background(), outside[i], outside[j], RouteOptions{})
			if errors.Is(err, routing.ErrUnreachable) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Geometry[1 : len(r.Geometry)-1] {
				if inside(p) {
					t.Fatalf("route %d->%d passes sealed node %v", i, j, p)
				}
			}
		}
	}
	// from the centre of a sealed zone to outside: allowed
	c := mid
	if _, err := n.Route(context.Background(), c, outside[0], RouteOptions{}); err != nil && !errors.Is(err, routing.ErrTooFar) {
		t.Fatalf("leaving a sealed zone: %v", err)
	}
	iso, err := n.Isochrone(context.Background(), outside[0], 300)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d nodes, %d sealed zones, %d core nodes, %d outside points", g.NumNodes(), len(sealed), countCore(n), len(outside))
	cells, err := iso.Cells(9)
	if err != nil || len(cells) == 0 {
		t.Fatalf("cells %v %v", len(cells), err)
	}
}

func int32ToNode(v int) graph.NodeID { return graph.NodeID(v) }

func countCore(n *Network) int {
	k := 0
	for _, s := range n.cur.Load().set {
		if s >= 0 {
			k++
		}
	}
	return k
}

func TestGeoJSON(t *testing.T) {
	d := demo.Default()
	n, err := Build(context.Background(), bytes.NewReader(d.StreetsOSM), osm.Car, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := n.Graph()
	r, err := n.Route(context.Background(), g.Point(0), g.Point(graph.NodeID(g.NumNodes()-1)), RouteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.GeoJSON().MarshalJSON()
	if err != nil || !bytes.Contains(b, []byte(`"LineString"`)) || !bytes.Contains(b, []byte(`"polyline"`)) {
		t.Fatalf("%s %v", b, err)
	}
	iso, err := n.Isochrone(context.Background(), g.Point(0), 120)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = iso.GeoJSON().MarshalJSON(); err != nil || !bytes.Contains(b, []byte(`"MultiPolygon"`)) {
		t.Fatalf("%s %v", b, err)
	}
	if got := Sealed(d.Zones, demo.SecondSealFrom.Add(time.Hour)); len(got) == 0 {
		t.Fatal("no sealed zone in the demo")
	}
}
