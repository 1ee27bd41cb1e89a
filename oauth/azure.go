package oauth

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// AzureProvider signs users in with Microsoft Entra ID (Azure AD), v2.0
// endpoints. Register an application with the web redirect URI
// Proxy.CallbackURL and create a client secret.
//
// ID tokens are verified against the tenant's keys; as a multi-tenant
// ("common", "organizations", "consumers") ID token names the user's own
// tenant as its issuer, the issuer is checked against the token's "tid". The
// session is an *AzureSession.
type AzureProvider struct {
	// ClientID and ClientSecret are the application's credentials.
	ClientID, ClientSecret string
	// Tenant is the directory: a tenant id or domain, or "common",
	// "organizations" or "consumers". Default "common".
	Tenant string
	// Authority is the sign-in host. Default
	// "https://login.microsoftonline.com"; set it for national clouds.
	Authority string
	// Scopes are requested from Entra ID. Default "openid profile email
	// offline_access" (offline_access brings the refresh token).
	Scopes []string
	// AuthParams are extra authorization request parameters.
	AuthParams map[string]string

	once  sync.Once
	inner *OAuthProvider
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (a *AzureProvider) provider() *OAuthProvider {
	a.once.Do(func() {
		authority := strings.TrimSuffix(cmp.Or(a.Authority, "https://login.microsoftonline.com"), "/")
		tenant := cmp.Or(a.Tenant, "common")
		scopes := a.Scopes
		if scopes == nil {
			scopes = []string{"openid", "profile", "email", "offline_access"}
		}
		a.inner = &OAuthProvider{
			ClientID:         a.ClientID,
			ClientSecret:     a.ClientSecret,
			Scopes:           scopes,
			AuthorizationURL: authority + "/" + tenant + "/oauth2/v2.0/authorize",
			TokenURL:         authority + "/" + tenant + "/oauth2/v2.0/token",
			JWKSURL:          authority + "/" + tenant + "/discovery/v2.0/keys",
			AuthParams:       a.AuthParams,
			checkClaims: func(c map[string]any) error {
				tid := claimString(c, "tid")
				if want := authority + "/" + tid + "/v2.0"; tid == "" || claimString(c, "iss") != want {
					return fmt.Errorf("oauth: ID token issuer %q is not the tenant's", claimString(c, "iss"))
				}
				if guidPattern.MatchString(tenant) && !strings.EqualFold(tid, tenant) {
					return fmt.Errorf("oauth: the account belongs to another tenant")
				}
				return nil
			},
		}
	})
	return a.inner
}

// Upstream implements Provider.
func (a *AzureProvider) Upstream(ctx context.Context, client *http.Client) (*Upstream, error) {
	return a.provider().Upstream(ctx, client)
}

// Identify implements Provider: the user is read from the verified ID token
// (Entra ID's user endpoint only answers tokens for Microsoft Graph).
func (a *AzureProvider) Identify(ctx context.Context, client *http.Client, tok *oauth2.Token, nonce string) (*Identity, error) {
	return a.provider().Identify(ctx, client, tok, nonce)
}

// Session implements Provider: the auth data is an *AzureSession.
func (a *AzureProvider) Session(base *Session, claims map[string]any) any {
	return &AzureSession{
		Session:  *base,
		UPN:      cmp.Or(claimString(claims, "upn"), claimString(claims, "preferred_username")),
		TenantID: claimString(claims, "tid"),
		ObjectID: claimString(claims, "oid"),
	}
}
