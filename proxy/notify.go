package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/fastmcp-go/fastmcp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// fullCaps is the capabilities key of a client that can do everything the
// proxy relays (see capsKey).
const fullCaps = "s,ef,eu,r"

// capsKey names the capabilities of the request's client the proxy relays:
// sampling, elicitation (form, URL) and roots. With an HTTP upstream in the
// handshake era, calls go over upstream sessions that declared the same, so
// that the upstream asks a client only for what it can give, as it would
// directly; a 2026-07-28 upstream gets them with every request. A stdio
// upstream's sessions are processes with state of their own: all calls use
// the one pool, whose sessions declare every capability.
func (p *Proxy) capsKey(ctx *fastmcp.Context) string {
	if p.upModern.Load() || p.opts.Upstream.URL == "" {
		return fullCaps
	}
	c := ctx.ClientCapabilities()
	var parts []string
	if c.Sampling != nil {
		parts = append(parts, "s")
	}
	if e := c.Elicitation; e != nil {
		if e.Form != nil || e.URL == nil {
			parts = append(parts, "ef") // {} means form mode
		}
		if e.URL != nil {
			parts = append(parts, "eu")
		}
	}
	if c.Roots != nil {
		parts = append(parts, "r")
	}
	return strings.Join(parts, ",")
}

// clientFor returns the Go SDK client whose sessions declare the
// capabilities caps (a capsKey).
func (p *Proxy) clientFor(caps string) *mcp.Client {
	// Called with p.mu held, or before the proxy is shared.
	if c, ok := p.clients[caps]; ok {
		return c
	}
	c := p.newClient(caps)
	p.clients[caps] = c
	return c
}

// newClient makes a Go SDK client whose sessions declare caps.
func (p *Proxy) newClient(caps string) *mcp.Client {
	var impl mcp.Implementation
	_ = remarshal(p.opts.ClientInfo, &impl)
	declared := &mcp.ClientCapabilities{}
	for _, c := range strings.Split(caps, ",") {
		switch c {
		case "s":
			declared.Sampling = &mcp.SamplingCapabilities{}
		case "ef", "eu":
			if declared.Elicitation == nil {
				declared.Elicitation = &mcp.ElicitationCapabilities{}
			}
			if c == "ef" {
				declared.Elicitation.Form = &mcp.FormElicitationCapabilities{}
			} else {
				declared.Elicitation.URL = &mcp.URLElicitationCapabilities{}
			}
		case "r":
			declared.RootsV2 = &mcp.RootCapabilities{ListChanged: true}
		}
	}
	c := mcp.NewClient(&impl, &mcp.ClientOptions{
		Capabilities: declared,
		ToolListChangedHandler: func(_ context.Context, r *mcp.ToolListChangedRequest) {
			p.listChanged(r.Session, kindTools)
		},
		PromptListChangedHandler: func(_ context.Context, r *mcp.PromptListChangedRequest) {
			p.listChanged(r.Session, kindPrompts)
		},
		ResourceListChangedHandler: func(_ context.Context, r *mcp.ResourceListChangedRequest) {
			p.listChanged(r.Session, kindResources)
		},
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			if r.Params != nil && p.ready.Load() && p.isControl(r.Session) {
				p.server.ResourceUpdated(r.Params.URI)
			}
		},
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			if p.ready.Load() {
				p.logOutside(r.Session, r.Params)
			}
		},
		ElicitationCompleteHandler: func(_ context.Context, r *mcp.ElicitationCompleteNotificationRequest) {
			if r.Params != nil && p.ready.Load() {
				p.elicits.complete(r.Params.ElicitationID)
			}
		},
		// The proxy relays input_required results itself, so that each
		// question reaches the downstream client that caused it.
		MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
	})
	c.AddReceivingMiddleware(p.receiving)
	return c
}

func (p *Proxy) isControl(cs *mcp.ClientSession) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.control != nil && p.control.cs == cs
}

func (p *Proxy) listChanged(cs *mcp.ClientSession, k kind) {
	if p.ready.Load() && p.isControl(cs) {
		p.mirror.trigger(k)
	}
}

// notification handles a notification of session s as it is read from the
// upstream, c being the call whose response stream carried it (nil when
// unknown). It reports whether it was handled; the Go SDK gets the others.
func (p *Proxy) notification(s *upSession, c *call, method string, params json.RawMessage) bool {
	switch method {
	case "notifications/progress":
		var pr mcp.ProgressNotificationParams
		if json.Unmarshal(params, &pr) != nil {
			return false
		}
		tok, _ := pr.ProgressToken.(string)
		v, ok := p.calls.Load(tok)
		if ok && v.(*call).sess == s {
			v.(*call).push(event{progress: &pr})
		}
		return true // progress of a call that ended is dropped
	case "notifications/message":
		if c == nil {
			c = s.soleCall()
		}
		if c == nil {
			return false
		}
		var lm mcp.LoggingMessageParams
		if json.Unmarshal(params, &lm) != nil {
			return false
		}
		c.push(event{log: &lm})
		return true
	}
	return false
}

// receiving intercepts the upstream's requests for input: they go to the
// downstream client of the call that caused them.
func (p *Proxy) receiving(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch method {
		case "sampling/createMessage", "elicitation/create", "roots/list":
			return p.serverRequest(ctx, method, req)
		}
		return next(ctx, method, req)
	}
}

// serverRequest relays a request of the upstream for input that the Go SDK
// received. Its call is, on a stdio or legacy SSE session, the only call in
// flight on the session; without one, the only downstream client the session
// serves. Otherwise nobody can answer it: it is refused.
func (p *Proxy) serverRequest(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
	cs, _ := req.GetSession().(*mcp.ClientSession)
	s := p.sessionOf(cs)
	if s == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "proxy: unknown upstream session"}
	}
	params := req.GetParams()
	if v := reflect.ValueOf(params); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		params = nil // roots/list may come without params
	}
	var c *call
	if s.hc == nil {
		// On a stdio or legacy SSE session nothing tells: the only call in
		// flight is taken as the cause. (Over Streamable HTTP the requests
		// of a call come on the call's own response stream, which post
		// reads; the Go SDK sees those of the session's own stream, which
		// belong to no call.)
		c = s.soleCall()
	}
	in, err := upstreamInput(method, params)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "proxy: " + err.Error()}
	}
	if c == nil {
		return p.askOutside(ctx, s, in)
	}
	resp, err := c.ask(ctx, in)
	if err != nil {
		return nil, wireError(err)
	}
	return resultForUpstream(method, resp)
}

// askOutside relays a request that belongs to no call to the only
// downstream client the session serves (over stdio, the one client; in
// general, the principal's one session).
func (p *Proxy) askOutside(ctx context.Context, s *upSession, in *upInput) (mcp.Result, error) {
	var targets []*fastmcp.Session
	if p.ready.Load() {
		targets = p.downstreamOf(s)
	}
	if len(targets) != 1 {
		p.stats.refused.Add(1)
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("proxy: cannot tell which client this %s request is for (it came outside any call, or while several calls shared the upstream session, and %d clients could answer)", in.method, len(targets))}
	}
	ds := targets[0]
	var v any
	var res mcp.Result
	var err error
	switch in.method {
	case "sampling/createMessage":
		v, err = ds.RequestSampling(ctx, in.sampling, nil)
		res = &mcp.CreateMessageWithToolsResult{}
	case "elicitation/create":
		v, err = ds.Elicit(ctx, in.elicit, nil)
		if err == nil && in.elicit.ElicitationID != "" {
			p.elicits.note(in.elicit.ElicitationID, ds)
		}
		res = &mcp.ElicitResult{}
	case "roots/list":
		var roots []fastmcp.Root
		roots, err = ds.ListRoots(ctx, nil)
		if roots == nil {
			roots = []fastmcp.Root{}
		}
		v = &fastmcp.ListRootsResult{Roots: roots}
		res = &mcp.ListRootsResult{}
	}
	if err != nil {
		return nil, wireError(err)
	}
	if err := remarshal(v, res); err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "proxy: " + err.Error()}
	}
	return res, nil
}

// downstreamOf returns the downstream sessions served by s's pool.
func (p *Proxy) downstreamOf(s *upSession) []*fastmcp.Session {
	var out []*fastmcp.Session
	for _, ds := range p.server.Sessions() {
		key, ok := p.sessKeys.Load(ds)
		if p.opts.PerUser == nil || ok && key.(string) == s.pool.key {
			out = append(out, ds)
		}
	}
	return out
}

// logOutside relays a log message that belongs to no call to the
// downstream sessions the upstream session serves.
//
// The Go SDK handles a session's notifications one after the other: the
// messages are queued for a worker (and dropped when it lags behind, as a
// slow client could make it), so that delivering them never holds up the
// session's other notifications (list changes, resource updates).
func (p *Proxy) logOutside(cs *mcp.ClientSession, lm *mcp.LoggingMessageParams) {
	s := p.sessionOf(cs)
	if s == nil || lm == nil {
		return
	}
	select {
	case p.outLogs <- outsideLog{s, lm}:
	default:
		p.stats.dropped.Add(1)
	}
}

type outsideLog struct {
	s  *upSession
	lm *mcp.LoggingMessageParams
}

// logWorker delivers the log messages that belong to no call.
func (p *Proxy) logWorker() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case m := <-p.outLogs:
			for _, ds := range p.downstreamOf(m.s) {
				_ = ds.Log(fastmcp.LoggingLevel(m.lm.Level), m.lm.Logger, m.lm.Data)
			}
		}
	}
}

// logTo relays a log message of a call to its downstream request. The
// message's data keeps its shape when it is a string or an object with a
// "message" member; the logger name is lost (see the package
// documentation).
func logTo(ctx *fastmcp.Context, lm *mcp.LoggingMessageParams) {
	level := fastmcp.LoggingLevel(lm.Level)
	switch d := lm.Data.(type) {
	case string:
		ctx.Log(level, d)
	case map[string]any:
		msg, _ := d["message"].(string)
		keys := make([]string, 0, len(d))
		for k := range d {
			if k != "message" || msg == "" && d["message"] != nil {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		args := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			args = append(args, k, d[k])
		}
		ctx.Log(level, msg, args...)
	default:
		b, _ := json.Marshal(d)
		ctx.Log(level, string(b))
	}
}

// wireError is the error the upstream gets for a request the downstream
// client could not answer.
func wireError(err error) error {
	var fe *fastmcp.Error
	if errors.As(err, &fe) {
		return &jsonrpc.Error{Code: int64(fe.Code), Message: fe.Message}
	}
	if errors.Is(err, fastmcp.ErrCapability) {
		return &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: err.Error()}
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}
}

// elicitations remember which downstream session got a URL-mode
// elicitation, to relay its completion notification.
type elicitations struct {
	mu    sync.Mutex
	ids   map[string]*fastmcp.Session
	order []string
}

const maxElicitations = 1000

func (e *elicitations) note(id string, ds *fastmcp.Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ids == nil {
		e.ids = map[string]*fastmcp.Session{}
	}
	if _, ok := e.ids[id]; !ok {
		e.order = append(e.order, id)
	}
	e.ids[id] = ds
	for len(e.order) > maxElicitations {
		delete(e.ids, e.order[0])
		e.order = e.order[1:]
	}
}

func (e *elicitations) complete(id string) {
	e.mu.Lock()
	ds := e.ids[id]
	delete(e.ids, id)
	e.mu.Unlock()
	if ds != nil {
		ds.NotifyElicitationComplete(id)
	}
}

// noteElicitations remembers the downstream session of the URL-mode
// elicitations among inputs.
func (p *Proxy) noteElicitations(ctx *fastmcp.Context, inputs []*input) {
	ds := ctx.Session()
	if ds == nil {
		return
	}
	for _, in := range inputs {
		if in.elicitID != "" {
			p.elicits.note(in.elicitID, ds)
		}
	}
}
