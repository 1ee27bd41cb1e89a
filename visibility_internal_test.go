package fastmcp

import (
	"fmt"
	"testing"
)

// Rules stay few however often they are set: a selector set again replaces
// what it decided before, and enabling what nothing disables is no rule.
func TestVisibilityRulesStayBounded(t *testing.T) {
	t.Parallel()
	s := New(Options{Name: "t", Version: "1"})
	for i := range 10_000 {
		s.Disable(ByTag("beta"))
		s.Enable(ByTag("beta"))
		s.Disable(ByName(fmt.Sprintf("t%d", i%10)))
		s.Enable(ByName(fmt.Sprintf("t%d", i%10)))
	}
	if v := s.vis.server.Load(); v != nil {
		t.Errorf("after toggling, %d rules remain, want none", len(v.rules))
	}
	for i := range 10_000 {
		s.Disable(ByName(fmt.Sprintf("t%d", i%10)))
		s.Disable(Selector{Tags: []string{"a", "b"}, Kinds: KindTool})
	}
	v := s.vis.server.Load()
	if v == nil || len(v.rules) > 11 {
		t.Fatalf("rules: %+v", v)
	}
	names := 0
	for _, r := range v.rules {
		names += len(r.names)
	}
	if names != 10 {
		t.Errorf("%d names held, want 10", names)
	}
	// All covers every earlier rule of its kinds.
	s.Disable(Selector{All: true})
	if v := s.vis.server.Load(); len(v.rules) != 1 {
		t.Errorf("after All: %d rules", len(v.rules))
	}
}

func TestVisibilityDecide(t *testing.T) {
	t.Parallel()
	var v *visibility
	steps := []struct {
		sel    Selector
		enable bool
	}{
		{ByTag("x"), false},
		{ByName("a"), true},
		{Selector{Tags: []string{"x"}, Kinds: KindPrompt}, true},
	}
	for _, st := range steps {
		v = v.with(compileSelector(st.sel, st.enable))
	}
	for _, tc := range []struct {
		kind Kind
		name string
		tags []string
		want bool
	}{
		{KindTool, "a", []string{"x"}, true},  // by name, later
		{KindTool, "b", []string{"x"}, false}, // by tag
		{KindPrompt, "b", []string{"x"}, true},
		{KindResource, "c", nil, true},
		{KindResource, "c", []string{"y", "x"}, false},
	} {
		if got, _ := v.decide(tc.kind, tc.name, tc.tags); got != tc.want {
			t.Errorf("%v %s %v: %v, want %v", tc.kind, tc.name, tc.tags, got, tc.want)
		}
	}
}

// A session's rules go when it ends, and rules set after it ended are not
// kept: nothing accumulates as sessions come and go.
func TestVisibilitySessionRulesDropped(t *testing.T) {
	t.Parallel()
	s := New(Options{Name: "t", Version: "1"})
	var sessions []*Session
	for range 100 {
		sess := newSession(s, nil)
		s.addSession(sess)
		sess.Disable(ByTag("x"))
		sessions = append(sessions, sess)
	}
	if n := s.vis.n.Load(); n != 100 {
		t.Fatalf("%d sessions with rules, want 100", n)
	}
	for _, sess := range sessions {
		sess.close(ErrSessionClosed)
	}
	sessions[0].Disable(ByTag("y"))
	if n := s.vis.n.Load(); n != 0 {
		t.Errorf("%d sessions with rules after all ended", n)
	}
	count := 0
	s.vis.sessions.Range(func(any, any) bool { count++; return true })
	if count != 0 {
		t.Errorf("%d rule lists held after all sessions ended", count)
	}
}
