// Package schema infers JSON Schemas from Go types, with FastMCP's struct
// tags, and validates and decodes tool arguments against them. It depends on
// nothing else in FastMCP but its JSON-RPC scanner, so the root package's tools,
// prompts, resources and elicitation share one implementation.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// Schema inference.
//
// A Go type becomes a JSON Schema with github.com/google/jsonschema-go, which
// follows encoding/json: a field's property name comes from its json tag, and a
// field is required unless its json tag has omitempty or omitzero. FastMCP then
// reads these struct tags for what jsonschema-go does not infer:
//
//	jsonschema:"..."   description (jsonschema-go's own tag)
//	description:"..."  description (alternative spelling)
//	title:"..."        title
//	enum:"a,b,c"       allowed values, comma-separated, parsed as the field's type;
//	                   on a slice field they constrain the items (a multi-select)
//	default:"..."      default value, parsed as the field's type; a field with a
//	                   default is not required, and the default is applied to
//	                   arguments that leave it out
//	minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf:"n"
//	minLength, maxLength, minItems, maxItems:"n"
//	pattern:"regexp"   format:"email"
//	mcpheader:"Name"   mirror the parameter in the Mcp-Param-Name HTTP header
//	                   (x-mcp-header, 2026-07-28); string, integer and
//	                   boolean fields only
//
// A malformed tag panics at registration, like any other programmer error.

// RawMessageType is the type of json.RawMessage, which stands for any JSON
// value.
var RawMessageType = reflect.TypeFor[json.RawMessage]()

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	bytesType    = reflect.TypeFor[[]byte]()
)

// typeSchemas are the schemas of types whose JSON form is not what their Go
// structure suggests.
func typeSchemas() map[reflect.Type]*jsonschema.Schema {
	return map[reflect.Type]*jsonschema.Schema{
		RawMessageType:                    {},
		reflect.PointerTo(RawMessageType): {},
		timeType:                          {Type: "string", Format: "date-time"},
		durationType:                      {Type: "integer", Description: "duration in nanoseconds"},
		bytesType:                         {Types: []string{"null", "string"}, ContentEncoding: "base64"},
	}
}

// ForInput infers the schema of values clients send (tool arguments), with
// FastMCP's struct tags applied. A required slice, []byte or map field (no
// omitempty, omitzero or default) must be present and not null, so its type
// is "array", "string" or "object": a handler never sees nil for it, and
// clients that cannot send a union type ("type": ["null", "array"]) can send
// it. An optional one also accepts null, which decodes as if it were left
// out. A pointer field accepts null.
func ForInput(t reflect.Type) (*jsonschema.Schema, error) { return infer(t, true) }

// ForOutput infers the schema of values FastMCP sends (structured tool
// results), with FastMCP's struct tags applied. encoding/json writes a nil
// slice or map as null, so the type of a slice or map field includes "null".
func ForOutput(t reflect.Type) (*jsonschema.Schema, error) { return infer(t, false) }

func infer(t reflect.Type, input bool) (*jsonschema.Schema, error) {
	s, err := jsonschema.ForType(t, &jsonschema.ForOptions{TypeSchemas: typeSchemas()})
	if err != nil {
		return nil, err
	}
	tg := tagger{input: input, seen: map[reflect.Type]bool{}}
	if err := tg.apply(s, t); err != nil {
		return nil, err
	}
	return s, nil
}

// jsonSchemaTypes are the type names JSON Schema defines.
var jsonSchemaTypes = map[string]bool{"null": true, "boolean": true, "object": true, "array": true, "number": true, "string": true, "integer": true}

// checkTypeNames reports a type name JSON Schema does not define, anywhere in
// s: a typo such as "strin" would otherwise make every call fail.
func checkTypeNames(s *jsonschema.Schema) error {
	var walk func(s *jsonschema.Schema, path string) error
	walk = func(s *jsonschema.Schema, path string) error {
		if s == nil {
			return nil
		}
		for _, t := range append([]string{s.Type}, s.Types...) {
			if t != "" && !jsonSchemaTypes[t] {
				return fmt.Errorf("%s: unknown type %q", path, t)
			}
		}
		for name, p := range s.Properties {
			if err := walk(p, path+"/properties/"+name); err != nil {
				return err
			}
		}
		for name, d := range s.Defs {
			if err := walk(d, path+"/$defs/"+name); err != nil {
				return err
			}
		}
		for name, d := range s.Definitions {
			if err := walk(d, path+"/definitions/"+name); err != nil {
				return err
			}
		}
		for _, sub := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
			for i, x := range sub {
				if err := walk(x, path+"/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		}
		for _, x := range []*jsonschema.Schema{s.Items, s.AdditionalProperties, s.Not, s.If, s.Then, s.Else} {
			if err := walk(x, path); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(s, "#")
}

// tagger applies FastMCP's tags to an inferred schema.
type tagger struct {
	input bool // the schema describes arguments, not results
	seen  map[reflect.Type]bool
}

// apply walks t alongside its inferred schema s and applies FastMCP's tags.
func (tg *tagger) apply(s *jsonschema.Schema, t reflect.Type) error {
	seen := tg.seen
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s == nil || seen[t] {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t != RawMessageType {
			return tg.apply(s.Items, t.Elem())
		}
	case reflect.Map:
		return tg.apply(s.AdditionalProperties, t.Elem())
	case reflect.Struct:
		if t == timeType {
			return nil
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				// Embedded struct: its fields are promoted into s.
				if err := tg.apply(s, f.Type); err != nil {
					return err
				}
				continue
			}
			if f.Anonymous {
				// An embedded struct with a JSON name is a nested object
				// to encoding/json; describe it so.
				if err := nestEmbedded(s, t, f, name, opts); err != nil {
					return err
				}
			}
			if name == "" {
				name = f.Name
			}
			prop := s.Properties[name]
			if prop == nil {
				continue
			}
			if DerefType(f.Type) == RawMessageType {
				// Any JSON value, null included.
				*prop = jsonschema.Schema{Description: prop.Description, Title: prop.Title}
			}
			if hasOption(opts, "string") {
				// ",string" puts a number or boolean in a JSON string.
				switch k := DerefType(f.Type).Kind(); {
				case k == reflect.Bool || (k >= reflect.Int && k <= reflect.Float64):
					*prop = jsonschema.Schema{Type: "string", Description: prop.Description, Title: prop.Title}
				}
			}
			hasDefault, err := applyFieldTags(prop, f)
			if err != nil {
				return fmt.Errorf("field %s.%s: %w", t.Name(), f.Name, err)
			}
			if hasDefault {
				s.Required = removeString(s.Required, name)
			}
			switch k := f.Type.Kind(); {
			case tg.input && (k == reflect.Slice || k == reflect.Map) && f.Type != RawMessageType && slices.Contains(s.Required, name):
				// A required argument: null is not a value of it.
				if len(prop.Types) == 2 && slices.Contains(prop.Types, "null") {
					prop.Type, prop.Types = removeString(slices.Clone(prop.Types), "null")[0], nil
				}
			case DerefType(f.Type).Kind() == reflect.Map && prop.Type == "object":
				// A nil map encodes as null.
				prop.Type, prop.Types = "", []string{"null", "object"}
			}
			if err := tg.apply(prop, f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// DerefType returns t with its pointers removed.
func DerefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// nestEmbedded rewrites the schema of struct t, in which jsonschema-go
// flattened the embedded struct field f, to hold it as the nested property
// name, as encoding/json encodes it.
func nestEmbedded(s *jsonschema.Schema, t reflect.Type, f reflect.StructField, name, opts string) error {
	inner, err := jsonschema.ForType(DerefType(f.Type), &jsonschema.ForOptions{TypeSchemas: typeSchemas()})
	if err != nil {
		return err
	}
	// Fields of t itself shadow promoted ones: keep those.
	own := map[string]bool{}
	for i := range t.NumField() {
		g := t.Field(i)
		if g.Anonymous || !g.IsExported() {
			continue
		}
		n, _, _ := strings.Cut(g.Tag.Get("json"), ",")
		if n == "" {
			n = g.Name
		}
		own[n] = true
	}
	for p := range inner.Properties {
		if !own[p] {
			delete(s.Properties, p)
			s.Required = removeString(s.Required, p)
			s.PropertyOrder = removeString(s.PropertyOrder, p)
		}
	}
	if s.Properties == nil {
		s.Properties = map[string]*jsonschema.Schema{}
	}
	if f.Type.Kind() == reflect.Pointer {
		inner.Type, inner.Types = "", []string{"null", "object"}
	}
	s.Properties[name] = inner
	s.PropertyOrder = append(s.PropertyOrder, name)
	if !hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") {
		s.Required = append(s.Required, name)
	}
	return nil
}

// applyFieldTags applies one field's tags to its property schema.
func applyFieldTags(p *jsonschema.Schema, f reflect.StructField) (hasDefault bool, err error) {
	tag := f.Tag
	if d, ok := tag.Lookup("description"); ok {
		p.Description = d
	}
	if v, ok := tag.Lookup("title"); ok {
		p.Title = v
	}
	ft := f.Type
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if v, ok := tag.Lookup("enum"); ok {
		target, et := p, ft
		if (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array) && p.Items != nil {
			target, et = p.Items, ft.Elem()
		}
		for _, item := range strings.Split(v, ",") {
			val, err := ParseTagValue(strings.TrimSpace(item), et)
			if err != nil {
				return false, fmt.Errorf("enum: %w", err)
			}
			target.Enum = append(target.Enum, val)
		}
	}
	if v, ok := tag.Lookup("default"); ok {
		val, err := ParseTagValue(v, ft)
		if err != nil {
			return false, fmt.Errorf("default: %w", err)
		}
		raw, err := json.Marshal(val)
		if err != nil {
			return false, fmt.Errorf("default: %w", err)
		}
		p.Default = raw
		hasDefault = true
	}
	floats := []struct {
		name string
		dst  **float64
	}{
		{"minimum", &p.Minimum}, {"maximum", &p.Maximum},
		{"exclusiveMinimum", &p.ExclusiveMinimum}, {"exclusiveMaximum", &p.ExclusiveMaximum},
		{"multipleOf", &p.MultipleOf},
	}
	for _, fl := range floats {
		if v, ok := tag.Lookup(fl.name); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fl.name, err)
			}
			*fl.dst = &n
		}
	}
	ints := []struct {
		name string
		dst  **int
	}{
		{"minLength", &p.MinLength}, {"maxLength", &p.MaxLength},
		{"minItems", &p.MinItems}, {"maxItems", &p.MaxItems},
	}
	for _, in := range ints {
		if v, ok := tag.Lookup(in.name); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return false, fmt.Errorf("%s: %w", in.name, err)
			}
			*in.dst = &n
		}
	}
	if v, ok := tag.Lookup("pattern"); ok {
		p.Pattern = v
	}
	if v, ok := tag.Lookup("format"); ok {
		p.Format = v
	}
	if v, ok := tag.Lookup("mcpheader"); ok {
		if p.Extra == nil {
			p.Extra = map[string]any{}
		}
		p.Extra["x-mcp-header"] = v
	}
	return hasDefault, nil
}

// ParseTagValue parses a tag's text as a value of Go type t.
func ParseTagValue(s string, t reflect.Type) (any, error) {
	switch t.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Bool:
		return strconv.ParseBool(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.ParseInt(s, 10, 64)
	case reflect.Float32, reflect.Float64:
		return strconv.ParseFloat(s, 64)
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("%q is not valid JSON for a %s", s, t)
	}
	return v, nil
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// hasDefaults reports whether s or any subschema declares a default.
func hasDefaults(s *jsonschema.Schema) bool {
	if s == nil {
		return false
	}
	if s.Default != nil {
		return true
	}
	for _, p := range s.Properties {
		if hasDefaults(p) {
			return true
		}
	}
	return hasDefaults(s.Items) || hasDefaults(s.AdditionalProperties)
}

// Marshal encodes a schema for tools/list. Boolean subschemas under
// "properties" and "items" become {} (the same meaning), because widely used
// clients reject boolean property schemas.
func Marshal(s *jsonschema.Schema) (json.RawMessage, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(raw, []byte("true")) {
		return raw, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	fixBooleanSchemas(v)
	return json.Marshal(v)
}

func fixBooleanSchemas(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, p := range props {
			if p == true {
				props[k] = map[string]any{}
			} else {
				fixBooleanSchemas(p)
			}
		}
	}
	if items, ok := m["items"]; ok {
		if items == true {
			m["items"] = map[string]any{}
		} else {
			fixBooleanSchemas(items)
		}
	}
	for _, k := range []string{"additionalProperties", "$defs", "definitions"} {
		if sub, ok := m[k].(map[string]any); ok {
			if k == "additionalProperties" {
				fixBooleanSchemas(sub)
				continue
			}
			for _, d := range sub {
				fixBooleanSchemas(d)
			}
		}
	}
}

// FromAny turns a schema given by the user (a *jsonschema.Schema, a
// jsonschema.Schema, json.RawMessage, []byte, string or any JSON-encodable
// value such as map[string]any) into its wire form and a parsed Schema. The
// wire form is the user's JSON unchanged, so keywords such as $schema, $defs and
// $ref pass through as written.
func FromAny(v any) (json.RawMessage, *jsonschema.Schema, error) {
	var raw json.RawMessage
	switch v := v.(type) {
	case *jsonschema.Schema:
		if v == nil {
			return nil, nil, errors.New("nil schema")
		}
		// jsonschema-go encodes an empty subschema as true; clients expect
		// {} in properties, which means the same.
		var err error
		if raw, err = Marshal(v); err != nil {
			return nil, nil, err
		}
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case string:
		raw = json.RawMessage(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, nil, err
		}
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON Schema: %w", err)
	}
	if err := checkTypeNames(&s); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON Schema: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, nil, err
	}
	return compact.Bytes(), &s, nil
}

// formatValidationError turns a jsonschema-go validation error into a message
// that names the offending field: `a: type: "x" has type "string", want "number"`.
func formatValidationError(err error) string {
	msg := err.Error()
	path := ""
	for {
		rest, ok := strings.CutPrefix(msg, "validating ")
		if !ok {
			break
		}
		p, tail, ok := strings.Cut(rest, ": ")
		if !ok {
			break
		}
		path, msg = p, tail
	}
	field := pointerToField(path)
	if field == "" {
		return msg
	}
	return field + ": " + msg
}

// pointerToField turns a schema path such as /properties/a/items/properties/b
// into a field path such as a[].b. The root is "".
func pointerToField(p string) string {
	if p == "" || p == "root" {
		return ""
	}
	var b strings.Builder
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := 0; i < len(parts); i++ {
		switch parts[i] {
		case "properties":
			if i+1 < len(parts) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(parts[i+1])
				i++
			}
		case "items", "additionalProperties":
			b.WriteString("[]")
		}
	}
	return b.String()
}
