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

// State is the key/value state of one session, kept in the server's
// StateStore and cleared when the session ends. Values are stored as JSON.
// Get one from Session.State or Context.State.
type State struct {
	store StateStore
	scope string
	sess  *Session
}

// write runs a state write unless the session has ended.
func (st *State) write(f func() error) error {
	st.sess.stateMu.RLock()
	defer st.sess.stateMu.RUnlock()
	if st.sess.isClosed() {
		return ErrSessionClosed
	}
	return f()
}

// Get decodes the value of key into dst and reports whether there was one.
func (st *State) Get(ctx context.Context, key string, dst any) (bool, error) {
	raw, ok, err := st.store.Get(ctx, st.scope, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, fmt.Errorf("fastmcp: state key %q: %w", key, err)
	}
	return true, nil
}

// Set stores v (encoded as JSON) under key; a positive ttl makes it expire.
// Writes to the state of a session that has ended fail with ErrSessionClosed.
func (st *State) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("fastmcp: state key %q: %w", key, err)
	}
	return st.write(func() error { return st.store.Set(ctx, st.scope, key, raw, ttl) })
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
		n, err = st.store.Add(ctx, st.scope, key, delta, 0)
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

// State returns the session's state. Over a session-less request it is nil.
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
