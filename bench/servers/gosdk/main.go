// Command gosdk is the benchmark's add server written with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk): Streamable HTTP, stateful, on
// 127.0.0.1:-port at /mcp, with JSONResponse so plain calls are answered with
// application/json like the other two servers (the SDK's default would open
// an SSE stream for every POST). Everything else is at its default (DNS
// rebinding protection on, no session timeout, no session cap). Sessionless
// 2026-07-28 requests go to a second handler with Stateless: true, the only
// kind of handler of the SDK that serves that revision. With -stdio it
// serves one client over standard input and output (mcp.StdioTransport).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"

	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// AddArgs are the arguments of the add tool.
type AddArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

func main() {
	f := benchsrv.Register()
	sse := flag.Bool("sse", false, "leave JSONResponse off (answer every POST with an SSE stream)")
	flag.Parse()
	benchsrv.FreeMemoryOnSignal()

	server := mcp.NewServer(&mcp.Implementation{Name: "bench-add", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx context.Context, req *mcp.CallToolRequest, args AddArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: strconv.FormatFloat(args.A+args.B, 'f', -1, 64)},
			}}, nil, nil
		})

	if f.Stdio {
		if err := server.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			log.Print(err)
			os.Exit(1)
		}
		return
	}
	getServer := func(*http.Request) *mcp.Server { return server }
	stateful := mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{JSONResponse: !*sse})
	// The SDK serves 2026-07-28 requests only with a stateless handler, and
	// a stateless handler serves no sessions: requests without a session
	// that declare 2026-07-28 or later go to a second, stateless handler.
	stateless := mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{JSONResponse: !*sse, Stateless: true})
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Session-Id") == "" && r.Header.Get("Mcp-Protocol-Version") >= "2026-07-28" {
			stateless.ServeHTTP(w, r)
			return
		}
		stateful.ServeHTTP(w, r)
	}))
	if err := benchsrv.Serve(f.Addr(), mux); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
