package proxy

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
)

// headerParam is a tool argument a 2026-07-28 request mirrors in an
// Mcp-Param-{Name} header (the x-mcp-header annotation of its schema).
type headerParam struct {
	name string
	path []string
}

// headerParams finds the x-mcp-header annotations of an input schema,
// reached from the root through properties.
func headerParams(schema json.RawMessage) []headerParam {
	var root map[string]any
	if json.Unmarshal(schema, &root) != nil {
		return nil
	}
	var out []headerParam
	var walk func(node map[string]any, path []string)
	walk = func(node map[string]any, path []string) {
		if name, ok := node["x-mcp-header"].(string); ok && name != "" && len(path) > 0 {
			out = append(out, headerParam{name: name, path: append([]string(nil), path...)})
		}
		props, _ := node["properties"].(map[string]any)
		for k, v := range props {
			if child, ok := v.(map[string]any); ok {
				walk(child, append(path, k))
			}
		}
	}
	walk(root, nil)
	return out
}

// setRequestHeaders sets the request metadata headers of a 2026-07-28 POST:
// Mcp-Method, Mcp-Name and the Mcp-Param-{Name} of the arguments marked
// with x-mcp-header.
func setRequestHeaders(h http.Header, r *request) {
	// Canonical names, one array for both values (see newRequest).
	vals := make([]string, 2)
	vals[0] = r.method
	h["Mcp-Method"] = vals[0:1:1]
	switch r.method {
	case "tools/call", "prompts/get":
		vals[1] = headerValue(r.name)
		h["Mcp-Name"] = vals[1:2:2]
	case "resources/read":
		vals[1] = headerValue(r.uri)
		h["Mcp-Name"] = vals[1:2:2]
	}
	if len(r.headers) == 0 {
		return
	}
	var args map[string]json.RawMessage
	if json.Unmarshal(r.args, &args) != nil {
		return
	}
	for _, hp := range r.headers {
		if v, ok := argumentValue(args, hp.path); ok {
			h.Set("Mcp-Param-"+hp.name, headerValue(v))
		}
	}
}

// argumentValue returns the text of the string, boolean or integer argument
// at path, and false when it is absent, null or of another type.
func argumentValue(args map[string]json.RawMessage, path []string) (string, bool) {
	raw, ok := args[path[0]]
	for _, k := range path[1:] {
		if !ok {
			return "", false
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return "", false
		}
		raw, ok = obj[k]
	}
	if !ok {
		return "", false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53-1 {
			return "", false
		}
		return strconv.FormatInt(int64(v), 10), true
	}
	return "", false
}

// headerValue encodes s for a header: as is when it is visible ASCII
// without leading or trailing blanks, else in the =?base64?...?= form.
func headerValue(s string) string {
	plain := s == "" || s[0] != ' ' && s[0] != '\t' && s[len(s)-1] != ' ' && s[len(s)-1] != '\t'
	for i := 0; plain && i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c > 0x7e {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}
