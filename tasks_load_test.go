package fastmcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// tkRaw posts 2026-07-28 requests without validating the answers: the load
// test sends tens of thousands.
type tkRaw struct {
	url string
	hc  *http.Client
}

func (c *tkRaw) post(method string, params map[string]any) (json.RawMessage, error) {
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    fastmcp.ProtocolVersion20260728,
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"extensions": map[string]any{fastmcp.TasksExtension: map[string]any{}}},
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
	h.Set("Mcp-Method", method)
	switch method {
	case "tools/call":
		h.Set("Mcp-Name", params["name"].(string))
	case "tasks/get":
		h.Set("Mcp-Name", params["taskId"].(string))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var m struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", method, err, raw)
	}
	if m.Error != nil {
		return nil, fmt.Errorf("%s: error %d %s", method, m.Error.Code, m.Error.Message)
	}
	return m.Result, nil
}

// terminalStore tells when n tasks have ended: the load test waits on it
// instead of polling the store.
type terminalStore struct {
	fastmcp.TaskStore
	n     int64
	ended atomic.Int64
	done  chan struct{}
}

func (s *terminalStore) Update(ctx context.Context, id, worker string, u fastmcp.TaskUpdate) (*fastmcp.TaskRecord, error) {
	rec, err := s.TaskStore.Update(ctx, id, worker, u)
	if err == nil && rec.Status.Terminal() {
		s.end()
	}
	return rec, err
}

// Reap: a task whose lease lapsed ends too (failed: the test then says so
// instead of waiting for it).
func (s *terminalStore) Reap(ctx context.Context, worker string, lease time.Duration) ([]*fastmcp.TaskRecord, error) {
	recs, err := s.TaskStore.Reap(ctx, worker, lease)
	for _, rec := range recs {
		if rec.Status.Terminal() {
			s.end()
		}
	}
	return recs, err
}

func (s *terminalStore) end() {
	if s.ended.Add(1) == s.n {
		close(s.done)
	}
}

// tasksLoad is the number of tasks TestTasksTenThousandInMemory runs:
// 2,000 by default, 10,000 with FASTMCP_LONG=1 (and without -short), like
// the session leak tests.
func tasksLoad() int {
	if os.Getenv("FASTMCP_LONG") == "1" && !testing.Short() {
		return 10_000
	}
	return 2_000
}

// TestTasksTenThousandInMemory: 10,000 tasks alive at once (each handler
// waits until all exist; 2,000 unless FASTMCP_LONG=1), all complete, and once
// their TTL has passed the process holds no more goroutines and no more heap
// than before.
//
// Not parallel: it measures the process's heap and goroutines.
func TestTasksTenThousandInMemory(t *testing.T) {
	n := tasksLoad()
	// A task is kept while its worker holds it, and TTL after it ends. (The
	// lease is the default: a shorter one could lapse on a loaded machine,
	// while the tasks wait for handler slots, and fail them.)
	const ttl = 2 * time.Second
	store := &terminalStore{TaskStore: fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{}),
		n: int64(n) + 1, done: make(chan struct{})} // the warm-up task too
	s := testkit.NewServer(t, fastmcp.Options{Logger: testLoggerQuiet(),
		Tasks: fastmcp.TaskOptions{Store: store, TTL: ttl}})
	var created, ran atomic.Int64
	all, allRan := make(chan struct{}), make(chan struct{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "short", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, a struct {
		I int `json:"i"`
	}) (string, error) {
		<-all
		if ran.Add(1) == int64(n)+1 {
			close(allRan)
		}
		return fmt.Sprintf("short %d", a.I), nil
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	c := &tkRaw{url: htEndpoint(ts.URL, fastmcp.HTTP{}), hc: &http.Client{Transport: tr}}

	// One task through its whole life first, so what is allocated once
	// (pools, timers, the engine) is in the baseline.
	warm, err := c.post("tools/call", map[string]any{"name": "short", "arguments": map[string]any{"i": -1}})
	if err != nil {
		t.Fatal(err)
	}
	close(all)
	var wk struct {
		TaskID string `json:"taskId"`
	}
	json.Unmarshal(warm, &wk)
	tkEventually(t, "the warm-up task to expire", ttl+testkit.Wait, func() bool {
		_, err := c.post("tasks/get", map[string]any{"taskId": wk.TaskID})
		return err != nil
	})
	all = make(chan struct{})
	tr.CloseIdleConnections()
	before := leakMeasure()

	start := time.Now()
	ids := make([]string, n)
	var failures atomic.Int64
	// 256 clients at a time create the tasks (a goroutine per task would
	// leave 10,000 goroutine descriptors in the runtime's free list, which
	// the heap measure counts).
	next := make(chan int)
	var wg sync.WaitGroup
	for range 256 {
		wg.Go(func() {
			for i := range next {
				raw, err := c.post("tools/call", map[string]any{"name": "short", "arguments": map[string]any{"i": i}})
				var k struct {
					ResultType string `json:"resultType"`
					TaskID     string `json:"taskId"`
				}
				if err != nil || json.Unmarshal(raw, &k) != nil || k.ResultType != "task" {
					if failures.Add(1) < 5 {
						t.Errorf("create %d: %v %s", i, err, raw)
					}
					continue
				}
				ids[i] = k.TaskID
				created.Add(1)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	createdIn := time.Since(start)
	if created.Load() != int64(n) {
		t.Fatalf("%d of %d tasks created", created.Load(), n)
	}
	peak := leakMeasure()
	close(all)
	// Every task completes: the store says so as each ends (polling 10,000
	// tasks over HTTP would take longer than their TTL on a busy machine); a
	// sample is polled over HTTP too.
	ctx := testkit.Context(t)
	select {
	case <-store.done:
	case <-ctx.Done():
		t.Fatalf("%d of %d tasks ended", store.ended.Load()-1, n)
	}
	for i, id := range ids {
		rec, err := store.Get(ctx, id)
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
		if rec.Status != fastmcp.TaskCompleted || !bytes.Contains(rec.Result, []byte(fmt.Sprintf(`"short %d"`, i))) {
			t.Fatalf("task %d: %s %s", i, rec.Status, rec.Result)
		}
	}
	<-allRan
	doneIn := time.Since(start)
	for i := 0; i < n; i += n / 100 {
		raw, err := c.post("tasks/get", map[string]any{"taskId": ids[i]})
		if err != nil || !bytes.Contains(raw, []byte(`"status":"completed"`)) || !bytes.Contains(raw, []byte(fmt.Sprintf(`"short %d"`, i))) {
			t.Fatalf("tasks/get %d: %v %s", i, err, raw)
		}
	}
	if failures.Load() > 0 {
		t.Fatalf("%d failures", failures.Load())
	}
	tkEventually(t, "every task to expire", ttl+testkit.Wait, func() bool {
		for _, id := range ids {
			if _, err := store.Get(ctx, id); err == nil {
				return false
			}
		}
		return true
	})
	if _, err := c.post("tasks/get", map[string]any{"taskId": ids[0]}); err == nil {
		t.Fatal("a task outlived its TTL")
	}
	ids = nil
	tr.CloseIdleConnections()
	after := leakSettle(before)
	t.Logf("%d tasks: created in %v (%.0f/s), all completed after %v; heap %.1f MB before, %.1f MB with every task alive, %.1f MB after the TTL; goroutines %d, %d after",
		n, createdIn.Round(time.Millisecond), float64(n)/createdIn.Seconds(), doneIn.Round(time.Millisecond),
		float64(before.heap)/1e6, float64(peak.heap)/1e6, float64(after.heap)/1e6, before.goroutines, after.goroutines)
	leakCheck(t, "tasks", n, before, after, doneIn)
}

// tkEventually waits until cond holds, checking it every 20ms, for at most d:
// only for state with no event to wait on, a TTL passing in real time (the
// load test runs over real HTTP, outside testing/synctest's fake clock).
func tkEventually(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
