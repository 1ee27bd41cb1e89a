package interop_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/oauth"
)

// flakyTransport fails every request while down is set.
type flakyTransport struct {
	down atomic.Bool
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.down.Load() {
		return nil, errors.New("connection refused (test)")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestUpstreamRefresh: the upstream token is renewed when the client
// refreshes; a provider that ends the sign-in ends the grant; a provider
// that cannot be reached leaves the client's refresh token usable.
func TestUpstreamRefresh(t *testing.T) {
	t.Parallel()
	flaky := &flakyTransport{}
	h := newHarness(t, func(c *oauth.Config) { c.HTTPClient = &http.Client{Transport: flaky} })
	c := h.registerDefault(t)

	t.Run("provider unreachable", func(t *testing.T) {
		_, rt := h.tokens(t, c)
		h.clock.Advance(10 * time.Minute) // the 5-minute upstream token expired
		flaky.down.Store(true)
		status, body := h.refresh(t, c, rt)
		flaky.down.Store(false)
		if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
			t.Fatalf("got %d %v", status, body)
		}
		if status, body := h.refresh(t, c, rt); status != http.StatusOK {
			t.Fatalf("the refresh token did not survive the outage: %d %v", status, body)
		}
	})
	t.Run("provider revoked the sign-in", func(t *testing.T) {
		access, rt := h.tokens(t, c)
		v, err := h.authenticate(access)
		if err != nil {
			t.Fatal(err)
		}
		s := v.(*oauth.Session)
		if err := h.idp.Storage.RevokeToken(context.Background(), s.RefreshToken, userSubject, idpClientID); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(10 * time.Minute)
		if status, body := h.refresh(t, c, rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("got %d %v", status, body)
		}
		if status, _ := h.refresh(t, c, rt); status != http.StatusBadRequest {
			t.Error("the grant survived")
		}
	})
}

// TestUpstreamCallbackFailures: a provider's refusal comes back to the
// client as access_denied, and a response naming another issuer (RFC 9207,
// a mix-up attack) is refused; both with the client's state and the
// proxy's issuer.
func TestUpstreamCallbackFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	tests := []struct {
		name   string
		params func(state string) url.Values
		want   string
	}{
		{"access denied", func(st string) url.Values { return url.Values{"state": {st}, "error": {"access_denied"}} }, "access_denied"},
		{"other error", func(st string) url.Values { return url.Values{"state": {st}, "error": {"login_required"}} }, "server_error"},
		{"issuer mix-up", func(st string) url.Values {
			return url.Values{"state": {st}, "code": {"x"}, "iss": {"https://evil.example.com"}}
		}, "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, challenge := pkce()
			b := newBrowser(t)
			f, err := b.consent(context.Background(), h.authorizeURL(c, challenge, url.Values{"state": {"client-state"}}))
			if err != nil {
				t.Fatal(err)
			}
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			upstream, err := b.decide(context.Background(), f, "approve")
			if err != nil {
				t.Fatal(err)
			}
			uq := upstream.Query()
			if !strings.HasPrefix(upstream.String(), h.idp.URL) || uq.Get("code_challenge_method") != "S256" || uq.Get("nonce") == "" || uq.Get("redirect_uri") != h.base+"/oauth/callback" {
				t.Fatalf("upstream request: %s", upstream)
			}
			cb := h.base + "/oauth/callback?" + tt.params(uq.Get("state")).Encode()
			resp, _, err := b.do(context.Background(), http.MethodGet, cb, nil)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("no redirect: %d", resp.StatusCode)
			}
			if q := loc.Query(); q.Get("error") != tt.want || q.Get("state") != "client-state" || q.Get("iss") != h.base || q.Get("code") != "" {
				t.Fatalf("redirect %s", loc)
			}
			// The transaction is spent.
			if resp, _, _ := b.do(context.Background(), http.MethodGet, cb, nil); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("replayed callback: %d", resp.StatusCode)
			}
		})
	}
}

// TestSkipConsent: without the consent page the browser goes straight to
// the provider, and is still bound to the transaction.
func TestSkipConsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.SkipConsent = true })
	c := h.registerDefault(t)
	verifier, challenge := pkce()
	resp, _, err := newBrowser(t).do(context.Background(), http.MethodGet, h.authorizeURL(c, challenge, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("no redirect to the client: %d", resp.StatusCode)
	}
	if status, body := h.redeem(t, c, grantResult{Code: loc.Query().Get("code"), Verifier: verifier}); status != http.StatusOK {
		t.Fatalf("got %d %v", status, body)
	}
}

// TestDiscoveryDocuments: the server publishes the proxy's metadata, and
// Handler serves it on its own too.
func TestDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp"} {
		resp, err := http.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	m := h.proxy.Metadata()
	if m.Issuer != h.base || !m.AuthorizationResponseIssParameterSupported || m.RevocationEndpoint != h.base+"/oauth/revoke" ||
		m.ClientIDMetadataDocumentSupported || strings.Join(m.GrantTypesSupported, " ") != "authorization_code refresh_token" {
		t.Errorf("metadata = %+v", m)
	}
	d := h.proxy.Discovery()
	if d.ProtectedResource.Resource != h.mcpURL || d.ProtectedResource.AuthorizationServers[0] != h.base {
		t.Errorf("protected resource = %+v", d.ProtectedResource)
	}
	rec := newRecorder()
	h.proxy.Handler().ServeHTTP(rec, mustRequest(http.MethodGet, "/.well-known/oauth-authorization-server"))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"issuer":"`+h.base+`"`) {
		t.Errorf("Handler metadata: %d %s", rec.Code, rec.Body)
	}
	rec = newRecorder()
	h.proxy.Handler().ServeHTTP(rec, mustRequest(http.MethodGet, "/oauth/token"))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /oauth/token: %d", rec.Code)
	}
}
