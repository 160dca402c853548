package api

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routelists"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// Route lists (package routelists) are what a driver's phone shows: one
// list per planned route under a random 10-digit code. They live in the
// store (Deps.RouteLists), so every replica serves every list and a restart
// loses none; a list is served for routelists.Retention after it is made
// and deleted after that.

// RouteList is the answer of GET /v1/route-lists/{id}.
type RouteList = routelists.List

// ListStop is one stop of a RouteList.
type ListStop = routelists.Stop

// importRouteListFile loads the lists of an earlier version's JSON file
// (rewritten whole after every plan) into the store once, then renames the
// file to file + ".imported". Expired lists and codes already in the store
// are skipped; an unreadable file is logged and set aside, never fatal.
func importRouteListFile(ctx context.Context, st routelists.Store, file string, now time.Time, log *slog.Logger) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var lists []*RouteList
	if err == nil {
		err = json.Unmarshal(data, &lists)
	}
	if err != nil {
		log.Error("route lists: cannot read the saved lists; starting without them", "file", file, "err", err)
		_ = os.Rename(file, file+".unreadable")
		return
	}
	n := 0
	for _, l := range lists {
		if l == nil || l.Expired(now) {
			continue
		}
		if _, err := st.GetRouteList(ctx, l.ID); err == nil {
			continue
		}
		if err := st.CreateRouteLists(ctx, []RouteList{*l}); err != nil {
			log.Error("route lists: cannot import a saved list", "file", file, "list", l.ID, "err", err)
			return // keep the file for the next start
		}
		n++
	}
	if err := os.Rename(file, file+".imported"); err != nil {
		log.Warn("route lists: imported the saved lists but could not rename the file", "file", file, "err", err)
	}
	log.Info("route lists: imported the saved lists into the store", "file", file, "lists", n, "backup", file+".imported")
}

// addRouteLists makes one route list per route of out, stores them (new
// codes on the rare clash) and writes each code into the route's RouteList
// field. zoneAt names the strictest zone at a point ("" for none); it may
// be nil. Lists past the retention are deleted on the way.
// stepWindows are the time windows of a problem's steps by "type:id"
// (job, pickup or delivery; VROOM numbers jobs and shipments' steps apart).
type stepWindows map[string][][2]float64

func stepKey(kind string, id uint64) string { return kind + ":" + strconv.FormatUint(id, 10) }

// windowsOf reads the time windows of a VROOM problem's jobs and shipment
// steps, for the drivers' lists; a document it cannot read gives none (the
// solver's own decoding has the last word on what is valid).
func windowsOf(body []byte) stepWindows {
	type step struct {
		ID          uint64       `json:"id"`
		TimeWindows [][2]float64 `json:"time_windows"`
	}
	var doc struct {
		Jobs      []step `json:"jobs"`
		Shipments []struct {
			Pickup   step `json:"pickup"`
			Delivery step `json:"delivery"`
		} `json:"shipments"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	w := stepWindows{}
	for _, j := range doc.Jobs {
		if len(j.TimeWindows) > 0 {
			w[stepKey("job", j.ID)] = j.TimeWindows
		}
	}
	for _, s := range doc.Shipments {
		if len(s.Pickup.TimeWindows) > 0 {
			w[stepKey("pickup", s.Pickup.ID)] = s.Pickup.TimeWindows
		}
		if len(s.Delivery.TimeWindows) > 0 {
			w[stepKey("delivery", s.Delivery.ID)] = s.Delivery.TimeWindows
		}
	}
	return w
}

// addRouteLists makes one driver's list per route of out; windows (at most
// one, optional) gives the stops' time windows.
func (h *Handlers) addRouteLists(ctx context.Context, out *vroom.Output, zoneAt func(context.Context, orb.Point) string, drivers map[uint64]string, owner string, windows ...stepWindows) error {
	return h.addRouteListsOf(ctx, out, zoneAt, drivers, owner, false, windows...)
}

// addRouteListsOf is addRouteLists; plain marks lists whose stop names
// carry no personal data (shown unmasked to drivers).
func (h *Handlers) addRouteListsOf(ctx context.Context, out *vroom.Output, zoneAt func(context.Context, orb.Point) string, drivers map[uint64]string, owner string, plain bool, windows ...stepWindows) error {
	now := h.Now().UTC()
	lists := make([]RouteList, len(out.Routes))
	for i := range out.Routes {
		r := &out.Routes[i]
		l := RouteList{Vehicle: r.Vehicle, VehicleDescription: r.Description, CreatedAt: now, DurationS: r.Duration,
			DistanceM: r.Distance, Stops: make([]ListStop, 0, len(r.Steps)), Driver: drivers[r.Vehicle], Owner: owner, Plain: plain}
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
			if len(windows) > 0 && st.ID != nil {
				s.TimeWindows = windows[0][stepKey(st.Type, *st.ID)]
			}
			if st.Location != nil && zoneAt != nil {
				s.Zone = zoneAt(ctx, *st.Location)
			}
			l.Stops = append(l.Stops, s)
		}
		lists[i] = l
	}
	if _, err := h.RouteLists.ExpireRouteLists(ctx, now.Add(-routelists.Retention)); err != nil {
		return err
	}
	var err error
	for try := 0; try < 5; try++ {
		for i := range lists {
			lists[i].ID = routelists.NewCode()
		}
		if err = h.RouteLists.CreateRouteLists(ctx, lists); !errors.Is(err, zones.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	for i := range lists {
		out.Routes[i].RouteList = lists[i].ID
	}
	return nil
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
