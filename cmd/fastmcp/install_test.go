package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inProcess runs fastmcp in the test process, with its output captured.
func inProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string {
			if k == "FASTMCP_CACHE_DIR" {
				return cacheDir
			}
			return os.Getenv(k)
		},
	}
	code = a.main(context.Background(), args)
	return out.String(), errOut.String(), code
}

// existing is a configuration file as a person might have left it: other
// settings, another server written compactly, four-space indentation.
const existing = `{
    "theme": "dark",
    "%s": {
        "other": {"command": "node", "args": ["other.js"], "env": {"TOKEN": "x"}}
    },
    "zLast": [1, 2, 3]
}
`

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", path, err, data)
	}
	return m
}

func backups(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".*.bak")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInstall installs a command server into each client's format: into an
// existing file (kept as it was around the new entry, backed up first), as
// an update of the same entry, as a dry run, and into a new file.
func TestInstall(t *testing.T) {
	t.Parallel()
	cwd, _ := os.Getwd()
	clients := []struct {
		client, key string
		args        []string
		entry       func(root map[string]any) map[string]any
		wantType    bool
	}{
		{"claude-desktop", "mcpServers", nil, func(r map[string]any) map[string]any { return r["mcpServers"].(map[string]any) }, false},
		{"cursor", "mcpServers", nil, func(r map[string]any) map[string]any { return r["mcpServers"].(map[string]any) }, false},
		{"vscode", "servers", nil, func(r map[string]any) map[string]any { return r["servers"].(map[string]any) }, true},
		{"claude-code", "mcpServers", []string{"--scope", "user"}, func(r map[string]any) map[string]any { return r["mcpServers"].(map[string]any) }, true},
		{"claude-code", "mcpServers", nil, func(r map[string]any) map[string]any {
			return r["projects"].(map[string]any)[cwd].(map[string]any)["mcpServers"].(map[string]any)
		}, true},
	}
	for _, c := range clients {
		t.Run(c.client+strings.Join(c.args, ""), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			old := strings.Replace(existing, "%s", c.key, 1)
			os.WriteFile(path, []byte(old), 0o600)
			install := func(extra ...string) (string, string, int) {
				args := append([]string{"install", c.client, "--config", path}, c.args...)
				args = append(args, extra...)
				return inProcess(t, append(args, "--", fixture, "--verbose", "install_test.go")...)
			}

			// Into an existing file.
			stdout, stderr, code := install("--name", "fx")
			if code != 0 {
				t.Fatalf("install: exit status %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, `Added`) || !strings.Contains(stdout, `server "fx" in `+path) {
				t.Errorf("install said:\n%s", stdout)
			}
			data, _ := os.ReadFile(path)
			for _, kept := range []string{
				"{\n    \"theme\": \"dark\",\n",
				`"other": {"command": "node", "args": ["other.js"], "env": {"TOKEN": "x"}}`,
				`"zLast": [1, 2, 3]`,
			} {
				if !strings.Contains(string(data), kept) {
					t.Errorf("the file lost %q:\n%s", kept, data)
				}
			}
			e := c.entry(readJSON(t, path))["fx"].(map[string]any)
			if e["command"] != fixture {
				t.Errorf("command = %v, want %s", e["command"], fixture)
			}
			args, _ := e["args"].([]any)
			if len(args) != 2 || args[0] != "--verbose" || args[1] != filepath.Join(cwd, "install_test.go") {
				t.Errorf("args = %v, want --verbose and the absolute path of install_test.go", args)
			}
			if _, hasType := e["type"]; hasType != c.wantType || c.wantType && e["type"] != "stdio" {
				t.Errorf("type = %v, want it present: %v", e["type"], c.wantType)
			}
			bs := backups(t, path)
			if len(bs) != 1 {
				t.Fatalf("backups: %v, want one", bs)
			}
			if b, _ := os.ReadFile(bs[0]); string(b) != old {
				t.Errorf("the backup holds\n%s\nwant the old file", b)
			}

			// A dry run of an update prints the diff and writes nothing.
			before, _ := os.ReadFile(path)
			stdout, stderr, code = install("--name", "fx", "--env", "API_KEY=k1", "--dry-run")
			if code != 0 {
				t.Fatalf("install --dry-run: exit status %d\n%s%s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stdout, "--- "+path+"\n+++ "+path+"\n@@ ") || !strings.Contains(stdout, "\n+") || !strings.Contains(stdout, `"API_KEY": "k1"`) {
				t.Errorf("dry run printed:\n%s", stdout)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the dry run changed the file")
			}
			if n := len(backups(t, path)); n != 1 {
				t.Errorf("the dry run made a backup (%d backups)", n)
			}

			// The update replaces the entry, in place.
			stdout, _, code = install("--name", "fx", "--env", "API_KEY=k1")
			if code != 0 || !strings.Contains(stdout, "Updated") {
				t.Fatalf("update: exit status %d\n%s", code, stdout)
			}
			servers := c.entry(readJSON(t, path))
			if _, ok := servers["other"]; len(servers) != 2 && ok || len(servers) != 1 && !ok {
				t.Errorf("servers after the update: %v, want fx (and other)", servers)
			}
			if env := servers["fx"].(map[string]any)["env"].(map[string]any); env["API_KEY"] != "k1" {
				t.Errorf("env = %v", env)
			}
			stdout, _, _ = install("--name", "fx", "--env", "API_KEY=k1")
			if !strings.Contains(stdout, "nothing to do") {
				t.Errorf("installing the same entry again: %s", stdout)
			}

			// A new file.
			fresh := filepath.Join(dir, "sub", "new.json")
			_, stderr, code = inProcess(t, append(append([]string{"install", c.client, "--config", fresh}, c.args...), "--", fixture)...)
			if code != 0 {
				t.Fatalf("install into a new file: %d %s", code, stderr)
			}
			if _, ok := c.entry(readJSON(t, fresh))["fixture"]; !ok {
				t.Errorf("the new file has no entry named fixture")
			}
			if len(backups(t, fresh)) != 0 {
				t.Error("a new file was backed up")
			}
		})
	}
}

// TestInstallRemote installs URL servers: native remote entries, and for
// Claude Desktop a relay through fastmcp run.
func TestInstallRemote(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct{ client, key, typ string }{
		{"vscode", "servers", "http"},
		{"claude-code", "mcpServers", "http"},
		{"cursor", "mcpServers", ""},
	} {
		path := filepath.Join(dir, c.client+".json")
		_, stderr, code := inProcess(t, "install", c.client, "--config", path, "--scope", map[string]string{"vscode": "user", "claude-code": "project", "cursor": "project"}[c.client],
			"https://mcp.example.com/mcp", "--bearer", "tok", "-H", "X-Team: core")
		if code != 0 {
			t.Fatalf("%s: exit status %d: %s", c.client, code, stderr)
		}
		root := readJSON(t, path)
		e := root[c.key].(map[string]any)["mcp.example.com"].(map[string]any)
		h, _ := e["headers"].(map[string]any)
		if e["url"] != "https://mcp.example.com/mcp" || h["Authorization"] != "Bearer tok" || h["X-Team"] != "core" || (c.typ != "" && e["type"] != c.typ) || (c.typ == "" && e["type"] != nil) {
			t.Errorf("%s entry: %v", c.client, e)
		}
		if c.client == "vscode" {
			if _, ok := root["inputs"]; !ok {
				t.Errorf("vscode file without inputs: %v", root)
			}
		}
	}
	path := filepath.Join(dir, "claude.json")
	_, stderr, code := inProcess(t, "install", "claude-desktop", "--config", path, "--name", "remote", "http://127.0.0.1:9/sse", "--bearer", "tok")
	if code != 0 {
		t.Fatalf("claude-desktop: %d %s", code, stderr)
	}
	e := readJSON(t, path)["mcpServers"].(map[string]any)["remote"].(map[string]any)
	self, _ := os.Executable()
	args, _ := e["args"].([]any)
	if e["command"] != self || len(args) != 4 || args[0] != "run" || args[1] != "http://127.0.0.1:9/sse" || args[2] != "--bearer" {
		t.Errorf("claude-desktop relay entry: %v", e)
	}
}

func TestInstallProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{ not json"), 0o644)
	_, stderr, code := inProcess(t, "install", "cursor", "--config", bad, "--", fixture)
	if code != exitFailure || !strings.Contains(stderr, "is not valid JSON") {
		t.Errorf("invalid file: exit status %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(bad); string(b) != "{ not json" || len(backups(t, bad)) != 0 {
		t.Error("an invalid file was changed or backed up")
	}

	wrong := filepath.Join(dir, "wrong.json")
	os.WriteFile(wrong, []byte(`{"mcpServers": []}`), 0o644)
	_, stderr, code = inProcess(t, "install", "cursor", "--config", wrong, "--", fixture)
	if code != exitFailure || !strings.Contains(stderr, `"mcpServers" in `+wrong+` is a JSON array`) {
		t.Errorf("servers not an object: exit status %d: %s", code, stderr)
	}

	// VS Code files may hold comments: accepted, with a note.
	jsonc := filepath.Join(dir, "mcp.json")
	os.WriteFile(jsonc, []byte("// servers\n{\n  \"servers\": {\n    \"a\": {\"type\": \"stdio\", \"command\": \"x\"}, // the first\n  },\n}\n"), 0o644)
	_, stderr, code = inProcess(t, "install", "vscode", "--config", jsonc, "--", fixture)
	if code != 0 || !strings.Contains(stderr, "comments or trailing commas") {
		t.Errorf("JSONC: exit status %d: %s", code, stderr)
	}
	if servers := readJSON(t, jsonc)["servers"].(map[string]any); len(servers) != 2 {
		t.Errorf("JSONC servers: %v", servers)
	}

	for _, args := range [][]string{
		{"install"},
		{"install", "emacs", "--", fixture},
		{"install", "claude-desktop", "--scope", "project", "--", fixture},
		{"install", "cursor", "https://x.example.com/mcp", "--env", "A=1"},
		{"install", "cursor", "--env", "novalue", "--", fixture},
	} {
		if _, stderr, code := inProcess(t, args...); code != exitUsage {
			t.Errorf("%v: exit status %d, want %d: %s", args, code, exitUsage, stderr)
		}
	}
}

// TestInstallGoPackage installs a Go package: its binary is built into
// --bin-dir, and the entry runs it.
func TestInstallGoPackage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	path := filepath.Join(dir, "claude_desktop_config.json")
	stdout, stderr, code := inProcess(t, "install", "claude-desktop", "--config", path, "--bin-dir", bin, "../../examples/everything", "--env", "A=1")
	if code != 0 {
		t.Fatalf("exit status %d\n%s%s", code, stdout, stderr)
	}
	e := readJSON(t, path)["mcpServers"].(map[string]any)["everything"].(map[string]any)
	want := filepath.Join(bin, "everything")
	if e["command"] != want || e["env"].(map[string]any)["A"] != "1" {
		t.Errorf("entry %v, want command %s", e, want)
	}
	if st, err := os.Stat(want); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("the binary was not installed: %v", err)
	}
	// Through the binary: the dry run of a new file is a diff from
	// /dev/null.
	res := run(t, cliOpts{}, "install", "cursor", "--config", filepath.Join(dir, "cursor.json"), "--bin-dir", bin, "--dry-run", "./examples/everything")
	res.want(t, exitOK, "--- /dev/null\n+++ "+filepath.Join(dir, "cursor.json")+"\n@@ -0,0 +1,8 @@\n+{\n+  \"mcpServers\": {\n+    \"everything\": {\n")
	res.wantStderr(t, "dry run")
}
