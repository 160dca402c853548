package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"lifeline/accounts"
	"lifeline/api"
	"lifeline/data/demo"
	"lifeline/data/memstore"
	"lifeline/data/postgis"
	"lifeline/internal/metrics"
	"lifeline/jobs"
	"lifeline/routing/deliveries"
	"lifeline/web"
	"lifeline/zones"
)

func init() {
	register("serve", "start the HTTP service (embedded store with the demo district, or PostGIS)", runServe)
}

// Config is the configuration of `lifeline serve`. Flags override the
// environment, which overrides the defaults written beside each field.
type Config struct {
	Addr            string        // LIFELINE_ADDR, default ":8080"
	DatabaseURL     string        // DATABASE_URL, default "" (embedded store)
	DatabaseSchema  string        // LIFELINE_DATABASE_SCHEMA, default "" (the URL's search_path): PostGIS schema of every table, created if missing
	JobOrphanAfter  time.Duration // LIFELINE_JOB_ORPHAN_AFTER, default 15s: with PostGIS, a running job whose replica is silent this long runs again elsewhere
	DataDir         string        // LIFELINE_DATA_DIR, default "var/lifeline": embedded store (store/ log) and built graphs
	Demo            bool          // LIFELINE_DEMO, default true: load the demo district into an empty store
	ZoneIndex       bool          // LIFELINE_ZONE_INDEX, default true: on PostGIS, answer look-ups from memory (false: SQL per look-up)
	District        string        // LIFELINE_DISTRICT, default "chengdu" (or "synthetic"): the demo district, its graphs and tiles
	Graph           string        // LIFELINE_GRAPH, default "": a graph file from `lifeline graph build`; empty builds the demo district's
	MaxBodyBytes    int64         // LIFELINE_MAX_BODY_BYTES, default 8388608
	LogLevel        string        // LIFELINE_LOG_LEVEL, default "info" (debug, info, warn, error)
	LogFormat       string        // LIFELINE_LOG_FORMAT, default "text" ("json" for machines)
	ShutdownTimeout time.Duration // LIFELINE_SHUTDOWN_TIMEOUT, default 15s
	// Limits: solve queue and HTTP timeouts from flags; the rest api.DefaultLimits.
	Limits api.Limits // LIFELINE_SOLVE_WORKERS, LIFELINE_SOLVE_QUEUE, LIFELINE_READ_HEADER_TIMEOUT, LIFELINE_READ_TIMEOUT, LIFELINE_IDLE_TIMEOUT
	Auth   authConfig // accounts, sessions, CORS and rate limits (user.go)
	// DeliveryCutoffs are the day's cut-offs of medicine deliveries
	// (LIFELINE_DELIVERY_CUTOFFS, default "10:00,15:00"; "off": none).
	DeliveryCutoffs []string
	// DeliveryPlanTime is the solver's budget of a scheduled cut-off
	// (LIFELINE_DELIVERY_PLAN_TIME, default 10s).
	DeliveryPlanTime time.Duration
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	c := Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("LIFELINE_ADDR", ":8080"), "listen address (env LIFELINE_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL/PostGIS URL; empty uses the embedded store (env DATABASE_URL)")
	fs.StringVar(&c.DatabaseSchema, "database-schema", env("LIFELINE_DATABASE_SCHEMA", ""), "PostGIS schema for the tables (created if missing; River's too); empty: the URL's search_path (env LIFELINE_DATABASE_SCHEMA)")
	orphan, err := time.ParseDuration(env("LIFELINE_JOB_ORPHAN_AFTER", "15s"))
	if err != nil || orphan <= 0 {
		return c, fmt.Errorf("LIFELINE_JOB_ORPHAN_AFTER: %q is not a positive duration", getenv("LIFELINE_JOB_ORPHAN_AFTER"))
	}
	fs.DurationVar(&c.JobOrphanAfter, "job-orphan-after", orphan, "with PostGIS: a running solve whose replica has been silent this long is queued again for another replica (env LIFELINE_JOB_ORPHAN_AFTER)")
	fs.StringVar(&c.DataDir, "data-dir", env("LIFELINE_DATA_DIR", "var/lifeline"), "folder for the embedded store (log in store/, accounts) and built graphs (env LIFELINE_DATA_DIR)")
	demoDef, err := strconv.ParseBool(env("LIFELINE_DEMO", "true"))
	if err != nil {
		return c, fmt.Errorf("LIFELINE_DEMO: %w", err)
	}
	fs.BoolVar(&c.Demo, "demo", demoDef, "load the demo district into an empty store (env LIFELINE_DEMO)")
	ixDef, err := strconv.ParseBool(env("LIFELINE_ZONE_INDEX", "true"))
	if err != nil {
		return c, fmt.Errorf("LIFELINE_ZONE_INDEX: %w", err)
	}
	fs.BoolVar(&c.ZoneIndex, "zone-index", ixDef, "on PostGIS, keep every zone version in memory and answer look-ups from it, kept current by LISTEN/NOTIFY; false: one SQL query per look-up (env LIFELINE_ZONE_INDEX)")
	fs.StringVar(&c.District, "district", env("LIFELINE_DISTRICT", DistrictChengdu), "demo district: chengdu (real OpenStreetMap places) or synthetic (env LIFELINE_DISTRICT)")
	fs.StringVar(&c.Graph, "graph", env("LIFELINE_GRAPH", ""), "road graph file from 'lifeline graph build'; empty builds the demo district's streets (env LIFELINE_GRAPH)")
	maxBody, err := strconv.ParseInt(env("LIFELINE_MAX_BODY_BYTES", "8388608"), 10, 64)
	if err != nil {
		return c, fmt.Errorf("LIFELINE_MAX_BODY_BYTES: %w", err)
	}
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", maxBody, "largest accepted request body (env LIFELINE_MAX_BODY_BYTES)")
	fs.StringVar(&c.LogLevel, "log-level", env("LIFELINE_LOG_LEVEL", "info"), "debug, info, warn or error (env LIFELINE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LIFELINE_LOG_FORMAT", "text"), "text or json (env LIFELINE_LOG_FORMAT)")
	sd, err := time.ParseDuration(env("LIFELINE_SHUTDOWN_TIMEOUT", "15s"))
	if err != nil {
		return c, fmt.Errorf("LIFELINE_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", sd, "time to finish requests on SIGINT/SIGTERM (env LIFELINE_SHUTDOWN_TIMEOUT)")
	def := api.DefaultLimits()
	c.Limits = def
	ints := []struct {
		v         *int
		flag, env string
		def       int
		usage     string
	}{
		{&c.Limits.SolveWorkers, "solve-workers", "LIFELINE_SOLVE_WORKERS", 0, "solves (optimize, sites/plan) running at once; 0 = one per core"},
		{&c.Limits.SolveQueue, "solve-queue", "LIFELINE_SOLVE_QUEUE", 0, "solves waiting for a worker before 429; 0 = 2 x workers"},
	}
	for _, f := range ints {
		v, err := strconv.Atoi(env(f.env, strconv.Itoa(f.def)))
		if err != nil || v < 0 {
			return c, fmt.Errorf("%s: %q is not a non-negative integer", f.env, getenv(f.env))
		}
		fs.IntVar(f.v, f.flag, v, f.usage+" (env "+f.env+")")
	}
	durs := []struct {
		v         *time.Duration
		flag, env string
		def       time.Duration
		usage     string
	}{
		{&c.Limits.ReadHeaderTimeout, "read-header-timeout", "LIFELINE_READ_HEADER_TIMEOUT", def.ReadHeaderTimeout, "time to read a request's headers"},
		{&c.Limits.ReadTimeout, "read-timeout", "LIFELINE_READ_TIMEOUT", def.ReadTimeout, "time to read a whole request, headers and body"},
		{&c.Limits.IdleTimeout, "idle-timeout", "LIFELINE_IDLE_TIMEOUT", def.IdleTimeout, "time a keep-alive connection may wait for its next request"},
	}
	for _, f := range durs {
		v, err := time.ParseDuration(env(f.env, f.def.String()))
		if err != nil || v <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive duration", f.env, getenv(f.env))
		}
		fs.DurationVar(f.v, f.flag, v, f.usage+" (env "+f.env+")")
	}
	if err := c.Auth.flags(fs, env); err != nil {
		return c, err
	}
	pt, err := time.ParseDuration(env("LIFELINE_DELIVERY_PLAN_TIME", "10s"))
	if err != nil {
		return c, fmt.Errorf("LIFELINE_DELIVERY_PLAN_TIME: %w", err)
	}
	fs.DurationVar(&c.DeliveryPlanTime, "delivery-plan-time", pt, "the solver's budget of a scheduled delivery cut-off; about 50s for a day of 10,000 requests (env LIFELINE_DELIVERY_PLAN_TIME)")
	cutoffs := fs.String("delivery-cutoffs", env("LIFELINE_DELIVERY_CUTOFFS", strings.Join(api.DefaultCutoffs, ",")),
		"the day's cut-offs of medicine deliveries, HH:MM Beijing time, comma-separated; off for none (env LIFELINE_DELIVERY_CUTOFFS)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *cutoffs != "off" && *cutoffs != "" {
		for _, s := range strings.Split(*cutoffs, ",") {
			s = strings.TrimSpace(s)
			if _, err := deliveries.ParseClock(s); err != nil {
				return c, fmt.Errorf("serve: -delivery-cutoffs: %v", err)
			}
			c.DeliveryCutoffs = append(c.DeliveryCutoffs, s)
		}
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if c.DeliveryPlanTime <= 0 || c.DeliveryPlanTime > c.Limits.MaxOptimizeTime {
		return c, fmt.Errorf("serve: -delivery-plan-time must be positive and at most %s", c.Limits.MaxOptimizeTime)
	}
	if c.Limits.SolveWorkers < 0 || c.Limits.SolveQueue < 0 {
		return c, fmt.Errorf("serve: -solve-workers and -solve-queue must not be negative")
	}
	for _, d := range []time.Duration{c.Limits.ReadHeaderTimeout, c.Limits.ReadTimeout, c.Limits.IdleTimeout} {
		if d <= 0 {
			return c, fmt.Errorf("serve: the read, read-header and idle timeouts must be positive")
		}
	}
	if err := checkDistrict(c.District); err != nil {
		return c, err
	}
	return c, nil
}

func newLogger(c Config, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

// openStore opens PostGIS when a database URL is given, else the embedded
// store with its log in the data dir (store/). It loads the demo district into an
// empty store when asked.
func openStore(ctx context.Context, c Config, log *slog.Logger) (zones.Store, error) {
	var st zones.Store
	if c.DatabaseURL != "" {
		var opts []postgis.Option
		if c.DatabaseSchema != "" {
			opts = append(opts, postgis.WithSchema(c.DatabaseSchema))
		}
		if !c.ZoneIndex {
			opts = append(opts, postgis.WithoutZoneIndex())
		}
		pg, err := postgis.Open(ctx, c.DatabaseURL, opts...)
		if err != nil {
			return nil, fmt.Errorf("open PostGIS: %w", err)
		}
		st = pg
		log.Info("store: PostGIS", "url", redactURL(c.DatabaseURL), "schema", c.DatabaseSchema, "zone_index", c.ZoneIndex, "zone_change", pg.ZoneIndexSeq())
	} else {
		if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(c.DataDir, "store.json")
		ms, err := memstore.OpenWith(path, memstore.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		st = ms
		rec := ms.Recovery()
		log.Info("store: embedded", "log", memstore.LogDir(path), "snapshot_loaded", rec.Snapshot, "records_replayed", rec.Records)
	}
	if c.Demo {
		empty, err := storeEmpty(ctx, st)
		if err != nil {
			st.Close()
			return nil, err
		}
		if empty {
			d, err := defaultDistrict(c.District)
			if err == nil {
				err = demo.Load(ctx, st, d)
			}
			if err != nil {
				st.Close()
				return nil, fmt.Errorf("load demo district: %w", err)
			}
			log.Info("loaded the demo district into the empty store", "district", c.District, "compounds", len(d.Compounds), "facilities", len(d.Facilities), "zones", len(d.Zones))
			if err := accounts.CreateDemoAccounts(ctx, st.(accounts.Store)); err != nil {
				st.Close()
				return nil, err
			}
			log.Warn("created the demo accounts (demo-admin, demo-planner, demo-dispatcher, demo-driver, demo-viewer; each one's password is its username): revoke them with 'lifeline user revoke' before real use")
			if err := loadDemoRiders(ctx, st, time.Now(), log); err != nil {
				log.Warn("no demo riders' registry", "err", err) // the district and accounts are fine without it
			}
			if err := loadDemoDeliveries(ctx, st, time.Now(), log); err != nil {
				log.Warn("no demo medicine deliveries", "err", err)
			}
		}
	}
	return st, nil
}

func storeEmpty(ctx context.Context, st zones.Store) (bool, error) {
	cs, err := st.ListCompounds(ctx, nil)
	if err != nil {
		return false, err
	}
	if len(cs) > 0 {
		return false, nil
	}
	zs, err := st.ListZones(ctx, zones.ZoneFilter{Limit: 1})
	return len(zs) == 0, err
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c, err := loadConfig(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()

	lim := c.Limits.WithDefaults()
	queue, err := openQueue(c, lim, st, log)
	if err != nil {
		return err
	}
	reg := metrics.New()
	reg.WatchQueue(queue)
	deps := api.Deps{Store: st, Logger: log, MaxBodyBytes: c.MaxBodyBytes, Static: web.Handler(),
		RouteListFile: filepath.Join(c.DataDir, "route-lists.json"), Limits: lim, Queue: queue, Metrics: reg}
	if err := wireEngines(ctx, c, &deps, log); err != nil {
		return err
	}
	if deps.Auth, err = newAuth(ctx, c, st, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	// No WriteTimeout: a synchronous solve may answer after MaxOptimizeTime.
	handler := api.New(deps) // registers the solve workers
	if err := queue.start(ctx); err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: lim.ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout,
		IdleTimeout: lim.IdleTimeout}
	url := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "lifeline is serving on %s  (map: %s/ , health: %s/healthz)\n", url, url, url)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	// stop the solves first (no new ones; the running ones get half the
	// time to finish, then stop and stay queued in the store for the next
	// start): their requests then answer and Shutdown can finish
	if err := queue.Shutdown(sctx, c.ShutdownTimeout/2); err != nil {
		log.Warn("solves still running at shutdown", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// solveQueue is the solve queue serve runs: jobs.Local on the embedded
// store, postgis.River on PostGIS.
type solveQueue interface {
	jobs.Queue
	// start runs the queue once the workers are registered.
	start(ctx context.Context) error
	// Shutdown stops taking jobs, waits up to grace for the running ones,
	// then stops them (they stay queued in the store).
	Shutdown(ctx context.Context, grace time.Duration) error
}

type localQueue struct {
	*jobs.Local
	log *slog.Logger
}

func (q localQueue) start(ctx context.Context) error {
	requeued, failed, err := q.Recover(ctx)
	if requeued+failed > 0 {
		q.log.Warn("solve queue: jobs interrupted by the last stop", "queued_again", requeued, "failed", failed)
	}
	return err
}

type riverQueue struct{ *postgis.River }

func (q riverQueue) start(ctx context.Context) error { return q.Start(ctx) }

// openQueue makes the solve queue: River on PostGIS (shared by every
// replica on the database), else jobs.Local keeping its jobs in the
// embedded store.
func openQueue(c Config, lim api.Limits, st zones.Store, log *slog.Logger) (solveQueue, error) {
	if pg, ok := st.(*postgis.Store); ok {
		workers := lim.SolveWorkers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		rq, err := pg.NewRiver(postgis.RiverOptions{Workers: workers, QueueSize: lim.SolveQueue, OrphanAfter: c.JobOrphanAfter, Logger: log})
		if err != nil {
			return nil, err
		}
		o := rq.Options()
		log.Info("solve queue: River on PostgreSQL", "replica", o.Node, "workers", o.Workers, "live_jobs_max", o.Workers+o.QueueSize, "orphan_after", o.OrphanAfter)
		return riverQueue{rq}, nil
	}
	js, _ := st.(jobs.Store) // the embedded store keeps job records
	q := jobs.NewLocal(jobs.Options{Workers: lim.SolveWorkers, QueueSize: lim.SolveQueue, MaxJobs: lim.MaxJobs, Store: js, Logger: log})
	o := q.Options()
	log.Info("solve queue", "workers", o.Workers, "queue", o.QueueSize, "max_jobs", o.MaxJobs)
	return localQueue{q, log}, nil
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") {
		return "localhost:" + strings.TrimPrefix(s, "[::]:")
	}
	if strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(s, "0.0.0.0:")
	}
	return s
}
