// Command gosdk is the benchmark's add server written with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk): Streamable HTTP, stateful, on
// 127.0.0.1:-port at /mcp, with JSONResponse so plain calls are answered with
// application/json like the other two servers (the SDK's default would open
// an SSE stream for every POST). Everything else is at its default (DNS
// rebinding protection on, no session timeout, no session cap).
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

	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{JSONResponse: !*sse})
	mux := http.NewServeMux()
	mux.Handle("/mcp", handler)
	if err := benchsrv.Serve(f.Addr(), mux); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
