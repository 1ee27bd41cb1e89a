package fastmcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// ---- helpers (prefixed tt to stay clear of other test files) ----

// ttListRaw returns every tools/list entry, following cursors, as generic JSON
// keyed by tool name.
func ttListRaw(t *testing.T, c *fastmcptest.Client) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for range 100 {
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		raw, err := c.CallRaw(testkit.Context(t), "tools/list", params)
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		var res struct {
			Tools      []map[string]any `json:"tools"`
			NextCursor string           `json:"nextCursor"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("decoding tools/list: %v\n%s", err, raw)
		}
		for _, tool := range res.Tools {
			name, _ := tool["name"].(string)
			if _, dup := out[name]; dup {
				t.Fatalf("tools/list returned %q twice", name)
			}
			out[name] = tool
		}
		if res.NextCursor == "" {
			return out
		}
		cursor = res.NextCursor
	}
	t.Fatal("tools/list: too many pages")
	return nil
}

// ttTool returns one tool's tools/list entry.
func ttTool(t *testing.T, c *fastmcptest.Client, name string) map[string]any {
	t.Helper()
	tool, ok := ttListRaw(t, c)[name]
	if !ok {
		t.Fatalf("tool %q not listed", name)
	}
	return tool
}

// ttJSON decodes a JSON literal written in a test.
func ttJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in test: %v\n%s", err, s)
	}
	return v
}

// ttNorm sorts every "required" array, which is a set in JSON Schema, so
// schemas compare structurally whatever the order of their required members.
func ttNorm(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if arr, ok := x.([]any); ok && k == "required" {
				s := make([]string, 0, len(arr))
				for _, e := range arr {
					str, _ := e.(string)
					s = append(s, str)
				}
				sort.Strings(s)
				out[k] = s
				continue
			}
			out[k] = ttNorm(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = ttNorm(x)
		}
		return out
	}
	return v
}

// ttSchemaDiff compares a schema from tools/list with the expected JSON.
func ttSchemaDiff(t *testing.T, want string, got any) string {
	t.Helper()
	return testdiff.Diff(ttNorm(ttJSON(t, want)), ttNorm(got))
}

// ttCall calls a tool and fails the test on a protocol error.
func ttCall(t *testing.T, c *fastmcptest.Client, name string, args any) *fastmcp.CallToolResult {
	t.Helper()
	res, err := c.CallTool(testkit.Context(t), name, args)
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

// ttCallParams calls tools/call with raw params, to control how "arguments"
// is sent (absent, null, not an object).
func ttCallParams(t *testing.T, c *fastmcptest.Client, params string) *fastmcp.CallToolResult {
	t.Helper()
	var res fastmcp.CallToolResult
	if err := c.Call(testkit.Context(t), "tools/call", json.RawMessage(params), &res); err != nil {
		t.Fatalf("tools/call %s: %v", params, err)
	}
	return &res
}

var ttEquateEmpty = testdiff.EquateEmpty()

// ---- schema inference ----

type ttAddress struct {
	Street string `json:"street" description:"Street and number"`
	Zip    string `json:"zip,omitempty" pattern:"^[0-9]{5}$"`
}

type TTTracing struct {
	Trace string `json:"trace,omitempty" jsonschema:"trace id"`
}

type ttSearchArgs struct {
	TTTracing
	Query    string          `json:"query" jsonschema:"What to look for" title:"Query" minLength:"1" maxLength:"200"`
	Mode     string          `json:"mode,omitempty" enum:"fast,thorough"`
	Level    int             `json:"level,omitempty" enum:"1,2,3"`
	Tags     []string        `json:"tags,omitempty" enum:"news,blog"`
	Limit    int             `json:"limit" default:"10" minimum:"1" maximum:"50"`
	Lang     string          `json:"lang" default:"en"`
	Email    string          `json:"email,omitempty" format:"email"`
	Home     ttAddress       `json:"home"`
	Others   []ttAddress     `json:"others,omitempty"`
	Nick     *string         `json:"nick,omitempty"`
	Extra    any             `json:"extra,omitempty"`
	Payload  json.RawMessage `json:"payload,omitempty"`
	Since    time.Time       `json:"since,omitzero"`
	Internal string          `json:"-"`
	Verbose  bool
}

const ttAddressSchema = `{
	"type": "object",
	"additionalProperties": false,
	"required": ["street"],
	"properties": {
		"street": {"type": "string", "description": "Street and number"},
		"zip": {"type": "string", "pattern": "^[0-9]{5}$"}
	}
}`

const ttSearchSchema = `{
	"type": "object",
	"additionalProperties": false,
	"required": ["query", "home", "Verbose"],
	"properties": {
		"trace": {"type": "string", "description": "trace id"},
		"query": {"type": "string", "description": "What to look for", "title": "Query", "minLength": 1, "maxLength": 200},
		"mode": {"type": "string", "enum": ["fast", "thorough"]},
		"level": {"type": "integer", "enum": [1, 2, 3]},
		"tags": {"type": ["null", "array"], "items": {"type": "string", "enum": ["news", "blog"]}},
		"limit": {"type": "integer", "default": 10, "minimum": 1, "maximum": 50},
		"lang": {"type": "string", "default": "en"},
		"email": {"type": "string", "format": "email"},
		"home": ` + ttAddressSchema + `,
		"others": {"type": ["null", "array"], "items": ` + ttAddressSchema + `},
		"nick": {"type": ["null", "string"]},
		"extra": {},
		"payload": {},
		"since": {"type": "string", "format": "date-time"},
		"Verbose": {"type": "boolean"}
	}
}`

func TestToolSchemaInference(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "search"}, func(ctx *fastmcp.Context, a ttSearchArgs) (any, error) {
		return a, nil // echoed as JSON text
	})
	c := testkit.Connect(t, s, nil)

	tool := ttTool(t, c, "search")
	if diff := ttSchemaDiff(t, ttSearchSchema, tool["inputSchema"]); diff != "" {
		t.Errorf("inputSchema (-want +got):\n%s", diff)
	}
	// Property schemas must be objects, never the boolean schema true.
	props := tool["inputSchema"].(map[string]any)["properties"].(map[string]any)
	for _, name := range []string{"extra", "payload"} {
		if _, ok := props[name].(map[string]any); !ok {
			t.Errorf("property %q is %#v, want an object schema", name, props[name])
		}
	}

	nick := "bob"
	since := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		args string
		want ttSearchArgs
	}{
		{
			name: "defaults applied",
			args: `{"query":"go","home":{"street":"Main 1"},"Verbose":false}`,
			want: ttSearchArgs{Query: "go", Home: ttAddress{Street: "Main 1"}, Limit: 10, Lang: "en"},
		},
		{
			name: "explicit values win over defaults",
			args: `{"query":"go","home":{"street":"Main 1"},"Verbose":true,"limit":5,"lang":"fr"}`,
			want: ttSearchArgs{Query: "go", Home: ttAddress{Street: "Main 1"}, Verbose: true, Limit: 5, Lang: "fr"},
		},
		{
			name: "every kind of field",
			args: `{"trace":"t1","query":"go","mode":"fast","level":2,"tags":["news"],"email":"a@b.example",
				"home":{"street":"Main 1","zip":"12345"},"others":[{"street":"Side 2"}],"nick":"bob",
				"extra":{"k":[1,"x"]},"payload":{"p":true},"since":"2024-01-02T03:04:05Z","Verbose":true}`,
			want: ttSearchArgs{
				TTTracing: TTTracing{Trace: "t1"}, Query: "go", Mode: "fast", Level: 2, Tags: []string{"news"},
				Limit: 10, Lang: "en", Email: "a@b.example", Home: ttAddress{Street: "Main 1", Zip: "12345"},
				Others: []ttAddress{{Street: "Side 2"}}, Nick: &nick, Extra: map[string]any{"k": []any{1.0, "x"}},
				Payload: json.RawMessage(`{"p":true}`), Since: since, Verbose: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ttCall(t, c, "search", json.RawMessage(tt.args))
			if res.IsError {
				t.Fatalf("unexpected error result: %s", fastmcptest.Text(res))
			}
			var got ttSearchArgs
			if err := json.Unmarshal([]byte(fastmcptest.Text(res)), &got); err != nil {
				t.Fatalf("handler echo is not JSON: %v: %s", err, fastmcptest.Text(res))
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("handler saw (-want +got):\n%s", diff)
			}
		})
	}
}

// ---- validation ----

type ttValidatedArgs struct {
	Name  string    `json:"name"`
	Age   int       `json:"age,omitempty" minimum:"0" maximum:"150"`
	Color string    `json:"color,omitempty" enum:"red,green"`
	Code  string    `json:"code,omitempty" pattern:"^[A-Z]{3}$"`
	Short string    `json:"short,omitempty" maxLength:"3"`
	Home  ttAddress `json:"home,omitzero"`
	Tags  []string  `json:"tags,omitempty" enum:"a,b"`
}

func TestToolArgumentValidation(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	var calls atomic.Int64
	fastmcp.AddTool(s, fastmcp.Tool{Name: "v"}, func(ctx *fastmcp.Context, a ttValidatedArgs) (string, error) {
		calls.Add(1)
		return "hello " + a.Name, nil
	})
	c := testkit.Connect(t, s, nil)

	tests := []struct {
		name  string
		args  string
		field string // must appear in the error text
	}{
		{"wrong type", `{"name":1}`, "name"},
		{"wrong type integer", `{"name":"x","age":1.5}`, "age"},
		{"missing required", `{}`, "name"},
		{"unknown property", `{"name":"x","bogus":true}`, "bogus"},
		{"enum violation", `{"name":"x","color":"blue"}`, "color"},
		{"items enum violation", `{"name":"x","tags":["a","zzz"]}`, "tags"},
		{"pattern violation", `{"name":"x","code":"abc"}`, "code"},
		{"maxLength violation", `{"name":"x","short":"abcd"}`, "short"},
		{"maximum violation", `{"name":"x","age":151}`, "age"},
		{"nested wrong type", `{"name":"x","home":{"street":7}}`, "street"},
		{"nested pattern", `{"name":"x","home":{"street":"s","zip":"abc"}}`, "zip"},
		{"nested unknown property", `{"name":"x","home":{"street":"s","floor":3}}`, "floor"},
		{"arguments not an object", `[1,2]`, "object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			res := ttCall(t, c, "v", json.RawMessage(tt.args))
			if !res.IsError {
				t.Fatalf("want isError for %s, got %s", tt.args, fastmcptest.Text(res))
			}
			if txt := fastmcptest.Text(res); !strings.Contains(txt, tt.field) {
				t.Errorf("error text %q does not name %q", txt, tt.field)
			}
			if calls.Load() != before {
				t.Errorf("handler ran on invalid arguments")
			}
			// The server keeps serving.
			ok := ttCall(t, c, "v", map[string]any{"name": "ok"})
			if ok.IsError || fastmcptest.Text(ok) != "hello ok" {
				t.Errorf("valid call after an invalid one: %+v", ok)
			}
		})
	}
}

// ---- no arguments ----

func TestToolWithoutArguments(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "noargs"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "done", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "empty"}, func(ctx *fastmcp.Context, _ struct{}) (string, error) {
		return "done", nil
	})
	c := testkit.Connect(t, s, nil)
	list := ttListRaw(t, c)
	for _, name := range []string{"noargs", "empty"} {
		if diff := ttSchemaDiff(t, `{"type":"object","additionalProperties":false}`, list[name]["inputSchema"]); diff != "" {
			t.Errorf("%s inputSchema (-want +got):\n%s", name, diff)
		}
		for _, params := range []string{
			`{"name":"` + name + `"}`,
			`{"name":"` + name + `","arguments":{}}`,
			`{"name":"` + name + `","arguments":null}`,
		} {
			res := ttCallParams(t, c, params)
			if res.IsError || fastmcptest.Text(res) != "done" {
				t.Errorf("%s: got %+v", params, res)
			}
		}
		res := ttCallParams(t, c, `{"name":"`+name+`","arguments":{"x":1}}`)
		if !res.IsError || !strings.Contains(fastmcptest.Text(res), "x") {
			t.Errorf("%s with an unexpected argument: want isError naming x, got %+v", name, res)
		}
	}
}

// ---- untyped argument types ----

func TestToolUntypedArguments(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	echo := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return fmt.Sprintf("%T %s", v, b), err
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "map"}, func(ctx *fastmcp.Context, a map[string]any) (string, error) { return echo(a) })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "raw"}, func(ctx *fastmcp.Context, a json.RawMessage) (string, error) {
		return "raw " + string(a), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "any"}, func(ctx *fastmcp.Context, a any) (string, error) { return echo(a) })
	c := testkit.Connect(t, s, nil)
	list := ttListRaw(t, c)
	for _, name := range []string{"map", "raw", "any"} {
		if diff := ttSchemaDiff(t, `{"type":"object"}`, list[name]["inputSchema"]); diff != "" {
			t.Errorf("%s inputSchema (-want +got):\n%s", name, diff)
		}
	}
	tests := []struct {
		params string
		want   string
	}{
		{`{"name":"map","arguments":{"a":1,"b":[true]}}`, `map[string]interface {} {"a":1,"b":[true]}`},
		{`{"name":"map"}`, `map[string]interface {} {}`},
		{`{"name":"any","arguments":{"a":"x"}}`, `map[string]interface {} {"a":"x"}`},
		{`{"name":"any","arguments":null}`, `map[string]interface {} {}`},
		{`{"name":"raw","arguments":{"a":1}}`, `raw {"a":1}`},
		{`{"name":"raw"}`, `raw {}`},
	}
	for _, tt := range tests {
		res := ttCallParams(t, c, tt.params)
		if res.IsError || fastmcptest.Text(res) != tt.want {
			t.Errorf("%s: got %q (isError %v), want %q", tt.params, fastmcptest.Text(res), res.IsError, tt.want)
		}
	}
	res := ttCallParams(t, c, `{"name":"map","arguments":"str"}`)
	if !res.IsError {
		t.Errorf("map tool accepted a string as arguments: %+v", res)
	}
}

// ---- explicit input schema ----

const ttExplicitSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {
    "point": {
      "type": "object",
      "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}},
      "required": ["lon", "lat"],
      "additionalProperties": false
    }
  },
  "properties": {
    "from": {"$ref": "#/$defs/point"},
    "to": {"$ref": "#/$defs/point"},
    "label": {"type": "string", "maxLength": 5}
  },
  "required": ["from", "to"],
  "additionalProperties": false
}`

func TestToolExplicitInputSchema(t *testing.T) {
	t.Parallel()
	type point struct {
		Lon float64 `json:"lon"`
		Lat float64 `json:"lat"`
	}
	type segment struct {
		From  point  `json:"from"`
		To    point  `json:"to"`
		Label string `json:"label"`
	}
	inputs := []struct {
		name   string
		schema any
	}{
		{"string", ttExplicitSchema},
		{"raw", json.RawMessage(ttExplicitSchema)},
		{"bytes", []byte(ttExplicitSchema)},
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, in := range inputs {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "map-" + in.name, InputSchema: in.schema}, func(ctx *fastmcp.Context, a map[string]any) (string, error) {
			b, _ := json.Marshal(a)
			return string(b), nil
		})
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(ttExplicitSchema), &m); err != nil {
		t.Fatal(err)
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "map-map", InputSchema: m}, func(ctx *fastmcp.Context, a map[string]any) (string, error) {
		b, _ := json.Marshal(a)
		return string(b), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "struct", InputSchema: ttExplicitSchema}, func(ctx *fastmcp.Context, a segment) (string, error) {
		return fmt.Sprintf("%v->%v %s", a.From, a.To, a.Label), nil
	})
	c := testkit.Connect(t, s, nil)

	// Byte-for-byte (modulo insignificant whitespace): read the raw member.
	raw, err := c.CallRaw(testkit.Context(t), "tools/list", nil)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Tools []struct {
			Name        string          `json:"name"`
			InputSchema json.RawMessage `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(ttExplicitSchema)); err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		if tool.Name == "map-map" {
			// A map is re-encoded (keys sorted): compare structurally.
			if diff := testdiff.Diff(ttJSON(t, ttExplicitSchema), ttJSON(t, string(tool.InputSchema))); diff != "" {
				t.Errorf("%s inputSchema (-want +got):\n%s", tool.Name, diff)
			}
			continue
		}
		if got := string(tool.InputSchema); got != compact.String() {
			t.Errorf("%s inputSchema not passed through:\n got %s\nwant %s", tool.Name, got, compact.String())
		}
	}

	valid := map[string]any{"from": map[string]any{"lon": 1, "lat": 2}, "to": map[string]any{"lon": 3, "lat": 4}, "label": "ab"}
	invalid := []struct {
		name  string
		args  string
		field string
	}{
		{"missing required", `{"from":{"lon":1,"lat":2}}`, "to"},
		{"wrong type through $ref", `{"from":{"lon":"one","lat":2},"to":{"lon":3,"lat":4}}`, "lon"},
		{"unknown property through $ref", `{"from":{"lon":1,"lat":2,"alt":0},"to":{"lon":3,"lat":4}}`, "alt"},
		{"unknown top-level property", `{"from":{"lon":1,"lat":2},"to":{"lon":3,"lat":4},"extra":1}`, "extra"},
		{"maxLength", `{"from":{"lon":1,"lat":2},"to":{"lon":3,"lat":4},"label":"toolong"}`, "label"},
	}
	for _, name := range []string{"map-string", "map-raw", "map-bytes", "map-map", "struct"} {
		t.Run(name, func(t *testing.T) {
			res := ttCall(t, c, name, valid)
			if res.IsError {
				t.Fatalf("valid call failed: %s", fastmcptest.Text(res))
			}
			if name == "struct" {
				if got, want := fastmcptest.Text(res), "{1 2}->{3 4} ab"; got != want {
					t.Errorf("struct handler saw %q, want %q", got, want)
				}
			} else if diff := testdiff.Diff(ttJSON(t, `{"from":{"lon":1,"lat":2},"to":{"lon":3,"lat":4},"label":"ab"}`), ttJSON(t, fastmcptest.Text(res))); diff != "" {
				t.Errorf("map handler saw (-want +got):\n%s", diff)
			}
			for _, tt := range invalid {
				res := ttCall(t, c, name, json.RawMessage(tt.args))
				if !res.IsError || !strings.Contains(fastmcptest.Text(res), tt.field) {
					t.Errorf("%s: want isError naming %q, got isError=%v %q", tt.name, tt.field, res.IsError, fastmcptest.Text(res))
				}
			}
		})
	}
}

// ---- registration panics ----

func TestAddToolPanics(t *testing.T) {
	t.Parallel()
	type badEnum struct {
		N int `json:"n" enum:"1,x"`
	}
	type badDefault struct {
		N int `json:"n" default:"abc"`
	}
	type defaultNotInEnum struct {
		S string `json:"s" enum:"a,b" default:"c"`
	}
	type badMinimum struct {
		N int `json:"n" minimum:"low"`
	}
	type badMaxLength struct {
		S string `json:"s" maxLength:"1.5"`
	}
	str := func(ctx *fastmcp.Context, _ map[string]any) (string, error) { return "", nil }
	tests := []struct {
		name string
		add  func(s *fastmcp.Server)
		want string // substring of the panic message
	}{
		{"empty name", func(s *fastmcp.Server) { fastmcp.AddTool(s, fastmcp.Tool{}, str) }, "empty tool name"},
		{"nil handler", func(s *fastmcp.Server) {
			fastmcp.AddTool[map[string]any, string](s, fastmcp.Tool{Name: "x"}, nil)
		}, "nil handler"},
		{"int arguments", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, n int) (string, error) { return "", nil })
		}, "not a struct"},
		{"slice arguments", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, n []string) (string, error) { return "", nil })
		}, "not a struct"},
		{"interface with methods", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, n fmt.Stringer) (string, error) { return "", nil })
		}, "interface"},
		{"uninterpretable result interface", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (fmt.Stringer, error) { return nil, nil })
		}, "result type"},
		{"explicit schema not JSON", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":`}, str)
		}, "input schema"},
		{"explicit schema malformed keyword", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"object","required":"a"}`}, str)
		}, "input schema"},
		{"explicit schema bad regexp", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"object","properties":{"a":{"type":"string","pattern":"("}}}`}, str)
		}, "input schema"},
		{"explicit schema dangling $ref", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"object","properties":{"a":{"$ref":"#/$defs/nope"}}}`}, str)
		}, "input schema"},
		{"explicit schema not an object schema", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"string"}`}, str)
		}, `"type": "object"`},
		{"explicit schema without type", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"properties":{}}`}, str)
		}, `"type": "object"`},
		{"explicit schema boolean", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `true`}, str)
		}, `"type": "object"`},
		{"explicit output schema not an object schema", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", OutputSchema: `{"type":"array"}`}, str)
		}, "output schema"},
		{"enum on int with x", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ badEnum) (string, error) { return "", nil })
		}, "enum"},
		{"default not an int", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ badDefault) (string, error) { return "", nil })
		}, "default"},
		{"default outside enum", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ defaultNotInEnum) (string, error) { return "", nil })
		}, "input schema"},
		{"minimum not a number", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ badMinimum) (string, error) { return "", nil })
		}, "minimum"},
		{"meta that cannot be encoded", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x", Meta: fastmcp.Meta{"ch": make(chan int)}}, str)
		}, "json"},
		{"maxLength not an int", func(s *fastmcp.Server) {
			fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ badMaxLength) (string, error) { return "", nil })
		}, "maxLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			msg := ttPanicMessage(func() { tt.add(s) })
			if msg == "" {
				t.Fatal("AddTool did not panic")
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q does not contain %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, "fastmcp: AddTool") {
				t.Errorf("panic %q does not say where it comes from", msg)
			}
		})
	}
}

// ttPanicMessage runs f and returns the text of its panic, or "".
func ttPanicMessage(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
			if msg == "" {
				msg = "<empty panic>"
			}
		}
	}()
	f()
	return ""
}

// A failed registration leaves the registry unchanged.
func TestAddToolPanicKeepsPreviousTool(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "x"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "old", nil })
	if ttPanicMessage(func() {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "x", InputSchema: `{"type":"string"}`}, func(ctx *fastmcp.Context, _ map[string]any) (string, error) { return "new", nil })
	}) == "" {
		t.Fatal("no panic")
	}
	c := testkit.Connect(t, s, nil)
	if got := fastmcptest.Text(ttCall(t, c, "x", nil)); got != "old" {
		t.Errorf("after a failed re-registration the tool returns %q, want old", got)
	}
}

// ---- result normalisation ----

// ttResultCase is a row of TestToolResultNormalisation.
type ttResultCase struct {
	name         string
	handler      any
	want         *fastmcp.CallToolResult // compared exactly unless wantErr is set
	wantErr      string                  // isError with a text containing this
	outputSchema string                  // expected outputSchema in tools/list, "" for none
}

type ttPoint struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

const ttPointSchema = `{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"}},"required":["name","n"],"additionalProperties":false}`

const ttCountSchema = `{"type":"object","properties":{"count":{"type":"integer"}},"required":["count"]}`

func TestToolResultNormalisation(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	add := func(name string, h any) {
		switch h := h.(type) {
		case func(*fastmcp.Context, fastmcp.NoArgs) (string, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.TextContent, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (fastmcp.Content, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) ([]fastmcp.Content, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.CallToolResult, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (any, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (*ttPoint, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) (int, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		case func(*fastmcp.Context, fastmcp.NoArgs) ([]string, error):
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, h)
		default:
			t.Fatalf("unhandled handler type %T", h)
		}
	}
	img := &fastmcp.ImageContent{Data: []byte{1, 2, 3}, MIMEType: "image/png"}
	full := &fastmcp.CallToolResult{
		Content:           []fastmcp.Content{fastmcp.Text("custom")},
		StructuredContent: map[string]any{"k": "v"},
		IsError:           true,
		Meta:              fastmcp.Meta{"trace": "abc"},
	}
	tests := []ttResultCase{
		{
			name:    "string",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "hello", nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("hello")}},
		},
		{
			name:    "empty string",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "", nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("")}},
		},
		{
			name: "text content",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.TextContent, error) {
				return fastmcp.Text("block"), nil
			},
			want: &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("block")}},
		},
		{
			name:    "nil text content",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.TextContent, error) { return nil, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{}},
		},
		{
			name:    "content interface",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (fastmcp.Content, error) { return img, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{img}},
		},
		{
			name: "content slice",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) ([]fastmcp.Content, error) {
				return []fastmcp.Content{fastmcp.Text("a"), img}, nil
			},
			want: &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("a"), img}},
		},
		{
			name:    "nil content slice",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) ([]fastmcp.Content, error) { return nil, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{}},
		},
		{
			name:    "call tool result passthrough",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.CallToolResult, error) { return full, nil },
			want:    full,
		},
		{
			name:    "any nil",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) { return nil, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{}},
		},
		{
			name:    "any string",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) { return "dyn", nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("dyn")}},
		},
		{
			name:    "any content",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) { return img, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{img}},
		},
		{
			name: "any content slice",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) {
				return []fastmcp.Content{fastmcp.Text("x"), fastmcp.Text("y")}, nil
			},
			want: &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("x"), fastmcp.Text("y")}},
		},
		{
			name:    "any call tool result",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) { return full, nil },
			want:    full,
		},
		{
			name:    "any struct as JSON text",
			handler: func(*fastmcp.Context, fastmcp.NoArgs) (any, error) { return ttPoint{Name: "p", N: 1}, nil },
			want:    &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"name":"p","n":1}`)}},
		},
		{
			name:         "typed struct",
			handler:      func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error) { return ttPoint{Name: "p", N: 2}, nil },
			want:         &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"name":"p","n":2}`)}, StructuredContent: map[string]any{"name": "p", "n": 2.0}},
			outputSchema: ttPointSchema,
		},
		{
			name:         "typed struct pointer",
			handler:      func(*fastmcp.Context, fastmcp.NoArgs) (*ttPoint, error) { return &ttPoint{Name: "q", N: 3}, nil },
			want:         &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"name":"q","n":3}`)}, StructuredContent: map[string]any{"name": "q", "n": 3.0}},
			outputSchema: ttPointSchema,
		},
		{
			name:         "nil struct pointer",
			handler:      func(*fastmcp.Context, fastmcp.NoArgs) (*ttPoint, error) { return nil, nil },
			wantErr:      "no structured content",
			outputSchema: ttPointSchema,
		},
		{
			name:         "int wrapped",
			handler:      func(*fastmcp.Context, fastmcp.NoArgs) (int, error) { return 42, nil },
			want:         &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"result":42}`)}, StructuredContent: map[string]any{"result": 42.0}},
			outputSchema: `{"type":"object","properties":{"result":{"type":"integer"}},"required":["result"]}`,
		},
		{
			name:         "string slice wrapped",
			handler:      func(*fastmcp.Context, fastmcp.NoArgs) ([]string, error) { return []string{"a", "b"}, nil },
			want:         &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"result":["a","b"]}`)}, StructuredContent: map[string]any{"result": []any{"a", "b"}}},
			outputSchema: `{"type":"object","properties":{"result":{"type":["null","array"],"items":{"type":"string"}}},"required":["result"]}`,
		},
	}
	for _, tt := range tests {
		add(tt.name, tt.handler)
	}
	// Explicit output schemas.
	fastmcp.AddTool(s, fastmcp.Tool{Name: "explicit ok", OutputSchema: ttCountSchema}, func(*fastmcp.Context, fastmcp.NoArgs) (map[string]any, error) {
		return map[string]any{"count": 3}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "explicit violated", OutputSchema: ttCountSchema}, func(*fastmcp.Context, fastmcp.NoArgs) (map[string]any, error) {
		return map[string]any{"count": "three"}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "explicit missing", OutputSchema: ttCountSchema}, func(*fastmcp.Context, fastmcp.NoArgs) (map[string]any, error) {
		return map[string]any{"total": 1}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "explicit any violated", OutputSchema: ttCountSchema}, func(*fastmcp.Context, fastmcp.NoArgs) (any, error) {
		return map[string]any{"count": 1.5}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "explicit result violated", OutputSchema: ttCountSchema}, func(*fastmcp.Context, fastmcp.NoArgs) (*fastmcp.CallToolResult, error) {
		return &fastmcp.CallToolResult{Content: []fastmcp.Content{}, StructuredContent: map[string]any{"count": false}}, nil
	})
	tests = append(tests,
		ttResultCase{name: "explicit ok", want: &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"count":3}`)}, StructuredContent: map[string]any{"count": 3.0}}, outputSchema: ttCountSchema},
		ttResultCase{name: "explicit violated", wantErr: "count", outputSchema: ttCountSchema},
		ttResultCase{name: "explicit missing", wantErr: "count", outputSchema: ttCountSchema},
		ttResultCase{name: "explicit any violated", wantErr: "count", outputSchema: ttCountSchema},
		ttResultCase{name: "explicit result violated", wantErr: "count", outputSchema: ttCountSchema},
	)

	c := testkit.Connect(t, s, nil)
	list := ttListRaw(t, c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, hasSchema := list[tt.name]["outputSchema"]
			switch {
			case tt.outputSchema == "" && hasSchema:
				t.Errorf("unexpected outputSchema %v", got)
			case tt.outputSchema != "":
				if diff := ttSchemaDiff(t, tt.outputSchema, got); diff != "" {
					t.Errorf("outputSchema (-want +got):\n%s", diff)
				}
			}
			res := ttCall(t, c, tt.name, nil)
			if tt.wantErr != "" {
				if !res.IsError || !strings.Contains(fastmcptest.Text(res), tt.wantErr) {
					t.Errorf("want isError containing %q, got isError=%v %q", tt.wantErr, res.IsError, fastmcptest.Text(res))
				}
				if !strings.Contains(fastmcptest.Text(res), tt.name) {
					t.Errorf("error %q does not name the tool", fastmcptest.Text(res))
				}
				return
			}
			if diff := testdiff.Diff(tt.want, res, ttEquateEmpty); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// Structured content is dropped for clients older than 2025-06-18, which
// still get the JSON text; the output schema is not listed for them.
func TestToolStructuredContentPerRevision(t *testing.T) {
	t.Parallel()
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "p"}, func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error) {
				return ttPoint{Name: "p", N: 1}, nil
			})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "u"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
				return "", &fastmcp.UserError{Message: "nope", Data: map[string]any{"why": "because"}}
			})
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			modern := rev >= fastmcp.ProtocolVersion20250618
			res := ttCall(t, c, "p", nil)
			if got := fastmcptest.Text(res); got != `{"name":"p","n":1}` {
				t.Errorf("text %q", got)
			}
			if (res.StructuredContent != nil) != modern {
				t.Errorf("structuredContent = %v, want present: %v", res.StructuredContent, modern)
			}
			_, listed := ttTool(t, c, "p")["outputSchema"]
			if listed != modern {
				t.Errorf("outputSchema listed: %v, want %v", listed, modern)
			}
			ue := ttCall(t, c, "u", nil)
			if !ue.IsError || fastmcptest.Text(ue) != "nope" || (ue.StructuredContent != nil) != modern {
				t.Errorf("user error result: %+v", ue)
			}
		})
	}
}

// ---- errors ----

// ttErrCase is a row of TestToolErrors.
type ttErrCase struct {
	tool     string
	want     string // exact text, or "" to skip
	contains []string
	absent   []string
	data     any
}

func TestToolErrors(t *testing.T) {
	t.Parallel()
	const secret = "password=hunter2"
	register := func(s *fastmcp.Server) {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "user"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			return "", &fastmcp.UserError{Message: "Bad city name.", Data: map[string]any{"field": "city"}}
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "userf"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			return "", fastmcp.UserErrorf("no %s here", "cats")
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "wrapped user"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			return "", fmt.Errorf("layer: %w", fastmcp.NewUserError("inner message"))
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "generic"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			return "", errors.New("db connect " + secret)
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "panic"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			panic("boom " + secret)
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "structured user"}, func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error) {
			return ttPoint{}, fastmcp.NewUserError("structured tool failed")
		})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "ok"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
			return "fine", nil
		})
	}
	for _, details := range []bool{false, true} {
		t.Run(fmt.Sprintf("ShowErrorDetails=%v", details), func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{ShowErrorDetails: details})
			register(s)
			c := testkit.Connect(t, s, nil)
			tests := []ttErrCase{
				{tool: "user", want: "Bad city name.", data: map[string]any{"field": "city"}},
				{tool: "userf", want: "no cats here"},
				{tool: "wrapped user", want: "inner message"},
				{tool: "structured user", want: "structured tool failed"},
			}
			if details {
				tests = append(tests,
					ttErrCase{tool: "generic", contains: []string{"generic", secret}},
					ttErrCase{tool: "panic", contains: []string{"panic", "boom", secret}},
				)
			} else {
				tests = append(tests,
					ttErrCase{tool: "generic", contains: []string{"generic", "internal error"}, absent: []string{secret, "db connect"}},
					ttErrCase{tool: "panic", contains: []string{"panic", "internal error"}, absent: []string{secret, "boom"}},
				)
			}
			for _, tt := range tests {
				res := ttCall(t, c, tt.tool, nil)
				txt := fastmcptest.Text(res)
				if !res.IsError {
					t.Errorf("%s: isError not set: %q", tt.tool, txt)
				}
				if tt.want != "" && txt != tt.want {
					t.Errorf("%s: text %q, want %q", tt.tool, txt, tt.want)
				}
				for _, s := range tt.contains {
					if !strings.Contains(txt, s) {
						t.Errorf("%s: text %q does not contain %q", tt.tool, txt, s)
					}
				}
				for _, s := range tt.absent {
					if strings.Contains(txt, s) {
						t.Errorf("%s: text %q leaks %q", tt.tool, txt, s)
					}
				}
				if diff := testdiff.Diff(tt.data, res.StructuredContent); diff != "" {
					t.Errorf("%s: structuredContent (-want +got):\n%s", tt.tool, diff)
				}
				// The server keeps serving, including after a panic.
				if ok := ttCall(t, c, "ok", nil); ok.IsError || fastmcptest.Text(ok) != "fine" {
					t.Errorf("call after %s: %+v", tt.tool, ok)
				}
			}
		})
	}
}

func TestToolProtocolError(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "elicit"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		return "", &fastmcp.Error{Code: fastmcp.CodeURLElicitationRequired, Message: "Authorization required.", Data: map[string]any{"elicitations": []any{}}}
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "wrapped"}, func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error) {
		return ttPoint{}, fmt.Errorf("context: %w", fastmcp.NewError(fastmcp.CodeInvalidParams, "bad %s", "thing"))
	})
	c := testkit.Connect(t, s, nil)
	tests := []struct {
		tool     string
		wantCode fastmcp.ErrorCode
		wantMsg  string
		wantData string
	}{
		{"elicit", fastmcp.CodeURLElicitationRequired, "Authorization required.", `{"elicitations":[]}`},
		{"wrapped", fastmcp.CodeInvalidParams, "bad thing", ""},
	}
	for _, tt := range tests {
		res, err := c.CallTool(testkit.Context(t), tt.tool, nil)
		var fe *fastmcp.Error
		if !errors.As(err, &fe) {
			t.Fatalf("%s: want a JSON-RPC error, got result %+v, err %v", tt.tool, res, err)
		}
		if fe.Code != tt.wantCode || fe.Message != tt.wantMsg {
			t.Errorf("%s: error %d %q, want %d %q", tt.tool, fe.Code, fe.Message, tt.wantCode, tt.wantMsg)
		}
		if tt.wantData != "" {
			b, _ := json.Marshal(fe.Data)
			if diff := testdiff.Diff(ttJSON(t, tt.wantData), ttJSON(t, string(b))); diff != "" {
				t.Errorf("%s: error data (-want +got):\n%s", tt.tool, diff)
			}
		}
	}
}

func TestToolUnknown(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	c := testkit.Connect(t, s, nil)
	_, err := c.CallTool(testkit.Context(t), "nope", nil)
	if code := fastmcp.ErrorCodeOf(err); code != fastmcp.CodeInvalidParams {
		t.Fatalf("unknown tool: error %v (code %d), want code %d", err, code, fastmcp.CodeInvalidParams)
	}
	if !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q does not name the tool", err)
	}
}

// ---- timeouts ----

func TestToolTimeout(t *testing.T) {
	t.Parallel()
	const short = 30 * time.Millisecond
	const bound = 5 * time.Second // generous: the machine is shared
	tests := []struct {
		name    string
		opts    fastmcp.Options
		timeout time.Duration
	}{
		{"Tool.Timeout", fastmcp.Options{}, short},
		{"Options.ToolTimeout", fastmcp.Options{ToolTimeout: short}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, tt.opts)
			seen := make(chan error, 1)
			fastmcp.AddTool(s, fastmcp.Tool{Name: "cooperative", Timeout: tt.timeout}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
				<-ctx.Done()
				seen <- ctx.Err()
				return "", ctx.Err()
			})
			release := make(chan struct{})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "stubborn", Timeout: tt.timeout}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
				<-release // ignores ctx
				return "too late", nil
			})
			// Generous, so a busy machine cannot make it time out.
			fastmcp.AddTool(s, fastmcp.Tool{Name: "quick", Timeout: 20 * time.Second}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
				return "quick result", nil
			})
			c := testkit.Connect(t, s, nil)
			t.Cleanup(func() { close(release) }) // runs before the client closes

			for _, name := range []string{"cooperative", "stubborn"} {
				start := time.Now()
				res := ttCall(t, c, name, nil)
				if elapsed := time.Since(start); elapsed > bound {
					t.Errorf("%s: timed-out call took %v", name, elapsed)
				}
				txt := fastmcptest.Text(res)
				if !res.IsError || !strings.Contains(txt, "timed out") || !strings.Contains(txt, name) {
					t.Errorf("%s: want isError saying the tool timed out, got isError=%v %q", name, res.IsError, txt)
				}
			}
			// The result may be sent before the handler returns: wait for it.
			select {
			case err := <-seen:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("cooperative handler saw %v, want deadline exceeded", err)
				}
			case <-time.After(bound):
				t.Error("cooperative handler was not cancelled")
			}
			for range 3 {
				if res := ttCall(t, c, "quick", nil); res.IsError || fastmcptest.Text(res) != "quick result" {
					t.Errorf("quick tool: %+v", res)
				}
			}
		})
	}
}

// The handler's deadline is Tool.Timeout when set, else Options.ToolTimeout,
// else none.
func TestToolTimeoutPrecedence(t *testing.T) {
	t.Parallel()
	deadline := func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			return "none", nil
		}
		return time.Until(dl).String(), nil
	}
	tests := []struct {
		name      string
		opt, tool time.Duration
		wantNone  bool
		lo, hi    time.Duration
	}{
		{name: "no timeout", wantNone: true},
		{name: "option only", opt: 20 * time.Second, lo: 10 * time.Second, hi: 20 * time.Second},
		{name: "tool overrides option", opt: 20 * time.Millisecond, tool: 20 * time.Second, lo: 10 * time.Second, hi: 20 * time.Second},
		{name: "tool only", tool: 20 * time.Second, lo: 10 * time.Second, hi: 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{ToolTimeout: tt.opt})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "d", Timeout: tt.tool}, deadline)
			c := testkit.Connect(t, s, nil)
			res := ttCall(t, c, "d", nil)
			if res.IsError {
				t.Fatalf("error: %s", fastmcptest.Text(res))
			}
			txt := fastmcptest.Text(res)
			if tt.wantNone {
				if txt != "none" {
					t.Errorf("deadline %s, want none", txt)
				}
				return
			}
			d, err := time.ParseDuration(txt)
			if err != nil {
				t.Fatalf("deadline %q: %v", txt, err)
			}
			if d < tt.lo || d > tt.hi {
				t.Errorf("time to deadline %v, want within [%v, %v]", d, tt.lo, tt.hi)
			}
		})
	}
}

// ---- listing ----

func TestToolListOrderAndPagination(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{PageSize: 2})
	for _, name := range []string{"echo", "charlie", "alpha", "delta", "bravo"} {
		fastmcp.AddTool(s, fastmcp.Tool{Name: name}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return name, nil })
	}
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	var pages [][]string
	cursor := ""
	seen := map[string]bool{}
	for range 10 {
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		var res fastmcp.ListToolsResult
		if err := c.Call(ctx, "tools/list", params, &res); err != nil {
			t.Fatal(err)
		}
		var page []string
		for _, tool := range res.Tools {
			if seen[tool.Name] {
				t.Errorf("%s listed twice", tool.Name)
			}
			seen[tool.Name] = true
			page = append(page, tool.Name)
		}
		pages = append(pages, page)
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	want := [][]string{{"alpha", "bravo"}, {"charlie", "delta"}, {"echo"}}
	if diff := testdiff.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	// The client helper follows cursors to the same list.
	all, err := c.ListTools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range all {
		names = append(names, tool.Name)
	}
	if diff := testdiff.Diff([]string{"alpha", "bravo", "charlie", "delta", "echo"}, names); diff != "" {
		t.Errorf("ListTools (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"%%%not-base64", "=", "!"} {
		err := c.Call(ctx, "tools/list", map[string]any{"cursor": bad}, nil)
		if code := fastmcp.ErrorCodeOf(err); code != fastmcp.CodeInvalidParams {
			t.Errorf("cursor %q: error %v, want code %d", bad, err, fastmcp.CodeInvalidParams)
		}
	}
}

func TestToolRemoveAndReplace(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, name := range []string{"a", "b", "c"} {
		fastmcp.AddTool(s, fastmcp.Tool{Name: name}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return name, nil })
	}
	c := testkit.Connect(t, s, nil)
	s.RemoveTools("b", "does-not-exist")
	list := ttListRaw(t, c)
	if _, ok := list["b"]; ok || len(list) != 2 {
		t.Errorf("after RemoveTools: %v", slices.Sorted(func(yield func(string) bool) {
			for k := range list {
				if !yield(k) {
					return
				}
			}
		}))
	}
	if _, err := c.CallTool(testkit.Context(t), "b", nil); fastmcp.ErrorCodeOf(err) != fastmcp.CodeInvalidParams {
		t.Errorf("calling a removed tool: %v", err)
	}

	type v2Args struct {
		N int `json:"n"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "a", Description: "second version"}, func(_ *fastmcp.Context, a v2Args) (string, error) {
		return fmt.Sprintf("v2 %d", a.N), nil
	})
	tool := ttTool(t, c, "a")
	if tool["description"] != "second version" {
		t.Errorf("replaced tool listed as %v", tool)
	}
	if diff := ttSchemaDiff(t, `{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}`, tool["inputSchema"]); diff != "" {
		t.Errorf("replaced tool inputSchema (-want +got):\n%s", diff)
	}
	if got := fastmcptest.Text(ttCall(t, c, "a", map[string]any{"n": 7})); got != "v2 7" {
		t.Errorf("replaced tool returned %q", got)
	}
	if n := len(ttListRaw(t, c)); n != 2 {
		t.Errorf("%d tools after replacing one, want 2", n)
	}
}

func TestToolListChangedNotifications(t *testing.T) {
	t.Parallel()
	const method = "notifications/tools/list_changed"
	noop := func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "", nil }

	t.Run("add and remove", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		c := testkit.Connect(t, s, nil)
		ctx := testkit.Context(t)
		// A round trip: the server has read notifications/initialized, so
		// the session is ready for list_changed.
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		fastmcp.AddTool(s, fastmcp.Tool{Name: "one"}, noop)
		if _, err := c.WaitNotification(ctx, method, 1); err != nil {
			t.Fatalf("after AddTool: %v", err)
		}
		s.RemoveTools("one")
		if _, err := c.WaitNotification(ctx, method, 2); err != nil {
			t.Fatalf("after RemoveTools: %v", err)
		}
	})

	t.Run("burst is debounced", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{ListChangedDelay: 20 * time.Millisecond})
		c := testkit.Connect(t, s, nil)
		if err := c.Ping(testkit.Context(t)); err != nil { // the session is ready
			t.Fatal(err)
		}
		const burst = 20
		for i := range burst {
			fastmcp.AddTool(s, fastmcp.Tool{Name: fmt.Sprintf("t%02d", i)}, noop)
		}
		if _, err := c.WaitNotification(testkit.Context(t), method, 1); err != nil {
			t.Fatalf("no list_changed after a burst of AddTool: %v", err)
		}
		// Without debouncing, all 20 would arrive within one delay; give
		// them far longer than that before counting.
		wctx, cancel := context.WithTimeout(testkit.Context(t), 300*time.Millisecond)
		defer cancel()
		_, _ = c.WaitNotification(wctx, method, burst)
		n := 0
		for _, note := range c.Notifications() {
			if note.Method == method {
				n++
			}
		}
		if n >= burst {
			t.Errorf("%d list_changed notifications for a burst of %d additions, want fewer", n, burst)
		}
		if got := len(ttListRaw(t, c)); got != burst {
			t.Errorf("%d tools listed, want %d", got, burst)
		}
	})
}

// Registry changes while a client lists and calls tools (run with -race).
func TestToolConcurrentRegistryChanges(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{PageSize: 3})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "stable"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "ok", nil })
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 40 {
			name := fmt.Sprintf("churn%d", i%5)
			fastmcp.AddTool(s, fastmcp.Tool{Name: name}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return name, nil })
			if i%3 == 0 {
				s.RemoveTools(name)
			}
		}
	}()
	for range 20 {
		tools, err := c.ListTools(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(tools, func(tool *fastmcp.Tool) bool { return tool.Name == "stable" }) {
			t.Fatal("stable tool missing from a listing")
		}
		if res := ttCall(t, c, "stable", nil); res.IsError || fastmcptest.Text(res) != "ok" {
			t.Fatalf("stable tool: %+v", res)
		}
	}
	<-done
}

// ---- per-revision shaping of tools/list ----

func TestToolListPerRevision(t *testing.T) {
	t.Parallel()
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			fastmcp.AddTool(s, fastmcp.Tool{
				Name:        "full",
				Title:       "Full Tool",
				Description: "has everything",
				Annotations: &fastmcp.ToolAnnotations{Title: "Full", ReadOnlyHint: fastmcp.Bool(true), OpenWorldHint: fastmcp.Bool(false)},
				Icons:       []fastmcp.Icon{{Src: "https://example.com/i.png", MIMEType: "image/png", Sizes: []string{"48x48"}}},
				Meta:        fastmcp.Meta{"vendor/key": "v"},
			}, func(*fastmcp.Context, fastmcp.NoArgs) (ttPoint, error) { return ttPoint{}, nil })
			fastmcp.AddTool(s, fastmcp.Tool{Name: "plain"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "", nil })
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			list := ttListRaw(t, c)

			want := []string{"description", "inputSchema", "name"}
			if rev >= fastmcp.ProtocolVersion20250326 {
				want = append(want, "annotations")
			}
			if rev >= fastmcp.ProtocolVersion20250618 {
				want = append(want, "title", "outputSchema", "_meta")
			}
			if rev >= fastmcp.ProtocolVersion20251125 {
				want = append(want, "icons")
			}
			sort.Strings(want)
			var got []string
			for k := range list["full"] {
				got = append(got, k)
			}
			sort.Strings(got)
			if diff := testdiff.Diff(want, got); diff != "" {
				t.Errorf("members of the full tool (-want +got):\n%s", diff)
			}
			var plain []string
			for k := range list["plain"] {
				plain = append(plain, k)
			}
			sort.Strings(plain)
			if diff := testdiff.Diff([]string{"inputSchema", "name"}, plain); diff != "" {
				t.Errorf("members of the plain tool (-want +got):\n%s", diff)
			}

			full := list["full"]
			if rev >= fastmcp.ProtocolVersion20250326 {
				if diff := testdiff.Diff(ttJSON(t, `{"title":"Full","readOnlyHint":true,"openWorldHint":false}`), full["annotations"]); diff != "" {
					t.Errorf("annotations (-want +got):\n%s", diff)
				}
			}
			if rev >= fastmcp.ProtocolVersion20250618 {
				if full["title"] != "Full Tool" {
					t.Errorf("title %v", full["title"])
				}
				if diff := testdiff.Diff(ttJSON(t, `{"vendor/key":"v"}`), full["_meta"]); diff != "" {
					t.Errorf("_meta (-want +got):\n%s", diff)
				}
			}
			if rev >= fastmcp.ProtocolVersion20251125 {
				if diff := testdiff.Diff(ttJSON(t, `[{"src":"https://example.com/i.png","mimeType":"image/png","sizes":["48x48"]}]`), full["icons"]); diff != "" {
					t.Errorf("icons (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// ---- the two argument decoders agree ----

// ttUpper is a field type with its own JSON decoding.
type ttUpper string

func (u *ttUpper) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*u = ttUpper(strings.ToUpper(s))
	return nil
}

// ttFlatArgs is a flat struct of scalars and slices of scalars: the kind of
// argument type FastMCP may decode on a compiled path.
type ttFlatArgs struct {
	S   string          `json:"s,omitempty" maxLength:"5"`
	Pat string          `json:"pat,omitempty" pattern:"^[a-z]*$"`
	P   *string         `json:"p,omitempty" enum:"a,b"`
	N   int8            `json:"n,omitempty"`
	U   uint            `json:"u,omitempty"`
	I   *int            `json:"i,omitempty" minimum:"1"`
	F   float64         `json:"f,omitempty" maximum:"10"`
	F32 float32         `json:"f32,omitempty"`
	B   bool            `json:"b,omitempty"`
	L   []string        `json:"l,omitempty" enum:"x,y" maxItems:"2"`
	Ns  []int           `json:"ns,omitempty"`
	R   json.RawMessage `json:"r,omitempty"`
	A   any             `json:"a,omitempty"`
	D   int             `json:"d,omitempty" default:"4"`
	Req string          `json:"req"`
	Lv  slog.Level      `json:"lv,omitempty"`
	C   ttUpper         `json:"c,omitempty"`
}

// ttNestedArgs has the same members plus a nested struct, which no compiled
// path handles: it is decoded by the general one.
type ttNestedArgs struct {
	ttFlatArgs
	Z *struct{} `json:"z,omitempty"`
}

func (f ttFlatArgs) describe() string {
	p, i := "<nil>", "<nil>"
	if f.P != nil {
		p = *f.P
	}
	if f.I != nil {
		i = fmt.Sprint(*f.I)
	}
	return fmt.Sprintf("s=%q pat=%q p=%s n=%d u=%d i=%s f=%v f32=%v b=%v l=%q ns=%v r=%q a=%#v d=%d req=%q lv=%v c=%q",
		f.S, f.Pat, p, f.N, f.U, i, f.F, f.F32, f.B, f.L, f.Ns, []byte(f.R), f.A, f.D, f.Req, f.Lv, f.C)
}

// A flat argument struct and the same struct inside a nested one accept and
// refuse the same arguments, and the handler sees the same values.
func TestToolArgumentDecodersAgree(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "flat"}, func(_ *fastmcp.Context, a ttFlatArgs) (string, error) { return a.describe(), nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "nested"}, func(_ *fastmcp.Context, a ttNestedArgs) (string, error) {
		return a.ttFlatArgs.describe(), nil
	})
	c := testkit.Connect(t, s, nil)

	// Both advertise the same members.
	list := ttListRaw(t, c)
	flatProps := list["flat"]["inputSchema"].(map[string]any)["properties"].(map[string]any)
	nestedProps := list["nested"]["inputSchema"].(map[string]any)["properties"].(map[string]any)
	delete(nestedProps, "z")
	if diff := testdiff.Diff(flatProps, nestedProps); diff != "" {
		t.Fatalf("schemas differ (-flat +nested):\n%s", diff)
	}

	tests := []struct {
		args string
		bug  string // non-empty: a known disagreement, skipped
	}{
		{args: `{"req":""}`},
		{args: `{}`},
		{args: `{"req":null}`},
		{args: `{"req":"r","s":"abc"}`},
		{args: `{"req":"r","s":"abcdef"}`},
		{args: `{"req":"r","s":"\u00e9\u00e9\u00e9\u00e9\u00e9"}`},
		{args: `{"req":"r","s":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}`},
		{args: `{"req":"r","s":"\ud800"}`},
		{args: `{"req":"r","s":null}`},
		{args: `{"req":"r","s":1}`},
		{args: `{"req":"r","pat":"abc"}`},
		{args: `{"req":"r","pat":"aBc"}`},
		{args: `{"req":"r","p":"a"}`},
		{args: `{"req":"r","p":"c"}`},
		{args: `{"req":"r","n":127}`},
		{args: `{"req":"r","n":-128}`},
		{args: `{"req":"r","n":128}`},
		{args: `{"req":"r","n":1.5}`},
		{args: `{"req":"r","n":"1"}`},
		{args: `{"req":"r","n":1e2}`},
		{args: `{"req":"r","u":-1}`},
		{args: `{"req":"r","i":1}`},
		{args: `{"req":"r","i":0}`},
		{args: `{"req":"r","i":null}`},
		{args: `{"req":"r","f":10}`},
		{args: `{"req":"r","f":10.5}`},
		{args: `{"req":"r","f":-1e300}`},
		{args: `{"req":"r","f32":1e39}`},
		{args: `{"req":"r","b":true}`},
		{args: `{"req":"r","b":"true"}`},
		{args: `{"req":"r","b":null}`},
		{args: `{"req":"r","l":["x","y"]}`},
		{args: `{"req":"r","l":["x","y","x"]}`},
		{args: `{"req":"r","l":["z"]}`},
		{args: `{"req":"r","l":null}`},
		{args: `{"req":"r","l":"x"}`},
		{args: `{"req":"r","ns":[1,2,3]}`},
		{args: `{"req":"r","ns":[1,"2"]}`},
		{args: `{"req":"r","r":{"k":[1,2]}}`},
		{args: `{"req":"r","r":"text"}`},
		{args: `{"req":"r","a":{"k":[1,"x",null]}}`},
		{args: `{"req":"r","a":null}`},
		{args: `{"req":"r","d":7}`},
		{args: `{"req":"r","d":null}`},
		{args: `{"req":"r","s":"x","s":"y"}`},
		{args: `{"req":"r","S":"x"}`},
		{args: `{"req":"r","zzz":1}`},
		{args: `{"req":"r","lv":4}`, bug: "a slog.Level field is advertised as a string, yet the compiled path accepts a number the schema forbids"},
		{args: `{"req":"r","lv":"WARN"}`, bug: "a slog.Level field is advertised as a string, yet the compiled path refuses \"WARN\""},
		{args: `{"req":"r","c":"abc"}`, bug: "the compiled path bypasses a field type's UnmarshalJSON"},
		{args: `{"req":"r","p":null}`, bug: "the compiled path accepts null for a pointer field whose enum (in the advertised schema) has no null"},
		{args: `{"req":"r","ns":[1,null]}`, bug: "the compiled path accepts null items in a []int, which the advertised schema forbids"},
		{args: `{"req":"r","r":null}`, bug: "a json.RawMessage field given null is nil on the compiled path but \"null\" on the general one"},
		{args: "{\"req\":\"r\",\"s\":\"a\xffb\"}", bug: "the compiled path passes invalid UTF-8 through; encoding/json (general path) replaces it with U+FFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			if tt.bug != "" {
				_ = tt.bug
			}
			flat := ttCall(t, c, "flat", json.RawMessage(tt.args))
			nested := ttCall(t, c, "nested", json.RawMessage(tt.args))
			if flat.IsError != nested.IsError {
				t.Fatalf("flat isError=%v %q\nnested isError=%v %q", flat.IsError, fastmcptest.Text(flat), nested.IsError, fastmcptest.Text(nested))
			}
			if !flat.IsError && fastmcptest.Text(flat) != fastmcptest.Text(nested) {
				t.Errorf("handlers saw\nflat   %s\nnested %s", fastmcptest.Text(flat), fastmcptest.Text(nested))
			}
		})
	}
}

func TestToolBugSliceOfConcreteContent(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	if msg := ttPanicMessage(func() {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "texts"}, func(*fastmcp.Context, fastmcp.NoArgs) ([]*fastmcp.TextContent, error) {
			return []*fastmcp.TextContent{fastmcp.Text("a"), fastmcp.Text("b")}, nil
		})
	}); msg != "" {
		return // refusing the type at registration is fine too
	}
	c := testkit.Connect(t, s, nil)
	res := ttCall(t, c, "texts", nil)
	if diff := testdiff.Diff(&fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("a"), fastmcp.Text("b")}}, res, ttEquateEmpty); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}
