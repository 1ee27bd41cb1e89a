package fastmcp

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The HTTP handler's table of sessions, and admission under MaxSessions and
// MaxSessionsPerClient. Every operation is O(1) under the table's lock: the
// sessions still in their handshake are kept in two lists, oldest first (all
// of them, and each client's), so making room never scans the table.

// halfOpenLinks link a session into a list of sessions in their handshake.
type halfOpenLinks struct{ prev, next *httpSession }

// halfOpenList is a list of sessions in their handshake, oldest first,
// linked through the links that at selects.
type halfOpenList struct {
	head, tail *httpSession
	at         func(*httpSession) *halfOpenLinks
}

func allLinks(hs *httpSession) *halfOpenLinks    { return &hs.allLinks }
func clientLinks(hs *httpSession) *halfOpenLinks { return &hs.clientLinks }

func (l *halfOpenList) pushBack(hs *httpSession) {
	ln := l.at(hs)
	ln.prev, ln.next = l.tail, nil
	if l.tail != nil {
		l.at(l.tail).next = hs
	} else {
		l.head = hs
	}
	l.tail = hs
}

func (l *halfOpenList) remove(hs *httpSession) {
	ln := l.at(hs)
	if ln.prev != nil {
		l.at(ln.prev).next = ln.next
	} else {
		l.head = ln.next
	}
	if ln.next != nil {
		l.at(ln.next).prev = ln.prev
	} else {
		l.tail = ln.prev
	}
	ln.prev, ln.next = nil, nil
}

// clientSessions are one client's sessions: how many, and those in their
// handshake.
type clientSessions struct {
	n        int
	halfOpen halfOpenList
}

// sessionRetryAfter is the Retry-After of a session refused for lack of room:
// room is made by clients leaving, which no timer predicts.
const sessionRetryAfter = 5 * time.Second

// admission is why admit refused a session.
type admission uint8

const (
	admitted admission = iota
	refusedFull
	refusedClient
)

// clientID names a client for MaxSessionsPerClient: by its address (an IPv6
// address by its /64), or by name: its principal's subject, or its remote
// address when that is not an IP address. A comparable value, so that naming
// a client allocates nothing.
type clientID struct {
	ip   netip.Addr
	name string
}

func (c clientID) String() string {
	if c.ip.IsValid() {
		return c.ip.String()
	}
	return c.name
}

// admit registers a new session of client, in its handshake. At a cap it
// first ends the oldest session still in its handshake (the client's own at
// MaxSessionsPerClient); a session whose client completed the handshake is
// never ended to make room.
func (h *HTTPHandler) admit(hs *httpSession, client clientID) admission {
	hs.client = client
	hs.admittedAt = time.Now().UnixNano()
	h.mu.Lock()
	c := h.clients[client]
	var victim *httpSession
	switch {
	case c != nil && h.opts.MaxSessionsPerClient > 0 && c.n >= h.opts.MaxSessionsPerClient:
		if victim = c.halfOpen.head; victim == nil {
			h.mu.Unlock()
			return refusedClient
		}
	case h.opts.MaxSessions >= 0 && len(h.sessions) >= h.opts.MaxSessions:
		if victim = h.halfOpen.head; victim == nil {
			h.mu.Unlock()
			return refusedFull
		}
	}
	if victim != nil {
		h.forgetLocked(victim)
		if c != nil && c.n == 0 {
			c = nil // forgetLocked dropped the client's entry
		}
	}
	if c == nil {
		c = &clientSessions{halfOpen: halfOpenList{at: clientLinks}}
		h.clients[client] = c
	}
	c.n++
	h.sessions[hs.sess.id] = hs
	hs.halfOpen = true
	h.halfOpen.pushBack(hs)
	c.halfOpen.pushBack(hs)
	h.mu.Unlock()
	if victim != nil {
		h.srv.logger.Info("fastmcp: session limit reached; ending the oldest session still in its handshake",
			"session", victim.sess.id, "client", victim.client.String())
		h.endSession(victim, ErrSessionEvicted)
	}
	return admitted
}

// refuseSession answers 503 with Retry-After for a session admit refused.
func (h *HTTPHandler) refuseSession(w http.ResponseWriter, why admission, client clientID) {
	var msg string
	if why == refusedClient {
		msg = fmt.Sprintf("Service Unavailable: this client has reached its limit of %d sessions; end one (HTTP DELETE) or try again later", h.opts.MaxSessionsPerClient)
		if h.clientLimitLogged.CompareAndSwap(false, true) {
			// Once per handler: behind a proxy that is not trusted, every
			// client is the proxy, and this is how the operator learns it.
			h.srv.logger.Warn("fastmcp: a client reached HTTP.MaxSessionsPerClient (behind a reverse proxy, set HTTP.TrustedProxies)",
				"client", client.String(), "limit", h.opts.MaxSessionsPerClient)
		}
	} else {
		msg = fmt.Sprintf("Service Unavailable: the server has reached its limit of %d sessions; try again later", h.opts.MaxSessions)
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(sessionRetryAfter/time.Second)))
	writeJSONError(w, http.StatusServiceUnavailable, nil, CodeInternalError, msg)
}

// establish records that the client of hs completed its handshake: a message
// after initialize arrived, or a stream opened. The session then no longer
// counts as in its handshake. Cheap when already established.
func (h *HTTPHandler) establish(hs *httpSession) {
	if hs.established.Load() {
		return
	}
	h.mu.Lock()
	if hs.halfOpen {
		h.unlinkLocked(hs)
	}
	hs.established.Store(true)
	h.mu.Unlock()
}

// unlinkLocked takes hs out of the lists of sessions in their handshake.
// h.mu is held.
func (h *HTTPHandler) unlinkLocked(hs *httpSession) {
	hs.halfOpen = false
	h.halfOpen.remove(hs)
	if c := h.clients[hs.client]; c != nil {
		c.halfOpen.remove(hs)
	}
}

// forgetLocked removes hs from the table, if it is there. h.mu is held.
func (h *HTTPHandler) forgetLocked(hs *httpSession) bool {
	if h.sessions[hs.sess.id] != hs {
		return false
	}
	delete(h.sessions, hs.sess.id)
	if hs.halfOpen {
		h.unlinkLocked(hs)
	}
	if c := h.clients[hs.client]; c != nil {
		if c.n--; c.n == 0 {
			delete(h.clients, hs.client)
		}
	}
	return true
}

// reap ends the sessions whose handshake took longer than HandshakeTimeout,
// oldest first, and those idle for longer than SessionIdleTimeout.
func (h *HTTPHandler) reap() {
	idle, handshake := h.opts.SessionIdleTimeout, h.opts.HandshakeTimeout
	period := 30 * time.Second
	if idle > 0 {
		period = min(period, idle/4)
	}
	if handshake > 0 {
		period = min(period, handshake/4)
	}
	period = max(period, 10*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	lastIdleScan := time.Now()
	for {
		select {
		case <-h.closed:
			return
		case <-t.C:
		}
		now := time.Now()
		if handshake > 0 {
			h.reapHandshakes(now.Add(-handshake).UnixNano())
		}
		if idle > 0 && now.Sub(lastIdleScan) >= min(max(idle/4, 10*time.Millisecond), 30*time.Second) {
			lastIdleScan = now
			h.reapIdle(now.Add(-idle).UnixNano())
		}
	}
}

// reapHandshakes ends the sessions admitted before cutoff that are still in
// their handshake. The list is in admission order: only those expired are
// visited.
func (h *HTTPHandler) reapHandshakes(cutoff int64) {
	var stale []*httpSession
	h.mu.Lock()
	for hs := h.halfOpen.head; hs != nil && hs.admittedAt < cutoff; hs = h.halfOpen.head {
		h.forgetLocked(hs)
		stale = append(stale, hs)
	}
	h.mu.Unlock()
	for _, hs := range stale {
		h.srv.logger.Debug("fastmcp: ending a session whose client did not complete the handshake", "session", hs.sess.id)
		h.endSession(hs, ErrSessionHandshakeTimeout)
	}
}

// reapIdle ends the sessions without active work whose last activity is
// before cutoff.
func (h *HTTPHandler) reapIdle(cutoff int64) {
	var stale []*httpSession
	h.mu.RLock()
	for _, hs := range h.sessions {
		if hs.active.Load() == 0 && hs.sess.lastActive.Load() < cutoff {
			stale = append(stale, hs)
		}
	}
	h.mu.RUnlock()
	for _, hs := range stale {
		h.srv.logger.Debug("fastmcp: ending idle session", "session", hs.sess.id)
		h.endSession(hs, ErrSessionIdle)
	}
}

// clientKey names the client of r for MaxSessionsPerClient: its principal
// when auth (the authenticator's data) is an Identity, else its address.
func (h *HTTPHandler) clientKey(r *http.Request, auth any) clientID {
	if id, ok := auth.(Identity); ok {
		if sub := id.AuthSubject(); sub != "" {
			return clientID{name: "subject " + sub}
		}
	}
	addr, ok := remoteIP(r.RemoteAddr)
	if !ok {
		return clientID{name: "address " + r.RemoteAddr}
	}
	if len(h.opts.TrustedProxies) > 0 && h.trusted(addr) {
		if fwd, ok := h.forwardedFor(r); ok {
			addr = fwd
		}
	}
	if addr.Is6() {
		// One host commonly holds a whole /64.
		p, _ := addr.Prefix(64)
		addr = p.Addr()
	}
	return clientID{ip: addr}
}

// remoteIP parses the IP address of a RemoteAddr (host:port).
func remoteIP(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// trusted reports whether addr is one of HTTP.TrustedProxies.
func (h *HTTPHandler) trusted(addr netip.Addr) bool {
	for _, p := range h.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedFor returns the client address that the trusted proxies in front
// of the server recorded: walking the Forwarded (RFC 7239) or, without it,
// X-Forwarded-For entries from the nearest, the first that is not itself a
// trusted proxy. Entries further away are the client's own claims.
func (h *HTTPHandler) forwardedFor(r *http.Request) (netip.Addr, bool) {
	var hops []string
	if vals := r.Header.Values("Forwarded"); len(vals) > 0 {
		for _, v := range vals {
			for elem := range strings.SplitSeq(v, ",") {
				for pair := range strings.SplitSeq(elem, ";") {
					k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						hops = append(hops, strings.Trim(val, `"`))
					}
				}
			}
		}
	} else {
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for hop := range strings.SplitSeq(v, ",") {
				hops = append(hops, strings.TrimSpace(hop))
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := hops[i]
		if strings.HasPrefix(hop, "[") {
			// Forwarded quotes IPv6 as "[addr]:port" or "[addr]".
			if end := strings.IndexByte(hop, ']'); end > 0 {
				hop = hop[1:end]
			}
		}
		a, ok := remoteIP(hop)
		if !ok {
			return netip.Addr{}, false // obfuscated or malformed: do not guess
		}
		if !h.trusted(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}
