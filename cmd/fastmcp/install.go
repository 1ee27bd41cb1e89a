package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp/cmd/fastmcp/internal/ojson"
	"github.com/fastmcp-go/fastmcp/cmd/fastmcp/internal/udiff"
)

var installCommand = &command{
	name:    "install",
	summary: "add a server to Claude Desktop, Claude Code, Cursor or VS Code",
	usage: `fastmcp install <client> [flags] <server> [-- server-args...]
fastmcp install <client> [flags] -- <command> [args...]

<client> is claude-desktop, claude-code, cursor or vscode.`,
	help: `Install adds the server to an MCP client's configuration file, or updates
the entry of the same name. Every other entry, and every other setting in the
file, is kept as it is, in its order. The file is backed up first, next to
it (<file>.<time>.bak), and written atomically. --dry-run prints the change
as a unified diff and writes nothing.

What is written:
  a Go package  is built (go build) into --bin-dir, by default the directory
                "go install" uses ($GOBIN, or $GOPATH/bin), and the entry runs
                that binary: rerun install after changing the code.
  a command     runs with its path made absolute (clients start servers with
                a minimal PATH and another working directory), as are its
                arguments that name existing files.
  a URL         is a remote server entry ("url", "headers" from --header and
                --bearer), except for Claude Desktop, which starts only local
                commands: there the entry runs "fastmcp run <url>" with this
                fastmcp binary's absolute path, which relays stdio to the URL.
--env adds environment variables to a command's entry. Tokens given with
--bearer, --header or --env are stored in the file in plain text.

Configuration files (--config overrides; --scope chooses where it applies):
  claude-desktop  claude_desktop_config.json in the Claude directory of the
                  user configuration: ~/Library/Application Support/Claude on
                  macOS, %APPDATA%\Claude on Windows, ~/.config/Claude on
                  Linux (where no official build exists; it is what the
                  community builds read). Format: {"mcpServers": {name:
                  {"command", "args", "env"}}}.
  claude-code     --scope local (default, as "claude mcp add"): ~/.claude.json,
                  under "projects" and the absolute working directory;
                  --scope user: ~/.claude.json at the top level; --scope
                  project: .mcp.json in the working directory. Each holds
                  "mcpServers": {name: {"type": "stdio", "command", "args",
                  "env"} or {"type": "http"|"sse", "url", "headers"}}.
  cursor          --scope user (default): ~/.cursor/mcp.json; --scope project:
                  .cursor/mcp.json. Format: {"mcpServers": {name: {"command",
                  "args", "env"} or {"url", "headers"}}}.
  vscode          --scope project (default): .vscode/mcp.json in the working
                  directory; --scope user: mcp.json in the VS Code user
                  directory (~/Library/Application Support/Code/User,
                  %APPDATA%\Code\User, ~/.config/Code/User). Format:
                  {"servers": {name: {"type": "stdio", "command", "args",
                  "env"} or {"type": "http"|"sse", "url", "headers"}},
                  "inputs": []}. Comments in the file are accepted but not
                  kept (the backup has them).
Restart the client (or reload its MCP servers) to pick the change up.`,
	examples: `fastmcp install claude-desktop ./cmd/weather --env API_KEY=secret
fastmcp install cursor ./examples/everything --name everything --dry-run
fastmcp install claude-code --scope project -- npx -y @acme/mcp-server
fastmcp install vscode https://example.com/mcp --bearer "$TOKEN" --name acme
fastmcp install claude-desktop ./server --config /tmp/claude_desktop_config.json`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		o := &installOptions{}
		f.String(&o.name, "name", "n", "NAME", "the entry's name (default: from the package, command or host)")
		f.List(&o.env, "env", "e", "K=V", "an environment variable for the server (repeatable)")
		f.List(&o.headers, "header", "H", "K:V", "an HTTP header for a URL server (repeatable)")
		f.String(&o.bearer, "bearer", "", "TOKEN", "send Authorization: Bearer TOKEN to a URL server")
		f.Bool(&o.sse, "sse", "", "the URL server speaks the legacy HTTP+SSE transport")
		f.String(&o.config, "config", "c", "PATH", "the configuration file to write (default: the client's)")
		f.String(&o.scope, "scope", "s", "SCOPE", "where the entry applies: user, project or local (see above)")
		f.Bool(&o.dryRun, "dry-run", "", "print the change as a unified diff; write nothing")
		f.String(&o.binDir, "bin-dir", "", "DIR", "where a Go package's binary goes (default: $GOBIN or $GOPATH/bin)")
		return func(ctx context.Context, args, server []string) int {
			if len(args) == 0 {
				return a.fail("install", usagef("which client? claude-desktop, claude-code, cursor or vscode"))
			}
			o.client = args[0]
			if _, ok := clients[o.client]; !ok {
				msg := fmt.Sprintf("unknown client %q: want claude-desktop, claude-code, cursor or vscode", o.client)
				if s := suggest(o.client, clientNames()); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				return a.fail("install", usagef("%s", msg))
			}
			t, rest, err := a.serverArgs(args[1:], server)
			if err == nil && len(rest) > 0 {
				err = usagef("unexpected arguments %q (give the server's own arguments after --)", rest)
			}
			if err != nil {
				return a.fail("install", err)
			}
			if err := a.install(ctx, o, t); err != nil {
				return a.fail("install", err)
			}
			return exitOK
		}
	},
}

type installOptions struct {
	client, name, config, scope, bearer, binDir string
	env, headers                                []string
	sse, dryRun                                 bool
}

// clientSpec describes where and how a client keeps its MCP servers.
type clientSpec struct {
	title        string
	scopes       []string // the first is the default
	serversKey   string
	typeForStdio bool // entries carry "type": "stdio"
	remote       bool // the client takes URL entries
}

var clients = map[string]clientSpec{
	"claude-desktop": {title: "Claude Desktop", scopes: []string{"user"}, serversKey: "mcpServers"},
	"claude-code":    {title: "Claude Code", scopes: []string{"local", "user", "project"}, serversKey: "mcpServers", typeForStdio: true, remote: true},
	"cursor":         {title: "Cursor", scopes: []string{"user", "project"}, serversKey: "mcpServers", remote: true},
	"vscode":         {title: "VS Code", scopes: []string{"project", "user"}, serversKey: "servers", typeForStdio: true, remote: true},
}

func clientNames() []string {
	var names []string
	for n := range clients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// configPath returns the client's configuration file for a scope.
func configPath(client, scope string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory (%v): give the file with --config", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	appData := func() string {
		if d := os.Getenv("APPDATA"); d != "" {
			return d
		}
		return filepath.Join(home, "AppData", "Roaming")
	}
	userConfig := func() string {
		switch runtime.GOOS {
		case "darwin":
			return filepath.Join(home, "Library", "Application Support")
		case "windows":
			return appData()
		}
		if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
			return d
		}
		return filepath.Join(home, ".config")
	}
	switch client {
	case "claude-desktop":
		return filepath.Join(userConfig(), "Claude", "claude_desktop_config.json"), nil
	case "claude-code":
		if scope == "project" {
			return filepath.Join(cwd, ".mcp.json"), nil
		}
		return filepath.Join(home, ".claude.json"), nil
	case "cursor":
		if scope == "project" {
			return filepath.Join(cwd, ".cursor", "mcp.json"), nil
		}
		return filepath.Join(home, ".cursor", "mcp.json"), nil
	case "vscode":
		if scope == "user" {
			return filepath.Join(userConfig(), "Code", "User", "mcp.json"), nil
		}
		return filepath.Join(cwd, ".vscode", "mcp.json"), nil
	}
	return "", fmt.Errorf("unknown client %q", client)
}

func (a *app) install(ctx context.Context, o *installOptions, t *target) error {
	spec := clients[o.client]
	scope := o.scope
	if scope == "" {
		scope = spec.scopes[0]
	}
	if !slices.Contains(spec.scopes, scope) {
		return usagef("%s has no --scope %q (it has %s)", o.client, scope, strings.Join(spec.scopes, ", "))
	}
	cf := &connFlags{headers: o.headers, bearer: o.bearer, sse: o.sse, env: o.env}
	if err := cf.check(t); err != nil {
		return err
	}
	name := o.name
	if name == "" {
		name = defaultName(t)
	}
	if strings.TrimSpace(name) == "" {
		return usagef("give the entry a name with --name")
	}
	path := o.config
	if path == "" {
		var err error
		if path, err = configPath(o.client, scope); err != nil {
			return err
		}
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}

	entry, err := a.installEntry(ctx, o, spec, t, cf)
	if err != nil {
		return err
	}

	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	root := &ojson.Object{}
	indent := "  "
	if exists && len(bytes.TrimSpace(old)) > 0 {
		v, err := ojson.Decode(old)
		if err != nil {
			stripped, changed := ojson.StripJSONC(old)
			if !changed {
				return fmt.Errorf("%s is not valid JSON (%v): fix it, or give another file with --config", path, err)
			}
			if v, err = ojson.Decode(stripped); err != nil {
				return fmt.Errorf("%s is not valid JSON (%v): fix it, or give another file with --config", path, err)
			}
			fmt.Fprintf(a.stderr, "note: %s has comments or trailing commas, which the rewritten file will not keep (the backup will)\n", path)
		}
		obj, ok := v.(*ojson.Object)
		if !ok {
			return fmt.Errorf("%s holds a JSON %s, not an object: is it the right file?", path, jsonKind(v))
		}
		root = obj
		indent = ojson.DetectIndent(old)
	}

	// Find, or make, the object holding the servers.
	parent := root
	if o.client == "claude-code" && scope == "local" {
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		projects, err := childObject(root, "projects", path)
		if err != nil {
			return err
		}
		if parent, err = childObject(projects, cwd, path); err != nil {
			return err
		}
	}
	servers, err := childObject(parent, spec.serversKey, path)
	if err != nil {
		return err
	}
	replaced := servers.Set(name, entry)
	if o.client == "vscode" {
		if _, ok := root.Get("inputs"); !ok {
			root.Set("inputs", []any{})
		}
	}
	out, err := ojson.Marshal(root, indent)
	if err != nil {
		return err
	}
	out = append(out, '\n')

	verb := "Added"
	if replaced {
		verb = "Updated"
	}
	if o.dryRun {
		diff := udiff.Diff(path, path, string(old), string(out), 3)
		if !exists {
			diff = udiff.Diff("/dev/null", path, "", string(out), 3)
		}
		if diff == "" {
			fmt.Fprintf(a.stdout, "%s already has this entry %q; nothing would change.\n", path, name)
			return nil
		}
		fmt.Fprint(a.stdout, diff)
		fmt.Fprintf(a.stderr, "(dry run: %s would be %s; nothing was written)\n", path, map[bool]string{true: "updated", false: "created"}[exists])
		return nil
	}
	if exists && bytes.Equal(old, out) {
		fmt.Fprintf(a.stdout, "%s already has the entry %q as it would be written; nothing to do.\n", path, name)
		return nil
	}
	backup := ""
	if exists {
		if backup, err = writeBackup(path, old); err != nil {
			return err
		}
	}
	if err := writeAtomic(path, out); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s %s server %q in %s\n", verb, spec.title, name, path)
	if backup != "" {
		fmt.Fprintf(a.stdout, "Backup of the previous file: %s\n", backup)
	}
	fmt.Fprintf(a.stdout, "Restart %s (or reload its MCP servers) to use it.\n", spec.title)
	return nil
}

// installEntry builds the configuration entry of the server.
func (a *app) installEntry(ctx context.Context, o *installOptions, spec clientSpec, t *target, cf *connFlags) (*ojson.Object, error) {
	e := &ojson.Object{}
	if t.kind == kindURL && spec.remote {
		headers, _ := cf.httpHeaders()
		kind := "http"
		if useSSE(t.url, o.sse) {
			kind = "sse"
		}
		if o.client != "cursor" {
			e.Set("type", kind)
		}
		e.Set("url", t.url)
		if len(headers) > 0 {
			h := &ojson.Object{}
			var keys []string
			for k := range headers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				h.Set(k, strings.Join(headers[k], ", "))
			}
			e.Set("headers", h)
		}
		return e, nil
	}

	var command string
	var args []string
	switch t.kind {
	case kindURL:
		// Claude Desktop starts local commands only: fastmcp relays.
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding this fastmcp binary for the relay: %w", err)
		}
		command = self
		args = []string{"run", t.url}
		if o.sse {
			args = append(args, "--sse")
		}
		for _, h := range o.headers {
			args = append(args, "--header", h)
		}
		if o.bearer != "" {
			args = append(args, "--bearer", o.bearer)
		}
	case kindGo:
		dir := o.binDir
		if dir == "" {
			var err error
			if dir, err = goBinDir(ctx); err != nil {
				return nil, err
			}
		}
		dir, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		command = filepath.Join(dir, t.binName())
		if !o.dryRun {
			if err := a.build(ctx, t, nil); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			if err := copyExecutable(t.command, command); err != nil {
				return nil, err
			}
		}
		args = absArgs(t.args)
	case kindCommand:
		command = t.command
		if !filepath.IsAbs(command) {
			if p, err := exec.LookPath(command); err == nil {
				if abs, err := filepath.Abs(p); err == nil {
					command = abs
				}
			}
		}
		args = absArgs(t.args)
	}
	if spec.typeForStdio {
		e.Set("type", "stdio")
	}
	e.Set("command", command)
	anyArgs := make([]any, len(args))
	for i, s := range args {
		anyArgs[i] = s
	}
	e.Set("args", anyArgs)
	if len(o.env) > 0 {
		env := &ojson.Object{}
		for _, kv := range o.env {
			k, v, _ := strings.Cut(kv, "=")
			env.Set(k, v)
		}
		e.Set("env", env)
	}
	return e, nil
}

// absArgs makes the arguments that name existing files absolute: the
// client starts the server from another directory.
func absArgs(args []string) []string {
	out := make([]string, len(args))
	for i, s := range args {
		out[i] = s
		if !strings.HasPrefix(s, "-") && s != "" && !filepath.IsAbs(s) && exists(s) {
			if abs, err := filepath.Abs(s); err == nil {
				out[i] = abs
			}
		}
	}
	return out
}

// defaultName names an entry after what the server is.
func defaultName(t *target) string {
	switch t.kind {
	case kindURL:
		host := strings.TrimPrefix(strings.TrimPrefix(t.url, "https://"), "http://")
		host, _, _ = strings.Cut(host, "/")
		host, _, _ = strings.Cut(host, ":")
		return host
	case kindGo:
		return strings.TrimSuffix(t.binName(), ".exe")
	}
	base := strings.TrimSuffix(filepath.Base(t.command), filepath.Ext(t.command))
	switch base {
	case "node", "python", "python3", "npx", "uvx", "uv", "deno", "bun", "bunx", "docker", "go", "java", "ruby", "pipx":
		// An interpreter: name it after what it runs.
		for _, a := range t.args {
			if !strings.HasPrefix(a, "-") && a != "run" && a != "exec" {
				a = strings.TrimSuffix(a, "/")
				b := filepath.Base(a)
				if i := strings.LastIndex(b, "@"); i > 0 {
					b = b[:i]
				}
				return strings.TrimSuffix(b, filepath.Ext(b))
			}
		}
	}
	return base
}

// goBinDir is where go install puts binaries.
func goBinDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("asking go where binaries go (%v): give a directory with --bin-dir", err)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
		return strings.TrimSpace(lines[0]), nil
	}
	if len(lines) > 1 && strings.TrimSpace(lines[1]) != "" {
		gopath := strings.Split(strings.TrimSpace(lines[1]), string(os.PathListSeparator))[0]
		return filepath.Join(gopath, "bin"), nil
	}
	return "", errors.New("go reports neither GOBIN nor GOPATH: give a directory with --bin-dir")
}

func copyExecutable(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		return fmt.Errorf("writing the server binary: %w", err)
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the server binary: %w", err)
	}
	return nil
}

// childObject returns the object at key, making it if missing.
func childObject(o *ojson.Object, key, path string) (*ojson.Object, error) {
	v, ok := o.Get(key)
	if !ok || v == nil {
		child := &ojson.Object{}
		o.Set(key, child)
		return child, nil
	}
	child, ok := v.(*ojson.Object)
	if !ok {
		return nil, fmt.Errorf("%q in %s is a JSON %s, not an object: fix the file, or give another with --config", key, path, jsonKind(v))
	}
	return child, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case *ojson.Object:
		return "object"
	}
	return "number"
}

// writeBackup copies the file's old content next to it.
func writeBackup(path string, data []byte) (string, error) {
	stamp := time.Now().Format("20060102-150405")
	backup := path + "." + stamp + ".bak"
	for i := 2; exists(backup); i++ {
		backup = fmt.Sprintf("%s.%s-%d.bak", path, stamp, i)
	}
	mode := fs.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.WriteFile(backup, data, mode); err != nil {
		return "", fmt.Errorf("backing up %s: %w (nothing was changed)", path, err)
	}
	return backup, nil
}

// writeAtomic writes the file through a temporary file and a rename, so a
// client never reads half of it, keeping its permissions.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), mode)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
