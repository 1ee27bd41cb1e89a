// Command mcpgo is the benchmark's add server written with mark3labs/mcp-go:
// Streamable HTTP on 127.0.0.1:-port at /mcp, stateful (WithStateful: the
// server tracks session ids and answers 404 for unknown ones, like the other
// two servers; mcp-go's default only generates ids without tracking them).
// mcp-go answers plain calls with application/json by default (it upgrades to
// SSE only when a handler sends notifications). Everything else is at its
// default: DNS-rebinding protection on, no idle TTL, no session cap, and no
// input-schema validation or panic recovery (-validate turns both on, which
// FastMCP and the Go SDK always do). With -stdio it serves one client over
// standard input and output (server.ServeStdio at its defaults).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"

	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	f := benchsrv.Register()
	validate := flag.Bool("validate", false, "enable WithInputSchemaValidation and WithRecovery")
	flag.Parse()
	benchsrv.FreeMemoryOnSignal()

	opts := []server.ServerOption{server.WithToolCapabilities(true)}
	if *validate {
		opts = append(opts, server.WithInputSchemaValidation(), server.WithRecovery())
	}
	s := server.NewMCPServer("bench-add", "1.0.0", opts...)
	s.AddTool(mcp.NewTool("add",
		mcp.WithDescription("Add two numbers"),
		mcp.WithNumber("a", mcp.Required(), mcp.Description("the first number")),
		mcp.WithNumber("b", mcp.Required(), mcp.Description("the second number")),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		a, err := req.RequireFloat("a")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		b, err := req.RequireFloat("b")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(strconv.FormatFloat(a+b, 'f', -1, 64)), nil
	})

	if f.Stdio {
		if err := server.ServeStdio(s); err != nil {
			log.Print(err)
			os.Exit(1)
		}
		return
	}
	handler := server.NewStreamableHTTPServer(s, server.WithStateful(true))
	mux := http.NewServeMux()
	mux.Handle("/mcp", handler)
	if err := benchsrv.Serve(f.Addr(), mux); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
