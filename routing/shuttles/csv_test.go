package shuttles

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"lifeline/zones"
)

const csvHeader = "pseudonym,name,phone,compound_id,lon,lat,boarding_label,boarding_kind,category,colour,code_set_on,facility_id,wheelchair,companions,weekdays,start,duration_min,due_date\n"

func csvRow(p string) string {
	return p + ",Test Person,+86 100 0000 0001,3,104.07,30.65,north gate,gate,dialysis,green,2026-11-30,3,yes,1,mon wed fri,07:30,240,\n"
}

func TestDecodeCSV(t *testing.T) {
	good := csvHeader + csvRow("D-001") + "P-002,Other Person,13800000002,4,104.08,30.66,building 7,building,prenatal,yellow,2026-11-29,2,,,,,,2027-01-15\n"
	rs, rows, err := DecodeCSV([]byte("\xef\xbb\xbf" + good))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rows[0] != 2 || rows[1] != 3 {
		t.Fatalf("riders %d rows %v", len(rs), rows)
	}
	d := rs[0]
	if d.Pseudonym != "D-001" || !d.Mobility.Wheelchair || d.Mobility.Companions != 1 || len(d.Sessions) != 1 ||
		strings.Join(d.Sessions[0].Weekdays, ",") != "mon,wed,fri" || d.Sessions[0].DurationMin != 240 || d.Boarding.Point[1] != 30.65 {
		t.Fatalf("dialysis rider: %+v", d)
	}
	if rs[1].Category != CategoryPrenatal || rs[1].DueDate != "2027-01-15" || rs[1].Sessions != nil || rs[1].HealthCode.Colour != zones.CodeYellow {
		t.Fatalf("prenatal rider: %+v", rs[1])
	}
	// Semicolons, shuffled columns, upper case values.
	semi := "Category; pseudonym;name;phone;compound_id;lon;lat;boarding_label;boarding_kind;colour;code_set_on;facility_id\n" +
		"OTHER;O-003;A B;12345;1;104;30;gate;GATE;GREEN;2026-11-30;4\n\n"
	if rs, _, err := DecodeCSV([]byte(semi)); err != nil || len(rs) != 1 || rs[0].Category != CategoryOther {
		t.Fatalf("semicolons: %v %v", rs, err)
	}

	cases := []struct {
		name, data string
		want       []string // paths of the errors
	}{
		{"empty", "", []string{"rows[1]"}},
		{"header only", csvHeader, []string{"rows[2]"}},
		{"unknown column", "pseudonym,shoe\n", []string{"rows[1].[1]"}},
		{"duplicate column", strings.Replace(csvHeader, "due_date", "name", 1), []string{"rows[1].name"}},
		{"missing column", strings.Replace(csvHeader, "facility_id,", "", 1), []string{"rows[1].facility_id"}},
		{"session at 25:00", csvHeader + strings.Replace(csvRow("D-001"), "07:30", "25:00", 1), []string{"rows[2].start"}},
		{"one error per bad row", csvHeader + csvRow("D-001") + strings.Replace(csvRow("D-002"), "dialysis", "surgery", 1) +
			strings.Replace(csvRow("D-003"), "green", "blue", 1) + csvRow("D-004") + strings.Replace(csvRow("D-005"), "104.07", "east", 1),
			[]string{"rows[3].category", "rows[4].colour", "rows[6].lon"}},
		{"duplicate pseudonym", csvHeader + csvRow("D-001") + csvRow("D-001"), []string{"rows[3].pseudonym"}},
		{"bad compound", csvHeader + strings.Replace(csvRow("D-001"), ",3,104.07", ",x,104.07", 1), []string{"rows[2].compound_id"}},
		{"bad wheelchair", csvHeader + strings.Replace(csvRow("D-001"), ",yes,", ",maybe,", 1), []string{"rows[2].wheelchair"}},
		{"too many companions", csvHeader + strings.Replace(csvRow("D-001"), ",yes,1,", ",yes,5,", 1), []string{"rows[2].companions"}},
		{"bad weekday", csvHeader + strings.Replace(csvRow("D-001"), "mon wed fri", "mon wed funday", 1), []string{"rows[2].weekdays"}},
		{"no duration", csvHeader + strings.Replace(csvRow("D-001"), ",240,", ",,", 1), []string{"rows[2].duration_min"}},
		{"dialysis without session", csvHeader + strings.Replace(csvRow("D-001"), "mon wed fri,07:30,240", ",,", 1), []string{"rows[2].weekdays"}},
		{"lat out of range", csvHeader + strings.Replace(csvRow("D-001"), "30.65", "95", 1), []string{"rows[2].lon"}},
		{"short row", csvHeader + "D-001,x\n", []string{"rows[2]"}},
		{"bad quoting", csvHeader + csvRow("D-001") + "\"D-002,x\"y\n", []string{"rows[3]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeCSV([]byte(tc.data))
			var re RowErrors
			if !errors.As(err, &re) {
				t.Fatalf("want RowErrors, got %v", err)
			}
			var got []string
			for _, e := range re {
				got = append(got, e.Path())
				if e.Message == "" {
					t.Errorf("%s: no message", e.Path())
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("errors %v, want %v (%v)", got, tc.want, re)
			}
		})
	}
}

func TestDecodeCSVLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := 0; i < MaxImportRows+1; i++ {
		b.WriteString(csvRow(fmt.Sprintf("D-%04d", i)))
	}
	_, _, err := DecodeCSV([]byte(b.String()))
	var re RowErrors
	if !errors.As(err, &re) || len(re) != 1 || !strings.Contains(re[0].Message, "more than") {
		t.Fatalf("too many rows: %v", err)
	}
	b.Reset()
	b.WriteString(csvHeader)
	for i := 0; i < 2*MaxImportErrors; i++ {
		b.WriteString(strings.Replace(csvRow(fmt.Sprintf("D-%04d", i)), "green", "blue", 1))
	}
	if _, _, err := DecodeCSV([]byte(b.String())); !errors.As(err, &re) || len(re) != MaxImportErrors {
		t.Fatalf("errors capped at %d: got %d", MaxImportErrors, len(re))
	}
}

// FuzzDecodeCSV: the decoder never panics; it returns either valid riders
// with increasing rows and unique pseudonyms, or row errors with messages.
func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte(csvHeader + csvRow("D-001")))
	f.Add([]byte(csvHeader + strings.Replace(csvRow("D-001"), "07:30", "25:00", 1)))
	f.Add([]byte("pseudonym;name\n\"a;b\n"))
	f.Add([]byte("\xef\xbb\xbf" + csvHeader + "\n\n" + csvRow("D-002")))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, rows, err := DecodeCSV(data)
		if err != nil {
			var re RowErrors
			if !errors.As(err, &re) || len(re) == 0 || len(re) > MaxImportErrors+1 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, e := range re {
				if e.Message == "" || e.Row < 0 {
					t.Fatalf("bad row error %+v", e)
				}
			}
			return
		}
		if len(rs) == 0 || len(rs) != len(rows) {
			t.Fatalf("%d riders, %d rows", len(rs), len(rows))
		}
		seen := map[string]bool{}
		for i := range rs {
			if err := rs[i].Validate(); err != nil {
				t.Fatalf("row %d invalid: %v", rows[i], err)
			}
			if seen[rs[i].Pseudonym] || (i > 0 && rows[i] <= rows[i-1]) {
				t.Fatalf("duplicate or unordered at row %d", rows[i])
			}
			seen[rs[i].Pseudonym] = true
		}
	})
}
