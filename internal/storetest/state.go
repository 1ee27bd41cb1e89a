package storetest

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// StateStore tests a fastmcp.StateStore.
func StateStore(t *testing.T, open Open[fastmcp.StateStore]) {
	run(t, open, map[string]func(t *testing.T, a, b fastmcp.StateStore){
		"values": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			if _, ok, err := a.Get(ctx, "s", "k"); ok || err != nil {
				t.Errorf("Get on an empty store: %v %v", ok, err)
			}
			buf := []byte(`"v"`)
			must(t, a.Set(ctx, "s", "k", buf, 0))
			buf[1] = 'X' // the store keeps its own copy
			got, ok, err := b.Get(ctx, "s", "k")
			if !ok || err != nil || string(got) != `"v"` {
				t.Errorf("Get on the other replica = %q %v %v", got, ok, err)
			}
			got[1] = 'Y' // and hands out copies
			if again, _, _ := a.Get(ctx, "s", "k"); string(again) != `"v"` {
				t.Errorf("mutating a Get result changed the store: %s", again)
			}
			must(t, b.Set(ctx, "s", "k", []byte{0, 255}, 0))
			if got, _, _ := a.Get(ctx, "s", "k"); string(got) != "\x00\xff" {
				t.Errorf("Set did not replace the value: %q", got)
			}
			must(t, a.Set(ctx, "s", "empty", nil, 0))
			if got, ok, _ := b.Get(ctx, "s", "empty"); !ok || len(got) != 0 {
				t.Errorf("an empty value: %q %v", got, ok)
			}
			if _, ok, _ := a.Get(ctx, "other", "k"); ok {
				t.Error("a key leaked across scopes")
			}
			must(t, b.Delete(ctx, "s", "k"))
			if _, ok, _ := a.Get(ctx, "s", "k"); ok {
				t.Error("the key survived Delete")
			}
			must(t, a.Delete(ctx, "s", "never"))
			must(t, a.Delete(ctx, "never", "never"))
		},
		"clear": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			must(t, a.Set(ctx, "s", "k", []byte("1"), 0))
			must(t, a.Set(ctx, "s", "t", []byte("1"), long))
			if _, err := a.Add(ctx, "s", "n", 1, 0); err != nil {
				t.Fatal(err)
			}
			must(t, a.Set(ctx, "keep", "k", []byte("1"), 0))
			must(t, b.Clear(ctx, "s"))
			for _, k := range []string{"k", "t", "n"} {
				if _, ok, _ := a.Get(ctx, "s", k); ok {
					t.Errorf("%s survived Clear", k)
				}
			}
			if _, ok, _ := a.Get(ctx, "keep", "k"); !ok {
				t.Error("Clear of one scope removed another's keys")
			}
			must(t, b.Clear(ctx, "never"))
			// A cleared scope is usable again.
			must(t, a.Set(ctx, "s", "k", []byte("2"), 0))
			if got, _, _ := b.Get(ctx, "s", "k"); string(got) != "2" {
				t.Errorf("after Clear: %q", got)
			}
		},
		"ttl": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			must(t, a.Set(ctx, "s", "short", []byte("1"), short))
			must(t, a.Set(ctx, "s", "long", []byte("1"), long))
			must(t, a.Set(ctx, "s", "forever", []byte("1"), 0))
			must(t, a.Set(ctx, "s", "reset", []byte("1"), short))
			must(t, b.Set(ctx, "s", "reset", []byte("2"), 0)) // a Set without TTL removes it
			must(t, a.Set(ctx, "t", "only", []byte("1"), short))
			testkit.Eventually(t, "the short key to expire", func() bool {
				_, ok, _ := b.Get(ctx, "s", "short")
				return !ok
			})
			for _, k := range []string{"long", "forever", "reset"} {
				if _, ok, _ := a.Get(ctx, "s", k); !ok {
					t.Errorf("%s expired with the short key", k)
				}
			}
			testkit.Eventually(t, "a scope of one short key to expire", func() bool {
				_, ok, _ := b.Get(ctx, "t", "only")
				return !ok
			})
			// An expired key is absent for Set and Add too.
			must(t, a.Set(ctx, "t", "only", []byte("2"), 0))
			if got, _, _ := b.Get(ctx, "t", "only"); string(got) != "2" {
				t.Errorf("Set after expiry: %q", got)
			}
		},
		"add": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			add := func(st fastmcp.StateStore, key string, d int64, ttl time.Duration, want int64) {
				t.Helper()
				if n, err := st.Add(ctx, "s", key, d, ttl); n != want || err != nil {
					t.Errorf("Add(%s, %d) = %d %v, want %d", key, d, n, err, want)
				}
			}
			add(a, "n", 5, medium, 5) // absent counts as 0; the TTL is set on creation
			add(b, "n", 2, 0, 7)      // and kept afterwards
			add(b, "n", -10, long, -3)
			must(t, a.Set(ctx, "s", "kept", []byte("40"), 0))
			add(b, "kept", 2, short, 42) // an existing key keeps its (lack of) TTL: checked once n expired
			add(a, "big", math.MaxInt64-1, 0, math.MaxInt64-1)
			add(a, "big", 1, 0, math.MaxInt64) // exact beyond 2^53
			if got, _, _ := b.Get(ctx, "s", "n"); string(got) != "-3" {
				t.Errorf("the counter reads %q, want -3", got)
			}
			testkit.Eventually(t, "the counter created with a short TTL to expire", func() bool {
				_, ok, _ := a.Get(ctx, "s", "n")
				return !ok
			})
			if got, ok, _ := a.Get(ctx, "s", "kept"); !ok || string(got) != "42" {
				t.Errorf("Add gave an existing key a TTL: %q %v", got, ok)
			}
			add(b, "n", 1, 0, 1) // after expiry it starts from 0 again
			must(t, a.Set(ctx, "s", "text", []byte(`"x"`), 0))
			if _, err := b.Add(ctx, "s", "text", 1, 0); err == nil {
				t.Error("Add on a non-integer succeeded")
			}
			if got, _, _ := a.Get(ctx, "s", "text"); string(got) != `"x"` {
				t.Errorf("a failed Add changed the value: %q", got)
			}
		},
		"concurrent add": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			var wg sync.WaitGroup
			for w := range 16 {
				st := a
				if w%2 == 1 {
					st = b
				}
				wg.Go(func() {
					for range 50 {
						if _, err := st.Add(ctx, "c", "n", 1, long); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if raw, _, _ := a.Get(ctx, "c", "n"); string(raw) != "800" {
				t.Errorf("16x50 concurrent Adds on two replicas: %s, want 800", raw)
			}
		},
		"odd keys": func(t *testing.T, a, b fastmcp.StateStore) {
			ctx := ctxOf(t)
			names := []string{"", "\x00", "a}b", "{a}", "{}", "a:b", "ü", "-1:x", "b"}
			for i, s := range names {
				for j, k := range names {
					must(t, a.Set(ctx, s, k, fmt.Appendf(nil, "%d/%d", i, j), 0))
				}
			}
			for i, s := range names {
				for j, k := range names {
					got, ok, err := b.Get(ctx, s, k)
					if want := fmt.Sprintf("%d/%d", i, j); string(got) != want || !ok || err != nil {
						t.Errorf("scope %q key %q: %q %v %v, want %s", s, k, got, ok, err, want)
					}
				}
			}
		},
	})
}
