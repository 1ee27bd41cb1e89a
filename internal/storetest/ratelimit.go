package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// RateLimiter tests a fastmcp.RateLimiter: token buckets with the semantics
// of golang.org/x/time/rate, shared by the replicas.
func RateLimiter(t *testing.T, open Open[fastmcp.RateLimiter]) {
	run(t, open, map[string]func(t *testing.T, a, b fastmcp.RateLimiter){
		"burst then wait": func(t *testing.T, a, b fastmcp.RateLimiter) {
			ctx := ctxOf(t)
			r := fastmcp.Rate{Limit: 3, Per: time.Hour}
			for i, l := range []fastmcp.RateLimiter{a, b, a} {
				if ok, retry, err := l.Allow(ctx, "k", r); !ok || retry != 0 || err != nil {
					t.Fatalf("call %d of a burst of 3: %v %v %v", i+1, ok, retry, err)
				}
			}
			ok, retry, err := b.Allow(ctx, "k", r)
			if ok || err != nil {
				t.Fatalf("the 4th call within the burst: %v %v", ok, err)
			}
			// One token every 20 minutes; the first was taken just now.
			if retry < 19*time.Minute || retry > 20*time.Minute {
				t.Errorf("retry after %v, want about 20m", retry)
			}
			if ok, _, _ := a.Allow(ctx, "other", r); !ok {
				t.Error("another key shares the bucket")
			}
		},
		"burst": func(t *testing.T, a, b fastmcp.RateLimiter) {
			ctx := ctxOf(t)
			r := fastmcp.Rate{Limit: 10, Per: time.Hour, Burst: 2}
			allowed := 0
			for i := range 5 {
				l := a
				if i%2 == 1 {
					l = b
				}
				if ok, _, err := l.Allow(ctx, "k", r); err != nil {
					t.Fatal(err)
				} else if ok {
					allowed++
				}
			}
			if allowed != 2 {
				t.Errorf("%d calls allowed with Burst 2", allowed)
			}
			// A changed rate starts a full bucket.
			r.Burst = 3
			if ok, _, _ := b.Allow(ctx, "k", r); !ok {
				t.Error("a bucket with a new rate was not full")
			}
		},
		"default period": func(t *testing.T, a, b fastmcp.RateLimiter) {
			ctx := ctxOf(t)
			r := fastmcp.Rate{Limit: 1} // one per second
			if ok, _, _ := a.Allow(ctx, "k", r); !ok {
				t.Fatal("the first call was refused")
			}
			ok, retry, _ := b.Allow(ctx, "k", r)
			if ok || retry <= 0 || retry > time.Second {
				t.Errorf("second call: %v, retry %v; want refused, within a second", ok, retry)
			}
		},
		"refill": func(t *testing.T, a, b fastmcp.RateLimiter) {
			ctx := ctxOf(t)
			r := fastmcp.Rate{Limit: 50, Per: time.Second, Burst: 1}
			if ok, _, _ := a.Allow(ctx, "k", r); !ok {
				t.Fatal("the first call was refused")
			}
			// A token comes back after 20ms; the second replica sees it.
			testkit.Eventually(t, "the bucket to refill", func() bool {
				ok, retry, err := b.Allow(ctx, "k", r)
				if err != nil || (!ok && (retry <= 0 || retry > 20*time.Millisecond)) {
					t.Fatalf("refused with retry %v, %v", retry, err)
				}
				return ok
			})
		},
		"concurrent": func(t *testing.T, a, b fastmcp.RateLimiter) {
			ctx := ctxOf(t)
			r := fastmcp.Rate{Limit: 100, Per: time.Hour}
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for w := range 16 {
				l := a
				if w%2 == 1 {
					l = b
				}
				wg.Go(func() {
					for range 20 {
						ok, _, err := l.Allow(ctx, "k", r)
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							allowed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if n := allowed.Load(); n != 100 {
				t.Errorf("320 concurrent calls on two replicas, burst 100: %d allowed", n)
			}
		},
	})
}
