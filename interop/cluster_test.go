package interop_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The official Go SDK client through three replicas of examples/everything
// (separate processes sharing a redis-server) behind a round-robin proxy
// without affinity: each of its requests, and its GET stream, may land on
// any replica. Sampling, elicitation, progress, list changes and resource
// updates work as with one server.
func TestGoSDKThroughCluster(t *testing.T) {
	bins := exampleBinaries(t)
	t.Parallel()
	proxy, backends := everythingCluster(t, bins.everything)

	progress := make(chan string, 64)
	toolsChanged := make(chan struct{}, 16)
	updated := make(chan string, 16)
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-cluster", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Role: "assistant", Model: "m", Content: &mcp.TextContent{Text: "sdk: " + r.Params.Messages[0].Content.(*mcp.TextContent).Text}}, nil
		},
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"username": "ada", "email": "ada@example.com"}}, nil
		},
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			progress <- fmt.Sprint(r.Params.ProgressToken)
		},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case toolsChanged <- struct{}{}:
			default:
			}
		},
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			select {
			case updated <- r.Params.URI:
			default:
			}
		},
	})
	ctx := testkit.Context(t)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: proxy.URL + "/mcp", MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	call := func(name string, args map[string]any, meta mcp.Meta) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args, Meta: meta})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := gosdkText(t, res.Content[0])
		if res.IsError {
			t.Fatalf("%s: tool error %q", name, text)
		}
		return text
	}
	for i := range 3 {
		if got, want := call("test_sampling", map[string]any{"prompt": fmt.Sprint("hi ", i)}, nil), fmt.Sprint("LLM response: sdk: hi ", i); got != want {
			t.Errorf("sampling: %q, want %q", got, want)
		}
		if got := call("test_elicitation", map[string]any{"message": "who?"}, nil); !strings.Contains(got, "ada") {
			t.Errorf("elicitation: %q", got)
		}
		token := fmt.Sprint("p", i)
		call("test_tool_with_progress", nil, mcp.Meta{"progressToken": token})
		// The SDK hands notifications to their handler apart from the
		// call's result: they may come after it.
		for k := range 3 {
			if got := gosdkAwait(t, progress, fmt.Sprintf("progress %d of call %d", k, i)); got != token {
				t.Fatalf("progress for %q, want %q", got, token)
			}
		}
	}
	// A list change made on whichever replica runs the call reaches the
	// client's GET stream, wherever it is held.
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://watched-resource"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		call("test_trigger_tool_change", nil, nil)
		gosdkAwait(t, toolsChanged, "tools/list_changed")
	}
	// Every replica announces the watched resource every 3 s.
	if uri := gosdkAwait(t, updated, "resources/updated"); uri != "test://watched-resource" {
		t.Errorf("updated %q", uri)
	}
	for _, b := range backends {
		if n := proxy.Served(strings.TrimPrefix(b, "http://")); n == 0 {
			t.Errorf("replica %s served nothing", b)
		}
	}
}

// everythingCluster starts three replicas of examples/everything on a
// redis-server of the test's own, behind a round-robin proxy.
func everythingCluster(t *testing.T, bin string) (*clustertest.Proxy, []string) {
	t.Helper()
	redis := redistest.Start(t)
	var backends []string
	for range 3 {
		r := clustertest.Start(t, bin, "FASTMCP_REDIS_URL="+redis.URL(), "FASTMCP_SECRET=interop-cluster-secret-0123456789abcdef")
		backends = append(backends, r.Base)
	}
	return clustertest.NewProxy(t, backends...), backends
}

// The official TypeScript SDK clients, v1 (handshake era: sampling,
// elicitation, roots, progress, subscriptions, resumption) and v2
// (2026-07-28), at once through the three replicas.
func TestTSThroughCluster(t *testing.T) {
	node := ts2Setup(t)
	bins := exampleBinaries(t)
	t.Parallel()
	proxy, _ := everythingCluster(t, bins.everything)
	url := proxy.URL + "/mcp"
	v1 := ts2Start(t, node, "--import", "./ts2/v1http/register.mjs", filepath.Join("ts", "client.mjs"), "--suite", "everything", url)
	v2 := ts2Start(t, node, filepath.Join("ts2", "client2.mjs"), "http", url)
	v1.wait()
	v2.wait()
	t.Run("v1 client, handshake era", func(t *testing.T) { ts2CheckV1(t, v1, url) })
	t.Run("v2 client, 2026-07-28", func(t *testing.T) { ts2CheckV2(t, v2, "http", 25) })
}
