package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// MaxBatchPoints is the largest batch look-up.
const MaxBatchPoints = 10000

// zoneView is the JSON form of a zone: its fields plus the geometry.
type zoneView struct {
	zones.Zone
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

func viewZone(z zones.Zone, withGeometry bool) zoneView {
	v := zoneView{Zone: z}
	if withGeometry {
		v.Geometry = geojson.NewGeometry(z.Geometry)
	}
	return v
}

func (h *Handlers) zoneRoutes(r gin.IRouter) {
	r.GET("/zones", h.listZones)
	r.POST("/zones", h.createZone)
	r.POST("/zones/import", h.importZones)
	r.GET("/zones/export", h.exportZones)
	r.GET("/zones/:id", h.getZone)
	r.GET("/zones/:id/history", h.zoneHistory)
	r.PUT("/zones/:id", h.updateZone)
	r.POST("/zones/:id/lift", h.liftZone)
	r.GET("/zones/:id/population", h.zonePopulation)
	r.GET("/lookup", h.lookup)
	r.POST("/lookup", h.lookupBatch)
}

// decodeFeature decodes a zone Feature; JSON that does not parse at all is a
// 400 naming line and column, anything else wrong a 422 naming the path.
func decodeFeature(body []byte) (zones.Zone, error) {
	if !json.Valid(body) {
		return zones.Zone{}, jsonError(body, json.Unmarshal(body, new(any)))
	}
	return zones.DecodeFeature(body)
}

func pathID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadRequest("bad_parameter", fmt.Sprintf("path id %q is not a positive integer", c.Param("id")), map[string]any{"path": "id"})
	}
	return id, nil
}

func (h *Handlers) renderZone(c *gin.Context, status int, z zones.Zone) {
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(status, zones.ZoneFeature(z))
		return
	}
	c.JSON(status, viewZone(z, true))
}

func (h *Handlers) renderZones(c *gin.Context, zs []zones.Zone) {
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, zones.ZonesFeatureCollection(zs))
		return
	}
	out := make([]zoneView, len(zs))
	for i, z := range zs {
		out[i] = viewZone(z, c.Query("geometry") != "false")
	}
	c.JSON(http.StatusOK, gin.H{"zones": out, "count": len(out)})
}

func (h *Handlers) zoneFilter(c *gin.Context) (zones.ZoneFilter, error) {
	var f zones.ZoneFilter
	if k := c.Query("kind"); k != "" {
		f.Kind = zones.Kind(k)
		if !f.Kind.Valid() {
			return f, errBadRequest("bad_parameter", fmt.Sprintf("query.kind: %q is not sealed, controlled or prevention", k), map[string]any{"path": "query.kind"})
		}
	}
	var err error
	if f.BBox, err = queryBBox(c); err != nil {
		return f, err
	}
	if s := c.Query("active_at"); s != "" {
		t, err := parseTime(s, "query.active_at")
		if err != nil {
			return f, err
		}
		f.ActiveAt = &t
	}
	if f.Limit, err = queryInt(c, "limit", 0, 100000); err != nil {
		return f, err
	}
	if f.Offset, err = queryInt(c, "offset", 0, 1<<30); err != nil {
		return f, err
	}
	return f, nil
}

func (h *Handlers) listZones(c *gin.Context) {
	f, err := h.zoneFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	zs, err := h.Store.ListZones(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	h.renderZones(c, zs)
}

func (h *Handlers) exportZones(c *gin.Context) {
	f, err := h.zoneFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	zs, err := h.Store.ListZones(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "application/geo+json")
	c.Header("Content-Disposition", `attachment; filename="zones.geojson"`)
	c.JSON(http.StatusOK, zones.ZonesFeatureCollection(zs))
}

func (h *Handlers) createZone(c *gin.Context) {
	body, err := readBody(c, h.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	z, err := decodeFeature(body)
	if err != nil {
		fail(c, err)
		return
	}
	z, err = h.Store.CreateZone(c.Request.Context(), z)
	if err != nil {
		fail(c, err)
		return
	}
	h.zonesChanged()
	c.Header("Location", fmt.Sprintf("/v1/zones/%d", z.ID))
	h.renderZone(c, http.StatusCreated, z)
}

// importZones creates, updates or leaves alone each feature of a
// FeatureCollection (zones.PlanImport: matched by properties.external_key,
// else by the id of a zone of this server), all or nothing. 201 when it
// created a zone, 200 otherwise.
func (h *Handlers) importZones(c *gin.Context) {
	body, err := readBody(c, h.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	if !json.Valid(body) {
		fail(c, jsonError(body, json.Unmarshal(body, new(any))))
		return
	}
	zs, err := zones.DecodeFeatureCollection(body)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := h.Store.ImportZones(c.Request.Context(), zs)
	if err != nil {
		fail(c, err)
		return
	}
	if res.Created+res.Updated > 0 {
		h.zonesChanged()
	}
	ids := make([]int64, len(res.Items))
	for i, it := range res.Items {
		ids[i] = it.ID
	}
	status := http.StatusOK
	if res.Created > 0 {
		status = http.StatusCreated
	}
	c.JSON(status, gin.H{"created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged, "ids": ids, "items": res.Items})
}

func (h *Handlers) getZone(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	z, err := h.Store.GetZone(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	h.renderZone(c, http.StatusOK, z)
}

// updateZone adds a version of a zone: the body is a zone Feature; its
// properties.effective_from is when the new version takes effect (default
// now; it must be after the current version's start), effective_until
// when it ends (default: where the zone ended). Earlier versions stay as
// they were (GET /v1/zones/{id}/history).
func (h *Handlers) updateZone(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := readBody(c, h.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	z, err := decodeFeature(body)
	if err != nil {
		fail(c, err)
		return
	}
	z.ID = id
	if z.EffectiveFrom.IsZero() {
		z.EffectiveFrom = h.Now()
	}
	z, err = h.Store.UpdateZone(c.Request.Context(), z)
	if err != nil {
		fail(c, err)
		return
	}
	h.zonesChanged()
	h.renderZone(c, http.StatusOK, z)
}

// zoneHistory lists every version of a zone, oldest first.
func (h *Handlers) zoneHistory(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	vs, err := h.Store.ZoneHistory(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, zones.ZonesFeatureCollection(vs))
		return
	}
	out := make([]zoneView, len(vs))
	for i, v := range vs {
		out[i] = viewZone(v, c.Query("geometry") != "false")
	}
	c.JSON(http.StatusOK, gin.H{"zone_id": id, "versions": out, "count": len(out)})
}

type liftRequest struct {
	// At is when the zone stops being in force (RFC 3339); default now.
	At *string `json:"at"`
}

func (h *Handlers) liftZone(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	at := h.Now()
	if c.Request.ContentLength != 0 {
		var req liftRequest
		if err := decodeJSON(c, 4096, &req); err != nil {
			fail(c, err)
			return
		}
		if req.At != nil {
			if at, err = parseTime(*req.At, "at"); err != nil {
				fail(c, err)
				return
			}
		}
	}
	z, err := h.Store.LiftZone(c.Request.Context(), id, at)
	if err != nil {
		fail(c, err)
		return
	}
	h.zonesChanged()
	h.renderZone(c, http.StatusOK, z)
}

func (h *Handlers) zonesChanged() {
	if h.OnZonesChanged != nil {
		h.OnZonesChanged()
	}
}

func (h *Handlers) zonePopulation(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	z, err := h.Store.GetZone(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	b := z.Geometry.Bound()
	cs, err := h.Store.ListCompounds(ctx, &b)
	if err != nil {
		fail(c, err)
		return
	}
	est := zones.EstimatePopulation(z.Geometry, cs)
	key, err := h.keyPopulation(ctx, est)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"zone_id": z.ID, "kind": z.Kind, "name": z.Name, "estimate": est, "key_population": key})
}

// keyPopulationShare is how much of a compound must lie in a zone for its
// registered riders to count as the zone's.
const keyPopulationShare = 0.5

// keyPopulation counts the registry's riders (not archived) whose home
// compound lies at least half inside the zone, by category: counts only,
// no personal data, so every role that sees the map may read it. Nil when
// the store keeps no registry.
func (h *Handlers) keyPopulation(ctx context.Context, est zones.PopulationEstimate) (map[string]int, error) {
	st, ok := h.Store.(shuttles.RiderStore)
	if !ok {
		return nil, nil
	}
	in := map[int64]bool{}
	for _, s := range est.Compounds {
		if s.Fraction >= keyPopulationShare {
			in[s.ID] = true
		}
	}
	out := map[string]int{"total": 0}
	for _, cat := range shuttles.Categories {
		out[string(cat)] = 0
	}
	if len(in) == 0 {
		return out, nil
	}
	rs, err := st.ListRiders(ctx, shuttles.RiderFilter{})
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if in[rs[i].CompoundID] {
			out[string(rs[i].Category)]++
			out["total"]++
		}
	}
	return out, nil
}

// lookupResult is the answer for one point.
type lookupResult struct {
	Point     orb.Point  `json:"point"`
	At        time.Time  `json:"at"`
	Kind      zones.Kind `json:"kind"` // strictest kind, "none" when the point is in no zone
	Strictest *zoneView  `json:"strictest"`
	Matches   []zoneView `json:"matches"`
}

func (h *Handlers) lookup(c *gin.Context) {
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
	at, err := queryTime(c, "at", h.Now())
	if err != nil {
		fail(c, err)
		return
	}
	p := orb.Point{lon, lat}
	zs, err := h.Store.Lookup(c.Request.Context(), p, at)
	if err != nil {
		fail(c, err)
		return
	}
	geom := c.Query("geometry") == "true"
	res := lookupResult{Point: p, At: at, Kind: kindNone, Matches: make([]zoneView, len(zs))}
	for i, z := range zs {
		res.Matches[i] = viewZone(z, geom)
	}
	if len(zs) > 0 {
		res.Kind = zs[0].Kind
		res.Strictest = &res.Matches[0]
	}
	c.JSON(http.StatusOK, res)
}

type batchRequest struct {
	Points [][]float64 `json:"points"`
	At     *string     `json:"at"`
}

// batchItem is the compact answer for one point of a batch: the strictest
// kind and the ids of all matching zones, strictest first.
// kindNone is the kind a look-up answers for a point outside every zone.
const kindNone zones.Kind = "none"

type batchItem struct {
	Kind    zones.Kind `json:"kind"`
	ZoneIDs []int64    `json:"zone_ids"`
}

func (h *Handlers) lookupBatch(c *gin.Context) {
	var req batchRequest
	if err := decodeJSON(c, h.MaxBodyBytes, &req); err != nil {
		fail(c, err)
		return
	}
	if len(req.Points) == 0 {
		fail(c, errUnprocessable("points", "at least one [lon, lat] point is required"))
		return
	}
	if len(req.Points) > MaxBatchPoints {
		fail(c, errUnprocessable("points", fmt.Sprintf("%d points given; at most %d per request", len(req.Points), MaxBatchPoints)))
		return
	}
	at := h.Now()
	if req.At != nil {
		var err error
		if at, err = parseTime(*req.At, "at"); err != nil {
			fail(c, err)
			return
		}
	}
	ps := make([]orb.Point, len(req.Points))
	for i, p := range req.Points {
		path := fmt.Sprintf("points[%d]", i)
		if len(p) != 2 {
			fail(c, errUnprocessable(path, fmt.Sprintf("has %d numbers; want [lon, lat]", len(p))))
			return
		}
		ps[i] = orb.Point{p[0], p[1]}
		if err := checkPoint(ps[i], path); err != nil {
			fail(c, err)
			return
		}
	}
	res, err := h.Store.LookupBatch(c.Request.Context(), ps, at)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]batchItem, len(res))
	for i, zs := range res {
		out[i].ZoneIDs = make([]int64, len(zs))
		for j, z := range zs {
			out[i].ZoneIDs[j] = z.ID
		}
		out[i].Kind = kindNone
		if len(zs) > 0 {
			out[i].Kind = zs[0].Kind
		}
	}
	c.JSON(http.StatusOK, gin.H{"at": at, "results": out})
}
