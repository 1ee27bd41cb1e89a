package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Servers built from another revision of the module ("fastmcp@c6971a9").
//
// The module's source at that revision is exported with git archive into a
// directory of its own (kept between runs, named after the full commit hash),
// the current bench module's go.mod, go.sum, fastmcp server and benchsrv
// package are copied over the old bench directory, and the server is built
// there. Its go.mod replaces the module with "../", i.e. the old source, so
// the same server program is built against the library as it was at that
// revision. Nothing touches the repository's work trees or its list of
// worktrees.

// goCommand runs the go tool in dir, outside any go.work (bench is its own
// module).
func goCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	return cmd
}

// revision is a commit of the repository holding the bench module.
type revision struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject"`
}

// resolveRevision resolves rev (a commit, branch or tag) in the repository
// that holds benchDir.
func resolveRevision(benchDir, rev string) (revision, error) {
	out, err := exec.Command("git", "-C", benchDir, "log", "-1", "--format=%H %s", rev+"^{commit}", "--").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return revision{}, fmt.Errorf("revision %q: %w", rev, err)
	}
	h, s, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	return revision{Hash: h, Subject: s}, nil
}

// exportRevision writes the repository's tree at hash into a directory under
// the system's temporary directory, unless an earlier run did, and returns it.
func exportRevision(benchDir, hash string) (string, error) {
	dir := filepath.Join(os.TempDir(), "fastmcp-bench-src-"+hash)
	done := filepath.Join(dir, ".fastmcp-bench-exported")
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	top, err := exec.Command("git", "-C", benchDir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse --show-toplevel: %w", err)
	}
	archive := exec.Command("git", "-C", strings.TrimSpace(string(top)), "archive", "--format=tar", hash)
	untar := exec.Command("tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return "", err
	}
	untar.Stdin = pipe
	var aerr, terr strings.Builder
	archive.Stderr, untar.Stderr = &aerr, &terr
	if err := untar.Start(); err != nil {
		return "", err
	}
	if err := archive.Run(); err != nil {
		untar.Wait()
		return "", fmt.Errorf("git archive %s: %v: %s", hash, err, aerr.String())
	}
	if err := untar.Wait(); err != nil {
		return "", fmt.Errorf("tar: %v: %s", err, terr.String())
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

// overlay lists the files of the current bench module that a server built
// from another revision uses, so both builds run the same server program.
var overlay = []string{"go.mod", "go.sum", "servers/fastmcp/main.go", "internal/benchsrv/benchsrv.go"}

// buildRevision builds the server of spec (whose rev is set) into binDir.
func buildRevision(benchDir, binDir string, spec serverSpec) (revision, error) {
	rv, err := resolveRevision(benchDir, spec.rev)
	if err != nil {
		return rv, err
	}
	src, err := exportRevision(benchDir, rv.Hash)
	if err != nil {
		return rv, err
	}
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		return rv, fmt.Errorf("revision %s has no go.mod at the top of the repository", spec.rev)
	}
	oldBench := filepath.Join(src, "bench")
	for _, f := range overlay {
		if err := copyFile(filepath.Join(benchDir, f), filepath.Join(oldBench, f)); err != nil {
			return rv, err
		}
	}
	// The fastmcp server needs none of the other modules of the repository
	// that bench's go.mod replaces with directories (the proxy, for the
	// fastmcp-proxy server, and redisstore, for fastmcp-redis), which an
	// old revision may lack.
	drop := goCommand(oldBench, "mod", "edit",
		"-droprequire=github.com/fastmcp-go/fastmcp/proxy", "-dropreplace=github.com/fastmcp-go/fastmcp/proxy",
		"-droprequire=github.com/fastmcp-go/fastmcp/redisstore", "-dropreplace=github.com/fastmcp-go/fastmcp/redisstore")
	if b, err := drop.CombinedOutput(); err != nil {
		return rv, fmt.Errorf("go mod edit in %s: %v\n%s", oldBench, err, b)
	}
	out := filepath.Join(binDir, spec.bin())
	// -mod=mod: the old library may require modules the current go.sum
	// does not list; they are resolved into the copy, never into bench.
	cmd := goCommand(oldBench, "build", "-mod=mod", "-o", out, "./servers/"+spec.base)
	if b, err := cmd.CombinedOutput(); err != nil {
		return rv, fmt.Errorf("building %s from %s (%s): %v\n%s", spec.base, rv.Hash[:12], oldBench, err, b)
	}
	return rv, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
