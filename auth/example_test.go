package auth_test

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

func ExampleNewAPIKeys() {
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{
		// Or File: "keys.json", Env: "MCP_API_KEYS", with PollInterval for rotation.
		Keys: map[string]auth.User{
			"admin-key": {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
			"user-key":  {Subject: "bob", Roles: []string{"user"}, Scopes: []string{"read"}},
		},
	})
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	s := fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0", Authenticate: keys})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "admin_action", CanAccess: fastmcp.RequireRole("admin")},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			u, _ := auth.UserFrom(ctx)
			return "done by " + u.Subject, nil
		})

	// What the server sees for a request:
	r := httptest.NewRequest("POST", "/mcp", nil)
	r.Header.Set("X-API-Key", "admin-key")
	data, _ := keys.Authenticate(r)
	u := data.(*auth.User)
	fmt.Println(u.Subject, u.Roles, u.Scopes)

	r.Header.Set("X-API-Key", "wrong")
	_, err = keys.Authenticate(r)
	fmt.Println(err)
	fmt.Println(err.(*fastmcp.HTTPError).Header.Get("WWW-Authenticate"))
	// Output:
	// alice [admin] [read write]
	// invalid API key
	// Bearer error="invalid_token", error_description="invalid API key"
}

func ExampleNewJWT() {
	secret := []byte("a shared secret of at least 32 bytes!")
	tokens, err := auth.NewJWT(auth.JWTOptions{
		Secret:    secret, // or JWKSURL: "https://auth.example.com/.well-known/jwks.json"
		Issuer:    "https://auth.example.com",
		Audiences: []string{"https://mcp.example.com/mcp"},
	})
	if err != nil {
		panic(err)
	}
	_ = fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0", Authenticate: tokens})

	// A token as the authorization server would issue it.
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":   "https://auth.example.com",
		"aud":   "https://mcp.example.com/mcp",
		"sub":   "alice",
		"scope": "notes:read notes:write",
		"roles": []string{"editor"},
		"exp":   time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)

	r := httptest.NewRequest("POST", "/mcp", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	data, _ := tokens.Authenticate(r)
	u := data.(*auth.User)
	fmt.Println(u.Subject, u.Scopes, u.Roles)

	r.Header.Del("Authorization")
	_, err = tokens.Authenticate(r)
	fmt.Println(err.(*fastmcp.HTTPError).Header.Get("WWW-Authenticate"))
	// Output:
	// alice [notes:read notes:write] [editor]
	// Bearer
}

func ExampleChain() {
	keys, _ := auth.NewAPIKeys(auth.APIKeysOptions{Keys: map[string]auth.User{"k-123": {Subject: "ci-bot"}}})
	tokens, _ := auth.NewJWT(auth.JWTOptions{Secret: []byte("a shared secret of at least 32 bytes!")})
	// Tokens or API keys; requests with neither get a read-only guest.
	a := auth.Guest(auth.Chain(tokens, keys), &auth.User{Subject: "guest", Scopes: []string{"read"}})

	r := httptest.NewRequest("POST", "/mcp", nil)
	data, _ := a.Authenticate(r)
	fmt.Println(data.(*auth.User).Subject)
	r.Header.Set("X-API-Key", "k-123")
	data, _ = a.Authenticate(r)
	fmt.Println(data.(*auth.User).Subject)
	r.Header.Set("X-API-Key", "k-000")
	_, err := a.Authenticate(r)
	fmt.Println(err)
	// Output:
	// guest
	// ci-bot
	// invalid API key
}
