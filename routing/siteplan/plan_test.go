package siteplan

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo"
	"lifeline/geo/h3grid"
	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
	"lifeline/zones"
)

// square returns a compound polygon of side ~2·r metres around c and its
// four gates (mid-sides).
func square(c orb.Point, r float64) (orb.MultiPolygon, []orb.Point) {
	mx, my := geo.MetersPerDegree(c[1])
	dx, dy := r/mx, r/my
	ring := orb.Ring{{c[0] - dx, c[1] - dy}, {c[0] + dx, c[1] - dy}, {c[0] + dx, c[1] + dy}, {c[0] - dx, c[1] + dy}, {c[0] - dx, c[1] - dy}}
	gates := []orb.Point{{c[0], c[1] - dy}, {c[0] + dx, c[1]}, {c[0], c[1] + dy}, {c[0] - dx, c[1]}}
	return orb.MultiPolygon{{ring}}, gates
}

// offset moves p by (east, north) metres.
func offset(p orb.Point, east, north float64) orb.Point {
	mx, my := geo.MetersPerDegree(p[1])
	return orb.Point{p[0] + east/mx, p[1] + north/my}
}

var origin = orb.Point{-51.2, -30.05}

// district is a small synthetic district: 12 shared compounds on a 3x4
// grid 500 m apart, one sealed and one controlled compound, a few cells.
func district() Request {
	var req Request
	id := int64(1)
	for x := 0; x < 4; x++ {
		for y := 0; y < 3; y++ {
			c := offset(origin, float64(x)*500, float64(y)*500)
			mp, gates := square(c, 80)
			req.Compounds = append(req.Compounds, CompoundDemand{Compound: zones.Compound{ID: id, Name: "c", Geometry: mp,
				Population: 800 + 100*int(id), Aged60Plus: 100, Households: 300, Gates: gates}})
			id++
		}
	}
	mp, gates := square(offset(origin, 2000, 0), 60)
	req.Compounds = append(req.Compounds, CompoundDemand{Compound: zones.Compound{ID: 100, Name: "sealed one", Geometry: mp,
		Population: 1500, Aged60Plus: 400, Households: 600, Gates: gates}, Zone: zones.KindSealed})
	mp, gates = square(offset(origin, 2000, 1000), 60)
	req.Compounds = append(req.Compounds, CompoundDemand{Compound: zones.Compound{ID: 200, Name: "controlled one", Geometry: mp,
		Population: 1200, Aged60Plus: 200, Households: 500, Gates: gates}, Zone: zones.KindControlled})
	for k := 0; k < 3; k++ {
		c := h3grid.Cell(offset(origin, -600, float64(k)*400), 9)
		req.Cells = append(req.Cells, CellDemand{Cell: c.String(), Population: 500})
	}
	req.Candidates = []zones.Facility{{ID: 7, Kind: zones.FacilityCandidateSite, Name: "school", Point: offset(origin, 750, 500), Capacity: 4}}
	req.Sites = 4
	req.Seed = 1
	req.TimeLimitSeconds = 2
	req.Round = &Round{DeadlineHours: 8, PeoplePerDeskHour: 60, MaxQueue: 40, SwabsPerTeamHour: 15}
	return req
}

func totalPeople(req Request) float64 {
	t := 0.0
	for _, c := range req.Compounds {
		t += float64(c.Population)
	}
	for _, c := range req.Cells {
		t += c.Population
	}
	for _, p := range req.Points {
		t += p.Population
	}
	return t
}

func TestPlanDistrict(t *testing.T) {
	req := district()
	res, err := Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, req, res)
	if res.Method != "straight-line x1.3 at 5 km/h" {
		t.Errorf("method %q", res.Method)
	}
	if res.Summary.SharedSites != 4 || res.Summary.Dedicated != 1 {
		t.Fatalf("shared %d dedicated %d", res.Summary.SharedSites, res.Summary.Dedicated)
	}
	// Sealed: door to door only.
	d := res.DoorToDoor
	if len(d.Groups) != 1 || d.People != 1500 || d.Households != 600 || d.Aged60Plus != 400 {
		t.Fatalf("door to door %+v", d)
	}
	if d.TeamHours != 100 || d.Teams != 13 { // 1500/15 = 100 team-hours over 8 h
		t.Fatalf("teams %v %v", d.TeamHours, d.Teams)
	}
	for _, a := range res.Assignments {
		if a.Demand == "compound:100" {
			t.Fatal("sealed compound assigned to a site")
		}
	}
	// Controlled: own site at one of its gates, serving only it.
	var ded *Site
	for k := range res.Sites {
		if res.Sites[k].Dedicated {
			ded = &res.Sites[k]
		}
	}
	_, gates := square(offset(origin, 2000, 1000), 60)
	onGate := false
	for _, g := range gates {
		onGate = onGate || g == ded.Point
	}
	if ded.ID != "compound:200" || !onGate || ded.People != 1200 {
		t.Fatalf("dedicated site %+v", *ded)
	}
	for _, s := range res.Sites {
		if !s.Dedicated && (strings.HasPrefix(s.ID, "gate:100:") || strings.HasPrefix(s.ID, "gate:200:")) {
			t.Fatalf("shared site %s at a sealed or controlled gate", s.ID)
		}
	}
	if res.Solver.LowerBound > res.Solver.Objective+1e-6 || res.Solver.Gap < 0 {
		t.Fatalf("solver %+v", res.Solver)
	}
	// The result renders as JSON with the GeoJSON layer.
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		GeoJSON geojson.FeatureCollection `json:"geojson"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	layers := map[string]int{}
	for _, f := range back.GeoJSON.Features {
		layers[f.Properties.MustString("layer", "")]++
	}
	if layers["site"] != len(res.Sites) || layers["door_to_door"] != 1 || layers["demand"] == 0 || layers["assignment"] == 0 {
		t.Fatalf("layers %v", layers)
	}
}

// checkResult is the independent checker of a plan: people conserved,
// assignments to open sites with recomputed straight-line walks, nearest
// open shared site (uncapacitated models), coverage shares, desks and
// queue limits of the round.
func checkResult(t *testing.T, req Request, res *Result) {
	t.Helper()
	total := totalPeople(req)
	if math.Abs(res.Summary.People-total) > 1e-6 || math.Abs(res.Summary.PeopleAtSites+res.DoorToDoor.People-total) > 1e-6 {
		t.Fatalf("people %v at sites %v door %v, want %v", res.Summary.People, res.Summary.PeopleAtSites, res.DoorToDoor.People, total)
	}
	speed, detour := req.Walk.SpeedKmh, req.Walk.Detour
	if speed == 0 {
		speed = 5
	}
	if detour == 0 {
		detour = 1.3
	}
	perSite := make([]float64, len(res.Sites))
	var w10 float64
	for _, a := range res.Assignments {
		if a.Site < 0 || a.WalkMin == nil {
			continue
		}
		s := res.Sites[a.Site]
		perSite[a.Site] += a.People
		want := geo.Equirectangular(a.Point, s.Point) * detour / (speed / 3.6) / 60
		if !s.Dedicated && math.Abs(*a.WalkMin-want) > 1e-6 {
			t.Fatalf("%s: walk %v min, recomputed %v", a.Demand, *a.WalkMin, want)
		}
		if !s.Dedicated && req.Model != ModelCapacitated {
			for _, o := range res.Sites {
				if !o.Dedicated && geo.Equirectangular(a.Point, o.Point) < geo.Equirectangular(a.Point, s.Point)-1e-6 {
					t.Fatalf("%s goes to %s but %s is nearer", a.Demand, s.ID, o.ID)
				}
			}
		}
		if *a.WalkMin <= 10 {
			w10 += a.People
		}
	}
	if res.Summary.PeopleAtSites > 0 && math.Abs(w10/res.Summary.PeopleAtSites-res.Summary.Within10Min) > 1e-9 {
		t.Fatalf("within 10 min %v, recomputed %v", res.Summary.Within10Min, w10/res.Summary.PeopleAtSites)
	}
	for k, s := range res.Sites {
		if math.Abs(s.People-perSite[k]) > 1e-6 {
			t.Fatalf("site %s people %v, recomputed %v", s.ID, s.People, perSite[k])
		}
	}
	rd := req.Round
	if rd == nil {
		return
	}
	q := float64(rd.MaxQueue)
	if q == 0 {
		q = 50
	}
	slotPeople := make([]float64, len(res.Sites))
	for _, sl := range res.Slots {
		s := res.Sites[sl.Site]
		perHour := float64(s.Desks) * rd.PeoplePerDeskHour
		slotMin := q / perHour * 60
		if sl.EndMin > s.FinishMin+1e-6 || sl.StartMin < 0 || sl.EndMin < sl.StartMin {
			t.Fatalf("slot %+v outside [0, %v]", sl, s.FinishMin)
		}
		// At most MaxQueue people per slot of the window.
		nSlots := math.Ceil((sl.EndMin-sl.StartMin)/slotMin - 1e-9)
		if sl.People > q*math.Max(nSlots, 1)+1e-6 {
			t.Fatalf("slot %+v: %v people in %v slots of %v", sl, sl.People, nSlots, q)
		}
		slotPeople[sl.Site] += sl.People
	}
	for k, s := range res.Sites {
		if math.Abs(slotPeople[k]-s.People) > 1e-6 {
			t.Fatalf("site %s: slots hold %v people, site %v", s.ID, slotPeople[k], s.People)
		}
		if s.People == 0 {
			continue
		}
		capacity := float64(s.Desks) * rd.PeoplePerDeskHour * rd.DeadlineHours
		if s.LateByMin == 0 && capacity < s.People-1e-6 {
			t.Fatalf("site %s: %d desks cannot swab %v people by the deadline", s.ID, s.Desks, s.People)
		}
		if s.Desks > 1 && float64(s.Desks-1)*rd.PeoplePerDeskHour*rd.DeadlineHours >= s.People {
			t.Fatalf("site %s: %d desks, one fewer would do", s.ID, s.Desks)
		}
	}
}

func TestPlanModels(t *testing.T) {
	for _, model := range []string{ModelPMedian, ModelCapacitated, ModelMaxCover, ModelSetCover} {
		t.Run(model, func(t *testing.T) {
			req := district()
			req.Model = model
			req.CoverMinutes = 6
			req.Round.MaxDesksPerSite = 3
			req.OmitGeoJSON = true
			res, err := Plan(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, req, res)
			switch model {
			case ModelCapacitated:
				for _, s := range res.Sites {
					capPeople := 3.0 * 60 * 8
					if s.Source == "facility" {
						capPeople = 4 * 60 * 8
					}
					if !s.Dedicated && s.People > capPeople+1e-6 {
						t.Fatalf("site %s: %v people > capacity %v", s.ID, s.People, capPeople)
					}
				}
			case ModelSetCover:
				for _, a := range res.Assignments {
					if strings.HasPrefix(a.Demand, "cell:") && (a.WalkMin == nil || *a.WalkMin > 6+1e-9) {
						t.Fatalf("%s walks %v min > 6", a.Demand, *a.WalkMin)
					}
				}
			}
		})
	}
}

func TestPlanValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *Request)
		path string
	}{
		{"unknown model", func(r *Request) { r.Model = "k-means" }, "model"},
		{"no sites", func(r *Request) { r.Sites = 0 }, "sites"},
		{"too many sites", func(r *Request) { r.Sites = 10000 }, "sites"},
		{"empty demand", func(r *Request) { r.Compounds, r.Cells = nil, nil }, "compounds"},
		{"zero people", func(r *Request) {
			for k := range r.Compounds {
				r.Compounds[k].Population = 0
			}
			r.Cells = nil
		}, "compounds"},
		{"negative population", func(r *Request) { r.Compounds[2].Population = -5 }, "compounds[2].population"},
		{"negative cell population", func(r *Request) { r.Cells[1].Population = -1 }, "cells[1].population"},
		{"bad cell", func(r *Request) { r.Cells[0].Cell = "not-a-cell" }, "cells[0].cell"},
		{"bad point", func(r *Request) { r.Points = []PointDemand{{Point: orb.Point{200, 0}, Population: 1}} }, "points[0].point"},
		{"bad zone", func(r *Request) { r.Compounds[0].Zone = "red" }, "compounds[0].zone"},
		{"wrong facility kind", func(r *Request) { r.Candidates[0].Kind = zones.FacilityHospital }, "candidates[0].kind"},
		{"capacitated without round", func(r *Request) { r.Model, r.Round = ModelCapacitated, nil }, "round"},
		{"bad deadline", func(r *Request) { r.Round.DeadlineHours = -1 }, "round.deadline_hours"},
		{"bad source", func(r *Request) { r.CandidatesFrom = []string{"cells", "roofs"} }, "candidates_from[1]"},
		{"bad resolution", func(r *Request) { r.Resolution = 14 }, "resolution"},
		{"no gates no polygon", func(r *Request) {
			r.Compounds[0].Gates = nil
			r.Compounds[0].Geometry = nil
			r.Compounds[0].Compound.Geometry = nil
		}, "compounds[0].geometry"},
		{"bad speed", func(r *Request) { r.Walk.SpeedKmh = -3 }, "walk.speed_kmh"},
		{"bad time limit", func(r *Request) { r.TimeLimitSeconds = 1e6 }, "time_limit_seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := district()
			tc.edit(&req)
			_, err := Plan(context.Background(), req, nil)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err %v, want a validation error", err)
			}
			if ve.Path != tc.path {
				t.Fatalf("path %q (%s), want %q", ve.Path, ve.Message, tc.path)
			}
		})
	}
}

func TestPlanWalkFunc(t *testing.T) {
	req := district()
	req.OmitGeoJSON = true
	calls := 0
	walk := func(from, to []orb.Point) (routing.Matrix, error) {
		calls++
		m := routing.NewMatrix(len(from), len(to))
		for i, p := range from {
			for j, q := range to {
				m.Set(i, j, 2*geo.Haversine(p, q)) // 0.5 m/s
			}
		}
		// One cell unreachable from everywhere: reported, not fatal.
		return m, nil
	}
	res, err := Plan(context.Background(), req, walk)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || res.Method != "road network (foot)" {
		t.Fatalf("calls %d method %q", calls, res.Method)
	}
	boom := errors.New("no graph")
	_, err = Plan(context.Background(), req, func(from, to []orb.Point) (routing.Matrix, error) { return routing.Matrix{}, boom })
	if !errors.Is(err, ErrWalk) || !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	_, err = Plan(context.Background(), req, func(from, to []orb.Point) (routing.Matrix, error) { return routing.NewMatrix(1, 1), nil })
	if !errors.Is(err, ErrWalk) {
		t.Fatalf("wrong-size matrix: err %v", err)
	}
	// Unreachable cells are reported, not fatal.
	res, err = Plan(context.Background(), req, func(from, to []orb.Point) (routing.Matrix, error) {
		m, _ := walk(from, to)
		for j := 0; j < m.Cols; j++ {
			m.Set(0, j, routing.Unreachable)
		}
		return m, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Unreachable <= 0 {
		t.Fatalf("unreachable %v", res.Summary.Unreachable)
	}
}

func TestPlanPointZone(t *testing.T) {
	req := district()
	req.OmitGeoJSON = true
	// Everything east of the 2nd column is a controlled zone: no shared
	// candidate there; compounds there get dedicated sites.
	limit := offset(origin, 700, 0)[0]
	req.PointZone = func(p orb.Point) zones.Kind {
		if p[0] > limit {
			return zones.KindControlled
		}
		return zones.KindNone
	}
	req.CompoundZone = func(c zones.Compound) zones.Kind {
		if c.Gates[0][0] > limit {
			return zones.KindControlled
		}
		return zones.KindNone
	}
	res, err := Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, req, res)
	for _, s := range res.Sites {
		if !s.Dedicated && s.Point[0] > limit {
			t.Fatalf("shared site %s inside the controlled zone", s.ID)
		}
	}
	if res.Summary.Dedicated < 6 {
		t.Fatalf("%d dedicated sites", res.Summary.Dedicated)
	}
}

func TestReplan(t *testing.T) {
	req := district()
	req.OmitGeoJSON = true
	req.TimeLimitSeconds = 0.5
	first, err := Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cur []CurrentSite
	for _, s := range first.Sites {
		if !s.Dedicated {
			cur = append(cur, CurrentSite{ID: s.ID, Point: s.Point})
		}
	}
	// Demand moves: a big new settlement far west.
	req.Points = []PointDemand{{ID: "camp", Point: offset(origin, -2500, 500), Population: 9000}}
	req.Current = cur
	req.MaxMoves = 1
	res, err := Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, req, res)
	ch := res.Changes
	if ch == nil || len(ch.Closed) != len(ch.Opened) || len(ch.Closed) > 1 || len(ch.Kept)+len(ch.Closed) != len(cur) {
		t.Fatalf("changes %+v", ch)
	}
	if len(ch.Opened) != 1 {
		t.Fatalf("a 9000-person camp 2.5 km away should move one site: %+v", ch)
	}
	// Without new demand and with moves allowed, the plan keeps its sites.
	req.Points = nil
	res, err = Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes.Kept) != len(cur) {
		t.Fatalf("stable plan changed: %+v", res.Changes)
	}
}

func TestPortoAlegreSmall(t *testing.T) {
	f, err := os.Open(sdtest.Path(t, "geo/population/porto-alegre-h3r9-hexgrid.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := ReadPopulationCSV(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, c := range cells {
		total += c.Population
	}
	if len(cells) != 1227 || total != 812935 {
		t.Fatalf("%d cells, %v people", len(cells), total)
	}
	// Coarser resolution keeps the test fast: res 8 (~7x fewer cells).
	req := Request{Cells: cells, Sites: 20, Resolution: 8, CandidatesFrom: []string{FromCells}, TimeLimitSeconds: 1, OmitGeoJSON: true}
	res, err := Plan(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, req, res)
	if res.Summary.SharedSites != 20 || res.Summary.Within15Min < 0.5 {
		t.Fatalf("summary %+v", res.Summary)
	}
}

func TestReadPopulationCSV(t *testing.T) {
	ok := "id,lon,lat,population,jobs\n89a901291abffff,-51.15,-30.05,12,\n89a9012a3cfffff,-51.2,-30.1,,3\n"
	got, err := ReadPopulationCSV(strings.NewReader(ok))
	if err != nil || len(got) != 2 || got[0].Population != 12 || got[1].Population != 0 || got[1].Cell != "89a9012a3cfffff" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "lon,lat\n1,2\n", "id,population\nxyz,3\n", "id,population\n89a901291abffff,-3\n",
		"id,population\n89a901291abffff,NaN\n", "id,population\n89a901291abffff\n", "h3,pop\n89a901291abffff,\"x\n"} {
		if _, err := ReadPopulationCSV(strings.NewReader(bad)); !errors.Is(err, ErrInput) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestReadDemandGeoJSON(t *testing.T) {
	ok := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[-51.2,-30.05]},"properties":{"population":120}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[-51.21,-30.06]},"properties":{"population":30,"id":7,"zone":"sealed"}}]}`
	got, err := ReadDemandGeoJSON(strings.NewReader(ok), "")
	if err != nil || len(got) != 2 || got[0].ID != "a" || got[1].ID != "7" || got[1].Zone != zones.KindSealed || got[0].Point != (orb.Point{-51.2, -30.05}) {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "{}", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{"population":1}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"population":-1}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,95]},"properties":{"population":1}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"population":1,"zone":"red"}}]}`} {
		if _, err := ReadDemandGeoJSON(strings.NewReader(bad), ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzReadPopulationCSV(f *testing.F) {
	f.Add("id,lon,lat,population\n89a901291abffff,-51.15,-30.05,12\n")
	f.Add("h3,pop\n89a9012a3cfffff,\n")
	f.Add("id,population\nzz,1\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ReadPopulationCSV(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error class: %v", err)
			}
			return
		}
		for _, c := range got {
			if _, err := h3grid.Parse(c.Cell); err != nil || !(c.Population >= 0) {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

func FuzzReadDemandGeoJSON(f *testing.F) {
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[-51.2,-30.05]},"properties":{"population":120}}]}`)
	f.Add(`{"type":"FeatureCollection","features":[]}`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ReadDemandGeoJSON(strings.NewReader(s), "population")
		if err != nil {
			return
		}
		for _, p := range got {
			if !validPoint(p.Point) || !(p.Population >= 0) || math.IsInf(p.Population, 0) {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}
