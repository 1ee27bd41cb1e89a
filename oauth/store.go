package oauth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// ErrNotFound is returned by a Store for a key it does not hold, or holds
// past its expiry.
var ErrNotFound = errors.New("oauth: not found")

// Store keeps the proxy's state: registered clients, authorization
// transactions, authorization codes, grants and refresh tokens. The proxy
// stores opaque values (encrypted with Config.EncryptionKey) under keys it
// derives itself; a raw code or token never appears in a key.
//
// Implementations must be safe for concurrent use. Take is what makes
// authorization codes single-use and refresh tokens rotate exactly once: of
// concurrent Takes of one key, exactly one may return the value, across every
// process sharing the store.
//
// MemoryStore (the default) keeps state in the process; FileStore keeps it in
// a directory that several processes on one machine can share.
type Store interface {
	// Put stores value under key, replacing any previous value. A positive
	// ttl makes the value expire after it; zero keeps it until deleted.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the value under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Take returns the value under key and deletes it, atomically; it
	// returns ErrNotFound when there is none.
	Take(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// MemoryStore is a Store in the memory of the process: state is lost when the
// process ends and is not shared between replicas. The zero value is ready to
// use. Expired entries are dropped when read and swept periodically as new
// ones are written.
type MemoryStore struct {
	// Now is the clock deciding expiry. Default time.Now.
	Now func() time.Time

	mu     sync.Mutex
	m      map[string]memEntry
	writes int
}

type memEntry struct {
	value   []byte
	expires time.Time // zero: never
}

// sweepEvery is how many writes pass between sweeps of expired entries.
const sweepEvery = 256

func (s *MemoryStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	now := s.now()
	e := memEntry{value: slices.Clone(value)}
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memEntry{}
	}
	s.m[key] = e
	if s.writes++; s.writes >= sweepEvery {
		s.writes = 0
		for k, e := range s.m {
			if e.expired(now) {
				delete(s.m, k)
			}
		}
	}
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, ErrNotFound
	}
	if e.expired(now) {
		delete(s.m, key)
		return nil, ErrNotFound
	}
	return slices.Clone(e.value), nil
}

// Take implements Store.
func (s *MemoryStore) Take(_ context.Context, key string) ([]byte, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, ErrNotFound
	}
	delete(s.m, key)
	if e.expired(now) {
		return nil, ErrNotFound
	}
	return e.value, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Len returns the number of entries held, expired ones included until they
// are swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (e memEntry) expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.Before(e.expires)
}
