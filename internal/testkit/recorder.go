package testkit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

// Event is one lifecycle event of a session.
type Event struct {
	Kind  string // connect, ready, rootsChanged, error, disconnect
	Seq   int64  // global order of arrival
	At    time.Time
	Cause error          // disconnect: Session.CloseCause
	Roots []fastmcp.Root // ready: Session.Roots; rootsChanged: the new roots
	Err   error          // error: the error
}

// Recorder records the lifecycle events of every session of a server, by
// session id.
type Recorder struct {
	seq atomic.Int64

	mu       sync.Mutex
	events   map[string][]Event
	sessions map[string]*fastmcp.Session
	order    []string // session ids in connect order
	changed  chan struct{}
}

// Record registers handlers on s that record every session's events: the
// session handlers are registered from OnConnect.
func Record(s *fastmcp.Server) *Recorder {
	r := &Recorder{events: map[string][]Event{}, sessions: map[string]*fastmcp.Session{}, changed: make(chan struct{})}
	s.OnConnect(func(sess *fastmcp.Session) {
		r.mu.Lock()
		r.sessions[sess.ID()] = sess
		r.order = append(r.order, sess.ID())
		r.mu.Unlock()
		r.add(sess.ID(), Event{Kind: "connect"})
		sess.OnReady(func() { r.add(sess.ID(), Event{Kind: "ready", Roots: sess.Roots()}) })
		sess.OnRootsChanged(func(roots []fastmcp.Root) { r.add(sess.ID(), Event{Kind: "rootsChanged", Roots: roots}) })
		sess.OnError(func(err error) { r.add(sess.ID(), Event{Kind: "error", Err: err}) })
	})
	s.OnDisconnect(func(sess *fastmcp.Session) {
		r.add(sess.ID(), Event{Kind: "disconnect", Cause: sess.CloseCause()})
	})
	return r
}

func (r *Recorder) add(id string, e Event) {
	e.Seq = r.seq.Add(1)
	e.At = time.Now()
	r.mu.Lock()
	r.events[id] = append(r.events[id], e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Events returns the events of a session so far.
func (r *Recorder) Events(id string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events[id])
}

// Kinds returns the kinds of a session's events so far, in order.
func (r *Recorder) Kinds(id string) []string {
	var out []string
	for _, e := range r.Events(id) {
		out = append(out, e.Kind)
	}
	return out
}

// Session returns the session with the id, once connected.
func (r *Recorder) Session(id string) *fastmcp.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[id]
}

// IDs returns the ids of the sessions that connected, in connect order.
func (r *Recorder) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// WaitFor waits until cond holds over the recorded events, failing the test
// after Wait.
func (r *Recorder) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	timer := time.NewTimer(Wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for %s", Wait, what)
		}
	}
}

// Wait waits until the session has recorded an event of the kind and
// returns the first one.
func (r *Recorder) Wait(t testing.TB, id, kind string) Event {
	t.Helper()
	var got Event
	r.WaitFor(t, kind+" of session "+id, func() bool {
		for _, e := range r.Events(id) {
			if e.Kind == kind {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// Await is Wait for goroutines other than the test's: it returns an error
// instead of failing the test.
func (r *Recorder) Await(id, kind string) (Event, error) {
	timer := time.NewTimer(Wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		for _, e := range r.Events(id) {
			if e.Kind == kind {
				return e, nil
			}
		}
		select {
		case <-ch:
		case <-timer.C:
			return Event{}, fmt.Errorf("session %s: no %s event within %v", id, kind, Wait)
		}
	}
}

// WaitConnected waits for n sessions to connect and returns the n-th.
func (r *Recorder) WaitConnected(t testing.TB, n int) *fastmcp.Session {
	t.Helper()
	r.WaitFor(t, fmt.Sprintf("%d sessions to connect", n), func() bool { return len(r.IDs()) >= n })
	ids := r.IDs()
	return r.Session(ids[n-1])
}

// CheckLifecycle checks that a session's events are exactly connect, ready
// and disconnect, once each and in that order (ignoring rootsChanged and
// error events, which fall between ready and disconnect).
func (r *Recorder) CheckLifecycle(t testing.TB, id string) []Event {
	t.Helper()
	// OnDisconnect handlers run in the background once the session is
	// done: wait for the event rather than racing it.
	r.Wait(t, id, "disconnect")
	var life []Event
	for _, e := range r.Events(id) {
		if e.Kind == "connect" || e.Kind == "ready" || e.Kind == "disconnect" {
			life = append(life, e)
		}
	}
	var kinds []string
	for _, e := range life {
		kinds = append(kinds, e.Kind)
	}
	if diff := testdiff.Diff([]string{"connect", "ready", "disconnect"}, kinds); diff != "" {
		t.Errorf("session %s lifecycle events (-want +got):\n%s", id, diff)
		return life
	}
	for i := 1; i < len(life); i++ {
		if life[i].Seq <= life[i-1].Seq || life[i].At.Before(life[i-1].At) {
			t.Errorf("session %s: %s (seq %d, %v) does not follow %s (seq %d, %v)", id,
				life[i].Kind, life[i].Seq, life[i].At, life[i-1].Kind, life[i-1].Seq, life[i-1].At)
		}
	}
	return life
}

// NoChannelErrors counts a session's error events for a missing channel to
// the client.
func (r *Recorder) NoChannelErrors(sess *fastmcp.Session) int {
	n := 0
	for _, e := range r.Events(sess.ID()) {
		if e.Kind == "error" && strings.Contains(e.Err.Error(), "no open stream") {
			n++
		}
	}
	return n
}

// RootsMissedForNoChannel reports whether a session became ready (the ready
// event) without roots because roots/list had no channel to the client: the
// regression RootsBug describes.
func (r *Recorder) RootsMissedForNoChannel(sess *fastmcp.Session, ready Event) bool {
	return len(ready.Roots) == 0 && r.NoChannelErrors(sess) > 0
}

// RootsBug describes the regression the roots tests over Streamable HTTP
// guard against.
const RootsBug = "regression: over Streamable HTTP the roots are fetched right after notifications/initialized, " +
	"before the client's GET stream is attached: roots/list fails with \"no open stream to the client\" and the session becomes ready without roots " +
	"(engine.go afterHandshake/fetchRoots; streamable.go serveGet flushes the GET response headers before sess.setOutbound, " +
	"and the TypeScript SDK opens the GET stream only after initialized)"

// WaitClosed waits for a session to end.
func WaitClosed(t testing.TB, s *fastmcp.Session) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(Wait):
		t.Fatalf("session %s did not end within %v", s.ID(), Wait)
	}
}

// CauseIs checks that a close cause wraps ErrSessionClosed and says why.
func CauseIs(t testing.TB, cause error, want string) {
	t.Helper()
	if !errors.Is(cause, fastmcp.ErrSessionClosed) {
		t.Errorf("CloseCause %v does not wrap ErrSessionClosed", cause)
	}
	if cause == nil || !strings.Contains(cause.Error(), want) {
		t.Errorf("CloseCause %v, want one saying %q", cause, want)
	}
}
