package fastmcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

type mwArgs struct {
	X int `json:"x"`
}

// mwServer has an echo tool, a hidden tool, and a tool that asks the client
// for input.
func mwServer(t *testing.T) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "echo"}, func(ctx *fastmcp.Context, a mwArgs) (string, error) {
		return fmt.Sprintf("echo %d", a.X), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "other"}, func(ctx *fastmcp.Context, a mwArgs) (string, error) {
		return fmt.Sprintf("other %d", a.X), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "hidden", CanAccess: func(*fastmcp.Context) bool { return false }},
		func(ctx *fastmcp.Context, a mwArgs) (string, error) { return "never", nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, a mwArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "name?"})
		if err != nil {
			return "", err
		}
		return "hello " + fmt.Sprint(res.Content["name"]), nil
	})
	return s
}

// mwRecorder is a middleware recording what it saw, in order.
type mwRecorder struct {
	mu  sync.Mutex
	log []string
}

func (r *mwRecorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *mwRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *mwRecorder) middleware(name string) fastmcp.Middleware {
	return func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			if req.Method != "tools/call" {
				return next(ctx, req)
			}
			r.add(fmt.Sprintf("%s> %s %s %s", name, req.Method, req.Name, req.Arguments))
			res, err := next(ctx, req)
			switch v := res.(type) {
			case *fastmcp.CallToolResult:
				r.add(fmt.Sprintf("%s< %s", name, fastmcptest.Text(v)))
			case json.RawMessage:
				r.add(fmt.Sprintf("%s< raw %s", name, v))
			}
			if err != nil {
				r.add(fmt.Sprintf("%s< error %v", name, err))
			}
			return res, err
		}
	}
}

// Middleware runs in onion order around every tool call, sees the typed
// request and result, and sees refusals (unknown and hidden tools) as errors.
func TestMiddlewareOnionOrderAndTypedAccess(t *testing.T) {
	t.Parallel()
	s := mwServer(t)
	rec := &mwRecorder{}
	s.Use(rec.middleware("outer"), rec.middleware("inner"))
	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "echo", map[string]any{"x": 7})
	if err != nil || fastmcptest.Text(res) != "echo 7" {
		t.Fatalf("echo: %v %v", res, err)
	}
	want := []string{
		`outer> tools/call echo {"x":7}`,
		`inner> tools/call echo {"x":7}`,
		`inner< echo 7`,
		`outer< echo 7`,
	}
	if got := rec.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("middleware saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tool := range []string{"nope", "hidden"} {
		if _, err := c.CallTool(testkit.Context(t), tool, map[string]any{"x": 1}); err == nil {
			t.Errorf("%s: want an error", tool)
		}
		if got := rec.lines(); !strings.Contains(got[len(got)-1], "outer< error") || !strings.Contains(got[len(got)-1], "Unknown tool: "+tool) {
			t.Errorf("%s: the outer middleware saw %q, want the refusal", tool, got[len(got)-1])
		}
	}
}

// Middleware can answer without calling next, change the request, or fail
// it with a JSON-RPC error.
func TestMiddlewareShortCircuitRerouteAndErrors(t *testing.T) {
	t.Parallel()
	s := mwServer(t)
	var ran atomic.Int32
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			if req.Method != "tools/call" {
				return next(ctx, req)
			}
			ran.Add(1)
			switch req.Name {
			case "blocked":
				return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("blocked by policy")}, IsError: true}, nil
			case "alias":
				req.Name = "other"
				req.Arguments = json.RawMessage(`{"x":42}`)
			case "forbidden":
				return nil, fastmcp.NewError(-32001, "forbidden by middleware")
			case "broken":
				return nil, errors.New("a secret internal detail")
			}
			return next(ctx, req)
		}
	})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	res, err := c.CallTool(ctx, "blocked", nil)
	if err != nil || !res.IsError || fastmcptest.Text(res) != "blocked by policy" {
		t.Errorf("blocked: %v %v", res, err)
	}
	res, err = c.CallTool(ctx, "alias", map[string]any{"x": 1})
	if err != nil || fastmcptest.Text(res) != "other 42" {
		t.Errorf("alias: %v %v", res, err)
	}
	_, err = c.CallTool(ctx, "forbidden", nil)
	var pe *fastmcp.Error
	if !errors.As(err, &pe) || pe.Code != -32001 || pe.Message != "forbidden by middleware" {
		t.Errorf("forbidden: %v", err)
	}
	_, err = c.CallTool(ctx, "broken", nil)
	if !errors.As(err, &pe) || pe.Code != fastmcp.CodeInternalError || strings.Contains(pe.Message, "secret") {
		t.Errorf("broken: %v, want an internal error that hides its text", err)
	}
	if n := ran.Load(); n != 4 {
		t.Errorf("middleware ran %d times, want 4", n)
	}
}

// Middleware runs for every method, not only tools/call.
func TestMiddlewareSeesEveryMethod(t *testing.T) {
	t.Parallel()
	s := mwServer(t)
	var mu sync.Mutex
	seen := map[string]int{}
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			mu.Lock()
			seen[req.Method]++
			mu.Unlock()
			return next(ctx, req)
		}
	})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	if _, err := c.ListTools(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallRaw(ctx, "no/such/method", nil); err == nil {
		t.Fatal("no/such/method: want an error")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range []string{"initialize", "ping", "tools/list", "no/such/method"} {
		if seen[m] == 0 {
			t.Errorf("middleware did not see %s (saw %v)", m, seen)
		}
	}
}

// mwPost posts one JSON-RPC message and returns the final JSON-RPC message of
// the answer (JSON or SSE).
func mwPost(t *testing.T, url string, hdr map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(testkit.Context(t), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && hdr != nil {
		hdr["Mcp-Session-Id"] = sid
	}
	if resp.StatusCode == http.StatusAccepted {
		return resp.StatusCode, nil
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		lines := bytes.Split(raw, []byte("\n"))
		for i := len(lines) - 1; i >= 0; i-- {
			if d, ok := bytes.CutPrefix(lines[i], []byte("data: ")); ok && len(bytes.TrimSpace(d)) > 0 {
				raw = d
				break
			}
		}
	}
	var msg map[string]any
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatalf("answer %d %q: %v", resp.StatusCode, raw, err)
	}
	return resp.StatusCode, msg
}

const mwModernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`

// The chain runs for tools/call in both protocol eras, over stdio and
// Streamable HTTP, and for every round of a 2026-07-28 multi round-trip
// request.
func TestMiddlewareBothErasEveryTransport(t *testing.T) {
	t.Parallel()
	s := mwServer(t)
	rec := &mwRecorder{}
	s.Use(rec.middleware("mw"))
	h := s.Handler(fastmcp.HTTP{})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	url := srv.URL + "/mcp"

	t.Run("stdio handshake", func(t *testing.T) {
		c := testkit.Connect(t, s, nil)
		if _, err := c.CallTool(testkit.Context(t), "echo", map[string]any{"x": 1}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("http handshake", func(t *testing.T) {
		hdr := map[string]string{}
		mwPost(t, url, hdr, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
		hdr["MCP-Protocol-Version"] = "2025-11-25"
		mwPost(t, url, hdr, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		_, msg := mwPost(t, url, hdr, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"x":2}}}`)
		if msg["result"] == nil {
			t.Fatalf("tools/call: %v", msg)
		}
	})
	t.Run("http 2026-07-28 with two rounds", func(t *testing.T) {
		hdr := map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "ask"}
		_, first := mwPost(t, url, hdr, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ask","arguments":{"x":3},`+mwModernMeta+`}}`)
		res, _ := first["result"].(map[string]any)
		if res["resultType"] != "input_required" {
			t.Fatalf("first round: %v", first)
		}
		state, _ := json.Marshal(res["requestState"])
		_, second := mwPost(t, url, hdr, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"ask","arguments":{"x":3},`+
			`"inputResponses":{"elicitation-1":{"action":"accept","content":{"name":"Ada"}}},"requestState":`+string(state)+`,`+mwModernMeta+`}}`)
		res, _ = second["result"].(map[string]any)
		if res == nil || !strings.Contains(fmt.Sprint(res["content"]), "hello Ada") {
			t.Fatalf("second round: %v", second)
		}
	})
	t.Run("stdio 2026-07-28", func(t *testing.T) {
		c := testkit.Connect(t, s, &fastmcptest.Options{SkipInitialize: true})
		raw, err := c.CallRaw(testkit.Context(t), "tools/call", json.RawMessage(`{"name":"echo","arguments":{"x":5},`+mwModernMeta+`}`))
		if err != nil || !strings.Contains(string(raw), "echo 5") {
			t.Fatalf("tools/call: %s %v", raw, err)
		}
	})

	var calls []string
	for _, l := range rec.lines() {
		if strings.HasPrefix(l, "mw> ") {
			calls = append(calls, strings.TrimPrefix(l, "mw> "))
		}
	}
	want := []string{`tools/call echo {"x":1}`, `tools/call echo {"x":2}`, `tools/call ask {"x":3}`, `tools/call ask {"x":3}`, `tools/call echo {"x":5}`}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("middleware saw:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	// The first round's answer reached the middleware as what was sent:
	// input_required.
	found := false
	for _, l := range rec.lines() {
		found = found || strings.HasPrefix(l, "mw< raw ") && strings.Contains(l, `"resultType":"input_required"`)
	}
	if !found {
		t.Errorf("middleware did not see the input_required answer: %q", rec.lines())
	}
}

// Use may be called while the server serves: requests in flight keep their
// chain, later ones get the new one, and nothing races.
func TestMiddlewareUseWhileServing(t *testing.T) {
	t.Parallel()
	s := mwServer(t)
	c := testkit.Connect(t, s, nil)
	var count atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.CallTool(testkit.Context(t), "echo", map[string]any{"x": i}); err != nil {
				t.Error(err)
			}
		}()
	}
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			count.Add(1)
			return next(ctx, req)
		}
	})
	wg.Wait()
	if _, err := c.CallTool(testkit.Context(t), "echo", map[string]any{"x": 1}); err != nil {
		t.Fatal(err)
	}
	if count.Load() == 0 {
		t.Error("the middleware added while serving never ran")
	}
}

// WithContext hands the handler a derived context: a value a middleware adds
// reaches the tool.
func TestMiddlewareWithContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "value"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		v, _ := ctx.Value(key{}).(string)
		if fastmcp.ContextFrom(ctx) != ctx {
			return "", errors.New("ContextFrom does not find the handler's Context")
		}
		return v + " via " + ctx.Transport(), nil
	})
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			return next(ctx.WithContext(context.WithValue(ctx, key{}, "span")), req)
		}
	})
	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "value", nil)
	if err != nil || fastmcptest.Text(res) != "span via stdio" {
		t.Fatalf("value: %v %v", res, err)
	}
}

// A handler learns the transport, the client's address and the HTTP request
// that carried the call.
func TestContextTransportDetails(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "where"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		hr := ctx.HTTPRequest()
		if hr == nil {
			return ctx.Transport() + " " + ctx.RemoteAddr(), nil
		}
		return ctx.Transport() + " " + hr.Header.Get("X-Trace") + " " + fmt.Sprint(ctx.RemoteAddr() == hr.RemoteAddr && ctx.RemoteAddr() != ""), nil
	})
	h := s.Handler(fastmcp.HTTP{})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })

	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "where", nil)
	if err != nil || fastmcptest.Text(res) != "stdio " {
		t.Errorf("stdio: %q %v", fastmcptest.Text(res), err)
	}
	hdr := map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "where", "X-Trace": "t-1"}
	_, msg := mwPost(t, srv.URL+"/mcp", hdr, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"where",`+mwModernMeta+`}}`)
	if got := fmt.Sprint(msg["result"]); !strings.Contains(got, "streamable-http t-1 true") {
		t.Errorf("http: %v", msg)
	}
}

// Middleware tells FastMCP's refusals from the tool's own errors, and reads
// one _meta member without decoding the rest.
func TestMiddlewareRefusalsAndMetaString(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{RateLimits: &fastmcp.RateLimits{
		Tools: map[string]fastmcp.Rate{"limited": {Limit: 1, Per: time.Hour}},
	}})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "slow", Timeout: 10 * time.Millisecond}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "limited"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "ok", nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fails"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		return "", fastmcp.UserErrorf("no")
	})
	var mu sync.Mutex
	seen := map[string]string{}
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			res, err := next(ctx, req)
			if r, ok := res.(*fastmcp.CallToolResult); ok {
				tp, _ := ctx.MetaString("traceparent")
				mu.Lock()
				seen[req.Name] = fmt.Sprintf("%s|%v|%s|%s", r.Refusal(), r.IsError, tp, ctx.Session().Transport())
				mu.Unlock()
			}
			return res, err
		}
	})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	for _, call := range []string{"slow", "limited", "limited", "fails"} {
		p := &fastmcp.CallToolParams{Name: call, Meta: fastmcp.Meta{"traceparent": "00-abc-def-01", "other": map[string]any{"x": 1}}}
		if _, err := c.CallToolParams(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{
		"slow":    "timeout|true|00-abc-def-01|stdio",
		"limited": "rate_limit|true|00-abc-def-01|stdio",
		"fails":   "|true|00-abc-def-01|stdio",
	}
	for tool, w := range want {
		if seen[tool] != w {
			t.Errorf("%s: middleware saw %q, want %q", tool, seen[tool], w)
		}
	}
}

// ctxLogHandler records a value of each log record's context.
type ctxLogHandler struct {
	mu   *sync.Mutex
	seen *[]string
	key  any
}

func (h ctxLogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h ctxLogHandler) Handle(ctx context.Context, r slog.Record) error {
	v, _ := ctx.Value(h.key).(string)
	h.mu.Lock()
	*h.seen = append(*h.seen, r.Message+"|"+v)
	h.mu.Unlock()
	return nil
}
func (h ctxLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h ctxLogHandler) WithGroup(string) slog.Handler      { return h }

// FastMCP's own log records about a request carry the context a middleware
// derived (its span), also those written after the chain returned.
func TestMiddlewareContextReachesServerLogs(t *testing.T) {
	t.Parallel()
	type key struct{}
	var mu sync.Mutex
	var seen []string
	s := fastmcp.New(fastmcp.Options{Logger: slog.New(ctxLogHandler{&mu, &seen, key{}})})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fails"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		return "", errors.New("internal trouble")
	})
	s.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			if req.Method == "prompts/get" {
				// An error the engine logs after the chain returns.
				next(ctx.WithContext(context.WithValue(ctx, key{}, "span-1")), req)
				return nil, errors.New("masked failure")
			}
			return next(ctx.WithContext(context.WithValue(ctx, key{}, "span-1")), req)
		}
	})
	c := testkit.Connect(t, s, nil)
	if _, err := c.CallTool(testkit.Context(t), "fails", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPrompt(testkit.Context(t), "none", nil); err == nil {
		t.Fatal("prompts/get: want an error")
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{"fastmcp: tool failed|span-1": false, "fastmcp: request failed|span-1": false}
	for _, l := range seen {
		if _, ok := want[l]; ok {
			want[l] = true
		}
	}
	for l, ok := range want {
		if !ok {
			t.Errorf("no log record %q among %q", l, seen)
		}
	}
}
