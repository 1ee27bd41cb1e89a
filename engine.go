package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The engine: every transport reduces to bytes in and bytes out, and hands
// each message it reads to Server.serveMessage together with its conn. Only
// the engine decodes a message, tells requests from notifications and
// responses, fans out batches, chooses the protocol era, builds the request
// and runs the middleware chain and the method's handler. See doc.go, "How a
// request flows".

// conn is a transport's connection as the engine sees it: a stdio connection,
// one Streamable HTTP POST, or one POST of a legacy HTTP+SSE session. Methods
// are called from the goroutines serving its messages.
type conn interface {
	// info describes the connection (see connInfo).
	info() connInfo
	// session returns the handshake-era session of a message; init: the
	// message is initialize, which starts one. It returns nil for a
	// transport serving without sessions (stateless HTTP), and ok false when
	// the transport refused the message and answered it itself (an unknown
	// Mcp-Session-Id: HTTP 404).
	session(init bool) (sess *Session, ok bool)
	// auth returns the authenticator's result for the connection's
	// messages (nil without an authenticator), or why authentication failed
	// on a transport that cannot refuse a connection itself (stdio).
	auth() (any, error)
	// validate checks the transport's view of a 2026-07-28 request against
	// its body (over HTTP, the request metadata headers), or returns nil.
	validate(r *request) *Error
	// send delivers a message related to a request being served
	// (progress, a log message, a server-to-client request): on the
	// request's own stream when there is one.
	send(msg []byte) error
	// async runs f concurrently with the reading of later messages, or
	// reports false when the connection already serves as many requests as
	// it may (the request is then refused). Only called when
	// info().concurrent is set.
	async(f func()) bool
	// resumable reports whether a session's request being served may
	// outlive the end of the context the transport passed: its answer can
	// still reach the client (a resumable SSE stream, a session's own
	// stream). When it cannot, the request is cancelled.
	resumable() bool
	// reply delivers the answer to the message (or batch) handed to
	// serveMessage: resp is empty when there is nothing to send back.
	reply(resp []byte, a answer)
}

// answer classifies how a message was answered, for the transport's framing.
type answer uint8

const (
	// answered: resp holds a response (HTTP 200).
	answered answer = iota
	// accepted: nothing to send back (a notification or a response was
	// taken, or the request was cancelled): HTTP 202.
	accepted
	// badRequest: resp refuses a malformed or misdirected message (HTTP 400).
	badRequest
	// notFound: resp is a 2026-07-28 method-not-found error (HTTP 404).
	notFound
	// refused: the transport refused the message and answered it itself.
	refused
)

// serveMessage serves one message or batch read by a transport, and replies
// on c. data must stay unchanged until the reply.
func (s *Server) serveMessage(ctx context.Context, c conn, data []byte) {
	if jsonrpc.IsBatch(data) {
		s.serveBatch(ctx, c, data)
		return
	}
	var m jsonrpc.Message
	if err := jsonrpc.Decode(data, &m); err != nil {
		c.reply(decodeFailure(err), badRequest)
		return
	}
	info := c.info()
	if info.concurrent && m.IsRequest() && m.Method != "initialize" {
		// Requests run concurrently, except initialize, which is answered
		// before the next message is read so that later messages see the
		// negotiated session.
		s.serveConcurrently(ctx, c, &info, &m)
		return
	}
	s.serveAndReply(ctx, c, &info, &m)
}

// serveConcurrently serves a request concurrently with the reading of later
// messages (conn.async), or refuses it when the connection serves as many as
// it may. It is kept out of serveMessage, whose frame stays small for the
// inline path (an HTTP POST serves deep below it).
//
//go:noinline
func (s *Server) serveConcurrently(ctx context.Context, c conn, info *connInfo, m *jsonrpc.Message) {
	mc, ic := *m, *info
	if !c.async(func() { s.serveAndReply(ctx, c, &ic, &mc) }) {
		c.reply(appendWireError(nil, m.ID, s.tooManyRequests()), answered)
	}
}

func (s *Server) serveAndReply(ctx context.Context, c conn, info *connInfo, m *jsonrpc.Message) {
	finished := false
	defer func() {
		if !finished {
			// A handler ended its goroutine (runtime.Goexit): the
			// deferred calls still run, so answer before it ends.
			if g, ok := c.(goexiter); ok {
				g.goexit()
			}
			c.reply(appendWireError(nil, m.ID, s.exited(m.Method)), answered)
		}
	}()
	b := getBuf()
	resp, a := s.serveOne(ctx, c, info, m, *b, false)
	if a != refused {
		c.reply(resp, a)
	}
	*b = resp
	putBuf(b)
	finished = true
}

// goexiter is a conn that must prepare its reply for a goroutine that is
// ending (an HTTP response must be complete before net/http drops it).
type goexiter interface{ goexit() }

// serveOne serves one decoded message and appends its response, if any, to b.
// inBatch: the message is an element of a batch, which only the handshake
// era has.
func (s *Server) serveOne(ctx context.Context, c conn, info *connInfo, m *jsonrpc.Message, b []byte, inBatch bool) ([]byte, answer) {
	proto, perr := handshakeEra, (*Error)(nil)
	if !inBatch {
		proto, perr = chooseProtocol(m, info)
	}
	if perr != nil {
		if info.noModern {
			return appendWireError(b, m.ID, perr), answered
		}
		return appendWireError(b, nil, perr), badRequest
	}
	switch {
	case m.IsRequest():
		return s.serveRequest(ctx, c, info, proto, m, b)
	case m.IsNotification():
		if proto == era2026 {
			// The revision has no client notifications over HTTP
			// (closing a stream cancels its request); over stdio,
			// notifications/cancelled ends a request of the connection.
			if info.peer != nil && m.Method == "notifications/cancelled" {
				cancelFrom(info.peer, m.Params)
			}
			return b, accepted
		}
		sess, ok := c.session(false)
		if !ok {
			return b, refused
		}
		s.handleNotification(sess, m)
		return b, accepted
	default:
		if proto == era2026 {
			return jsonrpc.AppendError(b, nil, jsonrpc.CodeInvalidRequest,
				"Bad Request: protocol version "+ProtocolVersion20260728+" has no server-to-client requests to answer", nil), badRequest
		}
		sess, ok := c.session(false)
		if !ok {
			return b, refused
		}
		resp := *m // the waiter keeps it: m itself stays on the caller's stack
		if sess != nil && !sess.deliver(&resp) &&
			(sess.shared == nil || !sess.shared.route(&resp, resp.ID)) { // clustered: the request may be another replica's (cluster.go)
			s.logger.Debug("fastmcp: response to an unknown request", "id", string(m.ID), "session", sess.id)
		}
		return b, accepted
	}
}

// serveRequest builds the request for m (the one place requests are built)
// and serves it.
func (s *Server) serveRequest(ctx context.Context, c conn, info *connInfo, proto protocol, m *jsonrpc.Message, b []byte) ([]byte, answer) {
	r := &request{id: m.ID, conn: c, proto: proto, stop: info.stop}
	r.Method, r.Params = m.Method, m.Params
	var sess *Session
	if proto == era2026 {
		r.peer = info.peer
	} else {
		var ok bool
		if sess, ok = c.session(m.Method == "initialize"); !ok {
			return b, refused
		}
		if sess != nil {
			r.peer = &sess.peer
		}
	}
	if sess == nil || m.Method == "initialize" {
		// Sessionless (2026-07-28, stateless HTTP) and initialize: the
		// transport's authentication of this message applies.
		auth, err := c.auth()
		if err != nil {
			s.logger.Warn("fastmcp: authentication failed", "error", err)
			r.prepErr = NewError(CodeInvalidRequest, "authentication failed: %v", err)
		}
		r.auth, r.hasAuth = auth, true
	}
	if sess != nil {
		sess.touch()
		sess.mu.Lock()
		r.version, r.clientInfo, r.clientCaps, r.logLevel = sess.version, sess.clientInfo, sess.clientCaps, sess.logLevel
		sess.mu.Unlock()
	} else if proto == handshakeEra {
		// Stateless HTTP: the header's revision, else the one the
		// specification assumes without it.
		if r.version = parseProtocolVersion(info.header); r.version == vUnknown {
			r.version = v20250326
		}
	}
	b = s.serve(ctx, sess, r, b)
	if len(b) == 0 {
		return b, accepted
	}
	if r.errCode != 0 {
		return b, proto.answerFor(r.errCode, r)
	}
	return b, answered
}

// serve runs r on sess (nil when sessionless) and appends the encoded
// response to b. It returns b unchanged when no response must be sent: the
// client cancelled the request.
func (s *Server) serve(parent context.Context, sess *Session, r *request, b []byte) []byte {
	var watch context.Context
	if sess != nil && parent.Done() != nil {
		// A session's request may outlive its connection (its events
		// wait in the event store for the client to resume); it is
		// cancelled with the connection only when nothing can reach the
		// client any more.
		watch, parent = parent, context.WithoutCancel(parent)
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.cancel = cancel
	if watch != nil {
		stop := context.AfterFunc(watch, func() {
			if !r.conn.resumable() {
				cancel(errConnectionLost)
			}
		})
		defer stop()
	}
	if r.peer != nil {
		if err := r.peer.track(r); err != nil {
			e := s.tooManyRequests()
			r.errCode = e.Code
			return appendWireError(b, r.id, e)
		}
		defer r.peer.untrack(r)
	}
	if sess != nil {
		sess.active.Add(1)
		defer sess.active.Add(-1)
	}
	c := &r.ctx
	*c = Context{Context: ctx, srv: s, sess: sess, req: r}
	r.proto.prepare(s, r.conn, r)
	result, err := s.dispatchSafely(c)
	if r.cancelled.Load() || (r.proto == era2026 && parent.Err() != nil) {
		// Cancelled by the client: for a 2026-07-28 request, also by
		// closing its HTTP stream (or the connection ending).
		return b
	}
	return s.encodeResponse(b, r, result, err)
}

// encodeResponse appends the response of r: its result or its error. It is
// kept out of serve, whose frame is on the stack while the handler runs.
//
//go:noinline
func (s *Server) encodeResponse(b []byte, r *request, result any, err error) []byte {
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
	b, err = appendResultValue(b, result, r.version)
	if err != nil {
		s.logger.ErrorContext(r.logContext(), "fastmcp: encoding result", "method", r.Method, "error", err)
		b = b[:start]
		r.errCode = CodeInternalError
		return appendWireError(b, r.id, &Error{Code: CodeInternalError, Message: "Internal error: result could not be encoded"})
	}
	b = r.proto.finish(s, b, resStart, r)
	return append(b, '}')
}

// tooManyRequests refuses a request beyond Options.MaxInFlight.
func (s *Server) tooManyRequests() *Error {
	return &Error{Code: CodeInternalError,
		Message: fmt.Sprintf("Too many requests in flight: at most %d at a time (Options.MaxInFlight); retry when earlier requests are answered", s.opts.MaxInFlight)}
}

// maxBatchConcurrency bounds the goroutines serving one batch's requests.
const maxBatchConcurrency = 16

// serveBatch serves a JSON-RPC batch, which only protocol revision 2025-03-26
// allows, and replies with the batch of responses.
func (s *Server) serveBatch(ctx context.Context, c conn, data []byte) {
	info := c.info()
	if info.noModern {
		c.reply(jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, "Invalid Request: the HTTP+SSE transport takes one message per POST", nil), badRequest)
		return
	}
	hv := parseProtocolVersion(info.header)
	if info.header != "" && (hv == vUnknown || hv >= v20260728) {
		c.reply(appendWireError(nil, nil, unsupportedHeader(info.header, hv)), badRequest)
		return
	}
	sess, ok := c.session(false)
	if !ok {
		return
	}
	version := hv
	if version == vUnknown {
		if sess != nil {
			version = sess.protocol()
		} else if info.header == "" {
			version = v20250326 // stateless: the specification's assumption
		}
	}
	if version != v20250326 {
		msg := "Invalid Request: JSON-RPC batches are not supported"
		if version != vUnknown {
			msg += " in protocol version " + version.String()
		}
		c.reply(jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, msg+" (only 2025-03-26 allows them)", nil), badRequest)
		return
	}
	elems, err := jsonrpc.SplitBatch(data)
	switch {
	case err != nil:
		c.reply(parseErrorResponse, badRequest)
		return
	case len(elems) == 0:
		c.reply(jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, "Invalid Request: empty batch", nil), badRequest)
		return
	case len(elems) > s.opts.MaxBatchSize:
		c.reply(jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest,
			fmt.Sprintf("Invalid Request: a batch holds at most %d messages (Options.MaxBatchSize); this one holds %d", s.opts.MaxBatchSize, len(elems)), nil), badRequest)
		return
	}
	responses := make([][]byte, len(elems))
	sem := make(chan struct{}, maxBatchConcurrency)
	var wg sync.WaitGroup
	for i, raw := range elems {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(raw, &m); err != nil {
			responses[i] = decodeFailure(err)
			continue
		}
		if m.IsRequest() && m.Method == "initialize" {
			responses[i] = jsonrpc.AppendError(nil, m.ID, jsonrpc.CodeInvalidRequest, "initialize must not be part of a batch", nil)
			continue
		}
		if !m.IsRequest() {
			s.serveOne(ctx, c, &info, &m, nil, true)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			responses[i] = jsonrpc.AppendError(nil, m.ID, jsonrpc.CodeInternalError, "Request not served: the connection ended", nil)
			continue
		}
		wg.Add(1)
		go func() {
			finished := false
			defer func() {
				if !finished {
					responses[i] = appendWireError(nil, m.ID, s.exited(m.Method))
				}
				<-sem
				wg.Done()
			}()
			responses[i], _ = s.serveOne(ctx, c, &info, &m, nil, true)
			finished = true
		}()
	}
	wg.Wait()
	out := []byte{'['}
	for _, resp := range responses {
		if len(resp) > 0 {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, resp...)
		}
	}
	if len(out) == 1 {
		c.reply(nil, accepted)
		return
	}
	c.reply(append(out, ']'), answered)
}

// errConnectionLost cancels a request whose client connection ended with no
// way to deliver its answer.
var errConnectionLost = errors.New("fastmcp: the client's connection ended")

var parseErrorResponse = jsonrpc.AppendError(nil, nil, jsonrpc.CodeParseError, "Parse error", nil)

// decodeFailure returns the error response for a message that could not be
// decoded.
func decodeFailure(err error) []byte {
	var inv *jsonrpc.InvalidError
	if errors.As(err, &inv) {
		return jsonrpc.AppendError(nil, inv.ID, jsonrpc.CodeInvalidRequest, "Invalid Request: "+inv.Reason, nil)
	}
	return parseErrorResponse
}

// cancelFrom cancels the request that the params of a notifications/cancelled
// name, among those p serves. It reports whether p serves it.
func cancelFrom(p *peer, params json.RawMessage) bool {
	var n struct {
		RequestID json.RawMessage `json:"requestId"`
		Reason    string          `json:"reason"`
	}
	if json.Unmarshal(params, &n) == nil && len(n.RequestID) > 0 {
		return p.cancel(n.RequestID, n.Reason)
	}
	return false
}

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

// appendResultValue appends the encoded result object of a handler, shaped for
// protocol revision v.
func appendResultValue(b []byte, result any, v protocolVersion) ([]byte, error) {
	switch res := result.(type) {
	case json.RawMessage:
		return append(b, res...), nil
	case *CallToolResult:
		if res == nil {
			return append(b, `{"content":[]}`...), nil
		}
		return appendToolResult(b, res, v)
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

// resultAppender is a result that encodes itself into the response buffer.
type resultAppender interface {
	appendResult(b []byte) ([]byte, error)
}

// toWire converts a handler error to the JSON-RPC error sent, logging internal
// errors that are masked.
func (s *Server) toWire(err error, r *request) *Error {
	e := wireError(err, s.opts.ShowErrorDetails)
	if e.Code == CodeInternalError && ErrorCodeOf(err) == 0 && !errors.Is(err, ErrInputRequired) && !errors.Is(err, ErrCapability) {
		if _, isUser := err.(*UserError); !isUser {
			s.logger.ErrorContext(r.logContext(), "fastmcp: request failed", "method", r.Method, "error", err)
		}
	}
	return e
}

// dispatchSafely runs the middleware chain and the method's handler, turning
// a panic into an internal error.
func (s *Server) dispatchSafely(c *Context) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = s.recoveredIn(c.req.logContext(), c.req.Method, v)
		}
	}()
	return s.dispatch(c)
}

// exited logs a handler that ended its goroutine (runtime.Goexit) and returns
// the error that answers its request.
func (s *Server) exited(where string) *Error {
	s.logger.Error("fastmcp: handler ended its goroutine without returning (runtime.Goexit)", "method", where)
	return &Error{Code: CodeInternalError, Message: "Internal error: the handler ended without returning"}
}

// recovered logs a recovered panic and returns the error that replaces it: one
// line at Error naming the panicking frame, and the stack, readable on its own
// lines, at Debug.
func (s *Server) recovered(where string, v any) error {
	return s.recoveredIn(context.Background(), where, v)
}

// recoveredIn is recovered for a panic while serving the request of ctx, so
// the log records carry what ctx carries (a trace span).
func (s *Server) recoveredIn(ctx context.Context, where string, v any) error {
	stack := debug.Stack()
	s.logger.ErrorContext(ctx, "fastmcp: handler panicked", "where", where, "panic", v, "at", panicFrame())
	s.logger.DebugContext(ctx, "fastmcp: stack of the panic in "+where+"\n"+string(stack))
	return fmt.Errorf("panic in %s: %v", where, v)
}

// panicFrame names the function and line that panicked: the first frame below
// runtime.gopanic that is not in the runtime.
func panicFrame() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	seenPanic := false
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "runtime.") {
			if f.Function == "runtime.gopanic" {
				seenPanic = true
			}
		} else if seenPanic {
			return fmt.Sprintf("%s (%s:%d)", f.Function, f.File, f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}
