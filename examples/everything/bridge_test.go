package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stdioBridge serves Streamable HTTP on 127.0.0.1 in front of stdio servers,
// so that the conformance suite, which speaks HTTP only, can test the
// everything server over stdio. Each session is one child process:
//
//   - a POST of initialize without Mcp-Session-Id starts a child and gets a
//     random session id;
//   - the messages of a POST with that id are written to the child's stdin,
//     one per line;
//   - a POST carrying requests is answered with an SSE stream that carries
//     every message the child emits while those requests are open
//     (notifications, and server-to-client requests such as sampling and
//     elicitation), and ends after the responses to its requests;
//   - a POST of only notifications and responses gets 202;
//   - DELETE kills the child; an unknown session gets 404.
//
// A response of the child goes to the POST that carries its request; any other
// message goes to the oldest open POST stream of the session, or is dropped
// when none is open. There is no standalone GET stream (405).
type stdioBridge struct {
	bin string
	srv *httptest.Server

	mu       sync.Mutex
	sessions map[string]*bridgeSession
	all      []*bridgeSession // every session ever started, for Close and Stderr
	closed   bool
}

// newStdioBridge starts a bridge whose sessions run bin (with no arguments:
// stdio).
func newStdioBridge(bin string) *stdioBridge {
	b := &stdioBridge{bin: bin, sessions: map[string]*bridgeSession{}}
	b.srv = httptest.NewServer(b) // on 127.0.0.1
	return b
}

// URL is the MCP endpoint of the bridge.
func (b *stdioBridge) URL() string { return b.srv.URL + "/mcp" }

// Close ends every child: it closes their input, which must make a stdio
// server exit cleanly, and kills those still running after stopBudget. It
// returns the number of sessions served and a description of each child that
// did not exit cleanly.
func (b *stdioBridge) Close() (sessions int, problems []string) {
	b.mu.Lock()
	b.closed = true
	all := slices.Clone(b.all)
	clear(b.sessions)
	b.mu.Unlock()

	for _, s := range all {
		s.closeInput()
	}
	timeout := time.NewTimer(stopBudget)
	defer timeout.Stop()
	for _, s := range all {
		select {
		case <-s.done:
		case <-timeout.C:
		}
		select {
		case <-s.done:
			if s.waitErr != nil && !s.killed.Load() {
				problems = append(problems, fmt.Sprintf("stdio session %s: the child did not exit cleanly when its input closed: %v", s.id, s.waitErr))
			}
		default:
			s.kill()
			problems = append(problems, fmt.Sprintf("stdio session %s: the child did not exit within %v of its input closing; killed", s.id, stopBudget))
		}
	}
	b.srv.Close()
	return len(all), problems
}

// Stderr returns what the children wrote to stderr, by session.
func (b *stdioBridge) Stderr() string {
	b.mu.Lock()
	all := slices.Clone(b.all)
	b.mu.Unlock()
	var sb strings.Builder
	for _, s := range all {
		if out := s.stderr.String(); out != "" {
			fmt.Fprintf(&sb, "--- session %s\n%s", s.id, out)
		}
	}
	return sb.String()
}

func (b *stdioBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/mcp" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		b.post(w, r)
	case http.MethodDelete:
		b.delete(w, r)
	default:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// bridgeMessage is one JSON-RPC message of a POST body.
type bridgeMessage struct {
	raw    json.RawMessage
	id     string // the compacted id; "" for a notification
	method string // "" for a response
}

func (m bridgeMessage) isRequest() bool { return m.method != "" && m.id != "" }

// parseMessages splits a POST body, one message or a batch, into messages.
func parseMessages(body []byte) ([]bridgeMessage, error) {
	var raws []json.RawMessage
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, err
		}
	} else {
		raws = []json.RawMessage{body}
	}
	if len(raws) == 0 {
		return nil, errors.New("empty batch")
	}
	msgs := make([]bridgeMessage, 0, len(raws))
	for _, raw := range raws {
		var env struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, err
		}
		msgs = append(msgs, bridgeMessage{raw: compact.Bytes(), id: idKey(env.ID), method: env.Method})
	}
	return msgs, nil
}

// idKey is the compacted JSON of a message id; "" for none or null.
func idKey(id json.RawMessage) string {
	var b bytes.Buffer
	if len(id) == 0 || json.Compact(&b, id) != nil || b.String() == "null" {
		return ""
	}
	return b.String()
}

// writeRPCError answers with a JSON-RPC error and an HTTP status.
func writeRPCError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": code, "message": message},
	})
}

func (b *stdioBridge) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		writeRPCError(w, http.StatusBadRequest, -32700, "reading the body: "+err.Error())
		return
	}
	msgs, err := parseMessages(body)
	if err != nil {
		writeRPCError(w, http.StatusBadRequest, -32700, "parse error: "+err.Error())
		return
	}

	var sess *bridgeSession
	if id := r.Header.Get("Mcp-Session-Id"); id != "" {
		b.mu.Lock()
		sess = b.sessions[id]
		b.mu.Unlock()
		if sess == nil {
			writeRPCError(w, http.StatusNotFound, -32001, "session not found")
			return
		}
	} else {
		if !slices.ContainsFunc(msgs, func(m bridgeMessage) bool { return m.method == "initialize" && m.id != "" }) {
			writeRPCError(w, http.StatusBadRequest, -32600, "missing Mcp-Session-Id")
			return
		}
		if sess, err = b.startSession(); err != nil {
			writeRPCError(w, http.StatusInternalServerError, -32603, "starting the stdio server: "+err.Error())
			return
		}
		w.Header().Set("Mcp-Session-Id", sess.id)
	}

	var ids []string
	for _, m := range msgs {
		if m.isRequest() {
			ids = append(ids, m.id)
		}
	}
	if len(ids) == 0 {
		if err := sess.send(msgs); err != nil {
			writeRPCError(w, http.StatusNotFound, -32001, err.Error())
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}

	// Register the stream before the child can answer.
	st, err := sess.openStream(ids)
	if err != nil {
		writeRPCError(w, http.StatusBadRequest, -32600, err.Error())
		return
	}
	if err := sess.send(msgs); err != nil {
		sess.closeStream(st)
		writeRPCError(w, http.StatusNotFound, -32001, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for {
		sess.mu.Lock()
		batch, finished := st.queue, st.finished
		st.queue = nil
		sess.mu.Unlock()
		for _, m := range batch {
			if _, err := fmt.Fprintf(w, "event: message\ndata: %s\n\n", m); err != nil {
				sess.closeStream(st)
				return
			}
		}
		if len(batch) > 0 {
			if err := rc.Flush(); err != nil {
				sess.closeStream(st)
				return
			}
		}
		if finished {
			return
		}
		select {
		case <-st.wake:
		case <-r.Context().Done():
			sess.closeStream(st)
			return
		}
	}
}

func (b *stdioBridge) delete(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("Mcp-Session-Id")
	b.mu.Lock()
	sess := b.sessions[id]
	delete(b.sessions, id)
	b.mu.Unlock()
	if sess == nil {
		writeRPCError(w, http.StatusNotFound, -32001, "session not found")
		return
	}
	sess.kill()
	w.WriteHeader(http.StatusNoContent)
}

// startSession starts a child and registers its session.
func (b *stdioBridge) startSession() (*bridgeSession, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	s := &bridgeSession{
		id:      base64.RawURLEncoding.EncodeToString(raw[:]),
		pending: map[string]*bridgeStream{},
		done:    make(chan struct{}),
		stderr:  &tailBuffer{max: 64 << 10},
	}
	s.cmd = exec.Command(b.bin)
	s.cmd.Env = childEnv()
	s.cmd.Stderr = s.stderr
	s.cmd.WaitDelay = 5 * time.Second
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("the bridge is closed")
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.stdin = stdin
	go s.readLoop(stdout)
	b.sessions[s.id] = s
	b.all = append(b.all, s)
	return s, nil
}

// bridgeSession is one child process and the POST streams waiting on it.
type bridgeSession struct {
	id     string
	cmd    *exec.Cmd
	stderr *tailBuffer

	writeMu sync.Mutex // serializes writes to stdin
	stdin   io.WriteCloser

	mu      sync.Mutex
	pending map[string]*bridgeStream // request id -> the stream its response goes to
	open    []*bridgeStream          // open streams, oldest first
	ended   bool                     // the child's output has ended

	done    chan struct{} // closed when the child has exited
	waitErr error
	killed  atomic.Bool
}

// bridgeStream is the SSE answer to one POST carrying requests. Its fields
// are guarded by the session's mu.
type bridgeStream struct {
	remaining int           // responses still to come
	queue     [][]byte      // messages not yet written
	finished  bool          // nothing more will be queued
	wake      chan struct{} // signalled when queue or finished changes
}

func (st *bridgeStream) push(m []byte) {
	st.queue = append(st.queue, m)
	st.signal()
}

func (st *bridgeStream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// openStream registers a stream for the requests with the given ids.
func (s *bridgeSession) openStream(ids []string) (*bridgeStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return nil, errors.New("the stdio server has exited")
	}
	for i, id := range ids {
		if _, dup := s.pending[id]; dup || slices.Contains(ids[:i], id) {
			return nil, fmt.Errorf("request id %s is already in use", id)
		}
	}
	st := &bridgeStream{remaining: len(ids), wake: make(chan struct{}, 1)}
	for _, id := range ids {
		s.pending[id] = st
	}
	s.open = append(s.open, st)
	return st, nil
}

// closeStream forgets a stream whose client went away: later responses to
// its requests are dropped.
func (s *bridgeSession) closeStream(st *bridgeStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range s.pending {
		if p == st {
			delete(s.pending, id)
		}
	}
	s.open = slices.DeleteFunc(s.open, func(o *bridgeStream) bool { return o == st })
	st.finished = true
}

// send writes messages to the child's stdin, one per line.
func (s *bridgeSession) send(msgs []bridgeMessage) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var buf bytes.Buffer
	for _, m := range msgs {
		buf.Write(m.raw)
		buf.WriteByte('\n')
	}
	if _, err := s.stdin.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("the stdio server is gone: %v", err)
	}
	return nil
}

// readLoop routes every line the child writes, then reaps the child.
func (s *bridgeSession) readLoop(stdout io.Reader) {
	r := bufio.NewReaderSize(stdout, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			s.route(line)
		}
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	s.ended = true
	for _, st := range s.open {
		st.finished = true
		st.signal()
	}
	s.open = nil
	clear(s.pending)
	s.mu.Unlock()
	s.waitErr = s.cmd.Wait()
	close(s.done)
}

// route delivers one message of the child.
func (s *bridgeSession) route(line []byte) {
	if line[0] == '[' { // a batch: route each message
		var batch []json.RawMessage
		if json.Unmarshal(line, &batch) == nil {
			for _, m := range batch {
				s.route(m)
			}
		}
		return
	}
	var env struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(line, &env) != nil {
		fmt.Fprintf(s.stderr, "bridge: dropped a line that is not JSON: %.200s\n", line)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.Method == "" { // a response
		st := s.pending[idKey(env.ID)]
		if st == nil {
			fmt.Fprintf(s.stderr, "bridge: dropped a response nobody waits for: %.200s\n", line)
			return
		}
		delete(s.pending, idKey(env.ID))
		st.queue = append(st.queue, line)
		if st.remaining--; st.remaining == 0 {
			st.finished = true
			s.open = slices.DeleteFunc(s.open, func(o *bridgeStream) bool { return o == st })
		}
		st.signal()
		return
	}
	// A notification or a server-to-client request.
	if len(s.open) == 0 {
		return
	}
	s.open[0].push(line)
}

// closeInput closes the child's stdin: a stdio server then shuts down.
func (s *bridgeSession) closeInput() {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_ = s.stdin.Close()
}

// kill kills the child and waits for it.
func (s *bridgeSession) kill() {
	s.killed.Store(true)
	_ = s.cmd.Process.Kill()
	<-s.done
}

// TestStdioBridge checks the bridge itself against the everything server over
// stdio, without the suite: session handling, status codes, and the routing of
// notifications, server-to-client requests and responses.
func TestStdioBridge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the everything binary; skipped in -short mode")
	}
	bridge := newStdioBridge(everythingBinary(t))
	closed := false
	t.Cleanup(func() {
		if !closed {
			bridge.Close()
		}
	})
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(session, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, bridge.URL(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	wantStatus := func(what string, resp *http.Response, want int) {
		t.Helper()
		if resp.StatusCode != want {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, want, b)
		}
	}
	// stream reads the messages of an SSE answer in order.
	stream := func(resp *http.Response) func() map[string]any {
		t.Helper()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q, want text/event-stream", ct)
		}
		r := bufio.NewReader(resp.Body)
		return func() map[string]any {
			t.Helper()
			var data []byte
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					if err == io.EOF && len(data) == 0 {
						return nil // the stream ended
					}
					t.Fatalf("reading the SSE stream: %v", err)
				}
				line = strings.TrimRight(line, "\r\n")
				if line == "" && len(data) > 0 {
					var m map[string]any
					if err := json.Unmarshal(data, &m); err != nil {
						t.Fatalf("SSE data %s: %v", data, err)
					}
					return m
				}
				if v, ok := strings.CutPrefix(line, "data: "); ok {
					data = append(data, v...)
				}
			}
		}
	}

	wantStatus("POST without a session", post("", `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusBadRequest)
	wantStatus("POST with an unknown session", post("nope", `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound)
	resp, err := client.Get(bridge.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
		t.Fatalf("GET: status %d, Allow %q; want 405 with Allow", resp.StatusCode, resp.Header.Get("Allow"))
	}

	resp = post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"sampling":{}},"clientInfo":{"name":"bridge-test","version":"1"}}}`)
	wantStatus("initialize", resp, http.StatusOK)
	session := resp.Header.Get("Mcp-Session-Id")
	if len(session) < 16 {
		t.Fatalf("initialize: Mcp-Session-Id %q, want a random id", session)
	}
	next := stream(resp)
	if m := next(); m["id"] != 1.0 || m["result"] == nil {
		t.Fatalf("initialize: got %v, want the result for id 1", m)
	}
	if m := next(); m != nil {
		t.Fatalf("initialize: the stream goes on after the response: %v", m)
	}
	wantStatus("notifications/initialized", post(session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`), http.StatusAccepted)

	// Notifications of a request come on its stream, before its response.
	next = stream(post(session, `{"jsonrpc":"2.0","id":"p","method":"tools/call","params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"tok"}}}`))
	for i := range 3 {
		m := next()
		if m["method"] != "notifications/progress" {
			t.Fatalf("progress call, message %d: got %v, want notifications/progress", i, m)
		}
	}
	if m := next(); m["id"] != "p" || m["result"] == nil {
		t.Fatalf("progress call: got %v, want the result for id p", m)
	}
	if m := next(); m != nil {
		t.Fatalf("progress call: the stream goes on after the response: %v", m)
	}

	// A server-to-client request comes on the stream of the call that makes
	// it; the client's answer is a separate POST (202), and the call's
	// result follows on the first stream.
	next = stream(post(session, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_sampling","arguments":{"prompt":"hi"}}}`))
	m := next()
	if m["method"] != "sampling/createMessage" || m["id"] == nil {
		t.Fatalf("sampling call: got %v, want a sampling/createMessage request", m)
	}
	answer, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m["id"], "result": map[string]any{
		"role": "assistant", "content": map[string]any{"type": "text", "text": "from the bridge test"},
		"model": "test-model", "stopReason": "endTurn",
	}})
	wantStatus("sampling answer", post(session, string(answer)), http.StatusAccepted)
	m = next()
	if raw, _ := json.Marshal(m["result"]); m["id"] != 7.0 || !strings.Contains(string(raw), "LLM response: from the bridge test") {
		t.Fatalf("sampling call: got %v, want the result for id 7 with the sampled text", m)
	}
	if m := next(); m != nil {
		t.Fatalf("sampling call: the stream goes on after the response: %v", m)
	}

	// DELETE ends the session and its child.
	bridge.mu.Lock()
	sess := bridge.sessions[session]
	bridge.mu.Unlock()
	req, _ := http.NewRequest(http.MethodDelete, bridge.URL(), nil)
	req.Header.Set("Mcp-Session-Id", session)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE: status %d, want 2xx", resp.StatusCode)
	}
	select {
	case <-sess.done:
	default:
		t.Fatal("DELETE: the child is still running")
	}
	wantStatus("POST after DELETE", post(session, `{"jsonrpc":"2.0","id":2,"method":"ping"}`), http.StatusNotFound)

	closed = true
	if n, problems := bridge.Close(); n != 1 || len(problems) != 0 {
		t.Fatalf("Close: %d sessions, problems %q; want 1 session and no problems", n, problems)
	}
}
