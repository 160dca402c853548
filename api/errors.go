package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"lifeline/routing"
	"lifeline/routing/vrp/vroom"
	"lifeline/zones"
)

// Error is the JSON body of every error response:
// {"code": "validation_failed", "message": "...", "details": {...}}.
// Details names where the problem is (path) when known.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
	Status  int            `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// errBadRequest is a 400 for a request the server cannot read at all
// (malformed JSON, a body over the size limit, a bad query parameter).
func errBadRequest(code, msg string, details map[string]any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Details: details}
}

// statusOf is the ONE table from domain errors to HTTP status and code.
// Every handler renders errors through it.
func statusOf(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var ve *zones.ValidationError
	if errors.As(err, &ve) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: ve.Error(),
			Details: map[string]any{"path": ve.Path, "reason": ve.Message}}
	}
	var pe interface{ PathMessage() (string, string) }
	if errors.As(err, &pe) {
		path, msg := pe.PathMessage()
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: err.Error(),
			Details: map[string]any{"path": path, "reason": msg}}
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), Details: map[string]any{"limit_bytes": mbe.Limit}}
	case errors.Is(err, zones.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: err.Error()}
	case errors.Is(err, zones.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, zones.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	case errors.Is(err, routing.ErrTooFar):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "too_far_from_road", Message: err.Error()}
	case errors.Is(err, routing.ErrUnreachable):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "unreachable", Message: err.Error()}
	case errors.Is(err, vroom.ErrNoMatrixProvider):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "matrices_required", Message: err.Error()}
	case errors.Is(err, errNoGraph):
		return &Error{Status: http.StatusServiceUnavailable, Code: "no_road_graph", Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: err.Error()}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: "cancelled", Message: err.Error()}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
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
		return errBadRequest("malformed_json", fmt.Sprintf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value),
			map[string]any{"path": te.Field})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("malformed_json", "malformed JSON: unexpected end of input", nil)
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
