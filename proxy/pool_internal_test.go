package proxy

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// TestReap: sessions idle beyond IdleTimeout are closed (the upstream sees
// them end), except the one mirroring the lists; principals left without
// sessions are forgotten.
func TestReap(t *testing.T) {
	t.Parallel()
	up := fastmcp.New(fastmcp.Options{Name: "up", Version: "1", Logger: slog.New(slog.DiscardHandler)})
	fastmcp.AddTool(up, fastmcp.Tool{Name: "echo"}, func(ctx *fastmcp.Context, a struct {
		Text string `json:"text"`
	}) (string, error) {
		return a.Text, nil
	})
	var opened, ended atomic.Int64
	endedc := make(chan struct{}, 16)
	up.OnConnect(func(*fastmcp.Session) { opened.Add(1) })
	up.OnDisconnect(func(*fastmcp.Session) {
		ended.Add(1)
		endedc <- struct{}{}
	})
	h := up.Handler(fastmcp.HTTP{})
	hs := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); hs.Close() })

	ctx := context.Background()
	// The handshake era, whose sessions the upstream sees.
	p, err := New(ctx, Options{Upstream: Upstream{URL: hs.URL + "/mcp", ProtocolVersion: "2025-11-25"}, IdleTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	// Open two more shared sessions and two principals' sessions by hand.
	for range 2 {
		if _, err := p.open(ctx, p.shared()); err != nil {
			t.Fatal(err)
		}
	}
	p.opts.PerUser = &PerUser{MaxUsers: 10, MaxSessions: 1}
	for _, key := range []string{"alice", "bob"} {
		pl, err := p.poolFor(Credentials{Key: key}, fullCaps)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.open(ctx, pl); err != nil {
			t.Fatal(err)
		}
	}
	if st := p.Stats(); st.SessionsOpen != 5 || st.Users != 2 {
		t.Fatalf("stats before reaping: %+v", st)
	}
	// Not idle long enough: nothing happens.
	p.reap(time.Now().Add(30 * time.Minute))
	if st := p.Stats(); st.SessionsOpen != 5 {
		t.Fatalf("reaped sessions idle for less than IdleTimeout: %+v", st)
	}
	p.reap(time.Now().Add(2 * time.Hour))
	for range 4 {
		select {
		case <-endedc:
		case <-time.After(10 * time.Second):
			t.Fatalf("the upstream saw %d sessions end, want 4", ended.Load())
		}
	}
	st := p.Stats()
	if st.SessionsOpen != 1 || st.Users != 0 {
		t.Errorf("stats after reaping: %+v, want the control session only", st)
	}
	p.mu.Lock()
	pools := len(p.pools)
	p.mu.Unlock()
	if pools != 1 {
		t.Errorf("%d pools left, want the shared one", pools)
	}
	if ended.Load() != 4 || opened.Load() != 5 {
		t.Errorf("the upstream saw %d sessions opened and %d ended", opened.Load(), ended.Load())
	}
}

// TestCloseStopsEverything: Close ends the upstream sessions and its
// goroutines; calls made afterwards fail with ErrClosed.
func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	up := fastmcp.New(fastmcp.Options{Name: "up", Version: "1", Logger: slog.New(slog.DiscardHandler)})
	fastmcp.AddTool(up, fastmcp.Tool{Name: "echo"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "x", nil })
	ended := make(chan struct{}, 4)
	up.OnDisconnect(func(*fastmcp.Session) { ended <- struct{}{} })
	h := up.Handler(fastmcp.HTTP{})
	hs := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); hs.Close() })
	p, err := New(context.Background(), Options{Upstream: Upstream{URL: hs.URL + "/mcp", ProtocolVersion: "2025-11-25"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream session did not end")
	}
	if _, err := p.poolFor(Credentials{Key: "x"}, fullCaps); err != ErrClosed {
		t.Errorf("poolFor after Close: %v, want ErrClosed", err)
	}
	if _, err := p.shared().acquire(context.Background(), &call{}, ""); err != ErrClosed {
		t.Errorf("acquire after Close: %v, want ErrClosed", err)
	}
}

// TestDroppedPool: a call that reaches a pool dropped meanwhile (its
// principal evicted, or reaped) opens nothing in it and is told to look its
// pool up again; a session opened into it is closed, not leaked.
func TestDroppedPool(t *testing.T) {
	t.Parallel()
	up := fastmcp.New(fastmcp.Options{Name: "up", Version: "1", Logger: slog.New(slog.DiscardHandler)})
	fastmcp.AddTool(up, fastmcp.Tool{Name: "echo"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "x", nil })
	ended := make(chan struct{}, 4)
	up.OnDisconnect(func(*fastmcp.Session) { ended <- struct{}{} })
	h := up.Handler(fastmcp.HTTP{})
	hs := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); hs.Close() })
	p, err := New(context.Background(), Options{Upstream: Upstream{URL: hs.URL + "/mcp", ProtocolVersion: "2025-11-25"},
		PerUser: &PerUser{Identify: ForwardBearer, MaxUsers: 1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	alice, err := p.poolFor(Credentials{Key: "alice"}, fullCaps)
	if err != nil {
		t.Fatal(err)
	}
	// Bob's arrival evicts alice's idle pool.
	if _, err := p.poolFor(Credentials{Key: "bob"}, fullCaps); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.acquire(context.Background(), &call{}, ""); err != errPoolGone {
		t.Errorf("acquire on an evicted pool: %v, want errPoolGone", err)
	}
	if _, err := p.open(context.Background(), alice); err != errPoolGone {
		t.Errorf("open on an evicted pool: %v, want errPoolGone", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the session opened into the evicted pool was not closed")
	}
	if n := p.Stats().SessionsOpen; n != 1 {
		t.Errorf("%d sessions open, want the control session only", n)
	}
}
