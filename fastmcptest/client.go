// Package fastmcptest connects an MCP client to a FastMCP server in-process,
// for tests. The client speaks the real protocol over in-memory pipes: every
// message is encoded and decoded as on stdio.
//
//	func TestAdd(t *testing.T) {
//		c := fastmcptest.Connect(t, newServer(), nil)
//		res, err := c.CallTool(t.Context(), "add", map[string]any{"a": 1, "b": 2})
//		...
//	}
//
// Text and Structured read a tool result as a string or as the handler's Out
// type, and Logger sends a server's log to the test's log.
package fastmcptest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// ProtocolVersion requested in initialize.
	// Default fastmcp.LatestHandshakeProtocolVersion.
	ProtocolVersion string
	// ClientInfo sent in initialize. Default {Name: "fastmcptest", Version: "1.0.0"}.
	ClientInfo fastmcp.Implementation
	// Capabilities declared in initialize. Default: none.
	Capabilities fastmcp.ClientCapabilities
	// OnRequest answers requests from the server other than ping (which the
	// client answers itself): sampling, elicitation, roots. Its result is
	// encoded as JSON; an error is returned as a JSON-RPC error (use
	// *fastmcp.Error to choose the code). Default: every such request fails
	// with "method not found".
	OnRequest func(ctx context.Context, method string, params json.RawMessage) (any, error)
	// OnNotification is called for each notification from the server, in the
	// order they arrive, before it is recorded.
	OnNotification func(n Notification)
	// OnSend and OnReceive, when set, see every raw message the client sends
	// and receives, for tracing or checking the wire format.
	OnSend func(msg []byte)
	// OnReceive is called with each line received, before it is handled.
	OnReceive func(msg []byte)
	// SkipInitialize leaves the client unconnected at the protocol level, for
	// tests of the handshake itself: send initialize with Call.
	SkipInitialize bool
}

// Notification is a notification received from the server.
type Notification struct {
	// Method is the notification's method, or "error" for a message the client
	// could not decode.
	Method string
	// Params are the notification's raw params; for "error", the message
	// itself.
	Params json.RawMessage
}

// Client is an MCP client connected to a server in-process.
type Client struct {
	opts   Options
	cancel context.CancelFunc
	served chan error

	w   *io.PipeWriter
	wmu sync.Mutex

	mu       sync.Mutex
	nextID   int64
	pending  map[string]chan *jsonrpc.Message
	notes    []Notification
	notesCh  chan struct{} // closed and replaced when a notification arrives
	closed   bool
	closeErr error
	init     *fastmcp.InitializeResult
}

// Connect connects a client to s and completes the handshake. The client is
// closed when the test ends. It fails the test if the handshake fails.
func Connect(t testing.TB, s *fastmcp.Server, opts *Options) *Client {
	t.Helper()
	c, err := Dial(context.Background(), s, opts)
	if err != nil {
		t.Fatalf("fastmcptest: connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Dial connects a client to s and, unless opts.SkipInitialize, completes the
// handshake: initialize, notifications/initialized, and a ping that ensures
// the server has processed them. Close the client when done.
func Dial(ctx context.Context, s *fastmcp.Server, opts *Options) (*Client, error) {
	c := &Client{pending: map[string]chan *jsonrpc.Message{}, notesCh: make(chan struct{}), served: make(chan error, 1)}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.ProtocolVersion == "" {
		c.opts.ProtocolVersion = fastmcp.LatestHandshakeProtocolVersion
	}
	if c.opts.ClientInfo.Name == "" {
		c.opts.ClientInfo = fastmcp.Implementation{Name: "fastmcptest", Version: "1.0.0"}
	}
	toServerR, toServerW := io.Pipe()
	toClientR, toClientW := io.Pipe()
	c.w = toServerW
	sctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		err := s.Serve(sctx, fastmcp.Stdio{Reader: toServerR, Writer: toClientW})
		// The server stopped serving (the session was closed, or the
		// context ended): the client's reads and writes now fail.
		toClientW.Close()
		toServerR.Close()
		c.served <- err
	}()
	go c.readLoop(toClientR)
	if c.opts.SkipInitialize {
		return c, nil
	}
	var res fastmcp.InitializeResult
	err := c.Call(ctx, "initialize", fastmcp.InitializeParams{
		ProtocolVersion: c.opts.ProtocolVersion,
		Capabilities:    c.opts.Capabilities,
		ClientInfo:      c.opts.ClientInfo,
	}, &res)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	c.init = &res
	if err := c.Notify("notifications/initialized", nil); err != nil {
		c.Close()
		return nil, err
	}
	// A round trip: once the ping is answered, the server has processed
	// notifications/initialized, so notifications sent from now on reach
	// this client.
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("ping after initialize: %w", err)
	}
	return c, nil
}

// InitializeResult returns the server's answer to initialize, or nil when the
// handshake was skipped.
func (c *Client) InitializeResult() *fastmcp.InitializeResult { return c.init }

// Close ends the connection: the server sees end of input, finishes or cancels
// in-flight requests, and ends the session. Close waits for that and returns
// the error the server's Serve returned.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.closeErr
	}
	c.closed = true
	c.mu.Unlock()
	c.w.Close()
	err := <-c.served
	c.cancel()
	c.mu.Lock()
	c.closeErr = err
	c.mu.Unlock()
	return err
}

func (c *Client) write(msg []byte) error {
	if c.opts.OnSend != nil {
		c.opts.OnSend(msg)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(append(msg, '\n'))
	return err
}

// Call sends a request and decodes its result into result (unless nil). A
// JSON-RPC error response is returned as a *fastmcp.Error. If ctx ends first,
// the request is cancelled at the server with notifications/cancelled.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	raw, err := c.CallRaw(ctx, method, params)
	if err != nil {
		return err
	}
	if result != nil {
		if err := json.Unmarshal(raw, result); err != nil {
			return fmt.Errorf("decoding %s result: %w", method, err)
		}
	}
	return nil
}

// CallRaw sends a request and returns its raw result.
func (c *Client) CallRaw(ctx context.Context, method string, params any) (json.RawMessage, error) {
	var p json.RawMessage
	if params != nil {
		var err error
		if p, err = json.Marshal(params); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("fastmcptest: client closed")
	}
	c.nextID++
	id := json.RawMessage(strconv.AppendInt(nil, c.nextID, 10))
	ch := make(chan *jsonrpc.Message, 1)
	c.pending[string(id)] = ch
	c.mu.Unlock()
	if err := c.write(jsonrpc.AppendRequest(nil, id, method, p)); err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		if m == nil {
			return nil, errors.New("fastmcptest: connection closed before the response")
		}
		if m.Error != nil {
			e := &fastmcp.Error{Code: fastmcp.ErrorCode(m.Error.Code), Message: m.Error.Message}
			if m.Error.Data != nil {
				e.Data = m.Error.Data
			}
			return nil, e
		}
		return m.Result, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, string(id))
		c.mu.Unlock()
		_ = c.Notify("notifications/cancelled", map[string]any{"requestId": id, "reason": context.Cause(ctx).Error()})
		return nil, ctx.Err()
	}
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error {
	var p json.RawMessage
	if params != nil {
		var err error
		if p, err = json.Marshal(params); err != nil {
			return err
		}
	}
	return c.write(jsonrpc.AppendNotification(nil, method, p))
}

// Send writes a raw message, for tests of malformed input. The server's
// response, if any, is delivered to a pending Call with the same id or, for
// errors without one, recorded as a notification with the method "error".
func (c *Client) Send(raw []byte) error { return c.write(raw) }

func (c *Client) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if c.opts.OnReceive != nil {
				c.opts.OnReceive(line)
			}
			c.handle(line)
		}
		if err != nil {
			break
		}
	}
	c.mu.Lock()
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *Client) handle(line []byte) {
	if jsonrpc.IsBatch(line) {
		elems, err := jsonrpc.SplitBatch(line)
		if err == nil {
			for _, e := range elems {
				c.handle(e)
			}
		}
		return
	}
	var m jsonrpc.Message
	if err := jsonrpc.Decode(line, &m); err != nil {
		c.record(Notification{Method: "error", Params: json.RawMessage(line)})
		return
	}
	switch {
	case m.IsRequest():
		go c.answer(&m)
	case m.IsNotification():
		c.record(Notification{Method: m.Method, Params: m.Params})
	default:
		if m.ID == nil {
			c.record(Notification{Method: "error", Params: json.RawMessage(line)})
			return
		}
		c.mu.Lock()
		ch := c.pending[jsonrpc.CompactID(m.ID)]
		delete(c.pending, jsonrpc.CompactID(m.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- &m
		}
	}
}

func (c *Client) answer(m *jsonrpc.Message) {
	var result any
	var err error
	switch {
	case m.Method == "ping":
		result = struct{}{}
	case c.opts.OnRequest != nil:
		result, err = c.opts.OnRequest(context.Background(), m.Method, m.Params)
	default:
		err = &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: "Method not found: " + m.Method}
	}
	var out []byte
	if err != nil {
		var e *fastmcp.Error
		if !errors.As(err, &e) {
			e = &fastmcp.Error{Code: fastmcp.CodeInternalError, Message: err.Error()}
		}
		var data json.RawMessage
		if e.Data != nil {
			data, _ = json.Marshal(e.Data)
		}
		out = jsonrpc.AppendError(nil, m.ID, int64(e.Code), e.Message, data)
	} else {
		raw, merr := json.Marshal(result)
		if merr != nil {
			out = jsonrpc.AppendError(nil, m.ID, jsonrpc.CodeInternalError, merr.Error(), nil)
		} else {
			out = jsonrpc.AppendResult(nil, m.ID, raw)
		}
	}
	_ = c.write(out)
}

func (c *Client) record(n Notification) {
	if c.opts.OnNotification != nil {
		c.opts.OnNotification(n)
	}
	c.mu.Lock()
	c.notes = append(c.notes, n)
	close(c.notesCh)
	c.notesCh = make(chan struct{})
	c.mu.Unlock()
}

// Notifications returns the notifications received so far, oldest first.
func (c *Client) Notifications() []Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Notification(nil), c.notes...)
}

// WaitNotification waits until at least n notifications with the method have
// been received, counting those received before the call, and returns the n-th
// (1-based): a test waits for a second list_changed with n = 2.
func (c *Client) WaitNotification(ctx context.Context, method string, n int) (Notification, error) {
	if n < 1 {
		n = 1
	}
	for {
		c.mu.Lock()
		seen := 0
		for _, note := range c.notes {
			if note.Method == method {
				seen++
				if seen == n {
					c.mu.Unlock()
					return note, nil
				}
			}
		}
		ch := c.notesCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Notification{}, fmt.Errorf("fastmcptest: waiting for notification %s #%d: %w", method, n, ctx.Err())
		}
	}
}

// ListTools lists every tool, following pagination cursors.
func (c *Client) ListTools(ctx context.Context) ([]*fastmcp.Tool, error) {
	var all []*fastmcp.Tool
	cursor := ""
	for {
		var res fastmcp.ListToolsResult
		if err := c.Call(ctx, "tools/list", cursorParams(cursor), &res); err != nil {
			return nil, err
		}
		all = append(all, res.Tools...)
		if res.NextCursor == "" {
			return all, nil
		}
		cursor = res.NextCursor
	}
}

func cursorParams(cursor string) any {
	if cursor == "" {
		return nil
	}
	return map[string]string{"cursor": cursor}
}

// CallTool calls a tool with arguments (any JSON-encodable value, or nil for
// none). A tool failure is a result with IsError, not an error; the error
// reports protocol failures such as an unknown tool.
func (c *Client) CallTool(ctx context.Context, name string, args any) (*fastmcp.CallToolResult, error) {
	p := &fastmcp.CallToolParams{Name: name}
	if args != nil {
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		p.Arguments = raw
	}
	return c.CallToolParams(ctx, p)
}

// CallToolParams calls a tool with full control of the parameters, such as a
// progress token in Meta.
func (c *Client) CallToolParams(ctx context.Context, p *fastmcp.CallToolParams) (*fastmcp.CallToolResult, error) {
	var res fastmcp.CallToolResult
	if err := c.Call(ctx, "tools/call", p, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Text returns the text of a tool result's text blocks, joined by newlines:
// what most tests compare.
func Text(res *fastmcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(*fastmcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// ListResources lists every resource, following pagination cursors.
func (c *Client) ListResources(ctx context.Context) ([]*fastmcp.Resource, error) {
	var all []*fastmcp.Resource
	cursor := ""
	for {
		var res fastmcp.ListResourcesResult
		if err := c.Call(ctx, "resources/list", cursorParams(cursor), &res); err != nil {
			return nil, err
		}
		all = append(all, res.Resources...)
		if res.NextCursor == "" {
			return all, nil
		}
		cursor = res.NextCursor
	}
}

// ListResourceTemplates lists every resource template, following pagination
// cursors.
func (c *Client) ListResourceTemplates(ctx context.Context) ([]*fastmcp.ResourceTemplate, error) {
	var all []*fastmcp.ResourceTemplate
	cursor := ""
	for {
		var res fastmcp.ListResourceTemplatesResult
		if err := c.Call(ctx, "resources/templates/list", cursorParams(cursor), &res); err != nil {
			return nil, err
		}
		all = append(all, res.ResourceTemplates...)
		if res.NextCursor == "" {
			return all, nil
		}
		cursor = res.NextCursor
	}
}

// ReadResource reads a resource.
func (c *Client) ReadResource(ctx context.Context, uri string) (*fastmcp.ReadResourceResult, error) {
	var res fastmcp.ReadResourceResult
	if err := c.Call(ctx, "resources/read", map[string]string{"uri": uri}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Subscribe subscribes to updates of a resource.
func (c *Client) Subscribe(ctx context.Context, uri string) error {
	return c.Call(ctx, "resources/subscribe", map[string]string{"uri": uri}, nil)
}

// Unsubscribe ends a subscription.
func (c *Client) Unsubscribe(ctx context.Context, uri string) error {
	return c.Call(ctx, "resources/unsubscribe", map[string]string{"uri": uri}, nil)
}

// ListPrompts lists every prompt, following pagination cursors.
func (c *Client) ListPrompts(ctx context.Context) ([]*fastmcp.Prompt, error) {
	var all []*fastmcp.Prompt
	cursor := ""
	for {
		var res fastmcp.ListPromptsResult
		if err := c.Call(ctx, "prompts/list", cursorParams(cursor), &res); err != nil {
			return nil, err
		}
		all = append(all, res.Prompts...)
		if res.NextCursor == "" {
			return all, nil
		}
		cursor = res.NextCursor
	}
}

// GetPrompt gets a prompt with arguments.
func (c *Client) GetPrompt(ctx context.Context, name string, args map[string]string) (*fastmcp.GetPromptResult, error) {
	var res fastmcp.GetPromptResult
	if err := c.Call(ctx, "prompts/get", fastmcp.GetPromptParams{Name: name, Arguments: args}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Complete asks for completions of an argument of a prompt (ref.Type
// "ref/prompt") or resource template ("ref/resource"). resolved holds other
// arguments already chosen, or nil.
func (c *Client) Complete(ctx context.Context, ref fastmcp.CompleteReference, argument, value string, resolved map[string]string) (*fastmcp.CompleteResult, error) {
	p := fastmcp.CompleteParams{Ref: ref, Argument: fastmcp.CompleteArgument{Name: argument, Value: value}}
	if resolved != nil {
		p.Context = &fastmcp.CompleteContext{Arguments: resolved}
	}
	var res fastmcp.CompleteResult
	if err := c.Call(ctx, "completion/complete", p, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// SetLoggingLevel sets the minimum level of log messages the server sends.
func (c *Client) SetLoggingLevel(ctx context.Context, level fastmcp.LoggingLevel) error {
	return c.Call(ctx, "logging/setLevel", map[string]any{"level": level}, nil)
}

// Ping pings the server.
func (c *Client) Ping(ctx context.Context) error { return c.Call(ctx, "ping", nil, nil) }
