// Package proxy serves a remote MCP server through a FastMCP server: its
// tools, resources, resource templates and prompts are mirrored on the
// FastMCP server, with their schemas and metadata, and every request for
// them is forwarded to the remote server (the upstream), over Streamable
// HTTP, the legacy HTTP+SSE transport or a stdio command, in either protocol
// era. The FastMCP server then adds what it adds to any server: HTTP with
// its production defaults, authentication, access checks, rate limits, both
// protocol eras to its clients.
//
//	p, err := proxy.New(ctx, proxy.Options{
//		Upstream: proxy.Upstream{URL: "https://mcp.example.com/mcp"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer p.Close()
//	log.Fatal(p.Server().Start(ctx, fastmcp.HTTP{Port: 8080}))
//
// The package is its own module (github.com/fastmcp-go/fastmcp/proxy): it
// speaks to the upstream with the official Go SDK's client
// (github.com/modelcontextprotocol/go-sdk), which FastMCP itself does not
// depend on.
//
// # Sessions
//
// Upstream sessions are opened once and reused by every call: a call takes a
// session with no call in flight, or opens one (up to Options.MaxSessions),
// or shares the least busy. Sessions idle for Options.IdleTimeout are
// closed. One session of the shared pool also mirrors the upstream's lists
// and follows its list_changed notifications: components the upstream adds
// appear on the server, those it removes go, and the server's clients are
// told. When the upstream ends that session (a restart, a process that
// exits), the proxy opens another, backing off, and lists everything again.
//
// In the handshake era the upstream learns what its client can do from the
// session's handshake; over HTTP, calls go over sessions that declared the
// capabilities of their downstream client (sampling, elicitation, roots), one
// pool per set (so a session more for each set the proxy's clients bring),
// so that the upstream asks a client only for what it can give, as it would
// directly. A 2026-07-28 upstream gets the client's capabilities with every
// request. A stdio upstream's sessions declare every capability.
//
// With Options.PerUser, each downstream principal gets upstream sessions of
// its own, opened with its credentials (ForwardBearer forwards the caller's
// bearer token), at most PerUser.MaxUsers of them at once.
//
// # Requests of the upstream: sampling, elicitation, roots
//
// When the upstream asks for input in the middle of a call, the question goes
// to the downstream client whose call caused it, through the FastMCP
// context of that call (as Context.Ask would): on its request's stream for a
// handshake-era client; in an input_required result for a 2026-07-28 client,
// whose retry brings the answer back. How the proxy knows the call:
//
//   - Streamable HTTP: the proxy posts each call itself and reads its answer,
//     an SSE stream when the upstream sends messages before the result; a
//     request on a call's stream is that call's. Exact.
//   - 2026-07-28 (any transport): the upstream's questions come back in the
//     call's result, named by the upstream. Exact.
//   - stdio and legacy SSE in the handshake era: every message of the
//     session arrives on one stream, with nothing tying a request to the
//     call that caused it. The proxy takes the only call in flight on the
//     session as the cause. When several calls share the session (more calls
//     at once than MaxSessions), the request is refused with an error
//     saying so (Stats.Refused counts them); raise MaxSessions for such an
//     upstream if it has no state of its own, so that concurrent calls run on
//     separate sessions.
//
// A request that belongs to no call (the upstream asks for roots after its
// handshake, or on its own session stream) goes to the only downstream
// client the session serves (the one client of a stdio proxy, or of a
// principal with PerUser), and is refused when there are several.
//
// A handshake-era upstream waits, in the middle of its call, for the answer
// a 2026-07-28 client gives in a later request: the proxy holds the call
// meanwhile (up to Options.MaxParkedCalls, for Options.ParkedCallTimeout),
// so that retry must reach the same proxy process. With a 2026-07-28
// upstream nothing is held: the round's state travels in the requestState.
//
// # Notifications and cancellation
//
// Progress and log notifications of a call reach its downstream client before
// the result they precede. A client that does not keep up loses them
// (Options.MaxPendingMessages), never stalling the upstream session it may
// share. Log messages that belong to no call go to the downstream sessions
// the upstream session serves. List changes and resource updates are
// relayed (the proxy subscribes to the mirrored resources, up to
// Options.MaxSubscriptions). A client cancelling its call cancels the
// upstream's (notifications/cancelled).
//
// # Limits
//
//   - Only the resources the upstream lists, and the URIs its templates
//     match, can be read through the proxy.
//   - Tool arguments are checked against the upstream's schema by the server
//     before they are forwarded (FastMCP validates every call); a schema
//     FastMCP cannot compile leaves its tool out, with an error logged.
//   - A log message's logger name is not relayed, and its data keeps its
//     shape only when it is a string or an object with a "message" member
//     (FastMCP's Context.Log writes {"message": ...}).
//   - Sampling requests relay one content block per message, without tools
//     (FastMCP's sampling types hold one block).
//   - A handshake-era upstream behaves as in its era for 2026-07-28 clients
//     too: its questions carry no names (the proxy names them
//     "elicitation-1", ...), a tool needing a capability the client lacks
//     answers with a tool error rather than MissingRequiredClientCapability
//     (-32021), and its handlers run once (Context.SetRequestState does
//     nothing there).
package proxy
