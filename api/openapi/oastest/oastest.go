// Package oastest checks an OpenAPI 3.1 document and HTTP traffic against
// it, for tests: the document against the OpenAPI 3.1 schema (the one
// github.com/pb33f/libopenapi embeds), every schema of it as JSON Schema
// 2020-12, and requests (path, query, body) and responses (status, content
// type, body) against their operation.
package oastest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi/datamodel"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const docURL = "https://lifeline.invalid/openapi.json"

// Validator holds a checked document.
type Validator struct {
	doc   map[string]any
	c     *jsonschema.Compiler
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

// New checks raw against the OpenAPI 3.1 schema and compiles it.
func New(raw []byte) (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the document is not JSON: %w", err)
	}
	oas, err := jsonschema.UnmarshalJSON(strings.NewReader(datamodel.OpenAPI31SchemaData))
	if err != nil {
		return nil, err
	}
	mc := jsonschema.NewCompiler()
	const oasURL = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"
	if err := mc.AddResource(oasURL, oas); err != nil {
		return nil, err
	}
	meta, err := mc.Compile(oasURL)
	if err != nil {
		return nil, fmt.Errorf("compiling the OpenAPI 3.1 schema: %w", err)
	}
	if err := meta.Validate(doc); err != nil {
		return nil, fmt.Errorf("not a valid OpenAPI 3.1 document: %w", err)
	}
	v := &Validator{doc: doc.(map[string]any), c: jsonschema.NewCompiler(), cache: map[string]*jsonschema.Schema{}}
	v.c.DefaultDraft(jsonschema.Draft2020)
	if err := v.c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	return v, nil
}

// Doc is the decoded document (numbers are json.Number).
func (v *Validator) Doc() map[string]any { return v.doc }

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

// schemaAt compiles the schema at a JSON pointer of the document.
func (v *Validator) schemaAt(ptr ...string) (*jsonschema.Schema, error) {
	var b strings.Builder
	for _, p := range ptr {
		b.WriteString("/" + escape(p))
	}
	loc := docURL + "#" + b.String()
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.cache[loc]; ok {
		return s, nil
	}
	s, err := v.c.Compile(loc)
	if err != nil {
		return nil, err
	}
	v.cache[loc] = s
	return s, nil
}

// CompileAll compiles every schema of the document (components, parameters,
// bodies and answers): each must be valid JSON Schema 2020-12 and every
// $ref must resolve.
func (v *Validator) CompileAll() []error {
	var errs []error
	comps, _ := v.doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for _, name := range sortedKeys(schemas) {
		if _, err := v.schemaAt("components", "schemas", name); err != nil {
			errs = append(errs, fmt.Errorf("components.schemas.%s: %w", name, err))
		}
	}
	paths, _ := v.doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item := paths[p].(map[string]any)
		for _, m := range sortedKeys(item) {
			op := item[m].(map[string]any)
			params, _ := op["parameters"].([]any)
			for i := range params {
				if _, err := v.schemaAt("paths", p, m, "parameters", fmt.Sprint(i), "schema"); err != nil {
					errs = append(errs, fmt.Errorf("%s %s parameter %d: %w", m, p, i, err))
				}
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				for _, ct := range sortedKeys(rb["content"].(map[string]any)) {
					if _, err := v.schemaAt("paths", p, m, "requestBody", "content", ct, "schema"); err != nil {
						errs = append(errs, fmt.Errorf("%s %s body %s: %w", m, p, ct, err))
					}
				}
			}
			resps, _ := op["responses"].(map[string]any)
			for _, st := range sortedKeys(resps) {
				content, _ := resps[st].(map[string]any)["content"].(map[string]any)
				for _, ct := range sortedKeys(content) {
					if _, err := v.schemaAt("paths", p, m, "responses", st, "content", ct, "schema"); err != nil {
						errs = append(errs, fmt.Errorf("%s %s answer %s %s: %w", m, p, st, ct, err))
					}
				}
			}
		}
	}
	return errs
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Match finds the operation of a concrete method and path ("/v1/zones/9"):
// its templated path ("/v1/zones/{id}") and the path parameters' values.
// Literal segments win over parameters ("/v1/zones/export").
func (v *Validator) Match(method, path string) (tmpl string, params map[string]string, ok bool) {
	paths, _ := v.doc["paths"].(map[string]any)
	segs := strings.Split(path, "/")
	best := -1
	for p, item := range paths {
		if _, has := item.(map[string]any)[strings.ToLower(method)]; !has {
			continue
		}
		ts := strings.Split(p, "/")
		if len(ts) != len(segs) {
			continue
		}
		lit, vals := 0, map[string]string{}
		matched := true
		for i, t := range ts {
			switch {
			case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
				vals[t[1:len(t)-1]] = segs[i]
			case t == segs[i]:
				lit++
			default:
				matched = false
			}
			if !matched {
				break
			}
		}
		if matched && lit > best {
			best, tmpl, params = lit, p, vals
		}
	}
	return tmpl, params, best >= 0
}

func (v *Validator) op(method, tmpl string) map[string]any {
	return v.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
}

// coerce reads a parameter's text as the JSON value its schema expects.
func coerce(s string) any {
	var x any
	if d := json.NewDecoder(strings.NewReader(s)); d != nil {
		d.UseNumber()
		if d.Decode(&x) == nil && !d.More() {
			if _, isStr := x.(string); !isStr {
				return x
			}
		}
	}
	return s
}

// Request checks a request: the operation exists, path and query
// parameters are known and valid (query values are read as JSON when they
// parse, else as strings), required ones are present, and a JSON body
// validates against the body's schema (contentType picks the media type;
// "" is application/json).
func (v *Validator) Request(method, rawURL, contentType string, body []byte) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	tmpl, pathVals, ok := v.Match(method, u.Path)
	if !ok {
		return fmt.Errorf("%s %s: no operation in the document", method, u.Path)
	}
	op := v.op(method, tmpl)
	params, _ := op["parameters"].([]any)
	q := u.Query()
	known := map[string]bool{}
	for i, p := range params {
		pm := p.(map[string]any)
		name, in := pm["name"].(string), pm["in"].(string)
		var val string
		var given bool
		switch in {
		case "path":
			val, given = pathVals[name]
		case "query":
			known[name] = true
			if vs, ok := q[name]; ok {
				val, given = vs[0], true
			}
		default:
			continue
		}
		if !given {
			if req, _ := pm["required"].(bool); req {
				return fmt.Errorf("%s %s: required %s parameter %q missing", method, tmpl, in, name)
			}
			continue
		}
		s, err := v.schemaAt("paths", tmpl, strings.ToLower(method), "parameters", fmt.Sprint(i), "schema")
		if err != nil {
			return err
		}
		if err := s.Validate(coerce(val)); err != nil {
			if err2 := s.Validate(val); err2 != nil {
				return fmt.Errorf("%s %s: %s parameter %q=%q: %w", method, tmpl, in, name, val, err)
			}
		}
	}
	for name := range q {
		if !known[name] {
			return fmt.Errorf("%s %s: query parameter %q is not in the document", method, tmpl, name)
		}
	}
	rb, hasBody := op["requestBody"].(map[string]any)
	if len(bytes.TrimSpace(body)) == 0 {
		if hasBody {
			if req, _ := rb["required"].(bool); req {
				return fmt.Errorf("%s %s: the body is required", method, tmpl)
			}
		}
		return nil
	}
	if !hasBody {
		return fmt.Errorf("%s %s: a body is sent but the operation takes none", method, tmpl)
	}
	return v.body(body, contentType, rb["content"].(map[string]any), fmt.Sprintf("%s %s request", method, tmpl),
		"paths", tmpl, strings.ToLower(method), "requestBody", "content")
}

// Response checks an answer: its status is described (or "default"), its
// content type is one the status lists, and a JSON body validates.
func (v *Validator) Response(method, path string, status int, contentType string, body []byte) error {
	tmpl, _, ok := v.Match(method, strings.SplitN(path, "?", 2)[0])
	if !ok {
		return fmt.Errorf("%s %s: no operation in the document", method, path)
	}
	resps := v.op(method, tmpl)["responses"].(map[string]any)
	st := fmt.Sprint(status)
	r, ok := resps[st].(map[string]any)
	if !ok {
		if r, ok = resps["default"].(map[string]any); !ok {
			return fmt.Errorf("%s %s: status %d is not described", method, tmpl, status)
		}
		st = "default"
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		return nil
	}
	return v.body(body, contentType, content, fmt.Sprintf("%s %s answer %d", method, tmpl, status),
		"paths", tmpl, strings.ToLower(method), "responses", st, "content")
}

func (v *Validator) body(body []byte, contentType string, content map[string]any, what string, ptr ...string) error {
	mt := "application/json"
	if contentType != "" {
		if m, _, err := mime.ParseMediaType(contentType); err == nil {
			mt = m
		}
	}
	if _, ok := content[mt]; !ok {
		return fmt.Errorf("%s: content type %q is not described (%v)", what, mt, sortedKeys(content))
	}
	if mt != "application/json" && mt != "application/geo+json" {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: the body is not JSON: %w", what, err)
	}
	s, err := v.schemaAt(append(ptr, mt, "schema")...)
	if err != nil {
		return err
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
