package auth

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// User is the identity every verifier of this package returns: the auth data
// of a session. Handlers read it with UserFrom (or fastmcp.AuthFrom[*User]),
// custom routes with UserFromRequest.
//
// It implements fastmcp.Identity, fastmcp.ScopeHolder and fastmcp.RoleHolder,
// so fastmcp.RequireScopes and fastmcp.RequireRole work on it, and every
// request of a session must come from the same Subject.
//
// The JSON form (tags below) is also the format of an API key entry in a key
// file; Token is never encoded.
type User struct {
	// Subject identifies the principal: the token's "sub" (else its client
	// id), the subject of an API key, "guest" for a guest. Never empty for a
	// user a verifier returns.
	Subject string `json:"subject"`
	// Name is a display name: the token's "name" or "preferred_username", the
	// introspection response's "username". Optional.
	Name string `json:"name,omitempty"`
	// Email is the token's "email" claim. Optional.
	Email string `json:"email,omitempty"`
	// Scopes are the OAuth scopes granted: from "scope" (a space-separated
	// string) or "scp" (a string or an array).
	Scopes []string `json:"scopes,omitempty"`
	// Roles are the application roles: from the claim JWTOptions.RolesClaim
	// names (default "roles"), or an API key's entry.
	Roles []string `json:"roles,omitempty"`
	// ClientID is the OAuth client the token was issued to ("client_id", else
	// "azp"). Optional.
	ClientID string `json:"client_id,omitempty"`
	// ExpiresAt is when the credential expires ("exp"); zero when it does not.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Claims holds the token's claims that are not mapped to a field above
	// (such as iss, aud, iat, jti and custom claims), or an API key's extra
	// data. Nil when there are none.
	Claims map[string]any `json:"claims,omitempty"`
	// Token is the credential as presented (the bearer token or API key), for
	// tools that call upstream APIs on the user's behalf. It is never encoded
	// as JSON; do not log it.
	Token string `json:"-"`
}

// AuthSubject returns Subject; it makes User a fastmcp.Identity.
func (u *User) AuthSubject() string {
	if u == nil {
		return ""
	}
	return u.Subject
}

// AuthScopes returns Scopes; it makes User a fastmcp.ScopeHolder.
func (u *User) AuthScopes() []string {
	if u == nil {
		return nil
	}
	return u.Scopes
}

// AuthRoles returns Roles; it makes User a fastmcp.RoleHolder.
func (u *User) AuthRoles() []string {
	if u == nil {
		return nil
	}
	return u.Roles
}

// HasScope reports whether the user was granted scope.
func (u *User) HasScope(scope string) bool { return slices.Contains(u.AuthScopes(), scope) }

// HasRole reports whether the user has role.
func (u *User) HasRole(role string) bool { return slices.Contains(u.AuthRoles(), role) }

// Clone returns a deep copy of u (claim values are copied one level deep).
func (u *User) Clone() *User {
	if u == nil {
		return nil
	}
	c := *u
	c.Scopes = slices.Clone(u.Scopes)
	c.Roles = slices.Clone(u.Roles)
	c.Claims = maps.Clone(u.Claims)
	return &c
}

// UserFrom returns the *User of the request ctx belongs to (a handler's
// *fastmcp.Context, or a context derived from it). ok is false when the
// request is unauthenticated or its auth data is not a *User.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := fastmcp.AuthFrom[*User](ctx)
	return u, ok && u != nil
}

// UserFromRequest is UserFrom for a custom route's request (see
// fastmcp.Server.Route).
func UserFromRequest(r *http.Request) (*User, bool) {
	u, ok := fastmcp.AuthFromRequest[*User](r)
	return u, ok && u != nil
}

// Interface checks.
var (
	_ fastmcp.Identity    = (*User)(nil)
	_ fastmcp.ScopeHolder = (*User)(nil)
	_ fastmcp.RoleHolder  = (*User)(nil)
)
