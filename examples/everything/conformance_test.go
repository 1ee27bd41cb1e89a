package main

// These tests run the official MCP conformance suite
// (@modelcontextprotocol/conformance, pinned in interop/conformance) against
// the everything server built as a binary: over Streamable HTTP, over HTTP in
// stateless mode, and over stdio through a bridge (bridge_test.go). They need
// the suite and the Node 22 it runs on:
//
//	npm ci --prefix interop/conformance
//
// Without them the tests are skipped, unless FASTMCP_CONFORMANCE=1 (as in CI),
// when they fail.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// conformanceVersion is the version of @modelcontextprotocol/conformance
// pinned in interop/conformance/package.json.
const conformanceVersion = "0.1.16"

// allScenarios are the server scenarios of the suite's "all" selection, in
// the order it runs them.
var allScenarios = []string{
	"server-initialize", "logging-set-level", "ping", "completion-complete",
	"tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio",
	"tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-with-logging",
	"tools-call-error", "tools-call-with-progress", "tools-call-sampling",
	"tools-call-elicitation", "json-schema-2020-12", "elicitation-sep1034-defaults",
	"server-sse-polling", "server-sse-multiple-streams", "elicitation-sep1330-enums",
	"resources-list", "resources-read-text", "resources-read-binary",
	"resources-templates-read", "resources-subscribe", "resources-unsubscribe",
	"prompts-list", "prompts-get-simple", "prompts-get-with-args",
	"prompts-get-embedded-resource", "prompts-get-with-image", "dns-rebinding-protection",
}

// transportScenarios test the HTTP transport itself; through the stdio
// bridge they would test the bridge, so the stdio run leaves them out.
var transportScenarios = map[string]bool{
	"server-sse-multiple-streams": true,
	"server-sse-polling":          true,
	"dns-rebinding-protection":    true,
}

// sessionScenarios need a server-to-client request answered in a later POST
// of the same session, which stateless mode cannot do. Each maps to the tool
// it calls and that tool's arguments.
var sessionScenarios = map[string]struct {
	tool string
	args map[string]any
}{
	"tools-call-sampling":          {"test_sampling", map[string]any{"prompt": "Test prompt for sampling"}},
	"tools-call-elicitation":       {"test_elicitation", map[string]any{"message": "Please provide your information"}},
	"elicitation-sep1034-defaults": {"test_elicitation_sep1034_defaults", map[string]any{}},
	"elicitation-sep1330-enums":    {"test_elicitation_sep1330_enums", map[string]any{}},
}

const (
	// testBudget bounds each test; go test's own -timeout shortens it.
	testBudget = 4 * time.Minute
	// quickScenario is what "answered at once" means for the
	// session-dependent scenarios in stateless mode: far below the 60 s a
	// hung request would take.
	quickScenario = 15 * time.Second
	// stopBudget is how long a server may take to exit after SIGTERM or the
	// end of its input.
	stopBudget = 10 * time.Second
)

// binDir holds the everything binary, built once for all the tests of the
// package and removed when they end.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fastmcp-everything-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var built struct {
	once sync.Once
	path string
	err  error
}

// everythingBinary builds the everything server on first use and returns
// the path of the binary.
func everythingBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		path := filepath.Join(binDir, "everything")
		if runtime.GOOS == "windows" {
			path += ".exe"
		}
		out, err := exec.Command(goTool, "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build ./examples/everything: %v\n%s", err, out)
			return
		}
		built.path = path
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// conformanceSuite locates the suite and its Node under interop/conformance.
type conformanceSuite struct {
	node, cli string
}

var nodeVersion struct {
	once  sync.Once
	major int
	raw   string
	err   error
}

// needSuite returns the installed suite pinned in interop/conformance, or
// skips the test (fails it when FASTMCP_CONFORMANCE=1) when it is missing.
func needSuite(t *testing.T) conformanceSuite {
	t.Helper()
	return needSuiteAt(t, "conformance", conformanceVersion)
}

// needSuiteAt returns the suite of version installed in interop/<dir>.
func needSuiteAt(t *testing.T, dir, version string) conformanceSuite {
	t.Helper()
	required := os.Getenv("FASTMCP_CONFORMANCE") == "1"
	unavailable := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("%s, and FASTMCP_CONFORMANCE=1 requires this test to run; install with: npm ci --prefix interop/%s", why, dir)
		}
		t.Skipf("%s; to run this test: npm ci --prefix interop/%s (set FASTMCP_CONFORMANCE=1 to make a missing setup fail)", why, dir)
	}
	if testing.Short() && !required {
		t.Skip("the conformance suite takes a while; skipped in -short mode")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", "interop", dir))
	if err != nil {
		t.Fatal(err)
	}
	s := conformanceSuite{
		node: filepath.Join(root, "node_modules", ".bin", "node"),
		cli:  filepath.Join(root, "node_modules", ".bin", "conformance"),
	}
	for _, p := range []string{s.node, s.cli} {
		if _, err := os.Stat(p); err != nil {
			unavailable(fmt.Sprintf("%s is missing", p))
		}
	}
	manifest := filepath.Join(root, "node_modules", "@modelcontextprotocol", "conformance", "package.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		unavailable(fmt.Sprintf("%s is missing", manifest))
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != version {
		t.Fatalf("%s: version %q (%v), want %s: run npm ci --prefix interop/%s", manifest, pkg.Version, err, version, dir)
	}
	nodeVersion.once.Do(func() {
		out, err := exec.Command(s.node, "--version").Output()
		if err != nil {
			nodeVersion.err = err
			return
		}
		nodeVersion.raw = strings.TrimSpace(string(out))
		major, _, _ := strings.Cut(strings.TrimPrefix(nodeVersion.raw, "v"), ".")
		nodeVersion.major, nodeVersion.err = strconv.Atoi(major)
	})
	if nodeVersion.err != nil {
		unavailable(fmt.Sprintf("%s --version: %v", s.node, nodeVersion.err))
	}
	if nodeVersion.major < 22 {
		unavailable(fmt.Sprintf("%s is Node %s; the suite needs Node 22 or later", s.node, nodeVersion.raw))
	}
	return s
}

// testContext returns a context that ends after d, or a little before the
// go test -timeout deadline.
func testContext(t *testing.T, d time.Duration) context.Context {
	deadline := time.Now().Add(d)
	if td, ok := t.Deadline(); ok && td.Add(-10*time.Second).Before(deadline) {
		deadline = td.Add(-10 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// run runs the suite's server command against url, writing results under
// outDir. A failed check makes the suite exit 1, which is not an error here:
// the checks are read from outDir. The error is for a suite that could not
// run or did not finish.
func (s conformanceSuite) run(ctx context.Context, url, outDir string, args ...string) (output []byte, err error) {
	argv := append([]string{s.cli, "server", "--url", url, "-o", outDir}, args...)
	cmd := exec.CommandContext(ctx, s.node, argv...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	cmd.WaitDelay = 5 * time.Second
	output, err = cmd.CombinedOutput()
	if ctx.Err() != nil {
		// The suite announces each scenario before it runs it.
		const mark = "=== Running scenario: "
		if i := bytes.LastIndex(output, []byte(mark)); i >= 0 {
			current, _, _ := strings.Cut(string(output[i+len(mark):]), " ===")
			return output, fmt.Errorf("killed while running scenario %s: %w", current, ctx.Err())
		}
		return output, fmt.Errorf("killed: %w", ctx.Err())
	}
	if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
		err = nil // some check failed; the results say which
	}
	return output, err
}

// check is one entry of a scenario's checks.json.
type check struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	ErrorMessage string          `json:"errorMessage"`
	Details      json.RawMessage `json:"details"`
}

// scenarioResult is what the suite wrote for one scenario.
type scenarioResult struct {
	name     string
	checks   []check
	duration time.Duration // from the result directory's creation to checks.json's last write
}

func (r *scenarioResult) failures() []check {
	var out []check
	for _, c := range r.checks {
		if c.Status == "FAILURE" {
			out = append(out, c)
		}
	}
	return out
}

// readResults reads every server-<scenario>-<timestamp>/checks.json in dir.
func readResults(dir string) (map[string]*scenarioResult, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	const stamp = len("2006-01-02T15-04-05-000Z")
	results := map[string]*scenarioResult{}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, "server-") || len(name) < len("server-")+stamp+2 {
			continue
		}
		scenario := name[len("server-") : len(name)-stamp-1]
		ts := name[len(name)-stamp:] // 2026-11-21T10-22-47-829Z, the start in UTC
		started, err := time.Parse("2006-01-02T15-04-05.000Z", ts[:19]+"."+ts[20:])
		if err != nil {
			return nil, fmt.Errorf("%s: unexpected result directory name: %v", name, err)
		}
		path := filepath.Join(dir, name, "checks.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		r := &scenarioResult{name: scenario, duration: info.ModTime().Sub(started)}
		if err := json.Unmarshal(raw, &r.checks); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if _, dup := results[scenario]; dup {
			return nil, fmt.Errorf("%s: two results for scenario %s", dir, scenario)
		}
		results[scenario] = r
	}
	return results, nil
}

// verify fails t for every scenario of want without a result, for every
// result outside want, and for every FAILURE check of a scenario not in
// mayFail. It returns the results of want (nil for missing ones), and logs a
// summary.
func verify(t *testing.T, results map[string]*scenarioResult, want []string, mayFail func(string) bool) []*scenarioResult {
	t.Helper()
	var out []*scenarioResult
	passed, checksOK, checksFailed, warnings := 0, 0, 0, 0
	for _, name := range want {
		r := results[name]
		out = append(out, r)
		if r == nil {
			t.Errorf("scenario %s: no results (no checks.json was written)", name)
			continue
		}
		if len(r.failures()) == 0 {
			passed++
		}
		for _, c := range r.checks {
			switch c.Status {
			case "SUCCESS":
				checksOK++
			case "WARNING":
				warnings++
			case "FAILURE":
				checksFailed++
				if mayFail == nil || !mayFail(name) {
					t.Errorf("scenario %s: check %s failed: %s", name, c.ID, describe(c))
				}
			}
		}
	}
	for name := range results {
		if !slices.Contains(want, name) {
			t.Errorf("scenario %s: results for a scenario this test did not expect", name)
		}
	}
	t.Logf("%d/%d scenarios passed; checks: %d ok, %d failed, %d warnings", passed, len(want), checksOK, checksFailed, warnings)
	return out
}

// describe is a check's error message, or its details when it has none.
func describe(c check) string {
	msg := c.ErrorMessage
	if msg == "" {
		msg = "(no error message)"
	}
	if len(c.Details) > 0 && string(c.Details) != "null" {
		var b bytes.Buffer
		if json.Compact(&b, c.Details) == nil {
			d := b.String()
			if len(d) > 800 {
				d = d[:800] + "…"
			}
			msg += "; details: " + d
		}
	}
	return msg
}

// childEnv is the environment for a server child: this process's, without
// FASTMCP_* settings that would change what the test asks for, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FASTMCP_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if t.max > 0 && len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// lineWatcher passes each complete line written to it to fn, and keeps the
// tail of the output.
type lineWatcher struct {
	tailBuffer
	partial []byte
	fn      func(line string)
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.tailBuffer.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.fn(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// httpServer is the everything binary serving Streamable HTTP.
type httpServer struct {
	cmd     *exec.Cmd
	url     string
	stderr  *lineWatcher
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startHTTPServer starts the everything binary on a free loopback port and
// waits for the URL it logs.
func startHTTPServer(ctx context.Context, t *testing.T, bin string, env ...string) *httpServer {
	t.Helper()
	urls := make(chan string, 1)
	s := &httpServer{done: make(chan struct{})}
	s.stderr = &lineWatcher{tailBuffer: tailBuffer{max: 256 << 10}, fn: func(line string) {
		if _, rest, ok := strings.Cut(line, " url="); ok {
			u, _, _ := strings.Cut(rest, " ")
			select {
			case urls <- strings.Trim(u, `"`):
			default:
			}
		}
	}}
	s.cmd = exec.CommandContext(ctx, bin, "--transport", "http", "--host", "127.0.0.1", "--port", "0")
	s.cmd.Env = childEnv(env...)
	s.cmd.Stderr = s.stderr
	s.cmd.WaitDelay = 5 * time.Second
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case s.url = <-urls:
	case <-s.done:
		t.Fatalf("the server exited before listening: %v\nstderr:\n%s", s.waitErr, s.stderr.String())
	case <-timeout.C:
		t.Fatalf("the server logged no url= within 30s\nstderr:\n%s", s.stderr.String())
	case <-ctx.Done():
		t.Fatalf("the server logged no url=: %v\nstderr:\n%s", ctx.Err(), s.stderr.String())
	}
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || !strings.HasSuffix(s.url, "/mcp") {
		t.Fatalf("the server listens at %q, want http://127.0.0.1:PORT/mcp", s.url)
	}
	return s
}

// stop sends SIGTERM and fails t unless the server exits cleanly and soon.
func (s *httpServer) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	timeout := time.NewTimer(stopBudget)
	defer timeout.Stop()
	select {
	case <-s.done:
		if s.waitErr != nil {
			t.Errorf("the server did not exit cleanly after SIGTERM: %v\nstderr:\n%s", s.waitErr, s.stderr.String())
		} else {
			t.Logf("the server exited cleanly %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		}
	case <-timeout.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("the server did not exit within %v of SIGTERM; killed\nstderr:\n%s", stopBudget, s.stderr.String())
	}
}

// runOverHTTP runs the whole suite against the everything server over HTTP
// with the given extra environment, and returns the results.
func runOverHTTP(t *testing.T, env ...string) (*httpServer, map[string]*scenarioResult) {
	t.Helper()
	suite := needSuite(t)
	bin := everythingBinary(t)
	ctx := testContext(t, testBudget)
	srv := startHTTPServer(ctx, t, bin, env...)
	outDir := t.TempDir()
	start := time.Now()
	output, err := suite.run(ctx, srv.url, outDir, "--suite", "all")
	t.Logf("suite run took %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Errorf("conformance suite: %v", err)
	}
	results, err := readResults(outDir)
	if err != nil {
		t.Fatal(err)
	}
	if t.Failed() || len(results) != len(allScenarios) {
		t.Logf("suite output:\n%s", output)
	}
	return srv, results
}

// TestConformanceHTTP runs all 32 scenarios of the suite against the server
// over Streamable HTTP; every one must pass.
func TestConformanceHTTP(t *testing.T) {
	srv, results := runOverHTTP(t)
	verify(t, results, allScenarios, nil)
	srv.stop(t)
	if t.Failed() {
		t.Logf("server stderr:\n%s", srv.stderr.String())
	}
}

// subscriptionScenarios subscribe to resource updates, which a stateless
// server cannot deliver: it does not declare resources.subscribe, and
// refuses the requests with a method-not-found error that says why.
var subscriptionScenarios = map[string]bool{
	"resources-subscribe":   true,
	"resources-unsubscribe": true,
}

// TestConformanceStateless runs the suite against the server in stateless
// mode. Only the scenarios that need a session may fail, and they must fail
// at once with an error that says a session is missing, never by hanging.
func TestConformanceStateless(t *testing.T) {
	srv, results := runOverHTTP(t, "FASTMCP_STATELESS=true")
	mayFail := func(name string) bool { _, ok := sessionScenarios[name]; return ok || subscriptionScenarios[name] }
	for _, r := range verify(t, results, allScenarios, mayFail) {
		if r == nil || !mayFail(r.name) || len(r.failures()) == 0 {
			continue
		}
		if subscriptionScenarios[r.name] {
			for _, c := range r.failures() {
				if msg := describe(c); !strings.Contains(msg, "stateless") {
					t.Errorf("scenario %s (stateless): %s; want a refusal saying the server is stateless", r.name, msg)
				}
			}
			t.Logf("scenario %s is refused as expected: the server is stateless (%s)", r.name, describe(r.failures()[0]))
			continue
		}
		if r.duration > quickScenario {
			t.Errorf("scenario %s (stateless): took %v, want well under the suite's 60 s request timeout: the server must fail at once without a session", r.name, r.duration.Round(time.Millisecond))
		}
		for _, c := range r.failures() {
			var d struct {
				Result *toolResult `json:"result"`
			}
			_ = json.Unmarshal(c.Details, &d)
			if d.Result == nil {
				continue // only a general "did not request" check: the direct calls below cover it
			}
			if text := d.Result.text(); !strings.Contains(strings.ToLower(text), "session") {
				t.Errorf("scenario %s (stateless): tool result %q does not say that a session is missing", r.name, text)
			}
		}
		t.Logf("scenario %s fails as expected without a session (%v): %s", r.name, r.duration.Round(time.Millisecond), describe(r.failures()[0]))
	}

	// The suite does not record the results of the two SEP elicitation
	// tools; call all four directly.
	probeStatelessTools(t, srv.url)
	srv.stop(t)
	if t.Failed() {
		t.Logf("server stderr:\n%s", srv.stderr.String())
	}
}

// toolResult is the part of a CallToolResult the tests read.
type toolResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	IsError bool `json:"isError"`
}

func (r *toolResult) text() string {
	var parts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// probeStatelessTools calls each session-dependent tool with a plain
// stateless POST and checks that it answers at once, with a result whose text
// says that a session is missing.
func probeStatelessTools(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: quickScenario}
	for scenario, call := range sessionScenarios {
		body, _ := json.Marshal(map[string]any{
			"jsonrpc": "2.0", "id": 1, "method": "tools/call",
			"params": map[string]any{"name": call.tool, "arguments": call.args},
		})
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s (stateless): tools/call %s: %v", scenario, call.tool, err)
			continue
		}
		msg, err := readRPCResponse(resp)
		resp.Body.Close()
		elapsed := time.Since(start)
		if err != nil {
			t.Errorf("%s (stateless): tools/call %s: HTTP %d: %v", scenario, call.tool, resp.StatusCode, err)
			continue
		}
		var res toolResult
		if msg.Error != nil {
			// A JSON-RPC error is clear too, if it says why.
			res.Content = append(res.Content, struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}{"text", msg.Error.Message})
		} else if err := json.Unmarshal(msg.Result, &res); err != nil {
			t.Errorf("%s (stateless): tools/call %s: result %s: %v", scenario, call.tool, msg.Result, err)
			continue
		}
		if text := res.text(); !strings.Contains(strings.ToLower(text), "session") {
			t.Errorf("%s (stateless): tools/call %s answered %q, which does not say that a session is missing", scenario, call.tool, text)
		} else {
			t.Logf("%s (stateless): tools/call %s answered in %v: %q", scenario, call.tool, elapsed.Round(time.Millisecond), text)
		}
	}
}

// rpcResponse is a JSON-RPC response.
type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// readRPCResponse reads the response to a single request, answered as JSON
// or as an SSE stream.
func readRPCResponse(resp *http.Response) (*rpcResponse, error) {
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("status %s: %s", resp.Status, b)
	}
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		var m rpcResponse
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return nil, err
		}
		return &m, nil
	}
	if !strings.HasPrefix(ct, "text/event-stream") {
		return nil, fmt.Errorf("unexpected Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line != "" {
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				data = append(data, strings.TrimPrefix(v, " "))
			}
			continue
		}
		payload := strings.Join(data, "\n")
		data = nil
		var m rpcResponse
		var probe struct {
			Method string `json:"method"`
		}
		if payload == "" || json.Unmarshal([]byte(payload), &probe) != nil || probe.Method != "" {
			continue // priming event, notification or server request
		}
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return nil, err
		}
		return &m, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("the SSE stream ended without a response")
}

// TestConformanceStdio runs the suite against the server over stdio, through
// a Streamable HTTP bridge that starts one child process per session
// (bridge_test.go). The three transport scenarios test the bridge rather than
// the server: they run (the suite has no way to leave them out, and one suite
// process is much faster than one per scenario) but their results are only
// logged. The other 29 must pass.
func TestConformanceStdio(t *testing.T) {
	suite := needSuite(t)
	bin := everythingBinary(t)
	ctx := testContext(t, testBudget)

	bridge := newStdioBridge(bin)
	closed := false
	t.Cleanup(func() {
		if !closed {
			bridge.Close()
		}
	})

	outDir := t.TempDir()
	start := time.Now()
	output, err := suite.run(ctx, bridge.URL(), outDir, "--suite", "all")
	t.Logf("suite run took %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Errorf("conformance suite: %v", err)
	}
	results, err := readResults(outDir)
	if err != nil {
		t.Fatal(err)
	}

	var scenarios []string
	for _, name := range allScenarios {
		if !transportScenarios[name] {
			scenarios = append(scenarios, name)
			continue
		}
		if r := results[name]; r != nil {
			status := "passes"
			if f := r.failures(); len(f) > 0 {
				status = "fails: " + describe(f[0])
			}
			t.Logf("transport scenario %s through the bridge (not judged) %s", name, status)
			delete(results, name)
		}
	}
	verify(t, results, scenarios, nil)
	if t.Failed() {
		t.Logf("suite output:\n%s", output)
	}

	closed = true
	sessions, problems := bridge.Close()
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) == 0 {
		t.Logf("the bridge served %d sessions, one child each; every child exited cleanly when its input closed", sessions)
	}
	if t.Failed() {
		t.Logf("stderr of the children:\n%s", bridge.Stderr())
	}
}
