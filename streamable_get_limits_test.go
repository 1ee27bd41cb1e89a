//go:build unix

package fastmcp_test

// A client that stops reading its stream (a tiny receive buffer, never read)
// must never stall what the server sends to other clients, nor block the end
// of its own session: every stream kind is tried (the GET stream, the legacy
// SSE stream, a POST's SSE answer, a 2026-07-28 subscriptions/listen stream).
// The server's connections get a small send buffer so that its writes block
// after a few kilobytes, as they would after megabytes on a real network.

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// limSndbuf is the send buffer of the server's connections in these tests.
const limSndbuf = 8 << 10

// limStalled opens a connection with a tiny receive buffer to the server of
// base, sends req (a raw HTTP/1.1 request without Host), and reads the answer
// up to and including until, one byte at a time so that nothing more is taken
// from the socket. It then never reads again; the connection closes when the
// test ends.
func limStalled(t testing.TB, base, req, until string) (net.Conn, string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req = strings.Replace(req, "\r\n", "\r\nHost: "+addr+"\r\n", 1)
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(limWait))
	var got []byte
	one := make([]byte, 1)
	for !strings.Contains(string(got), until) {
		if _, err := conn.Read(one); err != nil {
			t.Fatalf("reading %q: %v (read %q)", until, err, got)
		}
		got = append(got, one[0])
	}
	conn.SetReadDeadline(time.Time{})
	if !strings.HasPrefix(string(got), "HTTP/1.1 200") {
		t.Fatalf("stalled request answered %q", got)
	}
	return conn, string(got)
}

// stalledGET opens c's GET stream on a connection that never reads.
func (c *limClient) stalledGET(base string) {
	c.t.Helper()
	limStalled(c.t, base, "GET /mcp HTTP/1.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: "+c.sid+
		"\r\nMCP-Protocol-Version: "+c.rev+"\r\n\r\n", "\r\n\r\n")
}

// limBigURI is a resource URI of 32 KiB: each update of it is as large.
var limBigURI = "big://" + strings.Repeat("x", 32<<10)

func (c *limClient) subscribe(uri string) {
	c.t.Helper()
	if a := c.request("resources/subscribe", map[string]any{"uri": uri}); a.status != http.StatusOK || a.msg.Error != nil {
		c.t.Fatalf("resources/subscribe: %d %s", a.status, a.raw)
	}
}

// limBroadcasts sends n updates of limBigURI and returns the longest time
// one ResourceUpdated call took and the longest time until next received it.
// between, when set, runs after the i-th update.
func limBroadcasts(t *testing.T, s *fastmcp.Server, n int, next func(), between func(i int)) (maxCall, maxLatency time.Duration) {
	t.Helper()
	for i := range n {
		start := time.Now()
		maxCall = max(maxCall, limWithin(t, "Server.ResourceUpdated", limWait, func() { s.ResourceUpdated(limBigURI) }))
		next()
		maxLatency = max(maxLatency, time.Since(start))
		if between != nil {
			between(i)
		}
	}
	return maxCall, maxLatency
}

func limBroadcastCount() int {
	if limAttack() {
		return 2000
	}
	return 100
}

// Two clients subscribe and stop reading their GET streams; a third reads
// its own. Every broadcast returns at once and reaches the healthy client;
// one stalled client leaves (DELETE) while the server's write to it is
// blocked, and is answered at once; the other is ended when its backlog
// outgrows HTTP.MaxStreamBacklog (logged once, its id answered 404). No
// goroutine is left behind per broadcast.
func TestHTTPStalledGETStream(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	log := &limLog{}
	s := limServer(t, fastmcp.Options{}, log)
	ts, h := limHTTP(t, s, fastmcp.HTTP{}, limSndbuf)
	url := ts.URL + "/mcp"
	healthy := limNewClient(t, url)
	healthy.mustInitialize(true)
	healthy.subscribe(limBigURI)
	events := healthy.openGET()
	var stalled [2]*limClient
	for i := range stalled {
		c := limNewClient(t, url)
		c.mustInitialize(true)
		c.subscribe(limBigURI)
		c.stalledGET(ts.URL)
		stalled[i] = c
	}
	base := limGoroutines()
	n := limBroadcastCount()
	maxCall, maxLatency := limBroadcasts(t, s, n, func() { events.next(t, "notifications/resources/updated") }, func(i int) {
		if i != 10 {
			return
		}
		// 320 KiB were sent: the server's write to the stalled stream
		// waits. The client leaving is answered at once.
		c := stalled[1]
		d := limWithin(t, "DELETE", limWait, func() {
			r, _ := http.NewRequest(http.MethodDelete, url, nil)
			r.Header.Set("Mcp-Session-Id", c.sid)
			r.Header.Set("MCP-Protocol-Version", c.rev)
			resp, err := c.hc.Do(r)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("DELETE: %v %v", err, resp)
				return
			}
			resp.Body.Close()
		})
		t.Logf("DELETE of a stalled session answered in %v", d)
	})
	// list_changed broadcasts too.
	for i := range 20 {
		fastmcp.AddTool(s, fastmcp.Tool{Name: fmt.Sprintf("late%d", i)}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "", nil })
		events.next(t, "notifications/tools/list_changed")
	}
	grown := limGoroutines() - base
	t.Logf("%d updates of 32 KiB: longest ResourceUpdated call %v, longest delivery to the healthy client %v; goroutines %+d",
		n, maxCall, maxLatency, grown)
	if grown > 5 {
		t.Errorf("goroutines grew by %d over %d broadcasts", grown, n+20)
	}
	if stalled[0].alive() {
		t.Error("the session whose client stopped reading is still alive")
	}
	if got := log.count("stopped reading", stalled[0].sid); got != 1 {
		t.Errorf("the stalled session was logged %d times, want once", got)
	}
	if n := h.SessionCount(); n != 1 {
		t.Errorf("SessionCount %d, want 1 (the healthy client)", n)
	}
	if !healthy.alive() {
		t.Error("the healthy session was ended")
	}
}

// A stalled stream with room in its backlog is ended by the write deadline
// (HTTP.StreamWriteTimeout), without further messages.
func TestHTTPStalledGETStreamWriteTimeout(t *testing.T) {
	t.Parallel()
	log := &limLog{}
	s := limServer(t, fastmcp.Options{}, log)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{StreamWriteTimeout: 200 * time.Millisecond, MaxStreamBacklog: 64 << 20}, limSndbuf)
	c := limNewClient(t, ts.URL+"/mcp")
	c.mustInitialize(true)
	c.subscribe(limBigURI)
	c.stalledGET(ts.URL)
	for range 10 {
		s.ResourceUpdated(limBigURI)
	}
	limEventually(t, "the stalled session to end", func() bool { return !c.alive() })
	if got := log.count("stopped reading", c.sid, "StreamWriteTimeout"); got != 1 {
		t.Errorf("logged %d times, want once", got)
	}
}

// The legacy HTTP+SSE transport carries everything on its stream: a client
// that stops reading it is ended the same way, and broadcasts do not wait.
func TestHTTPStalledLegacyStream(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	log := &limLog{}
	s := limServer(t, fastmcp.Options{}, log)
	ts, h := limHTTP(t, s, fastmcp.HTTP{}, limSndbuf)
	healthy := limNewClient(t, ts.URL+"/mcp")
	healthy.mustInitialize(true)
	healthy.subscribe(limBigURI)
	events := healthy.openGET()

	_, head := limStalled(t, ts.URL, "GET /sse HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n", "\n\n")
	m := regexp.MustCompile(`data: (/messages\?sessionId=([A-Za-z0-9_-]+))\n`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("no endpoint event in %q", head)
	}
	endpoint, sid := ts.URL+m[1], m[2]
	post := func(msg []byte) int {
		resp, err := http.Post(endpoint, "application/json", bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, msg := range [][]byte{
		limEncode(1, "initialize", map[string]any{"protocolVersion": fastmcp.ProtocolVersion20241105, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "legacy", "version": "1"}}),
		limEncode(0, "notifications/initialized", nil),
		limEncode(2, "resources/subscribe", map[string]any{"uri": limBigURI}),
	} {
		if st := post(msg); st != http.StatusAccepted {
			t.Fatalf("message %d: status %d", i, st)
		}
	}
	base := limGoroutines()
	n := limBroadcastCount()
	maxCall, maxLatency := limBroadcasts(t, s, n, func() { events.next(t, "notifications/resources/updated") }, nil)
	grown := limGoroutines() - base
	t.Logf("%d updates of 32 KiB: longest ResourceUpdated call %v, longest delivery to the healthy client %v; goroutines %+d",
		n, maxCall, maxLatency, grown)
	if grown > 5 {
		t.Errorf("goroutines grew by %d over %d broadcasts", grown, n)
	}
	if st := post(limEncode(3, "ping", nil)); st != http.StatusNotFound {
		t.Errorf("POST to the stalled session: %d, want 404", st)
	}
	if got := log.count("stopped reading", sid); got != 1 {
		t.Errorf("the stalled session was logged %d times, want once", got)
	}
	if n := h.SessionCount(); n != 1 {
		t.Errorf("SessionCount %d, want 1", n)
	}
}

// A POST whose client stops reading its SSE answer holds up only its own
// request: the handler's writes fail at the write deadline, and the session
// and other clients carry on.
func TestHTTPStalledPOSTStream(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	flooded := make(chan error, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "flood"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		for {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: 1, Message: strings.Repeat("p", 32<<10)}); err != nil {
				flooded <- err
				return "", err
			}
		}
	})
	ts, _ := limHTTP(t, s, fastmcp.HTTP{StreamWriteTimeout: 200 * time.Millisecond, DisableResumability: true}, limSndbuf)
	c := limNewClient(t, ts.URL+"/mcp")
	c.mustInitialize(true)
	body := limEncode(7, "tools/call", map[string]any{"name": "flood", "arguments": map[string]any{},
		"_meta": map[string]any{"progressToken": "p"}})
	limStalled(t, ts.URL, fmt.Sprintf("POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"+
		"Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\nContent-Length: %d\r\n\r\n%s", c.sid, c.rev, len(body), body), "\r\n\r\n")
	select {
	case err := <-flooded:
		t.Logf("the handler's write failed: %v", err)
	case <-time.After(limWait):
		t.Fatal("the handler's writes to a stalled client never failed")
	}
	if !c.alive() {
		t.Error("the session ended with its request")
	}
	if a := c.request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 2}}); a.msg.Error != nil || !strings.Contains(string(a.msg.Result), `"3"`) {
		t.Errorf("a later call: %s", a.raw)
	}
}

// A 2026-07-28 client that stops reading its subscriptions/listen stream has
// its subscription ended; broadcasts reach the other listeners at once.
func TestHTTPStalledSubscription(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	log := &limLog{}
	s := limServer(t, fastmcp.Options{}, log)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{}, limSndbuf)
	listen := func(id int) []byte {
		return []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":[%q]},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"l","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`,
			id, limBigURI, fastmcp.ProtocolVersion20260728))
	}
	r, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", bytes.NewReader(listen(1)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
	r.Header.Set("Mcp-Method", "subscriptions/listen")
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("listen: %v %v", err, resp)
	}
	defer resp.Body.Close()
	events := limReadEvents(resp.Body)
	events.next(t, "notifications/subscriptions/acknowledged")

	body := listen(2)
	limStalled(t, ts.URL, fmt.Sprintf("POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"+
		"MCP-Protocol-Version: %s\r\nMcp-Method: subscriptions/listen\r\nContent-Length: %d\r\n\r\n%s",
		fastmcp.ProtocolVersion20260728, len(body), body), "\r\n\r\n")
	base := limGoroutines()
	n := limBroadcastCount()
	maxCall, maxLatency := limBroadcasts(t, s, n, func() { events.next(t, "notifications/resources/updated") }, nil)
	grown := limGoroutines() - base
	t.Logf("%d updates of 32 KiB: longest ResourceUpdated call %v, longest delivery to the healthy listener %v; goroutines %+d",
		n, maxCall, maxLatency, grown)
	limEventually(t, "the stalled subscription to end", func() bool {
		return log.count("subscription whose client does not read") == 1
	})
	if grown > 5 {
		t.Errorf("goroutines grew by %d over %d broadcasts", grown, n)
	}
}
