package api

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/routing/shuttles"
	"lifeline/zones"
)

// The riders' registry of the shuttle service (issue 12). Dispatchers and
// admins read and write riders with their personal data; planners and
// viewers may only list them, with name, phone and boarding label masked
// and the boarding point rounded to 3 decimals (about 100 m); drivers
// nothing. Names and phone numbers are never logged, and the audit trail
// keeps only the field names of these requests (Personal in the table).

func (h *Handlers) riderRoutes(r gin.IRouter) {
	r.GET("/riders", h.listRiders)
	r.POST("/riders", h.createRider)
	r.POST("/riders/import", h.importRiders)
	r.GET("/riders/:id", h.getRider)
	r.PUT("/riders/:id", h.updateRider)
	r.DELETE("/riders/:id", h.archiveRider)
	r.GET("/riders/:id/destination", h.riderDestination)
}

var errNoRiders = &Error{Status: http.StatusServiceUnavailable, Code: "riders_unavailable", Message: "this store keeps no riders' registry"}

func (h *Handlers) riderStore() (shuttles.RiderStore, error) {
	rs, ok := h.Store.(shuttles.RiderStore)
	if !ok {
		return nil, errNoRiders
	}
	return rs, nil
}

// riderInput is the body of POST and PUT /v1/riders: a rider without id,
// archived and times.
type riderInput struct {
	Pseudonym  string              `json:"pseudonym"`
	Name       string              `json:"name"`
	Phone      string              `json:"phone"`
	CompoundID int64               `json:"compound_id"`
	Boarding   shuttles.Boarding   `json:"boarding"`
	Category   shuttles.Category   `json:"category"`
	HealthCode shuttles.HealthCode `json:"health_code"`
	Mobility   shuttles.Mobility   `json:"mobility"`
	FacilityID int64               `json:"facility_id"`
	Sessions   []shuttles.Session  `json:"sessions"`
	DueDate    string              `json:"due_date"`
}

func (in riderInput) rider() shuttles.Rider {
	return shuttles.Rider{Pseudonym: in.Pseudonym, Name: in.Name, Phone: in.Phone, CompoundID: in.CompoundID, Boarding: in.Boarding,
		Category: in.Category, HealthCode: in.HealthCode, Mobility: in.Mobility, FacilityID: in.FacilityID, Sessions: in.Sessions, DueDate: in.DueDate}
}

// riderView is a rider as a role may see it.
type riderView struct {
	shuttles.Rider
	Masked bool `json:"masked,omitempty"`
}

func viewRider(r shuttles.Rider, role accounts.Role) riderView {
	m := accounts.Masker(role)
	if !m.Hides() {
		return riderView{Rider: r}
	}
	r.Name, r.Phone = m.Name(r.Name), m.Phone(r.Phone)
	r.Boarding.Label = m.Address(r.Boarding.Label)
	r.Boarding.Point = orb.Point{round3(r.Boarding.Point[0]), round3(r.Boarding.Point[1])}
	r.DueDate = ""
	return riderView{Rider: r, Masked: true}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// rules builds the hospital rules and the compound ids of the district.
func (h *Handlers) rules(ctx context.Context) (*shuttles.Rules, map[int64]bool, error) {
	fs, err := h.Store.ListFacilities(ctx, zones.FacilityFilter{})
	if err != nil {
		return nil, nil, err
	}
	cs, err := h.Store.ListCompounds(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	ids := make(map[int64]bool, len(cs))
	for _, c := range cs {
		ids[c.ID] = true
	}
	return shuttles.NewRules(fs), ids, nil
}

func queryID(c *gin.Context, name string) (int64, error) {
	s, ok := c.GetQuery(name)
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, errBadRequest("bad_parameter", fmt.Sprintf("query.%s: %q is not a positive integer", name, truncateQ(s)), map[string]any{"path": "query." + name})
	}
	return v, nil
}

func truncateQ(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func (h *Handlers) listRiders(c *gin.Context) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	var f shuttles.RiderFilter
	cat, err := queryEnum(c, "category", "", names(shuttles.Categories)...)
	if err != nil {
		fail(c, err)
		return
	}
	f.Category = shuttles.Category(cat)
	if f.CompoundID, err = queryID(c, "compound_id"); err != nil {
		fail(c, err)
		return
	}
	if f.FacilityID, err = queryID(c, "facility_id"); err != nil {
		fail(c, err)
		return
	}
	if f.IncludeArchived, err = queryBool(c, "archived", false); err != nil {
		fail(c, err)
		return
	}
	if f.Limit, err = queryInt(c, "limit", 1000, 10000); err != nil {
		fail(c, err)
		return
	}
	if f.Offset, err = queryInt(c, "offset", 0, math.MaxInt32); err != nil {
		fail(c, err)
		return
	}
	role := auth.RoleOf(c)
	f.Search = c.Query("q")
	if len(f.Search) > 100 {
		fail(c, errBadRequest("bad_parameter", "query.q: at most 100 bytes", map[string]any{"path": "query.q"}))
		return
	}
	if f.Search != "" && !role.SeesPersonalData() {
		// Searching names or phones would reveal them bit by bit.
		fail(c, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "your role may not search riders' personal data",
			Details: map[string]any{"path": "query.q"}})
		return
	}
	rs, err := st.ListRiders(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]riderView, len(rs))
	for i, r := range rs {
		out[i] = viewRider(r, role)
	}
	c.JSON(http.StatusOK, gin.H{"riders": out, "count": len(out), "masked": accounts.Masker(role).Hides()})
}

func (h *Handlers) getRider(c *gin.Context) {
	h.riderByID(c, shuttles.RiderStore.GetRider)
}

// riderByID runs op on the rider named by the path's id and answers the
// rider as the caller's role may see it.
func (h *Handlers) riderByID(c *gin.Context, op func(shuttles.RiderStore, context.Context, int64) (shuttles.Rider, error)) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := op(st, c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewRider(r, auth.RoleOf(c)))
}

// checkedRider decodes the body and checks the rider against the district.
func (h *Handlers) checkedRider(c *gin.Context) (shuttles.Rider, error) {
	var in riderInput
	if err := decodeJSON(c, h.MaxBodyBytes, &in); err != nil {
		return shuttles.Rider{}, err
	}
	r := in.rider()
	if err := r.Validate(); err != nil {
		return r, err
	}
	ru, compounds, err := h.rules(c.Request.Context())
	if err != nil {
		return r, err
	}
	return r, ru.Check(&r, compounds)
}

func (h *Handlers) createRider(c *gin.Context) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	r, err := h.checkedRider(c)
	if err != nil {
		fail(c, err)
		return
	}
	r, err = st.CreateRider(c.Request.Context(), r)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/v1/riders/%d", r.ID))
	c.JSON(http.StatusCreated, viewRider(r, auth.RoleOf(c)))
}

func (h *Handlers) updateRider(c *gin.Context) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := h.checkedRider(c)
	if err != nil {
		fail(c, err)
		return
	}
	r.ID = id
	r, err = st.UpdateRider(c.Request.Context(), r)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewRider(r, auth.RoleOf(c)))
}

func (h *Handlers) archiveRider(c *gin.Context) {
	h.riderByID(c, shuttles.RiderStore.ArchiveRider)
}

// importRiders reads a CSV file (shuttles.DecodeCSV): every row is checked
// on its own, against the district and against the stored pseudonyms;
// any bad row is a 422 listing every bad row, and nothing is written.
func (h *Handlers) importRiders(c *gin.Context) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	body, err := readBody(c, h.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	riders, rows, errs := shuttles.DecodeCSVRows(body)
	if len(errs) < shuttles.MaxImportErrors && len(riders) > 0 {
		more, err := h.checkImport(ctx, st, riders, rows)
		if err != nil {
			fail(c, err)
			return
		}
		errs = append(errs, more...)
		slices.SortStableFunc(errs, func(a, b shuttles.RowError) int { return cmp.Compare(a.Row, b.Row) })
	}
	if len(errs) > 0 {
		fail(c, rowErrors(errs))
		return
	}
	created, err := st.ImportRiders(ctx, riders)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]riderImported, len(created))
	for i, r := range created {
		out[i] = riderImported{rows[i], r.ID, r.Pseudonym}
	}
	c.JSON(http.StatusCreated, gin.H{"imported": len(out), "riders": out})
}

// riderImported is one imported row in the answer of POST /v1/riders/import.
type riderImported struct {
	Row       int    `json:"row"`
	ID        int64  `json:"id"`
	Pseudonym string `json:"pseudonym"`
}

// checkImport checks decoded rows against the district and the stored
// pseudonyms; the error is a store error, the row errors the findings.
func (h *Handlers) checkImport(ctx context.Context, st shuttles.RiderStore, riders []shuttles.Rider, rows []int) (shuttles.RowErrors, error) {
	ru, compounds, err := h.rules(ctx)
	if err != nil {
		return nil, err
	}
	existing, err := st.ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true})
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(existing))
	for _, r := range existing {
		taken[r.Pseudonym] = true
	}
	var errs shuttles.RowErrors
	for i := range riders {
		if err := ru.Check(&riders[i], compounds); err != nil {
			errs = append(errs, shuttles.RowErrorOf(rows[i], err))
		} else if taken[riders[i].Pseudonym] {
			errs = append(errs, shuttles.RowError{Row: rows[i], Column: "pseudonym", Message: "pseudonym " + riders[i].Pseudonym + " is already registered"})
		}
		if len(errs) >= shuttles.MaxImportErrors {
			break
		}
	}
	return errs, nil
}

// riderDestination answers which facility takes the rider on a date
// (date=YYYY-MM-DD, default today in the district, UTC+8), or, with
// facility_id, whether that facility may; with the reason when not.
func (h *Handlers) riderDestination(c *gin.Context) {
	st, err := h.riderStore()
	if err != nil {
		fail(c, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	date := zones.DistrictDate(h.Now())
	if s, ok := c.GetQuery("date"); ok {
		date = s
	}
	day, err := shuttles.ParseDate(date)
	if err != nil {
		fail(c, errBadRequest("bad_parameter", "query.date: "+err.Error(), map[string]any{"path": "query.date"}))
		return
	}
	fid, err := queryID(c, "facility_id")
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	r, err := st.GetRider(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	ru, _, err := h.rules(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	out := gin.H{"rider_id": r.ID, "pseudonym": r.Pseudonym, "date": date}
	var refusal *shuttles.Refusal
	if fid != 0 {
		refusal = ru.MayTake(fid, &r, day)
	} else {
		fid, refusal = ru.Destination(&r, day)
	}
	if fid != 0 {
		out["facility_id"] = fid
		if f, ok := ru.Facility(fid); ok {
			out["facility_name"] = f.Name
		}
	}
	out["ok"] = refusal == nil
	if refusal != nil {
		out["refusal"] = refusal
	}
	c.JSON(http.StatusOK, out)
}
