package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/storetest"
	"github.com/fastmcp-go/fastmcp/oauth"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

var prefixes atomic.Int64

// client returns a client of addr with the timeouts the package recommends,
// closed when the test ends.
func client(t testing.TB, addr string) redis.UniversalClient {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		PoolTimeout:           time.Second,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// replicas returns two stores on one fresh namespace of the shared server,
// each on a client of its own: two replicas.
func replicas(t *testing.T, opts redisstore.Options) (a, b *fastmcp.Store) {
	s := server(t)
	opts.Prefix = fmt.Sprintf("t%d:", prefixes.Add(1))
	return redisstore.New(client(t, s.Addr), opts), redisstore.New(client(t, s.Addr), opts)
}

func TestSessionStore(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T) (a, b fastmcp.SessionStore) {
		x, y := replicas(t, redisstore.Options{})
		return x.Sessions, y.Sessions
	})
}

func TestStateStore(t *testing.T) {
	storetest.StateStore(t, func(t *testing.T) (a, b fastmcp.StateStore) {
		x, y := replicas(t, redisstore.Options{})
		return x.State, y.State
	})
}

func TestEventStore(t *testing.T) {
	storetest.EventStore(t, func(t *testing.T, maxEvents, maxBytes int) (a, b fastmcp.EventStore) {
		x, y := replicas(t, redisstore.Options{MaxEventsPerStream: maxEvents, MaxBytesPerSession: maxBytes})
		return x.Events, y.Events
	})
}

func TestRateLimiter(t *testing.T) {
	storetest.RateLimiter(t, func(t *testing.T) (a, b fastmcp.RateLimiter) {
		x, y := replicas(t, redisstore.Options{})
		return x.RateLimiter, y.RateLimiter
	})
}

func TestBus(t *testing.T) {
	storetest.Bus(t, func(t *testing.T) (a, b fastmcp.Bus) {
		x, y := replicas(t, redisstore.Options{})
		return x.Bus, y.Bus
	})
}

func TestOAuthStore(t *testing.T) {
	storetest.OAuthStore(t, func(t *testing.T) (a, b oauth.Store) {
		s := server(t)
		opts := redisstore.Options{Prefix: fmt.Sprintf("t%d:", prefixes.Add(1))}
		return redisstore.NewOAuthStore(client(t, s.Addr), opts), redisstore.NewOAuthStore(client(t, s.Addr), opts)
	})
}

// prefix returns a prefix no other test uses.
func prefix() string { return fmt.Sprintf("t%d:", prefixes.Add(1)) }

func TestTaskStore(t *testing.T) {
	storetest.TaskStore(t, func(t *testing.T, maxTasks, maxPerPrincipal int) (a, b fastmcp.TaskStore) {
		s := server(t)
		opts := redisstore.Options{Prefix: prefix(), MaxTasks: maxTasks, MaxTasksPerPrincipal: maxPerPrincipal}
		return redisstore.NewTaskStore(client(t, s.Addr), opts), redisstore.NewTaskStore(client(t, s.Addr), opts)
	})
}
