package fastmcp_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Tags, and enabling and disabling by name or tag, server-wide and per
// session.

// vsServer returns a server with a tagged item of each kind and an untagged
// tool:
//
//   - tools "search" (tags "read"), "delete" (tags "write", "admin"), "plain";
//   - resource "r://doc" (tags "read"), template "r://docs/{id}" (tags "read");
//   - prompt "summarize" (tags "read").
func vsServer(t testing.TB) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{})
	tool := func(name string, tags ...string) {
		fastmcp.AddTool(s, fastmcp.Tool{Name: name, Tags: tags}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return name, nil })
	}
	tool("search", "read")
	tool("delete", "write", "admin")
	tool("plain")
	s.AddResource(fastmcp.Resource{URI: "r://doc", Name: "doc", Tags: []string{"read"}, Load: fastmcp.StaticText("doc")})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "r://docs/{id}", Name: "docs", Tags: []string{"read"},
		Complete: map[string]fastmcp.Completer{"id": fastmcp.EnumCompleter("a", "b")}},
		func(ctx *fastmcp.Context, uri string, a map[string]string) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: a["id"]}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "summarize", Tags: []string{"read"}, Arguments: []fastmcp.PromptArgument{{Name: "x", Enum: []string{"one", "two"}}}},
		func(ctx *fastmcp.Context, a map[string]string) (string, error) { return "summary", nil })
	return s
}

// vsSeen is what a client sees of vsServer: the names it lists, and those it
// can reach directly.
type vsSeen struct {
	listed, reached []string
}

func vsLook(t testing.TB, c *fastmcptest.Client) vsSeen {
	t.Helper()
	ctx := testkit.Context(t)
	var s vsSeen
	tools, err := c.ListTools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools {
		s.listed = append(s.listed, tl.Name)
	}
	res, _ := c.ListResources(ctx)
	for _, r := range res {
		s.listed = append(s.listed, r.URI)
	}
	tmpls, _ := c.ListResourceTemplates(ctx)
	for _, r := range tmpls {
		s.listed = append(s.listed, r.URITemplate)
	}
	prompts, _ := c.ListPrompts(ctx)
	for _, p := range prompts {
		s.listed = append(s.listed, p.Name)
	}
	for _, name := range []string{"search", "delete", "plain"} {
		if _, err := c.CallTool(ctx, name, nil); err == nil {
			s.reached = append(s.reached, name)
		} else if !strings.Contains(err.Error(), "Unknown tool: "+name) {
			t.Errorf("call %s: %v, want unknown tool", name, err)
		}
	}
	if _, err := c.ReadResource(ctx, "r://doc"); err == nil {
		s.reached = append(s.reached, "r://doc")
	} else if e := (*fastmcp.Error)(nil); !errors.As(err, &e) || e.Code != fastmcp.CodeResourceNotFound {
		t.Errorf("read r://doc: %v, want not found", err)
	}
	if _, err := c.ReadResource(ctx, "r://docs/a"); err == nil {
		s.reached = append(s.reached, "r://docs/{id}")
	}
	_, perr := c.GetPrompt(ctx, "summarize", nil)
	_, cerr := c.Complete(ctx, fastmcp.PromptRef("summarize"), "x", "o", nil)
	if (perr == nil) != (cerr == nil) {
		t.Errorf("prompts/get %v but completion %v", perr, cerr)
	}
	if perr == nil {
		s.reached = append(s.reached, "summarize")
	} else if !strings.Contains(perr.Error(), "Unknown prompt: summarize") {
		t.Errorf("get summarize: %v", perr)
	}
	return s
}

var vsAll = []string{"delete", "plain", "search", "r://doc", "r://docs/{id}", "summarize"}

func TestVisibilityServerRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rules func(s *fastmcp.Server)
		want  []string // sorted as listed: tools, resources, templates, prompts
	}{
		{"none", func(s *fastmcp.Server) {}, vsAll},
		{"by tag", func(s *fastmcp.Server) { s.Disable(fastmcp.ByTag("read")) }, []string{"delete", "plain"}},
		{"by name", func(s *fastmcp.Server) { s.Disable(fastmcp.ByName("plain", "r://docs/{id}")) },
			[]string{"delete", "search", "r://doc", "summarize"}},
		{"by tag, one kind", func(s *fastmcp.Server) {
			s.Disable(fastmcp.Selector{Tags: []string{"read"}, Kinds: fastmcp.KindTool | fastmcp.KindPrompt})
		},
			[]string{"delete", "plain", "r://doc", "r://docs/{id}"}},
		{"any of the tags", func(s *fastmcp.Server) { s.Disable(fastmcp.ByTag("nope", "admin")) },
			[]string{"plain", "search", "r://doc", "r://docs/{id}", "summarize"}},
		{"enabled again", func(s *fastmcp.Server) {
			s.Disable(fastmcp.ByTag("read"))
			s.Enable(fastmcp.ByTag("read"))
		}, vsAll},
		{"name after tag", func(s *fastmcp.Server) {
			s.Disable(fastmcp.ByTag("read"))
			s.Enable(fastmcp.ByName("search"))
		}, []string{"delete", "plain", "search"}},
		{"tag after name", func(s *fastmcp.Server) {
			s.Disable(fastmcp.ByName("search"))
			s.Enable(fastmcp.ByTag("read"))
		}, vsAll},
		{"allowlist", func(s *fastmcp.Server) {
			s.Disable(fastmcp.Selector{All: true})
			s.Enable(fastmcp.ByTag("read"))
		}, []string{"search", "r://doc", "r://docs/{id}", "summarize"}},
		{"all of a kind", func(s *fastmcp.Server) { s.Disable(fastmcp.Selector{All: true, Kinds: fastmcp.KindTool}) },
			[]string{"r://doc", "r://docs/{id}", "summarize"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := vsServer(t)
			tc.rules(s)
			got := vsLook(t, testkit.Connect(t, s, nil))
			if !slices.Equal(got.listed, tc.want) {
				t.Errorf("listed %v, want %v", got.listed, tc.want)
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			slices.Sort(got.reached)
			if !slices.Equal(got.reached, want) {
				t.Errorf("reached %v, want %v", got.reached, want)
			}
		})
	}
}

func TestVisibilityItemsAddedLater(t *testing.T) {
	t.Parallel()
	s := vsServer(t)
	s.Disable(fastmcp.ByTag("beta"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "new", Tags: []string{"beta"}}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil)
	if names := mtToolNames(t, c); slices.Contains(names, "new") {
		t.Errorf("a tool added after Disable is listed: %v", names)
	}
}

func TestVisibilityListChanged(t *testing.T) {
	t.Parallel()
	s := vsServer(t)
	c1, c2 := testkit.Connect(t, s, nil), testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)

	// A server-wide change that hides a tool reaches every client, as a
	// tools list change only.
	s.Disable(fastmcp.ByName("plain"))
	for _, c := range []*fastmcptest.Client{c1, c2} {
		if _, err := c.WaitNotification(ctx, "notifications/tools/list_changed", 1); err != nil {
			t.Fatal(err)
		}
	}
	// A rule that changes nothing sends nothing; the next real change is
	// the second notification, and a prompts one.
	s.Disable(fastmcp.ByTag("no-such-tag"))
	s.Disable(fastmcp.ByName("summarize"))
	for _, c := range []*fastmcptest.Client{c1, c2} {
		if _, err := c.WaitNotification(ctx, "notifications/prompts/list_changed", 1); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.Notifications() {
			if n.Method == "notifications/resources/list_changed" {
				t.Errorf("resources list change for a rule about tools and prompts")
			}
		}
		if k := len(c.Notifications()); k != 2 {
			t.Errorf("%d notifications, want 2: %+v", k, c.Notifications())
		}
	}
}

func TestVisibilityPerSession(t *testing.T) {
	t.Parallel()
	s := vsServer(t)
	a := testkit.Connect(t, s, &fastmcptest.Options{ClientInfo: fastmcp.Implementation{Name: "a", Version: "1"}})
	b := testkit.Connect(t, s, &fastmcptest.Options{ClientInfo: fastmcp.Implementation{Name: "b", Version: "1"}})
	ctx := testkit.Context(t)
	var sa *fastmcp.Session
	for _, sess := range s.Sessions() {
		if sess.ClientInfo().Name == "a" {
			sa = sess
		}
	}
	if sa == nil {
		t.Fatal("no session for client a")
	}

	sa.Disable(fastmcp.ByTag("write"))
	if _, err := a.WaitNotification(ctx, "notifications/tools/list_changed", 1); err != nil {
		t.Fatal(err)
	}
	if got := vsLook(t, a); slices.Contains(got.listed, "delete") || slices.Contains(got.reached, "delete") {
		t.Errorf("session a still sees delete: %+v", got)
	}
	if got := vsLook(t, b); !slices.Equal(got.listed, vsAll) {
		t.Errorf("session b sees %v", got.listed)
	}
	// The server hides "search"; session a shows it to itself again.
	s.Disable(fastmcp.ByName("search"))
	if _, err := a.WaitNotification(ctx, "notifications/tools/list_changed", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitNotification(ctx, "notifications/tools/list_changed", 1); err != nil {
		t.Fatal(err)
	}
	sa.Enable(fastmcp.ByName("search"))
	if _, err := a.WaitNotification(ctx, "notifications/tools/list_changed", 3); err != nil {
		t.Fatal(err)
	}
	if got := vsLook(t, a); !slices.Contains(got.reached, "search") || slices.Contains(got.reached, "delete") {
		t.Errorf("session a: %+v", got)
	}
	if got := vsLook(t, b); slices.Contains(got.reached, "search") {
		t.Errorf("session b reaches search: %+v", got)
	}
	// Session b was told of nothing session a did.
	for _, n := range b.Notifications() {
		if n.Method != "notifications/tools/list_changed" {
			t.Errorf("session b got %s", n.Method)
		}
	}
	if k := len(b.Notifications()); k != 1 {
		t.Errorf("session b got %d notifications, want 1", k)
	}
}

func TestVisibilityModernListen(t *testing.T) {
	t.Parallel()
	s := vsServer(t)
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, ts.Endpoint)
	sr, _, id := mdListen(t, c, map[string]any{"toolsListChanged": true}, `{"toolsListChanged":true}`)
	s.Disable(fastmcp.ByTag("admin"))
	mdTagged(t, mdNext(t, c, sr), "notifications/tools/list_changed", id)
	a := c.send(mdReq{method: "tools/call", params: map[string]any{"name": "delete"}})
	a.wantError(t, 200, -32602)
	var list fastmcp.ListToolsResult
	c.call("tools/list", nil, &list)
	for _, tl := range list.Tools {
		if tl.Name == "delete" {
			t.Error("a disabled tool is listed to a 2026-07-28 client")
		}
	}
}

func TestVisibilityOnMountedItems(t *testing.T) {
	t.Parallel()
	parent, _ := mtParent(t, fastmcp.Options{})
	parent.Disable(fastmcp.ByName("weather_whoami", "weather+file:///data/today"))
	c := testkit.Connect(t, parent, nil)
	names := mtToolNames(t, c)
	if !slices.Equal(names, []string{"hello", "weather_forecast"}) {
		t.Errorf("tools %v", names)
	}
	if _, err := c.ReadResource(testkit.Context(t), "weather+file:///data/today"); err == nil {
		t.Error("a disabled mounted resource was read")
	}
	// Mount tags select a whole mount.
	other := mtWeather(t)
	parent.Mount("w2", other, fastmcp.MountOptions{Tags: []string{"mount-w2"}})
	parent.Disable(fastmcp.ByTag("mount-w2"))
	for _, n := range mtToolNames(t, c) {
		if strings.HasPrefix(n, "w2_") {
			t.Errorf("tool %s of a disabled mount listed", n)
		}
	}
	// A session's rules name the parent's items, not the child's: a rule
	// for "forecast" does not hide "weather_forecast".
	for _, sess := range parent.Sessions() {
		sess.Disable(fastmcp.ByName("forecast"))
	}
	if got := mtCallText(t, c, "weather_forecast", map[string]any{"city": "x"}); got != "1 days of sun in x" {
		t.Errorf("weather_forecast: %q", got)
	}
}

func TestVisibilitySelectorPanics(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, sel := range []fastmcp.Selector{{}, {Kinds: fastmcp.KindTool}, {Names: []string{}}, {All: true, Kinds: 1 << 6}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Selector") {
					t.Errorf("Disable(%+v): panic %v", sel, r)
				}
			}()
			s.Disable(sel)
		}()
	}
}
