package fastmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
	"github.com/fastmcp-go/fastmcp/internal/schema"
)

// Tool describes a tool: what tools/list shows, and how it runs. Register one
// with AddTool.
type Tool struct {
	// Name identifies the tool; required.
	Name string `json:"name"`
	// Title is a human-readable name (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Description tells the model what the tool does and when to use it.
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema of the arguments, an object schema.
	// Leave it nil to infer it from the handler's argument type (see the
	// package documentation for the struct tags it reads). When set, it is
	// sent exactly as given and arguments are validated against it: a
	// *jsonschema.Schema, json.RawMessage, string or map[string]any.
	InputSchema any `json:"inputSchema"`
	// OutputSchema is the JSON Schema of the structured result
	// (2025-06-18 and later). Leave it nil to infer it from the handler's
	// result type when that type is structured data (not a string, Content,
	// []Content or *CallToolResult). Results are validated against it.
	OutputSchema any `json:"outputSchema,omitempty"`
	// Annotations are hints about the tool's behaviour (2025-03-26 and later).
	Annotations *ToolAnnotations `json:"annotations,omitempty"`
	// Icons represent the tool in client UIs (2025-11-25 and later).
	Icons []Icon `json:"icons,omitempty"`
	// Meta is the tool's _meta (2025-06-18 and later).
	Meta Meta `json:"_meta,omitempty"`

	// Timeout bounds each call. When it passes, the handler's context is
	// cancelled and the client receives a result with isError saying the tool
	// timed out; a handler that ignores its context keeps running, but its
	// result is discarded. Default: Options.ToolTimeout.
	Timeout time.Duration `json:"-"`
	// CanAccess, when set, decides who sees and calls the tool; others get it
	// neither listed nor callable ("Unknown tool"). Default: everyone.
	CanAccess AccessCheck `json:"-"`
	// Cache is the caching hint of tools/list results that list the tool (the list takes the
	// shortest TTL of its tools) for 2026-07-28 clients. Default:
	// Options.Cache.
	Cache *Cache `json:"-"`

	// Task says whether calls run as tasks (the tasks extension, see
	// tasks.go): TaskNever (the default), TaskOptional (as a task for
	// clients that declared the extension, a plain call for others) or
	// TaskRequired. The handler is the same either way. Timeout bounds a
	// task's handler too; Options.ToolTimeout does not.
	Task TaskSupport `json:"-"`
	// TaskDeferred runs a call in the request first, as a plain call whose
	// input calls (Context.Elicit, Sample, Ask) are answered through multi
	// round-trip requests; the call becomes a task when the handler calls
	// Context.StartTask (and stays a plain call if it returns first).
	// Default false: the task is created before the handler runs.
	TaskDeferred bool `json:"-"`
	// Idempotent says the handler may run again for the same call without
	// harm: a task whose worker stopped before it ended is run again
	// (up to TaskOptions.MaxReruns times) instead of failing. It is not
	// sent to clients (see ToolAnnotations.IdempotentHint for that).
	// Default false.
	Idempotent bool `json:"-"`
	// Tags label the tool for Server.Disable and Enable (see Selector).
	// Clients never see them. Default: none.
	Tags []string `json:"-"`
}

// NoArgs is the argument type of a tool that takes no arguments.
type NoArgs struct{}

// ToolHandler runs a tool. In is the type of the arguments: a struct (its
// schema is inferred), map[string]any, json.RawMessage or any. Out decides the
// result:
//
//   - string: one text block;
//   - Content, such as *TextContent: one block; []Content: those blocks;
//   - *CallToolResult: sent as is;
//   - any: decided by the returned value, by the rules above; nil gives no
//     content, and other values are sent as JSON text;
//   - any other type (a struct, a map, a number...): structured output. The
//     output schema is inferred from Out; the value becomes structuredContent
//     and, for older clients, JSON text. A value whose schema is not an object
//     is wrapped as {"result": value}.
//
// A returned error becomes a result with isError: a *UserError shows its
// message, other errors show a generic message (see Options.ShowErrorDetails)
// and are logged. An *Error is sent as a JSON-RPC error instead.
type ToolHandler[In, Out any] func(ctx *Context, args In) (Out, error)

// toolEntry is a registered tool.
type toolEntry struct {
	tool    Tool
	timeout time.Duration
	// wire holds the tool's tools/list entry per protocol revision.
	wire [numVersions]json.RawMessage
	call func(c *Context, args json.RawMessage) (*CallToolResult, error)
	// headers are the parameters mirrored in Mcp-Param headers
	// (x-mcp-header).
	headers []headerParam
}

// AddTool registers a tool, replacing any tool of the same name. Connected
// clients are told the list changed. It panics on a programmer error: an empty
// name, an argument type that is not an object, an invalid schema.
func AddTool[In, Out any](s *Server, t Tool, h ToolHandler[In, Out]) {
	if t.Name == "" {
		panic("fastmcp: AddTool: empty tool name")
	}
	if h == nil {
		panic(fmt.Sprintf("fastmcp: AddTool %q: nil handler", t.Name))
	}
	t.checkTask()
	args, err := schema.NewArgs[In](t.InputSchema)
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddTool %q: input schema: %v", t.Name, err))
	}
	out, err := newResultCodec[Out](t.OutputSchema)
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddTool %q: output schema: %v", t.Name, err))
	}
	headers, err := headerParams(args.Wire)
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddTool %q: input schema: %v", t.Name, err))
	}
	e := &toolEntry{tool: t, timeout: t.Timeout, headers: headers}
	e.tool.InputSchema, e.tool.OutputSchema = args.Wire, nil
	if out.wire != nil {
		e.tool.OutputSchema = out.wire
	}
	if err := e.encode(); err != nil {
		panic(fmt.Sprintf("fastmcp: AddTool %q: %v", t.Name, err))
	}
	name := t.Name
	e.call = func(c *Context, raw json.RawMessage) (*CallToolResult, error) {
		in, err := args.Decode(raw)
		if err != nil {
			return errorResult(fmt.Sprintf("Invalid arguments for tool %q: %v", name, err)), nil
		}
		v, err := h(c, in)
		if err != nil {
			return nil, err
		}
		res, err := out.result(name, v)
		if err != nil {
			// The tool's own output is wrong: the client sees why (it
			// reveals only what the schema says), the log has the same.
			c.srv.logger.ErrorContext(c, "fastmcp: bad tool output", "tool", name, "error", err)
			return errorResult(err.Error()), nil
		}
		return res, nil
	}
	s.reg.tools.add(e)
	s.listChanged(listTools)
}

func (e *toolEntry) key() string         { return e.tool.Name }
func (e *toolEntry) access() AccessCheck { return e.tool.CanAccess }

// encode prepares the tool's tools/list entry for each protocol revision,
// leaving out the members a revision does not define.
func (e *toolEntry) encode() error {
	type wire struct {
		Name         string           `json:"name"`
		Title        string           `json:"title,omitempty"`
		Description  string           `json:"description,omitempty"`
		InputSchema  json.RawMessage  `json:"inputSchema"`
		OutputSchema json.RawMessage  `json:"outputSchema,omitempty"`
		Annotations  *ToolAnnotations `json:"annotations,omitempty"`
		Icons        []Icon           `json:"icons,omitempty"`
		Meta         Meta             `json:"_meta,omitempty"`
	}
	t := &e.tool
	for v := v20241105; v < numVersions; v++ {
		w := wire{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema.(json.RawMessage)}
		if v >= v20250326 {
			w.Annotations = t.Annotations
		}
		if v >= v20250618 {
			w.Title, w.Meta = t.Title, t.Meta
			if t.OutputSchema != nil {
				w.OutputSchema = t.OutputSchema.(json.RawMessage)
			}
		}
		if v >= v20251125 {
			w.Icons = t.Icons
		}
		raw, err := json.Marshal(w)
		if err != nil {
			return err
		}
		e.wire[v] = raw
	}
	e.wire[vUnknown] = e.wire[v20251125]
	return nil
}

// listTools serves tools/list.
func (s *Server) listTools(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Cursor string `json:"cursor"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	registered := s.reg.tools.all()
	all := filterVisible(c, registered)
	page, next, err := paginate(all, func(e *toolEntry) string { return e.tool.Name }, p.Cursor, s.opts.PageSize)
	if err != nil {
		return nil, err
	}
	listCache(s, c.req, registered, page, func(e *toolEntry) (*Cache, AccessCheck) { return e.tool.Cache, e.tool.CanAccess })
	v := c.req.version
	b := make([]byte, 0, 256*len(page)+32)
	b = append(b, `{"tools":[`...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.wire[v]...)
	}
	b = append(b, ']')
	b = appendListTail(b, next, v)
	return json.RawMessage(b), nil
}

// appendListTail appends nextCursor and the closing brace of a list result.
// (The 2026-07-28 members are added by finishModern.)
func appendListTail(b []byte, next string, v protocolVersion) []byte {
	if next != "" {
		b = append(b, `,"nextCursor":`...)
		b = jsonrpc.AppendString(b, next)
	}
	return append(b, '}')
}

// runToolCall runs the tool of a tools/call, the innermost of the tools/call
// handler's policies (see newToolCall). Its arguments are read in place and
// its result is encoded straight into the response: this is the hot path.
func (s *Server) runToolCall(c *Context, req *Request) (any, error) {
	e, err := s.toolFor(c, req)
	if err != nil {
		return nil, err
	}
	return s.invokeTool(c, e, req.Arguments)
}

// appendToolResult encodes a tool result for protocol revision v: block types
// the revision does not know are replaced, members it does not define left
// out.
func appendToolResult(b []byte, res *CallToolResult, v protocolVersion) ([]byte, error) {
	b = append(b, `{"content":[`...)
	for i, c := range res.Content {
		if c == nil {
			return nil, fmt.Errorf("content[%d] is nil", i)
		}
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendContent(b, contentFor(c, v)); err != nil {
			return nil, fmt.Errorf("content[%d]: %w", i, err)
		}
	}
	b = append(b, ']')
	if res.StructuredContent != nil && v >= v20250618 {
		b = append(b, `,"structuredContent":`...)
		var err error
		if b, err = appendJSONValue(b, res.StructuredContent); err != nil {
			return nil, fmt.Errorf("structuredContent: %w", err)
		}
	}
	if res.IsError {
		b = append(b, `,"isError":true`...)
	}
	if res.Meta != nil {
		b = append(b, `,"_meta":`...)
		var err error
		if b, err = appendJSONValue(b, res.Meta); err != nil {
			return nil, fmt.Errorf("_meta: %w", err)
		}
	}
	return append(b, '}'), nil
}

// appendJSONValue appends v encoded as JSON; raw JSON is appended as is.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if !jsonrpc.Valid(raw) {
			return nil, errors.New("invalid JSON")
		}
		return append(b, raw...), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// invokeTool calls the handler, turning panics and errors into results.
func (s *Server) invokeTool(c *Context, e *toolEntry, args json.RawMessage) (res *CallToolResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			err := s.recoveredIn(c, "tool "+e.tool.Name, v)
			res = s.internalErrorResult(e.tool.Name, err)
		}
	}()
	res, err = e.call(c, args)
	if err == nil {
		return res, nil
	}
	return s.toolOutcome(c, e, err)
}

// toolOutcome turns the error a tool's handler returned into what the client
// receives: an *Error as it is, anything else as a result with isError.
func (s *Server) toolOutcome(c *Context, e *toolEntry, err error) (*CallToolResult, error) {
	var pe *Error
	if errors.As(err, &pe) {
		return nil, pe
	}
	var ue *UserError
	if errors.As(err, &ue) {
		r := errorResult(ue.Message)
		if ue.Data != nil {
			r.StructuredContent = objectOrWrapped(ue.Data)
		}
		return r, nil
	}
	if errors.Is(err, ErrCapability) {
		// Not an internal error: the model learns what the client lacks.
		return errorResult(err.Error()), nil
	}
	if errors.Is(err, ErrInputRequired) || errors.Is(err, ErrTaskStarted) {
		// The request is answered with input_required (see mrtr.go) or a
		// task (tasks_engine.go); in the handshake era, this is a
		// handler's mistake.
		return errorResult(err.Error()), nil
	}
	if c.Err() != nil && errors.Is(err, c.Err()) {
		// Cancelled or timed out: runTool and handleRequest decide what
		// the client sees.
		return errorResult(fmt.Sprintf("Tool %q was cancelled: %v", e.tool.Name, context.Cause(c))), nil
	}
	s.logger.ErrorContext(c, "fastmcp: tool failed", "tool", e.tool.Name, "error", err)
	return s.internalErrorResult(e.tool.Name, err), nil
}

func (s *Server) internalErrorResult(tool string, err error) *CallToolResult {
	if s.opts.ShowErrorDetails {
		return errorResult(fmt.Sprintf("Tool %q failed: %v", tool, err))
	}
	return errorResult(fmt.Sprintf("Tool %q failed because of an internal error.", tool))
}

// objectOrWrapped returns v's JSON when it is an object, and {"result": v}
// otherwise: structuredContent must be an object.
func objectOrWrapped(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		return t
	}
	return append(append([]byte(`{"result":`), raw...), '}')
}

// textResult returns a result of one text block, in one allocation.
func textResult(text string) *CallToolResult {
	r := &struct {
		res  CallToolResult
		arr  [1]Content
		text TextContent
	}{}
	r.text.Text = text
	r.arr[0] = &r.text
	r.res.Content = r.arr[:]
	return &r.res
}

func errorResult(msg string) *CallToolResult {
	return &CallToolResult{Content: []Content{&TextContent{Text: msg}}, IsError: true}
}

// resultKind is how a handler's Out becomes a CallToolResult.
type resultKind uint8

const (
	resultDynamic    resultKind = iota // an interface: decided by the value
	resultString                       // text
	resultContent                      // one block
	resultContents                     // []Content
	resultFull                         // *CallToolResult
	resultStructured                   // structured output
	resultRaw                          // json.RawMessage: JSON text, structured when an object
)

var (
	stringType         = reflect.TypeFor[string]()
	contentType        = reflect.TypeFor[Content]()
	contentsType       = reflect.TypeFor[[]Content]()
	callToolResultType = reflect.TypeFor[*CallToolResult]()
)

// resultCodec turns a handler's return value into a CallToolResult.
type resultCodec[Out any] struct {
	kind     resultKind
	wire     json.RawMessage // output schema, nil when there is none
	resolved *jsonschema.Resolved
	wrap     bool // structured value wrapped as {"result": value}
}

func newResultCodec[Out any](explicit any) (*resultCodec[Out], error) {
	t := reflect.TypeFor[Out]()
	c := &resultCodec[Out]{}
	switch {
	case t == stringType:
		c.kind = resultString
	case t == callToolResultType:
		c.kind = resultFull
	case t == contentsType:
		c.kind = resultContents
	case t.Kind() == reflect.Slice && t.Elem().Implements(contentType):
		c.kind = resultContents // such as []*TextContent
	case t == schema.RawMessageType:
		c.kind = resultRaw
	case t.Kind() == reflect.Interface && t != contentType && !contentType.Implements(t):
		return nil, fmt.Errorf("result type %s is an interface FastMCP cannot interpret", t)
	case t == contentType:
		c.kind = resultContent
	case t.Kind() == reflect.Interface:
		c.kind = resultDynamic
	case t.Implements(contentType):
		c.kind = resultContent
	default:
		c.kind = resultStructured
	}
	var sch *jsonschema.Schema
	var err error
	switch {
	case explicit != nil:
		if c.wire, sch, err = schema.FromAny(explicit); err != nil {
			return nil, err
		}
		if sch.Type != "object" {
			return nil, fmt.Errorf(`output schema must have "type": "object"`)
		}
	case c.kind == resultStructured:
		base := t
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		if sch, err = schema.ForOutput(base); err != nil {
			return nil, err
		}
		if sch.Type != "object" {
			c.wrap = true
			sch = &jsonschema.Schema{
				Type:       "object",
				Properties: map[string]*jsonschema.Schema{"result": sch},
				Required:   []string{"result"},
			}
		}
		if c.wire, err = schema.Marshal(sch); err != nil {
			return nil, err
		}
	}
	if sch != nil {
		if c.resolved, err = sch.Resolve(nil); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// result normalises a handler's return value.
func (c *resultCodec[Out]) result(tool string, v Out) (*CallToolResult, error) {
	switch c.kind {
	case resultString:
		return textResult(any(v).(string)), nil
	case resultStructured:
		return c.structured(tool, v)
	case resultRaw:
		raw := any(v).(json.RawMessage)
		if len(raw) == 0 {
			return &CallToolResult{Content: []Content{}}, nil
		}
		if !jsonrpc.Valid(raw) {
			return nil, fmt.Errorf("tool %q returned invalid JSON", tool)
		}
		res := &CallToolResult{Content: []Content{&TextContent{Text: string(raw)}}}
		if t := bytes.TrimSpace(raw); t[0] == '{' {
			res.StructuredContent = json.RawMessage(t)
		}
		if c.resolved != nil {
			return c.structured(tool, raw)
		}
		return res, nil
	case resultContents:
		if cs, ok := any(v).([]Content); ok {
			return &CallToolResult{Content: cs}, nil
		}
		rv := reflect.ValueOf(v)
		cs := make([]Content, rv.Len())
		for i := range cs {
			cs[i], _ = rv.Index(i).Interface().(Content)
			if cs[i] == nil || reflect.ValueOf(cs[i]).IsNil() {
				return nil, fmt.Errorf("tool %q returned a nil content block at index %d", tool, i)
			}
		}
		return &CallToolResult{Content: cs}, nil
	}
	return c.dynamic(tool, any(v))
}

func (c *resultCodec[Out]) dynamic(tool string, v any) (*CallToolResult, error) {
	switch v := v.(type) {
	case nil:
		if c.resolved != nil {
			return nil, fmt.Errorf("tool %q returned no structured content but declares an output schema", tool)
		}
		return &CallToolResult{Content: []Content{}}, nil
	case string:
		return &CallToolResult{Content: []Content{&TextContent{Text: v}}}, nil
	case *CallToolResult:
		if v == nil {
			return &CallToolResult{Content: []Content{}}, nil
		}
		if c.resolved != nil && !v.IsError {
			if err := c.validate(v.StructuredContent); err != nil {
				return nil, fmt.Errorf("tool %q: structured content does not match the output schema: %w", tool, err)
			}
		}
		return v, nil
	case CallToolResult:
		return c.dynamic(tool, &v)
	case []Content:
		return &CallToolResult{Content: v}, nil
	case Content:
		if reflect.ValueOf(v).IsNil() {
			return &CallToolResult{Content: []Content{}}, nil
		}
		return &CallToolResult{Content: []Content{v}}, nil
	}
	if c.resolved != nil {
		return c.structured(tool, v)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("tool %q: result cannot be encoded as JSON: %w", tool, err)
	}
	return &CallToolResult{Content: []Content{&TextContent{Text: string(raw)}}}, nil
}

// structured encodes v as structured output, validated against the schema.
func (c *resultCodec[Out]) structured(tool string, v any) (*CallToolResult, error) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map) && rv.IsNil() {
		return nil, fmt.Errorf("tool %q returned no structured content but declares an output schema", tool)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("tool %q: result cannot be encoded as JSON: %w", tool, err)
	}
	if c.wrap {
		raw = append(append([]byte(`{"result":`), raw...), '}')
	}
	if c.resolved != nil {
		if err := c.validate(json.RawMessage(raw)); err != nil {
			return nil, fmt.Errorf("tool %q: result does not match its output schema: %w", tool, err)
		}
	}
	return &CallToolResult{
		Content:           []Content{&TextContent{Text: string(raw)}},
		StructuredContent: json.RawMessage(raw),
	}, nil
}

// validate checks structured content against the output schema.
func (c *resultCodec[Out]) validate(v any) error {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return err
		}
	}
	var inst any
	if err := json.Unmarshal(raw, &inst); err != nil {
		return err
	}
	return schema.Validate(c.resolved, inst)
}
