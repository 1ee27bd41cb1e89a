package fastmcp_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
)

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
	ctx := testCtx(t)
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
			r := htServe(t, parent, fastmcp.HTTP{})
			changed := make(chan struct{}, 1)
			cs := gosdkModernClient(t, r.endpoint, v, changed)
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
