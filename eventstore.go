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
	count   int // stored events
	streams map[string]*memStream
	// fifo lists the session's stored events, oldest first, for eviction;
	// references to events already dropped are skipped and compacted away.
	fifo []memRef
}

// memRef names one stored event.
type memRef struct {
	st    *memStream
	index int64
}

type memStream struct {
	id     string
	first  int64 // index of events[0]
	events [][]byte
}

// drop drops the oldest event of st; a stream left empty is forgotten.
func (s *memSession) drop(st *memStream) {
	s.bytes -= len(st.events[0])
	s.count--
	st.events[0] = nil
	st.events = st.events[1:]
	st.first++
	if len(st.events) == 0 && s.streams[st.id] == st {
		delete(s.streams, st.id)
	}
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
	if st != nil && index != st.first+int64(len(st.events)) {
		// A gap: restart the stream's window at this index.
		for len(st.events) > 0 {
			s.drop(st)
		}
		st = nil
	}
	if st == nil {
		st = &memStream{id: streamID, first: index}
		s.streams[streamID] = st
	}
	st.events = append(st.events, append([]byte(nil), data...))
	s.bytes += len(data)
	s.count++
	s.fifo = append(s.fifo, memRef{st, index})
	if len(st.events) > m.maxEvents {
		s.drop(st)
	}
	// Over the byte budget: drop the session's oldest events, whatever
	// their stream.
	for s.bytes > m.maxBytes && len(s.fifo) > 0 {
		ref := s.fifo[0]
		s.fifo[0] = memRef{}
		s.fifo = s.fifo[1:]
		if ref.st.first == ref.index && len(ref.st.events) > 0 {
			s.drop(ref.st)
		}
	}
	// Forget references to events already gone, so the list stays bounded.
	for len(s.fifo) > 0 && s.fifo[0].index < s.fifo[0].st.first {
		s.fifo[0] = memRef{}
		s.fifo = s.fifo[1:]
	}
	if len(s.fifo) > 2*s.count+64 {
		kept := make([]memRef, 0, s.count)
		for _, ref := range s.fifo {
			if ref.index >= ref.st.first {
				kept = append(kept, ref)
			}
		}
		s.fifo = kept
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
