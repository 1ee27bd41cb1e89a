package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// CIMDOptions turn on Client ID Metadata Documents (the MCP 2025-11-25
// registration mechanism, draft-ietf-oauth-client-id-metadata-document): a
// client may use an https URL as its client_id, and the proxy fetches the
// client's metadata from it instead of requiring registration.
//
// The fetch is an outbound request to a URL of the client's choosing, so it
// is guarded against server-side request forgery: https only, no redirects,
// no proxy, the address actually connected to must be public (loopback,
// private, link-local, shared, multicast and reserved ranges are refused at
// connection time, so DNS rebinding cannot slip past), a size cap and a
// timeout. Documents are cached in the Store.
//
// Such clients are public clients (token_endpoint_auth_method "none") and use
// PKCE S256. Their redirect URIs must be listed in the document, and be
// loopback URIs, allowed by Config.AllowedRedirectURIs, or on the host of the
// client_id URL itself.
type CIMDOptions struct {
	// MaxBytes caps the document. Default 5 KiB, as the MCP specification
	// suggests.
	MaxBytes int64
	// Timeout bounds the fetch. Default 5 seconds.
	Timeout time.Duration
	// CacheTTL is how long a fetched document is used. Default 15 minutes.
	CacheTTL time.Duration
}

// cimdFetcher fetches client metadata documents.
type cimdFetcher struct {
	maxBytes int64
	timeout  time.Duration
	cacheTTL time.Duration
	client   *http.Client

	// allowPrivate lets tests fetch documents from loopback over http.
	allowPrivate atomic.Bool
}

func newCIMDFetcher(opts CIMDOptions) *cimdFetcher {
	f := &cimdFetcher{
		maxBytes: cmp.Or(opts.MaxBytes, 5<<10),
		timeout:  cmp.Or(opts.Timeout, 5*time.Second),
		cacheTTL: cmp.Or(opts.CacheTTL, 15*time.Minute),
	}
	dialer := &net.Dialer{
		Timeout: f.timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			if f.allowPrivate.Load() {
				return nil
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("oauth: refusing to connect to %s", address)
			}
			if !publicAddr(ap.Addr()) {
				return fmt.Errorf("oauth: refusing to fetch a client metadata document from the non-public address %s", ap.Addr())
			}
			return nil
		},
	}
	f.client = &http.Client{
		Timeout: f.timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect for us, unchecked
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   f.timeout,
			ResponseHeaderTimeout: f.timeout,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

// nonPublic are the address ranges a metadata document is never fetched
// from, beyond what netip classifies (loopback, private, link-local,
// multicast, unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4 embeds IPv4 addresses
}

// publicAddr reports whether a is a globally routable unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// isCIMDClientID reports whether a client_id has the form of a metadata
// document URL, and if so whether the URL is acceptable: https, a path other
// than "/", no dot segments, fragment, or user information; and, before any
// DNS lookup, not naming a loopback or private host.
func (f *cimdFetcher) checkURL(clientID string) error {
	u, err := url.Parse(clientID)
	if err != nil || len(clientID) > 2000 {
		return errors.New("malformed client_id URL")
	}
	if u.Scheme != "https" && !(f.allowPrivate.Load() && u.Scheme == "http") {
		return errors.New("a client_id URL must use https")
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(clientID, "#") {
		return errors.New("a client_id URL must have a host and no user information or fragment")
	}
	if u.Path == "" || u.Path == "/" {
		return errors.New("a client_id URL must have a path")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." {
			return errors.New("a client_id URL must not have dot segments")
		}
	}
	if !f.allowPrivate.Load() {
		host := strings.ToLower(u.Hostname())
		if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
			return fmt.Errorf("refusing to fetch a client metadata document from %s", host)
		}
		if a, err := netip.ParseAddr(host); err == nil && !publicAddr(a) {
			return fmt.Errorf("refusing to fetch a client metadata document from the non-public address %s", host)
		}
	}
	return nil
}

// cimdDocument is the part of a client metadata document the proxy uses.
type cimdDocument struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	LogoURI                 string   `json:"logo_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope"`
}

// fetch retrieves and validates the document of clientID.
func (f *cimdFetcher) fetch(ctx context.Context, clientID string) (*cimdDocument, error) {
	if err := f.checkURL(clientID); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientID, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		// The cause stays in the log: it could tell the requester how
		// internal names resolve.
		return nil, &fetchError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the client metadata document answered %s", resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return nil, errors.New("the client metadata document is too large")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the client metadata document: %w", err)
	}
	if int64(len(body)) > f.maxBytes {
		return nil, errors.New("the client metadata document is too large")
	}
	var doc cimdDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the client metadata document is not valid JSON: %w", err)
	}
	switch {
	case doc.ClientID != clientID:
		return nil, errors.New("the client metadata document names another client_id")
	case len(doc.RedirectURIs) == 0:
		return nil, errors.New("the client metadata document lists no redirect_uris")
	case doc.TokenEndpointAuthMethod != "" && doc.TokenEndpointAuthMethod != "none":
		return nil, fmt.Errorf("token_endpoint_auth_method %q is not supported for metadata document clients", doc.TokenEndpointAuthMethod)
	}
	for _, ru := range doc.RedirectURIs {
		if _, err := parseRedirectURI(ru); err != nil {
			return nil, fmt.Errorf("the client metadata document lists an invalid redirect URI: %w", err)
		}
	}
	for _, g := range doc.GrantTypes {
		if !slices.Contains(supportedGrants, g) {
			return nil, fmt.Errorf("grant type %q is not supported", g)
		}
	}
	return &doc, nil
}

// fetchError is a failed connection to a document's host.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return "the document could not be fetched" }
func (e *fetchError) Unwrap() error { return e.err }
