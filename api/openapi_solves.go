package api

import (
	"reflect"

	"lifeline/api/openapi"
	"lifeline/routing/siteplan"
	"lifeline/routing/vrp/vroom"
)

// Solves (optimize.go, sites.go, jobs.go): every solve goes through the one
// queue, synchronously or as a job.
func init() {
	in := reflect.TypeFor[vroom.InputDocument]()
	elem := func(t reflect.Type) reflect.Type {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		return t
	}
	field := func(t reflect.Type, name string) reflect.Type {
		f, ok := t.FieldByName(name)
		if !ok {
			panic("api: the VROOM input has no field " + name)
		}
		return elem(f.Type)
	}
	veh, prof := field(in, "Vehicles"), field(in, "Matrices")
	spec.Name(in, "VroomProblem", "VROOM's problem document with lifeline's extensions (routing/vrp/vroom): class, incompatible and "+
		"cleaning_time keep risk colours apart, max_ride_time per shipment, a vehicle's driver gets the route list. Locations as [lon, lat] "+
		"get their matrices from the road engine, or send matrices with *_index locations.")
	spec.Name(field(in, "Jobs"), "VroomTask", "")
	spec.Name(field(in, "Shipments"), "VroomShipment", "")
	spec.Name(veh, "VroomVehicle", "")
	spec.Name(field(veh, "Costs"), "VroomCosts", "")
	spec.Name(prof, "VroomMatrices", "")
	spec.Type(field(prof, "Durations"), openapi.Arr(openapi.Arr(openapi.Nullable(openapi.Num().Set("minimum", 0)))).Desc("a square matrix; null = unreachable"))
	spec.Extend(veh, map[string]openapi.Schema{"driver": openapi.Str().Desc("username of the driver account that gets this vehicle's route list")})
	spec.Name(vroom.Output{}, "VroomSolution", "VROOM's solution document; each route carries route_list, its driver's code")
	spec.Name(sitesRequest{}, "SitePlanRequest", "")
	spec.Name(siteplan.Result{}, "SitePlan", "")
	spec.Name(jobView{}, "Job", "a solve in the queue: queued, running, done, failed or cancelled; progress while it runs, the result once done")
	jobID := openapi.PathParam("id", openapi.Str(), "the job's id")
	describe(
		openapi.Op{Method: "POST", Path: "/v1/optimize", Tag: "solves", Summary: "plan vans: VROOM's problem in, VROOM's solution out",
			Description: "Jobs and shipments whose location is farther than snap_radius from a road come back in unassigned with the reason.",
			Params: []openapi.Param{timeLimitQ, seedQuery, snapQuery, asyncQuery,
				openapi.Query("iterations", openapi.Int().Set("minimum", 1), "stop after this many ruin-and-recreate iterations of one search (the same document, seed and iterations give the same plan); time_limit then defaults to its maximum")},
			Body:      &openapi.Body{Required: true, Content: openapi.JSON(in)},
			Responses: jobAnswers(vroom.Output{})},
		openapi.Op{Method: "POST", Path: "/v1/sites/plan", Tag: "solves", Summary: "site sampling points: p-median, capacitated, max-cover or set-cover",
			Description: "Sealed compounds become door-to-door work, controlled ones get their own site, the rest share `sites` sites. Without demand the store's compounds are the demand; without candidates its candidate_site facilities.",
			Params:      []openapi.Param{asyncQuery},
			Body:        &openapi.Body{Required: true, Content: openapi.JSON(sitesRequest{})},
			Responses:   jobAnswers(siteplan.Result{})},
		openapi.Op{Method: "GET", Path: "/v1/jobs/:id", Tag: "solves", Summary: "a job's state, progress and result (the account that started it, and admins)",
			Params: []openapi.Param{jobID}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(jobView{})}}},
		openapi.Op{Method: "DELETE", Path: "/v1/jobs/:id", Tag: "solves", Summary: "cancel a job (its solve stops within a second)",
			Params: []openapi.Param{jobID}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(jobView{})}}},
	)
}
