package fastmcp_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// scInputSchema registers a tool taking T and returns its inputSchema as
// tools/list shows it.
func scInputSchema[T any](t *testing.T) any {
	t.Helper()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "t"}, func(*fastmcp.Context, T) (string, error) { return "", nil })
	return ttTool(t, testkit.Connect(t, s, nil), "t")["inputSchema"]
}

// scObject wraps property schemas in the object schema inferred for a struct.
func scObject(props, required string) string {
	if required == "" {
		return `{"type":"object","additionalProperties":false,"properties":{` + props + `}}`
	}
	return `{"type":"object","additionalProperties":false,"properties":{` + props + `},"required":[` + required + `]}`
}

// Each tag, alone, on the field type it is meant for.
func TestSchemaTags(t *testing.T) {
	t.Parallel()
	type color string
	tests := []struct {
		name   string
		schema func(t *testing.T) any
		want   string
	}{
		{"json name and required", scInputSchema[struct {
			A string `json:"a"`
			B string `json:"b,omitempty"`
			C string `json:"c,omitzero"`
			D string
			E string `json:"-"`
			f string // unexported: not a property
		}], scObject(`"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"string"},"D":{"type":"string"}`, `"a","D"`)},
		{"jsonschema description", scInputSchema[struct {
			A string `json:"a" jsonschema:"the a"`
		}], scObject(`"a":{"type":"string","description":"the a"}`, `"a"`)},
		{"description tag", scInputSchema[struct {
			A string `json:"a" description:"the a, with a comma"`
		}], scObject(`"a":{"type":"string","description":"the a, with a comma"}`, `"a"`)},
		{"description tag wins over jsonschema", scInputSchema[struct {
			A string `json:"a" jsonschema:"old" description:"new"`
		}], scObject(`"a":{"type":"string","description":"new"}`, `"a"`)},
		{"title", scInputSchema[struct {
			A string `json:"a" title:"Alpha"`
		}], scObject(`"a":{"type":"string","title":"Alpha"}`, `"a"`)},
		{"enum on string, spaces trimmed", scInputSchema[struct {
			A string `json:"a" enum:"x, y ,z"`
		}], scObject(`"a":{"type":"string","enum":["x","y","z"]}`, `"a"`)},
		{"enum on named string type", scInputSchema[struct {
			A color `json:"a" enum:"red,green"`
		}], scObject(`"a":{"type":"string","enum":["red","green"]}`, `"a"`)},
		{"enum on int", scInputSchema[struct {
			A int `json:"a" enum:"1,-2"`
		}], scObject(`"a":{"type":"integer","enum":[1,-2]}`, `"a"`)},
		{"enum on float", scInputSchema[struct {
			A float64 `json:"a" enum:"0.5,1"`
		}], scObject(`"a":{"type":"number","enum":[0.5,1]}`, `"a"`)},
		{"enum on []string constrains items", scInputSchema[struct {
			A []string `json:"a" enum:"p,q"`
		}], scObject(`"a":{"type":"array","items":{"type":"string","enum":["p","q"]}}`, `"a"`)},
		{"enum on []int constrains items", scInputSchema[struct {
			A []int `json:"a,omitempty" enum:"3,4"`
		}], scObject(`"a":{"type":["null","array"],"items":{"type":"integer","enum":[3,4]}}`, "")},
		{"default string", scInputSchema[struct {
			A string `json:"a" default:"hi"`
		}], scObject(`"a":{"type":"string","default":"hi"}`, "")},
		{"default int, float, bool", scInputSchema[struct {
			I int     `json:"i" default:"7"`
			F float64 `json:"f" default:"2.5"`
			B bool    `json:"b" default:"true"`
		}], scObject(`"i":{"type":"integer","default":7},"f":{"type":"number","default":2.5},"b":{"type":"boolean","default":true}`, "")},
		{"default slice as JSON", scInputSchema[struct {
			A []string `json:"a" default:"[\"x\",\"y\"]"`
		}], scObject(`"a":{"type":["null","array"],"items":{"type":"string"},"default":["x","y"]}`, "")},
		{"numeric bounds", scInputSchema[struct {
			A float64 `json:"a" minimum:"-1.5" maximum:"10" exclusiveMinimum:"-2" exclusiveMaximum:"11" multipleOf:"0.5"`
		}], scObject(`"a":{"type":"number","minimum":-1.5,"maximum":10,"exclusiveMinimum":-2,"exclusiveMaximum":11,"multipleOf":0.5}`, `"a"`)},
		{"string bounds, pattern, format", scInputSchema[struct {
			A string `json:"a" minLength:"2" maxLength:"8" pattern:"^[a-z,]+$" format:"email"`
		}], scObject(`"a":{"type":"string","minLength":2,"maxLength":8,"pattern":"^[a-z,]+$","format":"email"}`, `"a"`)},
		{"array bounds", scInputSchema[struct {
			A []int `json:"a" minItems:"1" maxItems:"3"`
		}], scObject(`"a":{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}`, `"a"`)},
		{"pointer field", scInputSchema[struct {
			A *int `json:"a,omitempty" minimum:"0"`
		}], scObject(`"a":{"type":["null","integer"],"minimum":0}`, "")},
		{"time and duration", scInputSchema[struct {
			T time.Time     `json:"t"`
			D time.Duration `json:"d"`
		}], scObject(`"t":{"type":"string","format":"date-time"},"d":{"type":"integer","description":"duration in nanoseconds"}`, `"t","d"`)},
		{"raw message and any", scInputSchema[struct {
			R json.RawMessage `json:"r"`
			A any             `json:"a"`
			L []any           `json:"l"`
		}], scObject(`"r":{},"a":{},"l":{"type":"array","items":{}}`, `"r","a","l"`)},
		{"map field", scInputSchema[struct {
			M map[string]int `json:"m" description:"counts"`
		}], scObject(`"m":{"type":"object","additionalProperties":{"type":"integer"},"description":"counts"}`, `"m"`)},
		{"required and optional slices, maps and bytes", scInputSchema[struct {
			L  []string          `json:"l"`
			M  map[string]string `json:"m"`
			B  []byte            `json:"b"`
			OL []string          `json:"ol,omitempty"`
			OM map[string]string `json:"om,omitzero"`
			OB []byte            `json:"ob,omitempty"`
			PL *[]string         `json:"pl"`
			DL []int             `json:"dl" default:"[1]"`
		}], scObject(`"l":{"type":"array","items":{"type":"string"}},"m":{"type":"object","additionalProperties":{"type":"string"}},`+
			`"b":{"type":"string","contentEncoding":"base64"},`+
			`"ol":{"type":["null","array"],"items":{"type":"string"}},"om":{"type":["null","object"],"additionalProperties":{"type":"string"}},`+
			`"ob":{"type":["null","string"],"contentEncoding":"base64"},"pl":{"type":["null","array"],"items":{"type":"string"}},`+
			`"dl":{"type":["null","array"],"items":{"type":"integer"},"default":[1]}`, `"l","m","b","pl"`)},
		{"tags inside a map's values", scInputSchema[struct {
			M map[string]struct {
				V string `json:"v" enum:"a,b"`
			} `json:"m"`
		}], scObject(`"m":{"type":"object","additionalProperties":`+scObject(`"v":{"type":"string","enum":["a","b"]}`, `"v"`)+`}`, `"m"`)},
		{"tags inside a slice of pointers to structs", scInputSchema[struct {
			L []*struct {
				V int `json:"v" default:"1"`
			} `json:"l"`
		}], scObject(`"l":{"type":"array","items":{"type":["null","object"],"additionalProperties":false,"properties":{"v":{"type":"integer","default":1}}}}`, `"l"`)},
		{"map argument type", scInputSchema[map[string]string], `{"type":"object","additionalProperties":{"type":"string"}}`},
		{"pointer argument type", scInputSchema[*struct {
			A string `json:"a" title:"A"`
		}], scObject(`"a":{"type":"string","title":"A"}`, `"a"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := ttSchemaDiff(t, tt.want, tt.schema(t)); diff != "" {
				t.Errorf("inputSchema (-want +got):\n%s", diff)
			}
		})
	}
}

// Embedded structs, exported or not, by value or by pointer: their fields are
// promoted with their tags, and defaults of promoted fields apply.
func TestSchemaEmbedded(t *testing.T) {
	t.Parallel()
	type inner struct {
		I string `json:"i" enum:"a,b"`
	}
	type Outer struct {
		O int `json:"o,omitempty" default:"3"`
	}
	type args struct {
		inner
		*Outer
		Own bool `json:"own"`
	}
	got := scInputSchema[args](t)
	want := scObject(`"i":{"type":"string","enum":["a","b"]},"o":{"type":"integer","default":3},"own":{"type":"boolean"}`, `"i","own"`)
	if diff := ttSchemaDiff(t, want, got); diff != "" {
		t.Errorf("inputSchema (-want +got):\n%s", diff)
	}

	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "e"}, func(_ *fastmcp.Context, a args) (string, error) {
		o := -1
		if a.Outer != nil {
			o = a.O
		}
		return fmt.Sprintf("%s %d %v", a.I, o, a.Own), nil
	})
	c := testkit.Connect(t, s, nil)
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"i": "b", "own": true}, "b 3 true"},
		{map[string]any{"i": "a", "o": 9, "own": false}, "a 9 false"},
	}
	for _, tt := range tests {
		res := ttCall(t, c, "e", tt.args)
		if got := fastmcptest.Text(res); got != tt.want || res.IsError {
			t.Errorf("%v: handler saw %q (isError %v), want %q", tt.args, got, res.IsError, tt.want)
		}
	}
	if res := ttCall(t, c, "e", map[string]any{"i": "c", "own": true}); !res.IsError || !strings.Contains(fastmcptest.Text(res), "i") {
		t.Errorf("enum of a promoted field not enforced: %+v", res)
	}
}

// An explicit *jsonschema.Schema and map[string]any are accepted as well as
// JSON text, and enforced.
func TestSchemaExplicitForms(t *testing.T) {
	t.Parallel()
	schema := &jsonschema.Schema{
		Type:       "object",
		Properties: map[string]*jsonschema.Schema{"n": {Type: "integer", Minimum: jsonschema.Ptr(1.0)}},
		Required:   []string{"n"},
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "typed", InputSchema: schema}, func(_ *fastmcp.Context, a map[string]any) (string, error) {
		return fmt.Sprint(a["n"]), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "map", InputSchema: map[string]any{
		"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer", "minimum": 1}}, "required": []string{"n"},
	}}, func(_ *fastmcp.Context, a map[string]any) (string, error) {
		return fmt.Sprint(a["n"]), nil
	})
	c := testkit.Connect(t, s, nil)
	list := ttListRaw(t, c)
	for _, name := range []string{"typed", "map"} {
		if diff := ttSchemaDiff(t, `{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"]}`, list[name]["inputSchema"]); diff != "" {
			t.Errorf("%s inputSchema (-want +got):\n%s", name, diff)
		}
		if res := ttCall(t, c, name, map[string]any{"n": 2}); res.IsError || fastmcptest.Text(res) != "2" {
			t.Errorf("%s valid call: %+v", name, res)
		}
		if res := ttCall(t, c, name, map[string]any{"n": 0}); !res.IsError || !strings.Contains(fastmcptest.Text(res), "n") {
			t.Errorf("%s minimum not enforced: %+v", name, res)
		}
	}
}

// ---- bugs found while writing these tests ----

func TestSchemaBugPointerRawMessageOnlyNull(t *testing.T) {
	t.Parallel()
	type args struct {
		P *json.RawMessage `json:"p,omitempty"`
	}
	if diff := ttSchemaDiff(t, scObject(`"p":{}`, ""), scInputSchema[args](t)); diff != "" {
		t.Errorf("inputSchema (-want +got):\n%s", diff)
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "p"}, func(_ *fastmcp.Context, a args) (string, error) {
		return string(*a.P), nil
	})
	c := testkit.Connect(t, s, nil)
	if res := ttCall(t, c, "p", json.RawMessage(`{"p":{"k":1}}`)); res.IsError || fastmcptest.Text(res) != `{"k":1}` {
		t.Errorf("object for a *json.RawMessage field: %+v", res)
	}
}

func TestSchemaBugNilMapInStructuredOutput(t *testing.T) {
	t.Parallel()
	type out struct {
		Counts map[string]int `json:"counts"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "m"}, func(*fastmcp.Context, fastmcp.NoArgs) (out, error) { return out{}, nil })
	c := testkit.Connect(t, s, nil)
	if res := ttCall(t, c, "m", nil); res.IsError {
		t.Errorf("zero value of the declared result type rejected: %s", fastmcptest.Text(res))
	}
}

func TestSchemaBugByteSliceInStructuredOutput(t *testing.T) {
	t.Parallel()
	type out struct {
		Data []byte `json:"data"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "b"}, func(*fastmcp.Context, fastmcp.NoArgs) (out, error) {
		return out{Data: []byte{1, 2, 3}}, nil
	})
	c := testkit.Connect(t, s, nil)
	res := ttCall(t, c, "b", nil)
	if res.IsError {
		t.Fatalf("[]byte result rejected: %s", fastmcptest.Text(res))
	}
	if diff := testdiff.Diff(map[string]any{"data": "AQID"}, res.StructuredContent); diff != "" {
		t.Errorf("structuredContent (-want +got):\n%s", diff)
	}
}

func TestSchemaBugDefaultInsideOptionalStruct(t *testing.T) {
	t.Parallel()
	type opts struct {
		Level int    `json:"level" default:"3"`
		Name  string `json:"name"`
	}
	type args struct {
		Q string `json:"q"`
		O *opts  `json:"o,omitempty"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "n"}, func(_ *fastmcp.Context, a args) (string, error) {
		return fmt.Sprintf("%s %v", a.Q, a.O == nil), nil
	})
	c := testkit.Connect(t, s, nil)
	if res := ttCall(t, c, "n", map[string]any{"q": "x"}); res.IsError || fastmcptest.Text(res) != "x true" {
		t.Errorf("call without the optional struct: isError=%v %q", res.IsError, fastmcptest.Text(res))
	}
}

func TestSchemaBugDefaultsLoseIntegerPrecision(t *testing.T) {
	t.Parallel()
	type args struct {
		ID   int64  `json:"id"`
		Mode string `json:"mode,omitempty" default:"fast"`
		// A nested member: the general decoder, not the compiled one.
		Opt *struct{} `json:"opt,omitempty"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "id"}, func(_ *fastmcp.Context, a args) (string, error) {
		return fmt.Sprint(a.ID), nil
	})
	c := testkit.Connect(t, s, nil)
	if got := fastmcptest.Text(ttCall(t, c, "id", json.RawMessage(`{"id":9007199254740993}`))); got != "9007199254740993" {
		t.Errorf("handler saw id %s, want 9007199254740993", got)
	}
}

func TestSchemaBugExplicitSchemaValueBooleanProperty(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: &jsonschema.Schema{
		Type:       "object",
		Properties: map[string]*jsonschema.Schema{"anything": {}},
	}}, func(*fastmcp.Context, map[string]any) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil) // also fails the test on the spec-invalid tools/list
	props := ttTool(t, c, "x")["inputSchema"].(map[string]any)["properties"].(map[string]any)
	if _, ok := props["anything"].(map[string]any); !ok {
		t.Errorf("property schema sent as %#v, want {}", props["anything"])
	}
}

func TestSchemaBugUnknownTypeNameAccepted(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	msg := ttPanicMessage(func() {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"object","properties":{"a":{"type":"strin"}}}`},
			func(*fastmcp.Context, map[string]any) (string, error) { return "", nil })
	})
	if msg == "" {
		t.Error("AddTool accepted an invalid input schema")
	}
}

func TestSchemaBugJSONStringOption(t *testing.T) {
	t.Parallel()
	type args struct {
		N int64 `json:"n,string"`
		// A nested member: the general decoder, not the compiled one.
		Opt *struct{} `json:"opt,omitempty"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "s"}, func(_ *fastmcp.Context, a args) (string, error) {
		return fmt.Sprint(a.N), nil
	})
	c := testkit.Connect(t, s, nil)
	schema := ttTool(t, c, "s")["inputSchema"].(map[string]any)["properties"].(map[string]any)["n"]
	want := "5"
	if m, _ := schema.(map[string]any); m["type"] == "integer" {
		if res := ttCall(t, c, "s", map[string]any{"n": 5}); res.IsError || fastmcptest.Text(res) != want {
			t.Errorf("schema says integer, but the call with 5 gives isError=%v %q", res.IsError, fastmcptest.Text(res))
		}
	} else if res := ttCall(t, c, "s", map[string]any{"n": "5"}); res.IsError || fastmcptest.Text(res) != want {
		t.Errorf("schema %v, but the call with \"5\" gives isError=%v %q", schema, res.IsError, fastmcptest.Text(res))
	}
}

func TestSchemaBugTaggedEmbeddedStruct(t *testing.T) {
	t.Parallel()
	type Named struct {
		N string `json:"n" title:"En"`
	}
	type args struct {
		Named `json:"named"`
	}
	want := scObject(`"named":`+scObject(`"n":{"type":"string","title":"En"}`, `"n"`), `"named"`)
	if diff := ttSchemaDiff(t, want, scInputSchema[args](t)); diff != "" {
		t.Errorf("inputSchema (-want +got):\n%s", diff)
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "e"}, func(_ *fastmcp.Context, a args) (string, error) { return a.N, nil })
	c := testkit.Connect(t, s, nil)
	if res := ttCall(t, c, "e", json.RawMessage(`{"named":{"n":"x"}}`)); res.IsError || fastmcptest.Text(res) != "x" {
		t.Errorf("the shape encoding/json expects: isError=%v %q", res.IsError, fastmcptest.Text(res))
	}
}

// ---- issue 12: required slices and maps, and how argument errors read ----

type scStop struct {
	City   string `json:"city" minLength:"1"`
	Nights int    `json:"nights" minimum:"1"`
}

type scTraveler struct {
	Name string `json:"name"`
	Age  int    `json:"age" minimum:"0"`
}

type scTripArgs struct {
	Traveler scTraveler        `json:"traveler"`
	Stops    []scStop          `json:"stops" minItems:"1"`
	Notes    map[string]string `json:"notes"`
	Tags     []string          `json:"tags,omitempty"`
}

// A required slice or map reaches the handler as a value, never nil; an
// optional one may be null. Every argument error names the value by its place
// in the arguments, index included, and words the problem as the top-level
// errors do.
func TestSchemaRequiredCollectionsAndNestedErrors(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "trip"}, func(_ *fastmcp.Context, a scTripArgs) (string, error) {
		if a.Stops == nil || a.Notes == nil {
			return "", fastmcp.UserErrorf("handler saw nil: stops=%v notes=%v", a.Stops == nil, a.Notes == nil)
		}
		return fmt.Sprintf("%d stops, tags nil=%v", len(a.Stops), a.Tags == nil), nil
	})
	c := testkit.Connect(t, s, nil)

	schema := ttTool(t, c, "trip")["inputSchema"].(map[string]any)["properties"].(map[string]any)
	for name, want := range map[string]any{"stops": "array", "notes": "object", "tags": []any{"null", "array"}} {
		if got := schema[name].(map[string]any)["type"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s type %v, want %v", name, got, want)
		}
	}

	const ok = `"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":2}],"notes":{}`
	tests := []struct {
		args string
		want string // the whole result text; "" for "Invalid arguments..." omitted
	}{
		{`{` + ok + `}`, "1 stops, tags nil=true"},
		{`{` + ok + `,"tags":null}`, "1 stops, tags nil=true"},
		{`{"traveler":{"name":"Ann","age":30},"stops":null,"notes":{}}`, `stops: got null, want array`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":2}],"notes":null}`, `notes: got null, want object`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[],"notes":{}}`, `stops: 0 items, fewer than 1`},
		{`{"traveler":{"name":"Ann","age":-1},"stops":[{"city":"Oslo","nights":2}],"notes":{}}`, `traveler.age: -1 is less than the minimum 0`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":2},{"city":"Bergen","nights":1.5}],"notes":{}}`, `stops[1].nights: 1.5 is not an integer`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"nights":2}],"notes":{}}`, `stops[0]: missing properties: ["city"]`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"","nights":2}],"notes":{}}`, `stops[0].city: length 0 is shorter than 1`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":"2"}],"notes":{}}`, `stops[0].nights: got string, want integer`},
		{`{"traveler":{"name":"Ann","age":30,"x":1},"stops":[{"city":"Oslo","nights":2}],"notes":{}}`, `traveler: unexpected additional properties ["x"]`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":2}],"notes":{"a b":1}}`, `notes["a b"]: got number, want string`},
		{`{"traveler":{"name":"Ann","age":30},"stops":[{"city":"Oslo","nights":2}],"notes":{},"tags":[1]}`, `tags[0]: got number, want string`},
		{`{"stops":[{"city":"Oslo","nights":2}]}`, `missing properties: ["traveler","notes"]`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			res := ttCall(t, c, "trip", json.RawMessage(tt.args))
			want := tt.want
			if !strings.Contains(want, "stops, tags") {
				want = `Invalid arguments for tool "trip": ` + want
			}
			if got := fastmcptest.Text(res); got != want || res.IsError != strings.HasPrefix(want, "Invalid") {
				t.Errorf("isError=%v %q\nwant %q", res.IsError, got, want)
			}
		})
	}
}

// Hand-written schemas: members reached through $ref keep their names, and an
// alternative (anyOf) that admits the value's type explains itself.
func TestSchemaExplicitNestedErrors(t *testing.T) {
	t.Parallel()
	const input = `{
		"type": "object",
		"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
		"properties": {
			"at": {"$ref": "#/$defs/point"},
			"path": {"type": "array", "items": {"$ref": "#/$defs/point"}},
			"maybe": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/point"}]},
			"kind": {"enum": ["a", "b"]}
		},
		"required": ["at"]
	}`
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "geo", InputSchema: input}, func(_ *fastmcp.Context, a map[string]any) (string, error) {
		return "ok", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{
		Name:         "rows",
		OutputSchema: `{"type":"object","properties":{"rows":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"}}}}}}`,
	}, func(_ *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		return map[string]any{"rows": []any{map[string]any{"id": 1}, map[string]any{"id": "two"}}}, nil
	})
	c := testkit.Connect(t, s, nil)
	tests := []struct{ args, want string }{
		{`{"at":{"x":"far"}}`, `at.x: got string, want number`},
		{`{"at":{"x":1},"path":[{"x":1},{}]}`, `path[1]: missing properties: ["x"]`},
		{`{"at":{"x":1},"maybe":{"x":true}}`, `maybe.x: got boolean, want number`},
		{`{"at":{"x":1},"maybe":7}`, `maybe: does not match any of the allowed forms`},
		{`{"at":{"x":1},"kind":"c"}`, `kind: "c" is not one of ["a","b"]`},
	}
	for _, tt := range tests {
		res := ttCall(t, c, "geo", json.RawMessage(tt.args))
		if want := `Invalid arguments for tool "geo": ` + tt.want; !res.IsError || fastmcptest.Text(res) != want {
			t.Errorf("%s: isError=%v %q\nwant %q", tt.args, res.IsError, fastmcptest.Text(res), want)
		}
	}
	res := ttCall(t, c, "rows", nil)
	if want := `tool "rows": result does not match its output schema: rows[1].id: got string, want integer`; !res.IsError || fastmcptest.Text(res) != want {
		t.Errorf("output: isError=%v %q\nwant %q", res.IsError, fastmcptest.Text(res), want)
	}
}

// Structured output keeps null for a nil slice or map: encoding/json writes
// one so.
func TestSchemaOutputKeepsNilCollections(t *testing.T) {
	t.Parallel()
	type out struct {
		L []string       `json:"l"`
		M map[string]int `json:"m"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "o"}, func(*fastmcp.Context, fastmcp.NoArgs) (out, error) { return out{}, nil })
	c := testkit.Connect(t, s, nil)
	if res := ttCall(t, c, "o", nil); res.IsError {
		t.Errorf("nil slice and map in structured output refused: %s", fastmcptest.Text(res))
	}
	props := ttTool(t, c, "o")["outputSchema"].(map[string]any)["properties"].(map[string]any)
	for _, name := range []string{"l", "m"} {
		if typ := props[name].(map[string]any)["type"]; !reflect.DeepEqual(typ, []any{"null", map[string]string{"l": "array", "m": "object"}[name]}) {
			t.Errorf("output %s type %v, want it to admit null", name, typ)
		}
	}
}
