package testdiff_test

import (
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

type inner struct {
	Name string `json:"name"`
	Tags []string
}

type outer struct {
	ID    int            `json:"id"`
	In    *inner         `json:"in"`
	Any   any            `json:"any"`
	Extra map[string]any `json:"extra,omitempty"`
	hid   int
}

func TestDiffEqual(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cyclic := &node{}
	cyclic.Next = cyclic
	cyclic2 := &node{}
	cyclic2.Next = cyclic2
	cases := []struct {
		name      string
		want, got any
		opts      []testdiff.Option
	}{
		{"nil", nil, nil, nil},
		{"numbers", 1, 1, nil},
		{"structs", outer{ID: 1, In: &inner{Name: "a", Tags: []string{"x"}}, Any: map[string]any{"k": []any{1.0}}, hid: 3},
			outer{ID: 1, In: &inner{Name: "a", Tags: []string{"x"}}, Any: map[string]any{"k": []any{1.0}}, hid: 3}, nil},
		{"Equal method: a monotonic reading", now, now.Round(0), nil},
		{"Equal method in a struct", struct{ T time.Time }{now}, struct{ T time.Time }{now.Round(0)}, nil},
		{"netip", netip.MustParseAddr("::ffff:1.2.3.4").Unmap(), netip.MustParseAddr("1.2.3.4"), nil},
		{"nil and empty slices, EquateEmpty", []string(nil), []string{}, []testdiff.Option{testdiff.EquateEmpty()}},
		{"nil and empty maps inside, EquateEmpty", outer{Extra: map[string]any{}}, outer{}, []testdiff.Option{testdiff.EquateEmpty()}},
		{"cycles", cyclic, cyclic2, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := testdiff.Diff(tc.want, tc.got, tc.opts...); d != "" {
				t.Errorf("Diff of equal values:\n%s", d)
			}
		})
	}
}

type node struct{ Next *node }

func TestDiffUnequal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		want, got any
		opts      []testdiff.Option
		// lines the report must hold
		lines []string
	}{
		{"numbers", 1, 2, nil, []string{"- 1", "+ 2"}},
		{"types", 5, 5.0, nil, []string{"- int", "+ float64"}},
		{"nil against a value", nil, 0, nil, []string{"- null", "+ 0"}},
		{"nil and empty slices", []string(nil), []string{}, nil, []string{"- null", "+ []"}},
		{"NaN", math.NaN(), math.NaN(), nil, []string{"print the same"}},
		{"struct field", outer{ID: 1, In: &inner{Name: "a"}}, outer{ID: 1, In: &inner{Name: "b"}}, nil,
			[]string{`-     "name": "a",`, `+     "name": "b",`, `  "id": 1,`}},
		{"nested any", map[string]any{"a": []any{1.0, "x"}}, map[string]any{"a": []any{1.0, "y"}}, nil,
			[]string{`-     "x"`, `+     "y"`}},
		{"unexported field", outer{hid: 1}, outer{hid: 2}, nil, []string{"hid:1", "hid:2"}},
		{"map key", map[string]int{"a": 1}, map[string]int{"b": 1}, nil, []string{`-   "a": 1`, `+   "b": 1`}},
		{"slice length", []int{1, 2}, []int{1, 2, 3}, nil, []string{"+   3"}},
		{"times", time.Unix(0, 0).UTC(), time.Unix(1, 0).UTC(), nil, []string{`- "1970-01-01T00:00:00Z"`}},
		{"EquateEmpty keeps other differences", []string{}, []string{"a"}, []testdiff.Option{testdiff.EquateEmpty()}, []string{`+   "a"`}},
		{"functions", func() {}, func() {}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := testdiff.Diff(tc.want, tc.got, tc.opts...)
			if d == "" {
				t.Fatal("Diff of unequal values is empty")
			}
			for _, l := range tc.lines {
				if !strings.Contains(d, l) {
					t.Errorf("report lacks %q:\n%s", l, d)
				}
			}
		})
	}
}

// TestDiffElides checks that a long rendering shows the change with a few
// lines around it, not every line.
func TestDiffElides(t *testing.T) {
	t.Parallel()
	want := make([]int, 100)
	got := make([]int, 100)
	got[50] = 1
	d := testdiff.Diff(want, got)
	if !strings.Contains(d, "- 0\n+ 1\n") && !strings.Contains(d, "-   0,\n+   1,\n") {
		t.Errorf("report does not show the change:\n%s", d)
	}
	if n := strings.Count(d, "\n"); n > 12 || strings.Count(d, "...") != 2 {
		t.Errorf("report of one change has %d lines:\n%s", n, d)
	}
}
