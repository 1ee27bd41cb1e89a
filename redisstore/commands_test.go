package redisstore_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// roundTrips counts the client's exchanges with Redis: a command, or a
// pipeline, is one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// Every operation is one round trip in steady state (its script loaded),
// and runs the Redis commands listed here (those of its script included,
// as INFO commandstats counts them).
func TestCommandsPerOperation(t *testing.T) {
	srv := redistest.Start(t)
	c := client(t, srv.Addr)
	rt := &roundTrips{}
	c.AddHook(rt)
	st := redisstore.New(c, redisstore.Options{})
	oa := redisstore.NewOAuthStore(c, redisstore.Options{})
	ctx := context.Background()
	// The scripts' settle step with a scope of one persistent value.
	settle := map[string]int64{"time": 1, "zrangebyscore": 1, "hlen": 1, "zrange": 1, "zcard": 1, "pttl": 1, "persist": 2}
	plus := func(a map[string]int64, b map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range a {
			out[k] += v
		}
		for k, v := range b {
			out[k] += v
		}
		return out
	}
	var seq int64
	for _, tc := range []struct {
		name string
		op   func() error
		want map[string]int64
	}{
		{"session Create", func() error {
			return st.Sessions.Create(ctx, "s", map[string][]byte{"a": []byte("1"), "b": []byte("2")}, time.Hour)
		}, map[string]int64{"evalsha": 1, "del": 1, "hset": 1, "pexpire": 1, "pttl": 5}},
		{"session Get", func() error { _, err := st.Sessions.Get(ctx, "s"); return err },
			map[string]int64{"hgetall": 1}},
		{"session Set", func() error { return st.Sessions.Set(ctx, "s", "c", []byte("3")) },
			map[string]int64{"evalsha": 1, "exists": 1, "hset": 1}},
		{"session Touch", func() error { return st.Sessions.Touch(ctx, "s", time.Hour) },
			map[string]int64{"evalsha": 1, "pexpire": 1, "pttl": 5}},
		{"session Delete", func() error { _, err := st.Sessions.Delete(ctx, "other"); return err },
			map[string]int64{"del": 1}},
		{"state Set", func() error { return st.State.Set(ctx, "t", "k", []byte("1"), 0) },
			plus(settle, map[string]int64{"evalsha": 1, "hset": 1, "zrem": 1})},
		{"state Add", func() error { _, err := st.State.Add(ctx, "t", "k", 1, 0); return err },
			plus(settle, map[string]int64{"evalsha": 1, "hget": 2, "zscore": 1, "hincrby": 1})},
		{"state Get", func() error { _, _, err := st.State.Get(ctx, "t", "k"); return err },
			map[string]int64{"evalsha": 1, "hget": 1, "zscore": 1}},
		{"state Delete", func() error { return st.State.Delete(ctx, "t", "nope") },
			plus(settle, map[string]int64{"evalsha": 1, "hdel": 1, "zrem": 1})},
		{"state Clear", func() error { return st.State.Clear(ctx, "t") },
			map[string]int64{"del": 1}},
		{"events Append", func() error {
			seq++
			return st.Events.Append(ctx, "s", "p", seq, []byte("event"))
		}, map[string]int64{"evalsha": 1, "hget": 1, "hmget": 1, "hset": 2, "zadd": 1, "hincrby": 1, "pttl": 1, "pexpire": 3}},
		{"events After", func() error { _, _, err := st.Events.After(ctx, "s", "p", seq-1); return err },
			map[string]int64{"evalsha": 1, "hmget": 2}},
		{"events SessionClosed", func() error { return st.Events.SessionClosed(ctx, "other") },
			map[string]int64{"del": 1}},
		{"rate limit", func() error {
			_, _, err := st.RateLimiter.Allow(ctx, "k", fastmcp.Rate{Limit: 1000})
			return err
		}, map[string]int64{"evalsha": 1, "time": 1, "hmget": 1, "hset": 1, "pexpire": 1}},
		{"bus Publish", func() error { return st.Bus.Publish(ctx, "t", []byte("m")) },
			map[string]int64{"publish": 1}},
		{"health", func() error { return st.Health(ctx) }, map[string]int64{"ping": 1}},
		{"oauth Put", func() error { return oa.Put(ctx, "k", []byte("v"), time.Hour) },
			map[string]int64{"set": 1}},
		{"oauth Get", func() error { _, err := oa.Get(ctx, "k"); return err },
			map[string]int64{"get": 1}},
		{"oauth Take", func() error { _, err := oa.Take(ctx, "k"); return err },
			map[string]int64{"getdel": 1}},
	} {
		// Once to load the script and reach the steady state (events
		// Append: a stream already started).
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.name == "oauth Take" {
			oa.Put(ctx, "k", []byte("v"), time.Hour)
		}
		srv.ResetStats(t)
		before := rt.n.Load()
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := rt.n.Load() - before; n != 1 {
			t.Errorf("%s: %d round trips, want 1", tc.name, n)
		}
		got := srv.CommandStats(t)
		delete(got, "config|resetstat")
		if diff := testdiff.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Redis commands (-want +got):\n%s", tc.name, diff)
		}
	}
}

// A bus subscription is one SUBSCRIBE on the store's one pub/sub
// connection, however many subscribers and topics there are.
func TestBusOneConnection(t *testing.T) {
	srv := redistest.Start(t)
	var dials atomic.Int64
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}})
	t.Cleanup(func() { c.Close() })
	st := redisstore.New(c, redisstore.Options{})
	ctx := context.Background()
	var cancels []func()
	for i := range 50 {
		cancel, err := st.Bus.Subscribe(ctx, string(rune('a'+i%10)), func([]byte) {})
		if err != nil {
			t.Fatal(err)
		}
		cancels = append(cancels, cancel)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("50 subscriptions to 10 topics dialled %d connections, want 1", n)
	}
	clients, _ := srv.Do("CLIENT", "LIST")
	if n := countLines(clients.(string), "sub=10 "); n != 1 {
		t.Errorf("%d connections subscribed to 10 channels, want 1:\n%s", n, clients)
	}
	for _, cancel := range cancels {
		cancel()
	}
}

func countLines(s, substr string) int {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
