package auth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fastmcp-go/fastmcp"
)

// Chain returns an authenticator trying verifiers in order; the first that
// accepts the request wins. A verifier failing with ErrNoCredentials (the
// request has no credentials of its kind) lets the next one try; any other
// failure (credentials presented but invalid, a verifier unavailable) is the
// answer at once, so a bad token is never passed along until something
// accepts it.
//
// A request presenting two different credentials in the places the
// verifiers of this package read (an API key header and an Authorization
// bearer token, say) is refused with 401 invalid_request before any verifier
// runs: which one should count would be a guess, made by the order of the
// chain.
//
// When no verifier accepts, the 401 names what each expected. It is a bare
// "Bearer" challenge if the request had no credentials at all, and
// invalid_token if it had some that no verifier recognized. Chain panics on
// a nil verifier.
func Chain(verifiers ...fastmcp.Authenticator) fastmcp.Authenticator {
	for i, v := range verifiers {
		if v == nil {
			panic(fmt.Sprintf("auth: Chain: verifier %d is nil", i))
		}
	}
	return &chain{verifiers: slices.Clone(verifiers)}
}

type chain struct {
	verifiers []fastmcp.Authenticator
}

// credentials implements credentialReader, for chains of chains.
func (c *chain) credentials(r *http.Request, to []credential) []credential {
	for _, v := range c.verifiers {
		if cr, ok := v.(credentialReader); ok {
			to = cr.credentials(r, to)
		}
	}
	return to
}

func (c *chain) Authenticate(r *http.Request) (any, error) {
	if r != nil {
		if err := checkAmbiguous(c.credentials(r, nil)); err != nil {
			return nil, err
		}
	}
	var expected []string
	unrecognized := false
	for _, v := range c.verifiers {
		data, err := v.Authenticate(r)
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, ErrNoCredentials) {
			return nil, err
		}
		unrecognized = unrecognized || errors.Is(err, ErrUnrecognized)
		var ae *authError
		switch {
		case errors.As(err, &ae) && ae.expected != "":
			expected = appendNew(expected, ae.expected)
		default:
			expected = appendNew(expected, err.Error())
		}
	}
	want := "credentials"
	if len(expected) > 0 {
		want = strings.Join(expected, ", or ")
	}
	if unrecognized {
		return nil, errUnrecognized(want, "credentials not recognized: expected "+want)
	}
	return nil, errNoCredentials(want)
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// Guest returns an authenticator granting a guest identity to requests
// without credentials: those for which inner fails with ErrNoCredentials
// (and not ErrUnrecognized). Requests with credentials are inner's to judge:
// invalid ones still fail, never downgraded to guests. A nil inner makes
// every request a guest.
//
// Each request gets a copy of guest; nil means &User{Subject: "guest",
// Name: "Guest"} without scopes or roles. Give the guest few scopes and
// protect the rest with fastmcp.RequireScopes or RequireRole. All guests
// share one subject, so a guest session cannot later be continued with a
// user's credentials (the server refuses a change of subject): clients
// reconnect after signing in.
func Guest(inner fastmcp.Authenticator, guest *User) fastmcp.Authenticator {
	if guest == nil {
		guest = &User{Subject: "guest", Name: "Guest"}
	}
	return &guestAuth{inner: inner, guest: guest.Clone()}
}

type guestAuth struct {
	inner fastmcp.Authenticator
	guest *User
}

// credentials implements credentialReader: the inner verifier's.
func (g *guestAuth) credentials(r *http.Request, to []credential) []credential {
	if cr, ok := g.inner.(credentialReader); ok {
		return cr.credentials(r, to)
	}
	return to
}

func (g *guestAuth) Authenticate(r *http.Request) (any, error) {
	if g.inner == nil {
		return g.guest.Clone(), nil
	}
	data, err := g.inner.Authenticate(r)
	if err != nil && errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrUnrecognized) {
		return g.guest.Clone(), nil
	}
	return data, err
}
