// Package chengdu holds the real demo district: an OpenStreetMap extract of
// central Chengdu (2018, © OpenStreetMap contributors, ODbL 1.0; see
// README.md beside this file), embedded in the binary, and a seeded
// generator of the district's data (compounds, facilities, zones) on the
// extract's real places.
package chengdu

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifeline/geo/basemap"
)

//go:embed chengdu-central-2018.osm.gz
var osmGz []byte

// Attribution is the credit the extract's licence asks for.
const Attribution = "© OpenStreetMap contributors, ODbL"

var (
	osmOnce  sync.Once
	osmBytes []byte
	osmErr   error

	fcOnce   sync.Once
	fc       *geojson.FeatureCollection
	fcBounds orb.Bound
	fcErr    error

	bmOnce sync.Once
	bm     *basemap.Basemap
	bmErr  error
)

// OSM returns the extract as OSM XML (about 3.5 MB, decompressed once; do
// not modify the slice).
func OSM() ([]byte, error) {
	osmOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(osmGz))
		if err != nil {
			osmErr = fmt.Errorf("chengdu: embedded extract: %w", err)
			return
		}
		osmBytes, osmErr = io.ReadAll(zr)
		if osmErr != nil {
			osmErr = fmt.Errorf("chengdu: embedded extract: %w", osmErr)
		}
	})
	return osmBytes, osmErr
}

// Basemap returns the extract's basemap layers (parsed once, shared: do not
// modify).
func Basemap() (*basemap.Basemap, error) {
	bmOnce.Do(func() {
		f, b, err := features()
		if err != nil {
			bmErr = err
			return
		}
		bm, bmErr = basemap.FromGeoJSON(f, b)
	})
	return bm, bmErr
}

// features returns the extract as GeoJSON features (parsed once, shared:
// do not modify) and its declared bounds.
func features() (*geojson.FeatureCollection, orb.Bound, error) {
	fcOnce.Do(func() {
		var b []byte
		if b, fcErr = OSM(); fcErr != nil {
			return
		}
		fc, fcBounds, fcErr = basemap.ReadGeoJSON(bytes.NewReader(b))
	})
	return fc, fcBounds, fcErr
}

// Bounds returns the extract's declared bounds.
func Bounds() (orb.Bound, error) {
	_, b, err := features()
	return b, err
}
