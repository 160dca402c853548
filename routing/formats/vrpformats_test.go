package formats

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
)

// parseCheck returns the lines of a folder's parse_check.txt split in fields.
func parseCheck(t *testing.T, folder string) [][]string {
	t.Helper()
	f, err := os.Open(sdtest.Path(t, "bench/"+folder+"/parse_check.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 0 {
			out = append(out, fs)
		}
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	s = s[strings.IndexByte(s, '=')+1:]
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("parse_check value %q: %v", s, err)
	}
	return v
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	s = s[strings.IndexByte(s, '=')+1:]
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parse_check value %q: %v", s, err)
	}
	return v
}

// instanceFile returns the path of an instance if it is present, else "".
func instanceFile(t *testing.T, folder, name string) string {
	t.Helper()
	dir := sdtest.Path(t, "bench/"+folder+"/instances")
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func TestSolomonParseCheck(t *testing.T) {
	checked := 0
	for _, f := range parseCheck(t, "solomon-vrptw") {
		// C101.txt C101 vehicles 25 cap 200 customers 100 depot_due 1236.0 OK
		if len(f) != 11 || f[10] != "OK" {
			continue
		}
		path := instanceFile(t, "solomon-vrptw", f[0])
		if path == "" {
			continue
		}
		in, err := ReadFile(path, Solomon)
		if err != nil {
			t.Fatal(err)
		}
		p := in.Problem
		if in.Name != f[1] || in.FileVehicles != atoi(t, f[3]) || len(p.Vehicles) != in.FileVehicles ||
			p.Vehicles[0].Capacity[0] != int64(atoi(t, f[5])) || len(p.Jobs) != atoi(t, f[7]) ||
			p.Vehicles[0].Shift.End != atof(t, f[9]) {
			t.Errorf("%s: got name %s K %d cap %d jobs %d due %g; want %v", f[0], in.Name, in.FileVehicles,
				p.Vehicles[0].Capacity[0], len(p.Jobs), p.Vehicles[0].Shift.End, f)
		}
		if p.Time.Rows != len(p.Jobs)+1 || p.Vehicles[0].Start != 0 || p.Vehicles[0].End != 0 {
			t.Errorf("%s: matrix %d rows, depot %d/%d", f[0], p.Time.Rows, p.Vehicles[0].Start, p.Vehicles[0].End)
		}
		checked++
	}
	if checked != 56 {
		t.Errorf("checked %d Solomon instances, want 56", checked)
	}
}

func TestSolomonValues(t *testing.T) {
	path := instanceFile(t, "solomon-vrptw", "C101.txt")
	if path == "" {
		t.Skip("C101 missing")
	}
	in, err := ReadFile(path, Solomon)
	if err != nil {
		t.Fatal(err)
	}
	// 1      45         68         10        912        967         90
	j := in.Problem.Jobs[0]
	if j.ID != 1 || j.Stop.Location != 1 || j.Delivery[0] != 10 || j.Stop.Service != 90 ||
		j.Stop.Windows[0].Start != 912 || j.Stop.Windows[0].End != 967 {
		t.Errorf("job 1 = %+v", j)
	}
	want := math.Hypot(45-40, 68-50)
	if got := in.Problem.Dist.At(0, 1); got != want || in.Problem.Time.At(1, 0) != want {
		t.Errorf("d(0,1) = %v, want %v", got, want)
	}
	// CVRPLIB's optimal C101 routes cost 828.9369 in double precision (PROVENANCE).
	routes := [][]int64{
		{81, 78, 76, 71, 70, 73, 77, 79, 80}, {57, 55, 54, 53, 56, 58, 60, 59},
		{98, 96, 95, 94, 92, 93, 97, 100, 99}, {32, 33, 31, 35, 37, 38, 39, 36, 34},
		{13, 17, 18, 19, 15, 16, 14, 12}, {90, 87, 86, 83, 82, 84, 85, 88, 89, 91},
		{43, 42, 41, 40, 44, 46, 45, 48, 51, 50, 52, 49, 47}, {67, 65, 63, 62, 74, 72, 61, 64, 68, 66, 69},
		{5, 3, 7, 8, 10, 11, 9, 6, 4, 2, 1, 75}, {20, 24, 25, 27, 29, 30, 28, 26, 23, 22, 21},
	}
	if got := routesDistance(t, in, routes, 0); math.Abs(got-828.9369) > 1e-4 {
		t.Errorf("C101 optimal routes cost %.4f, want 828.9369", got)
	}
}

// routesDistance sums depot -> route -> depot distances, ids offset by off.
func routesDistance(t *testing.T, in *Instance, routes [][]int64, off int64) float64 {
	t.Helper()
	loc := map[int64]int{}
	for l, id := range in.LocationIDs {
		loc[id] = l
	}
	end := in.Problem.Vehicles[0].End
	seen := map[int64]bool{}
	total := 0.0
	for _, r := range routes {
		prev := in.Depot
		for _, id := range r {
			l, ok := loc[id+off]
			if !ok || seen[id] {
				t.Fatalf("%s: id %d unknown or repeated", in.Name, id)
			}
			seen[id] = true
			total += in.Problem.Dist.At(prev, l)
			prev = l
		}
		total += in.Problem.Dist.At(prev, end)
	}
	return total
}

func TestLiLimParseCheckAndBKS(t *testing.T) {
	sols, err := filepath.Glob(filepath.Join(sdtest.Path(t, "bench/lilim-pdptw/bks_solutions"), "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	solFor := map[string]string{}
	for _, s := range sols {
		b := filepath.Base(s)
		solFor[b[:strings.IndexByte(b, '.')]] = s
	}
	checked := 0
	for _, f := range parseCheck(t, "lilim-pdptw") {
		// lc101 106 53 25 200 | 10 828.9369 828.9369 feasible match
		if len(f) != 11 || f[5] != "|" {
			continue
		}
		path := instanceFile(t, "lilim-pdptw", f[0]+".txt")
		if path == "" {
			continue
		}
		in, err := ReadFile(path, LiLim)
		if err != nil {
			t.Fatal(err)
		}
		p := in.Problem
		if in.Name != f[0] || len(in.LocationIDs)-1 != atoi(t, f[1]) || len(p.Shipments) != atoi(t, f[2]) ||
			len(p.Vehicles) != atoi(t, f[3]) || p.Vehicles[0].Capacity[0] != int64(atoi(t, f[4])) {
			t.Errorf("%s: nodes %d pairs %d K %d cap %d; want %v", f[0], len(in.LocationIDs)-1,
				len(p.Shipments), len(p.Vehicles), p.Vehicles[0].Capacity[0], f)
		}
		for _, s := range p.Shipments {
			if s.Amount[0] <= 0 || in.LocationIDs[s.Pickup.Location] != s.PickupID ||
				in.LocationIDs[s.Delivery.Location] != s.DeliveryID {
				t.Fatalf("%s: bad shipment %+v", f[0], s)
			}
		}
		sf, ok := solFor[f[0]]
		if !ok {
			t.Fatalf("%s: no BKS solution file", f[0])
		}
		fh, err := os.Open(sf)
		if err != nil {
			t.Fatal(err)
		}
		sol, err := ReadSolution(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(sol.Routes) != atoi(t, f[6]) {
			t.Errorf("%s: %d routes, want %s", f[0], len(sol.Routes), f[6])
		}
		if got := routesDistance(t, in, sol.Routes, 0); math.Abs(got-atof(t, f[7])) > 1e-4 {
			t.Errorf("%s: BKS routes cost %.4f, want %s", f[0], got, f[7])
		}
		checked++
	}
	if checked != 56 {
		t.Errorf("checked %d Li & Lim instances, want 56", checked)
	}
}

func TestCordeauParseCheck(t *testing.T) {
	checked := 0
	for _, f := range parseCheck(t, "cordeau-darp") {
		// a2-16 K=2 n=16 nodes=34 T=480 Q=3 L=30 OK
		if len(f) != 8 || f[7] != "OK" {
			continue
		}
		path := instanceFile(t, "cordeau-darp", f[0]+".txt")
		if path == "" {
			continue
		}
		in, err := ReadFile(path, Cordeau)
		if err != nil {
			t.Fatal(err)
		}
		p := in.Problem
		v := p.Vehicles[0]
		n := atoi(t, f[2])
		if in.Name != f[0] || len(p.Vehicles) != atoi(t, f[1]) || len(p.Shipments) != n ||
			len(in.LocationIDs) != atoi(t, f[3]) || v.MaxDuration != atof(t, f[4]) ||
			v.Capacity[0] != int64(atoi(t, f[5])) || p.Shipments[0].MaxRideTime != atof(t, f[6]) ||
			v.Start != 0 || v.End != 2*n+1 || v.Shift.Start != 0 || v.Shift.End != atof(t, f[4]) {
			t.Errorf("%s: parsed %+v / %d shipments; want %v", f[0], v, len(p.Shipments), f)
		}
		for i, s := range p.Shipments {
			if s.Pickup.Location != i+1 || s.Delivery.Location != n+i+1 || s.Amount[0] != 1 || s.Pickup.Service != 3 {
				t.Fatalf("%s: shipment %d = %+v", f[0], i, s)
			}
		}
		checked++
	}
	if checked < 24 {
		t.Errorf("checked %d Cordeau instances, want >= 24", checked)
	}
}

func TestCVRPLIBParseCheckAndBKS(t *testing.T) {
	checked := 0
	for _, f := range parseCheck(t, "cvrplib-x") {
		// X-n101-k25 customers=100 cap=206 k=25 routes=26 stated=27591 recomputed=27591 feasible | ...
		if len(f) < 8 || !strings.HasPrefix(f[1], "customers=") {
			continue
		}
		path := instanceFile(t, "cvrplib-x", f[0]+".vrp")
		if path == "" {
			continue
		}
		in, err := ReadFile(path, CVRPLIB)
		if err != nil {
			t.Fatal(err)
		}
		p := in.Problem
		if in.Name != f[0] || len(p.Jobs) != atoi(t, f[1]) || p.Vehicles[0].Capacity[0] != int64(atoi(t, f[2])) ||
			in.MinVehicles != atoi(t, f[3]) || in.Depot != 0 {
			t.Errorf("%s: jobs %d cap %d k %d depot %d; want %v", f[0], len(p.Jobs), p.Vehicles[0].Capacity[0],
				in.MinVehicles, in.Depot, f)
		}
		if len(p.Vehicles) < atoi(t, f[4]) || len(p.Vehicles) > len(p.Jobs) {
			t.Errorf("%s: fleet %d below the BKS's %s routes or above the customers", f[0], len(p.Vehicles), f[4])
		}
		fh, err := os.Open(filepath.Join(filepath.Dir(filepath.Dir(path)), "solutions", f[0]+".sol"))
		if err != nil {
			t.Fatal(err)
		}
		sol, err := ReadSolution(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := routesDistance(t, in, sol.Routes, 1)
		if got != atof(t, f[6]) || sol.Cost != got || len(sol.Routes) != atoi(t, f[4]) {
			t.Errorf("%s: .sol recosted %v (stated %v, %d routes), want %s", f[0], got, sol.Cost, len(sol.Routes), f[6])
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("checked %d CVRPLIB instances, want >= 5", checked)
	}
}

func TestReadBKSAllFamilies(t *testing.T) {
	for _, tc := range []struct {
		file      string
		rows      int
		first     string
		value     float64
		vehicles  int
		optimal   bool
		anyEmptyV bool
	}{
		{"solomon-vrptw/bks.csv", 56, "C101", 828.94, 10, false, false},
		{"solomon-vrptw/bks_exact_trunc1.csv", 56, "C101", 827.3, 10, true, true},
		{"lilim-pdptw/bks.csv", 56, "lc101", 828.9369, 10, false, false},
		{"cordeau-darp/bks.csv", 24, "a2-16", 294.2480, 2, true, false},
		{"cvrplib-x/bks.csv", 5, "X-n101-k25", 27591, 26, true, false},
	} {
		fh, err := os.Open(sdtest.Path(t, "bench/"+tc.file))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ReadBKS(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(rows) < tc.rows {
			t.Errorf("%s: %d rows, want >= %d", tc.file, len(rows), tc.rows)
			continue
		}
		r := rows[0]
		if r.Instance != tc.first || r.Value != tc.value || r.Vehicles != tc.vehicles || r.Optimal != tc.optimal {
			t.Errorf("%s: first row %+v", tc.file, r)
		}
	}
}

func TestParseFamily(t *testing.T) {
	for _, f := range []Family{Solomon, LiLim, Cordeau, CVRPLIB} {
		g, err := ParseFamily(strings.ToUpper(f.String()))
		if err != nil || g != f {
			t.Errorf("ParseFamily(%s) = %v, %v", f, g, err)
		}
	}
	if _, err := ParseFamily("tsp"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ParseFamily(tsp) err = %v", err)
	}
}

// Small inline instances, valid and broken, for every reader; they also seed
// the fuzzers.
const (
	solomonOK = "T1\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO. X Y DEMAND READY DUE SERVICE\n\n" +
		"0 0 0 0 0 100 0\n1 3 4 5 0 50 2\n2 6 8 5 10 60 2\n"
	lilimOK   = "2\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n1\t3\t4\t5\t0\t50\t2\t0\t2\n2\t6\t8\t-5\t0\t60\t2\t1\t0\n"
	cordeOK   = "1 1 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n2 6 8 1 -1 10 60\n3 0 0 0 0 0 100\n"
	cvrplibOK = "NAME : T-n3-k1\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\n" +
		"NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1.4\nDEMAND_SECTION\n1 0\n2 4\n3 5\nDEPOT_SECTION\n1\n-1\nEOF\n"
)

func TestInlineInstances(t *testing.T) {
	for _, tc := range []struct {
		name string
		fam  Family
		text string
		err  error // nil = must parse
	}{
		{"solomon ok", Solomon, solomonOK, nil},
		{"solomon window reversed", Solomon, strings.Replace(solomonOK, "1 3 4 5 0 50 2", "1 3 4 5 60 50 2", 1), ErrFormat},
		{"solomon negative demand", Solomon, strings.Replace(solomonOK, "1 3 4 5 0", "1 3 4 -5 0", 1), ErrFormat},
		{"solomon duplicate id", Solomon, strings.Replace(solomonOK, "2 6 8", "1 6 8", 1), ErrFormat},
		{"solomon no vehicles", Solomon, "T\n0 0 0 0 0 100 0\n", ErrFormat},
		{"solomon huge fleet", Solomon, "T\n99999999 10\n0 0 0 0 0 100 0\n", ErrTooLarge},
		{"solomon NaN", Solomon, strings.Replace(solomonOK, "6 8 5", "NaN 8 5", 1), ErrFormat},
		{"lilim ok", LiLim, lilimOK, nil},
		{"lilim unpaired", LiLim, strings.Replace(lilimOK, "-5\t0\t60\t2\t1", "-4\t0\t60\t2\t1", 1), ErrFormat},
		{"lilim short row", LiLim, "2 10 1\n0 0 0 0 0 100 0 0\n", ErrFormat},
		{"cordeau ok", Cordeau, cordeOK, nil},
		{"cordeau wrong count", Cordeau, "1 2 100 3 30\n0 0 0 0 0 0 100\n", ErrFormat},
		{"cordeau huge n", Cordeau, "1 99999999 100 3 30\n", ErrTooLarge},
		{"cordeau load mismatch", Cordeau, strings.Replace(cordeOK, "1 -1 10", "1 -2 10", 1), ErrFormat},
		{"cvrplib ok", CVRPLIB, cvrplibOK, nil},
		{"cvrplib huge dimension", CVRPLIB, "DIMENSION : 1000000000\n", ErrTooLarge},
		{"cvrplib explicit", CVRPLIB, strings.Replace(cvrplibOK, "EUC_2D", "EXPLICIT", 1), ErrUnsupported},
		{"cvrplib id out of range", CVRPLIB, strings.Replace(cvrplibOK, "3 0 1.4", "4 0 1.4", 1), ErrFormat},
		{"cvrplib missing demand", CVRPLIB, strings.Replace(cvrplibOK, "3 5\n", "", 1), ErrFormat},
	} {
		in, err := Read(strings.NewReader(tc.text), tc.fam)
		if tc.err == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v (instance %+v)", tc.name, err, tc.err, in)
		}
	}
}

func TestInlineValues(t *testing.T) {
	in, err := Read(strings.NewReader(cvrplibOK), CVRPLIB)
	if err != nil {
		t.Fatal(err)
	}
	p := in.Problem
	// nint(5) = 5, nint(1.4) = 1, nint(hypot(3, 2.6) = 3.97) = 4.
	if p.Dist.At(0, 1) != 5 || p.Dist.At(0, 2) != 1 || p.Dist.At(1, 2) != 4 || p.Time.At(2, 1) != 4 {
		t.Errorf("EUC_2D distances %v", p.Dist.Data)
	}
	if in.MinVehicles != 1 || len(p.Vehicles) != 2 || p.Jobs[1].ID != 3 || p.Jobs[1].Delivery[0] != 5 {
		t.Errorf("k %d fleet %d jobs %+v", in.MinVehicles, len(p.Vehicles), p.Jobs)
	}
	in, err = Read(strings.NewReader(cordeOK), Cordeau)
	if err != nil {
		t.Fatal(err)
	}
	s := in.Problem.Shipments[0]
	if s.PickupID != 1 || s.DeliveryID != 2 || s.MaxRideTime != 30 || s.Delivery.Windows[0] != (routing.TimeWindow{Start: 10, End: 60}) {
		t.Errorf("cordeau shipment %+v", s)
	}
	if v := in.Problem.Vehicles[0]; v.End != 3 || v.MaxDuration != 100 || v.Capacity[0] != 3 {
		t.Errorf("cordeau vehicle %+v", v)
	}
}

func fuzzRead(f *testing.F, fam Family, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Read(strings.NewReader(string(data)), fam)
		if err != nil {
			if in != nil {
				t.Fatal("instance returned with an error")
			}
			return
		}
		p := in.Problem
		n := len(in.LocationIDs)
		if p.Time.Rows != n || p.Time.Cols != n || len(p.Time.Data) != n*n {
			t.Fatalf("matrix %dx%d for %d locations", p.Time.Rows, p.Time.Cols, n)
		}
		for _, j := range p.Jobs {
			if j.Stop.Location < 0 || j.Stop.Location >= n {
				t.Fatalf("job location %d", j.Stop.Location)
			}
		}
		for _, s := range p.Shipments {
			if s.Pickup.Location < 0 || s.Pickup.Location >= n || s.Delivery.Location < 0 || s.Delivery.Location >= n {
				t.Fatalf("shipment locations %d %d", s.Pickup.Location, s.Delivery.Location)
			}
		}
		if len(p.Vehicles) == 0 {
			t.Fatal("no vehicles")
		}
	})
}

func FuzzReadSolomon(f *testing.F) { fuzzRead(f, Solomon, solomonOK) }
func FuzzReadLiLim(f *testing.F)   { fuzzRead(f, LiLim, lilimOK) }
func FuzzReadCordeau(f *testing.F) {
	fixture, err := os.ReadFile("testdata/cordeau/a2-16-2n.txt")
	if err != nil {
		f.Fatal(err)
	}
	fuzzRead(f, Cordeau, cordeOK, cordeau2NOK, string(fixture),
		"1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n2 6 8 1 -1 10 60\n3 0 0 0 0 0 90\n", // 2n with end depot
		"1 0 100 3 30\n0 0 0 0 0 0 100\n",                   // no requests, 2n form
		"1 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 1440\n") // one row short
}
func FuzzReadCVRPLIB(f *testing.F) { fuzzRead(f, CVRPLIB, cvrplibOK) }

func FuzzReadBKS(f *testing.F) {
	f.Add([]byte("instance,value,vehicles\nC101,828.94,10\n"))
	f.Add([]byte("instance,value,vehicles,proven_optimal\nX,1,,yes\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadBKS(strings.NewReader(string(data)))
		if err == nil {
			for _, r := range rows {
				if r.Instance == "" || math.IsNaN(r.Value) || r.Vehicles < 0 {
					t.Fatalf("bad row %+v", r)
				}
			}
		}
	})
}

func FuzzReadSolution(f *testing.F) {
	f.Add([]byte("Route #1: 1 2 3\nRoute #2: 4\nCost 27591\n"))
	f.Add([]byte("Instance name : lc101\nSolution\nRoute 1 : 81 78\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadSolution(strings.NewReader(string(data)))
	})
}

// BenchmarkReadSolomon parses R101 (101 nodes, with its 101x101 matrix).
func BenchmarkReadSolomon(b *testing.B) {
	data, err := os.ReadFile(sdtest.Path(b, "bench/solomon-vrptw/instances/R101.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(strings.NewReader(string(data)), Solomon); err != nil {
			b.Fatal(err)
		}
	}
}
