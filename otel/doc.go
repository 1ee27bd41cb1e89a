// Package fastmcpotel instruments FastMCP servers with OpenTelemetry: a span
// per MCP request, the MCP duration histograms and operator metrics, W3C trace
// context carried in the requests' _meta both ways, and trace ids on log
// records.
//
//	import fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
//
//	tel := fastmcpotel.New(fastmcpotel.Options{}) // the global providers
//	server := fastmcp.New(fastmcp.Options{
//		Name:              "weather",
//		ClientRequestMeta: tel.ClientRequestMeta, // trace context into sampling, elicitation, roots
//		Logger:            slog.New(fastmcpotel.LogHandler(slog.NewJSONHandler(os.Stderr, nil))),
//	})
//	tel.Instrument(server)
//
// The package depends on the OpenTelemetry API only: it records nothing until
// an SDK is installed (otel.SetTracerProvider, otel.SetMeterProvider, or
// Options.TracerProvider and Options.MeterProvider). The sub-package otlp
// installs one that exports traces over OTLP in one call; the sub-package prom
// serves the metrics to Prometheus on the server's own HTTP listener.
//
// # Conventions
//
// Names and attributes follow the OpenTelemetry semantic conventions for the
// Model Context Protocol, as published in the GenAI semantic conventions
// repository (open-telemetry/semantic-conventions-genai) at v0.1.0,
// docs/gen-ai/mcp.md, status Development (they moved there from
// open-telemetry/semantic-conventions, where they were introduced in v1.37.0).
//
// Each request the server serves, in both protocol eras, on every transport,
// and each round of a 2026-07-28 multi round-trip request, gets one span of
// kind SERVER named "{mcp.method.name} {target}", the target being the tool of
// tools/call or the prompt of prompts/get (never the resource URI, which has
// unbounded cardinality). Its attributes:
//
//   - mcp.method.name; "_OTHER" for a method MCP does not define;
//   - gen_ai.tool.name and gen_ai.operation.name "execute_tool" (tools/call),
//     gen_ai.prompt.name (prompts/get), mcp.resource.uri (resources/read,
//     resources/subscribe, resources/unsubscribe);
//   - jsonrpc.request.id, mcp.session.id (when the request belongs to a
//     session), mcp.protocol.version;
//   - network.transport ("pipe" on stdio, "tcp" over HTTP),
//     network.protocol.name ("http"), client.address and client.port (the
//     HTTP peer; the conventions give server spans no server.* attributes);
//   - when the request fails: error.type and rpc.response.status_code, and
//     the span status ERROR (see below);
//   - gen_ai.tool.call.arguments and gen_ai.tool.call.result only when
//     Options.RecordArguments and Options.RecordResults are set: they may
//     hold anything the user or the model typed.
//
// error.type is the JSON-RPC error code sent ("-32602"), or, for a tools/call
// answered with isError, "tool_error" (FastMCP answers a tool's internal
// error or panic that way too); FastMCP adds "rate_limited" (refused by
// Options.RateLimits), "timeout" (Tool.Timeout or Options.ToolTimeout passed)
// and "cancelled" (the client cancelled the request or went away: no answer
// is sent). A panic that crosses the middleware is answered with an internal
// error and recorded as "-32603" with the status description "panic". The
// span status is ERROR whenever error.type is set, described by the JSON-RPC
// error's message; an error the client does not see in full is also recorded
// as an exception event. An input_required answer (2026-07-28) is not an
// error: the span gets fastmcp.result_type "input_required", and the
// client's retry is a span of its own. A tools/call or prompts/get refused as
// unknown (-32602) is named after its method alone: the name is the
// client's, and stays an attribute.
//
// # Context propagation
//
// The parent of a request's span is the context the client put in the
// request's params._meta (traceparent, tracestate and baggage, unprefixed, as
// SEP-414 says), read with Options.Propagator. The context of the transport's
// own request, such as the span otelhttp starts for the HTTP POST, becomes a
// link; when _meta carries no context it is the parent instead. The handler's
// ctx carries the span, so what the handler does with ctx (an otelhttp client,
// a database driver) nests under it. The requests FastMCP sends to the client
// on the handler's behalf (sampling, elicitation, roots, and the input
// requests of an input_required result) carry the handler's context in their
// _meta through ClientRequestMeta.
//
// # Metrics
//
// mcp.server.operation.duration and mcp.server.session.duration are the
// conventions' histograms, in seconds, with the conventions' bucket
// boundaries (OperationBuckets). The operation histogram has the span's
// low-cardinality attributes: mcp.method.name, gen_ai.tool.name or
// gen_ai.prompt.name (left out when the request was refused as an unknown
// tool or prompt, so a client cannot grow the series), gen_ai.operation.name,
// error.type, rpc.response.status_code, mcp.protocol.version,
// network.transport, network.protocol.name. FastMCP adds what operators need
// that the conventions lack:
//
//   - fastmcp.server.session.active: sessions open now;
//   - fastmcp.server.request.active: requests being served, by method
//     (counted with atomic additions, reported at collection);
//   - fastmcp.server.rate_limited: tools/call refused by Options.RateLimits,
//     by tool;
//   - fastmcp.server.input_required: 2026-07-28 requests answered with
//     input_required (rounds of multi round-trip requests), by method.
//
// Notifications from the client are not traced: FastMCP's middleware does not
// see them.
package fastmcpotel
