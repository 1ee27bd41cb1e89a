package fastmcp

import (
	"testing"
)

// The mounted view is built once per change, and the entries of unchanged
// items are kept across rebuilds.
func TestMountedViewRebuilds(t *testing.T) {
	t.Parallel()
	child := New(Options{Name: "child", Version: "1"})
	add := func(name string) {
		AddTool(child, Tool{Name: name}, func(*Context, NoArgs) (string, error) { return name, nil })
	}
	add("a")
	add("b")
	parent := New(Options{Name: "parent", Version: "1"})
	parent.Mount("m", child, MountOptions{})

	m := parent.reg.tools.mount.Load()
	first := parent.reg.tools.get("m_a")
	if first == nil || first.tool.Name != "m_a" {
		t.Fatalf("m_a: %+v", first)
	}
	built := m.built.Load()
	for range 100 {
		parent.reg.tools.get("m_b")
		parent.reg.tools.all()
	}
	if m.built.Load() != built {
		t.Errorf("the view was rebuilt without a change")
	}

	add("c")
	if parent.reg.tools.get("m_c") == nil {
		t.Fatal("m_c missing after the child added c")
	}
	if again := parent.reg.tools.get("m_a"); again != first {
		t.Error("the entry of an unchanged tool was derived again")
	}
	if len(parent.reg.tools.all()) != 3 {
		t.Errorf("list %d", len(parent.reg.tools.all()))
	}

	// Unmounting unlinks both ways: the child's changes no longer reach
	// the parent's view.
	parent.Unmount("m")
	if ps := child.mounts.parents.Load(); ps == nil || len(*ps) != 0 {
		t.Errorf("child still has parents: %v", ps)
	}
	gen := m.gen.Load()
	add("d")
	if m.gen.Load() != gen {
		t.Error("an unmounted child's change invalidated the parent's view")
	}
	if len(parent.reg.tools.all()) != 0 {
		t.Errorf("after Unmount the parent lists %d tools", len(parent.reg.tools.all()))
	}
}
