package osm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"

	"github.com/paulmach/osm"
)

func TestImportFiles(t *testing.T) {
	for _, tc := range []struct {
		file     string
		profile  Profile
		minNodes int
	}{
		{"geo/osm/monaco-2016-03.osm.pbf", Car, 5000},
		{"geo/osm/monaco-2016-03.osm.pbf", Foot, 5000},
		{"geo/osm/chengdu-central-2018.osm", Car, 5000},
	} {
		t.Run(tc.file+"/"+string(tc.profile), func(t *testing.T) {
			path := sdtest.Path(t, tc.file)
			g, st, err := ImportFile(context.Background(), path, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", st)
			if g.NumNodes() < tc.minNodes || st.Nodes != g.NumNodes() {
				t.Fatalf("nodes %d", g.NumNodes())
			}
			want := "none" // the Chengdu extract has no restriction relations
			switch {
			case tc.profile == Foot:
				want = "not for foot"
			case strings.HasSuffix(tc.file, ".pbf"):
				want = "applied 27, skipped 0" // Monaco, 2016
			}
			if st.TurnRestrictions != want {
				t.Fatalf("turn restrictions %q, want %q", st.TurnRestrictions, want)
			}
		})
	}
}

const tinyXML = `<?xml version="1.0"?>
<osm version="0.6">
 <node id="1" lat="43.0" lon="7.0"/>
 <node id="2" lat="43.0" lon="7.001"/>
 <node id="3" lat="43.001" lon="7.001"/>
 <node id="4" lat="43.001" lon="7.0"/>
 <node id="5" lat="43.002" lon="7.0"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="residential"/><tag k="junction" v="roundabout"/><tag k="name" v="Ring"/></way>
 <way id="11"><nd ref="4"/><nd ref="5"/><tag k="highway" v="residential"/><tag k="access" v="private"/></way>
 <way id="12"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
</osm>`

func TestImportXMLRules(t *testing.T) {
	g, st, err := ImportXML(context.Background(), strings.NewReader(tinyXML), Car)
	if err != nil {
		t.Fatal(err)
	}
	// roundabout: 4 one-way edges; private and footway excluded (node 5 isolated, not even a node).
	if g.NumNodes() != 4 || g.NumEdges() != 4 || st.Ways != 1 {
		t.Fatalf("car: %d nodes %d edges %+v", g.NumNodes(), g.NumEdges(), st)
	}
	if g.EdgeName(0) != "Ring" {
		t.Fatalf("name %q", g.EdgeName(0))
	}
	g, st, err = ImportXML(context.Background(), strings.NewReader(tinyXML), Foot)
	if err != nil {
		t.Fatal(err)
	}
	// foot: ring both ways (8) + footway both ways (2); private residential excluded for foot too (access=private).
	if g.NumNodes() != 5 || g.NumEdges() != 10 {
		t.Fatalf("foot: %d nodes %d edges %+v", g.NumNodes(), g.NumEdges(), st)
	}
	if _, _, err := ImportXML(context.Background(), strings.NewReader(tinyXML), "bike"); !errors.Is(err, ErrProfile) {
		t.Fatalf("profile err %v", err)
	}
}

func TestOneway(t *testing.T) {
	for _, tc := range []struct {
		tags     map[string]string
		ok       bool
		fwd, bwd bool
	}{
		{map[string]string{"highway": "primary"}, true, true, true},
		{map[string]string{"highway": "primary", "oneway": "yes"}, true, true, false},
		{map[string]string{"highway": "primary", "oneway": "1"}, true, true, false},
		{map[string]string{"highway": "primary", "oneway": "true"}, true, true, false},
		{map[string]string{"highway": "primary", "oneway": "-1"}, true, false, true},
		{map[string]string{"highway": "primary", "oneway": "reversible"}, false, false, false},
		{map[string]string{"highway": "primary", "junction": "roundabout"}, true, true, false},
		{map[string]string{"highway": "primary", "junction": "roundabout", "oneway": "no"}, true, true, true},
		{map[string]string{"highway": "motorway"}, true, true, false},
		{map[string]string{"highway": "primary", "motor_vehicle": "no"}, false, false, false},
		{map[string]string{"highway": "primary", "access": "no", "motor_vehicle": "yes"}, true, true, true},
		{map[string]string{"highway": "footway"}, false, false, false},
		{map[string]string{"building": "yes"}, false, false, false},
	} {
		r, ok := rule(tagsOf(tc.tags), Car)
		if ok != tc.ok || (ok && (r.forward != tc.fwd || r.backward != tc.bwd)) {
			t.Errorf("%v: got %v %+v", tc.tags, ok, r)
		}
	}
	if _, ok := rule(tagsOf(map[string]string{"highway": "motorway"}), Foot); ok {
		t.Error("motorway walkable")
	}
	if r, ok := rule(tagsOf(map[string]string{"highway": "steps"}), Foot); !ok || !r.backward {
		t.Error("steps")
	}
}

func TestParseMaxspeed(t *testing.T) {
	for _, tc := range []struct {
		in  string
		kmh float64
		ok  bool
	}{
		{"50", 50, true}, {"50 km/h", 50, true}, {"50kmh", 50, true}, {" 30 mph", 48.28032, true},
		{"30mph", 48.28032, true}, {"walk", 5, true}, {"none", 0, false}, {"RU:urban", 0, false},
		{"", 0, false}, {"-5", 0, false}, {"0", 0, false}, {"1000", 0, false}, {"60;40", 60, true}, {"NaN", 0, false},
	} {
		v, ok := ParseMaxspeed(tc.in)
		if ok != tc.ok || (ok && (v-tc.kmh > 1e-6 || tc.kmh-v > 1e-6)) {
			t.Errorf("%q: %v %v", tc.in, v, ok)
		}
	}
}

func FuzzParseMaxspeed(f *testing.F) {
	for _, s := range []string{"50", "30 mph", "walk", "none", "60;40", "1e3", "inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseMaxspeed(s)
		if ok && !(v > 0 && v <= MaxSpeedMax) {
			t.Fatalf("%q -> %v", s, v)
		}
	})
}

func tagsOf(m map[string]string) (ts osm.Tags) {
	for k, v := range m {
		ts = append(ts, osm.Tag{Key: k, Value: v})
	}
	return ts
}
