package fastmcp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// outbound carries server-to-client messages to the client: a stdio writer, an
// HTTP response stream. send must be safe for concurrent use; it reports an
// error once the client can no longer be reached.
type outbound interface {
	send(msg []byte) error
}

// errNoChannel is returned when a message has no way to reach the client.
var errNoChannel = errors.New("fastmcp: no open stream to the client")

// Session is one connected client in the handshake era: created when the client
// initializes, ended when it disconnects. Every transport gives sessions an ID:
// over Streamable HTTP it is the Mcp-Session-Id header; over stdio and other
// stream transports it is generated the same way, though it never travels.
//
// Requests served statelessly (stateless HTTP, the 2026-07-28 revision) have no
// Session; Context.Session returns nil for them.
type Session struct {
	srv     *Server
	id      string
	created time.Time
	// lastActive is the time of the last message from the client, in Unix
	// nanoseconds.
	lastActive atomic.Int64
	// initSeq is the server's registry change number when the session was
	// initialized: later changes are notified to it.
	initSeq atomic.Uint64

	mu          sync.Mutex
	initialized bool          // initialize has been answered
	notified    bool          // notifications/initialized has arrived
	ready       bool          // notified, and the initial roots fetched
	readyCh     chan struct{} // closed when ready; created on demand
	readyDone   bool          // the ready event was delivered (or had no handler)
	closed      bool
	closeCause  error
	version     protocolVersion
	clientInfo  Implementation
	clientCaps  ClientCapabilities
	logLevel    LoggingLevel
	// auth is the session's auth data; lastAuth the authenticator's last
	// result, to tell a refreshed credential from UpdateAuth's value.
	auth, lastAuth any
	// stream is the connection state of a stream transport's session
	// (stdio); nil over HTTP.
	stream *streamConn
	roots  []Root
	ev     *sessionEvents
	state  *State
	// progress routes notifications/progress for server-to-client requests
	// to the request waiting for them, by progress token; created on demand.
	progress map[string]chan ProgressParams
	// out carries messages that belong to no request (list_changed,
	// resource updates, session-level requests). nil when there is none.
	out outbound
	// subs is the set of subscribed resource URIs; created on first use.
	subs map[string]struct{}
	// inflight lists the requests being served, so notifications/cancelled
	// can find them. A slice: there are few at a time, and adding one must
	// not allocate.
	inflight []*request
	// pending maps the ids of server-to-client requests to the channel that
	// receives their response; created on first use.
	pending map[string]chan *jsonrpc.Message
	nextID  int64
	done    chan struct{}

	// http is the Streamable HTTP state; nil for other transports.
	http *httpState
	// ephemeral sessions exist only to answer one initialize (stateless
	// HTTP, or one refused for lack of room): they fire no events.
	ephemeral bool
	// bg counts the session's background goroutines (roots fetches, event
	// delivery), so a transport can wait for them when serving ends.
	bg tracker
	// stateMu orders state writes against the clearing at close, so no
	// write can land after the state was cleared.
	stateMu sync.RWMutex

	// Tool metrics.
	toolCalls, toolErrors, execNanos, lastCall atomic.Int64
	active                                     atomic.Int32
}

func newSession(s *Server, out outbound) *Session {
	now := time.Now()
	sess := &Session{srv: s, id: newSessionID(), created: now, out: out, done: make(chan struct{})}
	sess.lastActive.Store(now.UnixNano())
	return sess
}

// newSessionID returns 128 random bits, URL-safe encoded: a session id that
// cannot be guessed, made of visible ASCII as Streamable HTTP requires.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// ProtocolVersion returns the negotiated protocol revision, or "" before
// initialize.
func (s *Session) ProtocolVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version.String()
}

// ClientInfo returns the client's clientInfo from initialize.
func (s *Session) ClientInfo() Implementation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientInfo
}

// ClientCapabilities returns the capabilities the client declared in initialize.
func (s *Session) ClientCapabilities() ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientCaps
}

// LoggingLevel returns the minimum level of log messages sent to the client:
// the level it set with logging/setLevel, or LevelDebug (everything) when it
// set none.
func (s *Session) LoggingLevel() LoggingLevel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logLevel == "" {
		return LevelDebug
	}
	return s.logLevel
}

// IsReady reports whether the session is ready: the client completed the
// handshake (sent notifications/initialized) and, when it supports roots, its
// roots were fetched.
func (s *Session) IsReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// WaitForReady waits until the session is ready (see IsReady), the context
// ends or the session closes.
func (s *Session) WaitForReady(ctx context.Context) error {
	s.mu.Lock()
	if s.ready {
		s.mu.Unlock()
		return nil
	}
	if s.readyCh == nil {
		s.readyCh = make(chan struct{})
	}
	ch := s.readyCh
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-s.done:
		return ErrSessionClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setReady marks the session ready and fires OnReady.
func (s *Session) setReady() {
	s.mu.Lock()
	if s.ready || s.closed {
		s.mu.Unlock()
		return
	}
	s.ready = true
	if s.readyCh != nil {
		close(s.readyCh)
	}
	s.mu.Unlock()
	s.emitReady()
}

// Auth returns the session's auth data (see Authenticator), or nil.
func (s *Session) Auth() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth
}

// UpdateAuth replaces the session's auth data for later requests. It stays
// until UpdateAuth is called again or the client presents credentials that
// authenticate to different data of the same subject (see Identity). Access
// checks are run again, and the client is told which lists changed.
func (s *Session) UpdateAuth(v any) {
	s.mu.Lock()
	before := s.auth
	s.auth = v
	s.mu.Unlock()
	s.srv.authChanged(s, before, v)
}

// Roots returns the client's roots as last fetched: after the handshake and
// after each change the client reports. It is nil when the client has no roots
// capability or Options.DisableRoots is set.
func (s *Session) Roots() []Root {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roots
}

// State returns the session's key/value state (see State).
func (s *Session) State() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		s.state = &State{store: s.srv.stateStore, scope: s.id, sess: s}
	}
	return s.state
}

// Metrics returns the session's tool metrics.
func (s *Session) Metrics() SessionMetrics {
	m := SessionMetrics{
		ToolCalls:        s.toolCalls.Load(),
		ToolErrors:       s.toolErrors.Load(),
		TotalExecution:   time.Duration(s.execNanos.Load()),
		ActiveOperations: int(s.active.Load()),
	}
	if t := s.lastCall.Load(); t != 0 {
		m.LastCall = time.Unix(0, t)
	}
	return m
}

// recordToolCall updates the tool metrics.
func (s *Session) recordToolCall(start time.Time, failed bool) {
	now := time.Now()
	s.toolCalls.Add(1)
	if failed {
		s.toolErrors.Add(1)
	}
	s.execNanos.Add(int64(now.Sub(start)))
	s.lastCall.Store(now.UnixNano())
}

// Close ends the session: in-flight requests are cancelled, server requests
// waiting for the client fail, its state is cleared and OnDisconnect handlers
// run. Over HTTP the client's next request gets 404 and must initialize again.
func (s *Session) Close() error {
	if s.http != nil {
		s.http.h.endSession(s, ErrSessionClosedByServer)
		return nil
	}
	s.close(ErrSessionClosedByServer)
	return nil
}

// CloseCause returns why the session ended, or nil while it is live.
func (s *Session) CloseCause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCause
}

// Reasons a session ends, as Session.CloseCause reports them. Each wraps
// ErrSessionClosed.
var (
	// ErrSessionClosedByServer: Session.Close was called.
	ErrSessionClosedByServer = fmt.Errorf("%w: closed by the server", ErrSessionClosed)
	// ErrSessionDeleted: the client ended the session (HTTP DELETE).
	ErrSessionDeleted = fmt.Errorf("%w: the client ended the session", ErrSessionClosed)
	// ErrSessionIdle: no request and no open stream for HTTP.SessionIdleTimeout.
	ErrSessionIdle = fmt.Errorf("%w: idle for too long", ErrSessionClosed)
	// ErrSessionEvicted: ended to make room under HTTP.MaxSessions.
	ErrSessionEvicted = fmt.Errorf("%w: ended to make room for a new session", ErrSessionClosed)
	// ErrSessionStreamLost: the client's legacy SSE stream closed.
	ErrSessionStreamLost = fmt.Errorf("%w: the client's stream was lost", ErrSessionClosed)
	// ErrServerShutdown: the server shut down.
	ErrServerShutdown = fmt.Errorf("%w: the server shut down", ErrSessionClosed)
	// ErrSessionInputClosed: the client closed its input (stdio end of file).
	ErrSessionInputClosed = fmt.Errorf("%w: the client closed its input", ErrSessionClosed)
	// ErrSessionPingFailed: the client stopped answering pings
	// (HTTP.PingFailureLimit).
	ErrSessionPingFailed = fmt.Errorf("%w: the client stopped answering pings", ErrSessionClosed)
)

// Log sends a log message to the client outside any request, on the session's
// own channel (the GET stream over HTTP), if level is at or above the client's
// logging level. data is any JSON-encodable value. It returns an error when the
// message could not be delivered.
func (s *Session) Log(level LoggingLevel, logger string, data any) error {
	if level.severity() < s.LoggingLevel().severity() {
		return nil
	}
	out := s.outbound()
	if out == nil {
		return fmt.Errorf("%w for log messages", errNoChannel)
	}
	return sendNotification(out, "notifications/message", LoggingMessageParams{Level: level, Logger: logger, Data: data})
}

// ToolsListChanged tells the client its tool list changed
// (notifications/tools/list_changed), for example after access rules that
// depend on the session changed.
func (s *Session) ToolsListChanged() { s.notifyIfReady("notifications/tools/list_changed", nil) }

// ResourcesListChanged tells the client its resource list changed.
func (s *Session) ResourcesListChanged() {
	s.notifyIfReady("notifications/resources/list_changed", nil)
}

// ResourceTemplatesListChanged tells the client its resource template list
// changed (the protocol reports it as a resources list change).
func (s *Session) ResourceTemplatesListChanged() { s.ResourcesListChanged() }

// PromptsListChanged tells the client its prompt list changed.
func (s *Session) PromptsListChanged() { s.notifyIfReady("notifications/prompts/list_changed", nil) }

// ResourceUpdated tells the client that a resource it subscribed to changed;
// it does nothing when the session is not subscribed to uri.
func (s *Session) ResourceUpdated(uri string) {
	if s.subscribed(uri) {
		s.notifyIfReady("notifications/resources/updated", map[string]string{"uri": uri})
	}
}

// NotifyElicitationComplete tells the client that the URL-mode elicitation
// with the given id finished (2025-11-25).
func (s *Session) NotifyElicitationComplete(elicitationID string) {
	s.notifyIfReady("notifications/elicitation/complete", map[string]string{"elicitationId": elicitationID})
}

// CreatedAt returns when the session was created.
func (s *Session) CreatedAt() time.Time { return s.created }

// LastActive returns when the client last sent a message on the session.
func (s *Session) LastActive() time.Time { return time.Unix(0, s.lastActive.Load()) }

// Done returns a channel closed when the session ends.
func (s *Session) Done() <-chan struct{} { return s.done }

// touch records client activity.
func (s *Session) touch() { s.lastActive.Store(time.Now().UnixNano()) }

func (s *Session) protocol() protocolVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// setOutbound replaces the channel for messages that belong to no request.
func (s *Session) setOutbound(out outbound) {
	s.mu.Lock()
	s.out = out
	s.mu.Unlock()
}

func (s *Session) outbound() outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out
}

// notifyIfReady sends a notification that belongs to no request, if the
// session has completed its handshake and has a channel for it.
func (s *Session) notifyIfReady(method string, params any) {
	s.mu.Lock()
	out, ok := s.out, s.notified && !s.closed
	s.mu.Unlock()
	if !ok || out == nil {
		return
	}
	if err := sendNotification(out, method, params); err != nil {
		s.emitError(fmt.Errorf("fastmcp: %s not delivered: %w", method, err))
	}
}

// sendNotification encodes and sends one notification.
func sendNotification(out outbound, method string, params any) error {
	var raw json.RawMessage
	if params != nil {
		var err error
		if raw, err = json.Marshal(params); err != nil {
			return fmt.Errorf("fastmcp: encoding %s: %w", method, err)
		}
	}
	return out.send(jsonrpc.AppendNotification(nil, method, raw))
}

// Ping sends a ping to the client and waits for its answer.
func (s *Session) Ping(ctx context.Context) error {
	_, err := s.request(ctx, nil, "ping", nil, nil)
	return err
}

// request sends a server-to-client request on out (the session's own channel
// when nil) and waits for the response. It gives up when the context ends, the
// session ends, or the timeout passes: opts.Timeout or Options.RequestTimeout
// (reset by each progress report with opts.ResetTimeoutOnProgress, but never
// beyond opts.MaxTotalTimeout). A request given up is cancelled at the client
// with notifications/cancelled.
func (s *Session) request(ctx context.Context, out outbound, method string, params any, opts *RequestOptions) (json.RawMessage, error) {
	if opts == nil {
		opts = &RequestOptions{}
	}
	var raw json.RawMessage
	if params != nil {
		var err error
		if raw, err = json.Marshal(params); err != nil {
			return nil, fmt.Errorf("fastmcp: encoding %s: %w", method, err)
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrSessionClosed
	}
	if out == nil {
		out = s.out
	}
	if out == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w for %s", errNoChannel, method)
	}
	s.nextID++
	id := json.RawMessage(strconv.AppendInt(nil, s.nextID, 10))
	key := string(id)
	ch := make(chan *jsonrpc.Message, 1)
	if s.pending == nil {
		s.pending = make(map[string]chan *jsonrpc.Message)
	}
	s.pending[key] = ch
	var progress chan ProgressParams
	token := ""
	if opts.OnProgress != nil {
		token = `"fastmcp-` + key + `"`
		progress = make(chan ProgressParams, 16)
		if s.progress == nil {
			s.progress = make(map[string]chan ProgressParams)
		}
		s.progress[token] = progress
	}
	s.mu.Unlock()

	forget := func() {
		s.mu.Lock()
		delete(s.pending, key)
		if token != "" {
			delete(s.progress, token)
		}
		s.mu.Unlock()
	}
	if token != "" {
		var err error
		if raw, err = withProgressToken(raw, token); err != nil {
			forget()
			return nil, err
		}
	}
	if err := out.send(jsonrpc.AppendRequest(nil, id, method, raw)); err != nil {
		forget()
		return nil, fmt.Errorf("fastmcp: sending %s: %w", method, err)
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = s.srv.opts.RequestTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var maxTotal <-chan time.Time
	if opts.MaxTotalTimeout > 0 {
		t := time.NewTimer(opts.MaxTotalTimeout)
		defer t.Stop()
		maxTotal = t.C
	}
	giveUp := func(reason string, err error) (json.RawMessage, error) {
		forget()
		_ = sendNotification(out, "notifications/cancelled", map[string]any{"requestId": id, "reason": reason})
		return nil, err
	}
	for {
		select {
		case resp := <-ch:
			forget()
			if resp.Error != nil {
				e := &Error{Code: ErrorCode(resp.Error.Code), Message: resp.Error.Message}
				if resp.Error.Data != nil {
					e.Data = resp.Error.Data
				}
				return nil, e
			}
			return resp.Result, nil
		case p := <-progress:
			opts.OnProgress(Progress{Progress: p.Progress, Total: p.Total, Message: p.Message})
			if opts.ResetTimeoutOnProgress {
				timer.Reset(timeout)
			}
		case <-timer.C:
			return giveUp("request timed out", fmt.Errorf("fastmcp: %s: %w after %v", method, ErrRequestTimeout, timeout))
		case <-maxTotal:
			return giveUp("request timed out", fmt.Errorf("fastmcp: %s: %w (maximum total of %v)", method, ErrRequestTimeout, opts.MaxTotalTimeout))
		case <-ctx.Done():
			return giveUp("request cancelled", fmt.Errorf("fastmcp: %s: %w", method, context.Cause(ctx)))
		case <-s.done:
			forget()
			return nil, ErrSessionClosed
		}
	}
}

// ErrRequestTimeout is wrapped by errors of server-to-client requests that got
// no answer in time.
var ErrRequestTimeout = errors.New("fastmcp: the client did not answer in time")

// withProgressToken adds _meta.progressToken to raw request params.
func withProgressToken(raw json.RawMessage, token string) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("fastmcp: params must be an object to carry a progress token: %w", err)
		}
	}
	meta := map[string]json.RawMessage{}
	if old, ok := m["_meta"]; ok {
		_ = json.Unmarshal(old, &meta)
	}
	meta["progressToken"] = json.RawMessage(token)
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	m["_meta"] = mb
	return json.Marshal(m)
}

// deliverProgress hands a progress notification from the client to the
// server request that asked for it.
func (s *Session) deliverProgress(p ProgressParams) {
	s.mu.Lock()
	ch := s.progress[jsonrpc.CompactID(p.ProgressToken)]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- p:
	default: // the requester is behind; drop rather than block the reader
	}
}

// deliver hands a response from the client to the request waiting for it.
func (s *Session) deliver(m *jsonrpc.Message) {
	key := jsonrpc.CompactID(m.ID)
	s.mu.Lock()
	ch := s.pending[key]
	delete(s.pending, key)
	s.mu.Unlock()
	if ch == nil {
		s.srv.logger.Debug("fastmcp: response to an unknown request", "id", string(m.ID), "session", s.id)
		return
	}
	ch <- m
}

// track registers a request being served, so notifications/cancelled can find it.
func (s *Session) track(r *request) {
	s.mu.Lock()
	s.inflight = append(s.inflight, r)
	s.mu.Unlock()
}

func (s *Session) untrack(r *request) {
	s.mu.Lock()
	for i, x := range s.inflight {
		if x == r {
			last := len(s.inflight) - 1
			s.inflight[i] = s.inflight[last]
			s.inflight[last] = nil
			s.inflight = s.inflight[:last]
			break
		}
	}
	s.mu.Unlock()
}

// cancelRequest cancels the request with the given id, as asked by
// notifications/cancelled. Its response is not sent.
func (s *Session) cancelRequest(id json.RawMessage, reason string) {
	key := jsonrpc.CompactID(id)
	s.mu.Lock()
	var r *request
	for _, x := range s.inflight {
		if jsonrpc.CompactID(x.id) == key {
			r = x
			break
		}
	}
	s.mu.Unlock()
	if r != nil && r.method != "initialize" {
		r.cancelled.Store(true)
		r.cancel(fmt.Errorf("%w: %s", errClientCancelled, reason))
	}
}

var errClientCancelled = errors.New("fastmcp: request cancelled by the client")

// close ends the session for cause: pending server-to-client requests fail
// with ErrSessionClosed, in-flight requests are cancelled, the state is cleared
// and OnDisconnect handlers run. Only the first call has an effect.
func (s *Session) close(cause error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.closeCause = cause
	inflight := s.inflight
	s.inflight = nil
	s.subs = nil
	initialized := s.initialized
	hadState := s.state != nil
	s.mu.Unlock()
	close(s.done)
	for _, r := range inflight {
		r.cancel(cause)
	}
	s.srv.removeSession(s)
	if hadState {
		// Taken for writing: no state write is in progress, and later ones
		// see the session closed.
		s.stateMu.Lock()
		if err := s.srv.stateStore.Clear(context.Background(), s.id); err != nil {
			s.srv.logger.Warn("fastmcp: clearing session state failed", "session", s.id, "error", err)
		}
		s.stateMu.Unlock()
	}
	if initialized {
		s.emitDisconnect()
	}
}

// isClosed reports whether the session has ended.
func (s *Session) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// goBackground runs f on a goroutine the session's transport waits for when
// serving ends.
func (s *Session) goBackground(f func()) {
	s.bg.add()
	go func() {
		defer s.bg.done()
		f()
	}()
}

// tracker counts running goroutines and lets a caller wait for none.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0; nil until first used
}

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.idle)
	}
	t.mu.Unlock()
}

// wait waits until no goroutine runs, or d passes. It reports which.
func (t *tracker) wait(d time.Duration) bool {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return true
	}
	ch := t.idle
	t.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}

// subscribe and unsubscribe maintain the session's resource subscriptions.
func (s *Session) subscribe(uri string) {
	s.mu.Lock()
	if !s.closed {
		if s.subs == nil {
			s.subs = make(map[string]struct{})
		}
		s.subs[uri] = struct{}{}
	}
	s.mu.Unlock()
}

func (s *Session) unsubscribe(uri string) {
	s.mu.Lock()
	delete(s.subs, uri)
	s.mu.Unlock()
}

func (s *Session) subscribed(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.subs[uri]
	return ok
}

// ResourceUpdated tells every client subscribed to uri that the resource
// changed (notifications/resources/updated): handshake-era sessions that sent
// resources/subscribe, and 2026-07-28 clients listening with
// subscriptions/listen and resourceSubscriptions naming uri.
func (s *Server) ResourceUpdated(uri string) {
	s.notifyResourceUpdated(uri)
	s.forEachSession(func(sess *Session) {
		if sess.subscribed(uri) {
			sess.notifyIfReady("notifications/resources/updated", map[string]string{"uri": uri})
		}
	})
}
