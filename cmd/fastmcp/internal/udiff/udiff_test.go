package udiff

import (
	"strings"
	"testing"
)

func lines(n int, f func(i int) string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(f(i) + "\n")
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	base := lines(20, func(i int) string { return "line " + string(rune('a'+i-1)) })
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", base, base, ""},
		{"new file", "", "x\ny\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"deleted file", "x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{
			"one change in the middle",
			base,
			strings.Replace(base, "line j\n", "line J\n", 1),
			"--- a\n+++ b\n@@ -7,7 +7,7 @@\n line g\n line h\n line i\n-line j\n+line J\n line k\n line l\n line m\n",
		},
		{
			"two hunks",
			base,
			strings.Replace(strings.Replace(base, "line b\n", "", 1), "line s\n", "line s\nline s2\n", 1),
			"--- a\n+++ b\n@@ -1,5 +1,4 @@\n line a\n-line b\n line c\n line d\n line e\n@@ -17,4 +16,5 @@\n line q\n line r\n line s\n+line s2\n line t\n",
		},
		{
			"changes close together share a hunk",
			"a\nb\nc\nd\ne\n",
			"A\nb\nc\nd\nE\n",
			"--- a\n+++ b\n@@ -1,5 +1,5 @@\n-a\n+A\n b\n c\n d\n-e\n+E\n",
		},
	}
	for _, tt := range tests {
		if got := Diff("a", "b", tt.a, tt.b, 3); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
