package oauth

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// What the proxy stores, each value sealed with the encryption key and bound
// to its store key. Secrets (client secrets, codes, refresh tokens) appear
// only as SHA-256 hashes, in keys or fields.
//
//	client/<client_id>          clientRecord
//	cimd/<hash of URL>          clientRecord of a metadata document client
//	txn/<transaction id>        transaction (the id is also the upstream state)
//	code/<hash of code>         codeRecord
//	usedcode/<hash of code>     grant id, to detect a replayed code
//	grant/<grant id>            grant: identity and upstream tokens
//	refresh/<hash of token>     refreshRecord
//	usedrefresh/<hash of token> grant id, to detect a replayed refresh token
//	pt/<hash of token>          passthroughRecord (Passthrough mode)

// clientRecord is a registered client.
type clientRecord struct {
	ID           string   `json:"id"`
	SecretHash   string   `json:"secret,omitempty"` // empty: public client
	AuthMethod   string   `json:"auth"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grants"`
	Name         string   `json:"name,omitempty"`
	URI          string   `json:"uri,omitempty"`
	IssuedAt     int64    `json:"iat"`
	CIMD         bool     `json:"cimd,omitempty"`
}

func (c *clientRecord) can(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// displayName is how the consent page names the client.
func (c *clientRecord) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	if u, err := url.Parse(c.ID); err == nil && c.CIMD {
		return u.Host
	}
	return "An unnamed application"
}

// transaction is an authorization request in progress.
type transaction struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client"`
	RedirectURI   string    `json:"redirect_uri"`
	RedirectGiven bool      `json:"redirect_given,omitempty"`
	State         string    `json:"state,omitempty"`
	Challenge     string    `json:"challenge"`
	Method        string    `json:"method"`
	Scopes        []string  `json:"scopes"`
	Verifier      string    `json:"verifier"` // the proxy's PKCE verifier upstream
	Nonce         string    `json:"nonce,omitempty"`
	Approved      bool      `json:"approved,omitempty"`
	Browser       string    `json:"browser,omitempty"` // hash of the binding cookie
	Expires       time.Time `json:"exp"`
}

// upstreamToken is what the provider issued.
type upstreamToken struct {
	AccessToken  string    `json:"at"`
	TokenType    string    `json:"type,omitempty"`
	RefreshToken string    `json:"rt,omitempty"`
	IDToken      string    `json:"idt,omitempty"`
	Expiry       time.Time `json:"exp,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
}

// codeRecord is an authorization code the proxy issued.
type codeRecord struct {
	ClientID      string        `json:"client"`
	RedirectURI   string        `json:"redirect_uri"`
	RedirectGiven bool          `json:"redirect_given,omitempty"`
	Challenge     string        `json:"challenge"`
	Method        string        `json:"method"`
	Scopes        []string      `json:"scopes"`
	Identity      Identity      `json:"identity"`
	Upstream      upstreamToken `json:"upstream"`
	Expires       time.Time     `json:"exp"`
}

// grant is what the user granted one client at one sign-in: the family of
// all tokens issued from one authorization code. Revoking it revokes them
// all.
type grant struct {
	ID          string        `json:"id"`
	ClientID    string        `json:"client"`
	Scopes      []string      `json:"scopes"`
	Identity    Identity      `json:"identity"`
	Upstream    upstreamToken `json:"upstream"`
	Refresh     string        `json:"refresh,omitempty"`     // store key of the current refresh token
	Passthrough string        `json:"passthrough,omitempty"` // store key of the current passthrough token
	Created     time.Time     `json:"created"`
}

// refreshRecord is a refresh token the proxy issued.
type refreshRecord struct {
	Grant    string    `json:"grant"`
	ClientID string    `json:"client"`
	Expires  time.Time `json:"exp"`
}

// passthroughRecord is an upstream access token handed to a client.
type passthroughRecord struct {
	Grant    string    `json:"grant"`
	ClientID string    `json:"client"`
	Scopes   []string  `json:"scopes"`
	Expires  time.Time `json:"exp"`
}

// upstreamFrom records a token of the provider, measuring its lifetime on
// the proxy's clock. Values the provider left out (a refresh token, an ID
// token on refresh) are kept from prev.
func (p *Proxy) upstreamFrom(tok *oauth2.Token, prev upstreamToken) upstreamToken {
	u := upstreamToken{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: cmp.Or(tok.RefreshToken, prev.RefreshToken),
		IDToken:      prev.IDToken,
		Scopes:       prev.Scopes,
	}
	if idt, _ := tok.Extra("id_token").(string); idt != "" {
		u.IDToken = idt
	}
	if sc, _ := tok.Extra("scope").(string); sc != "" {
		// GitHub separates scopes with commas.
		u.Scopes = strings.FieldsFunc(sc, func(r rune) bool { return r == ' ' || r == ',' })
	}
	switch {
	case tok.ExpiresIn > 0:
		u.Expiry = p.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		u.Expiry = p.now().Add(time.Until(tok.Expiry))
	}
	return u
}

// loadClient returns a registered client, or the client a metadata document
// describes when client_id is its URL and CIMD is on.
func (p *Proxy) loadClient(ctx context.Context, id string) (*clientRecord, error) {
	if id == "" {
		return nil, ErrNotFound
	}
	if p.cimd != nil && (strings.HasPrefix(id, "https://") || (p.cimd.allowPrivate.Load() && strings.HasPrefix(id, "http://"))) {
		return p.cimdClient(ctx, id)
	}
	var c clientRecord
	if err := p.get(ctx, "client/"+id, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// cimdClient returns the client of a metadata document, from the cache or
// fetched.
func (p *Proxy) cimdClient(ctx context.Context, id string) (*clientRecord, error) {
	key := hashKey("cimd/", id)
	var c clientRecord
	if err := p.get(ctx, key, &c); err == nil {
		return &c, nil
	}
	doc, err := p.cimd.fetch(ctx, id)
	if err != nil {
		cause := err
		if fe := (*fetchError)(nil); errors.As(err, &fe) {
			cause = fe.err
		}
		p.logger.Info("oauth: client metadata document refused", "client_id", id, "error", cause)
		return nil, &cimdError{err}
	}
	idURL, _ := url.Parse(id)
	c = clientRecord{ID: id, AuthMethod: "none", Name: doc.ClientName, IssuedAt: p.now().Unix(), CIMD: true,
		GrantTypes: doc.GrantTypes}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{"authorization_code"}
	}
	if u, err := url.Parse(doc.ClientURI); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		c.URI = doc.ClientURI
	}
	for _, ru := range doc.RedirectURIs {
		u, _ := parseRedirectURI(ru)
		if redirectAllowed(u, p.cfg.AllowedRedirectURIs) || (u.Scheme == "https" && strings.EqualFold(u.Host, idURL.Host)) {
			c.RedirectURIs = append(c.RedirectURIs, ru)
		}
	}
	if len(c.RedirectURIs) == 0 {
		return nil, &cimdError{errors.New("none of the document's redirect URIs is allowed")}
	}
	if err := p.put(ctx, key, &c, p.cimd.cacheTTL); err != nil {
		return nil, err
	}
	return &c, nil
}

// cimdError is a metadata document that could not be used.
type cimdError struct{ err error }

func (e *cimdError) Error() string { return "client metadata document: " + e.err.Error() }
func (e *cimdError) Unwrap() error { return e.err }
