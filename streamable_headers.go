package fastmcp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Request metadata headers of Streamable HTTP (2026-07-28).
//
// A 2026-07-28 POST mirrors parts of its body in headers, for intermediaries
// that route on them: MCP-Protocol-Version (the _meta protocol version),
// Mcp-Method (the method), Mcp-Name (the tool or prompt name, or the resource
// URI, of tools/call, prompts/get and resources/read), and Mcp-Param-{Name}
// for the tool parameters a tool's input schema marks with x-mcp-header. The
// server checks that each agrees with the body: a missing, malformed or
// different header is refused with 400 and HeaderMismatch (-32020).
//
// Mark a tool parameter with the struct tag mcpheader:"Name" (or with
// "x-mcp-header": "Name" in a hand-written schema). The parameter must be a
// string, integer or boolean reached from the schema root through properties
// only; AddTool panics otherwise.

// headerParam is a tool parameter mirrored in an Mcp-Param-{Name} header.
type headerParam struct {
	name string   // the {Name} of the header
	path []string // the properties leading to the parameter
	typ  string   // "string", "integer" or "boolean"
}

// headerParams finds the x-mcp-header annotations of an input schema and
// checks them against the revision's constraints.
func headerParams(schema json.RawMessage) ([]headerParam, error) {
	if len(schema) == 0 || !strings.Contains(string(schema), "x-mcp-header") {
		return nil, nil
	}
	var root any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, err
	}
	var out []headerParam
	// Annotations reachable through properties only.
	var walk func(node any, path []string) error
	walk = func(node any, path []string) error {
		obj, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok := obj["x-mcp-header"]; ok {
			name, ok := v.(string)
			if !ok || !isToken(name) {
				return fmt.Errorf("x-mcp-header of %q must be a non-empty HTTP field-name token", strings.Join(path, "."))
			}
			if len(path) == 0 {
				return fmt.Errorf("x-mcp-header %q is on the schema root, not a parameter", name)
			}
			typ := primitiveType(obj["type"])
			if typ == "" {
				return fmt.Errorf("x-mcp-header %q marks %q, of type %v: only string, integer and boolean parameters can be headers", name, strings.Join(path, "."), obj["type"])
			}
			for _, p := range out {
				if strings.EqualFold(p.name, name) {
					return fmt.Errorf("x-mcp-header %q is used twice (names are case-insensitive)", name)
				}
			}
			out = append(out, headerParam{name: name, path: slices.Clone(path), typ: typ})
		}
		props, _ := obj["properties"].(map[string]any)
		for _, k := range sortedKeys(props) {
			if err := walk(props[k], append(path, k)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, nil); err != nil {
		return nil, err
	}
	// Annotations anywhere else make the tool invalid.
	if countAnnotations(root) != len(out) {
		return nil, fmt.Errorf("x-mcp-header may only mark parameters reached from the schema root through properties (not items, $ref, anyOf, oneOf, allOf, not, if/then/else or $defs)")
	}
	return out, nil
}

// primitiveType returns the type a header parameter may have ("string",
// "integer" or "boolean"), also when the schema allows null besides it, or
// "" for any other type.
func primitiveType(t any) string {
	var types []string
	switch t := t.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				types = append(types, s)
			}
		}
	}
	if len(types) == 1 {
		switch types[0] {
		case "string", "integer", "boolean":
			return types[0]
		}
	}
	return ""
}

// countAnnotations counts the schema objects with an x-mcp-header keyword,
// wherever they are.
func countAnnotations(node any) int {
	n := 0
	switch v := node.(type) {
	case map[string]any:
		if _, ok := v["x-mcp-header"]; ok {
			n++
		}
		for _, x := range v {
			n += countAnnotations(x)
		}
	case []any:
		for _, x := range v {
			n += countAnnotations(x)
		}
	}
	return n
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isToken reports whether s is an HTTP field-name token (RFC 9110 §5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// headerMismatch is the HeaderMismatch error (-32020).
func headerMismatch(format string, args ...any) *Error {
	return NewError(CodeHeaderMismatch, "Header mismatch: "+format, args...)
}

// decodeHeaderValue decodes a header value that may use the Base64 sentinel
// form =?base64?...?=, and checks that a plain value holds only visible ASCII,
// space and tab.
func decodeHeaderValue(v string) (string, bool) {
	if strings.HasPrefix(v, "=?base64?") && strings.HasSuffix(v, "?=") && len(v) >= len("=?base64?")+len("?=") {
		enc := v[len("=?base64?") : len(v)-len("?=")]
		raw, err := base64.StdEncoding.Strict().DecodeString(enc)
		if err != nil || !utf8.Valid(raw) {
			return "", false
		}
		return string(raw), true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c > 0x7e {
			return "", false
		}
	}
	return v, true
}

// checkModernHeaders checks the request metadata headers of a 2026-07-28 POST
// against its body.
func (h *HTTPHandler) checkModernHeaders(hr *http.Request, r *request) *Error {
	hdr := hr.Header
	pv := hdr.Values("MCP-Protocol-Version")
	switch {
	case len(pv) == 0:
		return headerMismatch("the MCP-Protocol-Version header is required")
	case len(pv) > 1 || pv[0] != r.requested:
		return headerMismatch("MCP-Protocol-Version header %q does not match the body's %s %q", strings.Join(pv, ", "), metaProtocolVersion, r.requested)
	}
	mv := hdr.Values("Mcp-Method")
	switch {
	case len(mv) == 0:
		return headerMismatch("the Mcp-Method header is required")
	case len(mv) > 1 || mv[0] != r.Method:
		return headerMismatch("Mcp-Method header %q does not match the body's method %q", strings.Join(mv, ", "), r.Method)
	}
	var member string
	switch r.Method {
	case "tools/call", "prompts/get":
		member = "name"
	case "resources/read":
		member = "uri"
	case "tasks/get", "tasks/update", "tasks/cancel":
		return checkTaskName(hdr, r) // the tasks extension's routing header
	default:
		return nil
	}
	pm := r.members()
	name, args := pm.name, pm.args
	if member == "uri" {
		name = pm.uri
	}
	body, _ := jsonrpc.UnquoteString(name)
	nv := hdr.Values("Mcp-Name")
	if len(nv) == 0 {
		return headerMismatch("the Mcp-Name header is required for %s", r.Method)
	}
	got, ok := decodeHeaderValue(nv[0])
	if len(nv) > 1 || !ok {
		return headerMismatch("the Mcp-Name header is malformed")
	}
	if got != body {
		return headerMismatch("Mcp-Name header %q does not match the body's %s %q", got, member, body)
	}
	if r.Method == "tools/call" {
		if e := h.srv.reg.tools.get(body); e != nil && len(e.headers) > 0 {
			return checkParamHeaders(hdr, e.headers, args)
		}
	}
	return nil
}

// checkParamHeaders checks the Mcp-Param-{Name} headers of a tool call
// against its arguments: a parameter present in the arguments must be in its
// header, with the same value; an absent one must not.
func checkParamHeaders(hdr http.Header, params []headerParam, args []byte) *Error {
	for _, p := range params {
		key := "Mcp-Param-" + p.name
		vals := hdr.Values(key)
		value, present := lookupPath(args, p.path)
		if present && string(value) == "null" {
			present = false
		}
		if !present {
			if len(vals) > 0 {
				return headerMismatch("%s header is set, but the arguments have no %s", key, strings.Join(p.path, "."))
			}
			continue
		}
		if len(vals) == 0 {
			return headerMismatch("the %s header is required: the arguments set %s", key, strings.Join(p.path, "."))
		}
		got, ok := decodeHeaderValue(vals[0])
		if len(vals) > 1 || !ok {
			return headerMismatch("the %s header is malformed", key)
		}
		if !headerEquals(p.typ, got, value) {
			return headerMismatch("%s header %q does not match the argument %s", key, got, strings.Join(p.path, "."))
		}
	}
	return nil
}

// headerEquals compares a header value to the JSON value of a parameter of
// type typ: strings exactly, integers numerically, booleans as true or false.
// A value not of the parameter's type never matches.
func headerEquals(typ, header string, value []byte) bool {
	switch typ {
	case "string":
		s, ok := jsonrpc.UnquoteString(value)
		return ok && s == header
	case "boolean":
		return (string(value) == "true" || string(value) == "false") && header == string(value)
	default: // integer
		body, err1 := strconv.ParseFloat(string(value), 64)
		hv, err2 := strconv.ParseFloat(header, 64)
		if err1 != nil || err2 != nil || math.IsInf(hv, 0) || math.IsNaN(hv) {
			return false
		}
		return body == hv
	}
}

// lookupPath returns the JSON value at the property path of an object.
func lookupPath(obj []byte, path []string) ([]byte, bool) {
	cur := obj
	for _, k := range path {
		if len(cur) == 0 || cur[0] != '{' {
			return nil, false
		}
		var next []byte
		found := false
		jsonrpc.ObjectEach(cur, func(key string, value []byte) error {
			if key == k {
				next, found = value, true
			}
			return nil
		})
		if !found {
			return nil, false
		}
		cur = next
	}
	return cur, true
}
