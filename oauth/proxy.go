package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/fastmcp-go/fastmcp"
)

// Config configures a Proxy. BaseURL, Provider and the keys are required;
// every other field has a working default.
type Config struct {
	// BaseURL is the public URL of the MCP server, scheme, host and the
	// HTTP BasePath if any ("https://mcp.example.com"). It is the proxy's
	// issuer identifier; its endpoints are BaseURL/oauth/register,
	// /oauth/authorize, /oauth/consent, /oauth/callback, /oauth/token and
	// /oauth/revoke. It must be https, except on a loopback host.
	BaseURL string
	// Resource is the URL of the protected MCP endpoint: the audience of the
	// tokens the proxy issues, and the only value accepted for the RFC 8707
	// resource parameter. Default BaseURL + "/mcp".
	Resource string
	// Provider is the upstream identity provider.
	Provider Provider
	// Scopes are the scopes the proxy grants MCP clients. Default the
	// provider's scopes (Upstream.Scopes). Scopes a client asks for outside
	// this list are ignored (invalid_scope if it asks for no other); a
	// client asking for none is granted all.
	Scopes []string

	// SigningKey signs the access tokens the proxy issues (HS256) and keys
	// the consent form's CSRF tokens: at least 32 random bytes, the same on
	// every replica. See ParseKey and GenerateKey.
	SigningKey []byte
	// EncryptionKey encrypts everything the proxy stores (AES-256-GCM), the
	// upstream tokens in particular: exactly 32 random bytes, the same on
	// every replica.
	EncryptionKey []byte
	// PreviousSigningKeys and PreviousEncryptionKeys are keys being
	// rotated out: still accepted to verify and decrypt, never used to sign
	// or encrypt.
	PreviousSigningKeys, PreviousEncryptionKeys [][]byte
	// DevelopmentMode lets NewProxy generate ephemeral keys when SigningKey
	// or EncryptionKey is missing, instead of failing with ErrMissingKeys.
	// Tokens then die with the process and are not shared by replicas. Never
	// use it in production.
	DevelopmentMode bool

	// Store keeps clients, transactions, codes, grants and tokens. Default
	// a MemoryStore, which loses them on restart; use a FileStore or a
	// shared store to keep clients registered across restarts and replicas.
	Store Store

	// AllowedRedirectURIs are the patterns a registered redirect URI other
	// than a loopback one must match (see the syntax in the package
	// documentation). Default none: only loopback redirect URIs
	// (http://localhost:PORT/..., http://127.0.0.1:PORT/...) are accepted,
	// so a client must be on the user's machine. Web clients need their
	// callback listed, such as "https://claude.ai/api/mcp/auth_callback".
	AllowedRedirectURIs []string
	// AllowPlainPKCE accepts the PKCE "plain" method. Default false: only
	// S256, as OAuth 2.1 and MCP require.
	AllowPlainPKCE bool
	// SkipConsent sends the user straight to the provider, without the
	// proxy's consent page. Default false: the user approves each client,
	// which stops a malicious client from riding on consent the user gave
	// the proxy at the provider (the confused deputy problem).
	SkipConsent bool
	// Passthrough hands MCP clients the upstream access token instead of
	// a token of the proxy's. Default false (token swap): the upstream
	// tokens stay in the proxy's store, encrypted, and clients get a
	// short-lived JWT for this server only. In passthrough mode the proxy
	// still accepts only the upstream tokens it handed out, but those tokens
	// are not bound to this server: the MCP specification advises against
	// it.
	Passthrough bool

	// AccessTokenTTL is the lifetime of the access tokens the proxy issues,
	// cut to the upstream access token's own lifetime. Default 1 hour.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of a refresh token; each refresh
	// replaces it with a new one. Default 30 days.
	RefreshTokenTTL time.Duration
	// CodeTTL is the lifetime of an authorization code. Default 5 minutes.
	CodeTTL time.Duration
	// TransactionTTL is the time a user has to approve and sign in.
	// Default 10 minutes.
	TransactionTTL time.Duration
	// ClientTTL is how long a dynamically registered client stays
	// registered. Default 0: until the store loses it.
	ClientTTL time.Duration

	// Claims chooses which upstream user claims reach Session.Claims and
	// the issued tokens.
	Claims ClaimsPolicy
	// CIMD, when set, accepts Client ID Metadata Documents. Default nil:
	// clients must register.
	CIMD *CIMDOptions

	// HTTPClient makes the requests to the provider. Default
	// http.DefaultClient.
	HTTPClient *http.Client
	// RegistrationRateLimit limits client registrations (POST
	// /oauth/register) server-wide when the proxy is mounted with Mount:
	// registration is open to anyone, and each client is stored. Default
	// 30 per minute; a negative Limit turns the limit off.
	RegistrationRateLimit fastmcp.Rate

	// UpstreamTimeout bounds each request to the provider. Default 10
	// seconds.
	UpstreamTimeout time.Duration
	// ServerName names the server on the consent page. Default the host of
	// BaseURL.
	ServerName string
	// Logger logs failures of the provider and detected attacks. Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the proxy's clock. Default time.Now.
	Now func() time.Time
}

// ClaimsPolicy chooses the upstream user claims that pass through the proxy.
// All claims are kept in the proxy's store; the policy decides what handlers
// see in Session.Claims and what is copied into issued tokens. The ID token's
// protocol claims (aud, exp, iat, nbf, jti, nonce, at_hash, c_hash) never
// pass.
type ClaimsPolicy struct {
	// Allow, when not empty, lets only these claims pass.
	Allow []string
	// Block stops these claims.
	Block []string
	// InToken also copies the claims that pass into the access tokens the
	// proxy issues, for resource servers that verify them on their own.
	// Claims named like the token's own (iss, sub, aud, exp, client_id,
	// scope...) and values longer than 2,000 bytes of JSON are left out.
	// Default false: tokens carry no personal data.
	InToken bool
}

// Proxy is an OAuth 2.1 authorization server in front of an upstream
// identity provider that has no dynamic client registration (Google, GitHub,
// Entra ID...). MCP clients register with the proxy, authorize with PKCE and
// get tokens from it; the proxy signs the user in at the provider as one
// confidential client.
//
// A Proxy is the server's fastmcp.Authenticator, serves its OAuth endpoints
// (Mount or Handler) and describes them for discovery (Discovery):
//
//	s := fastmcp.New(fastmcp.Options{Name: "notes", Authenticate: proxy, OAuth: proxy.Discovery()})
//	proxy.Mount(s)
//
// It is safe for concurrent use.
type Proxy struct {
	cfg      Config
	issuer   string
	prefix   string
	resource string
	secure   bool
	scopes   []string

	keys     *keyring
	store    Store
	provider Provider
	client   *http.Client
	cimd     *cimdFetcher
	logger   *slog.Logger
	now      func() time.Time

	mux *http.ServeMux
}

// NewProxy checks the configuration and returns a Proxy. It asks the
// provider for its upstream configuration once (an OAuthProvider with an
// Issuer fetches its discovery document), so that a misconfigured provider
// stops the server at start rather than at the first sign-in.
//
// Without SigningKey and EncryptionKey it fails with ErrMissingKeys unless
// DevelopmentMode is set.
func NewProxy(cfg Config) (*Proxy, error) {
	if cfg.Provider == nil {
		return nil, errors.New("oauth: Config.Provider is required")
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("oauth: Config.BaseURL %q must be an absolute http(s) URL without query or fragment", cfg.BaseURL)
	}
	if base.Scheme == "http" && !isLoopbackRedirect(base) {
		return nil, fmt.Errorf("oauth: Config.BaseURL %q must use https (http is only allowed on loopback hosts)", cfg.BaseURL)
	}
	cfg.BaseURL = base.String()
	logger := cmp.Or(cfg.Logger, slog.Default())

	if len(cfg.SigningKey) == 0 || len(cfg.EncryptionKey) == 0 {
		if !cfg.DevelopmentMode {
			return nil, ErrMissingKeys
		}
		if len(cfg.SigningKey) == 0 {
			cfg.SigningKey = GenerateKey()
		}
		if len(cfg.EncryptionKey) == 0 {
			cfg.EncryptionKey = GenerateKey()
		}
		logger.Warn("oauth: development mode: using ephemeral keys; tokens will not survive a restart")
	}
	keys, err := newKeyring(cfg.SigningKey, cfg.PreviousSigningKeys, cfg.EncryptionKey, cfg.PreviousEncryptionKeys)
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.AllowedRedirectURIs {
		if !strings.Contains(p, ":") {
			return nil, fmt.Errorf("oauth: redirect URI pattern %q has no scheme", p)
		}
	}

	cfg.AccessTokenTTL = cmp.Or(cfg.AccessTokenTTL, time.Hour)
	cfg.RefreshTokenTTL = cmp.Or(cfg.RefreshTokenTTL, 30*24*time.Hour)
	cfg.CodeTTL = cmp.Or(cfg.CodeTTL, 5*time.Minute)
	cfg.TransactionTTL = cmp.Or(cfg.TransactionTTL, 10*time.Minute)
	cfg.UpstreamTimeout = cmp.Or(cfg.UpstreamTimeout, 10*time.Second)
	if cfg.RegistrationRateLimit.Limit == 0 {
		cfg.RegistrationRateLimit = fastmcp.Rate{Limit: 30, Per: time.Minute}
	}
	cfg.Resource = cmp.Or(cfg.Resource, cfg.BaseURL+"/mcp")
	cfg.ServerName = cmp.Or(cfg.ServerName, base.Host)

	p := &Proxy{
		cfg:      cfg,
		issuer:   cfg.BaseURL,
		prefix:   base.Path,
		resource: cfg.Resource,
		secure:   base.Scheme == "https",
		keys:     keys,
		store:    cfg.Store,
		provider: cfg.Provider,
		client:   cmp.Or(cfg.HTTPClient, http.DefaultClient),
		logger:   logger,
		now:      cfg.Now,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.store == nil {
		p.store = &MemoryStore{Now: cfg.Now}
	}
	if cfg.CIMD != nil {
		p.cimd = newCIMDFetcher(*cfg.CIMD)
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.UpstreamTimeout)
	defer cancel()
	up, err := p.provider.Upstream(ctx, p.client)
	if err != nil {
		return nil, err
	}
	if up.ClientID == "" {
		return nil, errors.New("oauth: the provider has no client id")
	}
	p.scopes = slices.Clone(cfg.Scopes)
	if len(p.scopes) == 0 {
		p.scopes = slices.Clone(up.Scopes)
	}
	p.mux = p.routes()
	return p, nil
}

// Issuer returns the proxy's issuer identifier, Config.BaseURL.
func (p *Proxy) Issuer() string { return p.issuer }

// CallbackURL returns the URL the provider redirects the user back to,
// BaseURL/oauth/callback: register it as the redirect URI of the proxy's
// client at the provider.
func (p *Proxy) CallbackURL() string { return p.issuer + "/oauth/callback" }

// Metadata returns the RFC 8414 authorization server metadata describing
// the proxy's endpoints.
func (p *Proxy) Metadata() *fastmcp.AuthorizationServerMetadata {
	pkce := []string{"S256"}
	if p.cfg.AllowPlainPKCE {
		pkce = append(pkce, "plain")
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	return &fastmcp.AuthorizationServerMetadata{
		Issuer:                                     p.issuer,
		AuthorizationEndpoint:                      p.issuer + "/oauth/authorize",
		TokenEndpoint:                              p.issuer + "/oauth/token",
		RegistrationEndpoint:                       p.issuer + "/oauth/register",
		RevocationEndpoint:                         p.issuer + "/oauth/revoke",
		ScopesSupported:                            slices.Clone(p.scopes),
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        slices.Clone(supportedGrants),
		TokenEndpointAuthMethodsSupported:          authMethods,
		RevocationEndpointAuthMethodsSupported:     slices.Clone(authMethods),
		CodeChallengeMethodsSupported:              pkce,
		AuthorizationResponseIssParameterSupported: true,
		ClientIDMetadataDocumentSupported:          p.cimd != nil,
	}
}

// Discovery returns the server's OAuth discovery configuration: this proxy
// as the authorization server of the resource Config.Resource. Set it as
// fastmcp.Options.OAuth.
func (p *Proxy) Discovery() *fastmcp.OAuthDiscovery {
	return &fastmcp.OAuthDiscovery{
		ProtectedResource: fastmcp.ProtectedResourceMetadata{
			Resource:               p.resource,
			AuthorizationServers:   []string{p.issuer},
			ScopesSupported:        slices.Clone(p.scopes),
			BearerMethodsSupported: []string{"header"},
		},
		AuthorizationServer: p.Metadata(),
	}
}

// Mount serves the proxy's endpoints on s, as public custom routes under
// BaseURL's path + "/oauth/". The discovery documents are served by s itself
// when fastmcp.Options.OAuth is p.Discovery().
func (p *Proxy) Mount(s *fastmcp.Server) {
	s.Route(p.prefix+"/oauth/", p.mux, fastmcp.RouteOptions{Public: true})
	s.Route("POST "+p.prefix+"/oauth/register", p.mux, fastmcp.RouteOptions{Public: true, RateLimit: p.cfg.RegistrationRateLimit})
}

// Handler returns the proxy's endpoints as an http.Handler, for a server of
// your own: it serves BaseURL's path + "/oauth/...", and the RFC 8414
// metadata at /.well-known/oauth-authorization-server (path-inserted when
// BaseURL has a path).
func (p *Proxy) Handler() http.Handler { return p.mux }

var supportedGrants = []string{"authorization_code", "refresh_token"}

func (p *Proxy) routes() *http.ServeMux {
	mux := http.NewServeMux()
	o := p.prefix + "/oauth/"
	mux.HandleFunc("POST "+o+"register", p.serveRegister)
	mux.HandleFunc("GET "+o+"authorize", p.serveAuthorize)
	mux.HandleFunc("POST "+o+"authorize", p.serveAuthorize)
	mux.HandleFunc("GET "+o+"consent", p.serveConsent)
	mux.HandleFunc("POST "+o+"consent", p.serveConsentDecision)
	mux.HandleFunc("GET "+o+"callback", p.serveCallback)
	mux.HandleFunc("POST "+o+"token", p.serveToken)
	mux.HandleFunc("POST "+o+"revoke", p.serveRevoke)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server"+p.prefix, p.serveMetadata)
	return mux
}

func (p *Proxy) serveMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, p.Metadata())
}

// put seals v as JSON and stores it under key.
func (p *Proxy) put(ctx context.Context, key string, v any, ttl time.Duration) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if ttl < 0 {
		return nil // already expired: nothing to keep
	}
	return p.store.Put(ctx, key, p.keys.seal(data, key), ttl)
}

// get loads and opens the value under key into v.
func (p *Proxy) get(ctx context.Context, key string, v any) error {
	data, err := p.store.Get(ctx, key)
	if err != nil {
		return err
	}
	return p.open(key, data, v)
}

// take is get, atomically removing the value.
func (p *Proxy) take(ctx context.Context, key string, v any) error {
	data, err := p.store.Take(ctx, key)
	if err != nil {
		return err
	}
	return p.open(key, data, v)
}

func (p *Proxy) open(key string, data []byte, v any) error {
	pt, err := p.keys.open(data, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(pt, v)
}

// upstream returns the provider's configuration and the oauth2 client for
// it.
func (p *Proxy) upstream(ctx context.Context) (*Upstream, *oauth2.Config, error) {
	up, err := p.provider.Upstream(ctx, p.client)
	if err != nil {
		return nil, nil, err
	}
	return up, &oauth2.Config{
		ClientID:     up.ClientID,
		ClientSecret: up.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: up.AuthURL, TokenURL: up.TokenURL, AuthStyle: up.AuthStyle},
		RedirectURL:  p.CallbackURL(),
		Scopes:       up.Scopes,
	}, nil
}

// upstreamContext bounds a request to the provider and makes oauth2 use the
// proxy's HTTP client.
func (p *Proxy) upstreamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.UpstreamTimeout)
	return context.WithValue(ctx, oauth2.HTTPClient, p.client), cancel
}

// resourceOK reports whether the RFC 8707 resource values name this server.
func (p *Proxy) resourceOK(values []string) bool {
	for _, v := range values {
		if strings.TrimSuffix(v, "/") != strings.TrimSuffix(p.resource, "/") {
			return false
		}
	}
	return true
}

// grantScopes returns the scopes granted for a request: the requested ones
// the proxy supports, or all of them when none is requested. ok is false
// when scopes were requested but none is supported.
func (p *Proxy) grantScopes(requested string) (scopes []string, ok bool) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return slices.Clone(p.scopes), true
	}
	for _, s := range fields {
		if slices.Contains(p.scopes, s) && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes, len(scopes) > 0
}

// protocolClaims describe an ID token rather than the user.
var protocolClaims = []string{"aud", "exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash"}

// passClaims returns the claims Config.Claims lets through.
func (p *Proxy) passClaims(claims map[string]any) map[string]any {
	var out map[string]any
	pol := p.cfg.Claims
	for k, v := range claims {
		if slices.Contains(protocolClaims, k) || slices.Contains(pol.Block, k) || (len(pol.Allow) > 0 && !slices.Contains(pol.Allow, k)) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}
