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
	// index, oldest first, and the index of the first one returned. When
	// some of them are no longer stored, it returns the ones it still has
	// with ErrEventsExpired.
	After(ctx context.Context, sessionID, streamID string, index int64) (first int64, events [][]byte, err error)
	// SessionClosed forgets every event of a session.
	SessionClosed(ctx context.Context, sessionID string) error
}

// EventStoreStats describe what an event store holds, for monitoring. An
// EventStore may report them with a Stats() EventStoreStats method, as the
// memory store does.
type EventStoreStats struct {
	// Sessions, Streams and Events count what is stored.
	Sessions, Streams, Events int
	// Bytes is the size of the stored events.
	Bytes int64
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
	// empty lists streams whose events were all evicted, oldest first.
	empty []*memStream
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

// maxEmptyStreams bounds the streams a session keeps after all their events
// were evicted: they remember where the stream was, so a client resuming it
// learns that events expired rather than that there were none.
const maxEmptyStreams = 256

// drop drops the oldest event of st. A stream left empty is kept to report
// expiry, the oldest such streams beyond maxEmptyStreams forgotten.
func (s *memSession) drop(st *memStream) {
	s.bytes -= len(st.events[0])
	s.count--
	st.events[0] = nil
	st.events = st.events[1:]
	st.first++
	if len(st.events) == 0 {
		st.events = nil
		s.empty = append(s.empty, st)
		for len(s.empty) > maxEmptyStreams {
			old := s.empty[0]
			s.empty[0] = nil
			s.empty = s.empty[1:]
			if len(old.events) == 0 && s.streams[old.id] == old {
				delete(s.streams, old.id)
			}
		}
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

func (m *memoryEventStore) After(_ context.Context, sessionID, streamID string, index int64) (int64, [][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[sessionID]
	if s == nil {
		return index + 1, nil, nil
	}
	st := s.streams[streamID]
	if st == nil {
		return index + 1, nil, nil
	}
	if index+1 < st.first {
		// Some are gone: say so, with what is left (the final response
		// of a finished request, for one).
		out := make([][]byte, len(st.events))
		copy(out, st.events)
		return st.first, out, ErrEventsExpired
	}
	start := index + 1 - st.first
	if start >= int64(len(st.events)) {
		return index + 1, nil, nil
	}
	out := make([][]byte, len(st.events)-int(start))
	copy(out, st.events[start:])
	return index + 1, out, nil
}

func (m *memoryEventStore) SessionClosed(_ context.Context, sessionID string) error {
	m.mu.Lock()
	delete(m.sessions, sessionID)
	m.mu.Unlock()
	return nil
}

// Stats reports what the store holds.
func (m *memoryEventStore) Stats() EventStoreStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := EventStoreStats{Sessions: len(m.sessions)}
	for _, s := range m.sessions {
		st.Streams += len(s.streams)
		st.Events += s.count
		st.Bytes += int64(s.bytes)
	}
	return st
}
