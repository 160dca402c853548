package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/maptile"

	"lifeline/geo/basemap"
)

// TileOptions describes the basemap served by TileRoutes.
type TileOptions struct {
	// Attribution is the TileJSON attribution (the data's licence credit).
	Attribution string
	// Name of the tileset in TileJSON.
	Name string
}

// TileRoutes serves the vector basemap outside /v1 (public map data):
//
//	GET /tiles/{z}/{x}/{y}.pbf  Mapbox Vector Tile, gzip when accepted; an empty tile is 200 with an empty body
//	GET /tiles/basemap.json     TileJSON 3.0.0
//
// Register it with Deps.Root.
func TileRoutes(t *basemap.Tiler, o TileOptions) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		th := &tileHandlers{t: t, o: o}
		r.GET("/tiles/basemap.json", th.tileJSON)
		r.GET("/tiles/:z/:x/:y", th.tile)
	}
}

type tileHandlers struct {
	t *basemap.Tiler
	o TileOptions
}

// tileCacheControl: the basemap is embedded in the binary, so a tile only
// changes with a new release; an hour keeps browsers from asking again while
// panning, and a restart with another district is seen within the hour.
const tileCacheControl = "public, max-age=3600"

// ParseTilePath parses the z, x and "y.pbf" path segments of a tile URL and
// checks the range (z in basemap.MinZoom..MaxZoom, x and y below 2^z). The
// error is an *Error (400) whose details.path names the bad segment.
func ParseTilePath(zs, xs, ys string) (maptile.Tile, error) {
	num := func(s, path string, max uint64) (uint64, error) {
		// Decimal digits only: no sign, no spaces, no leading "+", bounded length.
		if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, errBadRequest("invalid_tile", fmt.Sprintf("tile %s %q is not a non-negative integer", path, s),
				map[string]any{"path": path})
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v > max {
			return 0, errBadRequest("tile_out_of_range", fmt.Sprintf("tile %s %s is out of range 0..%d", path, s, max),
				map[string]any{"path": path, "min": 0, "max": max})
		}
		return v, nil
	}
	yNum, ok := strings.CutSuffix(ys, ".pbf")
	if !ok {
		return maptile.Tile{}, errBadRequest("invalid_tile", fmt.Sprintf("tile %q must end in .pbf", ys),
			map[string]any{"path": "y"})
	}
	z, err := num(zs, "z", basemap.MaxZoom)
	if err != nil {
		return maptile.Tile{}, err
	}
	if z < basemap.MinZoom {
		return maptile.Tile{}, errBadRequest("tile_out_of_range",
			fmt.Sprintf("tile z %d is out of range %d..%d (clients overzoom past %d)", z, basemap.MinZoom, basemap.MaxZoom, basemap.MaxZoom),
			map[string]any{"path": "z", "min": basemap.MinZoom, "max": basemap.MaxZoom})
	}
	n := uint64(1)<<z - 1
	x, err := num(xs, "x", n)
	if err != nil {
		return maptile.Tile{}, err
	}
	y, err := num(yNum, "y", n)
	if err != nil {
		return maptile.Tile{}, err
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") || strings.TrimSpace(enc) == "*" {
			// "gzip;q=0" refuses it.
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

func (th *tileHandlers) tile(c *gin.Context) {
	tl, err := ParseTilePath(c.Param("z"), c.Param("x"), c.Param("y"))
	if err != nil {
		fail(c, err)
		return
	}
	gz, err := th.t.Tile(tl)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", tileCacheControl)
	c.Header("Vary", "Accept-Encoding")
	c.Header("Access-Control-Allow-Origin", "*")
	const ct = "application/vnd.mapbox-vector-tile"
	if len(gz) == 0 {
		c.Data(http.StatusOK, ct, nil)
		return
	}
	if acceptsGzip(c.Request) {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, ct, gz)
		return
	}
	raw, err := basemap.Gunzip(gz)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, ct, raw)
}

// tileJSON answers TileJSON 3.0.0 with an absolute tiles URL built from the
// request (X-Forwarded-Proto and X-Forwarded-Host are honoured behind a proxy).
func (th *tileHandlers) tileJSON(c *gin.Context) {
	b := th.t.Basemap().Bounds
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := c.Request.Host
	if fh := c.GetHeader("X-Forwarded-Host"); fh != "" {
		host = strings.TrimSpace(strings.Split(fh, ",")[0])
	}
	center := b.Center()
	field := func(names ...string) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			m[n] = "String"
		}
		return m
	}
	roads := field("class", "name", "name_en")
	roads["oneway"] = "Boolean"
	name := th.o.Name
	if name == "" {
		name = "lifeline basemap"
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, gin.H{
		"tilejson":    "3.0.0",
		"name":        name,
		"scheme":      "xyz",
		"tiles":       []string{scheme + "://" + host + "/tiles/{z}/{x}/{y}.pbf"},
		"minzoom":     basemap.MinZoom,
		"maxzoom":     basemap.MaxZoom,
		"bounds":      []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		"center":      []float64{center[0], center[1], 14},
		"attribution": th.o.Attribution,
		"vector_layers": []gin.H{
			{"id": basemap.LayerWater, "fields": field("kind", "name", "name_en"), "minzoom": basemap.MinZoom, "maxzoom": basemap.MaxZoom},
			{"id": basemap.LayerGreen, "fields": field("kind", "name", "name_en"), "minzoom": basemap.MinZoom, "maxzoom": basemap.MaxZoom},
			{"id": basemap.LayerBuildings, "fields": field("name"), "minzoom": 14, "maxzoom": basemap.MaxZoom},
			{"id": basemap.LayerRoads, "fields": roads, "minzoom": basemap.MinZoom, "maxzoom": basemap.MaxZoom},
			{"id": basemap.LayerPlaces, "fields": field("kind", "name", "name_en"), "minzoom": basemap.MinZoom, "maxzoom": basemap.MaxZoom},
		},
	})
}
