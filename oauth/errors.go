package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// oauthError is an OAuth 2.0 error response (RFC 6749 §5.2, RFC 7591 §3.2.2,
// RFC 7009 §2.2.1).
type oauthError struct {
	status int
	Code   string `json:"error"`
	Desc   string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Desc }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func errInvalidClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

func errServer(desc string) *oauthError {
	return &oauthError{http.StatusInternalServerError, "server_error", desc}
}

func errUnavailable(desc string) *oauthError {
	return &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable", desc}
}

// writeError answers a token, registration or revocation request with an
// OAuth error. An invalid_client answer to a client that tried HTTP Basic
// carries the Basic challenge RFC 6749 §5.2 requires.
func writeError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		if _, _, basic := r.BasicAuth(); basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		}
	}
	writeJSON(w, e.status, e)
}

// writeJSON answers with a JSON body that no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(body)
}

// redirectWith sends the browser to a client redirect URI with parameters
// added to its query (existing ones are kept, RFC 6749 §3.1.2).
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		renderError(w, http.StatusBadRequest, "The client's redirect URI is invalid.")
		return
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}
