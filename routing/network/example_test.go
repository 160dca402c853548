package network_test

import (
	"bytes"
	"context"
	"fmt"

	"lifeline/data/demo"
	"lifeline/routing/network"
	"lifeline/routing/osm"
)

// Example builds the demo district's street network from its OSM XML,
// routes between two of its facilities and seals the zones in force.
func Example() {
	d := demo.Default()
	ctx := context.Background()
	n, err := network.Build(ctx, bytes.NewReader(d.StreetsOSM), osm.Car, network.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	a, b := d.Facilities[0].Point, d.Facilities[1].Point
	r, err := n.Route(ctx, a, b, network.RouteOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Time > 0, r.Distance > 0, len(r.Geometry) >= 2)

	v := n.SetSealedZones(network.Sealed(d.Zones, demo.SecondSealFrom))
	if err := n.WaitVersion(ctx, v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Version())
	// Output:
	// true true true
	// 1
}
