package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"lifeline/internal/csvrows"
	"lifeline/jobs"
	"lifeline/routing"
	"lifeline/routing/graph"
	"lifeline/routing/network"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// Error is the JSON body of every error response:
// {"code": "validation_failed", "message": "...", "details": {...}}.
// Details names where the problem is (path) when known; it is always an
// object, empty when there is nothing to add.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
	Status  int            `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// MarshalJSON writes details as {} when there are none.
func (e Error) MarshalJSON() ([]byte, error) {
	d := e.Details
	if d == nil {
		d = map[string]any{}
	}
	return json.Marshal(struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}{e.Code, e.Message, d})
}

// errBadRequest is a 400 for a request the server cannot read at all
// (malformed JSON, a body over the size limit, a bad query parameter).
func errBadRequest(code, msg string, details map[string]any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Details: details}
}

// statusOf is the ONE table from domain errors to HTTP status, code and a
// clean message (no Go error chains: sentinel texts and package prefixes
// are taken out). Every handler renders errors through it.
func statusOf(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var jf *jobs.Failure
	if errors.As(err, &jf) {
		// a job's failure as its worker's error table gave it
		st := jf.Status
		if st < 400 || st > 599 {
			st = http.StatusInternalServerError
		}
		return &Error{Status: st, Code: jf.Code, Message: jf.Message, Details: jf.Details}
	}
	var ue *zones.UnknownFieldError
	if errors.As(err, &ue) {
		return errBadRequest("unknown_field", ue.Error(), map[string]any{"path": ue.Path})
	}
	var ve *zones.ValidationError
	if errors.As(err, &ve) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: pathMsg(ve.Path, ve.Message),
			Details: map[string]any{"path": ve.Path, "reason": ve.Message}}
	}
	var pe interface{ PathMessage() (string, string) }
	if errors.As(err, &pe) {
		path, msg := pe.PathMessage()
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: pathMsg(path, msg),
			Details: map[string]any{"path": path, "reason": msg}}
	}
	var vre *vroom.Error
	if errors.As(err, &vre) {
		return vroomError(vre)
	}
	var mbe *http.MaxBytesError
	var se *graph.SnapError
	var fe *jobs.FullError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), Details: map[string]any{"limit_bytes": mbe.Limit}}
	case errors.As(err, &fe):
		return &Error{Status: http.StatusTooManyRequests, Code: "busy",
			Message: fmt.Sprintf("the solve %s is full (%d); retry in %d s", fe.What, fe.Limit, int(fe.RetryAfter.Seconds())),
			Details: map[string]any{"limit": fe.Limit, "retry_after_s": int(fe.RetryAfter.Seconds())}}
	case errors.Is(err, jobs.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such job (jobs are kept for an hour after they end)"}
	case errors.Is(err, jobs.ErrClosed):
		return &Error{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down"}
	case errors.Is(err, zones.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: clean(err, zones.ErrTooLarge, "input too large")}
	case errors.Is(err, zones.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: clean(err, zones.ErrNotFound, "not found")}
	case errors.Is(err, zones.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: clean(err, zones.ErrConflict, "conflicts with the stored state")}
	case errors.As(err, &se):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "too_far_from_road", Message: snapMessage(se)}
	case errors.Is(err, routing.ErrTooFar):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "too_far_from_road", Message: "the point is too far from any road"}
	case errors.Is(err, routing.ErrUnreachable):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "unreachable", Message: "no route: the destination cannot be reached (sealed zones or one-way streets)"}
	case errors.Is(err, vroom.ErrNoMatrixProvider):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "matrices_required", Message: "the problem gives coordinates but no road graph is loaded: send matrices"}
	case errors.Is(err, network.ErrTooLarge):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "limit_exceeded", Message: "the matrix is too large for the road engine"}
	case errors.Is(err, errNoGraph):
		return &Error{Status: http.StatusServiceUnavailable, Code: "no_road_graph", Message: "no road graph is loaded"}
	case errors.As(err, &ne) && ne.Timeout():
		return &Error{Status: http.StatusRequestTimeout, Code: "request_timeout", Message: "the request body did not arrive within the server's read timeout"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "the work did not finish within its time limit"}
	case errors.Is(err, context.Canceled), errors.Is(err, jobs.ErrCancelled):
		return &Error{Status: 499, Code: "cancelled", Message: "the request was cancelled"}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

func pathMsg(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// rowErrors is the 422 of a CSV import with bad rows: every bad row is
// listed and nothing was imported.
func rowErrors(re csvrows.RowErrors) *Error {
	path, msg := re.PathMessage()
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: fmt.Sprintf("%d bad rows, nothing was imported; first: %s", len(re), pathMsg(path, msg)),
		Details: map[string]any{"path": path, "reason": msg, "errors": re}}
}

// vroomError maps a VROOM decoding error: unknown fields are 400
// unknown_field like on every endpoint, the rest 422 with the path.
func vroomError(e *vroom.Error) *Error {
	if f, ok := strings.CutPrefix(e.Message, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return errBadRequest("unknown_field", fmt.Sprintf("unknown field %q", f), map[string]any{"path": f})
	}
	if strings.HasPrefix(e.Message, "JSON syntax error") {
		return errBadRequest("malformed_json", "malformed JSON: "+strings.TrimPrefix(e.Message, "JSON syntax error "), map[string]any{})
	}
	d := map[string]any{"reason": e.Message}
	if e.Path != "" {
		d["path"] = e.Path
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: pathMsg(e.Path, e.Message), Details: d}
}

func snapMessage(se *graph.SnapError) string {
	return fmt.Sprintf("no road within %.0f m of [%.6f, %.6f]", se.MaxDist, se.Point[0], se.Point[1])
}

// clean turns a wrapped domain error into a message without Go's chain
// syntax: the sentinel's text and package prefixes go, the context stays
// in parentheses after the fixed wording.
func clean(err, sentinel error, fixed string) string {
	s := err.Error()
	s = strings.ReplaceAll(s, ": "+sentinel.Error(), "")
	s = strings.ReplaceAll(s, sentinel.Error(), "")
	for _, p := range []string{"zones: ", "vroom: ", "routing: ", "network: ", "api: ", "jobs: ", "memstore: ", "postgis: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	s = strings.Trim(s, " :")
	if s == "" {
		return fixed
	}
	return fixed + " (" + s + ")"
}

var errNoGraph = errors.New("api: no road graph is loaded")

// fail renders err as a JSON error and aborts the chain. Internal errors are
// logged with the request id; their text is not shown to the client.
func fail(c *gin.Context, err error) {
	e := statusOf(err)
	if e.Status >= 500 && e.Status != http.StatusServiceUnavailable && e.Status != http.StatusGatewayTimeout {
		logFor(c).Error("request failed", "err", err.Error())
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		e.Details["request_id"] = c.GetString(ctxRequestID)
	}
	if e.Status == http.StatusTooManyRequests {
		if s, ok := e.Details["retry_after_s"].(int); ok {
			c.Header("Retry-After", strconv.Itoa(max(1, s)))
		}
	}
	if e.Status == 499 && c.Request.Context().Err() != nil {
		c.Abort() // the client is gone: nobody reads an answer
		return
	}
	c.AbortWithStatusJSON(e.Status, e)
}

// decodeJSON reads a JSON body of at most limit bytes into v, strictly:
// unknown fields and trailing data are errors that name the place.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	body, err := readBody(c, limit)
	if err != nil {
		return err
	}
	return unmarshalStrict(body, v)
}

func readBody(c *gin.Context, limit int64) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, errBadRequest("empty_body", "request body is empty", nil)
	}
	return body, nil
}

func unmarshalStrict(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	if dec.More() {
		return errBadRequest("malformed_json", "unexpected data after the JSON value", nil)
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 naming line and column,
// or the field whose type is wrong.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(body, se.Offset)
		return errBadRequest("malformed_json", fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, se.Error()),
			map[string]any{"line": line, "column": col, "offset": se.Offset})
	case errors.As(err, &te):
		// embedded Go structs show up as capitalised path elements
		// ("Request.sites"); JSON names in this API are lower case
		f := te.Field
		for {
			head, rest, ok := strings.Cut(f, ".")
			if !ok || head == "" || head[0] < 'A' || head[0] > 'Z' {
				break
			}
			f = rest
		}
		return errBadRequest("malformed_json", fmt.Sprintf("field %q: expected %s, got JSON %s", f, te.Type, te.Value),
			map[string]any{"path": f})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("malformed_json", "malformed JSON: unexpected end of input", map[string]any{})
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errBadRequest("unknown_field", fmt.Sprintf("unknown field %q", f), map[string]any{"path": f})
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return errBadRequest("malformed_json", "malformed JSON: "+err.Error(), nil)
}

func lineCol(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
