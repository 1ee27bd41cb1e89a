package fastmcp

import (
	"context"
	"net/http"
	"sync"
)

// RouteOptions configure a custom HTTP route.
type RouteOptions struct {
	// Public exempts the route from authentication once the server has an
	// authenticator. Default false: routes are authenticated like the MCP
	// endpoint.
	Public bool
	// RateLimit limits the requests to the route, server-wide, on a bucket
	// of its own (over the limit: 429 with Retry-After), with the limiter of
	// Options.RateLimits (in memory when unset). Default: no limit. Public
	// routes that do work for anonymous callers, such as OAuth client
	// registration, should set one.
	RateLimit Rate
}

// routes are the server's custom HTTP routes, served by every HTTP handler of
// the server.
type routes struct {
	mu  sync.RWMutex
	mux *http.ServeMux
	n   int
}

// routeHandler wraps a route with what applies to it: authentication, unless
// the route is public or the server has no authenticator.
func (s *Server) routeHandler(pattern string, handler http.Handler, opts RouteOptions) http.Handler {
	if opts.RateLimit.enabled() {
		handler = s.rateLimited("route "+pattern, opts.RateLimit, handler)
	}
	if opts.Public {
		return handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Authenticate != nil {
			var err error
			r, _, err = s.authenticate(r)
			if err != nil {
				metadataURL := ""
				if h, ok := r.Context().Value(handlerKey{}).(*HTTPHandler); ok {
					metadataURL = h.metadataURL(r)
				}
				s.writeAuthError(w, err, metadataURL)
				return
			}
		}
		handler.ServeHTTP(w, r)
	})
}

// AuthFromRequest returns the auth data the server's authenticator returned for
// r, as type T, in a custom route handler (see Server.Route). ok is false for
// a public route, a server without authenticator, or data of another type.
func AuthFromRequest[T any](r *http.Request) (v T, ok bool) {
	v, ok = requestAuth(r).(T)
	return v, ok
}

// mountRoutes makes h serve the server's custom routes: every path the
// handler does not serve itself falls through to them.
func (s *Server) mountRoutes(h *HTTPHandler) {
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.routes.mu.RLock()
		mux := s.routes.mux
		s.routes.mu.RUnlock()
		if mux == nil {
			http.NotFound(w, r)
			return
		}
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), handlerKey{}, h)))
	})
}

// handlerKey carries the serving HTTPHandler to custom routes.
type handlerKey struct{}
