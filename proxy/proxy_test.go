package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Eras of the downstream Go SDK client.
const (
	handshake = "2025-11-25"
	modern    = "2026-07-28"
)

// upKind is an upstream of the functional tests: the fixture in process over
// Streamable HTTP, or as a child process over stdio, in either era.
type upKind struct {
	name    string
	stdio   bool
	version string
	sse     bool // the legacy HTTP+SSE transport
}

var upKinds = []upKind{
	{"http", false, handshake, false},
	{"stdio", true, handshake, false},
	{"http-2026", false, "", false}, // the default: the fixture serves 2026-07-28
	{"stdio-2026", true, "", false},
	{"sse", false, "2024-11-05", true},
}

// setup is a proxy of the fixture served over HTTP.
type setup struct {
	p   *proxy.Proxy
	url string
	fx  *fixture  // nil for a stdio upstream
	up  *upstream // nil for a stdio upstream
}

func fixtureUpstream(t testing.TB, k upKind) (proxy.Upstream, *fixture, *upstream) {
	t.Helper()
	if k.stdio {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		return proxy.Upstream{Command: []string{self}, Env: []string{fixtureEnv + "=1"}, ProtocolVersion: k.version, Stderr: &syncBuffer{}}, nil, nil
	}
	fx := newFixture()
	up := serveUpstream(t, fx.server, fastmcp.HTTP{})
	if k.sse {
		return proxy.Upstream{URL: strings.TrimSuffix(up.url, "/mcp") + "/sse", SSE: true, ProtocolVersion: k.version}, fx, up
	}
	return proxy.Upstream{URL: up.url, ProtocolVersion: k.version}, fx, up
}

func newSetup(t testing.TB, k upKind, opts proxy.Options) *setup {
	t.Helper()
	upOpts, fx, up := fixtureUpstream(t, k)
	opts.Upstream = upOpts
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	p := newProxy(t, opts)
	return &setup{p: p, url: serveProxy(t, p.Server(), fastmcp.HTTP{}), fx: fx, up: up}
}

func call(t testing.TB, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

// normalize decodes v's JSON into plain values, for comparisons.
func normalize(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMirror lists the proxy's components and the upstream's own with the
// Go SDK client, in both eras of the client, and finds them the same:
// names, titles, descriptions, schemas, annotations, _meta.
func TestMirror(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		for _, era := range []string{handshake, modern} {
			t.Run(k.name+"/client-"+era, func(t *testing.T) {
				t.Parallel()
				st := newSetup(t, k, proxy.Options{})
				viaProxy := connect(t, st.url, era, nil)
				var direct *mcp.ClientSession
				switch {
				case k.sse:
					// What the proxy saw: the upstream in 2024-11-05, whose
					// lists lack the members of later revisions.
					c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1.0.0"}, nil)
					cs, err := c.Connect(t.Context(), &mcp.SSEClientTransport{Endpoint: strings.TrimSuffix(st.up.url, "/mcp") + "/sse"}, &mcp.ClientSessionOptions{ProtocolVersion: k.version})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { cs.Close() })
					direct = cs
				case st.up != nil:
					direct = connect(t, st.up.url, era, nil)
				default:
					// The stdio fixture in process, for reference.
					fx := newFixture()
					direct = connect(t, serveUpstream(t, fx.server, fastmcp.HTTP{}).url, era, nil)
				}
				ctx := t.Context()
				type lister func(*mcp.ClientSession) any
				lists := map[string]lister{
					"tools": func(cs *mcp.ClientSession) any {
						var out []*mcp.Tool
						for v, err := range cs.Tools(ctx, nil) {
							if err != nil {
								t.Fatal(err)
							}
							out = append(out, v)
						}
						return out
					},
					"resources": func(cs *mcp.ClientSession) any {
						var out []*mcp.Resource
						for v, err := range cs.Resources(ctx, nil) {
							if err != nil {
								t.Fatal(err)
							}
							out = append(out, v)
						}
						return out
					},
					"templates": func(cs *mcp.ClientSession) any {
						var out []*mcp.ResourceTemplate
						for v, err := range cs.ResourceTemplates(ctx, nil) {
							if err != nil {
								t.Fatal(err)
							}
							out = append(out, v)
						}
						return out
					},
					"prompts": func(cs *mcp.ClientSession) any {
						var out []*mcp.Prompt
						for v, err := range cs.Prompts(ctx, nil) {
							if err != nil {
								t.Fatal(err)
							}
							out = append(out, v)
						}
						return out
					},
				}
				for _, name := range slices.Sorted(maps.Keys(lists)) {
					got, want := normalize(t, lists[name](viaProxy)), normalize(t, lists[name](direct))
					if !reflect.DeepEqual(got, want) {
						gb, _ := json.MarshalIndent(got, "", " ")
						wb, _ := json.MarshalIndent(want, "", " ")
						t.Errorf("%s through the proxy differ from the upstream's:\n got: %s\nwant: %s", name, gb, wb)
					}
				}
				info := viaProxy.InitializeResult()
				wantTitle := "The fixture"
				if k.sse {
					wantTitle = "" // not in 2024-11-05
				}
				if info.ServerInfo == nil || info.ServerInfo.Name != "fixture" || info.ServerInfo.Version != "2.0.1" || info.ServerInfo.Title != wantTitle {
					t.Errorf("serverInfo %+v, want the upstream's", info.ServerInfo)
				}
				if era == handshake && info.Instructions != "Use the fixture's tools." {
					t.Errorf("instructions %q, want the upstream's", info.Instructions)
				}
			})
		}
	}
}

// TestCalls calls each kind of component through the proxy: results,
// structured output, tool errors, JSON-RPC errors (code, message and data
// kept), resources (text and binary), templates, prompts and completion.
func TestCalls(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		for _, era := range []string{handshake, modern} {
			t.Run(k.name+"/client-"+era, func(t *testing.T) {
				t.Parallel()
				st := newSetup(t, k, proxy.Options{})
				cs := connect(t, st.url, era, nil)
				ctx := t.Context()
				if got := textOf(t, call(t, cs, "echo", map[string]any{"text": "héllo"})); got != "héllo" {
					t.Errorf("echo: %q", got)
				}
				// 2024-11-05 (the legacy SSE upstream) has no structured
				// output and no completion: the proxy gets neither.
				old := k.version == "2024-11-05"
				res := call(t, cs, "sum", map[string]any{"values": []float64{1, 2, 3.5}})
				if got := normalize(t, res.StructuredContent); !old && !reflect.DeepEqual(got, map[string]any{"sum": 6.5}) {
					t.Errorf("sum: structured %v", got)
				}
				if got := textOf(t, res); got != `{"sum":6.5}` {
					t.Errorf("sum: text %q", got)
				}
				if res := call(t, cs, "fail", nil); !res.IsError || textOf(t, res) != "it failed on purpose" {
					t.Errorf("fail: %+v", res)
				}
				// Arguments the schema refuses: answered by the upstream's
				// schema, mirrored.
				if res := call(t, cs, "echo", map[string]any{"text": ""}); !res.IsError {
					t.Errorf("echo with an empty text: %+v, want isError", res)
				}
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "protocol_error"})
				var we *jsonrpc.Error
				if !errors.As(err, &we) || we.Code != -32042 || we.Message != "go elsewhere first" || !strings.Contains(string(we.Data), "example.com") {
					t.Errorf("protocol_error: %v (%#v), want code -32042 with its message and data", err, we)
				}

				rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://static"})
				if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != "hello world" || rr.Contents[0].MIMEType != "text/plain" {
					t.Errorf("read test://static: %v %+v", err, rr)
				}
				rr, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://blob"})
				if err != nil || len(rr.Contents) != 1 || string(rr.Contents[0].Blob) != "\x00\x01\x02\xff" {
					t.Errorf("read test://blob: %v %+v", err, rr)
				}
				rr, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://items/beta"})
				if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != `{"id":"beta"}` || rr.Contents[0].URI != "test://items/beta" {
					t.Errorf("read test://items/beta: %v %+v", err, rr)
				}
				if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://nowhere"}); err == nil {
					t.Errorf("read test://nowhere: no error")
				}

				gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "Ada", "style": "formal"}})
				if err != nil || len(gp.Messages) != 1 || gp.Messages[0].Content.(*mcp.TextContent).Text != "Greet Ada (formal)" {
					t.Errorf("prompts/get greet: %v %+v", err, gp)
				}
				if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet"}); err == nil {
					t.Errorf("prompts/get greet without its required argument: no error")
				}

				for _, tc := range []struct {
					ref  *mcp.CompleteReference
					arg  string
					want []string
				}{
					{&mcp.CompleteReference{Type: "ref/prompt", Name: "greet"}, "style", []string{"formal"}},
					{&mcp.CompleteReference{Type: "ref/resource", URI: "test://items/{id}"}, "id", []string{"gamma"}},
				} {
					if old {
						break
					}
					value := tc.want[0][:2]
					cr, err := cs.Complete(ctx, &mcp.CompleteParams{Ref: tc.ref, Argument: mcp.CompleteParamsArgument{Name: tc.arg, Value: value}})
					if err != nil || !slices.Equal(cr.Completion.Values, tc.want) {
						t.Errorf("complete %s %q: %v %+v, want %v", tc.arg, value, err, cr, tc.want)
					}
				}
			})
		}
	}
}

// TestListChanged changes the upstream's lists: the proxy's clients are told
// (in both eras) and list the new components, and calls reach them; when
// they go, they are gone from the proxy too.
func TestListChanged(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		for _, era := range []string{handshake, modern} {
			t.Run(k.name+"/client-"+era, func(t *testing.T) {
				t.Parallel()
				st := newSetup(t, k, proxy.Options{})
				toolsChanged := make(chan struct{}, 16)
				resourcesChanged := make(chan struct{}, 16)
				promptsChanged := make(chan struct{}, 16)
				cs := connect(t, st.url, era, &mcp.ClientOptions{
					ToolListChangedHandler:     func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- struct{}{} },
					ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { resourcesChanged <- struct{}{} },
					PromptListChangedHandler:   func(context.Context, *mcp.PromptListChangedRequest) { promptsChanged <- struct{}{} },
				})
				names := func() []string {
					var out []string
					for tool, err := range cs.Tools(t.Context(), nil) {
						if err != nil {
							t.Fatal(err)
						}
						out = append(out, tool.Name)
					}
					return out
				}
				if slices.Contains(names(), "dyn") {
					t.Fatal("dyn is listed before it exists")
				}
				call(t, cs, "mutate", map[string]any{"add": true})
				waitFor(t, toolsChanged, "tools/list_changed after an addition")
				waitFor(t, resourcesChanged, "resources/list_changed after an addition")
				waitFor(t, promptsChanged, "prompts/list_changed after an addition")
				if !slices.Contains(names(), "dyn") {
					t.Fatalf("dyn is not listed after the upstream added it: %v", names())
				}
				if got := textOf(t, call(t, cs, "dyn", nil)); got != "dyn!" {
					t.Errorf("dyn: %q", got)
				}
				rr, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: "test://dyn"})
				if err != nil || rr.Contents[0].Text != "dyn resource" {
					t.Errorf("read test://dyn: %v %+v", err, rr)
				}
				drain(toolsChanged)
				call(t, cs, "mutate", map[string]any{"add": false})
				waitFor(t, toolsChanged, "tools/list_changed after a removal")
				if slices.Contains(names(), "dyn") {
					t.Fatalf("dyn is still listed after the upstream removed it")
				}
				if res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "dyn"}); err == nil && !res.IsError {
					t.Errorf("dyn can still be called: %+v", res)
				}
			})
		}
	}
}

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestPooling makes many calls, one after the other and concurrently, and
// counts the upstream's initialize requests: sessions are opened up to
// MaxSessions, during the first wave, and never again.
func TestPooling(t *testing.T) {
	t.Parallel()
	for _, k := range upKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			const maxSessions = 3
			st := newSetup(t, k, proxy.Options{MaxSessions: maxSessions})
			// The proxy's own session declares every capability; over
			// HTTP, calls from clients declaring other capabilities use
			// sessions declaring theirs (one pool per set), over stdio
			// the one pool.
			extra := int64(1)
			if k.stdio || k.version == "" {
				extra = 0 // stdio, or 2026-07-28: capabilities travel with each request
			}
			if k.sse {
				t.Skip("legacy SSE: the pool is the same as over Streamable HTTP")
			}
			cs := connect(t, st.url, handshake, nil)
			for i := range 50 {
				if got := textOf(t, call(t, cs, "echo", map[string]any{"text": fmt.Sprint(i)})); got != fmt.Sprint(i) {
					t.Fatalf("echo %d: %q", i, got)
				}
			}
			if n := st.p.Stats().SessionsOpened; n != 1+extra {
				t.Errorf("sequential calls opened %d upstream sessions, want %d", n, 1+extra)
			}
			wave := func() {
				var wg sync.WaitGroup
				clients := make([]*mcp.ClientSession, 8)
				for i := range clients {
					clients[i] = connect(t, st.url, handshake, nil)
				}
				for i, c := range clients {
					wg.Go(func() {
						for j := range 20 {
							res, err := c.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": fmt.Sprint(i, j)}})
							if err != nil || res.IsError {
								t.Errorf("echo: %v %+v", err, res)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			wave()
			opened := st.p.Stats().SessionsOpened
			if opened > maxSessions+extra {
				t.Errorf("%d upstream sessions opened, want at most %d", opened, maxSessions+extra)
			}
			wave()
			if again := st.p.Stats().SessionsOpened; again != opened {
				t.Errorf("a second wave opened %d more upstream sessions; want none after the warm-up", again-opened)
			}
			if st.up != nil && k.version == handshake {
				if got := st.up.sessions.Load(); got != opened {
					t.Errorf("the upstream counted %d initialize requests, the proxy %d sessions", got, opened)
				}
			}
		})
	}
}
