package vroom

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

const example = `{
  "vehicles": [
    {"id": 7, "start_index": 0, "end_index": 0, "capacity": [4, 2], "skills": [1, 5],
     "time_window": [0, 10000], "max_travel_time": 9000, "costs": {"fixed": 100, "per_hour": 7200, "per_km": 500}},
    {"id": 8, "start": [2.35, 48.85], "start_index": 1, "capacity": [4, 2], "description": "van"}
  ],
  "jobs": [
    {"id": 1, "location_index": 1, "service": 300, "delivery": [1, 0], "skills": [1], "priority": 10,
     "time_windows": [[5000, 6000], [1000, 2000], [1500, 3000]], "class": 2},
    {"id": 2, "location_index": 2, "location": [2.3, 48.9], "pickup": [0, 1], "description": "x"}
  ],
  "shipments": [
    {"pickup": {"id": 1, "location_index": 2, "service": 60},
     "delivery": {"id": 9, "location_index": 3, "service": 30, "time_windows": [[0, 4000]]},
     "amount": [1, 1], "priority": 3, "class": 3, "max_ride_time": 1200}
  ],
  "incompatible": [[2, 3]],
  "cleaning_time": 600,
  "matrices": {"car": {
    "durations": [[0, 100, 200, 300], [100, 0, 150, 250], [200, 150, 0, 120], [300, 250, 120, null]],
    "distances": [[0, 1000, 2000, 3000], [1000, 0, 1500, 2500], [2000, 1500, 0, 1200], [3000, 2500, 1200, 0]]
  }}
}`

func TestDecodeExample(t *testing.T) {
	p, meta, err := Decode([]byte(example), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Objective != vrp.MinCost || p.Time.Rows != 4 || !math.IsInf(p.Time.At(3, 3), 1) || p.Dist.At(0, 3) != 3000 || !meta.Distances || meta.Dims != 2 {
		t.Fatalf("problem %+v meta %+v", p, meta)
	}
	v := p.Vehicles[0]
	if v.ID != 7 || v.Start != 0 || v.End != 0 || v.Shift.End != 10000 || v.MaxDuration != 9000 ||
		v.FixedCost != 100 || v.CostPerTime != 2 || v.CostPerDist != 0.5 || v.Skills[1] != 5 {
		t.Errorf("vehicle 0 %+v", v)
	}
	v = p.Vehicles[1]
	if v.Start != 1 || v.End != -1 || v.CostPerTime != 1 || !meta.HasPoint[1] || meta.Points[1] != (orb.Point{2.35, 48.85}) {
		t.Errorf("vehicle 1 %+v", v)
	}
	j := p.Jobs[0]
	want := []routing.TimeWindow{{Start: 1000, End: 3000}, {Start: 5000, End: 6000}}
	if j.ID != 1 || j.Priority != 10 || j.Class != 2 || len(j.Stop.Windows) != 2 || j.Stop.Windows[0] != want[0] || j.Stop.Windows[1] != want[1] {
		t.Errorf("job 0 %+v (windows sorted and merged)", j)
	}
	s := p.Shipments[0]
	if s.PickupID != 1 || s.DeliveryID != 9 || s.MaxRideTime != 1200 || s.Amount[1] != 1 || s.Delivery.Location != 3 {
		t.Errorf("shipment %+v", s)
	}
	if !p.Incompatible[2][3] || !p.Incompatible[3][2] || p.Incompatible[2][2] || p.CleaningTime != 600 {
		t.Errorf("classes %v cleaning %v", p.Incompatible[2][:4], p.CleaningTime)
	}
}

func TestDecodeErrors(t *testing.T) {
	veh := `"vehicles": [{"id": 1, "start_index": 0, "capacity": [2]}]`
	mat := `"matrices": {"car": {"durations": [[0, 1], [1, 0]]}}`
	for _, tc := range []struct {
		name, doc, path string
	}{
		{"no vehicles", `{"jobs": []}`, "vehicles"},
		{"duplicate job id", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1}, {"id": 1, "location_index": 0}]}`, "jobs[1].id"},
		{"duplicate vehicle id", `{"vehicles": [{"id": 1, "start_index": 0}, {"id": 1, "start_index": 1}], ` + mat + `}`, "vehicles[1].id"},
		{"duplicate delivery id", `{` + veh + `, ` + mat + `, "shipments": [
			{"pickup": {"id": 1, "location_index": 0}, "delivery": {"id": 2, "location_index": 1}},
			{"pickup": {"id": 2, "location_index": 0}, "delivery": {"id": 2, "location_index": 1}}]}`, "shipments[1].delivery.id"},
		{"missing id", `{` + veh + `, ` + mat + `, "jobs": [{"location_index": 1}]}`, "jobs[0].id"},
		{"index outside matrix", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 5}]}`, "jobs[0].location_index"},
		{"matrix not square", `{` + veh + `, "matrices": {"car": {"durations": [[0, 1], [1]]}}}`, "matrices.car.durations[1]"},
		{"matrix rows", `{` + veh + `, "matrices": {"car": {"durations": [[0, 1], [1, 0], [1, 1]]}}}`, "matrices.car.durations[2]"},
		{"negative matrix value", `{` + veh + `, "matrices": {"car": {"durations": [[0, -1], [1, 0]]}}}`, "matrices.car.durations[0][1]"},
		{"distances size", `{` + veh + `, "matrices": {"car": {"durations": [[0, 1], [1, 0]], "distances": [[0]]}}}`, "matrices.car.distances"},
		{"window reversed", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "time_windows": [[0, 10], [30, 20]]}]}`, "jobs[0].time_windows[1]"},
		{"negative service", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "service": -5}]}`, "jobs[0].service"},
		{"amount arity", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "delivery": [1, 1]}]}`, "vehicles[0].capacity"},
		{"amount arity between jobs", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "delivery": [1]}, {"id": 2, "location_index": 1, "pickup": [1, 2]}]}`, "jobs[1].pickup"},
		{"negative amount", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "delivery": [-1]}]}`, "jobs[0].delivery[0]"},
		{"capacity missing", `{"vehicles": [{"id": 1, "start_index": 0}], ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "delivery": [1]}]}`, "vehicles[0].capacity"},
		{"vehicle window reversed", `{"vehicles": [{"id": 1, "start_index": 0, "time_window": [9, 3]}], ` + mat + `}`, "vehicles[0].time_window"},
		{"vehicle without ends", `{"vehicles": [{"id": 1}], ` + mat + `}`, "vehicles[0]"},
		{"breaks", `{"vehicles": [{"id": 1, "start_index": 0, "breaks": [{"id": 1}]}], ` + mat + `}`, "vehicles[0].breaks"},
		{"setup", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "setup": 10}]}`, "jobs[0].setup"},
		{"class range", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "class": 64}]}`, "jobs[0].class"},
		{"incompatible pair", `{` + veh + `, ` + mat + `, "incompatible": [[1]]}`, "incompatible[0]"},
		{"negative ride", `{` + veh + `, ` + mat + `, "shipments": [{"pickup": {"id": 1, "location_index": 0}, "delivery": {"id": 2, "location_index": 1}, "max_ride_time": -1}]}`, "shipments[0].max_ride_time"},
		{"amount on pickup", `{` + veh + `, ` + mat + `, "shipments": [{"pickup": {"id": 1, "location_index": 0, "amount": [1]}, "delivery": {"id": 2, "location_index": 1}}]}`, "shipments[0].pickup"},
		{"coordinates with matrices", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location": [1, 2]}]}`, "jobs[0].location_index"},
		{"bad coordinate", `{"vehicles": [{"id": 1, "start": [200, 1]}]}`, "vehicles[0].start"},
		{"unknown profile", `{"vehicles": [{"id": 1, "start_index": 0, "profile": "bike"}], ` + mat + `}`, "matrices"},
		{"priority range", `{` + veh + `, ` + mat + `, "jobs": [{"id": 1, "location_index": 1, "priority": 101}]}`, "jobs[0].priority"},
		{"negative id", `{` + veh + `, ` + mat + `, "jobs": [{"id": -1, "location_index": 1}]}`, "jobs.id"},
		{"unknown field", `{` + veh + `, ` + mat + `, "jbos": []}`, ""},
	} {
		_, _, err := Decode([]byte(tc.doc), nil)
		var ve *Error
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want *Error", tc.name, err)
			continue
		}
		if ve.Path != tc.path {
			t.Errorf("%s: path %q (%v), want %q", tc.name, ve.Path, err, tc.path)
		}
	}
}

const coordDoc = `{
  "vehicles": [{"id": 1, "start": [2.0, 48.0], "end": [2.0, 48.0]}],
  "jobs": [{"id": 10, "location": [2.1, 48.0]}, {"id": 11, "location": [2.0, 48.1]}, {"id": 12, "location": [2.1, 48.0]}]
}`

// planar is a test provider: 100 s and 1000 m per 0.1 degree (Manhattan).
func planar(calls *[][]orb.Point) MatrixFunc {
	return func(pts []orb.Point) (routing.Matrix, routing.Matrix, error) {
		*calls = append(*calls, pts)
		n := len(pts)
		d, m := routing.NewMatrix(n, n), routing.NewMatrix(n, n)
		for i := range pts {
			for j := range pts {
				x := math.Round((math.Abs(pts[i][0]-pts[j][0])+math.Abs(pts[i][1]-pts[j][1]))*10) * 100
				d.Set(i, j, x)
				m.Set(i, j, 10*x)
			}
		}
		return d, m, nil
	}
}

func TestDecodeCoordinates(t *testing.T) {
	if _, _, err := Decode([]byte(coordDoc), nil); !errors.Is(err, ErrNoMatrixProvider) {
		t.Fatalf("nil provider: err = %v", err)
	}
	var calls [][]orb.Point
	p, meta, err := Decode([]byte(coordDoc), planar(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || len(calls[0]) != 3 || calls[0][0] != (orb.Point{2.0, 48.0}) {
		t.Fatalf("provider called with %v (want 3 distinct points, depot first)", calls)
	}
	if p.Jobs[0].Stop.Location != p.Jobs[2].Stop.Location || p.Vehicles[0].Start != 0 || p.Vehicles[0].End != 0 || !meta.Distances {
		t.Fatalf("locations %+v %+v", p.Jobs, p.Vehicles)
	}
	failing := func([]orb.Point) (routing.Matrix, routing.Matrix, error) {
		return routing.Matrix{}, routing.Matrix{}, routing.ErrUnreachable
	}
	_, _, err = Decode([]byte(coordDoc), failing)
	if !errors.Is(err, routing.ErrUnreachable) || ErrorOutput(err).Code != CodeRouting {
		t.Fatalf("provider error: %v", err)
	}
}

// Decode, solve (brute force and the engine), check and encode.
func TestRoundTrip(t *testing.T) {
	doc := `{
	  "vehicles": [{"id": 5, "start_index": 0, "end_index": 0, "capacity": [2], "time_window": [0, 2000]}],
	  "jobs": [{"id": 1, "location_index": 1, "service": 10, "delivery": [1]},
	           {"id": 2, "location_index": 2, "service": 10, "delivery": [1], "priority": 5},
	           {"id": 3, "location_index": 3, "service": 10, "delivery": [1]}],
	  "shipments": [{"pickup": {"id": 4, "location_index": 1, "service": 5}, "delivery": {"id": 4, "location_index": 3, "service": 5}, "amount": [1]}],
	  "matrices": {"car": {"durations": [[0, 100, 200, 300], [100, 0, 100, 200], [200, 100, 0, 100], [300, 200, 100, 0]],
	                       "distances": [[0, 1000, 2000, 3000], [1000, 0, 1000, 2000], [2000, 1000, 0, 1000], [3000, 2000, 1000, 0]]}}
	}`
	p, meta, err := Decode([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"brute", "engine"} {
		var s *vrp.Solution
		if name == "brute" {
			s = check.BruteForce(p)
		} else {
			s, err = vrp.Solve(context.Background(), p, vrp.Options{Seed: 1, TimeLimit: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
		}
		if vs := check.Plan(p, s); len(vs) != 0 {
			t.Fatalf("%s: plan violations %v", name, vs)
		}
		out := Encode(p, meta, s, ComputingTimes{Solving: 3})
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		sum := back["summary"].(map[string]any)
		// capacity 2 with 3 unit deliveries plus a unit shipment: two tasks
		// cannot be served; job 2 (priority 5) is.
		if out.Code != 0 || sum["routes"].(float64) != 1 || len(out.Routes[0].Steps) < 3 ||
			out.Routes[0].Steps[0].Type != "start" || out.Routes[0].Steps[len(out.Routes[0].Steps)-1].Type != "end" {
			t.Fatalf("%s: output %s", name, b)
		}
		served := map[string]bool{}
		for _, st := range out.Routes[0].Steps {
			if st.ID != nil {
				served[st.Type+string(rune('0'+*st.ID))] = true
			}
		}
		if !served["job2"] || sum["unassigned"].(float64) != float64(len(out.Unassigned)) || sum["priority"].(float64) < 5 {
			t.Fatalf("%s: served %v, output %s", name, served, b)
		}
		last := out.Routes[0].Steps[len(out.Routes[0].Steps)-1]
		if *last.Distance != *out.Routes[0].Distance || last.Duration != out.Routes[0].Duration || *out.Summary.Distance != s.Distance {
			t.Fatalf("%s: cumulated distance/duration %+v vs route %+v", name, last, out.Routes[0])
		}
		for _, u := range out.Unassigned {
			if u.Reason == "" {
				t.Fatalf("%s: unassigned without reason %+v", name, u)
			}
		}
		if !strings.Contains(string(b), `"computing_times":{"loading":0,"solving":3,"routing":0,"matrix":0,"encoding":`) {
			t.Fatalf("%s: computing times in %s", name, b)
		}
	}
	if o := ErrorOutput(&Error{Path: "jobs[0]", Message: "x"}); o.Code != CodeInput || o.Error != "vroom: jobs[0]: x" {
		t.Fatalf("error output %+v", o)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(coordDoc))
	f.Add([]byte(`{"vehicles": [{"id": 1, "start_index": 0}], "matrices": {"car": {"durations": [[0]]}}}`))
	f.Add([]byte(`{"vehicles": [{"id": 1, "start_index": 0}], "matrices": {"car": {"durations": [[0, null], [1e3, 0]]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var calls [][]orb.Point
		p, meta, err := Decode(data, planar(&calls))
		if err != nil {
			return
		}
		n := p.Time.Rows
		if p.Time.Cols != n || len(p.Time.Data) != n*n || len(p.Dist.Data) != n*n || len(meta.HasPoint) != n {
			t.Fatalf("matrix %dx%d, dist %d, points %d", n, p.Time.Cols, len(p.Dist.Data), len(meta.HasPoint))
		}
		for _, j := range p.Jobs {
			if j.Stop.Location < 0 || j.Stop.Location >= n {
				t.Fatalf("job location %d of %d", j.Stop.Location, n)
			}
			for k := 1; k < len(j.Stop.Windows); k++ {
				if j.Stop.Windows[k].Start < j.Stop.Windows[k-1].End {
					t.Fatalf("windows not sorted/merged: %v", j.Stop.Windows)
				}
			}
		}
		for _, v := range p.Vehicles {
			if v.Start >= n || v.End >= n || (v.Start < 0 && v.End < 0) || len(v.Capacity) != meta.Dims && meta.Dims > 0 {
				t.Fatalf("vehicle %+v of %d locations", v, n)
			}
		}
		// the empty plan encodes
		s := &vrp.Solution{}
		for i := range p.Jobs {
			s.Unassigned = append(s.Unassigned, vrp.Unassigned{Index: i, Reason: vrp.ReasonNoRoom})
		}
		if _, err := json.Marshal(Encode(p, meta, s, ComputingTimes{})); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkDecode decodes 200 jobs with a 201x201 matrix.
func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [100]}], "jobs": [`)
	n := 201
	for j := 1; j < n; j++ {
		if j > 1 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"id": ` + strconv.Itoa(j) + `, "location_index": ` + strconv.Itoa(j) + `, "service": 60, "delivery": [1], "time_windows": [[0, 36000]]}`)
	}
	sb.WriteString(`], "matrices": {"car": {"durations": [`)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("[")
		for j := 0; j < n; j++ {
			if j > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(strconv.Itoa((i*7 + j*13) % 900))
		}
		sb.WriteString("]")
	}
	sb.WriteString("]}}}")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Decode(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRun(t *testing.T) {
	out, err := Run(context.Background(), []byte(coordDoc), nil, vrp.Options{Seed: 1, TimeLimit: 100 * time.Millisecond})
	if !errors.Is(err, ErrNoMatrixProvider) || out.Code != CodeRouting || out.Error == "" {
		t.Fatalf("no provider: %+v, %v", out, err)
	}
	out, err = Run(context.Background(), []byte(`{"vehicles": []}`), nil, vrp.Options{})
	if err == nil || out.Code != CodeInput {
		t.Fatalf("invalid: %+v, %v", out, err)
	}
	var calls [][]orb.Point
	out, err = Run(context.Background(), []byte(coordDoc), planar(&calls), vrp.Options{Seed: 1, TimeLimit: 100 * time.Millisecond})
	if err != nil || out.Code != CodeOK || len(out.Routes) != 1 || len(out.Unassigned) != 0 || len(out.Routes[0].Steps) != 5 {
		t.Fatalf("run: %+v, %v", out, err)
	}
	// depot (2,48) -> (2.1,48) -> (2,48.1) -> depot: 100 + 200 + 100 s; jobs 10 and 12 share a place
	if out.Summary.Duration != 400 || *out.Summary.Distance != 4000 || out.Routes[0].Steps[1].Location == nil {
		t.Fatalf("summary %+v", out.Summary)
	}
}

// TestDescriptions: descriptions of jobs, shipment steps and vehicles come
// back on the solution's steps and routes, as VROOM returns them.
func TestDescriptions(t *testing.T) {
	doc := `{"vehicles":[{"id":1,"start_index":0,"end_index":0,"description":"van 3"}],
	  "jobs":[{"id":5,"location_index":1,"description":"Kangle Homes gate 2: 4 boxes"}],
	  "shipments":[{"description":"dialysis","pickup":{"id":6,"location_index":1,"description":"Kangle Homes gate 1"},
	                "delivery":{"id":7,"location_index":2}}],
	  "matrices":{"car":{"durations":[[0,10,20],[10,0,10],[20,10,0]]}}}`
	out, err := Run(context.Background(), []byte(doc), nil, vrp.Options{Seed: 1, MaxIterations: 50})
	if err != nil || len(out.Routes) != 1 {
		t.Fatalf("run: %+v, %v", out, err)
	}
	r := out.Routes[0]
	if r.Description != "van 3" {
		t.Errorf("route description %q", r.Description)
	}
	want := map[string]string{"job 5": "Kangle Homes gate 2: 4 boxes", "pickup 6": "Kangle Homes gate 1", "delivery 7": "dialysis"}
	for _, st := range r.Steps {
		if st.ID == nil {
			if st.Description != "" {
				t.Errorf("%s step has description %q", st.Type, st.Description)
			}
			continue
		}
		k := st.Type + " " + strconv.FormatUint(*st.ID, 10)
		if st.Description != want[k] {
			t.Errorf("%s: description %q, want %q", k, st.Description, want[k])
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("steps missing: %v", want)
	}
}
