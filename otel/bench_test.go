package fastmcpotel_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// discard is a span exporter that drops what it is given: the SDK does all
// its work (sampling, recording, batching) and nothing leaves the process.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkToolCall measures the server's cost of one tools/call over
// Streamable HTTP (the handler called directly, one session, no network),
// uninstrumented and instrumented: ns/op is server CPU per call, as the
// handler runs on the benchmark's goroutine.
func BenchmarkToolCall(b *testing.B) {
	cases := []struct {
		name string
		// instrument: nil leaves the server without Telemetry.
		opts *fastmcpotel.Options
		// sdk installs the SDK providers.
		traces, metrics bool
		// meta sends a traceparent in _meta.
		meta bool
	}{
		{name: "uninstrumented"},
		{name: "off", opts: &fastmcpotel.Options{Traces: fastmcpotel.TraceOff, DisableMetrics: true}},
		{name: "api-only", opts: &fastmcpotel.Options{}},
		{name: "metrics", opts: &fastmcpotel.Options{Traces: fastmcpotel.TraceOff}, metrics: true},
		{name: "propagation", opts: &fastmcpotel.Options{Traces: fastmcpotel.TracePropagation, DisableMetrics: true}, meta: true},
		{name: "traces", opts: &fastmcpotel.Options{DisableMetrics: true}, traces: true},
		{name: "all", opts: &fastmcpotel.Options{}, traces: true, metrics: true},
		{name: "all+meta", opts: &fastmcpotel.Options{}, traces: true, metrics: true, meta: true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := fastmcp.New(fastmcp.Options{Name: "bench", Version: "1.0.0"})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "add"}, func(ctx *fastmcp.Context, a addArgs) (string, error) {
				return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
			})
			if c.opts != nil {
				opts := *c.opts
				if c.traces {
					tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
					b.Cleanup(func() { tp.Shutdown(context.Background()) })
					opts.TracerProvider = tp
				}
				if c.metrics {
					mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
					b.Cleanup(func() { mp.Shutdown(context.Background()) })
					opts.MeterProvider = mp
				}
				fastmcpotel.New(opts).Instrument(s)
			}
			h := s.Handler(fastmcp.HTTP{})
			b.Cleanup(func() { h.Close() })
			sid := benchInitialize(b, h)
			meta := ""
			if c.meta {
				meta = `,"_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`
			}
			body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1.5,"b":2}` + meta + `}}`)
			rd := bytes.NewReader(body)
			req := httptest.NewRequest("POST", "/mcp", rd)
			benchHeaders(req, sid)
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				rd.Reset(body)
				w.reset()
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK || !bytes.Contains(w.buf.Bytes(), []byte(`"3.5"`)) {
					b.Fatalf("%d %s", w.code, w.buf.Bytes())
				}
			}
			// The process's CPU time (every goroutine: the span batcher, the
			// garbage collector) per call: unlike ns/op, it does not count
			// time the virtual machine spent running others.
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func benchHeaders(r *http.Request, sid string) {
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("Mcp-Protocol-Version", fastmcp.LatestHandshakeProtocolVersion)
	if sid != "" {
		r.Header.Set("Mcp-Session-Id", sid)
	}
}

// benchInitialize opens a session and returns its id.
func benchInitialize(b *testing.B, h http.Handler) string {
	b.Helper()
	post := func(body, sid string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(body))
		benchHeaders(r, sid)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := post(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`,
		fastmcp.LatestHandshakeProtocolVersion), "")
	sid := w.Header().Get("Mcp-Session-Id")
	if w.Code != http.StatusOK || sid == "" {
		b.Fatalf("initialize: %d %s", w.Code, w.Body)
	}
	if w := post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, sid); w.Code != http.StatusAccepted {
		b.Fatalf("initialized: %d", w.Code)
	}
	return sid
}

// benchWriter is a reusable http.ResponseWriter, so that the benchmark
// measures the server and not a recorder.
type benchWriter struct {
	h    http.Header
	buf  bytes.Buffer
	code int
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.buf.Reset()
	w.code = 0
}
func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.buf.Write(p)
}
func (w *benchWriter) WriteHeader(code int) { w.code = code }

// processCPU returns the CPU time the process used so far, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
