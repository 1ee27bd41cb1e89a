package fastmcp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkHTTPToolCallClustered is BenchmarkHTTPToolCall on replicas of a
// cluster sharing in-memory stores: the session started on one replica
// ("owner") or on another one, served here from its copy ("copy"). Compare
// with BenchmarkHTTPToolCall for the cost of clustered mode in steady state.
func BenchmarkHTTPToolCallClustered(b *testing.B) {
	shared := &Store{Sessions: NewMemorySessionStore(), State: NewMemoryStateStore(),
		Events: NewMemoryEventStore(nil), Bus: NewMemoryBus()}
	replica := func() *HTTPHandler {
		s := New(Options{Name: "bench", Version: "1.0.0", Store: shared})
		AddTool(s, Tool{Name: "add", Description: "Add two numbers"}, func(ctx *Context, a benchAddArgs) (string, error) {
			return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
		})
		h := s.Handler(HTTP{DisableDNSRebindingProtection: true})
		b.Cleanup(func() { h.Close() })
		return h
	}
	a, other := replica(), replica()
	init := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)))
	init.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, init)
	sid := rec.Header().Get("Mcp-Session-Id")
	if sid == "" {
		b.Fatalf("no session: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name string
		h    *HTTPHandler
	}{{"owner", a}, {"copy", other}} {
		b.Run(tc.name, func(b *testing.B) {
			body := bytes.NewReader(benchCall)
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
				tc.h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
