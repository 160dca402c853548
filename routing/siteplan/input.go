package siteplan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo/h3grid"
	"lifeline/zones"
)

// ErrInput wraps every malformed demand file.
var ErrInput = errors.New("siteplan: malformed demand input")

// Caps of the demand readers, checked before allocating.
const (
	MaxInputBytes = 64 << 20
	MaxDemandRows = 1 << 20
)

// ReadPopulationCSV reads an H3 population grid: a header naming the cell
// column (id, h3, cell or h3_index) and the population column (population
// or pop); other columns (lon, lat, jobs, ...) are ignored, an empty
// population counts as 0. This is the format of the shared Porto Alegre
// grid (id,lon,lat,population,schools,jobs,healthcare). Errors wrap
// ErrInput with the line number.
func ReadPopulationCSV(r io.Reader) ([]CellDemand, error) {
	lr := &io.LimitedReader{R: r, N: MaxInputBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInput, err)
	}
	ci, pi := -1, -1
	for k, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "id", "h3", "cell", "h3_index", "hex":
			if ci < 0 {
				ci = k
			}
		case "population", "pop":
			if pi < 0 {
				pi = k
			}
		}
	}
	if ci < 0 || pi < 0 {
		return nil, fmt.Errorf("%w: header %q lacks a cell (id/h3/cell) or population column", ErrInput, strings.Join(head, ","))
	}
	var out []CellDemand
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInput, line, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w: input over %d bytes", ErrInput, MaxInputBytes)
		}
		if len(out) >= MaxDemandRows {
			return nil, fmt.Errorf("%w: more than %d rows", ErrInput, MaxDemandRows)
		}
		if ci >= len(rec) || pi >= len(rec) {
			return nil, fmt.Errorf("%w: line %d: too few columns", ErrInput, line)
		}
		id := strings.TrimSpace(rec[ci])
		if _, err := h3grid.Parse(id); err != nil {
			return nil, fmt.Errorf("%w: line %d: cell %q is not an H3 index", ErrInput, line, id)
		}
		pop := 0.0
		if s := strings.TrimSpace(rec[pi]); s != "" {
			pop, err = strconv.ParseFloat(s, 64)
			if err != nil || !validPeople(pop) {
				return nil, fmt.Errorf("%w: line %d: population %q", ErrInput, line, s)
			}
		}
		out = append(out, CellDemand{Cell: id, Population: pop})
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: input over %d bytes", ErrInput, MaxInputBytes)
	}
	return out, nil
}

// ReadDemandGeoJSON reads a FeatureCollection of Point features ([lon,
// lat]) weighted by the numeric property prop (default "population"). The
// feature id or an "id" property names the point; a "zone" property
// ("sealed", "controlled", "prevention") sets its zone kind. Features of
// other geometry types are an error. Errors wrap ErrInput.
func ReadDemandGeoJSON(r io.Reader, prop string) ([]PointDemand, error) {
	if prop == "" {
		prop = "population"
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: input over %d bytes", ErrInput, MaxInputBytes)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if len(fc.Features) > MaxDemandRows {
		return nil, fmt.Errorf("%w: more than %d features", ErrInput, MaxDemandRows)
	}
	out := make([]PointDemand, 0, len(fc.Features))
	for k, f := range fc.Features {
		if f == nil || f.Geometry == nil {
			return nil, fmt.Errorf("%w: features[%d]: no geometry", ErrInput, k)
		}
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			return nil, fmt.Errorf("%w: features[%d]: want a Point, got %s", ErrInput, k, f.Geometry.GeoJSONType())
		}
		if !validPoint(p) {
			return nil, fmt.Errorf("%w: features[%d]: not a [lon, lat] coordinate: %v", ErrInput, k, p)
		}
		v, ok := f.Properties[prop].(float64)
		if !ok || !validPeople(v) || math.IsNaN(v) {
			return nil, fmt.Errorf("%w: features[%d].properties.%s: want a non-negative number", ErrInput, k, prop)
		}
		pd := PointDemand{Point: p, Population: v}
		switch id := f.ID.(type) {
		case string:
			pd.ID = id
		case float64:
			pd.ID = strconv.FormatFloat(id, 'f', -1, 64)
		}
		if pd.ID == "" {
			if s, ok := f.Properties["id"].(string); ok {
				pd.ID = s
			} else if x, ok := f.Properties["id"].(float64); ok {
				pd.ID = strconv.FormatFloat(x, 'f', -1, 64)
			}
		}
		if z, ok := f.Properties["zone"].(string); ok && z != "" {
			if !zones.Kind(z).Valid() {
				return nil, fmt.Errorf("%w: features[%d].properties.zone: unknown kind %q", ErrInput, k, z)
			}
			pd.Zone = zones.Kind(z)
		}
		out = append(out, pd)
	}
	return out, nil
}
