package schema

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/google/jsonschema-go/jsonschema"
)

func TestPointerToField(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"", ""},
		{"root", ""},
		{"/properties/a", "a"},
		{"/properties/a/properties/b", "a.b"},
		{"/properties/a/items", "a[]"},
		{"/properties/a/items/properties/b", "a[].b"},
		{"/properties/a/additionalProperties", "a[]"},
		{"/properties/a/additionalProperties/properties/c", "a[].c"},
		{"/$defs/point/properties/x", "x"},
		{"/properties/p/anyOf/0/properties/q", "p.q"},
		{"/properties/properties/properties/items", "properties.items"},
		{"/properties/items/items", "items[]"},
		{"/properties", ""},
		{"/items/items", "[][]"},
	}
	for _, tt := range tests {
		if got := pointerToField(tt.path); got != tt.want {
			t.Errorf("pointerToField(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestFormatValidationErrorSynthetic(t *testing.T) {
	t.Parallel()
	tests := []struct{ err, want string }{
		{"plain failure", "plain failure"},
		{"validating root: required: missing properties: [\"a\"]", "required: missing properties: [\"a\"]"},
		{"validating root: validating /properties/a: type: bad", "a: type: bad"},
		{"validating root: validating /properties/a: validating /properties/a/items: enum: x", "a[]: enum: x"},
		{"validating root", "validating root"},
	}
	for _, tt := range tests {
		if got := formatValidationError(errors.New(tt.err)); got != tt.want {
			t.Errorf("formatValidationError(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// formatValidationError on the errors jsonschema-go really produces.
func TestFormatValidationError(t *testing.T) {
	t.Parallel()
	const schema = `{
		"type": "object",
		"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
		"properties": {
			"name": {"type": "string", "pattern": "^[a-z]+$"},
			"age": {"type": "integer", "minimum": 0},
			"tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
			"home": {
				"type": "object",
				"properties": {"zip": {"type": "string", "maxLength": 5}},
				"required": ["zip"],
				"additionalProperties": false
			},
			"rows": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}},
			"counts": {"type": "object", "additionalProperties": {"type": "integer"}},
			"at": {"$ref": "#/$defs/point"}
		},
		"required": ["name"],
		"additionalProperties": false
	}`
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		instance string
		want     string
	}{
		{`{}`, `required: missing properties: ["name"]`},
		{`{"name":"x","zz":1,"yy":2}`, `unexpected additional properties`},
		{`{"name":7}`, `name: type: 7 has type "integer", want "string"`},
		{`{"name":"ABC"}`, `name: pattern: "ABC" does not match regular expression "^[a-z]+$"`},
		{`{"name":"x","age":-1}`, `age: minimum: `}, // jsonschema-go prints "-1/1 is less than 0.000000"
		{`{"name":"x","tags":["a","c"]}`, `tags[]: enum: c does not equal any of: [a b]`},
		{`{"name":"x","home":{}}`, `home: required: missing properties: ["zip"]`},
		{`{"name":"x","home":{"zip":"123456"}}`, `home.zip: maxLength:`},
		{`{"name":"x","home":{"zip":"1","floor":2}}`, `home: unexpected additional properties ["floor"]`},
		{`{"name":"x","rows":[{"id":1},{"id":"two"}]}`, `rows[].id: type: two has type "string", want "integer"`},
		{`{"name":"x","counts":{"k":"v"}}`, `counts[]: type: v has type "string", want "integer"`},
		{`{"name":"x","at":{"x":"far"}}`, `x: type: far has type "string", want "number"`},
	}
	for _, tt := range tests {
		var inst any
		if err := json.Unmarshal([]byte(tt.instance), &inst); err != nil {
			t.Fatal(err)
		}
		verr := rs.Validate(inst)
		if verr == nil {
			t.Errorf("%s: valid, want an error", tt.instance)
			continue
		}
		got := formatValidationError(verr)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant prefix %q\n(raw %q)", tt.instance, got, tt.want, verr)
		}
		if strings.Contains(got, "validating ") {
			t.Errorf("%s: schema path left in %q", tt.instance, got)
		}
	}
}

func TestWireSchema(t *testing.T) {
	t.Parallel()
	empty := func() *jsonschema.Schema { return &jsonschema.Schema{} }
	tests := []struct {
		name   string
		schema *jsonschema.Schema
		want   string
	}{
		{"no boolean schemas", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"a": {Type: "string"}}},
			`{"type":"object","properties":{"a":{"type":"string"}}}`},
		{"property true", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"a": empty(), "b": {Type: "integer"}}},
			`{"type":"object","properties":{"a":{},"b":{"type":"integer"}}}`},
		{"items true", &jsonschema.Schema{Type: "array", Items: empty()},
			`{"type":"array","items":{}}`},
		{"nested property true", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
			"o": {Type: "object", Properties: map[string]*jsonschema.Schema{"deep": empty()}},
		}}, `{"type":"object","properties":{"o":{"type":"object","properties":{"deep":{}}}}}`},
		{"property true under items", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
			"l": {Type: "array", Items: &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"x": empty()}}},
		}}, `{"type":"object","properties":{"l":{"type":"array","items":{"type":"object","properties":{"x":{}}}}}}`},
		{"items true under items", &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "array", Items: empty()}},
			`{"type":"array","items":{"type":"array","items":{}}}`},
		{"property true under additionalProperties", &jsonschema.Schema{Type: "object", AdditionalProperties: &jsonschema.Schema{
			Type: "object", Properties: map[string]*jsonschema.Schema{"v": empty()},
		}}, `{"type":"object","additionalProperties":{"type":"object","properties":{"v":{}}}}`},
		{"property true under $defs", &jsonschema.Schema{Type: "object", Defs: map[string]*jsonschema.Schema{
			"d": {Type: "object", Properties: map[string]*jsonschema.Schema{"y": empty()}},
		}}, `{"type":"object","$defs":{"d":{"type":"object","properties":{"y":{}}}}}`},
		{"property true under definitions", &jsonschema.Schema{Type: "object", Definitions: map[string]*jsonschema.Schema{
			"d": {Type: "object", Properties: map[string]*jsonschema.Schema{"y": empty()}},
		}}, `{"type":"object","definitions":{"d":{"type":"object","properties":{"y":{}}}}}`},
		{"additionalProperties true and false stay boolean", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
			"open":   {Type: "object", AdditionalProperties: empty()},
			"closed": {Type: "object", AdditionalProperties: &jsonschema.Schema{Not: empty()}},
		}}, `{"type":"object","properties":{"open":{"type":"object","additionalProperties":true},"closed":{"type":"object","additionalProperties":false}}}`},
		{"values are not schemas", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
			"d": {Type: "object", Default: json.RawMessage(`{"properties":{"x":true},"items":true}`), Description: "true"},
			"c": {Const: jsonschema.Ptr[any](true)},
			"e": {Enum: []any{true, false}},
		}}, `{"type":"object","properties":{"d":{"type":"object","default":{"properties":{"x":true},"items":true},"description":"true"},"c":{"const":true},"e":{"enum":[true,false]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := Marshal(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("Marshal produced invalid JSON %s: %v", raw, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(want, got); diff != "" {
				t.Errorf("wire schema (-want +got):\n%s\nraw %s", diff, raw)
			}
			// The fixed schema means the same: it still parses as a schema.
			var back jsonschema.Schema
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Errorf("wire schema does not parse back: %v", err)
			}
		})
	}
}

// ForInput reports malformed tags with the struct and field they are on.
func TestApplyTagsErrors(t *testing.T) {
	t.Parallel()
	type badEnum struct {
		Level int `json:"level" enum:"1,two"`
	}
	type badItemsEnum struct {
		IDs []int `json:"ids" enum:"1,x"`
	}
	type badDefault struct {
		On bool `json:"on" default:"maybe"`
	}
	type badSliceDefault struct {
		L []string `json:"l" default:"a,b"`
	}
	type badMinLength struct {
		S string `json:"s" minLength:"-"`
	}
	type badMultipleOf struct {
		F float64 `json:"f" multipleOf:"half"`
	}
	type nestedBad struct {
		Inner struct {
			N int `json:"n" maximum:"big"`
		} `json:"inner"`
	}
	tests := []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[badEnum](), []string{"badEnum.Level", "enum"}},
		{reflect.TypeFor[badItemsEnum](), []string{"badItemsEnum.IDs", "enum"}},
		{reflect.TypeFor[badDefault](), []string{"badDefault.On", "default"}},
		{reflect.TypeFor[badSliceDefault](), []string{"badSliceDefault.L", "default", "not valid JSON"}},
		{reflect.TypeFor[badMinLength](), []string{"badMinLength.S", "minLength"}},
		{reflect.TypeFor[badMultipleOf](), []string{"badMultipleOf.F", "multipleOf"}},
		{reflect.TypeFor[nestedBad](), []string{".N", "maximum"}},
	}
	for _, tt := range tests {
		_, err := ForInput(tt.typ)
		if err == nil {
			t.Errorf("%s: no error", tt.typ)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.typ, err, w)
			}
		}
	}
}

func TestParseTagValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		typ  reflect.Type
		want any
	}{
		{"x y", reflect.TypeFor[string](), "x y"},
		{"true", reflect.TypeFor[bool](), true},
		{"-3", reflect.TypeFor[int8](), int64(-3)},
		{"7", reflect.TypeFor[uint16](), int64(7)},
		{"2.5", reflect.TypeFor[float32](), 2.5},
		{`["a","b"]`, reflect.TypeFor[[]string](), []any{"a", "b"}},
		{`{"k":1}`, reflect.TypeFor[map[string]int](), map[string]any{"k": 1.0}},
	}
	for _, tt := range tests {
		got, err := ParseTagValue(tt.s, tt.typ)
		if err != nil {
			t.Errorf("ParseTagValue(%q, %s): %v", tt.s, tt.typ, err)
			continue
		}
		if diff := testdiff.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseTagValue(%q, %s) (-want +got):\n%s", tt.s, tt.typ, diff)
		}
	}
	for _, bad := range []struct {
		s   string
		typ reflect.Type
	}{
		{"1.5", reflect.TypeFor[int]()},
		{"yes", reflect.TypeFor[bool]()},
		{"x", reflect.TypeFor[float64]()},
		{"[1,", reflect.TypeFor[[]int]()},
	} {
		if got, err := ParseTagValue(bad.s, bad.typ); err == nil {
			t.Errorf("ParseTagValue(%q, %s) = %v, want an error", bad.s, bad.typ, got)
		}
	}
}

// hasDefaults finds defaults at any depth the decoder looks at.
func TestHasDefaults(t *testing.T) {
	t.Parallel()
	def := json.RawMessage(`1`)
	tests := []struct {
		name string
		s    *jsonschema.Schema
		want bool
	}{
		{"nil", nil, false},
		{"none", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"a": {Type: "string"}}}, false},
		{"root", &jsonschema.Schema{Default: def}, true},
		{"property", &jsonschema.Schema{Properties: map[string]*jsonschema.Schema{"a": {Default: def}}}, true},
		{"nested property", &jsonschema.Schema{Properties: map[string]*jsonschema.Schema{"a": {Properties: map[string]*jsonschema.Schema{"b": {Default: def}}}}}, true},
		{"items", &jsonschema.Schema{Items: &jsonschema.Schema{Properties: map[string]*jsonschema.Schema{"b": {Default: def}}}}, true},
		{"additionalProperties", &jsonschema.Schema{AdditionalProperties: &jsonschema.Schema{Default: def}}, true},
	}
	for _, tt := range tests {
		if got := hasDefaults(tt.s); got != tt.want {
			t.Errorf("%s: hasDefaults = %v, want %v", tt.name, got, tt.want)
		}
	}
}
