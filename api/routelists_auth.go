package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api/auth"
)

// Who sees a route list: the driver account it is assigned to, dispatchers
// and admins (GET /v1/route-lists/{code}, GET /v1/route-lists lists the
// caller's); a driver without an account opens it by a share link, whose
// token (256 random bits, made by POST /v1/route-lists/{code}/share) expires
// with the list. Failed look-ups count against the client's address and
// are refused with 429 once over the limit. Stop descriptions (which may
// name patients) are masked for every role but dispatcher and admin.

func (h *Handlers) routeListRoutes(v1 gin.IRouter) {
	v1.GET("/route-lists", h.listRouteLists)
	v1.GET("/route-lists/shared", h.sharedRouteList)
	v1.GET("/route-lists/:id", h.getRouteList)
	v1.POST("/route-lists/:id/share", h.shareRouteList)
	v1.PUT("/route-lists/:id/stops/:seq/status", h.setStopStatus)
}

// StopStatus is the body of PUT /v1/route-lists/{code}/stops/{seq}/status.
type StopStatus struct {
	Status string `json:"status"`           // arrived, done, failed or pending
	Reason string `json:"reason,omitempty"` // why it failed
}

// StopHook is told of a driver's report on a stop before it is recorded
// (medicine deliveries move their requests); an error refuses the report
// (a retry from the phone then sends it again).
type StopHook func(ctx context.Context, list string, seq int, status, reason, by string) error

// setStopStatus records the driver's report on one stop of their list
// (the assigned driver, dispatchers and admins).
func (h *Handlers) setStopStatus(c *gin.Context) {
	id := c.Param("id")
	seq, err := strconv.Atoi(c.Param("seq"))
	if err != nil || seq < 1 {
		fail(c, errBadRequest("bad_parameter", "seq must be the stop's number (1, 2, ...)", map[string]any{"path": "seq"}))
		return
	}
	var req StopStatus
	if err := decodeJSON(c, 4<<10, &req); err != nil {
		fail(c, err)
		return
	}
	switch req.Status {
	case "arrived", "done", "failed", "pending":
	default:
		fail(c, errUnprocessable("status", fmt.Sprintf("%q must be arrived, done, failed or pending", req.Status)))
		return
	}
	if len([]rune(req.Reason)) > 200 {
		fail(c, errUnprocessable("reason", "at most 200 characters"))
		return
	}
	l, ok := h.lists.find(id)
	if !ok || !mayRead(c, l) {
		if h.Auth != nil {
			h.Auth.GuessFailed(c, "route-list")
		}
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q for you", id), Details: map[string]any{"path": "id"}})
		return
	}
	h.lists.mu.Lock()
	n := len(l.Stops)
	h.lists.mu.Unlock()
	if seq > n {
		fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("route list %s has %d stops", id, n), Details: map[string]any{"path": "seq"}})
		return
	}
	for _, hook := range h.stopHooks {
		if err := hook(c.Request.Context(), id, seq, req.Status, req.Reason, ownerOf(c)); err != nil {
			fail(c, err)
			return
		}
	}
	h.lists.mu.Lock()
	at := h.Now().UTC()
	l.Stops[seq-1].Status, l.Stops[seq-1].StatusAt, l.Stops[seq-1].Reason = req.Status, &at, req.Reason
	if err := h.lists.save(); err != nil {
		h.lists.log.Error("route lists: cannot save; they are kept in memory only", "file", h.lists.file, "err", err)
	}
	v := view(l, auth.RoleOf(c))
	h.lists.mu.Unlock()
	c.JSON(http.StatusOK, v)
}

// ShareTokenHeader carries a share-link token (the link itself puts it in
// the URL fragment, /driver.html#share=TOKEN, which browsers never send).
const ShareTokenHeader = "X-Share-Token"

// mayRead says whether the caller may read l.
func mayRead(c *gin.Context, l *RouteList) bool {
	role := auth.RoleOf(c)
	if role == accounts.RoleAdmin || role == accounts.RoleDispatcher {
		return true
	}
	id := auth.IdentityOf(c)
	return role == accounts.RoleDriver && id != nil && l.Driver != "" && l.Driver == id.Username
}

// view is what role may see of l: a copy without the share hash and with
// stop descriptions masked for roles that may not see personal data. The
// caller holds the lists' lock (stops change with status reports).
func view(l *RouteList, role accounts.Role) *RouteList {
	v := *l
	v.ShareHash = ""
	v.Stops = slices.Clone(l.Stops)
	if m := accounts.Masker(role); m.Hides() && !l.Plain {
		for i := range v.Stops {
			v.Stops[i].Name = m.Text(v.Stops[i].Name)
		}
	}
	return &v
}

func (rl *routeLists) find(id string) (*RouteList, bool) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	l, ok := rl.byID[id]
	if ok && l.CreatedAt.Before(rl.now().Add(-routeListRetention)) {
		ok = false
	}
	return l, ok
}

func (h *Handlers) getRouteList(c *gin.Context) {
	if h.Auth != nil && h.Auth.GuessBlocked(c, "route-list") {
		return
	}
	id := c.Param("id")
	l, ok := h.lists.find(id)
	if !ok || !mayRead(c, l) {
		if h.Auth != nil {
			h.Auth.GuessFailed(c, "route-list")
		}
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q for you: ask the dispatcher for the code of your route (lists are kept for two days)", id),
			Details: map[string]any{"path": "id"}})
		return
	}
	h.lists.mu.Lock()
	v := view(l, auth.RoleOf(c))
	h.lists.mu.Unlock()
	c.JSON(http.StatusOK, v)
}

func (h *Handlers) listRouteLists(c *gin.Context) {
	role := auth.RoleOf(c)
	out := []*RouteList{}
	h.lists.mu.Lock()
	cut := h.lists.now().Add(-routeListRetention)
	for _, id := range h.lists.order {
		l := h.lists.byID[id]
		if !l.CreatedAt.Before(cut) && mayRead(c, l) {
			out = append(out, view(l, role))
		}
	}
	h.lists.mu.Unlock()
	c.JSON(http.StatusOK, gin.H{"route_lists": out})
}

func (h *Handlers) sharedRouteList(c *gin.Context) {
	if h.Auth != nil && h.Auth.GuessBlocked(c, "share") {
		return
	}
	tok := c.GetHeader(ShareTokenHeader)
	var found *RouteList
	if tok != "" && len(tok) <= 100 {
		hash := accounts.HashSecret(tok)
		h.lists.mu.Lock()
		cut := h.lists.now().Add(-routeListRetention)
		for _, l := range h.lists.byID {
			if l.ShareHash != "" && l.ShareHash == hash && !l.CreatedAt.Before(cut) {
				found = view(l, accounts.RoleDriver)
				break
			}
		}
		h.lists.mu.Unlock()
	}
	if found == nil {
		if h.Auth != nil {
			h.Auth.GuessFailed(c, "share")
		}
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: "this share link is unknown or expired: ask the dispatcher for a new one",
			Details: map[string]any{"path": "header." + ShareTokenHeader}})
		return
	}
	c.JSON(http.StatusOK, found)
}

// shareRouteList makes (or replaces) the list's share link and answers
// {"id", "token", "url", "expires_at"}; the token is shown once.
func (h *Handlers) shareRouteList(c *gin.Context) {
	id := c.Param("id")
	secret, hash := accounts.NewSecret()
	h.lists.mu.Lock()
	l, ok := h.lists.byID[id]
	var exp time.Time
	if ok {
		exp = l.CreatedAt.Add(routeListRetention)
		ok = exp.After(h.lists.now())
	}
	if ok {
		l.ShareHash = hash
		if err := h.lists.save(); err != nil {
			h.lists.log.Error("route lists: cannot save; they are kept in memory only", "file", h.lists.file, "err", err)
		}
	}
	h.lists.mu.Unlock()
	if !ok {
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q", id), Details: map[string]any{"path": "id"}})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": id, "token": secret, "url": "/driver.html#share=" + secret, "expires_at": exp})
}

// extractDrivers takes lifeline's "driver" extension out of the vehicles of
// an optimisation problem (VROOM does not know it): vehicles[i].driver names
// the driver account that gets the vehicle's route list. It returns the
// body without the extension and the driver of each vehicle id. With an
// auth layer the account must exist, be active and have the driver role.
func (h *Handlers) extractDrivers(ctx context.Context, body []byte) ([]byte, map[uint64]string, error) {
	if !bytes.Contains(body, []byte(`"driver"`)) {
		return body, nil, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return body, nil, nil // the solver reports the malformed JSON
	}
	var vehicles []map[string]json.RawMessage
	if raw, ok := doc["vehicles"]; !ok || json.Unmarshal(raw, &vehicles) != nil {
		return body, nil, nil
	}
	drivers := map[uint64]string{}
	changed := false
	for i, v := range vehicles {
		raw, ok := v["driver"]
		if !ok {
			continue
		}
		path := fmt.Sprintf("vehicles[%d].driver", i)
		var name string
		if err := json.Unmarshal(raw, &name); err != nil || name == "" {
			return nil, nil, errUnprocessable(path, "must be the username of a driver account")
		}
		var vid uint64
		if err := json.Unmarshal(v["id"], &vid); err != nil {
			return nil, nil, errUnprocessable(fmt.Sprintf("vehicles[%d].id", i), "a vehicle with a driver needs a non-negative integer id")
		}
		if h.Auth != nil {
			acc, err := h.Auth.Store().GetAccountByUsername(ctx, name)
			if errors.Is(err, accounts.ErrNotFound) || (err == nil && (acc.Role != accounts.RoleDriver || !acc.Active(h.Now()))) {
				return nil, nil, errUnprocessable(path, fmt.Sprintf("%q is not an active driver account", name))
			}
			if err != nil {
				return nil, nil, err
			}
		}
		drivers[vid] = name
		delete(v, "driver")
		changed = true
	}
	if !changed {
		return body, nil, nil
	}
	raw, err := json.Marshal(vehicles)
	if err != nil {
		return nil, nil, err
	}
	doc["vehicles"] = raw
	out, err := json.Marshal(doc)
	return out, drivers, err
}
