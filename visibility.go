package fastmcp

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Visibility: tags on components, and rules that enable or disable them by
// name or tag, for the whole server (Server.Disable, Server.Enable) or for one
// session (Session.Disable, Session.Enable).
//
// A disabled item is hidden exactly like one an access check refuses: it is
// left out of the lists, and calling, reading, getting or completing it fails
// as for an item that does not exist ("Unknown tool"). Rules are kept, not
// applied once: an item added later that a rule selects is hidden too.
//
// Rules apply in the order they were made, the last one that selects an item
// deciding; an item no rule selects is enabled. A session's rules come after
// the server's, so Session.Enable can show a session what the server hides.
// Visibility is not authorization: use CanAccess checks to protect items.

// Kind is a set of kinds of component, for Selector.Kinds.
type Kind uint8

// Kinds of component.
const (
	KindTool Kind = 1 << iota
	KindResource
	KindResourceTemplate
	KindPrompt

	// KindAll is every kind.
	KindAll = KindTool | KindResource | KindResourceTemplate | KindPrompt
)

// Selector selects tools, resources, resource templates and prompts for
// Server.Disable, Server.Enable, Session.Disable and Session.Enable. An item is
// selected when its kind is one of Kinds and it has one of Names, or one of
// Tags, or All is set. A Selector that selects nothing (no Names, no Tags, All
// unset) is a programmer error: the methods taking one panic.
type Selector struct {
	// Names select items by the name clients see: a tool's or prompt's name,
	// a resource's URI, a resource template's URI template. Items of mounted
	// servers are named with their prefix (see Server.Mount).
	Names []string
	// Tags select the items that have any of them (Tool.Tags,
	// Resource.Tags, ResourceTemplate.Tags, Prompt.Tags).
	Tags []string
	// All selects every item of Kinds: Disable(Selector{All: true}) followed
	// by Enable(ByTag("public")) shows only the items tagged "public".
	All bool
	// Kinds restricts the selector to these kinds. Default 0: every kind.
	Kinds Kind
}

// ByName returns a Selector of the items with these names (tool and prompt
// names, resource URIs, resource template URI templates), of every kind.
func ByName(names ...string) Selector { return Selector{Names: names} }

// ByTag returns a Selector of the items that have any of these tags, of every
// kind.
func ByTag(tags ...string) Selector { return Selector{Tags: tags} }

// visRule is a compiled Selector with what it does.
type visRule struct {
	enable bool
	kinds  Kind
	all    bool
	names  map[string]struct{}
	tags   map[string]struct{}
}

// visibility is an immutable list of rules; a change makes a new one.
type visibility struct {
	rules []visRule
	// seq identifies this list among all lists ever made, so a cache can
	// tell a session's rules changed.
	seq uint64
}

// visSeq numbers rule lists.
var visSeq atomic.Uint64

// visibilityState is a server's rules and its sessions' own. mu orders
// changes to them.
type visibilityState struct {
	mu     sync.Mutex
	server atomic.Pointer[visibility]
	// sessions holds the rules of the sessions that have their own, by
	// *Session (kept here rather than on Session, which stays small); n
	// counts them, so requests skip the map while no session has rules.
	sessions sync.Map
	n        atomic.Int32
	// active is set while the server or a session has rules: the one load
	// a request makes when none has.
	active atomic.Bool
}

// update recomputes active. mu is held.
func (v *visibilityState) update() {
	v.active.Store(v.server.Load() != nil || v.n.Load() > 0)
}

// forSession returns the session's own rules, or nil.
func (v *visibilityState) forSession(sess *Session) *visibility {
	if v.n.Load() == 0 {
		return nil
	}
	r, _ := v.sessions.Load(sess)
	vr, _ := r.(*visibility)
	return vr
}

// setSession replaces the session's own rules; mu is held. A closed session
// keeps none:
// its rules are dropped when it ends (forget), and rules set after that are
// not kept.
func (v *visibilityState) setSession(sess *Session, r *visibility) {
	if r == nil {
		v.drop(sess)
		return
	}
	if _, loaded := v.sessions.Swap(sess, r); !loaded {
		v.n.Add(1)
		v.update()
	}
	if sess.isClosed() {
		v.drop(sess)
	}
}

// forget drops the rules of a session that ended.
func (v *visibilityState) forget(sess *Session) {
	if v.n.Load() == 0 {
		return
	}
	v.mu.Lock()
	v.drop(sess)
	v.mu.Unlock()
}

// drop drops the rules of a session. mu is held.
func (v *visibilityState) drop(sess *Session) {
	if _, loaded := v.sessions.LoadAndDelete(sess); loaded {
		v.n.Add(-1)
		v.update()
	}
}

// selects reports whether the rule selects an item.
func (r *visRule) selects(kind Kind, key string, tags []string) bool {
	if r.kinds&kind == 0 {
		return false
	}
	if r.all {
		return true
	}
	if _, ok := r.names[key]; ok {
		return true
	}
	for _, t := range tags {
		if _, ok := r.tags[t]; ok {
			return true
		}
	}
	return false
}

// decide returns what the last rule selecting the item says, and whether any
// does.
func (v *visibility) decide(kind Kind, key string, tags []string) (enabled, decided bool) {
	if v == nil {
		return true, false
	}
	for i := len(v.rules) - 1; i >= 0; i-- {
		if r := &v.rules[i]; r.selects(kind, key, tags) {
			return r.enable, true
		}
	}
	return true, false
}

// with returns the rules followed by one more. Earlier rules are trimmed of
// what the new rule decides from now on, and leading enabling rules (which
// change nothing) are dropped, so repeating or toggling a selector does not
// grow the list. It returns nil when no rule is left.
func (v *visibility) with(nr visRule) *visibility {
	var rules []visRule
	if v != nil {
		for _, r := range v.rules {
			if r.kinds&^nr.kinds == 0 {
				// The new rule covers every kind r applies to: what
				// it selects, it decides.
				if nr.all {
					continue
				}
				r = r.without(nr)
				if !r.all && len(r.names) == 0 && len(r.tags) == 0 {
					continue
				}
			}
			rules = append(rules, r)
		}
	}
	rules = append(rules, nr)
	for len(rules) > 0 && rules[0].enable {
		rules = rules[1:]
	}
	if len(rules) == 0 {
		return nil
	}
	return &visibility{rules: slices.Clip(rules), seq: visSeq.Add(1)}
}

// without returns r less the names and tags of o.
func (r visRule) without(o visRule) visRule {
	trim := func(m, drop map[string]struct{}) map[string]struct{} {
		if len(m) == 0 || len(drop) == 0 {
			return m
		}
		out := make(map[string]struct{}, len(m))
		for k := range m {
			if _, gone := drop[k]; !gone {
				out[k] = struct{}{}
			}
		}
		return out
	}
	r.names, r.tags = trim(r.names, o.names), trim(r.tags, o.tags)
	return r
}

func compileSelector(sel Selector, enable bool) visRule {
	if !sel.All && len(sel.Names) == 0 && len(sel.Tags) == 0 {
		panic("fastmcp: a Selector needs Names, Tags or All")
	}
	if sel.Kinds&^KindAll != 0 {
		panic("fastmcp: Selector.Kinds has an unknown kind")
	}
	r := visRule{enable: enable, kinds: sel.Kinds, all: sel.All}
	if r.kinds == 0 {
		r.kinds = KindAll
	}
	if !r.all {
		r.names = make(map[string]struct{}, len(sel.Names))
		for _, n := range sel.Names {
			r.names[n] = struct{}{}
		}
		r.tags = make(map[string]struct{}, len(sel.Tags))
		for _, t := range sel.Tags {
			r.tags[t] = struct{}{}
		}
	}
	return r
}

func (s *Server) setVisibility(sel Selector, enable bool) {
	rule := compileSelector(sel, enable)
	s.vis.mu.Lock()
	before := s.vis.server.Load()
	after := before.with(rule)
	s.vis.server.Store(after)
	s.vis.update()
	s.vis.mu.Unlock()
	var changed listKinds
	check := func(list listKinds, kind Kind, key string, tags []string) {
		if changed&list == 0 {
			was, _ := before.decide(kind, key, tags)
			now, _ := after.decide(kind, key, tags)
			if was != now {
				changed |= list
			}
		}
	}
	for _, e := range s.reg.tools.all() {
		check(listTools, KindTool, e.key(), e.tags())
	}
	for _, e := range s.reg.resources.all() {
		check(listResources, KindResource, e.key(), e.tags())
	}
	for _, e := range s.reg.templates.all() {
		check(listResources, KindResourceTemplate, e.key(), e.tags())
	}
	for _, e := range s.reg.prompts.all() {
		check(listPrompts, KindPrompt, e.key(), e.tags())
	}
	if changed != 0 {
		s.listChanged(changed)
	}
}

// Disable hides the items sel selects from this session's client, from now on
// and for items added later, until a later Session.Enable shows them again.
// The session's rules apply after the server's (see Server.Disable). The
// client is told which of its lists changed. A session's rules apply to its
// own requests only: 2026-07-28 requests, which have no session, follow the
// server's rules. It panics when sel selects nothing.
func (s *Session) Disable(sel Selector) { s.setVisibility(sel, false) }

// Enable shows this session's client the items sel selects, even those the
// server disabled; see Session.Disable. It panics when sel selects nothing.
func (s *Session) Enable(sel Selector) { s.setVisibility(sel, true) }

func (s *Session) setVisibility(sel Selector, enable bool) {
	rule := compileSelector(sel, enable)
	srv := s.srv
	srv.vis.mu.Lock()
	before := srv.vis.forSession(s)
	after := before.with(rule)
	srv.vis.setSession(s, after)
	srv.vis.mu.Unlock()
	// Evaluated outside the lock: access checks are the application's code.
	auth := s.Auth()
	for _, lc := range listChangedMethods {
		if !slices.Equal(srv.visibleUnder(s, auth, lc.kind, before), srv.visibleUnder(s, auth, lc.kind, after)) {
			s.notifyIfReady(lc.method, nil)
		}
	}
}

// visibleUnder lists the keys of the items of a list that a session with the
// given auth data sees when its own rules are rules.
func (s *Server) visibleUnder(sess *Session, auth any, kind listKinds, rules *visibility) []string {
	c := s.detachedContext(context.Background(), "access-check")
	c.sess = sess
	c.req.version, c.req.auth, c.req.hasAuth = sess.protocol(), auth, true
	sv := s.vis.server.Load()
	var out []string
	add := func(e entry) {
		on, decided := rules.decide(e.kind(), e.key(), e.tags())
		if !decided {
			on, _ = sv.decide(e.kind(), e.key(), e.tags())
		}
		if on && c.allowed(e.access()) {
			if e.kind() == KindResourceTemplate {
				out = append(out, "template:"+e.key())
			} else {
				out = append(out, e.key())
			}
		}
	}
	switch kind {
	case listTools:
		for _, e := range s.reg.tools.all() {
			add(e)
		}
	case listResources:
		for _, e := range s.reg.resources.all() {
			add(e)
		}
		for _, e := range s.reg.templates.all() {
			add(e)
		}
	case listPrompts:
		for _, e := range s.reg.prompts.all() {
			add(e)
		}
	}
	return out
}

// visRules returns the rules that apply to the request: the server's and its
// session's, nil when there are none.
func (c *Context) visRules() (server, session *visibility) {
	server = c.srv.vis.server.Load()
	if c.sess != nil && c.sess.srv == c.srv {
		// (A mounted server's component runs with the session of the
		// server that mounts it, whose rules name its own items.)
		session = c.srv.vis.forSession(c.sess)
	}
	return server, session
}

// sees reports whether the request may see an item: not hidden by
// visibility rules, and allowed by its access check.
func (c *Context) sees(e entry) bool {
	return !c.hidden(e) && c.allowed(e.access())
}

// hidden reports whether the rules of the server or of the request's session
// hide an item. Without rules it is one atomic load, inlined.
func (c *Context) hidden(e entry) bool {
	if !c.srv.vis.active.Load() {
		return false
	}
	return c.hiddenByRules(e)
}

func (c *Context) hiddenByRules(e entry) bool {
	sv, ss := c.visRules()
	return !enabledUnder(sv, ss, e)
}

// seesUnder is sees with the rules already loaded.
func (c *Context) seesUnder(sv, ss *visibility, e entry) bool {
	if (sv != nil || ss != nil) && !enabledUnder(sv, ss, e) {
		return false
	}
	return c.allowed(e.access())
}

// enabledUnder reports whether the rules of a server (sv) and a session (ss)
// leave an item shown: the session's decide first.
func enabledUnder(sv, ss *visibility, e entry) bool {
	kind, key, tags := e.kind(), e.key(), e.tags()
	on, decided := ss.decide(kind, key, tags)
	if !decided {
		on, _ = sv.decide(kind, key, tags)
	}
	return on
}

// enabledOnServer reports whether the server's own rules leave an item shown,
// whoever asks: what a server offers to those that mount it.
func (s *Server) enabledOnServer(e entry) bool {
	on, _ := s.vis.server.Load().decide(e.kind(), e.key(), e.tags())
	return on
}

// visibilitySeq identifies the rules that apply to the request's session, 0
// when it has none, so cached results can be kept per rule list.
func (c *Context) visibilitySeq() uint64 {
	if _, v := c.visRules(); v != nil {
		return v.seq
	}
	return 0
}

func (e *toolEntry) kind() Kind         { return KindTool }
func (e *toolEntry) tags() []string     { return e.tool.Tags }
func (e *resourceEntry) kind() Kind     { return KindResource }
func (e *resourceEntry) tags() []string { return e.res.Tags }
func (e *templateEntry) kind() Kind     { return KindResourceTemplate }
func (e *templateEntry) tags() []string { return e.tmpl.Tags }
func (e *promptEntry) kind() Kind       { return KindPrompt }
func (e *promptEntry) tags() []string   { return e.prompt.Tags }
