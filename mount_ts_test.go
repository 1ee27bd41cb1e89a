package fastmcp_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

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
			r := htServe(t, parent, fastmcp.HTTP{})

			run := ts2Start(t, node, filepath.Join("interop", "ts2", "compose.mjs"), tc.sdk, r.endpoint)
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
