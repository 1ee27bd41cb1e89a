package fastmcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// Streamable HTTP GETs: a session's standalone stream, for messages that
// belong to no request, and the resumption of a stream with Last-Event-ID.

// getChannel is a session's standalone stream: the outbound for messages that
// belong to no request. It outlives the GET connections that carry it: while
// none is open, messages still get event ids and go to the event store, so a
// client that reconnects with Last-Event-ID receives what it missed, and ids
// never repeat within the session. While one is open, messages wait in its
// queue for the GET's own goroutine to write them: a sender (a broadcast to
// every session) never waits on the client.
type getChannel struct {
	h  *HTTPHandler
	hs *httpSession

	mu   sync.Mutex
	next int64     // index of the next event
	q    *outQueue // the open GET connection's queue, nil when none
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
	es := g.h.opts.EventStore
	if g.q == nil && es == nil {
		g.mu.Unlock()
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
	var err error
	if g.q != nil {
		if err = g.q.push(appendEvent(nil, id, msg)); err != nil {
			g.q = nil
		}
	}
	g.mu.Unlock()
	switch {
	case err == errStreamStalled:
		g.h.stalled(g.hs, "its GET stream's backlog outgrew HTTP.MaxStreamBacklog")
		return err
	case err != nil && es == nil:
		return fmt.Errorf("fastmcp: the GET stream failed: %w", err)
	}
	return nil // stored for a resuming client, or queued
}

// detach forgets the open connection's queue q, and closes it.
func (g *getChannel) detach(q *outQueue) {
	g.mu.Lock()
	if g.q == q {
		g.q = nil
	}
	g.mu.Unlock()
	q.close()
}

// end ends the open connection, if any.
func (g *getChannel) end() {
	g.mu.Lock()
	q := g.q
	g.q = nil
	g.mu.Unlock()
	if q != nil {
		q.close()
	}
}

// stalled ends a session whose client stopped reading its own stream (the GET
// or legacy SSE stream), and logs it once.
func (h *HTTPHandler) stalled(hs *httpSession, why string) {
	if !hs.stalled.CompareAndSwap(false, true) {
		return
	}
	h.srv.logger.Warn("fastmcp: ending a session whose client stopped reading its stream", "session", hs.sess.id, "why", why)
	h.endSession(hs, ErrSessionStalled)
}

// writeTimeout is the deadline of each write to a client (0: none).
func (h *HTTPHandler) writeTimeout() time.Duration { return max(h.opts.StreamWriteTimeout, 0) }

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

	q := newOutQueue(h.opts.MaxStreamBacklog)
	var first int64
	var missed [][]byte
	g.mu.Lock()
	if g.q != nil {
		g.mu.Unlock()
		writeJSONError(w, http.StatusConflict, nil, CodeInvalidRequest, "Conflict: this session already has an open GET stream")
		return
	}
	if resume {
		// What the client missed is read under the lock, so that no new
		// message slips between the replay and the queue.
		var err error
		first, missed, err = h.opts.EventStore.After(r.Context(), sess.id, getStreamID, index)
		if err != nil {
			h.srv.logger.Info("fastmcp: cannot resume the GET stream faithfully", "session", sess.id, "error", err)
		}
		if cg != nil {
			cg.replayed = max(index, first+int64(len(missed))-1)
		}
	} else if cg != nil {
		cg.replayed = -1
	}
	g.q = q
	g.mu.Unlock()
	defer g.detach(q)
	sess.setOutbound(g)
	if cg != nil {
		cg.announce() // clustered: every replica learns where the stream is
	}
	out := startSSE(w, sess.id, h.writeTimeout())
	var err error
	if len(missed) > 0 {
		frames := make([][]byte, len(missed))
		for i, e := range missed {
			frames[i] = appendEvent(nil, eventID(getStreamID, first+int64(i)), e)
		}
		err = out.writeFrames(frames)
	}
	if err == nil {
		err = h.holdStream(r.Context(), sess, q, out.writeFrames, func() error { return out.writeRaw(keepAliveComment) }, nil, true, nil)
	}
	if err != nil && isStall(err) {
		h.stalled(st, "a write to its GET stream outlasted HTTP.StreamWriteTimeout")
	}
}

// isStall reports whether a write failed because the client accepted nothing
// before the write deadline. (A client that went away fails writes with
// other errors.)
func isStall(err error) bool {
	return isTimeout(err) || errors.Is(err, os.ErrDeadlineExceeded)
}

// holdStream keeps a streaming response open until the client goes away, the
// stream ends (q or done closes), the session ends or the handler closes. It
// writes what q holds (nil: nothing is queued for this stream) with write,
// keep-alive comments with keepAlive, and, for GET streams with PingInterval
// set, pings the client. When shutdown begins, a stream that carries answers
// (drain set: the legacy SSE stream) stays open while drain reports requests
// in flight; the messages queued when the handler closes are written before
// it ends. It returns the error of a write that failed.
func (h *HTTPHandler) holdStream(ctx context.Context, sess *Session, q *outQueue, write func([][]byte) error, keepAlive func() error, done <-chan struct{}, ping bool, drain func() bool) error {
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
	var wake, qdone, stopping <-chan struct{}
	if q != nil {
		wake, qdone = q.wake, q.done
	}
	if drain != nil {
		stopping = h.stopping
	}
	draining := false
	flush := func() error {
		if q == nil {
			return nil
		}
		if msgs := q.take(); len(msgs) > 0 {
			return write(msgs)
		}
		return nil
	}
	// A ping waits for the client's answer, which this goroutine may have
	// to write (a ping goes out on this very stream): it runs apart, one
	// at a time.
	var pinged chan error
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-qdone:
			select {
			case <-h.closed:
				return flush() // the last answers (HTTPHandler.Close)
			default:
				return nil
			}
		case <-sess.done:
			return nil
		case <-h.closed:
			return flush()
		case <-stopping:
			if !drain() {
				return flush()
			}
			stopping, draining = nil, true
		case <-wake:
			if err := flush(); err != nil {
				return err
			}
			if draining && !drain() {
				return nil
			}
		case <-kaC:
			if err := keepAlive(); err != nil {
				return err
			}
		case <-pingC:
			if pinged != nil {
				continue // the last ping is still waiting
			}
			pinged = make(chan error, 1)
			go func(ch chan<- error) {
				pctx, cancel := context.WithTimeout(ctx, h.opts.PingInterval)
				defer cancel()
				ch <- sess.Ping(pctx)
			}(pinged)
		case err := <-pinged:
			pinged = nil
			if err == nil {
				failures = 0
				continue
			}
			failures++
			h.srv.logger.Warn("fastmcp: ping failed", "session", sess.id, "failures", failures, "error", err)
			if h.opts.PingFailureLimit > 0 && failures >= h.opts.PingFailureLimit {
				h.srv.logger.Warn("fastmcp: ending session after failed pings", "session", sess.id)
				go sess.end(ErrSessionPingFailed)
				return nil
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
	out := startSSE(w, sess.id, h.writeTimeout())
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
	h.holdStream(r.Context(), sess, nil, nil, func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.resumed != &out {
			return errors.New("superseded")
		}
		return out.writeRaw(keepAliveComment)
	}, p.done, false, nil)
	p.mu.Lock()
	if p.resumed == &out {
		p.resumed = nil
	}
	p.mu.Unlock()
}
