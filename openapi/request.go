package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// param is a parameter of an operation, ready to serialize.
type param struct {
	name, in string
	// prop is the tool argument holding the parameter.
	prop          string
	required      bool
	style         string
	explode       bool
	allowReserved bool
	allowEmpty    bool
	// json: the parameter has a JSON content type, its value is sent as
	// JSON text.
	json   bool
	schema map[string]any
}

// bodySpec is an operation's request body.
type bodySpec struct {
	mediaType   string
	encoding    int
	required    bool
	description string
	schema      any
	// flat: the body is an object whose properties are tool arguments.
	flat  bool
	shape objectShape
}

// operation is everything calling one operation needs. It is immutable once
// built and shared by concurrent calls.
type operation struct {
	info         *Operation
	method, path string
	base         string
	params       []*param
	body         *bodySpec
	accept       string
	responseType string
	rt           *runtime
}

// runtime is what every operation of a Register call shares.
type runtime struct {
	client    *http.Client
	timeout   time.Duration
	headers   http.Header
	authorize func(*fastmcp.Context, *http.Request) error
	maxBody   int64
	maxErr    int
	uriPrefix string
}

func newRuntime(opts Options) *runtime {
	rt := &runtime{
		client: opts.Client, timeout: opts.Timeout, headers: opts.Headers.Clone(), authorize: opts.Authorize,
		maxBody: opts.MaxResponseBytes, maxErr: opts.MaxErrorBytes, uriPrefix: opts.URIPrefix,
	}
	if rt.client == nil {
		rt.client = http.DefaultClient
	}
	if rt.timeout == 0 {
		rt.timeout = DefaultTimeout
	}
	if rt.maxBody <= 0 {
		rt.maxBody = DefaultMaxResponseBytes
	}
	if rt.maxErr <= 0 {
		rt.maxErr = DefaultMaxErrorBytes
	}
	if rt.uriPrefix == "" {
		rt.uriPrefix = DefaultURIPrefix
	}
	return rt
}

// argError is a problem with the arguments: the model can fix it.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, args ...any) error { return &argError{fmt.Sprintf(format, args...)} }

// newRequest builds the HTTP request of a call from its arguments, keyed by
// argument name, each raw JSON.
func (op *operation) newRequest(ctx context.Context, args map[string]json.RawMessage) (*http.Request, error) {
	values := make(map[*param]any, len(op.params))
	for _, p := range op.params {
		raw, ok := args[p.prop]
		if !ok {
			if p.required {
				return nil, argErrorf("missing %s parameter %q", p.in, p.prop)
			}
			continue
		}
		v, err := decodeValue(raw)
		if err != nil {
			return nil, argErrorf("%s: %v", p.prop, err)
		}
		if v == nil && !p.required {
			continue // null: left out
		}
		if p.json {
			v = string(bytes.TrimSpace(raw))
		}
		values[p] = v
	}
	path, err := op.expandPath(values)
	if err != nil {
		return nil, err
	}
	var query []string
	for _, p := range op.params {
		if v, ok := values[p]; ok && p.in == "query" {
			query = appendQuery(query, p, v)
		}
	}
	target := op.base + path
	if len(query) > 0 {
		target += "?" + strings.Join(query, "&")
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, argErrorf("the request URL is invalid: %v", err)
	}
	body, contentType, err := op.encodeBody(args)
	if err != nil {
		return nil, err
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, op.method, u.String(), reader)
	if err != nil {
		return nil, argErrorf("the request is invalid: %v", err)
	}
	for k, vs := range op.rt.headers {
		req.Header[k] = slices.Clone(vs)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if op.accept != "" {
		req.Header.Set("Accept", op.accept)
	}
	var cookies []string
	for _, p := range op.params {
		v, ok := values[p]
		if !ok {
			continue
		}
		switch p.in {
		case "header":
			text := joinValue(v, p.explode, ",", ",", func(s string) string { return s })
			if strings.ContainsAny(text, "\r\n\x00") {
				return nil, argErrorf("header parameter %q must not contain line breaks or NUL", p.prop)
			}
			req.Header.Set(p.name, text)
		case "cookie":
			text := joinValue(v, false, ",", ",", func(s string) string { return s })
			if i := strings.IndexFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ';' || r == '"' || r == '\\' }); i >= 0 {
				return nil, argErrorf("cookie parameter %q must not contain control characters, quotes, backslashes or semicolons", p.prop)
			}
			cookies = append(cookies, p.name+"="+text)
		}
	}
	if len(cookies) > 0 {
		req.Header.Add("Cookie", strings.Join(cookies, "; "))
	}
	return req, nil
}

// decodeValue decodes an argument, keeping numbers as written.
func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// text is the string form of a scalar in a URL or header: strings as they
// are, numbers as written, booleans as true/false; anything else as JSON.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// pairs returns an object's members in key order.
func pairs(m map[string]any) [][2]string {
	out := make([][2]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, [2]string{k, text(m[k])})
	}
	return out
}

// joinValue serializes a value as the simple style does (and the form style
// without explode): arrays joined by sep, objects as key,value pairs, or
// key=value pairs when explode. esc escapes each piece.
func joinValue(v any, explode bool, sep, kv string, esc func(string) string) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = esc(text(e))
		}
		return strings.Join(parts, sep)
	case map[string]any:
		var parts []string
		for _, p := range pairs(v) {
			if explode {
				parts = append(parts, esc(p[0])+"="+esc(p[1]))
			} else {
				parts = append(parts, esc(p[0]), esc(p[1]))
			}
		}
		if !explode {
			return strings.Join(parts, kv)
		}
		return strings.Join(parts, sep)
	}
	return esc(text(v))
}

// expandPath substitutes the path parameters into the path template.
func (op *operation) expandPath(values map[*param]any) (string, error) {
	var b strings.Builder
	path := op.path
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String(), nil
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			b.WriteString(path)
			return b.String(), nil
		}
		b.WriteString(path[:i])
		name := path[i+1 : i+j]
		path = path[i+j+1:]
		var p *param
		for _, q := range op.params {
			if q.in == "path" && q.name == name {
				p = q
				break
			}
		}
		v, ok := values[p]
		if p == nil || !ok {
			return "", argErrorf("missing path parameter %q", name)
		}
		s, err := pathValue(p, v)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
}

// pathValue serializes a path parameter (styles simple, label, matrix),
// escaping everything but unreserved characters, so a value cannot change
// the path's structure. A value that is, or contains, a dot segment ("."
// or "..") is refused: a server that decodes %2F before normalizing the
// path would climb out of the operation's path.
func pathValue(p *param, v any) (string, error) {
	var scalars []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			scalars = append(scalars, text(e))
		}
	case map[string]any:
		for _, kv := range pairs(v) {
			scalars = append(scalars, kv[0], kv[1])
		}
	default:
		scalars = []string{text(v)}
	}
	for _, s := range scalars {
		for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
			if seg == "." || seg == ".." {
				return "", argErrorf("path parameter %q must not contain the path segment %q", p.prop, seg)
			}
		}
	}
	if len(scalars) == 1 && scalars[0] == "" && p.style == "simple" {
		return "", argErrorf("path parameter %q must not be empty", p.prop)
	}
	esc := func(s string) string { return escape(s, false) }
	switch p.style {
	case "label":
		sep := ","
		if p.explode {
			sep = "."
		}
		return "." + joinValue(v, p.explode, sep, ",", esc), nil
	case "matrix":
		switch v := v.(type) {
		case []any:
			if p.explode {
				var parts []string
				for _, e := range v {
					parts = append(parts, ";"+esc(p.name)+"="+esc(text(e)))
				}
				return strings.Join(parts, ""), nil
			}
		case map[string]any:
			if p.explode {
				return ";" + joinValue(v, true, ";", ",", esc), nil
			}
		}
		s := joinValue(v, false, ",", ",", esc)
		if s == "" {
			return ";" + esc(p.name), nil
		}
		return ";" + esc(p.name) + "=" + s, nil
	}
	return joinValue(v, p.explode, ",", ",", esc), nil
}

// appendQuery appends a query parameter's name=value pairs (escaped).
func appendQuery(query []string, p *param, v any) []string {
	esc := func(s string) string { return escape(s, p.allowReserved) }
	name := escape(p.name, false)
	switch v := v.(type) {
	case []any:
		if p.explode && p.style != "deepObject" {
			for _, e := range v {
				query = append(query, name+"="+esc(text(e)))
			}
			return query
		}
		sep := ","
		switch p.style {
		case "spaceDelimited":
			sep = "%20"
		case "pipeDelimited":
			sep = "|"
		}
		return append(query, name+"="+joinValue(v, false, sep, sep, esc))
	case map[string]any:
		switch {
		case p.style == "deepObject":
			for _, kv := range pairs(v) {
				query = append(query, name+"["+escape(kv[0], false)+"]="+esc(kv[1]))
			}
			return query
		case p.explode:
			for _, kv := range pairs(v) {
				query = append(query, escape(kv[0], false)+"="+esc(kv[1]))
			}
			return query
		}
		return append(query, name+"="+joinValue(v, false, ",", ",", esc))
	}
	return append(query, name+"="+esc(text(v)))
}

// escape percent-encodes all but the unreserved characters of RFC 3986
// (and, with reserved, the reserved ones that cannot end a query value:
// not &, =, # or +).
func escape(s string, reserved bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case reserved && strings.IndexByte(":/?[]@!$'()*,;", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// encodeBody returns the request body and its content type.
func (op *operation) encodeBody(args map[string]json.RawMessage) ([]byte, string, error) {
	bs := op.body
	if bs == nil {
		return nil, "", nil
	}
	contentType := bs.mediaType
	switch mediaType(contentType) {
	case "*/*", "application/*":
		contentType = "application/json"
	case "text/*":
		contentType = "text/plain"
	}
	if !bs.flat {
		raw, ok := args[bodyArgument]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			if bs.required {
				return nil, "", argErrorf("missing the request body (argument %q)", bodyArgument)
			}
			return nil, "", nil
		}
		if bs.encoding == encRaw {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return []byte(raw), contentType, nil
			}
			return []byte(s), contentType, nil
		}
		return bytes.TrimSpace(raw), contentType, nil
	}
	members := map[string]json.RawMessage{}
	for k, v := range args {
		if !slices.ContainsFunc(op.params, func(p *param) bool { return p.prop == k }) {
			members[k] = v
		}
	}
	if len(members) == 0 && !bs.required {
		return nil, "", nil
	}
	if bs.encoding == encForm {
		form := url.Values{}
		for _, k := range sortedKeys(members) {
			v, err := decodeValue(members[k])
			if err != nil {
				return nil, "", argErrorf("%s: %v", k, err)
			}
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					form.Add(k, text(e))
				}
			case nil:
			default:
				form.Add(k, text(v))
			}
		}
		return []byte(form.Encode()), contentType, nil
	}
	b, err := json.Marshal(members)
	if err != nil {
		return nil, "", argErrorf("the request body: %v", err)
	}
	return b, contentType, nil
}

// answer is the API's response, read up to the limit.
type answer struct {
	status      int
	statusText  string
	contentType string
	body        []byte
	truncated   bool
	// total is the body's announced length; -1 when unknown.
	total int64
}

// exchangeError is a failed exchange: the request could not be sent or the
// response not read.
type exchangeError struct{ msg string }

func (e *exchangeError) Error() string { return e.msg }

// do sends the request of a call and reads the answer, within the timeout.
// ctx is the MCP request's (a *fastmcp.Context, which Authorize receives).
func (op *operation) do(ctx context.Context, args map[string]json.RawMessage) (*answer, error) {
	reqCtx := ctx
	if op.rt.timeout > 0 {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithTimeout(ctx, op.rt.timeout)
		defer cancel()
	}
	req, err := op.newRequest(reqCtx, args)
	if err != nil {
		return nil, err
	}
	if op.rt.authorize != nil {
		if err := op.rt.authorize(fastmcp.ContextFrom(ctx), req); err != nil {
			return nil, err
		}
	}
	where := op.method + " " + req.URL.Path
	fail := func(err error) error {
		switch {
		case ctx.Err() != nil:
			return &exchangeError{fmt.Sprintf("%s was cancelled: %v", where, context.Cause(ctx))}
		case errors.Is(err, context.DeadlineExceeded) || reqCtx.Err() != nil:
			return &exchangeError{fmt.Sprintf("%s timed out after %v", where, op.rt.timeout)}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &exchangeError{fmt.Sprintf("%s failed: %v", where, err)}
	}
	resp, err := op.rt.client.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer resp.Body.Close()
	limit := op.rt.maxBody
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fail(err)
	}
	a := &answer{status: resp.StatusCode, statusText: resp.Status, contentType: resp.Header.Get("Content-Type"), body: body, total: resp.ContentLength}
	if int64(len(body)) > limit {
		a.body, a.truncated = body[:limit], true
	}
	return a, nil
}
