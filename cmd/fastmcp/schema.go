package main

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// schema is a JSON Schema as decoded from JSON. fastmcp reads the parts a
// person filling a form needs: types, enums, defaults, descriptions,
// properties, items, $ref to local definitions, and the common bounds.
type schema map[string]any

// asSchema converts whatever the SDK decoded a schema into (usually
// map[string]any) to a schema.
func asSchema(v any) schema {
	switch s := v.(type) {
	case nil:
		return nil
	case schema:
		return s
	case map[string]any:
		return schema(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func (s schema) str(key string) string {
	v, _ := s[key].(string)
	return v
}

func (s schema) sub(key string) schema {
	return asSchema(s[key])
}

// resolve follows a local $ref ("#/$defs/x", "#/definitions/x", any JSON
// pointer into root), up to a few levels.
func (s schema) resolve(root schema) schema {
	for range 8 {
		ref := s.str("$ref")
		if ref == "" || !strings.HasPrefix(ref, "#") {
			return s
		}
		var cur any = map[string]any(root)
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/") {
			if tok == "" {
				continue
			}
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			m, ok := cur.(map[string]any)
			if !ok {
				return s
			}
			cur = m[tok]
		}
		next := asSchema(cur)
		if next == nil {
			return s
		}
		// Keywords beside $ref (a description) win over the target's.
		merged := schema{}
		for k, v := range next {
			merged[k] = v
		}
		for k, v := range s {
			if k != "$ref" {
				merged[k] = v
			}
		}
		s = merged
	}
	return s
}

// types returns the JSON types the schema allows, "null" last.
func (s schema) types() []string {
	var ts []string
	switch t := s["type"].(type) {
	case string:
		ts = []string{t}
	case []any:
		for _, e := range t {
			if str, ok := e.(string); ok {
				ts = append(ts, str)
			}
		}
	}
	if len(ts) == 0 {
		// Titled enums are oneOf/anyOf of consts; infer from the values.
		for _, v := range s.enumValues() {
			if jt := jsonType(v); !slices.Contains(ts, jt) {
				ts = append(ts, jt)
			}
		}
		for _, alt := range s.alternatives() {
			for _, t := range alt.types() {
				if !slices.Contains(ts, t) {
					ts = append(ts, t)
				}
			}
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[j] == "null" && ts[i] != "null" })
	return ts
}

// mainType is the first non-null type, or "".
func (s schema) mainType() string {
	for _, t := range s.types() {
		if t != "null" {
			return t
		}
	}
	return ""
}

func (s schema) alternatives() []schema {
	var out []schema
	for _, key := range []string{"anyOf", "oneOf"} {
		if arr, ok := s[key].([]any); ok {
			for _, e := range arr {
				if es := asSchema(e); es != nil {
					out = append(out, es)
				}
			}
		}
	}
	return out
}

// choice is one allowed value of an enum, with its title if it has one.
type choice struct {
	value any
	title string
}

// choices returns the values of an enum: "enum" (with the legacy
// "enumNames" as titles) or a oneOf/anyOf of "const" (titled enums).
func (s schema) choices() []choice {
	if arr, ok := s["enum"].([]any); ok {
		names, _ := s["enumNames"].([]any)
		out := make([]choice, len(arr))
		for i, v := range arr {
			out[i].value = v
			if i < len(names) {
				out[i].title, _ = names[i].(string)
			}
		}
		return out
	}
	var out []choice
	for _, alt := range s.alternatives() {
		c, ok := alt["const"]
		if !ok {
			return nil
		}
		out = append(out, choice{value: c, title: alt.str("title")})
	}
	return out
}

func (s schema) enumValues() []any {
	var vs []any
	for _, c := range s.choices() {
		vs = append(vs, c.value)
	}
	return vs
}

// itemChoices returns the choices of an array's items (multi-select).
func (s schema) itemChoices(root schema) []choice {
	items := s.sub("items")
	if items == nil {
		return nil
	}
	return items.resolve(root).choices()
}

func (s schema) def() (any, bool) {
	v, ok := s["default"]
	return v, ok
}

// field is one property of an object schema.
type field struct {
	name     string
	s        schema
	required bool
}

// fields returns the properties of an object schema in the order a form
// asks them: the required ones in the order of "required" (the order the
// server declared them in), then the others by name.
func (s schema) fields(root schema) []field {
	props := asSchema(s["properties"])
	var req []string
	if arr, ok := s["required"].([]any); ok {
		for _, e := range arr {
			if str, ok := e.(string); ok {
				req = append(req, str)
			}
		}
	}
	var out []field
	for _, name := range req {
		if p, ok := props[name]; ok {
			out = append(out, field{name: name, s: asSchema(p).resolve(root), required: true})
		}
	}
	var rest []string
	for name := range props {
		if !slices.Contains(req, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, field{name: name, s: asSchema(props[name]).resolve(root)})
	}
	return out
}

// typeLabel describes the type for a person: "string", "integer",
// "array of string", "one of: a, b", "string or null".
func (s schema) typeLabel(root schema) string {
	if cs := s.choices(); len(cs) > 0 {
		return "one of " + choicesLabel(cs)
	}
	var parts []string
	for _, t := range s.types() {
		switch t {
		case "array":
			if ic := s.itemChoices(root); len(ic) > 0 {
				parts = append(parts, "list of "+choicesLabel(ic))
			} else if items := s.sub("items"); items != nil {
				if it := items.resolve(root).mainType(); it != "" {
					parts = append(parts, "list of "+it)
				} else {
					parts = append(parts, "list")
				}
			} else {
				parts = append(parts, "list")
			}
		default:
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 {
		return "any"
	}
	label := strings.Join(parts, " or ")
	if f := s.str("format"); f != "" {
		label += " (" + f + ")"
	}
	return label
}

func choicesLabel(cs []choice) string {
	var parts []string
	for _, c := range cs {
		v := valueLabel(c.value)
		if c.title != "" && c.title != v {
			v += " (" + c.title + ")"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ", ")
}

// valueLabel shows a value the way a person would type it.
func valueLabel(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// signature renders the arguments of an object schema compactly:
// "a: number, b?: string".
func signature(s schema) string {
	if s == nil {
		return ""
	}
	var parts []string
	for _, f := range s.fields(s) {
		name := f.name
		if !f.required {
			name += "?"
		}
		t := f.s.mainType()
		if len(f.s.choices()) > 0 {
			t = "enum"
		}
		if t == "" {
			t = "any"
		}
		parts = append(parts, name+": "+t)
	}
	return strings.Join(parts, ", ")
}

// parseInput converts what a person typed for a field into a value of the
// field's type, or says why it cannot. Strings are taken as typed (""
// typed as two quotes is the empty string); numbers, booleans, choices and
// lists are parsed; JSON is accepted wherever it fits.
func parseInput(s, root schema, in string) (any, error) {
	in = strings.TrimSpace(in)
	if cs := s.choices(); len(cs) > 0 {
		return pickChoice(cs, in)
	}
	types := s.types()
	if len(types) == 0 {
		var v any
		if json.Unmarshal([]byte(in), &v) == nil {
			return v, nil
		}
		return in, nil
	}
	var errs []string
	for _, t := range types {
		v, err := parseAs(t, s, root, in)
		if err == nil {
			if err := checkBounds(s, v); err != nil {
				return nil, err
			}
			return v, nil
		}
		errs = append(errs, err.Error())
	}
	return nil, fmt.Errorf("%s", strings.Join(errs, "; or "))
}

func parseAs(t string, s, root schema, in string) (any, error) {
	switch t {
	case "string":
		if in == `""` {
			return "", nil
		}
		return in, nil
	case "integer":
		n, err := strconv.ParseInt(in, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(in, 64)
			if ferr != nil || f != math.Trunc(f) {
				return nil, fmt.Errorf("%q is not an integer", in)
			}
			return int64(f), nil
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(in, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a number", in)
		}
		return f, nil
	case "boolean":
		switch strings.ToLower(in) {
		case "y", "yes", "true", "t", "1", "on":
			return true, nil
		case "n", "no", "false", "f", "0", "off":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not yes or no", in)
	case "null":
		if in == "null" {
			return nil, nil
		}
		return nil, fmt.Errorf("%q is not null", in)
	case "array":
		if strings.HasPrefix(in, "[") {
			var arr []any
			if err := json.Unmarshal([]byte(in), &arr); err != nil {
				return nil, fmt.Errorf("not a JSON array: %v", err)
			}
			return arr, nil
		}
		items := s.sub("items").resolve(root)
		out := []any{}
		if in == "" {
			return out, nil
		}
		for _, part := range strings.Split(in, ",") {
			part = strings.TrimSpace(part)
			var v any = part
			if items != nil {
				var err error
				if v, err = parseInput(items, root, part); err != nil {
					return nil, err
				}
			}
			out = append(out, v)
		}
		return out, nil
	case "object":
		var m map[string]any
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			return nil, fmt.Errorf("not a JSON object")
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported type %q", t)
}

func pickChoice(cs []choice, in string) (any, error) {
	for _, c := range cs {
		if valueLabel(c.value) == in {
			return c.value, nil
		}
	}
	for _, c := range cs {
		if c.title != "" && strings.EqualFold(c.title, in) {
			return c.value, nil
		}
	}
	// A number picks by position: "2" is the second choice, unless the
	// choices are numbers themselves (then it matched above, or is wrong).
	if n, err := strconv.Atoi(in); err == nil && n >= 1 && n <= len(cs) {
		if _, isStr := cs[0].value.(string); isStr {
			return cs[n-1].value, nil
		}
	}
	var vs []string
	for _, c := range cs {
		vs = append(vs, valueLabel(c.value))
	}
	return nil, fmt.Errorf("%q is not one of %s", in, strings.Join(vs, ", "))
}

// checkBounds checks the common bounds of a value.
func checkBounds(s schema, v any) error {
	num := func(key string) (float64, bool) {
		f, ok := s[key].(float64)
		return f, ok
	}
	switch x := v.(type) {
	case int64:
		return checkNumber(float64(x), num)
	case float64:
		return checkNumber(x, num)
	case string:
		n := float64(utf8.RuneCountInString(x))
		if m, ok := num("minLength"); ok && n < m {
			return fmt.Errorf("at least %v characters, please", m)
		}
		if m, ok := num("maxLength"); ok && n > m {
			return fmt.Errorf("at most %v characters, please", m)
		}
		if p := s.str("pattern"); p != "" {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(x) {
				return fmt.Errorf("%q does not match the pattern %s", x, p)
			}
		}
	case []any:
		n := float64(len(x))
		if m, ok := num("minItems"); ok && n < m {
			return fmt.Errorf("at least %v items, please", m)
		}
		if m, ok := num("maxItems"); ok && n > m {
			return fmt.Errorf("at most %v items, please", m)
		}
	}
	return nil
}

func checkNumber(f float64, num func(string) (float64, bool)) error {
	if m, ok := num("minimum"); ok && f < m {
		return fmt.Errorf("%v is below the minimum %v", f, m)
	}
	if m, ok := num("maximum"); ok && f > m {
		return fmt.Errorf("%v is above the maximum %v", f, m)
	}
	if m, ok := num("exclusiveMinimum"); ok && f <= m {
		return fmt.Errorf("%v must be above %v", f, m)
	}
	if m, ok := num("exclusiveMaximum"); ok && f >= m {
		return fmt.Errorf("%v must be below %v", f, m)
	}
	return nil
}
