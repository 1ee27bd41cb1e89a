package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// callKey carries the *call of an upstream request in the request's context,
// so that the HTTP transport can tie the messages of the request's response
// stream to the call.
type callKey struct{}

// tagKey is the _meta member the proxy adds to the requests an upstream
// sends on the response stream of a call, naming the call. It never leaves
// the proxy: it is read and removed before the request goes downstream.
const tagKey = "fastmcp-go.proxy/call"

// maxEventSize bounds one event of an upstream response stream the proxy
// reads. A larger event is passed on untouched (the Go SDK applies its own
// limit, the same), and the messages after it are no longer tied to the call.
const maxEventSize = mcp.DefaultMaxEventSize

// display names the upstream in messages.
func (u *Upstream) display() string {
	if u.URL != "" {
		return u.URL
	}
	return strings.Join(u.Command, " ")
}

// transport returns the Go SDK transport of a new session s opened with
// creds; for Streamable HTTP it sets s.hc.
func (p *Proxy) transport(s *upSession, creds Credentials) (mcp.Transport, error) {
	u := p.opts.Upstream
	if u.URL != "" {
		base := p.httpTransport
		hc := &http.Client{}
		if u.HTTPClient != nil {
			*hc = *u.HTTPClient
			if u.HTTPClient.Transport != nil {
				base = u.HTTPClient.Transport
			}
		}
		hc.Transport = &upstreamRT{p: p, s: s, base: base}
		if u.SSE {
			return &wrapTransport{inner: &mcp.SSEClientTransport{Endpoint: u.URL, HTTPClient: hc}, s: s}, nil
		}
		s.hc = hc
		return &mcp.StreamableClientTransport{Endpoint: u.URL, HTTPClient: hc}, nil
	}
	cmd := exec.Command(u.Command[0], u.Command[1:]...)
	cmd.Env = append(append(os.Environ(), u.Env...), creds.Env...)
	cmd.Dir = u.Dir
	cmd.Stderr = u.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	return &wrapTransport{inner: &mcp.CommandTransport{Command: cmd}, s: s}, nil
}

// upstreamRT sets the upstream's headers on every HTTP request of a session
// and, on a 2026-07-28 session, reads the response streams of its calls
// (see sseTap).
type upstreamRT struct {
	p    *Proxy
	s    *upSession
	base http.RoundTripper
}

func (rt *upstreamRT) RoundTrip(req *http.Request) (*http.Response, error) {
	fixed := rt.p.opts.Upstream.Header
	rt.s.pool.mu.Lock()
	own := rt.s.pool.creds.Header
	rt.s.pool.mu.Unlock()
	if len(fixed) > 0 || len(own) > 0 {
		req = req.Clone(req.Context())
		for k, v := range fixed {
			req.Header[k] = v
		}
		for k, v := range own {
			req.Header[k] = v
		}
	}
	resp, err := rt.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || req.Header.Get("MCP-Protocol-Version") < "2026-07-28" {
		// Handshake-era calls are posted and read by Proxy.post.
		return resp, err
	}
	c, _ := req.Context().Value(callKey{}).(*call)
	if c == nil {
		return resp, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return resp, nil
	}
	resp.Body = &sseTap{body: resp.Body, r: bufio.NewReader(resp.Body), p: rt.p, s: rt.s, c: c}
	return resp, nil
}

// sseTap reads the SSE stream answering one call (or resuming it) before the
// Go SDK does. The progress and log notifications on it are the call's: they
// are handed to the call there and then, in stream order, so that they reach
// the downstream client before the result that follows them (the Go SDK
// delivers notifications on a queue of their own, which the result can
// overtake). The requests on it (sampling, elicitation, roots) get the call's
// id in their _meta (tagKey), for the proxy's handler to find the call. The
// rest passes unchanged.
type sseTap struct {
	body io.ReadCloser
	r    *bufio.Reader
	p    *Proxy
	s    *upSession
	c    *call

	out  []byte
	off  int
	err  error
	raw  bool // after an oversized event: the rest is passed as is
	line []byte
}

func (t *sseTap) Close() error { return t.body.Close() }

func (t *sseTap) Read(b []byte) (int, error) {
	for t.off == len(t.out) {
		if t.err != nil {
			return 0, t.err
		}
		if t.raw {
			return t.r.Read(b)
		}
		t.out, t.off = t.out[:0], 0
		t.err = t.event()
	}
	n := copy(b, t.out[t.off:])
	t.off += n
	return n, nil
}

// event reads one event into t.out, rewritten as described on sseTap.
func (t *sseTap) event() error {
	start := len(t.out)
	var fields [][2]int // spans in t.out of the event's lines
	var data [][]byte
	for {
		line, err := t.readLine(maxEventSize - (len(t.out) - start))
		if errors.Is(err, errEventTooLarge) {
			t.out = append(t.out, line...)
			t.raw = true
			return nil
		}
		off := len(t.out)
		t.out = append(t.out, line...)
		// Slices of t.out stay valid: it is only appended to.
		trimmed := bytes.TrimRight(t.out[off:], "\r\n")
		if len(trimmed) == 0 {
			if err == nil {
				// The blank line ending the event.
				return t.rewrite(start, fields, data)
			}
			return err
		}
		fields = append(fields, [2]int{off, len(t.out)})
		if v, ok := bytes.CutPrefix(trimmed, []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(v, []byte(" ")))
		}
		if err != nil {
			return err // the stream ended inside an event: pass it on as is
		}
	}
}

var errEventTooLarge = errors.New("event too large")

// readLine reads a line of at most limit bytes, its line ending included.
func (t *sseTap) readLine(limit int) ([]byte, error) {
	t.line = t.line[:0]
	for {
		frag, err := t.r.ReadSlice('\n')
		t.line = append(t.line, frag...)
		if len(t.line) > limit {
			return t.line, errEventTooLarge
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return t.line, err
	}
}

// rewrite replaces the event at t.out[start:] (its fields, then the blank
// line) when it carries a notification or a request of the call.
func (t *sseTap) rewrite(start int, fields [][2]int, data [][]byte) error {
	if len(data) == 0 {
		return nil
	}
	payload := bytes.Join(data, []byte("\n"))
	if !bytes.Contains(payload, []byte(`"method"`)) {
		return nil // a response
	}
	var msg struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id,omitempty"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params,omitempty"`
	}
	if json.Unmarshal(payload, &msg) != nil || msg.Method == "" {
		return nil
	}
	var replacement []byte
	switch {
	case msg.ID == nil:
		if !t.p.notification(t.s, t.c, msg.Method, msg.Params) {
			return nil
		}
	default:
		params, err := setMeta(msg.Params, tagKey, t.c.id)
		if err != nil {
			return nil
		}
		msg.Params = params
		replacement, err = json.Marshal(msg)
		if err != nil {
			return nil
		}
	}
	// Keep the fields other than data (id, event, retry, comments), so that
	// the Go SDK still tracks the last event id for resumption.
	var out []byte
	for _, f := range fields {
		line := t.out[f[0]:f[1]]
		if !bytes.HasPrefix(line, []byte("data:")) {
			out = append(out, line...)
		}
	}
	if replacement != nil {
		out = append(out, "data: "...)
		out = append(out, replacement...)
		out = append(out, '\n')
	}
	if len(out) > 0 {
		out = append(out, '\n')
	}
	t.out = append(t.out[:start], out...)
	return nil
}

// setMeta returns params (a JSON object, or empty) with _meta[key] = value.
func setMeta(params json.RawMessage, key, value string) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(params) > 0 && string(params) != "null" {
		if err := json.Unmarshal(params, &obj); err != nil {
			return nil, err
		}
	}
	meta := map[string]json.RawMessage{}
	if m, ok := obj["_meta"]; ok && string(m) != "null" {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, err
		}
	}
	v, _ := json.Marshal(value)
	meta[key] = v
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	obj["_meta"] = m
	return json.Marshal(obj)
}

// wrapTransport wraps the connection of a transport whose messages all
// arrive on one stream (stdio, legacy SSE) in a msgConn.
type wrapTransport struct {
	inner mcp.Transport
	s     *upSession
}

func (w *wrapTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := w.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &msgConn{Connection: c, s: w.s}, nil
}

// msgConn reads the messages of a stdio or legacy SSE upstream before the Go
// SDK does, handing the progress and log notifications of calls to them in
// stream order (see sseTap for why).
type msgConn struct {
	mcp.Connection
	s *upSession
}

func (c *msgConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		m, err := c.Connection.Read(ctx)
		if err != nil {
			return nil, err
		}
		if r, ok := m.(*jsonrpc.Request); ok && !r.IsCall() {
			if c.s.pool.p.notification(c.s, nil, r.Method, r.Params) {
				continue
			}
		}
		return m, nil
	}
}
