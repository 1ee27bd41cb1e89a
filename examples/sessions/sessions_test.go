package main

// Tests of the sessions example: over Streamable HTTP with the official Go
// SDK client for two users at once, over stdio (in-process) with the user
// from FASTMCP_DEMO_USER, and in stateless mode.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
)

const wait = 10 * time.Second

// serveHTTP serves the example on 127.0.0.1 and returns the endpoint URL.
func serveHTTP(t testing.TB, opts fastmcp.HTTP) string {
	h := newServer(fastmcptest.Logger(t)).Handler(opts)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { h.Close() })
	return ts.URL + "/mcp"
}

// bearer adds an Authorization header to every request.
type bearer struct {
	rt    http.RoundTripper
	token string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}

// dial connects the Go SDK client with a bearer token, roots, and sampling
// and elicitation handlers.
func dial(t testing.TB, endpoint, token string, roots []*mcp.Root, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "sessions-test", Version: "1.0.0"}, opts)
	client.AddRoots(roots...)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: bearer{tr, token}},
		MaxRetries: -1,
	}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"}) // sessions: the handshake era
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { cs.Close() })
	return cs, nil
}

// call calls a tool and returns its text, checking isError.
func call(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any, wantError bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if args == nil {
		args = map[string]any{}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(res.Content) == 0 {
		t.Fatalf("%s: no content", name)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if res.IsError != wantError {
		t.Fatalf("%s: isError %v, want %v: %s", name, res.IsError, wantError, text)
	}
	return text
}

// callJSON calls a tool and decodes its JSON text.
func callJSON(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	text := call(t, cs, name, args, false)
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s: not JSON: %q", name, text)
	}
	return out
}

// userClient is one demo user's client options: sampling answers with the
// user's name, elicitation accepts with a comment naming the user.
func userClient(user string) *mcp.ClientOptions {
	return &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			prompt := r.Params.Messages[0].Content.(*mcp.TextContent).Text
			if prompt == "refuse" {
				return nil, errors.New("the user said no")
			}
			return &mcp.CreateMessageResult{Role: "assistant", Model: "test-llm", Content: &mcp.TextContent{Text: user + "'s LLM: " + prompt}}, nil
		},
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			switch {
			case strings.Contains(r.Params.Message, "decline"):
				return &mcp.ElicitResult{Action: "decline"}, nil
			case strings.Contains(r.Params.Message, "cancel"):
				return &mcp.ElicitResult{Action: "cancel"}, nil
			}
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirmed": true, "comment": "yes from " + user}}, nil
		},
	}
}

func TestHTTPTwoUsers(t *testing.T) {
	t.Parallel()
	endpoint := serveHTTP(t, fastmcp.HTTP{})
	type user struct {
		name, role, token string
		roots             []*mcp.Root
		increments        int
	}
	users := []user{
		{"alice", "admin", "demo-alice-admin", []*mcp.Root{{URI: "file:///home/alice", Name: "alice-home"}}, 3},
		{"bob", "user", "demo-bob-user", []*mcp.Root{{URI: "file:///home/bob", Name: "bob-home"}, {URI: "file:///srv/shared", Name: "shared"}}, 5},
	}
	// Both sessions live at once; their calls interleave.
	sessions := make([]*mcp.ClientSession, len(users))
	for i, u := range users {
		cs, err := dial(t, endpoint, u.token, u.roots, userClient(u.name))
		if err != nil {
			t.Fatalf("%s: connect: %v", u.name, err)
		}
		sessions[i] = cs
	}
	var wg sync.WaitGroup
	for i, u := range users {
		cs := sessions[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := callJSON(t, cs, "whoami", nil)
			if diff := cmp.Diff(map[string]any{"userId": u.name, "role": u.role, "sessionId": cs.ID()}, who); diff != "" {
				t.Errorf("%s: whoami (-want +got):\n%s", u.name, diff)
			}
			for k := 1; k <= u.increments; k++ {
				got := callJSON(t, cs, "counter_increment", nil)
				if got["value"] != float64(k) || got["sessionId"] != cs.ID() {
					t.Errorf("%s: counter_increment #%d: %v", u.name, k, got)
				}
			}
			// whoami + increments + this call.
			stats := callJSON(t, cs, "session_stats", nil)
			if stats["sessionId"] != cs.ID() || stats["toolCalls"] != float64(1+u.increments+1) {
				t.Errorf("%s: session_stats %v, want %d tool calls in session %s", u.name, stats, 1+u.increments+1, cs.ID())
			}
			if ms, ok := stats["uptimeMs"].(float64); !ok || ms < 0 {
				t.Errorf("%s: uptimeMs %v", u.name, stats["uptimeMs"])
			}
			var wantRoots []any
			for _, r := range u.roots {
				wantRoots = append(wantRoots, map[string]any{"uri": r.URI, "name": r.Name})
			}
			if diff := cmp.Diff(map[string]any{"roots": wantRoots}, callJSON(t, cs, "list_roots", nil)); diff != "" {
				t.Errorf("%s: list_roots (-want +got):\n%s", u.name, diff)
			}
			if got := call(t, cs, "ask_llm", map[string]any{"prompt": "hello"}, false); got != u.name+"'s LLM: hello" {
				t.Errorf("%s: ask_llm %q", u.name, got)
			}
			if got := call(t, cs, "ask_llm", map[string]any{"prompt": "refuse"}, true); !strings.Contains(got, "the user said no") {
				t.Errorf("%s: refused ask_llm %q", u.name, got)
			}
			want := map[string]any{"action": "accept", "content": map[string]any{"confirmed": true, "comment": "yes from " + u.name}}
			if diff := cmp.Diff(want, callJSON(t, cs, "confirm", map[string]any{"question": "Proceed?"})); diff != "" {
				t.Errorf("%s: confirm (-want +got):\n%s", u.name, diff)
			}
			for _, action := range []string{"decline", "cancel"} {
				got := callJSON(t, cs, "confirm", map[string]any{"question": "Please " + action})
				if diff := cmp.Diff(map[string]any{"action": action, "content": nil}, got); diff != "" {
					t.Errorf("%s: confirm %s (-want +got):\n%s", u.name, action, diff)
				}
			}
		}()
	}
	wg.Wait()
	// Each still sees only its own state after the other's activity.
	for i, u := range users {
		got := callJSON(t, sessions[i], "counter_increment", nil)
		if got["value"] != float64(u.increments+1) {
			t.Errorf("%s: counter after both sessions ran: %v, want %d", u.name, got["value"], u.increments+1)
		}
		if who := callJSON(t, sessions[i], "whoami", nil); who["userId"] != u.name {
			t.Errorf("%s: whoami %v", u.name, who)
		}
	}
	if sessions[0].ID() == sessions[1].ID() {
		t.Error("the two users share a session id")
	}
	// A new session of the same user starts from zero.
	cs, err := dial(t, endpoint, "demo-alice-admin", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := callJSON(t, cs, "counter_increment", nil); got["value"] != 1.0 {
		t.Errorf("a new session's counter: %v", got)
	}
	if stats := callJSON(t, cs, "session_stats", nil); stats["toolCalls"] != 2.0 {
		t.Errorf("a new session's stats: %v", stats)
	}
	// Without the capabilities the tools say so.
	if got := call(t, cs, "ask_llm", map[string]any{"prompt": "x"}, true); !strings.Contains(got, "sampling") {
		t.Errorf("ask_llm without sampling: %q", got)
	}
	if got := call(t, cs, "confirm", map[string]any{"question": "x"}, true); !strings.Contains(got, "elicitation") {
		t.Errorf("confirm without elicitation: %q", got)
	}
}

func TestHTTPBadTokens(t *testing.T) {
	t.Parallel()
	endpoint := serveHTTP(t, fastmcp.HTTP{})
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	for _, auth := range []string{"", "Bearer nope", "Bearer demo-", "Bearer demo-alice", "Basic YWxpY2U6YWRtaW4=", "Bearer demo--admin"} {
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") ||
			!strings.Contains(string(b), `"error"`) || resp.Header.Get("Mcp-Session-Id") != "" {
			t.Errorf("Authorization %q: %d %q %s", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
		}
	}
	if _, err := dial(t, endpoint, "not-a-demo-token", nil, nil); err == nil {
		t.Error("the Go SDK connected with a bad token")
	}
}

func TestHTTPStateless(t *testing.T) {
	t.Parallel()
	endpoint := serveHTTP(t, fastmcp.HTTP{Stateless: true})
	cs, err := dial(t, endpoint, "demo-dan-ops", nil, userClient("dan"))
	if err != nil {
		t.Fatal(err)
	}
	if who := callJSON(t, cs, "whoami", nil); who["userId"] != "dan" || who["role"] != "ops" || who["sessionId"] != "" {
		t.Errorf("stateless whoami: %v", who)
	}
	for _, tool := range []string{"session_stats", "counter_increment"} {
		got := call(t, cs, tool, nil, true)
		if !strings.Contains(got, "needs a session") || !strings.Contains(got, "statelessly") {
			t.Errorf("stateless %s: %q, want a clear error", tool, got)
		}
	}
	if got := call(t, cs, "ask_llm", map[string]any{"prompt": "x"}, true); !strings.Contains(got, "no session") {
		t.Errorf("stateless ask_llm: %q", got)
	}
	if got := call(t, cs, "confirm", map[string]any{"question": "x"}, true); !strings.Contains(got, "no session") {
		t.Errorf("stateless confirm: %q", got)
	}
	if got := call(t, cs, "list_roots", nil, true); !strings.Contains(got, "no session") {
		t.Errorf("stateless list_roots: %q", got)
	}
}

// stdioClient connects in-process, as stdio does, answering sampling,
// elicitation and roots.
func stdioClient(t *testing.T) (*fastmcptest.Client, error) {
	return fastmcptest.Dial(context.Background(), newServer(fastmcptest.Logger(t)), &fastmcptest.Options{
		Capabilities: fastmcp.ClientCapabilities{
			Roots:       &fastmcp.RootsCapability{},
			Sampling:    &fastmcp.SamplingCapability{},
			Elicitation: &fastmcp.ElicitationCapability{},
		},
		OnRequest: func(_ context.Context, method string, params json.RawMessage) (any, error) {
			switch method {
			case "roots/list":
				return fastmcp.ListRootsResult{Roots: []fastmcp.Root{{URI: "file:///local", Name: "local"}}}, nil
			case "sampling/createMessage":
				return map[string]any{"role": "assistant", "model": "m", "content": map[string]any{"type": "text", "text": "stdio LLM"}}, nil
			case "elicitation/create":
				return map[string]any{"action": "accept", "content": map[string]any{"confirmed": false}}, nil
			}
			return nil, &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: method}
		},
	})
}

func stdioJSON(t *testing.T, c *fastmcptest.Client, name string, args any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := c.CallTool(ctx, name, args)
	if err != nil || res.IsError {
		t.Fatalf("%s: %v %+v", name, err, res)
	}
	text := res.Content[0].(*fastmcp.TextContent).Text
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return map[string]any{"text": text}
	}
	return out
}

func TestStdioDemoUser(t *testing.T) {
	// t.Setenv: not parallel.
	for _, tc := range []struct {
		env, user, role string
	}{
		{"carol-editor", "carol", "editor"},
		{"", "local", "guest"},
	} {
		t.Setenv("FASTMCP_DEMO_USER", tc.env)
		c, err := stdioClient(t)
		if err != nil {
			t.Fatalf("FASTMCP_DEMO_USER=%q: %v", tc.env, err)
		}
		who := stdioJSON(t, c, "whoami", nil)
		if who["userId"] != tc.user || who["role"] != tc.role || who["sessionId"] == "" {
			t.Errorf("FASTMCP_DEMO_USER=%q: whoami %v", tc.env, who)
		}
		for k := 1; k <= 2; k++ {
			if got := stdioJSON(t, c, "counter_increment", nil); got["value"] != float64(k) || got["sessionId"] != who["sessionId"] {
				t.Errorf("counter_increment: %v", got)
			}
		}
		if got := stdioJSON(t, c, "session_stats", nil); got["toolCalls"] != 4.0 {
			t.Errorf("session_stats: %v", got)
		}
		if diff := cmp.Diff(map[string]any{"roots": []any{map[string]any{"uri": "file:///local", "name": "local"}}}, stdioJSON(t, c, "list_roots", nil)); diff != "" {
			t.Errorf("list_roots (-want +got):\n%s", diff)
		}
		if got := stdioJSON(t, c, "ask_llm", map[string]any{"prompt": "hi"}); got["text"] != "stdio LLM" {
			t.Errorf("ask_llm: %v", got)
		}
		if diff := cmp.Diff(map[string]any{"action": "accept", "content": map[string]any{"confirmed": false}}, stdioJSON(t, c, "confirm", map[string]any{"question": "ok?"})); diff != "" {
			t.Errorf("confirm (-want +got):\n%s", diff)
		}
		c.Close()
	}
	// A malformed user refuses the session.
	t.Setenv("FASTMCP_DEMO_USER", "nodash")
	if c, err := stdioClient(t); err == nil {
		c.Close()
		t.Error("initialize succeeded with FASTMCP_DEMO_USER=nodash")
	} else if !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("FASTMCP_DEMO_USER=nodash: %v", err)
	}
}
