// Command fastmcp-proxy is the benchmark's add server behind a FastMCP
// proxy: the fastmcp server's add tool served on a loopback port of its own,
// and proxy.New in front of it, serving what the load generator talks to
// (Streamable HTTP on 127.0.0.1:-port at /mcp; with -stdio, one client over
// standard input and output).
//
// Both run in this one process, so the process's CPU time (what the load
// generator reads) is the proxy's plus the upstream's, at the one GOMAXPROCS
// the load generator gives every server: set it beside fastmcp to see what
// the extra hop costs. The proxy is at its defaults (a pool of up to
// proxy.DefaultMaxSessions upstream sessions shared by all clients, the
// upstream's default protocol revision, 2026-07-28); both servers' HTTP
// transports take -max-sessions, as the fastmcp server does.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
	"github.com/fastmcp-go/fastmcp/proxy"
)

// AddArgs are the arguments of the add tool.
type AddArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

func main() {
	f := benchsrv.Register()
	maxSessions := flag.Int("max-sessions", 0, "HTTP.MaxSessions of the proxy and of the upstream (0: the library default, 10000)")
	flag.Parse()
	benchsrv.FreeMemoryOnSignal()
	ctx := context.Background()

	// The upstream: the fastmcp benchmark server's tool, on a free
	// loopback port.
	upstream := fastmcp.New(fastmcp.Options{Name: "bench-add", Version: "1.0.0"})
	fastmcp.AddTool(upstream, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	addrc := make(chan net.Addr, 1)
	go func() {
		err := upstream.Serve(ctx, fastmcp.HTTP{Host: "127.0.0.1", Port: -1, MaxSessions: *maxSessions,
			OnListen: func(a net.Addr) { addrc <- a }})
		log.Printf("upstream: %v", err)
		os.Exit(1)
	}()
	var url string
	select {
	case a := <-addrc:
		url = "http://" + a.String() + "/mcp"
	case <-time.After(30 * time.Second):
		log.Print("the upstream did not listen")
		os.Exit(1)
	}

	p, err := proxy.New(ctx, proxy.Options{Upstream: proxy.Upstream{URL: url}})
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
	var t fastmcp.Transport = fastmcp.HTTP{Host: f.Host, Port: f.Port, MaxSessions: *maxSessions}
	if f.Stdio {
		t = fastmcp.Stdio{}
	}
	if err := p.Server().Start(ctx, t); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
