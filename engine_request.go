package fastmcp

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Request is the request being served, as middleware sees it (see
// Middleware). The engine fills it in from the request's params, read once and
// strictly: member names are matched exactly, and a member given twice is
// refused.
type Request struct {
	// Method is the JSON-RPC method, such as "tools/call".
	Method string
	// Name is what the request is about: the tool of tools/call, the prompt
	// of prompts/get, the URI of resources/read, resources/subscribe and
	// resources/unsubscribe; "" for other methods. Middleware may change it
	// (to route a call to another tool, for instance): the method's handler
	// uses the value it finds.
	Name string
	// Arguments are the raw arguments of tools/call and prompts/get, nil
	// otherwise. Middleware may replace them.
	Arguments json.RawMessage
	// Params are the request's raw params, as the client sent them.
	Params json.RawMessage
}

// request is the engine's state for one request being served. Everything a
// handler may need about the request lives here rather than on the session, so
// the same handlers serve the sessionless 2026-07-28 revision, where each
// request carries its own protocol version, client info and capabilities.
type request struct {
	Request
	id json.RawMessage
	// conn is where the request came from: related messages (progress,
	// logs, server-to-client requests) go out through it.
	conn conn
	// peer tracks the request for notifications/cancelled: its session's,
	// or its stdio connection's; nil when none.
	peer *peer
	// proto is the request's protocol era.
	proto protocol
	// stop, when closed, ends a subscriptions/listen stream gracefully:
	// the transport is shutting down.
	stop <-chan struct{}

	// version, clientInfo and clientCaps are those of the request's era:
	// copied from the session in the handshake era.
	version    protocolVersion
	clientInfo Implementation
	// infoRaw is a 2026-07-28 request's clientInfo, decoded into
	// clientInfo on first use (infoOnce).
	infoRaw    []byte
	infoOnce   sync.Once
	clientCaps ClientCapabilities
	logLevel   LoggingLevel
	// meta is the raw _meta of the params, decoded on demand.
	meta          json.RawMessage
	progressToken json.RawMessage
	clientReqID   string

	cancel    context.CancelCauseFunc
	cancelled atomic.Bool

	progressMu   sync.Mutex
	lastProgress float64
	sentProgress bool

	// auth is the authenticator's result for this request, when hasAuth:
	// a sessionless request, initialize, or an access-check evaluation. The
	// session's auth applies otherwise.
	auth    any
	hasAuth bool

	// prepErr refuses the request before its handler runs: set by the
	// protocol's prepare, returned by the innermost handler so middleware
	// sees every request.
	prepErr error
	// The 2026-07-28 revision (see protocol_2026.go). requested is the
	// protocol version the request's _meta asked for; metaInvalid: _meta
	// was malformed (HTTP answers 400); logRequested: the request's _meta
	// set a log level, so log messages may go out for it.
	requested    string
	metaInvalid  bool
	logRequested bool
	// cache is the caching hint of a cacheable result; noCache leaves the
	// hint out (an input_required result).
	cache   cacheHint
	noCache bool
	// input holds the multi round-trip state of a tools/call,
	// resources/read or prompts/get request (see protocol_2026_mrtr.go),
	// which may ask for input (mrtr); created on first use (inputOnce).
	input     *inputState
	mrtr      bool
	inputOnce sync.Once
	// errCode is the code of the error response sent, if any.
	errCode ErrorCode
	// pm are the members of params the engine reads, found in one scan
	// (members).
	pm paramMembers
	// tool is the tool of a tools/call, resolved once for the built-in
	// middleware and the handler (toolFor), under the name toolName.
	tool     *toolEntry
	toolName string

	// ctx is the handler's Context, allocated with the request; scope is
	// the innermost Context a middleware derived from it (WithContext), for
	// FastMCP's own log records about the request.
	ctx   Context
	scope *Context
}

// logContext is the context FastMCP's log records about the request carry.
func (r *request) logContext() context.Context {
	if r.scope != nil {
		return r.scope
	}
	return &r.ctx
}

// paramMembers are the raw members of a request's params that the engine
// reads in place.
type paramMembers struct {
	scanned bool
	// err refuses params that are not an object or that give a member the
	// engine reads twice.
	err                                        *Error
	name, uri, args, meta, input, state, extra []byte
}

// paramKeys are the members of params the engine reads, by name, with their
// place in paramMembers.
var paramKeys = map[string]func(pm *paramMembers) *[]byte{
	"name":           func(pm *paramMembers) *[]byte { return &pm.name },
	"uri":            func(pm *paramMembers) *[]byte { return &pm.uri },
	"arguments":      func(pm *paramMembers) *[]byte { return &pm.args },
	"_meta":          func(pm *paramMembers) *[]byte { return &pm.meta },
	"inputResponses": func(pm *paramMembers) *[]byte { return &pm.input },
	"requestState":   func(pm *paramMembers) *[]byte { return &pm.state },
}

// members returns the members of the params, scanning them once: names match
// exactly (an escaped name is compared unescaped), and a member named twice
// is refused, so checks (headers, requestState bindings) and dispatch see the
// same values.
func (r *request) members() *paramMembers {
	pm := &r.pm
	if pm.scanned {
		return pm
	}
	pm.scanned = true
	if len(r.Params) == 0 || string(r.Params) == "null" {
		return pm
	}
	err := jsonrpc.ObjectEachRaw(r.Params, func(key []byte, escaped bool, value []byte) error {
		if escaped {
			quoted := make([]byte, 0, len(key)+2)
			quoted = append(append(append(quoted, '"'), key...), '"')
			unq, ok := jsonrpc.UnquoteString(quoted)
			if !ok {
				return nil
			}
			key = []byte(unq)
		}
		at, known := paramKeys[string(key)]
		if !known {
			return nil
		}
		p := at(pm)
		if *p != nil {
			return NewError(CodeInvalidParams, "Invalid params: member %q appears more than once", string(key))
		}
		*p = value
		return nil
	})
	switch e := err.(type) {
	case nil:
	case *Error:
		pm.err = e
	default:
		pm.err = NewError(CodeInvalidParams, "Invalid params for %s: params must be an object", r.Method)
	}
	return pm
}

// stringMember returns the text of a string member of params, with ok false
// when the member is absent, and an error when it is not a string.
func (r *request) stringMember(raw []byte, member string) (string, bool, error) {
	if raw == nil || string(raw) == "null" {
		return "", false, nil
	}
	if len(raw) > 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && !hasEscapeOrHighBit(raw[1:len(raw)-1]) {
		return string(raw[1 : len(raw)-1]), true, nil
	}
	s, ok := jsonrpc.UnquoteString(raw)
	if !ok {
		return "", false, NewError(CodeInvalidParams, "Invalid params for %s: %s must be a string", r.Method, member)
	}
	return s, true, nil
}

func hasEscapeOrHighBit(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	return false
}

// setMeta records the raw _meta of the params and reads what the engine needs:
// progressToken (a string or an integer) and requestId.
func (r *request) setMeta(raw json.RawMessage) error {
	if r.meta != nil || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		return NewError(CodeInvalidParams, "Invalid params: _meta must be an object")
	}
	r.meta = raw
	var progress, reqID []byte
	err := jsonrpc.ObjectEachRaw(raw, func(key []byte, escaped bool, value []byte) error {
		if escaped {
			return nil
		}
		switch string(key) {
		case "progressToken":
			progress = value
		case "requestId":
			reqID = value
		}
		return nil
	})
	if err != nil {
		return NewError(CodeInvalidParams, "Invalid params: malformed _meta")
	}
	return r.readMetaFields(progress, reqID)
}

// maxProgressToken bounds the progress token a client may ask the server to
// echo in every progress notification.
const maxProgressToken = 256

// readMetaFields reads _meta's progressToken and requestId.
func (r *request) readMetaFields(progress, reqID []byte) error {
	if len(progress) > 0 && string(progress) != "null" {
		if !validProgressToken(progress) {
			return NewError(CodeInvalidParams, "Invalid params: _meta.progressToken must be a string or an integer of at most %d bytes", maxProgressToken)
		}
		r.progressToken = progress
	}
	if len(reqID) > 0 {
		if s, ok := jsonrpc.UnquoteString(reqID); ok {
			r.clientReqID = s
		} else if jsonrpc.Valid(reqID) && reqID[0] != '{' && reqID[0] != '[' {
			r.clientReqID = string(reqID)
		}
	}
	return nil
}

// validProgressToken reports whether raw is a JSON string (valid UTF-8) or
// integer, short enough to echo.
func validProgressToken(raw []byte) bool {
	if len(raw) > maxProgressToken {
		return false
	}
	if raw[0] == '"' {
		_, ok := jsonrpc.UnquoteString(raw)
		return ok && utf8.Valid(raw)
	}
	for i, c := range raw {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return false
		}
	}
	return len(raw) > 0 && raw[len(raw)-1] != '-'
}

// decodeParams decodes the request's params into p, which must embed paramsMeta.
// Absent params decode as an empty object.
func decodeParams[P interface{ rawMeta() json.RawMessage }](r *request, p P) error {
	if len(r.Params) > 0 {
		if err := json.Unmarshal(r.Params, p); err != nil {
			return NewError(CodeInvalidParams, "invalid params for %s: %v", r.Method, err)
		}
	}
	return r.setMeta(p.rawMeta())
}

// paramsMeta is embedded in every params shape to capture _meta raw.
type paramsMeta struct {
	Meta json.RawMessage `json:"_meta"`
}

func (p *paramsMeta) rawMeta() json.RawMessage { return p.Meta }
