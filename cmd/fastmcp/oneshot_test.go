package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestListCall runs list and call against examples/everything over each
// transport: stdio (the Go package path, built by fastmcp), Streamable HTTP
// and legacy SSE.
func TestListCall(t *testing.T) {
	t.Parallel()
	base := startHTTP(t, nil, everything, "--transport", "http", "--port", "0")
	servers := []struct{ name, server string }{
		{"stdio", "./examples/everything"},
		{"http", base},
		{"sse", strings.TrimSuffix(base, "/mcp") + "/sse"},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, cliOpts{}, "list", s.server)
			res.want(t, exitOK, "Tools (", "  test_simple_text()\n      Returns a simple text response.",
				"test_sampling(prompt: string)", "Resources (", "test://static-text", "Resource templates (",
				"test://template/{id}/data", "Prompts (", "test_prompt_with_arguments(arg1, arg2)")

			res = run(t, cliOpts{}, "list", s.server, "--tools", "--json")
			res.want(t, exitOK)
			var l struct {
				Tools []struct {
					Name        string         `json:"name"`
					InputSchema map[string]any `json:"inputSchema"`
				} `json:"tools"`
				Prompts []any `json:"prompts"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &l); err != nil {
				t.Fatalf("list --json is not JSON: %v\n%s", err, res)
			}
			if !slices.ContainsFunc(l.Tools, func(tl struct {
				Name        string         `json:"name"`
				InputSchema map[string]any `json:"inputSchema"`
			}) bool {
				return tl.Name == "test_sampling" && tl.InputSchema["type"] == "object"
			}) || l.Prompts != nil {
				t.Errorf("list --tools --json: %d tools without test_sampling, or prompts %v\n%s", len(l.Tools), l.Prompts, res)
			}
			run(t, cliOpts{}, "list", s.server, "--prompts", "--names").
				want(t, exitOK, "test_simple_prompt\n")

			run(t, cliOpts{}, "call", s.server, "test_simple_text").
				want(t, exitOK, "This is a simple text response for testing.\n")

			// A tool error is exit status 1, its message on stderr.
			res = run(t, cliOpts{}, "call", s.server, "test_error_handling")
			res.want(t, exitFailure)
			res.wantStderr(t, "This tool intentionally returns an error for testing")
			if res.stdout != "" {
				t.Errorf("a tool error wrote to stdout: %q", res.stdout)
			}

			// Bad arguments on the command line are usage errors, found
			// before connecting.
			res = run(t, cliOpts{}, "call", s.server, "test_simple_text", "--args", "{not json")
			res.want(t, exitUsage)
			res.wantStderr(t, "--args is not valid JSON")
			run(t, cliOpts{}, "call", s.server, "test_simple_text", "novalue").want(t, exitUsage)

			// An unknown tool is a protocol error, with the tools listed.
			res = run(t, cliOpts{}, "call", s.server, "no_such_tool")
			res.want(t, exitProtocol)
			res.wantStderr(t, "no_such_tool", "its tools: ", "test_simple_text")

			// Logs go to stderr, the result to stdout; --json prints it all.
			res = run(t, cliOpts{}, "call", s.server, "test_tool_with_logging")
			res.want(t, exitOK, "Tool with logging executed successfully")
			res.wantStderr(t, "[info] Tool execution started\n[info] Tool processing data\n[info] Tool execution completed\n")
			res = run(t, cliOpts{}, "call", s.server, "test_tool_with_logging", "--quiet")
			if res.stderr != "" {
				t.Errorf("--quiet: stderr %q", res.stderr)
			}

			res = run(t, cliOpts{}, "call", s.server, "test_multiple_content_types", "--json")
			res.want(t, exitOK)
			var r struct {
				Content []struct {
					Type string `json:"type"`
				} `json:"content"`
				IsError bool `json:"isError"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &r); err != nil || len(r.Content) != 3 || r.Content[1].Type != "image" {
				t.Errorf("call --json: %v, %+v\n%s", err, r, res)
			}
			run(t, cliOpts{}, "call", s.server, "test_multiple_content_types").
				want(t, exitOK, "Multiple content types test:\n[image image/png, ", "[resource test://mixed-content-resource application/json]")
			res = run(t, cliOpts{}, "call", s.server, "test_error_handling", "--json")
			res.want(t, exitFailure, `"isError": true`)

			// Sampling and elicitation answered from the command line.
			run(t, cliOpts{}, "call", s.server, "test_sampling", "prompt=hi", "--sampling-reply", "canned").
				want(t, exitOK, "LLM response: canned")
			run(t, cliOpts{}, "call", s.server, "test_elicitation", "message=who?", "--elicitation-reply", `{"username": "ann", "email": "a@b.c"}`).
				want(t, exitOK, `action=accept`, `"username":"ann"`)
		})
	}
}

// TestArguments checks how call turns key=value pairs and --args into
// arguments, against the fixture's echo tool, which takes every type.
func TestArguments(t *testing.T) {
	t.Parallel()
	const pkg = "./cmd/fastmcp/internal/fixture"
	run(t, cliOpts{}, "call", pkg, "echo", "text=007", "count=2", "mode=upper", "loud=true", `tags=["a","b"]`, "ratio=0.5", "address.city=Paris", "address.zip=75001").
		want(t, exitOK, `007007! {"text":"007","count":2,"mode":"upper","loud":true,"tags":["a","b"],"ratio":0.5,"address":{"city":"Paris","zip":"75001"}}`)
	// Pairs apply over --args; --args - reads stdin.
	run(t, cliOpts{}, "call", pkg, "echo", "--args", `{"text": "x", "address": {"city": "Rome"}}`, "address.zip=00100", "text=y").
		want(t, exitOK, `"text":"y"`, `"address":{"city":"Rome","zip":"00100"}`)
	run(t, cliOpts{stdin: `{"text": "from stdin"}`}, "call", pkg, "echo", "--args", "-").
		want(t, exitOK, `"text":"from stdin"`)
	// A value that does not parse as JSON is a string; the schema refuses
	// what does not fit, as a tool error.
	res := run(t, cliOpts{}, "call", pkg, "echo", "text=hi", "count=lots")
	res.want(t, exitFailure)
	res.wantStderr(t, "count")
	run(t, cliOpts{}, "call", pkg, "echo", "text=hi", "count=9").want(t, exitFailure)
	res = run(t, cliOpts{}, "call", pkg, "echo", "--args", `[1, 2]`)
	res.want(t, exitUsage)
	res.wantStderr(t, "must be a JSON object")
	run(t, cliOpts{}, "call", pkg, "echo", "text=a", "text.x=b").want(t, exitUsage)
	run(t, cliOpts{}, "call", pkg, "echo", "=b").want(t, exitUsage)
}

// TestStreamed checks that streamed partial output, log messages and the
// result arrive in order, over stdio and over Streamable HTTP (where the
// notifications come on the call's event stream).
func TestStreamed(t *testing.T) {
	t.Parallel()
	url := startHTTP(t, nil, fixture, "--transport", "http", "--port", "0")
	for _, server := range []string{"./cmd/fastmcp/internal/fixture", url} {
		res := run(t, cliOpts{}, "call", server, "stream", "--log-level", "debug")
		res.want(t, exitOK, "all parts written\n")
		want := "[info] writing first part\nfirst part\n[info] writing second part\nsecond part\n[info] writing third part\nthird part\n"
		if res.stderr != want {
			t.Errorf("%s: stderr\n%s\nwant\n%s", server, res.stderr, want)
		}
		res = run(t, cliOpts{}, "call", server, "wait", "--timeout", "300ms")
		res.want(t, exitConnect)
		res.wantStderr(t, "did not answer within 300ms")
		res = run(t, cliOpts{}, "call", server, "stream", "--log-level", "warning")
		if strings.Contains(res.stderr, "[info]") || !strings.Contains(res.stderr, "first part") {
			t.Errorf("%s: --log-level warning: stderr\n%s", server, res.stderr)
		}
	}
}

// TestConnectionErrors checks the exit status and the advice when a server
// cannot be built, started or reached.
func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	res := run(t, cliOpts{}, "list", "http://127.0.0.1:1/mcp")
	res.want(t, exitConnect)
	res.wantStderr(t, "is the server running")

	base := startHTTP(t, nil, everything, "--transport", "http", "--port", "0")
	res = run(t, cliOpts{}, "list", strings.TrimSuffix(base, "/mcp")+"/nothing")
	res.want(t, exitConnect)
	res.wantStderr(t, "404", "is it the MCP endpoint?")

	// A package that does not compile.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	res = run(t, cliOpts{}, "list", dir)
	res.want(t, exitConnect)
	res.wantStderr(t, "building", "undefinedThing")

	// A command that is not an MCP server.
	res = run(t, cliOpts{}, "list", "--", "sh", "-c", "echo not a server >&2; exit 3")
	res.want(t, exitConnect)
	res.wantStderr(t, "not a server")

	// dev reports a server it cannot reach the same way.
	res = run(t, cliOpts{}, "dev", "http://127.0.0.1:1/mcp")
	res.want(t, exitConnect, "is the server running")

	// Usage errors.
	run(t, cliOpts{}, "list").want(t, exitUsage)
	run(t, cliOpts{}, "dev", "http://127.0.0.1:1/mcp", "--watch").want(t, exitUsage)
	res = run(t, cliOpts{}, "list", "./no/such/dir")
	res.want(t, exitUsage)
	res.wantStderr(t, "does not exist")
	run(t, cliOpts{}, "list", "./examples/everything", "--bearer", "x").want(t, exitUsage)
	run(t, cliOpts{}, "frobnicate").want(t, exitUsage)
}

// TestSessions runs examples/sessions with its two kinds of identity: a
// bearer token over HTTP, the environment over stdio.
func TestSessions(t *testing.T) {
	t.Parallel()
	run(t, cliOpts{env: []string{"FASTMCP_DEMO_USER=bob-admin"}}, "call", "./examples/sessions", "whoami").
		want(t, exitOK, `"role":"admin"`, `"userId":"bob"`)
	run(t, cliOpts{}, "call", "./examples/sessions", "whoami", "--env", "FASTMCP_DEMO_USER=carol-dev").
		want(t, exitOK, `"userId":"carol"`)

	url := startHTTP(t, nil, sessions, "--transport", "http", "--port", "0")
	run(t, cliOpts{}, "call", url, "whoami", "--bearer", "demo-alice-admin").
		want(t, exitOK, `"userId":"alice"`)
	run(t, cliOpts{}, "call", url, "whoami", "--header", "Authorization: Bearer demo-dave-ops").
		want(t, exitOK, `"userId":"dave"`)
	res := run(t, cliOpts{}, "call", url, "whoami")
	res.want(t, exitConnect)
	res.wantStderr(t, "401", "--bearer")
	run(t, cliOpts{}, "list", url, "--bearer", "demo-alice-admin", "--names").
		want(t, exitOK, "whoami\n", "ask_llm\n")

	// Sampling and elicitation answered by flags; roots are the working
	// directory.
	run(t, cliOpts{}, "call", url, "ask_llm", "prompt=2+2?", "--bearer", "demo-alice-admin", "--sampling-reply", "four").
		want(t, exitOK, "four\n")
	run(t, cliOpts{}, "call", url, "confirm", "question=sure?", "--bearer", "demo-alice-admin", "--elicitation-reply", "decline").
		want(t, exitOK, `"action":"decline"`)
	// Without --sampling-reply the client declares no sampling: the tool
	// fails (a tool error before 2026-07-28, a protocol error after).
	res = run(t, cliOpts{}, "call", "./examples/sessions", "ask_llm", "prompt=hi")
	if res.code != exitFailure && res.code != exitProtocol {
		t.Errorf("ask_llm without sampling: exit status %d\n%s", res.code, res)
	}
	res.wantStderr(t, "sampling")
	run(t, cliOpts{}, "call", "./examples/sessions", "list_roots").
		want(t, exitOK, fileURI(repoRoot))
}

// TestRun starts servers with fastmcp run: --transport and --port reach
// the server, stdio passes through, and a URL is relayed over stdio.
func TestRun(t *testing.T) {
	t.Parallel()
	url := startHTTP(t, nil, cliBin, "run", "./examples/everything", "--transport", "http", "--port", "0")
	if !strings.HasSuffix(url, "/mcp") {
		t.Errorf("run --transport http serves %s, want the /mcp endpoint", url)
	}
	run(t, cliOpts{}, "call", url, "test_simple_text").want(t, exitOK, "simple text response")

	// run over stdio, as the command of another client (fastmcp itself).
	run(t, cliOpts{}, "call", "test_simple_text", "--", cliBin, "run", "./examples/everything").
		want(t, exitOK, "simple text response")

	// run relaying a URL over stdio, with the headers.
	surl := startHTTP(t, nil, sessions, "--transport", "http", "--port", "0")
	run(t, cliOpts{}, "call", "whoami", "--", cliBin, "run", surl, "--bearer", "demo-erin-admin").
		want(t, exitOK, `"userId":"erin"`)
	run(t, cliOpts{}, "call", "ask_llm", "prompt=x", "--sampling-reply", "relayed", "--", cliBin, "run", surl, "--bearer", "demo-erin-admin").
		want(t, exitOK, "relayed")

	run(t, cliOpts{}, "run", "./examples/everything", "--transport", "carrier-pigeon").want(t, exitUsage)
}

func TestInspect(t *testing.T) {
	t.Parallel()
	// A fake npx records its arguments instead of starting the Inspector.
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "npx"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")

	res := run(t, cliOpts{env: []string{path}}, "inspect", "./examples/everything", "-e", "K=V")
	res.want(t, exitOK)
	args, _ := os.ReadFile(record)
	want := "-y\n@modelcontextprotocol/inspector\n-e\nK=V\n--\n"
	if !strings.HasPrefix(string(args), want) || !strings.HasSuffix(string(args), "/everything\n") {
		t.Errorf("npx got arguments\n%s\nwant them to start with\n%send with the built everything binary", args, want)
	}

	res = run(t, cliOpts{env: []string{path}}, "inspect", "http://127.0.0.1:9/mcp", "--bearer", "tok")
	res.want(t, exitOK)
	args, _ = os.ReadFile(record)
	if got := string(args); !strings.Contains(got, "--transport\nhttp\n--server-url\nhttp://127.0.0.1:9/mcp\n--header\nAuthorization: Bearer tok\n") {
		t.Errorf("npx got arguments\n%s", got)
	}

	// Without npx, a message says what to install.
	empty := t.TempDir()
	res = run(t, cliOpts{env: []string{"PATH=" + empty}}, "inspect", "http://127.0.0.1:9/mcp")
	res.want(t, exitFailure)
	res.wantStderr(t, "Install Node.js 22 or later", "https://nodejs.org", "fastmcp dev http://127.0.0.1:9/mcp")
	res = run(t, cliOpts{}, "inspect", "--npx", filepath.Join(empty, "npx"), "http://127.0.0.1:9/mcp")
	res.want(t, exitFailure)
	res.wantStderr(t, "Install Node.js")
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	run(t, cliOpts{}, "version").want(t, exitOK, "fastmcp ", "FastMCP servers:", "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05", "Go SDK v1.8.0")
	res := run(t, cliOpts{}, "version", "--json")
	var v struct {
		Version string   `json:"version"`
		Server  []string `json:"serverProtocolVersions"`
		Client  []string `json:"clientProtocolVersions"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil || v.Version == "" || len(v.Server) < 4 || len(v.Client) == 0 {
		t.Errorf("version --json = %+v, %v\n%s", v, err, res)
	}
	run(t, cliOpts{}, "--help").want(t, exitOK, "Commands:", "install", "help servers")
	for _, c := range commands() {
		res := run(t, cliOpts{}, c.name, "--help")
		res.want(t, exitOK, "Usage:")
		if c.name != "help" && !strings.Contains(res.stdout, "Examples:") {
			t.Errorf("fastmcp %s --help has no examples", c.name)
		}
	}
	run(t, cliOpts{}, "help", "servers").want(t, exitOK, "/sse", "@version")
	run(t, cliOpts{}, "help", "exit-status").want(t, exitOK, "isError")
	run(t, cliOpts{}, "help", "call").want(t, exitOK, "--sampling-reply")
	res = run(t, cliOpts{}, "lsit")
	res.want(t, exitUsage)
	res.wantStderr(t, `Did you mean "list"?`)
}
