package postgis

import (
	"testing"

	"lifeline/data/storetest"
	"lifeline/routelists"
)

// TestRouteListsConformance runs the route-list suite shared with
// data/memstore.
func TestRouteListsConformance(t *testing.T) {
	storetest.RunRouteLists(t, func(t *testing.T) routelists.Store { return openTestStore(t) })
}
