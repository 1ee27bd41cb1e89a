package fastmcp_test

// The stdio transport against a client that writes requests and does not
// read the answers, and at shutdown.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// limLines is a client's input: the lines it writes, produced as the server
// reads them.
type limLines struct {
	mu   sync.Mutex
	next func() []byte // the next line, nil at the end
	buf  []byte
	read atomic.Int64 // lines handed to the server
}

func (l *limLines) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.buf) < len(p) {
		line := l.next()
		if line == nil {
			break
		}
		l.read.Add(1)
		l.buf = append(append(l.buf, line...), '\n')
	}
	if len(l.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// limGate is a client's output side: it takes the first pass messages, then
// takes nothing until opened, as a client that stops reading. Every message
// it takes is handed to got.
type limGate struct {
	pass atomic.Int64
	open chan struct{}
	// blocked is set once a write waits for the gate to open.
	blocked atomic.Bool
	got     func(line []byte)
	mu      sync.Mutex
	buffer  []byte
}

func (g *limGate) Write(p []byte) (int, error) {
	if g.pass.Load() <= 0 {
		g.blocked.Store(true)
		<-g.open
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.buffer = append(g.buffer, p...)
	for {
		i := bytes.IndexByte(g.buffer, '\n')
		if i < 0 {
			break
		}
		g.pass.Add(-1)
		g.got(g.buffer[:i])
		g.buffer = g.buffer[i+1:]
	}
	return len(p), nil
}

func limInitLines(rev string) [][]byte {
	return [][]byte{
		limEncode(1_000_000_000, "initialize", map[string]any{"protocolVersion": rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "limits", "version": "1"}}),
		limEncode(0, "notifications/initialized", nil),
	}
}

// A client writes requests (50,000 with FASTMCP_ATTACK=1, 5,000 by default)
// and does not read the answers: the server serves Options.MaxInFlight of
// them and what its output buffer holds, then stops reading until the client
// reads (a request beyond Options.MaxInFlight may be refused); its goroutines
// and memory stay bounded, and every request is answered once the client
// reads.
func TestStdioClientThatDoesNotRead(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	n := 5000
	if limAttack() {
		n = 50000
	}
	s := limServer(t, fastmcp.Options{}, nil)
	var calls atomic.Int64
	full := make(chan struct{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "count"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		if calls.Add(1) == fastmcp.DefaultMaxInFlight {
			close(full)
		}
		return "counted", nil
	})
	init := limInitLines(fastmcp.LatestHandshakeProtocolVersion)
	i := 0
	in := &limLines{next: func() []byte {
		i++
		switch {
		case i <= len(init):
			return init[i-1]
		case i <= len(init)+n:
			return limEncode(int64(i), "tools/call", map[string]any{"name": "count", "arguments": map[string]any{}})
		}
		return nil
	}}
	var answered, refused atomic.Int64
	allAnswered := make(chan struct{})
	gate := &limGate{open: make(chan struct{}), got: func(line []byte) {
		ok := bytes.Contains(line, []byte(`"counted"`))
		if !ok && bytes.Contains(line, []byte(`"error"`)) {
			refused.Add(1)
			ok = true
		}
		if ok && answered.Add(1) == int64(n) {
			close(allAnswered)
		}
	}}
	gate.pass.Store(1) // the answer to initialize
	base, heap := limGoroutines(), limHeap()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, fastmcp.Stdio{Reader: in, Writer: gate}) }()
	select {
	case <-full:
	case <-time.After(limWait):
		t.Fatalf("%d calls served, want %d", calls.Load(), fastmcp.DefaultMaxInFlight)
	}
	// The server stops once its output is blocked and its in-flight
	// slots are full: wait for it to settle.
	prevCalls, prevRead := int64(-1), int64(-1)
	limEventually(t, "the server to stop reading", func() bool {
		c, r := calls.Load(), in.read.Load()
		settled := gate.blocked.Load() && c == prevCalls && r == prevRead
		prevCalls, prevRead = c, r
		return settled
	})
	grown := limGoroutines() - base
	held := int64(limHeap()) - int64(heap)
	t.Logf("%d requests written, the answers not read: %d served, %d lines read; goroutines %+d, memory %+d KiB",
		n, calls.Load(), in.read.Load(), grown, held>>10)
	// The answers to the calls served beyond the slots wait in the
	// output's 32 KiB buffer; an answer is over 64 bytes.
	if c, most := calls.Load(), int64(fastmcp.DefaultMaxInFlight+(32<<10)/64); c > most {
		t.Errorf("%d calls served while the client did not read, want at most %d", c, most)
	}
	if grown > fastmcp.DefaultMaxInFlight+16 {
		t.Errorf("goroutines grew by %d", grown)
	}
	if held > 32<<20 {
		t.Errorf("memory grew by %d KiB", held>>10)
	}
	start := time.Now()
	close(gate.open) // the client reads
	select {
	case <-allAnswered:
	case <-time.After(limWait):
		t.Fatalf("%d of %d answered after the client read", answered.Load(), n)
	}
	t.Logf("all %d answered %v after the client read (%d refused as beyond Options.MaxInFlight)", n, time.Since(start), refused.Load())
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(limWait):
		t.Fatal("Serve did not return at the end of the input")
	}
}

// limStdio serves s over pipes: it returns the client's input, a channel of
// the messages the server writes (closed once the output is closed, which
// closeOut does) and what Serve returns.
func limStdio(t *testing.T, s *fastmcp.Server, ctx context.Context) (in io.Writer, msgs <-chan limMsg, done <-chan error, closeOut func()) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, fastmcp.Stdio{Reader: inR, Writer: outW}) }()
	out := make(chan limMsg, 256)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m limMsg
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				t.Errorf("not JSON: %q", sc.Bytes())
				continue
			}
			out <- m
		}
	}()
	for _, l := range limInitLines(fastmcp.LatestHandshakeProtocolVersion) {
		fmt.Fprintf(inW, "%s\n", l)
	}
	return inW, out, served, func() { outW.Close() }
}

// limAnswerTo waits for the response to id.
func limAnswerTo(t *testing.T, msgs <-chan limMsg, id string) limMsg {
	t.Helper()
	timeout := time.After(limWait)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("output ended before the answer to %s", id)
			}
			if string(m.ID) == id && m.Method == "" {
				return m
			}
		case <-timeout:
			t.Fatalf("no answer to %s", id)
		}
	}
}

// When serving ends (the context passed to Serve, as SIGTERM with Start),
// reading stops, requests in flight may finish for Options.ShutdownTimeout,
// and those still running then are answered with an error, once.
func TestStdioShutdownDrainsThenAnswers(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{ShutdownTimeout: 300 * time.Millisecond}, nil)
	started := make(chan string, 2)
	deafEnded := make(chan struct{})
	type args struct {
		MS   int  `json:"ms"`
		Deaf bool `json:"deaf,omitempty"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "job"}, func(ctx *fastmcp.Context, a args) (string, error) {
		started <- fmt.Sprint(a.Deaf)
		if a.Deaf {
			defer close(deafEnded)
			time.Sleep(time.Duration(a.MS) * time.Millisecond) // the handler ignores its context
			return "deaf done", nil
		}
		select {
		case <-time.After(time.Duration(a.MS) * time.Millisecond):
			return "polite done", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	in, msgs, done, closeOut := limStdio(t, s, ctx)
	fmt.Fprintf(in, "%s\n", limEncode(1, "tools/call", map[string]any{"name": "job", "arguments": map[string]any{"ms": 100}}))
	fmt.Fprintf(in, "%s\n", limEncode(2, "tools/call", map[string]any{"name": "job", "arguments": map[string]any{"ms": 900, "deaf": true}}))
	<-started
	<-started
	cancel()
	polite := limAnswerTo(t, msgs, "1")
	if polite.Error != nil || !strings.Contains(string(polite.Result), "polite done") {
		t.Errorf("a request that finishes within the shutdown timeout: %+v %s", polite.Error, polite.Result)
	}
	deaf := limAnswerTo(t, msgs, "2")
	if deaf.Error == nil || deaf.Error.Code != -32603 || !strings.Contains(deaf.Error.Message, "shutting down") {
		t.Errorf("a request still running at the shutdown timeout: %s %+v", deaf.Result, deaf.Error)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(limWait):
		t.Fatal("Serve did not return")
	}
	<-deafEnded
	limGoroutines() // the handler's goroutine ends once its answer is dealt with
	closeOut()
	// The handler's own answer, once it returned, is not sent as well.
	for m := range msgs {
		if string(m.ID) == "2" {
			t.Errorf("request 2 answered twice: %s", m.Result)
		}
	}
}

// A broadcast never waits on a stdio client that does not read: messages
// that belong to no request wait in a bounded queue.
func TestStdioBroadcastToClientThatDoesNotRead(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	s := limServer(t, fastmcp.Options{}, nil)
	inR, inW := io.Pipe()
	gate := &limGate{open: make(chan struct{}), got: func([]byte) {}}
	gate.pass.Store(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, fastmcp.Stdio{Reader: inR, Writer: gate}) }()
	for _, l := range limInitLines(fastmcp.LatestHandshakeProtocolVersion) {
		fmt.Fprintf(inW, "%s\n", l)
	}
	limEventually(t, "the stdio session to be ready", func() bool {
		ss := s.Sessions()
		return len(ss) == 1 && ss[0].IsReady()
	})
	ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
	healthy := limNewClient(t, ts.URL+"/mcp")
	healthy.mustInitialize(true)
	events := healthy.openGET()
	base := limGoroutines()
	for k := range 20 {
		fastmcp.AddTool(s, fastmcp.Tool{Name: fmt.Sprintf("late%d", k)}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "", nil })
		events.next(t, "notifications/tools/list_changed")
		limWithin(t, "Server.ResourceUpdated", limWait, func() { s.ResourceUpdated("file:///x") })
	}
	if grown := limGoroutines() - base; grown > 3 {
		t.Errorf("goroutines grew by %d over 40 broadcasts", grown)
	}
	cancel()
	close(gate.open)
	inW.Close()
	<-done
}

// The test binary serves stdio itself when FASTMCP_STDIO_CHILD is set: a
// "slow" tool logs that it started, then takes 300 ms.
func limStdioChild() {
	s := fastmcp.New(fastmcp.Options{Name: "child", Version: "1", ShutdownTimeout: 5 * time.Second})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "slow"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Info("started")
		select {
		case <-time.After(300 * time.Millisecond):
			return "slow done", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	if err := s.Start(context.Background(), fastmcp.Stdio{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// SIGTERM to a process serving stdio with Start drains: the call in flight
// is answered with its result, then the process exits cleanly.
func TestStdioSIGTERMDrains(t *testing.T) {
	if os.Getenv("FASTMCP_STDIO_CHILD") == "1" {
		limStdioChild()
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStdioSIGTERMDrains$")
	cmd.Env = append(os.Environ(), "FASTMCP_STDIO_CHILD=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for _, l := range limInitLines(fastmcp.LatestHandshakeProtocolVersion) {
		fmt.Fprintf(stdin, "%s\n", l)
	}
	fmt.Fprintf(stdin, "%s\n", limEncode(7, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{}}))
	sc := bufio.NewScanner(stdout)
	read := func(want func(limMsg) bool) limMsg {
		t.Helper()
		for sc.Scan() {
			var m limMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("not JSON on stdout: %q", sc.Bytes())
			}
			if want(m) {
				return m
			}
		}
		t.Fatalf("stdout ended: %v", sc.Err())
		return limMsg{}
	}
	read(func(m limMsg) bool { return m.Method == "notifications/message" })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	m := read(func(m limMsg) bool { return string(m.ID) == "7" })
	if m.Error != nil || !strings.Contains(string(m.Result), "slow done") {
		t.Errorf("the call in flight at SIGTERM: %s %+v, want its result", m.Result, m.Error)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("the process exited with %v", err)
		}
	case <-time.After(limWait):
		t.Fatal("the process did not exit after SIGTERM")
	}
}
