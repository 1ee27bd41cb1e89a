// Package testdiff compares values in tests: Diff reports whether two values
// are deeply equal and, when they are not, shows both as indented JSON, line
// by line, the way a reader compares them.
//
// It depends on nothing but the standard library, so that every test of the
// repository can use it, including the tests inside package fastmcp.
package testdiff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Option changes how Diff compares.
type Option func(*options)

type options struct {
	equateEmpty bool
}

// EquateEmpty makes a nil slice or map equal to an empty one.
func EquateEmpty() Option { return func(o *options) { o.equateEmpty = true } }

// Diff returns "" when want and got are equal, and otherwise a report of
// their differences: lines of want's rendering prefixed by "-", lines of
// got's by "+". Values are equal as reflect.DeepEqual says, except that a
// type with an Equal(T) bool method (time.Time, netip.Addr) is compared with
// it. The rendering is indented JSON, or Go syntax when JSON cannot show the
// difference (an int against a float64, unexported fields).
func Diff(want, got any, opts ...Option) string {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := comparer{options: o, visited: map[visit]bool{}}
	if c.equal(reflect.ValueOf(want), reflect.ValueOf(got)) {
		return ""
	}
	w, g := renderJSON(want), renderJSON(got)
	if w == g {
		w, g = fmt.Sprintf("%T\n%#v", want, want), fmt.Sprintf("%T\n%#v", got, got)
	}
	if w == g {
		// Equal renderings of unequal values: say so rather than
		// print a diff without a changed line.
		return fmt.Sprintf("values differ but print the same:\n%s", w)
	}
	return lineDiff(strings.Split(w, "\n"), strings.Split(g, "\n"))
}

// renderJSON renders v as indented JSON, or in Go syntax if it has none.
func renderJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

type visit struct {
	a, b uintptr
	t    reflect.Type
}

type comparer struct {
	options
	visited map[visit]bool
}

func (c *comparer) equal(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if eq, ok := equalMethod(a, b); ok {
		return eq
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if c.equateEmpty && a.Kind() != reflect.Pointer && a.Len() == 0 && b.Len() == 0 {
			return true
		}
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.UnsafePointer() == b.UnsafePointer() && (a.Kind() != reflect.Slice || a.Len() == b.Len()) {
			return true
		}
		v := visit{uintptr(a.UnsafePointer()), uintptr(b.UnsafePointer()), a.Type()}
		if c.visited[v] {
			return true // a cycle: equal so far
		}
		c.visited[v] = true
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return c.equal(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !c.equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !c.equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() || !c.equal(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	case reflect.Func:
		return a.IsNil() && b.IsNil()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Chan, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	}
	panic("testdiff: cannot compare values of kind " + a.Kind().String())
}

// equalMethod compares with the type's Equal(T) bool method, when it has one
// that can be called.
func equalMethod(a, b reflect.Value) (equal, ok bool) {
	if !a.CanInterface() || !b.CanInterface() {
		return false, false
	}
	m, found := a.Type().MethodByName("Equal")
	if !found || m.Type.NumIn() != 2 || m.Type.In(1) != a.Type() || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Bool {
		return false, false
	}
	if a.Kind() == reflect.Pointer && (a.IsNil() || b.IsNil()) {
		return a.IsNil() == b.IsNil(), true
	}
	return m.Func.Call([]reflect.Value{a, b})[0].Bool(), true
}

// context is how many unchanged lines are shown around a change.
const context = 3

// lineDiff returns the lines of want and got in order, from their longest
// common subsequence: "-" for a line only in want, "+" for one only in got,
// and unchanged lines near a change, indented; runs of unchanged lines far
// from any change are elided.
func lineDiff(want, got []string) string {
	// lcs[i][j] is the length of the longest common subsequence of
	// want[i:] and got[j:].
	lcs := make([][]int, len(want)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(got)+1)
	}
	for i := len(want) - 1; i >= 0; i-- {
		for j := len(got) - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case i < len(want) && j < len(got) && want[i] == got[j]:
			lines = append(lines, line{' ', want[i]})
			i, j = i+1, j+1
		case i < len(want) && (j == len(got) || lcs[i+1][j] >= lcs[i][j+1]):
			// On a tie, the removed line first: a changed line reads
			// as "-" then "+".
			lines = append(lines, line{'-', want[i]})
			i++
		default:
			lines = append(lines, line{'+', got[j]})
			j++
		}
	}
	near := make([]bool, len(lines))
	for k, l := range lines {
		if l.op != ' ' {
			for n := max(0, k-context); n <= min(len(lines)-1, k+context); n++ {
				near[n] = true
			}
		}
	}
	for k := range near {
		// Eliding a single line hides more than it saves.
		if !near[k] && (k == 0 || near[k-1]) && (k == len(near)-1 || near[k+1]) {
			near[k] = true
		}
	}
	var b strings.Builder
	elided := false
	for k, l := range lines {
		if !near[k] {
			if !elided {
				b.WriteString("  ...\n")
				elided = true
			}
			continue
		}
		elided = false
		b.WriteByte(l.op)
		b.WriteByte(' ')
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}
