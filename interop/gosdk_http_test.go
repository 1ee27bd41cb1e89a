package interop_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The official Go SDK client over Streamable HTTP and the legacy HTTP+SSE
// transport.

// 100 clients of the official Go SDK, each running a whole session at once.
func TestHTTPConcurrentClients(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	h := ts.Handler
	tr := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	ctx := testkit.Context(t)
	const clients = 100
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			client := mcp.NewClient(&mcp.Implementation{Name: "load", Version: "1"}, nil)
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.Endpoint, HTTPClient: hc}, nil)
			if err != nil {
				errc <- fmt.Errorf("client %d: connect: %w", i, err)
				return
			}
			defer cs.Close()
			tools, err := cs.ListTools(ctx, nil)
			if err != nil || len(tools.Tools) != 2 {
				errc <- fmt.Errorf("client %d: list tools: %v %v", i, tools, err)
				return
			}
			for j := range 5 {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": i, "b": j}})
				if err != nil {
					errc <- fmt.Errorf("client %d call %d: %w", i, j, err)
					return
				}
				txt, ok := res.Content[0].(*mcp.TextContent)
				if !ok || res.IsError || txt.Text != strconv.Itoa(i+j) {
					errc <- fmt.Errorf("client %d call %d: %+v", i, j, res.Content[0])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	testkit.Eventually(t, "every session to end", func() bool { return h.SessionCount() == 0 })
}

// htTestServer returns a server with the tools the HTTP tests use:
//
//   - add: a + b
//   - chatty: reports progress and logs before returning "done"
//   - session-needs: calls ctx.Sample, ctx.Elicit and ctx.Roots, and reports
//     what each returned.
func htTestServer(t testing.TB) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{})
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "Adds two numbers."},
		func(ctx *fastmcp.Context, a addArgs) (string, error) {
			return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "chatty", Description: "Reports progress and logs, then answers."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			_ = ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2, Message: "half way"})
			ctx.Info("working")
			return "done", nil
		})
	return s
}

func TestLegacySSEGoSDK(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, htLegacyOpts)
	h := ts.Handler
	ctx := testkit.Context(t)
	var mu sync.Mutex
	var progress []float64
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-legacy", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, r.Params.Progress)
			mu.Unlock()
		},
	})
	cs, err := client.Connect(ctx, &mcp.SSEClientTransport{Endpoint: ts.URL + "/sse", HTTPClient: testkit.HTTPClient(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the Go SDK negotiated %s over legacy SSE", cs.InitializeResult().ProtocolVersion)
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 2 {
		t.Fatalf("ListTools: %v %v", tools, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": 1.5, "b": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if txt, ok := res.Content[0].(*mcp.TextContent); !ok || txt.Text != "3.5" {
		t.Errorf("add: %+v", res.Content[0])
	}
	params := &mcp.CallToolParams{Name: "chatty", Arguments: map[string]any{}}
	params.SetProgressToken("p1")
	if res, err := cs.CallTool(ctx, params); err != nil || res.IsError {
		t.Fatalf("chatty: %v %v", res, err)
	}
	if err := cs.Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if h.SessionCount() != 1 {
		t.Errorf("SessionCount %d", h.SessionCount())
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	testkit.Eventually(t, "the session to end after the client closed", func() bool { return h.SessionCount() == 0 })
	mu.Lock()
	t.Logf("progress received: %v", progress)
	mu.Unlock()
}

// htLegacyOpts are the options of the legacy tests.
var htLegacyOpts = fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}
