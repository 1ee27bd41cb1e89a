package schema

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// MaxArgumentDepth bounds how deeply tool arguments may nest when they are
// checked against a schema the general way: validating deeply nested values
// against recursive schemas costs more than linear time, so a hostile client
// could otherwise make one call cost seconds.
const MaxArgumentDepth = 64

// depth returns how deeply the JSON value raw nests objects and arrays (a
// scalar is 0), stopping early past limit. raw must be valid JSON.
func depth(raw []byte, limit int) int {
	d, max := 0, 0
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			d++
			if d > max {
				max = d
				if max > limit {
					return max
				}
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
}

// checkRefCycles refuses a schema in which a $ref leads back to itself
// without the instance getting any deeper (through allOf, anyOf, oneOf, not,
// if/then/else or dependentSchemas alone): validating against it would
// recurse without end and overflow the stack, which no recover can catch.
func checkRefCycles(root *jsonschema.Schema) error {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[*jsonschema.Schema]int{}
	var visit func(s *jsonschema.Schema, path []string) error
	// sameInstance lists the subschemas applied to the same instance as s.
	sameInstance := func(s *jsonschema.Schema) []*jsonschema.Schema {
		var out []*jsonschema.Schema
		if t := resolveLocalRef(root, s.Ref); t != nil {
			out = append(out, t)
		}
		out = append(out, s.AllOf...)
		out = append(out, s.AnyOf...)
		out = append(out, s.OneOf...)
		for _, x := range []*jsonschema.Schema{s.Not, s.If, s.Then, s.Else} {
			if x != nil {
				out = append(out, x)
			}
		}
		for _, x := range s.DependentSchemas {
			out = append(out, x)
		}
		for _, x := range s.DependencySchemas {
			out = append(out, x)
		}
		return out
	}
	visit = func(s *jsonschema.Schema, path []string) error {
		switch state[s] {
		case onPath:
			return fmt.Errorf("the schema refers to itself through %s without nesting: validating against it would never end", strings.Join(path, " → "))
		case done:
			return nil
		}
		state[s] = onPath
		for _, t := range sameInstance(s) {
			name := t.Ref
			if name == "" {
				name = "a subschema"
			}
			if s.Ref != "" && t == resolveLocalRef(root, s.Ref) {
				name = s.Ref
			}
			if err := visit(t, append(path, name)); err != nil {
				return err
			}
		}
		state[s] = done
		return nil
	}
	var all []*jsonschema.Schema
	walk(root, func(s *jsonschema.Schema) { all = append(all, s) })
	for _, s := range all {
		if err := visit(s, []string{"#"}); err != nil {
			return err
		}
	}
	return nil
}

// walk calls f for s and each of its subschemas, once each.
func walk(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	seen := map[*jsonschema.Schema]bool{}
	var rec func(s *jsonschema.Schema)
	rec = func(s *jsonschema.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		f(s)
		v := reflect.ValueOf(s).Elem()
		for i := range v.NumField() {
			switch fv := v.Field(i); fv.Type() {
			case schemaPtr:
				rec(fv.Interface().(*jsonschema.Schema))
			case schemaSlice:
				for _, x := range fv.Interface().([]*jsonschema.Schema) {
					rec(x)
				}
			case schemaMap:
				for _, x := range fv.Interface().(map[string]*jsonschema.Schema) {
					rec(x)
				}
			}
		}
	}
	rec(s)
}

var (
	schemaPtr   = reflect.TypeFor[*jsonschema.Schema]()
	schemaSlice = reflect.TypeFor[[]*jsonschema.Schema]()
	schemaMap   = reflect.TypeFor[map[string]*jsonschema.Schema]()
)

// resolveLocalRef returns the schema a local $ref ("#", "#/$defs/X",
// "#/definitions/X") names in root, or nil.
func resolveLocalRef(root *jsonschema.Schema, ref string) *jsonschema.Schema {
	switch {
	case ref == "#":
		return root
	case strings.HasPrefix(ref, "#/$defs/"):
		return root.Defs[strings.TrimPrefix(ref, "#/$defs/")]
	case strings.HasPrefix(ref, "#/definitions/"):
		return root.Definitions[strings.TrimPrefix(ref, "#/definitions/")]
	}
	return nil
}
