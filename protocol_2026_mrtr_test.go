package fastmcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Multi round-trip requests (2026-07-28) over raw HTTP.

// mrtrServer returns a server whose tools ask for input, and a client of it
// declaring every input capability.
func mrtrServer(t testing.TB, opts fastmcp.Options) (*fastmcp.Server, *mdClient) {
	t.Helper()
	s := testkit.NewServer(t, opts)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{
			Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("Capital of France?")}},
			MaxTokens: 10,
		})
		if err != nil {
			return "", err
		}
		return "sampled: " + res.Content.(*fastmcp.TextContent).Text + " by " + res.Model, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "form"}, func(ctx *fastmcp.Context, a struct {
		Who string `json:"who,omitempty"`
	}) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name for " + a.Who + "?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}},
		}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s: %v", res.Action, res.Content["name"]), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "url"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Mode: "url", Message: "Sign in", URL: "https://example.com/login", ElicitationID: "e-1"})
		if err != nil {
			return "", err
		}
		return "url: " + res.Action, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "roots"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		roots, err := ctx.Roots()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d roots, first %s", len(roots), roots[0].URI), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "two"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		a, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "first", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}})
		if err != nil {
			return "", err
		}
		b, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "second", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}})
		if err != nil {
			return "", err
		}
		return a.Action + "+" + b.Action, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "swallow"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		// A handler that ignores the error still gets input_required.
		_, _ = ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 1})
		return "completed anyway", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "rounds"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		// Work split into rounds with the handler's own state.
		n := 0
		if st := ctx.RequestState(); st != nil {
			fmt.Sscan(string(st), &n)
		}
		if n < 2 {
			ctx.SetRequestState([]byte(fmt.Sprint(n + 1)))
			return "", ctx.RetryRequest()
		}
		return fmt.Sprintf("done after %d rounds", n), nil
	})
	s.AddResource(fastmcp.Resource{URI: "test://asks", Name: "asks", Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		res, err := ctx.Ask(fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "ok?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}}).WithKey("ok"))
		if err != nil {
			return nil, err
		}
		e, _ := res[0].Elicitation()
		return []*fastmcp.ResourceContents{{Text: "read after " + e.Action}}, nil
	}})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{Name: "topic", Complete: func(ctx *fastmcp.Context, value string, _ map[string]string) ([]string, error) {
		_, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "no"})
		return []string{fmt.Sprint(err != nil && !strings.Contains(err.Error(), "input required"))}, nil
	}}}}, func(ctx *fastmcp.Context, args map[string]string) (string, error) {
		roots, err := ctx.Roots()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s with %d roots", args["topic"], len(roots)), nil
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
	c.caps = map[string]any{"sampling": map[string]any{}, "elicitation": map[string]any{"form": map[string]any{}, "url": map[string]any{}}, "roots": map[string]any{}}
	return s, c
}

// round sends a tools/call with the answers and state of a previous round.
// args is a map, or json.RawMessage to send arguments exactly as written.
func (c *mdClient) round(name string, args any, answers map[string]any, state string) toolResult {
	c.t.Helper()
	p := map[string]any{"name": name}
	if args != nil {
		p["arguments"] = args
	}
	if answers != nil {
		p["inputResponses"] = answers
	}
	if state != "" {
		p["requestState"] = state
	}
	var r toolResult
	c.call("tools/call", p, &r)
	return r
}

var (
	mdSampled  = map[string]any{"role": "assistant", "content": map[string]any{"type": "text", "text": "Paris"}, "model": "m1", "stopReason": "endTurn"}
	mdAccepted = map[string]any{"action": "accept", "content": map[string]any{"name": "Ada"}}
	mdRoots    = map[string]any{"roots": []any{map[string]any{"uri": "file:///work", "name": "work"}}}
)

func TestMRTRRoundTrips(t *testing.T) {
	t.Parallel()
	_, c := mrtrServer(t, fastmcp.Options{})
	cases := []struct {
		tool   string
		key    string
		method string
		answer map[string]any
		want   string
		check  func(t *testing.T, params json.RawMessage)
	}{
		{"sample", "sampling-1", "sampling/createMessage", mdSampled, "sampled: Paris by m1", func(t *testing.T, p json.RawMessage) {
			if !strings.Contains(string(p), `"Capital of France?"`) || !strings.Contains(string(p), `"maxTokens":10`) {
				t.Errorf("sampling params %s", p)
			}
		}},
		{"form", "elicitation-1", "elicitation/create", mdAccepted, "accept: Ada", func(t *testing.T, p json.RawMessage) {
			if !strings.Contains(string(p), `"requestedSchema"`) || !strings.Contains(string(p), `"Name for ?"`) {
				t.Errorf("elicitation params %s", p)
			}
		}},
		{"url", "elicitation-1", "elicitation/create", map[string]any{"action": "accept"}, "url: accept", func(t *testing.T, p json.RawMessage) {
			if !strings.Contains(string(p), `"mode":"url"`) || !strings.Contains(string(p), `"url":"https://example.com/login"`) ||
				strings.Contains(string(p), "elicitationId") {
				t.Errorf("URL elicitation params %s (the revision has no elicitation ids)", p)
			}
		}},
		{"roots", "roots-1", "roots/list", mdRoots, "1 roots, first file:///work", nil},
	}
	for _, tc := range cases {
		t.Run(tc.tool, func(t *testing.T) {
			r1 := c.round(tc.tool, nil, nil, "")
			if r1.ResultType != "input_required" || r1.RequestState == "" || len(r1.InputRequests) != 1 {
				t.Fatalf("round 1: %+v", r1)
			}
			ir, ok := r1.InputRequests[tc.key]
			if !ok || ir.Method != tc.method {
				t.Fatalf("input requests %+v, want %s for %s", r1.InputRequests, tc.key, tc.method)
			}
			if tc.check != nil {
				tc.check(t, ir.Params)
			}
			r2 := c.round(tc.tool, nil, map[string]any{tc.key: tc.answer}, r1.RequestState)
			if r2.ResultType != "complete" || r2.text() != tc.want {
				t.Errorf("round 2: %q (%s), want %q", r2.text(), r2.ResultType, tc.want)
			}
		})
	}
	t.Run("two rounds", func(t *testing.T) {
		r1 := c.round("two", nil, nil, "")
		r2 := c.round("two", nil, map[string]any{"elicitation-1": map[string]any{"action": "decline"}}, r1.RequestState)
		if r2.ResultType != "input_required" || r2.InputRequests["elicitation-2"].Method != "elicitation/create" || r2.RequestState == r1.RequestState {
			t.Fatalf("round 2: %+v", r2)
		}
		// The first answer travels in the state: only the second is sent.
		r3 := c.round("two", nil, map[string]any{"elicitation-2": map[string]any{"action": "cancel"}}, r2.RequestState)
		if r3.text() != "decline+cancel" {
			t.Errorf("round 3: %q", r3.text())
		}
	})
	t.Run("missing answer asks again", func(t *testing.T) {
		r1 := c.round("form", nil, nil, "")
		r2 := c.round("form", nil, map[string]any{"wrong": mdAccepted}, r1.RequestState)
		if r2.ResultType != "input_required" || r2.InputRequests["elicitation-1"].Method == "" {
			t.Errorf("retry without the answer: %+v", r2)
		}
	})
	t.Run("answers without state", func(t *testing.T) {
		if r := c.round("form", nil, map[string]any{"elicitation-1": mdAccepted, "extra": 1}, ""); r.text() != "accept: Ada" {
			t.Errorf("%q", r.text())
		}
	})
	t.Run("handler that swallows the error", func(t *testing.T) {
		if r := c.round("swallow", nil, nil, ""); r.ResultType != "input_required" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("rounds with the handler's state", func(t *testing.T) {
		r := c.round("rounds", nil, nil, "")
		for i := 0; r.ResultType == "input_required" && i < 5; i++ {
			if len(r.InputRequests) != 0 || r.RequestState == "" {
				t.Fatalf("round %d: %+v", i, r)
			}
			r = c.round("rounds", nil, nil, r.RequestState)
		}
		if r.text() != "done after 2 rounds" {
			t.Errorf("%q", r.text())
		}
	})
	t.Run("resources/read", func(t *testing.T) {
		var r1 struct {
			ResultType   string         `json:"resultType"`
			RequestState string         `json:"requestState"`
			TTLMs        *int64         `json:"ttlMs"`
			Inputs       map[string]any `json:"inputRequests"`
		}
		c.call("resources/read", map[string]any{"uri": "test://asks"}, &r1)
		if r1.ResultType != "input_required" || r1.Inputs["ok"] == nil || r1.TTLMs != nil {
			t.Fatalf("round 1: %+v (input_required carries no caching hints)", r1)
		}
		var r2 struct {
			Contents []struct {
				Text string `json:"text"`
			} `json:"contents"`
		}
		c.call("resources/read", map[string]any{"uri": "test://asks", "inputResponses": map[string]any{"ok": map[string]any{"action": "accept"}}, "requestState": r1.RequestState}, &r2)
		if len(r2.Contents) != 1 || r2.Contents[0].Text != "read after accept" {
			t.Errorf("round 2: %+v", r2)
		}
	})
	t.Run("prompts/get", func(t *testing.T) {
		var r1 struct {
			ResultType   string `json:"resultType"`
			RequestState string `json:"requestState"`
		}
		c.call("prompts/get", map[string]any{"name": "p", "arguments": map[string]any{"topic": "go"}}, &r1)
		if r1.ResultType != "input_required" {
			t.Fatalf("round 1: %+v", r1)
		}
		var r2 struct {
			Messages []struct {
				Content struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"messages"`
		}
		c.call("prompts/get", map[string]any{"name": "p", "arguments": map[string]any{"topic": "go"},
			"inputResponses": map[string]any{"roots-1": mdRoots}, "requestState": r1.RequestState}, &r2)
		if len(r2.Messages) != 1 || r2.Messages[0].Content.Text != "go with 1 roots" {
			t.Errorf("round 2: %+v", r2)
		}
	})
	t.Run("not in other requests", func(t *testing.T) {
		var r struct {
			Completion struct {
				Values []string `json:"values"`
			} `json:"completion"`
		}
		c.call("completion/complete", map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "p"}, "argument": map[string]any{"name": "topic", "value": ""}}, &r)
		if len(r.Completion.Values) != 1 || r.Completion.Values[0] != "true" {
			t.Errorf("Elicit in completion/complete: %v, want a plain error", r.Completion.Values)
		}
	})
}

func TestMRTRRefusals(t *testing.T) {
	t.Parallel()
	_, c := mrtrServer(t, fastmcp.Options{RequestStateTTL: 50 * time.Millisecond})
	r1 := c.round("form", map[string]any{"who": "ann"}, nil, "")
	if r1.RequestState == "" {
		t.Fatalf("no requestState: %+v", r1)
	}
	send := func(name string, args map[string]any, answers map[string]any, state any) mdAnswer {
		p := map[string]any{"name": name, "requestState": state}
		if args != nil {
			p["arguments"] = args
		}
		if answers != nil {
			p["inputResponses"] = answers
		}
		return c.send(mdReq{method: "tools/call", params: p})
	}
	ok := map[string]any{"elicitation-1": mdAccepted}
	cases := []struct {
		name    string
		tool    string
		args    map[string]any
		answers map[string]any
		state   any
	}{
		{"tampered", "form", map[string]any{"who": "ann"}, ok, r1.RequestState + "-TAMPERED"},
		{"flipped byte", "form", map[string]any{"who": "ann"}, ok, flip(r1.RequestState)},
		{"not a string", "form", map[string]any{"who": "ann"}, ok, 42},
		{"other arguments", "form", map[string]any{"who": "bob"}, ok, r1.RequestState},
		{"other tool", "two", nil, ok, r1.RequestState},
		{"invalid answer", "form", map[string]any{"who": "ann"}, map[string]any{"elicitation-1": 12345}, r1.RequestState},
		{"invalid action", "form", map[string]any{"who": "ann"}, map[string]any{"elicitation-1": map[string]any{"action": "maybe"}}, r1.RequestState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			send(tc.tool, tc.args, tc.answers, tc.state).wantError(t, 200, -32602)
		})
	}
	t.Run("same arguments in another order", func(t *testing.T) {
		s := testkit.NewServer(t, fastmcp.Options{})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "ab"}, func(ctx *fastmcp.Context, a map[string]any) (string, error) {
			if _, err := ctx.Roots(); err != nil {
				return "", err
			}
			return "ok", nil
		})
		ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		c2 := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
		c2.caps = map[string]any{"roots": map[string]any{}}
		r := c2.round("ab", json.RawMessage(`{"a":1,"b":{"x":1,"y":2}}`), nil, "")
		// The client re-encodes the arguments with its own key order and
		// spacing: still the same request.
		if got := c2.round("ab", json.RawMessage(`{ "b": {"y":2.0e0, "x":1}, "a":1 }`), map[string]any{"roots-1": map[string]any{"roots": []any{}}}, r.RequestState); got.text() != "ok" {
			t.Errorf("%q", got.text())
		}
		// Different values are another request.
		m := c2.send(mdReq{method: "tools/call", params: map[string]any{"name": "ab", "arguments": json.RawMessage(`{"a":1,"b":{"x":1,"y":3}}`),
			"inputResponses": map[string]any{"roots-1": map[string]any{"roots": []any{}}}, "requestState": r.RequestState}}).wantError(t, 200, -32602)
		if !strings.Contains(m.Error.Message, "another request") {
			t.Errorf("message %q", m.Error.Message)
		}
	})
	t.Run("expired", func(t *testing.T) {
		r := c.round("form", map[string]any{"who": "ann"}, nil, "")
		time.Sleep(60 * time.Millisecond) // let the 50 ms TTL pass: the clock, not a goroutine, is awaited
		m := send("form", map[string]any{"who": "ann"}, ok, r.RequestState).wantError(t, 200, -32602)
		if !strings.Contains(m.Error.Message, "expired") {
			t.Errorf("message %q", m.Error.Message)
		}
	})
}

// flip changes one character in the middle of s.
func flip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestMRTRCapabilities(t *testing.T) {
	t.Parallel()
	_, c := mrtrServer(t, fastmcp.Options{})
	cases := []struct {
		tool     string
		caps     map[string]any
		required string
	}{
		{"sample", map[string]any{}, `{"sampling":{}}`},
		{"form", map[string]any{"sampling": map[string]any{}}, `{"elicitation":{}}`},
		{"url", map[string]any{"elicitation": map[string]any{}}, `{"elicitation":{"url":{}}}`},
		{"roots", map[string]any{}, `{"roots":{}}`},
		{"swallow", map[string]any{}, `{"sampling":{}}`}, // even when the handler ignores the error
	}
	for _, tc := range cases {
		t.Run(tc.tool, func(t *testing.T) {
			c.caps = tc.caps
			a := c.send(mdReq{method: "tools/call", params: map[string]any{"name": tc.tool}})
			m := a.wantError(t, http.StatusBadRequest, -32021)
			var d struct {
				Required json.RawMessage `json:"requiredCapabilities"`
			}
			if err := json.Unmarshal(m.Error.Data, &d); err != nil || string(d.Required) != tc.required {
				t.Errorf("data %s, want requiredCapabilities %s", m.Error.Data, tc.required)
			}
		})
	}
}

func TestMRTRStateBinding(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("s", 32))
	auth := fastmcp.AuthFunc[string](func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil })
	newPair := func(opts fastmcp.Options) *mdClient {
		opts.Authenticate = auth
		_, c := mrtrServer(t, opts)
		c.header.Set("X-User", "ann")
		return c
	}
	a := newPair(fastmcp.Options{Secret: secret})
	replica := newPair(fastmcp.Options{Secret: secret})
	stranger := newPair(fastmcp.Options{Secret: []byte(strings.Repeat("t", 32))})
	encrypted := newPair(fastmcp.Options{Secret: secret, EncryptRequestState: true})

	r1 := a.round("form", nil, nil, "")
	ok := map[string]any{"elicitation-1": mdAccepted}
	if r := replica.round("form", nil, ok, r1.RequestState); r.text() != "accept: Ada" {
		t.Errorf("a replica with the same secret: %q", r.text())
	}
	stranger.send(mdReq{method: "tools/call", params: map[string]any{"name": "form", "inputResponses": ok, "requestState": r1.RequestState}}).wantError(t, 200, -32602)

	// Another principal cannot use ann's state.
	a.header.Set("X-User", "bob")
	m := a.send(mdReq{method: "tools/call", params: map[string]any{"name": "form", "inputResponses": ok, "requestState": r1.RequestState}}).wantError(t, 200, -32602)
	if !strings.Contains(m.Error.Message, "principal") {
		t.Errorf("message %q", m.Error.Message)
	}

	// Encrypted state round trips and does not show the answers it carries.
	e1 := encrypted.round("two", nil, nil, "")
	e2 := encrypted.round("two", nil, map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{"secret": "swordfish"}}}, e1.RequestState)
	if e2.ResultType != "input_required" || strings.Contains(e2.RequestState, "swordfish") {
		t.Fatalf("encrypted round 2: %+v", e2)
	}
	if !strings.HasPrefix(e2.RequestState, "e1.") {
		t.Errorf("requestState %q is not the encrypted form", e2.RequestState)
	}
	if r := encrypted.round("two", nil, map[string]any{"elicitation-2": map[string]any{"action": "accept"}}, e2.RequestState); r.text() != "accept+accept" {
		t.Errorf("encrypted round 3: %q", r.text())
	}
	// Signed state is readable, but not forgeable.
	s1 := replica.round("two", nil, map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{"secret": "swordfish"}}}, "")
	if !strings.HasPrefix(s1.RequestState, "s1.") {
		t.Errorf("requestState %q is not the signed form", s1.RequestState)
	}
}

func TestSecretTooShortPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "at least 32 bytes") {
			t.Errorf("New with a short secret: %v", v)
		}
	}()
	fastmcp.New(fastmcp.Options{Secret: []byte("short")})
}

// A missing capability is the client's doing: the handshake era tells the
// model (isError) or the client (a JSON-RPC error) what is missing, instead of
// masking it as an internal error.
func TestCapabilityErrorsShown(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		_, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 1})
		return "", err
	})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "roots"}, func(ctx *fastmcp.Context, _ map[string]string) (string, error) {
		_, err := ctx.Roots()
		return "", err
	})
	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "sample", nil)
	if err != nil || !res.IsError || !strings.Contains(fastmcptest.Text(res), "sampling capability") {
		t.Errorf("tool: %+v %v", res, err)
	}
	_, err = c.GetPrompt(testkit.Context(t), "roots", nil)
	if code := fastmcp.ErrorCodeOf(err); code != fastmcp.CodeInvalidRequest || !strings.Contains(err.Error(), "roots capability") {
		t.Errorf("prompt: %v (code %d)", err, code)
	}
}

// Secrets rotate without refusing what clients hold: a server whose
// PreviousSecrets hold the old secret accepts requestState and handles the
// old secret minted, and mints new ones with its new Secret, which a server
// with only the old secret refuses.
func TestMRTRSecretRotation(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := []byte(strings.Repeat("o", 32)), []byte(strings.Repeat("n", 32))
	before := func() *mdClient { _, c := mrtrServer(t, fastmcp.Options{Secret: oldSecret}); return c }()
	rotated := func() *mdClient {
		_, c := mrtrServer(t, fastmcp.Options{Secret: newSecret, PreviousSecrets: [][]byte{oldSecret}})
		return c
	}()
	ok := map[string]any{"elicitation-1": mdAccepted}
	r1 := before.round("form", nil, nil, "")
	if r := rotated.round("form", nil, ok, r1.RequestState); r.text() != "accept: Ada" {
		t.Errorf("state minted with the previous secret: %q", r.text())
	}
	r2 := rotated.round("form", nil, nil, "")
	if r := rotated.round("form", nil, ok, r2.RequestState); r.text() != "accept: Ada" {
		t.Errorf("state minted with the new secret: %q", r.text())
	}
	before.send(mdReq{method: "tools/call", params: map[string]any{"name": "form", "inputResponses": ok, "requestState": r2.RequestState}}).wantError(t, 200, -32602)
}

// The checks made before a handler runs (the Mcp-Name header, the
// requestState's binding to the request) and the handler read the same
// params: a member spelled in another case is not the member, and a member
// given twice is refused, so neither can smuggle in what the checks did not
// see (issue 12, item 7).
func TestMRTRBindingCannotBeBypassed(t *testing.T) {
	t.Parallel()
	_, c := mrtrServer(t, fastmcp.Options{Secret: []byte(strings.Repeat("s", 32))})
	first := c.send(mdReq{method: "prompts/get", params: map[string]any{"name": "p", "arguments": map[string]any{"topic": "safe"}}})
	var r1 struct {
		ResultType   string `json:"resultType"`
		RequestState string `json:"requestState"`
	}
	first.result(t, &r1)
	if r1.ResultType != "input_required" || r1.RequestState == "" {
		t.Fatalf("first round: %+v", r1)
	}
	retry := map[string]any{"name": "p", "arguments": map[string]any{"topic": "safe"},
		"inputResponses": map[string]any{"roots-1": mdRoots}, "requestState": r1.RequestState}
	if !strings.Contains(string(first.last(t).Result), `"roots-1"`) {
		t.Fatalf("the first round does not ask for roots-1: %s", first.last(t).Result)
	}

	t.Run("differently cased member is ignored", func(t *testing.T) {
		a := c.send(mdReq{method: "prompts/get", params: retry, extra: `"Arguments":{"topic":"EVIL"}`})
		res := string(a.last(t).Result)
		if a.status != http.StatusOK || !strings.Contains(res, "safe with 1 roots") || strings.Contains(res, "EVIL") {
			t.Fatalf("the handler saw the smuggled argument: %d %s", a.status, res)
		}
	})
	t.Run("member given twice is refused", func(t *testing.T) {
		m := c.send(mdReq{method: "prompts/get", params: retry, extra: `"arguments":{"topic":"EVIL"}`}).wantError(t, http.StatusBadRequest, -32602)
		if !strings.Contains(m.Error.Message, "more than once") {
			t.Errorf("message %q", m.Error.Message)
		}
	})
	t.Run("escaped member name given twice is refused", func(t *testing.T) {
		c.send(mdReq{method: "prompts/get", params: retry, extra: `"\u0061rguments":{"topic":"EVIL"}`}).wantError(t, http.StatusBadRequest, -32602)
	})
	t.Run("Mcp-Name naming another prompt is refused", func(t *testing.T) {
		c.send(mdReq{method: "prompts/get", params: map[string]any{"name": "p", "arguments": map[string]any{"topic": "x"}},
			header: map[string]string{"Mcp-Name": "roots"}}).wantError(t, http.StatusBadRequest, -32020)
	})
}
