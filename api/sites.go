package api

import (
	"context"
	"encoding/json"
	"fmt"
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
	if walk == nil {
		return SitesRoutesContext(nil)
	}
	return SitesRoutesContext(func(context.Context) siteplan.WalkFunc { return walk })
}

// SitesRoutesContext is SitesRoutes with walking times that stop with the
// job's context (a cancelled plan stops its foot matrices too).
func SitesRoutesContext(walk func(ctx context.Context) siteplan.WalkFunc) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		sh := &sitesHandlers{Handlers: h, walk: walk}
		h.register("sites/plan", sh.work)
		r.POST("/sites/plan", sh.plan)
	}
}

type sitesHandlers struct {
	*Handlers
	walk func(ctx context.Context) siteplan.WalkFunc
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
	if _, err := queryBool(c, "async", false); err != nil {
		fail(c, err)
		return
	}
	body, err := readBody(c, sh.MaxBodyBytes)
	if err == nil {
		err = unmarshalStrict(body, &req)
	}
	if err != nil {
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
	lim := sh.Limits
	budget := lim.DefaultSitesTime
	if r := req.Request; r.TimeLimitSeconds != 0 {
		if !(r.TimeLimitSeconds > 0) || r.TimeLimitSeconds > lim.MaxSitesTime.Seconds() {
			fail(c, errLimit("time_limit_seconds", fmt.Sprintf("%g s is not in (0, %g] s", r.TimeLimitSeconds, lim.MaxSitesTime.Seconds()), lim.MaxSitesTime.Seconds()))
			return
		}
		budget = time.Duration(r.TimeLimitSeconds * float64(time.Second))
	}
	sh.runSolve(c, "sites/plan", budget, sitesArgs{Request: body, At: at.UTC()})
}

// sitesArgs is a site-planning job: the request as sent and the time of
// the zone map it plans on (the job reads the store where it runs).
type sitesArgs struct {
	Request json.RawMessage `json:"request"`
	At      time.Time       `json:"at"`
}

// work runs a site-planning job.
func (sh *sitesHandlers) work(ctx context.Context, raw json.RawMessage, _ func(any)) (any, error) {
	var a sitesArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("sites job arguments: %w", err)
	}
	var req sitesRequest
	if err := unmarshalStrict(a.Request, &req); err != nil {
		return nil, err
	}
	at := a.At
	zs, err := sh.Store.ListZones(ctx, zones.ZoneFilter{ActiveAt: &at})
	if err != nil {
		return nil, err
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
			return nil, err
		}
		r.Compounds = make([]siteplan.CompoundDemand, len(cs))
		for i, cp := range cs {
			r.Compounds[i] = siteplan.CompoundDemand{Compound: cp, Geometry: geojson.NewGeometry(cp.Geometry)}
		}
	}
	if len(r.Candidates) == 0 {
		fs, err := sh.Store.ListFacilities(ctx, zones.FacilityFilter{Kind: zones.FacilityCandidateSite})
		if err != nil {
			return nil, err
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
	var walk siteplan.WalkFunc
	if sh.walk != nil {
		walk = sh.walk(ctx)
	}
	res, err := siteplan.Plan(ctx, r, walk)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // cancelled: no half plan
	}
	return res, err
}
