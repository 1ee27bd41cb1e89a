package fastmcp_test

// Leak tests: many sessions connect, make a call that uses session state,
// and disconnect; afterwards the process must hold no more goroutines and
// no more heap than before, beyond small constants.
//
// The default run does 2,000 cycles per transport. Set FASTMCP_LONG=1 (and
// do not pass -short) for the full 10,000.
//
// These tests are not parallel: they count the process's goroutines and
// measure its heap, which other tests running at the same time would
// disturb. (Parallel tests only start once every sequential test is done.)

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Bounds of growth over a whole run.
const (
	leakGoroutineSlack = 5       // goroutines
	leakHeapSlack      = 2 << 20 // bytes of live heap
)

// leakCycles returns the number of connect/disconnect cycles to run.
func leakCycles() int {
	if os.Getenv("FASTMCP_LONG") == "1" && !testing.Short() {
		return 10_000
	}
	return 2_000
}

// leakServer returns a server whose sessions use state and events, with
// counters of what ran.
type leakCounters struct {
	connects, disconnects, readies, clears atomic.Int64
}

type leakStore struct {
	fastmcp.StateStore
	c *leakCounters
}

func (s leakStore) Clear(ctx context.Context, scope string) error {
	s.c.clears.Add(1)
	return s.StateStore.Clear(ctx, scope)
}

func leakServer(t testing.TB) (*fastmcp.Server, *leakCounters) {
	c := &leakCounters{}
	s := testkit.NewServer(t, fastmcp.Options{
		Logger:     testLoggerQuiet(),
		StateStore: leakStore{fastmcp.NewMemoryStateStore(), c},
	})
	s.OnConnect(func(sess *fastmcp.Session) {
		c.connects.Add(1)
		sess.OnReady(func() { c.readies.Add(1) })
	})
	s.OnDisconnect(func(*fastmcp.Session) { c.disconnects.Add(1) })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "count"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		n, err := ctx.State().Incr(ctx, "n", 1)
		if err != nil {
			return "", err
		}
		if err := ctx.State().Set(ctx, "cached", strings.Repeat("x", 256), time.Hour); err != nil {
			return "", err
		}
		return fmt.Sprint(n), nil
	})
	return s, c
}

// testLoggerQuiet discards the server's diagnostics: thousands of sessions
// would flood the test log.
func testLoggerQuiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// leakSnapshot is the process's state at one point.
type leakSnapshot struct {
	goroutines int
	heap       uint64
}

func leakMeasure() leakSnapshot {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return leakSnapshot{runtime.NumGoroutine(), m.HeapAlloc}
}

// leakSettle waits (bounded) for goroutines of ended sessions to exit and
// returns the measurement after.
func leakSettle(before leakSnapshot) leakSnapshot {
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before.goroutines+leakGoroutineSlack && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return leakMeasure()
}

// leakCheck logs the numbers and checks the bounds.
func leakCheck(t *testing.T, what string, cycles int, before, after leakSnapshot, took time.Duration) {
	t.Helper()
	growth := int64(after.heap) - int64(before.heap)
	t.Logf("%s: %d cycles in %v (%.0f/s): goroutines %d -> %d; heap %d -> %d bytes (%+d, %+.1f bytes/cycle)",
		what, cycles, took.Round(time.Millisecond), float64(cycles)/took.Seconds(),
		before.goroutines, after.goroutines, before.heap, after.heap, growth, float64(growth)/float64(cycles))
	if after.goroutines > before.goroutines+leakGoroutineSlack {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("%s: goroutines grew from %d to %d over %d cycles\n%s", what, before.goroutines, after.goroutines, cycles, buf[:n])
	}
	if growth > leakHeapSlack {
		t.Errorf("%s: live heap grew by %d bytes over %d cycles (bound %d)", what, growth, cycles, leakHeapSlack)
	}
}

func leakCheckCounters(t *testing.T, c *leakCounters, sessions int64, s *fastmcp.Server) {
	t.Helper()
	deadline := time.Now().Add(testkit.Wait)
	for c.disconnects.Load() < sessions && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.connects.Load() != sessions || c.disconnects.Load() != sessions || c.clears.Load() != sessions {
		t.Errorf("%d sessions: %d connects, %d readies, %d disconnects, %d state clears", sessions,
			c.connects.Load(), c.readies.Load(), c.disconnects.Load(), c.clears.Load())
	}
	if n := len(s.Sessions()); n != 0 {
		t.Errorf("%d sessions still listed", n)
	}
}

// leakHTTPCycle runs one session over Streamable HTTP: initialize,
// notifications/initialized, one tools/call, DELETE.
func leakHTTPCycle(hc *http.Client, endpoint string, bodies [3][]byte) error {
	do := func(method string, body []byte, sid string, want int) (*http.Response, []byte, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, endpoint, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("MCP-Protocol-Version", fastmcp.LatestHandshakeProtocolVersion)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s: status %d: %s", method, resp.StatusCode, b)
		}
		return resp, b, err
	}
	resp, _, err := do(http.MethodPost, bodies[0], "", http.StatusOK)
	if err != nil {
		return err
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	if _, _, err := do(http.MethodPost, bodies[1], sid, http.StatusAccepted); err != nil {
		return err
	}
	_, b, err := do(http.MethodPost, bodies[2], sid, http.StatusOK)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"text":"1"`)) {
		return fmt.Errorf("tools/call: %s", b)
	}
	_, _, err = do(http.MethodDelete, nil, sid, http.StatusOK)
	return err
}

func TestSessionLeakHTTP(t *testing.T) {
	cycles := leakCycles()
	s, counters := leakServer(t)
	h := s.Handler(fastmcp.HTTP{})
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer h.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	hc := &http.Client{Transport: tr}
	endpoint := ts.URL + "/mcp"
	bodies := [3][]byte{
		testkit.Encode(1, "initialize", map[string]any{"protocolVersion": fastmcp.LatestHandshakeProtocolVersion,
			"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "leak", "version": "1"}}),
		testkit.Encode(0, "notifications/initialized", nil),
		testkit.Encode(2, "tools/call", map[string]any{"name": "count", "arguments": map[string]any{}}),
	}
	const warmup = 200
	for range warmup {
		if err := leakHTTPCycle(hc, endpoint, bodies); err != nil {
			t.Fatal(err)
		}
	}
	tr.CloseIdleConnections()
	before := leakSettle(leakMeasure())
	start := time.Now()
	for i := range cycles {
		if err := leakHTTPCycle(hc, endpoint, bodies); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	took := time.Since(start)
	tr.CloseIdleConnections()
	leakCheckCounters(t, counters, int64(warmup+cycles), s)
	after := leakSettle(before)
	leakCheck(t, "HTTP initialize+initialized+call+DELETE", cycles, before, after, took)
	if n := h.SessionCount(); n != 0 {
		t.Errorf("handler still counts %d sessions", n)
	}
}

func TestSessionLeakInProcess(t *testing.T) {
	cycles := leakCycles()
	s, counters := leakServer(t)
	ctx := context.Background()
	cycle := func() error {
		c, err := fastmcptest.Dial(ctx, s, nil)
		if err != nil {
			return err
		}
		res, err := c.CallTool(ctx, "count", nil)
		if err != nil {
			c.Close()
			return err
		}
		if res.IsError {
			c.Close()
			return fmt.Errorf("count: %+v", res)
		}
		return c.Close()
	}
	const warmup = 200
	for range warmup {
		if err := cycle(); err != nil {
			t.Fatal(err)
		}
	}
	before := leakSettle(leakMeasure())
	start := time.Now()
	for i := range cycles {
		if err := cycle(); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	took := time.Since(start)
	leakCheckCounters(t, counters, int64(warmup+cycles), s)
	after := leakSettle(before)
	leakCheck(t, "in-process fastmcptest Dial+call+Close", cycles, before, after, took)
}
