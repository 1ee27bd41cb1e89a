package redisstore_test

// Clustered mode end to end: replicas of a server (./internal/replica) as
// separate OS processes sharing a real redis-server, some scenarios through a
// round-robin proxy without affinity (internal/clustertest), others aimed at
// one replica's address to put a session's parts on chosen replicas.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// replicaBin is the replica program, built once for the test binary into a
// directory TestMain removes.
var replicaBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func buildReplica(t *testing.T) string {
	t.Helper()
	replicaBin.once.Do(func() {
		replicaBin.dir, replicaBin.err = os.MkdirTemp("", "fastmcp-replica")
		if replicaBin.err != nil {
			return
		}
		replicaBin.path = filepath.Join(replicaBin.dir, "replica")
		out, err := exec.Command("go", "build", "-o", replicaBin.path, "github.com/fastmcp-go/fastmcp/redisstore/internal/replica").CombinedOutput()
		if err != nil {
			replicaBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if replicaBin.err != nil {
		t.Fatal(replicaBin.err)
	}
	return replicaBin.path
}

// procCluster is a cluster of replica processes on one Redis (under a prefix
// of its own) behind a round-robin proxy.
type procCluster struct {
	t      *testing.T
	redis  *redistest.Server
	prefix string
	procs  []*clustertest.Replica
	proxy  *clustertest.Proxy
}

// startReplicas starts n replicas named r0, r1...; fast makes a dead
// replica known as such within half a second.
func startReplicas(t *testing.T, redis *redistest.Server, n int, fast bool) *procCluster {
	t.Helper()
	bin := buildReplica(t)
	c := &procCluster{t: t, redis: redis, prefix: prefix()}
	var backends []string
	for i := range n {
		env := []string{"FASTMCP_REDIS_URL=" + redis.URL(), "FASTMCP_REDIS_PREFIX=" + c.prefix,
			"FASTMCP_SECRET=cluster-test-secret-0123456789abcdef", "REPLICA_NAME=r" + strconv.Itoa(i),
			"FASTMCP_LOG_LEVEL=warn"}
		if fast {
			env = append(env, "REPLICA_FAST=1")
		}
		p := clustertest.Start(t, bin, env...)
		c.procs = append(c.procs, p)
		backends = append(backends, p.Base)
	}
	c.proxy = clustertest.NewProxy(t, backends...)
	return c
}

// url is replica i's MCP endpoint; -1 is the proxy's.
func (c *procCluster) url(i int) string {
	if i < 0 {
		return c.proxy.URL + "/mcp"
	}
	return c.procs[i].URL
}

// rmsg is a JSON-RPC message as the tests read it.
type rmsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decode(t testing.TB, raw string) rmsg {
	t.Helper()
	var m rmsg
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("not a JSON-RPC message: %v\n%s", err, raw)
	}
	return m
}

// rclient is a raw Streamable HTTP client of one session, aimed at one URL.
type rclient struct {
	t     testing.TB
	url   string
	sid   string
	token string
	next  *atomic.Int64 // shared by the copies of one session's client
}

const rev = "2025-11-25"

func newClient(t testing.TB, url string) *rclient {
	return &rclient{t: t, url: url, next: new(atomic.Int64)}
}

// at returns the session's client aimed at another URL.
func (c *rclient) at(url string) *rclient {
	cp := *c
	cp.url = url
	return &cp
}

// as returns the session's client with another user's token.
func (c *rclient) as(token string) *rclient {
	cp := *c
	cp.token = token
	return &cp
}

func (c *rclient) do(method string, body []byte, hdr map[string]string) *http.Response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(c.t.Context(), method, c.url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	if method == http.MethodGet {
		r.Header.Set("Accept", "text/event-stream")
	}
	if c.sid != "" {
		r.Header.Set("Mcp-Session-Id", c.sid)
		r.Header.Set("MCP-Protocol-Version", rev)
	}
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, c.url, err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (c *rclient) post(msg []byte) *http.Response {
	c.t.Helper()
	return c.do(http.MethodPost, msg, nil)
}

// send POSTs a request and returns its id and the answer.
func (c *rclient) send(method string, params any) (int64, *http.Response) {
	c.t.Helper()
	id := c.next.Add(1)
	return id, c.post(testkit.Encode(id, method, params))
}

// answer reads the answer of request id from a POST's response (JSON, or
// an SSE stream whose other messages are skipped).
func (c *rclient) answer(id int64, resp *http.Response) rmsg {
	c.t.Helper()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("request %d: status %d: %s", id, resp.StatusCode, body)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		body, _ := io.ReadAll(resp.Body)
		return decode(c.t, string(body))
	}
	sr := testkit.NewSSEReader(resp.Body)
	for {
		m := decode(c.t, sr.NextMessage(c.t).Data)
		if string(m.ID) == strconv.FormatInt(id, 10) && m.Method == "" {
			return m
		}
	}
}

// call sends a request and returns its result.
func (c *rclient) call(method string, params any) json.RawMessage {
	c.t.Helper()
	id, resp := c.send(method, params)
	m := c.answer(id, resp)
	if m.Error != nil || m.Result == nil {
		c.t.Fatalf("%s: %+v", method, m)
	}
	return m.Result
}

// tool calls a tool and returns the text of its result.
func (c *rclient) tool(name string, args map[string]any) string {
	c.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	text, isErr := testkit.ToolText(c.t, c.call("tools/call", map[string]any{"name": name, "arguments": args}))
	if isErr {
		c.t.Fatalf("tool %s: %s", name, text)
	}
	return text
}

// initialize runs initialize (and notifications/initialized unless only)
// with the client capabilities caps.
func (c *rclient) initialize(caps map[string]any, only bool) {
	c.t.Helper()
	if caps == nil {
		caps = map[string]any{}
	}
	id, resp := c.send("initialize", map[string]any{"protocolVersion": rev, "capabilities": caps,
		"clientInfo": map[string]any{"name": "cluster-test", "version": "1"}})
	if m := c.answer(id, resp); m.Result == nil {
		c.t.Fatalf("initialize: %+v", m)
	}
	if c.sid = resp.Header.Get("Mcp-Session-Id"); c.sid == "" {
		c.t.Fatal("initialize: no session id")
	}
	if !only {
		if r := c.post(testkit.Encode(0, "notifications/initialized", nil)); r.StatusCode != http.StatusAccepted {
			c.t.Fatalf("notifications/initialized: %d", r.StatusCode)
		}
	}
}

// get opens the session's GET stream (hdr: e.g. Last-Event-ID).
func (c *rclient) get(hdr map[string]string) (*http.Response, *testkit.SSEReader) {
	c.t.Helper()
	resp := c.do(http.MethodGet, nil, hdr)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("GET: %d %s", resp.StatusCode, body)
	}
	return resp, testkit.NewSSEReader(resp.Body)
}

// nextRequest reads a stream until a server-to-client request.
func nextRequest(t testing.TB, sr *testkit.SSEReader) rmsg {
	t.Helper()
	for {
		m := decode(t, sr.NextMessage(t).Data)
		if m.Method != "" && m.ID != nil {
			return m
		}
	}
}

// samplingReply is the client's answer to sampling request req.
func samplingReply(req rmsg, text string) []byte {
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":{"role":"assistant","model":"m","content":{"type":"text","text":%q}}}`, req.ID, text)
}

// The handshake era across three replica processes.
func TestReplicas(t *testing.T) {
	c := startReplicas(t, server(t), 3, false)
	anyReplica := -1

	t.Run("session served everywhere", func(t *testing.T) {
		cl := newClient(t, c.url(anyReplica))
		cl.initialize(nil, false)
		seen := map[string]bool{}
		for range 6 {
			if got := cl.tool("add", map[string]any{"a": 1, "b": 2}); got != "3" {
				t.Fatalf("add: %q", got)
			}
			w := cl.tool("where", nil)
			seen[strings.Fields(w)[0]] = true
		}
		if len(seen) != 3 {
			t.Errorf("served by %v, want the 3 replicas", seen)
		}
		// The level set through one replica applies on every one, once
		// the change's broadcast reached it.
		cl.call("logging/setLevel", map[string]any{"level": "error"})
		for i := range 3 {
			testkit.Eventually(t, "the level on replica "+strconv.Itoa(i), func() bool {
				return strings.Contains(cl.at(c.url(i)).tool("where", nil), "level=error")
			})
		}
	})

	// sampling and elicitation asked by the replica running a call, answered
	// by a POST to another replica.
	for _, tc := range []struct {
		tool        string
		args        map[string]any
		method      string
		reply, want string
	}{
		{"ask", map[string]any{"prompt": "ping"}, "sampling/createMessage", `{"role":"assistant","model":"m","content":{"type":"text","text":"pong"}}`, "heard: pong"},
		{"confirm", map[string]any{}, "elicitation/create", `{"action":"accept","content":{"ok":true}}`, "accept true"},
	} {
		t.Run(tc.method+" answered elsewhere", func(t *testing.T) {
			cl := newClient(t, c.url(0))
			cl.initialize(map[string]any{"sampling": map[string]any{}, "elicitation": map[string]any{}}, false)
			for i := range 3 {
				id, resp := cl.at(c.url(i)).send("tools/call", map[string]any{"name": tc.tool, "arguments": tc.args})
				if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
					b, _ := io.ReadAll(resp.Body)
					t.Fatalf("the call on replica %d: %s %s", i, ct, b)
				}
				sr := testkit.NewSSEReader(resp.Body)
				req := nextRequest(t, sr)
				if req.Method != tc.method {
					t.Fatalf("got %s, want %s", req.Method, tc.method)
				}
				reply := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, tc.reply)
				if r := cl.at(c.url((i + 1) % 3)).post(reply); r.StatusCode != http.StatusAccepted {
					t.Fatalf("the answer: %d", r.StatusCode)
				}
				for {
					m := decode(t, sr.NextMessage(t).Data)
					if string(m.ID) != strconv.FormatInt(id, 10) {
						continue
					}
					text, isErr := testkit.ToolText(t, m.Result)
					if want := fmt.Sprintf("replica r%d", i); isErr || !strings.Contains(text, want) || !strings.Contains(text, tc.want) {
						t.Fatalf("the call on replica %d: %q (error %v)", i, text, isErr)
					}
					break
				}
				resp.Body.Close()
			}
		})
	}

	t.Run("roots fetched through the stream's replica", func(t *testing.T) {
		cl := newClient(t, c.url(0))
		cl.initialize(map[string]any{"roots": map[string]any{"listChanged": true}}, true)
		_, sr := cl.at(c.url(2)).get(nil)
		// Replica 1 learns of the handshake's end, asks for the roots on
		// replica 2's stream; the answer comes through replica 0.
		testkit.Eventually(t, "the GET stream known on replica 1", func() bool {
			raw, _ := c.redis.Do("HGET", c.prefix+"{"+cl.sid+"}:s", "get")
			return raw != nil
		})
		if r := cl.at(c.url(1)).post(testkit.Encode(0, "notifications/initialized", nil)); r.StatusCode != http.StatusAccepted {
			t.Fatalf("notifications/initialized: %d", r.StatusCode)
		}
		req := nextRequest(t, sr)
		if req.Method != "roots/list" {
			t.Fatalf("got %s, want roots/list", req.Method)
		}
		cl.at(c.url(0)).post(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":{"roots":[{"uri":"file:///a"},{"uri":"file:///b"}]}}`, req.ID))
		for i := range 3 {
			testkit.Eventually(t, "the roots on replica "+strconv.Itoa(i), func() bool {
				return strings.Contains(cl.at(c.url(i)).tool("where", nil), "roots=2 ready=true")
			})
		}
	})

	t.Run("notifications reach the stream", func(t *testing.T) {
		cl := newClient(t, c.url(0))
		cl.initialize(nil, false)
		_, sr := cl.at(c.url(1)).get(nil)
		cl.at(c.url(2)).call("resources/subscribe", map[string]any{"uri": "test://watched"})
		// Each replica's copy learns where the stream is (from the record,
		// or the broadcast): the first note sent through it may fail until
		// then.
		for i := range 3 {
			testkit.Eventually(t, "replica "+strconv.Itoa(i)+" knows the stream", func() bool {
				_, isErr := testkit.ToolText(t, cl.at(c.url(i)).call("tools/call", map[string]any{"name": "note", "arguments": map[string]any{}}))
				return !isErr
			})
		}
		got := map[string]int{}
		for len(got) < 3 {
			m := decode(t, sr.NextMessage(t).Data)
			if m.Method == "notifications/message" {
				var p struct{ Data string }
				json.Unmarshal(m.Params, &p)
				got[p.Data]++
			}
		}
		for i := range 3 {
			if n := got["from replica r"+strconv.Itoa(i)]; n != 1 {
				t.Errorf("the note of replica %d arrived %d times: %v", i, n, got)
			}
		}
		for i := range 3 {
			for _, a := range []struct{ what, method string }{
				{"resource", "notifications/resources/updated"},
				{"tools", "notifications/tools/list_changed"},
			} {
				cl.at(c.url(i)).tool("announce", map[string]any{"what": a.what})
				if m := decode(t, sr.NextMessage(t).Data); m.Method != a.method {
					t.Fatalf("after announcing %s on replica %d: %s, want %s", a.what, i, m.Method, a.method)
				}
			}
		}
		// Each arrived once: a marker sent last comes next.
		cl.at(c.url(0)).tool("note", nil)
		if m := decode(t, sr.NextMessage(t).Data); m.Method != "notifications/message" {
			t.Errorf("a notification arrived twice: %s", m.Method)
		}
	})

	t.Run("resumption on another replica", func(t *testing.T) {
		cl := newClient(t, c.url(0))
		cl.initialize(map[string]any{"sampling": map[string]any{}}, false)
		// The call runs on replica 1; its stream drops after the sampling
		// request; the client resumes it on replica 2, answers through
		// replica 0, and gets the rest once.
		id, resp := cl.at(c.url(1)).send("tools/call", map[string]any{"name": "ask", "arguments": map[string]any{"prompt": "x"},
			"_meta": map[string]any{"progressToken": "tok"}})
		sr := testkit.NewSSEReader(resp.Body)
		var last string
		var req rmsg
		progress := 0
		for req.Method == "" {
			ev := sr.NextMessage(t)
			last = ev.ID
			if m := decode(t, ev.Data); m.Method == "notifications/progress" {
				progress++
			} else if m.ID != nil {
				req = m
			}
		}
		resp.Body.Close()
		_, rsr := cl.at(c.url(2)).get(map[string]string{"Last-Event-ID": last})
		cl.at(c.url(0)).post(samplingReply(req, "late"))
		for {
			ev := rsr.NextMessage(t)
			m := decode(t, ev.Data)
			if m.Method == "notifications/progress" {
				progress++
				continue
			}
			if string(m.ID) != strconv.FormatInt(id, 10) {
				t.Fatalf("resumed stream: %s", ev.Data)
			}
			if text, _ := testkit.ToolText(t, m.Result); text != "replica r1 heard: late" {
				t.Fatalf("result %q", text)
			}
			break
		}
		// Written: 3 progress reports, the sampling request, the result;
		// delivered once each across the two connections.
		if progress != 3 {
			t.Errorf("%d progress reports delivered, want 3", progress)
		}
	})

	t.Run("GET stream resumed on another replica", func(t *testing.T) {
		cl := newClient(t, c.url(0))
		cl.initialize(nil, false)
		resp, sr := cl.at(c.url(1)).get(nil)
		notes := func(from, n int) {
			for range n {
				testkit.Eventually(t, "a note through replica "+strconv.Itoa(from), func() bool {
					_, isErr := testkit.ToolText(t, cl.at(c.url(from)).call("tools/call", map[string]any{"name": "note", "arguments": map[string]any{}}))
					return !isErr
				})
			}
		}
		notes(2, 1)
		ev := sr.NextMessage(t)
		resp.Body.Close()
		// The stream is closed: what is sent now waits in the event store.
		notes(0, 1)
		notes(2, 2)
		_, rsr := cl.at(c.url(0)).get(map[string]string{"Last-Event-ID": ev.ID})
		want := []string{"from replica r0", "from replica r2", "from replica r2"}
		var got []string
		ids := map[string]bool{ev.ID: true}
		for len(got) < len(want) {
			e := rsr.NextMessage(t)
			if ids[e.ID] {
				t.Fatalf("event %s delivered twice", e.ID)
			}
			ids[e.ID] = true
			var p struct{ Params struct{ Data string } }
			json.Unmarshal([]byte(e.Data), &p)
			got = append(got, p.Params.Data)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("missed events replayed: %v, want %v", got, want)
		}
		// And it goes on live, in the same sequence.
		notes(1, 1)
		if e := rsr.NextMessage(t); ids[e.ID] || !strings.Contains(e.Data, "from replica r1") {
			t.Errorf("after the replay: %s %s", e.ID, e.Data)
		}
	})

	t.Run("another user refused everywhere", func(t *testing.T) {
		alice := newClient(t, c.url(anyReplica)).as("alice")
		alice.initialize(nil, false)
		for i := range 3 {
			_, resp := alice.at(c.url(i)).as("mallory").send("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("replica %d: mallory got %d, want 403", i, resp.StatusCode)
			}
			if got := alice.at(c.url(i)).tool("add", map[string]any{"a": 1, "b": 1}); got != "2" {
				t.Errorf("replica %d: alice got %q", i, got)
			}
		}
	})

	t.Run("per-user rate limit counted across replicas", func(t *testing.T) {
		// Two sessions of one user, each call on the next replica: the
		// tool allows the user 5 calls an hour in all.
		a := newClient(t, c.url(anyReplica)).as("carol")
		a.initialize(nil, false)
		b := newClient(t, c.url(anyReplica)).as("carol")
		b.initialize(nil, false)
		allowed, servedBy := 0, map[string]bool{}
		for k := range 9 {
			cl := []*rclient{a, b}[k%2].at(c.url(k % 3))
			id, resp := cl.send("tools/call", map[string]any{"name": "limited", "arguments": map[string]any{}})
			m := cl.answer(id, resp)
			if m.Error != nil {
				continue
			}
			if text, isErr := testkit.ToolText(t, m.Result); !isErr {
				allowed++
				servedBy[text] = true
			}
		}
		if allowed != 5 || len(servedBy) < 2 {
			t.Errorf("%d calls allowed (by %v), want 5 over several replicas", allowed, servedBy)
		}
		// Another user has a bucket of its own.
		d := newClient(t, c.url(anyReplica)).as("dave")
		d.initialize(nil, false)
		d.tool("limited", nil)
	})

	t.Run("DELETE ends the session everywhere", func(t *testing.T) {
		cl := newClient(t, c.url(0))
		cl.initialize(nil, false)
		for i := range 3 {
			cl.at(c.url(i)).tool("add", map[string]any{"a": 1, "b": 1}) // a copy on each
		}
		_, sr := cl.at(c.url(1)).get(nil)
		if resp := cl.at(c.url(2)).do(http.MethodDelete, nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("DELETE: %d", resp.StatusCode)
		}
		// The stream held by replica 1 ends.
		for {
			if _, err := sr.Next(); err != nil {
				break
			}
		}
		for i := range 3 {
			testkit.Eventually(t, "404 on replica "+strconv.Itoa(i), func() bool {
				_, resp := cl.at(c.url(i)).send("ping", nil)
				return resp.StatusCode == http.StatusNotFound
			})
		}
	})

	t.Run("legacy SSE posts on any replica", func(t *testing.T) {
		base := func(i int) string { return strings.TrimSuffix(c.url(i), "/mcp") }
		resp := newClient(t, base(0)+"/sse").do(http.MethodGet, nil, nil)
		sr := testkit.NewSSEReader(resp.Body)
		ev, err := sr.Next()
		if err != nil || ev.Event != "endpoint" {
			t.Fatalf("endpoint event: %+v %v", ev, err)
		}
		post := func(i int, msg []byte) {
			t.Helper()
			pc := newClient(t, base(i)+ev.Data)
			if r := pc.post(msg); r.StatusCode != http.StatusAccepted {
				b, _ := io.ReadAll(r.Body)
				t.Fatalf("POST to replica %d: %d %s", i, r.StatusCode, b)
			}
		}
		post(1, testkit.Encode(1, "initialize", map[string]any{"protocolVersion": "2024-11-05", "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "legacy", "version": "1"}}))
		if m := decode(t, sr.NextMessage(t).Data); string(m.ID) != "1" || m.Result == nil {
			t.Fatalf("initialize: %+v", m)
		}
		post(2, testkit.Encode(0, "notifications/initialized", nil))
		for i := range 3 {
			post(i, testkit.Encode(int64(10+i), "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": i, "b": 1}}))
			m := decode(t, sr.NextMessage(t).Data)
			if text, _ := testkit.ToolText(t, m.Result); string(m.ID) != strconv.Itoa(10+i) || text != strconv.Itoa(i+1) {
				t.Fatalf("call posted to replica %d: %+v %q", i, m, text)
			}
		}
	})

	t.Run("2026-07-28 listen hears changes made elsewhere", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":"l","method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"x","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}},"notifications":{"toolsListChanged":true,"resourceSubscriptions":["test://watched"]}}}`
		cl := newClient(t, c.url(0))
		resp := cl.do(http.MethodPost, []byte(body), map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "subscriptions/listen"})
		sr := testkit.NewSSEReader(bufio.NewReader(resp.Body))
		if m := decode(t, sr.NextMessage(t).Data); m.Method != "notifications/subscriptions/acknowledged" {
			t.Fatalf("first message: %s", m.Method)
		}
		call := func(i int, what string) {
			msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"announce","arguments":{"what":%q},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"x","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`, what)
			r := newClient(t, c.url(i)).do(http.MethodPost, []byte(msg), map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "announce"})
			if r.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(r.Body)
				t.Fatalf("announce on replica %d: %d %s", i, r.StatusCode, b)
			}
			io.Copy(io.Discard, r.Body)
		}
		for i := 1; i < 3; i++ {
			call(i, "resource")
			if m := decode(t, sr.NextMessage(t).Data); m.Method != "notifications/resources/updated" {
				t.Fatalf("after a resource update on replica %d: %s", i, m.Method)
			}
			call(i, "tools")
			if m := decode(t, sr.NextMessage(t).Data); m.Method != "notifications/tools/list_changed" {
				t.Fatalf("after a tools change on replica %d: %s", i, m.Method)
			}
		}
	})
}

// SIGKILL of the replica running a call: the client resuming its stream on
// another replica gets a JSON-RPC error for the call, not silence; the
// session goes on on the others.
func TestReplicaKilledMidCall(t *testing.T) {
	t.Parallel()
	c := startReplicas(t, server(t), 3, true)
	cl := newClient(t, c.url(0))
	cl.initialize(map[string]any{"sampling": map[string]any{}}, false)
	id, resp := cl.at(c.url(1)).send("tools/call", map[string]any{"name": "ask", "arguments": map[string]any{"prompt": "x"}})
	sr := testkit.NewSSEReader(resp.Body)
	var last string
	for {
		ev := sr.NextMessage(t)
		last = ev.ID
		if m := decode(t, ev.Data); m.Method == "sampling/createMessage" {
			break
		}
	}
	c.procs[1].Kill()
	start := time.Now()
	_, rsr := cl.at(c.url(2)).get(map[string]string{"Last-Event-ID": last})
	ev := rsr.NextMessage(t)
	m := decode(t, ev.Data)
	if string(m.ID) != strconv.FormatInt(id, 10) || m.Error == nil || !strings.Contains(m.Error.Message, "send it again") {
		t.Fatalf("resumed stream: %s", ev.Data)
	}
	t.Logf("the error came %v after the kill", time.Since(start).Round(time.Millisecond))
	// The session goes on, through the proxy, on the replicas alive.
	c.proxy.SetBackends(c.procs[0].Base, c.procs[2].Base)
	for range 4 {
		if got := cl.at(c.url(-1)).tool("add", map[string]any{"a": 2, "b": 2}); got != "4" {
			t.Fatalf("after the kill: %q", got)
		}
	}
}

// Redis unreachable: requests that need it are answered 503 with
// Retry-After, /ready says not ready; service resumes when Redis returns.
func TestReplicasRedisDown(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	c := startReplicas(t, redis, 2, false)
	cl := newClient(t, c.url(0))
	cl.initialize(nil, false)
	redis.Stop()
	for i := range 2 {
		ready, err := http.Get(c.procs[i].Base + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		ready.Body.Close()
		if ready.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/ready on replica %d with Redis down: %d", i, ready.StatusCode)
		}
	}
	fresh := newClient(t, c.url(1))
	_, resp := fresh.send("initialize", map[string]any{"protocolVersion": rev, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "x", "version": "1"}})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("initialize with Redis down: %d Retry-After=%q session=%q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Mcp-Session-Id"))
	}
	// A session replica 1 has not loaded needs Redis.
	_, resp = cl.at(c.url(1)).send("ping", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a session to load with Redis down: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	redis.Restart(t) // empty: the replica that started the session writes it back
	testkit.Eventually(t, "replica 0 ready again", func() bool {
		r, err := http.Get(c.procs[0].Base + "/ready")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	testkit.Eventually(t, "the session served by replica 1", func() bool {
		_, resp := cl.at(c.url(1)).send("ping", nil)
		return resp.StatusCode == http.StatusOK
	})
	fresh.initialize(nil, false)
	if got := fresh.at(c.url(0)).tool("add", map[string]any{"a": 1, "b": 2}); got != "3" {
		t.Errorf("a new session after Redis returned: %q", got)
	}
}

// Redis commands per new session and per tools/call in steady state, from
// INFO commandstats: the design's budget is one round trip per new session
// and at most one per call.
func TestReplicaCommandCounts(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	c := startReplicas(t, redis, 2, false)
	const sessions, calls = 10, 50
	// A round trip is a command the replicas send: a script (EVALSHA), a
	// read (HGETALL) or a bus message (PUBLISH). The commands scripts run
	// are counted apart by Redis, and left out here. The heartbeats (one
	// script every 3 s per replica) are in the counts: a few over the run.
	count := func() (rt, all int64) {
		for name, v := range redis.CommandStats(t) {
			switch name {
			case "config|resetstat":
				continue
			case "evalsha", "eval", "hgetall", "publish":
				rt += v
			}
			all += v
		}
		return rt, all
	}
	// Warm-up: the replicas have subscribed to the bus, beaten once, and
	// loaded their scripts.
	for i := range 2 {
		newClient(t, c.url(i)).initialize(nil, false)
	}
	redis.ResetStats(t)
	clients := make([]*rclient, sessions)
	for i := range clients {
		clients[i] = newClient(t, c.url(i%2))
		clients[i].initialize(nil, false)
	}
	rt, all := count()
	perSession := float64(rt) / sessions
	t.Logf("new sessions: %d round trips, %d Redis commands (scripts' included) for %d sessions", rt, all, sessions)
	// Each session once served on both replicas: the copies are loaded.
	for _, cl := range clients {
		cl.at(c.url(0)).tool("add", map[string]any{"a": 1, "b": 1})
		cl.at(c.url(1)).tool("add", map[string]any{"a": 1, "b": 1})
	}
	redis.ResetStats(t)
	for k := range calls {
		for i, cl := range clients {
			cl.at(c.url((i+k)%2)).tool("add", map[string]any{"a": 1, "b": 1})
		}
	}
	rt, all = count()
	perCall := float64(rt) / float64(sessions*calls)
	t.Logf("tools/call: %d round trips, %d Redis commands (scripts' included) for %d calls", rt, all, sessions*calls)
	// 2026-07-28 calls: no session, nothing shared to read.
	redis.ResetStats(t)
	const modernCalls = 100
	for k := range modernCalls {
		msg := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":1},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"x","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
		r := newClient(t, c.url(k%2)).do(http.MethodPost, []byte(msg), map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "add"})
		if b, _ := io.ReadAll(r.Body); r.StatusCode != http.StatusOK || !strings.Contains(string(b), `"text":"2"`) {
			t.Fatalf("2026-07-28 call: %d %s", r.StatusCode, b)
		}
	}
	rt, _ = count()
	perModern := float64(rt) / modernCalls
	t.Logf("Redis round trips: %.2f per new session (initialize + notifications/initialized), %.3f per tools/call in steady state, %.3f per 2026-07-28 tools/call", perSession, perCall, perModern)
	if perModern > 0.05 {
		t.Errorf("%.3f round trips per 2026-07-28 tools/call, want 0 (heartbeats aside)", perModern)
	}
	// A new session: the record (initialize), then the field n and its
	// broadcast (notifications/initialized).
	if perSession > 3 {
		t.Errorf("%.2f round trips per new session, want ≤ 3", perSession)
	}
	if perCall > 0.1 {
		t.Errorf("%.3f round trips per tools/call, want ~0 (a TTL refresh now and then)", perCall)
	}
}

// Many sessions opened through the proxy, then one replica killed: every
// session still answers, on the replicas left (those it started included:
// their records outlive it).
func TestReplicaKilledSessionsGoOn(t *testing.T) {
	t.Parallel()
	n := 1000
	if testing.Short() {
		n = 100
	}
	c := startReplicas(t, server(t), 3, false)
	clients := make([]*rclient, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range clients {
		clients[i] = newClient(t, c.url(-1))
		wg.Add(1)
		sem <- struct{}{}
		go func(cl *rclient) {
			defer func() { <-sem; wg.Done() }()
			cl.initialize(nil, false)
		}(clients[i])
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	c.procs[1].Kill()
	var failed atomic.Int32
	for _, cl := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func(cl *rclient) {
			defer func() { <-sem; wg.Done() }()
			id, resp := cl.send("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}})
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
				return
			}
			if text, _ := testkit.ToolText(t, cl.answer(id, resp).Result); text != "2" {
				failed.Add(1)
			}
		}(cl)
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Errorf("%d of %d sessions did not answer after a replica was killed", f, n)
	}
}

// Redis stopped and restarted (empty) while clients call tools through the
// proxy: every answer is a result, or 503 with Retry-After while Redis is
// away (never a hang or another error); a new session is refused 503 while
// it is away; afterwards every session answers, and new sessions start.
func TestReplicasRedisRestartUnderLoad(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	c := startReplicas(t, redis, 3, false)
	const clients, calls = 12, 60
	var done atomic.Int64
	stopAt, restartAt := make(chan struct{}), make(chan struct{})
	var stopOnce, restartOnce sync.Once
	var ok, unavailable, other atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		cl := newClient(t, c.url(-1))
		cl.initialize(nil, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				id := cl.next.Add(1)
				r := cl.do(http.MethodPost, testkit.Encode(id, "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}}), nil)
				body, _ := io.ReadAll(r.Body)
				r.Body.Close()
				switch {
				case r.StatusCode == http.StatusOK && strings.Contains(string(body), `"text":"2"`):
					ok.Add(1)
				case r.StatusCode == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "":
					unavailable.Add(1)
				default:
					other.Add(1)
					t.Errorf("status %d: %s", r.StatusCode, body)
				}
				switch n := done.Add(1); {
				case n == clients*calls/3:
					stopOnce.Do(func() { close(stopAt) })
				case n == 2*clients*calls/3:
					restartOnce.Do(func() { close(restartAt) })
				}
			}
		}()
	}
	// A session only replica 0 knows: after Redis restarts empty, the
	// others must not call it gone (404) while replica 0 writes it back.
	lone := newClient(t, c.url(0))
	lone.initialize(nil, false)
	<-stopAt
	redis.Stop()
	// The calls go on (every replica holds a copy of every session by now:
	// no round trip); a new session needs Redis.
	_, resp := newClient(t, c.url(-1)).send("initialize", map[string]any{"protocolVersion": rev, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "x", "version": "1"}})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("initialize while Redis is away: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	<-restartAt
	redis.Restart(t)
	for {
		_, resp := lone.at(c.url(2)).send("ping", nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a session Redis lost, on a replica that never saw it: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	wg.Wait()
	t.Logf("%d results, %d answered 503 while Redis was away, %d other answers", ok.Load(), unavailable.Load(), other.Load())
	// Afterwards: every session answers on every replica, new ones start.
	fresh := newClient(t, c.url(-1))
	testkit.Eventually(t, "a new session", func() bool {
		_, resp := fresh.send("initialize", map[string]any{"protocolVersion": rev, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "x", "version": "1"}})
		return resp.StatusCode == http.StatusOK
	})
	sess := newClient(t, c.url(1))
	sess.initialize(nil, false)
	for i := range 3 {
		if got := sess.at(c.url(i)).tool("add", map[string]any{"a": 2, "b": 2}); got != "4" {
			t.Errorf("replica %d after the restart: %q", i, got)
		}
	}
}
