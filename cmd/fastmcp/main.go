// Command fastmcp develops, calls, inspects and installs MCP servers.
//
//	fastmcp run <server>               run a server (stdio, or --transport http)
//	fastmcp proxy <server>             serve a proxy of a server (stdio or HTTP)
//	fastmcp dev <server> [--watch]     an interactive terminal client
//	fastmcp list <server>              list tools, resources and prompts
//	fastmcp call <server> <tool> ...   call one tool
//	fastmcp inspect <server>           open the MCP Inspector
//	fastmcp install <client> <server>  add the server to Claude, Cursor or VS Code
//	fastmcp new <dir>                  scaffold a server module
//	fastmcp version                    the version and protocol revisions
//
// A <server> is a Go package (built with go build), a command line, or an
// http(s) URL; run "fastmcp help servers" for the rules. Install it with
//
//	go install github.com/fastmcp-go/fastmcp/cmd/fastmcp@latest
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit statuses. They are documented in "fastmcp help exit-status" and in
// the help of list and call, which scripts rely on.
const (
	exitOK       = 0
	exitFailure  = 1 // the tool reported an error (isError), or a command failed
	exitUsage    = 2 // bad flags or arguments
	exitConnect  = 3 // the server could not be built, started or reached
	exitProtocol = 4 // the server answered a request with a JSON-RPC error
	exitSignal   = 130
)

func main() {
	// SIGINT cancels the command's context. Unlike signal.NotifyContext,
	// stopSignals gives SIGINT up without cancelling the context.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	go func() {
		<-sigs
		cancel()
	}()
	a := &app{
		stdin:       os.Stdin,
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		getenv:      os.Getenv,
		stopSignals: func() { signal.Stop(sigs) },
	}
	code := a.main(ctx, os.Args[1:])
	cancel()
	os.Exit(code)
}

// app is one invocation of the command: its streams and environment, so that
// commands can be run in-process by tests.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stopSignals, when set, undoes main's handling of SIGINT, so that dev
	// can take SIGINT over (to cancel a call instead of exiting).
	stopSignals func()
}

// command is one subcommand.
type command struct {
	name     string
	summary  string
	usage    string
	help     string
	examples string
	// setup declares the command's flags and returns its runner, which gets
	// the positional arguments and the words after "--" (nil without).
	setup func(a *app, f *flagSet) func(ctx context.Context, args, server []string) int
}

// commandList is set in init: help refers to it, which would otherwise be
// an initialization cycle.
var commandList []*command

func init() {
	commandList = []*command{
		runCommand, proxyCommand, devCommand, listCommand, callCommand, inspectCommand,
		installCommand, newCommand, versionCommand, helpCommand,
	}
}

func commands() []*command { return commandList }

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (a *app) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		a.usage(a.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(a.stderr, "fastmcp: unknown command %q\n", name)
		if s := suggest(name, commandNames()); s != "" {
			fmt.Fprintf(a.stderr, "Did you mean %q?\n", s)
		}
		fmt.Fprintln(a.stderr, "Run 'fastmcp help' for the list of commands.")
		return exitUsage
	}
	return a.runCommand(ctx, cmd, args[1:])
}

func (a *app) runCommand(ctx context.Context, cmd *command, args []string) int {
	f := newFlagSet(cmd.name)
	run := cmd.setup(a, f)
	positional, server, err := f.parse(args)
	if errors.Is(err, errHelp) {
		a.commandHelp(a.stdout, cmd, f)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "fastmcp %s: %v\n", cmd.name, err)
		fmt.Fprintf(a.stderr, "Run 'fastmcp %s --help' for usage.\n", cmd.name)
		return exitUsage
	}
	return run(ctx, positional, server)
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `fastmcp develops, calls, inspects and installs MCP servers.

Usage:
  fastmcp <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
A <server> is a Go package, a command line or an http(s) URL:
  fastmcp list ./cmd/myserver
  fastmcp list -- node build/index.js --verbose
  fastmcp list https://example.com/mcp --bearer "$TOKEN"

Run 'fastmcp help <command>' for a command's flags and examples,
'fastmcp help servers' for how <server> is understood, and
'fastmcp help exit-status' for the exit statuses scripts can rely on.
`)
}

// usageError is an error in how the command was invoked: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// fail reports err for the command and returns the exit status it implies.
func (a *app) fail(cmd string, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "fastmcp %s: %v\n", cmd, err)
		fmt.Fprintf(a.stderr, "Run 'fastmcp %s --help' for usage.\n", cmd)
		return exitUsage
	}
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	fmt.Fprintf(a.stderr, "fastmcp %s: %s", cmd, msg)
	return exitStatus(err)
}
