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
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifeline/api"
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
		if e.car, err = demoNetwork(ctx, c.DataDir, streets, osm.Car, log); err != nil {
			return err
		}
		if e.foot, err = demoNetwork(ctx, c.DataDir, streets, osm.Foot, log); err != nil {
			return err
		}
	}
	d.Extra = append(d.Extra, api.RoadRoutes(e.car), api.SitesRoutes(e.walkFunc()), api.OptimizeRoutes(e.car))
	sync := newSealedSync(d.Store, e.car, log)
	d.OnZonesChanged = sync.trigger
	go sync.loop(ctx, time.Minute)
	sync.trigger()
	return nil
}

// walkFunc gives siting walking times on the foot network, or nil (straight
// line x detour, said in every answer) when no foot graph is loaded.
func (e *engines) walkFunc() siteplan.WalkFunc {
	if e.foot == nil {
		return nil
	}
	return func(from, to []orb.Point) (routing.Matrix, error) {
		tm, _, _, err := e.foot.Matrix(context.Background(), from, to, network.MatrixOptions{})
		return tm, err
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

// sealedSync keeps the road network's closed roads equal to the sealed zones
// in force now: after every zone write, and once a minute for zones whose
// validity starts or ends with the passing of time. It calls SetSealedZones
// only when the set of sealed zones changed.
type sealedSync struct {
	store zones.Store
	net   *network.Network
	log   *slog.Logger
	kick  chan struct{}
	mu    sync.Mutex
	last  []int64
	init  bool
}

func newSealedSync(st zones.Store, n *network.Network, log *slog.Logger) *sealedSync {
	return &sealedSync{store: st, net: n, log: log, kick: make(chan struct{}, 1)}
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

func (s *sealedSync) apply(ctx context.Context) error {
	now := time.Now()
	zs, err := s.store.ListZones(ctx, zones.ZoneFilter{Kind: zones.KindSealed, ActiveAt: &now})
	if err != nil {
		return err
	}
	ids := make([]int64, len(zs))
	polys := make([]orb.MultiPolygon, len(zs))
	for i, z := range zs {
		ids[i], polys[i] = z.ID, z.Geometry
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.init && slices.Equal(ids, s.last) {
		return nil
	}
	s.last, s.init = ids, true
	v := s.net.SetSealedZones(polys)
	s.log.Info("sealed roads updating", "sealed_zones", len(zs), "version", v)
	return nil
}
