package osm

import (
	"strings"

	"lifeline/routing/graph"

	"github.com/paulmach/osm"
)

// Turn restrictions (car profile) are applied by splitting the via node.
//
// A restriction relation (type=restriction; restriction=no_* or only_*, or
// restriction:motorcar) names a from way, a via node and a to way. Every
// edge entering the via node X along a restricted from way gets a copy of X
// of its own, at the same place, whose outgoing edges are X's outgoing edges
// minus the banned ones (no_*: the edge onto the to way; only_*: every edge
// but that one). Edges that enter X along other ways keep X. If every edge
// into X was redirected, X is left with no way in and the largest strongly
// connected component drops it. The graph stays node-based, so the
// contraction hierarchy, the zone closures (copies lie where X lies) and the
// Dijkstra oracle need nothing special.
//
// Skipped (and counted as such): restrictions with a via way, with members
// missing from the extract, with a from or to way that does not start or
// end at the via node (OSM requires it; otherwise the direction is
// ambiguous), conditional ones, and those whose except tag names motor cars.

type restriction struct {
	from, to int64 // OSM way ids
	via      int64 // OSM node id; 0 when the via member is a way
	only     bool
}

// appendRestriction adds r to rs when it is a turn restriction for cars.
func appendRestriction(rs []restriction, r *osm.Relation) []restriction {
	if r.Tags.Find("type") != "restriction" {
		return rs
	}
	kind := r.Tags.Find("restriction:motorcar")
	if kind == "" {
		kind = r.Tags.Find("restriction")
	}
	only := strings.HasPrefix(kind, "only_")
	if !only && !strings.HasPrefix(kind, "no_") {
		return rs
	}
	for _, x := range strings.Split(r.Tags.Find("except"), ";") {
		if x = strings.TrimSpace(x); x == "motorcar" || x == "motor_vehicle" || x == "vehicle" {
			return rs
		}
	}
	var res restriction
	res.only = only
	for _, m := range r.Members {
		switch {
		case m.Role == "from" && m.Type == osm.TypeWay:
			res.from = m.Ref
		case m.Role == "to" && m.Type == osm.TypeWay:
			res.to = m.Ref
		case m.Role == "via" && m.Type == osm.TypeNode:
			res.via = m.Ref
		case m.Role == "via":
			res.via = -1 // a via way: not supported
		}
	}
	return append(rs, res)
}

// impEdge is an edge being imported: way is the index of its kept way.
type impEdge struct {
	u, v graph.NodeID
	ms   graph.Weight
	m    float64
	way  int32
}

// applyRestrictions splits the via nodes of rs in es (see the comment at the
// top of the file). node maps an OSM node id to its graph node (-1 when
// absent); split adds a node at the place of v and returns it. It returns
// the edges and how many restrictions were applied and skipped.
func applyRestrictions(es []impEdge, rs []restriction, ways []keptWay, wayNodes []int64,
	node func(int64) graph.NodeID, split func(graph.NodeID) graph.NodeID) ([]impEdge, int, int) {
	if len(rs) == 0 {
		return es, 0, 0
	}
	wayIdx := make(map[int64]int32, len(ways))
	for i, w := range ways {
		wayIdx[w.id] = int32(i)
	}
	// endsAt reports whether way w starts or ends at OSM node x.
	endsAt := func(w int32, x int64) bool {
		k := ways[w]
		return wayNodes[k.first] == x || wayNodes[k.end-1] == x
	}
	type rule struct {
		from, to int32
		only     bool
	}
	byVia := map[graph.NodeID][]rule{}
	skipped := 0
	for _, r := range rs {
		f, okF := wayIdx[r.from]
		t, okT := wayIdx[r.to]
		x := graph.NodeID(-1)
		if r.via > 0 {
			x = node(r.via)
		}
		if !okF || !okT || x < 0 || !endsAt(f, r.via) || !endsAt(t, r.via) {
			skipped++
			continue
		}
		byVia[x] = append(byVia[x], rule{f, t, r.only})
	}
	in := map[graph.NodeID][]int{}
	out := map[graph.NodeID][]int{}
	for i, e := range es {
		if _, ok := byVia[e.v]; ok {
			in[e.v] = append(in[e.v], i)
		}
		if _, ok := byVia[e.u]; ok {
			out[e.u] = append(out[e.u], i)
		}
	}
	applied := 0
	// in map order would make ids depend on the run: walk the via nodes in
	// the order of their first edge
	var vias []graph.NodeID
	seen := map[graph.NodeID]bool{}
	for _, e := range es {
		for _, x := range [2]graph.NodeID{e.u, e.v} {
			if _, ok := byVia[x]; ok && !seen[x] {
				seen[x] = true
				vias = append(vias, x)
			}
		}
	}
	for _, x := range vias {
		outs := out[x]
		banned := map[int]map[int]bool{} // incoming edge -> banned outgoing edges
		for _, r := range byVia[x] {
			var froms, tos []int
			for _, i := range in[x] {
				if es[i].way == r.from {
					froms = append(froms, i)
				}
			}
			for _, o := range outs {
				if es[o].way == r.to {
					tos = append(tos, o)
				}
			}
			if len(froms) == 0 || len(tos) == 0 {
				skipped++ // e.g. the from way is one-way away from x
				continue
			}
			applied++
			for _, i := range froms {
				if banned[i] == nil {
					banned[i] = map[int]bool{}
				}
				for _, o := range outs {
					isTo := es[o].way == r.to
					if isTo != r.only {
						banned[i][o] = true
					}
				}
			}
		}
		for _, i := range in[x] {
			b := banned[i]
			if len(b) == 0 {
				continue
			}
			c := split(x)
			es[i].v = c
			for _, o := range outs {
				if b[o] {
					continue
				}
				ne := es[o]
				ne.u = c
				es = append(es, ne)
				if _, ok := byVia[ne.v]; ok {
					in[ne.v] = append(in[ne.v], len(es)-1)
				}
			}
		}
	}
	return es, applied, skipped
}
