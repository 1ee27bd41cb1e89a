package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// peer is the JSON-RPC state FastMCP keeps for one client it talks with in
// both directions, whatever carries the messages: the client's requests being
// served (so notifications/cancelled finds them) and the server's requests to
// the client waiting for an answer (so a response finds its caller, and
// progress reports reach it). A handshake-era Session has one; a stdio
// connection's 2026-07-28 requests use its session's.
//
// Every transport delivers what arrives to it through the engine (see
// Server.serveMessage); no transport keeps state of its own for this.
type peer struct {
	mu sync.Mutex
	// inflight lists the requests being served. A slice: there are few at a
	// time, and adding one must not allocate.
	inflight []*request
	// pending maps the ids of server-to-client requests to the channel that
	// receives their response; created on first use.
	pending map[string]chan *jsonrpc.Message
	// progress routes notifications/progress for server-to-client requests
	// to the request waiting for them, by progress token; created on demand.
	progress map[string]chan ProgressParams
	nextID   int64
	// limit bounds len(inflight); 0 means no bound.
	limit int
	// prefix, in clustered mode, is the replica id that starts the ids of
	// the server's requests and its progress tokens, so that an answer
	// reaching another replica finds its way back (cluster.go); "" otherwise.
	prefix string
}

// errTooManyRequests refuses a request beyond the peer's in-flight limit.
var errTooManyRequests = errors.New("fastmcp: too many requests in flight")

// track registers a request being served, so notifications/cancelled can
// find it. It fails when the peer already serves its limit of requests.
func (p *peer) track(r *request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit > 0 && len(p.inflight) >= p.limit {
		return errTooManyRequests
	}
	p.inflight = append(p.inflight, r)
	return nil
}

func (p *peer) untrack(r *request) {
	p.mu.Lock()
	for i, x := range p.inflight {
		if x == r {
			last := len(p.inflight) - 1
			p.inflight[i] = p.inflight[last]
			p.inflight[last] = nil
			p.inflight = p.inflight[:last]
			break
		}
	}
	p.mu.Unlock()
}

// running returns the ids of the requests being served.
func (p *peer) running() []json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]json.RawMessage, len(p.inflight))
	for i, r := range p.inflight {
		ids[i] = r.id
	}
	return ids
}

// cancel cancels the request with the given id, as notifications/cancelled
// asks. Its response is not sent. It reports whether the request was found.
func (p *peer) cancel(id json.RawMessage, reason string) bool {
	key := jsonrpc.CompactID(id)
	p.mu.Lock()
	var r *request
	for _, x := range p.inflight {
		if jsonrpc.CompactID(x.id) == key {
			r = x
			break
		}
	}
	p.mu.Unlock()
	if r != nil && r.Method != "initialize" {
		r.cancelled.Store(true)
		r.cancel(fmt.Errorf("%w: %s", errClientCancelled, reason))
	}
	return r != nil
}

var errClientCancelled = errors.New("fastmcp: request cancelled by the client")

// cancelAll cancels every request being served, for cause, and forgets them.
func (p *peer) cancelAll(cause error) {
	p.mu.Lock()
	inflight := p.inflight
	p.inflight = nil
	p.mu.Unlock()
	for _, r := range inflight {
		r.cancel(cause)
	}
}

// deliver hands a response from the client to the request waiting for it. It
// reports false when no request waits for it.
func (p *peer) deliver(m *jsonrpc.Message) bool {
	key := jsonrpc.CompactID(m.ID)
	p.mu.Lock()
	ch := p.pending[key]
	delete(p.pending, key)
	p.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- m // buffered: the waiter may have given up
	return true
}

// deliverProgress hands a progress notification from the client to the
// server request that asked for it. It reports false when no request of this
// peer asked for it.
func (p *peer) deliverProgress(pp ProgressParams) bool {
	p.mu.Lock()
	ch := p.progress[jsonrpc.CompactID(pp.ProgressToken)]
	p.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case ch <- pp:
	default: // the requester is behind; drop rather than block the reader
	}
	return true
}

// maxPendingCalls bounds the server-to-client requests waiting for answers on
// one peer: a handler that asks faster than the client answers fails rather
// than growing the table without end.
const maxPendingCalls = 4096

// call sends a server-to-client request on out and waits for the response.
// It gives up when ctx ends, done closes (the client is gone), or the timeout
// passes: opts.Timeout or timeout (reset by each progress report with
// opts.ResetTimeoutOnProgress, but never beyond opts.MaxTotalTimeout). A
// request given up is cancelled at the client with notifications/cancelled.
func (p *peer) call(ctx context.Context, out outbound, method string, raw json.RawMessage, opts *RequestOptions, timeout time.Duration, done <-chan struct{}) (json.RawMessage, error) {
	if opts == nil {
		opts = &RequestOptions{}
	}
	p.mu.Lock()
	if len(p.pending) >= maxPendingCalls {
		p.mu.Unlock()
		return nil, fmt.Errorf("fastmcp: %s: %d requests already wait for the client's answers", method, maxPendingCalls)
	}
	p.nextID++
	n := strconv.FormatInt(p.nextID, 10)
	id := json.RawMessage(n)
	if p.prefix != "" {
		id = json.RawMessage(`"` + p.prefix + ":" + n + `"`) // clustered (cluster.go)
	}
	key := string(id)
	ch := make(chan *jsonrpc.Message, 1)
	if p.pending == nil {
		p.pending = make(map[string]chan *jsonrpc.Message)
	}
	p.pending[key] = ch
	var progress chan ProgressParams
	token := ""
	if opts.OnProgress != nil {
		token = `"fastmcp-` + n + `"`
		if p.prefix != "" {
			token = `"` + p.prefix + ":p" + n + `"`
		}
		progress = make(chan ProgressParams, 16)
		if p.progress == nil {
			p.progress = make(map[string]chan ProgressParams)
		}
		p.progress[token] = progress
	}
	p.mu.Unlock()

	forget := func() {
		p.mu.Lock()
		delete(p.pending, key)
		if token != "" {
			delete(p.progress, token)
		}
		p.mu.Unlock()
	}
	if token != "" {
		var err error
		if raw, err = withProgressToken(raw, token); err != nil {
			forget()
			return nil, err
		}
	}
	if err := out.send(jsonrpc.AppendRequest(nil, id, method, raw)); err != nil {
		forget()
		return nil, fmt.Errorf("fastmcp: sending %s: %w", method, err)
	}

	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var maxTotal <-chan time.Time
	if opts.MaxTotalTimeout > 0 {
		t := time.NewTimer(opts.MaxTotalTimeout)
		defer t.Stop()
		maxTotal = t.C
	}
	giveUp := func(reason string, err error) (json.RawMessage, error) {
		forget()
		_ = sendNotification(out, "notifications/cancelled", map[string]any{"requestId": id, "reason": reason})
		return nil, err
	}
	for {
		select {
		case resp := <-ch:
			forget()
			if resp.Error != nil {
				e := &Error{Code: ErrorCode(resp.Error.Code), Message: resp.Error.Message}
				if resp.Error.Data != nil {
					e.Data = resp.Error.Data
				}
				return nil, e
			}
			return resp.Result, nil
		case pp := <-progress:
			opts.OnProgress(Progress{Progress: pp.Progress, Total: pp.Total, Message: pp.Message})
			if opts.ResetTimeoutOnProgress {
				timer.Reset(timeout)
			}
		case <-timer.C:
			return giveUp("request timed out", fmt.Errorf("fastmcp: %s: %w after %v", method, ErrRequestTimeout, timeout))
		case <-maxTotal:
			return giveUp("request timed out", fmt.Errorf("fastmcp: %s: %w (maximum total of %v)", method, ErrRequestTimeout, opts.MaxTotalTimeout))
		case <-ctx.Done():
			return giveUp("request cancelled", fmt.Errorf("fastmcp: %s: %w", method, context.Cause(ctx)))
		case <-done:
			forget()
			return nil, ErrSessionClosed
		}
	}
}

// ErrRequestTimeout is wrapped by errors of server-to-client requests that got
// no answer in time.
var ErrRequestTimeout = errors.New("fastmcp: the client did not answer in time")

// withProgressToken adds _meta.progressToken to raw request params.
func withProgressToken(raw json.RawMessage, token string) (json.RawMessage, error) {
	return editMeta(raw, func(meta map[string]json.RawMessage) error {
		meta["progressToken"] = json.RawMessage(token)
		return nil
	})
}

// withMeta adds members to the _meta of raw request params, keeping the
// members _meta already has.
func withMeta(raw json.RawMessage, add Meta) (json.RawMessage, error) {
	return editMeta(raw, func(meta map[string]json.RawMessage) error {
		for k, v := range add {
			if _, taken := meta[k]; taken {
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("_meta[%q]: %w", k, err)
			}
			meta[k] = b
		}
		return nil
	})
}

// editMeta decodes the _meta of raw params (an object), lets edit change it,
// and encodes the params again.
func editMeta(raw json.RawMessage, edit func(meta map[string]json.RawMessage) error) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("fastmcp: params must be an object to carry _meta: %w", err)
		}
	}
	meta := map[string]json.RawMessage{}
	if old, ok := m["_meta"]; ok {
		_ = json.Unmarshal(old, &meta)
	}
	if err := edit(meta); err != nil {
		return nil, err
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	m["_meta"] = mb
	return json.Marshal(m)
}

// tracker counts running goroutines and lets a caller wait for none.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0; nil until first used
}

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.idle)
	}
	t.mu.Unlock()
}

// wait waits until no goroutine runs, or d passes. It reports which.
func (t *tracker) wait(d time.Duration) bool {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return true
	}
	ch := t.idle
	t.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}
