package api

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
)

// queryTime parses the query parameter name as RFC 3339 ("2026-11-21T08:00:00+08:00")
// or a plain date ("2026-11-21", midnight in the server's time zone). Absent
// means def.
func queryTime(c *gin.Context, name string, def time.Time) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	return parseTime(s, "query."+name)
}

func parseTime(s, path string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, errBadRequest("bad_parameter",
		fmt.Sprintf("%s: %q is not a time: use RFC 3339 such as 2026-11-21T08:00:00+08:00, or a date 2026-11-21", path, s),
		map[string]any{"path": path})
}

// ParseNumber is the one strict number parser of the API for text outside
// JSON (query parameters, "lon,lat"): JSON's number grammar
// (-?int(.frac)?(e[+-]?exp)?), finite. Go's strconv.ParseFloat also takes
// "0x1p6", "1_04", "+5", "Inf", "NaN" and ".5"; these are not numbers here.
func ParseNumber(s string) (float64, bool) {
	if len(s) == 0 || len(s) > 64 {
		return 0, false
	}
	i := 0
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	first := i
	if n := digits(); n == 0 || (n > 1 && s[first] == '0') {
		return 0, false // no digits, or a leading zero
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// parseInt is ParseNumber for integers: JSON's integer grammar
// (-?(0|[1-9][0-9]*)), at most 18 characters.
func parseInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	d := strings.TrimPrefix(s, "-")
	if d == "" || (len(d) > 1 && d[0] == '0') {
		return 0, false
	}
	for k := 0; k < len(d); k++ {
		if d[k] < '0' || d[k] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

// parseBool is the strict boolean of query parameters: true or false.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// queryBool parses an optional strict boolean query parameter.
func queryBool(c *gin.Context, name string, def bool) (bool, error) {
	s, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	v, ok := parseBool(s)
	if !ok {
		return false, errBadRequest("bad_parameter", fmt.Sprintf("query.%s: %q is not true or false", name, s),
			map[string]any{"path": "query." + name, "allowed": []string{"true", "false"}})
	}
	return v, nil
}

// names is the string form of an enumeration's values, in order.
func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// queryEnum parses an optional query parameter that must be one of allowed
// (def when absent).
func queryEnum(c *gin.Context, name, def string, allowed ...string) (string, error) {
	s, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", errBadRequest("bad_parameter", fmt.Sprintf("query.%s: %q is not one of %s", name, s, strings.Join(allowed, ", ")),
		map[string]any{"path": "query." + name, "allowed": allowed})
}

// commonParams refuses bad values of the query parameters that every
// endpoint understands the same way (format, async), before any handler
// runs.
func commonParams() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !hasPrefix(c.Request.URL.Path, "/v1/") {
			c.Next() // the browser UI's files and the probes
			return
		}
		formats := []string{"json", "geojson"}
		if hasPrefix(c.Request.URL.Path, "/v1/shuttles/timetables/") {
			formats = []string{"json", "csv", "ics", "html"} // the published timetables' outputs
		}
		if _, err := queryEnum(c, "format", "", formats...); err != nil {
			fail(c, err)
			return
		}
		if _, err := queryBool(c, "async", false); err != nil {
			fail(c, err)
			return
		}
		c.Next()
	}
}

// queryFloat parses a required float query parameter.
func queryFloat(c *gin.Context, name string, min, max float64) (float64, error) {
	s := c.Query(name)
	if s == "" {
		return 0, errBadRequest("missing_parameter", "query parameter "+name+" is required", map[string]any{"path": "query." + name})
	}
	v, ok := ParseNumber(s)
	if !ok || v < min || v > max {
		return 0, errBadRequest("bad_parameter", fmt.Sprintf("query.%s: %q must be a number in [%g, %g]", name, s, min, max),
			map[string]any{"path": "query." + name})
	}
	return v, nil
}

// queryInt parses an optional non-negative int query parameter at most max.
func queryInt(c *gin.Context, name string, def, max int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	v, ok := parseInt(s)
	if !ok || v < 0 || v > max {
		return 0, errBadRequest("bad_parameter", fmt.Sprintf("query.%s: %q must be an integer in [0, %d]", name, s, max),
			map[string]any{"path": "query." + name})
	}
	return v, nil
}

// queryBBox parses bbox=minLon,minLat,maxLon,maxLat; nil when absent.
func queryBBox(c *gin.Context) (*orb.Bound, error) {
	s := c.Query("bbox")
	if s == "" {
		return nil, nil
	}
	bad := func(why string) error {
		return errBadRequest("bad_parameter", "query.bbox: "+why+"; want minLon,minLat,maxLon,maxLat in degrees",
			map[string]any{"path": "query.bbox"})
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, bad(fmt.Sprintf("%d numbers given", len(parts)))
	}
	var v [4]float64
	for i, p := range parts {
		f, ok := ParseNumber(strings.TrimSpace(p))
		if !ok {
			return nil, bad(fmt.Sprintf("%q is not a number", p))
		}
		v[i] = f
	}
	if v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return nil, bad("out of range")
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, bad("min is greater than max")
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// checkPoint validates a [lon, lat] pair.
func checkPoint(p orb.Point, path string) error {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return errUnprocessable(path, fmt.Sprintf("[%g, %g] is not a [lon, lat] position in range", p[0], p[1]))
	}
	return nil
}

func errUnprocessable(path, msg string) *Error {
	return &Error{Status: 422, Code: "validation_failed", Message: path + ": " + msg,
		Details: map[string]any{"path": path, "reason": msg}}
}

// wantGeoJSON reports whether the client asked for GeoJSON (format=geojson
// or Accept: application/geo+json).
func wantGeoJSON(c *gin.Context) bool {
	f := c.Query("format")
	return f == "geojson" || (f == "" && strings.Contains(c.GetHeader("Accept"), "application/geo+json"))
}
