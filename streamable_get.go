package fastmcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Streamable HTTP GETs: a session's standalone stream, for messages that
// belong to no request, and the resumption of a stream with Last-Event-ID.

// getChannel is a session's standalone stream: the outbound for messages that
// belong to no request. It outlives the GET connections that carry it: while
// none is open, messages still get event ids and go to the event store, so a
// client that reconnects with Last-Event-ID receives what it missed, and ids
// never repeat within the session.
type getChannel struct {
	h  *HTTPHandler
	hs *httpSession

	mu   sync.Mutex
	next int64         // index of the next event
	conn *sse          // the open GET connection, nil when none
	done chan struct{} // closed to end the open connection
}

const getStreamID = "g"

// getChannel returns the session's standalone stream, creating it on first
// use.
func (hs *httpSession) getChannel(h *HTTPHandler) *getChannel {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.get == nil {
		hs.get = &getChannel{h: h, hs: hs}
		if sh := hs.sess.shared; sh != nil {
			sh.get = &clusterGet{g: hs.get, sh: sh} // clustered (streamable_cluster.go)
		}
	}
	return hs.get
}

// cluster returns the channel's side in clustered mode
// (streamable_cluster.go), or nil.
func (g *getChannel) cluster() *clusterGet {
	if sh := g.hs.sess.shared; sh != nil {
		return sh.get
	}
	return nil
}

func (g *getChannel) send(msg []byte) error {
	if cg := g.cluster(); cg != nil {
		return cg.send(msg) // clustered: any replica may hold the stream
	}
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
		if err := es.Append(context.Background(), g.hs.sess.id, getStreamID, idx, msg); err != nil {
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
		serveUnavailable(w)
		return
	}
	if !accepts(r, "text/event-stream") {
		writeJSONError(w, http.StatusNotAcceptable, nil, CodeInvalidRequest, "Not Acceptable: the client must accept text/event-stream")
		return
	}
	st, ok := h.sessionFor(w, r)
	if !ok {
		return
	}
	sess := st.sess
	sess.touch()
	st.active.Add(1)
	defer func() {
		st.active.Add(-1)
		sess.touch()
	}()
	last := r.Header.Get("Last-Event-ID")
	streamID, index, resume := parseEventID(last)
	resume = resume && h.opts.EventStore != nil
	if resume && streamID != getStreamID {
		h.resumePost(w, r, st, streamID, index)
		return
	}
	g := st.getChannel(h)
	cg := g.cluster()
	if cg != nil {
		// Clustered: messages sent on other replicas arrive from now on.
		if err := cg.listen(r.Context()); err != nil {
			writeStoreError(w, err)
			return
		}
		defer cg.unlisten()
	}

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
		if cg != nil {
			cg.replayed = max(index, first+int64(len(events))-1)
		}
	} else if cg != nil {
		cg.replayed = -1
	}
	done := make(chan struct{})
	g.conn, g.done = &out, done
	g.mu.Unlock()
	sess.setOutbound(g)
	if cg != nil {
		cg.announce() // clustered: every replica learns where the stream is
	}
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
				go sess.end(ErrSessionPingFailed)
				return
			}
		}
	}
}

// resumePost replays a POST stream after the given event index, and if the
// request is still running, delivers its remaining events on this connection.
func (h *HTTPHandler) resumePost(w http.ResponseWriter, r *http.Request, st *httpSession, streamID string, index int64) {
	if owner := streamReplica(st, streamID); owner != "" {
		h.resumeRemote(w, r, st, streamID, index, owner) // clustered: another replica's stream
		return
	}
	sess := st.sess
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
