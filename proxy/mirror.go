package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/fastmcp-go/fastmcp"
	scan "github.com/fastmcp-go/fastmcp/internal/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/yosida95/uritemplate/v3"
)

// kind is a kind of component lists.
type kind uint8

const (
	kindTools kind = 1 << iota
	kindResources
	kindPrompts
	kindAll = kindTools | kindResources | kindPrompts
)

// mirror keeps the server's copy of the upstream's components: each is
// registered with a handler forwarding to the upstream, and re-registered or
// removed when a new listing differs.
type mirror struct {
	p *Proxy

	mu         sync.Mutex        // serialises syncs
	tools      map[string]string // name → the upstream's definition (JSON)
	resources  map[string]string // URI → definition
	templates  map[string]string // URI template → definition
	prompts    map[string]string // name → definition
	subscribed map[string]*mcp.ClientSession

	pmu     sync.Mutex
	pending kind
	wake    chan struct{}
}

func newMirror(p *Proxy) *mirror {
	m := &mirror{
		p:          p,
		tools:      map[string]string{},
		resources:  map[string]string{},
		templates:  map[string]string{},
		prompts:    map[string]string{},
		subscribed: map[string]*mcp.ClientSession{},
		wake:       make(chan struct{}, 1),
	}
	p.wg.Add(1)
	go m.worker()
	return m
}

// trigger schedules a new listing of the kinds, after an upstream
// list_changed notification. Notifications arriving while a listing runs
// are merged into the next one.
func (m *mirror) trigger(k kind) {
	m.pmu.Lock()
	m.pending |= k
	m.pmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *mirror) worker() {
	defer m.p.wg.Done()
	for {
		select {
		case <-m.p.ctx.Done():
			return
		case <-m.wake:
		}
		m.pmu.Lock()
		k := m.pending
		m.pending = 0
		m.pmu.Unlock()
		m.p.mu.Lock()
		s := m.p.control
		m.p.mu.Unlock()
		if s == nil || k == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(m.p.ctx, m.p.opts.ConnectTimeout)
		if err := m.sync(ctx, s, k); err != nil && m.p.ctx.Err() == nil {
			m.p.log.Error("proxy: listing the upstream's components after list_changed", "err", err)
		}
		cancel()
		// Tell the clients even when the lists came out the same: they asked
		// the upstream to tell them of changes, and it did.
		if k&kindTools != 0 {
			m.p.server.ToolsListChanged()
		}
		if k&kindResources != 0 {
			m.p.server.ResourcesListChanged()
		}
		if k&kindPrompts != 0 {
			m.p.server.PromptsListChanged()
		}
	}
}

func (m *mirror) syncAll(ctx context.Context, s *upSession) error {
	return m.sync(ctx, s, kindAll)
}

// sync lists the kinds k on the control session s and brings the server in
// line.
func (m *mirror) sync(ctx context.Context, s *upSession, k kind) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	caps := s.cs.InitializeResult().Capabilities
	if caps == nil {
		caps = &mcp.ServerCapabilities{}
	}
	var errs []error
	if k&kindTools != 0 && caps.Tools != nil {
		errs = append(errs, m.syncTools(ctx, s))
	}
	if k&kindResources != 0 && caps.Resources != nil {
		errs = append(errs, m.syncResources(ctx, s, caps))
	}
	if k&kindPrompts != 0 && caps.Prompts != nil {
		errs = append(errs, m.syncPrompts(ctx, s, caps))
	}
	return errors.Join(errs...)
}

// collect gathers a listing, up to MaxItems.
func collect[T any](m *mirror, what string, seq iter.Seq2[*T, error]) ([]*T, error) {
	var out []*T
	for v, err := range seq {
		if err != nil {
			return nil, fmt.Errorf("listing the upstream's %s: %w", what, err)
		}
		if len(out) == m.p.opts.MaxItems {
			m.p.log.Error("proxy: the upstream lists more items than Options.MaxItems; the rest are left out", "what", what, "max", m.p.opts.MaxItems)
			break
		}
		out = append(out, v)
	}
	return out, nil
}

// apply registers the definitions that are new or changed and removes those
// gone, by key; register reports a definition the server refused.
func apply[T any](m *mirror, what string, have map[string]string, list []*T, keyOf func(*T) string, register func(*T) error, remove func(...string)) {
	seen := make(map[string]bool, len(list))
	for _, v := range list {
		key := keyOf(v)
		if seen[key] {
			continue
		}
		seen[key] = true
		def, err := json.Marshal(v)
		if err != nil {
			continue
		}
		if have[key] == string(def) {
			continue
		}
		if err := register(v); err != nil {
			m.p.log.Error("proxy: cannot mirror an upstream component; it is left out", "kind", what, "name", key, "err", err)
			if _, ok := have[key]; ok {
				remove(key)
				delete(have, key)
			}
			continue
		}
		have[key] = string(def)
	}
	var gone []string
	for key := range have {
		if !seen[key] {
			gone = append(gone, key)
			delete(have, key)
		}
	}
	if len(gone) > 0 {
		remove(gone...)
	}
}

// guard turns a registration panic (FastMCP panics on definitions it cannot
// serve, such as a schema it cannot compile) into an error.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%v", r)
	}
}

func (m *mirror) syncTools(ctx context.Context, s *upSession) error {
	list, err := collect(m, "tools", s.cs.Tools(ctx, nil))
	if err != nil {
		return err
	}
	apply(m, "tool", m.tools, list, func(t *mcp.Tool) string { return t.Name }, m.addTool, m.p.server.RemoveTools)
	return nil
}

func (m *mirror) addTool(t *mcp.Tool) (err error) {
	defer guard(&err)
	var w struct {
		fastmcp.Tool
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema"`
	}
	if err := remarshal(t, &w); err != nil {
		return err
	}
	def := w.Tool
	def.InputSchema, def.OutputSchema = nil, nil
	if len(w.InputSchema) > 0 && string(w.InputSchema) != "null" {
		def.InputSchema = w.InputSchema
	}
	if len(w.OutputSchema) > 0 && string(w.OutputSchema) != "null" {
		def.OutputSchema = w.OutputSchema
	}
	name := t.Name
	p := m.p
	headers := headerParams(w.InputSchema)
	fastmcp.AddTool(p.server, def, func(ctx *fastmcp.Context, args json.RawMessage) (*fastmcp.CallToolResult, error) {
		if len(args) == 0 {
			args = json.RawMessage("{}")
		}
		raw, err := p.forward(ctx, &request{method: "tools/call", name: name, args: args, headers: headers})
		if err != nil {
			return nil, err
		}
		res, err := toolResult(raw)
		if err != nil {
			return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's tool result: %v", err)
		}
		if res.Content == nil {
			res.Content = []fastmcp.Content{}
		}
		return res, nil
	})
	return nil
}

// toolResultWire is a tools/call result with its content blocks read in
// the same pass, as far as text blocks go.
type toolResultWire struct {
	Content           []textBlock  `json:"content"`
	StructuredContent any          `json:"structuredContent"`
	IsError           bool         `json:"isError"`
	Meta              fastmcp.Meta `json:"_meta"`
	ResultType        string       `json:"resultType"`
}

// textBlock is a content block read as a text block: what
// fastmcp.TextContent holds.
type textBlock struct {
	Type        string               `json:"type"`
	Text        string               `json:"text"`
	Annotations *fastmcp.Annotations `json:"annotations"`
	Meta        fastmcp.Meta         `json:"_meta"`
}

// toolResult decodes the upstream's tools/call result. Most results hold
// only text blocks, which are decoded in one pass here; any other block
// makes fastmcp.CallToolResult decode the result, as it decodes every
// block (a second pass, over each block again).
func toolResult(raw json.RawMessage) (*fastmcp.CallToolResult, error) {
	if res, ok := plainTextResult(raw); ok {
		return res, nil
	}
	var w toolResultWire
	if err := json.Unmarshal(raw, &w); err == nil {
		res := &fastmcp.CallToolResult{StructuredContent: w.StructuredContent, IsError: w.IsError, Meta: w.Meta, ResultType: w.ResultType}
		blocks := make([]fastmcp.TextContent, len(w.Content))
		res.Content = make([]fastmcp.Content, len(w.Content))
		for i, b := range w.Content {
			if b.Type != "text" {
				res = nil
				break
			}
			blocks[i] = fastmcp.TextContent{Text: b.Text, Annotations: b.Annotations, Meta: b.Meta}
			res.Content[i] = &blocks[i]
		}
		if res != nil {
			return res, nil
		}
	}
	res := new(fastmcp.CallToolResult)
	if err := json.Unmarshal(raw, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (m *mirror) syncResources(ctx context.Context, s *upSession, caps *mcp.ServerCapabilities) error {
	list, err := collect(m, "resources", s.cs.Resources(ctx, nil))
	if err != nil {
		return err
	}
	apply(m, "resource", m.resources, list, func(r *mcp.Resource) string { return r.URI }, m.addResource, m.p.server.RemoveResources)
	templates, err := collect(m, "resource templates", s.cs.ResourceTemplates(ctx, nil))
	if err != nil {
		return err
	}
	completes := caps.Completions != nil
	apply(m, "resource template", m.templates, templates, func(t *mcp.ResourceTemplate) string { return t.URITemplate },
		func(t *mcp.ResourceTemplate) error { return m.addTemplate(t, completes) }, m.p.server.RemoveResourceTemplates)
	if caps.Resources.Subscribe {
		m.subscribe(ctx, s)
	}
	return nil
}

func (p *Proxy) read(ctx *fastmcp.Context, uri string) ([]*fastmcp.ResourceContents, error) {
	raw, err := p.forward(ctx, &request{method: "resources/read", uri: uri})
	if err != nil {
		return nil, err
	}
	var res struct {
		Contents []*fastmcp.ResourceContents `json:"contents"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's resource contents: %v", err)
	}
	return res.Contents, nil
}

func (m *mirror) addResource(r *mcp.Resource) (err error) {
	defer guard(&err)
	var def fastmcp.Resource
	if err := remarshal(r, &def); err != nil {
		return err
	}
	uri, p := r.URI, m.p
	def.Load = func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return p.read(ctx, uri)
	}
	m.p.server.AddResource(def)
	return nil
}

func (m *mirror) addTemplate(t *mcp.ResourceTemplate, completes bool) (err error) {
	defer guard(&err)
	var def fastmcp.ResourceTemplate
	if err := remarshal(t, &def); err != nil {
		return err
	}
	p := m.p
	if completes {
		tmpl, err := uritemplate.New(t.URITemplate)
		if err != nil {
			return err
		}
		def.Complete = map[string]fastmcp.Completer{}
		for _, v := range tmpl.Varnames() {
			def.Complete[v] = p.completer(&mcp.CompleteReference{Type: "ref/resource", URI: t.URITemplate}, v)
		}
	}
	fastmcp.AddResourceTemplate(p.server, def, func(ctx *fastmcp.Context, uri string, _ map[string]string) ([]*fastmcp.ResourceContents, error) {
		return p.read(ctx, uri)
	})
	return nil
}

func (m *mirror) syncPrompts(ctx context.Context, s *upSession, caps *mcp.ServerCapabilities) error {
	list, err := collect(m, "prompts", s.cs.Prompts(ctx, nil))
	if err != nil {
		return err
	}
	completes := caps.Completions != nil
	apply(m, "prompt", m.prompts, list, func(p *mcp.Prompt) string { return p.Name },
		func(p *mcp.Prompt) error { return m.addPrompt(p, completes) }, m.p.server.RemovePrompts)
	return nil
}

func (m *mirror) addPrompt(pr *mcp.Prompt, completes bool) (err error) {
	defer guard(&err)
	var def fastmcp.Prompt
	if err := remarshal(pr, &def); err != nil {
		return err
	}
	name, p := pr.Name, m.p
	if completes {
		for i := range def.Arguments {
			def.Arguments[i].Complete = p.completer(&mcp.CompleteReference{Type: "ref/prompt", Name: name}, def.Arguments[i].Name)
		}
	}
	fastmcp.AddPrompt(p.server, def, func(ctx *fastmcp.Context, args map[string]string) (*fastmcp.GetPromptResult, error) {
		raw, err := p.forward(ctx, &request{method: "prompts/get", name: name, pargs: args})
		if err != nil {
			return nil, err
		}
		res := new(fastmcp.GetPromptResult)
		if err := json.Unmarshal(raw, res); err != nil {
			return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's prompt: %v", err)
		}
		if res.Messages == nil {
			res.Messages = []*fastmcp.PromptMessage{}
		}
		return res, nil
	})
	return nil
}

// completer forwards completion of one argument of ref.
func (p *Proxy) completer(ref *mcp.CompleteReference, arg string) fastmcp.Completer {
	return func(ctx *fastmcp.Context, value string, args map[string]string) ([]string, error) {
		params := &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: value}}
		if len(args) > 0 {
			params.Context = &mcp.CompleteContext{Arguments: args}
		}
		raw, err := p.forward(ctx, &request{method: "completion/complete", complete: params})
		if err != nil {
			return nil, err
		}
		var res struct {
			Completion struct {
				Values []string `json:"values"`
			} `json:"completion"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, fastmcp.NewError(fastmcp.CodeInternalError, "proxy: the upstream's completion: %v", err)
		}
		return res.Completion.Values, nil
	}
}

// subscribe subscribes the control session to the mirrored resources, up to
// MaxSubscriptions, so that their updates reach the clients subscribed to
// them on the server.
func (m *mirror) subscribe(ctx context.Context, s *upSession) {
	max := m.p.opts.MaxSubscriptions
	for uri, cs := range m.subscribed {
		if _, ok := m.resources[uri]; ok && cs == s.cs {
			continue
		}
		if cs == s.cs {
			_ = cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri})
		}
		delete(m.subscribed, uri)
	}
	if max < 0 {
		return
	}
	for uri := range m.resources {
		if len(m.subscribed) >= max {
			m.p.log.Warn("proxy: more upstream resources than Options.MaxSubscriptions; the updates of the others are not relayed", "max", max)
			return
		}
		if _, ok := m.subscribed[uri]; ok {
			continue
		}
		if err := s.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
			m.p.log.Warn("proxy: subscribing to an upstream resource", "uri", uri, "err", err)
			continue
		}
		m.subscribed[uri] = s.cs
	}
}

// plainTextResult reads, with internal/jsonrpc's validating scanner, the
// result most tools return: text blocks (type and text, each once, strings)
// and perhaps isError, resultType and _meta (which encoding/json decodes),
// nothing else. ok is false for anything else, which encoding/json decodes
// (and refuses, when it is not JSON).
func plainTextResult(data []byte) (res *fastmcp.CallToolResult, ok bool) {
	var blocks []fastmcp.TextContent
	var resultType string
	var meta fastmcp.Meta
	isError, content, haveMeta := false, false, false
	err := scan.ObjectEachRaw(data, func(key []byte, _ bool, v []byte) error {
		// A key with escapes or in another case is none of these: the
		// default case leaves it to encoding/json.
		switch string(key) {
		case "content":
			if content {
				return errUnusual // a duplicate: encoding/json's rules apply
			}
			content = true
			return scan.ArrayEach(v, func(elem []byte) error {
				b, ok := textBlockOf(elem)
				if !ok {
					return errUnusual
				}
				blocks = append(blocks, b)
				return nil
			})
		case "isError":
			switch string(v) {
			case "true":
				isError = true
			case "false":
				isError = false
			default:
				return errUnusual
			}
		case "resultType":
			s, ok := scan.UnquoteString(v)
			if !ok {
				return errUnusual
			}
			resultType = s
		case "_meta":
			if haveMeta || json.Unmarshal(v, &meta) != nil {
				return errUnusual
			}
			haveMeta = true
		default:
			return errUnusual
		}
		return nil
	})
	if err != nil {
		return nil, false
	}
	res = &fastmcp.CallToolResult{Content: make([]fastmcp.Content, len(blocks)), IsError: isError, Meta: meta, ResultType: resultType}
	for i := range blocks {
		res.Content[i] = &blocks[i]
	}
	return res, true
}

// textBlockOf reads a text block whose members are strings, type and text
// only, each once.
func textBlockOf(data []byte) (b fastmcp.TextContent, ok bool) {
	var typ string
	haveType, haveText := false, false
	err := scan.ObjectEachRaw(data, func(key []byte, _ bool, v []byte) error {
		var dst *string
		switch {
		case string(key) == "type" && !haveType:
			dst, haveType = &typ, true
		case string(key) == "text" && !haveText:
			dst, haveText = &b.Text, true
		default:
			return errUnusual
		}
		s, ok := scan.UnquoteString(v)
		if !ok {
			return errUnusual
		}
		*dst = s
		return nil
	})
	return b, err == nil && typ == "text"
}
