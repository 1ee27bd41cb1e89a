package fastmcp_test

import (
	"context"
	"errors"
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
	s, raw := mrtrServer(t, fastmcp.Options{})
	modernChanged := make(chan struct{}, 1)
	modern := gosdkModernClient(t, raw.url, "", modernChanged)
	legacy := gosdkModernClient(t, raw.url, fastmcp.LatestHandshakeProtocolVersion, nil)
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
