package interop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The official Go SDK client (v1.8.0), which speaks both eras, against one
// FastMCP server: by default it probes with server/discover and stays on the
// sessionless 2026-07-28 revision, fulfilling input_required results with its
// handlers; asked for 2025-11-25 it initializes a session and answers the
// same handlers' requests over it. The same tools serve both.

// gosdkModernClient connects a Go SDK client with sampling, elicitation and
// roots to the endpoint, asking for protocol version v ("" for the SDK's
// default). toolsChanged receives a value per tools list_changed.
func gosdkModernClient(t testing.TB, endpoint, v string, toolsChanged chan<- struct{}) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-both", Version: "1.8.0"}, &mcp.ClientOptions{
		Capabilities: &mcp.ClientCapabilities{RootsV2: &mcp.RootCapabilities{}, Elicitation: &mcp.ElicitationCapabilities{
			Form: &mcp.FormElicitationCapabilities{}, URL: &mcp.URLElicitationCapabilities{}}},
		CreateMessageHandler: func(ctx context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Role: "assistant", Content: &mcp.TextContent{Text: "Paris"}, Model: "m1"}, nil
		},
		ElicitationHandler: func(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			if req.Params.Mode == "url" {
				return &mcp.ElicitResult{Action: "accept"}, nil
			}
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Ada"}}, nil
		},
		ToolListChangedHandler: func(ctx context.Context, req *mcp.ToolListChangedRequest) {
			if toolsChanged != nil {
				select {
				case toolsChanged <- struct{}{}:
				default:
				}
			}
		},
	})
	client.AddRoots(&mcp.Root{URI: "file:///work", Name: "work"})
	var opts *mcp.ClientSessionOptions
	if v != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: v}
	}
	cs, err := client.Connect(testkit.Context(t), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: testkit.HTTPClient(t), MaxRetries: -1}, opts)
	if err != nil {
		t.Fatalf("connect (%q): %v", v, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestGoSDKBothEras(t *testing.T) {
	t.Parallel()
	s, endpoint := mrtrServer(t, fastmcp.Options{})
	modernChanged := make(chan struct{}, 1)
	modern := gosdkModernClient(t, endpoint, "", modernChanged)
	legacy := gosdkModernClient(t, endpoint, fastmcp.LatestHandshakeProtocolVersion, nil)
	if v := modern.InitializeResult().ProtocolVersion; v != fastmcp.ProtocolVersion20260728 {
		t.Fatalf("default client negotiated %s, want %s", v, fastmcp.ProtocolVersion20260728)
	}
	if v := legacy.InitializeResult().ProtocolVersion; v != fastmcp.LatestHandshakeProtocolVersion {
		t.Fatalf("pinned client negotiated %s", v)
	}
	if info := modern.InitializeResult().ServerInfo; info == nil || info.Name != "test-server" {
		t.Errorf("server info from server/discover: %+v", info)
	}

	calls := []struct{ tool, want string }{
		{"sample", "sampled: Paris by m1"},
		{"form", "accept: Ada"},
		{"url", "url: accept"},
		{"roots", "1 roots, first file:///work"},
		{"two", "accept+accept"},
	}
	// Both clients at once, each on its own goroutine.
	var wg sync.WaitGroup
	for name, cs := range map[string]*mcp.ClientSession{"2026-07-28": modern, "2025-11-25": legacy} {
		wg.Go(func() {
			for _, c := range calls {
				res, err := cs.CallTool(testkit.Context(t), &mcp.CallToolParams{Name: c.tool})
				if err != nil {
					t.Errorf("%s %s: %v", name, c.tool, err)
					continue
				}
				if len(res.Content) == 0 {
					t.Errorf("%s %s: no content: %+v", name, c.tool, res)
					continue
				}
				if got := res.Content[0].(*mcp.TextContent).Text; got != c.want || res.IsError {
					t.Errorf("%s %s: %q (isError %v), want %q", name, c.tool, got, res.IsError, c.want)
				}
			}
			pr, err := cs.GetPrompt(testkit.Context(t), &mcp.GetPromptParams{Name: "p", Arguments: map[string]string{"topic": "go"}})
			if err != nil || len(pr.Messages) == 0 || pr.Messages[0].Content.(*mcp.TextContent).Text != "go with 1 roots" {
				t.Errorf("%s prompts/get: %+v %v", name, pr, err)
			}
			rr, err := cs.ReadResource(testkit.Context(t), &mcp.ReadResourceParams{URI: "test://asks"})
			if err != nil || len(rr.Contents) == 0 || rr.Contents[0].Text != "read after accept" {
				t.Errorf("%s resources/read: %+v %v", name, rr, err)
			}
		})
	}
	wg.Wait()

	// A change reaches the 2026-07-28 client through subscriptions/listen.
	s.ToolsListChanged()
	select {
	case <-modernChanged:
	case <-time.After(testkit.Wait):
		t.Error("the 2026-07-28 client was not told the tool list changed")
	}
}

func TestGoSDKModernStdio(t *testing.T) {
	t.Parallel()
	f := newGoSDKFixture(t)
	c := connectGoSDK(t, f.srv, nil, fastmcp.ProtocolVersion20260728)
	if v := c.InitializeResult().ProtocolVersion; v != fastmcp.ProtocolVersion20260728 {
		t.Fatalf("negotiated %s", v)
	}
	// The connection never initialized: requests are served without a
	// session.
	for _, sess := range f.srv.Sessions() {
		if v := sess.ProtocolVersion(); v != "" {
			t.Errorf("a stdio connection serving 2026-07-28 has a session of %s", v)
		}
	}
	tools, err := c.ListTools(testkit.Context(t), nil)
	if err != nil || len(tools.Tools) == 0 {
		t.Fatalf("tools/list: %v %v", tools, err)
	}
	res, err := c.CallTool(testkit.Context(t), &mcp.CallToolParams{Name: "greet", Arguments: map[string]any{"name": "Ada"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call: %+v %v", res, err)
	}
	_, err = c.ReadResource(testkit.Context(t), &mcp.ReadResourceParams{URI: "test://nothing"})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32602 {
		t.Errorf("unknown resource: %v, want -32602 in 2026-07-28", err)
	}
	sent := c.Sent()
	if len(sent) == 0 || sent[0].Method != "server/discover" {
		t.Errorf("first message %+v, want server/discover", sent)
	}
	for _, m := range sent {
		if m.Method == "initialize" {
			t.Error("the client initialized")
		}
	}
}

// mrtrServer returns a server whose tools ask for input (the fixture of the
// MRTR tests in the library module), served over HTTP, and its endpoint.
func mrtrServer(t testing.TB, opts fastmcp.Options) (*fastmcp.Server, string) {
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
	return s, testkit.ServeHTTP(t, s, fastmcp.HTTP{}).Endpoint
}
