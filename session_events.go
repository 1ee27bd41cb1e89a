package fastmcp

import (
	"sync"
)

// Session lifecycle events.
//
// Handlers are plain Go functions registered with Server.OnConnect,
// Server.OnDisconnect, Session.OnReady, Session.OnError and
// Session.OnRootsChanged; each registration returns a function that removes
// the handler. Registering and removing are safe at any time.
//
// The events of one session are delivered in order (connect, ready,
// roots changes and errors, disconnect), one at a time, on a goroutine of
// their own: a slow handler delays the next events of its session but never
// the session's requests, and a panicking handler is logged and skipped.

// handlers is a registry of event handlers of one signature.
type handlers[F any] struct {
	mu   sync.Mutex
	next int
	fns  map[int]F
}

// add registers f and returns its remover.
func (h *handlers[F]) add(f F) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fns == nil {
		h.fns = map[int]F{}
	}
	id := h.next
	h.next++
	h.fns[id] = f
	return func() {
		h.mu.Lock()
		delete(h.fns, id)
		h.mu.Unlock()
	}
}

// empty reports whether no handler is registered.
func (h *handlers[F]) empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.fns) == 0
}

// snapshot returns the registered handlers in registration order.
func (h *handlers[F]) snapshot() []F {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.fns) == 0 {
		return nil
	}
	out := make([]F, 0, len(h.fns))
	for id := 0; id < h.next; id++ {
		if f, ok := h.fns[id]; ok {
			out = append(out, f)
		}
	}
	return out
}

// sessionEvents holds a session's handlers and its event queue.
type sessionEvents struct {
	ready        handlers[func()]
	errs         handlers[func(error)]
	rootsChanged handlers[func([]Root)]

	mu      sync.Mutex
	queue   []func()
	running bool
}

func (s *Session) events() *sessionEvents {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ev == nil {
		s.ev = &sessionEvents{}
	}
	return s.ev
}

// OnReady registers f to run when the session is ready: the client completed
// the handshake and, when it supports roots (and Options.DisableRoots is not
// set), its roots were fetched. If the session is already ready, f still runs
// once, soon. It returns a function that removes f.
func (s *Session) OnReady(f func()) (remove func()) {
	ev := s.events()
	s.mu.Lock()
	late := s.readyDone
	remove = ev.ready.add(f)
	s.mu.Unlock()
	if late {
		s.emit(func() { s.runHandler(f) })
	}
	return remove
}

// OnError registers f to run when an error concerns the session outside any
// request: its roots could not be fetched, a notification could not be
// delivered. It returns a function that removes f.
func (s *Session) OnError(f func(error)) (remove func()) { return s.events().errs.add(f) }

// OnRootsChanged registers f to run with the client's new roots after it
// reported a change (notifications/roots/list_changed) and they were fetched.
// It returns a function that removes f.
func (s *Session) OnRootsChanged(f func([]Root)) (remove func()) {
	return s.events().rootsChanged.add(f)
}

// emit queues an event of the session; events run in order on one goroutine.
func (s *Session) emit(f func()) {
	ev := s.events()
	ev.mu.Lock()
	ev.queue = append(ev.queue, f)
	if ev.running {
		ev.mu.Unlock()
		return
	}
	ev.running = true
	ev.mu.Unlock()
	s.goBackground(func() { s.runEvents(ev) })
}

func (s *Session) runEvents(ev *sessionEvents) {
	for {
		ev.mu.Lock()
		if len(ev.queue) == 0 {
			ev.running = false
			ev.queue = nil
			ev.mu.Unlock()
			return
		}
		f := ev.queue[0]
		ev.queue[0] = nil
		ev.queue = ev.queue[1:]
		ev.mu.Unlock()
		s.runHandler(f)
	}
}

// runHandler runs one event handler, recovering a panic.
func (s *Session) runHandler(f func()) {
	defer func() {
		if v := recover(); v != nil {
			s.srv.recovered("session event handler", v)
		}
	}()
	f()
}

// The emit functions queue one event; its handlers are looked up when the
// event runs, so a handler registered by an earlier event's handler (OnReady
// inside OnConnect) still sees it.

func (s *Session) emitConnect() {
	if s.ephemeral || s.srv.onConnect.empty() {
		return
	}
	s.emit(func() {
		for _, f := range s.srv.onConnect.snapshot() {
			s.runHandler(func() { f(s) })
		}
	})
}

func (s *Session) emitDisconnect() {
	if s.ephemeral || s.srv.onDisconnect.empty() {
		return
	}
	s.emit(func() {
		for _, f := range s.srv.onDisconnect.snapshot() {
			s.runHandler(func() { f(s) })
		}
	})
}

// eventsIfAny returns the session's events, or nil when no handler was ever
// registered.
func (s *Session) eventsIfAny() *sessionEvents {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ev
}

func (s *Session) emitReady() {
	s.mu.Lock()
	ev := s.ev
	idle := ev == nil
	if ev != nil {
		ev.mu.Lock()
		idle = !ev.running && len(ev.queue) == 0 && ev.ready.empty()
		ev.mu.Unlock()
	}
	if idle {
		// Nobody listens, and no earlier event is pending whose handler
		// might register a listener: a handler registered from now on runs
		// at once, as for any late registration.
		s.readyDone = true
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.emit(func() {
		// Marked done and the handlers taken together: a handler added
		// concurrently runs either here or as a late registration, once.
		s.mu.Lock()
		s.readyDone = true
		fns := ev.ready.snapshot()
		s.mu.Unlock()
		for _, f := range fns {
			s.runHandler(f)
		}
	})
}

func (s *Session) emitError(err error) {
	s.srv.logger.Debug("fastmcp: session error", "session", s.id, "error", err)
	ev := s.eventsIfAny()
	if ev == nil {
		return
	}
	s.emit(func() {
		for _, f := range ev.errs.snapshot() {
			s.runHandler(func() { f(err) })
		}
	})
}

func (s *Session) emitRootsChanged(roots []Root) {
	ev := s.eventsIfAny()
	if ev == nil {
		return
	}
	s.emit(func() {
		for _, f := range ev.rootsChanged.snapshot() {
			s.runHandler(func() { f(roots) })
		}
	})
}
