// Package csvrows reads the batch files that users import (requests,
// riders): a header row naming the columns (any order, case-insensitive,
// surrounding spaces ignored; a UTF-8 byte-order mark is skipped), then one
// record per row, comma, semicolon or tab separated (guessed from the
// header). Every bad row is reported as a RowError; rows are numbered as in
// the file (the header is row 1).
package csvrows

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RowError is one problem of an imported row.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// Path is the row's JSON path: "rows[3].items".
func (e RowError) Path() string {
	if e.Column == "" {
		return fmt.Sprintf("rows[%d]", e.Row)
	}
	return fmt.Sprintf("rows[%d].%s", e.Row, e.Column)
}

// RowErrors is every problem found in an import (at most the format's
// MaxErrors), in row order. Nothing is written when there is any.
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

// Format describes one kind of batch file.
type Format struct {
	Columns  []string        // every known column, in the order the messages list them
	Required map[string]bool // the columns a file must have
	// Noun names one record in messages: "request" ("no requests: ...").
	Noun string
	// KeyColumn is the column whose value must not repeat within the file;
	// KeyLabel names it in the message ("key k1 is also on row 2").
	KeyColumn, KeyLabel string
	MaxRows, MaxErrors  int
	// Header, when set, checks the header further once every required
	// column is known present; has tells whether the file has a column.
	Header func(has func(column string) bool) *RowError
}

// Row reads one record: get returns a column's trimmed value ("" when the
// file has no such column). It returns the value and its key, or a problem
// (whose Row is set by Decode).
type Row[T any] func(get func(column string) string) (T, string, *RowError)

// Decode reads the records of a file with row. It returns the good records
// with their file rows and every bad row (at most f.MaxErrors, then the one
// saying there are too many rows). After a structural error (header,
// quoting) no record is returned.
func Decode[T any](data []byte, f Format, row Row[T]) ([]T, []int, RowErrors) {
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
		return nil, nil, RowErrors{{Row: 1, Message: fmt.Sprintf("the file is empty: want a header row and one row per %s", f.Noun)}}
	}
	if err != nil {
		return nil, nil, RowErrors{{Row: 1, Message: csvMessage(err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range f.Columns {
			known = known || c == name
		}
		if !known {
			return nil, nil, RowErrors{{Row: 1, Column: fmt.Sprintf("[%d]", i), Message: fmt.Sprintf("unknown column %q; the columns are %s", Truncate(h, 40), strings.Join(f.Columns, ", "))}}
		}
		if _, dup := col[name]; dup {
			return nil, nil, RowErrors{{Row: 1, Column: name, Message: "column " + name + " appears twice"}}
		}
		col[name] = i
	}
	for _, c := range f.Columns {
		if _, ok := col[c]; !ok && f.Required[c] {
			return nil, nil, RowErrors{{Row: 1, Column: c, Message: "missing required column " + c}}
		}
	}
	if f.Header != nil {
		if e := f.Header(func(c string) bool { _, ok := col[c]; return ok }); e != nil {
			return nil, nil, RowErrors{*e}
		}
	}
	var out []T
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
		if len(out)+len(errs) >= f.MaxRows {
			errs = append(errs, RowError{Row: line, Message: fmt.Sprintf("more than %d %ss in one import", f.MaxRows, f.Noun)})
			break
		}
		if len(rec) != len(header) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			errs = append(errs, RowError{Row: line, Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			if len(errs) >= f.MaxErrors {
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
		v, key, e := row(get)
		if e == nil {
			if prev, dup := seen[key]; dup {
				e = &RowError{Column: f.KeyColumn, Message: fmt.Sprintf("%s %s is also on row %d", f.KeyLabel, key, prev)}
			}
		}
		if e != nil {
			e.Row = line
			errs = append(errs, *e)
			if len(errs) >= f.MaxErrors {
				break
			}
			continue
		}
		seen[key] = line
		out = append(out, v)
		rows = append(rows, line)
	}
	if len(out) == 0 && len(errs) == 0 {
		return nil, nil, RowErrors{{Row: 2, Message: fmt.Sprintf("no %ss: want one row per %s after the header", f.Noun, f.Noun)}}
	}
	return out, rows, errs
}

// Truncate cuts s to n runes, marking the cut with "…".
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
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

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return "malformed CSV"
}
