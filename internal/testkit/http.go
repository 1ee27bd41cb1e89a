package testkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

// HTTPServer is a server's HTTP handler served on 127.0.0.1 by httptest.
type HTTPServer struct {
	*httptest.Server
	// Handler is the handler served.
	Handler *fastmcp.HTTPHandler
	// Endpoint is the URL of the Streamable HTTP endpoint.
	Endpoint string
}

// ServeHTTP serves s.Handler(opts) until the test ends. The handler is
// closed before the listener, so open streams end.
func ServeHTTP(t testing.TB, s *fastmcp.Server, opts fastmcp.HTTP) *HTTPServer {
	t.Helper()
	h := s.Handler(opts)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { h.Close() })
	ep := opts.Endpoint
	if ep == "" {
		ep = "/mcp"
	}
	return &HTTPServer{Server: ts, Handler: h, Endpoint: ts.URL + strings.TrimRight(opts.BasePath, "/") + ep}
}

// HTTPClient returns an HTTP client with its own connection pool, closed when
// the test ends.
func HTTPClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
