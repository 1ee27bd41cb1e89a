package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A validating JSON scanner that reports the spans of an object's members
// without allocating. The engine uses it to read the envelope of a message and
// the hot parameters of tools/call in place; values it does not interpret are
// left as sub-slices of the input for encoding/json to decode when needed.
// It accepts exactly what json.Valid accepts (tests check the two agree).

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

var errSyntax = errors.New("jsonrpc: invalid JSON")

// ErrNotObject is returned by ObjectEach for valid JSON that is not an object.
var ErrNotObject = errors.New("jsonrpc: not a JSON object")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// skipValue validates the JSON value starting at d[i] (no leading space) and
// returns the index just past it.
func skipValue(d []byte, i, depth int) (int, error) {
	if i >= len(d) {
		return i, errSyntax
	}
	switch c := d[i]; {
	case c == '"':
		end, _, err := skipString(d, i)
		return end, err
	case c == '{':
		if depth >= maxDepth {
			return i, errSyntax
		}
		return skipObject(d, i, depth+1)
	case c == '[':
		if depth >= maxDepth {
			return i, errSyntax
		}
		return skipArray(d, i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(d, i)
	case c == 't':
		return skipLiteral(d, i, "true")
	case c == 'f':
		return skipLiteral(d, i, "false")
	case c == 'n':
		return skipLiteral(d, i, "null")
	}
	return i, errSyntax
}

func skipLiteral(d []byte, i int, lit string) (int, error) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return i, errSyntax
	}
	return i + len(lit), nil
}

// skipString validates the string starting at d[i] == '"' and returns the
// index past its closing quote and whether it contains escapes.
func skipString(d []byte, i int) (int, bool, error) {
	escaped := false
	i++
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return i, false, errSyntax
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return i, false, errSyntax
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return i, false, errSyntax
					}
				}
				i += 6
			default:
				return i, false, errSyntax
			}
		case c < 0x20:
			return i, false, errSyntax
		default:
			i++
		}
	}
	return i, false, errSyntax
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipNumber(d []byte, i int) (int, error) {
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return i, errSyntax
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return i, errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return i, errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

func skipArray(d []byte, i, depth int) (int, error) {
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skipValue(d, i, depth); err != nil {
			return i, err
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return i, errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errSyntax
		}
	}
}

func skipObject(d []byte, i, depth int) (int, error) {
	return eachMember(d, i, depth, nil)
}

// eachMember validates the object at d[i] == '{', calling f (when non-nil) for
// each member with the key's span (quotes included) and the value's span.
func eachMember(d []byte, i, depth int, f func(key []byte, escaped bool, value []byte) error) (int, error) {
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return i, errSyntax
		}
		keyStart := i
		keyEnd, escaped, err := skipString(d, i)
		if err != nil {
			return keyEnd, err
		}
		i = skipSpace(d, keyEnd)
		if i >= len(d) || d[i] != ':' {
			return i, errSyntax
		}
		i = skipSpace(d, i+1)
		valStart := i
		if i, err = skipValue(d, i, depth); err != nil {
			return i, err
		}
		if f != nil {
			if err := f(d[keyStart:keyEnd], escaped, d[valStart:i]); err != nil {
				return i, err
			}
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return i, errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errSyntax
		}
	}
}

// Valid reports whether d is one valid JSON value (with optional surrounding
// whitespace), as json.Valid does.
func Valid(d []byte) bool {
	i := skipSpace(d, 0)
	i, err := skipValue(d, i, 0)
	return err == nil && skipSpace(d, i) == len(d)
}

// ObjectEach validates d, which must be one JSON object, and calls f for each
// member with the key (unquoted; escapes decoded when present) and the raw
// value, a sub-slice of d. It returns ErrNotObject for another valid JSON value,
// and a syntax error for invalid JSON. An error from f stops the walk and is
// returned.
func ObjectEach(d []byte, f func(key string, value []byte) error) error {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		if Valid(d) {
			return ErrNotObject
		}
		return errSyntax
	}
	end, err := eachMember(d, i, 1, func(key []byte, escaped bool, value []byte) error {
		return f(keyString(key, escaped), value)
	})
	if err != nil {
		return err
	}
	if skipSpace(d, end) != len(d) {
		return errSyntax
	}
	return nil
}

// ObjectEachRaw is ObjectEach with the key's raw text (between the quotes, with
// escapes left as they are; escaped reports whether there are any), so that
// callers can look keys up without allocating.
func ObjectEachRaw(d []byte, f func(key []byte, escaped bool, value []byte) error) error {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		if Valid(d) {
			return ErrNotObject
		}
		return errSyntax
	}
	end, err := eachMember(d, i, 1, func(key []byte, escaped bool, value []byte) error {
		return f(key[1:len(key)-1], escaped, value)
	})
	if err != nil {
		return err
	}
	if skipSpace(d, end) != len(d) {
		return errSyntax
	}
	return nil
}

// ArrayEach validates d, which must be one JSON array, and calls f with each
// element's raw text, a sub-slice of d.
func ArrayEach(d []byte, f func(elem []byte) error) error {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '[' {
		return errSyntax
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return nil
	}
	for {
		start := i
		var err error
		if i, err = skipValue(d, i, 1); err != nil {
			return err
		}
		if err := f(d[start:i]); err != nil {
			return err
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return nil
		default:
			return errSyntax
		}
	}
}

// keyString returns the text of a quoted key.
func keyString(quoted []byte, escaped bool) string {
	if !escaped {
		return internKey(quoted[1 : len(quoted)-1])
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return string(quoted)
	}
	return s
}

// knownKeys are keys the engine compares often; returning the constant avoids
// an allocation per key.
var knownKeys = map[string]string{}

func init() {
	for _, k := range []string{"jsonrpc", "id", "method", "params", "result", "error",
		"name", "arguments", "_meta", "progressToken", "requestId", "cursor", "uri",
		"io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientInfo",
		"io.modelcontextprotocol/clientCapabilities", "io.modelcontextprotocol/logLevel"} {
		knownKeys[k] = k
	}
}

func internKey(b []byte) string {
	if k, ok := knownKeys[string(b)]; ok {
		return k
	}
	return string(b)
}

// IsSyntaxError reports whether err is a JSON syntax error from this package.
func IsSyntaxError(err error) bool { return errors.Is(err, errSyntax) }

// UnquoteString returns the text of a JSON string value (quotes included), and
// false when raw is not a string.
func UnquoteString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	// Escapes or invalid UTF-8 (replaced by U+FFFD): as encoding/json does.
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
