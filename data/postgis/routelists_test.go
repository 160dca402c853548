package postgis

import (
	"testing"

	"lifeline/data/storetest"
	"lifeline/jobs"
	"lifeline/routelists"
)

// TestRouteListsConformance runs the route-list suite shared with
// data/memstore.
func TestRouteListsConformance(t *testing.T) {
	storetest.RunRouteLists(t, func(t *testing.T) routelists.Store { return openTestStore(t) })
}

// TestJobsConformance runs the job-record suite shared with data/memstore.
func TestJobsConformance(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) jobs.Store { return openTestStore(t) })
}
