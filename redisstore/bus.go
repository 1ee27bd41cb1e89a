package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// bus is the fastmcp.Bus on Redis pub/sub: topic T is channel Prefix+T. The
// process holds one pub/sub connection per store while it has subscribers,
// SUBSCRIBEs to a channel when its first local subscriber arrives and
// UNSUBSCRIBEs when the last leaves. go-redis reconnects that connection
// when it breaks (its health check PINGs it every 3 s) and subscribes again
// to every channel; what is published meanwhile is lost, as the Bus
// interface allows.
//
// Each subscription has a bounded queue of messages, drained by a goroutine
// that runs only while the queue is not empty: an idle subscription costs no
// goroutine, and a slow one loses what does not fit in its queue without
// holding up the others.
type bus struct {
	c     redis.UniversalClient
	k     *keys
	queue int

	// ctl orders the writes of SUBSCRIBE and UNSUBSCRIBE, and the opening
	// and closing of ps, with one another.
	ctl sync.Mutex

	mu     sync.Mutex
	ps     *redis.PubSub
	topics map[string]*topic // by channel
}

type topic struct {
	subs map[*subscription]struct{}
	// confirmed is closed, and replaced, when Redis confirms a
	// subscription to the channel; subscribed is set then.
	confirmed  chan struct{}
	subscribed bool
}

type subscription struct {
	f   func([]byte)
	max int

	mu        sync.Mutex
	queue     [][]byte
	running   bool
	cancelled bool
}

func newBus(c redis.UniversalClient, k *keys) *bus {
	return &bus{c: c, k: k, queue: k.opts.BusQueue, topics: map[string]*topic{}}
}

func (b *bus) Publish(ctx context.Context, topic string, msg []byte) error {
	return fail(ctx, "bus Publish", b.c.Publish(ctx, b.k.opts.Prefix+topic, msg).Err())
}

func (b *bus) Subscribe(ctx context.Context, name string, f func(msg []byte)) (func(), error) {
	ch := b.k.opts.Prefix + name
	s := &subscription{f: f, max: b.queue}
	b.mu.Lock()
	t := b.topics[ch]
	if t == nil {
		t = &topic{subs: map[*subscription]struct{}{}, confirmed: make(chan struct{})}
		b.topics[ch] = t
	}
	t.subs[s] = struct{}{}
	subscribed, confirmed := t.subscribed, t.confirmed
	b.mu.Unlock()
	var once sync.Once
	cancel := func() { once.Do(func() { b.cancel(ch, s) }) }
	if subscribed {
		return cancel, nil
	}
	// Until Redis confirms the SUBSCRIBE, a message published on another
	// connection may reach Redis first and be missed: wait, so that every
	// message published after Subscribe returns is delivered.
	b.ctl.Lock()
	ps := b.pubsub()
	err := ps.Subscribe(ctx, ch)
	b.ctl.Unlock()
	if err != nil {
		cancel()
		return nil, fail(ctx, "bus Subscribe", err)
	}
	timer := time.NewTimer(b.k.opts.Timeout)
	defer timer.Stop()
	select {
	case <-confirmed:
		return cancel, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = errors.New("no confirmation in time")
	}
	cancel()
	return nil, fail(ctx, "bus Subscribe", err)
}

// pubsub returns the pub/sub connection, opening it if needed. b.ctl is held.
func (b *bus) pubsub() *redis.PubSub {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ps == nil {
		b.ps = b.c.Subscribe(context.Background())
		go b.read(b.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024)))
	}
	return b.ps
}

// read hands what arrives on the pub/sub connection to the subscriptions,
// until the connection is closed.
func (b *bus) read(ch <-chan any) {
	for m := range ch {
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			b.mu.Lock()
			if t := b.topics[m.Channel]; t != nil {
				t.subscribed = true
				close(t.confirmed)
				t.confirmed = make(chan struct{})
			}
			b.mu.Unlock()
		case *redis.Message:
			b.mu.Lock()
			if t := b.topics[m.Channel]; t != nil {
				for s := range t.subs {
					s.push([]byte(m.Payload))
				}
			}
			b.mu.Unlock()
		}
	}
}

// cancel ends the subscription s to ch: it gets no more messages, and Redis
// is told to stop sending the channel's when it was the last.
func (b *bus) cancel(ch string, s *subscription) {
	s.mu.Lock()
	s.cancelled = true
	s.queue = nil
	s.mu.Unlock()
	b.mu.Lock()
	last := false
	if t := b.topics[ch]; t != nil {
		delete(t.subs, s)
		if len(t.subs) == 0 {
			delete(b.topics, ch)
			last = true
		}
	}
	b.mu.Unlock()
	if last {
		// In the background: cancel must not wait for a Redis that may be
		// unreachable. b.ctl keeps it ordered with a new Subscribe.
		go b.unsubscribe(ch)
	}
}

// unsubscribe UNSUBSCRIBEs from ch unless it has subscribers again, and
// closes the connection when no channel has any.
func (b *bus) unsubscribe(ch string) {
	b.ctl.Lock()
	defer b.ctl.Unlock()
	b.mu.Lock()
	ps, again, none := b.ps, b.topics[ch] != nil, len(b.topics) == 0
	if none {
		b.ps = nil
	}
	b.mu.Unlock()
	switch {
	case ps == nil || again:
	case none:
		// Closing the connection ends every subscription.
		ps.Close()
	default:
		ctx, cancel := context.WithTimeout(context.Background(), b.k.opts.Timeout)
		ps.Unsubscribe(ctx, ch) // on failure, a reconnection forgets it
		cancel()
	}
}

// push queues msg for the subscription's function, dropping it when the
// queue is full, and starts the drain when none runs.
func (s *subscription) push(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelled || len(s.queue) >= s.max {
		return
	}
	s.queue = append(s.queue, msg)
	if !s.running {
		s.running = true
		go s.drain()
	}
}

// drain calls the function with each queued message, in order, until the
// queue is empty.
func (s *subscription) drain() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 || s.cancelled {
			s.running = false
			s.mu.Unlock()
			return
		}
		msg := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.f(msg)
	}
}
