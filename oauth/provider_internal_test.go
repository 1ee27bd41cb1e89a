package oauth

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestAzureIssuerCheck: a multi-tenant ID token must name its own tenant as
// issuer; a single-tenant provider admits only its tenant.
func TestAzureIssuerCheck(t *testing.T) {
	t.Parallel()
	const tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
	common := (&AzureProvider{ClientID: "id"}).provider().checkClaims
	single := (&AzureProvider{ClientID: "id", Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47"}).provider().checkClaims
	good := map[string]any{"tid": tid, "iss": "https://login.microsoftonline.com/" + tid + "/v2.0"}
	if err := common(good); err != nil {
		t.Errorf("common: %v", err)
	}
	if err := single(good); err == nil {
		t.Error("a single-tenant provider admitted another tenant")
	}
	for _, bad := range []map[string]any{
		{"tid": tid, "iss": "https://evil.example.com/" + tid + "/v2.0"},
		{"tid": tid, "iss": "https://login.microsoftonline.com/other/v2.0"},
		{"iss": "https://login.microsoftonline.com//v2.0"},
	} {
		if err := common(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

func TestGoogleIssuerCheck(t *testing.T) {
	t.Parallel()
	check := (&GoogleProvider{HostedDomain: "example.com"}).provider().checkClaims
	for _, tt := range []struct {
		claims map[string]any
		ok     bool
	}{
		{map[string]any{"iss": "https://accounts.google.com", "hd": "example.com"}, true},
		{map[string]any{"iss": "accounts.google.com", "hd": "example.com"}, true},
		{map[string]any{"iss": "https://accounts.google.com", "hd": "other.com"}, false},
		{map[string]any{"iss": "https://accounts.google.com"}, false},
		{map[string]any{"iss": "https://evil.example.com", "hd": "example.com"}, false},
	} {
		if err := check(tt.claims); (err == nil) != tt.ok {
			t.Errorf("%v: err = %v", tt.claims, err)
		}
	}
}

// TestUnverifiedIDToken: without the issuer's keys, an ID token from the
// token endpoint is still checked for audience, expiry, issuer and nonce.
func TestUnverifiedIDToken(t *testing.T) {
	t.Parallel()
	p := &OAuthProvider{Issuer: "https://idp.example.com", ClientID: "client"}
	ep := &resolvedEndpoints{authURL: "https://idp.example.com/auth", tokenURL: "https://idp.example.com/token"}
	mk := func(c jwt.MapClaims) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("unknown to the proxy"))
		return s
	}
	good := jwt.MapClaims{"iss": "https://idp.example.com", "aud": "client", "sub": "u1", "exp": time.Now().Add(time.Hour).Unix(), "nonce": "n1"}
	if c, err := p.verifyIDToken(context.Background(), nil, ep, mk(good), "n1"); err != nil || c["sub"] != "u1" {
		t.Fatalf("good token: %v %v", c, err)
	}
	for name, mutate := range map[string]func(jwt.MapClaims){
		"other audience": func(c jwt.MapClaims) { c["aud"] = "someone-else" },
		"expired":        func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		"no expiry":      func(c jwt.MapClaims) { delete(c, "exp") },
		"other issuer":   func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" },
		"other nonce":    func(c jwt.MapClaims) { c["nonce"] = "n2" },
	} {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		mutate(c)
		if _, err := p.verifyIDToken(context.Background(), nil, ep, mk(c), "n1"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
