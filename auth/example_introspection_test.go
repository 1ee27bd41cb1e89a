package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

func ExampleNewIntrospection() {
	// A stand-in for the authorization server's RFC 7662 endpoint: it knows
	// one active token and checks this server's client credentials.
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id != "mcp-server" || secret != "s3cret" {
			http.Error(w, "unknown client", http.StatusUnauthorized)
			return
		}
		resp := map[string]any{"active": false}
		if r.FormValue("token") == "opaque-token-of-alice" {
			resp = map[string]any{"active": true, "sub": "alice", "scope": "read write", "client_id": "inspector"}
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer as.Close()

	tokens, err := auth.NewIntrospection(auth.IntrospectionOptions{
		Endpoint:     as.URL,
		ClientID:     "mcp-server",
		ClientSecret: "s3cret",
	})
	if err != nil {
		panic(err)
	}
	_ = fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0", Authenticate: tokens})

	r := httptest.NewRequest("POST", "/mcp", nil)
	r.Header.Set("Authorization", "Bearer opaque-token-of-alice")
	data, _ := tokens.Authenticate(r)
	u := data.(*auth.User)
	fmt.Println(u.Subject, u.Scopes, u.ClientID)

	r.Header.Set("Authorization", "Bearer revoked-token")
	_, err = tokens.Authenticate(r)
	fmt.Println(err.(*fastmcp.HTTPError).Header.Get("WWW-Authenticate"))
	// Output:
	// alice [read write] inspector
	// Bearer error="invalid_token", error_description="token is not active"
}

func ExampleDiscoveryCache_Discover() {
	// A stand-in for an OpenID Connect provider.
	var issuer string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                 issuer,
			"jwks_uri":               issuer + "/keys",
			"introspection_endpoint": issuer + "/introspect",
		})
	}))
	defer idp.Close()
	issuer = idp.URL

	// One cache can serve several verifiers (JWTOptions.Discovery,
	// IntrospectionOptions.Discovery); documents are fetched once per TTL.
	cache := auth.NewDiscoveryCache(auth.DiscoveryOptions{})
	m, err := cache.Discover(context.Background(), issuer)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.TrimPrefix(m.JWKSURI, issuer), strings.TrimPrefix(m.IntrospectionEndpoint, issuer))
	// Output:
	// /keys /introspect
}

func ExampleGuest() {
	keys, _ := auth.NewAPIKeys(auth.APIKeysOptions{Keys: map[string]auth.User{
		"admin-key": {Subject: "alice", Scopes: []string{"read", "write"}},
	}})
	// Requests without a key are a guest who may read; a wrong key is still
	// refused.
	a := auth.Guest(keys, &auth.User{Subject: "guest", Scopes: []string{"read"}})
	s := fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0", Authenticate: a})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "write_note", CanAccess: fastmcp.RequireScopes("write")},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "saved", nil })

	r := httptest.NewRequest("POST", "/mcp", nil)
	data, _ := a.Authenticate(r)
	fmt.Println(data.(*auth.User).Subject, data.(*auth.User).Scopes)
	r.Header.Set("X-API-Key", "stolen-key")
	_, err := a.Authenticate(r)
	fmt.Println(err)
	// Output:
	// guest [read]
	// invalid API key
}
