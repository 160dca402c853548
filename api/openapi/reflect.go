package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// mode says which way a value travels: a request body is decoded (nothing
// is required unless the operation says so; null is allowed where Go's
// decoder takes it), an answer is encoded (every field without omitempty is
// present; nil slices, maps and pointers are null).
type mode int

const (
	modeOut mode = iota
	modeIn
)

var (
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

type compKey struct {
	t reflect.Type
	m mode
}

// reflector turns Go types into schemas, named struct types into
// components.schemas entries.
type reflector struct {
	b     *Builder
	comps map[string]Schema
	names map[compKey]string
	taken map[string]compKey
	errs  []string
}

func (r *reflector) errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// schemaOf resolves what an operation gives as a schema: a Schema as is, a
// reflect.Type or any other Go value by reflection.
func (r *reflector) schemaOf(v any, m mode) Schema {
	switch x := v.(type) {
	case nil:
		return nil
	case Schema:
		return r.resolve(x, m).(Schema)
	case reflect.Type:
		return r.schema(x, m)
	}
	return r.schema(reflect.TypeOf(v), m)
}

// resolve replaces the Of placeholders in a written schema (a copy).
func (r *reflector) resolve(v any, m mode) any {
	switch x := v.(type) {
	case Schema:
		if t, ok := x[goTypeKey].(reflect.Type); ok {
			return r.schema(t, m)
		}
		c := make(Schema, len(x))
		for k, e := range x {
			c[k] = r.resolve(e, m)
		}
		return c
	case map[string]Schema:
		c := make(map[string]Schema, len(x))
		for k, e := range x {
			c[k] = r.resolve(e, m).(Schema)
		}
		return c
	case []Schema:
		c := make([]Schema, len(x))
		for i, e := range x {
			c[i] = r.resolve(e, m).(Schema)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = r.resolve(e, m)
		}
		return c
	}
	return v
}

func (r *reflector) schema(t reflect.Type, m mode) Schema {
	if s, ok := r.b.types[t]; ok {
		return s
	}
	if t.Kind() == reflect.Pointer {
		return Nullable(r.schema(t.Elem(), m))
	}
	switch {
	case t == timeType:
		return DateTime()
	case t == rawType:
		return Any()
	case t == durationType:
		return Int().Desc("nanoseconds")
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		r.errorf("%s has its own MarshalJSON: describe it with Builder.Type", t)
		return Any()
	case m == modeIn && (t.Implements(unmarshalType) || reflect.PointerTo(t).Implements(unmarshalType)):
		r.errorf("%s has its own UnmarshalJSON: describe it with Builder.Type", t)
		return Any()
	case t.Implements(textType):
		return Str()
	}
	var s Schema
	switch t.Kind() {
	case reflect.Bool:
		s = Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s = Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s = Int().Set("minimum", 0)
	case reflect.Float32, reflect.Float64:
		s = Num()
	case reflect.String:
		s = Str()
	case reflect.Interface:
		return Any()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return Str().Set("contentEncoding", "base64")
		}
		return Arr(r.schema(t.Elem(), m))
	case reflect.Array:
		return Arr(r.schema(t.Elem(), m)).Set("minItems", t.Len()).Set("maxItems", t.Len())
	case reflect.Map:
		return Map(r.schema(t.Elem(), m))
	case reflect.Struct:
		if t.Name() == "" {
			return r.object(t, m)
		}
		return r.component(t, m)
	default:
		r.errorf("cannot describe Go type %s", t)
		return Any()
	}
	if e, ok := r.b.enums[t]; ok {
		s = Enum(e...)
	}
	return s
}

// component names a struct type's schema (once) and refers to it.
func (r *reflector) component(t reflect.Type, m mode) Schema {
	k := compKey{t, m}
	if name, ok := r.names[k]; ok {
		return Ref(name)
	}
	name := r.b.named[t]
	if name == "" {
		name = exported(t.Name())
	}
	if m == modeIn && !strings.HasSuffix(name, "Input") && !strings.HasSuffix(name, "Request") {
		name += "Input"
	}
	if other, ok := r.taken[name]; ok && other != k {
		pkg := t.PkgPath()
		name = exported(pkg[strings.LastIndex(pkg, "/")+1:]) + name
	}
	r.names[k], r.taken[name] = name, k
	r.comps[name] = Schema{} // recursion guard
	r.comps[name] = r.object(t, m)
	return Ref(name)
}

func exported(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

type field struct {
	name     string
	schema   Schema
	optional bool
	depth    int
}

// object is the schema of a struct as encoding/json sees it: tagged names,
// embedded structs' fields promoted (the shallowest wins), "-" left out.
func (r *reflector) object(t reflect.Type, m mode) Schema {
	var fs []field
	r.fields(t, m, 0, &fs)
	props := map[string]Schema{}
	depth := map[string]int{}
	var required []string
	for _, f := range fs {
		if d, ok := depth[f.name]; ok && d <= f.depth {
			continue
		}
		depth[f.name] = f.depth
		props[f.name] = f.schema
	}
	for _, f := range fs {
		if depth[f.name] == f.depth && m == modeOut && !f.optional && !contains(required, f.name) {
			required = append(required, f.name)
		}
	}
	for k, v := range r.b.extra[t] {
		props[k] = r.resolve(v, m).(Schema)
	}
	s := Obj(props, required...)
	if d, ok := r.b.docs[t]; ok {
		s["description"] = d
	}
	return s
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (r *reflector) fields(t reflect.Type, m mode, depth int, out *[]field) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if _, over := r.b.types[et]; !over {
					r.fields(et, m, depth+1, out)
					continue
				}
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		var s Schema
		if strings.Contains(","+opts+",", ",string,") {
			s = Str()
		} else {
			s = r.schema(ft, m)
		}
		// nil slices and maps are null in JSON (both ways)
		if (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map) && ft != rawType && !(m == modeOut && omit) {
			s = Nullable(s)
		}
		*out = append(*out, field{name: name, schema: s, optional: omit, depth: depth})
	}
}
