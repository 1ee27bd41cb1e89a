package main

import (
	"bytes"
	"context"
	"errors"
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

--replace DIR adds "replace ` + modulePath + ` => DIR" to go.mod, to build
against the FastMCP clone in DIR: needed until FastMCP for Go is published on
the module proxy, and for developing FastMCP itself. If anything fails,
nothing is left in <dir>.`,
	examples: `fastmcp new weather --replace ~/src/fastmcp
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
				if err := checkCheckout(abs); err != nil {
					return a.fail("new", usagef("--replace %s: %v", replace, err))
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
			undo, err := makeDir(dir)
			if err != nil {
				return a.fail("new", err)
			}
			// Whatever fails from here, nothing is left behind: a half-made
			// module would only be in the way of the next attempt.
			ok := false
			defer func() {
				if !ok {
					undo()
				}
			}()
			for _, fl := range files {
				if err := os.WriteFile(filepath.Join(dir, fl.name), fl.data, 0o644); err != nil {
					return a.fail("new", err)
				}
			}
			if !noTidy {
				cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
				cmd.Dir = dir
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Run(); err != nil {
					return a.fail("new", tidyError(dir, replace, strings.TrimSpace(out.String()), err))
				}
			}
			ok = true
			for _, fl := range files {
				fmt.Fprintf(a.stdout, "created %s\n", filepath.Join(dir, fl.name))
			}
			fmt.Fprintf(a.stdout, "\nNext:\n  cd %s\n  go test ./...\n  fastmcp dev .\n", shellQuote(dir))
			return exitOK
		}
	},
}

// makeDir creates dir (an empty directory may exist already) and returns a
// function that removes what was made: the directories created, or, for an
// existing empty directory, everything put in it.
func makeDir(dir string) (undo func(), err error) {
	dir = filepath.Clean(dir)
	if _, err := os.Stat(dir); err == nil {
		return func() {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}, nil
	}
	// The outermost directory that does not exist yet goes, with all it
	// holds.
	top := dir
	for p := filepath.Dir(top); p != top; p = filepath.Dir(top) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		top = p
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return func() { os.RemoveAll(top) }, nil
}

// tidyError explains a failed "go mod tidy" in the new module. When it could
// not get FastMCP itself, the way out is a local clone.
func tidyError(dir, replace, output string, err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\"go mod tidy\" failed (%v), so %s was removed again. Its output:\n%s\n", err, dir, indent(output, "  "))
	if replace == "" && strings.Contains(output, modulePath) {
		b.WriteString("\nGo could not get " + modulePath + " (see above). Until FastMCP for Go is\n" +
			"published on the module proxy, build against a local clone of it:\n")
		clone := findCheckout()
		if clone == "" {
			clone = "<path to a clone of FastMCP for Go>"
		}
		fmt.Fprintf(&b, "  fastmcp new --replace %s %s\n", shellQuote(clone), shellQuote(dir))
	}
	return errors.New(b.String())
}

// checkCheckout reports why dir is not the root of a FastMCP checkout.
func checkCheckout(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("no go.mod there; give the root of a clone of FastMCP for Go")
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == modulePath {
			return nil
		}
	}
	return fmt.Errorf("the go.mod there is not the module %s; give the root of a clone of FastMCP for Go", modulePath)
}

// findCheckout returns the FastMCP checkout holding the working directory,
// or "".
func findCheckout() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if checkCheckout(dir) == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
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
	"`fastmcp` is installed from a clone of FastMCP for Go: `cd cmd/fastmcp && go install .` there.\n\n" +
	"## Use it from an MCP client\n\n" +
	"```sh\n" +
	"fastmcp install claude-desktop .        # or claude-code, cursor, vscode\n" +
	"```\n"
