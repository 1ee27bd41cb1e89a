package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// parseArgs builds a tool's (or prompt's) arguments from --args JSON and
// key=value pairs, the pairs applied over the JSON. A value is parsed as
// JSON when it parses (a=1 is a number, on=true a boolean, xs=[1,2] a
// list), and is a string otherwise; when the input schema types the
// property as a string, the text is taken as it is (id=007 stays "007").
// Dotted keys build nested objects: address.city=Paris.
func parseArgs(jsonArgs string, stdin io.Reader, pairs []string, input schema) (map[string]any, error) {
	args := map[string]any{}
	if jsonArgs != "" {
		raw := []byte(jsonArgs)
		if jsonArgs == "-" {
			var err error
			if raw, err = io.ReadAll(stdin); err != nil {
				return nil, usagef("reading --args from stdin: %v", err)
			}
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, usagef("--args is not valid JSON: %v\n  example: --args '{\"a\": 1, \"b\": \"text\"}'", err)
		}
		if dec.More() {
			return nil, usagef("--args holds more than one JSON value")
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, usagef("--args must be a JSON object, like '{\"a\": 1}'")
		}
		args = obj
	}
	for _, pair := range pairs {
		key, value, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return nil, usagef("argument %q is not key=value (or give all arguments as JSON with --args)", pair)
		}
		path := strings.Split(key, ".")
		for _, p := range path {
			if p == "" {
				return nil, usagef("argument key %q has an empty part", key)
			}
		}
		prop := propertyAt(input, path)
		var v any
		if prop != nil && isStringOnly(prop) {
			v = value
		} else {
			v = jsonOrString(value)
		}
		if err := setPath(args, path, v); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// jsonOrString parses s as JSON, or returns it as a string.
func jsonOrString(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	return v
}

func isStringOnly(s schema) bool {
	ts := s.types()
	return len(ts) == 1 && ts[0] == "string" && len(s.choices()) == 0 ||
		len(s.choices()) > 0 && allStrings(s.enumValues())
}

func allStrings(vs []any) bool {
	for _, v := range vs {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return len(vs) > 0
}

// propertyAt returns the schema of the property at path, or nil.
func propertyAt(root schema, path []string) schema {
	s := root
	for _, p := range path {
		if s == nil {
			return nil
		}
		s = asSchema(asSchema(s.resolve(root)["properties"])[p])
	}
	if s == nil {
		return nil
	}
	return s.resolve(root)
}

func setPath(m map[string]any, path []string, v any) error {
	for i, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if _, exists := m[p]; exists {
				return usagef("argument %s is not an object, so %s cannot be set", strings.Join(path[:i+1], "."), strings.Join(path, "."))
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
	return nil
}

// stringArgs converts arguments to the strings prompts take.
func stringArgs(args map[string]any) map[string]string {
	out := make(map[string]string, len(args))
	for k, v := range args {
		out[k] = valueLabel(v)
	}
	return out
}
