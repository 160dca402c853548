package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifeline/routing/vrp/vroom"
)

// routeLists keeps what a driver's phone shows (web/static/driver.html):
// one list per planned route, under a random 10-digit code that the
// dispatcher hands to that driver. The code is the only key, so a driver
// sees their own route and nothing else, and a list holds only what the
// drive needs: the stops in order with the place, the planned arrival,
// what to pick up or hand over, the dispatcher's description of the stop
// and the zone the stop lies in when the plan was made. Lists live in
// memory, at most maxRouteLists (the oldest go first); a restart forgets
// them and the dispatcher plans again.
type routeLists struct {
	mu    sync.Mutex
	byID  map[string]*RouteList
	order []string // creation order, for eviction
}

const maxRouteLists = 2000

func newRouteLists() *routeLists { return &routeLists{byID: map[string]*RouteList{}} }

// RouteList is the answer of GET /v1/route-lists/{id}. Times are seconds on
// the problem's clock (seconds after midnight when the dispatcher used
// them so); distances in metres.
type RouteList struct {
	ID                 string     `json:"id"`
	Vehicle            uint64     `json:"vehicle"`
	VehicleDescription string     `json:"vehicle_name,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	DurationS          float64    `json:"duration_s"` // travel time
	DistanceM          *float64   `json:"distance_m,omitempty"`
	Stops              []ListStop `json:"stops"`
}

// ListStop is one stop of a route list. Kind is start, job, pickup,
// delivery or end; Items is what is loaded (positive) or handed over
// (negative) there, per capacity dimension; Zone is the strictest zone in
// force at the stop when the list was made ("" outside every zone).
type ListStop struct {
	Seq      int        `json:"seq"`
	Kind     string     `json:"kind"`
	ID       *uint64    `json:"id,omitempty"`
	Name     string     `json:"name,omitempty"`
	Point    *orb.Point `json:"point,omitempty"`
	Arrival  float64    `json:"arrival"`
	Service  float64    `json:"service_s"`
	Waiting  float64    `json:"waiting_s,omitempty"`
	Items    []int64    `json:"items,omitempty"`
	Zone     string     `json:"zone,omitempty"`
	Location int        `json:"location_index"`
}

// newCode returns a random 10-digit code not in use (the caller holds mu).
func (rl *routeLists) newCode() string {
	limit := big.NewInt(9_000_000_000)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		code := fmt.Sprintf("%010d", n.Int64()+1_000_000_000)
		if _, taken := rl.byID[code]; !taken {
			return code
		}
	}
}

// add makes one route list per route of out and writes each code into the
// route's RouteList field. zoneAt names the strictest zone at a point ("" for
// none); it may be nil.
func (rl *routeLists) add(ctx context.Context, out *vroom.Output, zoneAt func(context.Context, orb.Point) string) {
	now := time.Now().UTC()
	lists := make([]*RouteList, len(out.Routes))
	for i := range out.Routes {
		r := &out.Routes[i]
		l := &RouteList{Vehicle: r.Vehicle, VehicleDescription: r.Description, CreatedAt: now, DurationS: r.Duration,
			DistanceM: r.Distance, Stops: make([]ListStop, 0, len(r.Steps))}
		var prev []int64
		for k, st := range r.Steps {
			s := ListStop{Seq: k + 1, Kind: st.Type, ID: st.ID, Name: st.Description, Point: st.Location,
				Arrival: st.Arrival, Service: st.Service, Waiting: st.WaitingTime, Location: st.LocationIndex}
			if k == 0 {
				// the start: everything to hand over is loaded here
				s.Items = append([]int64(nil), st.Load...)
			} else if len(st.Load) == len(prev) {
				s.Items = make([]int64, len(st.Load))
				for d := range st.Load {
					s.Items[d] = st.Load[d] - prev[d]
				}
			}
			if !slices.ContainsFunc(s.Items, func(x int64) bool { return x != 0 }) {
				s.Items = nil
			}
			prev = st.Load
			if st.Location != nil && zoneAt != nil {
				s.Zone = zoneAt(ctx, *st.Location)
			}
			l.Stops = append(l.Stops, s)
		}
		lists[i] = l
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for i, l := range lists {
		l.ID = rl.newCode()
		out.Routes[i].RouteList = l.ID
		rl.byID[l.ID] = l
		rl.order = append(rl.order, l.ID)
	}
	for len(rl.order) > maxRouteLists {
		delete(rl.byID, rl.order[0])
		rl.order = rl.order[1:]
	}
}

func (rl *routeLists) get(c *gin.Context) {
	id := c.Param("id")
	rl.mu.Lock()
	l, ok := rl.byID[id]
	rl.mu.Unlock()
	if !ok {
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: fmt.Sprintf("no route list %q: ask the dispatcher for the code of your route (lists are kept until the server restarts)", id),
			Details: map[string]any{"path": "id"}})
		return
	}
	c.JSON(http.StatusOK, l)
}

// zoneAt returns a function naming the strictest zone in force at a point
// now, by the store ("" when the look-up fails or finds none).
func (h *Handlers) zoneAt() func(context.Context, orb.Point) string {
	return func(ctx context.Context, p orb.Point) string {
		zs, err := h.Store.Lookup(ctx, p, h.Now())
		if err != nil || len(zs) == 0 {
			return ""
		}
		return string(zs[0].Kind)
	}
}
