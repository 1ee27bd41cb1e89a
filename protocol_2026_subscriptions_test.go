package fastmcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// subscriptions/listen, stdio, handles, and both eras on one server.

// mdListen opens a subscriptions/listen stream and returns its reader, after
// checking the acknowledgement.
func mdListen(t testing.TB, c *mdClient, filter map[string]any, wantAck string) (*testkit.SSEReader, *http.Response, string) {
	t.Helper()
	resp := c.open(mdReq{method: "subscriptions/listen", params: map[string]any{"notifications": filter}})
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("listen: status %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	sr := testkit.NewSSEReader(resp.Body)
	ack := mdNext(t, c, sr)
	if ack.Method != "notifications/subscriptions/acknowledged" {
		t.Fatalf("first message %+v, want the acknowledgement", ack)
	}
	var p struct {
		Meta          map[string]json.RawMessage `json:"_meta"`
		Notifications json.RawMessage            `json:"notifications"`
	}
	json.Unmarshal(ack.Params, &p)
	id := string(p.Meta["io.modelcontextprotocol/subscriptionId"])
	if id == "" || string(p.Notifications) != wantAck {
		t.Fatalf("acknowledgement %s, want subscription id and filter %s", ack.Params, wantAck)
	}
	return sr, resp, id
}

// mdNext reads the next message of a stream, validated.
func mdNext(t testing.TB, c *mdClient, sr *testkit.SSEReader) mdMsg {
	t.Helper()
	ev := sr.NextMessage(t)
	c.received([]byte(ev.Data))
	return mdDecode(t, []byte(ev.Data))
}

// mdTagged checks that a notification is method, tagged with subscription id.
func mdTagged(t testing.TB, m mdMsg, method, id string) {
	t.Helper()
	var p struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	json.Unmarshal(m.Params, &p)
	if m.Method != method || string(p.Meta["io.modelcontextprotocol/subscriptionId"]) != id {
		t.Fatalf("got %s %s, want %s tagged %s", m.Method, m.Params, method, id)
	}
}

func TestModernSubscriptions(t *testing.T) {
	t.Parallel()
	s, c, h := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	tools, resp1, id1 := mdListen(t, c, map[string]any{"toolsListChanged": true, "resourceSubscriptions": []string{"test://doc"}},
		`{"toolsListChanged":true,"resourceSubscriptions":["test://doc"]}`)
	prompts, _, id2 := mdListen(t, c, map[string]any{"promptsListChanged": true}, `{"promptsListChanged":true}`)
	if id1 == id2 {
		t.Fatalf("two subscriptions share id %s", id1)
	}

	s.ToolsListChanged()
	mdTagged(t, mdNext(t, c, tools), "notifications/tools/list_changed", id1)
	// The prompts listener got nothing for tools: its next message is the
	// prompts change.
	s.PromptsListChanged()
	mdTagged(t, mdNext(t, c, prompts), "notifications/prompts/list_changed", id2)

	s.ResourceUpdated("test://other")
	s.ResourceUpdated("test://doc")
	m := mdNext(t, c, tools)
	mdTagged(t, m, "notifications/resources/updated", id1)
	if !strings.Contains(string(m.Params), `"uri":"test://doc"`) {
		t.Errorf("updated %s, want test://doc only", m.Params)
	}
	// Registry changes notify too.
	fastmcp.AddTool(s, fastmcp.Tool{Name: "late"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	mdTagged(t, mdNext(t, c, tools), "notifications/tools/list_changed", id1)

	// A request cannot be answered without a stream.
	c.send(mdReq{method: "subscriptions/listen", params: map[string]any{"notifications": map[string]any{}}, accept: "application/json"}).wantError(t, 200, -32600)
	c.send(mdReq{method: "subscriptions/listen"}).wantError(t, 200, -32602)

	// Shutting down ends the subscriptions gracefully.
	h.Close()
	for _, sr := range []*testkit.SSEReader{tools, prompts} {
		end := mdNext(t, c, sr)
		var r struct {
			ResultType string                     `json:"resultType"`
			Meta       map[string]json.RawMessage `json:"_meta"`
		}
		json.Unmarshal(end.Result, &r)
		if r.ResultType != "complete" || string(r.Meta["io.modelcontextprotocol/subscriptionId"]) != string(end.ID) || r.Meta["io.modelcontextprotocol/serverInfo"] == nil {
			t.Errorf("end of subscription %s", end.Result)
		}
	}
	if _, err := tools.Next(); err != io.EOF {
		t.Errorf("stream not closed after the final result: %v", err)
	}
	resp1.Body.Close()
}

func TestModernSubscriptionClosedByClient(t *testing.T) {
	t.Parallel()
	s, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	_, resp, _ := mdListen(t, c, map[string]any{"toolsListChanged": true}, `{"toolsListChanged":true}`)
	resp.Body.Close()
	// Notifications to a closed stream are dropped: the server keeps
	// serving, and a new listener works.
	s.ToolsListChanged()
	sr, resp2, id := mdListen(t, c, map[string]any{"toolsListChanged": true}, `{"toolsListChanged":true}`)
	defer resp2.Body.Close()
	s.ToolsListChanged()
	mdTagged(t, mdNext(t, c, sr), "notifications/tools/list_changed", id)
}

// stdioConn is a raw client of a server on stdio pipes.
type stdioConn struct {
	t    testing.TB
	w    io.WriteCloser
	r    *bufio.Reader
	conv *spectest.Conversation
	done chan error
}

func mdStdio(t testing.TB, s *fastmcp.Server) *stdioConn {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	c := &stdioConn{t: t, w: inW, r: bufio.NewReader(outR), done: make(chan error, 1)}
	v, err := spectest.For(fastmcp.ProtocolVersion20260728)
	if err != nil {
		t.Fatal(err)
	}
	c.conv = spectest.NewConversation(v)
	go func() {
		c.done <- s.Serve(ctx, fastmcp.Stdio{Reader: inR, Writer: outW})
		outW.Close()
	}()
	t.Cleanup(func() {
		inW.Close()
		cancel()
		select {
		case <-c.done:
		case <-time.After(testkit.Wait):
			t.Error("the stdio server did not stop")
		}
	})
	return c
}

func (c *stdioConn) write(msg string) {
	c.t.Helper()
	c.conv.Sent([]byte(msg))
	if _, err := io.WriteString(c.w, msg+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

// modern writes a 2026-07-28 request.
func (c *stdioConn) modern(id int, method, params string) {
	c.t.Helper()
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	if params == "" {
		params = "{" + meta + "}"
	} else {
		params = "{" + meta + "," + params + "}"
	}
	c.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params))
}

// read reads the next message; modern says which revision validates it.
func (c *stdioConn) read(modern bool) mdMsg {
	c.t.Helper()
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := c.r.ReadString('\n')
		ch <- line{s, err}
	}()
	select {
	case l := <-ch:
		if l.err != nil {
			c.t.Fatalf("reading stdout: %v", l.err)
		}
		if modern {
			if err := c.conv.Received([]byte(l.s)); err != nil {
				c.t.Errorf("invalid in 2026-07-28: %v\n%s", err, l.s)
			}
		}
		return mdDecode(c.t, []byte(l.s))
	case <-time.After(testkit.Wait):
		c.t.Fatal("no message from the stdio server")
	}
	return mdMsg{}
}

func TestModernStdio(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	mdTools(s)
	started := make(chan struct{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "block"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	c := mdStdio(t, s)

	c.modern(1, "server/discover", "")
	if m := c.read(true); m.Error != nil || !strings.Contains(string(m.Result), `"supportedVersions":["2026-07-28"`) {
		t.Fatalf("discover: %+v %s", m.Error, m.Result)
	}
	c.modern(2, "tools/call", `"name":"echo","arguments":{"text":"hi"}`)
	if m := c.read(true); !strings.Contains(string(m.Result), `"text":"hi"`) || !strings.Contains(string(m.Result), `"resultType":"complete"`) {
		t.Fatalf("tools/call: %s", m.Result)
	}
	// Without _meta, a request is a handshake-era one: refused before
	// initialize, so that a client probing the era falls back.
	c.write(`{"jsonrpc":"2.0","id":3,"method":"server/discover"}`)
	if m := c.read(false); m.Error == nil || m.Error.Code != -32600 {
		t.Fatalf("discover without _meta: %+v", m)
	}
	c.modern(4, "ping", "")
	if m := c.read(true); m.Error == nil || m.Error.Code != -32601 {
		t.Fatalf("modern ping: %+v", m)
	}

	// Cancellation with notifications/cancelled: no response.
	c.modern(5, "tools/call", `"name":"block"`)
	<-started
	c.write(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"bored"}}`)
	c.modern(6, "server/discover", "")
	if m := c.read(true); string(m.ID) != "6" {
		t.Fatalf("got %s, want the answer to request 6 (none for the cancelled 5)", m.ID)
	}

	// A subscription on stdio: ack, a tagged notification, and cancellation.
	c.modern(7, "subscriptions/listen", `"notifications":{"toolsListChanged":true}`)
	mdTagged(t, c.read(true), "notifications/subscriptions/acknowledged", "7")
	s.ToolsListChanged()
	mdTagged(t, c.read(true), "notifications/tools/list_changed", "7")
	c.write(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`)

	// The same connection can also initialize: the handshake era, served
	// beside the sessionless requests.
	c.write(`{"jsonrpc":"2.0","id":8,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`)
	if m := c.read(false); !strings.Contains(string(m.Result), `"protocolVersion":"2025-11-25"`) {
		t.Fatalf("initialize: %s", m.Result)
	}
	c.write(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	c.write(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"who"}}`)
	if m := c.read(false); !strings.Contains(string(m.Result), "2025-11-25|x|") || strings.Contains(string(m.Result), "resultType") {
		t.Fatalf("handshake-era call: %s", m.Result)
	}
	c.modern(10, "tools/call", `"name":"who"`)
	if m := c.read(true); !strings.Contains(string(m.Result), "2026-07-28||{}|session=false") {
		t.Fatalf("modern call on an initialized connection: %s", m.Result)
	}

	// A subscription still open when the input ends is ended gracefully.
	c.modern(11, "subscriptions/listen", `"notifications":{"promptsListChanged":true}`)
	mdTagged(t, c.read(true), "notifications/subscriptions/acknowledged", "11")
	c.w.Close()
	if m := c.read(true); string(m.ID) != "11" || !strings.Contains(string(m.Result), `"io.modelcontextprotocol/subscriptionId":11`) {
		t.Fatalf("end of subscription: %s %s", m.ID, m.Result)
	}
}

func TestHandles(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[string](func(r *http.Request) (string, error) {
		return r.Header.Get("X-User"), nil
	})})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "open_cart"}, func(ctx *fastmcp.Context, a struct {
		TTLMs int `json:"ttlMs,omitempty"`
	}) (string, error) {
		h, st, err := ctx.NewHandle(time.Duration(a.TTLMs) * time.Millisecond)
		if err != nil {
			return "", err
		}
		if err := st.Set(ctx, "items", []string{}, 0); err != nil {
			return "", err
		}
		return h, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add_item"}, func(ctx *fastmcp.Context, a struct {
		Cart string `json:"cart"`
		Item string `json:"item"`
	}) (string, error) {
		st, err := ctx.OpenHandle(a.Cart)
		if err != nil {
			return "", fastmcp.NewUserError(err.Error())
		}
		items, _, err := fastmcp.StateValue[[]string](ctx, st, "items")
		if err != nil {
			return "", err
		}
		items = append(items, a.Item)
		if err := st.Set(ctx, "items", items, 0); err != nil {
			return "", fastmcp.NewUserError(err.Error())
		}
		return strings.Join(items, ","), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "close_cart"}, func(ctx *fastmcp.Context, a struct {
		Cart string `json:"cart"`
	}) (string, error) {
		if err := ctx.ReleaseHandle(ctx, a.Cart); err != nil {
			return "", fastmcp.NewUserError(err.Error())
		}
		return "closed", nil
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}))
	c.header.Set("X-User", "ann")
	var r toolResult
	c.call("tools/call", map[string]any{"name": "open_cart"}, &r)
	cart := r.text()
	if !strings.HasPrefix(cart, "mcph1.") {
		t.Fatalf("handle %q", cart)
	}
	for i, want := range []string{"apple", "apple,pear"} {
		c.call("tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": cart, "item": strings.Split(want, ",")[i]}}, &r)
		if r.text() != want {
			t.Fatalf("add %d: %q, want %q", i, r.text(), want)
		}
	}
	refused := func(who, handle string) {
		t.Helper()
		c.header.Set("X-User", who)
		defer c.header.Set("X-User", "ann")
		c.call("tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": handle, "item": "x"}}, &r)
		if !r.IsError || !strings.Contains(r.text(), "invalid or expired handle") {
			t.Errorf("%s with handle %q: %q, want refused", who, handle, r.text())
		}
	}
	refused("bob", cart)           // another principal
	refused("ann", flip(cart))     // tampered
	refused("ann", cart[:20])      // truncated
	refused("ann", "not-a-handle") // not one of ours

	// Expiry.
	c.call("tools/call", map[string]any{"name": "open_cart", "arguments": map[string]any{"ttlMs": 1000}}, &r)
	short := r.text()
	c.call("tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": short, "item": "kiwi"}}, &r)
	if r.text() != "kiwi" {
		t.Fatalf("short-lived cart: %q", r.text())
	}
	// Handles carry their expiry in whole seconds: wait for the clock to pass it.
	time.Sleep(time.Until(time.Now().Add(time.Second).Truncate(time.Second)) + 1100*time.Millisecond)
	refused("ann", short)

	// Release: the state is gone, the handle opens empty until it expires.
	c.call("tools/call", map[string]any{"name": "close_cart", "arguments": map[string]any{"cart": cart}}, &r)
	c.call("tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": cart, "item": "plum"}}, &r)
	if r.text() != "plum" {
		t.Errorf("after release: %q", r.text())
	}

	// Handles work in the handshake era too.
	hc := htNewClient(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "")
	hc.initialize()
	res := hc.call("tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": cart, "item": "fig"}})
	if got, isErr := testkit.ToolText(t, res); !isErr || got != "fastmcp: invalid or expired handle" {
		// The session has no X-User header: another (empty) principal.
		t.Errorf("handshake era, another principal: %q", got)
	}
}

func TestBothErasOnOneEndpoint(t *testing.T) {
	t.Parallel()
	s, c, _ := mdServer(t, fastmcp.Options{}, fastmcp.HTTP{})
	legacy := htNewClient(t, c.url, fastmcp.ProtocolVersion20250618)
	legacy.initialize()
	getResp, get := legacy.openGET(nil)
	defer getResp.Body.Close()
	sr, resp, id := mdListen(t, c, map[string]any{"toolsListChanged": true}, `{"toolsListChanged":true}`)
	defer resp.Body.Close()

	// Calls of both eras, interleaved, each answered in its own revision.
	for i := 0; i < 3; i++ {
		res := legacy.call("tools/call", map[string]any{"name": "who"})
		if got, isErr := testkit.ToolText(t, res); isErr || !strings.HasPrefix(got, "2025-06-18|") || strings.Contains(string(res), "resultType") {
			t.Errorf("handshake-era call: %s", res)
		}
		var r toolResult
		c.call("tools/call", map[string]any{"name": "who"}, &r)
		if !strings.HasPrefix(r.text(), "2026-07-28|") || r.ResultType != "complete" {
			t.Errorf("2026-07-28 call: %+v", r)
		}
	}
	// A change reaches the session's GET stream and the subscription.
	s.ToolsListChanged()
	mdTagged(t, mdNext(t, c, sr), "notifications/tools/list_changed", id)
	ev := get.NextMessage(t)
	legacy.received([]byte(ev.Data))
	if m := htDecode(t, []byte(ev.Data)); m.Method != "notifications/tools/list_changed" || strings.Contains(ev.Data, "subscriptionId") {
		t.Errorf("session notification %s", ev.Data)
	}
}
