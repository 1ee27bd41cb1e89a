package fastmcp_test

// Tests of session lifecycle events: Server.OnConnect and OnDisconnect,
// Session.OnReady, OnError and OnRootsChanged. Every event is recorded with a
// global sequence number and a timestamp (see ssRecorder in session_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

func TestEventsOrderManySessionsStdio(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	rec := testkit.Record(s)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := fastmcptest.Dial(context.Background(), s, &fastmcptest.Options{
				ClientInfo:   fastmcp.Implementation{Name: fmt.Sprintf("client-%d", i), Version: "1"},
				Capabilities: fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{}},
				OnRequest:    ssRootsAnswer(fastmcp.Root{URI: fmt.Sprintf("file:///c%d", i)}),
			})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			res, err := c.CallTool(context.Background(), "session", nil)
			if err != nil {
				t.Error(err)
				return
			}
			// Close only once ready: a session that ends before it is
			// ready has no ready event (TestSessionWaitForReady).
			var got struct{ SessionID string }
			json.Unmarshal([]byte(res.Content[0].(*fastmcp.TextContent).Text), &got)
			if _, err := rec.Await(got.SessionID, "ready"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rec.WaitFor(t, "every session to disconnect", func() bool {
		ids := rec.IDs()
		if len(ids) < n {
			return false
		}
		for _, id := range ids {
			if k := rec.Kinds(id); len(k) == 0 || k[len(k)-1] != "disconnect" {
				return false
			}
		}
		return true
	})
	if len(rec.IDs()) != n {
		t.Fatalf("%d sessions connected, want %d", len(rec.IDs()), n)
	}
	for _, id := range rec.IDs() {
		life := rec.CheckLifecycle(t, id)
		if len(life) == 3 && len(life[1].Roots) != 1 {
			t.Errorf("session %s: OnReady saw roots %v, want the client's one", id, life[1].Roots)
		}
		if len(life) == 3 {
			testkit.CauseIs(t, life[2].Cause, "closed its input")
		}
	}
}

// A second initialize on a live session is refused and fires no second
// connect event.
func TestEventsConnectOnceOnReinitialize(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	rec.Wait(t, sess.ID(), "ready")
	err := c.Call(testkit.Context(t), "initialize", fastmcp.InitializeParams{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion}, nil)
	if err == nil {
		t.Error("a second initialize was accepted")
	}
	c.Notify("notifications/initialized", nil)
	c.Close()
	rec.Wait(t, sess.ID(), "disconnect")
	rec.CheckLifecycle(t, sess.ID())
}

// ssLegacyOpen opens a legacy SSE session (GET /sse), runs the 2024-11-05
// handshake over /messages and returns the stream's response and the session
// id.
func ssLegacyOpen(t testing.TB, base string) (*http.Response, string) {
	t.Helper()
	hc := testkit.HTTPClient(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/sse", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sr := testkit.NewSSEReader(resp.Body)
	ev, err := sr.Next()
	if err != nil || ev.Event != "endpoint" {
		t.Fatalf("first event %+v (%v), want endpoint", ev, err)
	}
	endpoint := ev.Data
	_, sid, _ := strings.Cut(endpoint, "sessionId=")
	post := func(msg []byte) {
		r, err := hc.Post(base+endpoint, "application/json", bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /messages: %d", r.StatusCode)
		}
	}
	post(testkit.Encode(1, "initialize", map[string]any{"protocolVersion": fastmcp.ProtocolVersion20241105,
		"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "legacy", "version": "1"}}))
	for {
		ev, err := sr.Next()
		if err != nil {
			t.Fatalf("legacy stream: %v", err)
		}
		var m ssMsg
		if json.Unmarshal([]byte(ev.Data), &m) == nil && string(m.ID) == "1" {
			break
		}
	}
	post(testkit.Encode(0, "notifications/initialized", nil))
	return resp, sid
}

// Disconnect fires once, after connect and ready, whatever ends the session,
// and CloseCause says what did.
func TestEventsDisconnectCauses(t *testing.T) {
	t.Parallel()
	type run struct {
		rec  *testkit.Recorder
		sess *fastmcp.Session
	}
	// httpSession starts a server and a raw client session on it.
	httpSession := func(t *testing.T, opts fastmcp.HTTP) (*testkit.HTTPServer, *ssRaw, run) {
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		srv := testkit.ServeHTTP(t, s, opts)
		c := ssNewRaw(t, nil, srv.Endpoint)
		c.initialize(fastmcp.ClientCapabilities{})
		sess := rec.WaitConnected(t, 1)
		rec.Wait(t, sess.ID(), "ready")
		return srv, c, run{rec, sess}
	}
	for _, tc := range []struct {
		name  string
		cause string
		end   func(t *testing.T) run
	}{
		{"HTTP DELETE", "client ended", func(t *testing.T) run {
			_, c, r := httpSession(t, fastmcp.HTTP{})
			if st := c.delete(); st != http.StatusOK {
				t.Errorf("DELETE: %d", st)
			}
			return r
		}},
		{"HTTP idle reap", "idle", func(t *testing.T) run {
			// A session with an open GET stream is not reaped; once it
			// closes, the session is.
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{SessionIdleTimeout: 300 * time.Millisecond})
			c := ssNewRaw(t, nil, srv.Endpoint)
			c.initialize(fastmcp.ClientCapabilities{})
			c.openGET()
			sess := rec.WaitConnected(t, 1)
			rec.Wait(t, sess.ID(), "ready")
			c.closeGET()
			return run{rec, sess}
		}},
		{"HTTP handler Close", "shut down", func(t *testing.T) run {
			srv, _, r := httpSession(t, fastmcp.HTTP{})
			srv.Handler.Close()
			return r
		}},
		{"HTTP Serve shutdown", "shut down", func(t *testing.T) run {
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			addr := make(chan net.Addr, 1)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- s.Serve(ctx, fastmcp.HTTP{Host: "127.0.0.1", Port: -1, OnListen: func(a net.Addr) { addr <- a }})
			}()
			var a net.Addr
			select {
			case a = <-addr:
			case err := <-done:
				t.Fatalf("Serve: %v", err)
			}
			c := ssNewRaw(t, nil, "http://"+a.String()+"/mcp")
			c.initialize(fastmcp.ClientCapabilities{})
			c.openGET()
			sess := rec.WaitConnected(t, 1)
			rec.Wait(t, sess.ID(), "ready")
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve returned %v", err)
				}
			case <-time.After(testkit.Wait):
				t.Fatal("Serve did not return after its context ended")
			}
			return run{rec, sess}
		}},
		{"HTTP Session.Close", "closed by the server", func(t *testing.T) run {
			_, _, r := httpSession(t, fastmcp.HTTP{})
			r.sess.Close()
			return r
		}},
		{"legacy SSE stream loss", "stream was lost", func(t *testing.T) run {
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
			resp, sid := ssLegacyOpen(t, srv.Server.URL)
			sess := rec.WaitConnected(t, 1)
			if sess.ID() != sid {
				t.Errorf("legacy session id %q, endpoint says %q", sess.ID(), sid)
			}
			rec.Wait(t, sess.ID(), "ready")
			resp.Body.Close()
			return run{rec, sess}
		}},
		{"stdio EOF", "closed its input", func(t *testing.T) run {
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			c := testkit.Connect(t, s, nil)
			sess := rec.WaitConnected(t, 1)
			rec.Wait(t, sess.ID(), "ready")
			c.Close()
			return run{rec, sess}
		}},
		{"stdio Serve context cancelled", "shut down", func(t *testing.T) run {
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx, fastmcp.Stdio{Reader: inR, Writer: outW}) }()
			go io.Copy(io.Discard, outR)
			t.Cleanup(func() { inW.Close(); outR.Close() })
			fmt.Fprintf(inW, "%s\n", testkit.Encode(1, "initialize", map[string]any{"protocolVersion": fastmcp.LatestHandshakeProtocolVersion, "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "x", "version": "1"}}))
			fmt.Fprintf(inW, "%s\n", testkit.Encode(0, "notifications/initialized", nil))
			sess := rec.WaitConnected(t, 1)
			rec.Wait(t, sess.ID(), "ready")
			cancel()
			select {
			case <-done:
			case <-time.After(testkit.Wait):
				t.Fatal("Serve did not return")
			}
			return run{rec, sess}
		}},
		{"stdio Session.Close", "closed by the server", func(t *testing.T) run {
			s := testkit.NewServer(t, fastmcp.Options{})
			rec := testkit.Record(s)
			testkit.Connect(t, s, nil)
			sess := rec.WaitConnected(t, 1)
			rec.Wait(t, sess.ID(), "ready")
			sess.Close()
			return run{rec, sess}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.end(t)
			ev := r.rec.Wait(t, r.sess.ID(), "disconnect")
			testkit.WaitClosed(t, r.sess)
			testkit.CauseIs(t, ev.Cause, tc.cause)
			testkit.CauseIs(t, r.sess.CloseCause(), tc.cause)
			r.rec.CheckLifecycle(t, r.sess.ID())
		})
	}
}

// Handlers that panic are logged and skipped: the other handlers of the
// event still run, the session's later events still fire, and the session
// keeps serving.
func TestEventsPanickingHandler(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	readyAfter := make(chan struct{}, 1)
	disconnectAfter := make(chan struct{}, 1)
	s.OnConnect(func(sess *fastmcp.Session) {
		sess.OnReady(func() { panic("ready handler panics") })
		sess.OnReady(func() { readyAfter <- struct{}{} })
		panic("connect handler panics")
	})
	rec := testkit.Record(s) // registered after the panicking handlers
	s.OnDisconnect(func(*fastmcp.Session) { panic("disconnect handler panics") })
	s.OnDisconnect(func(*fastmcp.Session) { disconnectAfter <- struct{}{} })
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	rec.Wait(t, sess.ID(), "ready")
	for range 3 {
		testkit.CallText(t, c, "session", nil, false)
	}
	c.Close()
	rec.Wait(t, sess.ID(), "disconnect")
	rec.CheckLifecycle(t, sess.ID())
	for _, ch := range []chan struct{}{readyAfter, disconnectAfter} {
		select {
		case <-ch:
		case <-time.After(testkit.Wait):
			t.Fatal("a handler registered after a panicking one did not run")
		}
	}
}

// A slow handler delays the later events of its own session only: the
// session's requests are served meanwhile, and other sessions' events fire.
func TestEventsSlowHandlerDoesNotBlock(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	release := make(chan struct{})
	var first atomic.Bool
	blocked := make(chan string, 1)
	s.OnConnect(func(sess *fastmcp.Session) {
		if first.CompareAndSwap(false, true) {
			blocked <- sess.ID()
			<-release
		}
	})
	rec := testkit.Record(s)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	c1 := testkit.Connect(t, s, nil)
	slowID := <-blocked
	// The blocked session serves requests and becomes ready.
	for range 5 {
		testkit.CallText(t, c1, "session", nil, false)
	}
	var slow *fastmcp.Session
	for _, x := range s.Sessions() {
		if x.ID() == slowID {
			slow = x
		}
	}
	if slow == nil {
		t.Fatal("the slow session is not listed")
	}
	if err := slow.WaitForReady(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	// Another session's events are not held up.
	c2 := testkit.Connect(t, s, nil)
	other := rec.WaitConnected(t, 1)
	if other.ID() == slowID {
		t.Fatal("the slow session's events ran before its handler returned")
	}
	rec.Wait(t, other.ID(), "ready")
	c2.Close()
	rec.Wait(t, other.ID(), "disconnect")
	if k := rec.Kinds(slowID); len(k) != 0 {
		t.Errorf("slow session events before its first handler returned: %v", k)
	}
	close(release)
	c1.Close()
	rec.Wait(t, slowID, "disconnect")
	rec.CheckLifecycle(t, slowID)
	rec.CheckLifecycle(t, other.ID())
}

func TestEventsRemoveHandler(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	var removedCalls atomic.Int32
	remove := s.OnConnect(func(*fastmcp.Session) { removedCalls.Add(1) })
	removeD := s.OnDisconnect(func(*fastmcp.Session) { removedCalls.Add(1) })
	remove()
	removeD()
	remove() // removing twice is harmless
	s.OnConnect(func(sess *fastmcp.Session) {
		r1 := sess.OnReady(func() { removedCalls.Add(1) })
		r2 := sess.OnRootsChanged(func([]fastmcp.Root) { removedCalls.Add(1) })
		r3 := sess.OnError(func(error) { removedCalls.Add(1) })
		r1()
		r2()
		r3()
	})
	rec := testkit.Record(s)
	var failRoots atomic.Bool
	c := testkit.Connect(t, s, &fastmcptest.Options{
		Capabilities: fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{ListChanged: true}},
		OnRequest: func(_ context.Context, method string, _ json.RawMessage) (any, error) {
			if failRoots.Load() {
				return nil, errors.New("no roots today")
			}
			return fastmcp.ListRootsResult{Roots: []fastmcp.Root{{URI: "file:///a"}}}, nil
		},
	})
	sess := rec.WaitConnected(t, 1)
	rec.Wait(t, sess.ID(), "ready")
	c.Notify("notifications/roots/list_changed", nil)
	rec.Wait(t, sess.ID(), "rootsChanged")
	failRoots.Store(true)
	c.Notify("notifications/roots/list_changed", nil)
	rec.Wait(t, sess.ID(), "error")
	c.Close()
	rec.Wait(t, sess.ID(), "disconnect")
	if n := removedCalls.Load(); n != 0 {
		t.Errorf("removed handlers ran %d times", n)
	}
}

// Handlers registered and removed from many goroutines while sessions come
// and go: run under -race.
func TestEventsConcurrentRegistration(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	rec := testkit.Record(s)
	stop := make(chan struct{})
	var regs sync.WaitGroup
	var calls atomic.Int64
	for range 16 {
		regs.Add(1)
		go func() {
			defer regs.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r1 := s.OnConnect(func(sess *fastmcp.Session) {
					calls.Add(1)
					rr := sess.OnReady(func() { calls.Add(1) })
					re := sess.OnError(func(error) {})
					rc := sess.OnRootsChanged(func([]fastmcp.Root) {})
					rr()
					re()
					rc()
				})
				r2 := s.OnDisconnect(func(*fastmcp.Session) { calls.Add(1) })
				for _, sess := range s.Sessions() {
					remove := sess.OnReady(func() { calls.Add(1) })
					remove()
				}
				r1()
				r2()
			}
		}()
	}
	var clients sync.WaitGroup
	for range 8 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for range 5 {
				c, err := fastmcptest.Dial(context.Background(), s, nil)
				if err != nil {
					t.Error(err)
					return
				}
				res, err := c.CallTool(context.Background(), "session", nil)
				if err != nil {
					t.Error(err)
				} else {
					var got struct{ SessionID string }
					json.Unmarshal([]byte(res.Content[0].(*fastmcp.TextContent).Text), &got)
					if _, err := rec.Await(got.SessionID, "ready"); err != nil {
						t.Error(err)
					}
				}
				c.Close()
			}
		}()
	}
	clients.Wait()
	close(stop)
	regs.Wait()
	ids := rec.IDs()
	if len(ids) != 40 {
		t.Errorf("%d sessions recorded, want 40", len(ids))
	}
	for _, id := range ids {
		rec.Wait(t, id, "disconnect")
		rec.CheckLifecycle(t, id)
	}
	t.Logf("%d calls of handlers registered concurrently", calls.Load())
}

// OnReady registered on a session that is already ready runs once.
func TestEventsOnReadyAfterReady(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	rec.Wait(t, sess.ID(), "ready")
	var n atomic.Int32
	sess.OnReady(func() { n.Add(1) })
	// Events of a session run in order: once disconnect has fired, a ready
	// handler queued before it has run.
	c.Close()
	rec.Wait(t, sess.ID(), "disconnect")
	if got := n.Load(); got != 1 {
		t.Errorf("OnReady registered after ready ran %d times, want 1", got)
	}
}

// A failed roots fetch is an error event; the session still becomes ready,
// without roots.
func TestEventsOnErrorFromRootsFetch(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, &fastmcptest.Options{
		Capabilities: fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{}},
		OnRequest: func(context.Context, string, json.RawMessage) (any, error) {
			return nil, &fastmcp.Error{Code: fastmcp.CodeInternalError, Message: "roots unavailable"}
		},
	})
	sess := rec.WaitConnected(t, 1)
	ready := rec.Wait(t, sess.ID(), "ready")
	if ready.Roots != nil {
		t.Errorf("roots %v after a failed fetch", ready.Roots)
	}
	c.Close()
	rec.Wait(t, sess.ID(), "disconnect")
	var kinds []string
	for _, e := range rec.Events(sess.ID()) {
		kinds = append(kinds, e.Kind)
		if e.Kind == "error" && !strings.Contains(e.Err.Error(), "roots unavailable") {
			t.Errorf("error event %v does not carry the client's error", e.Err)
		}
	}
	if diff := testdiff.Diff([]string{"connect", "error", "ready", "disconnect"}, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// The seeds register session handlers from the connect handler. When the
// session becomes ready and ends before that connect handler runs (a slow
// handler earlier in the queue), the ready handler it registers must still
// run before the disconnect. (An earlier events.go queued it behind the
// disconnect.)
func TestEventsReadyHandlerFromConnectAfterClose(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	release := make(chan struct{})
	s.OnConnect(func(*fastmcp.Session) { <-release }) // a slow handler first
	rec := testkit.Record(s)
	c, err := fastmcptest.Dial(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sess *fastmcp.Session
	for _, x := range s.Sessions() {
		sess = x
	}
	if err := sess.WaitForReady(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	c.Close() // returns once the session has ended and queued its disconnect
	close(release)
	rec.Wait(t, sess.ID(), "disconnect")
	rec.Wait(t, sess.ID(), "ready")
	if k := rec.Kinds(sess.ID()); !slices.Equal(k, []string{"connect", "ready", "disconnect"}) {
		t.Errorf("events of a session whose connect handler registered OnReady late arrive as %v, want connect, ready, disconnect", k)
	}
}

// A stateless server has no sessions, so connect and disconnect must not
// fire for its initialize requests; neither for an initialize refused
// because the server is full.
func TestEventsNoPhantomSessions(t *testing.T) {
	t.Parallel()
	var phantoms []string
	t.Run("stateless initialize", func(t *testing.T) {
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{Stateless: true})
		for range 3 {
			c := ssNewRaw(t, nil, srv.Endpoint)
			resp, msgs, err := c.roundTrip(1, "initialize", map[string]any{"protocolVersion": fastmcp.LatestHandshakeProtocolVersion,
				"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "x", "version": "1"}})
			if err != nil || resp.StatusCode != http.StatusOK || len(msgs) != 1 || msgs[0].Error != nil {
				t.Fatalf("stateless initialize: %v %+v", err, msgs)
			}
		}
		if len(s.Sessions()) != 0 {
			t.Errorf("a stateless server lists %d sessions", len(s.Sessions()))
		}
		if ids := rec.IDs(); len(ids) > 0 {
			rec.Wait(t, ids[len(ids)-1], "disconnect")
			phantoms = append(phantoms, fmt.Sprintf("stateless: %d connect events, kinds %v, cause %v",
				len(ids), rec.Kinds(ids[0]), rec.Events(ids[0])[len(rec.Events(ids[0]))-1].Cause))
		}
	})
	t.Run("initialize refused by MaxSessions", func(t *testing.T) {
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{MaxSessions: 1})
		busy := ssNewRaw(t, nil, srv.Endpoint)
		busy.initialize(fastmcp.ClientCapabilities{})
		busy.openGET() // an open stream: the session cannot be evicted
		rec.Wait(t, rec.WaitConnected(t, 1).ID(), "ready")
		c := ssNewRaw(t, nil, srv.Endpoint)
		resp, _, err := c.roundTrip(1, "initialize", map[string]any{"protocolVersion": fastmcp.LatestHandshakeProtocolVersion,
			"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "x", "version": "1"}})
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("initialize on a full server: %v, status %v", err, resp.StatusCode)
		}
		if ids := rec.IDs(); len(ids) > 1 {
			rec.Wait(t, ids[1], "disconnect")
			phantoms = append(phantoms, fmt.Sprintf("refused by MaxSessions: events %v", rec.Kinds(ids[1])))
		}
	})
	if len(phantoms) > 0 {
		t.Fatalf("regression: OnConnect/OnDisconnect fire for sessions that never exist for the client: %v "+
			"(streamable.go serveInitialize runs initialize, which emits connect, on a throwaway session before checking Stateless and admit)", phantoms)
	}
}

// ssProbeHandler is a slog.Handler that reports session errors logged after
// Serve returned. It holds each such record until Serve returns (or a second
// passes, which means Serve waits for the goroutine that logs).
type ssProbeHandler struct {
	returned chan struct{}
	late     chan string
}

func (h *ssProbeHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *ssProbeHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *ssProbeHandler) WithGroup(string) slog.Handler            { return h }

func (h *ssProbeHandler) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "session error") {
		return nil
	}
	select {
	case <-h.returned:
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
		select {
		case h.late <- msg:
		default:
		}
	case <-time.After(time.Second):
	}
	return nil
}

// When Serve returns, the server is done with the session it served: no
// goroutine of it should still run and use the server's logger (a test's
// logger must not be used after the test; other tests have hit exactly this
// as a data race in testing.(*common).Log).
func TestServeReturnsAfterSessionGoroutines(t *testing.T) {
	t.Parallel()
	probe := &ssProbeHandler{returned: make(chan struct{}), late: make(chan string, 1)}
	s := testkit.NewServer(t, fastmcp.Options{Logger: slog.New(probe)})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	asked := make(chan struct{}, 1)
	c, err := fastmcptest.Dial(testkit.Context(t), s, &fastmcptest.Options{
		Capabilities: fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{}},
		OnRequest: func(context.Context, string, json.RawMessage) (any, error) {
			asked <- struct{}{}
			<-release // the roots fetch after initialized is still waiting...
			return fastmcp.ListRootsResult{}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-asked
	c.Close() // ...when the client goes away; Close returns once Serve has
	close(probe.returned)
	select {
	case msg := <-probe.late:
		t.Fatalf("regression: Serve returned while a goroutine of its session still ran and then logged %q "+
			"(engine.go handleNotification starts afterHandshake and the roots refetch with `go` outside the transport's WaitGroup; "+
			"serveStream/HTTPHandler.Close do not wait for them)", msg)
	case <-time.After(2 * time.Second):
	}
}
