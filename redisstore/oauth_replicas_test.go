package redisstore_test

// The OAuth proxy's flow spread over replicas: three in-process servers on
// 127.0.0.1, each with its own oauth.Proxy configured alike (same keys, same
// public BaseURL: a round-robin proxy in front of them), their OAuth state
// in one redisstore.OAuthStore namespace and their sessions in one
// redisstore Store. Each step of a sign-in is aimed at a replica other than
// the previous one's, so that every record the proxy writes is read back
// by another replica's proxy; a second sign-in goes through the round-robin
// proxy as a client would.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/oauth"
	"github.com/fastmcp-go/fastmcp/redisstore"
)

const (
	idpClientID     = "mcp-proxy"
	idpClientSecret = "mcp-proxy-secret"
	// clientRedirect is the MCP client's loopback redirect URI; nothing
	// listens there: the browser stops before following it.
	clientRedirect = "http://127.0.0.1:9/callback"
)

// fakeIdP is the upstream identity provider: a plain OAuth 2.0 server
// (authorization code with PKCE, a user endpoint, RFC 7009 revocation) that
// signs its one user in without a login form. It knows the proxy as one
// confidential client whose redirect URI is the public callback.
type fakeIdP struct {
	URL      string
	callback string

	mu        sync.Mutex
	n         int
	codes     map[string]string // code -> PKCE challenge
	tokens    map[string]bool   // access tokens issued
	exchanges int               // codes redeemed
	revoked   []string          // tokens revoked by the proxy
}

func newFakeIdP(t *testing.T, callback string) *fakeIdP {
	f := &fakeIdP{callback: callback, codes: map[string]string{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /userinfo", f.userinfo)
	mux.HandleFunc("POST /revoke", f.revoke)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	return f
}

func (f *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != idpClientID || q.Get("redirect_uri") != f.callback || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	code := fmt.Sprintf("up-code-%d", f.n)
	f.codes[code] = q.Get("code_challenge")
	f.mu.Unlock()
	http.Redirect(w, r, f.callback+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

// clientOK checks the proxy's credentials, by HTTP Basic or in the form.
func clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == idpClientID && secret == idpClientSecret
}

func (f *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if !clientOK(r) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	code := r.PostForm.Get("code")
	challenge, ok := f.codes[code]
	delete(f.codes, code)
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("grant_type") != "authorization_code" || !ok || r.PostForm.Get("redirect_uri") != f.callback ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant"}`)
		return
	}
	f.exchanges++
	at, rt := fmt.Sprintf("up-at-%d", f.exchanges), fmt.Sprintf("up-rt-%d", f.exchanges)
	f.tokens[at] = true
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer",
		"expires_in": 3600, "scope": "profile email"})
}

func (f *fakeIdP) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		http.Error(w, "unknown token", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"sub":"user-1","email":"ada@example.com","name":"Ada"}`)
}

func (f *fakeIdP) revoke(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if !clientOK(r) {
		http.Error(w, "invalid_client", http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.revoked = append(f.revoked, r.PostForm.Get("token"))
	f.mu.Unlock()
}

func (f *fakeIdP) stats() (exchanges int, revoked []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges, append([]string(nil), f.revoked...)
}

// oauthCluster is n replicas behind a round-robin proxy, whose URL is the
// public BaseURL of every replica's oauth.Proxy.
type oauthCluster struct {
	t        *testing.T
	lb       *clustertest.Proxy
	base     string   // the public URL: the round-robin proxy's
	replicas []string // each replica's host:port
	idp      *fakeIdP
}

func fixedKey(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return k
}

// startOAuthReplicas starts n replicas; wrap, when not nil, may wrap a
// replica's OAuth store.
func startOAuthReplicas(t *testing.T, n int, wrap func(i int, s oauth.Store) oauth.Store) *oauthCluster {
	t.Helper()
	redis := server(t)
	pfx := prefix()
	c := &oauthCluster{t: t}
	servers := make([]*httptest.Server, n)
	var backends []string
	for i := range servers {
		servers[i] = httptest.NewUnstartedServer(nil)
		c.replicas = append(c.replicas, servers[i].Listener.Addr().String())
		backends = append(backends, "http://"+c.replicas[i])
	}
	c.lb = clustertest.NewProxy(t, backends...)
	c.base = c.lb.URL
	c.idp = newFakeIdP(t, c.base+"/oauth/callback")
	for i, ts := range servers {
		rc := client(t, redis.Addr)
		var store oauth.Store = redisstore.NewOAuthStore(rc, redisstore.Options{Prefix: pfx})
		if wrap != nil {
			store = wrap(i, store)
		}
		proxy, err := oauth.NewProxy(oauth.Config{
			BaseURL: c.base,
			Provider: &oauth.OAuthProvider{
				ClientID: idpClientID, ClientSecret: idpClientSecret,
				AuthorizationURL: c.idp.URL + "/authorize", TokenURL: c.idp.URL + "/token",
				UserInfoURL: c.idp.URL + "/userinfo", RevocationURL: c.idp.URL + "/revoke",
				Scopes: []string{"profile", "email"},
			},
			SigningKey:    fixedKey(1),
			EncryptionKey: fixedKey(2),
			Store:         store,
			Logger:        fastmcptest.Logger(t),
		})
		if err != nil {
			t.Fatal(err)
		}
		s := fastmcp.New(fastmcp.Options{
			Name: "oauth-replica", Version: "1.0.0",
			Store:        redisstore.New(rc, redisstore.Options{Prefix: pfx}),
			Secret:       []byte("cluster-test-secret-0123456789abcdef"),
			Authenticate: proxy, OAuth: proxy.Discovery(),
			Logger: fastmcptest.Logger(t),
		})
		proxy.Mount(s)
		name := fmt.Sprintf("r%d", i)
		fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami", CanAccess: fastmcp.RequireScopes("profile")},
			func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
				u, ok := oauth.SessionFrom(ctx)
				if !ok {
					return "", fastmcp.UserErrorf("no OAuth session")
				}
				return fmt.Sprintf("replica=%s sub=%s email=%s client=%s upstream=%s", name, u.Subject, u.Email, u.ClientID, u.AccessToken), nil
			})
		h := s.Handler(fastmcp.HTTP{})
		ts.Config.Handler = h
		ts.Start()
		t.Cleanup(ts.Close)
		t.Cleanup(func() { h.Close() })
	}
	return c
}

// on returns raw, a URL on the public BaseURL, aimed at replica i instead
// (i < 0: left to the round-robin proxy).
func (c *oauthCluster) on(i int, raw string) string {
	c.t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme+"://"+u.Host != c.base {
		c.t.Fatalf("%q is not on the public URL %s", raw, c.base)
	}
	if i >= 0 {
		u.Host = c.replicas[i]
	}
	return u.String()
}

// mcp is replica i's MCP endpoint (i < 0: the round-robin proxy's).
func (c *oauthCluster) mcp(i int) string { return c.on(i, c.base+"/mcp") }

// browser is the user's agent: it keeps cookies (per host, whatever the
// port, as browsers do: a cookie set by one replica goes to the others) and
// follows no redirect by itself, so that each hop can be aimed.
type oauthBrowser struct {
	t *testing.T
	c *http.Client
}

func newOAuthBrowser(t *testing.T) *oauthBrowser {
	jar, _ := cookiejar.New(nil)
	return &oauthBrowser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request and returns the response with its body read.
func (b *oauthBrowser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// redirected sends a request that must be answered by a redirect, and
// returns its target.
func (b *oauthBrowser) redirected(what, method, u string, form url.Values) string {
	b.t.Helper()
	resp, page := b.do(method, u, form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		b.t.Fatalf("%s: %d, no redirect: %s", what, resp.StatusCode, page)
	}
	return loc
}

var (
	txnInput  = regexp.MustCompile(`name="transaction_id" value="([^"]*)"`)
	csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// mcpClient is a registered MCP client.
type mcpClient struct{ ID, Secret string }

// signIn is a sign-in's outcome: the proxy's code and its PKCE verifier.
type signIn struct{ Code, Verifier string }

// at names the replicas a sign-in's steps go to (-1: the round-robin
// proxy).
type at struct{ authorize, consent, decide, callback int }

// register registers a confidential MCP client on replica i.
func (c *oauthCluster) register(i int) mcpClient {
	c.t.Helper()
	body := `{"redirect_uris":["` + clientRedirect + `"],"grant_types":["authorization_code","refresh_token"],"client_name":"cluster test"}`
	resp, err := http.Post(c.on(i, c.base+"/oauth/register"), "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	json.NewDecoder(resp.Body).Decode(&raw)
	if resp.StatusCode != http.StatusCreated || raw.ID == "" || raw.Secret == "" {
		c.t.Fatalf("register on replica %d: %d %+v", i, resp.StatusCode, raw)
	}
	return mcpClient{ID: raw.ID, Secret: raw.Secret}
}

// signIn runs the browser part of a sign-in for cl, each step on the
// replica where says, and returns the code sent back to the client.
func (c *oauthCluster) signIn(cl mcpClient, where at) signIn {
	c.t.Helper()
	b := newOAuthBrowser(c.t)
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	state := "st-" + rand.Text()
	q := url.Values{"response_type": {"code"}, "client_id": {cl.ID}, "redirect_uri": {clientRedirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {state}, "resource": {c.base + "/mcp"}, "scope": {"profile email"}}
	// The authorization request: the transaction is stored, the browser
	// sent to the consent page.
	consent := b.redirected("authorize", http.MethodGet, c.on(where.authorize, c.base+"/oauth/authorize?"+q.Encode()), nil)
	// The consent page: it reads the transaction and client, sets the
	// binding cookie and derives the CSRF token from it.
	resp, page := b.do(http.MethodGet, c.on(where.consent, consent), nil)
	txn, csrf := txnInput.FindStringSubmatch(page), csrfInput.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || txn == nil || csrf == nil {
		c.t.Fatalf("consent page on replica %d: %d %s", where.consent, resp.StatusCode, page)
	}
	// The approval: the CSRF token is checked, the transaction bound to
	// the browser, and the browser sent to the provider.
	upstream := b.redirected("approve", http.MethodPost, c.on(where.decide, c.base+"/oauth/consent"),
		url.Values{"transaction_id": {txn[1]}, "csrf_token": {csrf[1]}, "action": {"approve"}})
	if !strings.HasPrefix(upstream, c.idp.URL+"/authorize?") {
		c.t.Fatalf("approve on replica %d sent the browser to %s, not the provider", where.decide, upstream)
	}
	callback := b.redirected("provider", http.MethodGet, upstream, nil)
	// The provider's callback: the binding is checked, the transaction
	// spent, the provider's code exchanged and the proxy's code stored.
	back := b.redirected("callback", http.MethodGet, c.on(where.callback, callback), nil)
	u, _ := url.Parse(back)
	if !strings.HasPrefix(back, clientRedirect+"?") || u.Query().Get("code") == "" || u.Query().Get("state") != state || u.Query().Get("iss") != c.base {
		c.t.Fatalf("callback on replica %d sent the browser to %s", where.callback, back)
	}
	return signIn{Code: u.Query().Get("code"), Verifier: verifier}
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	Status  int
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Error   string `json:"error"`
	Desc    string `json:"error_description"`
}

// token POSTs a token request of cl to replica i.
func (c *oauthCluster) token(i int, cl mcpClient, form url.Values) tokenAnswer {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.on(i, c.base+"/oauth/token"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cl.ID), url.QueryEscape(cl.Secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err) // Error, not Fatal: token may run in goroutines
		return tokenAnswer{}
	}
	defer resp.Body.Close()
	a := tokenAnswer{Status: resp.StatusCode}
	json.NewDecoder(resp.Body).Decode(&a)
	return a
}

func (c *oauthCluster) redeem(i int, cl mcpClient, s signIn) tokenAnswer {
	return c.token(i, cl, url.Values{"grant_type": {"authorization_code"}, "code": {s.Code}, "redirect_uri": {clientRedirect},
		"code_verifier": {s.Verifier}, "resource": {c.base + "/mcp"}})
}

func (c *oauthCluster) refresh(i int, cl mcpClient, rt string) tokenAnswer {
	return c.token(i, cl, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// refused checks that token opens nothing on replica i: 401 with an
// invalid_token challenge, for a request of cl's session (or, when cl has
// none, an initialize).
func (c *oauthCluster) refused(what string, i int, cl *rclient, token string) {
	c.t.Helper()
	method, params := "tools/call", any(map[string]any{"name": "whoami", "arguments": map[string]any{}})
	if cl.sid == "" {
		method, params = "initialize", map[string]any{"protocolVersion": rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "cluster-test", "version": "1"}}
	}
	_, resp := cl.at(c.mcp(i)).as(token).send(method, params)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		b, _ := io.ReadAll(resp.Body)
		c.t.Errorf("%s on replica %d: %d %q %s, want 401 invalid_token", what, i, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
	}
}

// The whole flow, each step on another replica than the step before:
// registration, authorization, consent, callback, token, MCP calls,
// refresh, and the replays the proxy must refuse, on every replica.
func TestOAuthProxyAcrossReplicas(t *testing.T) {
	t.Parallel()
	const a, b, c = 0, 1, 2
	cl := startOAuthReplicas(t, 3, nil)

	client := cl.register(a)
	s := cl.signIn(client, at{authorize: b, consent: c, decide: a, callback: c})
	if n, _ := cl.idp.stats(); n != 1 {
		t.Fatalf("%d code exchanges at the provider, want 1", n)
	}
	tok := cl.redeem(a, client, s)
	if tok.Status != http.StatusOK || tok.Access == "" || tok.Refresh == "" {
		t.Fatalf("token on replica %d: %+v", a, tok)
	}

	// MCP with the access token: a session initialized on B, served by B
	// and C (and A), the user's identity and upstream token on each.
	sess := newClient(t, cl.mcp(b)).as(tok.Access)
	sess.initialize(nil, false)
	for _, i := range []int{b, c, a} {
		want := fmt.Sprintf("replica=r%d sub=user-1 email=ada@example.com client=%s upstream=up-at-1", i, client.ID)
		if got := sess.at(cl.mcp(i)).tool("whoami", nil); got != want {
			t.Errorf("whoami on replica %d: %q, want %q", i, got, want)
		}
	}

	// A code redeemed on A is refused on B.
	if again := cl.redeem(b, client, s); again.Status != http.StatusBadRequest || again.Error != "invalid_grant" {
		t.Errorf("the code again, on replica %d: %+v", b, again)
	}
	// RFC 6749 §4.1.2: the replay revoked what the code gave, everywhere.
	for _, i := range []int{a, b, c} {
		cl.refused("the code replay's revoked access token", i, sess, tok.Access)
	}
	if r := cl.refresh(c, client, tok.Refresh); r.Status != http.StatusBadRequest || r.Error != "invalid_grant" {
		t.Errorf("the code replay's revoked refresh token on replica %d: %+v", c, r)
	}
	if _, revoked := cl.idp.stats(); len(revoked) != 1 || revoked[0] != "up-rt-1" {
		t.Errorf("revoked at the provider: %v, want [up-rt-1]", revoked)
	}

	// A second sign-in, for refresh: the steps on other replicas again.
	s = cl.signIn(client, at{authorize: c, consent: a, decide: b, callback: a})
	tok = cl.redeem(b, client, s)
	if tok.Status != http.StatusOK {
		t.Fatalf("token on replica %d: %+v", b, tok)
	}
	sess = newClient(t, cl.mcp(c)).as(tok.Access)
	sess.initialize(nil, false)
	// Refresh on C: a new pair; the session goes on with the new access
	// token (the same user) on every replica.
	fresh := cl.refresh(c, client, tok.Refresh)
	if fresh.Status != http.StatusOK || fresh.Access == "" || fresh.Refresh == "" || fresh.Refresh == tok.Refresh || fresh.Access == tok.Access {
		t.Fatalf("refresh on replica %d: %+v", c, fresh)
	}
	for _, i := range []int{a, b, c} {
		if got := sess.at(cl.mcp(i)).as(fresh.Access).tool("whoami", nil); !strings.Contains(got, "sub=user-1") || !strings.Contains(got, "upstream=up-at-2") {
			t.Errorf("whoami with the refreshed token on replica %d: %q", i, got)
		}
	}
	// The spent refresh token, on A: refused, and its whole family with
	// it (reuse detection), on every replica.
	if old := cl.refresh(a, client, tok.Refresh); old.Status != http.StatusBadRequest || old.Error != "invalid_grant" || !strings.Contains(old.Desc, "revoked") {
		t.Errorf("the spent refresh token on replica %d: %+v", a, old)
	}
	for _, i := range []int{a, b, c} {
		cl.refused("the revoked family's new access token", i, sess, fresh.Access)
		cl.refused("the revoked family's first access token", i, sess, tok.Access)
	}
	if r := cl.refresh(b, client, fresh.Refresh); r.Status != http.StatusBadRequest || r.Error != "invalid_grant" {
		t.Errorf("the revoked family's new refresh token on replica %d: %+v", b, r)
	}
	if _, revoked := cl.idp.stats(); len(revoked) != 2 || revoked[1] != "up-rt-2" {
		t.Errorf("revoked at the provider: %v, want [up-rt-1 up-rt-2]", revoked)
	}
}

// Through the round-robin proxy, as a client sees the cluster: a sign-in,
// the token, a session and a refresh, with no step aimed at a replica.
func TestOAuthProxyBehindRoundRobin(t *testing.T) {
	t.Parallel()
	cl := startOAuthReplicas(t, 3, nil)
	lb := -1
	client := cl.register(lb)
	tok := cl.redeem(lb, client, cl.signIn(client, at{lb, lb, lb, lb}))
	if tok.Status != http.StatusOK {
		t.Fatalf("token: %+v", tok)
	}
	sess := newClient(t, cl.mcp(lb)).as(tok.Access)
	sess.initialize(nil, false)
	seen := map[string]bool{}
	for range 6 {
		got := sess.tool("whoami", nil)
		if !strings.Contains(got, "sub=user-1") {
			t.Fatalf("whoami: %q", got)
		}
		seen[strings.Fields(got)[0]] = true
	}
	if len(seen) != 3 {
		t.Errorf("served by %v, want the 3 replicas", seen)
	}
	fresh := cl.refresh(lb, client, tok.Refresh)
	if fresh.Status != http.StatusOK {
		t.Fatalf("refresh: %+v", fresh)
	}
	for range 3 {
		if got := sess.as(fresh.Access).tool("whoami", nil); !strings.Contains(got, "sub=user-1") {
			t.Fatalf("whoami after the refresh: %q", got)
		}
	}
	for _, r := range cl.replicas {
		if cl.lb.Served(r) == 0 {
			t.Errorf("replica %s served nothing", r)
		}
	}
}

// One code redeemed at once on every replica, and one refresh token used at
// once on every replica: at most one succeeds (the store's Take is atomic
// across processes, and a replay revokes what the token gave).
func TestOAuthProxyRacesAcrossReplicas(t *testing.T) {
	t.Parallel()
	cl := startOAuthReplicas(t, 3, nil)
	client := cl.register(0)
	// race runs do on every replica at once, and returns the answers that
	// succeeded; any other answer must be invalid_grant.
	race := func(what string, do func(i int) tokenAnswer) []tokenAnswer {
		t.Helper()
		answers := make([]tokenAnswer, len(cl.replicas))
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = do(i) })
		}
		wg.Wait()
		var won []tokenAnswer
		for i, r := range answers {
			switch {
			case r.Status == http.StatusOK:
				won = append(won, r)
			case r.Status != http.StatusBadRequest || r.Error != "invalid_grant":
				t.Errorf("%s on replica %d: %+v", what, i, r)
			}
		}
		return won
	}
	for round := range 5 {
		s := cl.signIn(client, at{round % 3, (round + 1) % 3, (round + 2) % 3, round % 3})
		// At most one redemption succeeds. (None may: a loser that finds
		// the code spent revokes what it gave, and the winner, seeing the
		// revocation once it has stored the grant, drops it.)
		if won := race("one code", func(i int) tokenAnswer { return cl.redeem(i, client, s) }); len(won) > 1 {
			t.Fatalf("round %d: one code redeemed on 3 replicas at once: %d succeeded, want at most 1", round, len(won))
		}
		// A refresh racing its own replay: at most one succeeds, for the
		// same reason.
		tok := cl.redeem(round%3, client, cl.signIn(client, at{(round + 1) % 3, (round + 2) % 3, round % 3, (round + 1) % 3}))
		if tok.Status != http.StatusOK {
			t.Fatalf("round %d: token: %+v", round, tok)
		}
		if won := race("one refresh token", func(i int) tokenAnswer { return cl.refresh(i, client, tok.Refresh) }); len(won) > 1 {
			t.Fatalf("round %d: one refresh token used on 3 replicas at once: %d succeeded, want at most 1", round, len(won))
		}
	}
}

// pausingStore holds a replica's proxy, once armed, at its first Put of a
// key starting with prefix, until released: the moment between two writes
// of one request that another replica's request can fall into.
type pausingStore struct {
	oauth.Store
	prefix  string
	armed   atomic.Bool
	once    sync.Once
	reached chan struct{}
	release chan struct{}
	freed   sync.Once
}

// free releases the held Put; it may be called more than once.
func (s *pausingStore) free() { s.freed.Do(func() { close(s.release) }) }

func newPausingStore(s oauth.Store, prefix string) *pausingStore {
	return &pausingStore{Store: s, prefix: prefix, reached: make(chan struct{}), release: make(chan struct{})}
}

func (s *pausingStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if s.armed.Load() && strings.HasPrefix(key, s.prefix) {
		s.once.Do(func() {
			close(s.reached)
			<-s.release
		})
	}
	return s.Store.Put(ctx, key, value, ttl)
}

// redeemWhilePaused runs first on replica 0 until it is held by its
// pausing store, runs then on replica 1, and releases replica 0: it
// returns both answers.
func redeemWhilePaused(t *testing.T, ps *pausingStore, first, then func() tokenAnswer) (tokenAnswer, tokenAnswer) {
	t.Helper()
	ps.armed.Store(true)
	// A test failing while replica 0 is held must not leave its request
	// hanging: the server's Close would wait for it.
	defer ps.free()
	done := make(chan tokenAnswer, 1)
	go func() { done <- first() }()
	select {
	case <-ps.reached:
	case a := <-done:
		t.Fatalf("replica 0 answered without writing a %s record: %+v", ps.prefix, a)
	}
	second := then()
	ps.free()
	return <-done, second
}

// A code replayed on B while its first redemption on A is between taking
// the code and storing the grant: B finds the code's tombstone and revokes
// the grant, which does not exist yet. The package documentation says a
// second redemption "revokes every token the first one gave": the
// revocation's mark, checked by A after storing the grant, makes A drop it.
//
// The window is that of two Redis round trips (A writes the refresh token,
// then the grant); across replicas, a client retrying a timed-out token
// request on another replica, or an attacker racing with a stolen code,
// falls into it. The same sequence exists with a MemoryStore, but one
// process makes it microseconds wide.
func TestOAuthCodeReplayDuringRedemption(t *testing.T) {
	t.Parallel()
	var ps *pausingStore
	cl := startOAuthReplicas(t, 3, func(i int, s oauth.Store) oauth.Store {
		if i != 0 {
			return s
		}
		ps = newPausingStore(s, "refresh/")
		return ps
	})
	client := cl.register(0)
	s := cl.signIn(client, at{1, 2, 0, 1})
	first, replay := redeemWhilePaused(t, ps,
		func() tokenAnswer { return cl.redeem(0, client, s) },
		func() tokenAnswer { return cl.redeem(1, client, s) })
	if replay.Status != http.StatusBadRequest || replay.Error != "invalid_grant" {
		t.Fatalf("the replay on replica 1: %+v", replay)
	}
	if first.Status != http.StatusOK {
		// The revocation's mark was seen after the grant was stored: the
		// grant and its tokens were dropped, and the answer says why.
		if first.Status != http.StatusBadRequest || first.Error != "invalid_grant" || !strings.Contains(first.Desc, "revoked") {
			t.Fatalf("the first redemption on replica 0: %+v", first)
		}
		return
	}
	sess := newClient(t, cl.mcp(2))
	cl.refused("the access token of a replayed code", 2, sess, first.Access)
	if r := cl.refresh(2, client, first.Refresh); r.Status != http.StatusBadRequest {
		t.Errorf("the refresh token of a replayed code on replica 2: %+v", r)
	}
}

// A spent refresh token replayed on B while its legitimate use on A is
// between reading the grant and storing the new tokens: B detects the reuse,
// answers that every token of the grant is revoked, and deletes the grant;
// A must not write the grant back (the revocation's mark stops it), so the
// family stays revoked on every replica.
//
// As above, the window is a few Redis round trips wide on a cluster (the
// used-token marker, the grant read, the new refresh token's write), and
// exists, narrower, in one process.
func TestOAuthRefreshReplayDuringRotation(t *testing.T) {
	t.Parallel()
	var ps *pausingStore
	cl := startOAuthReplicas(t, 3, func(i int, s oauth.Store) oauth.Store {
		if i != 0 {
			return s
		}
		ps = newPausingStore(s, "refresh/")
		return ps
	})
	client := cl.register(1)
	tok := cl.redeem(2, client, cl.signIn(client, at{1, 2, 0, 1}))
	if tok.Status != http.StatusOK {
		t.Fatalf("token: %+v", tok)
	}
	rotated, replay := redeemWhilePaused(t, ps,
		func() tokenAnswer { return cl.refresh(0, client, tok.Refresh) },
		func() tokenAnswer { return cl.refresh(1, client, tok.Refresh) })
	if replay.Status != http.StatusBadRequest || !strings.Contains(replay.Desc, "revoked") {
		t.Fatalf("the replay on replica 1: %+v", replay)
	}
	if rotated.Status != http.StatusOK {
		// The rotation saw the revocation's mark: the family stays revoked.
		if rotated.Status != http.StatusBadRequest || rotated.Error != "invalid_grant" {
			t.Fatalf("the rotation on replica 0: %+v", rotated)
		}
		if r := cl.refresh(2, client, tok.Refresh); r.Status != http.StatusBadRequest {
			t.Errorf("the spent refresh token on replica 2: %+v", r)
		}
		return
	}
	sess := newClient(t, cl.mcp(2))
	cl.refused("the rotated access token of a family revoked for reuse", 2, sess, rotated.Access)
	if r := cl.refresh(2, client, rotated.Refresh); r.Status != http.StatusBadRequest {
		t.Errorf("the rotated refresh token of a family revoked for reuse, on replica 2: %+v", r)
	}
}
