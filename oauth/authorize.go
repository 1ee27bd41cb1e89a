package oauth

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"

	"golang.org/x/oauth2"
)

// The browser part of the flow: the authorization request, the consent page,
// and the provider's callback.
//
// A transaction ties them together. It is bound to the browser that
// approved it by a cookie: the consent form's CSRF token is derived from the
// cookie, and the callback is honoured only in a browser presenting it, so
// an attacker cannot have a victim's browser approve or complete a
// transaction the attacker started.

// pkcePattern is the syntax of a code challenge and a code verifier
// (RFC 7636 §4.1, §4.2).
var pkcePattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func (p *Proxy) cookieName() string {
	if p.secure {
		return "__Host-fastmcp-oauth"
	}
	return "fastmcp-oauth"
}

// browserCookie returns the value of the binding cookie, if the request has
// a well-formed one.
func (p *Proxy) browserCookie(r *http.Request) (string, bool) {
	c, err := r.Cookie(p.cookieName())
	if err != nil || len(c.Value) != 43 {
		return "", false
	}
	return c.Value, true
}

// ensureBrowser returns the binding cookie, setting a new one if needed.
func (p *Proxy) ensureBrowser(w http.ResponseWriter, r *http.Request) string {
	if v, ok := p.browserCookie(r); ok {
		return v
	}
	v := randomToken(32)
	http.SetCookie(w, &http.Cookie{
		Name: p.cookieName(), Value: v, Path: "/",
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode,
	})
	return v
}

// serveAuthorize handles the authorization request (RFC 6749 §4.1.1 with
// PKCE, RFC 8707 resource). Failures before the redirect URI is known to be
// the client's are shown on a page; later ones go back to the client with
// state and iss (RFC 9207).
func (p *Proxy) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		renderError(w, http.StatusBadRequest, "The authorization request is malformed.")
		return
	}
	q := r.Form
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge", "code_challenge_method"} {
		if len(q[k]) > 1 {
			renderError(w, http.StatusBadRequest, "The authorization request repeats the parameter "+k+".")
			return
		}
	}
	client, err := p.loadClient(r.Context(), q.Get("client_id"))
	if err != nil {
		var ce *cimdError
		switch {
		case errors.As(err, &ce):
			renderError(w, http.StatusBadRequest, "The client's metadata document cannot be used: "+ce.err.Error()+".")
		case errors.Is(err, ErrNotFound):
			renderError(w, http.StatusBadRequest, "The application is not registered with this server (unknown client_id).")
		default:
			p.logger.Error("oauth: loading a client", "error", err)
			renderError(w, http.StatusInternalServerError, "The server could not load the application.")
		}
		return
	}
	redirect := q.Get("redirect_uri")
	given := redirect != ""
	switch {
	case given && !slices.Contains(client.RedirectURIs, redirect):
		renderError(w, http.StatusBadRequest, "The redirect URI is not registered for this application.")
		return
	case !given && len(client.RedirectURIs) != 1:
		renderError(w, http.StatusBadRequest, "The authorization request needs a redirect_uri.")
		return
	case !given:
		redirect = client.RedirectURIs[0]
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		redirectWith(w, r, redirect, url.Values{"error": {code}, "error_description": {desc}, "state": {state}, "iss": {p.issuer}})
	}

	method := q.Get("code_challenge_method")
	challenge := q.Get("code_challenge")
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case !client.can("authorization_code"):
		fail("unauthorized_client", "the client may not use the authorization code grant")
		return
	case len(state) > 1024:
		fail("invalid_request", "state is too long")
		return
	case challenge == "":
		fail("invalid_request", "code_challenge is required (PKCE)")
		return
	case method == "":
		method = "plain" // RFC 7636 §4.3
	}
	switch {
	case method != "S256" && method != "plain":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case method == "plain" && (!p.cfg.AllowPlainPKCE || client.CIMD):
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case !pkcePattern.MatchString(challenge) || (method == "S256" && len(challenge) != 43):
		fail("invalid_request", "code_challenge is malformed")
		return
	case !p.resourceOK(q["resource"]):
		fail("invalid_target", "the resource is not this server ("+p.resource+")")
		return
	}
	scopes, ok := p.grantScopes(q.Get("scope"))
	if !ok {
		fail("invalid_scope", "none of the requested scopes is supported")
		return
	}

	now := p.now()
	txn := &transaction{
		ID:            randomToken(32),
		ClientID:      client.ID,
		RedirectURI:   redirect,
		RedirectGiven: given,
		State:         state,
		Challenge:     challenge,
		Method:        method,
		Scopes:        scopes,
		Verifier:      oauth2.GenerateVerifier(),
		Nonce:         randomToken(16),
		Expires:       now.Add(p.cfg.TransactionTTL),
	}
	if p.cfg.SkipConsent {
		txn.Approved = true
		txn.Browser = hashKey("", p.ensureBrowser(w, r))
	}
	if err := p.put(r.Context(), "txn/"+txn.ID, txn, p.cfg.TransactionTTL); err != nil {
		p.logger.Error("oauth: storing a transaction", "error", err)
		fail("server_error", "the server could not store the request")
		return
	}
	if p.cfg.SkipConsent {
		p.toUpstream(w, r, txn)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, p.issuer+"/oauth/consent?transaction_id="+url.QueryEscape(txn.ID), http.StatusFound)
}

// loadTransaction returns a live transaction.
func (p *Proxy) loadTransaction(r *http.Request, id string, take bool) (*transaction, bool) {
	if id == "" || len(id) > 100 {
		return nil, false
	}
	var txn transaction
	var err error
	if take {
		err = p.take(r.Context(), "txn/"+id, &txn)
	} else {
		err = p.get(r.Context(), "txn/"+id, &txn)
	}
	if err != nil || !p.now().Before(txn.Expires) {
		return nil, false
	}
	return &txn, true
}

// serveConsent shows the consent page of a transaction.
func (p *Proxy) serveConsent(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("transaction_id")
	txn, ok := p.loadTransaction(r, id, false)
	if !ok {
		renderError(w, http.StatusBadRequest, "This authorization request is unknown or has expired.")
		return
	}
	client, err := p.loadClient(r.Context(), txn.ClientID)
	if err != nil {
		renderError(w, http.StatusBadRequest, "The application is no longer registered.")
		return
	}
	browser := p.ensureBrowser(w, r)
	provider := "your identity provider"
	if up, err := p.provider.Upstream(r.Context(), p.client); err == nil {
		if u, err := url.Parse(up.AuthURL); err == nil {
			provider = u.Host
		}
	}
	render(w, http.StatusOK, "consent", &consentPage{
		ClientName:    client.displayName(),
		ClientID:      client.ID,
		RedirectURI:   txn.RedirectURI,
		Server:        p.cfg.ServerName,
		Provider:      provider,
		Scopes:        txn.Scopes,
		Action:        p.issuer + "/oauth/consent",
		TransactionID: txn.ID,
		CSRF:          p.keys.csrfToken(txn.ID, browser),
	})
}

// serveConsentDecision takes the user's answer on the consent page.
func (p *Proxy) serveConsentDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		renderError(w, http.StatusBadRequest, "The form is malformed.")
		return
	}
	id := r.PostForm.Get("transaction_id")
	browser, ok := p.browserCookie(r)
	if !ok || !hmac.Equal([]byte(r.PostForm.Get("csrf_token")), []byte(p.keys.csrfToken(id, browser))) {
		p.logger.Warn("oauth: consent refused: CSRF check failed", "remote", r.RemoteAddr)
		renderError(w, http.StatusForbidden, "This approval did not come from the consent page shown in this browser. Start again from your application.")
		return
	}
	switch r.PostForm.Get("action") {
	case "deny":
		txn, ok := p.loadTransaction(r, id, true)
		if !ok {
			renderError(w, http.StatusBadRequest, "This authorization request is unknown or has expired.")
			return
		}
		redirectWith(w, r, txn.RedirectURI, url.Values{"error": {"access_denied"}, "error_description": {"the user denied the request"},
			"state": {txn.State}, "iss": {p.issuer}})
	case "approve":
		txn, ok := p.loadTransaction(r, id, false)
		if !ok {
			renderError(w, http.StatusBadRequest, "This authorization request is unknown or has expired.")
			return
		}
		txn.Approved = true
		txn.Browser = hashKey("", browser)
		if err := p.put(r.Context(), "txn/"+txn.ID, txn, txn.Expires.Sub(p.now())); err != nil {
			p.logger.Error("oauth: storing a transaction", "error", err)
			renderError(w, http.StatusInternalServerError, "The server could not store your decision.")
			return
		}
		p.toUpstream(w, r, txn)
	default:
		renderError(w, http.StatusBadRequest, "Choose Approve or Deny.")
	}
}

// toUpstream sends the browser to the provider's authorization endpoint,
// with the proxy's own PKCE and the transaction id as state.
func (p *Proxy) toUpstream(w http.ResponseWriter, r *http.Request, txn *transaction) {
	up, cfg, err := p.upstream(r.Context())
	if err != nil {
		p.logger.Error("oauth: provider configuration", "error", err)
		redirectWith(w, r, txn.RedirectURI, url.Values{"error": {"temporarily_unavailable"},
			"error_description": {"the identity provider is unavailable"}, "state": {txn.State}, "iss": {p.issuer}})
		return
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(txn.Verifier)}
	if up.OpenID {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", txn.Nonce))
	}
	for k, v := range up.AuthParams {
		if !slices.Contains(reservedAuthParams, k) {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, cfg.AuthCodeURL(txn.ID, opts...), http.StatusFound)
}

// serveCallback completes a transaction: it exchanges the provider's code,
// identifies the user, and sends the browser back to the client with the
// proxy's own authorization code.
func (p *Proxy) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	txn, ok := p.loadTransaction(r, q.Get("state"), false)
	if !ok {
		renderError(w, http.StatusBadRequest, "This sign-in is unknown, was already completed, or has expired.")
		return
	}
	// The binding is checked before the transaction is spent, so that
	// another browser replaying the callback cannot spoil the user's.
	browser, ok := p.browserCookie(r)
	if !txn.Approved || !ok || !hmac.Equal([]byte(hashKey("", browser)), []byte(txn.Browser)) {
		p.logger.Warn("oauth: callback refused: not the browser that approved the request", "client_id", txn.ClientID)
		renderError(w, http.StatusForbidden, "This sign-in must be completed in the browser that started it.")
		return
	}
	if _, ok := p.loadTransaction(r, txn.ID, true); !ok {
		renderError(w, http.StatusBadRequest, "This sign-in was already completed.")
		return
	}
	back := func(params url.Values) {
		params.Set("state", txn.State)
		params.Set("iss", p.issuer)
		redirectWith(w, r, txn.RedirectURI, params)
	}
	up, cfg, err := p.upstream(r.Context())
	if err != nil {
		p.logger.Error("oauth: provider configuration", "error", err)
		back(url.Values{"error": {"temporarily_unavailable"}, "error_description": {"the identity provider is unavailable"}})
		return
	}
	if iss := q.Get("iss"); iss != "" && up.Issuer != "" && iss != up.Issuer {
		// RFC 9207: the response comes from another authorization server.
		p.logger.Warn("oauth: callback refused: issuer mismatch", "iss", iss, "want", up.Issuer)
		back(url.Values{"error": {"server_error"}, "error_description": {"the identity provider's response is not from the expected issuer"}})
		return
	}
	if e := q.Get("error"); e != "" {
		if e != "access_denied" && e != "temporarily_unavailable" {
			p.logger.Warn("oauth: the provider refused the sign-in", "error", e, "description", q.Get("error_description"))
			e = "server_error"
		}
		back(url.Values{"error": {e}, "error_description": {"the identity provider did not sign the user in"}})
		return
	}
	ctx, cancel := p.upstreamContext(r.Context())
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(txn.Verifier))
	if err != nil {
		p.logger.Error("oauth: exchanging the provider's code", "error", err)
		back(url.Values{"error": {"server_error"}, "error_description": {"the identity provider's code exchange failed"}})
		return
	}
	nonce := ""
	if up.OpenID {
		nonce = txn.Nonce
	}
	id, err := p.provider.Identify(ctx, p.client, tok, nonce)
	if err != nil {
		p.logger.Error("oauth: identifying the user", "error", err)
		back(url.Values{"error": {"server_error"}, "error_description": {"the user could not be identified"}})
		return
	}
	code := randomToken(32)
	rec := &codeRecord{
		ClientID:      txn.ClientID,
		RedirectURI:   txn.RedirectURI,
		RedirectGiven: txn.RedirectGiven,
		Challenge:     txn.Challenge,
		Method:        txn.Method,
		Scopes:        txn.Scopes,
		Identity:      *id,
		Upstream:      p.upstreamFrom(tok, upstreamToken{}),
		Expires:       p.now().Add(p.cfg.CodeTTL),
	}
	if err := p.put(r.Context(), hashKey("code/", code), rec, p.cfg.CodeTTL); err != nil {
		p.logger.Error("oauth: storing a code", "error", err)
		back(url.Values{"error": {"server_error"}, "error_description": {"the server could not store the code"}})
		return
	}
	back(url.Values{"code": {code}})
}
