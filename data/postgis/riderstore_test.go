package postgis

import (
	"testing"

	"lifeline/data/storetest"
	"lifeline/routing/shuttles"
)

func TestRidersConformance(t *testing.T) {
	storetest.RunRiders(t, func(t *testing.T) shuttles.RiderStore { return openTestStore(t) })
}

func TestShuttleDaysConformance(t *testing.T) {
	storetest.RunShuttleDays(t, func(t *testing.T) storetest.DayStore { return openTestStore(t) })
}
