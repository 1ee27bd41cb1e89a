package fastmcp

import (
	"context"
	"net/http"
	"sync"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The legacy HTTP+SSE transport of protocol revision 2024-11-05: the client
// opens GET /sse, learns from the first event where to POST its messages
// (/messages?sessionId=...), and receives every response and notification on
// the SSE stream. The session lives as long as that stream.

// legacyStream is the outbound of a legacy session: its SSE stream. Every
// message (responses among them) waits in the stream's queue for the stream's
// own goroutine to write it.
type legacyStream struct {
	h  *HTTPHandler
	hs *httpSession
	q  *outQueue
	// held is closed when the stream's goroutine stops writing.
	held chan struct{}

	mu sync.Mutex
	// abandoned are the ids of requests answered by abandon: their
	// handlers' own responses are dropped.
	abandoned map[string]struct{}
}

func (l *legacyStream) send(msg []byte) error { return l.enqueue(msg, false) }

// enqueue queues msg for the stream. A request's own message (wait set: its
// answer, its progress and log notifications) waits for room in the queue, so
// a handler that sends faster than its client reads is held back; any other
// message (a broadcast) never waits, and a backlog beyond
// HTTP.MaxStreamBacklog ends the session.
func (l *legacyStream) enqueue(msg []byte, wait bool) error {
	l.mu.Lock()
	if l.abandoned != nil {
		var m jsonrpc.Message
		if jsonrpc.Decode(msg, &m) == nil && m.IsResponse() {
			if _, ok := l.abandoned[jsonrpc.CompactID(m.ID)]; ok {
				l.mu.Unlock()
				return nil // answered already, by abandon
			}
		}
	}
	if wait {
		// Not under l.mu: abandon must not wait for a slow client. A
		// request is untracked before its answer is sent, so abandon
		// cannot answer it once it got this far.
		l.mu.Unlock()
		return l.q.pushWait(appendEvent(nil, "", msg))
	}
	err := l.q.push(appendEvent(nil, "", msg))
	l.mu.Unlock()
	if err == errStreamStalled {
		l.h.stalled(l.hs, "its SSE stream's backlog outgrew HTTP.MaxStreamBacklog")
	}
	return err
}

// end stops writing to the stream.
func (l *legacyStream) end() { l.q.close() }

// abandon answers the session's requests still running with a JSON-RPC error
// saying that the server is shutting down; their handlers' own answers, if
// they come, are dropped. It reports whether it queued answers, which the
// stream's goroutine writes when the handler closes (see holdStream).
func (l *legacyStream) abandon() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Under l.mu: a request is untracked before its answer is sent, so
	// those running now answer after this, and are dropped.
	ids := l.hs.sess.peer.running()
	if len(ids) == 0 {
		return false
	}
	if l.abandoned == nil {
		l.abandoned = make(map[string]struct{}, len(ids))
	}
	for _, id := range ids {
		l.abandoned[jsonrpc.CompactID(id)] = struct{}{}
		_ = l.q.push(appendEvent(nil, "", jsonrpc.AppendError(nil, id, int64(CodeInternalError), shutdownMessage, nil)))
	}
	return true
}

// draining reports whether the session has requests in flight: when shutdown
// begins, its stream stays open for their answers.
func (l *legacyStream) draining() bool { return len(l.hs.sess.peer.running()) > 0 }

// serveLegacySSE opens a legacy session and holds its stream.
func (h *HTTPHandler) serveLegacySSE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeJSONError(w, http.StatusMethodNotAllowed, nil, CodeInvalidRequest, "Method Not Allowed")
		return
	}
	if h.opts.Stateless {
		writeJSONError(w, http.StatusNotFound, nil, CodeInvalidRequest, "Not Found: the legacy SSE transport needs sessions, and this server is stateless")
		return
	}
	if h.shutting.Load() {
		serveUnavailable(w)
		return
	}
	hs := h.newSession(true)
	sess := hs.sess
	auth := requestAuth(r)
	sess.auth, sess.lastAuth = auth, auth
	ls := &legacyStream{h: h, hs: hs, q: newOutQueue(h.opts.MaxStreamBacklog), held: make(chan struct{})}
	defer close(ls.held)
	// Once this handler returns, the response must not be written again.
	defer ls.end()
	hs.ls = ls // before admission: endSession may end it from then on
	client := h.clientKey(r, auth)
	if why := h.admit(hs, client); why != admitted {
		sess.close(ErrSessionClosed)
		h.refuseSession(w, why, client)
		return
	}
	if sh := sess.shared; sh != nil {
		// Clustered: POSTs to /messages may reach any replica
		// (streamable_cluster.go).
		if err := sh.createLegacy(r.Context()); err != nil {
			h.endSession(hs, ErrSessionClosed)
			writeStoreError(w, err)
			return
		}
	}
	hs.active.Add(1)
	defer hs.active.Add(-1)
	if h.shutting.Load() {
		h.endSession(hs, ErrServerShutdown) // beginShutdown may not have seen it
		return
	}
	sess.setOutbound(ls)
	h.srv.addSession(sess)
	defer h.endSession(hs, ErrSessionStreamLost)
	out := startSSE(w, "", h.writeTimeout())
	endpoint := h.opts.BasePath + "/messages?sessionId=" + sess.id
	err := out.writeRaw([]byte("event: endpoint\ndata: " + endpoint + "\n\n"))
	if err == nil {
		err = h.holdStream(r.Context(), sess, ls.q, out.writeFrames, func() error { return out.writeRaw(keepAliveComment) }, nil, true, ls.draining)
	}
	if err != nil && isStall(err) {
		h.stalled(hs, "a write to its SSE stream outlasted HTTP.StreamWriteTimeout")
	}
}

// serveLegacyMessages accepts a message for a legacy session; the answer goes
// out on the session's SSE stream.
func (h *HTTPHandler) serveLegacyMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSONError(w, http.StatusMethodNotAllowed, nil, CodeInvalidRequest, "Method Not Allowed")
		return
	}
	hs := h.lookup(r.URL.Query().Get("sessionId"))
	if hs == nil && h.srv.cluster != nil && h.forwardLegacy(w, r) {
		return // clustered: served by the replica holding the stream (streamable_cluster.go)
	}
	if hs == nil || !hs.legacy || hs.sess.outbound() == nil {
		writeJSONError(w, http.StatusNotFound, nil, CodeSessionNotFound, "Session not found")
		return
	}
	if h.srv.opts.Authenticate != nil {
		if err := hs.sess.checkAuth(requestAuth(r)); err != nil {
			h.srv.writeAuthError(w, err, h.metadataURL(r))
			return
		}
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	c := &legacyConn{h: h, hs: hs, r: r, w: w, inPost: true}
	// Requests are answered on the stream after the POST is: they outlive it.
	h.srv.serveMessage(context.WithoutCancel(r.Context()), c, body)
	c.mu.Lock()
	c.inPost = false
	refused := c.refused
	c.mu.Unlock()
	if !refused {
		w.WriteHeader(http.StatusAccepted)
	}
}

// legacyConn is the engine's view of one POST of a legacy session (see conn):
// answers go out on the session's SSE stream, except a refusal of the POST's
// message itself, which is the POST's answer.
type legacyConn struct {
	h  *HTTPHandler
	hs *httpSession
	r  *http.Request
	w  http.ResponseWriter

	mu      sync.Mutex
	inPost  bool // serveLegacyMessages has not answered the POST yet
	refused bool // the POST was answered 400
}

func (c *legacyConn) info() connInfo {
	return connInfo{sessionID: true, noModern: true, concurrent: true, streams: true, stop: c.h.stopping,
		transport: TransportSSE, remoteAddr: c.r.RemoteAddr, httpRequest: c.r}
}

// session returns the legacy session; a message other than initialize
// completes its handshake (see HTTPHandler.establish).
func (c *legacyConn) session(init bool) (*Session, bool) {
	if !init {
		c.h.establish(c.hs)
	}
	return c.hs.sess, true
}

func (c *legacyConn) auth() (any, error) { return requestAuth(c.r), nil }

func (c *legacyConn) validate(*request) *Error { return nil }

func (c *legacyConn) send(msg []byte) error {
	out := c.hs.sess.outbound()
	if out == nil {
		return errNoChannel
	}
	if ls, ok := out.(*legacyStream); ok {
		return ls.enqueue(msg, true)
	}
	return out.send(msg)
}

func (c *legacyConn) async(f func()) bool { go f(); return true }

// resumable: a session's requests outlive the POST that carried them.
func (c *legacyConn) resumable() bool { return true }

func (c *legacyConn) reply(resp []byte, a answer) {
	c.mu.Lock()
	if c.inPost && a == badRequest {
		c.refused = true
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusBadRequest)
		c.w.Write(resp)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if len(resp) > 0 {
		_ = c.send(resp)
	}
}
