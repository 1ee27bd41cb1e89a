package auth_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

func newHS256(t testing.TB, opts auth.JWTOptions) *auth.JWT {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = secret
	}
	if opts.Issuer == "" {
		opts.Issuer = testIssuer
	}
	if opts.Audiences == nil {
		opts.Audiences = []string{"https://other.test", testAudience}
	}
	v, err := auth.NewJWT(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// unsignedToken builds a token with alg "none".
func unsignedToken(c map[string]any) string {
	enc := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }
	tok := signer{alg: "HS256", key: secret}.sign(&testing.T{}, c)
	payload := strings.Split(tok, ".")[1]
	return enc(`{"alg":"none","typ":"JWT"}`) + "." + payload + "."
}

// critical is the refusal of a token with a "crit" header (RFC 7515 §4.1.11).
const critical = "token header lists critical extensions (crit) this server does not understand"

func TestJWTHS256(t *testing.T) {
	t.Parallel()
	v := newHS256(t, auth.JWTOptions{})
	strict := newHS256(t, auth.JWTOptions{ClockSkew: -1})
	hs := signer{alg: "HS256", key: secret}
	now := time.Now()
	for _, tc := range []struct {
		name  string
		v     *auth.JWT
		token string
		fail  *failure // nil: accepted
	}{
		{"valid", v, hs.sign(t, claims(nil)), nil},
		{"audience array with one accepted", v, hs.sign(t, claims(map[string]any{"aud": []string{"https://x.test", testAudience}})), nil},
		{"expired", v, hs.sign(t, claims(map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), ptr(invalid("token expired"))},
		{"expired within the clock skew", v, hs.sign(t, claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()})), nil},
		{"expired, no clock skew", strict, hs.sign(t, claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()})), ptr(invalid("token expired"))},
		{"not yet valid", v, hs.sign(t, claims(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), ptr(invalid("token not valid yet"))},
		{"not yet valid within the clock skew", v, hs.sign(t, claims(map[string]any{"nbf": now.Add(10 * time.Second).Unix()})), nil},
		{"not yet valid, no clock skew", strict, hs.sign(t, claims(map[string]any{"nbf": now.Add(10 * time.Second).Unix()})), ptr(invalid("token not valid yet"))},
		{"issued in the future", v, hs.sign(t, claims(map[string]any{"iat": now.Add(5 * time.Minute).Unix()})), ptr(invalid("token issued in the future"))},
		{"wrong issuer", v, hs.sign(t, claims(map[string]any{"iss": "https://evil.test"})), ptr(unrecognized("token issuer not accepted"))},
		{"issuer not a string", v, hs.sign(t, claims(map[string]any{"iss": 42})), ptr(invalid("token has a malformed claim"))},
		{"no issuer", v, hs.sign(t, claims(map[string]any{"iss": nil})), ptr(invalid("token lacks a required claim (exp, iss or aud)"))},
		{"wrong audience", v, hs.sign(t, claims(map[string]any{"aud": "https://evil.test"})), ptr(invalid("token audience not accepted"))},
		{"no audience", v, hs.sign(t, claims(map[string]any{"aud": nil})), ptr(invalid("token lacks a required claim (exp, iss or aud)"))},
		{"no expiry", v, hs.sign(t, claims(map[string]any{"exp": nil})), ptr(invalid("token lacks a required claim (exp, iss or aud)"))},
		{"no expiry allowed", newHS256(t, auth.JWTOptions{AllowMissingExpiry: true}), hs.sign(t, claims(map[string]any{"exp": nil})), nil},
		{"no subject", v, hs.sign(t, claims(map[string]any{"sub": nil})), ptr(invalid("token has no subject"))},
		{"wrong signature", v, signer{alg: "HS256", key: secret2}.sign(t, claims(nil)), ptr(invalid("invalid token signature"))},
		{"tampered payload", v, tamper(hs.sign(t, claims(nil))), ptr(invalid("invalid token signature"))},
		{"HS384 not allowed", v, signer{alg: "HS384", key: secret}.sign(t, claims(nil)), ptr(invalid("signing algorithm not accepted"))},
		{"alg none", v, unsignedToken(claims(nil)), ptr(invalid("signing algorithm not accepted"))},
		{"unknown alg", v, "eyJhbGciOiJYWVoifQ.eyJzdWIiOiJhIn0.c2ln", ptr(invalid("signing algorithm not accepted"))},
		{"malformed header", v, "bm90IGpzb24.eyJzdWIiOiJhIn0.c2ln", ptr(invalid("malformed token"))},
		{"malformed payload", v, "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", ptr(invalid("malformed token"))},
		{"critical extension not understood", v, signer{alg: "HS256", key: secret, header: map[string]any{"crit": []string{"exp2"}, "exp2": 1}}.sign(t, claims(nil)), ptr(invalid(critical))},
		{"critical extension, empty list", v, signer{alg: "HS256", key: secret, header: map[string]any{"crit": []string{}}}.sign(t, claims(nil)), ptr(invalid(critical))},
		{"critical extension, not a list", v, signer{alg: "HS256", key: secret, header: map[string]any{"crit": "b64", "b64": false}}.sign(t, claims(nil)), ptr(invalid(critical))},
		{"not a JWT", v, "opaque-token-value", ptr(unrecognized("bearer token is not a JWT"))},
		{"JWE-shaped", v, "a.b.c.d.e", ptr(unrecognized("bearer token is not a JWT"))},
	} {
		data, err := tc.v.Authenticate(bearer(tc.token))
		if tc.fail == nil {
			if u := userOf(t, data, err); u.Subject != "alice" || u.Token != tc.token {
				t.Errorf("%s: user %+v", tc.name, u)
			}
			continue
		}
		checkFailure(t, tc.name, data, err, *tc.fail, tc.token, strings.Split(tc.token+"..", ".")[1])
	}

	data, err := v.Authenticate(request())
	checkFailure(t, "missing", data, err, failure{401, auth.ErrNoCredentials, "Bearer", "a bearer token (JWT)"})
	data, err = v.Authenticate(request("Authorization", "Basic YTpi"))
	checkFailure(t, "basic", data, err, unrecognized("unsupported authorization scheme: expected a bearer token (JWT)"))
	data, err = v.Authenticate(request("Authorization", "Bearer "))
	checkFailure(t, "empty bearer", data, err, invalid("empty bearer token"))
	data, err = v.Authenticate(nil)
	checkFailure(t, "nil request", data, err, missing)
}

func ptr[T any](v T) *T { return &v }

// tamper changes the subject of a token without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"alice"`, `"admin"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// Claims map to the User: scope or scp, roles from a configurable claim,
// names, client, expiry, extra claims.
func TestJWTClaimsMapping(t *testing.T) {
	t.Parallel()
	hs := signer{alg: "HS256", key: secret}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	base := func(over map[string]any) map[string]any {
		o := map[string]any{"exp": exp.Unix(), "iat": nil}
		for k, v := range over {
			o[k] = v
		}
		return claims(o)
	}
	for _, tc := range []struct {
		name   string
		opts   auth.JWTOptions
		claims map[string]any
		want   auth.User
	}{
		{"scope string, roles array, names", auth.JWTOptions{},
			base(map[string]any{"scope": "read write", "roles": []string{"admin", "user"}, "name": "Alice",
				"email": "alice@example.com", "client_id": "cli-1", "tenant": "t1"}),
			auth.User{Subject: "alice", Name: "Alice", Email: "alice@example.com", Scopes: []string{"read", "write"},
				Roles: []string{"admin", "user"}, ClientID: "cli-1", ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience, "tenant": "t1"}}},
		{"scp array, roles string, azp, preferred_username", auth.JWTOptions{},
			base(map[string]any{"scope": nil, "scp": []string{"mail.read", "mail.send"}, "roles": "admin",
				"azp": "cli-2", "preferred_username": "al"}),
			auth.User{Subject: "alice", Name: "al", Scopes: []string{"mail.read", "mail.send"}, Roles: []string{"admin"},
				ClientID: "cli-2", ExpiresAt: exp, Claims: map[string]any{"iss": testIssuer, "aud": testAudience}}},
		{"scp string", auth.JWTOptions{}, base(map[string]any{"scope": nil, "scp": "a b"}),
			auth.User{Subject: "alice", Scopes: []string{"a", "b"}, ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience}}},
		{"custom roles claim", auth.JWTOptions{RolesClaim: "groups"},
			base(map[string]any{"scope": nil, "groups": []string{"ops"}, "roles": []string{"ignored"}}),
			auth.User{Subject: "alice", Roles: []string{"ops"}, ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience, "roles": []any{"ignored"}}}},
		{"nested roles claim", auth.JWTOptions{RolesClaim: "realm_access.roles"},
			base(map[string]any{"scope": nil, "realm_access": map[string]any{"roles": []string{"admin"}}}),
			auth.User{Subject: "alice", Roles: []string{"admin"}, ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience, "realm_access": map[string]any{"roles": []any{"admin"}}}}},
		{"client credentials token without sub", auth.JWTOptions{},
			base(map[string]any{"sub": nil, "scope": nil, "client_id": "svc"}),
			auth.User{Subject: "svc", ClientID: "svc", ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience}}},
		{"mapper", auth.JWTOptions{ClaimsMapper: func(c map[string]any, u *auth.User) error {
			if c["tenant"] == "t1" {
				u.Roles = append(u.Roles, "tenant-admin")
			}
			delete(u.Claims, "tenant")
			return nil
		}}, base(map[string]any{"scope": nil, "tenant": "t1"}),
			auth.User{Subject: "alice", Roles: []string{"tenant-admin"}, ExpiresAt: exp,
				Claims: map[string]any{"iss": testIssuer, "aud": testAudience}}},
	} {
		v := newHS256(t, tc.opts)
		tok := hs.sign(t, tc.claims)
		u := mustUser(t, v, bearer(tok))
		tc.want.Token = tok
		if diff := testdiff.Diff(&tc.want, u, testdiff.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestJWTScopesAndMapperFailures(t *testing.T) {
	t.Parallel()
	hs := signer{alg: "HS256", key: secret}
	v := newHS256(t, auth.JWTOptions{RequiredScopes: []string{"read", "mcp"}})
	data, err := v.Authenticate(bearer(hs.sign(t, claims(nil))))
	checkFailure(t, "missing scope", data, err, failure{403, auth.ErrInsufficientScope,
		`Bearer error="insufficient_scope", error_description="the token lacks a required scope", scope="read mcp"`, "needs read mcp"})
	u := mustUser(t, v, bearer(hs.sign(t, claims(map[string]any{"scope": "read mcp"}))))
	if !slices.Equal(u.Scopes, []string{"read", "mcp"}) {
		t.Errorf("scopes %v", u.Scopes)
	}

	refuse := newHS256(t, auth.JWTOptions{ClaimsMapper: func(map[string]any, *auth.User) error {
		return errors.New("tenant t1 is suspended")
	}})
	data, err = refuse.Authenticate(bearer(hs.sign(t, claims(nil))))
	checkFailure(t, "mapper error", data, err, invalid("token claims not accepted"), "suspended")
	forbid := newHS256(t, auth.JWTOptions{ClaimsMapper: func(map[string]any, *auth.User) error {
		return &fastmcp.HTTPError{Status: 403, Message: "tenant suspended"}
	}})
	data, err = forbid.Authenticate(bearer(hs.sign(t, claims(nil))))
	checkFailure(t, "mapper HTTPError", data, err, failure{status: 403, message: "tenant suspended"})
}

func TestNewJWTOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts auth.JWTOptions
		err  string
	}{
		{"no key source", auth.JWTOptions{}, "no key source"},
		{"short secret", auth.JWTOptions{Secret: []byte("short")}, "32 bytes"},
		{"none", auth.JWTOptions{Secret: secret, Algorithms: []string{"none"}}, "unsupported algorithm"},
		{"HMAC without secret", auth.JWTOptions{JWKSURL: "http://127.0.0.1:1/jwks", Algorithms: []string{"HS256", "RS256"}}, "needs Secret"},
		{"RSA without key set", auth.JWTOptions{Secret: secret, Algorithms: []string{"RS256"}}, "needs JWKSURL"},
		{"discover without issuer", auth.JWTOptions{Discover: true}, "needs Issuer"},
		{"both key set sources", auth.JWTOptions{Discover: true, Issuer: testIssuer, JWKSURL: "http://127.0.0.1:1/jwks"}, "exclusive"},
	} {
		if _, err := auth.NewJWT(tc.opts); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}
