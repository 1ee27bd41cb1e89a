package fastmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The HTTP transport: HTTPHandler serves Streamable HTTP (streamable_post.go
// for POSTs, streamable_get.go for the standalone and resumed streams), the
// legacy HTTP+SSE transport (sse_legacy.go), health and readiness, OAuth
// metadata and custom routes. It keeps the sessions it started in its own
// table; the engine knows them only as Sessions.

// HTTPHandler serves a Server over HTTP: Streamable HTTP, legacy HTTP+SSE,
// health and readiness, and custom routes. Get one from Server.Handler; Close it
// when done to end its sessions and background work.
type HTTPHandler struct {
	srv      *Server
	opts     HTTP
	endpoint string
	mux      *http.ServeMux

	// mu guards the table of sessions (see streamable_sessions.go).
	mu       sync.RWMutex
	sessions map[string]*httpSession
	clients  map[clientID]*clientSessions
	halfOpen halfOpenList // sessions in their handshake, oldest first
	// clientLimitLogged: a client reached MaxSessionsPerClient (logged
	// once).
	clientLimitLogged atomic.Bool

	shutting  atomic.Bool
	draining  atomic.Bool // readiness reports 503 while still serving
	closed    chan struct{}
	closeOnce sync.Once
	// posts are the POSTs being served.
	posts postList
	// stopping is closed when shutdown begins: subscriptions/listen
	// streams end gracefully.
	stopping chan struct{}
	stopOnce sync.Once
}

// httpSession is the HTTP transport's state of one session.
type httpSession struct {
	sess   *Session
	legacy bool          // a 2024-11-05 HTTP+SSE session
	ls     *legacyStream // its stream
	// active counts in-flight POSTs and open streams; a session with active
	// work is never reaped.
	active atomic.Int32
	// established: the client completed its handshake (see
	// HTTPHandler.establish).
	established atomic.Bool
	// stalled: the session was ended because its client stopped reading
	// its stream (logged once).
	stalled atomic.Bool

	// Guarded by the handler's mu: the client the session counts for
	// (MaxSessionsPerClient), when it was admitted, and whether it is in
	// the lists of sessions in their handshake.
	client                clientID
	admittedAt            int64
	halfOpen              bool
	allLinks, clientLinks halfOpenLinks

	mu      sync.Mutex
	get     *getChannel            // the standalone stream, once a GET opened it
	streams map[string]*postStream // live POST streams, by stream id
	nextSID int64
}

func (s *Server) newHTTPHandler(opts HTTP) *HTTPHandler {
	h := &HTTPHandler{
		srv:      s,
		opts:     opts,
		endpoint: opts.BasePath + opts.Endpoint,
		sessions: map[string]*httpSession{},
		clients:  map[clientID]*clientSessions{},
		halfOpen: halfOpenList{at: allLinks},
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
	if (opts.SessionIdleTimeout > 0 || opts.HandshakeTimeout > 0) && !opts.Stateless {
		go h.reap()
	}
	if s.cluster != nil {
		s.cluster.attach(h) // clustered: the replica joins (cluster.go)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if h.srv.opts.OAuth != nil && strings.HasPrefix(r.URL.Path, "/.well-known/") {
		// Public documents, open to every origin; but they name the
		// server by its Host, which must be one it answers to.
		if !h.checkHost(w, r, isLoopbackConn(r)) {
			return
		}
		if h.serveDiscovery(w, r) {
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
// handler's background work. The POSTs still being served are answered at
// once with a JSON-RPC error (code -32603) saying that the server is shutting
// down; their handlers' own answers, if they come, are dropped. Requests
// arriving afterwards are answered 503.
//
// Mounted in your own http.Server, call Shutdown with a timeout first, then
// Close, then (if Shutdown timed out) the http.Server's Close: clients whose
// requests outlived the timeout receive that error before their connections
// close.
func (h *HTTPHandler) Close() error {
	h.closeOnce.Do(func() {
		h.shutting.Store(true)
		h.stop()
		var flushing []*legacyStream
		h.mu.RLock()
		for _, hs := range h.sessions {
			if hs.ls != nil && hs.ls.abandon() {
				flushing = append(flushing, hs.ls)
			}
		}
		h.mu.RUnlock()
		close(h.closed) // legacy streams write what abandon queued, and end
		for _, pc := range h.posts.all() {
			pc.abandon()
		}
		// The connections may be closed once Close returns: the legacy
		// streams' last answers must be out by then.
		d := time.Second
		if wt := h.writeTimeout(); wt > 0 {
			d = min(d, wt)
		}
		wait := time.NewTimer(d)
		for _, ls := range flushing {
			select {
			case <-ls.held:
			case <-wait.C:
			}
		}
		wait.Stop()
		h.mu.Lock()
		all := make([]*httpSession, 0, len(h.sessions))
		for _, hs := range h.sessions {
			all = append(all, hs)
		}
		h.mu.Unlock()
		for _, hs := range all {
			h.endSession(hs, ErrServerShutdown)
		}
		// Background work (OnDisconnect handlers among it) finishes
		// before Close returns, within the shutdown timeout.
		deadline := time.Now().Add(h.opts.ShutdownTimeout)
		for _, hs := range all {
			hs.sess.bg.wait(max(time.Until(deadline), 0))
		}
		if c := h.srv.cluster; c != nil {
			c.detach(h) // clustered: the replica leaves (cluster.go)
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
	for _, hs := range h.sessions {
		hs.mu.Lock()
		if hs.get != nil {
			hs.get.end()
		}
		// A legacy stream carries its session's answers: it stays open
		// while requests are in flight (see holdStream).
		hs.mu.Unlock()
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

func (h *HTTPHandler) lookup(id string) *httpSession {
	h.mu.RLock()
	hs := h.sessions[id]
	h.mu.RUnlock()
	return hs
}

// newSession returns a session owned by this handler, not yet admitted.
func (h *HTTPHandler) newSession(legacy bool) *httpSession {
	hs := &httpSession{sess: newSession(h.srv, nil), legacy: legacy}
	hs.sess.transport = TransportStreamableHTTP
	if legacy {
		hs.sess.transport = TransportSSE
	}
	hs.sess.ending = func(cause error) { h.endSession(hs, cause) }
	if h.srv.cluster != nil && !h.opts.Stateless {
		h.share(hs, true) // clustered: linked to its record (streamable_cluster.go)
	}
	return hs
}

// endSession ends a session for cause and forgets it.
func (h *HTTPHandler) endSession(hs *httpSession, cause error) {
	sess := hs.sess
	if sess.shared != nil && sess.shared.keepIdle(cause) {
		return // clustered: idle here, but alive elsewhere (streamable_cluster.go)
	}
	h.mu.Lock()
	h.forgetLocked(hs)
	h.mu.Unlock()
	hs.mu.Lock()
	if hs.get != nil {
		hs.get.end()
	}
	if hs.ls != nil {
		hs.ls.end()
	}
	hs.mu.Unlock()
	sess.close(cause)
	if sess.shared != nil && !sess.shared.ended(cause) {
		return // clustered: the session goes on elsewhere (streamable_cluster.go)
	}
	if es := h.opts.EventStore; es != nil {
		_ = es.SessionClosed(context.Background(), sess.id)
	}
}

// sessionFor finds the session a request names in its Mcp-Session-Id header.
// It answers the request itself (and returns ok false) when the header is
// missing, the session unknown, or the credentials another principal's. In
// stateless mode it returns nil.
func (h *HTTPHandler) sessionFor(w http.ResponseWriter, r *http.Request) (*httpSession, bool) {
	if h.opts.Stateless {
		return nil, true
	}
	id := r.Header.Get("Mcp-Session-Id")
	if id == "" {
		writeJSONError(w, http.StatusBadRequest, nil, CodeInvalidRequest, "Bad Request: Mcp-Session-Id header is required (send initialize first)")
		return nil, false
	}
	hs := h.lookup(id)
	if h.srv.cluster != nil {
		// Clustered: the session may have started on another replica
		// (streamable_cluster.go).
		var ok bool
		if hs, ok = h.sharedSessionFor(w, r, id, hs); !ok {
			return nil, false
		}
	}
	if hs == nil || hs.legacy {
		writeJSONError(w, http.StatusNotFound, nil, CodeSessionNotFound, "Session not found")
		return nil, false
	}
	if h.srv.opts.Authenticate != nil {
		// The session is its owner's: another principal's credentials
		// are refused, a refreshed credential updates it.
		if err := hs.sess.checkAuth(requestAuth(r)); err != nil {
			h.srv.writeAuthError(w, err, h.metadataURL(r))
			return nil, false
		}
	}
	h.establish(hs)
	return hs, true
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

// serveDelete ends a session at the client's request.
func (h *HTTPHandler) serveDelete(w http.ResponseWriter, r *http.Request) {
	hs, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	h.endSession(hs, ErrSessionDeleted)
	w.WriteHeader(http.StatusOK)
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
	} else if err := h.srv.storeHealth(r.Context()); err != nil {
		// The shared store (Options.Store.Health) cannot serve.
		status, body.Status = http.StatusServiceUnavailable, "store_unavailable"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		json.NewEncoder(w).Encode(body)
	}
}

// serveUnavailable answers 503 while the handler shuts down.
func serveUnavailable(w http.ResponseWriter) {
	writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server is shutting down")
}

var _ = io.Discard
var _ = fmt.Sprint
