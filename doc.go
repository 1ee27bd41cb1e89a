// Package fastmcp builds MCP (Model Context Protocol) servers: tools,
// resources, resource templates and prompts with typed Go handlers, served to
// client sessions over stdio or HTTP.
//
// A server in full:
//
//	type AddArgs struct {
//		A float64 `json:"a" jsonschema:"the first number"`
//		B float64 `json:"b" jsonschema:"the second number"`
//	}
//
//	func main() {
//		s := fastmcp.New(fastmcp.Options{Name: "Addition", Version: "1.0.0"})
//		fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
//			func(ctx *fastmcp.Context, args AddArgs) (string, error) {
//				return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
//			})
//		if err := s.Start(context.Background(), fastmcp.Stdio{}); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// # Tools
//
// AddTool registers a tool whose arguments are a Go type. The JSON Schema the
// client sees is inferred from it once, at registration, and every call is
// validated against it; invalid arguments come back to the model as a tool
// result with isError, naming the field. Struct tags refine the schema:
//
//	jsonschema:"..." or description:"..."  the description
//	title:"..."                            the title
//	enum:"a,b,c"                           allowed values (items of a slice)
//	default:"..."                          a default, applied when omitted
//	minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf
//	minLength, maxLength, minItems, maxItems, pattern, format
//
// A field is required unless its json tag has omitempty or omitzero, or it has
// a default. A required slice or map must be an array or object, never null,
// so the handler never sees nil; an optional one may be null, read as left
// out; a pointer field accepts null. The handler's result type decides the result: a string is text,
// Content and []Content are blocks, *CallToolResult is sent as is, and any
// other type is structured output with an inferred output schema. Errors are
// tool results with isError: a *UserError shows its message, other errors are
// masked (Options.ShowErrorDetails) and logged; an *Error becomes a JSON-RPC
// error instead. A panic in any handler becomes an error result; the server
// keeps serving.
//
// # Resources, templates, prompts, completion
//
// Server.AddResource exposes data at a URI; AddResourceTemplate exposes a
// family of URIs by an RFC 6570 template, with typed or map arguments;
// AddPrompt registers a prompt whose arguments may be inferred from a struct.
// Prompt arguments with an enum, and template variables with an enum tag, are
// completed automatically; a Completer does it by hand.
//
// # The handler context
//
// Every handler receives a *Context: a context.Context cancelled when the
// client cancels, the tool's timeout passes or the session ends, with the
// request's facilities: ReportProgress, logging to the client (Log, Info,
// Logger), StreamContent, Sample, Elicit and Roots, the client's info and
// capabilities, the request id and the Session.
//
// # Transports
//
// Start serves on Stdio, HTTP (Streamable HTTP with legacy SSE, health and
// readiness probes, custom routes, TLS), or Auto, which lets the command line
// and environment choose. Server.Handler mounts the HTTP surface in your own
// http.Server. Package fastmcptest connects a client in-process for tests.
//
// # Protocol revisions
//
// FastMCP negotiates the handshake-era revisions 2024-11-05, 2025-03-26,
// 2025-06-18 and 2025-11-25, and shapes every message to the revision of the
// session: a feature a revision lacks is left out or converted (audio for a
// 2024-11-05 client travels as an embedded binary resource, for instance).
//
// The same server serves the sessionless 2026-07-28 revision beside them, on
// every transport, choosing per request: a request whose _meta names its
// protocol version (io.modelcontextprotocol/protocolVersion) is served on its
// own, without a Session; initialize starts a handshake-era session. Handlers
// are the same in both eras: Sample, Elicit, Roots and Ask become multi
// round-trip requests for a 2026-07-28 client (see ErrInputRequired), and
// handles (Context.NewHandle) keep state across its requests.
//
// # Middleware
//
// Server.Use wraps every request the server serves, in both eras and on every
// transport, with a Middleware: a function around a MethodHandler that sees the
// method, the tool, prompt or resource it names and its arguments (Request),
// the Context, and the result or error, and may change any of them or answer
// by itself. FastMCP's own policies on tool calls (access checks, rate limits,
// timeouts, session metrics) run inside the chain, so middleware sees their
// refusals.
//
// # How a request flows
//
// The package has four layers, named by their file prefixes:
//
//   - Transports frame bytes: transport_stdio.go (newline-delimited JSON),
//     streamable_*.go (Streamable HTTP: the handler and its session table, POSTs,
//     GET streams, SSE framing, event store, 2026-07-28 headers), sse_legacy.go
//     (the 2024-11-05 HTTP+SSE transport), http*.go (options and listener,
//     security checks, custom routes, OAuth metadata). Each hands every message
//     it reads to the engine, with a conn: its view of the connection.
//   - The engine (engine*.go) decodes the message, tells requests from
//     notifications and responses, fans out batches, asks the protocol to
//     choose the era, builds the request, and tracks it on its peer (in-flight
//     requests for cancellation, the server's pending requests to the client).
//   - The two protocol eras (protocol.go, protocol_handshake.go,
//     protocol_2026*.go) prepare a request (its revision, client info and
//     capabilities: from the session or from its own _meta), pick the method's
//     handler, shape the result, and ask the client for input (a server request,
//     or an input_required answer).
//   - The features (tool.go, resource.go, prompt.go, completion.go, content.go,
//     registry.go) hold what the server offers and serve the methods; session*.go
//     holds the handshake era's sessions, their events and state.
//
// One tools/call over Streamable HTTP: HTTPHandler.ServeHTTP checks the Host,
// Origin, CORS, rate limit and credentials, servePost reads the body and calls
// Server.serveMessage with a postConn; serveOne sees a request, chooseProtocol
// picks the handshake era (the Mcp-Session-Id header), serveRequest resolves the
// session through the postConn and builds the request; serve tracks it on the
// session's peer, the era's prepare reads the tool name and arguments once, and
// dispatch runs the middleware chain around the tools/call handler: access
// check, session metrics, rate limit, timeout, then the tool's handler with its
// decoded arguments. The result is encoded into the response buffer, shaped to
// the session's revision, and postConn.reply answers the POST with JSON (or
// ends the SSE stream the handler's progress opened).
package fastmcp
