package api

import (
	"lifeline/api/openapi"
	"lifeline/routing/deliveries"
)

// Medicine deliveries (deliveries.go): intake, cut-offs and the two legs,
// the fleet, the day's routes with progress, volunteers' hand-over lists
// and the reconciliation.
func init() {
	spec.Enum(deliveries.State(""), names(deliveries.States)...)
	spec.Enum(deliveries.Urgency(""), string(deliveries.UrgencyRoutine), string(deliveries.UrgencyToday), string(deliveries.UrgencyUrgent))
	spec.Enum(deliveries.Channel(""), string(deliveries.ChannelHotline), string(deliveries.ChannelForm), string(deliveries.ChannelFile), string(deliveries.ChannelOther))
	spec.Name(requestView{}, "DeliveryRequest", "a medicine request as the caller's role may see it (masked: true when personal data is masked)")
	spec.Name(requestInput{}, "DeliveryRequestInput", "a resident's request from the hotline desk or a form")
	spec.Name(deliveries.Batch{}, "DeliveryBatch", "the requests of one supply point for one pharmacy cut at one cut-off, with its route-list stops once planned")
	spec.Name(deliveries.Van{}, "DeliveryVan", "a delivery van: depot, boxes, litres, shift and driver account")
	spec.Name(CutResult{}, "DeliveryCut", "the batches of a cut and the two legs' routes (every plan checked by routing/vrp/check)")
	spec.Name(deliveries.Reconciliation{}, "DeliveryReconciliation", "every request of the day and where it is now; counts in and out balance")
	spec.Name(routeProgress{}, "DeliveryRouteProgress", "a route list of the day with the driver's progress")
	spec.Name(handoverBuilding{}, "HandoverBuilding", "one building of a volunteers' hand-over list")
	dateQ := openapi.Query("date", openapi.Str().Set("format", "date"), "the service day YYYY-MM-DD (default today, UTC+8)")
	oneRequest := []openapi.Response{{Status: 200, Content: openapi.JSON(requestView{})}}
	vans := openapi.JSON(openapi.Obj(map[string]openapi.Schema{"vans": openapi.Arr(openapi.Of(deliveries.Van{})), "default": openapi.Bool()}, "vans", "default"))
	describe(
		openapi.Op{Method: "POST", Path: "/v1/deliveries/requests", Tag: "deliveries", Summary: "take a resident's request (idempotent by its key)",
			Description: "The idempotency key comes in the Idempotency-Key header or the body. A retried POST creates nothing and answers the stored request " +
				"(header Idempotent-Replayed: true); the same key with another request is a 409. The same resident asking for the same item on the same day is " +
				"flagged duplicate_of. Unknown compounds, buildings outside their compound, unknown supply points and bad quantities are 422s.",
			Params: []openapi.Param{{Name: IdempotencyKeyHeader, In: "header", Schema: openapi.Str(), Description: "the request's idempotency key (or the body's idempotency_key)"}},
			Body:   &openapi.Body{Required: true, Content: openapi.JSON(requestInput{})},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(requestView{}),
				Headers: map[string]string{"Location": "/v1/deliveries/requests/{id}"}}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/requests", Tag: "deliveries", Summary: "the day's requests (masked for planners and viewers)",
			Params: []openapi.Param{dateQ, openapi.Query("state", openapi.Of(deliveries.State("")), "only this state"),
				openapi.Query("supply_point_id", openapi.Int().Set("minimum", 1), "only this supply point"),
				openapi.Query("batch_id", openapi.Int().Set("minimum", 1), "only this batch"),
				openapi.Query("limit", openapi.Int().Set("minimum", 0).Set("maximum", 100000), "at most this many (default 20,000)"),
				openapi.Query("offset", openapi.Int().Set("minimum", 0), "skip this many")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"date": openapi.Str(),
				"requests": openapi.Arr(openapi.Of(requestView{})), "count": openapi.Int(), "masked": openapi.Bool()}, "date", "requests", "count", "masked"))}}},
		openapi.Op{Method: "POST", Path: "/v1/deliveries/requests/import", Tag: "deliveries", Summary: "import a batch file of requests: all rows or nothing",
			Description: "CSV with a header row (comma, semicolon or tab): idempotency_key, compound_id, building, flat, name, phone, items (\"name x 2; name x 1\") " +
				"required; date, lon, lat, prescription, insurance_card, urgency, caller, channel, supply_point_id, pharmacy_id optional. Every bad row is " +
				"reported in details.errors and nothing is written unless all rows are good; rows whose key is stored already are not created again.",
			Params: []openapi.Param{openapi.Query("date", openapi.Str().Set("format", "date"), "the day of rows without one (default today)")},
			Body:   &openapi.Body{Required: true, Content: []openapi.Media{{Type: "text/csv", Schema: openapi.Str()}}},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"imported": openapi.Int(), "unchanged": openapi.Int(),
				"requests": openapi.Arr(openapi.Obj(map[string]openapi.Schema{"row": openapi.Int(), "id": openapi.Int(), "idempotency_key": openapi.Str(),
					"created": openapi.Bool(), "duplicate_of": openapi.Int()}, "row", "id", "idempotency_key", "created"))}, "imported", "unchanged", "requests"))}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/requests/:id", Tag: "deliveries", Summary: "one request with its history", Params: []openapi.Param{idParam},
			Responses: oneRequest},
		openapi.Op{Method: "POST", Path: "/v1/deliveries/requests/:id/state", Tag: "deliveries", Summary: "move a request by hand (delivered, failed with a reason)",
			Description: "received -> batched -> collected -> at_pharmacy -> on_the_way_back -> at_supply_point -> delivered, or failed with a reason from any " +
				"state before delivered. Going back, skipping a state or leaving a final state is a 409; batching happens only at a cut-off.",
			Params: []openapi.Param{idParam}, Body: &openapi.Body{Required: true, Content: openapi.JSON(moveInput{})}, Responses: oneRequest},
		openapi.Op{Method: "POST", Path: "/v1/deliveries/batches", Tag: "deliveries", Summary: "cut now: batch the day's received requests and plan both legs",
			Description: "Requests are grouped per supply point and pharmacy (urgent ones alone, to the building's door), batches larger than a van are split; " +
				"leg 1 collects lists and cards at supply points for the pharmacies, leg 2 brings the medicines back after the preparation time, on the road " +
				"network with the sealed zones closed. Each route becomes a driver's route list; drivers' stop reports move the requests.",
			Params:    []openapi.Param{timeLimitQ, seedQuery, asyncQuery},
			Body:      &openapi.Body{Content: openapi.JSON(cutInput{})},
			Responses: jobAnswers(CutResult{})},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/batches", Tag: "deliveries", Summary: "the day's batches", Params: []openapi.Param{dateQ},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"date": openapi.Str(),
				"batches": openapi.Arr(openapi.Of(deliveries.Batch{})), "count": openapi.Int()}, "date", "batches", "count"))}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/vans", Tag: "deliveries", Summary: "the delivery fleet (a default one until set)",
			Responses: []openapi.Response{{Status: 200, Content: vans}}},
		openapi.Op{Method: "PUT", Path: "/v1/deliveries/vans", Tag: "deliveries", Summary: "replace the delivery fleet",
			Body:      &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"vans": openapi.Arr(openapi.Of(deliveries.Van{}))}, "vans"))},
			Responses: []openapi.Response{{Status: 200, Content: vans}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/routes", Tag: "deliveries", Summary: "the day's route lists with each van's progress", Params: []openapi.Param{dateQ},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"date": openapi.Str(),
				"routes": openapi.Arr(openapi.Of(routeProgress{}))}, "date", "routes"))}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/supply-points/:id/handover", Tag: "deliveries",
			Summary: "a supply point's hand-over list for the volunteers: per building, flats, initials, what to hand over, cards to give back",
			Params:  []openapi.Param{idParam, dateQ},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"date": openapi.Str(),
				"supply_point_id": openapi.Int(), "supply_point": openapi.Str(), "buildings": openapi.Arr(openapi.Of(handoverBuilding{})), "ready": openapi.Int()},
				"date", "supply_point_id", "supply_point", "buildings", "ready"))}}},
		openapi.Op{Method: "GET", Path: "/v1/deliveries/reconciliation", Tag: "deliveries", Summary: "where every request of the day is now; counts in and out",
			Params: []openapi.Param{dateQ}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(deliveries.Reconciliation{})}}},
	)
}
