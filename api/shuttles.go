package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/network"
	"lifeline/routing/shuttles"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

// ShuttleRoutes registers POST /v1/shuttles/plan: the day's shuttle plan
// for the riders' registry on the car network n (nil: 503 no_road_graph).
//
// Body: {"date": "YYYY-MM-DD", "vans": [...shuttles.Van] | "van_count": n,
// "cleaning_min": 15, "max_code_age_days": 7}. Without vans, van_count (default 8) vans of 6 seats
// and 1 wheelchair place start from the district's depot (else the
// designated hospital), shift 06:00-21:00. Query: time_limit, seed, async
// as for /v1/optimize. Every solve goes through the solve queue and every
// plan through routing/vrp/check.
func ShuttleRoutes(n *network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		sh := &shuttleHandlers{Handlers: h, net: n}
		h.register("shuttle_plan", sh.work)
		r.POST("/shuttles/plan", sh.plan)
	}
}

type shuttleHandlers struct {
	*Handlers
	net *network.Network
}

type planInput struct {
	Date        string         `json:"date"`
	Vans        []shuttles.Van `json:"vans"`
	VanCount    int            `json:"van_count"`
	CleaningMin *int           `json:"cleaning_min"`
	// MaxCodeAgeDays is how old a health code may be (default
	// shuttles.DefaultMaxCodeAge; 0: no limit).
	MaxCodeAgeDays *int `json:"max_code_age_days"`
}

// Default fleet of a plan without vans.
const (
	defaultVanCount = 8
	maxVanCount     = shuttles.MaxVans
)

func (sh *shuttleHandlers) plan(c *gin.Context) {
	lim := sh.Limits
	limit := lim.DefaultOptimizeTime
	if s, ok := c.GetQuery("time_limit"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.time_limit: %q must be a positive duration such as 10s", truncateQ(s)), map[string]any{"path": "query.time_limit"}))
			return
		}
		if d > lim.MaxOptimizeTime {
			fail(c, errLimit("query.time_limit", fmt.Sprintf("%s; at most %s", d, lim.MaxOptimizeTime), lim.MaxOptimizeTime.String()))
			return
		}
		limit = d
	}
	seed := uint64(1)
	if s, ok := c.GetQuery("seed"); ok {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.seed: %q must be a non-negative integer", truncateQ(s)), map[string]any{"path": "query.seed"}))
			return
		}
		seed = v
	}
	if _, err := queryBool(c, "async", false); err != nil {
		fail(c, err)
		return
	}
	st, err := sh.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	var in planInput
	if err := decodeJSON(c, sh.MaxBodyBytes, &in); err != nil {
		fail(c, err)
		return
	}
	day, err := shuttles.ParseDate(in.Date)
	if err != nil {
		fail(c, errUnprocessable("date", err.Error()))
		return
	}
	cleaning := shuttles.DefaultCleanMin
	if in.CleaningMin != nil {
		if *in.CleaningMin < 0 || *in.CleaningMin > 120 {
			fail(c, errUnprocessable("cleaning_min", fmt.Sprintf("want 0 to 120 minutes, got %d", *in.CleaningMin)))
			return
		}
		cleaning = *in.CleaningMin
	}
	if in.VanCount < 0 || in.VanCount > maxVanCount {
		fail(c, errUnprocessable("van_count", fmt.Sprintf("want 1 to %d, got %d", maxVanCount, in.VanCount)))
		return
	}
	if len(in.Vans) > 0 && in.VanCount != 0 {
		fail(c, errUnprocessable("van_count", "give vans or van_count, not both"))
		return
	}
	if sh.net == nil {
		fail(c, errNoGraph)
		return
	}
	ctx := c.Request.Context()
	fs, err := sh.Store.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		fail(c, err)
		return
	}
	ru := shuttles.NewRules(fs)
	if in.MaxCodeAgeDays != nil {
		if *in.MaxCodeAgeDays < 0 || *in.MaxCodeAgeDays > 365 {
			fail(c, errUnprocessable("max_code_age_days", fmt.Sprintf("want 0 (no limit) to 365, got %d", *in.MaxCodeAgeDays)))
			return
		}
		ru.MaxCodeAge = *in.MaxCodeAgeDays
	}
	vans := in.Vans
	if len(vans) == 0 {
		vans = defaultVans(fs, ru, in.VanCount)
		if vans == nil {
			fail(c, errUnprocessable("vans", "the district has no depot and no designated hospital to start vans from: give vans"))
			return
		}
	}
	if err := shuttles.ValidateVans(vans); err != nil {
		fail(c, err)
		return
	}
	riders, err := st.ListRiders(ctx, shuttles.RiderFilter{})
	if err != nil {
		fail(c, err)
		return
	}
	trips, _ := shuttles.ExpandTrips(riders, ru, day)
	if n := len(trips); n > lim.MaxOptimizeTasks {
		fail(c, errLimit("date", fmt.Sprintf("%d trips that day; at most %d per solve", n, lim.MaxOptimizeTasks), lim.MaxOptimizeTasks))
		return
	}
	sh.runSolve(c, "shuttle_plan", limit, shuttleArgs{Date: in.Date, Vans: vans, CleaningMin: cleaning, MaxCodeAge: ru.MaxCodeAge,
		Seed: seed, TimeLimit: limit})
}

// shuttleArgs is a shuttle-planning job: the day and the resolved
// settings. The job reads the riders and facilities where it runs (no
// personal data in the job's record).
type shuttleArgs struct {
	Date        string         `json:"date"`
	Vans        []shuttles.Van `json:"vans"`
	CleaningMin int            `json:"cleaning_min"`
	MaxCodeAge  int            `json:"max_code_age_days"`
	Seed        uint64         `json:"seed"`
	TimeLimit   time.Duration  `json:"time_limit_ns"`
}

// work runs a shuttle-planning job.
func (sh *shuttleHandlers) work(ctx context.Context, raw json.RawMessage, report func(any)) (any, error) {
	var a shuttleArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("shuttle job arguments: %w", err)
	}
	if sh.net == nil {
		return nil, errNoGraph
	}
	st, err := sh.riderStore()
	if err != nil {
		return nil, err
	}
	day, err := shuttles.ParseDate(a.Date)
	if err != nil {
		return nil, errUnprocessable("date", err.Error())
	}
	fs, err := sh.Store.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		return nil, err
	}
	ru := shuttles.NewRules(fs)
	ru.MaxCodeAge = a.MaxCodeAge
	riders, err := st.ListRiders(ctx, shuttles.RiderFilter{})
	if err != nil {
		return nil, err
	}
	lim, vans, cleaning, limit := sh.Limits, a.Vans, a.CleaningMin, a.TimeLimit
	trips, skipped := shuttles.ExpandTrips(riders, ru, day)
	if n := len(trips); n > lim.MaxOptimizeTasks {
		return nil, errLimit("date", fmt.Sprintf("%d trips that day; at most %d per solve", n, lim.MaxOptimizeTasks), lim.MaxOptimizeTasks)
	}
	matrix := func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
		if len(ps) > lim.MaxOptimizeLocations {
			return routing.Matrix{}, routing.Matrix{}, errLimit("date", fmt.Sprintf("%d distinct places; at most %d per solve",
				len(ps), lim.MaxOptimizeLocations), lim.MaxOptimizeLocations)
		}
		tm, dm, _, err := sh.net.Matrix(ctx, ps, ps, network.MatrixOptions{Partial: true})
		return tm, dm, err
	}
	pol := shuttles.DefaultPolicy()
	pol.CleaningMin = cleaning
	opt := vrp.Options{Seed: a.Seed, TimeLimit: limit, Workers: sh.solverThreads(), Progress: func(p vrp.Progress) {
		report(optimizeProgress{Iteration: p.Iteration, ElapsedSeconds: p.Elapsed.Seconds(), Priority: p.Priority, Vehicles: p.Vehicles, Cost: p.Cost})
	}}
	res, _, err := shuttles.PlanDay(ctx, trips, vans, pol, matrix, opt)
	if err != nil {
		return nil, err
	}
	res.Date = a.Date
	res.Skipped = append(append([]shuttles.Skipped{}, skipped...), res.Skipped...)
	res.Trips = len(trips)
	return res, nil
}

// defaultVans puts n (default 8) standard vans at the district's first
// depot, else at the designated hospital; nil when there is neither.
func defaultVans(fs []zones.Facility, ru *shuttles.Rules, n int) []shuttles.Van {
	if n == 0 {
		n = defaultVanCount
	}
	var start orb.Point
	found := false
	for _, f := range fs {
		if f.Kind == zones.FacilityDepot {
			start, found = f.Point, true
			break
		}
	}
	if !found {
		f, ok := ru.Facility(ru.Designated)
		if !ok {
			return nil
		}
		start = f.Point
	}
	vans := make([]shuttles.Van, n)
	for i := range vans {
		vans[i] = shuttles.Van{ID: uint64(i + 1), Start: start, Seats: shuttles.DefaultVanSeats, WheelchairPlaces: shuttles.DefaultVanWheelchair}
	}
	return vans
}
