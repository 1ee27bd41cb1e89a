package fastmcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Streamable HTTP POSTs: every POST to the endpoint carries one JSON-RPC
// message (or a 2025-03-26 batch), served by the engine through a postConn on
// the POST's own goroutine. The answer is JSON unless the handler sends a
// message before its result: then it becomes an SSE stream (postStream).

// servePost serves a POST to the endpoint.
func (h *HTTPHandler) servePost(w http.ResponseWriter, r *http.Request) {
	if h.shutting.Load() {
		serveUnavailable(w)
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
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	pc := &postConn{h: h, r: r, body: body, version: headerValue(r.Header, "Mcp-Protocol-Version")}
	pc.ps = postStream{h: h, w: w,
		allowSSE: !h.opts.JSONResponse && accept&acceptSSE != 0,
		sseOnly:  accept == acceptSSE}
	if h.srv.cluster != nil {
		pc.ps.cl = &postCluster{body: body} // clustered (streamable_cluster.go)
	}
	h.posts.add(pc)
	// Deferred: a handler that ends its goroutine (runtime.Goexit) ends
	// this one too.
	defer pc.done()
	h.srv.serveMessage(r.Context(), pc, body)
}

// done forgets the POST once it is served.
func (c *postConn) done() {
	c.h.posts.remove(c)
	if c.counted {
		c.ps.hs.active.Add(-1)
		c.ps.hs.sess.touch()
	}
	if hs := c.started; hs != nil && (hs.sess.ephemeral || hs.sess.protocol() == vUnknown) {
		// The session was started for an initialize that failed, or for
		// a stateless answer: nothing to keep.
		hs.sess.ephemeral = true
		c.h.endSession(hs, ErrSessionClosed)
	}
}

// readBody reads the request body within MaxBodyBytes and BodyReadTimeout.
// Memory grows with the bytes that arrive, not with what Content-Length
// announces. The bytes are the request's own: decoded messages alias them
// while they are served.
func (h *HTTPHandler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := h.opts.MaxBodyBytes
	tooLarge := func() ([]byte, bool) {
		writeJSONError(w, http.StatusRequestEntityTooLarge, nil, CodeInvalidRequest,
			fmt.Sprintf("Request body too large: the limit is %d bytes", limit))
		return nil, false
	}
	n := r.ContentLength
	if n > limit {
		return tooLarge()
	}
	if d := h.opts.BodyReadTimeout; d > 0 {
		// Bounds a client that announces a body and sends it slowly, or
		// never. (net/http clears the deadline once the body is read.)
		setReadDeadline(w, time.Now().Add(d))
	}
	const preallocate = 64 << 10
	var body []byte
	var err error
	if n >= 0 && n <= preallocate {
		// The common case: read exactly the declared length.
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			return tooLarge()
		}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			writeJSONError(w, http.StatusRequestTimeout, nil, CodeInvalidRequest,
				fmt.Sprintf("Request Timeout: the body did not arrive within %v", h.opts.BodyReadTimeout))
		} else {
			writeJSONError(w, http.StatusBadRequest, nil, CodeParseError, "Could not read the request body")
		}
		return nil, false
	}
	return body, true
}

// setReadDeadline sets the read deadline of the connection (or HTTP/2
// stream) of w, when it has one.
func setReadDeadline(w http.ResponseWriter, t time.Time) {
	if d, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok {
		_ = d.SetReadDeadline(t)
		return
	}
	if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		_ = http.NewResponseController(w).SetReadDeadline(t)
	}
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// postConn is the engine's view of one POST (see conn).
type postConn struct {
	h *HTTPHandler
	r *http.Request
	// body is the POST's message, read again only to answer it when the
	// server shuts down before it is served (abandon).
	body []byte
	// shard, prev and next link the POST into the handler's list of POSTs
	// being served (postList).
	shard      uint32
	prev, next *postConn
	// ps writes the answer; ps.hs is the POST's session once resolved.
	ps postStream
	// version is the MCP-Protocol-Version header.
	version string
	// resolved: session was asked; counted: the session's active count
	// was raised for this POST.
	resolved, counted bool
	// started is the session this POST's initialize started.
	started *httpSession
}

// headerValue returns the first value of a header given in canonical form,
// without the allocation of canonicalizing the key.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *postConn) info() connInfo {
	return connInfo{
		header:      c.version,
		sessionID:   headerValue(c.r.Header, "Mcp-Session-Id") != "",
		streams:     c.ps.allowSSE,
		stop:        c.h.stopping,
		transport:   TransportStreamableHTTP,
		remoteAddr:  c.r.RemoteAddr,
		httpRequest: c.r,
	}
}

// session resolves the POST's session: a new one for initialize (admitted
// under MaxSessions), else the one its Mcp-Session-Id names; nil when the
// handler is stateless.
func (c *postConn) session(init bool) (*Session, bool) {
	if c.resolved {
		if c.ps.hs == nil {
			return nil, true
		}
		return c.ps.hs.sess, true
	}
	c.resolved = true
	h := c.h
	if hv := parseProtocolVersion(c.version); hv != vUnknown {
		c.ps.version = hv
	} else {
		c.ps.version = v20250326 // the specification's assumption without the header
	}
	if init {
		hs := h.newSession(false)
		c.started = hs
		if h.opts.Stateless {
			hs.sess.ephemeral = true
			return hs.sess, true
		}
		client := h.clientKey(c.r, requestAuth(c.r))
		if why := h.admit(hs, client); why != admitted {
			hs.sess.ephemeral = true
			hs.sess.close(ErrSessionClosed)
			h.refuseSession(c.ps.w, why, client)
			return nil, false
		}
		c.ps.initialized = hs
		return hs.sess, true
	}
	hs, ok := h.sessionFor(c.ps.w, c.r)
	if !ok {
		return nil, false
	}
	if hs == nil {
		return nil, true // stateless
	}
	if c.version == "" {
		c.ps.version = hs.sess.protocol()
	}
	c.ps.hs = hs
	hs.active.Add(1)
	c.counted = true
	hs.sess.touch()
	return hs.sess, true
}

func (c *postConn) auth() (any, error) { return requestAuth(c.r), nil }

// validate checks a 2026-07-28 request's metadata headers against its body.
func (c *postConn) validate(r *request) *Error {
	c.ps.version = v20260728
	return c.h.checkModernHeaders(c.r, r)
}

func (c *postConn) send(msg []byte) error { return c.ps.send(msg) }

func (c *postConn) async(f func()) bool { f(); return true }

// resumable reports whether the POST's answer can still reach the client
// when its connection drops: a session's SSE stream kept in the event store.
func (c *postConn) resumable() bool {
	c.ps.mu.Lock()
	defer c.ps.mu.Unlock()
	return c.ps.started && c.ps.resumable()
}

// goexit prepares the answer for a goroutine that is ending: net/http then
// closes the connection, which the client must not reuse.
func (c *postConn) goexit() {
	c.ps.exiting = true
	if c.r.ProtoMajor == 1 {
		c.ps.w.Header().Set("Connection", "close")
	}
}

func (c *postConn) reply(resp []byte, a answer) {
	switch a {
	case badRequest:
		c.ps.status = http.StatusBadRequest
	case notFound:
		c.ps.status = http.StatusNotFound
	}
	if hs := c.ps.initialized; hs != nil {
		if hs.sess.protocol() != vUnknown && !hs.sess.isClosed() {
			if hs.sess.shared != nil {
				// Clustered: the record is written before the client
				// learns the session (streamable_cluster.go).
				resp = c.recordSession(hs, resp)
			}
			if !hs.sess.isClosed() {
				c.ps.hs = hs
				c.ps.sessionID = hs.sess.id
			}
		}
	}
	c.ps.finish(resp)
}

// writeJSON answers with a JSON body and status (200 when 0). complete sets
// Content-Length, for an answer that must be whole before the handler's
// goroutine ends.
func writeJSON(w http.ResponseWriter, body []byte, sessionID string, status int, complete bool) {
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	if sessionID != "" {
		hdr["Mcp-Session-Id"] = []string{sessionID}
	}
	if complete {
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
	if complete {
		_ = http.NewResponseController(w).Flush()
	}
}

// jsonDeadlineAbove is the size of a JSON answer above which its writing gets
// a deadline: smaller answers fit in net/http's response buffer, which is
// written after the handler returns.
const jsonDeadlineAbove = 2 << 10

var (
	jsonContentType = []string{"application/json"}
	sseContentType  = []string{"text/event-stream"}
	noCache         = []string{"no-cache"}
)

// postStream is the outbound of a request served over a POST. It answers with
// application/json unless a message must go out before the result: then it
// switches the answer to an SSE stream. When the connection drops, events keep
// going to the event store, and a client resuming with GET and Last-Event-ID
// receives them.
type postStream struct {
	h        *HTTPHandler
	hs       *httpSession // the session, nil when sessionless
	w        http.ResponseWriter
	version  protocolVersion
	allowSSE bool
	sseOnly  bool // the client does not accept JSON answers
	// status is the HTTP status of a JSON answer (200 when 0): a
	// 2026-07-28 error answers 400 or 404.
	status int
	// sessionID is sent with a JSON answer: the session an initialize
	// started.
	sessionID string
	// exiting: the answer is written while the serving goroutine ends
	// (runtime.Goexit); it must be complete before net/http drops it.
	exiting bool
	// initialized is the session this POST's initialize started.
	initialized *httpSession
	// cl is the stream's side in clustered mode (streamable_cluster.go);
	// nil otherwise.
	cl *postCluster

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
	return p.hs != nil && p.h.opts.EventStore != nil
}

// send delivers a message related to the request.
func (p *postStream) send(msg []byte) error {
	if !p.allowSSE {
		// No SSE on this answer: related messages go to the session's GET
		// stream, when there is one.
		if p.hs != nil {
			if out := p.hs.sess.outbound(); out != nil {
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
	if p.hs != nil {
		sid = p.hs.sess.id
	}
	p.out = startSSE(p.w, sid, p.h.writeTimeout())
	if p.resumable() {
		st := p.hs
		st.mu.Lock()
		st.nextSID++
		p.streamID = "p" + strconv.FormatInt(st.nextSID, 10)
		if st.sess.shared != nil {
			p.streamID += "." + st.sess.shared.c.id // clustered: names its replica
		}
		if st.streams == nil {
			st.streams = map[string]*postStream{}
		}
		st.streams[p.streamID] = p
		st.mu.Unlock()
		if st.sess.shared != nil {
			p.streamStarted() // clustered: resumable on any replica (streamable_cluster.go)
		}
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
		if err := p.h.opts.EventStore.Append(context.Background(), p.hs.sess.id, p.streamID, idx, msg); err != nil {
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
	if p.cl != nil && p.cl.tail {
		p.tailEvent(msg) // clustered: resumed on another replica (streamable_cluster.go)
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
			err = p.resumed.writeRaw(keepAliveComment)
		case !p.dead:
			err = p.out.writeRaw(keepAliveComment)
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
	if p.finished {
		return // answered already (abandon): the handler's own answer is dropped
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
		if len(resp) > jsonDeadlineAbove {
			// Too large for net/http's buffer: writing it waits for the
			// client to read.
			if d := p.h.writeTimeout(); d > 0 {
				_ = http.NewResponseController(p.w).SetWriteDeadline(time.Now().Add(d))
			}
		}
		writeJSON(p.w, resp, p.sessionID, p.status, p.exiting)
		return
	}
	if len(resp) > 0 {
		p.event(resp)
	}
	p.finished = true
	if p.streamID != "" {
		st := p.hs
		st.mu.Lock()
		delete(st.streams, p.streamID)
		st.mu.Unlock()
		close(p.done)
		if st.sess.shared != nil {
			p.streamFinished() // clustered (streamable_cluster.go)
		}
	}
}

// postList lists the POSTs being served, so that those still running when the
// server stops waiting for them can be answered (HTTPHandler.Close). Every
// POST adds and removes itself: the list is sharded so that they rarely
// contend, and adding allocates nothing.
type postList struct {
	next   atomic.Uint32
	shards [postShards]struct {
		mu   sync.Mutex
		head *postConn
		_    [40]byte // one shard per cache line
	}
}

const postShards = 16

func (l *postList) add(pc *postConn) {
	pc.shard = l.next.Add(1) % postShards
	sh := &l.shards[pc.shard]
	sh.mu.Lock()
	pc.next = sh.head
	if sh.head != nil {
		sh.head.prev = pc
	}
	sh.head = pc
	sh.mu.Unlock()
}

func (l *postList) remove(pc *postConn) {
	sh := &l.shards[pc.shard]
	sh.mu.Lock()
	if pc.prev != nil {
		pc.prev.next = pc.next
	} else {
		sh.head = pc.next
	}
	if pc.next != nil {
		pc.next.prev = pc.prev
	}
	pc.prev, pc.next = nil, nil
	sh.mu.Unlock()
}

// all returns the POSTs being served.
func (l *postList) all() []*postConn {
	var out []*postConn
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for pc := sh.head; pc != nil; pc = pc.next {
			out = append(out, pc)
		}
		sh.mu.Unlock()
	}
	return out
}

// shutdownMessage answers the requests still running when the server stops
// waiting for them.
const shutdownMessage = "Server shutting down: the request did not finish before the shutdown timeout"

// abandon answers the POST, unless it is already answered, with a JSON-RPC
// error saying the server is shutting down: its handler is still running when
// the server stops waiting for it. The handler's own answer, if it comes, is
// then dropped.
func (c *postConn) abandon() {
	p := &c.ps
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	var m jsonrpc.Message
	var resp []byte
	switch {
	case jsonrpc.IsBatch(c.body):
		resp = jsonrpc.AppendError(nil, nil, int64(CodeInternalError), shutdownMessage, nil)
	case jsonrpc.Decode(c.body, &m) == nil && m.IsRequest():
		if m.Method == "subscriptions/listen" {
			return // it ends by itself, with its result, when shutdown begins
		}
		resp = jsonrpc.AppendError(nil, m.ID, int64(CodeInternalError), shutdownMessage, nil)
	}
	if !p.started && p.sseOnly && len(resp) > 0 {
		p.start() // the client accepts only event streams
	}
	p.finished = true
	switch {
	case p.started:
		if len(resp) > 0 {
			p.event(resp)
		}
		if p.timer != nil {
			p.timer.Stop()
		}
		if p.streamID != "" {
			st := p.hs
			st.mu.Lock()
			delete(st.streams, p.streamID)
			st.mu.Unlock()
			close(p.done)
			if st.sess.shared != nil {
				p.streamFinished() // clustered: abandoned (streamable_cluster.go)
			}
		}
	case len(resp) == 0:
		p.w.WriteHeader(http.StatusAccepted)
	default:
		if d := p.h.writeTimeout(); d > 0 {
			_ = http.NewResponseController(p.w).SetWriteDeadline(time.Now().Add(d))
		}
		writeJSON(p.w, resp, "", 0, true)
	}
}
