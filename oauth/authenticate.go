package oauth

import (
	"net/http"
	"strings"

	"github.com/fastmcp-go/fastmcp"
)

// Authenticate implements fastmcp.Authenticator: it accepts the access tokens
// the proxy issued and returns the provider's session type (see
// Provider.Session), built from the grant the token belongs to. A revoked
// grant's tokens are refused at once, though unexpired.
//
// Failures are *fastmcp.HTTPError 401 with a Bearer challenge: no
// error code without a token (RFC 6750 §3.1), invalid_token otherwise. The
// server adds resource_metadata to the challenge when Discovery is set.
func (p *Proxy) Authenticate(r *http.Request) (any, error) {
	if r == nil {
		return nil, &fastmcp.HTTPError{Message: "OAuth authentication needs HTTP"}
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, &fastmcp.HTTPError{
			Message: "a bearer token is required",
			Header:  http.Header{"Www-Authenticate": {`Bearer realm="mcp"`}},
		}
	}
	ctx := r.Context()
	now := p.now()
	var gid, clientID, subject string
	var scopes []string
	if p.cfg.Passthrough {
		var rec passthroughRecord
		if err := p.get(ctx, hashKey("pt/", tok), &rec); err != nil {
			return nil, invalidToken("the token is unknown, expired or revoked")
		}
		if !now.Before(rec.Expires) {
			return nil, invalidToken("the token has expired")
		}
		gid, clientID, scopes = rec.Grant, rec.ClientID, rec.Scopes
	} else {
		c, err := p.parseAccessToken(tok, false)
		if err != nil {
			return nil, invalidToken("the token is invalid or expired")
		}
		gid, clientID, subject, scopes = c.Grant, c.ClientID, c.Subject, strings.Fields(c.Scope)
	}
	var g grant
	if err := p.get(ctx, "grant/"+gid, &g); err != nil {
		return nil, invalidToken("the token was revoked")
	}
	if g.ClientID != clientID || (subject != "" && g.Identity.Subject != subject) {
		return nil, invalidToken("the token does not match its grant")
	}
	if ue := g.Upstream.Expiry; !ue.IsZero() && !now.Before(ue) {
		return nil, invalidToken("the sign-in at the identity provider has expired; refresh the token")
	}
	claims := g.Identity.Claims
	base := &Session{
		Subject:        g.Identity.Subject,
		Email:          g.Identity.Email,
		Name:           g.Identity.Name,
		ClientID:       g.ClientID,
		Scopes:         scopes,
		Roles:          claimStrings(claims, "roles"),
		UpstreamScopes: g.Upstream.Scopes,
		AccessToken:    g.Upstream.AccessToken,
		TokenType:      g.Upstream.TokenType,
		ExpiresAt:      g.Upstream.Expiry,
		IDToken:        g.Upstream.IDToken,
		RefreshToken:   g.Upstream.RefreshToken,
		Claims:         p.passClaims(claims),
	}
	return p.provider.Session(base, claims), nil
}

// invalidToken is the failure of a presented token.
func invalidToken(desc string) *fastmcp.HTTPError {
	return &fastmcp.HTTPError{
		Message: desc,
		Header:  http.Header{"Www-Authenticate": {`Bearer realm="mcp", error="invalid_token", error_description="` + desc + `"`}},
	}
}
