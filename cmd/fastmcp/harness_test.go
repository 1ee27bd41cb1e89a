package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The end-to-end tests run the fastmcp binary, built once by TestMain (with
// the race detector when the tests have it), against the example servers of
// the repository and the fixture server of internal/fixture, as real
// processes. They check the fixtures the examples keep for the conformance
// suite, not the examples' lists, which grow.
var (
	cliBin     string // the fastmcp binary
	repoRoot   string // the module root: examples are ./examples/...
	everything string // examples/everything, built
	sessions   string // examples/sessions, built
	fixture    string // internal/fixture, built
	cacheDir   string // FASTMCP_CACHE_DIR of the binary's builds
	workDir    string
)

// testTimeout bounds each command and each wait of the tests.
const testTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		code = 1
	}
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	var err error
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		return 0, err
	}
	if workDir, err = os.MkdirTemp("", "fastmcp-cli-test-"); err != nil {
		return 0, err
	}
	cacheDir = filepath.Join(workDir, "cache")
	cliBin = filepath.Join(workDir, "fastmcp")
	everything = filepath.Join(workDir, "everything")
	sessions = filepath.Join(workDir, "sessions")
	fixture = filepath.Join(workDir, "fixture")
	builds := [][]string{
		{"build", "-o", cliBin},
		{"build", "-o", everything, "./examples/everything"},
		{"build", "-o", sessions, "./examples/sessions"},
		{"build", "-o", fixture, "./cmd/fastmcp/internal/fixture"},
	}
	if raceEnabled {
		builds[0] = append(builds[0], "-race")
	}
	builds[0] = append(builds[0], "./cmd/fastmcp")
	for _, args := range builds {
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return m.Run(), nil
}

// cliEnv is the environment of the fastmcp binary in tests. The race
// detector makes a binary wait a second at exit, by default, for races to be
// reported; a data race still fails the command (exit status 66).
func cliEnv(extra ...string) []string {
	env := append(os.Environ(), "FASTMCP_CACHE_DIR="+cacheDir, "NO_COLOR=1", "GORACE=atexit_sleep_ms=20 exitcode=66")
	return append(env, extra...)
}

type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

type cliOpts struct {
	env   []string
	dir   string
	stdin string
}

// run runs the fastmcp binary to completion.
func run(t *testing.T, o cliOpts, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, args...)
	cmd.Env = cliEnv(o.env...)
	cmd.Dir = repoRoot
	if o.dir != "" {
		cmd.Dir = o.dir
	}
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fastmcp %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	if ctx.Err() != nil {
		t.Fatalf("fastmcp %s did not finish within %v\n%s", strings.Join(args, " "), testTimeout, res)
	}
	return res
}

// want checks the exit status and that stdout (or stderr) holds each text.
func (r cliResult) want(t *testing.T, code int, stdout ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\n%s", r.code, code, r)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout does not contain %q\n%s", s, r)
		}
	}
}

func (r cliResult) wantStderr(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q\n%s", s, r)
		}
	}
}

var urlPattern = regexp.MustCompile(`url=(http\S+)`)

// startHTTP starts a server process and returns the URL it logs that it
// listens on. The process is stopped when the test ends.
func startHTTP(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = cliEnv(env...)
	cmd.Dir = repoRoot
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		defer close(done)
		defer cmd.Wait()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := urlPattern.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-done:
	case <-time.After(testTimeout):
	}
	logMu.Lock()
	defer logMu.Unlock()
	t.Fatalf("%s %s did not log a URL; its stderr:\n%s", name, strings.Join(args, " "), log.String())
	return ""
}

// ptyTerm is a process running on a pseudo-terminal: the tests type keys and
// read the screen as a person would.
type ptyTerm struct {
	t    *testing.T
	cmd  *exec.Cmd
	f    *os.File
	mu   sync.Mutex
	out  []byte
	pos  int           // expect searches the output from here
	more chan struct{} // signalled when output arrives
	done chan struct{}
	err  error
}

func startTerm(t *testing.T, env []string, args ...string) *ptyTerm {
	t.Helper()
	cmd := exec.Command(cliBin, args...)
	cmd.Env = append(os.Environ(), "FASTMCP_CACHE_DIR="+cacheDir, "TERM=xterm", "GORACE=atexit_sleep_ms=20 exitcode=66")
	cmd.Env = append(cmd.Env, env...)
	cmd.Dir = repoRoot
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	tm := &ptyTerm{t: t, cmd: cmd, f: f, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out = append(tm.out, buf[:n]...)
			tm.mu.Unlock()
			select {
			case tm.more <- struct{}{}:
			default:
			}
			if err != nil {
				break
			}
		}
		tm.err = cmd.Wait()
		close(tm.done)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.done:
		default:
			cmd.Process.Kill()
			<-tm.done
		}
		f.Close()
	})
	return tm
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r`)

// screen is the output so far without escape sequences and carriage
// returns.
func (tm *ptyTerm) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.ReplaceAllString(string(tm.out), "")
}

// raw is the output so far, escape sequences included.
func (tm *ptyTerm) raw() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.out)
}

// send types keys.
func (tm *ptyTerm) send(keys string) {
	tm.t.Helper()
	if _, err := tm.f.Write([]byte(keys)); err != nil {
		tm.t.Fatalf("typing %q: %v", keys, err)
	}
}

// expect waits until text appears in the output after the previous match.
func (tm *ptyTerm) expect(text string) {
	tm.t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		s := tm.screen()
		if i := strings.Index(s[min(tm.pos, len(s)):], text); i >= 0 {
			tm.pos += i + len(text)
			return
		}
		select {
		case <-tm.more:
		case <-tm.done:
			if s := tm.screen(); strings.Contains(s[min(tm.pos, len(s)):], text) {
				continue
			}
			tm.t.Fatalf("the program ended (%v) before printing %q; the screen:\n%s", tm.err, text, tm.screen())
		case <-deadline.C:
			tm.t.Fatalf("waited %v for %q; the screen after the last match:\n%s\n--- whole screen:\n%s", testTimeout, text, s[min(tm.pos, len(s)):], s)
		}
	}
}

// line types a line after waiting for the prompt.
func (tm *ptyTerm) line(prompt, keys string) {
	tm.t.Helper()
	tm.expect(prompt)
	tm.send(keys + "\r")
}

// exit waits for the program to end and returns its exit status.
func (tm *ptyTerm) exit() int {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(testTimeout):
		tm.t.Fatalf("the program did not end; the screen:\n%s", tm.screen())
	}
	if ee, ok := tm.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if tm.err != nil {
		tm.t.Fatalf("waiting for the program: %v", tm.err)
	}
	return 0
}

// drain keeps a reader's output, for processes whose output is checked
// at the end.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*safeBuffer)(nil)

// goCmd is a go command in dir.
func goCmd(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
