package interop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testhooks"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// TestCIMDRefusesNonPublicTargets: metadata document URLs that would make
// the proxy request an internal address, or that are malformed, are refused
// before any request.
func TestCIMDRefusesNonPublicTargets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.CIMD = &oauth.CIMDOptions{} })
	if !h.proxy.Metadata().ClientIDMetadataDocumentSupported {
		t.Error("the metadata does not advertise CIMD")
	}
	_, challenge := pkce()
	for _, id := range []string{
		"https://127.0.0.1/client.json",
		"https://127.0.0.1:8443/client.json",
		"https://[::1]/client.json",
		"https://[::ffff:127.0.0.1]/client.json",
		"https://10.1.2.3/client.json",
		"https://192.168.0.1/client.json",
		"https://169.254.169.254/latest/meta-data",
		"https://100.64.0.1/client.json",
		"https://0.0.0.0/client.json",
		"https://localhost/client.json",
		"https://metadata.google.internal/client.json",
		"http://client.example.com/client.json",
		"https://client.example.com",
		"https://client.example.com/",
		"https://user:pass@client.example.com/client.json",
		"https://client.example.com/a/../client.json",
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			resp, page, err := newBrowser(t).do(context.Background(), http.MethodGet, h.authorizeURL(client{ID: id}, challenge, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := "metadata document"
			if strings.HasPrefix(id, "http:") {
				want = "not registered" // not a metadata document URL at all
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) {
				t.Fatalf("got %d: %s", resp.StatusCode, page)
			}
			status, body, _ := h.postForm(t, "/oauth/token", client{}, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {id}})
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Errorf("token endpoint: %d %v", status, body)
			}
		})
	}
}

// TestCIMDFlow signs in with a metadata document client (served from
// loopback, which a test-only switch allows) and checks the document rules.
func TestCIMDFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *oauth.Config) { c.CIMD = &oauth.CIMDOptions{} })
	testhooks.AllowPrivateCIMD(h.proxy)

	docs := httptest.NewServer(nil)
	defer docs.Close()
	doc := func(mutate func(map[string]any)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			d := map[string]any{
				"client_id":                  docs.URL + r.URL.Path,
				"client_name":                "Metadata Client",
				"redirect_uris":              []string{clientRedirect},
				"grant_types":                []string{"authorization_code", "refresh_token"},
				"token_endpoint_auth_method": "none",
			}
			if mutate != nil {
				mutate(d)
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(d)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/good.json", doc(nil))
	mux.Handle("/other-id.json", doc(func(d map[string]any) { d["client_id"] = "https://elsewhere.example.com/c.json" }))
	mux.Handle("/secret.json", doc(func(d map[string]any) { d["token_endpoint_auth_method"] = "client_secret_basic" }))
	mux.Handle("/foreign-redirect.json", doc(func(d map[string]any) { d["redirect_uris"] = []string{"https://evil.example.com/cb"} }))
	mux.Handle("/big.json", doc(func(d map[string]any) { d["client_name"] = strings.Repeat("x", 6<<10) }))
	mux.Handle("/moved.json", http.RedirectHandler("/good.json", http.StatusFound))
	mux.Handle("/missing.json", http.NotFoundHandler())
	docs.Config.Handler = mux

	t.Run("sign-in", func(t *testing.T) {
		c := client{ID: docs.URL + "/good.json"}
		verifier, challenge := pkce()
		b := newBrowser(t)
		f, err := b.consent(context.Background(), h.authorizeURL(c, challenge, nil))
		if err != nil {
			t.Fatal(err)
		}
		cb, err := b.decide(context.Background(), f, "approve")
		if err != nil {
			t.Fatal(err)
		}
		status, body := h.redeem(t, c, grantResult{Code: cb.Query().Get("code"), Verifier: verifier})
		if status != http.StatusOK || body["refresh_token"] == nil {
			t.Fatalf("token: %d %v", status, body)
		}
	})
	for _, path := range []string{"/other-id.json", "/secret.json", "/foreign-redirect.json", "/big.json", "/moved.json", "/missing.json"} {
		t.Run(path, func(t *testing.T) {
			_, challenge := pkce()
			resp, page, err := newBrowser(t).do(context.Background(), http.MethodGet, h.authorizeURL(client{ID: docs.URL + path}, challenge, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "metadata document") {
				t.Fatalf("got %d: %s", resp.StatusCode, page)
			}
		})
	}
}
