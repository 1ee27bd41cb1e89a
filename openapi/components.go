package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/yosida95/uritemplate/v3"

	"github.com/fastmcp-go/fastmcp"
)

// tool makes an operation a tool.
func (b *builder) tool(op *operation) (Component, func(*fastmcp.Server), error) {
	schema, err := b.inputSchema(op, b.conv)
	if err != nil {
		return Component{}, nil, err
	}
	name := b.componentName(op.info)
	desc := description(op.info)
	if op.body != nil && op.body.flat && op.body.description != "" {
		// The body's properties are arguments: its description would be lost.
		if desc != "" {
			desc += "\n\n"
		}
		desc += "Request body: " + op.body.description
	}
	t := fastmcp.Tool{
		Name:        name,
		Description: desc,
		InputSchema: schema,
		Annotations: annotations(op.method),
	}
	if b.opts.EditTool != nil {
		b.opts.EditTool(op.info, &t)
	}
	handler := op.callTool
	register := func(s *fastmcp.Server) {
		err := safeRegister(func(s *fastmcp.Server) { fastmcp.AddTool(s, t, handler) }, s)
		if err == nil {
			return
		}
		ours, ok := t.InputSchema.(json.RawMessage)
		if !ok || !bytes.Equal(ours, schema) {
			panic(err)
		}
		// The validator refused the schema; the likeliest cause a type check
		// cannot see is a default outside its bounds. Without defaults, the
		// API applies its own.
		var root any
		if json.Unmarshal(schema, &root) != nil {
			panic(err)
		}
		t.InputSchema, _ = json.Marshal(withoutDefaults(root))
		fastmcp.AddTool(s, t, handler)
	}
	return Component{Operation: op.info, Kind: AsTool, Name: t.Name}, register, nil
}

// annotations are the hints an HTTP method gives: GET, HEAD and OPTIONS read
// only; DELETE destructive and idempotent; PUT idempotent. Every operation
// reaches an outside system (open world).
func annotations(method string) *fastmcp.ToolAnnotations {
	a := &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(false), OpenWorldHint: fastmcp.Bool(true)}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		a.ReadOnlyHint = fastmcp.Bool(true)
	case http.MethodDelete:
		a.DestructiveHint, a.IdempotentHint = fastmcp.Bool(true), fastmcp.Bool(true)
	case http.MethodPut:
		a.IdempotentHint = fastmcp.Bool(true)
	}
	return a
}

// resource makes an operation a resource or a resource template. ok is false
// when it cannot be one (it needs a body, a header or a cookie; its URI is
// taken or not a valid template): it is then a tool.
func (b *builder) resource(op *operation, kind Kind) (Component, func(*fastmcp.Server), bool) {
	if op.body != nil && op.body.required {
		return Component{}, nil, false
	}
	var inURI []*param
	needed := false
	for _, p := range op.params {
		switch p.in {
		case "header", "cookie":
			if p.required {
				return Component{}, nil, false
			}
		case "path":
			inURI, needed = append(inURI, p), true
		case "query":
			inURI = append(inURI, p)
			needed = needed || p.required
		}
	}
	if len(inURI) > 0 && (needed || kind == AsResourceTemplate) {
		return b.template(op, inURI)
	}
	uri := op.rt.uriPrefix + strings.TrimPrefix(op.path, "/")
	if u, err := url.Parse(uri); err != nil || u.Scheme == "" || b.uris[uri] {
		return Component{}, nil, false
	}
	b.uris[uri] = true
	r := fastmcp.Resource{
		URI:         uri,
		Name:        b.componentName(op.info),
		Description: description(op.info),
		MIMEType:    op.responseType,
		Load:        func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) { return op.readResource(ctx, nil) },
	}
	if b.opts.EditResource != nil {
		b.opts.EditResource(op.info, &r)
	}
	return Component{Operation: op.info, Kind: AsResource, Name: r.Name, URI: r.URI},
		func(s *fastmcp.Server) { s.AddResource(r) }, true
}

// template makes an operation a resource template: path parameters become
// path variables, query parameters the template's query.
func (b *builder) template(op *operation, inURI []*param) (Component, func(*fastmcp.Server), bool) {
	vars := map[string]*param{} // template variable -> parameter
	varOf := map[*param]string{}
	for _, p := range inURI {
		v := varName(p.name)
		for i := 2; vars[v] != nil; i++ {
			v = fmt.Sprintf("%s_%d", varName(p.name), i)
		}
		vars[v], varOf[p] = p, v
	}
	var tb strings.Builder
	tb.WriteString(op.rt.uriPrefix)
	path := strings.TrimPrefix(op.path, "/")
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			tb.WriteString(path)
			break
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return Component{}, nil, false
		}
		tb.WriteString(path[:i])
		name := path[i+1 : i+j]
		path = path[i+j+1:]
		var p *param
		for _, q := range inURI {
			if q.in == "path" && q.name == name {
				p = q
			}
		}
		if p == nil {
			return Component{}, nil, false
		}
		tb.WriteString("{" + varOf[p] + "}")
	}
	var query []string
	for _, p := range inURI {
		if p.in == "query" {
			v := varOf[p]
			if isArraySchema(p.schema) {
				v += "*"
			}
			query = append(query, v)
		}
	}
	if len(query) > 0 {
		tb.WriteString("{?" + strings.Join(query, ",") + "}")
	}
	uriTemplate := tb.String()
	if _, err := uritemplate.New(uriTemplate); err != nil || b.uris[uriTemplate] {
		return Component{}, nil, false
	}
	b.uris[uriTemplate] = true
	t := fastmcp.ResourceTemplate{
		URITemplate: uriTemplate,
		Name:        b.componentName(op.info),
		Description: description(op.info),
		MIMEType:    op.responseType,
	}
	if b.opts.EditResourceTemplate != nil {
		b.opts.EditResourceTemplate(op.info, &t)
	}
	load := func(ctx *fastmcp.Context, uri string, values map[string]string) ([]*fastmcp.ResourceContents, error) {
		args, err := templateArgs(uri, values, vars)
		if err != nil {
			return nil, fastmcp.NewUserError("Invalid resource URI: " + err.Error())
		}
		return op.readResource(ctx, args)
	}
	return Component{Operation: op.info, Kind: AsResourceTemplate, Name: t.Name, URI: t.URITemplate},
		func(s *fastmcp.Server) { fastmcp.AddResourceTemplate(s, t, load) }, true
}

// templateArgs turns the variables of a read URI into call arguments. Lists
// (exploded query variables) are read from the URI's query itself, where
// their items are apart. A query variable left out takes its schema's
// default, as the argument of a tool would.
func templateArgs(uri string, values map[string]string, vars map[string]*param) (map[string]json.RawMessage, error) {
	var query url.Values
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		q, err := url.ParseQuery(uri[i+1:])
		if err != nil {
			return nil, err
		}
		query = q
	}
	args := map[string]json.RawMessage{}
	for v, p := range vars {
		var value any
		if p.in == "query" && isArraySchema(p.schema) {
			value = query[v]
		} else if s, ok := values[v]; ok && (s != "" || p.in == "path") {
			value = s
		}
		if value == nil || (p.in == "query" && isArraySchema(p.schema) && len(query[v]) == 0) {
			// Left out: the schema's default, as a tool call would get.
			d, ok := p.schema["default"]
			if !ok {
				continue
			}
			value = d
		}
		raw, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		args[p.prop] = raw
	}
	return args, nil
}

// varName makes a parameter name an RFC 6570 variable name: letters, digits
// and underscores.
func varName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "v"
	}
	return b.String()
}

// isArraySchema reports whether a parameter's schema is an array.
func isArraySchema(s map[string]any) bool {
	switch t := s["type"].(type) {
	case string:
		return t == "array"
	case []any:
		for _, e := range t {
			if e == "array" {
				return true
			}
		}
	}
	return false
}
