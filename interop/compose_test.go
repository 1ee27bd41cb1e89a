package interop_test

// Mount, transforms and visibility through the official Go SDK client and the
// official TypeScript SDK clients. The fixture servers are copies of the root
// module's mount_test.go fixtures (this module cannot import another
// module's test files).

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

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

// Mounting, tool transforms and visibility through the official Go SDK
// client, in both eras, over stdio and Streamable HTTP.

// cgServer returns a server that mounts mtWeather at "weather" (with a tool
// that asks the client for a name), derives "paris_forecast" from the mounted
// "weather_forecast" with the city fixed, and disables "weather_whoami". It
// returns the mounted server too.
func cgServer(t testing.TB) (parent, child *fastmcp.Server) {
	parent, child = mtParent(t, fastmcp.Options{Name: "compose"})
	fastmcp.AddTool(child, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}},
		}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s: %v", res.Action, res.Content["name"]), nil
	})
	fastmcp.TransformTool(parent, "weather_forecast", fastmcp.ToolTransform{
		Name: "paris_forecast", Description: "The weather in Paris.",
		Args: map[string]fastmcp.ArgTransform{"city": {Hide: true, Default: "Paris"}, "days": {Name: "n", Description: "How many days"}},
	})
	parent.Disable(fastmcp.ByName("weather_whoami"))
	return parent, child
}

// cgCheck runs the checks of a composed server through a Go SDK session;
// toolsChanged receives a value per tools list_changed the client gets.
func cgCheck(t *testing.T, cs *mcp.ClientSession, child *fastmcp.Server, toolsChanged <-chan struct{}) {
	ctx := testkit.Context(t)
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		if tl.Name == "paris_forecast" {
			props := tl.InputSchema.(map[string]any)["properties"].(map[string]any)
			if _, ok := props["city"]; ok || props["n"].(map[string]any)["description"] != "How many days" {
				t.Errorf("paris_forecast schema: %v", tl.InputSchema)
			}
		}
	}
	if want := []string{"hello", "paris_forecast", "weather_ask", "weather_forecast"}; !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"weather_forecast", map[string]any{"city": "Lima"}, "1 days of sun in Lima"},
		{"paris_forecast", map[string]any{"n": 2}, "2 days of sun in Paris"},
		// A server-to-client request from inside a mounted tool.
		{"weather_ask", nil, "accept: Ada"},
	} {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tc.name, Arguments: tc.args})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != tc.want {
			t.Errorf("%s: %+v, want %q", tc.name, res.Content, tc.want)
		}
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "weather_whoami"}); err == nil && !res.IsError {
		t.Error("a disabled tool answered")
	}

	tmpls, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil || len(tmpls.ResourceTemplates) != 1 || tmpls.ResourceTemplates[0].URITemplate != "weather+file:///data/{city}/history{?year}" {
		t.Fatalf("templates %+v %v", tmpls, err)
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "weather+file:///data/lima/history?year=2000"})
	if err != nil || len(rr.Contents) != 1 || rr.Contents[0].URI != "weather+file:///data/lima/history?year=2000" ||
		rr.Contents[0].Text != "lima in 2000 (file:///data/lima/history?year=2000)" {
		t.Errorf("template read: %+v %v", rr, err)
	}
	pr, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "weather_brief", Arguments: map[string]string{"city": "oslo"}})
	if err != nil || len(pr.Messages) != 1 || pr.Messages[0].Content.(*mcp.TextContent).Text != "Brief me on oslo" {
		t.Errorf("prompt: %+v %v", pr, err)
	}
	for _, ref := range []*mcp.CompleteReference{
		{Type: "ref/prompt", Name: "weather_brief"},
		{Type: "ref/resource", URI: "weather+file:///data/{city}/history{?year}"},
	} {
		res, err := cs.Complete(ctx, &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: "city", Value: "os"}})
		if err != nil || !slices.Equal(res.Completion.Values, []string{"oslo"}) {
			t.Errorf("complete %+v: %+v %v", ref, res, err)
		}
	}

	// A tool the mounted server adds reaches the client as a list change.
	fastmcp.AddTool(child, fastmcp.Tool{Name: "radar"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "radar", nil })
	select {
	case <-toolsChanged:
	case <-time.After(gosdkWait):
		t.Fatal("no tools list_changed after the mounted server added a tool")
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "weather_radar"})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "radar" {
		t.Errorf("weather_radar: %+v %v", res, err)
	}
}

func TestGoSDKComposeHTTP(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", fastmcp.LatestHandshakeProtocolVersion} {
		name := v
		if name == "" {
			name = fastmcp.ProtocolVersion20260728
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent, child := cgServer(t)
			r := testkit.ServeHTTP(t, parent, fastmcp.HTTP{})
			changed := make(chan struct{}, 1)
			cs := gosdkModernClient(t, r.Endpoint, v, changed)
			if got := cs.InitializeResult().ProtocolVersion; got != name {
				t.Fatalf("negotiated %s, want %s", got, name)
			}
			cgCheck(t, cs, child, changed)
		})
	}
}

func TestGoSDKComposeStdio(t *testing.T) {
	t.Parallel()
	for _, v := range []string{fastmcp.LatestHandshakeProtocolVersion, fastmcp.ProtocolVersion20260728} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			parent, child := cgServer(t)
			changed := make(chan struct{}, 1)
			opts := &mcp.ClientOptions{
				Capabilities: &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{Form: &mcp.FormElicitationCapabilities{}}},
				ElicitationHandler: func(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Ada"}}, nil
				},
				ToolListChangedHandler: func(ctx context.Context, req *mcp.ToolListChangedRequest) {
					select {
					case changed <- struct{}{}:
					default:
					}
				},
			}
			c := connectGoSDK(t, parent, opts, v)
			if got := c.InitializeResult().ProtocolVersion; got != v {
				t.Fatalf("negotiated %s, want %s", got, v)
			}
			cgCheck(t, c.ClientSession, child, changed)
		})
	}
}

// A composed server (a mounted server, a tool derived from a mounted one, a
// disabled tool) through the official TypeScript SDK clients of both eras
// over Streamable HTTP: interop/ts2/compose.mjs runs the same checks with the
// v1 SDK (handshake era) and the v2 SDK (2026-07-28).

// tsComposeChecks are the checks compose.mjs must report, so a check
// dropped from the script fails here.
var tsComposeChecks = []string{
	"tools/list shows mounted, derived and not disabled tools",
	"tools/call of a mounted tool",
	"tools/call of a derived tool",
	"a disabled tool is unknown",
	"resources/templates/list and resources/read through a template",
	"resources/read of a mounted resource",
	"prompts/get of a mounted prompt",
	"completion/complete of a mounted prompt and template",
	"a tool the mounted server adds is announced and callable",
}

func TestTSCompose(t *testing.T) {
	node := ts2Setup(t)
	t.Parallel()
	for _, tc := range []struct{ sdk, version string }{
		{"v1", fastmcp.LatestHandshakeProtocolVersion},
		{"v2", fastmcp.ProtocolVersion20260728},
	} {
		t.Run(tc.sdk, func(t *testing.T) {
			t.Parallel()
			parent, child := mtParent(t, fastmcp.Options{})
			fastmcp.AddTool(child, fastmcp.Tool{Name: "spawn", Description: "Adds the radar tool."},
				func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
					fastmcp.AddTool(ctx.Server(), fastmcp.Tool{Name: "radar"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "radar", nil })
					return "spawned", nil
				})
			fastmcp.TransformTool(parent, "weather_forecast", fastmcp.ToolTransform{
				Name: "paris_forecast", Description: "The weather in Paris.",
				Args: map[string]fastmcp.ArgTransform{"city": {Hide: true, Default: "Paris"}, "days": {Name: "n"}},
			})
			parent.Disable(fastmcp.ByName("weather_whoami"))
			r := testkit.ServeHTTP(t, parent, fastmcp.HTTP{})

			run := ts2Start(t, node, filepath.Join("ts2", "compose.mjs"), tc.sdk, r.Endpoint)
			run.wait()
			lines := strings.Split(strings.TrimSpace(run.stdout.String()), "\n")
			var summary struct {
				SDK             string `json:"sdk"`
				ProtocolVersion string `json:"protocolVersion"`
				OK              bool   `json:"ok"`
				Passed, Failed  int
			}
			if json.Unmarshal([]byte(lines[len(lines)-1]), &summary) != nil {
				t.Fatalf("node: %v; no summary:\n%s\nstderr:\n%s", run.err, run.stdout.String(), run.stderr.String())
			}
			reported := map[string]bool{}
			for _, l := range lines[:len(lines)-1] {
				switch {
				case strings.HasPrefix(l, "ok "):
					reported[strings.TrimPrefix(l, "ok ")] = true
					t.Log(l)
				default:
					t.Error(l)
				}
			}
			for _, c := range tsComposeChecks {
				if !reported[c] {
					t.Errorf("check %q did not pass", c)
				}
			}
			if !summary.OK || summary.Failed != 0 || summary.Passed != len(tsComposeChecks) || summary.SDK != tc.sdk || summary.ProtocolVersion != tc.version {
				t.Errorf("summary %+v, want sdk %s, protocol %s, %d passed", summary, tc.sdk, tc.version, len(tsComposeChecks))
			}
			if (run.err == nil) != summary.OK {
				t.Errorf("exit status (%v) disagrees with the summary", run.err)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", run.stderr.String())
			}
		})
	}
}
