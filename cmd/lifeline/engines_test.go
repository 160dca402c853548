package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/memstore"
	"lifeline/zones"
)

// fakeSealer records what sealedSync hands to the network; builds listed
// in fail fail (WaitVersion reports an error and the version stays).
type fakeSealer struct {
	mu    sync.Mutex
	calls [][]orb.MultiPolygon
	ver   uint64
	fail  map[int]bool // call number (1-based) -> the build fails
}

func (f *fakeSealer) SetSealedZones(zs []orb.MultiPolygon) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, zs)
	n := uint64(len(f.calls))
	if !f.fail[len(f.calls)] {
		f.ver = n
	}
	return n
}

func (f *fakeSealer) WaitVersion(_ context.Context, v uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ver >= v {
		return nil
	}
	return errors.New("build failed")
}

func (f *fakeSealer) Version() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ver
}

func (f *fakeSealer) numCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeSealer) lastCall() []orb.MultiPolygon {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[len(f.calls)-1]
}

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Moving a sealed zone keeps its id; the sync must still hand the new
// polygon to the network (it compared only ids before).
func TestSealedSyncSeesMovedZone(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	net := &fakeSealer{}
	s := newSealedSync(st, net, quietLog())
	z, err := st.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "s", Geometry: rect(104, 30, 104.01, 30.01),
		EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.apply(ctx); err != nil || net.numCalls() != 1 {
		t.Fatalf("first apply: %v, %d calls", err, net.numCalls())
	}
	if err := s.apply(ctx); err != nil || net.numCalls() != 1 {
		t.Fatalf("apply without change: %v, %d calls, want still 1", err, net.numCalls())
	}
	moved := z
	moved.Geometry = rect(104.05, 30, 104.06, 30.01)
	moved.EffectiveFrom = time.Time{} // from now
	if _, err := st.UpdateZone(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(ctx); err != nil {
		t.Fatal(err)
	}
	if net.numCalls() != 2 {
		t.Fatalf("after moving the sealed zone: %d calls, want 2", net.numCalls())
	}
	if got := net.lastCall(); len(got) != 1 || !orb.Equal(got[0], moved.Geometry) {
		t.Fatalf("network got %v, want the moved polygon", got)
	}
}

// A rebuild that fails is retried until it is in place.
func TestSealedSyncRetriesFailedBuild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memstore.New()
	if _, err := st.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "s", Geometry: rect(104, 30, 104.01, 30.01),
		EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	net := &fakeSealer{fail: map[int]bool{1: true, 2: true}}
	s := newSealedSync(st, net, quietLog())
	s.minBackoff, s.maxBackoff = 5*time.Millisecond, 20*time.Millisecond
	go s.loop(ctx, time.Hour)
	s.trigger()
	deadline := time.Now().Add(10 * time.Second)
	for net.Version() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after two failed builds: %d calls, version %d; want a third, successful one", net.numCalls(), net.Version())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := net.numCalls(); n != 3 {
		t.Errorf("%d builds, want 3 (no rebuild once in place)", n)
	}
	if got := net.lastCall(); len(got) != 1 {
		t.Errorf("retried build got %d zones, want 1", len(got))
	}
}

// End to end through the real server on the demo district: a sealed zone
// away from a route is moved (PUT, same id) over the route; the route must
// change.
func TestServeMovedSealedZoneChangesRoute(t *testing.T) {
	base, stop := startServe(t, t.TempDir())
	defer stop()
	routeURL := base + "/v1/route?from=104.06,30.64&to=104.08,30.66"
	_, before := getJSON(t, "GET", routeURL, "")
	coords := before["geometry"].(map[string]any)["coordinates"].([]any)
	mid := coords[len(coords)/2].([]any)
	x, y := mid[0].(float64), mid[1].(float64)
	const d = 0.0015 // about 150 m
	square := func(cx, cy float64) string {
		return fmt.Sprintf(`[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]`, cx-d, cy-d, cx+d, cy-d, cx+d, cy+d, cx-d, cy+d, cx-d, cy-d)
	}
	feature := func(cx, cy float64, from string) string {
		f := ""
		if from != "" {
			f = fmt.Sprintf(`,"effective_from":%q`, from)
		}
		return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":%s},"properties":{"kind":"sealed","name":"moving seal","reason":"test"%s}}`, square(cx, cy), f)
	}
	// Far from the route (about 5 km away).
	code, created := getJSON(t, "POST", base+"/v1/zones", feature(x+0.05, y+0.05, "2026-01-01T00:00:00Z"))
	if code != 201 {
		t.Fatalf("create zone: %d %v", code, created)
	}
	id := int64(created["id"].(float64))
	inside := func(route map[string]any) bool {
		for _, c := range route["geometry"].(map[string]any)["coordinates"].([]any) {
			p := c.([]any)
			if px, py := p[0].(float64), p[1].(float64); px > x-d && px < x+d && py > y-d && py < y+d {
				return true
			}
		}
		return false
	}
	if _, r := getJSON(t, "GET", routeURL, ""); !inside(r) {
		t.Fatalf("the route avoids the spot before any zone covers it")
	}
	code, moved := getJSON(t, "PUT", fmt.Sprintf("%s/v1/zones/%d", base, id), feature(x, y, ""))
	if code != 200 || int64(moved["id"].(float64)) != id || moved["version"].(float64) != 2 {
		t.Fatalf("move zone: %d %v", code, moved)
	}
	start := time.Now()
	deadline := start.Add(15 * time.Second)
	for {
		_, after := getJSON(t, "GET", routeURL, "")
		if !inside(after) {
			t.Logf("the route avoids the moved zone %v after the PUT", time.Since(start).Round(100*time.Microsecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("route still crosses the moved sealed zone after 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The sync follows the store's change stream: a zone written straight to
// the store (no API hook, as on another replica) reaches the network.
func TestSealedSyncFollowsChangeStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memstore.New()
	defer st.Close()
	net := &fakeSealer{}
	s := newSealedSync(st, net, quietLog())
	go s.follow(ctx, st)
	go s.loop(ctx, time.Hour)
	s.trigger()
	waitCalls := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); net.numCalls() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d calls to the network, want %d", net.numCalls(), n)
			}
		}
	}
	waitCalls(1)
	z, err := st.CreateZone(ctx, zones.Zone{Kind: zones.KindSealed, Name: "s", Geometry: rect(104, 30, 104.01, 30.01),
		EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	waitCalls(2)
	if got := net.lastCall(); len(got) != 1 || !orb.Equal(got[0], z.Geometry) {
		t.Fatalf("network got %v, want the new sealed zone", got)
	}
	if _, err := st.LiftZone(ctx, z.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitCalls(3)
	if got := net.lastCall(); len(got) != 0 {
		t.Fatalf("network got %v after the lift, want no sealed zone", got)
	}
	// A change that leaves the sealed set as it is rebuilds nothing.
	if _, err := st.CreateZone(ctx, zones.Zone{Kind: zones.KindPrevention, Name: "p", Geometry: rect(104, 30, 104.01, 30.01)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if net.numCalls() != 3 {
		t.Fatalf("%d calls after a prevention zone, want 3", net.numCalls())
	}
}
