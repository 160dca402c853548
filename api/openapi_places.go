package api

import (
	"lifeline/api/openapi"
	"lifeline/zones"
)

// Compounds and facilities (places.go).
func init() {
	spec.Enum(zones.FacilityKind(""), "hospital", "pharmacy", "health_centre", "supply_point", "depot", "candidate_site")
	spec.Enum(zones.HealthCode(""), "red", "orange", "yellow", "green")
	spec.Name(compoundView{}, "Compound", "a residential compound: population, gates and (unless geometry=false) its outline")
	spec.Name(zones.Facility{}, "Facility", "a hospital, pharmacy, health centre, supply point, depot or candidate site")
	kind := openapi.Query("kind", openapi.Of(zones.FacilityKind("")), "only this kind")
	describe(
		openapi.Op{Method: "GET", Path: "/v1/compounds", Tag: "places", Summary: "list compounds",
			Params: []openapi.Param{bboxQuery, geojsonQuery, openapi.Query("geometry", openapi.Bool(), "false leaves the outlines out")},
			Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(openapi.Obj(map[string]openapi.Schema{
				"compounds": openapi.Arr(openapi.Of(compoundView{})), "count": openapi.Int()}, "compounds", "count"), zones.FeatureCollection{})}}},
		openapi.Op{Method: "POST", Path: "/v1/compounds", Tag: "places", Summary: "add a compound",
			Body:      &openapi.Body{Required: true, Content: openapi.JSON(compoundInput{})},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(compoundView{}), Headers: map[string]string{"Location": "/v1/compounds/{id}"}}}},
		openapi.Op{Method: "GET", Path: "/v1/compounds/:id", Tag: "places", Summary: "one compound",
			Params: []openapi.Param{idParam, geojsonQuery}, Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(compoundView{}, zones.Feature{})}}},
		openapi.Op{Method: "GET", Path: "/v1/facilities", Tag: "places", Summary: "list facilities",
			Params: []openapi.Param{kind, bboxQuery, geojsonQuery},
			Responses: []openapi.Response{{Status: 200, Content: jsonOrGeoJSON(openapi.Obj(map[string]openapi.Schema{
				"facilities": openapi.Nullable(openapi.Arr(openapi.Of(zones.Facility{}))), "count": openapi.Int()}, "facilities", "count"), zones.FeatureCollection{})}}},
		openapi.Op{Method: "POST", Path: "/v1/facilities", Tag: "places", Summary: "add a facility",
			Body:      &openapi.Body{Required: true, Content: openapi.JSON(zones.Facility{})},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(zones.Facility{}), Headers: map[string]string{"Location": "/v1/facilities/{id}"}}}},
		openapi.Op{Method: "GET", Path: "/v1/facilities/:id", Tag: "places", Summary: "one facility",
			Params: []openapi.Param{idParam}, Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(zones.Facility{})}}},
	)
}
