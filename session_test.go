package fastmcp_test

// Tests of fastmcp.Session: its properties over stdio (in-process) and
// Streamable HTTP (a real server on 127.0.0.1, driven by a raw client and by
// the official Go SDK client), list-changed triggers, Log, Ping, Close.
//
// This file also holds the helpers the session tests share (prefix "ss"):
// a raw Streamable HTTP client that answers server requests, and Go SDK
// clients over HTTP with a bearer token. The session event recorder is
// internal/testkit's.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
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

// ---------------------------------------------------------------------------
// Servers

// ---------------------------------------------------------------------------
// Go SDK clients over HTTP

// ---------------------------------------------------------------------------
// A raw Streamable HTTP client

// ssMsg is a decoded JSON-RPC message.
type ssMsg struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func (m ssMsg) isRequest() bool      { return m.Method != "" && len(m.ID) > 0 }
func (m ssMsg) isNotification() bool { return m.Method != "" && len(m.ID) == 0 }

// ssRaw is a minimal Streamable HTTP client: it speaks JSON-RPC over POSTs,
// reads JSON and SSE answers, and answers the server's requests (on a POST's
// stream or the GET stream) with OnRequest.
type ssRaw struct {
	t        testing.TB
	hc       *http.Client
	endpoint string
	rev      string
	header   http.Header
	nextID   atomic.Int64

	// OnRequest answers server requests other than ping; nil answers
	// "method not found".
	OnRequest func(method string, params json.RawMessage) (any, error)

	mu    sync.Mutex
	sid   string
	notes []ssMsg
	reqs  []ssMsg // server requests received, in order
	get   *http.Response
}

func ssNewRaw(t testing.TB, hc *http.Client, endpoint string) *ssRaw {
	if hc == nil {
		hc = testkit.HTTPClient(t)
	}
	c := &ssRaw{t: t, hc: hc, endpoint: endpoint, rev: fastmcp.LatestHandshakeProtocolVersion, header: http.Header{}}
	t.Cleanup(c.closeGET)
	return c
}

func (c *ssRaw) sessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid
}

// newRequest builds a request to the endpoint with the session headers.
func (c *ssRaw) newRequest(method string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, c.endpoint, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range c.header {
		r.Header[k] = vs
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json, text/event-stream")
	if sid := c.sessionID(); sid != "" {
		r.Header.Set("Mcp-Session-Id", sid)
		r.Header.Set("MCP-Protocol-Version", c.rev)
	}
	return r
}

// post sends one message and returns the response (body unread).
func (c *ssRaw) post(body []byte) (*http.Response, error) {
	return c.hc.Do(c.newRequest(http.MethodPost, body))
}

// initialize runs the handshake with the capabilities: initialize, then
// notifications/initialized. It returns the initialize response.
func (c *ssRaw) initialize(caps fastmcp.ClientCapabilities) *http.Response {
	c.t.Helper()
	resp, msgs, err := c.roundTrip(1, "initialize", map[string]any{
		"protocolVersion": c.rev,
		"capabilities":    caps,
		"clientInfo":      map[string]string{"name": "ss-raw", "version": "0.1"},
	})
	if err != nil {
		c.t.Fatalf("initialize: %v", err)
	}
	if resp.StatusCode != http.StatusOK || len(msgs) == 0 || msgs[len(msgs)-1].Error != nil {
		c.t.Fatalf("initialize: status %d, messages %+v", resp.StatusCode, msgs)
	}
	c.mu.Lock()
	c.sid = resp.Header.Get("Mcp-Session-Id")
	c.mu.Unlock()
	if c.sessionID() == "" {
		c.t.Fatal("initialize: no Mcp-Session-Id")
	}
	c.notify("notifications/initialized", nil)
	return resp
}

// notify sends a notification, which must be answered 202.
func (c *ssRaw) notify(method string, params any) {
	c.t.Helper()
	resp, err := c.post(testkit.Encode(0, method, params))
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("%s: status %d, want 202", method, resp.StatusCode)
	}
}

// call sends a request and returns its result, failing the test on a
// JSON-RPC error.
func (c *ssRaw) call(method string, params any) json.RawMessage {
	c.t.Helper()
	res, rpcErr := c.callErr(method, params)
	if rpcErr != nil {
		c.t.Fatalf("%s: JSON-RPC error %d: %s", method, rpcErr.Code, rpcErr.Message)
	}
	return res
}

type ssRPCError struct {
	Code    int64
	Message string
}

// callErr sends a request and returns its result or JSON-RPC error.
func (c *ssRaw) callErr(method string, params any) (json.RawMessage, *ssRPCError) {
	c.t.Helper()
	id := c.nextID.Add(1) + 1
	resp, msgs, err := c.roundTrip(id, method, params)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: status %d", method, resp.StatusCode)
	}
	for _, m := range msgs {
		if len(m.ID) > 0 && m.Method == "" && string(m.ID) == strconv.FormatInt(id, 10) {
			if m.Error != nil {
				return nil, &ssRPCError{m.Error.Code, m.Error.Message}
			}
			return m.Result, nil
		}
	}
	c.t.Fatalf("%s: no response among %+v", method, msgs)
	return nil, nil
}

// roundTrip posts one request and reads its answer: JSON, or an SSE stream
// on which server requests are answered and notifications recorded until the
// response arrives.
func (c *ssRaw) roundTrip(id int64, method string, params any) (*http.Response, []ssMsg, error) {
	resp, err := c.post(testkit.Encode(id, method, params))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp, nil, err
		}
		var m ssMsg
		if err := json.Unmarshal(body, &m); err != nil {
			return resp, nil, fmt.Errorf("decoding %s: %v", body, err)
		}
		return resp, []ssMsg{m}, nil
	case strings.HasPrefix(ct, "text/event-stream"):
		var msgs []ssMsg
		sr := testkit.NewSSEReader(resp.Body)
		for {
			ev, err := sr.Next()
			if err != nil {
				return resp, msgs, fmt.Errorf("SSE stream ended before the response: %v", err)
			}
			if ev.Data == "" {
				continue
			}
			var m ssMsg
			if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
				return resp, msgs, fmt.Errorf("decoding event %q: %v", ev.Data, err)
			}
			msgs = append(msgs, m)
			c.handleServerMessage(m)
			if m.Method == "" && string(m.ID) == strconv.FormatInt(id, 10) {
				return resp, msgs, nil
			}
		}
	default:
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK {
			return resp, nil, fmt.Errorf("unexpected answer %q: %s", ct, body)
		}
		return resp, nil, nil
	}
}

// handleServerMessage records a notification or answers a server request.
func (c *ssRaw) handleServerMessage(m ssMsg) {
	switch {
	case m.isNotification():
		c.mu.Lock()
		c.notes = append(c.notes, m)
		c.mu.Unlock()
	case m.isRequest():
		c.mu.Lock()
		c.reqs = append(c.reqs, m)
		c.mu.Unlock()
		go c.answer(m)
	}
}

// answer posts the response to a server request.
func (c *ssRaw) answer(m ssMsg) {
	var result any
	var err error
	switch {
	case m.Method == "ping":
		result = struct{}{}
	case c.OnRequest != nil:
		result, err = c.OnRequest(m.Method, m.Params)
	default:
		err = &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: "Method not found: " + m.Method}
	}
	out := map[string]any{"jsonrpc": "2.0", "id": m.ID}
	if err != nil {
		code := fastmcp.CodeInternalError
		var e *fastmcp.Error
		if errors.As(err, &e) {
			code = e.Code
		}
		out["error"] = map[string]any{"code": code, "message": err.Error()}
	} else {
		out["result"] = result
	}
	b, _ := json.Marshal(out)
	resp, perr := c.post(b)
	if perr != nil {
		return // the test is over or the server is gone
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// openGET opens the session's standalone SSE stream and serves it in the
// background: server requests are answered with OnRequest, notifications
// recorded.
func (c *ssRaw) openGET() {
	c.t.Helper()
	resp, err := c.hc.Do(c.newRequest(http.MethodGet, nil))
	if err != nil {
		c.t.Fatalf("GET: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		c.t.Fatalf("GET: status %d", resp.StatusCode)
	}
	c.mu.Lock()
	c.get = resp
	c.mu.Unlock()
	go func() {
		sr := testkit.NewSSEReader(resp.Body)
		for {
			ev, err := sr.Next()
			if err != nil {
				return
			}
			var m ssMsg
			if ev.Data == "" || json.Unmarshal([]byte(ev.Data), &m) != nil {
				continue
			}
			c.handleServerMessage(m)
		}
	}()
}

// closeGET closes the GET stream, if open.
func (c *ssRaw) closeGET() {
	c.mu.Lock()
	get := c.get
	c.get = nil
	c.mu.Unlock()
	if get != nil {
		get.Body.Close()
	}
}

// delete ends the session with DELETE and returns the status.
func (c *ssRaw) delete() int {
	c.t.Helper()
	resp, err := c.hc.Do(c.newRequest(http.MethodDelete, nil))
	if err != nil {
		c.t.Fatalf("DELETE: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// requests returns the server requests received so far.
func (c *ssRaw) requests() []ssMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// notifications returns the notifications received so far with the method.
func (c *ssRaw) notifications(method string) []ssMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ssMsg
	for _, n := range c.notes {
		if n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// In-process helpers

// ssRootsAnswer answers roots/list with the roots.
func ssRootsAnswer(roots ...fastmcp.Root) func(context.Context, string, json.RawMessage) (any, error) {
	return func(_ context.Context, method string, _ json.RawMessage) (any, error) {
		if method == "roots/list" {
			return fastmcp.ListRootsResult{Roots: roots}, nil
		}
		return nil, &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: "Method not found: " + method}
	}
}

// ssSessionTool registers a tool "session" that reports what its Context
// says about the session.
func ssSessionTool(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "session", Description: "Reports the session."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
			out := map[string]any{"sessionId": ctx.SessionID(), "hasSession": ctx.Session() != nil, "requestId": ctx.RequestID()}
			if s := ctx.Session(); s != nil {
				out["id"] = s.ID()
				out["protocolVersion"] = s.ProtocolVersion()
				out["loggingLevel"] = s.LoggingLevel()
			}
			return out, nil
		})
}

// ---------------------------------------------------------------------------
// Tests

type ssUser struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

func TestSessionPropertiesStdio(t *testing.T) {
	t.Parallel()
	var authCalls atomic.Int32
	s := testkit.NewServer(t, fastmcp.Options{
		Authenticate: fastmcp.AuthFunc[ssUser](func(r *http.Request) (ssUser, error) {
			authCalls.Add(1)
			if r != nil {
				return ssUser{}, errors.New("stdio must authenticate without a request")
			}
			return ssUser{ID: "local", Role: "guest"}, nil
		}),
	})
	ssSessionTool(s)
	rec := testkit.Record(s)
	roots := []fastmcp.Root{{URI: "file:///work", Name: "work"}, {URI: "file:///tmp"}}
	caps := fastmcp.ClientCapabilities{
		Roots:       &fastmcp.RootsCapability{ListChanged: true},
		Sampling:    &fastmcp.SamplingCapability{},
		Elicitation: &fastmcp.ElicitationCapability{Form: &struct{}{}},
	}
	before := time.Now()
	c := testkit.Connect(t, s, &fastmcptest.Options{
		ProtocolVersion: fastmcp.ProtocolVersion20250618,
		ClientInfo:      fastmcp.Implementation{Name: "props-client", Title: "Props", Version: "9.8.7"},
		Capabilities:    caps,
		OnRequest:       ssRootsAnswer(roots...),
	})
	sess := rec.WaitConnected(t, 1)
	ctx := testkit.Context(t)
	if err := sess.WaitForReady(ctx); err != nil {
		t.Fatalf("WaitForReady: %v", err)
	}

	if sess.ID() == "" {
		t.Error("stdio session has an empty id")
	}
	if !sess.IsReady() {
		t.Error("IsReady false after WaitForReady")
	}
	if got := sess.ProtocolVersion(); got != fastmcp.ProtocolVersion20250618 {
		t.Errorf("ProtocolVersion %q, want %q", got, fastmcp.ProtocolVersion20250618)
	}
	if diff := testdiff.Diff(fastmcp.Implementation{Name: "props-client", Title: "Props", Version: "9.8.7"}, sess.ClientInfo()); diff != "" {
		t.Errorf("ClientInfo (-want +got):\n%s", diff)
	}
	if diff := testdiff.Diff(caps, sess.ClientCapabilities()); diff != "" {
		t.Errorf("ClientCapabilities (-want +got):\n%s", diff)
	}
	if diff := testdiff.Diff(roots, sess.Roots()); diff != "" {
		t.Errorf("Roots (-want +got):\n%s", diff)
	}
	if u, ok := sess.Auth().(ssUser); !ok || u != (ssUser{ID: "local", Role: "guest"}) {
		t.Errorf("Auth() = %#v", sess.Auth())
	}
	if n := authCalls.Load(); n != 1 {
		t.Errorf("authenticator called %d times on stdio, want once", n)
	}
	if got := sess.LoggingLevel(); got != fastmcp.LevelDebug {
		t.Errorf("LoggingLevel before logging/setLevel: %q, want debug", got)
	}
	if err := c.SetLoggingLevel(ctx, fastmcp.LevelWarning); err != nil {
		t.Fatal(err)
	}
	if got := sess.LoggingLevel(); got != fastmcp.LevelWarning {
		t.Errorf("LoggingLevel after logging/setLevel warning: %q", got)
	}
	created := sess.CreatedAt()
	if created.Before(before) || created.After(time.Now()) {
		t.Errorf("CreatedAt %v not within the test (%v..now)", created, before)
	}
	active1 := sess.LastActive()
	if active1.Before(created) {
		t.Errorf("LastActive %v before CreatedAt %v", active1, created)
	}
	// The Context agrees with the session.
	var got map[string]any
	if err := json.Unmarshal([]byte(testkit.CallText(t, c, "session", nil, false)), &got); err != nil {
		t.Fatal(err)
	}
	if got["sessionId"] != sess.ID() || got["id"] != sess.ID() || got["protocolVersion"] != fastmcp.ProtocolVersion20250618 || got["loggingLevel"] != "warning" {
		t.Errorf("session tool reported %v for session %s", got, sess.ID())
	}
	if active2 := sess.LastActive(); active2.Before(active1) {
		t.Errorf("LastActive went back: %v then %v", active1, active2)
	} else if !active2.After(created) {
		t.Errorf("LastActive %v did not advance past CreatedAt %v after requests", active2, created)
	}
	if ss := s.Sessions(); len(ss) != 1 || ss[0] != sess {
		t.Errorf("Server.Sessions() = %v, want the one session", ss)
	}
	if ev := rec.Wait(t, sess.ID(), "ready"); len(ev.Roots) != 2 {
		t.Errorf("OnReady saw roots %v, want the client's two", ev.Roots)
	}
	c.Close()
	testkit.WaitClosed(t, sess)
	if len(s.Sessions()) != 0 {
		t.Errorf("Server.Sessions() after the client closed: %v", s.Sessions())
	}
	if sess.IsReady() != true {
		t.Error("IsReady changed after close")
	}
	testkit.CauseIs(t, sess.CloseCause(), "closed its input")
}

func TestSessionHTTPIDsAreDistinctAndMatchHeader(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	seen := map[string]bool{}
	for i := range 5 {
		c := ssNewRaw(t, nil, srv.Endpoint)
		resp := c.initialize(fastmcp.ClientCapabilities{})
		sid := resp.Header.Get("Mcp-Session-Id")
		sess := rec.WaitConnected(t, i+1)
		if sess.ID() != sid {
			t.Errorf("session %d: Session.ID %q, Mcp-Session-Id %q", i, sess.ID(), sid)
		}
		if seen[sid] {
			t.Errorf("session id %q reused", sid)
		}
		seen[sid] = true
	}
	if n := len(s.Sessions()); n != 5 {
		t.Errorf("Server.Sessions(): %d, want 5", n)
	}
}

func TestSessionWaitForReady(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, &fastmcptest.Options{SkipInitialize: true})
	ctx := testkit.Context(t)
	if err := c.Call(ctx, "initialize", fastmcp.InitializeParams{
		ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion,
		ClientInfo:      fastmcp.Implementation{Name: "slow", Version: "1"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	sess := rec.WaitConnected(t, 1)
	if sess.IsReady() {
		t.Error("ready before notifications/initialized")
	}
	// A context that ends first ends the wait with its error.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := sess.WaitForReady(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForReady before initialized: %v, want DeadlineExceeded", err)
	}
	// Waiters started now are released by notifications/initialized.
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- sess.WaitForReady(ctx) }()
	}
	if err := c.Notify("notifications/initialized", nil); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("WaitForReady: %v", err)
		}
	}
	if !sess.IsReady() {
		t.Error("IsReady false after WaitForReady returned")
	}
	if err := sess.WaitForReady(ctx); err != nil {
		t.Errorf("WaitForReady on a ready session: %v", err)
	}
	rec.Wait(t, sess.ID(), "ready")

	// A session that ends before it is ready releases its waiters.
	c2 := testkit.Connect(t, s, &fastmcptest.Options{SkipInitialize: true})
	if err := c2.Call(ctx, "initialize", fastmcp.InitializeParams{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion}, nil); err != nil {
		t.Fatal(err)
	}
	sess2 := rec.WaitConnected(t, 2)
	done := make(chan error, 1)
	go func() { done <- sess2.WaitForReady(ctx) }()
	c2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, fastmcp.ErrSessionClosed) {
			t.Errorf("WaitForReady on a session that closed: %v, want ErrSessionClosed", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("WaitForReady did not return when the session closed")
	}
	// It never became ready, so no ready event, but connect and disconnect.
	rec.Wait(t, sess2.ID(), "disconnect")
	if diff := testdiff.Diff([]string{"connect", "disconnect"}, rec.Kinds(sess2.ID())); diff != "" {
		t.Errorf("events of a session closed before ready (-want +got):\n%s", diff)
	}
}

func TestSessionListChangedTriggersAndResourceUpdated(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	s.AddResource(fastmcp.Resource{URI: "test://watched", Name: "watched", Load: fastmcp.StaticText("v1")})
	s.AddResource(fastmcp.Resource{URI: "test://other", Name: "other", Load: fastmcp.StaticText("x")})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	ctx := testkit.Context(t)
	if err := sess.WaitForReady(ctx); err != nil {
		t.Fatal(err)
	}
	sess.ToolsListChanged()
	sess.ResourcesListChanged()
	sess.ResourceTemplatesListChanged()
	sess.PromptsListChanged()
	if _, err := c.WaitNotification(ctx, "notifications/prompts/list_changed", 1); err != nil {
		t.Fatal(err)
	}
	// Not subscribed: nothing.
	sess.ResourceUpdated("test://watched")
	if err := c.Subscribe(ctx, "test://watched"); err != nil {
		t.Fatal(err)
	}
	sess.ResourceUpdated("test://other") // not subscribed
	sess.ResourceUpdated("test://watched")
	n, err := c.WaitNotification(ctx, "notifications/resources/updated", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(n.Params), `"test://watched"`) {
		t.Errorf("resources/updated params %s", n.Params)
	}
	// Server-wide updates reach subscribers too.
	s.ResourceUpdated("test://watched")
	if _, err := c.WaitNotification(ctx, "notifications/resources/updated", 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil { // everything sent before is recorded
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.Notifications() {
		got = append(got, n.Method)
	}
	want := []string{
		"notifications/tools/list_changed",
		"notifications/resources/list_changed",
		"notifications/resources/list_changed",
		"notifications/prompts/list_changed",
		"notifications/resources/updated",
		"notifications/resources/updated",
	}
	if diff := testdiff.Diff(want, got); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	for _, n := range c.Notifications() {
		if n.Method == "notifications/resources/updated" && !strings.Contains(string(n.Params), "test://watched") {
			t.Errorf("update for an unsubscribed resource: %s", n.Params)
		}
	}
}

func TestSessionLogAndPing(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	ctx := testkit.Context(t)
	if err := sess.WaitForReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sess.Log(fastmcp.LevelInfo, "audit", map[string]any{"event": "login"}); err != nil {
		t.Fatalf("Log: %v", err)
	}
	if err := c.SetLoggingLevel(ctx, fastmcp.LevelError); err != nil {
		t.Fatal(err)
	}
	if err := sess.Log(fastmcp.LevelWarning, "audit", "filtered"); err != nil {
		t.Fatalf("Log below the level: %v", err)
	}
	if err := sess.Log(fastmcp.LevelCritical, "", "kept"); err != nil {
		t.Fatalf("Log: %v", err)
	}
	if err := sess.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	var logs []map[string]any
	for _, n := range c.Notifications() {
		if n.Method == "notifications/message" {
			var m map[string]any
			json.Unmarshal(n.Params, &m)
			logs = append(logs, m)
		}
	}
	want := []map[string]any{
		{"level": "info", "logger": "audit", "data": map[string]any{"event": "login"}},
		{"level": "critical", "data": "kept"},
	}
	if diff := testdiff.Diff(want, logs); diff != "" {
		t.Errorf("log notifications (-want +got):\n%s", diff)
	}
	c.Close()
	testkit.WaitClosed(t, sess)
	if err := sess.Ping(ctx); !errors.Is(err, fastmcp.ErrSessionClosed) {
		t.Errorf("Ping after close: %v, want ErrSessionClosed", err)
	}
}

// A session closed by the server over HTTP: its client's next request is
// answered 404, OnDisconnect runs once with the cause.
func TestSessionCloseHTTP(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.initialize(fastmcp.ClientCapabilities{})
	sess := rec.WaitConnected(t, 1)
	if err := sess.WaitForReady(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	testkit.WaitClosed(t, sess)
	testkit.CauseIs(t, sess.CloseCause(), "closed by the server")
	resp, err := c.post(testkit.Encode(5, "tools/call", map[string]any{"name": "session"}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("request after Session.Close: status %d, want 404", resp.StatusCode)
	}
	sess.Close() // a second Close is harmless
	rec.Wait(t, sess.ID(), "disconnect")
	rec.CheckLifecycle(t, sess.ID())
	if srv.Handler.SessionCount() != 0 || len(s.Sessions()) != 0 {
		t.Errorf("sessions after Close: handler %d, server %d", srv.Handler.SessionCount(), len(s.Sessions()))
	}
}

// A stdio session closed by the server: the session ends, OnDisconnect runs
// with the cause, and the connection must not go on serving requests as if
// nothing happened.
func TestSessionCloseStdio(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	if err := sess.WaitForReady(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	testkit.WaitClosed(t, sess)
	testkit.CauseIs(t, sess.CloseCause(), "closed by the server")
	rec.Wait(t, sess.ID(), "disconnect")
	rec.CheckLifecycle(t, sess.ID())
	if len(s.Sessions()) != 0 {
		t.Errorf("Server.Sessions() after Close: %d", len(s.Sessions()))
	}
	// The client must learn that its session is gone: either the
	// connection ends or requests fail. A request served normally on a
	// closed session is a bug.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, "session", nil)
	if err == nil && !res.IsError {
		t.Fatalf("regression: after Session.Close on stdio the transport keeps serving the closed session: tools/call answered %s (stdio.go serveStream never watches sess.Done())", fastmcptest.Text(res))
	}
}
