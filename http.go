package fastmcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"
)

// HTTP serves the server over Streamable HTTP (protocol revisions 2025-03-26
// and later) at Endpoint, the legacy HTTP+SSE transport (2024-11-05) at /sse and
// /messages, health and readiness probes, and the server's custom routes, all on
// one port. Pass it to Server.Start, or use Server.Handler to mount the same
// surface in your own http.Server.
//
// The zero value serves http://127.0.0.1:8080/mcp with sessions, an idle-session
// reaper, a body limit, DNS-rebinding protection for loopback addresses and
// CORS for browser clients. Every field documents its default.
type HTTP struct {
	// Addr is the address to listen on, host:port. Default "127.0.0.1:8080"
	// (Host and Port, when set, take precedence over the parts of Addr).
	Addr string
	// Host to listen on; overrides the host of Addr. Default "127.0.0.1".
	Host string
	// Port to listen on; overrides the port of Addr. Default 8080. Use -1 for
	// a free port chosen by the system (see OnListen).
	Port int
	// OnListen, when set, is called with the listener's address once the
	// server accepts connections (useful with Port -1).
	OnListen func(addr net.Addr)

	// BasePath prefixes every path served: the endpoint, /sse, /messages,
	// health, readiness. Default "".
	BasePath string
	// Endpoint is the Streamable HTTP path. Default "/mcp".
	Endpoint string

	// Stateless serves every POST on its own, without sessions: no
	// Mcp-Session-Id, GET and DELETE answer 405. Requests that need a session
	// (sampling, elicitation, roots, subscriptions) fail at once with a clear
	// error. Default false.
	Stateless bool
	// JSONResponse answers every POST with application/json, never opening an
	// SSE stream. Messages a handler sends before its result (progress, logs,
	// server requests) then go to the session's GET stream if one is open, and
	// are dropped otherwise. Default false: a POST is answered with JSON unless
	// the handler sends such a message, which upgrades the answer to SSE.
	JSONResponse bool

	// SessionIdleTimeout ends sessions that have had no request and no open
	// stream for this long. Default 30 minutes; negative disables the reaper.
	SessionIdleTimeout time.Duration
	// MaxSessions caps the number of live sessions. When it is reached, the
	// oldest session still in its handshake (see HandshakeTimeout) is ended
	// to make room; a session whose client completed the handshake is never
	// ended for a newcomer: when there is no session in its handshake, a new
	// session is refused with 503 and Retry-After. Default 10000; negative
	// means no cap.
	MaxSessions int
	// HandshakeTimeout ends a session whose client has not completed the
	// handshake within it: after initialize, no notifications/initialized
	// and no other request or stream (for the legacy transport: no message
	// since its stream opened). Such sessions are also the first ended to
	// make room under MaxSessions and MaxSessionsPerClient. Default 30
	// seconds; negative leaves them to SessionIdleTimeout.
	HandshakeTimeout time.Duration
	// MaxSessionsPerClient caps the live sessions of one client: of one
	// principal when the authenticator's auth data is an Identity, else of
	// one remote address (an IPv6 address counts with its /64). At the cap,
	// the client's oldest session still in its handshake makes room, else
	// its new session is refused with 503 and Retry-After. Behind a reverse
	// proxy every client has the proxy's address: set TrustedProxies.
	// Default 1000; negative means no cap.
	MaxSessionsPerClient int
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the server. A request arriving from one of them is counted, for
	// MaxSessionsPerClient, as coming from the address its Forwarded or
	// X-Forwarded-For header names: the nearest one that is not itself a
	// trusted proxy. Default none: those headers are ignored, since any
	// client can send them.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes caps a request body; larger bodies are answered 413.
	// Default 4 MiB.
	MaxBodyBytes int64
	// BodyReadTimeout bounds reading one request body: a client that
	// announces a body and sends it slowly, or not at all, is answered 408
	// when it passes. Default 30 seconds; negative disables it.
	BodyReadTimeout time.Duration
	// StreamWriteTimeout bounds each write to a client: the events of an SSE
	// stream, a large JSON answer. A client that accepts no data for this
	// long has its stream closed; when that stream is its session's own (the
	// GET stream, the legacy SSE stream), the session is ended. Default 30
	// seconds; negative disables it.
	StreamWriteTimeout time.Duration
	// MaxStreamBacklog caps the bytes of messages waiting to be written to
	// one stream whose client reads slower than the server sends them
	// (notifications broadcast to every session, a subscription's updates).
	// Senders never wait for a client: beyond the cap the stream is closed
	// and, when it is its session's own, the session is ended (its id is
	// then answered 404). One message is always admitted, whatever its
	// size. Default 1 MiB.
	MaxStreamBacklog int

	// EventStore keeps SSE events so a client can resume a dropped stream with
	// Last-Event-ID. Default: Options.Store.Events, else a bounded in-memory
	// store (see NewMemoryEventStore). Set DisableResumability to turn it
	// off.
	EventStore EventStore
	// DisableResumability turns off event ids and replay. Default false.
	DisableResumability bool
	// KeepAliveInterval is the period of SSE comment lines on idle streams,
	// which stop proxies from closing them. Default 25 seconds; negative
	// disables them.
	KeepAliveInterval time.Duration
	// PingInterval, when positive, sends a ping request to each session with
	// an open GET stream at this period. A failed ping is logged; the session
	// is ended only after PingFailureLimit consecutive failures. Default 0: no
	// pings.
	PingInterval time.Duration
	// PingFailureLimit is the number of consecutive failed pings that ends a
	// session. Default 0: failures are only logged.
	PingFailureLimit int

	// AllowedHosts are the Host header values accepted in addition to the
	// loopback names. When the server is reached on a loopback address,
	// requests whose Host is neither loopback nor listed are refused with 403
	// (DNS-rebinding protection); on other addresses the check applies only
	// when the list is not empty. Entries are host names, optionally with a
	// port ("example.com", "example.com:8443").
	AllowedHosts []string
	// AllowedOrigins are the Origin values accepted (exact, such as
	// "https://app.example.com", or "*"). A request with an Origin that is not
	// loopback and not listed is refused with 403 when the server is reached
	// on a loopback address, or when the list is not empty. Default: none
	// besides loopback origins.
	AllowedOrigins []string
	// DisableDNSRebindingProtection turns off the Host and Origin checks.
	// Default false.
	DisableDNSRebindingProtection bool
	// CORS configures Cross-Origin Resource Sharing for browser clients.
	// Default: enabled for every origin the Origin checks accept.
	CORS *CORS

	// Health configures the health and readiness endpoints.
	Health Health

	// DisableLegacySSE turns off the 2024-11-05 HTTP+SSE transport
	// (GET /sse, POST /messages). Default false.
	DisableLegacySSE bool

	// CertFile and KeyFile enable HTTPS with the certificate and key in these
	// PEM files. Default: plain HTTP.
	CertFile, KeyFile string
	// ClientCAFile enables mutual TLS: client certificates signed by a CA in
	// this PEM file are required.
	ClientCAFile string
	// TLSConfig, when set, enables HTTPS with this configuration (combined
	// with CertFile/KeyFile/ClientCAFile when those are also set).
	TLSConfig *tls.Config

	// ShutdownTimeout is how long Start waits for in-flight requests after
	// the context ends or a signal arrives (and DrainDelay has passed). The
	// requests still running then are answered with a JSON-RPC error (code
	// -32603, "Server shutting down: ...") and cancelled, and the
	// connections are closed. Open SSE streams are closed at once, and
	// subscriptions/listen streams end with their result. Default
	// Options.ShutdownTimeout.
	ShutdownTimeout time.Duration
	// DrainDelay keeps serving for this long after the context ends or a
	// signal arrives, with the readiness endpoint answering 503, before the
	// listener closes: time for a load balancer (a Kubernetes preStop) to
	// stop sending new clients. Default 0.
	DrainDelay time.Duration
	// ReadHeaderTimeout bounds reading request headers. Default 10 seconds.
	ReadHeaderTimeout time.Duration
}

// CORS configures the CORS headers of HTTP responses.
type CORS struct {
	// Disabled turns CORS headers off.
	Disabled bool
	// AllowOrigins lists the origins allowed; "*" allows any. Default "*"
	// (subject to the DNS-rebinding Origin checks).
	AllowOrigins []string
	// AllowHeaders are added to the default allowed request headers
	// (Content-Type, Accept, Authorization, Mcp-Session-Id,
	// MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name).
	AllowHeaders []string
	// ExposeHeaders are added to the default exposed response headers
	// (Mcp-Session-Id, WWW-Authenticate).
	ExposeHeaders []string
	// AllowCredentials sends Access-Control-Allow-Credentials: true (with the
	// request's origin instead of "*"). Default false.
	AllowCredentials bool
	// MaxAge of preflight results. Default 2 hours.
	MaxAge time.Duration
}

// Health configures the health and readiness endpoints. Both are cheap,
// unauthenticated and exempt from the Host and Origin checks.
type Health struct {
	// Disabled turns both endpoints off.
	Disabled bool
	// Path of the health endpoint. Default "/health".
	Path string
	// Status of a healthy answer. Default 200.
	Status int
	// Body of a healthy answer (text/plain). Default "✓ Ok".
	Body string
	// ReadyPath of the readiness endpoint, which answers 200 as soon as the
	// server accepts requests and 503 while it shuts down, with a JSON body
	// counting sessions. Default "/ready".
	ReadyPath string
}

// Defaults of HTTP.
const (
	DefaultHTTPHost           = "127.0.0.1"
	DefaultHTTPPort           = 8080
	DefaultEndpoint           = "/mcp"
	DefaultSessionIdleTimeout = 30 * time.Minute
	DefaultMaxSessions        = 10000
	DefaultMaxBodyBytes       = 4 << 20
	DefaultKeepAliveInterval  = 25 * time.Second
	DefaultBodyReadTimeout    = 30 * time.Second
	DefaultStreamWriteTimeout = 30 * time.Second
	DefaultMaxStreamBacklog   = 1 << 20
	DefaultHandshakeTimeout   = 30 * time.Second
	// DefaultMaxSessionsPerClient is the default of
	// HTTP.MaxSessionsPerClient.
	DefaultMaxSessionsPerClient = 1000
)

// withDefaults returns h with its defaults filled in.
func (h HTTP) withDefaults(s *Server) HTTP {
	host, port := DefaultHTTPHost, DefaultHTTPPort
	if h.Addr != "" {
		if hh, pp, err := net.SplitHostPort(h.Addr); err == nil {
			if hh != "" {
				host = hh
			}
			if n, err := parsePort(pp); err == nil {
				port = n
			}
		}
	}
	if h.Host != "" {
		host = h.Host
	}
	if h.Port != 0 {
		port = h.Port
	}
	h.Host, h.Port = host, port
	if port < 0 {
		port = 0
	}
	h.Addr = net.JoinHostPort(host, fmt.Sprint(port))
	h.BasePath = strings.TrimRight(h.BasePath, "/")
	if h.BasePath != "" && !strings.HasPrefix(h.BasePath, "/") {
		h.BasePath = "/" + h.BasePath
	}
	if h.Endpoint == "" {
		h.Endpoint = DefaultEndpoint
	}
	if !strings.HasPrefix(h.Endpoint, "/") {
		h.Endpoint = "/" + h.Endpoint
	}
	if h.SessionIdleTimeout == 0 {
		h.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if h.MaxSessions == 0 {
		h.MaxSessions = DefaultMaxSessions
	}
	if h.MaxBodyBytes <= 0 {
		h.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if h.BodyReadTimeout == 0 {
		h.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if h.StreamWriteTimeout == 0 {
		h.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	if h.MaxStreamBacklog <= 0 {
		h.MaxStreamBacklog = DefaultMaxStreamBacklog
	}
	if h.HandshakeTimeout == 0 {
		h.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if h.MaxSessionsPerClient == 0 {
		h.MaxSessionsPerClient = DefaultMaxSessionsPerClient
	}
	if h.KeepAliveInterval == 0 {
		h.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if h.EventStore == nil && !h.DisableResumability && s.opts.Store != nil {
		h.EventStore = s.opts.Store.Events
	}
	if h.EventStore == nil && !h.DisableResumability {
		h.EventStore = NewMemoryEventStore(nil)
	}
	if h.DisableResumability {
		h.EventStore = nil
	}
	if h.Health.Path == "" {
		h.Health.Path = "/health"
	}
	if h.Health.ReadyPath == "" {
		h.Health.ReadyPath = "/ready"
	}
	if h.Health.Status == 0 {
		h.Health.Status = http.StatusOK
	}
	if h.Health.Body == "" {
		h.Health.Body = "✓ Ok"
	}
	if h.ShutdownTimeout <= 0 {
		h.ShutdownTimeout = s.opts.ShutdownTimeout
	}
	if h.ReadHeaderTimeout <= 0 {
		h.ReadHeaderTimeout = 10 * time.Second
	}
	return h
}

func parsePort(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(s, "%d", &n)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// tlsConfig builds the TLS configuration, or nil for plain HTTP.
func (h HTTP) tlsConfig() (*tls.Config, error) {
	if h.TLSConfig == nil && h.CertFile == "" && h.KeyFile == "" && h.ClientCAFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	if h.TLSConfig != nil {
		cfg = h.TLSConfig.Clone()
	}
	if h.CertFile != "" || h.KeyFile != "" {
		if h.CertFile == "" || h.KeyFile == "" {
			return nil, errors.New("fastmcp: HTTPS needs both CertFile and KeyFile")
		}
		cert, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("fastmcp: loading TLS certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	if h.ClientCAFile != "" {
		pem, err := os.ReadFile(h.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("fastmcp: reading client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fastmcp: no certificates in client CA file %s", h.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("fastmcp: HTTPS needs a certificate: set CertFile and KeyFile or TLSConfig.Certificates")
	}
	return cfg, nil
}

// serve runs an http.Server until ctx ends, then shuts down gracefully.
func (h HTTP) serve(ctx context.Context, s *Server) error {
	h = h.withDefaults(s)
	tlsCfg, err := h.tlsConfig()
	if err != nil {
		return err
	}
	handler := s.newHTTPHandler(h)
	defer handler.Close()
	ln, err := net.Listen("tcp", h.Addr)
	if err != nil {
		return fmt.Errorf("fastmcp: listen: %w", err)
	}
	hs := &http.Server{
		TLSConfig:         tlsCfg,
		Handler:           handler,
		ReadHeaderTimeout: h.ReadHeaderTimeout,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	s.logger.Info("fastmcp: serving MCP over HTTP", "url", scheme+"://"+ln.Addr().String()+h.BasePath+h.Endpoint)
	if h.OnListen != nil {
		h.OnListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			// ServeTLS configures HTTP/2 as well; the certificates are in
			// TLSConfig.
			errc <- hs.ServeTLS(ln, "", "")
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("fastmcp: http server: %w", err)
	case <-ctx.Done():
	}
	if h.DrainDelay > 0 {
		// Report not ready while still serving, so a load balancer stops
		// sending new clients before the listener closes.
		s.logger.Info("fastmcp: draining before shutdown", "delay", h.DrainDelay)
		handler.draining.Store(true)
		select {
		case <-time.After(h.DrainDelay):
		case err := <-errc:
			return fmt.Errorf("fastmcp: http server: %w", err)
		}
	}
	s.logger.Info("fastmcp: shutting down", "timeout", h.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), h.ShutdownTimeout)
	defer cancel()
	handler.beginShutdown()
	err = hs.Shutdown(sctx)
	handler.Close()
	if err != nil {
		hs.Close()
	}
	<-errc
	return nil
}
