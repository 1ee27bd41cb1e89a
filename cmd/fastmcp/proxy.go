package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
)

var proxyCommand = &command{
	name:    "proxy",
	summary: "serve a proxy of a server (stdio, or HTTP with --transport http)",
	usage: `fastmcp proxy [flags] <server> [-- server-args...]
fastmcp proxy [flags] -- <command> [args...]`,
	help: `Proxy serves a FastMCP server that mirrors <server>: its tools, resources,
resource templates and prompts, kept in sync as they change, each request
forwarded to it over sessions opened once and reused. The upstream's
questions (sampling, elicitation, roots), progress and log messages reach the
client whose call caused them; a client cancelling a call cancels it
upstream.

<server> is anything the other commands accept: a Go package (built first),
a command (one process serves every call), or an http(s) URL of Streamable
HTTP or legacy SSE (--sse, or a path ending in /sse), with --header and
--bearer. The proxy asks the upstream for the newest protocol revision and
takes what it offers (--protocol-version asks for another).

The proxy serves stdio by default: a stdio-only client can use a remote
server, or a server that speaks only an older revision. With --transport
http it serves Streamable HTTP (and legacy SSE) on --host and --port, in both
protocol eras, with FastMCP's production defaults. --port 0 picks a free
port; the URL is logged to stderr.

--forward-bearer makes the proxy require a bearer token of each HTTP client
and open upstream sessions per client with that token, for upstreams that
check it (the proxy does not).`,
	examples: `fastmcp proxy https://example.com/mcp --bearer "$TOKEN"
fastmcp proxy https://example.com/mcp --transport http --port 8080
fastmcp proxy ./examples/everything --transport http --port 0
fastmcp proxy --transport http --port 9000 -- npx -y @modelcontextprotocol/server-everything
fastmcp proxy https://example.com/mcp --transport http --forward-bearer`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var cf connFlags
		var o proxyFlags
		f.String(&o.transport, "transport", "t", "stdio|http", "the transport the proxy serves (default stdio)")
		f.Int(&o.port, "port", "p", "N", "the HTTP port (0: a free port; default 8080)")
		f.String(&o.host, "host", "", "HOST", "the HTTP host to listen on (default 127.0.0.1)")
		f.String(&o.endpoint, "endpoint", "", "PATH", "the HTTP endpoint path (default /mcp)")
		f.Bool(&o.forwardBearer, "forward-bearer", "", "require each HTTP client's bearer token and pass it upstream,\non upstream sessions of the client's own")
		f.Int(&o.maxSessions, "max-sessions", "", "N", "the most upstream sessions of a pool (default 4 for a URL, 1 for a command)")
		cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			t, rest, err := a.serverArgs(args, server)
			if err != nil {
				return a.fail("proxy", err)
			}
			if len(rest) > 0 {
				return a.fail("proxy", usagef("unexpected arguments %q: give the server's own arguments after --", rest))
			}
			if err := cf.check(t); err != nil {
				return a.fail("proxy", err)
			}
			o.portSet = f.Set("port")
			tr, err := o.serverTransport(a)
			if err != nil {
				return a.fail("proxy", err)
			}
			if o.forwardBearer && tr == nil {
				return a.fail("proxy", usagef("--forward-bearer needs --transport http: a stdio client has no bearer token"))
			}
			var buildOut io.Writer
			if cf.verbose {
				buildOut = a.stderr
			}
			if err := a.build(ctx, t, buildOut); err != nil {
				return a.fail("proxy", err)
			}
			return a.serveProxy(ctx, "proxy", t, &cf, &o, tr)
		}
	},
}

// proxyFlags are the flags of the proxy's own serving.
type proxyFlags struct {
	transport, host, endpoint string
	port, maxSessions         int
	portSet, forwardBearer    bool
}

// serverTransport is the HTTP transport the flags ask for, or nil for stdio.
func (o *proxyFlags) serverTransport(a *app) (*fastmcp.HTTP, error) {
	switch o.transport {
	case "", "stdio":
		if o.portSet || o.host != "" || o.endpoint != "" {
			return nil, usagef("--port, --host and --endpoint need --transport http")
		}
		return nil, nil
	case "http", "streamable-http", "http-stream", "httpStream":
	default:
		return nil, usagef("--transport %q: want stdio or http", o.transport)
	}
	h := &fastmcp.HTTP{Host: o.host, Endpoint: o.endpoint}
	if o.portSet {
		if o.port < 0 || o.port > 65535 {
			return nil, usagef("--port %d is not a port", o.port)
		}
		h.Port = o.port
		if o.port == 0 {
			h.Port = -1 // a free port
		}
	}
	return h, nil
}

// upstream is the proxy's Upstream for a target.
func (a *app) upstream(t *target, cf *connFlags) (proxy.Upstream, error) {
	up := proxy.Upstream{ProtocolVersion: cf.protocol, Stderr: a.stderr}
	if t.kind == kindURL {
		headers, err := cf.httpHeaders()
		if err != nil {
			return up, err
		}
		up.URL, up.Header, up.SSE = t.url, headers, useSSE(t.url, cf.sse)
		return up, nil
	}
	up.Command = append([]string{t.command}, t.args...)
	up.Env = cf.env
	return up, nil
}

// serveProxy serves a proxy of t: over stdio (tr nil) or HTTP, until the
// client leaves (stdio), ctx ends or a signal arrives.
func (a *app) serveProxy(ctx context.Context, name string, t *target, cf *connFlags, o *proxyFlags, tr *fastmcp.HTTP) int {
	up, err := a.upstream(t, cf)
	if err != nil {
		return a.fail(name, err)
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := proxy.Options{Upstream: up, Logger: logger, MaxSessions: o.maxSessions}
	if o.forwardBearer {
		// The server's own options must carry the authenticator: make it,
		// named after the upstream once the proxy knows it.
		opts.ServerOptions.Authenticate = proxy.PassBearer()
		opts.PerUser = &proxy.PerUser{Identify: proxy.ForwardBearer}
	}
	opts.ServerOptions.Logger = logger
	p, err := proxy.New(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return a.fail(name, ctx.Err())
		}
		return a.fail(name, &connectError{msg: "cannot reach " + t.display, err: unwrapProxy(err)})
	}
	defer p.Close()
	if tr == nil {
		err = p.Server().Serve(ctx, fastmcp.Stdio{Reader: a.stdin, Writer: nopWriteCloser{a.stdout}})
	} else {
		err = p.Server().Start(ctx, *tr) // logs the URL it listens on
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return a.fail(name, err)
	}
	return exitOK
}

// unwrapProxy drops the proxy's prefix from a connection error: the command
// says what failed.
func unwrapProxy(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
