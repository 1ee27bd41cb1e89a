package fastmcpotel

import (
	"context"
	"errors"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// OperationBuckets are the bucket boundaries, in seconds, that the MCP
// semantic conventions give mcp.server.operation.duration and
// mcp.server.session.duration.
var OperationBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}

// Metric names.
const (
	MetricOperationDuration = "mcp.server.operation.duration"
	MetricSessionDuration   = "mcp.server.session.duration"
	MetricActiveSessions    = "fastmcp.server.session.active"
	MetricActiveRequests    = "fastmcp.server.request.active"
	MetricRateLimited       = "fastmcp.server.rate_limited"
	MetricInputRequired     = "fastmcp.server.input_required"
)

// instruments are the metrics of a Telemetry.
type instruments struct {
	operation, session         metric.Float64Histogram
	active                     metric.Int64UpDownCounter
	rateLimited, inputRequired metric.Int64Counter
	// byMethod holds, per method, the attribute option of the in-flight
	// counter, built once.
	byMethod map[string]metric.AddOption
}

// newInstruments creates the instruments on m. The API's instruments never
// fail to be created (a bad one is reported to the global error handler and
// replaced by a no-op), so errors are not returned.
func newInstruments(m metric.Meter, t *Telemetry) *instruments {
	in := &instruments{byMethod: map[string]metric.AddOption{}}
	in.operation, _ = m.Float64Histogram(MetricOperationDuration,
		metric.WithUnit("s"),
		metric.WithDescription("MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent."),
		metric.WithExplicitBucketBoundaries(OperationBuckets...))
	in.session, _ = m.Float64Histogram(MetricSessionDuration,
		metric.WithUnit("s"),
		metric.WithDescription("The duration of the MCP session as observed on the MCP server."),
		metric.WithExplicitBucketBoundaries(OperationBuckets...))
	in.active, _ = m.Int64UpDownCounter(MetricActiveRequests,
		metric.WithUnit("{request}"),
		metric.WithDescription("MCP requests being served."))
	in.rateLimited, _ = m.Int64Counter(MetricRateLimited,
		metric.WithUnit("{request}"),
		metric.WithDescription("Tool calls refused by the server's rate limits."))
	in.inputRequired, _ = m.Int64Counter(MetricInputRequired,
		metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered with input_required (rounds of 2026-07-28 multi round-trip requests)."))
	_, _ = m.Int64ObservableUpDownCounter(MetricActiveSessions,
		metric.WithUnit("{session}"),
		metric.WithDescription("MCP sessions open."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(t.openSessions()))
			return nil
		}))
	for _, name := range methods {
		in.byMethod[name] = metric.WithAttributeSet(attribute.NewSet(keyMethod.String(name)))
	}
	in.byMethod[otherMethod] = metric.WithAttributeSet(attribute.NewSet(keyMethod.String(otherMethod)))
	return in
}

// requestStarted counts a request in flight.
func (in *instruments) requestStarted(ctx context.Context, method string) {
	in.active.Add(ctx, 1, in.byMethod[method])
}

// requestEnded records a request that ended.
func (in *instruments) requestEnded(ctx context.Context, req *fastmcp.Request, method, version, transport string, d time.Duration, o outcome) {
	in.active.Add(ctx, -1, in.byMethod[method])
	attrs := make([]attribute.KeyValue, 0, 9)
	attrs = append(attrs, keyMethod.String(method))
	var target attribute.KeyValue
	switch {
	case o.unknownTarget || req.Name == "":
	case method == "tools/call":
		target = keyToolName.String(req.Name)
		attrs = append(attrs, target, keyOperationName.String("execute_tool"))
	case method == "prompts/get":
		target = keyPromptName.String(req.Name)
		attrs = append(attrs, target)
	}
	if version != "" {
		attrs = append(attrs, keyProtocolVersion.String(version))
	}
	attrs = appendTransport(attrs, transport)
	if o.errorType != "" {
		attrs = append(attrs, keyErrorType.String(o.errorType))
		if o.status != "" {
			attrs = append(attrs, keyStatusCode.String(o.status))
		}
	}
	in.operation.Record(ctx, d.Seconds(), metric.WithAttributes(attrs...))
	if o.rateLimited && target.Valid() {
		in.rateLimited.Add(ctx, 1, metric.WithAttributes(target))
	}
	if o.inputRequired {
		if target.Valid() {
			in.inputRequired.Add(ctx, 1, metric.WithAttributes(keyMethod.String(method), target))
		} else {
			in.inputRequired.Add(ctx, 1, in.byMethod[method])
		}
	}
}

// appendTransport appends the network attributes of a transport.
func appendTransport(attrs []attribute.KeyValue, transport string) []attribute.KeyValue {
	switch transport {
	case fastmcp.TransportStdio:
		return append(attrs, keyNetworkTransport.String("pipe"))
	case fastmcp.TransportStreamableHTTP, fastmcp.TransportSSE:
		return append(attrs, keyNetworkTransport.String("tcp"), keyNetworkProtocolName.String("http"))
	}
	return attrs
}

// Sessions: OnConnect adds a session to t.sessions with no transport yet (the
// event does not say it); the session's requests fill it in; OnDisconnect
// takes the session out and records its duration. Only sessions that fired
// OnConnect are kept, and each leaves at its OnDisconnect, so the map holds
// the open sessions and nothing else.

func (t *Telemetry) sessionStarted(sess *fastmcp.Session) {
	t.sessions.LoadOrStore(sess, "")
}

// sessionSeen records the transport of a session on its requests.
func (t *Telemetry) sessionSeen(sess *fastmcp.Session, transport string) {
	if v, ok := t.sessions.Load(sess); ok && v == "" && transport != "" {
		t.sessions.CompareAndSwap(sess, "", transport)
	}
}

func (t *Telemetry) sessionEnded(sess *fastmcp.Session) {
	v, _ := t.sessions.LoadAndDelete(sess)
	transport, _ := v.(string)
	attrs := make([]attribute.KeyValue, 0, 4)
	if version := sess.ProtocolVersion(); version != "" {
		attrs = append(attrs, keyProtocolVersion.String(version))
	}
	attrs = appendTransport(attrs, transport)
	if et := sessionErrorType(sess.CloseCause()); et != "" {
		attrs = append(attrs, keyErrorType.String(et))
	}
	t.m.session.Record(context.Background(), time.Since(sess.CreatedAt()).Seconds(), metric.WithAttributes(attrs...))
}

// sessionErrorType is the error.type of a session's end: "" for the ends
// that are not failures (the client or the server ended it, the input
// closed, the server shut down).
func sessionErrorType(cause error) string {
	switch {
	case errors.Is(cause, fastmcp.ErrSessionIdle):
		return "idle_timeout"
	case errors.Is(cause, fastmcp.ErrSessionEvicted):
		return "evicted"
	case errors.Is(cause, fastmcp.ErrSessionStreamLost):
		return "stream_lost"
	case errors.Is(cause, fastmcp.ErrSessionPingFailed):
		return "ping_failed"
	}
	return ""
}

// openSessions counts the sessions of the instrumented servers.
func (t *Telemetry) openSessions() int {
	t.mu.Lock()
	servers := t.servers
	t.mu.Unlock()
	n := 0
	for _, s := range servers {
		n += len(s.Sessions())
	}
	return n
}
