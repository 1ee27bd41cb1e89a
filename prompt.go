package fastmcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/fastmcp-go/fastmcp/internal/schema"
)

// Prompt is a reusable prompt template a client can fill in and get. Register
// one with AddPrompt.
type Prompt struct {
	// Name identifies the prompt; required.
	Name string `json:"name"`
	// Title is a human-readable name (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Description says what the prompt is for.
	Description string `json:"description,omitempty"`
	// Arguments the prompt accepts. Leave it empty to infer the arguments from
	// a struct argument type of the handler.
	Arguments []PromptArgument `json:"arguments,omitempty"`
	// Icons represent the prompt in client UIs (2025-11-25 and later).
	Icons []Icon `json:"icons,omitempty"`
	// Meta is the prompt's _meta (2025-06-18 and later).
	Meta Meta `json:"_meta,omitempty"`

	// CanAccess, when set, decides who sees and gets the prompt; for others
	// it does not exist ("Unknown prompt"). Default: everyone.
	CanAccess AccessCheck `json:"-"`
	// Cache is the caching hint of prompts/list results that list the prompt (the list takes
	// the shortest TTL of its prompts) for 2026-07-28 clients. Default:
	// Options.Cache.
	Cache *Cache `json:"-"`
	// Tags label the prompt for Server.Disable and Enable (see Selector).
	// Clients never see them. Default: none.
	Tags []string `json:"-"`
}

// PromptArgument is an argument of a prompt. Prompt arguments are strings.
type PromptArgument struct {
	// Name identifies the argument; required.
	Name string `json:"name"`
	// Title is a human-readable name (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Description says what the argument is for.
	Description string `json:"description,omitempty"`
	// Required arguments must be given to prompts/get; a missing one is an
	// invalid-params error.
	Required bool `json:"required,omitempty"`
	// Enum, when set, lists the allowed values: other values are refused and
	// completion suggests these, ranked by how well they match.
	Enum []string `json:"-"`
	// Complete suggests values for completion/complete; it overrides Enum's
	// suggestions.
	Complete Completer `json:"-"`
}

// PromptResult is what a prompt handler returns: a string (one user text
// message), messages, or a full result.
type PromptResult interface {
	string | []*PromptMessage | *GetPromptResult
}

// PromptHandler builds a prompt. Args is map[string]string, or a struct whose
// fields (named by json tags) receive the arguments: strings, numbers and
// booleans are parsed from the argument's text. From a struct the prompt's
// arguments are inferred when Prompt.Arguments is empty: required unless the
// json tag has omitempty, described by a description (or jsonschema) tag,
// restricted by an enum:"a,b" tag.
type PromptHandler[Args any, R PromptResult] func(ctx *Context, args Args) (R, error)

type promptEntry struct {
	prompt Prompt
	wire   [numVersions]json.RawMessage
	get    func(c *Context, args map[string]string) (*GetPromptResult, error)
}

// UserMessage returns a prompt message from the user.
func UserMessage(c Content) *PromptMessage { return &PromptMessage{Role: RoleUser, Content: c} }

// AssistantMessage returns a prompt message from the assistant.
func AssistantMessage(c Content) *PromptMessage {
	return &PromptMessage{Role: RoleAssistant, Content: c}
}

// AddPrompt registers a prompt, replacing any prompt of the same name.
// Connected clients are told the list changed. It panics on a programmer error:
// an empty name, a nil handler, an argument type that is neither
// map[string]string nor a struct, or declared arguments with no field.
func AddPrompt[Args any, R PromptResult](s *Server, p Prompt, h PromptHandler[Args, R]) {
	if p.Name == "" {
		panic("fastmcp: AddPrompt: empty prompt name")
	}
	if h == nil {
		panic(fmt.Sprintf("fastmcp: AddPrompt %q: nil handler", p.Name))
	}
	bind, inferred, err := newPromptBinder[Args](p.Arguments)
	if err != nil {
		panic(fmt.Sprintf("fastmcp: AddPrompt %q: %v", p.Name, err))
	}
	if len(p.Arguments) == 0 {
		p.Arguments = inferred
	}
	e := &promptEntry{prompt: p}
	e.get = func(c *Context, raw map[string]string) (*GetPromptResult, error) {
		args, err := bind(raw)
		if err != nil {
			return nil, NewError(CodeInvalidParams, "prompt %q: %v", p.Name, err)
		}
		out, err := h(c, args)
		if err != nil {
			return nil, err
		}
		switch out := any(out).(type) {
		case string:
			return &GetPromptResult{Messages: []*PromptMessage{UserMessage(Text(out))}}, nil
		case []*PromptMessage:
			return &GetPromptResult{Messages: out}, nil
		case *GetPromptResult:
			if out == nil {
				return nil, fmt.Errorf("prompt %q returned a nil result", p.Name)
			}
			return out, nil
		}
		panic("unreachable")
	}
	e.wire = promptWire(p)
	s.reg.prompts.add(e)
	s.listChanged(listPrompts)
}

// promptWire encodes p's list entry for each revision.
func promptWire(p Prompt) [numVersions]json.RawMessage {
	return encodeByVersion(func(v protocolVersion) any {
		w := p
		if v < v20250618 {
			w.Title, w.Meta = "", nil
			w.Arguments = slices.Clone(p.Arguments)
			for i := range w.Arguments {
				w.Arguments[i].Title = ""
			}
		}
		if v < v20251125 {
			w.Icons = nil
		}
		return &w
	})
}

func (e *promptEntry) key() string         { return e.prompt.Name }
func (e *promptEntry) access() AccessCheck { return e.prompt.CanAccess }

// newPromptBinder returns a function that turns raw prompt arguments into Args,
// and the arguments inferred from Args when it is a struct.
func newPromptBinder[Args any](declared []PromptArgument) (func(map[string]string) (Args, error), []PromptArgument, error) {
	t := reflect.TypeFor[Args]()
	if t == reflect.TypeFor[map[string]string]() {
		return func(m map[string]string) (Args, error) {
			if m == nil {
				m = map[string]string{}
			}
			return any(m).(Args), nil
		}, nil, nil
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("argument type %s is neither map[string]string nor a struct", t)
	}
	fields := map[string]int{}
	var inferred []PromptArgument
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		switch schema.DerefType(f.Type).Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			return nil, nil, fmt.Errorf("field %s: prompt arguments are strings; type %s cannot hold one", f.Name, f.Type)
		}
		fields[name] = i
		arg := PromptArgument{
			Name:        name,
			Title:       f.Tag.Get("title"),
			Description: f.Tag.Get("description"),
			Required:    !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero"),
		}
		if arg.Description == "" {
			arg.Description = f.Tag.Get("jsonschema")
		}
		if e, ok := f.Tag.Lookup("enum"); ok {
			for _, v := range strings.Split(e, ",") {
				arg.Enum = append(arg.Enum, strings.TrimSpace(v))
			}
		}
		inferred = append(inferred, arg)
	}
	for _, a := range declared {
		if _, ok := fields[a.Name]; !ok {
			return nil, nil, fmt.Errorf("argument %q has no field in %s (match it with a json tag)", a.Name, t)
		}
	}
	bind := func(m map[string]string) (Args, error) {
		var args Args
		rv := reflect.ValueOf(&args).Elem()
		for name, v := range m {
			if i, ok := fields[name]; ok {
				if err := setField(rv.Field(i), v, nil); err != nil {
					return args, fmt.Errorf("argument %q: %v", name, err)
				}
			}
		}
		return args, nil
	}
	return bind, inferred, nil
}

// getPrompt serves prompts/get.
func (s *Server) getPrompt(c *Context, req *Request) (any, error) {
	var p struct {
		Name      string
		Arguments map[string]string
	}
	p.Name = req.Name
	if len(req.Arguments) > 0 && string(req.Arguments) != "null" {
		if err := json.Unmarshal(req.Arguments, &p.Arguments); err != nil {
			return nil, NewError(CodeInvalidParams, "invalid params for prompts/get: arguments must be an object of strings: %v", err)
		}
	}
	e := s.reg.prompts.get(p.Name)
	if e == nil || !c.sees(e) {
		return nil, NewError(CodeInvalidParams, "Unknown prompt: %s", p.Name)
	}
	for _, a := range e.prompt.Arguments {
		v, ok := p.Arguments[a.Name]
		if !ok {
			if a.Required {
				return nil, NewError(CodeInvalidParams, "prompt %q: missing required argument %q", p.Name, a.Name)
			}
			continue
		}
		if len(a.Enum) > 0 && !slices.Contains(a.Enum, v) {
			return nil, NewError(CodeInvalidParams, "prompt %q: argument %q must be one of %s", p.Name, a.Name, strings.Join(a.Enum, ", "))
		}
	}
	res, err := safeGet(s, e, c, p.Arguments)
	if err != nil {
		return nil, s.toWire(err, c.req)
	}
	out := &GetPromptResult{Description: res.Description, Meta: res.Meta, Messages: make([]*PromptMessage, 0, len(res.Messages))}
	if out.Description == "" {
		out.Description = e.prompt.Description
	}
	for _, m := range res.Messages {
		if m == nil || m.Content == nil {
			return nil, s.toWire(fmt.Errorf("prompt %q returned a message without content", p.Name), c.req)
		}
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return nil, s.toWire(fmt.Errorf("prompt %q returned a message with role %q; a role is %q or %q", p.Name, m.Role, RoleUser, RoleAssistant), c.req)
		}
		out.Messages = append(out.Messages, &PromptMessage{Role: m.Role, Content: contentFor(m.Content, c.req.version)})
	}
	return out, nil
}

func safeGet(s *Server, e *promptEntry, c *Context, args map[string]string) (res *GetPromptResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, s.recoveredIn(c, "prompt "+e.prompt.Name, v)
		}
	}()
	return e.get(c, args)
}

// listPrompts serves prompts/list.
func (s *Server) listPrompts(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Cursor string `json:"cursor"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	registered := s.reg.prompts.all()
	all := filterVisible(c, registered)
	page, next, err := paginate(all, func(e *promptEntry) string { return e.prompt.Name }, p.Cursor, s.opts.PageSize)
	if err != nil {
		return nil, err
	}
	listCache(s, c.req, registered, page, func(e *promptEntry) (*Cache, AccessCheck) { return e.prompt.Cache, e.prompt.CanAccess })
	v := c.req.version
	b := append(make([]byte, 0, 128*len(page)+32), `{"prompts":[`...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.wire[v]...)
	}
	b = append(b, ']')
	return json.RawMessage(appendListTail(b, next, v)), nil
}
