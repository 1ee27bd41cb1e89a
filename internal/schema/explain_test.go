package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

func resolve(t *testing.T, schema string) *jsonschema.Resolved {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// Every keyword jsonschema-go checks is worded by the explainer, with the
// instance path, never by the validator's fallback.
func TestValidateWording(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schema, instance, want string
	}{
		{`{"type":"integer"}`, `1.5`, `1.5 is not an integer`},
		{`{"type":"integer"}`, `"x"`, `got string, want integer`},
		{`{"type":["null","integer"]}`, `true`, `got boolean, want integer or null`},
		{`{"type":"number"}`, `null`, `got null, want number`},
		{`{"type":"string"}`, `2`, `got number, want string`},
		{`{"enum":[1,"a"]}`, `2`, `2 is not one of [1,"a"]`},
		{`{"const":"k"}`, `"j"`, `"j" is not the allowed value "k"`},
		{`{"minimum":0}`, `-1`, `-1 is less than the minimum 0`},
		{`{"maximum":1e6}`, `2000000`, `2000000 is greater than the maximum 1000000`},
		{`{"exclusiveMinimum":0}`, `0`, `0 is not greater than 0`},
		{`{"exclusiveMaximum":1}`, `1`, `1 is not less than 1`},
		{`{"multipleOf":0.5}`, `0.3`, `0.3 is not a multiple of 0.5`},
		{`{"minLength":2}`, `"é"`, `length 1 is shorter than 2`},
		{`{"maxLength":1}`, `"ab"`, `length 2 is longer than 1`},
		{`{"pattern":"^a"}`, `"b"`, `"b" does not match the pattern "^a"`},
		{`{"minItems":2}`, `[1]`, `1 items, fewer than 2`},
		{`{"maxItems":1}`, `[1,2]`, `2 items, more than 1`},
		{`{"uniqueItems":true}`, `[{"a":1,"b":2},3,{"b":2,"a":1}]`, `items 0 and 2 are equal`},
		{`{"contains":{"type":"string"}}`, `[1,2]`, `0 items of the required form, fewer than 1`},
		{`{"contains":{"type":"string"},"maxContains":1}`, `["a","b"]`, `2 items of the required form, more than 1`},
		{`{"prefixItems":[{"type":"string"}],"items":false}`, `["a",2]`, `2 items, more than 1`},
		{`{"prefixItems":[{"type":"string"}]}`, `[2]`, `[0]: got number, want string`},
		{`{"items":{"properties":{"id":{"type":"integer"}}}}`, `[{"id":1},{"id":"x"}]`, `[1].id: got string, want integer`},
		{`{"properties":{"a":{"type":"object","properties":{"b":{"type":"array","items":{"type":"integer"}}}}}}`, `{"a":{"b":[1,2,"3"]}}`, `a.b[2]: got string, want integer`},
		{`{"required":["a","b"]}`, `{"b":1}`, `missing properties: ["a"]`},
		{`{"properties":{"a":{}},"additionalProperties":false}`, `{"a":1,"z":2,"y":3}`, `unexpected additional properties ["y","z"]`},
		{`{"additionalProperties":{"type":"integer"}}`, `{"k":"v"}`, `k: got string, want integer`},
		{`{"additionalProperties":{"type":"integer"}}`, `{"a.b":"v"}`, `["a.b"]: got string, want integer`},
		{`{"patternProperties":{"^x":{"type":"integer"}},"additionalProperties":false}`, `{"xa":"s"}`, `xa: got string, want integer`},
		{`{"patternProperties":{"^x":{}},"additionalProperties":false}`, `{"ya":1}`, `unexpected additional properties ["ya"]`},
		{`{"propertyNames":{"maxLength":2}}`, `{"abc":1}`, `property name "abc": length 3 is longer than 2`},
		{`{"minProperties":2}`, `{"a":1}`, `1 properties, fewer than 2`},
		{`{"maxProperties":1}`, `{"a":1,"b":2}`, `2 properties, more than 1`},
		{`{"dependentRequired":{"a":["b"]}}`, `{"a":1}`, `missing properties: ["b"] (required with "a")`},
		{`{"dependentSchemas":{"a":{"required":["c"]}}}`, `{"a":1}`, `missing properties: ["c"]`},
		{`{"allOf":[{"type":"object"},{"required":["q"]}]}`, `{}`, `missing properties: ["q"]`},
		{`{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `true`, `does not match any of the allowed forms`},
		{`{"anyOf":[{"type":"string"},{"type":"integer","minimum":3}]}`, `1`, `1 is less than the minimum 3`},
		{`{"oneOf":[{"type":"integer"},{"minimum":0}]}`, `1`, `matches more than one of the allowed forms`},
		{`{"oneOf":[{"type":"integer"},{"type":"string"}]}`, `[]`, `does not match any of the allowed forms`},
		{`{"not":{"type":"string"}}`, `"s"`, `matches a form that is not allowed`},
		{`{"properties":{"a":false}}`, `{"a":1}`, `a: no value is allowed here`},
		{`{"if":{"properties":{"k":{"const":"n"}}},"then":{"required":["n"]},"else":{"required":["s"]}}`, `{"k":"n"}`, `missing properties: ["n"]`},
		{`{"if":{"properties":{"k":{"const":"n"}}},"then":{"required":["n"]},"else":{"required":["s"]}}`, `{"k":"m"}`, `missing properties: ["s"]`},
		{`{"$defs":{"p":{"type":"object","properties":{"x":{"type":"number"}}}},"properties":{"at":{"$ref":"#/$defs/p"}}}`, `{"at":{"x":"far"}}`, `at.x: got string, want number`},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"p":{"required":["x"]}},"properties":{"at":{"$ref":"#/definitions/p"}}}`, `{"at":{}}`, `at: missing properties: ["x"]`},
		{`{"properties":{"a":{"type":"integer"},"b":{"$ref":"#/properties/a"}}}`, `{"b":"s"}`, `b: got string, want integer`},
		{`{"properties":{"n":{"anyOf":[{"type":"null"},{"type":"object","required":["r"]}]}}}`, `{"n":{}}`, `n: missing properties: ["r"]`},
	}
	for _, tt := range tests {
		rs := resolve(t, tt.schema)
		var inst any
		if err := json.Unmarshal([]byte(tt.instance), &inst); err != nil {
			t.Fatal(err)
		}
		if rs.Validate(inst) == nil {
			t.Errorf("%s against %s: jsonschema-go accepts it; the case is wrong", tt.instance, tt.schema)
			continue
		}
		e := explainer{root: rs.Schema()}
		if got := e.check(rs.Schema(), inst, "", 0); got != tt.want {
			t.Errorf("%s against %s:\n got %q\nwant %q", tt.instance, tt.schema, got, tt.want)
		}
		if err := Validate(rs, inst); err == nil || err.Error() != tt.want {
			t.Errorf("Validate(%s) = %v, want %q", tt.instance, err, tt.want)
		}
	}
}

// Members are checked in the schema's order, so the first error is the same
// on every run.
func TestValidateOrder(t *testing.T) {
	t.Parallel()
	type args struct {
		Z int `json:"z" minimum:"1"`
		A int `json:"a" minimum:"1"`
	}
	s, err := ForInput(reflect.TypeFor[args]())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := Validate(rs, map[string]any{"a": 0.0, "z": 0.0}); err == nil || err.Error() != "z: 0 is less than the minimum 1" {
			t.Fatalf("Validate = %v, want the error of z, the first field", err)
		}
	}
}

// An attacker's instance cannot make an explanation costly: a long array
// under uniqueItems is checked in linear time, a deep instance under a
// recursive schema with alternatives stops at a step budget, and a message
// lists a bounded number of names.
func TestValidateBounded(t *testing.T) {
	t.Parallel()
	t.Run("uniqueItems", func(t *testing.T) {
		rs := resolve(t, `{"uniqueItems":true}`)
		items := make([]any, 100_000)
		for i := range items {
			items[i] = float64(i)
		}
		items = append(items, 7.0)
		if err := Validate(rs, items); err == nil || err.Error() != "items 7 and 100000 are equal" {
			t.Errorf("Validate = %v", err)
		}
	})
	t.Run("recursive alternatives", func(t *testing.T) {
		rs := resolve(t, `{"$defs":{"n":{"anyOf":[{"type":"null"},{"type":"object","properties":{"c":{"$ref":"#/$defs/n"}},"required":["c"]}]}},"$ref":"#/$defs/n"}`)
		var inst any = map[string]any{}
		for range 60 {
			inst = map[string]any{"c": inst}
		}
		// Checking each alternative twice would take 2^60 steps; past the
		// budget the validator's words would come back instead.
		want := strings.Repeat("c.", 59) + `c: missing properties: ["c"]`
		if err := Validate(rs, inst); err == nil || err.Error() != want {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	})
	t.Run("long lists", func(t *testing.T) {
		rs := resolve(t, `{"additionalProperties":false}`)
		obj := map[string]any{}
		for i := range 10_000 {
			obj[fmt.Sprintf("k%05d", i)] = true
		}
		err := Validate(rs, obj)
		if err == nil || len(err.Error()) > 400 || !strings.HasSuffix(err.Error(), ", and 9980 more]") {
			t.Errorf("Validate = %.500v", err)
		}
	})
}
