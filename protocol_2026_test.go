package fastmcp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Tests of the 2026-07-28 revision over raw HTTP: a client that speaks it
// byte by byte, so every header and member is under the test's control.
// Every message the server sends is validated against the revision's schema.

// mdClient is a raw 2026-07-28 client of a Streamable HTTP endpoint.
type mdClient struct {
	t    testing.TB
	url  string
	hc   *http.Client
	conv *spectest.Conversation
	next atomic.Int64
	// caps are the client capabilities declared in every request's _meta.
	caps map[string]any
	// header is sent with every request (credentials).
	header http.Header
}

func mdNew(t testing.TB, url string) *mdClient {
	t.Helper()
	v, err := spectest.For(fastmcp.ProtocolVersion20260728)
	if err != nil {
		t.Fatal(err)
	}
	return &mdClient{t: t, url: url, hc: testkit.HTTPClient(t), conv: spectest.NewConversation(v),
		caps: map[string]any{}, header: http.Header{}}
}

// mdReq is one request to send; its zero members take the defaults a
// well-behaved client sends.
type mdReq struct {
	method string
	params map[string]any
	// meta replaces members of the default _meta; a nil value removes one.
	meta map[string]any
	// noMeta sends params without _meta.
	noMeta bool
	// header replaces default headers; an empty value removes one.
	header map[string]string
	// accept replaces the Accept header.
	accept string
	// notify sends a notification (no id).
	notify bool
	// extra holds raw members appended to params as written (duplicate
	// or differently cased members, which a map cannot hold).
	extra string
}

// mdAnswer is the HTTP answer to a request and its JSON-RPC messages.
type mdAnswer struct {
	status int
	ct     string
	msgs   []json.RawMessage
	raw    []byte
}

// last returns the last message, decoded.
func (a mdAnswer) last(t testing.TB) mdMsg {
	t.Helper()
	if len(a.msgs) == 0 {
		t.Fatalf("empty answer (status %d): %s", a.status, a.raw)
	}
	return mdDecode(t, a.msgs[len(a.msgs)-1])
}

// notifications returns the methods of the notifications of the answer.
func (a mdAnswer) notifications(t testing.TB) []mdMsg {
	var out []mdMsg
	for _, m := range a.msgs {
		d := mdDecode(t, m)
		if d.Method != "" && d.ID == nil {
			out = append(out, d)
		}
	}
	return out
}

// mdMsg is a decoded JSON-RPC message.
type mdMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64           `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func mdDecode(t testing.TB, raw []byte) mdMsg {
	t.Helper()
	var m mdMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON-RPC message: %v\n%s", err, raw)
	}
	return m
}

// result decodes the result of the answer's last message into v, failing on
// an error response.
func (a mdAnswer) result(t testing.TB, v any) {
	t.Helper()
	m := a.last(t)
	if m.Error != nil {
		t.Fatalf("error %d %s (status %d)", m.Error.Code, m.Error.Message, a.status)
	}
	reflect.ValueOf(v).Elem().SetZero() // json.Unmarshal keeps members the result lacks
	if err := json.Unmarshal(m.Result, v); err != nil {
		t.Fatalf("result: %v\n%s", err, m.Result)
	}
}

// wantError checks that the answer is a JSON-RPC error with code and HTTP
// status.
func (a mdAnswer) wantError(t testing.TB, status int, code int64) mdMsg {
	t.Helper()
	m := a.last(t)
	if a.status != status || m.Error == nil || m.Error.Code != code {
		t.Fatalf("status %d, message %s; want status %d and error %d", a.status, a.msgs[len(a.msgs)-1], status, code)
	}
	return m
}

// body builds the JSON-RPC request of r with id.
func (c *mdClient) body(id int64, r mdReq) []byte {
	params := map[string]any{}
	for k, v := range r.params {
		params[k] = v
	}
	if !r.noMeta {
		meta := map[string]any{
			"io.modelcontextprotocol/protocolVersion":    fastmcp.ProtocolVersion20260728,
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "md-test", "version": "1.0.0"},
			"io.modelcontextprotocol/clientCapabilities": c.caps,
		}
		if m, ok := params["_meta"].(map[string]any); ok {
			for k, v := range m {
				meta[k] = v
			}
		}
		for k, v := range r.meta {
			if v == nil {
				delete(meta, k)
			} else {
				meta[k] = v
			}
		}
		params["_meta"] = meta
	}
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": r.method, "params": params}
	if r.notify {
		delete(msg, "id")
	}
	b, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	if r.extra != "" {
		// params is the last member of the message: its members end
		// just before the closing "}}".
		b = append(append(b[:len(b)-2:len(b)-2], ","+r.extra...), "}}"...)
	}
	return b
}

// send sends r and reads the whole answer.
func (c *mdClient) send(r mdReq) mdAnswer {
	c.t.Helper()
	resp := c.open(r)
	defer resp.Body.Close()
	return c.read(resp)
}

// open sends r and returns the HTTP response, unread.
func (c *mdClient) open(r mdReq) *http.Response {
	c.t.Helper()
	id := c.next.Add(1)
	body := c.body(id, r)
	c.conv.Sent(body)
	req, err := http.NewRequestWithContext(testkit.Context(c.t), http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	if r.accept != "" {
		h.Set("Accept", r.accept)
	}
	h.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
	h.Set("Mcp-Method", r.method)
	switch r.method {
	case "tools/call", "prompts/get":
		if n, ok := r.params["name"].(string); ok {
			h.Set("Mcp-Name", mdHeaderValue(n))
		}
	case "resources/read":
		if u, ok := r.params["uri"].(string); ok {
			h.Set("Mcp-Name", mdHeaderValue(u))
		}
	}
	for k, vs := range c.header {
		h[k] = vs
	}
	for k, v := range r.header {
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", r.method, err)
	}
	return resp
}

// read reads an answer, JSON or SSE, validating each message.
func (c *mdClient) read(resp *http.Response) mdAnswer {
	c.t.Helper()
	a := mdAnswer{status: resp.StatusCode, ct: resp.Header.Get("Content-Type")}
	switch {
	case strings.HasPrefix(a.ct, "text/event-stream"):
		sr := testkit.NewSSEReader(resp.Body)
		for {
			ev, err := sr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					c.t.Fatalf("reading the SSE answer: %v", err)
				}
				return a
			}
			if ev.HasID {
				c.t.Errorf("2026-07-28 streams are not resumable, but an event has id %q", ev.ID)
			}
			if ev.Data == "" {
				continue
			}
			c.received([]byte(ev.Data))
			a.msgs = append(a.msgs, json.RawMessage(ev.Data))
		}
	default:
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			c.t.Fatal(err)
		}
		a.raw = body
		if len(body) > 0 && strings.HasPrefix(a.ct, "application/json") {
			c.received(body)
			a.msgs = append(a.msgs, body)
		}
	}
	if resp.Header.Get("Mcp-Session-Id") != "" {
		c.t.Errorf("a 2026-07-28 answer carries Mcp-Session-Id %q", resp.Header.Get("Mcp-Session-Id"))
	}
	return a
}

func (c *mdClient) received(raw []byte) {
	c.t.Helper()
	if err := c.conv.Received(raw); err != nil {
		c.t.Errorf("server sent a message invalid in 2026-07-28: %v\n%s", err, raw)
	}
}

// call sends a request and decodes its result into v.
func (c *mdClient) call(method string, params map[string]any, v any) {
	c.t.Helper()
	a := c.send(mdReq{method: method, params: params})
	if a.status != http.StatusOK {
		c.t.Fatalf("%s: status %d: %s", method, a.status, a.raw)
	}
	a.result(c.t, v)
}

// mdHeaderValue encodes a header value as a client must: Base64 when it is
// not plain visible ASCII.
func mdHeaderValue(s string) string {
	plain := s == strings.TrimSpace(s) && !(strings.HasPrefix(s, "=?base64?") && strings.HasSuffix(s, "?="))
	for i := 0; plain && i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// toolResult is a tools/call result of the 2026-07-28 revision.
type toolResult struct {
	ResultType string `json:"resultType"`
	Content    []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	IsError       bool                       `json:"isError"`
	Meta          map[string]json.RawMessage `json:"_meta"`
	InputRequests map[string]struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	} `json:"inputRequests"`
	RequestState string `json:"requestState"`
}

func (r toolResult) text() string {
	if len(r.Content) == 0 {
		return ""
	}
	if r.IsError {
		return "ERROR: " + r.Content[0].Text
	}
	return r.Content[0].Text
}

// mdServer returns a server with the tools the 2026-07-28 tests use, served
// over HTTP, and a client of it.
func mdServer(t testing.TB, opts fastmcp.Options, http fastmcp.HTTP) (*fastmcp.Server, *mdClient, *fastmcp.HTTPHandler) {
	t.Helper()
	s := testkit.NewServer(t, opts)
	mdTools(s)
	ts := testkit.ServeHTTP(t, s, http)
	h := ts.Handler
	return s, mdNew(t, htEndpoint(ts.URL, http)), h
}

type mdRegionArgs struct {
	Region string `json:"region" mcpheader:"Region"`
	Count  int    `json:"count,omitempty" mcpheader:"Count"`
	Dry    bool   `json:"dry,omitempty" mcpheader:"Dry-Run"`
	Nested struct {
		Zone string `json:"zone,omitempty" mcpheader:"Zone"`
	} `json:"nested,omitzero"`
	Tag *string `json:"tag,omitempty" mcpheader:"Tag"`
}

func mdTools(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "echo", Description: "Echoes its text."},
		func(ctx *fastmcp.Context, a struct {
			Text string `json:"text"`
		}) (string, error) {
			return a.Text, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "héllo wörld", Description: "A tool whose name is not header-safe."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "hi", nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "region", Description: "Parameters mirrored in headers."},
		func(ctx *fastmcp.Context, a mdRegionArgs) (string, error) {
			return fmt.Sprintf("%s/%d/%t/%s", a.Region, a.Count, a.Dry, a.Nested.Zone), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "meta", Description: "Returns a result with its own _meta."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (*fastmcp.CallToolResult, error) {
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("m")}, Meta: fastmcp.Meta{"com.example/trace": "t1"}}, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "log", Description: "Logs at every level, reports progress, then answers."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			ctx.Debug("d")
			ctx.Info("i")
			ctx.Error("e")
			_ = ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2})
			return "logged", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "who", Description: "Reports the request's protocol facts."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			caps, _ := json.Marshal(ctx.ClientCapabilities())
			return fmt.Sprintf("%s|%s|%s|session=%v|state=%v", ctx.ProtocolVersion(), ctx.ClientInfo().Name, caps,
				ctx.Session() != nil, ctx.State() != nil), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "state", Description: "Uses session state."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			if err := ctx.State().Set(ctx, "k", 1, 0); err != nil {
				return "", fastmcp.NewUserError(err.Error())
			}
			return "stored", nil
		})
	s.AddResource(fastmcp.Resource{URI: "test://doc", Name: "doc", MIMEType: "text/plain",
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: "the doc"}}, nil
		}})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "greet", Description: "Greets."},
		func(ctx *fastmcp.Context, _ map[string]string) (string, error) { return "hello", nil })
}

func TestModernMetaValidation(t *testing.T) {
	t.Parallel()
	_, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	cases := []struct {
		name   string
		req    mdReq
		status int
		code   int64
	}{
		{"missing _meta", mdReq{method: "server/discover", noMeta: true}, 400, -32602},
		{"missing protocolVersion", mdReq{method: "tools/list", meta: map[string]any{"io.modelcontextprotocol/protocolVersion": nil}}, 400, -32602},
		{"protocolVersion not a string", mdReq{method: "tools/list", meta: map[string]any{"io.modelcontextprotocol/protocolVersion": 7}}, 400, -32602},
		{"missing clientCapabilities", mdReq{method: "tools/list", meta: map[string]any{"io.modelcontextprotocol/clientCapabilities": nil}}, 400, -32602},
		{"clientCapabilities not an object", mdReq{method: "tools/list", meta: map[string]any{"io.modelcontextprotocol/clientCapabilities": "all"}}, 400, -32602},
		{"invalid logLevel", mdReq{method: "tools/list", meta: map[string]any{"io.modelcontextprotocol/logLevel": "loud"}}, 400, -32602},
		{"removed initialize", mdReq{method: "initialize"}, 404, -32601},
		{"removed ping", mdReq{method: "ping"}, 404, -32601},
		{"removed logging/setLevel", mdReq{method: "logging/setLevel", params: map[string]any{"level": "info"}}, 404, -32601},
		{"removed resources/subscribe", mdReq{method: "resources/subscribe", params: map[string]any{"uri": "test://doc"}}, 404, -32601},
		{"removed resources/unsubscribe", mdReq{method: "resources/unsubscribe", params: map[string]any{"uri": "test://doc"}}, 404, -32601},
		{"unknown method", mdReq{method: "unknown/method"}, 404, -32601},
		{"resource not found", mdReq{method: "resources/read", params: map[string]any{"uri": "test://none"}}, 200, -32602},
		{"unknown tool", mdReq{method: "tools/call", params: map[string]any{"name": "nope"}}, 200, -32602},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := c.send(tc.req).wantError(t, tc.status, tc.code)
			if len(m.ID) == 0 || string(m.ID) == "null" {
				t.Errorf("error without the request's id")
			}
			if tc.name == "resource not found" && !strings.Contains(string(m.Error.Data), `"uri":"test://none"`) {
				t.Errorf("data = %s, want the uri", m.Error.Data)
			}
		})
	}
	t.Run("clientInfo is optional", func(t *testing.T) {
		var res map[string]any
		a := c.send(mdReq{method: "server/discover", meta: map[string]any{"io.modelcontextprotocol/clientInfo": nil}})
		if a.status != 200 {
			t.Fatalf("status %d: %s", a.status, a.raw)
		}
		a.result(t, &res)
	})
}

func TestModernVersionAndHeaderErrors(t *testing.T) {
	t.Parallel()
	_, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	type errData struct {
		Supported []string `json:"supported"`
		Requested string   `json:"requested"`
	}
	t.Run("unsupported version", func(t *testing.T) {
		for _, v := range []string{"v999.0.0", "2099-01-01", fastmcp.ProtocolVersion20251125} {
			m := c.send(mdReq{method: "server/discover", meta: map[string]any{"io.modelcontextprotocol/protocolVersion": v},
				header: map[string]string{"MCP-Protocol-Version": v}}).wantError(t, 400, -32022)
			var d errData
			if err := json.Unmarshal(m.Error.Data, &d); err != nil || d.Requested != v || !slices.Equal(d.Supported, fastmcp.SupportedProtocolVersions()) {
				t.Errorf("%s: data %s", v, m.Error.Data)
			}
		}
	})
	cases := []struct {
		name   string
		req    mdReq
		status int
		code   int64
	}{
		{"version header differs from _meta", mdReq{method: "server/discover", meta: map[string]any{"io.modelcontextprotocol/protocolVersion": "v999.0.0"}}, 400, -32020},
		{"version header missing", mdReq{method: "tools/list", header: map[string]string{"MCP-Protocol-Version": ""}}, 400, -32020},
		{"Mcp-Method missing", mdReq{method: "tools/list", header: map[string]string{"Mcp-Method": ""}}, 400, -32020},
		{"Mcp-Method differs", mdReq{method: "tools/list", header: map[string]string{"Mcp-Method": "prompts/list"}}, 400, -32020},
		{"Mcp-Method case differs", mdReq{method: "tools/list", header: map[string]string{"Mcp-Method": "TOOLS/LIST"}}, 400, -32020},
		{"Mcp-Name missing", mdReq{method: "tools/call", params: map[string]any{"name": "echo"}, header: map[string]string{"Mcp-Name": ""}}, 400, -32020},
		{"Mcp-Name differs", mdReq{method: "tools/call", params: map[string]any{"name": "echo"}, header: map[string]string{"Mcp-Name": "other"}}, 400, -32020},
		{"Mcp-Name of a resource differs", mdReq{method: "resources/read", params: map[string]any{"uri": "test://doc"}, header: map[string]string{"Mcp-Name": "test://else"}}, 400, -32020},
		{"Mcp-Name of a prompt missing", mdReq{method: "prompts/get", params: map[string]any{"name": "greet"}, header: map[string]string{"Mcp-Name": ""}}, 400, -32020},
		{"Mcp-Name base64 broken", mdReq{method: "tools/call", params: map[string]any{"name": "echo"}, header: map[string]string{"Mcp-Name": "=?base64?ZWNobw?="}}, 400, -32020},
		{"Mcp-Name raw non-ASCII", mdReq{method: "tools/call", params: map[string]any{"name": "héllo wörld"}, header: map[string]string{"Mcp-Name": "héllo wörld"}}, 400, -32020},
		{"Mcp-Param missing", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu"}}}, 400, -32020},
		{"Mcp-Param differs", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu"}}, header: map[string]string{"Mcp-Param-Region": "us"}}, 400, -32020},
		{"Mcp-Param without argument", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu"}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Count": "3"}}, 400, -32020},
		{"Mcp-Param bad padding", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "Hello"}}, header: map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8?="}}, 400, -32020},
		{"Mcp-Param integer differs", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "count": 3}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Count": "4"}}, 400, -32020},
		{"Mcp-Param boolean differs", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "dry": true}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Dry-Run": "True"}}, 400, -32020},
		{"Mcp-Param nested missing", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "nested": map[string]any{"zone": "a"}}}, header: map[string]string{"Mcp-Param-Region": "eu"}}, 400, -32020},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.send(tc.req).wantError(t, tc.status, tc.code)
		})
	}
	accepted := []struct {
		name string
		req  mdReq
		want string
	}{
		{"base64 Mcp-Name", mdReq{method: "tools/call", params: map[string]any{"name": "héllo wörld"}}, "hi"},
		{"lower-case header names", mdReq{method: "tools/call", params: map[string]any{"name": "echo", "arguments": map[string]any{"text": "x"}}, header: map[string]string{"mcp-method": "tools/call"}}, "x"},
		{"Mcp-Param plain", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu"}}, header: map[string]string{"Mcp-Param-Region": "eu"}}, "eu/0/false/"},
		{"Mcp-Param base64", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "Hello, 世界"}}, header: map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8sIOS4lueVjA==?="}}, "Hello, 世界/0/false/"},
		{"Mcp-Param literal look-alike", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "=?base64?SGVsbG8="}}, header: map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8="}}, "=?base64?SGVsbG8=/0/false/"},
		{"Mcp-Param numeric equality", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "count": 42}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Count": "42.0"}}, "eu/42/false/"},
		{"Mcp-Param boolean and nested", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "dry": true, "nested": map[string]any{"zone": "b"}}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Dry-Run": "true", "Mcp-Param-Zone": "b"}}, "eu/0/true/b"},
		{"Mcp-Param null argument", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "tag": nil}}, header: map[string]string{"Mcp-Param-Region": "eu"}}, "eu/0/false/"},
		{"Mcp-Param nullable set", mdReq{method: "tools/call", params: map[string]any{"name": "region", "arguments": map[string]any{"region": "eu", "tag": "t"}}, header: map[string]string{"Mcp-Param-Region": "eu", "Mcp-Param-Tag": "t"}}, "eu/0/false/"},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			a := c.send(tc.req)
			var res toolResult
			a.result(t, &res)
			if got := res.text(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("x-mcp-header in tools/list", func(t *testing.T) {
		var res struct {
			Tools []struct {
				Name        string         `json:"name"`
				InputSchema map[string]any `json:"inputSchema"`
			} `json:"tools"`
		}
		c.call("tools/list", nil, &res)
		for _, tool := range res.Tools {
			if tool.Name != "region" {
				continue
			}
			props := tool.InputSchema["properties"].(map[string]any)
			if got := props["region"].(map[string]any)["x-mcp-header"]; got != "Region" {
				t.Errorf("region x-mcp-header = %v", got)
			}
			return
		}
		t.Error("tool region not listed")
	})
	t.Run("batch", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(`[{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}]`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("batch: status %d, want 400", resp.StatusCode)
		}
	})
}

func TestModernInvalidHeaderAnnotationsPanic(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"number":     `{"type":"object","properties":{"n":{"type":"number","x-mcp-header":"N"}}}`,
		"in items":   `{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","x-mcp-header":"L"}}}}`,
		"in anyOf":   `{"type":"object","anyOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]}`,
		"duplicate":  `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"X"},"b":{"type":"string","x-mcp-header":"x"}}}`,
		"bad token":  `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A B"}}}`,
		"empty name": `{"type":"object","properties":{"a":{"type":"string","x-mcp-header":""}}}`,
	}
	for name, schema := range cases {
		t.Run(name, func(t *testing.T) {
			s := testkit.NewServer(t, fastmcp.Options{})
			defer func() {
				if recover() == nil {
					t.Errorf("AddTool accepted %s", schema)
				}
			}()
			fastmcp.AddTool(s, fastmcp.Tool{Name: "t", InputSchema: json.RawMessage(schema)},
				func(ctx *fastmcp.Context, _ map[string]any) (string, error) { return "", nil })
		})
	}
}

func TestModernDiscoverAndResults(t *testing.T) {
	t.Parallel()
	_, c, _ := mdServer(t, fastmcp.Options{Name: "md", Version: "9.9.9", Instructions: "Be nice.",
		Cache: fastmcp.Cache{TTL: 90 * time.Second}}, fastmcp.HTTP{})

	var disc struct {
		ResultType        string                     `json:"resultType"`
		SupportedVersions []string                   `json:"supportedVersions"`
		Capabilities      map[string]json.RawMessage `json:"capabilities"`
		Instructions      string                     `json:"instructions"`
		TTLMs             *int64                     `json:"ttlMs"`
		CacheScope        string                     `json:"cacheScope"`
		Meta              map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"_meta"`
	}
	c.call("server/discover", nil, &disc)
	if disc.ResultType != "complete" || !slices.Equal(disc.SupportedVersions, fastmcp.SupportedProtocolVersions()) ||
		disc.SupportedVersions[0] != fastmcp.ProtocolVersion20260728 || disc.Instructions != "Be nice." ||
		disc.TTLMs == nil || *disc.TTLMs != 90000 || disc.CacheScope != "public" {
		t.Errorf("discover = %+v", disc)
	}
	if info := disc.Meta["io.modelcontextprotocol/serverInfo"]; info.Name != "md" || info.Version != "9.9.9" {
		t.Errorf("serverInfo = %+v", info)
	}
	for _, k := range []string{"tools", "resources", "prompts", "completions", "logging"} {
		if disc.Capabilities[k] == nil {
			t.Errorf("capability %s missing: %v", k, disc.Capabilities)
		}
	}

	type common struct {
		ResultType string                     `json:"resultType"`
		TTLMs      *int64                     `json:"ttlMs"`
		CacheScope string                     `json:"cacheScope"`
		Meta       map[string]json.RawMessage `json:"_meta"`
	}
	for _, m := range []struct {
		method    string
		params    map[string]any
		cacheable bool
	}{
		{"tools/list", nil, true},
		{"prompts/list", nil, true},
		{"resources/list", nil, true},
		{"resources/templates/list", nil, true},
		{"resources/read", map[string]any{"uri": "test://doc"}, true},
		{"tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "x"}}, false},
		{"prompts/get", map[string]any{"name": "greet"}, false},
		{"completion/complete", map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "greet"}, "argument": map[string]any{"name": "a", "value": ""}}, false},
	} {
		var r common
		c.call(m.method, m.params, &r)
		if r.ResultType != "complete" || r.Meta["io.modelcontextprotocol/serverInfo"] == nil {
			t.Errorf("%s: resultType %q, _meta %v", m.method, r.ResultType, r.Meta)
		}
		if m.cacheable != (r.TTLMs != nil) || m.cacheable != (r.CacheScope != "") {
			t.Errorf("%s: ttlMs %v, cacheScope %q; cacheable %v", m.method, r.TTLMs, r.CacheScope, m.cacheable)
		}
		if m.cacheable && (*r.TTLMs != 90000 || r.CacheScope != "public") {
			t.Errorf("%s: ttlMs %d, cacheScope %q, want the server's 90000 and public", m.method, *r.TTLMs, r.CacheScope)
		}
	}

	// A handler's own _meta is kept, with the server's identity added.
	var r toolResult
	c.call("tools/call", map[string]any{"name": "meta"}, &r)
	if string(r.Meta["com.example/trace"]) != `"t1"` || r.Meta["io.modelcontextprotocol/serverInfo"] == nil {
		t.Errorf("_meta = %v", r.Meta)
	}

	// The request's own facts; no session, no session state.
	c.caps = map[string]any{"sampling": map[string]any{}}
	c.call("tools/call", map[string]any{"name": "who"}, &r)
	if got, want := r.text(), `2026-07-28|md-test|{"sampling":{}}|session=false|state=false`; got != want {
		t.Errorf("who = %q, want %q", got, want)
	}
	c.call("tools/call", map[string]any{"name": "state"}, &r)
	if !r.IsError || !strings.Contains(r.text(), "no session") {
		t.Errorf("session state in a sessionless request: %q, want a clear error", r.text())
	}
	// A notification is accepted and ignored.
	resp := c.open(mdReq{method: "notifications/cancelled", params: map[string]any{"requestId": 1}, notify: true})
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("notification: status %d, want 202", resp.StatusCode)
	}
}

func TestModernCacheHints(t *testing.T) {
	t.Parallel()
	adminOnly := fastmcp.RequireRole("admin")
	s := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[string](func(r *http.Request) (string, error) {
		return r.Header.Get("X-User"), nil
	})})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "a", Cache: &fastmcp.Cache{TTL: time.Minute}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "b", Cache: &fastmcp.Cache{TTL: 5 * time.Second}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", CanAccess: adminOnly},
		func(ctx *fastmcp.Context, _ map[string]string) (string, error) { return "", nil })
	s.AddResource(fastmcp.Resource{URI: "test://pub", Name: "pub", Cache: &fastmcp.Cache{TTL: time.Hour, Scope: fastmcp.CachePublic},
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: "x"}}, nil
		}})
	s.AddResource(fastmcp.Resource{URI: "test://mine", Name: "mine",
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: fmt.Sprint(ctx.Auth())}}, nil
		}})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
	c.header.Set("X-User", "ann")
	type hint struct {
		TTLMs      int64  `json:"ttlMs"`
		CacheScope string `json:"cacheScope"`
	}
	cases := []struct {
		method string
		params map[string]any
		want   hint
	}{
		{"tools/list", nil, hint{5000, "public"}},                                        // shortest TTL of the page
		{"prompts/list", nil, hint{0, "private"}},                                        // an access check: depends on who asks
		{"resources/list", nil, hint{0, "public"}},                                       // the shortest TTL is the server's default 0
		{"resources/read", map[string]any{"uri": "test://pub"}, hint{3600000, "public"}}, // the resource's own
		{"resources/read", map[string]any{"uri": "test://mine"}, hint{0, "private"}},     // an authenticator: private
	}
	for _, tc := range cases {
		var got hint
		c.call(tc.method, tc.params, &got)
		if got != tc.want {
			t.Errorf("%s %v: %+v, want %+v", tc.method, tc.params, got, tc.want)
		}
	}
}

func TestModernLoggingOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	_, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	levels := func(a mdAnswer) []string {
		var out []string
		for _, n := range a.notifications(t) {
			if n.Method == "notifications/message" {
				var p struct {
					Level string `json:"level"`
				}
				json.Unmarshal(n.Params, &p)
				out = append(out, p.Level)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		level any
		want  []string
	}{
		{"no logLevel", nil, nil},
		{"debug", "debug", []string{"debug", "info", "error"}},
		{"info", "info", []string{"info", "error"}},
		{"error", "error", []string{"error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mdReq{method: "tools/call", params: map[string]any{"name": "log", "_meta": map[string]any{"progressToken": "p1"}}}
			if tc.level != nil {
				r.meta = map[string]any{"io.modelcontextprotocol/logLevel": tc.level}
			}
			a := c.send(r)
			if got := levels(a); !slices.Equal(got, tc.want) {
				t.Errorf("log levels %v, want %v", got, tc.want)
			}
			// Progress goes out regardless, on the request's stream.
			var progress int
			for _, n := range a.notifications(t) {
				if n.Method == "notifications/progress" {
					progress++
				}
			}
			if progress != 1 || !strings.HasPrefix(a.ct, "text/event-stream") {
				t.Errorf("progress notifications %d, content type %q", progress, a.ct)
			}
			var res toolResult
			a.result(t, &res)
			if res.text() != "logged" {
				t.Errorf("result %q", res.text())
			}
		})
	}
}

func TestModernClosingTheStreamCancels(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	started, cancelled := make(chan struct{}), make(chan error, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "wait"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		_ = ctx.ReportProgress(fastmcp.Progress{Progress: 1})
		close(started)
		<-ctx.Done()
		cancelled <- context.Cause(ctx)
		return "", ctx.Err()
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
	resp := c.open(mdReq{method: "tools/call", params: map[string]any{"name": "wait", "_meta": map[string]any{"progressToken": 1}}})
	sr := testkit.NewSSEReader(resp.Body)
	sr.NextMessage(t) // the progress notification
	<-started
	resp.Body.Close()
	select {
	case err := <-cancelled:
		if err == nil {
			t.Error("handler context ended without a cause")
		}
	case <-time.After(testkit.Wait):
		t.Fatal("closing the response stream did not cancel the request")
	}
}

func TestModernGETAndDELETE(t *testing.T) {
	t.Parallel()
	_, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		req, _ := http.NewRequest(method, c.url, nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
			t.Errorf("%s with 2026-07-28: status %d, Allow %q; want 405", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestModernRateLimitPerPrincipal(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{
		Authenticate: fastmcp.AuthFunc[string](func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil }),
		RateLimits:   &fastmcp.RateLimits{PerUser: fastmcp.Rate{Limit: 2, Per: time.Hour}},
	})
	mdTools(s)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
	call := func(user string) toolResult {
		c.header.Set("X-User", user)
		var r toolResult
		c.call("tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "x"}}, &r)
		return r
	}
	// Without sessions, each principal has its own bucket.
	for i, want := range []bool{false, false, true} {
		if r := call("ann"); r.IsError != want {
			t.Errorf("ann call %d: %+v", i+1, r)
		}
	}
	if r := call("bob"); r.IsError {
		t.Errorf("bob limited by ann's calls: %+v", r)
	}
	if r := call("ann"); !r.IsError || r.Meta["fastmcp/retryAfterMs"] == nil {
		t.Errorf("ann over the limit: %+v", r)
	}
}
