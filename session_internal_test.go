package fastmcp

// Internal tests of the session event machinery: races between a session
// becoming ready and handlers being registered, which the black-box tests
// can only hit by chance.

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ssiServer returns a server whose diagnostics are discarded.
func ssiServer() *Server {
	return New(Options{Name: "internal", Version: "1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// ssiDrain waits until every event queued on the session so far has run:
// events of a session run in order, so a marker queued now runs last.
func ssiDrain(s *Session) {
	done := make(chan struct{})
	s.emit(func() { close(done) })
	<-done
}

// OnReady registered while the session becomes ready must run exactly once.
// First with the interleaving forced: OnReady landing between setReady
// marking the session ready and the ready handlers being looked up (which is
// how an earlier version of events.go ran the handler twice); then unforced,
// for a while.
func TestSessionInternalOnReadyRacingSetReadyRunsOnce(t *testing.T) {
	srv := ssiServer()
	sess := newSession(srv, nil)
	var calls atomic.Int32
	// setReady, first step.
	sess.mu.Lock()
	sess.ready = true
	sess.mu.Unlock()
	// OnReady in between.
	sess.OnReady(func() { calls.Add(1) })
	// setReady, second step.
	sess.emitReady()
	ssiDrain(sess)
	if n := calls.Load(); n != 1 {
		t.Errorf("an OnReady handler registered between the two steps of setReady ran %d times", n)
	}

	// The same race, unforced, for a while: it must never run twice.
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		sess := newSession(srv, nil)
		var calls atomic.Int32
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); sess.OnReady(func() { calls.Add(1) }) }()
		go func() { defer wg.Done(); sess.setReady() }()
		wg.Wait()
		ssiDrain(sess)
		if n := calls.Load(); n != 1 {
			t.Fatalf("OnReady racing setReady: the handler ran %d times", n)
		}
	}
}

// Events run one at a time, in the order they were queued, even when queued
// from many goroutines; a panicking handler does not stop the queue.
func TestSessionInternalEventQueueOrderAndPanics(t *testing.T) {
	srv := ssiServer()
	sess := newSession(srv, nil)
	var mu sync.Mutex
	var got []int
	var running atomic.Int32
	for i := range 200 {
		sess.emit(func() {
			if running.Add(1) != 1 {
				t.Error("two handlers of one session ran at once")
			}
			defer running.Add(-1)
			if i%10 == 0 {
				panic("handler panics")
			}
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		})
	}
	ssiDrain(sess)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 180 {
		t.Fatalf("%d handlers ran to completion, want 180", len(got))
	}
	for k := 1; k < len(got); k++ {
		if got[k] <= got[k-1] {
			t.Fatalf("handlers ran out of order: %v", got)
		}
	}
}

// The memory store keeps nothing for a scope after Clear, and its sweep drops
// expired entries and empty scopes.
func TestSessionInternalMemoryStoreHoldsNothingAfterClear(t *testing.T) {
	st := NewMemoryStateStore().(*memoryStateStore)
	ctx := t.Context()
	st.Set(ctx, "a", "k", []byte(`1`), 0)
	st.Add(ctx, "a", "n", 1, 0)
	st.Set(ctx, "b", "k", []byte(`2`), 0)
	st.Clear(ctx, "a")
	st.mu.Lock()
	_, hasA := st.scopes["a"]
	nb := len(st.scopes["b"])
	st.mu.Unlock()
	if hasA || nb != 1 {
		t.Errorf("after Clear(a): scope a present %v, scope b has %d keys", hasA, nb)
	}
	// Deleting the last key leaves an empty scope until the next sweep.
	st.Delete(ctx, "b", "k")
	for i := range 1000 {
		st.Set(ctx, "c", "k", []byte(`1`), 1) // 1ns: expired by the sweep
		_ = i
	}
	st.mu.Lock()
	_, hasB := st.scopes["b"]
	nc := len(st.scopes["c"])
	st.mu.Unlock()
	if hasB {
		t.Error("an empty scope survived the sweep")
	}
	if nc > 1 {
		t.Errorf("scope c holds %d keys", nc)
	}
}
