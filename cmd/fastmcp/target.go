package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// targetKind says how a server is reached.
type targetKind int

const (
	kindURL     targetKind = iota + 1 // an http(s) URL
	kindGo                            // a Go package, built then run over stdio
	kindCommand                       // a command, run over stdio
)

// target is a server as given on the command line.
type target struct {
	kind targetKind
	// url is the endpoint of a kindURL target.
	url string
	// pkg is a Go package: a directory (absolute), a .go file (absolute), or
	// an import path, with @version for remote packages.
	pkg string
	// command is the program to run: for kindCommand as given (resolved
	// against PATH when started), for kindGo the built binary.
	command string
	// args are the server's own arguments.
	args []string
	// display is how the server is named in messages.
	display string
}

// splitServer turns the server positional argument (or the words after
// "--") into words. A single argument holding whitespace is split like a
// shell would, unless it names an existing file or directory.
func splitServer(positional string, server []string) ([]string, error) {
	if server != nil {
		return server, nil
	}
	if strings.ContainsAny(positional, " \t\n") && !exists(positional) {
		return shellSplit(positional)
	}
	return []string{positional}, nil
}

// resolveTarget works out what kind of server words names. The rules are in
// serversHelp.
func resolveTarget(words []string) (*target, error) {
	if len(words) == 0 || words[0] == "" {
		return nil, usagef("no server given")
	}
	first, rest := words[0], words[1:]
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	t := &target{args: rest, display: strings.Join(quoted, " ")}
	lower := strings.ToLower(first)
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		if len(rest) > 0 {
			return nil, usagef("a URL server takes no arguments (got %q after %s)", strings.Join(rest, " "), first)
		}
		t.kind, t.url = kindURL, first
		return t, nil
	case strings.HasPrefix(lower, "ws://") || strings.HasPrefix(lower, "wss://"):
		return nil, usagef("WebSocket servers are not supported; give an http(s) URL of Streamable HTTP or SSE")
	}
	if st, err := os.Stat(first); err == nil {
		abs, err := filepath.Abs(first)
		if err != nil {
			return nil, err
		}
		switch {
		case st.IsDir():
			if !hasGoFiles(abs) {
				return nil, usagef("%s is a directory without .go files: give a Go package, a command or a URL (see 'fastmcp help servers')", first)
			}
			t.kind, t.pkg = kindGo, abs
		case strings.HasSuffix(first, ".go"):
			t.kind, t.pkg = kindGo, abs
		default:
			t.kind, t.command = kindCommand, abs
		}
		return t, nil
	}
	if strings.ContainsAny(first, `/\`) && (strings.HasPrefix(first, ".") || filepath.IsAbs(first)) {
		return nil, usagef("%s does not exist", first)
	}
	if _, err := exec.LookPath(first); err == nil {
		t.kind, t.command = kindCommand, first
		return t, nil
	}
	if looksLikeImportPath(first) {
		t.kind, t.pkg = kindGo, first
		return t, nil
	}
	return nil, usagef("cannot tell what server %q is: it is not an http(s) URL, an existing directory or file, a command on PATH or a Go import path (see 'fastmcp help servers')", first)
}

// looksLikeImportPath reports whether s has the shape of a Go import path of
// a remote module: host.tld/path[@version].
func looksLikeImportPath(s string) bool {
	p, _, _ := strings.Cut(s, "@")
	elem, _, ok := strings.Cut(p, "/")
	return ok && strings.Contains(elem, ".") && !strings.ContainsAny(p, ` \:`)
}

func hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// binName is the name of the binary built for the package.
func (t *target) binName() string {
	p, _, _ := strings.Cut(t.pkg, "@")
	var name string
	if strings.HasSuffix(p, ".go") {
		name = strings.TrimSuffix(filepath.Base(p), ".go")
	} else if filepath.IsAbs(p) {
		name = filepath.Base(p)
	} else {
		name = path.Base(p)
		// github.com/x/y/v2 is installed as y.
		if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
			name = path.Base(path.Dir(p))
		}
	}
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// cacheDir is where built servers go.
func (a *app) cacheDir() (string, error) {
	if d := a.getenv("FASTMCP_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for built servers (%v): set FASTMCP_CACHE_DIR", err)
	}
	return filepath.Join(d, "fastmcp", "bin"), nil
}

// build builds a Go package target into dir (its binary path is a
// function of the package, so rebuilds replace it) and sets t.command. The
// build's output goes to w. A build failure is a connectError: the server
// could not be started.
func (a *app) build(ctx context.Context, t *target, w io.Writer) error {
	if t.kind != kindGo {
		return nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return &connectError{msg: fmt.Sprintf("%s is a Go package, and building it needs the Go toolchain, which is not on PATH: install Go from https://go.dev/dl, or give a built binary instead", t.pkg)}
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	key := t.pkg
	if !filepath.IsAbs(key) {
		// An import path means what the current module makes of it.
		if cwd, err := os.Getwd(); err == nil {
			key = cwd + "\x00" + key
		}
	}
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(root, hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the build directory: %w", err)
	}
	final := filepath.Join(dir, t.binName())
	// go build writes the binary only when it is out of date (it compares
	// build IDs), so a rebuild of unchanged sources costs no link. When it
	// writes, it removes the old file first, which a running server (dev
	// --watch rebuilds under it) survives. The lock keeps concurrent
	// fastmcp commands from writing the same binary at once.
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return fmt.Errorf("locking the build directory: %w", err)
	}
	defer unlock()
	var cmd *exec.Cmd
	pkg, version, remote := strings.Cut(t.pkg, "@")
	switch {
	case remote:
		// go install is the only way to build a package@version outside
		// its module; GOBIN puts the binary in our directory.
		cmd = exec.CommandContext(ctx, goBin, "install", pkg+"@"+version)
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
	case filepath.IsAbs(pkg) && strings.HasSuffix(pkg, ".go"):
		cmd = exec.CommandContext(ctx, goBin, "build", "-o", final, filepath.Base(pkg))
		cmd.Dir = filepath.Dir(pkg)
	case filepath.IsAbs(pkg):
		cmd = exec.CommandContext(ctx, goBin, "build", "-o", final, ".")
		cmd.Dir = pkg
	default:
		cmd = exec.CommandContext(ctx, goBin, "build", "-o", final, pkg)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			msg = err.Error()
		}
		return &connectError{msg: fmt.Sprintf("building %s failed:\n%s", t.pkg, indent(msg, "  "))}
	}
	if w != nil && out.Len() > 0 {
		w.Write(out.Bytes())
	}
	t.command = final
	return nil
}

// command returns the process to start for a stdio target, with env added
// to the environment.
func (t *target) cmd(env []string) *exec.Cmd {
	c := exec.Command(t.command, t.args...)
	if len(env) > 0 {
		c.Env = append(os.Environ(), env...)
	}
	return c
}

// shellSplit splits s into words like a POSIX shell: whitespace separates,
// single quotes keep everything, double quotes keep everything but
// backslash escapes of " \ $ `, a backslash elsewhere escapes the next
// character. There is no expansion.
func shellSplit(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, usagef("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, usagef("unterminated double quote in %q", s)
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty server command")
	}
	return words, nil
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
