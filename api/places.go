package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/zones"
)

func (h *Handlers) placeRoutes(r gin.IRouter) {
	r.GET("/compounds", h.listCompounds)
	r.POST("/compounds", h.createCompound)
	r.GET("/compounds/:id", h.getCompound)
	r.GET("/facilities", h.listFacilities)
	r.POST("/facilities", h.createFacility)
	r.GET("/facilities/:id", h.getFacility)
}

// compoundView is the JSON form of a compound, with its geometry.
type compoundView struct {
	zones.Compound
	Geometry *geojson.Geometry `json:"geometry"`
}

// compoundInput is the body of POST /v1/compounds.
type compoundInput struct {
	Name       string          `json:"name"`
	Population int             `json:"population"`
	Aged60Plus int             `json:"aged_60_plus"`
	Households int             `json:"households"`
	Gates      []orb.Point     `json:"gates"`
	Geometry   json.RawMessage `json:"geometry"`
}

func (h *Handlers) createCompound(c *gin.Context) {
	var in compoundInput
	if err := decodeJSON(c, h.MaxBodyBytes, &in); err != nil {
		fail(c, err)
		return
	}
	if len(in.Geometry) == 0 {
		fail(c, errUnprocessable("geometry", "a GeoJSON Polygon or MultiPolygon is required"))
		return
	}
	geom, err := zones.DecodeGeometry(in.Geometry, "geometry")
	if err != nil {
		fail(c, err)
		return
	}
	cp := zones.Compound{Name: in.Name, Population: in.Population, Aged60Plus: in.Aged60Plus, Households: in.Households,
		Gates: in.Gates, Geometry: geom}
	if err := zones.ValidateCompound(cp); err != nil {
		fail(c, err)
		return
	}
	cp, err = h.Store.CreateCompound(c.Request.Context(), cp)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/v1/compounds/%d", cp.ID))
	c.JSON(http.StatusCreated, compoundView{Compound: cp, Geometry: geojson.NewGeometry(cp.Geometry)})
}

func (h *Handlers) listCompounds(c *gin.Context) {
	bbox, err := queryBBox(c)
	if err != nil {
		fail(c, err)
		return
	}
	cs, err := h.Store.ListCompounds(c.Request.Context(), bbox)
	if err != nil {
		fail(c, err)
		return
	}
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, zones.CompoundsFeatureCollection(cs))
		return
	}
	out := make([]compoundView, len(cs))
	for i, cp := range cs {
		out[i] = compoundView{Compound: cp}
		if c.Query("geometry") != "false" {
			out[i].Geometry = geojson.NewGeometry(cp.Geometry)
		}
	}
	c.JSON(http.StatusOK, gin.H{"compounds": out, "count": len(out)})
}

func (h *Handlers) getCompound(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	cp, err := h.Store.GetCompound(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, zones.CompoundFeature(cp))
		return
	}
	c.JSON(http.StatusOK, compoundView{Compound: cp, Geometry: geojson.NewGeometry(cp.Geometry)})
}

func (h *Handlers) createFacility(c *gin.Context) {
	var f zones.Facility
	if err := decodeJSON(c, 1<<20, &f); err != nil {
		fail(c, err)
		return
	}
	f.ID = 0
	if err := zones.ValidateFacility(f); err != nil {
		// the body is the facility itself, not a GeoJSON Feature
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			ve2 := *ve
			ve2.Path = strings.TrimPrefix(ve2.Path, "properties.")
			err = &ve2
		}
		fail(c, err)
		return
	}
	f, err := h.Store.CreateFacility(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/v1/facilities/%d", f.ID))
	c.JSON(http.StatusCreated, f)
}

func (h *Handlers) listFacilities(c *gin.Context) {
	bbox, err := queryBBox(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := zones.FacilityFilter{Kind: zones.FacilityKind(c.Query("kind")), BBox: bbox}
	if f.Kind != "" && !f.Kind.Valid() {
		fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.kind: %q is not a facility kind", f.Kind), map[string]any{"path": "query.kind"}))
		return
	}
	fs, err := h.Store.ListFacilities(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	if wantGeoJSON(c) {
		c.Header("Content-Type", "application/geo+json")
		c.JSON(http.StatusOK, zones.FacilitiesFeatureCollection(fs))
		return
	}
	c.JSON(http.StatusOK, gin.H{"facilities": fs, "count": len(fs)})
}

func (h *Handlers) getFacility(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := h.Store.GetFacility(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}
