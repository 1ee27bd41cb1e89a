package proxy_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// A proxy of a remote server, called by a client of the proxy.
func Example() {
	ctx := context.Background()

	// The upstream: any MCP server. Here a FastMCP one on a loopback port.
	weather := fastmcp.New(fastmcp.Options{Name: "weather", Version: "1.0.0"})
	fastmcp.AddTool(weather, fastmcp.Tool{Name: "forecast", Description: "Tomorrow's weather in a city"},
		func(ctx *fastmcp.Context, args struct {
			City string `json:"city"`
		}) (string, error) {
			return "Sunny in " + args.City, nil
		})
	upstream := httptest.NewServer(weather.Handler(fastmcp.HTTP{}))
	defer upstream.Close()

	// The proxy mirrors the upstream on a FastMCP server of its own...
	p, err := proxy.New(ctx, proxy.Options{
		Upstream: proxy.Upstream{URL: upstream.URL + "/mcp"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// ...served like any other: p.Server().Start(ctx, fastmcp.HTTP{Port: 8080}).
	front := httptest.NewServer(p.Server().Handler(fastmcp.HTTP{}))
	defer front.Close()

	client := mcp.NewClient(&mcp.Implementation{Name: "example", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: front.URL + "/mcp"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "forecast", Arguments: map[string]any{"city": "Lyon"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs.InitializeResult().ServerInfo.Name+":", res.Content[0].(*mcp.TextContent).Text)
	// Output: weather: Sunny in Lyon
}

// A proxy that forwards each caller's bearer token to the upstream, on
// upstream sessions of the caller's own.
func ExamplePerUser() {
	ctx := context.Background()
	server := fastmcp.New(fastmcp.Options{
		Name: "gateway", Version: "1.0.0",
		// The upstream checks the tokens; the proxy passes them on.
		Authenticate: proxy.PassBearer(),
	})
	p, err := proxy.New(ctx, proxy.Options{
		Upstream: proxy.Upstream{URL: "https://mcp.example.com/mcp"},
		Server:   server,
		PerUser:  &proxy.PerUser{Identify: proxy.ForwardBearer, MaxUsers: 500},
	})
	if err != nil {
		log.Print(err) // the example's upstream does not exist
		return
	}
	defer p.Close()
	log.Fatal(server.Start(ctx, fastmcp.HTTP{Port: 8080}))
}
