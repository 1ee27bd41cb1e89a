// Package oauth is an OAuth 2.1 authorization server for fastmcp servers that
// signs users in with an identity provider that has no dynamic client
// registration: Google, GitHub, Microsoft Entra ID, or any OAuth 2.0 or OpenID
// Connect provider.
//
// MCP clients register themselves (RFC 7591) and authorize with PKCE; most
// identity providers accept neither unknown clients nor their redirect URIs.
// The Proxy sits between: it is the authorization server MCP clients see, and
// one confidential client of the provider.
//
//	proxy, err := oauth.NewProxy(oauth.Config{
//		BaseURL:       "https://mcp.example.com",
//		Provider:      &oauth.GoogleProvider{ClientID: id, ClientSecret: secret},
//		SigningKey:    signingKey,    // 32 random bytes, see ParseKey
//		EncryptionKey: encryptionKey, // 32 random bytes
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	s := fastmcp.New(fastmcp.Options{Name: "notes", Version: "1.0.0",
//		Authenticate: proxy, OAuth: proxy.Discovery()})
//	proxy.Mount(s)
//	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami", CanAccess: fastmcp.RequireScopes("email")},
//		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
//			u, err := fastmcp.AuthSession[*oauth.GoogleSession](ctx)
//			if err != nil {
//				return "", err
//			}
//			return u.Email, nil
//		})
//
// Register Proxy.CallbackURL (BaseURL/oauth/callback) as the redirect URI of
// the proxy's client at the provider.
//
// # Endpoints
//
// Under BaseURL: POST /oauth/register (RFC 7591, answers 201), GET
// /oauth/authorize, GET and POST /oauth/consent (the consent page and the
// user's decision), GET /oauth/callback (the provider's redirect), POST
// /oauth/token (authorization_code and refresh_token grants) and POST
// /oauth/revoke (RFC 7009). Proxy.Discovery makes the server publish the RFC
// 9728 protected resource metadata and the RFC 8414 authorization server
// metadata describing them.
//
// # Security
//
//   - PKCE with S256 is required (plain only with Config.AllowPlainPKCE), and
//     the proxy runs its own PKCE, state and nonce with the provider.
//   - Authorization codes are single-use: redeeming one takes it from the
//     store atomically, and a second redemption revokes every token the first
//     one gave. Codes live 5 minutes.
//   - Refresh tokens rotate on every use; presenting a spent one revokes the
//     whole grant (reuse detection).
//   - Confidential clients authenticate at the token and revocation endpoints
//     with the secret issued at registration (HTTP Basic or form); the
//     secret is stored only as a hash. Public clients rely on PKCE.
//   - Redirect URIs are matched exactly against the client's registered ones.
//     Registration accepts loopback redirect URIs only, unless
//     Config.AllowedRedirectURIs has a pattern for others (see below).
//   - Authorization responses carry state and iss (RFC 9207). The RFC 8707
//     resource parameter, when sent, must name this server (Config.Resource).
//   - The user approves each client on a consent page (plain, accessible
//     HTML that cannot be framed). The decision is protected against CSRF by a
//     token derived from a browser-binding cookie, and the provider's callback
//     is honoured only in the browser that approved the request.
//   - Token swap (the default): clients get a short-lived JWT (RFC 9068
//     at+jwt, HS256) whose audience is this server; the provider's tokens stay
//     in the store, encrypted with AES-256-GCM, and are renewed at the
//     provider when the client refreshes. Revocation takes effect at once,
//     as every request looks its grant up. Config.Passthrough hands out the
//     provider's access tokens instead.
//   - The keys come from the configuration: without them NewProxy fails with
//     ErrMissingKeys, unless Config.DevelopmentMode allows ephemeral keys.
//   - Client ID Metadata Documents (Config.CIMD) are fetched with
//     server-side request forgery protections; see CIMDOptions.
//
// # Redirect URI patterns
//
// Loopback redirect URIs (http or https to localhost, 127.0.0.0/8 or [::1],
// any port and path) are always accepted at registration: the authorization
// response then never leaves the user's machine. Any other URI must match one
// of Config.AllowedRedirectURIs. A pattern is matched part by part, so that a
// wildcard cannot spill from one part into another:
//
//   - the scheme, case-insensitively;
//   - the host, case-insensitively, where "*" matches within one DNS label:
//     "https://*.example.com/cb" matches https://app.example.com/cb but not
//     https://a.b.example.com/cb nor https://evil.com/x.example.com/cb;
//   - the port, where "*" matches any port or none;
//   - the path and query, where "*" matches any run of characters.
//
// "?" matches one character within a part. A URI without an authority (a
// private-use scheme such as com.example.app:/cb) is matched against the
// pattern as a whole string. URIs with a fragment or user information, and
// javascript:, data:, vbscript: and file: URIs, are never accepted.
//
// # Sessions
//
// The proxy is the server's authenticator: handlers receive the provider's
// session type, a *Session (OAuthProvider), *GoogleSession, *GitHubSession or
// *AzureSession, read with fastmcp.AuthSession or, whatever the provider,
// SessionFrom. Sessions implement fastmcp.Identity, ScopeHolder and
// RoleHolder, so fastmcp.RequireScopes and RequireRole apply.
//
// # Storage
//
// Clients, transactions, codes, grants and refresh tokens are kept in a
// Store: MemoryStore by default, FileStore to survive restarts, or an
// implementation of your own over a shared database. Everything stored is
// encrypted, and codes and tokens appear only as hashes.
package oauth
