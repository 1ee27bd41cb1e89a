package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/fastmcp-go/fastmcp"
)

// Every failure of a verifier in this package is a *fastmcp.HTTPError whose
// Err is one of these kinds (test with errors.Is), so the server answers with
// the right status and WWW-Authenticate challenge. Messages describe the
// failure without echoing key material or token contents.
var (
	// ErrNoCredentials: the request carries no credentials of the verifier's
	// kind. A Chain lets the next verifier try; Guest grants the guest
	// identity. Alone, it is a 401 with the challenge "Bearer" and no error
	// code (RFC 6750 §3.1).
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrUnrecognized: credentials were presented in a place several
	// verifiers share (an Authorization header) but not in a form this
	// verifier handles, such as an opaque token given to JWT. It matches
	// ErrNoCredentials too, so a Chain tries the next verifier; but Guest does
	// not downgrade such a request to a guest. Alone, it is a 401
	// invalid_token.
	ErrUnrecognized = errors.New("auth: credentials not recognized")
	// ErrInvalidCredentials: the credentials are the verifier's kind and are
	// wrong: unknown key, bad signature, expired, wrong issuer or audience,
	// inactive token. A 401 invalid_token; a Chain stops at it.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	// ErrInsufficientScope: valid credentials lacking a scope the verifier
	// requires (JWTOptions.RequiredScopes). A 403 insufficient_scope.
	ErrInsufficientScope = errors.New("auth: insufficient scope")
	// ErrUnavailable: the credentials could not be checked because a service
	// the verifier depends on (JWKS, discovery or introspection endpoint)
	// failed or timed out. A 503: the credentials may well be valid, and a 401
	// would make clients throw their tokens away.
	ErrUnavailable = errors.New("auth: verifier unavailable")
)

// authError is the Err of the HTTPErrors this package returns.
type authError struct {
	kind     error  // one of the sentinels above
	desc     string // what went wrong, safe to show
	expected string // for ErrNoCredentials and ErrUnrecognized: what the verifier accepts
	cause    error  // underlying error, for logs and errors.Is
}

func (e *authError) Error() string {
	s := e.kind.Error() + ": " + e.desc
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *authError) Unwrap() error { return e.cause }

// Is matches the error's kind; ErrUnrecognized also matches ErrNoCredentials,
// and authentication failures match fastmcp.ErrUnauthenticated.
func (e *authError) Is(target error) bool {
	switch target {
	case e.kind:
		return true
	case ErrNoCredentials:
		return e.kind == ErrUnrecognized
	case fastmcp.ErrUnauthenticated:
		return e.kind == ErrNoCredentials || e.kind == ErrUnrecognized || e.kind == ErrInvalidCredentials
	}
	return false
}

// errNoCredentials answers a request without credentials: 401 with a bare
// Bearer challenge. expected says what would have been accepted.
func errNoCredentials(expected string) *fastmcp.HTTPError {
	return &fastmcp.HTTPError{
		Status:  http.StatusUnauthorized,
		Header:  http.Header{"Www-Authenticate": {"Bearer"}},
		Message: "authentication required: expected " + expected,
		Err:     &authError{kind: ErrNoCredentials, desc: "no credentials", expected: expected},
	}
}

// errUnrecognized answers credentials this verifier does not handle.
func errUnrecognized(expected, desc string) *fastmcp.HTTPError {
	return &fastmcp.HTTPError{
		Status:  http.StatusUnauthorized,
		Header:  http.Header{"Www-Authenticate": {bearerChallenge("invalid_token", desc)}},
		Message: desc,
		Err:     &authError{kind: ErrUnrecognized, desc: desc, expected: expected},
	}
}

// errInvalid answers wrong credentials: 401 invalid_token.
func errInvalid(desc string, cause error) *fastmcp.HTTPError {
	return &fastmcp.HTTPError{
		Status:  http.StatusUnauthorized,
		Header:  http.Header{"Www-Authenticate": {bearerChallenge("invalid_token", desc)}},
		Message: desc,
		Err:     &authError{kind: ErrInvalidCredentials, desc: desc, cause: cause},
	}
}

// errAmbiguous answers a request presenting two different credentials, in
// the places a and b: 401 invalid_request. Which one should count would be a
// guess, one a client (or whoever added a header on its way) could steer.
func errAmbiguous(a, b string) *fastmcp.HTTPError {
	desc := "the request presents two different credentials (" + a + " and " + b + "): send only one"
	return &fastmcp.HTTPError{
		Status:  http.StatusUnauthorized,
		Header:  http.Header{"Www-Authenticate": {bearerChallenge("invalid_request", desc)}},
		Message: desc,
		Err:     &authError{kind: ErrInvalidCredentials, desc: desc},
	}
}

// credential is a credential a request presents, and where.
type credential struct {
	where, value string
}

// credentialReader is implemented by the verifiers of this package: it
// appends the credentials r presents in the places the verifier reads, so
// that Chain and APIKeys can refuse a request presenting two different ones.
type credentialReader interface {
	credentials(r *http.Request, to []credential) []credential
}

// bearerCredentials appends the bearer tokens of r's Authorization headers.
func bearerCredentials(r *http.Request, to []credential) []credential {
	for _, h := range r.Header.Values("Authorization") {
		scheme, rest, _ := strings.Cut(h, " ")
		if tok := strings.TrimSpace(rest); strings.EqualFold(scheme, "Bearer") && tok != "" {
			to = append(to, credential{"Authorization: Bearer", tok})
		}
	}
	return to
}

// checkAmbiguous refuses creds holding two different values.
func checkAmbiguous(creds []credential) error {
	for _, c := range creds {
		if c.value != creds[0].value {
			a, b := creds[0].where, c.where
			switch {
			case a == b:
				b = "another " + b
			case b < a:
				a, b = b, a // the same words whatever the order of a Chain
			}
			return errAmbiguous(a, b)
		}
	}
	return nil
}

// errInsufficientScope answers valid credentials lacking scopes: 403.
func errInsufficientScope(scopes []string) *fastmcp.HTTPError {
	desc := "the token lacks a required scope"
	return &fastmcp.HTTPError{
		Status: http.StatusForbidden,
		Header: http.Header{"Www-Authenticate": {bearerChallenge("insufficient_scope", desc,
			"scope", strings.Join(scopes, " "))}},
		Message: desc + " (needs " + strings.Join(scopes, " ") + ")",
		Err:     &authError{kind: ErrInsufficientScope, desc: desc},
	}
}

// errUnavailable answers when the credentials cannot be checked: 503.
func errUnavailable(desc string, cause error) *fastmcp.HTTPError {
	return &fastmcp.HTTPError{
		Status:  http.StatusServiceUnavailable,
		Message: desc,
		Err:     &authError{kind: ErrUnavailable, desc: desc, cause: cause},
	}
}

// bearerChallenge formats a WWW-Authenticate Bearer challenge (RFC 6750 §3)
// with an error code, its description and further name/value pairs.
func bearerChallenge(code, desc string, more ...string) string {
	var b strings.Builder
	b.WriteString(`Bearer error="`)
	b.WriteString(code)
	b.WriteString(`", error_description="`)
	b.WriteString(challengeValue(desc))
	b.WriteByte('"')
	for i := 0; i+1 < len(more); i += 2 {
		b.WriteString(", ")
		b.WriteString(more[i])
		b.WriteString(`="`)
		b.WriteString(challengeValue(more[i+1]))
		b.WriteByte('"')
	}
	return b.String()
}

// challengeValue keeps the characters RFC 6750 allows in error_description
// and scope values (printable ASCII except '"' and '\'), replacing others.
func challengeValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}

// bearerToken returns the token of an "Authorization: Bearer" header:
// present reports an Authorization header of any scheme, isBearer one of the
// Bearer scheme.
// bearerCredential returns the bearer token of r for a verifier of expected
// credentials, or the error for a request without one: none at all, another
// scheme, or an empty token.
func bearerCredential(r *http.Request, expected string) (string, error) {
	if r == nil {
		return "", errNoCredentials(expected)
	}
	if len(r.Header.Values("Authorization")) > 1 {
		if err := checkAmbiguous(bearerCredentials(r, nil)); err != nil {
			return "", err
		}
	}
	tok, isBearer, present := bearerToken(r)
	switch {
	case !present:
		return "", errNoCredentials(expected)
	case !isBearer:
		return "", errUnrecognized(expected, "unsupported authorization scheme: expected "+expected)
	case tok == "":
		return "", errInvalid("empty bearer token", nil)
	}
	return tok, nil
}

func bearerToken(r *http.Request) (token string, isBearer, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, true
	}
	return strings.TrimSpace(rest), true, true
}
