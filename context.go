package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Context is what a handler receives: a context.Context for the request (it is
// cancelled when the client cancels the request, the tool's timeout passes, or
// the session ends) and the request's MCP facilities: progress, logging to the
// client, streaming output, the client's identity and capabilities, and the
// session.
//
// A Context is valid only while its handler runs. It implements context.Context,
// so pass it wherever one is expected.
type Context struct {
	context.Context
	srv  *Server
	sess *Session
	req  *request
}

// ContextFrom returns the *Context carried by ctx: ctx itself when it is one,
// or nil when ctx does not come from a FastMCP handler.
func ContextFrom(ctx context.Context) *Context {
	if c, ok := ctx.(*Context); ok {
		return c
	}
	if c, ok := ctx.Value(contextKey{}).(*Context); ok {
		return c
	}
	return nil
}

type contextKey struct{}

// Value returns the value for key, as context.Context does. A context derived
// from this one still yields this *Context to ContextFrom.
func (c *Context) Value(key any) any {
	if key == (contextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithContext returns a copy of c whose context.Context is ctx, for the same
// request. ctx must be derived from c. Middleware uses it to hand the next
// handler a context carrying more (a trace span, a deadline, a value).
func (c *Context) WithContext(ctx context.Context) *Context {
	cp := *c
	cp.Context = ctx
	// FastMCP's own log records about the request carry the innermost
	// derived context (its span), even after the chain returned.
	c.req.scope = &cp
	return &cp
}

// Transports, as Context.Transport names them.
const (
	TransportStdio          = "stdio"
	TransportStreamableHTTP = "streamable-http"
	TransportSSE            = "sse"
)

// Transport names the transport the request came in on: TransportStdio,
// TransportStreamableHTTP or TransportSSE (the legacy HTTP+SSE transport); ""
// outside a request.
func (c *Context) Transport() string {
	if c.req.conn == nil {
		return ""
	}
	return c.req.conn.info().transport
}

// RemoteAddr returns the network address of the client over HTTP
// (http.Request.RemoteAddr), "" on stdio.
func (c *Context) RemoteAddr() string {
	if c.req.conn == nil {
		return ""
	}
	return c.req.conn.info().remoteAddr
}

// HTTPRequest returns the HTTP request that carried the request (the POST;
// for a legacy HTTP+SSE session, the POST to its messages endpoint), or nil on
// stdio and outside a request. Its body has been read: use it for headers and
// connection details. Do not keep it after the handler returns.
func (c *Context) HTTPRequest() *http.Request {
	if c.req.conn == nil {
		return nil
	}
	return c.req.conn.info().httpRequest
}

// Server returns the server serving the request.
func (c *Context) Server() *Server { return c.srv }

// Session returns the client's session, or nil when the request is served
// statelessly (stateless HTTP, the 2026-07-28 revision).
func (c *Context) Session() *Session { return c.sess }

// SessionID returns the session's id, or "" when there is no session.
func (c *Context) SessionID() string {
	if c.sess == nil {
		return ""
	}
	return c.sess.id
}

// Method returns the JSON-RPC method being served, such as "tools/call".
func (c *Context) Method() string { return c.req.Method }

// RequestID returns the JSON-RPC id of the request, as the client sent it: a
// JSON number's digits or a string's contents.
func (c *Context) RequestID() string {
	id := c.req.id
	if len(id) > 0 && id[0] == '"' {
		var s string
		if json.Unmarshal(id, &s) == nil {
			return s
		}
	}
	return string(id)
}

// ClientRequestID returns _meta.requestId when the client sent one (a FastMCP
// convention for correlating calls across hops), or "".
func (c *Context) ClientRequestID() string { return c.req.clientReqID }

// MetaString returns the string member key of the request's _meta, reading
// only that member (cheaper than Meta for one value, such as a traceparent).
// ok is false when the member is absent or not a string.
func (c *Context) MetaString(key string) (value string, ok bool) {
	if len(c.req.meta) == 0 {
		return "", false
	}
	jsonrpc.ObjectEachRaw(c.req.meta, func(k []byte, escaped bool, v []byte) error {
		if !ok && !escaped && string(k) == key {
			value, ok = jsonrpc.UnquoteString(v)
		}
		return nil
	})
	return value, ok
}

// Meta returns the request's _meta, or nil when it had none.
func (c *Context) Meta() Meta {
	if len(c.req.meta) == 0 {
		return nil
	}
	var m Meta
	if err := json.Unmarshal(c.req.meta, &m); err != nil {
		return nil
	}
	return m
}

// ProtocolVersion returns the protocol revision of the request.
func (c *Context) ProtocolVersion() string { return c.req.version.String() }

// ClientInfo returns the client's name and version.
func (c *Context) ClientInfo() Implementation {
	r := c.req
	if r.infoRaw != nil {
		r.infoOnce.Do(func() { _ = json.Unmarshal(r.infoRaw, &r.clientInfo) })
	}
	return r.clientInfo
}

// ClientCapabilities returns what the client declared it supports.
func (c *Context) ClientCapabilities() ClientCapabilities { return c.req.clientCaps }

// Progress is one progress report.
type Progress struct {
	// Progress so far; it must increase with each report.
	Progress float64
	// Total, when known (0 = unknown).
	Total float64
	// Message describes the current step (2025-03-26 and later).
	Message string
}

// ReportProgress sends a progress notification for the request, on the
// request's own stream. It does nothing when the client did not ask for
// progress (no progress token). It returns ErrProgressNotIncreasing when p.Progress
// does not exceed the previous report, and an error when the client cannot be
// reached.
func (c *Context) ReportProgress(p Progress) error {
	r := c.req
	if r.progressToken == nil {
		return nil
	}
	r.progressMu.Lock()
	if r.sentProgress && p.Progress <= r.lastProgress {
		r.progressMu.Unlock()
		return ErrProgressNotIncreasing
	}
	r.sentProgress, r.lastProgress = true, p.Progress
	r.progressMu.Unlock()
	params := ProgressParams{ProgressToken: r.progressToken, Progress: p.Progress, Total: p.Total}
	if r.version >= v20250326 {
		params.Message = p.Message
	}
	return c.notify("notifications/progress", params)
}

// StreamContent sends partial output of a running tool to the client as a
// notifications/tool/streamContent notification, as the TypeScript FastMCP
// does. The notification is not part of the MCP specification: clients that do
// not know it ignore it, so a tool must still return its full result.
func (c *Context) StreamContent(content ...Content) error {
	if len(content) == 0 {
		return nil
	}
	return c.notify("notifications/tool/streamContent", struct {
		Content  []Content `json:"content"`
		ToolName string    `json:"toolName,omitempty"`
	}{contentsFor(content, c.req.version), c.toolName()})
}

// notify sends a notification related to the request. A notification with no
// way to reach the client (an HTTP answer in JSON mode without a GET stream)
// is dropped, as the transport documents, not reported as an error.
func (c *Context) notify(method string, params any) error {
	if c.req.conn == nil {
		c.srv.logger.DebugContext(c, "fastmcp: notification dropped: no channel to the client", "method", method)
		return nil
	}
	err := sendNotification(c.req.conn, method, params)
	if errors.Is(err, errNoChannel) {
		c.srv.logger.DebugContext(c, "fastmcp: notification dropped", "method", method, "reason", err)
		return nil
	}
	return err
}

// Log sends a log message to the client (notifications/message) on the
// request's stream, if level is at or above the client's logging level. The
// data sent is msg alone, or, with args (alternating keys and values, as with
// log/slog), an object {"message": msg, key: value, ...}. Delivery failures are
// reported to Options.Logger, not to the caller.
func (c *Context) Log(level LoggingLevel, msg string, args ...any) {
	if !c.logEnabled(level) {
		return
	}
	var data any = msg
	if len(args) > 0 {
		m := map[string]any{"message": msg}
		for i := 0; i < len(args); i++ {
			switch a := args[i].(type) {
			case slog.Attr:
				m[a.Key] = logValue(a.Value)
			case string:
				if i+1 < len(args) {
					m[a] = logValue(slog.AnyValue(args[i+1]))
					i++
				} else {
					m["!BADKEY"] = a
				}
			default:
				m["!BADKEY"+strconv.Itoa(i)] = a
			}
		}
		data = m
	}
	c.sendLog(level, "", data)
}

// Debug logs at LevelDebug; see Log.
func (c *Context) Debug(msg string, args ...any) { c.Log(LevelDebug, msg, args...) }

// Info logs at LevelInfo; see Log.
func (c *Context) Info(msg string, args ...any) { c.Log(LevelInfo, msg, args...) }

// Warn logs at LevelWarning; see Log.
func (c *Context) Warn(msg string, args ...any) { c.Log(LevelWarning, msg, args...) }

// Error logs at LevelError; see Log.
func (c *Context) Error(msg string, args ...any) { c.Log(LevelError, msg, args...) }

// logEnabled reports whether the client wants messages at level (see the
// protocols' logEnabled).
func (c *Context) logEnabled(level LoggingLevel) bool { return c.req.proto.logEnabled(c, level) }

// toolName is the tool a tools/call runs, or "".
func (c *Context) toolName() string {
	if c.req.Method == "tools/call" {
		return c.req.Name
	}
	return ""
}

func (c *Context) sendLog(level LoggingLevel, logger string, data any) {
	err := c.notify("notifications/message", LoggingMessageParams{Level: level, Logger: logger, Data: data})
	if err != nil {
		c.srv.logger.DebugContext(c, "fastmcp: log message not delivered", "error", err)
	}
}

// Logger returns a *slog.Logger whose records are sent to the client as log
// messages on the request's stream: slog's Debug, Info, Warn and Error map to
// the MCP levels of the same names, levels above Error to critical, alert and
// emergency. Attributes become members of the message's data object.
func (c *Context) Logger() *slog.Logger { return slog.New(&clientLogHandler{c: c}) }

// logValue converts a log attribute's value to what its JSON should show:
// errors by their message, groups as objects, LogValuers resolved.
func logValue(v slog.Value) any {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		m := map[string]any{}
		for _, a := range v.Group() {
			if a.Key != "" {
				m[a.Key] = logValue(a.Value)
			}
		}
		return m
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return x.Error()
		case fmt.Stringer:
			if _, isJSON := x.(json.Marshaler); !isJSON {
				return x.String()
			}
		}
	}
	return v.Any()
}

// clientLogHandler is the slog.Handler behind Context.Logger.
type clientLogHandler struct {
	c     *Context
	attrs []slog.Attr
	group string
}

func slogToMCP(l slog.Level) LoggingLevel {
	switch {
	case l < slog.LevelInfo:
		return LevelDebug
	case l < slog.LevelWarn:
		return LevelInfo
	case l < slog.LevelError:
		return LevelWarning
	case l < slog.LevelError+4:
		return LevelError
	case l < slog.LevelError+8:
		return LevelCritical
	case l < slog.LevelError+12:
		return LevelAlert
	}
	return LevelEmergency
}

func (h *clientLogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.c.logEnabled(slogToMCP(l))
}

func (h *clientLogHandler) Handle(_ context.Context, rec slog.Record) error {
	data := map[string]any{"message": rec.Message}
	add := func(a slog.Attr) bool {
		if a.Key != "" {
			data[a.Key] = logValue(a.Value)
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	rec.Attrs(add)
	h.c.sendLog(slogToMCP(rec.Level), h.group, data)
	return nil
}

func (h *clientLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &clientLogHandler{c: h.c, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...), group: h.group}
}

// WithGroup sets the "logger" member of the messages: the group names the
// logger, as MCP log messages have a logger name rather than nested groups.
func (h *clientLogHandler) WithGroup(name string) slog.Handler {
	if h.group != "" {
		name = h.group + "." + name
	}
	return &clientLogHandler{c: h.c, attrs: h.attrs, group: name}
}

// detachedContext returns a Context for work done outside any request
// (Server.Embedded, re-evaluating access checks): no session, no channel to
// the client.
func (s *Server) detachedContext(ctx context.Context, method string) *Context {
	r := &request{proto: handshakeEra, version: v20251125}
	r.Method = method
	r.ctx = Context{Context: ctx, srv: s, req: r}
	return &r.ctx
}

// withTimeout returns a copy of c whose context ends after d.
func (c *Context) withTimeout(d time.Duration) (*Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(c.Context, d)
	return &Context{Context: ctx, srv: c.srv, sess: c.sess, req: c.req}, cancel
}
