package interop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/golang-jwt/jwt/v5"
)

// Fixtures of the auth tests (keys, signed tokens, a JWKS server, an
// introspection endpoint), as auth/helpers_test.go and its neighbours have
// them: the auth package's own tests cannot be imported from here.

const (
	testIssuer   = "https://issuer.test"
	testAudience = "https://mcp.test/mcp"
)

var (
	rsaKey   = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	rsaKey2  = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	secret   = []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	rsSigner = func() signer { return signer{alg: "RS256", kid: "rsa-1", key: rsaKey()} }
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// signer is a private key with the algorithm and kid its tokens carry.
type signer struct {
	alg string
	kid string
	key crypto.PrivateKey // or []byte for HMAC
}

// sign returns a JWT with the claims, signed by s.
func (s signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.alg), jwt.MapClaims(claims))
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	str, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatalf("signing a %s token: %v", s.alg, err)
	}
	return str
}

// claims returns valid claims for the test issuer and audience, with
// overrides (a nil value deletes the claim).
func claims(over map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "alice",
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"scope": "read write",
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// jwkOf returns the public JWK of a private key.
func jwkOf(key crypto.PrivateKey, kid, alg string) map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	j := map[string]any{"kid": kid, "use": "sig"}
	if alg != "" {
		j["alg"] = alg
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		j["kty"] = "RSA"
		j["n"] = b64(k.N.Bytes())
		j["e"] = b64(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PrivateKey:
		raw := must(k.PublicKey.Bytes()) // 0x04 || X || Y
		size := (len(raw) - 1) / 2
		j["kty"] = "EC"
		j["crv"] = k.Curve.Params().Name
		j["x"] = b64(raw[1 : 1+size])
		j["y"] = b64(raw[1+size:])
	case ed25519.PrivateKey:
		j["kty"] = "OKP"
		j["crv"] = "Ed25519"
		j["x"] = b64(k.Public().(ed25519.PublicKey))
	default:
		panic("unsupported key type")
	}
	return j
}

// keyServer serves a JWKS whose keys the test can change, counting fetches.
// status, when set, is answered instead; block, when set, is waited on (or
// the request's end) before answering.
type keyServer struct {
	mu      sync.Mutex
	keys    []map[string]any
	status  int
	block   chan struct{}
	fetches atomic.Int32
}

func (s *keyServer) set(keys ...map[string]any) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *keyServer) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	keys, status, block := s.keys, s.status, s.block
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		http.Error(w, "unavailable", status)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

// serveTLSless starts an httptest server on 127.0.0.1 for h.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// jwksVerifier returns a verifier of the keys ks serves over a loopback
// httptest server.
func jwksVerifier(t testing.TB, ks *keyServer, opts auth.JWTOptions) *auth.JWT {
	t.Helper()
	ts := serve(t, ks)
	opts.JWKSURL = ts.URL + "/jwks"
	opts.HTTPClient = ts.Client()
	opts.Issuer = orString(opts.Issuer, testIssuer)
	opts.Audiences = []string{testAudience}
	v, err := auth.NewJWT(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func orString(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func newHS256(t testing.TB, opts auth.JWTOptions) *auth.JWT {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = secret
	}
	if opts.Issuer == "" {
		opts.Issuer = testIssuer
	}
	if opts.Audiences == nil {
		opts.Audiences = []string{"https://other.test", testAudience}
	}
	v, err := auth.NewJWT(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func testKeys() map[string]auth.User {
	return map[string]auth.User{
		"admin-key":  {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
		"user-key":   {Subject: "bob", Roles: []string{"user"}, Scopes: []string{"read"}},
		"user-key-2": {Subject: "carol", Email: "carol@example.com", Claims: map[string]any{"team": "blue"}},
		"old-key":    {Subject: "dave", ExpiresAt: time.Now().Add(-time.Minute)},
	}
}

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
