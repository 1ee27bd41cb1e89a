package proxy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Defaults of Options and PerUser.
const (
	DefaultMaxSessions        = 4
	DefaultIdleTimeout        = 5 * time.Minute
	DefaultConnectTimeout     = 30 * time.Second
	DefaultMaxUsers           = 1000
	DefaultMaxUserSessions    = 2
	DefaultMaxParkedCalls     = 1000
	DefaultParkedCallTimeout  = 10 * time.Minute
	DefaultMaxSubscriptions   = 100
	DefaultMaxItems           = 10000
	DefaultMaxPendingMessages = 256
)

// Upstream says how to reach the server being proxied: over HTTP (URL) or as
// a child process speaking over stdio (Command). Exactly one of them is set.
type Upstream struct {
	// URL is the endpoint of an upstream served over HTTP: Streamable HTTP
	// (protocol revisions 2025-03-26 and later), or the legacy HTTP+SSE
	// transport of 2024-11-05 when SSE is set (URL is then the SSE endpoint,
	// usually ending in /sse).
	URL string
	// SSE selects the legacy HTTP+SSE transport for URL. Default false.
	SSE bool
	// Header is sent with every HTTP request to the upstream, such as a
	// credential of the proxy's own. The credentials of PerUser are set on
	// top of it. Default: none.
	Header http.Header
	// HTTPClient sends the HTTP requests, through its Transport (wrapped to
	// set the headers). Its Timeout must be zero: streams stay open. Default:
	// a transport of the proxy's own, like http.DefaultTransport but keeping
	// up to 64 idle connections to the upstream, closed with the proxy.
	HTTPClient *http.Client

	// Command runs the upstream as a child process speaking MCP over its
	// standard input and output: Command[0] is the program (looked up in
	// PATH), the rest its arguments. Each upstream session is one process.
	Command []string
	// Env is added to the environment of the process, which otherwise
	// inherits this one's. PerUser credentials add theirs after it.
	Env []string
	// Dir is the working directory of the process. Default: the current one.
	Dir string
	// Stderr receives the standard error of the processes. Default: this
	// process's standard error.
	Stderr io.Writer

	// ProtocolVersion is the revision the proxy asks the upstream for.
	// Default "": the newest the Go SDK speaks, 2026-07-28, falling back to
	// the handshake (2025-11-25 or older, as the upstream chooses) when the
	// upstream does not serve it. A handshake-era revision such as
	// "2025-11-25" skips the sessionless revision. With a 2026-07-28
	// upstream each request carries the downstream client's capabilities
	// and its questions come back in the result, keyed as the upstream
	// named them, so they reach their client exactly; in the handshake era
	// the upstream sees the proxy's capabilities (all of them) and asks on
	// its session.
	ProtocolVersion string
}

// Options configure a proxy. The zero value of every field but Upstream
// works.
type Options struct {
	// Upstream is the server to proxy; required.
	Upstream Upstream

	// Server receives the upstream's tools, resources, resource templates and
	// prompts. Components of the same name (or URI) already registered are
	// replaced. Default: a new server, made with ServerOptions.
	Server *fastmcp.Server
	// ServerOptions configure the server New makes when Server is nil. Its
	// Name, Version, Title, Description, WebsiteURL, Icons and Instructions
	// default to the upstream's, so that clients see the upstream's
	// identity.
	ServerOptions fastmcp.Options

	// ClientInfo identifies the proxy to the upstream (clientInfo).
	// Default: name "fastmcp-proxy" and the version of the running program.
	ClientInfo fastmcp.Implementation

	// MaxSessions caps the upstream sessions of a shared pool. A call uses
	// an upstream session with no call in flight, opening one when there is
	// none, up to MaxSessions; then calls share the least busy one. Default
	// DefaultMaxSessions (4) for an HTTP upstream, and 1 for a stdio one:
	// each stdio session is a process of its own, with state of its own
	// that other processes do not see, so by default one process serves
	// every call, as it would serve its one client. Raise it for a stdio
	// server without state, to run calls that ask for input concurrently
	// (see the package documentation on attribution).
	MaxSessions int
	// IdleTimeout closes an upstream session that no call has used for this
	// long. The shared pool keeps one session open (it mirrors the
	// upstream's lists). Default DefaultIdleTimeout (5 minutes); negative
	// keeps sessions open until Close.
	IdleTimeout time.Duration
	// ConnectTimeout bounds opening one upstream session: starting the
	// process or reaching the URL, and the handshake. Default
	// DefaultConnectTimeout (30 seconds).
	ConnectTimeout time.Duration

	// PerUser, when set, gives every downstream principal upstream sessions
	// of its own, opened with its credentials. Default nil: every call uses
	// the shared pool, opened with Upstream's credentials.
	PerUser *PerUser

	// MaxParkedCalls caps the upstream calls held open between the rounds of
	// a 2026-07-28 client's multi round-trip request, when the upstream
	// speaks the handshake era and asks for input in the middle of a call.
	// Beyond it, such requests fail. Default DefaultMaxParkedCalls (1000).
	MaxParkedCalls int
	// ParkedCallTimeout cancels a parked call whose client did not come
	// back with the answers in time. Default DefaultParkedCallTimeout (10
	// minutes).
	ParkedCallTimeout time.Duration

	// MaxSubscriptions caps the upstream resources the proxy subscribes to
	// so that clients subscribed to a mirrored resource hear of its updates.
	// The proxy subscribes to each listed resource when the upstream
	// supports subscriptions (a 2026-07-28 upstream holds a stream open per
	// resource); resources beyond the cap are listed and read, but their
	// updates are not relayed. Default DefaultMaxSubscriptions (100);
	// negative subscribes to none.
	MaxSubscriptions int

	// MaxItems caps the tools, resources, templates and prompts each mirrored
	// from the upstream; the rest are left out, with an error logged.
	// Default DefaultMaxItems (10,000).
	MaxItems int

	// MaxPendingMessages caps the progress and log notifications of one call
	// waiting to be relayed to a slow downstream client; beyond it they are
	// dropped (and counted in Stats), so a slow client never stalls the
	// upstream session it shares. Default DefaultMaxPendingMessages (256).
	MaxPendingMessages int

	// Logger receives the proxy's diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// Proxy mirrors a remote MCP server on a FastMCP server and forwards its
// clients' requests to it. Create one with New; its methods are safe for
// concurrent use.
type Proxy struct {
	opts   Options
	server *fastmcp.Server
	log    *slog.Logger
	ctx    context.Context // ends with Close
	cancel context.CancelFunc

	// ready is set once server and mirror are: the upstream's notifications
	// and requests arriving before are dropped or refused.
	ready atomic.Bool

	// upModern: the upstream speaks 2026-07-28, where each request carries
	// the client's capabilities; in the handshake era sessions declare
	// them, and calls use sessions declaring their client's.
	upModern atomic.Bool

	mu      sync.Mutex
	pools   map[string]*pool // by credentials and capabilities; "" is the shared pool mirroring the lists
	clients map[string]*mcp.Client
	byConn  map[*mcp.ClientSession]*upSession
	closed  bool
	control *upSession // mirrors the upstream; nil while reconnecting
	info    *mcp.InitializeResult

	calls    sync.Map // call id → *call
	tokens   sync.Map // upstream progress token → *call
	parked   parkedCalls
	mirror   *mirror
	elicits  elicitations
	sessKeys sync.Map // downstream *fastmcp.Session → credentials key

	idPrefix   string          // random: call ids cannot be guessed
	clientInfo json.RawMessage // ClientInfo, encoded
	nextID     atomic.Uint64   // numbers calls

	// httpTransport carries the HTTP requests to the upstream, unless
	// Upstream.HTTPClient has a transport of its own.
	httpTransport http.RoundTripper

	stats counters
	wg    sync.WaitGroup

	outLogs chan outsideLog // see logOutside

	onDrop    func() // test hook: a notification was dropped
	onRelease func() // test hook: a call left its upstream session
}

// Stats are counters of a proxy's upstream activity.
type Stats struct {
	// SessionsOpened counts upstream sessions opened since New: one
	// initialize (or server/discover) each.
	SessionsOpened int64
	// SessionsOpen is the number of upstream sessions open now.
	SessionsOpen int
	// Users is the number of principals with upstream sessions (PerUser).
	Users int
	// Calls counts the requests forwarded to the upstream.
	Calls int64
	// Dropped counts progress and log notifications dropped because a
	// downstream client did not keep up (see Options.MaxPendingMessages).
	Dropped int64
	// Refused counts upstream requests (sampling, elicitation, roots) the
	// proxy could not attribute to a downstream client and answered with an
	// error.
	Refused int64
	// Parked is the number of calls held between the rounds of a 2026-07-28
	// client's request (see Options.MaxParkedCalls).
	Parked int
}

type counters struct {
	opened, calls, dropped, refused atomic.Int64
}

// ErrClosed is returned by operations on a proxy after Close.
var ErrClosed = errors.New("proxy: closed")

// New connects to the upstream, mirrors its tools, resources, templates and
// prompts on the server (Options.Server, or a new one) and keeps them in sync
// with the upstream's list_changed notifications until Close. ctx bounds the
// first connection only.
func New(ctx context.Context, opts Options) (*Proxy, error) {
	if err := opts.Upstream.check(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	pctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		opts:    opts,
		log:     opts.Logger,
		ctx:     pctx,
		cancel:  cancel,
		pools:   map[string]*pool{},
		byConn:  map[*mcp.ClientSession]*upSession{},
		outLogs: make(chan outsideLog, opts.MaxPendingMessages),
	}
	p.parked.init(opts.MaxParkedCalls)
	p.idPrefix = rand.Text()[:16] + "-"
	p.clientInfo, _ = json.Marshal(opts.ClientInfo)
	if opts.Upstream.URL != "" && (opts.Upstream.HTTPClient == nil || opts.Upstream.HTTPClient.Transport == nil) {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Concurrent calls each hold a connection for their answer; keep
		// enough of them for reuse instead of dialling anew under load.
		t.MaxIdleConnsPerHost = 64
		p.httpTransport = t
	}
	p.clients = map[string]*mcp.Client{}
	shared := p.newPool("", fullCaps, "", Credentials{}, opts.MaxSessions)
	p.pools[""] = shared

	s, err := p.open(ctx, shared)
	if err != nil {
		cancel()
		return nil, err
	}
	p.setControl(s)

	p.server = opts.Server
	if p.server == nil {
		p.server = fastmcp.New(p.serverOptions(s.cs.InitializeResult()))
	}
	p.mirror = newMirror(p)
	p.server.OnDisconnect(func(ds *fastmcp.Session) { p.sessKeys.Delete(ds) })
	// From here the upstream's notifications and requests are handled; the
	// store publishes p.server and p.mirror to the goroutines handling them.
	p.ready.Store(true)
	if err := p.mirror.syncAll(ctx, s); err != nil {
		p.Close()
		return nil, err
	}
	p.wg.Add(3)
	go p.watchControl(s)
	go p.reaper()
	go p.logWorker()
	return p, nil
}

// Server returns the FastMCP server the upstream is mirrored on.
func (p *Proxy) Server() *fastmcp.Server { return p.server }

// UpstreamInfo returns the upstream's serverInfo, as its handshake (or
// server/discover) gave it.
func (p *Proxy) UpstreamInfo() fastmcp.Implementation {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out fastmcp.Implementation
	if p.info != nil && p.info.ServerInfo != nil {
		_ = remarshal(p.info.ServerInfo, &out)
	}
	return out
}

// UpstreamProtocolVersion returns the protocol revision the upstream
// negotiated.
func (p *Proxy) UpstreamProtocolVersion() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.info == nil {
		return ""
	}
	return p.info.ProtocolVersion
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	st := Stats{
		SessionsOpened: p.stats.opened.Load(),
		Calls:          p.stats.calls.Load(),
		Dropped:        p.stats.dropped.Load(),
		Refused:        p.stats.refused.Load(),
		Parked:         p.parked.len(),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	users := map[string]bool{}
	for _, pl := range p.pools {
		pl.mu.Lock()
		st.SessionsOpen += len(pl.sessions)
		if pl.key != "" && len(pl.sessions) > 0 {
			users[pl.key] = true
		}
		pl.mu.Unlock()
	}
	st.Users = len(users)
	return st
}

// Refresh lists the upstream's components again and brings the server in
// line with them, as a list_changed notification from the upstream does.
func (p *Proxy) Refresh(ctx context.Context) error {
	p.mu.Lock()
	s := p.control
	p.mu.Unlock()
	if s == nil {
		return errors.New("proxy: the upstream is unreachable (reconnecting)")
	}
	return p.mirror.syncAll(ctx, s)
}

// Close closes every upstream session (stopping the processes of a stdio
// upstream) and cancels the calls in flight. The mirrored components stay
// registered on the server; calling them fails with ErrClosed.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var sessions []*upSession
	for _, pl := range p.pools {
		pl.mu.Lock()
		sessions = append(sessions, pl.sessions...)
		pl.sessions = nil
		pl.signal()
		pl.mu.Unlock()
	}
	p.mu.Unlock()
	p.cancel()
	p.parked.closeAll()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() { s.close() })
	}
	wg.Wait()
	p.wg.Wait()
	if t, ok := p.httpTransport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	return nil
}

func (u *Upstream) check() error {
	switch {
	case u.URL == "" && len(u.Command) == 0:
		return errors.New("proxy: Upstream needs a URL or a Command")
	case u.URL != "" && len(u.Command) > 0:
		return errors.New("proxy: Upstream has both a URL and a Command; set one")
	case u.URL != "" && !strings.HasPrefix(strings.ToLower(u.URL), "http://") && !strings.HasPrefix(strings.ToLower(u.URL), "https://"):
		return fmt.Errorf("proxy: Upstream.URL %q is not an http(s) URL", u.URL)
	case len(u.Command) > 0 && u.Command[0] == "":
		return errors.New("proxy: Upstream.Command has an empty program name")
	case u.HTTPClient != nil && u.HTTPClient.Timeout != 0:
		return errors.New("proxy: Upstream.HTTPClient has a Timeout, which would cut the upstream's streams; use ConnectTimeout and the callers' deadlines instead")
	}
	return nil
}

func (o *Options) setDefaults() {
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
		if o.Upstream.URL == "" {
			o.MaxSessions = 1
		}
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxParkedCalls <= 0 {
		o.MaxParkedCalls = DefaultMaxParkedCalls
	}
	if o.ParkedCallTimeout <= 0 {
		o.ParkedCallTimeout = DefaultParkedCallTimeout
	}
	if o.MaxSubscriptions == 0 {
		o.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxPendingMessages <= 0 {
		o.MaxPendingMessages = DefaultMaxPendingMessages
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ClientInfo.Name == "" {
		o.ClientInfo.Name = "fastmcp-proxy"
	}
	if o.ClientInfo.Version == "" {
		o.ClientInfo.Version = programVersion()
	}
	if pu := o.PerUser; pu != nil {
		cp := *pu
		if cp.MaxUsers <= 0 {
			cp.MaxUsers = DefaultMaxUsers
		}
		if cp.MaxSessions <= 0 {
			cp.MaxSessions = DefaultMaxUserSessions
		}
		o.PerUser = &cp
	}
}

// serverOptions are the options of the server New makes: ServerOptions with
// the upstream's identity where they leave it empty.
func (p *Proxy) serverOptions(info *mcp.InitializeResult) fastmcp.Options {
	o := p.opts.ServerOptions
	var up fastmcp.Implementation
	if info != nil && info.ServerInfo != nil {
		_ = remarshal(info.ServerInfo, &up)
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&o.Name, up.Name)
	fill(&o.Version, up.Version)
	fill(&o.Title, up.Title)
	fill(&o.Description, up.Description)
	fill(&o.WebsiteURL, up.WebsiteURL)
	if o.Icons == nil {
		o.Icons = up.Icons
	}
	if info != nil {
		fill(&o.Instructions, info.Instructions)
	}
	if o.Logger == nil {
		o.Logger = p.log
	}
	return o
}

// watchControl keeps a control session: when the upstream ends it, it opens
// another (backing off while the upstream is unreachable) and lists
// everything again, since the upstream may have changed meanwhile.
func (p *Proxy) watchControl(s *upSession) {
	defer p.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-s.done:
		case <-p.ctx.Done():
			return
		}
		p.mu.Lock()
		if p.control == s {
			p.control = nil
		}
		p.mu.Unlock()
		if p.ctx.Err() != nil {
			return
		}
		p.log.Warn("proxy: the upstream ended the session that mirrors its lists; reconnecting", "cause", s.cause())
		for {
			ns, err := p.open(p.ctx, p.shared())
			if err == nil {
				s = ns
				break
			}
			p.log.Warn("proxy: cannot reach the upstream", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-p.ctx.Done():
				t.Stop()
				return
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		backoff = 100 * time.Millisecond
		p.setControl(s)
		ctx, cancel := context.WithTimeout(p.ctx, p.opts.ConnectTimeout)
		if err := p.mirror.syncAll(ctx, s); err != nil && p.ctx.Err() == nil {
			p.log.Error("proxy: listing the upstream's components after reconnecting", "err", err)
		}
		cancel()
	}
}

// setControl makes s the session that mirrors the upstream's lists.
func (p *Proxy) setControl(s *upSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.control = s
	p.info = s.cs.InitializeResult()
	p.upModern.Store(s.modern)
}

func (p *Proxy) shared() *pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pools[""]
}
