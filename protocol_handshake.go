package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The handshake era: protocol revisions 2024-11-05 through 2025-11-25.
// initialize starts a Session; the session's negotiated revision, client info,
// capabilities and log level apply to its later requests; the server sends
// requests to the client (sampling, elicitation, roots) and waits for the
// answers; notifications that belong to no request go out on the session's
// own channel.

// protocolHandshake is the handshake era (see protocol).
type protocolHandshake struct{}

// handshakeEra is the handshake era's protocol.
var handshakeEra protocol = protocolHandshake{}

func (protocolHandshake) prepare(s *Server, _ conn, r *request) {
	if r.prepErr == nil {
		r.prepErr = readParams(r)
	}
}

// readParams reads the members of params the methods that name an item
// use, in both eras, into the request's Name and Arguments, and _meta.
func readParams(r *request) error {
	var member string
	switch r.Method {
	case "tools/call", "prompts/get":
		member = "name"
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		member = "uri"
	default:
		return nil
	}
	pm := r.members()
	if pm.err != nil {
		return pm.err
	}
	if err := r.setMeta(pm.meta); err != nil {
		return err
	}
	raw := pm.name
	if member == "uri" {
		raw = pm.uri
	} else {
		r.Arguments = pm.args
	}
	name, _, err := r.stringMember(raw, member)
	if err != nil {
		return err
	}
	r.Name = name
	return nil
}

func (protocolHandshake) handler(s *Server, c *Context) (MethodHandler, error) {
	r := c.req
	if r.Method != "initialize" && r.Method != "ping" && c.sess != nil && r.version == vUnknown {
		return nil, NewError(CodeInvalidRequest, "session not initialized: send initialize first")
	}
	if h := s.methods.handshake[r.Method]; h != nil {
		return h, nil
	}
	return nil, NewError(CodeMethodNotFound, "Method not found: %s", r.Method)
}

func (protocolHandshake) finish(_ *Server, b []byte, _ int, _ *request) []byte { return b }

func (protocolHandshake) answerFor(ErrorCode, *request) answer { return answered }

// logEnabled: the session's level (logging/setLevel), everything without one.
func (protocolHandshake) logEnabled(c *Context, level LoggingLevel) bool {
	min := c.req.logLevel
	if c.sess != nil {
		min = c.sess.LoggingLevel()
	}
	return level.severity() >= min.severity()
}

// ask sends the requests to the client on the request's own stream,
// concurrently, and waits for every answer.
func (protocolHandshake) ask(c *Context, reqs []InputRequest) ([]InputResponse, error) {
	if c.sess == nil {
		what := "asking for input needs"
		if len(reqs) == 1 {
			what = map[string]string{"sampling": "sampling needs", "elicitation": "elicitation needs", "roots": "roots need"}[reqs[0].kind]
		}
		return nil, fmt.Errorf("%w (%s the client to answer a server request)", ErrNoSession, what)
	}
	out := make([]InputResponse, len(reqs))
	errs := make([]error, len(reqs))
	one := func(i int) {
		q := reqs[i]
		var v any
		var err error
		switch q.kind {
		case "sampling":
			v, err = c.sess.requestSampling(c, c.req.conn, q.params.(*CreateMessageParams), nil)
		case "elicitation":
			v, err = c.sess.elicit(c, c.req.conn, q.params.(*ElicitParams), nil)
		case "roots":
			v, err = c.sess.listRoots(c, c.req.conn, nil)
		default:
			err = errors.New("fastmcp: invalid InputRequest (build one with SamplingRequest, ElicitationRequest or RootsRequest)")
		}
		if err != nil {
			errs[i] = err
			return
		}
		out[i] = InputResponse{method: q.method, value: v}
	}
	if len(reqs) == 1 {
		one(0)
	} else {
		var wg sync.WaitGroup
		for i := range reqs {
			wg.Go(func() { one(i) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// initialize answers the handshake: it negotiates the protocol revision and
// records the client on the session.
func (s *Server) initialize(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		ProtocolVersion string             `json:"protocolVersion"`
		Capabilities    ClientCapabilities `json:"capabilities"`
		ClientInfo      Implementation     `json:"clientInfo"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	if c.sess == nil {
		return nil, NewError(CodeInvalidRequest, "initialize needs a session-capable transport")
	}
	v := parseProtocolVersion(p.ProtocolVersion)
	if v == vUnknown || v >= v20260728 {
		// Unknown, or a revision without the handshake: answer with the
		// newest handshake revision and let the client decide.
		v = parseProtocolVersion(LatestHandshakeProtocolVersion)
	}
	sess := c.sess
	sess.mu.Lock()
	if sess.initialized {
		sess.mu.Unlock()
		return nil, NewError(CodeInvalidRequest, "session already initialized")
	}
	sess.initialized = true
	sess.version, sess.clientCaps, sess.clientInfo = v, p.Capabilities, p.ClientInfo
	if c.req.hasAuth {
		sess.auth, sess.lastAuth = c.req.auth, c.req.auth
	}
	sess.initSeq.Store(s.lcSeq.Load())
	sess.mu.Unlock()
	if !sess.ephemeral {
		s.addSession(sess)
	}
	sess.emitConnect()
	return s.initializeResult(v, sess.ephemeral), nil
}

// initializeResult returns the encoded initialize result for revision v. The
// server's description never changes, so it is encoded once per revision;
// sessionless (a stateless server) declares only what works without a
// session.
func (s *Server) initializeResult(v protocolVersion, sessionless bool) json.RawMessage {
	i := 0
	if sessionless {
		i = 1
	}
	s.initOnce[v][i].Do(func() {
		caps := s.capabilities(v)
		if sessionless {
			// No session to deliver change notifications or resource
			// updates to.
			caps.Tools = &ToolsCapability{}
			caps.Resources = &ResourcesCapability{}
			caps.Prompts = &PromptsCapability{}
		}
		raw, err := json.Marshal(&InitializeResult{
			ProtocolVersion: v.String(),
			Capabilities:    caps,
			ServerInfo:      s.serverInfoFor(v),
			Instructions:    s.opts.Instructions,
		})
		if err != nil {
			panic(fmt.Sprintf("fastmcp: encoding the initialize result: %v", err))
		}
		s.initResult[v][i] = raw
	})
	return s.initResult[v][i]
}

// ping answers a ping.
func (s *Server) ping(c *Context, _ *Request) (any, error) {
	var p struct{ paramsMeta }
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	return emptyResult, nil
}

// serverDiscover answers server/discover in the handshake era. Before
// initialize, a request without the 2026-07-28 _meta is refused (as not
// initialized), so that a client probing the era falls back to the
// handshake.
func (s *Server) serverDiscover(c *Context, _ *Request) (any, error) {
	var p struct{ paramsMeta }
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	return s.discoverResult(), nil
}

// setLevel records the minimum log level the client wants.
func (s *Server) setLevel(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Level LoggingLevel `json:"level"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	if p.Level.severity() == 0 {
		return nil, NewError(CodeInvalidParams, "invalid logging level %q", p.Level)
	}
	if c.sess == nil {
		// Served statelessly: there is no session to keep the level in, and
		// every request stands alone. Accept it, as a no-op.
		return emptyResult, nil
	}
	if sh := c.sess.shared; sh != nil { // clustered: record it for every replica (cluster.go)
		if err := sh.set(c, fieldLevel, []byte(p.Level)); err != nil {
			return nil, storeFailure(err)
		}
	}
	c.sess.mu.Lock()
	c.sess.logLevel = p.Level
	c.sess.mu.Unlock()
	return emptyResult, nil
}

// subscribe serves resources/subscribe and resources/unsubscribe.
func (s *Server) subscribe(c *Context, req *Request) (any, error) {
	if req.Name == "" {
		return nil, NewError(CodeInvalidParams, "%s: missing uri", req.Method)
	}
	if c.sess == nil {
		// Served statelessly: there is no session to deliver updates to,
		// and the capability is not declared.
		return nil, NewError(CodeMethodNotFound, "Method not found: %s (this server is stateless: it has no sessions to send resource updates to)", req.Method)
	}
	if sh := c.sess.shared; sh != nil { // clustered: record it for every replica (cluster.go)
		var v []byte
		if req.Method == "resources/subscribe" {
			v = []byte("1")
		}
		if err := sh.set(c, fieldSubPrefix+req.Name, v); err != nil {
			return nil, storeFailure(err)
		}
	}
	if req.Method == "resources/subscribe" {
		c.sess.subscribe(req.Name)
	} else {
		c.sess.unsubscribe(req.Name)
	}
	return emptyResult, nil
}

// handleNotification handles a notification from a handshake-era client.
func (s *Server) handleNotification(sess *Session, m *jsonrpc.Message) {
	if sess == nil {
		return // served statelessly: nothing to record
	}
	sess.touch()
	switch m.Method {
	case "notifications/initialized":
		sess.mu.Lock()
		first := sess.initialized && !sess.notified
		sess.notified = sess.initialized
		sess.mu.Unlock()
		if first && sess.shared != nil {
			sess.shared.setOrLog(fieldNotified, []byte("1")) // clustered: every replica learns it (cluster.go)
		}
		if first {
			if !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
				sess.goBackground(func() { s.afterHandshake(sess) }) // waits for the client's roots
			} else {
				sess.setReady()
			}
		}
	case "notifications/roots/list_changed":
		if !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
			sess.goBackground(func() {
				if roots, ok := s.fetchRoots(sess); ok {
					sess.emitRootsChanged(roots)
				}
			})
		}
	case "notifications/progress":
		var p ProgressParams
		if json.Unmarshal(m.Params, &p) == nil && !sess.peer.deliverProgress(p) && sess.shared != nil {
			sess.shared.route(m, p.ProgressToken) // clustered: another replica's request (cluster.go)
		}
	case "notifications/cancelled":
		if !cancelFrom(&sess.peer, m.Params) && sess.shared != nil {
			sess.shared.cancel(m.Params) // clustered: a request served elsewhere (cluster.go)
		}
	}
	// Other notifications are accepted and ignored.
}

// afterHandshake runs once the client has sent notifications/initialized: it
// fetches the client's roots when it has them, then marks the session ready.
func (s *Server) afterHandshake(sess *Session) {
	if !s.opts.DisableRoots && sess.ClientCapabilities().Roots != nil {
		s.fetchRoots(sess)
	}
	sess.setReady()
}

// rootsChannelWait bounds the wait for the session's own channel (over
// Streamable HTTP, the client's GET stream) before its roots are fetched.
const rootsChannelWait = 3 * time.Second

// fetchRoots asks the client for its roots and stores them. It reports false,
// and emits a session error, when that fails.
func (s *Server) fetchRoots(sess *Session) ([]Root, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.RequestTimeout)
	defer cancel()
	// Over Streamable HTTP the request needs the client's GET stream, which
	// clients open right after the handshake: give it a moment.
	if !sess.waitOutbound(ctx, rootsChannelWait) {
		if sess.isClosed() {
			return nil, false // the client left first: nothing to report
		}
		sess.emitError(fmt.Errorf("fastmcp: cannot fetch the client's roots: %w (the client opened no GET stream within %v)", errNoChannel, rootsChannelWait))
		return nil, false
	}
	roots, err := sess.ListRoots(ctx, nil)
	if err != nil {
		sess.emitError(fmt.Errorf("fastmcp: fetching the client's roots: %w", err))
		return nil, false
	}
	sess.mu.Lock()
	sess.roots = roots
	sess.mu.Unlock()
	if sess.shared != nil { // clustered: every replica learns them (cluster.go)
		raw, _ := json.Marshal(roots)
		sess.shared.setOrLog(fieldRoots, raw)
	}
	return roots, true
}
