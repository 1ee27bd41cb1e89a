package interop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// TestGoSDKEndToEnd drives the whole flow with the official Go SDK's OAuth
// client against the proxy in front of a real OpenID Provider: discovery
// from the 401 challenge, dynamic registration, authorization with PKCE
// (the test's browser approves the consent page and the provider signs the
// user in), the callback, the token exchange, then tools/call whoami with
// the token. The SDK has no refresh-on-demand or revocation call, so the
// refresh (after the upstream token expired, which makes the proxy renew it
// at the provider) is driven with golang.org/x/oauth2 on the configuration
// the SDK built, and the revocation with a plain RFC 7009 request.
func TestGoSDKEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var (
		cfg *oauth2.Config
		tok *oauth2.Token
	)
	handler, err := sdkauth.NewAuthorizationCodeHandler(&sdkauth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &sdkauth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				RedirectURIs:            []string{clientRedirect},
				GrantTypes:              []string{"authorization_code", "refresh_token"},
				TokenEndpointAuthMethod: "client_secret_basic",
				ClientName:              "Go SDK test client",
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *sdkauth.AuthorizationArgs) (*sdkauth.AuthorizationResult, error) {
			cb, err := newBrowser(t).authorize(ctx, args.URL)
			if err != nil {
				return nil, err
			}
			q := cb.Query()
			return &sdkauth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
		NewTokenSource: func(ctx context.Context, c *oauth2.Config, t *oauth2.Token) (oauth2.TokenSource, error) {
			cfg, tok = c, t
			return c.TokenSource(ctx, t), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "sdk-client", Version: "1.0.0"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.mcpURL, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	first := callWhoami(t, ctx, cs)
	if first.Subject != userSubject || first.Email != userEmail {
		t.Errorf("whoami = %+v, want subject %q and email %q", first, userSubject, userEmail)
	}
	if want := []string{"email", "offline_access", "openid", "profile"}; !slices.Equal(slices.Sorted(slices.Values(first.Scopes)), want) {
		t.Errorf("scopes = %v, want %v", first.Scopes, want)
	}
	if cfg == nil || tok == nil || tok.RefreshToken == "" {
		t.Fatalf("the SDK's token was not captured or has no refresh token: %+v", tok)
	}
	if cfg.Endpoint.TokenURL != h.base+"/oauth/token" || cfg.ClientSecret == "" {
		t.Errorf("SDK configuration: token URL %q, secret set %v", cfg.Endpoint.TokenURL, cfg.ClientSecret != "")
	}

	// The upstream access token (5 minutes at this provider) runs out: the
	// refresh renews it at the provider and rotates the refresh token.
	h.clock.Advance(10 * time.Minute)
	if status, _ := h.mcpStatus(t, tok.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("with the upstream token expired, the old token got %d, want 401", status)
	}
	rctx := context.WithValue(ctx, oauth2.HTTPClient, http.DefaultClient)
	fresh, err := cfg.TokenSource(rctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Error("the refresh did not rotate both tokens")
	}
	cs2, err := mcp.NewClient(&mcp.Implementation{Name: "sdk-client", Version: "1.0.0"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.mcpURL, HTTPClient: bearerClient(fresh.AccessToken)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	second := callWhoami(t, ctx, cs2)
	if second.Subject != userSubject || second.UpstreamToken == first.UpstreamToken {
		t.Errorf("after the refresh: %+v; the upstream token should have been renewed", second)
	}

	// Revocation (RFC 7009) of the refresh token ends the whole grant.
	c := client{ID: cfg.ClientID, Secret: cfg.ClientSecret}
	if status, body, _ := h.postForm(t, "/oauth/revoke", c, url.Values{"token": {fresh.RefreshToken}, "token_type_hint": {"refresh_token"}}); status != http.StatusOK {
		t.Fatalf("revoke: %d %v", status, body)
	}
	if status, _ := h.mcpStatus(t, fresh.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("after revocation the access token got %d, want 401", status)
	}
	if status, body := h.refresh(t, c, fresh.RefreshToken); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("after revocation the refresh got %d %v, want 400 invalid_grant", status, body)
	}
}

func callWhoami(t *testing.T, ctx context.Context, cs *mcp.ClientSession) whoami {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("whoami failed: %+v", res.Content)
	}
	var w whoami
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// bearerClient sends a fixed bearer token.
func bearerClient(token string) *http.Client {
	return &http.Client{Transport: bearer{http.DefaultTransport, token}}
}

type bearer struct {
	rt    http.RoundTripper
	token string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}
