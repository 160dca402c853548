package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A two-request Cordeau instance: both requests fit one vehicle.
const solveTiny = "2 2 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 100\n2 6 8 1 1 0 100\n" +
	"3 0 8 1 -1 0 100\n4 6 0 1 -1 0 100\n5 0 0 0 0 0 100\n"

// solveTiny in the 2n form: header field 2 counts the 4 nodes, no end
// depot row.
const solveTiny2N = "2 4 100 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 100\n2 6 8 1 1 0 100\n" +
	"3 0 8 1 -1 0 100\n4 6 0 1 -1 0 100\n"

func TestSolveCordeau2N(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t2-2n.txt")
	if err := os.WriteFile(file, []byte(solveTiny2N), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"solve", "--format", "cordeau", "--iterations", "200", file}, &out, &errb, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var got solveOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Variant != "2n-nodes" || !got.Feasible || len(got.Unassigned) != 0 || len(got.Routes) == 0 {
		t.Fatalf("output %+v", got)
	}
	if !strings.Contains(out.String(), `"variant":"2n-nodes"`) {
		t.Errorf("JSON lacks the variant: %s", out.String())
	}
	if err := run(context.Background(), []string{"solve", "--format", "cordeau", "--iterations", "-1", file}, &out, &errb, func(string) string { return "" }); err == nil {
		t.Error("--iterations -1 accepted")
	}
}

func TestSolveCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "instances"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "instances", "t2-2.txt")
	if err := os.WriteFile(file, []byte(solveTiny), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"solve", "--format", "cordeau", "--time-limit", "200ms", file}, &out, &errb, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var got solveOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Instance != "t2-2" || got.Variant != "n-requests" || !got.Feasible || len(got.Unassigned) != 0 || got.Distance <= 0 || got.Objective != got.Distance {
		t.Fatalf("output %+v", got)
	}
	seen := map[int64]bool{}
	for _, r := range got.Routes {
		for _, id := range r {
			if id == 0 || id == 5 || seen[id] {
				t.Fatalf("depot or repeated id in routes %v", got.Routes)
			}
			seen[id] = true
		}
	}
	if len(seen) != 4 {
		t.Fatalf("routes %v do not serve ids 1..4", got.Routes)
	}
	// bench mode over the folder, with a bks.csv
	if err := os.WriteFile(filepath.Join(dir, "bks.csv"), []byte("instance,value,vehicles\nt2-2,1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"solve", "--bench", "--format", "cordeau", "--dir", dir, "--time-limit", "100ms"}, &out, &errb, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "t2-2") || !strings.Contains(out.String(), "# summary cordeau: vehicles equal to BKS on") {
		t.Fatalf("bench output:\n%s", out.String())
	}
	// --instances selects exactly the listed instances, not those after them
	file2 := filepath.Join(dir, "instances", "t2-3.txt")
	if err := os.WriteFile(file2, []byte(solveTiny), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"solve", "--bench", "--format", "cordeau", "--dir", dir, "--instances", "t2-2", "--time-limit", "100ms"}, &out, &errb, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "# family cordeau, 1 instances") || strings.Contains(out.String(), "t2-3") {
		t.Fatalf("--instances t2-2 ran others:\n%s", out.String())
	}
	// errors
	for _, args := range [][]string{
		{"solve", file},
		{"solve", "--format", "tsp", file},
		{"solve", "--format", "cordeau"},
		{"solve", "--format", "solomon", "--time-limit", "100ms", file},
		{"solve", "--bench", "--format", "cordeau", "--dir", dir, "--instances", "nope"},
	} {
		if err := run(context.Background(), args, &out, &errb, func(string) string { return "" }); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestNaturalLess(t *testing.T) {
	for _, c := range [][2]string{{"a2-16", "a2-20"}, {"a2-24", "a3-18"}, {"C101", "C201"}, {"lc109", "lc201"}, {"X-n101-k25", "X-n110-k13"}} {
		if !naturalLess(c[0], c[1]) || naturalLess(c[1], c[0]) {
			t.Errorf("naturalLess(%s, %s) wrong", c[0], c[1])
		}
	}
}

func TestSolveBenchSeedsTrace(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "instances"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "instances", "t2-2.txt"), []byte(solveTiny), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bks.csv"), []byte("instance,value,vehicles\nt2-2,1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := filepath.Join(dir, "trace")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"solve", "--bench", "--format", "cordeau", "--dir", dir, "--seeds", "1-3", "--iterations", "300", "--trace", tr},
		&out, &errb, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	s := out.String()
	for _, want := range []string{"300 iterations per instance, seed 1,", "seed 3,", "# spread over 3 seeds (1..3)", "# spread cordeau: mean gap", "feasible 3 of 3 runs"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	for _, f := range []string{"t2-2-s1.csv", "t2-2-s2.csv", "t2-2-s3.csv", "t2-2.svg"} {
		b, err := os.ReadFile(filepath.Join(tr, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".csv") && (!strings.HasPrefix(string(b), "worker,iteration,seconds,priority,vehicles,cost\n") || !strings.Contains(string(b), "\n-1,300,")) {
			t.Errorf("%s:\n%s", f, b)
		}
		if strings.HasSuffix(f, ".svg") && !strings.Contains(string(b), "<polyline") {
			t.Errorf("%s:\n%s", f, b)
		}
	}
}

func TestParseSeeds(t *testing.T) {
	for in, want := range map[string]string{"1-5": "[1 2 3 4 5]", "3": "[3]", "2,7": "[2 7]", "4-4": "[4]"} {
		got, err := parseSeeds(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"5-1", "a-b", "1,x", "", "0-5000"} {
		if _, err := parseSeeds(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
