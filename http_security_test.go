package fastmcp_test

// DNS-rebinding protection (Host and Origin checks) and CORS, over httptest
// servers on 127.0.0.1, where the loopback protection is active.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

const htInitBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sec","version":"1"}}}`

func TestDNSRebindingProtection(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		opts   fastmcp.HTTP
		method string // default POST of initialize
		path   string // default the endpoint
		host   string // "" for the server's own address; "$PORT" is replaced
		origin string // "$PORT" is replaced
		status int
	}
	cases := []tc{
		{name: "own address", status: 200},
		{name: "foreign Host", host: "evil.example.com", status: 403},
		{name: "foreign Host with port", host: "evil.example.com:$PORT", status: 403},
		{name: "foreign Origin", origin: "http://evil.example.com", status: 403},
		{name: "foreign Host and Origin", host: "evil.example.com", origin: "http://evil.example.com", status: 403},
		{name: "localhost", host: "localhost:$PORT", origin: "http://localhost:$PORT", status: 200},
		{name: "127.0.0.1", host: "127.0.0.1:$PORT", origin: "http://127.0.0.1:$PORT", status: 200},
		{name: "[::1]", host: "[::1]:$PORT", origin: "http://[::1]:$PORT", status: 200},
		{name: "localhost without port", host: "localhost", origin: "http://localhost", status: 200},
		{name: "[::1] without port", host: "[::1]", status: 200},
		{name: "LOCALHOST upper case", host: "LOCALHOST:$PORT", status: 200},
		{name: "loopback origin on another port", origin: "https://localhost:3000", status: 200},
		{name: "loopback-looking foreign name", host: "127.0.0.1.evil.example.com", status: 403},
		{name: "localhost-prefixed foreign name", host: "localhost.evil.example.com", status: 403},
		{name: "null Origin", origin: "null", status: 403},
		{name: "origin whose host is loopback only in its path", origin: "http://evil.example.com/127.0.0.1", status: 403},
		{name: "AllowedHosts admits a listed name", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}},
			host: "mcp.example.com", status: 200},
		{name: "AllowedHosts name admits any port", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}},
			host: "MCP.example.com:8443", status: 200},
		{name: "AllowedHosts keeps loopback", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}},
			host: "localhost:$PORT", status: 200},
		{name: "AllowedHosts refuses others", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}},
			host: "evil.example.com", status: 403},
		{name: "AllowedHosts with port admits that port", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com:8443"}},
			host: "mcp.example.com:8443", status: 200},
		{name: "AllowedHosts with port refuses another", opts: fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com:8443"}},
			host: "mcp.example.com:9999", status: 403},
		{name: "AllowedOrigins admits a listed origin", opts: fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}},
			origin: "https://app.example.com", status: 200},
		{name: "AllowedOrigins refuses others", opts: fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}},
			origin: "https://evil.example.com", status: 403},
		{name: "AllowedOrigins is exact", opts: fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}},
			origin: "http://app.example.com", status: 403},
		{name: "AllowedOrigins *", opts: fastmcp.HTTP{AllowedOrigins: []string{"*"}},
			origin: "https://anything.example.com", status: 200},
		{name: "AllowedOrigins does not admit a Host", opts: fastmcp.HTTP{AllowedOrigins: []string{"*"}},
			host: "evil.example.com", status: 403},
		{name: "disabled", opts: fastmcp.HTTP{DisableDNSRebindingProtection: true},
			host: "evil.example.com", origin: "http://evil.example.com", status: 200},
		{name: "health is exempt", method: "GET", path: "/health", host: "evil.example.com", origin: "http://evil.example.com", status: 200},
		{name: "ready is exempt", method: "GET", path: "/ready", host: "evil.example.com", origin: "http://evil.example.com", status: 200},
		{name: "GET stream is checked", method: "GET", host: "evil.example.com", status: 403},
		{name: "DELETE is checked", method: "DELETE", origin: "http://evil.example.com", status: 403},
		{name: "legacy SSE is checked", method: "GET", path: "/sse", host: "evil.example.com", status: 403},
		{name: "legacy messages are checked", path: "/messages?sessionId=x", origin: "http://evil.example.com", status: 403},
		{name: "preflight is checked", method: "OPTIONS", origin: "http://evil.example.com", status: 403},
		{name: "unknown paths are checked", method: "GET", path: "/nope", host: "evil.example.com", status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := testkit.ServeHTTP(t, htTestServer(t), tc.opts)
			u, _ := url.Parse(ts.URL)
			port := u.Port()
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/mcp"
			}
			var body io.Reader
			if method == http.MethodPost {
				body = strings.NewReader(htInitBody)
			}
			r, err := http.NewRequest(method, ts.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			if method == http.MethodOptions {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			if tc.host != "" {
				r.Host = strings.ReplaceAll(tc.host, "$PORT", port)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", strings.ReplaceAll(tc.origin, "$PORT", port))
			}
			resp, err := testkit.HTTPClient(t).Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tc.status == http.StatusForbidden {
				htWantError(t, resp, http.StatusForbidden, -32600)
				return
			}
			if b, _ := io.ReadAll(resp.Body); resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if method == http.MethodPost && path == "/mcp" && resp.Header.Get("Mcp-Session-Id") == "" {
				t.Error("an accepted initialize got no session id")
			}
		})
	}
}

// When the server is not reached on a loopback address, the Host check
// applies only with AllowedHosts. httptest binds loopback, so this is checked
// by serving the handler directly.
func TestDNSRebindingNonLoopback(t *testing.T) {
	t.Parallel()
	serve := func(opts fastmcp.HTTP, host, origin string) int {
		h := htTestServer(t).Handler(opts)
		defer h.Close()
		r := httptest.NewRequest(http.MethodPost, "http://"+host+"/mcp", strings.NewReader(htInitBody))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, tc := range []struct {
		name         string
		opts         fastmcp.HTTP
		host, origin string
		want         int
	}{
		{"any host", fastmcp.HTTP{}, "mcp.example.com", "", 200},
		{"any origin", fastmcp.HTTP{}, "mcp.example.com", "https://app.example.com", 200},
		{"AllowedHosts applies", fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}}, "other.example.com", "", 403},
		{"AllowedHosts admits", fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}}, "mcp.example.com", "", 200},
		{"AllowedOrigins applies", fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}}, "mcp.example.com", "https://evil.example.com", 403},
		{"AllowedOrigins admits", fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}}, "mcp.example.com", "https://app.example.com", 200},
		{"own origin admitted", fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}}, "mcp.example.com", "http://mcp.example.com", 200},
		{"own host, other scheme refused", fastmcp.HTTP{AllowedOrigins: []string{"https://app.example.com"}}, "mcp.example.com", "https://mcp.example.com:8443", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := serve(tc.opts, tc.host, tc.origin); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	preflight := func(t *testing.T, base, origin string) *http.Response {
		t.Helper()
		r, _ := http.NewRequest(http.MethodOptions, base+"/mcp", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "content-type, mcp-session-id, mcp-protocol-version, mcp-param-region, x-evil")
		resp, err := testkit.HTTPClient(t).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	initialize := func(t *testing.T, base, origin string) *http.Response {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(htInitBody))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		r.Header.Set("Origin", origin)
		resp, err := testkit.HTTPClient(t).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("initialize: %d", resp.StatusCode)
		}
		return resp
	}
	splitList := func(v string) map[string]bool {
		out := map[string]bool{}
		for _, p := range strings.Split(v, ",") {
			out[strings.ToLower(strings.TrimSpace(p))] = true
		}
		return out
	}
	const origin = "http://localhost:5173"

	t.Run("preflight", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		resp := preflight(t, ts.URL, origin)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d, want 204", resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != origin {
			t.Errorf("Allow-Origin %q", got)
		}
		methods := splitList(resp.Header.Get("Access-Control-Allow-Methods"))
		for _, m := range []string{"get", "post", "delete", "options"} {
			if !methods[m] {
				t.Errorf("Allow-Methods %q lacks %s", resp.Header.Get("Access-Control-Allow-Methods"), m)
			}
		}
		headers := splitList(resp.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id", "authorization", "mcp-method", "mcp-name", "mcp-param-region"} {
			if !headers[h] {
				t.Errorf("Allow-Headers %q lacks %s", resp.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
		if headers["x-evil"] {
			t.Errorf("Allow-Headers %q admits a header the server does not use", resp.Header.Get("Access-Control-Allow-Headers"))
		}
		if resp.Header.Get("Access-Control-Max-Age") == "" {
			t.Error("no Access-Control-Max-Age")
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("Vary %q lacks Origin", resp.Header.Get("Vary"))
		}
	})
	t.Run("actual response exposes the session id", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		resp := initialize(t, ts.URL, origin)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != origin {
			t.Errorf("Allow-Origin %q", got)
		}
		if !splitList(resp.Header.Get("Access-Control-Expose-Headers"))["mcp-session-id"] {
			t.Errorf("Expose-Headers %q lacks Mcp-Session-Id", resp.Header.Get("Access-Control-Expose-Headers"))
		}
	})
	t.Run("no Origin, no CORS headers", func(t *testing.T) {
		t.Parallel()
		ts := testkit.ServeHTTP(t, htTestServer(t), fastmcp.HTTP{})
		c := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
		_, resp := c.request("initialize", map[string]any{"protocolVersion": c.rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "x", "version": "1"}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Allow-Origin %q without an Origin", got)
		}
		c.messages(resp)
	})
	t.Run("AllowOrigins restricts", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{CORS: &fastmcp.CORS{AllowOrigins: []string{origin}, AllowHeaders: []string{"X-Custom"}, ExposeHeaders: []string{"X-Trace"}}}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		resp := preflight(t, ts.URL, origin)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("listed origin: Allow-Origin %q, want %q", got, origin)
		}
		if !splitList(resp.Header.Get("Access-Control-Allow-Headers"))["x-custom"] {
			t.Errorf("Allow-Headers %q lacks X-Custom", resp.Header.Get("Access-Control-Allow-Headers"))
		}
		resp = initialize(t, ts.URL, origin)
		if ex := splitList(resp.Header.Get("Access-Control-Expose-Headers")); !ex["x-trace"] || !ex["mcp-session-id"] {
			t.Errorf("Expose-Headers %q", resp.Header.Get("Access-Control-Expose-Headers"))
		}
		other := "http://localhost:4000"
		resp = preflight(t, ts.URL, other)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("unlisted origin: Allow-Origin %q", got)
		}
		if got := resp.Header.Get("Access-Control-Allow-Methods"); got != "" {
			t.Errorf("unlisted origin: Allow-Methods %q", got)
		}
		resp = initialize(t, ts.URL, other)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("unlisted origin, actual request: Allow-Origin %q", got)
		}
	})
	t.Run("credentials echo the origin", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{CORS: &fastmcp.CORS{AllowCredentials: true}}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		resp := preflight(t, ts.URL, origin)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("Allow-Origin %q, want %q (never * with credentials)", got, origin)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("Allow-Credentials %q", got)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		opts := fastmcp.HTTP{CORS: &fastmcp.CORS{Disabled: true}}
		ts := testkit.ServeHTTP(t, htTestServer(t), opts)
		resp := preflight(t, ts.URL, origin)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s %q with CORS disabled", h, got)
			}
		}
		resp = initialize(t, ts.URL, origin)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s %q with CORS disabled", h, got)
			}
		}
	})
	t.Run("custom routes get CORS too", func(t *testing.T) {
		t.Parallel()
		s := htTestServer(t)
		s.RouteFunc("GET /api/ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }, fastmcp.RouteOptions{})
		ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		r, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/ping", nil)
		r.Header.Set("Origin", origin)
		resp, err := testkit.HTTPClient(t).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("%d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}
