package fastmcpotel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Over HTTP wrapped in otelhttp: with _meta, the client's span is the parent
// and the POST's span a link; without, the POST's span is the parent.
func TestTransportSpanLinked(t *testing.T) {
	t.Parallel()
	for _, version := range []string{fastmcp.LatestHandshakeProtocolVersion, ""} {
		t.Run("version="+version, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
			cs := r.connect(viaHTTP, version, func(h http.Handler) http.Handler {
				return otelhttp.NewHandler(h, "POST /mcp", otelhttp.WithTracerProvider(r.tp),
					otelhttp.WithPropagators(propagation.TraceContext{}))
			})
			ctx := testCtx(t)
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Meta: traceparent(), Name: "add", Arguments: map[string]any{"a": 1, "b": 2}}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "child"}); err != nil {
				t.Fatal(err)
			}
			add := r.oneSpan("tools/call add")
			child := r.oneSpan("tools/call child")
			// An HTTP span ends after the MCP span it contains, and may
			// end after the client has its answer.
			httpSpans := map[string]bool{}
			r.waitUntil(func() bool {
				clear(httpSpans)
				for _, s := range r.spansNamed("POST /mcp") {
					httpSpans[s.SpanContext().SpanID().String()] = true
				}
				return len(add.Links()) == 1 && httpSpans[add.Links()[0].SpanContext.SpanID().String()] &&
					httpSpans[child.Parent().SpanID().String()]
			}, "the POST spans of both calls")
			if add.Parent().SpanID() != clientSpan {
				t.Errorf("add's parent %v, want the client's span", add.Parent().SpanID())
			}
			if links := add.Links(); len(links) != 1 || !httpSpans[links[0].SpanContext.SpanID().String()] {
				t.Errorf("add's links %+v, want the POST's span", links)
			}
			if !httpSpans[child.Parent().SpanID().String()] || len(child.Links()) != 0 {
				t.Errorf("child's parent %v (links %v), want the POST's span", child.Parent().SpanID(), child.Links())
			}
		})
	}
}

// Session metrics: the duration histogram on the conventions' buckets when
// a session ends, with its transport; the open sessions.
func TestSessionMetrics(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
	ended := make(chan *fastmcp.Session, 4)
	// Registered after the Telemetry's: a session's handlers run in order.
	r.srv.OnDisconnect(func(s *fastmcp.Session) { ended <- s })
	cs := r.connect(viaHTTP, fastmcp.LatestHandshakeProtocolVersion, nil)
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "child"}); err != nil {
		t.Fatal(err)
	}
	active := findMetric(t, r.metrics(), fastmcpotel.MetricActiveSessions)
	if got := sumValue(t, active); got != 1 {
		t.Errorf("open sessions %d, want 1", got)
	}
	cs.Close()
	<-ended
	rm := r.metrics()
	if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricActiveSessions)); got != 0 {
		t.Errorf("open sessions after close %d, want 0", got)
	}
	m := findMetric(t, rm, fastmcpotel.MetricSessionDuration)
	if got := histogramCount(t, m, attribute.String("network.transport", "tcp"), attribute.String("network.protocol.name", "http"),
		attribute.String("mcp.protocol.version", fastmcp.LatestHandshakeProtocolVersion)); got != 1 {
		t.Errorf("session durations recorded: %d, want 1: %+v", got, m.Data)
	}
	if got := histogramCount(t, m, attribute.String("error.type", "")); got != 0 {
		t.Error("a session the client ended is recorded as failed")
	}
}

// Arguments and results are recorded only when asked for, and cut.
func TestRecordArgumentsAndResults(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{RecordArguments: true, RecordResults: true, MaxRecordedBytes: 64}, fastmcp.Options{})
	fastmcp.AddTool(r.srv, fastmcp.Tool{Name: "echo"}, func(ctx *fastmcp.Context, a struct {
		S string `json:"s"`
	}) (string, error) {
		return a.S, nil
	})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": 1, "b": 2}}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 100)
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"s": long}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "fail"}); err != nil {
		t.Fatal(err)
	}
	a := attrs(r.oneSpan("tools/call add"))
	var args map[string]float64
	if err := json.Unmarshal([]byte(a["gen_ai.tool.call.arguments"].AsString()), &args); err != nil || args["a"] != 1 || args["b"] != 2 {
		t.Errorf("arguments %q (%v)", a["gen_ai.tool.call.arguments"].AsString(), err)
	}
	var res struct {
		Content []struct{ Text string } `json:"content"`
	}
	if err := json.Unmarshal([]byte(a["gen_ai.tool.call.result"].AsString()), &res); err != nil || len(res.Content) != 1 || res.Content[0].Text != "3" {
		t.Errorf("result %q (%v)", a["gen_ai.tool.call.result"].AsString(), err)
	}
	e := attrs(r.oneSpan("tools/call echo"))
	for _, k := range []attribute.Key{"gen_ai.tool.call.arguments", "gen_ai.tool.call.result"} {
		if v := e[k].AsString(); len(v) > 64 || len(v) < 60 || !utf8.ValidString(v) {
			t.Errorf("%s not cut to 64 bytes of valid UTF-8: %d bytes %q", k, len(v), v)
		}
	}
	if got := r.oneSpan("tools/call fail").Status().Description; got != "no such city" {
		t.Errorf("tool error description %q", got)
	}
}

// A client cannot grow the metric series, the span names or the session
// table: unknown methods and tools are recorded under fixed names.
func TestClientCannotGrowSeries(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
	h := r.srv.Handler(fastmcp.HTTP{Stateless: true})
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	post := func(body string) {
		req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", fastmcp.LatestHandshakeProtocolVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	const n = 50
	for i := range n {
		post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"tool-%d"}}`, i, i))
		post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"x/method-%d"}`, i, i))
		post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"prompts/get","params":{"name":"prompt-%d"}}`, i, i))
		// Stateless initialize: sessions that fire no events.
		post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`, i))
	}
	op := findMetric(t, r.metrics(), fastmcpotel.MetricOperationDuration)
	if got := len(op.Data.(metricdata.Histogram[float64]).DataPoints); got != 4 {
		t.Errorf("%d series for 4 kinds of request: %+v", got, op.Data)
	}
	for _, c := range []struct {
		method string
		want   uint64
	}{{"tools/call", n}, {"_OTHER", n}, {"prompts/get", n}, {"initialize", n}} {
		if got := histogramCount(t, op, attribute.String("mcp.method.name", c.method)); got != c.want {
			t.Errorf("%s: %d, want %d", c.method, got, c.want)
		}
	}
	names := map[string]bool{}
	for _, s := range r.serverSpans() {
		names[s.Name()] = true
	}
	if len(names) != 4 {
		t.Errorf("span names: %v", names)
	}
	if got := fastmcpotel.TrackedSessions(r.tel); got != 0 {
		t.Errorf("%d sessions tracked after stateless requests", got)
	}
}

// The trace ids of the span in the log records written with its context:
// the handler's own, and FastMCP's.
func TestLogHandler(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(fastmcpotel.LogHandler(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil)))
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{Logger: logger})
	fastmcp.AddTool(r.srv, fastmcp.Tool{Name: "logs"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		logger.InfoContext(ctx, "working", "step", 1)
		return "ok", nil
	})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	for _, name := range []string{"logs", "slow"} {
		if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	logger.Info("outside any request")
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	mu.Unlock()
	want := map[string]string{
		"working":                 r.oneSpan("tools/call logs").SpanContext().SpanID().String(),
		"fastmcp: tool timed out": r.oneSpan("tools/call slow").SpanContext().SpanID().String(),
		"outside any request":     "",
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		msg, _ := rec["msg"].(string)
		span, ok := want[msg]
		if !ok {
			continue
		}
		delete(want, msg)
		if got, _ := rec["span_id"].(string); got != span {
			t.Errorf("%q: span_id %q, want %q", msg, got, span)
		}
		if span != "" && rec["trace_id"] == nil {
			t.Errorf("%q: no trace_id", msg)
		}
	}
	if len(want) > 0 {
		t.Errorf("records not logged: %v\n%s", want, buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// The event-store gauges report what an observed store holds.
func TestEventStoreMetrics(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
	store := fastmcp.NewMemoryEventStore(nil)
	r.tel.ObserveEventStore(store)
	for i := range 3 {
		if err := store.Append(context.Background(), "s1", "g", int64(i), []byte("0123456789")); err != nil {
			t.Fatal(err)
		}
	}
	rm := r.metrics()
	if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricEventStoreEvents)); got != 3 {
		t.Errorf("events %d, want 3", got)
	}
	if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricEventStoreBytes)); got != 30 {
		t.Errorf("bytes %d, want 30", got)
	}
}
