package fastmcp

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Server. The zero value is usable: every field documents
// its default.
type Options struct {
	// Name identifies the server to clients (serverInfo.name).
	// Default: the base name of the running program.
	Name string
	// Version of the server (serverInfo.version).
	// Default: the main module's version from the build info, or "0.0.0".
	Version string
	// Title is a human-readable name for display (2025-06-18 and later).
	Title string
	// Description says what the server does (2025-11-25 and later).
	Description string
	// WebsiteURL is the server's home page (2025-11-25 and later).
	WebsiteURL string
	// Icons represent the server in client UIs (2025-11-25 and later).
	Icons []Icon
	// Instructions tell the client's model how to use the server; sent in the
	// initialize result. Default: none.
	Instructions string

	// Logger receives the server's own diagnostics: handler panics, masked
	// errors, dropped messages. It never writes to the MCP stream. Default:
	// slog.Default(), which writes to standard error.
	Logger *slog.Logger

	// ShowErrorDetails sends the text of internal errors (errors that are
	// neither *UserError nor *Error, and recovered panics) to the client.
	// Default false: the client sees a generic message and the real error is
	// logged.
	ShowErrorDetails bool

	// PageSize is the number of items per page of tools/list, resources/list,
	// resources/templates/list and prompts/list. Default 1000. Lists are
	// sorted (tools and prompts by name, resources by URI, templates by URI
	// template), so pages are stable while items come and go.
	PageSize int

	// ToolTimeout bounds every tool call that has no Tool.Timeout of its own.
	// When it passes, the handler's context is cancelled and the client gets a
	// result with isError saying the tool timed out. Default 0: no limit.
	ToolTimeout time.Duration

	// RequestTimeout bounds requests the server sends to the client (ping,
	// sampling, elicitation, roots) when the caller's context has no earlier
	// deadline. Default 60 seconds.
	RequestTimeout time.Duration

	// ShutdownTimeout bounds the wait for in-flight handlers when serving
	// ends: when the input closes (stdio), the context passed to Start or
	// Serve ends, or a signal arrives. Reading stops, and handlers may finish
	// for this long; those still running then are answered with a JSON-RPC
	// error (code -32603, "Server shutting down: ...") and their contexts
	// are cancelled. HTTP drains its in-flight requests the same way (see
	// HTTP.ShutdownTimeout). Default 5 seconds.
	ShutdownTimeout time.Duration

	// ListChangedDelay debounces list_changed notifications: changes to the
	// registry within this window produce one notification per list.
	// Default 10 milliseconds.
	ListChangedDelay time.Duration

	// Authenticate checks the credentials of clients (see Authenticator).
	// Default: none; every client is accepted and has no auth data.
	Authenticate Authenticator

	// StateStore keeps session state (Session.State). Default: Store.State,
	// else in memory (NewMemoryStateStore).
	StateStore StateStore

	// Store holds what replicas of the server share (see Store). Default:
	// nil, everything in the process.
	Store *Store

	// RateLimits turns on rate limiting of tool calls and HTTP requests (see
	// RateLimits). Default: off.
	RateLimits *RateLimits

	// OAuth turns on the OAuth discovery endpoints (see OAuthDiscovery) for
	// clients that obtain tokens from an authorization server. Default: off.
	OAuth *OAuthDiscovery

	// DisableRoots stops the server from asking clients for their roots after
	// the handshake and when they report a change. Session.Roots then stays
	// nil; Context.Roots still asks on demand. Default false.
	DisableRoots bool

	// Cache is the caching hint of the cacheable results of the 2026-07-28
	// revision (server/discover, the lists, resources/read) for items
	// without a Cache of their own. Default: ttlMs 0 (immediately stale),
	// scope chosen per result (see Cache).
	Cache Cache

	// Secret keys the tokens the server mints for clients to hand back: the
	// requestState of multi round-trip requests (2026-07-28) and handles
	// (Context.NewHandle). They are authenticated with keys derived from
	// it (HMAC-SHA256; AES-256-GCM when EncryptRequestState is set). It
	// must be at least 32 bytes, or New panics. Default: a random secret
	// made when the server is created, so tokens minted by one process are
	// refused by another: set the same Secret on every replica that serves
	// the same clients, and keep it across restarts.
	Secret []byte

	// PreviousSecrets are secrets that were Secret before a rotation,
	// newest first: tokens they minted are still accepted until they expire,
	// while new tokens use Secret. To rotate, put the current Secret first
	// here and set a new Secret, on every replica; drop an old secret once
	// the tokens it minted have expired (RequestStateTTL, the handles' TTL).
	// Each must be at least 32 bytes. Default: none.
	PreviousSecrets [][]byte

	// RequestStateTTL is how long the requestState of an input_required
	// result stays valid: the client must retry within it. Default 10
	// minutes.
	RequestStateTTL time.Duration

	// EncryptRequestState encrypts requestState (AES-256-GCM) instead of
	// only signing it, so the client cannot read what it carries: the
	// answers of earlier rounds and the state set with
	// Context.SetRequestState. Default false: signed, readable.
	EncryptRequestState bool

	// ClientRequestMeta, when set, adds members to the _meta of every request
	// FastMCP sends to a client on behalf of a handler, given the handler's
	// context: sampling, elicitation and roots requests (and, in the
	// 2026-07-28 revision, the input requests of an input_required result).
	// The OpenTelemetry integration uses it to propagate the trace context.
	// Members it returns never replace FastMCP's own (progressToken).
	// Default: none.
	ClientRequestMeta func(ctx context.Context) Meta

	// MaxBatchSize caps the messages of one JSON-RPC batch (protocol
	// revision 2025-03-26); a larger batch is refused whole. Default
	// DefaultMaxBatchSize (100).
	MaxBatchSize int
	// Tasks configures the tasks extension: where tasks are kept, for how
	// long, and where they run (see TaskOptions and Tool.Task). The zero
	// value keeps them in memory and runs them in this process.
	Tasks TaskOptions

	// MaxInFlight caps the requests one client serves at once: per
	// handshake-era session, and per stdio connection. A request beyond it
	// is answered at once with an error asking the client to retry; on
	// stdio, reading stops until earlier requests are answered. Default
	// DefaultMaxInFlight (256); negative means no cap.
	MaxInFlight int
}

// Defaults of Options.
const (
	DefaultPageSize         = 1000
	DefaultRequestTimeout   = 60 * time.Second
	DefaultShutdownTimeout  = 5 * time.Second
	DefaultListChangedDelay = 10 * time.Millisecond
	DefaultRequestStateTTL  = 10 * time.Minute
	DefaultMaxBatchSize     = 100
	DefaultMaxInFlight      = 256
)

// Server is an MCP server: a registry of tools, resources, resource templates and
// prompts served to any number of client sessions over the transports passed to
// Start. All methods are safe for concurrent use, before and while serving.
//
// Tools, resource templates and prompts with typed handlers are added with the
// package functions AddTool, AddResourceTemplate and AddPrompt (Go methods
// cannot have type parameters); resources with Server.AddResource.
type Server struct {
	opts   Options
	logger *slog.Logger
	info   Implementation

	reg registry

	mu       sync.Mutex
	sessions map[*Session]struct{}

	routes routes

	// initialize results, encoded once per revision, with sessions [0] and
	// without (a stateless server) [1].
	initOnce   [numVersions][2]sync.Once
	initResult [numVersions][2]json.RawMessage

	// methods are the method handlers of each era; toolCall the tools/call
	// handler with FastMCP's own policies around it (newToolCall).
	methods methodTables
	// chain is the middleware chain around handle, nil without middleware
	// (Use); mw the middleware it was built from.
	chain atomic.Pointer[MethodHandler]
	mwMu  sync.Mutex
	mw    []Middleware

	rlOnce sync.Once
	rl     RateLimiter

	stateStore   StateStore
	onConnect    handlers[func(*Session)]
	onDisconnect handlers[func(*Session)]

	// List-changed debouncing: lcSeq numbers registry changes; lcPending
	// holds, per list, the number of the last change not yet notified.
	lcSeq     atomic.Uint64
	lcMu      sync.Mutex
	lcPending [len(listChangedMethods)]uint64
	lcTimer   *time.Timer

	// The 2026-07-28 revision: the encoded server/discover result and
	// serverInfo member, the keys of minted tokens, and the open
	// subscriptions/listen streams.
	disc      discover
	infoOnce  sync.Once
	infoMeta  []byte
	keys      keyRing
	listeners listeners

	// tasks runs the tasks of the tasks extension (tasks_engine.go).
	tasks *taskEngine

	// Composition: mounted servers and those mounting this one (mount.go),
	// the rules of Disable and Enable (visibility.go), and what
	// ResponseCache keys on besides lcSeq: the count of resource updates and
	// of access changes.
	mounts    mountState
	vis       visibilityState
	updSeq    atomic.Uint64
	accessSeq atomic.Uint64

	// cluster is the server's membership of a cluster of replicas sharing
	// Options.Store (cluster.go); nil when the Store does not share sessions
	// and a bus.
	cluster *cluster
}

// New returns a server configured by opts.
func New(opts Options) *Server {
	if opts.Name == "" {
		opts.Name = filepath.Base(os.Args[0])
	}
	if opts.Version == "" {
		opts.Version = "0.0.0"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			opts.Version = bi.Main.Version
		}
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.ListChangedDelay <= 0 {
		opts.ListChangedDelay = DefaultListChangedDelay
	}
	if opts.RequestStateTTL <= 0 {
		opts.RequestStateTTL = DefaultRequestStateTTL
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.MaxInFlight == 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	s := &Server{
		opts:     opts,
		logger:   opts.Logger,
		sessions: make(map[*Session]struct{}),
		info: Implementation{
			Name:        opts.Name,
			Title:       opts.Title,
			Version:     opts.Version,
			Description: opts.Description,
			WebsiteURL:  opts.WebsiteURL,
			Icons:       opts.Icons,
		},
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.stateStore = opts.StateStore
	if s.stateStore == nil && opts.Store != nil {
		s.stateStore = opts.Store.State
	}
	if s.stateStore == nil {
		s.stateStore = NewMemoryStateStore()
	}
	s.keys = newKeyRing(opts.Secret, opts.PreviousSecrets)
	s.tasks = newTaskEngine(s, opts.Tasks)
	s.methods = s.newMethodTables()
	s.cluster = newCluster(s)
	return s
}

// Info returns the server's serverInfo.
func (s *Server) Info() Implementation { return s.info }

// Transport serves a Server to clients: Stdio, HTTP, or Auto (the command line
// and environment choose). The set is closed.
type Transport interface {
	serve(ctx context.Context, s *Server) error
}

// Start serves the server on t until ctx is cancelled, the transport ends (for
// Stdio: standard input reaches end of file), or the process receives SIGINT or
// SIGTERM. It then drains in-flight requests (up to Options.ShutdownTimeout,
// or HTTP.ShutdownTimeout) and returns nil for a clean end. A nil t means
// Auto{}: the command line and the environment choose the transport.
//
// Use Serve to handle signals yourself.
func (s *Server) Start(ctx context.Context, t Transport) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return s.Serve(ctx, t)
}

// Serve is Start without signal handling: it serves until ctx is cancelled or
// the transport ends.
func (s *Server) Serve(ctx context.Context, t Transport) error {
	if t == nil {
		t = Auto{}
	}
	s.warnOverridden(t)
	defer s.tasks.serveWorkers(ctx)() // queued tasks run while serving (TaskOptions.Queue)
	return t.serve(ctx, s)
}

// Sessions returns the sessions connected now: handshake-era sessions,
// including those still in their handshake, and stream connections (stdio),
// whether or not they initialized. (Requests of the 2026-07-28 revision have
// no session; over stdio they share their connection's.) The slice is a
// snapshot, safe to use while sessions come and go. A replica of a cluster
// (Store) lists the sessions it started, not those it serves for others.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Session, 0, len(s.sessions))
	for sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

func (s *Server) addSession(sess *Session) {
	s.mu.Lock()
	s.sessions[sess] = struct{}{}
	s.mu.Unlock()
}

func (s *Server) removeSession(sess *Session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
	s.vis.forget(sess)
}

// forEachSession calls f for every connected session, outside the lock.
func (s *Server) forEachSession(f func(*Session)) {
	for _, sess := range s.Sessions() {
		f(sess)
	}
}

// capabilities are the server capabilities declared to a client of revision v. Tools,
// resources (with subscriptions) and prompts are always declared, with
// listChanged, because the registry may change while a client is connected.
func (s *Server) capabilities(v protocolVersion) ServerCapabilities {
	c := ServerCapabilities{
		Tools:     &ToolsCapability{ListChanged: true},
		Resources: &ResourcesCapability{Subscribe: true, ListChanged: true},
		Prompts:   &PromptsCapability{ListChanged: true},
		Logging:   &struct{}{},
	}
	if v >= v20250326 {
		// The completions capability arrived with 2025-03-26; older
		// clients may still send completion/complete, and are answered.
		c.Completions = &struct{}{}
	}
	if v >= v20260728 {
		// The tasks extension (tasks.go) is defined from 2026-07-28 on.
		c.Extensions = map[string]any{TasksExtension: map[string]any{}}
	}
	return c
}

// serverInfoFor returns serverInfo shaped for revision v: fields the revision
// does not define are left out.
func (s *Server) serverInfoFor(v protocolVersion) Implementation {
	info := s.info
	if v < v20250618 {
		info.Title = ""
	}
	if v < v20251125 {
		info.Description, info.WebsiteURL, info.Icons = "", "", nil
	}
	return info
}

// methodTables are the method handlers of each protocol era.
type methodTables struct {
	handshake, modern map[string]MethodHandler
}

// newMethodTables returns the method handlers of each era: the methods both
// share, and each era's own.
func (s *Server) newMethodTables() methodTables {
	shared := map[string]MethodHandler{
		"tools/list":               s.listTools,
		"tools/call":               s.newToolCall(),
		"resources/list":           s.listResources,
		"resources/templates/list": s.listResourceTemplates,
		"resources/read":           s.readResource,
		"prompts/list":             s.listPrompts,
		"prompts/get":              s.getPrompt,
		"completion/complete":      s.complete,
	}
	t := methodTables{handshake: maps.Clone(shared), modern: maps.Clone(shared)}
	t.handshake["initialize"] = s.initialize
	t.handshake["ping"] = s.ping
	t.handshake["logging/setLevel"] = s.setLevel
	t.handshake["resources/subscribe"] = s.subscribe
	t.handshake["resources/unsubscribe"] = s.subscribe
	t.handshake["server/discover"] = s.serverDiscover
	t.modern["server/discover"] = s.discoverModern
	t.modern["subscriptions/listen"] = s.listen
	// The tasks extension (tasks_wire.go).
	t.modern["tasks/get"] = s.getTask
	t.modern["tasks/update"] = s.updateTask
	t.modern["tasks/cancel"] = s.cancelTask
	return t
}

// newPeerLimit returns the in-flight cap of a peer (Options.MaxInFlight).
func (s *Server) peerLimit() int {
	if s.opts.MaxInFlight < 0 {
		return 0
	}
	return s.opts.MaxInFlight
}
