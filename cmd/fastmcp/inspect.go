package main

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

const inspectorPackage = "@modelcontextprotocol/inspector"

var inspectCommand = &command{
	name:    "inspect",
	summary: "open the official MCP Inspector on a server",
	usage: `fastmcp inspect [flags] <server> [-- server-args...]
fastmcp inspect [flags] -- <command> [args...]`,
	help: `Inspect builds the server if it is a Go package and starts the official MCP
Inspector (npx ` + inspectorPackage + `) on it: a web UI to browse tools,
resources and prompts and to watch the protocol. It prints a URL to open.

For a stdio server the Inspector is given the server's command, its arguments
and --env variables (-e). For a URL it is given --server-url and --transport
(http, or sse for legacy SSE) and each header as --header "Name: value" (the
flags of the Inspector's recent releases). Flags after the server's
arguments are not the Inspector's: use --inspector-arg to pass it more.

The Inspector needs Node.js (version 22 or later), whose npx fastmcp looks
for on PATH, or at --npx (or $FASTMCP_NPX). Without it, fastmcp says what
to install, and "fastmcp dev" is a terminal client that needs no Node.`,
	examples: `fastmcp inspect ./examples/everything
fastmcp inspect ./cmd/server --env API_KEY=secret
fastmcp inspect https://example.com/mcp --bearer "$TOKEN"
fastmcp inspect --inspector @modelcontextprotocol/inspector@0.17.0 ./cmd/server`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var cf connFlags
		var npx, pkg string
		var extra []string
		f.String(&npx, "npx", "", "PATH", "the npx to run (default: $FASTMCP_NPX, or npx on PATH)")
		f.String(&pkg, "inspector", "", "PACKAGE", "the Inspector package to run (default "+inspectorPackage+")")
		f.List(&extra, "inspector-arg", "", "ARG", "an argument for the Inspector itself (repeatable)")
		cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			t, rest, err := a.serverArgs(args, server)
			if err == nil && len(rest) > 0 {
				err = usagef("unexpected arguments %q (give the server's own arguments after --)", rest)
			}
			if err == nil {
				err = cf.check(t)
			}
			if err != nil {
				return a.fail("inspect", err)
			}
			if npx == "" {
				npx = a.getenv("FASTMCP_NPX")
			}
			if npx == "" {
				p, err := exec.LookPath("npx")
				if err != nil {
					fmt.Fprint(a.stderr, noNodeMessage(t))
					return exitFailure
				}
				npx = p
			} else if p, err := exec.LookPath(npx); err != nil {
				fmt.Fprintf(a.stderr, "fastmcp inspect: %s cannot be run: %v\n", npx, err)
				fmt.Fprint(a.stderr, noNodeMessage(t))
				return exitFailure
			} else {
				npx = p
			}
			if warn := nodeVersionWarning(npx); warn != "" {
				fmt.Fprintln(a.stderr, warn)
			}
			if pkg == "" {
				pkg = inspectorPackage
			}
			var buildOut = a.stderr
			if !cf.verbose {
				buildOut = nil
			}
			if err := a.build(ctx, t, buildOut); err != nil {
				return a.fail("inspect", err)
			}
			argv := inspectorArgs(pkg, t, &cf, extra)
			fmt.Fprintf(a.stderr, "Starting the MCP Inspector: %s %s\n", npx, strings.Join(argv, " "))
			return a.runProcess(ctx, &target{command: npx, args: argv, display: "npx"}, nil)
		}
	},
}

// inspectorArgs are the arguments of npx that start the Inspector on t.
func inspectorArgs(pkg string, t *target, cf *connFlags, extra []string) []string {
	argv := []string{"-y", pkg}
	argv = append(argv, extra...)
	if t.kind == kindURL {
		transport := "http"
		if useSSE(t.url, cf.sse) {
			transport = "sse"
		}
		argv = append(argv, "--transport", transport, "--server-url", t.url)
		headers, _ := cf.httpHeaders()
		for _, k := range slices.Sorted(maps.Keys(headers)) {
			for _, v := range headers[k] {
				argv = append(argv, "--header", k+": "+v)
			}
		}
		return argv
	}
	for _, kv := range cf.env {
		argv = append(argv, "-e", kv)
	}
	argv = append(argv, "--", t.command)
	return append(argv, t.args...)
}

func noNodeMessage(t *target) string {
	return fmt.Sprintf(`fastmcp inspect: the MCP Inspector runs on Node.js, and npx (which comes with
Node.js) is not on PATH.
  Install Node.js 22 or later: https://nodejs.org/en/download
  (or with a package manager: brew install node, winget install OpenJS.NodeJS,
  or your Linux distribution's nodejs and npm packages), then run this
  command again. An npx elsewhere can be given with --npx PATH.
Meanwhile, the terminal client needs no Node:
  fastmcp dev %s
`, t.display)
}

// nodeVersionWarning warns when the node beside npx is older than the
// Inspector needs. It says nothing when it cannot tell.
func nodeVersionWarning(npx string) string {
	node, err := exec.LookPath("node")
	if err != nil {
		return ""
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, err := strconv.Atoi(strings.Split(v, ".")[0])
	if err != nil || major >= 22 {
		return ""
	}
	return fmt.Sprintf("warning: the MCP Inspector needs Node.js 22 or later, and node is %s; if it fails to start, install a newer Node.js from https://nodejs.org", strings.TrimSpace(string(out)))
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'$\\|&;<>()*?") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
