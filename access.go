package fastmcp

import (
	"fmt"
	"reflect"
	"slices"
)

// Authorization: access checks on tools, resources, resource templates and
// prompts.
//
// An item with a CanAccess check is visible only to callers the check accepts:
// it is left out of the lists, and calling, reading or getting it directly
// fails exactly as for an item that does not exist (a hidden tool is an
// "Unknown tool"), so its existence does not leak. When a session's auth data
// changes (Session.UpdateAuth, a refreshed credential), the checks are run
// again and the client is told which lists changed.

// AccessCheck decides whether the caller of a request may see and use an item.
// It reads the caller from ctx: ctx.Auth(), ctx.Session(), ctx.ClientInfo().
// It must be fast and free of side effects: lists run it once per item.
type AccessCheck func(ctx *Context) bool

// Identity is implemented by auth data that names its principal. Over HTTP,
// every request of a session must authenticate to the same subject: a request
// presenting another principal's credentials on a session is refused with 403,
// so a stolen session id is useless without the credentials. A request whose
// data has the same subject but differs otherwise (a refreshed token) updates
// the session's auth data.
//
// Auth data that is not an Identity must stay equal (reflect.DeepEqual) across
// the requests of a session.
type Identity interface {
	AuthSubject() string
}

// ScopeHolder is implemented by auth data that carries OAuth scopes; see
// RequireScopes.
type ScopeHolder interface {
	AuthScopes() []string
}

// RoleHolder is implemented by auth data that carries roles; see RequireRole.
type RoleHolder interface {
	AuthRoles() []string
}

// RequireAuth accepts authenticated callers: those with auth data.
func RequireAuth(ctx *Context) bool { return ctx.Auth() != nil }

// RequireScopes accepts callers whose auth data (a ScopeHolder) has every one of
// the scopes.
func RequireScopes(scopes ...string) AccessCheck {
	return func(ctx *Context) bool {
		h, ok := ctx.Auth().(ScopeHolder)
		if !ok {
			return false
		}
		have := h.AuthScopes()
		for _, s := range scopes {
			if !slices.Contains(have, s) {
				return false
			}
		}
		return true
	}
}

// RequireRole accepts callers whose auth data (a RoleHolder) has one of the
// roles.
func RequireRole(roles ...string) AccessCheck {
	return func(ctx *Context) bool {
		h, ok := ctx.Auth().(RoleHolder)
		if !ok {
			return false
		}
		for _, r := range h.AuthRoles() {
			if slices.Contains(roles, r) {
				return true
			}
		}
		return false
	}
}

// RequireAll accepts callers every check accepts.
func RequireAll(checks ...AccessCheck) AccessCheck {
	return func(ctx *Context) bool {
		for _, c := range checks {
			if !c(ctx) {
				return false
			}
		}
		return true
	}
}

// RequireAny accepts callers at least one check accepts.
func RequireAny(checks ...AccessCheck) AccessCheck {
	return func(ctx *Context) bool {
		for _, c := range checks {
			if c(ctx) {
				return true
			}
		}
		return false
	}
}

// allowed runs an item's access check for the request, recovering a panic
// (which denies access).
func (c *Context) allowed(check AccessCheck) (ok bool) {
	if check == nil {
		return true
	}
	defer func() {
		if v := recover(); v != nil {
			c.srv.recoveredIn(c, "access check", v)
			ok = false
		}
	}()
	return check(c)
}

// sameSubject reports whether two auth data values name the same principal.
func sameSubject(a, b any) bool {
	ia, okA := a.(Identity)
	ib, okB := b.(Identity)
	if okA && okB {
		return ia.AuthSubject() == ib.AuthSubject()
	}
	return reflect.DeepEqual(a, b)
}

// errAuthMismatch refuses a request whose credentials belong to another
// principal than the session's.
var errAuthMismatch = &HTTPError{Status: 403, Message: "Forbidden: the credentials do not match the session's"}

// checkAuth compares the auth data of an HTTP request to its session's: data of
// the same subject that differs (a refreshed credential) becomes the session's;
// data of another subject is refused.
func (s *Session) checkAuth(data any) error {
	s.mu.Lock()
	old := s.lastAuth
	switch {
	case reflect.DeepEqual(data, old):
		s.mu.Unlock()
		return nil
	case old != nil && !sameSubject(data, old):
		s.mu.Unlock()
		return errAuthMismatch
	}
	before := s.auth
	s.lastAuth, s.auth = data, data
	s.mu.Unlock()
	s.srv.authChanged(s, before, data)
	return nil
}

// authChanged re-evaluates the access checks of a session whose auth data
// changed, and tells the client which lists changed.
func (s *Server) authChanged(sess *Session, before, after any) {
	if !s.reg.hasAccessChecks() {
		return
	}
	changed := false
	for _, lc := range listChangedMethods {
		if !slices.Equal(s.visible(sess, before, lc.kind), s.visible(sess, after, lc.kind)) {
			changed = true
			sess.notifyIfReady(lc.method, nil)
		}
	}
	if changed {
		// Cached private results (ResponseCache) were computed for the
		// principal's old access.
		s.accessSeq.Add(1)
	}
}

// visible lists the keys of the items of a list that a session with the
// given auth data sees.
func (s *Server) visible(sess *Session, auth any, kind listKinds) []string {
	return s.visibleUnder(sess, auth, kind, s.vis.forSession(sess))
}

// filterVisible returns the entries of a sorted list the request may see (see
// Context.sees). It returns items itself when it hides none.
func filterVisible[E entry](c *Context, items []E) []E {
	sv, ss := c.visRules()
	var out []E
	for i, e := range items {
		if !c.seesUnder(sv, ss, e) {
			if out == nil {
				out = append(make([]E, 0, len(items)), items[:i]...)
			}
			continue
		}
		if out != nil {
			out = append(out, e)
		}
	}
	if out == nil {
		return items
	}
	return out
}

// describeAccess is used in panics about misconfigured checks.
func describeAccess(kind, name string) string { return fmt.Sprintf("%s %q", kind, name) }
