// Package geo has small geometry helpers over orb: great-circle and fast
// planar distances, bounds and units. It does no I/O. Points are [lon, lat]
// in degrees (orb order).
package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres (IUGG).
const EarthRadius = 6371008.8

const rad = math.Pi / 180

// Haversine returns the great-circle distance in metres between a and b.
func Haversine(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*rad, b[1]*rad
	dlat := lat2 - lat1
	dlon := (b[0] - a[0]) * rad
	s := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(s)))
}

// Equirectangular returns an approximate distance in metres between a and b,
// accurate to well under 0.1% at city scale and about 4x cheaper than
// Haversine. Use it in hot loops over nearby points.
func Equirectangular(a, b orb.Point) float64 {
	x := (b[0] - a[0]) * rad * math.Cos((a[1]+b[1])*0.5*rad)
	y := (b[1] - a[1]) * rad
	return EarthRadius * math.Sqrt(x*x+y*y)
}

// MetersPerDegree returns how many metres one degree of longitude and of
// latitude span at latitude lat (degrees).
func MetersPerDegree(lat float64) (lon, latm float64) {
	return EarthRadius * rad * math.Cos(lat*rad), EarthRadius * rad
}

// BoundAround returns the bound of all points within r metres of p.
func BoundAround(p orb.Point, r float64) orb.Bound {
	mx, my := MetersPerDegree(p[1])
	dx, dy := r/mx, r/my
	return orb.Bound{Min: orb.Point{p[0] - dx, p[1] - dy}, Max: orb.Point{p[0] + dx, p[1] + dy}}
}
