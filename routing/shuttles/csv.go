package shuttles

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

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

// RowError is one problem of an imported row.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// Path is the row's JSON path: "rows[3].start".
func (e RowError) Path() string {
	if e.Column == "" {
		return fmt.Sprintf("rows[%d]", e.Row)
	}
	return fmt.Sprintf("rows[%d].%s", e.Row, e.Column)
}

// RowErrors is every problem found in an import (at most MaxImportErrors),
// in row order. Nothing is written when there is any.
type RowErrors []RowError

func (es RowErrors) Error() string {
	if len(es) == 0 {
		return "no errors"
	}
	return fmt.Sprintf("%d bad rows; first: %s: %s", len(es), es[0].Path(), es[0].Message)
}

// PathMessage names the first problem (for the API's error table).
func (es RowErrors) PathMessage() (string, string) {
	if len(es) == 0 {
		return "", "no errors"
	}
	return es[0].Path(), es[0].Message
}

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

func guessComma(header []byte) rune {
	best, n := ',', bytes.Count(header, []byte{','})
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(header, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

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
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := data
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = guessComma(first)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, RowErrors{{Row: 1, Message: "the file is empty: want a header row and one row per rider"}}
	}
	if err != nil {
		return nil, nil, RowErrors{{Row: 1, Message: csvMessage(err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range CSVColumns {
			known = known || c == name
		}
		if !known {
			return nil, nil, RowErrors{{Row: 1, Column: fmt.Sprintf("[%d]", i), Message: fmt.Sprintf("unknown column %q; the columns are %s", truncate(h, 40), strings.Join(CSVColumns, ", "))}}
		}
		if _, dup := col[name]; dup {
			return nil, nil, RowErrors{{Row: 1, Column: name, Message: "column " + name + " appears twice"}}
		}
		col[name] = i
	}
	for _, c := range CSVColumns {
		if _, ok := col[c]; !ok && csvRequired[c] {
			return nil, nil, RowErrors{{Row: 1, Column: c, Message: "missing required column " + c}}
		}
	}
	var riders []Rider
	var rows []int
	var errs RowErrors
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, nil, append(errs, RowError{Row: line, Message: csvMessage(err)}) // no resync after a quoting error
		}
		line, _ := cr.FieldPos(0)
		if len(riders)+len(errs) >= MaxImportRows {
			errs = append(errs, RowError{Row: line, Message: fmt.Sprintf("more than %d riders in one import", MaxImportRows)})
			break
		}
		if len(rec) != len(header) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			errs = append(errs, RowError{Row: line, Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			if len(errs) >= MaxImportErrors {
				break
			}
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r, e := riderFromRow(get)
		if e == nil {
			if err := r.Validate(); err != nil {
				re := RowErrorOf(line, err)
				e = &re
			}
		}
		if e == nil {
			if prev, dup := seen[r.Pseudonym]; dup {
				e = &RowError{Column: "pseudonym", Message: fmt.Sprintf("pseudonym %s is also on row %d", r.Pseudonym, prev)}
			}
		}
		if e != nil {
			e.Row = line
			errs = append(errs, *e)
			if len(errs) >= MaxImportErrors {
				break
			}
			continue
		}
		seen[r.Pseudonym] = line
		riders = append(riders, r)
		rows = append(rows, line)
	}
	if len(riders) == 0 && len(errs) == 0 {
		return nil, nil, RowErrors{{Row: 2, Message: "no riders: want one row per rider after the header"}}
	}
	return riders, rows, errs
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return "malformed CSV"
}

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
