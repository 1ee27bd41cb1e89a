package fastmcp_test

// Tests of elicitation: FormSchema (exact JSON), ElicitForm decoding, the
// accept/decline/cancel actions, URL mode and its capability, in-process and
// with the Go SDK client over HTTP. Requests sent through `connect` are
// validated against the official schema of the negotiated revision.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// elJSON round-trips v through JSON, to compare schemas as JSON values.
func elJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func elSchemaOf[T any](t *testing.T) any {
	t.Helper()
	s, err := fastmcp.FormSchema[T]()
	if err != nil {
		t.Fatalf("FormSchema[%T]: %v", *new(T), err)
	}
	return elJSON(t, s)
}

func elWant(t *testing.T, raw string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, raw)
	}
	return v
}

type elPrimitives struct {
	Name     string  `json:"name" title:"Name" description:"Your name" minLength:"1" maxLength:"50"`
	Email    string  `json:"email,omitempty" format:"email" jsonschema:"Where to write"`
	Age      int     `json:"age" minimum:"0" maximum:"150"`
	Small    uint8   `json:"small,omitzero"`
	Big      int64   `json:"big"`
	Score    float64 `json:"score" minimum:"0.5"`
	Ratio    float32 `json:"ratio,omitempty"`
	Agree    bool    `json:"agree" title:"I agree"`
	Nick     *string `json:"nick,omitempty"`
	NoTag    string
	Skipped  string `json:"-"`
	internal string //nolint:unused
}

type elDefaults struct {
	Color string   `json:"color" default:"blue"`
	Count int      `json:"count" default:"3"`
	Level float64  `json:"level" default:"0.25"`
	On    bool     `json:"on" default:"true"`
	Tags  []string `json:"tags,omitempty" enum:"a,b,c" default:"a, c"`
}

type elEnums struct {
	Plain    string   `json:"plain" enum:"low,medium,high"`
	Titled   string   `json:"titled" enum:"s=Small,m=Medium,l=Large" title:"Size"`
	Multi    []string `json:"multi" enum:"red,green,blue" minItems:"1" maxItems:"2"`
	MultiTtl []string `json:"multiTitled,omitempty" enum:"r=Red, g=Green"`
}

func TestFormSchemaExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		got  any
		want string
	}{
		{"primitives", elSchemaOf[elPrimitives](t), `{
			"type": "object",
			"properties": {
				"name":  {"type": "string", "title": "Name", "description": "Your name", "minLength": 1, "maxLength": 50},
				"email": {"type": "string", "format": "email", "description": "Where to write"},
				"age":   {"type": "integer", "minimum": 0, "maximum": 150},
				"small": {"type": "integer"},
				"big":   {"type": "integer"},
				"score": {"type": "number", "minimum": 0.5},
				"ratio": {"type": "number"},
				"agree": {"type": "boolean", "title": "I agree"},
				"nick":  {"type": "string"},
				"NoTag": {"type": "string"}
			},
			"required": ["name", "age", "big", "score", "agree", "NoTag"]
		}`},
		{"defaults", elSchemaOf[elDefaults](t), `{
			"type": "object",
			"properties": {
				"color": {"type": "string", "default": "blue"},
				"count": {"type": "integer", "default": 3},
				"level": {"type": "number", "default": 0.25},
				"on":    {"type": "boolean", "default": true},
				"tags":  {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}, "default": ["a", "c"]}
			},
			"required": ["color", "count", "level", "on"]
		}`},
		{"enums", elSchemaOf[elEnums](t), `{
			"type": "object",
			"properties": {
				"plain":  {"type": "string", "enum": ["low", "medium", "high"]},
				"titled": {"type": "string", "title": "Size", "oneOf": [
					{"const": "s", "title": "Small"}, {"const": "m", "title": "Medium"}, {"const": "l", "title": "Large"}]},
				"multi":  {"type": "array", "items": {"type": "string", "enum": ["red", "green", "blue"]}, "minItems": 1, "maxItems": 2},
				"multiTitled": {"type": "array", "items": {"anyOf": [{"const": "r", "title": "Red"}, {"const": "g", "title": "Green"}]}}
			},
			"required": ["plain", "titled", "multi"]
		}`},
		{"pointer to struct", elSchemaOf[*struct {
			OK bool `json:"ok"`
		}](t), `{"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}`},
		{"all optional", elSchemaOf[struct {
			A string `json:"a,omitempty"`
		}](t), `{"type": "object", "properties": {"a": {"type": "string"}}}`},
	} {
		if diff := testdiff.Diff(elWant(t, tc.want), tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestFormSchemaErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"not a struct", second(fastmcp.FormSchema[int]()), "struct"},
		{"nested struct", second(fastmcp.FormSchema[struct {
			Inner struct{ A string } `json:"inner"`
		}]()), "Inner"},
		{"map", second(fastmcp.FormSchema[struct {
			M map[string]string `json:"m"`
		}]()), "M"},
		{"[]int", second(fastmcp.FormSchema[struct {
			L []int `json:"l"`
		}]()), "[]string"},
		{"[]string without enum", second(fastmcp.FormSchema[struct {
			L []string `json:"l"`
		}]()), "enum"},
		{"bad minLength", second(fastmcp.FormSchema[struct {
			S string `json:"s" minLength:"x"`
		}]()), "minLength"},
		{"bad default", second(fastmcp.FormSchema[struct {
			N int `json:"n" default:"many"`
		}]()), "default"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, tc.err, tc.want)
		}
	}
}

func second[A, B any](_ A, b B) B { return b }

// elForm is the form the elicitation tests ask for.
type elForm struct {
	Name  string   `json:"name" title:"Name"`
	Age   int      `json:"age"`
	Size  string   `json:"size" enum:"s=Small,l=Large"`
	Tags  []string `json:"tags,omitempty" enum:"x,y"`
	Agree bool     `json:"agree"`
}

// elAddTools registers "form" (ElicitForm[elForm]) and "url" (URL mode).
func elAddTools(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "form"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		res, err := fastmcp.ElicitForm[elForm](ctx, "Tell me about you")
		if err != nil {
			return map[string]any{"err": err.Error(), "isCap": errors.Is(err, fastmcp.ErrCapability)}, nil
		}
		return map[string]any{"action": res.Action, "content": res.Content}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "url"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Mode: "url", Message: "Sign in", URL: "https://example.com/auth", ElicitationID: "e-1"})
		if err != nil {
			return map[string]any{"err": err.Error(), "isCap": errors.Is(err, fastmcp.ErrCapability)}, nil
		}
		ctx.Session().NotifyElicitationComplete("e-1")
		return map[string]any{"action": res.Action}, nil
	})
}

func TestElicitActions(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	elAddTools(s)
	var answer func() (any, error)
	c := smConnect(t, s, fastmcp.ClientCapabilities{Elicitation: &fastmcp.ElicitationCapability{Form: &struct{}{}}},
		func(_ *smClient, method string, _ json.RawMessage) (any, error) { return answer() })
	call := func() map[string]any {
		var out map[string]any
		json.Unmarshal([]byte(testkit.CallText(t, c.Client, "form", nil, false)), &out)
		return out
	}
	answer = func() (any, error) {
		return map[string]any{"action": "accept", "content": map[string]any{"name": "Ada", "age": 36, "size": "s", "tags": []string{"x"}, "agree": true}}, nil
	}
	want := map[string]any{"action": "accept", "content": map[string]any{"name": "Ada", "age": 36.0, "size": "s", "tags": []any{"x"}, "agree": true}}
	if diff := testdiff.Diff(want, call()); diff != "" {
		t.Errorf("accept (-want +got):\n%s", diff)
	}
	zero := map[string]any{"name": "", "age": 0.0, "size": "", "agree": false}
	for _, action := range []string{"decline", "cancel"} {
		answer = func() (any, error) { return map[string]any{"action": action}, nil }
		if diff := testdiff.Diff(map[string]any{"action": action, "content": zero}, call()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", action, diff)
		}
	}
	// Content that does not fit the form's type.
	answer = func() (any, error) {
		return map[string]any{"action": "accept", "content": map[string]any{"name": 7, "age": "old"}}, nil
	}
	if got := call(); !strings.Contains(got["err"].(string), "does not fit") {
		t.Errorf("ill-fitting answer: %v", got)
	}
	// A client error.
	answer = func() (any, error) { return nil, &fastmcp.Error{Code: -32603, Message: "UI crashed"} }
	if got := call(); !strings.Contains(got["err"].(string), "UI crashed") {
		t.Errorf("client error: %v", got)
	}
	// What the client was asked: the form's schema, exactly.
	reqs := c.requests("elicitation/create")
	if len(reqs) != 5 {
		t.Fatalf("%d elicitation requests, want 5", len(reqs))
	}
	var p map[string]any
	json.Unmarshal(reqs[0].Params, &p)
	schema, _ := fastmcp.FormSchema[elForm]()
	wantParams := map[string]any{"mode": "form", "message": "Tell me about you", "requestedSchema": elJSON(t, schema)}
	if p["mode"] == nil {
		delete(wantParams, "mode") // form is the default; omitting it is fine
	}
	if diff := testdiff.Diff(wantParams, p); diff != "" {
		t.Errorf("elicitation params (-want +got):\n%s", diff)
	}
}

func TestElicitURLMode(t *testing.T) {
	t.Parallel()
	answer := func(_ *smClient, method string, _ json.RawMessage) (any, error) {
		return map[string]any{"action": "accept"}, nil
	}
	t.Run("form-only client", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		elAddTools(s)
		c := smConnect(t, s, fastmcp.ClientCapabilities{Elicitation: &fastmcp.ElicitationCapability{}}, answer)
		var got map[string]any
		json.Unmarshal([]byte(testkit.CallText(t, c.Client, "url", nil, false)), &got)
		if got["isCap"] != true || !strings.Contains(got["err"].(string), "url") {
			t.Errorf("URL mode without the url capability: %v", got)
		}
		if n := len(c.requests("elicitation/create")); n != 0 {
			t.Errorf("%d requests sent", n)
		}
		// Form mode works for the same client.
		json.Unmarshal([]byte(testkit.CallText(t, c.Client, "form", nil, false)), &got)
		if got["action"] != "accept" {
			t.Errorf("form mode: %v", got)
		}
	})
	t.Run("url client", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		elAddTools(s)
		c := smConnect(t, s, fastmcp.ClientCapabilities{Elicitation: &fastmcp.ElicitationCapability{URL: &struct{}{}}}, answer)
		var got map[string]any
		json.Unmarshal([]byte(testkit.CallText(t, c.Client, "url", nil, false)), &got)
		if got["action"] != "accept" {
			t.Errorf("URL mode: %v", got)
		}
		var p map[string]any
		json.Unmarshal(c.requests("elicitation/create")[0].Params, &p)
		want := map[string]any{"mode": "url", "message": "Sign in", "url": "https://example.com/auth", "elicitationId": "e-1"}
		if diff := testdiff.Diff(want, p); diff != "" {
			t.Errorf("URL elicitation params (-want +got):\n%s", diff)
		}
		n, err := c.WaitNotification(testkit.Context(t), "notifications/elicitation/complete", 1)
		if err != nil || !strings.Contains(string(n.Params), `"e-1"`) {
			t.Errorf("elicitation/complete: %v %s", err, n.Params)
		}
	})
}

// Before 2025-11-25 the mode member does not exist: it is left out.
func TestElicitOlderRevisionOmitsMode(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Mode: "form", Message: "ok?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}})
		if err != nil {
			return "", err
		}
		return res.Action, nil
	})
	params := make(chan json.RawMessage, 1)
	c := testkit.Connect(t, s, &fastmcptest.Options{
		ProtocolVersion: fastmcp.ProtocolVersion20250618,
		Capabilities:    fastmcp.ClientCapabilities{Elicitation: &fastmcp.ElicitationCapability{}},
		OnRequest: func(_ context.Context, _ string, p json.RawMessage) (any, error) {
			params <- p
			return map[string]any{"action": "decline"}, nil
		},
	})
	if got := testkit.CallText(t, c, "ask", nil, false); got != "decline" {
		t.Errorf("action %q", got)
	}
	if p := <-params; strings.Contains(string(p), `"mode"`) {
		t.Errorf("2025-06-18 elicitation carries mode: %s", p)
	}
}
