package oauth

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Redirect URIs: which a client may register, and how the patterns of
// Config.AllowedRedirectURIs match them (the syntax is in the package
// documentation).

var errRedirect = errors.New("redirect URIs must be absolute, without fragment or user information")

// parseRedirectURI checks the form of a redirect URI.
func parseRedirectURI(s string) (*url.URL, error) {
	if s == "" || len(s) > 2000 {
		return nil, errRedirect
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Fragment != "" || u.RawFragment != "" || strings.Contains(s, "#") || u.User != nil {
		return nil, errRedirect
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return nil, errors.New("redirect URI scheme " + u.Scheme + " is not allowed")
	case "http", "https":
		if u.Host == "" {
			return nil, errRedirect
		}
	}
	return u, nil
}

// isLoopbackRedirect reports whether u sends the response to this machine.
func isLoopbackRedirect(u *url.URL) bool {
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// redirectAllowed reports whether a (parsed) redirect URI may be registered.
func redirectAllowed(u *url.URL, patterns []string) bool {
	if isLoopbackRedirect(u) {
		return true
	}
	for _, p := range patterns {
		if matchRedirectPattern(p, u) {
			return true
		}
	}
	return false
}

// matchRedirectPattern matches u against one pattern; see the comment at the
// top of this file.
func matchRedirectPattern(pattern string, u *url.URL) bool {
	pScheme, rest, ok := strings.Cut(pattern, "://")
	if !ok || u.Host == "" {
		return u.Host == "" && !ok && globMatch(pattern, u.String(), 0)
	}
	authority, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	pHost, pPort := authority, ""
	if strings.HasPrefix(authority, "[") {
		if i := strings.Index(authority, "]"); i >= 0 {
			pHost, pPort = authority[1:i], strings.TrimPrefix(authority[i+1:], ":")
		}
	} else if i := strings.LastIndex(authority, ":"); i >= 0 {
		pHost, pPort = authority[:i], authority[i+1:]
	}
	uPathQuery := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		uPathQuery += "?" + u.RawQuery
	}
	if pathQuery == "" {
		pathQuery = "/"
	}
	if uPathQuery == "" {
		uPathQuery = "/"
	}
	return globMatch(strings.ToLower(pScheme), strings.ToLower(u.Scheme), 0) &&
		globMatch(strings.ToLower(pHost), strings.ToLower(u.Hostname()), '.') &&
		(pPort == "*" || pPort == u.Port()) &&
		globMatch(pathQuery, uPathQuery, 0)
}

// globMatch matches s against a pattern of "*" (any run of characters other
// than sep) and "?" (one character other than sep). With sep 0, "*" matches
// anything. It backtracks to the last star only, which suffices for globs.
func globMatch(p, s string, sep byte) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == s[si] || p[pi] == '?') && (sep == 0 || s[si] != sep || p[pi] == sep):
			pi++
			si++
		case star >= 0 && (sep == 0 || s[mark] != sep):
			mark++
			si = mark
			pi = star + 1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
