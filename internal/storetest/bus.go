package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Collector records the messages a bus subscription gets.
type Collector struct {
	mu   sync.Mutex
	msgs []string
}

// Add records msg; pass it to Bus.Subscribe.
func (c *Collector) Add(msg []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, string(msg))
	c.mu.Unlock()
}

// Messages returns what was recorded.
func (c *Collector) Messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// WaitFor waits until n messages were recorded.
func (c *Collector) WaitFor(t testing.TB, n int) []string {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d messages", n), func() bool { return len(c.Messages()) >= n })
	return c.Messages()
}

// Bus tests a fastmcp.Bus: what one replica publishes reaches every
// subscriber of the topic on every replica, in order.
func Bus(t *testing.T, open Open[fastmcp.Bus]) {
	run(t, open, map[string]func(t *testing.T, a, b fastmcp.Bus){
		"fan out in order": func(t *testing.T, a, b fastmcp.Bus) {
			ctx := ctxOf(t)
			var onA, onB, onB2, other Collector
			for _, s := range []struct {
				bus   fastmcp.Bus
				topic string
				c     *Collector
			}{{a, "t", &onA}, {b, "t", &onB}, {b, "t", &onB2}, {b, "u", &other}} {
				cancel, err := s.bus.Subscribe(ctx, s.topic, s.c.Add)
				must(t, err)
				t.Cleanup(cancel)
			}
			// Published right after Subscribe returned: delivered.
			for i := range 100 {
				must(t, a.Publish(ctx, "t", fmt.Append(nil, i)))
			}
			must(t, a.Publish(ctx, "u", []byte("u")))
			want := make([]string, 100)
			for i := range want {
				want[i] = fmt.Sprint(i)
			}
			for name, c := range map[string]*Collector{"publisher's own replica": &onA, "other replica": &onB, "second subscriber": &onB2} {
				if got := c.WaitFor(t, 100); !slices.Equal(got, want) {
					t.Errorf("%s got %q, want 0..99 in order", name, got)
				}
			}
			if got := other.WaitFor(t, 1); !slices.Equal(got, []string{"u"}) {
				t.Errorf("the subscriber of another topic got %q", got)
			}
		},
		"cancel": func(t *testing.T, a, b fastmcp.Bus) {
			ctx := ctxOf(t)
			var gone, stays Collector
			cancelGone, err := b.Subscribe(ctx, "t", gone.Add)
			must(t, err)
			cancelStays, err := b.Subscribe(ctx, "t", stays.Add)
			must(t, err)
			defer cancelStays()
			must(t, a.Publish(ctx, "t", []byte("1")))
			gone.WaitFor(t, 1)
			stays.WaitFor(t, 1)
			cancelGone()
			cancelGone() // idempotent
			must(t, a.Publish(ctx, "t", []byte("2")))
			stays.WaitFor(t, 2)
			if got := gone.Messages(); len(got) != 1 {
				t.Errorf("a cancelled subscription got %q", got)
			}
			// The last subscriber leaving and a new one arriving.
			cancelStays()
			var again Collector
			cancelAgain, err := b.Subscribe(ctx, "t", again.Add)
			must(t, err)
			defer cancelAgain()
			must(t, a.Publish(ctx, "t", []byte("3")))
			if got := again.WaitFor(t, 1); got[0] != "3" {
				t.Errorf("a new subscriber got %q", got)
			}
		},
		"churn": func(t *testing.T, a, b fastmcp.Bus) {
			// Subscriptions come and go concurrently on both replicas; a
			// subscription that stays gets everything published after it
			// started.
			ctx := ctxOf(t)
			var wg sync.WaitGroup
			for w := range 8 {
				bus := a
				if w%2 == 1 {
					bus = b
				}
				wg.Go(func() {
					topic := fmt.Sprint("t", w%3)
					for range 20 {
						cancel, err := bus.Subscribe(ctx, topic, func([]byte) {})
						if err != nil {
							t.Error(err)
							return
						}
						cancel()
					}
				})
			}
			var c Collector
			cancel, err := b.Subscribe(ctx, "t0", c.Add)
			must(t, err)
			defer cancel()
			for i := range 20 {
				must(t, a.Publish(ctx, "t0", fmt.Append(nil, i)))
			}
			wg.Wait()
			if got := c.WaitFor(t, 20); len(got) != 20 {
				t.Errorf("got %d messages, want 20", len(got))
			}
		},
		"nobody listening": func(t *testing.T, a, b fastmcp.Bus) {
			must(t, a.Publish(ctxOf(t), "nobody", []byte("x")))
		},
	})
}
