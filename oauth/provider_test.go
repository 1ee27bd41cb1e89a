package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/fastmcp-go/fastmcp/oauth"
)

// TestGitHubProvider: GitHub's endpoints, and the user read from the REST
// API (GitHub's tokens are opaque and it issues no ID token).
func TestGitHubProvider(t *testing.T) {
	t.Parallel()
	api := http.NewServeMux()
	api.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_token" {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"login":"octocat","id":583231,"name":"The Octocat","email":null}`))
	})
	api.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"email":"old@example.com","primary":false,"verified":true},{"email":"octocat@github.com","primary":true,"verified":true}]`))
	})
	ts := httptest.NewServer(api)
	defer ts.Close()

	g := &oauth.GitHubProvider{ClientID: "id", ClientSecret: "secret", APIURL: ts.URL}
	up, err := g.Upstream(context.Background(), ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	if up.AuthURL != "https://github.com/login/oauth/authorize" || up.TokenURL != "https://github.com/login/oauth/access_token" || up.OpenID {
		t.Errorf("upstream = %+v", up)
	}
	id, err := g.Identify(context.Background(), ts.Client(), &oauth2.Token{AccessToken: "gho_token"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "583231" || id.Email != "octocat@github.com" || id.Name != "The Octocat" {
		t.Errorf("identity = %+v", id)
	}
	s, ok := g.Session(&oauth.Session{Subject: id.Subject}, id.Claims).(*oauth.GitHubSession)
	if !ok || s.Username != "octocat" || s.AuthSubject() != "583231" {
		t.Errorf("session = %#v", s)
	}
	if _, err := g.Identify(context.Background(), ts.Client(), &oauth2.Token{AccessToken: "other"}, ""); err == nil {
		t.Error("a refused token identified someone")
	}
}

func TestGoogleProvider(t *testing.T) {
	t.Parallel()
	g := &oauth.GoogleProvider{ClientID: "id.apps.googleusercontent.com", ClientSecret: "secret", HostedDomain: "example.com"}
	up, err := g.Upstream(context.Background(), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	if up.AuthParams["access_type"] != "offline" || up.AuthParams["hd"] != "example.com" || !up.OpenID || up.RevocationURL == "" {
		t.Errorf("upstream = %+v", up)
	}
	s, ok := g.Session(&oauth.Session{Subject: "1", Email: "a@example.com"}, map[string]any{"email_verified": true, "hd": "example.com"}).(*oauth.GoogleSession)
	if !ok || !s.EmailVerified || s.HostedDomain != "example.com" || s.Email != "a@example.com" {
		t.Errorf("session = %#v", s)
	}
}

func TestAzureProvider(t *testing.T) {
	t.Parallel()
	a := &oauth.AzureProvider{ClientID: "id", ClientSecret: "secret"}
	up, err := a.Upstream(context.Background(), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	if up.AuthURL != "https://login.microsoftonline.com/common/oauth2/v2.0/authorize" || up.TokenURL != "https://login.microsoftonline.com/common/oauth2/v2.0/token" {
		t.Errorf("upstream = %+v", up)
	}
	s, ok := a.Session(&oauth.Session{Subject: "x"}, map[string]any{"preferred_username": "ada@contoso.com", "tid": "t1", "oid": "o1"}).(*oauth.AzureSession)
	if !ok || s.UPN != "ada@contoso.com" || s.TenantID != "t1" || s.ObjectID != "o1" {
		t.Errorf("session = %#v", s)
	}
	tenant := &oauth.AzureProvider{ClientID: "id", Tenant: "contoso.onmicrosoft.com"}
	up, _ = tenant.Upstream(context.Background(), http.DefaultClient)
	if u, _ := url.Parse(up.AuthURL); u.Path != "/contoso.onmicrosoft.com/oauth2/v2.0/authorize" {
		t.Errorf("tenant endpoint = %s", up.AuthURL)
	}
}

// TestOAuthProviderExplicitEndpoints: a provider without discovery needs its
// endpoints.
func TestOAuthProviderExplicitEndpoints(t *testing.T) {
	t.Parallel()
	p := &oauth.OAuthProvider{ClientID: "id"}
	if _, err := p.Upstream(context.Background(), http.DefaultClient); err == nil {
		t.Error("no endpoints, no error")
	}
	p = &oauth.OAuthProvider{ClientID: "id", AuthorizationURL: "https://idp.example.com/auth", TokenURL: "https://idp.example.com/token",
		TokenEndpointAuthMethod: "client_secret_post"}
	up, err := p.Upstream(context.Background(), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	if up.AuthStyle != oauth2.AuthStyleInParams || up.OpenID || len(up.Scopes) != 0 {
		t.Errorf("upstream = %+v", up)
	}
}
