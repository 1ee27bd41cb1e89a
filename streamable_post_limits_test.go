package fastmcp_test

// Bodies and batches: what one POST can make the server hold.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// limHeap returns the bytes of heap and goroutine stacks in use, after a
// collection.
func limHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// Connections announce a 4 MiB body and send nothing, or send it a byte at a
// time: memory grows with what arrives, not with what is announced, and each
// is answered 408 and closed at HTTP.BodyReadTimeout. (The attack:
// 1,000 connections at the default timeout, with FASTMCP_ATTACK=1; by
// default 200 connections and a timeout of 500 ms.)
func TestHTTPBodiesAnnouncedNotSent(t *testing.T) {
	// Not parallel: it measures the process's memory.
	conns, opts := 200, fastmcp.HTTP{BodyReadTimeout: 500 * time.Millisecond}
	if limAttack() {
		conns, opts = 1000, fastmcp.HTTP{}
	}
	s := limServer(t, fastmcp.Options{}, nil)
	var active atomic.Int64
	allActive := make(chan struct{})
	ts, _ := limHTTP(t, s, opts, 0, func(hs *http.Server) {
		hs.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateActive && active.Add(1) == int64(conns) {
				close(allActive)
			}
		}
	})
	addr := strings.TrimPrefix(ts.URL, "http://")
	before := limHeap()
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// Every other connection sends one byte of its body.
		head := fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, 4<<20)
		if i%2 == 1 {
			head += "["
		}
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	start := time.Now()
	select {
	case <-allActive:
	case <-time.After(limWait):
		t.Fatalf("%d of %d requests reached the server", active.Load(), conns)
	}
	held := int64(limHeap()) - int64(before)
	t.Logf("%d connections announcing 4 MiB: heap and stacks grew by %d KiB (%d B per connection)", conns, held>>10, held/int64(conns))
	if held > int64(conns)*64<<10 {
		t.Errorf("memory grew by %d KiB for %d connections that sent nothing", held>>10, conns)
	}
	var wg sync.WaitGroup
	var answered, closed atomic.Int64
	for _, c := range cs {
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(limWait + 30*time.Second))
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Errorf("reading the answer: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusRequestTimeout {
				answered.Add(1)
			}
			if _, err := br.ReadByte(); err != nil {
				closed.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("answered 408 and closed after %v: %d and %d of %d", time.Since(start), answered.Load(), closed.Load(), conns)
	if answered.Load() != int64(conns) || closed.Load() != int64(conns) {
		t.Errorf("%d answered 408, %d closed, of %d", answered.Load(), closed.Load(), conns)
	}
}

// The body's read deadline ends with the body: a request that runs longer
// than HTTP.BodyReadTimeout is not cut short.
func TestHTTPBodyReadTimeoutEndsWithTheBody(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{BodyReadTimeout: 100 * time.Millisecond}, 0)
	c := limNewClient(t, ts.URL+"/mcp")
	c.mustInitialize(true)
	a := c.request("tools/call", map[string]any{"name": "wait", "arguments": map[string]any{"ms": 400}})
	if a.msg.Error != nil || !strings.Contains(string(a.msg.Result), "waited") {
		t.Fatalf("a call longer than the body timeout: %d %s", a.status, a.raw)
	}
}

func TestHTTPBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{MaxBodyBytes: 1 << 10}, 0)
	for _, chunked := range []bool{false, true} {
		body := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2<<10) + `"}}`)
		r, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", body)
		if chunked {
			r.ContentLength = -1 // no length announced: sent chunked
		}
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked %v: status %d, want 413", chunked, resp.StatusCode)
		}
	}
}

// limBatch encodes a batch of n calls of tool with arguments args.
func limBatch(n int, tool string, args map[string]any) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(limEncode(int64(i+1), "tools/call", map[string]any{"name": tool, "arguments": args}))
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// limRunning counts the calls of a tool running at once, and the most seen.
type limRunning struct {
	now, most atomic.Int64
	started   atomic.Int64
}

func (r *limRunning) enter() {
	r.started.Add(1)
	n := r.now.Add(1)
	for {
		m := r.most.Load()
		if n <= m || r.most.CompareAndSwap(m, n) {
			return
		}
	}
}

func (r *limRunning) leave() { r.now.Add(-1) }

// limBlockTool adds "block", which waits for its context to end.
func limBlockTool(s *fastmcp.Server) *limRunning {
	r := &limRunning{}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "block"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		r.enter()
		defer r.leave()
		<-ctx.Done()
		return "", ctx.Err()
	})
	return r
}

// Batches (2025-03-26): one beyond Options.MaxBatchSize is refused whole and
// starts nothing; one within it runs at most 16 calls at a time, and a
// client that disconnects has its calls cancelled.
func TestHTTPBatchAmplification(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	s := limServer(t, fastmcp.Options{}, nil)
	running := limBlockTool(s)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
	c := limNewClient(t, ts.URL+"/mcp")
	c.rev = fastmcp.ProtocolVersion20250326
	c.mustInitialize(true)

	base, heap := limGoroutines(), limHeap()
	big := limBatch(35000, "block", map[string]any{})
	a := c.send(big)
	t.Logf("a batch of 35,000 calls (%d KiB): %d %s; goroutines %+d, memory %+d KiB", len(big)>>10, a.status, a.raw,
		limGoroutines()-base, (int64(limHeap())-int64(heap))>>10)
	if a.status != http.StatusBadRequest || a.msg.Error == nil || !strings.Contains(a.msg.Error.Message, "at most 100") || running.started.Load() != 0 {
		t.Fatalf("batch of 35,000: %d %s, %d calls started", a.status, a.raw, running.started.Load())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := c.post(ctx, limBatch(100, "block", map[string]any{})); err == nil {
			resp.Body.Close()
		}
	}()
	limEventually(t, "16 calls to run", func() bool { return running.now.Load() == 16 })
	grown := limGoroutines() - base
	cancel() // the client goes away
	<-done
	limEventually(t, "the calls to be cancelled", func() bool { return running.now.Load() == 0 })
	t.Logf("a batch of 100 blocking calls: at most %d at once, goroutines %+d; after the client left: %d running, %d started",
		running.most.Load(), grown, running.now.Load(), running.started.Load())
	if running.started.Load() == 100 {
		t.Error("every call of the batch started after its client went away")
	}
	if running.most.Load() > 16 {
		t.Errorf("%d calls of one batch ran at once, want at most 16", running.most.Load())
	}
	if grown > 16+10 {
		t.Errorf("goroutines grew by %d for one batch", grown)
	}
	if left := limGoroutines() - base; left > 3 {
		t.Errorf("%d goroutines left after the client went away", left)
	}
}

// Parallel POSTs on one session: beyond Options.MaxInFlight they are refused
// at once, with an error saying why.
func TestHTTPInFlightPerSession(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	s := limServer(t, fastmcp.Options{MaxInFlight: 64}, nil)
	running := limBlockTool(s)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
	c := limNewClient(t, ts.URL+"/mcp")
	c.mustInitialize(true)
	base := limGoroutines()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := range 100 {
		wg.Go(func() {
			resp, err := c.post(ctx, limEncode(int64(i+1), "tools/call", map[string]any{"name": "block", "arguments": map[string]any{}}))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var m limMsg
			if json.NewDecoder(resp.Body).Decode(&m) == nil && m.Error != nil && strings.Contains(m.Error.Message, "Too many requests in flight") {
				refused.Add(1)
			}
		})
	}
	limEventually(t, "64 calls to run and 36 to be refused", func() bool { return running.now.Load() == 64 && refused.Load() == 36 })
	t.Logf("100 parallel calls: %d running, %d refused; goroutines %+d", running.now.Load(), refused.Load(), limGoroutines()-base)
	cancel()
	wg.Wait()
	limEventually(t, "the calls to be cancelled", func() bool { return running.now.Load() == 0 })
}
