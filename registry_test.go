package fastmcp_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

const (
	regToolsChanged     = "notifications/tools/list_changed"
	regResourcesChanged = "notifications/resources/list_changed"
	regPromptsChanged   = "notifications/prompts/list_changed"
)

func registryText(_ *fastmcp.Context, _ map[string]any) (string, error) { return "ok", nil }

func registryPrompt(*fastmcp.Context, map[string]string) (string, error) { return "p", nil }

func TestRegistryConcurrentMutation(t *testing.T) {
	t.Parallel()
	const writers, rounds = 4, 20
	s := testkit.NewServer(t, fastmcp.Options{PageSize: 7})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "stable"}, registryText)
	s.AddResource(fastmcp.Resource{URI: "test://stable", Name: "stable", Load: fastmcp.StaticText("stable")})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "stable"}, registryPrompt)
	clients := []*fastmcptest.Client{connectReady(t, s, nil), connectReady(t, s, nil)}
	ctx := testkit.Context(t)

	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Go(func() {
			for i := range rounds {
				name := fmt.Sprintf("w%d-%02d", w, i)
				fastmcp.AddTool(s, fastmcp.Tool{Name: name}, registryText)
				s.AddResource(fastmcp.Resource{URI: "test://" + name, Name: name, Load: fastmcp.StaticText(name)})
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: name}, registryPrompt)
				fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://" + name + "/{x}", Name: name},
					func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
						return []*fastmcp.ResourceContents{{Text: "t"}}, nil
					})
				if i%2 == 1 {
					s.RemoveTools(name)
					s.RemoveResources("test://" + name)
					s.RemovePrompts(name)
					s.RemoveResourceTemplates("test://" + name + "/{x}")
				}
			}
		})
	}
	done := make(chan struct{})
	errs := make(chan error, 100)
	var readersWG sync.WaitGroup
	for _, c := range clients {
		readersWG.Go(func() {
			for first := true; ; first = false {
				select {
				case <-done:
					if !first {
						return
					}
				default:
				}
				if err := registryReadAll(ctx, c); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	writersWG.Wait()
	close(done)
	readersWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var want []string
	for w := range writers {
		for i := 0; i < rounds; i += 2 {
			want = append(want, fmt.Sprintf("w%d-%02d", w, i))
		}
	}
	want = append(want, "stable")
	slices.Sort(want)
	tools, err := clients[0].ListTools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools {
		names = append(names, tool.Name)
	}
	if diff := testdiff.Diff(want, names); diff != "" {
		t.Errorf("final tools (-want +got):\n%s", diff)
	}
	prompts, err := clients[1].ListPrompts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, p := range prompts {
		names = append(names, p.Name)
	}
	if diff := testdiff.Diff(want, names); diff != "" {
		t.Errorf("final prompts (-want +got):\n%s", diff)
	}
	resources, err := clients[0].ListResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	templates, err := clients[0].ListResourceTemplates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(resources) != len(want) || len(templates) != len(want)-1 {
		t.Errorf("final: %d resources, %d templates; want %d, %d", len(resources), len(templates), len(want), len(want)-1)
	}
}

// registryReadAll lists everything (checking the order of each list) and uses the
// stable tool, resource and prompt.
func registryReadAll(ctx context.Context, c *fastmcptest.Client) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	if !slices.IsSortedFunc(tools, func(a, b *fastmcp.Tool) int { return registryCompare(a.Name, b.Name) }) {
		return fmt.Errorf("tools/list not sorted")
	}
	if res, err := c.CallTool(ctx, "stable", nil); err != nil || res.IsError {
		return fmt.Errorf("call stable: %v %+v", err, res)
	}
	resources, err := c.ListResources(ctx)
	if err != nil {
		return fmt.Errorf("resources/list: %w", err)
	}
	if !slices.IsSortedFunc(resources, func(a, b *fastmcp.Resource) int { return registryCompare(a.URI, b.URI) }) {
		return fmt.Errorf("resources/list not sorted")
	}
	if _, err := c.ListResourceTemplates(ctx); err != nil {
		return fmt.Errorf("resources/templates/list: %w", err)
	}
	if _, err := c.ReadResource(ctx, "test://stable"); err != nil {
		return fmt.Errorf("read stable: %w", err)
	}
	prompts, err := c.ListPrompts(ctx)
	if err != nil {
		return fmt.Errorf("prompts/list: %w", err)
	}
	if !slices.IsSortedFunc(prompts, func(a, b *fastmcp.Prompt) int { return registryCompare(a.Name, b.Name) }) {
		return fmt.Errorf("prompts/list not sorted")
	}
	if _, err := c.GetPrompt(ctx, "stable", nil); err != nil {
		return fmt.Errorf("get stable: %w", err)
	}
	return nil
}

func registryCompare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRegistryListChangedDebounced(t *testing.T) {
	t.Parallel()
	const burst = 20
	// A generous window, so the whole burst falls in it even on a loaded
	// machine; the test waits for the notifications, never for the window.
	s := testkit.NewServer(t, fastmcp.Options{ListChangedDelay: 200 * time.Millisecond})
	c := connectReady(t, s, nil)
	ctx := testkit.Context(t)
	for i := range burst {
		name := fmt.Sprintf("x%02d", i)
		fastmcp.AddTool(s, fastmcp.Tool{Name: name}, registryText)
		s.AddResource(fastmcp.Resource{URI: "test://" + name, Name: name, Load: fastmcp.StaticText("x")})
		fastmcp.AddPrompt(s, fastmcp.Prompt{Name: name}, registryPrompt)
		// A round trip between changes gives an implementation that
		// notifies at once (even from another goroutine) the time to do
		// so, while staying well inside the debounce window.
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{regToolsChanged, regResourcesChanged, regPromptsChanged} {
		if _, err := c.WaitNotification(ctx, m, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, n := range c.Notifications() {
		counts[n.Method]++
	}
	for _, m := range []string{regToolsChanged, regResourcesChanged, regPromptsChanged} {
		// One per window: more only if the burst outlasted a window.
		if counts[m] < 1 || counts[m] > 3 {
			t.Errorf("%d×%s for a burst of %d changes, want 1 (3 at most)", counts[m], m, burst)
		}
	}

	// A later burst is announced again.
	s.RemoveTools("x00")
	s.RemoveResources("test://x00")
	s.RemovePrompts("x00")
	for _, m := range []string{regToolsChanged, regResourcesChanged, regPromptsChanged} {
		if _, err := c.WaitNotification(ctx, m, counts[m]+1); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRegistryListChangedEveryRevision(t *testing.T) {
	t.Parallel()
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{ListChangedDelay: time.Millisecond})
			c := connectReady(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			ctx := testkit.Context(t)
			fastmcp.AddTool(s, fastmcp.Tool{Name: "t"}, registryText)
			// A template is part of the resources list.
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://t/{x}", Name: "t"},
				func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
					return nil, nil
				})
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, registryPrompt)
			kinds := []string{regToolsChanged, regResourcesChanged, regPromptsChanged}
			for _, m := range kinds {
				n, err := c.WaitNotification(ctx, m, 1)
				if err != nil {
					t.Fatal(err)
				}
				if len(n.Params) != 0 && string(n.Params) != "{}" && string(n.Params) != "null" {
					t.Errorf("%s params %s", m, n.Params)
				}
			}
			// Each change is one call, so at most one notification of its
			// kind, and removals are announced as well.
			s.RemoveTools("t", "absent")
			s.RemoveResourceTemplates("test://t/{x}")
			s.RemovePrompts("p")
			for _, m := range kinds {
				if _, err := c.WaitNotification(ctx, m, 2); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			for _, m := range kinds {
				if n := len(notesOf(c, m)); n != 2 {
					t.Errorf("%d×%s, want 2", n, m)
				}
			}
		})
	}
}

func TestRegistryNoListChangedBeforeInitialized(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{ListChangedDelay: time.Millisecond})
	witness := connectReady(t, s, nil)
	pending := testkit.Connect(t, s, &fastmcptest.Options{SkipInitialize: true})
	bare := testkit.Connect(t, s, &fastmcptest.Options{SkipInitialize: true})
	ctx := testkit.Context(t)
	var res fastmcp.InitializeResult
	if err := pending.Call(ctx, "initialize", fastmcp.InitializeParams{
		ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion,
		ClientInfo:      fastmcp.Implementation{Name: "pending", Version: "1"},
	}, &res); err != nil {
		t.Fatal(err)
	}
	ready := func() int {
		n := 0
		for _, sess := range s.Sessions() {
			if sess.IsReady() {
				n++
			}
		}
		return n
	}
	// A session exists once its transport has started serving: a ping
	// answered proves it for the client that has sent nothing yet.
	if err := bare.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Sessions()); got != 3 {
		t.Fatalf("%d sessions, want 3", got)
	}
	// Readiness follows the handshake asynchronously (it may wait for the
	// client's roots), so only its upper bound is certain here.
	if got := ready(); got > 1 {
		t.Errorf("%d ready sessions, want at most 1", got)
	}
	// Subscribed but not ready: no updates either.
	if err := pending.Subscribe(ctx, "test://r"); err != nil {
		t.Fatal(err)
	}

	fastmcp.AddTool(s, fastmcp.Tool{Name: "t"}, registryText)
	if _, err := witness.WaitNotification(ctx, regToolsChanged, 1); err != nil {
		t.Fatal(err)
	}
	s.ResourceUpdated("test://r")
	for name, c := range map[string]*fastmcptest.Client{"initialize only": pending, "no handshake": bare} {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if notes := c.Notifications(); len(notes) != 0 {
			t.Errorf("%s: got notifications before notifications/initialized: %+v", name, notes)
		}
	}

	// Completing the handshake turns them on.
	if err := pending.Notify("notifications/initialized", nil); err != nil {
		t.Fatal(err)
	}
	if err := pending.Ping(ctx); err != nil { // the notification is handled before the ping
		t.Fatal(err)
	}
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, registryPrompt)
	if _, err := pending.WaitNotification(ctx, regPromptsChanged, 1); err != nil {
		t.Fatal(err)
	}
	s.ResourceUpdated("test://r")
	if _, err := pending.WaitNotification(ctx, "notifications/resources/updated", 1); err != nil {
		t.Fatal(err)
	}
	if n := len(notesOf(pending, regToolsChanged)); n != 0 {
		t.Errorf("the earlier tools change reached the client late: %d notifications", n)
	}
	// notifications/initialized without initialize turns nothing on.
	if err := bare.Notify("notifications/initialized", nil); err != nil {
		t.Fatal(err)
	}
	if err := bare.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "t2"}, registryText)
	if _, err := witness.WaitNotification(ctx, regToolsChanged, 2); err != nil {
		t.Fatal(err)
	}
	if err := bare.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if notes := bare.Notifications(); len(notes) != 0 {
		t.Errorf("session without initialize got notifications: %+v", notes)
	}
	if got := ready(); got > 2 {
		t.Errorf("%d ready sessions, want at most 2", got)
	}
	_, err := bare.ListTools(ctx)
	requireErrCode(t, err, fastmcp.CodeInvalidRequest)
}
