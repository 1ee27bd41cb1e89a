package fastmcp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The two protocol eras behind one interface.
//
// A FastMCP server serves both eras on every transport, choosing per request
// (chooseProtocol, the one place that decides):
//
//   - The handshake era (protocol_handshake.go): initialize starts a Session
//     whose negotiated revision (2024-11-05 through 2025-11-25), client info
//     and capabilities apply to its later requests.
//   - The sessionless 2026-07-28 revision (protocol_2026*.go): every request
//     carries its protocol version, client info and capabilities in its own
//     _meta, asks the client for input through multi round-trip requests, and
//     gets change notifications through subscriptions/listen.
//
// The engine (engine.go) builds the request, asks the chosen protocol to
// prepare it, runs the middleware chain and the method's handler, and asks the
// protocol to finish the encoded result. Handlers do not know the era.

// Protocol revisions served by FastMCP. The handshake era (initialize and
// Mcp-Session-Id) covers 2024-11-05 through 2025-11-25.
const (
	ProtocolVersion20241105 = "2024-11-05"
	ProtocolVersion20250326 = "2025-03-26"
	ProtocolVersion20250618 = "2025-06-18"
	ProtocolVersion20251125 = "2025-11-25"
	ProtocolVersion20260728 = "2026-07-28"

	// LatestHandshakeProtocolVersion is the newest revision negotiated by
	// initialize. A client asking for a revision FastMCP does not know gets
	// this one in the initialize result, as the specification requires.
	LatestHandshakeProtocolVersion = ProtocolVersion20251125
)

// protocolVersion is the engine's compact form of a revision: ordered, so a
// feature check is one comparison.
type protocolVersion uint8

const (
	vUnknown protocolVersion = iota
	v20241105
	v20250326
	v20250618
	v20251125
	v20260728
	numVersions
)

var versionNames = [numVersions]string{
	vUnknown:  "",
	v20241105: ProtocolVersion20241105,
	v20250326: ProtocolVersion20250326,
	v20250618: ProtocolVersion20250618,
	v20251125: ProtocolVersion20251125,
	v20260728: ProtocolVersion20260728,
}

func (v protocolVersion) String() string { return versionNames[v] }

func parseProtocolVersion(s string) protocolVersion {
	switch s {
	case ProtocolVersion20241105:
		return v20241105
	case ProtocolVersion20250326:
		return v20250326
	case ProtocolVersion20250618:
		return v20250618
	case ProtocolVersion20251125:
		return v20251125
	case ProtocolVersion20260728:
		return v20260728
	}
	return vUnknown
}

// HandshakeProtocolVersions returns the revisions FastMCP negotiates through
// initialize, newest first.
func HandshakeProtocolVersions() []string {
	return []string{ProtocolVersion20251125, ProtocolVersion20250618, ProtocolVersion20250326, ProtocolVersion20241105}
}

// protocol is one protocol era: how a request learns its protocol fields,
// which methods exist, how a result is finished and how a handler asks the
// client for input.
type protocol interface {
	// prepare reads the request's protocol fields (from its session, or
	// from its own _meta) and checks them, recording a refusal in
	// r.prepErr. It runs before the middleware chain.
	prepare(s *Server, c conn, r *request)
	// handler returns the handler of the request's method in this era, or
	// the error that refuses the method.
	handler(s *Server, c *Context) (MethodHandler, error)
	// finish completes the encoded result object in b[start:].
	finish(s *Server, b []byte, start int, r *request) []byte
	// ask asks the client for input on behalf of a handler (Context.Ask).
	ask(c *Context, reqs []InputRequest) ([]InputResponse, error)
	// logEnabled reports whether log messages at level go to the client.
	logEnabled(c *Context, level LoggingLevel) bool
	// answerFor classifies an error response for the transport's framing
	// (an HTTP status).
	answerFor(code ErrorCode, r *request) answer
}

// connInfo is what a transport says about a connection, for the engine to
// choose the era and how to serve.
type connInfo struct {
	// header is the MCP-Protocol-Version header (HTTP), "" when absent or
	// the transport has none.
	header string
	// sessionID: the message names a session (Mcp-Session-Id).
	sessionID bool
	// noModern: the transport does not serve the 2026-07-28 revision (the
	// legacy HTTP+SSE transport).
	noModern bool
	// concurrent: requests may be served concurrently with the reading of
	// later messages (conn.async); false when each message is served on its
	// own goroutine already (an HTTP POST).
	concurrent bool
	// streams: messages sent before a request's result reach the client on
	// the request's own stream (stdio; a POST answered with SSE).
	streams bool
	// stop is closed when the transport shuts down: subscriptions/listen
	// streams end gracefully.
	stop <-chan struct{}
	// peer tracks the connection's sessionless requests for
	// notifications/cancelled (stdio), nil when cancellation is by closing
	// the request's stream (HTTP).
	peer *peer
	// transport names the transport (Context.Transport); remoteAddr is
	// the client's network address, "" when there is none (stdio).
	transport, remoteAddr string
	// httpRequest is the HTTP request that carried the message, nil on
	// stdio (Context.HTTPRequest).
	httpRequest *http.Request
}

// chooseProtocol decides the era of a request from its _meta and what the
// transport says. It returns the refusal to send instead when the request
// cannot be served in any era here.
//
// The rule: a request whose _meta carries io.modelcontextprotocol/protocolVersion
// is a 2026-07-28 one, unless it arrives on a handshake-era session (HTTP
// with Mcp-Session-Id and no 2026-07-28 header); over HTTP a
// MCP-Protocol-Version header of 2026-07-28 selects it too, and a header
// naming a revision FastMCP does not serve is refused.
func chooseProtocol(m *jsonrpc.Message, info *connInfo) (protocol, *Error) {
	hv := parseProtocolVersion(info.header)
	if hv != vUnknown && hv < v20260728 {
		// A handshake-era header. Without a session, a request whose
		// _meta asks for a version is served (and refused helpfully) as
		// a 2026-07-28 one.
		if !info.sessionID && m.Method != "initialize" && !info.noModern {
			if _, found := metaVersion(m.Params); found {
				return era2026, nil
			}
		}
		return handshakeEra, nil
	}
	if hv == v20260728 && !info.noModern {
		return era2026, nil
	}
	if _, found := metaVersion(m.Params); found && (info.header != "" || !info.sessionID) {
		if info.noModern {
			if !m.IsRequest() {
				return handshakeEra, nil
			}
			// Not one of the revision's own errors, so that a client
			// speaking both eras falls back to initialize.
			return nil, NewError(CodeInvalidRequest,
				"Invalid Request: protocol version %s is not served over the HTTP+SSE transport; initialize a session, or use the Streamable HTTP endpoint", ProtocolVersion20260728)
		}
		return era2026, nil
	}
	if info.header != "" {
		return nil, unsupportedHeader(info.header, hv)
	}
	return handshakeEra, nil
}

// unsupportedHeader refuses a MCP-Protocol-Version header naming a revision
// this server does not serve on the request.
func unsupportedHeader(pv string, hv protocolVersion) *Error {
	msg := "Bad Request: unsupported MCP-Protocol-Version " + strconv.Quote(pv) + "; supported: " + strings.Join(SupportedProtocolVersions(), ", ")
	if hv == v20260728 {
		msg = "Bad Request: JSON-RPC batches are not supported in protocol version " + pv
	}
	return NewError(CodeInvalidRequest, "%s", msg)
}
