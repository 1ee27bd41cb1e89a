package main

// Tests of the auth example: the command runs as it does from the shell (its
// flags, a real listener on 127.0.0.1), and is driven over real HTTP by the
// official Go SDK client, in the handshake era (2025-11-25, sessions) and in
// the sessionless 2026-07-28 revision, and by raw requests for what a client
// library hides (status codes, challenges, session ids).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const wait = 10 * time.Second

// The two eras of the protocol the example serves.
const (
	handshakeEra   = "2025-11-25"
	sessionlessEra = "2026-07-28"
)

var eras = []string{handshakeEra, sessionlessEra}

// startServer runs the command with args (and a free port on 127.0.0.1)
// until the test ends, and returns its base URL, http://127.0.0.1:PORT.
func startServer(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args = append([]string{"--host", "127.0.0.1", "--port", "0"}, args...)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, args, func(string) string { return "" }, &stderr, fastmcptest.Logger(t), func(a net.Addr) { addrc <- a })
	}()
	select {
	case a := <-addrc:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		})
		return "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("the server did not start: %v\n%s", err, stderr.String())
	case <-time.After(wait):
		cancel()
		t.Fatal("the server did not start listening")
	}
	return ""
}

// keyTransport adds an X-API-Key header to every request, when key is set.
type keyTransport struct {
	rt  http.RoundTripper
	key string
}

func (k keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if k.key == "" {
		return k.rt.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("X-API-Key", k.key)
	return k.rt.RoundTrip(r)
}

// connect connects the Go SDK client to the server with an API key ("" for
// none), speaking protocol version version.
func connect(t testing.TB, base, key, version string) (*mcp.ClientSession, error) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "auth-example-test", Version: "1.0.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             base + "/mcp",
		HTTPClient:           &http.Client{Transport: keyTransport{tr, key}},
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { cs.Close() })
	if got := cs.InitializeResult().ProtocolVersion; got != version {
		t.Fatalf("negotiated %s, want %s", got, version)
	}
	return cs, nil
}

func mustConnect(t testing.TB, base, key, version string) *mcp.ClientSession {
	t.Helper()
	cs, err := connect(t, base, key, version)
	if err != nil {
		t.Fatalf("connect with key %q in %s: %v", key, version, err)
	}
	return cs
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// rpcError returns the JSON-RPC error in err, or fails the test.
func rpcError(t testing.TB, what string, err error) *jsonrpc.Error {
	t.Helper()
	var we *jsonrpc.Error
	if !errors.As(err, &we) {
		t.Fatalf("%s: got %v, want a JSON-RPC error", what, err)
	}
	return we
}

// structured calls a tool that must succeed and decodes its structured
// content.
func structured(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res, err := cs.CallTool(timeout(t), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: isError: %v", name, res.Content)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, b, err)
	}
	// The text block is the same JSON, for clients that ignore structured
	// content.
	if len(res.Content) != 1 {
		t.Fatalf("%s: %d content blocks, want 1", name, len(res.Content))
	}
	var fromText map[string]any
	if tc, ok := res.Content[0].(*mcp.TextContent); !ok || json.Unmarshal([]byte(tc.Text), &fromText) != nil {
		t.Fatalf("%s: the text block is not JSON: %v", name, res.Content[0])
	}
	if diff := cmp.Diff(out, fromText); diff != "" {
		t.Errorf("%s: text and structured content differ (-structured +text):\n%s", name, diff)
	}
	return out
}

// readNotes reads notes://all and returns the notes.
func readNotes(t testing.TB, cs *mcp.ClientSession) []any {
	t.Helper()
	res, err := cs.ReadResource(timeout(t), &mcp.ReadResourceParams{URI: "notes://all"})
	if err != nil {
		t.Fatalf("read notes://all: %v", err)
	}
	if len(res.Contents) != 1 || res.Contents[0].URI != "notes://all" || res.Contents[0].MIMEType != "application/json" {
		t.Fatalf("read notes://all: %+v", res.Contents)
	}
	var doc struct {
		Notes []any `json:"notes"`
	}
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &doc); err != nil || doc.Notes == nil {
		t.Fatalf("notes://all: %q: %v", res.Contents[0].Text, err)
	}
	return doc.Notes
}

// names lists what a session sees: tools, resources and prompts.
func names(t testing.TB, cs *mcp.ClientSession) (tools, resources, prompts []string) {
	t.Helper()
	tl, err := cs.ListTools(timeout(t), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	for _, x := range tl.Tools {
		tools = append(tools, x.Name)
	}
	rl, err := cs.ListResources(timeout(t), nil)
	if err != nil {
		t.Fatalf("resources/list: %v", err)
	}
	for _, x := range rl.Resources {
		resources = append(resources, x.URI)
	}
	pl, err := cs.ListPrompts(timeout(t), nil)
	if err != nil {
		t.Fatalf("prompts/list: %v", err)
	}
	for _, x := range pl.Prompts {
		prompts = append(prompts, x.Name)
	}
	return tools, resources, prompts
}

// user is one demonstration user and what it may do.
type user struct {
	name, key string
	role      string
	scopes    []string
	tools     []string // tools/list, sorted
	resources []string
	prompts   []string
	admin     bool // admin_action and admin_report
	write     bool // write_note
}

var (
	alice = user{name: "alice", key: "admin-key", role: "admin", scopes: []string{"read", "write"},
		tools: []string{"admin_action", "whoami", "write_note"}, resources: []string{"notes://all"},
		prompts: []string{"admin_report"}, admin: true, write: true}
	bob = user{name: "bob", key: "user-key", role: "user", scopes: []string{"read"},
		tools: []string{"whoami"}, resources: []string{"notes://all"}}
	users = []user{alice, bob}
)

// TestMCP drives every tool, the resource and the prompt as alice and bob,
// in both eras, with the Go SDK client.
func TestMCP(t *testing.T) {
	t.Parallel()
	for _, era := range eras {
		t.Run(era, func(t *testing.T) {
			t.Parallel()
			base := startServer(t)
			sessions := map[string]*mcp.ClientSession{}
			for _, u := range users {
				sessions[u.name] = mustConnect(t, base, u.key, era)
			}
			if era == handshakeEra && sessions["alice"].ID() == "" {
				t.Error("no session id in the handshake era")
			}
			if era == sessionlessEra && sessions["alice"].ID() != "" {
				t.Errorf("session id %q in the sessionless era", sessions["alice"].ID())
			}

			// What each user sees and may call, before any note exists.
			for _, u := range users {
				t.Run(u.name, func(t *testing.T) {
					cs := sessions[u.name]
					tools, resources, prompts := names(t, cs)
					if diff := cmp.Diff(u.tools, tools); diff != "" {
						t.Errorf("tools/list (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(u.resources, resources); diff != "" {
						t.Errorf("resources/list (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(u.prompts, prompts); diff != "" {
						t.Errorf("prompts/list (-want +got):\n%s", diff)
					}

					want := map[string]any{"userId": u.name, "role": u.role, "scopes": toAny(u.scopes)}
					if diff := cmp.Diff(want, structured(t, cs, "whoami", nil)); diff != "" {
						t.Errorf("whoami (-want +got):\n%s", diff)
					}

					if got := readNotes(t, cs); len(got) != 0 {
						t.Errorf("notes before any was written: %v", got)
					}

					// Hidden tools and prompts do not exist for the user.
					if !u.admin {
						for _, tool := range []string{"admin_action", "write_note"} {
							_, err := cs.CallTool(timeout(t), &mcp.CallToolParams{Name: tool,
								Arguments: map[string]any{"action": "ping", "text": "x"}})
							we := rpcError(t, tool, err)
							if we.Code != -32602 || !strings.Contains(we.Message, "Unknown tool") {
								t.Errorf("%s as %s: %d %q, want -32602 Unknown tool", tool, u.name, we.Code, we.Message)
							}
						}
						_, err := cs.GetPrompt(timeout(t), &mcp.GetPromptParams{Name: "admin_report"})
						we := rpcError(t, "admin_report", err)
						if we.Code != -32602 || !strings.Contains(we.Message, "admin_report") {
							t.Errorf("admin_report as %s: %d %q, want -32602 naming the prompt", u.name, we.Code, we.Message)
						}
					}
				})
			}
			if t.Failed() {
				return
			}

			// alice writes; both read the note; bob cannot write.
			as, bs := sessions["alice"], sessions["bob"]
			note := structured(t, as, "write_note", map[string]any{"text": "hello from alice"})
			wantNote := map[string]any{"id": 1.0, "author": "alice", "text": "hello from alice"}
			if diff := cmp.Diff(wantNote, note); diff != "" {
				t.Errorf("write_note (-want +got):\n%s", diff)
			}
			for _, cs := range []*mcp.ClientSession{as, bs} {
				if diff := cmp.Diff([]any{wantNote}, readNotes(t, cs)); diff != "" {
					t.Errorf("notes://all (-want +got):\n%s", diff)
				}
			}
			// Invalid arguments are a tool error, not a protocol error.
			res, err := as.CallTool(timeout(t), &mcp.CallToolParams{Name: "write_note", Arguments: map[string]any{"text": ""}})
			if err != nil || !res.IsError {
				t.Errorf("write_note with empty text: %v %+v, want isError", err, res)
			}

			// admin_action and admin_report, as alice.
			ping := structured(t, as, "admin_action", map[string]any{"action": "ping"})
			if diff := cmp.Diff(map[string]any{"action": "ping", "performedBy": "alice", "detail": "pong"}, ping); diff != "" {
				t.Errorf("admin_action ping (-want +got):\n%s", diff)
			}
			pr, err := as.GetPrompt(timeout(t), &mcp.GetPromptParams{Name: "admin_report"})
			if err != nil {
				t.Fatalf("admin_report: %v", err)
			}
			if len(pr.Messages) != 1 || pr.Messages[0].Role != "user" {
				t.Fatalf("admin_report: %+v", pr.Messages)
			}
			text := pr.Messages[0].Content.(*mcp.TextContent).Text
			for _, want := range []string{"administrator alice", "Notes (1):", "#1 by alice: hello from alice", "Admin actions (1):", "- alice: ping"} {
				if !strings.Contains(text, want) {
					t.Errorf("admin_report lacks %q:\n%s", want, text)
				}
			}
			cleared := structured(t, as, "admin_action", map[string]any{"action": "clear_notes"})
			if cleared["detail"] != "cleared 1 notes" {
				t.Errorf("admin_action clear_notes: %v", cleared)
			}
			if got := readNotes(t, bs); len(got) != 0 {
				t.Errorf("notes after clear_notes: %v", got)
			}
			// An action outside the enum is refused by the schema.
			res, err = as.CallTool(timeout(t), &mcp.CallToolParams{Name: "admin_action", Arguments: map[string]any{"action": "drop_tables"}})
			if err != nil || !res.IsError {
				t.Errorf("admin_action drop_tables: %v %+v, want isError", err, res)
			}
		})
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestConnectRefused: without a key or with a wrong one, the SDK client
// cannot connect, in either era.
func TestConnectRefused(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	for _, era := range eras {
		for _, key := range []string{"", "wrong-key", "ADMIN-KEY"} {
			t.Run(fmt.Sprintf("%s/key=%q", era, key), func(t *testing.T) {
				t.Parallel()
				if cs, err := connect(t, base, key, era); err == nil {
					t.Errorf("connected with key %q: session %q", key, cs.ID())
				}
			})
		}
	}
}

// post sends one JSON-RPC message to the MCP endpoint with the headers
// (name, value pairs) and returns the response and its body.
func post(t testing.TB, base, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: wait}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// modernRequest is a 2026-07-28 request: its body and the request metadata
// headers that mirror it.
func modernRequest(method, nameMember, name, extra string) (body string, header []string) {
	params := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},` +
		`"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}`
	header = []string{"MCP-Protocol-Version", sessionlessEra, "Mcp-Method", method}
	if nameMember != "" {
		params = fmt.Sprintf(`%q:%q,%s`, nameMember, name, params)
		header = append(header, "Mcp-Name", name)
	}
	if extra != "" {
		params = extra + "," + params
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":{%s}}`, method, params), header
}

// rpcResponse decodes a JSON-RPC response, answered as JSON or as an SSE
// stream whose last data line is the response.
func rpcResponse(t testing.TB, resp *http.Response, body []byte) (result json.RawMessage, rpcErr *jsonrpc.Error) {
	t.Helper()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var last []byte
		for line := range bytes.Lines(body) {
			if d, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:")); ok {
				last = bytes.TrimSpace(d)
			}
		}
		body = last
	}
	var m struct {
		Result json.RawMessage `json:"result"`
		Error  *jsonrpc.Error  `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON-RPC response (%d %s): %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return m.Result, m.Error
}

// item is one MCP request on one item of the example.
type item struct {
	name         string
	method       string
	nameMember   string // "name" or "uri", for the Mcp-Name header
	target       string
	extra        string // more members of params
	adminOnly    bool
	writeOnly    bool
	resultSubstr string // in the result of an allowed request
}

var items = []item{
	{name: "tools/list", method: "tools/list", resultSubstr: `"whoami"`},
	{name: "resources/list", method: "resources/list", resultSubstr: `"notes://all"`},
	{name: "prompts/list", method: "prompts/list", resultSubstr: `"prompts"`},
	{name: "whoami", method: "tools/call", nameMember: "name", target: "whoami", extra: `"arguments":{}`, resultSubstr: `"structuredContent"`},
	{name: "write_note", method: "tools/call", nameMember: "name", target: "write_note", extra: `"arguments":{"text":"raw"}`,
		writeOnly: true, resultSubstr: `"author":"alice"`},
	{name: "admin_action", method: "tools/call", nameMember: "name", target: "admin_action", extra: `"arguments":{"action":"ping"}`,
		adminOnly: true, resultSubstr: `"detail":"pong"`},
	{name: "notes://all", method: "resources/read", nameMember: "uri", target: "notes://all", resultSubstr: `notes://all`},
	{name: "admin_report", method: "prompts/get", nameMember: "name", target: "admin_report", adminOnly: true,
		resultSubstr: `Write a short status report`},
}

// TestUnauthenticated sends a request for every item, in the sessionless
// era (where each request stands alone), without a key, with a wrong key,
// with a wrong bearer token and with two different keys: each is answered 401 with a Bearer challenge
// naming the protected resource metadata, before any MCP processing.
func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	meta := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`
	creds := []struct {
		name      string
		header    []string
		challenge string
		message   string
	}{
		{"no key", nil, "Bearer " + meta, "authentication required: expected an API key in the X-API-Key or Authorization: Bearer header"},
		{"wrong key", []string{"X-API-Key", "wrong-key"},
			`Bearer error="invalid_token", error_description="invalid API key", ` + meta, "invalid API key"},
		{"empty key", []string{"X-API-Key", " "},
			`Bearer error="invalid_token", error_description="empty API key", ` + meta, "empty API key"},
		{"wrong bearer", []string{"Authorization", "Bearer wrong-key"},
			`Bearer error="invalid_token", error_description="bearer token is not a known API key", ` + meta, "bearer token is not a known API key"},
		{"basic auth", []string{"Authorization", "Basic YWxpY2U6YWRtaW4ta2V5"},
			`Bearer error="invalid_token", error_description="unsupported credentials: expected an API key in the X-API-Key or Authorization: Bearer header", ` + meta,
			"unsupported credentials"},
		// Two valid keys of different users: which one counts would be a
		// guess, so neither does.
		{"two different keys", []string{"X-API-Key", "user-key", "Authorization", "Bearer admin-key"},
			`Bearer error="invalid_request", error_description="the request presents two different credentials (Authorization: Bearer and X-API-Key): send only one", ` + meta,
			"two different credentials"},
	}
	for _, it := range items {
		for _, c := range creds {
			t.Run(it.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				body, header := modernRequest(it.method, it.nameMember, it.target, it.extra)
				resp, b := post(t, base, body, append(header, c.header...)...)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401: %s", resp.StatusCode, b)
				}
				if got := resp.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{c.challenge}) {
					t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
				}
				_, e := rpcResponse(t, resp, b)
				if e == nil || e.Code != -32600 || !strings.Contains(e.Message, c.message) {
					t.Errorf("error %+v, want -32600 with %q", e, c.message)
				}
				if strings.Contains(string(b), "wrong-key") {
					t.Errorf("the answer echoes the key: %s", b)
				}
			})
		}
	}
	// The same requests with the right keys are served: the failures above
	// are the credentials', not the requests'.
	for _, it := range items {
		for _, u := range users {
			t.Run(it.name+"/"+u.name, func(t *testing.T) {
				t.Parallel()
				body, header := modernRequest(it.method, it.nameMember, it.target, it.extra)
				resp, b := post(t, base, body, append(header, "X-API-Key", u.key)...)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, b)
				}
				res, e := rpcResponse(t, resp, b)
				hidden := (it.adminOnly && !u.admin) || (it.writeOnly && !u.write)
				switch {
				case hidden && (e == nil || e.Code != -32602):
					t.Errorf("%s as %s: %s, want error -32602", it.name, u.name, b)
				case !hidden && (e != nil || !strings.Contains(string(res), it.resultSubstr)):
					t.Errorf("%s as %s: %s, want a result with %s", it.name, u.name, b, it.resultSubstr)
				}
			})
		}
	}
}

// handshake opens a handshake-era session with raw requests and returns its
// id.
func handshake(t testing.TB, base, key string) string {
	t.Helper()
	resp, b := post(t, base, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
		`"capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`, "X-API-Key", key)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("initialize: %d %s", resp.StatusCode, b)
	}
	if res, e := rpcResponse(t, resp, b); e != nil || !strings.Contains(string(res), `"protocolVersion":"2025-11-25"`) {
		t.Fatalf("initialize: %s", b)
	}
	id := resp.Header.Get("Mcp-Session-Id")
	if id == "" {
		t.Fatal("initialize: no Mcp-Session-Id")
	}
	resp, b = post(t, base, `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		"X-API-Key", key, "Mcp-Session-Id", id, "MCP-Protocol-Version", handshakeEra)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %d %s", resp.StatusCode, b)
	}
	return id
}

// TestSessionBinding: a handshake-era session started with alice's key
// serves only alice's key. Another user's key on it is refused with 403 (a
// stolen session id is useless without the key), no key or a wrong key with
// 401, for every item; the session keeps serving alice afterwards.
func TestSessionBinding(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	id := handshake(t, base, "admin-key")
	meta := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`
	creds := []struct {
		name      string
		header    []string
		status    int
		challenge string
	}{
		{"bob's key", []string{"X-API-Key", "user-key"}, http.StatusForbidden, ""},
		{"bob's key as bearer", []string{"Authorization", "Bearer user-key"}, http.StatusForbidden, ""},
		{"no key", nil, http.StatusUnauthorized, "Bearer " + meta},
		{"wrong key", []string{"X-API-Key", "wrong-key"}, http.StatusUnauthorized,
			`Bearer error="invalid_token", error_description="invalid API key", ` + meta},
	}
	for i, it := range items {
		params := it.extra
		if it.nameMember != "" {
			params = strings.Trim(fmt.Sprintf(`%q:%q,%s`, it.nameMember, it.target, params), ",")
		}
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{%s}}`, i+1, it.method, params)
		session := []string{"Mcp-Session-Id", id, "MCP-Protocol-Version", handshakeEra}
		for _, c := range creds {
			resp, b := post(t, base, body, append(slices.Clone(session), c.header...)...)
			if resp.StatusCode != c.status {
				t.Errorf("%s with %s on alice's session: %d, want %d: %s", it.name, c.name, resp.StatusCode, c.status, b)
				continue
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("%s with %s: WWW-Authenticate %q, want %q", it.name, c.name, got, c.challenge)
			}
			if _, e := rpcResponse(t, resp, b); e == nil {
				t.Errorf("%s with %s: no JSON-RPC error: %s", it.name, c.name, b)
			} else if c.status == http.StatusForbidden && !strings.Contains(e.Message, "do not match the session") {
				t.Errorf("%s with %s: %q", it.name, c.name, e.Message)
			}
		}
		// alice herself is still served on her session.
		resp, b := post(t, base, body, append(slices.Clone(session), "X-API-Key", "admin-key")...)
		if res, e := rpcResponse(t, resp, b); resp.StatusCode != http.StatusOK || e != nil || !strings.Contains(string(res), it.resultSubstr) {
			t.Errorf("%s as alice on her session: %d %s", it.name, resp.StatusCode, b)
		}
	}
	// The same session id with alice's key as a bearer token is alice.
	resp, b := post(t, base, `{"jsonrpc":"2.0","id":99,"method":"tools/list"}`,
		"Mcp-Session-Id", id, "MCP-Protocol-Version", handshakeEra, "Authorization", "Bearer admin-key")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"admin_action"`) {
		t.Errorf("alice's key as bearer on her session: %d %s", resp.StatusCode, b)
	}
}

// get sends a GET with the headers and decodes a JSON answer.
func get(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

// TestRoutes checks the custom routes: /api/status is public, /api/me
// needs a key and answers its user, never the key.
func TestRoutes(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	meta := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`
	aliceInfo := map[string]any{"userId": "alice", "role": "admin", "scopes": []any{"read", "write"}}
	bobInfo := map[string]any{"userId": "bob", "role": "user", "scopes": []any{"read"}}
	for _, tc := range []struct {
		name      string
		path      string
		header    []string
		status    int
		want      map[string]any // the JSON body of a 200
		challenge string
	}{
		{"status anonymous", "/api/status", nil, 200, map[string]any{"ok": true}, ""},
		{"status alice", "/api/status", []string{"X-API-Key", "admin-key"}, 200, map[string]any{"ok": true}, ""},
		{"status wrong key", "/api/status", []string{"X-API-Key", "wrong-key"}, 200, map[string]any{"ok": true}, ""},
		{"me alice", "/api/me", []string{"X-API-Key", "admin-key"}, 200, aliceInfo, ""},
		{"me bob", "/api/me", []string{"X-API-Key", "user-key"}, 200, bobInfo, ""},
		{"me bob bearer", "/api/me", []string{"Authorization", "Bearer user-key"}, 200, bobInfo, ""},
		{"me anonymous", "/api/me", nil, 401, nil, "Bearer " + meta},
		{"me wrong key", "/api/me", []string{"X-API-Key", "wrong-key"}, 401, nil,
			`Bearer error="invalid_token", error_description="invalid API key", ` + meta},
		{"me wrong bearer", "/api/me", []string{"Authorization", "Bearer wrong-key"}, 401, nil,
			`Bearer error="invalid_token", error_description="bearer token is not a known API key", ` + meta},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, b := get(t, base+tc.path, tc.header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			for _, key := range []string{"admin-key", "user-key", "wrong-key"} {
				if strings.Contains(string(b), key) {
					t.Errorf("the answer contains a key: %s", b)
				}
			}
			if tc.status != 200 {
				var e struct{ Error *jsonrpc.Error }
				if json.Unmarshal(b, &e) != nil || e.Error == nil {
					t.Errorf("no JSON-RPC error body: %s", b)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%q: %v", b, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiscovery validates the protected resource metadata field by field, at
// both paths, with the default configuration and with the flags, and follows
// the resource_metadata URL of a 401 challenge.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want func(base string) map[string]any
		meta func(base string) string // resource_metadata of a challenge
	}{
		{
			name: "defaults",
			want: func(base string) map[string]any {
				return map[string]any{
					"resource":                 base + "/mcp", // as the client reached it
					"scopes_supported":         []any{"read", "write"},
					"bearer_methods_supported": []any{"header"},
					"resource_name":            "FastMCP auth example",
				}
			},
			meta: func(base string) string { return base + "/.well-known/oauth-protected-resource/mcp" },
		},
		{
			name: "flags",
			args: []string{"--resource", "https://mcp.example.com/mcp",
				"--authorization-server", "https://auth.example.com, https://login.example.com",
				"--authorization-server", "https://sso.example.com", "--resource-name", "Team notes"},
			want: func(string) map[string]any {
				return map[string]any{
					"resource":                 "https://mcp.example.com/mcp",
					"authorization_servers":    []any{"https://auth.example.com", "https://login.example.com", "https://sso.example.com"},
					"scopes_supported":         []any{"read", "write"},
					"bearer_methods_supported": []any{"header"},
					"resource_name":            "Team notes",
				}
			},
			meta: func(string) string { return "https://mcp.example.com/.well-known/oauth-protected-resource/mcp" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := startServer(t, tc.args...)
			want := tc.want(base)
			for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
				// Public: no key, or even a wrong one, is fine.
				for _, header := range [][]string{nil, {"X-API-Key", "wrong-key"}} {
					resp, b := get(t, base+path, header...)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
					}
					for h, v := range map[string]string{"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"} {
						if got := resp.Header.Get(h); got != v {
							t.Errorf("GET %s: %s %q, want %q", path, h, got, v)
						}
					}
					var got map[string]any
					if err := json.Unmarshal(b, &got); err != nil {
						t.Fatalf("GET %s: %q: %v", path, b, err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("GET %s (-want +got):\n%s", path, diff)
					}
				}
				// A browser's preflight and a POST.
				req, _ := http.NewRequest(http.MethodOptions, base+path, nil)
				req.Header.Set("Origin", "https://app.example.com")
				req.Header.Set("Access-Control-Request-Method", "GET")
				if resp, b := do(t, req); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("OPTIONS %s: %d %v %s", path, resp.StatusCode, resp.Header, b)
				}
				req, _ = http.NewRequest(http.MethodPost, base+path, nil)
				if resp, b := do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("POST %s: %d %s", path, resp.StatusCode, b)
				}
			}
			// No authorization server metadata: this server is not one.
			if resp, b := get(t, base+"/.well-known/oauth-authorization-server"); resp.StatusCode == http.StatusOK {
				t.Errorf("authorization server metadata served: %s", b)
			}

			// A 401 names the metadata; by default it can be followed.
			resp, b := get(t, base+"/api/me")
			wantChallenge := `Bearer resource_metadata="` + tc.meta(base) + `"`
			if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || got != wantChallenge {
				t.Fatalf("/api/me without a key: %d %q %s, want 401 %q", resp.StatusCode, got, b, wantChallenge)
			}
			if strings.HasPrefix(tc.meta(base), base) {
				resp, b := get(t, tc.meta(base))
				var got map[string]any
				if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got["resource"] != want["resource"] {
					t.Errorf("following resource_metadata: %d %s", resp.StatusCode, b)
				}
			}
		})
	}
}

// TestKeysFile replaces the demonstration keys with a key file, in both of
// its formats.
func TestKeysFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, contents string }{
		{"json", `{"ops-key": {"subject": "carol", "roles": ["admin"], "scopes": ["read", "write"]},
		           "ro-key": {"subject": "dave", "scopes": ["read"]},
		           "no-key": {"subject": "hank"}}`},
		{"lines", "# the team's keys\nops-key carol admin read,write\nro-key dave - read\nno-key hank\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "keys")
			if err := os.WriteFile(file, []byte(tc.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			base := startServer(t, "--keys", file)
			for key, want := range map[string]map[string]any{
				"ops-key": {"userId": "carol", "role": "admin", "scopes": []any{"read", "write"}},
				"ro-key":  {"userId": "dave", "role": "", "scopes": []any{"read"}},
				"no-key":  {"userId": "hank", "role": "", "scopes": []any{}},
			} {
				resp, b := get(t, base+"/api/me", "X-API-Key", key)
				var got map[string]any
				if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil {
					t.Fatalf("/api/me with %s: %d %s", key, resp.StatusCode, b)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("/api/me with %s (-want +got):\n%s", key, diff)
				}
			}
			// The demonstration keys are gone.
			if resp, b := get(t, base+"/api/me", "X-API-Key", "admin-key"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("admin-key with a key file: %d %s", resp.StatusCode, b)
			}
			// carol is an admin, dave has no role: the access checks follow.
			for _, era := range eras {
				carol := mustConnect(t, base, "ops-key", era)
				dave := mustConnect(t, base, "ro-key", era)
				if tools, _, prompts := names(t, carol); !slices.Equal(tools, alice.tools) || !slices.Equal(prompts, alice.prompts) {
					t.Errorf("%s: carol sees %v %v", era, tools, prompts)
				}
				if tools, resources, prompts := names(t, dave); !slices.Equal(tools, bob.tools) || !slices.Equal(resources, bob.resources) || len(prompts) != 0 {
					t.Errorf("%s: dave sees %v %v %v", era, tools, resources, prompts)
				}
				// hank has no scope: notes://all does not exist for him.
				hank := mustConnect(t, base, "no-key", era)
				if tools, resources, prompts := names(t, hank); !slices.Equal(tools, []string{"whoami"}) || len(resources) != 0 || len(prompts) != 0 {
					t.Errorf("%s: hank sees %v %v %v", era, tools, resources, prompts)
				}
				_, err := hank.ReadResource(timeout(t), &mcp.ReadResourceParams{URI: "notes://all"})
				wantCode := int64(-32002) // the handshake era's resource not found
				if era == sessionlessEra {
					wantCode = -32602
				}
				if we := rpcError(t, "notes://all as hank", err); we.Code != wantCode || !strings.Contains(we.Message, "Resource not found: notes://all") {
					t.Errorf("%s: notes://all as hank: %d %q, want %d Resource not found", era, we.Code, we.Message, wantCode)
				}
			}
		})
	}
}

// TestKeysEnv reads keys from an environment variable, merged with a file.
func TestKeysEnv(t *testing.T) {
	// t.Setenv: not parallel. (APIKeys reads the variable itself.)
	t.Setenv("AUTH_EXAMPLE_TEST_KEYS", "env-key erin admin read,write; env-ro frank user read")
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("file-key gina user read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, "--keys-env", "AUTH_EXAMPLE_TEST_KEYS", "--keys", file)
	for key, user := range map[string]string{"env-key": "erin", "env-ro": "frank", "file-key": "gina"} {
		resp, b := get(t, base+"/api/me", "X-API-Key", key)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"userId":"`+user+`"`) {
			t.Errorf("/api/me with %s: %d %s, want %s", key, resp.StatusCode, b, user)
		}
	}
	cs := mustConnect(t, base, "env-key", sessionlessEra)
	if got := structured(t, cs, "whoami", nil); got["userId"] != "erin" || got["role"] != "admin" {
		t.Errorf("whoami with env-key: %v", got)
	}
	if resp, _ := get(t, base+"/api/me", "X-API-Key", "user-key"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("user-key with --keys-env: %d", resp.StatusCode)
	}
}

// TestFlags checks the defaults and the command-line errors.
func TestFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.host != "127.0.0.1" || cfg.port != 8080 || cfg.keysFile != "" || cfg.keysEnv != "" || cfg.resource != "" || cfg.authServers != nil {
		t.Errorf("defaults: %+v; want 127.0.0.1:8080, the demonstration keys, a derived resource", cfg)
	}
	env := map[string]string{"FASTMCP_HOST": "localhost", "FASTMCP_PORT": "9090"}
	cfg, err = parseFlags(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.host != "localhost" || cfg.port != 9090 {
		t.Errorf("from the environment: %+v %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"--host=::1", "--port", "7000"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.host != "::1" || cfg.port != 7000 {
		t.Errorf("flags over the environment: %+v %v", cfg, err)
	}

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad port", []string{"--port", "70000"}, nil, "invalid port"},
		{"bad port variable", nil, map[string]string{"FASTMCP_PORT": "http"}, "FASTMCP_PORT"},
		{"unknown flag", []string{"--transport", "stdio"}, nil, "flag provided but not defined"},
		{"argument", []string{"serve"}, nil, "unexpected arguments"},
		{"missing key file", []string{"--keys", filepath.Join(t.TempDir(), "none")}, nil, "API key file"},
		{"unset key variable", []string{"--keys-env", "AUTH_EXAMPLE_UNSET_VARIABLE"}, nil, "is not set"},
		{"help", []string{"-h"}, nil, "help requested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr bytes.Buffer
			err := run(ctx, tc.args, func(k string) string { return tc.env[k] }, &stderr, fastmcptest.Logger(t),
				func(net.Addr) { cancel() }) // it must not get that far
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run %q: %v, want an error with %q", tc.args, err, tc.want)
			}
		})
	}
}
