package fastmcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// Authenticator checks the credentials of a client. Set one as
// Options.Authenticate.
//
// Over HTTP, Authenticate runs on every request to the MCP endpoint, the legacy
// SSE endpoints and the custom routes that are not public, with the request;
// a failure answers the request with an error status (see HTTPError) and no
// MCP processing happens. Over stdio it runs once, with a nil request, when the
// client initializes; a failure refuses the initialize request.
//
// The data it returns (any type the application defines) is the session's auth
// data: handlers read it typed with AuthFrom. A later request whose credentials
// yield different data (a refreshed token) replaces it; Session.UpdateAuth
// replaces it from the server side.
type Authenticator interface {
	Authenticate(r *http.Request) (any, error)
}

// AuthFunc adapts a function returning the application's own auth type to an
// Authenticator:
//
//	Authenticate: fastmcp.AuthFunc[User](func(r *http.Request) (User, error) { ... })
type AuthFunc[T any] func(r *http.Request) (T, error)

// Authenticate implements Authenticator.
func (f AuthFunc[T]) Authenticate(r *http.Request) (any, error) {
	v, err := f(r)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// HTTPError is an error with an HTTP status and headers. Returned by an
// Authenticator, it chooses the answer: its status (401 when zero), its
// headers, and a JSON-RPC error body with its message. Without Header, a 401
// carries WWW-Authenticate: Bearer with the message as error_description.
type HTTPError struct {
	// Status is the HTTP status of the answer; 0 means 401 Unauthorized.
	Status int
	// Header holds headers added to the answer, such as a WWW-Authenticate
	// challenge of your own.
	Header http.Header
	// Message is the error message in the answer's body. Empty, the message of
	// Err is used, else the status text.
	Message string
	// Err is the underlying cause, for errors.Is and errors.As.
	Err error
}

// Error returns Message, else the message of Err, else the status text.
func (e *HTTPError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return http.StatusText(e.status())
}

// Unwrap returns Err.
func (e *HTTPError) Unwrap() error { return e.Err }

func (e *HTTPError) status() int {
	if e.Status == 0 {
		return http.StatusUnauthorized
	}
	return e.Status
}

// ErrUnauthenticated is returned by AuthSession when a request carries no auth
// data, and wrapped by authentication failures.
var ErrUnauthenticated = errors.New("fastmcp: unauthenticated")

// AuthFrom returns the auth data of the request ctx belongs to, as type T. ok
// is false when there is none (no authenticator, or a stdio server whose
// authenticator returned nothing) or it is not a T.
func AuthFrom[T any](ctx context.Context) (v T, ok bool) {
	c := ContextFrom(ctx)
	if c == nil {
		return v, false
	}
	v, ok = c.Auth().(T)
	return v, ok
}

// AuthSession is AuthFrom for handlers that need the data: it returns an error
// wrapping ErrUnauthenticated when there is none, saying what was expected.
// Returned from a tool, the error is a tool result with isError.
func AuthSession[T any](ctx context.Context) (T, error) {
	v, ok := AuthFrom[T](ctx)
	if !ok {
		var zero T
		return zero, &UserError{Message: fmt.Sprintf("%v: this operation needs an authenticated %s", ErrUnauthenticated, reflect.TypeFor[T]())}
	}
	return v, nil
}

// Auth returns the auth data of the request: the session's (see Authenticator),
// or for a request served statelessly, what the authenticator returned for it.
// It is nil without an authenticator.
func (c *Context) Auth() any {
	if c.req.hasAuth || c.sess == nil {
		return c.req.auth
	}
	return c.sess.Auth()
}

// authKey memoizes the result of authentication on an HTTP request.
type authKey struct{}

type authResult struct {
	data any
	err  error
}

// authenticate runs the server's authenticator once per HTTP request. It
// returns the request with the result memoized in its context.
func (s *Server) authenticate(r *http.Request) (*http.Request, any, error) {
	a := s.opts.Authenticate
	if a == nil {
		return r, nil, nil
	}
	if res, ok := r.Context().Value(authKey{}).(*authResult); ok {
		return r, res.data, res.err
	}
	data, err := safeAuthenticate(s, a, r)
	r = r.WithContext(context.WithValue(r.Context(), authKey{}, &authResult{data, err}))
	return r, data, err
}

// errAuthPanicked marks the error of an authenticator that panicked.
var errAuthPanicked = errors.New("fastmcp: the authenticator panicked")

// safeAuthenticate calls the authenticator. A panic is a bug in the server,
// not bad credentials: it is logged with its stack and answered 500, its
// value kept from the client.
func safeAuthenticate(s *Server, a Authenticator, r *http.Request) (data any, err error) {
	defer func() {
		if v := recover(); v != nil {
			data, err = nil, &HTTPError{
				Status:  http.StatusInternalServerError,
				Message: "Internal error: authentication could not complete",
				Err:     fmt.Errorf("%w: %w", errAuthPanicked, s.recovered("authenticate", v)),
			}
		}
	}()
	return a.Authenticate(r)
}

// writeAuthError answers a request whose authentication failed. With OAuth
// discovery on, metadataURL names the protected resource metadata in the
// challenge.
func (s *Server) writeAuthError(w http.ResponseWriter, err error, metadataURL string) {
	status := http.StatusUnauthorized
	msg := "Unauthorized"
	var he *HTTPError
	if errors.As(err, &he) {
		status = he.status()
		msg = he.Error() // its message, its cause's, or the status text
		if status >= 500 && !errors.Is(err, errAuthPanicked) {
			// The credentials could not be checked (a JWKS or
			// introspection endpoint down): the operator must know. (A
			// panic was logged where it was recovered.)
			s.logger.Warn("fastmcp: authentication could not complete", "status", status, "error", err)
		}
		for k, vs := range he.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	} else if err != nil {
		s.logger.Info("fastmcp: authentication failed", "error", err)
		if ue := (*UserError)(nil); errors.As(err, &ue) {
			msg = ue.Message
		}
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", bearerChallenge("invalid_token", msg))
	}
	if metadataURL != "" {
		if ch := w.Header().Values("WWW-Authenticate"); len(ch) > 0 {
			for i := range ch {
				ch[i] = withResourceMetadata(ch[i], metadataURL)
			}
		}
	}
	writeJSONError(w, status, nil, CodeInvalidRequest, msg)
}

// metadataURL returns the protected resource metadata URL for challenges of r,
// or "" without OAuth discovery.
func (h *HTTPHandler) metadataURL(r *http.Request) string {
	if h.srv.opts.OAuth == nil {
		return ""
	}
	return h.resourceMetadataURL(r)
}

// bearerChallenge formats a WWW-Authenticate Bearer challenge (RFC 6750).
func bearerChallenge(code, description string) string {
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	return "Bearer error=" + q(code) + ", error_description=" + q(description)
}
