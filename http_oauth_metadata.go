package fastmcp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// OAuth discovery: the metadata documents MCP clients read to learn how to
// obtain a token for this server.

// OAuthDiscovery configures the OAuth discovery endpoints, served when
// Options.OAuth is set:
//
//   - RFC 9728 protected resource metadata at
//     /.well-known/oauth-protected-resource and at the sub-path form
//     /.well-known/oauth-protected-resource<BasePath><Endpoint>;
//   - RFC 8414 authorization server metadata, when AuthorizationServer is set,
//     at /.well-known/oauth-authorization-server and, with a BasePath, at the
//     path-inserted form /.well-known/oauth-authorization-server<BasePath>.
//
// The documents are public (no authentication, no Origin check, CORS open to
// every origin) and their JSON members are snake_case as the RFCs define them.
// They name the server by the request's Host, so the Host check of the
// DNS-rebinding protection applies (see HTTP.AllowedHosts): on a loopback
// address, a Host that is neither loopback nor allowed is refused with 403. With discovery on, the WWW-Authenticate challenge of a 401 names
// the protected resource metadata URL (resource_metadata, RFC 9728 §5.1).
type OAuthDiscovery struct {
	// ProtectedResource describes this server as an OAuth protected
	// resource; required. Its Resource is this server's URL (for example
	// https://mcp.example.com/mcp); left empty, it is derived from each
	// request (scheme, Host, BasePath and Endpoint).
	ProtectedResource ProtectedResourceMetadata
	// AuthorizationServer, when set, is served as RFC 8414 metadata: for a
	// server that is its own authorization server or proxies one.
	AuthorizationServer *AuthorizationServerMetadata
}

// ProtectedResourceMetadata is RFC 9728 protected resource metadata.
type ProtectedResourceMetadata struct {
	// Resource is the protected resource's identifier, its URL.
	Resource string `json:"resource"`
	// AuthorizationServers lists the issuer URLs of the authorization
	// servers that issue tokens for this resource.
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	// JWKSURI is the URL of the resource's own signing keys, if any.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// ScopesSupported lists the scopes the resource understands.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// BearerMethodsSupported lists how tokens may be sent: "header",
	// "body", "query". MCP uses "header".
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`
	// ResourceSigningAlgValuesSupported lists the algorithms the resource
	// signs responses with.
	ResourceSigningAlgValuesSupported []string `json:"resource_signing_alg_values_supported,omitempty"`
	// ResourceName is a human-readable name of the resource.
	ResourceName string `json:"resource_name,omitempty"`
	// ResourceDocumentation is the URL of developer documentation.
	ResourceDocumentation string `json:"resource_documentation,omitempty"`
	// ResourcePolicyURI is the URL of the data-use policy.
	ResourcePolicyURI string `json:"resource_policy_uri,omitempty"`
	// ResourceTOSURI is the URL of the terms of service.
	ResourceTOSURI string `json:"resource_tos_uri,omitempty"`
	// TLSClientCertificateBoundAccessTokens says tokens are bound to mTLS
	// client certificates (RFC 8705).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// AuthorizationDetailsTypesSupported lists RFC 9396 authorization
	// details types.
	AuthorizationDetailsTypesSupported []string `json:"authorization_details_types_supported,omitempty"`
	// DPoPSigningAlgValuesSupported lists the DPoP proof algorithms
	// (RFC 9449).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`
	// DPoPBoundAccessTokensRequired says tokens must be DPoP-bound.
	DPoPBoundAccessTokensRequired bool `json:"dpop_bound_access_tokens_required,omitempty"`
}

// AuthorizationServerMetadata is RFC 8414 authorization server metadata.
type AuthorizationServerMetadata struct {
	// Issuer is the authorization server's issuer identifier; required.
	Issuer string `json:"issuer"`
	// AuthorizationEndpoint is the URL of the authorization endpoint.
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	// TokenEndpoint is the URL of the token endpoint.
	TokenEndpoint string `json:"token_endpoint,omitempty"`
	// JWKSURI is the URL of the server's signing keys.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// RegistrationEndpoint is the URL of dynamic client registration
	// (RFC 7591).
	RegistrationEndpoint string `json:"registration_endpoint,omitempty"`
	// ScopesSupported lists the scopes the server supports.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// ResponseTypesSupported lists the response types; required by RFC 8414
	// ("code" for MCP).
	ResponseTypesSupported []string `json:"response_types_supported"`
	// ResponseModesSupported lists the response modes.
	ResponseModesSupported []string `json:"response_modes_supported,omitempty"`
	// GrantTypesSupported lists the grant types ("authorization_code",
	// "refresh_token", ...).
	GrantTypesSupported []string `json:"grant_types_supported,omitempty"`
	// TokenEndpointAuthMethodsSupported lists how clients authenticate at the
	// token endpoint ("client_secret_basic", "none", ...).
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// TokenEndpointAuthSigningAlgValuesSupported lists the algorithms of
	// signed client authentication.
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	// ServiceDocumentation is the URL of developer documentation.
	ServiceDocumentation string `json:"service_documentation,omitempty"`
	// UILocalesSupported lists the languages of the user interface.
	UILocalesSupported []string `json:"ui_locales_supported,omitempty"`
	// OpPolicyURI is the URL of the data-use policy.
	OpPolicyURI string `json:"op_policy_uri,omitempty"`
	// OpTOSURI is the URL of the terms of service.
	OpTOSURI string `json:"op_tos_uri,omitempty"`
	// RevocationEndpoint is the URL of token revocation (RFC 7009).
	RevocationEndpoint string `json:"revocation_endpoint,omitempty"`
	// RevocationEndpointAuthMethodsSupported lists how clients authenticate
	// at the revocation endpoint.
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	// IntrospectionEndpoint is the URL of token introspection (RFC 7662).
	IntrospectionEndpoint string `json:"introspection_endpoint,omitempty"`
	// IntrospectionEndpointAuthMethodsSupported lists how clients
	// authenticate at the introspection endpoint.
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	// CodeChallengeMethodsSupported lists the PKCE methods; MCP requires
	// "S256".
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported,omitempty"`
	// AuthorizationResponseIssParameterSupported says authorization
	// responses carry iss (RFC 9207).
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// ClientIDMetadataDocumentSupported says clients may use a URL as their
	// client id (Client ID Metadata Documents).
	ClientIDMetadataDocumentSupported bool `json:"client_id_metadata_document_supported,omitempty"`
}

const (
	wellKnownProtectedResource = "/.well-known/oauth-protected-resource"
	wellKnownAuthServer        = "/.well-known/oauth-authorization-server"
)

// serveDiscovery answers the OAuth discovery paths. It reports whether r was
// one of them.
func (h *HTTPHandler) serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	d := h.srv.opts.OAuth
	if d == nil {
		return false
	}
	path := r.URL.Path
	var doc any
	switch {
	case path == wellKnownProtectedResource || path == wellKnownProtectedResource+h.endpoint:
		prm := d.ProtectedResource
		if prm.Resource == "" {
			prm.Resource = h.resourceURL(r)
		}
		doc = &prm
	case d.AuthorizationServer != nil && (path == wellKnownAuthServer || (h.opts.BasePath != "" && path == wellKnownAuthServer+h.opts.BasePath)):
		doc = d.AuthorizationServer
	default:
		return false
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		hdr.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		hdr.Set("Access-Control-Allow-Headers", "MCP-Protocol-Version")
		w.WriteHeader(http.StatusNoContent)
		return true
	default:
		hdr.Set("Allow", "GET, HEAD, OPTIONS")
		writeJSONError(w, http.StatusMethodNotAllowed, nil, CodeInvalidRequest, "Method Not Allowed")
		return true
	}
	body, err := json.Marshal(doc)
	if err != nil {
		h.srv.logger.Error("fastmcp: encoding OAuth metadata", "error", err)
		writeJSONError(w, http.StatusInternalServerError, nil, CodeInternalError, "Internal error")
		return true
	}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
	return true
}

// requestBase returns the scheme and host the client used to reach r, honouring
// X-Forwarded-Proto for a TLS-terminating proxy.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// resourceURL is the URL of the MCP endpoint as the client reached it.
func (h *HTTPHandler) resourceURL(r *http.Request) string {
	return requestBase(r) + h.endpoint
}

// resourceMetadataURL is the URL of the protected resource metadata, for the
// resource_metadata parameter of WWW-Authenticate challenges: the sub-path
// form under the resource's origin.
func (h *HTTPHandler) resourceMetadataURL(r *http.Request) string {
	base := requestBase(r)
	path := h.endpoint
	if res := h.srv.opts.OAuth.ProtectedResource.Resource; res != "" {
		if u, err := url.Parse(res); err == nil && u.Scheme != "" && u.Host != "" {
			base = u.Scheme + "://" + u.Host
			path = strings.TrimRight(u.Path, "/")
		}
	}
	return base + wellKnownProtectedResource + path
}

// withResourceMetadata adds resource_metadata to a Bearer challenge that lacks
// it.
func withResourceMetadata(challenge, metadataURL string) string {
	if !strings.HasPrefix(challenge, "Bearer") || strings.Contains(challenge, "resource_metadata=") {
		return challenge
	}
	param := `resource_metadata="` + metadataURL + `"`
	if strings.TrimSpace(challenge) == "Bearer" {
		return "Bearer " + param
	}
	return challenge + ", " + param
}
