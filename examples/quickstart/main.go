// Command quickstart is the smallest FastMCP server: one tool, served over
// stdio, or HTTP when the command line or the environment says so.
//
//	go run ./examples/quickstart                                # stdio
//	go run ./examples/quickstart --transport http --port 8080   # Streamable HTTP
//	go run ./examples/quickstart --help                         # the flags
package main

import (
	"context"
	"log"
	"strconv"

	"github.com/fastmcp-go/fastmcp"
)

// AddArgs are the arguments of the add tool. The JSON Schema the client sees is
// inferred from this struct.
type AddArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

func main() {
	server := fastmcp.New(fastmcp.Options{Name: "Addition", Version: "1.0.0"})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})

	// nil: the command line or the environment chooses the transport.
	if err := server.Start(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
}
