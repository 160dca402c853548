package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing/vrp/vroom"
)

// routeLists keeps what a driver's phone shows (web/static/driver.html):
// one list per planned route, under a random 10-digit code that the
// dispatcher hands to that driver. The code is the only key, so a driver
// sees their own route and nothing else, and a list holds only what the
// drive needs: the stops in order with the place, the planned arrival,
// what to pick up or hand over, the dispatcher's description of the stop
// and the zone the stop lies in when the plan was made. Lists are kept for
// routeListRetention (a day's shifts and the next), at most maxRouteLists
// (the oldest go first), in memory and, when the server has a data folder,
// in a file rewritten after each plan, so that a restart loses no driver's
// list.
type routeLists struct {
	mu    sync.Mutex
	byID  map[string]*RouteList
	order []string // creation order, for eviction
	file  string
	now   func() time.Time
	log   *slog.Logger
}

const (
	maxRouteLists      = 2000
	routeListRetention = 48 * time.Hour
)

// newRouteLists returns the registry, loading file when it exists (an
// unreadable file is logged and set aside, never fatal).
func newRouteLists(file string, now func() time.Time, log *slog.Logger) *routeLists {
	rl := &routeLists{byID: map[string]*RouteList{}, file: file, now: now, log: log}
	if file == "" {
		return rl
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return rl
	}
	var lists []*RouteList
	if err == nil {
		err = json.Unmarshal(data, &lists)
	}
	if err != nil {
		log.Error("route lists: cannot read the saved lists; starting without them", "file", file, "err", err)
		_ = os.Rename(file, file+".unreadable")
		return rl
	}
	for _, l := range lists {
		if l != nil && l.ID != "" && rl.byID[l.ID] == nil {
			rl.byID[l.ID] = l
			rl.order = append(rl.order, l.ID)
		}
	}
	rl.expire()
	return rl
}

// expire drops lists past the retention or the count (the caller holds mu
// or owns rl).
func (rl *routeLists) expire() {
	cut := rl.now().Add(-routeListRetention)
	keep := rl.order[:0]
	for _, id := range rl.order {
		if rl.byID[id].CreatedAt.Before(cut) {
			delete(rl.byID, id)
			continue
		}
		keep = append(keep, id)
	}
	rl.order = keep
	for len(rl.order) > maxRouteLists {
		delete(rl.byID, rl.order[0])
		rl.order = rl.order[1:]
	}
}

// save writes every list to rl.file atomically (temporary file, rename);
// the caller holds mu.
func (rl *routeLists) save() error {
	if rl.file == "" {
		return nil
	}
	lists := make([]*RouteList, 0, len(rl.order))
	for _, id := range rl.order {
		lists = append(lists, rl.byID[id])
	}
	data, err := json.Marshal(lists)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(rl.file), 0o755); err != nil {
		return err
	}
	tmp := rl.file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, rl.file)
}

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
	// Driver is the driver account the list is assigned to (the vehicle's
	// "driver" in /v1/optimize); "" when none.
	Driver string `json:"driver,omitempty"`
	// ShareHash is the SHA-256 of the list's share-link token (kept in the
	// file, never rendered).
	ShareHash string `json:"share_hash,omitempty"`
	// Plain marks a list whose stop descriptions carry no personal data
	// (medicine deliveries): they are shown unmasked to every role.
	Plain bool `json:"plain,omitempty"`
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
	// Status is the driver's report on the stop ("" until reported):
	// arrived, done, failed or pending, with the time of the report and,
	// for failed, the reason.
	Status   string     `json:"status,omitempty"`
	StatusAt *time.Time `json:"status_at,omitempty"`
	Reason   string     `json:"reason,omitempty"`
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
func (rl *routeLists) add(ctx context.Context, out *vroom.Output, zoneAt func(context.Context, orb.Point) string, drivers map[uint64]string) {
	now := rl.now().UTC()
	lists := make([]*RouteList, len(out.Routes))
	for i := range out.Routes {
		r := &out.Routes[i]
		l := &RouteList{Vehicle: r.Vehicle, VehicleDescription: r.Description, CreatedAt: now, DurationS: r.Duration,
			DistanceM: r.Distance, Stops: make([]ListStop, 0, len(r.Steps)), Driver: drivers[r.Vehicle]}
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
	rl.expire()
	if err := rl.save(); err != nil {
		rl.log.Error("route lists: cannot save; they are kept in memory only", "file", rl.file, "err", err)
	}
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
