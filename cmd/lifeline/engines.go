package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifeline/api"
	"lifeline/internal/metrics"
	"lifeline/routing"
	"lifeline/routing/network"
	"lifeline/routing/osm"
	"lifeline/routing/siteplan"
	"lifeline/zones"
)

// engines is what serve runs beside the store: the car network (routes,
// matrices, isochrones) and the foot network (walking times for siting).
type engines struct {
	car, foot *network.Network
}

// wireEngines loads or builds the road networks and attaches the road,
// optimisation and siting endpoints to the API. The car graph comes from
// Config.Graph when set, otherwise from the demo district's streets, built
// once and cached in the data dir (keyed by a hash of the streets).
func wireEngines(ctx context.Context, c Config, d *api.Deps, log *slog.Logger) (retErr error) {
	var e engines
	start := time.Now()
	streets, err := districtStreets(c.District)
	if err != nil {
		return err
	}
	// The basemap is parsed while the graphs load.
	tilesDone := make(chan error, 1)
	go func() { _, err := addTiles(d, c.District, streets); tilesDone <- err }()
	defer func() {
		if err := <-tilesDone; err != nil && retErr == nil {
			retErr = err
		}
	}()
	if c.Graph != "" {
		if e.car, err = network.Load(c.Graph, network.Options{}); err != nil {
			return fmt.Errorf("load road graph %s: %w", c.Graph, err)
		}
		log.Info("road graph loaded", "file", c.Graph, "profile", e.car.Profile(), "nodes", e.car.Graph().NumNodes(), "took", time.Since(start).Round(time.Millisecond))
	} else {
		// Car and foot build side by side (each is single-threaded).
		footDone := make(chan error, 1)
		go func() {
			var err error
			e.foot, err = demoNetwork(ctx, c.DataDir, streets, osm.Foot, log)
			footDone <- err
		}()
		e.car, err = demoNetwork(ctx, c.DataDir, streets, osm.Car, log)
		if ferr := <-footDone; err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
	}
	d.Extra = append(d.Extra, api.RoadRoutes(e.car, e.foot), api.SitesRoutesContext(e.walkFunc()), api.OptimizeRoutes(e.car), api.ShuttleRoutes(e.car),
		api.DeliveryRoutes(e.car, api.DeliveryOptions{Cutoffs: c.DeliveryCutoffs, Context: ctx, PlanTime: c.DeliveryPlanTime}))
	sync := newSealedSync(d.Store, e.car, log)
	sync.metrics = d.Metrics
	if feed, ok := d.Store.(zones.ChangeFeed); ok {
		// every zone change of the store, this replica's or another's
		go sync.follow(ctx, feed)
	} else {
		d.OnZonesChanged = sync.trigger
	}
	go sync.loop(ctx, time.Minute)
	sync.trigger()
	return nil
}

// walkFunc gives siting walking times on the foot network (stopping with
// the plan's context), or nil (straight line x detour, said in every
// answer) when no foot graph is loaded.
func (e *engines) walkFunc() func(context.Context) siteplan.WalkFunc {
	if e.foot == nil {
		return nil
	}
	return func(ctx context.Context) siteplan.WalkFunc {
		return func(from, to []orb.Point) (routing.Matrix, error) {
			tm, _, _, err := e.foot.Matrix(ctx, from, to, network.MatrixOptions{})
			return tm, err
		}
	}
}

// demoNetwork builds (or loads from the cache) the demo district's network for a profile.
func demoNetwork(ctx context.Context, dir string, streets []byte, p osm.Profile, log *slog.Logger) (*network.Network, error) {
	sum := sha256.Sum256(streets)
	path := filepath.Join(dir, fmt.Sprintf("demo-%s-%s.graph", p, hex.EncodeToString(sum[:6])))
	start := time.Now()
	if n, err := network.Load(path, network.Options{}); err == nil {
		log.Info("demo road graph loaded from cache", "profile", p, "file", path, "took", time.Since(start).Round(time.Millisecond))
		return n, nil
	}
	n, err := network.Build(ctx, bytes.NewReader(streets), p, network.Options{})
	if err != nil {
		return nil, fmt.Errorf("build the demo district's %s graph: %w", p, err)
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if err := n.Save(path); err != nil {
			log.Warn("could not cache the demo graph", "file", path, "err", err)
		}
	}
	log.Info("demo road graph built", "profile", p, "nodes", n.Graph().NumNodes(), "took", time.Since(start).Round(time.Millisecond))
	return n, nil
}

// sealer is what sealedSync needs of the road network (*network.Network).
type sealer interface {
	SetSealedZones(zs []orb.MultiPolygon) uint64
	WaitVersion(ctx context.Context, v uint64) error
	Version() uint64
}

// sealedSync keeps the road network's closed roads equal to the sealed zones
// in force now: after every zone write, and once a minute for zones whose
// validity starts or ends with the passing of time. It rebuilds when the
// content changed, not only the set of ids: the fingerprint holds each
// sealed zone's id and version (a zone's geometry only changes with a new
// version), so moving a sealed zone (a new version under the same id)
// reaches the road engine, while a lift set for later does not rebuild. A rebuild that fails
// is retried with a backoff (minBackoff doubling up to maxBackoff) until it
// is in place or superseded.
type sealedSync struct {
	store zones.Store
	net   sealer
	log   *slog.Logger
	kick  chan struct{}
	// metrics records each rebuild (nil: none)
	metrics *metrics.Registry

	minBackoff, maxBackoff time.Duration

	mu       sync.Mutex
	last     string // fingerprint of the zones last handed to the network
	init     bool
	want     uint64 // the network version asked for last
	failures int    // consecutive failed rebuilds
}

func newSealedSync(st zones.Store, n sealer, log *slog.Logger) *sealedSync {
	return &sealedSync{store: st, net: n, log: log, kick: make(chan struct{}, 1),
		minBackoff: time.Second, maxBackoff: time.Minute}
}

func (s *sealedSync) trigger() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *sealedSync) loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.apply(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("could not refresh sealed roads", "err", err)
		}
	}
}

// follow triggers a refresh after each zone change the store's change
// stream reports (on PostGIS: written on any replica, announced by NOTIFY;
// a missed notice is caught up by the store), until ctx ends.
func (s *sealedSync) follow(ctx context.Context, feed zones.ChangeFeed) {
	var seen uint64
	for {
		n, err := feed.WaitZoneChange(ctx, seen)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("zone change stream", "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
			continue
		}
		seen = n
		s.trigger()
	}
}

// sealedFingerprint identifies the content of a list of zones: ids and
// versions, in list order.
func sealedFingerprint(zs []zones.Zone) string {
	var b strings.Builder
	for _, z := range zs {
		fmt.Fprintf(&b, "%d/%d;", z.ID, z.Version)
	}
	return b.String()
}

func (s *sealedSync) apply(ctx context.Context) error {
	now := time.Now()
	zs, err := s.store.ListZones(ctx, zones.ZoneFilter{Kind: zones.KindSealed, ActiveAt: &now})
	if err != nil {
		return err
	}
	polys := make([]orb.MultiPolygon, len(zs))
	for i, z := range zs {
		polys[i] = z.Geometry
	}
	fp := sealedFingerprint(zs)
	s.mu.Lock()
	if s.init && fp == s.last {
		s.mu.Unlock()
		return nil
	}
	s.last, s.init = fp, true
	v := s.net.SetSealedZones(polys)
	s.want = v
	s.mu.Unlock()
	s.log.Info("sealed roads updating", "sealed_zones", len(zs), "version", v)
	go s.watch(ctx, v, now)
	return nil
}

// watch waits for network version v. When the build fails it waits a
// backoff and, unless v is in place by then (WaitVersion may report the
// error of an earlier build) or a newer version was asked for, forces a
// rebuild of the current sealed zones.
func (s *sealedSync) watch(ctx context.Context, v uint64, asked time.Time) {
	err := s.net.WaitVersion(ctx, v)
	if ctx.Err() != nil {
		return
	}
	s.metrics.RoadSwap(err == nil, time.Since(asked))
	s.mu.Lock()
	if err == nil {
		s.failures = 0
		s.mu.Unlock()
		return
	}
	s.failures++
	d := s.minBackoff << min(s.failures-1, 16)
	if d > s.maxBackoff || d <= 0 {
		d = s.maxBackoff
	}
	s.mu.Unlock()
	s.log.Warn("sealed roads rebuild failed; will retry", "version", v, "err", err, "retry_in", d)
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return
	}
	s.mu.Lock()
	if s.want != v || s.net.Version() >= v {
		s.mu.Unlock()
		return
	}
	s.init = false // rebuild even though the zones did not change
	s.mu.Unlock()
	s.trigger()
}
