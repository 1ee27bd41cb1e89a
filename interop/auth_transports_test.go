package interop_test

// End-to-end cases the root package's tests do not cover with this package's
// verifiers: a legacy HTTP+SSE session guarded by API keys (including another
// user's key on its message endpoint), and per-user rate limits shared by the
// sessions of one *auth.User.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// trServer serves a fastmcp server guarded by a, with OAuth discovery on, the
// tools "whoami" (the caller's subject) and "admin" (role admin), and the
// options' rate limits. It returns the server's base URL.
func trServer(t *testing.T, a fastmcp.Authenticator, limits *fastmcp.RateLimits) string {
	t.Helper()
	s := fastmcp.New(fastmcp.Options{Name: "auth-transports", Version: "1.0.0", Authenticate: a, RateLimits: limits,
		Logger: slog.New(slog.DiscardHandler),
		OAuth:  &fastmcp.OAuthDiscovery{ProtectedResource: fastmcp.ProtectedResourceMetadata{AuthorizationServers: []string{testIssuer}}}})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		u, ok := auth.UserFrom(ctx)
		if !ok {
			return "", fastmcp.NewUserError("no *auth.User")
		}
		return u.Subject, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "admin", CanAccess: fastmcp.RequireRole("admin")},
		func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "done", nil })
	h := s.Handler(fastmcp.HTTP{})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		ts.Close()
	})
	return ts.URL
}

func trKeys(t *testing.T) *auth.APIKeys {
	t.Helper()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// trCall calls a tool; it returns the text and isError, or the error.
func trCall(t *testing.T, cs *mcp.ClientSession, name string) (*mcp.CallToolResult, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
	if err != nil {
		return nil, "", err
	}
	text := ""
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			text = tc.Text
		}
	}
	return res, text, nil
}

// trSSEClient connects the Go SDK client over the legacy HTTP+SSE transport
// with an API key.
func trSSEClient(t *testing.T, base, key string) *mcp.ClientSession {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "auth-sse-client", Version: "1.0.0"}, nil)
	// The SSE stream lives as long as the context of Connect.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cs, err := client.Connect(ctx, &mcp.SSEClientTransport{Endpoint: base + "/sse",
		HTTPClient: &http.Client{Transport: headerTransport{tr, staticHeader("X-API-Key", key)}}}, nil)
	if err != nil {
		t.Fatalf("SSE connect with %s: %v", key, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// trPost POSTs a JSON-RPC message with the headers (name, value pairs) and
// returns the status, the WWW-Authenticate header and the body.
func trPost(t *testing.T, url, body string, header ...string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// Over the legacy HTTP+SSE transport, the stream and every message are
// authenticated; the lists and calls follow the user's access; a message
// bearing another user's key on someone's session is refused with 403.
func TestE2ELegacySSE(t *testing.T) {
	t.Parallel()
	base := trServer(t, trKeys(t), nil)
	meta := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`

	alice := trSSEClient(t, base, "admin-key")
	if _, text, err := trCall(t, alice, "whoami"); err != nil || text != "alice" {
		t.Errorf("alice over SSE: whoami %q %v", text, err)
	}
	if got := toolNames(t, alice); strings.Join(got, ",") != "admin,whoami" {
		t.Errorf("alice's tools over SSE: %v", got)
	}
	if _, text, err := trCall(t, alice, "admin"); err != nil || text != "done" {
		t.Errorf("alice calls admin over SSE: %q %v", text, err)
	}
	bob := trSSEClient(t, base, "user-key")
	if got := toolNames(t, bob); strings.Join(got, ",") != "whoami" {
		t.Errorf("bob's tools over SSE: %v", got)
	}
	var we *jsonrpc.Error
	if _, _, err := trCall(t, bob, "admin"); !errors.As(err, &we) || we.Code != -32602 || !strings.Contains(we.Message, "Unknown tool: admin") {
		t.Errorf("bob calls the hidden tool over SSE: %v, want -32602 Unknown tool", err)
	}

	// The stream itself needs a key.
	for _, tc := range []struct{ name, key, challenge string }{
		{"no key", "", "Bearer " + meta},
		{"wrong key", "stolen", `Bearer error="invalid_token", error_description="invalid API key", ` + meta},
	} {
		req, _ := http.NewRequest(http.MethodGet, base+"/sse", nil)
		if tc.key != "" {
			req.Header.Set("X-API-Key", tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != tc.challenge {
			t.Errorf("GET /sse, %s: %d %q, want 401 %q", tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tc.challenge)
		}
	}

	// A raw legacy session of alice's, to aim other credentials at its
	// message endpoint.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sse", nil)
	req.Header.Set("X-API-Key", "admin-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	messages := ""
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			messages = base + p
			break
		}
	}
	if !strings.Contains(messages, "/messages?sessionId=") {
		t.Fatalf("no endpoint event on the SSE stream (status %d)", resp.StatusCode)
	}
	ping := `{"jsonrpc":"2.0","id":7,"method":"ping"}`
	for _, tc := range []struct {
		name      string
		header    []string
		status    int
		challenge string
		message   string
	}{
		{"bob's key", []string{"X-API-Key", "user-key"}, 403, "", "do not match"},
		{"no key", nil, 401, "Bearer " + meta, "expected an API key"},
		{"wrong key", []string{"X-API-Key", "stolen"}, 401, `Bearer error="invalid_token", error_description="invalid API key", ` + meta, "invalid API key"},
		{"alice's key", []string{"X-API-Key", "admin-key"}, 202, "", ""},
	} {
		st, ch, body := trPost(t, messages, ping, tc.header...)
		if st != tc.status || ch != tc.challenge || !strings.Contains(body, tc.message) {
			t.Errorf("POST to alice's session, %s: %d %q %s; want %d %q %q", tc.name, st, ch, body, tc.status, tc.challenge, tc.message)
		}
	}
	// Alice's session still works after the attempts.
	if _, text, err := trCall(t, alice, "whoami"); err != nil || text != "alice" {
		t.Errorf("alice after the hijack attempts: %q %v", text, err)
	}
}

// A per-user limit counts the calls of every session of one *auth.User
// together, leaves other users alone, and lets calls through again once the
// time it gives to retry has passed.
func TestE2EPerUserRateLimit(t *testing.T) {
	t.Parallel()
	// Two calls at once, then one every second.
	base := trServer(t, trKeys(t), &fastmcp.RateLimits{PerUser: fastmcp.Rate{Limit: 2, Per: 2 * time.Second}})
	a1 := e2eClient(t, base+"/mcp", staticHeader("X-API-Key", "admin-key"))
	a2 := e2eClient(t, base+"/mcp", staticHeader("X-API-Key", "admin-key"))
	bob := e2eClient(t, base+"/mcp", staticHeader("X-API-Key", "user-key"))
	for i, cs := range []*mcp.ClientSession{a1, a2} {
		if res, text, err := trCall(t, cs, "whoami"); err != nil || res.IsError || text != "alice" {
			t.Fatalf("alice's call %d: %q %v", i+1, text, err)
		}
	}
	res, text, err := trCall(t, a1, "whoami")
	if err != nil || !res.IsError || !strings.Contains(text, "Rate limit exceeded for this user") {
		t.Fatalf("alice's third call: %q %v, want the per-user limit", text, err)
	}
	retry, ok := res.Meta["fastmcp/retryAfterMs"].(float64)
	if !ok || retry <= 0 || retry > 1000 {
		t.Fatalf("retryAfterMs %v, want (0, 1000]", res.Meta["fastmcp/retryAfterMs"])
	}
	if res, text, err := trCall(t, bob, "whoami"); err != nil || res.IsError || text != "bob" {
		t.Errorf("bob while alice is limited: %q %v", text, err)
	}
	// The client does what the answer says: waits, then retries.
	time.Sleep(time.Duration(retry) * time.Millisecond)
	if res, text, err := trCall(t, a2, "whoami"); err != nil || res.IsError || text != "alice" {
		t.Errorf("alice after retryAfterMs: %q %v", text, err)
	}
}
