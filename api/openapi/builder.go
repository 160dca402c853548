package openapi

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Op describes one route. Path is gin's pattern ("/v1/zones/:id"); its
// path parameters are added as strings unless Params describes them.
type Op struct {
	Method, Path string
	// Tag groups operations (one per resource: "zones", "roads", ...).
	Tag         string
	Summary     string
	Description string
	// Params are query, header and (to give them a schema) path parameters.
	Params []Param
	// Body is the request body, nil for none.
	Body *Body
	// Responses by status; every operation also gets the error body as
	// "default", and 401/403/429 when the authorisation table says so.
	Responses []Response
}

// Param is one parameter.
type Param struct {
	Name, In    string // In: query, path, header
	Description string
	Required    bool
	Schema      Schema
}

// Query is an optional query parameter; QueryReq a required one.
func Query(name string, s Schema, desc string) Param {
	return Param{Name: name, In: "query", Schema: s, Description: desc}
}

// QueryReq is a required query parameter.
func QueryReq(name string, s Schema, desc string) Param {
	p := Query(name, s, desc)
	p.Required = true
	return p
}

// PathParam gives a path parameter its schema and meaning.
func PathParam(name string, s Schema, desc string) Param {
	return Param{Name: name, In: "path", Schema: s, Description: desc, Required: true}
}

// Media is one content type of a body with its schema: a Schema, a Go value
// or reflect.Type (reflected: json tags, omitempty, embedded structs).
type Media struct {
	Type   string
	Schema any
}

// JSON is an application/json body of v's schema.
func JSON(v any) []Media { return []Media{{Type: "application/json", Schema: v}} }

// Body is a request body.
type Body struct {
	Description string
	Required    bool
	Content     []Media
}

// Response is one status's answer.
type Response struct {
	Status      int
	Description string
	Content     []Media
	// Headers the answer carries (Location, Retry-After, ...).
	Headers map[string]string
}

// Access is what the authorisation table says of a route.
type Access struct {
	Public    bool     // no account needed
	Roles     []string // who may call it (admin always may)
	Expensive bool     // rate-limited per account and address
	Unlisted  bool     // not in the table (the server refuses it: 403 no_policy)
}

// Builder collects operations and the Go types' special schemas.
// Safe for concurrent use.
type Builder struct {
	mu    sync.Mutex
	ops   []Op
	types map[reflect.Type]Schema
	enums map[reflect.Type][]string
	named map[reflect.Type]string
	docs  map[reflect.Type]string
	extra map[reflect.Type]map[string]Schema
	comps map[string]Schema
}

func (b *Builder) init() {
	if b.types == nil {
		b.types, b.enums, b.named, b.docs, b.comps = map[reflect.Type]Schema{}, map[reflect.Type][]string{},
			map[reflect.Type]string{}, map[reflect.Type]string{}, map[string]Schema{}
		b.extra = map[reflect.Type]map[string]Schema{}
	}
}

// Add registers operations.
func (b *Builder) Add(ops ...Op) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ops = append(b.ops, ops...)
}

// Type gives the Go type of v one schema wherever it appears (types with
// their own MarshalJSON must be described so).
func (b *Builder) Type(v any, s Schema) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.types[typeOf(v)] = s
}

// Enum lists the values of a string type (zones.Kind, ...).
func (b *Builder) Enum(v any, vals ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.enums[typeOf(v)] = vals
}

// Name gives a struct type's component another name than its Go name, and
// a description.
func (b *Builder) Name(v any, name, desc string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	t := typeOf(v)
	b.named[t] = name
	if desc != "" {
		b.docs[t] = desc
	}
}

// Extend adds properties to a struct type's schema: members that a handler
// reads besides the Go type's fields (optional ones).
func (b *Builder) Extend(v any, props map[string]Schema) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	t := typeOf(v)
	if b.extra[t] == nil {
		b.extra[t] = map[string]Schema{}
	}
	for k, s := range props {
		b.extra[t][k] = s
	}
}

// Component adds a named schema (refer to it with Ref(name)).
func (b *Builder) Component(name string, s Schema) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.comps[name] = s
}

func typeOf(v any) reflect.Type {
	if t, ok := v.(reflect.Type); ok {
		return t
	}
	return reflect.TypeOf(v)
}

// Ops returns the registered operations.
func (b *Builder) Ops() []Op {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ops)
}

// Route is a method and gin pattern that the server serves.
type Route struct{ Method, Path string }

// Doc is the input of Document besides the operations.
type Doc struct {
	Title, Version, Description string
	// Routes the server serves: operations of other routes are left out,
	// and a route without an operation is listed as undescribed.
	Routes []Route
	// Access reads the authorisation table for a route.
	Access func(method, path string) Access
	// ErrorSchema is the name of the error body's component.
	ErrorSchema string
	// Security schemes (components.securitySchemes) that a non-public /v1
	// route accepts, any one of them.
	Security map[string]Schema
}

// OASPath turns gin's "/v1/zones/:id" into OpenAPI's "/v1/zones/{id}".
func OASPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func pathParams(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			out = append(out, s[1:])
		}
	}
	return out
}

// Document builds the OpenAPI 3.1 document. Problems (an operation given
// twice, a Go type that cannot be described, a path parameter that the
// pattern lacks) are returned together with the document.
func (b *Builder) Document(d Doc) (map[string]any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	r := &reflector{b: b, comps: map[string]Schema{}, names: map[compKey]string{}, taken: map[string]compKey{}}
	for k := range b.comps {
		r.taken[k] = compKey{}
	}
	for k, v := range b.comps {
		r.comps[k] = r.resolve(v, modeOut).(Schema)
	}
	serves := map[Route]bool{}
	for _, rt := range d.Routes {
		serves[rt] = true
	}
	described := map[Route]bool{}
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	add := func(op Op) {
		p := OASPath(op.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(op.Method)] = b.operation(r, op, d)
		if op.Tag != "" {
			tags[op.Tag] = true
		}
	}
	for _, op := range b.ops {
		k := Route{op.Method, op.Path}
		if described[k] {
			r.errorf("%s %s is described twice", op.Method, op.Path)
			continue
		}
		described[k] = true
		if d.Routes != nil && !serves[k] {
			continue
		}
		add(op)
	}
	for _, rt := range d.Routes {
		if !described[rt] {
			add(Op{Method: rt.Method, Path: rt.Path, Summary: "(not described yet)"})
		}
	}
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t})
	}
	sec := map[string]any{}
	for k, v := range d.Security {
		sec[k] = v
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": d.Title, "version": d.Version, "description": d.Description},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         r.comps,
			"securitySchemes": sec,
		},
	}
	if len(tagList) > 0 {
		doc["tags"] = tagList
	}
	if len(r.errs) > 0 {
		return doc, fmt.Errorf("openapi: %s", strings.Join(r.errs, "; "))
	}
	return doc, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, s := range strings.Split(path, "/") {
		s = strings.TrimLeft(s, ":*")
		if s == "" {
			continue
		}
		b.WriteByte('_')
		for _, c := range s {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				b.WriteRune(c)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

func (b *Builder) operation(r *reflector, op Op, d Doc) map[string]any {
	o := map[string]any{"operationId": operationID(op.Method, op.Path)}
	if op.Summary != "" {
		o["summary"] = op.Summary
	}
	if op.Tag != "" {
		o["tags"] = []string{op.Tag}
	}
	acc := Access{Public: true}
	v1 := strings.HasPrefix(op.Path, "/v1/")
	if v1 && d.Access != nil {
		acc = d.Access(op.Method, op.Path)
	}
	desc := op.Description
	var params []any
	given := map[string]bool{}
	for _, p := range op.Params {
		given[p.In+" "+p.Name] = true
	}
	for _, name := range pathParams(op.Path) {
		if !given["path "+name] {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": Str()})
		}
	}
	for _, p := range op.Params {
		if p.In == "path" && !slices.Contains(pathParams(op.Path), p.Name) {
			r.errorf("%s %s: path parameter %q is not in the pattern", op.Method, op.Path, p.Name)
		}
		pm := map[string]any{"name": p.Name, "in": p.In, "schema": r.resolve(p.Schema, modeIn)}
		if p.Schema == nil {
			pm["schema"] = Str()
		}
		if p.Required || p.In == "path" {
			pm["required"] = true
		}
		if p.Description != "" {
			pm["description"] = p.Description
		}
		params = append(params, pm)
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Body != nil {
		rb := map[string]any{"content": b.content(r, op.Body.Content, modeIn)}
		if op.Body.Required {
			rb["required"] = true
		}
		if op.Body.Description != "" {
			rb["description"] = op.Body.Description
		}
		o["requestBody"] = rb
	}
	resp := map[string]any{}
	errBody := func(what string) map[string]any {
		return map[string]any{"description": what, "content": map[string]any{"application/json": map[string]any{"schema": Ref(d.ErrorSchema)}}}
	}
	for _, rs := range op.Responses {
		m := map[string]any{"description": rs.Description}
		if rs.Description == "" {
			m["description"] = "success"
		}
		if len(rs.Content) > 0 {
			m["content"] = b.content(r, rs.Content, modeOut)
		}
		if len(rs.Headers) > 0 {
			hs := map[string]any{}
			for k, v := range rs.Headers {
				hs[k] = map[string]any{"description": v, "schema": Str()}
			}
			m["headers"] = hs
		}
		resp[strconv.Itoa(rs.Status)] = m
	}
	if len(op.Responses) == 0 {
		resp["200"] = map[string]any{"description": "success"}
	}
	resp["default"] = errBody("an error: 4xx for a bad request (details.path names the element), 5xx for the server's own failures")
	switch {
	case acc.Unlisted:
		desc = strings.TrimSpace(desc + "\n\nNot in the authorisation table: the server refuses every call (403 no_policy).")
		o["x-roles"] = []string{}
	case acc.Public:
		o["security"] = []any{}
		if v1 {
			o["x-roles"] = []string{"public"}
		}
	default:
		var alt []any
		for _, k := range sortedKeys(d.Security) {
			alt = append(alt, map[string]any{k: []string{}})
		}
		o["security"] = alt
		roles := append([]string{"admin"}, acc.Roles...)
		o["x-roles"] = roles
		desc = strings.TrimSpace(desc + "\n\nRoles: " + strings.Join(roles, ", ") + ".")
		if _, ok := resp["401"]; !ok {
			resp["401"] = errBody("no credentials, or a token or session that is unknown, expired or revoked")
		}
		if _, ok := resp["403"]; !ok {
			resp["403"] = errBody("the caller's role may not call this route, or a cross-site write")
		}
	}
	if acc.Expensive {
		o["x-rate-limited"] = true
		desc = strings.TrimSpace(desc + " Rate-limited per account and per client address (429 with Retry-After).")
		if _, ok := resp["429"]; !ok {
			m := errBody("too many requests: retry after Retry-After seconds")
			m["headers"] = map[string]any{"Retry-After": map[string]any{"description": "seconds to wait", "schema": Int()}}
			resp["429"] = m
		}
	}
	if desc != "" {
		o["description"] = desc
	}
	o["responses"] = resp
	return o
}

func (b *Builder) content(r *reflector, ms []Media, m mode) map[string]any {
	c := map[string]any{}
	for _, x := range ms {
		mt := map[string]any{}
		if s := r.schemaOf(x.Schema, m); s != nil {
			mt["schema"] = s
		}
		c[x.Type] = mt
	}
	return c
}
