package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// JWK parsing (RFC 7517, RFC 7518 §6, RFC 8037) is done here over crypto/*
// rather than with a JOSE library: verification keys of three types are
// about a hundred lines, and the JWT library takes the crypto types as they
// are.

// jwk is a JSON Web Key as published in a JWKS.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// publicKey is a parsed verification key.
type publicKey struct {
	kid string
	alg string // the JWK's "alg", "" when absent
	key crypto.PublicKey
}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3 requires
// 2048 bits).
const minRSABits = 2048

// parseJWKS parses a key set, keeping the signature keys it can use. Keys of
// other types, or for encryption, are skipped; a malformed key is skipped too
// unless no usable key remains, in which case the set is an error.
func parseJWKS(set struct {
	Keys []jwk `json:"keys"`
}) ([]publicKey, error) {
	var out []publicKey
	var errs []error
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify") {
			continue
		}
		key, err := k.publicKey()
		if err != nil {
			errs = append(errs, fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err))
			continue
		}
		if key != nil {
			out = append(out, publicKey{kid: k.Kid, alg: k.Alg, key: key})
		}
	}
	if len(out) == 0 {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, errors.New("no usable signature key in the key set")
	}
	return out, nil
}

// publicKey returns the key, or nil for a key type it does not use.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64Int(k.N)
		if err != nil {
			return nil, fmt.Errorf("n: %w", err)
		}
		e, err := b64Int(k.E)
		if err != nil {
			return nil, fmt.Errorf("e: %w", err)
		}
		if n.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits, want at least %d", n.BitLen(), minRSABits)
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := b64Bytes(k.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := b64Bytes(k.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("coordinates of %d and %d bytes, want %d", len(x), len(y), size)
		}
		// Parsing the uncompressed point checks that it is on the curve.
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, nil // X25519 keys are for key agreement; Ed448 is not supported
		}
		x, err := b64Bytes(k.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key of %d bytes", len(x))
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, nil // "oct" (secret keys do not belong in a public JWKS) and unknown types
}

func b64Bytes(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func b64Int(s string) (*big.Int, error) {
	b, err := b64Bytes(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

// fits reports whether key can verify a signature of the algorithm alg. It
// is what stops algorithm confusion: an RSA key only serves RS* and PS*, an
// EC key only the ES* of its curve, an Ed25519 key only EdDSA, and a key
// whose JWK names an algorithm only that one.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// keyCache holds the keys of a JWKS URL (see JWTOptions for the policy).
type keyCache struct {
	url      func(ctx context.Context) (string, error)
	client   *http.Client
	timeout  time.Duration
	ttl      time.Duration
	cooldown time.Duration

	sf singleflight.Group

	mu        sync.Mutex
	keys      []publicKey
	fetchedAt time.Time // last successful fetch; zero before the first
	triedAt   time.Time // last fetch attempt
	lastErr   error     // error of the last attempt, nil if it succeeded
}

// failureBackoff is how long a failed fetch is answered from memory before
// the endpoint is tried again, so that requests arriving while it is down do
// not turn into a stream of fetches.
const failureBackoff = time.Second

// errUnknownKey means the token's kid is not in the key set, even after a
// refresh (or within the cool-down, without one).
var errUnknownKey = errors.New("unknown signing key")

// errKeyMismatch means keys exist for the kid, but none for the token's
// algorithm.
var errKeyMismatch = errors.New("the token's algorithm does not match its key")

// lookup returns the keys that may verify a token with this kid and alg.
// Errors are errUnknownKey, errKeyMismatch, or a fetch error.
func (c *keyCache) lookup(ctx context.Context, kid, alg string) ([]crypto.PublicKey, error) {
	c.mu.Lock()
	keys, fetchedAt, triedAt, lastErr := c.keys, c.fetchedAt, c.triedAt, c.lastErr
	c.mu.Unlock()
	now := time.Now()
	fresh := !fetchedAt.IsZero() && now.Sub(fetchedAt) < c.ttl
	found, err := match(keys, kid, alg)
	switch {
	case fresh && err == nil:
		return found, nil
	case fresh && err == errKeyMismatch:
		return nil, err
	case lastErr != nil && now.Sub(triedAt) < failureBackoff:
		if !fetchedAt.IsZero() && err == nil {
			return found, nil // stale keys while the endpoint is down
		}
		return nil, lastErr
	case fresh && c.cooldown > 0 && now.Sub(triedAt) < c.cooldown:
		return nil, errUnknownKey // no refetch for an unknown kid within the cool-down
	}
	fetched, ferr := c.refresh(ctx, triedAt)
	if ferr != nil {
		if !fetchedAt.IsZero() && err == nil {
			return found, nil
		}
		return nil, ferr
	}
	return match(fetched, kid, alg)
}

// match selects the keys for kid and alg: the keys with that kid (all keys
// when the token names none) that fit alg.
func match(keys []publicKey, kid, alg string) ([]crypto.PublicKey, error) {
	var out []crypto.PublicKey
	kidSeen := false
	for _, k := range keys {
		if kid != "" && k.kid != kid {
			continue
		}
		kidSeen = true
		if k.fits(alg) {
			out = append(out, k.key)
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case kidSeen && kid != "":
		return nil, errKeyMismatch
	}
	return nil, errUnknownKey
}

// refresh fetches the key set, once for all concurrent callers. since is the
// attempt time the caller saw: if another attempt started after it, its
// result is used instead of fetching again.
func (c *keyCache) refresh(ctx context.Context, since time.Time) ([]publicKey, error) {
	return flight(ctx, &c.sf, "jwks", c.timeout, func(ctx context.Context) ([]publicKey, error) {
		c.mu.Lock()
		if c.triedAt.After(since) {
			keys, err := c.keys, c.lastErr
			c.mu.Unlock()
			return keys, err
		}
		c.mu.Unlock()
		keys, err := c.fetch(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.triedAt, c.lastErr = time.Now(), err
		if err != nil {
			return nil, err
		}
		c.keys, c.fetchedAt = keys, c.triedAt
		return keys, nil
	})
}

func (c *keyCache) fetch(ctx context.Context) ([]publicKey, error) {
	u, err := c.url(ctx)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := getJSON(ctx, c.client, u, &set); err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	keys, err := parseJWKS(set)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS %s: %w", u, err)
	}
	return keys, nil
}
