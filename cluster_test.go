package fastmcp_test

// Clustered mode with the in-memory store: replicas in this process share
// one Store (sessions, state, events, bus), each served on its own loopback
// port, some behind a round-robin proxy without affinity. The same scenarios
// run on Redis with replicas as separate processes in the interop module
// (interop/cluster_*_test.go); here they run fast, under the race detector,
// and with faults injected precisely: a replica cut off from the store and
// the bus (as if killed), the store down for everyone.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// clLink is a replica's link to the shared store and bus: down, every
// operation fails with ErrStoreUnavailable and bus messages are neither sent
// nor received.
type clLink struct {
	down   atomic.Bool
	global *atomic.Bool // the store itself is down
}

func (l *clLink) err() error {
	if l.down.Load() || l.global.Load() {
		return fmt.Errorf("test: %w", fastmcp.ErrStoreUnavailable)
	}
	return nil
}

type clSessions struct {
	fastmcp.SessionStore
	l *clLink
}

func (s clSessions) Create(ctx context.Context, id string, f map[string][]byte, ttl time.Duration) error {
	if err := s.l.err(); err != nil {
		return err
	}
	return s.SessionStore.Create(ctx, id, f, ttl)
}

func (s clSessions) Get(ctx context.Context, id string) (map[string][]byte, error) {
	if err := s.l.err(); err != nil {
		return nil, err
	}
	return s.SessionStore.Get(ctx, id)
}

func (s clSessions) Set(ctx context.Context, id, field string, v []byte) error {
	if err := s.l.err(); err != nil {
		return err
	}
	return s.SessionStore.Set(ctx, id, field, v)
}

func (s clSessions) Touch(ctx context.Context, id string, ttl time.Duration) error {
	if err := s.l.err(); err != nil {
		return err
	}
	return s.SessionStore.Touch(ctx, id, ttl)
}

func (s clSessions) Delete(ctx context.Context, id string) (bool, error) {
	if err := s.l.err(); err != nil {
		return false, err
	}
	return s.SessionStore.Delete(ctx, id)
}

type clState struct {
	fastmcp.StateStore
	l *clLink
}

func (s clState) Get(ctx context.Context, scope, key string) ([]byte, bool, error) {
	if err := s.l.err(); err != nil {
		return nil, false, err
	}
	return s.StateStore.Get(ctx, scope, key)
}

func (s clState) Set(ctx context.Context, scope, key string, v []byte, ttl time.Duration) error {
	if err := s.l.err(); err != nil {
		return err
	}
	return s.StateStore.Set(ctx, scope, key, v, ttl)
}

func (s clState) Add(ctx context.Context, scope, key string, d int64, ttl time.Duration) (int64, error) {
	if err := s.l.err(); err != nil {
		return 0, err
	}
	return s.StateStore.Add(ctx, scope, key, d, ttl)
}

type clEvents struct {
	fastmcp.EventStore
	l *clLink
}

func (s clEvents) Append(ctx context.Context, sid, stream string, i int64, data []byte) error {
	if err := s.l.err(); err != nil {
		return err
	}
	return s.EventStore.Append(ctx, sid, stream, i, data)
}

func (s clEvents) After(ctx context.Context, sid, stream string, i int64) (int64, [][]byte, error) {
	if err := s.l.err(); err != nil {
		return i + 1, nil, err
	}
	return s.EventStore.After(ctx, sid, stream, i)
}

type clBus struct {
	fastmcp.Bus
	l *clLink
}

func (b clBus) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := b.l.err(); err != nil {
		return err
	}
	return b.Bus.Publish(ctx, topic, msg)
}

func (b clBus) Subscribe(ctx context.Context, topic string, f func([]byte)) (func(), error) {
	if err := b.l.err(); err != nil {
		return nil, err
	}
	return b.Bus.Subscribe(ctx, topic, func(msg []byte) {
		if b.l.err() == nil {
			f(msg)
		}
	})
}

// clCluster is replicas of one server sharing an in-memory store.
type clCluster struct {
	t        *testing.T
	sessions fastmcp.SessionStore
	state    fastmcp.StateStore
	events   fastmcp.EventStore
	bus      fastmcp.Bus
	down     atomic.Bool // the store is down for every replica
	replicas []*clReplica
	proxy    *clustertest.Proxy
	// release unblocks the "slow" tool on every replica.
	release chan struct{}
	relOnce sync.Once
	// started counts the "slow" calls that reached their wait.
	started chan string
}

type clReplica struct {
	i    int
	srv  *fastmcp.Server
	h    *fastmcp.HTTPHandler
	ts   *httptest.Server
	url  string
	link *clLink
	// connects and disconnects count the session events of this replica.
	connects, disconnects atomic.Int32
}

// clOptions tune a test cluster.
type clOptions struct {
	http fastmcp.HTTP
	auth fastmcp.Authenticator
}

var clSecret = []byte("0123456789abcdef0123456789abcdef-cluster")

func newCluster(t *testing.T, n int, o clOptions) *clCluster {
	t.Helper()
	c := &clCluster{t: t, sessions: fastmcp.NewMemorySessionStore(), state: fastmcp.NewMemoryStateStore(),
		events: fastmcp.NewMemoryEventStore(nil), bus: fastmcp.NewMemoryBus(),
		release: make(chan struct{}), started: make(chan string, 64)}
	t.Cleanup(c.unblock)
	var backends []string
	for i := range n {
		r := c.startReplica(i, o)
		backends = append(backends, r.ts.URL)
	}
	c.proxy = clustertest.NewProxy(t, backends...)
	return c
}

func (c *clCluster) unblock() { c.relOnce.Do(func() { close(c.release) }) }

func (c *clCluster) startReplica(i int, o clOptions) *clReplica {
	t := c.t
	link := &clLink{global: &c.down}
	store := &fastmcp.Store{
		Sessions: clSessions{c.sessions, link},
		State:    clState{c.state, link},
		Events:   clEvents{c.events, link},
		Bus:      clBus{c.bus, link},
		Health:   func(context.Context) error { return link.err() },
	}
	srv := testkit.NewServer(t, fastmcp.Options{Store: store, Secret: clSecret, Authenticate: o.auth})
	fastmcp.SetClusterTiming(srv, 50*time.Millisecond, 300*time.Millisecond)
	r := &clReplica{i: i, srv: srv, link: link}
	srv.OnConnect(func(*fastmcp.Session) { r.connects.Add(1) })
	srv.OnDisconnect(func(*fastmcp.Session) { r.disconnects.Add(1) })
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "add"}, func(ctx *fastmcp.Context, a addArgs) (string, error) {
		return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
	})
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "where"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		s := ctx.Session()
		return fmt.Sprintf("replica=%d level=%s roots=%d ready=%v", i, s.LoggingLevel(), len(s.Roots()), s.IsReady()), nil
	})
	type askArgs struct {
		Prompt string `json:"prompt"`
	}
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, a askArgs) (string, error) {
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 10,
			Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(a.Prompt)}}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("replica %d heard: %s", i, res.Content.(*fastmcp.TextContent).Text), nil
	})
	type slowArgs struct {
		Steps int `json:"steps"`
	}
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "slow"}, func(ctx *fastmcp.Context, a slowArgs) (string, error) {
		for k := 1; k <= a.Steps; k++ {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(k), Total: float64(2 * a.Steps)}); err != nil {
				return "", err
			}
		}
		c.started <- strconv.Itoa(i)
		select {
		case <-c.release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		for k := a.Steps + 1; k <= 2*a.Steps; k++ {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(k), Total: float64(2 * a.Steps)}); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("slow done on replica %d", i), nil
	})
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "note"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		// A message that belongs to no request: it goes to the session's
		// GET stream, wherever it is held.
		return "noted", ctx.Session().Log(fastmcp.LevelInfo, "note", fmt.Sprintf("from replica %d", i))
	})
	srv.AddResource(fastmcp.Resource{URI: "test://watched", Name: "watched", Load: fastmcp.StaticText("v")})
	r.h = srv.Handler(o.http)
	r.ts = httptest.NewServer(r.h)
	r.url = r.ts.URL + "/mcp"
	t.Cleanup(r.ts.Close)
	t.Cleanup(func() { r.h.Close() })
	c.replicas = append(c.replicas, r)
	return r
}

// kill cuts a replica off as a crash would: its liveness key stops being
// refreshed and expires, it neither sends nor receives on the bus, and its
// connections are cut.
func (r *clReplica) kill() {
	r.link.down.Store(true)
	r.ts.CloseClientConnections()
}

// client returns a raw client of the cluster at url, with the given client
// capabilities.
func (c *clCluster) client(url string, caps map[string]any) *htClient {
	cl := htNewClient(c.t, url, "")
	if caps != nil {
		cl.caps = caps
	}
	return cl
}

// at returns a copy of cl speaking to another URL, in the same session.
func (cl *htClient) at(url string) *htClient {
	cp := htNewClient(cl.t, url, cl.rev)
	cp.sid, cp.caps, cp.hc = cl.sid, cl.caps, cl.hc
	cp.next.Store(cl.next.Load() + 1000)
	return cp
}

// toolText calls a tool and returns the text of its result.
func (cl *htClient) toolText(name string, args map[string]any) string {
	cl.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res := cl.call("tools/call", map[string]any{"name": name, "arguments": args})
	text, isErr := testkit.ToolText(cl.t, res)
	if isErr {
		cl.t.Fatalf("tool %s failed: %s", name, text)
	}
	return text
}

// A session initialized on one replica is served by every replica behind the
// proxy, each with the session's negotiated state; its owner alone reports
// it in Sessions and fires OnConnect.
func TestClusterSessionServedEverywhere(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.proxy.URL+"/mcp", nil)
	cl.initialize()
	seen := map[string]bool{}
	for range 9 {
		if got := cl.toolText("add", map[string]any{"a": 1, "b": 2}); got != "3" {
			t.Fatalf("add: %q", got)
		}
		seen[cl.toolText("where", nil)[:9]] = true
	}
	if len(seen) != 3 {
		t.Errorf("the session was served by %v, want all 3 replicas", seen)
	}
	owners, connects := 0, int32(0)
	for _, r := range c.replicas {
		owners += len(r.srv.Sessions())
		connects += r.connects.Load()
	}
	if owners != 1 || connects != 1 {
		t.Errorf("Sessions() over all replicas: %d, OnConnect: %d; want 1 and 1 (the owner's)", owners, connects)
	}
	// The level set through one replica applies on every one, once the
	// change's broadcast reached it.
	cl.call("logging/setLevel", map[string]any{"level": "warning"})
	for i, r := range c.replicas {
		testkit.Eventually(t, "the level on replica "+strconv.Itoa(i), func() bool {
			return strings.Contains(cl.at(r.url).toolText("where", nil), "level=warning")
		})
	}
}

// A server-to-client request sent by the replica running a call is answered
// by a POST that lands on another replica; the answer finds its way back.
func TestClusterSamplingAnsweredOnAnotherReplica(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, map[string]any{"sampling": map[string]any{}})
	cl.initialize()
	for i := range 3 {
		on := c.replicas[i].url
		answer := c.replicas[(i+1)%3].url
		_, resp := cl.at(on).request("tools/call", map[string]any{"name": "ask", "arguments": map[string]any{"prompt": "hi " + strconv.Itoa(i)}})
		sr := testkit.NewSSEReader(resp.Body)
		req := htNextRequest(t, sr, cl)
		if req.Method != "sampling/createMessage" {
			t.Fatalf("want a sampling request, got %s", req.Method)
		}
		var p struct {
			Messages []struct {
				Content struct{ Text string } `json:"content"`
			} `json:"messages"`
		}
		json.Unmarshal(req.Params, &p)
		reply := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"echo %s"}}}`, req.ID, p.Messages[0].Content.Text)
		if r := cl.at(answer).post([]byte(reply)); r.StatusCode != http.StatusAccepted {
			t.Fatalf("answer: status %d", r.StatusCode)
		}
		final := htDecode(t, []byte(sr.NextMessage(t).Data))
		text, _ := testkit.ToolText(t, final.Result)
		if want := fmt.Sprintf("replica %d heard: echo hi %d", i, i); text != want {
			t.Fatalf("got %q, want %q", text, want)
		}
		resp.Body.Close()
	}
}

// The roots fetch after the handshake goes out on the GET stream held by
// one replica, is answered through another, and every replica learns the
// roots.
func TestClusterRootsAndReadiness(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, map[string]any{"roots": map[string]any{"listChanged": true}})
	cl.initializeOnly()
	// The GET stream on replica 2, notifications/initialized on replica 1:
	// replica 1 asks for the roots on replica 2's stream.
	_, sr := cl.at(c.replicas[2].url).openGET(nil)
	if r := cl.at(c.replicas[1].url).post(testkit.Encode(0, "notifications/initialized", nil)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %d", r.StatusCode)
	}
	req := htNextRequest(t, sr, cl)
	if req.Method != "roots/list" {
		t.Fatalf("want roots/list, got %s", req.Method)
	}
	reply := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"roots":[{"uri":"file:///a","name":"a"},{"uri":"file:///b"}]}}`, req.ID)
	cl.at(c.replicas[0].url).post([]byte(reply))
	for i := range 3 {
		testkit.Eventually(t, "the roots on replica "+strconv.Itoa(i), func() bool {
			return strings.Contains(cl.at(c.replicas[i].url).toolText("where", nil), "roots=2 ready=true")
		})
	}
}

// Change notifications reach the session's GET stream, wherever it is held,
// once: resource updates and list changes announced on any replica, and
// messages a handler on another replica sends outside its request.
func TestClusterNotificationsReachTheStream(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	resp, sr := cl.at(c.replicas[1].url).openGET(nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	cl.at(c.replicas[2].url).call("resources/subscribe", map[string]any{"uri": "test://watched"})
	// Each replica learns where the stream is from a broadcast: until then
	// its session has no channel for the log message, and the tool fails
	// without sending anything.
	want := []string{}
	for i, r := range c.replicas {
		testkit.Eventually(t, "replica "+strconv.Itoa(i)+" knows the stream", func() bool {
			_, isErr := testkit.ToolText(t, cl.at(r.url).call("tools/call", map[string]any{"name": "note", "arguments": map[string]any{}}))
			return !isErr
		})
		want = append(want, fmt.Sprintf("from replica %d", i))
	}
	got := map[string]int{}
	for len(got) < 3 {
		m := htDecode(t, []byte(sr.NextMessage(t).Data))
		if m.Method == "notifications/message" {
			var p struct{ Data string }
			json.Unmarshal(m.Params, &p)
			got[p.Data]++
		}
	}
	for _, w := range want {
		if got[w] != 1 {
			t.Errorf("log %q delivered %d times, want once", w, got[w])
		}
	}
	for i, r := range c.replicas {
		r.srv.ResourceUpdated("test://watched")
		m := htDecode(t, []byte(sr.NextMessage(t).Data))
		if m.Method != "notifications/resources/updated" {
			t.Fatalf("after ResourceUpdated on replica %d: %s", i, m.Method)
		}
		r.srv.ToolsListChanged()
		m = htDecode(t, []byte(sr.NextMessage(t).Data))
		if m.Method != "notifications/tools/list_changed" {
			t.Fatalf("after ToolsListChanged on replica %d: %s", i, m.Method)
		}
	}
	// Nothing more: each was delivered once. A marker sent last arrives
	// next.
	cl.at(c.replicas[0].url).toolText("note", nil)
	if m := htDecode(t, []byte(sr.NextMessage(t).Data)); m.Method != "notifications/message" {
		t.Errorf("a notification was delivered twice: %s", m.Method)
	}
}

// DELETE on any replica ends the session on every replica; its owner fires
// OnDisconnect.
func TestClusterDeleteEndsEverywhere(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	for _, r := range c.replicas {
		cl.at(r.url).toolText("add", map[string]any{"a": 1, "b": 1})
	}
	del := cl.at(c.replicas[2].url).newRequest(http.MethodDelete, nil)
	if resp := cl.do(del); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	// The other replicas learn it from a broadcast: at once, but not
	// before the DELETE is answered.
	for i, r := range c.replicas {
		testkit.Eventually(t, "404 on replica "+strconv.Itoa(i), func() bool {
			_, resp := cl.at(r.url).request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}})
			return resp.StatusCode == http.StatusNotFound
		})
	}
	testkit.Eventually(t, "OnDisconnect on the owner", func() bool { return c.replicas[0].disconnects.Load() == 1 })
	if _, err := c.sessions.Get(t.Context(), cl.sid); !errors.Is(err, fastmcp.ErrSessionNotFound) {
		t.Errorf("the record outlived DELETE: %v", err)
	}
}

// A POST stream whose connection dropped is resumed on another replica while
// its request still runs there: every event arrives once, in order, and the
// result last.
func TestClusterResumeOnAnotherReplica(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	const steps = 5
	id, resp := cl.at(c.replicas[1].url).request("tools/call", map[string]any{"name": "slow",
		"arguments": map[string]any{"steps": steps}, "_meta": map[string]any{"progressToken": "tok"}})
	sr := testkit.NewSSEReader(resp.Body)
	last := ""
	for n := 0; n < 2; {
		ev, err := sr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.HasID {
			last = ev.ID
		}
		if ev.Data != "" {
			n++
		}
	}
	resp.Body.Close() // the connection drops after 2 of the events
	<-c.started
	rresp, rsr := cl.at(c.replicas[2].url).openGET(map[string]string{"Last-Event-ID": last})
	if rresp.StatusCode != http.StatusOK {
		t.Fatalf("resume: %d", rresp.StatusCode)
	}
	c.unblock()
	var progress []float64
	for {
		ev, err := rsr.Next()
		if err != nil {
			t.Fatalf("resumed stream: %v (progress %v)", err, progress)
		}
		if ev.Data == "" {
			continue
		}
		m := htDecode(t, []byte(ev.Data))
		if m.Method == "notifications/progress" {
			var p struct{ Progress float64 }
			json.Unmarshal(m.Params, &p)
			progress = append(progress, p.Progress)
			continue
		}
		if string(m.ID) != strconv.FormatInt(id, 10) || m.Result == nil {
			t.Fatalf("final message: %s", ev.Data)
		}
		text, _ := testkit.ToolText(t, m.Result)
		if text != "slow done on replica 1" {
			t.Errorf("result %q", text)
		}
		break
	}
	// Written: 2*steps progress events; delivered: 2 on the first stream,
	// the rest on the resumed one, each once, in order.
	want := []float64{}
	for k := 3; k <= 2*steps; k++ {
		want = append(want, float64(k))
	}
	if fmt.Sprint(progress) != fmt.Sprint(want) {
		t.Errorf("progress after resuming: %v, want %v", progress, want)
	}
}

// A replica that dies while serving a request: the client resuming its
// stream on another replica gets a JSON-RPC error for the request, not
// silence.
func TestClusterResumeAfterOwnerDied(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	id, resp := cl.at(c.replicas[1].url).request("tools/call", map[string]any{"name": "slow",
		"arguments": map[string]any{"steps": 1}, "_meta": map[string]any{"progressToken": "tok"}})
	sr := testkit.NewSSEReader(resp.Body)
	last := ""
	for last == "" || !strings.HasSuffix(last, "_1") {
		ev, err := sr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.HasID {
			last = ev.ID
		}
	}
	<-c.started
	c.replicas[1].kill()
	start := time.Now()
	_, rsr := cl.at(c.replicas[2].url).openGET(map[string]string{"Last-Event-ID": last})
	ev := rsr.NextMessage(t)
	m := htDecode(t, []byte(ev.Data))
	if string(m.ID) != strconv.FormatInt(id, 10) || m.Error == nil || !strings.Contains(m.Error.Message, "send it again") {
		t.Fatalf("resumed stream: %s", ev.Data)
	}
	t.Logf("the error came %v after the kill: %s", time.Since(start).Round(time.Millisecond), m.Error.Message)
	// A second resumption replays the same answer.
	_, rsr2 := cl.at(c.replicas[0].url).openGET(map[string]string{"Last-Event-ID": last})
	if ev2 := rsr2.NextMessage(t); ev2.Data != ev.Data || ev2.ID != ev.ID {
		t.Errorf("second resumption: %+v, want %+v", ev2, ev)
	}
}

// A legacy HTTP+SSE session's POSTs may reach any replica: they are served by
// the replica holding its stream.
func TestClusterLegacyPostsForwarded(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, clOptions{})
	resp, err := http.Get(c.replicas[0].ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sr := testkit.NewSSEReader(resp.Body)
	ev, err := sr.Next()
	if err != nil || ev.Event != "endpoint" {
		t.Fatalf("endpoint event: %+v %v", ev, err)
	}
	post := func(i int, msg []byte) {
		t.Helper()
		r, err := http.Post(c.replicas[i].ts.URL+ev.Data, "application/json", strings.NewReader(string(msg)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("POST to replica %d: %d", i, r.StatusCode)
		}
	}
	post(1, testkit.Encode(1, "initialize", map[string]any{"protocolVersion": "2024-11-05", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "legacy", "version": "1"}}))
	if m := htDecode(t, []byte(sr.NextMessage(t).Data)); string(m.ID) != "1" || m.Result == nil {
		t.Fatalf("initialize: %+v", m)
	}
	post(2, testkit.Encode(0, "notifications/initialized", nil))
	for i := range 3 {
		post(i, testkit.Encode(int64(10+i), "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": i, "b": 1}}))
		data := sr.NextMessage(t).Data
		m := htDecode(t, []byte(data))
		if m.Result == nil {
			t.Fatalf("call through replica %d: %s", i, data)
		}
		text, _ := testkit.ToolText(t, m.Result)
		if string(m.ID) != strconv.Itoa(10+i) || text != strconv.Itoa(i+1) {
			t.Fatalf("call through replica %d: %+v %q", i, m, text)
		}
	}
	// An unknown session is still 404 everywhere.
	r, _ := http.Post(c.replicas[1].ts.URL+"/messages?sessionId=nope", "application/json", strings.NewReader(`{}`))
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown legacy session: %d", r.StatusCode)
	}
	r.Body.Close()
}

// Another user's credentials are refused on every replica, including those
// that never saw the session.
func TestClusterOtherPrincipalRefused(t *testing.T) {
	t.Parallel()
	type user struct {
		Sub string `json:"sub"`
	}
	auth := fastmcp.AuthFunc[user](func(r *http.Request) (user, error) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			return user{}, errors.New("no token")
		}
		return user{Sub: tok}, nil
	})
	c := newCluster(t, 3, clOptions{auth: auth})
	alice := c.client(c.replicas[0].url, nil)
	alice.hc = &http.Client{Transport: bearer("alice")}
	alice.initialize()
	for i, r := range c.replicas {
		mallory := alice.at(r.url)
		mallory.hc = &http.Client{Transport: bearer("mallory")}
		_, resp := mallory.request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("replica %d: another user's request got %d, want 403", i, resp.StatusCode)
		}
		if got := alice.at(r.url).toolText("add", map[string]any{"a": 1, "b": 1}); got != "2" {
			t.Errorf("replica %d: the owner's call: %q", i, got)
		}
	}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// While the store is down, what needs it is answered 503 with Retry-After
// and readiness says so; sessions already loaded go on; everything works
// again when it returns.
func TestClusterStoreDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2, clOptions{})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	cl.at(c.replicas[1].url).toolText("add", map[string]any{"a": 1, "b": 1}) // loaded there
	c.down.Store(true)
	if status, body := htReady(t, c.replicas[0].ts.URL+"/ready"); status != http.StatusServiceUnavailable || body["status"] != "store_unavailable" {
		t.Errorf("/ready with the store down: %d %v", status, body)
	}
	other := c.client(c.replicas[1].url, nil)
	_, resp := other.request("initialize", map[string]any{"protocolVersion": other.rev, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "x", "version": "1"}})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("initialize with the store down: %d Retry-After=%q session=%q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Mcp-Session-Id"))
	}
	htWantError(t, resp, http.StatusServiceUnavailable, -32603)
	// A session this replica has not loaded cannot be served.
	third := c.client(c.replicas[0].url, nil)
	c.down.Store(false)
	third.initialize()
	c.down.Store(true)
	_, resp = third.at(c.replicas[1].url).request("ping", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("unloaded session with the store down: %d", resp.StatusCode)
	}
	// Loaded ones go on.
	if got := cl.at(c.replicas[1].url).toolText("add", map[string]any{"a": 2, "b": 2}); got != "4" {
		t.Errorf("loaded session with the store down: %q", got)
	}
	c.down.Store(false)
	if status, _ := htReady(t, c.replicas[0].ts.URL+"/ready"); status != http.StatusOK {
		t.Errorf("/ready after the store returned: %d", status)
	}
	if got := third.at(c.replicas[1].url).toolText("add", map[string]any{"a": 3, "b": 3}); got != "6" {
		t.Errorf("after the store returned: %q", got)
	}
}

// A 2026-07-28 subscriptions/listen stream on one replica gets the changes
// announced on another.
func TestClusterListenAcrossReplicas(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2, clOptions{})
	body := `{"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"x","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}},"notifications":{"toolsListChanged":true,"resourceSubscriptions":["test://watched"]}}}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, c.replicas[0].url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "subscriptions/listen")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sr := testkit.NewSSEReader(resp.Body)
	if m := htDecode(t, []byte(sr.NextMessage(t).Data)); m.Method != "notifications/subscriptions/acknowledged" {
		t.Fatalf("first message: %s", m.Method)
	}
	c.replicas[1].srv.ResourceUpdated("test://watched")
	if m := htDecode(t, []byte(sr.NextMessage(t).Data)); m.Method != "notifications/resources/updated" {
		t.Fatalf("after ResourceUpdated on the other replica: %s", m.Method)
	}
	c.replicas[1].srv.ToolsListChanged()
	if m := htDecode(t, []byte(sr.NextMessage(t).Data)); m.Method != "notifications/tools/list_changed" {
		t.Fatalf("after ToolsListChanged on the other replica: %s", m.Method)
	}
}

// A server without a shared session store and bus runs no cluster.
func TestNoClusterWithoutSessionsAndBus(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t, fastmcp.Options{Store: &fastmcp.Store{State: fastmcp.NewMemoryStateStore()}})
	ts := testkit.ServeHTTP(t, srv, fastmcp.HTTP{})
	cl := htNewClient(t, ts.Endpoint, "")
	cl.initialize()
	if _, resp := cl.request("ping", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("ping: %d", resp.StatusCode)
	}
}

// The idle reaper works cluster-wide: a session served by other replicas
// stays on the replica that started it, however long it is idle there; idle
// everywhere, its record expires and it ends on every replica.
func TestClusterIdleSessionReapedEverywhere(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	c := newCluster(t, 2, clOptions{http: fastmcp.HTTP{SessionIdleTimeout: idle}})
	cl := c.client(c.replicas[0].url, nil)
	cl.initialize()
	// Served on replica 1 alone for two idle timeouts: a duration to
	// cover, not a wait for an event.
	for end := time.Now().Add(2 * idle); time.Now().Before(end); {
		cl.at(c.replicas[1].url).toolText("add", map[string]any{"a": 1, "b": 1})
	}
	if n := c.replicas[0].disconnects.Load(); n != 0 {
		t.Fatalf("the replica that started the session ended it while another served it (%d OnDisconnect)", n)
	}
	if got := cl.at(c.replicas[0].url).toolText("add", map[string]any{"a": 2, "b": 2}); got != "4" {
		t.Fatalf("back on the first replica: %q", got)
	}
	testkit.Eventually(t, "OnDisconnect once the session is idle everywhere", func() bool { return c.replicas[0].disconnects.Load() == 1 })
	for i, r := range c.replicas {
		if _, resp := cl.at(r.url).request("ping", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("replica %d after the session expired: %d, want 404", i, resp.StatusCode)
		}
	}
}
