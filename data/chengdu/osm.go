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
		var b []byte
		if b, bmErr = OSM(); bmErr != nil {
			return
		}
		bm, bmErr = basemap.Read(bytes.NewReader(b))
	})
	return bm, bmErr
}
