package fastmcpotel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Middleware returns the middleware that traces and measures each request.
// Instrument installs it; use it directly to choose its place among other
// middleware (outermost sees the whole request, including the time spent in
// the middleware inside it). Installed this way, the session metrics are not
// recorded.
func (t *Telemetry) Middleware() fastmcp.Middleware {
	return func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		if t.off() {
			return next
		}
		return func(c *fastmcp.Context, req *fastmcp.Request) (any, error) {
			return t.serve(next, c, req)
		}
	}
}

// serve runs one request under its span and records its metrics.
func (t *Telemetry) serve(next fastmcp.MethodHandler, c *fastmcp.Context, req *fastmcp.Request) (res any, err error) {
	start := time.Now()
	method, mi := methodOf(req.Method)
	hc := c
	var span trace.Span
	if t.opts.Traces != TraceOff {
		parent, link := t.parent(c, req)
		if t.tracer != nil {
			opts := [4]trace.SpanStartOption{kindServer, trace.WithAttributes(t.startAttributes(c, req, method)...), trace.WithTimestamp(start)}
			n := 3
			if link.SpanContext.IsValid() {
				opts[3], n = trace.WithLinks(link), 4
			}
			var ctx context.Context
			ctx, span = t.tracer.Start(parent, spanName(method, req.Name), opts[:n]...)
			hc = c.WithContext(ctx)
		} else if parent != context.Context(c) {
			hc = c.WithContext(parent)
		}
	}
	if t.m != nil {
		t.m.requestStarted(mi)
	}

	finished := false
	defer func() {
		if !finished {
			// A panic (or runtime.Goexit) is on its way through: FastMCP
			// answers it with an internal error, so record that. The
			// panic is not recovered, so FastMCP still logs it with the
			// frame that panicked.
			o := outcome{errorType: codeString(fastmcp.CodeInternalError), status: codeString(fastmcp.CodeInternalError), message: "panic"}
			t.finish(hc, req, method, mi, start, span, o)
		}
	}()
	res, err = next(hc, req)
	finished = true
	t.finish(hc, req, method, mi, start, span, t.classify(c, req, res, err))
	return res, err
}

// parent returns the context the request's span starts from, and the
// transport's span to link to it: the context in the request's _meta when
// there is one, linked to the transport's; else the transport's context.
func (t *Telemetry) parent(c *fastmcp.Context, req *fastmcp.Request) (context.Context, trace.Link) {
	if !t.mayCarry(req.Params) {
		return c, trace.Link{}
	}
	ctx := t.prop.Extract(c, requestMeta{c})
	ambient := trace.SpanContextFromContext(c)
	remote := trace.SpanContextFromContext(ctx)
	if !ambient.IsValid() || ambient.Equal(remote) {
		return ctx, trace.Link{}
	}
	return ctx, trace.Link{SpanContext: ambient}
}

// mayCarry reports whether params hold a member named like one of the
// propagator's fields: decoding _meta is skipped for the requests that
// cannot carry a context.
func (t *Telemetry) mayCarry(params []byte) bool {
	for _, k := range t.propKeys {
		if bytes.Contains(params, k) {
			return true
		}
	}
	return false
}

// spanName is "{mcp.method.name} {target}" with the tool or prompt as
// target, else the method alone.
func spanName(method, name string) string {
	if name != "" && (method == "tools/call" || method == "prompts/get") {
		return method + " " + name
	}
	return method
}

// kindServer is the kind of the spans.
var kindServer = trace.WithSpanKind(trace.SpanKindServer)

// startAttributes are the span's attributes known before the handler runs,
// given at the start so that samplers see them.
func (t *Telemetry) startAttributes(c *fastmcp.Context, req *fastmcp.Request, method string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, keyMethod.String(method))
	switch method {
	case "tools/call":
		attrs = append(attrs, keyToolName.String(req.Name), keyOperationName.String("execute_tool"))
		if t.opts.RecordArguments && len(req.Arguments) > 0 {
			attrs = append(attrs, keyToolArguments.String(t.cut(string(req.Arguments))))
		}
	case "prompts/get":
		attrs = append(attrs, keyPromptName.String(req.Name))
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		attrs = append(attrs, keyResourceURI.String(req.Name))
	}
	if id := c.RequestID(); id != "" && id != "null" {
		attrs = append(attrs, keyRequestID.String(id))
	}
	if id := c.SessionID(); id != "" {
		attrs = append(attrs, keySessionID.String(id))
	}
	// initialize's version is the one negotiated, known at the end.
	if v := c.ProtocolVersion(); v != "" && method != "initialize" {
		attrs = append(attrs, keyProtocolVersion.String(v))
	}
	switch c.Transport() {
	case fastmcp.TransportStdio:
		attrs = append(attrs, keyNetworkTransport.String("pipe"))
	case fastmcp.TransportStreamableHTTP, fastmcp.TransportSSE:
		attrs = append(attrs, keyNetworkTransport.String("tcp"), keyNetworkProtocolName.String("http"))
		if host, port, ok := hostPort(c.RemoteAddr()); ok {
			attrs = append(attrs, keyClientAddress.String(host), keyClientPort.Int(port))
		}
	}
	return attrs
}

// hostPort splits an address "host:port".
func hostPort(addr string) (string, int, bool) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, false
	}
	return host, port, true
}

// outcome is how a request ended, as the span and the metrics record it.
type outcome struct {
	// errorType is error.type; "" when the request succeeded.
	errorType string
	// status is rpc.response.status_code: the JSON-RPC error code sent.
	status string
	// message is the span status description.
	message string
	// internal is an error the client does not see in full: recorded on
	// the span as an exception event.
	internal error
	// inputRequired: a 2026-07-28 input_required answer.
	inputRequired bool
	// rateLimited: refused by Options.RateLimits.
	rateLimited bool
	// unknownTarget: refused as an unknown tool or prompt (or malformed
	// params), so the name the client sent is not a metric attribute.
	unknownTarget bool
	// toolResult is the tools/call result, for Options.RecordResults.
	toolResult *fastmcp.CallToolResult
}

// classify tells how a request ended from what its handler returned.
func (t *Telemetry) classify(c *fastmcp.Context, req *fastmcp.Request, res any, err error) outcome {
	var o outcome
	if c.Err() != nil {
		// The request ended before its handler did: the client cancelled
		// it or went away, and gets no answer.
		return outcome{errorType: "cancelled", message: context.Cause(c).Error()}
	}
	if err != nil {
		code := fastmcp.CodeInternalError
		var fe *fastmcp.Error
		var ue *fastmcp.UserError
		switch {
		case errors.As(err, &fe):
			code, o.message = fe.Code, fe.Message
		case errors.As(err, &ue):
			o.message = ue.Message
		case errors.Is(err, fastmcp.ErrCapability):
			code, o.message = fastmcp.CodeInvalidRequest, err.Error()
		default:
			o.message, o.internal = err.Error(), err
		}
		o.status = codeString(code)
		o.errorType = o.status
		o.unknownTarget = code == fastmcp.CodeInvalidParams || code == fastmcp.CodeMethodNotFound
		return o
	}
	switch r := res.(type) {
	case *fastmcp.CallToolResult:
		o.toolResult = r
		if r == nil || !r.IsError {
			return o
		}
		switch r.Refusal() {
		case fastmcp.RefusalRateLimit:
			o.errorType, o.rateLimited = "rate_limited", true
		case fastmcp.RefusalTimeout:
			o.errorType = "timeout"
		default:
			o.errorType = "tool_error"
		}
		o.message = o.errorType
		if t.opts.RecordResults {
			if text := firstText(r); text != "" {
				o.message = t.cut(text)
			}
		}
	case json.RawMessage:
		o.inputRequired = bytes.HasPrefix(r, []byte(`{"resultType":"input_required"`))
	}
	return o
}

func firstText(r *fastmcp.CallToolResult) string {
	if len(r.Content) > 0 {
		if tc, ok := r.Content[0].(*fastmcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// finish ends the span and records the request's metrics. c is the handler's
// context, which carries the span (for exemplars).
func (t *Telemetry) finish(c *fastmcp.Context, req *fastmcp.Request, method string, mi int, start time.Time, span trace.Span, o outcome) {
	// One clock reading ends both the span and the measurement: on virtual
	// machines without a fast clock each reading costs a system call.
	end := time.Now()
	version := c.ProtocolVersion()
	if version == "" && method == "initialize" && c.Session() != nil {
		version = c.Session().ProtocolVersion() // negotiated by the handler
	}
	if span != nil {
		if span.IsRecording() {
			if o.unknownTarget && spanName(method, req.Name) != method {
				// The name is whatever the client sent: keep it out of
				// the span name (it stays an attribute).
				span.SetName(method)
			}
			t.endAttributes(span, method, version, o)
		}
		span.End(trace.WithTimestamp(end))
	}
	if t.m != nil {
		t.m.requestEnded(c, req, method, mi, version, c.Transport(), end.Sub(start), o)
	}
}

// endAttributes records how the request ended on its span.
func (t *Telemetry) endAttributes(span trace.Span, method, version string, o outcome) {
	if o.errorType == "" && !o.inputRequired && method != "initialize" && !t.opts.RecordResults {
		// Nothing to add: adding attributes after the start costs a copy
		// of them all.
		return
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	if version != "" && method == "initialize" {
		attrs = append(attrs, keyProtocolVersion.String(version))
	}
	if o.inputRequired {
		attrs = append(attrs, keyResultType.String("input_required"))
	}
	if t.opts.RecordResults && o.toolResult != nil {
		if raw, err := json.Marshal(o.toolResult); err == nil {
			attrs = append(attrs, keyToolResult.String(t.cut(string(raw))))
		}
	}
	if o.errorType != "" {
		attrs = append(attrs, keyErrorType.String(o.errorType))
		if o.status != "" {
			attrs = append(attrs, keyStatusCode.String(o.status))
		}
	}
	span.SetAttributes(attrs...)
	if o.errorType == "" {
		return
	}
	if o.internal != nil {
		span.RecordError(o.internal)
	}
	span.SetStatus(codes.Error, o.message)
}

// cut bounds a recorded value to Options.MaxRecordedBytes, on a rune
// boundary.
func (t *Telemetry) cut(s string) string {
	n := t.opts.MaxRecordedBytes
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// codeString is the decimal text of a JSON-RPC error code, without
// allocating for the codes FastMCP sends.
func codeString(code fastmcp.ErrorCode) string {
	switch code {
	case fastmcp.CodeParseError:
		return "-32700"
	case fastmcp.CodeInvalidRequest:
		return "-32600"
	case fastmcp.CodeMethodNotFound:
		return "-32601"
	case fastmcp.CodeInvalidParams:
		return "-32602"
	case fastmcp.CodeInternalError:
		return "-32603"
	}
	return strconv.FormatInt(int64(code), 10)
}
