package siteplan

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo/h3grid"
)

// round sizes desks and invitation slots per site and the door-to-door
// teams.
//
// Queue model: a site with d desks swabs d·PeoplePerDeskHour people an
// hour. Its groups (demand cells in cell-id order, or the dedicated
// compound) are invited in consecutive slots of at most MaxQueue people;
// a slot lasts MaxQueue/(d·rate) hours, the time the desks need to clear a
// full queue, so at most MaxQueue people ever wait (all of a slot arriving
// at its start is the worst case). d is the fewest desks that finish the
// site's people before the deadline, capped by MaxDesksPerSite; a capped
// site reports LateByMin.
func (b *builder) round() {
	d := &b.res.DoorToDoor
	for _, g := range d.Groups {
		d.People += g.People
		d.Households += g.Households
		d.Aged60Plus += g.Aged60Plus
	}
	if d.Groups == nil {
		d.Groups = []DoorGroup{}
	}
	rd := b.req.Round
	if rd == nil {
		return
	}
	H := rd.DeadlineHours
	if d.People > 0 {
		d.TeamHours = d.People / rd.SwabsPerTeamHour
		d.Teams = int(math.Ceil(d.TeamHours/H - 1e-9))
		for k := range d.Groups {
			g := &d.Groups[k]
			g.TeamHours = g.People / rd.SwabsPerTeamHour
			g.Teams = int(math.Ceil(g.TeamHours/H - 1e-9))
		}
	}
	res := b.res
	bySite := make([][]int, len(res.Sites))
	for ai, a := range res.Assignments {
		if a.Site >= 0 && a.People > 0 {
			bySite[a.Site] = append(bySite[a.Site], ai)
		}
	}
	rate := rd.PeoplePerDeskHour
	Q := float64(rd.MaxQueue)
	for s, list := range bySite {
		n := 0.0
		for _, ai := range list {
			n += res.Assignments[ai].People
		}
		if n <= 0 {
			continue
		}
		desks := int(math.Ceil(n/(rate*H) - 1e-9))
		desks = max(desks, 1)
		if rd.MaxDesksPerSite > 0 && desks > rd.MaxDesksPerSite {
			desks = rd.MaxDesksPerSite
		}
		perHour := float64(desks) * rate
		finish := n / perHour
		slotH := Q / perHour
		cum := 0.0
		for _, ai := range list {
			a := res.Assignments[ai]
			first := math.Floor(cum/Q + 1e-9)
			last := math.Ceil((cum+a.People)/Q - 1e-9)
			res.Slots = append(res.Slots, Slot{Site: s, Demand: a.Demand, People: a.People,
				StartMin: first * slotH * 60, EndMin: math.Min(last*slotH, finish) * 60})
			cum += a.People
		}
		st := &res.Sites[s]
		st.Desks = desks
		st.FinishMin = finish * 60
		if finish > H+1e-9 {
			st.LateByMin = (finish - H) * 60
			res.Warnings = append(res.Warnings, fmt.Sprintf("site %s needs %.0f min more than the deadline with %d desks", st.ID, st.LateByMin, desks))
		}
	}
}

// geojson builds the map layer: sites as points, shared demand cells as
// H3 polygons, assignments as lines from demand to site, door-to-door
// groups as points. Every feature has a "layer" property: "site",
// "demand", "assignment" or "door_to_door".
func (b *builder) geojson() *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	res := b.res
	for k, s := range res.Sites {
		f := geojson.NewFeature(s.Point)
		f.Properties = geojson.Properties{"layer": "site", "index": k, "id": s.ID, "name": s.Name, "source": s.Source,
			"dedicated": s.Dedicated, "people": math.Round(s.People), "mean_walk_min": round1(s.MeanWalkMin),
			"max_walk_min": round1(s.MaxWalkMin), "desks": s.Desks}
		fc.Append(f)
	}
	walkOf := map[string]*float64{}
	siteOf := map[string]int{}
	for _, a := range res.Assignments {
		walkOf[a.Demand] = a.WalkMin
		siteOf[a.Demand] = a.Site
		if a.Site < 0 {
			continue
		}
		f := geojson.NewFeature(orb.LineString{a.Point, res.Sites[a.Site].Point})
		f.Properties = geojson.Properties{"layer": "assignment", "demand": a.Demand, "site": res.Sites[a.Site].ID,
			"people": math.Round(a.People), "walk_min": roundPtr(a.WalkMin)}
		fc.Append(f)
	}
	for i, c := range b.cells {
		id := "cell:" + c.String()
		f := geojson.NewFeature(c.Boundary())
		props := geojson.Properties{"layer": "demand", "cell": c.String(), "people": math.Round(b.cellW[i]),
			"walk_min": roundPtr(walkOf[id])}
		if s, ok := siteOf[id]; ok && s >= 0 {
			props["site"] = res.Sites[s].ID
		}
		f.Properties = props
		fc.Append(f)
	}
	for _, g := range res.DoorToDoor.Groups {
		var geom orb.Geometry = g.Point
		if len(g.Demand) > 5 && g.Demand[:5] == "cell:" {
			if c, err := h3grid.Parse(g.Demand[5:]); err == nil {
				geom = c.Boundary()
			}
		}
		f := geojson.NewFeature(geom)
		f.Properties = geojson.Properties{"layer": "door_to_door", "demand": g.Demand, "name": g.Name,
			"people": g.People, "households": g.Households, "aged_60_plus": g.Aged60Plus, "teams": g.Teams}
		fc.Append(f)
	}
	return fc
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func roundPtr(v *float64) any {
	if v == nil {
		return nil
	}
	return round1(*v)
}
