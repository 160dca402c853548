package api

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo/h3grid"
	"lifeline/routing"
	"lifeline/routing/network"
	"lifeline/zones"
)

// Limits of the road endpoints.
const (
	MaxMatrixCells    = 1_000_000 // sources x targets
	MaxMatrixPoints   = 2_000     // sources or targets
	MaxIsochroneMins  = 120
	MaxNearestResults = 50
	MaxStreetFeatures = 20_000
)

// RoadRoutes registers /v1/route, /v1/matrix, /v1/isochrone, /v1/nearest and
// /v1/snap over n. When n is nil they answer 503 no_road_graph.
func RoadRoutes(n *network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		rh := &roadHandlers{Handlers: h, net: n}
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
	net *network.Network
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
		v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
		if err != nil {
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
	From []float64 `json:"from"`
	To   []float64 `json:"to"`
}

type routeResponse struct {
	network.Route
	From     network.Snap      `json:"from"`
	To       network.Snap      `json:"to"`
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

func (rh *roadHandlers) route(c *gin.Context) {
	if !rh.ready(c) {
		return
	}
	var from, to orb.Point
	var err error
	if c.Request.Method == http.MethodPost {
		var req routeRequest
		if err = decodeJSON(c, 4096, &req); err == nil {
			if from, err = pointFrom(req.From, "from"); err == nil {
				to, err = pointFrom(req.To, "to")
			}
		}
	} else {
		if from, err = parseLonLat(c.Query("from"), "query.from"); err == nil {
			to, err = parseLonLat(c.Query("to"), "query.to")
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	var opts network.RouteOptions
	switch g := c.Query("geometry"); g {
	case "", "true":
	case "false":
		opts.NoGeometry = true
	default:
		fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.geometry: %q is not true or false", g), map[string]any{"path": "query.geometry"}))
		return
	}
	r, err := rh.net.Route(c.Request.Context(), from, to, opts)
	if err != nil {
		fail(c, err)
		return
	}
	if opts.NoGeometry {
		// time and distance only: no line, polyline or street list
		c.JSON(http.StatusOK, gin.H{"time_s": r.Time, "distance_m": r.Distance, "from": r.From, "to": r.To, "version": r.Version})
		return
	}
	if wantGeoJSON(c) {
		f := geojson.NewFeature(r.Geometry)
		f.Properties = geojson.Properties{"time_s": r.Time, "distance_m": r.Distance, "streets": r.Streets, "from": r.From, "to": r.To}
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, f)
		return
	}
	c.JSON(http.StatusOK, routeResponse{Route: r, From: r.From, To: r.To, Geometry: geojson.NewGeometry(r.Geometry)})
}

type matrixRequest struct {
	Sources [][]float64 `json:"sources"`
	// Targets defaults to Sources.
	Targets [][]float64 `json:"targets"`
}

func points(vs [][]float64, path string) ([]orb.Point, error) {
	if len(vs) == 0 {
		return nil, errUnprocessable(path, "at least one [lon, lat] point is required")
	}
	if len(vs) > MaxMatrixPoints {
		return nil, errUnprocessable(path, fmt.Sprintf("%d points given; at most %d", len(vs), MaxMatrixPoints))
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
	src, err := points(req.Sources, "sources")
	if err != nil {
		fail(c, err)
		return
	}
	dst := src
	if req.Targets != nil {
		if dst, err = points(req.Targets, "targets"); err != nil {
			fail(c, err)
			return
		}
	}
	if len(src)*len(dst) > MaxMatrixCells {
		fail(c, errUnprocessable("targets", fmt.Sprintf("%d x %d cells; at most %d per request", len(src), len(dst), MaxMatrixCells)))
		return
	}
	tm, dm, snaps, err := rh.net.Matrix(c.Request.Context(), src, dst, network.MatrixOptions{})
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", encodeMatrices(tm, dm, snaps, len(src)))
}

// encodeMatrices writes {"durations":[[...]],"distances":[[...]],"sources":[snaps],"targets":[snaps]}
// by hand: a 1,000 x 1,000 table is two million numbers and encoding/json
// would spend more time than the search. Seconds and metres get one decimal;
// unreachable cells are null.
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
		b = fmt.Appendf(b, `{"point":[%.7f,%.7f],"distance_m":%.1f}`, s.Point[0], s.Point[1], s.Distance)
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
	mins, err := queryFloat(c, "minutes", 0.1, MaxIsochroneMins)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := queryInt(c, "h3_res", 9, h3grid.MaxResolution)
	if err != nil {
		fail(c, err)
		return
	}
	iso, err := rh.net.Isochrone(c.Request.Context(), orb.Point{lon, lat}, mins*60)
	if err != nil {
		fail(c, err)
		return
	}
	// H3 cells of the reached nodes, plus the cells the polygon covers.
	seen := map[h3grid.Index]struct{}{}
	for _, p := range iso.Nodes {
		seen[h3grid.Cell(p, res)] = struct{}{}
	}
	for _, cell := range h3grid.PolygonCells(iso.Polygon, res) {
		seen[cell] = struct{}{}
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
		if req.K, err = queryInt(c, "k", 3, MaxNearestResults); err == nil {
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
	if req.K < 0 || req.K > MaxNearestResults {
		fail(c, errUnprocessable("k", fmt.Sprintf("must be in [1, %d]", MaxNearestResults)))
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
			fail(c, err)
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
	s, err := rh.net.Snap(p)
	if err != nil {
		fail(c, err)
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
