package api

import (
	"lifeline/api/openapi"
	"lifeline/routing/shuttles"
)

// Shuttle riders (riders.go) and the day's shuttle plan (shuttles.go).
// Planners and viewers get riders masked (names, phones, boarding point
// rounded to about 100 m); drivers none.
func init() {
	cats := make([]string, len(shuttles.Categories))
	for i, c := range shuttles.Categories {
		cats[i] = string(c)
	}
	spec.Enum(shuttles.Category(""), cats...)
	spec.Enum(shuttles.BoardingKind(""), string(shuttles.BoardingGate), string(shuttles.BoardingBuilding))
	spec.Name(riderView{}, "Rider", "a rider as the caller's role may see it (masked: true when personal data is masked)")
	spec.Name(riderInput{}, "RiderInput", "a rider without id, archive state and times")
	spec.Name(planInput{}, "ShuttlePlanRequest", "the day to plan and the fleet: vans, or van_count vans at the default depot")
	spec.Name(shuttles.PlanResult{}, "ShuttlePlan", "a timetable per van, checked by routing/vrp/check")
	riderBody := &openapi.Body{Required: true, Content: openapi.JSON(riderInput{})}
	oneRider := []openapi.Response{{Status: 200, Content: openapi.JSON(riderView{})}}
	describe(
		openapi.Op{Method: "GET", Path: "/v1/riders", Tag: "shuttles", Summary: "the riders' registry (masked for planners and viewers)",
			Params: []openapi.Param{openapi.Query("category", openapi.Of(shuttles.Category("")), "only this category"),
				openapi.Query("compound_id", openapi.Int().Set("minimum", 1), "only riders of this compound"),
				openapi.Query("facility_id", openapi.Int().Set("minimum", 1), "only riders of this hospital or centre"),
				openapi.Query("archived", openapi.Bool(), "true also lists archived riders"),
				openapi.Query("limit", openapi.Int().Set("minimum", 0).Set("maximum", 10000), "at most this many (default 1,000)"),
				openapi.Query("offset", openapi.Int().Set("minimum", 0), "skip this many"),
				openapi.Query("q", openapi.Str().Set("maxLength", 100), "search names, phones and pseudonyms (dispatchers and admins only)")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"riders": openapi.Arr(openapi.Of(riderView{})), "count": openapi.Int(), "masked": openapi.Bool()}, "riders", "count", "masked"))}}},
		openapi.Op{Method: "POST", Path: "/v1/riders", Tag: "shuttles", Summary: "register a rider", Body: riderBody,
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(riderView{}), Headers: map[string]string{"Location": "/v1/riders/{id}"}}}},
		openapi.Op{Method: "POST", Path: "/v1/riders/import", Tag: "shuttles", Summary: "import a hospital's spreadsheet: all rows or nothing",
			Description: "CSV with a header row (comma, semicolon or tab). Every bad row is reported with its row and column in details.errors, and nothing is written unless all rows are good.",
			Body:        &openapi.Body{Required: true, Content: []openapi.Media{{Type: "text/csv", Schema: openapi.Str()}}},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"imported": openapi.Int(), "riders": openapi.Arr(openapi.Of(riderImported{}))}, "imported", "riders"))}}},
		openapi.Op{Method: "GET", Path: "/v1/riders/:id", Tag: "shuttles", Summary: "one rider", Params: []openapi.Param{idParam}, Responses: oneRider},
		openapi.Op{Method: "PUT", Path: "/v1/riders/:id", Tag: "shuttles", Summary: "replace a rider's details", Params: []openapi.Param{idParam},
			Body: riderBody, Responses: oneRider},
		openapi.Op{Method: "DELETE", Path: "/v1/riders/:id", Tag: "shuttles", Summary: "archive a rider (kept for the record, no longer planned)",
			Params: []openapi.Param{idParam}, Responses: oneRider},
		openapi.Op{Method: "GET", Path: "/v1/riders/:id/destination", Tag: "shuttles", Summary: "which facility takes the rider that day, or why none may",
			Params: []openapi.Param{idParam, openapi.Query("date", openapi.Str().Set("format", "date"), "YYYY-MM-DD (default today, UTC+8)"),
				openapi.Query("facility_id", openapi.Int().Set("minimum", 1), "ask whether this facility may take the rider")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"rider_id": openapi.Int(), "pseudonym": openapi.Str(), "date": openapi.Str(), "facility_id": openapi.Int(),
				"facility_name": openapi.Str(), "ok": openapi.Bool(), "refusal": openapi.Of(shuttles.Refusal{})}, "rider_id", "pseudonym", "date", "ok"))}}},
		openapi.Op{Method: "POST", Path: "/v1/shuttles/plan", Tag: "shuttles", Summary: "plan the day's dialysis sessions",
			Description: "Arrive 40 to 5 min before, leave within 30 min after; ride time at most max(30 min, 1.5 x direct + 10 min); colours never share a van.",
			Params:      []openapi.Param{timeLimitQ, seedQuery, asyncQuery},
			Body:        &openapi.Body{Required: true, Content: openapi.JSON(planInput{})},
			Responses:   jobAnswers(shuttles.PlanResult{})},
	)
}
