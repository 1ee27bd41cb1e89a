package fastmcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Mounting, through the in-process client (stdio framing) and over HTTP in
// both eras. The Go SDK and TypeScript SDK clients are in
// mount_gosdk_test.go and mount_ts_test.go.

type mtForecastArgs struct {
	City string `json:"city" description:"the city"`
	Days int    `json:"days,omitempty" minimum:"1" maximum:"7"`
}

type mtHistoryArgs struct {
	City string `json:"city" enum:"paris,lima,oslo"`
	Year string `json:"year"`
}

// mtWeather returns the server that tests mount: a tool, a resource, a
// template with completion, a prompt with an enum argument, and a tool that
// reports which server runs it.
func mtWeather(t testing.TB) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{Name: "weather"})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "forecast", Description: "Forecasts the weather."},
		func(ctx *fastmcp.Context, a mtForecastArgs) (string, error) {
			if a.Days == 0 {
				a.Days = 1
			}
			return fmt.Sprintf("%d days of sun in %s", a.Days, a.City), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami", Description: "Names the server running the tool."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			return ctx.Server().Info().Name, nil
		})
	s.AddResource(fastmcp.Resource{URI: "file:///data/today", Name: "today", MIMEType: "text/plain",
		Load: fastmcp.StaticText("sunny")})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "file:///data/{city}/history{?year}", Name: "history", MIMEType: "text/plain"},
		func(ctx *fastmcp.Context, uri string, a mtHistoryArgs) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: a.City + " in " + a.Year + " (" + uri + ")"}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "brief", Description: "Briefs on a city."},
		func(ctx *fastmcp.Context, a struct {
			City string `json:"city" enum:"paris,lima,oslo"`
		}) (string, error) {
			return "Brief me on " + a.City, nil
		})
	return s
}

// mtParent returns a server with a tool of its own and mtWeather mounted at
// "weather".
func mtParent(t testing.TB, opts fastmcp.Options) (parent, child *fastmcp.Server) {
	parent = testkit.NewServer(t, opts)
	fastmcp.AddTool(parent, fastmcp.Tool{Name: "hello"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "hello from " + ctx.Server().Info().Name, nil
	})
	child = mtWeather(t)
	parent.Mount("weather", child, fastmcp.MountOptions{})
	return parent, child
}

func mtToolNames(t testing.TB, c *fastmcptest.Client) []string {
	t.Helper()
	tools, err := c.ListTools(testkit.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools {
		names = append(names, tl.Name)
	}
	return names
}

func mtCallText(t testing.TB, c *fastmcptest.Client, name string, args any) string {
	t.Helper()
	res, err := c.CallTool(testkit.Context(t), name, args)
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("call %s: isError: %s", name, fastmcptest.Text(res))
	}
	return fastmcptest.Text(res)
}

func TestMountNamesAndRoundTrips(t *testing.T) {
	t.Parallel()
	parent, _ := mtParent(t, fastmcp.Options{Name: "parent"})
	c := testkit.Connect(t, parent, nil)
	ctx := testkit.Context(t)

	if got, want := mtToolNames(t, c), []string{"hello", "weather_forecast", "weather_whoami"}; !slices.Equal(got, want) {
		t.Errorf("tools %v, want %v", got, want)
	}
	tools, _ := c.ListTools(ctx)
	var schema json.RawMessage
	for _, tl := range tools {
		if tl.Name == "weather_forecast" {
			schema, _ = json.Marshal(tl.InputSchema)
			if tl.Description != "Forecasts the weather." {
				t.Errorf("description %q", tl.Description)
			}
		}
	}
	if !strings.Contains(string(schema), `"city":{"description":"the city","type":"string"}`) {
		t.Errorf("mounted tool's schema %s", schema)
	}
	if got := mtCallText(t, c, "weather_forecast", map[string]any{"city": "Lima", "days": 3}); got != "3 days of sun in Lima" {
		t.Errorf("weather_forecast: %q", got)
	}
	// The child's schema is enforced, with the child's message.
	res, err := c.CallTool(ctx, "weather_forecast", map[string]any{"city": "Lima", "days": 9})
	if err != nil || !res.IsError || !strings.Contains(fastmcptest.Text(res), "days") {
		t.Errorf("invalid arguments: %+v %v", res, err)
	}
	// Inside a mounted tool, Context.Server is the mounted server.
	if got := mtCallText(t, c, "weather_whoami", nil); got != "weather" {
		t.Errorf("weather_whoami ran on %q", got)
	}
	if got := mtCallText(t, c, "hello", nil); got != "hello from parent" {
		t.Errorf("hello: %q", got)
	}

	resources, err := c.ListResources(ctx)
	if err != nil || len(resources) != 1 || resources[0].URI != "weather+file:///data/today" || resources[0].Name != "today" {
		t.Fatalf("resources %+v %v", resources, err)
	}
	read, err := c.ReadResource(ctx, "weather+file:///data/today")
	if err != nil || len(read.Contents) != 1 || read.Contents[0].Text != "sunny" ||
		read.Contents[0].URI != "weather+file:///data/today" || read.Contents[0].MIMEType != "text/plain" {
		t.Fatalf("read: %+v %v", read, err)
	}

	templates, err := c.ListResourceTemplates(ctx)
	if err != nil || len(templates) != 1 || templates[0].URITemplate != "weather+file:///data/{city}/history{?year}" {
		t.Fatalf("templates %+v %v", templates, err)
	}
	// The URI the client reads maps back to the child's: the child's
	// handler sees its own URI, the client gets contents under its own.
	read, err = c.ReadResource(ctx, "weather+file:///data/oslo/history?year=1990")
	if err != nil || len(read.Contents) != 1 {
		t.Fatalf("template read: %+v %v", read, err)
	}
	if got := read.Contents[0]; got.Text != "oslo in 1990 (file:///data/oslo/history?year=1990)" || got.URI != "weather+file:///data/oslo/history?year=1990" {
		t.Errorf("template read: %+v", got)
	}
	// Unknown URIs are unknown under the parent's name.
	for _, uri := range []string{"weather+file:///data/nope", "file:///data/today", "weather+other:x"} {
		_, err := c.ReadResource(ctx, uri)
		var e *fastmcp.Error
		if !errors.As(err, &e) || e.Code != fastmcp.CodeResourceNotFound || e.Message != "Resource not found: "+uri {
			t.Errorf("read %s: %v, want resource not found naming it", uri, err)
		}
	}

	prompts, err := c.ListPrompts(ctx)
	if err != nil || len(prompts) != 1 || prompts[0].Name != "weather_brief" || len(prompts[0].Arguments) != 1 || !prompts[0].Arguments[0].Required {
		t.Fatalf("prompts %+v %v", prompts, err)
	}
	got, err := c.GetPrompt(ctx, "weather_brief", map[string]string{"city": "paris"})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Content.(*fastmcp.TextContent).Text != "Brief me on paris" || got.Description != "Briefs on a city." {
		t.Fatalf("prompt: %+v %v", got, err)
	}
	if _, err := c.GetPrompt(ctx, "weather_brief", map[string]string{"city": "rome"}); err == nil || !strings.Contains(err.Error(), "must be one of") {
		t.Errorf("enum refused: %v", err)
	}
	if _, err := c.GetPrompt(ctx, "brief", map[string]string{"city": "paris"}); err == nil || !strings.Contains(err.Error(), "Unknown prompt: brief") {
		t.Errorf("child name through parent: %v", err)
	}

	// Completion references name the parent's prompt and template.
	for _, tc := range []struct {
		ref  fastmcp.CompleteReference
		want []string
	}{
		{fastmcp.PromptRef("weather_brief"), []string{"lima"}},
		{fastmcp.ResourceRef("weather+file:///data/{city}/history{?year}"), []string{"lima"}},
	} {
		res, err := c.Complete(ctx, tc.ref, "city", "li", nil)
		if err != nil || !slices.Equal(res.Completion.Values, tc.want) {
			t.Errorf("complete %+v: %+v %v", tc.ref, res, err)
		}
	}
	if _, err := c.Complete(ctx, fastmcp.PromptRef("brief"), "city", "li", nil); err == nil {
		t.Error("completion of the child's own name through the parent succeeded")
	}

	for _, name := range []string{"forecast", "weather_nope", "weatherforecast"} {
		if _, err := c.CallTool(ctx, name, nil); err == nil || !strings.Contains(err.Error(), "Unknown tool: "+name) {
			t.Errorf("call %s: %v, want unknown tool", name, err)
		}
	}
}

func TestMountNested(t *testing.T) {
	t.Parallel()
	parent, _ := mtParent(t, fastmcp.Options{})
	root := testkit.NewServer(t, fastmcp.Options{})
	root.Mount("travel", parent, fastmcp.MountOptions{})
	c := testkit.Connect(t, root, nil)
	ctx := testkit.Context(t)
	if got, want := mtToolNames(t, c), []string{"travel_hello", "travel_weather_forecast", "travel_weather_whoami"}; !slices.Equal(got, want) {
		t.Errorf("tools %v, want %v", got, want)
	}
	if got := mtCallText(t, c, "travel_weather_forecast", map[string]any{"city": "Oslo"}); got != "1 days of sun in Oslo" {
		t.Errorf("nested call: %q", got)
	}
	read, err := c.ReadResource(ctx, "travel+weather+file:///data/lima/history?year=2001")
	if err != nil || read.Contents[0].URI != "travel+weather+file:///data/lima/history?year=2001" || !strings.HasPrefix(read.Contents[0].Text, "lima in 2001") {
		t.Fatalf("nested template read: %+v %v", read, err)
	}
	res, err := c.Complete(ctx, fastmcp.ResourceRef("travel+weather+file:///data/{city}/history{?year}"), "city", "o", nil)
	if err != nil || !slices.Equal(res.Completion.Values, []string{"oslo"}) {
		t.Errorf("nested completion: %+v %v", res, err)
	}
}

func TestMountCompletionCounts(t *testing.T) {
	t.Parallel()
	child := testkit.NewServer(t, fastmcp.Options{})
	many := make([]string, 250)
	for i := range many {
		many[i] = fmt.Sprintf("v%03d", i)
	}
	fastmcp.AddPrompt(child, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{Name: "x", Complete: fastmcp.EnumCompleter(many...)}}},
		func(ctx *fastmcp.Context, a map[string]string) (string, error) { return a["x"], nil })
	parent := testkit.NewServer(t, fastmcp.Options{})
	parent.Mount("m", child, fastmcp.MountOptions{})
	c := testkit.Connect(t, parent, nil)
	res, err := c.Complete(testkit.Context(t), fastmcp.PromptRef("m_p"), "x", "", nil)
	if err != nil || len(res.Completion.Values) != fastmcp.MaxCompletionValues || res.Completion.Total != 250 || !res.Completion.HasMore {
		t.Fatalf("completion through a mount: %d values, total %d, hasMore %v, %v", len(res.Completion.Values), res.Completion.Total, res.Completion.HasMore, err)
	}
}

func TestMountLive(t *testing.T) {
	t.Parallel()
	parent, child := mtParent(t, fastmcp.Options{})
	c := testkit.Connect(t, parent, nil)
	ctx := testkit.Context(t)
	n := 0
	wait := func(what string) {
		t.Helper()
		n++
		if _, err := c.WaitNotification(ctx, "notifications/tools/list_changed", n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	fastmcp.AddTool(child, fastmcp.Tool{Name: "radar"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "radar", nil })
	wait("child added a tool")
	if got := mtCallText(t, c, "weather_radar", nil); got != "radar" {
		t.Errorf("weather_radar: %q", got)
	}
	child.RemoveTools("radar")
	wait("child removed a tool")
	if names := mtToolNames(t, c); slices.Contains(names, "weather_radar") {
		t.Errorf("removed tool still listed: %v", names)
	}
	// The child's own rules hide its items from the parent too.
	child.Disable(fastmcp.ByName("forecast"))
	wait("child disabled a tool")
	if _, err := c.CallTool(ctx, "weather_forecast", map[string]any{"city": "x"}); err == nil || !strings.Contains(err.Error(), "Unknown tool") {
		t.Errorf("disabled in the child, called through the parent: %v", err)
	}
	child.Enable(fastmcp.ByName("forecast"))
	wait("child enabled a tool")
	mtCallText(t, c, "weather_forecast", map[string]any{"city": "x"})

	// Resource updates reach the parent's subscribers under the parent's URI.
	if err := c.Subscribe(ctx, "weather+file:///data/today"); err != nil {
		t.Fatal(err)
	}
	child.ResourceUpdated("file:///data/today")
	note, err := c.WaitNotification(ctx, "notifications/resources/updated", 1)
	if err != nil || !strings.Contains(string(note.Params), `"uri":"weather+file:///data/today"`) {
		t.Fatalf("resource update through the mount: %s %v", note.Params, err)
	}

	if !parent.Unmount("weather") {
		t.Fatal("Unmount reported nothing mounted")
	}
	wait("unmounted")
	if names := mtToolNames(t, c); !slices.Equal(names, []string{"hello"}) {
		t.Errorf("after Unmount: %v", names)
	}
	if parent.Unmount("weather") {
		t.Error("second Unmount reported a mount")
	}
	// An unmounted child's tools are gone for good.
	fastmcp.AddTool(child, fastmcp.Tool{Name: "late"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	if names := mtToolNames(t, c); !slices.Equal(names, []string{"hello"}) {
		t.Errorf("unmounted child's tool listed: %v", names)
	}
}

func TestMountLiveModernListen(t *testing.T) {
	t.Parallel()
	parent, child := mtParent(t, fastmcp.Options{})
	ts := testkit.ServeHTTP(t, parent, fastmcp.HTTP{})
	c := mdNew(t, ts.Endpoint)
	sr, _, id := mdListen(t, c, map[string]any{"toolsListChanged": true, "resourceSubscriptions": []string{"weather+file:///data/today"}},
		`{"toolsListChanged":true,"resourceSubscriptions":["weather+file:///data/today"]}`)
	fastmcp.AddTool(child, fastmcp.Tool{Name: "radar"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "radar", nil })
	mdTagged(t, mdNext(t, c, sr), "notifications/tools/list_changed", id)
	var res fastmcp.CallToolResult
	c.call("tools/call", map[string]any{"name": "weather_radar"}, &res)
	if fastmcptest.Text(&res) != "radar" {
		t.Errorf("2026-07-28 call of a mounted tool: %+v", res)
	}
	child.ResourceUpdated("file:///data/today")
	m := mdNext(t, c, sr)
	mdTagged(t, m, "notifications/resources/updated", id)
	if !strings.Contains(string(m.Params), `"uri":"weather+file:///data/today"`) {
		t.Errorf("update %s", m.Params)
	}
}

func TestMountPrecedence(t *testing.T) {
	t.Parallel()
	parent, _ := mtParent(t, fastmcp.Options{})
	// The parent's own tool wins over the mounted one of the same name,
	// whichever came first.
	fastmcp.AddTool(parent, fastmcp.Tool{Name: "weather_forecast"}, func(ctx *fastmcp.Context, _ map[string]any) (string, error) { return "local", nil })
	c := testkit.Connect(t, parent, nil)
	if got := mtCallText(t, c, "weather_forecast", nil); got != "local" {
		t.Errorf("local tool lost to the mounted one: %q", got)
	}
	if names := mtToolNames(t, c); countOf(names, "weather_forecast") != 1 {
		t.Errorf("weather_forecast listed %d times: %v", countOf(names, "weather_forecast"), names)
	}
	parent.RemoveTools("weather_forecast")
	if got := mtCallText(t, c, "weather_forecast", map[string]any{"city": "Rome"}); got != "1 days of sun in Rome" {
		t.Errorf("after removing the local tool: %q", got)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestMountMostRecentWins(t *testing.T) {
	t.Parallel()
	// Two mounts offer "x_z": tool "x_z" mounted without a prefix, and tool
	// "z" mounted at "x".
	a, b := testkit.NewServer(t, fastmcp.Options{Name: "a"}), testkit.NewServer(t, fastmcp.Options{Name: "b"})
	fastmcp.AddTool(a, fastmcp.Tool{Name: "x_z"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "a", nil })
	fastmcp.AddTool(b, fastmcp.Tool{Name: "z"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "b", nil })
	parent := testkit.NewServer(t, fastmcp.Options{})
	parent.Mount("", a, fastmcp.MountOptions{})
	parent.Mount("x", b, fastmcp.MountOptions{})
	c := testkit.Connect(t, parent, nil)
	if got := mtCallText(t, c, "x_z", nil); got != "b" {
		t.Errorf("x_z reached %q, want the most recent mount", got)
	}
	if names := mtToolNames(t, c); !slices.Equal(names, []string{"x_z"}) {
		t.Errorf("tools %v", names)
	}
	parent.Unmount("x")
	if got := mtCallText(t, c, "x_z", nil); got != "a" {
		t.Errorf("after Unmount x_z reached %q", got)
	}
}

func TestMountPanics(t *testing.T) {
	t.Parallel()
	a, b, c := testkit.NewServer(t, fastmcp.Options{}), testkit.NewServer(t, fastmcp.Options{}), testkit.NewServer(t, fastmcp.Options{})
	a.Mount("b", b, fastmcp.MountOptions{})
	b.Mount("c", c, fastmcp.MountOptions{})
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"self", func() { a.Mount("self", a, fastmcp.MountOptions{}) }, "cycle"},
		{"direct cycle", func() { b.Mount("a", a, fastmcp.MountOptions{}) }, "cycle"},
		{"indirect cycle", func() { c.Mount("a", a, fastmcp.MountOptions{}) }, "cycle"},
		{"duplicate prefix", func() { a.Mount("b", c, fastmcp.MountOptions{}) }, "already mounted"},
		{"nil", func() { a.Mount("n", nil, fastmcp.MountOptions{}) }, "nil server"},
		{"underscore", func() { a.Mount("a_b", c, fastmcp.MountOptions{}) }, "invalid prefix"},
		{"plus", func() { a.Mount("a+b", c, fastmcp.MountOptions{}) }, "invalid prefix"},
		{"digit first", func() { a.Mount("1a", c, fastmcp.MountOptions{}) }, "invalid prefix"},
		{"slash", func() { a.Mount("a/b", c, fastmcp.MountOptions{}) }, "invalid prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
	// The same server under two prefixes is not a cycle.
	a.Mount("c2", c, fastmcp.MountOptions{})
	a.Mount("dotted.name-1", c, fastmcp.MountOptions{})
}

// mtRecorder is middleware that records the requests it sees.
type mtRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *mtRecorder) middleware(next fastmcp.MethodHandler) fastmcp.MethodHandler {
	return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
		var p struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		}
		json.Unmarshal(req.Params, &p)
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.Name+" params:"+p.Name+p.URI)
		r.mu.Unlock()
		return next(ctx, req)
	}
}

func (r *mtRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

func TestMountMiddleware(t *testing.T) {
	t.Parallel()
	parent, child := mtParent(t, fastmcp.Options{})
	var outer, inner mtRecorder
	parent.Use(outer.middleware)
	child.Use(inner.middleware)
	c := testkit.Connect(t, parent, nil)
	ctx := testkit.Context(t)
	outer.take()

	mtCallText(t, c, "hello", nil)
	if got := inner.take(); len(got) != 0 {
		t.Errorf("the child's middleware ran for the parent's own tool: %v", got)
	}
	if got := outer.take(); !slices.Equal(got, []string{"tools/call hello params:hello"}) {
		t.Errorf("parent middleware: %v", got)
	}

	mtCallText(t, c, "weather_forecast", map[string]any{"city": "Lima"})
	if _, err := c.ReadResource(ctx, "weather+file:///data/lima/history?year=1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPrompt(ctx, "weather_brief", map[string]string{"city": "lima"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Complete(ctx, fastmcp.PromptRef("weather_brief"), "city", "l", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTools(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"tools/call weather_forecast params:weather_forecast",
		"resources/read weather+file:///data/lima/history?year=1 params:weather+file:///data/lima/history?year=1",
		"prompts/get weather_brief params:weather_brief",
		"completion/complete  params:",
		"tools/list  params:",
	}
	if diff := testdiff.Diff(want, outer.take()); diff != "" {
		t.Errorf("parent middleware (-want +got):\n%s", diff)
	}
	// The child's middleware sees the child's names, in Name and in params;
	// lists are the parent's.
	want = []string{
		"tools/call forecast params:forecast",
		"resources/read file:///data/lima/history?year=1 params:file:///data/lima/history?year=1",
		"prompts/get brief params:brief",
		"completion/complete  params:",
	}
	if diff := testdiff.Diff(want, inner.take()); diff != "" {
		t.Errorf("child middleware (-want +got):\n%s", diff)
	}

	// Child middleware can answer for its own component, and reroute.
	child.Use(func(next fastmcp.MethodHandler) fastmcp.MethodHandler {
		return func(ctx *fastmcp.Context, req *fastmcp.Request) (any, error) {
			if req.Method == "tools/call" && req.Name == "whoami" {
				req.Name = "forecast"
				req.Arguments = json.RawMessage(`{"city":"rerouted"}`)
			}
			return next(ctx, req)
		}
	})
	if got := mtCallText(t, c, "weather_whoami", nil); got != "1 days of sun in rerouted" {
		t.Errorf("rerouted by the child's middleware: %q", got)
	}
}

type mtUser struct{ Roles []string }

func (u mtUser) AuthRoles() []string { return u.Roles }

func TestMountAccessChecks(t *testing.T) {
	t.Parallel()
	newParent := func(roles []string, opts fastmcp.MountOptions) *fastmcptest.Client {
		parent := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[mtUser](func(*http.Request) (mtUser, error) {
			return mtUser{Roles: roles}, nil
		})})
		fastmcp.AddTool(parent, fastmcp.Tool{Name: "local"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
		child := testkit.NewServer(t, fastmcp.Options{})
		fastmcp.AddTool(child, fastmcp.Tool{Name: "open"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "open", nil })
		fastmcp.AddTool(child, fastmcp.Tool{Name: "admin", CanAccess: fastmcp.RequireRole("admin")},
			func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "admin", nil })
		child.AddResource(fastmcp.Resource{URI: "s://secret", Name: "secret", CanAccess: fastmcp.RequireRole("admin"), Load: fastmcp.StaticText("s")})
		parent.Mount("m", child, opts)
		return testkit.Connect(t, parent, nil)
	}
	for _, tc := range []struct {
		name  string
		roles []string
		opts  fastmcp.MountOptions
		want  []string
	}{
		{"child's check refuses", []string{"user"}, fastmcp.MountOptions{}, []string{"local", "m_open"}},
		{"child's check admits", []string{"admin"}, fastmcp.MountOptions{}, []string{"local", "m_admin", "m_open"}},
		{"mount's check refuses", []string{"admin"}, fastmcp.MountOptions{CanAccess: fastmcp.RequireRole("staff")}, []string{"local"}},
		{"both admit", []string{"admin", "staff"}, fastmcp.MountOptions{CanAccess: fastmcp.RequireRole("staff")}, []string{"local", "m_admin", "m_open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newParent(tc.roles, tc.opts)
			ctx := testkit.Context(t)
			if got := mtToolNames(t, c); !slices.Equal(got, tc.want) {
				t.Errorf("tools %v, want %v", got, tc.want)
			}
			for _, name := range []string{"m_open", "m_admin"} {
				_, err := c.CallTool(ctx, name, nil)
				if visible := slices.Contains(tc.want, name); visible != (err == nil) {
					t.Errorf("call %s: %v (visible %v)", name, err, visible)
				}
			}
			_, err := c.ReadResource(ctx, "m+s://secret")
			if visible := slices.Contains(tc.want, "m_admin"); visible != (err == nil) {
				t.Errorf("read secret: %v (visible %v)", err, visible)
			}
		})
	}
}

func TestMountErrorsAndPanics(t *testing.T) {
	t.Parallel()
	child := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(child, fastmcp.Tool{Name: "boom"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { panic("kaboom") })
	fastmcp.AddTool(child, fastmcp.Tool{Name: "fail"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", errors.New("secret detail")
	})
	fastmcp.AddTool(child, fastmcp.Tool{Name: "user"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", fastmcp.UserErrorf("try again")
	})
	fastmcp.AddTool(child, fastmcp.Tool{Name: "rpc"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", fastmcp.NewError(fastmcp.CodeInvalidParams, "bad call")
	})
	child.AddResource(fastmcp.Resource{URI: "r://x", Name: "x", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return nil, fastmcp.UserErrorf("not today")
	}})
	parent := testkit.NewServer(t, fastmcp.Options{ShowErrorDetails: true})
	parent.Mount("c", child, fastmcp.MountOptions{})
	c := testkit.Connect(t, parent, nil)
	ctx := testkit.Context(t)
	for _, tc := range []struct{ tool, want string }{
		{"c_boom", `Tool "boom" failed because of an internal error.`},
		// The child's options mask its errors.
		{"c_fail", `Tool "fail" failed because of an internal error.`},
		{"c_user", "try again"},
	} {
		res, err := c.CallTool(ctx, tc.tool, nil)
		if err != nil || !res.IsError || fastmcptest.Text(res) != tc.want {
			t.Errorf("%s: %+v %v, want isError %q", tc.tool, res, err, tc.want)
		}
	}
	var e *fastmcp.Error
	if _, err := c.CallTool(ctx, "c_rpc", nil); !errors.As(err, &e) || e.Code != fastmcp.CodeInvalidParams || e.Message != "bad call" {
		t.Errorf("JSON-RPC error through the mount: %v", err)
	}
	if _, err := c.ReadResource(ctx, "c+r://x"); err == nil || !strings.Contains(err.Error(), "not today") {
		t.Errorf("loader error through the mount: %v", err)
	}
	// The server still serves.
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestMountConcurrentChanges(t *testing.T) {
	t.Parallel()
	parent, child := mtParent(t, fastmcp.Options{})
	c := testkit.Connect(t, parent, nil)
	ctx, cancel := context.WithCancel(testkit.Context(t))
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil && i < 200; i++ {
			name := fmt.Sprintf("t%d", i%5)
			fastmcp.AddTool(child, fastmcp.Tool{Name: name}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return name, nil })
			if i%3 == 0 {
				child.RemoveTools(name)
			}
		}
	})
	for range 100 {
		if _, err := c.ListTools(ctx); err != nil {
			t.Fatal(err)
		}
		if got := mtCallText(t, c, "weather_forecast", map[string]any{"city": "x"}); got != "1 days of sun in x" {
			t.Fatalf("forecast: %q", got)
		}
	}
	wg.Wait()
	// Once changes stop, the parent's list is the child's.
	names := mtToolNames(t, c)
	childNames := []string{}
	cc := testkit.Connect(t, child, nil)
	for _, n := range mtToolNames(t, cc) {
		childNames = append(childNames, "weather_"+n)
	}
	if !slices.Equal(names[1:], childNames) {
		t.Errorf("parent lists %v, child %v", names, childNames)
	}
}
