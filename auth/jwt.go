package auth

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTOptions configure NewJWT. A verifier needs a key source: Secret,
// JWKSURL, or Issuer with Discover.
type JWTOptions struct {
	// Secret is the shared secret of HMAC-signed tokens (HS256). It must be
	// at least 32 bytes (RFC 7518 §3.2). Default none: HMAC tokens are
	// refused.
	Secret []byte
	// JWKSURL is where the issuer publishes its public keys (RS256, ES256,
	// EdDSA...). Keys are fetched when first needed and cached; see
	// KeyCacheTTL and UnknownKeyCooldown. Default "".
	JWKSURL string
	// Discover finds the JWKS URL from Issuer's discovery document (OpenID
	// Connect, else RFC 8414) through Discovery, instead of JWKSURL.
	// Default false.
	Discover bool
	// Discovery is the discovery cache Discover uses. Default: a cache of
	// its own using HTTPClient when that is set, else one cache shared by
	// the verifiers of the process.
	Discovery *DiscoveryCache

	// Issuer, when set, is required in the "iss" claim. In a Chain, a token
	// from another issuer is ErrUnrecognized rather than invalid, so that
	// verifiers for several issuers can be chained. Default "": any issuer.
	Issuer string
	// Audiences, when set, requires the "aud" claim to contain one of them.
	// An MCP server should set it to its own resource URL (RFC 8707), so
	// that tokens issued for other services are refused. Default: any
	// audience.
	Audiences []string
	// Algorithms are the signature algorithms accepted. Default: HS256 with
	// a Secret, and RS256, ES256 and EdDSA with a key set. Supported: HS256,
	// HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA. "none" is never accepted; an HMAC algorithm needs Secret
	// and is only ever checked against it, an asymmetric one needs a key set
	// and is only checked against keys of its type.
	Algorithms []string
	// ClockSkew is the leeway allowed when checking exp, nbf and iat.
	// Default 30 seconds; negative means none.
	ClockSkew time.Duration
	// AllowMissingExpiry accepts tokens without an "exp" claim. Default
	// false: such tokens, which never expire, are refused.
	AllowMissingExpiry bool
	// RequiredScopes, when set, must all be granted to the token; a valid
	// token lacking one is refused with 403 insufficient_scope. Default
	// none.
	RequiredScopes []string

	// RolesClaim names the claim holding roles: a string (space-separated)
	// or an array of strings. A dotted name ("realm_access.roles") walks into
	// nested objects when no top-level claim has the name. Default "roles".
	RolesClaim string
	// ClaimsMapper, when set, is called with the verified claims and the
	// User built from them, to adjust it. An error refuses the token: a
	// *fastmcp.HTTPError is the answer as is, any other error becomes 401
	// invalid_token. Default none.
	ClaimsMapper ClaimsMapper

	// HTTPClient fetches key sets and discovery documents. Default
	// http.DefaultClient.
	HTTPClient *http.Client
	// FetchTimeout bounds each key set fetch. Default 10 seconds.
	FetchTimeout time.Duration
	// KeyCacheTTL is how long fetched keys are used before the key set is
	// fetched again. If that fetch fails, the old keys stay in use. Default
	// 1 hour.
	KeyCacheTTL time.Duration
	// UnknownKeyCooldown limits refetches caused by tokens naming an unknown
	// "kid" (a key rotated in): at most one per cool-down, however many such
	// tokens arrive. Default 30 seconds; negative disables the limit
	// (concurrent refetches are still collapsed into one).
	UnknownKeyCooldown time.Duration
}

// ClaimsMapper adjusts the User built from verified claims (or an
// introspection response); see JWTOptions.ClaimsMapper.
type ClaimsMapper func(claims map[string]any, u *User) error

// JWT authenticates requests by a JWT in an "Authorization: Bearer" header,
// verifying its signature, exp, nbf, iat, iss and aud (see JWTOptions), and
// refusing a token whose "crit" header names extensions (it understands none). It
// is safe for concurrent use.
type JWT struct {
	secret     []byte
	keys       *keyCache
	algs       []string
	issuer     string
	parser     *jwt.Parser
	required   []string
	rolesClaim string
	mapper     ClaimsMapper
}

var (
	hmacAlgs       = []string{"HS256", "HS384", "HS512"}
	asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

const jwtExpected = "a bearer token (JWT)"

// NewJWT returns a JWT verifier. It does no network I/O: keys and discovery
// documents are fetched when the first token needs them.
func NewJWT(opts JWTOptions) (*JWT, error) {
	j := &JWT{
		issuer:     opts.Issuer,
		required:   slices.Clone(opts.RequiredScopes),
		rolesClaim: orDefault(opts.RolesClaim, "roles"),
		mapper:     opts.ClaimsMapper,
	}
	if opts.Secret != nil {
		if len(opts.Secret) < 32 {
			return nil, errors.New("auth: JWT secret shorter than 32 bytes")
		}
		j.secret = slices.Clone(opts.Secret)
	}
	var keyURL func(ctx context.Context) (string, error)
	switch {
	case opts.JWKSURL != "" && opts.Discover:
		return nil, errors.New("auth: JWTOptions: JWKSURL and Discover are exclusive")
	case opts.JWKSURL != "":
		keyURL = func(context.Context) (string, error) { return opts.JWKSURL, nil }
	case opts.Discover:
		if opts.Issuer == "" {
			return nil, errors.New("auth: JWTOptions: Discover needs Issuer")
		}
		dc := opts.Discovery
		switch {
		case dc != nil:
		case opts.HTTPClient != nil:
			dc = NewDiscoveryCache(DiscoveryOptions{HTTPClient: opts.HTTPClient})
		default:
			dc = defaultDiscovery()
		}
		keyURL = func(ctx context.Context) (string, error) {
			m, err := dc.Discover(ctx, opts.Issuer)
			if err != nil {
				return "", err
			}
			if m.JWKSURI == "" {
				return "", fmt.Errorf("auth: discovery document of %s has no jwks_uri", opts.Issuer)
			}
			return m.JWKSURI, nil
		}
	}
	if keyURL != nil {
		cooldown := orDefault(opts.UnknownKeyCooldown, 30*time.Second)
		j.keys = &keyCache{
			url:      keyURL,
			client:   opts.HTTPClient,
			timeout:  orDefault(opts.FetchTimeout, defaultFetchTimeout),
			ttl:      orDefault(opts.KeyCacheTTL, time.Hour),
			cooldown: cooldown,
		}
	}
	if j.secret == nil && j.keys == nil {
		return nil, errors.New("auth: JWTOptions: no key source (Secret, JWKSURL or Discover)")
	}

	j.algs = slices.Clone(opts.Algorithms)
	if len(j.algs) == 0 {
		if j.secret != nil {
			j.algs = append(j.algs, "HS256")
		}
		if j.keys != nil {
			j.algs = append(j.algs, "RS256", "ES256", "EdDSA")
		}
	}
	for _, a := range j.algs {
		switch {
		case slices.Contains(hmacAlgs, a):
			if j.secret == nil {
				return nil, fmt.Errorf("auth: JWTOptions: algorithm %s needs Secret", a)
			}
		case slices.Contains(asymmetricAlgs, a):
			if j.keys == nil {
				return nil, fmt.Errorf("auth: JWTOptions: algorithm %s needs JWKSURL or Discover", a)
			}
		default:
			return nil, fmt.Errorf("auth: JWTOptions: unsupported algorithm %q", a)
		}
	}

	popts := []jwt.ParserOption{jwt.WithValidMethods(j.algs), jwt.WithIssuedAt()}
	if skew := orDefault(opts.ClockSkew, 30*time.Second); skew > 0 {
		popts = append(popts, jwt.WithLeeway(skew))
	}
	if !opts.AllowMissingExpiry {
		popts = append(popts, jwt.WithExpirationRequired())
	}
	if opts.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(opts.Issuer))
	}
	if len(opts.Audiences) > 0 {
		popts = append(popts, jwt.WithAudience(opts.Audiences...))
	}
	j.parser = jwt.NewParser(popts...)
	return j, nil
}

// Authenticate implements fastmcp.Authenticator. It returns a *User mapped
// from the claims (see User), with Token set to the JWT.
func (j *JWT) Authenticate(r *http.Request) (any, error) {
	tok, err := bearerCredential(r, jwtExpected)
	if err != nil {
		return nil, err
	}
	if !looksLikeJWS(tok) {
		return nil, errUnrecognized(jwtExpected, "bearer token is not a JWT")
	}
	u, err := j.Verify(r.Context(), tok)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return u, nil
}

// credentials implements credentialReader.
func (j *JWT) credentials(r *http.Request, to []credential) []credential {
	return bearerCredentials(r, to)
}

// Verify verifies a JWT and returns its User, or an error as Authenticate
// does.
func (j *JWT) Verify(ctx context.Context, token string) (*User, error) {
	if j.issuer != "" {
		// Route tokens of other issuers to other verifiers of a Chain before
		// any key lookup. The claim is read unverified: it only decides who
		// verifies the token.
		if iss, ok := unverifiedIssuer(token); ok && iss != j.issuer {
			return nil, errUnrecognized(jwtExpected, "token issuer not accepted")
		}
	}
	claims := jwt.MapClaims{}
	t, err := j.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) { return j.key(ctx, t) })
	if err != nil {
		return nil, j.failure(t, err)
	}
	u := userFromClaims(claims, j.rolesClaim)
	u.Token = token
	if err := finishUser(claims, u, j.required, j.mapper); err != nil {
		return nil, err
	}
	return u, nil
}

// unverifiedIssuer reads the "iss" claim of a token without verifying it.
func unverifiedIssuer(token string) (string, bool) {
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return "", false
	}
	var c struct {
		Iss any `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return "", false
	}
	iss, ok := c.Iss.(string)
	return iss, ok
}

// key chooses the verification key of a token: the secret for HMAC
// algorithms, keys of the matching type from the key set otherwise.
func (j *JWT) key(ctx context.Context, t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 §4.1.11: a recipient must refuse a token whose "crit"
		// names an extension it does not understand, and this verifier
		// understands none (an empty or malformed "crit" is invalid too).
		return nil, errCritical
	}
	alg := t.Method.Alg()
	if slices.Contains(hmacAlgs, alg) {
		if j.secret == nil {
			return nil, errAlgorithm
		}
		return j.secret, nil
	}
	if j.keys == nil || !slices.Contains(asymmetricAlgs, alg) {
		return nil, errAlgorithm
	}
	kid, _ := t.Header["kid"].(string)
	keys, err := j.keys.lookup(ctx, kid, alg)
	if err != nil {
		if err != errUnknownKey && err != errKeyMismatch {
			err = &fetchError{err}
		}
		return nil, err
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, crypto.PublicKey(k))
	}
	return set, nil
}

var (
	errAlgorithm = errors.New("signing algorithm not accepted")
	errCritical  = errors.New("token header lists critical extensions (crit) this server does not understand")
)

// fetchError marks a failure to get the key set.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// failure turns a parse error into the answer.
func (j *JWT) failure(t *jwt.Token, err error) error {
	var fe *fetchError
	switch {
	case errors.Is(err, errCritical):
		return errInvalid(errCritical.Error(), err)
	case errors.Is(err, errUnknownKey):
		return errInvalid("token signed by an unknown key", err)
	case errors.Is(err, errKeyMismatch), errors.Is(err, errAlgorithm):
		return errInvalid("signing algorithm not accepted", err)
	case errors.As(err, &fe):
		return errUnavailable("the token's signing keys cannot be fetched", fe.err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errInvalid("malformed token", err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return errInvalid("signing algorithm not accepted", err) // unknown "alg"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if t != nil && t.Method != nil && !slices.Contains(j.algs, t.Method.Alg()) {
			return errInvalid("signing algorithm not accepted", err)
		}
		return errInvalid("invalid token signature", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return errInvalid("token expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errInvalid("token not valid yet", err)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errInvalid("token issued in the future", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return errInvalid("token issuer not accepted", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return errInvalid("token audience not accepted", err)
	case errors.Is(err, jwt.ErrInvalidType):
		return errInvalid("token has a malformed claim", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errInvalid("token lacks a required claim (exp, iss or aud)", err)
	}
	return errInvalid("invalid token", err)
}

// looksLikeJWS reports whether s has the form of a compact JWS: three
// base64url segments separated by dots.
func looksLikeJWS(s string) bool {
	if strings.Count(s, ".") != 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '=') {
			return false
		}
	}
	return s[0] != '.'
}
