package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"lifeline/api"
	"lifeline/data/chengdu"
	"lifeline/data/memstore"
	"lifeline/geo/basemap"
)

var (
	tileSrvOnce sync.Once
	tiler       *basemap.Tiler
	tilerErr    error
)

func newTileServer(t *testing.T) *httptest.Server {
	t.Helper()
	tileSrvOnce.Do(func() {
		b, err := chengdu.Basemap()
		if err != nil {
			tilerErr = err
			return
		}
		tiler = basemap.NewTiler(b, 0)
	})
	if tilerErr != nil {
		t.Fatal(tilerErr)
	}
	h := api.New(api.Deps{Store: memstore.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Root: []func(r gin.IRouter, h *api.Handlers){api.TileRoutes(tiler, api.TileOptions{Attribution: chengdu.Attribution})}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// get sends a GET without the client's transparent gzip handling.
func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func tileURL(srv *httptest.Server, tl maptile.Tile) string {
	return srv.URL + "/tiles/" + strconv.Itoa(int(tl.Z)) + "/" + strconv.Itoa(int(tl.X)) + "/" + strconv.Itoa(int(tl.Y)) + ".pbf"
}

func TestTileEndpointGzipAndPlain(t *testing.T) {
	srv := newTileServer(t)
	// Tianfu Square's neighbourhood, inside the extract.
	tl := maptile.At(orb.Point{104.0665, 30.6640}, 15)
	resp, gz := get(t, tileURL(srv, tl), map[string]string{"Accept-Encoding": "gzip, deflate"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, gz)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/vnd.mapbox-vector-tile", "Content-Encoding": "gzip",
		"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	ls, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		t.Fatalf("gzip tile: %v", err)
	}
	names := map[string]bool{}
	for _, l := range ls {
		names[l.Name] = true
	}
	if !names[basemap.LayerRoads] {
		t.Errorf("layers %v: no roads", names)
	}

	resp, raw := get(t, tileURL(srv, tl), map[string]string{"Accept-Encoding": "identity"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain: status %d, encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, _ := gzip.NewReader(bytes.NewReader(gz))
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(raw, unz) {
		t.Error("the plain tile is not the gzip tile decompressed")
	}
	resp, raw2 := get(t, tileURL(srv, tl), map[string]string{"Accept-Encoding": "gzip;q=0"})
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(raw2, raw) {
		t.Error("gzip;q=0 must get the plain tile")
	}
}

func TestTileEndpointEmptyTile(t *testing.T) {
	srv := newTileServer(t)
	resp, body := get(t, tileURL(srv, maptile.At(orb.Point{0.5, 0.5}, 14)), map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("empty tile: status %d, %d bytes, encoding %q; want 200, 0, none", resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.mapbox-vector-tile" {
		t.Errorf("content type %q", ct)
	}
}

func TestTileEndpointErrors(t *testing.T) {
	srv := newTileServer(t)
	cases := []struct {
		path, code, at string
	}{
		{"/tiles/11/0/0.pbf", "tile_out_of_range", "z"},
		{"/tiles/19/0/0.pbf", "tile_out_of_range", "z"},
		{"/tiles/99999999999/0/0.pbf", "invalid_tile", "z"},
		{"/tiles/14/16384/0.pbf", "tile_out_of_range", "x"},
		{"/tiles/14/0/16384.pbf", "tile_out_of_range", "y"},
		{"/tiles/14/-1/0.pbf", "invalid_tile", "x"},
		{"/tiles/14/a/0.pbf", "invalid_tile", "x"},
		{"/tiles/14/0/0.png", "invalid_tile", "y"},
		{"/tiles/14/0/0", "invalid_tile", "y"},
		{"/tiles/+14/0/0.pbf", "invalid_tile", "z"},
		{"/tiles/14/0/.pbf", "invalid_tile", "y"},
	}
	for _, c := range cases {
		resp, body := get(t, srv.URL+c.path, nil)
		var e struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("%s: not JSON: %s", c.path, body)
			continue
		}
		if resp.StatusCode != 400 || e.Code != c.code || e.Details["path"] != c.at || e.Message == "" {
			t.Errorf("%s: %d %+v, want 400 %s at %s", c.path, resp.StatusCode, e, c.code, c.at)
		}
	}
}

func TestTileJSON(t *testing.T) {
	srv := newTileServer(t)
	resp, body := get(t, srv.URL+"/tiles/basemap.json", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var tj struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		MinZoom      int       `json:"minzoom"`
		MaxZoom      int       `json:"maxzoom"`
		Bounds       []float64 `json:"bounds"`
		Center       []float64 `json:"center"`
		Attribution  string    `json:"attribution"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || tj.MinZoom != 12 || tj.MaxZoom != 18 || tj.Attribution != "© OpenStreetMap contributors, ODbL" {
		t.Errorf("tilejson %+v", tj)
	}
	if len(tj.Tiles) != 1 || tj.Tiles[0] != srv.URL+"/tiles/{z}/{x}/{y}.pbf" {
		t.Errorf("tiles %v, want %s/tiles/{z}/{x}/{y}.pbf", tj.Tiles, srv.URL)
	}
	want := []float64{104.0421, 30.6528, 104.1296, 30.7279}
	for i := range want {
		if len(tj.Bounds) != 4 || tj.Bounds[i] != want[i] {
			t.Fatalf("bounds %v, want %v", tj.Bounds, want)
		}
	}
	if len(tj.Center) != 3 || tj.Center[0] < want[0] || tj.Center[0] > want[2] || tj.Center[1] < want[1] || tj.Center[1] > want[3] {
		t.Errorf("center %v is not inside the bounds", tj.Center)
	}
	var ids []string
	for _, l := range tj.VectorLayers {
		ids = append(ids, l.ID)
	}
	if strings.Join(ids, ",") != "water,green,buildings,roads,places" {
		t.Errorf("vector layers %v", ids)
	}
	// The URL template, filled in, answers a tile.
	u := strings.NewReplacer("{z}", "14", "{x}", "12928", "{y}", "6724").Replace(tj.Tiles[0])
	if resp, _ := get(t, u, nil); resp.StatusCode != 200 {
		t.Errorf("%s: status %d", u, resp.StatusCode)
	}
	_, body = get(t, srv.URL+"/tiles/basemap.json", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "map.example"})
	if !strings.Contains(string(body), `"https://map.example/tiles/{z}/{x}/{y}.pbf"`) {
		t.Errorf("behind a proxy: %s", body)
	}
}

func TestParseTilePathTable(t *testing.T) {
	for _, c := range []struct {
		z, x, y string
		want    maptile.Tile
		ok      bool
	}{
		{"12", "0", "0.pbf", maptile.New(0, 0, 12), true},
		{"18", "262143", "262143.pbf", maptile.New(262143, 262143, 18), true},
		{"18", "262144", "0.pbf", maptile.Tile{}, false},
		{"012", "00", "0007.pbf", maptile.New(0, 7, 12), true},
		{"12", "0", "0.pbf.pbf", maptile.Tile{}, false},
		{"12", " 1", "0.pbf", maptile.Tile{}, false},
		{"", "0", "0.pbf", maptile.Tile{}, false},
		{"1e1", "0", "0.pbf", maptile.Tile{}, false},
	} {
		got, err := api.ParseTilePath(c.z, c.x, c.y)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%s/%s/%s: %v %v, want %v ok=%v", c.z, c.x, c.y, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range [][3]string{{"14", "13118", "6769.pbf"}, {"12", "0", "0.pbf"}, {"19", "1", "1.pbf"}, {"14", "-1", "x.pbf"}, {"", "", ""}, {"18", "262143", "262143.pbf"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tl, err := api.ParseTilePath(z, x, y)
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Code == "" || e.Message == "" {
				t.Fatalf("error %#v is not a 400 api.Error", err)
			}
			p, _ := e.Details["path"].(string)
			if p != "z" && p != "x" && p != "y" {
				t.Fatalf("details.path %q", p)
			}
			return
		}
		if err := basemap.CheckTile(tl); err != nil {
			t.Fatalf("accepted %s/%s/%s as %v, which is out of range: %v", z, x, y, tl, err)
		}
		// Round trip: the canonical form parses to the same tile.
		back, err := api.ParseTilePath(strconv.Itoa(int(tl.Z)), strconv.Itoa(int(tl.X)), strconv.Itoa(int(tl.Y))+".pbf")
		if err != nil || back != tl {
			t.Fatalf("round trip of %v: %v %v", tl, back, err)
		}
	})
}
