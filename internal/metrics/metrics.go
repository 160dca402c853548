// Package metrics holds the service's Prometheus collectors in one registry
// (github.com/prometheus/client_golang), so that every part reports through
// the same names and /metrics serves them all:
//
//	lifeline_http_requests_total{route,method,code}       counter
//	lifeline_http_request_duration_seconds{route,method}  histogram
//	lifeline_solve_queue_depth / lifeline_solves_running  gauges (WatchQueue)
//	lifeline_solve_jobs_kept                              gauge
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
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.storeWrite, r.roadSwaps, r.roadSwapTime,
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

// WatchQueue exports the solve queue's figures as gauges read at scrape
// time: stats returns the solves running, the solves waiting and the jobs
// kept in the job table.
func (r *Registry) WatchQueue(stats func() (running, waiting, kept int)) {
	if r == nil {
		return
	}
	g := func(name, help string, pick func(a, b, c int) int) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			a, b, c := stats()
			return float64(pick(a, b, c))
		})
	}
	r.reg.MustRegister(
		g("lifeline_solves_running", "Solves running now.", func(a, _, _ int) int { return a }),
		g("lifeline_solve_queue_depth", "Solves waiting for a worker.", func(_, b, _ int) int { return b }),
		g("lifeline_solve_jobs_kept", "Jobs in the job table (live and recently ended).", func(_, _, c int) int { return c }),
	)
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
