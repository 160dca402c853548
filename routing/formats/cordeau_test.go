package formats

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
	"lifeline/routing/vrp"
	"lifeline/routing/vrp/check"
)

// cordeau2NOK is cordeOK in the 2n form: header field 2 counts the 2
// pickup and delivery nodes, and the destination depot row is gone.
const cordeau2NOK = "1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n2 6 8 1 -1 10 60\n"

// to2N rewrites an original Cordeau file in the 2n form: header field 2
// doubled, the destination depot row dropped unless keepEnd.
func to2N(t *testing.T, text string, keepEnd bool) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	h := strings.Fields(lines[0])
	n, err := strconv.Atoi(h[1])
	if err != nil || len(lines) != 2*n+3 {
		t.Fatalf("not an original Cordeau file: header %q, %d lines", lines[0], len(lines))
	}
	h[1] = strconv.Itoa(2 * n)
	out := append([]string{strings.Join(h, " ")}, lines[1:]...)
	if !keepEnd {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n") + "\n"
}

func TestCordeauVariantsInline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		text    string
		variant string
		err     error
		end     int // vehicle end location
		locs    int
	}{
		{"original", cordeOK, CordeauOriginal, nil, 3, 4},
		{"2n without end depot", cordeau2NOK, Cordeau2N, nil, 0, 3},
		{"2n with end depot", "1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n2 6 8 1 -1 10 60\n3 0 0 0 0 0 90\n", Cordeau2NEndDepot, nil, 3, 4},
		{"2n one row short", "1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n", "", ErrFormat, 0, 0},
		{"odd header, n+1 rows", "1 3 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n2 6 8 1 -1 10 60\n3 6 8 1 -1 10 60\n", "", ErrFormat, 0, 0},
		{"2n unpaired loads", strings.Replace(cordeau2NOK, "1 -1 10", "1 -2 10", 1), "", ErrFormat, 0, 0},
		{"2n ids out of order", strings.Replace(cordeau2NOK, "2 6 8", "5 6 8", 1), "", ErrFormat, 0, 0},
	} {
		in, err := Read(strings.NewReader(tc.text), Cordeau)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || in != nil {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		v := in.Problem.Vehicles[0]
		if in.Variant != tc.variant || v.End != tc.end || len(in.LocationIDs) != tc.locs || len(in.Problem.Shipments) != 1 {
			t.Errorf("%s: variant %q end %d locations %d shipments %d; want %q %d %d 1",
				tc.name, in.Variant, v.End, len(in.LocationIDs), len(in.Problem.Shipments), tc.variant, tc.end, tc.locs)
		}
		s := in.Problem.Shipments[0]
		if s.Pickup.Location != 1 || s.Delivery.Location != 2 || s.DeliveryID != 2 || s.Delivery.Windows[0] != (routing.TimeWindow{Start: 10, End: 60}) {
			t.Errorf("%s: shipment %+v", tc.name, s)
		}
	}
	// The error names both readings of the header.
	_, err := Read(strings.NewReader("1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n"), Cordeau)
	if err == nil || !strings.Contains(err.Error(), "2n+2 = 6") || !strings.Contains(err.Error(), "3 or 4 (header 2n = 2 nodes)") {
		t.Errorf("error %v does not name both readings", err)
	}
	// Shift of the 2n variant: from the origin depot's window.
	in, err := Read(strings.NewReader(cordeau2NOK), Cordeau)
	if err != nil {
		t.Fatal(err)
	}
	if v := in.Problem.Vehicles[0]; v.Start != 0 || v.Shift != (routing.TimeWindow{Start: 0, End: 100}) || v.MaxDuration != 100 {
		t.Errorf("2n vehicle %+v", v)
	}
}

// TestCordeauVariantsAllA rewrites every a-series file in both 2n forms:
// with the end depot row the problem must be the original one exactly;
// without it, the same but for the vehicles' end (the origin depot, at the
// same place) and the missing location.
func TestCordeauVariantsAllA(t *testing.T) {
	dir := sdtest.Path(t, "bench/cordeau-darp/instances")
	files, err := filepath.Glob(filepath.Join(dir, "a*.txt"))
	if err != nil || len(files) < 24 {
		t.Fatalf("%d a-series files (%v), want 24", len(files), err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := Read(strings.NewReader(string(raw)), Cordeau)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if orig.Variant != CordeauOriginal {
			t.Errorf("%s: variant %q", f, orig.Variant)
		}
		withEnd, err := Read(strings.NewReader(to2N(t, string(raw), true)), Cordeau)
		if err != nil {
			t.Fatalf("%s 2n+end: %v", f, err)
		}
		if withEnd.Variant != Cordeau2NEndDepot || !reflect.DeepEqual(withEnd.Problem, orig.Problem) ||
			!reflect.DeepEqual(withEnd.LocationIDs, orig.LocationIDs) {
			t.Errorf("%s: the 2n form with the end depot reads as a different problem (variant %q)", f, withEnd.Variant)
		}
		noEnd, err := Read(strings.NewReader(to2N(t, string(raw), false)), Cordeau)
		if err != nil {
			t.Fatalf("%s 2n: %v", f, err)
		}
		n := len(orig.Problem.Shipments)
		p, q := noEnd.Problem, orig.Problem
		if noEnd.Variant != Cordeau2N || len(noEnd.LocationIDs) != 2*n+1 || !reflect.DeepEqual(p.Shipments, q.Shipments) {
			t.Fatalf("%s 2n: variant %q, %d locations, shipments equal %v", f, noEnd.Variant, len(noEnd.LocationIDs), reflect.DeepEqual(p.Shipments, q.Shipments))
		}
		for i := 0; i <= 2*n; i++ {
			for j := 0; j <= 2*n; j++ {
				if p.Dist.At(i, j) != q.Dist.At(i, j) || p.Time.At(i, j) != q.Time.At(i, j) {
					t.Fatalf("%s 2n: matrix differs at %d,%d", f, i, j)
				}
			}
		}
		for k, v := range p.Vehicles {
			w := q.Vehicles[k]
			w.End = 0 // the end depot of the a-series is the origin depot's place and window
			if !reflect.DeepEqual(v, w) {
				t.Fatalf("%s 2n: vehicle %+v, want %+v", f, v, w)
			}
		}
	}
}

// TestCordeauFixture2N reads the b-style fixture (a2-16 in the 2n form
// without the end depot) and solves it: the plan must pass the checker and
// cost no less than a2-16's proven optimum 294.2480 (the same instance).
func TestCordeauFixture2N(t *testing.T) {
	in, err := ReadFile("testdata/cordeau/a2-16-2n.txt", Cordeau)
	if err != nil {
		t.Fatal(err)
	}
	p := in.Problem
	if in.Variant != Cordeau2N || in.Name != "a2-16-2n" || len(p.Shipments) != 16 || len(in.LocationIDs) != 33 ||
		len(p.Vehicles) != 2 || p.Vehicles[0].End != 0 || p.Vehicles[0].Shift.End != 480 {
		t.Fatalf("fixture: variant %q name %q, %d shipments, %d locations, vehicles %+v",
			in.Variant, in.Name, len(p.Shipments), len(in.LocationIDs), p.Vehicles)
	}
	s, err := vrp.Solve(context.Background(), p, vrp.Options{Seed: 1, MaxIterations: 800})
	if err != nil {
		t.Fatal(err)
	}
	if vs := check.Plan(p, s); len(vs) > 0 {
		t.Fatalf("infeasible plan: %v", vs)
	}
	if len(s.Unassigned) != 0 || s.Distance < 294.2480-1e-3 || s.Distance > 294.2480*1.05 {
		t.Errorf("a2-16 in the 2n form: distance %.4f with %d unassigned; optimum 294.2480", s.Distance, len(s.Unassigned))
	}
}
