package fastmcp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// The in-memory session store keeps fields, expires records, and refuses
// what it does not hold.
func TestMemorySessionStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := fastmcp.NewMemorySessionStore()
	if err := st.Create(ctx, "a", map[string][]byte{"v": []byte("1")}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "a", "w", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "a", "v", nil); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "a")
	if err != nil || len(got) != 1 || string(got["w"]) != "2" {
		t.Fatalf("Get: %q %v", got, err)
	}
	got["w"][0] = 'x' // the caller's copy
	if again, _ := st.Get(ctx, "a"); string(again["w"]) != "2" {
		t.Errorf("Get returned the store's own bytes")
	}
	for name, err := range map[string]error{
		"Get":   func() error { _, err := st.Get(ctx, "b"); return err }(),
		"Set":   st.Set(ctx, "b", "v", []byte("1")),
		"Touch": st.Touch(ctx, "b", time.Hour),
	} {
		if !errors.Is(err, fastmcp.ErrSessionNotFound) {
			t.Errorf("%s of a missing session: %v", name, err)
		}
	}
	if ok, err := st.Delete(ctx, "a"); !ok || err != nil {
		t.Errorf("Delete: %v %v", ok, err)
	}
	if ok, _ := st.Delete(ctx, "a"); ok {
		t.Error("Delete twice reported the session both times")
	}
	if err := st.Create(ctx, "short", nil, time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the short session to expire", func() bool {
		_, err := st.Get(ctx, "short")
		return errors.Is(err, fastmcp.ErrSessionNotFound)
	})
}

// The in-memory bus delivers in order to every subscriber of a topic, and
// nothing after cancel.
func TestMemoryBus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bus := fastmcp.NewMemoryBus()
	var mu sync.Mutex
	got := map[string][]string{}
	done := make(chan struct{}, 4)
	sub := func(name, topic string) func() {
		cancel, err := bus.Subscribe(ctx, topic, func(msg []byte) {
			mu.Lock()
			got[name] = append(got[name], string(msg))
			mu.Unlock()
			if string(msg) == "3" {
				done <- struct{}{}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return cancel
	}
	cancelA := sub("a", "t")
	cancelB := sub("b", "t")
	defer cancelB()
	sub("other", "u")()
	for _, m := range []string{"1", "2", "3"} {
		if err := bus.Publish(ctx, "t", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		select {
		case <-done:
		case <-testkit.Context(t).Done():
			t.Fatal("a subscriber did not get the messages")
		}
	}
	cancelA()
	cancelA() // idempotent
	if err := bus.Publish(ctx, "t", []byte("4")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "b to get 4", func() bool { mu.Lock(); defer mu.Unlock(); return len(got["b"]) == 4 })
	mu.Lock()
	defer mu.Unlock()
	if a := got["a"]; len(a) != 3 || a[0] != "1" || a[2] != "3" {
		t.Errorf("a got %q", a)
	}
	if len(got["other"]) != 0 {
		t.Errorf("a subscriber of another topic got %q", got["other"])
	}
}
