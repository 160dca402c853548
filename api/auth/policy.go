package auth

import (
	"lifeline/accounts"
)

// Rule is one row of the authorisation table: who may call Method Path
// (gin's route pattern). Admin may call every route in the table.
type Rule struct {
	Method, Path string
	// Roles besides admin that may call the route.
	Roles []accounts.Role
	// Public routes need no account (sign-in, a driver's share link).
	Public bool
	// Entity names what a write changes, for the audit trail ("zone",
	// "account", ...). Every POST/PUT/PATCH/DELETE route must have one,
	// unless Query says it changes nothing.
	Entity string
	// Query marks a POST that only computes an answer (batch look-ups,
	// routes, matrices): it is not audited.
	Query bool
	// Expensive routes are rate-limited per account and per client address.
	Expensive bool
	// Personal marks a request body that carries patients' personal data:
	// the audit trail keeps its size, hash and field names only.
	Personal bool
}

var (
	mapRoles      = []accounts.Role{accounts.RoleViewer, accounts.RolePlanner, accounts.RoleDispatcher}
	planner       = []accounts.Role{accounts.RolePlanner}
	dispatcher    = []accounts.Role{accounts.RoleDispatcher}
	plannerOrDisp = []accounts.Role{accounts.RolePlanner, accounts.RoleDispatcher}
	driverOrDisp  = []accounts.Role{accounts.RoleDriver, accounts.RoleDispatcher}
	everyone      = []accounts.Role{accounts.RolePlanner, accounts.RoleDispatcher, accounts.RoleDriver, accounts.RoleViewer}
	adminOnly     = []accounts.Role{}
)

// Table is THE authorisation table of the /v1 API. A route that is not here
// is refused (403 no_policy) and fails TestEveryRouteIsInTheTable.
//
//	role        may
//	admin       everything, and accounts + audit trail
//	planner     zones, compounds, facilities, site plans, the map and roads
//	dispatcher  optimisation, route lists, matrices, the map and roads (and patient data)
//	driver      their own route lists (and status updates), nothing else
//	viewer      the map and roads, no personal data
//	            (planners and viewers list shuttle riders masked)
var Table = []Rule{
	// sign-in
	{Method: "POST", Path: "/v1/auth/login", Public: true, Entity: "session"},
	{Method: "POST", Path: "/v1/auth/logout", Roles: everyone, Entity: "session"},
	{Method: "GET", Path: "/v1/auth/me", Roles: everyone},

	// accounts and audit trail (admin)
	{Method: "GET", Path: "/v1/accounts", Roles: adminOnly},
	{Method: "POST", Path: "/v1/accounts", Roles: adminOnly, Entity: "account"},
	{Method: "PUT", Path: "/v1/accounts/:id", Roles: adminOnly, Entity: "account"},
	{Method: "DELETE", Path: "/v1/accounts/:id", Roles: adminOnly, Entity: "account"},
	{Method: "GET", Path: "/v1/accounts/:id/tokens", Roles: adminOnly},
	{Method: "POST", Path: "/v1/accounts/:id/tokens", Roles: adminOnly, Entity: "token"},
	{Method: "DELETE", Path: "/v1/accounts/:id/tokens/:token", Roles: adminOnly, Entity: "token"},
	{Method: "POST", Path: "/v1/accounts/:id/link", Roles: adminOnly, Entity: "link"},
	{Method: "GET", Path: "/v1/audit", Roles: adminOnly},

	// zones
	{Method: "GET", Path: "/v1/zones", Roles: mapRoles},
	{Method: "POST", Path: "/v1/zones", Roles: planner, Entity: "zone"},
	{Method: "POST", Path: "/v1/zones/import", Roles: planner, Entity: "zone"},
	{Method: "GET", Path: "/v1/zones/export", Roles: mapRoles},
	{Method: "GET", Path: "/v1/zones/:id", Roles: mapRoles},
	{Method: "PUT", Path: "/v1/zones/:id", Roles: planner, Entity: "zone"},
	{Method: "POST", Path: "/v1/zones/:id/lift", Roles: planner, Entity: "zone"},
	{Method: "GET", Path: "/v1/zones/:id/population", Roles: mapRoles},
	{Method: "GET", Path: "/v1/zones/:id/history", Roles: mapRoles},
	{Method: "GET", Path: "/v1/lookup", Roles: mapRoles},
	{Method: "POST", Path: "/v1/lookup", Roles: mapRoles, Query: true},

	// places
	{Method: "GET", Path: "/v1/compounds", Roles: mapRoles},
	{Method: "POST", Path: "/v1/compounds", Roles: planner, Entity: "compound"},
	{Method: "GET", Path: "/v1/compounds/:id", Roles: mapRoles},
	{Method: "GET", Path: "/v1/facilities", Roles: mapRoles},
	{Method: "POST", Path: "/v1/facilities", Roles: planner, Entity: "facility"},
	{Method: "GET", Path: "/v1/facilities/:id", Roles: mapRoles},

	// roads
	{Method: "GET", Path: "/v1/route", Roles: mapRoles},
	{Method: "POST", Path: "/v1/route", Roles: mapRoles, Query: true},
	{Method: "POST", Path: "/v1/matrix", Roles: plannerOrDisp, Query: true, Expensive: true},
	{Method: "GET", Path: "/v1/isochrone", Roles: plannerOrDisp, Expensive: true},
	{Method: "GET", Path: "/v1/nearest", Roles: mapRoles},
	{Method: "POST", Path: "/v1/nearest", Roles: mapRoles, Query: true},
	{Method: "GET", Path: "/v1/snap", Roles: mapRoles},
	{Method: "GET", Path: "/v1/streets", Roles: mapRoles},

	// solves and their jobs (a job is visible to the account that started it and admins)
	{Method: "POST", Path: "/v1/optimize", Roles: dispatcher, Entity: "optimization", Expensive: true, Personal: true},
	{Method: "POST", Path: "/v1/sites/plan", Roles: planner, Entity: "site_plan", Expensive: true},
	{Method: "GET", Path: "/v1/jobs/:id", Roles: plannerOrDisp},
	{Method: "DELETE", Path: "/v1/jobs/:id", Roles: plannerOrDisp, Entity: "job"},

	// drivers' route lists (a driver sees only the lists assigned to it)
	{Method: "GET", Path: "/v1/route-lists", Roles: driverOrDisp},
	{Method: "GET", Path: "/v1/route-lists/:id", Roles: driverOrDisp},
	{Method: "POST", Path: "/v1/route-lists/:id/share", Roles: dispatcher, Entity: "route_list"},
	{Method: "PUT", Path: "/v1/route-lists/:id/stops/:seq/status", Roles: driverOrDisp, Entity: "route_list"},
	{Method: "GET", Path: "/v1/route-lists/shared", Public: true},

	// shuttle riders (dispatchers see personal data; planners and viewers a
	// masked list; drivers nothing)
	{Method: "GET", Path: "/v1/riders", Roles: mapRoles},
	{Method: "POST", Path: "/v1/riders", Roles: dispatcher, Entity: "rider", Personal: true},
	{Method: "POST", Path: "/v1/riders/import", Roles: dispatcher, Entity: "rider", Personal: true},
	{Method: "GET", Path: "/v1/riders/:id", Roles: dispatcher},
	{Method: "PUT", Path: "/v1/riders/:id", Roles: dispatcher, Entity: "rider", Personal: true},
	{Method: "DELETE", Path: "/v1/riders/:id", Roles: dispatcher, Entity: "rider", Personal: true},
	{Method: "GET", Path: "/v1/riders/:id/destination", Roles: plannerOrDisp},
	{Method: "POST", Path: "/v1/shuttles/plan", Roles: dispatcher, Entity: "shuttle_plan", Expensive: true, Personal: true},
	// shuttle days: appointments (medical: dispatchers only), published
	// timetables (planners and viewers see the riders' places masked;
	// drivers read their own route lists instead), changes, urgent calls
	{Method: "GET", Path: "/v1/shuttles/appointments", Roles: dispatcher},
	{Method: "POST", Path: "/v1/shuttles/appointments", Roles: dispatcher, Entity: "appointment", Personal: true},
	{Method: "DELETE", Path: "/v1/shuttles/appointments/:id", Roles: dispatcher, Entity: "appointment"},
	{Method: "GET", Path: "/v1/shuttles/timetables/:date", Roles: mapRoles},
	{Method: "GET", Path: "/v1/shuttles/timetables/:date/versions", Roles: mapRoles},
	{Method: "GET", Path: "/v1/shuttles/timetables/:date/versions/:n", Roles: mapRoles},
	{Method: "POST", Path: "/v1/shuttles/timetables/:date/changes", Roles: dispatcher, Entity: "shuttle_timetable", Expensive: true, Personal: true},
	{Method: "POST", Path: "/v1/shuttles/urgent", Roles: dispatcher, Entity: "shuttle_timetable", Personal: true},

	// medicine deliveries (dispatchers: everything with residents' data;
	// planners and viewers: the day masked, batches, reconciliation;
	// drivers: the volunteers' hand-over lists, masked)
	{Method: "POST", Path: "/v1/deliveries/requests", Roles: dispatcher, Entity: "delivery_request", Personal: true},
	{Method: "GET", Path: "/v1/deliveries/requests", Roles: mapRoles},
	{Method: "POST", Path: "/v1/deliveries/requests/import", Roles: dispatcher, Entity: "delivery_request", Personal: true},
	{Method: "GET", Path: "/v1/deliveries/requests/:id", Roles: dispatcher},
	{Method: "POST", Path: "/v1/deliveries/requests/:id/state", Roles: dispatcher, Entity: "delivery_request"},
	{Method: "POST", Path: "/v1/deliveries/batches", Roles: dispatcher, Entity: "delivery_batch", Expensive: true},
	{Method: "GET", Path: "/v1/deliveries/batches", Roles: mapRoles},
	{Method: "GET", Path: "/v1/deliveries/vans", Roles: plannerOrDisp},
	{Method: "PUT", Path: "/v1/deliveries/vans", Roles: dispatcher, Entity: "delivery_van"},
	{Method: "GET", Path: "/v1/deliveries/routes", Roles: dispatcher},
	{Method: "GET", Path: "/v1/deliveries/supply-points/:id/handover", Roles: driverOrDisp},
	{Method: "GET", Path: "/v1/deliveries/reconciliation", Roles: mapRoles},
}

type ruleKey struct{ method, path string }

var ruleIndex = func() map[ruleKey]*Rule {
	m := make(map[ruleKey]*Rule, len(Table))
	for i := range Table {
		r := &Table[i]
		k := ruleKey{r.Method, r.Path}
		if m[k] != nil {
			panic("auth: the table lists " + r.Method + " " + r.Path + " twice")
		}
		m[k] = r
	}
	return m
}()

// RuleFor returns the row for a method and route pattern, or nil.
func RuleFor(method, path string) *Rule { return ruleIndex[ruleKey{method, path}] }

// Allows reports whether role may call the route.
func (r *Rule) Allows(role accounts.Role) bool {
	if r.Public || role == accounts.RoleAdmin {
		return true
	}
	for _, x := range r.Roles {
		if x == role {
			return true
		}
	}
	return false
}

// Writes reports whether the method changes state (and so is audited
// unless the rule is a Query).
func Writes(method string) bool {
	return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE"
}
