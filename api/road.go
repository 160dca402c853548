package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo/h3grid"
	"lifeline/routing"
	"lifeline/routing/graph"
	"lifeline/routing/network"
	"lifeline/zones"
)

// MaxStreetFeatures caps the features of GET /v1/streets. The other limits
// of the road endpoints are in Limits.
const MaxStreetFeatures = 20_000

// RoadRoutes registers /v1/route, /v1/matrix, /v1/isochrone, /v1/nearest and
// /v1/snap over n (car). When n is nil they answer 503 no_road_graph. A
// foot network, when given, answers /v1/route?profile=foot.
func RoadRoutes(n *network.Network, foot ...*network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		rh := &roadHandlers{Handlers: h, net: n}
		if len(foot) > 0 {
			rh.foot = foot[0]
		}
		r.GET("/route", rh.route)
		r.POST("/route", rh.route)
		r.POST("/matrix", rh.matrix)
		r.GET("/isochrone", rh.isochrone)
		r.GET("/nearest", rh.nearest)
		r.POST("/nearest", rh.nearest)
		r.GET("/snap", rh.snap)
		r.GET("/streets", rh.streets)
	}
}

type roadHandlers struct {
	*Handlers
	net  *network.Network
	foot *network.Network
}

// snapRadius parses an optional snap radius in metres, in (0, MaxSnapRadius].
func (h *Handlers) snapRadius(v *float64, path string) (float64, error) {
	if v == nil {
		return h.Limits.DefaultSnapRadius, nil
	}
	if !(*v > 0) || *v > h.Limits.MaxSnapRadius {
		return 0, errLimit(path, fmt.Sprintf("%g m is not in (0, %g] m", *v, h.Limits.MaxSnapRadius), h.Limits.MaxSnapRadius)
	}
	return *v, nil
}

// querySnapRadius is snapRadius for the query parameter snap_radius.
func (h *Handlers) querySnapRadius(c *gin.Context) (float64, error) {
	s, ok := c.GetQuery("snap_radius")
	if !ok {
		return h.Limits.DefaultSnapRadius, nil
	}
	v, ok := ParseNumber(s)
	if !ok {
		return 0, errBadRequest("bad_parameter", fmt.Sprintf("query.snap_radius: %q is not a number of metres", s),
			map[string]any{"path": "query.snap_radius"})
	}
	return h.snapRadius(&v, "query.snap_radius")
}

// failSnap renders err, naming path when it is a point that does not snap.
func failSnap(c *gin.Context, err error, path string) {
	var se *graph.SnapError
	if errors.As(err, &se) {
		fail(c, &Error{Status: 422, Code: "too_far_from_road", Message: path + ": " + snapMessage(se),
			Details: map[string]any{"path": path, "snap_radius_m": se.MaxDist}})
		return
	}
	fail(c, err)
}

func (rh *roadHandlers) ready(c *gin.Context) bool {
	if rh.net == nil {
		fail(c, errNoGraph)
		return false
	}
	return true
}

// parseLonLat parses "lon,lat".
func parseLonLat(s, path string) (orb.Point, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return orb.Point{}, errBadRequest("bad_parameter", fmt.Sprintf("%s: %q is not lon,lat", path, s), map[string]any{"path": path})
	}
	var p orb.Point
	for i, q := range parts {
		v, ok := ParseNumber(strings.TrimSpace(q))
		if !ok {
			return orb.Point{}, errBadRequest("bad_parameter", fmt.Sprintf("%s: %q is not lon,lat", path, s), map[string]any{"path": path})
		}
		p[i] = v
	}
	return p, checkPoint(p, path)
}

func pointFrom(v []float64, path string) (orb.Point, error) {
	if len(v) != 2 {
		return orb.Point{}, errUnprocessable(path, fmt.Sprintf("has %d numbers; want [lon, lat]", len(v)))
	}
	p := orb.Point{v[0], v[1]}
	return p, checkPoint(p, path)
}

type routeRequest struct {
	From       []float64 `json:"from"`
	To         []float64 `json:"to"`
	Profile    string    `json:"profile"`
	SnapRadius *float64  `json:"snap_radius"`
}

type routeResponse struct {
	network.Route
	From     network.Snap      `json:"from"`
	To       network.Snap      `json:"to"`
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
	Profile  string            `json:"profile"`
}

func (rh *roadHandlers) route(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	var from, to orb.Point
	var err error
	var opts network.RouteOptions
	profile, profilePath := "car", "query.profile"
	if c.Request.Method == http.MethodPost {
		var req routeRequest
		if err = decodeJSON(c, 4096, &req); err == nil {
			if from, err = pointFrom(req.From, "from"); err == nil {
				if to, err = pointFrom(req.To, "to"); err == nil {
					opts.SnapRadius, err = rh.snapRadius(req.SnapRadius, "snap_radius")
				}
			}
		}
		if req.Profile != "" {
			profile, profilePath = req.Profile, "profile"
		}
	} else {
		if from, err = parseLonLat(c.Query("from"), "query.from"); err == nil {
			if to, err = parseLonLat(c.Query("to"), "query.to"); err == nil {
				if profile, err = queryEnum(c, "profile", "car", "car", "foot"); err == nil {
					opts.SnapRadius, err = rh.querySnapRadius(c)
				}
			}
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	noGeom, err := queryBool(c, "geometry", true)
	if err != nil {
		fail(c, err)
		return
	}
	opts.NoGeometry = !noGeom
	net := rh.net
	switch profile {
	case "car":
	case "foot":
		if rh.foot == nil {
			fail(c, &Error{Status: 422, Code: "profile_unavailable", Message: profilePath + ": no foot network is loaded on this server; only car routes",
				Details: map[string]any{"path": profilePath, "available": []string{"car"}}})
			return
		}
		net = rh.foot
	default:
		fail(c, errUnprocessable(profilePath, fmt.Sprintf("%q is not a profile (car, foot)", profile)))
		return
	}
	r, err := net.Route(c.Request.Context(), from, to, opts)
	if err != nil {
		path := "from"
		if strings.HasPrefix(err.Error(), "route to") {
			path = "to"
		}
		if c.Request.Method != http.MethodPost {
			path = "query." + path
		}
		failSnap(c, err, path)
		return
	}
	if opts.NoGeometry {
		// time and distance only: no line, polyline or street list
		c.JSON(http.StatusOK, gin.H{"time_s": r.Time, "distance_m": r.Distance, "from": r.From, "to": r.To, "version": r.Version, "profile": profile})
		return
	}
	if wantGeoJSON(c) {
		f := geojson.NewFeature(r.Geometry)
		f.Properties = geojson.Properties{"time_s": r.Time, "distance_m": r.Distance, "streets": r.Streets, "from": r.From, "to": r.To, "profile": profile}
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, f)
		return
	}
	c.JSON(http.StatusOK, routeResponse{Route: r, From: r.From, To: r.To, Geometry: geojson.NewGeometry(r.Geometry), Profile: profile})
}

type matrixRequest struct {
	Sources [][]float64 `json:"sources"`
	// Targets defaults to Sources.
	Targets [][]float64 `json:"targets"`
	// SnapRadius (metres) applies to every point without its own radius.
	SnapRadius *float64 `json:"snap_radius"`
	// SourceSnapRadii and TargetSnapRadii give one radius per point (null
	// entries take SnapRadius).
	SourceSnapRadii []*float64 `json:"source_snap_radii"`
	TargetSnapRadii []*float64 `json:"target_snap_radii"`
}

func points(vs [][]float64, path string, max int) ([]orb.Point, error) {
	if len(vs) == 0 {
		return nil, errUnprocessable(path, "at least one [lon, lat] point is required")
	}
	if len(vs) > max {
		return nil, errLimit(path, fmt.Sprintf("%d points given; at most %d", len(vs), max), max)
	}
	ps := make([]orb.Point, len(vs))
	for i, v := range vs {
		p, err := pointFrom(v, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

func (rh *roadHandlers) matrix(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	var req matrixRequest
	if err := decodeJSON(c, rh.MaxBodyBytes, &req); err != nil {
		fail(c, err)
		return
	}
	lim := rh.Limits
	src, err := points(req.Sources, "sources", lim.MaxMatrixPoints)
	if err != nil {
		fail(c, err)
		return
	}
	dst := src
	if req.Targets != nil {
		if dst, err = points(req.Targets, "targets", lim.MaxMatrixPoints); err != nil {
			fail(c, err)
			return
		}
	}
	if len(src)*len(dst) > lim.MaxMatrixCells {
		fail(c, errLimit("targets", fmt.Sprintf("%d x %d cells; at most %d per request", len(src), len(dst), lim.MaxMatrixCells), lim.MaxMatrixCells))
		return
	}
	opts := network.MatrixOptions{Partial: true}
	if opts.SnapRadius, err = rh.snapRadius(req.SnapRadius, "snap_radius"); err != nil {
		fail(c, err)
		return
	}
	if req.SourceSnapRadii != nil || req.TargetSnapRadii != nil {
		opts.SnapRadii = make([]float64, len(src)+len(dst))
		for _, side := range []struct {
			name  string
			radii []*float64
			n, at int
		}{{"source_snap_radii", req.SourceSnapRadii, len(src), 0}, {"target_snap_radii", req.TargetSnapRadii, len(dst), len(src)}} {
			if side.radii == nil {
				continue
			}
			if len(side.radii) != side.n {
				fail(c, errUnprocessable(side.name, fmt.Sprintf("has %d radii for %d points", len(side.radii), side.n)))
				return
			}
			for i, r := range side.radii {
				if r == nil {
					continue
				}
				if opts.SnapRadii[side.at+i], err = rh.snapRadius(r, fmt.Sprintf("%s[%d]", side.name, i)); err != nil {
					fail(c, err)
					return
				}
			}
		}
	}
	tm, dm, snaps, err := rh.net.Matrix(c.Request.Context(), src, dst, opts)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", encodeMatrices(tm, dm, snaps, len(src)))
}

// encodeMatrices writes {"durations":[[...]],"distances":[[...]],"sources":[snaps],"targets":[snaps]}
// by hand: a 1,000 x 1,000 table is two million numbers and encoding/json
// would spend more time than the search. Seconds and metres get one decimal;
// unreachable cells are null, and so are the rows and columns of points
// that did not snap (their snap says why: {"point":null,"error":"..."}).
func encodeMatrices(tm, dm routing.Matrix, snaps []network.Snap, nsrc int) []byte {
	b := make([]byte, 0, 16*len(tm.Data)+64*len(snaps)+64)
	b = append(b, `{"durations":`...)
	b = appendMatrix(b, tm)
	b = append(b, `,"distances":`...)
	b = appendMatrix(b, dm)
	b = append(b, `,"sources":`...)
	b = appendSnaps(b, snaps[:nsrc])
	b = append(b, `,"targets":`...)
	b = appendSnaps(b, snaps[nsrc:])
	return append(b, '}')
}

func appendMatrix(b []byte, m routing.Matrix) []byte {
	b = append(b, '[')
	for i := 0; i < m.Rows; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range m.Data[i*m.Cols : (i+1)*m.Cols] {
			if j > 0 {
				b = append(b, ',')
			}
			if math.IsInf(v, 0) || math.IsNaN(v) {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendFloat(b, math.Round(v*10)/10, 'f', -1, 64)
			}
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func appendSnaps(b []byte, ss []network.Snap) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		var se *graph.SnapError
		switch {
		case s.Err != nil && errors.As(s.Err, &se):
			msg, _ := json.Marshal(snapMessage(se))
			b = fmt.Appendf(b, `{"input":[%g,%g],"point":null,"distance_m":null,"error":%s}`, s.Input[0], s.Input[1], msg)
		case s.Err != nil:
			b = fmt.Appendf(b, `{"input":[%g,%g],"point":null,"distance_m":null,"error":"does not snap to a road"}`, s.Input[0], s.Input[1])
		default:
			b = fmt.Appendf(b, `{"point":[%.7f,%.7f],"distance_m":%.1f}`, s.Point[0], s.Point[1], s.Distance)
		}
	}
	return append(b, ']')
}

type isochroneResponse struct {
	network.Isochrone
	Minutes  float64           `json:"minutes"`
	Geometry *geojson.Geometry `json:"geometry"`
	H3Res    int               `json:"h3_resolution"`
	H3Cells  []string          `json:"h3_cells"`
}

func (rh *roadHandlers) isochrone(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	lon, err := queryFloat(c, "lon", -180, 180)
	if err != nil {
		fail(c, err)
		return
	}
	lat, err := queryFloat(c, "lat", -90, 90)
	if err != nil {
		fail(c, err)
		return
	}
	lim := rh.Limits
	mins, err := queryFloat(c, "minutes", 0.1, math.MaxFloat64)
	if err != nil {
		fail(c, err)
		return
	}
	if mins > lim.MaxIsochroneMinutes {
		fail(c, errLimit("query.minutes", fmt.Sprintf("%g minutes; at most %g", mins, lim.MaxIsochroneMinutes), lim.MaxIsochroneMinutes))
		return
	}
	res, err := queryInt(c, "h3_res", 9, h3grid.MaxResolution)
	if err != nil {
		fail(c, err)
		return
	}
	if res > lim.MaxH3Res {
		fail(c, errLimit("query.h3_res", fmt.Sprintf("resolution %d; at most %d", res, lim.MaxH3Res), lim.MaxH3Res))
		return
	}
	ctx := c.Request.Context()
	iso, err := rh.net.Isochrone(ctx, orb.Point{lon, lat}, mins*60)
	if err != nil {
		failSnap(c, err, "query.lon,lat")
		return
	}
	// Bound the answer before computing it: the polygon's area over the
	// cell area estimates the cells (the nodes add at most one each).
	e := h3grid.EdgeLengthM(res)
	est := geo.Area(iso.Polygon) / (3 * math.Sqrt(3) / 2 * e * e)
	if est > float64(lim.MaxIsochroneCells) {
		fail(c, errLimit("query.h3_res", fmt.Sprintf("about %.0f cells at resolution %d; at most %d per answer: use a coarser resolution or fewer minutes",
			est, res, lim.MaxIsochroneCells), lim.MaxIsochroneCells))
		return
	}
	// H3 cells of the reached nodes, plus the cells the polygon covers.
	seen := map[h3grid.Index]struct{}{}
	for i, p := range iso.Nodes {
		if i&1023 == 1023 && ctx.Err() != nil {
			fail(c, ctx.Err())
			return
		}
		seen[h3grid.Cell(p, res)] = struct{}{}
	}
	for _, cell := range h3grid.PolygonCells(iso.Polygon, res) {
		seen[cell] = struct{}{}
	}
	if len(seen) > lim.MaxIsochroneCells {
		fail(c, errLimit("query.h3_res", fmt.Sprintf("%d cells at resolution %d; at most %d per answer", len(seen), res, lim.MaxIsochroneCells), lim.MaxIsochroneCells))
		return
	}
	if ctx.Err() != nil {
		fail(c, ctx.Err())
		return
	}
	cells := make([]string, 0, len(seen))
	for cell := range seen {
		cells = append(cells, cell.String())
	}
	sort.Strings(cells)
	if wantGeoJSON(c) {
		f := geojson.NewFeature(iso.Polygon)
		f.Properties = geojson.Properties{"minutes": mins, "from": iso.From, "h3_resolution": res, "h3_cells": cells}
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, f)
		return
	}
	c.JSON(http.StatusOK, isochroneResponse{Isochrone: iso, Minutes: mins, Geometry: geojson.NewGeometry(iso.Polygon), H3Res: res, H3Cells: cells})
}

type nearestRequest struct {
	Point []float64 `json:"point"`
	K     int       `json:"k"`
	// Kind picks facilities of the store (hospital, pharmacy, ...).
	Kind string `json:"kind"`
	// Accepts keeps only hospitals accepting this health-code colour.
	Accepts string `json:"accepts"`
}

type nearestItem struct {
	Facility   zones.Facility `json:"facility"`
	Time       float64        `json:"time_s"`
	Distance   float64        `json:"distance_m"`
	Candidates int            `json:"-"`
}

// nearest answers the k facilities of a kind reachable fastest from a point:
// GET ?lon=&lat=&kind=hospital&k=3&accepts=red or POST the same as JSON.
func (rh *roadHandlers) nearest(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	var req nearestRequest
	var p orb.Point
	var err error
	if c.Request.Method == http.MethodPost {
		if err = decodeJSON(c, 4096, &req); err == nil {
			p, err = pointFrom(req.Point, "point")
		}
	} else {
		req.Kind, req.Accepts = c.Query("kind"), c.Query("accepts")
		if req.K, err = queryInt(c, "k", 3, math.MaxInt32); err == nil {
			p, err = parseLonLat(c.Query("lon")+","+c.Query("lat"), "query.lon,lat")
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	if req.K == 0 {
		req.K = 3
	}
	if req.K < 0 || req.K > rh.Limits.MaxNearestResults {
		fail(c, errLimit("k", fmt.Sprintf("must be in [1, %d]", rh.Limits.MaxNearestResults), rh.Limits.MaxNearestResults))
		return
	}
	kind := zones.FacilityKind(req.Kind)
	if !kind.Valid() {
		fail(c, errUnprocessable("kind", fmt.Sprintf("%q is not a facility kind (hospital, pharmacy, health_centre, supply_point, depot, candidate_site)", req.Kind)))
		return
	}
	fs, err := rh.Store.ListFacilities(c.Request.Context(), zones.FacilityFilter{Kind: kind})
	if err != nil {
		fail(c, err)
		return
	}
	if req.Accepts != "" {
		kept := fs[:0]
		for _, f := range fs {
			for _, a := range f.Accepts {
				if string(a) == req.Accepts {
					kept = append(kept, f)
					break
				}
			}
		}
		fs = kept
	}
	cands := make([]orb.Point, len(fs))
	for i, f := range fs {
		cands[i] = f.Point
	}
	out := []nearestItem{}
	if len(cands) > 0 {
		ns, err := rh.net.Nearest(c.Request.Context(), p, cands, req.K)
		if err != nil {
			path := "point"
			if c.Request.Method != http.MethodPost {
				path = "query.lon,lat"
			}
			failSnap(c, err, path)
			return
		}
		for _, n := range ns {
			out = append(out, nearestItem{Facility: fs[n.Index], Time: n.Time, Distance: n.Distance})
		}
	}
	c.JSON(http.StatusOK, gin.H{"point": p, "nearest": out})
}

func (rh *roadHandlers) snap(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	p, err := parseLonLat(c.Query("lon")+","+c.Query("lat"), "query.lon,lat")
	if err != nil {
		fail(c, err)
		return
	}
	radius, err := rh.querySnapRadius(c)
	if err != nil {
		fail(c, err)
		return
	}
	s, err := rh.net.SnapWithin(p, radius)
	if err != nil {
		failSnap(c, err, "query.lon,lat")
		return
	}
	c.JSON(http.StatusOK, s)
}

// streets answers the road segments of the loaded graph as a GeoJSON
// FeatureCollection for the map (each two-way road once, one-way roads with
// oneway=true), optionally only those crossing bbox (network.Streets, a
// grid index); at most MaxStreetFeatures, with "truncated": true when more
// would match.
func (rh *roadHandlers) streets(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	bbox, err := queryBBox(c)
	if err != nil {
		fail(c, err)
		return
	}
	ss, truncated := rh.net.Streets(bbox, MaxStreetFeatures)
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, len(ss))
	for i, s := range ss {
		f := geojson.NewFeature(orb.LineString{s.From, s.To})
		f.Properties = geojson.Properties{"name": s.Name, "oneway": s.Oneway}
		fc.Features[i] = f
	}
	fc.ExtraMembers = geojson.Properties{"profile": rh.net.Profile(), "truncated": truncated}
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, fc)
}
