package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/openapi"
)

// wait bounds every exchange a test waits for.
const wait = 10 * time.Second

// recorded is a request as the API server received it.
type recorded struct {
	Method  string
	Path    string // escaped, as sent
	Query   string // raw
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie
}

// recorder keeps the requests an API server receives.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (rec *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, Cookies: r.Cookies()})
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// last returns the last request received; the test fails when there is none.
func (rec *recorder) last(t *testing.T) recorded {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("the API received no request")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// parseFile parses a document of testdata.
func parseFile(t *testing.T, name string) *openapi.Document {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return doc
}

// serveMCP serves s over Streamable HTTP on a loopback port and returns the
// endpoint.
func serveMCP(t *testing.T, s *fastmcp.Server) string {
	t.Helper()
	h := s.Handler(fastmcp.HTTP{})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		h.Close()
	})
	return ts.URL + "/mcp"
}

// headerTransport adds headers to every request.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return h.base.RoundTrip(r)
}

// connect connects the official Go SDK client to an MCP endpoint over HTTP.
func connect(t *testing.T, endpoint string, header http.Header) *mcp.ClientSession {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "openapi-test-client", Version: "1.0.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1, DisableStandaloneSSE: true,
		HTTPClient: &http.Client{Transport: headerTransport{tr, header}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and fails the test on a protocol error.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

// textOf joins the text blocks of a result.
func textOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// mustOK fails the test when a result is an error.
func mustOK(t *testing.T, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("unexpected error result: %s", textOf(res))
	}
}

// mustError fails the test unless a result is an error whose text holds
// every want.
func mustError(t *testing.T, res *mcp.CallToolResult, want ...string) {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want an error result, got %s", textOf(res))
	}
	for _, w := range want {
		if !strings.Contains(textOf(res), w) {
			t.Fatalf("error result %q does not contain %q", textOf(res), w)
		}
	}
}

// structured returns a result's structured content as plain JSON values.
func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content %s is not an object: %v", b, err)
	}
	return m
}

// register registers doc on a new server and fails the test on an error or
// a skipped operation.
func register(t *testing.T, doc *openapi.Document, opts openapi.Options) (*fastmcp.Server, []openapi.Component) {
	t.Helper()
	s := fastmcp.New(fastmcp.Options{Name: "openapi-test", Version: "1.0.0"})
	comps, err := openapi.Register(s, doc, opts)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	for _, c := range comps {
		if c.Err != nil {
			t.Fatalf("%s %s skipped: %v", c.Operation.Method, c.Operation.Path, c.Err)
		}
	}
	return s, comps
}

func newServer() *fastmcp.Server {
	return fastmcp.New(fastmcp.Options{Name: "openapi-test", Version: "1.0.0"})
}
