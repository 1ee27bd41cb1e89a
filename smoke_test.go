package fastmcp_test

import (
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

func TestSmokeAllRevisions(t *testing.T) {
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			s := testkit.NewServer(t, fastmcp.Options{})
			type Args struct {
				A float64 `json:"a"`
				B float64 `json:"b"`
			}
			fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "add", Title: "Add", Annotations: &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(true)}},
				func(ctx *fastmcp.Context, a Args) (float64, error) { return a.A + a.B, nil })
			fastmcp.AddTool(s, fastmcp.Tool{Name: "media"},
				func(ctx *fastmcp.Context, _ fastmcp.NoArgs) ([]fastmcp.Content, error) {
					return []fastmcp.Content{fastmcp.Text("hi"), fastmcp.Audio([]byte("RIFF0000WAVEfmt "), ""), fastmcp.Link("test://x", "x")}, nil
				})
			s.AddResource(fastmcp.Resource{URI: "test://r", Name: "r", Load: fastmcp.StaticText("hello")})
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(ctx *fastmcp.Context, args struct {
				Lang string `json:"lang" enum:"go,rust,python"`
			}) (string, error) {
				return "write " + args.Lang, nil
			})
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			ctx := testkit.Context(t)
			if got := c.InitializeResult().ProtocolVersion; got != rev {
				t.Fatalf("negotiated %s, want %s", got, rev)
			}
			tools, err := c.ListTools(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range tools {
				names = append(names, tool.Name)
			}
			if diff := testdiff.Diff([]string{"add", "media"}, names); diff != "" {
				t.Fatalf("tools (-want +got):\n%s", diff)
			}
			res, err := c.CallTool(ctx, "add", map[string]any{"a": 1, "b": 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v %s", res.Content[0], res.StructuredContent)
			if _, err := c.CallTool(ctx, "media", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadResource(ctx, "test://r"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadResource(ctx, "test://nope"); err == nil {
				t.Fatal("want error")
			}
			if _, err := c.GetPrompt(ctx, "p", map[string]string{"lang": "go"}); err != nil {
				t.Fatal(err)
			}
			cr, err := c.Complete(ctx, fastmcp.CompleteReference{Type: "ref/prompt", Name: "p"}, "lang", "r", nil)
			if err != nil || len(cr.Completion.Values) == 0 || cr.Completion.Values[0] != "rust" {
				t.Fatalf("complete: %+v %v", cr, err)
			}
			if err := c.SetLoggingLevel(ctx, fastmcp.LevelInfo); err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
