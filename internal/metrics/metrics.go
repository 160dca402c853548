// Package metrics holds the service's Prometheus collectors in one registry
// (github.com/prometheus/client_golang), so that every part reports through
// the same names and /metrics serves them all:
//
//	lifeline_http_requests_total{route,method,code}       counter
//	lifeline_http_request_duration_seconds{route,method}  histogram
//	lifeline_solve_queue_depth / lifeline_solves_running  gauges (WatchQueue)
//	lifeline_solve_jobs_kept                              gauge
//	lifeline_solve_jobs_rescued_total                     counter: interrupted jobs queued again
//	lifeline_solve_jobs_interrupted_total                 counter: jobs failed after their runs were cut
//	lifeline_solve_jobs_returned_total                    counter: running jobs given back at shutdown
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

	"lifeline/jobs"
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

// Queue is what WatchQueue reads at each scrape (jobs.Queue has both).
type Queue interface {
	// Stats: the solves running and waiting (across the cluster on
	// River) and the jobs kept.
	Stats() (running, waiting, kept int)
	// Counts: this process's recoveries of interrupted jobs.
	Counts() jobs.Counts
}

// WatchQueue exports the solve queue's figures, read once per scrape (on
// River, Stats is one query).
func (r *Registry) WatchQueue(q Queue) {
	if r == nil {
		return
	}
	r.reg.MustRegister(&queueCollector{q: q})
}

var (
	descRunning  = prometheus.NewDesc("lifeline_solves_running", "Solves running now (across the replicas on River).", nil, nil)
	descDepth    = prometheus.NewDesc("lifeline_solve_queue_depth", "Solves waiting for a worker (across the replicas on River).", nil, nil)
	descKept     = prometheus.NewDesc("lifeline_solve_jobs_kept", "Jobs in the job table (live and recently ended).", nil, nil)
	descRescued  = prometheus.NewDesc("lifeline_solve_jobs_rescued_total", "Interrupted jobs (their replica stopped or stopped answering) this process queued again.", nil, nil)
	descGivenUp  = prometheus.NewDesc("lifeline_solve_jobs_interrupted_total", "Jobs this process failed as interrupted after their replicas stopped during each of their runs.", nil, nil)
	descReturned = prometheus.NewDesc("lifeline_solve_jobs_returned_total", "Running jobs this process stopped at shutdown and gave back to the queue.", nil, nil)
)

type queueCollector struct{ q Queue }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRunning, descDepth, descKept, descRescued, descGivenUp, descReturned} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	running, waiting, kept := c.q.Stats()
	n := c.q.Counts()
	ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(running))
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(descKept, prometheus.GaugeValue, float64(kept))
	ch <- prometheus.MustNewConstMetric(descRescued, prometheus.CounterValue, float64(n.Rescued))
	ch <- prometheus.MustNewConstMetric(descGivenUp, prometheus.CounterValue, float64(n.GivenUp))
	ch <- prometheus.MustNewConstMetric(descReturned, prometheus.CounterValue, float64(n.Returned))
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
