package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DiscoveryOptions configure NewDiscoveryCache; the zero value is the
// defaults.
type DiscoveryOptions struct {
	// TTL is how long a fetched document is served from the cache. Default 1
	// hour; negative disables caching (concurrent fetches are still shared).
	TTL time.Duration
	// Timeout bounds each fetch. Default 10 seconds.
	Timeout time.Duration
	// HTTPClient makes the requests. Default http.DefaultClient.
	HTTPClient *http.Client
}

// DiscoveryCache fetches and caches OpenID Connect discovery documents
// (https://issuer/.well-known/openid-configuration) and OAuth authorization
// server metadata (RFC 8414). Concurrent requests for a URL that is not
// cached share one fetch; failures are not cached. It is safe for concurrent
// use; one cache can serve several verifiers.
type DiscoveryCache struct {
	ttl     time.Duration
	timeout time.Duration
	client  *http.Client

	sf      singleflight.Group
	mu      sync.Mutex
	entries map[string]discoveryEntry
}

type discoveryEntry struct {
	doc     map[string]any
	meta    *Metadata
	expires time.Time
}

// NewDiscoveryCache returns an empty cache.
func NewDiscoveryCache(opts DiscoveryOptions) *DiscoveryCache {
	return &DiscoveryCache{
		ttl:     orDefault(opts.TTL, time.Hour),
		timeout: orDefault(opts.Timeout, defaultFetchTimeout),
		client:  opts.HTTPClient,
		entries: map[string]discoveryEntry{},
	}
}

// defaultDiscovery serves verifiers that are given no cache.
var defaultDiscovery = sync.OnceValue(func() *DiscoveryCache { return NewDiscoveryCache(DiscoveryOptions{}) })

// Metadata holds the fields of a discovery document the verifiers use. Raw
// is the whole document.
type Metadata struct {
	// Issuer is "issuer", the authorization server's identifier.
	Issuer string
	// JWKSURI is "jwks_uri", where its signing keys are published.
	JWKSURI string
	// IntrospectionEndpoint is "introspection_endpoint" (RFC 7662).
	IntrospectionEndpoint string
	// TokenEndpoint is "token_endpoint".
	TokenEndpoint string
	// AuthorizationEndpoint is "authorization_endpoint".
	AuthorizationEndpoint string
	// IntrospectionEndpointAuthMethods is
	// "introspection_endpoint_auth_methods_supported".
	IntrospectionEndpointAuthMethods []string
	// Raw is the whole document, shared with other callers: do not modify it.
	Raw map[string]any
}

// Get returns the JSON object at docURL, from the cache when a fetch younger
// than the TTL has it. The map is shared with other callers and must not be
// modified.
func (c *DiscoveryCache) Get(ctx context.Context, docURL string) (map[string]any, error) {
	e, err := c.entry(ctx, docURL)
	if err != nil {
		return nil, err
	}
	return e.doc, nil
}

// Metadata is Get with the document's fields typed.
func (c *DiscoveryCache) Metadata(ctx context.Context, docURL string) (*Metadata, error) {
	e, err := c.entry(ctx, docURL)
	if err != nil {
		return nil, err
	}
	return e.meta, nil
}

// Discover returns the metadata of an issuer: its OpenID Connect discovery
// document, else its RFC 8414 authorization server metadata. The document's
// issuer must equal issuer, as both specifications require (it stops a
// document from vouching for another issuer's keys).
func (c *DiscoveryCache) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	var errs []error
	for _, u := range discoveryURLs(issuer) {
		m, err := c.Metadata(ctx, u)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if m.Issuer != issuer {
			errs = append(errs, fmt.Errorf("auth: discovery document %s names issuer %q, want %q", u, m.Issuer, issuer))
			continue
		}
		return m, nil
	}
	return nil, errors.Join(errs...)
}

// discoveryURLs are where an issuer's metadata may be: the OpenID Connect
// location (the well-known suffix appended to the issuer), and the RFC 8414
// one (inserted between host and path).
func discoveryURLs(issuer string) []string {
	oidc := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return []string{oidc}
	}
	path := strings.TrimSuffix(u.Path, "/")
	u.Path = "/.well-known/oauth-authorization-server" + path
	u.RawPath = ""
	return []string{oidc, u.String()}
}

// Forget drops docURL from the cache, so the next Get fetches it.
func (c *DiscoveryCache) Forget(docURL string) {
	c.mu.Lock()
	delete(c.entries, docURL)
	c.mu.Unlock()
}

func (c *DiscoveryCache) entry(ctx context.Context, docURL string) (discoveryEntry, error) {
	c.mu.Lock()
	e, ok := c.entries[docURL]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e, nil
	}
	return flight(ctx, &c.sf, docURL, c.timeout, func(ctx context.Context) (discoveryEntry, error) {
		c.mu.Lock()
		e, ok := c.entries[docURL]
		c.mu.Unlock()
		if ok && time.Now().Before(e.expires) {
			return e, nil // fetched by a flight that ended since our check
		}
		var doc map[string]any
		if err := getJSON(ctx, c.client, docURL, &doc); err != nil {
			return discoveryEntry{}, fmt.Errorf("auth: discovery: %w", err)
		}
		if doc == nil {
			return discoveryEntry{}, fmt.Errorf("auth: discovery: %s is not a JSON object", docURL)
		}
		e = discoveryEntry{doc: doc, meta: metadataOf(doc), expires: time.Now().Add(c.ttl)}
		c.mu.Lock()
		c.entries[docURL] = e
		c.mu.Unlock()
		return e, nil
	})
}

func metadataOf(doc map[string]any) *Metadata {
	s := func(k string) string { v, _ := doc[k].(string); return v }
	return &Metadata{
		Issuer:                           s("issuer"),
		JWKSURI:                          s("jwks_uri"),
		IntrospectionEndpoint:            s("introspection_endpoint"),
		TokenEndpoint:                    s("token_endpoint"),
		AuthorizationEndpoint:            s("authorization_endpoint"),
		IntrospectionEndpointAuthMethods: stringList(doc["introspection_endpoint_auth_methods_supported"]),
		Raw:                              doc,
	}
}

// stringList reads a JSON string array (or a single string) of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
