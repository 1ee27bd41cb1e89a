package fastmcp_test

// The example servers as real processes: built once per test binary, started
// with pipes for standard input and output, driven with raw JSON-RPC lines.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// processWait bounds every wait on a child process: a response, its exit.
const processWait = 10 * time.Second

// exampleBins are the paths of the built example servers.
type exampleBins struct {
	quickstart, everything string
}

var exampleBuild struct {
	mu    sync.Mutex
	users int // tests holding the binaries
	dir   string
	bins  exampleBins
}

// exampleBinaries builds examples/quickstart and examples/everything and
// returns their paths. The binaries are shared: the first test to ask builds
// them into a temporary directory, which is removed when the last test
// holding them ends. Call it before t.Parallel: every top-level test runs its
// serial part before any parallel part resumes, so all of them hold the
// binaries before any lets go, and they are built once per test binary.
func exampleBinaries(t testing.TB) exampleBins {
	t.Helper()
	b := &exampleBuild
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == 0 {
		dir, err := os.MkdirTemp("", "fastmcp-examples-")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "github.com/fastmcp-go/fastmcp/examples/quickstart", "github.com/fastmcp-go/fastmcp/examples/everything")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build ./examples/...: %v\n%s", err, out)
		}
		exe := ""
		if runtime.GOOS == "windows" {
			exe = ".exe"
		}
		b.dir = dir
		b.bins = exampleBins{
			quickstart: filepath.Join(dir, "quickstart"+exe),
			everything: filepath.Join(dir, "everything"+exe),
		}
	}
	b.users++
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.users--; b.users == 0 {
			os.RemoveAll(b.dir)
			b.dir, b.bins = "", exampleBins{}
		}
	})
	return b.bins
}

// skipUnlessUnix skips tests that rely on Unix processes and signals.
func skipUnlessUnix(t testing.TB) {
	t.Helper()
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skipf("process tests need a Unix system, not %s", runtime.GOOS)
	}
}

// serverProcess is an example server running as a child process.
type serverProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	conv   *spectest.Conversation

	lines chan []byte // stdout lines, closed at end of file

	mu     sync.Mutex
	output [][]byte // every stdout line, in order

	waitOnce sync.Once
	waitErr  error
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServerProcess starts bin. Every line it writes to standard output must
// be a JSON-RPC message valid in the latest handshake revision; any other
// line fails the test. The process is killed, if still running, when the test
// ends.
func startServerProcess(t testing.TB, bin string) *serverProcess {
	t.Helper()
	v, err := spectest.For(fastmcp.LatestHandshakeProtocolVersion)
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{
		t:      t,
		cmd:    exec.Command(bin),
		stderr: &syncBuffer{},
		conv:   spectest.NewConversation(v),
		lines:  make(chan []byte, 1024),
	}
	p.cmd.Stderr = p.stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.readStdout(stdout)
	t.Cleanup(func() {
		// Kill is a no-op for a process that has exited. Reading the rest
		// of the output lets the reader finish before the test does.
		p.cmd.Process.Kill()
		for range p.lines {
		}
		p.wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(bin), p.stderr.String())
		}
	})
	return p
}

func (p *serverProcess) readStdout(r io.Reader) {
	defer close(p.lines)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			msg := bytes.TrimRight(line, "\r\n")
			p.mu.Lock()
			p.output = append(p.output, msg)
			p.mu.Unlock()
			if err := checkJSONRPCLine(msg); err != nil {
				p.t.Errorf("stdout carries a line that is not a JSON-RPC message: %v\nline: %q", err, msg)
			} else if err := p.conv.Received(msg); err != nil {
				p.t.Errorf("server sent a message that is invalid in %s: %v\nmessage: %s", fastmcp.LatestHandshakeProtocolVersion, err, msg)
			}
			p.lines <- msg
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.t.Errorf("reading stdout: %v", err)
			}
			return
		}
	}
}

// checkJSONRPCLine reports why line is not one JSON-RPC 2.0 message (or
// batch of messages).
func checkJSONRPCLine(line []byte) error {
	if !json.Valid(line) {
		return errors.New("not JSON")
	}
	var batch []json.RawMessage
	if json.Unmarshal(line, &batch) == nil {
		for _, m := range batch {
			if err := checkJSONRPCLine(m); err != nil {
				return err
			}
		}
		return nil
	}
	var m struct {
		JSONRPC string `json:"jsonrpc"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	if m.JSONRPC != "2.0" {
		return fmt.Errorf(`"jsonrpc" is %q, want "2.0"`, m.JSONRPC)
	}
	return nil
}

// send writes one message to the server's standard input.
func (p *serverProcess) send(msg any) {
	p.t.Helper()
	b, err := json.Marshal(msg)
	if err != nil {
		p.t.Fatal(err)
	}
	p.conv.Sent(b)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("writing to the server: %v", err)
	}
}

// request sends a request with a numeric id.
func (p *serverProcess) request(id int, method string, params any) {
	p.t.Helper()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	p.send(m)
}

// processMessage is a message read from the server.
type processMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// next returns the next message from the server, or nil at the end of its
// output.
func (p *serverProcess) next() *processMessage {
	p.t.Helper()
	timer := time.NewTimer(processWait)
	defer timer.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return nil
		}
		var m processMessage
		if err := json.Unmarshal(line, &m); err != nil {
			p.t.Fatalf("decoding %s: %v", line, err)
		}
		return &m
	case <-timer.C:
		p.t.Fatalf("no message from the server within %v", processWait)
		return nil
	}
}

// response returns the response to request id, and the notifications that
// came before it.
func (p *serverProcess) response(id int) (*processMessage, []*processMessage) {
	p.t.Helper()
	var notes []*processMessage
	for {
		m := p.next()
		if m == nil {
			p.t.Fatalf("server output ended before the response to request %d", id)
		}
		if m.Method == "" && string(m.ID) == fmt.Sprint(id) {
			return m, notes
		}
		notes = append(notes, m)
	}
}

// handshake initializes the session.
func (p *serverProcess) handshake() {
	p.t.Helper()
	p.request(1, "initialize", map[string]any{
		"protocolVersion": fastmcp.LatestHandshakeProtocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "process-test", "version": "1.0.0"},
	})
	res, _ := p.response(1)
	if res.Error != nil {
		p.t.Fatalf("initialize failed: %+v", res.Error)
	}
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(res.Result, &init); err != nil || init.ProtocolVersion != fastmcp.LatestHandshakeProtocolVersion {
		p.t.Fatalf("initialize result %s (%v)", res.Result, err)
	}
	p.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
}

// wait waits for the process to exit; the caller must have seen the end of
// its standard output or killed it.
func (p *serverProcess) wait() error {
	p.waitOnce.Do(func() { p.waitErr = p.cmd.Wait() })
	return p.waitErr
}

// exitCode waits, at most processWait, for the process to close its output
// and exit, and returns its exit status. It fails the test when the process
// hangs (the process is then killed) or dies of a signal.
func (p *serverProcess) exitCode() int {
	p.t.Helper()
	timer := time.NewTimer(processWait)
	defer timer.Stop()
	// Drain what is left of the output so the process never blocks on a
	// full pipe.
drain:
	for {
		select {
		case _, ok := <-p.lines:
			if !ok {
				break drain
			}
		case <-timer.C:
			p.cmd.Process.Kill()
			p.t.Fatalf("process did not exit within %v", processWait)
		}
	}
	err := p.wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.ExitCode() < 0 {
			p.t.Fatalf("process died: %v", err)
		}
		return ee.ExitCode()
	}
	p.t.Fatalf("waiting for the process: %v", err)
	return -1
}

// toolText returns the text of the first content block of a tools/call
// response's result and its isError, failing the test on an error response.
func toolText(t testing.TB, m *processMessage) (string, bool) {
	t.Helper()
	if m.Error != nil {
		t.Fatalf("tools/call failed: %+v", m.Error)
	}
	return testkit.ToolText(t, m.Result)
}

func TestProcessHandshakeAndToolCall(t *testing.T) {
	skipUnlessUnix(t)
	bins := exampleBinaries(t)
	t.Parallel()
	cases := []struct {
		name   string
		bin    string
		params map[string]any
		want   string
	}{
		{"quickstart", bins.quickstart, map[string]any{"name": "add", "arguments": map[string]any{"a": 2, "b": 3}}, "5"},
		// No "arguments" member at all: read as {}.
		{"everything", bins.everything, map[string]any{"name": "test_simple_text"}, "This is a simple text response for testing."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startServerProcess(t, tc.bin)
			p.handshake()
			p.request(2, "tools/call", tc.params)
			res, _ := p.response(2)
			if got, isErr := toolText(t, res); got != tc.want || isErr {
				t.Errorf("tools/call = %q (isError %v), want %q", got, isErr, tc.want)
			}
			p.stdin.Close()
			if code := p.exitCode(); code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
		})
	}
}

// TestProcessStdoutCarriesOnlyJSONRPC runs a session that makes the server
// log, report progress, fail and meet bad input, and checks every line of its
// standard output (startServerProcess checks each one as it arrives).
func TestProcessStdoutCarriesOnlyJSONRPC(t *testing.T) {
	skipUnlessUnix(t)
	bin := exampleBinaries(t).everything
	t.Parallel()
	p := startServerProcess(t, bin)
	p.handshake()
	p.request(2, "logging/setLevel", map[string]any{"level": "debug"})
	p.request(3, "tools/list", nil)
	id := 4
	for _, name := range []string{
		"test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
		"test_multiple_content_types", "test_tool_with_logging", "test_error_handling", "test_tool_with_progress",
	} {
		p.request(id, "tools/call", map[string]any{"name": name, "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": id}})
		id++
	}
	p.request(id, "resources/read", map[string]any{"uri": "test://static-binary"})
	p.request(id+1, "prompts/get", map[string]any{"name": "test_prompt_with_image"})
	p.request(id+2, "no/such/method", nil)
	last := id + 2
	// Malformed input is answered on stdout too, as JSON-RPC errors.
	if _, err := io.WriteString(p.stdin, "this is not JSON\n{\"jsonrpc\":\"2.0\",\"id\":\n"); err != nil {
		t.Fatal(err)
	}
	p.stdin.Close()

	answered := map[string]bool{}
	methods := map[string]int{}
	parseErrors := 0
	for m := p.next(); m != nil; m = p.next() {
		switch {
		case m.Method != "":
			methods[m.Method]++
		case len(m.ID) == 0 || string(m.ID) == "null":
			// An error for a message whose id could not be read:
			// MCP leaves the id out, JSON-RPC 2.0 sends null.
			if m.Error == nil || m.Error.Code != int(fastmcp.CodeParseError) {
				t.Errorf("response without id is not a parse error: %+v", m.Error)
			}
			parseErrors++
		default:
			answered[string(m.ID)] = true
		}
	}
	for i := 2; i <= last; i++ {
		if !answered[fmt.Sprint(i)] {
			t.Errorf("request %d got no response", i)
		}
	}
	if parseErrors != 2 {
		t.Errorf("%d parse error responses, want 2", parseErrors)
	}
	if methods["notifications/message"] < 3 || methods["notifications/progress"] < 3 {
		t.Errorf("notifications = %v, want at least 3 log and 3 progress notifications", methods)
	}
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.output) == 0 {
		t.Fatal("no output")
	}
}

func TestProcessExit(t *testing.T) {
	skipUnlessUnix(t)
	bins := exampleBinaries(t)
	t.Parallel()
	stops := []struct {
		name string
		stop func(p *serverProcess) error
	}{
		{"stdin EOF", func(p *serverProcess) error { return p.stdin.Close() }},
		{"SIGINT", func(p *serverProcess) error { return p.cmd.Process.Signal(os.Interrupt) }},
		{"SIGTERM", func(p *serverProcess) error { return p.cmd.Process.Signal(syscall.SIGTERM) }},
	}
	for _, bin := range []struct{ name, path string }{{"quickstart", bins.quickstart}, {"everything", bins.everything}} {
		for _, stop := range stops {
			t.Run(bin.name+"/"+stop.name, func(t *testing.T) {
				t.Parallel()
				p := startServerProcess(t, bin.path)
				// After the handshake the server is serving, with its
				// signal handlers installed.
				p.handshake()
				p.request(2, "ping", nil)
				if res, _ := p.response(2); res.Error != nil || string(res.Result) != "{}" {
					t.Fatalf("ping: %+v %s", res.Error, res.Result)
				}
				start := time.Now()
				if err := stop.stop(p); err != nil {
					t.Fatal(err)
				}
				if code := p.exitCode(); code != 0 {
					t.Errorf("exit status %d, want 0", code)
				}
				t.Logf("exited %v after %s", time.Since(start).Round(time.Millisecond), stop.name)
			})
		}
	}
}

// TestProcessAnswersInFlightRequestAfterStdinEOF closes standard input right
// after a request that takes about 100ms: the response must still come.
func TestProcessAnswersInFlightRequestAfterStdinEOF(t *testing.T) {
	skipUnlessUnix(t)
	bin := exampleBinaries(t).everything
	t.Parallel()
	p := startServerProcess(t, bin)
	p.handshake()
	p.request(2, "tools/call", map[string]any{"name": "test_tool_with_progress", "_meta": map[string]any{"progressToken": "p-1"}})
	if err := p.stdin.Close(); err != nil {
		t.Fatal(err)
	}
	res, notes := p.response(2)
	if got, isErr := toolText(t, res); isErr || !strings.Contains(got, "completed") {
		t.Errorf("result %q (isError %v)", got, isErr)
	}
	var progress []float64
	for _, n := range notes {
		if n.Method != "notifications/progress" {
			continue
		}
		var pp struct {
			ProgressToken string  `json:"progressToken"`
			Progress      float64 `json:"progress"`
		}
		if err := json.Unmarshal(n.Params, &pp); err != nil || pp.ProgressToken != "p-1" {
			t.Errorf("progress notification %s (%v)", n.Params, err)
		}
		progress = append(progress, pp.Progress)
	}
	if fmt.Sprint(progress) != "[0 50 100]" {
		t.Errorf("progress = %v, want [0 50 100]", progress)
	}
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}
