package graph

import (
	"errors"
	"math"

	"github.com/paulmach/orb"
)

// ErrPolyline is returned by DecodePolyline for malformed input.
var ErrPolyline = errors.New("graph: malformed encoded polyline")

// EncodePolyline encodes ls in the Google encoded polyline format with the
// given decimal precision (5 for the usual format). The format stores
// latitude first; ls is [lon, lat] (orb order). O(len(ls)).
func EncodePolyline(ls orb.LineString, precision int) string {
	f := math.Pow10(precision)
	var out []byte
	var plat, plon int64
	for _, p := range ls {
		lat, lon := int64(math.Round(p[1]*f)), int64(math.Round(p[0]*f))
		out = appendVarint(out, lat-plat)
		out = appendVarint(out, lon-plon)
		plat, plon = lat, lon
	}
	return string(out)
}

func appendVarint(b []byte, v int64) []byte {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	for u >= 0x20 {
		b = append(b, byte(0x20|(u&0x1f))+63)
		u >>= 5
	}
	return append(b, byte(u)+63)
}

// DecodePolyline decodes an encoded polyline of the given precision into
// [lon, lat] points. It returns ErrPolyline for malformed input and caps
// the output at len(s)/2 points (each point takes at least 2 bytes).
func DecodePolyline(s string, precision int) (orb.LineString, error) {
	f := math.Pow10(precision)
	ls := make(orb.LineString, 0, len(s)/2)
	var lat, lon int64
	i := 0
	next := func() (int64, bool) {
		var u uint64
		var shift uint
		for {
			if i >= len(s) || shift > 60 {
				return 0, false
			}
			c := int64(s[i]) - 63
			i++
			if c < 0 || c > 63 {
				return 0, false
			}
			u |= uint64(c&0x1f) << shift
			shift += 5
			if c < 0x20 {
				break
			}
		}
		v := int64(u >> 1)
		if u&1 != 0 {
			v = ^v
		}
		return v, true
	}
	for i < len(s) {
		dlat, ok1 := next()
		dlon, ok2 := next()
		if !ok1 || !ok2 {
			return nil, ErrPolyline
		}
		lat += dlat
		lon += dlon
		ls = append(ls, orb.Point{float64(lon) / f, float64(lat) / f})
	}
	return ls, nil
}
