package fastmcp_test

// The bounded in-memory EventStore.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// esAppend appends the events to a stream, starting at index from.
func esAppend(t *testing.T, es fastmcp.EventStore, session, stream string, from int64, events ...string) {
	t.Helper()
	for i, e := range events {
		if err := es.Append(context.Background(), session, stream, from+int64(i), []byte(e)); err != nil {
			t.Fatalf("Append %s/%s/%d: %v", session, stream, from+int64(i), err)
		}
	}
}

// esAfter returns After's events as strings.
func esAfter(es fastmcp.EventStore, session, stream string, index int64) ([]string, error) {
	_, evs, err := es.After(context.Background(), session, stream, index)
	var out []string
	for _, e := range evs {
		out = append(out, string(e))
	}
	return out, err
}

func TestEventStoreAfter(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(nil)
	esAppend(t, es, "s1", "p1", 0, "e0", "e1", "e2", "e3", "e4")
	esAppend(t, es, "s1", "g", 0, "g0")
	esAppend(t, es, "s2", "p1", 0, "other")
	for _, tc := range []struct {
		session, stream string
		index           int64
		want            []string
	}{
		{"s1", "p1", -1, []string{"e0", "e1", "e2", "e3", "e4"}},
		{"s1", "p1", 2, []string{"e3", "e4"}},
		{"s1", "p1", 4, nil},
		{"s1", "p1", 100, nil},
		{"s1", "g", -1, []string{"g0"}},
		{"s2", "p1", -1, []string{"other"}},
		{"s1", "nope", -1, nil},
		{"nope", "p1", -1, nil},
	} {
		got, err := esAfter(es, tc.session, tc.stream, tc.index)
		if err != nil {
			t.Errorf("After(%s, %s, %d): %v", tc.session, tc.stream, tc.index, err)
		}
		if diff := testdiff.Diff(tc.want, got); diff != "" {
			t.Errorf("After(%s, %s, %d) (-want +got):\n%s", tc.session, tc.stream, tc.index, diff)
		}
	}
}

func TestEventStoreCopiesData(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(nil)
	buf := []byte("original")
	if err := es.Append(context.Background(), "s", "p", 0, buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "MUTATED!")
	got, _ := esAfter(es, "s", "p", -1)
	if diff := testdiff.Diff([]string{"original"}, got); diff != "" {
		t.Errorf("the store kept the caller's buffer (-want +got):\n%s", diff)
	}
}

func TestEventStoreMaxEventsPerStream(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxEventsPerStream: 3})
	esAppend(t, es, "s", "p1", 0, "e0", "e1", "e2", "e3", "e4")
	esAppend(t, es, "s", "p2", 0, "x0", "x1")
	for _, tc := range []struct {
		stream  string
		index   int64
		want    []string
		expired bool
	}{
		{"p1", -1, []string{"e2", "e3", "e4"}, true}, // e0 and e1 are gone: the rest comes with the error
		{"p1", 0, []string{"e2", "e3", "e4"}, true},  // e1 is gone
		{"p1", 1, []string{"e2", "e3", "e4"}, false},
		{"p1", 3, []string{"e4"}, false},
		{"p1", 4, nil, false},
		{"p2", -1, []string{"x0", "x1"}, false}, // the bound is per stream
	} {
		got, err := esAfter(es, "s", tc.stream, tc.index)
		if tc.expired != errors.Is(err, fastmcp.ErrEventsExpired) {
			t.Errorf("After(%s, %d): error %v, want expired=%v", tc.stream, tc.index, err, tc.expired)
		}
		if err != nil && !tc.expired {
			t.Errorf("After(%s, %d): %v", tc.stream, tc.index, err)
		}
		if diff := testdiff.Diff(tc.want, got); diff != "" {
			t.Errorf("After(%s, %d) (-want +got):\n%s", tc.stream, tc.index, diff)
		}
	}
}

func TestEventStoreDefaultBounds(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(nil)
	for i := range 1001 {
		esAppend(t, es, "s", "p", int64(i), fmt.Sprint(i))
	}
	if _, err := esAfter(es, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
		t.Errorf("event 0 of 1001 should have expired (default 1000 per stream): %v", err)
	}
	got, err := esAfter(es, "s", "p", 0)
	if err != nil || len(got) != 1000 || got[0] != "1" {
		t.Errorf("After(0): %d events, first %q, %v", len(got), got[0], err)
	}
	// 1 MiB per session by default.
	big := strings.Repeat("x", 600<<10)
	esAppend(t, es, "t", "p", 0, big, big)
	if _, err := esAfter(es, "t", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
		t.Errorf("1.2 MiB kept in a session (default 1 MiB): %v", err)
	}
	if got, err := esAfter(es, "t", "p", 0); err != nil || len(got) != 1 {
		t.Errorf("After(0): %d events, %v", len(got), err)
	}
}

func TestEventStoreMaxBytesPerSession(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 10})
	esAppend(t, es, "s", "a", 0, "a000")
	esAppend(t, es, "s", "b", 0, "b000")
	esAppend(t, es, "s", "a", 1, "a111") // 12 bytes: the oldest event, a000, goes
	esAppend(t, es, "other", "a", 0, "o000", "o111")
	check := func(session, stream string, index int64, want []string, expired bool) {
		t.Helper()
		got, err := esAfter(es, session, stream, index)
		if expired != errors.Is(err, fastmcp.ErrEventsExpired) {
			t.Errorf("After(%s, %s, %d): %v, want expired=%v", session, stream, index, err, expired)
		}
		if diff := testdiff.Diff(want, got); diff != "" {
			t.Errorf("After(%s, %s, %d) (-want +got):\n%s", session, stream, index, diff)
		}
	}
	check("s", "a", -1, []string{"a111"}, true) // a000 is gone; the rest comes with the error
	check("s", "a", 0, []string{"a111"}, false)
	check("s", "b", -1, []string{"b000"}, false)
	check("other", "a", -1, []string{"o000", "o111"}, false) // the bound is per session

	// An event larger than the whole budget is not kept.
	es2 := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 10})
	esAppend(t, es2, "s", "p", 0, "small", strings.Repeat("x", 20))
	if got, _ := esAfter(es2, "s", "p", 0); len(got) != 0 {
		t.Errorf("an event over the budget was kept: %q", got)
	}
	// The budget is freed by eviction: later events fit again.
	esAppend(t, es2, "s", "p", 2, "next")
	if got, err := esAfter(es2, "s", "p", 1); err != nil || len(got) != 1 || got[0] != "next" {
		t.Errorf("After(1) = %q, %v", got, err)
	}
}

// "The oldest events of the session's streams are dropped first", whatever
// their stream: a long-lived GET stream created early must not lose its newest
// events before a finished POST stream's old ones. (Regression test.)
func TestEventStoreMaxBytesDropsOldestEventFirst(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 10})
	esAppend(t, es, "s", "g", 0, "g000") // t1
	esAppend(t, es, "s", "p", 0, "p000") // t2
	esAppend(t, es, "s", "g", 1, "g111") // t3: 12 bytes, g000 (t1) goes
	esAppend(t, es, "s", "p", 1, "p111") // t4: 12 bytes, p000 (t2) should go
	if got, err := esAfter(es, "s", "g", 0); err != nil || len(got) != 1 {
		t.Errorf("g after 0: %q, %v; want [g111] (the newer event was dropped)", got, err)
	}
	if _, err := esAfter(es, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
		t.Errorf("p from the start: %v, want ErrEventsExpired (p000 is the oldest event)", err)
	}
}

// esRetained returns the events a stream still holds: the suffix After gives
// from the first index it can answer without ErrEventsExpired.
func esRetained(t *testing.T, es fastmcp.EventStore, session, stream string, last int64) []string {
	t.Helper()
	for k := int64(-1); k <= last; k++ {
		got, err := esAfter(es, session, stream, k)
		if err == nil {
			return got
		}
		if !errors.Is(err, fastmcp.ErrEventsExpired) {
			t.Fatal(err)
		}
	}
	return nil
}

// A stream emptied by eviction and appended to again stays under the byte
// budget. (Regression test: such a stream used to leave the eviction order
// for good.)
func TestEventStoreMaxBytesAfterStreamEmptied(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 8})
	esAppend(t, es, "s", "g", 0, "g000", "g001")
	esAppend(t, es, "s", "p", 0, "p000", "p001", "p002") // empties g
	esAppend(t, es, "s", "g", 2, "g002", "g003", "g004", "g005", "g006", "g007", "g008", "g009")
	total := 0
	for _, e := range esRetained(t, es, "s", "g", 9) {
		total += len(e)
	}
	for _, e := range esRetained(t, es, "s", "p", 2) {
		total += len(e)
	}
	if total > 8 {
		t.Errorf("the session holds %d bytes, over MaxBytesPerSession 8", total)
	}
}

// When every event of a stream has been evicted, After from before them must
// still say that events are missing, not that there were none.
func TestEventStoreFullyEvictedStreamReportsExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts fastmcp.MemoryEventStoreOptions
		fill func(t *testing.T, es fastmcp.EventStore)
	}{
		{"byte budget", fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 8}, func(t *testing.T, es fastmcp.EventStore) {
			esAppend(t, es, "s", "p", 0, "p000", "p001")
			esAppend(t, es, "s", "q", 0, "q000", "q001") // p000 and p001 go
		}},
		{"oversized event", fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 8}, func(t *testing.T, es fastmcp.EventStore) {
			esAppend(t, es, "s", "p", 0, "p000", strings.Repeat("x", 9))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := fastmcp.NewMemoryEventStore(&tc.opts)
			tc.fill(t, es)
			got, err := esAfter(es, "s", "p", -1)
			if !errors.Is(err, fastmcp.ErrEventsExpired) {
				t.Errorf("After(-1) on a fully evicted stream = %q, %v; want ErrEventsExpired", got, err)
			}
		})
	}
}

func TestEventStoreGapRestartsWindow(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(nil)
	esAppend(t, es, "s", "p", 0, "e0", "e1")
	esAppend(t, es, "s", "p", 5, "e5")
	if _, err := esAfter(es, "s", "p", -1); !errors.Is(err, fastmcp.ErrEventsExpired) {
		t.Errorf("events before a gap should be reported missing: %v", err)
	}
	if got, err := esAfter(es, "s", "p", 4); err != nil || len(got) != 1 || got[0] != "e5" {
		t.Errorf("After(4) = %q, %v", got, err)
	}
}

func TestEventStoreSessionClosed(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxBytesPerSession: 8})
	esAppend(t, es, "s", "p", 0, "e0", "e1")
	esAppend(t, es, "keep", "p", 0, "k0")
	if err := es.SessionClosed(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	if got, err := esAfter(es, "s", "p", -1); err != nil || got != nil {
		t.Errorf("a closed session still has events: %q, %v", got, err)
	}
	if got, _ := esAfter(es, "keep", "p", -1); len(got) != 1 {
		t.Errorf("another session lost its events: %q", got)
	}
	if err := es.SessionClosed(context.Background(), "never-existed"); err != nil {
		t.Errorf("closing an unknown session: %v", err)
	}
	// A session id reused afterwards starts afresh, with its full budget.
	esAppend(t, es, "s", "p", 0, "n0", "n1")
	if got, err := esAfter(es, "s", "p", -1); err != nil || len(got) != 2 {
		t.Errorf("after reuse: %q, %v", got, err)
	}
}

func TestEventStoreConcurrent(t *testing.T) {
	t.Parallel()
	es := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxEventsPerStream: 50, MaxBytesPerSession: 4096})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			session := fmt.Sprint("s", w%2)
			stream := fmt.Sprint("p", w)
			for i := range 200 {
				if err := es.Append(context.Background(), session, stream, int64(i), []byte(fmt.Sprintf("event-%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
				_, evs, err := es.After(context.Background(), session, stream, int64(i)-1)
				if err == nil && len(evs) > 0 && string(evs[len(evs)-1]) != fmt.Sprintf("event-%d-%d", w, i) {
					t.Errorf("stream %s: last event %q", stream, evs[len(evs)-1])
					return
				}
				if i%50 == 0 && w == 0 {
					es.SessionClosed(context.Background(), "s1")
				}
			}
		})
	}
	wg.Wait()
}

// A store implemented outside the package plugs in: the HTTP handler uses
// it for every stream.
type htCountingStore struct {
	fastmcp.EventStore
	mu      sync.Mutex
	appends int
	afters  int
}

func (c *htCountingStore) Append(ctx context.Context, session, stream string, index int64, data []byte) error {
	c.mu.Lock()
	c.appends++
	c.mu.Unlock()
	return c.EventStore.Append(ctx, session, stream, index, data)
}

func (c *htCountingStore) After(ctx context.Context, session, stream string, index int64) (int64, [][]byte, error) {
	c.mu.Lock()
	c.afters++
	c.mu.Unlock()
	return c.EventStore.After(ctx, session, stream, index)
}

func TestEventStorePluggable(t *testing.T) {
	t.Parallel()
	store := &htCountingStore{EventStore: fastmcp.NewMemoryEventStore(nil)}
	opts := fastmcp.HTTP{EventStore: store}
	ts := testkit.ServeHTTP(t, htTestServer(t), opts)
	c := htNewClient(t, htEndpoint(ts.URL, opts), "")
	c.initialize()
	_, resp := c.request("tools/call", map[string]any{"name": "chatty", "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": 1}})
	if n := len(c.messages(resp)); n != 3 {
		t.Fatalf("%d messages", n)
	}
	store.mu.Lock()
	appends := store.appends
	store.mu.Unlock()
	if appends != 3 {
		t.Errorf("%d events stored, want 3 (progress, log, response)", appends)
	}
	_, sr := c.openGET(map[string]string{"Last-Event-ID": "p1_1"})
	evs := htReadAllEvents(t, c, sr)
	if len(evs) != 2 {
		t.Errorf("replayed %d events from the custom store, want 2", len(evs))
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.afters == 0 {
		t.Error("the custom store was not asked for the replay")
	}
}

// The memory store reports what it holds.
func TestMemoryEventStoreStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	es := fastmcp.NewMemoryEventStore(nil)
	st, ok := es.(interface {
		Stats() fastmcp.EventStoreStats
	})
	if !ok {
		t.Fatal("the memory store has no Stats method")
	}
	for i, s := range []string{"a", "a", "b"} {
		if err := es.Append(ctx, s, "g"+s, int64(i), []byte("xyz")); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := st.Stats(), (fastmcp.EventStoreStats{Sessions: 2, Streams: 2, Events: 3, Bytes: 9}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if err := es.SessionClosed(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, want := st.Stats(), (fastmcp.EventStoreStats{Sessions: 1, Streams: 1, Events: 1, Bytes: 3}); got != want {
		t.Errorf("after SessionClosed: Stats = %+v, want %+v", got, want)
	}
}
