package oauth

import (
	"testing"
)

func TestRedirectPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, uri string
		want         bool
	}{
		{"https://app.example.com/callback", "https://app.example.com/callback", true},
		{"https://app.example.com/callback", "https://app.example.com/callback2", false},
		{"https://app.example.com/callback", "https://APP.example.com/callback", true},
		{"https://app.example.com/callback", "http://app.example.com/callback", false},
		{"https://*.example.com/callback", "https://a.example.com/callback", true},
		{"https://*.example.com/callback", "https://a.b.example.com/callback", false},
		{"https://*.example.com/callback", "https://example.com/callback", false},
		{"https://*.example.com/callback", "https://evil.com/x.example.com/callback", false},
		{"https://*.example.com/callback", "https://evilexample.com/callback", false},
		{"https://app.example.com/*", "https://app.example.com/a/b?c=d", true},
		{"https://app.example.com/*", "https://app.example.com.evil.com/a", false},
		{"https://app.example.com:*/cb", "https://app.example.com:8443/cb", true},
		{"https://app.example.com:*/cb", "https://app.example.com/cb", true},
		{"https://app.example.com/cb", "https://app.example.com:8443/cb", false},
		{"http://localhost:*", "http://localhost:1@evil.com/cb", false},
		{"https://app.example.com/cb?x=?", "https://app.example.com/cb?x=1", true},
		{"cursor://anysphere.cursor-retrieval/*", "cursor://anysphere.cursor-retrieval/oauth/callback", true},
		{"com.example.app:/*", "com.example.app:/oauth", true},
		{"com.example.app:/*", "com.evil.app:/oauth", false},
		{"https://[2001:db8::1]:*/cb", "https://[2001:db8::1]:443/cb", true},
	}
	for _, tt := range tests {
		u, err := parseRedirectURI(tt.uri)
		if err != nil {
			if tt.want {
				t.Errorf("%s: %v", tt.uri, err)
			}
			continue
		}
		if got := matchRedirectPattern(tt.pattern, u); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.uri, got, tt.want)
		}
	}
}

func TestLoopbackRedirects(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]bool{
		"http://127.0.0.1:3000/cb": true, "http://127.0.0.1/cb": true, "http://127.5.6.7:1/cb": true,
		"http://[::1]:8080/cb": true, "http://localhost:6274/cb": true, "https://localhost/cb": true,
		"http://localhost.evil.com/cb": false, "http://127.0.0.1.nip.io/cb": false, "http://10.0.0.1/cb": false,
		"myapp://localhost/cb": false,
	} {
		u, err := parseRedirectURI(uri)
		if err != nil {
			t.Errorf("%s: %v", uri, err)
			continue
		}
		if got := isLoopbackRedirect(u); got != want {
			t.Errorf("isLoopbackRedirect(%s) = %v, want %v", uri, got, want)
		}
	}
}
