package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tsSDKVersion is the version of @modelcontextprotocol/sdk pinned in
// interop/ts/package.json.
const tsSDKVersion = "1.32.2"

// TestTypeScriptSDKClient runs interop/ts/client.mjs, a scripted session of
// the official TypeScript SDK client, against the example servers built as
// binaries. It needs Node and the client's dependencies:
//
//	npm ci --prefix interop/ts
//
// Without them the test is skipped, unless FASTMCP_INTEROP=1 (as in CI), when
// it fails.
func TestTypeScriptSDKClient(t *testing.T) {
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv("FASTMCP_INTEROP") == "1" {
			t.Fatalf("%s, and FASTMCP_INTEROP=1 requires this test to run; install with: npm ci --prefix interop/ts", why)
		}
		t.Skipf("%s; to run this test: npm ci --prefix interop/ts (set FASTMCP_INTEROP=1 to make a missing setup fail)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed")
	}
	sdkManifest := filepath.Join("ts", "node_modules", "@modelcontextprotocol", "sdk", "package.json")
	raw, err := os.ReadFile(sdkManifest)
	if err != nil {
		unavailable("interop/ts/node_modules is missing")
	}
	var manifest struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil || manifest.Version != tsSDKVersion {
		t.Fatalf("%s: version %q (%v), want %s: run npm ci --prefix interop/ts", sdkManifest, manifest.Version, err, tsSDKVersion)
	}

	bins := exampleBinaries(t)
	t.Parallel()
	for _, tc := range []struct {
		suite     string
		bin       string
		minChecks int
	}{
		{"quickstart", bins.quickstart, 6},
		{"everything", bins.everything, 20},
	} {
		t.Run(tc.suite, func(t *testing.T) {
			t.Parallel()
			// The script bounds its own session at 60s; this is a backstop.
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, node, filepath.Join("ts", "client.mjs"), "--suite", tc.suite, tc.bin)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			if runErr != nil {
				t.Errorf("client.mjs --suite %s: %v\nstderr:\n%s", tc.suite, runErr, stderr.String())
			}

			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			var summary struct {
				Suite  string `json:"suite"`
				OK     bool   `json:"ok"`
				Passed int    `json:"passed"`
				Failed int    `json:"failed"`
				Checks []struct {
					Name  string `json:"name"`
					OK    bool   `json:"ok"`
					Error string `json:"error"`
				} `json:"checks"`
			}
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &summary) != nil {
				t.Fatalf("stdout is not one line of JSON:\n%s", stdout.String())
			}
			for _, c := range summary.Checks {
				if c.OK {
					t.Logf("ok   %s", c.Name)
				} else {
					t.Errorf("FAIL %s: %s", c.Name, c.Error)
				}
			}
			if summary.Suite != tc.suite || !summary.OK || summary.Failed != 0 || summary.Passed != len(summary.Checks) || summary.Passed < tc.minChecks {
				t.Errorf("summary: suite %q ok %v, %d passed, %d failed (want at least %d checks, all passing)",
					summary.Suite, summary.OK, summary.Passed, summary.Failed, tc.minChecks)
			}
			if (runErr == nil) != summary.OK {
				t.Errorf("exit status (%v) disagrees with the summary (ok %v)", runErr, summary.OK)
			}
		})
	}
}
