package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// A server whose users sign in with Google. The keys come from the
// environment; the proxy refuses to start without them.
func ExampleNewProxy() {
	signing, _ := oauth.ParseKey(os.Getenv("OAUTH_SIGNING_KEY"))
	encryption, _ := oauth.ParseKey(os.Getenv("OAUTH_ENCRYPTION_KEY"))
	if signing == nil {
		signing, encryption = oauth.GenerateKey(), oauth.GenerateKey() // for this example only
	}
	proxy, err := oauth.NewProxy(oauth.Config{
		BaseURL:       "https://mcp.example.com",
		Provider:      &oauth.GoogleProvider{ClientID: "1234.apps.googleusercontent.com", ClientSecret: "secret"},
		SigningKey:    signing,
		EncryptionKey: encryption,
	})
	if err != nil {
		log.Fatal(err)
	}
	server := fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0", Authenticate: proxy, OAuth: proxy.Discovery()})
	proxy.Mount(server)
	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", CanAccess: fastmcp.RequireAuth},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			s, err := fastmcp.AuthSession[*oauth.GoogleSession](ctx)
			if err != nil {
				return "", err
			}
			return s.Email, nil
		})

	m := proxy.Metadata()
	fmt.Println("redirect URI at Google:", proxy.CallbackURL())
	fmt.Println("authorization:", m.AuthorizationEndpoint)
	fmt.Println("token:", m.TokenEndpoint)
	fmt.Println("registration:", m.RegistrationEndpoint)
	fmt.Println("PKCE:", m.CodeChallengeMethodsSupported)
	fmt.Println("audience:", proxy.Discovery().ProtectedResource.Resource)
	// Output:
	// redirect URI at Google: https://mcp.example.com/oauth/callback
	// authorization: https://mcp.example.com/oauth/authorize
	// token: https://mcp.example.com/oauth/token
	// registration: https://mcp.example.com/oauth/register
	// PKCE: [S256]
	// audience: https://mcp.example.com/mcp
}

// Without keys, the proxy does not start: keys generated per process would
// break every token at the next restart and on every other replica.
func ExampleNewProxy_missingKeys() {
	_, err := oauth.NewProxy(oauth.Config{
		BaseURL:  "https://mcp.example.com",
		Provider: &oauth.GitHubProvider{ClientID: "Iv1.abc", ClientSecret: "secret"},
	})
	fmt.Println(errors.Is(err, oauth.ErrMissingKeys))
	// Output: true
}

// A generic OpenID Connect provider, found by discovery, in front of a
// server whose tools read the session whatever the provider.
func ExampleOAuthProvider() {
	provider := &oauth.OAuthProvider{
		Issuer:       "https://auth.example.com",
		ClientID:     "mcp-server",
		ClientSecret: os.Getenv("OAUTH_CLIENT_SECRET"),
		Scopes:       []string{"openid", "profile", "email", "offline_access"},
	}
	_ = provider // oauth.NewProxy(oauth.Config{Provider: provider, ...})
}

// Handlers read the caller's OAuth session with SessionFrom, whatever the
// provider's session type.
func ExampleSessionFrom() {
	server := fastmcp.New(fastmcp.Options{Name: "profile", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "profile", CanAccess: fastmcp.RequireScopes("profile")},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			s, ok := oauth.SessionFrom(ctx)
			if !ok {
				return "", fastmcp.UserErrorf("sign in first")
			}
			return fmt.Sprintf("%s <%s>", s.Name, s.Email), nil
		})
}

// Keys are 32 random bytes, written as base64 or hex.
func ExampleParseKey() {
	k, err := oauth.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	fmt.Println(len(k), err)
	// Output: 32 <nil>
}

// The stores keep values with a lifetime; Take makes a value single-use.
func ExampleMemoryStore() {
	ctx := context.Background()
	var s oauth.MemoryStore
	s.Put(ctx, "code/abc", []byte("sealed"), 0)
	v, err := s.Take(ctx, "code/abc")
	fmt.Println(string(v), err)
	_, err = s.Take(ctx, "code/abc")
	fmt.Println(err)
	// Output:
	// sealed <nil>
	// oauth: not found
}
