package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// streamContentMethod is FastMCP's (and the TypeScript FastMCP's)
// notification of partial tool output. The official SDK client drops
// notifications it does not know; fastmcp taps the transport to see it.
const streamContentMethod = "notifications/tool/streamContent"

// connectError is a failure to build, start, reach or keep talking to a
// server: exit status 3.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string {
	if e.err == nil {
		return e.msg
	}
	if e.msg == "" {
		return e.err.Error()
	}
	return e.msg + ": " + e.err.Error()
}

func (e *connectError) Unwrap() error { return e.err }

// protocolError is a JSON-RPC error answered by the server: exit status 4.
type protocolError struct {
	method string
	err    *jsonrpc.Error
	hint   string
}

func (e *protocolError) Error() string {
	msg := fmt.Sprintf("the server answered %s with error %d: %s", e.method, e.err.Code, e.err.Message)
	if e.hint != "" {
		msg += "\n" + e.hint
	}
	return msg
}

// connFlags are the flags of every command that talks to a server.
type connFlags struct {
	headers  []string
	bearer   string
	sse      bool
	env      []string
	verbose  bool
	protocol string
	timeout  time.Duration
}

func (c *connFlags) register(f *flagSet) {
	f.List(&c.headers, "header", "H", "K:V", "an HTTP header for a URL server (repeatable)")
	f.String(&c.bearer, "bearer", "", "TOKEN", "send Authorization: Bearer TOKEN to a URL server")
	f.Bool(&c.sse, "sse", "", "use the legacy HTTP+SSE transport for a URL server\n(the default is Streamable HTTP unless the path ends in /sse)")
	f.List(&c.env, "env", "e", "K=V", "an environment variable for a stdio server (repeatable)")
	f.Bool(&c.verbose, "verbose", "v", "show the server's stderr and the build output")
	f.String(&c.protocol, "protocol-version", "", "REV", "the MCP protocol revision to ask for (default: the newest)")
}

// httpHeaders returns the headers --header and --bearer ask for.
func (c *connFlags) httpHeaders() (http.Header, error) {
	h := http.Header{}
	for _, kv := range c.headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			k, v, ok = strings.Cut(kv, "=")
		}
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usagef("--header %q is not Name:Value", kv)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	if c.bearer != "" {
		h.Set("Authorization", "Bearer "+c.bearer)
	}
	return h, nil
}

func (c *connFlags) check(t *target) error {
	if _, err := c.httpHeaders(); err != nil {
		return err
	}
	for _, kv := range c.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return usagef("--env %q is not NAME=VALUE", kv)
		}
	}
	if t.kind == kindURL && len(c.env) > 0 {
		return usagef("--env sets the environment of a server fastmcp starts; %s is a URL", t.url)
	}
	if t.kind != kindURL && (len(c.headers) > 0 || c.bearer != "" || c.sse) {
		return usagef("--header, --bearer and --sse apply to URL servers; %s runs over stdio (use --env to configure it)", t.display)
	}
	return nil
}

// handlers receive what the server sends besides answers. A nil field
// means the message is ignored; nil sampling or elicit means the client
// does not declare the capability, so the server knows not to ask.
type handlers struct {
	log             func(*mcp.LoggingMessageParams)
	progress        func(*mcp.ProgressNotificationParams)
	stream          func(*streamContent)
	sampling        func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error)
	elicit          func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error)
	listChanged     func(kind string)
	resourceUpdated func(uri string)
	// stderr receives the stdio server's stderr as it comes, line by line.
	// The last lines are kept regardless, for error messages.
	stderr func(line string)
}

// streamContent is the params of notifications/tool/streamContent.
type streamContent struct {
	ToolName string            `json:"toolName"`
	Content  []json.RawMessage `json:"content"`
}

// session is a connected client.
type session struct {
	*mcp.ClientSession
	target *target
	tail   *tailBuffer
	tap    *httpTap
	cmd    *exec.Cmd
	cancel context.CancelFunc
}

// handshakeTimeout bounds the time a server has to answer initialize.
var handshakeTimeout = 30 * time.Second

// connect connects to the server. Go packages must have been built.
func (a *app) connect(ctx context.Context, t *target, cf *connFlags, h *handlers) (*session, error) {
	if h == nil {
		h = &handlers{}
	}
	s := &session{target: t, tail: &tailBuffer{max: 16 << 10}}
	// Notifications are taken from the transport, not from the SDK's
	// handlers: the tap sees them in the order they arrive, before the
	// response they precede is delivered (the SDK runs notification
	// handlers asynchronously, so a tool's last progress or log message
	// could otherwise be shown after its result), and it sees the
	// notifications the SDK does not know (streamed content).
	notify := func(method string, raw json.RawMessage) {
		switch method {
		case "notifications/message":
			var m mcp.LoggingMessageParams
			if h.log != nil && json.Unmarshal(raw, &m) == nil {
				h.log(&m)
			}
		case "notifications/progress":
			var m mcp.ProgressNotificationParams
			if h.progress != nil && json.Unmarshal(raw, &m) == nil {
				h.progress(&m)
			}
		case streamContentMethod:
			var sc streamContent
			if h.stream != nil && json.Unmarshal(raw, &sc) == nil {
				h.stream(&sc)
			}
		}
	}
	var transport mcp.Transport
	switch t.kind {
	case kindURL:
		headers, err := cf.httpHeaders()
		if err != nil {
			return nil, err
		}
		s.tap = &httpTap{base: http.DefaultTransport, headers: headers, onMessage: func(msg []byte) {
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
				Params json.RawMessage `json:"params"`
			}
			if json.Unmarshal(msg, &m) == nil && m.ID == nil && m.Method != "" {
				notify(m.Method, m.Params)
			}
		}}
		client := &http.Client{Transport: s.tap}
		if useSSE(t.url, cf.sse) {
			transport = &mcp.SSEClientTransport{Endpoint: t.url, HTTPClient: client}
		} else {
			transport = &mcp.StreamableClientTransport{Endpoint: t.url, HTTPClient: client, MaxRetries: 2}
		}
	default:
		cmd := t.cmd(cf.env)
		var sink io.Writer = s.tail
		if h.stderr != nil {
			sink = io.MultiWriter(s.tail, &lineWriter{fn: h.stderr})
		}
		cmd.Stderr = sink
		detach(cmd)
		s.cmd = cmd
		transport = &tapTransport{Transport: &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, notify: notify}
	}

	opts := &mcp.ClientOptions{}
	if a.getenv("FASTMCP_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if h.sampling != nil {
		opts.CreateMessageHandler = h.sampling
	}
	if h.elicit != nil {
		opts.ElicitationHandler = h.elicit
	}
	if h.listChanged != nil {
		opts.ToolListChangedHandler = func(context.Context, *mcp.ToolListChangedRequest) { h.listChanged("tools") }
		opts.PromptListChangedHandler = func(context.Context, *mcp.PromptListChangedRequest) { h.listChanged("prompts") }
		opts.ResourceListChangedHandler = func(context.Context, *mcp.ResourceListChangedRequest) { h.listChanged("resources") }
	}
	if h.resourceUpdated != nil {
		opts.ResourceUpdatedHandler = func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			h.resourceUpdated(r.Params.URI)
		}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "fastmcp-cli", Title: "fastmcp CLI", Version: cliVersion()}, opts)
	if cwd, err := os.Getwd(); err == nil {
		client.AddRoots(&mcp.Root{URI: fileURI(cwd), Name: filepath.Base(cwd)})
	}
	// The context given to Connect lives as long as the session: the legacy
	// SSE transport ties its event stream to it. A timer, not a deadline,
	// bounds the handshake.
	cctx, cancel := context.WithCancel(ctx)
	var timedOut atomic.Bool
	timer := time.AfterFunc(handshakeTimeout, func() { timedOut.Store(true); cancel() })
	cs, err := client.Connect(cctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: cf.protocol})
	if !timer.Stop() && err == nil {
		cs.Close()
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.connectFailure(err, timedOut.Load())
	}
	s.ClientSession = cs
	s.cancel = cancel
	return s, nil
}

// connectFailure explains why the handshake failed.
func (s *session) connectFailure(err error, timedOut bool) error {
	t := s.target
	msg := "cannot connect to " + t.display
	var hints []string
	if timedOut {
		msg = fmt.Sprintf("%s did not complete the MCP handshake within %v", t.display, handshakeTimeout)
		if t.kind != kindURL {
			hints = append(hints, "a stdio server must read JSON-RPC on stdin and write only JSON-RPC on stdout")
		}
	}
	if s.tap != nil {
		status, body := s.tap.last()
		if status >= 400 {
			// The status says it all; the SDK's chain of wrappers does not
			// add to it.
			err = nil
		}
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe
		}
		switch status {
		case http.StatusUnauthorized:
			msg = fmt.Sprintf("%s refused the credentials (401 Unauthorized)", t.url)
			hints = append(hints, "pass a token with --bearer TOKEN, or a header with --header 'Authorization: ...'")
		case http.StatusForbidden:
			msg = fmt.Sprintf("%s refused access (403 Forbidden)", t.url)
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			msg = fmt.Sprintf("%s answered %d %s: is it the MCP endpoint?", t.url, status, http.StatusText(status))
			hints = append(hints, "FastMCP servers serve Streamable HTTP at /mcp and legacy SSE at /sse; add --sse for a legacy SSE server")
		case 0:
		default:
			msg = fmt.Sprintf("%s answered %d %s", t.url, status, http.StatusText(status))
		}
		if body != "" && status >= 400 {
			hints = append(hints, "the server said: "+body)
		}
		if oe != nil && status == 0 {
			hints = append(hints, "is the server running at that address?")
		}
	} else {
		var se *json.SyntaxError
		if errors.As(err, &se) || strings.Contains(err.Error(), "invalid character") {
			hints = append(hints, "the server wrote something other than JSON-RPC on stdout: a stdio server must write only MCP messages there (and log to stderr)")
		}
		if tail := strings.TrimSpace(s.tail.String()); tail != "" {
			hints = append(hints, "the server's stderr ended with:\n"+indent(lastLines(tail, 15), "  "))
		} else if len(hints) == 0 && (errors.Is(err, mcp.ErrConnectionClosed) || errors.Is(err, io.EOF)) {
			hints = append(hints, "the server closed its output without answering; does it serve MCP over stdio?")
		}
	}
	ce := &connectError{msg: msg, err: err}
	if len(hints) > 0 {
		return &hintedError{err: ce, hints: hints}
	}
	return ce
}

// hintedError adds advice under an error.
type hintedError struct {
	err   error
	hints []string
}

func (e *hintedError) Error() string {
	return e.err.Error() + "\n" + strings.Join(e.hints, "\n")
}
func (e *hintedError) Unwrap() error { return e.err }

// classify turns an error of a request into a protocolError (the server
// answered with an error) or a connectError (anything else: the connection
// failed).
func (s *session) classify(method string, err error) error {
	if err == nil {
		return nil
	}
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return &protocolError{method: method, err: we}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ce := &connectError{msg: "the connection to " + s.target.display + " failed during " + method, err: err}
	if s.tail != nil {
		if tail := strings.TrimSpace(s.tail.String()); tail != "" {
			return &hintedError{err: ce, hints: []string{"the server's stderr ended with:\n" + indent(lastLines(tail, 15), "  ")}}
		}
	}
	return ce
}

// Close ends the session; a stdio server is asked to exit by closing its
// input.
func (s *session) Close() error {
	if s == nil || s.ClientSession == nil {
		return nil
	}
	err := s.ClientSession.Close()
	s.cancel()
	return err
}

// modern reports whether the session speaks the 2026-07-28 revision or
// later, where each request carries what a handshake used to set.
func (s *session) modern() bool {
	return s.InitializeResult().ProtocolVersion >= "2026-07-28"
}

// requestMeta is the _meta of a request asking for log messages from level
// up. From 2026-07-28 a request asks for them itself (there is no session
// level); before, logging/setLevel does, and the key is not sent.
func (s *session) requestMeta(level string) mcp.Meta {
	if level == "" || !s.modern() {
		return nil
	}
	return mcp.Meta{mcp.MetaKeyLogLevel: level}
}

// transportName names how the session talks to the server.
func (s *session) transportName(cf *connFlags) string {
	switch {
	case s.target.kind != kindURL:
		return "stdio"
	case useSSE(s.target.url, cf.sse):
		return "legacy HTTP+SSE"
	}
	return "Streamable HTTP"
}

func useSSE(rawURL string, force bool) bool {
	if force {
		return true
	}
	u, err := url.Parse(rawURL)
	return err == nil && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/sse")
}

func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// tapTransport shows every notification to notify, on stdio.
type tapTransport struct {
	mcp.Transport
	notify func(method string, params json.RawMessage)
}

func (t *tapTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := t.Transport.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &tapConn{Connection: c, notify: t.notify}, nil
}

type tapConn struct {
	mcp.Connection
	notify func(method string, params json.RawMessage)
}

func (c *tapConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	if r, ok := m.(*jsonrpc.Request); ok && err == nil && !r.IsCall() {
		c.notify(r.Method, r.Params)
	}
	return m, err
}

// httpTap is the HTTP transport of URL sessions: it adds the headers of
// --header and --bearer, remembers the last error status for messages, and
// shows each server-sent event's data to onMessage (for the notifications
// the SDK drops).
type httpTap struct {
	base      http.RoundTripper
	headers   http.Header
	onMessage func([]byte)

	mu         sync.Mutex
	lastStatus int
	lastBody   string
}

func (h *httpTap) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range h.headers {
		req.Header[k] = v
	}
	resp, err := h.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body := ""
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
		body = summarizeBody(b)
	}
	h.mu.Lock()
	if resp.StatusCode >= 400 || h.lastStatus == 0 || req.Method == http.MethodPost {
		h.lastStatus, h.lastBody = resp.StatusCode, body
	}
	h.mu.Unlock()
	if h.onMessage != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body = &sseTap{ReadCloser: resp.Body, fn: h.onMessage}
	}
	return resp, nil
}

func (h *httpTap) last() (int, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastStatus, h.lastBody
}

// summarizeBody extracts the message of an error body: a JSON-RPC error's
// message, or the text.
func summarizeBody(b []byte) string {
	var rpc struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &rpc) == nil {
		if rpc.Error.Message != "" {
			return rpc.Error.Message
		}
		if rpc.Message != "" {
			return rpc.Message
		}
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// sseTap passes an event stream through unchanged, showing the data of
// each event to fn.
type sseTap struct {
	io.ReadCloser
	fn      func([]byte)
	partial []byte
	data    []byte
	hasData bool
}

func (t *sseTap) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.feed(p[:n])
	return n, err
}

func (t *sseTap) feed(b []byte) {
	t.partial = append(t.partial, b...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			return
		}
		line := bytes.TrimSuffix(t.partial[:i], []byte("\r"))
		t.partial = t.partial[i+1:]
		switch {
		case len(line) == 0:
			if t.hasData {
				t.fn(t.data)
			}
			t.data, t.hasData = nil, false
		case bytes.HasPrefix(line, []byte("data:")):
			v := bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))
			if t.hasData {
				t.data = append(t.data, '\n')
			}
			t.data = append(t.data, v...)
			t.hasData = true
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lineWriter calls fn with each complete line written to it.
type lineWriter struct {
	mu      sync.Mutex
	fn      func(string)
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	consumed := 0
	for {
		i := bytes.IndexByte(w.partial[consumed:], '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimSuffix(string(w.partial[consumed:consumed+i]), "\r"))
		consumed += i + 1
	}
	w.partial = append([]byte(nil), w.partial[consumed:]...)
	return len(p), nil
}
