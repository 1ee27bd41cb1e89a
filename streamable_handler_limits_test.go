package fastmcp_test

// Attacks on the HTTP transport at its defaults, each reproduced over real
// connections on 127.0.0.1 with the damage it may do asserted: sessions that
// crowd out others, batches and bodies that reserve memory, and shutdowns
// that drop connections. The helpers here (lim*) are self-contained and shared
// by the other *_limits_test.go files. Larger-scale versions of the attacks
// run with FASTMCP_ATTACK=1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// limWait bounds every wait for something the server must do.
const limWait = 10 * time.Second

// limAttack reports whether the larger-scale attacks run (FASTMCP_ATTACK=1).
func limAttack() bool { return os.Getenv("FASTMCP_ATTACK") == "1" }

// limLog collects the server's log records.
type limLog struct {
	mu   sync.Mutex
	recs []string
}

func (l *limLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *limLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *limLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *limLog) WithGroup(string) slog.Handler      { return l }

// count returns the number of records containing every one of parts.
func (l *limLog) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
outer:
	for _, r := range l.recs {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue outer
			}
		}
		n++
	}
	return n
}

// limServer returns a server with the tools the attacks use, logging to log
// (when not nil):
//
//   - add: a + b
//   - wait: blocks until its context ends, or for ms milliseconds when set
//     (ignoring its context when deaf is set)
func limServer(t testing.TB, opts fastmcp.Options, log *limLog) *fastmcp.Server {
	t.Helper()
	if log != nil {
		opts.Logger = slog.New(log)
	} else if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Name, opts.Version = "limits", "1.0.0"
	s := fastmcp.New(opts)
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add"}, func(_ *fastmcp.Context, a addArgs) (string, error) {
		return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
	})
	type waitArgs struct {
		MS   int  `json:"ms,omitempty"`
		Deaf bool `json:"deaf,omitempty"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "wait"}, func(ctx *fastmcp.Context, a waitArgs) (string, error) {
		var after <-chan time.Time
		if a.MS > 0 {
			after = time.After(time.Duration(a.MS) * time.Millisecond)
		}
		if a.Deaf {
			<-after
			return "waited", nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-after:
			return "waited", nil
		}
	})
	return s
}

// limHTTP serves s.Handler(opts) on 127.0.0.1. With sndbuf > 0, the server's
// connections get that send buffer, so that a client that stops reading
// blocks the server's writes after few bytes.
// configure, when given, adjusts the server before it starts.
func limHTTP(t testing.TB, s *fastmcp.Server, opts fastmcp.HTTP, sndbuf int, configure ...func(*http.Server)) (*httptest.Server, *fastmcp.HTTPHandler) {
	t.Helper()
	h := s.Handler(opts)
	ts := httptest.NewUnstartedServer(h)
	if sndbuf > 0 {
		ts.Listener = limListener{ts.Listener, sndbuf}
	}
	for _, f := range configure {
		f(ts.Config)
	}
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { h.Close() })
	return ts, h
}

type limListener struct {
	net.Listener
	sndbuf int
}

func (l limListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(l.sndbuf)
	}
	return c, err
}

// limClient is a raw JSON-RPC client of one Streamable HTTP session.
type limClient struct {
	t    testing.TB
	url  string
	hc   *http.Client
	sid  string
	rev  string
	next atomic.Int64
	// local, when set, is the address the client's connections come from.
	local string
}

func limNewClient(t testing.TB, url string) *limClient {
	return limNewClientFrom(t, url, "")
}

// limNewClientFrom returns a client whose connections come from local (a
// loopback address such as 127.0.0.2), "" for the default.
func limNewClientFrom(t testing.TB, url, local string) *limClient {
	d := &net.Dialer{}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &limClient{t: t, url: url, hc: &http.Client{Transport: tr}, rev: fastmcp.LatestHandshakeProtocolVersion, local: local}
}

func limEncode(id int64, method string, params any) []byte {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if id > 0 {
		m["id"] = id
	}
	if params != nil {
		m["params"] = params
	}
	b, _ := json.Marshal(m)
	return b
}

// post sends a message; the caller closes the response body.
func (c *limClient) post(ctx context.Context, body []byte) (*http.Response, error) {
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	if c.sid != "" {
		r.Header.Set("Mcp-Session-Id", c.sid)
		r.Header.Set("MCP-Protocol-Version", c.rev)
	}
	return c.hc.Do(r)
}

// limAnswer is a POST's answer: its status, headers and last JSON-RPC
// message.
type limAnswer struct {
	status int
	header http.Header
	msg    limMsg
	raw    []byte
	// cut: an SSE answer whose connection closed after its last event.
	cut bool
}

type limMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// send POSTs a message and reads its whole answer (JSON or SSE).
func (c *limClient) send(body []byte) limAnswer {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limWait)
	defer cancel()
	resp, err := c.post(ctx, body)
	if err != nil {
		c.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	a := limAnswer{status: resp.StatusCode, header: resp.Header}
	data, err := io.ReadAll(resp.Body)
	sse := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	switch {
	case err == io.ErrUnexpectedEOF && sse:
		// The stream was cut after its events (a handler ended its
		// goroutine): what arrived is the answer.
		a.cut = true
	case err != nil:
		c.t.Fatalf("reading the answer: %v", err)
	}
	if sse {
		for line := range strings.SplitSeq(string(data), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok && d != "" {
				a.raw = []byte(d)
			}
		}
	} else {
		a.raw = data
	}
	if len(a.raw) > 0 && a.raw[0] == '{' {
		if err := json.Unmarshal(a.raw, &a.msg); err != nil {
			c.t.Fatalf("answer %q: %v", a.raw, err)
		}
	}
	return a
}

// request sends a request and returns its answer.
func (c *limClient) request(method string, params any) limAnswer {
	c.t.Helper()
	return c.send(limEncode(c.next.Add(1), method, params))
}

// initialize sends initialize, and, with complete, notifications/initialized.
// It returns the answer to initialize.
func (c *limClient) initialize(complete bool) limAnswer {
	c.t.Helper()
	a := c.request("initialize", map[string]any{"protocolVersion": c.rev, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "limits", "version": "1"}})
	if a.status != http.StatusOK {
		return a
	}
	c.sid = a.header.Get("Mcp-Session-Id")
	if complete {
		if n := c.send(limEncode(0, "notifications/initialized", nil)); n.status != http.StatusAccepted {
			c.t.Fatalf("notifications/initialized: %d %s", n.status, n.raw)
		}
	}
	return a
}

// mustInitialize initializes and fails the test unless a session started.
func (c *limClient) mustInitialize(complete bool) {
	c.t.Helper()
	if a := c.initialize(complete); a.status != http.StatusOK || c.sid == "" {
		c.t.Fatalf("initialize: %d %s", a.status, a.raw)
	}
}

// alive reports whether the server still knows the client's session.
func (c *limClient) alive() bool {
	c.t.Helper()
	a := c.request("ping", nil)
	switch a.status {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	c.t.Fatalf("ping: %d %s", a.status, a.raw)
	return false
}

// limEvents reads an SSE stream's messages in the background.
type limEvents struct {
	ch   chan limMsg
	errc chan error
}

func limReadEvents(r io.Reader) *limEvents {
	e := &limEvents{ch: make(chan limMsg, 1024), errc: make(chan error, 1)}
	go func() {
		br := bufio.NewReaderSize(r, 64<<10)
		var data strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				e.errc <- err
				close(e.ch)
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if data.Len() > 0 {
					var m limMsg
					if json.Unmarshal([]byte(data.String()), &m) == nil {
						e.ch <- m
					}
					data.Reset()
				}
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return e
}

// next returns the next message whose method is method, skipping others.
func (e *limEvents) next(t testing.TB, method string) limMsg {
	t.Helper()
	timeout := time.After(limWait)
	for {
		select {
		case m, ok := <-e.ch:
			if !ok {
				t.Fatalf("stream ended waiting for %s: %v", method, <-e.errc)
			}
			if m.Method == method {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s within %v", method, limWait)
		}
	}
}

// openGET opens the session's GET stream and reads it in the background.
func (c *limClient) openGET() *limEvents {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set("Mcp-Session-Id", c.sid)
	r.Header.Set("MCP-Protocol-Version", c.rev)
	resp, err := c.hc.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET: %v %v", err, resp)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return limReadEvents(resp.Body)
}

// limGoroutines returns the number of goroutines once those that are ending
// have ended (it settles over a few scheduling rounds).
func limGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(2 * time.Millisecond) // measuring, not synchronizing
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}

// limEventually polls cond until it holds or limWait passes.
func limEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// limWithin runs f and fails the test if it does not return within d.
func limWithin(t testing.TB, what string, d time.Duration, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
	return time.Since(start)
}

var _ = fmt.Sprint

// At the shutdown timeout, the calls still running are answered with a
// JSON-RPC error rather than a dropped connection; calls that finish within
// it are answered with their results.
func TestHTTPShutdownAnswersRunningCalls(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	started := make(chan struct{}, 8)
	type jobArgs struct {
		MS       int  `json:"ms"`
		Deaf     bool `json:"deaf,omitempty"`
		Progress bool `json:"progress,omitempty"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "job"}, func(ctx *fastmcp.Context, a jobArgs) (string, error) {
		if a.Progress {
			ctx.ReportProgress(fastmcp.Progress{Progress: 1}) // the answer becomes an SSE stream
		}
		started <- struct{}{}
		if a.Deaf {
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
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(ctx, fastmcp.HTTP{Host: "127.0.0.1", Port: -1, ShutdownTimeout: 300 * time.Millisecond,
			OnListen: func(a net.Addr) { addr <- a }})
	}()
	url := "http://" + (<-addr).String() + "/mcp"
	c := limNewClient(t, url)
	c.mustInitialize(true)
	calls := []struct {
		name string
		args map[string]any
		want string // in the answer
	}{
		{"polite", map[string]any{"ms": 100}, "polite done"},
		{"deaf", map[string]any{"ms": 3000, "deaf": true}, "Server shutting down"},
		{"deaf, SSE answer", map[string]any{"ms": 3000, "deaf": true, "progress": true}, "Server shutting down"},
	}
	answers := make([]limAnswer, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			p := map[string]any{"name": "job", "arguments": call.args}
			if call.args["progress"] == true {
				p["_meta"] = map[string]any{"progressToken": 1}
			}
			answers[i] = c.send(limEncode(int64(i+1), "tools/call", p))
		})
	}
	for range calls {
		<-started
	}
	start := time.Now()
	cancel()
	wg.Wait()
	t.Logf("answered within %v of the shutdown", time.Since(start))
	for i, call := range calls {
		a := answers[i]
		if a.status != http.StatusOK || string(a.msg.ID) != fmt.Sprint(i+1) || !bytes.Contains(a.raw, []byte(call.want)) {
			t.Errorf("%s: %d %s, want an answer to %d containing %q", call.name, a.status, a.raw, i+1, call.want)
		}
		if call.want == "Server shutting down" && (a.msg.Error == nil || a.msg.Error.Code != -32603) {
			t.Errorf("%s: %s, want error -32603", call.name, a.raw)
		}
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(limWait):
		t.Fatal("Serve did not return")
	}
}

// The legacy transport answers on its stream: when shutdown begins, a stream
// with requests in flight stays open for their answers, and those still
// running at the timeout are answered with an error before it closes.
func TestHTTPShutdownLegacyStream(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(ctx, fastmcp.HTTP{Host: "127.0.0.1", Port: -1, ShutdownTimeout: 400 * time.Millisecond,
			OnListen: func(a net.Addr) { addr <- a }})
	}()
	base := "http://" + (<-addr).String()
	resp, err := http.Get(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var endpoint string
	for endpoint == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
			endpoint = base + d
		}
	}
	events := limReadEvents(br)
	post := func(msg []byte) {
		resp, err := http.Post(endpoint, "application/json", bytes.NewReader(msg))
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	post(limEncode(1, "initialize", map[string]any{"protocolVersion": fastmcp.ProtocolVersion20241105, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "legacy", "version": "1"}}))
	post(limEncode(0, "notifications/initialized", nil))
	post(limEncode(2, "tools/call", map[string]any{"name": "wait", "arguments": map[string]any{"ms": 150}}))
	post(limEncode(3, "tools/call", map[string]any{"name": "wait", "arguments": map[string]any{"ms": 5000, "deaf": true}}))
	limEventually(t, "both calls to run", func() bool {
		for _, sess := range s.Sessions() {
			if sess.Metrics().ActiveOperations == 2 {
				return true
			}
		}
		return false
	})
	cancel()
	got := map[string]limMsg{}
	for m := range events.ch {
		if m.Method == "" && m.ID != nil {
			got[string(m.ID)] = m
		}
	}
	if m := got["2"]; m.Error != nil || !strings.Contains(string(m.Result), "waited") {
		t.Errorf("the call that finished within the timeout: %s %+v", m.Result, m.Error)
	}
	if m := got["3"]; m.Error == nil || m.Error.Code != -32603 || !strings.Contains(m.Error.Message, "shutting down") {
		t.Errorf("the call still running at the timeout: %s %+v", m.Result, m.Error)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(limWait):
		t.Fatal("Serve did not return")
	}
}
