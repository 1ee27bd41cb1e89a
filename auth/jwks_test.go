package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fastmcp-go/fastmcp/auth"
)

var (
	rsSigner = func() signer { return signer{alg: "RS256", kid: "rsa-1", key: rsaKey()} }
	esSigner = func() signer { return signer{alg: "ES256", kid: "ec-1", key: ecKey()} }
	edSigner = func() signer { return signer{alg: "EdDSA", kid: "ed-1", key: edKey()} }
)

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

// RS256, ES256 and EdDSA tokens against keys served at a JWKS URL, with and
// without kid, fetched once.
func TestJWKSKeyTypes(t *testing.T) {
	t.Parallel()
	ks := &keyServer{}
	ks.set(
		map[string]any{"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}, // skipped: no secrets in a JWKS
		map[string]any{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
		map[string]any{"kty": "EC", "kid": "bad", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, // malformed: skipped
		jwkOf(rsaKey(), "rsa-1", "RS256"),
		jwkOf(ecKey(), "ec-1", ""),
		jwkOf(edKey(), "ed-1", "EdDSA"),
	)
	v := jwksVerifier(t, ks, auth.JWTOptions{})
	for _, s := range []signer{rsSigner(), esSigner(), edSigner()} {
		tok := s.sign(t, claims(map[string]any{"sub": s.alg}))
		if u := mustUser(t, v, bearer(tok)); u.Subject != s.alg {
			t.Errorf("%s: subject %q", s.alg, u.Subject)
		}
		s.kid = "" // no kid: every key of the type is tried
		if u := mustUser(t, v, bearer(s.sign(t, claims(map[string]any{"sub": s.alg})))); u.Subject != s.alg {
			t.Errorf("%s without kid: subject %q", s.alg, u.Subject)
		}
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d JWKS fetches, want 1", n)
	}

	// A signature by another key under a known kid.
	forged := signer{alg: "ES256", kid: "ec-1", key: ecKey2()}.sign(t, claims(nil))
	data, err := v.Authenticate(bearer(forged))
	checkFailure(t, "forged ES256", data, err, invalid("invalid token signature"))
}

// An HMAC token must never verify against an RSA public key, whatever the
// configuration; nor a token of one asymmetric type against a key of another.
func TestJWKSAlgorithmConfusion(t *testing.T) {
	t.Parallel()
	ks := &keyServer{}
	ks.set(jwkOf(rsaKey(), "rsa-1", "RS256"), jwkOf(ecKey(), "ec-1", ""), jwkOf(edKey(), "ed-1", ""))
	onlyKeys := jwksVerifier(t, ks, auth.JWTOptions{})
	both := jwksVerifier(t, ks, auth.JWTOptions{Secret: secret, Algorithms: []string{"HS256", "RS256", "PS256", "ES256", "EdDSA"}})

	// The classic attack: HMAC keyed with the server's public key.
	der := must(x509.MarshalPKIXPublicKey(&rsaKey().PublicKey))
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	nBytes := rsaKey().N.Bytes()
	for _, tc := range []struct {
		name  string
		v     *auth.JWT
		token string
		want  failure
	}{
		{"HS256 keyed with the PEM public key", onlyKeys, signer{alg: "HS256", kid: "rsa-1", key: pemKey}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"HS256 keyed with the DER public key", onlyKeys, signer{alg: "HS256", kid: "rsa-1", key: der}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"HS256 keyed with the modulus", onlyKeys, signer{alg: "HS256", kid: "rsa-1", key: nBytes}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"HS256 with PEM key, HMAC allowed", both, signer{alg: "HS256", kid: "rsa-1", key: pemKey}.sign(t, claims(nil)), invalid("invalid token signature")},
		{"HS256 with DER key, HMAC allowed", both, signer{alg: "HS256", kid: "rsa-1", key: der}.sign(t, claims(nil)), invalid("invalid token signature")},
		{"ES256 under an RSA kid", both, signer{alg: "ES256", kid: "rsa-1", key: ecKey()}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"PS256 under a kid restricted to RS256", both, signer{alg: "PS256", kid: "rsa-1", key: rsaKey()}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"EdDSA under an EC kid", both, signer{alg: "EdDSA", kid: "ec-1", key: edKey()}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"RS256 under an Ed25519 kid", both, signer{alg: "RS256", kid: "ed-1", key: rsaKey()}.sign(t, claims(nil)), invalid("signing algorithm not accepted")},
		{"alg none", both, unsignedToken(claims(nil)), invalid("signing algorithm not accepted")},
	} {
		data, err := tc.v.Authenticate(bearer(tc.token))
		checkFailure(t, tc.name, data, err, tc.want)
	}
	// The legitimate tokens still pass.
	mustUser(t, both, bearer(signer{alg: "HS256", key: secret}.sign(t, claims(nil))))
	mustUser(t, both, bearer(rsSigner().sign(t, claims(nil))))
}

// A flood of tokens naming unknown kids does not hammer the JWKS endpoint:
// within the cool-down after a fetch, none causes another.
func TestJWKSUnknownKidFlood(t *testing.T) {
	t.Parallel()
	ks := &keyServer{}
	ks.set(jwkOf(ecKey(), "ec-1", ""))
	v := jwksVerifier(t, ks, auth.JWTOptions{})
	mustUser(t, v, bearer(esSigner().sign(t, claims(nil))))
	var accepted atomic.Int32
	parallel(50, func(i int) {
		tok := signer{alg: "ES256", kid: fmt.Sprint("unknown-", i), key: ecKey2()}.sign(t, claims(nil))
		data, err := v.Authenticate(bearer(tok))
		if err == nil {
			accepted.Add(1)
			return
		}
		checkFailure(t, "unknown kid", data, err, invalid("token signed by an unknown key"))
	})
	if accepted.Load() != 0 {
		t.Errorf("%d tokens with unknown kids accepted", accepted.Load())
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d JWKS fetches, want 1", n)
	}
}

// jwksBubble returns a verifier whose key server is served in memory, for
// tests inside a synctest bubble.
func jwksBubble(t testing.TB, ks *keyServer, opts auth.JWTOptions) *auth.JWT {
	t.Helper()
	opts.JWKSURL = "http://idp.test/jwks"
	opts.HTTPClient = handlerClient(ks)
	opts.Issuer = testIssuer
	v, err := auth.NewJWT(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Key rotation: a new kid is picked up (after the cool-down), a removed one
// is dropped at the next fetch, and a failing endpoint keeps the old keys.
func TestJWKSRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ks := &keyServer{}
		ks.set(jwkOf(ecKey(), "old", ""))
		v := jwksBubble(t, ks, auth.JWTOptions{UnknownKeyCooldown: 30 * time.Second, KeyCacheTTL: time.Hour})
		oldKey := signer{alg: "ES256", kid: "old", key: ecKey()}
		newKey := signer{alg: "ES256", kid: "new", key: ecKey2()}
		fetches := func(want int32, when string) {
			t.Helper()
			if n := ks.fetches.Load(); n != want {
				t.Fatalf("%s: %d JWKS fetches, want %d", when, n, want)
			}
		}
		accepts := func(s signer) error {
			_, err := v.Authenticate(bearer(s.sign(t, claims(nil))))
			return err
		}

		if err := accepts(oldKey); err != nil {
			t.Fatal(err)
		}
		fetches(1, "first token")
		ks.set(jwkOf(ecKey(), "old", ""), jwkOf(ecKey2(), "new", ""))
		time.Sleep(10 * time.Second)
		if err := accepts(newKey); err == nil {
			t.Fatal("a new kid was looked up within the cool-down")
		}
		fetches(1, "new kid within the cool-down")
		time.Sleep(21 * time.Second)
		if err := accepts(newKey); err != nil {
			t.Fatalf("new kid after the cool-down: %v", err)
		}
		fetches(2, "new kid after the cool-down")
		for i := range 20 {
			accepts(signer{alg: "ES256", kid: fmt.Sprint("bogus-", i), key: ecKey2()})
		}
		fetches(2, "unknown kids right after a fetch")
		if err := accepts(oldKey); err != nil {
			t.Fatal(err)
		}

		// The old key is removed; it goes when the TTL has passed.
		ks.set(jwkOf(ecKey2(), "new", ""))
		time.Sleep(time.Hour)
		if err := accepts(oldKey); err == nil {
			t.Fatal("a removed key still verifies after the TTL")
		}
		fetches(3, "after the TTL")

		// The endpoint fails: after the TTL the cached keys stay in use, and
		// failures are not retried at once.
		ks.setStatus(http.StatusInternalServerError)
		time.Sleep(time.Hour)
		if err := accepts(newKey); err != nil {
			t.Fatalf("cached key while the endpoint fails: %v", err)
		}
		fetches(4, "refresh attempt")
		for range 10 {
			if err := accepts(newKey); err != nil {
				t.Fatal(err)
			}
		}
		fetches(4, "within the failure back-off")
		time.Sleep(2 * time.Second)
		accepts(newKey)
		fetches(5, "after the failure back-off")
		ks.setStatus(0)
		time.Sleep(2 * time.Second)
		accepts(newKey)
		fetches(6, "endpoint back")
		accepts(newKey)
		fetches(6, "fresh again")
	})
}

// Concurrent verifications on a cold cache share one fetch.
func TestJWKSConcurrentFetchCollapsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ks := &keyServer{block: make(chan struct{})}
		ks.set(jwkOf(edKey(), "ed-1", ""))
		v := jwksBubble(t, ks, auth.JWTOptions{})
		tok := edSigner().sign(t, claims(nil))
		ctx := bubbleCtx(t)
		errs := make(chan error, 20)
		for range 20 {
			go func() {
				_, err := v.Authenticate(bearer(tok).WithContext(ctx))
				errs <- err
			}()
		}
		synctest.Wait() // all 20 are waiting: one in the key server, the others for its answer
		if n := ks.fetches.Load(); n != 1 {
			t.Fatalf("%d fetches in flight, want 1", n)
		}
		close(ks.block)
		for range 20 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if n := ks.fetches.Load(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})
}

// A JWKS endpoint that does not answer in time, or fails, gives 503: the
// token may be valid.
func TestJWKSUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ks := &keyServer{block: make(chan struct{})} // never released
		ks.set(jwkOf(edKey(), "ed-1", ""))
		v := jwksBubble(t, ks, auth.JWTOptions{FetchTimeout: 3 * time.Second})
		start := time.Now()
		data, err := v.Authenticate(bearer(edSigner().sign(t, claims(nil))))
		checkFailure(t, "timeout", data, err, unavailable)
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("gave up after %v, want the 3s timeout", d)
		}
		if !strings.Contains(err.Error(), "cannot be fetched") {
			t.Errorf("message %q", err)
		}
	})

	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"status 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"no usable key", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "x", "n": "AQAB", "e": "AQAB"}}})
		}},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys": [], "pad": "` + strings.Repeat("x", 2<<20) + `"}`))
		}},
	} {
		ts := serve(t, tc.h)
		v, err := auth.NewJWT(auth.JWTOptions{JWKSURL: ts.URL, HTTPClient: ts.Client()})
		if err != nil {
			t.Fatal(err)
		}
		data, err := v.Authenticate(bearer(rsSigner().sign(t, claims(nil))))
		checkFailure(t, tc.name, data, err, unavailable)
	}
}

// Small RSA keys in a JWKS are refused.
func TestJWKSWeakRSAKey(t *testing.T) {
	t.Parallel()
	weak := must(rsa.GenerateKey(rand.Reader, 1024))
	ks := &keyServer{}
	ks.set(jwkOf(weak, "weak", ""))
	v := jwksVerifier(t, ks, auth.JWTOptions{})
	data, err := v.Authenticate(bearer(signer{alg: "RS256", kid: "weak", key: weak}.sign(t, claims(nil))))
	checkFailure(t, "1024-bit key", data, err, unavailable)
}

// JWT with Discover finds the JWKS through the issuer's discovery document.
func TestJWTDiscover(t *testing.T) {
	t.Parallel()
	ks := &keyServer{}
	ks.set(jwkOf(rsaKey(), "rsa-1", ""))
	var issuer string
	var docs atomic.Int32
	mux := http.NewServeMux()
	mux.Handle("GET /jwks", ks)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		docs.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": issuer + "/jwks"})
	})
	ts := serve(t, mux)
	issuer = ts.URL
	dc := auth.NewDiscoveryCache(auth.DiscoveryOptions{HTTPClient: ts.Client()})
	v, err := auth.NewJWT(auth.JWTOptions{Issuer: issuer, Discover: true, Discovery: dc, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if u := mustUser(t, v, bearer(rsSigner().sign(t, claims(map[string]any{"iss": issuer})))); u.Subject != "alice" {
			t.Errorf("subject %q", u.Subject)
		}
	}
	if docs.Load() != 1 || ks.fetches.Load() != 1 {
		t.Errorf("%d discovery and %d JWKS fetches, want 1 and 1", docs.Load(), ks.fetches.Load())
	}

	// A document naming another issuer is not trusted.
	other, err := auth.NewJWT(auth.JWTOptions{Issuer: issuer + "/tenant", Discover: true, Discovery: dc, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	data, err := other.Authenticate(bearer(rsSigner().sign(t, claims(map[string]any{"iss": issuer + "/tenant"}))))
	checkFailure(t, "issuer mismatch in discovery", data, err, unavailable)
}

// Keys of every supported curve verify; malformed keys alone in a set make
// the set unusable (503), beside a good key they are skipped.
func TestJWKSKeyParsing(t *testing.T) {
	t.Parallel()
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	p521 := must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
	for _, s := range []signer{{alg: "ES384", kid: "p384", key: p384}, {alg: "ES512", kid: "p521", key: p521}} {
		ks := &keyServer{}
		ks.set(jwkOf(s.key, s.kid, ""))
		v := jwksVerifier(t, ks, auth.JWTOptions{Algorithms: []string{s.alg}})
		mustUser(t, v, bearer(s.sign(t, claims(nil))))
		// ES256 is not in Algorithms.
		data, err := v.Authenticate(bearer(esSigner().sign(t, claims(nil))))
		checkFailure(t, s.alg+" verifier, ES256 token", data, err, invalid("signing algorithm not accepted"))
	}

	good := jwkOf(edKey(), "ed-1", "")
	with := func(over map[string]any, base map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	ec := jwkOf(ecKey(), "ec-1", "")
	rsa := jwkOf(rsaKey(), "rsa-1", "")
	for _, tc := range []struct {
		name string
		key  map[string]any
	}{
		{"EC point not on the curve", with(map[string]any{"y": ec["x"]}, ec)},
		{"EC unknown curve", with(map[string]any{"crv": "P-224"}, ec)},
		{"EC short coordinate", with(map[string]any{"x": "AAAA"}, ec)},
		{"EC missing y", with(map[string]any{"y": nil}, ec)},
		{"EC bad base64", with(map[string]any{"x": "!!!"}, ec)},
		{"RSA missing n", with(map[string]any{"n": nil}, rsa)},
		{"RSA even exponent", with(map[string]any{"e": "Ag"}, rsa)},
		{"RSA bad base64", with(map[string]any{"e": "***"}, rsa)},
		{"Ed25519 short", with(map[string]any{"x": "AAAA"}, good)},
		{"Ed448", with(map[string]any{"crv": "Ed448"}, good)},
		{"verify not allowed", with(map[string]any{"key_ops": []string{"sign"}}, good)},
		{"unknown type", map[string]any{"kty": "XYZ", "kid": "x"}},
	} {
		ks := &keyServer{}
		ks.set(tc.key)
		v := jwksVerifier(t, ks, auth.JWTOptions{})
		data, err := v.Authenticate(bearer(edSigner().sign(t, claims(nil))))
		checkFailure(t, tc.name+" alone", data, err, unavailable)

		ks2 := &keyServer{}
		ks2.set(tc.key, good)
		v2 := jwksVerifier(t, ks2, auth.JWTOptions{})
		mustUser(t, v2, bearer(edSigner().sign(t, claims(nil))))
	}
}
