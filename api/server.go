// Package api is lifeline's HTTP interface (Gin). Handlers are thin: bind,
// validate, call the domain, render. Errors go through the one table in
// errors.go. Only api and cmd import gin.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/api/auth"
	"lifeline/internal/metrics"
	"lifeline/jobs"
	"lifeline/routelists"
	"lifeline/zones"
)

// Deps is what the HTTP API needs. Store is required; the rest is optional
// and the endpoints that need a missing part answer 503.
type Deps struct {
	Store  zones.Store
	Logger *slog.Logger
	// MaxBodyBytes caps every request body (default 8 MiB).
	MaxBodyBytes int64
	// Static, when set, serves the browser UI at "/".
	Static http.Handler
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time
	// OnZonesChanged is called after every successful zone write, so the
	// road engine can close sealed roads (asynchronously).
	OnZonesChanged func()
	// Extra registers more routes (the road, optimisation and siting
	// endpoints are wired by cmd so that api stays free of engine setup).
	Extra []func(r gin.IRouter, h *Handlers)
	// Root registers routes outside /v1 (the public basemap tiles).
	Root []func(r gin.IRouter, h *Handlers)
	// RouteLists keeps the drivers' route lists; nil uses Store when it
	// implements routelists.Store (both stores do), else New panics.
	RouteLists routelists.Store
	// RouteListFile names the JSON file where an earlier version kept the
	// route lists: when it exists, New imports its lists into RouteLists
	// once and renames it to RouteListFile + ".imported".
	RouteListFile string
	// Metrics, when set, records every request (route pattern, method,
	// status, latency) and is served at GET /metrics.
	Metrics *metrics.Registry
	// Limits bound every request's work (zero fields: DefaultLimits).
	Limits Limits
	// Queue runs every solve; nil makes an in-process jobs.Local sized by
	// Limits (SolveWorkers, SolveQueue, MaxJobs).
	Queue jobs.Queue
	// Auth, when set, requires an account for /v1 (see api/auth: the
	// authorisation table, sessions, cross-site checks, rate limits and
	// the audit trail). cmd/lifeline serve always sets it; nil (tests)
	// lets every caller do everything.
	Auth *auth.Auth
}

// Handlers holds the dependencies shared by handler files.
type Handlers struct {
	Deps
	stopHooks []StopHook            // told of drivers' stop reports (routelists_auth.go)
	views     map[string]resultView // job results rendered when read (jobs.go)
}

const (
	ctxRequestID = "request_id"
	ctxLogger    = "logger"
)

// New returns the HTTP handler of the service.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 8 << 20
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Limits = d.Limits.WithDefaults()
	if d.Queue == nil {
		d.Queue = jobs.NewLocal(jobs.Options{Workers: d.Limits.SolveWorkers, QueueSize: d.Limits.SolveQueue, MaxJobs: d.Limits.MaxJobs})
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(requestContext(d.Logger, d.Metrics), recovery(), commonParams())
	if d.Auth != nil {
		d.Auth.Install(r)
	}
	r.NoRoute(func(c *gin.Context) {
		if d.Static != nil && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) && !hasPrefix(c.Request.URL.Path, "/v1/") {
			d.Static.ServeHTTP(c.Writer, c.Request)
			return
		}
		c.AbortWithStatusJSON(http.StatusNotFound, &Error{Code: "not_found", Message: "no such endpoint: " + c.Request.Method + " " + c.Request.URL.Path})
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, &Error{Code: "method_not_allowed", Message: c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	if d.RouteLists == nil {
		rl, ok := d.Store.(routelists.Store)
		if !ok {
			panic("api: Deps.RouteLists is nil and the store keeps no route lists")
		}
		d.RouteLists = rl
	}
	if d.RouteListFile != "" {
		importRouteListFile(context.Background(), d.RouteLists, d.RouteListFile, d.Now(), d.Logger)
	}
	h := &Handlers{Deps: d}
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", h.ready)
	if d.Metrics != nil {
		r.GET("/metrics", gin.WrapH(d.Metrics.Handler()))
	}
	v1 := r.Group("/v1")
	h.zoneRoutes(v1)
	h.placeRoutes(v1)
	v1.GET("/jobs/:id", h.getJob)
	v1.DELETE("/jobs/:id", h.cancelJob)
	h.routeListRoutes(v1)
	h.riderRoutes(v1)
	if d.Auth != nil {
		d.Auth.Routes(v1)
	}
	for _, f := range d.Extra {
		f(v1, h)
	}
	for _, f := range d.Root {
		f(r, h)
	}
	serveOpenAPI(r, d.Logger)
	return r
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func (h *Handlers) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		logFor(c).Warn("store is not reachable", "err", err)
		c.JSON(http.StatusServiceUnavailable, &Error{Code: "store_unreachable", Message: "the store is not reachable"})
		return
	}
	// A replica on PostGIS answers look-ups from its in-memory zone index,
	// kept current by a LISTEN connection: while that is down (reconnecting
	// with back-off) the index may be behind, so the replica is not ready.
	if l, ok := h.Store.(interface{ Listening() bool }); ok && !l.Listening() {
		c.JSON(http.StatusServiceUnavailable, &Error{Code: "zone_stream_down", Message: "the zone change stream is reconnecting: this replica's zone index may be behind", Details: map[string]any{}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// requestContext gives each request an id (X-Request-Id, taken from the
// client when it sends a sane one), a logger carrying it, and one log line at
// the end with method, path, status and duration.
func requestContext(log *slog.Logger, m *metrics.Registry) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		l := log.With("request_id", id)
		c.Set(ctxLogger, l)
		c.Header("X-Request-Id", id)
		c.Next()
		status := c.Writer.Status()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.ObserveHTTP(route, c.Request.Method, status, time.Since(start))
		lvl := slog.LevelInfo
		if status >= 500 {
			lvl = slog.LevelError
		} else if c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz" || c.Request.URL.Path == "/v1/lookup" {
			// Probes and the hot look-up would flood the log at thousands per second.
			lvl = slog.LevelDebug
		}
		l.Log(c.Request.Context(), lvl, "http request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "bytes", c.Writer.Size())
	}
}

func logFor(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				logFor(c).Error("panic in handler", "panic", r)
				c.AbortWithStatusJSON(http.StatusInternalServerError, &Error{Code: "internal", Message: "internal error",
					Details: map[string]any{"request_id": c.GetString(ctxRequestID)}})
			}
		}()
		c.Next()
	}
}
