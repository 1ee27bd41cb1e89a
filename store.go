package fastmcp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Store bundles what the replicas of one server share, so that any replica
// serves any client: the handshake-era sessions, session and handle state, the
// resumable event store, the rate-limit buckets, and a bus that carries
// messages between replicas. Set Options.Store to share them (package
// redisstore provides one on Redis); without it everything stays in the
// process, which is right for a single replica.
//
// A nil field keeps the in-memory default for that part; an explicit
// Options.StateStore, HTTP.EventStore or RateLimits.Limiter wins over the
// Store's.
//
// With both Sessions and Bus set, the server runs as one replica of a
// cluster: a handshake-era session started on one replica is served by
// every replica (each keeps a copy, loaded from the session's record the
// first time a request names it), answers to the server's requests and
// notifications reach the replica that waits for them, change notifications
// reach the replica holding the session's GET stream, a stream may be resumed
// on any replica, and DELETE ends the session everywhere. What stays per
// replica: Server.Sessions lists, and OnConnect and OnDisconnect fire for,
// the sessions this replica started (initialize, or a legacy SSE stream);
// per-session Enable/Disable rules and Session event handlers are the
// copy's own. Set the same Options.Secret on every replica.
type Store struct {
	// Sessions keeps the records of handshake-era sessions.
	Sessions SessionStore
	// State keeps session state (Session.State) and handle state.
	State StateStore
	// Events keeps the events of resumable streams.
	Events EventStore
	// RateLimiter counts the rate limits of Options.RateLimits.
	RateLimiter RateLimiter
	// Bus carries messages between replicas.
	Bus Bus
	// Health, when set, reports whether the store can serve: the readiness
	// endpoint answers 503 while it returns an error, and requests that
	// need the store are answered 503 with Retry-After.
	Health func(ctx context.Context) error
}

// SessionStore keeps the records of handshake-era sessions where every replica
// sees them. A record is a set of named fields (FastMCP encodes their values);
// it expires after the TTL given when it was created or last touched (the
// session idle timeout).
//
// Implementations must be safe for concurrent use, and each method must be
// atomic: a field set on one replica is seen by Get on any other afterwards.
type SessionStore interface {
	// Create stores a new session's fields, expiring after ttl.
	Create(ctx context.Context, id string, fields map[string][]byte, ttl time.Duration) error
	// Get returns every field of the session, or ErrSessionNotFound.
	Get(ctx context.Context, id string) (map[string][]byte, error)
	// Set stores one field of an existing session (ErrSessionNotFound
	// otherwise); a nil value deletes the field.
	Set(ctx context.Context, id, field string, value []byte) error
	// Touch makes the session expire ttl from now (ErrSessionNotFound
	// when it does not exist).
	Touch(ctx context.Context, id string, ttl time.Duration) error
	// Delete removes the session. It reports whether it existed.
	Delete(ctx context.Context, id string) (bool, error)
}

// ErrStoreUnavailable is matched (errors.Is) by the errors of a store that
// cannot serve now (its service is down or too slow): FastMCP answers the
// requests that need it with 503 and Retry-After, and /ready reports not
// ready, until it serves again.
var ErrStoreUnavailable = errors.New("fastmcp: the shared store is unavailable")

// ErrSessionNotFound is returned by a SessionStore for a session it does not
// hold: never created, deleted, or expired.
var ErrSessionNotFound = errors.New("fastmcp: session not found")

// Bus carries messages between the replicas of a server: a message published
// on a topic reaches every subscriber of the topic, on every replica,
// including the publisher's own. Delivery is at most once and in order per
// publisher; a subscriber that is not listening when a message is published
// does not get it.
type Bus interface {
	// Publish sends msg to the topic's subscribers.
	Publish(ctx context.Context, topic string, msg []byte) error
	// Subscribe calls f with each message published on topic from now on,
	// until the returned cancel is called. Calls to f for one subscription
	// are sequential; f must not block for long.
	Subscribe(ctx context.Context, topic string, f func(msg []byte)) (cancel func(), err error)
}

// NewMemorySessionStore returns a SessionStore that keeps sessions in the
// memory of the process. Expired sessions are dropped when read, and by a
// sweep every thousand writes.
func NewMemorySessionStore() SessionStore {
	return &memorySessionStore{sessions: map[string]*memSessionRecord{}}
}

type memorySessionStore struct {
	mu       sync.Mutex
	sessions map[string]*memSessionRecord
	writes   int
}

type memSessionRecord struct {
	fields  map[string][]byte
	expires time.Time
}

func (m *memorySessionStore) live(id string, now time.Time) *memSessionRecord {
	r := m.sessions[id]
	if r != nil && !r.expires.IsZero() && !now.Before(r.expires) {
		delete(m.sessions, id)
		return nil
	}
	return r
}

func (m *memorySessionStore) wrote(now time.Time) {
	m.writes++
	if m.writes%1000 == 0 {
		for id := range m.sessions {
			m.live(id, now)
		}
	}
}

func (m *memorySessionStore) Create(_ context.Context, id string, fields map[string][]byte, ttl time.Duration) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &memSessionRecord{fields: make(map[string][]byte, len(fields))}
	for k, v := range fields {
		r.fields[k] = append([]byte(nil), v...)
	}
	if ttl > 0 {
		r.expires = now.Add(ttl)
	}
	m.sessions[id] = r
	m.wrote(now)
	return nil
}

func (m *memorySessionStore) Get(_ context.Context, id string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.live(id, time.Now())
	if r == nil {
		return nil, ErrSessionNotFound
	}
	out := make(map[string][]byte, len(r.fields))
	for k, v := range r.fields {
		out[k] = append([]byte(nil), v...)
	}
	return out, nil
}

func (m *memorySessionStore) Set(_ context.Context, id, field string, value []byte) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.live(id, now)
	if r == nil {
		return ErrSessionNotFound
	}
	if value == nil {
		delete(r.fields, field)
	} else {
		r.fields[field] = append([]byte(nil), value...)
	}
	m.wrote(now)
	return nil
}

func (m *memorySessionStore) Touch(_ context.Context, id string, ttl time.Duration) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.live(id, now)
	if r == nil {
		return ErrSessionNotFound
	}
	if ttl > 0 {
		r.expires = now.Add(ttl)
	}
	return nil
}

func (m *memorySessionStore) Delete(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.live(id, time.Now())
	delete(m.sessions, id)
	return r != nil, nil
}

// NewMemoryBus returns a Bus within the process: every subscriber is a
// subscriber of this process. Each subscription has its own goroutine and a
// bounded queue of 1024 messages; a subscriber that falls that far behind
// loses the messages that do not fit, as a subscriber of a network bus would.
func NewMemoryBus() Bus {
	return &memoryBus{topics: map[string]map[*memSub]struct{}{}}
}

type memoryBus struct {
	mu     sync.Mutex
	topics map[string]map[*memSub]struct{}
}

type memSub struct {
	ch   chan []byte
	done chan struct{}
}

func (b *memoryBus) Publish(_ context.Context, topic string, msg []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.topics[topic] {
		select {
		case s.ch <- append([]byte(nil), msg...):
		default: // the subscriber is too far behind
		}
	}
	return nil
}

func (b *memoryBus) Subscribe(_ context.Context, topic string, f func(msg []byte)) (func(), error) {
	s := &memSub{ch: make(chan []byte, 1024), done: make(chan struct{})}
	b.mu.Lock()
	if b.topics[topic] == nil {
		b.topics[topic] = map[*memSub]struct{}{}
	}
	b.topics[topic][s] = struct{}{}
	b.mu.Unlock()
	go func() {
		for {
			select {
			case msg := <-s.ch:
				f(msg)
			case <-s.done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.topics[topic], s)
			if len(b.topics[topic]) == 0 {
				delete(b.topics, topic)
			}
			b.mu.Unlock()
			close(s.done)
		})
	}, nil
}

// busTopic names a topic of the server's bus: FastMCP's topics are prefixed
// so that servers sharing a bus (and applications using it) stay apart.
func busTopic(parts ...string) string { return "fastmcp/" + strings.Join(parts, "/") }
