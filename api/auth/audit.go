package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
)

// Audit keeps this much of a request or response body.
const auditBodyMax = 16 << 10

// audit writes one audit entry for every write route of the table (the ONE
// place that does it): who, which role, when, the request id, the route,
// the status, the entity and its id, a summary of the request body (secrets
// redacted; only size, hash and field names for personal data) and, where
// cheap, the entity before (Config.Before) and the answer after.
func (a *Auth) audit(c *gin.Context) {
	if !Writes(c.Request.Method) {
		c.Next()
		return
	}
	pattern := c.FullPath()
	rule := RuleFor(c.Request.Method, pattern)
	if rule == nil || rule.Query {
		c.Next()
		return
	}
	at := a.now()
	var before string
	if load := a.cfg.Before[rule.Entity]; load != nil && c.Param("id") != "" {
		if v, err := load(c.Request.Context(), c.Param("id")); err == nil {
			before = jsonString(v)
		}
	}
	body := &capture{max: auditBodyMax}
	if c.Request.Body != nil {
		c.Request.Body = teeBody{Reader: io.TeeReader(c.Request.Body, body), Closer: c.Request.Body}
	}
	resp := &captureWriter{ResponseWriter: c.Writer, buf: capture{max: auditBodyMax}}
	c.Writer = resp
	c.Next()
	id := IdentityOf(c)
	if id == nil {
		// refused before the handler ran (401, cross-site) or a failed
		// sign-in: nothing was written
		return
	}
	e := accounts.AuditEntry{At: at, Actor: id.Username, Role: id.Role, RequestID: c.GetString("request_id"),
		Method: c.Request.Method, Route: pattern, Status: c.Writer.Status(), Entity: rule.Entity, Before: before}
	e.Summary = summarise(c.Request.URL.RawQuery, body, rule.Personal)
	if entityID := responseID(resp.buf.b.Bytes()); entityID != "" {
		e.EntityID = entityID
	} else if p := c.Param("id"); p != "" {
		e.EntityID = p
	}
	if resp.buf.full || rule.Personal {
		e.After = jsonString(map[string]any{"bytes": resp.size, "fields": fieldNames(resp.buf.b.Bytes())})
	} else if json.Valid(resp.buf.b.Bytes()) {
		e.After = redact(resp.buf.b.Bytes())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.store.AppendAudit(ctx, e); err != nil {
		a.log.Error("audit: cannot record a write", "route", pattern, "actor", id.Username, "request_id", e.RequestID, "err", err)
	}
}

type teeBody struct {
	io.Reader
	io.Closer
}

// capture keeps the first max bytes written to it.
type capture struct {
	b    bytes.Buffer
	max  int
	full bool
	n    int
}

func (w *capture) Write(p []byte) (int, error) {
	w.n += len(p)
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	if w.n > w.max {
		w.full = true
	}
	return len(p), nil
}

type captureWriter struct {
	gin.ResponseWriter
	buf  capture
	size int
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.size += len(p)
	return w.ResponseWriter.Write(p)
}

func (w *captureWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// secretFields are never written to the audit trail.
var secretFields = []string{"password", "token", "secret", "link", "url", "password_hash"}

// redact returns JSON with secret fields replaced by "(redacted)" at any depth.
func redact(raw []byte) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if slices.Contains(secretFields, k) {
					x[k] = "(redacted)"
				} else {
					x[k] = walk(e)
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return jsonString(walk(v))
}

func fieldNames(raw []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return []string{}
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// summarise describes the request: the query and the body (redacted JSON
// when short and not personal; else its size, SHA-256 and field names).
func summarise(query string, body *capture, personal bool) string {
	s := map[string]any{}
	if query != "" {
		s["query"] = query
	}
	raw := body.b.Bytes()
	switch {
	case body.n == 0:
	case personal || body.full || !json.Valid(raw):
		h := sha256.Sum256(raw)
		s["body"] = map[string]any{"bytes": body.n, "sha256_of_first_16k": hex.EncodeToString(h[:]), "fields": fieldNames(raw)}
	default:
		s["body"] = json.RawMessage(redact(raw))
	}
	return jsonString(s)
}

// responseID is the "id" of a JSON object answer ("" if none).
func responseID(raw []byte) string {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &m) != nil || len(m.ID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(m.ID, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(m.ID, &n) == nil {
		return n.String()
	}
	return ""
}

var _ = strconv.Itoa
