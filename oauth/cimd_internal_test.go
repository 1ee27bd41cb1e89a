package oauth

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestCIMDDialRefusesLoopback: even when a name passes the URL checks, the
// connection itself is refused when the address is not public (as after a
// DNS answer pointing inside).
func TestCIMDDialRefusesLoopback(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(nil)
	defer ts.Close()
	f := newCIMDFetcher(CIMDOptions{})
	_, err := f.client.Get(ts.URL)
	if err == nil || !strings.Contains(err.Error(), "non-public address") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "224.0.0.1": false,
		"255.255.255.255": false, "::1": false, "fe80::1": false, "fc00::1": false, "::": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2001:db8::1": false,
		"198.18.0.1": false, "192.0.2.1": false,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}
