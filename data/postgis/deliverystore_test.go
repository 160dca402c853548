package postgis

import (
	"testing"

	"lifeline/data/storetest"
	"lifeline/routing/deliveries"
)

func TestDeliveriesConformance(t *testing.T) {
	storetest.RunDeliveries(t, func(t *testing.T) deliveries.Store { return openTestStore(t) })
}
