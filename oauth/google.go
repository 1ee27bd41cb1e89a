package oauth

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"sync"

	"golang.org/x/oauth2"
)

// GoogleProvider signs users in with Google (OpenID Connect). Create OAuth
// client credentials of type "Web application" in the Google Cloud console
// with the authorized redirect URI Proxy.CallbackURL.
//
// ID tokens are verified against Google's keys; the session is a
// *GoogleSession.
type GoogleProvider struct {
	// ClientID and ClientSecret are the OAuth client's credentials.
	ClientID, ClientSecret string
	// Scopes are requested from Google. Default "openid email profile".
	Scopes []string
	// AuthParams are extra authorization request parameters. Default
	// access_type=offline and prompt=consent, so that Google issues the
	// refresh token the proxy needs to renew access tokens after an hour;
	// set an empty, non-nil map to send none.
	AuthParams map[string]string
	// HostedDomain, when set, admits only accounts of this Google Workspace
	// domain: it is sent as the "hd" hint and required in the ID token.
	HostedDomain string

	once  sync.Once
	inner *OAuthProvider
}

func (g *GoogleProvider) provider() *OAuthProvider {
	g.once.Do(func() {
		params := g.AuthParams
		if params == nil {
			params = map[string]string{"access_type": "offline", "prompt": "consent"}
		}
		if g.HostedDomain != "" {
			params = cloneWith(params, "hd", g.HostedDomain)
		}
		scopes := g.Scopes
		if scopes == nil {
			scopes = []string{"openid", "email", "profile"}
		}
		g.inner = &OAuthProvider{
			ClientID:         g.ClientID,
			ClientSecret:     g.ClientSecret,
			Scopes:           scopes,
			AuthorizationURL: "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:         "https://oauth2.googleapis.com/token",
			UserInfoURL:      "https://openidconnect.googleapis.com/v1/userinfo",
			JWKSURL:          "https://www.googleapis.com/oauth2/v3/certs",
			RevocationURL:    "https://oauth2.googleapis.com/revoke",
			AuthParams:       params,
			responseIssuer:   "https://accounts.google.com",
			// Google's ID tokens name either form of its issuer, so the
			// issuer is checked here rather than by the verifier.
			checkClaims: func(c map[string]any) error {
				if iss := claimString(c, "iss"); iss != "https://accounts.google.com" && iss != "accounts.google.com" {
					return fmt.Errorf("oauth: ID token issuer %q is not Google", iss)
				}
				if g.HostedDomain != "" && claimString(c, "hd") != g.HostedDomain {
					return fmt.Errorf("oauth: the Google account is not in the domain %s", g.HostedDomain)
				}
				return nil
			},
		}
	})
	return g.inner
}

// Upstream implements Provider.
func (g *GoogleProvider) Upstream(ctx context.Context, client *http.Client) (*Upstream, error) {
	return g.provider().Upstream(ctx, client)
}

// Identify implements Provider.
func (g *GoogleProvider) Identify(ctx context.Context, client *http.Client, tok *oauth2.Token, nonce string) (*Identity, error) {
	return g.provider().Identify(ctx, client, tok, nonce)
}

// Session implements Provider: the auth data is a *GoogleSession.
func (g *GoogleProvider) Session(base *Session, claims map[string]any) any {
	verified, _ := claims["email_verified"].(bool)
	return &GoogleSession{Session: *base, EmailVerified: verified, HostedDomain: claimString(claims, "hd")}
}

// cloneWith returns a copy of m with k set to v.
func cloneWith(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}
