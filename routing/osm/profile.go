// Package osm imports OpenStreetMap data (.osm.pbf or .osm XML) into a
// lifeline road graph for a routing profile (car or foot).
//
// The importer filters while decoding, in two passes: the first reads ways
// only and keeps the routable ones (their node ids go into one sorted,
// de-duplicated []int64), the second reads nodes only and keeps the
// coordinates of those ids (binary search). It never holds all nodes of the
// file. Every way node becomes a graph node; each pair of consecutive way
// nodes becomes one or two directed edges. The largest strongly connected
// component is kept and the numbers of dropped nodes and edges reported.
//
// Turn restrictions (relations type=restriction) are NOT applied: they are
// skipped, and Stats says so.
package osm

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/osm"
)

// Profile names a means of travel.
type Profile string

// Profiles.
const (
	Car  Profile = "car"
	Foot Profile = "foot"
)

// Valid reports whether p is a known profile.
func (p Profile) Valid() bool { return p == Car || p == Foot }

// carSpeed is the default speed in km/h by highway class, used when a way
// has no usable maxspeed.
var carSpeed = map[string]float64{
	"motorway": 100, "motorway_link": 60,
	"trunk": 80, "trunk_link": 50,
	"primary": 60, "primary_link": 40,
	"secondary": 50, "secondary_link": 40,
	"tertiary": 40, "tertiary_link": 30,
	"unclassified": 30, "residential": 25, "road": 25,
	"living_street": 10, "service": 15,
}

// footSpeed is the walking speed in km/h by highway class; walkable
// classes only (motorways and their links are not walkable).
var footSpeed = map[string]float64{
	"footway": 5, "path": 5, "pedestrian": 5, "steps": 3, "living_street": 5,
	"residential": 5, "service": 5, "unclassified": 5, "road": 5, "track": 5,
	"cycleway": 5, "bridleway": 5, "corridor": 5,
	"tertiary": 5, "tertiary_link": 5, "secondary": 5, "secondary_link": 5,
	"primary": 5, "primary_link": 5, "trunk": 5, "trunk_link": 5,
}

// MaxSpeedMax caps parsed speed limits (km/h).
const MaxSpeedMax = 150

// ParseMaxspeed parses an OSM maxspeed value into km/h: "50", "50 km/h",
// "50kmh", "30 mph", "30mph", "walk" (5). For "a;b" the first value is used.
// It returns ok false for "none", "signals", zone codes such as "RU:urban"
// and anything unparsable, zero, negative or above MaxSpeedMax.
func ParseMaxspeed(s string) (kmh float64, ok bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if s == "walk" {
		return 5, true
	}
	factor := 1.0
	switch {
	case strings.HasSuffix(s, "mph"):
		factor = 1.609344
		s = strings.TrimSpace(strings.TrimSuffix(s, "mph"))
	case strings.HasSuffix(s, "km/h"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "km/h"))
	case strings.HasSuffix(s, "kmh"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "kmh"))
	case strings.HasSuffix(s, "kph"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "kph"))
	}
	if s == "" || len(s) > 8 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v <= 0 {
		return 0, false
	}
	v *= factor
	if v > MaxSpeedMax {
		return 0, false
	}
	return v, true
}

// wayRule is what a profile makes of a way.
type wayRule struct {
	speed    float64 // km/h
	forward  bool    // travel along the node order allowed
	backward bool
}

func denied(v string) bool {
	switch v {
	case "no", "private", "agricultural", "forestry", "delivery", "destination_only_never":
		return true
	}
	return false
}

// rule returns whether the way is routable for p and how.
//
// Car: highway classes of carSpeed; the most specific of motorcar,
// motor_vehicle, vehicle, access decides access (no/private/agricultural/
// forestry/delivery exclude); speed is 0.8 x maxspeed when a maxspeed
// parses, else the class default; oneway=yes/1/true is forward only, -1 or
// reverse backward only, reversible excludes the way (its direction changes
// in time); junction=roundabout and highway=motorway imply oneway unless
// oneway=no. area=yes is excluded.
//
// Foot: classes of footSpeed, both directions, foot=no (or access=no
// without foot=yes) excludes; sidewalk tags are ignored.
func rule(tags osm.Tags, p Profile) (wayRule, bool) {
	hw := tags.Find("highway")
	if hw == "" || tags.Find("area") == "yes" {
		return wayRule{}, false
	}
	switch p {
	case Car:
		sp, ok := carSpeed[hw]
		if !ok {
			return wayRule{}, false
		}
		for _, k := range []string{"motorcar", "motor_vehicle", "vehicle", "access"} {
			if v := tags.Find(k); v != "" {
				if denied(v) {
					return wayRule{}, false
				}
				break
			}
		}
		if ms, ok := ParseMaxspeed(tags.Find("maxspeed")); ok {
			sp = 0.8 * ms
		}
		r := wayRule{speed: sp, forward: true, backward: true}
		switch ow := tags.Find("oneway"); ow {
		case "yes", "1", "true":
			r.backward = false
		case "-1", "reverse":
			r.forward = false
		case "reversible", "alternating":
			return wayRule{}, false
		case "no", "false", "0":
		default:
			if tags.Find("junction") == "roundabout" || tags.Find("junction") == "circular" || hw == "motorway" {
				r.backward = false
			}
		}
		return r, true
	case Foot:
		sp, ok := footSpeed[hw]
		if !ok {
			return wayRule{}, false
		}
		f := tags.Find("foot")
		if denied(f) {
			return wayRule{}, false
		}
		if f == "" && denied(tags.Find("access")) {
			return wayRule{}, false
		}
		return wayRule{speed: sp, forward: true, backward: true}, true
	}
	return wayRule{}, false
}
