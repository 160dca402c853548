package shuttles

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"lifeline/internal/csvrows"
	"lifeline/zones"
)

// CSV import of a hospital's spreadsheet: one rider per row after a header
// row naming the columns (any order, case-insensitive, surrounding spaces
// ignored; a UTF-8 byte-order mark is skipped). Comma, semicolon or tab
// separated (guessed from the header).
//
//	pseudonym, name, phone, compound_id, lon, lat, boarding_label,
//	boarding_kind (gate|building), category, colour, code_set_on
//	(YYYY-MM-DD), facility_id                       required
//	wheelchair (yes/no, true/false, 1/0; default no), companions (default
//	0), weekdays ("mon wed fri", separated by spaces, commas or
//	semicolons), start (HH:MM), duration_min, due_date       optional
//
// A row with weekdays describes one weekly session. Rows are numbered as
// in the file (the header is row 1).
var CSVColumns = []string{"pseudonym", "name", "phone", "compound_id", "lon", "lat", "boarding_label", "boarding_kind",
	"category", "colour", "code_set_on", "facility_id", "wheelchair", "companions", "weekdays", "start", "duration_min", "due_date"}

var csvRequired = map[string]bool{"pseudonym": true, "name": true, "phone": true, "compound_id": true, "lon": true, "lat": true,
	"boarding_label": true, "boarding_kind": true, "category": true, "colour": true, "code_set_on": true, "facility_id": true}

// Import limits.
const (
	MaxImportRows   = 5000
	MaxImportErrors = 100
)

// RowError is one problem of an imported row; its Path is "rows[3].start".
type RowError = csvrows.RowError

// RowErrors is every problem found in an import (at most MaxImportErrors),
// in row order. Nothing is written when there is any.
type RowErrors = csvrows.RowErrors

// fieldColumn maps a Validate path to the CSV column that holds it.
func fieldColumn(path string) string {
	switch {
	case path == "boarding.point":
		return "lon"
	case path == "boarding.label":
		return "boarding_label"
	case path == "boarding.kind":
		return "boarding_kind"
	case path == "health_code.colour":
		return "colour"
	case path == "health_code.set_on":
		return "code_set_on"
	case path == "mobility.companions":
		return "companions"
	case strings.HasPrefix(path, "sessions[0].weekdays"):
		return "weekdays"
	case strings.HasPrefix(path, "sessions[0]."):
		return strings.TrimPrefix(path, "sessions[0].")
	case strings.HasPrefix(path, "sessions"):
		return "weekdays"
	}
	return path
}

// RowErrorOf turns an error about row's rider (a *zones.ValidationError
// from Validate or Rules.Check) into a RowError naming the column.
func RowErrorOf(row int, err error) RowError {
	var ve *zones.ValidationError
	if errors.As(err, &ve) {
		return RowError{Row: row, Column: fieldColumn(ve.Path), Message: ve.Message}
	}
	return RowError{Row: row, Message: err.Error()}
}

var csvFormat = csvrows.Format{Columns: CSVColumns, Required: csvRequired, Noun: "rider",
	KeyColumn: "pseudonym", KeyLabel: "pseudonym", MaxRows: MaxImportRows, MaxErrors: MaxImportErrors}

// DecodeCSV reads riders from a CSV file. It returns the riders with the
// file row of each, or RowErrors listing every bad row (each checked with
// Rider.Validate) and structural problems (bad header, malformed CSV, too
// many rows) as errors of row 1 or of the row concerned. Pseudonyms must
// not repeat within the file.
func DecodeCSV(data []byte) ([]Rider, []int, error) {
	rs, rows, errs := DecodeCSVRows(data)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return rs, rows, nil
}

// DecodeCSVRows is DecodeCSV that also returns the good rows when some are
// bad, so that a caller can check them further and report every bad row at
// once. After a structural error (header, quoting) no rider is returned.
func DecodeCSVRows(data []byte) ([]Rider, []int, RowErrors) {
	return csvrows.Decode(data, csvFormat, func(get func(string) string) (Rider, string, *RowError) {
		r, e := riderFromRow(get)
		if e == nil {
			if err := r.Validate(); err != nil {
				re := RowErrorOf(0, err)
				e = &re
			}
		}
		return r, r.Pseudonym, e
	})
}

func truncate(s string, n int) string { return csvrows.Truncate(s, n) }

func riderFromRow(get func(string) string) (Rider, *RowError) {
	bad := func(c, format string, a ...any) (Rider, *RowError) {
		return Rider{}, &RowError{Column: c, Message: fmt.Sprintf(format, a...)}
	}
	r := Rider{
		Pseudonym: get("pseudonym"), Name: get("name"), Phone: get("phone"),
		Boarding:   Boarding{Label: get("boarding_label"), Kind: BoardingKind(strings.ToLower(get("boarding_kind")))},
		Category:   Category(strings.ToLower(get("category"))),
		HealthCode: HealthCode{Colour: zones.HealthCode(strings.ToLower(get("colour"))), SetOn: get("code_set_on")},
		DueDate:    get("due_date"),
	}
	ints := []struct {
		c   string
		dst *int64
	}{{"compound_id", &r.CompoundID}, {"facility_id", &r.FacilityID}}
	for _, x := range ints {
		v, err := strconv.ParseInt(get(x.c), 10, 64)
		if err != nil || v <= 0 {
			return bad(x.c, "want a positive whole number, got %q", truncate(get(x.c), 40))
		}
		*x.dst = v
	}
	var p orb.Point
	for i, c := range []string{"lon", "lat"} {
		v, err := strconv.ParseFloat(get(c), 64)
		if err != nil {
			return bad(c, "want a number in degrees, got %q", truncate(get(c), 40))
		}
		p[i] = v
	}
	r.Boarding.Point = p
	switch strings.ToLower(get("wheelchair")) {
	case "", "no", "n", "false", "0":
	case "yes", "y", "true", "1":
		r.Mobility.Wheelchair = true
	default:
		return bad("wheelchair", "want yes or no, got %q", truncate(get("wheelchair"), 40))
	}
	if s := get("companions"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return bad("companions", "want a whole number, got %q", truncate(s, 40))
		}
		r.Mobility.Companions = v
	}
	wd, start, dur := get("weekdays"), get("start"), get("duration_min")
	if wd != "" || start != "" || dur != "" {
		s := Session{Start: start}
		s.Weekdays = append(s.Weekdays, strings.FieldsFunc(strings.ToLower(wd), func(c rune) bool { return c == ' ' || c == ',' || c == ';' || c == '/' })...)
		if dur == "" {
			return bad("duration_min", "required with weekdays and start")
		}
		v, err := strconv.Atoi(dur)
		if err != nil {
			return bad("duration_min", "want a whole number of minutes, got %q", truncate(dur, 40))
		}
		s.DurationMin = v
		r.Sessions = []Session{s}
	}
	return r, nil
}
