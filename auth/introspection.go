package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// IntrospectionOptions configure NewIntrospection. The endpoint is Endpoint,
// or found from Issuer's discovery document with Discover.
type IntrospectionOptions struct {
	// Endpoint is the authorization server's introspection endpoint.
	// Default "": Discover must be set instead.
	Endpoint string
	// Discover finds the endpoint in Issuer's discovery document (its
	// "introspection_endpoint") through Discovery. Default false.
	Discover bool
	// Discovery is the discovery cache Discover uses. Default: a cache of
	// its own using HTTPClient when that is set, else one cache shared by
	// the verifiers of the process.
	Discovery *DiscoveryCache
	// Issuer, when set, must equal the "iss" of responses that carry one.
	// Default "": any issuer.
	Issuer string

	// ClientID and ClientSecret authenticate this server to the endpoint.
	// Default "": requests carry no client credentials.
	ClientID, ClientSecret string
	// AuthMethod is how they are sent: "client_secret_basic" (HTTP Basic,
	// the default) or "client_secret_post" (form fields).
	AuthMethod string

	// Audiences, when set, requires the response's "aud" to contain one of
	// them. Default: any audience.
	Audiences []string
	// RequiredScopes, when set, must all be granted; a token lacking one is
	// refused with 403 insufficient_scope. Default none.
	RequiredScopes []string
	// RolesClaim names the response member holding roles, as
	// JWTOptions.RolesClaim. Default "roles".
	RolesClaim string
	// ClaimsMapper adjusts the User built from the response, as
	// JWTOptions.ClaimsMapper. Default none.
	ClaimsMapper ClaimsMapper

	// HTTPClient makes the requests. Default http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds each introspection request. Default 10 seconds.
	Timeout time.Duration
	// CacheTTL is the longest an active result is reused; it is reused no
	// longer than the token's "exp" either. Default 5 minutes; negative
	// disables caching. A revoked token stays accepted for up to this long.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long an inactive result is reused. Default 10
	// seconds; negative disables it. Endpoint failures are never cached.
	NegativeCacheTTL time.Duration
	// MaxCacheEntries caps the cache. Default 10000.
	MaxCacheEntries int
}

// Introspection authenticates requests by a bearer token checked at an OAuth
// 2.0 token introspection endpoint (RFC 7662). Results are cached by a
// SHA-256 digest of the token (the token itself is not kept), and concurrent
// checks of one token share a request. It is safe for concurrent use.
type Introspection struct {
	endpoint   func(ctx context.Context) (string, error)
	clientID   string
	secret     string
	post       bool
	issuer     string
	audiences  []string
	required   []string
	rolesClaim string
	mapper     ClaimsMapper
	client     *http.Client
	timeout    time.Duration
	ttl        time.Duration
	negTTL     time.Duration
	maxEntries int

	sf    singleflight.Group
	mu    sync.Mutex
	cache map[[sha256.Size]byte]introspected
}

// introspected is a result: the user of an accepted token, or the refusal
// of an inactive or unacceptable one.
type introspected struct {
	user    *User
	refusal error
	expires time.Time // when cached
}

const bearerExpected = "a bearer token"

// NewIntrospection returns an introspection verifier. It does no network
// I/O.
func NewIntrospection(opts IntrospectionOptions) (*Introspection, error) {
	v := &Introspection{
		clientID:   opts.ClientID,
		secret:     opts.ClientSecret,
		issuer:     opts.Issuer,
		audiences:  slices.Clone(opts.Audiences),
		required:   slices.Clone(opts.RequiredScopes),
		rolesClaim: orDefault(opts.RolesClaim, "roles"),
		mapper:     opts.ClaimsMapper,
		client:     opts.HTTPClient,
		timeout:    orDefault(opts.Timeout, defaultFetchTimeout),
		ttl:        orDefault(opts.CacheTTL, 5*time.Minute),
		negTTL:     orDefault(opts.NegativeCacheTTL, 10*time.Second),
		maxEntries: orDefault(opts.MaxCacheEntries, 10000),
		cache:      map[[sha256.Size]byte]introspected{},
	}
	switch opts.AuthMethod {
	case "", "client_secret_basic":
	case "client_secret_post":
		v.post = true
	default:
		return nil, fmt.Errorf("auth: IntrospectionOptions: unsupported AuthMethod %q", opts.AuthMethod)
	}
	switch {
	case opts.Endpoint != "" && opts.Discover:
		return nil, errors.New("auth: IntrospectionOptions: Endpoint and Discover are exclusive")
	case opts.Endpoint != "":
		v.endpoint = func(context.Context) (string, error) { return opts.Endpoint, nil }
	case opts.Discover:
		if opts.Issuer == "" {
			return nil, errors.New("auth: IntrospectionOptions: Discover needs Issuer")
		}
		dc := opts.Discovery
		switch {
		case dc != nil:
		case opts.HTTPClient != nil:
			dc = NewDiscoveryCache(DiscoveryOptions{HTTPClient: opts.HTTPClient})
		default:
			dc = defaultDiscovery()
		}
		v.endpoint = func(ctx context.Context) (string, error) {
			m, err := dc.Discover(ctx, opts.Issuer)
			if err != nil {
				return "", err
			}
			if m.IntrospectionEndpoint == "" {
				return "", fmt.Errorf("auth: discovery document of %s has no introspection_endpoint", opts.Issuer)
			}
			return m.IntrospectionEndpoint, nil
		}
	default:
		return nil, errors.New("auth: IntrospectionOptions: no Endpoint (or Issuer with Discover)")
	}
	return v, nil
}

// Authenticate implements fastmcp.Authenticator. It returns a *User mapped
// from the response (sub, username, scope, client_id, exp; other members in
// Claims), with Token set to the bearer token.
func (v *Introspection) Authenticate(r *http.Request) (any, error) {
	tok, err := bearerCredential(r, bearerExpected)
	if err != nil {
		return nil, err
	}
	u, err := v.Verify(r.Context(), tok)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return u, nil
}

// credentials implements credentialReader.
func (v *Introspection) credentials(r *http.Request, to []credential) []credential {
	return bearerCredentials(r, to)
}

// Verify checks a token and returns its User, or an error as Authenticate
// does.
func (v *Introspection) Verify(ctx context.Context, token string) (*User, error) {
	key := sha256.Sum256([]byte(token))
	if res, ok := v.cached(key); ok {
		return v.result(res, token)
	}
	res, err := flight(ctx, &v.sf, hex.EncodeToString(key[:]), v.timeout, func(ctx context.Context) (introspected, error) {
		if res, ok := v.cached(key); ok {
			return res, nil
		}
		res, err := v.introspect(ctx, token)
		if err != nil {
			return res, err
		}
		v.store(key, res)
		return res, nil
	})
	if err != nil {
		return nil, errUnavailable("token introspection failed", err)
	}
	return v.result(res, token)
}

// result answers with a copy of a result's user, or its refusal.
func (v *Introspection) result(res introspected, token string) (*User, error) {
	if res.refusal != nil {
		return nil, res.refusal
	}
	u := res.user
	if !u.ExpiresAt.IsZero() && !time.Now().Before(u.ExpiresAt) {
		return nil, errInvalid("token expired", nil)
	}
	c := u.Clone()
	c.Token = token
	return c, nil
}

func (v *Introspection) cached(key [sha256.Size]byte) (introspected, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.cache[key]
	if !ok {
		return e, false
	}
	if !time.Now().Before(e.expires) {
		delete(v.cache, key)
		return e, false
	}
	return e, true
}

// store caches a result: an accepted one until the token's exp or CacheTTL,
// a refusal for NegativeCacheTTL.
func (v *Introspection) store(key [sha256.Size]byte, res introspected) {
	now := time.Now()
	ttl := v.negTTL
	if res.refusal == nil {
		ttl = v.ttl
		if exp := res.user.ExpiresAt; !exp.IsZero() {
			ttl = min(ttl, exp.Sub(now))
		}
	}
	if ttl <= 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= v.maxEntries {
		for k, e := range v.cache {
			if !now.Before(e.expires) {
				delete(v.cache, k)
			}
		}
		for k := range v.cache {
			if len(v.cache) < v.maxEntries {
				break
			}
			delete(v.cache, k) // map order is random: random eviction
		}
	}
	res.expires = now.Add(ttl)
	v.cache[key] = res
}

// introspect asks the endpoint about token. The error is set only when the
// endpoint cannot answer; an inactive or unacceptable token is a refusal.
func (v *Introspection) introspect(ctx context.Context, token string) (introspected, error) {
	endpoint, err := v.endpoint(ctx)
	if err != nil {
		return introspected{}, err
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	if v.post {
		form.Set("client_id", v.clientID)
		if v.secret != "" {
			form.Set("client_secret", v.secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return introspected{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !v.post && v.clientID != "" {
		// RFC 6749 §2.3.1: the credentials are form-encoded, then Basic.
		req.SetBasicAuth(url.QueryEscape(v.clientID), url.QueryEscape(v.secret))
	}
	var resp map[string]any
	if err := doJSON(v.client, req, &resp); err != nil {
		return introspected{}, fmt.Errorf("auth: introspection: %w", err)
	}
	refuse := func(desc string) (introspected, error) {
		return introspected{refusal: errInvalid(desc, nil)}, nil
	}
	if active, _ := resp["active"].(bool); !active {
		return refuse("token is not active")
	}
	now := time.Now()
	if exp, ok := numericDate(resp["exp"]); ok && !now.Before(exp) {
		return refuse("token expired")
	}
	if nbf, ok := numericDate(resp["nbf"]); ok && now.Before(nbf) {
		return refuse("token not valid yet")
	}
	if iss, ok := resp["iss"].(string); ok && v.issuer != "" && iss != v.issuer {
		return refuse("token issuer not accepted")
	}
	if len(v.audiences) > 0 {
		aud := stringList(resp["aud"])
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.audiences, a) }) {
			return refuse("token audience not accepted")
		}
	}
	delete(resp, "active")
	u := userFromClaims(resp, v.rolesClaim)
	if err := finishUser(resp, u, v.required, v.mapper); err != nil {
		return introspected{refusal: err}, nil
	}
	return introspected{user: u}, nil
}
