package oauth

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// GitHubProvider signs users in with GitHub (an OAuth App or a GitHub App).
// Register the app with the callback URL Proxy.CallbackURL.
//
// GitHub issues no ID token and its access tokens are opaque, not JWTs: the
// user is identified by the REST API's /user endpoint (and /user/emails when
// the profile hides the email address). The session is a *GitHubSession.
type GitHubProvider struct {
	// ClientID and ClientSecret are the app's credentials.
	ClientID, ClientSecret string
	// Scopes are requested from GitHub. Default "read:user user:email".
	Scopes []string
	// AuthParams are extra authorization request parameters.
	AuthParams map[string]string
	// BaseURL is GitHub's web address. Default "https://github.com"; set it
	// for GitHub Enterprise Server.
	BaseURL string
	// APIURL is GitHub's REST API address. Default "https://api.github.com"
	// (for GitHub Enterprise Server, "https://HOST/api/v3").
	APIURL string
}

// Upstream implements Provider.
func (g *GitHubProvider) Upstream(context.Context, *http.Client) (*Upstream, error) {
	base := strings.TrimSuffix(cmp.Or(g.BaseURL, "https://github.com"), "/")
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{"read:user", "user:email"}
	}
	return &Upstream{
		ClientID:     g.ClientID,
		ClientSecret: g.ClientSecret,
		AuthURL:      base + "/login/oauth/authorize",
		TokenURL:     base + "/login/oauth/access_token",
		AuthStyle:    oauth2.AuthStyleInParams,
		Scopes:       scopes,
		AuthParams:   g.AuthParams,
	}, nil
}

func (g *GitHubProvider) api() string {
	return strings.TrimSuffix(cmp.Or(g.APIURL, "https://api.github.com"), "/")
}

// Identify implements Provider: the user's profile from /user, with the
// primary verified address from /user/emails when the profile has none.
func (g *GitHubProvider) Identify(ctx context.Context, client *http.Client, tok *oauth2.Token, _ string) (*Identity, error) {
	user, err := getUserJSON(ctx, client, g.api()+"/user", tok.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("oauth: GitHub user: %w", err)
	}
	if claimString(user, "email") == "" {
		var emails []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		// Without the user:email scope this fails; the email stays unknown.
		if getBearerJSON(ctx, client, g.api()+"/user/emails", tok.AccessToken, &emails) == nil {
			for _, e := range emails {
				if e.Primary && e.Verified {
					user["email"] = e.Email
				}
			}
		}
	}
	return identityFromClaims(user, "id")
}

// Session implements Provider: the auth data is a *GitHubSession.
func (g *GitHubProvider) Session(base *Session, claims map[string]any) any {
	return &GitHubSession{Session: *base, Username: claimString(claims, "login")}
}
