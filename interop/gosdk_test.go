package interop_test

// Interoperability with the official Go SDK client
// (github.com/modelcontextprotocol/go-sdk): each test drives a FastMCP server
// with an mcp.ClientSession, in-process over pipes carrying newline-delimited
// JSON exactly as stdio does, and checks what the SDK client makes of the
// answers. The pipes are relayed through the test, which records every
// message and validates each one the server sends against the official schema.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// gosdkWait bounds every wait for something the server or client must do.
const gosdkWait = 10 * time.Second

// gosdkFixture is a FastMCP server with the tools, resources and prompts the
// Go SDK tests exercise.
type gosdkFixture struct {
	srv *fastmcp.Server
	// blockStarted receives when the "block" tool starts; blockObserved the
	// cause of its cancellation, once it has seen its context end.
	blockStarted  chan struct{}
	blockObserved chan error
}

type gosdkGreetArgs struct {
	Name    string `json:"name" jsonschema:"who to greet"`
	Excited bool   `json:"excited,omitempty" description:"end with three exclamation marks"`
}

type gosdkStatsArgs struct {
	Numbers []float64 `json:"numbers" minItems:"1"`
}

type gosdkStats struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Mean  float64 `json:"mean"`
}

type gosdkCountArgs struct {
	Steps int `json:"steps" minimum:"1" maximum:"10"`
}

type gosdkReviewArgs struct {
	Language string `json:"language" enum:"go,python,rust" description:"programming language"`
	Code     string `json:"code" description:"the code to review"`
}

var gosdkBlob = []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10}

func newGoSDKFixture(t testing.TB) *gosdkFixture {
	f := &gosdkFixture{
		srv:           testkit.NewServer(t, fastmcp.Options{Name: "gosdk-interop-server", Version: "2.3.4", Instructions: "Interop fixture."}),
		blockStarted:  make(chan struct{}, 1),
		blockObserved: make(chan error, 1),
	}
	s := f.srv
	fastmcp.AddTool(s, fastmcp.Tool{Name: "greet", Description: "Greets someone."},
		func(ctx *fastmcp.Context, a gosdkGreetArgs) (string, error) {
			if a.Excited {
				return "Hello, " + a.Name + "!!!", nil
			}
			return "Hello, " + a.Name + "!", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "stats", Description: "Summarises numbers."},
		func(ctx *fastmcp.Context, a gosdkStatsArgs) (gosdkStats, error) {
			st := gosdkStats{Count: len(a.Numbers)}
			for _, n := range a.Numbers {
				st.Sum += n
			}
			st.Mean = st.Sum / float64(st.Count)
			return st, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "count", Description: "Reports progress once per step."},
		func(ctx *fastmcp.Context, a gosdkCountArgs) (string, error) {
			for i := 1; i <= a.Steps; i++ {
				err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(i), Total: float64(a.Steps), Message: fmt.Sprintf("step %d", i)})
				if err != nil {
					return "", err
				}
			}
			return fmt.Sprintf("counted to %d", a.Steps), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "log", Description: "Logs at four levels."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			ctx.Debug("debug message")
			ctx.Info("info message", "user", "ada")
			ctx.Logger().WithGroup("db").Warn("warning message", "attempt", 2)
			ctx.Error("error message")
			return "logged", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "block", Description: "Blocks until cancelled."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			f.blockStarted <- struct{}{}
			<-ctx.Done()
			f.blockObserved <- context.Cause(ctx)
			return "", ctx.Err()
		})

	s.AddResource(fastmcp.Resource{URI: "test://greeting", Name: "greeting", Description: "A greeting.", MIMEType: "text/plain",
		Load: fastmcp.StaticText("hello, world")})
	s.AddResource(fastmcp.Resource{URI: "test://blob", Name: "blob", Description: "Some bytes.", MIMEType: "application/octet-stream",
		Load: fastmcp.StaticBlob(gosdkBlob)})
	s.AddResource(fastmcp.Resource{URI: "test://counter", Name: "counter", Description: "Changes.", MIMEType: "text/plain",
		Load: fastmcp.StaticText("0")})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{
		URITemplate: "test://users/{id}/profile", Name: "profile", Description: "A user's profile.", MIMEType: "application/json",
	}, func(ctx *fastmcp.Context, uri string, a struct {
		ID string `json:"id" enum:"alice,bob,carol"`
	}) ([]*fastmcp.ResourceContents, error) {
		return []*fastmcp.ResourceContents{{Text: `{"id":"` + a.ID + `"}`}}, nil
	})

	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "code_review", Description: "Asks for a code review."},
		func(ctx *fastmcp.Context, a gosdkReviewArgs) (string, error) {
			return "Review this " + a.Language + " code:\n" + a.Code, nil
		})
	return f
}

// gosdkConn is a Go SDK client session connected in-process to a FastMCP
// server.
type gosdkConn struct {
	*mcp.ClientSession
	t      testing.TB
	served chan error
	stop   context.CancelFunc
	relays sync.WaitGroup

	mu       sync.Mutex
	sent     [][]byte // client to server, in order
	received [][]byte // server to client, in order

	closeOnce sync.Once
}

// connectGoSDK connects a Go SDK client to s over pipes, asking for
// protocolVersion ("" lets the SDK choose: it tries server/discover for
// 2026-07-28 first, then falls back to initialize). The session is closed,
// and the server's end awaited, when the test ends.
func connectGoSDK(t testing.TB, s *fastmcp.Server, opts *mcp.ClientOptions, protocolVersion string) *gosdkConn {
	t.Helper()
	// The SDK's own default is 2026-07-28; these tests default to the
	// handshake era, and ask for 2026-07-28 explicitly.
	if protocolVersion == "" {
		protocolVersion = fastmcp.LatestHandshakeProtocolVersion
	}
	rev := protocolVersion
	v, err := spectest.For(rev)
	if err != nil {
		t.Fatal(err)
	}
	conv := spectest.NewConversation(v)

	c := &gosdkConn{t: t, served: make(chan error, 1)}
	clientOut, toRelay := io.Pipe()   // client writes, relay reads
	serverIn, fromRelay := io.Pipe()  // relay writes, server reads
	serverOut, toRelay2 := io.Pipe()  // server writes, relay reads
	clientIn, fromRelay2 := io.Pipe() // relay writes, client reads

	c.relays.Add(2)
	go func() {
		defer c.relays.Done()
		gosdkRelay(clientOut, fromRelay, func(m []byte) {
			c.mu.Lock()
			c.sent = append(c.sent, m)
			c.mu.Unlock()
			conv.Sent(m)
		})
	}()
	go func() {
		defer c.relays.Done()
		gosdkRelay(serverOut, fromRelay2, func(m []byte) {
			c.mu.Lock()
			c.received = append(c.received, m)
			c.mu.Unlock()
			if err := conv.Received(m); err != nil {
				t.Errorf("server sent a message that is invalid in %s: %v\nmessage: %s", rev, err, m)
			}
		})
	}()

	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		err := s.Serve(ctx, fastmcp.Stdio{Reader: serverIn, Writer: toRelay2})
		toRelay2.Close()
		serverIn.Close()
		c.served <- err
	}()

	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-interop", Version: "1.8.0"}, opts)
	cctx, cancel := context.WithTimeout(context.Background(), gosdkWait)
	defer cancel()
	cs, err := client.Connect(cctx, &mcp.IOTransport{Reader: clientIn, Writer: toRelay}, &mcp.ClientSessionOptions{ProtocolVersion: protocolVersion})
	if err != nil {
		toRelay.Close()
		clientIn.Close()
		c.ClientSession = nil
		c.awaitServer()
		t.Fatalf("go-sdk client: connect: %v", err)
	}
	c.ClientSession = cs
	t.Cleanup(c.close)
	return c
}

// gosdkRelay copies newline-delimited messages from r to w, showing each to
// see before passing it on. It closes w at the end of r, and r when w fails
// (the far side went away), so that neither side blocks forever.
func gosdkRelay(r *io.PipeReader, w *io.PipeWriter, see func([]byte)) {
	defer w.Close()
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if msg := bytes.TrimSpace(line); len(msg) > 0 {
			see(slices.Clone(msg))
			if _, werr := w.Write(line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close closes the client session and waits for the server to stop serving
// it and for the relays to drain.
func (c *gosdkConn) close() {
	c.closeOnce.Do(func() {
		if c.ClientSession != nil {
			if err := c.ClientSession.Close(); err != nil {
				c.t.Logf("go-sdk client: close: %v", err)
			}
		}
		c.awaitServer()
	})
}

func (c *gosdkConn) awaitServer() {
	select {
	case err := <-c.served:
		if err != nil {
			c.t.Errorf("Serve returned %v after the client closed", err)
		}
	case <-time.After(gosdkWait):
		c.t.Errorf("Serve did not return within %v of the client closing", gosdkWait)
		c.stop()
		<-c.served
	}
	c.stop()
	c.relays.Wait()
}

// gosdkMessage is the envelope of a recorded message.
type gosdkMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func gosdkMessages(t testing.TB, raws [][]byte) []gosdkMessage {
	t.Helper()
	out := make([]gosdkMessage, 0, len(raws))
	for _, raw := range raws {
		var m gosdkMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("recorded message is not JSON: %v: %s", err, raw)
		}
		out = append(out, m)
	}
	return out
}

// Sent returns the messages the client has sent so far.
func (c *gosdkConn) Sent() []gosdkMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return gosdkMessages(c.t, c.sent)
}

// Received returns the messages the server has sent so far. Every message sent
// before the response to a call has been recorded by the time the call
// returns.
func (c *gosdkConn) Received() []gosdkMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return gosdkMessages(c.t, c.received)
}

// countMethod counts the recorded server messages with the method.
func (c *gosdkConn) countMethod(method string) int {
	n := 0
	for _, m := range c.Received() {
		if m.Method == method {
			n++
		}
	}
	return n
}

// gosdkAwait receives from ch, failing the test after gosdkWait.
func gosdkAwait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(gosdkWait)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", gosdkWait, what)
		panic("unreachable")
	}
}

// gosdkText returns the text of a text content block, failing otherwise.
func gosdkText(t testing.TB, c mcp.Content) string {
	t.Helper()
	tc, ok := c.(*mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want *mcp.TextContent", c)
	}
	return tc.Text
}

// gosdkWireCode returns the JSON-RPC error code in err, or 0.
func gosdkWireCode(err error) int64 {
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return 0
}

func TestGoSDKInitialize(t *testing.T) {
	t.Parallel()
	// The SDK's default, 2026-07-28, is tested in modern_gosdk_test.go.
	var cases []struct{ name, ask, want string }
	for _, v := range fastmcp.HandshakeProtocolVersions() {
		cases = append(cases, struct{ name, ask, want string }{v, v, v})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newGoSDKFixture(t)
			c := connectGoSDK(t, f.srv, nil, tc.ask)
			res := c.InitializeResult()
			if res.ProtocolVersion != tc.want {
				t.Errorf("negotiated %q, want %q", res.ProtocolVersion, tc.want)
			}
			if res.ServerInfo == nil || res.ServerInfo.Name != "gosdk-interop-server" || res.ServerInfo.Version != "2.3.4" {
				t.Errorf("serverInfo = %+v", res.ServerInfo)
			}
			if res.Instructions != "Interop fixture." {
				t.Errorf("instructions = %q", res.Instructions)
			}
			caps := res.Capabilities
			if caps == nil || caps.Tools == nil || !caps.Tools.ListChanged ||
				caps.Resources == nil || !caps.Resources.Subscribe || !caps.Resources.ListChanged ||
				caps.Prompts == nil || !caps.Prompts.ListChanged || caps.Logging == nil {
				t.Errorf("capabilities = %+v", caps)
			}
			// The completions capability arrived with 2025-03-26.
			if wantCompletions := tc.want != fastmcp.ProtocolVersion20241105; (caps != nil && caps.Completions != nil) != wantCompletions {
				t.Errorf("completions capability = %v, want it %v", caps.Completions, wantCompletions)
			}

			sessions := f.srv.Sessions()
			if len(sessions) != 1 {
				t.Fatalf("server has %d sessions, want 1", len(sessions))
			}
			sess := sessions[0]
			if got := sess.ProtocolVersion(); got != tc.want {
				t.Errorf("server session protocol version = %q, want %q", got, tc.want)
			}
			if got := sess.ClientInfo(); got.Name != "go-sdk-interop" || got.Version != "1.8.0" {
				t.Errorf("server session client info = %+v", got)
			}
			// A round trip after the initialized notification: the session
			// has completed its handshake.
			if err := c.Ping(testkit.Context(t), nil); err != nil {
				t.Fatalf("ping: %v", err)
			}
			// Ready follows the handshake (and, for a client with
			// roots, the roots fetch) asynchronously.
			if err := sess.WaitForReady(testkit.Context(t)); err != nil {
				t.Errorf("session not ready after the handshake: %v", err)
			}
		})
	}
}

func TestGoSDKListTools(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	res, err := c.ListTools(testkit.Context(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tools := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		tools[tool.Name] = tool
		if tool.Description == "" {
			t.Errorf("tool %s has no description", tool.Name)
		}
		schema, ok := tool.InputSchema.(map[string]any)
		if !ok || schema["type"] != "object" {
			t.Errorf("tool %s: inputSchema = %#v, want an object schema", tool.Name, tool.InputSchema)
		}
	}
	if diff := testdiff.Diff([]string{"block", "count", "greet", "log", "stats"}, names); diff != "" {
		t.Fatalf("tools (-want +got):\n%s", diff)
	}

	greet := tools["greet"].InputSchema.(map[string]any)
	props, _ := greet["properties"].(map[string]any)
	name, _ := props["name"].(map[string]any)
	if name["type"] != "string" || name["description"] != "who to greet" {
		t.Errorf("greet.name schema = %#v", name)
	}
	if diff := testdiff.Diff([]any{"name"}, greet["required"]); diff != "" {
		t.Errorf("greet required (-want +got):\n%s", diff)
	}
	if tools["greet"].OutputSchema != nil {
		t.Errorf("greet has an output schema: %#v", tools["greet"].OutputSchema)
	}

	out, ok := tools["stats"].OutputSchema.(map[string]any)
	if !ok || out["type"] != "object" {
		t.Fatalf("stats outputSchema = %#v, want an object schema", tools["stats"].OutputSchema)
	}
	outProps, _ := out["properties"].(map[string]any)
	for _, p := range []string{"count", "sum", "mean"} {
		if _, ok := outProps[p]; !ok {
			t.Errorf("stats outputSchema lacks property %q: %#v", p, out)
		}
	}
}

func TestGoSDKCallTool(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	cases := []struct {
		name  string
		tool  string
		args  any
		check func(t *testing.T, res *mcp.CallToolResult, err error)
	}{
		{"typed args", "greet", map[string]any{"name": "Ada"}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			if got := gosdkText(t, res.Content[0]); got != "Hello, Ada!" {
				t.Errorf("text = %q", got)
			}
			if res.StructuredContent != nil {
				t.Errorf("unexpected structuredContent %#v", res.StructuredContent)
			}
		}},
		{"optional arg", "greet", map[string]any{"name": "Ada", "excited": true}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			if got := gosdkText(t, res.Content[0]); got != "Hello, Ada!!!" {
				t.Errorf("text = %q", got)
			}
		}},
		{"typed args struct", "greet", gosdkGreetArgs{Name: "Grace"}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			if got := gosdkText(t, res.Content[0]); got != "Hello, Grace!" {
				t.Errorf("text = %q", got)
			}
		}},
		{"structured output", "stats", map[string]any{"numbers": []float64{1, 2, 3, 4}}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			want := map[string]any{"count": 4.0, "sum": 10.0, "mean": 2.5}
			if diff := testdiff.Diff(want, res.StructuredContent); diff != "" {
				t.Errorf("structuredContent (-want +got):\n%s", diff)
			}
			// Older clients read the same value as JSON text.
			var fromText map[string]any
			if err := json.Unmarshal([]byte(gosdkText(t, res.Content[0])), &fromText); err != nil {
				t.Fatalf("text content is not the JSON of the result: %v", err)
			}
			if diff := testdiff.Diff(want, fromText); diff != "" {
				t.Errorf("text content (-want +got):\n%s", diff)
			}
		}},
		{"invalid args", "greet", map[string]any{"name": 42}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil {
				t.Fatalf("invalid arguments gave a protocol error, want a result with isError: %v", err)
			}
			if !res.IsError {
				t.Fatalf("isError = false: %+v", res)
			}
			if got := gosdkText(t, res.Content[0]); !strings.Contains(got, "name") {
				t.Errorf("error text %q does not name the bad argument", got)
			}
		}},
		{"missing required arg", "stats", map[string]any{}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !res.IsError || !strings.Contains(gosdkText(t, res.Content[0]), "numbers") {
				t.Errorf("res = %+v, want isError naming numbers", res)
			}
		}},
		{"schema constraint", "stats", map[string]any{"numbers": []float64{}}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err != nil || !res.IsError {
				t.Errorf("res=%+v err=%v, want isError for minItems", res, err)
			}
		}},
		{"unknown tool", "no_such_tool", map[string]any{}, func(t *testing.T, res *mcp.CallToolResult, err error) {
			if err == nil {
				t.Fatalf("calling an unknown tool succeeded: %+v", res)
			}
			if code := gosdkWireCode(err); code != int64(fastmcp.CodeInvalidParams) {
				t.Errorf("error code = %d, want %d (%v)", code, fastmcp.CodeInvalidParams, err)
			}
			if !strings.Contains(err.Error(), "no_such_tool") {
				t.Errorf("error %q does not name the tool", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.CallTool(testkit.Context(t), &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
			tc.check(t, res, err)
		})
	}
}

func TestGoSDKResources(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	ctx := testkit.Context(t)

	t.Run("list", func(t *testing.T) {
		res, err := c.ListResources(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ URI, Name, MIME string }
		var got []row
		for _, r := range res.Resources {
			got = append(got, row{r.URI, r.Name, r.MIMEType})
		}
		want := []row{
			{"test://blob", "blob", "application/octet-stream"},
			{"test://counter", "counter", "text/plain"},
			{"test://greeting", "greeting", "text/plain"},
		}
		if diff := testdiff.Diff(want, got); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
	})

	t.Run("templates", func(t *testing.T) {
		res, err := c.ListResourceTemplates(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.ResourceTemplates) != 1 {
			t.Fatalf("templates = %+v", res.ResourceTemplates)
		}
		rt := res.ResourceTemplates[0]
		if rt.URITemplate != "test://users/{id}/profile" || rt.Name != "profile" || rt.MIMEType != "application/json" || rt.Description == "" {
			t.Errorf("template = %+v", rt)
		}
	})

	reads := []struct {
		name, uri string
		want      *mcp.ResourceContents
		wantCode  int64
	}{
		{"text", "test://greeting", &mcp.ResourceContents{URI: "test://greeting", MIMEType: "text/plain", Text: "hello, world"}, 0},
		{"binary", "test://blob", &mcp.ResourceContents{URI: "test://blob", MIMEType: "application/octet-stream", Blob: gosdkBlob}, 0},
		{"template", "test://users/bob/profile", &mcp.ResourceContents{URI: "test://users/bob/profile", MIMEType: "application/json", Text: `{"id":"bob"}`}, 0},
		{"unknown", "test://nothing", nil, int64(fastmcp.CodeResourceNotFound)},
	}
	for _, tc := range reads {
		t.Run("read "+tc.name, func(t *testing.T) {
			res, err := c.ReadResource(ctx, &mcp.ReadResourceParams{URI: tc.uri})
			if tc.wantCode != 0 {
				if code := gosdkWireCode(err); code != tc.wantCode {
					t.Fatalf("err = %v (code %d), want code %d", err, code, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff([]*mcp.ResourceContents{tc.want}, res.Contents); diff != "" {
				t.Errorf("contents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoSDKGetPrompt(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	ctx := testkit.Context(t)

	list, err := c.ListPrompts(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Prompts) != 1 || list.Prompts[0].Name != "code_review" {
		t.Fatalf("prompts = %+v", list.Prompts)
	}
	var args []string
	for _, a := range list.Prompts[0].Arguments {
		args = append(args, fmt.Sprintf("%s required=%v %q", a.Name, a.Required, a.Description))
	}
	if diff := testdiff.Diff([]string{`language required=true "programming language"`, `code required=true "the code to review"`}, args); diff != "" {
		t.Errorf("prompt arguments (-want +got):\n%s", diff)
	}

	res, err := c.GetPrompt(ctx, &mcp.GetPromptParams{Name: "code_review", Arguments: map[string]string{"language": "go", "code": "x := 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Description != "Asks for a code review." || len(res.Messages) != 1 || res.Messages[0].Role != "user" {
		t.Fatalf("result = %+v", res)
	}
	if got := gosdkText(t, res.Messages[0].Content); got != "Review this go code:\nx := 1" {
		t.Errorf("message = %q", got)
	}

	for _, bad := range []map[string]string{
		{"language": "go"},                 // missing required code
		{"language": "cobol", "code": "x"}, // not in the enum
	} {
		if _, err := c.GetPrompt(ctx, &mcp.GetPromptParams{Name: "code_review", Arguments: bad}); gosdkWireCode(err) != int64(fastmcp.CodeInvalidParams) {
			t.Errorf("GetPrompt(%v): err = %v, want invalid params", bad, err)
		}
	}
}

func TestGoSDKComplete(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	cases := []struct {
		name     string
		ref      *mcp.CompleteReference
		arg      string
		value    string
		want     []string
		wantCode int64
	}{
		{"prompt enum prefix", &mcp.CompleteReference{Type: "ref/prompt", Name: "code_review"}, "language", "py", []string{"python"}, 0},
		{"prompt enum empty", &mcp.CompleteReference{Type: "ref/prompt", Name: "code_review"}, "language", "", []string{"go", "python", "rust"}, 0},
		{"prompt free argument", &mcp.CompleteReference{Type: "ref/prompt", Name: "code_review"}, "code", "x", []string{}, 0},
		{"template variable", &mcp.CompleteReference{Type: "ref/resource", URI: "test://users/{id}/profile"}, "id", "b", []string{"bob"}, 0},
		{"template variable fuzzy", &mcp.CompleteReference{Type: "ref/resource", URI: "test://users/{id}/profile"}, "id", "crl", []string{"carol"}, 0},
		{"unknown prompt", &mcp.CompleteReference{Type: "ref/prompt", Name: "nope"}, "x", "", nil, int64(fastmcp.CodeInvalidParams)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.Complete(testkit.Context(t), &mcp.CompleteParams{Ref: tc.ref, Argument: mcp.CompleteParamsArgument{Name: tc.arg, Value: tc.value}})
			if tc.wantCode != 0 {
				if code := gosdkWireCode(err); code != tc.wantCode {
					t.Fatalf("err = %v (code %d), want code %d", err, code, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(tc.want, res.Completion.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoSDKProgress(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	progress := make(chan *mcp.ProgressNotificationParams, 64)
	c := connectGoSDK(t, f.srv, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params
		},
	}, "")

	// Tokens come back exactly as sent: a string, or a number (which the
	// SDK decodes as float64).
	for _, tc := range []struct {
		name      string
		token     any
		wantToken any
	}{
		{"string token", "tok-42", "tok-42"},
		{"number token", 7, 7.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := &mcp.CallToolParams{Name: "count", Arguments: map[string]any{"steps": 3}}
			params.SetProgressToken(tc.token)
			res, err := c.CallTool(testkit.Context(t), params)
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			for i := 1; i <= 3; i++ {
				p := gosdkAwait(t, progress, fmt.Sprintf("progress notification %d", i))
				if p.ProgressToken != tc.wantToken {
					t.Errorf("token = %#v (%T), want %#v", p.ProgressToken, p.ProgressToken, tc.wantToken)
				}
				if p.Progress != float64(i) || p.Total != 3 || p.Message != fmt.Sprintf("step %d", i) {
					t.Errorf("notification %d = %+v", i, p)
				}
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		before := c.countMethod("notifications/progress")
		res, err := c.CallTool(testkit.Context(t), &mcp.CallToolParams{Name: "count", Arguments: map[string]any{"steps": 2}})
		if err != nil || res.IsError {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		// Anything sent before the response has been recorded by now.
		if after := c.countMethod("notifications/progress"); after != before {
			t.Errorf("%d progress notifications for a call without a progress token", after-before)
		}
	})
}

func TestGoSDKLogging(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	logs := make(chan *mcp.LoggingMessageParams, 64)
	c := connectGoSDK(t, f.srv, &mcp.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			logs <- req.Params
		},
	}, "")
	ctx := testkit.Context(t)

	type entry struct {
		Level  mcp.LoggingLevel
		Logger string
		Data   any
	}
	all := []entry{
		{"info", "", map[string]any{"message": "info message", "user": "ada"}},
		{"warning", "db", map[string]any{"message": "warning message", "attempt": 2.0}},
		{"error", "", "error message"},
	}
	for _, tc := range []struct {
		level mcp.LoggingLevel
		want  []entry
	}{
		{"info", all},
		{"error", all[2:]},
		{"debug", append([]entry{{"debug", "", "debug message"}}, all...)},
	} {
		t.Run(string(tc.level), func(t *testing.T) {
			if err := c.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: tc.level}); err != nil {
				t.Fatal(err)
			}
			before := c.countMethod("notifications/message")
			res, err := c.CallTool(ctx, &mcp.CallToolParams{Name: "log"})
			if err != nil || res.IsError {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			if n := c.countMethod("notifications/message") - before; n != len(tc.want) {
				t.Errorf("server sent %d log messages at level %s, want %d", n, tc.level, len(tc.want))
			}
			var got []entry
			for range tc.want {
				p := gosdkAwait(t, logs, "a log message")
				got = append(got, entry{p.Level, p.Logger, p.Data})
			}
			if diff := testdiff.Diff(tc.want, got); diff != "" {
				t.Errorf("log messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoSDKCancellation(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")

	ctx, cancel := context.WithCancel(testkit.Context(t))
	defer cancel()
	callErr := make(chan error, 1)
	go func() {
		_, err := c.CallTool(ctx, &mcp.CallToolParams{Name: "block"})
		callErr <- err
	}()
	gosdkAwait(t, f.blockStarted, "the tool to start")
	cancel()
	if err := gosdkAwait(t, callErr, "CallTool to return"); !errors.Is(err, context.Canceled) {
		t.Errorf("CallTool returned %v, want context.Canceled", err)
	}
	// The SDK sends notifications/cancelled; the handler's context ends.
	cause := gosdkAwait(t, f.blockObserved, "the handler to observe cancellation")
	if cause == nil || !strings.Contains(cause.Error(), "cancel") {
		t.Errorf("handler's context ended with cause %v, want a client cancellation", cause)
	}

	// The session still works.
	if err := c.Ping(testkit.Context(t), nil); err != nil {
		t.Fatalf("ping after cancellation: %v", err)
	}

	// Once the server has stopped, everything it wrote has been recorded:
	// the cancelled request must have no response.
	c.close()
	var callID, cancelledID json.RawMessage
	for _, m := range c.Sent() {
		switch m.Method {
		case "tools/call":
			callID = m.ID
		case "notifications/cancelled":
			var p struct {
				RequestID json.RawMessage `json:"requestId"`
			}
			if err := json.Unmarshal(m.Params, &p); err != nil {
				t.Fatal(err)
			}
			cancelledID = p.RequestID
		}
	}
	if callID == nil || string(callID) != string(cancelledID) {
		t.Fatalf("tools/call id %s, notifications/cancelled requestId %s", callID, cancelledID)
	}
	for _, m := range c.Received() {
		if m.Method == "" && string(m.ID) == string(callID) {
			t.Errorf("server answered the cancelled request: result=%s error=%s", m.Result, m.Error)
		}
	}
}

func TestGoSDKServerPing(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, "")
	sessions := f.srv.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("server has %d sessions, want 1", len(sessions))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() { errs <- sessions[0].Ping(testkit.Context(t)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Session.Ping: %v", err)
		}
	}
	pings := 0
	for _, m := range c.Received() {
		if m.Method == "ping" && m.ID != nil {
			pings++
		}
	}
	if pings != 3 {
		t.Errorf("server sent %d ping requests, want 3", pings)
	}
}

func TestGoSDKResourceSubscription(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	updated := make(chan string, 16)
	c := connectGoSDK(t, f.srv, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
			updated <- req.Params.URI
		},
	}, "")
	ctx := testkit.Context(t)

	for _, uri := range []string{"test://counter", "test://greeting"} {
		if err := c.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
	}
	f.srv.ResourceUpdated("test://counter")
	if got := gosdkAwait(t, updated, "resources/updated"); got != "test://counter" {
		t.Errorf("updated %q, want test://counter", got)
	}

	if err := c.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "test://counter"}); err != nil {
		t.Fatal(err)
	}
	// Notifications are sent and handled in order: when the update of the
	// still-subscribed resource arrives, one for the unsubscribed resource
	// would have arrived before it.
	f.srv.ResourceUpdated("test://counter")
	f.srv.ResourceUpdated("test://blob") // never subscribed
	f.srv.ResourceUpdated("test://greeting")
	if got := gosdkAwait(t, updated, "resources/updated"); got != "test://greeting" {
		t.Errorf("updated %q, want only test://greeting after unsubscribing test://counter", got)
	}
}

func TestGoSDKListChanged(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   func(ch chan<- struct{}) *mcp.ClientOptions
		add    func(s *fastmcp.Server)
		remove func(s *fastmcp.Server)
		list   func(ctx context.Context, cs *mcp.ClientSession) ([]string, error)
		item   string
	}{
		{
			name: "tools",
			opts: func(ch chan<- struct{}) *mcp.ClientOptions {
				return &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { ch <- struct{}{} }}
			},
			add: func(s *fastmcp.Server) {
				fastmcp.AddTool(s, fastmcp.Tool{Name: "late_tool", Description: "Added at run time."},
					func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "late", nil })
			},
			remove: func(s *fastmcp.Server) { s.RemoveTools("late_tool") },
			list: func(ctx context.Context, cs *mcp.ClientSession) ([]string, error) {
				res, err := cs.ListTools(ctx, nil)
				if err != nil {
					return nil, err
				}
				var out []string
				for _, x := range res.Tools {
					out = append(out, x.Name)
				}
				return out, nil
			},
			item: "late_tool",
		},
		{
			name: "resources",
			opts: func(ch chan<- struct{}) *mcp.ClientOptions {
				return &mcp.ClientOptions{ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { ch <- struct{}{} }}
			},
			add: func(s *fastmcp.Server) {
				s.AddResource(fastmcp.Resource{URI: "test://late", Name: "late", Load: fastmcp.StaticText("late")})
			},
			remove: func(s *fastmcp.Server) { s.RemoveResources("test://late") },
			list: func(ctx context.Context, cs *mcp.ClientSession) ([]string, error) {
				res, err := cs.ListResources(ctx, nil)
				if err != nil {
					return nil, err
				}
				var out []string
				for _, x := range res.Resources {
					out = append(out, x.URI)
				}
				return out, nil
			},
			item: "test://late",
		},
		{
			name: "prompts",
			opts: func(ch chan<- struct{}) *mcp.ClientOptions {
				return &mcp.ClientOptions{PromptListChangedHandler: func(context.Context, *mcp.PromptListChangedRequest) { ch <- struct{}{} }}
			},
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "late_prompt", Description: "Added at run time."},
					func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "late", nil })
			},
			remove: func(s *fastmcp.Server) { s.RemovePrompts("late_prompt") },
			list: func(ctx context.Context, cs *mcp.ClientSession) ([]string, error) {
				res, err := cs.ListPrompts(ctx, nil)
				if err != nil {
					return nil, err
				}
				var out []string
				for _, x := range res.Prompts {
					out = append(out, x.Name)
				}
				return out, nil
			},
			item: "late_prompt",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newGoSDKFixture(t)
			changed := make(chan struct{}, 64)
			c := connectGoSDK(t, f.srv, tc.opts(changed), "")
			ctx := testkit.Context(t)

			// waitFor waits for list_changed notifications until the list
			// does (or does not) hold the item. Notifications for the
			// fixture's own registrations may arrive too, so one
			// notification alone proves nothing.
			waitFor := func(present bool) {
				t.Helper()
				for {
					gosdkAwait(t, changed, tc.name+" list_changed")
					items, err := tc.list(ctx, c.ClientSession)
					if err != nil {
						t.Fatal(err)
					}
					if slices.Contains(items, tc.item) == present {
						return
					}
				}
			}
			items, err := tc.list(ctx, c.ClientSession)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(items, tc.item) {
				t.Fatalf("%s listed before it was added", tc.item)
			}
			tc.add(f.srv)
			waitFor(true)
			tc.remove(f.srv)
			waitFor(false)
		})
	}
}

// TestGoSDKNoListChangedForEarlierRegistrations: a client that connects
// right after the server was set up must not be told that lists changed: they
// changed before it connected.
func TestGoSDKNoListChangedForEarlierRegistrations(t *testing.T) {
	t.Parallel()
	// A debounce window wide enough that connecting surely happens inside
	// it; with the default 10ms, stdio clients that connect right after
	// start-up hit the same bug.
	s := testkit.NewServer(t, fastmcp.Options{ListChangedDelay: 300 * time.Millisecond})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "early", Description: "Registered before serving."},
		func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "early", nil })
	changed := make(chan struct{}, 4)
	c := connectGoSDK(t, s, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	}, "")
	if _, err := c.ListTools(testkit.Context(t), nil); err != nil {
		t.Fatal(err)
	}
	// Observing that something does not happen needs a bounded wait: three
	// debounce windows.
	select {
	case <-changed:
		t.Error("client told the tool list changed, though it has not changed since the client connected")
	case <-time.After(900 * time.Millisecond):
	}
}

func TestGoSDKCommandTransport(t *testing.T) {
	bins := exampleBinaries(t)
	t.Parallel()
	ctx := testkit.Context(t)
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-interop", Version: "1.8.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: exec.Command(bins.quickstart)}, nil)
	if err != nil {
		t.Fatalf("connect to %s: %v", bins.quickstart, err)
	}
	closed := false
	defer func() {
		if !closed {
			cs.Close()
		}
	}()
	// The SDK's default: it probes with server/discover and stays on
	// the sessionless 2026-07-28 revision.
	if got := cs.InitializeResult(); got.ProtocolVersion != fastmcp.ProtocolVersion20260728 || got.ServerInfo.Name != "Addition" {
		t.Errorf("initialize result = %+v, serverInfo %+v", got, got.ServerInfo)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "add" {
		t.Fatalf("tools = %+v", tools.Tools)
	}
	for _, tc := range []struct {
		a, b float64
		want string
	}{
		{2, 3, "5"},
		{0.5, 0.25, "0.75"},
		{-1e3, 1, "-999"},
		{math.MaxInt32, 1, "2147483648"},
	} {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": tc.a, "b": tc.b}})
		if err != nil || res.IsError {
			t.Fatalf("add(%v, %v): res=%+v err=%v", tc.a, tc.b, res, err)
		}
		if got := gosdkText(t, res.Content[0]); got != tc.want {
			t.Errorf("add(%v, %v) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	// Close closes the server's stdin and waits for it to exit; an exit
	// status other than 0 is an error.
	closed = true
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// exampleBins are the paths of the built example servers.
type exampleBins struct {
	quickstart, everything string
}

var exampleBuild struct {
	mu    sync.Mutex
	users int // tests holding the binaries
	dir   string
	bins  exampleBins
}

// exampleBinaries builds examples/quickstart and examples/everything and
// returns their paths. The binaries are shared: the first test to ask builds
// them into a temporary directory, which is removed when the last test
// holding them ends. Call it before t.Parallel: every top-level test runs its
// serial part before any parallel part resumes, so all of them hold the
// binaries before any lets go, and they are built once per test binary.
func exampleBinaries(t testing.TB) exampleBins {
	t.Helper()
	b := &exampleBuild
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == 0 {
		dir, err := os.MkdirTemp("", "fastmcp-examples-")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "github.com/fastmcp-go/fastmcp/examples/quickstart", "github.com/fastmcp-go/fastmcp/examples/everything")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build ./examples/...: %v\n%s", err, out)
		}
		exe := ""
		if runtime.GOOS == "windows" {
			exe = ".exe"
		}
		b.dir = dir
		b.bins = exampleBins{
			quickstart: filepath.Join(dir, "quickstart"+exe),
			everything: filepath.Join(dir, "everything"+exe),
		}
	}
	b.users++
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.users--; b.users == 0 {
			os.RemoveAll(b.dir)
			b.dir, b.bins = "", exampleBins{}
		}
	})
	return b.bins
}
