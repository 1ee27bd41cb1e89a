package fastmcpotel_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// One span per request, on every transport and in both eras, with the
// conventions' attributes and the client's span from _meta as parent.
func TestSpanPerRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		via, version string
		// wantVersion is the protocol version the spans record.
		wantVersion string
		session     bool
	}{
		{viaStdio, fastmcp.LatestHandshakeProtocolVersion, fastmcp.LatestHandshakeProtocolVersion, true},
		{viaStdio, "", fastmcp.ProtocolVersion20260728, false},
		{viaHTTP, fastmcp.LatestHandshakeProtocolVersion, fastmcp.LatestHandshakeProtocolVersion, true},
		{viaHTTP, "", fastmcp.ProtocolVersion20260728, false},
		{viaSSE, fastmcp.ProtocolVersion20241105, fastmcp.ProtocolVersion20241105, true},
	}
	for _, tc := range cases {
		t.Run(tc.via+"/"+tc.wantVersion, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
			cs := r.connect(tc.via, tc.version, nil)
			ctx := testCtx(t)
			if v := cs.InitializeResult().ProtocolVersion; v != tc.wantVersion {
				t.Fatalf("negotiated %s, want %s", v, tc.wantVersion)
			}
			before := len(r.serverSpans())
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Meta: traceparent(), Name: "add", Arguments: map[string]any{"a": 1, "b": 2}})
			if err != nil || res.IsError {
				t.Fatalf("add: %+v %v", res, err)
			}
			child, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "child"})
			if err != nil || child.IsError {
				t.Fatalf("child: %+v %v", child, err)
			}
			if _, err := cs.ListTools(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://doc"}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet"}); err != nil {
				t.Fatal(err)
			}
			// Exactly one server span per request made after connecting.
			if got := len(r.serverSpans()) - before; got != 5 {
				t.Fatalf("%d server spans for 5 requests: %s", got, spanNames(r.serverSpans()[before:]))
			}

			add := r.oneSpan("tools/call add")
			if add.SpanKind() != trace.SpanKindServer {
				t.Errorf("kind %v", add.SpanKind())
			}
			if add.Parent().TraceID() != clientTrace || add.Parent().SpanID() != clientSpan || !add.Parent().IsRemote() {
				t.Errorf("parent %v, want the client's span from _meta", add.Parent())
			}
			a := attrs(add)
			want := map[attribute.Key]string{
				"mcp.method.name":       "tools/call",
				"gen_ai.tool.name":      "add",
				"gen_ai.operation.name": "execute_tool",
				"mcp.protocol.version":  tc.wantVersion,
			}
			switch tc.via {
			case viaStdio:
				want["network.transport"] = "pipe"
			default:
				want["network.transport"] = "tcp"
				want["network.protocol.name"] = "http"
				want["client.address"] = "127.0.0.1"
			}
			for k, v := range want {
				if a[k].AsString() != v {
					t.Errorf("%s = %q, want %q", k, a[k].Emit(), v)
				}
			}
			if tc.via != viaStdio && a["client.port"].AsInt64() == 0 {
				t.Errorf("client.port %v", a["client.port"].Emit())
			}
			if a["jsonrpc.request.id"].AsString() == "" {
				t.Error("no jsonrpc.request.id")
			}
			if _, ok := a["mcp.session.id"]; ok != tc.session {
				t.Errorf("mcp.session.id present %v, want %v", ok, tc.session)
			}
			if _, ok := a["gen_ai.tool.call.arguments"]; ok {
				t.Error("arguments recorded without RecordArguments")
			}
			if _, ok := a["error.type"]; ok || add.Status().Code != 0 {
				t.Errorf("error recorded on a success: %v %v", a["error.type"].Emit(), add.Status())
			}

			// The tool's own span nests under the request's span.
			cspan := r.oneSpan("tools/call child")
			work := r.oneSpan("tool work")
			if work.Parent().SpanID() != cspan.SpanContext().SpanID() || work.SpanContext().TraceID() != cspan.SpanContext().TraceID() {
				t.Errorf("tool span's parent %v, want %v", work.Parent().SpanID(), cspan.SpanContext().SpanID())
			}
			if cspan.Parent().IsValid() {
				t.Errorf("a request without trace context got parent %v", cspan.Parent())
			}

			read := r.oneSpan("resources/read")
			if got := attrs(read)["mcp.resource.uri"].AsString(); got != "test://doc" {
				t.Errorf("mcp.resource.uri = %q", got)
			}
			if got := attrs(r.oneSpan("prompts/get greet"))["gen_ai.prompt.name"].AsString(); got != "greet" {
				t.Errorf("gen_ai.prompt.name = %q", got)
			}
			r.oneSpan("tools/list")
			if tc.session {
				// The handshake has its span too, with the negotiated
				// version.
				if got := attrs(r.oneSpan("initialize"))["mcp.protocol.version"].AsString(); got != tc.wantVersion {
					t.Errorf("initialize's mcp.protocol.version = %q", got)
				}
			}
		})
	}
}

// Failures are recorded with the conventions' error.type and status, in
// spans and in the duration histogram.
func TestErrorsAndRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{RateLimits: &fastmcp.RateLimits{
		Tools: map[string]fastmcp.Rate{"add": {Limit: 1, Per: 1 << 40}}}})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	ctx := testCtx(t)
	fastmcp.AddPrompt(r.srv, fastmcp.Prompt{Name: "crash"}, func(ctx *fastmcp.Context, _ struct{}) (string, error) {
		panic("prompt crashed")
	})
	r.srv.AddResource(fastmcp.Resource{URI: "test://broken", Name: "broken", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return nil, errors.New("database unreachable")
	}})
	// Middleware inside the Telemetry's that fails or panics for two
	// tools: what reaches the Telemetry unmasked.
	r.srv.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(c *fastmcp.Context, req *fastmcp.Request) (any, error) {
			switch req.Name {
			case "mwfail":
				return nil, errors.New("quota store down")
			case "mwpanic":
				panic("middleware crashed")
			}
			return next(c, req)
		}
	})
	for _, name := range []string{"add", "add", "fail", "internal", "protocol", "boom", "slow", "nope", "mwfail", "mwpanic"} {
		var args any
		if name == "add" {
			args = map[string]any{"a": 1, "b": 1}
		}
		_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://broken"}); err == nil {
		t.Error("reading the broken resource succeeded")
	}
	if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "crash"}); err == nil {
		t.Error("the crashing prompt succeeded")
	}
	cases := []struct {
		span, errorType, status, desc string
		exception                     bool
	}{
		// Tool failures reach the client as results with isError:
		// the tool's own error, an internal error, a panic.
		{"tools/call fail", "tool_error", "", "tool_error", false},
		{"tools/call internal", "tool_error", "", "tool_error", false},
		{"tools/call boom", "tool_error", "", "tool_error", false},
		{"tools/call protocol", "-32042", "-32042", "visit the URL first", false},
		{"tools/call slow", "timeout", "", "timeout", false},
		// An unknown tool is no span name: the name is the client's.
		{"tools/call", "-32602", "-32602", "Unknown tool: nope", false},
		// FastMCP masks the internal errors of resources and prompts
		// before middleware sees them.
		{"resources/read", "-32603", "-32603", "Internal error", false},
		{"prompts/get crash", "-32603", "-32603", "Internal error", false},
		{"tools/call mwfail", "-32603", "-32603", "quota store down", true},
		{"tools/call mwpanic", "-32603", "-32603", "panic", false},
	}
	for _, c := range cases {
		s := r.oneSpan(c.span)
		a := attrs(s)
		if got := a["error.type"].AsString(); got != c.errorType {
			t.Errorf("%s: error.type %q, want %q", c.span, got, c.errorType)
		}
		if got := a["rpc.response.status_code"].AsString(); got != c.status {
			t.Errorf("%s: rpc.response.status_code %q, want %q", c.span, got, c.status)
		}
		if s.Status().Code.String() != "Error" || !strings.Contains(s.Status().Description, c.desc) {
			t.Errorf("%s: status %v, want Error %q", c.span, s.Status(), c.desc)
		}
		if got := hasException(s); got != c.exception {
			t.Errorf("%s: exception event %v, want %v", c.span, got, c.exception)
		}
	}
	// The second add was refused by the rate limit.
	adds := r.spansNamed("tools/call add")
	if len(adds) != 2 {
		t.Fatalf("%d add spans", len(adds))
	}
	if got := attrs(adds[1])["error.type"].AsString(); got != "rate_limited" {
		t.Errorf("rate-limited call: error.type %q", got)
	}

	rm := r.metrics()
	op := findMetric(t, rm, fastmcpotel.MetricOperationDuration)
	tools := attribute.String("mcp.method.name", "tools/call")
	for _, c := range []struct {
		want  uint64
		attrs []attribute.KeyValue
	}{
		{10, []attribute.KeyValue{tools}},
		{2, []attribute.KeyValue{tools, attribute.String("gen_ai.tool.name", "add")}},
		{1, []attribute.KeyValue{tools, attribute.String("error.type", "rate_limited")}},
		{1, []attribute.KeyValue{tools, attribute.String("error.type", "timeout"), attribute.String("gen_ai.tool.name", "slow")}},
		{3, []attribute.KeyValue{tools, attribute.String("error.type", "tool_error")}},
		{1, []attribute.KeyValue{attribute.String("mcp.method.name", "resources/read"), attribute.String("rpc.response.status_code", "-32603")}},
		{1, []attribute.KeyValue{tools, attribute.String("error.type", "-32602")}},
	} {
		if got := histogramCount(t, op, c.attrs...); got != c.want {
			t.Errorf("%s count with %v = %d, want %d", op.Name, c.attrs, got, c.want)
		}
	}
	// The unknown tool's name is no metric attribute.
	if got := histogramCount(t, op, attribute.String("gen_ai.tool.name", "nope")); got != 0 {
		t.Errorf("unknown tool name recorded in %d points", got)
	}
	if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricRateLimited), attribute.String("gen_ai.tool.name", "add")); got != 1 {
		t.Errorf("rate_limited = %d, want 1", got)
	}
	// Nothing is left in flight.
	if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricActiveRequests)); got != 0 {
		t.Errorf("requests in flight after all answered: %d", got)
	}
}

func hasException(s sdktrace.ReadOnlySpan) bool {
	for _, e := range s.Events() {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}

// A client that cancels its request gets a span saying so.
func TestCancelled(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
	started := make(chan struct{})
	fastmcp.AddTool(r.srv, fastmcp.Tool{Name: "wait"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "wait"})
		errc <- err
	}()
	<-started
	cancel()
	<-errc
	// The span ends when the handler returns, after the client gave up.
	r.waitSpan("tools/call wait", 1)
	if got := attrs(r.oneSpan("tools/call wait"))["error.type"].AsString(); got != "cancelled" {
		t.Errorf("error.type %q, want cancelled", got)
	}
}

// The span is in the handler's ctx with the client's baggage, and goes out
// in the _meta of the requests the server sends the client: handshake era,
// elicitation/create; 2026-07-28, the input requests of input_required.
// Each round of a multi round-trip request is a span.
func TestPropagationToClient(t *testing.T) {
	t.Parallel()
	for _, version := range []string{fastmcp.LatestHandshakeProtocolVersion, ""} {
		t.Run("version="+version, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
			var bag string
			fastmcp.AddTool(r.srv, fastmcp.Tool{Name: "bag"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
				bag = baggage.FromContext(ctx).Member("tenant").Value()
				return bag, nil
			})
			cs := r.connect(viaHTTP, version, nil)
			res, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "ask"})
			if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "accept: Ada" {
				t.Fatalf("ask: %+v %v", res, err)
			}
			if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "bag"}); err != nil || bag != "acme" {
				t.Errorf("baggage in the handler: %q %v", bag, err)
			}
			asks := r.spansNamed("tools/call ask")
			rounds := 1
			if version == "" {
				rounds = 2 // input_required, then the retry with the answer
			}
			if len(asks) != rounds {
				t.Fatalf("%d spans for ask, want %d", len(asks), rounds)
			}
			for _, s := range asks {
				if s.Parent().SpanID() != clientSpan {
					t.Errorf("round's parent %v", s.Parent())
				}
			}
			if version == "" {
				if got := attrs(asks[0])["fastmcp.result_type"].AsString(); got != "input_required" || asks[0].Status().Code != 0 {
					t.Errorf("first round: result_type %q status %v", got, asks[0].Status())
				}
				rm := r.metrics()
				if got := sumValue(t, findMetric(t, rm, fastmcpotel.MetricInputRequired), attribute.String("gen_ai.tool.name", "ask")); got != 1 {
					t.Errorf("input_required count %d, want 1", got)
				}
			}
			r.mu.Lock()
			metas := r.elicitMeta
			r.mu.Unlock()
			if len(metas) != 1 {
				t.Fatalf("%d elicitations", len(metas))
			}
			tp, _ := metas[0]["traceparent"].(string)
			// The elicitation was asked for by the first round's span.
			want := "00-" + clientTrace.String() + "-" + asks[0].SpanContext().SpanID().String() + "-01"
			if tp != want {
				t.Errorf("elicitation _meta.traceparent %q, want %q", tp, want)
			}
			if b, _ := metas[0]["baggage"].(string); b != "tenant=acme" {
				t.Errorf("elicitation _meta.baggage %q", b)
			}
		})
	}
}

// Propagation only: no span of ours, but the handler's ctx and the requests
// to the client carry the client's context.
func TestPropagationOnly(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{Traces: fastmcpotel.TracePropagation}, fastmcp.Options{})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "child"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "ask"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.serverSpans()); n != 0 {
		t.Errorf("%d server spans in propagation-only mode", n)
	}
	work := r.oneSpan("tool work")
	if work.Parent().SpanID() != clientSpan || work.SpanContext().TraceID() != clientTrace {
		t.Errorf("tool span's parent %v, want the client's", work.Parent())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.elicitMeta) != 1 || !strings.Contains(r.elicitMeta[0]["traceparent"].(string), clientSpan.String()) {
		t.Errorf("elicitation _meta %v", r.elicitMeta)
	}
	// Metrics are still recorded.
	if got := histogramCount(t, findMetric(t, r.metrics(), fastmcpotel.MetricOperationDuration), attribute.String("gen_ai.tool.name", "child")); got != 1 {
		t.Errorf("child calls measured: %d", got)
	}
}

// Off: nothing recorded, nothing propagated.
func TestOff(t *testing.T) {
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{Traces: fastmcpotel.TraceOff, DisableMetrics: true}, fastmcp.Options{})
	cs := r.connect(viaStdio, fastmcp.LatestHandshakeProtocolVersion, nil)
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "child"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Meta: traceparent(), Name: "ask"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.serverSpans()); n != 0 {
		t.Errorf("%d server spans when off", n)
	}
	if work := r.oneSpan("tool work"); work.Parent().IsValid() {
		t.Errorf("tool span has parent %v when off", work.Parent())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.elicitMeta) != 1 || r.elicitMeta[0]["traceparent"] != nil {
		t.Errorf("elicitation _meta %v when off", r.elicitMeta)
	}
	if rm := r.metrics(); len(rm.ScopeMetrics) != 0 {
		t.Errorf("metrics recorded when off: %+v", rm.ScopeMetrics)
	}
}
