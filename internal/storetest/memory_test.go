package storetest_test

import (
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/storetest"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// The in-memory implementations, through the suites the Redis ones run too.

func twice[T any](v T) (T, T) { return v, v }

func TestMemorySessionStore(t *testing.T) {
	storetest.SessionStore(t, func(*testing.T) (a, b fastmcp.SessionStore) { return twice(fastmcp.NewMemorySessionStore()) })
}

func TestMemoryStateStore(t *testing.T) {
	storetest.StateStore(t, func(*testing.T) (a, b fastmcp.StateStore) { return twice(fastmcp.NewMemoryStateStore()) })
}

func TestMemoryEventStore(t *testing.T) {
	storetest.EventStore(t, func(_ *testing.T, maxEvents, maxBytes int) (a, b fastmcp.EventStore) {
		return twice(fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxEventsPerStream: maxEvents, MaxBytesPerSession: maxBytes}))
	})
}

func TestMemoryRateLimiter(t *testing.T) {
	storetest.RateLimiter(t, func(*testing.T) (a, b fastmcp.RateLimiter) { return twice(fastmcp.NewMemoryRateLimiter()) })
}

func TestMemoryBus(t *testing.T) {
	storetest.Bus(t, func(*testing.T) (a, b fastmcp.Bus) { return twice(fastmcp.NewMemoryBus()) })
}

func TestOAuthMemoryStore(t *testing.T) {
	storetest.OAuthStore(t, func(*testing.T) (a, b oauth.Store) { return twice[oauth.Store](&oauth.MemoryStore{}) })
}

func TestMemoryTaskStore(t *testing.T) {
	storetest.TaskStore(t, func(_ *testing.T, maxTasks, maxPerPrincipal int) (a, b fastmcp.TaskStore) {
		return twice(fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{MaxTasks: maxTasks, MaxTasksPerPrincipal: maxPerPrincipal}))
	})
}
