package interop_test

// Both protocol eras against one running server at once, each with the
// official TypeScript SDK client of its era: examples/everything serves
// Streamable HTTP on a loopback port, and at the same time
//
//   - the v1 SDK client (@modelcontextprotocol/sdk, interop/ts) runs its
//     handshake-era suite, interop/ts/client.mjs, over HTTP (the script is
//     unchanged: interop/ts2/v1http swaps its stdio transport for the same
//     SDK's Streamable HTTP transport), and
//   - the v2 SDK client (@modelcontextprotocol/client, interop/ts2) runs
//     interop/ts2/client2.mjs, pinned to 2026-07-28: server/discover, MRTR
//     round trips for elicitation (form and URL), sampling and roots,
//     subscriptions/listen, per-request logging, x-mcp-header parameters.
//
// The v2 client also runs over stdio, against the example as a child process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ts2ClientVersion is the version of @modelcontextprotocol/client pinned in
// interop/ts2/package.json; ts2V1SDKVersion that of @modelcontextprotocol/sdk
// in interop/ts/package.json.
const (
	ts2ClientVersion = "2.4.0"
	ts2V1SDKVersion  = "1.32.2"
)

// ts2MinNode is the oldest Node the v2 SDK supports (its engines field).
const ts2MinNode = 20

// ts2Backstop bounds each script run; the scripts bound themselves at 60s.
const ts2Backstop = 90 * time.Second

// ts2Setup finds Node and checks that both SDK clients are installed. It
// skips the test when something is missing, or fails it when
// FASTMCP_INTEROP=1 (as in CI).
func ts2Setup(t *testing.T) (node string) {
	t.Helper()
	const install = "npm ci --no-audit --no-fund --prefix interop/ts2 && npm ci --no-audit --no-fund --prefix interop/ts"
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv("FASTMCP_INTEROP") == "1" {
			t.Fatalf("%s, and FASTMCP_INTEROP=1 requires this test to run; install with: %s", why, install)
		}
		t.Skipf("%s; to run this test: %s (set FASTMCP_INTEROP=1 to make a missing setup fail)", why, install)
	}
	node, why := ts2FindNode()
	if node == "" {
		unavailable(why)
	}
	for _, m := range []struct{ dir, pkg, want string }{
		{"ts2", "client", ts2ClientVersion},
		{"ts", "sdk", ts2V1SDKVersion},
	} {
		manifest := filepath.Join(m.dir, "node_modules", "@modelcontextprotocol", m.pkg, "package.json")
		raw, err := os.ReadFile(manifest)
		if err != nil {
			unavailable(fmt.Sprintf("interop/%s/node_modules is missing", m.dir))
		}
		var v struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || v.Version != m.want {
			t.Fatalf("%s: version %q (%v), want %s: run npm ci --prefix interop/%s", manifest, v.Version, err, m.want, m.dir)
		}
	}
	return node
}

// ts2FindNode returns the node on PATH when it is recent enough, else the
// Node 22 that interop/conformance installs, else "" and why.
func ts2FindNode() (node, why string) {
	why = "node is not installed"
	candidates := []string{filepath.Join("conformance", "node_modules", ".bin", "node")}
	if p, err := exec.LookPath("node"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	for _, p := range candidates {
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
		if n, err := strconv.Atoi(major); err == nil && n >= ts2MinNode {
			return p, ""
		}
		why = fmt.Sprintf("%s is Node %s; the TypeScript SDK v2 needs Node %d or later", p, v, ts2MinNode)
	}
	return "", why
}

func TestTS2BothErasOneServer(t *testing.T) {
	node := ts2Setup(t)
	bins := exampleBinaries(t)
	t.Parallel()

	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		url := startExampleHTTP(t, bins.everything)
		// Both clients at once against the one server.
		v1 := ts2Start(t, node, "--import", "./ts2/v1http/register.mjs",
			filepath.Join("ts", "client.mjs"), "--suite", "everything", url)
		v2 := ts2Start(t, node, filepath.Join("ts2", "client2.mjs"), "http", url)
		v1.wait()
		v2.wait()
		t.Run("v1 client, handshake era", func(t *testing.T) { ts2CheckV1(t, v1, url) })
		t.Run("v2 client, 2026-07-28", func(t *testing.T) { ts2CheckV2(t, v2, "http", 25) })
	})

	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		run := ts2Start(t, node, filepath.Join("ts2", "client2.mjs"), "stdio", bins.everything)
		run.wait()
		ts2CheckV2(t, run, "stdio", 23)
	})
}

// ts2Run is a script running under node.
type ts2Run struct {
	args           []string
	cmd            *exec.Cmd
	cancel         context.CancelFunc
	stdout, stderr bytes.Buffer
	err            error
	done           bool
}

func ts2Start(t *testing.T, node string, args ...string) *ts2Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ts2Backstop)
	r := &ts2Run{args: args, cancel: cancel}
	r.cmd = exec.CommandContext(ctx, node, args...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("node %v: %v", args, err)
	}
	// A run the test did not wait for (it failed first) is killed.
	t.Cleanup(func() {
		if !r.done {
			cancel()
			r.wait()
		}
	})
	return r
}

// wait waits for the script to exit.
func (r *ts2Run) wait() {
	if r.done {
		return
	}
	r.err = r.cmd.Wait()
	r.cancel()
	r.done = true
}

// ts2CheckV1 checks the one line of JSON interop/ts/client.mjs prints.
func ts2CheckV1(t *testing.T, r *ts2Run, url string) {
	t.Helper()
	var summary struct {
		Suite   string `json:"suite"`
		Command string `json:"command"`
		OK      bool   `json:"ok"`
		Passed  int    `json:"passed"`
		Failed  int    `json:"failed"`
		Checks  []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"checks"`
	}
	lines := strings.Split(strings.TrimSpace(r.stdout.String()), "\n")
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &summary) != nil {
		t.Fatalf("node %v: %v; stdout is not one line of JSON:\n%s\nstderr:\n%s", r.args, r.err, r.stdout.String(), r.stderr.String())
	}
	for _, c := range summary.Checks {
		if c.OK {
			t.Logf("ok   %s", c.Name)
		} else {
			t.Errorf("FAIL %s: %s", c.Name, c.Error)
		}
	}
	// The command is the URL: the suite ran over HTTP.
	if summary.Suite != "everything" || summary.Command != url || !summary.OK || summary.Failed != 0 ||
		summary.Passed != len(summary.Checks) || summary.Passed < 20 {
		t.Errorf("summary: suite %q, command %q (want %s), ok %v, %d passed, %d failed (want at least 20 checks, all passing)",
			summary.Suite, summary.Command, url, summary.OK, summary.Passed, summary.Failed)
	}
	if (r.err == nil) != summary.OK {
		t.Errorf("exit status (%v) disagrees with the summary (ok %v)", r.err, summary.OK)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", r.stderr.String())
	}
}

// ts2RequiredChecks are checks client2.mjs must have run, so that a check
// dropped from the script fails here.
var ts2RequiredChecks = []string{
	"negotiated 2026-07-28 without a handshake",
	"server/discover",
	"tools/list",
	"tools/call test_simple_text",
	"MRTR elicitation (form)",
	"MRTR elicitation (URL mode)",
	"MRTR sampling",
	"MRTR roots",
	"MRTR multiple inputs in one round",
	"MRTR multi round",
	"MRTR prompts/get",
	"logging only when a log level is requested",
	"subscriptions/listen: list changes reach opted-in listeners only",
	"no protocol errors",
}

// ts2CheckV2 checks what interop/ts2/client2.mjs prints: one "ok <check>"
// or "FAIL <check>: <why>" line per check, then a line of JSON.
func ts2CheckV2(t *testing.T, r *ts2Run, transport string, minChecks int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stdout.String()), "\n")
	var summary struct {
		Suite           string `json:"suite"`
		Transport       string `json:"transport"`
		ProtocolVersion string `json:"protocolVersion"`
		OK              bool   `json:"ok"`
		Passed          int    `json:"passed"`
		Failed          int    `json:"failed"`
	}
	if len(lines) < 2 || json.Unmarshal([]byte(lines[len(lines)-1]), &summary) != nil {
		t.Fatalf("node %v: %v; stdout does not end with a JSON summary:\n%s\nstderr:\n%s", r.args, r.err, r.stdout.String(), r.stderr.String())
	}
	passed, failed := 0, 0
	ran := map[string]bool{}
	for _, line := range lines[:len(lines)-1] {
		switch {
		case strings.HasPrefix(line, "ok "):
			passed++
			ran[strings.TrimPrefix(line, "ok ")] = true
			t.Logf("%s", line)
		case strings.HasPrefix(line, "FAIL "):
			failed++
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "FAIL "), ": ")
			ran[name] = true
			t.Errorf("%s", line)
		default:
			t.Errorf("unexpected output line %q", line)
		}
	}
	for _, name := range ts2RequiredChecks {
		if !ran[name] {
			t.Errorf("check %q did not run", name)
		}
	}
	if summary.Suite != "everything" || summary.Transport != transport || summary.ProtocolVersion != "2026-07-28" ||
		!summary.OK || summary.Passed != passed || summary.Failed != failed || failed != 0 || passed < minChecks {
		t.Errorf("summary %+v: want transport %s, protocol 2026-07-28, at least %d checks, all passing (lines: %d ok, %d FAIL)",
			summary, transport, minChecks, passed, failed)
	}
	if (r.err == nil) != summary.OK {
		t.Errorf("exit status (%v) disagrees with the summary (ok %v)", r.err, summary.OK)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", r.stderr.String())
	}
}

// startExampleHTTP starts an example binary serving Streamable HTTP on a free
// loopback port and returns its endpoint URL, read from the log line
// announcing it. The process is stopped when the test ends, after its
// subtests; its log is shown if the test failed.
func startExampleHTTP(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "--transport", "http", "--host", "127.0.0.1", "--port", "0")
	cmd.Env = append(os.Environ(), "FASTMCP_TRANSPORT=", "FASTMCP_HOST=", "FASTMCP_PORT=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var logBuf bytes.Buffer
	urlc := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logBuf.WriteString(line + "\n")
			logMu.Unlock()
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		<-readDone
		if t.Failed() {
			logMu.Lock()
			t.Logf("server log:\n%s", logBuf.String())
			logMu.Unlock()
		}
	})
	select {
	case u := <-urlc:
		return u
	case <-readDone:
		t.Fatalf("%s exited before reporting its URL", bin)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not report its URL", bin)
	}
	return ""
}
