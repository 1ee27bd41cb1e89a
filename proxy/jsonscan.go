package proxy

import "unicode/utf8"

// The hand reading of JSON on the path of every call (answerOf,
// plainTextResult): it delimits values without decoding them, and gives up
// (for encoding/json to decide) on anything not plainly written.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the JSON string at data[i] (just past its
// closing quote), or -1; plain reports that it holds no escapes.
func skipString(data []byte, i int) (end int, plain bool) {
	plain = true
	for i++; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i + 1, plain
		case '\\':
			plain = false
			i++
		}
	}
	return -1, false
}

// skipValue returns the end of the JSON value at data[i], or -1. It only
// finds where the value ends: whoever decodes the value checks it.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		end, _ := skipString(data, i)
		return end
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, _ := skipString(data, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	start := i
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// objectReader reads the members of a JSON object one by one, delimiting
// their values without decoding them. It fails (bad) on an object not
// plainly written, such as a key with escapes.
type objectReader struct {
	data     []byte
	i        int
	first    bool
	key, val []byte
	done     bool
	bad      bool
	end      int // just past the object, once done and not bad
}

func newObjectReader(data []byte) objectReader {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return objectReader{done: true, bad: true}
	}
	return objectReader{data: data, i: i + 1, first: true}
}

func (r *objectReader) fail() bool {
	r.done, r.bad = true, true
	return false
}

// next reads the next member into key and val, and reports whether there
// was one.
func (r *objectReader) next() bool {
	if r.done {
		return false
	}
	d := r.data
	i := skipSpace(d, r.i)
	if r.first {
		r.first = false
		if i < len(d) && d[i] == '}' {
			r.done, r.end = true, i+1
			return false
		}
	}
	if i >= len(d) || d[i] != '"' {
		return r.fail()
	}
	kend, plain := skipString(d, i)
	if kend < 0 || !plain {
		return r.fail()
	}
	r.key = d[i+1 : kend-1]
	i = skipSpace(d, kend)
	if i >= len(d) || d[i] != ':' {
		return r.fail()
	}
	i = skipSpace(d, i+1)
	vend := skipValue(d, i)
	if vend < 0 {
		return r.fail()
	}
	r.val = d[i:vend]
	i = skipSpace(d, vend)
	if i >= len(d) {
		return r.fail()
	}
	switch d[i] {
	case ',':
		r.i = i + 1
	case '}':
		r.done, r.end = true, i+1
	default:
		return r.fail()
	}
	return true
}

// arrayReader reads the elements of a JSON array one by one, as
// objectReader reads members.
type arrayReader struct {
	data  []byte
	i     int
	first bool
	val   []byte
	done  bool
	bad   bool
	end   int
}

func newArrayReader(data []byte) arrayReader {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return arrayReader{done: true, bad: true}
	}
	return arrayReader{data: data, i: i + 1, first: true}
}

func (r *arrayReader) next() bool {
	if r.done {
		return false
	}
	d := r.data
	i := skipSpace(d, r.i)
	if r.first {
		r.first = false
		if i < len(d) && d[i] == ']' {
			r.done, r.end = true, i+1
			return false
		}
	}
	vend := skipValue(d, i)
	if vend < 0 {
		r.done, r.bad = true, true
		return false
	}
	r.val = d[i:vend]
	i = skipSpace(d, vend)
	if i >= len(d) {
		r.done, r.bad = true, true
		return false
	}
	switch d[i] {
	case ',':
		r.i = i + 1
	case ']':
		r.done, r.end = true, i+1
	default:
		r.done, r.bad = true, true
		return false
	}
	return true
}

// plainString returns the JSON string v as is, when it needs no decoding:
// no escapes, no control characters, valid UTF-8.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	ascii := true
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}
