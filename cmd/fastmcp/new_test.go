package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Offline, FastMCP cannot be fetched: new says what failed (go's own
// words), points to --replace with a local clone, and leaves nothing behind,
// neither the directories it created nor files in an empty directory that
// existed.
func TestNewCannotFetchFastMCP(t *testing.T) {
	t.Parallel()
	env := []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off"}
	root := t.TempDir()
	existing := filepath.Join(root, "existing")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, cwd, clone string }{
		{filepath.Join(root, "a", "b", "hello"), root, "'<path to a clone of FastMCP for Go>'"},
		{existing, root, "'<path to a clone of FastMCP for Go>'"},
		// Run from inside a clone, new names it.
		{filepath.Join(root, "c"), filepath.Join(repoRoot, "examples"), repoRoot},
	} {
		res := run(t, cliOpts{env: env, dir: tc.cwd}, "new", tc.dir)
		res.want(t, exitFailure)
		res.wantStderr(t,
			`"go mod tidy" failed`,
			"module lookup disabled by GOPROXY=off", // what failed, in go's words
			"fastmcp new --replace "+tc.clone+" "+tc.dir,
		)
		if strings.Contains(strings.ToLower(res.stderr), "network") {
			t.Errorf("the message blames the network:\n%s", res.stderr)
		}
		if strings.Contains(res.stdout, "created") {
			t.Errorf("stdout announces files that are gone:\n%s", res.stdout)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "existing" {
		t.Errorf("left behind in %s: %v", root, entries)
	}
	if left, _ := os.ReadDir(existing); len(left) != 0 {
		t.Errorf("left behind in the existing directory: %v", left)
	}
}

// --replace must name a clone of FastMCP: another module is refused before
// anything is made.
func TestNewReplaceChecksTheClone(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	other := filepath.Join(root, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "hello")
	res := run(t, cliOpts{}, "new", "--replace", other, dir)
	res.want(t, exitUsage)
	res.wantStderr(t, "is not the module github.com/fastmcp-go/fastmcp")
	res = run(t, cliOpts{}, "new", "--replace", root, dir)
	res.want(t, exitUsage)
	res.wantStderr(t, "no go.mod there")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s was made: %v", dir, err)
	}
}
