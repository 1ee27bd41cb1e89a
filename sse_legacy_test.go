package fastmcp_test

// The legacy HTTP+SSE transport (protocol revision 2024-11-05): GET /sse and
// POST /messages?sessionId=..., with a raw client and with the official Go
// SDK's SSEClientTransport.

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// htLegacy is a raw legacy client: its SSE stream and its message URL.
type htLegacy struct {
	t        testing.TB
	base     string
	resp     *http.Response
	sse      *testkit.SSEReader
	endpoint string // as announced, relative to base
	conv     *spectest.Conversation
	hc       *http.Client
}

// htLegacyOpts are the options of the legacy tests.
var htLegacyOpts = fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}

// htLegacyConnect opens GET {base}{basePath}/sse and reads the endpoint event.
func htLegacyConnect(t testing.TB, base, basePath string) *htLegacy {
	t.Helper()
	hc := testkit.HTTPClient(t)
	r, _ := http.NewRequestWithContext(testkit.Context(t), http.MethodGet, base+basePath+"/sse", nil)
	r.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET /sse: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	v, err := spectest.For(fastmcp.ProtocolVersion20241105)
	if err != nil {
		t.Fatal(err)
	}
	l := &htLegacy{t: t, base: base, resp: resp, sse: testkit.NewSSEReader(resp.Body), conv: spectest.NewConversation(v), hc: hc}
	ev, err := l.sse.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event != "endpoint" || !strings.HasPrefix(ev.Data, basePath+"/messages?sessionId=") {
		t.Fatalf("first event %+v, want an endpoint event", ev)
	}
	l.endpoint = ev.Data
	t.Cleanup(func() { l.close() })
	return l
}

// close closes the stream.
func (l *htLegacy) close() { l.resp.Body.Close() }

func (l *htLegacy) sessionID() string {
	_, id, _ := strings.Cut(l.endpoint, "sessionId=")
	return id
}

// post sends a message to the announced endpoint and returns the status.
func (l *htLegacy) post(msg []byte) int {
	l.t.Helper()
	l.conv.Sent(msg)
	resp, err := l.hc.Post(l.base+l.endpoint, "application/json", bytes.NewReader(msg))
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusAccepted && len(body) != 0 {
		l.t.Errorf("202 with a body: %q", body)
	}
	return resp.StatusCode
}

// next reads the next message from the stream, validated in 2024-11-05.
func (l *htLegacy) next() htMsg {
	l.t.Helper()
	ev := l.sse.NextMessage(l.t)
	if ev.Event != "message" {
		l.t.Errorf("event type %q, want message", ev.Event)
	}
	if err := l.conv.Received([]byte(ev.Data)); err != nil {
		l.t.Errorf("invalid 2024-11-05 message: %v\n%s", err, ev.Data)
	}
	return htDecode(l.t, []byte(ev.Data))
}

// call posts a request and reads messages until its response.
func (l *htLegacy) call(id int, method string, params any) (htMsg, []htMsg) {
	l.t.Helper()
	if st := l.post(testkit.Encode(int64(id), method, params)); st != http.StatusAccepted {
		l.t.Fatalf("POST %s: %d, want 202", method, st)
	}
	var before []htMsg
	for {
		m := l.next()
		if m.Method == "" && string(m.ID) == strconv.Itoa(id) {
			return m, before
		}
		before = append(before, m)
	}
}

func (l *htLegacy) initialize() {
	l.t.Helper()
	m, _ := l.call(1, "initialize", map[string]any{"protocolVersion": fastmcp.ProtocolVersion20241105,
		"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "legacy", "version": "1"}})
	if m.Error != nil || !strings.Contains(string(m.Result), `"2024-11-05"`) {
		l.t.Fatalf("initialize: %+v %s", m.Error, m.Result)
	}
	if st := l.post(testkit.Encode(0, "notifications/initialized", nil)); st != http.StatusAccepted {
		l.t.Fatalf("notifications/initialized: %d", st)
	}
}

func TestLegacySSERaw(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, htLegacyOpts)
	h := ts.Handler
	l := htLegacyConnect(t, ts.URL, "")
	if !htSessionIDPattern.MatchString(l.sessionID()) {
		t.Errorf("session id %q", l.sessionID())
	}
	if h.SessionCount() != 1 {
		t.Errorf("SessionCount %d after GET /sse", h.SessionCount())
	}
	l.initialize()
	m, _ := l.call(2, "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 4, "b": 5}})
	if got, isErr := testkit.ToolText(t, m.Result); isErr || got != "9" {
		t.Errorf("add = %q", got)
	}
	m, before := l.call(3, "tools/call", map[string]any{"name": "chatty", "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": 1}})
	var methods []string
	for _, b := range before {
		methods = append(methods, b.Method)
	}
	if got, isErr := testkit.ToolText(t, m.Result); isErr || got != "done" || !strings.Contains(strings.Join(methods, ","), "notifications/progress,notifications/message") {
		t.Errorf("chatty: %s after %v", m.Result, methods)
	}
	// Errors come back on the stream too.
	if m, _ := l.call(4, "no/such/method", nil); m.Error == nil || m.Error.Code != -32601 {
		t.Errorf("unknown method: %+v", m)
	}
	// A malformed message is refused on the POST itself.
	resp, err := http.Post(ts.URL+l.endpoint, "application/json", strings.NewReader("{nope"))
	if err != nil {
		t.Fatal(err)
	}
	htWantError(t, resp, http.StatusBadRequest, -32700)
	resp.Body.Close()

	// The session ends with its stream.
	sess := s.Sessions()[0]
	l.close()
	testkit.Eventually(t, "the legacy session to end", func() bool { return h.SessionCount() == 0 && len(s.Sessions()) == 0 })
	<-sess.Done()
	if st := l.post(testkit.Encode(9, "ping", nil)); st != http.StatusNotFound {
		t.Errorf("POST after the stream closed: %d, want 404", st)
	}
}

func TestLegacySSEErrors(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, htLegacyOpts)
	post := func(url, body string) *http.Response {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("unknown session", func(t *testing.T) {
		htWantError(t, post(ts.URL+"/messages?sessionId=nope", `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32001)
	})
	t.Run("missing session", func(t *testing.T) {
		htWantError(t, post(ts.URL+"/messages", `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32001)
	})
	t.Run("a Streamable HTTP session is not a legacy one", func(t *testing.T) {
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		htWantError(t, post(ts.URL+"/messages?sessionId="+c.sid, `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32001)
	})
	t.Run("a legacy session is not a Streamable HTTP one", func(t *testing.T) {
		l := htLegacyConnect(t, ts.URL, "")
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.sid = l.sessionID()
		_, resp := c.request("ping", nil)
		htWantError(t, resp, http.StatusNotFound, -32001)
	})
	t.Run("methods", func(t *testing.T) {
		resp := post(ts.URL+"/sse", `{}`)
		htWantError(t, resp, http.StatusMethodNotAllowed, -32600)
		if got := resp.Header.Get("Allow"); got != "GET" {
			t.Errorf("POST /sse: Allow %q", got)
		}
		resp, err := http.Get(ts.URL + "/messages?sessionId=x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if got := resp.Header.Get("Allow"); resp.StatusCode != http.StatusMethodNotAllowed || got != "POST" {
			t.Errorf("GET /messages: %d Allow %q", resp.StatusCode, got)
		}
	})
	t.Run("body limit", func(t *testing.T) {
		l := htLegacyConnect(t, ts.URL, "")
		resp := post(ts.URL+l.endpoint, htPadded(4<<20+1))
		htWantError(t, resp, http.StatusRequestEntityTooLarge, -32600)
	})
}

func TestLegacySSEBasePath(t *testing.T) {
	t.Parallel()
	opts := fastmcp.HTTP{BasePath: "/svc", KeepAliveInterval: htLegacyOpts.KeepAliveInterval}
	ts := testkit.ServeHTTP(t, htTestServer(t), opts)
	l := htLegacyConnect(t, ts.URL, "/svc")
	l.initialize()
	if m, _ := l.call(2, "ping", nil); m.Error != nil {
		t.Fatalf("ping: %+v", m.Error)
	}
	resp, err := http.Get(ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sse without the base path: %d", resp.StatusCode)
	}
}

func TestLegacySSENotServed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts fastmcp.HTTP
	}{
		{"stateless", fastmcp.HTTP{Stateless: true}},
		{"disabled", fastmcp.HTTP{DisableLegacySSE: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := htTestServer(t)
			ts := testkit.ServeHTTP(t, s, tc.opts)
			h := ts.Handler
			resp, err := http.Get(ts.URL + "/sse")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") == "text/event-stream" {
				t.Errorf("GET /sse: %d %q, want 404", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp2, err := http.Post(ts.URL+"/messages?sessionId=x", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusNotFound {
				t.Errorf("POST /messages: %d, want 404", resp2.StatusCode)
			}
			if h.SessionCount() != 0 || len(s.Sessions()) != 0 {
				t.Error("a session was created")
			}
		})
	}
}

// A client that POSTs as soon as it reads the endpoint event must not race
// with the server finishing that write (run with -race). Regression test: the
// endpoint event used to be written without the stream's lock.
func TestLegacySSEEndpointEventRace(t *testing.T) {
	t.Parallel()
	for range 20 {
		ts := testkit.ServeHTTP(t, htTestServer(t), htLegacyOpts)
		l := htLegacyConnect(t, ts.URL, "")
		l.initialize() // POSTs at once; the answer is written on the stream concurrently
	}
}

// A request still running when the client closes its stream finishes after
// the stream's handler has returned; its answer must not be written to the
// finished response. Regression test: it used to crash the process with a
// nil-pointer panic in bufio.Writer.Flush.
func TestLegacySSEResponseAfterStreamClosed(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	started, returned := make(chan struct{}), make(chan struct{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "wait"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		close(started)
		defer close(returned)
		<-ctx.Done()
		return "late", nil
	})
	ts := testkit.ServeHTTP(t, s, htLegacyOpts)
	h := ts.Handler
	l := htLegacyConnect(t, ts.URL, "")
	l.initialize()
	if st := l.post(testkit.Encode(2, "tools/call", map[string]any{"name": "wait", "arguments": map[string]any{}})); st != http.StatusAccepted {
		t.Fatalf("POST: %d", st)
	}
	<-started
	l.close()
	testkit.Eventually(t, "the session to end", func() bool { return h.SessionCount() == 0 })
	<-returned
	// The answer is sent after the tool returns; make more requests so a
	// recycled buffer is reused.
	for range 20 {
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		c.call("tools/list", nil)
	}
}
