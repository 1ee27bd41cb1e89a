package fastmcp

import (
	"cmp"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// registry holds what the server offers. Reads take a read lock; the sorted
// lists are rebuilt lazily after a change.
type registry struct {
	mu sync.RWMutex

	tools     map[string]*toolEntry
	resources map[string]*resourceEntry
	templates map[string]*templateEntry
	prompts   map[string]*promptEntry

	// checks counts the items with an access check.
	checks int

	// Sorted views, nil when stale.
	toolList     []*toolEntry
	resourceList []*resourceEntry
	templateList []*templateEntry
	promptList   []*promptEntry
}

func (r *registry) init() {
	r.tools = make(map[string]*toolEntry)
	r.resources = make(map[string]*resourceEntry)
	r.templates = make(map[string]*templateEntry)
	r.prompts = make(map[string]*promptEntry)
}

// sortedValues returns the values of m sorted by key.
func sortedValues[E any](m map[string]E, key func(E) string) []E {
	out := make([]E, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b E) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// count updates the number of items with access checks when an item that had
// one (before) is replaced by one that has one (after). r.mu is held.
func (r *registry) count(before, after bool) {
	if before {
		r.checks--
	}
	if after {
		r.checks++
	}
}

// hasAccessChecks reports whether any item has an access check.
func (r *registry) hasAccessChecks() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checks > 0
}

func (r *registry) sortedTools() []*toolEntry {
	r.mu.RLock()
	l := r.toolList
	r.mu.RUnlock()
	if l != nil {
		return l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.toolList == nil {
		r.toolList = sortedValues(r.tools, func(e *toolEntry) string { return e.tool.Name })
	}
	return r.toolList
}

func (r *registry) sortedResources() []*resourceEntry {
	r.mu.RLock()
	l := r.resourceList
	r.mu.RUnlock()
	if l != nil {
		return l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resourceList == nil {
		r.resourceList = sortedValues(r.resources, func(e *resourceEntry) string { return e.res.URI })
	}
	return r.resourceList
}

func (r *registry) sortedTemplates() []*templateEntry {
	r.mu.RLock()
	l := r.templateList
	r.mu.RUnlock()
	if l != nil {
		return l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.templateList == nil {
		r.templateList = sortedValues(r.templates, func(e *templateEntry) string { return e.tmpl.URITemplate })
	}
	return r.templateList
}

func (r *registry) sortedPrompts() []*promptEntry {
	r.mu.RLock()
	l := r.promptList
	r.mu.RUnlock()
	if l != nil {
		return l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.promptList == nil {
		r.promptList = sortedValues(r.prompts, func(e *promptEntry) string { return e.prompt.Name })
	}
	return r.promptList
}

func (r *registry) tool(name string) *toolEntry {
	r.mu.RLock()
	e := r.tools[name]
	r.mu.RUnlock()
	return e
}

// toolBytes looks a tool up by a name given as bytes, without allocating.
func (r *registry) toolBytes(name []byte) *toolEntry {
	r.mu.RLock()
	e := r.tools[string(name)]
	r.mu.RUnlock()
	return e
}

func (r *registry) resource(uri string) *resourceEntry {
	r.mu.RLock()
	e := r.resources[uri]
	r.mu.RUnlock()
	return e
}

func (r *registry) prompt(name string) *promptEntry {
	r.mu.RLock()
	e := r.prompts[name]
	r.mu.RUnlock()
	return e
}

func (r *registry) templateByURI(uriTemplate string) *templateEntry {
	r.mu.RLock()
	e := r.templates[uriTemplate]
	r.mu.RUnlock()
	return e
}

// paginate returns the page of the sorted items that follows cursor, and the
// cursor of the next page ("" on the last page). A cursor is the opaque,
// encoded key of the last item of the previous page.
func paginate[E any](items []E, key func(E) string, cursor string, size int) ([]E, string, error) {
	start := 0
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 {
			return nil, "", NewError(CodeInvalidParams, "invalid cursor %q", cursor)
		}
		start, _ = slices.BinarySearchFunc(items, string(after), func(e E, k string) int { return cmp.Compare(key(e), k) })
		if start < len(items) && key(items[start]) == string(after) {
			start++
		}
	}
	end := min(start+size, len(items))
	page := items[start:end]
	next := ""
	if end < len(items) && end > start {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return page, next, nil
}

// listKinds is a set of lists whose contents changed.
type listKinds uint8

const (
	listTools listKinds = 1 << iota
	listResources
	listPrompts
)

var listChangedMethods = [...]struct {
	kind   listKinds
	method string
}{
	{listTools, "notifications/tools/list_changed"},
	{listResources, "notifications/resources/list_changed"},
	{listPrompts, "notifications/prompts/list_changed"},
}

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

// listChanged schedules list_changed notifications for kinds, debounced by
// Options.ListChangedDelay. Only sessions initialized before the change are
// told: a client that initialized later lists the registry as it now is.
func (s *Server) listChanged(kinds listKinds) {
	seq := s.lcSeq.Add(1)
	s.lcMu.Lock()
	defer s.lcMu.Unlock()
	for i, lc := range listChangedMethods {
		if kinds&lc.kind != 0 {
			s.lcPending[i] = seq
		}
	}
	if s.lcTimer == nil {
		s.lcTimer = time.AfterFunc(s.opts.ListChangedDelay, s.flushListChanged)
	}
}

func (s *Server) flushListChanged() {
	s.lcMu.Lock()
	pending := s.lcPending
	s.lcPending = [len(listChangedMethods)]uint64{}
	s.lcTimer = nil
	s.lcMu.Unlock()
	s.notifyListChanged(pending)
	for i, lc := range listChangedMethods {
		if seq := pending[i]; seq != 0 {
			s.forEachSession(func(sess *Session) {
				if sess.initSeq.Load() < seq {
					sess.notifyIfReady(lc.method, nil)
				}
			})
		}
	}
}
