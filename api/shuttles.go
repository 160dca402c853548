package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/jobs"
	"lifeline/routing"
	"lifeline/routing/network"
	"lifeline/routing/shuttles"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// ShuttleRoutes registers the shuttle days (issue 12) on the car network n
// (nil: 503 no_road_graph for what needs roads):
//
//   - POST /v1/shuttles/plan plans a date and publishes it as a new version
//     of its timetable. Body: {"date": "YYYY-MM-DD", "vans": [...shuttles.Van]
//     | "van_count": n, "policy": {...shuttles.Policy, missing fields keep
//     their defaults}, "cleaning_min": 15, "max_code_age_days": 7}. Without
//     vans, van_count (default 8) vans of 6 seats and 1 wheelchair place,
//     plus one more on standby for urgent calls, start from the district's
//     depot (else the designated hospital), shift 06:00-21:00. Query: time_limit, seed, async as for /v1/optimize.
//   - GET /v1/shuttles/timetables/{date} (the latest version) and
//     /versions/{n} answer the stored version again; ?format=json (default),
//     csv, ics (iCalendar, ?van=), html (printable: ?van= a driver's list,
//     ?rider= a pick-up notice, ?facility= a hospital's arrivals, none: the
//     day); /versions lists the versions.
//   - POST /v1/shuttles/timetables/{date}/changes re-plans from "at" with
//     cancelled or added trips, changed colours and vans out of service.
//   - POST /v1/shuttles/urgent inserts an urgent pick-up into the latest
//     version.
//   - GET/POST /v1/shuttles/appointments, DELETE .../{id} (cancel).
//
// Every plan passes routing/vrp/check and the shuttle checker
// (shuttles.CheckDay) before it is stored; every van's day becomes a
// driver's route list. Dispatchers see everything; planners and viewers
// the timetables with the riders' places masked.
func ShuttleRoutes(n *network.Network) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		sh := &shuttleHandlers{Handlers: h, net: n}
		h.register("shuttle_plan", sh.planWork)
		h.register("shuttle_changes", sh.changesWork)
		h.registerView("shuttle_plan", sh.viewTimetableRef)
		h.registerView("shuttle_changes", sh.viewTimetableRef)
		r.POST("/shuttles/plan", sh.plan)
		r.GET("/shuttles/appointments", sh.listAppointments)
		r.POST("/shuttles/appointments", sh.createAppointment)
		r.DELETE("/shuttles/appointments/:id", sh.cancelAppointment)
		r.GET("/shuttles/timetables/:date", sh.getTimetable)
		r.GET("/shuttles/timetables/:date/versions", sh.listTimetables)
		r.GET("/shuttles/timetables/:date/versions/:n", sh.getTimetable)
		r.POST("/shuttles/timetables/:date/changes", sh.changes)
		r.POST("/shuttles/urgent", sh.urgent)
	}
}

type shuttleHandlers struct {
	*Handlers
	net *network.Network
}

var errNoDays = &Error{Status: http.StatusServiceUnavailable, Code: "shuttle_days_unavailable", Message: "this store keeps no shuttle appointments or timetables"}

func (sh *shuttleHandlers) dayStores() (shuttles.AppointmentStore, shuttles.TimetableStore, error) {
	as, ok1 := sh.Store.(shuttles.AppointmentStore)
	ts, ok2 := sh.Store.(shuttles.TimetableStore)
	if !ok1 || !ok2 {
		return nil, nil, errNoDays
	}
	return as, ts, nil
}

var cst = zones.DistrictZone

type planInput struct {
	Date        string           `json:"date"`
	Vans        []shuttles.Van   `json:"vans"`
	VanCount    int              `json:"van_count"`
	Policy      *shuttles.Policy `json:"policy"`
	CleaningMin *int             `json:"cleaning_min"`
	// MaxCodeAgeDays is how old a health code may be (default
	// shuttles.DefaultMaxCodeAge; 0: no limit).
	MaxCodeAgeDays *int `json:"max_code_age_days"`
}

// Default fleet of a plan without vans.
const (
	defaultVanCount = 8
	maxVanCount     = shuttles.MaxVans - 1 // and one on standby
)

func (sh *shuttleHandlers) solveParams(c *gin.Context) (time.Duration, uint64, error) {
	limit, seed, err := sh.solveQuery(c)
	if err != nil {
		return 0, 0, err
	}
	if _, err := queryBool(c, "async", false); err != nil {
		return 0, 0, err
	}
	return limit, seed, nil
}

// dayData is what a day's trips are made of, read from the store.
type dayData struct {
	rules     *shuttles.Rules
	facs      []zones.Facility
	riders    []shuttles.Rider
	appts     []shuttles.Appointment
	boarding  func(r *shuttles.Rider) shuttles.Boarding
	compounds map[int64]zones.Compound
}

// loadDay reads the district, the registry and the date's appointments,
// and the boarding of the day: riders whose boarding point is in a sealed
// zone at noon of the date board at their door, the others at their
// compound's gate.
func (sh *shuttleHandlers) loadDay(ctx context.Context, day time.Time, as shuttles.AppointmentStore) (*dayData, error) {
	d := &dayData{compounds: map[int64]zones.Compound{}}
	fs, err := sh.Store.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		return nil, err
	}
	d.facs = fs
	d.rules = shuttles.NewRules(fs)
	cs, err := sh.Store.ListCompounds(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		d.compounds[c.ID] = c
	}
	st, err := sh.riderStore()
	if err != nil {
		return nil, err
	}
	if d.riders, err = st.ListRiders(ctx, shuttles.RiderFilter{}); err != nil {
		return nil, err
	}
	if d.appts, err = as.ListAppointments(ctx, shuttles.AppointmentFilter{Date: day.Format(time.DateOnly)}); err != nil {
		return nil, err
	}
	noon := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, cst)
	d.boarding = func(r *shuttles.Rider) shuttles.Boarding {
		sealed := false
		if zs, err := sh.Store.Lookup(ctx, r.Boarding.Point, noon); err == nil && len(zs) > 0 && zs[0].Kind == zones.KindSealed {
			sealed = true
		}
		c := d.compounds[r.CompoundID]
		b := shuttles.DayBoarding(r, sealed, c.Gates, c.Name)
		if c.Name != "" && !strings.Contains(b.Label, c.Name) {
			b.Label += " of " + c.Name
		}
		return b
	}
	return d, nil
}

func (sh *shuttleHandlers) matrixFunc(ctx context.Context) shuttles.MatrixFunc {
	lim := sh.Limits
	return func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
		if len(ps) > lim.MaxOptimizeLocations {
			return routing.Matrix{}, routing.Matrix{}, errLimit("date", fmt.Sprintf("%d distinct places; at most %d per solve",
				len(ps), lim.MaxOptimizeLocations), lim.MaxOptimizeLocations)
		}
		tm, dm, _, err := sh.net.Matrix(ctx, ps, ps, network.MatrixOptions{Partial: true})
		return tm, dm, err
	}
}

// checkFleet refuses a day no van can carry: a wheelchair rider and no
// wheelchair place, a rider with companions over every van's seats.
func checkFleet(trips []shuttles.Trip, vans []shuttles.Van) error {
	maxSeats, maxChairs := 0, 0
	for _, v := range vans {
		if !v.Standby {
			maxSeats, maxChairs = max(maxSeats, v.Seats), max(maxChairs, v.WheelchairPlaces)
		}
	}
	for _, t := range trips {
		if t.Wheelchair && maxChairs == 0 {
			return errUnprocessable("vans", fmt.Sprintf("rider %s travels in a wheelchair and no van has a wheelchair place", t.Pseudonym))
		}
		if t.Seats > maxSeats {
			return errUnprocessable("vans", fmt.Sprintf("rider %s needs %d seats, the largest van has %d", t.Pseudonym, t.Seats, maxSeats))
		}
	}
	return nil
}

func (sh *shuttleHandlers) plan(c *gin.Context) {
	limit, seed, err := sh.solveParams(c)
	if err != nil {
		fail(c, err)
		return
	}
	if _, _, err := sh.dayStores(); err != nil {
		fail(c, err)
		return
	}
	if _, err := sh.riderStore(); err != nil {
		fail(c, err)
		return
	}
	pol := shuttles.DefaultPolicy()
	in := planInput{Policy: &pol}
	if err := decodeJSON(c, sh.MaxBodyBytes, &in); err != nil {
		fail(c, err)
		return
	}
	if in.Policy == nil {
		in.Policy = &pol
	}
	if _, err := shuttles.ParseDate(in.Date); err != nil {
		fail(c, errUnprocessable("date", err.Error()))
		return
	}
	if in.CleaningMin != nil {
		if *in.CleaningMin < 0 || *in.CleaningMin > 120 {
			fail(c, errUnprocessable("cleaning_min", fmt.Sprintf("want 0 to 120 minutes, got %d", *in.CleaningMin)))
			return
		}
		in.Policy.CleaningMin = *in.CleaningMin
	}
	if err := in.Policy.Validate(); err != nil {
		fail(c, err)
		return
	}
	if in.VanCount < 0 || in.VanCount > maxVanCount {
		fail(c, errUnprocessable("van_count", fmt.Sprintf("want 1 to %d, got %d", maxVanCount, in.VanCount)))
		return
	}
	if len(in.Vans) > 0 && in.VanCount != 0 {
		fail(c, errUnprocessable("van_count", "give vans or van_count, not both"))
		return
	}
	if in.MaxCodeAgeDays != nil && (*in.MaxCodeAgeDays < 0 || *in.MaxCodeAgeDays > 365) {
		fail(c, errUnprocessable("max_code_age_days", fmt.Sprintf("want 0 (no limit) to 365, got %d", *in.MaxCodeAgeDays)))
		return
	}
	if sh.net == nil {
		fail(c, errNoGraph)
		return
	}
	a := shuttlePlanArgs{Date: in.Date, Vans: in.Vans, VanCount: in.VanCount, Policy: *in.Policy, MaxCodeAgeDays: in.MaxCodeAgeDays,
		Seed: seed, TimeLimit: limit, Author: ownerOf(c)}
	// the day is expanded here too, so that a day no fleet can carry is a
	// 422 at once and never takes a queue slot; the job expands it again
	// from the store where it runs
	if _, err := sh.planDay(c.Request.Context(), &a); err != nil {
		fail(c, err)
		return
	}
	sh.runSolve(c, "shuttle_plan", limit, a)
}

// shuttlePlanArgs is a shuttle plan job: the request with the policy's
// defaults filled in. It holds no rider's data: the job reads the registry
// and the date's appointments from the store where it runs.
type shuttlePlanArgs struct {
	Date           string          `json:"date"`
	Vans           []shuttles.Van  `json:"vans,omitempty"` // as given; none: the default fleet
	VanCount       int             `json:"van_count,omitempty"`
	Policy         shuttles.Policy `json:"policy"`
	MaxCodeAgeDays *int            `json:"max_code_age_days,omitempty"`
	Seed           uint64          `json:"seed"`
	TimeLimit      time.Duration   `json:"time_limit_ns"`
	Author         string          `json:"author,omitempty"`
}

// dayPlan is what a plan of a date solves.
type dayPlan struct {
	trips   []shuttles.Trip
	skipped []shuttles.Skipped
	vans    []shuttles.Van
}

// planDay reads the date's riders and appointments from the store and
// makes the day's trips and fleet; a day the fleet cannot carry, or too
// large to solve, is a 422.
func (sh *shuttleHandlers) planDay(ctx context.Context, a *shuttlePlanArgs) (*dayPlan, error) {
	as, _, err := sh.dayStores()
	if err != nil {
		return nil, err
	}
	day, err := shuttles.ParseDate(a.Date)
	if err != nil {
		return nil, errUnprocessable("date", err.Error())
	}
	d, err := sh.loadDay(ctx, day, as)
	if err != nil {
		return nil, err
	}
	if a.MaxCodeAgeDays != nil {
		d.rules.MaxCodeAge = *a.MaxCodeAgeDays
	}
	vans := a.Vans
	if len(vans) == 0 {
		if vans = defaultVans(d.facs, d.rules, a.VanCount); vans == nil {
			return nil, errUnprocessable("vans", "the district has no depot and no designated hospital to start vans from: give vans")
		}
	}
	if err := shuttles.ValidateVans(vans); err != nil {
		return nil, err
	}
	trips, skipped := shuttles.Expand(shuttles.DayInput{Date: day, Riders: d.riders, Appointments: d.appts, Rules: d.rules, Policy: a.Policy, Boarding: d.boarding})
	if err := checkFleet(trips, vans); err != nil {
		return nil, err
	}
	lim := sh.Limits
	if n := len(trips); n > lim.MaxOptimizeTasks {
		return nil, errLimit("date", fmt.Sprintf("%d trips that day; at most %d per solve", n, lim.MaxOptimizeTasks), lim.MaxOptimizeTasks)
	}
	return &dayPlan{trips: trips, skipped: skipped, vans: vans}, nil
}

// timetableRef is the result a shuttle job keeps: which version it
// stored. GET /v1/jobs/{id} renders the version (viewTimetableRef), masked
// for the reader, so that the job's record holds no rider's data.
type timetableRef struct {
	Date    string `json:"date"`
	Version int    `json:"version"`
}

func (sh *shuttleHandlers) viewTimetableRef(ctx context.Context, role accounts.Role, raw json.RawMessage) (any, error) {
	_, ts, err := sh.dayStores()
	if err != nil {
		return nil, err
	}
	var ref timetableRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		return nil, fmt.Errorf("shuttle job result: %w", err)
	}
	tt, err := ts.GetTimetable(ctx, ref.Date, ref.Version)
	if err != nil {
		return nil, err
	}
	return viewTimetable(&tt, role), nil
}

// planWork runs a shuttle plan job (on any replica): it expands the day
// from the store, solves it and, unless the job is cancelled meanwhile,
// publishes the drivers' route lists and stores the new version.
func (sh *shuttleHandlers) planWork(ctx context.Context, raw json.RawMessage, report func(any)) (any, error) {
	var a shuttlePlanArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("shuttle plan job arguments: %w", err)
	}
	_, ts, err := sh.dayStores()
	if err != nil {
		return nil, err
	}
	if sh.net == nil {
		return nil, errNoGraph
	}
	dp, err := sh.planDay(ctx, &a)
	if err != nil {
		return nil, err
	}
	opt := vrp.Options{Seed: a.Seed, TimeLimit: a.TimeLimit, Workers: sh.solverThreads(), Progress: func(p vrp.Progress) {
		report(optimizeProgress{Iteration: p.Iteration, ElapsedSeconds: p.Elapsed.Seconds(), Priority: p.Priority, Vehicles: p.Vehicles, Cost: p.Cost})
	}}
	res, kept, err := shuttles.PlanDay(ctx, dp.trips, dp.vans, a.Policy, sh.matrixFunc(ctx), opt)
	if err != nil {
		return nil, err
	}
	res.Date = a.Date
	res.Skipped = append(append([]shuttles.Skipped{}, dp.skipped...), res.Skipped...)
	res.Trips = len(dp.trips)
	tt := &shuttles.Timetable{Date: a.Date, Reason: shuttles.ReasonPlan, Author: a.Author, Seed: a.Seed, Policy: a.Policy, Fleet: dp.vans, TripList: kept, Plan: *res}
	tt.Check = res.Check
	return sh.publish(ctx, ts, tt, nil, 0)
}

// publish makes the drivers' route lists of tt and stores it as a new
// version, unless the job is cancelled (atomically with DELETE
// /v1/jobs/{id}); it returns the reference a job keeps.
func (sh *shuttleHandlers) publish(ctx context.Context, ts shuttles.TimetableStore, tt, base *shuttles.Timetable, at float64) (*timetableRef, error) {
	var saved shuttles.Timetable
	if err := jobs.Commit(ctx, func() error {
		if err := sh.publishLists(ctx, tt, base, at); err != nil {
			return err
		}
		var err error
		saved, err = ts.SaveTimetable(ctx, *tt)
		return err
	}); err != nil {
		return nil, err
	}
	return &timetableRef{Date: saved.Date, Version: saved.Version}, nil
}

// publishLists makes a driver's route list for every van whose day
// differs from base's (every van when base is nil) and copies the others'
// codes; the drivers' notices get the new codes.
func (sh *shuttleHandlers) publishLists(ctx context.Context, tt *shuttles.Timetable, base *shuttles.Timetable, at float64) error {
	old := map[uint64]shuttles.VanTimetable{}
	if base != nil {
		for _, vt := range base.Plan.Vans {
			old[vt.Van] = vt
		}
	}
	drivers := map[uint64]string{}
	for _, v := range tt.Fleet {
		drivers[v.ID] = v.Driver
	}
	out := &vroom.Output{}
	var idx []int
	for i := range tt.Plan.Vans {
		vt := &tt.Plan.Vans[i]
		if o, ok := old[vt.Van]; ok && o.RouteList != "" && sameStops(o.Stops, vt.Stops) {
			vt.RouteList = o.RouteList
			continue
		}
		out.Routes = append(out.Routes, routeOf(tt, vt))
		idx = append(idx, i)
	}
	if len(out.Routes) == 0 {
		return nil
	}
	if err := sh.addRouteLists(ctx, out, sh.zoneAt(), drivers, ""); err != nil {
		return err
	}
	for k, i := range idx {
		tt.Plan.Vans[i].RouteList = out.Routes[k].RouteList
	}
	if tt.Changes != nil {
		for i := range tt.Changes.Drivers {
			for _, vt := range tt.Plan.Vans {
				if vt.Van == tt.Changes.Drivers[i].Van {
					tt.Changes.Drivers[i].RouteList = vt.RouteList
				}
			}
		}
	}
	return nil
}

func sameStops(a, b []shuttles.Stop) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].TripID != b[i].TripID || a[i].Action != b[i].Action || a[i].Time != b[i].Time {
			return false
		}
	}
	return true
}

// routeOf is a van's day as a VROOM route (for the driver's route list):
// the stops name the rider's pseudonym, what to check and where.
func routeOf(tt *shuttles.Timetable, vt *shuttles.VanTimetable) vroom.Route {
	var depot orb.Point
	for _, v := range tt.Fleet {
		if v.ID == vt.Van {
			depot = v.Start
		}
	}
	dist := vt.DistanceM
	r := vroom.Route{Vehicle: vt.Van, Description: fmt.Sprintf("shuttle van %d, %s", vt.Van, tt.Date), Duration: vt.DriveSec, Distance: &dist}
	zero := []int64{0, 0}
	start := depot
	r.Steps = append(r.Steps, vroom.Step{Type: "start", Location: &start, Arrival: vt.LeavesS, Load: zero, Violations: []any{}})
	for _, s := range vt.Stops {
		p := s.Point
		id := s.TripID
		typ, verb := "pickup", "board"
		if s.Action == "drop_off" {
			typ, verb, id = "delivery", "alight", id+1
		}
		desc := fmt.Sprintf("%s %s (%s, %s code", s.Pseudonym, verb, s.Kind, s.Colour)
		if s.Wheelchair {
			desc += ", wheelchair"
		}
		if s.Seats > 1 {
			desc += fmt.Sprintf(", %d seats", s.Seats)
		}
		if s.Urgent {
			desc += ", URGENT"
		}
		desc += ") at " + s.Place
		if s.Action == "pick_up" {
			desc += ": check the health code"
		}
		r.Steps = append(r.Steps, vroom.Step{Type: typ, ID: &id, Description: desc, Location: &p, Arrival: s.Arrival,
			Service: s.Service, WaitingTime: s.Start - s.Arrival, Load: s.Load, Violations: []any{}})
	}
	end := depot
	r.Steps = append(r.Steps, vroom.Step{Type: "end", Location: &end, Arrival: vt.ReturnsS, Load: zero, Violations: []any{}})
	return r
}

// timetableView is the JSON of a timetable version: the plan's figures at
// the top level, then the version's.
type timetableView struct {
	shuttles.PlanResult
	Version   int                    `json:"version"`
	Base      int                    `json:"base_version"`
	CreatedAt time.Time              `json:"created_at"`
	Author    string                 `json:"author"`
	Reason    string                 `json:"reason"`
	Seed      uint64                 `json:"seed"`
	Policy    shuttles.Policy        `json:"policy"`
	Fleet     []shuttles.Van         `json:"fleet"`
	TripList  []shuttles.Trip        `json:"trip_list"`
	Cancelled []shuttles.Trip        `json:"cancelled"`
	VansOut   []uint64               `json:"vans_out"`
	Check     shuttles.DayCheck      `json:"check"`
	Changes   *shuttles.ChangeReport `json:"changes,omitempty"`
	Masked    bool                   `json:"masked,omitempty"`
}

// maskTimetable hides the riders' places (labels, exact points) and the
// drivers' phones from roles that may not see personal data.
func maskTimetable(tt *shuttles.Timetable, role accounts.Role) bool {
	m := accounts.Masker(role)
	if !m.Hides() {
		return false
	}
	homes := map[orb.Point]bool{}
	maskTrip := func(t *shuttles.Trip) {
		homes[t.HomePoint()] = true
		if t.Direction == "inbound" {
			t.FromLabel, t.From = m.Address(t.FromLabel), round3p(t.From)
		} else {
			t.ToLabel, t.To = m.Address(t.ToLabel), round3p(t.To)
		}
	}
	for i := range tt.TripList {
		maskTrip(&tt.TripList[i])
	}
	for i := range tt.Cancelled {
		maskTrip(&tt.Cancelled[i])
	}
	for i := range tt.Plan.Unplanned {
		maskTrip(&tt.Plan.Unplanned[i].Trip)
	}
	for i := range tt.Fleet {
		tt.Fleet[i].DriverPhone = m.Phone(tt.Fleet[i].DriverPhone)
	}
	for i := range tt.Plan.Vans {
		vt := &tt.Plan.Vans[i]
		vt.DriverPhone = m.Phone(vt.DriverPhone)
		for k := range vt.Stops {
			s := &vt.Stops[k]
			if homes[s.Point] {
				s.Place, s.Point = m.Address(s.Place), round3p(s.Point)
			}
		}
	}
	if tt.Changes != nil {
		for i := range tt.Changes.Riders {
			tt.Changes.Riders[i].Place = m.Address(tt.Changes.Riders[i].Place)
		}
	}
	return true
}

func round3p(p orb.Point) orb.Point { return orb.Point{round3(p[0]), round3(p[1])} }

func viewTimetable(tt *shuttles.Timetable, role accounts.Role) *timetableView {
	cp := *tt
	cp.TripList = slices.Clone(tt.TripList)
	cp.Cancelled = slices.Clone(tt.Cancelled)
	cp.Fleet = slices.Clone(tt.Fleet)
	cp.Plan.Vans = slices.Clone(tt.Plan.Vans)
	for i := range cp.Plan.Vans {
		cp.Plan.Vans[i].Stops = slices.Clone(cp.Plan.Vans[i].Stops)
	}
	cp.Plan.Unplanned = slices.Clone(tt.Plan.Unplanned)
	if tt.Changes != nil {
		ch := *tt.Changes
		ch.Riders = slices.Clone(ch.Riders)
		cp.Changes = &ch
	}
	masked := maskTimetable(&cp, role)
	v := &timetableView{PlanResult: cp.Plan, Version: cp.Version, Base: cp.Base, CreatedAt: cp.CreatedAt, Author: cp.Author, Reason: cp.Reason,
		Seed: cp.Seed, Policy: cp.Policy, Fleet: cp.Fleet, TripList: cp.TripList, Cancelled: cp.Cancelled, VansOut: cp.VansOut, Check: cp.Check,
		Changes: cp.Changes, Masked: masked}
	v.Date = cp.Date
	if v.Cancelled == nil {
		v.Cancelled = []shuttles.Trip{}
	}
	if v.VansOut == nil {
		v.VansOut = []uint64{}
	}
	if v.TripList == nil {
		v.TripList = []shuttles.Trip{}
	}
	return v
}

func pathDate(c *gin.Context) (string, error) {
	d := c.Param("date")
	if _, err := shuttles.ParseDate(d); err != nil {
		return "", errBadRequest("bad_parameter", "date: "+err.Error(), map[string]any{"path": "date"})
	}
	return d, nil
}

func (sh *shuttleHandlers) getTimetable(c *gin.Context) {
	_, ts, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := pathDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	version := 0
	if s := c.Param("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			fail(c, errBadRequest("bad_parameter", fmt.Sprintf("n: %q must be a version number (1, 2, ...)", truncateQ(s)), map[string]any{"path": "n"}))
			return
		}
		version = v
	}
	format := c.DefaultQuery("format", "json")
	var van, rider, facility int64
	for _, q := range []struct {
		name string
		dst  *int64
	}{{"van", &van}, {"rider", &rider}, {"facility", &facility}} {
		v, err := queryID(c, q.name)
		if err != nil {
			fail(c, err)
			return
		}
		*q.dst = v
	}
	switch format {
	case "json", "csv", "ics", "html":
	default:
		fail(c, errBadRequest("bad_parameter", fmt.Sprintf("query.format: %q must be json, csv, ics or html", truncateQ(format)), map[string]any{"path": "query.format"}))
		return
	}
	tt, err := ts.GetTimetable(c.Request.Context(), date, version)
	if err != nil {
		fail(c, err)
		return
	}
	role := auth.RoleOf(c)
	v := viewTimetable(&tt, role)
	out := shuttles.Timetable{Date: v.Date, Version: v.Version, Base: v.Base, CreatedAt: v.CreatedAt, Author: v.Author, Reason: v.Reason,
		Policy: v.Policy, Fleet: v.Fleet, TripList: v.TripList, Plan: v.PlanResult, Check: v.Check, Changes: v.Changes}
	if van != 0 && !slices.ContainsFunc(out.Fleet, func(x shuttles.Van) bool { return x.ID == uint64(van) }) {
		fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no van %d in the timetable of %s", van, date), Details: map[string]any{"path": "query.van"}})
		return
	}
	name := fmt.Sprintf("shuttles-%s-v%d", date, tt.Version)
	switch format {
	case "json":
		c.JSON(http.StatusOK, v)
	case "csv":
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		c.Data(http.StatusOK, "text/csv; charset=utf-8", shuttles.CSV(&out))
	case "ics":
		if van != 0 {
			name += fmt.Sprintf("-van%d", van)
		}
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.ics"`, name))
		c.Data(http.StatusOK, "text/calendar; charset=utf-8", shuttles.ICalendar(&out, uint64(van), sh.Now()))
	case "html":
		page, err := shuttles.HTML(&out, shuttles.PageFilter{Van: uint64(van), Rider: rider, Facility: facility})
		if err != nil {
			fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error(), Details: map[string]any{"path": "query"}})
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	}
}

func (sh *shuttleHandlers) listTimetables(c *gin.Context) {
	_, ts, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := pathDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	vs, err := ts.ListTimetables(c.Request.Context(), date)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"date": date, "versions": vs})
}

// changeInput is the body of POST .../changes.
type changeInput struct {
	At      string            `json:"at"` // HH:MM; default now (the date must be today)
	Changes []shuttles.Change `json:"changes"`
}

// atOf parses "at" (HH:MM) or takes the time of day now when the date is
// today in the district.
func (sh *shuttleHandlers) atOf(at, date string) (float64, error) {
	if at == "" {
		now := sh.Now().In(cst)
		if now.Format(time.DateOnly) != date {
			return 0, errUnprocessable("at", fmt.Sprintf("required: %s is not today (%s) in the district", date, now.Format(time.DateOnly)))
		}
		return float64(now.Hour()*3600 + now.Minute()*60 + now.Second()), nil
	}
	m, err := shuttles.ParseClock(at)
	if err != nil {
		return 0, errUnprocessable("at", err.Error())
	}
	return float64(m * 60), nil
}

const maxChanges = 100

func (sh *shuttleHandlers) changes(c *gin.Context) {
	limit, _, err := sh.solveParams(c)
	if err != nil {
		fail(c, err)
		return
	}
	as, ts, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := pathDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	var in changeInput
	if err := decodeJSON(c, sh.MaxBodyBytes, &in); err != nil {
		fail(c, err)
		return
	}
	if len(in.Changes) == 0 || len(in.Changes) > maxChanges {
		fail(c, errUnprocessable("changes", fmt.Sprintf("want 1 to %d changes, got %d", maxChanges, len(in.Changes))))
		return
	}
	at, err := sh.atOf(in.At, date)
	if err != nil {
		fail(c, err)
		return
	}
	if sh.net == nil {
		fail(c, errNoGraph)
		return
	}
	ctx := c.Request.Context()
	base, err := ts.GetTimetable(ctx, date, 0)
	if err != nil {
		fail(c, err)
		return
	}
	a := shuttleChangesArgs{Date: date, At: at, Base: base.Version, Changes: in.Changes, TimeLimit: limit, Author: ownerOf(c)}
	// resolved here too, so that a bad change is a 422 at once; the job
	// resolves them again against the same version where it runs
	if _, _, err := sh.resolve(ctx, as, ts, &a); err != nil {
		fail(c, err)
		return
	}
	sh.runSolve(c, "shuttle_changes", limit, a)
}

// shuttleChangesArgs is a re-plan job: the changes as asked (rider and trip
// ids, no rider's data) against version Base of the date's timetable.
type shuttleChangesArgs struct {
	Date      string            `json:"date"`
	At        float64           `json:"at_s"`
	Base      int               `json:"base_version"`
	Changes   []shuttles.Change `json:"changes"`
	TimeLimit time.Duration     `json:"time_limit_ns"`
	Author    string            `json:"author,omitempty"`
}

// resolve reads the base version and the registry and turns the changes
// into edits.
func (sh *shuttleHandlers) resolve(ctx context.Context, as shuttles.AppointmentStore, ts shuttles.TimetableStore, a *shuttleChangesArgs) (*shuttles.Timetable, shuttles.Edits, error) {
	base, err := ts.GetTimetable(ctx, a.Date, a.Base)
	if err != nil {
		return nil, shuttles.Edits{}, err
	}
	day, err := shuttles.ParseDate(a.Date)
	if err != nil {
		return nil, shuttles.Edits{}, errUnprocessable("date", err.Error())
	}
	d, err := sh.loadDay(ctx, day, as)
	if err != nil {
		return nil, shuttles.Edits{}, err
	}
	edits, err := resolveChanges(a.Changes, &base, d, day, a.At)
	return &base, edits, err
}

// changesWork runs a re-plan job (on any replica).
func (sh *shuttleHandlers) changesWork(ctx context.Context, raw json.RawMessage, _ func(any)) (any, error) {
	var a shuttleChangesArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("shuttle changes job arguments: %w", err)
	}
	as, ts, err := sh.dayStores()
	if err != nil {
		return nil, err
	}
	if sh.net == nil {
		return nil, errNoGraph
	}
	base, edits, err := sh.resolve(ctx, as, ts, &a)
	if err != nil {
		return nil, err
	}
	tt, err := shuttles.Replan(ctx, shuttles.ReplanInput{Base: base, At: a.At, Edits: edits, Matrix: sh.matrixFunc(ctx),
		Opt: vrp.Options{Seed: base.Seed, TimeLimit: a.TimeLimit, Workers: sh.solverThreads()}})
	if err != nil {
		return nil, err
	}
	tt.Author = a.Author
	return sh.publish(ctx, ts, tt, base, a.At)
}

// resolveChanges turns the requests into edits against the registry, the
// rules and the base version; errors name the request ("changes[2].van").
func resolveChanges(cs []shuttles.Change, base *shuttles.Timetable, d *dayData, day time.Time, at float64) (shuttles.Edits, error) {
	e := shuttles.Edits{Requests: cs}
	riders := map[int64]*shuttles.Rider{}
	for i := range d.riders {
		riders[d.riders[i].ID] = &d.riders[i]
	}
	rider := func(i int, id int64) (*shuttles.Rider, error) {
		r, ok := riders[id]
		if !ok {
			return nil, errUnprocessable(fmt.Sprintf("changes[%d].rider_id", i), fmt.Sprintf("no rider %d in the registry", id))
		}
		return r, nil
	}
	for i, ch := range cs {
		path := fmt.Sprintf("changes[%d]", i)
		switch ch.Kind {
		case "cancel_trip":
			e.Cancel = append(e.Cancel, ch.TripID)
		case "cancel_rider":
			r, err := rider(i, ch.RiderID)
			if err != nil {
				return e, err
			}
			n := 0
			for _, vt := range base.Plan.Vans {
				for _, s := range vt.Stops {
					if s.RiderID == r.ID && s.Action == "pick_up" && s.Start >= at {
						e.Cancel = append(e.Cancel, s.TripID)
						n++
					}
				}
			}
			for _, u := range base.Plan.Unplanned {
				if u.Trip.RiderID == r.ID {
					e.Cancel = append(e.Cancel, u.Trip.ID)
					n++
				}
			}
			if n == 0 {
				return e, errUnprocessable(path+".rider_id", fmt.Sprintf("%s has no trip left to cancel after %s", r.Pseudonym, shuttles.Clock(at)))
			}
		case "add_trip":
			r, err := rider(i, ch.RiderID)
			if err != nil {
				return e, err
			}
			a := shuttles.Appointment{ID: -1 - int64(i), RiderID: r.ID, Date: day.Format(time.DateOnly), Kind: ch.Category, Start: ch.Start, DurationMin: ch.DurationMin, OneWay: ch.OneWay}
			if err := a.Validate(); err != nil {
				var ve *zones.ValidationError
				if errors.As(err, &ve) {
					return e, errUnprocessable(path+"."+strings.Replace(ve.Path, "kind", "category", 1), ve.Message)
				}
				return e, err
			}
			rc := *r
			rc.Sessions = nil
			trips, skipped := shuttles.Expand(shuttles.DayInput{Date: day, Riders: []shuttles.Rider{rc}, Appointments: []shuttles.Appointment{a},
				Rules: d.rules, Policy: base.Policy, Boarding: d.boarding})
			if len(skipped) > 0 {
				return e, errUnprocessable(path+".rider_id", skipped[0].Refusal.Message)
			}
			for _, t := range trips {
				t.AppointmentID = 0
				e.Add = append(e.Add, t)
			}
		case "colour":
			r, err := rider(i, ch.RiderID)
			if err != nil {
				return e, err
			}
			col := zones.HealthCode(ch.Colour)
			switch col {
			case zones.CodeRed, zones.CodeOrange, zones.CodeYellow, zones.CodeGreen:
			default:
				return e, errUnprocessable(path+".colour", fmt.Sprintf("want red, orange, yellow or green, got %q", ch.Colour))
			}
			rc := *r
			rc.HealthCode.Colour = col
			rc.HealthCode.SetOn = day.Format(time.DateOnly)
			rec := shuttles.Recolour{RiderID: r.ID, Colour: col}
			fid, rf := d.rules.Destination(&rc, day)
			if rf != nil {
				return e, errUnprocessable(path+".colour", fmt.Sprintf("no facility takes %s with a %s code: %s", r.Pseudonym, col, rf.Message))
			}
			if f, ok := d.rules.Facility(fid); ok && fid != r.FacilityID {
				rec.Facility = &f
			}
			e.Recolour = append(e.Recolour, rec)
		case "van_out":
			e.VansOut = append(e.VansOut, ch.Van)
		default:
			return e, errUnprocessable(path+".kind", fmt.Sprintf("want cancel_trip, cancel_rider, add_trip, colour or van_out; got %q", ch.Kind))
		}
	}
	return e, nil
}

// urgentInput is the body of POST /v1/shuttles/urgent.
type urgentInput struct {
	Date       string            `json:"date"`
	RiderID    int64             `json:"rider_id"`
	At         string            `json:"at"`       // HH:MM; default now
	Category   shuttles.Category `json:"category"` // labour (default) or other (an emergency)
	FacilityID int64             `json:"facility_id"`
}

func (sh *shuttleHandlers) urgent(c *gin.Context) {
	as, ts, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	var in urgentInput
	if err := decodeJSON(c, 16<<10, &in); err != nil {
		fail(c, err)
		return
	}
	day, err := shuttles.ParseDate(in.Date)
	if err != nil {
		fail(c, errUnprocessable("date", err.Error()))
		return
	}
	if in.Category == "" {
		in.Category = shuttles.CategoryLabour
	}
	if in.Category != shuttles.CategoryLabour && in.Category != shuttles.CategoryOther {
		fail(c, errUnprocessable("category", fmt.Sprintf("want labour or other, got %q", in.Category)))
		return
	}
	at, err := sh.atOf(in.At, in.Date)
	if err != nil {
		fail(c, err)
		return
	}
	if in.RiderID <= 0 {
		fail(c, errUnprocessable("rider_id", "required: the id of a rider"))
		return
	}
	if sh.net == nil {
		fail(c, errNoGraph)
		return
	}
	ctx := c.Request.Context()
	base, err := ts.GetTimetable(ctx, in.Date, 0)
	if err != nil {
		fail(c, err)
		return
	}
	d, err := sh.loadDay(ctx, day, as)
	if err != nil {
		fail(c, err)
		return
	}
	var r *shuttles.Rider
	for i := range d.riders {
		if d.riders[i].ID == in.RiderID {
			r = &d.riders[i]
		}
	}
	if r == nil {
		fail(c, errUnprocessable("rider_id", fmt.Sprintf("no rider %d in the registry", in.RiderID)))
		return
	}
	rc := *r
	rc.Sessions = nil
	if in.Category == shuttles.CategoryOther && !r.Category.Pregnancy() {
		rc.Category = shuttles.CategoryOther
	}
	a := shuttles.Appointment{RiderID: r.ID, Date: in.Date, Kind: shuttles.CategoryLabour, Start: shuttles.Clock(at), FacilityID: in.FacilityID}
	pol := base.Policy
	trips, skipped := shuttles.Expand(shuttles.DayInput{Date: day, Riders: []shuttles.Rider{rc}, Appointments: []shuttles.Appointment{a},
		Rules: d.rules, Policy: pol, Boarding: d.boarding})
	if len(skipped) > 0 || len(trips) != 1 {
		msg := "no facility takes the rider"
		if len(skipped) > 0 {
			msg = skipped[0].Refusal.Message
		}
		fail(c, errUnprocessable("rider_id", msg))
		return
	}
	trip := trips[0]
	trip.Kind = in.Category
	trip.Window = [2]int{int(at), min(int(at)+pol.UrgentPickupMin*60, 24*3600)}
	tt, ans, err := shuttles.Urgent(ctx, shuttles.UrgentInput{Base: &base, At: at, Trip: trip, Matrix: sh.matrixFunc(ctx)})
	if err != nil {
		fail(c, err)
		return
	}
	tt.Author = ownerOf(c)
	if err := sh.publishLists(ctx, tt, &base, at); err != nil {
		fail(c, err)
		return
	}
	saved, err := ts.SaveTimetable(ctx, *tt)
	if err != nil {
		fail(c, err)
		return
	}
	var list string
	var phone string
	for _, vt := range saved.Plan.Vans {
		if vt.Van == ans.Van {
			list, phone = vt.RouteList, vt.DriverPhone
		}
	}
	m := accounts.Masker(auth.RoleOf(c))
	c.JSON(http.StatusOK, gin.H{"answer": ans, "route_list": list, "driver_phone": m.Phone(phone), "version": saved.Version,
		"changes": viewTimetable(&saved, auth.RoleOf(c)).Changes})
}

// appointmentInput is the body of POST /v1/shuttles/appointments.
type appointmentInput struct {
	RiderID     int64             `json:"rider_id"`
	Date        string            `json:"date"`
	Kind        shuttles.Category `json:"kind"`
	Start       string            `json:"start"`
	DurationMin int               `json:"duration_min"`
	FacilityID  int64             `json:"facility_id"`
	OneWay      bool              `json:"one_way"`
}

func (sh *shuttleHandlers) createAppointment(c *gin.Context) {
	as, _, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	st, err := sh.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	var in appointmentInput
	if err := decodeJSON(c, 16<<10, &in); err != nil {
		fail(c, err)
		return
	}
	a := shuttles.Appointment{RiderID: in.RiderID, Date: in.Date, Kind: in.Kind, Start: in.Start, DurationMin: in.DurationMin, FacilityID: in.FacilityID, OneWay: in.OneWay}
	if err := a.Validate(); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	r, err := st.GetRider(ctx, a.RiderID)
	if errors.Is(err, zones.ErrNotFound) || (err == nil && r.Archived) {
		fail(c, errUnprocessable("rider_id", fmt.Sprintf("no rider %d in the registry", a.RiderID)))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if a.Kind.Pregnancy() && !r.Category.Pregnancy() {
		fail(c, errUnprocessable("kind", fmt.Sprintf("%s appointments are for prenatal and labour riders; %s is a %s rider", a.Kind, r.Pseudonym, r.Category)))
		return
	}
	if a.FacilityID != 0 {
		ru, _, err := sh.rules(ctx)
		if err != nil {
			fail(c, err)
			return
		}
		day, _ := shuttles.ParseDate(a.Date)
		rc := r
		rc.Category = a.Kind
		if rf := ru.MayTake(a.FacilityID, &rc, day); rf != nil && rf.Code != "own_facility_only" {
			fail(c, errUnprocessable("facility_id", rf.Message))
			return
		}
	}
	out, err := as.CreateAppointment(ctx, a)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (sh *shuttleHandlers) listAppointments(c *gin.Context) {
	as, _, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	f := shuttles.AppointmentFilter{Date: c.Query("date")}
	if f.Date != "" {
		if _, err := shuttles.ParseDate(f.Date); err != nil {
			fail(c, errBadRequest("bad_parameter", "query.date: "+err.Error(), map[string]any{"path": "query.date"}))
			return
		}
	}
	if f.RiderID, err = queryID(c, "rider_id"); err != nil {
		fail(c, err)
		return
	}
	if f.IncludeCancelled, err = queryBool(c, "cancelled", false); err != nil {
		fail(c, err)
		return
	}
	out, err := as.ListAppointments(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"appointments": out})
}

func (sh *shuttleHandlers) cancelAppointment(c *gin.Context) {
	as, _, err := sh.dayStores()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, errBadRequest("bad_parameter", fmt.Sprintf("id: %q is not a positive integer", truncateQ(c.Param("id"))), map[string]any{"path": "id"}))
		return
	}
	a, err := as.CancelAppointment(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
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
	// n vans in the plan and one more on standby for urgent calls (labour,
	// an emergency after dialysis), so that an urgent call always has a van
	vans := make([]shuttles.Van, n+1)
	for i := range vans {
		vans[i] = shuttles.Van{ID: uint64(i + 1), Start: start, Seats: shuttles.DefaultVanSeats, WheelchairPlaces: shuttles.DefaultVanWheelchair, Standby: i == n}
	}
	return vans
}
