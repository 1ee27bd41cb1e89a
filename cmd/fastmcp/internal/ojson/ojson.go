// Package ojson reads and writes JSON keeping the order of object members
// and the text of every value left alone, so that a configuration file
// rewritten by fastmcp install differs from the original only where an
// entry was added or changed.
//
// Values are nil, bool, json.Number, string, []any and *Object.
package ojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Object is a JSON object with its members in order.
type Object struct {
	members []member
	// raw is the object's text as decoded; dirty means a member was set
	// since, so the text no longer applies.
	raw   []byte
	dirty bool
}

type member struct {
	key   string
	value any
	// raw is the value's text as decoded, written back unless the value
	// changed.
	raw []byte
}

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	for _, m := range o.members {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// Set sets key to v: in place if the key exists, else at the end. It
// reports whether the key existed.
func (o *Object) Set(key string, v any) bool {
	o.dirty = true
	for i, m := range o.members {
		if m.key == key {
			o.members[i].value = v
			o.members[i].raw = nil
			return true
		}
	}
	o.members = append(o.members, member{key: key, value: v})
	return false
}

// modified reports whether o or an object in it was changed since it was
// decoded (or was never decoded).
func (o *Object) modified() bool {
	if o.dirty || o.raw == nil {
		return true
	}
	for _, m := range o.members {
		if c, ok := m.value.(*Object); ok && c.modified() {
			return true
		}
	}
	return false
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	keys := make([]string, len(o.members))
	for i, m := range o.members {
		keys[i] = m.key
	}
	return keys
}

// Len is the number of members.
func (o *Object) Len() int { return len(o.members) }

// Decode parses one JSON value.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, _, err := decodeValue(dec, data)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("ojson: data after the JSON value")
	}
	return v, nil
}

// decodeValue decodes the next value and returns it with its text.
func decodeValue(dec *json.Decoder, data []byte) (any, []byte, error) {
	start := int(dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	// The offset before the token may include the separator and blanks.
	for start < len(data) && strings.IndexByte(" \t\r\n,:", data[start]) >= 0 {
		start++
	}
	raw := func() []byte { return data[start:dec.InputOffset()] }
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &Object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, nil, fmt.Errorf("ojson: object key is %v", kt)
				}
				v, vraw, err := decodeValue(dec, data)
				if err != nil {
					return nil, nil, err
				}
				// A duplicated key keeps its first position and last value,
				// as most readers do.
				o.Set(key, v)
				o.members[len(o.members)-1].raw = vraw
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, err
			}
			o.dirty = false
			o.raw = raw()
			return o, o.raw, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, _, err := decodeValue(dec, data)
				if err != nil {
					return nil, nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, err
			}
			return arr, raw(), nil
		}
		return nil, nil, fmt.Errorf("ojson: unexpected %v", t)
	}
	return tok, raw(), nil
}

// Marshal encodes v with each level indented by indent, members in order.
// Values decoded and not changed since are written as they were read;
// others are indented, with empty objects and arrays written as {} and [].
func Marshal(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	if err := write(&b, v, indent, ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func write(b *bytes.Buffer, v any, indent, prefix string) error {
	switch x := v.(type) {
	case *Object:
		if !x.modified() {
			b.Write(x.raw)
			return nil
		}
		if len(x.members) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i, m := range x.members {
			b.WriteString(prefix + indent)
			if err := writeScalar(b, m.key); err != nil {
				return err
			}
			b.WriteString(": ")
			if c, ok := m.value.(*Object); m.raw != nil && (!ok || !c.modified()) {
				b.Write(m.raw)
			} else if err := write(b, m.value, indent, prefix+indent); err != nil {
				return err
			}
			if i < len(x.members)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(prefix + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, e := range x {
			b.WriteString(prefix + indent)
			if err := write(b, e, indent, prefix+indent); err != nil {
				return err
			}
			if i < len(x)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(prefix + "]")
	case []string:
		arr := make([]any, len(x))
		for i, s := range x {
			arr[i] = s
		}
		return write(b, arr, indent, prefix)
	default:
		return writeScalar(b, v)
	}
	return nil
}

func writeScalar(b *bytes.Buffer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}

// DetectIndent returns the indentation of the first indented line of a
// JSON document, or two spaces.
func DetectIndent(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed != "" && len(trimmed) < len(line) {
			return line[:len(line)-len(trimmed)]
		}
	}
	return "  "
}

// StripJSONC removes // and /* */ comments and trailing commas (as VS Code
// allows in its JSON files), leaving strings alone. It reports whether it
// removed anything.
func StripJSONC(data []byte) ([]byte, bool) {
	noComments, c1 := strip(data, true)
	out, c2 := strip(noComments, false)
	return out, c1 || c2
}

// strip removes comments, or trailing commas, outside strings.
func strip(data []byte, comments bool) ([]byte, bool) {
	var out bytes.Buffer
	changed := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j, len(data)-1)
			out.Write(data[i : j+1])
			i = j
		case comments && c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			changed = true
			if i < len(data) {
				out.WriteByte('\n')
			}
		case comments && c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			changed = true
			if end < 0 {
				i = len(data)
			} else {
				i += end + 3
			}
		case !comments && c == ',':
			j := i + 1
			for j < len(data) && strings.IndexByte(" \t\r\n", data[j]) >= 0 {
				j++
			}
			if j < len(data) && (data[j] == '}' || data[j] == ']') {
				changed = true
				continue
			}
			out.WriteByte(c)
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes(), changed
}
