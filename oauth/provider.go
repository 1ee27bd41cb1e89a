package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/fastmcp-go/fastmcp/auth"
)

// Provider is an upstream identity provider the proxy signs users in with:
// GoogleProvider, GitHubProvider, AzureProvider, or OAuthProvider for any
// other OAuth 2.0 or OpenID Connect provider. Implement it for a provider
// that none of these fits.
type Provider interface {
	// Upstream returns how to reach the provider: its endpoints, the
	// proxy's client credentials there and the scopes to request. The proxy
	// calls it for every upstream exchange; an implementation may discover
	// the endpoints on first use and cache them. client is the proxy's
	// HTTP client (Config.HTTPClient).
	Upstream(ctx context.Context, client *http.Client) (*Upstream, error)
	// Identify tells who signed in, from the token the code exchange
	// returned: typically by verifying its ID token (whose "nonce" must
	// equal nonce when nonce is not empty) and calling the user endpoint.
	// It is called once per sign-in.
	Identify(ctx context.Context, client *http.Client, token *oauth2.Token, nonce string) (*Identity, error)
	// Session returns the auth data handlers see for a request: base, or a
	// provider type embedding it (so that it has the OAuthSession method).
	// claims are all the upstream claims of the user, before Config.Claims
	// filters base.Claims. It is called for every authenticated request and
	// must be cheap.
	Session(base *Session, claims map[string]any) any
}

// Upstream describes an upstream provider to the proxy; see
// Provider.Upstream.
type Upstream struct {
	// ClientID and ClientSecret are the proxy's credentials at the
	// provider, registered with the redirect URI Proxy.CallbackURL.
	ClientID, ClientSecret string
	// AuthURL and TokenURL are the authorization and token endpoints.
	AuthURL, TokenURL string
	// AuthStyle says how the proxy authenticates at the token endpoint.
	// Default oauth2.AuthStyleAutoDetect.
	AuthStyle oauth2.AuthStyle
	// Scopes are requested from the provider; they are also the scopes the
	// proxy offers MCP clients unless Config.Scopes says otherwise.
	Scopes []string
	// AuthParams are extra authorization request parameters, such as
	// Google's access_type=offline. They cannot override the parameters the
	// proxy sets itself (response_type, client_id, redirect_uri, scope,
	// state, code_challenge, code_challenge_method, nonce).
	AuthParams map[string]string
	// RevocationURL is the provider's RFC 7009 revocation endpoint, if any:
	// when the MCP client revokes its token, the proxy revokes the upstream
	// tokens there too.
	RevocationURL string
	// OpenID says the provider issues OpenID Connect ID tokens: the proxy
	// sends a nonce for Identify to check.
	OpenID bool
	// Issuer is the provider's issuer identifier, if it has a single one.
	// When the provider names itself in its authorization response (the
	// RFC 9207 iss parameter), the proxy requires this value, which defeats
	// mix-up attacks.
	Issuer string
}

// Identity is who signed in, as Provider.Identify found it.
type Identity struct {
	// Subject is the user's stable identifier at the provider; required.
	Subject string `json:"sub"`
	// Email is the user's email address, if known.
	Email string `json:"email,omitempty"`
	// Name is the user's display name, if known.
	Name string `json:"name,omitempty"`
	// Claims are the user's claims (from the ID token and the user
	// endpoint). Config.Claims decides which reach Session.Claims.
	Claims map[string]any `json:"claims,omitempty"`
}

// reservedAuthParams cannot be set through Upstream.AuthParams.
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce"}

// OAuthProvider is a generic upstream provider: an OpenID Connect provider
// found by issuer discovery, or any OAuth 2.0 provider given by its endpoints.
//
// With Issuer set, the endpoints missing below are read from the issuer's
// discovery document (OpenID Connect, else RFC 8414), ID tokens are verified
// (signature by the issuer's JWKS, iss, aud = ClientID, exp, nonce) and the
// user endpoint supplements their claims. Without Issuer, AuthorizationURL and
// TokenURL are required and the user is identified by UserInfoURL alone
// (or by an unverifiable ID token checked for aud, exp and nonce, which OpenID
// Connect Core §3.1.3.7 allows for one received directly from the token
// endpoint over TLS).
type OAuthProvider struct {
	// Issuer is the provider's issuer URL, for discovery and ID token
	// verification. Optional with explicit endpoints.
	Issuer string
	// ClientID and ClientSecret are the proxy's credentials at the provider.
	ClientID, ClientSecret string
	// Scopes are requested from the provider. Default "openid profile
	// email" with an Issuer, none without.
	Scopes []string
	// AuthorizationURL, TokenURL, UserInfoURL, JWKSURL and RevocationURL
	// set the endpoints explicitly; those left empty are discovered from
	// Issuer.
	AuthorizationURL, TokenURL, UserInfoURL, JWKSURL, RevocationURL string
	// TokenEndpointAuthMethod is "client_secret_basic" or
	// "client_secret_post". Default: detected on first use.
	TokenEndpointAuthMethod string
	// AuthParams are extra authorization request parameters.
	AuthParams map[string]string
	// SubjectClaim names the claim identifying the user. Default "sub".
	SubjectClaim string
	// Discovery caches discovery documents. Default: a cache of the
	// provider's own, fetching with the proxy's HTTP client.
	Discovery *auth.DiscoveryCache

	// checkClaims, when set, checks verified ID token claims further (the
	// issuer of multi-tenant providers).
	checkClaims func(claims map[string]any) error
	// responseIssuer is the iss of authorization responses of a provider
	// whose ID tokens are checked by checkClaims.
	responseIssuer string

	mu       sync.Mutex
	resolved *resolvedEndpoints
	verifier *auth.JWT
}

type resolvedEndpoints struct {
	authURL, tokenURL, userInfoURL, jwksURL, revocationURL string
}

// Upstream implements Provider.
func (p *OAuthProvider) Upstream(ctx context.Context, client *http.Client) (*Upstream, error) {
	ep, err := p.endpoints(ctx, client)
	if err != nil {
		return nil, err
	}
	scopes := p.Scopes
	if scopes == nil && p.Issuer != "" {
		scopes = []string{"openid", "profile", "email"}
	}
	style := oauth2.AuthStyleAutoDetect
	switch p.TokenEndpointAuthMethod {
	case "client_secret_basic":
		style = oauth2.AuthStyleInHeader
	case "client_secret_post":
		style = oauth2.AuthStyleInParams
	}
	return &Upstream{
		ClientID:      p.ClientID,
		ClientSecret:  p.ClientSecret,
		AuthURL:       ep.authURL,
		TokenURL:      ep.tokenURL,
		AuthStyle:     style,
		Scopes:        slices.Clone(scopes),
		AuthParams:    p.AuthParams,
		RevocationURL: ep.revocationURL,
		OpenID:        slices.Contains(scopes, "openid"),
		Issuer:        cmp.Or(p.Issuer, p.responseIssuer),
	}, nil
}

// endpoints returns the explicit endpoints completed by discovery. A failed
// discovery is retried on the next call.
func (p *OAuthProvider) endpoints(ctx context.Context, client *http.Client) (*resolvedEndpoints, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resolved != nil {
		return p.resolved, nil
	}
	ep := &resolvedEndpoints{p.AuthorizationURL, p.TokenURL, p.UserInfoURL, p.JWKSURL, p.RevocationURL}
	if p.Issuer != "" && (ep.authURL == "" || ep.tokenURL == "" || ep.userInfoURL == "" || ep.jwksURL == "") {
		if p.Discovery == nil {
			p.Discovery = auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: client})
		}
		md, err := p.Discovery.Discover(ctx, p.Issuer)
		if err != nil {
			return nil, fmt.Errorf("oauth: discovering %s: %w", p.Issuer, err)
		}
		str := func(k string) string { s, _ := md.Raw[k].(string); return s }
		ep.authURL = cmp.Or(ep.authURL, md.AuthorizationEndpoint)
		ep.tokenURL = cmp.Or(ep.tokenURL, md.TokenEndpoint)
		ep.userInfoURL = cmp.Or(ep.userInfoURL, str("userinfo_endpoint"))
		ep.jwksURL = cmp.Or(ep.jwksURL, md.JWKSURI)
		ep.revocationURL = cmp.Or(ep.revocationURL, str("revocation_endpoint"))
	}
	if ep.authURL == "" || ep.tokenURL == "" {
		return nil, errors.New("oauth: OAuthProvider needs Issuer, or AuthorizationURL and TokenURL")
	}
	p.resolved = ep
	return ep, nil
}

// Identify implements Provider.
func (p *OAuthProvider) Identify(ctx context.Context, client *http.Client, tok *oauth2.Token, nonce string) (*Identity, error) {
	ep, err := p.endpoints(ctx, client)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		if claims, err = p.verifyIDToken(ctx, client, ep, raw, nonce); err != nil {
			return nil, err
		}
	}
	if ep.userInfoURL != "" {
		info, err := getUserJSON(ctx, client, ep.userInfoURL, tok.AccessToken)
		if err != nil {
			return nil, fmt.Errorf("oauth: user endpoint: %w", err)
		}
		if sub, ok := claims["sub"]; ok && info["sub"] != nil && claimString(info, "sub") != claimString(claims, "sub") {
			return nil, fmt.Errorf("oauth: user endpoint subject %q differs from the ID token's %q", claimString(info, "sub"), sub)
		}
		for k, v := range info {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	return identityFromClaims(claims, cmp.Or(p.SubjectClaim, "sub"))
}

// verifyIDToken checks an ID token and returns its claims: signed by the
// issuer's keys when they are known, for this client, unexpired, with the
// expected nonce.
func (p *OAuthProvider) verifyIDToken(ctx context.Context, client *http.Client, ep *resolvedEndpoints, raw, nonce string) (map[string]any, error) {
	var claims map[string]any
	if ep.jwksURL != "" {
		v, err := p.idTokenVerifier(client, ep.jwksURL)
		if err != nil {
			return nil, err
		}
		u, err := v.Verify(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("oauth: ID token: %w", err)
		}
		claims = u.Claims
	} else {
		var err error
		if claims, err = unverifiedClaims(raw, p.ClientID, p.Issuer); err != nil {
			return nil, err
		}
	}
	if nonce != "" && claimString(claims, "nonce") != nonce {
		return nil, errors.New("oauth: ID token nonce mismatch")
	}
	if p.checkClaims != nil {
		if err := p.checkClaims(claims); err != nil {
			return nil, err
		}
	}
	return claims, nil
}

func (p *OAuthProvider) idTokenVerifier(client *http.Client, jwksURL string) (*auth.JWT, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return p.verifier, nil
	}
	v, err := newIDTokenVerifier(client, jwksURL, p.Issuer, p.ClientID)
	if err != nil {
		return nil, err
	}
	p.verifier = v
	return v, nil
}

// newIDTokenVerifier verifies ID tokens with package auth's JWT verifier,
// keeping every claim (the mapper copies them into User.Claims).
func newIDTokenVerifier(client *http.Client, jwksURL, issuer, clientID string) (*auth.JWT, error) {
	return auth.NewJWT(auth.JWTOptions{
		JWKSURL:    jwksURL,
		Issuer:     issuer,
		Audiences:  []string{clientID},
		HTTPClient: client,
		ClaimsMapper: func(claims map[string]any, u *auth.User) error {
			u.Claims = maps.Clone(claims)
			return nil
		},
	})
}

// unverifiedClaims reads an ID token received directly from the token
// endpoint, checking what can be checked without the issuer's keys.
func unverifiedClaims(raw, clientID, issuer string) (map[string]any, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		return nil, fmt.Errorf("oauth: ID token: %w", err)
	}
	opts := []jwt.ParserOption{jwt.WithAudience(clientID), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute)}
	if issuer != "" {
		opts = append(opts, jwt.WithIssuer(issuer))
	}
	if err := jwt.NewValidator(opts...).Validate(claims); err != nil {
		return nil, fmt.Errorf("oauth: ID token: %w", err)
	}
	return claims, nil
}

// Session implements Provider: the generic provider's auth data is the
// Session itself.
func (p *OAuthProvider) Session(base *Session, _ map[string]any) any { return base }

// identityFromClaims builds an Identity from user claims.
func identityFromClaims(claims map[string]any, subjectClaim string) (*Identity, error) {
	sub := claimString(claims, subjectClaim)
	if sub == "" {
		return nil, fmt.Errorf("oauth: the provider named no user (no %q claim)", subjectClaim)
	}
	return &Identity{
		Subject: sub,
		Email:   claimString(claims, "email"),
		Name:    cmp.Or(claimString(claims, "name"), claimString(claims, "preferred_username"), claimString(claims, "login")),
		Claims:  claims,
	}, nil
}

// claimString reads a string claim; numbers (GitHub's user id) are formatted
// as integers.
func claimString(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// claimStrings reads a claim holding a string array or a space-separated
// string.
func claimStrings(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return slices.Clone(v)
	}
	return nil
}

// maxUserDocument caps a user endpoint answer.
const maxUserDocument = 1 << 20

// getUserJSON GETs a JSON object with a bearer token.
func getUserJSON(ctx context.Context, client *http.Client, url, token string) (map[string]any, error) {
	var out map[string]any
	if err := getBearerJSON(ctx, client, url, token, &out); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("not a JSON object")
	}
	return out, nil
}

func getBearerJSON(ctx context.Context, client *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserDocument))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}
