package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/jobs"
	"lifeline/routing"
	"lifeline/routing/deliveries"
	"lifeline/routing/network"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// Medicine deliveries (issue 13): the hotline desk's intake, the cut-offs
// that batch requests per supply point and plan the two legs on the VRP
// engine, the volunteers' hand-over lists, the drivers' reports (through
// the route lists' stop status) and the daily reconciliation.
//
// Dispatchers (and admins) do everything and see residents' personal data;
// planners and viewers see the day's requests masked, the batches and the
// reconciliation (no personal data); drivers their route lists and the
// hand-over lists of their supply points (names masked to what a volunteer
// needs: initials, flat, the last two digits of the phone).

// DeliveryOptions configure the deliveries' endpoints.
type DeliveryOptions struct {
	// Cutoffs are the day's cut-off times ("10:00", "15:00"; district
	// time, UTC+8); with Context set, a goroutine batches and plans at
	// each one until the context ends.
	Cutoffs []string
	Context context.Context
	// PlanTime is the solver's budget of a scheduled cut (default 10 s).
	PlanTime time.Duration
}

// DefaultCutoffs are the cut-offs of the issue.
var DefaultCutoffs = []string{"10:00", "15:00"}

// districtZone is the district's time zone (Beijing time).
var districtZone = zones.DistrictZone

// DeliveryRoutes registers /v1/deliveries/... on the car network n (nil:
// planning answers 503 no_road_graph).
func DeliveryRoutes(n *network.Network, o DeliveryOptions) func(r gin.IRouter, h *Handlers) {
	return func(r gin.IRouter, h *Handlers) {
		dh := &deliveryHandlers{Handlers: h, net: n, opts: o}
		h.register("delivery_cut", dh.cutWork)
		r.POST("/deliveries/requests", dh.createRequest)
		r.GET("/deliveries/requests", dh.listRequests)
		r.POST("/deliveries/requests/import", dh.importRequests)
		r.GET("/deliveries/requests/:id", dh.getRequest)
		r.POST("/deliveries/requests/:id/state", dh.moveRequest)
		r.POST("/deliveries/batches", dh.cutNow)
		r.GET("/deliveries/batches", dh.listBatches)
		r.GET("/deliveries/vans", dh.listVans)
		r.PUT("/deliveries/vans", dh.setVans)
		r.GET("/deliveries/routes", dh.routes)
		r.GET("/deliveries/supply-points/:id/handover", dh.handover)
		r.GET("/deliveries/reconciliation", dh.reconciliation)
		h.stopHooks = append(h.stopHooks, dh.stopReport)
		if o.Context != nil && len(o.Cutoffs) > 0 {
			go dh.scheduler(o.Context)
		}
	}
}

type deliveryHandlers struct {
	*Handlers
	net  *network.Network
	opts DeliveryOptions

	cutMu sync.Mutex // one cut at a time

	dmu      sync.Mutex
	district *deliveries.District
	distAt   time.Time
	// dayNet is the road network of the last cut's sealed zones (dayNetKey)
	// while the served network is at version dayNetBase.
	dayNet     *network.Network
	dayNetKey  string
	dayNetBase uint64
}

var errNoDeliveries = &Error{Status: http.StatusServiceUnavailable, Code: "deliveries_unavailable", Message: "this store keeps no medicine deliveries"}

func (dh *deliveryHandlers) store() (deliveries.Store, error) {
	s, ok := dh.Store.(deliveries.Store)
	if !ok {
		return nil, errNoDeliveries
	}
	return s, nil
}

// districtTTL is how long the district (compounds, facilities) is cached
// for intake: thousands of requests a second must not each read the map.
const districtTTL = 10 * time.Second

func (dh *deliveryHandlers) loadDistrict(ctx context.Context) (*deliveries.District, error) {
	dh.dmu.Lock()
	defer dh.dmu.Unlock()
	if dh.district != nil && time.Since(dh.distAt) < districtTTL {
		return dh.district, nil
	}
	cs, err := dh.Store.ListCompounds(ctx, nil)
	if err != nil {
		return nil, err
	}
	fs, err := dh.Store.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		return nil, err
	}
	dh.district, dh.distAt = deliveries.NewDistrict(cs, fs), time.Now()
	return dh.district, nil
}

func (dh *deliveryHandlers) today() string { return dh.Now().In(districtZone).Format(time.DateOnly) }

func (dh *deliveryHandlers) queryDate(c *gin.Context) (string, error) {
	s, ok := c.GetQuery("date")
	if !ok {
		return dh.today(), nil
	}
	if _, err := deliveries.ParseDate(s); err != nil {
		return "", errBadRequest("bad_parameter", "query.date: "+err.Error(), map[string]any{"path": "query.date"})
	}
	return s, nil
}

// requestInput is the body of POST /v1/deliveries/requests.
type requestInput struct {
	Key           string            `json:"idempotency_key"`
	Date          string            `json:"date"`
	CompoundID    int64             `json:"compound_id"`
	Building      string            `json:"building"`
	BuildingPoint *orb.Point        `json:"building_point"`
	Flat          string            `json:"flat"`
	Name          string            `json:"name"`
	Phone         string            `json:"phone"`
	Items         []deliveries.Item `json:"items"`
	Prescription  bool              `json:"prescription"`
	InsuranceCard bool              `json:"insurance_card"`
	Urgency       string            `json:"urgency"`
	Caller        string            `json:"caller"`
	Channel       string            `json:"channel"`
	SupplyPointID int64             `json:"supply_point_id"`
	PharmacyID    int64             `json:"pharmacy_id"`
}

func (in requestInput) request() deliveries.Request {
	r := deliveries.Request{Key: in.Key, Date: in.Date, CompoundID: in.CompoundID, Building: in.Building, BuildingPoint: in.BuildingPoint,
		Flat: in.Flat, Name: in.Name, Phone: in.Phone, Items: in.Items, Prescription: in.Prescription, InsuranceCard: in.InsuranceCard,
		Urgency: deliveries.Urgency(in.Urgency), Caller: in.Caller, Channel: deliveries.Channel(in.Channel),
		SupplyPointID: in.SupplyPointID, PharmacyID: in.PharmacyID}
	if r.Urgency == "" {
		r.Urgency = deliveries.UrgencyRoutine
	}
	if r.Channel == "" {
		r.Channel = deliveries.ChannelHotline
	}
	return r
}

// requestView is a request as a role may see it.
type requestView struct {
	deliveries.Request
	Masked bool `json:"masked,omitempty"`
}

func viewRequest(r deliveries.Request, role accounts.Role) requestView {
	m := accounts.Masker(role)
	if !m.Hides() {
		return requestView{Request: r}
	}
	r.Name, r.Phone, r.Flat = m.Name(r.Name), m.Phone(r.Phone), m.Address(r.Flat)
	r.Building = m.Address(r.Building)
	r.Caller = ""
	if r.BuildingPoint != nil {
		p := orb.Point{round3(r.BuildingPoint[0]), round3(r.BuildingPoint[1])}
		r.BuildingPoint = &p
	}
	return requestView{Request: r, Masked: true}
}

// IdempotencyKeyHeader carries a request's idempotency key (or the body's
// "idempotency_key").
const IdempotencyKeyHeader = "Idempotency-Key"

func byOf(c *gin.Context) string {
	if s := ownerOf(c); s != "" {
		return s
	}
	return "api"
}

func (dh *deliveryHandlers) createRequest(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	var in requestInput
	if err := decodeJSON(c, 64<<10, &in); err != nil {
		fail(c, err)
		return
	}
	if hk := c.GetHeader(IdempotencyKeyHeader); hk != "" {
		if in.Key != "" && in.Key != hk {
			fail(c, errUnprocessable("idempotency_key", "the body's key differs from the "+IdempotencyKeyHeader+" header"))
			return
		}
		in.Key = hk
	}
	r := in.request()
	if r.Date == "" {
		r.Date = dh.today()
	}
	if err := r.Validate(); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := dh.loadDistrict(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	if err := d.Check(&r); err != nil {
		fail(c, err)
		return
	}
	out, created, err := st.CreateRequest(ctx, r, byOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	if !created {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", fmt.Sprintf("/v1/deliveries/requests/%d", out.ID))
	c.JSON(http.StatusCreated, viewRequest(out, auth.RoleOf(c)))
}

func (dh *deliveryHandlers) listRequests(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	var f deliveries.RequestFilter
	if f.Date, err = dh.queryDate(c); err != nil {
		fail(c, err)
		return
	}
	s, err := queryEnum(c, "state", "", names(deliveries.States)...)
	if err != nil {
		fail(c, err)
		return
	}
	f.State = deliveries.State(s)
	if f.SupplyPointID, err = queryID(c, "supply_point_id"); err != nil {
		fail(c, err)
		return
	}
	if f.BatchID, err = queryID(c, "batch_id"); err != nil {
		fail(c, err)
		return
	}
	if f.Limit, err = queryInt(c, "limit", 20000, 100000); err != nil {
		fail(c, err)
		return
	}
	if f.Offset, err = queryInt(c, "offset", 0, math.MaxInt32); err != nil {
		fail(c, err)
		return
	}
	rs, err := st.ListRequests(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	role := auth.RoleOf(c)
	out := make([]requestView, len(rs))
	for i, r := range rs {
		out[i] = viewRequest(r, role)
	}
	c.JSON(http.StatusOK, gin.H{"date": f.Date, "requests": out, "count": len(out), "masked": accounts.Masker(role).Hides()})
}

func (dh *deliveryHandlers) getRequest(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := st.GetRequest(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewRequest(r, auth.RoleOf(c)))
}

// moveInput is the body of POST /v1/deliveries/requests/{id}/state.
type moveInput struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// moveRequest changes one request's state by hand (the dispatcher: a
// volunteer's report of a delivery, a cancellation); the state machine's
// refusals are 409, a bad state or a failure without reason 422.
func (dh *deliveryHandlers) moveRequest(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var in moveInput
	if err := decodeJSON(c, 4<<10, &in); err != nil {
		fail(c, err)
		return
	}
	if !deliveries.State(in.State).Valid() {
		fail(c, errUnprocessable("state", fmt.Sprintf("%q is not a state of a request", truncateQ(in.State))))
		return
	}
	out, err := st.MoveRequests(c.Request.Context(), []deliveries.Move{{ID: id, To: deliveries.State(in.State), Reason: in.Reason, By: byOf(c)}})
	if err != nil {
		var ve *zones.ValidationError
		if errors.As(err, &ve) {
			ve.Path = strings.TrimPrefix(ve.Path, "[0].")
		}
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewRequest(out[0], auth.RoleOf(c)))
}

// importRequests reads a batch file (deliveries.DecodeCSV; query date= is
// the day of rows without one): every row is checked on its own and
// against the district; any bad row is a 422 listing every bad row, and
// nothing is written. Rows whose idempotency key is already stored (with
// the same request) are not created again.
func (dh *deliveryHandlers) importRequests(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := dh.queryDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := readBody(c, dh.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	reqs, rows, errs := deliveries.DecodeCSV(body, date)
	if len(errs) < deliveries.MaxImportErrors && len(reqs) > 0 {
		d, err := dh.loadDistrict(ctx)
		if err != nil {
			fail(c, err)
			return
		}
		for i := range reqs {
			if err := d.Check(&reqs[i]); err != nil {
				errs = append(errs, deliveries.RowErrorOf(rows[i], err))
				if len(errs) >= deliveries.MaxImportErrors {
					break
				}
			}
		}
		slices.SortStableFunc(errs, func(a, b deliveries.RowError) int { return a.Row - b.Row })
	}
	if len(errs) > 0 {
		fail(c, rowErrors(errs))
		return
	}
	out, created, err := st.ImportRequests(ctx, reqs, byOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	type item struct {
		Row         int    `json:"row"`
		ID          int64  `json:"id"`
		Key         string `json:"idempotency_key"`
		Created     bool   `json:"created"`
		DuplicateOf int64  `json:"duplicate_of,omitempty"`
	}
	items := make([]item, len(out))
	n := 0
	for i, r := range out {
		items[i] = item{rows[i], r.ID, r.Key, created[i], r.DuplicateOf}
		if created[i] {
			n++
		}
	}
	c.JSON(http.StatusCreated, gin.H{"imported": n, "unchanged": len(out) - n, "requests": items})
}

func (dh *deliveryHandlers) listBatches(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := dh.queryDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	bs, err := st.ListBatches(c.Request.Context(), date)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"date": date, "batches": bs, "count": len(bs)})
}

// vans is the fleet: the stored one, else a default fleet of 6 vans at the
// district's depot (07:00-21:00, 40 boxes, 800 l).
func (dh *deliveryHandlers) vans(ctx context.Context, st deliveries.Store) ([]deliveries.Van, error) {
	vs, err := st.ListVans(ctx)
	if err != nil || len(vs) > 0 {
		return vs, err
	}
	d, err := dh.loadDistrict(ctx)
	if err != nil {
		return nil, err
	}
	return DefaultDeliveryVans(d, 6, ""), nil
}

// DefaultDeliveryVans is a fleet of n vans at the district's depot (else
// its first pharmacy); van 1 is driven by driver (may be ""). Nil when the
// district has neither.
func DefaultDeliveryVans(d *deliveries.District, n int, driver string) []deliveries.Van {
	var depot orb.Point
	switch {
	case d.Depot != nil:
		depot = d.Depot.Point
	case len(d.Pharmacies) > 0:
		depot = d.Facilities[d.Pharmacies[0]].Point
	default:
		return nil
	}
	vs := make([]deliveries.Van, n)
	for i := range vs {
		vs[i] = deliveries.Van{ID: int64(i + 1), Name: fmt.Sprintf("Van %d", i+1), Depot: depot, Boxes: 40, VolumeL: 800, ShiftStart: "07:00", ShiftEnd: "21:00"}
	}
	if n > 0 {
		vs[0].Driver = driver
	}
	return vs
}

func (dh *deliveryHandlers) listVans(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	stored, err := st.ListVans(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	vs, err := dh.vans(c.Request.Context(), st)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"vans": vs, "default": len(stored) == 0})
}

func (dh *deliveryHandlers) setVans(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	var in struct {
		Vans []deliveries.Van `json:"vans"`
	}
	if err := decodeJSON(c, 1<<20, &in); err != nil {
		fail(c, err)
		return
	}
	vs, err := st.SetVans(c.Request.Context(), in.Vans)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"vans": vs, "default": false})
}

// ----- cut-offs and planning -----

// cutInput is the body of POST /v1/deliveries/batches (optional).
type cutInput struct {
	Date string `json:"date"`
}

// CutResult is the answer of a cut: the batches made, the two legs'
// routes (each a driver's route list) and what could not be planned.
// Nothing is left behind: the requests of a batch that got no route go
// back to the queue (Carried), and a batch whose lists went to the
// pharmacy but whose medicines got no way back gets its leg 2 at the next
// cut (Leg2Carried: those of earlier cuts this cut planned again).
type CutResult struct {
	Date     string             `json:"date"`
	Cut      string             `json:"cut"`
	Requests int                `json:"requests"`
	Batches  []deliveries.Batch `json:"batches"`
	// CarriedIn counts the requests of earlier cuts (carried, or left on
	// an earlier day) in this cut's batches; Carried those this cut sent
	// back to the queue.
	CarriedIn   int                `json:"carried_in"`
	Carried     int                `json:"carried"`
	Leg2Carried []deliveries.Batch `json:"leg2_carried"`
	Legs        []LegResult        `json:"legs"`
	Unplanned   []UnplannedBatch   `json:"unplanned"`
	VansUsed    int                `json:"vans_used"`
	DriveS      float64            `json:"drive_s"`
	DistanceM   float64            `json:"distance_m"`
	Seconds     float64            `json:"seconds"`
}

// LegResult is one leg of a cut.
type LegResult struct {
	Leg        int           `json:"leg"`
	Routes     []LegRoute    `json:"routes"`
	Shipments  int           `json:"shipments"`
	Violations []string      `json:"violations"` // routing/vrp/check: empty for a sound plan
	SolveS     float64       `json:"solve_s"`
	Output     *vroom.Output `json:"-"`
}

// LegRoute is one van's route of a leg.
type LegRoute struct {
	Van       int64   `json:"van"`
	VanName   string  `json:"van_name"`
	Driver    string  `json:"driver,omitempty"`
	RouteList string  `json:"route_list"`
	Stops     int     `json:"stops"`
	Leaves    string  `json:"leaves"`
	Returns   string  `json:"returns"`
	DriveS    float64 `json:"drive_s"`
	DistanceM float64 `json:"distance_m"`
}

// UnplannedBatch is a batch the plan could not (fully) serve, and what
// happens to it: "queue" (its requests are back in the queue for the next
// cut) or "leg2" (its lists go to the pharmacy; the next cut plans the
// medicines' way back).
type UnplannedBatch struct {
	BatchID int64  `json:"batch_id"`
	Reason  string `json:"reason"`
	Next    string `json:"next"`
}

func (dh *deliveryHandlers) cutNow(c *gin.Context) {
	lim := dh.Limits
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
	if _, err := dh.store(); err != nil {
		fail(c, err)
		return
	}
	var in cutInput
	if c.Request.ContentLength != 0 {
		body, err := readBody(c, 4<<10)
		if err != nil && !isEmptyBody(err) {
			fail(c, err)
			return
		}
		if err == nil {
			if err := unmarshalStrict(body, &in); err != nil {
				fail(c, err)
				return
			}
		}
	}
	now := dh.Now().In(districtZone)
	if in.Date == "" {
		in.Date = now.Format(time.DateOnly)
	}
	day, err := deliveries.ParseDate(in.Date)
	if err != nil {
		fail(c, errUnprocessable("date", err.Error()))
		return
	}
	notBefore := 0
	if in.Date == now.Format(time.DateOnly) {
		notBefore = now.Hour()*3600 + now.Minute()*60 + now.Second()
	} else if day.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
		fail(c, errUnprocessable("date", "the day is over: cut today or a later day"))
		return
	}
	if dh.net == nil {
		fail(c, errNoGraph)
		return
	}
	dh.runSolve(c, "delivery_cut", limit, cutArgs{Date: in.Date, Cut: deliveries.CutNow, Owner: ownerOf(c), NotBefore: notBefore, Seed: seed, TimeLimit: limit})
}

// cutArgs is a cut job (POST /v1/deliveries/batches or a scheduled
// cut-off): the day and the cut, no request's data (the job reads the
// day's received requests from the store where it runs).
type cutArgs struct {
	Date      string        `json:"date"`
	Cut       string        `json:"cut"` // "now" or the cut-off ("10:00")
	Owner     string        `json:"owner,omitempty"`
	NotBefore int           `json:"not_before_s"` // no route leaves before (seconds of the day)
	Seed      uint64        `json:"seed"`
	TimeLimit time.Duration `json:"time_limit_ns"`
	Scheduled bool          `json:"scheduled,omitempty"` // a cut-off of the scheduler: logged
}

// cutWork runs a cut job (on any replica).
func (dh *deliveryHandlers) cutWork(ctx context.Context, raw json.RawMessage, _ func(any)) (any, error) {
	var a cutArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("delivery cut job arguments: %w", err)
	}
	if dh.net == nil {
		return nil, errNoGraph
	}
	res, err := dh.cut(ctx, a.Date, a.Cut, a.Owner, a.NotBefore, vrp.Options{Seed: a.Seed, TimeLimit: a.TimeLimit, Workers: dh.solverThreads()})
	if a.Scheduled {
		if errors.Is(err, deliveries.ErrCutMade) {
			dh.Logger.Info("deliveries: cut-off already made (by another replica)", "cut", a.Cut, "date", a.Date)
			return nil, err
		}
		if err != nil {
			dh.Logger.Error("deliveries: scheduled cut-off failed", "cut", a.Cut, "date", a.Date, "err", err)
		} else {
			dh.Logger.Info("deliveries: cut-off planned", "cut", a.Cut, "date", a.Date, "batches", len(res.Batches), "unplanned", len(res.Unplanned))
		}
	}
	return res, err
}

func isEmptyBody(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "empty_body"
}

// cut batches the day's received requests and plans both legs; the route
// lists are made only if the job is not cancelled meanwhile.
func (dh *deliveryHandlers) cut(ctx context.Context, date, label, owner string, notBefore int, opt vrp.Options) (*CutResult, error) {
	dh.cutMu.Lock()
	defer dh.cutMu.Unlock()
	t0 := time.Now()
	st, err := dh.store()
	if err != nil {
		return nil, err
	}
	d, err := dh.loadDistrict(ctx)
	if err != nil {
		return nil, err
	}
	vans, err := dh.vans(ctx, st)
	if err != nil {
		return nil, err
	}
	if len(vans) == 0 {
		return nil, errUnprocessable("vans", "no vans: PUT /v1/deliveries/vans (the district has no depot for a default fleet)")
	}
	reqs, pending, err := dh.cutInputs(ctx, st, date)
	if err != nil {
		return nil, err
	}
	maxBoxes, maxML := 0, 0
	for _, v := range vans {
		maxBoxes, maxML = max(maxBoxes, v.Boxes), max(maxML, v.VolumeL*1000)
	}
	res := &CutResult{Date: date, Cut: label, Requests: len(reqs), Batches: []deliveries.Batch{}, Leg2Carried: []deliveries.Batch{}, Legs: []LegResult{}, Unplanned: []UnplannedBatch{}}
	bs, err := d.Cut(reqs, date, label, maxBoxes, maxML)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 && len(pending) == 0 {
		res.Seconds = time.Since(t0).Seconds()
		return res, nil
	}
	for i := range reqs {
		if reqs[i].Carried() > 0 || reqs[i].Date < date {
			res.CarriedIn++
		}
	}
	cutAt := dh.Now().UTC().Truncate(time.Microsecond)
	for i := range bs {
		bs[i].CutAt = cutAt
	}
	if len(bs) > 0 {
		if bs, err = st.CreateBatches(ctx, bs); err != nil {
			return nil, err
		}
	}
	byID := make(map[int64]*deliveries.Request, len(reqs))
	for i := range reqs {
		byID[reqs[i].ID] = &reqs[i]
	}
	sealed, err := dh.sealedOn(ctx, date, notBefore, vans)
	if err != nil {
		return nil, err
	}
	in := &deliveries.PlanInput{Date: date, Batches: bs, Pending: pending, Requests: byID, District: d, Vans: vans, NotBefore: notBefore,
		Sealed: sealed.contains, Matrix: func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
			net, err := dh.dayNetwork(ctx, sealed)
			if err != nil {
				return routing.Matrix{}, routing.Matrix{}, err
			}
			tm, dm, _, err := net.Matrix(ctx, ps, ps, network.MatrixOptions{Partial: true})
			return tm, dm, err
		}}
	// abandon carries the new batches (nothing is lost): their requests go
	// back to the queue saying why; pending ones stay pending.
	abandon := func(err error) {
		for _, b := range bs {
			_, _ = st.SetBatchPlan(context.WithoutCancel(ctx), b.ID, nil, "not planned: "+statusOf(err).Message)
		}
	}
	pl, err := deliveries.Solve(ctx, in, opt)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		abandon(err)
		return nil, err
	}
	drivers := map[uint64]string{}
	names := map[int64]string{}
	for _, v := range vans {
		drivers[uint64(v.ID)] = v.Driver
		names[v.ID] = v.Name
	}
	outs := make([]*vroom.Output, 2)
	for k, l := range pl.Legs {
		outs[k] = vroom.Encode(l.Problem, l.Meta, l.Solution, vroom.ComputingTimes{Solving: l.Elapsed.Milliseconds()})
	}
	if err := jobs.Commit(ctx, func() error {
		for _, out := range outs {
			if err := dh.addRouteListsOf(ctx, out, dh.zoneAt(), drivers, owner, true); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		abandon(err)
		return nil, err
	}
	refs := map[int64][]deliveries.StopRef{}
	for k, out := range outs {
		for b, rs := range deliveries.Stops(out) {
			refs[b] = append(refs[b], rs...)
		}
		lr := LegResult{Leg: k + 1, Routes: []LegRoute{}, Shipments: len(pl.Legs[k].Problem.Shipments), Violations: pl.Legs[k].Violations,
			SolveS: pl.Legs[k].Elapsed.Seconds(), Output: out}
		for _, r := range out.Routes {
			n := len(r.Steps)
			dist := 0.0
			if r.Distance != nil {
				dist = *r.Distance
			}
			lr.Routes = append(lr.Routes, LegRoute{Van: int64(r.Vehicle), VanName: names[int64(r.Vehicle)], Driver: drivers[r.Vehicle], RouteList: r.RouteList,
				Stops: n, Leaves: deliveries.Clock(r.Steps[0].Arrival), Returns: deliveries.Clock(r.Steps[n-1].Arrival), DriveS: r.Duration, DistanceM: dist})
		}
		res.Legs = append(res.Legs, lr)
	}
	for i, b := range bs {
		why := pl.Unplanned[b.ID]
		if why == "" && len(refs[b.ID]) == 0 {
			why = "no route" // cannot happen: a batch is planned or says why not
		}
		nb, err := st.SetBatchPlan(context.WithoutCancel(ctx), b.ID, refs[b.ID], why)
		if err != nil {
			return nil, err
		}
		bs[i] = nb
		res.Carried += len(nb.Carried)
		if why != "" {
			res.Unplanned = append(res.Unplanned, UnplannedBatch{b.ID, why, nextOf(&nb)})
		}
	}
	for _, b := range pending {
		why := pl.Unplanned[b.ID]
		if len(refs[b.ID]) == 0 && why == "" {
			why = b.Unplanned
		}
		nb, err := st.SetBatchPlan(context.WithoutCancel(ctx), b.ID, append(slices.Clone(b.Stops), refs[b.ID]...), why)
		if err != nil {
			return nil, err
		}
		res.Leg2Carried = append(res.Leg2Carried, nb)
		if why != "" {
			res.Unplanned = append(res.Unplanned, UnplannedBatch{b.ID, why, nextOf(&nb)})
		}
	}
	res.Batches = bs
	res.VansUsed, res.DriveS, res.DistanceM = pl.VansUsed, pl.DriveSec, pl.DistanceM
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

// nextOf says what happens to an unplanned batch: its requests are back
// in the queue, or its leg 2 waits for the next cut.
func nextOf(b *deliveries.Batch) string {
	if len(b.Stops) == 0 {
		return "queue"
	}
	return "leg2"
}

// cutInputs is what a cut of date takes: the requests still received of
// that day and of days that are over (carried from an unplanned batch, or
// left after a day's last cut-off), and the batches of that day and
// yesterday whose lists went to the pharmacy but whose leg 2 was not
// planned, while some of their requests wait for it (the route lists,
// and so the drivers' reports, are kept for yesterday, today and
// tomorrow). A cut of a later day leaves today's to today's cut-offs.
//
// A batch of those days that never got a plan (no stops, no reason: the
// server stopped while planning it) and was cut longer ago than any plan
// may take (orphanAfter) is carried first, so that its requests join
// this cut.
func (dh *deliveryHandlers) cutInputs(ctx context.Context, st deliveries.Store, date string) ([]deliveries.Request, []deliveries.Batch, error) {
	today := dh.today()
	mine := func(day string) bool { return day == date || (day < today && day < date) }
	now, err := deliveries.ParseDate(today)
	if err != nil {
		return nil, nil, err
	}
	days := slices.Compact([]string{now.AddDate(0, 0, -1).Format(time.DateOnly), date})
	orphanAfter := max(10*time.Minute, 2*dh.Limits.MaxOptimizeTime, 2*dh.opts.PlanTime)
	for _, dd := range days {
		bs, err := st.ListBatches(ctx, dd)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range bs {
			if mine(b.Date) && len(b.Stops) == 0 && b.Unplanned == "" && dh.Now().Sub(b.CutAt) > orphanAfter {
				if _, err := st.SetBatchPlan(ctx, b.ID, nil, "the planning of this cut did not finish (the server stopped?)"); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	all, err := st.ListRequests(ctx, deliveries.RequestFilter{State: deliveries.StateReceived})
	if err != nil {
		return nil, nil, err
	}
	reqs := all[:0]
	for _, r := range all {
		if mine(r.Date) {
			reqs = append(reqs, r)
		}
	}
	var pending []deliveries.Batch
	for _, dd := range days {
		bs, err := st.ListBatches(ctx, dd)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range bs {
			if !mine(b.Date) || !b.HasLeg(1) || b.HasLeg(2) {
				continue
			}
			in, err := st.ListRequests(ctx, deliveries.RequestFilter{BatchID: b.ID})
			if err != nil {
				return nil, nil, err
			}
			if slices.ContainsFunc(in, func(r deliveries.Request) bool {
				return r.State != deliveries.StateFailed && r.State.Rank() <= deliveries.StateAtPharmacy.Rank()
			}) {
				pending = append(pending, b)
			}
		}
	}
	return reqs, pending, nil
}

// daySealed is the zones sealed at some time of a cut's planned window.
type daySealed struct {
	zones []zones.Zone
	key   string // zone id@version of each, sorted
}

// contains reports whether p is in one of the zones (urgent requests
// there are handed over at the gate).
func (s *daySealed) contains(p orb.Point) bool {
	for i := range s.zones {
		if zones.MultiPolygonCovers(s.zones[i].Geometry, p) {
			return true
		}
	}
	return false
}

// sealedOn lists the zones sealed at any time of the cut's planned window
// on that day's zone map: from the cut (notBefore, district time) to the
// end of the latest van's shift. A zone sealed for part of the window
// counts as sealed for all of it (the road matrix is one for the plan):
// vans keep out of a compound that seals at 14:00 all day, never into it
// after. For a cut of today this differs from the road engine's current
// closures (sealed now) by the closures to come; for a later day it is
// that day's map as scheduled now.
func (dh *deliveryHandlers) sealedOn(ctx context.Context, date string, notBefore int, vans []deliveries.Van) (*daySealed, error) {
	day, err := deliveries.ParseDate(date)
	if err != nil {
		return nil, err
	}
	end := notBefore
	for _, v := range vans {
		if _, b, err := v.Shift(); err == nil {
			end = max(end, b)
		}
	}
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, districtZone)
	from, until := midnight.Add(time.Duration(notBefore)*time.Second), midnight.Add(time.Duration(end)*time.Second)
	atStart, err := dh.Store.ListZones(ctx, zones.ZoneFilter{Kind: zones.KindSealed, ActiveAt: &from})
	if err != nil {
		return nil, err
	}
	current, err := dh.Store.ListZones(ctx, zones.ZoneFilter{Kind: zones.KindSealed})
	if err != nil {
		return nil, err
	}
	byID := map[int64]zones.Zone{}
	for _, z := range atStart {
		byID[z.ID] = z
	}
	for _, z := range current {
		if z.EffectiveFrom.Before(until) && (z.EffectiveUntil == nil || z.EffectiveUntil.After(from)) {
			if old, ok := byID[z.ID]; !ok || old.Version < z.Version {
				byID[z.ID] = z
			}
		}
	}
	out := &daySealed{}
	var keys []string
	for _, z := range byID {
		out.zones = append(out.zones, z)
		keys = append(keys, fmt.Sprintf("%d@%d", z.ID, z.Version))
	}
	slices.SortFunc(out.zones, func(a, b zones.Zone) int { return int(a.ID - b.ID) })
	slices.Sort(keys)
	out.key = strings.Join(keys, ",")
	return out, nil
}

// dayNetwork is the road network closed by the zones of s: the served
// one when it serves them, else a view built for them, kept for the next
// cut of the same map.
func (dh *deliveryHandlers) dayNetwork(ctx context.Context, s *daySealed) (*network.Network, error) {
	if dh.net == nil {
		return nil, errNoGraph
	}
	dh.dmu.Lock()
	if dh.dayNet != nil && dh.dayNetKey == s.key && dh.dayNetBase == dh.net.Version() {
		n := dh.dayNet
		dh.dmu.Unlock()
		return n, nil
	}
	dh.dmu.Unlock()
	polys := make([]orb.MultiPolygon, len(s.zones))
	for i := range s.zones {
		polys[i] = s.zones[i].Geometry
	}
	base := dh.net.Version()
	n, err := dh.net.WithSealedZones(ctx, polys)
	if err != nil {
		return nil, err
	}
	dh.dmu.Lock()
	dh.dayNet, dh.dayNetKey, dh.dayNetBase = n, s.key, base
	dh.dmu.Unlock()
	return n, nil
}

// scheduler cuts at each of the day's cut-offs (district time) that has
// passed and has no batch yet, checking every 20 seconds until ctx ends.
func (dh *deliveryHandlers) scheduler(ctx context.Context) {
	limit := dh.opts.PlanTime
	if limit <= 0 {
		limit = 10 * time.Second
	}
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		dh.runDueCutoffs(ctx, limit)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runDueCutoffs submits the cut of every cut-off of today that has passed
// and not yet been cut (no batch of today carries its label).
func (dh *deliveryHandlers) runDueCutoffs(ctx context.Context, limit time.Duration) {
	st, err := dh.store()
	if err != nil || dh.net == nil {
		return
	}
	now := dh.Now().In(districtZone)
	date := now.Format(time.DateOnly)
	sec := now.Hour()*3600 + now.Minute()*60 + now.Second()
	bs, err := st.ListBatches(ctx, date)
	if err != nil {
		return
	}
	for _, cut := range dh.opts.Cutoffs {
		at, err := deliveries.ParseClock(cut)
		if err != nil || at > sec || slices.ContainsFunc(bs, func(b deliveries.Batch) bool { return b.Cut == cut }) {
			continue
		}
		reqs, pending, err := dh.cutInputs(ctx, st, date)
		if err != nil || len(reqs)+len(pending) == 0 {
			continue
		}
		_, err = dh.Queue.Submit(ctx, jobs.Spec{Kind: "delivery_cut", Owner: "cut-off", Timeout: limit + 30*time.Second,
			Args: cutArgs{Date: date, Cut: cut, Owner: "cut-off", NotBefore: at, Seed: 1, TimeLimit: limit, Scheduled: true}})
		if err != nil {
			dh.Logger.Warn("deliveries: cannot queue the cut-off", "cut", cut, "err", err)
		}
		return // one at a time: the next tick sees its batches
	}
}

// ----- drivers' reports -----

// stopReport moves the requests of the batch behind a reported stop: done
// moves them to the stop's state, failed fails them with the driver's
// reason (required); arrived and pending change nothing. Reports are
// idempotent (a retried or late report is a no-op). Stops of other lists
// are left alone.
func (dh *deliveryHandlers) stopReport(ctx context.Context, list string, seq int, status, reason, by string) error {
	if status != "done" && status != "failed" {
		return nil
	}
	st, err := dh.store()
	if err != nil {
		return nil
	}
	refs, err := dh.batchesAt(ctx, st, list, seq)
	if err != nil || len(refs) == 0 {
		return err
	}
	if status == "failed" && strings.TrimSpace(reason) == "" {
		return errUnprocessable("reason", "say why the stop failed (closed, no stock, no access...): the residents' requests fail with it")
	}
	if by == "" {
		by = "driver"
	}
	var ms []deliveries.Move
	for _, x := range refs {
		for _, id := range x.batch.Requests {
			m := deliveries.Move{ID: id, To: x.ref.Event, By: by + " (route list " + list + ")", Report: true}
			if status == "failed" {
				m.To, m.Reason = deliveries.StateFailed, fmt.Sprintf("leg %d stop %d: %s", x.ref.Leg, seq, strings.TrimSpace(reason))
			}
			ms = append(ms, m)
		}
	}
	_, err = st.MoveRequests(ctx, ms)
	return err
}

type batchRef struct {
	batch deliveries.Batch
	ref   deliveries.StopRef
}

// batchesAt finds the batches with a stop (list, seq): the batches of the
// days the route lists are kept (yesterday, today, tomorrow).
func (dh *deliveryHandlers) batchesAt(ctx context.Context, st deliveries.Store, list string, seq int) ([]batchRef, error) {
	var out []batchRef
	now := dh.Now().In(districtZone)
	for _, d := range []int{-1, 0, 1} {
		bs, err := st.ListBatches(ctx, now.AddDate(0, 0, d).Format(time.DateOnly))
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			for _, r := range b.Stops {
				if r.List == list && r.Seq == seq {
					out = append(out, batchRef{b, r})
				}
			}
		}
	}
	return out, nil
}

// ----- the dispatcher's view of the day -----

// routeProgress is a route list of the day with the drivers' progress.
type routeProgress struct {
	RouteList string     `json:"route_list"`
	Leg       int        `json:"leg"`
	Van       int64      `json:"van"`
	Driver    string     `json:"driver,omitempty"`
	Stops     []ListStop `json:"stops"`
	Done      int        `json:"done"`
	Failed    int        `json:"failed"`
	Total     int        `json:"total"` // stops to serve (start and end left out)
	Last      *ListStop  `json:"last_report,omitempty"`
	Position  *orb.Point `json:"position,omitempty"` // the last stop reported arrived or done
	Created   time.Time  `json:"created_at"`
}

// routes answers the day's route lists (both legs) with each van's
// progress, for the dispatcher's map and list.
func (dh *deliveryHandlers) routes(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := dh.queryDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	bs, err := st.ListBatches(c.Request.Context(), date)
	if err != nil {
		fail(c, err)
		return
	}
	legOf := map[string]int{}
	var codes []string
	for _, b := range bs {
		for _, r := range b.Stops {
			if _, ok := legOf[r.List]; !ok {
				codes = append(codes, r.List)
			}
			legOf[r.List] = r.Leg
		}
	}
	out := []routeProgress{}
	for _, code := range codes {
		l, err := dh.RouteLists.GetRouteList(c.Request.Context(), code)
		if errors.Is(err, zones.ErrNotFound) || (err == nil && l.Expired(dh.Now())) {
			continue
		}
		if err != nil {
			fail(c, err)
			return
		}
		v := view(&l, auth.RoleOf(c))
		p := routeProgress{RouteList: code, Leg: legOf[code], Van: int64(v.Vehicle), Driver: v.Driver, Stops: v.Stops, Created: v.CreatedAt}
		var lastAt time.Time
		for i := range v.Stops {
			s := &v.Stops[i]
			if s.Kind == "start" || s.Kind == "end" {
				continue
			}
			p.Total++
			switch s.Status {
			case "done":
				p.Done++
			case "failed":
				p.Failed++
			}
			if s.StatusAt != nil && !s.StatusAt.Before(lastAt) {
				lastAt, p.Last = *s.StatusAt, s
				if s.Status == "arrived" || s.Status == "done" {
					p.Position = s.Point
				}
			}
		}
		out = append(out, p)
	}
	c.JSON(http.StatusOK, gin.H{"date": date, "routes": out})
}

// handoverEntry is one request on a volunteers' hand-over list: what a
// volunteer needs at the door and no more.
type handoverEntry struct {
	RequestID     int64             `json:"request_id"`
	Flat          string            `json:"flat"`
	Name          string            `json:"name"`  // initials only
	Phone         string            `json:"phone"` // last two digits
	Items         []deliveries.Item `json:"items"`
	InsuranceCard bool              `json:"insurance_card_back"`
	Urgent        bool              `json:"urgent"`
	State         deliveries.State  `json:"state"`
}

type handoverBuilding struct {
	Building string          `json:"building"`
	Entries  []handoverEntry `json:"entries"`
}

// handover is the volunteers' list of a supply point for a day: per
// building, the flats with the resident's initials, what to hand over and
// whether to give back an insurance card. Failed requests are left out.
func (dh *deliveryHandlers) handover(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	date, err := dh.queryDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := dh.loadDistrict(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	sp, ok := d.Facilities[id]
	if !ok || sp.Kind != zones.FacilitySupplyPoint {
		fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no supply point %d", id), Details: map[string]any{"path": "id"}})
		return
	}
	rs, err := st.ListRequests(ctx, deliveries.RequestFilter{Date: date, SupplyPointID: id})
	if err != nil {
		fail(c, err)
		return
	}
	byB := map[string]*handoverBuilding{}
	var order []string
	ready := 0
	for _, r := range rs {
		if r.State == deliveries.StateFailed {
			continue
		}
		b := byB[r.Building]
		if b == nil {
			b = &handoverBuilding{Building: r.Building}
			byB[r.Building] = b
			order = append(order, r.Building)
		}
		b.Entries = append(b.Entries, handoverEntry{RequestID: r.ID, Flat: r.Flat, Name: accounts.MaskName(r.Name), Phone: accounts.MaskPhone(r.Phone),
			Items: r.Items, InsuranceCard: r.InsuranceCard, Urgent: r.Urgency == deliveries.UrgencyUrgent, State: r.State})
		if r.State == deliveries.StateAtSupplyPoint {
			ready++
		}
	}
	slices.SortFunc(order, naturalLess)
	out := make([]handoverBuilding, len(order))
	for i, k := range order {
		b := byB[k]
		slices.SortFunc(b.Entries, func(x, y handoverEntry) int { return naturalLess(x.Flat, y.Flat) })
		out[i] = *b
	}
	c.JSON(http.StatusOK, gin.H{"date": date, "supply_point_id": id, "supply_point": sp.Name, "buildings": out, "ready": ready})
}

// naturalLess orders "2" before "10" and text alphabetically.
func naturalLess(a, b string) int {
	ai, e1 := strconv.Atoi(a)
	bi, e2 := strconv.Atoi(b)
	if e1 == nil && e2 == nil {
		return ai - bi
	}
	return strings.Compare(a, b)
}

func (dh *deliveryHandlers) reconciliation(c *gin.Context) {
	st, err := dh.store()
	if err != nil {
		fail(c, err)
		return
	}
	date, err := dh.queryDate(c)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	rs, err := st.ListRequests(ctx, deliveries.RequestFilter{Date: date})
	if err != nil {
		fail(c, err)
		return
	}
	bs, err := st.ListBatches(ctx, date)
	if err != nil {
		fail(c, err)
		return
	}
	// requests carried to a later day's batch, and earlier days' requests
	// in this day's batches, are accounted for on both sides
	have := map[int64]bool{}
	for _, b := range bs {
		have[b.ID] = true
	}
	mine := map[int64]bool{}
	for _, r := range rs {
		mine[r.ID] = true
		if r.BatchID != 0 && !have[r.BatchID] {
			b, err := st.GetBatch(ctx, r.BatchID)
			if err != nil && !errors.Is(err, zones.ErrNotFound) {
				fail(c, err)
				return
			}
			if err == nil {
				bs, have[b.ID] = append(bs, b), true
			}
		}
	}
	for _, b := range bs {
		if b.Date != date {
			continue
		}
		for _, id := range b.Requests {
			if mine[id] || !b.Holds(id) {
				continue
			}
			r, err := st.GetRequest(ctx, id)
			if err != nil && !errors.Is(err, zones.ErrNotFound) {
				fail(c, err)
				return
			}
			if err == nil {
				rs, mine[id] = append(rs, r), true
			}
		}
	}
	d, err := dh.loadDistrict(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, deliveries.Reconcile(date, rs, bs, d))
}
