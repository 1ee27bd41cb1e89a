package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// Keys are generated once per test binary: RSA generation is slow under the
// race detector.
var (
	rsaKey  = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	ecKey   = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	ecKey2  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	edKey   = sync.OnceValue(func() ed25519.PrivateKey { _, k := must2(ed25519.GenerateKey(rand.Reader)); return k })
	secret  = []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	secret2 = []byte("fedcba9876543210fedcba9876543210")
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

const (
	testIssuer   = "https://issuer.test"
	testAudience = "https://mcp.test/mcp"
)

// signer is a private key with the algorithm and kid its tokens carry.
type signer struct {
	alg    string
	kid    string
	key    crypto.PrivateKey // or []byte for HMAC
	header map[string]any    // further header parameters
}

// sign returns a JWT with the claims, signed by s.
func (s signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.alg), jwt.MapClaims(claims))
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	for k, v := range s.header {
		tok.Header[k] = v
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

// handlerClient is an HTTP client whose requests are served in memory by h,
// in the caller's goroutine: usable inside a synctest bubble, where a real
// network connection would keep the fake clock from advancing.
func handlerClient(h http.Handler) *http.Client {
	return &http.Client{Transport: handlerTransport{h}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// serveTLSless starts an httptest server on 127.0.0.1 for h.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// request returns a request with the headers, given as name, value pairs.
func request(header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://mcp.test/mcp", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func bearer(tok string) *http.Request { return request("Authorization", "Bearer "+tok) }

// userOf asserts that an authentication succeeded with a *auth.User.
func userOf(t testing.TB, data any, err error) *auth.User {
	t.Helper()
	if err != nil {
		t.Fatalf("authentication failed: %v", err)
	}
	u, ok := data.(*auth.User)
	if !ok || u == nil {
		t.Fatalf("authentication returned %T, want *auth.User", data)
	}
	return u
}

// failure describes an expected authentication failure.
type failure struct {
	status    int    // HTTP status
	kind      error  // sentinel the error matches
	challenge string // WWW-Authenticate, exactly; "" for none
	message   string // substring of the message
}

var (
	missing = failure{status: 401, kind: auth.ErrNoCredentials, challenge: "Bearer"}
)

func invalid(desc string) failure {
	return failure{401, auth.ErrInvalidCredentials,
		`Bearer error="invalid_token", error_description="` + desc + `"`, desc}
}

// ambiguous is the refusal of a request presenting two different
// credentials, in the places a and b.
func ambiguous(a, b string) failure {
	desc := "the request presents two different credentials (" + a + " and " + b + "): send only one"
	return failure{401, auth.ErrInvalidCredentials, `Bearer error="invalid_request", error_description="` + desc + `"`, desc}
}

func unrecognized(desc string) failure {
	return failure{401, auth.ErrUnrecognized,
		`Bearer error="invalid_token", error_description="` + desc + `"`, desc}
}

var unavailable = failure{status: 503, kind: auth.ErrUnavailable}

// checkFailure asserts that err is the failure f, and that its message does
// not contain any of secrets (those of 5 characters or more: shorter ones
// occur in ordinary words).
func checkFailure(t testing.TB, name string, data any, err error, f failure, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted (%+v), want a %d failure", name, data, f.status)
		return
	}
	if data != nil {
		t.Errorf("%s: data %v returned with an error", name, data)
	}
	var he *fastmcp.HTTPError
	if !errors.As(err, &he) {
		t.Errorf("%s: error %T %v, want a *fastmcp.HTTPError", name, err, err)
		return
	}
	if he.Status != f.status {
		t.Errorf("%s: status %d, want %d (%v)", name, he.Status, f.status, err)
	}
	if f.kind != nil && !errors.Is(err, f.kind) {
		t.Errorf("%s: error %v does not match %v", name, err, f.kind)
	}
	if got := he.Header.Get("WWW-Authenticate"); got != f.challenge {
		t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, f.challenge)
	}
	if !strings.Contains(he.Error(), f.message) {
		t.Errorf("%s: message %q, want it to contain %q", name, he.Error(), f.message)
	}
	for _, s := range secrets {
		if len(s) >= 5 && (strings.Contains(he.Error(), s) || strings.Contains(he.Header.Get("WWW-Authenticate"), s)) {
			t.Errorf("%s: the answer leaks %q: %q / %q", name, s, he.Error(), he.Header.Get("WWW-Authenticate"))
		}
	}
}

// parallel runs fn n times concurrently and waits for them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// bubbleCtx returns a context created in the current synctest bubble (its
// Done channel belongs to the bubble, so waiting on it is durably blocking).
func bubbleCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// mustUser authenticates r with v and asserts that it succeeds.
func mustUser(t testing.TB, v fastmcp.Authenticator, r *http.Request) *auth.User {
	t.Helper()
	data, err := v.Authenticate(r)
	return userOf(t, data, err)
}
