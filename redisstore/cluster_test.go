package redisstore_test

import (
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/storetest"
	"github.com/fastmcp-go/fastmcp/oauth"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// On Redis Cluster, through a cluster client: Redis refuses a script or a
// command whose keys are in different slots, so these suites passing shows
// that every operation keeps its keys in one slot.
func TestCluster(t *testing.T) {
	t.Parallel()
	srv := redistest.StartCluster(t)
	if _, err := srv.Do("DEL", "a", "b"); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("the cluster accepted keys of two slots in one command: %v", err)
	}
	open := func(t *testing.T, opts redisstore.Options) (a, b *fastmcp.Store) {
		mk := func() redis.UniversalClient {
			c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true})
			t.Cleanup(func() { c.Close() })
			return c
		}
		return redisstore.New(mk(), opts), redisstore.New(mk(), opts)
	}
	t.Run("sessions", func(t *testing.T) {
		storetest.SessionStore(t, func(t *testing.T) (a, b fastmcp.SessionStore) {
			x, y := open(t, redisstore.Options{Prefix: prefix()})
			return x.Sessions, y.Sessions
		})
	})
	t.Run("state", func(t *testing.T) {
		storetest.StateStore(t, func(t *testing.T) (a, b fastmcp.StateStore) {
			x, y := open(t, redisstore.Options{Prefix: prefix()})
			return x.State, y.State
		})
	})
	t.Run("events", func(t *testing.T) {
		storetest.EventStore(t, func(t *testing.T, maxEvents, maxBytes int) (a, b fastmcp.EventStore) {
			x, y := open(t, redisstore.Options{Prefix: prefix(), MaxEventsPerStream: maxEvents, MaxBytesPerSession: maxBytes})
			return x.Events, y.Events
		})
	})
	t.Run("rate limiter", func(t *testing.T) {
		storetest.RateLimiter(t, func(t *testing.T) (a, b fastmcp.RateLimiter) {
			x, y := open(t, redisstore.Options{Prefix: prefix()})
			return x.RateLimiter, y.RateLimiter
		})
	})
	t.Run("bus", func(t *testing.T) {
		storetest.Bus(t, func(t *testing.T) (a, b fastmcp.Bus) {
			x, y := open(t, redisstore.Options{Prefix: prefix()})
			return x.Bus, y.Bus
		})
	})
	t.Run("tasks", func(t *testing.T) {
		storetest.TaskStore(t, func(t *testing.T, maxTasks, maxPerPrincipal int) (a, b fastmcp.TaskStore) {
			opts := redisstore.Options{Prefix: prefix(), MaxTasks: maxTasks, MaxTasksPerPrincipal: maxPerPrincipal}
			mk := func() fastmcp.TaskStore {
				c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true})
				t.Cleanup(func() { c.Close() })
				return redisstore.NewTaskStore(c, opts)
			}
			return mk(), mk()
		})
	})
	t.Run("oauth", func(t *testing.T) {
		storetest.OAuthStore(t, func(t *testing.T) (a, b oauth.Store) {
			c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true})
			t.Cleanup(func() { c.Close() })
			st := redisstore.NewOAuthStore(c, redisstore.Options{Prefix: prefix()})
			return st, st
		})
	})
}
