package fastmcp

import (
	"context"
	"errors"
	"sync"
)

// EventStore keeps the events sent on SSE streams so that a client whose stream
// dropped can resume it: it reconnects with GET and the Last-Event-ID header,
// and receives the events it missed. Events of one stream have consecutive
// indexes from 0. Implementations must be safe for concurrent use; the Redis
// store of the scale-out package implements it too.
type EventStore interface {
	// Append stores data as the event with the given index of a stream.
	Append(ctx context.Context, sessionID, streamID string, index int64, data []byte) error
	// After returns the stored events of a stream with an index greater than
	// index, oldest first. It returns ErrEventsExpired when some of them are no
	// longer stored, so the stream cannot be resumed faithfully.
	After(ctx context.Context, sessionID, streamID string, index int64) ([][]byte, error)
	// SessionClosed forgets every event of a session.
	SessionClosed(ctx context.Context, sessionID string) error
}

// ErrEventsExpired is returned by EventStore.After when the events asked for
// were dropped to respect the store's limits.
var ErrEventsExpired = errors.New("fastmcp: events expired from the event store")

// MemoryEventStoreOptions bound a memory event store. Zero fields take the
// defaults.
type MemoryEventStoreOptions struct {
	// MaxEventsPerStream is the number of most recent events kept per stream.
	// Default 1000.
	MaxEventsPerStream int
	// MaxBytesPerSession caps the bytes kept per session; the oldest events of
	// the session's streams are dropped first. Default 1 MiB.
	MaxBytesPerSession int
}

// NewMemoryEventStore returns an EventStore that keeps events in memory, within
// the bounds of opts (nil for the defaults).
func NewMemoryEventStore(opts *MemoryEventStoreOptions) EventStore {
	m := &memoryEventStore{maxEvents: 1000, maxBytes: 1 << 20, sessions: map[string]*memSession{}}
	if opts != nil {
		if opts.MaxEventsPerStream > 0 {
			m.maxEvents = opts.MaxEventsPerStream
		}
		if opts.MaxBytesPerSession > 0 {
			m.maxBytes = opts.MaxBytesPerSession
		}
	}
	return m
}

type memoryEventStore struct {
	maxEvents, maxBytes int
	mu                  sync.Mutex
	sessions            map[string]*memSession
}

type memSession struct {
	bytes   int
	streams map[string]*memStream
	order   []*memStream // streams in creation order, for eviction
}

type memStream struct {
	first  int64 // index of events[0]
	events [][]byte
}

func (m *memoryEventStore) Append(_ context.Context, sessionID, streamID string, index int64, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[sessionID]
	if s == nil {
		s = &memSession{streams: map[string]*memStream{}}
		m.sessions[sessionID] = s
	}
	st := s.streams[streamID]
	if st == nil {
		st = &memStream{first: index}
		s.streams[streamID] = st
		s.order = append(s.order, st)
	}
	if index != st.first+int64(len(st.events)) {
		// A gap: restart the stream's window at this index.
		for _, e := range st.events {
			s.bytes -= len(e)
		}
		st.first, st.events = index, nil
	}
	st.events = append(st.events, append([]byte(nil), data...))
	s.bytes += len(data)
	if len(st.events) > m.maxEvents {
		s.bytes -= len(st.events[0])
		st.events[0] = nil
		st.events = st.events[1:]
		st.first++
	}
	for s.bytes > m.maxBytes && len(s.order) > 0 {
		old := s.order[0]
		if len(old.events) == 0 {
			s.order = s.order[1:]
			continue
		}
		s.bytes -= len(old.events[0])
		old.events[0] = nil
		old.events = old.events[1:]
		old.first++
	}
	return nil
}

func (m *memoryEventStore) After(_ context.Context, sessionID, streamID string, index int64) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[sessionID]
	if s == nil {
		return nil, nil
	}
	st := s.streams[streamID]
	if st == nil {
		return nil, nil
	}
	if index+1 < st.first {
		return nil, ErrEventsExpired
	}
	start := index + 1 - st.first
	if start >= int64(len(st.events)) {
		return nil, nil
	}
	out := make([][]byte, len(st.events)-int(start))
	copy(out, st.events[start:])
	return out, nil
}

func (m *memoryEventStore) SessionClosed(_ context.Context, sessionID string) error {
	m.mu.Lock()
	delete(m.sessions, sessionID)
	m.mu.Unlock()
	return nil
}
