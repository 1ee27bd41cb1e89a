package schema

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Tool arguments are validated against the tool's input schema on every call,
// then decoded into the handler's argument type.
//
// The general path decodes the arguments into a generic JSON value, applies
// defaults, validates it with jsonschema-go, and decodes again into the Go
// type. For the common case, a flat struct whose schema FastMCP inferred, a
// compiled path does the same work in one pass: it checks the members in place
// (names, presence, nulls), decodes straight into the struct, and checks the
// remaining constraints (enum, bounds, lengths, pattern) on the Go values. The
// two paths accept and refuse the same arguments; tests check it.

// argKind is how a tool's arguments are decoded.
type argKind uint8

const (
	argStruct argKind = iota // decoded into the Go type
	argMap                   // map[string]any: the validated instance itself
	argRaw                   // json.RawMessage: the raw arguments
)

// Args validates and decodes a tool's arguments into In.
type Args[In any] struct {
	// Wire is the input schema as tools/list shows it.
	Wire        json.RawMessage
	kind        argKind
	schema      *jsonschema.Schema
	resolved    *jsonschema.Resolved
	hasDefaults bool
	fast        *structArgs // the compiled path, when In allows it
}

var mapAnyType = reflect.TypeFor[map[string]any]()

// NewArgs returns the codec of In. An explicit schema (any form FromAny
// takes) replaces the one inferred from In; In must then still be a struct, a
// map with string keys, an empty interface or json.RawMessage.
func NewArgs[In any](explicit any) (*Args[In], error) {
	t := reflect.TypeFor[In]()
	c := &Args[In]{}
	switch {
	case t == RawMessageType:
		c.kind = argRaw
	case t == mapAnyType:
		c.kind = argMap
	case t.Kind() == reflect.Interface:
		if t.NumMethod() != 0 {
			return nil, fmt.Errorf("argument type %s is an interface with methods", t)
		}
		c.kind = argMap
	default:
		base := t
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		if base.Kind() != reflect.Struct && !(base.Kind() == reflect.Map && base.Key().Kind() == reflect.String) {
			return nil, fmt.Errorf("argument type %s is not a struct or a map with string keys: tool arguments are a JSON object", t)
		}
	}
	var schema *jsonschema.Schema
	var err error
	if explicit != nil {
		c.Wire, schema, err = FromAny(explicit)
		if err != nil {
			return nil, err
		}
	} else {
		switch c.kind {
		case argRaw, argMap:
			schema = &jsonschema.Schema{Type: "object"}
		default:
			base := t
			for base.Kind() == reflect.Pointer {
				base = base.Elem()
			}
			if schema, err = ForInput(base); err != nil {
				return nil, err
			}
		}
		if c.Wire, err = Marshal(schema); err != nil {
			return nil, err
		}
	}
	if schema.Type != "object" {
		return nil, fmt.Errorf(`input schema must have "type": "object"`)
	}
	if err := checkRefCycles(schema); err != nil {
		return nil, err
	}
	if c.resolved, err = schema.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true}); err != nil {
		return nil, err
	}
	c.schema = schema
	c.hasDefaults = hasDefaults(schema)
	if explicit == nil && c.kind == argStruct && t.Kind() == reflect.Struct {
		c.fast = compileStructArgs(t, schema)
	}
	return c, nil
}

// Decode validates raw arguments (absent or null meaning {}) and decodes them.
func (c *Args[In]) Decode(raw json.RawMessage) (In, error) {
	var in In
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if c.fast != nil {
		err := c.fast.decode(raw, reflect.ValueOf(&in).Elem())
		if err != nil {
			// The general path words the error, so that both paths say
			// the same; a refused call may cost a second look.
			if _, gerr := c.decodeGeneral(raw); gerr != nil {
				err = gerr
			}
		}
		return in, err
	}
	return c.decodeGeneral(raw)
}

// decodeGeneral is the path that works for every schema.
func (c *Args[In]) decodeGeneral(raw json.RawMessage) (In, error) {
	var in In
	if c.hasDefaults {
		var err error
		if raw, err = withDefaults(raw, c.schema); err != nil {
			return in, err
		}
	}
	if depth(raw, MaxArgumentDepth) > MaxArgumentDepth {
		return in, fmt.Errorf("arguments nest more than %d levels deep", MaxArgumentDepth)
	}
	var inst any
	if err := json.Unmarshal(raw, &inst); err != nil {
		return in, fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return in, errors.New("arguments must be a JSON object")
	}
	if err := Validate(c.resolved, obj); err != nil {
		return in, err
	}
	switch c.kind {
	case argRaw:
		return any(raw).(In), nil
	case argMap:
		return any(obj).(In), nil
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		// The schema accepted the value; encoding/json may still refuse a
		// number such as 1.0 for an int. Re-encoding normalises it.
		b, merr := json.Marshal(obj)
		if merr != nil || json.Unmarshal(b, &in) != nil {
			return in, unmarshalError(err)
		}
	}
	return in, nil
}

// withDefaults returns the raw arguments with the schema's defaults filled in
// for the properties they leave out, in the objects that are present (a
// missing optional object is not created to hold defaults). Values keep their
// original text, so large integers keep their precision.
func withDefaults(raw json.RawMessage, s *jsonschema.Schema) (json.RawMessage, error) {
	out, _, err := fillDefaults(raw, s)
	return out, err
}

func fillDefaults(raw json.RawMessage, s *jsonschema.Schema) (json.RawMessage, bool, error) {
	if s == nil || !hasDefaults(s) {
		return raw, false, nil
	}
	trimmed := bytes.TrimSpace(raw)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{' && s.Properties != nil:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return nil, false, fmt.Errorf("arguments are not valid JSON: %v", err)
		}
		changed := false
		for name, p := range s.Properties {
			v, ok := m[name]
			if !ok {
				if p.Default != nil {
					m[name], changed = p.Default, true
				}
				continue
			}
			nv, ch, err := fillDefaults(v, p)
			if err != nil {
				return nil, false, err
			}
			if ch {
				m[name], changed = nv, true
			}
		}
		if !changed {
			return raw, false, nil
		}
		b, err := json.Marshal(m)
		return b, true, err
	case len(trimmed) > 0 && trimmed[0] == '[' && s.Items != nil:
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return nil, false, fmt.Errorf("arguments are not valid JSON: %v", err)
		}
		changed := false
		for i, e := range elems {
			ne, ch, err := fillDefaults(e, s.Items)
			if err != nil {
				return nil, false, err
			}
			if ch {
				elems[i], changed = ne, true
			}
		}
		if !changed {
			return raw, false, nil
		}
		b, err := json.Marshal(elems)
		return b, true, err
	}
	return raw, false, nil
}

// unmarshalError rewords an encoding/json error to name the field.
func unmarshalError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "arguments"
		}
		if n, ok := strings.CutPrefix(te.Value, "number "); ok {
			// The schema admitted the number; the Go type cannot hold it.
			switch k := DerefType(te.Type).Kind(); {
			case k >= reflect.Int && k <= reflect.Uint64:
				return fmt.Errorf("%s: %s does not fit a %d-bit integer", field, n, DerefType(te.Type).Bits())
			case k == reflect.Float32 || k == reflect.Float64:
				return fmt.Errorf("%s: %s does not fit a %d-bit number", field, n, DerefType(te.Type).Bits())
			}
		}
		return errors.New(typeError(field, te.Value, jsonTypeName(te.Type)))
	}
	return err
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// structArgs is the compiled validator of a flat argument struct.
type structArgs struct {
	fields []argField
	byName map[string]int
}

// argField is one property of a flat argument struct and its constraints.
type argField struct {
	name     string
	index    int
	typ      reflect.Type
	required bool
	nullable bool
	def      json.RawMessage
	enum     []any
	min, max *float64
	exMin    *float64
	exMax    *float64
	multiple *float64
	minLen   *int
	maxLen   *int
	pattern  *regexp.Regexp
	minItems *int
	maxItems *int
	// items holds the constraints of a slice's elements.
	items *argField
}

// compileStructArgs compiles the validator of t, or returns nil when t is not a
// flat struct of scalars and slices of scalars (the general path then applies).
func compileStructArgs(t reflect.Type, s *jsonschema.Schema) *structArgs {
	if t.NumField() > 64 || s.AdditionalProperties == nil || s.PatternProperties != nil {
		return nil
	}
	sa := &structArgs{byName: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		prop := s.Properties[name]
		if prop == nil || hasOption(opts, "string") || decodesItself(f.Type) {
			return nil
		}
		af, ok := compileField(f.Type, prop)
		if !ok {
			return nil
		}
		af.name, af.index = name, i
		af.nullable = nullAllowed(prop)
		af.required = slices.Contains(s.Required, name)
		sa.byName[name] = len(sa.fields)
		sa.fields = append(sa.fields, af)
	}
	if len(sa.fields) != len(s.Properties) {
		return nil
	}
	return sa
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether values of t (or of what t contains) decode
// through their own UnmarshalJSON or UnmarshalText, which the compiled path
// does not call.
func decodesItself(t reflect.Type) bool {
	for {
		if t != RawMessageType && (reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
			t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType)) {
			return true
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return false
		}
	}
}

// nullAllowed reports whether the property schema p accepts null.
func nullAllowed(p *jsonschema.Schema) bool {
	typed := p.Type == "null" || slices.Contains(p.Types, "null") || (p.Type == "" && p.Types == nil)
	if !typed {
		return false
	}
	return p.Enum == nil || slices.Contains(p.Enum, nil)
}

// compileField compiles the constraints of one property, or reports false when
// they go beyond what the compiled path checks.
func compileField(t reflect.Type, p *jsonschema.Schema) (argField, bool) {
	af := argField{typ: t, def: p.Default}
	if p.AllOf != nil || p.AnyOf != nil || p.OneOf != nil || p.Not != nil || p.If != nil || p.Const != nil ||
		p.Ref != "" || p.PrefixItems != nil || p.Contains != nil || p.UniqueItems || p.AdditionalProperties != nil {
		return af, false
	}
	base := t
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
		af.nullable = true
	}
	switch base.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
	case reflect.Slice:
		if base == RawMessageType {
			af.nullable = true
			return af, p.Enum == nil
		}
		if t.Kind() == reflect.Pointer || p.Items == nil {
			return af, false
		}
		af.nullable = true
		elem, ok := compileField(base.Elem(), p.Items)
		if !ok || elem.items != nil || base.Elem().Kind() == reflect.Slice || base.Elem().Kind() == reflect.Interface {
			return af, false
		}
		elem.nullable = nullAllowed(p.Items)
		af.items = &elem
		af.minItems, af.maxItems = p.MinItems, p.MaxItems
		return af, p.Enum == nil
	case reflect.Interface:
		if base.NumMethod() != 0 || t.Kind() == reflect.Pointer {
			return af, false
		}
		af.nullable = true
		return af, p.Enum == nil && p.Type == "" && p.Types == nil
	default:
		return af, false
	}
	if p.Types != nil && !af.nullable {
		return af, false
	}
	af.enum = p.Enum
	af.min, af.max, af.exMin, af.exMax, af.multiple = p.Minimum, p.Maximum, p.ExclusiveMinimum, p.ExclusiveMaximum, p.MultipleOf
	af.minLen, af.maxLen = p.MinLength, p.MaxLength
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return af, false
		}
		af.pattern = re
	}
	return af, true
}

// decode validates raw and decodes it into v, a struct, in one pass over the
// arguments: scalars are parsed in place, other values decoded by
// encoding/json.
func (sa *structArgs) decode(raw []byte, v reflect.Value) error {
	var present uint64
	var extra []string
	var first error
	err := jsonrpc.ObjectEachRaw(raw, func(key []byte, escaped bool, value []byte) error {
		var i int
		var ok bool
		if escaped {
			k, _ := jsonrpc.UnquoteString(append(append([]byte{'"'}, key...), '"'))
			i, ok = sa.byName[k]
		} else {
			i, ok = sa.byName[string(key)] // a lookup; does not allocate
		}
		if !ok {
			extra = append(extra, string(key))
			return nil
		}
		present |= 1 << i
		if first == nil {
			first = sa.fields[i].set(v.Field(sa.fields[i].index), value)
		}
		return nil
	})
	if err == jsonrpc.ErrNotObject {
		return errors.New("arguments must be a JSON object")
	}
	if err != nil {
		return errors.New("arguments are not valid JSON")
	}
	if len(extra) > 0 {
		return fmt.Errorf("unexpected additional properties %s", quoteList(extra))
	}
	var missing []string
	for i := range sa.fields {
		if sa.fields[i].required && present&(1<<i) == 0 {
			missing = append(missing, sa.fields[i].name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing properties: %s", quoteList(missing))
	}
	if first != nil {
		return first
	}
	for i := range sa.fields {
		f := &sa.fields[i]
		fv := v.Field(f.index)
		if present&(1<<i) == 0 {
			if f.def != nil {
				if err := json.Unmarshal(f.def, fv.Addr().Interface()); err != nil {
					return fmt.Errorf("%s: default: %v", f.name, err)
				}
			}
			continue
		}
		if err := f.check(f.name, fv); err != nil {
			return err
		}
	}
	return nil
}

// set decodes one raw JSON value into the field fv.
func (f *argField) set(fv reflect.Value, value []byte) error {
	if fv.Type() == RawMessageType {
		// As encoding/json does: the raw text, null included.
		fv.SetBytes(append([]byte(nil), value...))
		return nil
	}
	if len(value) == 4 && string(value) == "null" {
		if !f.nullable {
			return fmt.Errorf("%s: got null, want %s", f.name, jsonTypeName(f.typ))
		}
		fv.SetZero()
		return nil
	}
	if f.items != nil && !f.items.nullable && value[0] == '[' {
		i := 0
		var nullAt = -1
		_ = jsonrpc.ArrayEach(value, func(elem []byte) error {
			if nullAt < 0 && len(elem) == 4 && string(elem) == "null" {
				nullAt = i
			}
			i++
			return nil
		})
		if nullAt >= 0 {
			return fmt.Errorf("%s[%d]: got null, want %s", f.name, nullAt, jsonTypeName(f.items.typ))
		}
	}
	if fv.Kind() == reflect.Pointer {
		switch fv.Type().Elem().Kind() {
		case reflect.Slice, reflect.Map, reflect.Struct, reflect.Interface:
		default:
			nv := reflect.New(fv.Type().Elem())
			if err := f.setScalar(nv.Elem(), value); err != nil {
				return err
			}
			fv.Set(nv)
			return nil
		}
	}
	switch fv.Kind() {
	case reflect.Slice, reflect.Interface, reflect.Pointer, reflect.Map, reflect.Struct, reflect.Array:
		if err := json.Unmarshal(value, fv.Addr().Interface()); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return fmt.Errorf("%s: got %s, want %s", f.name, te.Value, jsonTypeName(te.Type))
			}
			return fmt.Errorf("%s: %v", f.name, err)
		}
		return nil
	}
	return f.setScalar(fv, value)
}

// setScalar parses a JSON string, number or boolean into a scalar field.
func (f *argField) setScalar(fv reflect.Value, value []byte) error {
	switch fv.Kind() {
	case reflect.String:
		s, ok := jsonrpc.UnquoteString(value)
		if !ok {
			return f.typeError(value)
		}
		fv.SetString(s)
	case reflect.Bool:
		switch string(value) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return f.typeError(value)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !isNumber(value) {
			return f.typeError(value)
		}
		n, err := strconv.ParseInt(string(value), 10, fv.Type().Bits())
		if err != nil {
			// JSON Schema counts 1.0 and 1e2 as integers.
			x, ferr := strconv.ParseFloat(string(value), 64)
			if ferr != nil || x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 || fv.OverflowInt(int64(x)) {
				return fmt.Errorf("%s: %s is not an integer of %d bits", f.name, value, fv.Type().Bits())
			}
			n = int64(x)
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !isNumber(value) {
			return f.typeError(value)
		}
		n, err := strconv.ParseUint(string(value), 10, fv.Type().Bits())
		if err != nil {
			x, ferr := strconv.ParseFloat(string(value), 64)
			if ferr != nil || x != math.Trunc(x) || x < 0 || x >= math.MaxUint64 || fv.OverflowUint(uint64(x)) {
				return fmt.Errorf("%s: %s is not a non-negative integer of %d bits", f.name, value, fv.Type().Bits())
			}
			n = uint64(x)
		}
		fv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		if !isNumber(value) {
			return f.typeError(value)
		}
		x, err := strconv.ParseFloat(string(value), fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s: %s does not fit a %d-bit number", f.name, value, fv.Type().Bits())
		}
		fv.SetFloat(x)
	default:
		return fmt.Errorf("%s: unsupported field type %s", f.name, fv.Type())
	}
	return nil
}

func isNumber(v []byte) bool { return len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) }

// typeError describes a value of the wrong JSON type.
func (f *argField) typeError(value []byte) error {
	got := "number"
	switch value[0] {
	case '"':
		got = "string"
	case 't', 'f':
		got = "boolean"
	case '{':
		got = "object"
	case '[':
		got = "array"
	}
	return fmt.Errorf("%s: got %s, want %s", f.name, got, jsonTypeName(f.typ))
}

// check validates the constraints of a decoded value.
func (f *argField) check(name string, v reflect.Value) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if f.enum != nil && !slices.Contains(f.enum, any(s)) {
			return fmt.Errorf("%s: %q is not one of %s", name, s, enumList(f.enum))
		}
		n := utf8.RuneCountInString(s)
		if f.minLen != nil && n < *f.minLen {
			return fmt.Errorf("%s: length %d is shorter than %d", name, n, *f.minLen)
		}
		if f.maxLen != nil && n > *f.maxLen {
			return fmt.Errorf("%s: length %d is longer than %d", name, n, *f.maxLen)
		}
		if f.pattern != nil && !f.pattern.MatchString(s) {
			return fmt.Errorf("%s: %q does not match the pattern %q", name, s, f.pattern.String())
		}
	case reflect.Bool:
		if f.enum != nil && !slices.Contains(f.enum, any(v.Bool())) {
			return fmt.Errorf("%s: %v is not one of %s", name, v.Bool(), enumList(f.enum))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return f.checkNumber(name, float64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return f.checkNumber(name, float64(v.Uint()))
	case reflect.Float32, reflect.Float64:
		return f.checkNumber(name, v.Float())
	case reflect.Slice:
		if f.items == nil {
			return nil
		}
		n := v.Len()
		if f.minItems != nil && n < *f.minItems {
			return fmt.Errorf("%s: %d items, fewer than %d", name, n, *f.minItems)
		}
		if f.maxItems != nil && n > *f.maxItems {
			return fmt.Errorf("%s: %d items, more than %d", name, n, *f.maxItems)
		}
		for i := range n {
			if err := f.items.check(name+"["+strconv.Itoa(i)+"]", v.Index(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *argField) checkNumber(name string, x float64) error {
	if f.enum != nil && !slices.ContainsFunc(f.enum, func(e any) bool { return jsonschema.Equal(e, x) }) {
		return fmt.Errorf("%s: %v is not one of %s", name, x, enumList(f.enum))
	}
	switch {
	case f.min != nil && x < *f.min:
		return fmt.Errorf("%s: %v is less than the minimum %v", name, x, *f.min)
	case f.max != nil && x > *f.max:
		return fmt.Errorf("%s: %v is greater than the maximum %v", name, x, *f.max)
	case f.exMin != nil && x <= *f.exMin:
		return fmt.Errorf("%s: %v is not greater than %v", name, x, *f.exMin)
	case f.exMax != nil && x >= *f.exMax:
		return fmt.Errorf("%s: %v is not less than %v", name, x, *f.exMax)
	case f.multiple != nil && *f.multiple != 0:
		if q := x / *f.multiple; q != math.Trunc(q) {
			return fmt.Errorf("%s: %v is not a multiple of %v", name, x, *f.multiple)
		}
	}
	return nil
}

func enumList(values []any) string {
	b, _ := json.Marshal(values)
	return string(b)
}
