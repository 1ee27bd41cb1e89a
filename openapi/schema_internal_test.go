package openapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docWith parses a document of the given version whose components hold
// the given schemas (a JSON object).
func docWith(t *testing.T, version, schemas string) *Document {
	t.Helper()
	doc, err := Parse([]byte(fmt.Sprintf(`{"openapi":%q,"info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":%s}}`, version, schemas)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func plain(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeValue(json.RawMessage(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestConvertSchema(t *testing.T) {
	t.Parallel()
	components := `{
		"Pet": {"type": "object", "properties": {"name": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"}}},
		"Owner": {"type": "object", "properties": {"pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}}
	}`
	for _, tc := range []struct {
		name, version, in, want string
		defs                    []string // names expected in $defs
	}{
		{"nullable", "3.0.3", `{"type":"string","nullable":true}`, `{"type":["string","null"]}`, nil},
		{"nullable enum", "3.0.3", `{"type":"string","enum":["a"],"nullable":true}`, `{"type":["string","null"],"enum":["a",null]}`, nil},
		{"nullable composition", "3.0.3", `{"oneOf":[{"type":"string"},{"type":"integer"}],"nullable":true}`,
			`{"anyOf":[{"oneOf":[{"type":"string"},{"type":"integer"}]},{"type":"null"}]}`, nil},
		{"nullable ignored in 3.1", "3.1.0", `{"type":"string","nullable":true}`, `{"type":"string"}`, nil},
		{"exclusive minimum flag", "3.0.3", `{"type":"number","minimum":5,"exclusiveMinimum":true}`, `{"type":"number","exclusiveMinimum":5}`, nil},
		{"exclusive maximum false", "3.0.3", `{"type":"number","maximum":5,"exclusiveMaximum":false}`, `{"type":"number","maximum":5}`, nil},
		{"exclusive bound number", "3.1.0", `{"type":"number","exclusiveMinimum":0}`, `{"type":"number","exclusiveMinimum":0}`, nil},
		{"example", "3.0.3", `{"type":"string","example":"x"}`, `{"type":"string","examples":["x"]}`, nil},
		{"examples win", "3.1.0", `{"type":"string","example":"x","examples":["y"]}`, `{"type":"string","examples":["y"]}`, nil},
		{"dropped keywords", "3.0.3", `{"type":"object","discriminator":{"propertyName":"k"},"xml":{"name":"x"},"externalDocs":{"url":"u"},"x-mcp-header":"h","x-any":1,"deprecated":true}`,
			`{"type":"object","deprecated":true}`, nil},
		{"dynamic keywords", "3.1.0", `{"$id":"https://x/y","$schema":"https://json-schema.org/draft/2020-12/schema","$anchor":"a","$dynamicRef":"#a","$defs":{"z":{}},"type":"string"}`,
			`{"type":"string"}`, nil},
		{"readOnly property", "3.0.3", `{"type":"object","required":["id","name"],"properties":{"id":{"type":"integer","readOnly":true},"name":{"type":"string"}}}`,
			`{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`, nil},
		{"writeOnly kept", "3.0.3", `{"type":"object","properties":{"pw":{"type":"string","writeOnly":true}}}`,
			`{"type":"object","properties":{"pw":{"type":"string","writeOnly":true}}}`, nil},
		{"ref", "3.0.3", `{"$ref":"#/components/schemas/Pet"}`, `{"$ref":"#/$defs/Pet"}`, []string{"Owner", "Pet"}},
		{"ref siblings in 3.0", "3.0.3", `{"$ref":"#/components/schemas/Owner","description":"d","type":"string"}`, `{"$ref":"#/$defs/Owner","description":"d"}`, []string{"Owner", "Pet"}},
		{"ref siblings in 3.1", "3.1.0", `{"$ref":"#/components/schemas/Owner","description":"d","maxProperties":2}`, `{"$ref":"#/$defs/Owner","description":"d","maxProperties":2}`, []string{"Owner", "Pet"}},
		{"unknown type", "3.0.3", `{"type":"file"}`, `{}`, nil},
		{"type list filtered", "3.1.0", `{"type":["string","file","null","string"]}`, `{"type":["string","null"]}`, nil},
		{"type list of one", "3.1.0", `{"type":["any","integer"]}`, `{"type":"integer"}`, nil},
		{"RE2 pattern kept", "3.0.3", `{"type":"string","pattern":"^[a-z]+$"}`, `{"type":"string","pattern":"^[a-z]+$"}`, nil},
		{"lookahead pattern dropped", "3.0.3", `{"type":"string","pattern":"^(?!x)"}`, `{"type":"string"}`, nil},
		{"default of another type", "3.0.3", `{"type":"integer","default":"10"}`, `{"type":"integer"}`, nil},
		{"fractional default of an integer", "3.0.3", `{"type":"integer","default":1.5}`, `{"type":"integer"}`, nil},
		{"integral default of an integer", "3.0.3", `{"type":"integer","default":2.0}`, `{"type":"integer","default":2.0}`, nil},
		{"default outside the enum", "3.0.3", `{"type":"string","enum":["a"],"default":"b"}`, `{"type":"string","enum":["a"]}`, nil},
		{"default kept", "3.0.3", `{"type":"string","enum":["a"],"default":"a"}`, `{"type":"string","enum":["a"],"default":"a"}`, nil},
		{"nullable default null", "3.0.3", `{"type":"string","nullable":true,"default":null}`, `{"type":["string","null"],"default":null}`, nil},
		{"tuple items", "3.0.3", `{"type":"array","items":[{"type":"string"},{"type":"integer"}]}`, `{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]}`, nil},
		{"pattern properties", "3.1.0", `{"type":"object","patternProperties":{"^a":{"type":"string"},"(?=b)":{"type":"string"}}}`, `{"type":"object","patternProperties":{"^a":{"type":"string"}}}`, nil},
		{"boolean schemas", "3.1.0", `{"type":"object","properties":{"any":true,"none":false},"additionalProperties":false}`,
			`{"type":"object","properties":{"any":true,"none":false},"additionalProperties":false}`, nil},
		{"required cleaned", "3.0.3", `{"type":"object","required":["a","a",5]}`, `{"type":"object","required":["a"]}`, nil},
		{"empty or malformed compositions", "3.0.3", `{"allOf":[],"anyOf":{"type":"string"},"oneOf":[{"type":"string"}]}`, `{"oneOf":[{"type":"string"}]}`, nil},
		{"not a schema", "3.0.3", `{"type":"object","properties":{"a":"string"}}`, `{"type":"object","properties":{"a":{}}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := docWith(t, tc.version, components)
			c := newConverter(doc)
			var rc refCollector
			got := c.convert(plain(t, tc.in), false, &rc)
			if diff := cmp.Diff(plain(t, tc.want), plain(t, mustJSON(t, got))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var refs []string
			collectRefs(got, c, &refs)
			defs, err := c.closure(refs)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range sortedKeys(defs) {
				names = append(names, n)
			}
			if diff := cmp.Diff(tc.defs, names); diff != "" {
				t.Errorf("$defs (-want +got):\n%s", diff)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Reference cycles: those through nested values are fine, those that apply
// to the same value are refused, and names stay unique.
func TestReferenceCycles(t *testing.T) {
	t.Parallel()
	doc := docWith(t, "3.1.0", `{
		"Tree": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}},
		"Self": {"$ref": "#/components/schemas/Self"},
		"Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]},
		"Not": {"not": {"$ref": "#/components/schemas/Not"}},
		"P": {"anyOf": [{"$ref": "#/components/schemas/Q"}]},
		"Q": {"if": {"$ref": "#/components/schemas/P"}},
		"Deep": {"type": "object", "properties": {"x": {"$ref": "#/components/schemas/Self"}}},
		"a b": {"type": "string"},
		"a_b": {"type": "integer"}
	}`)
	for _, tc := range []struct {
		ref, wantErr string
	}{
		{"Tree", ""},
		{"Self", "itself"},
		{"Loop", "itself"},
		{"Not", "itself"},
		{"P", "itself"},
		{"Deep", "itself"}, // nests a value, but what it nests is a pure cycle
		{"a b", ""},
		{"a_b", ""},
		{"Missing", "no schema"},
	} {
		c := newConverter(doc)
		var rc refCollector
		got := c.convert(map[string]any{"$ref": "#/components/schemas/" + tc.ref}, false, &rc)
		var refs []string
		collectRefs(got, c, &refs)
		_, err := c.closure(refs)
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tc.ref, err, tc.wantErr)
		}
	}
	// Names made safe stay unique.
	c := newConverter(doc)
	var rc refCollector
	a := c.convert(map[string]any{"$ref": "#/components/schemas/a b"}, false, &rc)
	b := c.convert(map[string]any{"$ref": "#/components/schemas/a_b"}, false, &rc)
	if mustJSON(t, a) != `{"$ref":"#/$defs/a_b"}` || mustJSON(t, b) != `{"$ref":"#/$defs/a_b_2"}` {
		t.Errorf("names %s %s", mustJSON(t, a), mustJSON(t, b))
	}
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	doc := docWith(t, "3.0.3", `{
		"Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
		"Ext": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}]},
		"Open": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}},
		"List": {"type": "array", "items": {"$ref": "#/components/schemas/Base"}}
	}`)
	for _, tc := range []struct {
		name, in   string
		ok         bool
		props      []string
		required   []string
		additional bool
	}{
		{"object", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, true, []string{"a"}, []string{"a"}, false},
		{"object without type", `{"properties":{"a":{"type":"string"}}}`, true, []string{"a"}, nil, false},
		{"reference", `{"$ref":"#/components/schemas/Base"}`, true, []string{"id"}, []string{"id"}, false},
		{"allOf through references", `{"$ref":"#/components/schemas/Ext"}`, true, []string{"id", "name"}, []string{"id", "name"}, false},
		{"additional properties", `{"$ref":"#/components/schemas/Open"}`, true, []string{"a"}, nil, true},
		{"array", `{"$ref":"#/components/schemas/List"}`, false, nil, nil, false},
		{"oneOf", `{"oneOf":[{"$ref":"#/components/schemas/Base"}]}`, false, nil, nil, false},
		{"object constraint", `{"type":"object","properties":{"a":{}},"minProperties":1}`, false, nil, nil, false},
		{"no properties", `{"type":"object"}`, false, nil, nil, false},
		{"string", `{"type":"string"}`, false, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConverter(doc)
			var rc refCollector
			shape, ok := c.flatten(c.convert(plain(t, tc.in), false, &rc))
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if diff := cmp.Diff(tc.props, sortedKeys(shape.props), cmp.Comparer(func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") })); diff != "" {
				t.Errorf("props (-want +got):\n%s", diff)
			}
			if strings.Join(tc.required, ",") != strings.Join(shape.required, ",") {
				t.Errorf("required %v", shape.required)
			}
			if (shape.additional != nil) != tc.additional {
				t.Errorf("additional %v", shape.additional)
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"getPetById":                   "getPetById",
		"get /pet/{petId}":             "get_pet_petId",
		"list.things":                  "list_things",
		"__a__b__":                     "a_b",
		"with-dash_and_under":          "with-dash_and_under",
		"ünï":                          "n",
		"":                             "",
		strings.Repeat("a", 70):        strings.Repeat("a", 64),
		strings.Repeat("a", 63) + "/b": strings.Repeat("a", 63),
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithoutDefaults(t *testing.T) {
	t.Parallel()
	in := plain(t, `{"type":"object","properties":{"default":{"type":"integer","default":1},"x":{"type":"array","items":{"type":"string","default":"a"}}},
		"$defs":{"default":{"default":3}},"enum":[{"default":1}],"default":{}}`)
	want := plain(t, `{"type":"object","properties":{"default":{"type":"integer"},"x":{"type":"array","items":{"type":"string"}}},
		"$defs":{"default":{}},"enum":[{"default":1}]}`)
	if diff := cmp.Diff(want, plain(t, mustJSON(t, withoutDefaults(in)))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
