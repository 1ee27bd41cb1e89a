package main

// The example against a real OpenID Provider (zitadel/oidc's op package with
// its example in-memory storage) on 127.0.0.1, signed in with the official Go
// SDK's OAuth client.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/oauth"
)

const redirect = "http://127.0.0.1:9/callback"

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OAUTH_ISSUER": "https://idp.example.com", "OAUTH_CLIENT_ID": "env-id", "OAUTH_DEV": "1"}
	c, err := parseConfig([]string{"-client-id", "flag-id"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://idp.example.com" || c.ClientID != "flag-id" || !c.Dev || c.BaseURL != "http://127.0.0.1:8080" {
		t.Errorf("config = %+v", c)
	}
	if _, err := parseConfig(nil, func(string) string { return "" }); err == nil {
		t.Error("no issuer, no error")
	}
}

func TestRefusesToStartWithoutKeys(t *testing.T) {
	t.Parallel()
	_, err := newServer(config{Issuer: "https://idp.example.com", ClientID: "id", BaseURL: "https://mcp.example.com"}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, oauth.ErrMissingKeys) {
		t.Fatalf("err = %v, want ErrMissingKeys", err)
	}
}

func TestWhoami(t *testing.T) {
	t.Parallel()
	mcpServer := httptest.NewUnstartedServer(nil)
	base := "http://" + mcpServer.Listener.Addr().String()
	issuer := startIdP(t, base+"/oauth/callback")

	server, err := newServer(config{
		Issuer: issuer, ClientID: "example", ClientSecret: "example-secret", BaseURL: base,
		Scopes: "openid profile email offline_access", StoreDir: t.TempDir(), Dev: true,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h := server.Handler(fastmcp.HTTP{})
	mcpServer.Config.Handler = h
	mcpServer.Start()
	t.Cleanup(func() { h.Close(); mcpServer.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handler, err := sdkauth.NewAuthorizationCodeHandler(&sdkauth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &sdkauth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{RedirectURIs: []string{redirect}, ClientName: "example test"},
		},
		AuthorizationCodeFetcher: approve,
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: base + "/mcp", OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil || res.IsError {
		t.Fatalf("whoami: %v %+v", err, res)
	}
	var w whoami
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &w)
	if w.Subject != "id1" || w.Email != "test-user@zitadel.ch" || len(w.Scopes) != 4 {
		t.Errorf("whoami = %+v", w)
	}
}

// startIdP runs the OpenID Provider with the example's client registered,
// signing the test user in without a login form.
func startIdP(t *testing.T, callback string) string {
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	st := storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{
		"example": storage.WebClient("example", "example-secret", callback),
	})
	var key [32]byte
	rand.Read(key[:])
	provider, err := op.NewProvider(&op.Config{CryptoKey: key, CodeMethodS256: true, GrantTypeRefreshToken: true},
		st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
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
	return issuer
}

var (
	txnField  = regexp.MustCompile(`name="transaction_id" value="([^"]*)"`)
	csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// approve is the user: a browser that opens the authorization URL, approves
// the consent page and returns what the server sent back to the client.
func approve(ctx context.Context, args *sdkauth.AuthorizationArgs) (*sdkauth.AuthorizationResult, error) {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(req *http.Request) (*http.Response, string, error) {
		resp, err := b.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body), nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, args.URL, nil)
	resp, page, err := get(req)
	if err != nil {
		return nil, err
	}
	txn, csrf := txnField.FindStringSubmatch(page), csrfField.FindStringSubmatch(page)
	if txn == nil || csrf == nil {
		return nil, fmt.Errorf("no consent page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"transaction_id": {txn[1]}, "csrf_token": {csrf[1]}, "action": {"approve"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, resp.Request.URL.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, page, err = get(req)
	if err != nil {
		return nil, err
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("not sent back to the client: %d %s", resp.StatusCode, page)
	}
	q := loc.Query()
	return &sdkauth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}
