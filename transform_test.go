package fastmcp_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Tools derived from others with TransformTool.

type tfSearchArgs struct {
	Q      string `json:"q" description:"the query"`
	Limit  int    `json:"limit,omitempty" minimum:"1" maximum:"50"`
	APIKey string `json:"api_key"`
	Region string `json:"region,omitempty" enum:"eu,us"`
}

// tfServer returns a server with a "search" tool that reports the arguments
// it received, and the received arguments' channel.
func tfServer(t testing.TB) (*fastmcp.Server, *tfLog) {
	s := testkit.NewServer(t, fastmcp.Options{})
	log := &tfLog{}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "search", Description: "Searches.", Tags: []string{"src"}},
		func(ctx *fastmcp.Context, a tfSearchArgs) (string, error) {
			log.add(a)
			return fmt.Sprintf("%s/%d/%s/%s", a.Q, a.Limit, a.APIKey, a.Region), nil
		})
	return s, log
}

type tfLog struct {
	mu   sync.Mutex
	args []tfSearchArgs
}

func (l *tfLog) add(a tfSearchArgs) { l.mu.Lock(); l.args = append(l.args, a); l.mu.Unlock() }

func tfTool(t testing.TB, c *fastmcptest.Client, name string) map[string]any {
	t.Helper()
	raw, err := c.CallRaw(testkit.Context(t), "tools/list", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Tools []map[string]any `json:"tools"`
	}
	json.Unmarshal(raw, &res)
	for _, tl := range res.Tools {
		if tl["name"] == name {
			return tl
		}
	}
	t.Fatalf("no tool %q in %s", name, raw)
	return nil
}

func TestTransformSchemaAndCalls(t *testing.T) {
	t.Parallel()
	s, log := tfServer(t)
	fastmcp.TransformTool(s, "search", fastmcp.ToolTransform{
		Name:        "find_docs",
		Description: "Finds documents.",
		Args: map[string]fastmcp.ArgTransform{
			"q":       {Name: "query", Description: "What to look for"},
			"limit":   {Default: 5},
			"api_key": {Hide: true, Default: "k-123"},
			"region":  {Hide: true},
		},
	})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)

	tool := tfTool(t, c, "find_docs")
	wantSchema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"query": map[string]any{"type": "string", "description": "What to look for"},
			"limit": map[string]any{"type": "integer", "minimum": float64(1), "maximum": float64(50), "default": float64(5)},
		},
		"required":             []any{"query"},
		"additionalProperties": false,
	}
	if diff := testdiff.Diff(wantSchema, tool["inputSchema"]); diff != "" {
		t.Errorf("derived schema (-want +got):\n%s", diff)
	}
	if tool["description"] != "Finds documents." {
		t.Errorf("description %v", tool["description"])
	}
	// The source is still there, unchanged.
	if src := tfTool(t, c, "search"); src["description"] != "Searches." {
		t.Errorf("source: %v", src)
	}

	for _, tc := range []struct {
		name    string
		args    map[string]any
		want    string // the result, or the start of the error text
		isError bool
	}{
		{"renamed and fixed", map[string]any{"query": "go"}, "go/5/k-123/", false},
		{"given default", map[string]any{"query": "go", "limit": 7}, "go/7/k-123/", false},
		{"missing required, by its new name", map[string]any{"limit": 7}, `Invalid arguments for tool "find_docs"`, true},
		{"source name refused", map[string]any{"query": "go", "q": "x"}, `Invalid arguments for tool "find_docs"`, true},
		{"hidden argument refused", map[string]any{"query": "go", "api_key": "mine"}, `Invalid arguments for tool "find_docs"`, true},
		{"hidden argument without default refused", map[string]any{"query": "go", "region": "eu"}, `Invalid arguments for tool "find_docs"`, true},
		{"source constraint checked", map[string]any{"query": "go", "limit": 99}, `Invalid arguments for tool "find_docs"`, true},
	} {
		res, err := c.CallTool(ctx, "find_docs", tc.args)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := fastmcptest.Text(res)
		if res.IsError != tc.isError || !strings.HasPrefix(got, tc.want) || (!tc.isError && got != tc.want) {
			t.Errorf("%s: %q (isError %v), want %q (isError %v)", tc.name, got, res.IsError, tc.want, tc.isError)
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.args) != 2 {
		t.Errorf("the source ran %d times, want 2: %+v", len(log.args), log.args)
	}
}

func TestTransformHiddenCannotBeSetWithOpenSchema(t *testing.T) {
	t.Parallel()
	// A source whose schema allows any member: the derived tool still
	// refuses a hidden argument or a renamed one's old name.
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "open", InputSchema: `{"type":"object","properties":{"user":{"type":"string"},"role":{"type":"string"}}}`},
		func(ctx *fastmcp.Context, a map[string]any) (string, error) {
			b, _ := json.Marshal(a)
			return string(b), nil
		})
	fastmcp.TransformTool(s, "open", fastmcp.ToolTransform{Name: "safe", Args: map[string]fastmcp.ArgTransform{
		"role": {Hide: true, Default: "reader"},
		"user": {Name: "login"},
	}})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	for _, tc := range []struct {
		args    string
		want    string
		isError bool
	}{
		{`{"login":"ada"}`, `{"role":"reader","user":"ada"}`, false},
		{`{"login":"ada","extra":1}`, `{"extra":1,"role":"reader","user":"ada"}`, false},
		{`{"login":"ada","role":"admin"}`, `Invalid arguments for tool "safe": unknown argument "role"`, true},
		{`{"user":"eve"}`, `Invalid arguments for tool "safe": unknown argument "user"`, true},
		{`{"login":"a","login":"b"}`, `Invalid arguments for tool "safe": argument "login" is given twice`, true},
	} {
		res, err := c.CallToolParams(ctx, &fastmcp.CallToolParams{Name: "safe", Arguments: json.RawMessage(tc.args)})
		if err != nil || res.IsError != tc.isError || fastmcptest.Text(res) != tc.want {
			t.Errorf("%s: %+v %v, want %q", tc.args, fastmcptest.Text(res), err, tc.want)
		}
	}
}

func TestTransformWrap(t *testing.T) {
	t.Parallel()
	s, log := tfServer(t)
	fastmcp.TransformTool(s, "search", fastmcp.ToolTransform{
		Args: map[string]fastmcp.ArgTransform{"api_key": {Hide: true, Default: "k"}},
		Wrap: func(ctx *fastmcp.Context, args json.RawMessage, call fastmcp.ToolCall) (*fastmcp.CallToolResult, error) {
			var a struct {
				Q string `json:"q"`
			}
			json.Unmarshal(args, &a)
			if a.Q == "forbidden" {
				return nil, fastmcp.UserErrorf("not that query")
			}
			if a.Q == "twice" {
				first, err := call(ctx, json.RawMessage(`{"q":"one"}`))
				if err != nil {
					return nil, err
				}
				second, err := call(ctx, json.RawMessage(`{"q":"two"}`))
				if err != nil {
					return nil, err
				}
				return &fastmcp.CallToolResult{Content: append(first.Content, second.Content...)}, nil
			}
			res, err := call(ctx, args)
			if err != nil {
				return nil, err
			}
			res.Content = append(res.Content, fastmcp.Text("(wrapped)"))
			return res, nil
		},
	})
	c := testkit.Connect(t, s, nil)
	// The derived tool replaced the source (same name), hiding api_key.
	tool := tfTool(t, c, "search")
	if props := tool["inputSchema"].(map[string]any)["properties"].(map[string]any); props["api_key"] != nil {
		t.Errorf("api_key still in the schema: %v", props)
	}
	if got := mtCallText(t, c, "search", map[string]any{"q": "go"}); got != "go/0/k/\n(wrapped)" {
		t.Errorf("wrapped: %q", got)
	}
	if got := mtCallText(t, c, "search", map[string]any{"q": "twice"}); got != "one/0/k/\ntwo/0/k/" {
		t.Errorf("called twice: %q", got)
	}
	res, err := c.CallTool(testkit.Context(t), "search", map[string]any{"q": "forbidden"})
	if err != nil || !res.IsError || fastmcptest.Text(res) != "not that query" {
		t.Errorf("refused by the wrapper: %+v %v", res, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.args) != 3 {
		t.Errorf("source ran %d times, want 3", len(log.args))
	}
}

func TestTransformWrapOutputValidated(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	type out struct {
		N int `json:"n"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "num"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (out, error) { return out{N: 1}, nil })
	fastmcp.TransformTool(s, "num", fastmcp.ToolTransform{Name: "bad",
		Wrap: func(ctx *fastmcp.Context, args json.RawMessage, call fastmcp.ToolCall) (*fastmcp.CallToolResult, error) {
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("x")}, StructuredContent: map[string]any{"n": "one"}}, nil
		}})
	fastmcp.TransformTool(s, "num", fastmcp.ToolTransform{Name: "text",
		OutputSchema: `{"type":"object","properties":{"s":{"type":"string"}},"required":["s"]}`,
		Wrap: func(ctx *fastmcp.Context, args json.RawMessage, call fastmcp.ToolCall) (*fastmcp.CallToolResult, error) {
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(`{"s":"1"}`)}, StructuredContent: map[string]any{"s": "1"}}, nil
		}})
	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "bad", nil)
	if err != nil || !res.IsError || !strings.Contains(fastmcptest.Text(res), "output schema") {
		t.Errorf("invalid wrapper output: %+v %v", res, err)
	}
	res, err = c.CallTool(testkit.Context(t), "text", nil)
	if err != nil || res.IsError {
		t.Errorf("valid wrapper output: %+v %v", res, err)
	}
	if schema := tfTool(t, c, "text")["outputSchema"]; schema.(map[string]any)["required"].([]any)[0] != "s" {
		t.Errorf("replaced output schema: %v", schema)
	}
}

func TestTransformSwapAndDefaults(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "div"}, func(ctx *fastmcp.Context, a struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}) (string, error) {
		return fmt.Sprint(a.A / a.B), nil
	})
	// Names can be swapped.
	fastmcp.TransformTool(s, "div", fastmcp.ToolTransform{Name: "vid", Args: map[string]fastmcp.ArgTransform{
		"a": {Name: "b"}, "b": {Name: "a"},
	}})
	c := testkit.Connect(t, s, nil)
	if got := mtCallText(t, c, "vid", map[string]any{"a": 2, "b": 8}); got != "4" {
		t.Errorf("swapped: %q", got)
	}
}

func TestTransformMountedTool(t *testing.T) {
	t.Parallel()
	parent, child := mtParent(t, fastmcp.Options{})
	var inner mtRecorder
	child.Use(inner.middleware)
	fastmcp.TransformTool(parent, "weather_forecast", fastmcp.ToolTransform{Name: "paris_weather",
		Args: map[string]fastmcp.ArgTransform{"city": {Hide: true, Default: "Paris"}, "days": {Name: "n"}}})
	parent.Disable(fastmcp.ByName("weather_forecast"))
	c := testkit.Connect(t, parent, nil)
	if got := mtCallText(t, c, "paris_weather", map[string]any{"n": 2}); got != "2 days of sun in Paris" {
		t.Errorf("derived from a mounted tool: %q", got)
	}
	// The child's middleware ran, with the child's names.
	if got := inner.take(); len(got) != 1 || got[0] != "tools/call forecast params:forecast" {
		t.Errorf("child middleware: %v", got)
	}
	if names := mtToolNames(t, c); countOf(names, "weather_forecast") != 0 {
		t.Errorf("disabled source listed: %v", names)
	}
}

func TestTransformKeepsSourceProperties(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "src", Title: "Source", Annotations: &fastmcp.ToolAnnotations{Title: "ann"},
		CanAccess: func(*fastmcp.Context) bool { return false }, Tags: []string{"x"}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	fastmcp.TransformTool(s, "src", fastmcp.ToolTransform{Name: "hidden-too"})
	fastmcp.TransformTool(s, "src", fastmcp.ToolTransform{Name: "open", CanAccess: func(*fastmcp.Context) bool { return true }, Tags: []string{}})
	s.Disable(fastmcp.ByTag("x"))
	c := testkit.Connect(t, s, nil)
	// "hidden-too" kept the check (and the tag); "open" replaced both.
	if names := mtToolNames(t, c); len(names) != 1 || names[0] != "open" {
		t.Fatalf("tools %v", names)
	}
	if tool := tfTool(t, c, "open"); tool["title"] != "Source" || tool["annotations"].(map[string]any)["title"] != "ann" {
		t.Errorf("derived tool lost the source's title or annotations: %v", tool)
	}
}

func TestTransformPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		source string
		tr     fastmcp.ToolTransform
		want   string
	}{
		{"unknown source", "nope", fastmcp.ToolTransform{}, `no tool "nope"`},
		{"unknown argument", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"x": {Name: "y"}}}, `no argument "x"`},
		{"hidden required without default", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"q": {Hide: true}}}, "needs a Default"},
		{"rename onto another", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"q": {Name: "limit"}}}, `already has an argument "limit"`},
		{"two onto one", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"q": {Name: "z"}, "limit": {Name: "z"}}}, `two arguments are named "z"`},
		{"bad default", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"limit": {Default: 500}}}, "input schema"},
		{"bad fixed value", "search", fastmcp.ToolTransform{Args: map[string]fastmcp.ArgTransform{"region": {Hide: true, Default: "mars"}}}, "fixed value"},
		{"bad output schema", "search", fastmcp.ToolTransform{OutputSchema: `{"type":"string"}`}, "output schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := tfServer(t)
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			fastmcp.TransformTool(s, tc.source, tc.tr)
		})
	}
}

func TestTransformListChanged(t *testing.T) {
	t.Parallel()
	s, _ := tfServer(t)
	c := testkit.Connect(t, s, nil)
	fastmcp.TransformTool(s, "search", fastmcp.ToolTransform{Name: "s2"})
	if _, err := c.WaitNotification(testkit.Context(t), "notifications/tools/list_changed", 1); err != nil {
		t.Fatal(err)
	}
}
