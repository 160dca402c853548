package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"lifeline/jobs"
)

type fakeQueue struct {
	calls atomic.Int32
}

func (q *fakeQueue) Stats() (int, int, int) { q.calls.Add(1); return 2, 5, 40 }
func (q *fakeQueue) Counts() jobs.Counts {
	return jobs.Counts{Rescued: 3, GivenUp: 1, Returned: 7}
}

// TestWatchQueue: the queue's gauges and counters are in /metrics, from
// one Stats call per scrape (River's is a query).
func TestWatchQueue(t *testing.T) {
	r := New()
	q := &fakeQueue{}
	r.WatchQueue(q)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		"lifeline_solves_running 2", "lifeline_solve_queue_depth 5", "lifeline_solve_jobs_kept 40",
		"lifeline_solve_jobs_rescued_total 3", "lifeline_solve_jobs_interrupted_total 1", "lifeline_solve_jobs_returned_total 7",
		"# TYPE lifeline_solve_jobs_rescued_total counter", "# TYPE lifeline_solves_running gauge",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := q.calls.Load(); n != 1 {
		t.Errorf("Stats called %d times for one scrape", n)
	}
}
