package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// PerUser gives every downstream principal upstream sessions of its own, for
// upstreams that act on behalf of the caller (its token, its account). The
// lists the proxy mirrors still come from one session opened with
// Upstream's own credentials.
type PerUser struct {
	// Identify returns the credentials of the caller of a request: the key
	// its upstream sessions are pooled by, and the headers (HTTP upstream) or
	// environment (stdio upstream, one process per principal) they are
	// opened with. A returned error fails the request. Required; see
	// ForwardBearer.
	Identify func(ctx *fastmcp.Context) (Credentials, error)
	// MaxUsers caps the principals with upstream sessions. When it is
	// reached, the least recently active principal with no call in flight
	// loses its sessions; when every one has a call in flight, the request
	// fails. Default DefaultMaxUsers (1000).
	MaxUsers int
	// MaxSessions caps the upstream sessions of one principal. Default
	// DefaultMaxUserSessions (2).
	MaxSessions int
}

// Credentials are what a principal's upstream sessions are opened with.
type Credentials struct {
	// Key identifies the principal; calls with the same Key share upstream
	// sessions. It must not be empty.
	Key string
	// Header is set on the HTTP requests of the principal's sessions, over
	// Upstream.Header. When a later request of the principal brings new
	// headers (a refreshed token), they replace these on the sessions' next
	// requests.
	Header http.Header
	// Env is added to the environment of the principal's processes (stdio
	// upstream).
	Env []string
}

// ErrNoCredentials is returned by ForwardBearer for a request that carries
// no bearer token to forward.
var ErrNoCredentials = errors.New("proxy: the request carries no bearer token to forward to the upstream")

// ForwardBearer is a PerUser.Identify that forwards the caller's bearer
// token: the principal is the subject of the request's auth data, an
// *auth.User (as every authenticator of package auth returns, and
// PassBearer), and its upstream requests carry "Authorization: Bearer" with
// the token the caller presented.
func ForwardBearer(ctx *fastmcp.Context) (Credentials, error) {
	u, ok := fastmcp.AuthFrom[*auth.User](ctx)
	if !ok || u == nil || u.Token == "" {
		return Credentials{}, ErrNoCredentials
	}
	return Credentials{
		Key:    u.Subject,
		Header: http.Header{"Authorization": {"Bearer " + u.Token}},
	}, nil
}

// PassBearer returns an authenticator for a proxy whose upstream checks the
// tokens itself: it accepts any request carrying a bearer token, without
// verifying it, and returns an *auth.User whose Token is the token and whose
// Subject is derived from it (a hash), for ForwardBearer. A request without
// one is refused with 401. Since the subject is the token's, a client whose
// token changes must start a new session. Prefer a verifying authenticator
// from package auth when the proxy can check the tokens.
func PassBearer() fastmcp.Authenticator {
	return passBearer{}
}

type passBearer struct{}

func (passBearer) Authenticate(r *http.Request) (any, error) {
	if r == nil {
		return nil, &fastmcp.HTTPError{Message: "a bearer token is required", Err: ErrNoCredentials}
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, &fastmcp.HTTPError{Message: "a bearer token is required", Err: ErrNoCredentials}
	}
	sum := sha256.Sum256([]byte(token))
	return &auth.User{Subject: "bearer:" + hex.EncodeToString(sum[:12]), Token: token}, nil
}
