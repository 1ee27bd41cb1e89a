package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// answeringClient is a downstream client that answers the upstream's
// questions with its own name: elicitation, sampling and roots.
func answeringClient(t testing.TB, url, era, name string, extra *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	opts := &mcp.ClientOptions{}
	if extra != nil {
		*opts = *extra
	}
	opts.ElicitationHandler = func(ctx context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": name}}, nil
	}
	opts.CreateMessageHandler = func(ctx context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
		return &mcp.CreateMessageResult{Role: "assistant", Model: "test", Content: &mcp.TextContent{Text: "from " + name}}, nil
	}
	c := mcp.NewClient(&mcp.Implementation{Name: name, Version: "1"}, opts)
	c.AddRoots(&mcp.Root{URI: "file:///" + name, Name: name})
	var sopts *mcp.ClientSessionOptions
	if era != "" {
		sopts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	ht := &http.Transport{}
	cs, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1, HTTPClient: &http.Client{Transport: ht}}, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ht.CloseIdleConnections()
	})
	return cs
}

// TestInputsReachTheirCaller has several clients call, at once, tools that
// ask their caller for input (elicitation, sampling, roots, two rounds of
// elicitation); every client must be asked its own questions and see its own
// answers in its result, whatever the eras of the client and the upstream
// and the upstream's transport.
func TestInputsReachTheirCaller(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		for _, era := range []string{handshake, modern} {
			t.Run(k.name+"/client-"+era, func(t *testing.T) {
				t.Parallel()
				// One upstream session for an HTTP upstream: its calls are
				// told apart by their own response streams.
				// Stdio and legacy SSE: one session per call in flight, for
				// the upstream's requests to be told apart. Streamable HTTP:
				// one upstream session, whose calls are told apart by their
				// response streams.
				opts := proxy.Options{MaxSessions: 4}
				if !k.stdio && !k.sse {
					opts.MaxSessions = 1
				}
				st := newSetup(t, k, opts)
				names := []string{"ada", "grace", "linus"}
				var wg sync.WaitGroup
				for _, name := range names {
					cs := answeringClient(t, st.url, era, name, nil)
					wg.Go(func() {
						for _, tc := range []struct {
							tool string
							args map[string]any
							want string
						}{
							{"ask_name", nil, "Hello, " + name},
							{"sample", map[string]any{"prompt": "hi"}, "LLM: from " + name},
							{"roots", nil, "file:///" + name},
							{"ask_twice", nil, name + " likes " + name},
						} {
							res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
							if err != nil {
								t.Errorf("%s: %s: %v", name, tc.tool, err)
								continue
							}
							if got := textOf(t, res); got != tc.want || res.IsError {
								t.Errorf("%s: %s answered %q (isError %v), want %q", name, tc.tool, got, res.IsError, tc.want)
							}
						}
					})
				}
				wg.Wait()
				if n := st.p.Stats().Parked; n != 0 {
					t.Errorf("%d calls still parked", n)
				}
			})
		}
	}
}

// TestSharedStdioSessionRefusesAmbiguousInput: with a stdio upstream, the
// upstream's requests carry nothing tying them to a call. While two calls
// share the one session, a request cannot be attributed: it is refused (the
// documented limit), and the upstream's tool sees the error.
func TestSharedStdioSessionRefusesAmbiguousInput(t *testing.T) {
	t.Parallel()
	upOpts, _, _ := fixtureUpstream(t, upKinds[1])
	started := make(chan string, 4)
	upOpts.Stderr = &lineWriter{fn: func(line string) {
		if tag, ok := strings.CutPrefix(line, "block started "); ok {
			started <- tag
		}
	}}
	p := newProxy(t, proxy.Options{Upstream: upOpts, MaxSessions: 1, Logger: quietLogger()})
	released := make(chan struct{}, 64)
	proxy.SetReleaseHook(p, func() { released <- struct{}{} })
	url := serveProxy(t, p.Server(), fastmcp.HTTP{})
	blocker := answeringClient(t, url, handshake, "grace", nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		blocker.CallTool(ctx, &mcp.CallToolParams{Name: "block", Arguments: map[string]any{"tag": "b"}})
	}()
	waitFor(t, started, "the block call to start")
	asker := answeringClient(t, url, handshake, "ada", nil)
	// The fixture returns the elicitation's error as it is, a JSON-RPC
	// error.
	_, err := asker.CallTool(t.Context(), &mcp.CallToolParams{Name: "ask_name"})
	if err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Errorf("ask_name while another call shares the stdio session: %v, want a refusal saying why", err)
	}
	if p.Stats().Refused == 0 {
		t.Error("Stats.Refused did not count the refusal")
	}
	drain(released)
	cancel()
	<-done
	waitFor(t, released, "the block call to leave the session")
	// Alone on the session, the same call is answered.
	if got := textOf(t, call(t, asker, "ask_name", nil)); got != "Hello, ada" {
		t.Errorf("ask_name alone: %q", got)
	}
}

// TestParkedCalls: a 2026-07-28 client answers an upstream speaking the
// handshake era in a later request; the proxy holds the call meanwhile. A
// client that never comes back has its call cancelled upstream after
// ParkedCallTimeout; MaxParkedCalls bounds what is held; a retry reaching
// another proxy process is told the round is gone.
func TestParkedCalls(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte("s"), 32)
	upOpts, fx, _ := fixtureUpstream(t, upKinds[0])
	// A client that does not answer input_required itself.
	manual := func(url string) *mcp.ClientSession {
		return connect(t, url, modern, &mcp.ClientOptions{
			MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
			ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				return nil, errors.New("unused")
			},
		})
	}

	// The bound: a second call that would park is refused.
	bounded := newProxy(t, proxy.Options{Upstream: upOpts, MaxParkedCalls: 1, Logger: quietLogger()})
	cs := manual(serveProxy(t, bounded.Server(), fastmcp.HTTP{}))
	res := call(t, cs, "ask_name", map[string]any{"tag": "held"})
	if !res.NeedsInput() || len(res.InputRequests) != 1 {
		t.Fatalf("ask_name: %+v, want input_required with one input request", res)
	}
	if n := bounded.Stats().Parked; n != 1 {
		t.Fatalf("Stats.Parked = %d, want 1", n)
	}
	res2, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "ask_name"})
	if err == nil && (res2.NeedsInput() || !res2.IsError) {
		t.Errorf("a second parked call beyond MaxParkedCalls: %+v, want a failure", res2)
	}

	// Nobody comes back: the upstream's call is cancelled.
	server := fastmcp.New(fastmcp.Options{Name: "proxy", Version: "1", Secret: secret, Logger: quietLogger()})
	p := newProxy(t, proxy.Options{Upstream: upOpts, Server: server, ParkedCallTimeout: 100 * time.Millisecond, Logger: quietLogger()})
	cs = manual(serveProxy(t, p.Server(), fastmcp.HTTP{}))
	res = call(t, cs, "ask_name", map[string]any{"tag": "first"})
	if !res.NeedsInput() {
		t.Fatalf("ask_name: %+v, want input_required", res)
	}
	for got := ""; got != "first"; {
		got = waitFor(t, fx.cancelled, "the upstream call to be cancelled after ParkedCallTimeout")
	}
	if n := p.Stats().Parked; n != 0 {
		t.Errorf("Stats.Parked = %d after the timeout", n)
	}

	// A retry reaching another proxy (same secret, so the requestState is
	// valid) finds nothing to resume.
	res = call(t, cs, "ask_name", nil)
	if !res.NeedsInput() {
		t.Fatalf("ask_name: %+v", res)
	}
	other := newProxy(t, proxy.Options{Upstream: upOpts, Server: fastmcp.New(fastmcp.Options{Name: "proxy", Version: "1", Secret: secret, Logger: quietLogger()}), Logger: quietLogger()})
	otherCS := answeringClient(t, serveProxy(t, other.Server(), fastmcp.HTTP{}), modern, "x", &mcp.ClientOptions{MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true}})
	var key string
	for k := range res.InputRequests {
		key = k
	}
	answer, _ := json.Marshal(map[string]any{key: map[string]any{"action": "accept", "content": map[string]any{"name": "x"}}})
	var responses mcp.InputResponseMap
	if err := json.Unmarshal(answer, &responses); err != nil {
		t.Fatal(err)
	}
	res, err = otherCS.CallTool(t.Context(), &mcp.CallToolParams{Name: "ask_name", InputResponses: responses, RequestState: res.RequestState})
	if err == nil || !strings.Contains(err.Error(), "no longer held") {
		t.Errorf("a retry at another proxy: %v %+v, want an error saying the round is no longer held", err, res)
	}
}

// TestProgressAndLogsBeforeTheResult reads the proxy's answer as raw SSE:
// the upstream's progress and log notifications of the call come, in
// order, before its result.
func TestProgressAndLogsBeforeTheResult(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			st := newSetup(t, k, proxy.Options{})
			c := newRawSession(t, st.url)
			msgs := c.call(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"progress","arguments":{"n":5},"_meta":{"progressToken":"tok"}}}`)
			var got []string
			for _, m := range msgs {
				switch m.Method {
				case "notifications/progress":
					var p struct {
						Token    string  `json:"progressToken"`
						Progress float64 `json:"progress"`
						Message  string  `json:"message"`
					}
					json.Unmarshal(m.Params, &p)
					got = append(got, fmt.Sprintf("%s:%g:%s", p.Token, p.Progress, p.Message))
				case "":
					got = append(got, "result")
				}
			}
			want := "tok:1:step 1 tok:2:step 2 tok:3:step 3 tok:4:step 4 tok:5:step 5 result"
			if k.version == "2024-11-05" {
				want = "tok:1: tok:2: tok:3: tok:4: tok:5: result" // no progress messages yet
			}
			if strings.Join(got, " ") != want {
				t.Errorf("progress call: %v, want %s", got, want)
			}

			msgs = c.call(t, `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"logs","arguments":{"n":4}}}`)
			got = nil
			for _, m := range msgs {
				switch m.Method {
				case "notifications/message":
					var p struct {
						Level string         `json:"level"`
						Data  map[string]any `json:"data"`
					}
					json.Unmarshal(m.Params, &p)
					got = append(got, fmt.Sprintf("%s:%v:%v", p.Level, p.Data["message"], p.Data["i"]))
				case "":
					got = append(got, "result")
				}
			}
			want = "info:message 1:1 info:message 2:2 info:message 3:3 info:message 4:4 result"
			if strings.Join(got, " ") != want {
				t.Errorf("logs call: %v, want %s", got, want)
			}
		})
	}
}

// TestCancellation: a client cancelling its call cancels the upstream's.
func TestCancellation(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			upOpts, fx, _ := fixtureUpstream(t, k)
			started, cancelled := make(chan string, 4), make(chan string, 4)
			if fx != nil {
				started, cancelled = fx.started, fx.cancelled
			} else {
				upOpts.Stderr = &lineWriter{fn: func(line string) {
					if tag, ok := strings.CutPrefix(line, "block started "); ok {
						started <- tag
					}
					if tag, ok := strings.CutPrefix(line, "block cancelled "); ok {
						cancelled <- tag
					}
				}}
			}
			p := newProxy(t, proxy.Options{Upstream: upOpts, Logger: quietLogger()})
			cs := connect(t, serveProxy(t, p.Server(), fastmcp.HTTP{}), handshake, nil)
			ctx, cancel := context.WithCancel(t.Context())
			errc := make(chan error, 1)
			go func() {
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "block", Arguments: map[string]any{"tag": k.name}})
				errc <- err
			}()
			if got := waitFor(t, started, "the upstream call to start"); got != k.name {
				t.Fatalf("started %q", got)
			}
			cancel()
			if got := waitFor(t, cancelled, "the upstream call to be cancelled"); got != k.name {
				t.Errorf("cancelled %q", got)
			}
			if err := waitFor(t, errc, "the client's call to end"); !errors.Is(err, context.Canceled) {
				t.Errorf("the cancelled call returned %v", err)
			}
		})
	}
}

// lineWriter passes each line written to it to fn.
type lineWriter struct {
	mu      sync.Mutex
	partial []byte
	fn      func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}

// TestSlowClientDoesNotStallOthers: a client that stops reading its answer
// while the upstream floods it with log messages must not hold up the other
// clients' calls on the upstream session they share (stdio, legacy SSE); the
// proxy drops what it cannot deliver. (Over Streamable HTTP each call has a
// stream of its own, which the proxy reads as fast as its client takes
// what it relays: the slow client holds up its own call only, as it would
// holding the upstream's stream directly.)
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	for _, k := range []upKind{upKinds[1], upKinds[4]} {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			st := newSetup(t, k, proxy.Options{MaxSessions: 1, MaxPendingMessages: 64})
			dropped := make(chan struct{}, 1)
			proxy.SetDropHook(st.p, func() {
				select {
				case dropped <- struct{}{}:
				default:
				}
			})
			// Both clients declare the same capabilities (none), so that
			// their calls share the one upstream session.
			other := newRawSession(t, st.url)
			other.hc.Timeout = 20 * time.Second
			slow := newRawSession(t, st.url)
			slow.hc.Transport.(*http.Transport).DialContext = (&net.Dialer{Control: smallReceiveBuffer}).DialContext
			slow.hc.Transport.(*http.Transport).CloseIdleConnections()
			resp := slow.post(t, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"logs","arguments":{"n":20000,"pad":256}}}`)
			defer resp.Body.Close() // never read
			// The slow client's answer is stuck once the proxy drops what it
			// cannot deliver.
			waitFor(t, dropped, "the proxy to drop a notification for the stuck client")
			for i := range 20 {
				msgs := other.call(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t%d"}}}`, i+10, i))
				if last := msgs[len(msgs)-1]; !strings.Contains(string(last.Result), fmt.Sprintf(`"t%d"`, i)) {
					t.Fatalf("echo %d while another client is stuck: %s %s", i, last.Result, last.Error)
				}
			}
			// Over stdio one session does everything; over legacy SSE the
			// calls use a session declaring their clients' capabilities,
			// beside the proxy's own.
			want := int64(1)
			if k.sse {
				want = 2
			}
			if got := st.p.Stats().SessionsOpened; got != want {
				t.Errorf("%d upstream sessions opened, want %d: the calls must share one", got, want)
			}
			t.Logf("stats: %+v", st.p.Stats())
		})
	}
}

// TestOutsideRequests: an upstream request outside any call goes to the
// only client the proxy serves; with two clients, nobody can tell whose it
// is: refused.
func TestOutsideRequests(t *testing.T) {
	t.Parallel()
	st := newSetup(t, upKinds[0], proxy.Options{})
	ada := answeringClient(t, st.url, handshake, "ada", nil)
	// Requests outside a call reach a client on its own stream, open once
	// its session is ready.
	ready := func() {
		for _, ds := range st.p.Server().Sessions() {
			if err := ds.WaitForReady(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	ready()
	call(t, ada, "roots_outside", nil)
	if got := waitFor(t, st.fx.outside, "the outside roots request"); got != "file:///ada" {
		t.Errorf("outside roots with one client: %q, want ada's", got)
	}
	answeringClient(t, st.url, handshake, "grace", nil)
	ready()
	call(t, ada, "roots_outside", nil)
	if got := waitFor(t, st.fx.outside, "the outside roots request"); !strings.Contains(got, "cannot tell") {
		t.Errorf("outside roots with two clients: %q, want a refusal", got)
	}
}

// TestLogsOutsideCalls: a log message the upstream sends outside any call
// reaches the clients the session serves, logger and data intact.
func TestLogsOutsideCalls(t *testing.T) {
	t.Parallel()
	st := newSetup(t, upKinds[0], proxy.Options{})
	logs := make(chan string, 8)
	cs := connect(t, st.url, handshake, &mcp.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			b, _ := json.Marshal(r.Params.Data)
			logs <- fmt.Sprintf("%s %s %s", r.Params.Level, r.Params.Logger, b)
		},
	})
	// A log outside a call goes on the client's own stream, open once its
	// session is ready.
	for _, ds := range st.p.Server().Sessions() {
		if err := ds.WaitForReady(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	call(t, cs, "log_outside", nil)
	if got, want := waitFor(t, logs, "the log message"), `warning fixture-bg {"note":"outside"}`; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

// TestSessionGone: when the upstream forgets the proxy's session, the next
// call opens another and succeeds.
func TestSessionGone(t *testing.T) {
	t.Parallel()
	st := newSetup(t, upKinds[0], proxy.Options{})
	cs := connect(t, st.url, handshake, nil)
	call(t, cs, "echo", map[string]any{"text": "a"})
	before := st.up.sessions.Load()
	for _, s := range st.up.server.Sessions() {
		s.Close()
	}
	if got := textOf(t, call(t, cs, "echo", map[string]any{"text": "b"})); got != "b" {
		t.Errorf("echo after the upstream closed the session: %q", got)
	}
	if st.up.sessions.Load() == before {
		t.Error("no new upstream session was opened")
	}
}

// TestUpstreamProcessExits: a stdio upstream that exits is replaced: calls
// go on, on a new process, and the mirror is kept.
func TestUpstreamProcessExits(t *testing.T) {
	t.Parallel()
	st := newSetup(t, upKinds[1], proxy.Options{MaxSessions: 1})
	cs := connect(t, st.url, handshake, nil)
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "exit"}); err == nil {
		t.Log("exit returned without error")
	}
	if got := textOf(t, call(t, cs, "echo", map[string]any{"text": "again"})); got != "again" {
		t.Errorf("echo after the upstream exited: %q", got)
	}
	if n := st.p.Stats().SessionsOpened; n < 2 {
		t.Errorf("SessionsOpened = %d, want a new session", n)
	}
}

// rawSession is a handshake-era session spoken in plain HTTP, to see the
// proxy's answers as they are on the wire.
type rawSession struct {
	url, id string
	hc      *http.Client
}

type rawMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func newRawSession(t testing.TB, url string) *rawSession {
	t.Helper()
	ht := &http.Transport{}
	s := &rawSession{url: url, hc: &http.Client{Transport: ht}}
	t.Cleanup(ht.CloseIdleConnections)
	resp := s.post(t, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	s.id = resp.Header.Get("Mcp-Session-Id")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp = s.post(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	resp.Body.Close()
	return s
}

func (s *rawSession) post(t testing.TB, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	return resp
}

// call posts a request and returns the messages of its answer, in order.
func (s *rawSession) call(t testing.TB, body string) []rawMessage {
	t.Helper()
	resp := s.post(t, body)
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var m rawMessage
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return []rawMessage{m}
	}
	var out []rawMessage
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "" {
			continue
		}
		var m rawMessage
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		out = append(out, m)
		if m.Method == "" {
			return out
		}
	}
	t.Fatalf("the stream ended without the answer: %v", sc.Err())
	return nil
}
