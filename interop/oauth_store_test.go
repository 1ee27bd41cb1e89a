package interop_test

import (
	"testing"

	"github.com/fastmcp-go/fastmcp/oauth"
)

// The proxy on a FileStore, with a real upstream OpenID Provider.

// TestProxyOnFileStore runs a sign-in with the proxy's state in files, and
// a second proxy on the same directory (a restart) accepts the token.
func TestProxyOnFileStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var fs *oauth.FileStore
	h := newHarness(t, func(c *oauth.Config) {
		var err error
		fs, err = oauth.NewFileStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		c.Store = fs
	})
	access, refresh := h.tokens(t, h.registerDefault(t))
	if status, _ := h.mcpStatus(t, access); status != 200 {
		t.Fatalf("got %d", status)
	}
	restarted, _ := oauth.NewFileStore(dir)
	p2, err := oauth.NewProxy(oauth.Config{BaseURL: h.base, Provider: &oauth.GitHubProvider{ClientID: "x"}, Store: restarted,
		SigningKey: key(1), EncryptionKey: key(2), Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := newBearerRequest(h.mcpURL, access)
	if _, err := p2.Authenticate(req); err != nil {
		t.Errorf("after a restart: %v", err)
	}
	if refresh == "" {
		t.Error("no refresh token")
	}
}
