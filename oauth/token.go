package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// The token endpoint (authorization_code and refresh_token grants) and the
// revocation endpoint (RFC 7009).

// upstreamRefreshMargin: an upstream access token with less time left than
// this is renewed when the client refreshes.
const upstreamRefreshMargin = 5 * time.Minute

// tombstoneTTL is the least time a redeemed code is remembered, so that a
// replay is recognised and revokes what the code gave.
const tombstoneTTL = 10 * time.Minute

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// clientRequest parses a form POSTed by a client and authenticates the
// client (RFC 6749 §2.3): HTTP Basic or client_secret in the body for a
// confidential client, client_id alone for a public one.
func (p *Proxy) clientRequest(w http.ResponseWriter, r *http.Request) (url.Values, *clientRecord, *oauthError) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return nil, nil, errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return nil, nil, errInvalidRequest("the body is malformed or too large")
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 && k != "resource" {
			return nil, nil, errInvalidRequest("the parameter " + k + " is repeated")
		}
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the credentials are form-encoded before Basic.
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
		if form.Has("client_secret") {
			return nil, nil, errInvalidRequest("use one client authentication method, not two")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return nil, nil, errInvalidRequest("client_id differs from the authenticated client")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return nil, nil, errInvalidClient("client authentication is required")
	}
	client, err := p.loadClient(r.Context(), id)
	if err != nil {
		var ce *cimdError
		if errors.Is(err, ErrNotFound) || errors.As(err, &ce) {
			return nil, nil, errInvalidClient("unknown client")
		}
		p.logger.Error("oauth: loading a client", "error", err)
		return nil, nil, errServer("the client could not be loaded")
	}
	switch {
	case client.SecretHash == "" && secret != "":
		return nil, nil, errInvalidClient("this client has no secret")
	case client.SecretHash == "":
		// A public client: PKCE binds the code to it.
	case secret == "":
		return nil, nil, errInvalidClient("client authentication is required")
	case subtle.ConstantTimeCompare([]byte(hashKey("", secret)), []byte(client.SecretHash)) != 1:
		p.logger.Warn("oauth: client authentication failed", "client_id", id, "remote", r.RemoteAddr)
		return nil, nil, errInvalidClient("client authentication failed")
	}
	return form, client, nil
}

// serveToken is the token endpoint.
func (p *Proxy) serveToken(w http.ResponseWriter, r *http.Request) {
	form, client, oerr := p.clientRequest(w, r)
	if oerr == nil {
		switch gt := form.Get("grant_type"); gt {
		case "authorization_code":
			oerr = p.codeGrant(w, r, form, client)
		case "refresh_token":
			oerr = p.refreshGrant(w, r, form, client)
		case "":
			oerr = errInvalidRequest("grant_type is required")
		default:
			oerr = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + gt + " is not supported"}
		}
	}
	if oerr != nil {
		writeError(w, r, oerr)
	}
}

// codeGrant redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
func (p *Proxy) codeGrant(w http.ResponseWriter, r *http.Request, form url.Values, client *clientRecord) *oauthError {
	ctx := r.Context()
	code := form.Get("code")
	if code == "" {
		return errInvalidRequest("code is required")
	}
	var rec codeRecord
	// Taking the code first makes it single-use whatever follows: a failed
	// attempt (a wrong verifier) burns it too.
	if err := p.take(ctx, hashKey("code/", code), &rec); err != nil {
		var gid string
		if errors.Is(err, ErrNotFound) && p.get(ctx, hashKey("usedcode/", code), &gid) == nil {
			// RFC 6749 §4.1.2: a code used twice revokes what it gave.
			p.revokeGrant(ctx, gid, "authorization code replayed", "client_id", client.ID)
		}
		return errInvalidGrant("the authorization code is invalid, expired or already used")
	}
	gid := randomToken(18)
	if err := p.put(ctx, hashKey("usedcode/", code), gid, max(p.cfg.CodeTTL, tombstoneTTL)); err != nil {
		p.logger.Error("oauth: storing a used code", "error", err)
	}
	now := p.now()
	redirect := form.Get("redirect_uri")
	switch {
	case rec.ClientID != client.ID:
		p.logger.Warn("oauth: a client presented another client's code", "client_id", client.ID)
		return errInvalidGrant("the authorization code was issued to another client")
	case !now.Before(rec.Expires):
		return errInvalidGrant("the authorization code has expired")
	case (rec.RedirectGiven || redirect != "") && redirect != rec.RedirectURI:
		return errInvalidGrant("redirect_uri differs from the authorization request's")
	case !p.resourceOK(form["resource"]):
		return &oauthError{http.StatusBadRequest, "invalid_target", "the resource is not this server (" + p.resource + ")"}
	case !client.can("authorization_code"):
		return &oauthError{http.StatusBadRequest, "unauthorized_client", "the client may not use this grant"}
	}
	if oerr := checkPKCE(rec.Method, rec.Challenge, form.Get("code_verifier")); oerr != nil {
		return oerr
	}
	g := &grant{ID: gid, ClientID: client.ID, Scopes: rec.Scopes, Identity: rec.Identity, Upstream: rec.Upstream, Created: now}
	return p.issue(w, r, client, g, rec.Scopes)
}

// checkPKCE verifies a code verifier against the challenge of the
// authorization request, in constant time.
func checkPKCE(method, challenge, verifier string) *oauthError {
	if verifier == "" {
		return errInvalidGrant("code_verifier is required")
	}
	if !pkcePattern.MatchString(verifier) {
		return errInvalidGrant("code_verifier is malformed")
	}
	computed := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		computed = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) != 1 {
		return errInvalidGrant("PKCE verification failed: code_verifier does not match code_challenge")
	}
	return nil
}

// refreshGrant rotates a refresh token (RFC 6749 §6, OAuth 2.1 §4.3.1):
// the old one is spent, a new one is issued, and presenting a spent one
// again revokes the whole grant.
func (p *Proxy) refreshGrant(w http.ResponseWriter, r *http.Request, form url.Values, client *clientRecord) *oauthError {
	ctx := r.Context()
	rt := form.Get("refresh_token")
	if rt == "" {
		return errInvalidRequest("refresh_token is required")
	}
	if !client.can("refresh_token") {
		return &oauthError{http.StatusBadRequest, "unauthorized_client", "the client did not register the refresh_token grant"}
	}
	key := hashKey("refresh/", rt)
	used := hashKey("usedrefresh/", rt)
	var rec refreshRecord
	if err := p.take(ctx, key, &rec); err != nil {
		var gid string
		if errors.Is(err, ErrNotFound) && p.get(ctx, used, &gid) == nil {
			p.revokeGrant(ctx, gid, "refresh token replayed", "client_id", client.ID)
			return errInvalidGrant("the refresh token was already used; every token of this grant is now revoked")
		}
		return errInvalidGrant("the refresh token is invalid or expired")
	}
	now := p.now()
	if err := p.put(ctx, used, rec.Grant, rec.Expires.Sub(now)); err != nil {
		p.logger.Error("oauth: storing a used refresh token", "error", err)
	}
	if rec.ClientID != client.ID {
		p.revokeGrant(ctx, rec.Grant, "a client presented another client's refresh token", "client_id", client.ID)
		return errInvalidGrant("the refresh token was issued to another client")
	}
	if !now.Before(rec.Expires) {
		return errInvalidGrant("the refresh token has expired")
	}
	var g grant
	if err := p.get(ctx, "grant/"+rec.Grant, &g); err != nil {
		return errInvalidGrant("the grant was revoked")
	}
	if g.Refresh != key {
		p.revokeGrant(ctx, g.ID, "a superseded refresh token was presented", "client_id", client.ID)
		return errInvalidGrant("the refresh token was already used; every token of this grant is now revoked")
	}
	scopes := g.Scopes
	if s := form.Get("scope"); s != "" {
		scopes = strings.Fields(s)
		for _, sc := range scopes {
			if !slices.Contains(g.Scopes, sc) {
				return &oauthError{http.StatusBadRequest, "invalid_scope", "scope " + sc + " was not granted"}
			}
		}
	}
	if !p.resourceOK(form["resource"]) {
		return &oauthError{http.StatusBadRequest, "invalid_target", "the resource is not this server (" + p.resource + ")"}
	}
	if oerr := p.refreshUpstream(ctx, &g); oerr != nil {
		if oerr.Code == "temporarily_unavailable" {
			// Not the client's fault: give its refresh token back.
			p.store.Delete(ctx, used)
			p.put(ctx, key, &rec, rec.Expires.Sub(now))
		} else {
			p.revokeGrant(ctx, g.ID, "the provider refused to renew the sign-in")
		}
		return oerr
	}
	return p.issue(w, r, client, &g, scopes)
}

// refreshUpstream renews the upstream access token when it expires soon.
func (p *Proxy) refreshUpstream(ctx context.Context, g *grant) *oauthError {
	now := p.now()
	u := g.Upstream
	if u.Expiry.IsZero() || u.Expiry.Sub(now) > upstreamRefreshMargin {
		return nil
	}
	if u.RefreshToken == "" {
		if now.Before(u.Expiry) {
			return nil // issued tokens are cut to what is left
		}
		return errInvalidGrant("the sign-in at the identity provider has expired; authorize again")
	}
	_, cfg, err := p.upstream(ctx)
	if err != nil {
		p.logger.Error("oauth: provider configuration", "error", err)
		return errUnavailable("the identity provider is unavailable")
	}
	uctx, cancel := p.upstreamContext(ctx)
	defer cancel()
	tok, err := cfg.TokenSource(uctx, &oauth2.Token{RefreshToken: u.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.Response != nil && (re.Response.StatusCode == 400 || re.Response.StatusCode == 401)) {
			p.logger.Info("oauth: the provider refused a refresh", "error", err)
			return errInvalidGrant("the identity provider ended the sign-in; authorize again")
		}
		p.logger.Error("oauth: refreshing at the provider", "error", err)
		return errUnavailable("the identity provider is unavailable")
	}
	g.Upstream = p.upstreamFrom(tok, u)
	return nil
}

// issue answers a token request with an access token (and a refresh token
// when the client may refresh), and saves the grant.
func (p *Proxy) issue(w http.ResponseWriter, r *http.Request, client *clientRecord, g *grant, scopes []string) *oauthError {
	ctx := r.Context()
	now := p.now()
	exp := now.Add(p.cfg.AccessTokenTTL)
	if ue := g.Upstream.Expiry; !ue.IsZero() && ue.Before(exp) {
		exp = ue
	}
	if !exp.After(now) {
		return errInvalidGrant("the sign-in at the identity provider has expired; authorize again")
	}
	resp := &tokenResponse{TokenType: "Bearer", ExpiresIn: max(int64(exp.Sub(now)/time.Second), 1), Scope: strings.Join(scopes, " ")}
	if p.cfg.Passthrough {
		if g.Passthrough != "" {
			p.store.Delete(ctx, g.Passthrough)
		}
		resp.AccessToken = g.Upstream.AccessToken
		g.Passthrough = hashKey("pt/", resp.AccessToken)
		if err := p.put(ctx, g.Passthrough, &passthroughRecord{Grant: g.ID, ClientID: client.ID, Scopes: scopes, Expires: exp}, exp.Sub(now)); err != nil {
			p.logger.Error("oauth: storing a token", "error", err)
			return errServer("the token could not be stored")
		}
	} else {
		tok, err := p.signAccessToken(g, scopes, now, exp)
		if err != nil {
			p.logger.Error("oauth: signing a token", "error", err)
			return errServer("the token could not be signed")
		}
		resp.AccessToken = tok
	}
	ttl := exp.Sub(now)
	if client.can("refresh_token") {
		rt := randomToken(32)
		key := hashKey("refresh/", rt)
		if err := p.put(ctx, key, &refreshRecord{Grant: g.ID, ClientID: client.ID, Expires: now.Add(p.cfg.RefreshTokenTTL)}, p.cfg.RefreshTokenTTL); err != nil {
			p.logger.Error("oauth: storing a refresh token", "error", err)
			return errServer("the token could not be stored")
		}
		g.Refresh, resp.RefreshToken, ttl = key, rt, p.cfg.RefreshTokenTTL
	}
	if err := p.put(ctx, "grant/"+g.ID, g, ttl); err != nil {
		p.logger.Error("oauth: storing a grant", "error", err)
		return errServer("the grant could not be stored")
	}
	// A replay of the code or refresh token that led here may have revoked
	// the grant while it was being stored (on another replica, say), and
	// found nothing to revoke yet. revokeGrant marks the grant revoked before
	// it takes the grant, and the grant was stored before this check: either
	// the revocation took what was just stored, or the mark is seen here.
	var revoked bool
	if p.get(ctx, "revokedgrant/"+g.ID, &revoked) == nil {
		p.store.Delete(ctx, "grant/"+g.ID)
		if g.Refresh != "" {
			p.store.Delete(ctx, g.Refresh)
		}
		if g.Passthrough != "" {
			p.store.Delete(ctx, g.Passthrough)
		}
		return errInvalidGrant("the grant was revoked while its tokens were issued: a replayed code or refresh token revokes every token of its grant")
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// reservedClaims are the claims of the proxy's access tokens, which
// upstream claims cannot override.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "gid", "azp", "typ"}

// signAccessToken issues an RFC 9068 JWT access token for this server.
func (p *Proxy) signAccessToken(g *grant, scopes []string, now, exp time.Time) (string, error) {
	claims := jwt.MapClaims{}
	if p.cfg.Claims.InToken {
		for k, v := range p.passClaims(g.Identity.Claims) {
			if slices.Contains(reservedClaims, k) {
				continue
			}
			if b, err := json.Marshal(v); err != nil || len(b) > 2000 {
				continue
			}
			claims[k] = v
		}
	}
	claims["iss"] = p.issuer
	claims["sub"] = g.Identity.Subject
	claims["aud"] = p.resource
	claims["exp"] = exp.Unix()
	claims["iat"] = now.Unix()
	claims["jti"] = randomToken(16)
	claims["client_id"] = g.ClientID
	claims["scope"] = strings.Join(scopes, " ")
	claims["gid"] = g.ID
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	k := p.keys.signing[0]
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = k.id
	return t.SignedString(k.key)
}

// accessClaims are the claims the proxy reads back from its tokens.
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Grant    string `json:"gid"`
}

// parseAccessToken verifies a token the proxy issued: HS256 with one of its
// keys, typ at+jwt, its issuer, this server as audience and, unless
// ignoreExpiry, unexpired.
func (p *Proxy) parseAccessToken(raw string, ignoreExpiry bool) (*accessClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithIssuer(p.issuer),
		jwt.WithAudience(p.resource),
		jwt.WithTimeFunc(p.now),
		jwt.WithLeeway(5 * time.Second),
		jwt.WithIssuedAt(),
	}
	if ignoreExpiry {
		opts = append(opts, jwt.WithoutClaimsValidation())
	} else {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	var c accessClaims
	_, err := jwt.NewParser(opts...).ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") {
			return nil, errors.New("not an access token")
		}
		kid, _ := t.Header["kid"].(string)
		for _, k := range p.keys.signing {
			if k.id == kid {
				return k.key, nil
			}
		}
		return nil, errors.New("unknown signing key")
	})
	if err != nil {
		return nil, err
	}
	if ignoreExpiry && (c.Issuer != p.issuer) {
		return nil, errors.New("wrong issuer")
	}
	if c.Grant == "" || c.Subject == "" {
		return nil, errors.New("incomplete token")
	}
	return &c, nil
}

// serveRevoke is the revocation endpoint (RFC 7009). Revoking an access or
// refresh token revokes its whole grant, upstream tokens included. Unknown
// tokens, and tokens of other clients, are answered 200 and left alone, so
// that the endpoint tells nothing about them.
func (p *Proxy) serveRevoke(w http.ResponseWriter, r *http.Request) {
	form, client, oerr := p.clientRequest(w, r)
	if oerr != nil {
		writeError(w, r, oerr)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeError(w, r, errInvalidRequest("token is required"))
		return
	}
	ctx := r.Context()
	var gid, owner string
	var rr refreshRecord
	var pr passthroughRecord
	switch {
	case p.get(ctx, hashKey("refresh/", tok), &rr) == nil:
		gid, owner = rr.Grant, rr.ClientID
	case p.cfg.Passthrough && p.get(ctx, hashKey("pt/", tok), &pr) == nil:
		gid, owner = pr.Grant, pr.ClientID
	default:
		if c, err := p.parseAccessToken(tok, true); err == nil {
			gid, owner = c.Grant, c.ClientID
		}
	}
	if gid != "" && owner == client.ID {
		p.revokeGrant(ctx, gid, "")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revokeGrant ends a grant: its tokens stop working at once, and the
// upstream tokens are revoked at the provider when it has a revocation
// endpoint. A non-empty reason is logged as a security event.
func (p *Proxy) revokeGrant(ctx context.Context, gid, reason string, attrs ...any) {
	// The mark first: a token request storing this grant right now checks
	// it after storing (see issue), so the grant cannot outlive this call.
	if err := p.put(ctx, "revokedgrant/"+gid, true, tombstoneTTL); err != nil {
		p.logger.Error("oauth: marking a grant revoked", "error", err)
	}
	var g grant
	if err := p.take(ctx, "grant/"+gid, &g); err != nil {
		return
	}
	if reason != "" {
		p.logger.Warn("oauth: grant revoked: "+reason, append(attrs, "grant_client_id", g.ClientID, "subject", g.Identity.Subject)...)
	}
	if g.Refresh != "" {
		p.store.Delete(ctx, g.Refresh)
	}
	if g.Passthrough != "" {
		p.store.Delete(ctx, g.Passthrough)
	}
	p.revokeUpstream(ctx, &g.Upstream)
}

// revokeUpstream revokes upstream tokens at the provider's RFC 7009
// endpoint, best effort.
func (p *Proxy) revokeUpstream(ctx context.Context, u *upstreamToken) {
	up, err := p.provider.Upstream(ctx, p.client)
	if err != nil || up.RevocationURL == "" {
		return
	}
	tok, hint := u.RefreshToken, "refresh_token"
	if tok == "" {
		tok, hint = u.AccessToken, "access_token"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.UpstreamTimeout)
	defer cancel()
	body := url.Values{"token": {tok}, "token_type_hint": {hint}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, up.RevocationURL, strings.NewReader(body.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(up.ClientID), url.QueryEscape(up.ClientSecret))
	resp, err := p.client.Do(req)
	if err != nil {
		p.logger.Info("oauth: revoking at the provider", "error", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.logger.Info("oauth: revoking at the provider", "status", resp.Status)
	}
}
