package interop_test

// The test harness: a real OpenID Provider (zitadel/oidc's op package with
// its example in-memory storage) on 127.0.0.1 as the upstream, a FastMCP
// server protected by a Proxy in front of it, and a browser that signs in.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/oauth"
)

const (
	idpClientID     = "mcp-proxy"
	idpClientSecret = "mcp-proxy-secret"
	// The example storage's first user.
	userSubject = "id1"
	userEmail   = "test-user@zitadel.ch"
	// A loopback redirect URI for the MCP clients of the tests; nothing
	// listens there: the browser stops before following it.
	clientRedirect = "http://127.0.0.1:9/callback"
)

// idp is the upstream OpenID Provider.
type idp struct {
	URL     string
	Storage *storage.Storage
}

// newIdP starts an OpenID Provider that knows the proxy as a confidential
// web client with the given redirect URI, and signs the test user in at
// once when asked to log in.
func newIdP(t testing.TB, redirectURI string) *idp {
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	st := storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{
		idpClientID: storage.WebClient(idpClientID, idpClientSecret, redirectURI),
	})
	var key [32]byte
	rand.Read(key[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             key,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The login UI: the test user signs in without a form.
	mux.Handle("/login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		if err := st.CheckUsernamePassword("test-user@127.0.0.1", "verysecure", id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return &idp{URL: issuer, Storage: st}
}

// harness is an MCP server protected by a Proxy in front of an idp.
type harness struct {
	idp    *idp
	proxy  *oauth.Proxy
	server *fastmcp.Server
	base   string // the server's URL, the proxy's issuer
	mcpURL string
	clock  *testkit.Clock
	store  *oauth.MemoryStore
}

// whoami is the result of the test server's whoami tool.
type whoami struct {
	Subject  string   `json:"subject"`
	Email    string   `json:"email"`
	Scopes   []string `json:"scopes"`
	ClientID string   `json:"client_id"`
	// UpstreamToken is a digest of the upstream access token, to see it
	// renewed without exposing it.
	UpstreamToken string `json:"upstream_token"`
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// newHarness starts an idp and a FastMCP server behind a Proxy; configure
// may adjust the proxy's configuration.
func newHarness(t testing.TB, configure func(*oauth.Config)) *harness {
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	h := &harness{base: base, mcpURL: base + "/mcp", clock: testkit.NewClock(time.Now())}
	h.store = &oauth.MemoryStore{Now: h.clock.Now}
	h.idp = newIdP(t, base+"/oauth/callback")
	cfg := oauth.Config{
		BaseURL: base,
		Provider: &oauth.OAuthProvider{
			Issuer:       h.idp.URL,
			ClientID:     idpClientID,
			ClientSecret: idpClientSecret,
			Scopes:       []string{"openid", "profile", "email", "offline_access"},
		},
		SigningKey:    key(1),
		EncryptionKey: key(2),
		Store:         h.store,
		Now:           h.clock.Now,
		Logger:        fastmcptest.Logger(t),
	}
	if configure != nil {
		configure(&cfg)
	}
	proxy, err := oauth.NewProxy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.proxy = proxy
	h.server = fastmcp.New(fastmcp.Options{Name: "oauth-test", Version: "1.0.0", Authenticate: proxy, OAuth: proxy.Discovery(),
		Logger: fastmcptest.Logger(t)})
	proxy.Mount(h.server)
	fastmcp.AddTool(h.server, fastmcp.Tool{Name: "whoami", Description: "Who is calling", CanAccess: fastmcp.RequireScopes("openid")},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (whoami, error) {
			s, ok := oauth.SessionFrom(ctx)
			if !ok {
				return whoami{}, fastmcp.UserErrorf("no OAuth session")
			}
			return whoami{Subject: s.Subject, Email: s.Email, Scopes: s.Scopes, ClientID: s.ClientID, UpstreamToken: digest(s.AccessToken)}, nil
		})
	handler := h.server.Handler(fastmcp.HTTP{})
	ts.Config.Handler = handler
	ts.Start()
	t.Cleanup(func() {
		handler.Close()
		ts.Close()
	})
	return h
}

// key returns a fixed 32-byte key.
func key(n byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = n
	}
	return k
}

// client is a registered MCP client.
type client struct {
	ID, Secret string
}

// register registers a client by RFC 7591 and returns it, failing the test
// unless the proxy answers 201.
func (h *harness) register(t testing.TB, md map[string]any) client {
	t.Helper()
	status, body := h.postJSON(t, "/oauth/register", md)
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	id, _ := body["client_id"].(string)
	secret, _ := body["client_secret"].(string)
	return client{ID: id, Secret: secret}
}

// registerDefault registers a confidential client with the test redirect
// URI and both grants.
func (h *harness) registerDefault(t testing.TB) client {
	return h.register(t, map[string]any{
		"redirect_uris": []string{clientRedirect},
		"grant_types":   []string{"authorization_code", "refresh_token"},
		"client_name":   "Test client",
	})
}

func (h *harness) postJSON(t testing.TB, path string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(h.base+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// postForm POSTs a form to one of the proxy's endpoints, with HTTP Basic
// client authentication when c has an ID and a secret.
func (h *harness) postForm(t testing.TB, path string, c client, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.ID != "" && c.Secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	} else if c.ID != "" && !form.Has("client_id") {
		form.Set("client_id", c.ID)
		req, _ = http.NewRequest(http.MethodPost, h.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is an authorization request of client c with PKCE.
func (h *harness) authorizeURL(c client, challenge string, extra url.Values) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {clientRedirect},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {"st-" + rand.Text()},
		"resource":              {h.mcpURL},
		"scope":                 {"openid profile email offline_access"},
	}
	for k, v := range extra {
		q[k] = v
	}
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	return h.base + "/oauth/authorize?" + q.Encode()
}

// grant is the outcome of a sign-in: the proxy's code and what the client
// needs to redeem it.
type grantResult struct {
	Code, Verifier, State, Iss string
}

// signIn runs the browser flow for client c and returns the code.
func (h *harness) signIn(t testing.TB, c client) grantResult {
	t.Helper()
	verifier, challenge := pkce()
	u := h.authorizeURL(c, challenge, nil)
	cb, err := newBrowser(t).authorize(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	q := cb.Query()
	if q.Get("code") == "" {
		t.Fatalf("no code in %s", cb)
	}
	return grantResult{Code: q.Get("code"), Verifier: verifier, State: q.Get("state"), Iss: q.Get("iss")}
}

// redeem exchanges a code; it returns the status and the answer.
func (h *harness) redeem(t testing.TB, c client, g grantResult) (int, map[string]any) {
	t.Helper()
	status, body, _ := h.postForm(t, "/oauth/token", c, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {g.Code},
		"redirect_uri":  {clientRedirect},
		"code_verifier": {g.Verifier},
		"resource":      {h.mcpURL},
	})
	return status, body
}

// tokens signs in and redeems the code, failing the test on error.
func (h *harness) tokens(t testing.TB, c client) (access, refresh string) {
	t.Helper()
	status, body := h.redeem(t, c, h.signIn(t, c))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	access, _ = body["access_token"].(string)
	refresh, _ = body["refresh_token"].(string)
	return access, refresh
}

// refresh uses a refresh token.
func (h *harness) refresh(t testing.TB, c client, rt string) (int, map[string]any) {
	t.Helper()
	status, body, _ := h.postForm(t, "/oauth/token", c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	return status, body
}

// mcpStatus sends an MCP initialize request with a bearer token and returns
// the status and the WWW-Authenticate header.
func (h *harness) mcpStatus(t testing.TB, token string) (int, string) {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, h.mcpURL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// authenticate runs the proxy's authenticator on a request with token.
func (h *harness) authenticate(token string) (any, error) {
	req := httptest.NewRequest(http.MethodPost, h.mcpURL, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return h.proxy.Authenticate(req)
}

// browser is a user agent with cookies that follows redirects, approves the
// proxy's consent page and stops at the MCP client's redirect URI.
type browser struct {
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), clientRedirect) || len(via) > 20 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

var (
	hiddenTxn  = regexp.MustCompile(`name="transaction_id" value="([^"]*)"`)
	hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// consentForm is what the consent page holds.
type consentForm struct {
	Action, TransactionID, CSRF string
}

// open GETs a URL and returns the final response (its body read).
func (b *browser) do(ctx context.Context, method, u string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data), nil
}

// consent opens an authorization URL and returns the consent page's form.
func (b *browser) consent(ctx context.Context, authURL string) (consentForm, error) {
	resp, page, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return consentForm{}, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/oauth/consent") {
		return consentForm{}, fmt.Errorf("expected the consent page, got %d at %s: %s", resp.StatusCode, resp.Request.URL, page)
	}
	txn, csrf := hiddenTxn.FindStringSubmatch(page), hiddenCSRF.FindStringSubmatch(page)
	if txn == nil || csrf == nil {
		return consentForm{}, fmt.Errorf("the consent page has no form: %s", page)
	}
	return consentForm{Action: resp.Request.URL.Scheme + "://" + resp.Request.URL.Host + resp.Request.URL.Path, TransactionID: txn[1], CSRF: csrf[1]}, nil
}

// decide posts the consent decision and returns where the browser ended.
func (b *browser) decide(ctx context.Context, f consentForm, action string) (*url.URL, error) {
	resp, page, err := b.do(ctx, http.MethodPost, f.Action, url.Values{"transaction_id": {f.TransactionID}, "csrf_token": {f.CSRF}, "action": {action}})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusFound {
		return nil, &pageError{resp.StatusCode, page}
	}
	return resp.Location()
}

// authorize runs a whole sign-in and returns the redirect to the client.
func (b *browser) authorize(ctx context.Context, authURL string) (*url.URL, error) {
	f, err := b.consent(ctx, authURL)
	if err != nil {
		return nil, err
	}
	return b.decide(ctx, f, "approve")
}

// pageError is a page the browser ended on instead of the client.
type pageError struct {
	Status int
	Page   string
}

func (e *pageError) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Page) }

func statusOf(err error) int {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

func newBearerRequest(u, token string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}
