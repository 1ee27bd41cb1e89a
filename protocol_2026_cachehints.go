package fastmcp

import "time"

// CacheScope says who may cache a result of the 2026-07-28 revision:
// CachePublic (anyone, including shared gateways) or CachePrivate (only for
// the same authorization context).
type CacheScope string

// Cache scopes.
const (
	CachePublic  CacheScope = "public"
	CachePrivate CacheScope = "private"
)

// Cache is a caching hint sent with the cacheable results of the 2026-07-28
// revision (server/discover, tools/list, prompts/list, resources/list,
// resources/templates/list and resources/read) as ttlMs and cacheScope.
// Handshake-era clients never see it.
//
// The zero value means: immediately stale (ttlMs 0), scope chosen by FastMCP.
type Cache struct {
	// TTL is how long the client may consider the result fresh. Default 0:
	// it should re-fetch whenever it needs the result (list_changed
	// notifications on subscriptions/listen still tell it when to).
	// Negative is treated as 0.
	TTL time.Duration
	// Scope is CachePublic or CachePrivate. Default "": FastMCP decides,
	// private when the result depends on who asks, public otherwise. A
	// list depends on who asks when any item of its kind has a CanAccess
	// check; a resource read when the server has an authenticator or the
	// resource a CanAccess check.
	Scope CacheScope
}

// ttlMs returns the TTL in whole milliseconds, never negative.
func (c Cache) ttlMs() int64 {
	if c.TTL <= 0 {
		return 0
	}
	return c.TTL.Milliseconds()
}

// cacheHint is the caching hint computed for one result.
type cacheHint struct {
	ttl   int64
	scope CacheScope
	set   bool
}

// listCache sets the hint of a list page: the shortest TTL among the page's
// items (each item's own Cache, else the server's), and a scope that is the
// same for every page of the list: private when the server or any item of
// the list says so, or when the list depends on auth (an item of the list
// without a scope of its own has an access check), else public.
func listCache[E any](s *Server, r *request, all, page []E, cacheOf func(E) (*Cache, AccessCheck)) {
	if r.proto != era2026 {
		return
	}
	def := s.opts.Cache
	hint := cacheHint{ttl: def.ttlMs(), scope: def.Scope, set: true}
	for i, e := range page {
		c, _ := cacheOf(e)
		if c == nil {
			c = &def
		}
		if t := c.ttlMs(); i == 0 || t < hint.ttl {
			hint.ttl = t
		}
	}
	if hint.scope != CachePrivate {
		auto := hint.scope == ""
		hint.scope = CachePublic
		for _, e := range all {
			c, check := cacheOf(e)
			if (c != nil && c.Scope == CachePrivate) || ((c == nil || c.Scope == "") && auto && check != nil) {
				hint.scope = CachePrivate
				break
			}
		}
	}
	r.cache = hint
}

// readCache computes the hint of a resources/read result from the
// resource's (or template's) own Cache, else the server's.
func (s *Server) readCache(r *request, own *Cache, checked bool) {
	if r.proto != era2026 {
		return
	}
	c := s.opts.Cache
	if own != nil {
		c = *own
	}
	scope := c.Scope
	if scope == "" {
		scope = CachePublic
		if checked || s.opts.Authenticate != nil {
			scope = CachePrivate
		}
	}
	r.cache = cacheHint{ttl: c.ttlMs(), scope: scope, set: true}
}
