// Package auth provides ready-made authenticators for fastmcp servers: API
// keys, JWT bearer tokens (HMAC or a JWKS), OAuth 2.0 token introspection,
// and their combination. Each is a fastmcp.Authenticator returning a *User:
//
//	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{File: "keys.json", PollInterval: time.Minute})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer keys.Close()
//	tokens, err := auth.NewJWT(auth.JWTOptions{
//		Issuer:    "https://auth.example.com",
//		Discover:  true, // keys from the issuer's discovery document
//		Audiences: []string{"https://mcp.example.com"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	s := fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0",
//		Authenticate: auth.Chain(tokens, keys)})
//	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami", CanAccess: fastmcp.RequireScopes("read")},
//		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
//			u, _ := auth.UserFrom(ctx)
//			return u.Subject, nil
//		})
//
// User implements fastmcp.Identity, ScopeHolder and RoleHolder, so the access
// checks of package fastmcp apply to it, and a session stays bound to its
// subject.
//
// # Failures
//
// Every failure is a *fastmcp.HTTPError, which the server turns into the
// answer, and matches one of the sentinel errors (errors.Is):
//
//   - no credentials (ErrNoCredentials): 401 with "WWW-Authenticate: Bearer"
//     and no error code (RFC 6750 §3.1);
//   - invalid, expired or unknown credentials (ErrInvalidCredentials,
//     ErrUnrecognized): 401 with Bearer error="invalid_token" and an
//     error_description;
//   - a valid token lacking a required scope (ErrInsufficientScope): 403 with
//     error="insufficient_scope";
//   - a key set, discovery or introspection endpoint that cannot be reached
//     (ErrUnavailable): 503.
//
// Messages say what was wrong ("token expired", "invalid API key") and never
// contain keys, tokens or claims.
//
// # Combining
//
// Chain tries verifiers in order and stops at the first that accepts or that
// finds invalid credentials of its kind; Guest lets requests without
// credentials in with a limited identity.
package auth
