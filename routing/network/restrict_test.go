package network

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"lifeline/routing/osm"

	"github.com/paulmach/orb"
)

// crossing is a + junction C with arms S, N, W, E (about 110 m and 80 m
// long), plus a detour S - SW - W; relation is one restriction relation or "".
func crossing(relation string) string {
	nodes := map[int]orb.Point{1: {7.000, 43.000}, 2: {7.000, 42.999}, 3: {7.000, 43.001}, 4: {6.999, 43.000},
		5: {7.001, 43.000}, 6: {6.999, 42.998}}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">`)
	for id := 1; id <= 6; id++ {
		fmt.Fprintf(&b, `<node id="%d" lat="%.6f" lon="%.6f"/>`, id, nodes[id][1], nodes[id][0])
	}
	way := func(id int, name string, ns ...int) {
		fmt.Fprintf(&b, `<way id="%d">`, id)
		for _, n := range ns {
			fmt.Fprintf(&b, `<nd ref="%d"/>`, n)
		}
		fmt.Fprintf(&b, `<tag k="highway" v="residential"/><tag k="name" v="%s"/></way>`, name)
	}
	way(11, "south", 2, 1)
	way(12, "north", 1, 3)
	way(13, "west", 4, 1)
	way(14, "east", 1, 5)
	way(15, "detour", 2, 6, 4)
	b.WriteString(relation)
	b.WriteString(`</osm>`)
	return b.String()
}

func restrictionXML(kind string, from, to int) string {
	return fmt.Sprintf(`<relation id="99"><member type="way" ref="%d" role="from"/><member type="node" ref="1" role="via"/>`+
		`<member type="way" ref="%d" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="%s"/></relation>`, from, to, kind)
}

// TestTurnRestrictions: a banned left turn sends the route round the
// detour, an only_straight_on forces a U-turn at the dead end beyond, and a
// restriction that excepts cars changes nothing. Hierarchy and Dijkstra
// agree on the split graph (routes are checked by the oracle elsewhere; here
// by their lengths).
func TestTurnRestrictions(t *testing.T) {
	south := orb.Point{7.0000, 42.99905} // on the south arm, near S
	west := orb.Point{6.99905, 43.0000}  // on the west arm, near W
	east := orb.Point{7.00095, 43.0000}  // on the east arm, near E
	dist := func(doc string, from, to orb.Point) float64 {
		t.Helper()
		n, err := Build(context.Background(), strings.NewReader(doc), osm.Car, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.Route(context.Background(), from, to, RouteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Distance
	}
	free := dist(crossing(""), south, west)
	left := dist(crossing(restrictionXML("no_left_turn", 11, 13)), south, west)
	if free > 200 || left < free+100 {
		t.Fatalf("south to west: %.0f m free, %.0f m with no_left_turn (want the ~350 m detour)", free, left)
	}
	// the ban is on the turn, not on the junction: west to south is as before
	if a, b := dist(crossing(""), west, south), dist(crossing(restrictionXML("no_left_turn", 11, 13)), west, south); a != b {
		t.Fatalf("west to south changed: %.0f vs %.0f m", a, b)
	}
	freeE := dist(crossing(""), south, east)
	only := dist(crossing(restrictionXML("only_straight_on", 11, 12)), south, east)
	if only < freeE+150 {
		t.Fatalf("south to east: %.0f m free, %.0f m with only_straight_on (want the U-turn at N)", freeE, only)
	}
	except := strings.Replace(restrictionXML("no_left_turn", 11, 13), `</relation>`, `<tag k="except" v="motorcar"/></relation>`, 1)
	if got := dist(crossing(except), south, west); got != free {
		t.Fatalf("restriction excepting cars: %.0f m, want %.0f", got, free)
	}
}
