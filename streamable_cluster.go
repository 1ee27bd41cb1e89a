package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The HTTP side of clustered mode (see cluster.go): sessions that started on
// another replica are loaded from their records, the GET stream may be held
// by any replica while any replica sends on it, a POST stream may be resumed
// on another replica than the one running its request, and a legacy
// session's POSTs are forwarded to the replica holding its stream.

// share links a new session of this handler to the cluster: owner when this
// replica starts it (initialize, or a legacy stream), not when it loads a copy
// of another replica's session.
func (h *HTTPHandler) share(hs *httpSession, owner bool) {
	c := h.srv.cluster
	sh := &sharedSession{c: c, h: h, sess: hs.sess, hs: hs, owner: owner, ttl: max(h.opts.SessionIdleTimeout, 0)}
	if hs.legacy {
		sh.legacy = c.id
	}
	hs.sess.shared = sh
	hs.sess.peer.prefix = c.id
}

// create writes the record of a session this replica started.
func (sh *sharedSession) create(ctx context.Context) error {
	sh.mu.Lock()
	sh.touched = time.Now()
	sh.mu.Unlock()
	return sh.c.sessions.Create(ctx, sh.sess.id, sh.record(), sh.ttl)
}

// recordSession writes the record of the session an initialize started,
// before the client learns its id. When the store fails, the session ends and
// the answer becomes the error (HTTP 503 with Retry-After when the store is
// unavailable).
func (c *postConn) recordSession(hs *httpSession, resp []byte) []byte {
	err := hs.sess.shared.create(c.r.Context())
	if err == nil {
		return resp
	}
	c.h.srv.logger.Warn("fastmcp: cluster: recording a new session failed", "session", hs.sess.id, "error", err)
	c.h.endSession(hs, ErrSessionClosed)
	var m jsonrpc.Message
	_ = jsonrpc.Decode(resp, &m)
	status, msg := storeRefusal(err)
	c.ps.status = status
	if status == http.StatusServiceUnavailable {
		c.ps.w.Header().Set("Retry-After", storeRetryAfter)
	}
	return jsonrpc.AppendError(nil, m.ID, int64(CodeInternalError), msg, nil)
}

// storeRetryAfter is the Retry-After of an answer refused because the store
// is unavailable, in seconds.
const storeRetryAfter = "2"

// storeRefusal is the HTTP status and message of a request refused because
// the store failed.
func storeRefusal(err error) (int, string) {
	if errors.Is(err, ErrStoreUnavailable) {
		return http.StatusServiceUnavailable, "Service Unavailable: the shared store is unavailable; retry shortly"
	}
	return http.StatusInternalServerError, "Internal Server Error: the shared store failed"
}

// writeStoreError answers a request that needs the store when the store
// failed: 503 with Retry-After when it is unavailable, else 500.
func writeStoreError(w http.ResponseWriter, err error) {
	status, msg := storeRefusal(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", storeRetryAfter)
	}
	writeJSONError(w, status, nil, CodeInternalError, msg)
}

// sharedSessionFor is sessionFor's clustered part: hs is this replica's copy
// of the session named id, or nil. A copy's record is touched now and then
// (a record found gone ends the copy); a session without a copy is loaded
// from its record. It returns nil (and true) when the session is not found,
// and false when it answered the request itself.
func (h *HTTPHandler) sharedSessionFor(w http.ResponseWriter, r *http.Request, id string, hs *httpSession) (*httpSession, bool) {
	c := h.srv.cluster
	if hs != nil {
		if sh := hs.sess.shared; sh != nil && errors.Is(sh.touch(false), ErrSessionNotFound) {
			if c.storeLost(r.Context()) {
				writeStoreError(w, errStoreLost) // its record is being written back
				return nil, false
			}
			// Deleted or expired while this copy was idle.
			h.endSession(hs, endedElsewhere{ErrSessionClosed})
			return nil, true
		}
		return hs, true
	}
	if h.opts.Stateless {
		return nil, true
	}
	f, err := c.sessions.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrSessionNotFound):
		if c.storeLost(r.Context()) {
			writeStoreError(w, errStoreLost) // it may be among the records being written back
			return nil, false
		}
		return nil, true
	case err != nil:
		writeStoreError(w, err)
		return nil, false
	case f[fieldLegacy] != nil:
		return nil, true // a legacy session: not served here
	}
	auth := requestAuth(r)
	if !h.samePrincipal(f, auth) {
		h.srv.writeAuthError(w, errAuthMismatch, h.metadataURL(r))
		return nil, false
	}
	hs = &httpSession{sess: newSession(h.srv, nil)}
	sess := hs.sess
	sess.id = id
	sess.transport = TransportStreamableHTTP
	sess.ephemeral = true // its events are the owner's
	sess.auth, sess.lastAuth = auth, auth
	// The client listed what was registered then, on the replica that
	// initialized it: this replica's earlier changes are not news to it.
	sess.initSeq.Store(h.srv.lcSeq.Load())
	sess.ending = func(cause error) { h.endSession(hs, cause) }
	h.share(hs, false)
	if err := sess.shared.loadRecord(f); err != nil {
		h.srv.logger.Warn("fastmcp: cluster: unreadable session record", "session", id, "error", err)
		return nil, true
	}
	h.mu.Lock()
	if other := h.sessions[id]; other != nil {
		hs = other // loaded concurrently
	} else {
		h.sessions[id] = hs
	}
	h.mu.Unlock()
	return hs, true
}

// samePrincipal reports whether a request's auth data is of the principal
// bound to a session's record. A session started without credentials is
// anyone's who can name it, as on a single replica.
func (h *HTTPHandler) samePrincipal(f map[string][]byte, auth any) bool {
	if h.srv.opts.Authenticate == nil {
		return true
	}
	p := string(f[fieldPrincipal])
	return p == "" || principalOf(auth) == p
}

// keepIdle reports whether the session this replica started must outlive its
// idleness here: its record still lives, touched by the replicas serving it.
// The copy is then kept, as if active now.
func (sh *sharedSession) keepIdle(cause error) bool {
	if cause != ErrSessionIdle || !sh.owner {
		return false
	}
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if _, err := sh.c.sessions.Get(ctx, sh.sess.id); errors.Is(err, ErrSessionNotFound) {
		return false
	}
	sh.sess.touch()
	return true
}

// ended is called once this replica's copy of the session ended for cause. It
// reports whether the session ended everywhere (its record is then gone).
func (sh *sharedSession) ended(cause error) bool {
	if !endsEverywhere(cause) {
		return false
	}
	sh.endEverywhere(cause)
	return true
}

// holdsStream reports whether this replica holds the session's GET stream (or
// its legacy stream) open.
func (hs *httpSession) holdsStream() bool {
	hs.mu.Lock()
	g, ls := hs.get, hs.ls
	hs.mu.Unlock()
	if ls != nil {
		select {
		case <-ls.held:
			return false
		default:
			return true
		}
	}
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.q != nil
}

// clusterGet is a GET channel's side in clustered mode. Messages that belong
// to no request may be sent by any replica while another holds the stream:
// each is numbered by a counter in the store (so that the stream's event ids
// go on in one sequence whichever replica holds it), stored, and written by
// this replica if it holds the stream, else published on the session's topic,
// to which the replica holding the stream listens.
type clusterGet struct {
	g  *getChannel
	sh *sharedSession
	// sendMu orders this replica's messages: each is numbered, stored and
	// delivered before the next.
	sendMu sync.Mutex

	mu        sync.Mutex
	listeners int    // GETs of this replica listening to the session's topic
	cancel    func() // ends the subscription
	// replayed is the index of the last event a resumed GET connection
	// replayed from the store (-1 when it replayed none): a message that
	// arrives on the topic with an index up to it was already written.
	// Guarded by g.mu.
	replayed int64
}

// getIndexKey is the session state key of the GET stream's event counter.
const getIndexKey = "\x00fastmcp:get-index"

// send sends a message that belongs to no request.
func (cg *clusterGet) send(msg []byte) error {
	g := cg.g
	sid := cg.sh.sess.id
	c := cg.sh.c
	cg.sendMu.Lock()
	defer cg.sendMu.Unlock()
	ctx, cancel := c.ctx()
	defer cancel()
	es := g.h.opts.EventStore
	idx, id := int64(-1), ""
	if es != nil {
		n, err := c.state.Add(ctx, sid, getIndexKey, 1, 0)
		if err != nil {
			return err
		}
		idx = n - 1
		id = eventID(getStreamID, idx)
		if err := es.Append(ctx, sid, getStreamID, idx, msg); err != nil {
			g.h.srv.logger.Warn("fastmcp: event store append failed", "error", err)
		}
	}
	g.mu.Lock()
	if g.q != nil {
		// This replica holds the stream: the message waits in its queue
		// for the GET's goroutine, as on one replica.
		err := g.q.push(appendEvent(nil, id, msg))
		if err != nil {
			g.q = nil
		}
		g.mu.Unlock()
		switch {
		case err == errStreamStalled:
			g.h.stalled(g.hs, "its GET stream's backlog outgrew HTTP.MaxStreamBacklog")
			return err
		case err != nil && es == nil:
			return fmt.Errorf("fastmcp: the GET stream failed: %w", err)
		}
		return nil
	}
	g.mu.Unlock()
	return c.publish(ctx, sessionTopic(sid), &envelope{T: "ev", S: sid, I: idx, M: msg})
}

// receive writes a message another replica sent on the stream, if this
// replica holds it.
func (cg *clusterGet) receive(b []byte) {
	var e envelope
	if json.Unmarshal(b, &e) != nil || e.T != "ev" {
		return
	}
	g := cg.g
	g.mu.Lock()
	if g.q == nil || (e.I >= 0 && e.I <= cg.replayed) {
		g.mu.Unlock()
		return
	}
	id := ""
	if e.I >= 0 {
		id = eventID(getStreamID, e.I)
	}
	err := g.q.push(appendEvent(nil, id, e.M))
	if err != nil {
		g.q = nil
	}
	g.mu.Unlock()
	if err == errStreamStalled {
		g.h.stalled(g.hs, "its GET stream's backlog outgrew HTTP.MaxStreamBacklog")
	}
}

// listen subscribes this replica to the session's topic, for a GET about to
// open: before it replays what its client missed, so that nothing falls in
// between.
func (cg *clusterGet) listen(ctx context.Context) error {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if cg.listeners == 0 {
		cancel, err := cg.sh.c.bus.Subscribe(ctx, sessionTopic(cg.sh.sess.id), cg.receive)
		if err != nil {
			return err
		}
		cg.cancel = cancel
	}
	cg.listeners++
	return nil
}

// unlisten undoes listen when the GET ends.
func (cg *clusterGet) unlisten() {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if cg.listeners--; cg.listeners == 0 {
		cg.cancel()
		cg.cancel = nil
	}
}

// announce records that this replica holds the session's GET stream.
func (cg *clusterGet) announce() {
	sh := cg.sh
	sh.mu.Lock()
	known := sh.holder == sh.c.id
	sh.holder = sh.c.id
	sh.mu.Unlock()
	if !known {
		sh.setOrLog(fieldGet, []byte(sh.c.id))
	}
}

// createLegacy writes the record of a legacy session whose stream this
// replica holds, so that its POSTs to /messages may reach any replica.
func (sh *sharedSession) createLegacy(ctx context.Context) error { return sh.create(ctx) }

// forwardLegacy serves a POST to /messages for a legacy session this replica
// does not hold: it checks the request as the session's replica would, and
// publishes the message to that replica, which serves it (its answers go on
// the session's stream). It reports false when no legacy session has that id
// (the caller answers 404).
func (h *HTTPHandler) forwardLegacy(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false // the caller answers 405
	}
	c := h.srv.cluster
	id := r.URL.Query().Get("sessionId")
	if id == "" {
		return false
	}
	f, err := c.sessions.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrSessionNotFound):
		return false
	case err != nil:
		writeStoreError(w, err)
		return true
	}
	holder := string(f[fieldLegacy])
	if holder == "" {
		return false
	}
	if !h.samePrincipal(f, requestAuth(r)) {
		h.srv.writeAuthError(w, errAuthMismatch, h.metadataURL(r))
		return true
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return true
	}
	// What the session's replica would refuse as the POST's answer is
	// refused here: it can only answer on the stream.
	var m jsonrpc.Message
	if jsonrpc.IsBatch(body) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, "Invalid Request: the HTTP+SSE transport takes one message per POST", nil))
		return true
	}
	if err := jsonrpc.Decode(body, &m); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(decodeFailure(err))
		return true
	}
	// The headers go along (the session's replica reads them as a POST's),
	// but not the credentials: they were checked here, and the bus is no
	// place for them.
	hdr := r.Header.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		hdr.Del(k)
	}
	if err := c.publish(r.Context(), replicaTopic(holder), &envelope{T: "legacy", S: id, M: body, H: hdr}); err != nil {
		writeStoreError(w, err)
		return true
	}
	w.WriteHeader(http.StatusAccepted)
	return true
}

// serveForwardedLegacy serves a message posted for a legacy session of this
// replica on another replica (forwardLegacy), as if posted here.
func (h *HTTPHandler) serveForwardedLegacy(hs *httpSession, e *envelope) {
	if !hs.legacy || hs.sess.outbound() == nil {
		return
	}
	r, err := http.NewRequest(http.MethodPost, h.opts.BasePath+"/messages?sessionId="+hs.sess.id, nil)
	if err != nil {
		return
	}
	if e.H != nil {
		r.Header = e.H
	}
	// The replica that took the POST checked its principal: the session's
	// own credentials apply.
	ctx := context.WithValue(context.Background(), authKey{}, &authResult{data: hs.sess.Auth()})
	r = r.WithContext(ctx)
	c := &legacyConn{h: h, hs: hs, r: r}
	h.srv.serveMessage(ctx, c, e.M)
}

// streamReplica returns the replica that serves a POST stream of the session
// when it is another one than this, or "".
func streamReplica(st *httpSession, streamID string) string {
	sh := st.sess.shared
	if sh == nil {
		return ""
	}
	_, rid, ok := strings.Cut(streamID, ".")
	if !ok || rid == sh.c.id {
		return ""
	}
	return rid
}

// requestIDs returns the ids of the requests in a POST's body, as a JSON
// array, or nil when it holds none.
func requestIDs(body []byte) []byte {
	var ids [][]byte
	add := func(raw []byte) {
		var m jsonrpc.Message
		if jsonrpc.Decode(raw, &m) == nil && m.IsRequest() {
			ids = append(ids, m.ID)
		}
	}
	if jsonrpc.IsBatch(body) {
		elems, _ := jsonrpc.SplitBatch(body)
		for _, e := range elems {
			add(e)
		}
	} else {
		add(body)
	}
	if len(ids) == 0 {
		return nil
	}
	out := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, id...)
	}
	return append(out, ']')
}

// postCluster is a POST stream's side in clustered mode.
type postCluster struct {
	// body is the POST's message: the ids of the requests whose stream
	// another replica may resume are read from it.
	body []byte
	// tail: another replica resumes the stream; its events go on the bus
	// too. Guarded by the stream's mu.
	tail bool
}

// streamStarted records, in the session's record, the requests whose answer
// a resumable stream carries while they run: a replica resuming the stream
// then knows to wait for them, or to answer for them if this replica dies.
// p.mu is held.
func (p *postStream) streamStarted() {
	ids := requestIDs(p.cl.body)
	if ids == nil {
		return
	}
	sh := p.hs.sess.shared
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if err := sh.c.sessions.Set(ctx, sh.sess.id, fieldReqPrefix+p.streamID, ids); err != nil {
		p.h.srv.logger.Warn("fastmcp: cluster: recording a running request failed", "session", sh.sess.id, "stream", p.streamID, "error", err)
	}
}

// streamFinished records that the stream's requests are answered, and ends
// the tail of a replica resuming it. p.mu is held.
func (p *postStream) streamFinished() {
	sh := p.hs.sess.shared
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if p.cl.tail {
		if err := sh.c.publish(ctx, tailTopic(sh.sess.id, p.streamID), &envelope{T: "done", S: sh.sess.id}); err != nil {
			p.h.srv.logger.Warn("fastmcp: cluster: ending a stream's tail failed", "stream", p.streamID, "error", err)
		}
	}
	if err := sh.c.sessions.Set(ctx, sh.sess.id, fieldReqPrefix+p.streamID, nil); err != nil && !errors.Is(err, ErrSessionNotFound) {
		p.h.srv.logger.Warn("fastmcp: cluster: recording a finished request failed", "session", sh.sess.id, "stream", p.streamID, "error", err)
	}
}

// tailEvent publishes the event just stored (index p.next-1) to the replica
// resuming the stream. p.mu is held.
func (p *postStream) tailEvent(msg []byte) {
	sh := p.hs.sess.shared
	ctx, cancel := sh.c.ctx()
	defer cancel()
	e := &envelope{T: "ev", S: sh.sess.id, I: p.next - 1, M: msg}
	if err := sh.c.publish(ctx, tailTopic(sh.sess.id, p.streamID), e); err != nil {
		p.h.srv.logger.Warn("fastmcp: cluster: publishing a stream's event failed", "stream", p.streamID, "error", err)
	}
}

// tailStream starts publishing the events of one of this replica's POST
// streams after index after, for another replica resuming it; or says it is
// done when the stream's request finished.
func (h *HTTPHandler) tailStream(hs *httpSession, streamID string, after int64) {
	sh := hs.sess.shared
	ctx, cancel := sh.c.ctx()
	defer cancel()
	topic := tailTopic(hs.sess.id, streamID)
	done := func() {
		if err := sh.c.publish(ctx, topic, &envelope{T: "done", S: hs.sess.id}); err != nil {
			h.srv.logger.Warn("fastmcp: cluster: ending a stream's tail failed", "stream", streamID, "error", err)
		}
	}
	hs.mu.Lock()
	p := hs.streams[streamID]
	hs.mu.Unlock()
	if p == nil {
		done()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		done()
		return
	}
	if es := h.opts.EventStore; es != nil {
		first, events, _ := es.After(ctx, hs.sess.id, streamID, after)
		for i, e := range events {
			if err := sh.c.publish(ctx, topic, &envelope{T: "ev", S: hs.sess.id, I: first + int64(i), M: e}); err != nil {
				break
			}
		}
	}
	p.cl.tail = true
}

// stoppedMessage answers a request whose replica died while serving it.
const stoppedMessage = "Internal error: the server handling this request stopped; send it again"

// resumeRemote resumes, on this replica, a POST stream of another replica
// (owner): it replays what the store holds, then, while the request runs
// there, writes the events the owner publishes; if the owner dies first, it
// answers the request with an error saying so, never leaving the client
// waiting.
func (h *HTTPHandler) resumeRemote(w http.ResponseWriter, r *http.Request, st *httpSession, streamID string, index int64, owner string) {
	c := h.srv.cluster
	sess := st.sess
	sid := sess.id
	es := h.opts.EventStore
	// Subscribed before anything is read, so that no event falls between
	// the replay and the tail.
	evs := make(chan envelope, 256)
	cancelSub, err := c.bus.Subscribe(r.Context(), tailTopic(sid, streamID), func(b []byte) {
		var e envelope
		if json.Unmarshal(b, &e) != nil {
			return
		}
		select {
		case evs <- e:
		default: // behind: the store fills the gap
		}
	})
	if err != nil {
		writeStoreError(w, err)
		return
	}
	defer cancelSub()
	out := startSSE(w, sid, h.writeTimeout())
	last := index
	write := func(idx int64, msg []byte) bool {
		if out.writeEvent(eventID(streamID, idx), msg) != nil {
			return false
		}
		last = idx
		return true
	}
	replay := func() bool {
		first, events, err := es.After(r.Context(), sid, streamID, last)
		if err != nil {
			h.srv.logger.Info("fastmcp: cannot resume the stream faithfully", "stream", streamID, "error", err)
		}
		for i, e := range events {
			if !write(first+int64(i), e) {
				return false
			}
		}
		return true
	}
	// running returns the ids of the stream's requests while they run; an
	// unreadable record counts as running (checked again later).
	running := func() (json.RawMessage, bool) {
		f, err := c.sessions.Get(r.Context(), sid)
		if err != nil {
			return nil, !errors.Is(err, ErrSessionNotFound)
		}
		ids := f[fieldReqPrefix+streamID]
		return ids, ids != nil
	}
	dead := func() bool {
		ok, err := c.alive(r.Context(), owner)
		return err == nil && !ok
	}
	stopped := func(ids json.RawMessage) {
		// The owner died: its requests get an answer here, stored so that
		// a later resumption replays it too.
		_ = jsonrpc.ArrayEach(ids, func(id []byte) error {
			msg := jsonrpc.AppendError(nil, id, int64(CodeInternalError), stoppedMessage, nil)
			idx := last + 1
			if err := es.Append(r.Context(), sid, streamID, idx, msg); err != nil {
				h.srv.logger.Warn("fastmcp: event store append failed", "error", err)
			}
			write(idx, msg)
			return nil
		})
		if err := c.sessions.Set(r.Context(), sid, fieldReqPrefix+streamID, nil); err != nil && !errors.Is(err, ErrSessionNotFound) {
			h.srv.logger.Warn("fastmcp: cluster: recording a stopped request failed", "session", sid, "stream", streamID, "error", err)
		}
	}
	if !replay() {
		return
	}
	ids, ok := running()
	if !ok {
		replay() // it may have finished after the first read
		return
	}
	if dead() {
		stopped(ids)
		return
	}
	if err := c.publish(r.Context(), replicaTopic(owner), &envelope{T: "tail", S: sid, F: streamID, I: last}); err != nil {
		h.srv.logger.Warn("fastmcp: cluster: asking for a stream's tail failed", "stream", streamID, "error", err)
	}
	check := time.NewTicker(c.heartbeat)
	defer check.Stop()
	var kaC <-chan time.Time
	if d := h.opts.KeepAliveInterval; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		kaC = t.C
	}
	for {
		select {
		case e := <-evs:
			switch {
			case e.T == "done":
				replay()
				return
			case e.T != "ev" || e.I <= last:
			case e.I == last+1:
				if !write(e.I, e.M) {
					return
				}
			default: // a gap: the events are in the store
				if !replay() {
					return
				}
			}
		case <-check.C:
			ids, ok := running()
			if !ok {
				replay()
				return
			}
			if dead() {
				replay()
				stopped(ids)
				return
			}
		case <-kaC:
			if out.writeRaw(keepAliveComment) != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-sess.done:
			return
		case <-h.closed:
			return
		}
	}
}
