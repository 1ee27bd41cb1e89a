package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/yosida95/uritemplate/v3"
)

// devCmd is a command of the interactive client.
type devCmd struct {
	name    string
	aliases []string
	args    string
	summary string
	run     func(d *dev, ctx context.Context, args string) error
}

var devCmds []devCmd

func init() {
	devCmds = []devCmd{
		{"help", []string{"?"}, "", "show this help", (*dev).cmdHelp},
		{"tools", []string{"ls"}, "", "list the tools", (*dev).cmdTools},
		{"call", []string{"c"}, "<tool> [JSON | key=value ...]", "call a tool (without arguments, asks for each)", (*dev).cmdCall},
		{"describe", []string{"d"}, "<tool | prompt>", "show the arguments of a tool or prompt", (*dev).cmdDescribe},
		{"resources", []string{"res"}, "", "list the resources and templates", (*dev).cmdResources},
		{"read", []string{"r"}, "<uri | template>", "read a resource (a template asks for its variables)", (*dev).cmdRead},
		{"prompts", nil, "", "list the prompts", (*dev).cmdPrompts},
		{"prompt", []string{"p"}, "<name> [JSON | key=value ...]", "get a prompt (without arguments, asks for each)", (*dev).cmdPrompt},
		{"complete", nil, "<prompt|template> <arg> [prefix]", "complete an argument of a prompt or template", (*dev).cmdComplete},
		{"loglevel", nil, "<level>", "show log messages from a level up (debug, info, warning, ...)", (*dev).cmdLogLevel},
		{"roots", nil, "", "show the roots reported to the server", (*dev).cmdRoots},
		{"info", nil, "", "show the server's version, capabilities and instructions", (*dev).cmdInfo},
		{"ping", nil, "", "ping the server", (*dev).cmdPing},
		{"reconnect", []string{"restart"}, "", "rebuild (a Go package) and reconnect", (*dev).cmdReconnect},
		{"quit", []string{"exit", "q"}, "", "leave (or Ctrl-D)", nil},
	}
}

func findDevCmd(name string) *devCmd {
	for i := range devCmds {
		c := &devCmds[i]
		if c.name == name || slices.Contains(c.aliases, name) {
			return c
		}
	}
	return nil
}

// exec runs one line; it returns true to quit.
func (d *dev) exec(ctx context.Context, line string) bool {
	if line == "" {
		return false
	}
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	cmd := findDevCmd(word)
	if cmd == nil && d.hasTool(word) {
		cmd, rest = findDevCmd("call"), line
	}
	if cmd == nil {
		msg := fmt.Sprintf("unknown command %q", word)
		if s := suggest(word, d.words()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		d.con.println(d.p.yellow(msg) + d.p.dim(" (type help)"))
		return false
	}
	if cmd.run == nil {
		return true
	}
	d.busy.Lock()
	err := cmd.run(d, ctx, rest)
	d.busy.Unlock()
	if err != nil {
		d.report(err)
	}
	return false
}

// report prints the error of a command.
func (d *dev) report(err error) {
	var ce *connectError
	msg := err.Error()
	d.con.println(d.p.red("error: ") + msg)
	if errors.As(err, &ce) {
		d.con.println(d.p.dim("The connection failed; type reconnect to start over."))
	}
}

func (d *dev) hasTool(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.ContainsFunc(d.tools, func(t *mcp.Tool) bool { return t.Name == name })
}

// words are the command names and tool names, for suggestions and
// completion.
func (d *dev) words() []string {
	var ws []string
	for _, c := range devCmds {
		ws = append(ws, c.name)
	}
	d.mu.Lock()
	for _, t := range d.tools {
		ws = append(ws, t.Name)
	}
	d.mu.Unlock()
	return ws
}

// completeLine completes the command line: the command, then the name or
// URI it takes.
func (d *dev) completeLine(line string) (string, []string) {
	word, rest, found := strings.Cut(line, " ")
	if !found {
		return completeFrom(line, d.words())
	}
	if strings.Contains(strings.TrimSpace(rest), " ") {
		return line, nil
	}
	var names []string
	d.mu.Lock()
	cmd := findDevCmd(word)
	name := ""
	if cmd != nil {
		name = cmd.name
	}
	switch name {
	case "call":
		for _, t := range d.tools {
			names = append(names, t.Name)
		}
	case "describe":
		for _, t := range d.tools {
			names = append(names, t.Name)
		}
		for _, p := range d.prompts {
			names = append(names, p.Name)
		}
	case "prompt":
		for _, p := range d.prompts {
			names = append(names, p.Name)
		}
	case "read":
		for _, r := range d.resources {
			names = append(names, r.URI)
		}
		for _, t := range d.templates {
			names = append(names, t.URITemplate)
		}
	case "complete":
		for _, p := range d.prompts {
			names = append(names, p.Name)
		}
		for _, t := range d.templates {
			names = append(names, t.URITemplate)
		}
	case "loglevel":
		names = []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}
	}
	d.mu.Unlock()
	done, cands := completeFrom(strings.TrimLeft(rest, " "), names)
	return word + " " + done, cands
}

func (d *dev) cmdHelp(ctx context.Context, _ string) error {
	var b strings.Builder
	b.WriteString("Commands:\n")
	for _, c := range devCmds {
		left := c.name
		if c.args != "" {
			left += " " + c.args
		}
		fmt.Fprintf(&b, "  %-41s %s", left, c.summary)
		if len(c.aliases) > 0 {
			b.WriteString(d.p.dim(" (also " + strings.Join(c.aliases, ", ") + ")"))
		}
		b.WriteString("\n")
	}
	b.WriteString(`A tool's name alone calls it. Arguments: a JSON object, or key=value pairs
(values parsed as JSON when they parse: n=3, ok=true; "quote values with spaces").
When asked for an argument: Enter skips an optional one or takes the default,
"" is the empty string, Tab completes, Ctrl-C cancels.`)
	d.con.println(b.String())
	return nil
}

func (d *dev) cmdTools(ctx context.Context, _ string) error {
	var tools []*mcp.Tool
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		tools, err = collect(s.Tools(ctx, nil))
		return s.classify("tools/list", err)
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.tools = tools
	d.mu.Unlock()
	var b strings.Builder
	(&listing{Tools: tools}).writeText(&b, d.p)
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

func (d *dev) findTool(name string) *mcp.Tool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func (d *dev) findPrompt(name string) *mcp.Prompt {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.prompts {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// lineArgs parses the arguments typed after a name: a JSON object, or
// key=value pairs split like a shell would.
func lineArgs(rest string, input schema) (map[string]any, error) {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return nil, nil
	}
	if strings.HasPrefix(rest, "{") {
		return parseArgs(rest, nil, nil, input)
	}
	pairs, err := shellSplit(rest)
	if err != nil {
		return nil, err
	}
	return parseArgs("", nil, pairs, input)
}

func (d *dev) cmdCall(ctx context.Context, rest string) error {
	name, argText, _ := strings.Cut(rest, " ")
	if name == "" {
		return errors.New("call which tool? (type tools to list them)")
	}
	tool := d.findTool(name)
	var input schema
	if tool != nil {
		input = asSchema(tool.InputSchema)
	}
	args, err := lineArgs(argText, input)
	if err != nil {
		return err
	}
	if args == nil {
		args = map[string]any{}
		if input != nil && len(input.fields(input)) > 0 {
			d.con.println(d.p.dim("Arguments of " + name + " (Ctrl-C cancels):"))
			args, err = d.fillForm(input, input, "", nil)
			if errors.Is(err, errInterrupt) {
				return errors.New("cancelled")
			}
			if err != nil {
				return err
			}
		}
	}
	token := fmt.Sprintf("dev-%d", d.progressID.Add(1))
	d.mu.Lock()
	d.token = token
	d.mu.Unlock()
	var res *mcp.CallToolResult
	err = d.request(ctx, func(ctx context.Context, s *session) error {
		params := &mcp.CallToolParams{Name: name, Arguments: args, Meta: s.requestMeta(d.level())}
		params.SetProgressToken(token)
		var err error
		res, err = s.CallTool(ctx, params)
		return s.classify("tools/call", err)
	})
	d.mu.Lock()
	d.token = ""
	d.mu.Unlock()
	d.con.clearBar()
	if err != nil {
		var pe *protocolError
		if errors.As(err, &pe) && tool == nil {
			pe.hint = "type tools to list the tools"
		}
		return err
	}
	var b strings.Builder
	if res.IsError {
		b.WriteString(d.p.red("The tool reported an error:") + "\n")
	}
	writeResult(&b, d.p, res)
	if res.StructuredContent != nil && len(res.Content) > 0 {
		raw, _ := json.Marshal(res.StructuredContent)
		b.WriteString(d.p.dim("structuredContent: "+string(raw)) + "\n")
	}
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

func (d *dev) cmdDescribe(ctx context.Context, rest string) error {
	name := strings.TrimSpace(rest)
	if t := d.findTool(name); t != nil {
		var b strings.Builder
		writeToolLine(&b, d.p, t)
		in := asSchema(t.InputSchema)
		d.describeFields(&b, in, in, "")
		if t.OutputSchema != nil {
			raw, _ := json.Marshal(t.OutputSchema)
			b.WriteString(d.p.dim("    output schema: "+string(raw)) + "\n")
		}
		if a := t.Annotations; a != nil {
			raw, _ := json.Marshal(a)
			b.WriteString(d.p.dim("    annotations: "+string(raw)) + "\n")
		}
		d.con.println(strings.TrimRight(b.String(), "\n"))
		return nil
	}
	if p := d.findPrompt(name); p != nil {
		d.con.println("  " + d.p.bold(p.Name) + "(" + promptSignature(p) + ")  " + p.Description)
		for _, a := range p.Arguments {
			line := "    " + d.p.bold(a.Name)
			if a.Required {
				line += d.p.dim(" required")
			}
			if a.Description != "" {
				line += "  " + a.Description
			}
			d.con.println(line)
		}
		return nil
	}
	return fmt.Errorf("no tool or prompt %q (type tools or prompts)", name)
}

// describeFields lists the properties of an object schema, nested objects
// as dotted names.
func (d *dev) describeFields(b *strings.Builder, s, root schema, prefix string) {
	for _, f := range s.fields(root) {
		line := "    " + d.p.bold(prefix+f.name) + " " + d.p.dim(f.s.typeLabel(root))
		if f.required {
			line += d.p.dim(", required")
		}
		if v, ok := f.s.def(); ok {
			line += d.p.dim(", default " + valueLabel(v))
		}
		if desc := f.s.str("description"); desc != "" {
			line += "  " + desc
		}
		b.WriteString(line + "\n")
		if f.s.mainType() == "object" && len(asSchema(f.s["properties"])) > 0 {
			d.describeFields(b, f.s, root, prefix+f.name+".")
		}
	}
}

func (d *dev) cmdResources(ctx context.Context, _ string) error {
	var l listing
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		if l.Resources, err = collect(s.Resources(ctx, nil)); err != nil {
			return s.classify("resources/list", err)
		}
		l.ResourceTemplates, err = collect(s.ResourceTemplates(ctx, nil))
		return s.classify("resources/templates/list", err)
	})
	if err != nil {
		return err
	}
	if l.Resources == nil {
		l.Resources = []*mcp.Resource{}
	}
	d.mu.Lock()
	d.resources, d.templates = l.Resources, l.ResourceTemplates
	d.mu.Unlock()
	var b strings.Builder
	l.writeText(&b, d.p)
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

func (d *dev) cmdRead(ctx context.Context, rest string) error {
	uri := strings.TrimSpace(rest)
	if uri == "" {
		return errors.New("read which resource? (type resources to list them)")
	}
	d.mu.Lock()
	for _, t := range d.templates {
		if t.Name == uri {
			uri = t.URITemplate
		}
	}
	d.mu.Unlock()
	if strings.Contains(uri, "{") {
		expanded, err := d.expandTemplate(ctx, uri)
		if err != nil {
			return err
		}
		uri = expanded
		d.con.println(d.p.dim("reading " + uri))
	}
	var res *mcp.ReadResourceResult
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		res, err = s.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri, Meta: s.requestMeta(d.level())})
		return s.classify("resources/read", err)
	})
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range res.Contents {
		writeResourceContents(&b, d.p, c)
	}
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

// expandTemplate asks for the variables of a URI template, completing them
// through the server, and expands it.
func (d *dev) expandTemplate(ctx context.Context, tmpl string) (string, error) {
	t, err := uritemplate.New(tmpl)
	if err != nil {
		return "", fmt.Errorf("%q is not a URI template: %v", tmpl, err)
	}
	vals := uritemplate.Values{}
	resolved := map[string]string{}
	for _, name := range t.Varnames() {
		comp := func(line string) (string, []string) {
			return completeFrom(line, d.completions(ctx, &mcp.CompleteReference{Type: "ref/resource", URI: tmpl}, name, line, resolved))
		}
		line, err := d.con.readLine("  "+name+": ", comp)
		if err != nil {
			return "", errors.New("cancelled")
		}
		resolved[name] = line
		vals.Set(name, uritemplate.String(line))
	}
	return t.Expand(vals)
}

// completions asks the server to complete an argument; failures complete
// nothing.
func (d *dev) completions(ctx context.Context, ref *mcp.CompleteReference, arg, value string, resolved map[string]string) []string {
	s := d.session()
	if s == nil {
		return nil
	}
	params := &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: value}}
	if len(resolved) > 0 {
		params.Context = &mcp.CompleteContext{Arguments: resolved}
	}
	res, err := s.Complete(ctx, params)
	if err != nil || res == nil {
		return nil
	}
	return res.Completion.Values
}

func (d *dev) cmdPrompts(ctx context.Context, _ string) error {
	var prompts []*mcp.Prompt
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		prompts, err = collect(s.Prompts(ctx, nil))
		return s.classify("prompts/list", err)
	})
	if err != nil {
		return err
	}
	if prompts == nil {
		prompts = []*mcp.Prompt{}
	}
	d.mu.Lock()
	d.prompts = prompts
	d.mu.Unlock()
	var b strings.Builder
	(&listing{Prompts: prompts}).writeText(&b, d.p)
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

// promptSchema describes a prompt's arguments as an object schema of
// strings, so that they are asked like a tool's.
func promptSchema(p *mcp.Prompt) schema {
	props := map[string]any{}
	var req []any
	for _, a := range p.Arguments {
		props[a.Name] = map[string]any{"type": "string", "description": firstNonEmpty(a.Description, a.Title)}
		if a.Required {
			req = append(req, a.Name)
		}
	}
	return schema{"type": "object", "properties": props, "required": req}
}

func (d *dev) cmdPrompt(ctx context.Context, rest string) error {
	name, argText, _ := strings.Cut(rest, " ")
	if name == "" {
		return errors.New("get which prompt? (type prompts to list them)")
	}
	p := d.findPrompt(name)
	args, err := lineArgs(argText, nil)
	if err != nil {
		return err
	}
	if args == nil && p != nil && len(p.Arguments) > 0 {
		s := promptSchema(p)
		// Arguments are asked in the order the prompt declares them.
		order := schema{"type": "object", "properties": s["properties"]}
		var req []any
		for _, a := range p.Arguments {
			req = append(req, a.Name)
		}
		order["required"] = req
		required := map[string]bool{}
		for _, a := range p.Arguments {
			required[a.Name] = a.Required
		}
		d.con.println(d.p.dim("Arguments of " + name + " (Tab completes, Ctrl-C cancels):"))
		args = map[string]any{}
		resolved := map[string]string{}
		for _, f := range order.fields(order) {
			f.required = required[f.name]
			v, set, err := d.askField(f, order, "", func(arg, typed string) []string {
				return d.completions(ctx, &mcp.CompleteReference{Type: "ref/prompt", Name: name}, arg, typed, resolved)
			})
			if err != nil {
				return errors.New("cancelled")
			}
			if set {
				args[f.name] = v
				resolved[f.name] = valueLabel(v)
			}
		}
	}
	var res *mcp.GetPromptResult
	err = d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		res, err = s.GetPrompt(ctx, &mcp.GetPromptParams{Name: name, Arguments: stringArgs(args), Meta: s.requestMeta(d.level())})
		return s.classify("prompts/get", err)
	})
	if err != nil {
		return err
	}
	var b strings.Builder
	if res.Description != "" {
		b.WriteString(d.p.dim(res.Description) + "\n")
	}
	for _, m := range res.Messages {
		b.WriteString(d.p.bold("["+string(m.Role)+"]") + "\n")
		writeContent(&b, d.p, []mcp.Content{m.Content})
	}
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

func (d *dev) cmdComplete(ctx context.Context, rest string) error {
	words, err := shellSplit(rest)
	if err != nil || len(words) < 2 {
		return errors.New("usage: complete <prompt | template> <argument> [prefix]")
	}
	target, arg, prefix := words[0], words[1], ""
	if len(words) > 2 {
		prefix = words[2]
	}
	ref := &mcp.CompleteReference{Type: "ref/prompt", Name: target}
	if d.findPrompt(target) == nil {
		d.mu.Lock()
		for _, t := range d.templates {
			if t.Name == target {
				target = t.URITemplate
			}
		}
		d.mu.Unlock()
		if strings.Contains(target, "{") || strings.Contains(target, "://") {
			ref = &mcp.CompleteReference{Type: "ref/resource", URI: target}
		}
	}
	var res *mcp.CompleteResult
	err = d.request(ctx, func(ctx context.Context, s *session) error {
		var err error
		res, err = s.Complete(ctx, &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: prefix}})
		return s.classify("completion/complete", err)
	})
	if err != nil {
		return err
	}
	vals := res.Completion.Values
	if len(vals) == 0 {
		d.con.println(d.p.dim("(no completions)"))
		return nil
	}
	line := strings.Join(vals, "  ")
	if res.Completion.HasMore {
		line += d.p.dim(fmt.Sprintf("  … (%d in all)", res.Completion.Total))
	}
	d.con.println(line)
	return nil
}

func (d *dev) cmdLogLevel(ctx context.Context, rest string) error {
	level := strings.TrimSpace(rest)
	levels := []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}
	if !slices.Contains(levels, level) {
		return fmt.Errorf("log level %q: want one of %s", level, strings.Join(levels, ", "))
	}
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		if s.modern() {
			return nil // each request asks for its log messages
		}
		return s.classify("logging/setLevel", s.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: mcp.LoggingLevel(level)}))
	})
	if err == nil {
		d.mu.Lock()
		d.logLevel = level
		d.mu.Unlock()
		d.con.println(d.p.dim("log level set to " + level))
	}
	return err
}

// level is the log level requests ask for.
func (d *dev) level() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.logLevel == "" {
		return "info"
	}
	return d.logLevel
}

func (d *dev) cmdRoots(ctx context.Context, _ string) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	d.con.println("  " + fileURI(cwd) + d.p.dim("  (the working directory)"))
	return nil
}

func (d *dev) cmdInfo(ctx context.Context, _ string) error {
	s := d.session()
	if s == nil {
		return errors.New("not connected (type reconnect)")
	}
	init := s.InitializeResult()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", d.p.bold(init.ServerInfo.Name), init.ServerInfo.Version)
	if init.ServerInfo.Title != "" {
		fmt.Fprintf(&b, " (%s)", init.ServerInfo.Title)
	}
	fmt.Fprintf(&b, "\n  server: %s\n  transport: %s\n  protocol: %s\n", d.t.display, s.transportName(&d.cf), init.ProtocolVersion)
	if id := s.ID(); id != "" {
		fmt.Fprintf(&b, "  session: %s\n", id)
	}
	if init.Capabilities != nil {
		raw, _ := json.Marshal(init.Capabilities)
		var caps map[string]json.RawMessage
		json.Unmarshal(raw, &caps)
		var names []string
		for k, v := range caps {
			names = append(names, k+string(v))
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "  capabilities: %s\n", strings.Join(names, " "))
	}
	if init.Instructions != "" {
		fmt.Fprintf(&b, "  instructions: %s\n", init.Instructions)
	}
	d.con.println(strings.TrimRight(b.String(), "\n"))
	return nil
}

func (d *dev) cmdPing(ctx context.Context, _ string) error {
	err := d.request(ctx, func(ctx context.Context, s *session) error {
		return s.classify("ping", s.Ping(ctx, nil))
	})
	if err == nil {
		d.con.println("pong")
	}
	return err
}

func (d *dev) cmdReconnect(ctx context.Context, _ string) error {
	return d.connect(ctx, "Reconnecting to")
}

// declined is the JSON-RPC error of a declined sampling request (the code
// the specification's examples use for a user's refusal).
func declined() error {
	return &jsonrpc.Error{Code: -1, Message: "the user declined the sampling request"}
}
