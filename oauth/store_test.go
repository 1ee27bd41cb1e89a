package oauth_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// TestStores runs the same checks on every Store of the package.
func TestStores(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T, now func() time.Time) oauth.Store{
		"memory": func(t *testing.T, now func() time.Time) oauth.Store { return &oauth.MemoryStore{Now: now} },
		"file": func(t *testing.T, now func() time.Time) oauth.Store {
			s, err := oauth.NewFileStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			s.Now = now
			return s
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
			s := newStore(t, clk.Now)

			if _, err := s.Get(ctx, "missing"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Get missing: %v", err)
			}
			if _, err := s.Take(ctx, "missing"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Take missing: %v", err)
			}
			if err := s.Delete(ctx, "missing"); err != nil {
				t.Errorf("Delete missing: %v", err)
			}

			s.Put(ctx, "k", []byte("v1"), 0)
			s.Put(ctx, "k", []byte("v2"), 0)
			if v, err := s.Get(ctx, "k"); err != nil || string(v) != "v2" {
				t.Errorf("Get = %q, %v", v, err)
			}
			if v, err := s.Take(ctx, "k"); err != nil || string(v) != "v2" {
				t.Errorf("Take = %q, %v", v, err)
			}
			if _, err := s.Get(ctx, "k"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Get after Take: %v", err)
			}

			s.Put(ctx, "ttl", []byte("x"), time.Minute)
			s.Put(ctx, "forever", []byte("y"), 0)
			clk.Advance(59 * time.Second)
			if _, err := s.Get(ctx, "ttl"); err != nil {
				t.Errorf("before expiry: %v", err)
			}
			clk.Advance(time.Second)
			if _, err := s.Get(ctx, "ttl"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Get after expiry: %v", err)
			}
			s.Put(ctx, "ttl2", []byte("x"), time.Minute)
			clk.Advance(time.Hour)
			if _, err := s.Take(ctx, "ttl2"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Take after expiry: %v", err)
			}
			if _, err := s.Get(ctx, "forever"); err != nil {
				t.Errorf("no TTL: %v", err)
			}
			s.Delete(ctx, "forever")
			if _, err := s.Get(ctx, "forever"); !errors.Is(err, oauth.ErrNotFound) {
				t.Errorf("Get after Delete: %v", err)
			}

			// Of concurrent Takes, exactly one wins.
			for round := range 20 {
				key := "race"
				s.Put(ctx, key, []byte{byte(round)}, 0)
				var wins atomic.Int32
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						if _, err := s.Take(ctx, key); err == nil {
							wins.Add(1)
						}
					})
				}
				wg.Wait()
				if n := wins.Load(); n != 1 {
					t.Fatalf("round %d: %d Takes won", round, n)
				}
			}
		})
	}
}

// TestFileStorePersists: a FileStore on the same directory sees what
// another wrote (a restart, or another process), and sweeps expired files.
func TestFileStorePersists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := oauth.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a.Put(ctx, "client/1", []byte("sealed"), 0)
	a.Put(ctx, "code/2", []byte("sealed"), time.Second)
	b, _ := oauth.NewFileStore(dir)
	if v, err := b.Get(ctx, "client/1"); err != nil || string(v) != "sealed" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	clk := testkit.NewClock(time.Now().Add(time.Minute))
	b.Now = clk.Now
	if err := b.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "code/2"); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("the expired entry survived the sweep: %v", err)
	}
	if _, err := a.Get(ctx, "client/1"); err != nil {
		t.Errorf("the sweep removed a live entry: %v", err)
	}
}
