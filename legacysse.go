package fastmcp

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
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
		writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server is shutting down")
		return
	}
	sess := h.newSession(true)
	sess.auth, sess.lastAuth = requestAuth(r), requestAuth(r)
	if !h.admit(sess) {
		sess.close(ErrSessionClosed)
		writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, "Service Unavailable: the server has reached its session limit; try again later")
		return
	}
	sess.http.active.Add(1)
	defer sess.http.active.Add(-1)
	ls := &legacyStream{out: startSSE(w, ""), done: make(chan struct{})}
	// Once this handler returns, the response must not be written again.
	defer ls.end()
	sess.http.mu.Lock()
	sess.http.ls = ls
	sess.http.mu.Unlock()
	if h.shutting.Load() {
		return // shutdown began meanwhile: beginShutdown did not see ls
	}
	sess.setOutbound(ls)
	h.srv.addSession(sess)
	defer h.endSession(sess, ErrSessionStreamLost)
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
	sess := h.lookup(r.URL.Query().Get("sessionId"))
	if sess == nil || !sess.http.legacy {
		writeJSONError(w, http.StatusNotFound, nil, CodeSessionNotFound, "Session not found")
		return
	}
	if h.srv.opts.Authenticate != nil {
		if err := sess.checkAuth(requestAuth(r)); err != nil {
			h.srv.writeAuthError(w, err, h.metadataURL(r))
			return
		}
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	var m jsonrpc.Message
	if err := jsonrpc.Decode(body, &m); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(decodeFailure(err))
		return
	}
	out := sess.outbound()
	switch {
	case m.IsRequest():
		if out == nil {
			writeJSONError(w, http.StatusNotFound, nil, CodeSessionNotFound, "Session not found")
			return
		}
		if _, modern := metaVersion(m.Params); modern {
			// The 2026-07-28 revision is served over Streamable HTTP
			// only. The error is not one of the revision's own, so a
			// client that speaks both eras falls back to initialize.
			_ = out.send(appendWireError(nil, m.ID, NewError(CodeInvalidRequest,
				"Invalid Request: protocol version %s is not served over the HTTP+SSE transport; initialize a session, or use the Streamable HTTP endpoint", ProtocolVersion20260728)))
			w.WriteHeader(http.StatusAccepted)
			return
		}
		ctx := context.WithoutCancel(r.Context())
		go func() {
			resp := h.srv.handleRequest(ctx, sess, &m, out, nil)
			if len(resp) > 0 {
				_ = out.send(resp)
			}
		}()
	case m.IsNotification():
		h.srv.handleNotification(sess, &m)
	default:
		sess.deliver(&m)
	}
	w.WriteHeader(http.StatusAccepted)
}
