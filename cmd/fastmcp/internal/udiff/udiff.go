// Package udiff renders the difference of two texts as a unified diff, the
// format of diff -u and git diff, for fastmcp install --dry-run.
package udiff

import (
	"fmt"
	"strings"
)

type opKind byte

const (
	equal  opKind = ' '
	delete opKind = '-'
	insert opKind = '+'
)

type op struct {
	kind opKind
	line string
}

// Diff returns the unified diff of a and b with context lines around each
// change, or "" when they are equal. The names head the diff.
func Diff(aName, bName, a, b string, context int) string {
	if a == b {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	ops := lineOps(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	// Walk the ops, emitting hunks of changes with their context.
	ai, bi := 0, 0 // line numbers (0-based) at ops[i]
	for i := 0; i < len(ops); {
		if ops[i].kind == equal {
			ai++
			bi++
			i++
			continue
		}
		// A hunk starts context lines before the change.
		start := max(i-context, 0)
		for j := start; j < i; j++ {
			ai--
			bi--
		}
		// It ends when more than 2*context equal lines follow a change.
		end := i
		for end < len(ops) {
			if ops[end].kind != equal {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == equal {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		var body strings.Builder
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			body.WriteByte(byte(o.kind))
			body.WriteString(o.line)
			body.WriteByte('\n')
			if o.kind != insert {
				na++
			}
			if o.kind != delete {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n%s", rangeOf(ai, na), rangeOf(bi, nb), body.String())
		ai += na
		bi += nb
		i = end
	}
	return out.String()
}

// rangeOf formats a hunk range: start is 0-based, printed 1-based, and an
// empty range names the line before it.
func rangeOf(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lineOps returns an edit script turning a into b: the common prefix and
// suffix are kept, and the middle is diffed by longest common subsequence
// (configuration edits are small, so the middle is too; past a size where
// the table would be large, the middle is replaced wholesale, which is
// still a correct diff).
func lineOps(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for _, l := range a[:pre] {
		ops = append(ops, op{equal, l})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > 4_000_000 {
		for _, l := range ma {
			ops = append(ops, op{delete, l})
		}
		for _, l := range mb {
			ops = append(ops, op{insert, l})
		}
	} else {
		ops = append(ops, lcsOps(ma, mb)...)
	}
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, op{equal, l})
	}
	return ops
}

func lcsOps(a, b []string) []op {
	n, m := len(a), len(b)
	// t[i][j] is the length of the LCS of a[i:] and b[j:].
	t := make([][]int32, n+1)
	for i := range t {
		t[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{equal, a[i]})
			i++
			j++
		case t[i+1][j] >= t[i][j+1]:
			ops = append(ops, op{delete, a[i]})
			i++
		default:
			ops = append(ops, op{insert, b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, op{delete, a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, op{insert, b[j]})
	}
	return ops
}
