package fastmcp

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// The legacy HTTP+SSE transport of protocol revision 2024-11-05: the client
// opens GET /sse, learns from the first event where to POST its messages
// (/messages?sessionId=...), and receives every response and notification on
// the SSE stream. The session lives as long as that stream.

// legacyStream is the outbound of a legacy session: its SSE stream.
type legacyStream struct {
	mu    sync.Mutex
	out   sse
	ended bool
	done  chan struct{}
}

func (l *legacyStream) send(msg []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return errors.New("fastmcp: the SSE stream has ended")
	}
	if err := l.out.writeEvent("", msg); err != nil {
		l.ended = true
		close(l.done)
		return err
	}
	return nil
}

// end stops writing to the stream.
func (l *legacyStream) end() {
	l.mu.Lock()
	if !l.ended {
		l.ended = true
		close(l.done)
	}
	l.mu.Unlock()
}

func (l *legacyStream) keepAlive() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return errors.New("ended")
	}
	return l.out.writeRaw([]byte(": keep-alive\n\n"))
}

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
	sess.auth, sess.lastAuth = requestAuth(r), requestAuth(r)
	if !h.admit(hs) {
		sess.close(ErrSessionClosed)
		writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server has reached its session limit; try again later")
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
	ls := &legacyStream{out: startSSE(w, ""), done: make(chan struct{})}
	// Once this handler returns, the response must not be written again.
	defer ls.end()
	hs.mu.Lock()
	hs.ls = ls
	hs.mu.Unlock()
	if h.shutting.Load() {
		return // shutdown began meanwhile: beginShutdown did not see ls
	}
	sess.setOutbound(ls)
	h.srv.addSession(sess)
	defer h.endSession(hs, ErrSessionStreamLost)
	endpoint := h.opts.BasePath + "/messages?sessionId=" + sess.id
	ls.mu.Lock()
	err := ls.out.writeRaw([]byte("event: endpoint\ndata: " + endpoint + "\n\n"))
	ls.mu.Unlock()
	if err != nil {
		return
	}
	h.holdStream(r.Context(), sess, ls.done, ls.keepAlive, true)
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

func (c *legacyConn) session(bool) (*Session, bool) { return c.hs.sess, true }

func (c *legacyConn) auth() (any, error) { return requestAuth(c.r), nil }

func (c *legacyConn) validate(*request) *Error { return nil }

func (c *legacyConn) send(msg []byte) error {
	out := c.hs.sess.outbound()
	if out == nil {
		return errNoChannel
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
