package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
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

// Tools (tool.go). The machinery is in that file.

// RemoveTools removes the named tools. Connected clients are told the list
// changed when any was removed.
func (s *Server) RemoveTools(names ...string) {
	if s.reg.tools.remove(names...) {
		s.listChanged(listTools)
	}
}

// Resources and templates (resource.go). The machinery is in that file.

// AddResource registers a resource, replacing any resource with the same URI.
// Connected clients are told the list changed. It panics when the URI, the
// name or the loader is missing.
func (s *Server) AddResource(r Resource) {
	if r.URI == "" || r.Name == "" {
		panic(fmt.Sprintf("fastmcp: AddResource: a resource needs a URI and a name (got %q, %q)", r.URI, r.Name))
	}
	if r.Load == nil {
		panic(fmt.Sprintf("fastmcp: AddResource %q: nil Load", r.URI))
	}
	s.reg.resources.add(newResourceEntry(r))
	s.listChanged(listResources)
}

// RemoveResources removes the resources with the given URIs. Connected clients
// are told the list changed when any was removed.
func (s *Server) RemoveResources(uris ...string) {
	if s.reg.resources.remove(uris...) {
		s.listChanged(listResources)
	}
}

// RemoveResourceTemplates removes the templates with the given URI templates.
// Connected clients are told the list changed when any was removed.
func (s *Server) RemoveResourceTemplates(uriTemplates ...string) {
	if s.reg.templates.remove(uriTemplates...) {
		s.listChanged(listResources)
	}
}

// Embedded loads the registered resource (or template match) at uri, ready to
// embed in a tool result or prompt message. The loader receives ctx when it
// comes from a FastMCP handler (so it sees the same session), and a detached
// context otherwise. When the resource has several contents, the first is
// embedded.
func (s *Server) Embedded(ctx context.Context, uri string) (*EmbeddedResource, error) {
	c := ContextFrom(ctx)
	if c == nil || c.srv != s {
		c = s.detachedContext(ctx, "resources/read")
	}
	contents, _, _, err := s.loadResource(c, uri)
	if err != nil {
		return nil, err
	}
	if len(contents) == 0 {
		return nil, fmt.Errorf("fastmcp: resource %q has no contents", uri)
	}
	return &EmbeddedResource{Resource: contents[0]}, nil
}

// Prompts (prompt.go). The machinery is in that file.

// RemovePrompts removes the named prompts. Connected clients are told the list
// changed when any was removed.
func (s *Server) RemovePrompts(names ...string) {
	if s.reg.prompts.remove(names...) {
		s.listChanged(listPrompts)
	}
}

// Removing tools, resources, templates and prompts (registry.go). The machinery is in that file.

// ToolsListChanged tells every client that the tool list changed, as AddTool
// and RemoveTools do: handshake-era sessions, and 2026-07-28 clients listening
// with subscriptions/listen. Call it when what a client sees changes without
// the registry changing, such as when CanAccess checks depend on outside
// state.
func (s *Server) ToolsListChanged() { s.listChanged(listTools) }

// ResourcesListChanged tells every client that the resource list (or the
// resource template list) changed; see ToolsListChanged.
func (s *Server) ResourcesListChanged() { s.listChanged(listResources) }

// PromptsListChanged tells every client that the prompt list changed; see
// ToolsListChanged.
func (s *Server) PromptsListChanged() { s.listChanged(listPrompts) }

// Middleware (middleware.go). The machinery is in that file.

// Use adds middleware around every request the server serves. Middleware runs
// in onion order: the first added is the outermost, so it sees the request
// first and the result last. Use may be called at any time; requests that
// started earlier keep the chain they started with. Default: no middleware,
// which costs nothing.
func (s *Server) Use(mw ...Middleware) {
	for _, m := range mw {
		if m == nil {
			panic("fastmcp: Use: nil middleware")
		}
	}
	s.mwMu.Lock()
	defer s.mwMu.Unlock()
	s.mw = append(s.mw, mw...)
	h := MethodHandler(s.handle)
	for i := len(s.mw) - 1; i >= 0; i-- {
		h = s.mw[i](h)
		if h == nil {
			panic(fmt.Sprintf("fastmcp: Use: middleware %d returned a nil handler", i))
		}
	}
	s.chain.Store(&h)
}

// Mounting other servers (mount.go). The machinery is in that file.

// Mount serves child's tools, resources, resource templates and prompts
// through s under prefix, as described above: tool "forecast" of a child
// mounted at "weather" is "weather_forecast", its resource "file:///x" is
// "weather+file:///x". Connected clients are told the lists changed.
//
// A child may be mounted by several servers, and by one server under several
// prefixes. It panics on a programmer error: a nil child, a prefix that is
// already mounted on s, a prefix that is not a letter followed by letters,
// digits, '-' or '.' (or empty), or a mount that would make a cycle (s
// mounted, directly or not, inside child).
func (s *Server) Mount(prefix string, child *Server, opts MountOptions) {
	if child == nil {
		panic("fastmcp: Mount: nil server")
	}
	if !validPrefix(prefix) {
		panic(fmt.Sprintf("fastmcp: Mount: invalid prefix %q: a prefix is a letter followed by letters, digits, '-' or '.' (it starts tool names and URI schemes)", prefix))
	}
	topologyMu.Lock()
	if child.reaches(s) {
		topologyMu.Unlock()
		panic(fmt.Sprintf("fastmcp: Mount %q: the server is already mounted, directly or not, inside the one being mounted: that would be a cycle", prefix))
	}
	var points []*mountPoint
	if cur := s.mounts.points.Load(); cur != nil {
		points = *cur
	}
	for _, p := range points {
		if p.prefix == prefix {
			topologyMu.Unlock()
			panic(fmt.Sprintf("fastmcp: Mount: prefix %q is already mounted", prefix))
		}
	}
	p := &mountPoint{parent: s, child: child, prefix: prefix, opts: opts}
	p.opts.Tags = slices.Clone(opts.Tags)
	points = append([]*mountPoint{p}, points...)
	s.mounts.points.Store(&points)
	var parents []*mountPoint
	if cur := child.mounts.parents.Load(); cur != nil {
		parents = slices.Clone(*cur)
	}
	parents = append(parents, p)
	child.mounts.parents.Store(&parents)
	s.initMounted()
	topologyMu.Unlock()
	s.invalidateMounted(listTools | listResources | listPrompts)
	s.listChanged(listTools | listResources | listPrompts)
}

// Unmount removes the server mounted under prefix, and reports whether there
// was one. Connected clients are told the lists changed. Tools derived from
// its tools (TransformTool) keep working.
func (s *Server) Unmount(prefix string) bool {
	topologyMu.Lock()
	var points []*mountPoint
	if cur := s.mounts.points.Load(); cur != nil {
		points = *cur
	}
	i := slices.IndexFunc(points, func(p *mountPoint) bool { return p.prefix == prefix })
	if i < 0 {
		topologyMu.Unlock()
		return false
	}
	p := points[i]
	points = slices.Delete(slices.Clone(points), i, i+1)
	s.mounts.points.Store(&points)
	parents := slices.DeleteFunc(slices.Clone(*p.child.mounts.parents.Load()), func(q *mountPoint) bool { return q == p })
	p.child.mounts.parents.Store(&parents)
	topologyMu.Unlock()
	s.invalidateMounted(listTools | listResources | listPrompts)
	s.listChanged(listTools | listResources | listPrompts)
	return true
}

// Tags and visibility (visibility.go). The machinery is in that file.

// Disable hides the items sel selects from every client, from now on and for
// items added later, until a later Enable shows them again (see the rules
// above). Clients whose lists change are told with list_changed
// notifications, in both protocol eras. It panics when sel selects nothing.
func (s *Server) Disable(sel Selector) { s.setVisibility(sel, false) }

// Enable shows the items sel selects again after Disable (the latest rule
// selecting an item decides). Clients whose lists change are told. It panics
// when sel selects nothing.
func (s *Server) Enable(sel Selector) { s.setVisibility(sel, true) }

// Tasks (tasks_engine.go). The machinery is in that file.

// RunTaskWorker runs queued tasks (TaskOptions.Queue) in this process until
// ctx ends, up to TaskOptions.MaxRunning at once, and fails or reruns the
// tasks of workers that died. A worker process of the same binary calls it
// instead of Serve; Serve runs the same workers unless
// TaskOptions.DisableWorkers. It returns nil when ctx ends, once no more
// tasks are taken; handlers still running go on until they return.
func (s *Server) RunTaskWorker(ctx context.Context) error {
	if !s.tasks.queue {
		return errors.New("fastmcp: RunTaskWorker runs queued tasks, and Options.Tasks.Queue is not set")
	}
	s.tasks.work(ctx)
	return nil
}

// Sessions (session.go). The machinery is in that file.

// ResourceUpdated tells every client subscribed to uri that the resource
// changed (notifications/resources/updated): handshake-era sessions that sent
// resources/subscribe, and 2026-07-28 clients listening with
// subscriptions/listen and resourceSubscriptions naming uri.
func (s *Server) ResourceUpdated(uri string) {
	s.updSeq.Add(1)
	s.updatedInMount(uri)
	if s.cluster != nil {
		s.cluster.resourceUpdated(uri) // every replica tells its clients (cluster.go)
		return
	}
	s.notifyResourceUpdated(uri)
	s.forEachSession(func(sess *Session) {
		if sess.subscribed(uri) {
			sess.notifyIfReady("notifications/resources/updated", map[string]string{"uri": uri})
		}
	})
}

// Session events (session_events.go). The machinery is in that file.

// OnConnect registers f to run when a client session starts (its initialize
// request is accepted). It returns a function that removes f. Session events
// belong to the handshake era: requests of the sessionless 2026-07-28
// revision start no session and fire none. In a cluster of replicas (Store),
// f runs on the replica that started the session, and OnDisconnect's there.
func (s *Server) OnConnect(f func(*Session)) (remove func()) { return s.onConnect.add(f) }

// OnDisconnect registers f to run when a session ends: the client deleted it
// or closed stdin, it was reaped for idleness or to make room, its stream was
// lost (legacy SSE), it was closed, or the server shut down. Session.CloseCause
// says which. It returns a function that removes f.
func (s *Server) OnDisconnect(f func(*Session)) (remove func()) { return s.onDisconnect.add(f) }

// The HTTP handler (streamable_handler.go). The machinery is in that file.

// Handler returns an http.Handler serving s with the given options (Addr, Host,
// Port and the TLS fields are ignored: the caller's http.Server owns the
// listener). The handler matches request paths as they reach it: to mount it
// under a prefix, either set opts.BasePath to that prefix, or strip it with
// http.StripPrefix (custom routes then see the stripped path). Close the
// handler when done: it ends the sessions and stops the idle reaper.
func (s *Server) Handler(opts HTTP) *HTTPHandler {
	return s.newHTTPHandler(opts.withDefaults(s))
}

// Custom HTTP routes (http_routes.go). The machinery is in that file.

// Route adds a custom HTTP route served beside the MCP endpoint, on every HTTP
// transport of the server (routes added while serving take effect at once).
// pattern is a net/http ServeMux pattern such as "GET /api/users/{id}"; it is
// matched against the full request path (BasePath is not prepended). Route
// panics on a malformed pattern or one that conflicts with an earlier route, as
// ServeMux.Handle does.
func (s *Server) Route(pattern string, handler http.Handler, opts RouteOptions) {
	s.routes.mu.Lock()
	defer s.routes.mu.Unlock()
	if s.routes.mux == nil {
		s.routes.mux = http.NewServeMux()
	}
	s.routes.mux.Handle(pattern, s.routeHandler(pattern, handler, opts))
	s.routes.n++
}

// RouteFunc is Route for a handler function.
func (s *Server) RouteFunc(pattern string, handler func(http.ResponseWriter, *http.Request), opts RouteOptions) {
	s.Route(pattern, http.HandlerFunc(handler), opts)
}
