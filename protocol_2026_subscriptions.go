package fastmcp

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// subscriptions/listen (2026-07-28).
//
// A client opens a long-lived stream of change notifications with a
// subscriptions/listen request naming the notifications it wants. The server
// acknowledges with notifications/subscriptions/acknowledged, then sends the
// list_changed and resources/updated notifications the filter admits, each
// tagged with the subscription id (the request's JSON-RPC id) in _meta. Over
// HTTP the stream is the request's SSE answer and closing it ends the
// subscription; over stdio the notifications share the output and
// notifications/cancelled ends it. When the server shuts down it ends the
// subscription gracefully, with a result carrying the subscription id.

// listeners are a server's open subscriptions/listen streams.
type listeners struct {
	mu  sync.Mutex
	set map[*listener]struct{}
}

// listener is one subscriptions/listen stream. Notifications wait in its
// queue for the listen request's own goroutine to send them: a broadcast never
// waits on a client, and one that does not read has its subscription ended.
type listener struct {
	// mu orders the acknowledgement before every notification.
	mu sync.Mutex
	id json.RawMessage
	q  *outQueue
	// stalled ends the subscription: its queue overflowed.
	stalled func()

	tools, prompts, resources bool
	uris                      []string
	// tasks are the tasks whose status notifications the stream follows,
	// with the time of the last state sent, under mu (the tasks extension:
	// tasks_wire.go).
	tasks map[string]int64
	// seq is the server's registry change number when the listener
	// opened: it is told of later changes only.
	seq uint64
}

// subscriptionFilter is the notifications member of subscriptions/listen and
// of its acknowledgement.
type subscriptionFilter struct {
	ToolsListChanged      bool     `json:"toolsListChanged,omitempty"`
	PromptsListChanged    bool     `json:"promptsListChanged,omitempty"`
	ResourcesListChanged  bool     `json:"resourcesListChanged,omitempty"`
	ResourceSubscriptions []string `json:"resourceSubscriptions,omitempty"`
	// TaskIDs: the tasks extension's status notifications.
	TaskIDs []string `json:"taskIds,omitempty"`
}

func (ls *listeners) add(l *listener) {
	ls.mu.Lock()
	if ls.set == nil {
		ls.set = map[*listener]struct{}{}
	}
	ls.set[l] = struct{}{}
	ls.mu.Unlock()
}

func (ls *listeners) remove(l *listener) {
	ls.mu.Lock()
	delete(ls.set, l)
	ls.mu.Unlock()
}

// each calls f for every open listener that f's filter admits.
func (ls *listeners) each(admit func(*listener) bool, f func(*listener)) {
	ls.mu.Lock()
	if len(ls.set) == 0 {
		ls.mu.Unlock()
		return
	}
	var hit []*listener
	for l := range ls.set {
		if admit(l) {
			hit = append(hit, l)
		}
	}
	ls.mu.Unlock()
	for _, l := range hit {
		f(l)
	}
}

// send sends a notification on the stream, tagged with the subscription id.
// extra, when set, holds the other members of params, as encoded JSON without
// braces.
func (l *listener) send(method string, extra []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sendLocked(method, extra)
}

// sendLocked is send with l.mu held.
func (l *listener) sendLocked(method string, extra []byte) error {
	b := append(make([]byte, 0, 128+len(extra)), `{"jsonrpc":"2.0","method":`...)
	b = jsonrpc.AppendString(b, method)
	b = append(b, `,"params":{"_meta":{"`+metaSubscriptionID+`":`...)
	b = append(b, l.id...)
	b = append(b, '}')
	if len(extra) > 0 {
		b = append(b, ',')
		b = append(b, extra...)
	}
	b = append(b, "}}"...)
	err := l.q.push(b)
	if err == errStreamStalled {
		l.stalled()
	}
	return err
}

// notifyListChanged tells the listeners that opted in that lists changed: the
// list of listChangedMethods[i] changed with change number pending[i] (0: it
// did not). Listeners opened after a change are not told of it.
func (s *Server) notifyListChanged(pending [len(listChangedMethods)]uint64) {
	for i, lc := range listChangedMethods {
		seq := pending[i]
		if seq == 0 {
			continue
		}
		s.listeners.each(func(l *listener) bool {
			if l.seq >= seq {
				return false
			}
			switch lc.kind {
			case listTools:
				return l.tools
			case listPrompts:
				return l.prompts
			default:
				return l.resources
			}
		}, func(l *listener) {
			if err := l.send(lc.method, nil); err != nil {
				s.logger.Debug("fastmcp: notification not delivered to a subscription", "method", lc.method, "error", err)
			}
		})
	}
}

// notifyResourceUpdated tells the listeners subscribed to uri that it changed.
func (s *Server) notifyResourceUpdated(uri string) {
	extra := append([]byte(`"uri":`), jsonrpc.AppendString(nil, uri)...)
	s.listeners.each(func(l *listener) bool { return slices.Contains(l.uris, uri) }, func(l *listener) {
		if err := l.send("notifications/resources/updated", extra); err != nil {
			s.logger.Debug("fastmcp: notification not delivered to a subscription", "method", "notifications/resources/updated", "error", err)
		}
	})
}

// listen serves subscriptions/listen: it acknowledges the subscription, then
// keeps it open until the client ends it or the transport shuts down.
func (s *Server) listen(c *Context, _ *Request) (any, error) {
	r := c.req
	var p struct {
		paramsMeta
		Notifications *subscriptionFilter `json:"notifications"`
	}
	if err := decodeParams(r, &p); err != nil {
		return nil, err
	}
	if p.Notifications == nil {
		return nil, NewError(CodeInvalidParams, "Invalid params: subscriptions/listen needs notifications, the filter of the notifications wanted")
	}
	if r.conn == nil || !r.conn.info().streams {
		return nil, NewError(CodeInvalidRequest, "subscriptions/listen needs a stream to the client: over HTTP, the request must accept text/event-stream and the server must not be in JSON-response mode")
	}
	f := *p.Notifications
	caps := s.capabilities(v20260728)
	ack := subscriptionFilter{
		ToolsListChanged:     f.ToolsListChanged && caps.Tools != nil && caps.Tools.ListChanged,
		PromptsListChanged:   f.PromptsListChanged && caps.Prompts != nil && caps.Prompts.ListChanged,
		ResourcesListChanged: f.ResourcesListChanged && caps.Resources != nil && caps.Resources.ListChanged,
	}
	if caps.Resources != nil && caps.Resources.Subscribe && len(f.ResourceSubscriptions) > 0 {
		ack.ResourceSubscriptions = slices.Clone(f.ResourceSubscriptions)
	}
	if f.TaskIDs != nil {
		var err error
		if ack.TaskIDs, err = s.tasks.listenable(c, f.TaskIDs); err != nil {
			return nil, err
		}
	}
	l := &listener{
		seq: s.lcSeq.Load(),
		id:  r.id,
		q:   newOutQueue(maxListenBacklog),
		stalled: func() {
			s.logger.Warn("fastmcp: ending a subscription whose client does not read its notifications", "subscription", string(r.id))
			r.cancel(errSubscriptionStalled)
		},
		tools:     ack.ToolsListChanged,
		prompts:   ack.PromptsListChanged,
		resources: ack.ResourcesListChanged,
		uris:      ack.ResourceSubscriptions,
		tasks:     taskSet(ack.TaskIDs),
	}
	filter, err := json.Marshal(ack)
	if err != nil {
		return nil, err
	}
	// The acknowledgement goes out before any notification: the listener
	// is registered with its lock held until it is sent.
	l.mu.Lock()
	s.listeners.add(l)
	err = l.sendLocked("notifications/subscriptions/acknowledged", append([]byte(`"notifications":`), filter...))
	l.mu.Unlock()
	defer s.listeners.remove(l)
	if err != nil {
		return nil, err
	}
	if l.tasks != nil {
		defer s.tasks.follow(c, l, ack.TaskIDs)()
	}
	for {
		select {
		case <-c.Done():
			return nil, context.Cause(c)
		case <-r.stop:
			// Shutting down: end the subscription gracefully.
			b := append([]byte(`{"resultType":"complete","_meta":{"`+metaSubscriptionID+`":`), r.id...)
			return json.RawMessage(append(b, "}}"...)), nil
		case <-l.q.wake:
			for _, m := range l.q.take() {
				if err := r.conn.send(m); err != nil {
					return nil, err
				}
			}
		case <-l.q.done:
			return nil, errSubscriptionStalled
		}
	}
}

// errSubscriptionStalled ends a subscription whose client does not read it.
var errSubscriptionStalled = NewError(CodeInternalError, "subscription ended: the client did not read its notifications fast enough")

// maxListenBacklog bounds the notifications waiting to be sent on one
// subscriptions/listen stream.
const maxListenBacklog = 1 << 20
