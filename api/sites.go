package api

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"lifeline/routing/siteplan"
	"lifeline/zones"
)

// SitesRoutes registers POST /v1/sites/plan. walk gives walking times on the
// foot network; nil falls back to straight-line distance (said in the answer).
func SitesRoutes(walk siteplan.WalkFunc) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		sh := &sitesHandlers{Handlers: h, walk: walk}
		r.POST("/sites/plan", sh.plan)
	}
}

type sitesHandlers struct {
	*Handlers
	walk siteplan.WalkFunc
}

// sitesRequest is siteplan.Request plus the plan time. When the request
// brings no demand, the store's compounds are the demand; when it brings no
// candidates, the store's candidate_site facilities are candidates. The zone
// rules use the zone map in force at At (default now).
type sitesRequest struct {
	siteplan.Request
	At *string `json:"at,omitempty"`
}

func (sh *sitesHandlers) plan(c *gin.Context) {
	var req sitesRequest
	if err := decodeJSON(c, sh.MaxBodyBytes, &req); err != nil {
		fail(c, err)
		return
	}
	at := sh.Now()
	if req.At != nil {
		var err error
		if at, err = parseTime(*req.At, "at"); err != nil {
			fail(c, err)
			return
		}
	}
	ctx := c.Request.Context()
	zs, err := sh.Store.ListZones(ctx, zones.ZoneFilter{ActiveAt: &at})
	if err != nil {
		fail(c, err)
		return
	}
	ix := zones.NewIndex(zs)
	kindAt := func(p orb.Point) zones.Kind {
		var buf [8]int32
		if hits := ix.LookupInto(buf[:0], p, at); len(hits) > 0 {
			return ix.Zone(hits[0]).Kind
		}
		return zones.KindNone
	}
	r := req.Request
	if len(r.Compounds) == 0 && len(r.Cells) == 0 && len(r.Points) == 0 {
		cs, err := sh.Store.ListCompounds(ctx, nil)
		if err != nil {
			fail(c, err)
			return
		}
		r.Compounds = make([]siteplan.CompoundDemand, len(cs))
		for i, cp := range cs {
			r.Compounds[i] = siteplan.CompoundDemand{Compound: cp, Geometry: geojson.NewGeometry(cp.Geometry)}
		}
	}
	if len(r.Candidates) == 0 {
		fs, err := sh.Store.ListFacilities(ctx, zones.FacilityFilter{Kind: zones.FacilityCandidateSite})
		if err != nil {
			fail(c, err)
			return
		}
		r.Candidates = fs
	}
	// A compound's zone is the strictest zone covering its centroid, or any
	// of its gates (a sealed building at the gate seals the compound's exit).
	r.CompoundZone = func(cp zones.Compound) zones.Kind {
		k := zones.KindNone
		if len(cp.Geometry) > 0 {
			ctr, _ := planar.CentroidArea(cp.Geometry)
			k = kindAt(ctr)
		}
		for _, g := range cp.Gates {
			if gk := kindAt(g); gk.Rank() > k.Rank() {
				k = gk
			}
		}
		return k
	}
	r.PointZone = kindAt
	budget := 10 * time.Second
	if r.TimeLimitSeconds > 0 {
		budget = time.Duration(r.TimeLimitSeconds * float64(time.Second))
	}
	sh.runSolve(c, "sites/plan", budget, func(ctx context.Context, _ func(any)) (any, error) {
		return siteplan.Plan(ctx, r, sh.walk)
	})
}
