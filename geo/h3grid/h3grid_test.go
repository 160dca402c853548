package h3grid

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"lifeline/geo"
	"lifeline/internal/shareddata/sdtest"
)

func TestCellKnown(t *testing.T) {
	// H3's documentation example: San Francisco, resolution 9.
	p := orb.Point{-122.41795063018799, 37.775938728915946}
	c := Cell(p, 9)
	if c.String() != "8928308280fffff" || c.Resolution() != 9 || !c.Valid() {
		t.Fatalf("cell %s res %d", c, c.Resolution())
	}
	// The order is [lon, lat]: swapping must give another cell.
	if Cell(orb.Point{p[1], p[0]}, 9) == c {
		t.Fatal("lon/lat swap gives the same cell")
	}
	if d := geo.Haversine(c.Center(), p); d > EdgeLengthM(9) {
		t.Fatalf("centre %v is %.0f m from the point", c.Center(), d)
	}
}

func TestCellInvalid(t *testing.T) {
	for _, tc := range []struct {
		p   orb.Point
		res int
	}{{orb.Point{0, 0}, -1}, {orb.Point{0, 0}, 16}, {orb.Point{math.NaN(), 0}, 9}, {orb.Point{0, math.Inf(1)}, 9}} {
		if c := Cell(tc.p, tc.res); c != 0 || c.Valid() {
			t.Errorf("Cell(%v, %d) = %v, want invalid", tc.p, tc.res, c)
		}
	}
	if ValidResolution(16) == nil || ValidResolution(9) != nil {
		t.Error("ValidResolution")
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Index
		err  bool
	}{
		{"8928308280fffff", 0x8928308280fffff, false},
		{"0x8928308280fffff", 0x8928308280fffff, false},
		{"8928308280FFFFF", 0x8928308280fffff, false},
		{"", 0, true},
		{"zzz", 0, true},
		{"0", 0, true},
		{"ffffffffffffffff", 0, true},
		{"-8928308280fffff", 0, true},
		{"8928308280fffff0", 0, true},
	} {
		got, err := Parse(tc.in)
		if tc.err {
			if !errors.Is(err, ErrInvalidCell) {
				t.Errorf("Parse(%q) err %v", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestJSON(t *testing.T) {
	c := Index(0x8928308280fffff)
	b, err := json.Marshal(map[string]Index{"cell": c})
	if err != nil || string(b) != `{"cell":"8928308280fffff"}` {
		t.Fatalf("%s %v", b, err)
	}
	var back map[string]Index
	if err := json.Unmarshal(b, &back); err != nil || back["cell"] != c {
		t.Fatalf("%v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"cell":"nope"}`), &back); !errors.Is(err, ErrInvalidCell) {
		t.Fatalf("err %v", err)
	}
}

func TestGeometry(t *testing.T) {
	c := Cell(orb.Point{-51.2, -30.05}, 9)
	b := c.Boundary()
	if len(b) != 1 || len(b[0]) != 7 || b[0][0] != b[0][6] {
		t.Fatalf("boundary %v", b)
	}
	if !planar.PolygonContains(b, c.Center()) {
		t.Fatal("centre outside boundary")
	}
	if a := planar.Area(b); a <= 0 {
		t.Fatalf("ring not counter-clockwise: signed area %v", a)
	}
	area := c.AreaM2()
	if area < 0.08e6 || area > 0.13e6 {
		t.Fatalf("area %v m²", area)
	}
	d := c.Disk(1)
	if len(d) != 7 {
		t.Fatalf("disk size %d", len(d))
	}
	found := false
	for _, x := range d {
		found = found || x == c
		if x != c && geo.Haversine(x.Center(), c.Center()) > 3*EdgeLengthM(9) {
			t.Fatalf("neighbour %v too far", x)
		}
	}
	if !found || len(c.Disk(2)) != 19 || c.Disk(-1) != nil {
		t.Fatal("disk")
	}
	if p := c.Parent(7); p.Resolution() != 7 || Cell(c.Center(), 7) != p || c.Parent(10) != 0 {
		t.Fatalf("parent %v", p)
	}
	// A polygon of about 1 km² holds about 10 res-9 centres.
	sq := orb.MultiPolygon{{{{-51.205, -30.055}, {-51.195, -30.055}, {-51.195, -30.046}, {-51.205, -30.046}, {-51.205, -30.055}}}}
	cells := PolygonCells(sq, 9)
	if len(cells) < 5 || len(cells) > 15 {
		t.Fatalf("%d cells in ~1 km²", len(cells))
	}
	for _, x := range cells {
		if !planar.MultiPolygonContains(sq, x.Center()) {
			t.Fatalf("cell %v centre outside polygon", x)
		}
	}
}

// TestPortoAlegreGrid checks Cell, Center and Parse against the 1,227 ids
// and centres of the shared population grid.
func TestPortoAlegreGrid(t *testing.T) {
	f, err := os.Open(sdtest.Path(t, "geo/population/porto-alegre-h3r9-hexgrid.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		c, err := Parse(r[0])
		if err != nil {
			t.Fatal(err)
		}
		lon, _ := strconv.ParseFloat(r[1], 64)
		lat, _ := strconv.ParseFloat(r[2], 64)
		p := orb.Point{lon, lat}
		if Cell(p, 9) != c {
			t.Fatalf("Cell(%v) = %v, want %v", p, Cell(p, 9), c)
		}
		if d := geo.Haversine(c.Center(), p); d > 1 {
			t.Fatalf("centre of %v is %.2f m from the file's", c, d)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"8928308280fffff", "0x89a901291abffff", "", "zz", "ffffffffffffffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		if !c.Valid() {
			t.Fatalf("Parse(%q) accepted invalid %v", s, c)
		}
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip %q -> %v -> %v", s, c, back)
		}
	})
}
