package deliveries

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"lifeline/internal/csvrows"
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

// RowError is one problem of an imported row; its Path is "rows[3].items".
type RowError = csvrows.RowError

// RowErrors is every problem found in an import (at most MaxImportErrors),
// in row order. Nothing is written when there is any.
type RowErrors = csvrows.RowErrors

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

var csvFormat = csvrows.Format{Columns: CSVColumns, Required: csvRequired, Noun: "request",
	KeyColumn: "idempotency_key", KeyLabel: "key", MaxRows: MaxImportRows, MaxErrors: MaxImportErrors,
	Header: func(has func(string) bool) *RowError {
		if has("lon") != has("lat") {
			return &RowError{Row: 1, Column: "lon", Message: "give both lon and lat, or neither"}
		}
		return nil
	}}

// DecodeCSV reads requests from a batch file; date is the day given to
// rows without one. It returns the good requests with their file rows and
// every bad row (each checked with Request.Validate; keys must not repeat
// within the file). After a structural error (header, quoting) no request
// is returned.
func DecodeCSV(data []byte, date string) ([]Request, []int, RowErrors) {
	return csvrows.Decode(data, csvFormat, func(get func(string) string) (Request, string, *RowError) {
		r, e := requestFromRow(get, date)
		if e == nil {
			if err := r.Validate(); err != nil {
				re := RowErrorOf(0, err)
				e = &re
			}
		}
		return r, r.Key, e
	})
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
