package auth_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// counting wraps an authenticator, counting its calls.
type counting struct {
	inner fastmcp.Authenticator
	calls atomic.Int32
}

func (c *counting) Authenticate(r *http.Request) (any, error) {
	c.calls.Add(1)
	return c.inner.Authenticate(r)
}

func TestChain(t *testing.T) {
	t.Parallel()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	tokens := newHS256(t, auth.JWTOptions{})
	other, err := auth.NewJWT(auth.JWTOptions{Secret: secret2, Issuer: "https://other-issuer.test"})
	if err != nil {
		t.Fatal(err)
	}
	last := &counting{inner: fastmcp.AuthFunc[*auth.User](func(r *http.Request) (*auth.User, error) {
		if r.Header.Get("X-Last") == "" {
			return nil, &fastmcp.HTTPError{Message: "missing X-Last", Err: auth.ErrNoCredentials}
		}
		return &auth.User{Subject: "last"}, nil
	})}
	c := auth.Chain(keys, tokens, other, last)
	hs := signer{alg: "HS256", key: secret}
	for _, tc := range []struct {
		name     string
		r        *http.Request
		subject  string
		fail     failure
		lastCall bool // whether the last verifier was consulted
	}{
		{"API key", request("X-API-Key", "admin-key"), "alice", failure{}, false},
		{"JWT", bearer(hs.sign(t, claims(map[string]any{"sub": "jwt-user"}))), "jwt-user", failure{}, false},
		{"JWT of the second issuer", bearer(signer{alg: "HS256", key: secret2}.sign(t, claims(map[string]any{"iss": "https://other-issuer.test", "aud": nil, "sub": "b"}))), "b", failure{}, false},
		{"last verifier", request("X-Last", "1"), "last", failure{}, true},
		{"invalid API key stops the chain", request("X-API-Key", "nope", "X-Last", "1"), "", invalid("invalid API key"), false},
		{"expired JWT stops the chain", request("Authorization", "Bearer "+hs.sign(t, claims(map[string]any{"exp": 1})), "X-Last", "1"), "", invalid("token expired"), false},
		{"nothing", request(), "", failure{401, auth.ErrNoCredentials, "Bearer",
			"authentication required: expected an API key in the X-API-Key header, or a bearer token (JWT), or missing X-Last"}, true},
		{"opaque bearer nobody knows", bearer("opaque"), "", unrecognized(
			"credentials not recognized: expected an API key in the X-API-Key header, or a bearer token (JWT), or missing X-Last"), true},
		{"JWT of an unknown issuer", bearer(hs.sign(t, claims(map[string]any{"iss": "https://evil.test"}))), "", unrecognized(
			"credentials not recognized: expected an API key in the X-API-Key header, or a bearer token (JWT), or missing X-Last"), true},
	} {
		before := last.calls.Load()
		data, err := c.Authenticate(tc.r)
		if called := last.calls.Load() > before; called != tc.lastCall {
			t.Errorf("%s: last verifier consulted: %v, want %v", tc.name, called, tc.lastCall)
		}
		if tc.subject == "" {
			checkFailure(t, tc.name, data, err, tc.fail)
			continue
		}
		if u := userOf(t, data, err); u.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.name, u.Subject, tc.subject)
		}
	}

	// A failure of a foreign kind stops the chain as it is.
	boom := &fastmcp.HTTPError{Status: http.StatusTooManyRequests}
	c2 := auth.Chain(fastmcp.AuthFunc[*auth.User](func(*http.Request) (*auth.User, error) { return nil, boom }), keys)
	if _, err := c2.Authenticate(request("X-API-Key", "admin-key")); !errors.Is(err, boom) {
		t.Errorf("foreign failure: %v", err)
	}
	// An empty chain accepts nobody.
	data, err := auth.Chain().Authenticate(request())
	checkFailure(t, "empty chain", data, err, failure{401, auth.ErrNoCredentials, "Bearer", "credentials"})
}

// A request presenting two different credentials is refused whatever the
// order of the chain, before any verifier runs; the same credential in two
// places is not ambiguous.
func TestChainRefusesTwoCredentials(t *testing.T) {
	t.Parallel()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	keysOrBearer, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys(), Bearer: true})
	if err != nil {
		t.Fatal(err)
	}
	tokens := newHS256(t, auth.JWTOptions{})
	jwtAlice := signer{alg: "HS256", key: secret}.sign(t, claims(map[string]any{"sub": "alice"}))
	twoPlaces := ambiguous("Authorization: Bearer", "X-API-Key")
	for _, tc := range []struct {
		name    string
		a       fastmcp.Authenticator
		r       *http.Request
		subject string
		fail    failure
	}{
		{"API key and JWT", auth.Chain(keys, tokens), request("X-API-Key", "user-key", "Authorization", "Bearer "+jwtAlice), "", twoPlaces},
		{"JWT first", auth.Chain(tokens, keys), request("X-API-Key", "user-key", "Authorization", "Bearer "+jwtAlice), "", twoPlaces},
		{"inside a guest", auth.Guest(auth.Chain(tokens, keys), nil), request("X-API-Key", "user-key", "Authorization", "Bearer "+jwtAlice), "", twoPlaces},
		{"a guest inside", auth.Chain(auth.Guest(tokens, nil), keys), request("X-API-Key", "user-key", "Authorization", "Bearer "+jwtAlice), "", twoPlaces},
		{"two API keys as bearer and header", auth.Chain(tokens, keysOrBearer), request("X-API-Key", "user-key", "Authorization", "Bearer admin-key"), "", twoPlaces},
		{"the same key twice", auth.Chain(tokens, keysOrBearer), request("X-API-Key", "user-key", "Authorization", "Bearer user-key"), "bob", failure{}},
		{"two bearer tokens to a JWT verifier", tokens, request("Authorization", "Bearer "+jwtAlice, "Authorization", "Bearer other"), "",
			ambiguous("Authorization: Bearer", "another Authorization: Bearer")},
		{"the same bearer token twice", tokens, request("Authorization", "Bearer "+jwtAlice, "Authorization", "Bearer "+jwtAlice), "alice", failure{}},
		{"a header no verifier reads", auth.Chain(tokens, keys), request("X-Other", "x", "Authorization", "Bearer "+jwtAlice), "alice", failure{}},
	} {
		data, err := tc.a.Authenticate(tc.r)
		if tc.subject == "" {
			checkFailure(t, tc.name, data, err, tc.fail, "user-key", "admin-key", jwtAlice)
			continue
		}
		if u := userOf(t, data, err); u.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.name, u.Subject, tc.subject)
		}
	}
}

func TestGuest(t *testing.T) {
	t.Parallel()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys(), Bearer: true})
	if err != nil {
		t.Fatal(err)
	}
	tokens := newHS256(t, auth.JWTOptions{})
	guest := &auth.User{Subject: "guest", Scopes: []string{"read"}}
	g := auth.Guest(auth.Chain(tokens, keys), guest)
	guest.Scopes[0] = "write" // Guest keeps its own copy

	u := mustUser(t, g, request())
	if u.Subject != "guest" || len(u.Scopes) != 1 || u.Scopes[0] != "read" {
		t.Errorf("guest %+v", u)
	}
	u.Scopes[0] = "admin"
	if u := mustUser(t, g, nil); u.Scopes[0] != "read" {
		t.Errorf("a guest changed the next guest: %+v", u)
	}
	if u := mustUser(t, g, request("X-API-Key", "admin-key")); u.Subject != "alice" {
		t.Errorf("credentials: subject %q", u.Subject)
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		want failure
	}{
		{"invalid API key", request("X-API-Key", "nope"), invalid("invalid API key")},
		{"expired token", bearer(signer{alg: "HS256", key: secret}.sign(t, claims(map[string]any{"exp": 1}))), invalid("token expired")},
		{"unrecognized bearer", bearer("opaque"), unrecognized(
			"credentials not recognized: expected a bearer token (JWT), or an API key in the X-API-Key or Authorization: Bearer header")},
		{"other scheme", request("Authorization", "Basic YTpi"), unrecognized(
			"credentials not recognized: expected a bearer token (JWT), or an API key in the X-API-Key or Authorization: Bearer header")},
	} {
		data, err := g.Authenticate(tc.r)
		checkFailure(t, tc.name+" is not downgraded to a guest", data, err, tc.want)
	}

	if u := mustUser(t, auth.Guest(nil, nil), request("X-API-Key", "anything")); u.Subject != "guest" || u.Name != "Guest" || u.Scopes != nil {
		t.Errorf("default guest %+v", u)
	}
}
