package udiff

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestDiffApplies checks, on random edits, that applying the diff to the
// old text gives the new one: the hunks' ranges, context and changes agree.
func TestDiffApplies(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		var a []string
		for i := 0; i < 30; i++ {
			a = append(a, string(rune('a'+r.Intn(5))))
		}
		b := append([]string{}, a...)
		for k := 0; k < 1+r.Intn(4); k++ {
			i := r.Intn(len(b))
			switch r.Intn(3) {
			case 0:
				b = append(b[:i], b[i+1:]...)
			case 1:
				b = append(b[:i], append([]string{"new"}, b[i:]...)...)
			default:
				b[i] = "changed"
			}
		}
		as, bs := strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n"
		d := Diff("a", "b", as, bs, 3)
		if got := apply(t, as, d); got != bs {
			t.Fatalf("case %d: applying\n%s\ngives\n%s\nwant\n%s", n, d, got, bs)
		}
	}
}

// apply applies a unified diff, checking its context and deletions.
func apply(t *testing.T, a, d string) string {
	t.Helper()
	al := splitLines(a)
	var out []string
	pos := 0
	for _, h := range strings.Split(d, "@@ -")[1:] {
		head := h[:strings.Index(h, " @@")]
		var start, n int
		old, _, _ := strings.Cut(head, " +")
		if _, err := fmt.Sscanf(old+",1", "%d,%d", &start, &n); err != nil {
			t.Fatalf("hunk header %q: %v", head, err)
		}
		if strings.HasSuffix(old, ",0") {
			start++ // an empty range names the line before
		}
		out = append(out, al[pos:start-1]...)
		pos = start - 1
		for _, l := range strings.Split(strings.TrimSuffix(h[strings.Index(h, "@@\n")+3:], "\n"), "\n") {
			switch l[0] {
			case ' ', '-':
				if pos >= len(al) || al[pos] != l[1:] {
					t.Fatalf("line %d is not %q in\n%s", pos+1, l[1:], d)
				}
				if l[0] == ' ' {
					out = append(out, l[1:])
				}
				pos++
			case '+':
				out = append(out, l[1:])
			}
		}
	}
	out = append(out, al[pos:]...)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}
