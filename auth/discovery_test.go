package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fastmcp-go/fastmcp/auth"
)

// docServer serves discovery documents by path, counting requests.
type docServer struct {
	docs    map[string]map[string]any
	block   chan struct{}
	fetches atomic.Int32
}

func (s *docServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-r.Context().Done():
			return
		}
	}
	doc, ok := s.docs[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

const oidcURL = "https://idp.test/.well-known/openid-configuration"

func oidcDoc() map[string]any {
	return map[string]any{
		"issuer":                 "https://idp.test",
		"jwks_uri":               "https://idp.test/jwks",
		"introspection_endpoint": "https://idp.test/introspect",
		"token_endpoint":         "https://idp.test/token",
		"authorization_endpoint": "https://idp.test/authorize",
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic"},
	}
}

func TestDiscoveryCacheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &docServer{docs: map[string]map[string]any{"/.well-known/openid-configuration": oidcDoc()}}
		c := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s)})
		ctx := bubbleCtx(t)
		m, err := c.Metadata(ctx, oidcURL)
		if err != nil {
			t.Fatal(err)
		}
		if m.Issuer != "https://idp.test" || m.JWKSURI != "https://idp.test/jwks" || m.IntrospectionEndpoint != "https://idp.test/introspect" ||
			m.TokenEndpoint != "https://idp.test/token" || m.AuthorizationEndpoint != "https://idp.test/authorize" ||
			len(m.IntrospectionEndpointAuthMethods) != 1 || m.Raw["issuer"] != "https://idp.test" {
			t.Errorf("metadata %+v", m)
		}
		doc, err := c.Get(ctx, oidcURL)
		if err != nil || doc["jwks_uri"] != "https://idp.test/jwks" {
			t.Fatalf("Get: %v %v", doc, err)
		}
		time.Sleep(time.Hour - time.Second)
		c.Get(ctx, oidcURL)
		if n := s.fetches.Load(); n != 1 {
			t.Errorf("%d fetches within the TTL (default 1h), want 1", n)
		}
		time.Sleep(time.Second)
		c.Get(ctx, oidcURL)
		if n := s.fetches.Load(); n != 2 {
			t.Errorf("%d fetches after the TTL, want 2", n)
		}
		c.Forget(oidcURL)
		c.Get(ctx, oidcURL)
		if n := s.fetches.Load(); n != 3 {
			t.Errorf("%d fetches after Forget, want 3", n)
		}

		// A custom TTL; failures are not cached.
		short := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s), TTL: time.Minute})
		short.Get(ctx, oidcURL)
		time.Sleep(time.Minute)
		short.Get(ctx, oidcURL)
		if n := s.fetches.Load(); n != 5 {
			t.Errorf("%d fetches with a 1-minute TTL, want 5", n)
		}
		for range 2 {
			if _, err := short.Get(ctx, "https://idp.test/missing"); err == nil {
				t.Error("a 404 document was accepted")
			}
		}
		if n := s.fetches.Load(); n != 7 {
			t.Errorf("%d fetches, want 7: failures are not cached", n)
		}
	})
}

func TestDiscoveryCacheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &docServer{block: make(chan struct{})}
		for _, tc := range []struct {
			timeout, want time.Duration
		}{{0, 10 * time.Second}, {time.Second, time.Second}} {
			c := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s), Timeout: tc.timeout})
			start := time.Now()
			_, err := c.Get(bubbleCtx(t), oidcURL)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want a deadline", err)
			}
			if d := time.Since(start); d != tc.want {
				t.Errorf("timeout %v: gave up after %v, want %v", tc.timeout, d, tc.want)
			}
		}

		// A caller whose context ends stops waiting; the fetch goes on for
		// the others.
		c := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s)})
		ctx, cancel := context.WithCancel(bubbleCtx(t))
		done := make(chan error)
		go func() {
			_, err := c.Get(ctx, oidcURL)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: %v", err)
		}
		time.Sleep(10 * time.Second) // the fetch itself ends at its timeout
		synctest.Wait()
	})
}

func TestDiscoveryCacheSingleflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &docServer{docs: map[string]map[string]any{"/.well-known/openid-configuration": oidcDoc()}, block: make(chan struct{})}
		c := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s)})
		ctx := bubbleCtx(t)
		results := make(chan map[string]any, 10)
		for range 10 {
			go func() {
				doc, _ := c.Get(ctx, oidcURL)
				results <- doc
			}()
		}
		synctest.Wait()
		if n := s.fetches.Load(); n != 1 {
			t.Errorf("%d fetches in flight, want 1", n)
		}
		close(s.block)
		for range 10 {
			if doc := <-results; doc["issuer"] != "https://idp.test" {
				t.Errorf("document %v", doc)
			}
		}
		if n := s.fetches.Load(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})
}

// Discover tries the OpenID Connect location, then RFC 8414's, and checks
// the issuer.
func TestDiscoveryCacheDiscover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := bubbleCtx(t)
		rfc8414 := map[string]any{"issuer": "https://idp.test/tenant", "jwks_uri": "https://idp.test/tenant/keys"}
		s := &docServer{docs: map[string]map[string]any{
			"/.well-known/oauth-authorization-server/tenant": rfc8414,
			"/.well-known/openid-configuration":              oidcDoc(),
			"/liar/.well-known/openid-configuration":         oidcDoc(),
		}}
		c := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: handlerClient(s)})
		m, err := c.Discover(ctx, "https://idp.test/tenant")
		if err != nil || m.JWKSURI != "https://idp.test/tenant/keys" {
			t.Errorf("RFC 8414 fallback: %+v, %v", m, err)
		}
		m, err = c.Discover(ctx, "https://idp.test")
		if err != nil || m.JWKSURI != "https://idp.test/jwks" {
			t.Errorf("OpenID Connect: %+v, %v", m, err)
		}
		if _, err := c.Discover(ctx, "https://idp.test/liar"); err == nil {
			t.Error("a document naming another issuer was accepted")
		}
	})
}

// Introspection finds its endpoint by discovery.
func TestIntrospectionDiscover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := newIntrospector()
		mux := http.NewServeMux()
		mux.Handle("/.well-known/openid-configuration", &docServer{docs: map[string]map[string]any{"/.well-known/openid-configuration": oidcDoc()}})
		mux.Handle("/introspect", is)
		client := handlerClient(mux)
		v, err := auth.NewIntrospection(auth.IntrospectionOptions{Issuer: "https://idp.test", Discover: true, ClientID: "mcp:server", ClientSecret: "s&cret",
			HTTPClient: client, Discovery: auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: client})})
		if err != nil {
			t.Fatal(err)
		}
		// "short-" responses carry no iss; "active-" ones name another issuer.
		if u := mustUser(t, v, bearer("short-alice")); u.Subject != "alice" {
			t.Errorf("subject %q", u.Subject)
		}
		data, err := v.Authenticate(bearer("active-alice"))
		checkFailure(t, "issuer of the response", data, err, invalid("token issuer not accepted"))
	})
}
