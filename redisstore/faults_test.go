package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/storetest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// faultClient is a client with the short timeouts a test of faults wants.
func faultClient(t *testing.T, addr string) redis.UniversalClient {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           200 * time.Millisecond,
		DialerRetries:         1,
		ReadTimeout:           200 * time.Millisecond,
		WriteTimeout:          200 * time.Millisecond,
		PoolTimeout:           200 * time.Millisecond,
		MaxRetries:            1,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// op is one call of a method of the store.
type op struct {
	name string
	f    func(ctx context.Context) error
}

// operations are one call of every method of the store, in an order that
// works (Create first).
func operations(st *fastmcp.Store, oa *redisstore.OAuthStore) []op {
	noop := func([]byte) {}
	var index int64
	return []op{
		{"session Create", func(ctx context.Context) error { return st.Sessions.Create(ctx, "s", nil, time.Hour) }},
		{"session Get", func(ctx context.Context) error { _, err := st.Sessions.Get(ctx, "s"); return err }},
		{"session Set", func(ctx context.Context) error { return st.Sessions.Set(ctx, "s", "f", []byte("v")) }},
		{"session Touch", func(ctx context.Context) error { return st.Sessions.Touch(ctx, "s", time.Hour) }},
		{"session Delete", func(ctx context.Context) error { _, err := st.Sessions.Delete(ctx, "gone"); return err }},
		{"state Get", func(ctx context.Context) error { _, _, err := st.State.Get(ctx, "s", "k"); return err }},
		{"state Set", func(ctx context.Context) error { return st.State.Set(ctx, "s", "k", []byte("1"), 0) }},
		{"state Add", func(ctx context.Context) error { _, err := st.State.Add(ctx, "s", "n", 1, 0); return err }},
		{"state Delete", func(ctx context.Context) error { return st.State.Delete(ctx, "s", "x") }},
		{"state Clear", func(ctx context.Context) error { return st.State.Clear(ctx, "gone") }},
		{"events Append", func(ctx context.Context) error {
			index++
			return st.Events.Append(ctx, "s", "p", index, []byte("e"))
		}},
		{"events After", func(ctx context.Context) error { _, _, err := st.Events.After(ctx, "s", "p", -1); return noExpiry(err) }},
		{"events SessionClosed", func(ctx context.Context) error { return st.Events.SessionClosed(ctx, "gone") }},
		{"rate limit", func(ctx context.Context) error {
			_, _, err := st.RateLimiter.Allow(ctx, "k", fastmcp.Rate{Limit: 1000})
			return err
		}},
		{"bus Publish", func(ctx context.Context) error { return st.Bus.Publish(ctx, "t", []byte("m")) }},
		{"bus Subscribe", func(ctx context.Context) error {
			cancel, err := st.Bus.Subscribe(ctx, fmt.Sprint("new", time.Now().UnixNano()), noop)
			if err == nil {
				cancel()
			}
			return err
		}},
		{"health", st.Health},
		{"oauth Put", func(ctx context.Context) error { return oa.Put(ctx, "k", []byte("v"), time.Hour) }},
		{"oauth Get", func(ctx context.Context) error { _, err := oa.Get(ctx, "k"); return err }},
		{"oauth Take", func(ctx context.Context) error { _, err := oa.Take(ctx, "k"); return noNotFound(err) }},
		{"oauth Delete", func(ctx context.Context) error { return oa.Delete(ctx, "k") }},
	}
}

// noExpiry treats an answer of expired events as success: the call worked.
func noExpiry(err error) error {
	if errors.Is(err, fastmcp.ErrEventsExpired) {
		return nil
	}
	return err
}

func noNotFound(err error) error {
	if err != nil && err.Error() == "oauth: not found" {
		return nil
	}
	return err
}

// bounded runs f and fails the test if it has not returned after a bound
// far above the client's timeouts: a hang, not a slow answer.
func bounded(t *testing.T, name string, f func(ctx context.Context) error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f(context.Background()) }()
	select {
	case err := <-done:
		return err
	case <-time.After(testkit.Wait):
		t.Fatalf("%s did not return in %v", name, testkit.Wait)
		return nil
	}
}

// Redis stopped, then hung: every operation fails with ErrUnavailable
// instead of hanging, and works again once Redis is back.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := redisstore.New(faultClient(t, srv.Addr), redisstore.Options{Timeout: 300 * time.Millisecond})
	oa := redisstore.NewOAuthStore(faultClient(t, srv.Addr), redisstore.Options{})
	ops := operations(st, oa)
	works := func(phase string) {
		t.Helper()
		for _, op := range ops {
			testkit.Eventually(t, phase+": "+op.name+" to work", func() bool { return bounded(t, op.name, op.f) == nil })
		}
	}
	fails := func(phase string) {
		t.Helper()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var slowest time.Duration
		for _, op := range ops {
			wg.Go(func() {
				start := time.Now()
				err := bounded(t, op.name, op.f)
				if !errors.Is(err, redisstore.ErrUnavailable) || !errors.Is(err, fastmcp.ErrStoreUnavailable) {
					t.Errorf("%s: %s: %v, want ErrUnavailable and fastmcp.ErrStoreUnavailable", phase, op.name, err)
				}
				mu.Lock()
				slowest = max(slowest, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		t.Logf("Redis %s: every operation failed within %v", phase, slowest)
	}
	works("at first")

	srv.Stop()
	fails("stopped")
	srv.Restart(t)
	works("restarted")

	srv.Pause(t)
	fails("paused")
	srv.Resume(t)
	works("resumed")
}

// A caller's cancellation is its own error, not Redis's unavailability.
func TestCancelledIsNotUnavailable(t *testing.T) {
	t.Parallel()
	st := redisstore.New(client(t, server(t).Addr), redisstore.Options{Prefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.Sessions.Get(ctx, "s")
	if !errors.Is(err, context.Canceled) || errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Get with a cancelled context: %v", err)
	}
}

// The bus's subscriptions survive a restart of Redis: go-redis reconnects
// and subscribes again, on both replicas.
func TestBusResubscribes(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := redisstore.Options{Timeout: 300 * time.Millisecond}
	a := redisstore.New(faultClient(t, srv.Addr), opts)
	b := redisstore.New(faultClient(t, srv.Addr), opts)
	ctx := testkit.Context(t)
	var onA, onB storetest.Collector
	for _, s := range []struct {
		bus fastmcp.Bus
		c   *storetest.Collector
	}{{a.Bus, &onA}, {b.Bus, &onB}} {
		t.Cleanup(subscribeEventually(t, s.bus, "t", s.c.Add))
	}
	publishEventually(t, a.Bus, "t", []byte("before"))
	onA.WaitFor(t, 1)
	onB.WaitFor(t, 1)

	for round := range 2 {
		srv.Stop()
		if err := a.Bus.Publish(ctx, "t", []byte("lost")); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Errorf("Publish with Redis stopped: %v", err)
		}
		srv.Restart(t)
		// Publish until both replicas hear again: what was published
		// before their connections came back is lost, as the Bus allows.
		n := 0
		testkit.Eventually(t, "both subscribers to hear after the restart", func() bool {
			n++
			b.Bus.Publish(ctx, "t", fmt.Appendf(nil, "after-%d-%d", round, n))
			return last(onA.Messages()) == last(onB.Messages()) && last(onA.Messages()) == fmt.Sprintf("after-%d-%d", round, n)
		})
	}
	// New subscriptions work on the reconnected connection too.
	var late storetest.Collector
	defer subscribeEventually(t, b.Bus, "late", late.Add)()
	publishEventually(t, a.Bus, "late", []byte("x"))
	late.WaitFor(t, 1)
}

// subscribeEventually subscribes, trying again while the attempt times out:
// the clients' 200 ms timeouts, which make the faults quick to see, can
// pass on a loaded machine while Redis is up.
func subscribeEventually(t *testing.T, bus fastmcp.Bus, topic string, f func([]byte)) (cancel func()) {
	t.Helper()
	testkit.Eventually(t, "subscribing to "+topic, func() bool {
		c, err := bus.Subscribe(testkit.Context(t), topic, f)
		if err != nil {
			t.Logf("subscribing to %s (trying again): %v", topic, err)
			return false
		}
		cancel = c
		return true
	})
	return cancel
}

// publishEventually publishes, trying again while the attempt times out
// (see subscribeEventually).
func publishEventually(t *testing.T, bus fastmcp.Bus, topic string, msg []byte) {
	t.Helper()
	testkit.Eventually(t, "publishing to "+topic, func() bool {
		err := bus.Publish(testkit.Context(t), topic, msg)
		if err != nil {
			t.Logf("publishing to %s (trying again): %v", topic, err)
		}
		return err == nil
	})
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
