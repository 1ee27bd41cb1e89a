package fastmcp_test

// Session lifecycle over Streamable HTTP: the idle reaper, the session cap,
// and the agreement of Server.Sessions, HTTPHandler.SessionCount and /ready.

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// htAlive reports whether the session with the id is still live.
func htAlive(s *fastmcp.Server, sid string) bool {
	for _, sess := range s.Sessions() {
		if sess.ID() == sid {
			return true
		}
	}
	return false
}

// htWaitKeepAlive reads the GET stream until its first keep-alive comment,
// which shows the stream is registered with its session.
func htWaitKeepAlive(t testing.TB, sr *testkit.SSEReader) {
	t.Helper()
	for {
		ev, err := sr.Next()
		if err != nil {
			t.Fatalf("GET stream: %v", err)
		}
		if len(ev.Comments) > 0 {
			return
		}
	}
}

func TestHTTPSessionReaper(t *testing.T) {
	t.Parallel()
	const idle = 40 * time.Millisecond
	t.Run("idle session ends", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{SessionIdleTimeout: idle}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		start := time.Now()
		c.initializeOnly()
		testkit.Eventually(t, "the idle session to be reaped", func() bool { return h.SessionCount() == 0 })
		if d := time.Since(start); d < idle {
			t.Errorf("reaped after %v, before the idle timeout %v", d, idle)
		}
		if len(s.Sessions()) != 0 {
			t.Error("the reaped session is still in Server.Sessions")
		}
		_, resp := c.request("tools/list", nil)
		htWantError(t, resp, http.StatusNotFound, -32001)
	})
	t.Run("activity keeps a session", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{SessionIdleTimeout: 300 * time.Millisecond}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		// Requests every 20ms for longer than the timeout.
		deadline := time.Now().Add(700 * time.Millisecond)
		for time.Now().Before(deadline) {
			c.call("ping", nil)
			time.Sleep(20 * time.Millisecond)
		}
		if h.SessionCount() != 1 {
			t.Fatal("an active session was reaped")
		}
	})
	t.Run("open GET stream protects a session", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{SessionIdleTimeout: idle, KeepAliveInterval: 5 * time.Millisecond}
		ts := testkit.ServeHTTP(t, s, opts)
		// The session may be reaped before its stream opens on a slow
		// machine: try again then.
		var a *htClient
		var resp *http.Response
		testkit.Eventually(t, "a session with an open GET stream", func() bool {
			a = htNewClient(t, htEndpoint(ts.URL, opts), "")
			a.initializeOnly()
			var sr *testkit.SSEReader
			resp, sr = a.openGET(nil)
			if resp.StatusCode != http.StatusOK {
				return false
			}
			htWaitKeepAlive(t, sr)
			return true
		})
		// A session created after the stream opened is reaped first: once it
		// is gone, a (older) session without protection would be gone too.
		b := htNewClient(t, htEndpoint(ts.URL, opts), "")
		b.initializeOnly()
		testkit.Eventually(t, "the idle session to be reaped", func() bool { return !htAlive(s, b.sid) })
		if !htAlive(s, a.sid) {
			t.Fatal("the session with an open GET stream was reaped")
		}
		// Once the stream closes, the session is reaped like any other.
		resp.Body.Close()
		testkit.Eventually(t, "the session to be reaped after its stream closed", func() bool { return !htAlive(s, a.sid) })
	})
	t.Run("in-flight request protects a session", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		unblock := func() { once.Do(func() { close(release) }) }
		t.Cleanup(unblock)
		fastmcp.AddTool(s, fastmcp.Tool{Name: "slow"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			close(started)
			select {
			case <-release:
				return "finished", nil
			case <-ctx.Done():
				return "", context.Cause(ctx)
			}
		})
		opts := fastmcp.HTTP{SessionIdleTimeout: idle}
		ts := testkit.ServeHTTP(t, s, opts)
		// The session may be reaped before its call starts on a slow
		// machine: try again then.
		var a *htClient
		var answer chan string
		testkit.Eventually(t, "a call in flight", func() bool {
			a = htNewClient(t, htEndpoint(ts.URL, opts), "")
			a.initializeOnly()
			res := make(chan string, 1)
			body := testkit.Encode(1, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{}})
			r := a.newRequest(http.MethodPost, body)
			go func() {
				resp, err := a.hc.Do(r)
				if err != nil {
					res <- "error: " + err.Error()
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				res <- strconv.Itoa(resp.StatusCode) + " " + string(b)
			}()
			select {
			case <-started:
				answer = res
				return true
			case got := <-res:
				if !strings.HasPrefix(got, "404 ") {
					t.Fatalf("call: %s", got)
				}
				return false
			}
		})
		<-started
		b := htNewClient(t, htEndpoint(ts.URL, opts), "")
		b.initializeOnly()
		testkit.Eventually(t, "the idle session to be reaped", func() bool { return !htAlive(s, b.sid) })
		if !htAlive(s, a.sid) {
			t.Fatal("the session with a request in flight was reaped")
		}
		unblock()
		if got := <-answer; !strings.HasPrefix(got, "200 ") || !strings.Contains(got, "finished") {
			t.Fatalf("answer %s", got)
		}
	})
	t.Run("negative timeout disables the reaper", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{SessionIdleTimeout: -1}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		c.initialize()
		// Nothing to wait for: give a would-be reaper many periods.
		time.Sleep(150 * time.Millisecond)
		if h.SessionCount() != 1 {
			t.Fatal("a session was reaped with the reaper disabled")
		}
		c.call("ping", nil)
	})
}

func TestHTTPMaxSessions(t *testing.T) {
	t.Parallel()
	t.Run("third initialize ends the session still in its handshake", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{MaxSessions: 2}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		url := htEndpoint(ts.URL, opts)
		a, b, c := htNewClient(t, url, ""), htNewClient(t, url, ""), htNewClient(t, url, "")
		a.initialize()
		b.initializeOnly() // no notifications/initialized: in its handshake
		c.initialize()
		if n := h.SessionCount(); n != 2 {
			t.Fatalf("SessionCount %d, want 2", n)
		}
		_, resp := b.request("tools/list", nil)
		htWantError(t, resp, http.StatusNotFound, -32001)
		a.call("tools/list", nil)
		c.call("tools/list", nil)
	})
	t.Run("all busy answers 503", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{MaxSessions: 2, KeepAliveInterval: 5 * time.Millisecond}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		url := htEndpoint(ts.URL, opts)
		a, b := htNewClient(t, url, ""), htNewClient(t, url, "")
		a.initialize()
		b.initialize()
		ga, sra := a.openGET(nil)
		_, srb := b.openGET(nil)
		htWaitKeepAlive(t, sra)
		htWaitKeepAlive(t, srb)
		c := htNewClient(t, url, "")
		_, resp := c.request("initialize", map[string]any{"protocolVersion": c.rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "third", "version": "1"}})
		m := htWantError(t, resp, http.StatusServiceUnavailable, -32603)
		if !strings.Contains(m.Error.Message, "limit") || !strings.Contains(m.Error.Message, "2") {
			t.Errorf("503 message %q does not explain the session limit", m.Error.Message)
		}
		if resp.Header.Get("Mcp-Session-Id") != "" {
			t.Error("a refused initialize got a session id")
		}
		if n, m := h.SessionCount(), len(s.Sessions()); n != 2 || m != 2 {
			t.Errorf("SessionCount %d, Sessions %d, want 2", n, m)
		}
		// A session in use is never ended to make room, even once its
		// stream closes; room comes when a client leaves.
		ga.Body.Close()
		if resp := a.do(a.newRequest(http.MethodDelete, nil)); resp.StatusCode != http.StatusOK {
			t.Fatalf("DELETE: %d", resp.StatusCode)
		}
		testkit.Eventually(t, "room for a new session", func() bool {
			_, resp := c.request("initialize", map[string]any{"protocolVersion": c.rev, "capabilities": map[string]any{},
				"clientInfo": map[string]any{"name": "third", "version": "1"}})
			defer resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		if htAlive(s, a.sid) || !htAlive(s, b.sid) {
			t.Errorf("a alive %v (want false), b alive %v (want true)", htAlive(s, a.sid), htAlive(s, b.sid))
		}
	})
	t.Run("legacy sessions count", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{MaxSessions: 1}
		ts := testkit.ServeHTTP(t, s, opts)
		resp, err := http.Get(ts.URL + "/sse")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		ev, err := testkit.NewSSEReader(resp.Body).Next()
		if err != nil {
			t.Fatal(err)
		}
		// A message completes the legacy session's handshake: it is then
		// in use, and not ended to make room.
		pr, err := http.Post(ts.URL+ev.Data, "application/json", strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
		if err != nil {
			t.Fatal(err)
		}
		pr.Body.Close()
		c := htNewClient(t, htEndpoint(ts.URL, opts), "")
		_, r := c.request("initialize", map[string]any{"protocolVersion": c.rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "x", "version": "1"}})
		htWantError(t, r, http.StatusServiceUnavailable, -32603)
	})
	t.Run("negative means no cap", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		opts := fastmcp.HTTP{MaxSessions: -1}
		ts := testkit.ServeHTTP(t, s, opts)
		h := ts.Handler
		for range 5 {
			htNewClient(t, htEndpoint(ts.URL, opts), "").initialize()
		}
		if n := h.SessionCount(); n != 5 {
			t.Errorf("SessionCount %d, want 5", n)
		}
	})
}

func TestHTTPSessionCountsAgree(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	h := ts.Handler
	check := func(want int) {
		t.Helper()
		_, body := htReady(t, ts.URL+"/ready")
		got := []int{len(s.Sessions()), h.SessionCount(), int(body["sessions"].(float64))}
		if !slices.Equal(got, []int{want, want, want}) {
			t.Errorf("Sessions, SessionCount, /ready = %v, want %d each", got, want)
		}
	}
	check(0)
	var clients []*htClient
	for range 3 {
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		c.initialize()
		clients = append(clients, c)
	}
	check(3)
	clients[1].do(clients[1].newRequest(http.MethodDelete, nil)).Body.Close()
	check(2)
	// A legacy session counts too.
	resp, err := http.Get(ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.NewSSEReader(resp.Body).Next(); err != nil {
		t.Fatal(err)
	}
	check(3)
	resp.Body.Close()
	testkit.Eventually(t, "the legacy session to end", func() bool { return h.SessionCount() == 2 })
	check(2)
	// Every session is ended when the handler closes.
	h.Close()
	check(0)
}

// htRecordingStore is an EventStore that records which sessions were closed.
type htRecordingStore struct {
	fastmcp.EventStore
	mu     sync.Mutex
	closed []string
}

func (r *htRecordingStore) SessionClosed(ctx context.Context, id string) error {
	r.mu.Lock()
	r.closed = append(r.closed, id)
	r.mu.Unlock()
	return r.EventStore.SessionClosed(ctx, id)
}

func (r *htRecordingStore) wasClosed(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.closed, id)
}

func TestHTTPSessionEndForgetsEvents(t *testing.T) {
	t.Parallel()
	store := &htRecordingStore{EventStore: fastmcp.NewMemoryEventStore(nil)}
	s := htTestServer(t)
	opts := fastmcp.HTTP{EventStore: store, SessionIdleTimeout: 30 * time.Millisecond}
	ts := testkit.ServeHTTP(t, s, opts)
	deleted := htNewClient(t, htEndpoint(ts.URL, opts), "")
	deleted.initializeOnly()
	deleted.do(deleted.newRequest(http.MethodDelete, nil)).Body.Close()
	if !store.wasClosed(deleted.sid) {
		t.Error("DELETE did not forget the session's events")
	}
	reaped := htNewClient(t, htEndpoint(ts.URL, opts), "")
	reaped.initializeOnly()
	testkit.Eventually(t, "the reaped session's events to be forgotten", func() bool { return store.wasClosed(reaped.sid) })
}
