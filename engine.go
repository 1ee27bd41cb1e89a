package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// request is the engine's state for one request being served. Everything a
// handler may need about the request lives here rather than on the session, so
// the same handlers serve the sessionless 2026-07-28 revision, where each
// request carries its own protocol version, client info and capabilities.
type request struct {
	id     json.RawMessage
	method string
	params json.RawMessage
	// out carries messages related to this request (progress, logs, nested
	// requests) to the client: for Streamable HTTP, this request's stream.
	out outbound
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

	toolName string
	// auth is the authenticator's result for this request, when hasAuth:
	// a stateless HTTP request, or an access-check evaluation. The
	// session's auth applies otherwise.
	auth    any
	hasAuth bool

	// The 2026-07-28 revision (see modern.go). modern: the request is served
	// statelessly under it, with the protocol fields of its own _meta,
	// read by prepareModern (prepared, with its outcome in prepErr).
	modern, prepared bool
	prepErr          *Error
	// requested is the protocol version the request's _meta asked for.
	requested string
	// metaRead: _meta was read by prepareModern, so setMeta has nothing
	// left to do; metaInvalid: it was malformed (HTTP answers 400).
	metaRead, metaInvalid bool
	// logRequested: the request's _meta set a log level, so log messages
	// may go out for it.
	logRequested bool
	// cache is the caching hint of a cacheable result; noCache leaves the
	// hint out (an input_required result).
	cache   cacheHint
	noCache bool
	// input holds the multi round-trip state of a tools/call,
	// resources/read or prompts/get request (see mrtr.go), which may ask
	// for input (mrtr); created on first use (inputOnce).
	input     *inputState
	mrtr      bool
	inputOnce sync.Once
	// conn is the stream connection (stdio) a sessionless request came
	// in on: notifications/cancelled finds the request through it.
	conn *Session
	// stop, when closed, ends a subscriptions/listen stream gracefully:
	// the transport is shutting down.
	stop <-chan struct{}
	// errCode is the code of the error response sent, if any.
	errCode ErrorCode
	// pm are the members of params the engine reads, found in one scan
	// (members).
	pm paramMembers

	// ctx is the handler's Context, allocated with the request.
	ctx Context
}

// requestMeta is the part of _meta the engine reads.
type requestMeta struct {
	ProgressToken json.RawMessage `json:"progressToken"`
	RequestID     json.RawMessage `json:"requestId"`
}

// setMeta records the raw _meta of the params and reads what the engine needs.
func (r *request) setMeta(raw json.RawMessage) error {
	if r.metaRead || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	r.meta = raw
	var m requestMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return NewError(CodeInvalidParams, "invalid _meta: %v", err)
	}
	if len(m.ProgressToken) > 0 && string(m.ProgressToken) != "null" {
		r.progressToken = m.ProgressToken
	}
	if len(m.RequestID) > 0 {
		var s string
		if json.Unmarshal(m.RequestID, &s) == nil {
			r.clientReqID = s
		} else {
			r.clientReqID = string(m.RequestID)
		}
	}
	return nil
}

// paramMembers are the raw members of a request's params that the engine
// reads in place.
type paramMembers struct {
	scanned, invalid                    bool
	name, uri, args, meta, input, state []byte
}

// members returns the members of the params, scanning them once. invalid
// reports params that are not an object.
func (r *request) members() *paramMembers {
	pm := &r.pm
	if pm.scanned {
		return pm
	}
	pm.scanned = true
	if len(r.params) == 0 || string(r.params) == "null" {
		return pm
	}
	err := jsonrpc.ObjectEachRaw(r.params, func(key []byte, escaped bool, value []byte) error {
		if escaped {
			return nil
		}
		switch string(key) {
		case "name":
			pm.name = value
		case "uri":
			pm.uri = value
		case "arguments":
			pm.args = value
		case "_meta":
			pm.meta = value
		case "inputResponses":
			pm.input = value
		case "requestState":
			pm.state = value
		}
		return nil
	})
	pm.invalid = err != nil
	return pm
}

// decodeParams decodes the request's params into p, which must embed paramsMeta.
// Absent params decode as an empty object.
func decodeParams[P interface{ rawMeta() json.RawMessage }](r *request, p P) error {
	if len(r.params) > 0 {
		if err := json.Unmarshal(r.params, p); err != nil {
			return NewError(CodeInvalidParams, "invalid params for %s: %v", r.method, err)
		}
	}
	return r.setMeta(p.rawMeta())
}

// paramsMeta is embedded in every params shape to capture _meta raw.
type paramsMeta struct {
	Meta json.RawMessage `json:"_meta"`
}

func (p *paramsMeta) rawMeta() json.RawMessage { return p.Meta }

// bufPool recycles response buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// handleRequest serves one request on sess (nil when stateless) and appends
// the encoded response to b. It returns b unchanged when no response must be
// sent: the client cancelled the request.
func (s *Server) handleRequest(ctx context.Context, sess *Session, m *jsonrpc.Message, out outbound, b []byte) []byte {
	return s.serveRequest(ctx, sess, &request{id: m.ID, method: m.Method, params: m.Params, out: out}, b)
}

// serveRequest serves r on sess (nil when stateless; r.version then says which
// revision to speak) and appends the encoded response to b.
func (s *Server) serveRequest(parent context.Context, sess *Session, r *request, b []byte) []byte {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.cancel = cancel
	if sess != nil {
		sess.touch()
		sess.mu.Lock()
		r.version, r.clientInfo, r.clientCaps, r.logLevel = sess.version, sess.clientInfo, sess.clientCaps, sess.logLevel
		sess.mu.Unlock()
		sess.track(r)
		defer sess.untrack(r)
		sess.active.Add(1)
		defer sess.active.Add(-1)
	} else if r.conn != nil {
		r.conn.track(r)
		defer r.conn.untrack(r)
	}
	c := &r.ctx
	*c = Context{Context: ctx, srv: s, sess: sess, req: r}
	result, err := s.dispatchSafely(c)
	if r.cancelled.Load() || (r.modern && parent.Err() != nil) {
		// Cancelled by the client: for a 2026-07-28 request, also by
		// closing its HTTP stream (or the connection ending).
		return b
	}
	if r.input != nil {
		// A handler that asked the client for input is answered with
		// input_required, whatever it returned.
		if res, ierr := r.input.outcome(s, r); res != nil || ierr != nil {
			result, err = res, ierr
		}
	}
	if err != nil {
		e := s.toWire(err, r)
		r.errCode = e.Code
		return appendWireError(b, r.id, e)
	}
	start := len(b)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, r.id...)
	b = append(b, `,"result":`...)
	resStart := len(b)
	b, err = appendResultValue(b, result)
	if err != nil {
		s.logger.Error("fastmcp: encoding result", "method", r.method, "error", err)
		b = b[:start]
		r.errCode = CodeInternalError
		return appendWireError(b, r.id, &Error{Code: CodeInternalError, Message: "Internal error: result could not be encoded"})
	}
	if r.modern {
		b = s.finishModern(b, resStart, r)
	}
	return append(b, '}')
}

// appendResultValue appends the encoded result object of a handler.
func appendResultValue(b []byte, result any) ([]byte, error) {
	switch res := result.(type) {
	case json.RawMessage:
		return append(b, res...), nil
	case resultAppender:
		return res.appendResult(b)
	default:
		raw, err := json.Marshal(res)
		if err != nil {
			return b, err
		}
		return append(b, raw...), nil
	}
}

// toWire converts a handler error to the JSON-RPC error sent, logging internal
// errors that are masked.
func (s *Server) toWire(err error, r *request) *Error {
	e := wireError(err, s.opts.ShowErrorDetails)
	if e.Code == CodeInternalError && ErrorCodeOf(err) == 0 && !errors.Is(err, ErrInputRequired) && !errors.Is(err, ErrCapability) {
		if _, isUser := err.(*UserError); !isUser {
			s.logger.Error("fastmcp: request failed", "method", r.method, "error", err)
		}
	}
	return e
}

// resultAppender is a result that encodes itself into the response buffer.
type resultAppender interface {
	appendResult(b []byte) ([]byte, error)
}

// dispatchSafely runs dispatch, turning a panic into an internal error.
func (s *Server) dispatchSafely(c *Context) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = s.recovered(c.req.method, v)
		}
	}()
	return s.dispatch(c)
}

// recovered logs a recovered panic and returns the error that replaces it.
func (s *Server) recovered(where string, v any) error {
	s.logger.Error("fastmcp: handler panicked", "where", where, "panic", v, "stack", string(debug.Stack()))
	return fmt.Errorf("panic in %s: %v", where, v)
}

// dispatch routes a request to its method handler.
func (s *Server) dispatch(c *Context) (any, error) {
	r := c.req
	if r.modern {
		return s.dispatchModern(c)
	}
	switch r.method {
	case "initialize":
		return s.initialize(c)
	case "ping":
		var p struct{ paramsMeta }
		if err := decodeParams(r, &p); err != nil {
			return nil, err
		}
		return emptyResult, nil
	}
	if c.sess != nil && r.version == vUnknown {
		return nil, NewError(CodeInvalidRequest, "session not initialized: send initialize first")
	}
	if h := sharedMethods[r.method]; h != nil {
		return h(s, c)
	}
	switch r.method {
	case "server/discover":
		// Also served to handshake-era sessions. Before initialize, a
		// request without the 2026-07-28 _meta is refused above, so
		// that a client probing the era falls back to the handshake.
		var p struct{ paramsMeta }
		if err := decodeParams(r, &p); err != nil {
			return nil, err
		}
		return s.discoverResult(), nil
	case "resources/subscribe", "resources/unsubscribe":
		return s.subscribe(c)
	case "logging/setLevel":
		return s.setLevel(c)
	}
	return nil, NewError(CodeMethodNotFound, "Method not found: %s", r.method)
}

// sharedMethods are the handlers of the methods both protocol eras share.
var sharedMethods = map[string]func(*Server, *Context) (any, error){
	"tools/list":               (*Server).listTools,
	"tools/call":               (*Server).callTool,
	"resources/list":           (*Server).listResources,
	"resources/templates/list": (*Server).listResourceTemplates,
	"resources/read":           (*Server).readResource,
	"prompts/list":             (*Server).listPrompts,
	"prompts/get":              (*Server).getPrompt,
	"completion/complete":      (*Server).complete,
}

// initialize answers the handshake: it negotiates the protocol revision and
// records the client on the session.
func (s *Server) initialize(c *Context) (any, error) {
	var p struct {
		paramsMeta
		ProtocolVersion string             `json:"protocolVersion"`
		Capabilities    ClientCapabilities `json:"capabilities"`
		ClientInfo      Implementation     `json:"clientInfo"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	if c.sess == nil {
		return nil, NewError(CodeInvalidRequest, "initialize needs a session-capable transport")
	}
	v := parseProtocolVersion(p.ProtocolVersion)
	if v == vUnknown || v >= v20260728 {
		// Unknown, or a revision without the handshake: answer with the
		// newest handshake revision and let the client decide.
		v = parseProtocolVersion(LatestHandshakeProtocolVersion)
	}
	sess := c.sess
	auth, hasAuth := c.req.auth, c.req.hasAuth
	if s.opts.Authenticate != nil && sess.http == nil {
		// A stream transport (stdio): authenticate once, without a request.
		var err error
		if auth, err = safeAuthenticate(s, s.opts.Authenticate, nil); err != nil {
			s.logger.Warn("fastmcp: authentication failed", "error", err)
			return nil, NewError(CodeInvalidRequest, "authentication failed: %v", err)
		}
		hasAuth = true
	}
	sess.mu.Lock()
	if sess.initialized {
		sess.mu.Unlock()
		return nil, NewError(CodeInvalidRequest, "session already initialized")
	}
	sess.initialized = true
	sess.version, sess.clientCaps, sess.clientInfo = v, p.Capabilities, p.ClientInfo
	if hasAuth {
		sess.auth, sess.lastAuth = auth, auth
	}
	sess.initSeq.Store(s.lcSeq.Load())
	sess.mu.Unlock()
	sess.emitConnect()
	return s.initializeResult(v), nil
}

// initializeResult returns the encoded initialize result for revision v. The
// server's description never changes, so it is encoded once per revision.
func (s *Server) initializeResult(v protocolVersion) json.RawMessage {
	s.initOnce[v].Do(func() {
		raw, err := json.Marshal(&InitializeResult{
			ProtocolVersion: v.String(),
			Capabilities:    s.capabilities(v),
			ServerInfo:      s.serverInfoFor(v),
			Instructions:    s.opts.Instructions,
		})
		if err != nil {
			panic(fmt.Sprintf("fastmcp: encoding the initialize result: %v", err))
		}
		s.initResult[v] = raw
	})
	return s.initResult[v]
}

// setLevel records the minimum log level the client wants.
func (s *Server) setLevel(c *Context) (any, error) {
	var p struct {
		paramsMeta
		Level LoggingLevel `json:"level"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	if p.Level.severity() == 0 {
		return nil, NewError(CodeInvalidParams, "invalid logging level %q", p.Level)
	}
	if c.sess == nil {
		// Served statelessly: there is no session to keep the level in, and
		// every request stands alone. Accept it, as a no-op.
		return emptyResult, nil
	}
	c.sess.mu.Lock()
	c.sess.logLevel = p.Level
	c.sess.mu.Unlock()
	return emptyResult, nil
}

// handleNotification handles a notification from the client.
func (s *Server) handleNotification(sess *Session, m *jsonrpc.Message) {
	if sess != nil {
		sess.touch()
	}
	switch m.Method {
	case "notifications/initialized":
		if sess != nil {
			sess.mu.Lock()
			first := sess.initialized && !sess.notified
			sess.notified = sess.initialized
			sess.mu.Unlock()
			if first {
				if !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
					sess.goBackground(func() { s.afterHandshake(sess) }) // waits for the client's roots
				} else {
					sess.setReady()
				}
			}
		}
	case "notifications/roots/list_changed":
		if sess != nil && !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
			sess.goBackground(func() {
				if roots, ok := s.fetchRoots(sess); ok {
					sess.emitRootsChanged(roots)
				}
			})
		}
	case "notifications/progress":
		var p ProgressParams
		if sess != nil && json.Unmarshal(m.Params, &p) == nil {
			sess.deliverProgress(p)
		}
	case "notifications/cancelled":
		var p struct {
			RequestID json.RawMessage `json:"requestId"`
			Reason    string          `json:"reason"`
		}
		if sess != nil && json.Unmarshal(m.Params, &p) == nil && len(p.RequestID) > 0 {
			sess.cancelRequest(p.RequestID, p.Reason)
		}
	}
	// Other notifications are accepted and ignored.
}

// afterHandshake runs once the client has sent notifications/initialized: it
// fetches the client's roots when it has them, then marks the session ready.
func (s *Server) afterHandshake(sess *Session) {
	if !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
		s.fetchRoots(sess)
	}
	sess.setReady()
}

// rootsChannelWait bounds the wait for an HTTP client's GET stream before its
// roots are fetched.
const rootsChannelWait = 3 * time.Second

// fetchRoots asks the client for its roots and stores them. It reports false,
// and emits a session error, when that fails.
func (s *Server) fetchRoots(sess *Session) ([]Root, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.RequestTimeout)
	defer cancel()
	// Over Streamable HTTP the request needs the client's GET stream, which
	// clients open right after the handshake: give it a moment.
	if !sess.waitChannel(ctx, rootsChannelWait) {
		if sess.isClosed() {
			return nil, false // the client left first: nothing to report
		}
		sess.emitError(fmt.Errorf("fastmcp: cannot fetch the client's roots: %w (the client opened no GET stream within %v)", errNoChannel, rootsChannelWait))
		return nil, false
	}
	roots, err := sess.ListRoots(ctx, nil)
	if err != nil {
		sess.emitError(fmt.Errorf("fastmcp: fetching the client's roots: %w", err))
		return nil, false
	}
	sess.mu.Lock()
	sess.roots = roots
	sess.mu.Unlock()
	return roots, true
}
