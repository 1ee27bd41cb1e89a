package fastmcp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Handles: cross-call state without sessions.
//
// The 2026-07-28 revision has no sessions: state that spans requests is
// referenced by an identifier the client passes back. A handle is such an
// identifier, minted by the server: a tool creates one with
// Context.NewHandle, stores what it needs in the handle's State, and returns
// the handle to the client (in its result); a later tool receives it as an
// ordinary string argument and opens it with Context.OpenHandle. The state
// lives in the server's StateStore (Options.StateStore), so every replica
// sharing the store and Options.Secret can open it.
//
// A handle is opaque, signed (HMAC-SHA256 with a key from Options.Secret),
// bound to the authenticated principal that created it (another principal
// cannot open it) and expiring. Handles work in both eras.

// ErrInvalidHandle is returned by Context.OpenHandle for a handle that is
// malformed, was not minted by this server (or its replicas), belongs to
// another principal or has expired, and by writes to the state of an expired
// handle. The reasons are deliberately not told apart.
var ErrInvalidHandle = errors.New("fastmcp: invalid or expired handle")

// DefaultHandleTTL is the lifetime of a handle created with a zero ttl.
const DefaultHandleTTL = time.Hour

const handlePrefix = "mcph1."

// NewHandle mints a handle that expires after ttl (DefaultHandleTTL when 0 or
// negative) and returns it with its State, empty, for the handler to fill.
// Return the handle to the client; it passes it back to a later request, whose
// handler opens it with OpenHandle.
func (c *Context) NewHandle(ttl time.Duration) (string, *State, error) {
	if ttl <= 0 {
		ttl = DefaultHandleTTL
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, fmt.Errorf("fastmcp: minting a handle: %w", err)
	}
	// Expiry travels in whole seconds, rounded up: a handle never expires
	// before its TTL.
	exp := time.Now().Add(ttl)
	if t := exp.Truncate(time.Second); t.Before(exp) {
		exp = t.Add(time.Second)
	}
	var body [24]byte
	copy(body[:16], id[:])
	binary.BigEndian.PutUint64(body[16:], uint64(exp.Unix()))
	mac := c.srv.handleMAC(&c.srv.keys.ring[0], body[:], principalOf(c.Auth()))
	h := handlePrefix + b64.EncodeToString(body[:]) + "." + b64.EncodeToString(mac)
	return h, c.srv.handleState(id, exp), nil
}

// OpenHandle returns the State of a handle minted by NewHandle, for the same
// principal, that has not expired; otherwise it fails with ErrInvalidHandle.
func (c *Context) OpenHandle(handle string) (*State, error) {
	id, exp, err := c.srv.verifyHandle(handle, principalOf(c.Auth()))
	if err != nil {
		return nil, err
	}
	return c.srv.handleState(id, exp), nil
}

// ReleaseHandle deletes the state of a handle before it expires. Opening the
// handle afterwards gives an empty State until it expires.
func (c *Context) ReleaseHandle(ctx context.Context, handle string) error {
	id, _, err := c.srv.verifyHandle(handle, principalOf(c.Auth()))
	if err != nil {
		return err
	}
	return c.srv.stateStore.Clear(ctx, handleScope(id))
}

// verifyHandle checks a handle's format, signature, principal and expiry.
func (s *Server) verifyHandle(handle, principal string) (id [16]byte, exp time.Time, err error) {
	rest, ok := strings.CutPrefix(handle, handlePrefix)
	if !ok {
		return id, exp, ErrInvalidHandle
	}
	enc, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return id, exp, ErrInvalidHandle
	}
	body, err1 := b64.DecodeString(enc)
	mac, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil || len(body) != 24 {
		return id, exp, ErrInvalidHandle
	}
	valid := false
	for i := range s.keys.ring {
		valid = valid || hmac.Equal(mac, s.handleMAC(&s.keys.ring[i], body, principal))
	}
	if !valid {
		return id, exp, ErrInvalidHandle
	}
	exp = time.Unix(int64(binary.BigEndian.Uint64(body[16:])), 0)
	if !time.Now().Before(exp) {
		return id, exp, ErrInvalidHandle
	}
	copy(id[:], body[:16])
	return id, exp, nil
}

// handleMAC authenticates a handle's body for a principal.
func (s *Server) handleMAC(k *tokenKeys, body []byte, principal string) []byte {
	m := hmac.New(sha256.New, k.handle[:])
	m.Write([]byte(handlePrefix))
	m.Write(body)
	m.Write([]byte{0})
	m.Write([]byte(principal))
	return m.Sum(nil)[:20]
}

func (s *Server) handleState(id [16]byte, exp time.Time) *State {
	return &State{store: s.stateStore, scope: handleScope(id), until: exp}
}

// handleScope is the StateStore scope of a handle's state.
func handleScope(id [16]byte) string { return "handle:" + hex.EncodeToString(id[:]) }
