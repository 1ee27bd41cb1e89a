package fastmcp

import (
	"cmp"
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// registry holds what the server offers: one featureSet per kind of item.
type registry struct {
	tools     featureSet[*toolEntry]
	resources featureSet[*resourceEntry]
	templates featureSet[*templateEntry]
	prompts   featureSet[*promptEntry]
}

// hasAccessChecks reports whether any item has an access check.
func (r *registry) hasAccessChecks() bool {
	return r.tools.hasChecks() || r.resources.hasChecks() || r.templates.hasChecks() || r.prompts.hasChecks()
}

// entry is a registered tool, resource, resource template or prompt.
type entry interface {
	// key identifies the item in its set and orders its list: a tool's or
	// prompt's name, a resource's URI, a template's URI template.
	key() string
	// access is the item's access check, or nil.
	access() AccessCheck
	// kind and tags select the item for Server.Disable and Enable (see
	// visibility.go).
	kind() Kind
	tags() []string
}

// featureSet is the set of one kind of item: keyed, with a sorted view rebuilt
// lazily after a change, and a count of the items with an access check. Reads
// take a read lock. The items of mounted servers (mount.go) are kept beside
// the server's own, which win on a shared key.
type featureSet[E entry] struct {
	mu     sync.RWMutex
	items  map[string]E
	sorted []E // nil when stale
	checks int
	// mount is nil until the server mounts another.
	mount atomic.Pointer[mountedItems[E]]
}

// add adds e, replacing the item with the same key.
func (f *featureSet[E]) add(e E) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = make(map[string]E)
	}
	if old, ok := f.items[e.key()]; ok && old.access() != nil {
		f.checks--
	}
	if e.access() != nil {
		f.checks++
	}
	f.items[e.key()] = e
	f.sorted = nil
}

// remove removes the items with the given keys. It reports whether any was
// there.
func (f *featureSet[E]) remove(keys ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	removed := false
	for _, k := range keys {
		if e, ok := f.items[k]; ok {
			if e.access() != nil {
				f.checks--
			}
			delete(f.items, k)
			removed = true
		}
	}
	if removed {
		f.sorted = nil
	}
	return removed
}

// get returns the item with the key, or the zero E.
func (f *featureSet[E]) get(key string) E {
	m := f.mount.Load() // (mounted, by hand: this is the hot path)
	if m != nil {
		f.fresh(m)
	}
	f.mu.RLock()
	e, ok := f.items[key]
	if !ok && m != nil {
		e = m.items[key]
	}
	f.mu.RUnlock()
	return e
}

// all returns the items sorted by key. The slice is shared: do not modify it.
func (f *featureSet[E]) all() []E {
	m := f.mounted()
	f.mu.RLock()
	l := f.sorted
	f.mu.RUnlock()
	if l != nil {
		return l
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sorted == nil {
		f.sorted = make([]E, 0, len(f.items))
		for _, e := range f.items {
			f.sorted = append(f.sorted, e)
		}
		if m != nil {
			for k, e := range m.items {
				if _, shadowed := f.items[k]; !shadowed {
					f.sorted = append(f.sorted, e)
				}
			}
		}
		slices.SortFunc(f.sorted, func(a, b E) int { return cmp.Compare(a.key(), b.key()) })
	}
	return f.sorted
}

// hasChecks reports whether an item of the set has an access check.
func (f *featureSet[E]) hasChecks() bool {
	m := f.mounted()
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.checks > 0 || m != nil && m.checks > 0
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

// listChanged schedules list_changed notifications for kinds, debounced by
// Options.ListChangedDelay. Only sessions initialized before the change are
// told: a client that initialized later lists the registry as it now is.
func (s *Server) listChanged(kinds listKinds) {
	s.changedInMount(kinds)
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
	if s.cluster != nil {
		s.cluster.listsChanged(pending) // every replica tells its clients (cluster.go)
		return
	}
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
