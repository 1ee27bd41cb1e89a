package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// SessionStore tests a fastmcp.SessionStore.
func SessionStore(t *testing.T, open Open[fastmcp.SessionStore]) {
	run(t, open, map[string]func(t *testing.T, a, b fastmcp.SessionStore){
		"fields": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			in := map[string][]byte{"v": []byte("1"), "bin": {0, 255, '\n'}, "empty": {}}
			if err := a.Create(ctx, "s", in, long); err != nil {
				t.Fatal(err)
			}
			in["v"][0] = 'x' // the store keeps its own copy
			must(t, b.Set(ctx, "s", "w", []byte("2")))
			must(t, a.Set(ctx, "s", "v", nil))
			got, err := b.Get(ctx, "s")
			must(t, err)
			want := map[string]string{"w": "2", "bin": "\x00\xff\n", "empty": ""}
			if diff := testdiff.Diff(want, asStrings(got)); diff != "" {
				t.Errorf("Get on the other replica (-want +got):\n%s", diff)
			}
			got["w"][0] = 'y' // the caller's copy
			if again, _ := a.Get(ctx, "s"); string(again["w"]) != "2" {
				t.Error("Get returned the store's own bytes")
			}
			// Deleting every field leaves the session.
			for _, f := range []string{"w", "bin", "empty"} {
				must(t, a.Set(ctx, "s", f, nil))
			}
			if got, err := b.Get(ctx, "s"); err != nil || len(got) != 0 {
				t.Errorf("a session without fields: %q %v", got, err)
			}
			if err := a.Set(ctx, "s", "z", []byte("3")); err != nil {
				t.Errorf("Set on a session without fields: %v", err)
			}
		},
		"missing": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			for name, err := range map[string]error{
				"Get":               func() error { _, err := a.Get(ctx, "nope"); return err }(),
				"Set":               a.Set(ctx, "nope", "v", []byte("1")),
				"Unset":             a.Set(ctx, "nope", "v", nil),
				"Touch":             a.Touch(ctx, "nope", long),
				"Touch without TTL": a.Touch(ctx, "nope", 0),
			} {
				if !errors.Is(err, fastmcp.ErrSessionNotFound) {
					t.Errorf("%s of a missing session: %v", name, err)
				}
			}
			// Set must not create what it does not find.
			if _, err := b.Get(ctx, "nope"); !errors.Is(err, fastmcp.ErrSessionNotFound) {
				t.Errorf("Set of a missing session created it: %v", err)
			}
		},
		"delete": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, "s", map[string][]byte{"v": []byte("1")}, long))
			if ok, err := b.Delete(ctx, "s"); !ok || err != nil {
				t.Errorf("Delete: %v %v", ok, err)
			}
			if ok, err := a.Delete(ctx, "s"); ok || err != nil {
				t.Errorf("Delete twice: %v %v, want false", ok, err)
			}
			if _, err := a.Get(ctx, "s"); !errors.Is(err, fastmcp.ErrSessionNotFound) {
				t.Errorf("Get after Delete: %v", err)
			}
			if err := a.Set(ctx, "s", "v", []byte("2")); !errors.Is(err, fastmcp.ErrSessionNotFound) {
				t.Errorf("Set after Delete: %v", err)
			}
		},
		"create replaces": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, "s", map[string][]byte{"old": []byte("1")}, long))
			must(t, b.Create(ctx, "s", map[string][]byte{"new": []byte("2")}, long))
			got, err := a.Get(ctx, "s")
			if diff := testdiff.Diff(map[string]string{"new": "2"}, asStrings(got)); err != nil || diff != "" {
				t.Errorf("a second Create (-want +got):\n%s %v", diff, err)
			}
			must(t, a.Create(ctx, "none", nil, long))
			if got, err := b.Get(ctx, "none"); err != nil || len(got) != 0 {
				t.Errorf("a session created without fields: %q %v", got, err)
			}
		},
		"ttl": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, "short", nil, short))
			must(t, a.Create(ctx, "touched", nil, medium))
			must(t, a.Create(ctx, "forever", nil, 0))
			must(t, b.Touch(ctx, "touched", long))
			must(t, b.Touch(ctx, "forever", 0))
			// Created after the Touch with touched's first TTL: once it
			// has expired, so would touched have without the Touch.
			must(t, a.Create(ctx, "probe", nil, medium))
			testkit.Eventually(t, "the short session to expire", func() bool {
				_, err := b.Get(ctx, "short")
				return errors.Is(err, fastmcp.ErrSessionNotFound)
			})
			testkit.Eventually(t, "the probe session to expire", func() bool {
				_, err := b.Get(ctx, "probe")
				return errors.Is(err, fastmcp.ErrSessionNotFound)
			})
			for _, id := range []string{"touched", "forever"} {
				if _, err := a.Get(ctx, id); err != nil {
					t.Errorf("%s expired: %v", id, err)
				}
			}
			if err := a.Touch(ctx, "short", long); !errors.Is(err, fastmcp.ErrSessionNotFound) {
				t.Errorf("Touch of an expired session: %v", err)
			}
			if ok, _ := a.Delete(ctx, "short"); ok {
				t.Error("Delete reported an expired session as existing")
			}
		},
		"odd ids": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			ids := []string{"", "\x00", "\x00a", "a}b", "{a}", "{}", "a:b", "ü"}
			for i, id := range ids {
				must(t, a.Create(ctx, id, map[string][]byte{"i": fmt.Append(nil, i)}, long))
			}
			for i, id := range ids {
				got, err := b.Get(ctx, id)
				if err != nil || string(got["i"]) != fmt.Sprint(i) {
					t.Errorf("session %q: %q %v (ids must not collide)", id, got, err)
				}
			}
		},
		"concurrent": func(t *testing.T, a, b fastmcp.SessionStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, "s", nil, long))
			var wg sync.WaitGroup
			for w := range 8 {
				st := a
				if w%2 == 1 {
					st = b
				}
				wg.Go(func() {
					for i := range 50 {
						if err := st.Set(ctx, "s", fmt.Sprint(w, "-", i), []byte("x")); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if got, err := a.Get(ctx, "s"); err != nil || len(got) != 400 {
				t.Errorf("8x50 concurrent Sets: %d fields, %v", len(got), err)
			}
		},
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func asStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
