package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
)

var runCommand = &command{
	name:    "run",
	summary: "run a server (stdio, or HTTP with --transport http)",
	usage: `fastmcp run [flags] <server> [-- server-args...]
fastmcp run [flags] -- <command> [args...]`,
	help: `Run builds the server if it is a Go package and runs it in the foreground, as
an MCP client would: over stdio by default.

--transport, --port, --host, --endpoint and --stateless are passed to the
server through its environment (FASTMCP_TRANSPORT, FASTMCP_PORT,
FASTMCP_HOST, FASTMCP_ENDPOINT, FASTMCP_STATELESS), which every FastMCP
server started with Start(ctx, nil) reads (see fastmcp.Auto); flags given to
the server itself after "--" win over them. --port 0 picks a free port; the
server logs the URL it listens on to stderr. Servers written with other
frameworks read what they read: pass their own flags after "--".

On Unix, run replaces itself with the server (exec), so signals, the
terminal and the exit status are the server's own.

For an http(s) URL, run serves over stdio a proxy of the remote server
(Streamable HTTP, or legacy SSE with --sse), with --header and --bearer: a
stdio-only client can use a remote server. Everything reaches the client:
results, the server's questions, progress and log messages, and the
notifications the server sends outside any request (list changes, resource
updates). See 'fastmcp help proxy'.`,
	examples: `fastmcp run ./examples/everything
fastmcp run ./examples/everything --transport http --port 8080
fastmcp run ./cmd/server --transport http --port 0 --stateless
fastmcp run ./cmd/server -- --config dev.yaml
fastmcp run https://example.com/mcp --bearer "$TOKEN"`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var cf connFlags
		var transport, host, endpoint string
		var port int
		var stateless bool
		f.String(&transport, "transport", "t", "stdio|http", "the transport the server serves")
		f.Int(&port, "port", "p", "N", "the HTTP port (0: a free port)")
		f.String(&host, "host", "", "HOST", "the HTTP host to listen on (FastMCP's default: 127.0.0.1)")
		f.String(&endpoint, "endpoint", "", "PATH", "the HTTP endpoint path (FastMCP's default: /mcp)")
		f.Bool(&stateless, "stateless", "", "serve HTTP statelessly (every request on its own)")
		cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			t, rest, err := a.serverArgs(args, server)
			if err != nil {
				return a.fail("run", err)
			}
			if len(rest) > 0 {
				return a.fail("run", usagef("unexpected arguments %q: give the server's own arguments after --", rest))
			}
			if err := cf.check(t); err != nil {
				return a.fail("run", err)
			}
			switch transport {
			case "", "stdio", "http", "streamable-http", "http-stream", "httpStream":
			default:
				return a.fail("run", usagef("--transport %q: want stdio or http", transport))
			}
			if t.kind == kindURL {
				if transport != "" && transport != "stdio" || f.Set("port") || host != "" || stateless {
					return a.fail("run", usagef("run relays a URL server over stdio only; --transport, --port, --host and --stateless do not apply"))
				}
				return a.serveProxy(ctx, "run", t, &cf, &proxyFlags{}, nil)
			}
			env := append([]string{}, cf.env...)
			if transport != "" {
				env = append(env, "FASTMCP_TRANSPORT="+transport)
			}
			if f.Set("port") {
				if port < 0 || port > 65535 {
					return a.fail("run", usagef("--port %d is not a port", port))
				}
				env = append(env, "FASTMCP_PORT="+strconv.Itoa(port))
			}
			if host != "" {
				env = append(env, "FASTMCP_HOST="+host)
			}
			if endpoint != "" {
				env = append(env, "FASTMCP_ENDPOINT="+endpoint)
			}
			if f.Set("stateless") {
				env = append(env, "FASTMCP_STATELESS="+strconv.FormatBool(stateless))
			}
			var buildOut io.Writer
			if cf.verbose {
				buildOut = a.stderr
			}
			if err := a.build(ctx, t, buildOut); err != nil {
				return a.fail("run", err)
			}
			return a.runProcess(ctx, t, env)
		}
	},
}

// serverArgs takes the server of run, dev, inspect and install: the first
// positional argument, followed by the words after "--" as its arguments;
// or, without a positional argument, the words after "--".
func (a *app) serverArgs(args, server []string) (*target, []string, error) {
	if len(args) == 0 {
		if server == nil {
			return nil, nil, usagef("no server given: give a Go package, a command or a URL (see 'fastmcp help servers')")
		}
		t, err := resolveTarget(server)
		return t, nil, err
	}
	words, err := splitServer(args[0], nil)
	if err != nil {
		return nil, nil, err
	}
	words = append(words, server...)
	t, err := resolveTarget(words)
	return t, args[1:], err
}

// runProcess runs a stdio server in the foreground: by exec where it can,
// otherwise as a child with the signals forwarded.
func (a *app) runProcess(ctx context.Context, t *target, env []string) int {
	path := t.command
	if lp, err := exec.LookPath(path); err == nil {
		path = lp
	}
	full := append(os.Environ(), env...)
	// exec only when fastmcp's streams are the process's own (not in tests).
	if canExec && a.stdin == os.Stdin && a.stdout == os.Stdout && a.stderr == os.Stderr {
		err := execReplace(path, append([]string{path}, t.args...), full)
		fmt.Fprintf(a.stderr, "fastmcp run: cannot exec %s: %v\n", path, err)
		return exitConnect
	}
	cmd := exec.Command(path, t.args...)
	cmd.Env = full
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	if err := cmd.Start(); err != nil {
		return a.fail("run", &connectError{msg: "cannot start " + t.display, err: err})
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, terminateSignals...)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case <-ctx.Done():
			_ = cmd.Process.Signal(os.Interrupt)
			ctx = context.Background()
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if code := ee.ExitCode(); code >= 0 {
					return code
				}
				return exitSignal
			}
			if err != nil {
				return a.fail("run", err)
			}
			return exitOK
		}
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
