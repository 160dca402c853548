package api

import (
	"lifeline/api/openapi"
	"lifeline/routing/shuttles"
)

// Shuttle riders (riders.go) and the day's shuttle plan (shuttles.go).
// Planners and viewers get riders masked (names, phones, boarding point
// rounded to about 100 m); drivers none.
func init() {
	spec.Enum(shuttles.Category(""), names(shuttles.Categories)...)
	spec.Enum(shuttles.BoardingKind(""), string(shuttles.BoardingGate), string(shuttles.BoardingBuilding))
	spec.Name(riderView{}, "Rider", "a rider as the caller's role may see it (masked: true when personal data is masked)")
	spec.Name(riderInput{}, "RiderInput", "a rider without id, archive state and times")
	spec.Name(planInput{}, "ShuttlePlanRequest", "the day to plan and the fleet: vans, or van_count vans at the default depot")
	spec.Name(shuttles.PlanResult{}, "ShuttlePlan", "a timetable per van, checked by routing/vrp/check")
	spec.Name(timetableView{}, "ShuttleTimetable", "a published version of a day's timetable (masked: true when the riders' places are masked)")
	spec.Name(changeInput{}, "ShuttleChanges", "changes during the day: cancel_trip, cancel_rider, add_trip, colour, van_out, from at (HH:MM)")
	spec.Name(urgentInput{}, "ShuttleUrgentCall", "an urgent pick-up now (labour, or other for an emergency)")
	spec.Name(appointmentInput{}, "AppointmentInput", "a rider's one-off appointment or labour call")
	dateP := openapi.PathParam("date", openapi.Str().Set("format", "date"), "the day, YYYY-MM-DD")
	outputs := []openapi.Param{dateP, openapi.Query("format", openapi.Str().Set("enum", []string{"json", "csv", "ics", "html"}), "json (default), csv, ics (iCalendar), html (printable)"),
		openapi.Query("van", openapi.Int().Set("minimum", 1), "one van (ics, html: the driver's list)"),
		openapi.Query("rider", openapi.Int().Set("minimum", 1), "html: the rider's pick-up notice"),
		openapi.Query("facility", openapi.Int().Set("minimum", 1), "html: the facility's arrivals and departures")}
	ttAnswer := []openapi.Response{{Status: 200, Content: append(openapi.JSON(timetableView{}), openapi.Media{Type: "text/csv", Schema: openapi.Str()},
		openapi.Media{Type: "text/calendar", Schema: openapi.Str()}, openapi.Media{Type: "text/html", Schema: openapi.Str()})}}
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
			Responses:   jobAnswers(timetableView{})},
		openapi.Op{Method: "GET", Path: "/v1/shuttles/timetables/:date", Tag: "shuttles", Summary: "the latest published version of a day's timetable",
			Params: outputs, Responses: ttAnswer},
		openapi.Op{Method: "GET", Path: "/v1/shuttles/timetables/:date/versions", Tag: "shuttles", Summary: "the versions of a day's timetable, oldest first",
			Params: []openapi.Param{dateP}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"date": openapi.Str(), "versions": openapi.Arr(openapi.Of(shuttles.TimetableVersion{}))}, "date", "versions"))}}},
		openapi.Op{Method: "GET", Path: "/v1/shuttles/timetables/:date/versions/:n", Tag: "shuttles", Summary: "one version of a day's timetable, as published",
			Params: append(outputs, openapi.PathParam("n", openapi.Int().Set("minimum", 1), "the version")), Responses: ttAnswer},
		openapi.Op{Method: "POST", Path: "/v1/shuttles/timetables/:date/changes", Tag: "shuttles", Summary: "re-plan the rest of the day with changes",
			Description: "Stops before at stay, riders on board stay on board, published pick-up times move at most the policy's tolerance where possible; the answer is the new version with the riders and drivers to tell.",
			Params:      []openapi.Param{dateP, timeLimitQ, asyncQuery}, Body: &openapi.Body{Required: true, Content: openapi.JSON(changeInput{})},
			Responses: jobAnswers(timetableView{})},
		openapi.Op{Method: "POST", Path: "/v1/shuttles/urgent", Tag: "shuttles", Summary: "insert an urgent pick-up into the running timetable",
			Description: "The cheapest exact insertion over the running vans (others' published pick-ups kept within the tolerance, never earlier), else a standby van; a new version.",
			Body:        &openapi.Body{Required: true, Content: openapi.JSON(urgentInput{})},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"answer": openapi.Of(shuttles.UrgentAnswer{}), "route_list": openapi.Str(), "driver_phone": openapi.Str(), "version": openapi.Int(),
				"changes": openapi.Of(shuttles.ChangeReport{})}, "answer", "version"))}}},
		openapi.Op{Method: "GET", Path: "/v1/shuttles/appointments", Tag: "shuttles", Summary: "riders' appointments",
			Params: []openapi.Param{openapi.Query("date", openapi.Str().Set("format", "date"), "only this day"),
				openapi.Query("rider_id", openapi.Int().Set("minimum", 1), "only this rider"), openapi.Query("cancelled", openapi.Bool(), "true also lists cancelled ones")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"appointments": openapi.Arr(openapi.Of(shuttles.Appointment{}))}, "appointments"))}}},
		openapi.Op{Method: "POST", Path: "/v1/shuttles/appointments", Tag: "shuttles", Summary: "add a prenatal check-up, chemotherapy, other appointment or labour call",
			Body: &openapi.Body{Required: true, Content: openapi.JSON(appointmentInput{})}, Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(shuttles.Appointment{})}}},
		openapi.Op{Method: "DELETE", Path: "/v1/shuttles/appointments/:id", Tag: "shuttles", Summary: "cancel an appointment (kept for the record)",
			Params: []openapi.Param{idParam}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(shuttles.Appointment{})}}},
	)
}
