package fastmcp

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// isLoopbackConn reports whether the request arrived on a loopback address.
func isLoopbackConn(r *http.Request) bool {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostname returns the host part of a Host header or URL host, without port
// or brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// isLoopbackName reports whether a host name denotes this machine.
func isLoopbackName(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkHostAndOrigin enforces DNS-rebinding protection. It answers 403 and
// returns false for a refused request.
func (h *HTTPHandler) checkHostAndOrigin(w http.ResponseWriter, r *http.Request) bool {
	if h.opts.DisableDNSRebindingProtection {
		return true
	}
	loopback := isLoopbackConn(r)
	if !h.checkHost(w, r, loopback) {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" && (loopback || len(h.opts.AllowedOrigins) > 0) {
		// A page of the server's own origin is no rebinding attack: its
		// host passed the Host check above.
		if origin != requestBase(r) && !isLoopbackOrigin(origin) && !slices.Contains(h.opts.AllowedOrigins, origin) && !slices.Contains(h.opts.AllowedOrigins, "*") {
			h.srv.logger.Warn("fastmcp: refused request with an unexpected Origin (DNS-rebinding protection)", "origin", origin)
			writeJSONError(w, http.StatusForbidden, nil, CodeInvalidRequest, "Forbidden: Origin "+strconv.Quote(origin)+" is not allowed")
			return false
		}
	}
	return true
}

// checkHost is the Host half of checkHostAndOrigin: on a loopback address, or
// with AllowedHosts set, a Host that is neither loopback nor listed is
// refused. Public documents that echo the Host (OAuth metadata) pass it
// without the Origin check.
func (h *HTTPHandler) checkHost(w http.ResponseWriter, r *http.Request, loopback bool) bool {
	if h.opts.DisableDNSRebindingProtection {
		return true
	}
	if loopback || len(h.opts.AllowedHosts) > 0 {
		if !isLoopbackName(hostname(r.Host)) && !h.hostAllowed(r.Host) {
			h.srv.logger.Warn("fastmcp: refused request with an unexpected Host (DNS-rebinding protection)", "host", r.Host)
			writeJSONError(w, http.StatusForbidden, nil, CodeInvalidRequest, "Forbidden: Host header "+strconv.Quote(r.Host)+" is not allowed")
			return false
		}
	}
	return true
}

func (h *HTTPHandler) hostAllowed(host string) bool {
	name := hostname(host)
	for _, a := range h.opts.AllowedHosts {
		if strings.EqualFold(a, host) || strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

func isLoopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return isLoopbackName(u.Hostname())
}

var (
	defaultCORSAllowHeaders  = []string{"Content-Type", "Accept", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID", "Mcp-Method", "Mcp-Name"}
	defaultCORSExposeHeaders = []string{"Mcp-Session-Id", "WWW-Authenticate"}
)

// applyCORS sets CORS headers for browser clients. It answers OPTIONS requests
// itself and reports true for them.
func (h *HTTPHandler) applyCORS(w http.ResponseWriter, r *http.Request) bool {
	cors := h.opts.CORS
	if cors == nil {
		cors = &CORS{}
	}
	origin := r.Header.Get("Origin")
	if cors.Disabled || origin == "" {
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", "GET, POST, DELETE, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		return false
	}
	allowed := len(cors.AllowOrigins) == 0 || slices.Contains(cors.AllowOrigins, "*") || slices.Contains(cors.AllowOrigins, origin)
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	if allowed {
		if cors.AllowCredentials || (len(cors.AllowOrigins) > 0 && !slices.Contains(cors.AllowOrigins, "*")) {
			hdr.Set("Access-Control-Allow-Origin", origin)
		} else {
			hdr.Set("Access-Control-Allow-Origin", "*")
		}
		if cors.AllowCredentials {
			hdr.Set("Access-Control-Allow-Credentials", "true")
		}
		hdr.Set("Access-Control-Expose-Headers", strings.Join(append(slices.Clone(defaultCORSExposeHeaders), cors.ExposeHeaders...), ", "))
	}
	if r.Method != http.MethodOptions {
		return false
	}
	if allowed {
		hdr.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		allow := append(slices.Clone(defaultCORSAllowHeaders), cors.AllowHeaders...)
		// The Mcp-Param-{Name} headers of the 2026-07-28 revision are
		// named by each tool's schema: allow those the client asks for.
		for _, v := range r.Header.Values("Access-Control-Request-Headers") {
			for _, name := range strings.Split(v, ",") {
				name = strings.TrimSpace(name)
				if len(name) > len("mcp-param-") && strings.EqualFold(name[:len("mcp-param-")], "mcp-param-") && isToken(name) {
					allow = append(allow, name)
				}
			}
		}
		hdr.Set("Access-Control-Allow-Headers", strings.Join(allow, ", "))
		maxAge := cors.MaxAge
		if maxAge <= 0 {
			maxAge = 7200e9
		}
		hdr.Set("Access-Control-Max-Age", strconv.Itoa(int(maxAge.Seconds())))
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
