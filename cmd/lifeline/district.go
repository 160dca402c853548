package main

import (
	"bytes"
	"fmt"
	"sync"

	"lifeline/api"
	"lifeline/data/chengdu"
	"lifeline/data/demo"
	"lifeline/geo/basemap"
)

// The demo districts: "chengdu" (real places of the embedded central
// Chengdu OpenStreetMap extract, the default) and "synthetic" (the generated
// grid district that tests rely on).
const (
	DistrictChengdu   = "chengdu"
	DistrictSynthetic = "synthetic"
)

func checkDistrict(name string) error {
	if name != DistrictChengdu && name != DistrictSynthetic {
		return fmt.Errorf("district %q: want %s or %s", name, DistrictChengdu, DistrictSynthetic)
	}
	return nil
}

// generateDistrict builds a district; seed 0 takes the district's default seed.
func generateDistrict(name string, seed uint64) (*demo.District, error) {
	switch name {
	case DistrictChengdu:
		if seed == 0 {
			seed = chengdu.DefaultSeed
		}
		return chengdu.Generate(seed)
	case DistrictSynthetic:
		if seed == 0 {
			seed = demo.DefaultSeed
		}
		return demo.Generate(seed), nil
	}
	return nil, checkDistrict(name)
}

var districtMemo struct {
	sync.Mutex
	m map[string]*demo.District
}

// defaultDistrict returns the district of its default seed, generated once
// per process (serve needs it for the store, the graphs and the tiles).
// Callers must not modify it.
func defaultDistrict(name string) (*demo.District, error) {
	districtMemo.Lock()
	defer districtMemo.Unlock()
	if d := districtMemo.m[name]; d != nil {
		return d, nil
	}
	d, err := generateDistrict(name, 0)
	if err != nil {
		return nil, err
	}
	if districtMemo.m == nil {
		districtMemo.m = map[string]*demo.District{}
	}
	districtMemo.m[name] = d
	return d, nil
}

// districtStreets returns the district's street network as OSM XML without
// generating the rest of the district (for chengdu: the embedded extract).
func districtStreets(name string) ([]byte, error) {
	if name == DistrictChengdu {
		return chengdu.OSM()
	}
	d, err := defaultDistrict(name)
	if err != nil {
		return nil, err
	}
	return d.StreetsOSM, nil
}

// addTiles attaches the basemap tile endpoints of the district: the OSM
// extract's layers for chengdu, the generated streets for synthetic.
func addTiles(d *api.Deps, name string, streets []byte) (*basemap.Tiler, error) {
	var b *basemap.Basemap
	var err error
	opts := api.TileOptions{Name: "lifeline " + name + " basemap"}
	switch name {
	case DistrictChengdu:
		b, err = chengdu.Basemap()
		opts.Attribution = chengdu.Attribution
	default:
		b, err = basemap.Read(bytes.NewReader(streets))
		opts.Attribution = "lifeline synthetic district (not OpenStreetMap data)"
	}
	if err != nil {
		return nil, fmt.Errorf("basemap of the %s district: %w", name, err)
	}
	t := basemap.NewTiler(b, 0)
	d.Root = append(d.Root, api.TileRoutes(t, opts))
	return t, nil
}
