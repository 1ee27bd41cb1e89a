package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

// OpenEvents returns two handles on one fresh event store keeping at most
// maxEvents per stream and maxBytes per session (0: the defaults, 1000 and
// 1 MiB).
type OpenEvents func(t *testing.T, maxEvents, maxBytes int) (a, b fastmcp.EventStore)

// EventStore tests a fastmcp.EventStore: the bounds and answers of the
// in-memory store are the contract.
func EventStore(t *testing.T, open OpenEvents) {
	with := func(maxEvents, maxBytes int) Open[fastmcp.EventStore] {
		return func(t *testing.T) (a, b fastmcp.EventStore) { return open(t, maxEvents, maxBytes) }
	}
	type events = func(t *testing.T, a, b fastmcp.EventStore)
	run(t, with(0, 0), map[string]events{
		"after": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s1", "p1", 0, "e0", "e1", "e2", "e3", "e4")
			appendAll(t, b, "s1", "g", 0, "g0")
			appendAll(t, a, "s2", "p1", 0, "other")
			for _, tc := range []struct {
				session, stream string
				index, first    int64
				want            []string
			}{
				{"s1", "p1", -1, 0, []string{"e0", "e1", "e2", "e3", "e4"}},
				{"s1", "p1", 2, 3, []string{"e3", "e4"}},
				{"s1", "p1", 4, 5, nil},
				{"s1", "p1", 100, 101, nil},
				{"s1", "g", -1, 0, []string{"g0"}},
				{"s2", "p1", -1, 0, []string{"other"}},
				{"s1", "nope", -1, 0, nil},
				{"nope", "p1", 7, 8, nil},
			} {
				first, got, err := after(t, b, tc.session, tc.stream, tc.index)
				if err != nil || first != tc.first {
					t.Errorf("After(%s, %s, %d): first %d, %v; want first %d", tc.session, tc.stream, tc.index, first, err, tc.first)
				}
				if diff := testdiff.Diff(tc.want, got); diff != "" {
					t.Errorf("After(%s, %s, %d) (-want +got):\n%s", tc.session, tc.stream, tc.index, diff)
				}
			}
		},
		"copies data": func(t *testing.T, a, b fastmcp.EventStore) {
			buf := []byte("original")
			must(t, a.Append(ctxOf(t), "s", "p", 0, buf))
			copy(buf, "MUTATED!")
			_, got, _ := after(t, b, "s", "p", -1)
			if diff := testdiff.Diff([]string{"original"}, got); diff != "" {
				t.Errorf("the store kept the caller's buffer (-want +got):\n%s", diff)
			}
		},
		"default bounds": func(t *testing.T, a, b fastmcp.EventStore) {
			for i := range 1001 {
				appendAll(t, a, "s", "p", int64(i), fmt.Sprint(i))
			}
			if first, _, err := after(t, b, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) || first != 1 {
				t.Errorf("event 0 of 1001 should have expired (default 1000 per stream): first %d, %v", first, err)
			}
			_, got, err := after(t, b, "s", "p", 0)
			if err != nil || len(got) != 1000 || got[0] != "1" {
				t.Errorf("After(0): %d events, %v", len(got), err)
			}
			big := strings.Repeat("x", 600<<10)
			appendAll(t, a, "t", "p", 0, big, big)
			if _, _, err := after(t, b, "t", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
				t.Errorf("1.2 MiB kept in a session (default 1 MiB): %v", err)
			}
			if _, got, err := after(t, b, "t", "p", 0); err != nil || len(got) != 1 {
				t.Errorf("After(0): %d events, %v", len(got), err)
			}
		},
		"gap restarts window": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "p", 0, "e0", "e1")
			appendAll(t, b, "s", "p", 5, "e5")
			if first, got, err := after(t, a, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) || first != 5 || len(got) != 1 {
				t.Errorf("events before a gap should be reported missing: %d %q %v", first, got, err)
			}
			if _, got, err := after(t, a, "s", "p", 4); err != nil || len(got) != 1 || got[0] != "e5" {
				t.Errorf("After(4) = %q, %v", got, err)
			}
		},
		"session closed": func(t *testing.T, a, b fastmcp.EventStore) {
			ctx := ctxOf(t)
			appendAll(t, a, "s", "p", 0, "e0", "e1")
			appendAll(t, a, "keep", "p", 0, "k0")
			must(t, b.SessionClosed(ctx, "s"))
			if _, got, err := after(t, a, "s", "p", -1); err != nil || got != nil {
				t.Errorf("a closed session still has events: %q, %v", got, err)
			}
			if _, got, _ := after(t, a, "keep", "p", -1); len(got) != 1 {
				t.Errorf("another session lost its events: %q", got)
			}
			must(t, b.SessionClosed(ctx, "never-existed"))
			appendAll(t, a, "s", "p", 0, "n0", "n1")
			if _, got, err := after(t, b, "s", "p", -1); err != nil || len(got) != 2 {
				t.Errorf("after reuse: %q, %v", got, err)
			}
		},
		"odd ids": func(t *testing.T, a, b fastmcp.EventStore) {
			ids := []string{"", "\x00", "a}b", "{a}", "1:2", "ü"}
			for i, s := range ids {
				for j, p := range ids {
					appendAll(t, a, s, p, 0, fmt.Sprintf("%d/%d", i, j))
				}
			}
			for i, s := range ids {
				for j, p := range ids {
					_, got, err := after(t, b, s, p, -1)
					if want := fmt.Sprintf("%d/%d", i, j); err != nil || len(got) != 1 || got[0] != want {
						t.Errorf("session %q stream %q: %q %v, want [%s]", s, p, got, err, want)
					}
				}
			}
		},
	})
	run(t, with(3, 0), map[string]events{
		"max events per stream": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "p1", 0, "e0", "e1", "e2", "e3", "e4")
			appendAll(t, a, "s", "p2", 0, "x0", "x1")
			for _, tc := range []struct {
				stream  string
				index   int64
				want    []string
				expired bool
			}{
				{"p1", -1, []string{"e2", "e3", "e4"}, true},
				{"p1", 0, []string{"e2", "e3", "e4"}, true},
				{"p1", 1, []string{"e2", "e3", "e4"}, false},
				{"p1", 3, []string{"e4"}, false},
				{"p1", 4, nil, false},
				{"p2", -1, []string{"x0", "x1"}, false},
			} {
				_, got, err := after(t, b, "s", tc.stream, tc.index)
				if tc.expired != errors.Is(err, fastmcp.ErrEventsExpired) || (err != nil && !tc.expired) {
					t.Errorf("After(%s, %d): error %v, want expired=%v", tc.stream, tc.index, err, tc.expired)
				}
				if diff := testdiff.Diff(tc.want, got); diff != "" {
					t.Errorf("After(%s, %d) (-want +got):\n%s", tc.stream, tc.index, diff)
				}
			}
		},
	})
	run(t, with(0, 10), map[string]events{
		"max bytes per session": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "a", 0, "a000")
			appendAll(t, b, "s", "b", 0, "b000")
			appendAll(t, a, "s", "a", 1, "a111") // 12 bytes: the oldest event, a000, goes
			appendAll(t, b, "other", "a", 0, "o000", "o111")
			check := func(session, stream string, index int64, want []string, expired bool) {
				t.Helper()
				_, got, err := after(t, b, session, stream, index)
				if expired != errors.Is(err, fastmcp.ErrEventsExpired) {
					t.Errorf("After(%s, %s, %d): %v, want expired=%v", session, stream, index, err, expired)
				}
				if diff := testdiff.Diff(want, got); diff != "" {
					t.Errorf("After(%s, %s, %d) (-want +got):\n%s", session, stream, index, diff)
				}
			}
			check("s", "a", -1, []string{"a111"}, true)
			check("s", "a", 0, []string{"a111"}, false)
			check("s", "b", -1, []string{"b000"}, false)
			check("other", "a", -1, []string{"o000", "o111"}, false)
		},
		"oversized event": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "p", 0, "small", strings.Repeat("x", 20))
			if _, got, _ := after(t, b, "s", "p", 0); len(got) != 0 {
				t.Errorf("an event over the budget was kept: %q", got)
			}
			appendAll(t, a, "s", "p", 2, "next") // the budget was freed
			if _, got, err := after(t, b, "s", "p", 1); err != nil || len(got) != 1 || got[0] != "next" {
				t.Errorf("After(1) = %q, %v", got, err)
			}
		},
		"oldest event first": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "g", 0, "g000")
			appendAll(t, b, "s", "p", 0, "p000")
			appendAll(t, a, "s", "g", 1, "g111") // g000 goes
			appendAll(t, b, "s", "p", 1, "p111") // p000 goes, not g111
			if _, got, err := after(t, a, "s", "g", 0); err != nil || len(got) != 1 {
				t.Errorf("g after 0: %q, %v; want [g111]", got, err)
			}
			if _, _, err := after(t, a, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
				t.Errorf("p from the start: %v, want ErrEventsExpired", err)
			}
		},
		"fully evicted stream reports expiry": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "p", 0, "p000", "p001")
			appendAll(t, a, "s", "q", 0, "q000", "q001", "q002") // p000 and p001 go
			if first, got, err := after(t, b, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) || first != 2 {
				t.Errorf("After(-1) on a fully evicted stream = %d %q, %v; want first 2, ErrEventsExpired", first, got, err)
			}
			appendAll(t, b, "s", "p", 2, "p002") // the stream goes on where it was
			if _, got, err := after(t, a, "s", "p", 1); err != nil || len(got) != 1 || got[0] != "p002" {
				t.Errorf("After(1) = %q, %v", got, err)
			}
		},
	})
	run(t, with(0, 8), map[string]events{
		"stream emptied and refilled stays in budget": func(t *testing.T, a, b fastmcp.EventStore) {
			appendAll(t, a, "s", "g", 0, "g000", "g001")
			appendAll(t, a, "s", "p", 0, "p000", "p001", "p002") // empties g
			appendAll(t, b, "s", "g", 2, "g002", "g003", "g004", "g005", "g006", "g007", "g008", "g009")
			total := 0
			for _, e := range retained(t, a, "s", "g", 9) {
				total += len(e)
			}
			for _, e := range retained(t, a, "s", "p", 2) {
				total += len(e)
			}
			if total > 8 {
				t.Errorf("the session holds %d bytes, over MaxBytesPerSession 8", total)
			}
		},
		"empty streams are bounded": func(t *testing.T, a, b fastmcp.EventStore) {
			// Each stream's only event is evicted by the next stream's:
			// the store remembers the last 256 emptied streams, no more.
			for i := range 300 {
				appendAll(t, a, "s", fmt.Sprint("p", i), 0, "eeeeeee")
			}
			if _, _, err := after(t, b, "s", "p298", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
				t.Errorf("a recently emptied stream: %v, want ErrEventsExpired", err)
			}
			if first, got, err := after(t, b, "s", "p0", -1); err != nil || got != nil || first != 0 {
				t.Errorf("the oldest emptied stream was remembered: %d %q %v", first, got, err)
			}
		},
	})
	run(t, with(50, 4096), map[string]events{
		"concurrent": func(t *testing.T, a, b fastmcp.EventStore) {
			ctx := ctxOf(t)
			var wg sync.WaitGroup
			for w := range 8 {
				st := a
				if w%2 == 1 {
					st = b
				}
				wg.Go(func() {
					session, stream := fmt.Sprint("s", w%2), fmt.Sprint("p", w)
					for i := range 100 {
						want := fmt.Sprintf("event-%d-%d", w, i)
						if err := st.Append(ctx, session, stream, int64(i), []byte(want)); err != nil {
							t.Error(err)
							return
						}
						_, evs, err := st.After(ctx, session, stream, int64(i)-1)
						if err != nil && !errors.Is(err, fastmcp.ErrEventsExpired) {
							t.Error(err)
							return
						}
						if err == nil && len(evs) > 0 && string(evs[len(evs)-1]) != want {
							t.Errorf("stream %s: last event %q, want %q", stream, evs[len(evs)-1], want)
							return
						}
						if i%25 == 0 && w == 0 {
							st.SessionClosed(ctx, "s1")
						}
					}
				})
			}
			wg.Wait()
		},
	})
}

func appendAll(t *testing.T, es fastmcp.EventStore, session, stream string, from int64, events ...string) {
	t.Helper()
	for i, e := range events {
		if err := es.Append(ctxOf(t), session, stream, from+int64(i), []byte(e)); err != nil {
			t.Fatalf("Append %s/%s/%d: %v", session, stream, from+int64(i), err)
		}
	}
}

func after(t *testing.T, es fastmcp.EventStore, session, stream string, index int64) (int64, []string, error) {
	t.Helper()
	first, evs, err := es.After(ctxOf(t), session, stream, index)
	if err != nil && !errors.Is(err, fastmcp.ErrEventsExpired) {
		t.Fatalf("After(%s, %s, %d): %v", session, stream, index, err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, string(e))
	}
	return first, out, err
}

// retained returns the events a stream still holds: what After gives from
// the first index it answers without ErrEventsExpired.
func retained(t *testing.T, es fastmcp.EventStore, session, stream string, last int64) []string {
	t.Helper()
	for k := int64(-1); k <= last; k++ {
		_, got, err := after(t, es, session, stream, k)
		if err == nil {
			return got
		}
	}
	return nil
}
