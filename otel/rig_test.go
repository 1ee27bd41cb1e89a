package fastmcpotel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// testTimeout bounds each test's waits.
const testTimeout = 30 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// rig is a server instrumented with SDK providers that keep their spans and
// metrics in memory.
type rig struct {
	t      testing.TB
	tp     *sdktrace.TracerProvider
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tel    *fastmcpotel.Telemetry
	srv    *fastmcp.Server
	// toolSpans receives, from the "child" tool, the span context its ctx
	// carried; elicitMeta the _meta of elicitation requests the client got.
	mu         sync.Mutex
	elicitMeta []mcp.Meta
	// changed is closed and replaced each time a span ends.
	changed chan struct{}
}

// OnEnd and the rest make the rig a SpanProcessor that tells waitSpan a span
// ended.
func (r *rig) OnEnd(sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}
func (r *rig) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *rig) Shutdown(context.Context) error                  { return nil }
func (r *rig) ForceFlush(context.Context) error                { return nil }

// waitSpan waits until n spans of that name have ended.
func (r *rig) waitSpan(name string, n int) {
	r.t.Helper()
	r.waitUntil(func() bool { return len(r.spansNamed(name)) >= n }, fmt.Sprintf("%d spans %q", n, name))
}

// waitUntil waits until ended spans satisfy done.
func (r *rig) waitUntil(done func() bool, what string) {
	r.t.Helper()
	ctx := testCtx(r.t)
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if done() {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			r.t.Fatalf("waiting for %s; spans: %s", what, spanNames(r.spans.Ended()))
		}
	}
}

// newRig returns a rig whose server has the test tools, prompt and resource.
func newRig(t testing.TB, opts fastmcpotel.Options, sopts fastmcp.Options) *rig {
	r := &rig{t: t, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), changed: make(chan struct{})}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans), sdktrace.WithSpanProcessor(r))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = r.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	if opts.TracerProvider == nil {
		opts.TracerProvider = r.tp
	}
	if opts.MeterProvider == nil {
		opts.MeterProvider = mp
	}
	if opts.Propagator == nil {
		opts.Propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	r.tel = fastmcpotel.New(opts)
	if sopts.Name == "" {
		sopts.Name = "otel-test"
	}
	sopts.ClientRequestMeta = r.tel.ClientRequestMeta
	r.srv = fastmcp.New(sopts)
	addFixtures(r.srv, r.tp.Tracer("tools"))
	r.tel.Instrument(r.srv)
	return r
}

type addArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

type empty struct{}

// addFixtures registers the tools, prompt and resource the tests call.
func addFixtures(s *fastmcp.Server, tracer trace.Tracer) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add"}, func(ctx *fastmcp.Context, a addArgs) (string, error) {
		return fmt.Sprint(a.A + a.B), nil
	})
	// child starts a span of its own under the request's.
	fastmcp.AddTool(s, fastmcp.Tool{Name: "child"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		_, span := tracer.Start(ctx, "tool work")
		span.End()
		return span.SpanContext().SpanID().String(), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fail"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		return "", fastmcp.NewUserError("no such city")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "internal"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		return "", errors.New("database unreachable")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "protocol"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		return "", fastmcp.NewError(fastmcp.CodeURLElicitationRequired, "visit the URL first")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "boom"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		panic("kaboom")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "slow", Timeout: 20 * time.Millisecond}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
		if err != nil {
			return "", err
		}
		return res.Action + ": " + fmt.Sprint(res.Content["name"]), nil
	})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "greet"}, func(ctx *fastmcp.Context, _ struct{}) (string, error) {
		return "Hello", nil
	})
	s.AddResource(fastmcp.Resource{URI: "test://doc", Name: "doc", Load: fastmcp.StaticText("text")})
}

// ended returns the server spans recorded so far.
func (r *rig) serverSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.SpanKind() == trace.SpanKindServer && s.InstrumentationScope().Name == fastmcpotel.ScopeName {
			out = append(out, s)
		}
	}
	return out
}

// spansNamed returns the recorded spans of that name.
func (r *rig) spansNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// oneSpan returns the one span of that name, failing the test otherwise.
func (r *rig) oneSpan(name string) sdktrace.ReadOnlySpan {
	r.t.Helper()
	spans := r.spansNamed(name)
	if len(spans) != 1 {
		r.t.Fatalf("%d spans named %q, want 1; spans: %s", len(spans), name, spanNames(r.spans.Ended()))
	}
	return spans[0]
}

func spanNames(spans []sdktrace.ReadOnlySpan) string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	return strings.Join(names, ", ")
}

// attrs returns the attributes of a span as a map.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// metrics collects the metrics recorded so far.
func (r *rig) metrics() metricdata.ResourceMetrics {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		r.t.Fatal(err)
	}
	return rm
}

// findMetric returns the metric named name, or fails the test.
func findMetric(t testing.TB, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return metricdata.Metrics{}
}

// histogramCount sums the counts of the histogram's points whose attributes
// include want.
func histogramCount(t testing.TB, m metricdata.Metrics, want ...attribute.KeyValue) uint64 {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T", m.Name, m.Data)
	}
	var n uint64
	for _, p := range h.DataPoints {
		if hasAll(p.Attributes, want) {
			n += p.Count
		}
	}
	return n
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// sumValue sums the points of an int64 sum whose attributes include want.
func sumValue(t testing.TB, m metricdata.Metrics, want ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is a %T", m.Name, m.Data)
	}
	var n int64
	for _, p := range s.DataPoints {
		if hasAll(p.Attributes, want) {
			n += p.Value
		}
	}
	return n
}

// Transports the tests connect the official Go SDK client over.
const (
	viaStdio = "stdio"
	viaHTTP  = "streamable-http"
	viaSSE   = "sse"
)

// connect connects the official Go SDK client to the rig's server over the
// transport, asking for protocol version (the SDK's default, 2026-07-28, for
// ""). The client accepts elicitations, recording their _meta.
func (r *rig) connect(via, version string, wrap func(http.Handler) http.Handler) *mcp.ClientSession {
	t := r.t
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "otel-test-client", Version: "1.0.0"}, &mcp.ClientOptions{
		Capabilities: &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{Form: &mcp.FormElicitationCapabilities{}}},
		ElicitationHandler: func(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			r.mu.Lock()
			r.elicitMeta = append(r.elicitMeta, req.Params.Meta)
			r.mu.Unlock()
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Ada"}}, nil
		},
	})
	var transport mcp.Transport
	switch via {
	case viaStdio:
		toServerR, toServerW := io.Pipe()
		toClientR, toClientW := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = r.srv.Serve(ctx, fastmcp.Stdio{Reader: toServerR, Writer: toClientW})
			toClientW.Close()
			toServerR.Close()
		}()
		t.Cleanup(func() {
			toServerW.Close()
			cancel()
			<-served
		})
		transport = &mcp.IOTransport{Reader: toClientR, Writer: toServerW}
	case viaHTTP, viaSSE:
		h := http.Handler(r.srv.Handler(fastmcp.HTTP{}))
		if wrap != nil {
			h = wrap(h)
		}
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		if via == viaHTTP {
			transport = &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", MaxRetries: -1}
		} else {
			transport = &mcp.SSEClientTransport{Endpoint: hs.URL + "/sse"}
		}
	default:
		t.Fatalf("unknown transport %q", via)
	}
	var opts *mcp.ClientSessionOptions
	if version != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: version}
	}
	cs, err := client.Connect(testCtx(t), transport, opts)
	if err != nil {
		t.Fatalf("connect over %s (%q): %v", via, version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// A client's span, as the client would put it in _meta.
var (
	clientTrace, _ = trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	clientSpan, _  = trace.SpanIDFromHex("00f067aa0ba902b7")
)

// traceparent returns the _meta of a request made under the client's span.
func traceparent() mcp.Meta {
	return mcp.Meta{"traceparent": "00-" + clientTrace.String() + "-" + clientSpan.String() + "-01", "baggage": "tenant=acme"}
}
