package openapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Schemas in an OpenAPI document are translated to JSON Schema 2020-12, the
// dialect MCP input schemas use:
//
//   - every $ref to another schema becomes "#/$defs/<name>", and the tool's
//     schema carries in $defs the schemas it needs (components keep their
//     names). A recursive schema stays recursive, and the size of a tool's
//     schema is linear in the document's, however often a component is used.
//   - OpenAPI 3.0 forms become their 2020-12 equivalents: nullable: true adds
//     "null" to type (and to enum), boolean exclusiveMinimum/exclusiveMaximum
//     become numeric bounds, example becomes examples.
//   - what means nothing to a JSON Schema validator is dropped: discriminator,
//     xml, externalDocs, x- extensions, $id, $schema, $anchor and the
//     dynamic-reference keywords; readOnly properties are left out, since a
//     request does not send them.
//   - what Go's validator would refuse is dropped rather than failing the
//     operation: a pattern that is not an RE2 regular expression (lookahead),
//     an unknown type name, a default that does not match its schema's type or
//     enum.
//
// A $ref cycle that does not go through a nested value (A: {allOf: [$ref A]},
// or a schema that is only a reference to itself) would make every validation
// recurse forever; an operation using one is skipped with an error.

// schemaDef is a referenced schema, converted once per document.
type schemaDef struct {
	name   string
	schema any
	// refs are the pointers this schema refers to; inPlace those of them it
	// applies to the same value (through $ref, allOf, anyOf, oneOf, not,
	// if/then/else, dependentSchemas) rather than to a nested one.
	refs    []string
	inPlace []string
	err     error
}

// converter translates the schemas of one document.
type converter struct {
	doc   *Document
	defs  map[string]*schemaDef // by JSON pointer
	names map[string]string     // $defs name -> pointer
}

func newConverter(doc *Document) *converter {
	return &converter{doc: doc, defs: map[string]*schemaDef{}, names: map[string]string{}}
}

// refCollector records the references met while converting one schema.
type refCollector struct {
	refs    []string
	inPlace []string
}

func (rc *refCollector) add(ptr string, inPlace bool) {
	if !slices.Contains(rc.refs, ptr) {
		rc.refs = append(rc.refs, ptr)
	}
	if inPlace && !slices.Contains(rc.inPlace, ptr) {
		rc.inPlace = append(rc.inPlace, ptr)
	}
}

// Keywords whose subschemas apply to the same instance, and those whose
// subschemas apply to nested values.
var (
	inPlaceSingle = []string{"not", "if", "then", "else"}
	inPlaceLists  = []string{"allOf", "anyOf", "oneOf"}
	nestedSingle  = []string{"items", "additionalProperties", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties"}
	nestedMaps    = []string{"properties", "patternProperties"}
	dropped       = []string{"discriminator", "xml", "externalDocs", "$id", "$schema", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary", "$defs", "definitions", "$comment", "nullable", "example"}
)

var jsonTypes = []string{"null", "boolean", "object", "array", "number", "string", "integer"}

// convert translates one schema node. inPlace says whether the node applies
// to the value its referrer applies to (for cycle detection).
func (c *converter) convert(node any, inPlace bool, rc *refCollector) any {
	switch n := node.(type) {
	case bool:
		return n
	case map[string]any:
		return c.convertObject(n, inPlace, rc)
	default:
		// Not a schema: accept anything rather than fail validation setup.
		return map[string]any{}
	}
}

func (c *converter) convertObject(n map[string]any, inPlace bool, rc *refCollector) map[string]any {
	out := make(map[string]any, len(n))
	if ref, ok := n["$ref"].(string); ok {
		name := c.def(ref)
		rc.add(ref, inPlace)
		out["$ref"] = "#/$defs/" + name
		if c.doc.v30 {
			// In 3.0 the siblings of $ref are ignored, except that a
			// description helps the model.
			if d, ok := n["description"].(string); ok {
				out["description"] = d
			}
			return out
		}
	}
	for k, v := range n {
		switch {
		case k == "$ref" || strings.HasPrefix(k, "x-") || slices.Contains(dropped, k):
		case c.convertSubschemas(out, k, v, inPlace, rc):
		default:
			convertAssertion(out, n, k, v)
		}
	}
	if orig, ok := n["properties"].(map[string]any); ok {
		if req, ok := out["required"].([]any); ok {
			// Required readOnly properties were left out: the request
			// cannot be asked to carry them.
			kept := req[:0:0]
			for _, r := range req {
				if !isReadOnly(orig[r.(string)]) {
					kept = append(kept, r)
				}
			}
			out["required"] = kept
		}
	}
	if ex, ok := n["example"]; ok {
		if _, has := out["examples"]; !has {
			out["examples"] = []any{ex}
		}
	}
	if c.doc.v30 {
		if b, _ := n["nullable"].(bool); b {
			makeNullable(out)
		}
	}
	if d, ok := out["default"]; ok && !defaultFits(out, d) {
		delete(out, "default")
	}
	return out
}

// convertSubschemas converts keyword k when its value holds subschemas, into
// out, and reports whether it did.
func (c *converter) convertSubschemas(out map[string]any, k string, v any, inPlace bool, rc *refCollector) bool {
	list := func(v any, inPlace bool) []any {
		l, _ := v.([]any)
		conv := make([]any, len(l))
		for i, s := range l {
			conv[i] = c.convert(s, inPlace, rc)
		}
		return conv
	}
	object := func(v any, keep func(name string, s any) bool, inPlace bool) map[string]any {
		m, _ := v.(map[string]any)
		conv := make(map[string]any, len(m))
		for name, s := range m {
			if keep(name, s) {
				conv[name] = c.convert(s, inPlace, rc)
			}
		}
		return conv
	}
	all := func(string, any) bool { return true }
	switch {
	case slices.Contains(inPlaceSingle, k):
		out[k] = c.convert(v, inPlace, rc)
	case slices.Contains(inPlaceLists, k):
		// The validator refuses an empty allOf, anyOf or oneOf; one that is
		// not a list is not a schema: both are left out.
		if l := list(v, inPlace); len(l) > 0 {
			out[k] = l
		}
	case k == "dependentSchemas":
		out[k] = object(v, all, inPlace)
	case k == "items":
		if _, ok := v.([]any); ok {
			// Draft 4 tuple form: the 2020-12 keyword is prefixItems.
			out["prefixItems"] = list(v, false)
		} else {
			out[k] = c.convert(v, false, rc)
		}
	case slices.Contains(nestedSingle, k):
		out[k] = c.convert(v, false, rc)
	case k == "prefixItems":
		out[k] = list(v, false)
	case k == "properties":
		out[k] = object(v, func(_ string, s any) bool { return !isReadOnly(s) }, false)
	case k == "patternProperties":
		out[k] = object(v, func(pattern string, _ any) bool {
			_, err := regexp.Compile(pattern)
			return err == nil
		}, false)
	default:
		return false
	}
	return true
}

// convertAssertion copies keyword k of schema n into out, translated or
// dropped when Go's validator could not use it.
func convertAssertion(out, n map[string]any, k string, v any) {
	switch k {
	case "type":
		if t := validTypes(v); t != nil {
			out[k] = t
		}
	case "pattern":
		if p, ok := v.(string); ok {
			if _, err := regexp.Compile(p); err == nil {
				out[k] = p
			}
		}
	case "required":
		if list, ok := v.([]any); ok {
			req := make([]any, 0, len(list))
			for _, r := range list {
				if s, ok := r.(string); ok && !slices.Contains(req, any(s)) {
					req = append(req, s)
				}
			}
			out[k] = req
		}
	case "exclusiveMinimum", "exclusiveMaximum":
		b, isFlag := v.(bool)
		if !isFlag {
			out[k] = v
			return
		}
		// OpenAPI 3.0: a flag on minimum/maximum.
		bound := "minimum"
		if k == "exclusiveMaximum" {
			bound = "maximum"
		}
		if m, ok := n[bound]; ok && b {
			out[k] = m
		}
	case "minimum", "maximum":
		if b, ok := n["exclusive"+strings.ToUpper(k[:1])+k[1:]].(bool); ok && b {
			return // became exclusiveMinimum/exclusiveMaximum
		}
		out[k] = v
	default:
		out[k] = v
	}
}

// def returns the $defs name of the schema ref points to, converting it the
// first time.
func (c *converter) def(ref string) string {
	if d, ok := c.defs[ref]; ok {
		return d.name
	}
	d := &schemaDef{name: c.uniqueName(ref)}
	c.defs[ref] = d // before converting: a recursive schema finds itself
	target, err := c.doc.lookup(ref)
	if err != nil {
		d.err = err
		return d.name
	}
	var rc refCollector
	d.schema = c.convert(target, true, &rc)
	d.refs, d.inPlace = rc.refs, rc.inPlace
	return d.name
}

// uniqueName names a referenced schema in $defs: a component keeps its name
// (made safe for a JSON pointer and readable), anything else is named after
// its pointer.
func (c *converter) uniqueName(ref string) string {
	base := ref
	if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok && !strings.Contains(name, "/") {
		base = name
	} else {
		base = strings.TrimPrefix(strings.TrimPrefix(base, "#"), "/")
	}
	base = strings.ReplaceAll(strings.ReplaceAll(base, "~1", "/"), "~0", "~")
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" {
		name = "schema"
	}
	candidate := name
	for i := 2; ; i++ {
		if _, taken := c.names[candidate]; !taken {
			break
		}
		candidate = fmt.Sprintf("%s_%d", name, i)
	}
	c.names[candidate] = ref
	return candidate
}

// closure returns the $defs a schema with the given direct references needs,
// or an error when one cannot be resolved or is part of a cycle of in-place
// references.
func (c *converter) closure(refs []string) (map[string]any, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	out := map[string]any{}
	seen := map[string]bool{}
	queue := slices.Clone(refs)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		d := c.defs[ref]
		if d.err != nil {
			return nil, d.err
		}
		out[d.name] = d.schema
		queue = append(queue, d.refs...)
	}
	// Depth-first search for a cycle along in-place references.
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var visit func(ref string) error
	visit = func(ref string) error {
		switch color[ref] {
		case grey:
			return fmt.Errorf("schema %s refers to itself without nesting (a $ref cycle through $ref, allOf, anyOf, oneOf or not): no value could be validated against it", ref)
		case black:
			return nil
		}
		color[ref] = grey
		for _, next := range c.defs[ref].inPlace {
			if err := visit(next); err != nil {
				return err
			}
		}
		color[ref] = black
		return nil
	}
	for ref := range seen {
		if err := visit(ref); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resolve follows a converted node's "$ref" chain to the schema it names.
func (c *converter) resolve(node any) (any, error) {
	seen := map[string]bool{}
	for {
		m, ok := node.(map[string]any)
		if !ok {
			return node, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return node, nil
		}
		name := strings.TrimPrefix(ref, "#/$defs/")
		if seen[name] {
			return nil, fmt.Errorf("schema %s is a reference to itself", name)
		}
		seen[name] = true
		ptr := c.names[name]
		d := c.defs[ptr]
		if d == nil {
			return nil, fmt.Errorf("unknown schema %s", name)
		}
		if d.err != nil {
			return nil, d.err
		}
		node = d.schema
	}
}

// isReadOnly reports whether a property schema is marked readOnly.
func isReadOnly(s any) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return false
	}
	b, _ := m["readOnly"].(bool)
	return b
}

// validTypes keeps the known type names of a type keyword (a string or a
// list); nil when none is left.
func validTypes(v any) any {
	switch t := v.(type) {
	case string:
		if slices.Contains(jsonTypes, t) {
			return t
		}
	case []any:
		var kept []any
		for _, e := range t {
			if s, ok := e.(string); ok && slices.Contains(jsonTypes, s) && !slices.Contains(kept, e) {
				kept = append(kept, s)
			}
		}
		switch len(kept) {
		case 0:
		case 1:
			return kept[0]
		default:
			return kept
		}
	}
	return nil
}

// makeNullable lets a converted schema accept null, the meaning of OpenAPI
// 3.0's nullable: true.
func makeNullable(s map[string]any) {
	switch t := s["type"].(type) {
	case string:
		if t != "null" {
			s["type"] = []any{t, "null"}
		}
	case []any:
		if !slices.Contains(t, any("null")) {
			s["type"] = append(t, "null")
		}
	default:
		// No type: only a composition or an enum can refuse null.
		for _, k := range inPlaceLists {
			if list, ok := s[k]; ok {
				delete(s, k)
				s["anyOf"] = []any{map[string]any{k: list}, map[string]any{"type": "null"}}
				break
			}
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, nil) {
		s["enum"] = append(enum, nil)
	}
}

// defaultFits reports whether a default matches its schema's type and enum:
// a mismatch would make the validator refuse the whole schema.
func defaultFits(s map[string]any, d any) bool {
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if jsonEqual(e, d) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			types = append(types, e.(string))
		}
	default:
		return true
	}
	for _, t := range types {
		if typeOf(d, t) {
			return true
		}
	}
	return false
}

// typeOf reports whether the plain JSON value v is of JSON Schema type t.
func typeOf(v any, t string) bool {
	switch v := v.(type) {
	case nil:
		return t == "null"
	case bool:
		return t == "boolean"
	case string:
		return t == "string"
	case json.Number:
		if t == "number" {
			return true
		}
		if t == "integer" {
			if _, err := v.Int64(); err == nil {
				return true
			}
			f, err := v.Float64()
			return err == nil && f == float64(int64(f))
		}
	case float64:
		return t == "number" || (t == "integer" && v == float64(int64(v)))
	case []any:
		return t == "array"
	case map[string]any:
		return t == "object"
	}
	return false
}

// jsonEqual compares two plain JSON values.
func jsonEqual(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ab) == string(bb)
}

// objectShape is what a body schema contributes when its properties become
// tool arguments.
type objectShape struct {
	props      map[string]any
	required   []string
	additional any // nil: no additional properties beyond props
}

// flatten returns the object shape of a converted body schema: an object
// schema, or an allOf of object schemas (the common way to extend a base
// schema). ok is false for anything else (arrays, scalars, oneOf, anyOf...),
// which is then sent whole as the "body" argument.
func (c *converter) flatten(node any) (objectShape, bool) {
	shape := objectShape{props: map[string]any{}}
	var add func(node any, depth int) bool
	add = func(node any, depth int) bool {
		if depth > 16 {
			return false
		}
		s, err := c.resolve(node)
		if err != nil {
			return false
		}
		m, ok := s.(map[string]any)
		if !ok {
			return false
		}
		for k := range m {
			switch k {
			case "type", "properties", "required", "additionalProperties", "allOf",
				"title", "description", "examples", "default", "deprecated", "writeOnly", "readOnly":
			default:
				return false // a constraint on the whole object cannot be split
			}
		}
		if t, ok := m["type"]; ok && t != "object" {
			return false
		}
		if _, ok := m["properties"]; !ok {
			if _, ok := m["allOf"]; !ok {
				return false
			}
		}
		if list, ok := m["allOf"].([]any); ok {
			for _, part := range list {
				if !add(part, depth+1) {
					return false
				}
			}
		}
		props, _ := m["properties"].(map[string]any)
		maps.Copy(shape.props, props)
		if req, ok := m["required"].([]any); ok {
			for _, r := range req {
				if s, ok := r.(string); ok && !slices.Contains(shape.required, s) {
					shape.required = append(shape.required, s)
				}
			}
		}
		if ap, ok := m["additionalProperties"]; ok && ap != false {
			shape.additional = ap
		}
		return true
	}
	if !add(node, 0) || len(shape.props) == 0 {
		return objectShape{}, false
	}
	return shape, true
}

// withoutDefaults returns a copy of a converted schema without any default:
// the fallback when the validator refuses a default the type check let
// through (one out of its bounds, say).
func withoutDefaults(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, v := range n {
			switch {
			case k == "default":
			case k == "properties" || k == "patternProperties" || k == "$defs" || k == "dependentSchemas":
				if m, ok := v.(map[string]any); ok {
					cp := make(map[string]any, len(m))
					for name, s := range m {
						cp[name] = withoutDefaults(s)
					}
					out[k] = cp
					continue
				}
				out[k] = v
			case k == "enum" || k == "const" || k == "examples" || k == "required":
				out[k] = v
			default:
				out[k] = withoutDefaults(v)
			}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = withoutDefaults(v)
		}
		return out
	}
	return node
}
