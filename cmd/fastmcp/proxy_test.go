package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioClient runs the fastmcp binary with args as a stdio MCP server and
// connects the Go SDK client to it.
func stdioClient(t *testing.T, opts *mcp.ClientOptions, args ...string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(cliBin, args...)
	cmd.Env = cliEnv()
	cmd.Dir = repoRoot
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatalf("fastmcp %s: %v", strings.Join(args, " "), err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func waitSignal(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
	return ""
}

// TestRunRelaysNotificationsOutsideRequests: fastmcp run <url> serves a
// proxy over stdio, so what the remote server sends outside any request
// reaches the stdio client: list changes and resource updates. (The relay
// that came before passed only the messages of requests.)
func TestRunRelaysNotificationsOutsideRequests(t *testing.T) {
	t.Parallel()
	url := startHTTP(t, nil, everything, "--transport", "http", "--port", "0")
	toolsChanged := make(chan string, 8)
	updated := make(chan string, 8)
	cs := stdioClient(t, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- "tools" },
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			updated <- r.Params.URI
		},
	}, "run", url)

	if info := cs.InitializeResult().ServerInfo; info == nil || info.Name != "fastmcp-everything" {
		t.Errorf("serverInfo %+v, want the remote server's", info)
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "test_trigger_tool_change"})
	if err != nil || res.IsError {
		t.Fatalf("test_trigger_tool_change: %v %+v", err, res)
	}
	waitSignal(t, toolsChanged, "notifications/tools/list_changed, sent by the remote server outside any request")

	// The watched resource changes every few seconds: its updates come
	// outside any request too.
	if err := cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: "test://watched-resource"}); err != nil {
		t.Fatal(err)
	}
	if got := waitSignal(t, updated, "notifications/resources/updated"); got != "test://watched-resource" {
		t.Errorf("updated %q", got)
	}
}

// TestProxyCommand serves proxies of a Go package and of a URL over HTTP and
// over stdio, and calls them with fastmcp call.
func TestProxyCommand(t *testing.T) {
	t.Parallel()
	// A Go package, built, behind an HTTP proxy.
	url := startHTTP(t, nil, cliBin, "proxy", "./examples/everything", "--transport", "http", "--port", "0")
	run(t, cliOpts{}, "call", url, "test_simple_text").want(t, exitOK, "simple text response")
	run(t, cliOpts{}, "list", url).want(t, exitOK, "test_simple_text", "test://static-text", "test_simple_prompt")

	// A URL, behind an HTTP proxy and behind a stdio one.
	upstream := startHTTP(t, nil, everything, "--transport", "http", "--port", "0")
	url = startHTTP(t, nil, cliBin, "proxy", upstream, "--transport", "http", "--port", "0")
	run(t, cliOpts{}, "call", url, "test_sampling", "prompt=hi", "--sampling-reply", "through the proxy").
		want(t, exitOK, "through the proxy")
	run(t, cliOpts{}, "call", "test_sampling", "prompt=hi", "--sampling-reply", "over stdio", "--", cliBin, "proxy", upstream).
		want(t, exitOK, "over stdio")

	// A command over stdio, behind a stdio proxy.
	run(t, cliOpts{}, "call", "test_simple_text", "--", cliBin, "proxy", "--", everything).
		want(t, exitOK, "simple text response")

	// Usage errors.
	res := run(t, cliOpts{}, "proxy", upstream, "--forward-bearer")
	res.want(t, exitUsage)
	res.wantStderr(t, "--forward-bearer needs --transport http")
	run(t, cliOpts{}, "proxy", upstream, "--port", "9").want(t, exitUsage)
	run(t, cliOpts{}, "proxy", upstream, "--transport", "pigeon").want(t, exitUsage)
	res = run(t, cliOpts{}, "proxy", "http://127.0.0.1:9/mcp")
	res.want(t, exitConnect)
	res.wantStderr(t, "cannot reach")
}

// TestProxyForwardBearer: with --forward-bearer, each client's token reaches
// the upstream, and a client without one is refused.
func TestProxyForwardBearer(t *testing.T) {
	t.Parallel()
	upstream := startHTTP(t, nil, sessions, "--transport", "http", "--port", "0")
	url := startHTTP(t, nil, cliBin, "proxy", upstream, "--bearer", "demo-alice-admin", "--transport", "http", "--port", "0", "--forward-bearer")
	run(t, cliOpts{}, "call", url, "whoami", "--bearer", "demo-erin-admin").want(t, exitOK, `"userId":"erin"`)
	run(t, cliOpts{}, "call", url, "whoami", "--bearer", "demo-alice-admin").want(t, exitOK, `"userId":"alice"`)
	res := run(t, cliOpts{}, "call", url, "whoami")
	if res.code == exitOK {
		t.Errorf("a client without a token was served:\n%s", res)
	}
}
