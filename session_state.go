package fastmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// StateStore holds state by scope (a session id) and key. Values are opaque
// bytes. Implementations must be safe for concurrent use; NewMemoryStateStore
// is the default, and a Redis implementation lets several server replicas
// share state.
type StateStore interface {
	// Get returns the value of key, and false when there is none or it
	// expired.
	Get(ctx context.Context, scope, key string) ([]byte, bool, error)
	// Set stores value under key. A positive ttl makes it expire.
	Set(ctx context.Context, scope, key string, value []byte, ttl time.Duration) error
	// Delete removes key.
	Delete(ctx context.Context, scope, key string) error
	// Add adds delta to the integer stored under key (0 when absent or
	// expired) and returns the sum, atomically. A positive ttl sets the key's
	// expiry when Add creates it.
	Add(ctx context.Context, scope, key string, delta int64, ttl time.Duration) (int64, error)
	// Clear removes every key of the scope.
	Clear(ctx context.Context, scope string) error
}

// NewMemoryStateStore returns a StateStore that keeps state in memory. Expired
// entries are dropped when read and by a sweep each time the store has grown
// by a thousand writes.
func NewMemoryStateStore() StateStore {
	return &memoryStateStore{scopes: map[string]map[string]*memEntry{}}
}

type memoryStateStore struct {
	mu     sync.Mutex
	scopes map[string]map[string]*memEntry
	writes int
}

type memEntry struct {
	value   []byte
	expires time.Time // zero: never
}

func (e *memEntry) expired(now time.Time) bool { return !e.expires.IsZero() && now.After(e.expires) }

func (m *memoryStateStore) Get(_ context.Context, scope, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.scopes[scope][key]
	if e == nil {
		return nil, false, nil
	}
	if e.expired(time.Now()) {
		delete(m.scopes[scope], key)
		return nil, false, nil
	}
	return append([]byte(nil), e.value...), true, nil
}

func (m *memoryStateStore) entries(scope string) map[string]*memEntry {
	s := m.scopes[scope]
	if s == nil {
		s = map[string]*memEntry{}
		m.scopes[scope] = s
	}
	m.writes++
	if m.writes%1000 == 0 {
		m.sweep()
	}
	return s
}

// sweep drops expired entries. m.mu is held.
func (m *memoryStateStore) sweep() {
	now := time.Now()
	for scope, entries := range m.scopes {
		for k, e := range entries {
			if e.expired(now) {
				delete(entries, k)
			}
		}
		if len(entries) == 0 {
			delete(m.scopes, scope)
		}
	}
}

func expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return time.Now().Add(ttl)
}

func (m *memoryStateStore) Set(_ context.Context, scope, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries(scope)[key] = &memEntry{value: append([]byte(nil), value...), expires: expiry(ttl)}
	return nil
}

func (m *memoryStateStore) Delete(_ context.Context, scope, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.scopes[scope], key)
	return nil
}

func (m *memoryStateStore) Add(_ context.Context, scope, key string, delta int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := m.entries(scope)
	e := entries[key]
	var n int64
	if e != nil && !e.expired(time.Now()) {
		var err error
		if n, err = strconv.ParseInt(string(e.value), 10, 64); err != nil {
			return 0, fmt.Errorf("fastmcp: state key %q does not hold an integer", key)
		}
	} else {
		e = &memEntry{expires: expiry(ttl)}
		entries[key] = e
	}
	n += delta
	e.value = strconv.AppendInt(e.value[:0], n, 10)
	return n, nil
}

func (m *memoryStateStore) Clear(_ context.Context, scope string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.scopes, scope)
	return nil
}

// State is a key/value state kept in the server's StateStore, values stored as
// JSON: the state of a session (Session.State, Context.State), cleared when
// the session ends, or the state behind a handle (Context.NewHandle,
// Context.OpenHandle), which expires with the handle.
//
// The methods of a nil *State (Context.State in a sessionless request) fail
// with ErrNoSession.
type State struct {
	store StateStore
	scope string
	sess  *Session  // a session's state
	until time.Time // a handle's state: when it expires
}

// errNoState is the error of the methods of a nil *State.
var errNoState = fmt.Errorf("%w: the request is served without a session, so it has no session state (use a handle: Context.NewHandle)", ErrNoSession)

// write runs a state write unless the session has ended or the handle
// expired.
func (st *State) write(f func() error) error {
	if st == nil {
		return errNoState
	}
	if st.sess == nil {
		if !st.until.IsZero() && time.Now().After(st.until) {
			return ErrInvalidHandle
		}
		return f()
	}
	st.sess.stateMu.RLock()
	defer st.sess.stateMu.RUnlock()
	if st.sess.isClosed() {
		return ErrSessionClosed
	}
	return f()
}

// ttl bounds a write's ttl by the handle's expiry.
func (st *State) ttl(ttl time.Duration) time.Duration {
	if st.until.IsZero() {
		return ttl
	}
	left := time.Until(st.until)
	if left <= 0 {
		left = time.Millisecond
	}
	if ttl <= 0 || ttl > left {
		return left
	}
	return ttl
}

// Get decodes the value of key into dst and reports whether there was one.
func (st *State) Get(ctx context.Context, key string, dst any) (bool, error) {
	if st == nil {
		return false, errNoState
	}
	raw, ok, err := st.store.Get(ctx, st.scope, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, fmt.Errorf("fastmcp: state key %q: %w", key, err)
	}
	return true, nil
}

// Set stores v (encoded as JSON) under key; a positive ttl makes it expire
// (a handle's state expires with the handle at the latest). Writes to the
// state of a session that has ended fail with ErrSessionClosed, to that of an
// expired handle with ErrInvalidHandle.
func (st *State) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("fastmcp: state key %q: %w", key, err)
	}
	return st.write(func() error { return st.store.Set(ctx, st.scope, key, raw, st.ttl(ttl)) })
}

// Delete removes key.
func (st *State) Delete(ctx context.Context, key string) error {
	return st.write(func() error { return st.store.Delete(ctx, st.scope, key) })
}

// Incr adds delta to the counter under key (0 when absent) and returns the new
// value, atomically.
func (st *State) Incr(ctx context.Context, key string, delta int64) (int64, error) {
	var n int64
	err := st.write(func() error {
		var err error
		n, err = st.store.Add(ctx, st.scope, key, delta, st.ttl(0))
		return err
	})
	return n, err
}

// StateValue returns the value of key decoded as a T, and false when there is
// none.
func StateValue[T any](ctx context.Context, st *State, key string) (T, bool, error) {
	var v T
	ok, err := st.Get(ctx, key, &v)
	return v, ok, err
}

// State returns the session's state. In a request served without a session
// (stateless HTTP, the 2026-07-28 revision) it is nil, and its methods fail
// with ErrNoSession: keep cross-call state behind a handle instead
// (Context.NewHandle).
func (c *Context) State() *State {
	if c.sess == nil {
		return nil
	}
	return c.sess.State()
}

// SessionMetrics describe the tool activity of a session.
type SessionMetrics struct {
	// ToolCalls counts finished tool calls; ToolErrors those whose result
	// had isError or that failed with a protocol error.
	ToolCalls, ToolErrors int64
	// TotalExecution is the time spent in tool handlers.
	TotalExecution time.Duration
	// LastCall is when the last tool call finished (zero before any).
	LastCall time.Time
	// ActiveOperations counts requests being served now.
	ActiveOperations int
}
