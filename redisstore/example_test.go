package redisstore_test

import (
	"log"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/oauth"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// Replicas of one server share sessions, state, resumable streams, rate
// limits and the bus through Redis. (Not run: it needs a Redis.)
func Example() {
	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	srv := fastmcp.New(fastmcp.Options{
		Name:  "my-server",
		Store: redisstore.New(client, redisstore.Options{Prefix: "my-server:"}),
	})
	_ = srv
}

// A Redis Cluster (or Sentinel) client with the timeouts NewClient sets for a
// single node.
func Example_cluster() {
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{"redis-0.redis:6379", "redis-1.redis:6379", "redis-2.redis:6379"},
		DialTimeout:           redisstore.RecommendedDialTimeout,
		DialerRetries:         1,
		ReadTimeout:           redisstore.RecommendedReadTimeout,
		WriteTimeout:          redisstore.RecommendedWriteTimeout,
		PoolTimeout:           redisstore.RecommendedPoolTimeout,
		MaxRetries:            redisstore.RecommendedMaxRetries,
		ContextTimeoutEnabled: true,
	})
	store := redisstore.New(client, redisstore.Options{MaxBytesPerSession: 256 << 10, EventTTL: time.Hour})
	_ = store
}

// The OAuth proxy's registrations, codes and tokens on Redis, so that a flow
// started on one replica finishes on another.
func ExampleNewOAuthStore() {
	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	var store oauth.Store = redisstore.NewOAuthStore(client, redisstore.Options{})
	_ = store // oauth.Config{Store: store, ...}
}
