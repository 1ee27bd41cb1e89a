package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// errHelp is returned by flagSet.parse for -h and --help.
var errHelp = flag.ErrHelp

// flagSet is a flag.FlagSet that remembers the order flags were declared in,
// for the help text, and parses flags anywhere among the arguments: the
// standard library's parser stops at the first argument that is not a flag,
// but "fastmcp call ./server add a=1 --json" should work.
type flagSet struct {
	fs   *flag.FlagSet
	docs []flagDoc
}

type flagDoc struct {
	name, short, value, usage string
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{fs: fs}
}

func (f *flagSet) doc(name, short, value, usage string) {
	f.docs = append(f.docs, flagDoc{name, short, value, usage})
}

func (f *flagSet) Bool(p *bool, name, short, usage string) {
	f.fs.BoolVar(p, name, *p, usage)
	if short != "" {
		f.fs.BoolVar(p, short, *p, usage)
	}
	f.doc(name, short, "", usage)
}

func (f *flagSet) String(p *string, name, short, value, usage string) {
	f.fs.StringVar(p, name, *p, usage)
	if short != "" {
		f.fs.StringVar(p, short, *p, usage)
	}
	f.doc(name, short, value, usage)
}

func (f *flagSet) Int(p *int, name, short, value, usage string) {
	f.fs.IntVar(p, name, *p, usage)
	if short != "" {
		f.fs.IntVar(p, short, *p, usage)
	}
	f.doc(name, short, value, usage)
}

func (f *flagSet) Duration(p *time.Duration, name, value, usage string) {
	f.fs.DurationVar(p, name, *p, usage)
	f.doc(name, "", value, usage)
}

// List declares a flag that may be repeated.
func (f *flagSet) List(p *[]string, name, short, value, usage string) {
	f.fs.Var((*listValue)(p), name, usage)
	if short != "" {
		f.fs.Var((*listValue)(p), short, usage)
	}
	f.doc(name, short, value, usage)
}

// Set reports whether the flag was given on the command line.
func (f *flagSet) Set(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	return set
}

type listValue []string

func (l *listValue) String() string     { return strings.Join(*l, ",") }
func (l *listValue) Set(s string) error { *l = append(*l, s); return nil }

// parse parses args. It returns the positional arguments and, separately,
// the words after "--" (the server's command line), or nil without "--".
func (f *flagSet) parse(args []string) (positional, server []string, err error) {
	if i := slices.Index(args, "--"); i >= 0 {
		server = append([]string{}, args[i+1:]...)
		if len(server) == 0 {
			return nil, nil, errors.New(`nothing follows "--": give the server's command line after it`)
		}
		args = args[:i]
	}
	for {
		if err := f.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, errHelp
			}
			return nil, nil, err
		}
		rest := f.fs.Args()
		if len(rest) == 0 {
			return positional, server, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// maxFlagColumn is the widest flag column of the help; longer flags are
// written on a line of their own.
const maxFlagColumn = 26

// help writes the flags section of a command's help.
func (f *flagSet) help(w io.Writer) {
	if len(f.docs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	type row struct{ left, usage string }
	var rows []row
	width := 0
	for _, d := range f.docs {
		left := "--" + d.name
		if d.short != "" {
			left = "-" + d.short + ", " + left
		} else {
			left = "    " + left
		}
		if d.value != "" {
			left += " " + d.value
		}
		rows = append(rows, row{left, d.usage})
		if len(left) <= maxFlagColumn {
			width = max(width, len(left))
		}
	}
	rows = append(rows, row{"-h, --help", "show this help"})
	for _, r := range rows {
		lines := strings.Split(r.usage, "\n")
		if len(r.left) > width {
			// A long flag gets its own line, the text under it.
			fmt.Fprintf(w, "  %s\n", r.left)
			for _, l := range lines {
				fmt.Fprintf(w, "  %-*s  %s\n", width, "", l)
			}
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-*s  %s\n", width, "", l)
		}
	}
}

func (a *app) commandHelp(w io.Writer, cmd *command, f *flagSet) {
	fmt.Fprintln(w, "Usage:")
	for _, l := range strings.Split(strings.TrimSpace(cmd.usage), "\n") {
		if l == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.TrimSpace(cmd.help))
	f.help(w)
	if cmd.examples != "" {
		fmt.Fprintln(w, "\nExamples:")
		for _, l := range strings.Split(strings.Trim(cmd.examples, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// suggest returns the candidate closest to s, if any is close.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist || (d == bestDist && best == "" && strings.HasPrefix(c, s)) {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// help is "fastmcp help [command|topic]".
var helpCommand = &command{
	name:    "help",
	summary: "show help for a command or topic",
	usage:   "fastmcp help [command | servers | exit-status]",
	help:    "Help shows the help of a command, or of a topic: servers (how <server> is understood) or exit-status.",
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		return func(ctx context.Context, args, _ []string) int {
			if len(args) == 0 {
				a.usage(a.stdout)
				return exitOK
			}
			switch args[0] {
			case "servers", "server":
				fmt.Fprint(a.stdout, serversHelp)
				return exitOK
			case "exit-status", "exit", "status":
				fmt.Fprint(a.stdout, exitStatusHelp)
				return exitOK
			}
			cmd := findCommand(args[0])
			if cmd == nil {
				fmt.Fprintf(a.stderr, "fastmcp help: no command or topic %q (topics: servers, exit-status)\n", args[0])
				return exitUsage
			}
			f := newFlagSet(cmd.name)
			cmd.setup(a, f)
			a.commandHelp(a.stdout, cmd, f)
			return exitOK
		}
	},
}

const exitStatusHelp = `Exit statuses of fastmcp:

  0  success
  1  call: the tool reported an error (its result has isError: true);
     other commands: the command failed (a file could not be written, ...)
  2  usage: unknown command, bad flags, bad tool arguments (--args that are
     not JSON, an argument that is not key=value)
  3  connection: the server could not be built, started or reached, refused
     the credentials, failed the handshake, did not answer within --timeout,
     or the connection dropped
  4  protocol: the server answered a request with a JSON-RPC error (an
     unknown tool, invalid parameters, a method it does not support)

"fastmcp run" exits with the server's own exit status.
`

const serversHelp = `How fastmcp understands <server>

A server is given as one argument, or as a command line after "--":

  fastmcp list ./cmd/weather                    a Go package
  fastmcp list "node build/index.js --debug"    a command line, quoted
  fastmcp list -- node build/index.js --debug   a command line after --
  fastmcp list https://example.com/mcp          an http(s) URL

The first word decides, in this order:

  1. http:// or https:// is a URL. The path ending in /sse means the legacy
     HTTP+SSE transport (2024-11-05); anything else Streamable HTTP. --sse
     forces legacy SSE. --header and --bearer add HTTP headers.
  2. An existing directory is a Go package: it is built with "go build" (in
     the directory, so its own module applies) into a cache directory, and
     the binary is run over stdio. A file ending in .go is built on its own.
  3. An existing file (./server, /usr/local/bin/server) is a command.
  4. A name found on PATH (node, python3, npx, uvx, docker) is a command.
  5. A Go import path (its first element has a dot, like
     github.com/you/server/cmd/server), optionally with @version, is a Go
     package: with @version it is built with "go install", otherwise with
     "go build" from the current directory's module.

Anything else is an error. The words after the first are the server's own
arguments. A single argument holding spaces is split like a shell would
(quotes and backslashes respected) unless it names an existing file.

Built binaries are cached in $FASTMCP_CACHE_DIR, or the user cache
directory (fastmcp/bin); go build's own cache keeps rebuilds fast.
FASTMCP_DEBUG=1 logs what the MCP client does to stderr.
`

// exitStatus maps an error to an exit status.
func exitStatus(err error) int {
	var ce *connectError
	var pe *protocolError
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &pe):
		return exitProtocol
	case errors.As(err, &ce):
		return exitConnect
	case errors.Is(err, context.Canceled):
		return exitSignal
	}
	return exitFailure
}
