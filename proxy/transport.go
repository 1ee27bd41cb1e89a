package proxy

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxEventSize bounds one event of an upstream response stream, as the Go
// SDK does.
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

// upstreamRT sets the upstream's headers on every HTTP request of a session.
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
	return rt.base.RoundTrip(req)
}

// wrapTransport wraps the connection of a transport whose messages all
// arrive on one stream (stdio, legacy SSE) in a msgConn.
type wrapTransport struct {
	inner mcp.Transport
	s     *upSession
}

// Connect connects the inner transport with a context that lives as long as
// the connection: the legacy SSE transport reads its stream under the
// context it connected with, and ctx (bounded by ConnectTimeout) ends as soon
// as the session is open.
func (w *wrapTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	connCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	c, err := w.inner.Connect(connCtx)
	if !stop() {
		// ctx ended first: the connection is abandoned.
		if err == nil {
			c.Close()
		}
		return nil, ctx.Err()
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &msgConn{Connection: c, s: w.s, cancel: cancel}, nil
}

// msgConn reads the messages of a stdio or legacy SSE upstream before the Go
// SDK does, handing the progress and log notifications of calls to them in
// stream order: the Go SDK delivers notifications on a queue of their own,
// which the result that follows them could overtake.
type msgConn struct {
	mcp.Connection
	s      *upSession
	cancel context.CancelFunc // ends the connection's context
}

func (c *msgConn) Close() error {
	err := c.Connection.Close()
	c.cancel()
	return err
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
