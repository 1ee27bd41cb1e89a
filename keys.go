package fastmcp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// tokenKeys are the keys of the tokens a server mints for clients to hand
// back (requestState, handles), derived from one secret.
type tokenKeys struct {
	mac, enc, handle [32]byte
}

// keyRing holds the keys derived from Options.Secret (ring[0], which mints)
// and Options.PreviousSecrets (which still verify), so secrets rotate without
// refusing the tokens clients hold.
type keyRing struct {
	ring []tokenKeys
}

// newKeyRing derives the ring from the current secret and the previous ones.
func newKeyRing(secret []byte, previous [][]byte) keyRing {
	r := keyRing{ring: []tokenKeys{deriveKeys(secret)}}
	for i, p := range previous {
		if p == nil {
			panic(fmt.Sprintf("fastmcp: Options.PreviousSecrets[%d] is nil", i))
		}
		r.ring = append(r.ring, deriveKeys(p))
	}
	return r
}

// seal protects payload with the current keys (see tokenKeys.seal).
func (r *keyRing) seal(payload []byte, encrypt bool) string { return r.ring[0].seal(payload, encrypt) }

// open verifies a token with each key of the ring, newest first.
func (r *keyRing) open(token string) ([]byte, error) {
	for i := range r.ring {
		if payload, err := r.ring[i].open(token); err == nil {
			return payload, nil
		}
	}
	return nil, errBadToken
}

// minSecretLen is the shortest Options.Secret accepted.
const minSecretLen = 32

// deriveKeys derives the token keys from secret, or from a random secret
// when it is nil. It panics when secret is set but shorter than 32 bytes:
// a misconfiguration to catch at startup, not at the first retry.
func deriveKeys(secret []byte) tokenKeys {
	if secret == nil {
		secret = make([]byte, minSecretLen)
		rand.Read(secret)
	}
	if len(secret) < minSecretLen {
		panic(fmt.Sprintf("fastmcp: Options.Secret must be at least %d bytes, got %d", minSecretLen, len(secret)))
	}
	derive := func(label string) (k [32]byte) {
		h := hmac.New(sha256.New, secret)
		h.Write([]byte("fastmcp/" + label))
		copy(k[:], h.Sum(nil))
		return k
	}
	return tokenKeys{mac: derive("request-state-mac"), enc: derive("request-state-enc"), handle: derive("handle")}
}

var b64 = base64.RawURLEncoding

// Token prefixes: the format and its version.
const (
	signedPrefix    = "s1."
	encryptedPrefix = "e1."
)

// errBadToken is the error of a token that fails verification; the reason is
// deliberately not told apart.
var errBadToken = errors.New("the token is malformed or was not minted by this server")

// seal protects payload: signed with HMAC-SHA256, or encrypted and
// authenticated with AES-256-GCM when encrypt is set.
func (k *tokenKeys) seal(payload []byte, encrypt bool) string {
	if !encrypt {
		m := hmac.New(sha256.New, k.mac[:])
		m.Write(payload)
		return signedPrefix + b64.EncodeToString(payload) + "." + b64.EncodeToString(m.Sum(nil))
	}
	block, _ := aes.NewCipher(k.enc[:])
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(payload)+aead.Overhead())
	rand.Read(nonce)
	return encryptedPrefix + b64.EncodeToString(aead.Seal(nonce, nonce, payload, []byte(encryptedPrefix)))
}

// open verifies a token sealed by seal, in either form, and returns its
// payload.
func (k *tokenKeys) open(token string) ([]byte, error) {
	switch {
	case strings.HasPrefix(token, signedPrefix):
		body, sig, ok := strings.Cut(token[len(signedPrefix):], ".")
		if !ok {
			return nil, errBadToken
		}
		payload, err1 := b64.DecodeString(body)
		mac, err2 := b64.DecodeString(sig)
		if err1 != nil || err2 != nil {
			return nil, errBadToken
		}
		m := hmac.New(sha256.New, k.mac[:])
		m.Write(payload)
		if !hmac.Equal(mac, m.Sum(nil)) {
			return nil, errBadToken
		}
		return payload, nil
	case strings.HasPrefix(token, encryptedPrefix):
		raw, err := b64.DecodeString(token[len(encryptedPrefix):])
		if err != nil {
			return nil, errBadToken
		}
		block, _ := aes.NewCipher(k.enc[:])
		aead, _ := cipher.NewGCM(block)
		if len(raw) < aead.NonceSize()+aead.Overhead() {
			return nil, errBadToken
		}
		payload, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(encryptedPrefix))
		if err != nil {
			return nil, errBadToken
		}
		return payload, nil
	}
	return nil, errBadToken
}

// principalOf names the principal of auth data, for binding tokens to it: the
// subject of an Identity, else a digest of the data's JSON form. It is ""
// without auth data.
func principalOf(auth any) string {
	if auth == nil {
		return ""
	}
	if id, ok := auth.(Identity); ok {
		return "sub:" + id.AuthSubject()
	}
	raw, err := json.Marshal(auth)
	if err != nil {
		raw = fmt.Appendf(nil, "%T:%v", auth, auth)
	}
	sum := sha256.Sum256(raw)
	return "data:" + hex.EncodeToString(sum[:16])
}
