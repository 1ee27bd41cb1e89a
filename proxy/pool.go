package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// pool holds the upstream sessions opened with one set of credentials: the
// shared pool (key "") or one principal's (PerUser).
type pool struct {
	p      *Proxy
	key    string      // the principal's credentials key; "" for the shared pools
	caps   string      // the client capabilities its sessions declare (capsKey)
	mapKey string      // its key in Proxy.pools
	client *mcp.Client // opens its sessions, declaring caps
	max    int

	mu       sync.Mutex
	creds    Credentials
	sessions []*upSession
	opening  int
	changed  chan struct{} // closed and replaced when sessions or opening change
	inflight int
	lastUsed time.Time
	// dead: the pool was dropped (its principal evicted, or idle); calls
	// that reached it must look up their pool again (errPoolGone).
	dead bool
}

// errPoolGone: the pool a call was given was dropped meanwhile.
var errPoolGone = errors.New("proxy: the pool was dropped")

func (p *Proxy) newPool(key, caps, mapKey string, c Credentials, max int) *pool {
	return &pool{p: p, key: key, caps: caps, mapKey: mapKey, client: p.clientFor(caps), max: max, creds: c, changed: make(chan struct{}), lastUsed: time.Now()}
}

// upSession is one upstream session.
type upSession struct {
	pool *pool
	id   string // random
	cs   *mcp.ClientSession
	// hc is the HTTP client of a Streamable HTTP session (nil otherwise).
	hc *http.Client
	// version is the negotiated protocol revision; modern is true for
	// 2026-07-28 (requests carry their own metadata; input comes back in
	// results).
	version string
	modern  bool

	// Guarded by pool.mu.
	calls    map[*call]struct{}
	lastUsed time.Time

	done      chan struct{}
	closeOnce sync.Once
	endErr    error
}

func (s *upSession) cause() error { return s.endErr }

func (s *upSession) close() {
	s.closeOnce.Do(func() {
		if s.cs != nil {
			_ = s.cs.Close()
		}
	})
}

// signal wakes the acquirers waiting for a change. pl.mu must be held.
func (pl *pool) signal() {
	close(pl.changed)
	pl.changed = make(chan struct{})
}

// acquire returns a session for a call and registers the call on it: the
// session pin names when it is open; otherwise a session without calls in
// flight, or a new one (up to the pool's maximum), or the least busy.
func (pl *pool) acquire(ctx context.Context, c *call, pin string) (*upSession, error) {
	pl.mu.Lock()
	if pin != "" {
		for _, s := range pl.sessions {
			if s.id == pin {
				pl.register(s, c)
				pl.mu.Unlock()
				return s, nil
			}
		}
	}
	for {
		if pl.p.isClosed() {
			pl.mu.Unlock()
			return nil, ErrClosed
		}
		if pl.dead {
			pl.mu.Unlock()
			return nil, errPoolGone
		}
		var best *upSession
		for _, s := range pl.sessions {
			if best == nil || len(s.calls) < len(best.calls) {
				best = s
			}
		}
		if best != nil && len(best.calls) == 0 {
			pl.register(best, c)
			pl.mu.Unlock()
			return best, nil
		}
		if len(pl.sessions)+pl.opening < pl.max {
			pl.opening++
			pl.mu.Unlock()
			s, err := pl.p.open(ctx, pl)
			pl.mu.Lock()
			pl.opening--
			pl.signal()
			if err == nil {
				pl.register(s, c)
				pl.mu.Unlock()
				return s, nil
			}
			if best == nil {
				pl.mu.Unlock()
				return nil, err
			}
			pl.p.log.Warn("proxy: opening another upstream session failed; sharing one", "err", err)
			pl.register(best, c)
			pl.mu.Unlock()
			return best, nil
		}
		if best != nil {
			pl.register(best, c)
			pl.mu.Unlock()
			return best, nil
		}
		// Every session is being opened: wait for one.
		ch := pl.changed
		pl.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		pl.mu.Lock()
	}
}

// register ties c to s. pl.mu must be held.
func (pl *pool) register(s *upSession, c *call) {
	if s.calls == nil {
		s.calls = map[*call]struct{}{}
	}
	s.calls[c] = struct{}{}
	now := time.Now()
	s.lastUsed, pl.lastUsed = now, now
	pl.inflight++
	c.sess = s
}

// release unties c from its session.
func (pl *pool) release(c *call) {
	if h := pl.p.onRelease; h != nil {
		defer h()
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	s := c.sess
	if s == nil {
		return
	}
	if _, ok := s.calls[c]; ok {
		delete(s.calls, c)
		pl.inflight--
	}
	now := time.Now()
	s.lastUsed, pl.lastUsed = now, now
}

// soleCall returns the only call in flight on s, or nil.
func (s *upSession) soleCall() *call {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	if len(s.calls) != 1 {
		return nil
	}
	for c := range s.calls {
		return c
	}
	return nil
}

// hasCall reports whether c is in flight on s.
func (s *upSession) hasCall(c *call) bool {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	_, ok := s.calls[c]
	return ok
}

// remove drops s from its pool (it ended).
func (pl *pool) remove(s *upSession) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for i, x := range pl.sessions {
		if x == s {
			pl.sessions = append(pl.sessions[:i], pl.sessions[i+1:]...)
			pl.signal()
			return
		}
	}
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// open opens an upstream session for pl and adds it to the pool.
func (p *Proxy) open(caller context.Context, pl *pool) (*upSession, error) {
	// The session outlives the request that opens it, and must carry none
	// of its values (the Go SDK keeps the context's values for the
	// session's own requests): a context of the proxy's, ended with the
	// caller's.
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.ConnectTimeout)
	defer cancel()
	stop := context.AfterFunc(caller, cancel)
	defer stop()
	pl.mu.Lock()
	creds := pl.creds
	pl.mu.Unlock()
	s := &upSession{pool: pl, id: rand.Text(), done: make(chan struct{}), lastUsed: time.Now()}
	t, err := p.transport(s, creds)
	if err != nil {
		return nil, err
	}
	var sopts *mcp.ClientSessionOptions
	if v := p.opts.Upstream.ProtocolVersion; v != "" {
		sopts = &mcp.ClientSessionOptions{ProtocolVersion: v}
	}
	cs, err := pl.client.Connect(ctx, t, sopts)
	if err != nil {
		return nil, fmt.Errorf("proxy: connecting to the upstream %s: %w", p.opts.Upstream.display(), err)
	}
	p.stats.opened.Add(1)
	s.cs = cs
	info := cs.InitializeResult()
	if info != nil {
		s.version = info.ProtocolVersion
	}
	s.modern = s.version >= "2026-07-28"
	if info != nil && info.Capabilities != nil && !s.modern {
		if info.Capabilities.Logging != nil {
			// Everything comes up; the downstream server filters by each
			// client's own level.
			if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
				p.log.Debug("proxy: logging/setLevel on the upstream", "err", err)
			}
		}
	}
	if s.modern && info.Capabilities != nil && info.Capabilities.Tools != nil {
		// The Go SDK mirrors x-mcp-header parameters in headers from the tool
		// definitions the session has listed; list them once.
		for _, err := range cs.Tools(ctx, nil) {
			if err != nil {
				p.log.Debug("proxy: listing tools on a new session", "err", err)
				break
			}
		}
	}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cs.Close()
		return nil, ErrClosed
	}
	// Registered under p.mu, so that Close, which takes every pool's
	// sessions under it, either sees this one or prevented it.
	pl.mu.Lock()
	if pl.dead {
		pl.mu.Unlock()
		p.mu.Unlock()
		cs.Close()
		return nil, errPoolGone
	}
	p.byConn[cs] = s
	pl.sessions = append(pl.sessions, s)
	pl.signal()
	pl.mu.Unlock()
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		err := cs.Wait()
		s.endErr = err
		if err == nil {
			s.endErr = errors.New("session closed")
		}
		close(s.done)
		pl.remove(s)
		p.mu.Lock()
		delete(p.byConn, cs)
		p.mu.Unlock()
	}()
	return s, nil
}

// sessionOf returns the upSession of a Go SDK client session.
func (p *Proxy) sessionOf(cs *mcp.ClientSession) *upSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byConn[cs]
}

// poolFor returns the pool of the caller's credentials (c.Key "" for the
// shared pools) and client capabilities, creating it. A principal's pool may
// evict the least recently used idle principal's when there are MaxUsers.
func (p *Proxy) poolFor(c Credentials, caps string) (*pool, error) {
	mapKey := ""
	if c.Key != "" || caps != fullCaps {
		mapKey = c.Key + "\x00" + caps
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if pl, ok := p.pools[mapKey]; ok {
		if c.Key != "" {
			pl.mu.Lock()
			pl.creds = c // a refreshed token replaces the old one for new requests
			pl.mu.Unlock()
		}
		return pl, nil
	}
	if c.Key == "" {
		// A shared pool for one set of capabilities: there are few.
		pl := p.newPool("", caps, mapKey, Credentials{}, p.opts.MaxSessions)
		p.pools[mapKey] = pl
		return pl, nil
	}
	pu := p.opts.PerUser
	users := 0
	for _, pl := range p.pools {
		if pl.key != "" {
			users++
		}
	}
	if users >= pu.MaxUsers {
		var victim *pool
		var victimLast time.Time
		for _, pl := range p.pools {
			if pl.key == "" {
				continue
			}
			pl.mu.Lock()
			idle := pl.inflight == 0 && pl.opening == 0
			last := pl.lastUsed
			pl.mu.Unlock()
			if idle && (victim == nil || last.Before(victimLast)) {
				victim, victimLast = pl, last
			}
		}
		if victim == nil {
			return nil, fmt.Errorf("proxy: %d principals have upstream calls in flight (PerUser.MaxUsers); try again later", pu.MaxUsers)
		}
		delete(p.pools, victim.mapKey)
		victim.mu.Lock()
		victim.dead = true
		victim.mu.Unlock()
		go victim.closeAll()
	}
	pl := p.newPool(c.Key, caps, mapKey, c, pu.MaxSessions)
	p.pools[mapKey] = pl
	return pl, nil
}

func (pl *pool) closeAll() {
	pl.mu.Lock()
	sessions := pl.sessions
	pl.sessions = nil
	pl.signal()
	pl.mu.Unlock()
	for _, s := range sessions {
		s.close()
	}
}

// reaper closes idle sessions and forgets idle principals.
func (p *Proxy) reaper() {
	defer p.wg.Done()
	if p.opts.IdleTimeout < 0 {
		<-p.ctx.Done()
		return
	}
	period := max(p.opts.IdleTimeout/4, 50*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case now := <-t.C:
			p.reap(now)
		}
	}
}

// reap closes the sessions idle since before now-IdleTimeout, keeping the
// control session, and drops principals left without sessions.
func (p *Proxy) reap(now time.Time) {
	limit := now.Add(-p.opts.IdleTimeout)
	p.mu.Lock()
	control := p.control
	var idle []*upSession
	for key, pl := range p.pools {
		pl.mu.Lock()
		kept := pl.sessions[:0]
		for _, s := range pl.sessions {
			if s != control && len(s.calls) == 0 && s.lastUsed.Before(limit) {
				idle = append(idle, s)
				continue
			}
			kept = append(kept, s)
		}
		if len(kept) != len(pl.sessions) {
			clear(pl.sessions[len(kept):])
			pl.sessions = kept
			pl.signal()
		}
		empty := key != "" && len(pl.sessions) == 0 && pl.opening == 0 && pl.inflight == 0 && pl.lastUsed.Before(limit)
		// (key "" is the shared pool that mirrors the lists: kept.)
		if empty {
			pl.dead = true
		}
		pl.mu.Unlock()
		if empty {
			delete(p.pools, key)
		}
	}
	p.mu.Unlock()
	for _, s := range idle {
		s.close()
	}
}
