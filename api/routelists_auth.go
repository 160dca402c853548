package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/routelists"
	"lifeline/zones"
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
	if !routelists.ValidStatus(req.Status) {
		fail(c, errUnprocessable("status", fmt.Sprintf("%q must be arrived, done, failed or pending", req.Status)))
		return
	}
	if len([]rune(req.Reason)) > routelists.MaxReason {
		fail(c, errUnprocessable("reason", fmt.Sprintf("at most %d characters", routelists.MaxReason)))
		return
	}
	l, ok, err := h.findList(c, id)
	if err != nil {
		fail(c, err)
		return
	}
	if !ok || !mayRead(c, &l) {
		if h.Auth != nil {
			h.Auth.GuessFailed(c, "route-list")
		}
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q for you", id), Details: map[string]any{"path": "id"}})
		return
	}
	if seq > len(l.Stops) {
		fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("route list %s has %d stops", id, len(l.Stops)), Details: map[string]any{"path": "seq"}})
		return
	}
	for _, hook := range h.stopHooks {
		if err := hook(c.Request.Context(), id, seq, req.Status, req.Reason, ownerOf(c)); err != nil {
			fail(c, err)
			return
		}
	}
	l, err = h.RouteLists.SetStopStatus(c.Request.Context(), id, seq, req.Status, req.Reason, h.Now())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, view(&l, auth.RoleOf(c)))
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

// view is what role may see of l: a copy without the share hash and the
// owner, with stop descriptions masked for roles that may not see personal
// data.
func view(l *RouteList, role accounts.Role) *RouteList {
	v := l.Clone()
	v.ShareHash, v.Owner = "", ""
	if m := accounts.Masker(role); m.Hides() && !l.Plain {
		for i := range v.Stops {
			v.Stops[i].Name = m.Text(v.Stops[i].Name)
		}
	}
	return &v
}

// findList returns the list with that code unless it is past the
// retention (ok false; err only for a store failure).
func (h *Handlers) findList(c *gin.Context, id string) (RouteList, bool, error) {
	if !routelists.ValidCode(id) {
		return RouteList{}, false, nil
	}
	l, err := h.RouteLists.GetRouteList(c.Request.Context(), id)
	if errors.Is(err, zones.ErrNotFound) {
		return RouteList{}, false, nil
	}
	if err != nil {
		return RouteList{}, false, err
	}
	return l, !l.Expired(h.Now()), nil
}

func (h *Handlers) getRouteList(c *gin.Context) {
	if h.Auth != nil && h.Auth.GuessBlocked(c, "route-list") {
		return
	}
	id := c.Param("id")
	l, ok, err := h.findList(c, id)
	if err != nil {
		fail(c, err)
		return
	}
	if !ok || !mayRead(c, &l) {
		if h.Auth != nil {
			h.Auth.GuessFailed(c, "route-list")
		}
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q for you: ask the dispatcher for the code of your route (lists are kept for two days)", id),
			Details: map[string]any{"path": "id"}})
		return
	}
	c.JSON(http.StatusOK, view(&l, auth.RoleOf(c)))
}

func (h *Handlers) listRouteLists(c *gin.Context) {
	role := auth.RoleOf(c)
	f := routelists.Filter{CreatedSince: h.Now().Add(-routelists.Retention)}
	if role != accounts.RoleAdmin && role != accounts.RoleDispatcher {
		id := auth.IdentityOf(c)
		if role != accounts.RoleDriver || id == nil {
			c.JSON(http.StatusOK, gin.H{"route_lists": []*RouteList{}})
			return
		}
		f.Driver = id.Username
	}
	ls, err := h.RouteLists.ListRouteLists(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	out := []*RouteList{}
	for i := range ls {
		if mayRead(c, &ls[i]) {
			out = append(out, view(&ls[i], role))
		}
	}
	c.JSON(http.StatusOK, gin.H{"route_lists": out})
}

func (h *Handlers) sharedRouteList(c *gin.Context) {
	if h.Auth != nil && h.Auth.GuessBlocked(c, "share") {
		return
	}
	tok := c.GetHeader(ShareTokenHeader)
	var found *RouteList
	if tok != "" && len(tok) <= 100 {
		l, err := h.RouteLists.GetRouteListByShare(c.Request.Context(), accounts.HashSecret(tok))
		if err != nil && !errors.Is(err, zones.ErrNotFound) {
			fail(c, err)
			return
		}
		if err == nil && !l.Expired(h.Now()) {
			found = view(&l, accounts.RoleDriver)
		}
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
	_, ok, err := h.findList(c, id)
	if err == nil && ok {
		var l RouteList
		l, err = h.RouteLists.SetShareHash(c.Request.Context(), id, hash)
		if err == nil {
			c.JSON(http.StatusCreated, gin.H{"id": id, "token": secret, "url": "/driver.html#share=" + secret, "expires_at": l.CreatedAt.Add(routelists.Retention)})
			return
		}
	}
	if err != nil && !errors.Is(err, zones.ErrNotFound) {
		fail(c, err)
		return
	}
	c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q", id), Details: map[string]any{"path": "id"}})
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
