package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkerRoundRobin checks that a worker of several replicas sends each
// request of a session to the next replica (no affinity), with both clients,
// and that every replica sees its own Host.
func TestWorkerRoundRobin(t *testing.T) {
	t.Parallel()
	const sid = "s-rr"
	var hits [3]atomic.Int64
	var us []*url.URL
	var mu sync.Mutex
	var order []int // the replica of each request, in order
	for i := range hits {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			if r.Host != srv.Listener.Addr().String() {
				http.Error(w, "wrong Host "+r.Host, http.StatusMisdirectedRequest)
				return
			}
			var buf bytes.Buffer
			buf.ReadFrom(r.Body)
			var id int64
			fmt.Sscanf(buf.String(), `{"jsonrpc":"2.0","id":%d`, &id)
			switch {
			case r.Method == http.MethodDelete:
				w.WriteHeader(http.StatusNoContent)
			case strings.Contains(buf.String(), `"initialize"`):
				w.Header().Set("Mcp-Session-Id", sid)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25"}}`)
			case r.Header.Get("Mcp-Session-Id") != sid:
				http.Error(w, "no session", http.StatusNotFound)
			case strings.Contains(buf.String(), `"notifications/initialized"`):
				w.WriteHeader(http.StatusAccepted)
			default:
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"result":{"content":[{"type":"text","text":"5"}]}}`, id)
			}
		}))
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL + "/mcp")
		us = append(us, u)
	}
	for _, client := range []string{"raw", "nethttp"} {
		mu.Lock()
		order = order[:0]
		mu.Unlock()
		for i := range hits {
			hits[i].Store(0)
		}
		cfg := defaultConfig()
		cfg.Client = client
		w := newWorker(newTransport(cfg, 1), us...)
		s, err := w.initialize()
		if err != nil {
			t.Fatalf("%s: %v", client, err)
		}
		for range 7 {
			if err := w.call(s, 2, 3); err != nil {
				t.Fatalf("%s: %v", client, err)
			}
		}
		if err := w.delete(s); err != nil {
			t.Fatalf("%s: %v", client, err)
		}
		w.close()
		// 2 + 7 + 1 requests over 3 replicas.
		for i := range hits {
			if n := hits[i].Load(); n < 3 || n > 4 {
				t.Errorf("%s: replica %d got %d of 10 requests, want 3 or 4", client, i, n)
			}
		}
		mu.Lock()
		got := append([]int(nil), order...)
		mu.Unlock()
		for j := 1; j < len(got); j++ {
			if got[j] != (got[j-1]+1)%len(us) {
				t.Fatalf("%s: requests went to replicas %v, want each to the next", client, got)
			}
		}
	}
}

// TestQuickRedis runs a short measurement of fastmcp-redis (two replicas on a
// redis-server of the load generator's) in both eras and for new sessions,
// and checks its Redis figures: none per 2026-07-28 call, at most one round
// trip per handshake-era call, and some for every new session. It skips
// without redis-server, unless FASTMCP_REDIS=1 requires it.
func TestQuickRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("FASTMCP_REDIS") == "1" {
			t.Fatal("FASTMCP_REDIS=1 but redis-server is not on PATH")
		}
		t.Skip("redis-server is not on PATH")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is needed to build the server")
	}
	cfg := defaultConfig()
	cfg.quick()
	cfg.Servers = []string{"fastmcp-redis"}
	cfg.Phases = []string{"calls", "modern", "sessions"}
	cfg.Levels, cfg.ModernLevels = []int{16}, []int{16}
	cfg.Duration, cfg.SessionDuration = 500*time.Millisecond, 500*time.Millisecond
	cfg.Warmup = 200 * time.Millisecond
	cfg.Log = testLog{t}
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + markdown(res))
	if n := res.TotalErrors(); n != 0 {
		t.Fatalf("%d errors", n)
	}
	f := res.Servers["fastmcp-redis"]
	if len(f.Calls) != 1 || len(f.Modern) != 1 || f.NewSessions == nil {
		t.Fatalf("measurements missing: %+v", f)
	}
	for what, c := range map[string]CallsResult{"handshake era": f.Calls[0], "2026-07-28": f.Modern[0]} {
		if c.Calls == 0 || c.ServerCPUus == 0 || c.Redis == nil {
			t.Fatalf("%s: nothing measured: %+v", what, c)
		}
	}
	if u := f.Calls[0].Redis; u.RoundTrips > 1 {
		t.Errorf("handshake era: %.3f Redis round trips per call, want at most 1", u.RoundTrips)
	}
	if u := f.Modern[0].Redis; u.RoundTrips > 0.01 || u.Commands > 0.01 {
		t.Errorf("2026-07-28: %.3f Redis round trips and %.3f commands per call, want none", u.RoundTrips, u.Commands)
	}
	// A session is created, read by the other replica and deleted: that
	// takes Redis commands, and the counters must see them.
	if u := f.NewSessions.Redis; u == nil || u.RoundTrips < 1 || u.Commands < 1 || u.ByCommand["evalsha"] == 0 && u.ByCommand["eval"] == 0 && u.ByCommand["hset"] == 0 {
		t.Errorf("new sessions: Redis figures missing: %+v", u)
	}
}
