package oauth

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Dynamic client registration (RFC 7591).

// maxBody caps the bodies of the proxy's endpoints.
const maxBody = 64 << 10

// registration is the client metadata of a registration request, and of the
// answer.
type registration struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
}

type registrationResponse struct {
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	registration
}

func errClientMetadata(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_client_metadata", desc}
}

// serveRegister registers a client: 201 with its id and, for a confidential
// client, its secret, which is stored only as a hash.
func (p *Proxy) serveRegister(w http.ResponseWriter, r *http.Request) {
	var md registration
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&md); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, r, errClientMetadata("the registration request is too large"))
			return
		}
		writeError(w, r, errClientMetadata("the body must be a JSON object of client metadata"))
		return
	}
	if err := p.checkRegistration(&md); err != nil {
		writeError(w, r, err)
		return
	}
	c := clientRecord{
		ID:           randomHex(16),
		AuthMethod:   md.TokenEndpointAuthMethod,
		RedirectURIs: md.RedirectURIs,
		GrantTypes:   md.GrantTypes,
		Name:         md.ClientName,
		URI:          md.ClientURI,
		IssuedAt:     p.now().Unix(),
	}
	resp := registrationResponse{ClientID: c.ID, ClientIDIssuedAt: c.IssuedAt, registration: md}
	if c.AuthMethod != "none" {
		secret := randomToken(32)
		c.SecretHash = hashKey("", secret)
		var never int64
		resp.ClientSecret, resp.ClientSecretExpiresAt = secret, &never
	}
	if err := p.put(r.Context(), "client/"+c.ID, &c, p.cfg.ClientTTL); err != nil {
		p.logger.Error("oauth: storing a client", "error", err)
		writeError(w, r, errServer("the client could not be stored"))
		return
	}
	writeJSON(w, http.StatusCreated, &resp)
}

// checkRegistration validates client metadata and fills in the defaults.
func (p *Proxy) checkRegistration(md *registration) *oauthError {
	if len(md.RedirectURIs) == 0 {
		return &oauthError{http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required"}
	}
	if len(md.RedirectURIs) > 20 {
		return &oauthError{http.StatusBadRequest, "invalid_redirect_uri", "too many redirect_uris"}
	}
	for _, ru := range md.RedirectURIs {
		u, err := parseRedirectURI(ru)
		if err != nil {
			return &oauthError{http.StatusBadRequest, "invalid_redirect_uri", fmt.Sprintf("%q: %v", ru, err)}
		}
		if !redirectAllowed(u, p.cfg.AllowedRedirectURIs) {
			return &oauthError{http.StatusBadRequest, "invalid_redirect_uri",
				fmt.Sprintf("%q is not allowed: only loopback redirect URIs are accepted unless the server allows others", ru)}
		}
	}
	switch md.TokenEndpointAuthMethod {
	case "":
		md.TokenEndpointAuthMethod = "client_secret_basic" // RFC 7591 §2
	case "client_secret_basic", "client_secret_post", "none":
	default:
		return errClientMetadata(fmt.Sprintf("token_endpoint_auth_method %q is not supported", md.TokenEndpointAuthMethod))
	}
	if len(md.GrantTypes) == 0 {
		md.GrantTypes = slices.Clone(supportedGrants)
	}
	for _, g := range md.GrantTypes {
		if !slices.Contains(supportedGrants, g) {
			return errClientMetadata(fmt.Sprintf("grant type %q is not supported", g))
		}
	}
	if !slices.Contains(md.GrantTypes, "authorization_code") {
		return errClientMetadata("grant_types must include authorization_code")
	}
	if len(md.ResponseTypes) == 0 {
		md.ResponseTypes = []string{"code"}
	}
	for _, t := range md.ResponseTypes {
		if t != "code" {
			return errClientMetadata(fmt.Sprintf("response type %q is not supported", t))
		}
	}
	if len(md.ClientName) > 200 {
		return errClientMetadata("client_name is too long")
	}
	for name, v := range map[string]string{"client_uri": md.ClientURI, "logo_uri": md.LogoURI, "tos_uri": md.TOSURI, "policy_uri": md.PolicyURI} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errClientMetadata(name + " must be an http(s) URL")
		}
	}
	// Scopes outside the proxy's are dropped rather than refused (RFC 7591
	// §2 lets the server decide); the authorization request decides anyway.
	var scopes []string
	for _, s := range strings.Fields(md.Scope) {
		if slices.Contains(p.scopes, s) {
			scopes = append(scopes, s)
		}
	}
	md.Scope = strings.Join(scopes, " ")
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
