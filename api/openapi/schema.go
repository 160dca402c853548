// Package openapi builds lifeline's OpenAPI 3.1 document (GET /openapi.json)
// from operations that each resource registers next to its handlers
// (api/openapi_*.go), with JSON Schemas (2020-12) reflected from the Go types
// the handlers decode and render, so the document follows the code.
//
// It knows nothing of gin or of the authorisation table: the api package
// passes the router's routes (only operations the server serves are listed)
// and an Access function that reads api/auth/policy.go.
package openapi

import "maps"

// Schema is a JSON Schema (2020-12) object, as OpenAPI 3.1 uses it.
type Schema map[string]any

// Str, Int, Num, Bool and Any are the basic schemas.
func Str() Schema  { return Schema{"type": "string"} }
func Int() Schema  { return Schema{"type": "integer"} }
func Num() Schema  { return Schema{"type": "number"} }
func Bool() Schema { return Schema{"type": "boolean"} }
func Any() Schema  { return Schema{} }

// DateTime is an RFC 3339 time.
func DateTime() Schema { return Schema{"type": "string", "format": "date-time"} }

// Enum is a string that takes one of vals.
func Enum(vals ...string) Schema {
	vs := make([]any, len(vals))
	for i, v := range vals {
		vs[i] = v
	}
	return Schema{"type": "string", "enum": vs}
}

// Arr is an array of items.
func Arr(items Schema) Schema { return Schema{"type": "array", "items": items} }

// LonLat is a [lon, lat] point in WGS 84.
func LonLat() Schema {
	return Schema{"type": "array", "items": Num(), "minItems": 2, "maxItems": 2, "description": "[lon, lat] (WGS 84)"}
}

// Obj is an object with these properties (no others: the API refuses
// unknown fields) of which required must be present.
func Obj(props map[string]Schema, required ...string) Schema {
	s := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// Map is an object whose every member is a value.
func Map(value Schema) Schema { return Schema{"type": "object", "additionalProperties": value} }

// Ref points at a schema of components.schemas.
func Ref(name string) Schema { return Schema{"$ref": "#/components/schemas/" + name} }

// OneOf is exactly one of the schemas.
func OneOf(ss ...Schema) Schema { return Schema{"oneOf": ss} }

// Nullable also allows null.
func Nullable(s Schema) Schema {
	if t, ok := s["type"].(string); ok && len(s) > 0 && s["$ref"] == nil {
		c := maps.Clone(s)
		c["type"] = []any{t, "null"}
		if e, ok := c["enum"].([]any); ok {
			c["enum"] = append(append([]any{}, e...), nil)
		}
		return c
	}
	if t, ok := s["type"].([]any); ok {
		for _, x := range t {
			if x == "null" {
				return s
			}
		}
	}
	if len(s) == 0 {
		return s // anything already includes null
	}
	return Schema{"anyOf": []any{s, Schema{"type": "null"}}}
}

// Desc returns a copy of s with a description.
func (s Schema) Desc(d string) Schema { return s.Set("description", d) }

// Set returns a copy of s with key set to v ("minimum", "format", ...).
func (s Schema) Set(key string, v any) Schema {
	c := maps.Clone(s)
	if c == nil {
		c = Schema{}
	}
	c[key] = v
	return c
}

// Extend returns a copy of an object schema with more properties (and
// more required ones).
func (s Schema) Extend(props map[string]Schema, required ...string) Schema {
	c := maps.Clone(s)
	ps := map[string]Schema{}
	if old, ok := s["properties"].(map[string]Schema); ok {
		maps.Copy(ps, old)
	}
	maps.Copy(ps, props)
	c["properties"] = ps
	if len(required) > 0 {
		var req []string
		if old, ok := s["required"].([]string); ok {
			req = append(req, old...)
		}
		c["required"] = append(req, required...)
	}
	return c
}

// goTypeKey marks a placeholder for a Go type's schema inside a written
// schema (Of); Document replaces it with the reflected schema.
const goTypeKey = "x-go-type"

// Of is the schema of v's Go type, reflected when the document is built:
// use it inside written schemas (Obj properties, Arr items).
func Of(v any) Schema { return Schema{goTypeKey: typeOf(v)} }
