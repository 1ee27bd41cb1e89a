package fastmcp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	roots          []Root
	ev             *sessionEvents
	state          *State
	// out carries messages that belong to no request (list_changed,
	// resource updates, session-level requests). nil when there is none;
	// outSet is closed when it is first set (waitOutbound).
	out    outbound
	outSet chan struct{}
	// subs is the set of subscribed resource URIs; created on first use.
	subs map[string]struct{}
	done chan struct{}

	// peer is the session's JSON-RPC state: its requests being served, and
	// the server's requests waiting for its answers.
	peer peer
	// ending, set by the transport that owns the session, ends it there
	// (an HTTP session must also leave the handler's table); nil means
	// close.
	ending func(cause error)
	// ephemeral sessions exist only to answer one initialize (stateless
	// HTTP, or one refused for lack of room): they fire no events.
	ephemeral bool
	// transport names the transport the session came in on.
	transport string
	// shared links the session to its record in clustered mode (cluster.go);
	// nil otherwise.
	shared *sharedSession
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
	sess.peer.limit = s.peerLimit()
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

// Transport names the transport the session came in on: TransportStdio,
// TransportStreamableHTTP or TransportSSE.
func (s *Session) Transport() string { return s.transport }

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
	s.end(ErrSessionClosedByServer)
	return nil
}

// end ends the session for cause through the transport that owns it.
func (s *Session) end(cause error) {
	if s.ending != nil {
		s.ending(cause)
		return
	}
	s.close(cause)
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
	// ErrSessionEvicted: ended, while still in its handshake, to make room
	// under HTTP.MaxSessions or HTTP.MaxSessionsPerClient.
	ErrSessionEvicted = fmt.Errorf("%w: ended to make room for a new session", ErrSessionClosed)
	// ErrSessionHandshakeTimeout: the client did not complete the handshake
	// within HTTP.HandshakeTimeout.
	ErrSessionHandshakeTimeout = fmt.Errorf("%w: the client did not complete the handshake in time", ErrSessionClosed)
	// ErrSessionStalled: the client stopped reading its stream (over HTTP,
	// its GET or legacy SSE stream), whose backlog outgrew
	// HTTP.MaxStreamBacklog or whose writes outlasted
	// HTTP.StreamWriteTimeout.
	ErrSessionStalled = fmt.Errorf("%w: the client stopped reading its stream", ErrSessionClosed)
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
	if out != nil && s.outSet != nil {
		close(s.outSet)
		s.outSet = nil
	}
	s.mu.Unlock()
}

// waitOutbound waits, up to d, until the session has a channel for messages
// that belong to no request (over Streamable HTTP: until the client opens its
// GET stream). It reports whether it has one.
func (s *Session) waitOutbound(ctx context.Context, d time.Duration) bool {
	s.mu.Lock()
	if s.out != nil {
		s.mu.Unlock()
		return true
	}
	if s.outSet == nil {
		s.outSet = make(chan struct{})
	}
	ch := s.outSet
	s.mu.Unlock()
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
// when nil) and waits for the response (see peer.call): Options.RequestTimeout
// bounds the wait unless opts sets a timeout.
func (s *Session) request(ctx context.Context, out outbound, method string, params any, opts *RequestOptions) (json.RawMessage, error) {
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
	s.mu.Unlock()
	if out == nil {
		return nil, fmt.Errorf("%w for %s", errNoChannel, method)
	}
	if f := s.srv.opts.ClientRequestMeta; f != nil && method != "ping" {
		if m := f(ctx); len(m) > 0 {
			var err error
			if raw, err = withMeta(raw, m); err != nil {
				return nil, fmt.Errorf("fastmcp: %s: %w", method, err)
			}
		}
	}
	return s.peer.call(ctx, out, method, raw, opts, s.srv.opts.RequestTimeout, s.done)
}

// deliver hands a response from the client to the request waiting for it.
func (s *Session) deliver(m *jsonrpc.Message) bool { return s.peer.deliver(m) }

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
	s.subs = nil
	initialized := s.initialized
	hadState := s.state != nil
	s.mu.Unlock()
	close(s.done)
	s.peer.cancelAll(cause)
	s.srv.removeSession(s)
	if hadState && s.shared == nil { // clustered: the state outlives this replica's copy (cluster.go)
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
