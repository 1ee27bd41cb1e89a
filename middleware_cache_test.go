package fastmcp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// ResponseCache: hits, keys, invalidation, privacy, bounds.

// rcCounts counts the runs of the loaders and handlers of rcServer.
type rcCounts struct {
	doc, tmpl, prompt, flaky atomic.Int64
}

// rcServer returns a server with a resource, a template and a prompt that
// count their runs, and ResponseCache installed with opts.
func rcServer(t testing.TB, sopts fastmcp.Options, opts fastmcp.ResponseCacheOptions) (*fastmcp.Server, *rcCounts) {
	s := testkit.NewServer(t, sopts)
	n := &rcCounts{}
	s.AddResource(fastmcp.Resource{URI: "r://doc", Name: "doc", Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		k := n.doc.Add(1)
		who := "anonymous"
		if u, ok := fastmcp.AuthFrom[rcUser](ctx); ok {
			who = u.Sub
		}
		return []*fastmcp.ResourceContents{{Text: fmt.Sprintf("doc #%d for %s", k, who)}}, nil
	}})
	s.AddResource(fastmcp.Resource{URI: "r://flaky", Name: "flaky", Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		if n.flaky.Add(1) == 1 {
			return nil, fastmcp.UserErrorf("try again")
		}
		return []*fastmcp.ResourceContents{{Text: "ok"}}, nil
	}})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "r://items/{id}", Name: "item"},
		func(ctx *fastmcp.Context, uri string, a map[string]string) ([]*fastmcp.ResourceContents, error) {
			n.tmpl.Add(1)
			return []*fastmcp.ResourceContents{{Text: "item " + a["id"]}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "greet", Arguments: []fastmcp.PromptArgument{{Name: "name"}}},
		func(ctx *fastmcp.Context, a map[string]string) (string, error) {
			k := n.prompt.Add(1)
			return fmt.Sprintf("hello %s #%d", a["name"], k), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "t1"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	s.Use(fastmcp.ResponseCache(opts))
	return s, n
}

func rcRead(t testing.TB, c *fastmcptest.Client, uri string) string {
	t.Helper()
	res, err := c.ReadResource(testkit.Context(t), uri)
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return res.Contents[0].Text
}

func TestResponseCacheHits(t *testing.T) {
	t.Parallel()
	s, n := rcServer(t, fastmcp.Options{}, fastmcp.ResponseCacheOptions{})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)

	for range 3 {
		if got := rcRead(t, c, "r://doc"); got != "doc #1 for anonymous" {
			t.Errorf("read: %q", got)
		}
	}
	rcRead(t, c, "r://items/a")
	rcRead(t, c, "r://items/a")
	rcRead(t, c, "r://items/b")
	for range 2 {
		p, err := c.GetPrompt(ctx, "greet", map[string]string{"name": "ada"})
		if err != nil || p.Messages[0].Content.(*fastmcp.TextContent).Text != "hello ada #1" {
			t.Fatalf("prompt: %+v %v", p, err)
		}
	}
	if _, err := c.GetPrompt(ctx, "greet", map[string]string{"name": "bob"}); err != nil {
		t.Fatal(err)
	}
	if d, tm, p := n.doc.Load(), n.tmpl.Load(), n.prompt.Load(); d != 1 || tm != 2 || p != 2 {
		t.Errorf("runs: doc %d, template %d, prompt %d; want 1, 2, 2", d, tm, p)
	}
	// Errors are not cached.
	if _, err := c.ReadResource(ctx, "r://flaky"); err == nil {
		t.Fatal("the first flaky read succeeded")
	}
	if got := rcRead(t, c, "r://flaky"); got != "ok" {
		t.Errorf("flaky: %q", got)
	}
	// A client of another revision gets its own entry.
	old := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: fastmcp.ProtocolVersion20241105})
	rcRead(t, old, "r://doc")
	if d := n.doc.Load(); d != 2 {
		t.Errorf("doc loaded %d times after a 2024-11-05 read, want 2", d)
	}
}

func TestResponseCacheInvalidation(t *testing.T) {
	t.Parallel()
	s, n := rcServer(t, fastmcp.Options{}, fastmcp.ResponseCacheOptions{})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)

	if names := mtToolNames(t, c); !slices.Equal(names, []string{"t1"}) {
		t.Fatalf("tools %v", names)
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "t2"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	if names := mtToolNames(t, c); !slices.Equal(names, []string{"t1", "t2"}) {
		t.Errorf("after AddTool: %v", names)
	}
	s.Disable(fastmcp.ByName("t1"))
	if names := mtToolNames(t, c); !slices.Equal(names, []string{"t2"}) {
		t.Errorf("after Disable: %v", names)
	}

	rcRead(t, c, "r://doc")
	s.ResourceUpdated("r://doc")
	if got := rcRead(t, c, "r://doc"); got != "doc #2 for anonymous" {
		t.Errorf("after ResourceUpdated: %q", got)
	}
	s.RemoveResources("r://doc")
	if _, err := c.ReadResource(ctx, "r://doc"); err == nil {
		t.Error("a removed resource was served from the cache")
	}

	// A session's own rules give it its own entries.
	other := testkit.Connect(t, s, nil)
	mtToolNames(t, other)
	for _, sess := range s.Sessions() {
		sess.Disable(fastmcp.ByName("t2"))
		break
	}
	a, b := mtToolNames(t, c), mtToolNames(t, other)
	if len(a)+len(b) != 1 {
		t.Errorf("one session disabled t2: lists %v and %v", a, b)
	}
	if n.doc.Load() != 2 {
		t.Errorf("doc loaded %d times, want 2", n.doc.Load())
	}
}

// rcUser is auth data naming its principal.
type rcUser struct {
	Sub   string
	Admin bool
}

func (u rcUser) AuthSubject() string { return u.Sub }

func TestResponseCachePrivate(t *testing.T) {
	t.Parallel()
	auth := fastmcp.AuthFunc[rcUser](func(r *http.Request) (rcUser, error) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			return rcUser{}, errors.New("no token")
		}
		return rcUser{Sub: strings.TrimSuffix(tok, "-admin"), Admin: strings.HasSuffix(tok, "-admin")}, nil
	})
	s, n := rcServer(t, fastmcp.Options{Authenticate: auth}, fastmcp.ResponseCacheOptions{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "admin", CanAccess: func(ctx *fastmcp.Context) bool {
		u, _ := fastmcp.AuthFrom[rcUser](ctx)
		return u.Admin
	}}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	r := htServe(t, s, fastmcp.HTTP{})

	clients := map[string]*mdClient{}
	for _, tok := range []string{"ada-admin", "bob", "ada-admin"} {
		c := mdNew(t, r.endpoint)
		c.header.Set("Authorization", "Bearer "+tok)
		clients[tok] = c
		var list fastmcp.ListToolsResult
		c.call("tools/list", nil, &list)
		var names []string
		for _, tl := range list.Tools {
			names = append(names, tl.Name)
		}
		want := []string{"admin", "t1"}
		if tok == "bob" {
			want = []string{"t1"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s lists %v, want %v", tok, names, want)
		}
		var read fastmcp.ReadResourceResult
		c.call("resources/read", map[string]any{"uri": "r://doc"}, &read)
		who := strings.TrimSuffix(tok, "-admin")
		if got := read.Contents[0].Text; !strings.HasSuffix(got, "for "+who) {
			t.Errorf("%s read %q", tok, got)
		}
	}
	// ada read twice, bob once: two loads.
	if d := n.doc.Load(); d != 2 {
		t.Errorf("doc loaded %d times, want 2 (once per principal)", d)
	}
}

func TestResponseCacheModernHints(t *testing.T) {
	t.Parallel()
	s, n := rcServer(t, fastmcp.Options{Cache: fastmcp.Cache{TTL: 5 * time.Second}}, fastmcp.ResponseCacheOptions{})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, ts.Endpoint)
	var first, second map[string]any
	c.call("resources/read", map[string]any{"uri": "r://doc"}, &first)
	c.call("resources/read", map[string]any{"uri": "r://doc"}, &second)
	if n.doc.Load() != 1 {
		t.Errorf("doc loaded %d times", n.doc.Load())
	}
	for _, res := range []map[string]any{first, second} {
		if res["ttlMs"] != float64(5000) || res["cacheScope"] != "public" || res["resultType"] != "complete" {
			t.Errorf("hints of a cached read: %v", res)
		}
	}
	var l1, l2 map[string]any
	c.call("tools/list", nil, &l1)
	c.call("tools/list", nil, &l2)
	if l2["ttlMs"] != float64(5000) || l2["cacheScope"] != "public" {
		t.Errorf("hints of a cached list: %v", l2)
	}
}

// rcStore is a CacheStore that records what it is asked, around a memory
// store.
type rcStore struct {
	fastmcp.CacheStore
	mu   sync.Mutex
	ttls []time.Duration
	fail bool
}

func (s *rcStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	s.ttls = append(s.ttls, ttl)
	s.mu.Unlock()
	return s.CacheStore.Set(ctx, key, value, ttl)
}

func (s *rcStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.fail {
		return []byte("garbage"), true, errors.New("store down")
	}
	return s.CacheStore.Get(ctx, key)
}

func TestResponseCacheOptions(t *testing.T) {
	t.Parallel()
	store := &rcStore{CacheStore: fastmcp.NewMemoryCacheStore(fastmcp.MemoryCacheStoreOptions{})}
	s, n := rcServer(t, fastmcp.Options{}, fastmcp.ResponseCacheOptions{TTL: 42 * time.Second, Store: store, Methods: []string{"resources/read"}})
	c := testkit.Connect(t, s, nil)
	rcRead(t, c, "r://doc")
	rcRead(t, c, "r://doc")
	c.GetPrompt(testkit.Context(t), "greet", nil)
	c.GetPrompt(testkit.Context(t), "greet", nil)
	if n.doc.Load() != 1 || n.prompt.Load() != 2 {
		t.Errorf("doc %d, prompt %d: only reads are cached", n.doc.Load(), n.prompt.Load())
	}
	store.mu.Lock()
	if !slices.Equal(store.ttls, []time.Duration{42 * time.Second}) {
		t.Errorf("TTLs given to the store: %v", store.ttls)
	}
	store.mu.Unlock()
	// A failing store is a miss.
	store.fail = true
	s.ResourceUpdated("r://doc")
	if got := rcRead(t, c, "r://doc"); got != "doc #2 for anonymous" {
		t.Errorf("with the store failing: %q", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "tools/call") {
			t.Errorf("panic %v", r)
		}
	}()
	fastmcp.ResponseCache(fastmcp.ResponseCacheOptions{Methods: []string{"tools/call"}})
}

func TestMemoryCacheStoreTTL(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := fastmcp.NewMemoryCacheStore(fastmcp.MemoryCacheStoreOptions{})
		ctx := context.Background()
		st.Set(ctx, "k", []byte("v"), time.Minute)
		time.Sleep(59 * time.Second)
		if v, ok, _ := st.Get(ctx, "k"); !ok || string(v) != "v" {
			t.Errorf("before the TTL: %q %v", v, ok)
		}
		time.Sleep(time.Second)
		if _, ok, _ := st.Get(ctx, "k"); ok {
			t.Error("served after its TTL")
		}
	})
}

// A client reading many distinct URIs cannot make the cache grow past its
// bounds, in entries or in bytes.
func TestResponseCacheBounded(t *testing.T) {
	t.Parallel()
	store := fastmcp.NewMemoryCacheStore(fastmcp.MemoryCacheStoreOptions{MaxEntries: 50, MaxBytes: 64 << 10})
	s, n := rcServer(t, fastmcp.Options{}, fastmcp.ResponseCacheOptions{Store: store})
	var bigLoads atomic.Int64
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "r://big/{id}", Name: "big"},
		func(ctx *fastmcp.Context, uri string, a map[string]string) ([]*fastmcp.ResourceContents, error) {
			bigLoads.Add(1)
			return []*fastmcp.ResourceContents{{Text: strings.Repeat("x", 7<<10)}}, nil
		})
	c := testkit.Connect(t, s, nil)
	for i := range 500 {
		rcRead(t, c, fmt.Sprintf("r://items/%d", i))
	}
	if got := store.(interface{ Len() int }).Len(); got > 50 {
		t.Errorf("%d entries held, bound 50", got)
	}
	// The most recent entries are still served.
	before := n.tmpl.Load()
	rcRead(t, c, "r://items/499")
	if n.tmpl.Load() != before {
		t.Error("the most recent entry was evicted")
	}
	// 7 KiB values in 64 KiB: at most 9 of them stay. Reading 20 big
	// resources twice loads at least 11 of them again.
	for i := range 20 {
		rcRead(t, c, fmt.Sprintf("r://big/%d", i))
	}
	loads := bigLoads.Load()
	for i := range 20 {
		rcRead(t, c, fmt.Sprintf("r://big/%d", i))
	}
	if again := bigLoads.Load() - loads; again < 11 {
		t.Errorf("%d of 20 big values loaded again: more than 64 KiB was held", again)
	}
	// A value over an eighth of MaxBytes is not stored at all.
	huge := fastmcp.NewMemoryCacheStore(fastmcp.MemoryCacheStoreOptions{MaxBytes: 1000})
	huge.Set(context.Background(), "k", make([]byte, 200), time.Minute)
	if _, ok, _ := huge.Get(context.Background(), "k"); ok {
		t.Error("a value over MaxBytes/8 was stored")
	}
}

// Multi round-trip rounds and input_required answers are not cached: each
// round runs the loader.
func TestResponseCacheSkipsInputRequired(t *testing.T) {
	t.Parallel()
	s, _ := rcServer(t, fastmcp.Options{}, fastmcp.ResponseCacheOptions{})
	var runs atomic.Int64
	s.AddResource(fastmcp.Resource{URI: "r://asks", Name: "asks", Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		runs.Add(1)
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "ok?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}})
		if err != nil {
			return nil, err
		}
		return []*fastmcp.ResourceContents{{Text: res.Action}}, nil
	}})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, ts.Endpoint)
	c.caps = map[string]any{"elicitation": map[string]any{}}
	for range 2 {
		var res map[string]any
		c.call("resources/read", map[string]any{"uri": "r://asks"}, &res)
		if res["resultType"] != "input_required" {
			t.Fatalf("read: %v", res)
		}
	}
	if runs.Load() != 2 {
		t.Errorf("loader ran %d times, want 2", runs.Load())
	}
}
