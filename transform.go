package fastmcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
	"github.com/fastmcp-go/fastmcp/internal/schema"
)

// ToolTransform describes a tool derived from another by TransformTool: a new
// name and description, arguments renamed, described, defaulted, hidden or
// fixed, and a function around the original. Fields left at their zero value
// keep the source tool's.
type ToolTransform struct {
	// Name of the derived tool. Default: the source's, so the derived tool
	// replaces the source in the list.
	Name string
	// Title is the derived tool's title. Default: the source's.
	Title string
	// Description tells the model what the derived tool does. Default: the
	// source's.
	Description string
	// Args change the source's arguments, keyed by the source's argument
	// name (see ArgTransform). Default: arguments unchanged.
	Args map[string]ArgTransform
	// Wrap, when set, runs instead of the source tool. It receives the
	// arguments as the derived tool's schema names them, validated against
	// it and with its defaults filled in, and call, which runs the source
	// tool with such arguments (renaming them and adding the fixed ones).
	// It may change the arguments, call the source any number of times, or
	// not at all. Its errors are handled like a tool handler's (see
	// ToolHandler). Default: the source is called directly.
	Wrap func(ctx *Context, args json.RawMessage, call ToolCall) (*CallToolResult, error)
	// Annotations of the derived tool. Default: the source's.
	Annotations *ToolAnnotations
	// Icons of the derived tool. Default: the source's.
	Icons []Icon
	// Meta of the derived tool. Default: the source's.
	Meta Meta
	// OutputSchema replaces the source's output schema, for a Wrap that
	// returns structured content of another shape; Wrap's results are
	// validated against the output schema. Default: the source's.
	OutputSchema any
	// Timeout bounds each call of the derived tool. Default: the source's
	// Tool.Timeout.
	Timeout time.Duration
	// CanAccess decides who sees and calls the derived tool. Default: the
	// source's check.
	CanAccess AccessCheck
	// Cache is the derived tool's caching hint. Default: the source's.
	Cache *Cache
	// Tags label the derived tool for Server.Disable and Enable. Default:
	// the source's; a non-nil empty slice gives none.
	Tags []string
}

// ArgTransform changes one argument of the source tool for the derived tool.
// The zero value keeps the argument as it is.
type ArgTransform struct {
	// Name is the argument's name in the derived tool. Default: unchanged.
	Name string
	// Description replaces the argument's description. Default: unchanged.
	Description string
	// Default, when set, is the value used when the client leaves the
	// argument out: the argument becomes optional, and its schema shows the
	// default. For a hidden argument it is the value the source always
	// receives (a fixed value). It must be valid for the argument's schema.
	// Default nil: no default (to fix JSON null, use json.RawMessage("null")).
	Default any
	// Hide removes the argument from the derived tool: its clients neither
	// see nor set it, and the source receives Default, or nothing. Hiding an
	// argument the source requires needs a Default.
	Hide bool
}

// ToolCall calls the source of a derived tool (see ToolTransform.Wrap) with
// arguments named as the derived tool names them.
type ToolCall func(ctx *Context, args json.RawMessage) (*CallToolResult, error)

// TransformTool registers a tool derived from the server's tool named source
// (its own, or a mounted one such as "weather_forecast"), replacing any tool
// with the derived tool's name. Connected clients are told the list changed.
//
// The derived tool keeps the source it was made from: removing, replacing or
// disabling the source afterwards does not change it, so a source can be
// hidden from clients (Server.Disable) while its derived tool is shown. The
// derived tool's input schema is the source's with the arguments renamed,
// described, defaulted or left out as Args say; arguments are validated
// against it, and the source validates what it receives against its own.
//
// It panics on a programmer error: an unknown source tool or argument, two
// arguments given one name, a hidden required argument without a Default, a
// Default the argument's schema refuses, an invalid output schema.
func TransformTool(s *Server, source string, t ToolTransform) {
	src := s.reg.tools.get(source)
	if src == nil {
		panic(fmt.Sprintf("fastmcp: TransformTool: no tool %q", source))
	}
	name := cmpOr(t.Name, source)
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("fastmcp: TransformTool %q from %q: ", name, source) + fmt.Sprintf(format, args...))
	}
	m, err := newArgMapping(src.tool.InputSchema.(json.RawMessage), t.Args)
	if err != nil {
		fail("%v", err)
	}
	codec, err := schema.NewArgs[json.RawMessage](m.schema)
	if err != nil {
		fail("input schema: %v", err)
	}
	headers, err := headerParams(codec.Wire)
	if err != nil {
		fail("input schema: %v", err)
	}
	e := &toolEntry{tool: src.tool, timeout: src.timeout, headers: headers}
	d := &e.tool
	d.Name, d.InputSchema = name, codec.Wire
	d.Title = cmpOr(t.Title, d.Title)
	d.Description = cmpOr(t.Description, d.Description)
	if t.Annotations != nil {
		d.Annotations = t.Annotations
	}
	if t.Icons != nil {
		d.Icons = t.Icons
	}
	if t.Meta != nil {
		d.Meta = t.Meta
	}
	if t.Timeout > 0 {
		d.Timeout, e.timeout = t.Timeout, t.Timeout
	}
	if t.CanAccess != nil {
		d.CanAccess = t.CanAccess
	}
	if t.Cache != nil {
		d.Cache = t.Cache
	}
	if t.Tags != nil {
		d.Tags = slices.Clone(t.Tags)
	}
	var output *jsonschema.Resolved
	if t.OutputSchema != nil {
		wire, sch, err := schema.FromAny(t.OutputSchema)
		if err == nil && sch.Type != "object" {
			err = errors.New(`output schema must have "type": "object"`)
		}
		if err == nil {
			output, err = sch.Resolve(nil)
		}
		if err != nil {
			fail("output schema: %v", err)
		}
		d.OutputSchema = wire
	} else if raw, ok := d.OutputSchema.(json.RawMessage); ok && t.Wrap != nil {
		if output, err = resolveSchema(raw); err != nil {
			fail("output schema: %v", err)
		}
	}
	if err := e.encode(); err != nil {
		fail("%v", err)
	}

	srcCall := src.call
	forward := func(c *Context, args json.RawMessage) (*CallToolResult, error) {
		mapped, err := m.apply(args)
		if err != nil {
			return errorResult(fmt.Sprintf("Invalid arguments for tool %q: %v", name, err)), nil
		}
		return srcCall(c, mapped)
	}
	wrap := t.Wrap
	e.call = func(c *Context, raw json.RawMessage) (*CallToolResult, error) {
		args, err := codec.Decode(raw)
		if err != nil {
			return errorResult(fmt.Sprintf("Invalid arguments for tool %q: %v", name, err)), nil
		}
		if wrap == nil {
			return forward(c, args)
		}
		res, err := wrap(c, args, forward)
		if err != nil {
			return nil, err
		}
		if res == nil {
			res = &CallToolResult{Content: []Content{}}
		}
		if output != nil && !res.IsError {
			if err := validateStructured(output, res.StructuredContent); err != nil {
				c.srv.logger.ErrorContext(c, "fastmcp: bad tool output", "tool", name, "error", err)
				return errorResult(fmt.Sprintf("tool %q: structured content does not match the output schema: %v", name, err)), nil
			}
		}
		return res, nil
	}
	s.reg.tools.add(e)
	s.listChanged(listTools)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// resolveSchema compiles a JSON Schema.
func resolveSchema(raw json.RawMessage) (*jsonschema.Resolved, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// validateStructured checks a result's structured content against a schema.
func validateStructured(rs *jsonschema.Resolved, v any) error {
	if v == nil {
		return errors.New("the result has no structured content")
	}
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
	return schema.Validate(rs, inst)
}

// argMapping turns a derived tool's arguments into its source's.
type argMapping struct {
	// schema is the derived tool's input schema.
	schema json.RawMessage
	// rename maps a derived argument name to the source's, for renamed
	// arguments; reserved holds the source names clients may not use
	// (renamed or hidden); fixed the encoded values of hidden arguments.
	rename   map[string]string
	reserved map[string]bool
	fixed    []fixedArg
}

type fixedArg struct {
	name  string
	value json.RawMessage
}

// newArgMapping applies the argument transforms to the source's input
// schema.
func newArgMapping(source json.RawMessage, args map[string]ArgTransform) (*argMapping, error) {
	m := &argMapping{schema: source, rename: map[string]string{}, reserved: map[string]bool{}}
	if len(args) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(source))
	dec.UseNumber() // numbers keep their text
	var schema map[string]any
	if err := dec.Decode(&schema); err != nil {
		return nil, fmt.Errorf("source input schema: %v", err)
	}
	props, _ := schema["properties"].(map[string]any)
	props = maps.Clone(props)
	var required []string
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required = append(required, s)
			}
		}
	}
	fixedProps := map[string]any{}
	// The transformed arguments leave props first, then come back under
	// their new names, so names can be swapped. Sorted, so the schema and
	// the panics do not depend on map order.
	moved := map[string]any{}
	for _, srcName := range slices.Sorted(maps.Keys(args)) {
		t := args[srcName]
		prop, ok := props[srcName]
		if !ok {
			return nil, fmt.Errorf("the source tool has no argument %q", srcName)
		}
		delete(props, srcName)
		isRequired := slices.Contains(required, srcName)
		var def json.RawMessage
		if t.Default != nil {
			var err error
			if def, err = json.Marshal(t.Default); err != nil {
				return nil, fmt.Errorf("argument %q: default: %v", srcName, err)
			}
		}
		if t.Hide {
			if t.Name != "" || t.Description != "" {
				return nil, fmt.Errorf("argument %q: a hidden argument has no name or description", srcName)
			}
			if def == nil && isRequired {
				return nil, fmt.Errorf("argument %q is required by the source: hiding it needs a Default", srcName)
			}
			required = slices.DeleteFunc(required, func(r string) bool { return r == srcName })
			m.reserved[srcName] = true
			if def != nil {
				m.fixed = append(m.fixed, fixedArg{srcName, def})
				fixedProps[srcName] = prop
			}
			continue
		}
		p, _ := prop.(map[string]any)
		p = maps.Clone(p)
		if p == nil {
			// A boolean schema (true): an object can carry keywords.
			p = map[string]any{}
		}
		if t.Description != "" {
			p["description"] = t.Description
		}
		if def != nil {
			p["default"] = def
			required = slices.DeleteFunc(required, func(r string) bool { return r == srcName })
		}
		newName := cmpOr(t.Name, srcName)
		if _, dup := moved[newName]; dup {
			return nil, fmt.Errorf("two arguments are named %q", newName)
		}
		moved[newName] = p
		if newName != srcName {
			m.reserved[srcName] = true
			m.rename[newName] = srcName
			if i := slices.Index(required, srcName); i >= 0 {
				required[i] = newName
			}
		}
	}
	for newName, p := range moved {
		if _, clash := props[newName]; clash {
			return nil, fmt.Errorf("argument %q: the source already has an argument %q", m.rename[newName], newName)
		}
		props[newName] = p
	}
	schema["properties"] = props
	if len(required) > 0 {
		schema["required"] = required
	} else {
		delete(schema, "required")
	}
	raw, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	m.schema = raw
	if len(m.fixed) > 0 {
		if err := checkFixed(schema, fixedProps, m.fixed); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkFixed validates the fixed values of hidden arguments against their
// schemas in the source's (with its definitions, for references).
func checkFixed(source map[string]any, props map[string]any, fixed []fixedArg) error {
	probe := map[string]any{"type": "object", "properties": props}
	for _, k := range []string{"$defs", "definitions"} {
		if v, ok := source[k]; ok {
			probe[k] = v
		}
	}
	raw, err := json.Marshal(probe)
	if err != nil {
		return err
	}
	resolved, err := resolveSchema(raw)
	if err != nil {
		return fmt.Errorf("hidden arguments: %v", err)
	}
	obj := map[string]any{}
	for _, f := range fixed {
		var v any
		if err := json.Unmarshal(f.value, &v); err != nil {
			return err
		}
		obj[f.name] = v
	}
	if err := schema.Validate(resolved, obj); err != nil {
		return fmt.Errorf("fixed value of a hidden argument: %v", err)
	}
	return nil
}

// apply renames the arguments of a call of the derived tool and adds the fixed
// ones. A client cannot set a hidden argument, or a renamed one by its
// source name.
func (m *argMapping) apply(args json.RawMessage) (json.RawMessage, error) {
	if len(m.rename) == 0 && len(m.reserved) == 0 {
		return args, nil
	}
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	out := append(make([]byte, 0, len(args)+32), '{')
	seen := make(map[string]bool, 8)
	err := jsonrpc.ObjectEach(args, func(key string, value []byte) error {
		if seen[key] {
			return fmt.Errorf("argument %q is given twice", key)
		}
		seen[key] = true
		name := key
		if src, ok := m.rename[key]; ok {
			name = src
		} else if m.reserved[key] {
			return fmt.Errorf("unknown argument %q", key)
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = jsonrpc.AppendString(out, name)
		out = append(out, ':')
		out = append(out, value...)
		return nil
	})
	if err != nil {
		if errors.Is(err, jsonrpc.ErrNotObject) || jsonrpc.IsSyntaxError(err) {
			return nil, errors.New("arguments must be a JSON object")
		}
		return nil, err
	}
	for _, f := range m.fixed {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = jsonrpc.AppendString(out, f.name)
		out = append(out, ':')
		out = append(out, f.value...)
	}
	return append(out, '}'), nil
}
