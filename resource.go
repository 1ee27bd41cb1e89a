package fastmcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/yosida95/uritemplate/v3"

	"github.com/fastmcp-go/fastmcp/internal/schema"
)

// Resource is a piece of data the server exposes at a fixed URI. Register one
// with Server.AddResource.
type Resource struct {
	// URI identifies the resource; required.
	URI string `json:"uri"`
	// Name identifies the resource to people and models; required.
	Name string `json:"name"`
	// Title is a human-readable name (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Description says what the resource holds.
	Description string `json:"description,omitempty"`
	// MIMEType of the contents, when known. It is also the default MIME type
	// of the contents Load returns.
	MIMEType string `json:"mimeType,omitempty"`
	// Size of the raw contents in bytes, when known (0 = unknown).
	Size int64 `json:"size,omitempty"`
	// Annotations tell the client how to use the resource.
	Annotations *Annotations `json:"annotations,omitempty"`
	// Icons represent the resource in client UIs (2025-11-25 and later).
	Icons []Icon `json:"icons,omitempty"`
	// Meta is the resource's _meta (2025-06-18 and later).
	Meta Meta `json:"_meta,omitempty"`

	// Load returns the contents when a client reads the resource; required.
	// StaticText and StaticBlob make loaders for fixed contents.
	Load ResourceLoader `json:"-"`
	// CanAccess, when set, decides who sees and reads the resource; for
	// others it does not exist. Default: everyone.
	CanAccess AccessCheck `json:"-"`
	// Cache is the caching hint of the resource's resources/read results and of
	// resources/list results that list it for 2026-07-28 clients. Default:
	// Options.Cache.
	Cache *Cache `json:"-"`
	// Tags label the resource for Server.Disable and Enable (see Selector).
	// Clients never see them. Default: none.
	Tags []string `json:"-"`
}

// ResourceLoader loads the contents of a resource: one or more. Contents left
// without a URI or MIME type get the resource's. A *UserError's message reaches
// the client; other errors are masked (see Options.ShowErrorDetails).
type ResourceLoader func(ctx *Context) ([]*ResourceContents, error)

// StaticText returns a loader of fixed text contents.
func StaticText(text string) ResourceLoader {
	return func(*Context) ([]*ResourceContents, error) {
		return []*ResourceContents{{Text: text}}, nil
	}
}

// StaticBlob returns a loader of fixed binary contents.
func StaticBlob(data []byte) ResourceLoader {
	data = nonNil(data)
	return func(*Context) ([]*ResourceContents, error) {
		return []*ResourceContents{{Blob: data}}, nil
	}
}

type resourceEntry struct {
	res  Resource
	wire [numVersions]json.RawMessage
}

// newResourceEntry returns the entry of r, its list entry encoded for each
// revision.
func newResourceEntry(r Resource) *resourceEntry {
	e := &resourceEntry{res: r}
	e.wire = encodeByVersion(func(v protocolVersion) any {
		w := r
		if v < v20250618 {
			w.Title, w.Meta = "", nil
			w.Annotations = annotationsBefore20250618(w.Annotations)
		}
		if v < v20251125 {
			w.Icons = nil
		}
		return &w
	})
	return e
}

func (e *resourceEntry) key() string         { return e.res.URI }
func (e *resourceEntry) access() AccessCheck { return e.res.CanAccess }

// annotationsBefore20250618 drops lastModified, which arrived with 2025-06-18.
func annotationsBefore20250618(a *Annotations) *Annotations {
	if a == nil || a.LastModified == "" {
		return a
	}
	cp := *a
	cp.LastModified = ""
	if cp.Audience == nil && cp.Priority == nil {
		return nil
	}
	return &cp
}

// encodeByVersion encodes the value f returns for each protocol revision. The
// values are the server's own wire structs, so encoding cannot fail except on
// a user-supplied _meta that is not JSON; that panics at registration.
func encodeByVersion(f func(v protocolVersion) any) [numVersions]json.RawMessage {
	var out [numVersions]json.RawMessage
	for v := v20241105; v < numVersions; v++ {
		raw, err := json.Marshal(f(v))
		if err != nil {
			panic(fmt.Sprintf("fastmcp: cannot encode registration: %v", err))
		}
		out[v] = raw
	}
	out[vUnknown] = out[v20251125]
	return out
}

// ResourceTemplate describes a family of resources by an RFC 6570 URI template,
// such as "file:///logs/{name}.log". Register one with AddResourceTemplate.
type ResourceTemplate struct {
	// URITemplate is the RFC 6570 template; required.
	URITemplate string `json:"uriTemplate"`
	// Name identifies the template; required.
	Name string `json:"name"`
	// Title is a human-readable name (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Description says what the resources hold.
	Description string `json:"description,omitempty"`
	// MIMEType of the resources, when all share one; also the default MIME
	// type of loaded contents.
	MIMEType string `json:"mimeType,omitempty"`
	// Annotations tell the client how to use the resources.
	Annotations *Annotations `json:"annotations,omitempty"`
	// Icons represent the template in client UIs (2025-11-25 and later).
	Icons []Icon `json:"icons,omitempty"`
	// Meta is the template's _meta (2025-06-18 and later).
	Meta Meta `json:"_meta,omitempty"`

	// Complete suggests values for template variables, by variable name, for
	// completion/complete. Variables of a struct argument type with an enum
	// tag are completed from the enum without an entry here.
	Complete map[string]Completer `json:"-"`
	// CanAccess, when set, decides who sees the template and reads its
	// resources; for others it does not exist. Default: everyone.
	CanAccess AccessCheck `json:"-"`
	// Cache is the caching hint of resources/read results of the template's
	// resources and of resources/templates/list results that list it for 2026-07-28 clients. Default:
	// Options.Cache.
	Cache *Cache `json:"-"`
	// Tags label the template for Server.Disable and Enable (see
	// Selector). Clients never see them. Default: none.
	Tags []string `json:"-"`
}

// ResourceTemplateHandler loads a resource of a template. Args holds the
// template's variables: map[string]string, or a struct whose fields (named by
// their json tags) are strings, numbers, booleans or string slices (for list
// variables such as {?tags}). A field with an enum:"a,b" tag takes only those
// values: a URI with another is refused with an invalid-params error, as a
// prompt argument outside its enum is.
type ResourceTemplateHandler[Args any] func(ctx *Context, uri string, args Args) ([]*ResourceContents, error)

type templateEntry struct {
	tmpl     ResourceTemplate
	compiled *uritemplate.Template
	wire     [numVersions]json.RawMessage
	load     func(c *Context, uri string, vars uritemplate.Values) ([]*ResourceContents, error)
	complete map[string]Completer
}

// AddResourceTemplate registers a resource template, replacing any with the
// same URI template. Connected clients are told the list changed. It panics on
// a malformed template, a missing name or handler, or a struct argument type
// that lacks a field for one of the template's variables.
func AddResourceTemplate[Args any](s *Server, t ResourceTemplate, h ResourceTemplateHandler[Args]) {
	if t.URITemplate == "" || t.Name == "" {
		panic(fmt.Sprintf("fastmcp: AddResourceTemplate: a template needs a URI template and a name (got %q, %q)", t.URITemplate, t.Name))
	}
	if h == nil {
		panic(fmt.Sprintf("fastmcp: AddResourceTemplate %q: nil handler", t.URITemplate))
	}
	compiled, err := uritemplate.New(t.URITemplate)
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddResourceTemplate %q: %v", t.URITemplate, err))
	}
	bind, enums, err := newVarBinder[Args](compiled.Varnames())
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddResourceTemplate %q: %v", t.URITemplate, err))
	}
	e := &templateEntry{tmpl: t, compiled: compiled, complete: map[string]Completer{}}
	for name, values := range enums {
		e.complete[name] = EnumCompleter(values...)
	}
	for name, c := range t.Complete {
		e.complete[name] = c
	}
	e.load = func(c *Context, uri string, vars uritemplate.Values) ([]*ResourceContents, error) {
		args, err := bind(vars)
		if err != nil {
			return nil, NewError(CodeInvalidParams, "invalid resource URI %q: %v", uri, err)
		}
		return h(c, uri, args)
	}
	e.wire = templateWire(t)
	s.reg.templates.add(e)
	s.listChanged(listResources)
}

// templateWire encodes t's list entry for each revision.
func templateWire(t ResourceTemplate) [numVersions]json.RawMessage {
	return encodeByVersion(func(v protocolVersion) any {
		w := t
		if v < v20250618 {
			w.Title, w.Meta = "", nil
			w.Annotations = annotationsBefore20250618(w.Annotations)
		}
		if v < v20251125 {
			w.Icons = nil
		}
		return &w
	})
}

func (e *templateEntry) key() string         { return e.tmpl.URITemplate }
func (e *templateEntry) access() AccessCheck { return e.tmpl.CanAccess }

// varValue returns a matched variable as a string (list values joined by
// commas) and as a list.
func varValue(v uritemplate.Value) (string, []string) {
	if v.T == uritemplate.ValueTypeString {
		if len(v.V) == 0 {
			return "", nil
		}
		return v.V[0], v.V
	}
	return strings.Join(v.V, ","), v.V
}

// newVarBinder returns a function that turns matched template variables into
// Args, and the enum values declared for variables by struct tags. A value
// outside its variable's enum is refused, as for prompt arguments.
func newVarBinder[Args any](varnames []string) (func(uritemplate.Values) (Args, error), map[string][]string, error) {
	t := reflect.TypeFor[Args]()
	if t == reflect.TypeFor[map[string]string]() {
		return func(vals uritemplate.Values) (Args, error) {
			m := make(map[string]string, len(vals))
			for name, v := range vals {
				m[name], _ = varValue(v)
			}
			return any(m).(Args), nil
		}, nil, nil
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("argument type %s is neither map[string]string nor a struct", t)
	}
	fields := map[string]int{}
	enums := map[string][]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
		if e, ok := f.Tag.Lookup("enum"); ok {
			for _, v := range strings.Split(e, ",") {
				enums[name] = append(enums[name], strings.TrimSpace(v))
			}
		}
		switch schema.DerefType(f.Type).Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		case reflect.Slice:
			if f.Type.Kind() == reflect.Pointer || f.Type.Elem().Kind() != reflect.String {
				return nil, nil, fmt.Errorf("field %s: a slice field must be []string", f.Name)
			}
		default:
			return nil, nil, fmt.Errorf("field %s: type %s cannot hold a URI template variable", f.Name, f.Type)
		}
	}
	for _, v := range varnames {
		if _, ok := fields[v]; !ok {
			return nil, nil, fmt.Errorf("template variable %q has no field in %s (match it with a json tag)", v, t)
		}
	}
	bind := func(vals uritemplate.Values) (Args, error) {
		var args Args
		rv := reflect.ValueOf(&args).Elem()
		for name, v := range vals {
			i, ok := fields[name]
			if !ok {
				continue
			}
			s, list := varValue(v)
			if allowed := enums[name]; allowed != nil {
				// As for prompt arguments: a value outside the enum
				// is refused (an empty one is a variable left out).
				for _, x := range list {
					if x != "" && !slices.Contains(allowed, x) {
						return args, fmt.Errorf("%s: %q is not one of %s", name, x, strings.Join(allowed, ", "))
					}
				}
			}
			if err := setField(rv.Field(i), s, list); err != nil {
				return args, fmt.Errorf("%s: %v", name, err)
			}
		}
		return args, nil
	}
	return bind, enums, nil
}

// setField stores a template variable's value in a field. A pointer field
// receives a new value.
func setField(f reflect.Value, s string, list []string) error {
	if f.Kind() == reflect.Pointer {
		v := reflect.New(f.Type().Elem())
		if err := setField(v.Elem(), s, list); err != nil {
			return err
		}
		f.Set(v)
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		if s == "" {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if s == "" {
			return nil
		}
		n, err := strconv.ParseUint(s, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", s)
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		if s == "" {
			return nil
		}
		n, err := strconv.ParseFloat(s, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(n)
	case reflect.Slice:
		f.Set(reflect.ValueOf(append([]string(nil), list...)))
	}
	return nil
}

// listResources serves resources/list.
func (s *Server) listResources(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Cursor string `json:"cursor"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	registered := s.reg.resources.all()
	all := filterVisible(c, registered)
	page, next, err := paginate(all, func(e *resourceEntry) string { return e.res.URI }, p.Cursor, s.opts.PageSize)
	if err != nil {
		return nil, err
	}
	listCache(s, c.req, registered, page, func(e *resourceEntry) (*Cache, AccessCheck) { return e.res.Cache, e.res.CanAccess })
	v := c.req.version
	b := append(make([]byte, 0, 128*len(page)+32), `{"resources":[`...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.wire[v]...)
	}
	b = append(b, ']')
	return json.RawMessage(appendListTail(b, next, v)), nil
}

// listResourceTemplates serves resources/templates/list.
func (s *Server) listResourceTemplates(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Cursor string `json:"cursor"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	registered := s.reg.templates.all()
	all := filterVisible(c, registered)
	page, next, err := paginate(all, func(e *templateEntry) string { return e.tmpl.URITemplate }, p.Cursor, s.opts.PageSize)
	if err != nil {
		return nil, err
	}
	listCache(s, c.req, registered, page, func(e *templateEntry) (*Cache, AccessCheck) { return e.tmpl.Cache, e.tmpl.CanAccess })
	v := c.req.version
	b := append(make([]byte, 0, 128*len(page)+32), `{"resourceTemplates":[`...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.wire[v]...)
	}
	b = append(b, ']')
	return json.RawMessage(appendListTail(b, next, v)), nil
}

// readResource serves resources/read.
func (s *Server) readResource(c *Context, req *Request) (any, error) {
	if req.Name == "" {
		return nil, NewError(CodeInvalidParams, "resources/read: missing uri")
	}
	contents, cache, checked, err := s.loadResource(c, req.Name)
	if err != nil {
		return nil, err
	}
	s.readCache(c.req, cache, checked)
	if c.req.version < v20250618 {
		for i, rc := range contents {
			contents[i] = contentsBefore20250618(rc)
		}
	}
	res := &ReadResourceResult{Contents: contents}
	return res, nil
}

// resourceNotFound is the error for an unknown URI in revision v.
func resourceNotFound(uri string, v protocolVersion) *Error {
	code := CodeResourceNotFound
	if v >= v20260728 {
		code = CodeInvalidParams
	}
	return &Error{Code: code, Message: "Resource not found: " + uri, Data: map[string]string{"uri": uri}}
}

// loadResource loads the resource at uri: a registered resource, else the first
// template (in URI template order) that matches. It also returns the matched
// item's caching hint and whether it has an access check.
func (s *Server) loadResource(c *Context, uri string) (_ []*ResourceContents, cache *Cache, checked bool, _ error) {
	var (
		contents []*ResourceContents
		err      error
		mime     string
	)
	if e := s.reg.resources.get(uri); e != nil && c.sees(e) {
		mime, cache, checked = e.res.MIMEType, e.res.Cache, e.res.CanAccess != nil
		contents, err = safeLoad(s, "resource "+uri, func() ([]*ResourceContents, error) { return e.res.Load(c) })
	} else {
		var found *templateEntry
		var vars uritemplate.Values
		sv, ss := c.visRules()
		for _, t := range s.reg.templates.all() {
			if !c.seesUnder(sv, ss, t) {
				continue
			}
			if vals := t.compiled.Match(uri); vals != nil {
				found, vars = t, vals
				break
			}
		}
		if found == nil {
			return nil, nil, false, resourceNotFound(uri, c.req.version)
		}
		mime, cache, checked = found.tmpl.MIMEType, found.tmpl.Cache, found.tmpl.CanAccess != nil
		contents, err = safeLoad(s, "resource template "+found.tmpl.URITemplate, func() ([]*ResourceContents, error) {
			return found.load(c, uri, vars)
		})
	}
	if err != nil {
		e := s.toWire(err, c.req)
		if e.Data == nil && ErrorCodeOf(err) == 0 {
			e.Data = map[string]string{"uri": uri}
		}
		return nil, nil, false, e
	}
	out := make([]*ResourceContents, 0, len(contents))
	for _, rc := range contents {
		if rc == nil {
			continue
		}
		cp := *rc
		if cp.URI == "" {
			cp.URI = uri
		}
		if cp.MIMEType == "" {
			cp.MIMEType = mime
		}
		out = append(out, &cp)
	}
	return out, cache, checked, nil
}

// safeLoad runs a loader, turning a panic into an error.
func safeLoad(s *Server, where string, f func() ([]*ResourceContents, error)) (out []*ResourceContents, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, s.recovered(where, v)
		}
	}()
	return f()
}
