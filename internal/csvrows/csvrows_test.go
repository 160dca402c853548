package csvrows

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type pair struct {
	Key string
	N   int
}

var testFormat = Format{Columns: []string{"key", "n", "note"}, Required: map[string]bool{"key": true, "n": true},
	Noun: "pair", KeyColumn: "key", KeyLabel: "key", MaxRows: 5, MaxErrors: 3}

func readPair(get func(string) string) (pair, string, *RowError) {
	n, err := strconv.Atoi(get("n"))
	if err != nil {
		return pair{}, "", &RowError{Column: "n", Message: "want a whole number"}
	}
	return pair{get("key"), n}, get("key"), nil
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []pair
		rows     []int
		errs     string // the errors as "row.column: message|..."
	}{
		{"comma", "key,n\na,1\nb,2\n", []pair{{"a", 1}, {"b", 2}}, []int{2, 3}, ""},
		{"bom semicolon any order", "\xef\xbb\xbf N ;KEY\n1;a\n\n2;b", []pair{{"a", 1}, {"b", 2}}, []int{2, 4}, ""},
		{"tab", "key\tn\tnote\na\t1\tx y\n", []pair{{"a", 1}}, []int{2}, ""},
		{"empty", "", nil, nil, "1.: the file is empty: want a header row and one row per pair"},
		{"header only", "key,n\n", nil, nil, "2.: no pairs: want one row per pair after the header"},
		{"unknown column", "key,n,colour\n", nil, nil, `1.[2]: unknown column "colour"; the columns are key, n, note`},
		{"twice", "key,n,KEY\n", nil, nil, "1.key: column key appears twice"},
		{"missing", "key,note\n", nil, nil, "1.n: missing required column n"},
		{"bad rows kept apart", "key,n\na,1\nb,x\n\"c\",1,2\nd,4\n", []pair{{"a", 1}, {"d", 4}}, []int{2, 5},
			"3.n: want a whole number|4.: 3 fields, the header has 2"},
		{"repeated key", "key,n\na,1\na,3\nb,4\n", []pair{{"a", 1}, {"b", 4}}, []int{2, 4}, "3.key: key a is also on row 2"},
		{"error cap", "key,n\na,x\nb,x\nc,x\nd,x\n", []pair{}, []int{}, "2.n: want a whole number|3.n: want a whole number|4.n: want a whole number"},
		{"row cap", "key,n\na,1\nb,2\nc,3\nd,4\ne,5\nf,6\n", []pair{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}}, []int{2, 3, 4, 5, 6},
			"7.: more than 5 pairs in one import"},
		{"quoting", "key,n\na,1\n\"b,2\n", nil, nil, `3.: malformed CSV: extraneous or missing " in quoted-field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rows, errs := Decode([]byte(tc.in), testFormat, readPair)
			var es []string
			for _, e := range errs {
				es = append(es, fmt.Sprintf("%d.%s: %s", e.Row, e.Column, e.Message))
			}
			if s := strings.Join(es, "|"); s != tc.errs {
				t.Fatalf("errors\n got %s\nwant %s", s, tc.errs)
			}
			if fmt.Sprint(got, rows) != fmt.Sprint(tc.want, tc.rows) {
				t.Fatalf("got %v rows %v, want %v rows %v", got, rows, tc.want, tc.rows)
			}
		})
	}
}

func TestDecodeHeaderHook(t *testing.T) {
	f := testFormat
	f.Header = func(has func(string) bool) *RowError {
		if has("note") {
			return &RowError{Row: 1, Column: "note", Message: "no notes"}
		}
		return nil
	}
	if _, _, errs := Decode([]byte("key,n\na,1\n"), f, readPair); len(errs) != 0 {
		t.Fatalf("without note: %v", errs)
	}
	_, _, errs := Decode([]byte("key,n,note\na,1,x\n"), f, readPair)
	if path, msg := errs.PathMessage(); len(errs) != 1 || path != "rows[1].note" || msg != "no notes" {
		t.Fatalf("with note: %v", errs)
	}
	if errs.Error() != "1 bad rows; first: rows[1].note: no notes" {
		t.Fatalf("Error() = %q", errs.Error())
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"key,n\na,1\n", "key;n\n\"a\";x\n", "n\tkey\n1\ta\n1\ta\n", "\xef\xbb\xbfkey,n\n\"", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, rows, errs := Decode(data, testFormat, readPair)
		if len(got) != len(rows) {
			t.Fatalf("%d records, %d rows", len(got), len(rows))
		}
		if len(got) == 0 && len(errs) == 0 {
			t.Fatal("no records and no errors")
		}
		if len(errs) > testFormat.MaxErrors+1 || len(got) > testFormat.MaxRows {
			t.Fatalf("%d errors, %d records: over the caps", len(errs), len(got))
		}
		seen := map[string]bool{}
		for i, p := range got {
			if seen[p.Key] || (i > 0 && rows[i] <= rows[i-1]) {
				t.Fatalf("repeated key or unordered rows: %v %v", got, rows)
			}
			seen[p.Key] = true
		}
	})
}
