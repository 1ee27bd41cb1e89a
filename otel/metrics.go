package fastmcpotel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
	MetricEventStoreEvents  = "fastmcp.server.event_store.events"
	MetricEventStoreBytes   = "fastmcp.server.event_store.size"
)

// instruments are the metrics of a Telemetry.
type instruments struct {
	operation, session         metric.Float64Histogram
	rateLimited, inputRequired metric.Int64Counter
	// inFlight counts the requests being served, per method (by index in
	// methodNames), and seen tells the methods served at least once: an
	// observable counter reports them at collection, so a request costs two
	// atomic additions instead of two measurements.
	inFlight []atomic.Int64
	seen     []atomic.Bool
	// byMethod holds, per method, its attribute option, built once.
	byMethod []metric.MeasurementOption
	// cache holds the attribute options of the operation histogram's
	// series (see series).
	cache   atomic.Pointer[map[seriesKey]metric.MeasurementOption]
	cacheMu sync.Mutex
}

// newInstruments creates the instruments on m. The API's instruments never
// fail to be created (a bad one is reported to the global error handler and
// replaced by a no-op), so errors are not returned.
func newInstruments(m metric.Meter, t *Telemetry) *instruments {
	in := &instruments{
		inFlight: make([]atomic.Int64, len(methodNames)),
		seen:     make([]atomic.Bool, len(methodNames)),
		byMethod: make([]metric.MeasurementOption, len(methodNames)),
	}
	for i, name := range methodNames {
		in.byMethod[i] = metric.WithAttributeSet(attribute.NewSet(keyMethod.String(name)))
	}
	in.cache.Store(&map[seriesKey]metric.MeasurementOption{})
	in.operation, _ = m.Float64Histogram(MetricOperationDuration,
		metric.WithUnit("s"),
		metric.WithDescription("MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent."),
		metric.WithExplicitBucketBoundaries(OperationBuckets...))
	in.session, _ = m.Float64Histogram(MetricSessionDuration,
		metric.WithUnit("s"),
		metric.WithDescription("The duration of the MCP session as observed on the MCP server."),
		metric.WithExplicitBucketBoundaries(OperationBuckets...))
	_, _ = m.Int64ObservableUpDownCounter(MetricActiveRequests,
		metric.WithUnit("{request}"),
		metric.WithDescription("MCP requests being served."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for i := range in.inFlight {
				if in.seen[i].Load() {
					o.Observe(in.inFlight[i].Load(), in.byMethod[i])
				}
			}
			return nil
		}))
	in.rateLimited, _ = m.Int64Counter(MetricRateLimited,
		metric.WithUnit("{request}"),
		metric.WithDescription("Tool calls refused by the server's rate limits."))
	in.inputRequired, _ = m.Int64Counter(MetricInputRequired,
		metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered with input_required (rounds of 2026-07-28 multi round-trip requests)."))
	_, _ = m.Int64ObservableUpDownCounter(MetricEventStoreEvents,
		metric.WithUnit("{event}"),
		metric.WithDescription("Events held by the event stores observed with ObserveEventStore, for clients resuming streams."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			if st, ok := t.eventStoreStats(); ok {
				o.Observe(int64(st.Events))
			}
			return nil
		}))
	_, _ = m.Int64ObservableUpDownCounter(MetricEventStoreBytes,
		metric.WithUnit("By"),
		metric.WithDescription("Bytes held by the event stores observed with ObserveEventStore."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			if st, ok := t.eventStoreStats(); ok {
				o.Observe(st.Bytes)
			}
			return nil
		}))
	_, _ = m.Int64ObservableUpDownCounter(MetricActiveSessions,
		metric.WithUnit("{session}"),
		metric.WithDescription("MCP sessions open."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(t.openSessions()))
			return nil
		}))
	return in
}

// requestStarted counts a request in flight; mi is its method's index.
func (in *instruments) requestStarted(mi int) {
	if !in.seen[mi].Load() {
		in.seen[mi].Store(true)
	}
	in.inFlight[mi].Add(1)
}

// requestEnded records a request that ended.
func (in *instruments) requestEnded(ctx context.Context, req *fastmcp.Request, method string, mi int, version, transport string, d time.Duration, o outcome) {
	in.inFlight[mi].Add(-1)
	k := seriesKey{method: method, version: version, transport: transport, errorType: o.errorType, status: o.status}
	if !o.unknownTarget && (method == "tools/call" || method == "prompts/get") {
		k.target = req.Name
	}
	in.operation.Record(ctx, d.Seconds(), in.series(k))
	if k.target == "" {
		return
	}
	if o.rateLimited {
		in.rateLimited.Add(ctx, 1, metric.WithAttributes(keyToolName.String(k.target)))
	}
	if o.inputRequired {
		in.inputRequired.Add(ctx, 1, metric.WithAttributes(keyMethod.String(method), targetKey(method).String(k.target)))
	}
}

// seriesKey names a series of the operation histogram.
type seriesKey struct {
	method, target, version, transport, errorType, status string
}

// maxCachedSeries bounds the attribute sets kept for reuse.
const maxCachedSeries = 1024

// series returns the attribute option of a series of the operation
// histogram. Sets are built once and kept in a copy-on-write map, read
// without locking; a client cannot grow it (methods, tools and prompts it
// names that the server does not have are recorded under fixed names), and
// it is bounded all the same.
func (in *instruments) series(k seriesKey) metric.MeasurementOption {
	if opt, ok := (*in.cache.Load())[k]; ok {
		return opt
	}
	attrs := make([]attribute.KeyValue, 0, 9)
	attrs = append(attrs, keyMethod.String(k.method))
	if k.target != "" {
		attrs = append(attrs, targetKey(k.method).String(k.target))
		if k.method == "tools/call" {
			attrs = append(attrs, keyOperationName.String("execute_tool"))
		}
	}
	if k.version != "" {
		attrs = append(attrs, keyProtocolVersion.String(k.version))
	}
	attrs = appendTransport(attrs, k.transport)
	if k.errorType != "" {
		attrs = append(attrs, keyErrorType.String(k.errorType))
	}
	if k.status != "" {
		attrs = append(attrs, keyStatusCode.String(k.status))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(attrs...))
	in.cacheMu.Lock()
	defer in.cacheMu.Unlock()
	old := *in.cache.Load()
	if len(old) < maxCachedSeries {
		m := make(map[seriesKey]metric.MeasurementOption, len(old)+1)
		for k, v := range old {
			m[k] = v
		}
		m[k] = opt
		in.cache.Store(&m)
	}
	return opt
}

// targetKey is the attribute naming the target of a method.
func targetKey(method string) attribute.Key {
	if method == "prompts/get" {
		return keyPromptName
	}
	return keyToolName
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

func (t *Telemetry) sessionEnded(sess *fastmcp.Session) {
	t.sessions.Delete(sess)
	transport := sess.Transport()
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

// eventStoreStatser is an event store that reports what it holds.
type eventStoreStatser interface {
	Stats() fastmcp.EventStoreStats
}

// ObserveEventStore adds store to the event-store gauges
// (MetricEventStoreEvents, MetricEventStoreBytes). The store must report its
// size with a Stats() fastmcp.EventStoreStats method, as
// fastmcp.NewMemoryEventStore's does; others are ignored. Pass the store you
// give HTTP.EventStore.
func (t *Telemetry) ObserveEventStore(store fastmcp.EventStore) {
	if _, ok := store.(eventStoreStatser); !ok {
		return
	}
	t.mu.Lock()
	t.eventStores = append(t.eventStores, store)
	t.mu.Unlock()
}

// eventStoreStats sums the observed stores' stats; ok is false when none is
// observed.
func (t *Telemetry) eventStoreStats() (st fastmcp.EventStoreStats, ok bool) {
	t.mu.Lock()
	stores := t.eventStores
	t.mu.Unlock()
	for _, s := range stores {
		x := s.(eventStoreStatser).Stats()
		st.Sessions += x.Sessions
		st.Streams += x.Streams
		st.Events += x.Events
		st.Bytes += x.Bytes
	}
	return st, len(stores) > 0
}
