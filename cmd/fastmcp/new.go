package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"unicode"
)

var newCommand = &command{
	name:    "new",
	summary: "scaffold a server module",
	usage:   "fastmcp new [flags] <dir>",
	help: `New creates a Go module for an MCP server in <dir> (which must not exist, or
be empty):

  go.mod        the module (--module, default: the directory's name)
  main.go       a server with one tool, serving stdio, or HTTP with
                --transport http
  main_test.go  a test calling the tool through fastmcptest, the in-memory
                client
  README.md     how to run, test, debug and install it

and runs "go mod tidy" to fetch FastMCP and fill go.sum (--no-tidy skips
it). Then "go test ./..." passes, and "fastmcp dev <dir>" opens it.

--replace DIR adds "replace ` + modulePath + ` => DIR", to build
against a FastMCP checkout (for developing FastMCP itself).`,
	examples: `fastmcp new weather
fastmcp new ./servers/search --module github.com/you/search
cd weather && go test ./... && fastmcp dev .`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var module, name, replace string
		var noTidy bool
		f.String(&module, "module", "m", "PATH", "the module path (default: the directory's name)")
		f.String(&name, "name", "n", "NAME", "the server's name (default: the directory's name)")
		f.String(&replace, "replace", "", "DIR", "build against the FastMCP checkout in DIR")
		f.Bool(&noTidy, "no-tidy", "", "do not run go mod tidy")
		return func(ctx context.Context, args, server []string) int {
			if len(args) != 1 || server != nil {
				return a.fail("new", usagef("give one directory: fastmcp new <dir>"))
			}
			dir := args[0]
			base := filepath.Base(filepath.Clean(dir))
			if module == "" {
				module = moduleName(base)
			}
			if name == "" {
				name = base
			}
			if err := checkModulePath(module); err != nil {
				return a.fail("new", err)
			}
			if replace != "" {
				abs, err := filepath.Abs(replace)
				if err != nil {
					return a.fail("new", err)
				}
				if !exists(filepath.Join(abs, "go.mod")) {
					return a.fail("new", usagef("--replace %s: no go.mod there; give the root of a FastMCP checkout", replace))
				}
				replace = abs
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return a.fail("new", fmt.Errorf("%s exists and is not empty: choose a new directory", dir))
			}
			files, err := scaffold(scaffoldData{Module: module, Name: name, Replace: replace, Version: releasedVersion(), Dir: dir})
			if err != nil {
				return a.fail("new", err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return a.fail("new", err)
			}
			for _, fl := range files {
				if err := os.WriteFile(filepath.Join(dir, fl.name), fl.data, 0o644); err != nil {
					return a.fail("new", err)
				}
				fmt.Fprintf(a.stdout, "created %s\n", filepath.Join(dir, fl.name))
			}
			if !noTidy {
				cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
				cmd.Dir = dir
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Run(); err != nil {
					fmt.Fprintf(a.stderr, "fastmcp new: the module is in %s, but \"go mod tidy\" failed:\n%s\nRun it there once the problem is fixed (a network connection is needed to fetch FastMCP).\n",
						dir, indent(strings.TrimSpace(out.String()), "  "))
					return exitFailure
				}
			}
			fmt.Fprintf(a.stdout, "\nNext:\n  cd %s\n  go test ./...\n  fastmcp dev .\n", shellQuote(dir))
			return exitOK
		}
	},
}

type scaffoldData struct {
	Module, Name, Replace, Version, Dir string
}

type scaffoldFile struct {
	name string
	data []byte
}

func scaffold(d scaffoldData) ([]scaffoldFile, error) {
	var files []scaffoldFile
	for _, f := range []struct{ name, tmpl string }{
		{"go.mod", goModTemplate},
		{"main.go", mainTemplate},
		{"main_test.go", testTemplate},
		{"README.md", readmeTemplate},
	} {
		t, err := template.New(f.name).Parse(f.tmpl)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return nil, err
		}
		files = append(files, scaffoldFile{f.name, b.Bytes()})
	}
	return files, nil
}

// moduleName turns a directory name into a module path.
func moduleName(base string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "server"
	}
	return b.String()
}

func checkModulePath(m string) error {
	if m == "" || strings.ContainsAny(m, " \t\n\"'`\\") || strings.HasPrefix(m, "/") || strings.HasSuffix(m, "/") {
		return usagef("%q is not a module path (like github.com/you/server)", m)
	}
	return nil
}

const goModTemplate = `module {{.Module}}

go 1.26
{{if .Replace}}
require github.com/fastmcp-go/fastmcp v0.0.0-00010101000000-000000000000

replace github.com/fastmcp-go/fastmcp => {{.Replace}}
{{else if .Version}}
require github.com/fastmcp-go/fastmcp {{.Version}}
{{end}}`

const mainTemplate = `// Command {{.Name}} is an MCP server built with FastMCP for Go.
//
//	go run .                                  # serve stdio
//	go run . --transport http --port 8080     # serve Streamable HTTP
package main

import (
	"context"
	"log"

	"github.com/fastmcp-go/fastmcp"
)

// GreetArgs are the arguments of the greet tool. The JSON Schema clients see
// is inferred from this struct: a field is required unless it is omitempty.
type GreetArgs struct {
	Name    string ` + "`" + `json:"name" description:"Who to greet"` + "`" + `
	Excited bool   ` + "`" + `json:"excited,omitempty" description:"End with an exclamation mark"` + "`" + `
}

// newServer returns the server with its tools registered; the tests use it
// too.
func newServer() *fastmcp.Server {
	server := fastmcp.New(fastmcp.Options{Name: "{{.Name}}", Version: "0.1.0"})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "greet", Description: "Greet someone by name"},
		func(ctx *fastmcp.Context, args GreetArgs) (string, error) {
			if args.Name == "" {
				// A UserError is shown to the model as the tool's error.
				return "", fastmcp.NewUserError("name is empty: who should I greet?")
			}
			greeting := "Hello, " + args.Name
			if args.Excited {
				return greeting + "!", nil
			}
			return greeting + ".", nil
		})

	return server
}

func main() {
	// A nil transport lets the command line or the environment choose:
	// stdio by default, HTTP with --transport http (or FASTMCP_TRANSPORT).
	if err := newServer().Start(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
}
`

const testTemplate = `package main

import (
	"testing"

	"github.com/fastmcp-go/fastmcp/fastmcptest"
)

func TestGreet(t *testing.T) {
	c := fastmcptest.Connect(t, newServer(), nil)

	res, err := c.CallTool(t.Context(), "greet", map[string]any{"name": "Ada", "excited": true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fastmcptest.Text(res), "Hello, Ada!"; res.IsError || got != want {
		t.Errorf("greet = %q (isError %v), want %q", got, res.IsError, want)
	}
}

func TestGreetNeedsAName(t *testing.T) {
	c := fastmcptest.Connect(t, newServer(), nil)

	res, err := c.CallTool(t.Context(), "greet", map[string]any{"name": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError {
		t.Errorf("greet with an empty name succeeded: %q", fastmcptest.Text(res))
	}
}
`

const readmeTemplate = "# {{.Name}}\n\n" +
	"An [MCP](https://modelcontextprotocol.io) server built with [FastMCP for Go](https://github.com/fastmcp-go/fastmcp).\n\n" +
	"## Run\n\n" +
	"```sh\n" +
	"go run .                                # stdio, for MCP clients that start it\n" +
	"go run . --transport http --port 8080   # Streamable HTTP at http://127.0.0.1:8080/mcp\n" +
	"```\n\n" +
	"## Develop\n\n" +
	"```sh\n" +
	"go test ./...                           # the tests use the in-memory client, fastmcptest\n" +
	"fastmcp dev . --watch                   # an interactive client; rebuilds on save\n" +
	"fastmcp call . greet name=Ada           # call one tool\n" +
	"fastmcp list .                          # list the tools\n" +
	"fastmcp inspect .                       # the MCP Inspector (needs Node.js)\n" +
	"```\n\n" +
	"`fastmcp` is installed with `go install github.com/fastmcp-go/fastmcp/cmd/fastmcp@latest`.\n\n" +
	"## Use it from an MCP client\n\n" +
	"```sh\n" +
	"fastmcp install claude-desktop .        # or claude-code, cursor, vscode\n" +
	"```\n"
