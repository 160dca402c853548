// Package h3grid wraps Uber's H3 hexagonal grid for lifeline. It is the only
// importer of github.com/uber/h3-go (cgo) and the only place where the
// [lon, lat] order of orb is turned into H3's (lat, lng): everything in and
// out of this package is orb, [lon, lat] in WGS84 degrees.
//
// Resolutions run from 0 (continent-sized) to 15 (about 1 m²); resolution 9
// cells span about 0.1 km² (edge about 200 m), resolution 10 about 0.015 km².
// All functions are safe for concurrent use; each call crosses into C once
// (on the order of a microsecond), so hot loops should cache results.
package h3grid

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// MaxResolution is the finest H3 resolution.
const MaxResolution = 15

// Errors of this package.
var (
	// ErrInvalidCell is returned when a string or number is not a valid
	// H3 cell index.
	ErrInvalidCell = errors.New("h3grid: invalid cell index")
	// ErrResolution is returned for a resolution outside 0..15.
	ErrResolution = errors.New("h3grid: resolution out of range 0..15")
)

// Index is an H3 cell index (a hexagon, or one of the 12 pentagons per
// resolution). The zero value is invalid. It marshals to JSON and text as
// the usual 15-hex-digit string, e.g. "89a901291abffff".
type Index uint64

// Cell returns the cell of resolution res containing p ([lon, lat]
// degrees). It returns the zero (invalid) Index when res is outside 0..15
// or p is not a finite coordinate.
func Cell(p orb.Point, res int) Index {
	if res < 0 || res > MaxResolution || !finite(p[0]) || !finite(p[1]) {
		return 0
	}
	return Index(h3.LatLngToCell(h3.NewLatLng(p[1], p[0]), res))
}

// ValidResolution reports ErrResolution for res outside 0..15.
func ValidResolution(res int) error {
	if res < 0 || res > MaxResolution {
		return fmt.Errorf("%w: %d", ErrResolution, res)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Parse reads a cell index written in hexadecimal (an optional 0x prefix
// is allowed). It returns ErrInvalidCell for anything that is not a valid
// cell.
func Parse(s string) (Index, error) {
	if len(s) == 0 || len(s) > 18 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidCell, s)
	}
	for k, c := range s {
		hex := c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		if !hex && !(k == 1 && (c == 'x' || c == 'X') && s[0] == '0') {
			return 0, fmt.Errorf("%w: %q", ErrInvalidCell, s)
		}
	}
	c := Index(h3.IndexFromString(s))
	if !c.Valid() {
		return 0, fmt.Errorf("%w: %q", ErrInvalidCell, s)
	}
	return c, nil
}

// Valid reports whether c is a valid cell index.
func (c Index) Valid() bool { return c != 0 && h3.Cell(c).IsValid() }

// Resolution returns the resolution of c (0..15); garbage for an invalid c.
func (c Index) Resolution() int { return h3.Cell(c).Resolution() }

// String returns the hexadecimal form, e.g. "89a901291abffff".
func (c Index) String() string { return h3.Cell(c).String() }

// MarshalText implements encoding.TextMarshaler (JSON strings, CSV).
func (c Index) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; ErrInvalidCell for
// anything but a valid cell.
func (c *Index) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Center returns the centre of c as [lon, lat].
func (c Index) Center() orb.Point {
	ll := h3.Cell(c).LatLng()
	return orb.Point{ll.Lng, ll.Lat}
}

// Boundary returns the outline of c as a closed, counter-clockwise ring of
// [lon, lat] points (6 vertices for hexagons, up to 10 where a cell crosses
// an icosahedron edge, plus the closing point).
func (c Index) Boundary() orb.Polygon {
	b := h3.Cell(c).Boundary()
	ring := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		ring = append(ring, orb.Point{ll.Lng, ll.Lat})
	}
	if len(ring) > 0 {
		ring = append(ring, ring[0])
	}
	return orb.Polygon{ring}
}

// Disk returns the cells within grid distance k of c (c itself included),
// in no particular order, without the zero entries H3 leaves near
// pentagons. k < 0 returns nil. Size 3k(k+1)+1.
func (c Index) Disk(k int) []Index {
	if k < 0 || !c.Valid() {
		return nil
	}
	cells := h3.Cell(c).GridDisk(k)
	out := make([]Index, 0, len(cells))
	for _, x := range cells {
		if x != 0 {
			out = append(out, Index(x))
		}
	}
	return out
}

// Parent returns the ancestor of c at the coarser resolution res (c itself
// when res equals its resolution; 0 when res is finer or out of range).
func (c Index) Parent(res int) Index {
	if res < 0 || res > c.Resolution() {
		return 0
	}
	return Index(h3.Cell(c).Parent(res))
}

// AreaM2 returns the exact area of c in square metres.
func (c Index) AreaM2() float64 { return h3.CellAreaM2(h3.Cell(c)) }

// EdgeLengthM returns the average hexagon edge length at res in metres
// (0 for an invalid res).
func EdgeLengthM(res int) float64 {
	if res < 0 || res > MaxResolution {
		return 0
	}
	return h3.HexagonEdgeLengthAvgM(res)
}

// PolygonCells returns the cells of resolution res whose centres lie inside
// mp ([lon, lat]; holes respected), in no particular order, without
// duplicates. Small polygons may contain no centre: callers that need at
// least one cell add Cell(centroid, res).
func PolygonCells(mp orb.MultiPolygon, res int) []Index {
	if res < 0 || res > MaxResolution {
		return nil
	}
	seen := map[Index]bool{}
	var out []Index
	for _, poly := range mp {
		if len(poly) == 0 || len(poly[0]) < 3 {
			continue
		}
		gp := h3.GeoPolygon{GeoLoop: loop(poly[0])}
		for _, h := range poly[1:] {
			gp.Holes = append(gp.Holes, loop(h))
		}
		for _, x := range h3.PolygonToCells(gp, res) {
			if c := Index(x); c != 0 && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func loop(r orb.Ring) h3.GeoLoop {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n-- // H3 loops are implicitly closed
	}
	l := make(h3.GeoLoop, n)
	for k := 0; k < n; k++ {
		l[k] = h3.NewLatLng(r[k][1], r[k][0])
	}
	return l
}
