package fastmcp_test

// Tests of the Streamable HTTP transport over real HTTP on 127.0.0.1: status
// codes and headers, answer formats, stateless and JSON-response modes, health
// and readiness, custom routes, keep-alives and pings, concurrent clients and
// graceful shutdown. The helpers here (a raw JSON-RPC-over-HTTP client, a
// server starter) are shared by the other http_*_test.go files; the SSE reader
// and the JSON-RPC encoder are internal/testkit's.
//
// Every JSON-RPC message the raw client receives is validated against the
// official schema of the revision the client negotiated; error bodies that are
// not tied to a session are validated against the newest schema.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// ---------------------------------------------------------------------------
// Servers

// htRunning is a server running Server.Serve on a free loopback port.
type htRunning struct {
	base     string // scheme://127.0.0.1:port
	endpoint string // the Streamable HTTP endpoint URL
	addr     string // 127.0.0.1:port
	cancel   context.CancelFunc
	done     chan error

	stopOnce sync.Once
	err      error
}

// htServe runs s.Serve(ctx, opts) on 127.0.0.1 and a free port until the test
// ends (or stop is called).
func htServe(t testing.TB, s *fastmcp.Server, opts fastmcp.HTTP) *htRunning {
	t.Helper()
	opts.Host, opts.Port = "127.0.0.1", -1
	addrc := make(chan net.Addr, 1)
	onListen := opts.OnListen
	opts.OnListen = func(a net.Addr) {
		if onListen != nil {
			onListen(a)
		}
		addrc <- a
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &htRunning{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Serve(ctx, opts) }()
	scheme := "http"
	if opts.CertFile != "" || opts.TLSConfig != nil {
		scheme = "https"
	}
	select {
	case a := <-addrc:
		r.addr = a.String()
	case err := <-r.done:
		cancel()
		t.Fatalf("Serve returned before listening: %v", err)
	case <-time.After(testkit.Wait):
		cancel()
		t.Fatal("the server did not start listening")
	}
	r.base = scheme + "://" + r.addr
	ep := opts.Endpoint
	if ep == "" {
		ep = "/mcp"
	}
	r.endpoint = r.base + strings.TrimRight(opts.BasePath, "/") + ep
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// stop cancels Serve's context and returns what Serve returned.
func (r *htRunning) stop() error {
	r.stopOnce.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(2 * testkit.Wait):
			r.err = errors.New("Serve did not return after its context was cancelled")
		}
	})
	return r.err
}

// htEndpoint returns the endpoint URL of a handler served at base.
func htEndpoint(base string, opts fastmcp.HTTP) string {
	ep := opts.Endpoint
	if ep == "" {
		ep = "/mcp"
	}
	return base + strings.TrimRight(opts.BasePath, "/") + ep
}

// htTestServer returns a server with the tools the HTTP tests use:
//
//   - add: a + b
//   - chatty: reports progress and logs before returning "done"
//   - session-needs: calls ctx.Sample, ctx.Elicit and ctx.Roots, and reports
//     what each returned.
func htTestServer(t testing.TB) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{})
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "Adds two numbers."},
		func(ctx *fastmcp.Context, a addArgs) (string, error) {
			return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "chatty", Description: "Reports progress and logs, then answers."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			_ = ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2, Message: "half way"})
			ctx.Info("working")
			return "done", nil
		})
	return s
}

// ---------------------------------------------------------------------------
// A raw MCP client over HTTP

// htMsg is a decoded JSON-RPC message.
type htMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func htDecode(t testing.TB, raw []byte) htMsg {
	t.Helper()
	var m htMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON-RPC message: %v\n%s", err, raw)
	}
	return m
}

// htClient is a raw Streamable HTTP client: it sends JSON-RPC messages with the
// headers a well-behaved client sends, and validates what it receives.
type htClient struct {
	t    testing.TB
	url  string
	hc   *http.Client
	ctx  context.Context
	rev  string // the revision asked for and, after initialize, negotiated
	sid  string
	caps map[string]any
	conv *spectest.Conversation
	next atomic.Int64
}

// htNewClient returns a client for the endpoint at url speaking rev ("" for
// the newest revision).
func htNewClient(t testing.TB, url, rev string) *htClient {
	t.Helper()
	if rev == "" {
		rev = fastmcp.LatestHandshakeProtocolVersion
	}
	v, err := spectest.For(rev)
	if err != nil {
		t.Fatal(err)
	}
	return &htClient{t: t, url: url, hc: testkit.HTTPClient(t), ctx: testkit.Context(t), rev: rev, caps: map[string]any{},
		conv: spectest.NewConversation(v)}
}

// newRequest builds an HTTP request to the endpoint with the session headers.
func (c *htClient) newRequest(method string, body []byte) *http.Request {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(c.ctx, method, c.url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodGet {
		r.Header.Set("Accept", "text/event-stream")
	} else {
		r.Header.Set("Accept", "application/json, text/event-stream")
	}
	if c.sid != "" {
		r.Header.Set("Mcp-Session-Id", c.sid)
		r.Header.Set("MCP-Protocol-Version", c.rev)
	}
	return r
}

// do sends r; the response body is closed when the test ends.
func (c *htClient) do(r *http.Request) *http.Response {
	c.t.Helper()
	resp, err := c.hc.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// post POSTs a JSON-RPC message (recorded for response validation).
func (c *htClient) post(msg []byte) *http.Response {
	c.t.Helper()
	c.conv.Sent(msg)
	return c.do(c.newRequest(http.MethodPost, msg))
}

// request POSTs a request and returns its id and the HTTP response.
func (c *htClient) request(method string, params any) (int64, *http.Response) {
	c.t.Helper()
	id := c.next.Add(1)
	return id, c.post(testkit.Encode(id, method, params))
}

// received validates a message the server sent.
func (c *htClient) received(raw []byte) {
	c.t.Helper()
	if err := c.conv.Received(raw); err != nil {
		c.t.Errorf("server sent a message invalid in %s: %v\n%s", c.rev, err, raw)
	}
}

// messages reads a whole POST answer (JSON or SSE) and returns its JSON-RPC
// messages in order, validated.
func (c *htClient) messages(resp *http.Response) []json.RawMessage {
	c.t.Helper()
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			c.t.Fatal(err)
		}
		c.received(body)
		return []json.RawMessage{body}
	case strings.HasPrefix(ct, "text/event-stream"):
		var out []json.RawMessage
		sr := testkit.NewSSEReader(resp.Body)
		for {
			ev, err := sr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					c.t.Fatalf("reading the SSE answer: %v", err)
				}
				return out
			}
			if ev.Data == "" {
				continue
			}
			c.received([]byte(ev.Data))
			out = append(out, json.RawMessage(ev.Data))
		}
	}
	body, _ := io.ReadAll(resp.Body)
	c.t.Fatalf("unexpected answer: %d %q %s", resp.StatusCode, ct, body)
	return nil
}

// call sends a request and returns its result, failing the test on anything
// but a 200 answer ending with a successful response.
func (c *htClient) call(method string, params any) json.RawMessage {
	c.t.Helper()
	id, resp := c.request(method, params)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("%s: status %d: %s", method, resp.StatusCode, body)
	}
	msgs := c.messages(resp)
	if len(msgs) == 0 {
		c.t.Fatalf("%s: empty answer", method)
	}
	m := htDecode(c.t, msgs[len(msgs)-1])
	if string(m.ID) != strconv.FormatInt(id, 10) || m.Error != nil || m.Result == nil {
		c.t.Fatalf("%s: want the result of request %d, got %s", method, id, msgs[len(msgs)-1])
	}
	return m.Result
}

// initialize runs the handshake and records the session id.
func (c *htClient) initialize() {
	c.t.Helper()
	c.initializeOnly()
	resp := c.post(testkit.Encode(0, "notifications/initialized", nil))
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("notifications/initialized: status %d", resp.StatusCode)
	}
}

// initializeOnly sends initialize (not notifications/initialized) and
// records the session id: one request, for tests where a session may be
// reaped at any moment.
func (c *htClient) initializeOnly() {
	c.t.Helper()
	_, resp := c.request("initialize", map[string]any{
		"protocolVersion": c.rev,
		"capabilities":    c.caps,
		"clientInfo":      map[string]any{"name": "raw-http-test", "version": "1.0.0"},
	})
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("initialize: status %d: %s", resp.StatusCode, body)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	msgs := c.messages(resp)
	if len(msgs) != 1 {
		c.t.Fatalf("initialize: %d messages", len(msgs))
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(htDecode(c.t, msgs[0]).Result, &res); err != nil || res.ProtocolVersion != c.rev {
		c.t.Fatalf("initialize: negotiated %q (%v), want %s", res.ProtocolVersion, err, c.rev)
	}
	c.sid = sid
}

// openGET opens the session's standalone SSE stream.
func (c *htClient) openGET(hdr map[string]string) (*http.Response, *testkit.SSEReader) {
	c.t.Helper()
	r := c.newRequest(http.MethodGet, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp := c.do(r)
	return resp, testkit.NewSSEReader(resp.Body)
}

// htWantError checks an HTTP error answer: status, a JSON body holding a
// JSON-RPC error with the code (when code != 0), valid in the newest schema.
func htWantError(t testing.TB, resp *http.Response, status int, code int64) htMsg {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if code == 0 {
		return htMsg{}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json; body %s", ct, body)
	}
	v, err := spectest.For(fastmcp.LatestHandshakeProtocolVersion)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate("JSONRPCErrorResponse", body); err != nil {
		t.Errorf("error body is not a valid JSON-RPC error response: %v\n%s", err, body)
	}
	m := htDecode(t, body)
	if m.Error == nil || m.Error.Code != code {
		t.Fatalf("body %s, want JSON-RPC error %d", body, code)
	}
	if m.Error.Message == "" {
		t.Errorf("error without a message: %s", body)
	}
	return m
}

// ---------------------------------------------------------------------------
// SSE

// htNextRequest reads messages until a server request arrives, skipping
// notifications (such as a list_changed for registrations made just before the
// session started).
func htNextRequest(t testing.TB, s *testkit.SSEReader, c *htClient) htMsg {
	t.Helper()
	for {
		ev := s.NextMessage(t)
		if c != nil {
			c.received([]byte(ev.Data))
		}
		m := htDecode(t, []byte(ev.Data))
		if m.Method != "" && m.ID != nil {
			return m
		}
	}
}

// htReady fetches the readiness endpoint.
func htReady(t testing.TB, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("ready body: %v", err)
	}
	return resp.StatusCode, body
}

// ---------------------------------------------------------------------------
// Tests

var htSessionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func TestHTTPInitializeSessionIDs(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	url := htEndpoint(ts.URL, fastmcp.HTTP{})
	seen := map[string]bool{}
	for i := range 100 {
		c := htNewClient(t, url, "")
		_, resp := c.request("initialize", map[string]any{
			"protocolVersion": c.rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "ids", "version": "1"},
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("initialize %d: status %d", i, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("initialize: Content-Type %q, want application/json", ct)
		}
		id := resp.Header.Get("Mcp-Session-Id")
		msgs := c.messages(resp)
		if len(msgs) != 1 || htDecode(t, msgs[0]).Result == nil {
			t.Fatalf("initialize: %s", msgs)
		}
		// Visible ASCII (0x21-0x7E) as the specification requires, URL-safe,
		// and long enough to hold 128 bits in a 64-symbol alphabet.
		if !htSessionIDPattern.MatchString(id) {
			t.Fatalf("session id %q is not URL-safe visible ASCII", id)
		}
		if len(id)*6 < 128 {
			t.Fatalf("session id %q is too short to carry 16 bytes of entropy", id)
		}
		if seen[id] {
			t.Fatalf("session id %q issued twice", id)
		}
		seen[id] = true
	}
	if n := len(s.Sessions()); n != 100 {
		t.Errorf("%d sessions, want 100", n)
	}
}

func TestHTTPInitializeNegotiatesEachRevision(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	for _, rev := range []string{fastmcp.ProtocolVersion20250326, fastmcp.ProtocolVersion20250618, fastmcp.ProtocolVersion20251125} {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), rev)
			c.initialize()
			if got, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 2, "b": 3}})); isErr || got != "5" {
				t.Errorf("add = %q, want 5", got)
			}
			c.call("tools/list", nil)
			c.call("ping", nil)
		})
	}
}

func TestHTTPStatusCodes(t *testing.T) {
	t.Parallel()
	type tc struct {
		name      string
		opts      fastmcp.HTTP
		noSession bool // do not initialize first
		do        func(t *testing.T, c *htClient) *http.Response
		status    int
		code      int64  // JSON-RPC error code of the body, 0 to skip
		allow     string // the Allow header expected
		emptyBody bool
	}
	post := func(body string, edit func(r *http.Request)) func(t *testing.T, c *htClient) *http.Response {
		return func(t *testing.T, c *htClient) *http.Response {
			r := c.newRequest(http.MethodPost, []byte(body))
			if edit != nil {
				edit(r)
			}
			return c.do(r)
		}
	}
	method := func(m string) func(t *testing.T, c *htClient) *http.Response {
		return func(t *testing.T, c *htClient) *http.Response {
			return c.do(c.newRequest(m, nil))
		}
	}
	toolsList := `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`
	cases := []tc{
		{name: "notification is accepted", do: post(`{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`, nil),
			status: http.StatusAccepted, emptyBody: true},
		{name: "client response is accepted", do: post(`{"jsonrpc":"2.0","id":99,"result":{}}`, nil),
			status: http.StatusAccepted, emptyBody: true},
		{name: "client error response is accepted", do: post(`{"jsonrpc":"2.0","id":98,"error":{"code":-1,"message":"no"}}`, nil),
			status: http.StatusAccepted, emptyBody: true},
		{name: "request without session", noSession: true, do: post(toolsList, nil),
			status: http.StatusBadRequest, code: -32600},
		{name: "notification without session", noSession: true, do: post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil),
			status: http.StatusBadRequest, code: -32600},
		{name: "unknown session", do: post(toolsList, func(r *http.Request) { r.Header.Set("Mcp-Session-Id", "no-such-session") }),
			status: http.StatusNotFound, code: -32001},
		{name: "GET of an unknown session", do: func(t *testing.T, c *htClient) *http.Response {
			r := c.newRequest(http.MethodGet, nil)
			r.Header.Set("Mcp-Session-Id", "no-such-session")
			return c.do(r)
		}, status: http.StatusNotFound, code: -32001},
		{name: "DELETE of an unknown session", do: func(t *testing.T, c *htClient) *http.Response {
			r := c.newRequest(http.MethodDelete, nil)
			r.Header.Set("Mcp-Session-Id", "no-such-session")
			return c.do(r)
		}, status: http.StatusNotFound, code: -32001},
		{name: "unsupported protocol version", do: post(toolsList, func(r *http.Request) { r.Header.Set("MCP-Protocol-Version", "1999-01-01") }),
			status: http.StatusBadRequest, code: -32600},
		{name: "unsupported protocol version on initialize", noSession: true,
			do: post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`,
				func(r *http.Request) { r.Header.Set("MCP-Protocol-Version", "1999-01-01") }),
			status: http.StatusBadRequest, code: -32600},
		{name: "other supported protocol version", do: post(toolsList, func(r *http.Request) { r.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20250326) }),
			status: http.StatusOK},
		{name: "no protocol version header", do: post(toolsList, func(r *http.Request) { r.Header.Del("MCP-Protocol-Version") }),
			status: http.StatusOK},
		{name: "PUT", do: method(http.MethodPut), status: http.StatusMethodNotAllowed, code: -32600, allow: "GET, POST, DELETE, OPTIONS"},
		{name: "PATCH", do: method(http.MethodPatch), status: http.StatusMethodNotAllowed, code: -32600, allow: "GET, POST, DELETE, OPTIONS"},
		{name: "stateless GET", opts: fastmcp.HTTP{Stateless: true}, noSession: true, do: method(http.MethodGet),
			status: http.StatusMethodNotAllowed, code: -32600, allow: "POST, OPTIONS"},
		{name: "stateless DELETE", opts: fastmcp.HTTP{Stateless: true}, noSession: true, do: method(http.MethodDelete),
			status: http.StatusMethodNotAllowed, code: -32600, allow: "POST, OPTIONS"},
		{name: "stateless PUT", opts: fastmcp.HTTP{Stateless: true}, noSession: true, do: method(http.MethodPut),
			status: http.StatusMethodNotAllowed, code: -32600, allow: "POST, OPTIONS"},
		{name: "body over MaxBodyBytes", opts: fastmcp.HTTP{MaxBodyBytes: 1024}, do: post(htPadded(1025), nil),
			status: http.StatusRequestEntityTooLarge, code: -32600},
		{name: "body at MaxBodyBytes", opts: fastmcp.HTTP{MaxBodyBytes: 1024}, do: post(htPadded(1024), nil), status: http.StatusOK},
		{name: "body over the default 4 MiB", do: post(htPadded(4<<20+1), nil), status: http.StatusRequestEntityTooLarge, code: -32600},
		{name: "wrong Content-Type", do: post(toolsList, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }),
			status: http.StatusUnsupportedMediaType, code: -32600},
		{name: "malformed Content-Type", do: post(toolsList, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; =") }),
			status: http.StatusUnsupportedMediaType, code: -32600},
		{name: "Content-Type with charset", do: post(toolsList, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }),
			status: http.StatusOK},
		{name: "Accept admits neither JSON nor SSE", do: post(toolsList, func(r *http.Request) { r.Header.Set("Accept", "text/html, image/png") }),
			status: http.StatusNotAcceptable, code: -32600},
		{name: "Accept */*", do: post(toolsList, func(r *http.Request) { r.Header.Set("Accept", "*/*") }), status: http.StatusOK},
		{name: "Accept JSON only", do: post(toolsList, func(r *http.Request) { r.Header.Set("Accept", "application/json") }), status: http.StatusOK},
		{name: "GET not accepting SSE", do: func(t *testing.T, c *htClient) *http.Response {
			r := c.newRequest(http.MethodGet, nil)
			r.Header.Set("Accept", "application/json")
			return c.do(r)
		}, status: http.StatusNotAcceptable, code: -32600},
		{name: "parse error", do: post(`{"jsonrpc":"2.0","id":1,"method":`, nil), status: http.StatusBadRequest, code: -32700},
		{name: "parse error without session", noSession: true, do: post(`not json`, nil), status: http.StatusBadRequest, code: -32700},
		{name: "not a JSON-RPC message", do: post(`{"hello":"world"}`, nil), status: http.StatusBadRequest, code: -32600},
		{name: "batch in 2025-11-25", do: post(`[`+toolsList+`]`, nil), status: http.StatusBadRequest, code: -32600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := htTestServer(t)
			ts := testkit.ServeHTTP(t, s, tc.opts)
			c := htNewClient(t, htEndpoint(ts.URL, tc.opts), "")
			if !tc.noSession {
				c.initialize()
			}
			resp := tc.do(t, c)
			if tc.allow != "" {
				if got := resp.Header.Get("Allow"); got != tc.allow {
					t.Errorf("Allow %q, want %q", got, tc.allow)
				}
			}
			if tc.status == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					body, _ := io.ReadAll(resp.Body)
					t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
				}
				msgs := c.messages(resp)
				if len(msgs) != 1 || htDecode(t, msgs[0]).Error != nil {
					t.Fatalf("want one successful response, got %s", msgs)
				}
				return
			}
			if tc.emptyBody {
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status || len(body) != 0 {
					t.Fatalf("status %d body %q, want %d with an empty body", resp.StatusCode, body, tc.status)
				}
				return
			}
			htWantError(t, resp, tc.status, tc.code)
		})
	}
}

// htPadded returns a tools/list request of exactly n bytes.
func htPadded(n int) string {
	const head, tail = `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"pad":"`, `"}}}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestHTTPBatch20250326(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), fastmcp.ProtocolVersion20250326)
	c.initialize()
	batch := `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},` +
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":1}}}]`
	c.conv.Sent([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	c.conv.Sent([]byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call"}`))
	resp := c.do(c.newRequest(http.MethodPost, []byte(batch)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	msgs := c.messages(resp)
	if len(msgs) != 1 {
		t.Fatalf("want one JSON array, got %d messages", len(msgs))
	}
	var arr []htMsg
	if err := json.Unmarshal(msgs[0], &arr); err != nil || len(arr) != 2 {
		t.Fatalf("want two responses: %v %s", err, msgs[0])
	}
	// A batch of notifications only is accepted with 202.
	resp = c.do(c.newRequest(http.MethodPost, []byte(`[{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}]`)))
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusAccepted || len(body) != 0 {
		t.Fatalf("notification batch: %d %q, want 202 and no body", resp.StatusCode, body)
	}
}

func TestHTTPDeleteEndsSession(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	h := ts.Handler
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	other := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	other.initialize()
	if n := h.SessionCount(); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
	var sess *fastmcp.Session
	for _, x := range s.Sessions() {
		if x.ID() == c.sid {
			sess = x
		}
	}
	if sess == nil {
		t.Fatal("the session is not in Server.Sessions")
	}
	get, gsr := c.openGET(nil)
	if get.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", get.StatusCode)
	}
	resp := c.do(c.newRequest(http.MethodDelete, nil))
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE: status %d", resp.StatusCode)
	}
	// The session's GET stream ends with it.
	for {
		ev, err := gsr.Next()
		if err != nil {
			break
		}
		if ev.Data != "" && !strings.HasSuffix(htDecode(t, []byte(ev.Data)).Method, "/list_changed") {
			t.Errorf("unexpected event %+v", ev)
		}
	}
	select {
	case <-sess.Done():
	default:
		t.Error("the session is not done after DELETE")
	}
	_, resp = c.request("tools/list", nil)
	htWantError(t, resp, http.StatusNotFound, -32001)
	resp = c.do(c.newRequest(http.MethodDelete, nil))
	htWantError(t, resp, http.StatusNotFound, -32001)
	resp, _ = c.openGET(nil)
	htWantError(t, resp, http.StatusNotFound, -32001)
	// The other session is untouched.
	other.call("ping", nil)
	if n := h.SessionCount(); n != 1 || len(s.Sessions()) != 1 {
		t.Errorf("SessionCount %d, Sessions %d, want 1", n, len(s.Sessions()))
	}
}

func TestHTTPSecondGETStreamConflicts(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	first, _ := c.openGET(nil)
	if first.StatusCode != http.StatusOK || first.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("first GET: %d %q", first.StatusCode, first.Header.Get("Content-Type"))
	}
	if got := first.Header.Get("Mcp-Session-Id"); got != c.sid {
		t.Errorf("GET stream Mcp-Session-Id %q, want %q", got, c.sid)
	}
	second, _ := c.openGET(nil)
	htWantError(t, second, http.StatusConflict, -32600)
	// Once the first stream is closed, a new one may open.
	first.Body.Close()
	testkit.Eventually(t, "a new GET stream to be accepted", func() bool {
		resp := c.do(c.newRequest(http.MethodGet, nil))
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func TestHTTPAnswerFormat(t *testing.T) {
	t.Parallel()
	callChatty := func(c *htClient) *http.Response {
		_, resp := c.request("tools/call", map[string]any{"name": "chatty", "arguments": map[string]any{},
			"_meta": map[string]any{"progressToken": "tok-1"}})
		return resp
	}
	t.Run("plain call answers JSON", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		_, resp := c.request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 2}})
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/json" {
			t.Fatalf("status %d Content-Type %q, want 200 application/json", resp.StatusCode, ct)
		}
		if got := resp.Header.Get("Mcp-Session-Id"); got != "" && got != c.sid {
			t.Errorf("Mcp-Session-Id %q on a session answer, want %q", got, c.sid)
		}
		msgs := c.messages(resp)
		if len(msgs) != 1 {
			t.Fatalf("answer %s", msgs)
		}
		if got, isErr := testkit.ToolText(t, htDecode(t, msgs[0]).Result); isErr || got != "3" {
			t.Fatalf("answer %s", msgs)
		}
	})
	t.Run("progress and logs upgrade to SSE before the response", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		resp := callChatty(c)
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
			t.Fatalf("status %d Content-Type %q, want 200 text/event-stream", resp.StatusCode, ct)
		}
		var kinds []string
		for _, raw := range c.messages(resp) {
			m := htDecode(t, raw)
			if m.Method != "" {
				kinds = append(kinds, m.Method)
			} else {
				kinds = append(kinds, "response")
				if got, isErr := testkit.ToolText(t, m.Result); isErr || got != "done" {
					t.Errorf("result %q", got)
				}
			}
		}
		want := []string{"notifications/progress", "notifications/message", "response"}
		if diff := testdiff.Diff(want, kinds); diff != "" {
			t.Errorf("SSE messages (-want +got):\n%s", diff)
		}
	})
	t.Run("progress without a token stays JSON", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "quiet-progress"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			return "ok", ctx.ReportProgress(fastmcp.Progress{Progress: 1})
		})
		ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		_, resp := c.request("tools/call", map[string]any{"name": "quiet-progress", "arguments": map[string]any{}})
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q, want application/json", ct)
		}
		c.messages(resp)
	})
	t.Run("JSONResponse answers JSON even with progress", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{JSONResponse: true}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		resp := callChatty(c)
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/json" {
			t.Fatalf("status %d Content-Type %q, want 200 application/json", resp.StatusCode, ct)
		}
		msgs := c.messages(resp)
		if len(msgs) != 1 {
			t.Fatalf("answer %s", msgs)
		}
		if got, isErr := testkit.ToolText(t, htDecode(t, msgs[0]).Result); isErr || got != "done" {
			t.Fatalf("answer %s", msgs)
		}
	})
	t.Run("JSONResponse sends related messages on the GET stream", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{JSONResponse: true, KeepAliveInterval: 5 * time.Millisecond}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		get, sr := c.openGET(nil)
		if get.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d", get.StatusCode)
		}
		// The first keep-alive shows the stream is registered.
		for {
			ev, err := sr.Next()
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Comments) > 0 {
				break
			}
		}
		resp := callChatty(c)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q, want application/json", ct)
		}
		c.messages(resp)
		var got []string
		for len(got) < 2 {
			ev := sr.NextMessage(t)
			c.received([]byte(ev.Data))
			got = append(got, htDecode(t, []byte(ev.Data)).Method)
		}
		if diff := testdiff.Diff([]string{"notifications/progress", "notifications/message"}, got); diff != "" {
			t.Errorf("GET stream messages (-want +got):\n%s", diff)
		}
	})
	t.Run("SSE-only client is served", func(t *testing.T) {
		// The specification wants both types in Accept; a client naming
		// only SSE is still served (today with a JSON answer).
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		body := testkit.Encode(1, "tools/list", nil)
		c.conv.Sent(body)
		r := c.newRequest(http.MethodPost, body)
		r.Header.Set("Accept", "text/event-stream")
		resp := c.do(r)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if msgs := c.messages(resp); len(msgs) != 1 {
			t.Fatalf("answer %s", msgs)
		}
	})
	for _, tc := range []struct {
		rev     string
		priming bool
	}{
		{fastmcp.ProtocolVersion20251125, true},
		{fastmcp.ProtocolVersion20250618, false},
		{fastmcp.ProtocolVersion20250326, false},
	} {
		t.Run("priming event "+tc.rev, func(t *testing.T) {
			t.Parallel()
			ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
			c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), tc.rev)
			c.initialize()
			resp := callChatty(c)
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("Content-Type %q", ct)
			}
			sr := testkit.NewSSEReader(resp.Body)
			first, err := sr.Next()
			if err != nil {
				t.Fatal(err)
			}
			isPriming := first.HasID && first.ID != "" && first.Data == "" && first.Retry != ""
			if isPriming != tc.priming {
				t.Fatalf("first event %+v: priming %v, want %v", first, isPriming, tc.priming)
			}
			if !tc.priming {
				c.received([]byte(first.Data))
			}
			// Every message event carries an id (resumability is on by
			// default), and ids are distinct.
			ids := map[string]bool{first.ID: true}
			for {
				ev, err := sr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ev.Data == "" {
					continue
				}
				c.received([]byte(ev.Data))
				if !ev.HasID || ids[ev.ID] {
					t.Errorf("event %+v: missing or repeated id", ev)
				}
				ids[ev.ID] = true
			}
		})
	}
	t.Run("no event ids without resumability", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{DisableResumability: true}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		resp := callChatty(c)
		sr := testkit.NewSSEReader(resp.Body)
		n := 0
		for {
			ev, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.HasID {
				t.Errorf("event with an id although resumability is off: %+v", ev)
			}
			if ev.Data != "" {
				c.received([]byte(ev.Data))
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d messages, want 3", n)
		}
	})
}

func TestHTTPStateless(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	errs := make(chan []string, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "needs-session"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		var got []string
		check := func(what string, err error) {
			switch {
			case err == nil:
				got = append(got, what+": no error")
			case !errors.Is(err, fastmcp.ErrNoSession):
				got = append(got, what+": "+err.Error())
			default:
				got = append(got, what+": ErrNoSession")
			}
		}
		_, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 10, Messages: []*fastmcp.SamplingMessage{{Role: "user", Content: fastmcp.Text("hi")}}})
		check("sample", err)
		if err != nil && !strings.Contains(err.Error(), "stateless") {
			got = append(got, "sample error does not say why: "+err.Error())
		}
		_, err = ctx.Elicit(&fastmcp.ElicitParams{Message: "name?", RequestedSchema: map[string]any{"type": "object"}})
		check("elicit", err)
		_, err = ctx.Roots()
		check("roots", err)
		if ctx.Session() != nil || ctx.SessionID() != "" {
			got = append(got, "has a session")
		}
		errs <- got
		return "checked", nil
	})
	opts := fastmcp.HTTP{Stateless: true}
	ts := testkit.ServeHTTP(t, s, opts)
	h := ts.Handler
	c := htNewClient(t, htEndpoint(ts.URL, opts), "")

	t.Run("initialize has no session id", func(t *testing.T) {
		_, resp := c.request("initialize", map[string]any{"protocolVersion": c.rev,
			"capabilities": map[string]any{"sampling": map[string]any{}, "elicitation": map[string]any{}, "roots": map[string]any{}},
			"clientInfo":   map[string]any{"name": "x", "version": "1"}})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") != "" {
			t.Fatalf("status %d Mcp-Session-Id %q", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
		}
		c.messages(resp)
	})
	t.Run("tools/call without a session", func(t *testing.T) {
		_, resp := c.request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 20, "b": 22}})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") != "" {
			t.Fatalf("status %d Mcp-Session-Id %q", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
		}
		msgs := c.messages(resp)
		if got, isErr := testkit.ToolText(t, htDecode(t, msgs[len(msgs)-1]).Result); isErr || got != "42" {
			t.Errorf("add = %q", got)
		}
	})
	t.Run("progress streams without a session", func(t *testing.T) {
		_, resp := c.request("tools/call", map[string]any{"name": "chatty", "arguments": map[string]any{},
			"_meta": map[string]any{"progressToken": 5}})
		if resp.Header.Get("Mcp-Session-Id") != "" {
			t.Errorf("Mcp-Session-Id %q in stateless mode", resp.Header.Get("Mcp-Session-Id"))
		}
		if msgs := c.messages(resp); len(msgs) != 3 {
			t.Errorf("want progress, log and response, got %s", msgs)
		}
	})
	t.Run("sampling, elicitation and roots fail at once", func(t *testing.T) {
		start := time.Now()
		got, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "needs-session", "arguments": map[string]any{}}))
		if isErr || got != "checked" {
			t.Fatalf("tool answered %q", got)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the call took %v", d)
		}
		want := []string{"sample: ErrNoSession", "elicit: ErrNoSession", "roots: ErrNoSession"}
		if diff := testdiff.Diff(want, <-errs); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
	t.Run("no sessions are kept", func(t *testing.T) {
		if n := h.SessionCount(); n != 0 {
			t.Errorf("SessionCount %d", n)
		}
		if n := len(s.Sessions()); n != 0 {
			t.Errorf("Sessions %d", n)
		}
		code, body := htReady(t, ts.URL+"/ready")
		if code != http.StatusOK || body["mode"] != "stateless" || body["sessions"] != float64(0) {
			t.Errorf("ready: %d %v", code, body)
		}
	})
	t.Run("an Mcp-Session-Id header is ignored", func(t *testing.T) {
		r := c.newRequest(http.MethodPost, testkit.Encode(1, "ping", nil))
		r.Header.Set("Mcp-Session-Id", "whatever")
		c.conv.Sent(testkit.Encode(1, "ping", nil))
		resp := c.do(r)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		c.messages(resp)
	})
}

// In a stateful session whose client cannot be reached for a server request
// (JSON answers and no GET stream), sampling fails at once instead of waiting
// for the request timeout.
func TestHTTPSamplingWithoutChannelFailsFast(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		_, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 5, Messages: []*fastmcp.SamplingMessage{{Role: "user", Content: fastmcp.Text("hi")}}})
		if err == nil {
			return "sampled", nil
		}
		return "error: " + err.Error(), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample-nocap"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		_, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 5, Messages: []*fastmcp.SamplingMessage{{Role: "user", Content: fastmcp.Text("hi")}}})
		return fmt.Sprint(errors.Is(err, fastmcp.ErrCapability)), nil
	})
	opts := fastmcp.HTTP{JSONResponse: true}
	ts := testkit.ServeHTTP(t, s, opts)
	c := htNewClient(t, htEndpoint(ts.URL, opts), "")
	c.caps = map[string]any{"sampling": map[string]any{}}
	c.initialize()
	start := time.Now()
	got, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "sample", "arguments": map[string]any{}}))
	if isErr || !strings.HasPrefix(got, "error: ") {
		t.Fatalf("tool answered %q, want an error", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call took %v", d)
	}
	// Without the capability: ErrCapability, at once.
	c2 := htNewClient(t, htEndpoint(ts.URL, opts), "")
	c2.initialize()
	if got, isErr := testkit.ToolText(t, c2.call("tools/call", map[string]any{"name": "sample-nocap", "arguments": map[string]any{}})); isErr || got != "true" {
		t.Errorf("errors.Is(err, ErrCapability) = %s", got)
	}
}

// A stateful tool asks the client to sample on its own SSE answer; the raw
// client answers with a POST, and the tool gets the result.
func TestHTTPSamplingOnRequestStream(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 5, Messages: []*fastmcp.SamplingMessage{{Role: "user", Content: fastmcp.Text("hi")}}})
		if err != nil {
			return "", err
		}
		return res.Model, nil
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.caps = map[string]any{"sampling": map[string]any{}}
	c.initialize()
	id, resp := c.request("tools/call", map[string]any{"name": "sample", "arguments": map[string]any{}})
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sr := testkit.NewSSEReader(resp.Body)
	ev := sr.NextMessage(t)
	c.received([]byte(ev.Data))
	req := htDecode(t, []byte(ev.Data))
	if req.Method != "sampling/createMessage" {
		t.Fatalf("want sampling/createMessage, got %s", ev.Data)
	}
	answer, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": map[string]any{
		"role": "assistant", "content": map[string]any{"type": "text", "text": "hello"}, "model": "test-model"}})
	if r := c.post(answer); r.StatusCode != http.StatusAccepted {
		t.Fatalf("posting the sampling result: %d", r.StatusCode)
	}
	ev = sr.NextMessage(t)
	c.received([]byte(ev.Data))
	m := htDecode(t, []byte(ev.Data))
	got, isErr := testkit.ToolText(t, m.Result)
	if string(m.ID) != strconv.FormatInt(id, 10) || isErr || got != "test-model" {
		t.Fatalf("response %s", ev.Data)
	}
}

func TestHTTPHealthReady(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url string, host string) (int, string, string) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		if host != "" {
			r.Host = host
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		code, ct, body := get(t, ts.URL+"/health", "")
		if code != http.StatusOK || !strings.HasPrefix(ct, "text/plain") || body != "✓ Ok" {
			t.Errorf("health: %d %q %q", code, ct, body)
		}
		code, ct, body = get(t, ts.URL+"/ready", "")
		if code != http.StatusOK || ct != "application/json" {
			t.Fatalf("ready: %d %q %q", code, ct, body)
		}
		var rb map[string]any
		if err := json.Unmarshal([]byte(body), &rb); err != nil {
			t.Fatal(err)
		}
		if rb["status"] != "ready" || rb["sessions"] != float64(0) || rb["mode"] != "stateful" {
			t.Errorf("ready body %s", body)
		}
		resp, err := http.Head(ts.URL + "/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD /health: %v %v", resp, err)
		}
		resp.Body.Close()
		// Exempt from the Host check.
		if code, _, _ := get(t, ts.URL+"/health", "evil.example.com"); code != http.StatusOK {
			t.Errorf("health with a foreign Host: %d", code)
		}
		if code, _, _ := get(t, ts.URL+"/ready", "evil.example.com"); code != http.StatusOK {
			t.Errorf("ready with a foreign Host: %d", code)
		}
	})
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{Health: fastmcp.Health{Path: "/healthz", Body: "fine", Status: http.StatusAccepted, ReadyPath: "/readyz"}}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		if code, _, body := get(t, ts.URL+"/healthz", ""); code != http.StatusAccepted || body != "fine" {
			t.Errorf("healthz: %d %q", code, body)
		}
		if code, _, _ := get(t, ts.URL+"/readyz", ""); code != http.StatusOK {
			t.Errorf("readyz: %d", code)
		}
		for _, p := range []string{"/health", "/ready"} {
			if code, _, _ := get(t, ts.URL+p, ""); code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, code)
			}
		}
	})
	t.Run("base path", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{BasePath: "/api/v1/", Endpoint: "rpc"}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		if code, _, _ := get(t, ts.URL+"/api/v1/health", ""); code != http.StatusOK {
			t.Errorf("/api/v1/health: %d", code)
		}
		if code, _, _ := get(t, ts.URL+"/api/v1/ready", ""); code != http.StatusOK {
			t.Errorf("/api/v1/ready: %d", code)
		}
		for _, p := range []string{"/health", "/ready", "/mcp", "/api/v1/mcp"} {
			if code, _, _ := get(t, ts.URL+p, ""); code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, code)
			}
		}
		c := htNewClient(t, ts.URL+"/api/v1/rpc", "")
		c.initialize()
		c.call("tools/list", nil)
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{Health: fastmcp.Health{Disabled: true}}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		for _, p := range []string{"/health", "/ready"} {
			if code, _, _ := get(t, ts.URL+p, ""); code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, code)
			}
		}
	})
}

func TestHTTPCustomRoutes(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	s.RouteFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}, fastmcp.RouteOptions{})
	s.Route("GET /files/{path...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "file:"+r.PathValue("path"))
	}), fastmcp.RouteOptions{Public: true})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	// Added after the handler was created.
	s.RouteFunc("POST /api/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	}, fastmcp.RouteOptions{})

	hc := testkit.HTTPClient(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/api/status", "", 200, `{"ok":true}`},
		{"GET", "/files/a/b/c.txt", "", 200, "file:a/b/c.txt"},
		{"GET", "/files/", "", 200, "file:"},
		{"POST", "/api/echo", "ping", 200, "ping"},
		{"POST", "/api/status", "", 405, ""},
		{"GET", "/nope", "", 404, ""},
		{"GET", "/api/statusx", "", 404, ""},
	} {
		r, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.want != "" && string(body) != tc.want) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	// The MCP endpoint still works beside them.
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	c.call("tools/list", nil)
	// Routes pass the DNS-rebinding check like the endpoint.
	r, _ := http.NewRequest("GET", ts.URL+"/api/status", nil)
	r.Host = "evil.example.com"
	resp, err := hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("route with a foreign Host: %d, want 403", resp.StatusCode)
	}
}

func TestHTTPKeepAliveComments(t *testing.T) {
	t.Parallel()
	opts := fastmcp.HTTP{KeepAliveInterval: 20 * time.Millisecond}
	ts := testkit.ServeHTTP(t, htTestServer(t), opts)
	c := htNewClient(t, htEndpoint(ts.URL, opts), "")
	c.initialize()
	resp, sr := c.openGET(nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	for n := 0; n < 2; {
		ev, err := sr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != "" && !strings.HasSuffix(htDecode(t, []byte(ev.Data)).Method, "/list_changed") {
			// (A list_changed for the tools registered just before the
			// session started may arrive; nothing else should.)
			t.Fatalf("unexpected event on an idle stream: %+v", ev)
		}
		for _, cm := range ev.Comments {
			if cm != ": keep-alive" {
				t.Fatalf("comment %q", cm)
			}
			n++
		}
	}
}

func TestHTTPPing(t *testing.T) {
	t.Parallel()
	t.Run("answered pings keep the session", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{PingInterval: 250 * time.Millisecond, PingFailureLimit: 3, KeepAliveInterval: -1}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		_, sr := c.openGET(nil)
		for range 3 {
			m := htNextRequest(t, sr, c)
			if m.Method != "ping" {
				t.Fatalf("want a ping request, got %+v", m)
			}
			answer, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": map[string]any{}})
			if resp := c.post(answer); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("answering the ping: %d", resp.StatusCode)
			}
		}
		if h.SessionCount() != 1 {
			t.Fatal("the session ended although every ping was answered")
		}
		c.call("ping", nil)
	})
	t.Run("unanswered pings end the session", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{PingInterval: 30 * time.Millisecond, PingFailureLimit: 1, KeepAliveInterval: -1}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		resp, sr := c.openGET(nil)
		if m := htNextRequest(t, sr, c); m.Method != "ping" {
			t.Fatalf("want a ping, got %+v", m)
		}
		// The stream ends with the session.
		_, _ = io.Copy(io.Discard, resp.Body)
		testkit.Eventually(t, "the session to end", func() bool { return h.SessionCount() == 0 && len(s.Sessions()) == 0 })
		_, r := c.request("tools/list", nil)
		htWantError(t, r, http.StatusNotFound, -32001)
	})
	t.Run("failures are only logged by default", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{PingInterval: 20 * time.Millisecond, KeepAliveInterval: -1}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		_, sr := c.openGET(nil)
		for range 3 {
			if m := htNextRequest(t, sr, c); m.Method != "ping" {
				t.Fatalf("want a ping, got %+v", m)
			}
		}
		if h.SessionCount() != 1 {
			t.Fatal("the session ended after failed pings without a PingFailureLimit")
		}
	})
}

func TestHTTPGracefulShutdown(t *testing.T) {
	t.Parallel()
	t.Run("in-flight call finishes, streams close", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		started, release := make(chan struct{}), make(chan struct{})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "slow"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			close(started)
			<-release
			return "finished", nil
		})
		var once sync.Once
		unblock := func() { once.Do(func() { close(release) }) }
		t.Cleanup(unblock)
		run := htServe(t, s, fastmcp.HTTP{ShutdownTimeout: 5 * time.Second, KeepAliveInterval: -1})
		c := htNewClient(t, run.endpoint, "")
		c.initialize()
		get, gsr := c.openGET(nil)
		if get.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d", get.StatusCode)
		}
		type answer struct {
			text string
			err  error
		}
		answers := make(chan answer, 1)
		go func() {
			body := testkit.Encode(100, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{}})
			c.conv.Sent(body)
			r, _ := http.NewRequest(http.MethodPost, run.endpoint, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			r.Header.Set("Mcp-Session-Id", c.sid)
			resp, err := c.hc.Do(r)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				answers <- answer{err: fmt.Errorf("status %d %s %v", resp.StatusCode, b, err)}
				return
			}
			var m htMsg
			if err := json.Unmarshal(b, &m); err != nil || m.Result == nil {
				answers <- answer{err: fmt.Errorf("answer %s", b)}
				return
			}
			var res struct {
				Content []struct{ Text string } `json:"content"`
			}
			json.Unmarshal(m.Result, &res)
			if len(res.Content) == 0 {
				answers <- answer{err: fmt.Errorf("answer %s", b)}
				return
			}
			answers <- answer{text: res.Content[0].Text}
		}()
		select {
		case <-started:
		case <-time.After(testkit.Wait):
			t.Fatal("the slow tool did not start")
		}
		run.cancel()
		// The server stops accepting: /ready says 503, or the listener is gone.
		testkit.Eventually(t, "the server to stop accepting", func() bool {
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: time.Second}).Get(run.base + "/ready")
			if err != nil {
				return true
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusServiceUnavailable
		})
		// The GET stream is closed by the shutdown.
		for {
			if _, err := gsr.Next(); err != nil {
				break
			}
		}
		select {
		case <-run.done:
			t.Fatal("Serve returned while a call was in flight")
		default:
		}
		unblock()
		select {
		case a := <-answers:
			if a.err != nil || a.text != "finished" {
				t.Fatalf("in-flight call: %q %v", a.text, a.err)
			}
		case <-time.After(testkit.Wait):
			t.Fatal("the in-flight call got no answer")
		}
		start := time.Now()
		if err := run.stop(); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Serve returned %v after the last call finished", d)
		}
	})
	t.Run("a handler that never returns", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		started, release := make(chan struct{}), make(chan struct{})
		t.Cleanup(func() { close(release) })
		fastmcp.AddTool(s, fastmcp.Tool{Name: "stuck"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			close(started)
			<-release // ignores its context
			return "never", nil
		})
		const timeout = 300 * time.Millisecond
		run := htServe(t, s, fastmcp.HTTP{ShutdownTimeout: timeout})
		c := htNewClient(t, run.endpoint, "")
		c.initialize()
		go func() {
			r := c.newRequest(http.MethodPost, testkit.Encode(1, "tools/call", map[string]any{"name": "stuck", "arguments": map[string]any{}}))
			if resp, err := c.hc.Do(r); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		<-started
		start := time.Now()
		if err := run.stop(); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		d := time.Since(start)
		if d < timeout || d > timeout+3*time.Second {
			t.Errorf("Serve returned after %v, want about %v", d, timeout)
		}
	})
	t.Run("context already cancelled", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		errc := make(chan error, 1)
		go func() { errc <- s.Serve(ctx, fastmcp.HTTP{Host: "127.0.0.1", Port: -1}) }()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(testkit.Wait):
			t.Fatal("Serve did not return")
		}
	})
	t.Run("listen error", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		err = htTestServer(t).Serve(testkit.Context(t), fastmcp.HTTP{Host: "127.0.0.1", Port: port})
		if err == nil {
			t.Fatal("Serve on a busy port succeeded")
		}
	})
}

// The conformance suite's server-sse-multiple-streams scenario: three
// concurrent POSTs on one session, with the 2025-03-26 header on a 2025-11-25
// session, all answered 2xx.
func TestHTTPConcurrentPOSTsOnOneSession(t *testing.T) {
	t.Parallel()
	ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			body := testkit.Encode(int64(1000+i), "tools/list", nil)
			r, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "text/event-stream, application/json")
			r.Header.Set("Mcp-Session-Id", c.sid)
			r.Header.Set("mcp-protocol-version", fastmcp.ProtocolVersion20250326)
			resp, err := c.hc.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode/100 != 2 || !bytes.Contains(b, []byte(`"tools"`)) {
				t.Errorf("POST %d: %d %s", i, resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
}

func TestHTTPHandlerClose(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	h := ts.Handler
	c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	sess := s.Sessions()[0]
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sess.Done():
	default:
		t.Error("Close did not end the session")
	}
	code, body := htReady(t, ts.URL+"/ready")
	if code != http.StatusServiceUnavailable || body["status"] != "shutting_down" || body["sessions"] != float64(0) {
		t.Errorf("ready after Close: %d %v", code, body)
	}
	fresh := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	_, resp := fresh.request("initialize", map[string]any{"protocolVersion": fresh.rev, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "late", "version": "1"}})
	htWantError(t, resp, http.StatusServiceUnavailable, -32603)
	resp, _ = c.openGET(nil)
	if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after Close: %d", resp.StatusCode)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Shutdown closes the long-lived streams so in-flight work can drain; an
// open legacy SSE stream is not closed and holds Serve up for the whole
// ShutdownTimeout.
func TestHTTPGracefulShutdownLegacyStream(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	run := htServe(t, s, fastmcp.HTTP{ShutdownTimeout: 2 * time.Second, KeepAliveInterval: -1})
	resp, err := http.Get(run.base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := testkit.NewSSEReader(resp.Body).Next(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := run.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Serve took %v to shut down with an idle legacy stream open", d)
	}
}
