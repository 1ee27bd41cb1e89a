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
	initialized bool // initialize has been answered
	ready       bool // notifications/initialized has arrived
	closed      bool
	version     protocolVersion
	clientInfo  Implementation
	clientCaps  ClientCapabilities
	logLevel    LoggingLevel
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

// IsReady reports whether the client has completed the handshake (sent
// notifications/initialized).
func (s *Session) IsReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
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
	out, ok := s.out, s.ready && !s.closed
	s.mu.Unlock()
	if !ok || out == nil {
		return
	}
	if err := sendNotification(out, method, params); err != nil {
		s.srv.logger.Debug("fastmcp: notification not delivered", "method", method, "session", s.id, "error", err)
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
	_, err := s.request(ctx, nil, "ping", nil)
	return err
}

// request sends a server-to-client request on out (the session's own channel
// when nil) and waits for the response, the context, the session's end or
// Options.RequestTimeout, whichever comes first. A cancelled or timed-out
// request is cancelled at the client with notifications/cancelled.
func (s *Session) request(ctx context.Context, out outbound, method string, params any) (json.RawMessage, error) {
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
	s.mu.Unlock()

	forget := func() {
		s.mu.Lock()
		delete(s.pending, key)
		s.mu.Unlock()
	}
	if err := out.send(jsonrpc.AppendRequest(nil, id, method, raw)); err != nil {
		forget()
		return nil, fmt.Errorf("fastmcp: sending %s: %w", method, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.srv.opts.RequestTimeout)
		defer cancel()
	}
	select {
	case resp := <-ch:
		if resp.Error != nil {
			e := &Error{Code: ErrorCode(resp.Error.Code), Message: resp.Error.Message}
			if resp.Error.Data != nil {
				e.Data = resp.Error.Data
			}
			return nil, e
		}
		return resp.Result, nil
	case <-ctx.Done():
		forget()
		reason := "request cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			reason = "request timed out"
		}
		_ = sendNotification(out, "notifications/cancelled", map[string]any{"requestId": id, "reason": reason})
		return nil, fmt.Errorf("fastmcp: %s: %w", method, context.Cause(ctx))
	case <-s.done:
		return nil, ErrSessionClosed
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

// close ends the session: pending server-to-client requests fail with
// ErrSessionClosed and in-flight requests are cancelled.
func (s *Session) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	inflight := s.inflight
	s.inflight = nil
	s.subs = nil
	s.mu.Unlock()
	close(s.done)
	for _, r := range inflight {
		r.cancel(ErrSessionClosed)
	}
	s.srv.removeSession(s)
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

// ResourceUpdated tells every session subscribed to uri that the resource
// changed (notifications/resources/updated).
func (s *Server) ResourceUpdated(uri string) {
	s.forEachSession(func(sess *Session) {
		if sess.subscribed(uri) {
			sess.notifyIfReady("notifications/resources/updated", map[string]string{"uri": uri})
		}
	})
}
