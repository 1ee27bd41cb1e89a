package fastmcp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

type benchAddArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func benchServer(b *testing.B) *Server {
	s := New(Options{Name: "bench", Version: "1.0.0"})
	AddTool(s, Tool{Name: "add", Description: "Add two numbers"}, func(ctx *Context, a benchAddArgs) (string, error) {
		return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
	})
	return s
}

// benchConn is a conn for benchmarks of the engine alone: one session (or
// none), no channel to the client.
type benchConn struct{ sess *Session }

func (c *benchConn) info() connInfo                { return connInfo{} }
func (c *benchConn) session(bool) (*Session, bool) { return c.sess, true }
func (c *benchConn) auth() (any, error)            { return nil, nil }
func (c *benchConn) validate(*request) *Error      { return nil }
func (c *benchConn) send([]byte) error             { return errNoChannel }
func (c *benchConn) async(f func()) bool           { f(); return true }
func (c *benchConn) resumable() bool               { return false }
func (c *benchConn) reply([]byte, answer)          {}

func benchSession(s *Server) *Session {
	sess := newSession(s, nil)
	sess.initialized, sess.ready, sess.version = true, true, v20251125
	return sess
}

var benchCall = []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"add","arguments":{"a":1.5,"b":2}}}`)

// BenchmarkDispatchToolCall measures the engine's path for one tool call:
// decode the message, dispatch, validate and decode the arguments, run the
// handler, normalise and encode the result.
func BenchmarkDispatchToolCall(b *testing.B) {
	s := benchServer(b)
	c := &benchConn{sess: benchSession(s)}
	info := c.info()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(benchCall, &m); err != nil {
			b.Fatal(err)
		}
		buf := getBuf()
		*buf, _ = s.serveOne(ctx, c, &info, &m, *buf, false)
		if !bytes.Contains(*buf, []byte(`"3.5"`)) {
			b.Fatalf("unexpected response %s", *buf)
		}
		putBuf(buf)
	}
}

// BenchmarkDispatchToolCallMiddleware is BenchmarkDispatchToolCall with one
// no-op middleware installed: the chain costs at most one allocation.
func BenchmarkDispatchToolCallMiddleware(b *testing.B) {
	s := benchServer(b)
	s.Use(func(next MethodHandler) MethodHandler {
		return func(ctx *Context, req *Request) (any, error) { return next(ctx, req) }
	})
	c := &benchConn{sess: benchSession(s)}
	info := c.info()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(benchCall, &m); err != nil {
			b.Fatal(err)
		}
		buf := getBuf()
		*buf, _ = s.serveOne(ctx, c, &info, &m, *buf, false)
		if !bytes.Contains(*buf, []byte(`"3.5"`)) {
			b.Fatalf("unexpected response %s", *buf)
		}
		putBuf(buf)
	}
}

// BenchmarkDispatchToolsList measures tools/list.
func BenchmarkDispatchToolsList(b *testing.B) {
	s := benchServer(b)
	c := &benchConn{sess: benchSession(s)}
	info := c.info()
	ctx := context.Background()
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	b.ReportAllocs()
	for b.Loop() {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(msg, &m); err != nil {
			b.Fatal(err)
		}
		buf := getBuf()
		*buf, _ = s.serveOne(ctx, c, &info, &m, *buf, false)
		putBuf(buf)
	}
}

// BenchmarkHTTPToolCall measures a tool call through the Streamable HTTP
// handler, without the network: the handler's own cost per POST.
func BenchmarkHTTPToolCall(b *testing.B) {
	s := benchServer(b)
	h := s.Handler(HTTP{DisableDNSRebindingProtection: true})
	defer h.Close()
	init := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)))
	init.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, init)
	sid := rec.Header().Get("Mcp-Session-Id")
	if sid == "" {
		b.Fatalf("no session: %d %s", rec.Code, rec.Body)
	}
	body := bytes.NewReader(benchCall)
	// A cancellable context, as net/http gives every request.
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(cctx, http.MethodPost, "/mcp", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(benchCall)
		req.Body = io.NopCloser(body)
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }

// BenchmarkHTTPSessionLifecycle measures a whole session through the
// Streamable HTTP handler without the network: initialize,
// notifications/initialized, one tool call, DELETE.
func BenchmarkHTTPSessionLifecycle(b *testing.B) {
	s := benchServer(b)
	h := s.Handler(HTTP{DisableDNSRebindingProtection: true, MaxSessions: -1})
	defer h.Close()
	initBody := []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)
	notif := []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	post := func(body []byte, sid string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := post(initBody, "")
		sid := rec.Header().Get("Mcp-Session-Id")
		if sid == "" {
			b.Fatalf("no session: %d %s", rec.Code, rec.Body)
		}
		if rec := post(notif, sid); rec.Code != http.StatusAccepted {
			b.Fatalf("initialized: %d", rec.Code)
		}
		if rec := post(benchCall, sid); rec.Code != http.StatusOK {
			b.Fatalf("call: %d", rec.Code)
		}
		del := httptest.NewRequest(http.MethodDelete, "/mcp", nil)
		del.Header.Set("Mcp-Session-Id", sid)
		drec := httptest.NewRecorder()
		h.ServeHTTP(drec, del)
		if drec.Code != http.StatusOK {
			b.Fatalf("delete: %d", drec.Code)
		}
	}
}

var benchModernCall = []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"add","arguments":{"a":1.5,"b":2},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"b","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`)

// BenchmarkDispatchModernToolCall is BenchmarkDispatchToolCall for a
// 2026-07-28 request: the protocol fields come from the request's _meta, and
// the result gets resultType and the server's identity.
func BenchmarkDispatchModernToolCall(b *testing.B) {
	s := benchServer(b)
	c := &benchConn{}
	info := c.info()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(benchModernCall, &m); err != nil {
			b.Fatal(err)
		}
		buf := getBuf()
		*buf, _ = s.serveOne(ctx, c, &info, &m, *buf, false)
		if !bytes.Contains(*buf, []byte(`"3.5"`)) || !bytes.Contains(*buf, []byte(`"resultType":"complete"`)) {
			b.Fatalf("unexpected response %s", *buf)
		}
		putBuf(buf)
	}
}

// BenchmarkHTTPModernToolCall is BenchmarkHTTPToolCall for a 2026-07-28
// request: no session, and the request metadata headers checked.
func BenchmarkHTTPModernToolCall(b *testing.B) {
	s := benchServer(b)
	h := s.Handler(HTTP{DisableDNSRebindingProtection: true})
	defer h.Close()
	body := bytes.NewReader(benchModernCall)
	req := httptest.NewRequest(http.MethodPost, "/mcp", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", "add")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(benchModernCall)
		req.Body = io.NopCloser(body)
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}
