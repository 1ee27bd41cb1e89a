package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fastmcp-go/fastmcp"
)

// Component is what Register made of one operation.
type Component struct {
	// Operation is the operation.
	Operation *Operation
	// Kind is what it became: Exclude when a route map excluded it or it
	// could not be registered (then Err says why).
	Kind Kind
	// Name is the tool's, resource's or template's name; empty when excluded.
	Name string
	// URI is the resource's URI or the template's URI template.
	URI string
	// Err says why the operation was skipped: a schema that cannot be
	// translated, a request body of a media type not supported.
	Err error
}

// Register adds the operations of doc to s: each becomes a tool, a resource
// or a resource template, as opts.RouteMaps decide (by default, a tool),
// replacing any of the server's with the same name, URI or URI template.
// Connected clients are told the lists changed.
//
// Tool names come from operationIds, made safe ([A-Za-z0-9_-], at most 64
// characters) and unique (a second "list" becomes "list_2", in the order of
// paths, then methods GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE);
// an operation without one is named after its method and path
// ("get_pet_petId").
//
// It returns one Component per operation. An operation that cannot be
// registered (see Component.Err) is skipped; the others are registered. The
// error is for the document as a whole: ErrNoBaseURL when it gives no usable
// server URL and Options.BaseURL is empty. Nothing is registered then. Register panics on a malformed
// Options.BaseURL or RouteMap.Path, like other registration errors of
// programs.
func Register(s *fastmcp.Server, doc *Document, opts Options) ([]Component, error) {
	b, err := newBuilder(doc, opts)
	if err != nil {
		return nil, err
	}
	built := b.build()
	out := make([]Component, 0, len(built))
	for _, bc := range built {
		if bc.c.Err == nil && bc.register != nil {
			if err := safeRegister(bc.register, s); err != nil {
				bc.c.Kind, bc.c.Name, bc.c.URI, bc.c.Err = Exclude, "", "", err
			}
		}
		out = append(out, bc.c)
	}
	return out, nil
}

// safeRegister runs a registration, turning the panic of a schema or
// template the core refuses into an error.
func safeRegister(register func(*fastmcp.Server), s *fastmcp.Server) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	register(s)
	return nil
}

// builder turns a document's operations into components.
type builder struct {
	doc    *Document
	opts   Options
	rt     *runtime
	conv   *converter
	routes []RouteMap
	// names are the component names given so far; uris the resource URIs.
	names map[string]bool
	uris  map[string]bool
}

type builtComponent struct {
	c        Component
	register func(*fastmcp.Server)
}

func newBuilder(doc *Document, opts Options) (*builder, error) {
	if doc == nil || doc.t == nil {
		panic("openapi: Register: nil document")
	}
	b := &builder{doc: doc, opts: opts, conv: newConverter(doc), names: map[string]bool{}, uris: map[string]bool{}}
	for _, m := range opts.RouteMaps {
		if m.Path != "" {
			re, err := regexp.Compile(m.Path)
			if err != nil {
				panic(fmt.Sprintf("openapi: RouteMap.Path %q: %v", m.Path, err))
			}
			m.path = re
		}
		b.routes = append(b.routes, m)
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			panic(fmt.Sprintf("openapi: Options.BaseURL %q is not an absolute http(s) URL", opts.BaseURL))
		}
	}
	b.rt = newRuntime(opts)
	// A document-wide server problem fails now rather than on each call,
	// unless every operation names a server of its own.
	if opts.BaseURL == "" {
		if _, err := b.baseURL(nil, nil); err != nil && !b.everyOperationHasServers() {
			return nil, err
		}
	}
	return b, nil
}

// everyOperationHasServers reports whether each operation has servers of
// its own or of its path.
func (b *builder) everyOperationHasServers() bool {
	for _, path := range b.doc.t.Paths.Keys() {
		item := b.doc.t.Paths.Value(path)
		if item == nil || len(item.Servers) > 0 {
			continue
		}
		for _, kop := range item.Operations() {
			if kop != nil && (kop.Servers == nil || len(*kop.Servers) == 0) {
				return false
			}
		}
	}
	return true
}

var methodOrder = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace, "QUERY"}

// build makes the components of every operation, in a fixed order.
func (b *builder) build() []builtComponent {
	var out []builtComponent
	for _, path := range b.doc.t.Paths.Keys() {
		item := b.doc.t.Paths.Value(path)
		if item == nil {
			continue
		}
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		slices.SortFunc(methods, func(a, c string) int {
			ia, ic := slices.Index(methodOrder, strings.ToUpper(a)), slices.Index(methodOrder, strings.ToUpper(c))
			if ia < 0 {
				ia = len(methodOrder)
			}
			if ic < 0 {
				ic = len(methodOrder)
			}
			if ia != ic {
				return ia - ic
			}
			return strings.Compare(a, c)
		})
		for _, m := range methods {
			if ops[m] == nil {
				continue
			}
			out = append(out, b.buildOne(path, strings.ToUpper(m), item, ops[m]))
		}
	}
	return out
}

// buildOne makes the component of one operation; a panic in doing so (a
// hostile document finding a path nobody foresaw) skips the operation.
func (b *builder) buildOne(path, method string, item *openapi3.PathItem, kop *openapi3.Operation) (bc builtComponent) {
	info := operationInfo(path, method, item, kop)
	bc.c = Component{Operation: info}
	defer func() {
		if r := recover(); r != nil {
			bc = builtComponent{c: Component{Operation: info, Kind: Exclude, Err: fmt.Errorf("openapi: %s %s: %v", method, path, r)}}
		}
	}()
	kind := AsTool
	for i := range b.routes {
		if b.routes[i].matches(info) {
			kind = b.routes[i].Kind
			break
		}
	}
	if kind == Exclude {
		bc.c.Kind = Exclude
		return bc
	}
	op, err := b.operation(path, method, item, kop, info)
	if err != nil {
		bc.c.Kind, bc.c.Err = Exclude, fmt.Errorf("openapi: %s %s: %w", method, path, err)
		return bc
	}
	if kind == AsResource || kind == AsResourceTemplate {
		if c, register, ok := b.resource(op, kind); ok {
			bc.c, bc.register = c, register
			return bc
		}
	}
	c, register, err := b.tool(op)
	if err != nil {
		bc.c.Kind, bc.c.Err = Exclude, fmt.Errorf("openapi: %s %s: %w", method, path, err)
		return bc
	}
	bc.c, bc.register = c, register
	return bc
}

// operationInfo describes an operation for route maps and hooks.
func operationInfo(path, method string, item *openapi3.PathItem, kop *openapi3.Operation) *Operation {
	info := &Operation{
		Method: method, Path: path, OperationID: kop.OperationID,
		Summary: kop.Summary, Description: kop.Description,
		Tags: slices.Clone(kop.Tags), Deprecated: kop.Deprecated,
	}
	for _, p := range mergedParameters(item, kop) {
		info.Parameters = append(info.Parameters, Parameter{Name: p.Name, In: p.In, Required: p.Required || p.In == "path", Argument: p.Name})
	}
	if kop.RequestBody != nil && kop.RequestBody.Value != nil {
		info.HasBody, info.BodyRequired = true, kop.RequestBody.Value.Required
	}
	return info
}

// mergedParameters are the path item's parameters overridden by the
// operation's (same name and location), in document order, leaving out the
// header parameters OpenAPI says to ignore (Accept, Content-Type,
// Authorization).
func mergedParameters(item *openapi3.PathItem, kop *openapi3.Operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	add := func(p *openapi3.Parameter) {
		if p == nil || p.Name == "" {
			return
		}
		if p.In == "header" && slices.Contains([]string{"accept", "content-type", "authorization"}, strings.ToLower(p.Name)) {
			return
		}
		for i, q := range out {
			if q.Name == p.Name && q.In == p.In {
				out[i] = p
				return
			}
		}
		out = append(out, p)
	}
	for _, r := range item.Parameters {
		if r != nil {
			add(r.Value)
		}
	}
	for _, r := range kop.Parameters {
		if r != nil {
			add(r.Value)
		}
	}
	return out
}

// description is what the model reads about an operation.
func description(info *Operation) string {
	d := info.Summary
	if info.Description != "" && info.Description != info.Summary {
		if d != "" {
			d += "\n\n"
		}
		d += info.Description
	}
	if info.Deprecated {
		if d != "" {
			d += "\n\n"
		}
		d += "Deprecated."
	}
	return d
}

// componentName returns a unique, safe name for an operation.
func (b *builder) componentName(info *Operation) string {
	base := sanitizeName(info.OperationID)
	if base == "" {
		base = sanitizeName(strings.ToLower(info.Method) + "_" + info.Path)
	}
	if base == "" {
		base = "operation"
	}
	name := base
	for i := 2; b.names[name]; i++ {
		suffix := fmt.Sprintf("_%d", i)
		name = truncate(base, maxNameLen-len(suffix)) + suffix
	}
	b.names[name] = true
	return name
}

// maxNameLen is the longest name given: 64, what the strictest model APIs
// accept for a function name.
const maxNameLen = 64

// sanitizeName keeps [A-Za-z0-9_-], replacing runs of anything else by one
// underscore, trimming underscores at the ends, at most maxNameLen bytes.
func sanitizeName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
			under = false
		default:
			if !under {
				b.WriteByte('_')
				under = true
			}
		}
	}
	return truncate(strings.Trim(b.String(), "_"), maxNameLen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n], "_")
}

// operation gathers what calling an operation needs: its URL, parameters,
// body and accepted media types.
func (b *builder) operation(path, method string, item *openapi3.PathItem, kop *openapi3.Operation, info *Operation) (*operation, error) {
	if !strings.HasPrefix(path, "/") {
		// Appended to the base URL, it could change the host
		// ("https://api.test" + "{x}").
		return nil, errors.New("the path does not begin with /")
	}
	base, err := b.baseURL(item, kop)
	if err != nil {
		return nil, err
	}
	op := &operation{info: info, method: method, path: path, base: base, rt: b.rt}
	for _, p := range mergedParameters(item, kop) {
		pp, err := b.parameter(p)
		if err != nil {
			return nil, err
		}
		op.params = append(op.params, pp)
	}
	for _, seg := range pathVariables(path) {
		if !slices.ContainsFunc(op.params, func(p *param) bool { return p.in == "path" && p.name == seg }) {
			return nil, fmt.Errorf("path variable {%s} has no path parameter", seg)
		}
	}
	if kop.RequestBody != nil && kop.RequestBody.Value != nil {
		body, err := b.body(kop.RequestBody.Value)
		if err != nil {
			return nil, err
		}
		op.body = body
	}
	op.accept, op.responseType = responseTypes(kop)
	b.argumentNames(op)
	for i, p := range op.params {
		info.Parameters[i].Argument = p.prop
	}
	return op, nil
}

// pathVariables returns the names in braces of a path template.
func pathVariables(path string) []string {
	var out []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, path[i+1:i+j])
		path = path[i+j+1:]
	}
}

// argumentNames gives each parameter its argument name. Body properties keep
// theirs; a parameter whose name another parameter or a body property also
// has becomes name__in.
func (b *builder) argumentNames(op *operation) {
	count := map[string]int{}
	for _, p := range op.params {
		count[p.name]++
	}
	taken := map[string]bool{}
	if op.body != nil {
		if op.body.flat {
			for name := range op.body.shape.props {
				taken[name] = true
			}
		} else {
			taken[bodyArgument] = true
		}
	}
	for _, p := range op.params {
		name := p.name
		if count[name] > 1 || taken[name] {
			name = p.name + "__" + p.in
		}
		for i := 2; taken[name]; i++ {
			name = fmt.Sprintf("%s__%s_%d", p.name, p.in, i)
		}
		taken[name] = true
		p.prop = name
	}
}

// bodyArgument is the argument holding a request body that is not an object
// with properties (an array, a string, a oneOf...).
const bodyArgument = "body"

// baseURL returns the base URL of an operation (nil item and operation: of
// the document), without a trailing slash.
func (b *builder) baseURL(item *openapi3.PathItem, kop *openapi3.Operation) (string, error) {
	if b.opts.BaseURL != "" {
		return strings.TrimRight(stripQuery(b.opts.BaseURL), "/"), nil
	}
	var server *openapi3.Server
	switch {
	case kop != nil && kop.Servers != nil && len(*kop.Servers) > 0:
		server = (*kop.Servers)[0]
	case item != nil && len(item.Servers) > 0:
		server = item.Servers[0]
	case len(b.doc.t.Servers) > 0:
		server = b.doc.t.Servers[0]
	}
	raw := "/"
	if server != nil && server.URL != "" {
		var err error
		if raw, err = expandServer(server); err != nil {
			return "", err
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: server URL %q: %v", ErrNoBaseURL, raw, err)
	}
	if !u.IsAbs() {
		if b.doc.Location == "" {
			return "", fmt.Errorf("%w: the document's server URL %q is relative and its location is unknown: set Options.BaseURL or Document.Location", ErrNoBaseURL, raw)
		}
		loc, err := url.Parse(b.doc.Location)
		if err != nil {
			return "", fmt.Errorf("%w: Document.Location %q: %v", ErrNoBaseURL, b.doc.Location, err)
		}
		u = loc.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: server URL %q is not an http(s) URL: set Options.BaseURL", ErrNoBaseURL, u.Redacted())
	}
	return strings.TrimRight(stripQuery(u.String()), "/"), nil
}

func stripQuery(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

// expandServer replaces a server URL's variables by their defaults.
func expandServer(s *openapi3.Server) (string, error) {
	raw := s.URL
	for _, name := range pathVariables(raw) {
		v, ok := s.Variables[name]
		if !ok || v == nil {
			return "", fmt.Errorf("%w: server URL %q: variable {%s} has no default", ErrNoBaseURL, s.URL, name)
		}
		raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
	}
	return raw, nil
}

// parameter prepares one parameter.
func (b *builder) parameter(p *openapi3.Parameter) (*param, error) {
	switch p.In {
	case "path", "query", "header", "cookie":
	default:
		return nil, fmt.Errorf("parameter %q is in %q, not path, query, header or cookie", p.Name, p.In)
	}
	pp := &param{name: p.Name, in: p.In, required: p.Required || p.In == "path", allowReserved: p.AllowReserved, allowEmpty: p.AllowEmptyValue}
	pp.style = defaultStyle(p.In)
	if p.Style != "" {
		pp.style = p.Style
	}
	// OpenAPI: explode defaults to true for the form style only.
	pp.explode = pp.style == "form"
	if p.Explode != nil {
		pp.explode = *p.Explode
	}
	var plain any = map[string]any{"type": "string"}
	switch {
	case p.Schema != nil:
		v, err := toPlain(p.Schema)
		if err != nil {
			return nil, err
		}
		plain = v
	case len(p.Content) > 0:
		// A parameter with content is one serialized value: as JSON when
		// the media type says so, else as its text.
		for _, mt := range sortedKeys(p.Content) {
			media := p.Content[mt]
			pp.json = isJSON(mt)
			if media != nil && media.Schema != nil {
				v, err := toPlain(media.Schema)
				if err != nil {
					return nil, err
				}
				plain = v
			}
			break
		}
	}
	var rc refCollector
	schema := b.conv.convert(plain, false, &rc)
	sm, ok := schema.(map[string]any)
	if !ok {
		sm = map[string]any{}
	}
	if p.Description != "" {
		if _, has := sm["description"]; !has {
			sm["description"] = p.Description
		}
	}
	if p.Deprecated {
		sm["deprecated"] = true
	}
	if p.Example != nil {
		if ex, err := toPlain(p.Example); err == nil {
			if _, has := sm["examples"]; !has {
				sm["examples"] = []any{ex}
			}
		}
	}
	pp.schema = sm
	return pp, nil
}

func defaultStyle(in string) string {
	switch in {
	case "query", "cookie":
		return "form"
	}
	return "simple"
}

// Body encodings supported.
const (
	encJSON = iota
	encForm
	encRaw
)

// body prepares a request body: the first JSON media type, else form
// encoding, else a text or binary type sent as a string.
func (b *builder) body(rb *openapi3.RequestBody) (*bodySpec, error) {
	types := sortedKeys(rb.Content)
	pick := func(match func(string) bool) string {
		for _, t := range types {
			if match(t) {
				return t
			}
		}
		return ""
	}
	bs := &bodySpec{required: rb.Required, description: rb.Description}
	if t := pick(isJSON); t != "" {
		bs.mediaType, bs.encoding = t, encJSON
	} else if t := pick(func(t string) bool { return mediaType(t) == "application/x-www-form-urlencoded" }); t != "" {
		bs.mediaType, bs.encoding = t, encForm
	} else if t := pick(func(t string) bool {
		m := mediaType(t)
		return strings.HasPrefix(m, "text/") || m == "application/octet-stream" || m == "application/xml" || strings.HasSuffix(m, "+xml")
	}); t != "" {
		bs.mediaType, bs.encoding = t, encRaw
	} else {
		if rb.Required {
			return nil, fmt.Errorf("the request body's media types (%s) are not supported: only JSON, form-urlencoded, text and octet-stream bodies are", strings.Join(types, ", "))
		}
		return nil, nil // optional and unsupported: the tool sends none
	}
	var plain any = map[string]any{}
	if media := rb.Content[bs.mediaType]; media != nil && media.Schema != nil {
		v, err := toPlain(media.Schema)
		if err != nil {
			return nil, err
		}
		plain = v
	}
	if bs.encoding == encRaw {
		plain = map[string]any{"type": "string", "description": fmt.Sprintf("The request body (%s), sent as the string's bytes.", bs.mediaType)}
	}
	var rc refCollector
	bs.schema = b.conv.convert(plain, false, &rc)
	if bs.encoding != encRaw {
		if shape, ok := b.conv.flatten(bs.schema); ok {
			bs.flat, bs.shape = true, shape
		}
	}
	if bs.encoding == encForm && !bs.flat {
		return nil, errors.New("a form-urlencoded body needs an object schema with properties")
	}
	if bs.description != "" && !bs.flat {
		if m, ok := bs.schema.(map[string]any); ok {
			if _, has := m["description"]; !has {
				m["description"] = bs.description
			}
		}
	}
	return bs, nil
}

// isJSON reports whether a media type (or range) carries JSON.
func isJSON(t string) bool {
	m := mediaType(t)
	return m == "application/json" || strings.HasSuffix(m, "+json") || m == "*/*" || m == "application/*"
}

func mediaType(t string) string {
	m, _, err := mime.ParseMediaType(t)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(t))
	}
	return m
}

// responseTypes returns the Accept header of an operation (the media types
// of its success responses, JSON first) and the media type of its first
// success response.
func responseTypes(kop *openapi3.Operation) (accept, first string) {
	if kop.Responses == nil {
		return "", ""
	}
	var types []string
	for _, code := range sortedKeys(kop.Responses.Map()) {
		if !strings.HasPrefix(code, "2") && code != "default" {
			continue
		}
		r := kop.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		for _, t := range sortedKeys(r.Value.Content) {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	slices.SortStableFunc(types, func(a, b string) int {
		ja, jb := isJSON(a), isJSON(b)
		switch {
		case ja && !jb:
			return -1
		case jb && !ja:
			return 1
		}
		return 0
	})
	if len(types) == 0 {
		return "", ""
	}
	first = mediaType(types[0])
	if first == "*/*" || first == "application/*" {
		first = ""
	}
	return strings.Join(types, ", "), first
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inputSchema builds a tool's input schema: one property per parameter, and
// the body's properties (or one "body" argument).
func (b *builder) inputSchema(op *operation, conv *converter) (json.RawMessage, error) {
	props := map[string]any{}
	var required []any
	for _, p := range op.params {
		s := p.schema
		if p.prop != p.name {
			s = withNote(s, fmt.Sprintf("The %s parameter %q.", p.in, p.name))
		}
		props[p.prop] = s
		if p.required {
			required = append(required, p.prop)
		}
	}
	root := map[string]any{"type": "object"}
	additional := any(false)
	if op.body != nil {
		if op.body.flat {
			for name, s := range op.body.shape.props {
				props[name] = s
			}
			if op.body.required {
				for _, r := range op.body.shape.required {
					if _, ok := props[r]; ok {
						required = append(required, r)
					}
				}
			}
			if op.body.shape.additional != nil {
				additional = op.body.shape.additional
			}
		} else {
			props[bodyArgument] = op.body.schema
			if op.body.required {
				required = append(required, bodyArgument)
			}
		}
	}
	root["properties"] = props
	if len(required) > 0 {
		root["required"] = required
	}
	root["additionalProperties"] = additional
	var refs []string
	collectRefs(root, conv, &refs)
	defs, err := conv.closure(refs)
	if err != nil {
		return nil, err
	}
	if len(defs) > 0 {
		root["$defs"] = defs
	}
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	return raw, nil
}

// withNote returns a schema with a sentence added to its description,
// leaving the original (shared by converted documents) alone.
func withNote(s map[string]any, note string) map[string]any {
	cp := make(map[string]any, len(s)+1)
	for k, v := range s {
		cp[k] = v
	}
	if d, ok := cp["description"].(string); ok && d != "" {
		cp["description"] = note + " " + d
	} else {
		cp["description"] = note
	}
	return cp
}

// collectRefs appends the pointers of the $defs a converted schema refers to.
func collectRefs(node any, conv *converter, refs *[]string) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if k == "$ref" {
				if s, ok := v.(string); ok {
					if ptr, ok := conv.names[strings.TrimPrefix(s, "#/$defs/")]; ok && !slices.Contains(*refs, ptr) {
						*refs = append(*refs, ptr)
					}
					continue
				}
			}
			collectRefs(v, conv, refs)
		}
	case []any:
		for _, v := range n {
			collectRefs(v, conv, refs)
		}
	}
}
