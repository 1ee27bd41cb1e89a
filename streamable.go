package fastmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// HTTPHandler serves a Server over HTTP: Streamable HTTP, legacy HTTP+SSE,
// health and readiness, and custom routes. Get one from Server.Handler; Close it
// when done to end its sessions and background work.
type HTTPHandler struct {
	srv      *Server
	opts     HTTP
	endpoint string
	mux      *http.ServeMux

	mu       sync.RWMutex
	sessions map[string]*Session

	shutting  atomic.Bool
	draining  atomic.Bool // readiness reports 503 while still serving
	closed    chan struct{}
	closeOnce sync.Once
	// stopping is closed when shutdown begins: subscriptions/listen
	// streams end gracefully.
	stopping chan struct{}
	stopOnce sync.Once
}

// httpState is the Streamable HTTP state of a session.
type httpState struct {
	h      *HTTPHandler
	legacy bool          // a 2024-11-05 HTTP+SSE session
	ls     *legacyStream // its stream
	// active counts in-flight POSTs and open streams; a session with active
	// work is never reaped.
	active atomic.Int32

	mu       sync.Mutex
	attached chan struct{}          // closed when a GET stream attaches; created by waitChannel
	get      *getChannel            // the standalone stream, once a GET opened it
	streams  map[string]*postStream // live POST streams, by stream id
	nextSID  int64
}

// Handler returns an http.Handler serving s with the given options (Addr, Host,
// Port and the TLS fields are ignored: the caller's http.Server owns the
// listener). The handler matches request paths as they reach it: to mount it
// under a prefix, either set opts.BasePath to that prefix, or strip it with
// http.StripPrefix (custom routes then see the stripped path). Close the
// handler when done: it ends the sessions and stops the idle reaper.
func (s *Server) Handler(opts HTTP) *HTTPHandler {
	return s.newHTTPHandler(opts.withDefaults(s))
}

func (s *Server) newHTTPHandler(opts HTTP) *HTTPHandler {
	h := &HTTPHandler{
		srv:      s,
		opts:     opts,
		endpoint: opts.BasePath + opts.Endpoint,
		sessions: map[string]*Session{},
		closed:   make(chan struct{}),
		stopping: make(chan struct{}),
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc(h.endpoint, h.serveEndpoint)
	if !opts.DisableLegacySSE {
		h.mux.HandleFunc(opts.BasePath+"/sse", h.serveLegacySSE)
		h.mux.HandleFunc(opts.BasePath+"/messages", h.serveLegacyMessages)
	}
	s.mountRoutes(h)
	if opts.SessionIdleTimeout > 0 && !opts.Stateless {
		go h.reap()
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.srv.opts.OAuth != nil && strings.HasPrefix(r.URL.Path, "/.well-known/") && h.serveDiscovery(w, r) {
		return
	}
	if !h.opts.Health.Disabled && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		switch r.URL.Path {
		case h.opts.BasePath + h.opts.Health.Path:
			h.serveHealth(w, r)
			return
		case h.opts.BasePath + h.opts.Health.ReadyPath:
			h.serveReady(w, r)
			return
		}
	}
	if !h.checkHostAndOrigin(w, r) {
		return
	}
	if h.applyCORS(w, r) {
		return // preflight answered
	}
	if h.srv.opts.RateLimits != nil && h.isMCPPath(r.URL.Path) && !h.srv.checkHTTPRate(w, r) {
		return
	}
	if h.isMCPPath(r.URL.Path) && h.srv.opts.Authenticate != nil {
		var err error
		r, _, err = h.srv.authenticate(r)
		if err != nil {
			h.srv.writeAuthError(w, err, h.metadataURL(r))
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// isMCPPath reports whether path is served by an MCP transport (as opposed to
// probes and custom routes).
func (h *HTTPHandler) isMCPPath(path string) bool {
	if path == h.endpoint {
		return true
	}
	return !h.opts.DisableLegacySSE && (path == h.opts.BasePath+"/sse" || path == h.opts.BasePath+"/messages")
}

// requestAuth returns the memoized authentication result of r.
func requestAuth(r *http.Request) any {
	if res, ok := r.Context().Value(authKey{}).(*authResult); ok {
		return res.data
	}
	return nil
}

// Close ends every session (cancelling their in-flight requests) and stops the
// handler's background work. Requests arriving afterwards are answered 503.
func (h *HTTPHandler) Close() error {
	h.closeOnce.Do(func() {
		h.shutting.Store(true)
		h.stop()
		close(h.closed)
		h.mu.Lock()
		all := make([]*Session, 0, len(h.sessions))
		for _, sess := range h.sessions {
			all = append(all, sess)
		}
		h.mu.Unlock()
		for _, sess := range all {
			h.endSession(sess, ErrServerShutdown)
		}
		// Background work (OnDisconnect handlers among it) finishes
		// before Close returns, within the shutdown timeout.
		deadline := time.Now().Add(h.opts.ShutdownTimeout)
		for _, sess := range all {
			sess.bg.wait(max(time.Until(deadline), 0))
		}
	})
	return nil
}

// beginShutdown stops accepting new work and closes the long-lived streams, so
// an http.Server can drain the in-flight requests.
func (h *HTTPHandler) beginShutdown() {
	h.shutting.Store(true)
	h.stop()
	h.mu.RLock()
	for _, sess := range h.sessions {
		st := sess.http
		st.mu.Lock()
		if st.get != nil {
			st.get.end()
		}
		if st.ls != nil {
			st.ls.end()
		}
		st.mu.Unlock()
	}
	h.mu.RUnlock()
}

// stop ends the subscriptions/listen streams.
func (h *HTTPHandler) stop() { h.stopOnce.Do(func() { close(h.stopping) }) }

// SessionCount returns the number of live sessions.
func (h *HTTPHandler) SessionCount() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.sessions)
}

func (h *HTTPHandler) lookup(id string) *Session {
	h.mu.RLock()
	sess := h.sessions[id]
	h.mu.RUnlock()
	return sess
}

// endSession ends a session for cause and forgets it.
func (h *HTTPHandler) endSession(sess *Session, cause error) {
	h.mu.Lock()
	if h.sessions[sess.id] == sess {
		delete(h.sessions, sess.id)
	}
	h.mu.Unlock()
	st := sess.http
	st.mu.Lock()
	if st.get != nil {
		st.get.end()
	}
	st.mu.Unlock()
	sess.close(cause)
	if es := h.opts.EventStore; es != nil {
		_ = es.SessionClosed(context.Background(), sess.id)
	}
}

// reap ends sessions idle for longer than SessionIdleTimeout.
func (h *HTTPHandler) reap() {
	idle := h.opts.SessionIdleTimeout
	period := min(max(idle/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-h.closed:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-idle).UnixNano()
		var stale []*Session
		h.mu.RLock()
		for _, sess := range h.sessions {
			if sess.http.active.Load() == 0 && sess.lastActive.Load() < cutoff {
				stale = append(stale, sess)
			}
		}
		h.mu.RUnlock()
		for _, sess := range stale {
			h.srv.logger.Debug("fastmcp: ending idle session", "session", sess.id)
			h.endSession(sess, ErrSessionIdle)
		}
	}
}

// admit registers a new session, making room under MaxSessions by ending the
// longest-idle session without active work. It reports false when the server
// is full.
func (h *HTTPHandler) admit(sess *Session) bool {
	for {
		h.mu.Lock()
		if h.opts.MaxSessions < 0 || len(h.sessions) < h.opts.MaxSessions {
			h.sessions[sess.id] = sess
			h.mu.Unlock()
			return true
		}
		var oldest *Session
		for _, s := range h.sessions {
			if s.http.active.Load() == 0 && (oldest == nil || s.lastActive.Load() < oldest.lastActive.Load()) {
				oldest = s
			}
		}
		h.mu.Unlock()
		if oldest == nil {
			return false
		}
		h.srv.logger.Info("fastmcp: session limit reached; ending the longest-idle session", "session", oldest.id, "limit", h.opts.MaxSessions)
		h.endSession(oldest, ErrSessionEvicted)
	}
}

func (h *HTTPHandler) newSession(legacy bool) *Session {
	sess := newSession(h.srv, nil)
	sess.http = &httpState{h: h, legacy: legacy}
	return sess
}

// serveEndpoint serves the Streamable HTTP endpoint.
func (h *HTTPHandler) serveEndpoint(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.servePost(w, r)
	case http.MethodGet, http.MethodDelete:
		// The standalone stream and session termination belong to the
		// handshake era: stateless servers and 2026-07-28 clients have
		// neither.
		if h.opts.Stateless || parseProtocolVersion(r.Header.Get("MCP-Protocol-Version")) >= v20260728 {
			h.methodNotAllowed(w)
			return
		}
		if r.Method == http.MethodGet {
			h.serveGet(w, r)
		} else {
			h.serveDelete(w, r)
		}
	default:
		h.methodNotAllowed(w)
	}
}

func (h *HTTPHandler) methodNotAllowed(w http.ResponseWriter) {
	if h.opts.Stateless {
		w.Header().Set("Allow", "POST, OPTIONS")
	} else {
		w.Header().Set("Allow", "GET, POST, DELETE, OPTIONS")
	}
	writeJSONError(w, http.StatusMethodNotAllowed, nil, CodeInvalidRequest, "Method Not Allowed")
}

// writeJSONError answers with a JSON-RPC error body and an HTTP status.
func writeJSONError(w http.ResponseWriter, status int, id json.RawMessage, code ErrorCode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(jsonrpc.AppendError(nil, id, int64(code), msg, nil))
}

// acceptFlags records what an Accept header admits.
type acceptFlags uint8

const (
	acceptJSON acceptFlags = 1 << iota
	acceptSSE
)

// parseAccept reads the Accept header once, without allocating. An absent
// header admits everything.
func parseAccept(r *http.Request) acceptFlags {
	vals := r.Header["Accept"]
	if len(vals) == 0 {
		return acceptJSON | acceptSSE
	}
	var f acceptFlags
	for _, v := range vals {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "*/*":
				f |= acceptJSON | acceptSSE
			case "application/json", "application/*":
				f |= acceptJSON
			case "text/event-stream", "text/*":
				f |= acceptSSE
			}
		}
	}
	return f
}

// accepts reports whether the Accept header admits the media type.
func accepts(r *http.Request, mediaType string) bool {
	f := parseAccept(r)
	if mediaType == "text/event-stream" {
		return f&acceptSSE != 0
	}
	return f&acceptJSON != 0
}

// isJSONContentType reports whether a Content-Type is application/json,
// with any parameters.
func isJSONContentType(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// requestVersion reads the MCP-Protocol-Version header. ok is false when the
// header names a revision this server does not serve over this transport.
func requestVersion(r *http.Request) (v protocolVersion, present, ok bool) {
	pv := r.Header.Get("MCP-Protocol-Version")
	if pv == "" {
		return vUnknown, false, true
	}
	v = parseProtocolVersion(pv)
	return v, true, v != vUnknown && v < v20260728
}

// readBody reads the request body within MaxBodyBytes. The bytes are the
// request's own: decoded messages alias them while they are served.
func (h *HTTPHandler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if n := r.ContentLength; n >= 0 && n <= h.opts.MaxBodyBytes {
		// The common case: read exactly the declared length.
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			writeJSONError(w, http.StatusBadRequest, nil, CodeParseError, "Could not read the request body")
			return nil, false
		}
		return body, true
	}
	n := r.ContentLength
	if n < 0 || n > h.opts.MaxBodyBytes {
		n = 512
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+1))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, nil, CodeInvalidRequest,
				fmt.Sprintf("Request body too large: the limit is %d bytes", h.opts.MaxBodyBytes))
		} else {
			writeJSONError(w, http.StatusBadRequest, nil, CodeParseError, "Could not read the request body")
		}
		return nil, false
	}
	return buf.Bytes(), true
}

// servePost serves a POST to the endpoint: one JSON-RPC message or a batch.
func (h *HTTPHandler) servePost(w http.ResponseWriter, r *http.Request) {
	if h.shutting.Load() {
		writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server is shutting down")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		writeJSONError(w, http.StatusUnsupportedMediaType, nil, CodeInvalidRequest, "Unsupported Media Type: Content-Type must be application/json")
		return
	}
	accept := parseAccept(r)
	if accept == 0 {
		writeJSONError(w, http.StatusNotAcceptable, nil, CodeInvalidRequest, "Not Acceptable: the client must accept application/json and text/event-stream")
		return
	}
	// The era: a 2026-07-28 header, or a body with the 2026-07-28 _meta
	// and no legacy header, selects the sessionless revision.
	pv := r.Header.Get("MCP-Protocol-Version")
	hv := parseProtocolVersion(pv)
	legacyHeader := hv != vUnknown && hv < v20260728
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if jsonrpc.IsBatch(body) {
		if !legacyHeader && pv != "" {
			h.rejectVersion(w, pv, hv)
			return
		}
		h.serveBatchPost(w, r, body, hv, pv != "", accept)
		return
	}
	var m jsonrpc.Message
	if err := jsonrpc.Decode(body, &m); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(decodeFailure(err))
		return
	}
	if legacyHeader && r.Header.Get("Mcp-Session-Id") == "" && m.Method != "initialize" {
		// A request naming a handshake-era version without a session:
		// with the 2026-07-28 _meta, it asks for that version without
		// the handshake, which the modern path refuses helpfully.
		if _, found := metaVersion(m.Params); found {
			h.serveModern(w, r, &m, accept)
			return
		}
	}
	if !legacyHeader {
		modern := hv == v20260728
		if !modern {
			// No header (a pre-2025-06-18 client, or a malformed
			// modern request) or an unknown one: the body decides.
			if _, found := metaVersion(m.Params); found && (pv != "" || r.Header.Get("Mcp-Session-Id") == "") {
				modern = true
			}
		}
		if modern {
			h.serveModern(w, r, &m, accept)
			return
		}
		if pv != "" {
			h.rejectVersion(w, pv, hv)
			return
		}
	}
	version, hasVersion := hv, legacyHeader
	if m.IsRequest() && m.Method == "initialize" {
		h.serveInitialize(w, r, &m)
		return
	}
	sess, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	if sess != nil && !hasVersion {
		version = sess.protocol()
	} else if !hasVersion {
		version = v20250326 // the specification's assumption without the header
	}

	if !m.IsRequest() {
		if m.IsNotification() {
			h.srv.handleNotification(sess, &m)
		} else if sess != nil {
			sess.deliver(&m)
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	h.serveRequest(w, r, sess, &m, version, accept)
}

// rejectVersion answers a request whose MCP-Protocol-Version header names a
// revision this server does not serve.
func (h *HTTPHandler) rejectVersion(w http.ResponseWriter, pv string, hv protocolVersion) {
	msg := "Bad Request: unsupported MCP-Protocol-Version " + strconv.Quote(pv) + "; supported: " + strings.Join(SupportedProtocolVersions(), ", ")
	if hv == v20260728 {
		msg = "Bad Request: JSON-RPC batches are not supported in protocol version " + pv
	}
	writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest, msg)
}

// serveModern serves a 2026-07-28 POST: sessionless, with the request's own
// protocol fields, after checking its metadata headers against the body. The
// request's context is the POST's: closing the stream cancels it.
func (h *HTTPHandler) serveModern(w http.ResponseWriter, hr *http.Request, m *jsonrpc.Message, accept acceptFlags) {
	if !m.IsRequest() {
		if m.IsNotification() {
			// The revision defines no client notifications over HTTP
			// (closing a stream cancels its request): accepted, ignored.
			w.WriteHeader(http.StatusAccepted)
			return
		}
		writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest,
			"Bad Request: protocol version "+ProtocolVersion20260728+" has no server-to-client requests to answer")
		return
	}
	r := &request{id: m.ID, method: m.Method, params: m.Params, version: v20260728, modern: true,
		auth: requestAuth(hr), hasAuth: true, stop: h.stopping}
	// Required _meta fields first (-32602), then the headers against the
	// body (-32020), then the version (-32022).
	perr := r.prepareModern()
	if perr == nil || !r.metaInvalid {
		if herr := h.checkModernHeaders(hr, r); herr != nil {
			perr = herr
		}
	}
	if perr != nil {
		status := modernHTTPStatus(perr.Code, r.metaInvalid)
		writeJSON(w, appendWireError(nil, m.ID, perr), "", status)
		return
	}
	ps := &postStream{h: h, w: w, version: v20260728,
		allowSSE: !h.opts.JSONResponse && accept&acceptSSE != 0,
		sseOnly:  accept == acceptSSE}
	r.out = ps
	b := getBuf()
	*b = h.srv.serveRequest(hr.Context(), nil, r, *b)
	ps.status = modernHTTPStatus(r.errCode, r.metaInvalid)
	ps.finish(*b)
	putBuf(b)
}

// sessionFor finds the session of a non-initialize POST. It answers the
// request itself (and returns ok false) when the session is missing or unknown.
// In stateless mode it returns a nil session.
func (h *HTTPHandler) sessionFor(w http.ResponseWriter, r *http.Request) (*Session, bool) {
	if h.opts.Stateless {
		return nil, true
	}
	id := r.Header.Get("Mcp-Session-Id")
	if id == "" {
		writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest, "Bad Request: Mcp-Session-Id header is required (send initialize first)")
		return nil, false
	}
	sess := h.lookup(id)
	if sess == nil || sess.http.legacy {
		writeJSONError(w, http.StatusNotFound, nil, CodeSessionNotFound, "Session not found")
		return nil, false
	}
	if h.srv.opts.Authenticate != nil {
		// The session is its owner's: another principal's credentials
		// are refused, a refreshed credential updates it.
		if err := sess.checkAuth(requestAuth(r)); err != nil {
			h.srv.writeAuthError(w, err, h.metadataURL(r))
			return nil, false
		}
	}
	return sess, true
}

// serveInitialize starts a session (or, when stateless, answers initialize
// without one). The session takes its place under MaxSessions first, so a
// client turned away never counts as connected.
func (h *HTTPHandler) serveInitialize(w http.ResponseWriter, r *http.Request, m *jsonrpc.Message) {
	sess := h.newSession(false)
	if h.opts.Stateless {
		sess.ephemeral = true
	} else if !h.admit(sess) {
		sess.ephemeral = true
		sess.close(ErrSessionClosed)
		writeJSONError(w, http.StatusServiceUnavailable, m.ID, CodeInternalError,
			fmt.Sprintf("Service Unavailable: the server has reached its limit of %d sessions; try again later", h.opts.MaxSessions))
		return
	}
	ps := &postStream{h: h, w: w, allowSSE: false}
	b := getBuf()
	defer putBuf(b)
	req := &request{id: m.ID, method: m.Method, params: m.Params, out: ps, auth: requestAuth(r), hasAuth: true}
	*b = h.srv.serveRequest(r.Context(), sess, req, *b)
	if sess.protocol() == vUnknown || h.opts.Stateless {
		// initialize failed, or there are no sessions: nothing to keep.
		sess.ephemeral = true
		h.endSession(sess, ErrSessionClosed)
		writeJSON(w, *b, "")
		return
	}
	h.srv.addSession(sess)
	writeJSON(w, *b, sess.id)
}

// writeJSON answers with a JSON body and status (200 when 0).
func writeJSON(w http.ResponseWriter, body []byte, sessionID string, status ...int) {
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	if sessionID != "" {
		hdr["Mcp-Session-Id"] = []string{sessionID}
	}
	code := http.StatusOK
	if len(status) > 0 && status[0] != 0 {
		code = status[0]
	}
	w.WriteHeader(code)
	w.Write(body)
}

var (
	jsonContentType = []string{"application/json"}
	sseContentType  = []string{"text/event-stream"}
	noCache         = []string{"no-cache"}
)

// serveRequest serves one request of a POST, on the POST's own goroutine.
func (h *HTTPHandler) serveRequest(w http.ResponseWriter, r *http.Request, sess *Session, m *jsonrpc.Message, version protocolVersion, accept acceptFlags) {
	ctx := r.Context()
	if sess != nil {
		// A dropped connection is not a cancellation: the request runs on,
		// and its events wait in the event store for the client to resume.
		ctx = context.WithoutCancel(ctx)
		sess.http.active.Add(1)
		defer sess.http.active.Add(-1)
	}
	ps := &postStream{h: h, sess: sess, w: w, version: version,
		allowSSE: !h.opts.JSONResponse && accept&acceptSSE != 0,
		sseOnly:  accept == acceptSSE}
	req := &request{id: m.ID, method: m.Method, params: m.Params, out: ps, version: version}
	if sess == nil {
		req.auth, req.hasAuth = requestAuth(r), true
	}
	b := getBuf()
	*b = h.srv.serveRequest(ctx, sess, req, *b)
	ps.finish(*b)
	putBuf(b)
}

// serveBatchPost serves a JSON-RPC batch (protocol revision 2025-03-26 only).
func (h *HTTPHandler) serveBatchPost(w http.ResponseWriter, r *http.Request, body []byte, version protocolVersion, hasVersion bool, accept acceptFlags) {
	sess, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	if sess != nil && !hasVersion {
		version = sess.protocol()
	} else if !hasVersion {
		version = v20250326
	}
	if version != v20250326 {
		writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest,
			"Invalid Request: JSON-RPC batches are not supported in protocol version "+version.String()+" (only 2025-03-26 allows them)")
		return
	}
	elems, err := jsonrpc.SplitBatch(body)
	if err != nil || len(elems) == 0 {
		writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest, "Invalid Request: malformed or empty batch")
		return
	}
	ctx := r.Context()
	if sess != nil {
		ctx = context.WithoutCancel(ctx)
		sess.http.active.Add(1)
		defer sess.http.active.Add(-1)
	}
	ps := &postStream{h: h, sess: sess, w: w, version: version,
		allowSSE: !h.opts.JSONResponse && accept&acceptSSE != 0}
	responses := make([][]byte, len(elems))
	var wg sync.WaitGroup
	for i, raw := range elems {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(raw, &m); err != nil {
			responses[i] = decodeFailure(err)
			continue
		}
		switch {
		case m.IsRequest() && m.Method == "initialize":
			responses[i] = jsonrpc.AppendError(nil, m.ID, jsonrpc.CodeInvalidRequest, "initialize must not be part of a batch", nil)
		case m.IsRequest():
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := &request{id: m.ID, method: m.Method, params: m.Params, out: ps, version: version}
				responses[i] = h.srv.serveRequest(ctx, sess, req, nil)
			}()
		case m.IsNotification():
			h.srv.handleNotification(sess, &m)
		default:
			if sess != nil {
				sess.deliver(&m)
			}
		}
	}
	wg.Wait()
	var parts []json.RawMessage
	for _, resp := range responses {
		if len(resp) > 0 {
			parts = append(parts, resp)
		}
	}
	if len(parts) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ps.finishBatch(parts)
}

// serveDelete ends a session at the client's request.
func (h *HTTPHandler) serveDelete(w http.ResponseWriter, r *http.Request) {
	sess, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	h.endSession(sess, ErrSessionDeleted)
	w.WriteHeader(http.StatusOK)
}

// sse writes server-sent events to one HTTP response.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// writeEvent writes one event and flushes it.
func (s sse) writeEvent(id string, data []byte) error {
	bw := s.w
	var b []byte
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "event: message\ndata: "...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	if _, err := bw.Write(data); err != nil {
		return err
	}
	if _, err := bw.Write([]byte("\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}

// writeRaw writes raw SSE lines (a comment, a priming event) and flushes.
func (s sse) writeRaw(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func startSSE(w http.ResponseWriter, sessionID string) sse {
	hdr := w.Header()
	hdr["Content-Type"] = sseContentType
	hdr["Cache-Control"] = noCache
	hdr.Set("X-Accel-Buffering", "no")
	if sessionID != "" {
		hdr["Mcp-Session-Id"] = []string{sessionID}
	}
	w.WriteHeader(http.StatusOK)
	s := sse{w: w, rc: http.NewResponseController(w)}
	_ = s.rc.Flush()
	return s
}

func eventID(streamID string, index int64) string {
	return streamID + "_" + strconv.FormatInt(index, 10)
}

func parseEventID(id string) (streamID string, index int64, ok bool) {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return id[:i], n, true
}

// primingEvent is the first event of a resumable stream (2025-11-25 and later):
// an id to resume from, no data, and the reconnection delay.
func primingEvent(id string) []byte {
	return []byte("id: " + id + "\nretry: 1000\ndata: \n\n")
}

// postStream is the outbound of a request served over a POST. It answers with
// application/json unless a message must go out before the result: then it
// switches the answer to an SSE stream. When the connection drops, events keep
// going to the event store, and a client resuming with GET and Last-Event-ID
// receives them.
type postStream struct {
	h        *HTTPHandler
	sess     *Session
	w        http.ResponseWriter
	version  protocolVersion
	allowSSE bool
	sseOnly  bool // the client does not accept JSON answers
	// status is the HTTP status of a JSON answer (200 when 0): a
	// 2026-07-28 error answers 400 or 404.
	status int

	mu       sync.Mutex
	out      sse
	started  bool // the SSE answer has begun
	finished bool // the final response has been sent
	dead     bool // the POST connection failed
	streamID string
	next     int64 // index of the next event
	resumed  *sse  // a GET connection resuming this stream
	done     chan struct{}
	timer    *time.Timer // keep-alive
}

func (p *postStream) resumable() bool {
	return p.sess != nil && p.h.opts.EventStore != nil
}

// send delivers a message related to the request.
func (p *postStream) send(msg []byte) error {
	if !p.allowSSE {
		// No SSE on this answer: related messages go to the session's GET
		// stream, when there is one.
		if p.sess != nil {
			if out := p.sess.outbound(); out != nil {
				return out.send(msg)
			}
		}
		return fmt.Errorf("%w: this POST is answered with JSON and no GET stream is open", errNoChannel)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return errors.New("fastmcp: the request has already been answered")
	}
	if !p.started {
		p.start()
	}
	return p.event(msg)
}

// start switches the answer to SSE. p.mu is held.
func (p *postStream) start() {
	p.started = true
	sid := ""
	if p.sess != nil {
		sid = p.sess.id
	}
	p.out = startSSE(p.w, sid)
	if p.resumable() {
		st := p.sess.http
		st.mu.Lock()
		st.nextSID++
		p.streamID = "p" + strconv.FormatInt(st.nextSID, 10)
		if st.streams == nil {
			st.streams = map[string]*postStream{}
		}
		st.streams[p.streamID] = p
		st.mu.Unlock()
		p.done = make(chan struct{})
		if p.version >= v20251125 {
			// The priming event gives the client an id to resume from
			// before any message arrives. It takes index 0 and stores
			// nothing.
			id := eventID(p.streamID, p.next)
			p.next++
			if err := p.out.writeRaw(primingEvent(id)); err != nil {
				p.dead = true
			}
		}
	}
	p.armKeepAlive()
}

// event stores and writes one message. p.mu is held.
func (p *postStream) event(msg []byte) error {
	id := ""
	if p.resumable() {
		idx := p.next
		p.next++
		id = eventID(p.streamID, idx)
		if err := p.h.opts.EventStore.Append(context.Background(), p.sess.id, p.streamID, idx, msg); err != nil {
			p.h.srv.logger.Warn("fastmcp: event store append failed", "error", err)
		}
	}
	switch {
	case p.resumed != nil:
		if err := p.resumed.writeEvent(id, msg); err != nil {
			p.resumed = nil
		}
	case !p.dead:
		if err := p.out.writeEvent(id, msg); err != nil {
			p.dead = true
		}
	}
	if p.dead && p.resumed == nil && !p.resumable() {
		return errors.New("fastmcp: the client connection is gone")
	}
	p.armKeepAlive()
	return nil
}

// armKeepAlive (re)starts the keep-alive comment timer. p.mu is held.
func (p *postStream) armKeepAlive() {
	d := p.h.opts.KeepAliveInterval
	if d <= 0 {
		return
	}
	if p.timer != nil {
		p.timer.Reset(d)
		return
	}
	p.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.finished {
			return
		}
		var err error
		switch {
		case p.resumed != nil:
			err = p.resumed.writeRaw([]byte(": keep-alive\n\n"))
		case !p.dead:
			err = p.out.writeRaw([]byte(": keep-alive\n\n"))
		default:
			return
		}
		if err == nil {
			p.timer.Reset(d)
		}
	})
}

// finish sends the final response (empty when the request was cancelled).
func (p *postStream) finish(resp []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
	}
	if !p.started && p.sseOnly && len(resp) > 0 {
		// The client accepts only event streams.
		p.start()
	}
	if !p.started {
		p.finished = true
		if len(resp) == 0 {
			p.w.WriteHeader(http.StatusAccepted)
			return
		}
		writeJSON(p.w, resp, "", p.status)
		return
	}
	if len(resp) > 0 {
		p.event(resp)
	}
	p.finished = true
	if p.streamID != "" {
		st := p.sess.http
		st.mu.Lock()
		delete(st.streams, p.streamID)
		st.mu.Unlock()
		close(p.done)
	}
}

// finishBatch sends the responses of a batch.
func (p *postStream) finishBatch(parts []json.RawMessage) {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		b, _ := json.Marshal(parts)
		p.finish(b)
		return
	}
	p.mu.Lock()
	for _, part := range parts[:len(parts)-1] {
		p.event(part)
	}
	p.mu.Unlock()
	p.finish(parts[len(parts)-1])
}

// waitChannel waits, up to d, until the session has a way to send the client
// messages that belong to no request: over Streamable HTTP, an open GET stream.
func (s *Session) waitChannel(ctx context.Context, d time.Duration) bool {
	st := s.http
	if st == nil || st.legacy {
		return s.outbound() != nil
	}
	// serveGet attaches the connection, then makes it the session's
	// channel, then signals attached: until the channel is set, wait for
	// the signal. (Read before st.mu, so as not to nest the locks.)
	hasOut := s.outbound() != nil
	st.mu.Lock()
	if g := st.get; g != nil {
		g.mu.Lock()
		open := g.conn != nil
		g.mu.Unlock()
		if open && hasOut {
			st.mu.Unlock()
			return true
		}
	}
	if st.attached == nil {
		st.attached = make(chan struct{})
	}
	ch := st.attached
	st.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// getChannel is a session's standalone stream: the outbound for messages that
// belong to no request. It outlives the GET connections that carry it: while
// none is open, messages still get event ids and go to the event store, so a
// client that reconnects with Last-Event-ID receives what it missed, and ids
// never repeat within the session.
type getChannel struct {
	h    *HTTPHandler
	sess *Session

	mu   sync.Mutex
	next int64         // index of the next event
	conn *sse          // the open GET connection, nil when none
	done chan struct{} // closed to end the open connection
}

const getStreamID = "g"

func (g *getChannel) send(msg []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	es := g.h.opts.EventStore
	if g.conn == nil && es == nil {
		return fmt.Errorf("%w: the session has no open GET stream", errNoChannel)
	}
	id := ""
	if es != nil {
		idx := g.next
		g.next++
		id = eventID(getStreamID, idx)
		if err := es.Append(context.Background(), g.sess.id, getStreamID, idx, msg); err != nil {
			g.h.srv.logger.Warn("fastmcp: event store append failed", "error", err)
		}
	}
	if g.conn == nil {
		return nil // stored for a resuming client
	}
	if err := g.conn.writeEvent(id, msg); err != nil {
		g.detachLocked()
		if es == nil {
			return fmt.Errorf("fastmcp: the GET stream failed: %w", err)
		}
	}
	return nil
}

// detachLocked ends the open connection, if any. g.mu is held.
func (g *getChannel) detachLocked() {
	if g.conn != nil {
		g.conn = nil
		close(g.done)
	}
}

// end ends the open connection, if any.
func (g *getChannel) end() {
	g.mu.Lock()
	g.detachLocked()
	g.mu.Unlock()
}

// serveGet opens the standalone SSE stream of a session, or resumes a stream
// with Last-Event-ID.
func (h *HTTPHandler) serveGet(w http.ResponseWriter, r *http.Request) {
	if h.shutting.Load() {
		writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server is shutting down")
		return
	}
	if !accepts(r, "text/event-stream") {
		writeJSONError(w, http.StatusNotAcceptable, nil, CodeInvalidRequest, "Not Acceptable: the client must accept text/event-stream")
		return
	}
	sess, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	sess.touch()
	st := sess.http
	st.active.Add(1)
	defer func() {
		st.active.Add(-1)
		sess.touch()
	}()
	last := r.Header.Get("Last-Event-ID")
	streamID, index, resume := parseEventID(last)
	resume = resume && h.opts.EventStore != nil
	if resume && streamID != getStreamID {
		h.resumePost(w, r, sess, streamID, index)
		return
	}
	st.mu.Lock()
	g := st.get
	if g == nil {
		g = &getChannel{h: h, sess: sess}
		st.get = g
	}
	st.mu.Unlock()

	g.mu.Lock()
	if g.conn != nil {
		g.mu.Unlock()
		writeJSONError(w, http.StatusConflict, nil, CodeInvalidRequest, "Conflict: this session already has an open GET stream")
		return
	}
	out := startSSE(w, sess.id)
	if resume {
		// Replay what the client missed, under the lock so no new message
		// slips between the replay and going live.
		first, events, err := h.opts.EventStore.After(r.Context(), sess.id, getStreamID, index)
		if err != nil {
			h.srv.logger.Info("fastmcp: cannot resume the GET stream faithfully", "session", sess.id, "error", err)
		}
		for i, e := range events {
			if out.writeEvent(eventID(getStreamID, first+int64(i)), e) != nil {
				break
			}
		}
	}
	done := make(chan struct{})
	g.conn, g.done = &out, done
	g.mu.Unlock()
	sess.setOutbound(g)
	st.mu.Lock()
	if st.attached != nil {
		close(st.attached)
		st.attached = nil
	}
	st.mu.Unlock()
	defer func() {
		g.mu.Lock()
		if g.conn == &out {
			g.detachLocked()
		}
		g.mu.Unlock()
	}()
	h.holdStream(r.Context(), sess, done, func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.conn != &out {
			return errors.New("superseded")
		}
		return out.writeRaw([]byte(": keep-alive\n\n"))
	}, true)
}

// holdStream keeps a streaming response open until the client goes away, the
// stream ends, the session ends or the handler closes, writing keep-alive
// comments and, for GET streams with PingInterval set, pinging the client.
func (h *HTTPHandler) holdStream(ctx context.Context, sess *Session, done <-chan struct{}, keepAlive func() error, ping bool) {
	var kaC, pingC <-chan time.Time
	if d := h.opts.KeepAliveInterval; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		kaC = t.C
	}
	if d := h.opts.PingInterval; d > 0 && ping {
		t := time.NewTicker(d)
		defer t.Stop()
		pingC = t.C
	}
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-sess.done:
			return
		case <-h.closed:
			return
		case <-kaC:
			if keepAlive() != nil {
				return
			}
		case <-pingC:
			pctx, cancel := context.WithTimeout(ctx, h.opts.PingInterval)
			err := sess.Ping(pctx)
			cancel()
			if err == nil {
				failures = 0
				continue
			}
			failures++
			h.srv.logger.Warn("fastmcp: ping failed", "session", sess.id, "failures", failures, "error", err)
			if h.opts.PingFailureLimit > 0 && failures >= h.opts.PingFailureLimit {
				h.srv.logger.Warn("fastmcp: ending session after failed pings", "session", sess.id)
				go h.endSession(sess, ErrSessionPingFailed)
				return
			}
		}
	}
}

// resumePost replays a POST stream after the given event index, and if the
// request is still running, delivers its remaining events on this connection.
func (h *HTTPHandler) resumePost(w http.ResponseWriter, r *http.Request, sess *Session, streamID string, index int64) {
	st := sess.http
	st.mu.Lock()
	p := st.streams[streamID]
	st.mu.Unlock()
	out := startSSE(w, sess.id)
	replay := func() bool {
		first, events, err := h.opts.EventStore.After(r.Context(), sess.id, streamID, index)
		if err != nil {
			h.srv.logger.Info("fastmcp: cannot resume the stream faithfully", "stream", streamID, "error", err)
		}
		for i, e := range events {
			if out.writeEvent(eventID(streamID, first+int64(i)), e) != nil {
				return false
			}
		}
		return true
	}
	if p == nil {
		// The request has finished: replay what the store holds.
		replay()
		return
	}
	p.mu.Lock()
	if !replay() {
		p.mu.Unlock()
		return
	}
	finished := p.finished
	if !finished {
		p.resumed = &out
		p.dead = true // the original connection is abandoned
	}
	p.mu.Unlock()
	if finished {
		return
	}
	h.holdStream(r.Context(), sess, p.done, func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.resumed != &out {
			return errors.New("superseded")
		}
		return out.writeRaw([]byte(": keep-alive\n\n"))
	}, false)
	p.mu.Lock()
	if p.resumed == &out {
		p.resumed = nil
	}
	p.mu.Unlock()
}

// readyBody is the JSON body of the readiness endpoint.
type readyBody struct {
	Status   string `json:"status"`
	Mode     string `json:"mode"`
	Sessions int    `json:"sessions"`
}

func (h *HTTPHandler) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(h.opts.Health.Status)
	if r.Method != http.MethodHead {
		io.WriteString(w, h.opts.Health.Body)
	}
}

func (h *HTTPHandler) serveReady(w http.ResponseWriter, r *http.Request) {
	body := readyBody{Status: "ready", Mode: "stateful", Sessions: h.SessionCount()}
	if h.opts.Stateless {
		body.Mode = "stateless"
	}
	status := http.StatusOK
	if h.shutting.Load() || h.draining.Load() {
		status, body.Status = http.StatusServiceUnavailable, "shutting_down"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		json.NewEncoder(w).Encode(body)
	}
}
