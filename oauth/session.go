package oauth

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// Session is the auth data of a request the proxy authenticated: who the user
// is, what the MCP client was granted, and the upstream provider's tokens for
// calling its APIs on the user's behalf. Providers return it embedded in
// their own type (GoogleSession, GitHubSession, AzureSession); a generic
// OAuthProvider returns a *Session. SessionFrom reads it from a handler's
// context whatever the provider.
//
// It implements fastmcp.Identity, fastmcp.ScopeHolder and fastmcp.RoleHolder,
// so fastmcp.RequireScopes and fastmcp.RequireRole apply, and the requests of
// an MCP session must all come from the same Subject.
//
// AccessToken, RefreshToken and IDToken are credentials: do not log them or
// return them to the model.
type Session struct {
	// Subject identifies the user at the upstream provider: the ID token's
	// or user endpoint's "sub", GitHub's numeric user id.
	Subject string
	// Email is the user's email address, when the provider disclosed it.
	Email string
	// Name is the user's display name, when the provider disclosed it.
	Name string
	// ClientID is the MCP client the proxy issued the token to.
	ClientID string
	// Scopes are the scopes the proxy granted the MCP client.
	Scopes []string
	// Roles are the values of the upstream "roles" claim, if any (Entra ID
	// app roles, for instance).
	Roles []string
	// UpstreamScopes are the scopes the upstream provider reports granting,
	// in its own vocabulary; empty when it did not say.
	UpstreamScopes []string
	// AccessToken is the upstream provider's access token.
	AccessToken string
	// TokenType is the upstream token's type, normally "Bearer".
	TokenType string
	// ExpiresAt is when AccessToken expires; zero when the provider did not
	// say.
	ExpiresAt time.Time
	// IDToken is the upstream OpenID Connect ID token, if any.
	IDToken string
	// RefreshToken is the upstream refresh token, if any. The proxy uses it
	// itself to renew AccessToken when the MCP client refreshes its token.
	RefreshToken string
	// Claims are the upstream user claims (from the ID token and the user
	// endpoint) that Config.Claims lets through. Nil when there are none.
	Claims map[string]any
}

// AuthSubject returns Subject; it makes Session a fastmcp.Identity.
func (s *Session) AuthSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// AuthScopes returns Scopes; it makes Session a fastmcp.ScopeHolder.
func (s *Session) AuthScopes() []string {
	if s == nil {
		return nil
	}
	return s.Scopes
}

// AuthRoles returns Roles; it makes Session a fastmcp.RoleHolder.
func (s *Session) AuthRoles() []string {
	if s == nil {
		return nil
	}
	return s.Roles
}

// HasScope reports whether the MCP client was granted scope.
func (s *Session) HasScope(scope string) bool { return slices.Contains(s.AuthScopes(), scope) }

// OAuthSession returns s. Provider session types embed Session, and so have
// this method too: SessionFrom uses it to find the Session in any of them.
func (s *Session) OAuthSession() *Session { return s }

// sessionHolder is implemented by every provider session type.
type sessionHolder interface {
	OAuthSession() *Session
}

// SessionFrom returns the Session of the request ctx belongs to (a handler's
// *fastmcp.Context), whatever the provider's session type. ok is false when
// the request was not authenticated by a Proxy.
func SessionFrom(ctx context.Context) (*Session, bool) {
	h, ok := fastmcp.AuthFrom[sessionHolder](ctx)
	if !ok || h == nil {
		return nil, false
	}
	s := h.OAuthSession()
	return s, s != nil
}

// SessionFromRequest is SessionFrom for a custom route's request (see
// fastmcp.Server.Route).
func SessionFromRequest(r *http.Request) (*Session, bool) {
	h, ok := fastmcp.AuthFromRequest[sessionHolder](r)
	if !ok || h == nil {
		return nil, false
	}
	s := h.OAuthSession()
	return s, s != nil
}

// GoogleSession is the auth data of a GoogleProvider: a Session (Email
// included) with Google's account fields.
type GoogleSession struct {
	Session
	// EmailVerified is the ID token's "email_verified".
	EmailVerified bool
	// HostedDomain is the Google Workspace domain of the account ("hd"),
	// empty for consumer accounts.
	HostedDomain string
}

// GitHubSession is the auth data of a GitHubProvider: a Session with the
// GitHub login.
type GitHubSession struct {
	Session
	// Username is the user's GitHub login.
	Username string
}

// AzureSession is the auth data of an AzureProvider: a Session with the
// Microsoft Entra ID account fields.
type AzureSession struct {
	Session
	// UPN is the user principal name: the "upn" claim, else
	// "preferred_username".
	UPN string
	// TenantID is the directory (tenant) of the account ("tid").
	TenantID string
	// ObjectID is the user's object id in the tenant ("oid"), stable across
	// the applications of the tenant.
	ObjectID string
}

// Interface checks.
var (
	_ fastmcp.Identity    = (*Session)(nil)
	_ fastmcp.ScopeHolder = (*Session)(nil)
	_ fastmcp.RoleHolder  = (*Session)(nil)
	_ fastmcp.Identity    = (*GoogleSession)(nil)
	_ fastmcp.ScopeHolder = (*GitHubSession)(nil)
	_ fastmcp.ScopeHolder = (*AzureSession)(nil)
)
