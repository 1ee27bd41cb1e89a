package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/redisstore"
)

// keysOf returns the names of the keys under prefix.
func keysOf(t *testing.T, srv *redistest.Server, prefix string) []string {
	t.Helper()
	v := srv.Must(t, "KEYS", prefix+"*").([]any)
	out := make([]string, len(v))
	for i, k := range v {
		out[i] = k.(string)
	}
	return out
}

func pttl(t *testing.T, srv *redistest.Server, key string) int64 {
	t.Helper()
	return srv.Must(t, "PTTL", key).(int64)
}

// What a session holds (state, events) expires with its record: a replica
// that dies without closing its sessions leaves nothing behind in Redis.
func TestSessionTakesItsStateAndEvents(t *testing.T) {
	t.Parallel()
	srv := server(t)
	prefix := fmt.Sprintf("t%d:", prefixes.Add(1))
	st := redisstore.New(client(t, srv.Addr), redisstore.Options{Prefix: prefix})
	ctx := testkit.Context(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Sessions.Create(ctx, "dies", nil, time.Second))
	must(st.Sessions.Create(ctx, "lives", nil, time.Second))
	for _, id := range []string{"dies", "lives"} {
		must(st.State.Set(ctx, id, "forever", []byte("1"), 0))
		if _, err := st.State.Add(ctx, id, "n", 1, 0); err != nil {
			t.Fatal(err)
		}
		must(st.Events.Append(ctx, id, "p", 0, []byte("e")))
	}
	must(st.Sessions.Touch(ctx, "lives", time.Hour))
	// A scope that is no session's keeps a value without TTL for ever.
	must(st.State.Set(ctx, "handle:x", "forever", []byte("1"), 0))
	testkit.Eventually(t, "the session's keys to expire", func() bool {
		for _, k := range keysOf(t, srv, prefix) {
			if strings.Contains(k, "{dies}") {
				return false
			}
		}
		return true
	})
	if _, ok, _ := st.State.Get(ctx, "lives", "forever"); !ok {
		t.Error("the touched session lost its state")
	}
	if _, evs, _ := st.Events.After(ctx, "lives", "p", -1); len(evs) != 1 {
		t.Errorf("the touched session lost its events: %q", evs)
	}
	if ms := pttl(t, srv, prefix+"{lives}:v"); ms < 50*60*1000 {
		t.Errorf("the touched session's state expires in %d ms, want about an hour", ms)
	}
	if ms := pttl(t, srv, prefix+"{handle:x}:v"); ms != -1 {
		t.Errorf("a scope of no session expires in %d ms, want never", ms)
	}
}

// A scope's expired values are swept by later writes (100 a write), and a
// scope whose values all expire is deleted by Redis itself.
func TestStateExpiredValuesAreSwept(t *testing.T) {
	t.Parallel()
	srv := server(t)
	prefix := fmt.Sprintf("t%d:", prefixes.Add(1))
	st := redisstore.New(client(t, srv.Addr), redisstore.Options{Prefix: prefix})
	ctx := testkit.Context(t)
	for i := range 250 {
		if err := st.State.Set(ctx, "s", fmt.Sprint("k", i), []byte("x"), 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := st.State.Set(ctx, "gone", fmt.Sprint("k", i), []byte("x"), 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.State.Set(ctx, "s", "kept", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the short values to expire", func() bool {
		_, ok, _ := st.State.Get(ctx, "s", "k249")
		return !ok
	})
	for i := range 3 {
		st.State.Set(ctx, "s", fmt.Sprint("new", i), []byte("x"), 0)
	}
	if n := srv.Must(t, "HLEN", prefix+"{s}:v").(int64); n != 4 {
		t.Errorf("the scope holds %d values after 3 writes, want 4 (250 expired ones swept)", n)
	}
	testkit.Eventually(t, "the scope of expired values to be deleted", func() bool {
		return srv.Must(t, "EXISTS", prefix+"{gone}:v", prefix+"{gone}:x").(int64) == 0
	})
}

// A rate-limit bucket expires when it would be full again.
func TestRateLimitBucketExpires(t *testing.T) {
	t.Parallel()
	srv := server(t)
	prefix := fmt.Sprintf("t%d:", prefixes.Add(1))
	st := redisstore.New(client(t, srv.Addr), redisstore.Options{Prefix: prefix})
	ctx := testkit.Context(t)
	for range 3 {
		st.RateLimiter.Allow(ctx, "k", fastmcp.Rate{Limit: 10, Per: time.Hour})
	}
	// 3 tokens at 10 an hour: full again in 18 minutes.
	if ms := pttl(t, srv, prefix+"rl:k"); ms < 17*60*1000 || ms > 18*60*1000 {
		t.Errorf("the bucket expires in %d ms, want 18 minutes", ms)
	}
	st.RateLimiter.Allow(ctx, "fast", fastmcp.Rate{Limit: 100})
	testkit.Eventually(t, "a bucket refilled in 10ms to expire", func() bool {
		return srv.Must(t, "EXISTS", prefix+"rl:fast").(int64) == 0
	})
}

// The events of a session without a record expire EventTTL after the last
// Append.
func TestEventsExpireWithoutSession(t *testing.T) {
	t.Parallel()
	srv := server(t)
	prefix := fmt.Sprintf("t%d:", prefixes.Add(1))
	st := redisstore.New(client(t, srv.Addr), redisstore.Options{Prefix: prefix, EventTTL: 30 * time.Millisecond})
	ctx := testkit.Context(t)
	if err := st.Events.Append(ctx, "s", "p", 0, []byte("e")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the events to expire", func() bool { return len(keysOf(t, srv, prefix)) == 0 })
}

// A repeated Append of a stream's last event (a client retry after a lost
// reply) is a no-op, not a gap that would drop the stream.
func TestAppendRetryIsIdempotent(t *testing.T) {
	t.Parallel()
	st := redisstore.New(client(t, server(t).Addr), redisstore.Options{Prefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
	ctx := testkit.Context(t)
	for _, i := range []int64{0, 1, 1, 2} {
		if err := st.Events.Append(ctx, "s", "p", i, fmt.Append(nil, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, evs, err := st.Events.After(ctx, "s", "p", -1); err != nil || len(evs) != 3 {
		t.Errorf("After: %q %v, want 3 events", evs, err)
	}
	for _, i := range []int64{-1, 1 << 60} {
		if err := st.Events.Append(ctx, "s", "q", i, nil); err == nil {
			t.Errorf("Append of index %d succeeded", i)
		}
	}
	if first, evs, err := st.Events.After(ctx, "s", "p", 1<<62); first != 1<<62+1 || evs != nil || err != nil {
		t.Errorf("After a huge index: %d %q %v", first, evs, err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	c := client(t, server(t).Addr)
	for _, p := range []string{"a{", "}", "{x}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Prefix %q: no panic", p)
				}
			}()
			redisstore.New(c, redisstore.Options{Prefix: p})
		}()
	}
	st := redisstore.New(c, redisstore.Options{Prefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
	ctx := context.Background()
	if err := st.Sessions.Create(ctx, "s", map[string][]byte{"\x00": nil}, 0); err == nil {
		t.Error("Create with the reserved field succeeded")
	}
	st.Sessions.Create(ctx, "s", nil, time.Hour)
	if err := st.Sessions.Set(ctx, "s", "\x00", nil); err == nil || errors.Is(err, fastmcp.ErrSessionNotFound) {
		t.Errorf("Set of the reserved field: %v", err)
	}
	if _, err := st.Sessions.Get(ctx, "s"); err != nil {
		t.Errorf("the session is gone: %v", err)
	}
}

// A session with more fields than Lua's stack holds at once.
func TestSessionManyFields(t *testing.T) {
	t.Parallel()
	st := redisstore.New(client(t, server(t).Addr), redisstore.Options{Prefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
	fields := map[string][]byte{}
	for i := range 10000 {
		fields[fmt.Sprint("f", i)] = []byte("v")
	}
	ctx := testkit.Context(t)
	if err := st.Sessions.Create(ctx, "s", fields, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Sessions.Get(ctx, "s"); err != nil || len(got) != 10000 {
		t.Errorf("Get: %d fields, %v", len(got), err)
	}
}
