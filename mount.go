package fastmcp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/yosida95/uritemplate/v3"
)

// Mounting: one server serves the tools, resources, resource templates and
// prompts of others under a namespace.
//
// Names. A mounted tool or prompt is named prefix_name ("weather_forecast" for
// the tool "forecast" mounted at "weather"); a resource URI or resource
// template is prefixed with the prefix and a plus sign, as a URI scheme
// prefix: "weather+file:///data/today" for "file:///data/today". The rewrite
// is reversible: stripping "weather+" from any URI the client reads gives the
// mounted server's URI, template matches included, and the contents a
// mounted server returns have their URIs rewritten the same way. Completion
// references name the rewritten prompt or template. With nested mounts the
// prefixes add up from the outside in ("travel_weather_forecast",
// "travel+weather+file:///x"). An empty prefix keeps names and URIs.
//
// Precedence. The server's own items win over mounted ones of the same name
// or URI; among mounts, the most recently mounted wins. Lists show exactly
// the items calls reach.
//
// Middleware and access checks. A request reaches a mounted component
// through the mounting server: its middleware (Use), its tools/call policies
// (rate limits, Options.ToolTimeout) and its visibility rules run, with the
// names it shows, and MountOptions.CanAccess when set. Then the mounted
// server's own middleware runs around its component, with the mounted
// server's names, and the component's own CanAccess check decides as usual
// (it reads the caller's auth data and session as the mounting server's
// transport established them). The mounted server's middleware runs only for
// its own components (tools/call, resources/read, prompts/get and
// completion/complete on them), never for the mounting server's own; lists
// are served by the mounting server from the mounted items, so a mounted
// server's middleware does not see them. The mounted server's visibility
// rules (Server.Disable) hide its items from those that mount it too.
//
// Inside a mounted component, Context.Server returns the mounted server, so
// its own Embedded, handles and logger are used; the session, auth data,
// progress and requests to the client are the mounting server's client's.
// Error masking (Options.ShowErrorDetails) and logging follow the mounted
// server's options; every option about serving (transports, Authenticate,
// RateLimits, ToolTimeout, PageSize, Cache) follows the mounting server's.
//
// The mounted server's sessions, connection events (OnConnect, OnDisconnect)
// and transports stay its own: the mounting server's clients are not its
// sessions.
//
// Live. Items the mounted server adds, removes, disables or enables reach
// the mounting server's clients as list_changed notifications (sessions and
// subscriptions/listen), and its ResourceUpdated reaches the mounting
// server's subscribers under the rewritten URI.

// MountOptions configure a mount. The zero value is usable.
type MountOptions struct {
	// CanAccess, when set, decides who sees and uses any of the mounted
	// server's components, before each component's own check. Default:
	// everyone (the components' own checks still apply).
	CanAccess AccessCheck
	// Tags are added to the tags of every mounted component, so
	// Server.Disable or Session.Disable with ByTag can hide a whole mount.
	// Default: none.
	Tags []string
}

// mountState is a server's place in the mount graph: the servers it mounts,
// the mounts of it by others, and the chain its components run in when
// mounted.
type mountState struct {
	// points are the server's mounts, the most recent first; parents the
	// mounts of this server by others. Both are replaced, never modified,
	// under topologyMu.
	points  atomic.Pointer[[]*mountPoint]
	parents atomic.Pointer[[]*mountPoint]
	chain   atomic.Pointer[mountedChain]
}

// topologyMu orders changes to the mount graph, so two concurrent mounts
// cannot make a cycle.
var topologyMu sync.Mutex

// mountPoint is one server mounted in another under a prefix.
type mountPoint struct {
	parent, child *Server
	prefix        string
	opts          MountOptions

	// mu guards the derived entries: the parent's entry for each of the
	// child's, kept so unchanged items are not encoded again when the
	// mounted view is rebuilt.
	mu        sync.Mutex
	tools     map[*toolEntry]*toolEntry
	resources map[*resourceEntry]*resourceEntry
	templates map[*templateEntry]*templateEntry
	prompts   map[*promptEntry]*promptEntry
}

// validPrefix reports whether prefix can start tool names and URI schemes:
// empty, or a letter followed by letters, digits, '-' or '.'.
func validPrefix(prefix string) bool {
	for i, r := range prefix {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// reaches reports whether target is s or mounted, directly or not, in s.
// topologyMu is held.
func (s *Server) reaches(target *Server) bool {
	if s == target {
		return true
	}
	if points := s.mounts.points.Load(); points != nil {
		for _, p := range *points {
			if p.child.reaches(target) {
				return true
			}
		}
	}
	return false
}

// initMounted gives each of the server's feature sets its mounted view, on
// the first mount. topologyMu is held.
func (s *Server) initMounted() {
	if s.reg.tools.mount.Load() != nil {
		return
	}
	s.reg.tools.mount.Store(newMountedItems(func() map[string]*toolEntry {
		return mountedView(s, func(c *Server) *featureSet[*toolEntry] { return &c.reg.tools },
			func(p *mountPoint) *map[*toolEntry]*toolEntry { return &p.tools }, (*mountPoint).deriveTool)
	}))
	s.reg.resources.mount.Store(newMountedItems(func() map[string]*resourceEntry {
		return mountedView(s, func(c *Server) *featureSet[*resourceEntry] { return &c.reg.resources },
			func(p *mountPoint) *map[*resourceEntry]*resourceEntry { return &p.resources }, (*mountPoint).deriveResource)
	}))
	s.reg.templates.mount.Store(newMountedItems(func() map[string]*templateEntry {
		return mountedView(s, func(c *Server) *featureSet[*templateEntry] { return &c.reg.templates },
			func(p *mountPoint) *map[*templateEntry]*templateEntry { return &p.templates }, (*mountPoint).deriveTemplate)
	}))
	s.reg.prompts.mount.Store(newMountedItems(func() map[string]*promptEntry {
		return mountedView(s, func(c *Server) *featureSet[*promptEntry] { return &c.reg.prompts },
			func(p *mountPoint) *map[*promptEntry]*promptEntry { return &p.prompts }, (*mountPoint).derivePrompt)
	}))
}

// mountedItems are the items of one kind that a server's mounts offer, by the
// key the server shows: a view rebuilt on first use after a change (gen
// counts changes, built the change the view reflects).
type mountedItems[E entry] struct {
	build      func() map[string]E
	gen, built atomic.Uint64
	buildMu    sync.Mutex
	// items and checks are guarded by the feature set's mu.
	items  map[string]E
	checks int
}

func newMountedItems[E entry](build func() map[string]E) *mountedItems[E] {
	m := &mountedItems[E]{build: build}
	m.gen.Store(1)
	return m
}

// mounted returns the set's mounted view, rebuilt if a change made it stale,
// or nil when the server mounts nothing.
func (f *featureSet[E]) mounted() *mountedItems[E] {
	m := f.mount.Load()
	if m != nil {
		f.fresh(m)
	}
	return m
}

// fresh rebuilds m if a change made it stale.
func (f *featureSet[E]) fresh(m *mountedItems[E]) {
	if m.built.Load() < m.gen.Load() {
		f.refresh(m)
	}
}

// refresh rebuilds a stale mounted view. The view is built without the set's
// lock (building reads the mounted servers' sets), once at a time.
func (f *featureSet[E]) refresh(m *mountedItems[E]) {
	m.buildMu.Lock()
	defer m.buildMu.Unlock()
	g := m.gen.Load()
	if m.built.Load() >= g {
		return
	}
	items := m.build()
	checks := 0
	for _, e := range items {
		if e.access() != nil {
			checks++
		}
	}
	f.mu.Lock()
	m.items, m.checks = items, checks
	m.built.Store(g)
	f.sorted = nil
	f.mu.Unlock()
}

// invalidate marks the set's mounted view stale.
func (f *featureSet[E]) invalidate() {
	if m := f.mount.Load(); m != nil {
		m.gen.Add(1)
	}
}

// invalidateMounted marks the mounted views of kinds stale.
func (s *Server) invalidateMounted(kinds listKinds) {
	if kinds&listTools != 0 {
		s.reg.tools.invalidate()
	}
	if kinds&listResources != 0 {
		s.reg.resources.invalidate()
		s.reg.templates.invalidate()
	}
	if kinds&listPrompts != 0 {
		s.reg.prompts.invalidate()
	}
}

// changedInMount tells the servers that mount s that the lists of kinds
// changed: their views are rebuilt and their clients told.
func (s *Server) changedInMount(kinds listKinds) {
	parents := s.mounts.parents.Load()
	if parents == nil {
		return
	}
	for _, p := range *parents {
		p.parent.invalidateMounted(kinds)
		p.parent.listChanged(kinds)
	}
}

// updatedInMount tells the subscribers of the servers that mount s that the
// resource at uri changed, under their names for it.
func (s *Server) updatedInMount(uri string) {
	parents := s.mounts.parents.Load()
	if parents == nil {
		return
	}
	for _, p := range *parents {
		p.parent.ResourceUpdated(p.uri(uri))
	}
}

// mountedView builds the view of one kind of item of s's mounts: each mount's
// items (its own and its mounts', as its clients see them, less those its
// rules disable), renamed, the most recent mount winning a shared key.
func mountedView[E interface {
	entry
	comparable
}](s *Server, set func(*Server) *featureSet[E], cache func(*mountPoint) *map[E]E, derive func(*mountPoint, E) E) map[string]E {
	out := make(map[string]E)
	points := s.mounts.points.Load()
	if points == nil {
		return out
	}
	for _, p := range *points {
		src := set(p.child).all()
		p.mu.Lock()
		old := *cache(p)
		fresh := make(map[E]E, len(src))
		for _, e := range src {
			if !p.child.enabledOnServer(e) {
				continue
			}
			d, ok := old[e]
			if !ok {
				d = derive(p, e)
			}
			fresh[e] = d
			if _, taken := out[d.key()]; !taken {
				out[d.key()] = d
			}
		}
		*cache(p) = fresh
		p.mu.Unlock()
	}
	return out
}

// name, uri and strip rewrite names and URIs between the child and the
// parent.
func (p *mountPoint) name(n string) string {
	if p.prefix == "" {
		return n
	}
	return p.prefix + "_" + n
}

func (p *mountPoint) uri(u string) string {
	if p.prefix == "" {
		return u
	}
	return p.prefix + "+" + u
}

func (p *mountPoint) strip(u string) string {
	if p.prefix == "" {
		return u
	}
	return strings.TrimPrefix(u, p.prefix+"+")
}

// access combines the mount's check with an item's.
func (p *mountPoint) access(own AccessCheck) AccessCheck {
	outer := p.opts.CanAccess
	switch {
	case outer == nil:
		return own
	case own == nil:
		return outer
	}
	return func(c *Context) bool { return outer(c) && own(c) }
}

func (p *mountPoint) tags(own []string) []string {
	if len(p.opts.Tags) == 0 {
		return own
	}
	return append(slices.Clip(own), p.opts.Tags...)
}

func (p *mountPoint) deriveTool(src *toolEntry) *toolEntry {
	e := &toolEntry{tool: src.tool, timeout: src.timeout, headers: src.headers}
	e.tool.Name = p.name(src.tool.Name)
	e.tool.CanAccess = p.access(src.tool.CanAccess)
	e.tool.Tags = p.tags(src.tool.Tags)
	if err := e.encode(); err != nil {
		panic(fmt.Sprintf("fastmcp: mounted tool %q: %v", e.tool.Name, err)) // encoded once already
	}
	name, child := src.tool.Name, p.child
	e.call = func(c *Context, args json.RawMessage) (*CallToolResult, error) {
		res, err := child.serveAsMounted(c, &Request{Method: "tools/call", Name: name, Arguments: args})
		if err != nil {
			return nil, err
		}
		return resultAs[CallToolResult](res)
	}
	return e
}

func (p *mountPoint) deriveResource(src *resourceEntry) *resourceEntry {
	r := src.res
	r.URI = p.uri(src.res.URI)
	r.CanAccess = p.access(src.res.CanAccess)
	r.Tags = p.tags(src.res.Tags)
	uri := src.res.URI
	r.Load = func(c *Context) ([]*ResourceContents, error) { return p.read(c, uri) }
	return newResourceEntry(r)
}

func (p *mountPoint) deriveTemplate(src *templateEntry) *templateEntry {
	t := src.tmpl
	t.URITemplate = p.uri(src.tmpl.URITemplate)
	t.CanAccess = p.access(src.tmpl.CanAccess)
	t.Tags = p.tags(src.tmpl.Tags)
	compiled, err := uritemplate.New(t.URITemplate)
	if err != nil {
		// A valid template with a prefix of letters, digits, '-', '.'
		// and '+' (literals in RFC 6570) is valid.
		panic(fmt.Sprintf("fastmcp: mounted template %q: %v", t.URITemplate, err))
	}
	e := &templateEntry{tmpl: t, compiled: compiled, complete: map[string]Completer{}}
	for _, v := range compiled.Varnames() {
		e.complete[v] = p.completer(CompleteReference{Type: RefResource, URI: src.tmpl.URITemplate}, v)
	}
	e.load = func(c *Context, uri string, _ uritemplate.Values) ([]*ResourceContents, error) {
		return p.read(c, p.strip(uri))
	}
	e.wire = templateWire(t)
	return e
}

func (p *mountPoint) derivePrompt(src *promptEntry) *promptEntry {
	pr := src.prompt
	pr.Name = p.name(src.prompt.Name)
	pr.CanAccess = p.access(src.prompt.CanAccess)
	pr.Tags = p.tags(src.prompt.Tags)
	pr.Arguments = slices.Clone(src.prompt.Arguments)
	ref := CompleteReference{Type: RefPrompt, Name: src.prompt.Name}
	for i := range pr.Arguments {
		pr.Arguments[i].Complete = p.completer(ref, pr.Arguments[i].Name)
	}
	e := &promptEntry{prompt: pr, wire: promptWire(pr)}
	name, child := src.prompt.Name, p.child
	e.get = func(c *Context, args map[string]string) (*GetPromptResult, error) {
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		res, err := child.serveAsMounted(c, &Request{Method: "prompts/get", Name: name, Arguments: raw})
		if err != nil {
			return nil, err
		}
		return resultAs[GetPromptResult](res)
	}
	return e
}

// read reads the child's resource at uri, for the parent: contents' URIs are
// rewritten, and a resource the child does not have is one the parent does
// not have.
func (p *mountPoint) read(c *Context, uri string) ([]*ResourceContents, error) {
	res, err := p.child.serveAsMounted(c, &Request{Method: "resources/read", Name: uri})
	if err != nil {
		if code := ErrorCodeOf(err); code == CodeResourceNotFound || code == CodeInvalidParams {
			if e, ok := err.(*Error); ok && strings.HasPrefix(e.Message, "Resource not found: ") {
				return nil, resourceNotFound(p.uri(uri), c.req.version)
			}
		}
		return nil, err
	}
	rr, err := resultAs[ReadResourceResult](res)
	if err != nil {
		return nil, err
	}
	out := make([]*ResourceContents, 0, len(rr.Contents))
	for _, rc := range rr.Contents {
		if rc == nil {
			continue
		}
		cp := *rc
		if cp.URI != "" {
			cp.URI = p.uri(cp.URI)
		}
		out = append(out, &cp)
	}
	return out, nil
}

// completer returns a Completer of the parent for an argument of the child's
// prompt or template ref, which asks the child (through its middleware).
func (p *mountPoint) completer(ref CompleteReference, arg string) Completer {
	return func(c *Context, value string, args map[string]string) ([]string, error) {
		params := struct {
			Ref      CompleteReference `json:"ref"`
			Argument CompleteArgument  `json:"argument"`
			Context  *CompleteContext  `json:"context,omitempty"`
			Meta     json.RawMessage   `json:"_meta,omitempty"`
		}{Ref: ref, Argument: CompleteArgument{Name: arg, Value: value}, Meta: c.req.meta}
		if len(args) > 0 {
			params.Context = &CompleteContext{Arguments: args}
		}
		raw, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		res, err := p.child.serveAsMounted(c, &Request{Method: "completion/complete", Params: raw})
		if err != nil {
			return nil, err
		}
		cr, err := resultAs[CompleteResult](res)
		if err != nil {
			return nil, err
		}
		return cr.Completion.Values, nil
	}
}

// mountedChain is the chain a server's components run in when reached
// through a server that mounts it: its middleware around serveMounted, built
// from the same middleware as chain (from).
type mountedChain struct {
	from *MethodHandler
	h    MethodHandler
}

// serveAsMounted serves a request for one of s's components, reached through
// a server that mounts s: in s's middleware, with a copy of the parent's
// context whose server is s.
func (s *Server) serveAsMounted(c *Context, req *Request) (any, error) {
	cc := *c
	cc.srv = s
	cur := s.chain.Load()
	if cur == nil {
		return s.serveMounted(&cc, req)
	}
	if req.Params == nil {
		// Middleware reads the params it would get were it serving the
		// request itself.
		req.Params = mountedParams(req, c.req.meta)
	}
	mc := s.mounts.chain.Load()
	if mc == nil || mc.from != cur {
		s.mwMu.Lock()
		mws := slices.Clone(s.mw)
		cur = s.chain.Load()
		s.mwMu.Unlock()
		h := MethodHandler(s.serveMounted)
		for i := len(mws) - 1; i >= 0; i-- {
			h = mws[i](h)
		}
		mc = &mountedChain{from: cur, h: h}
		s.mounts.chain.Store(mc)
	}
	return mc.h(&cc, req)
}

// mountedParams encodes the params of a request to a mounted server.
func mountedParams(req *Request, meta json.RawMessage) json.RawMessage {
	var p struct {
		Name      string          `json:"name,omitempty"`
		URI       string          `json:"uri,omitempty"`
		Arguments json.RawMessage `json:"arguments,omitempty"`
		Meta      json.RawMessage `json:"_meta,omitempty"`
	}
	if req.Method == "resources/read" {
		p.URI = req.Name
	} else {
		p.Name, p.Arguments = req.Name, req.Arguments
	}
	p.Meta = meta
	raw, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	return raw
}

// serveMounted is the innermost handler of a server's components reached
// through a server that mounts it. The session's visibility rules are the
// mounting server's (see visRules); the server's own rules and the
// component's access check apply.
func (s *Server) serveMounted(c *Context, req *Request) (any, error) {
	switch req.Method {
	case "tools/call":
		e := s.reg.tools.get(req.Name)
		if e == nil || !c.sees(e) {
			return nil, NewError(CodeInvalidParams, "Unknown tool: %s", req.Name)
		}
		return s.invokeTool(c, e, req.Arguments)
	case "resources/read":
		if req.Name == "" {
			return nil, NewError(CodeInvalidParams, "resources/read: missing uri")
		}
		contents, _, _, err := s.loadResource(c, req.Name)
		if err != nil {
			return nil, err
		}
		return &ReadResourceResult{Contents: contents}, nil
	case "prompts/get":
		return s.getPrompt(c, req)
	case "completion/complete":
		var p struct {
			Ref      CompleteReference `json:"ref"`
			Argument CompleteArgument  `json:"argument"`
			Context  *CompleteContext  `json:"context"`
		}
		if err := json.Unmarshal(req.Params, &p); err != nil {
			return nil, NewError(CodeInvalidParams, "invalid params for completion/complete: %v", err)
		}
		values, err := s.completeValues(c, p.Ref, p.Argument, p.Context)
		if err != nil {
			return nil, err
		}
		// Every value: the mounting server truncates and counts.
		if values == nil {
			values = []string{}
		}
		return &CompleteResult{Completion: Completion{Values: values, Total: len(values)}}, nil
	}
	return nil, NewError(CodeMethodNotFound, "Method not found: %s", req.Method)
}

// resultAs returns a handler's result as a *T: itself, or decoded from its
// JSON when middleware answered with another type.
func resultAs[T any](v any) (*T, error) {
	switch r := v.(type) {
	case *T:
		if r == nil {
			return new(T), nil
		}
		return r, nil
	case T:
		return &r, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("fastmcp: a mounted server's middleware answered with %T, which is not a %T: %w", v, out, err)
	}
	return out, nil
}
