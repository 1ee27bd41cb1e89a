// Package clustertest runs FastMCP servers as a cluster for tests: replicas as
// separate OS processes behind a round-robin reverse proxy with no affinity,
// as a plain load balancer would put them.
package clustertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// Proxy is a round-robin reverse proxy over a set of backends, without
// session affinity: each request goes to the next backend. A request whose
// backend refuses the connection (a dead replica) is tried on the next, as
// nginx's proxy_next_upstream does; one that fails after it was sent is
// answered 502. Streams (SSE) are flushed as they arrive.
type Proxy struct {
	// URL is the proxy's base URL (http://127.0.0.1:port).
	URL string

	srv  *httptest.Server
	mu   sync.Mutex
	back []*url.URL
	next atomic.Uint64
	// Served counts the requests each backend answered, by host:port.
	served sync.Map // string -> *atomic.Int64
}

// NewProxy starts a proxy over the backends (base URLs such as
// http://127.0.0.1:8080) and closes it when t ends.
func NewProxy(t testing.TB, backends ...string) *Proxy {
	t.Helper()
	p := &Proxy{}
	p.SetBackends(backends...)
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) {}, // the transport picks the backend
		Transport:     &roundRobin{p: p, base: http.DefaultTransport.(*http.Transport).Clone()},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			http.Error(w, "clustertest proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = httptest.NewServer(rp)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SetBackends replaces the backends.
func (p *Proxy) SetBackends(backends ...string) {
	var us []*url.URL
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			panic(fmt.Sprintf("clustertest: backend %q: %v", b, err))
		}
		us = append(us, u)
	}
	p.mu.Lock()
	p.back = us
	p.mu.Unlock()
}

// Served returns how many requests the backend at host:port answered.
func (p *Proxy) Served(hostport string) int64 {
	if v, ok := p.served.Load(hostport); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// roundRobin sends each request to the next backend, moving on when a
// backend refuses the connection.
type roundRobin struct {
	p    *Proxy
	base *http.Transport
}

func (rr *roundRobin) RoundTrip(r *http.Request) (*http.Response, error) {
	rr.p.mu.Lock()
	backs := rr.p.back
	rr.p.mu.Unlock()
	if len(backs) == 0 {
		return nil, errors.New("no backends")
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
	}
	start := rr.p.next.Add(1)
	var lastErr error
	for i := range backs {
		b := backs[(start+uint64(i))%uint64(len(backs))]
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host = b.Scheme, b.Host
		out.Host = b.Host
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		resp, err := rr.base.RoundTrip(out)
		if err == nil {
			v, _ := rr.p.served.LoadOrStore(b.Host, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			return resp, nil
		}
		lastErr = err
		if !refused(err) {
			return nil, err // sent, and failed: the client must see it
		}
	}
	return nil, lastErr
}

// refused reports whether err means the backend took no connection, so the
// request was never sent.
func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}
