package fastmcp_test

// OAuth discovery documents name the server by the request's Host: they pass
// the Host check of the DNS-rebinding protection like every other path.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

func TestOAuthDiscoveryHostCheck(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{OAuth: &fastmcp.OAuthDiscovery{
		ProtectedResource:   fastmcp.ProtectedResourceMetadata{AuthorizationServers: []string{"https://auth.example.com"}},
		AuthorizationServer: &fastmcp.AuthorizationServerMetadata{Issuer: "https://auth.example.com"},
	}}, nil)
	ts, _ := limHTTP(t, s, fastmcp.HTTP{AllowedHosts: []string{"mcp.example.com"}}, 0)
	port := ts.URL[strings.LastIndexByte(ts.URL, ':'):]
	for _, tc := range []struct {
		path, host string
		status     int
		resource   string
	}{
		{"/.well-known/oauth-protected-resource", "evil.example", http.StatusForbidden, ""},
		{"/.well-known/oauth-protected-resource/mcp", "evil.example" + port, http.StatusForbidden, ""},
		{"/.well-known/oauth-authorization-server", "evil.example", http.StatusForbidden, ""},
		{"/.well-known/oauth-protected-resource", "localhost" + port, http.StatusOK, "http://localhost" + port + "/mcp"},
		{"/.well-known/oauth-protected-resource", "127.0.0.1" + port, http.StatusOK, "http://127.0.0.1" + port + "/mcp"},
		{"/.well-known/oauth-protected-resource", "mcp.example.com", http.StatusOK, "http://mcp.example.com/mcp"},
		{"/.well-known/oauth-authorization-server", "localhost" + port, http.StatusOK, ""},
	} {
		r, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
		r.Host = tc.host
		r.Header.Set("Origin", "https://anywhere.example") // public documents: any origin
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Resource string `json:"resource"`
		}
		json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if resp.StatusCode != tc.status || doc.Resource != tc.resource {
			t.Errorf("GET %s with Host %s: %d, resource %q; want %d, %q", tc.path, tc.host, resp.StatusCode, doc.Resource, tc.status, tc.resource)
		}
	}
}
