package interop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// TestTokenEndpointFailures runs the failure paths of the authorization code
// redemption, each with a fresh sign-in.
func TestTokenEndpointFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	good := h.registerDefault(t)
	other := h.registerDefault(t)
	public := h.register(t, map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none"})

	tests := []struct {
		name       string
		as         func(c client) client // who redeems
		form       func(g grantResult, f url.Values)
		signInWith *client
		status     int
		code       string
		// keeps: the request failed before the code was looked at (client
		// authentication, grant type), so the code is still good.
		keeps bool
	}{
		{name: "bad PKCE verifier", form: func(g grantResult, f url.Values) {
			f.Set("code_verifier", strings.Repeat("x", 43))
		}, status: 400, code: "invalid_grant"},
		{name: "missing PKCE verifier", form: func(g grantResult, f url.Values) { f.Del("code_verifier") }, status: 400, code: "invalid_grant"},
		{name: "malformed PKCE verifier", form: func(g grantResult, f url.Values) { f.Set("code_verifier", "short") }, status: 400, code: "invalid_grant"},
		{name: "wrong redirect URI", form: func(g grantResult, f url.Values) {
			f.Set("redirect_uri", "http://127.0.0.1:9/other")
		}, status: 400, code: "invalid_grant"},
		{name: "missing redirect URI", form: func(g grantResult, f url.Values) { f.Del("redirect_uri") }, status: 400, code: "invalid_grant"},
		{name: "resource mismatch", form: func(g grantResult, f url.Values) {
			f.Set("resource", "https://other.example.com/mcp")
		}, status: 400, code: "invalid_target"},
		{name: "unregistered client", as: func(client) client { return client{ID: "no-such-client", Secret: "x"} }, status: 401, code: "invalid_client", keeps: true},
		{name: "wrong client secret", as: func(c client) client { return client{ID: c.ID, Secret: "wrong-" + c.Secret} }, status: 401, code: "invalid_client", keeps: true},
		{name: "no client authentication", as: func(c client) client { return client{ID: c.ID} }, status: 401, code: "invalid_client", keeps: true},
		{name: "code of another client", as: func(client) client { return other }, status: 400, code: "invalid_grant"},
		{name: "unknown code", form: func(g grantResult, f url.Values) { f.Set("code", "nope") }, status: 400, code: "invalid_grant", keeps: true},
		{name: "unsupported grant type", form: func(g grantResult, f url.Values) { f.Set("grant_type", "password") }, status: 400, code: "unsupported_grant_type", keeps: true},
		{name: "secret sent by a public client", signInWith: &public, as: func(c client) client { return client{ID: c.ID, Secret: "made-up"} }, status: 401, code: "invalid_client", keeps: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := good
			if tt.signInWith != nil {
				c = *tt.signInWith
			}
			g := h.signIn(t, c)
			f := url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {g.Code},
				"redirect_uri":  {clientRedirect},
				"code_verifier": {g.Verifier},
			}
			if tt.form != nil {
				tt.form(g, f)
			}
			as := c
			if tt.as != nil {
				as = tt.as(c)
			}
			status, body, hdr := h.postForm(t, "/oauth/token", as, f)
			if status != tt.status || body["error"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", status, body, tt.status, tt.code)
			}
			if tt.status == 401 && as.Secret != "" && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("a 401 to a Basic client lacks the Basic challenge: %q", hdr.Get("WWW-Authenticate"))
			}
			if hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", hdr.Get("Cache-Control"))
			}
			// A failure on the code spends it; a failure before leaves it.
			want := http.StatusBadRequest
			if tt.keeps {
				want = http.StatusOK
			}
			if status, body := h.redeem(t, c, g); status != want {
				t.Errorf("redeeming the code after the failure: %d %v, want %d", status, body, want)
			}
		})
	}

	t.Run("public client with PKCE", func(t *testing.T) {
		t.Parallel()
		status, body := h.redeem(t, public, h.signIn(t, public))
		if status != http.StatusOK || body["refresh_token"] == nil {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("client_secret_post", func(t *testing.T) {
		t.Parallel()
		g := h.signIn(t, good)
		status, body, _ := h.postForm(t, "/oauth/token", client{}, url.Values{
			"grant_type": {"authorization_code"}, "code": {g.Code}, "redirect_uri": {clientRedirect},
			"code_verifier": {g.Verifier}, "client_id": {good.ID}, "client_secret": {good.Secret},
		})
		if status != http.StatusOK {
			t.Fatalf("got %d %v", status, body)
		}
	})
}

// TestCodeReuseRevokesFamily: a code redeemed twice is refused, and the
// tokens the first redemption gave are revoked (RFC 6749 §4.1.2).
func TestCodeReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	g := h.signIn(t, c)
	status, body := h.redeem(t, c, g)
	if status != http.StatusOK {
		t.Fatalf("first redemption: %d %v", status, body)
	}
	access, refresh := body["access_token"].(string), body["refresh_token"].(string)
	if status, _ := h.mcpStatus(t, access); status != http.StatusOK {
		t.Fatalf("the fresh token got %d", status)
	}
	status, body = h.redeem(t, c, g)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("second redemption: %d %v", status, body)
	}
	if status, challenge := h.mcpStatus(t, access); status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Errorf("after the replay the access token got %d (%s), want 401 invalid_token", status, challenge)
	}
	if status, body := h.refresh(t, c, refresh); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("after the replay the refresh token got %d %v", status, body)
	}
}

// TestExpiredCode: a code redeemed after CodeTTL is refused.
func TestExpiredCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.CodeTTL = time.Minute })
	c := h.registerDefault(t)
	g := h.signIn(t, c)
	h.clock.Advance(61 * time.Second)
	if status, body := h.redeem(t, c, g); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("got %d %v, want 400 invalid_grant", status, body)
	}
}

// TestRefreshRotationAndReuse: each refresh rotates the refresh token;
// presenting a spent one revokes the whole family.
func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	_, rt1 := h.tokens(t, c)
	status, body := h.refresh(t, c, rt1)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	at2, rt2 := body["access_token"].(string), body["refresh_token"].(string)
	if rt2 == "" || rt2 == rt1 {
		t.Fatal("the refresh token was not rotated")
	}
	if status, _ := h.mcpStatus(t, at2); status != http.StatusOK {
		t.Fatalf("the refreshed token got %d", status)
	}
	// The spent token again: refused, and the family is revoked.
	if status, body := h.refresh(t, c, rt1); status != http.StatusBadRequest || body["error"] != "invalid_grant" ||
		!strings.Contains(body["error_description"].(string), "revoked") {
		t.Fatalf("reuse: %d %v", status, body)
	}
	if status, _ := h.mcpStatus(t, at2); status != http.StatusUnauthorized {
		t.Errorf("after reuse the newest access token got %d, want 401", status)
	}
	if status, _ := h.refresh(t, c, rt2); status != http.StatusBadRequest {
		t.Errorf("after reuse the newest refresh token got %d, want 400", status)
	}

	t.Run("another client's refresh token", func(t *testing.T) {
		other := h.registerDefault(t)
		_, rt := h.tokens(t, c)
		if status, body := h.refresh(t, other, rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("got %d %v", status, body)
		}
		if status, _ := h.refresh(t, c, rt); status != http.StatusBadRequest {
			t.Errorf("the stolen token still works for its owner: %d", status)
		}
	})
	t.Run("narrower scope", func(t *testing.T) {
		_, rt := h.tokens(t, c)
		status, body, _ := h.postForm(t, "/oauth/token", c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid email"}})
		if status != http.StatusOK || body["scope"] != "openid email" {
			t.Fatalf("got %d %v", status, body)
		}
		_, rt = h.tokens(t, c)
		status, body, _ = h.postForm(t, "/oauth/token", c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"admin"}})
		if status != http.StatusBadRequest || body["error"] != "invalid_scope" {
			t.Fatalf("wider scope: %d %v", status, body)
		}
	})
	t.Run("expired refresh token", func(t *testing.T) {
		h := newHarness(t, func(c *oauth.Config) { c.RefreshTokenTTL = time.Hour })
		c := h.registerDefault(t)
		_, rt := h.tokens(t, c)
		h.clock.Advance(2 * time.Hour)
		if status, body := h.refresh(t, c, rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("got %d %v", status, body)
		}
	})
}

// TestTamperedTokens: the MCP endpoint refuses every token the proxy did not
// issue as is.
func TestTamperedTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	access, _ := h.tokens(t, c)
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", access)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr map[string]any
	json.Unmarshal(header, &hdr)

	resign := func(mutate func(jwt.MapClaims, map[string]any), k []byte) string {
		mc := jwt.MapClaims{}
		for k, v := range claims {
			mc[k] = v
		}
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, mc)
		t.Header["typ"], t.Header["kid"] = hdr["typ"], hdr["kid"]
		mutate(mc, t.Header)
		s, _ := t.SignedString(k)
		return s
	}
	b64 := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	withClaim := func(k string, v any) string {
		m := map[string]any{}
		for ck, cv := range claims {
			m[ck] = cv
		}
		m[k] = v
		return parts[0] + "." + b64(m) + "." + parts[2]
	}
	tests := []struct{ name, token string }{
		{"changed subject", withClaim("sub", "someone-else")},
		{"changed scope", withClaim("scope", "openid admin")},
		{"changed expiry", withClaim("exp", time.Now().Add(time.Hour*24*365).Unix())},
		{"flipped signature", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"alg none", b64(map[string]any{"alg": "none", "typ": "at+jwt", "kid": hdr["kid"]}) + "." + parts[1] + "."},
		{"signed with another key", resign(func(jwt.MapClaims, map[string]any) {}, key(9))},
		{"other audience", resign(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "https://other.example.com/mcp" }, key(1))},
		{"other issuer", resign(func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "https://evil.example.com" }, key(1))},
		{"not an access token", resign(func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "JWT" }, key(1))},
		{"no expiry", resign(func(c jwt.MapClaims, _ map[string]any) { delete(c, "exp") }, key(1))},
		{"other grant", resign(func(c jwt.MapClaims, _ map[string]any) { c["gid"] = "forged" }, key(1))},
		{"other client of the grant", resign(func(c jwt.MapClaims, _ map[string]any) { c["client_id"] = "forged" }, key(1))},
		{"other subject of the grant", resign(func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "forged" }, key(1))},
		{"garbage", "not-a-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if status, challenge := h.mcpStatus(t, tt.token); status != http.StatusUnauthorized ||
				!strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, "resource_metadata=") {
				t.Errorf("got %d %q, want 401 with invalid_token and resource_metadata", status, challenge)
			}
		})
	}
	t.Run("the untampered token works", func(t *testing.T) {
		if status, _ := h.mcpStatus(t, access); status != http.StatusOK {
			t.Errorf("got %d", status)
		}
	})
	t.Run("no token", func(t *testing.T) {
		status, challenge := h.mcpStatus(t, "")
		if status != http.StatusUnauthorized || strings.Contains(challenge, "error=") || !strings.Contains(challenge, "resource_metadata=") {
			t.Errorf("got %d %q, want 401 Bearer without error code", status, challenge)
		}
	})
	t.Run("expired", func(t *testing.T) {
		h := newHarness(t, func(c *oauth.Config) { c.AccessTokenTTL = time.Minute })
		access, _ := h.tokens(t, h.registerDefault(t))
		h.clock.Advance(2 * time.Minute)
		if status, _ := h.mcpStatus(t, access); status != http.StatusUnauthorized {
			t.Errorf("got %d", status)
		}
	})
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// TestKeys: without keys the proxy refuses to start, unless in development
// mode; bad keys are refused; a rotated-out key still verifies.
func TestKeys(t *testing.T) {
	t.Parallel()
	provider := &oauth.GitHubProvider{ClientID: "id", ClientSecret: "secret"}
	tests := []struct {
		name    string
		cfg     oauth.Config
		wantErr error
		errText string
	}{
		{name: "missing both", cfg: oauth.Config{}, wantErr: oauth.ErrMissingKeys},
		{name: "missing encryption key", cfg: oauth.Config{SigningKey: key(1)}, wantErr: oauth.ErrMissingKeys},
		{name: "missing signing key", cfg: oauth.Config{EncryptionKey: key(1)}, wantErr: oauth.ErrMissingKeys},
		{name: "short signing key", cfg: oauth.Config{SigningKey: key(1)[:16], EncryptionKey: key(2)}, errText: "at least 32"},
		{name: "wrong encryption key size", cfg: oauth.Config{SigningKey: key(1), EncryptionKey: append(key(2), 1)}, errText: "exactly 32"},
		{name: "development mode", cfg: oauth.Config{DevelopmentMode: true}},
		{name: "keys given", cfg: oauth.Config{SigningKey: key(1), EncryptionKey: key(2)}},
		{name: "http on a public host", cfg: oauth.Config{BaseURL: "http://mcp.example.com", DevelopmentMode: true}, errText: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Provider = provider
			if cfg.BaseURL == "" {
				cfg.BaseURL = "https://mcp.example.com"
			}
			cfg.Logger = fastmcptest.Logger(t)
			_, err := oauth.NewProxy(cfg)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.errText != "" && (err == nil || !strings.Contains(err.Error(), tt.errText)):
				t.Fatalf("err = %v, want one mentioning %q", err, tt.errText)
			case tt.wantErr == nil && tt.errText == "" && err != nil:
				t.Fatal(err)
			}
		})
	}
	t.Run("missing keys message", func(t *testing.T) {
		msg := oauth.ErrMissingKeys.Error()
		for _, want := range []string{"SigningKey", "EncryptionKey", "DevelopmentMode"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the message does not mention %s: %s", want, msg)
			}
		}
	})
	t.Run("rotation", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		access, _ := h.tokens(t, h.registerDefault(t))
		// A proxy with new keys that still accepts the old ones reads the
		// old tokens and the store sealed with the old key.
		rotated, err := oauth.NewProxy(oauth.Config{
			BaseURL: h.base, Provider: &oauth.GitHubProvider{ClientID: "x"}, Store: h.store, Now: h.clock.Now,
			SigningKey: key(3), EncryptionKey: key(4),
			PreviousSigningKeys: [][]byte{key(1)}, PreviousEncryptionKeys: [][]byte{key(2)},
		})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, h.mcpURL, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		if _, err := rotated.Authenticate(req); err != nil {
			t.Errorf("rotated proxy: %v", err)
		}
		unrotated, _ := oauth.NewProxy(oauth.Config{BaseURL: h.base, Provider: &oauth.GitHubProvider{ClientID: "x"}, Store: h.store,
			Now: h.clock.Now, SigningKey: key(3), EncryptionKey: key(4)})
		if _, err := unrotated.Authenticate(req); err == nil {
			t.Error("a proxy with other keys accepted the token")
		}
	})
}

// TestConsentCSRF: the consent decision must come from the page shown in the
// same browser.
func TestConsentCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	ctx := context.Background()
	_, challenge := pkce()

	tests := []struct {
		name   string
		attack func(t *testing.T, victim *browser, f consentForm) (*url.URL, error)
	}{
		{"no CSRF token", func(t *testing.T, b *browser, f consentForm) (*url.URL, error) {
			f.CSRF = ""
			return b.decide(ctx, f, "approve")
		}},
		{"wrong CSRF token", func(t *testing.T, b *browser, f consentForm) (*url.URL, error) {
			f.CSRF = strings.Repeat("A", 43)
			return b.decide(ctx, f, "approve")
		}},
		{"another browser's form", func(t *testing.T, _ *browser, f consentForm) (*url.URL, error) {
			// The attacker's page, submitted from the victim's browser, which
			// has no cookie (or another one).
			victim := newBrowser(t)
			if _, err := victim.consent(ctx, h.authorizeURL(c, challenge, nil)); err != nil {
				t.Fatal(err)
			}
			return victim.decide(ctx, f, "approve")
		}},
		{"token of another transaction", func(t *testing.T, b *browser, f consentForm) (*url.URL, error) {
			g, err := b.consent(ctx, h.authorizeURL(c, challenge, nil))
			if err != nil {
				t.Fatal(err)
			}
			f.CSRF = g.CSRF
			return b.decide(ctx, f, "approve")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t)
			f, err := b.consent(ctx, h.authorizeURL(c, challenge, nil))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tt.attack(t, b, f); statusOf(err) != http.StatusForbidden {
				t.Fatalf("got %v, want a 403 page", err)
			}
			// The genuine form still works.
			if cb, err := b.decide(ctx, f, "approve"); err != nil || cb.Query().Get("code") == "" {
				t.Fatalf("genuine approval: %v %v", cb, err)
			}
		})
	}

	t.Run("callback in another browser", func(t *testing.T) {
		t.Parallel()
		attacker := newBrowser(t)
		f, err := attacker.consent(ctx, h.authorizeURL(c, challenge, nil))
		if err != nil {
			t.Fatal(err)
		}
		// The attacker approves, then stops at the provider and hands the
		// link to the victim, whose browser completes the sign-in.
		attacker.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		upstream, err := attacker.decide(ctx, f, "approve")
		if err != nil {
			t.Fatal(err)
		}
		victim := newBrowser(t)
		resp, page, err := victim.do(ctx, http.MethodGet, upstream.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden || !strings.HasSuffix(resp.Request.URL.Path, "/oauth/callback") {
			t.Fatalf("the victim's browser ended at %s with %d: %s", resp.Request.URL, resp.StatusCode, page)
		}
	})
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		f, err := b.consent(ctx, h.authorizeURL(c, challenge, url.Values{"state": {"deny-state"}}))
		if err != nil {
			t.Fatal(err)
		}
		cb, err := b.decide(ctx, f, "deny")
		if err != nil {
			t.Fatal(err)
		}
		q := cb.Query()
		if q.Get("error") != "access_denied" || q.Get("state") != "deny-state" || q.Get("iss") != h.base || q.Get("code") != "" {
			t.Fatalf("deny redirect: %s", cb)
		}
	})
	t.Run("consent page", func(t *testing.T) {
		t.Parallel()
		resp, page, err := newBrowser(t).do(ctx, http.MethodGet, h.authorizeURL(c, challenge, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`<html lang="en">`, "<main>", "<h1>Authorize Test client</h1>", `<button type="submit" name="action" value="approve">`, clientRedirect} {
			if !strings.Contains(page, want) {
				t.Errorf("the consent page lacks %q", want)
			}
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
		}
	})
}

// TestAuthorizeFailures: an unknown client or redirect URI is answered on a
// page (never redirected); other failures go back to the client with its
// state and the issuer (RFC 9207).
func TestAuthorizeFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	noRefresh := h.register(t, map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"authorization_code"}})
	_, challenge := pkce()
	tests := []struct {
		name   string
		client client
		params url.Values
		page   int    // the status of an error page, or 0
		code   string // the error sent back to the client
	}{
		{name: "unregistered client", client: client{ID: "nope"}, page: 400},
		{name: "no client", client: client{}, page: 400},
		{name: "wrong redirect URI", client: c, params: url.Values{"redirect_uri": {"http://127.0.0.1:9/elsewhere"}}, page: 400},
		{name: "foreign redirect URI", client: c, params: url.Values{"redirect_uri": {"https://evil.example.com/cb"}}, page: 400},
		{name: "resource mismatch", client: c, params: url.Values{"resource": {"https://other.example.com/mcp"}}, code: "invalid_target"},
		{name: "missing PKCE", client: c, params: url.Values{"code_challenge": {""}}, code: "invalid_request"},
		{name: "plain PKCE", client: c, params: url.Values{"code_challenge_method": {"plain"}, "code_challenge": {strings.Repeat("a", 50)}}, code: "invalid_request"},
		{name: "PKCE method omitted means plain", client: c, params: url.Values{"code_challenge_method": {""}}, code: "invalid_request"},
		{name: "malformed challenge", client: c, params: url.Values{"code_challenge": {"short"}}, code: "invalid_request"},
		{name: "implicit flow", client: c, params: url.Values{"response_type": {"token"}}, code: "unsupported_response_type"},
		{name: "only unsupported scopes", client: c, params: url.Values{"scope": {"admin"}}, code: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			params := url.Values{"state": {"s-" + tt.name}}
			for k, v := range tt.params {
				params[k] = v
			}
			b := newBrowser(t)
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, page, err := b.do(context.Background(), http.MethodGet, h.authorizeURL(tt.client, challenge, params), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.page != 0 {
				if resp.StatusCode != tt.page || resp.Header.Get("Location") != "" || !strings.Contains(page, "Authorization failed") {
					t.Fatalf("got %d %q, want an error page %d", resp.StatusCode, resp.Header.Get("Location"), tt.page)
				}
				return
			}
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("no redirect: %d %s", resp.StatusCode, page)
			}
			q := loc.Query()
			if !strings.HasPrefix(loc.String(), clientRedirect) || q.Get("error") != tt.code || q.Get("state") != "s-"+tt.name || q.Get("iss") != h.base {
				t.Fatalf("redirect %s, want error %s with state and iss", loc, tt.code)
			}
		})
	}
	t.Run("no refresh token without the grant", func(t *testing.T) {
		status, body := h.redeem(t, noRefresh, h.signIn(t, noRefresh))
		if status != http.StatusOK || body["refresh_token"] != nil {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("plain PKCE when allowed", func(t *testing.T) {
		h := newHarness(t, func(c *oauth.Config) { c.AllowPlainPKCE = true })
		c := h.registerDefault(t)
		verifier := strings.Repeat("v", 50)
		cb, err := newBrowser(t).authorize(context.Background(), h.authorizeURL(c, verifier, url.Values{"code_challenge_method": {"plain"}}))
		if err != nil {
			t.Fatal(err)
		}
		status, body := h.redeem(t, c, grantResult{Code: cb.Query().Get("code"), Verifier: verifier})
		if status != http.StatusOK {
			t.Fatalf("got %d %v", status, body)
		}
		if m := h.proxy.Metadata(); len(m.CodeChallengeMethodsSupported) != 2 {
			t.Errorf("metadata PKCE methods = %v", m.CodeChallengeMethodsSupported)
		}
	})
	t.Run("unknown scopes are ignored", func(t *testing.T) {
		verifier, challenge := pkce()
		cb, err := newBrowser(t).authorize(context.Background(), h.authorizeURL(c, challenge, url.Values{"scope": {"email admin:all"}}))
		if err != nil {
			t.Fatal(err)
		}
		status, body := h.redeem(t, c, grantResult{Code: cb.Query().Get("code"), Verifier: verifier})
		if status != http.StatusOK || body["scope"] != "email" {
			t.Fatalf("got %d %v", status, body)
		}
	})
}

// TestRegistration covers RFC 7591 registration and the redirect URI policy.
func TestRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) {
		c.AllowedRedirectURIs = []string{"https://*.example.com/callback", "https://claude.ai/api/mcp/auth_callback", "cursor://anysphere.cursor-retrieval/*"}
	})
	tests := []struct {
		name   string
		md     map[string]any
		status int
		code   string
	}{
		{"loopback IPv4", map[string]any{"redirect_uris": []string{"http://127.0.0.1:33418/callback"}}, 201, ""},
		{"loopback name", map[string]any{"redirect_uris": []string{"http://localhost:6274/oauth/callback"}}, 201, ""},
		{"loopback IPv6", map[string]any{"redirect_uris": []string{"http://[::1]:8080/cb"}}, 201, ""},
		{"allow-listed exact", map[string]any{"redirect_uris": []string{"https://claude.ai/api/mcp/auth_callback"}}, 201, ""},
		{"allow-listed glob", map[string]any{"redirect_uris": []string{"https://app.example.com/callback"}}, 201, ""},
		{"allow-listed custom scheme", map[string]any{"redirect_uris": []string{"cursor://anysphere.cursor-retrieval/oauth/user-server/callback"}}, 201, ""},
		{"not allow-listed", map[string]any{"redirect_uris": []string{"https://evil.example.org/callback"}}, 400, "invalid_redirect_uri"},
		{"glob does not cross labels", map[string]any{"redirect_uris": []string{"https://a.b.example.com/callback"}}, 400, "invalid_redirect_uri"},
		{"glob does not cross into the path", map[string]any{"redirect_uris": []string{"https://evil.com/x.example.com/callback"}}, 400, "invalid_redirect_uri"},
		{"user information", map[string]any{"redirect_uris": []string{"http://localhost:1@evil.com/cb"}}, 400, "invalid_redirect_uri"},
		{"fragment", map[string]any{"redirect_uris": []string{"http://127.0.0.1:1/cb#x"}}, 400, "invalid_redirect_uri"},
		{"javascript", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, 400, "invalid_redirect_uri"},
		{"no redirect URIs", map[string]any{"client_name": "x"}, 400, "invalid_redirect_uri"},
		{"unsupported auth method", map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "private_key_jwt"}, 400, "invalid_client_metadata"},
		{"unsupported grant", map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"client_credentials"}}, 400, "invalid_client_metadata"},
		{"unsupported response type", map[string]any{"redirect_uris": []string{clientRedirect}, "response_types": []string{"token"}}, 400, "invalid_client_metadata"},
		{"bad client_uri", map[string]any{"redirect_uris": []string{clientRedirect}, "client_uri": "javascript:alert(1)"}, 400, "invalid_client_metadata"},
		{"wrong types", map[string]any{"redirect_uris": "http://127.0.0.1/cb"}, 400, "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := h.postJSON(t, "/oauth/register", tt.md)
			if status != tt.status || (tt.code != "" && body["error"] != tt.code) {
				t.Fatalf("got %d %v, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
	t.Run("answer", func(t *testing.T) {
		t.Parallel()
		status, body := h.postJSON(t, "/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": "Answer", "scope": "openid admin"})
		if status != 201 {
			t.Fatalf("got %d %v", status, body)
		}
		if id, _ := body["client_id"].(string); len(id) != 32 {
			t.Errorf("client_id = %v", body["client_id"])
		}
		if s, _ := body["client_secret"].(string); len(s) < 43 {
			t.Errorf("client_secret = %v", body["client_secret"])
		}
		for k, want := range map[string]any{"client_secret_expires_at": 0.0, "token_endpoint_auth_method": "client_secret_basic", "client_name": "Answer", "scope": "openid"} {
			if body[k] != want {
				t.Errorf("%s = %v, want %v", k, body[k], want)
			}
		}
		if _, ok := body["client_id_issued_at"].(float64); !ok {
			t.Error("no client_id_issued_at")
		}
	})
	t.Run("public client has no secret", func(t *testing.T) {
		t.Parallel()
		_, body := h.postJSON(t, "/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none"})
		if _, ok := body["client_secret"]; ok {
			t.Errorf("a public client got a secret: %v", body)
		}
	})
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		status, body := h.postJSON(t, "/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": strings.Repeat("x", 70<<10)})
		if status != 400 {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("secrets are not stored", func(t *testing.T) {
		t.Parallel()
		c := h.registerDefault(t)
		for _, k := range []string{"client/" + c.ID} {
			raw, err := h.store.Get(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), c.Secret) || strings.Contains(string(raw), "Test client") {
				t.Error("the stored client is not encrypted")
			}
		}
	})
}

// TestPassthrough: in passthrough mode the client gets the upstream token,
// which the proxy accepts because it handed it out, until revoked.
func TestPassthrough(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.Passthrough = true })
	c := h.registerDefault(t)
	access, refresh := h.tokens(t, c)
	if strings.Count(access, ".") == 2 {
		t.Fatalf("the proxy issued its own JWT in passthrough mode: %s", access)
	}
	v, err := h.authenticate(access)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*oauth.Session)
	if s.AccessToken != access || s.Subject != userSubject {
		t.Errorf("session = %+v", s)
	}
	if status, _ := h.mcpStatus(t, "an-upstream-token-the-proxy-never-issued"); status != http.StatusUnauthorized {
		t.Errorf("an unknown token got %d", status)
	}
	status, body := h.refresh(t, c, refresh)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if _, err := h.authenticate(body["access_token"].(string)); err != nil {
		t.Errorf("refreshed token: %v", err)
	}
	if status, _, _ := h.postForm(t, "/oauth/revoke", c, url.Values{"token": {body["access_token"].(string)}}); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if _, err := h.authenticate(body["access_token"].(string)); err == nil {
		t.Error("the revoked token still works")
	}
}

// TestRevocation: RFC 7009 behaviours.
func TestRevocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	other := h.registerDefault(t)

	t.Run("access token revokes the grant", func(t *testing.T) {
		access, refresh := h.tokens(t, c)
		if status, _, _ := h.postForm(t, "/oauth/revoke", c, url.Values{"token": {access}, "token_type_hint": {"access_token"}}); status != 200 {
			t.Fatalf("got %d", status)
		}
		if _, err := h.authenticate(access); err == nil {
			t.Error("the access token still works")
		}
		if status, _ := h.refresh(t, c, refresh); status != 400 {
			t.Error("the refresh token still works")
		}
	})
	t.Run("another client's token is left alone", func(t *testing.T) {
		access, _ := h.tokens(t, c)
		if status, _, _ := h.postForm(t, "/oauth/revoke", other, url.Values{"token": {access}}); status != 200 {
			t.Fatalf("got %d", status)
		}
		if _, err := h.authenticate(access); err != nil {
			t.Errorf("another client revoked the token: %v", err)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		if status, _, _ := h.postForm(t, "/oauth/revoke", c, url.Values{"token": {"whatever"}}); status != 200 {
			t.Fatalf("got %d", status)
		}
	})
	t.Run("client authentication required", func(t *testing.T) {
		status, body, _ := h.postForm(t, "/oauth/revoke", client{ID: c.ID, Secret: "wrong"}, url.Values{"token": {"whatever"}})
		if status != 401 || body["error"] != "invalid_client" {
			t.Fatalf("got %d %v", status, body)
		}
	})
}

// TestSessionAccessChecks: the session type implements the interfaces the
// access checks of package fastmcp use.
func TestSessionAccessChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	access, _ := h.tokens(t, h.registerDefault(t))
	v, err := h.authenticate(access)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := v.(*oauth.Session)
	if !ok {
		t.Fatalf("auth data is %T", v)
	}
	var _ fastmcp.Identity = s
	if s.AuthSubject() != userSubject || !s.HasScope("email") || s.Email != userEmail || s.Name == "" {
		t.Errorf("session = %+v", s)
	}
	if s.RefreshToken == "" || s.IDToken == "" || s.ExpiresAt.IsZero() {
		t.Errorf("upstream tokens missing: %+v", s)
	}
	for _, k := range []string{"nonce", "at_hash", "aud", "exp"} {
		if _, ok := s.Claims[k]; ok {
			t.Errorf("protocol claim %s passed", k)
		}
	}
	if s.Claims["email"] != userEmail {
		t.Errorf("claims = %v", s.Claims)
	}
}

// TestClaimsPolicy: the policy filters Session.Claims and, with InToken,
// copies claims into the token.
func TestClaimsPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) {
		c.Claims = oauth.ClaimsPolicy{Allow: []string{"email", "name", "sub"}, Block: []string{"name"}, InToken: true}
	})
	access, _ := h.tokens(t, h.registerDefault(t))
	v, err := h.authenticate(access)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*oauth.Session)
	if len(s.Claims) != 2 || s.Claims["email"] != userEmail || s.Claims["sub"] != userSubject {
		t.Errorf("claims = %v", s.Claims)
	}
	var claims map[string]any
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	json.Unmarshal(payload, &claims)
	if claims["email"] != userEmail || claims["name"] != nil || claims["aud"] != h.mcpURL || claims["iss"] != h.base {
		t.Errorf("token claims = %v", claims)
	}
}

// TestMalformedTokenRequests: the token endpoint's request checks.
func TestMalformedTokenRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.registerDefault(t)
	post := func(contentType, body string, basic bool) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, h.base+"/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if basic {
			req.SetBasicAuth(c.ID, c.Secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, contentType, body string
		basic                   bool
		status                  int
		code                    string
	}{
		{"JSON body", "application/json", `{"grant_type":"authorization_code"}`, true, 400, "invalid_request"},
		{"repeated parameter", form, "grant_type=authorization_code&code=a&code=b", true, 400, "invalid_request"},
		{"two authentication methods", form, "grant_type=authorization_code&code=a&client_secret=" + url.QueryEscape(c.Secret), true, 400, "invalid_request"},
		{"no grant type", form, "code=a", true, 400, "invalid_request"},
		{"no code", form, "grant_type=authorization_code", true, 400, "invalid_request"},
		{"no refresh token", form, "grant_type=refresh_token", true, 400, "invalid_request"},
		{"unknown refresh token", form, "grant_type=refresh_token&refresh_token=nope", true, 400, "invalid_grant"},
		{"no client", form, "grant_type=authorization_code&code=a", false, 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if status, body := post(tt.contentType, tt.body, tt.basic); status != tt.status || body["error"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
}

// TestCustomRouteSession: a custom route behind the proxy reads the session.
func TestCustomRouteSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.server.RouteFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, ok := oauth.SessionFromRequest(r)
		if !ok {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(s.Subject))
	}, fastmcp.RouteOptions{})
	access, _ := h.tokens(t, h.registerDefault(t))
	req, _ := newBearerRequest(h.base+"/me", access)
	req.Method = http.MethodGet
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	io.Copy(b, resp.Body)
	if resp.StatusCode != http.StatusOK || b.String() != userSubject {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestRegistrationRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.RegistrationRateLimit = fastmcp.Rate{Limit: 2, Per: time.Hour} })
	md := map[string]any{"redirect_uris": []string{"http://127.0.0.1:9999/cb"}, "token_endpoint_auth_method": "none"}
	var statuses []int
	for range 3 {
		status, _ := h.postJSON(t, "/oauth/register", md)
		statuses = append(statuses, status)
	}
	if !slices.Equal(statuses, []int{201, 201, 429}) {
		t.Errorf("registration statuses %v, want [201 201 429]", statuses)
	}
	// The other endpoints are not limited by it.
	if status, _ := h.postJSON(t, "/oauth/token", map[string]any{}); status == 429 {
		t.Error("the token endpoint shares the registration limit")
	}
}
