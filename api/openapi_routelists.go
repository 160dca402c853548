package api

import (
	"lifeline/api/openapi"
)

// Drivers' route lists (routelists.go, routelists_auth.go): a driver sees
// only the lists assigned to their account; a share link carries a token.
func init() {
	spec.Name(RouteList{}, "RouteList", "a van's stops in order for its driver (times in seconds on the problem's clock)")
	code := openapi.PathParam("id", openapi.Str().Set("pattern", `^[0-9]{10}$`), "the list's 10-digit code")
	oneList := []openapi.Response{{Status: 200, Content: openapi.JSON(RouteList{})}}
	describe(
		openapi.Op{Method: "GET", Path: "/v1/route-lists", Tag: "route lists", Summary: "the lists the caller may read (a driver: their own)",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"route_lists": openapi.Arr(openapi.Of(RouteList{}))}, "route_lists"))}}},
		openapi.Op{Method: "GET", Path: "/v1/route-lists/:id", Tag: "route lists", Summary: "one list by its code",
			Description: "Failed look-ups are rate-limited per client address (429 with Retry-After).",
			Params:      []openapi.Param{code}, Responses: oneList},
		openapi.Op{Method: "GET", Path: "/v1/route-lists/shared", Tag: "route lists", Summary: "a list by its share-link token (no account)",
			Description: "The link /driver.html#share=TOKEN keeps the token in the fragment; the page sends it in X-Share-Token. Failed look-ups are rate-limited per client address.",
			Params:      []openapi.Param{{Name: ShareTokenHeader, In: "header", Required: true, Schema: openapi.Str().Set("maxLength", 100), Description: "the share link's token"}},
			Responses:   oneList},
		openapi.Op{Method: "POST", Path: "/v1/route-lists/:id/share", Tag: "route lists", Summary: "a share link for a driver without an account (expires with the list)",
			Params: []openapi.Param{code},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"id": openapi.Str(), "token": openapi.Str().Desc("shown once"), "url": openapi.Str(), "expires_at": openapi.DateTime()},
				"id", "token", "url", "expires_at"))}}},
		openapi.Op{Method: "PUT", Path: "/v1/route-lists/:id/stops/:seq/status", Tag: "route lists", Summary: "the driver's report on a stop",
			Params: []openapi.Param{code, openapi.PathParam("seq", openapi.Int().Set("minimum", 1), "the stop's number (1, 2, ...)")},
			Body: &openapi.Body{Required: true, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"status": openapi.Enum("done", "failed", "pending")}, "status"))},
			Responses: oneList},
	)
}
