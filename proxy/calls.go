package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxPendingInputs caps the requests (sampling, elicitation, roots) an
// upstream may have waiting on one call; beyond it they are refused.
const maxPendingInputs = 16

// request is what a call asks the upstream: one of tools/call, prompts/get,
// resources/read and completion/complete, less the _meta and the retry
// members the proxy adds.
type request struct {
	method   string
	name     string            // tools/call, prompts/get
	args     json.RawMessage   // tools/call
	headers  []headerParam     // tools/call: the arguments mirrored in headers (2026-07-28)
	pargs    map[string]string // prompts/get
	uri      string            // resources/read
	complete *mcp.CompleteParams
}

// retryParams are the inputResponses and requestState of a retry.
type retryParams struct {
	responses mcp.InputResponseMap
	raw       json.RawMessage // the responses as JSON
	state     string
}

// call is one request forwarded to the upstream (tools/call, prompts/get,
// resources/read, completion/complete), from the moment it is sent until its
// result has been relayed. Its upstream request has a context of its own, not
// the downstream request's: a call can outlive the downstream request that
// started it, when a 2026-07-28 client must answer a question of a
// handshake-era upstream in a later request (the call is then parked). Over
// Streamable HTTP the handler of the downstream request reads the answer
// itself until the upstream asks for input; otherwise a goroutine sends the
// request and the handler relays what it queues (run).
type call struct {
	p    *Proxy
	id   string // unguessable; the request's JSON-RPC id and progress token
	pool *pool
	key  string     // the principal's credentials key
	sess *upSession // set by pool.acquire
	up   context.CancelFunc
	done chan struct{} // closed when the upstream answered
	res  json.RawMessage
	err  error

	wake chan struct{} // signalled when events or inputs arrive

	// direct, for a Streamable HTTP session, sends the upstream request
	// and reads its answer on the handler's own goroutine (see forward);
	// down is the downstream request while it does.
	direct func() (json.RawMessage, error)
	down   *fastmcp.Context

	mu     sync.Mutex
	events []event
	inputs []*input // waiting to be asked downstream
	asked  []*input // asked downstream, awaiting the answers (parked)
	seq    int      // names the inputs asked of 2026-07-28 clients
	ended  bool
	timer  *time.Timer // parked-call timeout
}

// event is a progress or log notification of the upstream for a call.
type event struct {
	progress *mcp.ProgressNotificationParams
	log      *mcp.LoggingMessageParams
}

// input is a request of the upstream for a call: sampling, elicitation or
// roots, waiting for the downstream client's answer.
type input struct {
	method   string
	req      fastmcp.InputRequest
	elicitID string // of a URL-mode elicitation
	key      string
	answer   chan inputAnswer // buffered: the answer never blocks
}

type inputAnswer struct {
	resp fastmcp.InputResponse
	err  error
}

// start sends a call's first request to the upstream on a session of pl: on
// a goroutine of its own, or, over Streamable HTTP, later, on the handler's
// (c.direct).
func (p *Proxy) start(ctx *fastmcp.Context, pl *pool, key string, r *request, retry *retryParams, pin string) (*call, error) {
	c := &call{p: p, id: p.callID(), pool: pl, key: key, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	upCtx, cancel := context.WithCancel(p.ctx)
	c.up = cancel
	s, err := pl.acquire(ctx, c, pin)
	if err != nil {
		cancel()
		return nil, err
	}
	meta := p.upstreamMeta(ctx, s, c)
	p.stats.calls.Add(1)
	if s.hc != nil {
		c.direct = func() (json.RawMessage, error) { return p.post(upCtx, s, c, r, meta, retry) }
		return c, nil
	}
	// The session's reader finds the call by its progress token.
	p.calls.Store(c.id, c)
	go func() {
		res, err := p.send(upCtx, s, c, r, meta, retry)
		c.complete(res, err)
	}()
	return c, nil
}

// callID names a new call: unique within the proxy, and not guessable
// without the proxy's random prefix.
func (p *Proxy) callID() string {
	return p.idPrefix + strconv.FormatUint(p.nextID.Add(1), 36)
}

// complete records the upstream's answer to the call.
func (c *call) complete(res json.RawMessage, err error) {
	p, pl, s := c.p, c.pool, c.sess
	if s.hc == nil {
		p.calls.Delete(c.id)
	}
	pl.release(c)
	if isSessionGone(err) {
		// Later calls must not pick the dead session again.
		pl.remove(s)
		s.close()
	}
	c.res, c.err = res, err
	close(c.done)
}

// isSessionGone reports whether err says the upstream session no longer
// exists (the upstream ended it, or its process exited).
func isSessionGone(err error) bool {
	return errors.Is(err, mcp.ErrSessionMissing) || errors.Is(err, mcp.ErrConnectionClosed)
}

// upstreamMeta is the _meta of the upstream request of a call: the
// downstream request's, less the protocol's own members, with the call's
// progress token when the client asked for progress, and, for a 2026-07-28
// upstream, the downstream client's capabilities and log level.
func (p *Proxy) upstreamMeta(ctx *fastmcp.Context, s *upSession, c *call) mcp.Meta {
	var meta mcp.Meta
	set := func(k string, v any) {
		if meta == nil {
			meta = mcp.Meta{}
		}
		meta[k] = v
	}
	for k, v := range ctx.Meta() {
		if k == "progressToken" || strings.HasPrefix(k, "io.modelcontextprotocol/") {
			continue
		}
		set(k, v)
	}
	if _, ok := ctx.Meta()["progressToken"]; ok {
		set("progressToken", c.id)
	}
	if s.modern {
		if caps, err := json.Marshal(ctx.ClientCapabilities()); err == nil {
			set(mcp.MetaKeyClientCapabilities, json.RawMessage(caps))
		}
		if lvl := downstreamLogLevel(ctx); lvl != "" {
			set(mcp.MetaKeyLogLevel, lvl)
		}
	}
	return meta
}

// downstreamLogLevel is the level of the log messages the downstream client
// wants for the request, or "" for none.
func downstreamLogLevel(ctx *fastmcp.Context) string {
	if ds := ctx.Session(); ds != nil {
		return string(ds.LoggingLevel())
	}
	if lvl, ok := ctx.Meta()[mcp.MetaKeyLogLevel].(string); ok {
		return lvl
	}
	return ""
}

// push queues a progress or log notification for the downstream request. A
// slow client makes the proxy drop notifications, never wait.
func (c *call) push(ev event) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if len(c.events) >= c.p.opts.MaxPendingMessages {
		c.mu.Unlock()
		c.p.stats.dropped.Add(1)
		if h := c.p.onDrop; h != nil {
			h()
		}
		return
	}
	c.events = append(c.events, ev)
	c.mu.Unlock()
	c.signal()
}

func (c *call) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// ask hands an upstream request to the call and waits for the downstream
// client's answer.
func (c *call) ask(ctx context.Context, up *upInput) (fastmcp.InputResponse, error) {
	in, err := c.add(up)
	if err != nil {
		return fastmcp.InputResponse{}, err
	}
	c.signal()
	return c.await(ctx, in)
}

// add queues an upstream request for the call's downstream client, without
// waking the call: several requests read together are asked together.
func (c *call) add(up *upInput) (*input, error) {
	in := &input{method: up.method, req: up.request(), answer: make(chan inputAnswer, 1)}
	if up.elicit != nil {
		in.elicitID = up.elicit.ElicitationID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, errors.New("the call this request belongs to has ended")
	}
	if len(c.inputs)+len(c.asked) >= maxPendingInputs {
		return nil, fmt.Errorf("too many requests pending on one call (at most %d)", maxPendingInputs)
	}
	c.inputs = append(c.inputs, in)
	return in, nil
}

// await waits for the answer to an input.
func (c *call) await(ctx context.Context, in *input) (fastmcp.InputResponse, error) {
	select {
	case a := <-in.answer:
		return a.resp, a.err
	case <-ctx.Done():
		return fastmcp.InputResponse{}, ctx.Err()
	case <-c.done:
		// The upstream answered the call without waiting for this one.
		select {
		case a := <-in.answer:
			return a.resp, a.err
		default:
			return fastmcp.InputResponse{}, errors.New("the call this request belongs to has ended")
		}
	}
}

// take removes the queued events and inputs.
func (c *call) take() ([]event, []*input) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, in := c.events, c.inputs
	c.events, c.inputs = nil, nil
	return ev, in
}

// relay sends events to the downstream request.
func relay(ctx *fastmcp.Context, events []event) {
	for _, ev := range events {
		switch {
		case ev.progress != nil:
			pr := ev.progress
			_ = ctx.ReportProgress(fastmcp.Progress{Progress: pr.Progress, Total: pr.Total, Message: pr.Message})
		case ev.log != nil:
			logTo(ctx, ev.log)
		}
	}
}

// run relays the call's events and inputs to the downstream request ctx
// until the upstream answers; it returns ErrInputRequired when the call was
// parked for a 2026-07-28 client to answer in a later request.
func (c *call) run(ctx *fastmcp.Context) error {
	for {
		events, inputs := c.take()
		relay(ctx, events)
		if len(inputs) > 0 {
			if err := c.answer(ctx, inputs); err != nil {
				return err
			}
			continue
		}
		select {
		case <-c.wake:
		case <-c.done:
			c.mu.Lock()
			c.ended = true
			c.mu.Unlock()
			events, inputs := c.take()
			relay(ctx, events)
			for _, in := range inputs {
				in.answer <- inputAnswer{err: errors.New("the call ended")}
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// answer asks the downstream client for inputs and hands the answers to the
// upstream. A 2026-07-28 client answers in its next request: the call is
// parked until then, and answer returns ErrInputRequired.
func (c *call) answer(ctx *fastmcp.Context, inputs []*input) error {
	reqs := make([]fastmcp.InputRequest, len(inputs))
	c.mu.Lock()
	for i, in := range inputs {
		if in.key == "" {
			c.seq++
			in.key = fmt.Sprintf("%s-%d", inputKind(in.method), c.seq)
		}
		reqs[i] = in.req.WithKey(in.key)
	}
	c.mu.Unlock()
	c.p.noteElicitations(ctx, inputs)
	// A 2026-07-28 client answers in a later request, for which the call
	// must be held: make sure it can be before asking (once asked, FastMCP
	// answers input_required whatever the handler returns).
	reserved := false
	if ctx.Session() == nil && ctx.ProtocolVersion() >= fastmcp.ProtocolVersion20260728 {
		// Each round costs the client a request: gather the upstream's
		// requests sent together (one Ask of several questions arrives as
		// several requests) into one.
		inputs = c.gather(inputs)
		reqs = reqs[:0]
		c.mu.Lock()
		for _, in := range inputs {
			if in.key == "" {
				c.seq++
				in.key = fmt.Sprintf("%s-%d", inputKind(in.method), c.seq)
			}
			reqs = append(reqs, in.req.WithKey(in.key))
		}
		c.mu.Unlock()
		if err := c.p.parked.reserve(); err != nil {
			for _, in := range inputs {
				in.answer <- inputAnswer{err: err}
			}
			return err
		}
		reserved = true
	}
	answers, err := ctx.Ask(reqs...)
	if errors.Is(err, fastmcp.ErrInputRequired) && reserved {
		c.p.parked.park(c, inputs, c.p.opts.ParkedCallTimeout)
		ctx.SetRequestState(encodeState(resumeState{Parked: c.id}))
		return err
	}
	if reserved {
		c.p.parked.unreserve()
	}
	for i, in := range inputs {
		if err != nil {
			in.answer <- inputAnswer{err: err}
		} else {
			in.answer <- inputAnswer{resp: answers[i]}
		}
	}
	return nil
}

// inputBatchWindow is how long a call waits, after the upstream's first
// request for input, for others sent with it, before asking a 2026-07-28
// client (which answers them all in one retry).
const inputBatchWindow = 20 * time.Millisecond

// gather adds to inputs the requests arriving within inputBatchWindow.
func (c *call) gather(inputs []*input) []*input {
	t := time.NewTimer(inputBatchWindow)
	defer t.Stop()
	for {
		select {
		case <-c.wake:
			c.mu.Lock()
			inputs = append(inputs, c.inputs...)
			c.inputs = nil
			c.mu.Unlock()
		case <-t.C:
			return inputs
		case <-c.done:
			return inputs
		}
	}
}

func inputKind(method string) string {
	switch method {
	case "sampling/createMessage":
		return "sampling"
	case "elicitation/create":
		return "elicitation"
	case "roots/list":
		return "roots"
	}
	return "input"
}

// resumeState is the proxy's requestState across the rounds of a 2026-07-28
// client's multi round-trip request. FastMCP signs it (and binds it to the
// user and the request), so a client cannot forge it. The retry of a
// 2026-07-28 upstream goes to the session of the previous round (Session)
// when it is still open: the upstream's requestState may be valid only
// there (a stdio upstream is one process per session).
type resumeState struct {
	// Parked names the parked call (handshake-era upstream).
	Parked string `json:"parked,omitempty"`
	// State, Requests and Keys are the previous round of a 2026-07-28
	// upstream: its requestState, its inputRequests, and the downstream key
	// of each upstream key that had to be renamed.
	State    string            `json:"state,omitempty"`
	Session  string            `json:"session,omitempty"`
	Requests json.RawMessage   `json:"requests,omitempty"`
	Keys     map[string]string `json:"keys,omitempty"`
	Used     []string          `json:"used,omitempty"`
}

func encodeState(st resumeState) []byte {
	b, _ := json.Marshal(st)
	return b
}

// forward runs a call through to its result: the upstream request, then the
// rounds of input the upstream asks for, in whichever era each side speaks.
func (p *Proxy) forward(ctx *fastmcp.Context, r *request) (json.RawMessage, error) {
	pl, key, err := p.poolOf(ctx)
	if err != nil {
		return nil, err
	}
	var c *call
	var retry *retryParams
	var st resumeState
	if raw := ctx.RequestState(); len(raw) > 0 {
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fastmcp.NewError(fastmcp.CodeInvalidParams, "proxy: unreadable requestState")
		}
		switch {
		case st.Parked != "":
			c = p.parked.resume(st.Parked, key)
			if c == nil {
				return nil, fastmcp.NewError(fastmcp.CodeInvalidParams, "proxy: the earlier round of this request is no longer held (it expired, or the retry reached another proxy process)")
			}
			if err := c.answer(ctx, c.takeAsked()); err != nil {
				return nil, err
			}
		default:
			retry, err = p.answerModern(ctx, st)
			if err != nil {
				return nil, err
			}
		}
	}
	for attempt, lookups := 0, 0; ; {
		if c == nil {
			c, err = p.start(ctx, pl, key, r, retry, st.Session)
			if errors.Is(err, errPoolGone) && lookups < 3 {
				// Dropped between the lookup and the call: look again.
				lookups++
				if pl, key, err = p.poolOf(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, upstreamError(ctx, err)
			}
			if c.direct != nil {
				// Read the answer here, relaying what comes before it as it
				// comes: no goroutine, no hand-off. A request for input
				// moves the reading to a goroutine (errDetached), and the
				// call goes on as the others do (run).
				c.down = ctx
				stop := context.AfterFunc(ctx, c.up)
				res, err := c.direct()
				stop()
				if !errors.Is(err, errDetached) {
					c.complete(res, err)
				}
			}
		}
		if err := c.run(ctx); err != nil {
			if !errors.Is(err, fastmcp.ErrInputRequired) {
				// The upstream request ends at once when cancelled; waiting
				// for it keeps the session's accounting exact.
				c.up()
				<-c.done
			}
			return nil, err
		}
		res, err := c.res, c.err
		c.up()
		if err != nil {
			if isSessionGone(err) && attempt == 0 && retry == nil && ctx.Err() == nil {
				// The upstream forgot the session (it expired there, or the
				// process exited): once, on a fresh one.
				attempt++
				c = nil
				continue
			}
			return nil, upstreamError(ctx, err)
		}
		ir, needs, err := inputRequestsOf(res)
		if err != nil {
			return nil, upstreamError(ctx, err)
		}
		if !needs {
			return res, nil
		}
		st = resumeState{State: ir.RequestState, Requests: ir.InputRequests, Used: st.Used, Session: c.sess.id}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(ir.InputRequests, &keys); err != nil {
			return nil, upstreamError(ctx, fmt.Errorf("the upstream's inputRequests: %w", err))
		}
		st.Keys = map[string]string{}
		for k := range keys {
			dk := k
			for n := 2; contains(st.Used, dk); n++ {
				dk = fmt.Sprintf("%s.%d", k, n)
			}
			if dk != k {
				st.Keys[k] = dk
			}
			st.Used = append(st.Used, dk)
		}
		if retry, err = p.answerModern(ctx, st); err != nil {
			return nil, err
		}
		c = nil
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// answerModern asks the downstream client for the inputs a 2026-07-28
// upstream asked for, and returns the retry carrying the answers. For a
// 2026-07-28 client it returns ErrInputRequired until its retry brings them.
func (p *Proxy) answerModern(ctx *fastmcp.Context, st resumeState) (*retryParams, error) {
	var upReqs mcp.InputRequestMap
	if err := json.Unmarshal(st.Requests, &upReqs); err != nil {
		return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's input requests: %v", err)
	}
	keys := make([]string, 0, len(upReqs))
	for k := range upReqs {
		keys = append(keys, k)
	}
	reqs := make([]fastmcp.InputRequest, len(keys))
	for i, k := range keys {
		in, err := inputFromUpstream(upReqs[k])
		if err != nil {
			return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's input request %q: %v", k, err)
		}
		req := in.request()
		dk := k
		if v, ok := st.Keys[k]; ok {
			dk = v
		}
		reqs[i] = req.WithKey(dk)
	}
	answers, err := ctx.Ask(reqs...)
	if err != nil {
		if errors.Is(err, fastmcp.ErrInputRequired) {
			ctx.SetRequestState(encodeState(st))
		}
		return nil, err
	}
	raw := make(map[string]json.RawMessage, len(keys))
	for i, k := range keys {
		raw[k] = answerJSON(answers[i])
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var responses mcp.InputResponseMap
	if err := json.Unmarshal(b, &responses); err != nil {
		return nil, fastmcp.NewError(fastmcp.CodeInvalidParams, "proxy: the client's answers: %v", err)
	}
	return &retryParams{responses: responses, raw: b, state: st.State}, nil
}

// inputRequired is the part of a result that asks for input (2026-07-28).
type inputRequired struct {
	ResultType    string          `json:"resultType"`
	InputRequests json.RawMessage `json:"inputRequests"`
	RequestState  string          `json:"requestState"`
}

// inputRequestsOf reads whether a result asks for input.
func inputRequestsOf(res json.RawMessage) (*inputRequired, bool, error) {
	if !bytes.Contains(res, []byte(`"input_required"`)) {
		return nil, false, nil
	}
	var ir inputRequired
	if err := json.Unmarshal(res, &ir); err != nil {
		return nil, false, err
	}
	return &ir, ir.ResultType == "input_required", nil
}

// poolOf returns the pool of the caller of ctx and its credentials key.
func (p *Proxy) poolOf(ctx *fastmcp.Context) (*pool, string, error) {
	pu := p.opts.PerUser
	caps := p.capsKey(ctx)
	if pu == nil {
		if ds := ctx.Session(); ds != nil {
			// Stored once per session: a Store allocates even when
			// the value is already there.
			if k, ok := p.sessKeys.Load(ds); !ok || k != "" {
				p.sessKeys.Store(ds, "")
			}
		}
		if caps == fullCaps {
			return p.shared(), "", nil
		}
		pl, err := p.poolFor(Credentials{}, caps)
		if err != nil {
			return nil, "", upstreamError(ctx, err)
		}
		return pl, "", nil
	}
	creds, err := pu.Identify(ctx)
	if err != nil {
		return nil, "", fastmcp.NewError(fastmcp.CodeInvalidRequest, "proxy: %v", err)
	}
	if creds.Key == "" {
		return nil, "", fastmcp.NewError(fastmcp.CodeInternalError, "proxy: PerUser.Identify returned credentials without a Key")
	}
	pl, err := p.poolFor(creds, caps)
	if err != nil {
		return nil, "", fastmcp.NewError(fastmcp.CodeInternalError, "%v", err)
	}
	if ds := ctx.Session(); ds != nil {
		if k, ok := p.sessKeys.Load(ds); !ok || k != creds.Key {
			p.sessKeys.Store(ds, creds.Key)
		}
	}
	return pl, creds.Key, nil
}

// upstreamError turns an error of the upstream into the downstream's: a
// JSON-RPC error keeps its code, message and data; anything else says the
// upstream failed.
func upstreamError(ctx *fastmcp.Context, err error) error {
	var fe *fastmcp.Error
	if errors.As(err, &fe) {
		return err
	}
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		code := fastmcp.ErrorCode(we.Code)
		if code == fastmcp.CodeResourceNotFound && ctx.ProtocolVersion() >= fastmcp.ProtocolVersion20260728 {
			code = fastmcp.CodeInvalidParams // how 2026-07-28 says it
		}
		out := &fastmcp.Error{Code: code, Message: we.Message}
		if len(we.Data) > 0 {
			out.Data = json.RawMessage(we.Data)
		}
		return out
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrClosed) {
		return fastmcp.NewError(fastmcp.CodeInternalError, "proxy: closed")
	}
	return fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream failed: %v", err)
}

// parkedCalls holds the calls parked between the rounds of 2026-07-28
// clients' requests.
type parkedCalls struct {
	mu       sync.Mutex
	max      int
	reserved int // slots promised to calls about to park
	calls    map[string]*call
}

func (pc *parkedCalls) init(max int) {
	pc.max = max
	pc.calls = map[string]*call{}
}

func (pc *parkedCalls) len() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.calls)
}

// reserve promises a slot to a call that may park.
func (pc *parkedCalls) reserve() error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.calls == nil {
		return ErrClosed
	}
	if len(pc.calls)+pc.reserved >= pc.max {
		return fmt.Errorf("proxy: %d calls are already waiting for their clients' answers (Options.MaxParkedCalls)", pc.max)
	}
	pc.reserved++
	return nil
}

func (pc *parkedCalls) unreserve() {
	pc.mu.Lock()
	pc.reserved--
	pc.mu.Unlock()
}

// park holds c, with the inputs asked of the client, until resume or the
// timeout, which cancels the upstream call. It takes a slot reserved
// before.
func (pc *parkedCalls) park(c *call, asked []*input, timeout time.Duration) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.reserved--
	c.mu.Lock()
	if pc.calls == nil {
		c.asked = asked
		c.mu.Unlock()
		go c.abandon(ErrClosed)
		return
	}
	c.asked = asked
	c.timer = time.AfterFunc(timeout, func() {
		pc.mu.Lock()
		held := pc.calls[c.id] == c
		delete(pc.calls, c.id)
		pc.mu.Unlock()
		if held {
			c.abandon(errors.New("the client did not come back with the answers in time"))
		}
	})
	c.mu.Unlock()
	pc.calls[c.id] = c
}

// resume takes the parked call id of the principal key.
func (pc *parkedCalls) resume(id, key string) *call {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	c := pc.calls[id]
	if c == nil || c.key != key {
		return nil
	}
	delete(pc.calls, id)
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	return c
}

func (pc *parkedCalls) closeAll() {
	pc.mu.Lock()
	calls := pc.calls
	pc.calls = nil
	pc.mu.Unlock()
	for _, c := range calls {
		c.abandon(ErrClosed)
	}
}

// takeAsked returns the inputs a parked call asked of its client.
func (c *call) takeAsked() []*input {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.asked
	c.asked = nil
	return a
}

// abandon fails a parked call's pending inputs and cancels its upstream
// request.
func (c *call) abandon(err error) {
	c.up() // first, so the upstream sees a cancellation, not an error
	for _, in := range c.takeAsked() {
		in.answer <- inputAnswer{err: err}
	}
}
