// Package metrics holds the service's Prometheus collectors in one registry
// (github.com/prometheus/client_golang), so that every part reports through
// the same names and /metrics serves them all:
//
//	lifeline_http_requests_total{route,method,code}       counter
//	lifeline_http_request_duration_seconds{route,method}  histogram
//	lifeline_solves_total{kind,state}                     counter (done, failed, cancelled, rejected)
//	lifeline_solve_duration_seconds{kind}                 histogram
//	lifeline_solve_queue_depth / lifeline_solves_running  gauges
//	lifeline_store_write_duration_seconds{op}             histogram
//	lifeline_road_swaps_total{result}                     counter (ok, failed)
//	lifeline_road_swap_duration_seconds                   histogram
//
// plus the Go runtime and process collectors. Routes are gin's patterns
// (/v1/zones/:id), never raw paths, so the label set stays bounded.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is one set of collectors. The zero value is not usable; use New.
type Registry struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	solves       *prometheus.CounterVec
	solveTime    *prometheus.HistogramVec
	queueDepth   prometheus.Gauge
	running      prometheus.Gauge
	storeWrite   *prometheus.HistogramVec
	roadSwaps    *prometheus.CounterVec
	roadSwapTime prometheus.Histogram
}

// New returns a registry with every collector registered.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lifeline_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifeline_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route", "method"})
	r.solves = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lifeline_solves_total", Help: "Solves (optimise, site plans) by kind and final state; rejected = queue full.",
	}, []string{"kind", "state"})
	r.solveTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifeline_solve_duration_seconds", Help: "Wall time of finished solves by kind.",
		Buckets: []float64{.01, .05, .1, .5, 1, 2, 5, 10, 30, 60, 120, 300},
	}, []string{"kind"})
	r.queueDepth = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lifeline_solve_queue_depth", Help: "Solves waiting for a worker.",
	})
	r.running = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lifeline_solves_running", Help: "Solves running now.",
	})
	r.storeWrite = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifeline_store_write_duration_seconds", Help: "Store write latency (acknowledged) by operation.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op"})
	r.roadSwaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lifeline_road_swaps_total", Help: "Rebuilds of the road engine's sealed-zone closures, by result.",
	}, []string{"result"})
	r.roadSwapTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "lifeline_road_swap_duration_seconds", Help: "Time from a zone change to the rebuilt closures being served.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30},
	})
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.solves, r.solveTime, r.queueDepth, r.running,
		r.storeWrite, r.roadSwaps, r.roadSwapTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// ObserveHTTP records one request (route is gin's pattern, "" for no route).
// A nil Registry records nothing.
func (r *Registry) ObserveHTTP(route, method string, code int, d time.Duration) {
	if r == nil {
		return
	}
	r.httpRequests.WithLabelValues(route, method, codeText(code)).Inc()
	r.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

func codeText(c int) string {
	if c >= 100 && c < 600 {
		return string([]byte{byte('0' + c/100), byte('0' + c/10%10), byte('0' + c%10)})
	}
	return "other"
}

// SolveQueued, SolveStarted and SolveEnded follow one solve through the
// queue; state is done, failed or cancelled. SolveRejected counts a solve
// refused because the queue was full.
func (r *Registry) SolveQueued() {
	if r != nil {
		r.queueDepth.Inc()
	}
}

func (r *Registry) SolveStarted() {
	if r != nil {
		r.queueDepth.Dec()
		r.running.Inc()
	}
}

func (r *Registry) SolveEnded(kind, state string, d time.Duration) {
	if r == nil {
		return
	}
	r.running.Dec()
	r.solves.WithLabelValues(kind, state).Inc()
	if state == "done" {
		r.solveTime.WithLabelValues(kind).Observe(d.Seconds())
	}
}

func (r *Registry) SolveRejected(kind string) {
	if r != nil {
		r.solves.WithLabelValues(kind, "rejected").Inc()
	}
}

// StoreWrite records one acknowledged store write.
func (r *Registry) StoreWrite(op string, d time.Duration) {
	if r != nil {
		r.storeWrite.WithLabelValues(op).Observe(d.Seconds())
	}
}

// RoadSwap records one rebuild of the road engine's closures.
func (r *Registry) RoadSwap(ok bool, d time.Duration) {
	if r == nil {
		return
	}
	if !ok {
		r.roadSwaps.WithLabelValues("failed").Inc()
		return
	}
	r.roadSwaps.WithLabelValues("ok").Inc()
	r.roadSwapTime.Observe(d.Seconds())
}
