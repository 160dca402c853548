package api

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"104.06", 104.06, true}, {"-30.5", -30.5, true}, {"1e3", 1000, true},
		{"1E-2", 0.01, true}, {"2.5e+1", 25, true},
		{"0x1p6", 0, false}, {"1_04", 0, false}, {"+5", 0, false}, {"Inf", 0, false}, {"-Inf", 0, false},
		{"NaN", 0, false}, {"infinity", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"1e", 0, false},
		{"-", 0, false}, {"", 0, false}, {"01", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1e999", 0, false},
		{"0x10", 0, false}, {"1,5", 0, false}, {"١", 0, false},
	} {
		got, ok := ParseNumber(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{{"0", 0, true}, {"9", 9, true}, {"-3", -3, true}, {"12", 12, true}, {"09", 0, false}, {"+1", 0, false},
		{"1_0", 0, false}, {"0x9", 0, false}, {"1.0", 0, false}, {"-", 0, false}, {"1e2", 0, false}} {
		got, ok := parseInt(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseInt(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseNumber: ParseNumber accepts exactly the finite JSON numbers,
// with the value encoding/json gives them.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.5e3", "0x1p6", "1_04", "+5", "Inf", "NaN", ".5", "01", "1e999", "-0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseNumber(s)
		var v float64
		jerr := json.Unmarshal([]byte(s), &v)
		jsonOK := jerr == nil && strings.TrimSpace(s) == s && len(s) <= 64 && !strings.ContainsAny(s, "n")
		if ok != jsonOK {
			t.Fatalf("ParseNumber(%q) ok=%v, encoding/json ok=%v (%v)", s, ok, jsonOK, jerr)
		}
		if ok && (got != v || math.IsInf(got, 0)) {
			t.Fatalf("ParseNumber(%q) = %v, encoding/json %v", s, got, v)
		}
		if i, ok := parseInt(s); ok {
			if want, err := strconv.Atoi(s); err != nil || want != i || !jsonOK {
				t.Fatalf("parseInt(%q) = %d but Atoi %d %v / json %v", s, i, want, err, jsonOK)
			}
		}
	})
}
