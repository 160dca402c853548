package deliveries

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

// CSV import of a batch file of requests: one request per row after a
// header row naming the columns (any order, case-insensitive; a UTF-8
// byte-order mark is skipped). Comma, semicolon or tab separated (guessed
// from the header). Rows are numbered as in the file (the header is row 1).
//
//	idempotency_key, compound_id, building, flat, name, phone, items   required
//	date (default: the import's day), lon + lat (the building's door),
//	prescription, insurance_card (yes/no), urgency (default routine),
//	caller, channel (default file), supply_point_id, pharmacy_id        optional
//
// items is "name x quantity" separated by ';' or '|' ("Amlodipine 5mg x 2;
// Metformin x 1"); a missing quantity is 1.
var CSVColumns = []string{"idempotency_key", "date", "compound_id", "building", "lon", "lat", "flat", "name", "phone", "items",
	"prescription", "insurance_card", "urgency", "caller", "channel", "supply_point_id", "pharmacy_id"}

var csvRequired = map[string]bool{"idempotency_key": true, "compound_id": true, "building": true, "flat": true, "name": true,
	"phone": true, "items": true}

// Import limits.
const (
	MaxImportRows   = 20000
	MaxImportErrors = 100
)

// RowError is one problem of an imported row.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// Path is the row's path: "rows[3].items".
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

// fieldColumn maps a Validate or Check path to the CSV column holding it.
func fieldColumn(path string) string {
	switch {
	case path == "building_point":
		return "lon"
	case strings.HasPrefix(path, "items"):
		return "items"
	}
	return path
}

// RowErrorOf turns an error about row's request (a *zones.ValidationError
// from Validate or District.Check) into a RowError naming the column.
func RowErrorOf(row int, err error) RowError {
	var ve *zones.ValidationError
	if errors.As(err, &ve) {
		msg := ve.Message
		if strings.HasPrefix(ve.Path, "items[") {
			msg = ve.Path + ": " + msg
		}
		return RowError{Row: row, Column: fieldColumn(ve.Path), Message: msg}
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

// DecodeCSV reads requests from a batch file; date is the day given to
// rows without one. It returns the good requests with their file rows and
// every bad row (each checked with Request.Validate; keys must not repeat
// within the file). After a structural error (header, quoting) no request
// is returned.
func DecodeCSV(data []byte, date string) ([]Request, []int, RowErrors) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := data
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = guessComma(first)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, RowErrors{{Row: 1, Message: "the file is empty: want a header row and one row per request"}}
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
	_, hasLon := col["lon"]
	_, hasLat := col["lat"]
	if hasLon != hasLat {
		return nil, nil, RowErrors{{Row: 1, Column: "lon", Message: "give both lon and lat, or neither"}}
	}
	var reqs []Request
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
			return nil, nil, append(errs, RowError{Row: line, Message: csvMessage(err)})
		}
		line, _ := cr.FieldPos(0)
		if len(reqs)+len(errs) >= MaxImportRows {
			errs = append(errs, RowError{Row: line, Message: fmt.Sprintf("more than %d requests in one import", MaxImportRows)})
			break
		}
		if len(rec) != len(header) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue
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
		r, e := requestFromRow(get, date)
		if e == nil {
			if err := r.Validate(); err != nil {
				re := RowErrorOf(line, err)
				e = &re
			}
		}
		if e == nil {
			if prev, dup := seen[r.Key]; dup {
				e = &RowError{Column: "idempotency_key", Message: fmt.Sprintf("key %s is also on row %d", r.Key, prev)}
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
		seen[r.Key] = line
		reqs = append(reqs, r)
		rows = append(rows, line)
	}
	if len(reqs) == 0 && len(errs) == 0 {
		return nil, nil, RowErrors{{Row: 2, Message: "no requests: want one row per request after the header"}}
	}
	return reqs, rows, errs
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return "malformed CSV"
}

// ParseItems reads "name x quantity; name x quantity".
func ParseItems(s string) ([]Item, error) {
	var out []Item
	for _, part := range strings.FieldsFunc(s, func(c rune) bool { return c == ';' || c == '|' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		it := Item{Name: part, Quantity: 1}
		if i := strings.LastIndexAny(part, "x×*"); i > 0 {
			q := strings.TrimSpace(part[i+len(string([]rune(part[i:])[0])):])
			if v, err := strconv.Atoi(q); err == nil {
				it.Name, it.Quantity = strings.TrimSpace(part[:i]), v
			} else if q != "" && (q[0] == '-' || q[0] == '+' || (q[0] >= '0' && q[0] <= '9')) {
				return nil, fmt.Errorf("item %q: want a whole number after x, got %q", truncate(part, 40), truncate(q, 20))
			}
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, errors.New("at least one item (\"name x quantity; ...\")")
	}
	return out, nil
}

func yesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "no", "n", "false", "0":
		return false, true
	case "yes", "y", "true", "1":
		return true, true
	}
	return false, false
}

func requestFromRow(get func(string) string, date string) (Request, *RowError) {
	bad := func(c, format string, a ...any) (Request, *RowError) {
		return Request{}, &RowError{Column: c, Message: fmt.Sprintf(format, a...)}
	}
	r := Request{Key: get("idempotency_key"), Date: get("date"), Building: get("building"), Flat: get("flat"), Name: get("name"),
		Phone: get("phone"), Urgency: Urgency(strings.ToLower(get("urgency"))), Caller: get("caller"), Channel: Channel(strings.ToLower(get("channel")))}
	if r.Date == "" {
		r.Date = date
	}
	if r.Urgency == "" {
		r.Urgency = UrgencyRoutine
	}
	if r.Channel == "" {
		r.Channel = ChannelFile
	}
	v, err := strconv.ParseInt(get("compound_id"), 10, 64)
	if err != nil || v <= 0 {
		return bad("compound_id", "want a positive whole number, got %q", truncate(get("compound_id"), 40))
	}
	r.CompoundID = v
	for _, x := range []struct {
		c   string
		dst *int64
	}{{"supply_point_id", &r.SupplyPointID}, {"pharmacy_id", &r.PharmacyID}} {
		if s := get(x.c); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v <= 0 {
				return bad(x.c, "want a positive whole number, got %q", truncate(s, 40))
			}
			*x.dst = v
		}
	}
	if lon, lat := get("lon"), get("lat"); lon != "" || lat != "" {
		var p orb.Point
		for i, c := range []string{"lon", "lat"} {
			v, err := strconv.ParseFloat(get(c), 64)
			if err != nil {
				return bad(c, "want a number in degrees, got %q", truncate(get(c), 40))
			}
			p[i] = v
		}
		r.BuildingPoint = &p
	}
	items, err := ParseItems(get("items"))
	if err != nil {
		return bad("items", "%s", err.Error())
	}
	r.Items = items
	var ok bool
	if r.Prescription, ok = yesNo(get("prescription")); !ok {
		return bad("prescription", "want yes or no, got %q", truncate(get("prescription"), 40))
	}
	if r.InsuranceCard, ok = yesNo(get("insurance_card")); !ok {
		return bad("insurance_card", "want yes or no, got %q", truncate(get("insurance_card"), 40))
	}
	return r, nil
}
