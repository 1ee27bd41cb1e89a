package auth_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

// introspector is a fake RFC 7662 endpoint. Tokens are "active-<sub>",
// "short-<sub>" (expiring a minute after the server starts), "revoked" and
// anything else (inactive). It checks the client's credentials and counts
// requests per token.
type introspector struct {
	start  time.Time
	post   bool // credentials in the form rather than Basic
	status int
	block  chan struct{}

	mu    sync.Mutex
	calls map[string]int
	total atomic.Int32
}

func newIntrospector() *introspector {
	return &introspector{start: time.Now(), calls: map[string]int{}}
}

func (s *introspector) count(tok string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[tok]
}

func (s *introspector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.total.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-r.Context().Done():
			return
		}
	}
	if s.status != 0 {
		http.Error(w, "down", s.status)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad request", 400)
		return
	}
	r.ParseForm()
	id, sec, basic := r.BasicAuth()
	if !s.post && (!basic || id != "mcp%3Aserver" || sec != "s%26cret") {
		http.Error(w, "bad client", 401)
		return
	}
	if s.post && (basic || r.PostForm.Get("client_id") != "mcp:server" || r.PostForm.Get("client_secret") != "s&cret") {
		http.Error(w, "bad client", 401)
		return
	}
	tok := r.PostForm.Get("token")
	if r.PostForm.Get("token_type_hint") != "access_token" {
		http.Error(w, "no hint", 400)
	}
	s.mu.Lock()
	s.calls[tok]++
	s.mu.Unlock()
	resp := map[string]any{"active": false}
	if sub, ok := strings.CutPrefix(tok, "active-"); ok {
		resp = map[string]any{"active": true, "sub": sub, "scope": "read write", "client_id": "cli",
			"username": sub + "@example.com", "exp": s.start.Add(time.Hour).Unix(), "aud": []string{testAudience},
			"iss": testIssuer, "token_type": "Bearer", "roles": []string{"admin"}}
	} else if sub, ok := strings.CutPrefix(tok, "short-"); ok {
		exp := s.start.Add(time.Minute)
		if time.Now().Before(exp) {
			resp = map[string]any{"active": true, "sub": sub, "exp": exp.Unix(), "aud": testAudience}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func newIntrospection(t testing.TB, s *introspector, opts auth.IntrospectionOptions) *auth.Introspection {
	t.Helper()
	opts.Endpoint = "http://idp.test/introspect"
	opts.HTTPClient = handlerClient(s)
	opts.ClientID, opts.ClientSecret = "mcp:server", "s&cret"
	if s.post {
		opts.AuthMethod = "client_secret_post"
	}
	v, err := auth.NewIntrospection(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIntrospection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		v := newIntrospection(t, s, auth.IntrospectionOptions{Issuer: testIssuer, Audiences: []string{testAudience}})

		u := mustUser(t, v, bearer("active-alice"))
		want := &auth.User{Subject: "alice", Name: "alice@example.com", Scopes: []string{"read", "write"}, Roles: []string{"admin"},
			ClientID: "cli", ExpiresAt: s.start.Add(time.Hour).Truncate(time.Second).UTC(), Token: "active-alice",
			Claims: map[string]any{"aud": []any{testAudience}, "iss": testIssuer, "token_type": "Bearer"}}
		if diff := testdiff.Diff(want, u); diff != "" {
			t.Errorf("user (-want +got):\n%s", diff)
		}
		// Cache hits.
		for range 5 {
			mustUser(t, v, bearer("active-alice"))
		}
		if n := s.count("active-alice"); n != 1 {
			t.Errorf("%d introspections of a cached token, want 1", n)
		}

		// Inactive: 401 invalid_token, cached briefly.
		for range 3 {
			data, err := v.Authenticate(bearer("revoked"))
			checkFailure(t, "inactive", data, err, invalid("token is not active"), "revoked")
		}
		if n := s.count("revoked"); n != 1 {
			t.Errorf("%d introspections of an inactive token within the negative TTL, want 1", n)
		}
		time.Sleep(11 * time.Second)
		v.Authenticate(bearer("revoked"))
		if n := s.count("revoked"); n != 2 {
			t.Errorf("%d introspections after the negative TTL, want 2", n)
		}

		// The cache holds an active result no longer than CacheTTL (5 min).
		time.Sleep(5 * time.Minute)
		mustUser(t, v, bearer("active-alice"))
		if n := s.count("active-alice"); n != 2 {
			t.Errorf("%d introspections after the cache TTL, want 2", n)
		}
	})
}

// A cached result does not outlive the token's exp.
func TestIntrospectionExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		v := newIntrospection(t, s, auth.IntrospectionOptions{CacheTTL: time.Hour})
		mustUser(t, v, bearer("short-bob"))
		time.Sleep(59 * time.Second)
		mustUser(t, v, bearer("short-bob"))
		if n := s.count("short-bob"); n != 1 {
			t.Errorf("%d introspections before exp, want 1", n)
		}
		time.Sleep(2 * time.Second)
		data, err := v.Authenticate(bearer("short-bob"))
		checkFailure(t, "expired", data, err, invalid("token is not active"))
		if n := s.count("short-bob"); n != 2 {
			t.Errorf("%d introspections after exp, want 2", n)
		}
	})
}

// Responses the server must refuse although active, and refusals by the
// verifier's own requirements.
func TestIntrospectionChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		for _, tc := range []struct {
			name string
			opts auth.IntrospectionOptions
			tok  string
			want failure
		}{
			{"wrong audience", auth.IntrospectionOptions{Audiences: []string{"https://other.test"}}, "active-a", invalid("token audience not accepted")},
			{"wrong issuer", auth.IntrospectionOptions{Issuer: "https://other.test"}, "active-a", invalid("token issuer not accepted")},
			{"missing scope", auth.IntrospectionOptions{RequiredScopes: []string{"admin"}}, "active-a",
				failure{403, auth.ErrInsufficientScope, `Bearer error="insufficient_scope", error_description="the token lacks a required scope", scope="admin"`, "needs admin"}},
			{"mapper", auth.IntrospectionOptions{ClaimsMapper: func(c map[string]any, u *auth.User) error {
				if c["token_type"] != "DPoP" {
					return errMapper
				}
				return nil
			}}, "active-a", invalid("token claims not accepted")},
		} {
			v := newIntrospection(t, s, tc.opts)
			for range 2 { // the refusal is the same from the cache
				data, err := v.Authenticate(bearer(tc.tok))
				checkFailure(t, tc.name, data, err, tc.want)
			}
		}
		v := newIntrospection(t, s, auth.IntrospectionOptions{})
		data, err := v.Authenticate(request())
		checkFailure(t, "missing", data, err, failure{401, auth.ErrNoCredentials, "Bearer", "a bearer token"})
		data, err = v.Authenticate(request("Authorization", "Basic YTpi"))
		checkFailure(t, "basic", data, err, unrecognized("unsupported authorization scheme: expected a bearer token"))

		// client_secret_post
		sp := newIntrospector()
		sp.post = true
		if u := mustUser(t, newIntrospection(t, sp, auth.IntrospectionOptions{}), bearer("active-carol")); u.Subject != "carol" {
			t.Errorf("client_secret_post: subject %q", u.Subject)
		}
	})
}

var errMapper = &mapperError{}

type mapperError struct{}

func (*mapperError) Error() string { return "not a DPoP token" }

// An endpoint that fails or does not answer gives 503, not 401: the token
// may be valid, and a 401 would make the client drop it. Failures are not
// cached.
func TestIntrospectionUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		s.status = http.StatusBadGateway
		v := newIntrospection(t, s, auth.IntrospectionOptions{Timeout: 2 * time.Second})
		for range 2 {
			data, err := v.Authenticate(bearer("active-alice"))
			checkFailure(t, "endpoint down", data, err, unavailable, "active-alice")
		}
		if n := s.total.Load(); n != 2 {
			t.Errorf("%d requests, want 2 (failures are not cached)", n)
		}
		s.status = 0
		mustUser(t, v, bearer("active-alice"))

		s.block = make(chan struct{})
		start := time.Now()
		data, err := v.Authenticate(bearer("active-bob"))
		checkFailure(t, "timeout", data, err, unavailable)
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("gave up after %v, want the 2s timeout", d)
		}
	})
}

// Concurrent checks of one token share a request; of different tokens, not.
func TestIntrospectionSingleflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		s.block = make(chan struct{})
		v := newIntrospection(t, s, auth.IntrospectionOptions{})
		ctx := bubbleCtx(t)
		subjects := make(chan string, 30)
		for i := range 30 {
			tok := []string{"active-alice", "active-bob", "revoked"}[i%3]
			go func() {
				data, err := v.Authenticate(bearer(tok).WithContext(ctx))
				if u, ok := data.(*auth.User); ok && err == nil {
					subjects <- u.Subject
				} else {
					subjects <- "refused"
				}
			}()
		}
		synctest.Wait()
		if n := s.total.Load(); n != 3 {
			t.Errorf("%d introspections in flight for 3 tokens, want 3", n)
		}
		close(s.block)
		var got []string
		for range 30 {
			got = append(got, <-subjects)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		if !slices.Equal(got, []string{"alice", "bob", "refused"}) {
			t.Errorf("results %v", got)
		}
		if n := s.total.Load(); n != 3 {
			t.Errorf("%d introspections, want 3", n)
		}
	})
}

func TestNewIntrospectionOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts auth.IntrospectionOptions
		err  string
	}{
		{"no endpoint", auth.IntrospectionOptions{}, "no Endpoint"},
		{"bad auth method", auth.IntrospectionOptions{Endpoint: "http://x", AuthMethod: "private_key_jwt"}, "AuthMethod"},
		{"discover without issuer", auth.IntrospectionOptions{Discover: true}, "needs Issuer"},
		{"both", auth.IntrospectionOptions{Discover: true, Issuer: "http://x", Endpoint: "http://x"}, "exclusive"},
	} {
		if _, err := auth.NewIntrospection(tc.opts); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

// The cache is bounded: beyond MaxCacheEntries, entries are evicted and
// their tokens introspected again, with the same results.
func TestIntrospectionCacheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newIntrospector()
		v := newIntrospection(t, s, auth.IntrospectionOptions{MaxCacheEntries: 2})
		toks := []string{"active-a", "active-b", "active-c", "active-d"}
		for range 3 {
			for _, tok := range toks {
				if u := mustUser(t, v, bearer(tok)); u.Subject != tok[len("active-"):] {
					t.Errorf("%s: subject %q", tok, u.Subject)
				}
			}
		}
		if n := s.total.Load(); n <= 4 || n > 12 {
			t.Errorf("%d introspections of 4 tokens 3 times with 2 cache entries, want between 5 and 12", n)
		}
		// Without a cache, every request asks.
		s2 := newIntrospector()
		nocache := newIntrospection(t, s2, auth.IntrospectionOptions{CacheTTL: -1, NegativeCacheTTL: -1})
		for range 3 {
			mustUser(t, nocache, bearer("active-a"))
			nocache.Authenticate(bearer("revoked"))
		}
		if n := s2.total.Load(); n != 6 {
			t.Errorf("%d introspections without a cache, want 6", n)
		}
	})
}
