package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// OAuthStore tests an oauth.Store: values, expiry, and Take giving a value
// to exactly one of concurrent callers on every replica.
func OAuthStore(t *testing.T, open Open[oauth.Store]) {
	run(t, open, map[string]func(t *testing.T, a, b oauth.Store){
		"values": func(t *testing.T, a, b oauth.Store) {
			ctx := ctxOf(t)
			buf := []byte("v1")
			must(t, a.Put(ctx, "k", buf, 0))
			buf[0] = 'X'
			if got, err := b.Get(ctx, "k"); err != nil || string(got) != "v1" {
				t.Errorf("Get = %q %v", got, err)
			}
			must(t, b.Put(ctx, "k", []byte("v2"), long))
			if got, err := a.Take(ctx, "k"); err != nil || string(got) != "v2" {
				t.Errorf("Take = %q %v", got, err)
			}
			for name, err := range map[string]error{
				"Get after Take":  func() error { _, err := b.Get(ctx, "k"); return err }(),
				"Take after Take": func() error { _, err := b.Take(ctx, "k"); return err }(),
				"Get of nothing":  func() error { _, err := a.Get(ctx, "never"); return err }(),
			} {
				if !errors.Is(err, oauth.ErrNotFound) {
					t.Errorf("%s: %v, want ErrNotFound", name, err)
				}
			}
			must(t, a.Put(ctx, "d", []byte("x"), 0))
			must(t, b.Delete(ctx, "d"))
			must(t, b.Delete(ctx, "d"))
			if _, err := a.Get(ctx, "d"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Get after Delete: %v", err)
			}
		},
		"ttl": func(t *testing.T, a, b oauth.Store) {
			ctx := ctxOf(t)
			must(t, a.Put(ctx, "short", []byte("x"), short))
			must(t, a.Put(ctx, "long", []byte("x"), long))
			testkit.Eventually(t, "the short entry to expire", func() bool {
				_, err := b.Get(ctx, "short")
				return errors.Is(err, oauth.ErrNotFound)
			})
			if _, err := b.Take(ctx, "short"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Take of an expired entry: %v", err)
			}
			if _, err := b.Get(ctx, "long"); err != nil {
				t.Errorf("the long entry expired: %v", err)
			}
		},
		"take once": func(t *testing.T, a, b oauth.Store) {
			ctx := ctxOf(t)
			for round := range 20 {
				must(t, a.Put(ctx, "code", []byte("c"), long))
				var got atomic.Int64
				var wg sync.WaitGroup
				for w := range 8 {
					st := a
					if w%2 == 1 {
						st = b
					}
					wg.Go(func() {
						_, err := st.Take(ctx, "code")
						switch {
						case err == nil:
							got.Add(1)
						case !errors.Is(err, oauth.ErrNotFound):
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if n := got.Load(); n != 1 {
					t.Fatalf("round %d: %d of 8 concurrent Takes got the code", round, n)
				}
			}
		},
	})
}
