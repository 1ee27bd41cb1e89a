package fastmcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Benchmarks of the tasks extension over loopback HTTP, in memory, with 16
// concurrent clients: tasks created per second, and the latency of tasks/get.

// tkBenchServer serves a server whose "short" tool runs as a task and returns
// at once, with caps and a TTL that let a benchmark create many tasks.
func tkBenchServer(b *testing.B) *tkRaw {
	s := testkit.NewServer(b, fastmcp.Options{Logger: testLoggerQuiet(), Tasks: fastmcp.TaskOptions{
		Store: fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{MaxTasks: 10_000_000, MaxTasksPerPrincipal: 10_000_000}),
		TTL:   time.Minute,
	}})
	short := func(ctx *fastmcp.Context, a struct {
		I int `json:"i"`
	}) (string, error) {
		return fmt.Sprint(a.I), nil
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "short", Task: fastmcp.TaskRequired}, short)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "plain"}, short)
	ts := testkit.ServeHTTP(b, s, fastmcp.HTTP{})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	return &tkRaw{url: htEndpoint(ts.URL, fastmcp.HTTP{}), hc: &http.Client{Transport: tr}}
}

// tkParallel16 makes RunParallel use 16 goroutines.
func tkParallel16(b *testing.B) {
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
}

// latencies collects the durations of operations and reports their
// percentiles.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	slices.Sort(l.all)
	if len(l.all) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) }
	b.ReportMetric(p(0.5), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkToolCallHTTP16 is the reference: plain tools/call calls (no task)
// of the same handler, from 16 clients at once.
func BenchmarkToolCallHTTP16(b *testing.B) {
	c := tkBenchServer(b)
	var lat latencies
	tkParallel16(b)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			raw, err := c.post("tools/call", map[string]any{"name": "plain", "arguments": map[string]any{"i": 1}})
			mine = append(mine, time.Since(t0))
			if err != nil || !json.Valid(raw) {
				b.Fatal(err)
			}
		}
		lat.add(mine)
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	lat.report(b)
}

// BenchmarkTaskCreateHTTP16: tools/call calls that each create a task, from
// 16 clients at once.
func BenchmarkTaskCreateHTTP16(b *testing.B) {
	c := tkBenchServer(b)
	var i atomic.Int64
	var lat latencies
	tkParallel16(b)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			raw, err := c.post("tools/call", map[string]any{"name": "short", "arguments": map[string]any{"i": i.Add(1)}})
			mine = append(mine, time.Since(t0))
			if err != nil || !json.Valid(raw) {
				b.Fatal(err)
			}
		}
		lat.add(mine)
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
	lat.report(b)
}

// BenchmarkTaskGetHTTP16: tasks/get of completed tasks, from 16 clients at
// once.
func BenchmarkTaskGetHTTP16(b *testing.B) {
	c := tkBenchServer(b)
	ids := make([]string, 1000)
	for i := range ids {
		raw, err := c.post("tools/call", map[string]any{"name": "short", "arguments": map[string]any{"i": i}})
		var k struct {
			TaskID string `json:"taskId"`
		}
		if err != nil || json.Unmarshal(raw, &k) != nil {
			b.Fatal(err)
		}
		ids[i] = k.TaskID
	}
	var i atomic.Int64
	var lat latencies
	tkParallel16(b)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			id := ids[i.Add(1)%int64(len(ids))]
			t0 := time.Now()
			raw, err := c.post("tasks/get", map[string]any{"taskId": id})
			mine = append(mine, time.Since(t0))
			if err != nil || !json.Valid(raw) {
				b.Fatal(err)
			}
		}
		lat.add(mine)
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "gets/s")
	lat.report(b)
}
