package fastmcpotel

import (
	"context"
	"sync"

	"github.com/fastmcp-go/fastmcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans and metrics.
const ScopeName = "github.com/fastmcp-go/fastmcp/otel"

// TraceMode says what a Telemetry does with traces.
type TraceMode uint8

const (
	// TraceSpans starts a span per request (the default).
	TraceSpans TraceMode = iota
	// TracePropagation starts no span but hands the handler the context the
	// client sent in _meta, so the handler's own spans join the client's
	// trace, and passes it on to the requests sent to the client. For
	// servers whose tools are traced by other means.
	TracePropagation
	// TraceOff leaves traces alone: no span, no propagation.
	TraceOff
)

// DefaultMaxRecordedBytes bounds the tool arguments and results recorded on
// spans (Options.RecordArguments, Options.RecordResults).
const DefaultMaxRecordedBytes = 4096

// Options configure a Telemetry. The zero value traces and measures through
// the global OpenTelemetry providers.
type Options struct {
	// TracerProvider makes the tracer. Default: otel.GetTracerProvider(),
	// which records nothing until an SDK is installed.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the meter. Default: otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator reads the trace context of requests from their _meta and
	// writes it into the _meta of requests sent to the client. Default: the
	// global propagator (otel.GetTextMapPropagator) when one is set when New
	// is called, else W3C Trace Context and Baggage, which SEP-414 names.
	Propagator propagation.TextMapPropagator

	// Traces chooses spans (TraceSpans, the default), propagation only
	// (TracePropagation) or nothing (TraceOff).
	Traces TraceMode
	// DisableMetrics records no metric. With Traces set to TraceOff as
	// well, Instrument installs nothing at all, and the server runs as if
	// uninstrumented. Default false.
	DisableMetrics bool

	// RecordArguments records the arguments of tools/call on its span
	// (gen_ai.tool.call.arguments), cut to MaxRecordedBytes. They may hold
	// anything the user or the model typed. Default false.
	RecordArguments bool
	// RecordResults records the result of tools/call on its span
	// (gen_ai.tool.call.result), cut to MaxRecordedBytes, and the text of
	// a tool error as the span's status description. Default false.
	RecordResults bool
	// MaxRecordedBytes bounds each recorded argument or result. Default
	// DefaultMaxRecordedBytes.
	MaxRecordedBytes int
}

// Telemetry instruments FastMCP servers. Make one with New, pass its
// ClientRequestMeta to fastmcp.Options, and Instrument the server. It is safe
// for concurrent use, and one Telemetry may instrument several servers.
type Telemetry struct {
	opts   Options
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	// propKeys are the propagator's fields as quoted JSON member names: a
	// request whose params hold none of them has no context to read.
	propKeys [][]byte
	m        *instruments // nil when metrics are off

	// sessions maps each connected *fastmcp.Session to its transport ("" until
	// a request of the session names it), for the session metrics.
	sessions    sync.Map
	mu          sync.Mutex
	servers     []*fastmcp.Server
	eventStores []fastmcp.EventStore
}

// New returns a Telemetry configured by opts.
func New(opts Options) *Telemetry {
	if opts.MaxRecordedBytes <= 0 {
		opts.MaxRecordedBytes = DefaultMaxRecordedBytes
	}
	t := &Telemetry{opts: opts}
	t.prop = opts.Propagator
	if t.prop == nil {
		t.prop = otel.GetTextMapPropagator()
		if len(t.prop.Fields()) == 0 {
			t.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		}
	}
	for _, f := range t.prop.Fields() {
		t.propKeys = append(t.propKeys, []byte(`"`+f+`"`))
	}
	if opts.Traces == TraceSpans {
		tp := opts.TracerProvider
		if tp == nil {
			tp = otel.GetTracerProvider()
		}
		t.tracer = tp.Tracer(ScopeName)
	}
	if !opts.DisableMetrics {
		mp := opts.MeterProvider
		if mp == nil {
			mp = otel.GetMeterProvider()
		}
		t.m = newInstruments(mp.Meter(ScopeName), t)
	}
	return t
}

// off reports whether the Telemetry does nothing at all.
func (t *Telemetry) off() bool { return t.opts.Traces == TraceOff && t.m == nil }

// Instrument installs the Telemetry on s: its middleware (Server.Use), which
// traces and measures every request, and session event handlers for the
// session metrics. Call it before s serves, so that every session is
// counted. With Options.Traces TraceOff and Options.DisableMetrics it installs
// nothing.
func (t *Telemetry) Instrument(s *fastmcp.Server) {
	if t.off() {
		return
	}
	s.Use(t.Middleware())
	if t.m == nil {
		return
	}
	s.OnConnect(t.sessionStarted)
	s.OnDisconnect(t.sessionEnded)
	t.mu.Lock()
	t.servers = append(t.servers, s)
	t.mu.Unlock()
}

// ClientRequestMeta returns the trace context of ctx as _meta members
// (traceparent, tracestate, baggage), for the requests FastMCP sends to a
// client on a handler's behalf. Set it as fastmcp.Options.ClientRequestMeta.
// It returns nil when ctx carries no context to propagate, or with
// Options.Traces set to TraceOff.
func (t *Telemetry) ClientRequestMeta(ctx context.Context) fastmcp.Meta {
	if t.opts.Traces == TraceOff {
		return nil
	}
	m := fastmcp.Meta{}
	t.prop.Inject(ctx, metaCarrier(m))
	if len(m) == 0 {
		return nil
	}
	return m
}

// metaCarrier reads and writes propagation fields in a request's _meta.
// requestMeta reads a request's _meta one member at a time, for extraction.
type requestMeta struct{ c *fastmcp.Context }

func (m requestMeta) Get(key string) string {
	v, _ := m.c.MetaString(key)
	return v
}

func (m requestMeta) Set(string, string) {}

func (m requestMeta) Keys() []string { return nil }

type metaCarrier fastmcp.Meta

func (c metaCarrier) Get(key string) string {
	s, _ := c[key].(string)
	return s
}

func (c metaCarrier) Set(key, value string) { c[key] = value }

func (c metaCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
