package interop_test

// End-to-end: each verifier guards a fastmcp server over Streamable HTTP,
// driven by the official Go SDK client (and raw POSTs for the failures).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// e2eServer serves a fastmcp server guarded by a, with the tools "whoami"
// (the caller as "subject|roles|scopes|token suffix") and "write" (visible
// with scope write). It returns the MCP endpoint URL.
func e2eServer(t testing.TB, a fastmcp.Authenticator, oauth *fastmcp.OAuthDiscovery) string {
	t.Helper()
	s := fastmcp.New(fastmcp.Options{Name: "auth-e2e", Version: "1.0.0", Authenticate: a, OAuth: oauth,
		Logger: slog.New(slog.DiscardHandler)})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		u, ok := fastmcp.AuthFrom[*auth.User](ctx)
		if !ok {
			return "", fastmcp.NewUserError("no *auth.User")
		}
		if u2, ok := auth.UserFrom(ctx); !ok || u2 != u {
			return "", fastmcp.NewUserError("UserFrom disagrees with AuthFrom")
		}
		return fmt.Sprintf("%s|%s|%s|%s", u.Subject, strings.Join(u.Roles, ","), strings.Join(u.Scopes, ","), suffix(u.Token)), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "write", CanAccess: fastmcp.RequireScopes("write")},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "written", nil })
	s.RouteFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFromRequest(r)
		json.NewEncoder(w).Encode(u)
	}, fastmcp.RouteOptions{})
	h := s.Handler(fastmcp.HTTP{})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		ts.Close()
	})
	return ts.URL + "/mcp"
}

// suffix returns the end of a credential, enough to tell two apart.
func suffix(tok string) string {
	if len(tok) > 6 {
		return tok[len(tok)-6:]
	}
	return tok
}

// headerTransport adds headers to every request; the test may change them.
type headerTransport struct {
	rt     http.RoundTripper
	header func() http.Header
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range h.header() {
		r.Header[k] = vs
	}
	return h.rt.RoundTrip(r)
}

// e2eClient connects the Go SDK client to endpoint in a handshake-era
// session, sending the headers header returns with every request.
func e2eClient(t testing.TB, endpoint string, header func() http.Header) *mcp.ClientSession {
	t.Helper()
	return e2eClientVersion(t, endpoint, header, fastmcp.LatestHandshakeProtocolVersion)
}

// e2eClientVersion is e2eClient speaking protocol version v: a handshake-era
// revision, or 2026-07-28, which has no sessions.
func e2eClientVersion(t testing.TB, endpoint string, header func() http.Header, v string) *mcp.ClientSession {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "auth-e2e-client", Version: "1.0.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1, DisableStandaloneSSE: true,
		HTTPClient: &http.Client{Transport: headerTransport{tr, header}}}, &mcp.ClientSessionOptions{ProtocolVersion: v})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func staticHeader(kv ...string) func() http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return func() http.Header { return h }
}

// e2eWhoami calls the whoami tool.
func e2eWhoami(t testing.TB, cs *mcp.ClientSession) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	text := ""
	if len(res.Content) == 1 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			text = tc.Text
		}
	}
	if res.IsError {
		t.Fatalf("whoami failed: %s", text)
	}
	return text
}

// toolNames lists the tools the session sees.
func toolNames(t testing.TB, cs *mcp.ClientSession) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// rawInitialize POSTs an initialize request with the headers and returns
// the status, the WWW-Authenticate header and the JSON-RPC error message.
func rawInitialize(t testing.TB, endpoint string, header ...string) (int, string, string) {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m struct {
		Error struct{ Message string } `json:"error"`
	}
	json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), m.Error.Message
}

// checkRaw asserts the answer of a refused raw request.
func checkRaw(t testing.TB, name, endpoint string, status int, challenge, message string, header ...string) {
	t.Helper()
	st, ch, msg := rawInitialize(t, endpoint, header...)
	if st != status || ch != challenge || !strings.Contains(msg, message) {
		t.Errorf("%s: %d, WWW-Authenticate %q, message %q; want %d, %q, %q", name, st, ch, msg, status, challenge, message)
	}
}

func TestE2EAPIKeys(t *testing.T) {
	t.Parallel()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := e2eServer(t, keys, nil)

	alice := e2eClient(t, endpoint, staticHeader("X-API-Key", "admin-key"))
	if got := e2eWhoami(t, alice); got != "alice|admin|read,write|in-key" {
		t.Errorf("whoami: %q", got)
	}
	if got := toolNames(t, alice); !slices.Equal(got, []string{"whoami", "write"}) {
		t.Errorf("alice's tools %v", got)
	}
	bob := e2eClient(t, endpoint, staticHeader("X-API-Key", "user-key"))
	if got := e2eWhoami(t, bob); got != "bob|user|read|er-key" {
		t.Errorf("whoami: %q", got)
	}
	if got := toolNames(t, bob); !slices.Equal(got, []string{"whoami"}) {
		t.Errorf("bob's tools %v", got)
	}

	checkRaw(t, "missing key", endpoint, 401, "Bearer", "expected an API key in the X-API-Key header")
	checkRaw(t, "wrong key", endpoint, 401, `Bearer error="invalid_token", error_description="invalid API key"`, "invalid API key",
		"X-API-Key", "wrong-key")

	// A custom route sees the same user.
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(endpoint, "/mcp")+"/api/me", nil)
	req.Header.Set("X-API-Key", "user-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me["subject"] != "bob" || me["Token"] != nil || me["token"] != nil {
		t.Errorf("/api/me: %v (the token must not be encoded)", me)
	}
}

func TestE2EJWT(t *testing.T) {
	t.Parallel()
	ks := &keyServer{}
	ks.set(jwkOf(rsaKey(), "rsa-1", "RS256"))
	v := jwksVerifier(t, ks, auth.JWTOptions{})
	endpoint := e2eServer(t, v, &fastmcp.OAuthDiscovery{ProtectedResource: fastmcp.ProtectedResourceMetadata{
		Resource: testAudience, AuthorizationServers: []string{testIssuer}}})

	rs := rsSigner()
	tok := rs.sign(t, claims(map[string]any{"roles": []string{"admin"}, "scope": "read"}))
	current := tok
	header := func() http.Header { return http.Header{"Authorization": {"Bearer " + current}} }
	cs := e2eClient(t, endpoint, header)
	if got := e2eWhoami(t, cs); got != "alice|admin|read|"+suffix(tok) {
		t.Errorf("whoami: %q", got)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"whoami"}) {
		t.Errorf("tools with scope read: %v", got)
	}

	// A refreshed token of the same subject updates the session (the tool
	// sees the new token and scopes); another subject's token is refused.
	refreshed := rs.sign(t, claims(map[string]any{"scope": "read write", "jti": "2"}))
	current = refreshed
	if got := e2eWhoami(t, cs); got != "alice||read,write|"+suffix(refreshed) {
		t.Errorf("whoami after refresh: %q", got)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"whoami", "write"}) {
		t.Errorf("tools after refresh: %v", got)
	}
	// Another subject's token: a session is bound to its subject, so the
	// server refuses it (403).
	current = rs.sign(t, claims(map[string]any{"sub": "mallory"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"}); err == nil {
		t.Errorf("another subject's token on alice's session was served: %+v", res)
	}
	// In the sessionless 2026-07-28 revision each request stands alone:
	// the same client switching tokens is alice, then mallory.
	current = tok
	modern := e2eClientVersion(t, endpoint, header, fastmcp.ProtocolVersion20260728)
	if v := modern.InitializeResult().ProtocolVersion; v != fastmcp.ProtocolVersion20260728 {
		t.Fatalf("negotiated %s, want %s", v, fastmcp.ProtocolVersion20260728)
	}
	if got := e2eWhoami(t, modern); !strings.HasPrefix(got, "alice|") {
		t.Errorf("2026-07-28 whoami with alice's token: %q", got)
	}
	current = rs.sign(t, claims(map[string]any{"sub": "mallory"}))
	if got := e2eWhoami(t, modern); !strings.HasPrefix(got, "mallory|") {
		t.Errorf("2026-07-28 whoami with mallory's token: %q", got)
	}

	// With OAuth discovery on, the server adds the metadata URL (derived from
	// the resource) to the verifier's challenges.
	meta := `resource_metadata="https://mcp.test/.well-known/oauth-protected-resource/mcp"`
	checkRaw(t, "missing token", endpoint, 401, "Bearer "+meta, "expected a bearer token (JWT)")
	checkRaw(t, "expired token", endpoint, 401, `Bearer error="invalid_token", error_description="token expired", `+meta, "token expired",
		"Authorization", "Bearer "+rs.sign(t, claims(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})))
	checkRaw(t, "wrong audience", endpoint, 401, `Bearer error="invalid_token", error_description="token audience not accepted", `+meta,
		"token audience not accepted", "Authorization", "Bearer "+rs.sign(t, claims(map[string]any{"aud": "https://elsewhere.test"})))
	checkRaw(t, "wrong signature", endpoint, 401, `Bearer error="invalid_token", error_description="invalid token signature", `+meta,
		"invalid token signature", "Authorization", "Bearer "+signer{alg: "RS256", kid: "rsa-1", key: rsaKey2()}.sign(t, claims(nil)))
	checkRaw(t, "malformed token", endpoint, 401, `Bearer error="invalid_token", error_description="malformed token", `+meta,
		"malformed token", "Authorization", "Bearer e30.bm90IGpzb24.c2ln")

	scoped := jwksVerifier(t, ks, auth.JWTOptions{RequiredScopes: []string{"mcp"}})
	scopedEndpoint := e2eServer(t, scoped, nil)
	checkRaw(t, "insufficient scope", scopedEndpoint, 403,
		`Bearer error="insufficient_scope", error_description="the token lacks a required scope", scope="mcp"`, "needs mcp",
		"Authorization", "Bearer "+tok)
}

func TestE2EIntrospection(t *testing.T) {
	t.Parallel()
	is := newIntrospector()
	down := newIntrospector()
	down.status = http.StatusInternalServerError
	mux := http.NewServeMux()
	mux.Handle("/introspect", is)
	mux.Handle("/down", down)
	ts := serve(t, mux)
	newV := func(path string) *auth.Introspection {
		v, err := auth.NewIntrospection(auth.IntrospectionOptions{Endpoint: ts.URL + path, HTTPClient: ts.Client(),
			ClientID: "mcp:server", ClientSecret: "s&cret"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	endpoint := e2eServer(t, newV("/introspect"), nil)
	cs := e2eClient(t, endpoint, staticHeader("Authorization", "Bearer active-alice"))
	if got := e2eWhoami(t, cs); got != "alice|admin|read,write|-alice" {
		t.Errorf("whoami: %q", got)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"whoami", "write"}) {
		t.Errorf("tools %v", got)
	}
	if n := is.count("active-alice"); n != 1 {
		t.Errorf("%d introspections for a session's requests, want 1 (cached)", n)
	}
	checkRaw(t, "inactive token", endpoint, 401, `Bearer error="invalid_token", error_description="token is not active"`,
		"token is not active", "Authorization", "Bearer revoked")
	checkRaw(t, "missing token", endpoint, 401, "Bearer", "expected a bearer token")
	checkRaw(t, "endpoint down", e2eServer(t, newV("/down"), nil), 503, "", "token introspection failed",
		"Authorization", "Bearer active-alice")
}

func TestE2EGuest(t *testing.T) {
	t.Parallel()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := e2eServer(t, auth.Guest(auth.Chain(newHS256(t, auth.JWTOptions{}), keys),
		&auth.User{Subject: "guest", Scopes: []string{"read"}}), nil)
	guest := e2eClient(t, endpoint, staticHeader())
	if got := e2eWhoami(t, guest); got != "guest||read|" {
		t.Errorf("guest whoami: %q", got)
	}
	if got := toolNames(t, guest); !slices.Equal(got, []string{"whoami"}) {
		t.Errorf("guest tools %v", got)
	}
	alice := e2eClient(t, endpoint, staticHeader("X-API-Key", "admin-key"))
	if got := e2eWhoami(t, alice); !strings.HasPrefix(got, "alice|") {
		t.Errorf("alice whoami: %q", got)
	}
	checkRaw(t, "bad key is not a guest", endpoint, 401, `Bearer error="invalid_token", error_description="invalid API key"`,
		"invalid API key", "X-API-Key", "wrong-key")
}

// A ClaimsMapper that panics inside the introspection request several
// requests share fails those requests like any panicking authenticator (500,
// a server bug), and the server goes on serving; left inside singleflight.DoChan, the panic
// would end the process.
func TestE2EPanickingClaimsMapper(t *testing.T) {
	t.Parallel()
	is := newIntrospector()
	ts := serve(t, is)
	v, err := auth.NewIntrospection(auth.IntrospectionOptions{Endpoint: ts.URL, HTTPClient: ts.Client(),
		ClientID: "mcp:server", ClientSecret: "s&cret",
		ClaimsMapper: func(c map[string]any, u *auth.User) error {
			if u.Subject == "alice" {
				panic("mapper bug")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	base := trServer(t, v, nil)
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _, _ = trPost(t, base+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`,
				"Accept", "application/json, text/event-stream", "Authorization", "Bearer active-alice")
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusInternalServerError {
			t.Errorf("request %d: status %d, want 500", i, st)
		}
	}
	// Still serving: another user's token works.
	cs := e2eClient(t, base+"/mcp", staticHeader("Authorization", "Bearer active-bob"))
	if _, text, err := trCall(t, cs, "whoami"); err != nil || text != "bob" {
		t.Errorf("after the panics: whoami %q %v", text, err)
	}
}
